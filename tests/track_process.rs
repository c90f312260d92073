//! `vrrp_track_process` with real processes: a copy of `sleep` under a unique name is
//! started and killed, and the tracker reports quorum gained and lost.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command};
use std::time::Duration;

use keepalived_rs::config::model::TrackProcess;
use keepalived_rs::track::{process, TrackerEvent};
use keepalived_rs::vrrp::{TrackerId, TrackerStatus};
use tokio::sync::mpsc;

/// A copy of `sleep` whose process name no other process has (tests run in parallel:
/// each passes its own `tag`).
fn unique_sleep(dir: &std::path::Path, tag: char) -> std::path::PathBuf {
    let name = format!("krs-tp{tag}-{}", std::process::id() % 100_000);
    let path = dir.join(name);
    std::fs::copy("/bin/sleep", &path).expect("copy /bin/sleep");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn spec(process: &str, quorum: u32) -> TrackProcess {
    TrackProcess {
        process: Some(process.into()),
        quorum,
        ..TrackProcess::new("tp")
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<TrackerEvent>) -> TrackerStatus {
    tokio::time::timeout(Duration::from_secs(3), rx.recv())
        .await
        .expect("a tracker event within 3 s")
        .expect("tracker alive")
        .status
}

fn start(bin: &std::path::Path, arg: &str) -> Child {
    Command::new(bin).arg(arg).spawn().expect("start process")
}

#[tokio::test]
async fn quorum_follows_processes_starting_and_dying() {
    let dir = tempfile::tempdir().unwrap();
    let bin = unique_sleep(dir.path(), 'q');
    let name = bin.file_name().unwrap().to_string_lossy().into_owned();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = process::spawn(&spec(&name, 2), TrackerId(7), tx).expect("valid spec");
    assert_eq!(next(&mut rx).await, TrackerStatus::Down, "none running");

    let mut one = start(&bin, "30");
    let mut two = start(&bin, "31");
    assert_eq!(next(&mut rx).await, TrackerStatus::Up, "quorum 2 reached");
    one.kill().unwrap();
    one.wait().unwrap();
    assert_eq!(next(&mut rx).await, TrackerStatus::Down, "quorum lost");
    two.kill().unwrap();
    two.wait().unwrap();
    task.abort();
}

#[tokio::test]
async fn arguments_select_which_processes_count() {
    let dir = tempfile::tempdir().unwrap();
    let bin = unique_sleep(dir.path(), 'a');
    let name = bin.file_name().unwrap().to_string_lossy().into_owned();
    let mut other = start(&bin, "40");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = process::spawn(&spec(&format!("{name} 41"), 1), TrackerId(8), tx).unwrap();
    assert_eq!(
        next(&mut rx).await,
        TrackerStatus::Down,
        "only `sleep 40` runs"
    );
    let mut wanted = start(&bin, "41");
    assert_eq!(next(&mut rx).await, TrackerStatus::Up, "`sleep 41` runs");
    wanted.kill().unwrap();
    wanted.wait().unwrap();
    other.kill().unwrap();
    other.wait().unwrap();
    task.abort();
}
