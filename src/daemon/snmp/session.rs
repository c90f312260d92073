//! One AgentX session with the master agent: Open, Register the MIBs served, answer
//! requests and send notifications until the connection ends or the daemon stops, then
//! Close.

use super::keepalived_mib;
use super::pdu::{self, close_reason, error, Ids, Incoming, PduError, PduType, VarBind};
use super::traps::{self, TrapEvent, TrapSettings};
use super::view::MibView;
use super::vrrp_mib::{self, VRRP_MIB};
use super::vrrpv3_mib::{self, VRRPV3_MIB};
use crate::config::model::{Config, TrackProcess};
use crate::daemon::status::Snapshot;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::sync::watch;

/// keepalived's AgentX identity (its enterprise OID) and description.
const OUR_ID: [u32; 7] = [1, 3, 6, 1, 4, 1, 9586];
const DESCRIPTION: &str = "keepalived-rs VRRP";
/// How long the master may take to answer our Open or Register.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// Larger PDUs are a broken peer, not a request (they would only waste memory).
const MAX_PAYLOAD: usize = 1 << 20;

#[derive(Debug, Error)]
pub enum SessionError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Pdu(#[from] PduError),
    #[error("the master agent refused our {what} (AgentX error {code})")]
    Refused { what: &'static str, code: u16 },
    #[error("the master agent did not answer our {0}")]
    NoAnswer(&'static str),
    #[error("the master agent closed the session")]
    ClosedByMaster,
}

/// Which MIBs the configuration turns on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mibs {
    /// VRRP-MIB (RFC 2787): `enable_snmp_rfcv2`.
    pub rfcv2: bool,
    /// VRRPv3-MIB (RFC 6527): `enable_snmp_rfcv3`.
    pub rfcv3: bool,
    /// KEEPALIVED-MIB's global and VRRP parts: `enable_snmp_vrrp`.
    pub keepalived: bool,
    /// `enable_traps` (VRRP-MIB's vrrpNotificationCntl, KEEPALIVED-MIB's trapEnable).
    pub traps: bool,
}

impl Mibs {
    /// The subtrees to register, named, in keepalived's order (its global scalars, its
    /// VRRP tables, VRRP-MIB, then VRRPv3-MIB).
    fn subtrees(&self) -> Vec<(&'static str, &'static [u32])> {
        let mut out: Vec<(&'static str, &'static [u32])> = Vec::new();
        if self.keepalived {
            out.push(("KEEPALIVED-MIB (global)", &keepalived_mib::GLOBAL));
            out.push(("KEEPALIVED-MIB (VRRP)", &keepalived_mib::VRRP));
        }
        if self.rfcv2 {
            out.push(("VRRP-MIB (RFC 2787)", &VRRP_MIB));
        }
        if self.rfcv3 {
            out.push(("VRRPv3-MIB (RFC 6527)", &VRRPV3_MIB));
        }
        out
    }

    /// The names of the registered subtrees, for the log.
    pub fn names(&self) -> Vec<&'static str> {
        self.subtrees().into_iter().map(|(n, _)| n).collect()
    }
}

/// How many running processes `p` matches now (KEEPALIVED-MIB's `vrrpProcessCurProc`),
/// counted when a request needs the view, on the subagent's task.
fn process_count(p: &TrackProcess) -> usize {
    crate::track::process::ProcessMatcher::from_config(p).map_or(0, |m| {
        crate::track::process::count_matching(std::path::Path::new("/proc"), &m)
    })
}

/// What the subagent serves, and from which snapshots.
pub struct Served {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// The running configuration (only while KEEPALIVED-MIB is served).
    configs: watch::Receiver<Option<Arc<Config>>>,
    pub mibs: Mibs,
    /// The notifications sent, and the events they come from.
    pub notifications: TrapSettings,
    pub events: mpsc::Receiver<TrapEvent>,
    /// The subagent's start: notifications carry the time since as sysUpTime.0.
    started: Instant,
    /// The view of the last snapshot and configuration it was built from (rebuilt when
    /// either is newer).
    cached: Option<(Arc<Snapshot>, Option<Arc<Config>>, MibView)>,
}

impl Served {
    pub fn new(
        snapshots: watch::Receiver<Arc<Snapshot>>,
        configs: watch::Receiver<Option<Arc<Config>>>,
        mibs: Mibs,
        notifications: TrapSettings,
        events: mpsc::Receiver<TrapEvent>,
    ) -> Served {
        Served {
            snapshots,
            configs,
            mibs,
            notifications,
            events,
            started: Instant::now(),
            cached: None,
        }
    }

    fn view(&mut self) -> &MibView {
        let latest = self.snapshots.borrow().clone();
        let config = self.configs.borrow().clone();
        let same_config = |c: &Option<Arc<Config>>| match (c, &config) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        let fresh =
            matches!(&self.cached, Some((s, c, _)) if Arc::ptr_eq(s, &latest) && same_config(c));
        if !fresh {
            let facts = super::interfaces::all();
            let facts = |name: &str| facts.get(name).cloned();
            let mut view = if self.mibs.rfcv2 {
                vrrp_mib::build(&latest, self.mibs.traps, &facts)
            } else {
                MibView::default()
            };
            if self.mibs.rfcv3 {
                vrrpv3_mib::build_into(&mut view, &latest, &facts);
            }
            if let (true, Some(config)) = (self.mibs.keepalived, &config) {
                let inputs = keepalived_mib::Inputs {
                    config,
                    snap: &latest,
                    facts: &facts,
                    process_count: &process_count,
                };
                keepalived_mib::add(&mut view, &inputs);
            }
            self.cached = Some((latest, config, view));
        }
        &self.cached.as_ref().expect("just built").2
    }

    /// The Notify PDUs of `event` (none when the configuration sends none for it).
    fn notify_pdus(&self, event: &TrapEvent, ids: &mut Ids) -> Vec<Vec<u8>> {
        let facts = super::interfaces::all();
        let (name, interface) = match event {
            TrapEvent::Instance { facts, .. } | TrapEvent::Rejected { facts, .. } => {
                (facts.name.as_str(), facts.interface.as_str())
            }
            TrapEvent::Group { .. } => ("", ""),
        };
        let vmac = self
            .snapshots
            .borrow()
            .instance(name)
            .and_then(|i| i.vmac_ifname.clone());
        let base = facts.get(interface);
        let ifs = traps::Interfaces {
            own: vmac.as_deref().and_then(|v| facts.get(v)).or(base),
            base,
        };
        let uptime = (self.started.elapsed().as_millis() / 10) as u32;
        let settings = TrapSettings {
            router_id: self.snapshots.borrow().global.router_id.clone(),
            ..self.notifications.clone()
        };
        traps::notifications(event, &settings, &ifs)
            .into_iter()
            .map(|varbinds| {
                ids.packet += 1;
                pdu::notify(*ids, &traps::with_uptime(uptime, varbinds))
            })
            .collect()
    }

    /// Drops the events queued while no session was open (keepalived's notifications
    /// are lost while its master agent is away).
    pub fn drop_queued(&mut self) {
        while self.events.try_recv().is_ok() {}
    }

    /// The Response to a request (`None`: the request takes no response).
    fn answer(&mut self, request: Incoming) -> Option<Vec<u8>> {
        let (ids, varbinds): (Ids, Vec<VarBind>) = match request {
            Incoming::Get { ids, ranges } => {
                let view = self.view();
                (ids, ranges.iter().map(|r| view.get(r)).collect())
            }
            Incoming::GetNext { ids, ranges } => {
                let view = self.view();
                (ids, ranges.iter().map(|r| view.get_next(r)).collect())
            }
            Incoming::GetBulk {
                ids,
                non_repeaters,
                max_repetitions,
                ranges,
            } => {
                let view = self.view();
                let vbs = view.get_bulk(non_repeaters as usize, max_repetitions as usize, &ranges);
                (ids, vbs)
            }
            Incoming::Set { ids, kind } => {
                let code = match kind {
                    PduType::CleanupSet => return None,
                    PduType::CommitSet => error::COMMIT_FAILED,
                    PduType::UndoSet => error::UNDO_FAILED,
                    _ => error::NOT_WRITABLE,
                };
                return Some(pdu::response(ids, code, 1, &[]));
            }
            Incoming::Response { .. } | Incoming::Close { .. } | Incoming::Other { .. } => {
                return None
            }
        };
        Some(pdu::response(ids, error::NO_ERROR, 0, &varbinds))
    }
}

/// Resolves once `stop` reads true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Reads one whole PDU.
async fn read_pdu<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Incoming, SessionError> {
    let mut header = [0u8; pdu::HEADER_LEN];
    stream.read_exact(&mut header).await?;
    let len = pdu::payload_len(&header);
    if len > MAX_PAYLOAD {
        return Err(PduError::Truncated.into());
    }
    let mut whole = header.to_vec();
    whole.resize(pdu::HEADER_LEN + len, 0);
    stream.read_exact(&mut whole[pdu::HEADER_LEN..]).await?;
    Ok(pdu::decode(&whole)?)
}

/// Sends `request` and waits for its Response (the session is not serving yet, so any
/// other PDU is unexpected and skipped).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &[u8],
    what: &'static str,
) -> Result<Ids, SessionError> {
    stream.write_all(request).await?;
    let wait = async {
        loop {
            if let Incoming::Response { ids, error } = read_pdu(stream).await? {
                if error != error::NO_ERROR {
                    return Err(SessionError::Refused { what, code: error });
                }
                return Ok(ids);
            }
        }
    };
    tokio::time::timeout(ANSWER_WITHIN, wait)
        .await
        .map_err(|_| SessionError::NoAnswer(what))?
}

/// Opens a session and registers the MIBs served; returns the session's ids.
pub async fn open<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    mibs: &Mibs,
) -> Result<Ids, SessionError> {
    let mut ids = Ids {
        packet: 1,
        ..Ids::default()
    };
    let opened = exchange(stream, &pdu::open(ids, 0, &OUR_ID, DESCRIPTION), "Open").await?;
    ids.session = opened.session;
    for (name, subtree) in mibs.subtrees() {
        ids.packet += 1;
        exchange(stream, &pdu::register(ids, subtree), name).await?;
    }
    Ok(ids)
}

/// Sends the notifications of every event already queued.
async fn send_queued<W: AsyncWrite + Unpin>(
    out: &mut W,
    served: &mut Served,
    ids: &mut Ids,
) -> Result<(), SessionError> {
    while let Ok(event) = served.events.try_recv() {
        for notify in served.notify_pdus(&event, ids) {
            out.write_all(&notify).await?;
        }
    }
    Ok(())
}

/// Answers the master's requests and sends notifications until the connection fails
/// (`Err`) or `stop` fires (`Ok`, after the last notifications and a Close). A request
/// being read is never interrupted: notifications are written on the other half.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    mut ids: Ids,
    served: &mut Served,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), SessionError> {
    let (mut rd, mut wr) = tokio::io::split(stream);
    loop {
        let reading = read_pdu(&mut rd);
        tokio::pin!(reading);
        let request = loop {
            tokio::select! {
                r = &mut reading => break r?,
                Some(event) = served.events.recv() => {
                    for notify in served.notify_pdus(&event, &mut ids) {
                        wr.write_all(&notify).await?;
                    }
                }
                () = stopped(stop) => {
                    // The last events (STOP) go out before the session closes.
                    send_queued(&mut wr, served, &mut ids).await?;
                    ids.packet += 1;
                    // A half-read request is dropped with the session: Close ends it.
                    wr.write_all(&pdu::close(ids, close_reason::SHUTDOWN)).await?;
                    return Ok(());
                }
            }
        };
        if let Incoming::Close { .. } = request {
            return Err(SessionError::ClosedByMaster);
        }
        if let Some(response) = served.answer(request) {
            wr.write_all(&response).await?;
        }
    }
}
