//! Health trackers: the producers of [`TrackerEvent`]s that move instance priorities
//! (`vrrp_script`, `track_file`, `vrrp_track_process`, the native MySQL check).
//!
//! Every tracker runs off the advert path as its own tokio task and reports each change
//! of its result on an unbounded channel; the daemon feeds them to
//! [`crate::vrrp::Router::handle_tracker`]. Trackers never block the event loop.
//!
//! * [`plan`]: ids, weights, start-up states, starting everything ([`TrackerPlan`]);
//! * [`script`]: `vrrp_script` runners; [`command`] + [`argv`]: preparing any script
//!   (word split, user, `$PATH`, script security), shared with notify scripts;
//! * [`file`]: `track_file` via inotify.

pub mod mysql;

use tokio::sync::mpsc;

pub mod argv;
pub mod children;
pub mod command;
pub mod file;
pub mod plan;
pub mod process;
pub mod script;

pub use plan::{RunningTrackers, TrackerPlan};

use crate::vrrp::{TrackerId, TrackerStatus};

/// One result change of one tracked object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerEvent {
    pub id: TrackerId,
    pub status: TrackerStatus,
}

/// Where trackers report.
pub type TrackerTx = mpsc::UnboundedSender<TrackerEvent>;
