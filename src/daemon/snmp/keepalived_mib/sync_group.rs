//! `vrrpSyncGroupTable` (`.2.1`) and `vrrpSyncGroupMemberTable` (`.2.2`).

use super::{text, truth, vrrp_state, Inputs, Table};
use crate::config::model::{Script, SyncGroup};
use crate::daemon::snmp::view::MibView;
use crate::daemon::status::quoted_command;

/// keepalived's default for an unset `smtp_alert`: `smtp_alert_vrrp`, else `smtp_alert`,
/// else off.
pub(super) fn smtp_alert(own: Option<bool>, inputs: &Inputs<'_>) -> bool {
    let email = &inputs.config.global.email;
    own.or(email.smtp_alert_vrrp)
        .or(email.smtp_alert)
        .unwrap_or(false)
}

fn command(s: &Option<Script>) -> Option<crate::daemon::snmp::pdu::Value> {
    s.as_ref().map(|s| text(&quoted_command(s)))
}

fn scripts(g: &SyncGroup) -> [(u32, &Option<Script>); 5] {
    [
        (6, &g.notify_master),
        (7, &g.notify_backup),
        (8, &g.notify_fault),
        (9, &g.notify),
        (11, &g.notify_stop),
    ]
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let groups = &inputs.snap.sync_groups;
    let mut t = Table::vrrp(view, 1, &[2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (n, g) in (1..).zip(groups) {
        let index = [n];
        t.cell(2, &index, text(&g.name));
        t.cell(3, &index, vrrp_state(g.state));
        let config = inputs.config.sync_groups.iter().find(|c| c.name == g.name);
        let Some(config) = config else { continue };
        t.cell(4, &index, truth(smtp_alert(config.smtp_alert, inputs)));
        let notify_exec = scripts(config).iter().any(|(_, s)| s.is_some());
        t.cell(5, &index, truth(notify_exec));
        for (column, script) in scripts(config) {
            t.maybe(column, &index, command(script));
        }
        t.cell(10, &index, truth(config.sync_group_tracking_weight));
    }
    let mut t = Table::vrrp(view, 2, &[2]);
    for (n, g) in (1..).zip(groups) {
        for (m, member) in (1..).zip(&g.members) {
            t.cell(2, &[n, m], text(member));
        }
    }
}
