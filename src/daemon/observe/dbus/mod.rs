//! `enable_dbus`: keepalived 2.2.7's `org.keepalived.Vrrp1` service on the system bus
//! (`DBUS_SYSTEM_BUS_ADDRESS`, else the standard socket), objects in [`objects`].
//!
//! What keepalived does, and so this service:
//! * at start-up it connects, registers the objects, and (when there are instances)
//!   sends `VrrpStarted` then one `VrrpStatusChange` per instance with its state at that
//!   moment; state changes before the bus was reached send nothing else. Then it owns
//!   the name (`dbus_service_name`, else `org.keepalived.Vrrp1`).
//! * every instance notification with a state (MASTER, BACKUP, FAULT, STOP, DELETED)
//!   sends `VrrpStatusChange` with keepalived's state number from the instance's object;
//! * a reload drops the objects of removed instances, adds the new ones and sends
//!   `VrrpReloaded`; turning `enable_dbus` on or off in a reload connects or leaves;
//! * at shutdown, after the STOP notifications, it sends `VrrpStopped` and leaves.
//!
//! All bus work happens on this observer's own task behind a bounded [`Queue`]: a bus
//! that is stuck (a stopped `dbus-daemon`) fills the queue and loses signals, never an
//! advert.

mod objects;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use zbus::object_server::SignalEmitter;
use zbus::Connection;

use self::objects::{InstanceObj, InstanceObject, Table, VrrpObject, VRRP_PATH};
use super::{Event, Observer, Queue, Subject};
use crate::config::model::Config;
use crate::daemon::requests;
use crate::vrrp::{NotifyState, State};

pub use self::objects::{instance_path, SERVICE_NAME};

/// What the service needs of a configuration (prepared with every reload).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbusPlan {
    pub enabled: bool,
    pub service_name: String,
    pub objects: Vec<InstanceObject>,
}

impl DbusPlan {
    pub fn of(cfg: &Config) -> DbusPlan {
        DbusPlan {
            enabled: cfg.global.dbus.enabled,
            service_name: cfg
                .global
                .dbus
                .service_name
                .clone()
                .unwrap_or_else(|| SERVICE_NAME.to_owned()),
            objects: objects::instance_objects(cfg),
        }
    }
}

/// Work for the service task.
#[derive(Debug)]
enum Job {
    /// An instance's state moved (what `State` shows).
    State {
        name: String,
        to: State,
    },
    /// A notification with a state: `VrrpStatusChange`.
    Status {
        name: String,
        code: u32,
    },
    Reload(Arc<DbusPlan>),
    Stop,
}

/// keepalived's state number for a notification that sends `VrrpStatusChange`.
fn status_code(state: NotifyState) -> Option<u32> {
    match state {
        NotifyState::Master => Some(State::Master as u32),
        NotifyState::Backup => Some(State::Backup as u32),
        NotifyState::Fault => Some(State::Fault as u32),
        NotifyState::Stop => Some(State::Stop as u32),
        // keepalived's internal DELETED state.
        NotifyState::Deleted => Some(97),
        NotifyState::MasterRxLowerPri
        | NotifyState::MasterPriority
        | NotifyState::BackupPriority => None,
    }
}

/// Jobs waiting for the bus at most: beyond, signals are dropped (with a warning).
const DEPTH: usize = 256;

/// The observer: turns events into jobs for the service task.
pub struct DbusService {
    queue: Queue<Job>,
    task: JoinHandle<()>,
    dropped: u64,
}

/// Always started: a reload may turn `enable_dbus` on. Without it the task only waits.
pub fn start(cfg: &Config) -> Option<Box<dyn Observer>> {
    let plan = Arc::new(DbusPlan::of(cfg));
    let (queue, task) = Queue::spawn(DEPTH, move |rx| run(plan, rx));
    Some(Box::new(DbusService {
        queue,
        task,
        dropped: 0,
    }))
}

impl Observer for DbusService {
    fn observe(&mut self, event: &Event) {
        let job = match event {
            Event::StateChanged(t) => match &t.subject {
                Subject::Instance { name, .. } => Job::State {
                    name: name.clone(),
                    to: t.to,
                },
                Subject::Group { .. } => return,
            },
            Event::Notify(n) => match (&n.subject, status_code(n.state)) {
                (Subject::Instance { name, .. }, Some(code)) => Job::Status {
                    name: name.clone(),
                    code,
                },
                _ => return,
            },
            Event::Reloaded(settings) => Job::Reload(settings.dbus.clone()),
        };
        if self.queue.offer(job).is_err() {
            self.dropped += 1;
            // The first and then every 100th, so a stuck bus cannot flood the log.
            if self.dropped % 100 == 1 {
                log::warn!("D-Bus is not keeping up: {} event(s) dropped", self.dropped);
            }
        }
    }

    fn shutdown(self: Box<Self>, grace: Duration) -> BoxFuture<'static, ()> {
        let DbusService { queue, task, .. } = *self;
        let _ = queue.offer(Job::Stop);
        queue.close();
        Box::pin(async move {
            let abort = task.abort_handle();
            if tokio::time::timeout(grace, task).await.is_err() {
                abort.abort();
                log::info!("DBus thread termination timed out");
            }
        })
    }
}

/// The service task's state.
struct Service {
    plan: Arc<DbusPlan>,
    table: Table,
    /// Instance name → object path.
    paths: HashMap<String, String>,
    conn: Option<Connection>,
    /// Signals the bus refused (a dead bus refuses every one: logged now and then).
    failures: u64,
}

impl Service {
    fn new(plan: Arc<DbusPlan>) -> Service {
        let mut service = Service {
            plan: Arc::default(),
            table: Table::default(),
            paths: HashMap::new(),
            conn: None,
            failures: 0,
        };
        service.follow(plan);
        service
    }

    /// Takes a configuration's objects, keeping the state of the instances it keeps.
    fn follow(&mut self, plan: Arc<DbusPlan>) {
        let mut shown = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::take(&mut shown.by_path);
        for o in &plan.objects {
            let state = old.get(&o.path).map_or(State::Init, |(_, s)| *s);
            shown
                .by_path
                .insert(o.path.clone(), (o.name.clone(), state));
        }
        drop(shown);
        self.paths = plan
            .objects
            .iter()
            .map(|o| (o.name.clone(), o.path.clone()))
            .collect();
        self.plan = plan;
    }

    /// Applies a state change to the table (what `State` shows).
    fn apply(&mut self, job: &Job) {
        if let Job::State { name, to } = job {
            if let Some(path) = self.paths.get(name) {
                let mut shown = self.table.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(entry) = shown.by_path.get_mut(path) {
                    entry.1 = *to;
                }
            }
        }
    }

    /// `VrrpStarted` and every instance's current state (none without instances). An
    /// instance still in INIT is left out: keepalived sets every first state before its
    /// bus thread starts, so it never announces INIT, and the instance's first state
    /// change, moments later, sends its `VrrpStatusChange` through [`Service::status`].
    async fn announce(&self, conn: &Connection) -> zbus::Result<()> {
        if self.plan.objects.is_empty() {
            return Ok(());
        }
        VrrpObject::vrrp_started(&SignalEmitter::new(conn, VRRP_PATH)?).await?;
        let states: Vec<(String, State)> = {
            let shown = self.table.lock().unwrap_or_else(|e| e.into_inner());
            self.plan
                .objects
                .iter()
                .filter_map(|o| shown.by_path.get(&o.path).map(|e| (o.path.clone(), e.1)))
                .filter(|(_, state)| *state != State::Init)
                .collect()
        };
        for (path, state) in states {
            let emitter = SignalEmitter::new(conn, path)?;
            InstanceObj::vrrp_status_change(&emitter, state as u32).await?;
        }
        Ok(())
    }

    async fn status(&self, name: &str, code: u32) -> zbus::Result<()> {
        let (Some(conn), Some(path)) = (&self.conn, self.paths.get(name)) else {
            return Ok(());
        };
        let emitter = SignalEmitter::new(conn, path.as_str())?;
        InstanceObj::vrrp_status_change(&emitter, code).await
    }

    /// A reload: objects follow the new instances, then `VrrpReloaded`.
    async fn reload(&mut self, plan: Arc<DbusPlan>) -> zbus::Result<()> {
        let old: Vec<String> = self.plan.objects.iter().map(|o| o.path.clone()).collect();
        self.follow(plan);
        let Some(conn) = self.conn.clone() else {
            return Ok(());
        };
        let server = conn.object_server();
        for path in old.iter().filter(|p| !self.paths.values().any(|n| n == *p)) {
            server.remove::<InstanceObj, _>(path.as_str()).await?;
            log::info!("Deleted DBus object for instance at {path}");
        }
        for o in self.plan.objects.iter().filter(|o| !old.contains(&o.path)) {
            server
                .at(o.path.as_str(), instance_object(&o.path, &self.table))
                .await?;
        }
        VrrpObject::vrrp_reloaded(&SignalEmitter::new(&conn, VRRP_PATH)?).await
    }

    async fn stop(&mut self) {
        if let Some(conn) = self.conn.take() {
            match SignalEmitter::new(&conn, VRRP_PATH) {
                Ok(e) => {
                    if let Err(e) = VrrpObject::vrrp_stopped(&e).await {
                        log::info!("Emitting DBus signal VrrpStopped failed: {e}");
                    }
                }
                Err(e) => log::info!("Emitting DBus signal VrrpStopped failed: {e}"),
            }
            log::info!("Released DBus");
        }
    }
}

/// Connects and registers the objects (which read `table`).
async fn connect(plan: Arc<DbusPlan>, table: Table) -> zbus::Result<Connection> {
    let mut builder = zbus::connection::Builder::system()?.serve_at(
        VRRP_PATH,
        VrrpObject {
            requests: requests::handle(),
        },
    )?;
    for o in &plan.objects {
        builder = builder.serve_at(o.path.as_str(), instance_object(&o.path, &table))?;
    }
    let conn = builder.build().await?;
    log::info!("Acquired DBus bus {}", plan.service_name);
    Ok(conn)
}

fn instance_object(path: &str, table: &Table) -> InstanceObj {
    InstanceObj {
        path: path.to_owned(),
        table: table.clone(),
        requests: requests::handle(),
    }
}

/// Connects (still following the events meanwhile: what happens before the bus is
/// reached updates the states but sends nothing), announces, owns the name. Returns a
/// job that ended the wait (a reload or the stop) for the caller to run.
async fn bring_up(service: &mut Service, rx: &mut mpsc::Receiver<Job>) -> Option<Job> {
    let mut attempt = Box::pin(connect(service.plan.clone(), service.table.clone()));
    let connected = loop {
        tokio::select! {
            conn = &mut attempt => break conn,
            job = rx.recv() => match job {
                Some(job @ (Job::State { .. } | Job::Status { .. })) => service.apply(&job),
                other => return other,
            },
        }
    };
    let conn = match connected {
        Ok(conn) => conn,
        Err(e) => {
            log::warn!("Failed to initialise DBus: {e}");
            return None;
        }
    };
    if let Err(e) = service.announce(&conn).await {
        log::info!("Emitting DBus signals failed: {e}");
    }
    let name = service.plan.service_name.clone();
    match conn.request_name(name.as_str()).await {
        Ok(()) => {
            log::info!("Acquired the name {name} on the session bus");
            service.conn = Some(conn);
        }
        Err(e) => log::warn!("Lost the name {name} on the session bus: {e}"),
    }
    None
}

async fn run(plan: Arc<DbusPlan>, mut rx: mpsc::Receiver<Job>) {
    let mut service = Service::new(plan);
    let mut pending = None;
    if service.plan.enabled {
        pending = bring_up(&mut service, &mut rx).await;
    }
    loop {
        let job = match pending.take() {
            Some(job) => job,
            None => match rx.recv().await {
                Some(job) => job,
                None => break,
            },
        };
        service.apply(&job);
        let sent = match job {
            Job::State { .. } => Ok(()),
            Job::Status { name, code } => service.status(&name, code).await,
            Job::Reload(plan) => {
                let was = service.plan.enabled;
                let result = service.reload(plan).await;
                match (was, service.plan.enabled, service.conn.is_some()) {
                    (_, true, false) => pending = bring_up(&mut service, &mut rx).await,
                    (true, false, true) => service.stop().await,
                    _ => {}
                }
                result
            }
            Job::Stop => {
                service.stop().await;
                break;
            }
        };
        if let Err(e) = sent {
            service.failures += 1;
            // The first and then every 100th.
            if service.failures % 100 == 1 {
                log::info!(
                    "Emitting DBus signal failed ({} so far): {e}",
                    service.failures
                );
            }
        }
    }
}
