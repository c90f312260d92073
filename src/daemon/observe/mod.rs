//! Observers: everything that reacts to the router's state changes — notify scripts and
//! FIFOs ([`notify`]), e-mail alerts ([`mail`]), the status behind metrics and dumps
//! ([`StatusFeed`]), and next SNMP traps and D-Bus signals.
//!
//! ```text
//!                     Running::publish (the one place events come from)
//!  router actions ──► InstanceIndex::event ──┬─► StatusFeed (on the loop: marks the
//!   (StateChanged,                           │    metrics snapshot stale)
//!    Notify) + Reloaded                      └─► effect queue ─► Observers (effect worker,
//!                                                 after the VIP changes queued before)
//!                                                 └─► each observer ─► its own Queue/task
//! ```
//!
//! Every event goes through `Running::publish` (in [`crate::daemon::run`]). The observers of
//! the [`OBSERVERS`] table get it on the effect worker, in order with the address changes:
//! a `notify_master` script runs once the VIPs are in place, as in keepalived. Their
//! [`Observer::observe`] must return at once: slow work (starting processes, talking to an
//! SMTP server, an SNMP agent or the bus) goes to the observer's own task through a
//! bounded [`Queue`], which drops with a warning when full rather than wait. So a stalled
//! consumer can lose its own notifications but never delay an advert, an address change
//! or another observer. The status observer is the one exception to where it runs: it
//! reads the router's counters, which only the loop may touch, so it runs there and only
//! flags that a fresh snapshot is due.
//!
//! A trait rather than an enum of observers: each observer owns different resources
//! (processes, pipes, sockets, a bus connection), some will be optional features, and
//! adding one must not mean adding an arm to every `match` of a central enum. The cost is
//! one indirect call per event and observer, nothing next to the event itself.
//!
//! # Adding an observer (checklist)
//!
//! 1. One new file, `src/daemon/observe/NAME.rs`: a type implementing [`Observer`] and a
//!    `pub fn start(&Config) -> Option<Box<dyn Observer>>` (`None` when the configuration
//!    does not ask for it). Anything slow goes through a [`Queue`] to its own task; say
//!    what a full queue dropped with `log::warn!`. Scripts it starts go through
//!    [`start_tracked`] so shutdown can find them.
//! 2. One row in [`OBSERVERS`] (`NAME::start`), and `mod NAME;` below. The row's place is
//!    the order in which observers see each event.
//! 3. Only if a reload must hand it settings that take file-system or network look-ups
//!    to prepare (such as the notify scripts' security checks): a field in [`Settings`],
//!    filled by [`Settings::of`] (run off the loop) and read on [`Event::Reloaded`].
//!    Settings that are plain configuration values need no field.
//! 4. Its shutdown ([`Observer::shutdown`]) finishes or drops queued work within the
//!    grace time; it runs after the last events (the STOP notifications).

mod child;
pub mod dbus;
mod event;
mod feed;
mod fifo;
pub mod mail;
pub mod notify;
mod queue;
mod status;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

pub use child::start_tracked;
pub use event::{Cause, Event, Notification, Subject, Transition};
pub use feed::InstanceIndex;
pub use notify::{Notifier, NotifyScripts};
pub use queue::{Queue, Refused};
pub use status::StatusFeed;

use crate::config::model::Config;

/// Something that reacts to the router's events (see the module docs).
pub trait Observer: Send + Sync {
    /// Takes one event, in the order the router produced them. Must not wait: hand slow
    /// work to the observer's own task.
    fn observe(&mut self, event: &Event);

    /// The daemon is stopping and no event follows: finish (or drop) queued work within
    /// `grace`, then stop any task or process the observer runs.
    fn shutdown(self: Box<Self>, grace: Duration) -> BoxFuture<'static, ()>;
}

/// How a row of [`OBSERVERS`] starts its observer for a configuration at start-up (on
/// the runtime, before the first event); `None` when the configuration has no use for it.
pub type Start = fn(&Config) -> Option<Box<dyn Observer>>;

/// The observers of the effect worker, in the order each event reaches them.
pub const OBSERVERS: &[Start] = &[notify::start, mail::start, dbus::start];

/// What observers need from a reloaded configuration that takes file-system checks to
/// prepare: built off the event loop while the reload is read, handed over with
/// [`Event::Reloaded`].
#[derive(Debug, Default)]
pub struct Settings {
    /// The notify scripts, security-checked.
    pub notify: Arc<NotifyScripts>,
    /// The e-mail alert settings (the host's canonical name may take a look-up).
    pub mail: Arc<mail::MailSettings>,
    /// The D-Bus service's objects and switches.
    pub dbus: Arc<dbus::DbusPlan>,
}

impl Settings {
    /// Prepares the settings of `cfg`. May block (it stats files): call it off the loop.
    pub fn of(cfg: &Config) -> Settings {
        Settings {
            notify: Arc::new(NotifyScripts::of(cfg)),
            mail: Arc::new(mail::MailSettings::of(cfg)),
            dbus: Arc::new(dbus::DbusPlan::of(cfg)),
        }
    }
}

/// The observers of [`OBSERVERS`] for one daemon, fed by the effect worker.
pub struct Observers(Vec<Box<dyn Observer>>);

impl Observers {
    /// Starts every observer `cfg` asks for. Must be called inside the runtime.
    pub fn start(cfg: &Config) -> Observers {
        Observers(OBSERVERS.iter().filter_map(|start| start(cfg)).collect())
    }

    /// Hands `event` to every observer, in table order.
    pub fn observe(&mut self, event: &Event) {
        for o in &mut self.0 {
            o.observe(event);
        }
    }

    /// Shuts every observer down, all within the same `grace`.
    pub async fn shutdown(self, grace: Duration) {
        futures::future::join_all(self.0.into_iter().map(|o| o.shutdown(grace))).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::SystemTime;

    use super::*;
    use crate::vrrp::{NotifyState, State};

    /// Records what it sees, under its own name, in a log shared by several observers.
    struct Recorder(&'static str, Arc<Mutex<Vec<String>>>);

    impl Observer for Recorder {
        fn observe(&mut self, event: &Event) {
            let what = match event {
                Event::StateChanged(t) => format!("{} {}->{}", t.subject.name(), t.from, t.to),
                Event::Notify(n) => format!("{} {}", n.subject.name(), n.state),
                Event::Reloaded(_) => "reloaded".into(),
            };
            self.1.lock().unwrap().push(format!("{}: {what}", self.0));
        }

        fn shutdown(self: Box<Self>, _grace: Duration) -> BoxFuture<'static, ()> {
            let log = self.1.clone();
            Box::pin(async move { log.lock().unwrap().push(format!("{}: stopped", self.0)) })
        }
    }

    fn subject() -> Subject {
        Subject::Instance {
            name: "VI_1".into(),
            vrid: 1,
        }
    }

    #[tokio::test]
    async fn every_observer_sees_every_event_in_table_order_then_stops() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut observers = Observers(vec![
            Box::new(Recorder("first", log.clone())),
            Box::new(Recorder("second", log.clone())),
        ]);
        let at = SystemTime::now();
        observers.observe(&Event::StateChanged(Transition {
            subject: subject(),
            from: State::Backup,
            to: State::Master,
            cause: Cause::Protocol,
            at,
        }));
        observers.observe(&Event::Notify(Notification {
            subject: subject(),
            state: NotifyState::Master,
            priority: 100,
            cause: Cause::Protocol,
            at,
        }));
        observers.observe(&Event::Reloaded(Arc::new(Settings::default())));
        observers.shutdown(Duration::ZERO).await;
        assert_eq!(
            *log.lock().unwrap(),
            [
                "first: VI_1 BACKUP->MASTER",
                "second: VI_1 BACKUP->MASTER",
                "first: VI_1 MASTER",
                "second: VI_1 MASTER",
                "first: reloaded",
                "second: reloaded",
                "first: stopped",
                "second: stopped",
            ]
        );
    }

    #[test]
    fn the_status_feed_is_stale_after_a_state_change_only() {
        let mut feed = StatusFeed::default();
        let at = SystemTime::now();
        feed.observe(&Event::Notify(Notification {
            subject: subject(),
            state: NotifyState::MasterPriority,
            priority: 90,
            cause: Cause::Protocol,
            at,
        }));
        assert!(!feed.take_stale());
        feed.observe(&Event::StateChanged(Transition {
            subject: subject(),
            from: State::Init,
            to: State::Backup,
            cause: Cause::Protocol,
            at,
        }));
        assert!(feed.take_stale());
        assert!(!feed.take_stale());
    }
}
