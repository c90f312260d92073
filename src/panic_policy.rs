//! What a panic does to the daemon: it never leaves it half alive.
//!
//! The release profile keeps `panic = "unwind"`, and the daemon installs a process-wide
//! hook ([`install`]) that decides by thread:
//!
//! * **Unsupervised code stops the process.** Everything that makes the daemon a VRRP
//!   router runs on one thread: a single-threaded tokio runtime drives the state
//!   machines, timers, adverts, addresses, notify scripts and tracker tasks. If one of
//!   those tasks panicked, tokio would catch it and the loop would carry on without it:
//!   adverts still going out while the VIPs, the notifications or a tracker are dead,
//!   which is the half-alive daemon a peer cannot detect. Nothing on that thread can be
//!   rebuilt safely, so the hook logs the panic (message, thread, location), flushes the
//!   log and aborts: adverts stop, the peer takes over after its master-down interval,
//!   and the service manager restarts us (the addresses it held stay configured, as
//!   after a `kill -9`). The same holds for the log writer and every other
//!   thread not listed below. That is exactly what `panic = "abort"` would do there.
//! * **Supervised helpers recover.** Code run under [`supervised`] only logs its panic;
//!   the supervisor turns it into an ordinary failure of that helper's job. The MySQL
//!   checks count it as a failed check and remake their connection (a check thread that
//!   dies reports its tracker down): instances tracking it react as to any failed check,
//!   going to FAULT or, with a weight, losing priority. A MySQL
//!   `read_only` switch answers that one request with an error; the metrics endpoint
//!   loses that connection, or rebinds if its accept loop died; a reload read on a
//!   blocking thread is refused and the running configuration kept.
//!
//! Why not `panic = "abort"` for everything: the MySQL client parses replies from another
//! machine. A panic on a malformed reply would then kill VRRP on every node checking that
//! server, turning one bad database into a cluster-wide outage; supervised, it costs one
//! failed check.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, PanicHookInfo};

thread_local! {
    /// Depth of [`supervised`] calls active on this thread.
    static SUPERVISED: Cell<u32> = const { Cell::new(0) };
}

/// What the hook does with a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A supervisor catches it: log and let it unwind.
    Recover,
    /// Nobody can repair what it broke: log and abort the process.
    Abort,
}

/// The verdict for a panic on the calling thread now.
pub fn verdict() -> Verdict {
    if SUPERVISED.with(Cell::get) > 0 {
        Verdict::Recover
    } else {
        Verdict::Abort
    }
}

/// Runs `f`, catching a panic in it. While `f` runs (and anything it drives on this
/// thread, such as a tokio runtime's tasks), a panic is logged and unwinds instead of
/// stopping the process; the caller decides how the helper recovers.
pub fn supervised<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            SUPERVISED.with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    SUPERVISED.with(|d| d.set(d.get() + 1));
    let _depth = Depth;
    std::panic::catch_unwind(AssertUnwindSafe(f))
}

/// Installs the daemon's panic hook (see the module documentation). Only the daemon
/// calls it: test binaries keep the default hook, which lets tests panic.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let text = describe(info);
        match verdict() {
            Verdict::Recover => log::error!("{text}; recovering"),
            Verdict::Abort => {
                log::error!("{text}; stopping so that a peer takes over");
                log::logger().flush();
                std::process::abort();
            }
        }
    }));
}

/// `Internal error in thread NAME: MESSAGE at FILE:LINE`.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("unnamed");
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    match info.location() {
        Some(at) => format!("Internal error in thread {name}: {message} at {at}"),
        None => format!("Internal error in thread {name}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supervision_is_scoped_to_its_call_and_catches_the_panic() {
        assert_eq!(verdict(), Verdict::Abort);
        let inside = supervised(|| {
            let nested = supervised(verdict);
            (nested.unwrap(), verdict())
        });
        assert_eq!(inside.unwrap(), (Verdict::Recover, Verdict::Recover));
        assert_eq!(verdict(), Verdict::Abort);
        let caught = supervised(|| -> u32 { panic!("helper failed") });
        assert!(caught.is_err());
        assert_eq!(
            verdict(),
            Verdict::Abort,
            "the depth unwound with the panic"
        );
    }
}
