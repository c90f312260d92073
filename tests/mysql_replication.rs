//! Replication judgement against a real primary/replica pair of MariaDB servers.

#[path = "common/mariadb.rs"]
mod mariadb;

use std::time::{Duration, Instant};

use keepalived_rs::track::mysql::MysqlTracker;
use keepalived_rs::track::TrackerEvent;
use keepalived_rs::vrrp::{TrackerId, TrackerStatus};
use mariadb::{MariaDb, MariaDbOptions};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

fn pair() -> (MariaDb, MariaDb) {
    let primary = MariaDb::start_with(MariaDbOptions {
        server_id: 1,
        log_bin: true,
        ..Default::default()
    });
    let replica = MariaDb::start_with(MariaDbOptions {
        server_id: 2,
        log_bin: true,
        ..Default::default()
    });
    replica.replicate_from(&primary);
    primary.exec("CREATE DATABASE krs");
    primary.exec("CREATE TABLE krs.t (id INT PRIMARY KEY)");
    wait_for(Duration::from_secs(10), || {
        replica.value("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='krs'")
            == Some("1".into())
    });
    (primary, replica)
}

fn wait_for(within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "condition not met within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn expect(rx: &mut UnboundedReceiver<TrackerEvent>, status: TrackerStatus, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(e) = rx.try_recv() {
            assert_eq!(e.status, status, "{e:?}");
            return;
        }
        assert!(Instant::now() < deadline, "no {status:?} within {within:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn replica_check(
    db: &MariaDb,
    max_lag_secs: Option<u64>,
) -> keepalived_rs::config::model::MysqlCheck {
    let mut c = db.check("replica");
    c.interval = Duration::from_millis(100);
    c.replication.require_replication = true;
    c.replication.max_lag = max_lag_secs.map(Duration::from_secs);
    c
}

#[test]
fn stopped_sql_thread_is_down_and_restarting_it_is_up() {
    let (_primary, replica) = pair();
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&replica_check(&replica, Some(5)), TrackerId(1), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));

    replica.exec("STOP SLAVE SQL_THREAD");
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(3));
    let reason = h.status().last_failure.unwrap();
    assert!(reason.contains("SQL thread not running"), "{reason}");

    replica.exec("START SLAVE SQL_THREAD");
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(3));
}

#[test]
fn replication_broken_by_a_conflicting_row_is_down_with_the_server_error() {
    let (primary, replica) = pair();
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&replica_check(&replica, None), TrackerId(2), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));

    // A write that reached the replica directly (the split-brain aftermath), then the
    // same key from the primary: the applier stops with a duplicate-key error.
    replica.exec("SET SESSION sql_log_bin = 0; INSERT INTO krs.t VALUES (1)");
    primary.exec("INSERT INTO krs.t VALUES (1)");
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(5));
    let reason = h.status().last_failure.unwrap();
    assert!(
        reason.contains("SQL thread not running") && reason.contains("error 1062"),
        "{reason}"
    );
}

#[test]
fn lagging_replica_is_down_until_it_catches_up() {
    let (primary, replica) = pair();
    replica.exec("STOP SLAVE");
    replica.exec("CHANGE MASTER TO MASTER_DELAY = 3");
    replica.exec("START SLAVE");
    replica.wait_slave_threads("Yes", "Yes", Duration::from_secs(10));
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&replica_check(&replica, Some(1)), TrackerId(3), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));

    primary.exec("INSERT INTO krs.t VALUES (2)");
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(5));
    let reason = h.status().last_failure.unwrap();
    assert!(
        reason.contains("exceeds max_replication_lag 1s"),
        "{reason}"
    );
    // Once the delayed event is applied, the lag falls back to 0.
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(10));
    assert_eq!(
        replica.value("SELECT COUNT(*) FROM krs.t").as_deref(),
        Some("1")
    );
}

#[test]
fn replica_stays_up_when_its_primary_dies_so_it_can_be_promoted() {
    let (mut primary, replica) = pair();
    primary.exec("INSERT INTO krs.t VALUES (3)");
    wait_for(Duration::from_secs(5), || {
        replica.value("SELECT COUNT(*) FROM krs.t") == Some("1".into())
    });
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&replica_check(&replica, Some(1)), TrackerId(4), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));

    primary.kill();
    replica.wait_slave_threads("Connecting", "Yes", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(rx.try_recv().is_err(), "the replica must stay up");
    let st = h.status();
    assert_eq!((st.up, st.failures), (Some(true), 0), "{st:?}");
}

#[test]
fn server_that_replicates_from_nobody_fails_require_replication() {
    let primary = MariaDb::start();
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&replica_check(&primary, None), TrackerId(5), tx.clone());
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(5));
    assert_eq!(
        h.status().last_failure.as_deref(),
        Some("replication required but this server is not a replica")
    );
    // With only a lag limit, a server that is not a replica has nothing to lag behind.
    let mut lag_only = replica_check(&primary, Some(1));
    lag_only.replication.require_replication = false;
    let _h2 = MysqlTracker::start(&lag_only, TrackerId(6), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));
}

#[test]
fn read_only_backup_keeps_replicating_and_stays_up() {
    let (primary, replica) = pair();
    let ro = keepalived_rs::track::mysql::ReadOnlyController::new(&replica.check("ro"));
    assert!(ro.set_read_only_blocking().unwrap().read_only);
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&replica_check(&replica, Some(1)), TrackerId(7), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));

    // read_only stops clients, not the replication applier.
    primary.exec("INSERT INTO krs.t VALUES (10), (11)");
    wait_for(Duration::from_secs(5), || {
        replica.value("SELECT COUNT(*) FROM krs.t") == Some("2".into())
    });
    assert_eq!(
        replica.value("SELECT @@global.read_only").as_deref(),
        Some("1")
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err());
    assert_eq!(h.status().failures, 0);

    // Promotion: the backup becomes writable; the old primary is made read-only.
    assert!(!ro.set_writable_blocking().unwrap().read_only);
    let old = keepalived_rs::track::mysql::ReadOnlyController::new(&primary.check("old"));
    assert!(old.set_read_only_blocking().unwrap().read_only);
    replica.exec("INSERT INTO krs.t VALUES (12)");
    assert_eq!(
        replica.value("SELECT COUNT(*) FROM krs.t").as_deref(),
        Some("3")
    );
}
