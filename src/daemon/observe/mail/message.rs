//! The alert message keepalived 2.2.7 writes (its `smtp.c`), byte for byte apart from the
//! time: the headers `Date`, `From`, `Subject`, `X-Mailer: Keepalived` and `To` (the
//! recipients joined with ", "), a blank line, the one-line body and an empty line:
//!
//! ```text
//! Date: Sun, 06 Dec 2026 06:30:00 +0000
//! From: keepalived@lb1.example.com
//! Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state
//! X-Mailer: Keepalived
//! To: ops@example.com, oncall@example.com
//!
//! => VRRP Instance is now owning VRRP VIPs <=
//!
//! ```
//!
//! keepalived cuts the subject at 255 bytes, the body at 511 and the `To` header before
//! the first recipient that would take it past 1023 bytes; so does this.

use std::time::SystemTime;

use crate::vrrp::NotifyState;

/// keepalived's subject buffer, less its terminating NUL.
const MAX_SUBJECT: usize = 255;
/// keepalived's body buffer, less its terminating NUL.
const MAX_BODY: usize = 511;
/// keepalived's `To` buffer, less its terminating NUL.
const MAX_TO: usize = 1023;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About<'a> {
    Instance(&'a str),
    Group(&'a str),
}

/// The subject's tail and the body keepalived sends for `about` entering `state`; `None`
/// for the states it does not mail (priority reports, `MASTER_RX_LOWER_PRI`, and
/// `DELETED` for groups).
pub fn wording(about: About, state: NotifyState) -> Option<(&'static str, &'static str)> {
    let instance = matches!(about, About::Instance(_));
    Some(match (state, instance) {
        (NotifyState::Master, true) => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        (NotifyState::Backup, true) => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (NotifyState::Fault, true) => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (NotifyState::Stop, true) => ("Stopping", "=> VRRP Instance stopping <="),
        (NotifyState::Deleted, true) => ("Deleted", "=> VRRP Deleted at reload <="),
        (NotifyState::Master, false) => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        (NotifyState::Backup, false) => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        (NotifyState::Fault, false) => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        (NotifyState::Stop, false) => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
        _ => return None,
    })
}

/// The full subject line: `[router_id] VRRP Instance NAME - WHAT` (or `VRRP Group`).
pub fn subject(router_id: &str, about: About, what: &str) -> String {
    let s = match about {
        About::Instance(name) => format!("[{router_id}] VRRP Instance {name} - {what}"),
        About::Group(name) => format!("[{router_id}] VRRP Group {name} - {what}"),
    };
    cut(s, MAX_SUBJECT)
}

/// The message as sent after `DATA` (without the final `.` line, which the SMTP client
/// adds), dated `at` in local time.
pub fn compose(at: SystemTime, from: &str, to: &[String], subject: &str, body: &str) -> String {
    let date = jiff::Timestamp::try_from(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(crate::daemon::log::time::local_zone())
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string();
    format!(
        "Date: {date}\r\nFrom: {from}\r\nSubject: {subject}\r\nX-Mailer: Keepalived\r\n\
         To: {to}\r\n\r\n{body}\r\n",
        to = to_header(to),
        body = cut(body.to_string(), MAX_BODY),
    )
}

/// The recipients joined with ", ", stopping at the first that does not fit (as in
/// keepalived, the separator before it is already written then).
fn to_header(to: &[String]) -> String {
    let mut out = String::new();
    for (n, addr) in to.iter().enumerate() {
        if n > 0 {
            if out.len() + 2 > MAX_TO {
                break;
            }
            out.push_str(", ");
        }
        if out.len() + addr.len() > MAX_TO {
            break;
        }
        out.push_str(addr);
    }
    out
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_master_alert_reads_as_keepalived_writes_it() {
        let (what, body) = wording(About::Instance("VI_1"), NotifyState::Master).unwrap();
        let subject = subject("lb1", About::Instance("VI_1"), what);
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let text = compose(
            at,
            "k@example.com",
            &["a@example.com".into(), "b@example.com".into()],
            &subject,
            body,
        );
        let (date, rest) = text.split_once("\r\n").unwrap();
        // 2023-11-14 22:13:20 UTC, in whatever zone the host is in.
        assert!(
            date.starts_with("Date: ") && date.contains(" Nov 2023 "),
            "{date}"
        );
        assert_eq!(
            rest,
            "From: k@example.com\r\nSubject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n\
             X-Mailer: Keepalived\r\nTo: a@example.com, b@example.com\r\n\r\n\
             => VRRP Instance is now owning VRRP VIPs <=\r\n"
        );
    }

    #[test]
    fn groups_have_their_own_words_and_no_deleted_alert() {
        let (what, body) = wording(About::Group("G1"), NotifyState::Fault).unwrap();
        assert_eq!(
            subject("lb1", About::Group("G1"), what),
            "[lb1] VRRP Group G1 - Entering FAULT state"
        );
        assert_eq!(
            body,
            "=> All VRRP group instances are now in FAULT state <="
        );
        assert_eq!(wording(About::Group("G1"), NotifyState::Deleted), None);
        assert_eq!(
            wording(About::Instance("VI_1"), NotifyState::MasterRxLowerPri),
            None
        );
    }

    #[test]
    fn long_fields_are_cut_where_keepalived_cuts_them() {
        let name = "n".repeat(300);
        assert_eq!(subject("r", About::Instance(&name), "Stopping").len(), 255);
        let to: Vec<String> = (0..100)
            .map(|i| format!("user{i:03}@example.com"))
            .collect();
        let header = to_header(&to);
        // 48 addresses of 19 bytes and their separators take 1006 bytes; the 49th's
        // separator still fits, the address does not.
        assert_eq!(header.len(), 1008);
        assert!(header.ends_with("user047@example.com, "));
    }
}
