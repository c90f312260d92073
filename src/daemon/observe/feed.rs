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
