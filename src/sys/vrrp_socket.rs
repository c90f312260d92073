//! Raw IPv4 VRRP sockets, set up the way keepalived 2.x sets them up
//! (one raw socket to send with our own IP header, one to receive protocol 112/51 joined
//! to the group), so that peers and the kernel see the same traffic.
//!
//! ```text
//!  send:    socket(AF_INET, SOCK_RAW, IPPROTO_RAW)     the core builds the whole IPv4
//!           IP_HDRINCL (implied by IPPROTO_RAW)         header (TOS 0xC0, TTL 255, ID),
//!           SO_BINDTODEVICE, IP_MULTICAST_IF(ifindex)   the kernel fills the checksum
//!           IP_MULTICAST_LOOP 0, IP_TOS 0xC0
//!           sendto(dst, MSG_DONTROUTE if dst is multicast)
//!
//!  receive: socket(AF_INET, SOCK_RAW, 112 | 51)        one per (interface, protocol,
//!           SO_BINDTODEVICE, IP_MULTICAST_ALL 0         multicast group | unicast source)
//!           IP_ADD_MEMBERSHIP group on ifindex
//!           bind(group) or bind(unicast_src_ip)
//!           IP_PKTINFO  → arrival interface index
//!           recv → the whole IPv4 packet, header included
//! ```
//!
//! The send socket uses `IPPROTO_RAW` rather than 112: such a socket never receives, so
//! it cannot pile up a queue of every advert on the segment that nobody reads.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsFd;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::ancillary::{register_with_tokio, set_int_option, set_multicast_if_index_v4};
use super::interface_id::InterfaceId;
use super::send_batch::send_batch;
use super::socket_error::SocketError;
use super::vrid_filter::VrrpAt;
use super::vrrp_receiver::VrrpReceiver;

/// IANA protocol number of VRRP (RFC 5798 §5.1.1.4).
pub const IPPROTO_VRRP: u8 = 112;
/// IANA protocol number of IPsec AH, used by keepalived's `auth_type AH` (VRRPv2 only).
pub const IPPROTO_AH: u8 = 51;
/// The IPv4 VRRP multicast group (RFC 5798 §5.1.1.2), keepalived's `vrrp_mcast_group4`.
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// `IPTOS_PREC_INTERNETCONTROL`, the TOS keepalived ≥ 1.2.3 puts on adverts.
pub const VRRP_TOS: u8 = 0xC0;

/// Which IP protocol the adverts of an instance travel in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VrrpProtocol {
    /// Plain VRRP, IP protocol 112.
    Vrrp,
    /// VRRP inside an IPsec AH header, IP protocol 51 (keepalived `auth_type AH`).
    Ah,
}

impl VrrpProtocol {
    /// The IP protocol number.
    pub fn number(self) -> u8 {
        match self {
            VrrpProtocol::Vrrp => IPPROTO_VRRP,
            VrrpProtocol::Ah => IPPROTO_AH,
        }
    }
}

/// How an IPv4 receive socket picks its traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Addressing4 {
    /// Join `group` on the interface and accept only packets sent to it.
    Multicast {
        /// Usually [`VRRP_GROUP_V4`].
        group: Ipv4Addr,
    },
    /// Accept only packets sent to `local` (keepalived `unicast_src_ip`), which must be
    /// configured on this host.
    Unicast {
        /// Our own unicast address.
        local: Ipv4Addr,
    },
}

/// One IPv4 packet read by [`Vrrp4Receiver::recv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received4 {
    /// Bytes written to the caller's buffer: the whole IPv4 packet, header first.
    pub len: usize,
    /// IPv4 source address of the packet.
    pub source: Ipv4Addr,
    /// Index of the interface the packet arrived on.
    pub ifindex: u32,
    /// The buffer was too small; the packet is cut and should be dropped.
    pub truncated: bool,
}

/// Receives IPv4 VRRP (or AH) packets on one interface: a [`VrrpReceiver`] (which it
/// dereferences to) opened for IPv4.
#[derive(Debug)]
pub struct Vrrp4Receiver {
    receiver: VrrpReceiver,
    addressing: Addressing4,
}

impl Vrrp4Receiver {
    /// Opens and configures the receive socket. Must be called inside a tokio runtime
    /// (it registers with the reactor) and in the right network namespace.
    pub fn open(
        interface: &InterfaceId,
        protocol: VrrpProtocol,
        addressing: Addressing4,
    ) -> Result<Self, SocketError> {
        let name = interface.name.as_str();
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(protocol.number()))),
        )
        .map_err(|e| SocketError::open("raw VRRP", name, e))?;
        socket
            .bind_device(Some(name.as_bytes()))
            .map_err(|e| SocketError::io("bind socket to device (SO_BINDTODEVICE)", name, e))?;
        socket
            .set_multicast_all_v4(false)
            .map_err(|e| SocketError::io("set IP_MULTICAST_ALL", name, e))?;
        set_int_option(socket.as_fd(), libc::IPPROTO_IP, libc::IP_PKTINFO, 1)
            .map_err(|e| SocketError::io("set IP_PKTINFO", name, e))?;
        let bind_to = match addressing {
            Addressing4::Multicast { group } => {
                socket
                    .join_multicast_v4_n(
                        &group,
                        &socket2::InterfaceIndexOrAddress::Index(interface.index),
                    )
                    .map_err(|e| {
                        SocketError::io(format!("join multicast group {group}"), name, e)
                    })?;
                group
            }
            Addressing4::Unicast { local } => local,
        };
        let address = SockAddr::from(SocketAddrV4::new(bind_to, 0));
        socket.bind(&address).map_err(|e| match e.raw_os_error() {
            Some(libc::EADDRNOTAVAIL) => SocketError::AddressNotAvailable {
                address: IpAddr::V4(bind_to),
                interface: name.to_owned(),
                source: e,
            },
            _ => SocketError::io(format!("bind VRRP socket to {bind_to}"), name, e),
        })?;
        socket
            .set_nonblocking(true)
            .map_err(|e| SocketError::io("make socket non-blocking", name, e))?;
        // The AH header (24 bytes) sits between the IPv4 header and VRRP.
        let extra = match protocol {
            VrrpProtocol::Vrrp => 0,
            VrrpProtocol::Ah => 24,
        };
        let receiver = VrrpReceiver::new(socket, interface, VrrpAt::AfterIpv4Header { extra })?;
        Ok(Vrrp4Receiver {
            receiver,
            addressing,
        })
    }

    /// The addressing this socket was opened with.
    pub fn addressing(&self) -> Addressing4 {
        self.addressing
    }

    /// The family-independent socket, for a caller that keeps either family.
    pub fn into_receiver(self) -> VrrpReceiver {
        self.receiver
    }

    /// Waits for the next packet and copies it (IPv4 header included) into `buf`.
    /// A buffer of 1500 bytes holds any advert; bigger packets come back `truncated`.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received4, SocketError> {
        let datagram = self.receiver.recv_datagram(buf).await?;
        let source = match datagram.source {
            Some(SocketAddr::V4(v4)) => *v4.ip(),
            _ => Ipv4Addr::UNSPECIFIED,
        };
        Ok(Received4 {
            len: datagram.len,
            source,
            ifindex: datagram
                .ancillary
                .ifindex
                .unwrap_or(self.receiver.interface().index),
            truncated: datagram.truncated,
        })
    }
}

impl std::ops::Deref for Vrrp4Receiver {
    type Target = VrrpReceiver;
    fn deref(&self) -> &VrrpReceiver {
        &self.receiver
    }
}

/// Sends whole IPv4 packets (header built by the caller) out of one interface.
#[derive(Debug)]
pub struct Vrrp4Sender {
    socket: AsyncFd<Socket>,
    interface: InterfaceId,
}

impl Vrrp4Sender {
    /// Opens and configures the send socket. Must be called inside a tokio runtime.
    pub fn open(interface: &InterfaceId) -> Result<Self, SocketError> {
        let name = interface.name.as_str();
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(libc::IPPROTO_RAW)),
        )
        .map_err(|e| SocketError::open("raw VRRP", name, e))?;
        socket
            .set_header_included_v4(true)
            .map_err(|e| SocketError::io("set IP_HDRINCL", name, e))?;
        socket
            .bind_device(Some(name.as_bytes()))
            .map_err(|e| SocketError::io("bind socket to device (SO_BINDTODEVICE)", name, e))?;
        set_multicast_if_index_v4(socket.as_fd(), interface.index)
            .map_err(|e| SocketError::io("set IP_MULTICAST_IF", name, e))?;
        socket
            .set_multicast_loop_v4(false)
            .map_err(|e| SocketError::io("set IP_MULTICAST_LOOP", name, e))?;
        socket
            .set_tos(u32::from(VRRP_TOS))
            .map_err(|e| SocketError::io("set IP_TOS", name, e))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| SocketError::io("make socket non-blocking", name, e))?;
        let socket = register_with_tokio(socket, Interest::WRITABLE)
            .map_err(|e| SocketError::io("register socket with tokio", name, e))?;
        Ok(Vrrp4Sender {
            socket,
            interface: interface.clone(),
        })
    }

    /// The interface this socket sends on.
    pub fn interface(&self) -> &InterfaceId {
        &self.interface
    }

    /// Sends whole IPv4 packets to `destination` with as few `sendmmsg` calls as the
    /// kernel allows. Returns how many went out; on a failure, the error is that of
    /// packet number *sent* (the caller skips it and calls again for the rest).
    pub async fn send_many<P: AsRef<[u8]>>(
        &self,
        packets: &[P],
        destination: Ipv4Addr,
    ) -> (usize, Option<SocketError>) {
        let flags = if destination.is_multicast() {
            libc::MSG_DONTROUTE
        } else {
            0
        };
        let address = SockAddr::from(SocketAddrV4::new(destination, 0));
        let mut sent = 0;
        while sent < packets.len() {
            let rest = &packets[sent..];
            let result = self
                .socket
                .async_io(Interest::WRITABLE, |socket| {
                    send_batch(socket.as_fd(), rest, &address, flags)
                })
                .await;
            match result {
                Ok(n) if n > 0 => sent += n,
                Ok(_) => break,
                Err(e) => {
                    let error = SocketError::io(
                        format!("send VRRP packet to {destination}"),
                        &self.interface.name,
                        e,
                    );
                    return (sent, Some(error));
                }
            }
        }
        (sent, None)
    }

    /// Sends one whole IPv4 packet to `destination` (224.0.0.18 or a unicast peer).
    /// Multicast goes out with `MSG_DONTROUTE`, as keepalived does; unicast is routed.
    pub async fn send(&self, packet: &[u8], destination: Ipv4Addr) -> Result<(), SocketError> {
        let flags = if destination.is_multicast() {
            libc::MSG_DONTROUTE
        } else {
            0
        };
        let address = SockAddr::from(SocketAddrV4::new(destination, 0));
        let sent = self
            .socket
            .async_io(Interest::WRITABLE, |socket| {
                socket.send_to_with_flags(packet, &address, flags)
            })
            .await
            .map_err(|e| {
                SocketError::io(
                    format!("send VRRP packet to {destination}"),
                    &self.interface.name,
                    e,
                )
            })?;
        if sent != packet.len() {
            return Err(SocketError::io(
                format!("send VRRP packet to {destination}"),
                &self.interface.name,
                io::Error::new(io::ErrorKind::WriteZero, "short write on raw socket"),
            ));
        }
        Ok(())
    }
}
