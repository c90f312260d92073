//! Turning a stream of probe results into outage windows.
//!
//! ```text
//!  probes:   ok ok ok  x  x  x  x  ok ok
//!                   │  │           │
//!          last ok ─┘  first fail  first ok again
//!                   ├──────────────┤  length = first ok again − last ok
//! ```
//! The window runs from the completion of the last successful probe to the completion of
//! the first successful one after it: what a client looping on the VIP would see as its
//! longest silence, at the resolution of the probe interval. An outage at start-up begins
//! at the start of the run; one still open at the end is reported as ongoing.

use serde::Serialize;
use std::time::Duration;

/// One closed (or, at the end of a run, ongoing) outage; times are ms since the run began.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outage {
    pub start_ms: f64,
    pub first_failure_ms: f64,
    pub end_ms: f64,
    pub length_ms: f64,
    pub failed_probes: u64,
    pub first_error: String,
    pub ongoing: bool,
}

/// Running totals of a probe run.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub probes: u64,
    pub ok: u64,
    pub failed: u64,
    pub outages: Vec<Outage>,
    pub total_outage_ms: f64,
    pub longest_outage_ms: f64,
    #[serde(skip)]
    last_ok_end: Option<Duration>,
    #[serde(skip)]
    open: Option<Outage>,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

impl Summary {
    /// Records a probe that ran from `start` to `end` (offsets from the run's start).
    pub fn record(&mut self, start: Duration, end: Duration, result: Result<(), String>) {
        self.probes += 1;
        match result {
            Ok(()) => {
                self.ok += 1;
                if let Some(mut o) = self.open.take() {
                    o.end_ms = ms(end);
                    o.length_ms = ((o.end_ms - o.start_ms) * 1e3).round() / 1e3;
                    self.close(o);
                }
                self.last_ok_end = Some(end);
            }
            Err(e) => {
                self.failed += 1;
                match &mut self.open {
                    Some(o) => o.failed_probes += 1,
                    None => {
                        self.open = Some(Outage {
                            start_ms: ms(self.last_ok_end.unwrap_or_default()),
                            first_failure_ms: ms(start),
                            end_ms: 0.0,
                            length_ms: 0.0,
                            failed_probes: 1,
                            first_error: e,
                            ongoing: false,
                        })
                    }
                }
            }
        }
    }

    fn close(&mut self, o: Outage) {
        self.total_outage_ms += o.length_ms;
        self.longest_outage_ms = self.longest_outage_ms.max(o.length_ms);
        self.outages.push(o);
    }

    /// An outage open right now (for the progress line).
    pub fn open_outage(&self) -> Option<&Outage> {
        self.open.as_ref()
    }

    /// Ends the run at `now`, closing an open outage as ongoing.
    pub fn finish(&mut self, now: Duration) {
        if let Some(mut o) = self.open.take() {
            o.end_ms = ms(now);
            o.length_ms = ((o.end_ms - o.start_ms) * 1e3).round() / 1e3;
            o.ongoing = true;
            self.close(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn run(results: &[(u64, bool)]) -> Summary {
        let mut s = Summary::default();
        for &(at, ok) in results {
            let r = if ok { Ok(()) } else { Err(format!("e{at}")) };
            s.record(t(at), t(at + 1), r);
        }
        s
    }

    #[test]
    fn window_runs_from_last_success_to_first_success_after() {
        let s = run(&[
            (0, true),
            (10, true),
            (20, false),
            (30, false),
            (40, true),
            (50, true),
        ]);
        assert_eq!((s.probes, s.ok, s.failed), (6, 4, 2));
        assert_eq!(s.outages.len(), 1);
        let o = &s.outages[0];
        assert_eq!(
            (o.start_ms, o.first_failure_ms, o.end_ms),
            (11.0, 20.0, 41.0)
        );
        assert_eq!((o.length_ms, o.failed_probes), (30.0, 2));
        assert_eq!(o.first_error, "e20");
        assert!(!o.ongoing);
        assert_eq!((s.total_outage_ms, s.longest_outage_ms), (30.0, 30.0));
    }

    #[test]
    fn separate_outages_are_counted_apart() {
        let s = run(&[
            (0, true),
            (10, false),
            (20, true),
            (30, false),
            (40, false),
            (90, true),
        ]);
        let lengths: Vec<f64> = s.outages.iter().map(|o| o.length_ms).collect();
        assert_eq!(lengths, [20.0, 70.0]);
        assert_eq!((s.total_outage_ms, s.longest_outage_ms), (90.0, 70.0));
    }

    #[test]
    fn outage_at_start_and_at_end() {
        let mut s = run(&[(0, false), (10, true), (20, false)]);
        assert!(s.open_outage().is_some());
        s.finish(t(100));
        assert_eq!(s.outages.len(), 2);
        assert_eq!((s.outages[0].start_ms, s.outages[0].length_ms), (0.0, 11.0));
        let last = &s.outages[1];
        assert!(last.ongoing);
        assert_eq!(
            (last.start_ms, last.end_ms, last.length_ms),
            (11.0, 100.0, 89.0)
        );
    }

    #[test]
    fn no_failures_no_outages() {
        let mut s = run(&[(0, true), (5, true)]);
        s.finish(t(10));
        assert!(s.outages.is_empty());
        assert_eq!(s.total_outage_ms, 0.0);
    }
}
