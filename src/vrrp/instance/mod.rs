//! One `vrrp_instance`: its state, timers and the per-instance halves of the RFC 3768 §6.4
//! / RFC 5798 §6.4 state machine, with keepalived 2.2.7's semantics.
//!
//! What needs other instances (sync groups, tracker fan-out, packet dispatch) lives in
//! [`crate::vrrp::router`]; everything here only touches this instance and the action
//! queue. The fields are private: the router reads them through accessors and changes
//! them through the methods below, so every rule about one instance's timers and state
//! is written once, here.
//!
//! * this file: the data, accessors, timers and tracking;
//! * `transition`: entering and leaving states (keepalived's `vrrp_state_*`);
//! * `receive`: a BACKUP's and a MASTER's answer to a received advert;
//! * `send`: adverts and GARP bursts;
//! * `carry_over`: keeping run-time state across a reload.

mod carry_over;
mod receive;
mod send;
mod transition;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::action::{Action, InstanceId, LogLevel, NotifyState, NotifyTarget, State};
use super::config::InstanceConfig;
use super::log_limit::{summary_text, LogLimiter};
use super::snmp_reasons::SnmpReasons;
use super::stats::Stats;
use super::timer;
use super::validate::{ChecksumCompat, RxState};

/// Read-only view of an instance for dumps, metrics and tests. Its name is its
/// configuration's ([`crate::vrrp::Router::instance_config`]), not kept twice.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InstanceStatus {
    #[serde(skip)]
    pub id: InstanceId,
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
    /// RFC 6527's master and protocol-error reasons (read by the SNMP subagent).
    #[serde(skip)]
    pub snmp_reasons: SnmpReasons,
}

/// Internals of an instance that keepalived's USR1 dump prints beside its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceInternals {
    /// Base priority plus tracker weights, before clamping to 1..=254.
    pub total_priority: i32,
    /// Weight-0 trackers failing, plus the primary interface when it is down.
    pub fault_count: u32,
    /// When the advert (MASTER) or master-down (BACKUP) timer fires next.
    pub deadline: Option<Instant>,
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

/// How new tracker results changed an instance's fault state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultEdge {
    /// The first fault appeared: the instance must go down (keepalived `down_instance`).
    Failed,
    /// The last fault cleared: the instance may come up (keepalived `try_up_instance`).
    Recovered,
}

/// One `vrrp_instance` at run time: its configuration, the status dumps read, and the
/// timers and protocol state only its own methods change.
pub(crate) struct Instance {
    cfg: InstanceConfig,
    status: InstanceStatus,
    /// base + Σ tracker weights (before clamping).
    total_priority: i32,
    /// Advert timer (MASTER) or master-down timer (BACKUP).
    deadline: Option<Instant>,
    /// keepalived's `ms_down_timer`: what the BACKUP deadline is re-armed with.
    ms_down_timer: Duration,
    preempt_until: Option<Instant>,
    ip_id: u16,
    rx: RxState,
    garp_delayed_at: Option<Instant>,
    garp_lower_prio_at: Option<Instant>,
    garp_refresh_at: Option<Instant>,
    /// Next round of `garp_extra_if` GARPs (checked on MASTER advert ticks).
    extra_if_garp_at: Option<Instant>,
    /// Weight-0 trackers failing + primary interface down.
    fault_count: u32,
    notifies_sent: bool,
    group: Option<usize>,
    /// `vrrp_startup_delay`: until then a BACKUP's master-down timer runs from this
    /// moment instead of from now (see [`Self::init_sands`]).
    delayed_start: Option<Instant>,
    /// Flood control for the lines a peer can trigger once per packet (rejections).
    log_limit: LogLimiter,
}

/// What MASTER did with a valid advert (RFC 3768 §6.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MasterRx {
    Stay,
    /// A lower-priority advert was answered; sync-group peers also send GARPs.
    StayLowerPriority,
    Yield,
}

/// What [`Instance::receive`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Received {
    /// Discarded before the checks (IPv6 multicast/unicast mismatch): nothing changes.
    Discarded,
    /// Failed validation: counted and logged, and nothing else changes (no timer, no
    /// state), so junk cannot delay a master's adverts or a backup's take-over.
    Rejected,
    /// Handled as BACKUP.
    AsBackup,
    /// Handled as MASTER, with the outcome the sync group may act on.
    AsMaster(MasterRx),
}

impl Instance {
    /// An instance in INIT as configured; [`Self::start`] enters its first state.
    pub fn new(id: InstanceId, cfg: InstanceConfig) -> Self {
        let wantstate = if cfg.initial_state_master {
            State::Master
        } else {
            State::Backup
        };
        let status = InstanceStatus {
            id,
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
            snmp_reasons: SnmpReasons::default(),
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
            extra_if_garp_at: None,
            fault_count: 0,
            notifies_sent: false,
            group: None,
            delayed_start: None,
            log_limit: LogLimiter::default(),
        };
        inst.set_ms_down_timer(inst.master_down());
        inst
    }

    // ---- reading -------------------------------------------------------------------

    /// Its index in the router (configuration order).
    pub fn id(&self) -> InstanceId {
        self.status.id
    }

    /// Its protocol state.
    pub fn state(&self) -> State {
        self.status.state
    }

    /// The state the instance would be in disregarding its sync group.
    pub fn wantstate(&self) -> State {
        self.status.wantstate
    }

    /// The configuration it runs with.
    pub fn cfg(&self) -> &InstanceConfig {
        &self.cfg
    }

    /// The view dumps, metrics and tests read.
    pub fn status(&self) -> &InstanceStatus {
        &self.status
    }

    /// Index of its sync group in the router, if any.
    pub fn group(&self) -> Option<usize> {
        self.group
    }

    /// Weight-0 trackers failing, plus the primary interface when it is down.
    pub fn fault_count(&self) -> u32 {
        self.fault_count
    }

    /// What keepalived's USR1 dump prints beside the status.
    pub fn internals(&self) -> InstanceInternals {
        InstanceInternals {
            total_priority: self.total_priority,
            fault_count: self.fault_count,
            deadline: self.deadline,
        }
    }

    /// True when the advert (MASTER) or master-down (BACKUP) timer is due at `now`.
    pub fn timer_due(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| d <= now)
    }

    /// Earliest of this instance's timers.
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.deadline, self.garp_delayed_at, self.garp_lower_prio_at]
            .into_iter()
            .flatten()
            .min()
    }

    // ---- simple changes ------------------------------------------------------------

    /// Makes it a member of sync group `g`; false when it already belongs to one (an
    /// instance is in at most one group, the first that names it).
    pub fn join_group(&mut self, g: usize) -> bool {
        if self.group.is_some() {
            return false;
        }
        self.group = Some(g);
        true
    }

    /// Sets the state the instance aims for (sync groups and timeouts decide it).
    pub fn set_wantstate(&mut self, state: State) {
        self.status.wantstate = state;
    }

    /// STATS_CLEAR.
    pub fn clear_stats(&mut self) {
        self.status.stats = Stats::default();
    }

    // ---- timers --------------------------------------------------------------------

    /// VIPs then eVIPs: what is installed and announced. Read from the configuration,
    /// not kept twice (a copy per instance adds up at 1,000 instances).
    fn all_addrs(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.cfg.vips.iter().chain(&self.cfg.evips).copied()
    }

    /// Whether the instance has no VIP and no eVIP.
    fn has_no_addrs(&self) -> bool {
        self.cfg.vips.is_empty() && self.cfg.evips.is_empty()
    }

    /// Master_Down_Interval with the current effective priority and master interval.
    fn master_down(&self) -> Duration {
        timer::master_down_interval(
            self.cfg.version,
            self.status.effective_priority,
            self.status.master_adver_int,
            self.cfg.advert.down_timer_adverts,
        )
    }

    /// Skew_Time with the current effective priority and master interval.
    fn skew(&self) -> Duration {
        timer::skew_for(
            self.cfg.version,
            self.status.effective_priority,
            self.status.master_adver_int,
        )
    }

    fn set_ms_down_timer(&mut self, d: Duration) {
        self.ms_down_timer = d;
        self.status.master_down_interval = d;
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

    /// A full Master_Down_Interval from `now` (from the current priority and interval).
    pub fn restart_down_timer(&mut self, now: Instant) {
        self.set_ms_down_timer(self.master_down());
        self.init_sands(now);
    }

    /// The delayed and periodic GARP bursts are cancelled (VIPs removed, or stopped).
    fn clear_garp_timers(&mut self) {
        self.garp_delayed_at = None;
        self.garp_lower_prio_at = None;
        self.garp_refresh_at = None;
        self.extra_if_garp_at = None;
    }

    /// No timer of this instance fires any more (stopped or retired).
    fn clear_timers(&mut self) {
        self.deadline = None;
        self.clear_garp_timers();
    }

    /// `vrrp_startup_delay` (see [`crate::vrrp::Router::delay_start`]): the timer start-up
    /// armed for a BACKUP (a whole down interval, or the owner's 1 µs) now runs from
    /// `until`, and so do later re-arms while `until` is ahead.
    pub fn delay_start(&mut self, until: Instant, now: Instant) {
        let shift = until.saturating_duration_since(now);
        self.delayed_start = Some(until);
        if self.status.state == State::Backup {
            self.deadline = self.deadline.map(|d| d + shift);
        }
    }

    // ---- priority and faults -------------------------------------------------------

    /// Tracker results known when the router is assembled: taken as they are, without a
    /// log line (the effective priority follows at start, see
    /// [`Self::apply_total_priority`]).
    pub fn init_tracking(&mut self, total: i32, faults: u32) {
        self.total_priority = total;
        self.fault_count = faults;
        self.set_ms_down_timer(self.master_down());
    }

    /// keepalived `initialise_tracking_priorities`: the effective priority takes the
    /// tracked total at start (logged, and announced with `notify_priority_changes`).
    pub fn apply_total_priority(&mut self, out: &mut VecDeque<Action>) {
        self.set_total_priority(self.total_priority, out);
    }

    /// New tracker results: priority `total` and `faults` failing weight-0 trackers.
    /// Returns the fault edge the router must act on (it may involve the sync group).
    pub fn apply_tracking(
        &mut self,
        total: i32,
        faults: u32,
        out: &mut VecDeque<Action>,
    ) -> Option<FaultEdge> {
        self.set_total_priority(total, out);
        let was = std::mem::replace(&mut self.fault_count, faults);
        match (was, faults) {
            (0, f) if f > 0 => Some(FaultEdge::Failed),
            (w, 0) if w > 0 => Some(FaultEdge::Recovered),
            _ => None,
        }
    }

    /// keepalived's `vrrp_set_effective_priority`: clamp to 1..=254 (255 never changes);
    /// a BACKUP's deadline moves by the change of its down timer.
    fn set_total_priority(&mut self, total: i32, out: &mut VecDeque<Action>) {
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

    fn log(&self, out: &mut VecDeque<Action>, level: LogLevel, text: String) {
        out.push_back(Action::Log { level, text });
    }

    /// Logs a line a packet triggered, through the flood limiter (`key`: its reason).
    /// `text` is only formatted when the line is shown.
    fn log_limited(
        &mut self,
        out: &mut VecDeque<Action>,
        key: &'static str,
        now: Instant,
        text: impl FnOnce() -> Option<String>,
    ) {
        let admission = self.log_limit.admit(key, now);
        if let Some(n) = admission.suppressed_before {
            let summary = summary_text(Some(&self.cfg.name), key, n);
            self.log(out, LogLevel::Info, summary);
        }
        if let Some(text) = admission.show.then(text).flatten() {
            self.log(out, LogLevel::Info, text);
        }
    }

    /// Reports the lines suppressed in flood-control windows that ended by `now`.
    pub fn close_log_windows(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        for (key, n) in self.log_limit.close_ended(now) {
            let summary = summary_text(Some(&self.cfg.name), key, n);
            self.log(out, LogLevel::Info, summary);
        }
    }
}
