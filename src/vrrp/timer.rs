//! VRRP timer formulas in keepalived's integer microsecond arithmetic (RFC 3768 §6.1,
//! RFC 5798 §6.1; keepalived `include/vrrp.h`).
//!
//! Inputs and outputs are [`Duration`]s; the integer µs steps are kept so that results
//! (and so the failover race between peers) are identical to keepalived's to the µs.

use std::time::Duration;

use super::family::Version;

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

/// Skew_Time.
///
/// * v2: `(256 − prio) × 1 000 000 / 256` µs, independent of the interval.
/// * v3: `(256 − prio) × (master_adver_int / 10 000 µs) × 625 / 16` µs,
///   i.e. `(256 − prio)/256 × interval` in centisecond steps.
pub fn skew(version: Version, priority_term: u64, master_adver_int: Duration) -> Duration {
    let us = match version {
        Version::V2 => priority_term * 1_000_000 / 256,
        Version::V3 => priority_term * (micros(master_adver_int) / 10_000) * 625 / 16,
    };
    Duration::from_micros(us)
}

/// Skew for an effective priority.
pub fn skew_for(version: Version, priority: u8, master_adver_int: Duration) -> Duration {
    skew(version, 256 - u64::from(priority), master_adver_int)
}

/// The smallest skew (priority term 1), used for sync-group members held in BACKUP.
pub fn skew_min(version: Version, master_adver_int: Duration) -> Duration {
    skew(version, 1, master_adver_int)
}

/// Master_Down_Interval = `down_timer_adverts × master_adver_int + skew`.
pub fn master_down_interval(
    version: Version,
    priority: u8,
    master_adver_int: Duration,
    down_timer_adverts: u32,
) -> Duration {
    master_adver_int * down_timer_adverts + skew_for(version, priority, master_adver_int)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    /// keepalived 2.2.7, VRRPv2: prio 100, 1 s → skew 609 375 µs,
    /// down timer 3 609 375 µs (keepalived's dump "Master down timer = 3609375 usecs").
    #[test]
    fn checklist_9_v2_skew_and_down_timer_prio_100() {
        assert_eq!(
            skew_for(Version::V2, 100, SEC),
            Duration::from_micros(609_375)
        );
        assert_eq!(
            master_down_interval(Version::V2, 100, SEC, 3),
            Duration::from_micros(3_609_375)
        );
        assert_eq!(
            skew_for(Version::V2, 50, SEC),
            Duration::from_micros(804_687)
        );
    }

    #[test]
    fn v2_skew_is_independent_of_interval() {
        let five = Duration::from_secs(5);
        assert_eq!(
            skew_for(Version::V2, 100, five),
            skew_for(Version::V2, 100, SEC)
        );
        assert_eq!(
            master_down_interval(Version::V2, 100, five, 3),
            Duration::from_micros(15_609_375)
        );
    }

    /// RFC 5798 §6.1: v3 skew scales with the master's interval.
    #[test]
    fn rfc5798_6_1_v3_skew_scales_with_interval() {
        assert_eq!(
            skew_for(Version::V3, 100, SEC),
            Duration::from_micros(609_375)
        );
        let cs50 = Duration::from_millis(500);
        assert_eq!(
            skew_for(Version::V3, 100, cs50),
            Duration::from_micros(304_687)
        );
        assert_eq!(
            master_down_interval(Version::V3, 100, cs50, 3),
            Duration::from_micros(1_804_687)
        );
        // Truncation to whole centiseconds, as keepalived does.
        let odd = Duration::from_micros(1_009_999);
        assert_eq!(
            skew_for(Version::V3, 255, odd),
            Duration::from_micros(100 * 625 / 16)
        );
    }

    #[test]
    fn down_timer_adverts_multiplies_interval() {
        assert_eq!(
            master_down_interval(Version::V2, 255, SEC, 1),
            SEC + Duration::from_micros(3_906)
        );
        assert_eq!(skew_min(Version::V2, SEC), Duration::from_micros(3_906));
    }
}
