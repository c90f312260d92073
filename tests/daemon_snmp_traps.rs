//! SNMP notifications (`enable_traps`) through a real master agent, side by side with
//! stock keepalived 2.2.7: in each of two labs, node `a` runs Debian's `snmpd` (AgentX
//! master, `trap2sink` to a `snmptrapd` in the same namespace) and the daemon under test
//! with KEEPALIVED-MIB, VRRP-MIB and VRRPv3-MIB turned on; node `b` runs stock keepalived
//! as a peer, started by the test once `a` settled. Events: start-up to MASTER (two
//! instances in a sync group) and BACKUP then MASTER (an instance that hears nobody);
//! the peer takes that instance over (a higher priority), sends adverts with the wrong
//! password to another (vrrpTrapAuthFailure) and VRRPv2 adverts to the VRRPv3 one
//! (vrrpv3NotificationProtoError, versionError); the peer stops (its priority-0 advert
//! gives the first instance back, RFC 6527 reason "priority"); then `a` stops. The
//! notifications `snmptrapd` received must be the same, per subject and in order, once what
//! legitimately differs is normalised (sysUpTime, the ifIndex in indexes, and how many
//! times a repeated rejection was reported). Needs root, keepalived, snmpd, snmptrapd
//! and snmp; panics (never skips) without them.

mod lab;
#[path = "common/snmpd.rs"]
mod snmpd;

use std::collections::BTreeMap;
use std::time::Duration;

use lab::side_by_side::{OURS, STOCK};
use lab::{wait_for, Daemon, Host, Lab};
use snmpd::{traps_file, Snmpd, Snmptrapd};

const TRAP_OID: &str = ".1.3.6.1.6.3.1.1.4.1.0";

fn config(host: &Host) -> String {
    format!(
        "global_defs {{
    router_id lab_a
    enable_snmp_vrrp
    enable_snmp_rfc
    enable_traps
    snmp_socket unix:{}/agentx
}}
vrrp_sync_group G1 {{
    group {{
        VI_1
        VI_3
    }}
}}
vrrp_instance VI_1 {{
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass secret
    }}
    virtual_ipaddress {{
        198.18.0.101/24
    }}
}}
vrrp_instance VI_2 {{
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {{
        198.18.0.102/24
    }}
}}
vrrp_instance VI_3 {{
    state MASTER
    interface eth0
    version 3
    virtual_router_id 53
    priority 150
    advert_int 1
    virtual_ipaddress {{
        198.18.0.103/24
    }}
}}
",
        host.dir.display()
    )
}

/// The peer: wrong password for VRID 51, a higher priority for 52, VRRPv2 for 53.
const PEER: &str = "global_defs {
    router_id peer
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass wrong
    }
    virtual_ipaddress {
        198.18.0.101/24
    }
}
vrrp_instance VI_2 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 200
    advert_int 1
    virtual_ipaddress {
        198.18.0.102/24
    }
}
vrrp_instance VI_3 {
    state BACKUP
    interface eth0
    version 2
    virtual_router_id 53
    priority 100
    advert_int 1
    virtual_ipaddress {
        198.18.0.103/24
    }
}
";

/// One received notification: its varbinds, normalised (sysUpTime's value, and the
/// ifIndex in RFC 2787 / RFC 6527 indexes).
fn normalised(line: &str) -> Vec<String> {
    line.split('\t')
        .map(|vb| {
            let (oid, value) = vb.split_once(" = ").unwrap_or((vb, ""));
            let value = value.trim_end();
            let mut parts: Vec<&str> = oid.split('.').collect();
            let n = parts.len();
            if oid.starts_with(".1.3.6.1.2.1.1.3.0") {
                return format!("{oid} = <uptime>");
            }
            if oid.starts_with(".1.3.6.1.2.1.68.") && n >= 12 {
                parts[n - 2] = "IFX";
            } else if oid.starts_with(".1.3.6.1.2.1.207.") && n >= 14 {
                parts[n - 3] = "IFX";
            }
            format!("{} = {value}", parts.join("."))
        })
        .collect()
}

/// The notifications in `host`'s snmptrapd log, from keepalived's MIBs only, grouped
/// by subject (the notification and its first object, with the name for
/// KEEPALIVED-MIB's), in arrival order with immediate repeats collapsed.
fn received(host: &Host) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(traps_file(host)).unwrap_or_default();
    let mut by_subject: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| l.contains(TRAP_OID)) {
        let vbs = normalised(line);
        let Some(at) = vbs.iter().position(|v| v.starts_with(TRAP_OID)) else {
            continue;
        };
        let trap = vbs[at].clone();
        let ours = [
            ".1.3.6.1.4.1.9586.",
            ".1.3.6.1.2.1.68.",
            ".1.3.6.1.2.1.207.",
        ];
        if !ours.iter().any(|p| trap.contains(&format!("OID: {p}"))) {
            continue;
        }
        let first = vbs.get(at + 1).cloned().unwrap_or_default();
        let subject = if first.contains("STRING:") {
            format!("{trap} {first}")
        } else {
            format!("{trap} {}", first.split(" = ").next().unwrap_or(""))
        };
        let text = vbs.join("  ");
        let list = by_subject.entry(subject).or_default();
        if list.last() != Some(&text) {
            list.push(text);
        }
    }
    by_subject
}

fn shown(r: &BTreeMap<String, Vec<String>>) -> String {
    let mut s = String::new();
    for (k, v) in r {
        s += &format!("{k}\n");
        for t in v {
            s += &format!("    {t}\n");
        }
    }
    s
}

fn has(r: &BTreeMap<String, Vec<String>>, needle: &str) -> bool {
    r.values().flatten().any(|t| t.contains(needle))
}

/// Runs the scenario in `lab` with the daemon `start` starts on `a`; returns what
/// snmptrapd received.
fn scenario(lab: &Lab, start: impl FnOnce(&Host) -> Daemon) -> BTreeMap<String, Vec<String>> {
    let (a, b) = (lab.node("a"), lab.node("b"));
    let _trapd = Snmptrapd::start(a);
    let _snmpd = Snmpd::forwarding_traps(a);
    let mut daemon = start(a);
    // VI_2 hears nobody: BACKUP, then MASTER.
    let vi2_master = "STRING: \"VI_2\"  .1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 2";
    let up = wait_for(Duration::from_secs(20), || has(&received(a), vi2_master));
    assert!(
        up.is_some(),
        "no MASTER notification for VI_2:\n{}\n{}",
        shown(&received(a)),
        daemon.log_text()
    );
    let mut peer = Daemon::start_stock(b, STOCK.as_ref(), PEER);
    let vi2_backup = "STRING: \"VI_2\"  .1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 1";
    let all = wait_for(Duration::from_secs(20), || {
        let r = received(a);
        r.get(&format!("{TRAP_OID} = OID: .1.3.6.1.4.1.9586.100.5.2.10.0.2 .1.3.6.1.4.1.9586.100.5.2.3.1.2 = STRING: \"VI_2\""))
            .is_some_and(|l| l.iter().filter(|t| t.contains(vi2_backup)).count() >= 2)
            && has(&r, "OID: .1.3.6.1.2.1.68.0.2")
            && has(&r, "OID: .1.3.6.1.2.1.207.0.2")
    });
    assert!(
        all.is_some(),
        "the peer's take-over, auth failure or protocol error was not notified:\n{}\n{}",
        shown(&received(a)),
        daemon.log_text()
    );
    // The peer stops: its priority-0 advert makes VI_2 master again, for RFC 6527's
    // reason "priority" (1).
    let stopping = Duration::from_secs(10);
    assert!(peer.stop(stopping).is_some(), "peer: no exit");
    let again = wait_for(Duration::from_secs(10), || {
        has(
            &received(a),
            ".1.3.6.1.2.1.207.1.2.5.1.2.IFX.52.1 = INTEGER: 1",
        )
    });
    assert!(
        again.is_some(),
        "VI_2 was not notified as master by priority 0:\n{}\n{}",
        shown(&received(a)),
        daemon.log_text()
    );
    assert!(daemon.stop(stopping).is_some(), "no exit");
    std::thread::sleep(Duration::from_secs(1));
    received(a)
}

#[test]
fn notifications_match_stock_keepalived() {
    let stock_lab = Lab::new(&["a", "b"], false);
    let ours_lab = Lab::new(&["a", "b"], false);
    let stock = std::thread::spawn(move || {
        let r = scenario(&stock_lab, |a| {
            Daemon::start_stock(a, STOCK.as_ref(), &config(a))
        });
        (r, stock_lab)
    });
    let ours = scenario(&ours_lab, |a| Daemon::start(a, OURS.as_ref(), &config(a)));
    let (stock, _stock_lab) = stock.join().expect("stock scenario");
    eprintln!("received from ours (normalised):\n{}", shown(&ours));
    assert_eq!(
        shown(&ours),
        shown(&stock),
        "\nours:\n{}\nstock:\n{}",
        shown(&ours),
        shown(&stock)
    );
    for must in [
        "OID: .1.3.6.1.4.1.9586.100.5.2.10.0.1",
        "OID: .1.3.6.1.2.1.68.0.1",
        "OID: .1.3.6.1.2.1.207.0.1",
        "OID: .1.3.6.1.2.1.68.0.2",
        "OID: .1.3.6.1.2.1.207.0.2",
    ] {
        assert!(has(&ours, must), "no {must}:\n{}", shown(&ours));
    }
}
