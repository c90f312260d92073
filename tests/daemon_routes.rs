//! `virtual_routes` / `virtual_rules` follow the master, `static_routes` / `static_rules`
//! live as long as the daemon, and what we install is what keepalived 2.2.7 installs for
//! the same file (table, protocol, scope, metric, preference), in network namespaces.
//! Needs root; panics (never skips) without it.

mod lab;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::side_by_side::{require_stock, OURS, STOCK};
use lab::{wait_for, Daemon, Host, Lab};
use nix::sys::signal::Signal;

const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
/// Long enough for a lone node to become master (3 adverts + skew) with room to spare.
const SETTLE: Duration = Duration::from_secs(10);

/// One instance with routes and rules of every kind the daemon installs (a multipath
/// route included), plus static ones.
fn config(priority: u8) -> String {
    format!(
        "static_ipaddress {{\n    198.19.250.1/32 dev eth0\n    198.19.250.2/32\n}}\n\
         static_routes {{\n    198.19.200.0/24 dev eth0 table 201 metric 7\n    2001:db8:19::/48 dev eth0 metric 9\n}}\n\
         static_rules {{\n    from 198.19.201.0/24 table 201 preference 3001\n    from 2001:db8:19::/48 table 100\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    \
         priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n    \
         virtual_routes {{\n        198.19.10.0/24 via 198.18.0.254 dev eth0 metric 5\n        \
         blackhole 198.19.11.0/24 table 100\n        \
         198.19.12.0/24 dev eth0 src 198.18.0.100 scope link table 100\n        \
         unreachable 198.19.13.0/24 no_track\n        \
         198.19.17.0/24 nexthop via 198.19.0.251 dev eth0 onlink weight 2 nexthop via 198.19.0.252 dev eth0 onlink\n    }}\n    \
         virtual_rules {{\n        from 198.18.0.100/32 table 100 preference 2000\n        \
         to 198.19.14.0/24 iif eth0 table 100 preference 2001\n        \
         from 198.19.15.0/24 blackhole preference 2002 no_track\n        \
         to 198.19.16.0/24 table 100\n    }}\n}}\n"
    )
}

/// The routes and rules of the configuration as `ip` shows them: routes of every table
/// into 198.19.0.0/16 and 2001:db8:19::/48, and the rules naming those or 198.18/16.
fn installed(host: &Host) -> Vec<String> {
    let routes = host.ip(&["route", "show", "table", "all"]);
    let rules = host.ip(&["rule", "show"]) + &host.ip(&["-6", "rule", "show"]);
    let ours = |l: &&str| l.contains("198.19.") || l.contains("2001:db8:19:");
    let mut lines: Vec<String> = routes
        .lines()
        .filter(ours)
        .chain(rules.lines().filter(|l| ours(l) || l.contains("198.18.")))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

/// What keepalived 2.2.7 installs for [`config`] (checked against it by
/// [`same_routes_and_rules_as_keepalived`]): protocol keepalived on everything tracked,
/// scope global unless written, the rule without a preference at 16384.
fn expected_virtual() -> Vec<String> {
    let mut v: Vec<String> = [
        "198.19.10.0/24 via 198.18.0.254 dev eth0 proto keepalived metric 5",
        "blackhole 198.19.11.0/24 table 100 proto keepalived",
        "198.19.12.0/24 dev eth0 table 100 proto keepalived scope link src 198.18.0.100",
        "unreachable 198.19.13.0/24 proto keepalived",
        "198.19.17.0/24 proto keepalived",
        "nexthop via 198.19.0.251 dev eth0 weight 2 onlink",
        "nexthop via 198.19.0.252 dev eth0 weight 1 onlink",
        "2000: from 198.18.0.100 lookup 100 proto keepalived",
        "2001: from all to 198.19.14.0/24 iif eth0 lookup 100 proto keepalived",
        "2002: from 198.19.15.0/24 blackhole",
        "16384: from all to 198.19.16.0/24 lookup 100 proto keepalived",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.sort();
    v
}

fn expected_static() -> Vec<String> {
    let mut v: Vec<String> = [
        "198.19.200.0/24 dev eth0 table 201 proto keepalived metric 7",
        "3001: from 198.19.201.0/24 lookup 201 proto keepalived",
        "2001:db8:19::/48 dev eth0 proto keepalived metric 9 pref medium",
        // IPv6 rules count down from 16384 on their own.
        "16384: from 2001:db8:19::/48 lookup 100 proto keepalived",
        // static_ipaddress, seen through the local routes the kernel adds for them.
        "local 198.19.250.1 dev eth0 table local proto kernel scope host src 198.19.250.1",
        "local 198.19.250.2 dev eth0 table local proto kernel scope host src 198.19.250.2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.sort();
    v
}

fn both(mut a: Vec<String>, b: Vec<String>) -> Vec<String> {
    a.extend(b);
    a.sort();
    a
}

#[test]
fn virtual_routes_follow_the_master_and_static_ones_live_with_the_daemon() {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    // What a crashed earlier run left on b: removed at start-up, as keepalived does.
    nb.ip(&[
        "route",
        "add",
        "198.19.10.0/24",
        "via",
        "198.18.0.254",
        "dev",
        "eth0",
        "proto",
        "keepalived",
        "metric",
        "5",
    ]);
    nb.ip(&[
        "rule",
        "add",
        "to",
        "198.19.16.0/24",
        "table",
        "100",
        "pref",
        "16384",
        "protocol",
        "keepalived",
    ]);
    let mut a = Daemon::start(na, OURS.as_ref(), &config(101));
    let mut b = Daemon::start(nb, OURS.as_ref(), &config(100));
    let settled = wait_for(SETTLE, || {
        na.has_address(VIP) && installed(na) == both(expected_virtual(), expected_static())
    });
    let logs = |a: &Daemon, b: &Daemon| {
        format!("--- a ---\n{}\n--- b ---\n{}", a.log_text(), b.log_text())
    };
    assert!(
        settled.is_some(),
        "node a (master) never had all routes and rules: {:#?}\n{}",
        installed(na),
        logs(&a, &b)
    );
    assert!(!nb.has_address(VIP), "{}", logs(&a, &b));
    assert_eq!(installed(nb), expected_static(), "backup b: static only");
    assert!(
        a.logged("(VI_1) setting Virtual Routes"),
        "{}",
        logs(&a, &b)
    );

    // a stops: its routes and rules, virtual and static, go; b takes them over.
    let code = a.stop(Duration::from_secs(5));
    assert_eq!(code, Some(0), "{}", logs(&a, &b));
    assert!(installed(na).is_empty(), "a left {:#?}", installed(na));
    let moved = wait_for(SETTLE, || {
        installed(nb) == both(expected_virtual(), expected_static())
    });
    assert!(
        moved.is_some(),
        "b never took the routes over: {:#?}\n{}",
        installed(nb),
        logs(&a, &b)
    );
    println!("failover: routes and rules on b after {moved:?}");
    assert_eq!(b.stop(Duration::from_secs(5)), Some(0));
    assert!(installed(nb).is_empty(), "b left {:#?}", installed(nb));
}

/// Runs `binary` alone on a fresh node with [`config`], returns what it installed while
/// master and what it left after a stop.
fn run_alone(binary: &str, stock: bool) -> (Vec<String>, Vec<String>, String) {
    let lab = Lab::new(&["a"], false);
    let node = lab.node("a");
    let mut d = if stock {
        Daemon::start_stock(node, binary.as_ref(), &config(100))
    } else {
        Daemon::start(node, binary.as_ref(), &config(100))
    };
    let full = both(expected_virtual(), expected_static()).len();
    wait_for(SETTLE, || {
        node.has_address(VIP) && installed(node).len() >= full
    });
    // Whatever is still coming would come within an advert.
    std::thread::sleep(Duration::from_millis(1200));
    let running = installed(node);
    d.stop(Duration::from_secs(10));
    (running, installed(node), d.log_text())
}

#[test]
fn same_routes_and_rules_as_keepalived() {
    require_stock();
    let (theirs, theirs_after, their_log) = run_alone(STOCK, true);
    let (ours, ours_after, our_log) = run_alone(OURS, false);
    assert_eq!(
        ours, theirs,
        "installed while master differs\n--- keepalived ---\n{their_log}\n--- ours ---\n{our_log}"
    );
    assert_eq!(theirs, both(expected_virtual(), expected_static()));
    assert_eq!(ours_after, theirs_after, "left after stop");
    assert!(ours_after.is_empty(), "{ours_after:#?}");
}

#[test]
fn reload_keeps_unchanged_routes_and_applies_the_differences() {
    let lab = Lab::new(&["a"], false);
    let node = lab.node("a");
    let d = Daemon::start(node, OURS.as_ref(), &config(100));
    let full = both(expected_virtual(), expected_static());
    let settled = wait_for(SETTLE, || installed(node) == full);
    assert!(
        settled.is_some(),
        "{:#?}\n{}",
        installed(node),
        d.log_text()
    );

    // One virtual route and the static rule go, one virtual rule and a static route come.
    let changed = config(100)
        .replace("        blackhole 198.19.11.0/24 table 100\n", "")
        .replace("    from 198.19.201.0/24 table 201 preference 3001\n", "")
        .replace(
            "        to 198.19.16.0/24 table 100\n",
            "        to 198.19.16.0/24 table 100\n        to 198.19.17.0/24 table 101 preference 2010\n",
        )
        .replace(
            "    198.19.200.0/24 dev eth0 table 201 metric 7\n",
            "    198.19.200.0/24 dev eth0 table 201 metric 7\n    198.19.202.0/24 dev eth0\n",
        );
    std::fs::write(&d.config, changed).unwrap();
    let mut expected: Vec<String> = full
        .into_iter()
        .filter(|l| !l.contains("198.19.11.0") && !l.contains("198.19.201.0"))
        .chain([
            "2010: from all to 198.19.17.0/24 lookup 101 proto keepalived".to_string(),
            "198.19.202.0/24 dev eth0 proto keepalived".to_string(),
        ])
        .collect();
    expected.sort();
    d.signal(Signal::SIGHUP);
    let reloaded = wait_for(SETTLE, || installed(node) == expected);
    assert!(
        reloaded.is_some(),
        "after reload {:#?}\nexpected {expected:#?}\n{}",
        installed(node),
        d.log_text()
    );
    assert!(node.has_address(VIP), "still master");
    // No addition or removal failed along the way.
    for failure in ["cannot add", "cannot delete", "cannot remove"] {
        assert!(!d.logged(failure), "{}", d.log_text());
    }
}
