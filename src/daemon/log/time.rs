//! Timestamps in the three forms keepalived writes, all in local time (as `localtime(3)`,
//! so `TZ` and `/etc/localtime` apply). Formatting happens on the writer thread; the
//! logging call only reads the clock.

use std::time::SystemTime;

fn local(time: SystemTime) -> jiff::ZonedDateTime {
    let ts = jiff::Timestamp::try_from(time).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(jiff::tz::TimeZone::system())
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
    use std::time::Duration;

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
