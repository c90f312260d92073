//! The process groups of scripts currently running, shared between the tasks that start
//! them and whoever stops those tasks: a task aborted mid-run cannot clean up after
//! itself, so stopping kills every group still registered here.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use nix::sys::signal::Signal;

use crate::sys::process::{process_group_exists, signal_process_group};

/// Live script process groups (by group id = the script's pid).
#[derive(Debug, Clone, Default)]
pub struct LiveGroups(Arc<Mutex<HashSet<u32>>>);

impl LiveGroups {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&self, pgid: u32) {
        self.lock().insert(pgid);
    }

    pub fn remove(&self, pgid: u32) {
        self.lock().remove(&pgid);
    }

    /// Group ids still registered.
    pub fn snapshot(&self) -> Vec<u32> {
        self.lock().iter().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets groups with no process left; true when none is left.
    pub fn prune(&self) -> bool {
        let mut set = self.lock();
        set.retain(|&g| process_group_exists(g));
        set.is_empty()
    }

    /// Sends `signal` to every registered group; groups that are gone are forgotten.
    pub fn signal_all(&self, signal: Signal) {
        let mut set = self.lock();
        set.retain(|&g| signal_process_group(g, signal).unwrap_or(true));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<u32>> {
        // A panic while holding this lock cannot leave the set inconsistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
