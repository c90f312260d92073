//! Readiness and status reports to systemd (`sd_notify(3)`), without libsystemd.
//!
//! Distributions run keepalived as `Type=notify` with `--dont-fork`: systemd starts the unit,
//! then waits for `READY=1` before ordering dependants after it, and shows `STATUS=` text in
//! `systemctl status`. The protocol is small enough to speak directly, which keeps the
//! binary free of a C library dependency:
//!
//! * systemd puts a socket address in `$NOTIFY_SOCKET`: an absolute path, or a Linux
//!   abstract name written with a leading `@` (the `@` stands for the leading NUL byte);
//! * the service sends one `AF_UNIX`/`SOCK_DGRAM` datagram per report, holding
//!   newline-separated `KEY=VALUE` assignments:
//!
//! ```text
//!   +-----------------------------------------------+
//!   | READY=1 \n STATUS=3 VRRP instances running \n  |   one datagram, UTF-8 text
//!   +-----------------------------------------------+
//! ```
//!
//! systemd identifies the sender from the socket credentials and, under its default
//! `NotifyAccess=main`, only listens to the unit's main process: the daemon must send from
//! the process it runs as (the one `--dont-fork` keeps in the foreground).
//!
//! When `$NOTIFY_SOCKET` is unset (started by the init script, or by hand) there is nobody to
//! tell, and [`SystemdNotifier::from_env`] returns `None`.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The environment variable systemd sets for `Type=notify` services.
pub const NOTIFY_SOCKET_ENV: &str = "NOTIFY_SOCKET";

/// One assignment of a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// `READY=1`: start-up finished (or a reload finished, after [`Readiness::Reloading`]).
    Ready,
    /// `RELOADING=1`: a reload started; end it with [`Readiness::Ready`].
    Reloading,
    /// `STOPPING=1`: a graceful stop started.
    Stopping,
    /// `STATUS=…`: a one-line, human-readable status.
    Status(String),
    /// `MAINPID=…`: the main process changed.
    MainPid(u32),
    /// `WATCHDOG=1`: keep-alive ping for `WatchdogSec=`.
    Watchdog,
    /// `ERRNO=…`: the error the service failed with.
    Errno(i32),
    /// `MONOTONIC_USEC=…`: `CLOCK_MONOTONIC` time of a `RELOADING=1` (needed only by
    /// `Type=notify-reload` units; ours is `Type=notify`).
    MonotonicUsec(u64),
}

impl Readiness {
    /// The assignment as sent. Values are kept to one line: a newline inside a status
    /// text would otherwise start a second assignment (a status could forge `READY=1`).
    fn render(&self) -> String {
        match self {
            Readiness::Ready => "READY=1".into(),
            Readiness::Reloading => "RELOADING=1".into(),
            Readiness::Stopping => "STOPPING=1".into(),
            Readiness::Status(text) => format!("STATUS={}", one_line(text)),
            Readiness::MainPid(pid) => format!("MAINPID={pid}"),
            Readiness::Watchdog => "WATCHDOG=1".into(),
            Readiness::Errno(e) => format!("ERRNO={e}"),
            Readiness::MonotonicUsec(us) => format!("MONOTONIC_USEC={us}"),
        }
    }
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect()
}

/// The datagram for a list of assignments: one per line, newline-terminated.
pub fn render_message(states: &[Readiness]) -> String {
    let mut msg = String::new();
    for s in states {
        msg.push_str(&s.render());
        msg.push('\n');
    }
    msg
}

/// Errors talking to the service manager.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// `$NOTIFY_SOCKET` is neither an absolute path nor an `@abstract` name.
    #[error("NOTIFY_SOCKET '{0}' is not an absolute path or an @abstract socket name")]
    BadAddress(String),
    /// The address is well formed but unusable (e.g. a path longer than `sun_path`).
    #[error("NOTIFY_SOCKET '{address}': {source}")]
    Address { address: String, source: io::Error },
    /// Creating the socket or sending the datagram failed.
    #[error("cannot notify the service manager at '{address}': {source}")]
    Send { address: String, source: io::Error },
    /// Nothing to send.
    #[error("empty notification")]
    Empty,
}

/// A connection-less sender to the service manager's notification socket.
#[derive(Debug)]
pub struct SystemdNotifier {
    address: String,
    target: SocketAddr,
    socket: UnixDatagram,
}

impl SystemdNotifier {
    /// The notifier for this process: `None` when `$NOTIFY_SOCKET` is unset or empty (not
    /// started by systemd as a notify service).
    pub fn from_env() -> Result<Option<SystemdNotifier>, NotifyError> {
        SystemdNotifier::from_env_value(std::env::var_os(NOTIFY_SOCKET_ENV))
    }

    /// [`SystemdNotifier::from_env`] for a given value of `$NOTIFY_SOCKET`.
    pub fn from_env_value(value: Option<OsString>) -> Result<Option<SystemdNotifier>, NotifyError> {
        match value {
            Some(v) if !v.is_empty() => SystemdNotifier::connect(&v).map(Some),
            _ => Ok(None),
        }
    }

    /// A notifier for an explicit socket address (`/path` or `@abstract`).
    pub fn connect(address: &OsStr) -> Result<SystemdNotifier, NotifyError> {
        let shown = address.to_string_lossy().into_owned();
        let bytes = address.as_bytes();
        let target = match bytes.first() {
            Some(b'/') => SocketAddr::from_pathname(address),
            Some(b'@') => SocketAddr::from_abstract_name(&bytes[1..]),
            _ => return Err(NotifyError::BadAddress(shown)),
        }
        .map_err(|source| NotifyError::Address {
            address: shown.clone(),
            source,
        })?;
        let socket = UnixDatagram::unbound().map_err(|source| NotifyError::Send {
            address: shown.clone(),
            source,
        })?;
        Ok(SystemdNotifier {
            address: shown,
            target,
            socket,
        })
    }

    /// Sends the assignments as one datagram.
    pub fn notify(&self, states: &[Readiness]) -> Result<(), NotifyError> {
        if states.is_empty() {
            return Err(NotifyError::Empty);
        }
        let msg = render_message(states);
        let sent = self
            .socket
            .send_to_addr(msg.as_bytes(), &self.target)
            .map_err(|source| NotifyError::Send {
                address: self.address.clone(),
                source,
            })?;
        if sent != msg.len() {
            // A datagram is all or nothing; a short count means the kernel cut it.
            return Err(NotifyError::Send {
                address: self.address.clone(),
                source: io::Error::new(io::ErrorKind::WriteZero, "datagram truncated"),
            });
        }
        Ok(())
    }

    /// The address as given (for log messages).
    pub fn address(&self) -> &str {
        &self.address
    }
}

/// Sends to `$NOTIFY_SOCKET` if set. Returns whether a service manager was told.
pub fn notify_from_env(states: &[Readiness]) -> Result<bool, NotifyError> {
    match SystemdNotifier::from_env()? {
        Some(n) => n.notify(states).map(|()| true),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn receive(sock: &UnixDatagram) -> String {
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 4096];
        let n = sock.recv(&mut buf).expect("datagram from the notifier");
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn ready_and_status_reach_a_path_socket_as_one_datagram() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let n = SystemdNotifier::connect(path.as_os_str()).unwrap();
        n.notify(&[
            Readiness::Ready,
            Readiness::Status("2 VRRP instances, 1 MASTER".into()),
        ])
        .unwrap();
        assert_eq!(
            receive(&listener),
            "READY=1\nSTATUS=2 VRRP instances, 1 MASTER\n"
        );
        n.notify(&[Readiness::Reloading, Readiness::MonotonicUsec(42)])
            .unwrap();
        assert_eq!(receive(&listener), "RELOADING=1\nMONOTONIC_USEC=42\n");
        n.notify(&[Readiness::Stopping]).unwrap();
        assert_eq!(receive(&listener), "STOPPING=1\n");
    }

    #[test]
    fn at_sign_names_an_abstract_socket() {
        let name = format!("krs-sd-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&addr).unwrap();
        let n = SystemdNotifier::from_env_value(Some(format!("@{name}").into()))
            .unwrap()
            .expect("a notifier for a set NOTIFY_SOCKET");
        n.notify(&[Readiness::MainPid(1234), Readiness::Watchdog])
            .unwrap();
        assert_eq!(receive(&listener), "MAINPID=1234\nWATCHDOG=1\n");
    }

    #[test]
    fn unset_or_empty_socket_means_no_service_manager() {
        assert!(SystemdNotifier::from_env_value(None).unwrap().is_none());
        assert!(SystemdNotifier::from_env_value(Some(OsString::new()))
            .unwrap()
            .is_none());
    }

    #[test]
    fn relative_paths_and_oversized_paths_are_refused() {
        assert!(matches!(
            SystemdNotifier::connect(OsStr::new("run/notify")),
            Err(NotifyError::BadAddress(_))
        ));
        let long = format!("/{}", "x".repeat(200));
        assert!(matches!(
            SystemdNotifier::connect(OsStr::new(&long)),
            Err(NotifyError::Address { .. })
        ));
    }

    #[test]
    fn a_missing_listener_is_a_send_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let n = SystemdNotifier::connect(dir.path().join("nobody").as_os_str()).unwrap();
        let err = n.notify(&[Readiness::Ready]).unwrap_err();
        assert!(matches!(err, NotifyError::Send { .. }), "{err}");
        assert!(matches!(n.notify(&[]), Err(NotifyError::Empty)));
    }

    #[test]
    fn newlines_in_a_status_cannot_forge_another_assignment() {
        let msg = render_message(&[Readiness::Status("bad\nREADY=1\r\nx".into())]);
        assert_eq!(msg, "STATUS=bad READY=1  x\n");
        assert_eq!(msg.lines().count(), 1);
        assert_eq!(render_message(&[Readiness::Errno(98)]), "ERRNO=98\n");
    }
}
