//! The native MySQL check against a real MariaDB server: up while healthy, down within
//! interval × fall after mysqld dies or hangs, up again after rise, credentials refused
//! with a clear message, and silent once its handle is dropped.

#[path = "common/mariadb.rs"]
mod mariadb;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use keepalived_rs::track::mysql::MysqlTracker;
use keepalived_rs::track::TrackerEvent;
use keepalived_rs::vrrp::{TrackerId, TrackerStatus};
use mariadb::MariaDb;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// Every log line of this test binary, to check what the checks say (and never say).
static LOG: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        LOG.lock().unwrap().push(format!("{}", r.args()));
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Log lines that mention `VRRP_MySQL(name)`.
fn lines_of(name: &str) -> Vec<String> {
    let tag = format!("VRRP_MySQL({name})");
    LOG.lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(&tag))
        .cloned()
        .collect()
}

/// Waits for the next event (panics after `within`).
fn next_event(rx: &mut UnboundedReceiver<TrackerEvent>, within: Duration) -> TrackerEvent {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(e) = rx.try_recv() {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "no tracker event within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn expect(rx: &mut UnboundedReceiver<TrackerEvent>, status: TrackerStatus, within: Duration) {
    let e = next_event(rx, within);
    assert_eq!(e.status, status, "{e:?}");
}

fn no_event_for(rx: &mut UnboundedReceiver<TrackerEvent>, d: Duration) {
    std::thread::sleep(d);
    if let Ok(e) = rx.try_recv() {
        panic!("unexpected event {e:?}");
    }
}

#[test]
fn healthy_server_is_up_and_a_false_query_is_down() {
    let db = MariaDb::start();
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&db.check("db"), TrackerId(7), tx.clone());
    let e = next_event(&mut rx, Duration::from_secs(5));
    assert_eq!(
        e,
        TrackerEvent {
            id: TrackerId(7),
            status: TrackerStatus::Up
        }
    );
    no_event_for(&mut rx, Duration::from_millis(600));
    let st = h.status();
    assert!(
        st.connected && st.up == Some(true) && st.failures == 0,
        "{st:?}"
    );
    assert!(st.checks >= 3, "checks every 200 ms by default: {st:?}");

    let mut falsy = db.check("falsy");
    falsy.query = "SELECT @@read_only".into(); // 0 on a writable server
    let h2 = MysqlTracker::start(&falsy, TrackerId(8), tx);
    let e = next_event(&mut rx, Duration::from_secs(5));
    assert_eq!((e.id, e.status), (TrackerId(8), TrackerStatus::Down));
    assert_eq!(
        h2.status().last_failure.as_deref(),
        Some("query returned 0")
    );
    // The connection stays open through a "false" answer.
    assert!(h2.status().connected);
}

#[test]
fn killed_server_goes_down_within_interval_times_fall_and_comes_back_after_rise() {
    capture_logs();
    let mut db = MariaDb::start();
    let mut check = db.check("killed");
    check.interval = Duration::from_millis(100);
    check.fall = 3;
    check.rise = 2;
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&check, TrackerId(1), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(400)); // counter at its top

    let killed = Instant::now();
    db.kill();
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(5));
    let detection = killed.elapsed();
    let bound = check.interval * check.fall + Duration::from_millis(300);
    println!(
        "mysqld SIGKILL -> Down: {} ms (interval {} ms x fall {} = {} ms)",
        detection.as_millis(),
        check.interval.as_millis(),
        check.fall,
        (check.interval * check.fall).as_millis()
    );
    assert!(
        detection <= bound,
        "detection {detection:?} exceeds {bound:?}"
    );
    assert!(
        // fall failures, one interval apart; the first may land just before the kill.
        detection + Duration::from_millis(20) >= check.interval * (check.fall - 1),
        "went down after {detection:?}: fewer than fall failures?"
    );
    assert!(h.status().last_failure.is_some());

    db.restart();
    let ready = Instant::now();
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));
    let recovery = ready.elapsed();
    println!(
        "mysqld ready -> Up: {} ms (rise {}, reconnect backoff <= 1 s)",
        recovery.as_millis(),
        check.rise
    );
    assert!(
        recovery <= Duration::from_secs(1) + check.interval * (check.rise + 1),
        "recovery took {recovery:?}"
    );
    assert!(h.status().connected);
    let lines = lines_of("killed");
    let kinds: Vec<&str> = lines
        .iter()
        .filter_map(|l| {
            ["connected to", "succeeded", "lost connection", "failed ("]
                .into_iter()
                .find(|k| l.contains(k))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "connected to",
            "succeeded",
            "lost connection",
            "failed (",
            "connected to",
            "succeeded"
        ],
        "{lines:#?}"
    );
}

#[test]
fn hung_server_goes_down_by_timeout_and_recovers_when_it_resumes() {
    let db = MariaDb::start();
    let mut check = db.check("hung");
    check.interval = Duration::from_millis(100);
    check.timeout = Duration::from_millis(300);
    check.fall = 2;
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&check, TrackerId(2), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(300));

    let paused = Instant::now();
    db.pause();
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(5));
    let detection = paused.elapsed();
    println!(
        "mysqld SIGSTOP -> Down: {} ms (fall {} x (interval {} + timeout {}) ms)",
        detection.as_millis(),
        check.fall,
        check.interval.as_millis(),
        check.timeout.as_millis()
    );
    assert!(
        detection <= (check.interval + check.timeout) * check.fall + Duration::from_millis(400),
        "hang detection {detection:?}"
    );
    let reason = h.status().last_failure.unwrap();
    println!("hung server failure: {reason}");
    assert!(
        reason.contains("no answer within 300 ms"),
        "a hang is reported as a timeout: {reason}"
    );

    db.resume();
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));
}

#[test]
fn credentials_file_readable_by_others_is_refused_until_fixed() {
    let db = MariaDb::start();
    let check = db.check("perm");
    let path = check.connection.credentials_file.clone().unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(keepalived_rs::track::mysql::validate(&check).is_err());

    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&check, TrackerId(3), tx);
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(5));
    let reason = h.status().last_failure.unwrap();
    assert!(
        reason.contains(&path) && reason.contains("0644") && reason.contains("world-readable"),
        "{reason}"
    );
    assert!(!reason.contains(mariadb::TEST_PASSWORD), "{reason}");

    // Fixing the mode is enough: the file is re-read at the next connection attempt.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(keepalived_rs::track::mysql::validate(&check).is_ok());
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));
}

#[test]
fn wrong_password_is_down_and_never_logged() {
    capture_logs();
    let db = MariaDb::start();
    let mut check = db.check("badpw");
    let bad = db.credentials_file(mariadb::TEST_USER, "not-the-password");
    check.connection.credentials_file = Some(bad.display().to_string());
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&check, TrackerId(4), tx);
    expect(&mut rx, TrackerStatus::Down, Duration::from_secs(5));
    let reason = h.status().last_failure.unwrap();
    assert!(reason.contains("Access denied"), "{reason}");
    assert!(!reason.contains("not-the-password"), "{reason}");
    drop(h);
    let lines = lines_of("badpw");
    assert!(
        lines.iter().any(
            |l| l.starts_with("VRRP_MySQL(badpw) failed (cannot connect: ")
                && l.contains("Access denied")
        ),
        "{lines:#?}"
    );
    // A persistent failure is logged once, not every 200 ms.
    std::thread::sleep(Duration::from_millis(100));
    let check_failed = lines.iter().filter(|l| l.contains("check failed")).count();
    assert_eq!(check_failed, 1, "{lines:#?}");
    assert!(
        LOG.lock()
            .unwrap()
            .iter()
            .all(|l| !l.contains("not-the-password") && !l.contains(mariadb::TEST_PASSWORD)),
        "a password reached the log"
    );
}

#[test]
fn dropping_the_handle_stops_the_check() {
    let mut db = MariaDb::start();
    let mut check = db.check("drop");
    check.interval = Duration::from_millis(50);
    check.fall = 1;
    let (tx, mut rx) = unbounded_channel();
    let h = MysqlTracker::start(&check, TrackerId(5), tx);
    expect(&mut rx, TrackerStatus::Up, Duration::from_secs(5));
    drop(h);
    std::thread::sleep(Duration::from_millis(100));
    db.kill();
    // With fall 1 a running check would report Down within ~50 ms; the sender is dropped
    // with the thread, so the channel closes instead.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        matches!(
            rx.try_recv(),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
        ),
        "the check thread is still running"
    );
}
