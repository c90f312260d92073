//! Our dumps read back the way external exporters read keepalived's: each of
//! keepalived-exporter's parsers ([`exporter_support`]) is run on keepalived 2.2.7's
//! captured files and on ours for the same configuration, and the results must agree.

mod dump_support;
mod exporter_support;

use std::collections::BTreeMap;
use std::time::Duration;

use dump_support::*;
use exporter_support::*;
use keepalived_rs::daemon::dump::{render_data, render_json, render_stats};
use keepalived_rs::daemon::status::Snapshot;

fn snapshots() -> [(&'static str, Snapshot); 2] {
    let p = settled_pair();
    [
        ("master", p.snapshot(&p.master)),
        ("backup", p.snapshot(&p.backup)),
    ]
}

#[test]
fn data_parses_like_keepalived_s() {
    for (role, snap) in snapshots() {
        let theirs = parse_data(&reference(role, "keepalived.data")).unwrap();
        let ours = parse_data(&render_data(&snap)).unwrap();
        assert_eq!(ours, theirs, "{role}");
        assert_eq!(ours.len(), 2);
        let want_state = if role == "master" { 2 } else { 1 };
        assert!(ours.values().all(|d| d.state == want_state), "{role}");
        assert_eq!(ours["VI_42"].vips.len(), 2);
    }
}

#[test]
fn scripts_parse_like_keepalived_s() {
    for (role, snap) in snapshots() {
        let theirs = parse_scripts(&reference(role, "keepalived.data"));
        let ours = parse_scripts(&render_data(&snap));
        assert_eq!(ours, theirs, "{role}");
        assert_eq!(
            ours,
            [(
                "chk_true".to_string(),
                "GOOD".to_string(),
                "idle".to_string()
            )]
        );
    }
}

#[test]
fn stats_parse_into_the_snapshot_counters() {
    for (role, snap) in snapshots() {
        let theirs = parse_stats(&reference(role, "keepalived.stats")).unwrap();
        let ours = parse_stats(&render_stats(&snap)).unwrap();
        // Same instances and the same counter names.
        let keys = |m: &BTreeMap<String, BTreeMap<String, i64>>| {
            m.iter()
                .map(|(i, c)| (i.clone(), c.keys().cloned().collect::<Vec<_>>()))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&ours), keys(&theirs), "{role}");
        for inst in &snap.instances {
            let c = &ours[&inst.name];
            assert_eq!(c.len(), 14);
            assert_eq!(c["Advertisements/Sent"], inst.stats.advert_sent as i64);
            assert_eq!(c["Advertisements/Received"], inst.stats.advert_rcvd as i64);
            assert_eq!(c["Became master"], inst.stats.become_master as i64);
        }
    }
}

#[test]
fn json_decodes_like_keepalived_s() {
    for (role, snap) in snapshots() {
        let theirs = parse_json(&reference(role, "keepalived.json"));
        let ours = parse_json(&render_json(&snap));
        let data = |v: &[JsonEntry]| v.iter().map(|e| e.data.clone()).collect::<Vec<_>>();
        assert_eq!(data(&ours), data(&theirs), "{role}");
        for (e, inst) in ours.iter().zip(&snap.instances) {
            assert_eq!(e.stats.len(), 14);
            assert_eq!(e.stats["advert_sent"], inst.stats.advert_sent as i64);
            assert_eq!(e.stats["advert_rcvd"], inst.stats.advert_rcvd as i64);
        }
        // The text and JSON views agree with each other.
        let text = parse_data(&render_data(&snap)).unwrap();
        for e in &ours {
            assert_eq!(text[&e.data.name], e.data);
        }
    }
}

#[test]
fn failover_and_fault_show_in_every_parsed_view() {
    let mut p = settled_pair();
    p.stop_master();
    p.run(Duration::from_secs(4));
    let now = p.now;
    p.backup.router.handle_interface(now, "kd0", false);
    let snap = p.snapshot(&p.backup);
    let data = parse_data(&render_data(&snap)).unwrap();
    let json = parse_json(&render_json(&snap));
    for d in data.values().chain(json.iter().map(|e| &e.data)) {
        assert_eq!(d.state, 3, "{} should be FAULT", d.name);
    }
    let stats = parse_stats(&render_stats(&snap)).unwrap();
    // It became master after the priority-0 adverts, then left it for FAULT.
    assert_eq!(stats["VI_41"]["Became master"], 1);
    assert_eq!(stats["VI_41"]["Released master"], 1);
    assert_eq!(stats["VI_41"]["Priority Zero/Received"], 1);
}
