//! Lost log lines are reported, not just counted: a warning line in the log itself and the
//! `keepalived_log_lines_dropped_total` metric.
//!
//! A full queue drops lines on the caller's side (no caller may wait for a sink). Those
//! losses are told by the writer thread, which writes straight to the sinks, so the report
//! itself can never be dropped by the full queue it reports on.
//!
//! The total is also kept process-wide because the logger is process-wide (one
//! `log::set_boxed_logger` per process) while the metrics endpoint renders from state
//! snapshots that know nothing of the logger; a scrape reads the live figure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Lines dropped at a full queue since the process started, by any logger.
static LINES_DROPPED: AtomicU64 = AtomicU64::new(0);

/// Lines dropped at a full log queue since the process started (for /metrics).
pub fn lines_dropped_total() -> u64 {
    LINES_DROPPED.load(Ordering::Relaxed)
}

/// Counts one line dropped at a full queue.
pub(super) fn note_dropped() {
    LINES_DROPPED.fetch_add(1, Ordering::Relaxed);
}

/// While the writer is still behind, at most one report per this period.
pub const REPORT_PERIOD: Duration = Duration::from_secs(1);

/// The warning written for `lost` lines.
pub fn loss_text(lost: u64) -> String {
    format!("{lost} log lines lost: the log queue was full")
}

/// Decides when the writer reports losses: as soon as it has caught up (the queue is
/// empty, so the report costs nothing), and while it is still behind at most once per
/// [`REPORT_PERIOD`], so a long overload is reported while it lasts.
#[derive(Debug, Default)]
pub struct LossReport {
    reported: u64,
    last: Option<Instant>,
}

impl LossReport {
    /// Lines lost since the last report, if one is due at `now`; `dropped` is the logger's
    /// running count.
    pub fn due(&mut self, dropped: u64, now: Instant, caught_up: bool) -> Option<u64> {
        if dropped <= self.reported {
            return None;
        }
        let period_over = self
            .last
            .is_none_or(|t| now.saturating_duration_since(t) >= REPORT_PERIOD);
        if !caught_up && !period_over {
            return None;
        }
        let lost = dropped - self.reported;
        self.reported = dropped;
        self.last = Some(now);
        Some(lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn nothing_lost_nothing_reported() {
        let mut r = LossReport::default();
        assert_eq!(r.due(0, Instant::now(), true), None);
    }

    #[test]
    fn reported_when_caught_up_and_only_new_losses() {
        let t0 = Instant::now();
        let mut r = LossReport::default();
        assert_eq!(r.due(5, t0, true), Some(5));
        assert_eq!(r.due(5, t0 + MS, true), None, "already reported");
        assert_eq!(r.due(12, t0 + 2 * MS, true), Some(7));
    }

    #[test]
    fn while_behind_at_most_once_a_period() {
        let t0 = Instant::now();
        let mut r = LossReport::default();
        assert_eq!(r.due(3, t0, false), Some(3), "the first loss at once");
        assert_eq!(r.due(50, t0 + 500 * MS, false), None);
        assert_eq!(r.due(90, t0 + REPORT_PERIOD, false), Some(87));
        assert_eq!(r.due(95, t0 + REPORT_PERIOD + MS, true), Some(5));
    }

    #[test]
    fn text_says_how_many() {
        assert_eq!(loss_text(3), "3 log lines lost: the log queue was full");
    }
}
