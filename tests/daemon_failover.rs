//! The seed scenario end to end (issue 4): two nodes running our daemon with the seed's
//! configuration (both `state MASTER`, priorities 101/100, VRID 41, PASS 1111, one VIP)
//! and a client probing the VIP every 5 ms, in network namespaces on a bridge.
//! Needs root; panics (never skips) without it.

mod lab;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use lab::{wait_for, Daemon, Lab, Prober};
use nix::sys::signal::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
/// Skew_Time of the priority-100 backup at advert_int 1: (256 - 100) / 256 s.
const BACKUP_SKEW: Duration = Duration::from_micros(609_375);
/// Master_Down_Interval of that backup: 3 × 1 s + skew.
const BACKUP_MASTER_DOWN: Duration = Duration::from_micros(3_609_375);
/// Scheduling, netlink and namespace overhead allowed on top of a protocol bound.
const MARGIN: Duration = Duration::from_millis(500);

/// The seed's configuration (the samples/ pair), on interface eth0.
fn seed_config(priority: u8, extra_vips: &[&str]) -> String {
    let mut vips = String::from("        198.18.0.100/24\n");
    for v in extra_vips {
        vips.push_str(&format!("        {v}\n"));
    }
    format!(
        "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 41\n    \
         priority {priority}\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        \
         auth_pass 1111\n    }}\n    virtual_ipaddress {{\n{vips}    }}\n}}\n"
    )
}

/// Starts the pair and waits until the priority-101 node `a` holds the VIP.
fn start_pair(lab: &Lab) -> (Daemon, Daemon) {
    let a = Daemon::start(lab.node("a"), BIN.as_ref(), &seed_config(101, &[]));
    let b = Daemon::start(lab.node("b"), BIN.as_ref(), &seed_config(100, &[]));
    let took = wait_for(Duration::from_secs(10), || {
        lab.node("a").has_address(VIP) && !lab.node("b").has_address(VIP)
    });
    assert!(
        took.is_some(),
        "the VIP never settled on node a\n--- a ---\n{}\n--- b ---\n{}",
        a.log_text(),
        b.log_text()
    );
    (a, b)
}

#[test]
fn seed_pair_fails_over_on_stop_and_link_cut_and_preempts_back() {
    let lab = Lab::new(&["a", "b"], true);
    let (mut a, b) = start_pair(&lab);
    let (na, nb, client) = (lab.node("a"), lab.node("b"), lab.client());

    // The client reaches the VIP and its ARP entry points at node a.
    client.exec(&["ping", "-c", "1", "-W", "1", "198.18.0.100"]);
    let neigh = client.ip(&["neigh", "show", "198.18.0.100"]);
    assert!(
        neigh.contains(&na.mac()),
        "client ARP entry {neigh:?} does not point at node a ({})",
        na.mac()
    );

    // Graceful stop: a sends priority 0, b takes over after its skew time.
    let probe = Prober::start(client, VIP);
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    a.signal(Signal::SIGTERM);
    let moved = wait_for(BACKUP_SKEW + MARGIN + MARGIN, || nb.has_address(VIP))
        .expect("VIP did not move to b after stopping a");
    assert_eq!(a.wait_exit(Duration::from_secs(5)), Some(0), "a exits 0");
    assert!(!na.has_address(VIP), "a removed the VIP when stopping");
    std::thread::sleep(Duration::from_millis(300));
    let (outage, replies) = probe.stop();
    println!(
        "graceful stop: VIP on b after {:?} (bound {:?}); client outage {:?} over {replies} replies",
        moved, BACKUP_SKEW, outage
    );
    assert!(
        moved <= BACKUP_SKEW + MARGIN,
        "takeover took {moved:?}, bound {BACKUP_SKEW:?} + {MARGIN:?}"
    );
    assert!(t0.elapsed() > BACKUP_SKEW, "b did not wait its skew time");
    assert!(
        a.logged("(VI_1) sent 0 priority"),
        "a logs its priority-0 advert"
    );
    assert!(
        !lab.node("a").dir.join("keepalived.pid").exists(),
        "pid file removed on exit"
    );

    // a comes back and preempts (priority 101 > 100).
    let a = Daemon::start(na, BIN.as_ref(), &seed_config(101, &[]));
    let back = wait_for(Duration::from_secs(8), || {
        na.has_address(VIP) && !nb.has_address(VIP)
    });
    assert!(back.is_some(), "a did not preempt back:\n{}", a.log_text());
    assert!(b.logged("Master received advert from 198.18.0.1 with higher priority 101, ours 100"));

    // Cutting a's cable: a goes FAULT, b takes over after Master_Down_Interval.
    std::thread::sleep(Duration::from_millis(1500));
    let probe = Prober::start(client, VIP);
    std::thread::sleep(Duration::from_millis(200));
    lab.set_cable(na, false);
    let moved = wait_for(BACKUP_MASTER_DOWN + MARGIN * 2, || nb.has_address(VIP))
        .expect("VIP did not move to b after cutting a's link");
    std::thread::sleep(Duration::from_millis(300));
    let (outage, _) = probe.stop();
    println!(
        "link cut: VIP on b after {moved:?} (bound {BACKUP_MASTER_DOWN:?}); client outage {outage:?}"
    );
    assert!(moved <= BACKUP_MASTER_DOWN + MARGIN, "took {moved:?}");
    assert!(
        wait_for(Duration::from_secs(2), || a
            .logged("(VI_1) Entering FAULT STATE"))
        .is_some(),
        "a enters FAULT when its link goes down:\n{}",
        a.log_text()
    );
    assert!(!na.has_address(VIP), "a removed the VIP in FAULT");

    // Cable back: a leaves FAULT as BACKUP and preempts once its down timer runs out.
    lab.set_cable(na, true);
    let back = wait_for(Duration::from_secs(8), || {
        na.has_address(VIP) && !nb.has_address(VIP)
    });
    assert!(back.is_some(), "a did not return:\n{}", a.log_text());
}

#[test]
fn reload_keeps_the_master_without_a_flap_and_refuses_a_broken_config() {
    let lab = Lab::new(&["a", "b"], false);
    let (a, b) = start_pair(&lab);
    let na = lab.node("a");
    let extra = Ipv4Addr::new(198, 18, 0, 101);

    // A valid reload that adds a VIP: the master stays master, the old VIP never goes
    // away, the new one appears, and the backup never takes over.
    std::fs::write(&a.config, seed_config(101, &["198.18.0.101/24"])).unwrap();
    // (Both nodes start as BACKUP and may race for mastership at start-up; only what
    // happens from the reload on counts.)
    let b_log_before = b.log_text().len();
    a.signal(Signal::SIGHUP);
    let start = Instant::now();
    let mut flapped = false;
    while start.elapsed() < Duration::from_millis(2500) {
        flapped |= !na.has_address(VIP);
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!flapped, "the VIP disappeared during the reload");
    assert!(
        na.has_address(extra),
        "the added VIP was installed:\n{}",
        a.log_text()
    );
    assert!(a.logged("Reload complete"));
    assert_eq!(
        b.log_text()[b_log_before..]
            .matches("Entering MASTER STATE")
            .count(),
        0,
        "the backup took over during the reload:\n{}",
        b.log_text()
    );

    // Removing the VIP again by reload removes only that address.
    std::fs::write(&a.config, seed_config(101, &[])).unwrap();
    a.signal(Signal::SIGHUP);
    assert!(
        wait_for(Duration::from_secs(3), || !na.has_address(extra)).is_some(),
        "the removed VIP stayed"
    );
    assert!(na.has_address(VIP));

    // A broken configuration is refused and changes nothing.
    let mut broken = seed_config(101, &["198.18.0.102/24"]);
    broken.push_str("vrrp_instance VI_2 {\n");
    std::fs::write(&a.config, broken).unwrap();
    a.signal(Signal::SIGHUP);
    assert!(
        wait_for(Duration::from_secs(3), || a.logged("Reload refused")).is_some(),
        "no refusal logged:\n{}",
        a.log_text()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(na.has_address(VIP));
    assert!(!na.has_address(Ipv4Addr::new(198, 18, 0, 102)));
}

#[test]
fn stats_dump_and_clear_and_second_instance_refused() {
    let lab = Lab::new(&["a", "b"], false);
    let (a, _b) = start_pair(&lab);
    let stats = a.dir.join("keepalived.stats");

    a.signal(Signal::SIGUSR2);
    assert!(wait_for(Duration::from_secs(2), || stats.exists()).is_some());
    let text = std::fs::read_to_string(&stats).unwrap();
    assert!(text.starts_with("VRRP Instance: VI_1\n"), "{text}");
    let sent = field(&text, "Sent:");
    assert!(sent >= 1, "the master has sent adverts: {text}");
    assert_eq!(field(&text, "Became master:"), 1, "{text}");

    // SIGRTMAX-1 clears the counters.
    a.signal_number(libc::SIGRTMAX() - 1);
    std::thread::sleep(Duration::from_millis(200));
    std::fs::remove_file(&stats).unwrap();
    a.signal(Signal::SIGUSR2);
    assert!(wait_for(Duration::from_secs(2), || stats.exists()).is_some());
    let text = std::fs::read_to_string(&stats).unwrap();
    assert_eq!(field(&text, "Became master:"), 0, "{text}");

    // A second daemon on the same pid file refuses to start.
    let mut second = Daemon::start(lab.node("a"), BIN.as_ref(), &seed_config(101, &[]));
    let code = second.wait_exit(Duration::from_secs(5));
    assert_eq!(code, Some(1), "{}", second.log_text());
    assert!(second.logged("already running"), "{}", second.log_text());
}

/// The first number after `label` in a stats dump.
fn field(text: &str, label: &str) -> u64 {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {label} in {text}"))
}
