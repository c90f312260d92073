//! Log flood control: the first few lines of one kind per window, then one
//! `N similar messages suppressed` line for the rest.
//!
//! A peer (or an attacker) can make the daemon log one line per received packet: 1,000
//! junk packets a second would otherwise be 1,000 log lines a second, burying everything
//! else and overflowing the log queue. keepalived has no limit; we keep its text for the
//! first lines of each kind, so greps and alerts written for keepalived still fire.
//!
//! Pure and clock-free: every call takes `now`, so the core stays deterministic and the
//! tests drive it with a fake clock. Keys are `&'static str` reason labels, so the number
//! of entries is bounded by the number of reasons, whatever arrives.

use std::time::{Duration, Instant};

/// Lines of one kind shown per window before the rest are suppressed.
pub const BURST: u32 = 3;
/// How long a window lasts; at most one summary line per kind per window.
pub const WINDOW: Duration = Duration::from_secs(5);

/// What to do with one occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Log this occurrence.
    pub show: bool,
    /// The previous window of this kind ended with this many lines suppressed: log the
    /// summary first.
    pub suppressed_before: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    key: &'static str,
    start: Instant,
    shown: u32,
    suppressed: u64,
}

/// One limiter per instance (and one for the dispatcher), keyed by reason.
#[derive(Debug, Clone, Default)]
pub struct LogLimiter {
    windows: Vec<Window>,
}

impl LogLimiter {
    /// An occurrence of `key` at `now`: shown if fewer than [`BURST`] were shown in its
    /// window, else counted as suppressed.
    pub fn admit(&mut self, key: &'static str, now: Instant) -> Admission {
        let fresh = Window {
            key,
            start: now,
            shown: 0,
            suppressed: 0,
        };
        let mut suppressed_before = None;
        let w = match self.windows.iter().position(|w| w.key == key) {
            Some(i) => &mut self.windows[i],
            None => {
                self.windows.push(fresh);
                self.windows.last_mut().expect("just pushed")
            }
        };
        if now.saturating_duration_since(w.start) >= WINDOW {
            suppressed_before = (w.suppressed > 0).then_some(w.suppressed);
            *w = fresh;
        }
        let show = w.shown < BURST;
        if show {
            w.shown += 1;
        } else {
            w.suppressed += 1;
        }
        Admission {
            show,
            suppressed_before,
        }
    }

    /// Windows that ended by `now` are closed; yields `(key, suppressed)` for each that
    /// suppressed anything, so a flood that stopped still gets its summary line.
    pub fn close_ended(&mut self, now: Instant) -> Vec<(&'static str, u64)> {
        if self.windows.is_empty() {
            return Vec::new();
        }
        let mut summaries = Vec::new();
        self.windows.retain(|w| {
            let ended = now.saturating_duration_since(w.start) >= WINDOW;
            if ended && w.suppressed > 0 {
                summaries.push((w.key, w.suppressed));
            }
            !ended
        });
        summaries
    }
}

/// The summary line: `N similar messages suppressed`, with the instance (when there is
/// one) and the reason, so one kind's flood is told apart from another's.
pub fn summary_text(instance: Option<&str>, key: &str, suppressed: u64) -> String {
    match instance {
        Some(name) => format!("({name}) {suppressed} similar messages suppressed ({key})"),
        None => format!("{suppressed} similar messages suppressed ({key})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Feeds `n` occurrences of `key` 1 ms apart from `t0 + from`; returns how many were shown
    /// and the summaries reported on the way.
    fn feed(
        l: &mut LogLimiter,
        key: &'static str,
        t0: Instant,
        from: Duration,
        n: u32,
    ) -> (u32, Vec<u64>) {
        let mut shown = 0;
        let mut summaries = Vec::new();
        for k in 0..n {
            let a = l.admit(key, t0 + from + MS * k);
            shown += u32::from(a.show);
            summaries.extend(a.suppressed_before);
        }
        (shown, summaries)
    }

    #[test]
    fn a_burst_is_shown_and_the_rest_suppressed() {
        let t0 = Instant::now();
        let mut l = LogLimiter::default();
        let (shown, summaries) = feed(&mut l, "password", t0, Duration::ZERO, 1000);
        assert_eq!(shown, BURST);
        assert!(summaries.is_empty(), "no summary inside the window");
        assert_eq!(l.close_ended(t0 + WINDOW - MS), vec![]);
        assert_eq!(
            l.close_ended(t0 + WINDOW),
            vec![("password", u64::from(1000 - BURST))]
        );
        assert_eq!(l.close_ended(t0 + WINDOW * 3), vec![], "reported once");
    }

    #[test]
    fn the_next_window_reports_the_previous_one_first() {
        let t0 = Instant::now();
        let mut l = LogLimiter::default();
        feed(&mut l, "ttl", t0, Duration::ZERO, 10);
        let a = l.admit("ttl", t0 + WINDOW);
        assert!(a.show);
        assert_eq!(a.suppressed_before, Some(u64::from(10 - BURST)));
        let (shown, summaries) = feed(&mut l, "ttl", t0, WINDOW + MS, 100);
        assert_eq!(shown, BURST - 1);
        assert!(summaries.is_empty());
    }

    #[test]
    fn kinds_are_limited_separately() {
        let t0 = Instant::now();
        let mut l = LogLimiter::default();
        let (a, _) = feed(&mut l, "ttl", t0, Duration::ZERO, 50);
        let (b, _) = feed(&mut l, "version", t0, Duration::ZERO, 50);
        assert_eq!((a, b), (BURST, BURST));
        let mut ended = l.close_ended(t0 + WINDOW * 2);
        ended.sort_unstable();
        assert_eq!(ended, vec![("ttl", 47), ("version", 47)]);
    }

    #[test]
    fn a_slow_trickle_is_never_suppressed() {
        let t0 = Instant::now();
        let mut l = LogLimiter::default();
        let slow = WINDOW / BURST + MS;
        for k in 0..100 {
            let a = l.admit("length", t0 + slow * k);
            assert!(a.show && a.suppressed_before.is_none(), "occurrence {k}");
        }
    }

    #[test]
    fn a_long_flood_logs_a_bounded_number_of_lines() {
        // 20,000 occurrences at 1,000 a second: per window BURST lines plus one summary.
        let t0 = Instant::now();
        let mut l = LogLimiter::default();
        let (shown, summaries) = feed(&mut l, "checksum", t0, Duration::ZERO, 20_000);
        let tail = l.close_ended(t0 + Duration::from_secs(60));
        let windows = 20_000 / WINDOW.as_millis() as u32;
        assert_eq!(shown, BURST * windows);
        let suppressed: u64 = summaries.iter().sum::<u64>() + tail.iter().map(|t| t.1).sum::<u64>();
        assert_eq!(
            suppressed + u64::from(shown),
            20_000,
            "every occurrence accounted for"
        );
        assert_eq!(summaries.len() + tail.len(), windows as usize);
    }

    #[test]
    fn summary_names_instance_and_reason() {
        assert_eq!(
            summary_text(Some("VI_1"), "password", 42),
            "(VI_1) 42 similar messages suppressed (password)"
        );
        assert_eq!(
            summary_text(None, "short", 7),
            "7 similar messages suppressed (short)"
        );
    }
}
