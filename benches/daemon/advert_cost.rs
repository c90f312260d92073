//! The cost of one advert on each side of a pair (issue 18), ours and keepalived 2.2.7
//! back to back in one run: 100 VRRPv3 instances at 10 ms (10,000 adverts a second),
//! master and backup each in a namespace, CPU of each side's daemon (utime and stime of
//! its process tree from `/proc/PID/stat`) over `BENCH_ADVERT_SECONDS` (default 10),
//! divided by the adverts the master put on the wire in that window (counted on the
//! bridge). The same run checks that nothing flapped and that the master's adverts left
//! on time: per VRID, the intervals on the wire, against keepalived's own.
//!
//! The second part puts 200 foreign VRIDs at 10 ms (a third node, always stock
//! keepalived, so the load is the same for both) on the segment of a 10-instance pair
//! and reports what they add to each backup's CPU, per foreign advert.
//!
//! # Where the microseconds go
//!
//! Profiles: `perf record -e cpu-clock -g` (this VM has no hardware counters) and
//! `perf stat` on the backup daemon for 5 s of this bench; figures per advert are from
//! `/proc/PID/stat` over 10 s. Every figure below moves by tens of percent from run to
//! run on the shared 2-core VM (and keepalived's own pair often flaps there), so each is
//! a range over runs and the ratios are taken within one run.
//!
//! First round (issue 18's first pass): one receive task per socket feeding a bounded
//! channel, one `recvmsg` per advert plus one that returned EAGAIN, a `Vec` per packet,
//! the timerfd re-armed on nearly every advert, seven boxed signal futures polled per
//! wake-up: backup 3.3 µs user + 6.1 µs system per advert. It became one `recvmmsg` per
//! wake-up into a reused buffer, read by the loop itself, no timer syscall for a deadline
//! that only moved later, no allocation: 1.5–3.0 µs user + 5.0–6.9 µs system, 0.8–1.5×
//! keepalived's CPU.
//!
//! What was left was the wake-up itself. `perf stat`: our backup woke 1,500 times a
//! second (keepalived's 2,000–7,000: our master sends the adverts due together in one
//! `sendmmsg`, so ours arrive in bursts), each costing 30–40 µs of system time on this
//! VM. `perf record`: a quarter of all samples in `finish_task_switch` (the switch back
//! into the woken loop), another quarter in the receive path proper (`recvmmsg`: copying,
//! freeing the skb), user space under a third, spread thin (`handle_packet` 3 %,
//! `next_deadline` via `poll_timeout` 3 %, `epoll_wait` and tokio's reactor, the loop's
//! `select!`, `clock_gettime`).
//!
//! Second round: the backup no longer reads an advert the instant it arrives once adverts
//! come closer together than the coalescing bound (a tenth of the shortest advert
//! interval, at most 1 ms; `daemon::coalesce`). The receive sockets then leave the
//! reactor and are read on the loop's timer every bound until a read finds nothing or
//! only the tail of a burst; each advert is handled at its kernel arrival time
//! (`SO_TIMESTAMPNS`), so master-down deadlines are exactly what they were, and the
//! loop still wakes for every protocol deadline, reading the parked sockets first. The
//! backup now wakes about 200 times a second; `finish_task_switch` fell to a tenth of
//! the samples, and the per-packet receive path (copy, skb free, the timestamp control
//! message) is now the largest part of the system time, which no batching removes. User
//! space is the core's `handle_packet` with its checks (~10 % of samples), the `recvmmsg`
//! wrapper and the loop. Backup after, four quiet runs: 0.9–1.4 µs user + 1.5–1.9 µs
//! system per advert, 0.31–0.48× keepalived's CPU (keepalived 1.4–2.2 + 4.9–7.4 µs);
//! five more runs with `perf` attached or a test suite running beside it: 1.0–1.6 µs
//! user + 1.4–2.8 µs system, 0.48–0.62×.
//!
//! The master: 0.6–1.3 µs user + 7.4–9.3 µs system per advert, 0.29–0.38× keepalived
//! (before this round 0.8–1.0 + 8.8–9.8, 0.35–0.41×; what changed for it is the
//! backup it sends to). `perf record`: 88 % of its samples are in the kernel, the send
//! path of each advert running, in the sender's context, the veth, the bridge (with
//! `br_netfilter`), the backup's receive softirq and this bench's own capture on the
//! bridge (`tpacket_rcv`); keepalived's master pays 27–33 µs for the same, its backup
//! having one socket per instance. Adverts due at the same instant go out in one
//! `sendmmsg` per socket, each still at its own deadline (the batch is what one timer
//! expiry made due). Of the 12 % in user space about a third is `malloc`/`free`: the
//! core hands each advert over as its own `Vec` (a pool of packet buffers handed back to
//! the core would remove it); the rest is building the advert (`send_advert`, the
//! checksum), the timer pass and the loop.
//!
//! Foreign VRIDs: 7.2 µs user + 15.2 µs system per foreign advert before the first round
//! (each one woke the backup, was copied, classified and ignored); 0 measurable after,
//! the socket filter drops them in the kernel's softirq, charged to no process of ours.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use super::lab::{wait_for, Capture, Daemon, Host, Lab};
use super::pair::spurious as transitions;
use super::{env_number, process_tree, vip_count, Implementation};

/// User and system time of a process tree, in clock ticks.
fn cpu_split(root: u32) -> (u64, u64) {
    process_tree(root)
        .iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<u64> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(|v| v.parse().unwrap_or(0))
                .collect();
            // After the command: state(0) ppid(1) … utime(11) stime(12).
            (
                fields.get(11).copied().unwrap_or(0),
                fields.get(12).copied().unwrap_or(0),
            )
        })
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// `count` VRRPv3 instances at `interval` seconds, VRIDs from `first_vrid`, one VIP each
/// (198.19.X.Y, X = `vip_net`), all starting as BACKUP with `priority`.
fn instances(count: usize, first_vrid: usize, interval: &str, priority: u8, vip_net: u8) -> String {
    let mut s = String::new();
    for i in 0..count {
        let vrid = first_vrid + i;
        let _ = write!(
            s,
            "vrrp_instance VI_{vrid} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  \
             priority {priority}\n  version 3\n  advert_int {interval}\n  virtual_ipaddress {{\n    \
             198.19.{vip_net}.{}/32\n  }}\n}}\n",
            i + 1
        );
    }
    s
}

fn start(host: &Host, imp: &Implementation, config: &str) -> Daemon {
    imp.start(host, config)
}

/// Per VRID, the intervals between consecutive adverts from `src` (seconds), and the
/// number of adverts.
fn intervals(pcap: &Path, src: Ipv4Addr) -> (Vec<f64>, usize) {
    let mut last: HashMap<u8, f64> = HashMap::new();
    let mut out = Vec::new();
    let mut count = 0;
    let Ok(file) = std::fs::File::open(pcap) else {
        return (out, 0);
    };
    let Ok(mut reader) = pcap_file::pcap::PcapReader::new(file) else {
        return (out, 0);
    };
    while let Some(Ok(pkt)) = reader.next_packet() {
        let d = &pkt.data;
        // Ethernet (14) + IPv4 without options (20): the VRID is the VRRP header's 2nd byte.
        if d.len() > 36 && d[23] == 112 && d[26..30] == src.octets() {
            count += 1;
            let t = pkt.timestamp.as_secs_f64();
            if let Some(prev) = last.insert(d[35], t) {
                out.push(t - prev);
            }
        }
    }
    (out, count)
}

/// The `q`-quantile of `v` (sorted in place), in ms.
fn quantile_ms(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize] * 1e3
}

/// One side's figures over the window.
struct Side {
    user_s: f64,
    sys_s: f64,
}

impl Side {
    fn total(&self) -> f64 {
        self.user_s + self.sys_s
    }
}

/// What one implementation's pair did over the window.
struct PairRun {
    master: Side,
    backup: Side,
    adverts: usize,
    spurious: usize,
    /// Sent intervals per VRID: median, 99th percentile, maximum (ms).
    jitter: (f64, f64, f64),
}

fn measure_pair(imp: &Implementation, seconds: u64, tck: f64) -> PairRun {
    const N: usize = 100;
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let a = start(na, imp, &instances(N, 1, "0.01", 200, 0));
    let b = start(nb, imp, &instances(N, 1, "0.01", 100, 0));
    assert!(
        wait_for(Duration::from_secs(30), || vip_count(na) == N
            && vip_count(nb) == 0)
        .is_some(),
        "{}: the 100-instance pair did not settle",
        imp.name
    );
    std::thread::sleep(Duration::from_secs(1));
    let pcap = lab.nodes[0].dir.join("adverts.pcap");
    let filter = format!("ip proto 112 and src {}", na.addr);
    let capture = Capture::with_filter(&lab, "br0", pcap.clone(), &filter);
    let flaps = transitions(&a, &b);
    let (pa, pb) = (a.child.id(), b.child.id());
    let (a0, b0) = (cpu_split(pa), cpu_split(pb));
    std::thread::sleep(Duration::from_secs(seconds));
    let (a1, b1) = (cpu_split(pa), cpu_split(pb));
    capture.stop();
    let side = |x: (u64, u64), y: (u64, u64)| Side {
        user_s: (y.0 - x.0) as f64 / tck,
        sys_s: (y.1 - x.1) as f64 / tck,
    };
    let (mut gaps, adverts) = intervals(&pcap, na.addr);
    PairRun {
        master: side(a0, a1),
        backup: side(b0, b1),
        adverts,
        spurious: transitions(&a, &b) - flaps,
        jitter: (
            quantile_ms(&mut gaps, 0.5),
            quantile_ms(&mut gaps, 0.99),
            quantile_ms(&mut gaps, 1.0),
        ),
    }
}

/// The 100-instance pair: per side, user and system µs per advert, ratios, flaps, jitter.
pub fn advert(imps: &[Implementation], tck: f64, report: &mut String) {
    let seconds = env_number("BENCH_ADVERT_SECONDS", 10);
    let runs: Vec<PairRun> = imps.iter().map(|i| measure_pair(i, seconds, tck)).collect();
    let _ = writeln!(
        report,
        "\n## Cost of one advert: 100 VRRPv3 instances at 10 ms, over {seconds} s\n"
    );
    let _ = writeln!(
        report,
        "| side | implementation | user s | sys s | user µs/advert | sys µs/advert | CPU ratio |"
    );
    let _ = writeln!(report, "|---|---|---:|---:|---:|---:|---:|");
    let us = |s: f64, n: usize| s * 1e6 / n.max(1) as f64;
    for (label, pick) in [
        ("master", (|r: &PairRun| &r.master) as fn(&PairRun) -> &Side),
        ("backup", |r: &PairRun| &r.backup),
    ] {
        let reference = pick(&runs[runs.len() - 1]).total().max(0.01);
        for (imp, run) in imps.iter().zip(&runs) {
            let s = pick(run);
            let line = format!(
                "| {label} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                imp.name,
                s.user_s,
                s.sys_s,
                us(s.user_s, run.adverts),
                us(s.sys_s, run.adverts),
                s.total() / reference
            );
            println!("advert {line}");
            let _ = writeln!(report, "{line}");
        }
    }
    let _ = writeln!(
        report,
        "\n| implementation | adverts on the wire | spurious transitions | sent interval median / p99 / max (ms) |"
    );
    let _ = writeln!(report, "|---|---:|---:|---|");
    for (imp, run) in imps.iter().zip(&runs) {
        let line = format!(
            "| {} | {} | {} | {:.2} / {:.2} / {:.2} |",
            imp.name, run.adverts, run.spurious, run.jitter.0, run.jitter.1, run.jitter.2
        );
        println!("advert {line}");
        let _ = writeln!(report, "{line}");
    }
    let (ours, theirs) = (&runs[0], &runs[runs.len() - 1]);
    let on_time = ours.jitter.1 <= theirs.jitter.1 + 1.0;
    let _ = writeln!(
        report,
        "\nspurious transitions: {}; our p99 sent interval within keepalived's (+1 ms): {}",
        if ours.spurious == 0 { "none" } else { "SOME" },
        if on_time { "yes" } else { "NO" }
    );
}

/// 200 foreign VRIDs at 10 ms next to a 10-instance pair (VRIDs 1–10, 1 s adverts):
/// the backup's CPU with and without them, per foreign advert.
pub fn foreign(imps: &[Implementation], stock: &Implementation, tck: f64, report: &mut String) {
    const OWN: usize = 10;
    const FOREIGN: usize = 200;
    let seconds = env_number("BENCH_ADVERT_SECONDS", 10);
    let _ = writeln!(
        report,
        "\n## {FOREIGN} foreign VRIDs at 10 ms on the segment of a {OWN}-instance pair, over {seconds} s\n"
    );
    let _ = writeln!(
        report,
        "| backup | CPU without (user + sys s) | with | foreign adverts | user µs/foreign advert | sys µs/foreign advert |"
    );
    let _ = writeln!(report, "|---|---:|---:|---:|---:|---:|");
    for imp in imps {
        let lab = Lab::new(&["a", "b", "c"], false);
        let (na, nb, nc) = (lab.node("a"), lab.node("b"), lab.node("c"));
        let _a = start(na, imp, &instances(OWN, 1, "1", 200, 0));
        let b = start(nb, imp, &instances(OWN, 1, "1", 100, 0));
        assert!(
            wait_for(Duration::from_secs(30), || vip_count(na) == OWN
                && vip_count(nb) == 0)
            .is_some(),
            "{}: the pair did not settle",
            imp.name
        );
        let pb = b.child.id();
        let b0 = cpu_split(pb);
        std::thread::sleep(Duration::from_secs(seconds));
        let b1 = cpu_split(pb);
        let c = start(nc, stock, &instances(FOREIGN, 40, "0.01", 150, 1));
        assert!(
            wait_for(Duration::from_secs(30), || vip_count(nc) == FOREIGN).is_some(),
            "the foreign sender did not become master"
        );
        std::thread::sleep(Duration::from_secs(1));
        let pcap = lab.nodes[2].dir.join("foreign.pcap");
        let filter = format!("ip proto 112 and src {}", nc.addr);
        let capture = Capture::with_filter(&lab, "br0", pcap.clone(), &filter);
        let b2 = cpu_split(pb);
        std::thread::sleep(Duration::from_secs(seconds));
        let b3 = cpu_split(pb);
        capture.stop();
        drop(c);
        let (_, foreign) = intervals(&pcap, nc.addr);
        let without = ((b1.0 - b0.0) as f64 / tck, (b1.1 - b0.1) as f64 / tck);
        let with = ((b3.0 - b2.0) as f64 / tck, (b3.1 - b2.1) as f64 / tck);
        let per = |d: f64| (d * 1e6 / foreign.max(1) as f64).max(0.0);
        let line = format!(
            "| {} | {:.2} | {:.2} | {foreign} | {:.2} | {:.2} |",
            imp.name,
            without.0 + without.1,
            with.0 + with.1,
            per(with.0 - without.0),
            per(with.1 - without.1),
        );
        println!("foreign {line}");
        let _ = writeln!(report, "{line}");
    }
}
