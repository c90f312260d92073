//! Effective priority from tracked objects (keepalived `vrrp_track.c` semantics).
//!
//! * weight > 0: added while the object is up;
//! * weight < 0: added (so subtracted) while it is down;
//! * weight 0: the instance is in FAULT while the object is down;
//! * `reverse` negates the weight's contribution (weight 0: the fault is while up);
//! * a value (track_file): weight 0 ⇒ non-zero is a fault; else value × weight is added,
//!   and a result below −253 is a fault.

use super::config::TrackerRef;

/// State of a tracked object, as reported by the tracker that watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerStatus {
    Up,
    Down,
    /// A numeric result (track_file).
    Value(i32),
}

/// What one tracker contributes to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contribution {
    Weight(i32),
    Fault,
}

pub(crate) fn contribution(t: &TrackerRef, weight: i32, status: TrackerStatus) -> Contribution {
    // keepalived keeps `reverse` as a multiplier of −1 on the weight; for weight 0 it
    // swaps which state is the fault.
    let multiplier = if t.reverse { -1 } else { 1 };
    match status {
        TrackerStatus::Value(v) => {
            if weight == 0 {
                if (v != 0) != t.reverse {
                    Contribution::Fault
                } else {
                    Contribution::Weight(0)
                }
            } else {
                let c = v.saturating_mul(weight).saturating_mul(multiplier);
                if c < -253 {
                    Contribution::Fault
                } else {
                    Contribution::Weight(c.min(253))
                }
            }
        }
        TrackerStatus::Up | TrackerStatus::Down => {
            let up = status == TrackerStatus::Up;
            match (weight, up) {
                (0, _) if up == t.reverse => Contribution::Fault,
                (0, _) => Contribution::Weight(0),
                (w, true) if w > 0 => Contribution::Weight(w * multiplier),
                (w, false) if w < 0 => Contribution::Weight(w * multiplier),
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
        // reverse negates the weight (keepalived's weight_multiplier −1) …
        assert_eq!(contribution(&t(true), 10, Up), Weight(-10));
        assert_eq!(contribution(&t(true), 10, Down), Weight(0));
        assert_eq!(contribution(&t(true), -10, Down), Weight(10));
        // … and for weight 0 makes "up" the fault.
        assert_eq!(contribution(&t(true), 0, Up), Fault);
        assert_eq!(contribution(&t(true), 0, Down), Weight(0));
        assert_eq!(contribution(&t(true), 0, Value(0)), Fault);
        assert_eq!(contribution(&t(true), 2, Value(5)), Weight(-10));
        assert_eq!(contribution(&t(false), 100, Value(5)), Weight(253));
        // track_file values
        assert_eq!(contribution(&t(false), 0, Value(3)), Fault);
        assert_eq!(contribution(&t(false), 0, Value(0)), Weight(0));
        assert_eq!(contribution(&t(false), 2, Value(-5)), Weight(-10));
        assert_eq!(contribution(&t(false), 100, Value(-3)), Fault);
    }
}
