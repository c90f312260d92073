//! Reading every advert that is already queued on a VRRP socket with one `recvmmsg(2)`,
//! into buffers that are allocated once and reused: at 10,000 adverts a second the
//! per-packet `recvmsg`, its wake-up and its allocation were most of a backup's CPU.

use std::io;
use std::mem;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};

use super::ancillary::{parse_control_messages, sockaddr_to_std, Ancillary};

/// Adverts read per call: a master's burst of adverts due at the same instant arrives
/// together; 32 keeps the buffers at 48 KiB and still takes a 100-instance burst in
/// four calls.
pub const BATCH: usize = 32;
/// Room per datagram: any advert fits in an Ethernet MTU.
const SLOT: usize = 1500;
/// Control-message room per datagram (`u64` for `cmsghdr` alignment): IPv6 packet info,
/// hop limit and the arrival time take 96 bytes.
const CONTROL_WORDS: usize = 16;

/// One datagram of a batch.
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchEntry {
    pub len: usize,
    /// The buffer was too small and the kernel dropped the tail (`MSG_TRUNC`).
    pub truncated: bool,
    /// IPv6 receivers: source, destination, hop limit (the kernel strips the header).
    pub ipv6: Option<(Ipv6Addr, Ipv6Addr, u8)>,
    /// When the kernel queued it (CLOCK_REALTIME since the epoch), if the socket asked
    /// for it (`SO_TIMESTAMPNS`): a packet read up to a coalescing bound late is still
    /// handled at the instant it arrived.
    pub received_at: Option<std::time::Duration>,
}

/// Reusable buffers for [`recv_batch`]; holds the last batch read.
pub struct RecvBatch {
    data: Vec<u8>,
    control: Vec<[u64; CONTROL_WORDS]>,
    names: Vec<libc::sockaddr_storage>,
    entries: Vec<BatchEntry>,
    count: usize,
}

impl Default for RecvBatch {
    fn default() -> Self {
        RecvBatch {
            data: vec![0; BATCH * SLOT],
            control: vec![[0; CONTROL_WORDS]; BATCH],
            // SAFETY: sockaddr_storage is plain old data; all-zero is AF_UNSPEC.
            names: vec![unsafe { mem::zeroed() }; BATCH],
            entries: vec![BatchEntry::default(); BATCH],
            count: 0,
        }
    }
}

impl RecvBatch {
    /// The datagrams of the last batch: bytes and metadata.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &BatchEntry)> {
        self.entries[..self.count]
            .iter()
            .enumerate()
            .map(|(i, e)| (&self.data[i * SLOT..i * SLOT + e.len], e))
    }

    /// How many datagrams the last batch holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the last batch was empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Non-blocking `recvmmsg(2)` of up to [`BATCH`] datagrams into `batch`; `WouldBlock`
/// when none is queued. `ipv6` asks for the IPv6 metadata of each.
pub(crate) fn recv_batch(
    fd: BorrowedFd<'_>,
    batch: &mut RecvBatch,
    ipv6: bool,
) -> io::Result<usize> {
    batch.count = 0;
    let RecvBatch {
        data,
        control,
        names,
        ..
    } = batch;
    let mut iovecs: [libc::iovec; BATCH] = std::array::from_fn(|i| libc::iovec {
        iov_base: data[i * SLOT..].as_mut_ptr().cast(),
        iov_len: SLOT,
    });
    // SAFETY: mmsghdr is plain old data; all-zero means "no name, no iov, no control".
    let mut headers: [libc::mmsghdr; BATCH] = unsafe { mem::zeroed() };
    for (i, h) in headers.iter_mut().enumerate() {
        h.msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
        h.msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        h.msg_hdr.msg_iov = &mut iovecs[i];
        h.msg_hdr.msg_iovlen = 1;
        // IPv4 needs only the arrival time (the header says the rest); IPv6 also its
        // destination and hop limit.
        h.msg_hdr.msg_control = control[i].as_mut_ptr().cast();
        h.msg_hdr.msg_controllen = mem::size_of::<[u64; CONTROL_WORDS]>();
    }
    // SAFETY: every header points at live buffers of `batch` and the locals above, with
    // lengths that match them; they all outlive the call.
    let received = unsafe {
        libc::recvmmsg(
            fd.as_raw_fd(),
            headers.as_mut_ptr(),
            BATCH as libc::c_uint,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
        )
    };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    let count = usize::try_from(received).unwrap_or(0).min(BATCH);
    for (i, h) in headers[..count].iter().enumerate() {
        let ancillary: Ancillary = parse_control_messages(&h.msg_hdr);
        let ipv6_meta = ipv6.then(|| {
            let source = match sockaddr_to_std(&names[i], h.msg_hdr.msg_namelen) {
                Some(SocketAddr::V6(v6)) => *v6.ip(),
                _ => Ipv6Addr::UNSPECIFIED,
            };
            let destination = match ancillary.destination {
                Some(IpAddr::V6(v6)) => v6,
                _ => Ipv6Addr::UNSPECIFIED,
            };
            (source, destination, ancillary.hop_limit.unwrap_or(0))
        });
        batch.entries[i] = BatchEntry {
            len: (h.msg_len as usize).min(SLOT),
            truncated: h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
            ipv6: ipv6_meta,
            received_at: ancillary.received_at,
        };
    }
    batch.count = count;
    Ok(count)
}

/// Waits until `socket` is readable and reads a batch; clears the readiness when the
/// queue is empty, so the next poll registers the waker.
pub(crate) fn poll_recv_batch(
    socket: &tokio::io::unix::AsyncFd<socket2::Socket>,
    cx: &mut std::task::Context<'_>,
    batch: &mut RecvBatch,
    ipv6: bool,
) -> std::task::Poll<io::Result<usize>> {
    use std::os::fd::AsFd;
    loop {
        let mut guard = match socket.poll_read_ready(cx) {
            std::task::Poll::Ready(ready) => ready?,
            std::task::Poll::Pending => return std::task::Poll::Pending,
        };
        if let Ok(result) = guard.try_io(|s| recv_batch(s.get_ref().as_fd(), batch, ipv6)) {
            // A short batch emptied the queue: forget the readiness now rather than
            // learn it from one more `recvmmsg` that fails with EAGAIN. Safe with the
            // edge-triggered reactor: a packet queued after the call is a new event,
            // and tokio keeps the readiness if that event is already in.
            if matches!(result, Ok(n) if n < BATCH) {
                guard.clear_ready();
            }
            return std::task::Poll::Ready(result);
        }
    }
}
