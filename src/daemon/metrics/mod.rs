//! The opt-in observability endpoint (`global_defs { metrics_listen ADDR:PORT }`):
//! Prometheus metrics at `/metrics` ([`prometheus`]) and the same [`Snapshot`] as JSON
//! at `/status.json`, served over HTTP/1.1 by [`http::MetricsServer`].
//!
//! [`Snapshot`]: crate::daemon::status::Snapshot

pub mod http;
pub mod prometheus;

pub use http::{parse_listen, MetricsError, MetricsServer};
