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
    /// Binds `path` (which must not exist) and starts receiving.
    pub fn bind(path: &Path) -> Receiver {
        let socket =
            UnixDatagram::bind(path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("socket timeout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let lines = lines.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = socket.recv(&mut buf) {
                        let text = String::from_utf8_lossy(&buf[..n]);
                        lines.lock().unwrap().push(parse(&text));
                    }
                }
            })
        };
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
