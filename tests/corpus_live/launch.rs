//! Starts a daemon in a world of its own: the test binary re-executes itself with
//! `--live-launch SPEC` (a single-threaded process, so it may unshare and mount freely),
//! enters the run's network namespace and a private mount namespace, builds a root there and
//! execs the daemon in it. The daemon's pid is the launcher's pid.
//!
//! The root, seen only by the daemon and its scripts:
//!
//! | path | what it is | why |
//! |---|---|---|
//! | `/` | overlay: the host's root below, the run's `upper/` on top | scripts the configs name are created at their own paths without touching the host |
//! | `/tmp` | the run's `tmp/` | `keepalived.data` and other temporary files are private |
//! | `/run` | the run's `run/` | default pid files (`/run/keepalived.pid`…) are private; stand-in scripts record here |
//! | `/dev` | a tmpfs with the basic devices bound in, and `/dev/log` bound to the run's socket | both daemons log through syslog(3)'s `/dev/log`; the test reads severities from `<PRI>`, whether or not the host has a `/dev/log` |
//! | `/sys` | a fresh sysfs | it shows the namespace's interfaces, as `ip netns exec` arranges |
//! | `/proc`, other host mounts | bound from the host | |
//!
//! A stand-in script writes `UID:GID PATH ARGS` to `/run/corpus-live-scripts.log` and exits 0.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use serde::{Deserialize, Serialize};

/// The argument that turns the test binary into a launcher.
pub const LAUNCH_ARG: &str = "--live-launch";

/// How the launcher's own failures start (on the daemon's console output).
pub const LAUNCHER_FAILED: &str = "corpus-live launcher:";

/// Where stand-in scripts record their runs, inside the daemon's root.
pub const SCRIPT_RECORD: &str = "/run/corpus-live-scripts.log";

/// Device nodes and directories of the host's `/dev` the daemon may need.
const DEVICES: &[&str] = &[
    "null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "fd", "stdin",
    "stdout", "stderr",
];

/// What the launcher does, written by the test as JSON.
#[derive(Serialize, Deserialize, Debug)]
pub struct LaunchSpec {
    /// Network namespace (a name under /run/netns).
    pub netns: String,
    /// The run's directory: `upper/`, `work/`, `root/`, `tmp/`, `run/`, `log.sock`.
    pub dir: PathBuf,
    /// A host directory bound at the same path (the configuration files, which the test
    /// rewrites between reloads).
    pub conf_dir: PathBuf,
    /// Working directory of the daemon.
    pub cwd: PathBuf,
    /// Absolute paths of scripts to create as stand-ins where nothing exists.
    pub standins: Vec<String>,
    /// The daemon's command line (program first).
    pub argv: Vec<String>,
}

impl LaunchSpec {
    /// Creates the run directory's parts the launcher mounts.
    pub fn prepare_dirs(&self) {
        for sub in ["upper", "work", "root", "tmp", "run"] {
            fs::create_dir_all(self.dir.join(sub)).expect("run dir");
        }
        set_mode(&self.dir.join("tmp"), 0o1777);
        set_mode(&self.dir.join("run"), 0o755);
        let record = self.dir.join("run").join("corpus-live-scripts.log");
        fs::write(&record, "").expect("script record");
        // Scripts may run as any user.
        set_mode(&record, 0o666);
    }
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// The launcher's entry point: never returns (execs the daemon, or exits 127 with a reason).
pub fn launch(spec_path: &str) -> ! {
    let spec: LaunchSpec = serde_json::from_str(
        &fs::read_to_string(spec_path).unwrap_or_else(|e| die(&format!("{spec_path}: {e}"))),
    )
    .unwrap_or_else(|e| die(&format!("{spec_path}: {e}")));
    if let Err(e) = build_world(&spec) {
        die(&e);
    }
    let err = std::process::Command::new(&spec.argv[0])
        .args(&spec.argv[1..])
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .exec();
    die(&format!("exec {}: {err}", spec.argv[0]))
}

fn die(msg: &str) -> ! {
    eprintln!("{LAUNCHER_FAILED} {msg}");
    std::process::exit(127)
}

fn build_world(spec: &LaunchSpec) -> Result<(), String> {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let ns = fs::File::open(format!("/run/netns/{}", spec.netns))
        .map_err(|e| format!("netns {}: {e}", spec.netns))?;
    setns(ns, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns: {e}"))?;
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("unshare: {e}"))?;
    // Nothing mounted from here on may propagate back to the host.
    do_mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )?;
    let root = spec.dir.join("root");
    let layers = format!(
        "lowerdir=/,upperdir={},workdir={}",
        spec.dir.join("upper").display(),
        spec.dir.join("work").display()
    );
    do_mount(
        Some("overlay"),
        &root,
        Some("overlay"),
        MsFlags::empty(),
        Some(&layers),
    )?;
    for m in host_mounts()? {
        let target = inside(&root, &m);
        if target.exists() {
            bind(&m, &target, true)?;
        }
    }
    bind(Path::new("/proc"), &root.join("proc"), true)?;
    do_mount(
        Some("sysfs"),
        &root.join("sys"),
        Some("sysfs"),
        MsFlags::empty(),
        None,
    )?;
    build_dev(&root, &spec.dir.join("log.sock"))?;
    bind(&spec.dir.join("tmp"), &root.join("tmp"), false)?;
    bind(&spec.dir.join("run"), &root.join("run"), false)?;
    bind(&spec.conf_dir, &inside(&root, &spec.conf_dir), false)?;
    nix::unistd::chroot(&root).map_err(|e| format!("chroot: {e}"))?;
    // After the chroot, so that a symlink on the way resolves inside the new root.
    for path in &spec.standins {
        create_standin(Path::new(path))?;
    }
    nix::unistd::chdir(&spec.cwd).map_err(|e| format!("chdir {}: {e}", spec.cwd.display()))
}

/// `root` + absolute `path`.
fn inside(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

fn do_mount(
    source: Option<&str>,
    target: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), String> {
    mount(source, target, fstype, flags, data)
        .map_err(|e| format!("mount {source:?} on {}: {e}", target.display()))
}

fn bind(source: &Path, target: &Path, recursive: bool) -> Result<(), String> {
    let mut flags = MsFlags::MS_BIND;
    if recursive {
        flags |= MsFlags::MS_REC;
    }
    mount(Some(source), target, None::<&str>, flags, None::<&str>)
        .map_err(|e| format!("bind {} on {}: {e}", source.display(), target.display()))
}

/// The host's outermost mount points other than `/` and the ones the root replaces
/// (`/proc`, `/sys`, `/dev`, `/tmp`, `/run`): a recursive bind of each carries the rest.
fn host_mounts() -> Result<Vec<PathBuf>, String> {
    let info = fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape_mount_path(p)))
        .filter(|p| p != Path::new("/"))
        .filter(|p| {
            !["/proc", "/sys", "/dev", "/tmp", "/run"]
                .iter()
                .any(|skip| p.starts_with(skip))
        })
        .collect();
    points.sort();
    points.dedup();
    let mut outermost: Vec<PathBuf> = Vec::new();
    for p in points {
        if !outermost.iter().any(|o| p.starts_with(o)) {
            outermost.push(p);
        }
    }
    Ok(outermost)
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape_mount_path(p: &str) -> String {
    let mut out = String::new();
    let mut rest = p;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        match u8::from_str_radix(rest.get(i + 1..i + 4).unwrap_or(""), 8) {
            Ok(b) => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            Err(_) => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A tmpfs `/dev` with the host's basic devices bound in and `/dev/log` bound to `socket`.
fn build_dev(root: &Path, socket: &Path) -> Result<(), String> {
    let dev = root.join("dev");
    do_mount(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID,
        Some("mode=755"),
    )?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        let Ok(meta) = fs::symlink_metadata(&host) else {
            continue;
        };
        let target = dev.join(name);
        if meta.file_type().is_symlink() {
            let to = fs::read_link(&host).map_err(|e| e.to_string())?;
            symlink(&to, &target).map_err(|e| format!("{}: {e}", target.display()))?;
        } else if meta.is_dir() {
            fs::create_dir(&target).map_err(|e| format!("{}: {e}", target.display()))?;
            bind(&host, &target, true)?;
        } else {
            fs::write(&target, "").map_err(|e| format!("{}: {e}", target.display()))?;
            bind(&host, &target, false)?;
        }
    }
    let log = dev.join("log");
    fs::write(&log, "").map_err(|e| format!("{}: {e}", log.display()))?;
    bind(socket, &log, false)
}

/// A script that records who ran it with which arguments, at `path` (replacing what is
/// there: this root is an overlay, the host's file is untouched).
fn create_standin(path: &Path) -> Result<(), String> {
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    let _ = fs::remove_file(path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let text = format!("#!/bin/sh\necho \"$(id -u):$(id -g) $0 $*\" >> {SCRIPT_RECORD}\nexit 0\n");
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}
