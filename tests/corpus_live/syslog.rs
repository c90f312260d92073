//! A syslog receiver of the test's own: a Unix datagram socket that the launcher binds over
//! the daemon's `/dev/log`. Every datagram keeps its severity (`<PRI>` & 7), so the test can
//! tell error lines from the rest whatever the daemon prints on its console.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// syslog severities up to and including this one are "error level" (LOG_ERR).
pub const LOG_ERR: u8 = 3;

/// One received line.
#[derive(Clone, Debug)]
pub struct Line {
    pub severity: u8,
    /// The program's ident (`Keepalived_vrrp`), without the pid.
    pub ident: String,
    pub message: String,
}

/// Receives datagrams on a thread of its own until dropped (a daemon that logs faster than
/// it is read would otherwise block or drop lines).
pub struct Receiver {
    lines: Arc<Mutex<Vec<Line>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Binds `path` (which must not exist) from inside network namespace `netns` and starts
    /// receiving. A Unix datagram socket's queue length is its namespace's
    /// `net.unix.max_dgram_qlen` at creation: the namespace's (512, as systemd sets it for
    /// journald's `/dev/log`), not the kernel default of 10 that a burst of start-up lines
    /// overflows before this thread is scheduled.
    pub fn bind(path: &Path, netns: &str) -> Receiver {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = {
            let lines = lines.clone();
            let stop = stop.clone();
            let path = path.to_path_buf();
            let netns = format!("/run/netns/{netns}");
            std::thread::spawn(move || {
                let socket = match bound_in(&netns, &path) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let mut buf = vec![0u8; 16 * 1024];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = socket.recv(&mut buf) {
                        let text = String::from_utf8_lossy(&buf[..n]);
                        lines.lock().unwrap().push(parse(&text));
                    }
                }
            })
        };
        if let Err(e) = ready_rx.recv().expect("syslog receiver thread") {
            panic!("syslog receiver {}: {e}", path.display());
        }
        Receiver {
            lines,
            stop,
            thread: Some(thread),
        }
    }

    /// Every line received so far.
    pub fn lines(&self) -> Vec<Line> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The calling thread enters namespace file `netns` (only this thread moves) and binds
/// `path` there.
fn bound_in(netns: &str, path: &Path) -> Result<UnixDatagram, String> {
    let ns = std::fs::File::open(netns).map_err(|e| format!("{netns}: {e}"))?;
    nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("setns: {e}"))?;
    let socket = UnixDatagram::bind(path).map_err(|e| format!("bind: {e}"))?;
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// `<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE` (glibc's syslog(3) shape, which both daemons
/// send); anything else is kept whole as the message, at severity 7.
pub fn parse(datagram: &str) -> Line {
    let text = datagram.trim_end_matches(['\n', '\0']);
    let Some((pri, rest)) = text
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .and_then(|(p, r)| Some((p.parse::<u32>().ok()?, r)))
    else {
        return Line {
            severity: 7,
            ident: String::new(),
            message: text.to_string(),
        };
    };
    // The timestamp is 15 characters ("Jan  6 12:00:00") and a space.
    let rest = rest.get(16..).unwrap_or(rest);
    let (ident, message) = match rest.split_once(": ") {
        Some((head, msg)) if !head.contains(' ') => {
            (head.split('[').next().unwrap_or(head).to_string(), msg)
        }
        _ => (String::new(), rest),
    };
    Line {
        severity: (pri & 7) as u8,
        ident,
        message: message.to_string(),
    }
}
