//! `track_interface`: a tracked interface is up while its link is administratively up
//! with carrier. Nothing runs for it here: the daemon follows link changes over netlink
//! and reports them as [`TrackerStatus::Up`]/[`TrackerStatus::Down`].

use super::children::LiveGroups;
use super::kind::{
    Declared, PlannedTracker, Prepared, RestrictedEntry, Restriction, RunningTracker, StartUp,
    TrackedKind,
};
use super::TrackerTx;
use crate::config::model::{Config, SyncGroup, TrackRef, VrrpInstance};
use crate::vrrp::{TrackerId, TrackerStatus};

/// Tracked interfaces as a tracker kind (`track_interface` entries). The objects are the
/// interfaces named by entries, in order of first mention (instances, then sync groups,
/// then the interfaces static track groups make their instances track,
/// [`super::static_group`]); their own weight is 0.
pub struct Interfaces;

impl TrackedKind for Interfaces {
    fn declared(&self, cfg: &Config) -> Vec<Declared> {
        let mut out: Vec<Declared> = Vec::new();
        let entries = cfg
            .instances
            .iter()
            .flat_map(|i| &i.track.interface)
            .chain(cfg.sync_groups.iter().flat_map(|g| &g.track_interface))
            .map(|t| t.name.clone());
        let by_groups = super::static_group::tracked_interfaces(cfg, false);
        for name in entries.chain(by_groups.into_values().flatten()) {
            if !out.iter().any(|d| d.name == name) {
                out.push(Declared {
                    index: out.len(),
                    name,
                    weight: 0,
                    reverse: false,
                });
            }
        }
        out
    }

    fn instance_entries<'a>(&self, inst: &'a VrrpInstance) -> &'a [TrackRef] {
        &inst.track.interface
    }

    fn group_entries<'a>(&self, group: &'a SyncGroup) -> &'a [TrackRef] {
        &group.track_interface
    }

    fn resolved_first(&self) -> bool {
        true
    }

    fn clamps_entry_weight(&self) -> bool {
        true
    }

    /// Weight 0 in a sync group; dropped on an address owner.
    fn restrict(&self, e: RestrictedEntry<'_>) -> Option<i32> {
        let in_group = e.restriction == Restriction::SyncGroup;
        if e.log {
            let w = if in_group { "weight " } else { "" };
            log::info!(
                "({}) ignoring {} tracked interface {w}due to {}",
                e.instance,
                e.name,
                e.restriction.reason()
            );
        }
        in_group.then_some(0)
    }

    fn prepare(
        &self,
        _cfg: &Config,
        object: &Declared,
        _id: TrackerId,
        _mentioned: bool,
    ) -> Prepared {
        let status = if link_is_up(&object.name) {
            TrackerStatus::Up
        } else {
            TrackerStatus::Down
        };
        Prepared {
            usable: true,
            start_up: StartUp::Known(status),
            data: None,
        }
    }

    fn start(
        &self,
        _objects: &[&PlannedTracker],
        _tx: &TrackerTx,
        _live: &LiveGroups,
    ) -> Vec<RunningTracker> {
        Vec::new()
    }
}

/// keepalived's `IF_FLAGS_UP`: administratively up and running (carrier).
pub(crate) fn link_is_up(name: &str) -> bool {
    if name.contains('/') || name == "." || name == ".." {
        return false;
    }
    let base = std::path::Path::new("/sys/class/net").join(name);
    let flags = std::fs::read_to_string(base.join("flags"))
        .ok()
        .and_then(|s| u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok());
    let carrier = std::fs::read_to_string(base.join("carrier"))
        .map(|s| s.trim() == "1")
        .unwrap_or(false);
    flags.is_some_and(|f| f & libc::IFF_UP as u32 != 0) && carrier
}
