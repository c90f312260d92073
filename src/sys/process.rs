//! Starting health-check and notify scripts the way keepalived 2.2.7 does
//! (`lib/notify.c`, `system_call_script`): every script gets its own process group (so a
//! timed-out check can be killed with everything it started), `/dev/null` for stdin,
//! stdout and stderr, the uid/gid it is configured to run as (supplementary groups reduced
//! to that gid), and SIGTERM when the daemon dies (`PR_SET_PDEATHSIG`).
//!
//! This file holds the only `pre_exec` hook of the crate: the code that runs between
//! `fork` and `exec` must restrict itself to async-signal-safe system calls.
//!
//! The parent-death signal belongs to the *thread* that forked, so commands prepared here
//! must be spawned from a thread that lives as long as the daemon (the runtime's own
//! threads; never a `spawn_blocking` thread, which exits when idle).

use std::io;
use std::process::Stdio;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// The credentials a script runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

impl RunAs {
    /// The daemon's own real uid and gid (keepalived's `our_uid`/`our_gid`).
    pub fn ourselves() -> RunAs {
        RunAs {
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
        }
    }
}

/// Makes `cmd` start like a keepalived script: own process group, null stdio, privileges
/// dropped to `run_as`, parent-death SIGTERM.
pub fn prepare_script_command(cmd: &mut tokio::process::Command, run_as: RunAs) {
    let us = RunAs::ourselves();
    let parent = std::process::id() as libc::pid_t;
    let as_root = nix::unistd::geteuid().is_root();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(false);
    #[allow(unsafe_code)]
    // SAFETY: the closure runs in the forked child before exec; it only calls
    // async-signal-safe functions (setgid, setgroups, setuid, prctl, getppid) on values
    // copied before the fork, allocates nothing and takes no locks.
    unsafe {
        cmd.pre_exec(move || drop_privileges_in_child(us, run_as, as_root, parent));
    }
}

/// The body of the `pre_exec` hook (see [`prepare_script_command`]).
#[allow(unsafe_code)]
fn drop_privileges_in_child(
    us: RunAs,
    to: RunAs,
    as_root: bool,
    parent: libc::pid_t,
) -> io::Result<()> {
    if to.gid != us.gid {
        // SAFETY: setgid(2) takes a plain integer and is async-signal-safe.
        if unsafe { libc::setgid(to.gid) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    if as_root {
        let groups = [to.gid];
        // SAFETY: `groups` is a live one-element array for the duration of the call.
        if unsafe { libc::setgroups(1, groups.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    if to.uid != us.uid {
        // SAFETY: setuid(2) takes a plain integer and is async-signal-safe.
        if unsafe { libc::setuid(to.uid) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // Set after the uid change: the kernel clears the parent-death signal whenever
    // credentials change.
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes integer arguments only.
    if unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGTERM as libc::c_ulong,
            0,
            0,
            0,
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    // The daemon may have died before the signal was armed.
    // SAFETY: getppid(2) has no arguments and cannot fail.
    if unsafe { libc::getppid() } != parent {
        return Err(io::Error::other("parent exited before the script started"));
    }
    Ok(())
}

/// Sends `signal` to the whole process group `pgid` (a script and everything it started).
/// `Ok(false)` = the group no longer exists (ESRCH).
pub fn signal_process_group(pgid: u32, signal: Signal) -> io::Result<bool> {
    match killpg(Pid::from_raw(pgid as i32), signal) {
        Ok(()) => Ok(true),
        Err(nix::errno::Errno::ESRCH) => Ok(false),
        Err(e) => Err(io::Error::from(e)),
    }
}

/// Whether any process of group `pgid` still exists (zombies included).
pub fn process_group_exists(pgid: u32) -> bool {
    killpg(Pid::from_raw(pgid as i32), None::<Signal>).is_ok()
}
