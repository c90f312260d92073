//! Interfaces the running configuration names but could not use when it was planned: a
//! missing interface (allowed by `dynamic_interfaces`) or one without an address to send
//! adverts from. Their instances wait in FAULT; when such an interface appears, comes up
//! or gets an address, the running configuration is planned again and switched to like a
//! reload (sockets opened on the new interface, its source address taken), so its
//! instances start without a SIGHUP, as keepalived's do ("will use if created").
//!
//! The configuration is kept only while something waits: a daemon whose interfaces all
//! exist holds no copy of it.

use std::collections::BTreeSet;

use super::plan::Plan;
use crate::config::model::Config;
use crate::sys::NetEvent;

/// What the running configuration waits for, and the configuration to plan again.
pub struct Replan {
    waiting_for: BTreeSet<String>,
    config: Config,
    due: bool,
}

impl Replan {
    /// `None` when every interface of `plan` was usable.
    pub fn of(plan: &Plan, config: &Config) -> Option<Replan> {
        if plan.unresolved.is_empty() {
            return None;
        }
        Some(Replan {
            waiting_for: plan.unresolved.clone(),
            config: config.clone(),
            due: false,
        })
    }

    /// Notes a link or address event; [`Replan::take_due`] then says whether to plan
    /// again. True when the event concerns an interface waited for (the re-plan, not the
    /// link-state logic, then decides its instances' states).
    pub fn note(&mut self, event: &NetEvent) -> bool {
        let relevant = match event {
            NetEvent::LinkChanged {
                name, up, running, ..
            } => *up && *running && self.waiting_for.contains(name),
            NetEvent::AddressAdded { index, .. } => self
                .waiting_for
                .iter()
                .any(|name| nix::net::if_::if_nametoindex(name.as_str()) == Ok(*index)),
            _ => false,
        };
        self.due |= relevant;
        relevant
    }

    /// The configuration to plan again, and the interfaces waited for, once something it
    /// waited for happened.
    pub fn take_due(&mut self) -> Option<(Config, Vec<String>)> {
        if !std::mem::take(&mut self.due) {
            return None;
        }
        Some((
            self.config.clone(),
            self.waiting_for.iter().cloned().collect(),
        ))
    }
}
