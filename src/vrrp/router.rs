//! All instances of one daemon: packet dispatch, timers, trackers, interfaces, sync
//! groups and shutdown. Sans-IO in the quinn-proto style: feed events with `now`, then
//! drain [`Router::poll_action`] and sleep until [`Router::poll_timeout`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use super::action::{Action, InstanceId, LogLevel, NotifyState, NotifyTarget, State};
use super::config::{InstanceConfig, SyncGroupConfig, TrackerId};
use super::family::Family;
use super::instance::{FaultEdge, Instance, InstanceInternals, InstanceStatus, MasterRx, Received};
use super::log_limit::{summary_text, LogLimiter};
use super::tracking::{contribution, Contribution, TrackerStatus};
use super::validate::classify;

/// A packet from a VRRP socket. Instances are chosen by VRID and family (and the
/// interface, when given and the instance names one); for duplicate VRIDs the
/// destination kind (multicast/unicast) and the unicast peer list decide.
#[derive(Debug, Clone, Copy)]
pub enum ReceivedPacket<'a> {
    /// A whole IPv4 packet as read from a raw socket (header included).
    Ipv4 {
        packet: &'a [u8],
        interface: Option<&'a str>,
    },
    /// The VRRP payload of an IPv6 packet, with addresses and hop limit from
    /// `IPV6_PKTINFO` / `IPV6_HOPLIMIT`.
    Ipv6 {
        payload: &'a [u8],
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hop_limit: Option<u8>,
        interface: Option<&'a str>,
    },
}

/// Conditions known before start-up.
#[derive(Debug, Clone, Default)]
pub struct RouterInit {
    pub tracker_status: Vec<(TrackerId, TrackerStatus)>,
    pub interfaces_down: Vec<String>,
    /// Tracked source addresses (`track_src_ip`) not on the host at start.
    pub sources_missing: Vec<IpAddr>,
}

pub(crate) struct Group {
    pub cfg: SyncGroupConfig,
    pub members: Vec<usize>,
    pub state: State,
}

/// Which instances and groups [`Router::init_state`] starts (true = new).
pub(crate) struct InitScope {
    pub instances: Vec<bool>,
    pub groups: Vec<bool>,
}

/// The protocol core for all `vrrp_instance`s and `vrrp_sync_group`s.
pub struct Router {
    pub(crate) instances: Vec<Instance>,
    pub(crate) groups: Vec<Group>,
    pub(crate) by_vrid: HashMap<(u8, Family), Vec<usize>>,
    pub(crate) trackers: HashMap<TrackerId, TrackerStatus>,
    pub(crate) interfaces_down: HashSet<String>,
    /// Tracked source addresses (`track_src_ip`) deleted from the host.
    pub(crate) sources_missing: HashSet<IpAddr>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) log_unknown_vrids: bool,
    pub(crate) dont_release: bool,
    pub(crate) stopped: bool,
    /// Flood control for the dispatcher's own lines (short packets, unknown VRIDs).
    pub(crate) dispatch_log: LogLimiter,
}

impl Router {
    /// Starts every instance at `now` (keepalived 2.2.7 `vrrp_init_state`): all trackers
    /// up, all interfaces up.
    pub fn new(instances: Vec<InstanceConfig>, groups: Vec<SyncGroupConfig>, now: Instant) -> Self {
        Self::with_init(instances, groups, RouterInit::default(), now)
    }

    /// Like [`Router::new`] with tracker and interface states known before start-up.
    pub fn with_init(
        instances: Vec<InstanceConfig>,
        groups: Vec<SyncGroupConfig>,
        init: RouterInit,
        now: Instant,
    ) -> Self {
        let mut r = Self::assemble(instances, groups, init);
        r.init_state(now, None);
        r
    }

    /// Builds instances, groups and effective priorities without starting anything.
    pub(crate) fn assemble(
        instances: Vec<InstanceConfig>,
        groups: Vec<SyncGroupConfig>,
        init: RouterInit,
    ) -> Self {
        let mut r = Router {
            instances: instances
                .into_iter()
                .enumerate()
                .map(|(i, c)| Instance::new(InstanceId(i), c))
                .collect(),
            groups: Vec::new(),
            by_vrid: HashMap::new(),
            trackers: init.tracker_status.into_iter().collect(),
            interfaces_down: init.interfaces_down.into_iter().collect(),
            sources_missing: init.sources_missing.into_iter().collect(),
            actions: VecDeque::new(),
            log_unknown_vrids: false,
            dont_release: false,
            stopped: false,
            dispatch_log: LogLimiter::default(),
        };
        for (i, inst) in r.instances.iter().enumerate() {
            r.by_vrid
                .entry((inst.cfg().vrid, inst.cfg().family))
                .or_default()
                .push(i);
        }
        for g in groups {
            let mut members = Vec::new();
            for name in &g.members {
                if let Some(i) = r.instances.iter().position(|x| &x.cfg().name == name) {
                    if r.instances[i].join_group(r.groups.len()) {
                        members.push(i);
                    }
                }
            }
            if members.is_empty() {
                continue;
            }
            // Which member trackers keep their weights inside a sync group is decided
            // when the trackers are planned (`track::TrackerPlan`), as keepalived does
            // at config time.
            r.groups.push(Group {
                cfg: g,
                members,
                state: State::Init,
            });
        }
        for i in 0..r.instances.len() {
            let (total, faults) = r.recompute(i);
            r.instances[i].init_tracking(total, faults);
        }
        r
    }

    /// Logs "Unknown VRID(%d) received on interface(%s). ignoring..." (`log_unknown_vrids`).
    pub fn set_log_unknown_vrids(&mut self, on: bool) {
        self.log_unknown_vrids = on;
    }

    /// `vrrp_startup_delay`: no instance may take over before `until` plus its
    /// Master_Down_Interval (an address owner: before `until`). Adverts are still received
    /// and obeyed meanwhile. Call right after start-up (keepalived applies the delay at
    /// start only, never on reload).
    pub fn delay_start(&mut self, until: Instant, now: Instant) {
        for inst in &mut self.instances {
            inst.delay_start(until, now);
        }
    }

    /// `-V/--dont-release-vrrp`: shutdown sends no priority-0 advert and keeps VIPs.
    pub fn set_dont_release_vrrp(&mut self, on: bool) {
        self.dont_release = on;
    }

    fn group_state(&self, i: usize) -> Option<State> {
        self.instances[i].group().map(|g| self.groups[g].state)
    }

    fn log(&mut self, text: String) {
        self.actions.push_back(Action::Log {
            level: LogLevel::Info,
            text,
        });
    }

    /// A dispatcher line a packet triggered, through the flood limiter.
    fn log_limited(&mut self, key: &'static str, now: Instant, text: impl FnOnce() -> String) {
        let admission = self.dispatch_log.admit(key, now);
        if let Some(n) = admission.suppressed_before {
            self.log(summary_text(None, key, n));
        }
        if admission.show {
            self.log(text());
        }
    }

    /// Summaries of the flood-control windows that ended by `now` (dispatcher and
    /// instances), so a flood that stopped is still reported.
    fn close_log_windows(&mut self, now: Instant) {
        for (key, n) in self.dispatch_log.close_ended(now) {
            self.log(summary_text(None, key, n));
        }
        for inst in &mut self.instances {
            inst.close_log_windows(now, &mut self.actions);
        }
    }

    pub(crate) fn recompute(&self, i: usize) -> (i32, u32) {
        let cfg = self.instances[i].cfg();
        let mut total = i32::from(cfg.base_priority);
        let mut faults = 0;
        for t in &cfg.trackers {
            let status = self
                .trackers
                .get(&t.id)
                .copied()
                .unwrap_or(TrackerStatus::Up);
            match contribution(t, t.weight, status) {
                Contribution::Weight(w) => total = total.saturating_add(w),
                Contribution::Fault => faults += 1,
            }
        }
        if !cfg.dont_track_primary && self.interfaces_down.contains(&cfg.interface) {
            faults += 1;
        }
        if cfg.track_source && self.sources_missing.contains(&cfg.source_addr) {
            faults += 1;
        }
        (total, faults)
    }

    /// keepalived `vrrp_init_state`, for every instance and group, or
    /// (after a reload) only those `scope` marks as new.
    pub(crate) fn init_state(&mut self, now: Instant, scope: Option<&InitScope>) {
        // keepalived `initialise_tracking_priorities`, before any state is entered.
        for i in 0..self.instances.len() {
            if scope.is_some_and(|s| !s.instances[i]) {
                continue;
            }
            self.instances[i].apply_total_priority(&mut self.actions);
        }
        for g in 0..self.groups.len() {
            if scope.is_some_and(|s| !s.groups[g]) {
                continue;
            }
            let mut state = State::Init;
            let mut fault = false;
            for &m in &self.groups[g].members {
                let inst = &self.instances[m];
                if state != State::Backup {
                    state = if inst.wantstate() == State::Master && inst.cfg().base_priority == 255
                    {
                        State::Master
                    } else {
                        State::Backup
                    };
                }
                fault |= inst.fault_count() > 0;
            }
            self.groups[g].state = if fault { State::Fault } else { state };
            if matches!(self.groups[g].state, State::Fault | State::Backup) {
                self.group_notify(g);
            }
        }
        for i in 0..self.instances.len() {
            if scope.is_some_and(|s| !s.instances[i]) {
                continue;
            }
            let gs = self.group_state(i);
            self.instances[i].start(now, gs, &mut self.actions);
        }
    }

    pub(crate) fn group_notify(&mut self, g: usize) {
        let state = match self.groups[g].state {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Stop => NotifyState::Stop,
            _ => NotifyState::Fault,
        };
        self.actions.push_back(Action::Notify {
            target: NotifyTarget::Group(self.groups[g].cfg.name.clone()),
            state,
            priority: 0,
        });
    }

    fn select(
        &self,
        family: Family,
        vrid: u8,
        src: IpAddr,
        dst: IpAddr,
        iface: Option<&str>,
    ) -> Option<usize> {
        let cands = self.by_vrid.get(&(vrid, family))?;
        let ok_iface = |i: &usize| {
            let name = &self.instances[*i].cfg().interface;
            iface.is_none_or(|f| name.is_empty() || name == f)
        };
        let mut matching = cands.iter().copied().filter(ok_iface);
        let first = matching.next()?;
        let multicast = dst.is_multicast();
        let kind = |i: &usize| self.instances[*i].cfg().is_unicast() != multicast;
        let peer = |i: &usize| {
            self.instances[*i]
                .cfg()
                .unicast_peers
                .iter()
                .any(|p| p.addr == src)
        };
        let all: Vec<usize> = std::iter::once(first).chain(matching).collect();
        if all.len() == 1 {
            return Some(first);
        }
        all.iter()
            .copied()
            .find(|i| kind(i) && (multicast || peer(i)))
            .or_else(|| all.iter().copied().find(kind))
            .or(Some(first))
    }

    /// A packet arrived (keepalived `vrrp_dispatcher_read`).
    pub fn handle_packet(&mut self, now: Instant, rx: ReceivedPacket<'_>) {
        if self.stopped {
            return;
        }
        let (family, bytes, meta, iface) = match rx {
            ReceivedPacket::Ipv4 { packet, interface } => (Family::Ipv4, packet, None, interface),
            ReceivedPacket::Ipv6 {
                payload,
                src,
                dst,
                hop_limit,
                interface,
            } => (
                Family::Ipv6,
                payload,
                Some((src.into(), dst.into(), hop_limit)),
                interface,
            ),
        };
        let pkt = match classify(family, bytes, meta) {
            Ok(p) => p,
            Err(Some(text)) => return self.log_limited("short_packet", now, || text),
            Err(None) => return,
        };
        let vrid = pkt.vrrp.vrid();
        let Some(i) = self.select(family, vrid, pkt.src, pkt.dst, iface) else {
            if self.log_unknown_vrids {
                self.log_limited("unknown_vrid", now, || {
                    format!(
                        "Unknown VRID({vrid}) received on interface({}). ignoring...",
                        iface.unwrap_or("")
                    )
                });
            }
            return;
        };
        let prev = self.instances[i].state();
        if !matches!(prev, State::Backup | State::Master) {
            return;
        }
        self.instances[i].close_log_windows(now, &mut self.actions);
        match self.instances[i].receive(now, &pkt, &mut self.actions) {
            // Junk never moves a timer (issue 15): re-arming the master's advert timer on
            // every packet let a flood of invalid packets silence it.
            Received::Discarded | Received::Rejected => return,
            Received::AsBackup | Received::AsMaster(MasterRx::Stay) => {}
            Received::AsMaster(MasterRx::Yield) => {
                let gs = self.group_state(i);
                self.instances[i].leave_master(now, false, gs, &mut self.actions);
            }
            Received::AsMaster(MasterRx::StayLowerPriority) => self.group_lower_prio_garps(i, now),
        }
        self.tsm(i, prev, now);
        self.instances[i].rearm_after_rx(now);
    }

    /// Timers that are due at `now` fire (keepalived `vrrp_dispatcher_read_timeout`),
    /// earliest first.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.stopped {
            return;
        }
        let mut due: Vec<(Instant, usize)> = self
            .instances
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.next_deadline().filter(|d| *d <= now).map(|d| (d, i)))
            .collect();
        due.sort_unstable();
        self.close_log_windows(now);
        for (_, i) in due {
            self.instances[i].fire_garp_timers(now, &mut self.actions);
            if !self.instances[i].timer_due(now) {
                continue;
            }
            let prev = self.instances[i].state();
            match prev {
                State::Backup => {
                    self.instances[i].advert_timeout(&mut self.actions);
                    self.goto_master(i, now);
                }
                State::Master => {
                    let gs = self.group_state(i);
                    self.instances[i].master_tx(now, gs, &mut self.actions);
                }
                _ => {}
            }
            self.tsm(i, prev, now);
            self.instances[i].init_sands(now);
        }
    }

    /// A tracked object changed (RFC-external; keepalived `vrrp_track.c`).
    pub fn handle_tracker(&mut self, now: Instant, id: TrackerId, status: TrackerStatus) {
        if self.stopped {
            return;
        }
        self.trackers.insert(id, status);
        for i in 0..self.instances.len() {
            if self.instances[i].cfg().trackers.iter().any(|t| t.id == id) {
                self.apply_tracking(i, now);
            }
        }
    }

    /// The interface `ifname` went up or down (netlink). Instances on it that track
    /// their primary interface go to FAULT while it is down.
    pub fn handle_interface(&mut self, now: Instant, ifname: &str, up: bool) {
        if self.stopped {
            return;
        }
        if up {
            self.interfaces_down.remove(ifname);
        } else {
            self.interfaces_down.insert(ifname.to_string());
        }
        for i in 0..self.instances.len() {
            let cfg = self.instances[i].cfg();
            if cfg.interface == ifname && !cfg.dont_track_primary {
                self.apply_tracking(i, now);
            }
        }
    }

    /// An address was deleted from (`present` false) or added to the host: instances
    /// tracking it as their source address (`track_src_ip`) go to FAULT while it is
    /// missing and come back when it returns, as keepalived takes an instance down when
    /// its tracked source address is deleted.
    pub fn handle_source_address(&mut self, now: Instant, addr: IpAddr, present: bool) {
        if self.stopped {
            return;
        }
        let changed = if present {
            self.sources_missing.remove(&addr)
        } else {
            self.sources_missing.insert(addr)
        };
        if !changed {
            return;
        }
        for i in 0..self.instances.len() {
            let cfg = self.instances[i].cfg();
            if cfg.track_source && cfg.source_addr == addr {
                self.apply_tracking(i, now);
            }
        }
    }

    /// Tracker results (and the primary interface) of instance `i` now; a first fault
    /// takes it down, the last one cleared brings it up.
    pub(crate) fn apply_tracking(&mut self, i: usize, now: Instant) {
        let (total, faults) = self.recompute(i);
        match self.instances[i].apply_tracking(total, faults, &mut self.actions) {
            Some(FaultEdge::Failed) => self.down_instance(i, now),
            Some(FaultEdge::Recovered) => self.try_up_instance(i, now),
            None => {}
        }
    }

    /// SIGTERM: every master sends one priority-0 advert and removes its
    /// VIPs (unless `--dont-release-vrrp`), then every instance and group notifies STOP.
    pub fn shutdown(&mut self, now: Instant) {
        if self.stopped {
            return;
        }
        for i in 0..self.instances.len() {
            if self.instances[i].state() == State::Master && !self.dont_release {
                self.instances[i].restore_interface(true, &mut self.actions);
            }
        }
        for inst in &mut self.instances {
            inst.stop(now, &mut self.actions);
        }
        for g in 0..self.groups.len() {
            self.groups[g].state = State::Stop;
            self.group_notify(g);
        }
        self.stopped = true;
    }

    /// The next instant [`Router::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.stopped {
            return None;
        }
        self.instances
            .iter()
            .filter_map(Instance::next_deadline)
            .min()
    }

    /// The next action to execute, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = self.actions.pop_front();
        if action.is_none() && self.actions.capacity() > 256 {
            // A burst (hundreds of instances changing state at once) grew the queue;
            // do not keep that memory for the daemon's lifetime.
            self.actions.shrink_to(64);
        }
        action
    }

    /// All instances, in configuration order.
    pub fn instances(&self) -> impl Iterator<Item = &InstanceStatus> {
        self.instances.iter().map(Instance::status)
    }

    /// One instance.
    pub fn instance(&self, id: InstanceId) -> Option<&InstanceStatus> {
        self.instances.get(id.0).map(Instance::status)
    }

    /// The id of the instance called `name`.
    pub fn instance_id(&self, name: &str) -> Option<InstanceId> {
        self.instances
            .iter()
            .position(|x| x.cfg().name == name)
            .map(InstanceId)
    }

    /// The configuration an instance runs with (tracker weights as forced by sync groups).
    pub fn instance_config(&self, id: InstanceId) -> Option<&InstanceConfig> {
        self.instances.get(id.0).map(Instance::cfg)
    }

    /// Priority sum, fault count and timer of one instance (for dumps).
    pub fn instance_internals(&self, id: InstanceId) -> Option<InstanceInternals> {
        self.instances.get(id.0).map(Instance::internals)
    }

    /// State of every sync group, in configuration order.
    pub fn groups(&self) -> impl Iterator<Item = (&str, State)> {
        self.groups.iter().map(|g| (g.cfg.name.as_str(), g.state))
    }

    /// STATS_CLEAR: zero every instance's counters.
    pub fn clear_stats(&mut self) {
        for x in &mut self.instances {
            x.clear_stats();
        }
    }

    /// The text keepalived writes to `/tmp/keepalived.stats` on SIGUSR2.
    pub fn stats_file(&self) -> String {
        let mut out = String::new();
        for x in &self.instances {
            let _ = x
                .status()
                .stats
                .write_stats_file_block(&x.cfg().name, &mut out);
        }
        out
    }
}
