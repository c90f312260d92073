//! Raw IPv6 VRRP sockets, as keepalived 2.x opens them. Unlike IPv4 the kernel builds the IPv6
//! header, so the core hands us only the VRRP payload, and the kernel also computes and
//! verifies the VRRP checksum (`IPV6_CHECKSUM` at offset 6, RFC 5798 §5.2.8).
//!
//! ```text
//!  both:    socket(AF_INET6, SOCK_RAW, 112)
//!           SO_BINDTODEVICE, IPV6_CHECKSUM 6
//!  send:    IPV6_MULTICAST_IF ifindex, IPV6_MULTICAST_HOPS 255, IPV6_MULTICAST_LOOP 0,
//!           IPV6_UNICAST_HOPS unicast_ttl, IPV6_TCLASS 0xC0,
//!           sendmsg + IPV6_PKTINFO cmsg (source address, normally the link-local)
//!  receive: IPV6_MULTICAST_ALL 0, IPV6_JOIN_GROUP ff02::12 on ifindex,
//!           IPV6_RECVPKTINFO + IPV6_RECVHOPLIMIT → (dst, ifindex, hop limit)
//! ```
//!
//! A raw IPv6 socket for protocol 112 receives every VRRP packet addressed to the host,
//! so the send socket carries a drop-everything socket filter: nobody reads it, and its
//! queue must not fill with adverts.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd};

use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags, SockaddrIn6};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::ancillary::{register_with_tokio, set_int_option};
use super::interface_id::InterfaceId;
use super::socket_error::SocketError;
use super::vrid_filter::VrrpAt;
use super::vrrp_receiver::VrrpReceiver;
use super::vrrp_socket::{IPPROTO_VRRP, VRRP_TOS};

/// The IPv6 VRRP multicast group (RFC 5798 §5.1.2.2), keepalived's `vrrp_mcast_group6`.
pub const VRRP_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// Offset of the checksum inside the VRRP header, for `IPV6_CHECKSUM`.
const VRRP_CHECKSUM_OFFSET: libc::c_int = 6;
/// RFC 5798 §5.1.2.3: multicast adverts are sent, and must arrive, with hop limit 255.
pub const VRRP_HOP_LIMIT: u8 = 255;

/// How an IPv6 receive socket picks its traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Addressing6 {
    /// Join `group` (usually [`VRRP_GROUP_V6`]) on the interface.
    Multicast {
        /// The multicast group.
        group: Ipv6Addr,
    },
    /// Accept only packets sent to `local` (keepalived `unicast_src_ip`).
    Unicast {
        /// Our own unicast address, configured on this host.
        local: Ipv6Addr,
    },
}

/// One VRRP payload read by [`Vrrp6Receiver::recv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received6 {
    /// Bytes written to the caller's buffer: the VRRP message only (no IPv6 header).
    pub len: usize,
    /// Source address of the IPv6 packet.
    pub source: Ipv6Addr,
    /// Destination address of the IPv6 packet (group or our unicast address).
    pub destination: Ipv6Addr,
    /// Hop limit the packet arrived with (must be 255 for a valid advert).
    pub hop_limit: u8,
    /// Index of the interface the packet arrived on.
    pub ifindex: u32,
    /// The buffer was too small; the payload is cut and should be dropped.
    pub truncated: bool,
}

fn open_raw_vrrp6(interface: &InterfaceId) -> Result<Socket, SocketError> {
    let name = interface.name.as_str();
    let socket = Socket::new(
        Domain::IPV6,
        Type::RAW,
        Some(Protocol::from(i32::from(IPPROTO_VRRP))),
    )
    .map_err(|e| SocketError::open("raw VRRP", name, e))?;
    socket
        .bind_device(Some(name.as_bytes()))
        .map_err(|e| SocketError::io("bind socket to device (SO_BINDTODEVICE)", name, e))?;
    set_int_option(
        socket.as_fd(),
        libc::IPPROTO_IPV6,
        libc::IPV6_CHECKSUM,
        VRRP_CHECKSUM_OFFSET,
    )
    .map_err(|e| SocketError::io("set IPV6_CHECKSUM", name, e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| SocketError::io("make socket non-blocking", name, e))?;
    Ok(socket)
}

/// Receives IPv6 VRRP payloads on one interface: a [`VrrpReceiver`] (which it
/// dereferences to) opened for IPv6.
#[derive(Debug)]
pub struct Vrrp6Receiver {
    receiver: VrrpReceiver,
}

impl Vrrp6Receiver {
    /// Opens and configures the receive socket. Must be called inside a tokio runtime.
    pub fn open(interface: &InterfaceId, addressing: Addressing6) -> Result<Self, SocketError> {
        let name = interface.name.as_str();
        let socket = open_raw_vrrp6(interface)?;
        socket
            .set_multicast_all_v6(false)
            .map_err(|e| SocketError::io("set IPV6_MULTICAST_ALL", name, e))?;
        set_int_option(
            socket.as_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVPKTINFO,
            1,
        )
        .map_err(|e| SocketError::io("set IPV6_RECVPKTINFO", name, e))?;
        socket
            .set_recv_hoplimit_v6(true)
            .map_err(|e| SocketError::io("set IPV6_RECVHOPLIMIT", name, e))?;
        match addressing {
            Addressing6::Multicast { group } => socket
                .join_multicast_v6(&group, interface.index)
                .map_err(|e| {
                SocketError::io(format!("join multicast group {group}"), name, e)
            })?,
            Addressing6::Unicast { local } => {
                let scope = if is_link_local(&local) {
                    interface.index
                } else {
                    0
                };
                let address = SockAddr::from(SocketAddrV6::new(local, 0, 0, scope));
                socket.bind(&address).map_err(|e| match e.raw_os_error() {
                    Some(libc::EADDRNOTAVAIL) => SocketError::AddressNotAvailable {
                        address: IpAddr::V6(local),
                        interface: name.to_owned(),
                        source: e,
                    },
                    _ => SocketError::io(format!("bind VRRP socket to {local}"), name, e),
                })?;
            }
        }
        let receiver = VrrpReceiver::new(socket, interface, VrrpAt::Payload)?;
        Ok(Vrrp6Receiver { receiver })
    }

    /// The family-independent socket, for a caller that keeps either family.
    pub fn into_receiver(self) -> VrrpReceiver {
        self.receiver
    }

    /// Waits for the next VRRP payload. The kernel has already dropped packets whose
    /// checksum is wrong.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received6, SocketError> {
        let datagram = self.receiver.recv_datagram(buf).await?;
        let source = match datagram.source {
            Some(SocketAddr::V6(v6)) => *v6.ip(),
            _ => Ipv6Addr::UNSPECIFIED,
        };
        let destination = match datagram.ancillary.destination {
            Some(IpAddr::V6(v6)) => v6,
            _ => Ipv6Addr::UNSPECIFIED,
        };
        Ok(Received6 {
            len: datagram.len,
            source,
            destination,
            hop_limit: datagram.ancillary.hop_limit.unwrap_or(0),
            ifindex: datagram
                .ancillary
                .ifindex
                .unwrap_or(self.receiver.interface().index),
            truncated: datagram.truncated,
        })
    }
}

impl std::ops::Deref for Vrrp6Receiver {
    type Target = VrrpReceiver;
    fn deref(&self) -> &VrrpReceiver {
        &self.receiver
    }
}

/// Sends IPv6 VRRP payloads out of one interface; the kernel adds the IPv6 header and
/// the checksum.
#[derive(Debug)]
pub struct Vrrp6Sender {
    socket: AsyncFd<Socket>,
    interface: InterfaceId,
}

impl Vrrp6Sender {
    /// Opens and configures the send socket; `unicast_hops` is keepalived's
    /// `unicast_ttl` (default 255). Must be called inside a tokio runtime.
    pub fn open(interface: &InterfaceId, unicast_hops: u8) -> Result<Self, SocketError> {
        let name = interface.name.as_str();
        let socket = open_raw_vrrp6(interface)?;
        socket
            .set_multicast_if_v6(interface.index)
            .map_err(|e| SocketError::io("set IPV6_MULTICAST_IF", name, e))?;
        socket
            .set_multicast_hops_v6(u32::from(VRRP_HOP_LIMIT))
            .map_err(|e| SocketError::io("set IPV6_MULTICAST_HOPS", name, e))?;
        socket
            .set_unicast_hops_v6(u32::from(unicast_hops))
            .map_err(|e| SocketError::io("set IPV6_UNICAST_HOPS", name, e))?;
        socket
            .set_multicast_loop_v6(false)
            .map_err(|e| SocketError::io("set IPV6_MULTICAST_LOOP", name, e))?;
        socket
            .set_tclass_v6(u32::from(VRRP_TOS))
            .map_err(|e| SocketError::io("set IPV6_TCLASS", name, e))?;
        // A classic BPF program of one instruction, "return 0": accept no bytes of any
        // packet, so this send-only socket never queues what it would otherwise receive.
        let drop_all = [libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        }];
        socket
            .attach_filter(&drop_all)
            .map_err(|e| SocketError::io("attach drop-all socket filter", name, e))?;
        let socket = register_with_tokio(socket, Interest::WRITABLE)
            .map_err(|e| SocketError::io("register socket with tokio", name, e))?;
        Ok(Vrrp6Sender {
            socket,
            interface: interface.clone(),
        })
    }

    /// The interface this socket sends on.
    pub fn interface(&self) -> &InterfaceId {
        &self.interface
    }

    /// Sends one VRRP payload to `destination` (ff02::12 or a unicast peer). `source`
    /// picks the IPv6 source address through `IPV6_PKTINFO`; keepalived uses the
    /// interface's link-local address unless one is configured. `None` lets the kernel
    /// choose. The checksum field may be left zero: the kernel fills it in.
    pub async fn send(
        &self,
        payload: &[u8],
        source: Option<Ipv6Addr>,
        destination: Ipv6Addr,
    ) -> Result<(), SocketError> {
        let scope = if is_link_local(&destination) || destination.is_multicast() {
            self.interface.index
        } else {
            0
        };
        let address = SockaddrIn6::from(SocketAddrV6::new(destination, 0, 0, scope));
        let packet_info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: source.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            },
            ipi6_ifindex: self.interface.index,
        };
        let iov = [std::io::IoSlice::new(payload)];
        let step = || format!("send VRRP packet to {destination}");
        let sent = self
            .socket
            .async_io(Interest::WRITABLE, |socket| {
                let control = [ControlMessage::Ipv6PacketInfo(&packet_info)];
                sendmsg(
                    socket.as_raw_fd(),
                    &iov,
                    &control,
                    MsgFlags::empty(),
                    Some(&address),
                )
                .map_err(std::io::Error::from)
            })
            .await
            .map_err(|e| SocketError::io(step(), &self.interface.name, e))?;
        if sent != payload.len() {
            return Err(SocketError::io(
                step(),
                &self.interface.name,
                std::io::Error::new(std::io::ErrorKind::WriteZero, "short write on raw socket"),
            ));
        }
        Ok(())
    }
}

/// fe80::/10, whose addresses need a scope (interface) to mean anything.
fn is_link_local(address: &Ipv6Addr) -> bool {
    address.segments()[0] & 0xffc0 == 0xfe80
}
