//! The core's actions turned into [`Event`]s: the core names instances by index in its
//! state changes and by name in its notifications; observers get both kinds with name
//! and VRID.

use std::time::SystemTime;

use super::event::{Cause, Event, Notification, Subject, Transition};
use crate::vrrp::{Action, InstanceId, NotifyTarget, Router};

/// Instance ids sorted by name, so a notification finds its instance's VRID without a
/// scan of every instance (a mass failover notifies every instance; 4 bytes each).
#[derive(Debug, Default)]
pub struct InstanceIndex(Vec<u32>);

impl InstanceIndex {
    /// The index of `router`'s instances. Rebuild it whenever the router's instance list
    /// is replaced (reload).
    pub fn of(router: &Router) -> InstanceIndex {
        let name = |id: &u32| {
            router
                .instance_config(InstanceId(*id as usize))
                .map_or("", |c| c.name.as_str())
        };
        let mut ids: Vec<u32> = (0..router.instances().count() as u32).collect();
        ids.sort_by(|a, b| name(a).cmp(name(b)));
        InstanceIndex(ids)
    }

    fn vrid(&self, router: &Router, name: &str) -> Option<u8> {
        let config = |id: u32| router.instance_config(InstanceId(id as usize));
        let at = self
            .0
            .binary_search_by(|id| config(*id).map_or("", |c| c.name.as_str()).cmp(name))
            .ok()?;
        config(self.0[at]).map(|c| c.vrid)
    }

    /// The event of `action`, when it is one observers receive (state changes and
    /// notifications); `None` for every other action.
    pub fn event(&self, router: &Router, action: Action, cause: Cause) -> Option<Event> {
        let at = SystemTime::now();
        match action {
            Action::StateChanged { instance, from, to } => {
                let cfg = router.instance_config(instance)?;
                let subject = Subject::Instance {
                    name: cfg.name.clone(),
                    vrid: cfg.vrid,
                };
                Some(Event::StateChanged(Transition {
                    subject,
                    from,
                    to,
                    cause,
                    at,
                }))
            }
            Action::Notify {
                target,
                state,
                priority,
            } => {
                let subject = match target {
                    NotifyTarget::Instance(name) => Subject::Instance {
                        vrid: self.vrid(router, &name).unwrap_or(0),
                        name,
                    },
                    NotifyTarget::Group(name) => Subject::Group { name },
                };
                Some(Event::Notify(Notification {
                    subject,
                    state,
                    priority,
                    cause,
                    at,
                }))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Instant;

    use super::*;
    use crate::vrrp::{InstanceConfig, LogLevel, NotifyState, State};

    fn router() -> Router {
        let src = Ipv4Addr::new(198, 18, 0, 1).into();
        let instances = [("VI_b", 2), ("VI_a", 1), ("VI_c", 7)]
            .map(|(name, vrid)| InstanceConfig::new(name, vrid, src))
            .to_vec();
        Router::new(instances, Vec::new(), Instant::now())
    }

    fn subject(event: &Event) -> &Subject {
        match event {
            Event::StateChanged(t) => &t.subject,
            Event::Notify(n) => &n.subject,
            Event::Reloaded(_) => panic!("not from an action"),
        }
    }

    #[test]
    fn every_event_of_a_shutdown_names_its_instance_and_vrid() {
        let mut router = router();
        let index = InstanceIndex::of(&router);
        // The start-up moves (INIT → BACKUP) first.
        while router.poll_action().is_some() {}
        router.shutdown(Instant::now());
        let mut events = Vec::new();
        while let Some(action) = router.poll_action() {
            events.extend(index.event(&router, action, Cause::Shutdown));
        }
        let stops = events
            .iter()
            .filter(|e| matches!(e, Event::Notify(n) if n.state == NotifyState::Stop))
            .count();
        assert_eq!(stops, 3, "{events:?}");
        for e in &events {
            let expected = match subject(e).name() {
                "VI_a" => 1,
                "VI_b" => 2,
                "VI_c" => 7,
                other => panic!("unknown instance {other}"),
            };
            assert_eq!(
                subject(e),
                &Subject::Instance {
                    name: subject(e).name().into(),
                    vrid: expected
                }
            );
            if let Event::StateChanged(t) = e {
                assert_eq!((t.to, t.cause), (State::Stop, Cause::Shutdown));
            }
        }
    }

    #[test]
    fn groups_have_no_vrid_and_other_actions_are_no_events() {
        let router = router();
        let index = InstanceIndex::of(&router);
        let group = Action::Notify {
            target: NotifyTarget::Group("G1".into()),
            state: NotifyState::Backup,
            priority: 0,
        };
        let Some(Event::Notify(n)) = index.event(&router, group, Cause::Protocol) else {
            panic!("a notification is an event");
        };
        assert_eq!(n.subject, Subject::Group { name: "G1".into() });
        assert_eq!((n.subject.kind(), n.priority), ("GROUP", 0));
        let log = Action::Log {
            level: LogLevel::Info,
            text: "x".into(),
        };
        assert!(index.event(&router, log, Cause::Protocol).is_none());
    }
}
