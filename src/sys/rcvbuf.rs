//! A socket's kernel receive queue size: `SO_RCVBUF`, which the kernel caps at
//! `net.core.rmem_max`, or `SO_RCVBUFFORCE` (needs `CAP_NET_ADMIN`), which is not capped.
//! The kernel doubles the value asked for (its bookkeeping overhead); `ss -m` shows the
//! doubled figure as `rb`.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::ancillary::set_int_option;

/// A receive buffer request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiveBuffer {
    /// Bytes asked for (values past `i32::MAX` ask for `i32::MAX`).
    pub bytes: u32,
    /// `SO_RCVBUFFORCE` rather than `SO_RCVBUF`.
    pub force: bool,
}

impl ReceiveBuffer {
    /// Asks the kernel for this size on `fd`.
    pub fn apply(self, fd: BorrowedFd<'_>) -> io::Result<()> {
        let option = if self.force {
            libc::SO_RCVBUFFORCE
        } else {
            libc::SO_RCVBUF
        };
        let bytes = libc::c_int::try_from(self.bytes).unwrap_or(libc::c_int::MAX);
        set_int_option(fd, libc::SOL_SOCKET, option, bytes)
    }
}

/// Duplicates of sockets whose receive queue is sized after they were handed to a task
/// (a duplicate names the same socket), so a reload can size them again.
#[derive(Debug, Default)]
pub struct SocketHandles(Vec<OwnedFd>);

impl SocketHandles {
    /// Keeps a duplicate of `socket`.
    pub fn keep(&mut self, socket: BorrowedFd<'_>) -> io::Result<()> {
        self.0.push(socket.try_clone_to_owned()?);
        Ok(())
    }

    /// Another set naming the same sockets.
    pub fn duplicate(&self) -> io::Result<SocketHandles> {
        self.0
            .iter()
            .map(|fd| fd.try_clone())
            .collect::<io::Result<_>>()
            .map(SocketHandles)
    }

    /// Adds the sockets of `other`.
    pub fn extend(&mut self, other: SocketHandles) {
        self.0.extend(other.0);
    }

    /// Sizes every socket; the first error stops and is returned.
    pub fn apply(&self, size: ReceiveBuffer) -> io::Result<()> {
        self.0.iter().try_for_each(|fd| size.apply(fd.as_fd()))
    }
}
