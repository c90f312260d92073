//! The VRRP protocol core: wire codec and state machines. **It does no I/O.**
//!
//! Nothing here opens a socket, reads a clock or spawns a task. Inputs carry `now`;
//! outputs are [`Action`]s to execute in order, plus [`Router::poll_timeout`], the next
//! deadline. This makes the RFC logic unit-testable, fuzzable and runnable in a
//! deterministic simulator (see `tests/sim`).
//!
//! * Codec: [`packet`] (VRRP message, v2/v3; `VrrpRepr` is the one encoder), [`ip`]
//!   (IPv4 + AH headers), [`auth`] (PASS, AH ICV), [`checksum`], [`advert`] (whole adverts
//!   as keepalived builds them), [`validate`] (receive checks in keepalived 2.2.7's order;
//!   a typed `Rejection` from which log line and counter derive).
//! * State: [`instance`] (one `vrrp_instance`, private state behind a small API),
//!   [`router`] (all instances, sync groups, effective priorities; with `sync` and
//!   `reload`), `tracking` (tracker weights), [`timer`] (skew and Master_Down_Interval),
//!   [`log_limit`] (flood control for the lines a packet triggers).
//!
//! Dependencies point one way: router → instance → validate/advert → packet; this file
//! only declares and re-exports.
//!
//! Behaviour is keepalived 2.2.7's: log texts, counters, timer arithmetic to the µs and the
//! order of checks and actions are its own, because peers, scripts and log watchers see
//! them.

pub mod action;
pub mod advert;
pub mod auth;
pub mod checksum;
pub mod config;
mod family;
pub mod instance;
pub mod ip;
pub mod log_limit;
pub mod packet;
mod reload;
pub mod router;
pub mod snmp_reasons;
pub mod stats;
mod sync;
pub mod timer;
mod tracking;
pub mod validate;

pub use action::{Action, InstanceId, LogLevel, NotifyState, NotifyTarget, State};
pub use auth::{password_bytes, AuthConfig};
pub use config::{
    AdvertOptions, ExtraIfGarp, GarpConfig, InstanceConfig, OldUnicastChecksum, SyncGroupConfig,
    TrackerId, TrackerRef, UnicastPeer,
};
pub use family::{Family, Version};
pub use instance::{InstanceInternals, InstanceStatus};
pub use router::{ReceivedPacket, Router, RouterInit};
pub use stats::Stats;
pub use tracking::TrackerStatus;
