//! keepalived's pid files (`/run/keepalived.pid`, `/run/vrrp.pid`; `-p`/`-r` override).
//!
//! keepalived writes `"<pid>\n"` (mode 0644) and, at start-up, treats a pid file whose pid
//! is alive as "daemon is already running"; a pid file whose process is gone is stale and
//! replaced ("Remove a zombie pid file"). That check alone races (two instances started
//! together both see no process) and is fooled by pid reuse after a reboot. So we also hold
//! an exclusive `flock` on the open pid file for the life of the process:
//!
//! * lock taken by someone else → a second instance of ours is running: refuse, naming it;
//! * lock free, recorded pid alive and it is a keepalived (stock keepalived does not lock)
//!   → refuse too;
//! * otherwise the file is stale (or new): truncate and write our pid.
//!
//! The file is removed when the [`PidFile`] is dropped, unless another process has replaced
//! it at that path meanwhile. Take the pid files *before* [`crate::sys::daemonize`] so a
//! refusal reaches the terminal, then call [`PidFile::rewrite_pid`] in the detached child:
//! the lock belongs to the open file, which the child inherits, and the parent leaves with
//! `_exit` without running destructors.

use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Errors taking a pid file.
#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    /// Another keepalived (ours or stock) is running with this pid file.
    #[error("daemon is already running: pid file {} belongs to running process {pid}", path.display())]
    AlreadyRunning { path: PathBuf, pid: i32 },
    /// Another process holds our lock but the file does not say who (it is being written).
    #[error("daemon is already running: pid file {} is locked by another process", path.display())]
    Locked { path: PathBuf },
    #[error("cannot use pid file {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// A pid file we own: created (or taken over), locked, holding our pid.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    file: Flock<File>,
}

impl PidFile {
    /// Creates or takes over `path`, locks it and writes this process's pid.
    pub fn acquire(path: impl AsRef<Path>) -> Result<PidFile, PidFileError> {
        let path = path.as_ref();
        let io_err = |source| PidFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io_err)?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, errno)) if errno == nix::errno::Errno::EWOULDBLOCK => {
                return Err(match read_pid(&mut file) {
                    Some(pid) => PidFileError::AlreadyRunning {
                        path: path.to_path_buf(),
                        pid,
                    },
                    None => PidFileError::Locked {
                        path: path.to_path_buf(),
                    },
                });
            }
            Err((_, errno)) => return Err(io_err(errno.into())),
        };
        if let Some(pid) = read_pid(&mut file) {
            if pid != std::process::id() as i32 && is_running_keepalived(pid) {
                return Err(PidFileError::AlreadyRunning {
                    path: path.to_path_buf(),
                    pid,
                });
            }
        }
        // keepalived's pid files are 0644 whatever the umask.
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io_err)?;
        let mut pid_file = PidFile {
            path: path.to_path_buf(),
            file,
        };
        pid_file.rewrite_pid().map_err(io_err)?;
        Ok(pid_file)
    }

    /// Writes this process's pid again: call it in the child after daemonizing.
    pub fn rewrite_pid(&mut self) -> io::Result<()> {
        let text = format!("{}\n", std::process::id());
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }

    /// The pid file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if `path` still names the file we hold (nobody replaced or removed it).
    fn still_ours(&self) -> bool {
        let (Ok(on_disk), Ok(held)) = (std::fs::symlink_metadata(&self.path), self.file.metadata())
        else {
            return false;
        };
        on_disk.dev() == held.dev() && on_disk.ino() == held.ino()
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Unlink while still holding the lock, so no newcomer can lock the old inode and
        // then lose its pid file to us.
        if self.still_ours() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The pid recorded in a pid file, if it holds one (keepalived reads it with `%d`).
pub fn read_pid_file(path: &Path) -> Option<i32> {
    read_pid(&mut File::open(path).ok()?)
}

fn read_pid(file: &mut File) -> Option<i32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    text.trim().parse::<i32>().ok().filter(|pid| *pid > 0)
}

/// True if `pid` is a live process that is a keepalived: its command name (which the
/// kernel takes from the executable's file name, and keepalived's children set to
/// `Keepalived_vrrp` etc.) starts with "keepalived", in either case. A live pid of any
/// other program is a reused pid and the pid file is stale.
fn is_running_keepalived(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => comm.trim().to_ascii_lowercase().starts_with("keepalived"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pid_and_removes_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vrrp.pid");
        let pid_file = PidFile::acquire(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", std::process::id())
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(pid_file.path(), path);
        drop(pid_file);
        assert!(!path.exists());
    }

    #[test]
    fn second_acquire_in_same_process_is_refused_by_the_lock() {
        // flock locks belong to open files, so a second open in the same process conflicts
        // just like another process would.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keepalived.pid");
        let _held = PidFile::acquire(&path).unwrap();
        match PidFile::acquire(&path) {
            Err(PidFileError::AlreadyRunning { pid, .. }) => {
                assert_eq!(pid, std::process::id() as i32)
            }
            other => panic!("expected AlreadyRunning, got {other:?}"),
        }
        // The refused attempt must not have removed or rewritten the file.
        assert_eq!(read_pid_file(&path), Some(std::process::id() as i32));
    }

    #[test]
    fn garbage_and_dead_pids_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pid");
        for content in ["", "garbage\n", "-5\n", "0\n", "2147483647\n"] {
            std::fs::write(&path, content).unwrap();
            let pid_file = PidFile::acquire(&path).unwrap();
            assert_eq!(
                read_pid_file(&path),
                Some(std::process::id() as i32),
                "{content:?}"
            );
            drop(pid_file);
        }
    }

    #[test]
    fn does_not_follow_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("link.pid");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            PidFile::acquire(&link),
            Err(PidFileError::Io { .. })
        ));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }

    #[test]
    fn replaced_file_is_not_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pid");
        let pid_file = PidFile::acquire(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "1234\n").unwrap();
        drop(pid_file);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1234\n");
    }
}
