//! `interface_up_down_delays` side by side with stock keepalived 2.2.7: node `a` runs our
//! daemon, node `b` stock keepalived, each a lone MASTER of its own VRID on the same
//! bridge, both with `interface_up_down_delays { eth0 2 3 }` (and `down_timer_adverts 5`,
//! so keepalived keeps delays of up to 4 s at 1 s adverts). Their cables are cut and
//! restored together, and each daemon is judged the same way:
//!
//! * cable cut: the instance stays MASTER (VIP held) for the 2 s down delay, then goes to
//!   FAULT ("Netlink reports eth0 down" 2 s after the cut, VIP gone);
//! * cable restored: the link is acted on 3 s later ("Netlink reports eth0 up"), and the
//!   instance leaves FAULT and becomes MASTER again;
//! * a 1 s flap: no FAULT at all (no new "Netlink reports" line, VIP held throughout);
//! * both log the same "eth0: Adding flags change from 0x… to 0x… delay by …" lines.
//!
//! Timings are measured from the cut (or restore) to the first appearance of the log line,
//! polled every 5 ms; both daemons must land within [`TOLERANCE`] of the delay.
//! Needs root and Debian's keepalived package; fails loudly without them.

mod lab;

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

use lab::{wait_for, Daemon, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";
const DOWN_DELAY: Duration = Duration::from_secs(2);
const UP_DELAY: Duration = Duration::from_secs(3);
/// Allowed lateness of a delayed change (netlink, scheduling, log writing, polling); it
/// may never come early by more than the polling step.
const TOLERANCE: Duration = Duration::from_millis(400);

fn config(vrid: u8, vip: Ipv4Addr) -> String {
    format!(
        "interface_up_down_delays {{\n    eth0 2 3\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id {vrid}\n    \
         priority 100\n    advert_int 1\n    down_timer_adverts 5\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
    )
}

/// How many lines of `log` contain `needle`.
fn count(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

/// The daemon's "Adding flags change" lines, without their timestamps.
fn delay_lines(d: &Daemon) -> Vec<String> {
    d.log_text()
        .lines()
        .filter_map(|l| {
            l.find("eth0: Adding flags change")
                .map(|i| l[i..].to_string())
        })
        .collect()
}

/// For each daemon, how long after `since` a new line with `needle` appeared (beyond
/// `before[i]` such lines), within `limit`.
fn appeared(
    daemons: [&Daemon; 2],
    needle: &str,
    before: [usize; 2],
    since: Instant,
    limit: Duration,
) -> [Option<Duration>; 2] {
    let mut seen = [None, None];
    while since.elapsed() < limit && seen.iter().any(Option::is_none) {
        for (i, d) in daemons.iter().enumerate() {
            if seen[i].is_none() && count(&d.log_text(), needle) > before[i] {
                seen[i] = Some(since.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    seen
}

fn assert_delay(what: &str, took: [Option<Duration>; 2], delay: Duration, logs: &str) {
    for (who, t) in ["ours", "keepalived"].iter().zip(took) {
        let t = t.unwrap_or_else(|| panic!("{what}: {who} never acted\n{logs}"));
        assert!(
            t + Duration::from_millis(10) >= delay && t <= delay + TOLERANCE,
            "{what}: {who} acted after {t:?}, expected {delay:?} (+{TOLERANCE:?})\n{logs}"
        );
    }
}

#[test]
fn link_changes_wait_for_their_delays_and_short_flaps_are_ignored_as_in_keepalived() {
    assert!(
        Path::new(STOCK).exists(),
        "{STOCK} is needed: install Debian's keepalived package (as .ci/run does)"
    );
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let (vip_a, vip_b) = (
        Ipv4Addr::new(198, 18, 0, 100),
        Ipv4Addr::new(198, 18, 0, 101),
    );
    let ours = Daemon::start(na, BIN.as_ref(), &config(61, vip_a));
    let stock = Daemon::start_stock(nb, STOCK.as_ref(), &config(62, vip_b));
    let logs = || {
        format!(
            "--- ours ---\n{}\n--- keepalived ---\n{}",
            ours.log_text(),
            stock.log_text()
        )
    };
    let masters = || na.has_address(vip_a) && nb.has_address(vip_b);
    assert!(
        wait_for(Duration::from_secs(10), masters).is_some(),
        "both should become MASTER\n{}",
        logs()
    );
    let cables = |connected: bool| {
        lab.set_cable(na, connected);
        lab.set_cable(nb, connected);
    };
    let counts = |needle: &str| [&ours, &stock].map(|d| count(&d.log_text(), needle));

    // A 1 s flap: no change is acted on, the VIPs stay.
    let (down0, up0) = (
        counts("Netlink reports eth0 down"),
        counts("Netlink reports eth0 up"),
    );
    cables(false);
    let flap = Instant::now();
    while flap.elapsed() < Duration::from_secs(1) {
        assert!(
            masters(),
            "a flap within the delay dropped a VIP\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    cables(true);
    while flap.elapsed() < DOWN_DELAY + Duration::from_secs(1) {
        assert!(
            masters(),
            "a flap within the delay dropped a VIP\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(counts("Netlink reports eth0 down"), down0, "{}", logs());
    assert_eq!(counts("Netlink reports eth0 up"), up0, "{}", logs());
    assert!(
        counts("eth0: Adding flags change").iter().all(|n| *n >= 1),
        "the flap should have been delayed\n{}",
        logs()
    );

    // Cut: MASTER for the down delay, then FAULT.
    let before = counts("Netlink reports eth0 down");
    cables(false);
    let cut = Instant::now();
    std::thread::sleep(DOWN_DELAY - Duration::from_millis(300));
    assert!(masters(), "a VIP went before the down delay\n{}", logs());
    let took = appeared(
        [&ours, &stock],
        "Netlink reports eth0 down",
        before,
        cut,
        DOWN_DELAY * 3,
    );
    assert_delay("link down", took, DOWN_DELAY, &logs());
    let gone = wait_for(Duration::from_secs(2), || {
        !na.has_address(vip_a) && !nb.has_address(vip_b)
    });
    assert!(gone.is_some(), "FAULT should remove the VIPs\n{}", logs());

    // Restore: acted on after the up delay, then back to MASTER.
    let before = counts("Netlink reports eth0 up");
    cables(true);
    let restored = Instant::now();
    let took = appeared(
        [&ours, &stock],
        "Netlink reports eth0 up",
        before,
        restored,
        UP_DELAY * 3,
    );
    assert_delay("link up", took, UP_DELAY, &logs());
    assert!(
        wait_for(Duration::from_secs(10), masters).is_some(),
        "both should be MASTER again\n{}",
        logs()
    );
    assert_eq!(delay_lines(&ours), delay_lines(&stock), "{}", logs());
}
