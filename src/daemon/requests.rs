//! Requests parts of the daemon running off the event loop make of it (the D-Bus
//! service's methods): the same dumps, reload and gratuitous ARPs an operator gets with
//! a signal, through the same code, answered once done.
//!
//! The loop owns the router and the dump views, so a request is a message to it, like a
//! signal is. Which part may ask is process-wide, as signals are: [`install`] opens the
//! loop's end once per daemon and [`handle`] gives any task the asking end, so an
//! observer started from the configuration alone can reach the loop. The queue is
//! bounded and asking never blocks the loop: a caller that floods it gets an error.

use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use super::signals::DaemonSignal;

/// What a request asks the loop for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A dump as its signal writes it (`DumpData`, `DumpStats`, `ClearStats`, `DumpJson`).
    Dump(DaemonSignal),
    /// Read the configuration again, as SIGHUP does (answered when the reload starts).
    Reload,
    /// One gratuitous ARP / unsolicited NA per VIP and eVIP of this instance, if it has
    /// its addresses set.
    SendGarp { instance: String },
}

/// Why a request was not done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("instance {0} not found")]
    NoInstance(String),
    #[error("too many requests waiting")]
    Busy,
    #[error("the daemon is not running requests")]
    Closed,
}

/// A request with the way to answer it.
#[derive(Debug)]
pub struct Asked {
    pub request: Request,
    pub answer: oneshot::Sender<Result<(), Refused>>,
}

/// The asking end (cloned freely).
#[derive(Debug, Clone)]
pub struct Requests(mpsc::Sender<Asked>);

/// Requests waiting for the loop at most.
const DEPTH: usize = 16;

static HANDLE: Mutex<Option<Requests>> = Mutex::new(None);

impl Requests {
    /// Asks the loop and waits for its answer.
    pub async fn ask(&self, request: Request) -> Result<(), Refused> {
        let (answer, answered) = oneshot::channel();
        self.0
            .try_send(Asked { request, answer })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => Refused::Busy,
                mpsc::error::TrySendError::Closed(_) => Refused::Closed,
            })?;
        answered.await.map_err(|_| Refused::Closed)?
    }
}

/// Opens the loop's end of the requests (the daemon does it once, before starting its
/// observers); [`handle`] returns the asking end from then on.
pub fn install() -> mpsc::Receiver<Asked> {
    let (tx, rx) = mpsc::channel(DEPTH);
    *HANDLE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Requests(tx));
    rx
}

/// The asking end, once the daemon has [`install`]ed it.
pub fn handle() -> Option<Requests> {
    HANDLE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_reaches_the_loop_and_gets_its_answer() {
        let mut rx = install();
        let asker = handle().expect("installed");
        let loop_side = tokio::spawn(async move {
            let asked = rx.recv().await.unwrap();
            let result = match &asked.request {
                Request::SendGarp { instance } => Err(Refused::NoInstance(instance.clone())),
                _ => Ok(()),
            };
            asked.answer.send(result).unwrap();
        });
        let got = asker
            .ask(Request::SendGarp {
                instance: "VI_9".into(),
            })
            .await;
        assert_eq!(got, Err(Refused::NoInstance("VI_9".into())));
        loop_side.await.unwrap();
        assert_eq!(asker.ask(Request::Reload).await, Err(Refused::Closed));
    }
}
