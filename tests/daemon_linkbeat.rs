//! Link polling (`linkbeat_use_polling`, `linkbeat_interfaces`), side by side with stock
//! keepalived 2.2.7 on the same configuration: each daemon runs alone on its node (the
//! VRIDs differ) and becomes master; then the node's link goes away twice — its cable
//! (the bridge port of its veth goes down, so `eth0` loses carrier) and `eth0` itself
//! (`ip link set eth0 down`) — and comes back. Both daemons must see each loss and
//! return through their poller ("Linkbeat reports eth0 down|up", never netlink's "Netlink
//! reports …" for the polled interface), enter FAULT and leave it, within keepalived's
//! polling interval (1 s) plus a tolerance.
//!
//! The second variant names the interface in a `linkbeat_interfaces` block with the MII
//! method, which a veth does not answer: both daemons fall back to ETHTOOL and say so,
//! and a block line for an interface no instance uses (`lo`) is turned off with
//! keepalived's line. Needs root and stock keepalived; panics without them.

mod lab;

use std::time::{Duration, Instant};

use lab::{wait_for, Daemon, Host, Lab};
use nix::sys::signal::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";

/// keepalived's polling interval, plus what a loaded CI host may add (the wait for the
/// next poll, the log line, our 5 ms log watch).
const DETECTION_LIMIT: Duration = Duration::from_millis(2500);

fn config(head: &str, vrid: u8) -> String {
    format!(
        "{head}\nvrrp_instance VI_L {{\n interface eth0\n virtual_router_id {vrid}\n priority 100\n \
         advert_int 1\n virtual_ipaddress {{\n  198.19.0.{vrid}/24\n }}\n}}\n"
    )
}

/// Whether `line` appears in the daemon's log after byte `from`.
fn logged_after(d: &Daemon, from: usize, line: &str) -> bool {
    d.log_text().get(from..).is_some_and(|t| t.contains(line))
}

/// Waits for `line` after `from`; returns how long it took.
fn wait_logged(d: &Daemon, from: usize, line: &str, who: &str, limit: Duration) -> Duration {
    let seen = wait_for(limit, || logged_after(d, from, line));
    seen.unwrap_or_else(|| panic!("{who}: no '{line}' within {limit:?} in:\n{}", d.log_text()))
}

/// One loss of link and its return, on both nodes at once: `set(host, up)` makes it.
fn flap(daemons: &[(&str, &Host, Daemon)], what: &str, set: impl Fn(&Host, bool)) {
    for (up, word, state) in [(false, "down", "FAULT"), (true, "up", "BACKUP")] {
        let marks: Vec<usize> = daemons.iter().map(|(_, _, d)| d.log_text().len()).collect();
        let start = Instant::now();
        for (_, host, _) in daemons {
            set(host, up);
        }
        for ((who, _, d), &mark) in daemons.iter().zip(&marks) {
            let limit = DETECTION_LIMIT.saturating_sub(start.elapsed()) + Duration::from_millis(1);
            wait_logged(
                d,
                mark,
                &format!("Linkbeat reports eth0 {word}"),
                who,
                limit,
            );
            wait_logged(
                d,
                mark,
                &format!("(VI_L) Entering {state} STATE"),
                who,
                Duration::from_secs(2),
            );
            assert!(
                !logged_after(d, mark, "Netlink reports eth0"),
                "{who}: netlink's link events of a polled interface are ignored ({what} {word}):\n{}",
                d.log_text()
            );
        }
    }
}

/// Starts both daemons on `head` + one instance, waits for MASTER, then takes the link
/// down and up twice (cable, then the interface itself); `expect_at_start`: lines both
/// log before that.
fn run_side_by_side(head: &str, expect_at_start: &[String]) {
    let lab = Lab::new(&["stock", "ours"], false);
    let (stock, ours) = (lab.node("stock"), lab.node("ours"));
    let mut daemons = [
        (
            "stock",
            stock,
            Daemon::start_stock(stock, STOCK.as_ref(), &config(head, 1)),
        ),
        (
            "ours",
            ours,
            Daemon::start(ours, BIN.as_ref(), &config(head, 2)),
        ),
    ];
    for (who, _, d) in &daemons {
        wait_logged(
            d,
            0,
            "(VI_L) Entering MASTER STATE",
            who,
            Duration::from_secs(10),
        );
        for line in expect_at_start {
            assert!(
                logged_after(d, 0, line),
                "{who}: no '{line}' at start:\n{}",
                d.log_text()
            );
        }
    }
    flap(&daemons, "cable", |host, up| lab.set_cable(host, up));
    flap(&daemons, "interface", |host, up| {
        host.ip(&["link", "set", "eth0", if up { "up" } else { "down" }]);
    });
    for (_, _, d) in &mut daemons {
        d.signal(Signal::SIGTERM);
        assert!(
            d.wait_exit(Duration::from_secs(10)).is_some(),
            "daemon stops"
        );
    }
}

#[test]
fn top_level_polling_faults_and_recovers_like_keepalived() {
    run_side_by_side(
        "linkbeat_use_polling",
        &["Using MII-BMSR/ETHTOOL NIC polling thread(s)...".to_string()],
    );
}

#[test]
fn a_linkbeat_interfaces_method_falls_back_like_keepalived() {
    run_side_by_side(
        "linkbeat_interfaces {\n eth0 MII\n lo\n}",
        &[
            "(eth0): Configured linkbeat type MII not supported, using ETHTOOL".to_string(),
            "Turning off linkbeat for lo since not used for tracking".to_string(),
            "Using MII-BMSR/ETHTOOL NIC polling thread(s)...".to_string(),
        ],
    );
}
