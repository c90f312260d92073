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
pub struct Signals {
    subscriptions: Vec<(Signal, DaemonSignal)>,
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
        Ok(Signals { subscriptions })
    }

    /// Waits for the next signal.
    pub async fn next(&mut self) -> DaemonSignal {
        let polls = self.subscriptions.iter_mut().map(|(s, meaning)| {
            let meaning = *meaning;
            Box::pin(async move {
                s.recv().await;
                meaning
            })
        });
        futures::future::select_all(polls).await.0
    }
}
