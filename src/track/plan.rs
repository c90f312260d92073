//! Which trackers a configuration needs, the [`TrackerId`] of each, how every instance
//! and sync group weighs them, their state at start-up, and starting them.
//!
//! Ids are handed out in a fixed order — `vrrp_script`s, `track_file`s,
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
//!   weight 1 get weight 0 and files with any other weight are dropped;
//! * a sync group's own `track_*` entries apply to every member with their weights,
//!   cleared to 0 when a member is an address owner.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::model::{Config, SyncGroup, TrackRef, VrrpInstance};
use crate::vrrp::{TrackerId, TrackerRef, TrackerStatus};

use super::children::LiveGroups;
use super::command::{prepare, PreparedScript};
use super::file::{apply_init_file, read_value, resolve_path, status_of, watch_files, FileSpec};
use super::script::{run_script, ScriptSpec};
use super::TrackerTx;

/// A `vrrp_script` the plan will run.
#[derive(Debug, Clone)]
struct PlannedScript {
    id: TrackerId,
    /// `None` = unused, or refused at start-up (not found, not executable, insecure…):
    /// instances drop it, as keepalived does.
    command: Option<PreparedScript>,
    weight: i32,
    reverse: bool,
    init_fail: bool,
}

/// A `track_file`; `spec` is `None` when its directory does not exist.
#[derive(Debug, Clone)]
struct PlannedFile {
    id: TrackerId,
    spec: Option<FileSpec>,
    weight: i32,
    reverse: bool,
}

/// Everything the daemon needs to know about health trackers.
#[derive(Debug, Clone)]
pub struct TrackerPlan {
    scripts: BTreeMap<String, PlannedScript>,
    files: BTreeMap<String, PlannedFile>,
    /// Name → (id, own weight).
    processes: BTreeMap<String, (TrackerId, i32)>,
    mysql: BTreeMap<String, (TrackerId, i32)>,
    interfaces: Vec<(String, TrackerId)>,
    /// Instance name → (base priority, sync group tracking weights allowed?).
    instances: HashMap<String, (u8, Option<bool>)>,
    /// Sync group name → member names.
    groups: HashMap<String, Vec<String>>,
    /// Per tracker, every (weight, reverse) it is used with: picks a neutral start state.
    uses: BTreeMap<TrackerId, Vec<(i32, bool)>>,
}

/// Why an entry loses its weight (or is dropped).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Restriction {
    None,
    SyncGroup,
    AddressOwner,
}

impl Restriction {
    fn reason(self) -> &'static str {
        match self {
            Restriction::SyncGroup => "SYNC group",
            _ => "address owner",
        }
    }
}

impl TrackerPlan {
    /// Plans the trackers of `cfg`. This is start-up work, with keepalived's start-up side
    /// effects and log lines: script programs and users are resolved and script security
    /// is checked, `init_file` files are created, and track files are read once.
    pub fn from_config(cfg: &Config) -> TrackerPlan {
        let mut next = 0u32;
        let mut alloc = || {
            next += 1;
            TrackerId(next)
        };
        let used_scripts: Vec<&str> = cfg
            .instances
            .iter()
            .flat_map(|i| &i.track_script)
            .chain(cfg.sync_groups.iter().flat_map(|g| &g.track_script))
            .map(|t| t.name.as_str())
            .collect();
        let mut scripts = BTreeMap::new();
        for s in &cfg.scripts {
            let id = alloc();
            let command = if used_scripts.contains(&s.name.as_str()) {
                match prepare(&s.script, &cfg.global, "vrrp") {
                    Ok(c) => Some(c),
                    Err(why) => {
                        if matches!(why, super::command::Refusal::Insecure(_)) {
                            log::info!("Disabling track script {} due to insecure", s.name);
                        } else if matches!(why, super::command::Refusal::NotFound) {
                            log::info!(
                                "Disabling track script {} since not found/accessible",
                                s.name
                            );
                        }
                        None
                    }
                }
            } else {
                None
            };
            scripts.insert(
                s.name.clone(),
                PlannedScript {
                    id,
                    command,
                    weight: s.weight,
                    reverse: s.weight_reverse,
                    init_fail: s.init_fail,
                },
            );
        }
        let mut files = BTreeMap::new();
        for f in &cfg.track_files {
            let id = alloc();
            apply_init_file(f);
            let spec = resolve_path(f).map(|path| FileSpec {
                name: f.name.clone(),
                id,
                initial: read_value(&path).unwrap_or(0),
                path,
            });
            files.insert(
                f.name.clone(),
                PlannedFile {
                    id,
                    spec,
                    weight: f.weight,
                    reverse: f.weight_reverse,
                },
            );
        }
        let processes = cfg
            .track_processes
            .iter()
            .map(|p| (p.name.clone(), (alloc(), p.weight)))
            .collect();
        let mysql = cfg
            .mysql_checks
            .iter()
            .map(|m| (m.name.clone(), (alloc(), m.weight)))
            .collect();
        let mut interfaces: Vec<(String, TrackerId)> = Vec::new();
        let tracked_ifs = cfg
            .instances
            .iter()
            .flat_map(|i| &i.track_interface)
            .chain(cfg.sync_groups.iter().flat_map(|g| &g.track_interface));
        for t in tracked_ifs {
            if !interfaces.iter().any(|(n, _)| n == &t.name) {
                interfaces.push((t.name.clone(), alloc()));
            }
        }
        let mut instances = HashMap::new();
        for i in &cfg.instances {
            let group = cfg
                .sync_groups
                .iter()
                .find(|g| g.group.contains(&i.name))
                .map(|g| g.sync_group_tracking_weight);
            instances.insert(i.name.clone(), (i.priority, group));
        }
        let groups = cfg
            .sync_groups
            .iter()
            .map(|g| (g.name.clone(), g.group.clone()))
            .collect();
        let mut plan = TrackerPlan {
            scripts,
            files,
            processes,
            mysql,
            interfaces,
            instances,
            groups,
            uses: BTreeMap::new(),
        };
        let mut uses: BTreeMap<TrackerId, Vec<(i32, bool)>> = BTreeMap::new();
        let refs = cfg
            .instances
            .iter()
            .flat_map(|i| plan.resolve_instance(i, false))
            .chain(
                cfg.sync_groups
                    .iter()
                    .flat_map(|g| plan.resolve_group(g, false)),
            );
        for r in refs {
            uses.entry(r.id).or_default().push((r.weight, r.reverse));
        }
        plan.uses = uses;
        plan
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

    /// Tracked interfaces: the daemon reports link up/down of each as
    /// [`TrackerStatus::Up`]/[`TrackerStatus::Down`].
    pub fn interface_trackers(&self) -> Vec<(String, TrackerId)> {
        self.interfaces.clone()
    }

    /// The native MySQL checks (run by `track::mysql`), by id.
    pub fn mysql_trackers(&self) -> Vec<(TrackerId, String)> {
        self.mysql
            .iter()
            .map(|(n, (id, _))| (*id, n.clone()))
            .collect()
    }

    /// `vrrp_track_process` objects, by id.
    pub fn process_trackers(&self) -> Vec<(TrackerId, String)> {
        self.processes
            .iter()
            .map(|(n, (id, _))| (*id, n.clone()))
            .collect()
    }

    /// The id of a tracked object by kind and name.
    pub fn script_id(&self, name: &str) -> Option<TrackerId> {
        self.scripts.get(name).map(|s| s.id)
    }

    pub fn file_id(&self, name: &str) -> Option<TrackerId> {
        self.files.get(name).map(|f| f.id)
    }

    pub fn interface_id(&self, name: &str) -> Option<TrackerId> {
        self.interfaces
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }

    /// Tracker states before any tracker has run, for [`crate::vrrp::RouterInit`]:
    /// * scripts with `init_fail`: down. Other scripts have not run yet; keepalived lets
    ///   them move nothing until their first result, so they start in whichever state
    ///   adds no weight and causes no FAULT for the entries using them;
    /// * track files: the value in the file (0 if missing), after `init_file`;
    /// * interfaces: up when the link is administratively up with carrier
    ///   (`/sys/class/net`), down otherwise or when it does not exist.
    ///
    /// Processes and MySQL checks are left to their trackers (the core assumes up).
    pub fn initial_status(&self) -> BTreeMap<TrackerId, TrackerStatus> {
        let mut out = BTreeMap::new();
        for p in self.scripts.values() {
            if p.command.is_none() {
                continue;
            }
            let status = if p.init_fail {
                TrackerStatus::Down
            } else {
                self.neutral_status(p.id)
            };
            out.insert(p.id, status);
        }
        for f in self.files.values() {
            let value = f.spec.as_ref().map_or(0, |s| s.initial);
            out.insert(f.id, status_of(value));
        }
        for (name, id) in &self.interfaces {
            let status = if link_is_up(name) {
                TrackerStatus::Up
            } else {
                TrackerStatus::Down
            };
            out.insert(*id, status);
        }
        out
    }

    /// Starts every script and file tracker of the plan as tokio tasks reporting on `tx`.
    /// Must be called inside a tokio runtime, from a thread that lives as long as the
    /// trackers (scripts get SIGTERM when it exits).
    pub fn start(&self, cfg: &Config, tx: TrackerTx) -> RunningTrackers {
        let live = LiveGroups::new();
        let mut tasks = Vec::new();
        for s in &cfg.scripts {
            let Some(planned) = self.scripts.get(&s.name) else {
                continue;
            };
            let Some(command) = &planned.command else {
                continue;
            };
            let spec = ScriptSpec {
                name: s.name.clone(),
                id: planned.id,
                command: command.clone(),
                interval: s.interval,
                timeout: s.timeout.filter(|t| !t.is_zero()).unwrap_or(s.interval),
                rise: s.rise,
                fall: s.fall,
                init_fail: s.init_fail,
            };
            tasks.push(tokio::spawn(run_script(spec, tx.clone(), live.clone())));
        }
        let file_specs: Vec<FileSpec> = self
            .files
            .values()
            .filter_map(|f| f.spec.clone())
            .filter(|spec| self.uses.contains_key(&spec.id))
            .collect();
        if !file_specs.is_empty() {
            tasks.push(tokio::spawn(watch_files(file_specs, tx.clone())));
        }
        RunningTrackers { tasks, live }
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

    fn restriction_of(&self, inst: &VrrpInstance) -> Restriction {
        match self.instances.get(&inst.name) {
            Some((_, Some(false))) => Restriction::SyncGroup,
            _ if inst.priority == 255 => Restriction::AddressOwner,
            _ => Restriction::None,
        }
    }

    fn resolve_instance(&self, inst: &VrrpInstance, log: bool) -> Vec<TrackerRef> {
        let name = &inst.name;
        let restriction = self.restriction_of(inst);
        let mut out: Vec<TrackerRef> = Vec::new();
        let mut push = |r: TrackerRef| {
            if !out.iter().any(|o| o.id == r.id) {
                out.push(r);
            }
        };
        for t in &inst.track_interface {
            let Some(id) = self.interface_id(&t.name) else {
                continue;
            };
            let weight = clamp253(t.weight.unwrap_or(0));
            if weight != 0 && restriction != Restriction::None {
                if log {
                    let w = if restriction == Restriction::SyncGroup {
                        "weight "
                    } else {
                        ""
                    };
                    log::info!(
                        "({name}) ignoring {} tracked interface {w}due to {}",
                        t.name,
                        restriction.reason()
                    );
                }
                if restriction == Restriction::SyncGroup {
                    push(tref(id, 0, t.reverse));
                }
                continue;
            }
            push(tref(id, weight, t.reverse));
        }
        for t in &inst.track_script {
            let Some((id, weight, reverse)) = self.script_ref(t) else {
                continue;
            };
            if weight != 0 && restriction != Restriction::None {
                if log {
                    log::info!(
                        "({name}) ignoring tracked script {} with weights due to {}",
                        t.name,
                        restriction.reason()
                    );
                }
                continue;
            }
            push(tref(id, weight, reverse));
        }
        for t in &inst.track_file {
            let Some((id, weight, reverse)) = self.file_ref(t) else {
                continue;
            };
            if weight != 0 && restriction != Restriction::None {
                let why = restriction
                    .reason()
                    .replace("address owner", "address_owner");
                if weight == 1 {
                    if log {
                        log::info!("({name}) ignoring weight from tracked file {} due to {why}. specify weight 0", t.name);
                    }
                    push(tref(id, 0, reverse));
                } else if log {
                    log::info!(
                        "({name}) ignoring tracked file {} with weight {weight} due to {why}",
                        t.name
                    );
                }
                continue;
            }
            push(tref(id, weight, reverse));
        }
        for t in &inst.track_process {
            if let Some(r) = self.process_ref(t) {
                push(r);
            }
        }
        for t in &inst.track_mysql {
            let Some(&(id, own)) = self.mysql.get(&t.name) else {
                continue;
            };
            let weight = t.weight.unwrap_or(own);
            if weight != 0 && restriction != Restriction::None {
                if log {
                    log::info!(
                        "({name}) ignoring tracked mysql_check {} with weights due to {}",
                        t.name,
                        restriction.reason()
                    );
                }
                continue;
            }
            push(tref(id, weight, t.reverse));
        }
        out
    }

    fn resolve_group(&self, group: &SyncGroup, log: bool) -> Vec<TrackerRef> {
        let gname = &group.name;
        let has_owner = self.groups.get(gname).is_some_and(|members| {
            members
                .iter()
                .any(|m| self.instances.get(m).is_some_and(|(p, _)| *p == 255))
        });
        let mut out: Vec<TrackerRef> = Vec::new();
        let mut add = |kind: &str, name: &str, r: TrackerRef| {
            if out.iter().any(|o| o.id == r.id) {
                return;
            }
            if has_owner && r.weight != 0 {
                if log {
                    log::info!("({gname}) Cannot have weighted track {kind} '{name}' with member having priority 255 - clearing weight");
                }
                out.push(tref(r.id, 0, r.reverse));
            } else {
                out.push(r);
            }
        };
        for t in &group.track_script {
            if let Some((id, w, rev)) = self.script_ref(t) {
                add("script", &t.name, tref(id, w, rev));
            }
        }
        for t in &group.track_file {
            if let Some((id, w, rev)) = self.file_ref(t) {
                add("file", &t.name, tref(id, w, rev));
            }
        }
        for t in &group.track_process {
            if let Some(r) = self.process_ref(t) {
                add("process", &t.name, r);
            }
        }
        for t in &group.track_interface {
            if let Some(id) = self.interface_id(&t.name) {
                let w = clamp253(t.weight.unwrap_or(0));
                add("interface", &t.name, tref(id, w, t.reverse));
            }
        }
        out
    }

    fn script_ref(&self, t: &TrackRef) -> Option<(TrackerId, i32, bool)> {
        let s = self.scripts.get(&t.name)?;
        s.command.as_ref()?;
        Some(own_or_given(s.id, t, s.weight, s.reverse, true))
    }

    fn file_ref(&self, t: &TrackRef) -> Option<(TrackerId, i32, bool)> {
        let f = self.files.get(&t.name)?;
        f.spec.as_ref()?;
        Some(own_or_given(f.id, t, f.weight, f.reverse, false))
    }

    fn process_ref(&self, t: &TrackRef) -> Option<TrackerRef> {
        let &(id, weight) = self.processes.get(&t.name)?;
        let (id, w, rev) = own_or_given(id, t, weight, false, false);
        Some(tref(id, w, rev))
    }
}

/// Weight and `reverse` of an entry: its own when it has `weight`, else the object's.
/// (An entry `weight W` without `reverse` keeps the object's `reverse`, as keepalived.)
fn own_or_given(
    id: TrackerId,
    t: &TrackRef,
    own_weight: i32,
    own_reverse: bool,
    clamp: bool,
) -> (TrackerId, i32, bool) {
    match t.weight {
        Some(w) => (
            id,
            if clamp { clamp253(w) } else { w },
            t.reverse || own_reverse,
        ),
        None => (id, own_weight, own_reverse || t.reverse),
    }
}

fn clamp253(w: i32) -> i32 {
    w.clamp(-253, 253)
}

fn tref(id: TrackerId, weight: i32, reverse: bool) -> TrackerRef {
    TrackerRef {
        id,
        weight,
        reverse,
    }
}

/// keepalived's `IF_FLAGS_UP`: administratively up and running (carrier).
fn link_is_up(name: &str) -> bool {
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

/// Trackers started by [`TrackerPlan::start`]. Dropping it (or [`RunningTrackers::stop`])
/// ends them and kills every script still running, with its process group.
#[derive(Debug)]
pub struct RunningTrackers {
    tasks: Vec<JoinHandle<()>>,
    live: LiveGroups,
}

impl RunningTrackers {
    /// Ends every tracker now: tasks aborted, running scripts' groups SIGKILLed.
    pub fn stop(self) {
        drop(self)
    }

    /// keepalived's shutdown: SIGTERM to running scripts, SIGKILL to what is left after
    /// `grace` (keepalived waits 1 s).
    pub async fn shutdown(self, grace: Duration) {
        for t in &self.tasks {
            t.abort();
        }
        self.live.signal_all(nix::sys::signal::Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        while !self.live.prune() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Drop SIGKILLs whatever is left.
    }

    /// Process groups of scripts running right now (for tests and dumps).
    pub fn running_script_groups(&self) -> Vec<u32> {
        self.live.snapshot()
    }
}

impl Drop for RunningTrackers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.live.signal_all(nix::sys::signal::Signal::SIGKILL);
    }
}
