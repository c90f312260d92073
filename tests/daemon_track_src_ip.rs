//! `track_src_ip`, side by side with stock keepalived 2.2.7 on the same configuration:
//! with ours, an instance whose configured source address (`mcast_src_ip`) is deleted
//! from the interface enters FAULT, and leaves it when the address is added back, as the
//! keyword promises; an instance with the same source address but without `track_src_ip`
//! carries on, in both daemons; an instance whose tracked source address is missing at
//! start starts in FAULT. keepalived 2.2.7 logs the deletion but never faults the
//! instance (its test compares the configured `sockaddr` with the deleted `in_addr` and
//! never matches), nor checks the address at start (DIFFERENCES D16): the test records
//! that too.
//!
//! Each daemon runs alone on its node (the VRIDs differ), so both instances become master
//! first. The VIPs are in another subnet: deleting the node's primary address would also
//! delete VIPs of its own subnet (the kernel drops the secondaries with the primary). Needs root and stock keepalived; panics without them.

mod lab;

use std::time::Duration;

use lab::{wait_for, Daemon, Host, Lab};
use nix::sys::signal::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";

fn config(node: &Host, vrid: u8) -> String {
    let src = node.addr;
    let instance = |name: &str, vrid: u8, src: String, extra: &str| {
        format!(
            "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n priority 100\n \
             advert_int 1\n mcast_src_ip {src}\n{extra} virtual_ipaddress {{\n  198.19.0.{vrid}/24\n }}\n}}\n"
        )
    };
    format!(
        "{}{}{}",
        instance("VI_T", vrid, src.to_string(), " track_src_ip\n"),
        instance("VI_U", vrid + 1, src.to_string(), ""),
        // A source address the host does not have at start.
        instance("VI_S", vrid + 4, "198.18.0.99".into(), " track_src_ip\n"),
    )
}

/// Whether `line` appears in the daemon's log after byte `from`.
fn logged_after(d: &Daemon, from: usize, line: &str) -> bool {
    d.log_text().get(from..).is_some_and(|t| t.contains(line))
}

fn wait_logged(d: &Daemon, from: usize, line: &str, who: &str) {
    let seen = wait_for(Duration::from_secs(10), || logged_after(d, from, line));
    assert!(seen.is_some(), "{who}: no '{line}' in:\n{}", d.log_text());
}

#[test]
fn deleting_the_tracked_source_address_faults_the_instance_like_keepalived() {
    let lab = Lab::new(&["stock", "ours"], false);
    let (stock, ours) = (lab.node("stock"), lab.node("ours"));
    let mut daemons = [
        (
            "stock",
            stock,
            Daemon::start_stock(stock, STOCK.as_ref(), &config(stock, 1)),
        ),
        (
            "ours",
            ours,
            Daemon::start(ours, BIN.as_ref(), &config(ours, 3)),
        ),
    ];
    for (who, _, d) in &daemons {
        wait_logged(d, 0, "(VI_T) Entering MASTER STATE", who);
        wait_logged(d, 0, "(VI_U) Entering MASTER STATE", who);
    }
    let (stock_log, ours_log) = (&daemons[0].2, &daemons[1].2);
    assert!(
        logged_after(ours_log, 0, "(VI_S) Entering FAULT STATE"),
        "ours: a missing tracked source address faults at start:\n{}",
        ours_log.log_text()
    );
    // keepalived 2.2.7 does not look: the instance runs as if the address were there.
    assert!(
        logged_after(stock_log, 0, "(VI_S) Entering MASTER STATE"),
        "keepalived 2.2.7 now checks the source address at start: update DIFFERENCES D16"
    );

    let marks: Vec<usize> = daemons.iter().map(|(_, _, d)| d.log_text().len()).collect();
    for (_, host, _) in &daemons {
        host.ip(&["addr", "del", &format!("{}/24", host.addr), "dev", "eth0"]);
    }
    wait_logged(ours_log, marks[1], "(VI_T) Entering FAULT STATE", "ours");
    wait_logged(
        stock_log,
        marks[0],
        "Deassigned address 198.18.0.1 from interface eth0",
        "stock",
    );
    // Give an untracked instance (and keepalived's tracked one) time to follow.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !logged_after(stock_log, marks[0], "(VI_T) Entering FAULT STATE"),
        "keepalived 2.2.7 now faults on track_src_ip: update DIFFERENCES D16"
    );
    for ((who, _, d), &mark) in daemons.iter().zip(&marks) {
        assert!(
            !logged_after(d, mark, "(VI_U) Entering FAULT STATE"),
            "{who}: the untracked instance stays up:\n{}",
            d.log_text()
        );
    }

    let marks: Vec<usize> = daemons.iter().map(|(_, _, d)| d.log_text().len()).collect();
    for (_, host, _) in &daemons {
        host.ip(&["addr", "add", &format!("{}/24", host.addr), "dev", "eth0"]);
    }
    wait_logged(
        &daemons[1].2,
        marks[1],
        "(VI_T) Entering MASTER STATE",
        "ours",
    );

    for (_, _, d) in &mut daemons {
        d.signal(Signal::SIGTERM);
        assert!(
            d.wait_exit(Duration::from_secs(10)).is_some(),
            "daemon stops"
        );
    }
}
