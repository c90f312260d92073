//! VRRP-MIB (RFC 2787) through a real AgentX master agent: Debian's `snmpd` in each of two
//! lab namespaces, stock keepalived 2.2.7 with `enable_snmp_rfcv2` in one and ours in the
//! other on the same configuration (a MASTER and a BACKUP instance, plus a VRRPv3 one
//! that the MIB must leave out). `snmpwalk` of `1.3.6.1.2.1.68` must give the same OIDs,
//! types and values, once what legitimately differs is normalised (the interface's MAC
//! and ifIndex, TimeTicks, advert counters). Then snmpd is killed and restarted: our
//! daemon keeps running and registers again. Needs root, keepalived, snmpd and snmp;
//! panics (never skips) without them.

mod lab;
mod snmp_support;

use std::path::PathBuf;
use std::time::Duration;

use lab::{wait_for, Daemon, Host, Lab};
use snmp_support::Snmpd;

const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";
const VRRP_MIB: &str = ".1.3.6.1.2.1.68";

fn config(dir: &std::path::Path) -> String {
    format!(
        "global_defs {{
    enable_snmp_rfcv2
    snmp_socket unix:{}/agentx
}}
vrrp_instance VI_1 {{
    state MASTER
    interface eth0
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
    virtual_router_id 52
    priority 100
    advert_int 30
    nopreempt
    authentication {{
        auth_type PASS
        auth_pass secret
    }}
    virtual_ipaddress {{
        198.18.0.102/24
    }}
}}
vrrp_instance VI_3 {{
    state BACKUP
    interface eth0
    version 3
    virtual_router_id 53
    priority 100
    advert_int 30
    virtual_ipaddress {{
        198.18.0.103/24
    }}
}}
",
        dir.display()
    )
}

/// `snmpwalk` of VRRP-MIB in `host`.
fn walk(host: &Host) -> String {
    snmp_support::walk(host, VRRP_MIB)
}

/// One walk line with the ifIndex in table indexes, MACs, TimeTicks and advert counters
/// replaced by placeholders (a MAC must still be six bytes).
fn normalised(line: &str) -> String {
    let (oid, value) = line.split_once(" = ").unwrap_or((line, ""));
    let mut parts: Vec<String> = oid.split('.').map(str::to_owned).collect();
    // ["", 1,3,6,1,2,1,68, tail…]: the ifIndex follows the table's column.
    let tail: Vec<&str> = parts.iter().skip(8).map(String::as_str).collect();
    let indexed = matches!(
        tail.as_slice(),
        ["1", "3", "1", ..] | ["1", "4", "1", ..] | ["2", "4", "1", ..]
    );
    let advert_rcvd = tail.starts_with(&["2", "4", "1", "2"]);
    if indexed && parts.len() > 12 {
        parts[12] = "IFX".into();
    }
    let value = if let Some(hex) = value.strip_prefix("Hex-STRING: ") {
        assert_eq!(hex.split_whitespace().count(), 6, "not a MAC: {line}");
        "Hex-STRING: <mac>".to_string()
    } else if value.starts_with("Timeticks: ") {
        "Timeticks: <ticks>".to_string()
    } else if advert_rcvd {
        "Counter32: <n>".to_string()
    } else {
        value.trim_end().to_string()
    };
    format!("{} = {value}", parts.join("."))
}

fn normalised_walk(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(normalised)
        .collect()
}

/// Waits until `host`'s walk shows VI_1 MASTER and VI_2's addresses; returns the walk.
fn settled_walk(host: &Host, who: &str) -> String {
    let mut last = String::new();
    let settled = wait_for(Duration::from_secs(20), || {
        last = walk(host);
        let n = normalised_walk(&last);
        n.iter()
            .any(|l| l == ".1.3.6.1.2.1.68.1.3.1.3.IFX.51 = INTEGER: 3")
            && n.iter()
                .any(|l| l.starts_with(".1.3.6.1.2.1.68.1.4.1.2.IFX.52.198.18.0.102 "))
    });
    assert!(
        settled.is_some(),
        "{who}: walk never showed VI_1 MASTER and VI_2's address:\n{last}"
    );
    last
}

/// Whether a normalised line is a vrrpOperTable or vrrpRouterStatsTable cell of VRID 52.
fn second_row(line: &str) -> bool {
    [".1.3.6.1.2.1.68.1.3.1.", ".1.3.6.1.2.1.68.2.4.1."]
        .iter()
        .any(|t| line.starts_with(t) && line.contains(".IFX.52 = "))
}

fn host_dir(host: &Host) -> PathBuf {
    host.dir.clone()
}

#[test]
fn vrrp_mib_walk_matches_stock_keepalived_and_survives_an_snmpd_restart() {
    let stock_lab = Lab::new(&["a"], false);
    let ours_lab = Lab::new(&["a"], false);
    let stock_host = stock_lab.node("a");
    let ours_host = ours_lab.node("a");
    let _stock_snmpd = Snmpd::start(stock_host);
    let ours_snmpd = Snmpd::start(ours_host);
    let _stock = Daemon::start_stock(stock_host, STOCK.as_ref(), &config(&host_dir(stock_host)));
    let ours = Daemon::start(ours_host, OURS.as_ref(), &config(&host_dir(ours_host)));

    let stock_walk = settled_walk(stock_host, "stock keepalived");
    let ours_walk = settled_walk(ours_host, "ours");
    let (s, all_ours) = (normalised_walk(&stock_walk), normalised_walk(&ours_walk));
    // keepalived 2.2.7 shows only the first row of vrrpOperTable and vrrpRouterStatsTable
    // (an operator-precedence slip in its index search, fixed upstream in a2718158 "snmp:
    // fix operator precedence"); we serve every row, as fixed keepalived does. Compare
    // without VRID 52's cells there, and check them on their own.
    let (extra, o): (Vec<String>, Vec<String>) = all_ours.into_iter().partition(|l| second_row(l));
    assert_eq!(
        extra.len(),
        13 + 12,
        "VRID 52's operational and stats rows:\n{ours_walk}"
    );
    for want in [
        ".1.3.6.1.2.1.68.1.3.1.3.IFX.52 = INTEGER: 2",
        ".1.3.6.1.2.1.68.1.3.1.5.IFX.52 = INTEGER: 100",
        ".1.3.6.1.2.1.68.1.3.1.9.IFX.52 = INTEGER: 2",
        ".1.3.6.1.2.1.68.1.3.1.11.IFX.52 = INTEGER: 30",
        ".1.3.6.1.2.1.68.1.3.1.12.IFX.52 = INTEGER: 2",
    ] {
        assert!(
            extra.iter().any(|l| l == want),
            "no {want:?} in\n{ours_walk}"
        );
    }
    for (i, (sl, ol)) in s.iter().zip(&o).enumerate() {
        assert_eq!(
            ol, sl,
            "line {i} differs\nstock:\n{stock_walk}\nours:\n{ours_walk}"
        );
    }
    assert_eq!(
        o.len(),
        s.len(),
        "walk lengths differ\nstock:\n{stock_walk}\nours:\n{ours_walk}"
    );
    assert!(
        s.len() >= 30,
        "stock walk is too short to mean anything:\n{stock_walk}"
    );
    assert!(
        !s.iter()
            .any(|l| l.ends_with(".53 = INTEGER: 1") && l.contains(".1.3.1.")),
        "the VRRPv3 instance is in VRRP-MIB"
    );

    // The master agent goes away and comes back: we keep running and register again.
    ours_snmpd.stop();
    std::thread::sleep(Duration::from_secs(1));
    let _ = std::fs::remove_file(ours_host.dir.join("agentx"));
    let _again = Snmpd::start(ours_host);
    let back = settled_walk(ours_host, "ours after the snmpd restart");
    assert_eq!(normalised_walk(&back).len(), o.len() + extra.len());
    assert!(
        ours.log_text().matches("registered VRRP-MIB").count() >= 2,
        "{}",
        ours.log_text()
    );
    let mut ours = ours;
    assert_eq!(
        ours.wait_exit(Duration::from_millis(10)),
        None,
        "our daemon exited"
    );
}
