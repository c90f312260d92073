//! The typed configuration: what a `keepalived.conf` means once defaults are applied.
//!
//! Field names follow keepalived's keywords. Values that keepalived derives from other values
//! (an instance's priority from its state, its version from `global_defs`) are resolved by
//! [`super::lower`], so the model holds effective values and `--dump-conf` can print them.
//! Nothing here carries a source position: two configurations that mean the same compare
//! equal however they were written.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

pub use super::model_linkbeat::{LinkMethod, Linkbeat, LinkbeatInterface, PolledInterface};
pub use super::process_settings::{ProcessSettings, ReloadFile};
/// The protocol core's vocabulary, used here as is: a configured version, family,
/// authentication type or GARP schedule is the same value the core runs with.
pub use crate::vrrp::packet::AuthType;
use crate::vrrp::packet::{MCAST_GROUP_V4, MCAST_GROUP_V6};
pub use crate::vrrp::{AdvertOptions, Family, GarpConfig, Version};

/// The whole VRRP side of a configuration.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Config {
    pub global: GlobalDefs,
    pub instances: Vec<VrrpInstance>,
    pub scripts: Vec<VrrpScript>,
    pub sync_groups: Vec<SyncGroup>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    /// `track_group NAME { group { … } }`: the instances that go to FAULT while the
    /// interface of a static address, route or rule naming the group is down.
    pub track_groups: Vec<StaticTrackGroup>,
    pub static_ipaddress: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
    pub garp_groups: Vec<GarpGroup>,
    /// Our extension: native MySQL checkers (`mysql_check NAME { … }`).
    pub mysql_checks: Vec<MysqlCheck>,
    /// `interface_up_down_delays { IF DOWN [UP] … }`, one entry per interface in the order
    /// first written (a repeated interface takes the later line's delays).
    pub up_down_delays: Vec<UpDownDelays>,
    /// Top-level blocks this VRRP-only build recognises but does not run (LVS, BFD…), by
    /// keyword, in order of appearance.
    pub unsupported: Vec<String>,
    /// Link polling: `linkbeat_use_polling`, `linkbeat_interfaces { … }`.
    pub linkbeat: Linkbeat,
}

/// `global_defs { … }`. Every setting the daemon acts on is a field; keywords it does not
/// act on are kept in `other` (accepted, dumped back as written).
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalDefs {
    pub router_id: Option<String>,
    pub email: EmailAlerts,
    pub vrrp_mcast_group4: Ipv4Addr,
    pub vrrp_mcast_group6: Ipv6Addr,
    pub vrrp_version: Version,
    /// `vrrp_garp_*`, `vrrp_down_timer_adverts`, `vrrp_lower_prio_no_advert`…: the
    /// defaults of every instance's [`VrrpInstance::advert`].
    pub advert: AdvertOptions,
    pub vrrp_garp_interval: Duration,
    pub vrrp_gna_interval: Duration,
    pub vrrp_min_garp: bool,
    pub vrrp_strict: bool,
    /// `nftables`, `nftables_priority`, `nftables_ifindex`, `nftables_counters` (and the
    /// legacy `vrrp_iptables`): the firewall that keeps non-accepting instances' VIPs
    /// unreachable.
    pub nftables: Nftables,
    pub vrrp_startup_delay: Duration,
    pub log_unknown_vrids: bool,
    pub notify_fifos: NotifyFifos,
    pub script_user: Option<(String, Option<String>)>,
    pub enable_script_security: bool,
    /// `startup_script` / `shutdown_script` and their timeouts.
    pub start_stop: StartStopScripts,
    /// `umask`: the process umask (the command line's `-u`/`--umask` wins), inherited by
    /// the files the daemon and its scripts create.
    pub umask: Option<u32>,
    pub default_interface: Option<String>,
    pub dynamic_interfaces: bool,
    /// `dynamic_interfaces allow_if_changes`: an interface may come back as another kind
    /// (macvlan or not) or on another base.
    pub allow_if_changes: bool,
    /// `reload_check_config [FILE]`: a reload must pass `-t` first, whose report is
    /// written to FILE (`/dev/null` when none is named).
    pub reload_check_config: Option<std::path::PathBuf>,
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix`: name prefix of the VMACs made for VIPs on other interfaces
    /// (`use_vmac_addr`, an address's `use_vmac`); unset: `vmac_prefix`, else `vrrp`.
    pub vmac_addr_prefix: Option<String>,
    /// `vrrp_garp_extra_if` (`vrrp_vmac_garp_intvl`): the default of every instance's
    /// [`VrrpInstance::garp_extra_if`].
    pub garp_extra_if: GarpExtraIf,
    /// Our extension: `metrics_listen ADDR:PORT` serves Prometheus metrics and JSON.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// `enable_dbus` / `dbus_service_name`: keepalived's D-Bus service.
    pub dbus: DbusSettings,
    /// The SNMP keywords (`enable_snmp_*`, `enable_traps`, `snmp_socket`).
    pub snmp: SnmpSettings,
    pub scheduling: Scheduling,
    /// Namespace, instance name, pid and dump file names, timed reloads, saved copies.
    pub process: ProcessSettings,
    /// Receive buffer sizes of the VRRP and netlink sockets.
    pub buffers: SocketBuffers,
    /// `disable_local_igmp`: the kernel sends no IGMP reports for link-local groups
    /// (224.0.0.18 among them) while the daemon runs.
    pub disable_local_igmp: bool,
    /// Other known global keywords, which the daemon does not act on: keyword → arguments
    /// as written.
    pub other: BTreeMap<String, Vec<String>>,
}

/// keepalived's nftables settings. The table is `None` until a keyword names it or an
/// instance needs it (`no_accept`, strict mode), when keepalived falls back to
/// [`Nftables::DEFAULT_TABLE`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nftables {
    pub table: Option<String>,
    /// Priority of the input and output chains (keepalived's default, -1, runs just
    /// before the `filter` chains of other tables).
    pub priority: i32,
    /// Link-local VIPs are matched by interface index even with `dont_track_primary`
    /// (else by interface name).
    pub ifindex: bool,
    /// A `counter` in every rule.
    pub counters: bool,
    /// No keyword named the table: an instance's need for the firewall set the default
    /// (keepalived logs that at start-up; `-d` does not write it back).
    pub implied: bool,
}

impl Nftables {
    pub const DEFAULT_TABLE: &'static str = "keepalived";
}

impl Default for Nftables {
    fn default() -> Self {
        Nftables {
            table: None,
            priority: -1,
            ifindex: false,
            counters: false,
            implied: false,
        }
    }
}

impl Config {
    /// Whether `inst` writes priority changes to the notify FIFOs: its own
    /// `notify_priority_changes`, else its sync group's, else the global
    /// `vrrp_notify_priority_changes` (keepalived resolves it in this order at start).
    pub fn notify_priority_changes(&self, inst: &VrrpInstance) -> bool {
        inst.notify_priority_changes
            .or_else(|| {
                self.sync_groups
                    .iter()
                    .find(|g| g.group.contains(&inst.name))
                    .and_then(|g| g.notify_priority_changes)
            })
            .unwrap_or(self.global.notify_fifos.vrrp_notify_priority_changes)
    }
}

/// `enable_dbus`, `dbus_service_name`: serve keepalived's `org.keepalived.Vrrp1` objects
/// on the system bus (`daemon::observe::dbus`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbusSettings {
    pub enabled: bool,
    /// The bus name to own; keepalived's `org.keepalived.Vrrp1` when unset.
    pub service_name: Option<String>,
}

/// What SNMP keepalived would serve: the MIBs turned on and the master agent's socket.
/// This build serves VRRP-MIB (RFC 2787, `rfcv2`) and KEEPALIVED-MIB's global and VRRP
/// parts (`vrrp`, `keepalived`); the other MIBs are announced at start-up as not served
/// yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnmpSettings {
    /// `enable_snmp_vrrp`: KEEPALIVED-MIB's VRRP part.
    pub vrrp: bool,
    /// `enable_snmp_keepalived`: keepalived's old name for `enable_snmp_vrrp`.
    pub keepalived: bool,
    /// `enable_snmp_rfcv2` (or `enable_snmp_rfc`): VRRP-MIB, RFC 2787.
    pub rfcv2: bool,
    /// `enable_snmp_rfcv3` (or `enable_snmp_rfc`): VRRPv3-MIB, RFC 6527.
    pub rfcv3: bool,
    /// `enable_traps`: send notifications (also vrrpNotificationCntl's value).
    pub traps: bool,
    /// `snmp_socket`: the AgentX master's address as written (`unix:/path`, `tcp:host:port`
    /// or a plain path); unset = `unix:/var/agentx/master`.
    pub socket: Option<String>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            email: EmailAlerts::default(),
            vrrp_mcast_group4: MCAST_GROUP_V4,
            vrrp_mcast_group6: MCAST_GROUP_V6,
            vrrp_version: Version::V2,
            advert: AdvertOptions::default(),
            vrrp_garp_interval: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            vrrp_min_garp: false,
            vrrp_strict: false,
            nftables: Nftables::default(),
            vrrp_startup_delay: Duration::ZERO,
            log_unknown_vrids: false,
            notify_fifos: NotifyFifos::default(),
            script_user: None,
            enable_script_security: false,
            start_stop: StartStopScripts::default(),
            umask: None,
            default_interface: None,
            dynamic_interfaces: false,
            allow_if_changes: false,
            reload_check_config: None,
            vmac_prefix: None,
            vmac_addr_prefix: None,
            garp_extra_if: GarpExtraIf::default(),
            metrics_listen: None,
            dbus: DbusSettings::default(),
            snmp: SnmpSettings::default(),
            scheduling: Scheduling::default(),
            process: ProcessSettings::default(),
            buffers: SocketBuffers::default(),
            disable_local_igmp: false,
            other: BTreeMap::new(),
        }
    }
}

/// Email alerts of `global_defs`: where they go, how they are sent, and for which
/// events; read together by whatever sends an alert.
/// The status views show it as it is (flattened, in this field order).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct EmailAlerts {
    pub smtp_server: Option<String>,
    pub smtp_connect_timeout: Option<u32>,
    pub notification_email_from: Option<String>,
    pub notification_email: Vec<String>,
    /// `smtp_alert`: alerts for every process (`None` = not written).
    pub smtp_alert: Option<bool>,
    /// `smtp_alert_vrrp`: alerts for VRRP events (`None` = not written).
    pub smtp_alert_vrrp: Option<bool>,
    /// `smtp_helo_name` (unset: the host's canonical name).
    pub smtp_helo_name: Option<String>,
    /// `no_email_faults`: no alert when an instance or group enters FAULT.
    pub no_email_faults: bool,
}

/// The notify FIFOs of `global_defs` and what is written to them: one writer serves them
/// all, so it gets them as one value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NotifyFifos {
    pub notify_fifo: Option<Fifo>,
    pub vrrp_notify_fifo: Option<Fifo>,
    /// `fifo_write_vrrp_states_on_reload`.
    pub fifo_write_vrrp_states_on_reload: bool,
    /// `vrrp_notify_priority_changes`: the default of every instance's
    /// [`VrrpInstance::notify_priority_changes`].
    pub vrrp_notify_priority_changes: bool,
}

/// How the VRRP process is scheduled: applied once at start-up, before the event loop runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scheduling {
    /// `vrrp_rt_priority`: SCHED_RR priority of the event loop (`None` = not written or
    /// not a number; the daemon then uses 1).
    pub vrrp_rt_priority: Option<u64>,
    /// `vrrp_rlimit_rttime` (or its older spelling `vrrp_rlimit_rtime`): RLIMIT_RTTIME in
    /// µs (`None` = not written or not a number; the daemon then uses 1 s).
    pub vrrp_rlimit_rttime: Option<u64>,
    /// `vrrp_no_swap`: lock the process in memory.
    pub vrrp_no_swap: bool,
    /// `vrrp_priority`: the nice value of the VRRP process (-20–19); keepalived sets it
    /// when real-time scheduling is not in force, and so do we (it also stays visible in
    /// `ps`).
    pub vrrp_priority: Option<i8>,
    /// `vrrp_cpu_affinity`: the CPUs the VRRP process may run on (empty = unrestricted).
    pub vrrp_cpu_affinity: Vec<usize>,
}

/// How big the kernel's receive queues of the daemon's sockets are (`SO_RCVBUF`): a queue
/// too small for a burst of adverts (many instances on one interface) or of link events
/// (many interfaces changing at once) drops what does not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketBuffers {
    /// `vrrp_rx_bufs_policy`: how a VRRP receive socket's size is derived for instances
    /// without their own `kernel_rx_buf_size`.
    pub vrrp_rx_policy: RxBufsPolicy,
    /// `vrrp_rx_bufs_multiplier` (≥ 1, default 3): adverts or MTUs per instance.
    pub vrrp_rx_multiplier: u32,
    /// `vrrp_netlink_cmd_rcv_bufs` (0: keepalived's 64 KiB, or the kernel's default if
    /// larger) and `…_force`
    /// (`SO_RCVBUFFORCE`, past `net.core.rmem_max`): the sockets changes and queries use.
    pub netlink_cmd: NetlinkBuffer,
    /// `vrrp_netlink_monitor_rcv_bufs` and `…_force`: the socket link and address events
    /// arrive on.
    pub netlink_monitor: NetlinkBuffer,
}

impl Default for SocketBuffers {
    fn default() -> Self {
        SocketBuffers {
            vrrp_rx_policy: RxBufsPolicy::Kernel,
            vrrp_rx_multiplier: 3,
            netlink_cmd: NetlinkBuffer::default(),
            netlink_monitor: NetlinkBuffer::default(),
        }
    }
}

/// keepalived's `vrrp_rx_bufs_policy`, after its rules for conflicting words (a size wins
/// over MTU and ADVERT; MTU wins over ADVERT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxBufsPolicy {
    /// Not written: the kernel's default size (`net.core.rmem_default`).
    Kernel,
    /// `MTU`: multiplier × the interface's MTU per instance.
    Mtu,
    /// `ADVERT`: multiplier × the instance's advert length (IP header included) each.
    Advert,
    /// A number of bytes per instance.
    Size(u32),
}

/// One netlink socket's receive buffer request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetlinkBuffer {
    /// Bytes asked for; 0 = keepalived's default of 64 KiB.
    pub bytes: u32,
    /// `SO_RCVBUFFORCE` rather than `SO_RCVBUF`.
    pub force: bool,
}

impl NetlinkBuffer {
    /// keepalived's `IF_DEFAULT_BUFSIZE`, asked for when no size is written.
    pub const DEFAULT_BYTES: u32 = 64 * 1024;

    /// The size to ask the kernel for.
    pub fn requested(self) -> u32 {
        if self.bytes == 0 {
            Self::DEFAULT_BYTES
        } else {
            self.bytes
        }
    }
}

/// keepalived's default `startup_script_timeout` / `shutdown_script_timeout`.
pub const START_STOP_SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);

/// `startup_script` runs before VRRP starts (adverts wait for it to finish, or for its
/// timeout), `shutdown_script` after VRRP has stopped and the addresses are gone, as
/// keepalived's parent process runs them around its children.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StartStopScripts {
    pub startup: Option<Script>,
    /// `startup_script_timeout` (1–1000 s; `None`: [`START_STOP_SCRIPT_TIMEOUT`]).
    pub startup_timeout: Option<Duration>,
    pub shutdown: Option<Script>,
    /// `shutdown_script_timeout` (1–1000 s; `None`: [`START_STOP_SCRIPT_TIMEOUT`]).
    pub shutdown_timeout: Option<Duration>,
}

/// A notify FIFO: path, optional script started with the path as last argument, user.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Fifo {
    pub path: String,
    pub user: Option<(String, Option<String>)>,
    pub script: Option<Script>,
}

/// A command line as keepalived stores it (split later with keepalived's shell-like rules).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Script {
    pub command: String,
    /// User and group to run as (boxed: rarely given, and an instance holds seven scripts).
    pub user: Option<Box<(String, Option<String>)>>,
}

/// The configured `state`: the role an instance asks for at start-up (not the protocol
/// state it is in, which is [`crate::vrrp::State`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialState {
    Master,
    Backup,
}

/// What an instance tracks (`track_interface`, `track_script`…): each kind is resolved
/// against its own table, and together they make the instance's tracker list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InstanceTracking {
    pub interface: Vec<TrackRef>,
    pub script: Vec<TrackRef>,
    pub file: Vec<TrackRef>,
    pub process: Vec<TrackRef>,
    pub mysql: Vec<TrackRef>,
}

/// Where an instance's adverts go and come from: multicast or unicast, source, peers,
/// TTL and checksum form. Resolved together into the core's source address and peers.
#[derive(Clone, Debug, PartialEq)]
pub struct AdvertAddressing {
    pub mcast_src_ip: Option<IpAddr>,
    pub unicast_src_ip: Option<IpAddr>,
    pub unicast_peer: Vec<UnicastPeer>,
    pub unicast_ttl: u8,
    pub unicast_fault_no_peer: bool,
    pub old_unicast_checksum: Option<bool>,
    pub mcast_dst_ip: Option<IpAddr>,
}

impl Default for AdvertAddressing {
    /// Multicast to the family's group, TTL 255 for unicast adverts.
    fn default() -> Self {
        AdvertAddressing {
            mcast_src_ip: None,
            unicast_src_ip: None,
            unicast_peer: Vec::new(),
            unicast_ttl: 255,
            unicast_fault_no_peer: false,
            old_unicast_checksum: None,
            mcast_dst_ip: None,
        }
    }
}

/// The `authentication { auth_type …; auth_pass … }` block of an instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Authentication {
    pub auth_type: AuthType,
    /// The 8 bytes put on the wire (NUL padded).
    pub auth_pass: Option<String>,
}

impl Default for Authentication {
    /// No authentication, as keepalived when the block is absent.
    fn default() -> Self {
        Authentication {
            auth_type: AuthType::None,
            auth_pass: None,
        }
    }
}

/// What an instance installs while master and removes when it leaves: its addresses
/// (`virtual_ipaddress`, `virtual_ipaddress_excluded`), routes and rules.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Virtuals {
    pub virtual_ipaddress: Vec<IpAddress>,
    pub virtual_ipaddress_excluded: Vec<IpAddress>,
    pub virtual_routes: Vec<Route>,
    pub virtual_rules: Vec<Rule>,
}

/// `vrrp_instance NAME { … }` after defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct VrrpInstance {
    pub name: String,
    /// As configured (`state MASTER` ⇒ try to be master); keepalived 2.x still starts it as
    /// BACKUP unless it owns the addresses (priority 255).
    pub state: InitialState,
    pub interface: Option<String>,
    pub virtual_router_id: u8,
    pub priority: u8,
    pub advert_int: Duration,
    pub version: Version,
    pub family: Family,
    pub authentication: Authentication,
    pub virtuals: Virtuals,
    pub track: InstanceTracking,
    pub dont_track_primary: bool,
    pub addressing: AdvertAddressing,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    /// Starts as `global_defs`' [`GlobalDefs::advert`]; the instance's keywords override it.
    pub advert: AdvertOptions,
    pub strict_mode: bool,
    pub accept: Option<bool>,
    pub scripts: NotifyScripts,
    /// Unset: the sync group's, else `vrrp_notify_priority_changes`
    /// ([`Config::notify_priority_changes`]).
    pub notify_priority_changes: Option<bool>,
    pub smtp_alert: Option<bool>,
    pub use_vmac: Option<Vmac>,
    pub vmac_xmit_base: bool,
    /// `use_vmac_addr`: VIPs on other interfaces (or of the other family) go on VMACs
    /// of their own, made on those interfaces.
    pub use_vmac_addr: bool,
    /// `use_ipvlan [IFNAME] [ADDR[/LEN]] [bridge|private|vepa]`: like `use_vmac`, on an
    /// ipvlan (the base interface's MAC, a source address of its own).
    pub use_ipvlan: Option<Ipvlan>,
    /// `native_ipv6`: the instance is IPv6 (VRRPv3) whatever its addresses say.
    pub native_ipv6: bool,
    /// `garp_extra_if` (`vmac_garp_intvl`); unset: the global `vrrp_garp_extra_if`.
    pub garp_extra_if: Option<GarpExtraIf>,
    pub promote_secondaries: bool,
    /// `track_src_ip`: FAULT while the configured source address (`mcast_src_ip` /
    /// `unicast_src_ip`) is deleted from the host.
    pub track_src_ip: bool,
    /// `kernel_rx_buf_size`: bytes this instance adds to its receive socket's buffer
    /// (0 = derived from `vrrp_rx_bufs_policy`).
    pub kernel_rx_buf_size: u32,
    /// `vrf IFNAME`: the VRF device a unicast instance without `interface` binds its
    /// sockets to. keepalived 2.2.7 clears it when the instance has an interface, and
    /// refuses an instance without one ("Unknown interface!"), so it never reaches a socket
    /// there: the value is checked and kept for `-d`, as keepalived checks it.
    pub vrf: Option<String>,
    /// Our extension (opt-in MySQL-safe failover): set `read_only` with the role.
    pub mysql_read_only: Option<String>,
    /// `linkbeat_use_polling` (deprecated in an instance): its interface's link is polled.
    pub linkbeat_use_polling: bool,
    /// Other known instance keywords: keyword → arguments as written.
    pub other: BTreeMap<String, Vec<String>>,
}

impl VrrpInstance {
    pub fn new(name: &str) -> Self {
        VrrpInstance {
            name: name.to_string(),
            state: InitialState::Backup,
            interface: None,
            virtual_router_id: 0,
            priority: 100,
            advert_int: Duration::from_secs(1),
            version: Version::V2,
            family: Family::Ipv4,
            authentication: Authentication::default(),
            virtuals: Virtuals::default(),
            track: InstanceTracking::default(),
            dont_track_primary: false,
            addressing: AdvertAddressing::default(),
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            advert: AdvertOptions::default(),
            strict_mode: false,
            accept: None,
            scripts: NotifyScripts::default(),
            notify_priority_changes: None,
            smtp_alert: None,
            use_vmac: None,
            vmac_xmit_base: false,
            use_vmac_addr: false,
            use_ipvlan: None,
            native_ipv6: false,
            garp_extra_if: None,
            promote_secondaries: false,
            kernel_rx_buf_size: 0,
            track_src_ip: false,
            vrf: None,
            mysql_read_only: None,
            linkbeat_use_polling: false,
            other: BTreeMap::new(),
        }
    }

    /// Whether packets to the VIPs are accepted while master (`accept`): always for the
    /// address owner, else as written, else unless strict mode. A non-accepting
    /// instance's VIPs are dropped by the nftables firewall (keepalived's rule).
    pub fn accepts(&self) -> bool {
        self.priority == 255 || self.accept.unwrap_or(!self.strict_mode)
    }

    /// Whether adverts go to unicast peers rather than the multicast group.
    pub fn is_unicast(&self) -> bool {
        !self.addressing.unicast_peer.is_empty()
    }
}

/// `use_vmac [NAME] [MAC]`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Vmac {
    pub name: Option<String>,
    pub mac: Option<String>,
}

/// `use_ipvlan`'s arguments.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ipvlan {
    pub name: Option<String>,
    /// The ipvlan's own address (also the adverts' source unless one is configured).
    pub address: Option<(IpAddr, u8)>,
    pub mode: IpvlanMode,
}

/// The ipvlan flags keepalived sets (its L2 mode is fixed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IpvlanMode {
    #[default]
    Bridge,
    Private,
    Vepa,
}

impl IpvlanMode {
    /// The word `use_ipvlan` takes.
    pub fn word(self) -> &'static str {
        match self {
            IpvlanMode::Bridge => "bridge",
            IpvlanMode::Private => "private",
            IpvlanMode::Vepa => "vepa",
        }
    }
}

/// Periodic gratuitous ARPs / NAs, while master, for the VIPs on interfaces other than
/// the instance's (`garp_extra_if [all] SECONDS`): adverts refresh the switches' tables
/// for the instance's own interface only. Sent on VMACs keepalived made, or with `all` on
/// every such interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GarpExtraIf {
    /// Seconds between rounds; 0 = off.
    pub interval: u32,
    pub all: bool,
}

/// One `unicast_peer` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
}

/// A tracked object referenced from an instance or sync group, with its weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRef {
    pub name: String,
    /// `None` = use the tracked object's own weight (scripts, files) or 0.
    pub weight: Option<i32>,
    pub reverse: bool,
}

/// An address line of `virtual_ipaddress`, `virtual_ipaddress_excluded` or
/// `static_ipaddress`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAddress {
    pub addr: IpAddr,
    pub prefix: u8,
    pub broadcast: Option<String>,
    pub dev: Option<String>,
    pub scope: Option<String>,
    pub label: Option<String>,
    pub peer: Option<String>,
    /// `no_track`: a VIP the daemon does not re-add when something else removes it.
    pub no_track: bool,
    /// `track_group NAME` (static addresses only): the [`StaticTrackGroup`] whose
    /// instances track this address's interface.
    pub track_group: Option<String>,
    /// Remaining flags (`home`, `-nodad`, `preferred_lft N`, …) as written.
    pub flags: Vec<String>,
}

/// A `track_group NAME { group { VI_1 VI_2 } }` block (keepalived's static track
/// group): the instances named in `group` track the interface of every static address,
/// route and rule written with `track_group NAME`, with weight 0 (down puts them in
/// FAULT), as keepalived 2.2.7 does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticTrackGroup {
    pub name: String,
    /// The instance names of its `group { … }`, as written (unknown ones are logged and
    /// skipped at start-up).
    pub group: Vec<String>,
}

/// keepalived's own routing protocol number (`RTPROT_KEEPALIVED`): the protocol of every
/// route and rule it installs unless the entry is `no_track` with its own `protocol`.
pub const RTPROT_KEEPALIVED: u8 = 18;

/// A route or rule line with an option this build cannot install (`encap`, `realms`,
/// `mtu`, `fwmark`, …): kept as written so `-d` prints it back, reported once at `-t` and
/// at start-up, never installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedLine {
    /// The first option we cannot express, as written.
    pub option: String,
    /// The whole line as written.
    pub words: Vec<String>,
}

/// What a route does with matching packets (the route types the daemon can install).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RouteType {
    #[default]
    Unicast,
    Blackhole,
    Unreachable,
    Prohibit,
}

/// A line of `virtual_routes` / `static_routes`, as keepalived 2.2.7 reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub ipv6: bool,
    /// Destination prefix; `None` for `default` / `any` / `all`.
    pub destination: Option<(IpAddr, u8)>,
    pub kind: RouteType,
    /// Gateway (`via`, or the deprecated `gw`).
    pub via: Option<IpAddr>,
    /// Output interface (`dev` / `oif`).
    pub dev: Option<String>,
    /// Preferred source address (`src`).
    pub src: Option<IpAddr>,
    /// Routing table (254 = main).
    pub table: u32,
    /// `metric` / `priority` / `preference`.
    pub metric: Option<u32>,
    /// `scope` as a number; `None` installs scope global, as keepalived does (it does not
    /// derive link scope from `dev` the way `ip route` does).
    pub scope: Option<u8>,
    /// `protocol`, kept only on a `no_track` route (keepalived resets the others to its
    /// own, [`RTPROT_KEEPALIVED`]).
    pub protocol: Option<u8>,
    pub no_track: bool,
    /// The paths of a multipath route (`nexthop …`, written after the route's own
    /// options); empty for a single path.
    pub nexthops: Vec<NextHop>,
    /// `track_group NAME` (static routes only, with `dev`): its instances track `dev`.
    pub track_group: Option<String>,
    pub unsupported: Option<UnsupportedLine>,
}

/// One path of a multipath route: `nexthop [via [inet|inet6] ADDR] [dev IF] [weight W]
/// [onlink]`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NextHop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1 to 256; `None` when not written (the kernel's 1).
    pub weight: Option<u16>,
    pub onlink: bool,
}

impl Route {
    /// The protocol the route is installed with.
    pub fn effective_protocol(&self) -> u8 {
        self.protocol.unwrap_or(RTPROT_KEEPALIVED)
    }
}

/// What a rule does with matching packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// `table N` / `lookup N`.
    Table(u32),
    /// `goto PREFERENCE`.
    Goto(u32),
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
}

/// A line of `virtual_rules` / `static_rules`, as keepalived 2.2.7 reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub ipv6: bool,
    /// Source prefix; `None` for all.
    pub from: Option<(IpAddr, u8)>,
    /// Destination prefix; `None` for all.
    pub to: Option<(IpAddr, u8)>,
    /// `not`: the selector is inverted.
    pub not: bool,
    /// `preference` / `order` / `priority`, or the one keepalived assigned.
    pub preference: u32,
    /// The preference was assigned (counting down from 16384 per family), not written.
    pub preference_assigned: bool,
    pub action: RuleAction,
    /// Input interface (`iif` / `dev`).
    pub iif: Option<String>,
    /// Output interface (`oif`).
    pub oif: Option<String>,
    /// `protocol`, kept only on a `no_track` rule.
    pub protocol: Option<u8>,
    pub no_track: bool,
    /// `track_group NAME` (static rules only, with `iif`): its instances track `iif`.
    pub track_group: Option<String>,
    pub unsupported: Option<UnsupportedLine>,
}

impl Rule {
    /// The protocol the rule is installed with (`None`: left to the kernel, for a
    /// `no_track` rule without one).
    pub fn effective_protocol(&self) -> Option<u8> {
        if self.no_track {
            self.protocol
        } else {
            Some(RTPROT_KEEPALIVED)
        }
    }
}

/// `vrrp_script NAME { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct VrrpScript {
    pub name: String,
    pub script: Script,
    pub interval: Duration,
    pub timeout: Option<Duration>,
    pub weight: i32,
    pub weight_reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
}

/// The notify scripts of an instance, one per event (`notify_master`…): run by the same
/// notifier, checked by the same script-security pass.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NotifyScripts {
    pub notify_master: Option<Script>,
    pub notify_backup: Option<Script>,
    pub notify_fault: Option<Script>,
    pub notify_stop: Option<Script>,
    pub notify_deleted: Option<Script>,
    pub notify: Option<Script>,
    pub notify_master_rx_lower_pri: Option<Script>,
}

/// `vrrp_sync_group NAME { group { … } … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncGroup {
    pub name: String,
    pub group: Vec<String>,
    pub notify_master: Option<Script>,
    pub notify_backup: Option<Script>,
    pub notify_fault: Option<Script>,
    pub notify_stop: Option<Script>,
    pub notify: Option<Script>,
    pub smtp_alert: Option<bool>,
    pub global_tracking: bool,
    pub sync_group_tracking_weight: bool,
    /// Unset: `vrrp_notify_priority_changes`.
    pub notify_priority_changes: Option<bool>,
    pub track_interface: Vec<TrackRef>,
    pub track_script: Vec<TrackRef>,
    pub track_file: Vec<TrackRef>,
    pub track_process: Vec<TrackRef>,
}

/// `track_file NAME { file PATH; weight W; init_file [V] [overwrite] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub file: String,
    pub weight: i32,
    pub weight_reverse: bool,
    pub init_file: Option<(i64, bool)>,
}

/// `vrrp_track_process NAME { … }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: String,
    pub process: Option<String>,
    pub param_match: Option<String>,
    pub weight: i32,
    /// `weight W reverse`: the weight applies the other way round, as a script's.
    pub weight_reverse: bool,
    pub quorum: u32,
    pub quorum_max: Option<u32>,
    pub delay: Option<Duration>,
    /// Wait after a loss (a process ending) before reporting it; `delay` when unset.
    pub terminate_delay: Option<Duration>,
    /// Wait after a gain (a process starting) before reporting it; `delay` when unset.
    pub fork_delay: Option<Duration>,
    /// Match `process` against the executable as started (`argv[0]`) instead of the
    /// kernel's process name.
    pub full_command: bool,
    pub other: BTreeMap<String, Vec<String>>,
}

impl TrackProcess {
    /// keepalived's defaults: no process yet, exact argument match, weight 0, quorum 1.
    pub fn new(name: impl Into<String>) -> Self {
        TrackProcess {
            name: name.into(),
            process: None,
            param_match: None,
            weight: 0,
            weight_reverse: false,
            quorum: 1,
            quorum_max: None,
            delay: None,
            terminate_delay: None,
            fork_delay: None,
            full_command: false,
            other: BTreeMap::new(),
        }
    }
}

/// One line of `interface_up_down_delays`: how long a link must stay down (up) before the
/// instances on it see the change (keepalived's interface debounce timers, 0 to 255 s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpDownDelays {
    pub interface: String,
    pub down: Duration,
    pub up: Duration,
}

/// `garp_group { … }`: GARP / NA pacing of its own for some interfaces (read by
/// `daemon::effects::Pacing::of`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GarpGroup {
    /// `garp_interval SECONDS`: least time between two gratuitous ARPs on one interface.
    pub garp_interval: Option<Duration>,
    /// `gna_interval SECONDS`: the same for unsolicited neighbour adverts.
    pub gna_interval: Option<Duration>,
    /// `interface IFNAME…` (one line).
    pub interface: Vec<String>,
    /// `interfaces { IFNAME … }` (one name per line).
    pub interfaces: Vec<String>,
    /// What the daemon cannot use (other keywords, intervals that are not numbers, empty
    /// interface lists), as written, so `--dump-conf` prints it back.
    pub other: BTreeMap<String, Vec<String>>,
}

impl GarpGroup {
    /// Every interface the group names (`interface`, then `interfaces`).
    pub fn all_interfaces(&self) -> impl Iterator<Item = &String> {
        self.interface.iter().chain(&self.interfaces)
    }
}

/// Our extension: `mysql_check NAME { … }`, a native MySQL health check tracked like a
/// `vrrp_script` (see `man keepalived.conf`). Run by `track::mysql::MysqlTracker`; the
/// same connection settings serve `mysql_read_only` (`track::mysql::ReadOnlyController`).
#[derive(Clone, Debug, PartialEq)]
pub struct MysqlCheck {
    pub name: String,
    pub connection: MysqlConnection,
    /// Run at every check; fails on error, on no row, or on a first value NULL/0/empty.
    pub query: String,
    pub interval: Duration,
    /// Read/write timeout of every statement.
    pub timeout: Duration,
    pub weight: i32,
    pub rise: u32,
    pub fall: u32,
    /// Start failed (`rise` successes needed) instead of one success away from up.
    pub init_fail: bool,
    pub replication: ReplicationCheck,
}

/// Where and as whom a [`MysqlCheck`] connects: shared by the check and by the
/// `mysql_read_only` controller that uses the same server.
#[derive(Clone, Debug, PartialEq)]
pub struct MysqlConnection {
    /// TCP host (ignored when `socket` is set).
    pub host: String,
    pub port: u16,
    /// Unix socket path; preferred over TCP when set.
    pub socket: Option<String>,
    /// `user=`/`password=` file, owner-only permissions (checked when the tracker starts).
    pub credentials_file: Option<String>,
    /// TCP connect timeout; `None` = the check's `timeout`.
    pub connect_timeout: Option<Duration>,
}

/// What a [`MysqlCheck`] asks of replication; all unset on a server that does not
/// replicate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplicationCheck {
    /// Replica lag above this fails the check (only on servers that replicate).
    pub max_lag: Option<Duration>,
    /// Where the lag comes from: `None` = `Seconds_Behind_Master`/`_Source`; else a query
    /// whose first value is the lag in seconds (e.g. a pt-heartbeat table).
    pub lag_query: Option<String>,
    /// Fail unless the server is a replica whose SQL thread runs and whose IO thread runs
    /// or is reconnecting.
    pub require_replication: bool,
}

impl MysqlCheck {
    /// A check with the documented defaults (`SELECT 1` on 127.0.0.1:3306 every 200 ms,
    /// 500 ms timeouts, rise 1, fall 2, weight 0).
    pub fn new(name: impl Into<String>) -> Self {
        MysqlCheck {
            name: name.into(),
            connection: MysqlConnection {
                host: "127.0.0.1".into(),
                port: 3306,
                socket: None,
                credentials_file: None,
                connect_timeout: None,
            },
            query: "SELECT 1".into(),
            interval: Duration::from_millis(200),
            timeout: Duration::from_millis(500),
            weight: 0,
            rise: 1,
            fall: 2,
            init_fail: false,
            replication: ReplicationCheck::default(),
        }
    }

    /// The connect timeout in force.
    pub fn effective_connect_timeout(&self) -> Duration {
        self.connection.connect_timeout.unwrap_or(self.timeout)
    }

    /// Whether each check also reads replication status.
    pub fn judges_replication(&self) -> bool {
        self.replication.require_replication || self.replication.max_lag.is_some()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{check_text, dump_config as dump};
    use std::time::Duration;

    fn model(text: &str) -> super::Config {
        let checked = check_text(text);
        assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
        checked.config
    }

    #[test]
    fn notify_priority_changes_comes_from_the_instance_then_its_group_then_global() {
        let text = |inst: &str, group: &str| {
            format!(
                "global_defs {{\n vrrp_notify_priority_changes\n}}\n\
                 vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 1\n{inst}\
                 virtual_ipaddress {{\n 198.18.0.1\n }}\n}}\n\
                 vrrp_instance VI_2 {{\n interface eth0\n virtual_router_id 2\n\
                 virtual_ipaddress {{\n 198.18.0.2\n }}\n}}\n\
                 vrrp_instance VI_3 {{\n interface eth0\n virtual_router_id 3\n\
                 virtual_ipaddress {{\n 198.18.0.3\n }}\n}}\n\
                 vrrp_sync_group G1 {{\n group {{\n VI_1\n VI_3\n }}\n{group}}}\n"
            )
        };
        let resolved = |c: &super::Config| {
            c.instances
                .iter()
                .map(|i| c.notify_priority_changes(i))
                .collect::<Vec<_>>()
        };
        // Global on; the group of VI_1 and VI_3 says off; VI_2 has no group.
        let c = model(&text("", " notify_priority_changes off\n"));
        assert_eq!(resolved(&c), [false, true, false]);
        // The instance's own setting wins over its group's.
        let c = model(&text(
            " notify_priority_changes\n",
            " notify_priority_changes off\n",
        ));
        assert_eq!(resolved(&c), [true, true, false]);
        let c = model(&text(" notify_priority_changes false\n", ""));
        assert_eq!(resolved(&c), [false, true, true]);
        // An explicit off survives --dump-conf, so the dump means the same.
        let dumped = dump(&c);
        assert!(dumped.contains("notify_priority_changes off"), "{dumped}");
        assert_eq!(model(&dumped), c);
    }

    fn global(lines: &str) -> super::GlobalDefs {
        model(&format!("global_defs {{\n{lines}}}\n")).global
    }

    #[test]
    fn process_and_alert_settings_are_typed_and_dump_back() {
        let g = global(
            " vrrp_rt_priority 50\n vrrp_rlimit_rtime 5000\n vrrp_no_swap\n smtp_alert\n\
             smtp_alert_vrrp no\n",
        );
        assert_eq!(g.scheduling.vrrp_rt_priority, Some(50));
        assert_eq!(g.scheduling.vrrp_rlimit_rttime, Some(5000));
        assert!(g.scheduling.vrrp_no_swap);
        assert_eq!(
            (g.email.smtp_alert, g.email.smtp_alert_vrrp),
            (Some(true), Some(false))
        );
        assert!(g.other.is_empty(), "{:?}", g.other);
        let c =
            model("global_defs {\n vrrp_rt_priority 50\n vrrp_no_swap\n smtp_alert_vrrp no\n}\n");
        assert_eq!(model(&dump(&c)), c);
    }

    #[test]
    fn the_newer_rlimit_spelling_wins_whenever_written_and_non_numbers_are_ignored() {
        let rttime = |lines: &str| global(lines).scheduling.vrrp_rlimit_rttime;
        assert_eq!(
            rttime(" vrrp_rlimit_rttime 7\n vrrp_rlimit_rtime 5\n"),
            Some(7)
        );
        assert_eq!(
            rttime(" vrrp_rlimit_rtime 5\n vrrp_rlimit_rttime 7\n"),
            Some(7)
        );
        assert_eq!(
            rttime(" vrrp_rlimit_rttime x\n vrrp_rlimit_rtime 5\n"),
            None
        );
        assert_eq!(
            global(" vrrp_rt_priority high\n")
                .scheduling
                .vrrp_rt_priority,
            None
        );
        assert_eq!(global(" smtp_alert yes\n").email.smtp_alert, Some(true));
    }

    #[test]
    fn garp_group_settings_are_typed_and_the_rest_is_kept_as_written() {
        let c = model(
            "garp_group {\n garp_interval 0.25\n gna_interval soon\n interface eth1 eth2\n\
             interfaces {\n eth3\n }\n}\n",
        );
        let g = &c.garp_groups[0];
        assert_eq!(g.garp_interval, Some(Duration::from_millis(250)));
        assert_eq!(g.gna_interval, None);
        assert_eq!(
            g.all_interfaces().collect::<Vec<_>>(),
            ["eth1", "eth2", "eth3"]
        );
        assert_eq!(g.other.get("gna_interval"), Some(&vec!["soon".to_string()]));
        let dumped = dump(&c);
        assert!(dumped.contains("gna_interval soon"), "{dumped}");
        assert_eq!(model(&dumped), c);
    }

    #[test]
    fn no_track_is_a_field_and_other_address_flags_stay_as_written() {
        let c = model(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n\
             virtual_ipaddress {\n 198.18.0.1/24 no_track home\n 198.18.0.2/24\n }\n}\n",
        );
        let vips = &c.instances[0].virtuals.virtual_ipaddress;
        assert!(vips[0].no_track && !vips[1].no_track);
        assert_eq!(vips[0].flags, ["home"]);
        assert_eq!(model(&dump(&c)), c);
    }
}
