//! Adding and removing addresses (VIPs, eVIPs) the way `ip addr add/del` does, with the
//! idempotence keepalived relies on: adding an address that is already there, or
//! deleting one that is already gone, is reported as such and is not an error.

use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage, AddressScope};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::netlink::{KernelEntry, Scope};

/// An address on an interface, as in
/// `ip addr add ADDRESS/PREFIX [brd BROADCAST] [scope SCOPE] [label LABEL] [nodad] dev IF`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressSpec {
    /// Interface index.
    pub ifindex: u32,
    /// The address.
    pub address: IpAddr,
    /// Prefix length (keepalived's default for a VIP without one is /32 or /128).
    pub prefix_len: u8,
    /// IPv4 broadcast address; `None` sets none (like `ip addr add` without `brd`).
    pub broadcast: Option<Ipv4Addr>,
    /// Scope (default global).
    pub scope: Scope,
    /// IPv4 label; the kernel requires it to start with the interface name (`eth0:1`).
    pub label: Option<String>,
    /// IPv6: skip duplicate address detection (keepalived adds IPv6 VIPs this way, so
    /// they are usable at once).
    pub no_dad: bool,
}

impl AddressSpec {
    /// A plain address with defaults: no broadcast, global scope, no label, and DAD
    /// skipped for IPv6.
    pub fn new(ifindex: u32, address: IpAddr, prefix_len: u8) -> Self {
        AddressSpec {
            ifindex,
            address,
            prefix_len,
            broadcast: None,
            scope: Scope::Global,
            label: None,
            no_dad: address.is_ipv6(),
        }
    }

    fn to_message(&self) -> AddressMessage {
        let mut message = AddressMessage::default();
        message.header.family = match self.address {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        message.header.prefix_len = self.prefix_len;
        message.header.scope = AddressScope::from(self.scope.number());
        message.header.index = self.ifindex;
        message
            .attributes
            .push(AddressAttribute::Local(self.address));
        message
            .attributes
            .push(AddressAttribute::Address(self.address));
        if let (Some(broadcast), IpAddr::V4(_)) = (self.broadcast, self.address) {
            message
                .attributes
                .push(AddressAttribute::Broadcast(broadcast));
        }
        if let Some(label) = &self.label {
            message
                .attributes
                .push(AddressAttribute::Label(label.clone()));
        }
        if self.no_dad && self.address.is_ipv6() {
            message
                .attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        message
    }
}

impl KernelEntry for AddressSpec {
    const ABSENT_ERRNOS: &'static [i32] = &[libc::EADDRNOTAVAIL, libc::ENOENT, libc::ESRCH];

    fn add_message(&self) -> RouteNetlinkMessage {
        RouteNetlinkMessage::NewAddress(self.to_message())
    }

    fn delete_message(&self) -> RouteNetlinkMessage {
        RouteNetlinkMessage::DelAddress(self.to_message())
    }

    fn describe(&self, verb: &str) -> String {
        format!(
            "{verb} address {}/{} on interface index {}",
            self.address, self.prefix_len, self.ifindex
        )
    }
}
