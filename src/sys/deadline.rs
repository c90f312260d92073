//! A microsecond-precise deadline for the event loop (timerfd on CLOCK_MONOTONIC).
//!
//! tokio's timer wheel works in whole milliseconds and rounds deadlines up, which adds
//! up to a millisecond to every VRRP timer — skew time, master-down interval, advert
//! interval — and so to every failover. keepalived's scheduler sleeps to the microsecond;
//! so does this.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;

/// `TimerFd` with the `AsRawFd` tokio registration needs.
struct OwnedTimerFd(TimerFd);

impl AsRawFd for OwnedTimerFd {
    fn as_raw_fd(&self) -> RawFd {
        use std::os::fd::AsFd;
        self.0.as_fd().as_raw_fd()
    }
}

/// One re-armable deadline.
pub struct DeadlineTimer {
    fd: AsyncFd<OwnedTimerFd>,
    armed: Option<Instant>,
}

impl DeadlineTimer {
    /// Must be called inside a tokio runtime.
    pub fn new() -> io::Result<DeadlineTimer> {
        let timer = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        // SAFETY: `OwnedTimerFd` owns the descriptor (nix's `TimerFd` holds an `OwnedFd`),
        // keeps it open until dropped and always returns the same one from `as_raw_fd`;
        // the AsyncFd takes ownership of it.
        let fd = unsafe {
            AsyncFd::register_with_interest(OwnedTimerFd(timer), tokio::io::Interest::READABLE)
        }
        .map_err(io::Error::from)?;
        Ok(DeadlineTimer { fd, armed: None })
    }

    /// Waits until `deadline` (returns at once if it has passed). Re-arms the kernel
    /// timer only when `deadline` is earlier than what it is armed for: a backup's
    /// master-down deadline moves later with every advert, and re-arming for each cost
    /// a `timerfd_settime` per advert. Armed too early, the timer wakes us once, we see
    /// the deadline has not come and arm it for the real one.
    pub async fn sleep_until(&mut self, deadline: Instant) -> io::Result<()> {
        loop {
            let now = Instant::now();
            if deadline <= now {
                return Ok(());
            }
            if self.armed.is_none_or(|armed| deadline < armed) {
                // A zero relative time would disarm the timer: wait at least 1 ns.
                let wait = (deadline - now).max(Duration::from_nanos(1));
                self.fd.get_ref().0.set(
                    Expiration::OneShot(TimeSpec::from_duration(wait)),
                    TimerSetTimeFlags::empty(),
                )?;
                self.armed = Some(deadline);
            }
            let mut guard = self.fd.readable().await?;
            // Reading clears the expiration count; an expiry left over from an earlier
            // arming just sends us round the loop to check the time again.
            match guard.try_io(|fd| fd.get_ref().0.wait().map_err(io::Error::from)) {
                Ok(Ok(())) => self.armed = None,
                Ok(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => {}
            }
        }
    }
}
