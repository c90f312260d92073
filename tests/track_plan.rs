//! Tracker ids and weights per keepalived 2.2.7's rules (entry weight overrides the
//! object's, reverse, ±254 clamping, sync-group and address-owner restrictions, group
//! trackers) and start-up states.

mod track_support;

use keepalived_rs::track::TrackerPlan;
use keepalived_rs::vrrp::{TrackerRef, TrackerStatus};
use track_support::*;

const OBJECTS: &str = "
vrrp_script s_plain { script /bin/true }
vrrp_script s_w10 { script /bin/true\n weight 10 }
vrrp_script s_rev { script /bin/true\n weight -5 reverse }
vrrp_script s_missing { script /nonexistent/chk }
track_file f_default { file /var/tmp/ka-plan-f1 }
track_file f_w5 { file /var/tmp/ka-plan-f2\n weight 5 }
";

fn instance(name: &str, prio: u8, tracks: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n interface ka_if0\n virtual_router_id {prio}\n priority {prio}\n \
         virtual_ipaddress {{\n 198.18.0.{prio}\n }}\n{tracks}\n}}\n"
    )
}

fn refs(
    plan: &TrackerPlan,
    cfg: &keepalived_rs::config::model::Config,
    inst: &str,
) -> Vec<TrackerRef> {
    let i = cfg.instances.iter().find(|i| i.name == inst).unwrap();
    plan.instance_trackers(i)
}

fn r(id: keepalived_rs::vrrp::TrackerId, weight: i32, reverse: bool) -> TrackerRef {
    TrackerRef {
        id,
        weight,
        reverse,
    }
}

#[test]
fn ids_are_stable_and_distinct() {
    let text = format!(
        "{OBJECTS}{}",
        instance(
            "VI_1",
            100,
            " track_interface {\n lo\n dummy_x\n }\n track_script {\n s_plain\n s_w10\n s_rev\n s_missing\n }\n\
             track_file {\n f_default\n f_w5\n }"
        )
    );
    let a = TrackerPlan::from_config(&config(&text));
    let b = TrackerPlan::from_config(&config(&text));
    let ids = [
        a.script_id("s_plain"),
        a.script_id("s_w10"),
        a.script_id("s_rev"),
        a.script_id("s_missing"),
        a.file_id("f_default"),
        a.file_id("f_w5"),
        a.interface_id("lo"),
        a.interface_id("dummy_x"),
    ];
    let mut uniq: Vec<_> = ids.iter().map(|i| i.unwrap()).collect();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), ids.len());
    assert_eq!(a.interface_trackers(), b.interface_trackers());
    assert_eq!(a.script_id("s_rev"), b.script_id("s_rev"));
    assert_eq!(
        a.interface_trackers()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["lo", "dummy_x"]
    );
}

#[test]
fn entry_weights_override_object_weights() {
    let cfg = config(&format!(
        "{OBJECTS}{}",
        instance(
            "VI_1",
            100,
            " track_script {\n s_plain\n s_w10\n s_rev\n s_w10 weight 3\n s_missing\n }\n\
             track_file {\n f_default\n f_w5 weight -2 reverse\n }\n\
             track_interface {\n lo weight 254\n dummy_y weight -7 reverse\n }"
        )
    ));
    let p = TrackerPlan::from_config(&cfg);
    assert_eq!(
        refs(&p, &cfg, "VI_1"),
        [
            r(p.interface_id("lo").unwrap(), 253, false),
            r(p.interface_id("dummy_y").unwrap(), -7, true),
            r(p.script_id("s_plain").unwrap(), 0, false),
            // The duplicate `s_w10 weight 3` is ignored, as keepalived does.
            r(p.script_id("s_w10").unwrap(), 10, false),
            r(p.script_id("s_rev").unwrap(), -5, true),
            // s_missing cannot run: dropped.
            r(p.file_id("f_default").unwrap(), 1, false),
            r(p.file_id("f_w5").unwrap(), -2, true),
        ]
    );
}

#[test]
fn sync_group_members_lose_weights() {
    capture_logs();
    let cfg = config(&format!(
        "{OBJECTS}{}{}vrrp_sync_group G1 {{\n group {{\n VI_S\n VI_T\n }}\n}}\n\
         vrrp_sync_group G2 {{\n group {{\n VI_T\n }}\n sync_group_tracking_weight\n}}\n",
        instance(
            "VI_S",
            100,
            " track_script {\n s_plain\n s_w10\n }\n track_file {\n f_default\n f_w5\n }\n\
             track_interface {\n lo weight 10\n }"
        ),
        instance("VI_T", 101, " track_script {\n s_w10\n }")
    ));
    let p = TrackerPlan::from_config(&cfg);
    assert_eq!(
        refs(&p, &cfg, "VI_S"),
        [
            r(p.interface_id("lo").unwrap(), 0, false),
            r(p.script_id("s_plain").unwrap(), 0, false),
            r(p.file_id("f_default").unwrap(), 0, false),
        ]
    );
    assert!(
        !logged("(VI_S) ignoring tracked script s_w10 with weights due to SYNC group").is_empty()
    );
    assert!(!logged("(VI_S) ignoring lo tracked interface weight due to SYNC group").is_empty());
    assert!(
        !logged("(VI_S) ignoring tracked file f_w5 with weight 5 due to SYNC group").is_empty()
    );
    // VI_T belongs to G1 first (an instance is in one group only): weights dropped too.
    assert!(refs(&p, &cfg, "VI_T").is_empty());
}

#[test]
fn sync_group_tracking_weight_keeps_weights() {
    let cfg = config(&format!(
        "{OBJECTS}{}vrrp_sync_group G1 {{\n group {{\n VI_S\n }}\n sync_group_tracking_weight\n}}\n",
        instance("VI_S", 100, " track_script {\n s_w10\n }")
    ));
    let p = TrackerPlan::from_config(&cfg);
    assert_eq!(
        refs(&p, &cfg, "VI_S"),
        [r(p.script_id("s_w10").unwrap(), 10, false)]
    );
}

#[test]
fn address_owners_ignore_weights() {
    let cfg = config(&format!(
        "{OBJECTS}{}",
        instance(
            "VI_O",
            255,
            " track_script {\n s_plain\n s_w10\n }\n track_file {\n f_default\n f_w5\n }\n\
             track_interface {\n lo weight 10\n dummy_z\n }"
        )
    ));
    let p = TrackerPlan::from_config(&cfg);
    assert_eq!(
        refs(&p, &cfg, "VI_O"),
        [
            // A weighted interface is dropped on an owner (weight 0 ones stay).
            r(p.interface_id("dummy_z").unwrap(), 0, false),
            r(p.script_id("s_plain").unwrap(), 0, false),
            r(p.file_id("f_default").unwrap(), 0, false),
        ]
    );
}

#[test]
fn group_trackers_apply_to_members_and_clear_weights_with_an_owner() {
    let text = |prio: u8| {
        format!(
            "{OBJECTS}{}{}vrrp_sync_group G {{\n group {{\n VI_A\n VI_B\n }}\n\
             track_script {{\n s_w10\n }}\n track_interface {{\n lo weight -4\n }}\n}}\n",
            instance("VI_A", 100, ""),
            instance("VI_B", prio, "")
        )
    };
    let cfg = config(&text(90));
    let p = TrackerPlan::from_config(&cfg);
    assert_eq!(
        p.group_trackers(&cfg.sync_groups[0]),
        [
            r(p.script_id("s_w10").unwrap(), 10, false),
            r(p.interface_id("lo").unwrap(), -4, false)
        ]
    );
    let cfg = config(&text(255));
    let p = TrackerPlan::from_config(&cfg);
    assert_eq!(
        p.group_trackers(&cfg.sync_groups[0]),
        [
            r(p.script_id("s_w10").unwrap(), 0, false),
            r(p.interface_id("lo").unwrap(), 0, false)
        ]
    );
}

#[test]
fn start_states_are_neutral_until_scripts_report() {
    let cfg = config(&format!(
        "{OBJECTS}vrrp_script s_if {{ script /bin/true\n init_fail }}\n{}{}",
        instance(
            "VI_1",
            100,
            " track_script {\n s_plain\n s_w10\n s_rev\n s_if\n s_missing\n }\n\
             track_interface {\n lo\n ka_absent0\n }"
        ),
        instance("VI_2", 101, " track_script {\n s_w10 weight -6\n }")
    ));
    let p = TrackerPlan::from_config(&cfg);
    let st = p.initial_status();
    let get = |id| st.get(&id).copied();
    use TrackerStatus::*;
    // weight 0: not a fault before the first run.
    assert_eq!(get(p.script_id("s_plain").unwrap()), Some(Up));
    // Used with +10 and -6: either state moves one of them; no fault either way.
    assert!(get(p.script_id("s_w10").unwrap()).is_some());
    // weight -5 reverse: down is neutral (reverse swaps the sense).
    assert_eq!(get(p.script_id("s_rev").unwrap()), Some(Down));
    assert_eq!(get(p.script_id("s_if").unwrap()), Some(Down));
    // Refused scripts have no state.
    assert_eq!(get(p.script_id("s_missing").unwrap()), None);
    assert_eq!(get(p.interface_id("lo").unwrap()), Some(Up));
    assert_eq!(get(p.interface_id("ka_absent0").unwrap()), Some(Down));
}

#[test]
fn positive_weight_scripts_start_down() {
    let cfg = config(&format!(
        "{OBJECTS}{}",
        instance("VI_1", 100, " track_script {\n s_w10\n }")
    ));
    let p = TrackerPlan::from_config(&cfg);
    assert_eq!(
        p.initial_status().get(&p.script_id("s_w10").unwrap()),
        Some(&TrackerStatus::Down)
    );
}
