//! Health trackers: the producers of [`TrackerEvent`]s that move instance priorities
//! (`vrrp_script`, `track_file`, `vrrp_track_process`, the native MySQL check, tracked
//! interfaces).
//!
//! Every tracker runs off the advert path (a tokio task, or a thread for MySQL) and
//! reports each change of its result on an unbounded channel; the daemon feeds them to
//! [`crate::vrrp::Router::handle_tracker`]. Trackers never block the event loop.
//!
//! Every kind has one shape ([`kind::TrackedKind`]), driven by one table
//! ([`table::KINDS`]): config block → planned object with id, weight and start-up state
//! ([`kind::PlannedTracker`], made by [`TrackerPlan`]) → running tracker reporting
//! [`TrackerEvent`]s ([`RunningTrackers`]) → the daemon's view for dumps and metrics,
//! carried over on reload by kind and name (`daemon::tracking`).
//!
//! * [`kind`]: the shape, with the helpers kinds share; [`table`]: the table of kinds;
//!   [`plan`]: ids, weights, start-up states, starting everything; [`running`]: what is
//!   running;
//! * [`script`]: `vrrp_script` runners; [`command`] + [`argv`]: preparing any script
//!   (word split, user, `$PATH`, script security), shared with notify scripts;
//! * [`file`](mod@file): `track_file` via inotify; [`process`]: `vrrp_track_process`;
//!   [`mysql`]: `mysql_check`; [`interface`]: `track_interface`, and the interfaces
//!   static track groups make instances track ([`static_group`]).
//!
//! # Adding a tracker kind
//!
//! With its config block and its `track_*` entry already in `config::model` (and
//! their keyword rows in `config::keywords`):
//!
//! - [ ] one new file here, `track/NEW.rs`, with a unit struct implementing
//!   [`kind::TrackedKind`]: its objects in the config (name, own weight, own reverse),
//!   the instance (and sync group) entries naming them, what a weighted entry becomes
//!   on a restricted instance (with its log line), start-up work (usable or not, state
//!   before the first report, the data it needs to start), and starting it (a handle
//!   that stops it on drop), plus `pub mod NEW;` below. A kind kept as one list in
//!   the config says only what is special about it: [`kind::declared_in`] declares the
//!   list, [`kind::prepared_from_block`] prepares an object that starts from its block
//!   alone, and [`kind::start_each`] starts one tracker per object;
//! - [ ] one table row: a `TrackerKind` variant with its label, and its
//!   `(TrackerKind::New, &NEW::Struct)` row in [`table::KINDS`] (the row's place is its
//!   place in id allocation order).
//!
//! Planning, weight rules, start-up states, starting, stopping, the tracker views for
//! dumps and metrics, and reload carry-over all loop over the table. Only the
//! keepalived-format data dump (`daemon::dump::data`) lists each kind under a title of
//! its own, so a new kind appears there once it is given one.

pub mod mysql;

use tokio::sync::mpsc;

pub mod argv;
pub mod children;
pub mod command;
pub mod file;
pub mod interface;
pub mod kind;
pub mod plan;
pub mod process;
pub mod running;
pub mod script;
pub mod static_group;
pub mod table;

pub use kind::{PlannedTracker, TrackerKind};
pub use plan::TrackerPlan;
pub use running::RunningTrackers;

use crate::vrrp::{TrackerId, TrackerStatus};

/// One result change of one tracked object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerEvent {
    pub id: TrackerId,
    pub status: TrackerStatus,
}

/// Where trackers report.
pub type TrackerTx = mpsc::UnboundedSender<TrackerEvent>;
