//! Effective priority from tracked objects (keepalived `vrrp_track.c` semantics).
//!
//! * weight > 0: added while the object is up;
//! * weight < 0: added (so subtracted) while it is down;
//! * weight 0: the instance is in FAULT while the object is down;
//! * `reverse` swaps up and down;
//! * a value (track_file): weight 0 ⇒ non-zero is a fault; else value × weight is added,
//!   and a result below −253 is a fault.

use super::config::TrackerRef;
use super::router::TrackerStatus;

/// What one tracker contributes to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contribution {
    Weight(i32),
    Fault,
}

pub(crate) fn contribution(t: &TrackerRef, weight: i32, status: TrackerStatus) -> Contribution {
    match status {
        TrackerStatus::Value(v) => {
            if weight == 0 {
                if v != 0 {
                    Contribution::Fault
                } else {
                    Contribution::Weight(0)
                }
            } else {
                let sign = if t.reverse { -1 } else { 1 };
                let c = v.saturating_mul(weight).saturating_mul(sign);
                if c < -253 {
                    Contribution::Fault
                } else {
                    Contribution::Weight(c)
                }
            }
        }
        TrackerStatus::Up | TrackerStatus::Down => {
            let up = (status == TrackerStatus::Up) != t.reverse;
            match (weight, up) {
                (0, false) => Contribution::Fault,
                (0, true) => Contribution::Weight(0),
                (w, true) if w > 0 => Contribution::Weight(w),
                (w, false) if w < 0 => Contribution::Weight(w),
                _ => Contribution::Weight(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::config::TrackerId;

    fn t(reverse: bool) -> TrackerRef {
        TrackerRef {
            id: TrackerId(1),
            weight: 0,
            reverse,
        }
    }

    #[test]
    fn reference_3_7_weight_semantics() {
        use Contribution::*;
        use TrackerStatus::*;
        assert_eq!(contribution(&t(false), 10, Up), Weight(10));
        assert_eq!(contribution(&t(false), 10, Down), Weight(0));
        assert_eq!(contribution(&t(false), -10, Up), Weight(0));
        assert_eq!(contribution(&t(false), -10, Down), Weight(-10));
        assert_eq!(contribution(&t(false), 0, Down), Fault);
        assert_eq!(contribution(&t(false), 0, Up), Weight(0));
        // reverse swaps up and down
        assert_eq!(contribution(&t(true), 10, Down), Weight(10));
        assert_eq!(contribution(&t(true), 0, Up), Fault);
        // track_file values
        assert_eq!(contribution(&t(false), 0, Value(3)), Fault);
        assert_eq!(contribution(&t(false), 0, Value(0)), Weight(0));
        assert_eq!(contribution(&t(false), 2, Value(-5)), Weight(-10));
        assert_eq!(contribution(&t(false), 100, Value(-3)), Fault);
    }
}
