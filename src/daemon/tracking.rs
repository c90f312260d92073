//! The daemon's view of health trackers for one configuration: the tracker plan (ids,
//! weights), the running tracker tasks, and the last result of every tracked object,
//! which dumps and metrics show and which a reload carries over by name.

use std::collections::{BTreeMap, HashMap};

use super::status::{TrackerKind, TrackerView};
use crate::config::model::{Config, VrrpInstance};
use crate::track::mysql::{MysqlTracker, MysqlTrackerHandle};
use crate::track::{RunningTrackers, TrackerEvent, TrackerPlan, TrackerTx};
use crate::vrrp::{TrackerId, TrackerRef, TrackerStatus};

/// Trackers of one configuration.
pub struct Tracking {
    plan: TrackerPlan,
    running: Option<RunningTrackers>,
    /// Native MySQL checks (each on its own thread).
    mysql: Vec<MysqlTrackerHandle>,
    /// `vrrp_track_process` scanners.
    processes: Vec<tokio::task::JoinHandle<()>>,
    /// Every tracked object: id → (kind, name, own weight).
    objects: BTreeMap<TrackerId, (TrackerKind, String, i32)>,
    /// Last reported (or initial) result.
    last: HashMap<TrackerId, TrackerStatus>,
    /// Tracked interfaces by name (the daemon reports their link state).
    interfaces: HashMap<String, TrackerId>,
    /// Instance name → its sync group's extra trackers.
    group_refs: HashMap<String, Vec<TrackerRef>>,
}

impl Tracking {
    /// Plans the trackers of `config` (resolving scripts, checking their security,
    /// reading track files) without starting them.
    pub fn plan(config: &Config) -> Tracking {
        let plan = TrackerPlan::from_config(config);
        let mut objects = BTreeMap::new();
        for s in &config.scripts {
            if let Some(id) = plan.script_id(&s.name) {
                objects.insert(id, (TrackerKind::Script, s.name.clone(), s.weight));
            }
        }
        for f in &config.track_files {
            if let Some(id) = plan.file_id(&f.name) {
                objects.insert(id, (TrackerKind::File, f.name.clone(), f.weight));
            }
        }
        let weight_of = |name: &str, list: &[(String, i32)]| {
            list.iter().find(|(n, _)| n == name).map_or(0, |(_, w)| *w)
        };
        let processes: Vec<(String, i32)> = config
            .track_processes
            .iter()
            .map(|p| (p.name.clone(), p.weight))
            .collect();
        for (id, name) in plan.process_trackers() {
            let w = weight_of(&name, &processes);
            objects.insert(id, (TrackerKind::Process, name, w));
        }
        let checks: Vec<(String, i32)> = config
            .mysql_checks
            .iter()
            .map(|m| (m.name.clone(), m.weight))
            .collect();
        for (id, name) in plan.mysql_trackers() {
            let w = weight_of(&name, &checks);
            objects.insert(id, (TrackerKind::Mysql, name, w));
        }
        let mut interfaces = HashMap::new();
        for (name, id) in plan.interface_trackers() {
            objects.insert(id, (TrackerKind::Interface, name.clone(), 0));
            interfaces.insert(name, id);
        }
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
            mysql: Vec::new(),
            processes: Vec::new(),
            objects,
            last,
            interfaces,
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
        for (id, (kind, name, _)) in &self.objects {
            let old = previous
                .objects
                .iter()
                .find(|(_, (k, n, _))| k == kind && n == name)
                .and_then(|(old_id, _)| previous.last.get(old_id));
            if let Some(status) = old {
                self.last.insert(*id, *status);
            }
        }
    }

    /// The initial results for the core.
    pub fn initial_status(&self) -> Vec<(TrackerId, TrackerStatus)> {
        let mut v: Vec<_> = self.last.iter().map(|(k, v)| (*k, *v)).collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }

    /// Starts the script, file and MySQL trackers.
    pub fn start(&mut self, config: &Config, tx: TrackerTx) {
        self.running = Some(self.plan.start(config, tx.clone()));
        for (id, name) in self.plan.mysql_trackers() {
            if let Some(check) = config.mysql_checks.iter().find(|c| c.name == name) {
                self.mysql.push(MysqlTracker::start(check, id, tx.clone()));
            }
        }
        for (id, name) in self.plan.process_trackers() {
            let tracked = config.track_processes.iter().find(|p| p.name == name);
            if let Some(task) =
                tracked.and_then(|p| crate::track::process::spawn(p, id, tx.clone()))
            {
                self.processes.push(task);
            }
        }
    }

    /// Stops every tracker (and kills running scripts).
    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
        // Dropping a handle stops its check without waiting for the thread.
        self.mysql.clear();
        for task in self.processes.drain(..) {
            task.abort();
        }
    }

    /// Whether `event` belongs to this configuration's trackers; records it if so.
    pub fn record(&mut self, event: TrackerEvent) -> bool {
        if !self.objects.contains_key(&event.id) {
            return false;
        }
        self.last.insert(event.id, event.status);
        true
    }

    /// The tracker id of a tracked interface.
    pub fn interface(&self, name: &str) -> Option<TrackerId> {
        self.interfaces.get(name).copied()
    }

    /// Names of tracked interfaces.
    pub fn interface_names(&self) -> impl Iterator<Item = &String> {
        self.interfaces.keys()
    }

    /// Views for dumps and metrics.
    pub fn views(&self) -> Vec<TrackerView> {
        self.objects
            .iter()
            .map(|(id, (kind, name, weight))| TrackerView {
                id: *id,
                name: name.clone(),
                kind: *kind,
                status: self.last.get(id).copied(),
                weight: *weight,
            })
            .collect()
    }

    /// MySQL checks by id and name (started by the MySQL tracker).
    pub fn mysql_trackers(&self) -> Vec<(TrackerId, String)> {
        self.plan.mysql_trackers()
    }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        self.stop();
    }
}
