//! The daemon side by side with stock keepalived, in one run, reported as ratios
//! (issue 4's goals):
//!
//! * resident memory with 1, 100 and 1,000 instances (keepalived: parent + VRRP child);
//! * CPU over a window for 1,000 instances at 1 s adverts and 100 VRRPv3 instances at
//!   10 ms adverts;
//! * client-visible outage on graceful stop and on link cut, against the protocol bound;
//! * spurious transitions of a 10 ms pair while a CPU hog saturates both cores;
//! * the cost of one advert to the master and to the backup, and of foreign VRIDs on the
//!   segment to the backup ([`advert_cost`], issue 18).
//!
//! Run as root: `cargo bench --bench daemon`. Environment: `KEEPALIVED` (stock binary,
//! default /usr/sbin/keepalived), `BENCH_CPU_SECONDS` (default 60), `BENCH_REPEAT`
//! (outage repetitions, default 9), `BENCH_ONLY` (comma list of
//! memory,cpu,outage,hog,advert,foreign), `BENCH_ADVERT_SECONDS` (default 10), `KEEPALIVED_RS`
//! (our binary, default the one cargo built),
//! `BENCH_HOGS` (busy loops for the hog test, default four per core),
//! `BENCH_TRACE` (print each failover's timeline as the bridge saw it), `BENCH_KEEP_PCAP`
//! (a directory to copy each failover's bridge capture to).
//! Everything runs in throw-away network namespaces on 198.18.0.0/15.

#[path = "daemon/advert_cost.rs"]
mod advert_cost;
#[path = "../tests/lab/mod.rs"]
mod lab;
#[path = "support/pair.rs"]
mod pair;
#[path = "../tests/common/vip_probe.rs"]
mod vip_probe;

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use lab::{wait_for, Capture, Daemon, Host, Lab};
use pair::{env_number, implementations, Implementation};
use vip_probe::VipProbe;

fn enabled(part: &str) -> bool {
    std::env::var("BENCH_ONLY")
        .map(|v| v.split(',').any(|p| p == part))
        .unwrap_or(true)
}

/// The process and its descendants (keepalived forks its VRRP child).
fn process_tree(root: u32) -> Vec<u32> {
    let mut all = vec![root];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for e in entries.flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let ppid = stat
                    .rsplit(')')
                    .next()
                    .and_then(|r| r.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok());
                if ppid == Some(parent) && !all.contains(&pid) {
                    all.push(pid);
                }
            }
        }
        i += 1;
    }
    all
}

/// Resident memory of a process tree, in KiB: `field` of /proc/PID/status (`VmRSS:` for
/// all of it, `RssAnon:` for the anonymous part — heap, stacks — alone).
fn status_kib(root: u32, field: &str) -> u64 {
    process_tree(root)
        .iter()
        .map(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

/// User + system CPU time of a process tree, in clock ticks.
fn cpu_ticks(root: u32) -> u64 {
    process_tree(root)
        .iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            // After the command: state(0) ppid(1) … utime(11) stime(12).
            let n = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            n(11) + n(12)
        })
        .sum()
}

fn ticks_per_second() -> f64 {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(100.0)
}

/// Adds `count` extra links (eth1…) to a node, each with 198.18.K.1/24, so a config can
/// hold more than 255 VRIDs.
fn add_links(host: &Host, count: usize) {
    for k in 1..=count {
        let name = format!("eth{k}");
        let peer = format!("peer{k}");
        host.ip(&["link", "add", &name, "type", "veth", "peer", "name", &peer]);
        host.ip(&["addr", "add", &format!("198.18.{k}.1/24"), "dev", &name]);
        host.ip(&["link", "set", &peer, "up"]);
        host.ip(&["link", "set", &name, "up"]);
    }
}

/// `n` instances, 250 per link, one VIP each in 198.19.0.0/16.
fn many_instances(n: usize, v3_interval: Option<&str>) -> String {
    let mut s = String::new();
    for i in 0..n {
        let link = i / 250;
        let (version, interval) = match v3_interval {
            Some(int) => ("3", int),
            None => ("2", "1"),
        };
        let _ = write!(
            s,
            "vrrp_instance VI_{i} {{\n  state BACKUP\n  interface eth{link}\n  virtual_router_id {}\n  \
             priority 100\n  version {version}\n  advert_int {interval}\n  virtual_ipaddress {{\n    \
             198.19.{}.{}/32\n  }}\n}}\n",
            i % 250 + 1,
            link,
            i % 250 + 1,
        );
    }
    s
}

/// Starts `imp` alone on a node with `config` and waits until every instance is master
/// (its VIP count reaches `n`).
fn start_alone(imp: &Implementation, n: usize, config: &str) -> (Lab, Daemon) {
    let lab = Lab::new(&["solo"], false);
    let node = lab.node("solo");
    add_links(node, n.saturating_sub(1) / 250);
    let d = imp.start(node, config);
    let settled = wait_for(Duration::from_secs(60), || vip_count(node) >= n);
    assert!(
        settled.is_some(),
        "{}: {n} instances never all became master:\n{}",
        imp.name,
        d.log_text().lines().take(40).collect::<Vec<_>>().join("\n")
    );
    (lab, d)
}

/// The benchmark's VIPs (all in 198.19.0.0/16) on `host`.
fn vip_count(host: &Host) -> usize {
    pair::vip_count(host, "198.19.")
}

fn memory(imps: &[Implementation], report: &mut String) {
    let _ = writeln!(report, "\n## Resident memory (KiB, all processes)\n");
    let _ = writeln!(
        report,
        "| instances | keepalived-rs | keepalived | ratio | anonymous part: keepalived-rs | keepalived | ratio |"
    );
    let _ = writeln!(report, "|---:|---:|---:|---:|---:|---:|---:|");
    for n in [1usize, 100, 1000] {
        let config = many_instances(n, None);
        let (mut rss, mut anon) = (Vec::new(), Vec::new());
        for imp in imps {
            let (_lab, d) = start_alone(imp, n, &config);
            std::thread::sleep(Duration::from_secs(2));
            rss.push(status_kib(d.child.id(), "VmRSS:"));
            anon.push(status_kib(d.child.id(), "RssAnon:"));
        }
        let line = format!(
            "| {n} | {} | {} | {:.2} | {} | {} | {:.2} |",
            rss[0],
            rss[1],
            rss[0] as f64 / rss[1] as f64,
            anon[0],
            anon[1],
            anon[0] as f64 / anon[1] as f64
        );
        println!("memory {line}");
        let _ = writeln!(report, "{line}");
    }
}

fn cpu(imps: &[Implementation], report: &mut String) {
    let seconds = env_number("BENCH_CPU_SECONDS", 60);
    let tck = ticks_per_second();
    let _ = writeln!(
        report,
        "\n## CPU over {seconds} s (seconds of CPU, all processes)\n"
    );
    let _ = writeln!(report, "| load | keepalived-rs | keepalived | ratio |");
    let _ = writeln!(report, "|---|---:|---:|---:|");
    for (label, n, interval) in [
        ("1,000 instances, v2, 1 s adverts", 1000usize, None),
        ("100 instances, v3, 10 ms adverts", 100, Some("0.01")),
    ] {
        let config = many_instances(n, interval);
        let mut used = Vec::new();
        for imp in imps {
            let (_lab, d) = start_alone(imp, n, &config);
            let pid = d.child.id();
            let before = cpu_ticks(pid);
            std::thread::sleep(Duration::from_secs(seconds));
            used.push((cpu_ticks(pid) - before) as f64 / tck);
        }
        let line = format!(
            "| {label} | {:.2} | {:.2} | {:.2} |",
            used[0],
            used[1],
            used[0] / used[1].max(0.01)
        );
        println!("cpu {line}");
        let _ = writeln!(report, "{line}");
    }
}

const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
const SKEW_100: f64 = 0.609_375;
const MASTER_DOWN_100: f64 = 3.609_375;

fn seed(priority: u8) -> String {
    format!(
        "vrrp_instance VI_1 {{\n state MASTER\n interface eth0\n virtual_router_id 41\n priority {priority}\n \
         advert_int 1\n authentication {{\n auth_type PASS\n auth_pass 1111\n }}\n virtual_ipaddress {{\n \
         198.18.0.100/24\n }}\n}}\n"
    )
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Timestamps of the IPv4 packets of IP protocol `proto` from `src` in a pcap file.
fn ipv4_times(pcap: &Path, src: Ipv4Addr, proto: u8) -> Vec<f64> {
    let Ok(file) = std::fs::File::open(pcap) else {
        return Vec::new();
    };
    let Ok(mut reader) = pcap_file::pcap::PcapReader::new(file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Some(Ok(pkt)) = reader.next_packet() {
        let d = &pkt.data;
        // Ethernet + IPv4 (the capture also holds ARP).
        if d.len() > 34
            && d[12] == 0x08
            && d[13] == 0x00
            && d[23] == proto
            && d[26..30] == src.octets()
        {
            out.push(pkt.timestamp.as_secs_f64());
        }
    }
    out
}

/// Timestamps of VRRP adverts from `src` in a pcap file.
fn advert_times(pcap: &Path, src: Ipv4Addr) -> Vec<f64> {
    ipv4_times(pcap, src, 112)
}

/// `BENCH_TRACE`: what the bridge saw around a failover at `t0`. The reference is when
/// the backup may take over: the old master's priority-0 advert plus the skew time
/// (graceful stop), or its last advert plus Master_Down_Interval (link cut). Printed
/// relative to it, in ms: the new master's first advert and first gratuitous ARP, and
/// the first echo reply from the VIP after that advert.
fn print_timeline(pcap: &Path, t0: f64, old: Ipv4Addr, new: Ipv4Addr, link_cut: bool) {
    let Ok(file) = std::fs::File::open(pcap) else {
        return;
    };
    let Ok(mut reader) = pcap_file::pcap::PcapReader::new(file) else {
        return;
    };
    let (mut last_old, mut priority_zero) = (f64::NAN, f64::NAN);
    let (mut first_new, mut first_garp, mut first_reply) = (f64::NAN, f64::NAN, f64::NAN);
    while let Some(Ok(pkt)) = reader.next_packet() {
        let d = &pkt.data;
        let t = pkt.timestamp.as_secs_f64();
        let ipv4 = d.len() > 36 && d[12..14] == [0x08, 0x00];
        let arp = d.len() >= 42 && d[12..14] == [0x08, 0x06];
        let advert_from = |a: Ipv4Addr| ipv4 && d[23] == 112 && d[26..30] == a.octets();
        if advert_from(old) && t <= t0 {
            last_old = t;
        }
        // VRRP priority is the third byte of the VRRP header (after a 20-byte IP header).
        if advert_from(old) && t > t0 && d[36] == 0 && priority_zero.is_nan() {
            priority_zero = t;
        }
        if advert_from(new) && t > t0 && first_new.is_nan() {
            first_new = t;
        }
        // ARP whose sender protocol address is the VIP.
        if arp && d[28..32] == VIP.octets() && t > t0 && first_garp.is_nan() {
            first_garp = t;
        }
        // ICMP echo reply (type 0) from the VIP, once the new master advertises.
        let reply = ipv4 && d[23] == 1 && d[26..30] == VIP.octets() && d[34] == 0;
        if reply && t > first_new && first_reply.is_nan() {
            first_reply = t;
        }
    }
    let reference = if link_cut {
        last_old + MASTER_DOWN_100
    } else {
        priority_zero + SKEW_100
    };
    let ms = |t: f64| (t - reference) * 1000.0;
    let stop = if link_cut {
        String::new()
    } else {
        format!(
            "priority-0 advert {:+.2} ms after the signal; ",
            (priority_zero - t0) * 1000.0
        )
    };
    println!(
        "trace: {stop}from the takeover bound: first advert {:+.2} ms, first GARP {:+.2} ms, first reply from the VIP {:+.2} ms",
        ms(first_new),
        ms(first_garp),
        ms(first_reply)
    );
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// One failover of the seed pair: returns (client outage, protocol bound) in seconds.
fn one_failover(imp: &Implementation, link_cut: bool) -> (f64, f64) {
    let lab = Lab::new(&["a", "b"], true);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let mut a = imp.start(na, &seed(101));
    let _b = imp.start(nb, &seed(100));
    assert!(
        wait_for(Duration::from_secs(10), || na.has_address(VIP)
            && !nb.has_address(VIP))
        .is_some(),
        "{}: pair did not settle",
        imp.name
    );
    let pcap = na.dir.join("bridge.pcap");
    let dump = Capture::with_filter(&lab, "br0", pcap.clone(), "ip proto 112 or arp or icmp");
    std::thread::sleep(Duration::from_millis(1500));
    // An echo every 1 ms, kept up through the outage: the goal's 5 ms tolerance needs an
    // instrument finer than itself (ping slows to one echo per 10 ms while unanswered).
    let vip_probe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/vip-probe");
    let probe = VipProbe::icmp(&lab.client().ns, &vip_probe, VIP.into(), 1.0, 100);
    std::thread::sleep(Duration::from_millis(300));
    let t0 = now_secs();
    if link_cut {
        lab.set_cable(na, false);
    } else {
        a.signal(nix::sys::signal::Signal::SIGTERM);
    }
    let moved = wait_for(Duration::from_secs(6), || nb.has_address(VIP));
    assert!(moved.is_some(), "{}: VIP did not move", imp.name);
    std::thread::sleep(Duration::from_millis(400));
    let gap = Duration::from_secs_f64(probe.stop() / 1e3);
    dump.stop();
    if let Some(dir) = std::env::var_os("BENCH_KEEP_PCAP") {
        let kept = Path::new(&dir).join(format!(
            "{}-{}-{}.pcap",
            imp.name,
            if link_cut { "link-cut" } else { "stop" },
            now_secs() as u64
        ));
        let _ = std::fs::copy(&pcap, kept);
    }
    if std::env::var_os("BENCH_TRACE").is_some() {
        print_timeline(&pcap, t0, na.addr, nb.addr, link_cut);
    }
    let _ = a.wait_exit(Duration::from_secs(3));
    let bound = if link_cut {
        // b's timer runs from the last advert it heard from a (none crosses the cut
        // cable); the client's outage from its last reply through a, which marks when
        // the cut took effect (a little after the command was issued at t0).
        let last = advert_times(&pcap, na.addr)
            .into_iter()
            .fold(f64::NAN, f64::max);
        let takeover = last + MASTER_DOWN_100;
        let cut = ipv4_times(&pcap, VIP, 1)
            .into_iter()
            .filter(|t| *t < takeover)
            .fold(f64::NAN, f64::max);
        if last.is_nan() || cut.is_nan() {
            MASTER_DOWN_100
        } else {
            takeover - cut
        }
    } else {
        SKEW_100
    };
    (gap.as_secs_f64(), bound)
}

fn outage(imps: &[Implementation], report: &mut String) {
    let repeat = env_number("BENCH_REPEAT", 9) as usize;
    let _ = writeln!(
        report,
        "\n## Client-visible outage (seed pair, ping every 1 ms, median of {repeat})\n"
    );
    let _ = writeln!(
        report,
        "| event | implementation | median outage ms | median excess over protocol bound ms | worst excess ms |"
    );
    let _ = writeln!(report, "|---|---|---:|---:|---:|");
    for (label, cut) in [("graceful stop", false), ("link cut", true)] {
        for imp in imps {
            let mut outages = Vec::new();
            let mut excess = Vec::new();
            for _ in 0..repeat {
                let (o, bound) = one_failover(imp, cut);
                outages.push(o * 1000.0);
                excess.push((o - bound) * 1000.0);
            }
            let worst = excess.iter().cloned().fold(f64::MIN, f64::max);
            let line = format!(
                "| {label} | {} | {:.1} | {:.1} | {:.1} |",
                imp.name,
                median(&mut outages),
                median(&mut excess),
                worst
            );
            println!("outage {line}");
            let _ = writeln!(report, "{line}");
        }
    }
}

/// A 10 ms VRRPv3 pair of 10 instances under a CPU hog: counts state changes that
/// should not happen (the master losing mastership or the backup taking it). The hog is
/// `BENCH_HOGS` busy loops (default: four per core, as a loaded database host has
/// several runnable threads per core), first at normal priority, then at nice -10 (a
/// busy service given priority over the rest of the host).
fn hog(imps: &[Implementation], report: &mut String) {
    const NICE_LEVELS: [&str; 2] = ["0", "-10"];
    let seconds = env_number("BENCH_HOG_SECONDS", 30);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let hog_count = env_number("BENCH_HOGS", 4 * cores);
    let _ = writeln!(
        report,
        "\n## Spurious transitions under a CPU hog ({seconds} s each, 10 VRRPv3 instances at 10 ms, \
         {hog_count} busy loops on {cores} cores)\n"
    );
    let _ = writeln!(
        report,
        "| implementation | hog at nice 0 | hog at nice -10 |"
    );
    let _ = writeln!(report, "|---|---:|---:|");
    for imp in imps {
        let lab = Lab::new(&["a", "b"], false);
        let (na, nb) = (lab.node("a"), lab.node("b"));
        let a = imp.start(na, &pair::steady_instances(200));
        let b = imp.start(nb, &pair::steady_instances(100));
        let mut counts = Vec::new();
        for nice in NICE_LEVELS {
            // Settled: every VIP on a (after a spurious takeover, a preempts back).
            pair::settle(imp.name, na, nb);
            std::thread::sleep(Duration::from_secs(1));
            let before = pair::spurious(&a, &b);
            let hogs: Vec<std::process::Child> = (0..hog_count)
                .map(|_| {
                    Command::new("nice")
                        .args(["-n", nice, "sh", "-c", "while :; do :; done"])
                        .spawn()
                        .expect("hog")
                })
                .collect();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(seconds) {
                std::thread::sleep(Duration::from_millis(200));
            }
            for mut h in hogs {
                let _ = h.kill();
                let _ = h.wait();
            }
            std::thread::sleep(Duration::from_millis(500));
            counts.push(pair::spurious(&a, &b) - before);
        }
        let line = format!("| {} | {} | {} |", imp.name, counts[0], counts[1]);
        println!("hog {line}");
        let _ = writeln!(report, "{line}");
    }
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    lab::require_root();
    let imps = implementations();
    let mut report = String::from("# keepalived-rs vs keepalived: daemon benchmarks\n");
    if enabled("memory") {
        memory(&imps, &mut report);
    }
    if enabled("cpu") {
        cpu(&imps, &mut report);
    }
    if enabled("outage") {
        outage(&imps, &mut report);
    }
    if enabled("hog") {
        hog(&imps, &mut report);
    }
    if enabled("advert") {
        advert_cost::advert(&imps, ticks_per_second(), &mut report);
    }
    if enabled("foreign") {
        advert_cost::foreign(&imps, &imps[1], ticks_per_second(), &mut report);
    }
    println!("\n{report}");
    if let Ok(path) = std::env::var("BENCH_REPORT") {
        std::fs::write(&path, &report).expect("write report");
        println!("written to {path}");
    }
}
