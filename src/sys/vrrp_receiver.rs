//! What an IPv4 and an IPv6 VRRP receive socket are once open: a raw socket bound to one
//! interface, stamped with kernel arrival times (`SO_TIMESTAMPNS`), that the daemon reads
//! in batches, can park while it coalesces reads, and filters by VRID. Only opening and
//! the shape of one received packet differ by family ([`super::vrrp_socket`],
//! [`super::vrrp_socket6`]), so everything after `open` lives here once.

use std::os::fd::AsFd;
use std::task::{Context, Poll};

use socket2::Socket;

use super::ancillary::{recv_datagram, set_int_option, Datagram};
use super::interface_id::InterfaceId;
use super::parkable::{parked_error, Parkable};
use super::recv_batch::{poll_recv_batch, RecvBatch};
use super::socket_error::SocketError;
use super::vrid_filter::{attach, vrid_filter, VrrpAt};

/// A VRRP receive socket of either family, registered with the reactor.
#[derive(Debug)]
pub struct VrrpReceiver {
    socket: Parkable,
    interface: InterfaceId,
    /// Where the VRRP header starts in what the socket reads (after the IPv4 header, and
    /// AH's, or at the start of an IPv6 payload).
    vrrp_at: VrrpAt,
}

impl VrrpReceiver {
    /// Turns on arrival timestamps and registers the configured `socket` with tokio.
    /// Must be called inside a tokio runtime.
    pub(super) fn new(
        socket: Socket,
        interface: &InterfaceId,
        vrrp_at: VrrpAt,
    ) -> Result<Self, SocketError> {
        let name = interface.name.as_str();
        set_int_option(socket.as_fd(), libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)
            .map_err(|e| SocketError::io("set SO_TIMESTAMPNS", name, e))?;
        let socket = Parkable::new(socket)
            .map_err(|e| SocketError::io("register socket with tokio", name, e))?;
        Ok(VrrpReceiver {
            socket,
            interface: interface.clone(),
            vrrp_at,
        })
    }

    /// The interface this socket listens on.
    pub fn interface(&self) -> &InterfaceId {
        &self.interface
    }

    /// Sets the kernel receive queue size (keepalived's `kernel_rx_buf_size` /
    /// `vrrp_rx_bufs_policy`).
    pub fn set_receive_buffer(&self, size: super::ReceiveBuffer) -> std::io::Result<()> {
        size.apply(self.socket.as_fd())
    }

    /// Lets only adverts of `vrids` (and packets too short to tell) reach this socket
    /// ([`super::vrid_filter`]).
    pub fn set_vrid_filter(&self, vrids: &[u8]) -> Result<(), SocketError> {
        let prog = vrid_filter(vrids, self.vrrp_at);
        attach(self.socket.as_fd(), &prog)
            .map_err(|e| SocketError::io("attach VRID filter", &self.interface.name, e))
    }

    /// Whether the IPv6 ancillary data (destination, hop limit) comes with each packet.
    fn ipv6(&self) -> bool {
        self.vrrp_at == VrrpAt::Payload
    }

    /// Reads every packet already queued (up to [`super::recv_batch::BATCH`]) into
    /// `batch`, waiting for the first; one `recvmmsg` per call.
    pub fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        batch: &mut RecvBatch,
    ) -> Poll<Result<usize, SocketError>> {
        let Some(socket) = self.socket.registered() else {
            return Poll::Pending;
        };
        poll_recv_batch(socket, cx, batch, self.ipv6())
            .map_err(|e| SocketError::io("receive VRRP packet", &self.interface.name, e))
    }

    /// Reads what is queued now without waiting (`Ok(0)` when nothing is): see
    /// [`Parkable::recv_batch_now`].
    pub fn recv_batch_now(&self, batch: &mut RecvBatch) -> Result<usize, SocketError> {
        self.socket
            .recv_batch_now(batch, self.ipv6())
            .map_err(|e| SocketError::io("receive VRRP packet", &self.interface.name, e))
    }

    /// Stops (`true`) or resumes (`false`) waking the loop for each datagram
    /// ([`Parkable::set_parked`]).
    pub fn set_parked(&mut self, parked: bool) -> Result<(), SocketError> {
        self.socket
            .set_parked(parked)
            .map_err(|e| SocketError::io("register socket with tokio", &self.interface.name, e))
    }

    /// Waits for the next datagram (an error while parked).
    pub(super) async fn recv_datagram(&self, buf: &mut [u8]) -> Result<Datagram, SocketError> {
        let socket = self.socket.registered().ok_or_else(|| {
            SocketError::io("receive VRRP packet", &self.interface.name, parked_error())
        })?;
        recv_datagram(socket, &self.interface, buf).await
    }
}
