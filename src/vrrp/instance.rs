//! One `vrrp_instance`: its state, timers and the per-instance halves of the RFC 3768 §6.4
//! / RFC 5798 §6.4 state machine, with keepalived 2.2.7's semantics.
//!
//! What needs other instances (sync groups, tracker fan-out, packet dispatch) lives in
//! [`crate::vrrp::router`]; everything here only touches this instance and the action
//! queue.

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::action::{Action, InstanceId, LogLevel, NotifyState, NotifyTarget, State};
use super::advert::{self, AdvertFields};
use super::auth::AuthConfig;
use super::config::InstanceConfig;
use super::packet::MCAST_GROUP_V4;
use super::stats::Stats;
use super::timer;
use super::validate::{self, ChecksumCompat, RxPacket, RxState, ValidAdvert, Verdict};
use super::{Family, Version};

/// Read-only view of an instance for dumps, metrics and tests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InstanceStatus {
    #[serde(skip)]
    pub id: InstanceId,
    pub name: String,
    pub vrid: u8,
    pub state: State,
    /// The state the instance would be in disregarding its sync group.
    pub wantstate: State,
    pub base_priority: u8,
    pub effective_priority: u8,
    /// Source of the last advert accepted (or discarded as lower) while BACKUP.
    pub master_addr: Option<IpAddr>,
    pub master_priority: u8,
    /// The interval in use: ours, or (v3 BACKUP) the master's.
    pub master_adver_int: Duration,
    /// Current Master_Down_Interval (what keepalived's dump calls "Master down timer").
    pub master_down_interval: Duration,
    /// VIPs are installed.
    pub vips_set: bool,
    pub stats: Stats,
    #[serde(skip)]
    pub last_transition: Option<Instant>,
    /// State changes since start-up (never cleared: metrics export it as a counter).
    pub transitions: u64,
}

/// How a state change is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryLog {
    /// "(VI_1) Entering X STATE".
    Normal,
    /// "(VI_1) Entering X STATE (init)".
    Init,
    /// No line (keepalived's silent moves, e.g. the owner's BACKUP at start-up).
    Silent,
}

/// What MASTER did with a valid advert (RFC 3768 §6.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MasterRx {
    Stay,
    /// A lower-priority advert was answered; sync-group peers also send GARPs.
    StayLowerPriority,
    Yield,
}

pub(crate) struct Instance {
    pub cfg: InstanceConfig,
    pub status: InstanceStatus,
    /// base + Σ tracker weights (before clamping).
    pub total_priority: i32,
    /// Advert timer (MASTER) or master-down timer (BACKUP).
    pub deadline: Option<Instant>,
    /// keepalived's `ms_down_timer`: what the BACKUP deadline is re-armed with.
    pub ms_down_timer: Duration,
    pub preempt_until: Option<Instant>,
    pub ip_id: u16,
    pub rx: RxState,
    pub garp_delayed_at: Option<Instant>,
    pub garp_lower_prio_at: Option<Instant>,
    pub garp_refresh_at: Option<Instant>,
    /// Weight-0 trackers failing + primary interface down.
    pub fault_count: u32,
    pub notifies_sent: bool,
    pub group: Option<usize>,
    /// VIPs then eVIPs: what is installed and announced.
    pub all_addrs: Vec<IpAddr>,
    /// `vrrp_startup_delay`: until then a BACKUP's master-down timer runs from this
    /// moment instead of from now (see [`Self::init_sands`]).
    pub delayed_start: Option<Instant>,
}

/// keepalived's `addr_cmp`: the advert's source against ours, as numbers.
pub(crate) fn addr_cmp(rx: IpAddr, ours: IpAddr) -> Ordering {
    match (rx, ours) {
        (IpAddr::V4(a), IpAddr::V4(b)) => u32::from(a).cmp(&u32::from(b)),
        (IpAddr::V6(a), IpAddr::V6(b)) => u128::from(a).cmp(&u128::from(b)),
        _ => Ordering::Equal,
    }
}

impl Instance {
    pub fn new(id: InstanceId, cfg: InstanceConfig) -> Self {
        let mut all_addrs = cfg.vips.clone();
        all_addrs.extend(cfg.evips.iter().copied());
        let wantstate = if cfg.initial_state_master {
            State::Master
        } else {
            State::Backup
        };
        let status = InstanceStatus {
            id,
            name: cfg.name.clone(),
            vrid: cfg.vrid,
            state: State::Init,
            wantstate,
            base_priority: cfg.base_priority,
            effective_priority: cfg.base_priority,
            master_addr: None,
            master_priority: 0,
            master_adver_int: cfg.advert_int,
            master_down_interval: Duration::ZERO,
            vips_set: false,
            stats: Stats::default(),
            last_transition: None,
            transitions: 0,
        };
        let rx = RxState {
            ah_seq: 0,
            ah_cycle: false,
            checksum_compat: ChecksumCompat::from_config(cfg.old_unicast_checksum),
        };
        let mut inst = Instance {
            total_priority: i32::from(cfg.base_priority),
            cfg,
            status,
            deadline: None,
            ms_down_timer: Duration::ZERO,
            preempt_until: None,
            ip_id: 0,
            rx,
            garp_delayed_at: None,
            garp_lower_prio_at: None,
            garp_refresh_at: None,
            fault_count: 0,
            notifies_sent: false,
            group: None,
            all_addrs,
            delayed_start: None,
        };
        inst.ms_down_timer = inst.master_down();
        inst.status.master_down_interval = inst.ms_down_timer;
        inst
    }

    pub fn id(&self) -> InstanceId {
        self.status.id
    }
    pub fn state(&self) -> State {
        self.status.state
    }

    fn log(&self, out: &mut VecDeque<Action>, level: LogLevel, text: String) {
        out.push_back(Action::Log { level, text });
    }

    /// Master_Down_Interval with the current effective priority and master interval.
    pub fn master_down(&self) -> Duration {
        timer::master_down_interval(
            self.cfg.version,
            self.status.effective_priority,
            self.status.master_adver_int,
            self.cfg.down_timer_adverts,
        )
    }

    /// Skew_Time with the current effective priority and master interval.
    pub fn skew(&self) -> Duration {
        timer::skew_for(
            self.cfg.version,
            self.status.effective_priority,
            self.status.master_adver_int,
        )
    }

    pub fn set_ms_down_timer(&mut self, d: Duration) {
        self.ms_down_timer = d;
        self.status.master_down_interval = d;
    }

    /// Earliest of this instance's timers.
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.deadline, self.garp_delayed_at, self.garp_lower_prio_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// keepalived's `vrrp_init_instance_sands`. During a start-up delay a BACKUP's timer
    /// counts from the end of the delay, so nothing can take over before it plus a whole
    /// Master_Down_Interval (an address owner: right at its end).
    pub fn init_sands(&mut self, now: Instant) {
        let backup_from = match self.delayed_start {
            Some(end) if now < end => end,
            _ => now,
        };
        self.deadline = match self.status.state {
            State::Master => Some(now + self.cfg.advert_int),
            State::Backup => Some(backup_from + self.ms_down_timer),
            _ => None,
        };
    }

    /// Sends one advert (a copy per unicast peer) with `priority` (RFC 3768 §6.4.3).
    pub fn send_advert(&mut self, priority: u8, out: &mut VecDeque<Action>) {
        // The kernel fills in an IP ID of 0, so keepalived skips it.
        self.ip_id = self.ip_id.wrapping_add(1);
        if self.ip_id == 0 {
            self.ip_id = 1;
        }
        if self.cfg.version == Version::V2 && matches!(self.cfg.auth, AuthConfig::Ah(_)) {
            if self.rx.ah_seq > 0xFFFF_FFFD {
                self.rx.ah_cycle = true;
            } else {
                self.rx.ah_seq += 1;
            }
        }
        let mut fields = AdvertFields {
            priority,
            ip_id: self.ip_id,
            ah_seq: self.rx.ah_seq,
            dst: self.cfg.multicast_group(),
            checksum_dst: self.cfg.multicast_group(),
            ttl: 255,
        };
        let id = self.id();
        if self.cfg.is_unicast() {
            fields.ttl = self.cfg.unicast_ttl;
            let old_form = self.cfg.family == Family::Ipv4
                && self.cfg.version == Version::V3
                && self.rx.checksum_compat == ChecksumCompat::Old;
            for peer in &self.cfg.unicast_peers {
                fields.dst = peer.addr;
                fields.checksum_dst = if old_form {
                    MCAST_GROUP_V4.into()
                } else {
                    peer.addr
                };
                let packet = advert::encode(&self.cfg, &fields);
                out.push_back(Action::SendAdvert {
                    instance: id,
                    packet,
                    dst: peer.addr,
                    ttl: fields.ttl,
                });
            }
        } else {
            let packet = advert::encode(&self.cfg, &fields);
            out.push_back(Action::SendAdvert {
                instance: id,
                packet,
                dst: fields.dst,
                ttl: 255,
            });
        }
        self.status.stats.advert_sent += 1;
    }

    /// `repeat` rounds of one GARP/NA per VIP and eVIP, only while the VIPs are set.
    pub fn send_link_update(&mut self, repeat: u32, out: &mut VecDeque<Action>) {
        if !self.status.vips_set {
            return;
        }
        for round in 0..repeat {
            for &addr in &self.all_addrs {
                if round == 0 {
                    let what = match addr {
                        IpAddr::V4(_) => "gratuitous ARPs",
                        IpAddr::V6(_) => "Unsolicited Neighbour Adverts",
                    };
                    let text = format!(
                        "({}) Sending/queueing {what} on {} for {addr}",
                        self.cfg.name, self.cfg.interface
                    );
                    self.log(out, LogLevel::Detail, text);
                }
                out.push_back(Action::SendGarp {
                    instance: self.id(),
                    addr,
                });
            }
        }
    }

    /// The single place a state changes: logs keepalived's line, records the change,
    /// runs `between` (VIP and advert work that keepalived does between its log line and
    /// its notifies), then sends the notifies.
    pub fn change_state(
        &mut self,
        to: State,
        how: EntryLog,
        now: Instant,
        group_state: Option<State>,
        out: &mut VecDeque<Action>,
        between: impl FnOnce(&mut Self, &mut VecDeque<Action>),
    ) {
        let from = self.status.state;
        match how {
            EntryLog::Normal => {
                let text = format!("({}) Entering {to} STATE", self.cfg.name);
                self.log(out, LogLevel::Info, text);
            }
            EntryLog::Init => {
                let text = format!("({}) Entering {to} STATE (init)", self.cfg.name);
                self.log(out, LogLevel::Info, text);
            }
            EntryLog::Silent => {}
        }
        let _ = from;
        self.record_state(to, now, out);
        between(self, out);
        self.send_notifies(group_state, out);
    }

    /// Sets the state without a log line or notifies; only for keepalived's silent moves
    /// (the address owner's 1 µs BACKUP at start-up). Everything else uses
    /// [`Self::change_state`].
    pub fn record_state(&mut self, to: State, now: Instant, out: &mut VecDeque<Action>) {
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
    pub fn send_notifies(&mut self, group_state: Option<State>, out: &mut VecDeque<Action>) {
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
            self.change_state(
                State::Master,
                EntryLog::Normal,
                now,
                group_state,
                out,
                |s, out| s.become_master(now, out),
            );
            if !self.cfg.garp.master_delay.is_zero() {
                self.garp_delayed_at = Some(now + self.cfg.garp.master_delay);
            }
        } else if let Some(at) = self.garp_refresh_at {
            if now > at {
                self.send_link_update(self.cfg.garp.master_refresh_repeat, out);
                self.garp_refresh_at = Some(now + self.cfg.garp.master_refresh);
            }
        }
    }

    /// `vrrp_state_become_master`: counters, interval restore, VIPs, first GARP burst.
    fn become_master(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        self.status.stats.become_master += 1;
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
        if !self.all_addrs.is_empty() {
            self.log(
                out,
                LogLevel::Detail,
                format!("({}) setting VIPs.", self.cfg.name),
            );
            out.push_back(Action::AddVips {
                instance: self.id(),
                addrs: self.all_addrs.clone(),
            });
        }
        self.status.vips_set = true;
        self.send_link_update(self.cfg.garp.master_repeat, out);
        if !self.cfg.garp.master_refresh.is_zero() {
            self.garp_refresh_at = Some(now + self.cfg.garp.master_refresh);
        }
    }

    /// `vrrp_restore_interface`: optional priority-0 advert, then VIPs removed.
    pub fn restore_interface(&mut self, send_prio_zero: bool, out: &mut VecDeque<Action>) {
        if send_prio_zero {
            self.send_advert(0, out);
            self.status.stats.pri_zero_sent += 1;
            self.log(
                out,
                LogLevel::Detail,
                format!("({}) sent 0 priority", self.cfg.name),
            );
        }
        self.garp_delayed_at = None;
        self.garp_lower_prio_at = None;
        self.garp_refresh_at = None;
        if self.status.vips_set {
            if !self.all_addrs.is_empty() {
                self.log(
                    out,
                    LogLevel::Detail,
                    format!("({}) removing VIPs.", self.cfg.name),
                );
                out.push_back(Action::RemoveVips {
                    instance: self.id(),
                    addrs: self.all_addrs.clone(),
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
        self.change_state(to, EntryLog::Normal, now, group_state, out, |s, out| {
            if to == State::Backup {
                s.preempt_until = None;
            } else {
                s.send_advert(0, out);
            }
            s.restore_interface(send_prio_zero, out);
        });
        self.set_ms_down_timer(self.master_down());
        self.init_sands(now);
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
        let how = if self.status.state != to {
            EntryLog::Normal
        } else {
            EntryLog::Silent
        };
        let from = self.status.state;
        self.change_state(to, how, now, group_state, out, |s, out| {
            if to == State::Fault && from == State::Master {
                s.send_advert(0, out);
                s.restore_interface(false, out);
            }
            if to == State::Backup {
                s.preempt_until = None;
            }
        });
        self.finish_leave_fault(now);
    }

    /// The tail of `vrrp_state_leave_fault`, common to every target.
    pub fn finish_leave_fault(&mut self, now: Instant) {
        self.status.master_adver_int = self.cfg.advert_int;
        self.set_ms_down_timer(self.master_down());
        self.init_sands(now);
    }

    /// Runs the checks; `check_vip_addr` per keepalived's BACKUP/MASTER rules.
    fn check(
        &mut self,
        rx: &RxPacket<'_>,
        check_vip_addr: bool,
        out: &mut VecDeque<Action>,
    ) -> Verdict {
        let is_backup = self.status.state == State::Backup;
        validate::check_packet(
            &self.cfg,
            is_backup,
            rx,
            check_vip_addr,
            &mut self.status.stats,
            &mut self.rx,
            out,
        )
    }

    /// v3: adopt the master's interval (RFC 5798 §6.4.2 "Master_Adver_Interval").
    fn adopt_interval(&mut self, adv: &ValidAdvert, out: &mut VecDeque<Action>) {
        if self.cfg.version == Version::V3 && self.status.master_adver_int != adv.interval {
            let text = format!(
                "({}) advertisement interval updated from {}ms to {}ms by master",
                self.cfg.name,
                self.status.master_adver_int.as_millis(),
                adv.interval.as_millis()
            );
            self.log(out, LogLevel::Detail, text);
            self.status.master_adver_int = adv.interval;
        }
    }

    /// BACKUP receiving a packet (RFC 3768 §6.4.2, keepalived `vrrp_state_backup`).
    /// Invalid and lower-priority adverts leave the running down timer untouched.
    pub fn backup_rx(&mut self, now: Instant, rx: &RxPacket<'_>, out: &mut VecDeque<Action>) {
        let check_addr = !self.cfg.skip_check_adv_addr || self.status.master_addr != Some(rx.src);
        let verdict = self.check(rx, check_addr, out);
        let mut ignore = true;
        if let Verdict::Valid(adv) = verdict {
            let eff = self.status.effective_priority;
            let preempt_running =
                !self.cfg.preempt_delay.is_zero() && self.preempt_until.is_none_or(|t| t > now);
            if adv.priority == 0 {
                // RFC 3768 §6.4.2: a priority-0 advert means take over after Skew_Time.
                let text = format!(
                    "({}) Backup received priority 0 advertisement",
                    self.cfg.name
                );
                self.log(out, LogLevel::Detail, text);
                self.set_ms_down_timer(self.skew());
                ignore = false;
            } else if self.cfg.nopreempt || adv.priority >= eff || preempt_running {
                self.adopt_interval(&adv, out);
                self.set_ms_down_timer(self.master_down());
                self.status.master_addr = Some(adv.src);
                self.status.master_priority = adv.priority;
                if !self.cfg.preempt_delay.is_zero() {
                    if adv.priority >= eff {
                        if self.preempt_until.take().is_some() {
                            let text = format!("({}) stop preempt delay", self.cfg.name);
                            self.log(out, LogLevel::Detail, text);
                        }
                    } else if self.preempt_until.is_none() {
                        let d = self.cfg.preempt_delay;
                        let text = format!(
                            "({}) start preempt delay ({}.{:06})",
                            self.cfg.name,
                            d.as_secs(),
                            d.subsec_micros()
                        );
                        self.log(out, LogLevel::Detail, text);
                        self.preempt_until = Some(now + d);
                    }
                }
                self.status.wantstate = State::Backup;
                ignore = false;
            } else {
                let text = format!(
                    "({}) received lower priority ({}) advert from {} - discarding",
                    self.cfg.name, adv.priority, adv.src
                );
                self.log(out, LogLevel::Info, text);
                self.status.master_addr = Some(adv.src);
            }
        }
        if ignore {
            // Keep the running timer: re-arming below restores the same deadline.
            let left = self
                .deadline
                .map_or(Duration::ZERO, |d| d.saturating_duration_since(now));
            self.ms_down_timer = left;
        }
    }

    /// MASTER receiving a packet (RFC 3768 §6.4.3, keepalived `vrrp_state_master_rx`).
    pub fn master_rx(
        &mut self,
        now: Instant,
        rx: &RxPacket<'_>,
        out: &mut VecDeque<Action>,
    ) -> MasterRx {
        let _ = now;
        let Verdict::Valid(adv) = self.check(rx, true, out) else {
            return MasterRx::Stay;
        };
        let name = self.cfg.name.clone();
        let cmp = addr_cmp(adv.src, self.cfg.source_addr);
        let eff = self.status.effective_priority;
        let higher = adv.priority > eff || (adv.priority == eff && cmp == Ordering::Greater);
        if adv.priority == 0 || (self.cfg.higher_prio_send_advert && higher) {
            self.send_advert(eff, out);
            if adv.priority == 0 {
                self.log(
                    out,
                    LogLevel::Detail,
                    format!("({name}) Master received priority 0 message"),
                );
                return MasterRx::Stay;
            }
        }
        if adv.priority == eff {
            if cmp == Ordering::Equal {
                let text = format!(
                    "({name}) WARNING - equal priority advert received from remote host with our IP address."
                );
                self.log(out, LogLevel::Info, text);
            } else if eff == 255 {
                let text = format!("({name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority");
                self.log(out, LogLevel::Info, text);
                self.status.effective_priority = 254;
                self.status.base_priority = 254;
            }
        }
        let eff = self.status.effective_priority;
        if adv.priority < eff || (adv.priority == eff && cmp == Ordering::Less) {
            let suffix = if self.cfg.lower_prio_no_advert {
                ""
            } else {
                ", forcing new election"
            };
            let text = format!(
                "({name}) Received advert from {} with lower priority {}, ours {eff}{suffix}",
                adv.src, adv.priority
            );
            self.log(out, LogLevel::Info, text);
            if let Some(seq) = adv.ah_seq {
                let text = format!("({name}) IPSEC-AH : Syncing seq_num - Increment seq");
                self.log(out, LogLevel::Info, text);
                self.rx.ah_seq = seq.wrapping_add(1);
                self.rx.ah_cycle = false;
            }
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(eff, out);
            }
            self.lower_prio_garps(now, out);
            out.push_back(Action::Notify {
                target: super::action::NotifyTarget::Instance(name),
                state: NotifyState::MasterRxLowerPri,
                priority: eff,
            });
            return MasterRx::StayLowerPriority;
        }
        if adv.priority > eff || (adv.priority == eff && cmp == Ordering::Greater) {
            let text = if adv.priority > eff {
                format!(
                    "({name}) Master received advert from {} with higher priority {}, ours {eff}",
                    adv.src, adv.priority
                )
            } else {
                format!(
                    "({name}) Master received advert from {} with same priority {} but higher IP address than ours",
                    adv.src, adv.priority
                )
            };
            self.log(out, LogLevel::Info, text);
            self.rx.ah_cycle = false;
            self.adopt_interval(&adv, out);
            self.set_ms_down_timer(self.master_down());
            self.status.master_priority = adv.priority;
            self.status.wantstate = State::Backup;
            return MasterRx::Yield;
        }
        MasterRx::Stay
    }

    /// GARPs after a lower-priority advert: a burst now and one after the delay.
    pub fn lower_prio_garps(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        let g = self.cfg.garp;
        if g.lower_prio_repeat > 0 {
            self.send_link_update(g.lower_prio_repeat, out);
            if !g.lower_prio_delay.is_zero() && self.status.vips_set {
                self.garp_lower_prio_at = Some(now + g.lower_prio_delay);
            }
        }
    }

    /// Fires the delayed GARP bursts that are due.
    pub fn fire_garp_timers(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        if self.garp_delayed_at.is_some_and(|t| t <= now) {
            self.garp_delayed_at = None;
            self.send_link_update(self.cfg.garp.master_repeat, out);
        }
        if self.garp_lower_prio_at.is_some_and(|t| t <= now) {
            self.garp_lower_prio_at = None;
            self.send_link_update(self.cfg.garp.lower_prio_repeat, out);
        }
    }

    /// keepalived's `vrrp_set_effective_priority`: clamp to 1..=254 (255 never changes);
    /// a BACKUP's deadline moves by the change of its down timer.
    pub fn set_total_priority(&mut self, total: i32, out: &mut VecDeque<Action>) {
        self.total_priority = total;
        if self.status.base_priority == 255 {
            return;
        }
        let new = total.clamp(1, 254) as u8;
        if new == self.status.effective_priority {
            return;
        }
        let text = format!(
            "({}) Changing effective priority from {} to {new}",
            self.cfg.name, self.status.effective_priority
        );
        self.log(out, LogLevel::Info, text);
        self.status.effective_priority = new;
        let old = self.ms_down_timer;
        self.set_ms_down_timer(self.master_down());
        if self.status.state == State::Backup {
            if let Some(d) = self.deadline {
                self.deadline = Some(if self.ms_down_timer >= old {
                    d + (self.ms_down_timer - old)
                } else {
                    d.checked_sub(old - self.ms_down_timer).unwrap_or(d)
                });
            }
        }
        if self.cfg.notify_priority_changes {
            out.push_back(Action::Notify {
                target: NotifyTarget::Instance(self.cfg.name.clone()),
                state: if self.status.state == State::Master {
                    NotifyState::MasterPriority
                } else {
                    NotifyState::BackupPriority
                },
                priority: new,
            });
        }
    }
}
