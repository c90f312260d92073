//! One state model for every view of the running daemon: the USR1 data dump, the
//! SIGRTMIN+2 JSON dump, the Prometheus metrics and `/status.json`.
//!
//! The daemon captures a [`Snapshot`] from the typed configuration, the protocol core and
//! the trackers it runs, then hands it to the writers in [`super::dump`] and to the metrics
//! server in [`super::metrics`]. A snapshot is plain data: capturing does no I/O and reads
//! no clock (`now` and `wall` are arguments), so every view is testable from a value and
//! all views agree because they render the same one.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

pub(crate) mod format;
mod process_view;
mod shown;
mod tuning_view;
pub use format::{command_words, format_address, quoted_command};
pub use process_view::IdentityView;
use shown::InstanceShown;
pub use shown::ShownConfig;
pub use tuning_view::TuningView;

use crate::config::model::{Config, EmailAlerts, VrrpInstance};
use crate::vrrp::packet::AuthType;
use crate::vrrp::{
    AuthConfig, Family, GarpConfig, InstanceConfig, InstanceInternals, InstanceStatus, Router,
    State, Stats, TrackerId, TrackerStatus, Version,
};

pub use crate::track::TrackerKind;

/// The daemon's view of one tracker, given to [`Snapshot::capture`]. The daemon owns the
/// mapping from tracker names to [`TrackerId`]s, so it fills these in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerView {
    /// The id instances reference in their [`crate::vrrp::TrackerRef`]s.
    pub id: TrackerId,
    pub name: String,
    pub kind: TrackerKind,
    /// The last result; `None` until the tracker has reported once.
    pub status: Option<TrackerStatus>,
    /// The tracker's own weight (`weight` of `vrrp_script`, `track_file` …).
    pub weight: i32,
    /// Scripts: whether a check is running or being timed out right now.
    pub run_state: crate::track::script::RunState,
}

/// Facts about the process the dumps and metrics report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub started: SystemTime,
    /// The configuration file given with `-f` (or the default).
    pub config_path: PathBuf,
    /// keepalived's default `router_id`.
    pub hostname: String,
    /// Namespace and instance name the daemon was started with (fixed for its life).
    pub identity: crate::daemon::process_files::Identity,
    /// The umask applied at start-up (`-u`, else `umask`, else keepalived's 0177); it
    /// stays across reloads, as keepalived's does. `None`: not applied by this process.
    pub umask_at_start: Option<u32>,
}

impl ProcessInfo {
    /// This process, started now.
    pub fn current(config_path: impl Into<PathBuf>) -> Self {
        ProcessInfo {
            pid: std::process::id(),
            started: SystemTime::now(),
            config_path: config_path.into(),
            hostname: nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_default(),
            identity: Default::default(),
            umask_at_start: None,
        }
    }
}

/// A wall-clock time, as a duration since the Unix epoch (microsecond resolution is what
/// keepalived prints). Serializes as fractional seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub Duration);

impl UnixTime {
    pub fn from_system(t: SystemTime) -> Self {
        UnixTime(t.duration_since(UNIX_EPOCH).unwrap_or_default())
    }
    pub fn secs(self) -> u64 {
        self.0.as_secs()
    }
    pub fn micros(self) -> u32 {
        self.0.subsec_micros()
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
    /// Maps a monotonic instant to the wall clock, given one instant known on both.
    pub fn from_instant(t: Instant, now: Instant, wall: SystemTime) -> Self {
        let w = if t <= now {
            wall.checked_sub(now - t).unwrap_or(UNIX_EPOCH)
        } else {
            wall + (t - now)
        };
        UnixTime::from_system(w)
    }
}

impl Serialize for UnixTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_secs_f64())
    }
}

fn ser_secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn ser_state<S: Serializer>(st: &State, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(st)
}

/// Versions, families and auth types are numbers and flags in the JSON views, as
/// keepalived prints them.
fn ser_version<S: Serializer>(v: &Version, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(v.number())
}

fn ser_is_ipv6<S: Serializer>(f: &Family, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*f == Family::Ipv6)
}

fn ser_auth_type<S: Serializer>(a: &AuthType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(*a as u8)
}

/// Everything any view shows, at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// When this snapshot was taken.
    pub taken_at: UnixTime,
    pub process: ProcessView,
    pub global: GlobalView,
    pub instances: Vec<InstanceView>,
    pub sync_groups: Vec<SyncGroupView>,
    pub trackers: Vec<TrackerSnapshot>,
    /// The latest state change of any instance (a failover or the start-up moves).
    pub last_failover: Option<UnixTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessView {
    pub pid: u32,
    pub start_time: UnixTime,
    pub config_path: String,
}

/// The `global_defs` values keepalived's data dump prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalView {
    /// `router_id`, or the host name when unset (keepalived's default).
    pub router_id: String,
    #[serde(flatten)]
    pub email: EmailAlerts,
    pub dynamic_interfaces: bool,
    /// `dynamic_interfaces allow_if_changes`.
    pub allow_if_changes: bool,
    pub default_interface: String,
    #[serde(flatten)]
    pub fifos: FifosView,
    pub vrrp_mcast_group4: IpAddr,
    pub vrrp_mcast_group6: IpAddr,
    pub garp: GarpView,
    pub vrrp_down_timer_adverts: u32,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    #[serde(serialize_with = "ser_secs")]
    pub vrrp_garp_interval: Duration,
    #[serde(serialize_with = "ser_secs")]
    pub vrrp_gna_interval: Duration,
    #[serde(serialize_with = "ser_version")]
    pub vrrp_version: Version,
    pub vrrp_check_unicast_src: bool,
    pub vrrp_skip_check_adv_addr: bool,
    pub vrrp_strict: bool,
    /// The nftables settings when the firewall is in use (the data dump's `nftables …`
    /// lines; not in the JSON dump, which keepalived 2.2.7 does not give them).
    #[serde(skip)]
    pub nftables: Option<crate::config::model::Nftables>,
    pub enable_script_security: bool,
    #[serde(serialize_with = "ser_secs")]
    pub vrrp_startup_delay: Duration,
    pub log_unknown_vrids: bool,
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix` (data dump only).
    #[serde(skip)]
    pub vmac_addr_prefix: Option<String>,
    /// `vrrp_garp_extra_if` (data dump only).
    #[serde(skip)]
    pub garp_extra_if: crate::config::model::GarpExtraIf,
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// The HELO name mails use: `smtp_helo_name`, else (with an `smtp_server`) the host's
    /// canonical name, as keepalived fills it in.
    #[serde(skip)]
    pub smtp_helo_name: Option<String>,
    /// Namespace, instance name, saved configurations, timed reloads.
    #[serde(skip)]
    pub process: IdentityView,
    /// Scheduling, SNMP, D-Bus, socket buffers, umask (data dump only).
    #[serde(skip)]
    pub tuning: TuningView,
}

/// The notify FIFOs of `global_defs` as the views show them: paths only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FifosView {
    pub notify_fifo: Option<String>,
    pub vrrp_notify_fifo: Option<String>,
    pub fifo_write_vrrp_states_on_reload: bool,
    pub vrrp_notify_priority_changes: bool,
}

/// An instance's [`crate::vrrp::AdvertOptions`] as the views show them: the GARP schedule
/// in keepalived's units, and the two advert flags as the instance wrote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AdvertView {
    pub check_unicast_src: bool,
    pub garp: GarpView,
    pub down_timer_adverts: u32,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
}

/// Gratuitous ARP / NA schedule, in keepalived's units (whole seconds for delays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GarpView {
    pub delay_secs: u64,
    pub repeat: u32,
    pub refresh_secs: u64,
    pub refresh_repeat: u32,
    pub lower_prio_delay_secs: u64,
    pub lower_prio_repeat: u32,
}

impl From<&GarpConfig> for GarpView {
    fn from(g: &GarpConfig) -> Self {
        GarpView {
            delay_secs: g.master_delay.as_secs(),
            repeat: g.master_repeat,
            refresh_secs: g.master_refresh.as_secs(),
            refresh_repeat: g.master_refresh_repeat,
            lower_prio_delay_secs: g.lower_prio_delay.as_secs(),
            lower_prio_repeat: g.lower_prio_repeat,
        }
    }
}

/// Authentication of a VRRPv2 instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthView {
    /// Serialized as keepalived's `auth_type` number: 0 none, 1 PASS, 2 AH.
    #[serde(serialize_with = "ser_auth_type")]
    pub auth_type: AuthType,
    /// The password (PASS and AH). Kept out of `/status.json`: only the root-only dump
    /// files carry it, as keepalived's do.
    #[serde(skip)]
    pub password: Option<String>,
}

impl From<&AuthConfig> for AuthView {
    fn from(auth: &AuthConfig) -> Self {
        let (auth_type, password) = match auth {
            AuthConfig::None => (AuthType::None, None),
            AuthConfig::Pass(p) => (AuthType::Pass, Some(password_text(p))),
            AuthConfig::Ah(p) => (AuthType::Ah, Some(password_text(p))),
        };
        AuthView {
            auth_type,
            password,
        }
    }
}

/// A `unicast_peer` with its accepted TTL window: the core's own.
pub type PeerView = crate::vrrp::UnicastPeer;

/// One tracked object as an instance uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceTracker {
    pub name: String,
    pub kind: TrackerKind,
    /// The weight in force for this instance (0 = failure means FAULT).
    pub weight: i32,
    pub reverse: bool,
}

/// A notify script of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyView {
    /// `backup`, `master`, `fault`, `stop`, `deleted`, `generic`, `master_rx_lower_pri`.
    pub event: &'static str,
    /// The command as keepalived quotes it (`'/path' 'arg'`).
    pub command: String,
}

/// One `vrrp_instance`: its configuration as run and its live status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceView {
    pub name: String,
    pub vrid: u8,
    #[serde(serialize_with = "ser_version")]
    pub version: Version,
    /// Serialized as `ipv6: true|false`.
    #[serde(rename = "ipv6", serialize_with = "ser_is_ipv6")]
    pub family: Family,
    pub interface: String,
    pub sync_group: Option<String>,
    #[serde(serialize_with = "ser_state")]
    pub state: State,
    #[serde(serialize_with = "ser_state")]
    pub wantstate: State,
    /// `state MASTER` was written (KEEPALIVED-MIB's vrrpInstanceInitialState).
    #[serde(skip)]
    pub initial_state_master: bool,
    pub base_priority: u8,
    pub effective_priority: u8,
    pub total_priority: i32,
    /// Weight-0 tracker failures plus a down primary interface.
    pub fault_count: u32,
    pub master_addr: Option<IpAddr>,
    pub master_priority: u8,
    #[serde(serialize_with = "ser_secs")]
    pub advert_int: Duration,
    #[serde(serialize_with = "ser_secs")]
    pub master_adver_int: Duration,
    #[serde(serialize_with = "ser_secs")]
    pub master_down_interval: Duration,
    pub last_transition: Option<UnixTime>,
    /// When the instance's advert or master-down timer fires next.
    pub read_timeout: Option<UnixTime>,
    /// State changes since start-up.
    pub transitions: u64,
    pub vips_set: bool,
    pub source_addr: IpAddr,
    /// The source address came from `mcast_src_ip`/`unicast_src_ip`.
    pub source_from_config: bool,
    /// Multicast destination; `None` for a unicast instance.
    pub multicast_group: Option<IpAddr>,
    pub unicast_peers: Vec<PeerView>,
    pub unicast_ttl: u8,
    #[serde(flatten)]
    pub advert: AdvertView,
    pub nopreempt: bool,
    #[serde(serialize_with = "ser_secs")]
    pub preempt_delay: Duration,
    pub accept: bool,
    pub promote_secondaries: bool,
    pub dont_track_primary: bool,
    pub skip_check_adv_addr: bool,
    pub strict_mode: bool,
    pub auth: AuthView,
    /// Addresses as keepalived formats them (`198.18.0.1/24 dev eth0 scope global`),
    /// without the ` set` mark the dumps add while installed.
    pub vips: Vec<String>,
    pub evips: Vec<String>,
    pub vroutes: Vec<String>,
    pub vrules: Vec<String>,
    /// The virtual rules typed (KEEPALIVED-MIB's rule table).
    #[serde(skip)]
    pub rules: Vec<crate::config::model::Rule>,
    pub trackers: Vec<InstanceTracker>,
    pub vmac_ifname: Option<String>,
    /// `use_vmac_addr` (data dump only).
    #[serde(skip)]
    pub use_vmac_addr: bool,
    /// `garp_extra_if` in force: (with `all`, seconds) (data dump only).
    #[serde(skip)]
    pub extra_if_garp: Option<(bool, u64)>,
    pub smtp_alert: bool,
    pub notify_deleted: bool,
    pub notify_priority_changes: bool,
    pub notify: Vec<NotifyView>,
    pub stats: Stats,
    /// RFC 6527's master and protocol-error reasons (served by SNMP only).
    #[serde(skip)]
    pub snmp_reasons: crate::vrrp::snmp_reasons::SnmpReasons,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncGroupView {
    pub name: String,
    #[serde(serialize_with = "ser_state")]
    pub state: State,
    pub members: Vec<String>,
}

/// One tracker with its result and the instances it moves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackerSnapshot {
    pub name: String,
    pub kind: TrackerKind,
    /// `None` until the first result.
    pub up: Option<bool>,
    /// A `track_file`'s number.
    pub value: Option<i32>,
    pub weight: i32,
    /// Scripts: the command as keepalived quotes it.
    pub command: Option<String>,
    #[serde(serialize_with = "ser_secs")]
    pub interval: Duration,
    /// 0 = not configured (keepalived then uses the interval).
    #[serde(serialize_with = "ser_secs")]
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
    /// (instance, weight, reverse) for every instance tracking it.
    pub tracking: Vec<(String, i32, bool)>,
    /// Scripts: idle, running, or being timed out (keepalived's `State` line).
    #[serde(skip)]
    pub run_state: crate::track::script::RunState,
}

impl Snapshot {
    /// Captures the state of `router` running `shown` at `now` (`wall` = the same moment
    /// on the wall clock; monotonic instants are mapped through it).
    pub fn capture(
        shown: &ShownConfig,
        router: &Router,
        now: Instant,
        wall: SystemTime,
        trackers: &[TrackerView],
        process: &ProcessInfo,
    ) -> Snapshot {
        let instances: Vec<InstanceView> = router
            .instances()
            .filter_map(|st| {
                let core = router.instance_config(st.id)?;
                let internals = router.instance_internals(st.id)?;
                let live = Live {
                    status: st,
                    internals,
                    now,
                    wall,
                };
                Some(capture_instance(shown, core, &live, trackers))
            })
            .collect();
        let config = &shown.config;
        let sync_groups = router
            .groups()
            .map(|(name, state)| SyncGroupView {
                name: name.to_string(),
                state,
                members: config
                    .sync_groups
                    .iter()
                    .find(|g| g.name == name)
                    .map(|g| g.group.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let tracker_snaps = trackers
            .iter()
            .map(|t| capture_tracker(config, t, &instances))
            .collect();
        let last_failover = instances.iter().filter_map(|i| i.last_transition).max();
        Snapshot {
            taken_at: UnixTime::from_system(wall),
            process: ProcessView {
                pid: process.pid,
                start_time: UnixTime::from_system(process.started),
                config_path: process.config_path.display().to_string(),
            },
            global: capture_global(config, process),
            instances,
            sync_groups,
            trackers: tracker_snaps,
            last_failover,
        }
    }

    /// The instance called `name`.
    pub fn instance(&self, name: &str) -> Option<&InstanceView> {
        self.instances.iter().find(|i| i.name == name)
    }
}

fn capture_global(config: &Config, process: &ProcessInfo) -> GlobalView {
    let g = &config.global;
    GlobalView {
        router_id: g
            .router_id
            .clone()
            .unwrap_or_else(|| process.hostname.clone()),
        email: g.email.clone(),
        dynamic_interfaces: g.dynamic_interfaces,
        allow_if_changes: g.allow_if_changes,
        default_interface: g.default_interface.clone().unwrap_or_else(|| "eth0".into()),
        fifos: FifosView {
            notify_fifo: g.notify_fifos.notify_fifo.as_ref().map(|f| f.path.clone()),
            vrrp_notify_fifo: g
                .notify_fifos
                .vrrp_notify_fifo
                .as_ref()
                .map(|f| f.path.clone()),
            fifo_write_vrrp_states_on_reload: g.notify_fifos.fifo_write_vrrp_states_on_reload,
            vrrp_notify_priority_changes: g.notify_fifos.vrrp_notify_priority_changes,
        },
        vrrp_mcast_group4: g.vrrp_mcast_group4.into(),
        vrrp_mcast_group6: g.vrrp_mcast_group6.into(),
        garp: GarpView::from(&g.advert.garp),
        vrrp_down_timer_adverts: g.advert.down_timer_adverts,
        vrrp_lower_prio_no_advert: g.advert.lower_prio_no_advert,
        vrrp_higher_prio_send_advert: g.advert.higher_prio_send_advert,
        vrrp_garp_interval: g.vrrp_garp_interval,
        vrrp_gna_interval: g.vrrp_gna_interval,
        vrrp_version: g.vrrp_version,
        vrrp_check_unicast_src: g.advert.check_unicast_src,
        vrrp_skip_check_adv_addr: g.advert.skip_check_adv_addr,
        vrrp_strict: g.vrrp_strict,
        nftables: g.nftables.table.is_some().then(|| g.nftables.clone()),
        enable_script_security: g.enable_script_security,
        vrrp_startup_delay: g.vrrp_startup_delay,
        log_unknown_vrids: g.log_unknown_vrids,
        vmac_prefix: g.vmac_prefix.clone(),
        vmac_addr_prefix: g.vmac_addr_prefix.clone(),
        garp_extra_if: g.garp_extra_if,
        metrics_listen: g.metrics_listen,
        smtp_helo_name: g.email.smtp_helo_name.clone().or_else(|| {
            g.email
                .smtp_server
                .as_ref()
                .map(|_| crate::sys::canonical_name::local_name())
        }),
        process: IdentityView::capture(&g.process, &process.identity),
        tuning: TuningView::capture(config, process.umask_at_start),
    }
}

/// What the protocol core says about one instance at the moment of the snapshot.
struct Live<'a> {
    status: &'a InstanceStatus,
    internals: InstanceInternals,
    now: Instant,
    wall: SystemTime,
}

impl Live<'_> {
    fn wall_time(&self, t: Instant) -> UnixTime {
        UnixTime::from_instant(t, self.now, self.wall)
    }
}

/// One instance's view: what it runs with from the core's configuration (`core`), what
/// only the configuration says (addresses as written, scripts, settings the core does
/// not use) from `shown`, and its live status.
fn capture_instance(
    shown: &ShownConfig,
    core: &InstanceConfig,
    live: &Live,
    trackers: &[TrackerView],
) -> InstanceView {
    let st = live.status;
    let fallback;
    let written: &InstanceShown = match shown.instance(st.id.0) {
        Some(m) => m,
        None => {
            fallback = InstanceShown::of(&VrrpInstance::new(&core.name), core, st.vrid);
            &fallback
        }
    };
    let config = &shown.config;
    let interface = match core.interface.as_str() {
        "" => written.rare().interface.clone().unwrap_or_default(),
        name => name.to_owned(),
    };
    InstanceView {
        name: core.name.clone(),
        vrid: st.vrid,
        version: core.version,
        family: core.family,
        sync_group: config
            .sync_groups
            .iter()
            .find(|g| g.group.iter().any(|m| m == &core.name))
            .map(|g| g.name.clone()),
        state: st.state,
        wantstate: st.wantstate,
        initial_state_master: core.initial_state_master,
        base_priority: st.base_priority,
        effective_priority: st.effective_priority,
        total_priority: live.internals.total_priority,
        fault_count: live.internals.fault_count,
        master_addr: st.master_addr,
        master_priority: st.master_priority,
        advert_int: core.advert_int,
        master_adver_int: st.master_adver_int,
        master_down_interval: st.master_down_interval,
        last_transition: st.last_transition.map(|t| live.wall_time(t)),
        read_timeout: live.internals.deadline.map(|t| live.wall_time(t)),
        transitions: st.transitions,
        vips_set: st.vips_set,
        source_addr: core.source_addr,
        source_from_config: written.source_from_config,
        multicast_group: (!core.is_unicast()).then(|| core.multicast_group()),
        unicast_peers: core.unicast_peers.clone(),
        unicast_ttl: core.unicast_ttl,
        advert: AdvertView {
            check_unicast_src: core.advert.check_unicast_src,
            garp: GarpView::from(&core.advert.garp),
            down_timer_adverts: core.advert.down_timer_adverts,
            lower_prio_no_advert: written.lower_prio_no_advert,
            higher_prio_send_advert: written.higher_prio_send_advert,
        },
        nopreempt: core.nopreempt,
        preempt_delay: core.preempt_delay,
        accept: written.accept,
        promote_secondaries: written.promote_secondaries,
        dont_track_primary: core.dont_track_primary,
        skip_check_adv_addr: written.skip_check_adv_addr,
        strict_mode: written.strict_mode,
        auth: AuthView::from(&core.auth),
        vips: written.vips.clone(),
        evips: written.rare().evips.clone(),
        vroutes: written.rare().vroutes.clone(),
        vrules: written.rare().vrules.clone(),
        rules: written.rare().rules.clone(),
        trackers: instance_trackers(core, trackers, &written.rare().group_interfaces),
        vmac_ifname: written.rare().vmac_ifname.clone(),
        use_vmac_addr: written.use_vmac_addr,
        extra_if_garp: core.extra_if_garp.is_on().then_some((
            core.extra_if_garp.all,
            core.extra_if_garp.interval.as_secs(),
        )),
        smtp_alert: written.smtp_alert,
        notify_deleted: core.notify_deleted,
        notify_priority_changes: core.notify_priority_changes,
        notify: written.rare().notify.clone(),
        stats: st.stats,
        snmp_reasons: st.snmp_reasons,
        interface,
    }
}

/// The trackers an instance references, with the weight in force for it, but for the
/// interfaces only a static track group makes it track (`by_groups`), which keepalived
/// leaves out of its views too.
fn instance_trackers(
    core: &InstanceConfig,
    trackers: &[TrackerView],
    by_groups: &[String],
) -> Vec<InstanceTracker> {
    core.trackers
        .iter()
        .filter_map(|r| {
            let t = trackers.iter().find(|t| t.id == r.id)?;
            if t.kind == TrackerKind::Interface && by_groups.contains(&t.name) {
                return None;
            }
            Some(InstanceTracker {
                name: t.name.clone(),
                kind: t.kind,
                weight: r.weight,
                reverse: r.reverse,
            })
        })
        .collect()
}

fn capture_tracker(
    config: &Config,
    t: &TrackerView,
    instances: &[InstanceView],
) -> TrackerSnapshot {
    let (up, value) = match t.status {
        None => (None, None),
        Some(TrackerStatus::Up) => (Some(true), None),
        Some(TrackerStatus::Down) => (Some(false), None),
        Some(TrackerStatus::Value(v)) => (Some(true), Some(v)),
    };
    let script = (t.kind == TrackerKind::Script)
        .then(|| config.scripts.iter().find(|s| s.name == t.name))
        .flatten();
    let mysql = (t.kind == TrackerKind::Mysql)
        .then(|| config.mysql_checks.iter().find(|s| s.name == t.name))
        .flatten();
    let (interval, timeout, rise, fall) = match (script, mysql) {
        (Some(s), _) => (s.interval, s.timeout.unwrap_or_default(), s.rise, s.fall),
        (_, Some(m)) => (m.interval, m.timeout, m.rise, m.fall),
        _ => (Duration::ZERO, Duration::ZERO, 1, 1),
    };
    let tracking = instances
        .iter()
        .flat_map(|i| {
            i.trackers
                .iter()
                .filter(|x| x.name == t.name && x.kind == t.kind)
                .map(|x| (i.name.clone(), x.weight, x.reverse))
        })
        .collect();
    TrackerSnapshot {
        name: t.name.clone(),
        kind: t.kind,
        up,
        value,
        weight: t.weight,
        command: script.map(|s| quoted_command(&s.script)),
        interval,
        timeout,
        rise,
        fall,
        tracking,
        run_state: t.run_state,
    }
}

/// The password as text, stopping at the NUL padding.
fn password_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_map_to_the_wall_clock_both_ways() {
        let now = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let past = UnixTime::from_instant(now - Duration::from_millis(1500), now, wall);
        assert_eq!(past.0, Duration::from_millis(999_998_500));
        let future = UnixTime::from_instant(now + Duration::from_micros(7), now, wall);
        assert_eq!(future.secs(), 1_000_000);
        assert_eq!(future.micros(), 7);
    }
}
