//! One blocking MySQL client session of a check: connection options from a `mysql_check`,
//! and the statements a check runs on it.
//!
//! Runs only on the tracker's own thread (or the read_only controller's), never on the
//! event loop: the `mysql` crate is a blocking client. Every socket operation is bounded
//! by the check's connect and read/write timeouts, so a hung server costs at most one
//! timeout per statement.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Row, Value};

use super::credentials::{Credentials, CredentialsError};
use super::replication::{self, ChannelStatus, ReplicationFailure, ReplicationPolicy, StatusRow};
use crate::config::model::MysqlCheck;

/// MySQL's "syntax error" code, returned by servers too old for `SHOW REPLICA STATUS`.
const ER_PARSE_ERROR: u16 = 1064;

/// Where a check connects, for log lines (never includes credentials).
pub fn describe_target(check: &MysqlCheck) -> String {
    match &check.connection.socket {
        Some(s) => format!("unix:{s}"),
        None if check.connection.host.contains(':') => {
            format!("[{}]:{}", check.connection.host, check.connection.port)
        }
        None => format!("{}:{}", check.connection.host, check.connection.port),
    }
}

/// The host as the client library wants it: IPv6 literals in brackets (it would take a
/// bare one for a host name and fail to resolve it).
pub fn client_host(host: &str) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Client options for a check. `prefer_socket` is off so a TCP check really goes over
/// TCP (the crate would otherwise silently switch to the server's socket on loopback).
pub fn options(check: &MysqlCheck, creds: &Credentials) -> OptsBuilder {
    let builder = OptsBuilder::new()
        .user(creds.user.clone())
        .pass(creds.password.as_ref().map(|p| p.expose().to_string()))
        .read_timeout(Some(check.timeout))
        .write_timeout(Some(check.timeout))
        .tcp_connect_timeout(Some(check.effective_connect_timeout()))
        .prefer_socket(false)
        .tcp_nodelay(true)
        .stmt_cache_size(0);
    match &check.connection.socket {
        Some(s) => builder.socket(Some(s.clone())),
        None => builder
            .ip_or_hostname(Some(client_host(&check.connection.host)))
            .tcp_port(check.connection.port),
    }
}

/// Loads the check's credentials (anonymous when no file is configured); the file must be
/// owned by the effective user and private to it.
pub fn load_credentials(check: &MysqlCheck) -> Result<Credentials, CredentialsError> {
    match &check.connection.credentials_file {
        None => Ok(Credentials::default()),
        Some(path) => {
            super::credentials::load(std::path::Path::new(path), nix::unistd::geteuid().as_raw())
        }
    }
}

/// Loads the credentials and opens a connection.
pub fn connect(check: &MysqlCheck) -> Result<Conn, CheckFailure> {
    let creds = load_credentials(check).map_err(CheckFailure::Credentials)?;
    Conn::new(options(check, &creds)).map_err(CheckFailure::Connect)
}

/// Why one check failed.
#[derive(Debug)]
pub enum CheckFailure {
    /// The credentials file was refused; the message names the file, never its content.
    Credentials(CredentialsError),
    Connect(mysql::Error),
    Query(mysql::Error),
    /// The query ran but answered "no": no row, or a first value NULL, 0 or empty.
    QueryFalse(&'static str),
    Replication(ReplicationFailure),
}

impl CheckFailure {
    /// Whether the connection must be dropped and remade: anything but an error the
    /// server itself reported (a bad query leaves a perfectly good connection).
    pub fn breaks_connection(&self) -> bool {
        match self {
            CheckFailure::Credentials(_) | CheckFailure::Connect(_) => true,
            CheckFailure::Query(e) => !matches!(e, mysql::Error::MySqlError(_)),
            CheckFailure::QueryFalse(_) | CheckFailure::Replication(_) => false,
        }
    }
}

/// Whether a client error is a socket timeout (the crate reports those as raw EAGAIN).
pub fn is_timeout(e: &mysql::Error) -> bool {
    use std::io::ErrorKind::{TimedOut, WouldBlock};
    let io = match e {
        mysql::Error::IoError(io) => io,
        // The codec error type is not re-exported; its source is the I/O error.
        mysql::Error::CodecError(c) => {
            match std::error::Error::source(c).and_then(|s| s.downcast_ref::<std::io::Error>()) {
                Some(io) => io,
                None => return false,
            }
        }
        _ => return false,
    };
    matches!(io.kind(), WouldBlock | TimedOut)
}

impl CheckFailure {
    /// Log text, naming timeouts as such instead of "Resource temporarily unavailable".
    pub fn describe(&self, check: &MysqlCheck) -> String {
        match self {
            CheckFailure::Connect(e) if is_timeout(e) => format!(
                "cannot connect: no answer within {} ms",
                check
                    .effective_connect_timeout()
                    .max(check.timeout)
                    .as_millis()
            ),
            CheckFailure::Query(e) if is_timeout(e) => format!(
                "query timed out (no answer within {} ms)",
                check.timeout.as_millis()
            ),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckFailure::Credentials(e) => write!(f, "{e}"),
            CheckFailure::Connect(e) => write!(f, "cannot connect: {e}"),
            CheckFailure::Query(e) => write!(f, "query failed: {e}"),
            CheckFailure::QueryFalse(why) => write!(f, "query returned {why}"),
            CheckFailure::Replication(r) => write!(f, "{r}"),
        }
    }
}

/// Text of one value as the server sent it (`None` for NULL).
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Double(x) => Some(x.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

fn row_map(row: &Row) -> StatusRow {
    row.columns_ref()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c.name_str().into_owned(),
                row.as_ref(i).and_then(value_text),
            )
        })
        .collect::<BTreeMap<_, _>>()
}

/// Runs `sql` and returns the first value of its first row: `Ok(None)` when the
/// statement returns no result set at all, `Ok(Some(None))` for no row or NULL.
pub fn first_value(conn: &mut Conn, sql: &str) -> mysql::Result<Option<Option<String>>> {
    let mut result = conn.query_iter(sql)?;
    let Some(set) = result.iter() else {
        return Ok(None);
    };
    if set.columns().as_ref().is_empty() {
        return Ok(None);
    }
    let mut first = None;
    for row in set {
        let row = row?;
        if first.is_none() {
            first = Some(row.as_ref(0).and_then(value_text));
        }
    }
    Ok(Some(first.flatten()))
}

/// Runs the health query; a statement without a result set passes when it succeeds.
fn run_health_query(conn: &mut Conn, sql: &str) -> Result<(), CheckFailure> {
    match first_value(conn, sql).map_err(CheckFailure::Query)? {
        None => Ok(()),
        Some(None) => Err(CheckFailure::QueryFalse("no row or NULL")),
        Some(Some(v)) => {
            let v = v.trim();
            if v.is_empty() {
                Err(CheckFailure::QueryFalse("an empty value"))
            } else if v.parse::<f64>().is_ok_and(|x| x == 0.0) {
                Err(CheckFailure::QueryFalse("0"))
            } else {
                Ok(())
            }
        }
    }
}

/// Which status statement the server understands; learnt on first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusStatement {
    #[default]
    Replica,
    Slave,
}

impl StatusStatement {
    fn sql(self) -> &'static str {
        match self {
            StatusStatement::Replica => "SHOW REPLICA STATUS",
            StatusStatement::Slave => "SHOW SLAVE STATUS",
        }
    }
}

fn status_rows(conn: &mut Conn, stmt: &mut StatusStatement) -> mysql::Result<Vec<StatusRow>> {
    loop {
        match conn.query::<Row, _>(stmt.sql()) {
            Ok(rows) => return Ok(rows.iter().map(row_map).collect()),
            Err(mysql::Error::MySqlError(e))
                if e.code == ER_PARSE_ERROR && *stmt == StatusStatement::Replica =>
            {
                *stmt = StatusStatement::Slave;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads the replication status of the server.
pub fn replication_status(
    conn: &mut Conn,
    stmt: &mut StatusStatement,
) -> mysql::Result<Vec<ChannelStatus>> {
    Ok(status_rows(conn, stmt)?
        .iter()
        .map(ChannelStatus::from_row)
        .collect())
}

/// One complete check on an open connection: the health query, then (if configured) the
/// replication judgement.
pub fn check_once(
    conn: &mut Conn,
    check: &MysqlCheck,
    stmt: &mut StatusStatement,
) -> Result<(), CheckFailure> {
    run_health_query(conn, &check.query)?;
    if !check.judges_replication() {
        return Ok(());
    }
    let channels = replication_status(conn, stmt).map_err(CheckFailure::Query)?;
    let query_lag = match (&check.replication.lag_query, check.replication.max_lag) {
        (Some(q), Some(_)) if !channels.is_empty() => Some(
            first_value(conn, q)
                .map_err(CheckFailure::Query)?
                .flatten()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64),
        ),
        _ => None,
    };
    let policy = ReplicationPolicy {
        require_replication: check.replication.require_replication,
        max_lag: check.replication.max_lag,
    };
    replication::judge(&channels, policy, query_lag).map_err(CheckFailure::Replication)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::mysql::credentials::Password;

    #[test]
    fn options_carry_timeouts_and_target_but_tcp_stays_tcp() {
        let mut c = MysqlCheck::new("db");
        c.connection.host = "198.18.0.7".into();
        c.connection.port = 3307;
        c.timeout = Duration::from_millis(300);
        c.connection.connect_timeout = Some(Duration::from_millis(100));
        let creds = Credentials {
            user: Some("mon".into()),
            password: Some(Password::new("pw")),
        };
        let o: mysql::Opts = options(&c, &creds).into();
        assert_eq!(o.get_ip_or_hostname(), "198.18.0.7");
        assert_eq!(o.get_tcp_port(), 3307);
        assert_eq!(o.get_read_timeout(), Some(&Duration::from_millis(300)));
        assert_eq!(o.get_write_timeout(), Some(&Duration::from_millis(300)));
        assert_eq!(
            o.get_tcp_connect_timeout(),
            Some(Duration::from_millis(100))
        );
        assert!(!o.get_prefer_socket());
        assert_eq!(o.get_user(), Some("mon"));
        c.connection.host = "2001:db8::5".into();
        let o: mysql::Opts = options(&c, &creds).into();
        assert_eq!(
            o.get_ip_or_hostname(),
            "[2001:db8::5]",
            "parsed as an IPv6 address"
        );
        assert_eq!(describe_target(&c), "[2001:db8::5]:3307");
        assert_eq!(client_host("db.example"), "db.example");
        c.connection.socket = Some("/run/mysqld/mysqld.sock".into());
        let o: mysql::Opts = options(&c, &creds).into();
        assert_eq!(o.get_socket(), Some("/run/mysqld/mysqld.sock"));
        assert_eq!(describe_target(&c), "unix:/run/mysqld/mysqld.sock");
    }

    #[test]
    fn server_errors_keep_the_connection_io_errors_drop_it() {
        let server = mysql::Error::MySqlError(mysql::MySqlError {
            state: "42000".into(),
            message: "syntax".into(),
            code: 1064,
        });
        assert!(!CheckFailure::Query(server).breaks_connection());
        let io = mysql::Error::IoError(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(CheckFailure::Query(io).breaks_connection());
    }
}
