//! Errors of the socket side of `sys/` (raw VRRP sockets, `AF_PACKET` frames), worded for
//! an operator reading a log line, not for a programmer.

use std::io;
use std::net::IpAddr;

/// A socket could not be opened, configured, or used.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// `socket(2)` was refused: raw and packet sockets need `CAP_NET_RAW`.
    #[error("{kind} socket needs root (CAP_NET_RAW): {source}")]
    NeedsPrivilege {
        /// What we tried to open, e.g. "raw VRRP".
        kind: &'static str,
        /// The refusal from the kernel.
        source: io::Error,
    },
    /// The named interface is not there (`if_nametoindex` or `SO_BINDTODEVICE` said so).
    #[error("interface {0} does not exist")]
    NoSuchInterface(String),
    /// Binding to a local address that is not configured on this host.
    #[error("address {address} is not configured on interface {interface}: {source}")]
    AddressNotAvailable {
        /// The address we tried to bind to.
        address: IpAddr,
        /// The interface the socket is for.
        interface: String,
        /// The kernel's error.
        source: io::Error,
    },
    /// Any other failure, with the step that failed and the interface it was for.
    #[error("cannot {step} on interface {interface}: {source}")]
    Io {
        /// What we were doing, e.g. "join multicast group 224.0.0.18".
        step: String,
        /// Interface name.
        interface: String,
        /// The kernel's error.
        source: io::Error,
    },
}

impl SocketError {
    /// Wraps an I/O error of `step` on `interface`, recognising the cases an operator
    /// can act on (missing privilege, missing interface).
    pub(crate) fn io(step: impl Into<String>, interface: &str, source: io::Error) -> Self {
        match source.raw_os_error() {
            Some(libc::ENODEV) => SocketError::NoSuchInterface(interface.to_owned()),
            _ => SocketError::Io {
                step: step.into(),
                interface: interface.to_owned(),
                source,
            },
        }
    }

    /// Wraps a failed `socket(2)` call of the given `kind`.
    pub(crate) fn open(kind: &'static str, interface: &str, source: io::Error) -> Self {
        match source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => SocketError::NeedsPrivilege { kind, source },
            _ => SocketError::io(format!("open {kind} socket"), interface, source),
        }
    }
}
