//! Real-time scheduling for the thread that runs the VRRP timers.
//!
//! At 10 ms adverts the master-down interval is about 36 ms: a master that is not
//! scheduled for that long because other processes saturate the CPUs is declared dead by
//! its peers, and the VIP flaps. keepalived 2.2.7 runs at normal priority unless
//! `vrrp_rt_priority` is set, and measurably flaps under a CPU hog. We run the event loop
//! thread under `SCHED_RR` by default; `SCHED_RESET_ON_FORK` keeps threads and processes
//! started later (scripts, blocking helpers) at normal priority, and `RLIMIT_RTTIME`
//! bounds the damage of a runaway loop (the kernel signals the process once it has used
//! that much CPU without blocking).

use std::io;
use std::time::Duration;

/// Puts the calling thread under `SCHED_RR` at `priority` (1–99) and limits its
/// continuous CPU time to `limit`.
pub fn set_realtime(priority: i32, limit: Duration) -> io::Result<()> {
    let micros = limit.as_micros().min(u128::from(u64::MAX)) as libc::rlim_t;
    let rlimit = libc::rlimit {
        rlim_cur: micros,
        rlim_max: micros.saturating_mul(2),
    };
    // SAFETY: setrlimit only reads the struct we pass, which lives for the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &rlimit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: sched_setscheduler only reads the struct we pass; pid 0 is the calling
    // thread.
    let rc =
        unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
