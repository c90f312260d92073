//! Issue 15: our daemon's open descriptors and memory stay flat over 10,000 state
//! transitions in one process's life (the chaos soak kills and restarts nodes too often
//! for any one process to see that many).
//!
//! One lab node runs the daemon: one VRRPv3 instance at 10 ms adverts with one VIP. The
//! lab's client plays a rival router from a raw socket, over and over:
//!
//! ```text
//!   rival: prio 254 advert ──► node: MASTER → BACKUP (a higher priority wins at once)
//!   rival: prio 0 advert   ──► node: BACKUP → MASTER after Skew_Time (about 6 ms)
//! ```
//!
//! Each transition adds or removes the VIP over netlink, sends gratuitous ARPs and logs
//! the state change: the paths whose leaks a long-lived daemon would show. Descriptors
//! (`/proc/PID/fd`) and VmRSS are sampled about every 1,000 transitions; after the first
//! sample (start-up allocations settled), the last must be within 4 descriptors and 4 MiB
//! of it, the soak's own bound. Stock keepalived 2.2.7 (its VRRP process) gets the same
//! storm in its own lab at the same time; its figures are printed beside ours, not
//! asserted.
//!
//! `TRANSITIONS` (default 10,000) sets the count. Needs root and /usr/sbin/keepalived;
//! panics (never skips) without them.

mod lab;

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::advert::{encode, AdvertFields};
use keepalived_rs::vrrp::{InstanceConfig, Version};
use lab::side_by_side::{require_stock, OURS, STOCK};
use lab::{fds_and_rss, wait_for, Daemon, Host, Lab};
use socket2::SockAddr;

const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
const VRID: u8 = 61;
/// Transitions between samples.
const SAMPLE_EVERY: usize = 1_000;
/// The soak's bound for a flat process (invariant 5 in conformance/SOAK.md).
const MAX_FD_GROWTH: usize = 4;
const MAX_RSS_GROWTH_KIB: u64 = 4 * 1024;
/// A hard stop, whatever the count: a daemon that stops reacting must not hang CI.
const TIME_LIMIT: Duration = Duration::from_secs(400);

const CONFIG: &str = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    version 3
    virtual_router_id 61
    priority 100
    advert_int 0.01
    virtual_ipaddress {
        198.18.0.100/24
    }
}
";

/// One sample: transitions so far, open descriptors, VmRSS in KiB.
#[derive(Clone, Copy, Debug)]
struct Sample {
    transitions: usize,
    fds: usize,
    rss_kib: u64,
}

/// What one daemon did under the storm.
struct Outcome {
    name: &'static str,
    samples: Vec<Sample>,
    elapsed: Duration,
}

impl Outcome {
    fn first_and_last(&self) -> Option<(Sample, Sample)> {
        // The first sample is taken after SAMPLE_EVERY transitions, not at start-up.
        Some((*self.samples.first()?, *self.samples.last()?))
    }

    fn line(&self) -> String {
        match self.first_and_last() {
            Some((a, b)) => format!(
                "{:<18} {:>6} transitions in {:>5.1} s   fds {} -> {}   VmRSS {} -> {} KiB",
                self.name,
                b.transitions,
                self.elapsed.as_secs_f64(),
                a.fds,
                b.fds,
                a.rss_kib,
                b.rss_kib
            ),
            None => format!(
                "{:<18} no sample (the daemon made no transitions)",
                self.name
            ),
        }
    }
}

/// The rival's advert with `priority`, as a whole IPv4 packet from the client's address.
fn rival_advert(priority: u8) -> Vec<u8> {
    let mut cfg = InstanceConfig::new("rival", VRID, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 200)));
    cfg.version = Version::V3;
    cfg.advert_int = Duration::from_millis(10);
    cfg.vips = vec![VIP.into()];
    let dst = cfg.multicast_group();
    encode(
        &cfg,
        &AdvertFields {
            priority,
            ip_id: 0,
            ah_seq: 0,
            dst,
            checksum_dst: dst,
            ttl: 255,
        },
    )
}

/// The pid whose resources are sampled: the VRRP process (its pid file: stock keepalived's
/// VRRP child, or our single process).
fn vrrp_pid(d: &Daemon) -> Option<u32> {
    fs::read_to_string(d.dir.join("vrrp.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn transitions(d: &Daemon) -> usize {
    d.log_text().matches("Entering ").count()
}

/// Runs the storm against `binary` in a fresh lab until `target` transitions (or the time
/// limit), sampling as it goes.
fn storm(name: &'static str, binary: &Path, stock: bool, target: usize) -> Outcome {
    let lab = Lab::new(&["a"], true);
    let (node, client) = (lab.node("a"), lab.client());
    client.ip(&["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    let daemon = if stock {
        Daemon::start_stock(node, binary, CONFIG)
    } else {
        Daemon::start(node, binary, CONFIG)
    };
    let up = wait_for(Duration::from_secs(15), || node.has_address(VIP));
    assert!(up.is_some(), "{name}: never became MASTER alone");
    let pid = vrrp_pid(&daemon).unwrap_or_else(|| panic!("{name}: no VRRP pid file"));
    let started = Instant::now();
    let mut samples = Vec::new();
    let base = transitions(&daemon);
    while started.elapsed() < TIME_LIMIT {
        rival_burst(client, 50);
        let done = transitions(&daemon) - base;
        // Every SAMPLE_EVERY transitions, and once more at the end.
        if done >= (samples.len() + 1) * SAMPLE_EVERY || done >= target {
            let (fds, rss_kib) =
                fds_and_rss(pid).unwrap_or_else(|| panic!("{name}: the daemon died"));
            samples.push(Sample {
                transitions: done,
                fds,
                rss_kib,
            });
        }
        if done >= target {
            break;
        }
    }
    Outcome {
        name,
        samples,
        elapsed: started.elapsed(),
    }
}

/// `cycles` rounds of (priority 254, 4 ms, priority 0, 16 ms) from the client's namespace.
fn rival_burst(client: &Host, cycles: usize) {
    client.in_namespace(move || {
        // The packet carries its own IP header (TTL 255, our source).
        let sock = Host::raw_ipv4_socket();
        let to = SockAddr::from(SocketAddrV4::new(Ipv4Addr::new(224, 0, 0, 18), 0));
        let (win, resign) = (rival_advert(254), rival_advert(0));
        for _ in 0..cycles {
            sock.send_to(&win, &to).expect("send the winning advert");
            std::thread::sleep(Duration::from_millis(4));
            sock.send_to(&resign, &to)
                .expect("send the resigning advert");
            std::thread::sleep(Duration::from_millis(16));
        }
    })
}

#[test]
fn descriptors_and_memory_stay_flat_over_ten_thousand_transitions() {
    lab::require_root();
    require_stock();
    let target: usize = std::env::var("TRANSITIONS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(10_000);
    let stock = std::thread::spawn(move || storm("keepalived 2.2.7", STOCK.as_ref(), true, target));
    let ours = storm("keepalived-rs", OURS.as_ref(), false, target);
    let stock = stock.join().expect("the stock storm");
    println!("{}\n{}", ours.line(), stock.line());
    for s in &ours.samples {
        println!("  ours {s:?}");
    }
    let (first, last) = ours.first_and_last().expect("ours made transitions");
    assert!(
        last.transitions >= target,
        "ours made {} of {target} transitions in {:?}",
        last.transitions,
        ours.elapsed
    );
    assert!(
        last.fds <= first.fds + MAX_FD_GROWTH,
        "descriptors grew: {first:?} -> {last:?}"
    );
    assert!(
        last.rss_kib <= first.rss_kib + MAX_RSS_GROWTH_KIB,
        "memory grew: {first:?} -> {last:?}"
    );
}
