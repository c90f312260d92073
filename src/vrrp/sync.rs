//! Transitions that involve more than one instance: going to MASTER (which a sync group
//! may veto), FAULT entry and exit, and keeping `vrrp_sync_group` members together
//! (keepalived `vrrp_sync.c`).

use std::time::Instant;

use super::action::{Action, LogLevel, State};
use super::router::Router;

impl Router {
    fn group_of(&self, i: usize) -> Option<usize> {
        self.instances[i].group()
    }

    fn group_log(&mut self, g: usize, to: &str) {
        let text = format!(
            "VRRP_Group({}) Syncing instances to {to} state",
            self.groups[g].cfg.name
        );
        self.actions.push_back(Action::Log {
            level: LogLevel::Info,
            text,
        });
    }

    fn members_faulted(&self, g: usize) -> usize {
        self.groups[g]
            .members
            .iter()
            .filter(|&&m| self.instances[m].fault_count() > 0)
            .count()
    }

    /// `vrrp_sync_can_goto_master`: only when every other member wants MASTER too
    /// (prefer BACKUP to thrashing). A refused member re-arms its full down timer.
    pub(crate) fn can_goto_master(&mut self, i: usize, now: Instant) -> bool {
        let Some(g) = self.group_of(i) else {
            return true;
        };
        if self.groups[g].state == State::Master {
            return true;
        }
        let blocked = self.groups[g]
            .members
            .iter()
            .any(|&m| m != i && self.instances[m].wantstate() != State::Master);
        if blocked {
            self.instances[i].restart_down_timer(now);
            return false;
        }
        true
    }

    /// `vrrp_state_goto_master`: advert, "Entering MASTER STATE", VIPs, GARPs, notifies.
    pub(crate) fn goto_master(&mut self, i: usize, now: Instant) {
        if self.group_of(i).is_some() && !self.can_goto_master(i, now) {
            self.instances[i].set_wantstate(State::Master);
            return;
        }
        let gs = self.group_of(i).map(|g| self.groups[g].state);
        self.instances[i].enter_master(now, gs, &mut self.actions);
    }

    /// keepalived's transition table: a member reaching MASTER pulls the group to MASTER,
    /// a member dropping from MASTER to BACKUP pulls it to BACKUP.
    pub(crate) fn tsm(&mut self, i: usize, prev: State, now: Instant) {
        if self.group_of(i).is_none() {
            return;
        }
        match (prev, self.instances[i].state()) {
            (State::Backup | State::Master | State::Fault, State::Master) => {
                self.sync_master(i, now)
            }
            (State::Master, State::Backup) => self.sync_backup(i, now),
            _ => {}
        }
    }

    fn sync_master(&mut self, i: usize, now: Instant) {
        let Some(g) = self.group_of(i) else { return };
        if self.groups[g].state == State::Master || !self.can_goto_master(i, now) {
            return;
        }
        self.sync_group(g, i, State::Master, |r, m, _, _| r.goto_master(m, now));
    }

    fn sync_backup(&mut self, i: usize, now: Instant) {
        let Some(g) = self.group_of(i) else { return };
        self.sync_group(g, i, State::Backup, |r, m, st, gs| {
            if matches!(st, State::Fault | State::Init) {
                r.leave_fault(m, now);
            } else {
                r.instances[m].leave_master(now, false, gs, &mut r.actions);
            }
        });
    }

    fn sync_fault(&mut self, i: usize, now: Instant) {
        let Some(g) = self.group_of(i) else { return };
        self.sync_group(g, i, State::Fault, |r, m, st, gs| {
            let inst = &mut r.instances[m];
            if st == State::Master {
                inst.leave_master(now, false, gs, &mut r.actions);
            } else {
                inst.enter_fault_silently(now, gs, &mut r.actions);
            }
        });
    }

    /// Moves group `g` to `to` after member `i` got there: keepalived's "Syncing
    /// instances to … state" line, then every other member not yet in `to` wants it and
    /// is moved by `move_member(router, member, its state, the group's state before)`,
    /// then the group's own state and notifications. Nothing happens when the group is
    /// already in `to`.
    fn sync_group(
        &mut self,
        g: usize,
        i: usize,
        to: State,
        mut move_member: impl FnMut(&mut Router, usize, State, Option<State>),
    ) {
        let before = self.groups[g].state;
        if before == to {
            return;
        }
        self.group_log(g, &to.to_string());
        for m in self.groups[g].members.clone() {
            let st = self.instances[m].state();
            if m == i || st == to {
                continue;
            }
            self.instances[m].set_wantstate(to);
            move_member(self, m, st, Some(before));
        }
        self.groups[g].state = to;
        self.group_notify(g);
    }

    /// `vrrp_state_leave_fault`.
    pub(crate) fn leave_fault(&mut self, i: usize, now: Instant) {
        if self.instances[i].wantstate() == State::Master {
            self.goto_master(i, now);
            self.instances[i].finish_leave_fault(now);
        } else {
            let gs = self.group_of(i).map(|g| self.groups[g].state);
            self.instances[i].leave_fault_not_master(now, gs, &mut self.actions);
        }
    }

    /// keepalived `down_instance`: a weight-0 tracker or the interface failed.
    /// A MASTER sends two priority-0 adverts (2.2.7 observed) and drops its VIPs.
    pub(crate) fn down_instance(&mut self, i: usize, now: Instant) {
        self.instances[i].set_wantstate(State::Fault);
        if self.instances[i].state() == State::Master {
            let gs = self.group_of(i).map(|g| self.groups[g].state);
            self.instances[i].leave_master(now, true, gs, &mut self.actions);
        } else {
            self.leave_fault(i, now);
        }
        if let Some(g) = self.group_of(i) {
            if self.members_faulted(g) == 1 {
                self.sync_fault(i, now);
            }
        }
    }

    /// keepalived `try_up_instance`: all faults cleared. Always lands in BACKUP with the
    /// full down timer (even the owner: its wantstate is FAULT by now).
    pub(crate) fn try_up_instance(&mut self, i: usize, now: Instant) {
        self.instances[i].prepare_recovery();
        let group = self.group_of(i);
        if let Some(g) = group {
            if self.members_faulted(g) > 0 {
                return;
            }
        }
        let wanted = self.instances[i].wantstate();
        if group.is_some() && wanted == State::Master && !self.can_goto_master(i, now) {
            self.instances[i].set_wantstate(State::Backup);
        }
        self.leave_fault(i, now);
        let inst = &mut self.instances[i];
        inst.announce_source(&mut self.actions);
        inst.init_sands(now);
        inst.set_wantstate(wanted);
        if group.is_some() {
            if self.instances[i].state() == State::Master {
                self.sync_master(i, now);
            } else {
                self.sync_backup(i, now);
            }
        }
    }

    /// A master in a sync group that answered a lower-priority advert also sends the
    /// other members' lower-priority GARPs.
    pub(crate) fn group_lower_prio_garps(&mut self, i: usize, now: Instant) {
        let Some(g) = self.group_of(i) else { return };
        for m in self.groups[g].members.clone() {
            if m != i {
                self.instances[m].lower_prio_garps(now, &mut self.actions);
            }
        }
    }
}
