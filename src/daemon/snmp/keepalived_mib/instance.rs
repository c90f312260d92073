//! `vrrpInstanceTable` (`.2.3`): one row per `vrrp_instance`, in configuration order.

use super::sync_group::smtp_alert;
use super::tracked::own_of_kind;
use super::{address_bytes, address_type, text, truth, vrrp_state, Inputs, Table};
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use crate::daemon::status::{InstanceView, TrackerKind};
use crate::vrrp::action::State;
use crate::vrrp::Version;

/// Notify scripts by column, as the snapshot names their events.
const SCRIPTS: [(u32, &str); 7] = [
    (22, "master"),
    (23, "backup"),
    (24, "fault"),
    (25, "stop"),
    (26, "generic"),
    (31, "master_rx_lower_pri"),
    (32, "deleted"),
];

/// The state keepalived starts from (`state`; an address owner is MASTER).
fn initial_state(i: &InstanceView) -> Value {
    if i.initial_state_master || i.base_priority == 255 {
        vrrp_state(State::Master)
    } else {
        vrrp_state(State::Backup)
    }
}

/// Preemption as keepalived runs it: an instance starting as MASTER clears `nopreempt`
/// and `preempt_delay`; `nopreempt` and strict mode reset `preempt_delay`.
/// Returns (preempt, delay in seconds).
fn preemption(i: &InstanceView) -> (bool, u32) {
    let starts_master = i.initial_state_master || i.base_priority == 255;
    let nopreempt = i.nopreempt && !starts_master;
    let delay = if starts_master || nopreempt || i.strict_mode {
        0
    } else {
        i.preempt_delay.as_secs() as u32
    };
    (!nopreempt, delay)
}

/// The advert interval in the version's unit: seconds (v2), centiseconds (v3).
fn advert_int(i: &InstanceView) -> u32 {
    match i.version {
        Version::V2 => i.advert_int.as_secs() as u32,
        Version::V3 => (i.advert_int.as_millis() / 10) as u32,
    }
}

/// keepalived clears an instance's `linkbeat_use_polling` when it has no interface.
fn linkbeat_flag(inputs: &Inputs<'_>, name: &str) -> bool {
    let config = inputs.config.instances.iter().find(|c| c.name == name);
    config.is_some_and(|c| c.linkbeat_use_polling && c.interface.is_some())
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let columns: Vec<u32> = (2..=35).collect();
    let mut t = Table::vrrp(view, 3, &columns);
    for (n, i) in (1..).zip(&inputs.snap.instances) {
        let idx = [n];
        let interface = i.vmac_ifname.as_deref().unwrap_or(&i.interface);
        let (preempt, preempt_delay) = preemption(i);
        let tracks_interface = !own_of_kind(inputs, i, TrackerKind::Interface).is_empty();
        let cells = [
            (2, text(&i.name)),
            (3, Value::Gauge32(u32::from(i.vrid))),
            (4, vrrp_state(i.state)),
            (5, initial_state(i)),
            (6, vrrp_state(i.wantstate)),
            (7, Value::Integer(i32::from(i.base_priority))),
            (8, Value::Integer(i32::from(i.effective_priority))),
            (9, truth(i.vips_set)),
            (10, text(interface)),
            (11, truth(tracks_interface)),
            (12, Value::Gauge32(advert_int(i))),
            (13, truth(preempt)),
            (14, Value::Gauge32(preempt_delay)),
            (15, Value::Integer(i.auth.auth_type as i32)),
            // The LVS sync daemon is never this instance's (no LVS in this build).
            (16, truth(false)),
            (19, Value::Gauge32(i.advert.garp.delay_secs as u32)),
            (20, truth(i.smtp_alert || smtp_alert(None, inputs))),
            (21, truth(!i.notify.is_empty())),
        ];
        for (column, value) in cells {
            t.cell(column, &idx, value);
        }
        t.maybe(18, &idx, i.sync_group.as_deref().map(text));
        for (column, event) in SCRIPTS {
            let script = i.notify.iter().find(|s| s.event == event);
            t.maybe(column, &idx, script.map(|s| text(&s.command)));
        }
        let accept = match i.version {
            Version::V3 => truth(i.accept),
            Version::V2 => Value::Integer(0),
        };
        let cells = [
            (27, accept),
            (28, truth(i.promote_secondaries)),
            // The instance's own (deprecated) `linkbeat_use_polling`, as keepalived shows it.
            (29, truth(linkbeat_flag(inputs, &i.name))),
            (30, Value::Integer(i32::from(i.version.number()))),
            (33, truth(i.notify_deleted)),
        ];
        for (column, value) in cells {
            t.cell(column, &idx, value);
        }
        if let Some(group) = &i.multicast_group {
            t.cell(34, &idx, address_type(group));
            t.cell(35, &idx, address_bytes(group));
        }
    }
}
