//! The HTTP side of the metrics endpoint: hyper 1 (HTTP/1.1 only) on the daemon's tokio
//! runtime.
//!
//! Read-only by construction: `GET` and `HEAD` on `/metrics` and `/status.json`; any
//! other method gets `405 Method Not Allowed` (with `Allow: GET, HEAD`), any other path
//! `404`. Each response renders the latest [`Snapshot`] from a `watch` channel, so a
//! scrape never waits on the event loop and never sees a half-updated state. Slow or
//! idle clients cannot pile up: headers must arrive within [`HEADER_TIMEOUT`] and at
//! most [`MAX_CONNECTIONS`] are served at once.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{watch, Semaphore};

use super::prometheus;
use crate::daemon::status::Snapshot;

/// Time a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 32;

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
        let bind_err = |source| MetricsError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        Ok(MetricsServer { listener })
    }

    /// The bound address (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the returned future is dropped (or the listener fails), answering
    /// every request from the latest snapshot in `snapshots`. Must run inside a tokio
    /// runtime; the daemon spawns it.
    pub async fn serve(self, snapshots: watch::Receiver<Arc<Snapshot>>) {
        let listener = match tokio::net::TcpListener::from_std(self.listener) {
            Ok(l) => l,
            Err(e) => {
                log::error!("metrics endpoint: {e}");
                return;
            }
        };
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: pause instead of spinning.
                    log::warn!("metrics endpoint: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let rx = snapshots.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let snap = rx.borrow().clone();
                    async move { Ok::<_, Infallible>(respond(&req, &snap)) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                if let Err(e) = conn.await {
                    log::debug!("metrics endpoint: connection: {e}");
                }
                drop(permit);
            });
        }
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
