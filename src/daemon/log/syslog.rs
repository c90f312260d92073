//! The syslog sink: RFC 3164 datagrams to `/dev/log`, shaped like glibc's `syslog(3)`
//! output for `openlog(ident, LOG_PID, facility)`, so rsyslog/journald file them exactly as
//! they file keepalived's.
//!
//! ```text
//!  <30>Jan 16 12:00:00 Keepalived_vrrp[4242]: (VI_1) Entering MASTER STATE
//!  └┬─┘└──────┬──────┘ └──────┬──────┘└┬─┘  └──────────────┬──────────────┘
//!  PRI    TIMESTAMP        ident     pid                message
//!  facility*8+severity   local time, "%b %e %T"
//! ```
//!
//! The socket is non-blocking: a syslog daemon that does not read fast enough costs us a
//! dropped (and counted) line, never a stalled writer. A missing `/dev/log` is retried at
//! most once a second, so a syslog daemon started after us is picked up.

use super::{Entry, Sink};
use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where syslog datagrams go by default.
pub const DEFAULT_SYSLOG_PATH: &str = "/dev/log";

/// Longest message body sent in one datagram; longer ones are cut (glibc does the same
/// in effect, and datagram sockets refuse huge sends).
const MAX_MESSAGE_BYTES: usize = 8 * 1024;

/// How long to wait before trying an absent or failed `/dev/log` again.
const RECONNECT_INTERVAL: Duration = Duration::from_secs(1);

/// syslog facility (`-S`; `LOG_DAEMON` by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Facility {
    User,
    Daemon,
    /// LOG_LOCAL0 … LOG_LOCAL7.
    Local(u8),
}

impl Facility {
    /// LOG_LOCALn for n in 0..=7.
    pub fn local(n: u8) -> Option<Facility> {
        (n <= 7).then_some(Facility::Local(n))
    }

    /// The facility code (RFC 3164 §4.1.1): user 1, daemon 3, local0–7 16–23.
    pub fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Daemon => 3,
            Facility::Local(n) => 16 + n.min(7),
        }
    }
}

/// syslog severity for a `log` level. keepalived logs its normal and its detail (`-D`)
/// messages at LOG_INFO, so Debug and Trace (our detail levels) stay at info(6) too: an
/// operator's `*.info` filter sees the same lines as with keepalived.
pub fn severity(level: log::Level) -> u8 {
    match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info | log::Level::Debug | log::Level::Trace => 6,
    }
}

/// `<PRI>` value: facility × 8 + severity (RFC 3164 §4.1.1).
pub fn priority(facility: Facility, level: log::Level) -> u8 {
    facility.code() * 8 + severity(level)
}

/// One syslog datagram's bytes, as glibc would send it.
pub fn format_datagram(
    facility: Facility,
    level: log::Level,
    timestamp: &str,
    ident: &str,
    pid: u32,
    message: &str,
) -> String {
    let mut body = message;
    if body.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body = &body[..cut];
    }
    format!(
        "<{}>{timestamp} {ident}[{pid}]: {body}",
        priority(facility, level)
    )
}

/// Sends entries to a syslog datagram socket.
pub(crate) struct SyslogSink {
    path: PathBuf,
    ident: String,
    facility: Facility,
    socket: Option<UnixDatagram>,
    next_attempt: Instant,
}

impl SyslogSink {
    pub(crate) fn new(path: PathBuf, ident: String, facility: Facility) -> Self {
        SyslogSink {
            path,
            ident,
            facility,
            socket: None,
            next_attempt: Instant::now(),
        }
    }

    fn connected(&mut self) -> io::Result<&UnixDatagram> {
        if self.socket.is_none() {
            let now = Instant::now();
            if now < self.next_attempt {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "syslog unavailable",
                ));
            }
            self.next_attempt = now + RECONNECT_INTERVAL;
            let socket = UnixDatagram::unbound()?;
            socket.set_nonblocking(true)?;
            socket.connect(&self.path)?;
            self.socket = Some(socket);
        }
        Ok(self.socket.as_ref().expect("connected above"))
    }
}

impl Sink for SyslogSink {
    fn write(&mut self, entry: &Entry) -> io::Result<()> {
        let datagram = format_datagram(
            self.facility,
            entry.level,
            &super::time::syslog_timestamp(entry.time),
            &self.ident,
            std::process::id(),
            &entry.message,
        );
        let result = self.connected()?.send(datagram.as_bytes());
        match result {
            Ok(_) => Ok(()),
            // The reader is slow: drop this line, keep the connection.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(e),
            // The daemon went away or restarted: reconnect later.
            Err(e) => {
                self.socket = None;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::Level;

    #[test]
    fn priorities_follow_rfc3164() {
        assert_eq!(priority(Facility::Daemon, Level::Info), 30);
        assert_eq!(priority(Facility::Daemon, Level::Error), 27);
        assert_eq!(priority(Facility::Daemon, Level::Warn), 28);
        assert_eq!(priority(Facility::Daemon, Level::Debug), 30);
        assert_eq!(priority(Facility::User, Level::Info), 14);
        assert_eq!(priority(Facility::Local(0), Level::Info), 134);
        assert_eq!(priority(Facility::Local(7), Level::Error), 187);
    }

    #[test]
    fn datagram_layout_matches_glibc() {
        let d = format_datagram(
            Facility::Daemon,
            Level::Info,
            "Jan  6 09:05:01",
            "Keepalived_vrrp",
            42,
            "(VI_1) Entering MASTER STATE",
        );
        assert_eq!(
            d,
            "<30>Jan  6 09:05:01 Keepalived_vrrp[42]: (VI_1) Entering MASTER STATE"
        );
    }

    #[test]
    fn oversized_messages_are_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let d = format_datagram(Facility::Daemon, Level::Info, "T", "I", 1, &long);
        let body = d.split_once("]: ").unwrap().1;
        assert!(body.len() <= MAX_MESSAGE_BYTES && body.len() >= MAX_MESSAGE_BYTES - 1);
    }
}
