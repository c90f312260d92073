//! The notify observer: state-change notifications as keepalived 2.2.7 sends them
//! (`vrrp_notify.c`): the state's own `notify_*` script, then the generic `notify` script
//! with four trailing arguments (`INSTANCE|GROUP`, name, state, priority — 0 for groups),
//! then one line on each notify FIFO (created and opened by the `fifo` module):
//!
//! ```text
//! INSTANCE "VI_1" MASTER 100\n
//! GROUP "G1" BACKUP 0\n
//! INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100\n      (notify_master_rx_lower_pri only runs
//!                                                 its own script, without arguments)
//! INSTANCE "VI_1" BACKUP_PRIORITY 90\n          (notify_priority_changes: FIFO only;
//!                                                 MASTER_PRIORITY when master)
//! ```
//!
//! Scripts and FIFO lines are one observer, not two, because keepalived's order holds
//! across them: one worker starts a notification's scripts (its own first, then the
//! generic one) and then writes its FIFO line, notification after notification; at
//! shutdown the FIFO readers read the last lines, STOP included, before their scripts
//! are signalled.
//!
//! Nothing here may hold up the advert path: [`Notifier::notify`] only puts a job on a
//! bounded [`Queue`] (a full queue drops the job with a warning); the worker starts the
//! scripts without waiting for them, and FIFO writes are non-blocking.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use nix::sys::signal::Signal;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::child::start_tracked;
use super::fifo::FifoSink;
use super::queue::{Queue, Refused};
use super::{Event, Observer, Subject};
use crate::config::model::{Config, GlobalDefs, Script};
use crate::track::children::LiveGroups;
use crate::track::command::{prepare, PreparedScript};
use crate::vrrp::{NotifyState, NotifyTarget};

/// Jobs waiting for the worker; beyond this, notifications are dropped (and logged).
pub const QUEUE_DEPTH: usize = 256;

/// The scripts of one instance or sync group.
#[derive(Debug, Default, Clone)]
struct TargetScripts {
    master: Option<PreparedScript>,
    backup: Option<PreparedScript>,
    fault: Option<PreparedScript>,
    stop: Option<PreparedScript>,
    generic: Option<PreparedScript>,
    master_rx_lower_pri: Option<PreparedScript>,
    /// `notify_deleted COMMAND` (a bare `notify_deleted` only changes the state reported).
    deleted: Option<PreparedScript>,
}

impl TargetScripts {
    /// The state's own script (`notify_master` for MASTER …); priority changes have none.
    fn own(&self, state: NotifyState) -> Option<&PreparedScript> {
        match state {
            NotifyState::Master => self.master.as_ref(),
            NotifyState::Backup => self.backup.as_ref(),
            NotifyState::Fault => self.fault.as_ref(),
            NotifyState::Stop => self.stop.as_ref(),
            NotifyState::MasterRxLowerPri => self.master_rx_lower_pri.as_ref(),
            NotifyState::Deleted => self.deleted.as_ref(),
            NotifyState::MasterPriority | NotifyState::BackupPriority => None,
        }
    }

    fn any(&self) -> bool {
        [
            &self.master,
            &self.backup,
            &self.fault,
            &self.stop,
            &self.generic,
            &self.master_rx_lower_pri,
            &self.deleted,
        ]
        .iter()
        .any(|s| s.is_some())
    }
}

/// The notify scripts of every instance and sync group of one configuration, checked and
/// ready to run. Built at start-up and again for each reload.
#[derive(Debug, Default, Clone)]
pub struct NotifyScripts {
    instances: HashMap<String, TargetScripts>,
    groups: HashMap<String, TargetScripts>,
}

impl NotifyScripts {
    /// Prepares every notify script of `cfg` (with keepalived's checks: scripts that are
    /// missing, not executable or insecure under `enable_script_security` are dropped and
    /// logged).
    pub fn of(cfg: &Config) -> NotifyScripts {
        let g = &cfg.global;
        let instances = cfg
            .instances
            .iter()
            .map(|i| {
                let deleted = i
                    .scripts
                    .notify_deleted
                    .clone()
                    .filter(|s| !s.command.is_empty());
                let s = TargetScripts {
                    master: prep(&i.scripts.notify_master, g),
                    backup: prep(&i.scripts.notify_backup, g),
                    fault: prep(&i.scripts.notify_fault, g),
                    stop: prep(&i.scripts.notify_stop, g),
                    generic: prep(&i.scripts.notify, g),
                    master_rx_lower_pri: prep(&i.scripts.notify_master_rx_lower_pri, g),
                    deleted: prep(&deleted, g),
                };
                (i.name.clone(), s)
            })
            // Most instances have no scripts: keep only those that do (memory at scale).
            .filter(|(_, s)| s.any())
            .collect();
        let groups = cfg
            .sync_groups
            .iter()
            .map(|sg| {
                let s = TargetScripts {
                    master: prep(&sg.notify_master, g),
                    backup: prep(&sg.notify_backup, g),
                    fault: prep(&sg.notify_fault, g),
                    stop: prep(&sg.notify_stop, g),
                    generic: prep(&sg.notify, g),
                    master_rx_lower_pri: None,
                    deleted: None,
                };
                (sg.name.clone(), s)
            })
            .collect();
        NotifyScripts { instances, groups }
    }
}

/// One notification, resolved to what must be started and written.
struct Job {
    runs: Vec<(PreparedScript, Vec<OsString>)>,
    line: String,
}

/// Runs notify scripts and writes notify FIFOs (see the module docs).
pub struct Notifier {
    scripts_of: Arc<NotifyScripts>,
    queue: Queue<Job>,
    worker: JoinHandle<Vec<FifoSink>>,
    /// Notify scripts still running.
    scripts: LiveGroups,
    /// FIFO reader scripts.
    fifo_scripts: LiveGroups,
}

impl Notifier {
    /// Prepares every notify script of `cfg` (with keepalived's checks: scripts that are
    /// missing, not executable or insecure under `enable_script_security` are dropped and
    /// logged), creates and opens the FIFOs and starts their scripts. Must be called inside
    /// a tokio runtime.
    pub fn new(cfg: &Config) -> Notifier {
        let scripts_of = Arc::new(NotifyScripts::of(cfg));
        let fifo_scripts = LiveGroups::new();
        let fifos = FifoSink::open_all(&cfg.global, &fifo_scripts);
        let scripts = LiveGroups::new();
        let live = scripts.clone();
        let (queue, worker) = Queue::spawn(QUEUE_DEPTH, |rx| work(rx, fifos, live));
        Notifier {
            scripts_of,
            queue,
            worker,
            scripts,
            fifo_scripts,
        }
    }

    /// The scripts of a reloaded configuration: later notifications use them (those
    /// already queued, such as a removed instance's, ran with the ones before).
    pub fn replace_scripts(&mut self, scripts: NotifyScripts) {
        self.scripts_of = Arc::new(scripts);
    }

    /// Announces that `target` entered `state` with `priority` (ignored for groups, which
    /// always report 0). Never waits.
    pub fn notify(&mut self, target: &NotifyTarget, state: NotifyState, priority: u8) {
        match target {
            NotifyTarget::Instance(name) => self.announce(false, name, state, priority),
            NotifyTarget::Group(name) => self.announce(true, name, state, priority),
        }
    }

    /// Queues the job of one notification about instance or `group` `name`.
    fn announce(&mut self, group: bool, name: &str, state: NotifyState, priority: u8) {
        let (kind, scripts, priority) = if group {
            ("GROUP", self.scripts_of.groups.get(name), 0)
        } else {
            ("INSTANCE", self.scripts_of.instances.get(name), priority)
        };
        let mut runs = Vec::new();
        if let Some(s) = scripts {
            if let Some(script) = s.own(state) {
                runs.push((script.clone(), Vec::new()));
            }
            if let (Some(generic), true) = (&s.generic, state.runs_generic_script()) {
                let args = [kind, name, &state.to_string(), &priority.to_string()]
                    .map(OsString::from)
                    .to_vec();
                runs.push((generic.clone(), args));
            }
        }
        let line = format!("{kind} \"{name}\" {state} {priority}\n");
        if self.queue.offer(Job { runs, line }) == Err(Refused::Full) {
            log::warn!("Notify queue full - dropping {kind} {name} {state} notification")
        }
    }

    /// Process groups of notify scripts still running.
    pub fn running_scripts(&self) -> Vec<u32> {
        self.scripts.snapshot()
    }

    /// Stops notifying, as keepalived does: queued notifications are still carried out,
    /// then the FIFOs are closed (created ones unlinked first, so a reader that reopens
    /// in a loop cannot get them back). A FIFO script then reads the last lines, STOP
    /// included, and sees end-of-file. Running scripts (the STOP ones) and FIFO scripts
    /// get up to `grace` to finish (keepalived waits 1 s); FIFO scripts still running
    /// then get SIGTERM, and whatever is left SIGKILL.
    pub async fn shutdown(self, grace: Duration) {
        let Notifier {
            queue,
            worker,
            scripts,
            fifo_scripts,
            ..
        } = self;
        queue.close();
        let fifos = worker.await.unwrap_or_default();
        for f in fifos {
            f.close();
        }
        let deadline = tokio::time::Instant::now() + grace;
        while !(scripts.prune() & fifo_scripts.prune()) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        fifo_scripts.signal_all(Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(100);
        while !fifo_scripts.prune() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        scripts.signal_all(Signal::SIGKILL);
        fifo_scripts.signal_all(Signal::SIGKILL);
    }
}

impl Observer for Notifier {
    fn observe(&mut self, event: &Event) {
        match event {
            Event::Notify(n) => {
                let group = matches!(n.subject, Subject::Group { .. });
                self.announce(group, n.subject.name(), n.state, n.priority)
            }
            Event::Reloaded(settings) => self.scripts_of = settings.notify.clone(),
            Event::StateChanged(_) => {}
        }
    }

    fn shutdown(self: Box<Self>, grace: Duration) -> BoxFuture<'static, ()> {
        Box::pin(Notifier::shutdown(*self, grace))
    }
}

fn prep(script: &Option<Script>, global: &GlobalDefs) -> Option<PreparedScript> {
    prepare(script.as_ref()?, global, "notify").ok()
}

/// The worker: starts each job's scripts in order, then writes its FIFO line.
async fn work(
    mut rx: mpsc::Receiver<Job>,
    fifos: Vec<FifoSink>,
    live: LiveGroups,
) -> Vec<FifoSink> {
    while let Some(job) = rx.recv().await {
        for (script, args) in &job.runs {
            let extra: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
            start_tracked(script, &extra, &live, || {});
        }
        for f in &fifos {
            f.write_line(&job.line);
        }
    }
    fifos
}

/// The [`super::OBSERVERS`] row: every configuration gets the notifier (it does nothing
/// for targets without scripts when no FIFO is configured).
pub fn start(cfg: &Config) -> Option<Box<dyn Observer>> {
    Some(Box::new(Notifier::new(cfg)))
}
