//! KEEPALIVED-MIB (global scalars and VRRP tables, `1.3.6.1.4.1.9586.100.5`) through a
//! real AgentX master agent: Debian's `snmpd` in each of two lab namespaces, stock
//! keepalived 2.2.7 with `enable_snmp_vrrp` in one and ours in the other on the same
//! configuration: instances in MASTER, BACKUP and FAULT, a VRRPv3 unicast one, a sync
//! group with notify scripts and tracking, tracked scripts (one failing, one unused), a tracked
//! interface and file, virtual and excluded addresses, virtual routes, a static address
//! and route, and mail settings. `snmpwalk -On` of the subtree must give the same OIDs, types and values
//! once what legitimately differs is normalised:
//!
//! * the lab directory in paths (`vrrpFilePath`): each daemon has its own;
//! * `version` (`.1.1.0`): ours is keepalived's string followed by `, keepalived-rs X`,
//!   as our `-v` line is;
//! * `vrrpAddressIfIndex` and `vrrpRouteIfIndex` (`.2.6.1.7`, `.2.7.1.11`): interface
//!   numbers belong to each namespace;
//! * `vrrpAddressAdvertise` (`.2.6.1.11`) of the second and later instances: keepalived
//!   2.2.7 reads false there for every address (its walk over the address lists sets the
//!   "advertised" mark for the first instance only; still so upstream); we say true for
//!   virtual addresses and false for excluded ones, checked on their own.
//!
//! Needs root, keepalived, snmpd and snmp; panics (never skips) without them.

mod lab;
#[path = "common/snmpd.rs"]
mod snmpd;

use std::path::Path;
use std::time::Duration;

use lab::{wait_for, Daemon, Host};
use snmpd::{labs_with_snmpd, walk};

const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";
const KEEPALIVED_MIB: &str = ".1.3.6.1.4.1.9586.100.5";

fn config(dir: &Path) -> String {
    format!(
        "global_defs {{
    router_id lab-a
    notification_email {{
        a@example.com
        b@example.com
    }}
    notification_email_from k@example.com
    smtp_server 198.18.0.25 2525
    smtp_connect_timeout 7
    no_email_faults
    enable_snmp_vrrp
    snmp_socket unix:{dir}/agentx
}}
static_ipaddress {{
    198.18.1.1/32 dev eth0 scope link
}}
static_routes {{
    198.18.7.0/24 dev eth0 scope link
}}
vrrp_script chk_ok {{
    script \"/usr/bin/true\"
    interval 1
    weight 10
    rise 2
    fall 3
}}
vrrp_script chk_fail {{
    script \"/usr/bin/false\"
    interval 1
}}
vrrp_script chk_unused {{
    script \"/usr/bin/true unused\"
}}
track_file tf {{
    file \"{dir}/track_file\"
    weight 3
}}
vrrp_sync_group G1 {{
    group {{
        VI_1
        VI_4
    }}
    notify_backup \"/usr/bin/true gbackup\"
    track_interface {{
        eth0
    }}
    track_script {{
        chk_ok weight 0
    }}
}}
vrrp_instance VI_1 {{
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    track_script {{
        chk_ok
    }}
    notify_master \"/usr/bin/true master\"
    virtual_ipaddress {{
        198.18.0.101/24 brd + label eth0:vip
        198.18.0.111/24
    }}
    virtual_ipaddress_excluded {{
        198.18.0.121/24
    }}
    virtual_routes {{
        198.18.5.0/24 via 198.18.0.254 dev eth0 metric 5
    }}
}}
vrrp_instance VI_2 {{
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 30
    nopreempt
    preempt_delay 4
    authentication {{
        auth_type PASS
        auth_pass secret
    }}
    track_script {{
        chk_ok
    }}
    track_interface {{
        eth0 weight 5
    }}
    track_file {{
        tf weight -2
    }}
    virtual_ipaddress {{
        198.18.0.102/24
    }}
    virtual_ipaddress_excluded {{
        198.18.0.122/24
    }}
    virtual_routes {{
        198.18.6.0/24 dev eth0 table 100
    }}
}}
vrrp_instance VI_3 {{
    interface eth0
    virtual_router_id 53
    priority 90
    advert_int 1
    track_script {{
        chk_fail
    }}
    virtual_ipaddress {{
        198.18.0.103/24
    }}
}}
vrrp_instance VI_4 {{
    state BACKUP
    interface eth0
    version 3
    virtual_router_id 54
    priority 120
    advert_int 1
    unicast_peer {{
        198.18.0.250
    }}
    virtual_ipaddress {{
        198.18.0.104/24
    }}
}}
",
        dir = dir.display()
    )
}

/// One walk line with what legitimately differs replaced (see the module doc).
fn normalised(line: &str) -> String {
    let (oid, value) = line.split_once(" = ").unwrap_or((line, ""));
    let tail = oid.strip_prefix(KEEPALIVED_MIB).unwrap_or(oid);
    let value = if tail == ".1.1.0" {
        value
            .split(", keepalived-rs ")
            .next()
            .unwrap_or(value)
            .to_string()
    } else if tail.starts_with(".2.6.1.7.") || tail.starts_with(".2.7.1.11.") {
        assert!(value.starts_with("INTEGER: "), "not an ifIndex: {line}");
        "INTEGER: <ifindex>".to_string()
    } else {
        value.trim_end().to_string()
    };
    let value = value.trim_end_matches('"').to_string();
    format!("{oid} = {value}")
}

/// `vrrpAddressAdvertise` of an instance after the first (stock keepalived's slip).
fn later_advertise(line: &str) -> bool {
    let Some(rest) = line.strip_prefix(".1.3.6.1.4.1.9586.100.5.2.6.1.11.") else {
        return false;
    };
    !rest.starts_with("0.") && !rest.starts_with("1.")
}

fn normalised_walk(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(normalised)
        .collect()
}

/// States the walk must show before it is compared: the sync group and its members
/// MASTER, VI_2 BACKUP, VI_3 in FAULT, both used scripts past their first result (VI_1's
/// weighted `chk_ok` is dropped, as keepalived drops weighted tracking in a sync group).
const SETTLED: [&str; 7] = [
    ".1.3.6.1.4.1.9586.100.5.2.1.1.3.1 = INTEGER: 2",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.1 = INTEGER: 2",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.2 = INTEGER: 1",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.3 = INTEGER: 3",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.4 = INTEGER: 2",
    ".1.3.6.1.4.1.9586.100.5.2.9.1.6.1 = INTEGER: 3",
    ".1.3.6.1.4.1.9586.100.5.2.9.1.6.2 = INTEGER: 2",
];

fn settled_walk(host: &Host, who: &str) -> Vec<String> {
    let mut last = Vec::new();
    let settled = wait_for(Duration::from_secs(30), || {
        let text = walk(host, KEEPALIVED_MIB);
        last = normalised_walk(&text.replace(&host.dir.display().to_string(), "<dir>"));
        SETTLED.iter().all(|want| last.iter().any(|l| l == want))
    });
    assert!(
        settled.is_some(),
        "{who}: the walk never showed {SETTLED:?}:\n{}",
        last.join("\n")
    );
    last
}

#[test]
fn keepalived_mib_walk_matches_stock_keepalived() {
    let [(stock_lab, _stock_snmpd), (ours_lab, _ours_snmpd)] = labs_with_snmpd(false);
    let (stock_host, ours_host) = (stock_lab.node("a"), ours_lab.node("a"));
    for host in [stock_host, ours_host] {
        std::fs::write(host.dir.join("track_file"), "0\n").unwrap();
    }
    let _stock = Daemon::start_stock(stock_host, STOCK.as_ref(), &config(&stock_host.dir));
    let ours = Daemon::start(ours_host, OURS.as_ref(), &config(&ours_host.dir));

    let stock_all = settled_walk(stock_host, "stock keepalived");
    let ours_all = settled_walk(ours_host, "ours");
    let (stock_later, s): (Vec<String>, Vec<String>) =
        stock_all.iter().cloned().partition(|l| later_advertise(l));
    let (ours_later, o): (Vec<String>, Vec<String>) =
        ours_all.iter().cloned().partition(|l| later_advertise(l));
    let both = format!(
        "stock:\n{}\nours:\n{}",
        stock_all.join("\n"),
        ours_all.join("\n")
    );
    for (i, (sl, ol)) in s.iter().zip(&o).enumerate() {
        assert_eq!(ol, sl, "line {i} differs\n{both}");
    }
    assert_eq!(o.len(), s.len(), "walk lengths differ\n{both}");
    assert!(
        s.len() >= 150,
        "stock walk is too short to mean anything\n{both}"
    );
    // Rows of the tables that need the less common settings, to know they were compared.
    for want in [
        "2.7.1.14.0.1 = INTEGER: 1",
        "2.7.1.14.1.1 = INTEGER: 1",
        "2.7.1.14.2.1 = INTEGER: 2",
        "2.14.1.1.1.1 = STRING: \"eth0",
        "2.15.1.2.1.1 = STRING: \"chk_ok",
        "2.12.1.2.2.1 = STRING: \"tf",
    ] {
        let line = format!("{KEEPALIVED_MIB}.{want}");
        assert!(s.contains(&line), "no {line:?}\n{both}");
    }
    // The slip's rows exist on both sides; ours say which addresses are advertised.
    let rows = |v: &[String]| {
        v.iter()
            .map(|l| l.split(" = ").next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&ours_later), rows(&stock_later), "{both}");
    let prefix = ".1.3.6.1.4.1.9586.100.5.2.6.1.11.";
    for (row, want) in [("2.1", 1), ("2.2", 2), ("3.1", 1), ("4.1", 1)] {
        let line = format!("{prefix}{row} = INTEGER: {want}");
        assert!(ours_later.contains(&line), "no {line:?}\n{both}");
    }
    assert!(
        ours.log_text().contains("registered KEEPALIVED-MIB (VRRP)"),
        "{}",
        ours.log_text()
    );
}
