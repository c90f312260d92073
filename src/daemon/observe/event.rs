//! What observers receive: the router's state changes and notifications, named the way
//! operators and the outside world know them (instance or group name, VRID), stamped
//! with the wall-clock time the daemon saw them and the reason it knows of.

use std::sync::Arc;
use std::time::SystemTime;

use super::Settings;
use crate::vrrp::{NotifyState, NotifyTarget, State};

/// Who an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A `vrrp_instance`, with its virtual router id (SNMP tables and D-Bus object paths
    /// are keyed by it).
    Instance { name: String, vrid: u8 },
    /// A `vrrp_sync_group`.
    Group { name: String },
}

impl Subject {
    /// The word keepalived's notify arguments and FIFO lines start with.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Instance { .. } => "INSTANCE",
            Subject::Group { .. } => "GROUP",
        }
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        match self {
            Subject::Instance { name, .. } | Subject::Group { name } => name,
        }
    }

    /// The core's way of naming it.
    pub fn target(&self) -> NotifyTarget {
        match self {
            Subject::Instance { name, .. } => NotifyTarget::Instance(name.clone()),
            Subject::Group { name } => NotifyTarget::Group(name.clone()),
        }
    }
}

/// Why the daemon's router produced an event. The finer reason of a protocol move (a
/// higher-priority advert, a tracker, a link) is in the log line the core writes with
/// it; the daemon itself only knows in which of these situations it asked the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Normal protocol operation: adverts, timers, trackers, links.
    Protocol,
    /// A configuration reload removed the instance.
    Reload,
    /// The daemon is stopping (TERM / INT).
    Shutdown,
}

/// An instance's protocol state moved (every move, `INIT → BACKUP` at start-up
/// included). Groups have no state of their own beyond what they announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub subject: Subject,
    pub from: State,
    pub to: State,
    pub cause: Cause,
    pub at: SystemTime,
}

/// What keepalived announces to the outside: the state word notify scripts, the FIFO
/// and e-mail alerts carry (`MASTER`, `BACKUP`, `FAULT`, `STOP`, `DELETED`,
/// `MASTER_RX_LOWER_PRI`, and with `notify_priority_changes` `MASTER_PRIORITY` /
/// `BACKUP_PRIORITY`), with the priority (always 0 for groups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub subject: Subject,
    pub state: NotifyState,
    pub priority: u8,
    pub cause: Cause,
    pub at: SystemTime,
}

impl Notification {
    /// A `notify_priority_changes` report rather than a state change.
    pub fn is_priority_change(&self) -> bool {
        matches!(
            self.state,
            NotifyState::MasterPriority | NotifyState::BackupPriority
        )
    }
}

/// One event, in the order the router produced it.
#[derive(Debug, Clone)]
pub enum Event {
    StateChanged(Transition),
    Notify(Notification),
    /// A reload was applied: events after this one are about the new configuration, whose
    /// observer settings (prepared off the event loop) this carries.
    Reloaded(Arc<Settings>),
}
