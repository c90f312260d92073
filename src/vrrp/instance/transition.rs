//! Entering and leaving states, keepalived's `vrrp_state_*` functions for one instance.
//!
//! A state change is always: keepalived's log line and the recorded change
//! ([`Instance::enter_state`]), then the state's VIP and advert work, then the notifies
//! ([`Instance::send_notifies`]), in that order, because scripts must see the VIPs
//! already installed or removed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{EntryLog, Instance};
use crate::vrrp::action::{Action, LogLevel, NotifyState, NotifyTarget, State};
use crate::vrrp::family::Version;
use crate::vrrp::snmp_reasons::master_reason;
use crate::vrrp::timer;

impl Instance {
    /// First half of every state change: the log line `how` asks for, then the change
    /// itself. Callers finish with [`Self::send_notifies`] once the state's work is done.
    fn enter_state(&mut self, to: State, how: EntryLog, now: Instant, out: &mut VecDeque<Action>) {
        let text = match how {
            EntryLog::Normal => format!("({}) Entering {to} STATE", self.cfg.name),
            EntryLog::Init => format!("({}) Entering {to} STATE (init)", self.cfg.name),
            EntryLog::Silent => String::new(),
        };
        if how != EntryLog::Silent {
            self.log(out, LogLevel::Info, text);
        }
        self.record_state(to, now, out);
    }

    /// Sets the state without a log line or notifies; alone only for keepalived's silent
    /// moves (the address owner's 1 µs BACKUP at start-up).
    fn record_state(&mut self, to: State, now: Instant, out: &mut VecDeque<Action>) {
        let from = self.status.state;
        self.status.state = to;
        if from != to {
            out.push_back(Action::StateChanged {
                instance: self.id(),
                from,
                to,
            });
            self.status.last_transition = Some(now);
            self.status.transitions += 1;
        }
    }

    /// keepalived's `send_instance_notifies`: skipped for a sync-group member already in
    /// its group's state.
    fn send_notifies(&mut self, group_state: Option<State>, out: &mut VecDeque<Action>) {
        if self.notifies_sent && group_state == Some(self.status.state) {
            return;
        }
        let state = match self.status.state {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Fault | State::Init => NotifyState::Fault,
            State::Stop => NotifyState::Stop,
        };
        self.notifies_sent = true;
        out.push_back(Action::Notify {
            target: NotifyTarget::Instance(self.cfg.name.clone()),
            state,
            priority: self.status.effective_priority,
        });
    }

    /// keepalived `vrrp_init_state` for this instance: BACKUP or FAULT "(init)", or the
    /// address owner's silent BACKUP that times out to MASTER after 1 µs.
    pub fn start(&mut self, now: Instant, group_state: Option<State>, out: &mut VecDeque<Action>) {
        let want = self.status.wantstate;
        let new_state = group_state.unwrap_or(want);
        let up = self.fault_count == 0;
        if up
            && new_state == State::Master
            && self.cfg.base_priority == 255
            && want == State::Master
        {
            self.status.snmp_reasons.next_master = master_reason::PREEMPTED;
            self.record_state(State::Backup, now, out);
            self.deadline = Some(now + Duration::from_micros(1));
            return;
        }
        self.status.snmp_reasons.next_master = master_reason::MASTER_NO_RESPONSE;
        let down = if new_state == State::Backup && want == State::Master {
            let interval = self.status.master_adver_int;
            interval + timer::skew_min(self.cfg.version, interval)
        } else {
            self.master_down()
        };
        self.set_ms_down_timer(down);
        let to = if up && new_state != State::Fault {
            State::Backup
        } else {
            self.status.wantstate = State::Fault;
            State::Fault
        };
        self.enter_state(to, EntryLog::Init, now, out);
        self.send_notifies(group_state, out);
        self.init_sands(now);
    }

    /// A BACKUP's master-down timer expired: it now wants MASTER.
    pub fn advert_timeout(&mut self, out: &mut VecDeque<Action>) {
        let text = format!("({}) Receive advertisement timeout", self.cfg.name);
        self.log(out, LogLevel::Detail, text);
        self.status.wantstate = State::Master;
    }

    /// `vrrp_state_goto_master` once the sync group allowed it: a finished AH sequence
    /// cycle restarts, then the first MASTER advert.
    pub fn enter_master(
        &mut self,
        now: Instant,
        group_state: Option<State>,
        out: &mut VecDeque<Action>,
    ) {
        if self.rx.ah_cycle {
            self.rx.ah_cycle = false;
            self.rx.ah_seq = 0;
        }
        self.master_tx(now, group_state, out);
        self.init_sands(now);
    }

    /// MASTER's advert tick, also the way into MASTER (`vrrp_state_master_tx`): the advert
    /// goes first so the old master drops its VIPs before our GARPs (RFC 3768 §6.4.2).
    pub fn master_tx(
        &mut self,
        now: Instant,
        group_state: Option<State>,
        out: &mut VecDeque<Action>,
    ) {
        self.send_advert(self.status.effective_priority, out);
        if !self.status.vips_set {
            self.enter_state(State::Master, EntryLog::Normal, now, out);
            self.become_master(now, out);
            self.send_notifies(group_state, out);
            if !self.cfg.advert.garp.master_delay.is_zero() {
                self.garp_delayed_at = Some(now + self.cfg.advert.garp.master_delay);
            }
        } else {
            if let Some(at) = self.garp_refresh_at {
                if now > at {
                    self.send_link_update(self.cfg.advert.garp.master_refresh_repeat, out);
                    self.garp_refresh_at = Some(now + self.cfg.advert.garp.master_refresh);
                }
            }
            if self.extra_if_garp_at.is_some_and(|at| now > at) {
                self.send_extra_if_update(out);
                self.extra_if_garp_at = Some(now + self.cfg.extra_if_garp.interval);
            }
        }
    }

    /// `vrrp_state_become_master`: counters, interval restore, VIPs, first GARP burst.
    fn become_master(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        self.status.stats.become_master += 1;
        self.status.snmp_reasons.master = self.status.snmp_reasons.next_master;
        if self.cfg.version == Version::V3 && self.status.master_adver_int != self.cfg.advert_int {
            let text = format!(
                "({}) changing advert interval from {}ms to locally configured {}ms",
                self.cfg.name,
                self.status.master_adver_int.as_millis(),
                self.cfg.advert_int.as_millis()
            );
            self.log(out, LogLevel::Detail, text);
            self.status.master_adver_int = self.cfg.advert_int;
        }
        if !self.has_no_addrs() {
            let text = format!("({}) setting VIPs.", self.cfg.name);
            self.log(out, LogLevel::Detail, text);
            out.push_back(Action::AddVips {
                instance: self.id(),
                addrs: self.all_addrs().collect(),
            });
        }
        self.status.vips_set = true;
        self.send_link_update(self.cfg.advert.garp.master_repeat, out);
        if !self.cfg.advert.garp.master_refresh.is_zero() {
            self.garp_refresh_at = Some(now + self.cfg.advert.garp.master_refresh);
        }
        if self.cfg.extra_if_garp.is_on() {
            self.extra_if_garp_at = Some(now + self.cfg.extra_if_garp.interval);
        }
    }

    /// `vrrp_restore_interface`: optional priority-0 advert, then VIPs removed.
    pub fn restore_interface(&mut self, send_prio_zero: bool, out: &mut VecDeque<Action>) {
        if send_prio_zero {
            self.send_advert(0, out);
            self.status.stats.pri_zero_sent += 1;
            let text = format!("({}) sent 0 priority", self.cfg.name);
            self.log(out, LogLevel::Detail, text);
        }
        self.clear_garp_timers();
        if self.status.vips_set {
            if !self.has_no_addrs() {
                let text = format!("({}) removing VIPs.", self.cfg.name);
                self.log(out, LogLevel::Detail, text);
                out.push_back(Action::RemoveVips {
                    instance: self.id(),
                    addrs: self.all_addrs().collect(),
                });
            }
            self.status.vips_set = false;
        }
    }

    /// `vrrp_state_leave_master`: to BACKUP (no priority 0) or FAULT (priority-0 advert,
    /// and a second one when `send_prio_zero`).
    pub fn leave_master(
        &mut self,
        now: Instant,
        send_prio_zero: bool,
        group_state: Option<State>,
        out: &mut VecDeque<Action>,
    ) {
        let to = self.status.wantstate;
        if to != State::Backup && to != State::Fault {
            return;
        }
        self.enter_state(to, EntryLog::Normal, now, out);
        if to == State::Backup {
            self.preempt_until = None;
        } else {
            self.send_advert(0, out);
        }
        self.restore_interface(send_prio_zero, out);
        self.send_notifies(group_state, out);
        self.restart_down_timer(now);
        self.status.stats.release_master += 1;
    }

    /// `vrrp_state_leave_fault` for a target of BACKUP or FAULT (MASTER is the router's
    /// `goto_master`). Always re-arms the full down timer.
    pub fn leave_fault_not_master(
        &mut self,
        now: Instant,
        group_state: Option<State>,
        out: &mut VecDeque<Action>,
    ) {
        let to = self.status.wantstate;
        let from = self.status.state;
        let how = if from != to {
            EntryLog::Normal
        } else {
            EntryLog::Silent
        };
        self.enter_state(to, how, now, out);
        if to == State::Fault && from == State::Master {
            self.send_advert(0, out);
            self.restore_interface(false, out);
        }
        if to == State::Backup {
            self.preempt_until = None;
        }
        self.send_notifies(group_state, out);
        self.finish_leave_fault(now);
    }

    /// A sync-group member pulled into FAULT with its group: no log line of its own.
    pub fn enter_fault_silently(
        &mut self,
        now: Instant,
        group_state: Option<State>,
        out: &mut VecDeque<Action>,
    ) {
        self.enter_state(State::Fault, EntryLog::Silent, now, out);
        self.send_notifies(group_state, out);
        self.finish_leave_fault(now);
    }

    /// The tail of `vrrp_state_leave_fault`, common to every target.
    pub fn finish_leave_fault(&mut self, now: Instant) {
        self.status.master_adver_int = self.cfg.advert_int;
        self.restart_down_timer(now);
    }

    /// The first half of keepalived's `try_up_instance` (all faults cleared): aim for
    /// BACKUP (unless an owner that wanted MASTER) with our own interval, and a full down
    /// timer (the owner: one interval plus skew).
    pub fn prepare_recovery(&mut self) {
        let owner_master =
            self.status.wantstate == State::Master && self.status.base_priority == 255;
        if !owner_master {
            self.status.wantstate = State::Backup;
        }
        self.status.master_adver_int = self.cfg.advert_int;
        let down = if owner_master {
            self.cfg.advert_int + self.skew()
        } else {
            self.master_down()
        };
        self.set_ms_down_timer(down);
    }

    /// SIGTERM, after any release ([`Self::restore_interface`]): STOP, notified, and no
    /// timer fires any more.
    pub fn stop(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        self.enter_state(State::Stop, EntryLog::Silent, now, out);
        self.send_notifies(None, out);
        self.clear_timers();
    }

    /// A reload removed the instance: released if master (unless `release` is false,
    /// `--dont-release-vrrp`), stopped, and notified DELETED (`notify_deleted`) or FAULT.
    pub fn retire(&mut self, now: Instant, release: bool, out: &mut VecDeque<Action>) {
        let from = self.status.state;
        if from == State::Master && release {
            self.restore_interface(true, out);
        }
        // Not a transition of the running configuration: not counted in `transitions`.
        self.status.state = State::Stop;
        self.status.last_transition = Some(now);
        self.clear_timers();
        let name = self.cfg.name.clone();
        let text = format!("({name}) removed by configuration reload");
        self.log(out, LogLevel::Info, text);
        out.push_back(Action::StateChanged {
            instance: self.id(),
            from,
            to: State::Stop,
        });
        let state = if self.cfg.notify_deleted {
            NotifyState::Deleted
        } else {
            NotifyState::Fault
        };
        out.push_back(Action::Notify {
            target: NotifyTarget::Instance(name),
            state,
            priority: 0,
        });
    }
}
