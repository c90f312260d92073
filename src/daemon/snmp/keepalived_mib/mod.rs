//! KEEPALIVED-MIB (`1.3.6.1.4.1.9586.100.5`) as keepalived 2.2.7's VRRP process serves it
//! with `enable_snmp_vrrp` (or its old name `enable_snmp_keepalived`): the global scalars
//! (`.1`, which the VRRP process registers whenever no checker process serves them, as
//! here: this build runs no checker) and the VRRP tables (`.2`).
//!
//! Tables are indexed the way keepalived indexes them: by position in its lists (first
//! = 1), in configuration order; two-level tables (sync group members, tracked objects)
//! by (owner's position, entry's position). A cell keepalived has no value for (an unset
//! script, a sync group an instance is not in) is left out, so a walk skips it as
//! keepalived's does.
//!
//! The configuration (`Config` without its instances, as the daemon keeps it) gives what
//! keepalived reads from its parsed configuration; the status snapshot gives every
//! instance's settings as run and all live state.

mod address;
mod global;
mod instance;
mod next_hop;
mod process;
mod route;
mod rule;
mod sync_group;
mod tracked;

use super::pdu::{Oid, Value};
use super::view::MibView;
use super::vrrp_mib::InterfaceFacts;
use crate::config::model::{Config, TrackProcess};
use crate::daemon::status::Snapshot;
use crate::vrrp::action::State;
use std::net::IpAddr;

/// `keepalived` in KEEPALIVED-MIB.
pub const KEEPALIVED: [u32; 9] = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
/// The `global` subtree keepalived registers on its own.
pub const GLOBAL: [u32; 10] = [1, 3, 6, 1, 4, 1, 9586, 100, 5, 1];
/// The `vrrp` subtree (KEEPALIVED-VRRP).
pub const VRRP: [u32; 10] = [1, 3, 6, 1, 4, 1, 9586, 100, 5, 2];

/// What the tables need besides the configuration and the snapshot.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub snap: &'a Snapshot,
    /// Looks an interface up by name (its ifIndex).
    pub facts: &'a dyn Fn(&str) -> Option<InterfaceFacts>,
    /// How many running processes a `vrrp_track_process` matches now.
    pub process_count: &'a dyn Fn(&TrackProcess) -> usize,
}

/// Adds KEEPALIVED-MIB's global and VRRP parts to `view`.
pub fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    global::add(view, inputs);
    sync_group::add(view, inputs);
    instance::add(view, inputs);
    tracked::add(view, inputs);
    address::add(view, inputs);
    route::add(view, inputs);
    next_hop::add(view, inputs);
    rule::add(view, inputs);
    process::add(view, inputs);
}

/// One table of the VRRP subtree: `VRRP.table.1`, its cells added by column and index.
pub(crate) struct Table<'v> {
    view: &'v mut MibView,
    entry: Oid,
}

impl<'v> Table<'v> {
    /// Table `number` of the VRRP subtree, declaring its `columns`.
    pub fn vrrp(view: &'v mut MibView, number: u32, columns: &[u32]) -> Table<'v> {
        let mut entry = VRRP.to_vec();
        entry.extend([number, 1]);
        for c in columns {
            let mut o = entry.clone();
            o.push(*c);
            view.object(o);
        }
        Table { view, entry }
    }

    pub fn cell(&mut self, column: u32, index: &[u32], value: Value) {
        let mut o = self.entry.clone();
        o.push(column);
        o.extend_from_slice(index);
        self.view.set(o, value);
    }

    /// A cell only when there is a value (keepalived skips it otherwise).
    pub fn maybe(&mut self, column: u32, index: &[u32], value: Option<Value>) {
        if let Some(v) = value {
            self.cell(column, index, v);
        }
    }
}

pub(crate) use super::values::{text, truth};

/// InetAddressType: ipv4(1), ipv6(2) (keepalived says ipv6 for anything not IPv4).
pub(crate) fn address_type(a: &IpAddr) -> Value {
    Value::Integer(if a.is_ipv4() { 1 } else { 2 })
}

/// An InetAddress: the raw 4 or 16 bytes.
pub(crate) fn address_bytes(a: &IpAddr) -> Value {
    Value::OctetString(super::values::octets(*a))
}

/// KEEPALIVED-MIB's VrrpState: init(0), backup(1), master(2), fault(3), unknown(4) (what
/// keepalived shows for a stopped instance).
pub(crate) fn vrrp_state(s: State) -> Value {
    Value::Integer(match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
        State::Stop => 4,
    })
}
