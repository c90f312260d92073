//! KEEPALIVED-MIB (global scalars and VRRP tables, `1.3.6.1.4.1.9586.100.5`) through a
//! real AgentX master agent: Debian's `snmpd` in each of two lab namespaces, stock
//! keepalived 2.2.7 with `enable_snmp_vrrp` in one and ours in the other on the same
//! configuration: instances in MASTER, BACKUP and FAULT, a VRRPv3 unicast one, a sync
//! group with notify scripts and tracking, tracked scripts (one failing, one unused), a tracked
//! interface and file, tracked processes (one counted, tracked by an instance and by the
//! sync group, one unused), virtual and excluded addresses, virtual routes and rules,
//! static addresses, routes and rules, multipath routes, and mail settings. `snmpwalk -On`
//! of the subtree must give the same OIDs, types and values once what legitimately differs
//! is normalised:
//!
//! * the lab directory in paths (`vrrpFilePath`): each daemon has its own;
//! * `version` (`.1.1.0`): ours is keepalived's string followed by `, keepalived-rs X`,
//!   as our `-v` line is;
//! * `vrrpAddressIfIndex`, `vrrpRouteIfIndex` and `vrrpRouteNextHopIfIndex` (`.2.6.1.7`,
//!   `.2.7.1.11`, `.2.11.1.4`): interface numbers belong to each namespace;
//! * `vrrpProcessCurProc` and `vrrpProcessResult` (`.2.21.1.13`, `.2.21.1.14`) of the
//!   running process (`prunning`, row 2): keepalived 2.2.7 follows processes through the
//!   kernel's process connector, which answers only in the host's first network
//!   namespace; in the lab's it logs "Failed to set/clear process event listen" and never
//!   counts, so it reads 0 and false. Ours counts from `/proc` (1 and true, checked on
//!   their own). The tracked process (`ptrack`) is one that does not run, so that both
//!   daemons agree on its state and on what it does to the instances;
//! * `vrrpProcessParamMatch` (`.2.21.1.5`): keepalived 2.2.7 answers with its own
//!   numbering (none 0, exact 1, initial 2, partial 3; still so upstream) where the MIB
//!   says partial(2), initial(3); ours follows the MIB, checked on its own;
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

/// The arguments of the process both daemons count (`vrrp_track_process`): one `sleep`
/// the test starts (sleep adds its arguments up), told apart from any other by the
/// test's pid.
fn marker() -> String {
    format!("3600 0.{}", std::process::id())
}

/// The counted process, killed (by its pid) when the test ends.
struct Counted(std::process::Child);

impl Drop for Counted {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
    198.18.8.0/24 dev eth0 nexthop via 198.18.0.251 dev eth0 weight 2 nexthop via 198.18.0.252 dev eth0
}}
static_rules {{
    from 198.18.30.0/24 table 100 preference 100
    to 198.18.31.0/24 iif eth0 preference 110 not table 101
    to fd00:31::/64 preference 120 table 100
}}
vrrp_track_process ptrack {{
    process no-such-process-kmib
    weight 7
    delay 0.5
}}
vrrp_track_process prunning {{
    process sleep {marker}
    param_match initial
    quorum_max 3
    fork_delay 2
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
    track_process {{
        ptrack weight 0 reverse
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
        198.18.9.0/24 dev eth0 nexthop via 198.18.0.253 dev eth0 onlink
    }}
    virtual_rules {{
        from 198.18.0.101/32 table 100
        to 198.18.32.0/24 oif eth0 preference 150 goto 200
        from 198.18.33.0/24 preference 160 blackhole
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
    virtual_rules {{
        from 198.18.0.102/32 preference 130 table 102
    }}
    track_process {{
        ptrack
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
        dir = dir.display(),
        marker = marker()
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
    } else if [".2.6.1.7.", ".2.7.1.11.", ".2.11.1.4."]
        .iter()
        .any(|t| tail.starts_with(t))
    {
        assert!(value.starts_with("INTEGER: "), "not an ifIndex: {line}");
        "INTEGER: <ifindex>".to_string()
    } else {
        value.trim_end().to_string()
    };
    let value = if tail == ".2.21.1.13.2" || tail == ".2.21.1.14.2" {
        "INTEGER: <running>".to_string()
    } else {
        value
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

/// `vrrpProcessParamMatch` (stock keepalived's numbering is not the MIB's).
fn param_match(line: &str) -> bool {
    line.starts_with(".1.3.6.1.4.1.9586.100.5.2.21.1.5.")
}

/// The rows where stock keepalived 2.2.7 departs from the MIB (see the module doc).
fn slip(line: &str) -> bool {
    later_advertise(line) || param_match(line)
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
const SETTLED: [&str; 8] = [
    ".1.3.6.1.4.1.9586.100.5.2.1.1.3.1 = INTEGER: 2",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.1 = INTEGER: 2",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.2 = INTEGER: 1",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.3 = INTEGER: 3",
    ".1.3.6.1.4.1.9586.100.5.2.3.1.4.4 = INTEGER: 2",
    ".1.3.6.1.4.1.9586.100.5.2.9.1.6.1 = INTEGER: 3",
    ".1.3.6.1.4.1.9586.100.5.2.9.1.6.2 = INTEGER: 2",
    ".1.3.6.1.4.1.9586.100.5.2.21.1.14.1 = INTEGER: 2",
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
    let _counted = Counted(
        std::process::Command::new("sleep")
            .args(marker().split(' '))
            .spawn()
            .expect("start the tracked process"),
    );
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
        stock_all.iter().cloned().partition(|l| slip(l));
    let (ours_later, o): (Vec<String>, Vec<String>) =
        ours_all.iter().cloned().partition(|l| slip(l));
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
        "2.8.1.7.0.1 = INTEGER: 1",
        "2.8.1.7.2.1 = INTEGER: 2",
        "2.8.1.25.1.1 = Gauge32: 16384",
        "2.11.1.6.0.2.1 = Gauge32: 2",
        "2.11.1.7.1.2.1 = INTEGER: 1",
        "2.20.1.2.2.1 = STRING: \"ptrack",
        "2.21.1.13.1 = INTEGER: 0",
        "2.21.1.13.2 = INTEGER: <running>",
        "2.22.1.2.1.1 = STRING: \"ptrack",
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
    // `param_match initial`: keepalived says 2 (its own numbering), the MIB initial(3).
    let prefix = ".1.3.6.1.4.1.9586.100.5.2.21.1.5.";
    for (side, row, want) in [
        (&stock_later, 1, 0),
        (&stock_later, 2, 2),
        (&ours_later, 1, 0),
        (&ours_later, 2, 3),
    ] {
        let line = format!("{prefix}{row} = INTEGER: {want}");
        assert!(side.contains(&line), "no {line:?}\n{both}");
    }
    // Ours counts the running process (stock keepalived cannot in a namespace).
    for column in [13, 14] {
        let oid = format!("{KEEPALIVED_MIB}.2.21.1.{column}.2");
        let got = walk(ours_host, &oid);
        assert!(got.contains("INTEGER: 1"), "{oid}: {got}");
    }
    assert!(
        ours.log_text().contains("registered KEEPALIVED-MIB (VRRP)"),
        "{}",
        ours.log_text()
    );
}
