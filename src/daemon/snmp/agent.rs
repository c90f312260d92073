//! The subagent's life in the daemon: its own tokio task, which connects to the master
//! agent, serves the MIBs the configuration turns on (VRRP-MIB, KEEPALIVED-MIB) from the
//! latest status snapshot, and reconnects every
//! [`RETRY_EVERY`] while the master is down or after it restarts. VRRP never waits for
//! it: the daemon only replaces the snapshot in a watch channel.

use super::address::{AgentAddress, DEFAULT_SOCKET};
use super::session::{self, Mibs, Served, SessionError};
use super::traps::{self, TrapSettings};
use crate::config::model::Config;
use crate::daemon::status::Snapshot;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How often a master agent that is down is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(2);

/// What the subagent is asked to serve; a reload that changes it restarts the session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wanted {
    address: AgentAddress,
    mibs: Mibs,
    notifications: TrapSettings,
}

/// The running subagent, if the configuration asks for one.
pub struct SnmpAgent {
    snapshots: watch::Sender<Arc<Snapshot>>,
    /// The running configuration, for KEEPALIVED-MIB (`None` when it is not served).
    configs: watch::Sender<Option<Arc<Config>>>,
    running: Option<(Wanted, watch::Sender<bool>, JoinHandle<()>)>,
}

impl SnmpAgent {
    pub fn new(first: Arc<Snapshot>) -> SnmpAgent {
        SnmpAgent {
            snapshots: watch::Sender::new(first),
            configs: watch::Sender::new(None),
            running: None,
        }
    }

    /// Follows the running configuration (at start-up and after each reload; `config`
    /// without its instances, which the snapshots describe). Must run inside the
    /// daemon's tokio runtime.
    pub fn configure(&mut self, config: &Config) {
        let snmp = &config.global.snmp;
        let mibs = Mibs {
            rfcv2: snmp.rfcv2,
            rfcv3: snmp.rfcv3,
            keepalived: snmp.vrrp || snmp.keepalived,
            traps: snmp.traps,
        };
        // keepalived sends each MIB's notifications when that MIB and `enable_traps` are on.
        let notifications = TrapSettings {
            keepalived: snmp.traps && mibs.keepalived,
            rfcv2: snmp.traps && snmp.rfcv2,
            rfcv3: snmp.traps && snmp.rfcv3,
            router_id: String::new(),
        };
        self.configs
            .send_replace(mibs.keepalived.then(|| Arc::new(config.clone())));
        let wanted = if mibs.rfcv2 || mibs.rfcv3 || mibs.keepalived || notifications.any() {
            let socket = snmp.socket.as_deref().unwrap_or(DEFAULT_SOCKET);
            match AgentAddress::parse(socket) {
                Ok(address) => Some(Wanted {
                    address,
                    mibs,
                    notifications,
                }),
                Err(e) => {
                    log::error!("{e}; SNMP is not served");
                    None
                }
            }
        } else {
            None
        };
        if self.running.as_ref().map(|r| &r.0) == wanted.as_ref() {
            return;
        }
        self.stop_running();
        if let Some(w) = wanted {
            let (stop_tx, stop_rx) = watch::channel(false);
            let (events_tx, events_rx) = mpsc::channel(traps::QUEUE);
            traps::install(w.notifications.any().then_some(events_tx));
            let served = Served::new(
                self.snapshots.subscribe(),
                self.configs.subscribe(),
                w.mibs.clone(),
                w.notifications.clone(),
                events_rx,
            );
            let task = tokio::spawn(run(w.address.clone(), served, stop_rx));
            self.running = Some((w, stop_tx, task));
        }
    }

    /// True while a subagent runs: only then is a snapshot worth building for it.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    pub fn publish(&self, snapshot: Arc<Snapshot>) {
        self.snapshots.send_replace(snapshot);
    }

    fn stop_running(&mut self) -> Option<JoinHandle<()>> {
        let (_, stop, task) = self.running.take()?;
        traps::install(None);
        let _ = stop.send(true);
        Some(task)
    }

    /// Closes the session (at daemon exit), waiting a moment for the Close to be sent.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.stop_running() {
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn connect(address: &AgentAddress) -> std::io::Result<Box<dyn Stream>> {
    Ok(match address {
        AgentAddress::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
        AgentAddress::Tcp(hostport) => {
            Box::new(tokio::net::TcpStream::connect(hostport.as_str()).await?)
        }
    })
}

/// One connection: open, register, serve. `Ok` = stopped on request.
async fn session(
    address: &AgentAddress,
    served: &mut Served,
    stop: &mut watch::Receiver<bool>,
    failing: &mut bool,
) -> Result<(), SessionError> {
    let mut stream = connect(address).await?;
    let ids = session::open(&mut stream, &served.mibs).await?;
    let names = served.mibs.names();
    if names.is_empty() {
        log::info!("SNMP: AgentX session open with the master agent at {address}");
    }
    for name in names {
        log::info!("SNMP: registered {name} with the AgentX master agent at {address}");
    }
    *failing = false;
    session::serve(&mut stream, ids, served, stop).await
}

/// The subagent task: sessions one after another until stopped. A failure is logged
/// once per outage, not on every retry.
async fn run(address: AgentAddress, mut served: Served, mut stop: watch::Receiver<bool>) {
    let mut failing = false;
    loop {
        match session(&address, &mut served, &mut stop, &mut failing).await {
            Ok(()) => return,
            Err(e) => {
                if !failing {
                    log::warn!(
                        "SNMP: AgentX master agent at {address}: {e}; retrying every {} s",
                        RETRY_EVERY.as_secs()
                    );
                }
                failing = true;
                served.drop_queued();
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY_EVERY) => {}
            () = session::stopped(&mut stop) => return,
        }
    }
}
