//! One daemon (ours or stock keepalived) started through the launcher in its own network and
//! mount namespaces, as Debian's unit starts it (`--dont-fork`, syslog, default pid files
//! and dump paths, which the private `/run` and `/tmp` make its own), plus `-P` (VRRP only:
//! the comparison is of the VRRP side, which is all this build runs) and `-i vm` (the
//! corpus's config id).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::launch::{LaunchSpec, LAUNCH_ARG};
use crate::netns::Netns;
use crate::syslog::Receiver;

/// Which implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    Ours,
    Keepalived,
}

impl Impl {
    pub fn label(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Keepalived => "keepalived",
        }
    }
}

/// Where a daemon runs and what it runs.
pub struct Setup<'a> {
    pub binary: &'a Path,
    /// The run's directory for this daemon.
    pub dir: PathBuf,
    /// The directory holding the configuration tree (bound into the daemon's root).
    pub conf_dir: PathBuf,
    /// The main file, relative to `conf_dir` (also the daemon's working directory).
    pub conf: String,
    pub standins: Vec<String>,
}

/// A running (or exited) daemon with its namespace and syslog receiver. Dropping it kills
/// the daemon and everything left in its namespace, then deletes the namespace.
pub struct Daemon {
    pub dir: PathBuf,
    pub syslog: Receiver,
    child: Child,
    status: Option<ExitStatus>,
    /// Declared last: dropped after the daemon is killed.
    pub netns: Netns,
}

impl Daemon {
    pub fn start(setup: Setup, netns: Netns) -> Daemon {
        let spec = LaunchSpec {
            netns: netns.name.clone(),
            dir: setup.dir.clone(),
            conf_dir: setup.conf_dir.clone(),
            cwd: setup.conf_dir.clone(),
            standins: setup.standins,
            argv: [
                setup.binary.display().to_string().as_str(),
                "--dont-fork",
                "-P",
                "-i",
                "vm",
                "-f",
                &setup.conf,
            ]
            .map(str::to_string)
            .to_vec(),
        };
        spec.prepare_dirs();
        let spec_path = setup.dir.join("launch.json");
        fs::write(&spec_path, serde_json::to_string_pretty(&spec).unwrap()).expect("spec");
        let syslog = Receiver::bind(&setup.dir.join("log.sock"), &netns.name);
        let console = fs::File::create(setup.dir.join("console.log")).expect("console log");
        let child = Command::new(std::env::current_exe().expect("test binary"))
            .arg(LAUNCH_ARG)
            .arg(&spec_path)
            .stdin(Stdio::null())
            .stdout(console.try_clone().expect("dup"))
            .stderr(console)
            .spawn()
            .expect("start launcher");
        Daemon {
            dir: setup.dir,
            syslog,
            child,
            status: None,
            netns,
        }
    }

    /// `None` while running, else how it ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    pub fn signal(&mut self, sig: Signal) {
        if self.exited().is_none() {
            let _ = kill(Pid::from_raw(self.child.id() as i32), sig);
        }
    }

    /// Asks for the data dump (SIGUSR1) and reads the instances' states from it
    /// (`VRRP Instance = NAME` … `State = STATE`). `None` if no dump came.
    pub fn states(&mut self) -> Option<BTreeMap<String, String>> {
        let path = self.dir.join("tmp").join("keepalived.data");
        let _ = fs::remove_file(&path);
        self.signal(Signal::SIGUSR1);
        let start = Instant::now();
        let mut last_len = None;
        while start.elapsed() < Duration::from_secs(4) {
            std::thread::sleep(Duration::from_millis(100));
            let len = fs::metadata(&path).ok().map(|m| m.len());
            if len.is_some_and(|l| l > 0) && len == last_len {
                return Some(parse_states(&fs::read_to_string(&path).unwrap_or_default()));
            }
            last_len = len;
        }
        None
    }

    /// SIGTERM, then waits up to `limit`; SIGKILL if it is still running then.
    pub fn stop(&mut self, limit: Duration) -> Option<ExitStatus> {
        self.signal(Signal::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(s) = self.exited() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        None
    }

    /// What stand-in scripts recorded so far: distinct `UID:GID PATH ARGS` lines.
    pub fn script_runs(&self) -> Vec<String> {
        let text =
            fs::read_to_string(self.dir.join("run/corpus-live-scripts.log")).unwrap_or_default();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines.dedup();
        lines
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn parse_states(dump: &str) -> BTreeMap<String, String> {
    let mut states = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in dump.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("VRRP Instance = ") {
            current = Some(name.to_string());
        } else if let Some(state) = line.strip_prefix("State = ") {
            if let Some(name) = current.take() {
                states.insert(name, state.to_string());
            }
        }
    }
    states
}
