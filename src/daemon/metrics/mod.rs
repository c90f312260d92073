//! The opt-in observability endpoint (`global_defs { metrics_listen ADDR:PORT }`):
//! Prometheus metrics at `/metrics` ([`prometheus`]) and the same [`Snapshot`] as JSON
//! at `/status.json`, served over HTTP/1.1 by [`http::MetricsServer`].
//!
//! [`Snapshot`]: crate::daemon::status::Snapshot

mod connections;
pub mod endpoint;
pub mod http;
pub mod prometheus;
mod thread;

pub use endpoint::Endpoint;
pub use http::{MetricsError, MetricsServer};
