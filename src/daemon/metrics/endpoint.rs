//! The metrics endpoint's life in the daemon: bound at start-up, moved or closed by a
//! reload that changes `metrics_listen`, retried while its port is busy.
//!
//! The endpoint is optional and VRRP is not: a port that cannot be bound is logged once
//! (as an error) and retried every [`RETRY_EVERY`], and the daemon runs its instances
//! meanwhile. A reload that names another address closes the old listener before binding
//! the new one, so the old port is free again and `/status.json` never names a port
//! nobody serves. Serving happens on the endpoint's own thread ([`MetricsThread`]); an
//! accept loop that ends (a panic, a listener error) is noticed on the next tick and
//! bound again.

use super::thread::MetricsThread;
use super::MetricsServer;
use crate::daemon::status::Snapshot;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often a busy or unusable address is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(5);

/// The configured endpoint and the listener serving it, if any.
pub struct Endpoint {
    snapshots: watch::Sender<Arc<Snapshot>>,
    /// `metrics_listen` of the running configuration.
    wanted: Option<SocketAddr>,
    serving: Option<(SocketAddr, JoinHandle<()>)>,
    /// When a failed bind may be tried again; `Some` while failing (so the error is
    /// logged once per address, not on every retry).
    retry_at: Option<Instant>,
    /// Started with the first listener, kept until the endpoint is dropped.
    thread: Option<MetricsThread>,
}

impl Endpoint {
    /// An endpoint that serves nothing until [`Endpoint::configure`]d.
    pub fn new(first: Arc<Snapshot>) -> Endpoint {
        Endpoint {
            snapshots: watch::Sender::new(first),
            wanted: None,
            serving: None,
            retry_at: None,
            thread: None,
        }
    }

    /// Follows the running configuration's `metrics_listen` (at start-up and after each
    /// reload). Must run inside the daemon's tokio runtime.
    pub fn configure(&mut self, wanted: Option<SocketAddr>, now: Instant) {
        if wanted != self.wanted {
            self.retry_at = None;
        }
        self.wanted = wanted;
        if let Some((addr, task)) = self.serving.take() {
            if Some(addr) == wanted {
                self.serving = Some((addr, task));
            } else {
                // Dropping the accept loop drops its listener: the port is free now.
                task.abort();
                log::info!("Stopped serving metrics on http://{addr}/metrics");
            }
        }
        self.bind_if_due(now);
    }

    /// Tries a failed bind again when its time has come (called on the refresh tick).
    pub fn bind_if_due(&mut self, now: Instant) {
        let Some(addr) = self.wanted else { return };
        if let Some((addr, task)) = self.serving.take_if(|(_, task)| task.is_finished()) {
            log::error!("Metrics endpoint on {addr} stopped; binding it again");
            drop(task);
        }
        if self.serving.is_some() || self.retry_at.is_some_and(|t| now < t) {
            return;
        }
        match self.start_thread().and_then(|_| bind(addr)) {
            Ok(server) => {
                if self.retry_at.take().is_some() {
                    log::info!("metrics_listen {addr} is free again");
                }
                log::info!("Serving metrics on http://{addr}/metrics");
                if let Some(warning) = exposure_warning(addr) {
                    log::warn!("{warning}");
                }
                let serve = server.serve(self.snapshots.subscribe());
                let task = self.thread.as_ref().expect("started above").spawn(serve);
                self.serving = Some((addr, task));
            }
            Err(e) => {
                if self.retry_at.is_none() {
                    log::error!(
                        "{e}; VRRP runs without the metrics endpoint, retrying every {} s",
                        RETRY_EVERY.as_secs()
                    );
                }
                self.retry_at = Some(now + RETRY_EVERY);
            }
        }
    }

    /// Starts the endpoint's thread unless it runs already.
    fn start_thread(&mut self) -> Result<(), String> {
        if self.thread.is_none() {
            let thread = MetricsThread::start()
                .map_err(|e| format!("cannot start the metrics endpoint's thread: {e}"))?;
            self.thread = Some(thread);
        }
        Ok(())
    }

    /// True while a listener serves: only then is a snapshot worth building.
    pub fn is_serving(&self) -> bool {
        self.serving.is_some()
    }

    /// Hands the listener (and its open connections) the latest snapshot.
    pub fn publish(&self, snapshot: Arc<Snapshot>) {
        self.snapshots.send_replace(snapshot);
    }
}

/// The start-up warning for an endpoint others can reach: any address but loopback, and
/// above all the unspecified `0.0.0.0`/`::`, which listens on every interface.
fn exposure_warning(addr: SocketAddr) -> Option<String> {
    let ip = addr.ip();
    if ip.is_loopback() {
        return None;
    }
    let reach = if ip.is_unspecified() {
        "every interface"
    } else {
        "a non-loopback address"
    };
    Some(format!(
        "metrics_listen {addr} listens on {reach}: anyone who can reach it reads the cluster's state"
    ))
}

/// Binds `addr` with room for many clients: each connection costs a descriptor, so the
/// soft descriptor limit is raised to the hard one first.
fn bind(addr: SocketAddr) -> Result<MetricsServer, String> {
    match crate::sys::fd_limit::raise_nofile_soft_limit() {
        Ok(limit) => log::debug!("open file limit {limit}"),
        Err(e) => log::warn!("cannot raise the open file limit: {e}"),
    }
    MetricsServer::bind(addr).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::Config;
    use crate::daemon::status::{ProcessInfo, ShownConfig};
    use crate::vrrp::router::{Router, RouterInit};
    use std::time::SystemTime;

    fn endpoint() -> Endpoint {
        let now = Instant::now();
        let init = RouterInit {
            tracker_status: vec![],
            interfaces_down: vec![],
            sources_missing: vec![],
        };
        let router = Router::with_init(vec![], vec![], init, now);
        let shown = ShownConfig::of(Config::default(), &router);
        let process = ProcessInfo::current("/etc/keepalived/keepalived.conf");
        let snap = Snapshot::capture(&shown, &router, now, SystemTime::now(), &[], &process);
        Endpoint::new(Arc::new(snap))
    }

    #[test]
    fn only_loopback_addresses_start_without_a_warning() {
        for quiet in ["127.0.0.1:9650", "[::1]:9650"] {
            assert_eq!(exposure_warning(quiet.parse().unwrap()), None, "{quiet}");
        }
        let all = exposure_warning("0.0.0.0:9650".parse().unwrap()).unwrap();
        assert!(all.contains("every interface"), "{all}");
        let all6 = exposure_warning("[::]:9650".parse().unwrap()).unwrap();
        assert!(all6.contains("every interface"), "{all6}");
        let one = exposure_warning("198.18.0.1:9650".parse().unwrap()).unwrap();
        assert!(one.contains("non-loopback"), "{one}");
    }

    #[tokio::test]
    async fn a_busy_port_is_retried_and_a_reload_moves_the_endpoint() {
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = busy.local_addr().unwrap();
        let mut e = endpoint();
        let t0 = Instant::now();
        e.configure(Some(addr), t0);
        assert!(!e.is_serving(), "bound a busy port");
        drop(busy);
        e.bind_if_due(t0 + Duration::from_secs(1));
        assert!(!e.is_serving(), "retried before its time");
        e.bind_if_due(t0 + RETRY_EVERY);
        assert!(e.is_serving(), "not bound once the port was free");

        // A reload to another port frees the old one.
        let other = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        e.configure(Some(other), t0 + RETRY_EVERY);
        assert!(e.is_serving());
        tokio::task::yield_now().await;
        let mut freed = false;
        for _ in 0..100 {
            if std::net::TcpListener::bind(addr).is_ok() {
                freed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(freed, "the old port stayed bound after the reload");
        e.configure(None, t0 + RETRY_EVERY);
        assert!(!e.is_serving());
    }
}
