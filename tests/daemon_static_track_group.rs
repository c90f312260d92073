//! Static track groups (`track_group NAME { group { … } }` and the `track_group NAME`
//! option of static lines), side by side with stock keepalived 2.2.7 on the same
//! configuration: while the interface of a static address and route naming the group is
//! down, the group's instance is in FAULT and an instance outside the group carries on;
//! when the interface comes back the static address and route are put back (the kernel
//! dropped the route with the link) and the instance returns to MASTER; a static address
//! deleted behind the daemon's back is put back at once. Both daemons log the same
//! `Restoring deleted static …` lines, and neither lists the group's interface among the
//! instance's tracked interfaces in its data dump.
//!
//! Each daemon runs alone on its node (the VRIDs differ), so both instances become
//! master. The static entries are the same on both nodes, so the log lines about them
//! are compared as they are. Needs root and stock keepalived; panics without them.

mod lab;

use std::time::Duration;

use lab::{wait_for, Daemon, Host, Lab};
use nix::sys::signal::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";

const STATIC_ADDRESS: &str = "198.19.1.1/24";
const STATIC_ROUTE: &str = "198.19.2.0/24";
const ADDRESS_LINE: &str =
    "Restoring deleted static address 198.19.1.1/24 dev eth1 scope global track_group TG set";
const ROUTE_LINE: &str =
    "Restoring deleted static route prepend 198.19.2.0/24 dev eth1 proto 18 track_group TG";

fn config(vrid: u8) -> String {
    let instance = |name: &str, vrid: u8| {
        format!(
            "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n priority 100\n \
             advert_int 1\n virtual_ipaddress {{\n  198.19.0.{vrid}/24\n }}\n}}\n"
        )
    };
    format!(
        "track_group TG {{\n group {{\n  VI_T\n }}\n}}\n\
         static_ipaddress {{\n {STATIC_ADDRESS} dev eth1 track_group TG\n}}\n\
         static_routes {{\n {STATIC_ROUTE} dev eth1 track_group TG\n}}\n{}{}",
        instance("VI_T", vrid),
        instance("VI_U", vrid + 1),
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

fn has_route(host: &Host) -> bool {
    host.ip(&["route", "show", STATIC_ROUTE]).contains("eth1")
}

fn has_static_address(host: &Host) -> bool {
    host.ip(&["-4", "addr", "show", "dev", "eth1"])
        .contains(STATIC_ADDRESS)
}

/// Waits until `what` holds on both hosts.
fn wait_both(daemons: &[(&str, &Host, Daemon)], what: &str, cond: fn(&Host) -> bool) {
    for (who, host, d) in daemons {
        let held = wait_for(Duration::from_secs(10), || cond(host));
        assert!(held.is_some(), "{who}: {what}; log:\n{}", d.log_text());
    }
}

fn marks(daemons: &[(&str, &Host, Daemon)]) -> Vec<usize> {
    daemons.iter().map(|(_, _, d)| d.log_text().len()).collect()
}

#[test]
fn a_static_entrys_interface_going_down_faults_the_group_like_keepalived() {
    let lab = Lab::with_segments(&["stock", "ours"], false, 2);
    let (stock, ours) = (lab.node("stock"), lab.node("ours"));
    let mut daemons = [
        (
            "stock",
            stock,
            Daemon::start_stock(stock, STOCK.as_ref(), &config(1)),
        ),
        ("ours", ours, Daemon::start(ours, BIN.as_ref(), &config(3))),
    ];
    for (who, _, d) in &daemons {
        wait_logged(d, 0, "(VI_T) Entering MASTER STATE", who);
        wait_logged(d, 0, "(VI_U) Entering MASTER STATE", who);
    }
    wait_both(
        &daemons,
        "the static address is installed",
        has_static_address,
    );
    wait_both(&daemons, "the static route is installed", has_route);
    // The data dump lists an instance's track_interface entries only, not what a track
    // group makes it track.
    for (who, _, d) in &daemons {
        let dump = d.dir.join("keepalived.data");
        let _ = std::fs::remove_file(&dump);
        d.signal(Signal::SIGUSR1);
        let read = || std::fs::read_to_string(&dump).unwrap_or_default();
        let written = wait_for(Duration::from_secs(10), || {
            read().contains("VRRP Instance = VI_U")
        });
        assert!(written.is_some(), "{who}: no data dump");
        assert!(
            !read().contains("Tracked interfaces"),
            "{who}: the group's interface is not listed:\n{}",
            read()
        );
    }

    // The static lines' interface goes down: the group's instance goes to FAULT.
    let at = marks(&daemons);
    for (_, host, _) in &daemons {
        host.ip(&["link", "set", "eth1", "down"]);
    }
    for ((who, _, d), &mark) in daemons.iter().zip(&at) {
        wait_logged(d, mark, "Netlink reports eth1 down", who);
        wait_logged(d, mark, "(VI_T) Entering FAULT STATE", who);
    }
    std::thread::sleep(Duration::from_millis(1500));
    for ((who, _, d), &mark) in daemons.iter().zip(&at) {
        assert!(
            !logged_after(d, mark, "(VI_U) Entering FAULT STATE"),
            "{who}: an instance outside the group carries on:\n{}",
            d.log_text()
        );
    }
    for (who, host, _) in &daemons {
        assert!(
            !has_route(host),
            "{who}: the kernel drops the route with the link"
        );
    }

    // Back up: the static entries on it are put back, the instance leaves FAULT.
    let at = marks(&daemons);
    for (_, host, _) in &daemons {
        host.ip(&["link", "set", "eth1", "up"]);
    }
    for ((who, _, d), &mark) in daemons.iter().zip(&at) {
        wait_logged(d, mark, "Netlink reports eth1 up", who);
        wait_logged(d, mark, ADDRESS_LINE, who);
        wait_logged(d, mark, ROUTE_LINE, who);
        wait_logged(d, mark, "(VI_T) Entering MASTER STATE", who);
        // The instance leaves FAULT first, then the entries are put back.
        let log = d.log_text()[mark..].to_string();
        let left = log.find("(VI_T) Entering BACKUP STATE");
        let restored = log.find(ADDRESS_LINE);
        assert!(
            left.is_some() && left < restored,
            "{who}: BACKUP before the static entries come back:\n{log}"
        );
    }
    wait_both(&daemons, "the static route is put back", has_route);
    wait_both(&daemons, "the static address stays", has_static_address);

    // The static address deleted behind the daemon's back comes back at once.
    let at = marks(&daemons);
    for (_, host, _) in &daemons {
        host.ip(&["addr", "del", STATIC_ADDRESS, "dev", "eth1"]);
    }
    for ((who, _, d), &mark) in daemons.iter().zip(&at) {
        wait_logged(d, mark, ADDRESS_LINE, who);
    }
    wait_both(
        &daemons,
        "the static address is put back",
        has_static_address,
    );
    for ((who, _, d), &mark) in daemons.iter().zip(&at) {
        assert!(
            !logged_after(d, mark, "Entering FAULT STATE"),
            "{who}: a deleted static address faults nothing:\n{}",
            d.log_text()
        );
    }

    for (_, _, d) in &mut daemons {
        d.signal(Signal::SIGTERM);
        assert!(
            d.wait_exit(Duration::from_secs(10)).is_some(),
            "daemon stops"
        );
    }
}
