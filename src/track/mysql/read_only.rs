//! MySQL-safe role changes (`mysql_read_only NAME` on a `vrrp_instance`): the server
//! accepts writes exactly while this node holds the VIP.
//!
//! The daemon calls [`ReadOnlyController::set_writable`] on becoming MASTER, *before* the
//! VIP is added (clients that reach the VIP can write at once), and
//! [`ReadOnlyController::set_read_only`] on leaving MASTER, before or as the VIP goes
//! (writes stop even if a client still holds a connection through the old VIP owner).
//!
//! * Writable: `super_read_only = OFF` (where the server has it: MySQL 5.7.8+), then
//!   `read_only = OFF`.
//! * Read-only: `read_only = ON`, then `super_read_only = ON` where present, so even
//!   accounts with SUPER / READ_ONLY ADMIN cannot write on a backup. Replication threads
//!   are not affected by either.
//!
//! Each change is read back (`SELECT @@global.read_only`) and a mismatch is an error. The
//! statements run on the controller's own thread and connection (the check's settings and
//! credentials), one request at a time in the order they were made, so a quick
//! MASTER→BACKUP→MASTER sequence cannot be reordered. Each call is bounded by the check's
//! connect and read timeouts (note: the server waits for running transactions before
//! `read_only = ON` takes effect; the client gives up after the read timeout and the call
//! then fails, while the server may still apply it).

use std::sync::mpsc;

use mysql::Conn;
use thiserror::Error;
use tokio::sync::oneshot;

use super::credentials::CredentialsError;
use super::session::{self, CheckFailure};
use crate::config::model::MysqlCheck;

/// MySQL/MariaDB "unknown system variable".
const ER_UNKNOWN_SYSTEM_VARIABLE: u16 = 1193;

/// The server's read-only flags after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOnlyState {
    pub read_only: bool,
    /// `None` on servers without `super_read_only` (MariaDB).
    pub super_read_only: Option<bool>,
}

/// Why a role change did not happen. Messages name the check and server, never
/// credentials; the daemon logs them and passes them to notifies.
#[derive(Debug, Error)]
pub enum ReadOnlyError {
    #[error("mysql_check {check}: {source}")]
    Credentials {
        check: String,
        #[source]
        source: CredentialsError,
    },
    #[error("mysql_check {check}: cannot connect to {target}: {source}")]
    Connect {
        check: String,
        target: String,
        #[source]
        source: Box<mysql::Error>,
    },
    #[error("mysql_check {check}: `{statement}` failed on {target}: {source}")]
    Statement {
        check: String,
        target: String,
        statement: &'static str,
        #[source]
        source: Box<mysql::Error>,
    },
    #[error(
        "mysql_check {check}: {target} still has read_only={} after setting it {}",
        on_off(*actual),
        on_off(*wanted)
    )]
    NotApplied {
        check: String,
        target: String,
        wanted: bool,
        actual: bool,
    },
    #[error("mysql_check {check}: the read_only worker has stopped")]
    WorkerGone { check: String },
}

fn on_off(b: bool) -> &'static str {
    if b {
        "ON"
    } else {
        "OFF"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Writable,
    ReadOnly,
    Read,
}

type Reply = oneshot::Sender<Result<ReadOnlyState, ReadOnlyError>>;

/// Switches one server's `read_only` with the VRRP role. Cheap to keep; the connection
/// is opened on first use and remade when it breaks. Dropping it stops its thread.
#[derive(Debug)]
pub struct ReadOnlyController {
    check: String,
    requests: mpsc::Sender<(Request, Reply)>,
}

impl ReadOnlyController {
    /// A controller for the server of `check` (its host/port/socket, credentials and
    /// timeouts). Nothing is contacted until the first call.
    pub fn new(check: &MysqlCheck) -> ReadOnlyController {
        let (requests, rx) = mpsc::channel::<(Request, Reply)>();
        let mut worker = Worker {
            check: check.clone(),
            target: session::describe_target(check),
            conn: None,
            has_super_read_only: None,
        };
        std::thread::Builder::new()
            .name(format!("mysql-ro-{}", check.name))
            .spawn(move || {
                while let Ok((req, reply)) = rx.recv() {
                    // A panic (in the client library, say) fails this request only: the
                    // reply is dropped, which the caller sees as WorkerGone, and the next
                    // request starts on a fresh connection.
                    match crate::panic_policy::supervised(|| worker.handle(req)) {
                        Ok(answer) => {
                            let _ = reply.send(answer);
                        }
                        Err(_) => worker.conn = None,
                    }
                }
            })
            .expect("cannot spawn a MySQL read_only thread");
        ReadOnlyController {
            check: check.name.clone(),
            requests,
        }
    }

    fn submit(&self, req: Request) -> oneshot::Receiver<Result<ReadOnlyState, ReadOnlyError>> {
        let (tx, rx) = oneshot::channel();
        // A send error drops `tx`, which the receiver reports as WorkerGone.
        let _ = self.requests.send((req, tx));
        rx
    }

    fn gone(&self) -> ReadOnlyError {
        ReadOnlyError::WorkerGone {
            check: self.check.clone(),
        }
    }

    async fn call(&self, req: Request) -> Result<ReadOnlyState, ReadOnlyError> {
        self.submit(req).await.unwrap_or_else(|_| Err(self.gone()))
    }

    fn call_blocking(&self, req: Request) -> Result<ReadOnlyState, ReadOnlyError> {
        self.submit(req)
            .blocking_recv()
            .unwrap_or_else(|_| Err(self.gone()))
    }

    /// Becoming MASTER: let the server accept writes. Await it before adding the VIP.
    pub async fn set_writable(&self) -> Result<ReadOnlyState, ReadOnlyError> {
        self.call(Request::Writable).await
    }

    /// Leaving MASTER: stop writes.
    pub async fn set_read_only(&self) -> Result<ReadOnlyState, ReadOnlyError> {
        self.call(Request::ReadOnly).await
    }

    /// The server's current flags.
    pub async fn state(&self) -> Result<ReadOnlyState, ReadOnlyError> {
        self.call(Request::Read).await
    }

    /// [`Self::set_writable`] for threads outside the async runtime (panics inside it).
    pub fn set_writable_blocking(&self) -> Result<ReadOnlyState, ReadOnlyError> {
        self.call_blocking(Request::Writable)
    }

    /// [`Self::set_read_only`] for threads outside the async runtime (panics inside it).
    pub fn set_read_only_blocking(&self) -> Result<ReadOnlyState, ReadOnlyError> {
        self.call_blocking(Request::ReadOnly)
    }

    /// [`Self::state`] for threads outside the async runtime (panics inside it).
    pub fn state_blocking(&self) -> Result<ReadOnlyState, ReadOnlyError> {
        self.call_blocking(Request::Read)
    }
}

struct Worker {
    check: MysqlCheck,
    target: String,
    conn: Option<Conn>,
    /// Learnt per connection (a server upgrade may add it).
    has_super_read_only: Option<bool>,
}

impl Worker {
    fn handle(&mut self, req: Request) -> Result<ReadOnlyState, ReadOnlyError> {
        // A connection left from an earlier call may have died with a server restart:
        // one fresh retry makes that case invisible to the caller.
        let had_connection = self.conn.is_some();
        match self.attempt(req) {
            Err(ReadOnlyError::Statement { source, .. })
                if had_connection && !matches!(*source, mysql::Error::MySqlError(_)) =>
            {
                self.conn = None;
                self.attempt(req)
            }
            other => other,
        }
    }

    fn attempt(&mut self, req: Request) -> Result<ReadOnlyState, ReadOnlyError> {
        let result = self.attempt_on_connection(req);
        if let Err(ReadOnlyError::Statement { source, .. }) = &result {
            if !matches!(**source, mysql::Error::MySqlError(_)) {
                self.conn = None;
            }
        }
        result
    }

    fn statement_error(&self, statement: &'static str, source: mysql::Error) -> ReadOnlyError {
        ReadOnlyError::Statement {
            check: self.check.name.clone(),
            target: self.target.clone(),
            statement,
            source: Box::new(source),
        }
    }

    fn attempt_on_connection(&mut self, req: Request) -> Result<ReadOnlyState, ReadOnlyError> {
        if self.conn.is_none() {
            let conn = session::connect(&self.check).map_err(|e| match e {
                CheckFailure::Credentials(source) => ReadOnlyError::Credentials {
                    check: self.check.name.clone(),
                    source,
                },
                CheckFailure::Connect(source) => ReadOnlyError::Connect {
                    check: self.check.name.clone(),
                    target: self.target.clone(),
                    source: Box::new(source),
                },
                other => unreachable!("connect only fails on credentials or connect: {other}"),
            })?;
            self.conn = Some(conn);
            self.has_super_read_only = None;
        }
        if self.has_super_read_only.is_none() {
            self.has_super_read_only = Some(self.probe_super_read_only()?);
        }
        let with_super = self.has_super_read_only == Some(true);
        let steps: &[&'static str] = match (req, with_super) {
            (Request::Writable, true) => &[
                "SET GLOBAL super_read_only = OFF",
                "SET GLOBAL read_only = OFF",
            ],
            (Request::Writable, false) => &["SET GLOBAL read_only = OFF"],
            (Request::ReadOnly, true) => &[
                "SET GLOBAL read_only = ON",
                "SET GLOBAL super_read_only = ON",
            ],
            (Request::ReadOnly, false) => &["SET GLOBAL read_only = ON"],
            (Request::Read, _) => &[],
        };
        for stmt in steps {
            let conn = self.conn.as_mut().expect("connected above");
            mysql::prelude::Queryable::query_drop(conn, *stmt)
                .map_err(|e| self.statement_error(stmt, e))?;
        }
        let state = self.read_state(with_super)?;
        let wanted = match req {
            Request::Writable => false,
            Request::ReadOnly => true,
            Request::Read => return Ok(state),
        };
        let super_ok = !with_super || state.super_read_only == Some(wanted);
        if state.read_only != wanted || !super_ok {
            return Err(ReadOnlyError::NotApplied {
                check: self.check.name.clone(),
                target: self.target.clone(),
                wanted,
                actual: state.read_only,
            });
        }
        Ok(state)
    }

    fn probe_super_read_only(&mut self) -> Result<bool, ReadOnlyError> {
        const SQL: &str = "SELECT @@global.super_read_only";
        let conn = self.conn.as_mut().expect("connected");
        match session::first_value(conn, SQL) {
            Ok(_) => Ok(true),
            Err(mysql::Error::MySqlError(e)) if e.code == ER_UNKNOWN_SYSTEM_VARIABLE => Ok(false),
            Err(e) => Err(self.statement_error(SQL, e)),
        }
    }

    fn read_flag(&mut self, sql: &'static str) -> Result<bool, ReadOnlyError> {
        let conn = self.conn.as_mut().expect("connected");
        let v = session::first_value(conn, sql).map_err(|e| self.statement_error(sql, e))?;
        Ok(matches!(
            v.flatten().as_deref().map(str::trim),
            Some("1") | Some("ON") | Some("on")
        ))
    }

    fn read_state(&mut self, with_super: bool) -> Result<ReadOnlyState, ReadOnlyError> {
        let read_only = self.read_flag("SELECT @@global.read_only")?;
        let super_read_only = if with_super {
            Some(self.read_flag("SELECT @@global.super_read_only")?)
        } else {
            None
        };
        Ok(ReadOnlyState {
            read_only,
            super_read_only,
        })
    }
}
