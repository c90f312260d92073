//! The (name, index) pair every per-interface socket needs: the name for
//! `SO_BINDTODEVICE`, the index for multicast membership and `sockaddr_ll`.

use super::socket_error::SocketError;

/// A network interface as sockets see it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InterfaceId {
    /// Kernel name, e.g. `eth0`.
    pub name: String,
    /// Kernel interface index (never 0 for a real interface).
    pub index: u32,
}

impl InterfaceId {
    /// Looks the interface up by name in the calling thread's network namespace.
    pub fn by_name(name: &str) -> Result<Self, SocketError> {
        match nix::net::if_::if_nametoindex(name) {
            Ok(index) if index != 0 => Ok(InterfaceId {
                name: name.to_owned(),
                index,
            }),
            _ => Err(SocketError::NoSuchInterface(name.to_owned())),
        }
    }
}
