//! Configuration reload (SIGHUP) without disturbing what did not change
//! (reference §3.10, keepalived 2.x `vrrp_reload`/`clear_diff_vrrp`).
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

use super::action::{Action, LogLevel, NotifyState, NotifyTarget, State};
use super::config::{InstanceConfig, SyncGroupConfig};
use super::instance::Instance;
use super::router::{InitScope, Router, RouterInit};
use super::{Family, InstanceId};

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
            if kept.contains(&Identity::of(&self.instances[i].cfg)) {
                continue;
            }
            let inst = &mut self.instances[i];
            if inst.state() == State::Master && !self.dont_release {
                inst.restore_interface(true, &mut self.actions);
            }
            let name = inst.cfg.name.clone();
            let from = inst.state();
            inst.status.state = State::Stop;
            inst.status.last_transition = Some(now);
            inst.deadline = None;
            inst.garp_delayed_at = None;
            inst.garp_lower_prio_at = None;
            inst.garp_refresh_at = None;
            self.actions.push_back(Action::Log {
                level: LogLevel::Info,
                text: format!("({name}) removed by configuration reload"),
            });
            self.actions.push_back(Action::StateChanged {
                instance: InstanceId(i),
                from,
                to: State::Stop,
            });
            let state = if inst.cfg.notify_deleted {
                NotifyState::Deleted
            } else {
                NotifyState::Fault
            };
            self.actions.push_back(Action::Notify {
                target: NotifyTarget::Instance(name),
                state,
                priority: 0,
            });
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
            .map(|i| (Identity::of(&i.cfg), i))
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
        let inst = &mut self.instances[i];
        let old_addrs = previous.all_addrs.clone();
        inst.status.state = previous.status.state;
        inst.status.wantstate = previous.status.wantstate;
        inst.status.master_addr = previous.status.master_addr;
        inst.status.master_priority = previous.status.master_priority;
        inst.status.vips_set = previous.status.vips_set;
        inst.status.stats = previous.status.stats;
        inst.status.last_transition = previous.status.last_transition;
        if inst.cfg.version == previous.cfg.version
            && inst.cfg.advert_int == previous.cfg.advert_int
        {
            inst.status.master_adver_int = previous.status.master_adver_int;
        }
        inst.ip_id = previous.ip_id;
        inst.rx = previous.rx;
        inst.notifies_sent = previous.notifies_sent;
        inst.preempt_until = previous.preempt_until;
        inst.garp_refresh_at = previous.garp_refresh_at;
        inst.fault_count = previous.fault_count;
        inst.status.effective_priority = previous.status.effective_priority;

        if inst.state() == State::Master && inst.status.vips_set {
            let gone: Vec<IpAddr> = old_addrs
                .iter()
                .filter(|a| !inst.all_addrs.contains(a))
                .copied()
                .collect();
            let added: Vec<IpAddr> = inst
                .all_addrs
                .iter()
                .filter(|a| !old_addrs.contains(a))
                .copied()
                .collect();
            if !gone.is_empty() {
                self.actions.push_back(Action::RemoveVips {
                    instance: inst.id(),
                    addrs: gone,
                });
            }
            if !added.is_empty() {
                self.actions.push_back(Action::AddVips {
                    instance: inst.id(),
                    addrs: added.clone(),
                });
                for _ in 0..inst.cfg.garp.master_repeat {
                    for &addr in &added {
                        self.actions.push_back(Action::SendGarp {
                            instance: inst.id(),
                            addr,
                        });
                    }
                }
            }
            // keepalived: a master that survives a reload advertises at once.
            inst.deadline = Some(now);
        } else {
            inst.set_ms_down_timer(inst.master_down());
            inst.init_sands(now);
            if inst.state() == State::Fault {
                inst.deadline = None;
            }
        }

        // Priority and faults under the new configuration.
        let (total, faults) = self.recompute(i);
        self.instances[i].set_total_priority(total, &mut self.actions);
        let was = self.instances[i].fault_count;
        self.instances[i].fault_count = faults;
        if was == 0 && faults > 0 {
            self.down_instance(i, now);
        } else if was > 0 && faults == 0 {
            self.try_up_instance(i, now);
        }
    }
}
