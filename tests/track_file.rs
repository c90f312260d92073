//! `track_file`: start-up value, `init_file`, changes seen through inotify (write+close,
//! rename into place, delete), invalid numbers ignored.

mod track_support;

use std::time::Duration;

use keepalived_rs::track::{TrackerEvent, TrackerPlan};
use keepalived_rs::vrrp::TrackerStatus;
use keepalived_rs::vrrp::TrackerStatus::Value;
use tokio::sync::mpsc;
use track_support::*;

fn conf(path: &std::path::Path, extra: &str) -> String {
    format!(
        "track_file tf {{\n file {}\n weight 2\n {extra}\n}}\n\
         vrrp_instance VI_1 {{\n interface lo\n virtual_router_id 1\n priority 100\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n track_file {{\n tf\n }}\n}}\n",
        path.display()
    )
}

async fn next(rx: &mut mpsc::UnboundedReceiver<TrackerEvent>) -> Option<TrackerStatus> {
    tokio::time::timeout(Duration::from_millis(1500), rx.recv())
        .await
        .ok()
        .flatten()
        .map(|e| e.status)
}

#[tokio::test]
async fn file_changes_are_reported_as_values() {
    capture_logs();
    let dir = scratch_dir();
    let path = dir.path().join("state");
    std::fs::write(&path, "5\n").unwrap();
    let cfg = config(&conf(&path, ""));
    let plan = TrackerPlan::from_config(&cfg);
    let id = plan.file_id("tf").unwrap();
    assert_eq!(plan.initial_status().get(&id), Some(&Value(5)));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _run = plan.start(tx);
    tokio::time::sleep(Duration::from_millis(100)).await;

    std::fs::write(&path, "-3").unwrap();
    assert_eq!(next(&mut rx).await, Some(Value(-3)));
    // The same value again: nothing to report.
    std::fs::write(&path, "-3\n").unwrap();
    // Renamed into place (how careful writers update files).
    let tmp = dir.path().join("state.tmp");
    std::fs::write(&tmp, "0x10").unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    assert_eq!(next(&mut rx).await, Some(Value(16)));
    // Deleted: counts as 0.
    std::fs::remove_file(&path).unwrap();
    assert_eq!(next(&mut rx).await, Some(Value(0)));
    // Not a number keepalived accepts: ignored and logged.
    std::fs::write(&path, "99999999999").unwrap();
    assert_eq!(next(&mut rx).await, None);
    assert_eq!(
        logged(&format!("read from {}", path.display())),
        [format!(
            "INFO Invalid number 99999999999 read from {} - ignoring",
            path.display()
        )]
    );
    std::fs::write(&path, "7").unwrap();
    assert_eq!(next(&mut rx).await, Some(Value(7)));
    // A file next to it is not ours.
    std::fs::write(dir.path().join("other"), "1").unwrap();
    assert_eq!(next(&mut rx).await, None);
}

#[tokio::test]
async fn init_file_creates_a_missing_file_but_keeps_an_existing_one() {
    let dir = scratch_dir();
    let path = dir.path().join("created");
    let plan = TrackerPlan::from_config(&config(&conf(&path, "init_file 12")));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "12\n");
    assert_eq!(
        plan.initial_status().get(&plan.file_id("tf").unwrap()),
        Some(&Value(12))
    );
    std::fs::write(&path, "3").unwrap();
    let plan = TrackerPlan::from_config(&config(&conf(&path, "init_file 12")));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "3");
    assert_eq!(
        plan.initial_status().get(&plan.file_id("tf").unwrap()),
        Some(&Value(3))
    );
    // `overwrite` rewrites it.
    TrackerPlan::from_config(&config(&conf(&path, "init_file -4 overwrite")));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "-4\n");
}

#[tokio::test]
async fn a_missing_file_starts_at_zero_and_is_picked_up_when_created() {
    let dir = scratch_dir();
    let path = dir.path().join("later");
    let cfg = config(&conf(&path, ""));
    let plan = TrackerPlan::from_config(&cfg);
    assert_eq!(
        plan.initial_status().get(&plan.file_id("tf").unwrap()),
        Some(&Value(0))
    );
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _run = plan.start(tx);
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::fs::write(&path, "9").unwrap();
    assert_eq!(next(&mut rx).await, Some(Value(9)));
}

#[tokio::test]
async fn a_file_in_a_missing_directory_is_not_tracked() {
    capture_logs();
    let cfg = config(&conf(std::path::Path::new("/nonexistent-ka-dir/x"), ""));
    let plan = TrackerPlan::from_config(&cfg);
    assert!(plan.instance_trackers(&cfg.instances[0]).is_empty());
    assert!(!logged("Track file directory for tf does not exist - removing").is_empty());
}
