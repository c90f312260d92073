//! The running check: one thread per `mysql_check` keeps a connection open, runs the check
//! every `interval`, applies rise/fall, and reports each change as a [`TrackerEvent`].
//!
//! ```text
//!   tick ──► connected? ──no──► backoff over? ──no──► failure (last connect error)
//!               │yes                 │yes
//!               │                    └──► connect ──err──► failure, backoff doubles
//!               ▼                              │ok: backoff reset, "connected" logged
//!          check_once ──► success / failure ──► RiseFall ──changed──► TrackerEvent
//!                 └─ I/O error: connection dropped, remade on the next tick
//! ```
//!
//! A dedicated OS thread, not a tokio task: the client blocks, and a hung server must stall
//! only its own check (bounded by the timeouts), never the advert path. Dropping the
//! handle stops the thread at its next wake-up without waiting for it.

use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use log::{info, warn};
use mysql::Conn;

use super::counter::RiseFall;
use super::session::{self, CheckFailure, StatusStatement};
use crate::config::model::MysqlCheck;
use crate::track::{TrackerEvent, TrackerTx};
use crate::vrrp::{TrackerId, TrackerStatus};

/// Longest wait between reconnection attempts (or `interval`, if that is longer).
pub const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(1);

/// What a running check last saw, for dumps and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MysqlTrackerStatus {
    /// Reported state (`None` until the first check completes).
    pub up: Option<bool>,
    pub connected: bool,
    pub checks: u64,
    pub failures: u64,
    /// Reason of the latest failed check (credentials are never part of it).
    pub last_failure: Option<String>,
    /// When `up` last changed.
    pub last_change: Option<Instant>,
}

/// Starts checks.
pub struct MysqlTracker;

impl MysqlTracker {
    /// Starts checking `check` on its own thread; results go to `tx` as `id`. Problems
    /// (including a refused credentials file) are logged and make the check fail; they do
    /// not stop it, so fixing them brings the check back without a reload.
    pub fn start(check: &MysqlCheck, id: TrackerId, tx: TrackerTx) -> MysqlTrackerHandle {
        let (stop_tx, stop_rx) = mpsc::channel();
        let status = Arc::new(Mutex::new(MysqlTrackerStatus::default()));
        let worker = Worker {
            check: check.clone(),
            target: session::describe_target(check),
            id,
            tx,
            stop_rx,
            status: status.clone(),
            conn: None,
            stmt: StatusStatement::default(),
            counter: RiseFall::new(check.rise, check.fall, check.init_fail),
            connect_failures: 0,
            reconnect_at: None,
            logged_reason: None,
        };
        let (name, tx) = (check.name.clone(), worker.tx.clone());
        let thread = std::thread::Builder::new()
            .name(format!("mysql-{}", check.name))
            .spawn(move || {
                // A panic outside a single check ends the check for good: report it down
                // so that tracking instances react as to a failed server.
                if crate::panic_policy::supervised(|| worker.run()).is_err() {
                    warn!("VRRP_MySQL({name}) check stopped by an internal error");
                    let _ = tx.send(TrackerEvent {
                        id,
                        status: TrackerStatus::Down,
                    });
                }
            })
            .expect("cannot spawn a MySQL check thread");
        MysqlTrackerHandle {
            name: check.name.clone(),
            stop_tx: Some(stop_tx),
            status,
            thread: Some(thread),
        }
    }
}

/// Owner of a running check; dropping it stops the check.
#[derive(Debug)]
pub struct MysqlTrackerHandle {
    name: String,
    stop_tx: Option<mpsc::Sender<()>>,
    status: Arc<Mutex<MysqlTrackerStatus>>,
    thread: Option<JoinHandle<()>>,
}

impl MysqlTrackerHandle {
    /// The `mysql_check` name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A snapshot of what the check last saw.
    pub fn status(&self) -> MysqlTrackerStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stops the check and waits for its thread (at most one statement timeout). Blocking:
    /// call it off the event loop; plain `drop` does not wait.
    pub fn stop(mut self) {
        self.stop_tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MysqlTrackerHandle {
    fn drop(&mut self) {
        // Disconnecting the channel wakes the thread, which then exits on its own.
        self.stop_tx.take();
    }
}

struct Worker {
    check: MysqlCheck,
    target: String,
    id: TrackerId,
    tx: TrackerTx,
    stop_rx: mpsc::Receiver<()>,
    status: Arc<Mutex<MysqlTrackerStatus>>,
    conn: Option<Conn>,
    stmt: StatusStatement,
    counter: RiseFall,
    connect_failures: u32,
    reconnect_at: Option<Instant>,
    /// Last failure reason logged, so a persistent failure is logged once, not per tick.
    logged_reason: Option<String>,
}

impl Worker {
    fn stopped(&self) -> bool {
        matches!(self.stop_rx.try_recv(), Err(TryRecvError::Disconnected))
    }

    fn run(mut self) {
        let mut next = Instant::now();
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match self.stop_rx.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) | Ok(()) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let started = Instant::now();
            next = started + self.check.interval;
            // A panic inside the client library (e.g. on a malformed packet) must not end
            // the check silently: it counts as a failure and the connection is remade.
            let result = crate::panic_policy::supervised(|| self.check_once(started))
                .unwrap_or_else(|_| {
                    self.conn = None;
                    Err("internal error in the MySQL client (connection dropped)".into())
                });
            if self.stopped() || !self.record(result) {
                return;
            }
        }
    }

    fn backoff(&self) -> Duration {
        let cap = MAX_RECONNECT_BACKOFF.max(self.check.interval);
        let shift = self.connect_failures.saturating_sub(1).min(16);
        self.check.interval.saturating_mul(1 << shift).min(cap)
    }

    fn check_once(&mut self, now: Instant) -> Result<(), String> {
        if self.conn.is_none() {
            if self.reconnect_at.is_some_and(|t| now < t) {
                return Err(self
                    .logged_reason
                    .clone()
                    .unwrap_or_else(|| "not connected".into()));
            }
            match session::connect(&self.check) {
                Ok(conn) => {
                    let (a, b, c) = conn.server_version();
                    info!(
                        "VRRP_MySQL({}) connected to {} (server {a}.{b}.{c})",
                        self.check.name, self.target
                    );
                    self.conn = Some(conn);
                    self.connect_failures = 0;
                    self.reconnect_at = None;
                    self.stmt = StatusStatement::default();
                }
                Err(e) => {
                    self.connect_failures = self.connect_failures.saturating_add(1);
                    self.reconnect_at = Some(now + self.backoff());
                    return Err(self.failure(e));
                }
            }
        }
        let conn = self.conn.as_mut().expect("connected above");
        match session::check_once(conn, &self.check, &mut self.stmt) {
            Ok(()) => Ok(()),
            Err(e) => {
                if e.breaks_connection() {
                    warn!(
                        "VRRP_MySQL({}) lost connection to {}: {}",
                        self.check.name,
                        self.target,
                        e.describe(&self.check)
                    );
                    self.conn = None;
                    self.logged_reason = None;
                }
                Err(self.failure(e))
            }
        }
    }

    /// Turns a failure into its log text, logging it when it differs from the last one.
    fn failure(&mut self, e: CheckFailure) -> String {
        let reason = match &e {
            CheckFailure::Connect(_) => format!("{} ({})", e.describe(&self.check), self.target),
            _ => e.describe(&self.check),
        };
        if self.logged_reason.as_deref() != Some(reason.as_str()) {
            warn!("VRRP_MySQL({}) check failed: {reason}", self.check.name);
            self.logged_reason = Some(reason.clone());
        }
        reason
    }

    /// Applies one result; false when nobody listens any more.
    fn record(&mut self, result: Result<(), String>) -> bool {
        let ok = result.is_ok();
        if ok {
            self.logged_reason = None;
        }
        let change = self.counter.record(ok);
        if let Ok(mut s) = self.status.lock() {
            s.checks += 1;
            s.connected = self.conn.is_some();
            if let Err(reason) = &result {
                s.failures += 1;
                s.last_failure = Some(reason.clone());
            }
            if let Some(up) = change {
                s.up = Some(up);
                s.last_change = Some(Instant::now());
            }
        }
        let Some(up) = change else {
            return true;
        };
        match &result {
            _ if up => info!("VRRP_MySQL({}) succeeded", self.check.name),
            Err(reason) => info!("VRRP_MySQL({}) failed ({reason})", self.check.name),
            Ok(()) => info!(
                "VRRP_MySQL({}) failed (init_fail: {} successes needed)",
                self.check.name, self.check.rise
            ),
        }
        let status = if up {
            TrackerStatus::Up
        } else {
            TrackerStatus::Down
        };
        self.tx
            .send(TrackerEvent {
                id: self.id,
                status,
            })
            .is_ok()
    }
}
