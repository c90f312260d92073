//! VRRPv3-MIB (RFC 6527) through a real AgentX master agent: Debian's `snmpd` in each of
//! two lab namespaces, stock keepalived 2.2.7 with `enable_snmp_rfcv3` in one and ours in
//! the other on the same configuration (a VRRPv3 MASTER, a VRRPv3 BACKUP that never hears
//! a master, and a VRRPv2 instance, which Debian's build serves in this MIB too). `snmpwalk` of
//! `1.3.6.1.2.1.207` must give the same OIDs, types and values once what legitimately
//! differs is normalised (the interface's MAC and ifIndex, TimeTicks, advert counters).
//! Needs root, keepalived, snmpd and snmp; panics (never skips) without them.

mod lab;
#[path = "common/snmpd.rs"]
mod snmpd;

use std::time::Duration;

use lab::side_by_side::start_both;
use lab::Host;
use snmpd::{assert_same_walks, labs_with_snmpd, MibWalk};

const VRRPV3_MIB: &str = ".1.3.6.1.2.1.207";

fn config(host: &Host) -> String {
    format!(
        "global_defs {{
    enable_snmp_rfcv3
    snmp_socket unix:{}/agentx
}}
vrrp_instance VI_1 {{
    state MASTER
    interface eth0
    version 3
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {{
        198.18.0.101/24
        198.18.0.111/24
    }}
}}
vrrp_instance VI_2 {{
    state BACKUP
    interface eth0
    version 3
    virtual_router_id 52
    priority 100
    advert_int 30
    nopreempt
    virtual_ipaddress {{
        198.18.0.102/24
    }}
}}
vrrp_instance VI_3 {{
    state BACKUP
    interface eth0
    version 2
    virtual_router_id 53
    priority 100
    advert_int 30
    virtual_ipaddress {{
        198.18.0.103/24
    }}
}}
",
        host.dir.display()
    )
}

/// One walk line with the ifIndex in table indexes, MACs, TimeTicks and advert counters
/// replaced by placeholders (a MAC must still be six bytes; addresses stay).
fn normalised(line: &str) -> String {
    let (oid, value) = line.split_once(" = ").unwrap_or((line, ""));
    let mut parts: Vec<String> = oid.split('.').map(str::to_owned).collect();
    // ["", 1,3,6,1,2,1,207, tail…]: in the tables the ifIndex follows the column.
    let tail: Vec<&str> = parts.iter().skip(8).map(String::as_str).collect();
    let indexed = matches!(
        tail.as_slice(),
        ["1", "1", "1", "1", ..] | ["1", "1", "2", "1", ..] | ["1", "2", "5", "1", ..]
    );
    let advert_rcvd = tail.starts_with(&["1", "2", "5", "1", "3"]);
    if indexed && parts.len() > 13 {
        parts[13] = "IFX".into();
    }
    let value = match value.strip_prefix("Hex-STRING: ") {
        Some(hex) if hex.split_whitespace().count() == 6 => "Hex-STRING: <mac>".to_string(),
        _ if value.starts_with("Timeticks: ") => "Timeticks: <ticks>".to_string(),
        _ if advert_rcvd => "Counter64: <n>".to_string(),
        _ => value.trim_end().to_string(),
    };
    format!("{} = {value}", parts.join("."))
}

/// VRRPv3-MIB, settled once VI_1 is MASTER with its own address as the master's
/// (keepalived fills that in a moment after it enters MASTER) and VI_2's address is in
/// the table.
const MIB: MibWalk = MibWalk {
    subtree: VRRPV3_MIB,
    normalise: normalised,
    settled: &[
        ".1.3.6.1.2.1.207.1.1.1.1.6.IFX.51.1 = INTEGER: 3",
        ".1.3.6.1.2.1.207.1.1.1.1.3.IFX.51.1 = Hex-STRING: C6 12 00 01",
        ".1.3.6.1.2.1.207.1.1.2.1.2.IFX.52.1.198.18.0.102 ",
    ],
};

#[test]
fn vrrpv3_mib_walk_matches_stock_keepalived() {
    let [(stock_lab, _stock_snmpd), (ours_lab, _ours_snmpd)] = labs_with_snmpd(false);
    let (stock_host, ours_host) = (stock_lab.node("a"), ours_lab.node("a"));
    let (_stock, mut ours) = start_both(stock_host, ours_host, config);

    let stock_walk = MIB.settled_walk(stock_host, "stock keepalived");
    let ours_walk = MIB.settled_walk(ours_host, "ours");
    let (s, o) = (MIB.normalised(&stock_walk), MIB.normalised(&ours_walk));
    assert_same_walks((&s, &stock_walk), (&o, &ours_walk), 40);
    assert!(
        o.iter().any(|l| l.contains(".IFX.53.")),
        "the VRRPv2 instance is not in VRRPv3-MIB:\n{ours_walk}"
    );
    assert!(
        ours.logged("registered VRRPv3-MIB (RFC 6527)"),
        "{}",
        ours.log_text()
    );
    assert_eq!(
        ours.wait_exit(Duration::from_millis(10)),
        None,
        "our daemon exited"
    );
}
