//! When the loop reads the receive sockets: as each advert arrives, or in batches at
//! most one coalescing bound apart.
//!
//! A backup of 100 instances at 10 ms hears 10,000 adverts a second. Read as they
//! arrive, each costs a wake-up of the loop (a context switch, `epoll_wait`, the
//! reactor), which was most of the backup's CPU; the protocol does not need them at
//! once: a routine advert only moves a master-down deadline tens of milliseconds away.
//! So once adverts come closer together than the bound, the sockets leave the reactor
//! ([`crate::sys::parkable`]) and are read on a timer, every bound, until a read finds
//! nothing; then they wake the loop again. Each advert is still handled at the instant
//! the kernel queued it (its `SO_TIMESTAMPNS` arrival time), so every master-down
//! deadline is exactly what it would have been; what may wait up to the bound is the
//! reaction to an advert that changes something (a priority-0 advert, a higher
//! priority, a preemption). Timers never wait: the loop wakes for a protocol deadline
//! as before and reads the parked sockets first, so no advert that arrived before a
//! master-down deadline is missed by it.
//!
//! The bound: a tenth of the shortest advert interval, at most 1 ms (keepalived reads
//! each advert when it arrives; see conformance/DIFFERENCES.md).

use std::time::{Duration, Instant};

/// The longest an advert waits to be read once adverts come this close together.
pub const MAX_BOUND: Duration = Duration::from_millis(1);

/// The coalescing bound for these advert intervals: a tenth of the shortest, at most
/// [`MAX_BOUND`].
pub fn bound_for(intervals: impl Iterator<Item = Duration>) -> Duration {
    intervals.map(|i| i / 10).fold(MAX_BOUND, Duration::min)
}

/// The reading schedule of one set of receive sockets.
#[derive(Debug)]
pub struct Coalescer {
    bound: Duration,
    /// While resting (sockets parked): when to read them next.
    rest_until: Option<Instant>,
    /// Arrival time (CLOCK_REALTIME) of the last advert read.
    last_arrival: Option<Duration>,
    /// The current read of the parked sockets found adverts.
    heard_resting: bool,
}

impl Coalescer {
    pub fn new(bound: Duration) -> Coalescer {
        Coalescer {
            bound,
            rest_until: None,
            last_arrival: None,
            heard_resting: false,
        }
    }

    /// When the parked sockets must be read next, if they are parked.
    pub fn rest_until(&self) -> Option<Instant> {
        self.rest_until
    }

    /// A batch was read because a socket woke the loop, with these arrival times (in
    /// order). True when two adverts came within the bound of each other: time to park
    /// the sockets until `now` + bound. A lone advert (one instance at 10 ms, or 1 s
    /// adverts) keeps waking the loop as it arrives.
    pub fn after_wake_batch(
        &mut self,
        now: Instant,
        arrivals: impl Iterator<Item = Option<Duration>>,
    ) -> bool {
        let mut dense = false;
        for at in arrivals.flatten() {
            if let Some(last) = self.last_arrival {
                dense |= at.saturating_sub(last) < self.bound;
            }
            self.last_arrival = Some(at);
        }
        if dense {
            self.rest_until = Some(now + self.bound);
        }
        dense
    }

    /// Adverts read from the parked sockets, with their arrival times.
    pub fn heard_while_resting(&mut self, arrivals: impl Iterator<Item = Option<Duration>>) {
        for at in arrivals {
            self.heard_resting = true;
            if at.is_some() {
                self.last_arrival = at;
            }
        }
    }

    /// The parked sockets were read at `now` (`real_now`: CLOCK_REALTIME read with it).
    /// True when they stay parked: they had adverts, the last of them under half a
    /// bound ago (the stream goes on), and the next read is `now` + bound. False when
    /// they go back to waking the loop: they were empty, or held only the tail of a
    /// burst (a master sends the adverts due together in one go), which would
    /// otherwise cost one more timer wake-up to find them empty.
    pub fn after_rest_read(&mut self, now: Instant, real_now: Duration) -> bool {
        let any = std::mem::take(&mut self.heard_resting);
        let recent = self
            .last_arrival
            .is_some_and(|at| real_now.saturating_sub(at) < self.bound / 2);
        let stay = any && recent;
        self.rest_until = stay.then_some(now + self.bound);
        stay
    }

    /// Parking could not be undone: keep reading on the timer.
    pub fn keep_resting(&mut self, now: Instant) {
        self.rest_until = Some(now + self.bound);
    }
}

/// Turns the kernel's arrival stamps (CLOCK_REALTIME) of one batch into `Instant`s.
#[derive(Clone, Copy, Debug)]
pub struct ArrivalClock {
    now: Instant,
    real_now: Duration,
    /// No advert of the batch arrived before this (the last read that found the queue
    /// empty): the clamp that keeps a step of the wall clock from moving deadlines.
    floor: Instant,
}

impl ArrivalClock {
    /// `real_now`: CLOCK_REALTIME since the epoch, read together with `now`.
    pub fn new(now: Instant, real_now: Duration, floor: Instant) -> ArrivalClock {
        ArrivalClock {
            now,
            real_now,
            floor: floor.min(now),
        }
    }

    /// The instant an advert stamped `stamp` arrived (`now` when it has no stamp).
    pub fn at(&self, stamp: Option<Duration>) -> Instant {
        let Some(stamp) = stamp else {
            return self.now;
        };
        let age = self.real_now.saturating_sub(stamp);
        self.now
            .checked_sub(age)
            .map_or(self.floor, |t| t.clamp(self.floor, self.now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn bound_is_a_tenth_of_the_shortest_interval_at_most_1_ms() {
        assert_eq!(bound_for([MS * 10, MS * 1000].into_iter()), MS);
        assert_eq!(bound_for([MS * 5].into_iter()), MS / 2);
        assert_eq!(bound_for(std::iter::empty()), MS);
    }

    #[test]
    fn close_adverts_park_and_an_empty_read_unparks() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(MS);
        let s = |us: u64| Some(Duration::from_micros(1_000_000 + us));
        assert!(!c.after_wake_batch(t0, [s(0)].into_iter()), "a lone advert");
        assert!(
            !c.after_wake_batch(t0, [s(10_000)].into_iter()),
            "10 ms later"
        );
        assert!(
            c.after_wake_batch(t0, [s(10_100)].into_iter()),
            "100 µs later"
        );
        assert_eq!(c.rest_until(), Some(t0 + MS));
        let real = |us: u64| Duration::from_micros(1_000_000 + us);
        c.heard_while_resting([s(10_900)].into_iter());
        assert!(c.after_rest_read(t0 + MS, real(11_000)), "a stream goes on");
        assert_eq!(c.rest_until(), Some(t0 + MS * 2));
        assert!(
            !c.after_rest_read(t0 + MS * 2, real(12_000)),
            "nothing came"
        );
        assert_eq!(c.rest_until(), None);
        assert!(c.after_wake_batch(t0, [s(20_000), s(20_010)].into_iter()));
        c.heard_while_resting([s(20_050)].into_iter());
        assert!(
            !c.after_rest_read(t0 + MS, real(21_000)),
            "the tail of a burst"
        );
        assert_eq!(c.rest_until(), None);
    }

    #[test]
    fn arrival_is_now_minus_its_age_within_the_floor() {
        let floor = Instant::now();
        let now = floor + MS * 3;
        let real = Duration::from_secs(1_000);
        let clock = ArrivalClock::new(now, real, floor);
        assert_eq!(clock.at(Some(real - MS)), now - MS);
        assert_eq!(clock.at(None), now);
        // A wall clock stepped back or forward cannot move an advert out of the window.
        assert_eq!(clock.at(Some(real - MS * 3600)), floor);
        assert_eq!(clock.at(Some(real + MS * 5)), now);
    }
}
