//! Helpers for the tracker and notify tests: configs from text, a log capture, scratch
//! scripts, polling for a condition, and checks on processes.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use keepalived_rs::config::model::Config;
use keepalived_rs::config::source::{load_str, SourceOptions};

/// These tests start processes as other users and create root-owned files.
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test must run as root (it drops privileges and checks root-owned paths)"
    );
}

/// Parses `text` like keepalived.conf, without host checks.
pub fn config(text: &str) -> Config {
    let pre = load_str(
        "t.conf",
        text,
        Path::new("/nonexistent"),
        &SourceOptions::default(),
    );
    keepalived_rs::config::check(pre, None).config
}

struct Capture;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        LINES
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{} {}", r.level(), r.args()));
    }
    fn flush(&self) {}
}

/// Installs the capturing logger (once per test binary).
pub fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        log::set_boxed_logger(Box::new(Capture)).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Captured lines (as "LEVEL text") containing `needle`.
pub fn logged(needle: &str) -> Vec<String> {
    LINES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|l| l.contains(needle))
        .cloned()
        .collect()
}

/// A fresh directory that root owns with mode 0755 (so script security accepts it).
pub fn scratch_dir() -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("ka-track-")
        .tempdir_in("/var/tmp")
        .unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

/// Writes an executable `#!/bin/sh` script.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// Polls `cond` every 10 ms until it holds or `limit` passes.
pub async fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}

/// Pids of live (non-zombie) processes whose command line contains `needle`.
pub fn processes_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if !zombie && cmd.contains(needle) && pid != std::process::id() {
            out.push(pid);
        }
    }
    out
}
