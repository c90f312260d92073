//! State-change notifications as keepalived 2.2.7 sends them (`vrrp_notify.c`,
//! reference §8): the state's own `notify_*` script, then the generic `notify` script
//! with four trailing arguments (`INSTANCE|GROUP`, name, state, priority — 0 for groups),
//! then one line on each notify FIFO:
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
//! Nothing here may hold up the advert path: [`Notifier::notify`] only puts a job on a
//! bounded queue (a full queue drops the job with a warning); a worker task starts the
//! scripts without waiting for them, and FIFO writes are non-blocking (the FIFO is opened
//! read-write, so it always has a reader, and a line that does not fit in a full pipe is
//! dropped — as in keepalived).
//!
//! FIFOs (`notify_fifo`, then `vrrp_notify_fifo`) are created with mode 0644 (owned by
//! the configured user) when missing; their `*_script` is started once, with the FIFO's
//! path as last argument, before the FIFO is opened. At shutdown created FIFOs are
//! removed.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::stat::Mode;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::model::{Config, Fifo, GlobalDefs, Script};
use crate::track::children::LiveGroups;
use crate::track::command::{prepare, resolve_user, PreparedScript};
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
                let deleted = i.notify_deleted.clone().filter(|s| !s.command.is_empty());
                let s = TargetScripts {
                    master: prep(&i.notify_master, g),
                    backup: prep(&i.notify_backup, g),
                    fault: prep(&i.notify_fault, g),
                    stop: prep(&i.notify_stop, g),
                    generic: prep(&i.notify, g),
                    master_rx_lower_pri: prep(&i.notify_master_rx_lower_pri, g),
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

/// An open notify FIFO.
struct FifoSink {
    path: String,
    file: std::fs::File,
    created: bool,
}

/// Runs notify scripts and writes notify FIFOs (see the module docs).
pub struct Notifier {
    scripts_of: NotifyScripts,
    queue: mpsc::Sender<Job>,
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
        let g = &cfg.global;
        let scripts_of = NotifyScripts::of(cfg);
        let fifo_scripts = LiveGroups::new();
        let mut fifos = Vec::new();
        for (fifo, kind) in [(&g.notify_fifo, ""), (&g.vrrp_notify_fifo, "vrrp_")] {
            let Some(fifo) = fifo else { continue };
            if fifos.iter().any(|f: &FifoSink| f.path == fifo.path) {
                continue;
            }
            if let Some(sink) = open_fifo(fifo, kind, g, &fifo_scripts) {
                fifos.push(sink);
            }
        }
        let scripts = LiveGroups::new();
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        let worker = tokio::spawn(work(rx, fifos, scripts.clone()));
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
        self.scripts_of = scripts;
    }

    /// Announces that `target` entered `state` with `priority` (ignored for groups, which
    /// always report 0). Never waits.
    pub fn notify(&mut self, target: &NotifyTarget, state: NotifyState, priority: u8) {
        let (kind, name, scripts, priority) = match target {
            NotifyTarget::Instance(n) => {
                ("INSTANCE", n, self.scripts_of.instances.get(n), priority)
            }
            NotifyTarget::Group(n) => ("GROUP", n, self.scripts_of.groups.get(n), 0),
        };
        let mut runs = Vec::new();
        if let Some(s) = scripts {
            let specific = match state {
                NotifyState::Master => &s.master,
                NotifyState::Backup => &s.backup,
                NotifyState::Fault => &s.fault,
                NotifyState::Stop => &s.stop,
                NotifyState::MasterRxLowerPri => &s.master_rx_lower_pri,
                NotifyState::Deleted => &s.deleted,
                NotifyState::MasterPriority | NotifyState::BackupPriority => &None,
            };
            if let Some(script) = specific {
                runs.push((script.clone(), Vec::new()));
            }
            if let (Some(generic), true) = (&s.generic, state.runs_generic_script()) {
                let args = [
                    kind,
                    name.as_str(),
                    &state.to_string(),
                    &priority.to_string(),
                ]
                .map(OsString::from)
                .to_vec();
                runs.push((generic.clone(), args));
            }
        }
        let line = format!("{kind} \"{name}\" {state} {priority}\n");
        match self.queue.try_send(Job { runs, line }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                log::warn!("Notify queue full - dropping {kind} {name} {state} notification")
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
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
        drop(queue);
        let fifos = worker.await.unwrap_or_default();
        for f in fifos {
            if f.created {
                let _ = std::fs::remove_file(&f.path);
            }
            drop(f.file);
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

fn prep(script: &Option<Script>, global: &GlobalDefs) -> Option<PreparedScript> {
    prepare(script.as_ref()?, global, "notify").ok()
}

/// keepalived's `fifo_open`: create (0644, chown to the FIFO's user), start the script,
/// open read-write non-blocking.
fn open_fifo(fifo: &Fifo, kind: &str, g: &GlobalDefs, live: &LiveGroups) -> Option<FifoSink> {
    let perms = Mode::S_IRUSR | Mode::S_IWUSR | Mode::S_IRGRP | Mode::S_IROTH;
    let created = match nix::unistd::mkfifo(fifo.path.as_str(), perms) {
        Ok(()) => true,
        Err(Errno::EEXIST) => false,
        Err(_) => {
            log::info!("Unable to create {kind}notify fifo {}", fifo.path);
            return None;
        }
    };
    if created {
        if let Some((user, group)) = &fifo.user {
            let owner = resolve_user(user, group.as_deref());
            let chowned = owner.is_some_and(|o| {
                nix::unistd::chown(
                    fifo.path.as_str(),
                    Some(nix::unistd::Uid::from_raw(o.uid)),
                    Some(nix::unistd::Gid::from_raw(o.gid)),
                )
                .is_ok()
            });
            if !chowned {
                log::info!("Failed to set uid:gid for fifo {}", fifo.path);
            }
        }
    }
    if let Some(script) = fifo
        .script
        .as_ref()
        .and_then(|s| prepare(s, g, "fifo").ok())
    {
        start_fifo_script(&script, &fifo.path, live);
    }
    // Read-write so the FIFO always has a reader and writes never fail or block;
    // std adds O_CLOEXEC.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(&fifo.path);
    match opened {
        Ok(file) => Some(FifoSink {
            path: fifo.path.clone(),
            file,
            created,
        }),
        Err(e) => {
            log::info!(
                "Unable to open {kind}notify fifo {} - errno {}",
                fifo.path,
                e.raw_os_error().unwrap_or(0)
            );
            if created {
                let _ = std::fs::remove_file(&fifo.path);
            }
            None
        }
    }
}

fn start_fifo_script(script: &PreparedScript, path: &str, live: &LiveGroups) {
    match script.command(&[OsStr::new(path)]).spawn() {
        Ok(mut child) => {
            let pid = child.id().unwrap_or(0);
            live.insert(pid);
            let live = live.clone();
            tokio::spawn(async move {
                let _ = child.wait().await;
                live.remove(pid);
                log::info!("vrrp notify fifo script terminated");
            });
        }
        Err(e) => log::error!(
            "Error exec-ing command '{}', error {}: {e}",
            script.args[0].to_string_lossy(),
            e.raw_os_error().unwrap_or(0)
        ),
    }
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
            match script.command(&extra).spawn() {
                Ok(mut child) => {
                    let pid = child.id().unwrap_or(0);
                    live.insert(pid);
                    let live = live.clone();
                    tokio::spawn(async move {
                        let _ = child.wait().await;
                        live.remove(pid);
                    });
                }
                Err(e) => log::error!(
                    "Error exec-ing command '{}', error {}: {e}",
                    script.args[0].to_string_lossy(),
                    e.raw_os_error().unwrap_or(0)
                ),
            }
        }
        for f in &fifos {
            // Non-blocking: a full pipe drops the line, as keepalived's write() does.
            let _ = (&f.file).write(job.line.as_bytes());
        }
    }
    fifos
}
