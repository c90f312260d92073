//! Pid files against other processes: a stock keepalived (which writes its pid but takes no
//! lock), a reused pid of an unrelated program, a dead pid, and a second instance of ours.

use keepalived_rs::daemon::pidfile::{read_pid_file, PidFile, PidFileError};
use std::process::{Child, Command};

/// A child process we started; killed and reaped when dropped.
struct Owned(Child);
impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A shell that renames itself (its `comm`, what `ps` shows) and waits on its stdin.
/// Renaming rather than copying an executable avoids ETXTBSY races with concurrent forks.
fn process_named(name: &str) -> Owned {
    Owned(
        Command::new("sh")
            .args(["-c", "printf %s \"$0\" > /proc/$$/comm; read _"])
            .arg(name)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("spawn sh"),
    )
}

fn wait_for_comm(pid: u32, expect: &str) {
    for _ in 0..500 {
        if std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == expect) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("process {pid} never showed comm {expect}");
}

#[test]
fn live_stock_keepalived_is_respected() {
    let dir = tempfile::tempdir().unwrap();
    let keepalived = process_named("keepalived");
    let pid = keepalived.0.id();
    wait_for_comm(pid, "keepalived");
    let path = dir.path().join("keepalived.pid");
    std::fs::write(&path, format!("{pid}\n")).unwrap();
    match PidFile::acquire(&path) {
        Err(PidFileError::AlreadyRunning {
            pid: running,
            path: p,
        }) => {
            assert_eq!(running, pid as i32);
            assert_eq!(p, path);
        }
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    // Refusing must leave the other daemon's pid file alone.
    assert_eq!(read_pid_file(&path), Some(pid as i32));
}

#[test]
fn reused_pid_of_another_program_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let other = process_named("not-ka-sleep");
    let pid = other.0.id();
    wait_for_comm(pid, "not-ka-sleep");
    let path = dir.path().join("vrrp.pid");
    std::fs::write(&path, format!("{pid}\n")).unwrap();
    let ours = PidFile::acquire(&path).expect("stale pid file must be taken over");
    assert_eq!(read_pid_file(&path), Some(std::process::id() as i32));
    drop(ours);
    assert!(!path.exists());
}

#[test]
fn dead_pid_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("/bin/true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let path = dir.path().join("keepalived.pid");
    std::fs::write(&path, format!("{pid}\n")).unwrap();
    let _ours = PidFile::acquire(&path).expect("dead pid must be replaced");
    assert_eq!(read_pid_file(&path), Some(std::process::id() as i32));
}

#[test]
fn lock_held_by_another_process_is_refused_with_its_pid() {
    // flock(1) holds the lock on the same file from another process, as a second
    // keepalived-rs would; the file says which pid it is.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrrp.pid");
    let holder = Owned(
        Command::new("flock")
            .args(["-x", "--no-fork"])
            .arg(&path)
            .args(["sh", "-c", "echo $$ > \"$0\"; exec sleep 30"])
            .arg(&path)
            .spawn()
            .expect("flock(1) from util-linux"),
    );
    let holder_pid = holder.0.id() as i32;
    // The shell writes the pid only once flock(1) holds the lock.
    for _ in 0..500 {
        if read_pid_file(&path) == Some(holder_pid) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        read_pid_file(&path),
        Some(holder_pid),
        "flock(1) never wrote its pid"
    );
    match PidFile::acquire(&path) {
        Err(PidFileError::AlreadyRunning { pid, .. }) => assert_eq!(pid, holder_pid),
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    let message = PidFile::acquire(&path).unwrap_err().to_string();
    assert!(
        message.contains(&holder_pid.to_string()) && message.contains("already running"),
        "{message}"
    );
}
