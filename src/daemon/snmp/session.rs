//! One AgentX session with the master agent: Open, Register VRRP-MIB, answer requests
//! until the connection ends or the daemon stops, then Close.

use super::pdu::{self, close_reason, error, Ids, Incoming, PduError, PduType, VarBind};
use super::view::MibView;
use super::vrrp_mib::{self, VRRP_MIB};
use crate::daemon::status::Snapshot;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
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

/// What the subagent serves, and from which snapshots.
pub struct Served {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub traps: bool,
    /// The view of the last snapshot it was built from (rebuilt when a newer one exists).
    cached: Option<(Arc<Snapshot>, MibView)>,
}

impl Served {
    pub fn new(snapshots: watch::Receiver<Arc<Snapshot>>, traps: bool) -> Served {
        Served {
            snapshots,
            traps,
            cached: None,
        }
    }

    fn view(&mut self) -> &MibView {
        let latest = self.snapshots.borrow().clone();
        let fresh = matches!(&self.cached, Some((s, _)) if Arc::ptr_eq(s, &latest));
        if !fresh {
            let facts = super::interfaces::all();
            let view = vrrp_mib::build(&latest, self.traps, &|name| facts.get(name).cloned());
            self.cached = Some((latest, view));
        }
        &self.cached.as_ref().expect("just built").1
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

/// Opens a session and registers VRRP-MIB; returns the session's ids.
pub async fn open<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> Result<Ids, SessionError> {
    let mut ids = Ids {
        packet: 1,
        ..Ids::default()
    };
    let opened = exchange(stream, &pdu::open(ids, 0, &OUR_ID, DESCRIPTION), "Open").await?;
    ids.session = opened.session;
    ids.packet = 2;
    exchange(
        stream,
        &pdu::register(ids, &VRRP_MIB),
        "Register of VRRP-MIB",
    )
    .await?;
    Ok(ids)
}

/// Answers the master's requests until the connection fails (`Err`) or `stop` fires
/// (`Ok`, after sending Close).
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    mut ids: Ids,
    served: &mut Served,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), SessionError> {
    loop {
        let request = tokio::select! {
            r = read_pdu(stream) => r?,
            () = stopped(stop) => {
                ids.packet += 1;
                // A half-read request is dropped with the session: Close ends it anyway.
                stream.write_all(&pdu::close(ids, close_reason::SHUTDOWN)).await?;
                return Ok(());
            }
        };
        if let Incoming::Close { .. } = request {
            return Err(SessionError::ClosedByMaster);
        }
        if let Some(response) = served.answer(request) {
            stream.write_all(&response).await?;
        }
    }
}
