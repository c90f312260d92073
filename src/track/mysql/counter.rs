//! keepalived's rise/fall result counter, shared in meaning with `vrrp_script`.
//!
//! The counter runs from 0 to `rise + fall - 1`; values at or above `rise` mean "up".
//! A success increments it, a failure decrements it (both saturating), so a healthy check
//! needs `fall` failures in a row to go down and a long-failed one `rise` successes to come
//! back, while a brief blip in either direction is absorbed. At start the counter sits at
//! `rise - 1`, one success from up (keepalived's default), or at 0 with `init_fail`.

/// Result counter of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    value: u32,
    reported: Option<bool>,
}

impl RiseFall {
    /// `rise` and `fall` below 1 are taken as 1.
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> Self {
        let rise = rise.max(1);
        let fall = fall.max(1);
        RiseFall {
            rise,
            fall,
            value: if init_fail { 0 } else { rise - 1 },
            reported: None,
        }
    }

    /// Whether the counter currently means "up".
    pub fn is_up(&self) -> bool {
        self.value >= self.rise
    }

    /// Records one check result; returns the new state when it must be reported (the first
    /// result, and every change after it).
    pub fn record(&mut self, success: bool) -> Option<bool> {
        let top = self.rise + self.fall - 1;
        self.value = if success {
            (self.value + 1).min(top)
        } else {
            self.value.saturating_sub(1)
        };
        let up = self.is_up();
        (self.reported != Some(up)).then(|| {
            self.reported = Some(up);
            up
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(c: &mut RiseFall, results: &str) -> Vec<Option<bool>> {
        results.chars().map(|r| c.record(r == '+')).collect()
    }

    #[test]
    fn first_result_is_always_reported() {
        assert_eq!(RiseFall::new(3, 2, false).record(true), Some(true));
        assert_eq!(RiseFall::new(3, 2, false).record(false), Some(false));
        assert_eq!(RiseFall::new(1, 1, false).record(false), Some(false));
    }

    #[test]
    fn fall_failures_in_a_row_take_it_down() {
        let mut c = RiseFall::new(1, 3, false);
        assert_eq!(
            run(&mut c, "+++--+--"),
            // Up at once; the counter fills to its top (3); two failures are absorbed; one
            // success refills a single step, so two more failures take it down.
            [Some(true), None, None, None, None, None, None, Some(false)]
        );
    }

    #[test]
    fn long_failure_needs_rise_successes() {
        let mut c = RiseFall::new(3, 2, false);
        assert_eq!(c.record(false), Some(false));
        run(&mut c, "-----");
        assert_eq!(run(&mut c, "++"), [None, None]);
        assert_eq!(c.record(true), Some(true));
    }

    #[test]
    fn init_fail_starts_at_zero() {
        let mut c = RiseFall::new(2, 2, true);
        assert_eq!(c.record(true), Some(false));
        assert_eq!(c.record(true), Some(true));
        let mut d = RiseFall::new(2, 2, false);
        assert_eq!(d.record(true), Some(true));
    }

    #[test]
    fn zero_rise_or_fall_behaves_as_one() {
        let mut c = RiseFall::new(0, 0, false);
        assert_eq!(
            run(&mut c, "+-+-"),
            [Some(true), Some(false), Some(true), Some(false)]
        );
    }
}
