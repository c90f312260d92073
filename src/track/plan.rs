//! Which trackers a configuration needs, the [`TrackerId`] of each, how every instance
//! and sync group weighs them, their state at start-up, and starting them. Every kind
//! goes through the same steps, driven by the table [`super::table::KINDS`].
//!
//! Ids are handed out in the table's order — `vrrp_script`s, `track_file`s,
//! `vrrp_track_process`es, `mysql_check`s (each in config order), then tracked
//! interfaces in order of first mention — so the same configuration always yields the
//! same ids.
//!
//! Weight rules (keepalived 2.2.7 `vrrp_complete_instance` / `sync_group_tracking_init`):
//! * an entry's `weight` overrides the tracked object's own (scripts, files, processes,
//!   MySQL checks); interfaces default to 0; `reverse` comes with it;
//! * ±254 on scripts and interfaces is clamped to ±253;
//! * in a sync group without `sync_group_tracking_weight`, or on an address owner
//!   (priority 255): weighted scripts (and MySQL checks) are dropped, weighted interfaces
//!   get weight 0 in a sync group and are dropped on an owner, files with the default
//!   weight 1 get weight 0 and files with any other weight are dropped
//!   ([`TrackedKind::restrict`] of each kind);
//! * a sync group's own `track_*` entries apply to every member with their weights,
//!   cleared to 0 when a member is an address owner.

use std::collections::{BTreeMap, HashMap};

use crate::config::model::{Config, SyncGroup, TrackRef, VrrpInstance};
use crate::vrrp::{TrackerId, TrackerRef, TrackerStatus};

use super::children::LiveGroups;
use super::kind::{
    PlannedTracker, RestrictedEntry, Restriction, StartUp, TrackedKind, TrackerKind,
};
use super::running::RunningTrackers;
use super::table::KINDS;
use super::TrackerTx;

/// Everything the daemon needs to know about health trackers.
#[derive(Debug, Clone)]
pub struct TrackerPlan {
    /// Every declared object, in id order (`TrackerId(n)` is `all[n - 1]`).
    all: Vec<PlannedTracker>,
    /// (kind, name) → id; with two objects of one name, the later one counts.
    index: HashMap<(TrackerKind, String), TrackerId>,
    /// Sync group member name → (base priority, its group's `sync_group_tracking_weight`).
    members: HashMap<String, (u8, bool)>,
    /// Sync group name → member names.
    groups: HashMap<String, Vec<String>>,
    /// Per tracker, every (weight, reverse) it is used with: picks a neutral start state.
    uses: BTreeMap<TrackerId, Vec<(i32, bool)>>,
    /// Instance name → the interfaces its static track groups make it track (weight 0).
    static_tracks: BTreeMap<String, Vec<TrackerId>>,
}

impl TrackerPlan {
    /// Plans the trackers of `cfg`. This is start-up work, with keepalived's start-up side
    /// effects and log lines: script programs and users are resolved and script security
    /// is checked, `init_file` files are created, and track files are read once.
    pub fn from_config(cfg: &Config) -> TrackerPlan {
        let mut all = Vec::new();
        let mut index = HashMap::new();
        for &(kind, rules) in KINDS {
            let mentioned = mentioned_names(cfg, rules);
            for object in rules.declared(cfg) {
                let id = TrackerId(all.len() as u32 + 1);
                let used = mentioned.contains(&object.name.as_str());
                let prepared = rules.prepare(cfg, &object, id, used);
                index.insert((kind, object.name.clone()), id);
                all.push(PlannedTracker {
                    kind,
                    id,
                    name: object.name,
                    weight: object.weight,
                    reverse: object.reverse,
                    usable: prepared.usable,
                    start_up: prepared.start_up,
                    used: false,
                    data: prepared.data,
                });
            }
        }
        // Only sync group members: the rules that need this table are about groups, and
        // the daemon keeps the plan (a name per instance adds up at 1,000 instances).
        let members = cfg
            .instances
            .iter()
            .filter_map(|i| {
                let group = cfg.sync_groups.iter().find(|g| g.group.contains(&i.name))?;
                Some((
                    i.name.clone(),
                    (i.priority, group.sync_group_tracking_weight),
                ))
            })
            .collect();
        let groups = cfg
            .sync_groups
            .iter()
            .map(|g| (g.name.clone(), g.group.clone()))
            .collect();
        let static_tracks = super::static_group::tracked_interfaces(cfg, true)
            .into_iter()
            .map(|(instance, devs)| {
                let ids = devs
                    .iter()
                    .filter_map(|d| index.get(&(TrackerKind::Interface, d.clone())).copied())
                    .collect();
                (instance, ids)
            })
            .collect();
        let mut plan = TrackerPlan {
            all,
            index,
            members,
            groups,
            uses: BTreeMap::new(),
            static_tracks,
        };
        plan.record_uses(cfg);
        plan
    }

    /// Notes every (weight, reverse) each object is used with, and which are used.
    fn record_uses(&mut self, cfg: &Config) {
        let mut uses: BTreeMap<TrackerId, Vec<(i32, bool)>> = BTreeMap::new();
        let refs = cfg
            .instances
            .iter()
            .flat_map(|i| self.resolve_instance(i, false))
            .chain(
                cfg.sync_groups
                    .iter()
                    .flat_map(|g| self.resolve_group(g, false)),
            );
        for r in refs {
            uses.entry(r.id).or_default().push((r.weight, r.reverse));
        }
        for t in &mut self.all {
            t.used = uses.contains_key(&t.id);
        }
        self.uses = uses;
    }

    /// The trackers of one instance with their effective weights (its own `track_*`
    /// entries; add [`TrackerPlan::group_trackers`] of its sync group). Entries naming
    /// unknown or refused objects are left out; a repeated entry counts once.
    pub fn instance_trackers(&self, inst: &VrrpInstance) -> Vec<TrackerRef> {
        self.resolve_instance(inst, true)
    }

    /// The trackers a sync group's own `track_*` entries add to every member.
    pub fn group_trackers(&self, group: &SyncGroup) -> Vec<TrackerRef> {
        self.resolve_group(group, true)
    }

    /// Every planned object, in id order (of two objects of one kind and name, the
    /// later).
    pub fn trackers(&self) -> impl Iterator<Item = &PlannedTracker> {
        self.all
            .iter()
            .filter(|t| self.id(t.kind, &t.name) == Some(t.id))
    }

    /// The planned object with id `id`.
    pub fn tracker(&self, id: TrackerId) -> Option<&PlannedTracker> {
        let t = self.all.get((id.0 as usize).checked_sub(1)?)?;
        (self.id(t.kind, &t.name) == Some(id)).then_some(t)
    }

    /// The id of a tracked object by kind and name.
    pub fn id(&self, kind: TrackerKind, name: &str) -> Option<TrackerId> {
        self.index.get(&(kind, name.to_owned())).copied()
    }

    /// Tracked interfaces: the daemon reports link up/down of each as
    /// [`TrackerStatus::Up`]/[`TrackerStatus::Down`].
    pub fn interface_trackers(&self) -> Vec<(String, TrackerId)> {
        self.trackers()
            .filter(|t| t.kind == TrackerKind::Interface)
            .map(|t| (t.name.clone(), t.id))
            .collect()
    }

    /// Shorthand for [`TrackerPlan::id`] of a `vrrp_script`.
    pub fn script_id(&self, name: &str) -> Option<TrackerId> {
        self.id(TrackerKind::Script, name)
    }

    /// Shorthand for [`TrackerPlan::id`] of a `track_file`.
    pub fn file_id(&self, name: &str) -> Option<TrackerId> {
        self.id(TrackerKind::File, name)
    }

    /// Shorthand for [`TrackerPlan::id`] of a tracked interface.
    pub fn interface_id(&self, name: &str) -> Option<TrackerId> {
        self.id(TrackerKind::Interface, name)
    }

    /// Tracker states before any tracker has run, for [`crate::vrrp::RouterInit`]
    /// (each kind's [`StartUp`]):
    /// * scripts with `init_fail`: down. Other scripts have not run yet; keepalived lets
    ///   them move nothing until their first result, so they start in whichever state
    ///   adds no weight and causes no FAULT for the entries using them;
    /// * track files: the value in the file (0 if missing), after `init_file`;
    /// * interfaces: up when the link is administratively up with carrier
    ///   (`/sys/class/net`), down otherwise or when it does not exist.
    ///
    /// Processes and MySQL checks are left to their trackers (the core assumes up).
    pub fn initial_status(&self) -> BTreeMap<TrackerId, TrackerStatus> {
        self.trackers()
            .filter_map(|t| match t.start_up {
                StartUp::Known(status) => Some((t.id, status)),
                StartUp::Neutral => Some((t.id, self.neutral_status(t.id))),
                StartUp::Reported => None,
            })
            .collect()
    }

    /// Starts every tracker of the plan, reporting on `tx`. Must be called inside a
    /// tokio runtime, from a thread that lives as long as the trackers (scripts get
    /// SIGTERM when it exits).
    pub fn start(&self, tx: TrackerTx) -> RunningTrackers {
        let live = LiveGroups::new();
        let mut trackers = Vec::new();
        for &(kind, rules) in KINDS {
            let objects: Vec<&PlannedTracker> = self
                .trackers()
                .filter(|t| t.kind == kind && t.usable)
                .collect();
            trackers.extend(rules.start(&objects, &tx, &live));
        }
        RunningTrackers::new(trackers, live)
    }

    /// The state that makes every use of `id` contribute nothing (and no FAULT first).
    fn neutral_status(&self, id: TrackerId) -> TrackerStatus {
        let uses = self.uses.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let cost = |status: TrackerStatus| {
            let mut faults = 0;
            let mut moved = 0i64;
            for &(w, reverse) in uses {
                let up = (status == TrackerStatus::Up) != reverse;
                match (w, up) {
                    (0, false) => faults += 1,
                    (w, true) if w > 0 => moved += i64::from(w),
                    (w, false) if w < 0 => moved += i64::from(w).abs(),
                    _ => {}
                }
            }
            (faults, moved)
        };
        if cost(TrackerStatus::Down) < cost(TrackerStatus::Up) {
            TrackerStatus::Down
        } else {
            TrackerStatus::Up
        }
    }

    fn restriction_of(&self, inst: &VrrpInstance) -> Option<Restriction> {
        match self.members.get(&inst.name) {
            Some((_, false)) => Some(Restriction::SyncGroup),
            _ if inst.priority == 255 => Some(Restriction::AddressOwner),
            _ => None,
        }
    }

    /// An instance's entries: tracked interfaces first, then the other kinds in table
    /// order, as keepalived resolves (and logs) them.
    fn resolve_instance(&self, inst: &VrrpInstance, log: bool) -> Vec<TrackerRef> {
        let restriction = self.restriction_of(inst);
        let mut out: Vec<TrackerRef> = Vec::new();
        let first = KINDS.iter().filter(|(_, rules)| rules.resolved_first());
        let rest = KINDS.iter().filter(|(_, rules)| !rules.resolved_first());
        for &(kind, rules) in first.chain(rest) {
            for t in rules.instance_entries(inst) {
                let Some(mut r) = self.entry_ref(kind, rules, t) else {
                    continue;
                };
                if let (Some(restriction), true) = (restriction, r.weight != 0) {
                    let entry = RestrictedEntry {
                        instance: &inst.name,
                        name: &t.name,
                        weight: r.weight,
                        restriction,
                        log,
                    };
                    match rules.restrict(entry) {
                        Some(weight) => r.weight = weight,
                        None => continue,
                    }
                }
                if !out.iter().any(|o| o.id == r.id) {
                    out.push(r);
                }
            }
        }
        let by_groups = self.static_tracks.get(&inst.name).map(Vec::as_slice);
        for &id in by_groups.unwrap_or_default() {
            let unweighted = TrackerRef {
                id,
                weight: 0,
                reverse: false,
            };
            match out.iter_mut().find(|o| o.id == id) {
                Some(o) => *o = unweighted,
                None => out.push(unweighted),
            }
        }
        out
    }

    fn resolve_group(&self, group: &SyncGroup, log: bool) -> Vec<TrackerRef> {
        let gname = &group.name;
        let has_owner = self.groups.get(gname).is_some_and(|members| {
            members
                .iter()
                .any(|m| self.members.get(m).is_some_and(|(p, _)| *p == 255))
        });
        let mut out: Vec<TrackerRef> = Vec::new();
        for &(kind, rules) in KINDS {
            for t in rules.group_entries(group) {
                let Some(mut r) = self.entry_ref(kind, rules, t) else {
                    continue;
                };
                if out.iter().any(|o| o.id == r.id) {
                    continue;
                }
                if has_owner && r.weight != 0 {
                    if log {
                        let (kind, name) = (kind.as_str(), &t.name);
                        log::info!("({gname}) Cannot have weighted track {kind} '{name}' with member having priority 255 - clearing weight");
                    }
                    r.weight = 0;
                }
                out.push(r);
            }
        }
        out
    }

    /// The reference an entry makes to a known, usable object. Its `weight`, when given,
    /// overrides the object's own (an entry `weight W` without `reverse` keeps the
    /// object's `reverse`, as keepalived).
    fn entry_ref(
        &self,
        kind: TrackerKind,
        rules: &dyn TrackedKind,
        t: &TrackRef,
    ) -> Option<TrackerRef> {
        let object = self.tracker(self.id(kind, &t.name)?)?;
        if !object.usable {
            return None;
        }
        let weight = match t.weight {
            Some(w) if rules.clamps_entry_weight() => w.clamp(-253, 253),
            Some(w) => w,
            None => object.weight,
        };
        Some(TrackerRef {
            id: object.id,
            weight,
            reverse: t.reverse || object.reverse,
        })
    }
}

/// Names the entries of instances and sync groups give for objects of one kind.
fn mentioned_names<'a>(cfg: &'a Config, rules: &dyn TrackedKind) -> Vec<&'a str> {
    cfg.instances
        .iter()
        .flat_map(|i| rules.instance_entries(i))
        .chain(cfg.sync_groups.iter().flat_map(|g| rules.group_entries(g)))
        .map(|t| t.name.as_str())
        .collect()
}
