//! Running the whole daemon in a named network namespace (`net_namespace`, `-s`), as
//! keepalived does: the namespace `ip netns add NAME` made (`/var/run/netns/NAME`) is
//! entered before any thread exists, so every socket, netlink channel and script started
//! later belongs to it; and the pid files of the daemon in that namespace are kept apart
//! from those of other keepalived instances by a private bind mount of
//! `/run/keepalived/NAME` over `/run/keepalived` (seen from outside, the pid files are
//! in `/run/keepalived/NAME/`).

use std::fs::File;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

/// Where `ip netns` keeps its namespaces (keepalived's `netns_dir`).
pub const NETNS_DIR: &str = "/var/run/netns";

/// Errors entering a namespace; keepalived logs them and exits.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error("Failed to open {}", path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("setns() failed with error {}", *errno as i32)]
    Setns { errno: nix::errno::Errno },
}

/// Moves this (single-threaded) process into network namespace `name`.
pub fn enter(name: &str) -> Result<(), NetnsError> {
    let path = Path::new(NETNS_DIR).join(name);
    let file = File::open(&path).map_err(|source| NetnsError::Open { path, source })?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(|errno| NetnsError::Setns { errno })
}

/// Creates `dir` with mode 0755 (whatever the umask, as keepalived's pid directories);
/// true if it exists afterwards.
pub fn make_pid_dir(dir: &Path) -> bool {
    let made = std::fs::DirBuilder::new().mode(0o755).create(dir);
    if made.is_ok() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    }
    made.is_ok() || dir.is_dir()
}

/// The private view of `pid_dir` (`/run/keepalived`) for namespace `name`: its
/// sub-directory `name` bind-mounted over it in a mount namespace of our own, so pid files
/// written to `pid_dir` land in `pid_dir/name`. Undone by [`PidDirMount::release`].
#[derive(Debug)]
pub struct PidDirMount {
    pid_dir: PathBuf,
    source: PathBuf,
}

impl PidDirMount {
    /// Sets the mount up; on failure says why in keepalived's words, and the pid files
    /// stay in `pid_dir` itself.
    pub fn set_up(pid_dir: &Path, name: &str) -> Result<PidDirMount, String> {
        let source = pid_dir.join(name);
        if !make_pid_dir(&source) {
            return Err(format!("Unable to create directory {}", source.display()));
        }
        unshare(CloneFlags::CLONE_NEWNS)
            .map_err(|e| format!("mount unshare failed ({}) '{}'", e as i32, e.desc()))?;
        // systemd makes mounts shared; ours must not propagate back to the host. Should
        // this fail, the bind mount below is still private to our mount namespace.
        let none: Option<&str> = None;
        let _ = mount(
            Some(""),
            "/",
            none,
            MsFlags::MS_REC | MsFlags::MS_SLAVE,
            none,
        );
        mount(Some(&source), pid_dir, none, MsFlags::MS_BIND, none)
            .map_err(|e| format!("Mount failed, error ({}) '{}'", e as i32, e.desc()))?;
        Ok(PidDirMount {
            pid_dir: pid_dir.to_path_buf(),
            source,
        })
    }

    /// Unmounts and removes the namespace's directory if it is empty.
    pub fn release(self) {
        if let Err(e) = umount(&self.pid_dir) {
            log::info!(
                "unmount of {} failed - errno {}",
                self.pid_dir.display(),
                e as i32
            );
        }
        remove_empty_dir(&self.source);
    }
}

/// Removes `dir` unless it holds files or is in use (keepalived's `remove_pid_dir`).
pub fn remove_empty_dir(dir: &Path) {
    if let Err(e) = std::fs::remove_dir(dir) {
        let quiet = matches!(e.raw_os_error(), Some(libc::ENOTEMPTY | libc::EBUSY));
        if !quiet {
            log::info!(
                "unlink of {} failed - error ({}) '{e}'",
                dir.display(),
                e.raw_os_error().unwrap_or(0)
            );
        }
    }
}
