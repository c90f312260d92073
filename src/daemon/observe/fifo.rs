//! The notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`): created with mode 0644 (owned by
//! the configured user) when missing; their `*_script` is started once, with the FIFO's
//! path as last argument, before the FIFO is opened. Lines are written non-blocking: the
//! FIFO is opened read-write, so it always has a reader, and a line that does not fit in
//! a full pipe is dropped, as in keepalived.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use nix::errno::Errno;
use nix::sys::stat::Mode;

use super::child::start_tracked;
use crate::config::model::{Fifo, GlobalDefs};
use crate::track::children::LiveGroups;
use crate::track::command::{prepare, resolve_user};

/// An open notify FIFO.
pub(super) struct FifoSink {
    path: String,
    file: std::fs::File,
    created: bool,
}

impl FifoSink {
    /// Opens the configured FIFOs (a path given twice once), starting their scripts,
    /// tracked in `live`.
    pub(super) fn open_all(g: &GlobalDefs, live: &LiveGroups) -> Vec<FifoSink> {
        let mut fifos: Vec<FifoSink> = Vec::new();
        for (fifo, kind) in [
            (&g.notify_fifos.notify_fifo, ""),
            (&g.notify_fifos.vrrp_notify_fifo, "vrrp_"),
        ] {
            let Some(fifo) = fifo else { continue };
            if fifos.iter().any(|f| f.path == fifo.path) {
                continue;
            }
            if let Some(sink) = open_fifo(fifo, kind, g, live) {
                fifos.push(sink);
            }
        }
        fifos
    }

    /// Writes `line` unless the pipe is full (a full pipe drops it, as keepalived's
    /// `write()` does).
    pub(super) fn write_line(&self, line: &str) {
        let _ = (&self.file).write(line.as_bytes());
    }

    /// Closes the FIFO; one this daemon created is unlinked first, so a reader that
    /// reopens in a loop cannot get it back.
    pub(super) fn close(self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
        drop(self.file);
    }
}

/// keepalived's `fifo_open`: create (0644, chown to the FIFO's user), start the script,
/// open read-write non-blocking.
fn open_fifo(fifo: &Fifo, kind: &str, g: &GlobalDefs, live: &LiveGroups) -> Option<FifoSink> {
    let perms = Mode::S_IRUSR | Mode::S_IWUSR | Mode::S_IRGRP | Mode::S_IROTH;
    let created = match nix::unistd::mkfifo(fifo.path.as_str(), perms) {
        Ok(()) => true,
        Err(Errno::EEXIST) => false,
        Err(_) => {
            log::info!("Unable to create {kind}notify fifo {}", fifo.path);
            return None;
        }
    };
    if created {
        if let Some((user, group)) = &fifo.user {
            let owner = resolve_user(user, group.as_deref());
            let chowned = owner.is_some_and(|o| {
                nix::unistd::chown(
                    fifo.path.as_str(),
                    Some(nix::unistd::Uid::from_raw(o.uid)),
                    Some(nix::unistd::Gid::from_raw(o.gid)),
                )
                .is_ok()
            });
            if !chowned {
                log::info!("Failed to set uid:gid for fifo {}", fifo.path);
            }
        }
    }
    if let Some(script) = fifo
        .script
        .as_ref()
        .and_then(|s| prepare(s, g, "fifo").ok())
    {
        start_tracked(&script, &[OsStr::new(&fifo.path)], live, || {
            log::info!("vrrp notify fifo script terminated")
        });
    }
    // Read-write so the FIFO always has a reader and writes never fail or block;
    // std adds O_CLOEXEC.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(&fifo.path);
    match opened {
        Ok(file) => Some(FifoSink {
            path: fifo.path.clone(),
            file,
            created,
        }),
        Err(e) => {
            log::info!(
                "Unable to open {kind}notify fifo {} - errno {}",
                fifo.path,
                e.raw_os_error().unwrap_or(0)
            );
            if created {
                let _ = std::fs::remove_file(&fifo.path);
            }
            None
        }
    }
}
