//! Timestamps in the three forms keepalived writes, all in local time (as `localtime(3)`,
//! so `TZ` and `/etc/localtime` apply). Formatting happens on the writer thread; the
//! logging call only reads the clock.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use jiff::tz::TimeZone;

fn local(time: SystemTime) -> jiff::ZonedDateTime {
    let ts = jiff::Timestamp::try_from(time).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(local_zone())
}

/// How long a zone read from `/etc/localtime` is used before the file is read again
/// (so a changed host zone shows up in the log, as with `localtime(3)`).
const ZONE_REFRESH: Duration = Duration::from_secs(5);

/// The local zone. With `TZ` set, jiff's own lookup. Otherwise `/etc/localtime` read
/// directly: jiff would first look the zone's name up in its database, which lists all
/// of `/usr/share/zoneinfo` into memory (85 KiB kept for the daemon's life) only to
/// name a zone the log never prints.
pub(crate) fn local_zone() -> TimeZone {
    if std::env::var_os("TZ").is_some() {
        return TimeZone::system();
    }
    static CACHED: Mutex<Option<(Instant, TimeZone)>> = Mutex::new(None);
    let mut cached = CACHED.lock().unwrap_or_else(|e| e.into_inner());
    match &*cached {
        Some((read, zone)) if read.elapsed() < ZONE_REFRESH => zone.clone(),
        _ => {
            let zone = std::fs::read("/etc/localtime")
                .ok()
                .and_then(|data| TimeZone::tzif("localtime", &data).ok())
                .unwrap_or(TimeZone::UTC);
            *cached = Some((Instant::now(), zone.clone()));
            zone
        }
    }
}

/// RFC 3164 TIMESTAMP, as glibc's syslog: `Jan  6 09:05:01` (day padded with a space).
pub fn syslog_timestamp(time: SystemTime) -> String {
    local(time).strftime("%b %e %H:%M:%S").to_string()
}

/// Console line prefix, C-locale `%c` as keepalived uses: `Wed Jan  6 09:05:01 2021`.
pub fn console_timestamp(time: SystemTime) -> String {
    local(time).strftime("%a %b %e %H:%M:%S %Y").to_string()
}

/// Log-file line prefix, keepalived's `-g` form: `Wed Jan 06 09:05:01.123456789 2021`.
pub fn file_timestamp(time: SystemTime) -> String {
    local(time).strftime("%a %b %d %H:%M:%S.%N %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(ts: &str, expect: &str) {
        assert_eq!(ts.len(), expect.len(), "{ts:?} vs {expect:?}");
        for (a, b) in ts.chars().zip(expect.chars()) {
            match b {
                'A' => assert!(a.is_ascii_alphabetic(), "{ts:?}"),
                '9' => assert!(a.is_ascii_digit(), "{ts:?}"),
                '_' => assert!(a == ' ' || a.is_ascii_digit(), "{ts:?}"),
                other => assert_eq!(a, other, "{ts:?}"),
            }
        }
    }

    #[test]
    fn timestamp_shapes() {
        // Several instants, so both one- and two-digit days are covered.
        for days in [0u64, 9, 10, 19000, 19009] {
            let t = SystemTime::UNIX_EPOCH + Duration::from_secs(days * 86_400 + 12 * 3600 + 7);
            shapes(&syslog_timestamp(t), "AAA _9 99:99:99");
            shapes(&console_timestamp(t), "AAA AAA _9 99:99:99 9999");
            shapes(&file_timestamp(t), "AAA AAA 99 99:99:99.999999999 9999");
        }
    }
}
