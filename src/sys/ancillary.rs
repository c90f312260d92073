//! Low-level socket calls that neither `socket2` nor `nix` wrap the way VRRP needs them:
//! `recvmsg` with the ancillary data the receive paths rely on (`IP_PKTINFO`,
//! `IPV6_PKTINFO`, `IPV6_HOPLIMIT`), and plain integer / struct `setsockopt`s
//! (`IPV6_CHECKSUM`, `IP_MULTICAST_IF` with an `ip_mreqn`, `IPV6_RECVPKTINFO`).
//!
//! Everything `unsafe` about socket syscalls in `sys/` lives in this file, so that the
//! rest of the layer is ordinary safe Rust.

use std::io;
use std::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};

/// What the kernel told us about one received datagram besides its bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ancillary {
    /// Interface the datagram arrived on (`ipi_ifindex` / `ipi6_ifindex`).
    pub ifindex: Option<u32>,
    /// Destination address of the datagram (IPv6 only; IPv4 has it in the header).
    pub destination: Option<IpAddr>,
    /// Hop limit of the received IPv6 header.
    pub hop_limit: Option<u8>,
    /// When the kernel queued the datagram (`SO_TIMESTAMPNS`), CLOCK_REALTIME since the
    /// epoch.
    pub received_at: Option<std::time::Duration>,
}

/// One datagram read by [`recv_with_ancillary`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Datagram {
    pub len: usize,
    pub source: Option<SocketAddr>,
    pub ancillary: Ancillary,
    /// The buffer was too small and the kernel dropped the tail (`MSG_TRUNC`).
    pub truncated: bool,
}

/// Waits until `socket` is readable and reads one datagram with its ancillary data; the
/// error names the interface, as every receive error the daemon logs does.
pub(crate) async fn recv_datagram(
    socket: &tokio::io::unix::AsyncFd<socket2::Socket>,
    interface: &super::interface_id::InterfaceId,
    buf: &mut [u8],
) -> Result<Datagram, super::socket_error::SocketError> {
    use std::os::fd::AsFd;
    socket
        .async_io(tokio::io::Interest::READABLE, |socket| {
            recv_with_ancillary(socket.as_fd(), buf)
        })
        .await
        .map_err(|e| {
            super::socket_error::SocketError::io("receive VRRP packet", &interface.name, e)
        })
}

/// Room for the few control messages we ask for (each well under 64 bytes); `u64`
/// elements give the buffer the alignment `cmsghdr` needs.
const CONTROL_WORDS: usize = 32;

/// Non-blocking `recvmsg(2)` that returns the datagram, its source and the ancillary data.
pub(crate) fn recv_with_ancillary(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Datagram> {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid (AF_UNSPEC) value.
    let mut source: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut control = [0u64; CONTROL_WORDS];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero means "no name, no iov, no control".
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_name = (&mut source as *mut libc::sockaddr_storage).cast();
    msg.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = mem::size_of_val(&control);

    // SAFETY: every pointer in `msg` points at live locals/`buf` that outlive the call,
    // with lengths that match their allocations.
    let received = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    let len = usize::try_from(received).unwrap_or(0).min(buf.len());
    let truncated = msg.msg_flags & libc::MSG_TRUNC != 0;
    let source = sockaddr_to_std(&source, msg.msg_namelen);
    let ancillary = parse_control_messages(&msg);
    Ok(Datagram {
        len,
        source,
        ancillary,
        truncated,
    })
}

pub(crate) fn parse_control_messages(msg: &libc::msghdr) -> Ancillary {
    let mut out = Ancillary::default();
    // SAFETY: `msg` was filled by a successful recvmsg; CMSG_FIRSTHDR only reads its
    // control pointer and length.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        // SAFETY: CMSG_FIRSTHDR/CMSG_NXTHDR return either null or a pointer to a
        // complete, aligned cmsghdr inside the control buffer.
        let header = unsafe { &*cmsg };
        // SAFETY: CMSG_DATA of a valid header points just past it, inside the buffer.
        let data = unsafe { libc::CMSG_DATA(cmsg) };
        let payload_len = (header.cmsg_len as usize).saturating_sub(cmsg_len(0));
        match (header.cmsg_level, header.cmsg_type) {
            (libc::IPPROTO_IP, libc::IP_PKTINFO)
                if payload_len >= mem::size_of::<libc::in_pktinfo>() =>
            {
                // SAFETY: the kernel wrote a full in_pktinfo here (length checked above);
                // read_unaligned copes with the cmsg data alignment.
                let info: libc::in_pktinfo = unsafe { std::ptr::read_unaligned(data.cast()) };
                out.ifindex = u32::try_from(info.ipi_ifindex).ok();
                out.destination = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    info.ipi_addr.s_addr,
                ))));
            }
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO)
                if payload_len >= mem::size_of::<libc::in6_pktinfo>() =>
            {
                // SAFETY: as above, a full in6_pktinfo is present.
                let info: libc::in6_pktinfo = unsafe { std::ptr::read_unaligned(data.cast()) };
                out.ifindex = Some(info.ipi6_ifindex);
                out.destination = Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
            }
            (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS)
                if payload_len >= mem::size_of::<libc::timespec>() =>
            {
                // SAFETY: as above, a full timespec is present.
                let at: libc::timespec = unsafe { std::ptr::read_unaligned(data.cast()) };
                out.received_at = u64::try_from(at.tv_sec)
                    .ok()
                    .zip(u32::try_from(at.tv_nsec).ok())
                    .map(|(s, ns)| std::time::Duration::new(s, ns));
            }
            (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT)
                if payload_len >= mem::size_of::<libc::c_int>() =>
            {
                // SAFETY: as above, a full int is present.
                let hops: libc::c_int = unsafe { std::ptr::read_unaligned(data.cast()) };
                out.hop_limit = u8::try_from(hops).ok();
            }
            _ => {}
        }
        // SAFETY: `cmsg` is a valid header of `msg`; CMSG_NXTHDR bounds-checks the next.
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
    out
}

fn cmsg_len(payload: usize) -> usize {
    // SAFETY: CMSG_LEN is pure arithmetic.
    unsafe { libc::CMSG_LEN(payload as libc::c_uint) as usize }
}

pub(crate) fn sockaddr_to_std(
    storage: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> Option<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len as usize >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: family and length say the storage holds a sockaddr_in.
            let sin: &libc::sockaddr_in = unsafe { &*(storage as *const _ as *const _) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::from((ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 if len as usize >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: family and length say the storage holds a sockaddr_in6.
            let sin6: &libc::sockaddr_in6 = unsafe { &*(storage as *const _ as *const _) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// `setsockopt(fd, level, name, &int)`.
pub(crate) fn set_int_option(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    set_struct_option(fd, level, name, &value)
}

/// `IP_MULTICAST_IF` by interface index (an `ip_mreqn`), which socket2 only offers by
/// address; the index form keeps working on interfaces without an IPv4 address.
pub(crate) fn set_multicast_if_index_v4(fd: BorrowedFd<'_>, ifindex: u32) -> io::Result<()> {
    let request = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: 0 },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: libc::c_int::try_from(ifindex)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
    };
    set_struct_option(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &request)
}

fn set_struct_option<T>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: `value` is a live, initialised T and we pass exactly its size.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Registers an owned socket with the tokio reactor of the current runtime.
pub(crate) fn register_with_tokio(
    socket: socket2::Socket,
    interest: tokio::io::Interest,
) -> io::Result<tokio::io::unix::AsyncFd<socket2::Socket>> {
    register_or_return(socket, interest).map_err(|(_, e)| e)
}

/// [`register_with_tokio`], handing the socket back when the reactor refuses it.
pub(crate) fn register_or_return(
    socket: socket2::Socket,
    interest: tokio::io::Interest,
) -> Result<tokio::io::unix::AsyncFd<socket2::Socket>, (socket2::Socket, io::Error)> {
    // SAFETY: `socket2::Socket` owns its descriptor, keeps it open until dropped and
    // always returns the same one from `as_raw_fd`; the AsyncFd takes ownership of it.
    let registered = unsafe { tokio::io::unix::AsyncFd::register_with_interest(socket, interest) };
    registered.map_err(|e| e.into_parts())
}
