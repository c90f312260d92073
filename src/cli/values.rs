//! Values of individual options, parsed as keepalived parses them.

use crate::daemon::log::Facility;

/// `-S`/`--log-facility`: `0`–`7` and `local0`–`local7` select LOG_LOCAL0–7; `user` and
/// `daemon` name those facilities. Case-sensitive, as in keepalived (`LOCAL3` is invalid).
pub(crate) fn parse_facility(text: &str) -> Option<Facility> {
    let local = |digits: &str| -> Option<Facility> {
        if digits.len() == 1 {
            let n = digits.parse::<u8>().ok()?;
            Facility::local(n)
        } else {
            None
        }
    };
    match text {
        "daemon" => Some(Facility::Daemon),
        "user" => Some(Facility::User),
        _ => local(text).or_else(|| text.strip_prefix("local").and_then(local)),
    }
}

/// `-u`/`--umask`: a number in C `strtol(…, 0)` notation (`077`, `0x3f`, `63`) whose bits
/// are all permission bits (at most 0777).
pub(crate) fn parse_umask(text: &str) -> Option<u32> {
    let (digits, radix) =
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (hex, 16)
        } else if text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text, 10)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix)
        .ok()
        .filter(|m| m & !0o777 == 0)
}

/// `--signum=SIGFUNC`: the signal keepalived uses for each function, on this system.
///
/// STATS_CLEAR and JSON are real-time signals whose numbers depend on the C library
/// (glibc reserves two, so SIGRTMIN is 34 there and JSON is 36; musl differs), so they are
/// computed, never hard-coded. Names are case-sensitive, as in keepalived.
pub fn signal_number(function: &str) -> Option<i32> {
    match function {
        "STOP" => Some(libc::SIGTERM),
        "RELOAD" => Some(libc::SIGHUP),
        "DATA" => Some(libc::SIGUSR1),
        "STATS" => Some(libc::SIGUSR2),
        "STATS_CLEAR" => Some(libc::SIGRTMAX() - 1),
        "JSON" => Some(libc::SIGRTMIN() + 2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facility_numbers_and_names() {
        for n in 0..8u8 {
            assert_eq!(parse_facility(&n.to_string()), Facility::local(n));
            assert_eq!(parse_facility(&format!("local{n}")), Facility::local(n));
        }
        assert_eq!(parse_facility("daemon"), Some(Facility::Daemon));
        assert_eq!(parse_facility("user"), Some(Facility::User));
        for bad in [
            "8", "local8", "LOCAL1", "Daemon", "", "local", "-1", "01", "kern", "local 1",
        ] {
            assert_eq!(parse_facility(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn umask_in_c_notation() {
        assert_eq!(parse_umask("022"), Some(0o22));
        assert_eq!(parse_umask("0"), Some(0));
        assert_eq!(parse_umask("18"), Some(18));
        assert_eq!(parse_umask("0x3f"), Some(0o77));
        assert_eq!(parse_umask("0777"), Some(0o777));
        for bad in ["abc", "", "01000", "512", "08", "0x", "-1", "22 "] {
            assert_eq!(parse_umask(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn signal_numbers_match_keepalived_on_this_libc() {
        assert_eq!(signal_number("STOP"), Some(15));
        assert_eq!(signal_number("RELOAD"), Some(1));
        assert_eq!(signal_number("DATA"), Some(10));
        assert_eq!(signal_number("STATS"), Some(12));
        assert_eq!(signal_number("STATS_CLEAR"), Some(libc::SIGRTMAX() - 1));
        assert_eq!(signal_number("JSON"), Some(libc::SIGRTMIN() + 2));
        assert_eq!(signal_number("stop"), None);
        assert_eq!(signal_number("TDUMP"), None);
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn realtime_signal_numbers_on_glibc() {
        assert_eq!(signal_number("STATS_CLEAR"), Some(63));
        assert_eq!(signal_number("JSON"), Some(36));
    }
}
