//! Configuration reload in the protocol core (reference §3.10): matching by virtual
//! router identity, state carried over, addresses diffed, vanished instances retired.

mod common;

use std::time::Duration;

use common::{advert_priority, cfg, v4, Harness};
use keepalived_rs::vrrp::{
    Action, InstanceConfig, InstanceId, NotifyState, NotifyTarget, RouterInit, State,
};

fn reload(h: &mut Harness, new: Vec<InstanceConfig>) {
    h.router.retire_unmatched(&new, h.now);
    h.router.reload(new, vec![], RouterInit::default(), h.now);
    h.drain();
}

fn master(priority: u8) -> Harness {
    let mut h = Harness::new(vec![cfg("VI_1", priority, 1)]);
    h.run_until_state(0, State::Master, Duration::from_secs(5));
    h.take();
    h
}

#[test]
fn unchanged_master_stays_master_and_advertises_at_once() {
    let mut h = master(150);
    let became = h.status(0).stats.become_master;
    reload(&mut h, vec![cfg("VI_1", 150, 1)]);
    assert_eq!(h.status(0).state, State::Master);
    assert!(h.status(0).vips_set);
    assert_eq!(h.status(0).stats.become_master, became, "stats are kept");
    let actions = h.take();
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::RemoveVips { .. } | Action::AddVips { .. })),
        "no VIP flap: {actions:?}"
    );
    assert!(!actions.iter().any(|a| matches!(a, Action::Notify { .. })));
    // The advert timer is due now.
    h.advance(Duration::ZERO);
    let adverts = h.adverts();
    assert_eq!(adverts.len(), 1, "one advert right after the reload");
    assert_eq!(advert_priority(&adverts[0].1), 150);
}

#[test]
fn renamed_instance_is_matched_by_identity_not_name() {
    let mut h = master(150);
    reload(&mut h, vec![cfg("RENAMED", 150, 1)]);
    assert_eq!(h.status(0).state, State::Master);
    assert_eq!(
        h.router.instance_config(InstanceId(0)).unwrap().name,
        "RENAMED"
    );
    assert!(!h
        .take()
        .iter()
        .any(|a| matches!(a, Action::RemoveVips { .. })));
}

#[test]
fn master_vip_changes_are_applied_as_a_diff_with_garps_for_new_addresses() {
    let mut h = master(150);
    let mut new = cfg("VI_1", 150, 1);
    new.vips = vec![v4(102), v4(104)]; // .103 dropped, .104 added
    reload(&mut h, vec![new]);
    let actions = h.take();
    assert!(actions.contains(&Action::RemoveVips {
        instance: keepalived_rs::vrrp::InstanceId(0),
        addrs: vec![v4(103)],
    }));
    assert!(actions.contains(&Action::AddVips {
        instance: keepalived_rs::vrrp::InstanceId(0),
        addrs: vec![v4(104)],
    }));
    let garps: Vec<_> = actions
        .iter()
        .filter(|a| matches!(a, Action::SendGarp { addr, .. } if *addr == v4(104)))
        .collect();
    assert_eq!(garps.len(), 5, "garp_master_repeat GARPs for the new VIP");
    assert!(!actions
        .iter()
        .any(|a| matches!(a, Action::SendGarp { addr, .. } if *addr == v4(102))));
}

#[test]
fn vanished_master_sends_priority_zero_removes_vips_and_notifies_fault() {
    let mut h = master(150);
    let mut other = cfg("VI_2", 100, 1);
    other.vrid = 52;
    h.router
        .retire_unmatched(std::slice::from_ref(&other), h.now);
    h.drain();
    let retired = h.take();
    let adverts: Vec<_> = retired
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { packet, .. } => Some(advert_priority(packet)),
            _ => None,
        })
        .collect();
    assert_eq!(adverts, vec![0], "one priority-0 advert");
    assert!(retired.iter().any(
        |a| matches!(a, Action::RemoveVips { addrs, .. } if addrs == &vec![v4(102), v4(103)])
    ));
    assert!(retired.contains(&Action::Notify {
        target: NotifyTarget::Instance("VI_1".into()),
        state: NotifyState::Fault,
        priority: 0,
    }));
    // The new instance starts as at boot.
    h.router
        .reload(vec![other], vec![], RouterInit::default(), h.now);
    h.drain();
    assert_eq!(
        h.router.instance_config(InstanceId(0)).unwrap().name,
        "VI_2"
    );
    assert_eq!(h.status(0).state, State::Backup);
    assert!(h.has_log("(VI_2) Entering BACKUP STATE (init)"));
}

#[test]
fn priority_change_on_reload_takes_effect_immediately() {
    let mut h = master(150);
    reload(&mut h, vec![cfg("VI_1", 120, 1)]);
    assert_eq!(h.status(0).effective_priority, 120);
    assert!(h.has_log("(VI_1) Changing effective priority from 150 to 120"));
    h.advance(Duration::ZERO);
    let adverts = h.adverts();
    assert_eq!(advert_priority(&adverts.last().unwrap().1), 120);
}

#[test]
fn backup_keeps_backup_and_rearms_its_down_timer() {
    let mut h = Harness::new(vec![cfg("VI_1", 100, 1)]);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.status(0).state, State::Backup);
    h.take();
    reload(&mut h, vec![cfg("VI_1", 100, 1)]);
    assert_eq!(h.status(0).state, State::Backup);
    assert!(
        !h.has_log("(VI_1) Entering BACKUP STATE (init)"),
        "no re-init"
    );
    let due = h.router.poll_timeout().unwrap() - h.now;
    assert_eq!(due, h.status(0).master_down_interval);
}

#[test]
fn a_removed_instance_with_notify_deleted_reports_deleted() {
    let mut c = cfg("VI_1", 150, 1);
    c.notify_deleted = true;
    let mut h = Harness::new(vec![c]);
    h.run_until_state(0, State::Master, Duration::from_secs(5));
    h.take();
    h.router.retire_unmatched(&[], h.now);
    h.drain();
    let retired = h.take();
    assert!(retired.contains(&Action::Notify {
        target: NotifyTarget::Instance("VI_1".into()),
        state: NotifyState::Deleted,
        priority: 0,
    }));
    assert!(!retired.iter().any(|a| matches!(
        a,
        Action::Notify {
            state: NotifyState::Fault,
            ..
        }
    )));
}
