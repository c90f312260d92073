//! The native MySQL health check (`mysql_check NAME { … }`, tracked with `track_mysql`)
//! and MySQL-safe role changes (`mysql_read_only NAME`).
//!
//! keepalived users check MySQL with a `vrrp_script` that forks `mysqladmin ping` once a
//! second or slower, and flip `read_only` by hand in notify scripts. Here the check keeps
//! one connection open, runs a query every `interval` (200 ms by default) with connect and
//! read timeouts, can judge replication (threads running, lag under a limit), and feeds the
//! same rise/fall/weight machinery as a `vrrp_script`; the read_only switch is a typed call
//! the daemon makes around the VIP change.
//!
//! * [`credentials`] — the owner-only `user=`/`password=` file;
//! * [`counter`] — keepalived's rise/fall result counter;
//! * [`replication`] — pure judgement of `SHOW REPLICA STATUS` rows;
//! * [`session`] — connection options and the statements of one check;
//! * [`tracker`] — the check thread ([`MysqlTracker::start`]) and its handle;
//! * [`read_only`] — [`ReadOnlyController`].
//!
//! Privileges the configured account needs: none for `SELECT 1`; `REPLICATION CLIENT`
//! (MySQL) / `SLAVE MONITOR` (MariaDB 10.5+) for replication checks; `SUPER` or
//! `READ_ONLY ADMIN` (MariaDB 10.11) / `SYSTEM_VARIABLES_ADMIN` (MySQL 8) for
//! `mysql_read_only`.

pub mod counter;
pub mod credentials;
pub mod read_only;
pub mod replication;
pub mod session;
pub mod tracker;

pub use credentials::{Credentials, CredentialsError};
pub use read_only::{ReadOnlyController, ReadOnlyError, ReadOnlyState};
pub use tracker::{MysqlTracker, MysqlTrackerHandle, MysqlTrackerStatus};

use super::children::LiveGroups;
use super::kind::{
    declared_in, prepared_from_block, start_each, Declared, PlannedTracker, Prepared,
    RestrictedEntry, RunningTracker, TrackedKind,
};
use super::TrackerTx;
use crate::config::model::{Config, MysqlCheck, TrackRef, VrrpInstance};
use crate::vrrp::TrackerId;

/// Checks what can be checked without a server (for `--config-test` and start-up): the
/// credentials file exists, parses, and has safe ownership and permissions.
pub fn validate(check: &MysqlCheck) -> Result<(), CredentialsError> {
    session::load_credentials(check).map(|_| ())
}

/// `mysql_check` as a tracker kind (`track_mysql` entries of instances; sync groups have
/// none). Every check is started, used or not.
pub struct MysqlChecks;

impl TrackedKind for MysqlChecks {
    fn declared(&self, cfg: &Config) -> Vec<Declared> {
        declared_in(&cfg.mysql_checks, |m| (&m.name, m.weight, false))
    }

    fn instance_entries<'a>(&self, inst: &'a VrrpInstance) -> &'a [TrackRef] {
        &inst.track.mysql
    }

    fn restrict(&self, e: RestrictedEntry<'_>) -> Option<i32> {
        if e.log {
            log::info!(
                "({}) ignoring tracked mysql_check {} with weights due to {}",
                e.instance,
                e.name,
                e.restriction.reason()
            );
        }
        None
    }

    fn prepare(&self, cfg: &Config, object: &Declared, _: TrackerId, _: bool) -> Prepared {
        prepared_from_block(&cfg.mysql_checks[object.index])
    }

    /// Each check on its own thread; dropping its handle stops it.
    fn start(
        &self,
        objects: &[&PlannedTracker],
        tx: &TrackerTx,
        _live: &LiveGroups,
    ) -> Vec<RunningTracker> {
        start_each(objects, |check: &MysqlCheck, id| {
            Some(Box::new(MysqlTracker::start(check, id, tx.clone())))
        })
    }
}
