//! Strict mode's firewall, side by side with stock keepalived 2.2.7: the nftables tables,
//! sets and rules each daemon installs for the same configuration in each state (BACKUP
//! at start, MASTER, BACKUP again after a higher-priority peer returns, stopped), compared
//! as `nft list ruleset` shows them with the counters' values blanked, and what a client
//! sees: the master's VIP answers no ping (RFC 3768: a non-owner does not accept packets
//! to its VIPs), its own address does. And the table keepalived makes for a VMAC, whose
//! multicast membership reports leave through the base interface.
//!
//! Each daemon runs in a lab of its own (namespaces, veths, a bridge), with stock
//! keepalived as the higher-priority peer in both, and both labs run at once. Needs root,
//! the `nft` program (Debian package nftables) and stock keepalived; panics without them.

mod lab;

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use lab::side_by_side::{require_stock, OURS, STOCK};
use lab::{wait_for, Daemon, Host, Lab};

const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
/// Long enough for a node to become master (3 adverts + skew) with room to spare.
const SETTLE: Duration = Duration::from_secs(10);

/// Two strict instances: IPv4 (with an excluded VIP) and IPv6 (a link-local VIP keyed
/// by interface name through `dont_track_primary`, and a global one), rules counting.
fn config(priority: u8) -> String {
    format!(
        "global_defs {{\n    vrrp_strict\n    nftables_counters\n}}\n\
         vrrp_instance VI_4 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    \
         priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n    \
         virtual_ipaddress_excluded {{\n        198.18.0.101\n    }}\n}}\n\
         vrrp_instance VI_6 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 52\n    \
         priority {priority}\n    advert_int 1\n    dont_track_primary\n    virtual_ipaddress {{\n        \
         fe80::100/64\n        2001:db8:18::100/64\n    }}\n}}\n"
    )
}

/// `nft list ruleset` in `host`, counter values blanked (traffic differs run to run).
fn ruleset(host: &Host) -> String {
    let listed = host.exec(&["nft", "list", "ruleset"]);
    listed
        .lines()
        .map(|l| match l.find("counter packets ") {
            Some(at) => {
                let rest: Vec<&str> = l[at..].split_whitespace().collect();
                // counter packets N bytes M VERDICT…
                format!("{}counter {}", &l[..at], rest[5..].join(" "))
            }
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `target` answers two pings from `client` (within a second each).
fn answers_ping(client: &Host, target: Ipv4Addr) -> bool {
    Command::new("ip")
        .args([
            "netns", "exec", &client.ns, "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "1",
        ])
        .arg(target.to_string())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// What one run shows: the ruleset in each state and the client's view while master.
#[derive(Debug)]
struct Observed {
    backup_at_start: String,
    master: String,
    backup_again: String,
    stopped: String,
    vip_answers: bool,
    node_answers: bool,
    log: String,
}

fn start(host: &Host, binary: &str, priority: u8) -> Daemon {
    if binary == STOCK {
        Daemon::start_stock(host, binary.as_ref(), &config(priority))
    } else {
        Daemon::start(host, binary.as_ref(), &config(priority))
    }
}

/// Node a runs `binary` at priority 100 next to stock keepalived at 200 on node b: a is
/// BACKUP, becomes MASTER when b stops, BACKUP again when b returns, then stops.
fn observe(binary: &str) -> Observed {
    let lab = Lab::new(&["a", "b"], true);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let mut peer = start(nb, STOCK, 200);
    assert!(
        wait_for(SETTLE, || nb.has_address(VIP)).is_some(),
        "peer never became master:\n{}",
        peer.log_text()
    );
    let mut a = start(na, binary, 100);
    // a's own adverts would show within one interval; it stays BACKUP behind b.
    std::thread::sleep(Duration::from_millis(1500));
    let backup_at_start = ruleset(na);

    assert_eq!(peer.stop(SETTLE), Some(0), "{}", peer.log_text());
    let full = |r: &str| {
        r.contains("198.18.0.101") && r.contains("2001:db8:18::100") && r.contains("fe80::100")
    };
    let took_over = wait_for(SETTLE, || na.has_address(VIP) && full(&ruleset(na)));
    assert!(
        took_over.is_some(),
        "a never became master with its drop rules ({binary}):\n{}\n{}",
        ruleset(na),
        a.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));
    let master = ruleset(na);
    let vip_answers = answers_ping(lab.client(), VIP);
    let node_answers = answers_ping(lab.client(), na.addr);

    let mut peer = start(nb, STOCK, 200);
    let yielded = wait_for(SETTLE, || !na.has_address(VIP) && !full(&ruleset(na)));
    assert!(
        yielded.is_some(),
        "a never went back to BACKUP ({binary}):\n{}",
        a.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));
    let backup_again = ruleset(na);

    assert_eq!(a.stop(SETTLE), Some(0), "{}", a.log_text());
    let stopped = ruleset(na);
    peer.stop(SETTLE);
    Observed {
        backup_at_start,
        master,
        backup_again,
        stopped,
        vip_answers,
        node_answers,
        log: a.log_text(),
    }
}

#[test]
fn same_nftables_rules_as_keepalived_in_every_state_and_the_vip_answers_no_ping() {
    require_stock();
    assert!(
        ["/usr/sbin/nft", "/sbin/nft"]
            .iter()
            .any(|p| Path::new(p).exists()),
        "the nft program is needed (Debian package nftables)"
    );
    let (theirs, ours) = std::thread::scope(|s| {
        let theirs = s.spawn(|| observe(STOCK));
        let ours = s.spawn(|| observe(OURS));
        (
            theirs.join().expect("stock run"),
            ours.join().expect("our run"),
        )
    });
    let logs = format!(
        "--- keepalived ---\n{}\n--- ours ---\n{}",
        theirs.log, ours.log
    );
    // What keepalived does, stated: nothing before the first MASTER, both tables while
    // master, the tables with empty sets after, nothing once stopped.
    assert_eq!(theirs.backup_at_start, "", "{logs}");
    assert!(
        theirs.master.contains("ip daddr @vips counter drop"),
        "{}",
        theirs.master
    );
    assert!(
        !theirs.backup_again.contains("198.18.0.100"),
        "{}",
        theirs.backup_again
    );
    assert!(
        theirs.backup_again.contains("table ip6 keepalived"),
        "{}",
        theirs.backup_again
    );
    assert_eq!(theirs.stopped, "", "{logs}");
    // Ours, the same in every state.
    assert_eq!(
        ours.backup_at_start, theirs.backup_at_start,
        "BACKUP at start\n{logs}"
    );
    assert_eq!(ours.master, theirs.master, "MASTER\n{logs}");
    assert_eq!(
        ours.backup_again, theirs.backup_again,
        "BACKUP after MASTER\n{logs}"
    );
    assert_eq!(ours.stopped, theirs.stopped, "stopped\n{logs}");
    // The client's view: the node answers, its VIP does not, under either daemon.
    for (who, seen) in [("keepalived", &theirs), ("ours", &ours)] {
        assert!(
            seen.node_answers,
            "{who}: the node's own address must answer\n{logs}"
        );
        assert!(
            !seen.vip_answers,
            "{who}: the strict-mode VIP answered a ping\n{logs}"
        );
    }
}

/// A VMAC instance (not strict, accepting): keepalived still makes its table, to send the
/// macvlan's IGMP / MLD reports out of the base interface.
fn vmac_config() -> &'static str {
    "vrrp_instance VI_V {\n    state BACKUP\n    interface eth0\n    virtual_router_id 57\n    \
     priority 100\n    advert_int 1\n    use_vmac\n    virtual_ipaddress {\n        198.18.0.57/24\n    }\n    \
     virtual_ipaddress_excluded {\n        2001:db8:18::57\n    }\n}\n"
}

/// `binary` alone with [`vmac_config`]: the ruleset once the VMAC is up, and after a stop.
fn observe_vmac(binary: &str) -> (String, String, String) {
    let lab = Lab::new(&["a"], false);
    let node = lab.node("a");
    let mut d = if binary == STOCK {
        Daemon::start_stock(node, binary.as_ref(), vmac_config())
    } else {
        Daemon::start(node, binary.as_ref(), vmac_config())
    };
    let ready = |r: &str| r.contains("\"vrrp.57\" : \"eth0\"") && r.contains("table ip6");
    wait_for(SETTLE, || ready(&ruleset(node)));
    std::thread::sleep(Duration::from_millis(500));
    let running = ruleset(node);
    assert_eq!(d.stop(SETTLE), Some(0), "{}", d.log_text());
    (running, ruleset(node), d.log_text())
}

#[test]
fn same_vmac_multicast_rules_as_keepalived() {
    let (theirs, ours) = std::thread::scope(|s| {
        let theirs = s.spawn(|| observe_vmac(STOCK));
        let ours = s.spawn(|| observe_vmac(OURS));
        (
            theirs.join().expect("stock run"),
            ours.join().expect("our run"),
        )
    });
    let logs = format!("--- keepalived ---\n{}\n--- ours ---\n{}", theirs.2, ours.2);
    assert!(
        theirs
            .0
            .contains("dup to ip daddr device oif map @vmac_map"),
        "{}",
        theirs.0
    );
    assert!(
        theirs.0.contains("icmpv6 type nd-router-solicit"),
        "{}",
        theirs.0
    );
    assert_eq!(ours.0, theirs.0, "running\n{logs}");
    assert_eq!(theirs.1, "", "{logs}");
    assert_eq!(ours.1, theirs.1, "stopped\n{logs}");
}
