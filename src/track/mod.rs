//! Health trackers: the producers of [`TrackerEvent`]s that move instance priorities
//! (`vrrp_script`, `track_file`, `vrrp_track_process`, the native MySQL check).
//!
//! Every tracker runs off the advert path as its own tokio task and reports each change
//! of its result on an unbounded channel; the daemon feeds them to
//! [`crate::vrrp::Router::handle_tracker`]. Trackers never block the event loop.

pub mod mysql;

use tokio::sync::mpsc;

use crate::vrrp::{TrackerId, TrackerStatus};

/// One result change of one tracked object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerEvent {
    pub id: TrackerId,
    pub status: TrackerStatus,
}

/// Where trackers report.
pub type TrackerTx = mpsc::UnboundedSender<TrackerEvent>;
