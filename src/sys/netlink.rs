//! rtnetlink access: the connection, its errors, and interface look-ups (index, name,
//! MAC, up/running, primary IPv4, IPv6 link-local). Address, route and rule changes are
//! in [`super::netlink_addr`] and [`super::netlink_route`]; link/address events in
//! [`super::netlink_watch`].
//!
//! Built on the `rtnetlink` crate (rust-netlink project): typed messages from
//! `netlink-packet-route`, a tokio-driven connection, and the kernel's own error codes
//! passed through, which lets "already there" / "already gone" be told apart from real
//! failures.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsFd;

use futures::TryStreamExt;
use netlink_packet_core::{NetlinkMessage, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::address::{AddressAttribute, AddressHeaderFlags, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::AsyncSocket;

/// A netlink operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    /// The netlink socket could not be opened.
    #[error("cannot open netlink socket: {0}")]
    Connect(io::Error),
    /// No interface has this name or index.
    #[error("interface {0} does not exist")]
    NoSuchInterface(String),
    /// The kernel refused for lack of privilege.
    #[error("cannot {action}: netlink changes need root (CAP_NET_ADMIN)")]
    NeedsPrivilege {
        /// What we tried, e.g. "add address 198.18.0.10/24 to eth0".
        action: String,
    },
    /// The kernel answered with an error.
    #[error("cannot {action}: {source}")]
    Kernel {
        /// What we tried.
        action: String,
        /// The kernel's errno.
        source: io::Error,
    },
    /// The connection failed or the kernel answered something unexpected.
    #[error("cannot {action}: netlink request failed: {detail}")]
    Request {
        /// What we tried.
        action: String,
        /// What went wrong.
        detail: String,
    },
}

/// What an idempotent change did. keepalived treats "already there" on add and
/// "not there" on delete as success (e.g. a VIP left behind by a previous run), but the
/// daemon may want to log them differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// The kernel made the change.
    Applied,
    /// Add: an identical object already existed (`EEXIST`).
    AlreadyPresent,
    /// Delete: no such object existed (`EADDRNOTAVAIL`, `ESRCH`, `ENOENT`).
    AlreadyAbsent,
}

/// Address / route scope (`ip … scope NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// `global` / `universe` (0).
    #[default]
    Global,
    /// `site` (200).
    Site,
    /// `link` (253).
    Link,
    /// `host` (254).
    Host,
    /// `nowhere` (255).
    Nowhere,
    /// Any other number from `/etc/iproute2/rt_scopes`.
    Other(u8),
}

impl Scope {
    /// The kernel's `RT_SCOPE_*` number.
    pub fn number(self) -> u8 {
        match self {
            Scope::Global => 0,
            Scope::Site => 200,
            Scope::Link => 253,
            Scope::Host => 254,
            Scope::Nowhere => 255,
            Scope::Other(n) => n,
        }
    }

    /// The scope with the kernel's number `n`.
    pub fn from_number(n: u8) -> Self {
        match n {
            0 => Scope::Global,
            200 => Scope::Site,
            253 => Scope::Link,
            254 => Scope::Host,
            255 => Scope::Nowhere,
            other => Scope::Other(other),
        }
    }
}

/// One address configured on an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceAddress {
    /// Interface index.
    pub ifindex: u32,
    /// The local address (`IFA_LOCAL`, or `IFA_ADDRESS` when there is no local).
    pub address: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// IPv4 broadcast address, if set.
    pub broadcast: Option<Ipv4Addr>,
    /// IPv4 label (`eth0:1`), if any.
    pub label: Option<String>,
    /// Scope.
    pub scope: Scope,
    /// Secondary IPv4 address (another address of the same subnet came first).
    pub secondary: bool,
    /// IPv6 address still in duplicate address detection.
    pub tentative: bool,
}

/// What the daemon needs to know about an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Kernel index.
    pub index: u32,
    /// Kernel name.
    pub name: String,
    /// Hardware address, when it is a 6-byte (Ethernet-like) one.
    pub mac: Option<[u8; 6]>,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Operationally up (`IFF_RUNNING`): carrier present. keepalived's FAULT test is
    /// `up && running`.
    pub running: bool,
    /// First primary IPv4 address: the default VRRP source address (keepalived
    /// sends from it unless `mcast_src_ip`/`unicast_src_ip` says otherwise).
    pub primary_ipv4: Option<Ipv4Addr>,
    /// First IPv6 link-local address: the default IPv6 VRRP source address.
    pub ipv6_link_local: Option<Ipv6Addr>,
    /// All addresses, in kernel order.
    pub addresses: Vec<InterfaceAddress>,
    /// `IFLA_MTU` (0 when the kernel did not say).
    pub mtu: u32,
    /// The link's flags as the kernel reports them (`ifi_flags`: `IFF_UP`, `IFF_RUNNING`,
    /// `IFF_LOWER_UP`…), which keepalived's link-change log lines print.
    pub flags: u32,
}

impl InterfaceInfo {
    /// `up && running`, the condition keepalived requires of an instance's interface.
    pub fn is_operational(&self) -> bool {
        self.up && self.running
    }
}

/// A connection to the kernel's routing netlink, driven by the current tokio runtime.
#[derive(Debug)]
pub struct Netlink {
    handle: rtnetlink::Handle,
    connection: tokio::task::JoinHandle<()>,
    /// Changes go on their own blocking socket (see `netlink_change`).
    changes: std::sync::Mutex<super::netlink_change::ChangeSocket>,
    /// Both sockets, for sizing their receive queues.
    sockets: super::SocketHandles,
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

impl Netlink {
    /// Opens a connection in the calling thread's network namespace and spawns its I/O
    /// task on the current tokio runtime.
    pub fn connect() -> Result<Self, NetlinkError> {
        let (mut connection, handle, _unsolicited) =
            rtnetlink::new_connection().map_err(NetlinkError::Connect)?;
        let mut sockets = super::SocketHandles::default();
        sockets
            .keep(connection.socket_mut().socket_ref().as_fd())
            .map_err(NetlinkError::Connect)?;
        let connection = tokio::spawn(connection);
        let changes = super::netlink_change::ChangeSocket::open().map_err(NetlinkError::Connect)?;
        sockets
            .keep(changes.as_fd())
            .map_err(NetlinkError::Connect)?;
        Ok(Netlink {
            handle,
            connection,
            changes: std::sync::Mutex::new(changes),
            sockets,
        })
    }

    /// Duplicates of this connection's sockets (queries and changes), to size their
    /// receive queues (keepalived's `vrrp_netlink_cmd_rcv_bufs`).
    pub fn socket_handles(&self) -> std::io::Result<super::SocketHandles> {
        self.sockets.duplicate()
    }

    /// Looks an interface up by name.
    pub async fn interface(&self, name: &str) -> Result<InterfaceInfo, NetlinkError> {
        let request = self.handle.link().get().match_name(name.to_owned());
        let link = first_link(request.execute(), name).await?;
        self.complete_interface(link).await
    }

    /// Looks an interface up by index.
    pub async fn interface_by_index(&self, index: u32) -> Result<InterfaceInfo, NetlinkError> {
        let request = self.handle.link().get().match_index(index);
        let link = first_link(request.execute(), &format!("with index {index}")).await?;
        self.complete_interface(link).await
    }

    /// All interfaces.
    pub async fn interfaces(&self) -> Result<Vec<InterfaceInfo>, NetlinkError> {
        let links: Vec<LinkMessage> = self
            .handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| request_error("list interfaces", e))?;
        let all_addresses = self.all_addresses().await?;
        Ok(links
            .into_iter()
            .map(|link| {
                let mine = all_addresses
                    .iter()
                    .filter(|a| a.ifindex == link.header.index)
                    .cloned()
                    .collect();
                interface_from_link(&link, mine)
            })
            .collect())
    }

    /// The addresses configured on interface `ifindex`, in kernel order.
    pub async fn addresses(&self, ifindex: u32) -> Result<Vec<InterfaceAddress>, NetlinkError> {
        Ok(self
            .all_addresses()
            .await?
            .into_iter()
            .filter(|a| a.ifindex == ifindex)
            .collect())
    }

    async fn all_addresses(&self) -> Result<Vec<InterfaceAddress>, NetlinkError> {
        let messages: Vec<AddressMessage> = self
            .handle
            .address()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| request_error("list addresses", e))?;
        Ok(messages.iter().filter_map(address_from_message).collect())
    }

    async fn complete_interface(&self, link: LinkMessage) -> Result<InterfaceInfo, NetlinkError> {
        let addresses = self.addresses(link.header.index).await?;
        Ok(interface_from_link(&link, addresses))
    }

    /// Adds `entry`; [`Change::AlreadyPresent`] if an identical one is already there.
    pub async fn add<E: KernelEntry>(&self, entry: &E) -> Result<Change, NetlinkError> {
        let flags = if E::EXCLUSIVE_ADD {
            NLM_F_CREATE | NLM_F_EXCL
        } else {
            NLM_F_CREATE
        };
        self.change(entry.add_message(), flags, &entry.describe("add"), &[])
            .await
    }

    /// Removes `entry`; [`Change::AlreadyAbsent`] if it was not there.
    pub async fn delete<E: KernelEntry>(&self, entry: &E) -> Result<Change, NetlinkError> {
        let action = entry.describe("delete");
        self.change(entry.delete_message(), 0, &action, E::ABSENT_ERRNOS)
            .await
    }

    /// Sends one change request and interprets the kernel's answer. `absent_codes` are
    /// the errnos meaning "nothing to delete" for this kind of object.
    pub(crate) async fn change(
        &self,
        message: RouteNetlinkMessage,
        extra_flags: u16,
        action: &str,
        absent_codes: &[i32],
    ) -> Result<Change, NetlinkError> {
        let mut request = NetlinkMessage::from(message);
        request.header.flags = NLM_F_REQUEST | NLM_F_ACK | extra_flags;
        let answer = self
            .changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .request(request);
        let errno = answer.map_err(|source| NetlinkError::Kernel {
            action: action.to_owned(),
            source,
        })?;
        match errno {
            0 => Ok(Change::Applied),
            libc::EEXIST => Ok(Change::AlreadyPresent),
            e if absent_codes.contains(&e) => Ok(Change::AlreadyAbsent),
            libc::EPERM | libc::EACCES => Err(NetlinkError::NeedsPrivilege {
                action: action.to_owned(),
            }),
            libc::ENODEV => Err(NetlinkError::Kernel {
                action: action.to_owned(),
                source: io::Error::new(io::ErrorKind::NotFound, "no such interface"),
            }),
            e => Err(NetlinkError::Kernel {
                action: action.to_owned(),
                source: io::Error::from_raw_os_error(e),
            }),
        }
    }
}

async fn first_link(
    stream: impl futures::Stream<Item = Result<LinkMessage, rtnetlink::Error>>,
    what: &str,
) -> Result<LinkMessage, NetlinkError> {
    futures::pin_mut!(stream);
    match stream.try_next().await {
        Ok(Some(link)) => Ok(link),
        Ok(None) => Err(NetlinkError::NoSuchInterface(what.to_owned())),
        Err(rtnetlink::Error::NetlinkError(e))
            if e.code.map(|c| -c.get()) == Some(libc::ENODEV) =>
        {
            Err(NetlinkError::NoSuchInterface(what.to_owned()))
        }
        Err(e) => Err(request_error(&format!("look up interface {what}"), e)),
    }
}

fn request_error(action: &str, error: rtnetlink::Error) -> NetlinkError {
    match error {
        rtnetlink::Error::NetlinkError(message) => match message.code {
            Some(code) => NetlinkError::Kernel {
                action: action.to_owned(),
                source: io::Error::from_raw_os_error(-code.get()),
            },
            None => NetlinkError::Request {
                action: action.to_owned(),
                detail: "unexpected acknowledgement".to_owned(),
            },
        },
        other => NetlinkError::Request {
            action: action.to_owned(),
            detail: other.to_string(),
        },
    }
}

/// Builds an [`InterfaceInfo`] from a link message and that link's addresses.
pub(crate) fn interface_from_link(
    link: &LinkMessage,
    addresses: Vec<InterfaceAddress>,
) -> InterfaceInfo {
    let mut name = String::new();
    let mut mac = None;
    let mut mtu = 0;
    for attribute in &link.attributes {
        match attribute {
            LinkAttribute::IfName(n) => name = n.clone(),
            LinkAttribute::Mtu(m) => mtu = *m,
            LinkAttribute::Address(bytes) => mac = <[u8; 6]>::try_from(bytes.as_slice()).ok(),
            _ => {}
        }
    }
    let primary_ipv4 = addresses.iter().find_map(|a| match a.address {
        IpAddr::V4(v4) if !a.secondary => Some(v4),
        _ => None,
    });
    let ipv6_link_local = addresses.iter().find_map(|a| match a.address {
        IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => Some(v6),
        _ => None,
    });
    InterfaceInfo {
        index: link.header.index,
        name,
        mac,
        up: link.header.flags.contains(LinkFlags::Up),
        running: link.header.flags.contains(LinkFlags::Running),
        primary_ipv4,
        ipv6_link_local,
        addresses,
        mtu,
        flags: link.header.flags.bits(),
    }
}

/// Reads an address message; `None` for messages without an address.
pub(crate) fn address_from_message(message: &AddressMessage) -> Option<InterfaceAddress> {
    let mut address = None;
    let mut local = None;
    let mut broadcast = None;
    let mut label = None;
    let mut flags = u32::from(message.header.flags.bits());
    for attribute in &message.attributes {
        match attribute {
            AddressAttribute::Address(a) => address = Some(*a),
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Broadcast(b) => broadcast = Some(*b),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            AddressAttribute::Flags(f) => flags = f.bits(),
            _ => {}
        }
    }
    Some(InterfaceAddress {
        ifindex: message.header.index,
        address: local.or(address)?,
        prefix_len: message.header.prefix_len,
        broadcast,
        label,
        scope: Scope::from_number(u8::from(message.header.scope)),
        secondary: flags & u32::from(AddressHeaderFlags::Secondary.bits()) != 0,
        tentative: flags & u32::from(AddressHeaderFlags::Tentative.bits()) != 0,
    })
}

/// An entry of the kernel's tables the daemon installs and removes (an address, a route,
/// a policy rule), the way `ip … add/del` does. keepalived relies on both directions being
/// idempotent: adding what is already there, or deleting what is already gone, is reported
/// as such ([`Change`]) and is not an error.
pub trait KernelEntry {
    /// The errnos with which the kernel says "no such entry" on delete (they differ by
    /// table).
    const ABSENT_ERRNOS: &'static [i32];
    /// Whether an add fails (`EEXIST`, [`Change::AlreadyPresent`]) when an entry with the
    /// same key exists, or is put in front of it (routes: a route to a prefix the
    /// kernel already routes, differing in source or gateway, is added as keepalived and
    /// `ip route prepend` add it; an identical one is still reported present).
    const EXCLUSIVE_ADD: bool = true;
    /// The request that installs the entry.
    fn add_message(&self) -> RouteNetlinkMessage;
    /// The request that removes it.
    fn delete_message(&self) -> RouteNetlinkMessage;
    /// `verb` and the entry in `ip`'s words, for errors and logs.
    fn describe(&self, verb: &str) -> String;
}
