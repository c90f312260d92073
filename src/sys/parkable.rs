//! A receive socket that can leave the reactor for a while and come back.
//!
//! tokio registers sockets edge-triggered: the kernel wakes the loop for every datagram
//! that arrives, whether or not the loop wants to read yet. A backup that has decided to
//! read its adverts in batches (at most one coalescing bound apart, see
//! `daemon::wire`) must therefore take the socket out of the epoll set while it waits
//! (`epoll_ctl` DEL), read it on its own timer, and put it back (`epoll_ctl` ADD) once
//! the traffic thins out. Adding a socket that already holds data reports it readable
//! at once, so nothing queued in between is missed.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use socket2::Socket;
use tokio::io::unix::AsyncFd;

use super::ancillary::{register_or_return, register_with_tokio};
use super::recv_batch::{recv_batch, RecvBatch};

/// Where the socket is.
#[derive(Debug)]
enum State {
    Registered(AsyncFd<Socket>),
    Parked(Socket),
}

/// A socket either registered with the reactor (readiness wakes the loop) or parked
/// (read only when the owner decides).
#[derive(Debug)]
pub struct Parkable {
    /// Always `Some` between calls: `park`/`unpark` move the socket through it.
    state: Option<State>,
}

impl Parkable {
    /// Registers `socket` for readability. Must be called inside a tokio runtime.
    pub fn new(socket: Socket) -> io::Result<Parkable> {
        let fd = register_with_tokio(socket, tokio::io::Interest::READABLE)?;
        Ok(Parkable {
            state: Some(State::Registered(fd)),
        })
    }

    /// The registration, while the socket is not parked.
    pub fn registered(&self) -> Option<&AsyncFd<Socket>> {
        match &self.state {
            Some(State::Registered(fd)) => Some(fd),
            _ => None,
        }
    }

    /// Whether readiness is currently not watched.
    pub fn is_parked(&self) -> bool {
        matches!(self.state, Some(State::Parked(_)))
    }

    /// Stops watching readiness (no wake-up per datagram until [`Parkable::unpark`]).
    pub fn park(&mut self) {
        self.state = match self.state.take() {
            Some(State::Registered(fd)) => Some(State::Parked(fd.into_inner())),
            other => other,
        };
    }

    /// Watches readiness again; data already queued reports readable at once. On
    /// failure the socket stays parked.
    pub fn unpark(&mut self) -> io::Result<()> {
        let (state, result) = match self.state.take() {
            Some(State::Parked(socket)) => {
                match register_or_return(socket, tokio::io::Interest::READABLE) {
                    Ok(fd) => (State::Registered(fd), Ok(())),
                    Err((socket, e)) => (State::Parked(socket), Err(e)),
                }
            }
            Some(registered) => (registered, Ok(())),
            None => return Ok(()),
        };
        self.state = Some(state);
        result
    }
}

impl Parkable {
    /// Reads what is queued now (up to [`super::recv_batch::BATCH`]) without waiting:
    /// `Ok(0)` when nothing is. For a parked socket, read on the owner's schedule.
    pub fn recv_batch_now(&self, batch: &mut RecvBatch, ipv6: bool) -> io::Result<usize> {
        match recv_batch(self.as_fd(), batch, ipv6) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            other => other,
        }
    }

    /// Stops (`true`) or resumes (`false`) waking the loop for each datagram.
    pub fn set_parked(&mut self, parked: bool) -> io::Result<()> {
        if parked {
            self.park();
            Ok(())
        } else {
            self.unpark()
        }
    }
}

impl AsFd for Parkable {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.state {
            Some(State::Registered(fd)) => fd.get_ref().as_fd(),
            Some(State::Parked(socket)) => socket.as_fd(),
            None => unreachable!("park/unpark put the socket back before returning"),
        }
    }
}

/// The error `recv` reports on a parked socket (the daemon reads parked sockets in
/// batches, never with `recv`).
pub(crate) fn parked_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::WouldBlock,
        "the socket is parked: read it with a batch",
    )
}
