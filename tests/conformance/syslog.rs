//! keepalived 1.1.19 logs only through syslog(3): `-l` does not copy its lines to the
//! console, and without a `/dev/log` they are lost. So a 1.1.19 node runs in a private
//! mount namespace whose `/dev/log` is a datagram socket of the harness, and every
//! message read there is appended to the node's `daemon.log`, where the scenario's
//! log expectations look for it. The host's `/dev` is not touched.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The listening end: a thread appending each message to the log until dropped.
pub struct SyslogSink {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SyslogSink {
    /// Listens on `socket` and appends what arrives to `log`, a line per message.
    pub fn start(socket: &Path, log: &Path) -> SyslogSink {
        let _ = std::fs::remove_file(socket);
        let sock = UnixDatagram::bind(socket)
            .unwrap_or_else(|e| panic!("cannot bind {}: {e}", socket.display()));
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("socket timeout");
        let stop = Arc::new(AtomicBool::new(false));
        let log: PathBuf = log.to_path_buf();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            while !flag.load(Ordering::Relaxed) {
                let Ok(n) = sock.recv(&mut buf) else { continue };
                let text = String::from_utf8_lossy(&buf[..n]);
                let line = text.trim_end_matches(['\n', '\0']);
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                {
                    let _ = writeln!(f, "{line}");
                }
            }
        });
        SyslogSink {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SyslogSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A shell script that gives `program` a private `/dev` (the host's device nodes it
/// needs, bound in, and `log` pointing at `socket`) and then execs it with its
/// arguments. Meant to run under `unshare -m --propagation private`, so the mounts
/// vanish with the process.
pub fn private_dev_wrapper(dir: &Path, socket: &Path, program: &Path) -> PathBuf {
    let script = dir.join("with-syslog.sh");
    let hostdev = dir.join("hostdev");
    let text = format!(
        "#!/bin/sh\nset -e\nmkdir -p {hd}\nmount --bind /dev {hd}\n\
         mount -t tmpfs -o mode=755 devtmp /dev\n\
         for f in null zero random urandom; do touch /dev/$f; mount --bind {hd}/$f /dev/$f; done\n\
         ln -s {sock} /dev/log\nexec {prog} \"$@\"\n",
        hd = hostdev.display(),
        sock = socket.display(),
        prog = program.display()
    );
    std::fs::write(&script, text).expect("wrapper script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("wrapper mode");
    script
}
