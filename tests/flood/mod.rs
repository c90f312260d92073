//! A hostile flood against a real pair (issue 15): two daemons (ours, or stock keepalived)
//! in a lab, and a client that sends invalid VRRP packets of one kind after another at a
//! fixed rate from a raw socket. Each kind's spurious transitions (any "Entering …
//! STATE" line in either daemon's log while it is flooded) are counted.
//!
//! The junk is the deterministic simulation's ([`adversary::junk_kinds`]): would-be-winning
//! adverts with one thing wrong, some from spoofed sources. Shared by the test
//! `daemon_hostile_flood` (short) and the bench `hostile_flood` (long).
#![allow(dead_code)]

#[path = "../sim/adversary.rs"]
pub mod adversary;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::{password_bytes, AuthConfig, InstanceConfig};
use rand::SeedableRng;
use socket2::SockAddr;

use crate::lab::{wait_for, Daemon, Host, Lab};

pub const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
/// A quiet moment after each kind, still counted against it (a late reaction).
const AFTER: Duration = Duration::from_millis(500);

/// Ours or stock keepalived.
#[derive(Clone, Debug)]
pub struct Implementation {
    pub name: &'static str,
    pub binary: PathBuf,
    pub stock: bool,
}

/// The stock binary (`KEEPALIVED`, default /usr/sbin/keepalived); panics when missing.
pub fn stock_keepalived() -> PathBuf {
    let path = PathBuf::from(
        std::env::var("KEEPALIVED").unwrap_or_else(|_| "/usr/sbin/keepalived".into()),
    );
    assert!(
        path.exists(),
        "stock keepalived not found at {} (apt-get install keepalived, or set KEEPALIVED)",
        path.display()
    );
    path
}

/// The pair's configuration: VRRPv2 with PASS auth, so every v2 check applies.
fn config(priority: u8, state: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state {state}\n    interface eth0\n    virtual_router_id 51\n    \
         priority {priority}\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        \
         auth_pass secret12\n    }}\n    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    )
}

/// The same instance as the core sees it, for building the junk.
fn template() -> InstanceConfig {
    let mut c = InstanceConfig::new("VI_1", 51, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1)));
    c.auth = AuthConfig::Pass(password_bytes("secret12"));
    c.vips = vec![VIP.into()];
    c
}

/// Every kind with a few variants each (spoofed sources and garbage differ per draw).
pub fn kinds() -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(15);
    let mut out: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    for _ in 0..6 {
        for (name, bytes) in adversary::junk_kinds(&template(), &mut rng) {
            out.entry(name).or_default().push(bytes);
        }
    }
    out
}

/// What one implementation did under the flood.
#[derive(Debug, Default)]
pub struct Report {
    /// Spurious transitions per kind.
    pub transitions: BTreeMap<&'static str, usize>,
    pub packets_sent: u64,
    /// Log lines either daemon wrote while flooded.
    pub log_lines: usize,
    /// Our daemons' "N similar messages suppressed" lines.
    pub suppression_lines: usize,
}

fn transitions(d: &Daemon) -> usize {
    d.log_text().matches("Entering ").count()
}

/// Starts the pair, waits for node a to hold the VIP, then floods each kind for
/// `per_kind` at `rate` packets a second.
pub fn run(imp: &Implementation, per_kind: Duration, rate: u32) -> Report {
    let lab = Lab::new(&["a", "b"], true);
    let (na, nb, client) = (lab.node("a"), lab.node("b"), lab.client());
    client.ip(&["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    let start = |host: &Host, priority, state| {
        if imp.stock {
            Daemon::start_stock(host, &imp.binary, &config(priority, state))
        } else {
            Daemon::start(host, &imp.binary, &config(priority, state))
        }
    };
    let a = start(na, 150, "MASTER");
    let b = start(nb, 100, "BACKUP");
    let settled = wait_for(Duration::from_secs(15), || {
        na.has_address(VIP) && !nb.has_address(VIP)
    });
    assert!(settled.is_some(), "{}: the pair did not settle", imp.name);
    std::thread::sleep(Duration::from_secs(1));
    let lines_before = a.log_text().lines().count() + b.log_text().lines().count();
    let mut report = Report::default();
    for (kind, packets) in kinds() {
        let before = transitions(&a) + transitions(&b);
        report.packets_sent += flood(client, &packets, per_kind, rate);
        std::thread::sleep(AFTER);
        let spurious = transitions(&a) + transitions(&b) - before;
        report.transitions.insert(kind, spurious);
    }
    let (la, lb) = (a.log_text(), b.log_text());
    report.log_lines = la.lines().count() + lb.lines().count() - lines_before;
    report.suppression_lines = format!("{la}{lb}")
        .matches("similar messages suppressed")
        .count();
    report
}

/// Sends `packets` round-robin from `client` for `length` at `rate` a second (on an
/// absolute schedule, so a late wake-up is caught up); returns the number sent.
fn flood(client: &Host, packets: &[Vec<u8>], length: Duration, rate: u32) -> u64 {
    let packets = packets.to_vec();
    client.in_namespace(move || {
        // We write the IP header (TTL, spoofed source) ourselves.
        let sock = Host::raw_ipv4_socket();
        let gap = Duration::from_secs(1) / rate;
        let t0 = Instant::now();
        let mut sent = 0u64;
        while t0.elapsed() < length {
            let due = t0 + gap * sent as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let p = &packets[sent as usize % packets.len()];
            let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
            // A send the kernel refuses (e.g. a buffer full for a moment) is not retried.
            let _ = sock.send_to(p, &SockAddr::from(SocketAddrV4::new(dst, 0)));
            sent += 1;
        }
        sent
    })
}

/// Ours (the binary cargo built) and stock keepalived.
pub fn implementations(ours: &Path) -> Vec<Implementation> {
    vec![
        Implementation {
            name: "keepalived-rs",
            binary: ours.to_path_buf(),
            stock: false,
        },
        Implementation {
            name: "keepalived 2.2.7",
            binary: stock_keepalived(),
            stock: true,
        },
    ]
}

/// Runs every implementation at once (each in its own lab), so the wall time is one run's.
pub fn run_all(ours: &Path, per_kind: Duration, rate: u32) -> Vec<(Implementation, Report)> {
    let handles: Vec<_> = implementations(ours)
        .into_iter()
        .map(|imp| {
            std::thread::spawn(move || {
                let r = run(&imp, per_kind, rate);
                (imp, r)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("flood run"))
        .collect()
}

/// A table: one row per kind, one column per implementation.
pub fn table(results: &[(Implementation, Report)], per_kind: Duration, rate: u32) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "spurious transitions under {rate} invalid packets/s, {per_kind:?} per kind\n{:<22}",
        "kind"
    );
    for (imp, _) in results {
        let _ = write!(out, "{:>18}", imp.name);
    }
    out.push('\n');
    let kinds: Vec<&str> = results[0].1.transitions.keys().copied().collect();
    for kind in kinds {
        let _ = write!(out, "{kind:<22}");
        for (_, r) in results {
            let _ = write!(out, "{:>18}", r.transitions[kind]);
        }
        out.push('\n');
    }
    for (imp, r) in results {
        let _ = writeln!(
            out,
            "{}: {} packets sent, {} log lines while flooded ({} suppression lines)",
            imp.name, r.packets_sent, r.log_lines, r.suppression_lines
        );
    }
    out
}
