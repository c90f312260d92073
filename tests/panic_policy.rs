//! The daemon's panic policy (`keepalived_rs::panic_policy`), with the daemon's own hook
//! installed in a child process (this test binary run again on one `child_*` function):
//!
//! * a task on a single-threaded tokio runtime (the shape of the VRRP loop) panics: tokio
//!   alone would catch it and run on without the task; the hook must log it and abort;
//! * a supervised helper thread panics: logged as recovered, and the process lives on.
//!
//! The `child_*` functions do their work only when this file's parent test starts them
//! (the `PANIC_POLICY_CHILD` variable names which); in a normal run they return at once.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};
use std::time::Duration;

const CHILD_VAR: &str = "PANIC_POLICY_CHILD";

/// Runs the `child_*` test `name` of this binary in a fresh process.
fn run_child(name: &str) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, name)
        .output()
        .unwrap()
}

/// True in the child process started for `name`.
fn is_child(name: &str) -> bool {
    if std::env::var(CHILD_VAR).as_deref() != Ok(name) {
        return false;
    }
    env_logger::Builder::new()
        .filter_level(log::LevelFilter::Info)
        .target(env_logger::Target::Stderr)
        .init();
    keepalived_rs::panic_policy::install();
    true
}

#[test]
fn child_loop_task_panics() {
    if !is_child("child_loop_task_panics") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::spawn(async { panic!("a notifier went wrong") });
        tokio::time::sleep(Duration::from_millis(500)).await;
    });
    println!("LOOP STILL RUNNING");
}

#[test]
fn child_supervised_helper_panics() {
    if !is_child("child_supervised_helper_panics") {
        return;
    }
    let helper = std::thread::Builder::new()
        .name("mysql-chk".into())
        .spawn(|| keepalived_rs::panic_policy::supervised(|| panic!("malformed reply")))
        .unwrap();
    assert!(
        helper.join().unwrap().is_err(),
        "the supervisor saw no panic"
    );
    println!("DAEMON STILL RUNNING");
}

#[test]
fn a_panic_on_the_event_loop_stops_the_process_instead_of_leaving_it_half_alive() {
    let out = run_child("child_loop_task_panics");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "not aborted: {:?}\n{stderr}",
        out.status
    );
    assert!(!stdout.contains("LOOP STILL RUNNING"), "{stdout}");
    assert!(
        stderr.contains("Internal error in thread")
            && stderr.contains("a notifier went wrong")
            && stderr.contains("stopping so that a peer takes over"),
        "the panic was not logged: {stderr}"
    );
}

#[test]
fn a_panic_in_a_supervised_helper_is_logged_and_the_daemon_lives_on() {
    let out = run_child("child_supervised_helper_panics");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    assert!(stdout.contains("DAEMON STILL RUNNING"), "{stdout}");
    assert!(
        stderr.contains("Internal error in thread mysql-chk: malformed reply")
            && stderr.contains("recovering"),
        "the panic was not logged: {stderr}"
    );
}
