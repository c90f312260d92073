//! Sending the adverts that fell due at the same instant with one `sendmmsg(2)`: a
//! master of 100 instances at 10 ms sends 100 adverts every 10 ms, all due together.
//! Batching never delays one: the batch is what is due now, sent now.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Messages per `sendmmsg` call (the caller loops for more).
pub const SEND_BATCH: usize = 32;

/// Non-blocking `sendmmsg(2)` of up to [`SEND_BATCH`] of `packets`, all to `to`;
/// returns how many the kernel took (the first that failed is reported as the error
/// when none was taken).
pub(crate) fn send_batch<P: AsRef<[u8]>>(
    fd: BorrowedFd<'_>,
    packets: &[P],
    to: &socket2::SockAddr,
    flags: libc::c_int,
) -> io::Result<usize> {
    let count = packets.len().min(SEND_BATCH);
    let mut iovecs: [libc::iovec; SEND_BATCH] = std::array::from_fn(|i| match packets.get(i) {
        Some(p) => libc::iovec {
            iov_base: p.as_ref().as_ptr().cast_mut().cast(),
            iov_len: p.as_ref().len(),
        },
        None => libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        },
    });
    // SAFETY: mmsghdr is plain old data; all-zero means "no name, no iov, no control".
    let mut headers: [libc::mmsghdr; SEND_BATCH] = unsafe { mem::zeroed() };
    for (h, iov) in headers.iter_mut().zip(iovecs.iter_mut()).take(count) {
        h.msg_hdr.msg_name = to.as_ptr().cast_mut().cast();
        h.msg_hdr.msg_namelen = to.len();
        h.msg_hdr.msg_iov = iov;
        h.msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: the headers point at `to`, the iovecs and the caller's packets, all alive
    // for the call; the kernel only reads them (and writes `msg_len`).
    let sent = unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            headers.as_mut_ptr(),
            count as libc::c_uint,
            flags | libc::MSG_DONTWAIT,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(sent).unwrap_or(0))
}
