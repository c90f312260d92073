//! The signals keepalived 2.2.7 answers, as one stream of [`DaemonSignal`]s.
//!
//! | signal        | keepalived meaning            |
//! |---------------|-------------------------------|
//! | TERM, INT     | graceful stop                 |
//! | HUP           | reload the configuration      |
//! | USR1          | write `/tmp/keepalived.data`  |
//! | USR2          | write `/tmp/keepalived.stats` |
//! | SIGRTMAX-1    | clear the statistics          |
//! | SIGRTMIN+2    | write `/tmp/keepalived.json`  |

use std::io;

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;

/// What a received signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonSignal {
    Stop,
    Reload,
    DumpData,
    DumpStats,
    ClearStats,
    DumpJson,
}

/// Who asked for a dump: keepalived words its log line after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An OS signal.
    Signal,
    /// A D-Bus caller (`org.keepalived.Vrrp1.Vrrp` methods).
    Dbus,
}

/// Subscriptions to every signal the daemon handles. Creating it installs the handlers,
/// so a signal arriving afterwards is never lost (nor does it kill the process).
/// The daemon's signal subscriptions, watched by a task of their own: the loop then
/// polls one channel on every wake-up (every advert, at high rates) instead of seven
/// signal streams.
pub struct Signals {
    received: mpsc::UnboundedReceiver<DaemonSignal>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl Signals {
    /// Installs the handlers. Must run inside the tokio runtime.
    pub fn install() -> io::Result<Signals> {
        let table = [
            (libc::SIGTERM, DaemonSignal::Stop),
            (libc::SIGINT, DaemonSignal::Stop),
            (libc::SIGHUP, DaemonSignal::Reload),
            (libc::SIGUSR1, DaemonSignal::DumpData),
            (libc::SIGUSR2, DaemonSignal::DumpStats),
            (libc::SIGRTMAX() - 1, DaemonSignal::ClearStats),
            (libc::SIGRTMIN() + 2, DaemonSignal::DumpJson),
        ];
        let mut subscriptions = Vec::with_capacity(table.len());
        for (number, meaning) in table {
            subscriptions.push((signal(SignalKind::from_raw(number))?, meaning));
        }
        let (tx, received) = mpsc::unbounded_channel();
        let watcher = tokio::spawn(async move {
            loop {
                let next = next_of(&mut subscriptions).await;
                if tx.send(next).is_err() {
                    return;
                }
            }
        });
        Ok(Signals { received, watcher })
    }

    /// Waits for the next signal.
    pub async fn next(&mut self) -> DaemonSignal {
        match self.received.recv().await {
            Some(signal) => signal,
            None => std::future::pending().await,
        }
    }
}

/// The next signal of any subscription, in table order when several are pending.
async fn next_of(subscriptions: &mut [(Signal, DaemonSignal)]) -> DaemonSignal {
    std::future::poll_fn(|cx| {
        for (s, meaning) in subscriptions.iter_mut() {
            if s.poll_recv(cx).is_ready() {
                return std::task::Poll::Ready(*meaning);
            }
        }
        std::task::Poll::Pending
    })
    .await
}
