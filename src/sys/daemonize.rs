//! Detaching from the terminal the way keepalived does (its `xdaemon`): one `fork`, the
//! parent exits 0 at once, the child becomes a session leader (`setsid`), moves to `/` and
//! points stdin/stdout/stderr at `/dev/null`. The umask (keepalived's `-u`, default 0177)
//! is applied too. `-n` skips all of it (then only the umask is applied, by the caller).
//!
//! A fork copies only the calling thread, so this must run before the tokio runtime, the
//! log writer or any other thread exists; [`daemonize`] checks and refuses otherwise.

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::unistd::{ForkResult, Pid};
use std::io;

/// Errors from [`daemonize`].
#[derive(Debug, thiserror::Error)]
pub enum DaemonizeError {
    /// Other threads exist; they would vanish in the child.
    #[error("cannot daemonize: the process already runs {0} threads")]
    MultiThreaded(usize),
    #[error("cannot daemonize: {what}: {source}")]
    Sys {
        what: &'static str,
        source: nix::Error,
    },
    #[error("cannot daemonize: {0}")]
    Io(#[from] io::Error),
}

fn sys(what: &'static str) -> impl FnOnce(nix::Error) -> DaemonizeError {
    move |source| DaemonizeError::Sys { what, source }
}

/// Number of threads of this process, from `/proc/self/status`.
pub fn thread_count() -> io::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no Threads: line"))
}

/// Fails unless this process has exactly one thread.
pub fn ensure_single_threaded() -> Result<(), DaemonizeError> {
    match thread_count()? {
        1 => Ok(()),
        n => Err(DaemonizeError::MultiThreaded(n)),
    }
}

/// Sets the process umask (`-u`); returns the previous one.
pub fn set_umask(mask: u32) -> u32 {
    let bits = Mode::from_bits_truncate((mask & 0o777) as libc::mode_t);
    nix::sys::stat::umask(bits).bits() as u32
}

/// Detaches: returns in the child (the new daemon) only; the parent process exits 0.
/// Returns the daemon's pid.
pub fn daemonize(umask: u32) -> Result<Pid, DaemonizeError> {
    ensure_single_threaded()?;
    // Open /dev/null before forking so a failure is reported on the terminal.
    let dev_null = nix::fcntl::open("/dev/null", OFlag::O_RDWR | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(sys("open /dev/null"))?;

    // SAFETY: the process is single-threaded (checked above), so the child starts with a
    // consistent heap and no lock held by a vanished thread.
    match unsafe { nix::unistd::fork() }.map_err(sys("fork"))? {
        ForkResult::Parent { .. } => {
            // Like keepalived's parent: leave at once, without running destructors or
            // atexit handlers that belong to the daemon now (pid files, buffers).
            // SAFETY: _exit is async-signal-safe and takes no pointers.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Child => {}
    }

    nix::unistd::setsid().map_err(sys("setsid"))?;
    nix::unistd::chdir("/").map_err(sys("chdir /"))?;
    for target in [libc::STDIN_FILENO, libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        nix::unistd::dup2(dev_null, target).map_err(sys("redirect stdio to /dev/null"))?;
    }
    // dev_null was opened close-on-exec and is not one of 0..=2 (those are open, so open(2)
    // returned a higher number) unless stdio was closed when we started; keep it then.
    if dev_null > libc::STDERR_FILENO {
        let _ = nix::unistd::close(dev_null);
    }
    set_umask(umask);
    Ok(nix::unistd::getpid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_when_other_threads_exist() {
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let helper = std::thread::spawn(move || {
            let _ = stop_rx.recv();
        });
        assert!(thread_count().unwrap() >= 2);
        assert!(
            matches!(ensure_single_threaded(), Err(DaemonizeError::MultiThreaded(n)) if n >= 2)
        );
        drop(stop_tx);
        helper.join().unwrap();
    }

    #[test]
    fn umask_round_trips() {
        let before = set_umask(0o027);
        assert_eq!(set_umask(before), 0o027);
    }
}
