//! inotify driven by tokio: file-change events without polling (used by `track_file`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::Path;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, InotifyEvent, WatchDescriptor};
use tokio::io::unix::AsyncFd;

/// Owns the inotify descriptor; `as_raw_fd` always returns that same descriptor.
struct OwnedInotify(Inotify);

impl AsRawFd for OwnedInotify {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// A non-blocking inotify instance registered with the current tokio runtime.
pub struct AsyncInotify {
    fd: AsyncFd<OwnedInotify>,
}

impl AsyncInotify {
    /// Must be called inside a tokio runtime.
    pub fn new() -> io::Result<AsyncInotify> {
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)?;
        // SAFETY: `OwnedInotify` owns the descriptor (nix's `Inotify` holds an `OwnedFd`),
        // keeps it open until dropped and always returns the same one from `as_raw_fd`; the
        // AsyncFd takes ownership of it.
        let fd = unsafe {
            AsyncFd::register_with_interest(OwnedInotify(inotify), tokio::io::Interest::READABLE)
        }
        .map_err(io::Error::from)?;
        Ok(AsyncInotify { fd })
    }

    pub fn add_watch(&self, path: &Path, mask: AddWatchFlags) -> io::Result<WatchDescriptor> {
        Ok(self.fd.get_ref().0.add_watch(path, mask)?)
    }

    /// The next batch of events (waits until there is one).
    pub async fn read_events(&self) -> io::Result<Vec<InotifyEvent>> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.get_inner().0.read_events() {
                Ok(events) => return Ok(events),
                Err(nix::errno::Errno::EAGAIN) => guard.clear_ready(),
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}
