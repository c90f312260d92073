//! `vrrpRuleTable` (`.2.8`): the static rules (indexed (0, n)), then per instance its
//! virtual rules (indexed (instance, n)), as keepalived 2.2.7 walks them (the same walk
//! as the address and route tables).
//!
//! Rules are shown from their typed form: the words the dumps keep leave out a preference
//! keepalived assigned, which this table shows. keepalived registers columns 2 to 32 only
//! (protocol, IP protocol and port ranges, 33 to 38, are in the MIB but never served), and
//! skips a cell it has no value for: the selectors not written, the table unless the rule
//! looks one up, the goto target unless it jumps. The selectors this build cannot install
//! (fwmark, realms, suppressors, tunnel id, uid range, l3mdev) are never set on a rule it
//! keeps, so their cells are always skipped.

use super::{address_bytes, address_type, text, truth, Inputs, Table};
use crate::config::model::{Rule, RuleAction};
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use std::net::IpAddr;

/// The kernel's rule action numbers (`FR_ACT_*`), the MIB's RuleAction.
fn action(a: RuleAction) -> i32 {
    match a {
        RuleAction::Table(_) => 1,
        RuleAction::Goto(_) => 2,
        RuleAction::Nop => 3,
        RuleAction::Blackhole => 6,
        RuleAction::Unreachable => 7,
        RuleAction::Prohibit => 8,
    }
}

/// The obsolete direction column: which of the two selectors the rule has.
fn direction(r: &Rule) -> &'static str {
    match (r.to.is_some(), r.from.is_some()) {
        (true, true) => "both",
        (true, false) => "to",
        (false, true) => "from",
        (false, false) => "",
    }
}

/// A prefix in three columns from `first`: address type, address, prefix length.
fn prefix(t: &mut Table<'_>, idx: &[u32], first: u32, p: Option<(IpAddr, u8)>) {
    if let Some((a, len)) = p {
        t.cell(first, idx, address_type(&a));
        t.cell(first + 1, idx, address_bytes(&a));
        t.cell(first + 2, idx, Value::Gauge32(u32::from(len)));
    }
}

/// One rule's row; `set` says whether it is in the kernel now (a rule this build cannot
/// install never is).
fn row(t: &mut Table<'_>, idx: &[u32], r: &Rule, set: bool) {
    t.cell(2, idx, text(direction(r)));
    // The obsolete address columns show the destination, or else the source.
    prefix(t, idx, 3, r.to.or(r.from));
    let table = match r.action {
        RuleAction::Table(n) => Some(Value::Gauge32(n)),
        _ => None,
    };
    t.maybe(6, idx, table.clone());
    t.cell(7, idx, truth(set && r.unsupported.is_none()));
    t.cell(8, idx, truth(r.not));
    prefix(t, idx, 9, r.to);
    prefix(t, idx, 12, r.from);
    t.cell(15, idx, Value::Gauge32(0));
    t.maybe(20, idx, r.iif.as_deref().map(text));
    t.maybe(21, idx, r.oif.as_deref().map(text));
    if let RuleAction::Goto(target) = r.action {
        t.cell(22, idx, Value::Gauge32(target));
    }
    t.cell(23, idx, Value::Integer(action(r.action)));
    t.maybe(24, idx, table);
    if r.preference != 0 {
        t.cell(25, idx, Value::Gauge32(r.preference));
    }
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let mut t = Table::vrrp(view, 8, &(2..=32).collect::<Vec<_>>());
    for (m, r) in (1..).zip(&inputs.config.static_rules) {
        row(&mut t, &[0, m], r, true);
    }
    for (n, i) in (1..).zip(&inputs.snap.instances) {
        for (m, r) in (1..).zip(&i.rules) {
            row(&mut t, &[n, m], r, i.vips_set);
        }
    }
}
