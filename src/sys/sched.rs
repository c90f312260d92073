//! Real-time scheduling for the thread that runs the VRRP timers, and the process-wide
//! nice value and CPU affinity (`vrrp_priority`, `vrrp_cpu_affinity`).
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

/// The ids of the process's threads (`/proc/self/task`): nice values and CPU affinity
/// belong to threads, and the log writer and other helpers run before the settings are
/// applied, so each is set thread by thread (threads started later inherit them).
fn own_threads() -> io::Result<Vec<libc::pid_t>> {
    Ok(std::fs::read_dir("/proc/self/task")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect())
}

/// Sets the nice value (-20–19) of every thread of the process (`vrrp_priority`).
pub fn set_nice(nice: i32) -> io::Result<()> {
    for tid in own_threads()? {
        // SAFETY: setpriority takes plain integers; a thread that has exited since it was
        // listed makes it fail with ESRCH, which is ignored.
        let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) };
        if rc != 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Restricts every thread of the process to `cpus` (`vrrp_cpu_affinity`).
pub fn set_cpu_affinity(cpus: &[usize]) -> io::Result<()> {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        if cpu >= libc::CPU_SETSIZE as usize {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: `cpu` is below CPU_SETSIZE (checked above), so the bit is inside `set`.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    for tid in own_threads()? {
        // SAFETY: `set` lives for the call and its size is passed with it.
        let rc =
            unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
        if rc != 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(e);
            }
        }
    }
    Ok(())
}
