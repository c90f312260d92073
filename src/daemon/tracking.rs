//! The daemon's view of health trackers for one configuration: the tracker plan (every
//! planned object with its kind, name, id and own weight), the running trackers, and the
//! last result of every tracked object, which dumps and metrics show and which a reload
//! carries over by kind and name.

use std::collections::HashMap;

use super::status::{TrackerKind, TrackerView};
use crate::config::model::{Config, VrrpInstance};
use crate::track::{RunningTrackers, TrackerEvent, TrackerPlan, TrackerTx};
use crate::vrrp::{TrackerId, TrackerRef, TrackerStatus};

/// Trackers of one configuration.
pub struct Tracking {
    plan: TrackerPlan,
    running: Option<RunningTrackers>,
    /// Last reported (or initial) result.
    last: HashMap<TrackerId, TrackerStatus>,
    /// Instance name → its sync group's extra trackers.
    group_refs: HashMap<String, Vec<TrackerRef>>,
}

impl Tracking {
    /// Plans the trackers of `config` (resolving scripts, checking their security,
    /// reading track files) without starting them.
    pub fn plan(config: &Config) -> Tracking {
        let plan = TrackerPlan::from_config(config);
        let mut group_refs = HashMap::new();
        for g in &config.sync_groups {
            let refs = plan.group_trackers(g);
            for member in &g.group {
                group_refs.insert(member.clone(), refs.clone());
            }
        }
        let last = plan.initial_status().into_iter().collect();
        Tracking {
            plan,
            running: None,
            last,
            group_refs,
        }
    }

    /// The tracker references of an instance: its own plus its sync group's.
    pub fn instance_refs(&self, inst: &VrrpInstance) -> Vec<TrackerRef> {
        let mut refs = self.plan.instance_trackers(inst);
        if let Some(extra) = self.group_refs.get(&inst.name) {
            for r in extra {
                if !refs.iter().any(|x| x.id == r.id) {
                    refs.push(*r);
                }
            }
        }
        refs
    }

    /// Takes over the last results of `previous` for objects of the same kind and
    /// name (keepalived keeps script results across a reload).
    pub fn carry_results(&mut self, previous: &Tracking) {
        for t in self.plan.trackers() {
            let old = previous
                .plan
                .id(t.kind, &t.name)
                .and_then(|old_id| previous.last.get(&old_id));
            if let Some(status) = old {
                self.last.insert(t.id, *status);
            }
        }
    }

    /// The initial results for the core.
    pub fn initial_status(&self) -> Vec<(TrackerId, TrackerStatus)> {
        let mut v: Vec<_> = self.last.iter().map(|(k, v)| (*k, *v)).collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }

    /// Starts every tracker of the plan.
    pub fn start(&mut self, tx: TrackerTx) {
        self.running = Some(self.plan.start(tx));
    }

    /// Stops every tracker (and kills running scripts). MySQL check threads stop at
    /// their next wake-up; nothing waits for them.
    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }

    /// Whether `event` belongs to this configuration's trackers; records it if so.
    pub fn record(&mut self, event: TrackerEvent) -> bool {
        if self.plan.tracker(event.id).is_none() {
            return false;
        }
        self.last.insert(event.id, event.status);
        true
    }

    /// The tracker id of a tracked interface.
    pub fn interface(&self, name: &str) -> Option<TrackerId> {
        self.plan.id(TrackerKind::Interface, name)
    }

    /// Names of tracked interfaces.
    pub fn interface_names(&self) -> impl Iterator<Item = &String> {
        self.plan
            .trackers()
            .filter(|t| t.kind == TrackerKind::Interface)
            .map(|t| &t.name)
    }

    /// Views for dumps and metrics.
    pub fn views(&self) -> Vec<TrackerView> {
        self.plan
            .trackers()
            .map(|t| TrackerView {
                id: t.id,
                name: t.name.clone(),
                kind: t.kind,
                status: self.last.get(&t.id).copied(),
                weight: t.weight,
                run_state: match t.kind {
                    TrackerKind::Script => crate::track::script::run_state(&t.name),
                    _ => Default::default(),
                },
            })
            .collect()
    }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        self.stop();
    }
}
