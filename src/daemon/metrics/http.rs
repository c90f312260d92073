//! The HTTP side of the metrics endpoint: hyper 1 (HTTP/1.1 only) on the endpoint's own
//! tokio runtime and thread (see `thread.rs`), never on the VRRP loop.
//!
//! Read-only by construction: `GET` and `HEAD` on `/metrics` and `/status.json`; any
//! other method gets `405 Method Not Allowed` (with `Allow: GET, HEAD`), any other path
//! `404`. Each response renders the latest [`Snapshot`] from a `watch` channel, so a
//! scrape never waits on the event loop and never sees a half-updated state.
//!
//! Idle or slow clients cannot lock scrapers out: every connection is accepted at once
//! (a deep listen backlog absorbs bursts); a connection must send each request's headers
//! within [`HEADER_TIMEOUT`] (hyper restarts that clock while a keep-alive connection
//! waits for its next request, so it bounds idle connections too); and beyond
//! [`MAX_CONNECTIONS`] the connection idle the longest is closed to make room (see
//! [`Connections`]). When `accept` runs out of descriptors, an idle connection is closed
//! and accept is tried again at once.
//!
//! Worst case held by clients: [`MAX_CONNECTIONS`] connections with a read buffer of at
//! most [`MAX_BUFFER`] each (4 MiB), plus the connections a burst adds before it is shed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::connections::{Busy, Connections, Ticket};
use super::prometheus;
use crate::daemon::status::Snapshot;

/// Time a client has to send a request's headers, counted from when the connection is
/// ready for a request (accepted, or done with the previous response).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections kept open at once; beyond it the longest idle one is closed.
pub const MAX_CONNECTIONS: usize = 256;
/// Largest read buffer of a connection (hyper's smallest allowed size is 8 KiB); request
/// headers longer than this are refused.
pub const MAX_BUFFER: usize = 16 * 1024;
/// Listen backlog: a burst of this many connects waits for `accept` instead of being
/// dropped (and retried by the client a second later).
const LISTEN_BACKLOG: i32 = 1024;

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The socket could not be bound.
    #[error("cannot listen for metrics on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A bound, not yet serving, metrics endpoint.
#[derive(Debug)]
pub struct MetricsServer {
    listener: std::net::TcpListener,
}

impl MetricsServer {
    /// Binds `addr` now (so a bad address fails at start-up, before daemonizing);
    /// serving starts with [`MetricsServer::serve`].
    pub fn bind(addr: SocketAddr) -> Result<MetricsServer, MetricsError> {
        use socket2::{Domain, Protocol, Socket, Type};
        let bind_err = |source| MetricsError::Bind { addr, source };
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(bind_err)?;
        // As std's TcpListener::bind does: a restart may bind while old connections linger.
        socket.set_reuse_address(true).map_err(bind_err)?;
        socket.bind(&addr.into()).map_err(bind_err)?;
        socket.listen(LISTEN_BACKLOG).map_err(bind_err)?;
        socket.set_nonblocking(true).map_err(bind_err)?;
        Ok(MetricsServer {
            listener: socket.into(),
        })
    }

    /// The bound address (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the returned future is dropped (or the listener fails), answering
    /// every request from the latest snapshot in `snapshots`. Must run inside a tokio
    /// runtime; the daemon runs it on the endpoint's own thread, off the VRRP loop.
    pub async fn serve(self, snapshots: watch::Receiver<Arc<Snapshot>>) {
        let listener = match tokio::net::TcpListener::from_std(self.listener) {
            Ok(l) => l,
            Err(e) => {
                log::error!("metrics endpoint: {e}");
                return;
            }
        };
        let connections = Connections::new(MAX_CONNECTIONS);
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of descriptors: an idle connection gives one back.
                Err(_) if connections.shed_oldest_idle() => continue,
                Err(e) => {
                    log::warn!("metrics endpoint: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (ticket, shed) = connections.admit(Instant::now());
            if shed > 0 {
                log::debug!("metrics endpoint: closed {shed} idle connection(s) to make room");
            }
            let attacher = ticket.attacher();
            let task = tokio::spawn(serve_connection(stream, snapshots.clone(), ticket));
            attacher.attach(task.abort_handle());
        }
    }
}

/// Answers requests on one connection until the client leaves, misses a deadline, or
/// the connection is shed.
async fn serve_connection(
    stream: TcpStream,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    ticket: Ticket,
) {
    let ticket = Arc::new(ticket);
    let service = service_fn(move |req| {
        let busy = ticket.busy();
        let snap = snapshots.borrow().clone();
        let answer = respond(&req, &snap).map(|body| Answer { body, _busy: busy });
        async move { Ok::<_, Infallible>(answer) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_BUFFER)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = conn.await {
        log::debug!("metrics endpoint: connection: {e}");
    }
}

/// A response body that keeps its connection marked busy (so it is not shed) until the
/// body has been handed to the socket.
struct Answer {
    body: Full<Bytes>,
    _busy: Busy,
}

impl Body for Answer {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The response to one request, given the current snapshot.
pub fn respond(req: &Request<Incoming>, snap: &Snapshot) -> Response<Full<Bytes>> {
    route(req.method(), req.uri().path(), snap)
}

/// Routing without a hyper request, so it can be tested directly.
pub fn route(method: &Method, path: &str, snap: &Snapshot) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let (body, content_type) = match path {
        "/metrics" => (prometheus::render(snap), prometheus::CONTENT_TYPE),
        "/status.json" => match serde_json::to_string_pretty(snap) {
            Ok(mut json) => {
                json.push('\n');
                (json, "application/json")
            }
            Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode\n"),
        },
        _ => {
            return text(
                StatusCode::NOT_FOUND,
                "not found: try /metrics or /status.json\n",
            )
        }
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
