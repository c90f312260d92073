//! `AF_PACKET` sockets bound to one interface: the way whole Ethernet frames (gratuitous
//! ARP, unsolicited neighbour advertisements) leave the host exactly as built, without
//! the kernel's address selection, neighbour resolution or DAD state getting a say.

use std::mem;
use std::os::fd::AsFd;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::ancillary::register_with_tokio;
use super::interface_id::InterfaceId;
use super::socket_error::SocketError;

/// `ETH_P_ALL`: every protocol, for listeners that want to see all frames.
pub const ETH_P_ALL: u16 = 0x0003;
/// Smallest frame we accept to send: an Ethernet header.
const ETHERNET_HEADER_LEN: usize = 14;

/// A raw link-layer socket on one interface.
#[derive(Debug)]
pub struct PacketSocket {
    socket: AsyncFd<Socket>,
    interface: InterfaceId,
}

impl PacketSocket {
    /// Opens a socket on `interface` that receives frames of `ethertype`
    /// ([`ETH_P_ALL`] for all), or none at all when `ethertype` is `None` (a send-only
    /// socket, which then never queues traffic nobody reads). Must be called inside a
    /// tokio runtime.
    pub fn open(interface: &InterfaceId, ethertype: Option<u16>) -> Result<Self, SocketError> {
        let name = interface.name.as_str();
        let protocol = ethertype.unwrap_or(0);
        let socket = Socket::new(
            Domain::PACKET,
            Type::RAW,
            Some(Protocol::from(i32::from(protocol.to_be()))),
        )
        .map_err(|e| SocketError::open("packet (AF_PACKET)", name, e))?;
        let local = link_layer_address(interface.index, protocol, None);
        socket
            .bind(&local)
            .map_err(|e| SocketError::io("bind packet socket", name, e))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| SocketError::io("make socket non-blocking", name, e))?;
        let socket = register_with_tokio(socket, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| SocketError::io("register socket with tokio", name, e))?;
        Ok(PacketSocket {
            socket,
            interface: interface.clone(),
        })
    }

    /// The interface this socket is bound to.
    pub fn interface(&self) -> &InterfaceId {
        &self.interface
    }

    /// Sends one whole Ethernet frame (destination MAC first) out of the interface.
    pub async fn send(&self, frame: &[u8]) -> Result<(), SocketError> {
        let name = self.interface.name.as_str();
        if frame.len() < ETHERNET_HEADER_LEN {
            return Err(SocketError::io(
                "send frame",
                name,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "frame shorter than 14 bytes",
                ),
            ));
        }
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        let mut destination = [0u8; 6];
        destination.copy_from_slice(&frame[..6]);
        let address = link_layer_address(self.interface.index, ethertype, Some(destination));
        let sent = self
            .socket
            .async_io(Interest::WRITABLE, |socket| socket.send_to(frame, &address))
            .await
            .map_err(|e| SocketError::io("send frame", name, e))?;
        if sent != frame.len() {
            return Err(SocketError::io(
                "send frame",
                name,
                std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "short write on packet socket",
                ),
            ));
        }
        Ok(())
    }

    /// Waits for the next frame (incoming or, as packet sockets do, outgoing) and copies
    /// it into `buf`; returns its length, cut to the buffer.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<usize, SocketError> {
        self.socket
            .async_io(Interest::READABLE, |socket| recv_frame(socket.as_fd(), buf))
            .await
            .map_err(|e| SocketError::io("receive frame", &self.interface.name, e))
    }
}

fn recv_frame(fd: std::os::fd::BorrowedFd<'_>, buf: &mut [u8]) -> std::io::Result<usize> {
    nix::sys::socket::recv(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        buf,
        nix::sys::socket::MsgFlags::MSG_DONTWAIT,
    )
    .map_err(std::io::Error::from)
}

/// Builds a `sockaddr_ll` for `ifindex`/`ethertype` (and destination MAC when sending).
fn link_layer_address(ifindex: u32, ethertype: u16, destination: Option<[u8; 6]>) -> SockAddr {
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid starting value.
    let mut link: libc::sockaddr_ll = unsafe { mem::zeroed() };
    link.sll_family = libc::AF_PACKET as libc::sa_family_t;
    link.sll_protocol = ethertype.to_be();
    link.sll_ifindex = libc::c_int::try_from(ifindex).unwrap_or(0);
    if let Some(mac) = destination {
        link.sll_halen = 6;
        link.sll_addr[..6].copy_from_slice(&mac);
    }
    // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    // SAFETY: sockaddr_storage is larger than and aligned for any sockaddr, so writing a
    // sockaddr_ll at its start stays in bounds and aligned.
    unsafe {
        std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), link);
    }
    let len = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    // SAFETY: the storage holds an AF_PACKET sockaddr_ll of exactly `len` bytes.
    unsafe { SockAddr::new(storage, len) }
}

/// A send-only packet socket with the MAC its frames announce: what gratuitous ARP and
/// unsolicited NA senders share (the interface MAC, or the VMAC under `use_vmac`).
#[derive(Debug)]
pub(crate) struct FrameSender {
    pub socket: PacketSocket,
    pub mac: [u8; 6],
}

impl FrameSender {
    pub fn open(interface: &InterfaceId, mac: [u8; 6]) -> Result<Self, SocketError> {
        Ok(FrameSender {
            socket: PacketSocket::open(interface, None)?,
            mac,
        })
    }
}
