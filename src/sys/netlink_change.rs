//! Change requests (add or delete an address, route or rule) sent on a plain blocking
//! netlink socket, as `ip` and keepalived send them.
//!
//! The kernel carries out an rtnetlink change inside `sendmsg` and queues its answer
//! before `sendmsg` returns, so reading the answer never waits. Through the async
//! connection the same request also made two trips through the runtime (to the
//! connection task and back), which put about 0.1 ms between a new master's VIP and its
//! first gratuitous ARP; here the ARP follows the address at once.

use std::io;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use nix::sys::socket::{setsockopt, sockopt::ReceiveTimeout};
use nix::sys::time::{TimeVal, TimeValLike};

/// Upper bound on the wait for an answer (the kernel answers at once; this only keeps a
/// kernel that never does from hanging the daemon).
const ANSWER_TIMEOUT_MS: i64 = 1000;

#[derive(Debug)]
pub(crate) struct ChangeSocket {
    socket: Socket,
    sequence: u32,
}

impl std::os::fd::AsFd for ChangeSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl ChangeSocket {
    /// A NETLINK_ROUTE socket of the calling thread's network namespace.
    pub(crate) fn open() -> io::Result<ChangeSocket> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        setsockopt(
            &socket,
            ReceiveTimeout,
            &TimeVal::milliseconds(ANSWER_TIMEOUT_MS),
        )?;
        Ok(ChangeSocket {
            socket,
            sequence: 0,
        })
    }

    /// Sends `request` (flags already set, `NLM_F_ACK` among them) and returns the
    /// kernel's answer: 0 when done, else the errno it reported.
    pub(crate) fn request(
        &mut self,
        mut request: NetlinkMessage<RouteNetlinkMessage>,
    ) -> io::Result<i32> {
        self.sequence = self.sequence.wrapping_add(1);
        request.header.sequence_number = self.sequence;
        request.finalize();
        let mut out = vec![0u8; request.buffer_len()];
        request.serialize(&mut out);
        self.socket.send(&out, 0)?;
        loop {
            let mut answer = Vec::with_capacity(16 * 1024);
            let len = self.socket.recv(&mut answer, 0)?;
            let mut at = 0;
            while at < len.min(answer.len()) {
                let message = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&answer[at..])
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                let size = message.header.length as usize;
                if message.header.sequence_number == self.sequence {
                    if let NetlinkPayload::Error(e) = message.payload {
                        return Ok(e.code.map_or(0, |c| -c.get()));
                    }
                }
                if size == 0 {
                    break;
                }
                at += (size + 3) & !3;
            }
        }
    }
}
