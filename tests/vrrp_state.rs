//! State-machine rules of keepalived 2.2.7, one test per rule, named after the RFC
//! section or the keepalived behaviour it proves (each test's doc comment states it).

mod common;

use std::time::Duration;

use common::*;
use keepalived_rs::vrrp::{
    password_bytes, Action, AuthConfig, NotifyState, NotifyTarget, State, SyncGroupConfig,
    TrackerId, TrackerRef, TrackerStatus, UnicastPeer, Version,
};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
/// Master_Down_Interval for priority 100 at 1 s.
const DOWN_100: Duration = Duration::from_micros(3_609_375);

fn backup_with_master_at(prio: u8) -> (Harness, Vec<u8>) {
    let h = Harness::new(vec![cfg("VI_1", 100, 2)]);
    let peer = cfg("VI_1", prio, 1);
    (h, advert_from(&peer, prio))
}

#[test]
fn checklist_10_startup_enters_backup_init_and_waits_full_down_timer() {
    let mut c = cfg("VI_1", 100, 1);
    c.initial_state_master = true; // state MASTER below 255 behaves as BACKUP
    let mut h = Harness::new(vec![c]);
    assert!(h.has_log("(VI_1) Entering BACKUP STATE (init)"));
    assert!(h.actions.iter().any(|(_, a)| matches!(
        a,
        Action::Notify {
            state: NotifyState::Backup,
            ..
        }
    )));
    assert_eq!(h.status(0).state, State::Backup);
    let t = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(t - h.t0, DOWN_100);
    assert!(h.has_log("(VI_1) Entering MASTER STATE"));
}

#[test]
fn checklist_10_owner_with_state_master_takes_over_at_once() {
    let mut c = cfg("VI_1", 255, 1);
    c.initial_state_master = true;
    let mut h = Harness::new(vec![c]);
    assert!(!h.has_log("(VI_1) Entering BACKUP STATE (init)"));
    let t = h.run_until_state(0, State::Master, SEC);
    assert_eq!(t - h.t0, Duration::from_micros(1));
}

#[test]
fn checklist_16_becoming_master_advert_then_vips_then_garps_then_delayed_burst() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 1)]);
    h.take();
    h.run_until_state(0, State::Master, 10 * SEC);
    let acts = h.take();
    let kinds: Vec<&str> = acts
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { .. } => Some("advert"),
            Action::AddVips { .. } => Some("vips"),
            Action::SendGarp { .. } => Some("garp"),
            Action::Notify { .. } => Some("notify"),
            _ => None,
        })
        .collect();
    let mut expected = vec!["advert", "vips"];
    expected.extend(std::iter::repeat_n("garp", 10));
    expected.push("notify");
    assert_eq!(kinds, expected);
    // GARP order: .102, .103, .102, … (rounds over the VIPs).
    let garps: Vec<_> = acts
        .iter()
        .filter_map(|a| match a {
            Action::SendGarp { addr, .. } => Some(*addr),
            _ => None,
        })
        .collect();
    assert_eq!(&garps[..3], &[v4(102), v4(103), v4(102)]);
    h.advance(5 * SEC - MS);
    assert_eq!(
        h.take()
            .iter()
            .filter(|a| matches!(a, Action::SendGarp { .. }))
            .count(),
        0
    );
    h.advance(2 * MS);
    assert_eq!(
        h.take()
            .iter()
            .filter(|a| matches!(a, Action::SendGarp { .. }))
            .count(),
        10
    );
    assert_eq!(h.status(0).stats.become_master, 1);
}

#[test]
fn rfc3768_6_4_3_master_sends_an_advert_every_interval() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    h.advance(10 * SEC);
    let adverts = h.adverts();
    assert_eq!(adverts.len(), 10);
    for w in adverts.windows(2) {
        assert_eq!(w[1].0 - w[0].0, SEC);
    }
    // IP IDs count up from 1 (first advert on becoming master).
    let ids: Vec<u16> = adverts
        .iter()
        .map(|(_, p)| u16::from_be_bytes([p[4], p[5]]))
        .collect();
    assert_eq!(ids, (2..=11).collect::<Vec<u16>>());
}

#[test]
fn checklist_12_backup_accepts_higher_and_equal_and_never_preempts_on_equal() {
    let (mut h, adv) = backup_with_master_at(100);
    for _ in 0..10 {
        h.advance(SEC);
        h.rx(&adv);
    }
    assert_eq!(h.status(0).state, State::Backup);
    assert_eq!(h.status(0).master_addr, Some(v4(1)));
    assert!(h.adverts().is_empty());
}

#[test]
fn checklist_12_lower_priority_is_discarded_and_backup_waits_for_its_timer() {
    let (mut h, adv) = backup_with_master_at(50);
    h.advance(SEC);
    h.rx(&adv);
    assert!(h.has_log("(VI_1) received lower priority (50) advert from 198.18.0.1 - discarding"));
    assert!(h.adverts().is_empty(), "2.x sends no forcing advert");
    // The down timer started at t0 keeps running.
    let t = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(t - h.t0, DOWN_100);
}

#[test]
fn checklist_9_backup_takes_over_exactly_skew_after_priority_zero() {
    let (mut h, adv) = backup_with_master_at(150);
    h.advance(SEC);
    h.rx(&adv);
    let peer = cfg("VI_1", 150, 1);
    h.advance(SEC);
    h.rx(&advert_from(&peer, 0));
    let at = h.now;
    assert!(h.has_log("(VI_1) Backup received priority 0 advertisement"));
    assert_eq!(h.status(0).stats.pri_zero_rcvd, 1);
    let t = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(t - at, Duration::from_micros(609_375));
}

#[test]
fn rfc3768_6_4_2_valid_advert_resets_the_down_timer() {
    let (mut h, adv) = backup_with_master_at(150);
    h.advance(3 * SEC);
    h.rx(&adv);
    let at = h.now;
    let t = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(t - at, DOWN_100);
}

#[test]
fn checklist_4_wrong_password_is_ignored_and_backup_still_takes_over() {
    let mut mine = cfg("VI_1", 100, 2);
    mine.auth = AuthConfig::Pass(password_bytes("secret12"));
    let mut h = Harness::new(vec![mine]);
    let mut peer = cfg("VI_1", 150, 1);
    peer.auth = AuthConfig::Pass(password_bytes("wrong"));
    for _ in 0..3 {
        h.advance(SEC);
        h.rx(&advert_from(&peer, 150));
    }
    assert!(h.has_log("(VI_1) received an invalid passwd!"));
    assert_eq!(h.status(0).stats.auth_failure, 3);
    assert_eq!(h.status(0).stats.advert_rcvd, 0);
    let t = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(
        t - h.t0,
        DOWN_100,
        "2.x: bad packets do not reset the down timer"
    );
}

#[test]
fn checklist_5_interval_mismatch_is_dropped_without_counters() {
    let (mut h, _) = backup_with_master_at(150);
    let mut peer = cfg("VI_1", 150, 1);
    peer.advert_int = 2 * SEC;
    h.rx(&advert_from(&peer, 150));
    assert!(h.has_log("(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec"));
    assert_eq!(h.status(0).stats, Default::default());
}

#[test]
fn checklist_6_vip_count_and_missing_vip() {
    let (mut h, _) = backup_with_master_at(150);
    let mut peer = cfg("VI_1", 150, 1);
    peer.vips.push(v4(104));
    h.rx(&advert_from(&peer, 150));
    assert!(h.has_log("(VI_1) received an unexpected ip number count 3, expected 2!"));
    peer.vips = vec![v4(102), v4(104)];
    h.rx(&advert_from(&peer, 150));
    assert!(h.has_log(
        "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 198.18.0.103"
    ));
    assert_eq!(h.status(0).stats.addr_list_err, 2);
    // Order does not matter.
    peer.vips = vec![v4(103), v4(102)];
    h.rx(&advert_from(&peer, 150));
    assert_eq!(h.status(0).stats.addr_list_err, 2);
    assert_eq!(h.status(0).master_addr, Some(v4(1)));
}

#[test]
fn checklist_7_ttl_must_be_255_on_multicast_but_not_unicast() {
    let (mut h, mut adv) = backup_with_master_at(150);
    adv[8] = 64;
    fix_ip_checksum(&mut adv);
    h.rx(&adv);
    assert!(h.has_log("(VI_1) invalid TTL/HL. Received 64 and expect 255"));
    assert_eq!(h.status(0).stats.ip_ttl_err, 1);

    let mut mine = cfg("VI_1", 100, 2);
    mine.unicast_peers = vec![UnicastPeer::new(v4(1))];
    let mut h = Harness::new(vec![mine]);
    let mut peer = cfg("VI_1", 150, 1);
    peer.unicast_peers = vec![UnicastPeer::new(v4(2))];
    let mut adv = advert_from(&peer, 150);
    adv[8] = 64;
    fix_ip_checksum(&mut adv);
    h.rx(&adv);
    assert_eq!(h.status(0).stats.ip_ttl_err, 0);
    assert_eq!(h.status(0).stats.advert_rcvd, 1);
}

fn fix_ip_checksum(p: &mut [u8]) {
    p[10] = 0;
    p[11] = 0;
    let c = keepalived_rs::vrrp::checksum::rfc1071(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
}

#[test]
fn checklist_8_unknown_vrids_are_ignored_silently_unless_logged() {
    let (mut h, _) = backup_with_master_at(150);
    let mut other = cfg("VI_9", 150, 1);
    other.vrid = 52;
    h.take();
    h.rx(&advert_from(&other, 150));
    assert!(h.take().is_empty());
    h.router.set_log_unknown_vrids(true);
    h.rx(&advert_from(&other, 150));
    assert!(h.logs()[0].starts_with("Unknown VRID(52) received on interface("));
}

#[test]
fn checklist_13_master_yields_to_higher_priority_without_priority_zero() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 2)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    h.rx(&advert_from(&cfg("VI_1", 150, 1), 150));
    assert!(h.has_log(
        "(VI_1) Master received advert from 198.18.0.1 with higher priority 150, ours 100"
    ));
    assert!(h.has_log("(VI_1) Entering BACKUP STATE"));
    assert_eq!(h.status(0).state, State::Backup);
    assert!(h.adverts().is_empty(), "no priority-0 advert when yielding");
    assert!(h
        .actions
        .iter()
        .any(|(_, a)| matches!(a, Action::RemoveVips { .. })));
    assert_eq!(h.status(0).stats.release_master, 1);
}

#[test]
fn checklist_13_equal_priority_higher_address_wins() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 2)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.rx(&advert_from(&cfg("VI_1", 100, 1), 100)); // lower address: we stay
    assert_eq!(h.status(0).state, State::Master);
    assert!(h.has_log("(VI_1) Received advert from 198.18.0.1 with lower priority 100, ours 100, forcing new election"));
    h.rx(&advert_from(&cfg("VI_1", 100, 3), 100)); // higher address: we yield
    assert!(h.has_log("(VI_1) Master received advert from 198.18.0.3 with same priority 100 but higher IP address than ours"));
    assert_eq!(h.status(0).state, State::Backup);
}

#[test]
fn checklist_14_master_answers_lower_priority_with_advert_garps_and_notify() {
    let mut h = Harness::new(vec![cfg("VI_1", 150, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.advance(6 * SEC); // past the become-master GARP bursts
    h.take();
    h.rx(&advert_from(&cfg("VI_1", 100, 2), 100));
    assert!(h.has_log("(VI_1) Received advert from 198.18.0.2 with lower priority 100, ours 150, forcing new election"));
    let acts = h.take();
    assert!(matches!(
        acts.iter().find(|a| !matches!(a, Action::Log { .. })),
        Some(Action::SendAdvert { .. })
    ));
    assert_eq!(
        acts.iter()
            .filter(|a| matches!(a, Action::SendGarp { .. }))
            .count(),
        10
    );
    assert!(acts.iter().any(|a| matches!(
        a,
        Action::Notify {
            state: NotifyState::MasterRxLowerPri,
            priority: 150,
            ..
        }
    )));
    h.advance(5 * SEC);
    assert_eq!(
        h.take()
            .iter()
            .filter(|a| matches!(a, Action::SendGarp { .. }))
            .count(),
        10
    );
}

#[test]
fn lower_prio_no_advert_suppresses_the_answer_and_the_rearm() {
    let mut c = cfg("VI_1", 150, 1);
    c.advert.lower_prio_no_advert = true;
    let mut h = Harness::new(vec![c]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    h.rx(&advert_from(&cfg("VI_1", 100, 2), 100));
    assert!(h.has_log("(VI_1) Received advert from 198.18.0.2 with lower priority 100, ours 150"));
    assert!(h.adverts().is_empty());
}

#[test]
fn higher_prio_send_advert_sends_before_yielding() {
    let mut c = cfg("VI_1", 100, 2);
    c.advert.higher_prio_send_advert = true;
    let mut h = Harness::new(vec![c]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    h.rx(&advert_from(&cfg("VI_1", 150, 1), 150));
    assert_eq!(h.adverts().len(), 1);
    assert_eq!(advert_priority(&h.adverts()[0].1), 100);
    assert_eq!(h.status(0).state, State::Backup);
}

#[test]
fn checklist_15_master_answers_priority_zero_with_an_advert_only() {
    let mut h = Harness::new(vec![cfg("VI_1", 150, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.advance(6 * SEC);
    h.take();
    h.rx(&advert_from(&cfg("VI_1", 100, 2), 0));
    let acts = h.take();
    assert_eq!(
        acts.iter()
            .filter(|a| matches!(a, Action::SendAdvert { .. }))
            .count(),
        1
    );
    assert!(!acts.iter().any(|a| matches!(a, Action::SendGarp { .. })));
    assert_eq!(h.status(0).state, State::Master);
}

/// keepalived 2.2.7 re-arms the master's advert timer after any packet, valid or not, so
/// junk arriving faster than the interval silences the master. Here a rejected packet
/// moves no timer (issue 15; conformance/DIFFERENCES.md).
#[test]
fn checklist_18_invalid_packets_never_rearm_the_masters_advert_timer() {
    let mut h = Harness::new(vec![cfg("VI_1", 150, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    let mut bad = cfg("VI_1", 100, 2);
    bad.auth = AuthConfig::Pass(password_bytes("x")); // invalid for us
    for _ in 0..5 {
        h.advance(900 * MS);
        h.rx(&advert_from(&bad, 100));
    }
    assert_eq!(h.adverts().len(), 4, "one advert a second despite the junk");
    assert_eq!(
        h.status(0).stats.authtype_mismatch,
        5,
        "the junk was counted"
    );
}

/// Issue 15: 20,000 bad packets log keepalived's line for the first few of each window
/// and one `N similar messages suppressed` line per window, not 20,000 lines; every packet
/// is still counted, and the master keeps its one advert a second.
#[test]
fn a_flood_of_bad_packets_logs_a_bounded_number_of_lines() {
    let mut h = Harness::new(vec![cfg("VI_1", 150, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    let mut mine = cfg("VI_1", 100, 2);
    mine.auth = AuthConfig::Pass(password_bytes("x"));
    let bad = advert_from(&mine, 100);
    for _ in 0..20_000 {
        h.advance(MS);
        h.rx(&bad);
    }
    h.advance(6 * SEC);
    let logs = h.logs();
    let first = "(VI_1) received a 1 auth, expecting 0!";
    let shown = logs.iter().filter(|l| *l == first).count();
    let suppressed: Vec<u64> = logs
        .iter()
        .filter_map(|l| {
            l.strip_prefix("(VI_1) ")?
                .strip_suffix(" similar messages suppressed (auth_type_mismatch)")?
                .parse()
                .ok()
        })
        .collect();
    assert!(logs.len() <= 20, "{} lines: {logs:?}", logs.len());
    assert!((3..=15).contains(&shown), "{shown} first lines");
    assert!(!suppressed.is_empty(), "a suppression line: {logs:?}");
    assert_eq!(suppressed.iter().sum::<u64>() + shown as u64, 20_000);
    assert_eq!(h.status(0).stats.authtype_mismatch, 20_000);
    assert_eq!(h.adverts().len(), 26, "one advert a second throughout");
}

#[test]
fn checklist_17_shutdown_sends_one_priority_zero_then_removes_vips() {
    let mut h = Harness::new(vec![cfg("VI_1", 150, 1), cfg("VI_2", 100, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    let now = h.now;
    h.router.shutdown(now);
    h.drain();
    let acts = h.take();
    let kinds: Vec<&str> = acts
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { packet, .. } => {
                assert_eq!(advert_priority(packet), 0);
                Some("prio0")
            }
            Action::RemoveVips { .. } => Some("remove"),
            Action::Notify {
                state: NotifyState::Stop,
                ..
            } => Some("stop"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["prio0", "remove", "stop", "stop"]);
    assert_eq!(h.status(0).stats.pri_zero_sent, 1);
    assert_eq!(h.router.poll_timeout(), None);

    let mut h = Harness::new(vec![cfg("VI_1", 150, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    h.router.set_dont_release_vrrp(true);
    let now = h.now;
    h.router.shutdown(now);
    h.drain();
    assert!(h.adverts().is_empty());
    assert!(!h
        .actions
        .iter()
        .any(|(_, a)| matches!(a, Action::RemoveVips { .. })));
}

#[test]
fn checklist_19_effective_priority_is_clamped_and_owner_never_changes() {
    let t = TrackerId(1);
    let mut c = cfg("VI_1", 100, 1);
    c.trackers = vec![TrackerRef {
        id: t,
        weight: 200,
        reverse: false,
    }];
    let mut owner = cfg("VI_2", 255, 1);
    owner.vrid = 52;
    owner.trackers = vec![TrackerRef {
        id: t,
        weight: -50,
        reverse: false,
    }];
    let mut h = Harness::new(vec![c, owner]);
    assert_eq!(h.status(0).effective_priority, 254);
    let now = h.now;
    h.router.handle_tracker(now, t, TrackerStatus::Down);
    h.drain();
    assert_eq!(h.status(0).effective_priority, 100);
    assert!(h.has_log("(VI_1) Changing effective priority from 254 to 100"));
    assert_eq!(h.status(1).effective_priority, 255);
}

#[test]
fn checklist_19_weight_zero_failure_faults_a_master_with_two_priority_zero_adverts() {
    let t = TrackerId(7);
    let mut c = cfg("VI_1", 150, 1);
    c.trackers = vec![TrackerRef {
        id: t,
        weight: 0,
        reverse: false,
    }];
    let mut h = Harness::new(vec![c]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    let now = h.now;
    h.router.handle_tracker(now, t, TrackerStatus::Down);
    h.drain();
    assert!(h.has_log("(VI_1) Entering FAULT STATE"));
    let acts = h.take();
    let prio0 = acts
        .iter()
        .filter(|a| matches!(a, Action::SendAdvert { packet, .. } if advert_priority(packet) == 0))
        .count();
    assert_eq!(prio0, 2, "2.2.7 puts two priority-0 adverts on the wire");
    let remove = acts
        .iter()
        .position(|a| matches!(a, Action::RemoveVips { .. }))
        .unwrap();
    let last_advert = acts
        .iter()
        .rposition(|a| matches!(a, Action::SendAdvert { .. }))
        .unwrap();
    assert!(last_advert < remove);
    assert_eq!(h.status(0).state, State::Fault);
    // Adverts are ignored in FAULT.
    h.rx(&advert_from(&cfg("VI_1", 100, 2), 100));
    assert_eq!(h.status(0).stats.advert_rcvd, 0);
    // Leaving FAULT always lands in BACKUP with the full down timer.
    h.advance(SEC);
    let now = h.now;
    h.router.handle_tracker(now, t, TrackerStatus::Up);
    h.drain();
    assert!(h.has_log("(VI_1) Entering BACKUP STATE"));
    let t_up = h.now;
    let back = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(
        back - t_up,
        Duration::from_micros(3_000_000 + 106 * 1_000_000 / 256)
    );
}

#[test]
fn reference_3_6_owner_leaving_fault_goes_through_backup() {
    let mut c = cfg("VI_1", 255, 1);
    c.initial_state_master = true;
    c.interface = "eth0".into();
    let mut h = Harness::new(vec![c]);
    h.run_until_state(0, State::Master, SEC);
    let now = h.now;
    h.router.handle_interface(now, "eth0", false);
    h.drain();
    assert_eq!(h.status(0).state, State::Fault);
    let now = h.now;
    h.router.handle_interface(now, "eth0", true);
    h.drain();
    assert_eq!(h.status(0).state, State::Backup);
    let t = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(t - now, Duration::from_micros(3_003_906));
}

#[test]
fn rfc3768_6_4_2_nopreempt_accepts_lower_priority_masters() {
    let mut c = cfg("VI_1", 150, 2);
    c.nopreempt = true;
    let mut h = Harness::new(vec![c]);
    let adv = advert_from(&cfg("VI_1", 100, 1), 100);
    for _ in 0..10 {
        h.advance(SEC);
        h.rx(&adv);
    }
    assert_eq!(h.status(0).state, State::Backup);
}

#[test]
fn preempt_delay_holds_back_preemption_for_the_delay() {
    let mut c = cfg("VI_1", 150, 2);
    c.preempt_delay = 5 * SEC;
    let mut h = Harness::new(vec![c]);
    let adv = advert_from(&cfg("VI_1", 100, 1), 100);
    for _ in 0..15 {
        h.advance(SEC);
        if h.status(0).state == State::Backup {
            h.rx(&adv);
        }
    }
    // Accepted while the delay (started by the first lower advert at t=1 s) runs, i.e.
    // up to t=5 s; discarded from t=6 s; the down timer restarted at t=5 s expires
    // Master_Down_Interval (prio 150: 3.414062 s) later.
    assert!(h.has_log("(VI_1) received lower priority (100) advert from 198.18.0.1 - discarding"));
    let became = h.actions.iter().find_map(|(t, a)| match a {
        Action::StateChanged {
            to: State::Master, ..
        } => Some(*t - h.t0),
        _ => None,
    });
    assert_eq!(became, Some(5 * SEC + Duration::from_micros(3_414_062)));
}

#[test]
fn rfc5798_6_4_2_v3_backup_adopts_the_masters_interval() {
    let mut c = cfg("VI_1", 100, 2);
    c.version = Version::V3;
    let mut h = Harness::new(vec![c]);
    let mut peer = cfg("VI_1", 150, 1);
    peer.version = Version::V3;
    peer.advert_int = 500 * MS;
    h.rx(&advert_from(&peer, 150));
    assert_eq!(h.status(0).master_adver_int, 500 * MS);
    assert!(h.has_log("(VI_1) advertisement interval updated from 1000ms to 500ms by master"));
    let at = h.now;
    let t = h.run_until_state(0, State::Master, 10 * SEC);
    assert_eq!(
        t - at,
        Duration::from_micros(1_500_000 + 156 * 50 * 625 / 16)
    );
    assert_eq!(
        h.status(0).master_adver_int,
        SEC,
        "interval restored on becoming master"
    );
}

#[test]
fn checklist_2_v3_unicast_old_checksum_is_accepted_and_adopted() {
    let mut c = cfg("VI_1", 100, 2);
    c.version = Version::V3;
    c.unicast_peers = vec![UnicastPeer::new(v4(1))];
    let mut h = Harness::new(vec![c.clone()]);
    let mut peer = cfg("VI_1", 150, 1);
    peer.version = Version::V3;
    peer.unicast_peers = vec![UnicastPeer::new(v4(2))];
    let dst = v4(2);
    let group = peer.multicast_group();
    let old = keepalived_rs::vrrp::advert::encode(
        &peer,
        &keepalived_rs::vrrp::advert::AdvertFields {
            priority: 150,
            ip_id: 1,
            ah_seq: 0,
            dst,
            checksum_dst: group,
            ttl: 255,
        },
    );
    h.rx(&old);
    assert!(h.has_log("(VI_1) Setting unicast VRRPv3 checksum to old version"));
    assert_eq!(h.status(0).stats.advert_rcvd, 1);
    // Our own adverts now use the old form too.
    h.run_until_state(0, State::Master, 10 * SEC);
    let (_, pkt) = h.adverts()[0].clone();
    let v = keepalived_rs::vrrp::ip::Ipv4VrrpView::parse(&pkt).unwrap();
    let std::net::IpAddr::V4(g) = group else {
        unreachable!()
    };
    assert!(v.vrrp().verify_v3_ipv4_checksum(v.src(), g));
    assert!(!v.vrrp().verify_v3_ipv4_checksum(v.src(), v.dst()));

    // `old_unicast_checksum never` refuses it.
    c.old_unicast_checksum = keepalived_rs::vrrp::OldUnicastChecksum::Never;
    let mut h = Harness::new(vec![c]);
    h.rx(&old);
    assert!(h.has_log("(VI_1) Invalid VRRPv3 checksum"));
}

#[test]
fn rfc3768_7_1_ah_replay_and_bad_key_are_rejected() {
    let mut mine = cfg("VI_1", 100, 2);
    mine.auth = AuthConfig::Ah(password_bytes("secret12"));
    let mut h = Harness::new(vec![mine]);
    let mut peer = cfg("VI_1", 150, 1);
    peer.auth = AuthConfig::Ah(password_bytes("secret12"));
    let adv = advert_from(&peer, 150);
    h.rx(&adv);
    assert_eq!(h.status(0).stats.advert_rcvd, 1);
    h.rx(&adv);
    assert!(h.has_log(
        "(VI_1) IPSEC-AH : sequence number 1 already processed. Packet dropped. Local(1)"
    ));
    peer.auth = AuthConfig::Ah(password_bytes("other"));
    h.rx(&advert_from(&peer, 150));
    assert!(h.has_log(
        "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"
    ));
    assert_eq!(h.status(0).stats.auth_failure, 2);
    // A PASS packet to an AH instance: no AH header.
    peer.auth = AuthConfig::Pass(password_bytes("x"));
    h.rx(&advert_from(&peer, 150));
    assert!(h.has_log("(VI_1) No AH header but auth type is AH"));
    assert_eq!(h.status(0).stats.authtype_mismatch, 1);
}

#[test]
fn rfc3768_7_1_auth_type_and_packet_type_and_length_checks() {
    let (mut h, adv) = backup_with_master_at(150);
    let mut peer = cfg("VI_1", 150, 1);
    peer.auth = AuthConfig::Pass(password_bytes("x"));
    h.rx(&advert_from(&peer, 150));
    assert!(h.has_log("(VI_1) received a 1 auth, expecting 0!"));
    let mut p = adv.clone();
    p[24] = 7; // auth type 7
    h.rx(&p);
    assert!(h.has_log("(VI_1) Invalid auth type: 7"));
    let mut p = adv.clone();
    p[20] = 0x22; // type 2
    h.rx(&p);
    assert!(h.has_log("(VI_1) Invalid packet type. 2 and expect 1"));
    let mut p = adv.clone();
    p.push(0);
    h.rx(&p);
    assert!(h.has_log("(VI_1) vrrp packet too long, length 45 and expect 44"));
    let mut p = adv.clone();
    p[26] ^= 0xff;
    h.rx(&p);
    assert!(h.has_log("(VI_1) Invalid VRRPv2 checksum"));
    let mut p = adv.clone();
    p[20] = 0x31; // a v3 message is 8 bytes shorter: the length check fires first
    h.rx(&p);
    assert!(h.has_log("(VI_1) vrrp packet too long, length 44 and expect 36"));
    let mut v3 = cfg("VI_1", 150, 1);
    v3.version = Version::V3;
    h.rx(&advert_from(&v3, 150));
    assert!(h.has_log("(VI_1) wrong version. Received 3 and expect 2"));
    h.rx(&adv[..20]);
    assert!(h.has_log("IPv4 VRRP packet too short - 20 bytes"));
    let s = h.status(0).stats;
    assert_eq!(
        (
            s.authtype_mismatch,
            s.invalid_authtype,
            s.invalid_type_rcvd,
            s.packet_len_err
        ),
        (1, 1, 1, 2)
    );
    assert_eq!(s.advert_rcvd, 0);
}

#[test]
fn rfc5798_7_1_multicast_instance_rejects_unicast_packets() {
    let (mut h, _) = backup_with_master_at(150);
    let mut peer = cfg("VI_1", 150, 1);
    peer.unicast_peers = vec![UnicastPeer::new(v4(2))];
    h.rx(&advert_from(&peer, 150));
    assert!(h.has_log("(VI_1) Expected multicast packet but received unicast packet"));
    assert_eq!(h.status(0).stats.addr_list_err, 1);
}

#[test]
fn check_unicast_src_rejects_strangers() {
    let mut mine = cfg("VI_1", 100, 2);
    mine.unicast_peers = vec![UnicastPeer::new(v4(1))];
    mine.advert.check_unicast_src = true;
    let mut h = Harness::new(vec![mine]);
    let mut stranger = cfg("VI_1", 150, 9);
    stranger.unicast_peers = vec![UnicastPeer::new(v4(2))];
    h.rx(&advert_from(&stranger, 150));
    assert!(h.has_log("(VI_1) unicast source address 198.18.0.9 not a unicast peer"));
}

#[test]
fn owner_conflict_reduces_local_priority() {
    let mut c = cfg("VI_1", 255, 1);
    c.initial_state_master = true;
    let mut h = Harness::new(vec![c]);
    h.run_until_state(0, State::Master, SEC);
    h.rx(&advert_from(&cfg("VI_1", 255, 2), 255));
    assert!(h.has_log("(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority"));
    assert_eq!(h.status(0).effective_priority, 254);
    assert_eq!(
        h.status(0).state,
        State::Backup,
        "then yields to the other owner"
    );
}

#[test]
fn reference_3_8_sync_group_moves_together_with_group_notifies() {
    let a = cfg("VI_1", 100, 1);
    let mut b = cfg("VI_2", 100, 1);
    b.vrid = 52;
    b.advert_int = 2 * SEC; // times out later than VI_1
    let g = SyncGroupConfig {
        name: "G1".into(),
        members: vec!["VI_1".into(), "VI_2".into()],
        sync_group_tracking_weight: false,
    };
    let mut h = Harness::with_groups(vec![a, b], vec![g]);
    assert!(h.actions.iter().any(|(_, a)| matches!(a, Action::Notify { target: NotifyTarget::Group(n), state: NotifyState::Backup, priority: 0 } if n == "G1")));
    let t = h.run_until_state(0, State::Master, 20 * SEC);
    // VI_1 timed out first but had to wait for VI_2 to want MASTER too.
    assert!(t - h.t0 > DOWN_100);
    assert_eq!(h.status(1).state, State::Master);
    assert!(h.has_log("VRRP_Group(G1) Syncing instances to MASTER state"));
    // One member yields: the whole group goes BACKUP.
    h.rx(&advert_from(&cfg("VI_1", 150, 2), 150));
    assert_eq!(h.status(0).state, State::Backup);
    assert_eq!(h.status(1).state, State::Backup);
    assert!(h.has_log("VRRP_Group(G1) Syncing instances to BACKUP state"));
}

#[test]
fn reference_3_8_sync_group_fault_takes_the_group() {
    // (Weighted trackers of sync-group members are dropped when the trackers are
    // planned, as keepalived does at config time: see tests/track_plan.rs.)
    let t = TrackerId(3);
    let mut a = cfg("VI_1", 100, 1);
    a.trackers = vec![TrackerRef {
        id: t,
        weight: 0,
        reverse: false,
    }];
    let mut b = cfg("VI_2", 100, 1);
    b.vrid = 52;
    let g = SyncGroupConfig {
        name: "G1".into(),
        members: vec!["VI_1".into(), "VI_2".into()],
        sync_group_tracking_weight: false,
    };
    let mut h = Harness::with_groups(vec![a, b], vec![g]);
    h.run_until_state(1, State::Master, 20 * SEC);
    let now = h.now;
    h.router.handle_tracker(now, t, TrackerStatus::Down);
    h.drain();
    assert!(h.has_log("VRRP_Group(G1) Syncing instances to FAULT state"));
    assert_eq!(h.status(0).state, State::Fault);
    assert_eq!(h.status(1).state, State::Fault);
    assert_eq!(h.status(0).effective_priority, 100);
    let now = h.now;
    h.router.handle_tracker(now, t, TrackerStatus::Up);
    h.drain();
    assert_eq!(h.status(0).state, State::Backup);
    assert_eq!(h.status(1).state, State::Backup);
}

#[test]
fn stats_file_reports_counters() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 1)]);
    h.run_until_state(0, State::Master, 10 * SEC);
    h.advance(3 * SEC);
    let text = h.router.stats_file();
    assert!(text.starts_with("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 4\n  Became master: 1\n"));
    h.router.clear_stats();
    assert_eq!(h.status(0).stats, Default::default());
}

#[test]
fn startup_delay_postpones_the_takeover_by_the_delay_plus_a_down_interval() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 1)]);
    let t0 = h.t0;
    h.router.delay_start(t0 + 10 * SEC, t0);
    let t = h.run_until_state(0, State::Master, 30 * SEC);
    assert_eq!(t - t0, 10 * SEC + DOWN_100);
}

#[test]
fn startup_delay_holds_an_owner_until_its_end() {
    let mut c = cfg("VI_1", 255, 1);
    c.initial_state_master = true;
    let mut h = Harness::new(vec![c]);
    let t0 = h.t0;
    h.router.delay_start(t0 + 5 * SEC, t0);
    let t = h.run_until_state(0, State::Master, 30 * SEC);
    assert_eq!(t - t0, 5 * SEC + Duration::from_micros(1));
}

#[test]
fn adverts_heard_during_the_startup_delay_keep_the_backup_waiting() {
    let (mut h, adv) = backup_with_master_at(150);
    let t0 = h.t0;
    h.router.delay_start(t0 + 10 * SEC, t0);
    // A master advertising during the delay: its adverts never let the timer run out.
    for _ in 0..14 {
        h.advance(SEC);
        h.rx(&adv);
    }
    assert_eq!(h.status(0).state, State::Backup);
    // Once it falls silent, the backup takes over one down interval after its last advert.
    let last = h.now;
    let t = h.run_until_state(0, State::Master, 30 * SEC);
    assert_eq!(t - last, DOWN_100);
}

/// The `notify_priority_changes` events among `actions`, as (state, priority).
fn priority_notifies(actions: &[Action]) -> Vec<(NotifyState, u8)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify {
                state: s @ (NotifyState::MasterPriority | NotifyState::BackupPriority),
                priority,
                ..
            } => Some((*s, *priority)),
            _ => None,
        })
        .collect()
}

#[test]
fn notify_priority_changes_announces_each_change_with_master_or_backup_priority() {
    let t = TrackerId(3);
    let tracked = |notify: bool| {
        let mut c = cfg("VI_1", 100, 1);
        c.trackers = vec![TrackerRef {
            id: t,
            weight: 20,
            reverse: false,
        }];
        c.notify_priority_changes = notify;
        c
    };
    let mut h = Harness::new(vec![tracked(true)]);
    // Start-up applies the tracker's weight as keepalived's initialisation does: logged,
    // and announced (the instance is not master yet) before it enters BACKUP.
    assert!(h.has_log("(VI_1) Changing effective priority from 100 to 120"));
    let start = h.take();
    assert_eq!(
        priority_notifies(&start),
        [(NotifyState::BackupPriority, 120)]
    );
    let first_notify = start
        .iter()
        .position(|a| matches!(a, Action::Notify { .. }))
        .unwrap();
    assert!(matches!(
        start[first_notify],
        Action::Notify {
            state: NotifyState::BackupPriority,
            ..
        }
    ));
    h.run_until_state(0, State::Master, 10 * SEC);
    h.take();
    let now = h.now;
    h.router.handle_tracker(now, t, TrackerStatus::Down);
    h.drain();
    assert_eq!(
        priority_notifies(&h.take()),
        [(NotifyState::MasterPriority, 100)]
    );
    // Unchanged priority: nothing.
    let now = h.now;
    h.router.handle_tracker(now, t, TrackerStatus::Down);
    h.drain();
    assert!(priority_notifies(&h.take()).is_empty());

    // Without the option the same changes are only logged.
    let mut quiet = Harness::new(vec![tracked(false)]);
    assert!(quiet.has_log("(VI_1) Changing effective priority from 100 to 120"));
    let now = quiet.now;
    quiet.router.handle_tracker(now, t, TrackerStatus::Down);
    quiet.drain();
    let all: Vec<Action> = quiet.actions.iter().map(|(_, a)| a.clone()).collect();
    assert!(priority_notifies(&all).is_empty());
}

/// Times of the GARPs among the harness's actions since `since`.
fn garp_times(h: &Harness, since: std::time::Instant) -> Vec<Duration> {
    h.actions
        .iter()
        .filter(|(t, a)| *t >= since && matches!(a, Action::SendGarp { .. }))
        .map(|(t, _)| *t - since)
        .collect()
}

/// DIFFERENCES.md B2: a mastership's delayed GARP burst goes with it (leaving MASTER
/// cancels it; a new mastership schedules its own). keepalived 2.2.7 leaves the timer
/// armed, and sends that burst too if it is master again when it fires.
#[test]
fn leaving_master_cancels_the_delayed_garp_burst_of_that_mastership() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 2)]);
    let first = h.run_until_state(0, State::Master, 10 * SEC);
    // A higher-priority master appears at once: back to BACKUP.
    let peer = cfg("VI_1", 150, 1);
    h.rx(&advert_from(&peer, 150));
    assert_eq!(h.status(0).state, State::Backup);
    // It stops 2 s later; we take over again after the skew time.
    h.advance(2 * SEC);
    h.rx(&advert_from(&peer, 0));
    let second = h.run_until_state(0, State::Master, 10 * SEC);
    h.advance(8 * SEC);
    let garps = garp_times(&h, first);
    // A burst at the first mastership, one at the second, one 5 s after the second; none
    // 5 s after the first.
    let at = |t: std::time::Instant| garps.iter().filter(|&&g| g == t - first).count();
    let burst = at(first);
    assert!(burst > 0);
    assert_eq!(at(first + 5 * SEC), 0, "{garps:?}");
    assert_eq!(at(second), burst);
    assert_eq!(at(second + 5 * SEC), burst);
    assert_eq!(garps.len(), 3 * burst, "{garps:?}");
}
