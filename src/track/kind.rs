//! The one shape every tracker kind has ([`TrackedKind`]); the table of kinds is
//! [`super::table::KINDS`].
//!
//! A trait rather than one enum with a `match` per step: each kind's rules (how it is
//! prepared, what a restricted entry becomes and which line it logs, how it runs) then
//! live together in that kind's own file, beside its runner, and the plan loops over
//! the table without knowing any kind. [`TrackerKind`] stays a plain enum because the
//! dumps and metrics match on it and label with it.

use std::any::Any;
use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinHandle;

use super::children::LiveGroups;
use super::TrackerTx;
use crate::config::model::{Config, SyncGroup, TrackRef, VrrpInstance};
use crate::vrrp::{TrackerId, TrackerStatus};

/// What kind of object a tracker watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackerKind {
    Script,
    File,
    Process,
    Interface,
    Mysql,
}

impl TrackerKind {
    /// The label value used in metrics and JSON (and in the sync group log lines).
    pub fn as_str(self) -> &'static str {
        match self {
            TrackerKind::Script => "script",
            TrackerKind::File => "file",
            TrackerKind::Process => "process",
            TrackerKind::Interface => "interface",
            TrackerKind::Mysql => "mysql",
        }
    }
}

/// One configured object of a kind, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Its position in the kind's list in [`Config`] (`cfg.scripts[index]` …).
    pub index: usize,
    pub name: String,
    /// Its own `weight` (entries without `weight` use it).
    pub weight: i32,
    /// Its own `reverse` (entries without `weight` use it).
    pub reverse: bool,
}

/// An object's state before its tracker has reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartUp {
    /// Known at planning (a file's value, an interface's link, a script's `init_fail`).
    Known(TrackerStatus),
    /// Whichever state adds no weight and causes no FAULT for the entries using it
    /// (a script that has not run yet moves nothing until its first result).
    Neutral,
    /// Left to the tracker's first report (the core assumes up).
    Reported,
}

/// What planning made of one object.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `false`: entries naming it are dropped and it is not started (a refused script,
    /// a file in a missing directory), as keepalived does.
    pub usable: bool,
    pub start_up: StartUp,
    /// What the kind needs to start it. Kept type-erased because the plan holds every
    /// kind's objects in one list; only the kind that made it reads it back
    /// ([`PlannedTracker::data`]).
    pub data: Option<Arc<dyn Any + Send + Sync>>,
}

/// A planned object: the planned half of the tracker shape.
#[derive(Debug, Clone)]
pub struct PlannedTracker {
    pub kind: TrackerKind,
    pub id: TrackerId,
    pub name: String,
    pub weight: i32,
    pub reverse: bool,
    pub usable: bool,
    pub start_up: StartUp,
    /// Whether an instance or sync group entry uses it after the weight rules.
    pub used: bool,
    pub(super) data: Option<Arc<dyn Any + Send + Sync>>,
}

impl PlannedTracker {
    /// The start-up data its kind stored in [`Prepared::data`].
    pub fn data<T: 'static>(&self) -> Option<&T> {
        self.data.as_deref()?.downcast_ref()
    }
}

/// Why an instance's weighted entries lose their weight (or are dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// In a sync group without `sync_group_tracking_weight`.
    SyncGroup,
    /// Priority 255.
    AddressOwner,
}

impl Restriction {
    /// How keepalived names it in its log lines.
    pub fn reason(self) -> &'static str {
        match self {
            Restriction::SyncGroup => "SYNC group",
            Restriction::AddressOwner => "address owner",
        }
    }
}

/// A weighted entry of an instance in a restricted position.
#[derive(Debug, Clone, Copy)]
pub struct RestrictedEntry<'a> {
    pub instance: &'a str,
    pub name: &'a str,
    pub weight: i32,
    pub restriction: Restriction,
    /// Whether to log what becomes of it (the plan resolves entries twice, logging once).
    pub log: bool,
}

/// A started tracker; dropping it stops it.
pub type RunningTracker = Box<dyn Send>;

/// A tokio task as a [`RunningTracker`]: aborted on drop.
pub struct AbortOnDrop(pub JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One kind of tracked object: config block → planned object → running tracker.
pub trait TrackedKind: Sync {
    /// Its objects in `cfg`, in id allocation order.
    fn declared(&self, cfg: &Config) -> Vec<Declared>;

    /// The entries of an instance naming objects of this kind (`track_script` …).
    fn instance_entries<'a>(&self, inst: &'a VrrpInstance) -> &'a [TrackRef];

    /// The entries of a sync group naming objects of this kind.
    fn group_entries<'a>(&self, _group: &'a SyncGroup) -> &'a [TrackRef] {
        &[]
    }

    /// Whether an instance resolves (and logs) these entries before all others
    /// (keepalived checks tracked interfaces first).
    fn resolved_first(&self) -> bool {
        false
    }

    /// Whether an entry's `weight` is clamped to ±253 (±254 would reach 0 or 255).
    fn clamps_entry_weight(&self) -> bool {
        false
    }

    /// The weight a weighted entry keeps on a restricted instance, `None` to drop it;
    /// logs keepalived's line for it when `entry.log`.
    fn restrict(&self, entry: RestrictedEntry<'_>) -> Option<i32>;

    /// Start-up work for one object (with keepalived's side effects and log lines).
    /// `mentioned`: some entry names it.
    fn prepare(&self, cfg: &Config, object: &Declared, id: TrackerId, mentioned: bool) -> Prepared;

    /// Starts the usable objects of this kind, reporting on `tx`; script process groups
    /// go to `live`.
    fn start(
        &self,
        objects: &[&PlannedTracker],
        tx: &TrackerTx,
        live: &LiveGroups,
    ) -> Vec<RunningTracker>;
}

/// The objects of a kind kept as one list in [`Config`] (`cfg.scripts` …): each at its
/// position, with the name, own weight and own reverse that `own` reads from its block.
/// Kinds say only which list and which fields, so every kind declares alike.
pub fn declared_in<T>(list: &[T], own: impl Fn(&T) -> (&str, i32, bool)) -> Vec<Declared> {
    list.iter()
        .enumerate()
        .map(|(index, block)| {
            let (name, weight, reverse) = own(block);
            Declared {
                index,
                name: name.to_owned(),
                weight,
                reverse,
            }
        })
        .collect()
}

/// What planning makes of an object that needs nothing but its own config block to
/// start: it is usable, its state is left to its tracker's first report, and the block
/// is its start-up data.
pub fn prepared_from_block<T: Clone + Send + Sync + 'static>(block: &T) -> Prepared {
    Prepared {
        usable: true,
        start_up: StartUp::Reported,
        data: Some(Arc::new(block.clone())),
    }
}

/// Starts one tracker per object from the start-up data (`T`) its kind stored in
/// [`Prepared::data`]; objects without it, or for which `start` returns `None`, run
/// nothing.
pub fn start_each<T: 'static>(
    objects: &[&PlannedTracker],
    start: impl Fn(&T, TrackerId) -> Option<RunningTracker>,
) -> Vec<RunningTracker> {
    objects
        .iter()
        .filter_map(|t| start(t.data::<T>()?, t.id))
        .collect()
}
