//! Daemonizing like keepalived, observed from outside: the launched process exits 0 at once,
//! a new process in a new session carries on in `/` with stdio on /dev/null and the umask
//! from `-u`, and holds the pid file (a second instance is refused, naming it) until it
//! exits and the pid file disappears.
//!
//! Runs without libtest (`harness = false`): `daemonize` forks, which needs a
//! single-threaded process, and libtest runs tests on extra threads. This binary re-runs
//! itself as the daemon (environment variable `KA_DAEMONIZE_ROLE=daemon`).

use keepalived_rs::daemon::pidfile::{read_pid_file, PidFile, PidFileError};
use keepalived_rs::sys::daemonize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROLE: &str = "KA_DAEMONIZE_ROLE";
const DIR: &str = "KA_DAEMONIZE_DIR";

fn main() {
    if std::env::var_os(ROLE).is_some() {
        let dir = PathBuf::from(std::env::var_os(DIR).expect("dir"));
        daemon_role(&dir);
        return;
    }
    // libtest-style filtering: `cargo test other_test` passes a filter we do not match.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !"daemonize_detaches_and_holds_the_pid_file".contains(&f)) {
        println!("test result: ok. 0 passed; 0 failed; 1 filtered out");
        return;
    }
    daemonize_detaches_and_holds_the_pid_file();
    println!("test daemonize_detaches_and_holds_the_pid_file ... ok");
    println!("test result: ok. 1 passed; 0 failed; 0 ignored");
}

/// What the daemon does: take the pid file, detach, report, wait for "stop", exit.
fn daemon_role(dir: &Path) {
    let report = dir.join("report");
    let mut pid_file = PidFile::acquire(dir.join("vrrp.pid")).expect("pid file");
    let pid = daemonize::daemonize(0o027).expect("daemonize");
    pid_file.rewrite_pid().expect("rewrite pid");

    let sid = nix::unistd::getsid(None).expect("getsid");
    let cwd = std::env::current_dir().expect("cwd");
    let fds: Vec<String> = (0..3)
        .map(|fd| {
            std::fs::read_link(format!("/proc/self/fd/{fd}"))
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        })
        .collect();
    let umask = daemonize::set_umask(0o027);
    let text = format!(
        "pid={}\nsid={}\nppid={}\ncwd={}\nfds={}\numask={:o}\n",
        pid,
        sid,
        nix::unistd::getppid(),
        cwd.display(),
        fds.join(","),
        umask
    );
    // Write then rename, so the test never reads half a report.
    std::fs::write(dir.join("report.tmp"), text).expect("report");
    std::fs::rename(dir.join("report.tmp"), &report).expect("report");

    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.join("stop").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(pid_file);
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn daemonize_detaches_and_holds_the_pid_file() {
    let dir = tempfile::tempdir().unwrap();
    let launched = Instant::now();
    let status = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, "daemon")
        .env(DIR, dir.path())
        .status()
        .unwrap();
    // The launched process is the parent of the fork: it exits 0 straight away.
    assert!(status.success(), "launcher exited with {status}");
    assert!(launched.elapsed() < Duration::from_secs(10));

    let report_path = dir.path().join("report");
    wait_for("the daemon's report", Duration::from_secs(10), || {
        report_path.exists()
    });
    let report = std::fs::read_to_string(&report_path).unwrap();
    let field = |name: &str| -> String {
        report
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing in {report}"))
            .to_owned()
    };
    let daemon_pid: i32 = field("pid").parse().unwrap();
    let stop = || std::fs::write(dir.path().join("stop"), "").unwrap();

    let checks = || {
        // setsid: the daemon leads its own session.
        assert_eq!(field("sid"), field("pid"), "{report}");
        assert_ne!(field("sid"), nix::unistd::getsid(None).unwrap().to_string());
        assert_eq!(field("cwd"), "/");
        assert_eq!(field("fds"), "/dev/null,/dev/null,/dev/null");
        assert_eq!(field("umask"), "27");
        // The pid file names the daemon, not the process we launched.
        let pid_path = dir.path().join("vrrp.pid");
        assert_eq!(read_pid_file(&pid_path), Some(daemon_pid));
        assert_eq!(
            std::fs::read_to_string(&pid_path).unwrap(),
            format!("{daemon_pid}\n")
        );
        // A second instance is refused while the daemon lives.
        match PidFile::acquire(&pid_path) {
            Err(PidFileError::AlreadyRunning { pid, .. }) => assert_eq!(pid, daemon_pid),
            other => panic!("second instance must be refused, got {other:?}"),
        }
        let err = PidFile::acquire(&pid_path).unwrap_err().to_string();
        assert!(err.contains(&daemon_pid.to_string()), "{err}");
        // The daemon exits on request and removes its pid file.
        stop();
        wait_for("pid file removal", Duration::from_secs(10), || {
            !pid_path.exists()
        });
        wait_for("the daemon to exit", Duration::from_secs(10), || {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(daemon_pid), None).is_err()
                || std::fs::read_to_string(format!("/proc/{daemon_pid}/stat"))
                    .map(|s| s.contains(") Z "))
                    .unwrap_or(true)
        });
        // Now the pid file is free again.
        let ours = PidFile::acquire(&pid_path).expect("free after the daemon left");
        assert_eq!(read_pid_file(&pid_path), Some(std::process::id() as i32));
        drop(ours);
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(checks));
    if let Err(panic) = outcome {
        // Never leave our daemon behind.
        stop();
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(daemon_pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        std::panic::resume_unwind(panic);
    }
}
