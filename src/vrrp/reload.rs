//! Configuration reload (SIGHUP) without disturbing what did not change
//! (keepalived 2.x `vrrp_reload`/`clear_diff_vrrp`).
//!
//! Old and new instances are matched as keepalived 2.x matches them — by VRID, family,
//! interface, unicast-ness and the unicast source / multicast destination, not by name.
//! A matched instance keeps its state, statistics, AH sequence and installed VIPs: a
//! master stays master, advertises at once, and only the addresses that changed are
//! removed or added (the new ones announced with a GARP burst). Instances that vanished
//! are shut down (priority-0 advert and VIP removal if master, FAULT notifies); new ones
//! start as at boot.
//!
//! Two calls, because the daemon resolves actions by instance id: first
//! [`Router::retire_unmatched`] (its actions use the old ids), then [`Router::reload`]
//! (actions use the new ids).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use super::action::State;
use super::config::{InstanceConfig, SyncGroupConfig};
use super::family::Family;
use super::instance::Instance;
use super::router::{InitScope, Router, RouterInit};

/// What identifies "the same virtual router" across a reload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Identity {
    vrid: u8,
    family: Family,
    interface: String,
    unicast: bool,
    /// Unicast: our source address; multicast: the group.
    address: IpAddr,
}

impl Identity {
    fn of(cfg: &InstanceConfig) -> Identity {
        Identity {
            vrid: cfg.vrid,
            family: cfg.family,
            interface: cfg.interface.clone(),
            unicast: cfg.is_unicast(),
            address: if cfg.is_unicast() {
                cfg.source_addr
            } else {
                cfg.multicast_group()
            },
        }
    }
}

impl Router {
    /// First half of a reload: shuts down every current instance that has no match in
    /// `new` (priority-0 advert and VIP removal if master, then a FAULT notify).
    pub fn retire_unmatched(&mut self, new: &[InstanceConfig], now: Instant) {
        if self.stopped {
            return;
        }
        let kept: std::collections::HashSet<Identity> = new.iter().map(Identity::of).collect();
        for i in 0..self.instances.len() {
            if kept.contains(&Identity::of(self.instances[i].cfg())) {
                continue;
            }
            self.instances[i].retire(now, !self.dont_release, &mut self.actions);
        }
    }

    /// Second half: replaces the configuration. `init` carries the tracker results and
    /// interface states for the new configuration (the daemon keeps script results
    /// across reloads by name).
    pub fn reload(
        &mut self,
        instances: Vec<InstanceConfig>,
        groups: Vec<SyncGroupConfig>,
        init: RouterInit,
        now: Instant,
    ) {
        if self.stopped {
            return;
        }
        let mut old: HashMap<Identity, Instance> = std::mem::take(&mut self.instances)
            .into_iter()
            .filter(|i| i.state() != State::Stop)
            .map(|i| (Identity::of(i.cfg()), i))
            .collect();
        let old_groups: HashMap<String, State> = self
            .groups
            .iter()
            .map(|g| (g.cfg.name.clone(), g.state))
            .collect();
        let pending = std::mem::take(&mut self.actions);
        let dont_release = self.dont_release;
        let log_unknown = self.log_unknown_vrids;
        let identities: Vec<Identity> = instances.iter().map(Identity::of).collect();
        *self = Router::assemble(instances, groups, init);
        self.actions = pending;
        self.dont_release = dont_release;
        self.log_unknown_vrids = log_unknown;

        let mut scope = InitScope {
            instances: vec![true; self.instances.len()],
            groups: vec![true; self.groups.len()],
        };
        for (i, identity) in identities.iter().enumerate() {
            let Some(previous) = old.remove(identity) else {
                continue;
            };
            scope.instances[i] = false;
            self.carry_over(i, previous, now);
        }
        for g in 0..self.groups.len() {
            if let Some(&state) = old_groups.get(&self.groups[g].cfg.name) {
                if self.groups[g].members.iter().all(|&m| !scope.instances[m]) {
                    self.groups[g].state = state;
                    scope.groups[g] = false;
                }
            }
        }
        self.init_state(now, Some(&scope));
    }

    /// Moves the run-time state of `previous` into new instance `i` and applies what
    /// changed: addresses (diffed), priority, fault state.
    fn carry_over(&mut self, i: usize, previous: Instance, now: Instant) {
        self.instances[i].carry_over_from(previous, now, &mut self.actions);
        // Priority and faults under the new configuration.
        self.apply_tracking(i, now);
    }
}
