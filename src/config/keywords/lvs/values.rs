//! keepalived's readers of numbers, timers, booleans and addresses as its checker process
//! runs them under `-t` (its `read_unsigned_strvec`, `read_timer`, `check_true_false`,
//! `inet_stosockaddr`), with their messages.

use crate::config::lower::Lower;
use crate::config::lvs::finding;
use crate::config::syntax::Token;
use std::net::IpAddr;

/// `UINT_MAX`, the upper bound of most of keepalived's counts.
pub const UINT_MAX: u64 = u32::MAX as u64;
/// keepalived's largest timer, in microseconds (`ULONG_MAX - 1`).
pub const TIMER_MAX: u64 = u64::MAX - 1;

/// An unsigned integer in `[min, max]`; under `-t` keepalived rejects anything else, saying
/// why first.
pub fn unsigned(cx: &mut Lower, tok: &Token, min: u64, max: u64) -> Option<u64> {
    let text = tok.text.as_str();
    let s = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let problem = if s.starts_with('-') {
        format!("negative number '{text}'")
    } else {
        let digits = s.strip_prefix('+').unwrap_or(s);
        let end = digits.bytes().take_while(u8::is_ascii_digit).count();
        if end < digits.len() || (end == 0 && !s.is_empty()) {
            format!("invalid number '{text}'")
        } else {
            match digits
                .parse::<u64>()
                .unwrap_or(if end == 0 { 0 } else { u64::MAX })
            {
                v if v > UINT_MAX => format!("number '{text}' outside unsigned integer range"),
                v if v < min || v > max => format!("number '{text}' outside range [{min}, {max}]"),
                v => return Some(v),
            }
        }
    };
    cx.push(finding(tok.span, problem));
    None
}

/// A signed integer in `[min, max]` (keepalived's `read_int_strvec` under `-t`).
pub fn int(cx: &mut Lower, tok: &Token, min: i64, max: i64) -> Option<i64> {
    let text = tok.text.as_str();
    let s = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    let problem = if end < digits.len() || (end == 0 && !s.is_empty()) {
        format!("invalid number '{text}'")
    } else {
        let unsigned = s.strip_prefix('+').unwrap_or(s);
        match unsigned
            .parse::<i64>()
            .unwrap_or(if end == 0 { 0 } else { i64::MAX })
        {
            v if i32::try_from(v).is_err() => format!("number '{text}' outside integer range"),
            v if v < min || v > max => format!("number '{text}' outside range [{min}, {max}]"),
            v => return Some(v),
        }
    };
    cx.push(finding(tok.span, problem));
    None
}

/// A number of seconds with up to six decimals, as microseconds in `[min, max]`. A word
/// that is not a number is reported, but keepalived then keeps the digits it could read
/// when they are in range (`3s` is 3 µs).
pub fn timer(cx: &mut Lower, tok: &Token, min: u64, max: u64) -> Option<u64> {
    timer_reported(cx, tok, min, max, finding)
}

/// [`timer`] with the findings made by `finding` (keepalived's `read_timer` is shared by
/// its checker and VRRP sides; only how a finding counts differs).
pub fn timer_reported(
    cx: &mut Lower,
    tok: &Token,
    min: u64,
    max: u64,
    finding: fn(crate::config::span::Span, String) -> crate::config::diag::Diagnostic,
) -> Option<u64> {
    let text = tok.text.as_str();
    if text.starts_with('-') {
        cx.push(finding(tok.span, format!("negative number '{text}'")));
        return None;
    }
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut round_up = false;
    let mut frac = frac.to_string();
    if frac.chars().count() > 6 {
        cx.push(finding(
            tok.span,
            format!("number '{text}' has too many decimal places"),
        ));
        round_up = frac.as_bytes()[6] >= b'5';
        frac = frac.chars().take(6).collect();
    }
    let joined = format!("{int}{frac:0<6}");
    let s = joined.trim_start_matches([' ', '\t']);
    let s = s.strip_prefix('+').unwrap_or(s);
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    let value = s[..end].parse::<u128>().unwrap_or(0) + u128::from(round_up);
    if end < s.len() {
        cx.push(finding(tok.span, format!("invalid number '{text}'")));
        let v = u64::try_from(value).ok()?;
        return (min..=max).contains(&v).then_some(v);
    }
    let Ok(v) = u64::try_from(value) else {
        cx.push(finding(
            tok.span,
            format!("number '{text}' outside unsigned decimal range"),
        ));
        return None;
    };
    if !(min..=max).contains(&v) {
        let secs = |us: u64| format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
        cx.push(finding(
            tok.span,
            format!(
                "number '{text}' outside range [{}, {}]",
                secs(min),
                secs(max)
            ),
        ));
        return None;
    }
    Some(v)
}

/// keepalived's `check_true_false`: exactly `true`/`on`/`yes` or `false`/`off`/`no`.
pub fn true_false(word: &str) -> Option<bool> {
    match word {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// keepalived's `inet_stosockaddr`: an address (anything from a `-` or `/` on is a range or
/// mask, ignored here) and an optional port in `[1, 65535]` (whose number findings are
/// reported). `None` when either is invalid.
pub fn socket_addr(cx: &mut Lower, ip: &str, port: Option<&Token>) -> Option<(IpAddr, u16)> {
    let port = match port {
        Some(p) => Some(unsigned(cx, p, 1, 65535)? as u16),
        None => None,
    };
    let bare = ip.split(['-', '/']).next().unwrap_or(ip);
    let addr = if ip.contains(':') {
        bare.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        bare.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    };
    Some((addr?, port.unwrap_or(0)))
}

/// Whether glibc's numeric IPv4 parser (`inet_aton`, which `getaddrinfo` with
/// `AI_NUMERICHOST` uses) takes `s`: one to four parts, each decimal, octal (leading `0`) or
/// hex (`0x`), the last one filling the remaining bytes (`24` is 0.0.0.24).
pub fn inet_aton(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return false;
    }
    let values: Option<Vec<u64>> = parts
        .iter()
        .map(|p| {
            let (digits, radix) = match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                Some(h) => (h, 16),
                None if p.len() > 1 && p.starts_with('0') => (&p[1..], 8),
                None => (*p, 10),
            };
            if digits.is_empty() && radix != 16 {
                return None;
            }
            if digits.is_empty() {
                return Some(0);
            }
            u64::from_str_radix(digits, radix).ok()
        })
        .collect();
    let Some(values) = values else { return false };
    let (last, leading) = values.split_last().expect("split gives one part at least");
    let room = 8 * (4 - leading.len() as u32);
    leading.iter().all(|v| *v <= 255) && *last < (1u64 << room)
}

/// A port word keepalived passes on only when it is not all zeros (port 0 means "none").
pub fn nonzero_port(tok: Option<&Token>) -> Option<&Token> {
    tok.filter(|t| !t.text.trim_start_matches('0').is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::span::Span;

    fn tok(text: &str) -> Token {
        Token {
            text: text.into(),
            span: Span::default(),
            quoted: false,
        }
    }

    /// The value and the messages of one reader call.
    fn read<T>(
        f: impl FnOnce(&mut Lower, &Token) -> Option<T>,
        text: &str,
    ) -> (Option<T>, Vec<String>) {
        let mut cx = Lower::new();
        let v = f(&mut cx, &tok(text));
        (v, cx.diags.into_iter().map(|d| d.message).collect())
    }

    #[test]
    fn unsigned_rejects_with_keepalived_words() {
        let u = |cx: &mut Lower, t: &Token| unsigned(cx, t, 1, 65535);
        assert_eq!(read(u, "80"), (Some(80), vec![]));
        assert_eq!(read(u, "0").1, ["number '0' outside range [1, 65535]"]);
        assert_eq!(read(u, "-1").1, ["negative number '-1'"]);
        assert_eq!(read(u, "8x").1, ["invalid number '8x'"]);
        assert_eq!(
            read(u, "99999999999").1,
            ["number '99999999999' outside unsigned integer range"]
        );
    }

    #[test]
    fn timers_keep_what_keepalived_keeps() {
        let t = |cx: &mut Lower, tk: &Token| timer(cx, tk, 0, TIMER_MAX);
        assert_eq!(read(t, "1.5"), (Some(1_500_000), vec![]));
        // Not a number, but the digits before the junk are in range: kept, with a message.
        assert_eq!(
            read(t, "3s"),
            (Some(3), vec!["invalid number '3s'".to_string()])
        );
        assert_eq!(
            read(t, "1.0000005").1,
            ["number '1.0000005' has too many decimal places"]
        );
        assert_eq!(read(t, "1.0000005").0, Some(1_000_001));
        let t1 = |cx: &mut Lower, tk: &Token| timer(cx, tk, 1, UINT_MAX);
        assert_eq!(
            read(t1, "0").1,
            ["number '0' outside range [0.000001, 4294.967295]"]
        );
    }

    #[test]
    fn booleans_and_addresses() {
        assert_eq!(true_false("on"), Some(true));
        assert_eq!(true_false("On"), None);
        let mut cx = Lower::new();
        assert!(socket_addr(&mut cx, "10.0.0.1-20", None).is_some());
        assert!(socket_addr(&mut cx, "2001:db8::1/64", Some(&tok("80"))).is_some());
        assert!(socket_addr(&mut cx, "10.0.0.300", None).is_none());
        assert!(nonzero_port(Some(&tok("000"))).is_none());
        for ok in ["24", "255.255.255.0", "10.1", "0x18", "010.0.0.1"] {
            assert!(inet_aton(ok), "{ok}");
        }
        for bad in ["256.0.0.0", "1.2.3.4.5", "x", "", "1..2", "1.2.3.256", "09"] {
            assert!(!inet_aton(bad), "{bad}");
        }
    }
}
