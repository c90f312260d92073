//! The running half of the tracker shape: every tracker started from one plan, stopped
//! together.

use std::time::Duration;

use super::children::LiveGroups;
use super::kind::RunningTracker;

/// Trackers started by [`super::TrackerPlan::start`]. Dropping it (or
/// [`RunningTrackers::stop`]) ends them and kills every script still running, with its
/// process group.
pub struct RunningTrackers {
    trackers: Vec<RunningTracker>,
    live: LiveGroups,
}

impl std::fmt::Debug for RunningTrackers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningTrackers")
            .field("trackers", &self.trackers.len())
            .field("live", &self.live)
            .finish()
    }
}

impl RunningTrackers {
    pub(super) fn new(trackers: Vec<RunningTracker>, live: LiveGroups) -> Self {
        RunningTrackers { trackers, live }
    }

    /// Ends every tracker now: tasks aborted, running scripts' groups SIGKILLed.
    pub fn stop(self) {
        drop(self)
    }

    /// keepalived's shutdown: SIGTERM to running scripts, SIGKILL to what is left after
    /// `grace` (keepalived waits 1 s).
    pub async fn shutdown(mut self, grace: Duration) {
        self.trackers.clear();
        self.live.signal_all(nix::sys::signal::Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        while !self.live.prune() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Drop SIGKILLs whatever is left.
    }

    /// Process groups of scripts running right now (for tests and dumps).
    pub fn running_script_groups(&self) -> Vec<u32> {
        self.live.snapshot()
    }
}

impl Drop for RunningTrackers {
    fn drop(&mut self) {
        self.trackers.clear();
        self.live.signal_all(nix::sys::signal::Signal::SIGKILL);
    }
}
