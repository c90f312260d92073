//! A throw-away Debian root: the host's release bootstrapped with mmdebstrap
//! (`--variant=minbase` plus systemd-sysv, with keepalived and its dependencies downloaded
//! into apt's cache but not installed), so apt inside it installs Debian's keepalived
//! without a network. The bootstrap is cached as a tarball in the target dir; a second run
//! only unpacks it.
//!
//! Commands run `chroot`ed into the root and inside a network namespace the test created
//! (`nsenter --net`: the mount namespace stays the host's, so every process of the root
//! sees the same /proc; with `ip netns exec`, which makes a mount namespace per command,
//! start-stop-daemon cannot match a daemon started by an earlier command and "stops"
//! nothing). Dropping the root kills every process whose root directory it is (by pid),
//! unmounts its /proc and, unless the test failed, deletes it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Instant;

/// Bump when the bootstrap's package set changes, so a stale cached tarball is not used.
const CACHE_VERSION: u32 = 1;

pub struct DebianRoot {
    pub dir: PathBuf,
    netns: String,
}

fn host_release() -> String {
    let os = std::fs::read_to_string("/etc/os-release").expect("/etc/os-release");
    os.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|s| s.trim_matches('"').to_owned())
        .expect("VERSION_CODENAME in /etc/os-release (a Debian host)")
}

/// The host's Debian mirror (first `URIs:` of debian.sources or `deb` line of
/// sources.list naming /debian), `KRS_SWAP_MIRROR` to override.
fn host_mirror() -> String {
    if let Ok(m) = std::env::var("KRS_SWAP_MIRROR") {
        return m;
    }
    let deb822 = std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources");
    let from_deb822 = deb822.ok().and_then(|t| {
        t.lines()
            .filter_map(|l| l.strip_prefix("URIs:"))
            .flat_map(str::split_whitespace)
            .find(|u| u.ends_with("/debian") || u.ends_with("/debian/"))
            .map(str::to_owned)
    });
    let one_line = || {
        std::fs::read_to_string("/etc/apt/sources.list")
            .ok()?
            .lines()
            .filter(|l| l.starts_with("deb "))
            .flat_map(|l| l.split_whitespace().find(|w| w.contains("://")))
            .find(|u| u.trim_end_matches('/').ends_with("/debian"))
            .map(str::to_owned)
    };
    from_deb822
        .or_else(one_line)
        .unwrap_or_else(|| "http://deb.debian.org/debian".to_owned())
}

fn require_tools() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the package swap test needs root (chroot, mounts, network namespaces); run as root, as CI does"
    );
    for tool in ["mmdebstrap", "nsenter", "chroot", "tar", "ip"] {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "the package swap test needs `{tool}` (apt-get install mmdebstrap util-linux iproute2; .ci/run does)"
        );
    }
}

/// The cached bootstrap tarball, made on first use (one at a time within this process).
fn cached_tarball() -> PathBuf {
    static BOOTSTRAP: Mutex<()> = Mutex::new(());
    let _one = BOOTSTRAP.lock().unwrap_or_else(|e| e.into_inner());
    let release = host_release();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("package-swap");
    std::fs::create_dir_all(&cache).unwrap();
    let tar = cache.join(format!("debian-{release}-minbase-v{CACHE_VERSION}.tar"));
    if tar.is_file() {
        return tar;
    }
    let partial = tar.with_extension("partial.tar");
    let _ = std::fs::remove_file(&partial);
    let mirror = host_mirror();
    let started = Instant::now();
    let out = Command::new("mmdebstrap")
        .args([
            "--variant=minbase",
            "--include=systemd-sysv",
            "--skip=cleanup/apt",
        ])
        // Only keepalived's packages stay in apt's cache: the test installs them offline.
        .arg("--customize-hook=chroot \"$1\" apt-get clean")
        .arg(
            "--customize-hook=chroot \"$1\" apt-get install --download-only \
             --no-install-recommends -y -q keepalived",
        )
        .arg(&release)
        .arg(&partial)
        .arg(format!("deb {mirror} {release} main"))
        .stdin(Stdio::null())
        .output()
        .expect("mmdebstrap");
    assert!(
        out.status.success(),
        "mmdebstrap {release} from {mirror} failed (set KRS_SWAP_MIRROR for another mirror):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&partial, &tar).unwrap();
    eprintln!(
        "package swap: bootstrapped {release} from {mirror} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tar
}

impl DebianRoot {
    /// A fresh root named `name` under the target dir, commands run in `netns`.
    pub fn new(name: &str, netns: &str) -> DebianRoot {
        require_tools();
        let tar = cached_tarball();
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("package-swap");
        // Canonical, as the /proc/PID/root links it is compared with.
        let dir = parent.canonicalize().unwrap().join(name);
        let root = DebianRoot {
            dir,
            netns: netns.to_owned(),
        };
        // What a killed earlier run may have left.
        root.release();
        let _ = std::fs::remove_dir_all(&root.dir);
        std::fs::create_dir_all(&root.dir).unwrap();
        let started = Instant::now();
        let dir = root.dir.to_str().unwrap();
        host(
            "tar",
            &["--numeric-owner", "-C", dir, "-xf", tar.to_str().unwrap()],
        );
        host("mount", &["-t", "proc", "proc", &format!("{dir}/proc")]);
        eprintln!(
            "package swap: unpacked the cached root in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        root
    }

    /// `sh -c SCRIPT` in the root and the namespace, with a clean environment.
    pub fn sh(&self, script: &str) -> Output {
        Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", self.netns))
            .arg("chroot")
            .arg(&self.dir)
            .args([
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "DEBIAN_FRONTEND=noninteractive",
                "LC_ALL=C.UTF-8",
                "sh",
                "-c",
                script,
            ])
            .stdin(Stdio::null())
            .output()
            .expect("nsenter")
    }

    /// Like [`DebianRoot::sh`], panicking with the output unless it succeeds; returns it.
    pub fn sh_ok(&self, script: &str) -> String {
        let out = self.sh(script);
        let text = output_text(&out);
        assert!(
            out.status.success(),
            "`{script}` in the root failed:\n{text}"
        );
        text
    }

    /// A path inside the root.
    pub fn path(&self, inside: &str) -> PathBuf {
        self.dir.join(inside.trim_start_matches('/'))
    }

    /// Pids of the processes whose root directory is this root.
    pub fn processes(&self) -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/root")).ok() == Some(self.dir.clone())
            })
            .collect()
    }

    /// Kills what runs in the root and unmounts its /proc.
    fn release(&self) {
        for pid in self.processes() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        self.unmount_proc();
    }

    /// Unmounts the host's /proc from the root (systemd-nspawn mounts the container's
    /// own; with the host's underneath, systemd there ignores its services' sd_notify).
    pub fn unmount_proc(&self) {
        let proc_dir = self.path("proc");
        for _ in 0..50 {
            let mounted = std::fs::read_to_string("/proc/self/mounts")
                .map(|m| m.lines().any(|l| l.split(' ').nth(1) == proc_dir.to_str()))
                .unwrap_or(false);
            if !mounted {
                return;
            }
            let _ = Command::new("umount").arg(&proc_dir).status();
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = Command::new("umount").arg("-l").arg(&proc_dir).status();
    }
}

impl Drop for DebianRoot {
    fn drop(&mut self) {
        self.release();
        if std::thread::panicking() {
            eprintln!(
                "package swap: root kept for inspection: {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a host command, panicking with its output unless it succeeds.
fn host(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        output_text(&out)
    );
}
