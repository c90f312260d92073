//! Judging a replica from `SHOW REPLICA STATUS` / `SHOW SLAVE STATUS` rows.
//!
//! Pure: rows come in as column-name → text maps, so the rules are unit-tested without a
//! server. Column names differ by server: MariaDB and MySQL < 8.0.22 say `Slave_IO_Running`,
//! `Seconds_Behind_Master`, `Master_Log_File`, `Read_Master_Log_Pos`; MySQL 8.0.22+ says
//! `Replica_IO_Running`, `Seconds_Behind_Source`, `Source_Log_File`, `Read_Source_Log_Pos`.
//! Both are accepted. Multi-channel replicas return one row per channel; every channel must
//! pass.
//!
//! The rules, chosen for the VIP-failover case:
//! * the SQL (applier) thread must run: a stopped applier means the copy has diverged or
//!   been stopped by hand, and promoting it loses writes;
//! * the IO (receiver) thread must run or be reconnecting. "Connecting" is what a healthy
//!   replica shows right after its primary died, which is exactly when it must stay
//!   promotable, so it is tolerated; "No" (stopped, or given up on a fatal error) is not;
//! * lag: `Seconds_Behind_Master` (or the configured lag query) must not exceed the limit.
//!   While the IO thread is reconnecting the lag is unknown (NULL) or meaningless (a
//!   heartbeat table stops being refreshed with its primary), so the replica counts as
//!   caught up once it has applied everything it received, and as lagging until then.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// One status row: column name → value (`None` for SQL NULL).
pub type StatusRow = BTreeMap<String, Option<String>>;

/// State of the replication receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoThread {
    Running,
    /// Trying to (re)connect to its primary.
    Connecting,
    Stopped,
}

/// The parts of one status row that matter for the judgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelStatus {
    /// Channel (MySQL) or connection (MariaDB multi-source) name; empty for the default.
    pub channel: String,
    pub io: IoThread,
    pub sql_running: bool,
    /// Seconds behind the primary as the server reports it.
    pub lag_secs: Option<u64>,
    pub last_io_error: Option<(u32, String)>,
    pub last_sql_error: Option<(u32, String)>,
    /// Everything received has been applied (binlog file and position of the receiver
    /// equal those of the applier).
    pub relay_log_applied: bool,
}

fn get<'a>(row: &'a StatusRow, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| row.get(*n).and_then(|v| v.as_deref()))
}

fn error_of(row: &StatusRow, errno: &[&str], text: &[&str]) -> Option<(u32, String)> {
    let n: u32 = get(row, errno)?.trim().parse().ok()?;
    (n != 0).then(|| (n, get(row, text).unwrap_or("").to_string()))
}

impl ChannelStatus {
    /// Reads a row of either naming scheme. Missing columns count as "not running".
    pub fn from_row(row: &StatusRow) -> ChannelStatus {
        let io = match get(row, &["Slave_IO_Running", "Replica_IO_Running"]) {
            Some(v) if v.eq_ignore_ascii_case("yes") => IoThread::Running,
            Some(v) if v.eq_ignore_ascii_case("connecting") => IoThread::Connecting,
            _ => IoThread::Stopped,
        };
        let sql_running = get(row, &["Slave_SQL_Running", "Replica_SQL_Running"])
            .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
        let lag_secs = get(row, &["Seconds_Behind_Master", "Seconds_Behind_Source"])
            .and_then(|v| v.trim().parse().ok());
        let received = (
            get(row, &["Master_Log_File", "Source_Log_File"]),
            get(row, &["Read_Master_Log_Pos", "Read_Source_Log_Pos"]),
        );
        let applied = (
            get(row, &["Relay_Master_Log_File", "Relay_Source_Log_File"]),
            get(row, &["Exec_Master_Log_Pos", "Exec_Source_Log_Pos"]),
        );
        ChannelStatus {
            channel: get(row, &["Channel_Name", "Connection_name"])
                .unwrap_or("")
                .to_string(),
            io,
            sql_running,
            lag_secs,
            last_io_error: error_of(row, &["Last_IO_Errno"], &["Last_IO_Error"]),
            last_sql_error: error_of(row, &["Last_SQL_Errno"], &["Last_SQL_Error"]),
            relay_log_applied: received.0.is_some() && received == applied,
        }
    }
}

/// Why a server fails the replication judgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationFailure {
    /// `require_replication` is set but the server replicates from nobody.
    NotReplica,
    SqlThreadStopped {
        channel: String,
        error: Option<(u32, String)>,
    },
    IoThreadStopped {
        channel: String,
        error: Option<(u32, String)>,
    },
    Lagging {
        channel: String,
        lag: Duration,
        max: Duration,
    },
    /// A lag limit is set but the server cannot say how far behind it is.
    LagUnknown { channel: String },
}

fn chan(c: &str) -> String {
    if c.is_empty() {
        String::new()
    } else {
        format!(" (channel '{c}')")
    }
}

fn err(e: &Option<(u32, String)>) -> String {
    match e {
        Some((n, t)) if t.is_empty() => format!(": error {n}"),
        Some((n, t)) => format!(": error {n}: {t}"),
        None => String::new(),
    }
}

impl fmt::Display for ReplicationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplicationFailure::NotReplica => {
                f.write_str("replication required but this server is not a replica")
            }
            ReplicationFailure::SqlThreadStopped { channel, error } => write!(
                f,
                "replication SQL thread not running{}{}",
                chan(channel),
                err(error)
            ),
            ReplicationFailure::IoThreadStopped { channel, error } => write!(
                f,
                "replication IO thread not running{}{}",
                chan(channel),
                err(error)
            ),
            ReplicationFailure::Lagging { channel, lag, max } => write!(
                f,
                "replication lag {}s exceeds max_replication_lag {}s{}",
                lag.as_secs_f64(),
                max.as_secs_f64(),
                chan(channel)
            ),
            ReplicationFailure::LagUnknown { channel } => {
                write!(f, "replication lag unknown{}", chan(channel))
            }
        }
    }
}

/// What the check is asked to enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicationPolicy {
    pub require_replication: bool,
    pub max_lag: Option<Duration>,
}

/// Judges all channels. `query_lag` is the result of the configured lag query, if one is
/// configured: `Some(None)` when it returned NULL or nothing.
pub fn judge(
    channels: &[ChannelStatus],
    policy: ReplicationPolicy,
    query_lag: Option<Option<Duration>>,
) -> Result<(), ReplicationFailure> {
    if channels.is_empty() {
        return if policy.require_replication {
            Err(ReplicationFailure::NotReplica)
        } else {
            Ok(())
        };
    }
    for c in channels {
        if !c.sql_running {
            return Err(ReplicationFailure::SqlThreadStopped {
                channel: c.channel.clone(),
                error: c.last_sql_error.clone(),
            });
        }
        if c.io == IoThread::Stopped {
            return Err(ReplicationFailure::IoThreadStopped {
                channel: c.channel.clone(),
                error: c.last_io_error.clone(),
            });
        }
    }
    let Some(max) = policy.max_lag else {
        return Ok(());
    };
    for c in channels {
        let lag = if c.io == IoThread::Connecting {
            // The primary is gone or unreachable: judge by what was received.
            if c.relay_log_applied {
                Some(Duration::ZERO)
            } else {
                c.lag_secs.map(Duration::from_secs)
            }
        } else {
            match query_lag {
                Some(q) => q,
                None => c.lag_secs.map(Duration::from_secs),
            }
        };
        match lag {
            None => {
                return Err(ReplicationFailure::LagUnknown {
                    channel: c.channel.clone(),
                })
            }
            Some(lag) if lag > max => {
                return Err(ReplicationFailure::Lagging {
                    channel: c.channel.clone(),
                    lag,
                    max,
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Option<&str>)]) -> StatusRow {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    fn mariadb(io: &str, sql: &str, lag: Option<&str>, read: &str, exec: &str) -> StatusRow {
        row(&[
            ("Connection_name", Some("")),
            ("Slave_IO_Running", Some(io)),
            ("Slave_SQL_Running", Some(sql)),
            ("Seconds_Behind_Master", lag),
            ("Master_Log_File", Some("bin.000002")),
            ("Read_Master_Log_Pos", Some(read)),
            ("Relay_Master_Log_File", Some("bin.000002")),
            ("Exec_Master_Log_Pos", Some(exec)),
            ("Last_IO_Errno", Some("2003")),
            ("Last_IO_Error", Some("error connecting to master")),
            ("Last_SQL_Errno", Some("0")),
            ("Last_SQL_Error", Some("")),
        ])
    }

    const LAG_5: ReplicationPolicy = ReplicationPolicy {
        require_replication: true,
        max_lag: Some(Duration::from_secs(5)),
    };

    #[test]
    fn reads_both_naming_schemes() {
        let m = ChannelStatus::from_row(&mariadb("Yes", "Yes", Some("3"), "10", "10"));
        assert_eq!(
            (m.io, m.sql_running, m.lag_secs),
            (IoThread::Running, true, Some(3))
        );
        assert!(m.relay_log_applied);
        let my = ChannelStatus::from_row(&row(&[
            ("Channel_Name", Some("east")),
            ("Replica_IO_Running", Some("Connecting")),
            ("Replica_SQL_Running", Some("Yes")),
            ("Seconds_Behind_Source", None),
            ("Source_Log_File", Some("b.1")),
            ("Read_Source_Log_Pos", Some("7")),
            ("Relay_Source_Log_File", Some("b.1")),
            ("Exec_Source_Log_Pos", Some("6")),
        ]));
        assert_eq!(my.channel, "east");
        assert_eq!((my.io, my.lag_secs), (IoThread::Connecting, None));
        assert!(!my.relay_log_applied);
    }

    #[test]
    fn healthy_replica_within_lag_passes() {
        let c = ChannelStatus::from_row(&mariadb("Yes", "Yes", Some("5"), "10", "9"));
        assert_eq!(judge(&[c], LAG_5, None), Ok(()));
    }

    #[test]
    fn lag_over_the_limit_fails() {
        let c = ChannelStatus::from_row(&mariadb("Yes", "Yes", Some("6"), "10", "9"));
        let e = judge(&[c], LAG_5, None).unwrap_err();
        assert!(matches!(e, ReplicationFailure::Lagging { .. }));
        assert!(e.to_string().contains("lag 6s"), "{e}");
    }

    #[test]
    fn stopped_threads_fail_with_the_server_error() {
        let mut r = mariadb("Yes", "No", Some("0"), "1", "1");
        r.insert("Last_SQL_Errno".into(), Some("1062".into()));
        r.insert("Last_SQL_Error".into(), Some("Duplicate entry".into()));
        let e = judge(&[ChannelStatus::from_row(&r)], LAG_5, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "replication SQL thread not running: error 1062: Duplicate entry"
        );
        let io = ChannelStatus::from_row(&mariadb("No", "Yes", None, "1", "1"));
        let only_threads = ReplicationPolicy {
            require_replication: true,
            max_lag: None,
        };
        assert!(matches!(
            judge(&[io], only_threads, None),
            Err(ReplicationFailure::IoThreadStopped { .. })
        ));
    }

    #[test]
    fn reconnecting_replica_is_judged_by_what_it_applied() {
        // Primary died: everything received is applied → caught up, whatever the heartbeat.
        let done = ChannelStatus::from_row(&mariadb("Connecting", "Yes", None, "10", "10"));
        let stale_heartbeat = Some(Some(Duration::from_secs(600)));
        assert_eq!(judge(&[done], LAG_5, stale_heartbeat), Ok(()));
        // Still applying a backlog with unknown lag → not promotable yet.
        let busy = ChannelStatus::from_row(&mariadb("Connecting", "Yes", None, "10", "4"));
        assert!(matches!(
            judge(&[busy], LAG_5, None),
            Err(ReplicationFailure::LagUnknown { .. })
        ));
    }

    #[test]
    fn lag_query_replaces_seconds_behind_master_while_connected() {
        let c = ChannelStatus::from_row(&mariadb("Yes", "Yes", Some("0"), "10", "10"));
        let e = judge(
            std::slice::from_ref(&c),
            LAG_5,
            Some(Some(Duration::from_secs(9))),
        );
        assert!(matches!(e, Err(ReplicationFailure::Lagging { .. })));
        assert!(matches!(
            judge(&[c], LAG_5, Some(None)),
            Err(ReplicationFailure::LagUnknown { .. })
        ));
    }

    #[test]
    fn not_a_replica_fails_only_when_required() {
        assert_eq!(judge(&[], LAG_5, None), Err(ReplicationFailure::NotReplica));
        let lag_only = ReplicationPolicy {
            require_replication: false,
            max_lag: Some(Duration::from_secs(1)),
        };
        assert_eq!(judge(&[], lag_only, None), Ok(()));
    }

    #[test]
    fn every_channel_must_pass() {
        let good = ChannelStatus::from_row(&mariadb("Yes", "Yes", Some("0"), "1", "1"));
        let mut bad = ChannelStatus::from_row(&mariadb("Yes", "Yes", Some("60"), "1", "1"));
        bad.channel = "b".into();
        let e = judge(&[good, bad], LAG_5, None).unwrap_err();
        assert!(e.to_string().contains("channel 'b'"), "{e}");
    }
}
