//! What the protocol core needs to know about each `vrrp_instance` and
//! `vrrp_sync_group`, already validated by the config layer.

use std::net::IpAddr;
use std::time::Duration;

use super::auth::AuthConfig;
use super::family::{Family, Version};
use super::packet::{MCAST_GROUP_V4, MCAST_GROUP_V6};

/// Identifies a tracked object (script, interface, file, process …) across instances.
/// The daemon allocates the numbers; the core only compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackerId(pub u32);

/// One `track_*` entry of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerRef {
    pub id: TrackerId,
    /// 0 = failure puts the instance in FAULT; > 0 added while up; < 0 added while down.
    pub weight: i32,
    /// Swaps up and down (keepalived `reverse`).
    pub reverse: bool,
}

/// A `unicast_peer` entry with its optional TTL window (`min_ttl`/`max_ttl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: u8,
    pub max_ttl: u8,
}

impl UnicastPeer {
    /// A peer without a TTL window.
    pub fn new(addr: IpAddr) -> Self {
        UnicastPeer {
            addr,
            min_ttl: 0,
            max_ttl: 255,
        }
    }
}

/// `old_unicast_checksum` (VRRPv3 over IPv4 unicast; keepalived 1.2.20–1.3.6 put
/// 224.0.0.18 in the pseudo-header instead of the peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OldUnicastChecksum {
    /// Send the RFC form; switch to the old form when a peer is seen using it.
    #[default]
    Auto,
    /// `old_unicast_checksum`: always send and expect the old form.
    Forced,
    /// `old_unicast_checksum never`: never accept or send the old form.
    Never,
}

/// Gratuitous ARP / unsolicited NA schedule (2.2.7 defaults in [`Default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpConfig {
    /// Delay of the second burst after becoming master (`garp_master_delay`, 0 = none).
    pub master_delay: Duration,
    /// GARPs per VIP in each burst (`garp_master_repeat`).
    pub master_repeat: u32,
    /// Refresh period while master (`garp_master_refresh`, 0 = off).
    pub master_refresh: Duration,
    /// GARPs per VIP per refresh (`garp_master_refresh_repeat`).
    pub master_refresh_repeat: u32,
    /// Delay of the second burst after a lower-priority advert (`garp_lower_prio_delay`).
    pub lower_prio_delay: Duration,
    /// GARPs per VIP on a lower-priority advert (`garp_lower_prio_repeat`, 0 = none).
    pub lower_prio_repeat: u32,
}

impl Default for GarpConfig {
    fn default() -> Self {
        GarpConfig {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Duration::from_secs(5),
            lower_prio_repeat: 5,
        }
    }
}

/// How an instance answers and checks adverts and announces its addresses.
///
/// One struct because the settings travel together: `global_defs` gives their defaults
/// (`vrrp_*` keywords), each `vrrp_instance` may override them, and the resolved values
/// are carried into the core ([`InstanceConfig`]) and shown by the status views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvertOptions {
    /// Gratuitous ARP / NA schedule.
    pub garp: GarpConfig,
    /// Adverts missed before master down (1..=100, default 3).
    pub down_timer_adverts: u32,
    /// A master does not answer a lower-priority advert with its own.
    pub lower_prio_no_advert: bool,
    /// A master sends one advert before yielding to a higher priority.
    pub higher_prio_send_advert: bool,
    /// Skip the address list check for adverts from the known master.
    pub skip_check_adv_addr: bool,
    /// Accept unicast adverts only from configured peers.
    pub check_unicast_src: bool,
}

impl Default for AdvertOptions {
    /// keepalived's defaults: 3 adverts down timer, default GARP schedule, every flag off.
    fn default() -> Self {
        AdvertOptions {
            garp: GarpConfig::default(),
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            skip_check_adv_addr: false,
            check_unicast_src: false,
        }
    }
}

/// One `vrrp_instance`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceConfig {
    pub name: String,
    /// The instance's interface; used to route interface events and (optionally) to
    /// pick the instance for a received packet when VRIDs repeat across interfaces.
    pub interface: String,
    pub vrid: u8,
    pub version: Version,
    pub family: Family,
    /// Configured priority (1..=255); 255 = address owner.
    pub base_priority: u8,
    pub advert_int: Duration,
    /// VIPs sent in adverts, in config order.
    pub vips: Vec<IpAddr>,
    /// Excluded VIPs: installed and announced, never sent in adverts.
    pub evips: Vec<IpAddr>,
    pub auth: AuthConfig,
    /// `state MASTER`.
    pub initial_state_master: bool,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    /// Advert source: `mcast_src_ip`/`unicast_src_ip` or the interface's primary address;
    /// also the local side of the equal-priority tie-break.
    pub source_addr: IpAddr,
    /// Multicast destination (`mcast_dst_ip`); `None` = 224.0.0.18 / ff02::12.
    pub mcast_dst: Option<IpAddr>,
    /// Non-empty ⇒ unicast instance: one advert copy per peer.
    pub unicast_peers: Vec<UnicastPeer>,
    pub unicast_ttl: u8,
    /// Advert handling; the flags are the instance's or the global one.
    pub advert: AdvertOptions,
    pub old_unicast_checksum: OldUnicastChecksum,
    pub trackers: Vec<TrackerRef>,
    /// Do not go to FAULT when the instance's own interface goes down.
    pub dont_track_primary: bool,
    /// `track_src_ip` with a configured source address: FAULT while `source_addr` is
    /// missing from the host ([`crate::vrrp::Router::handle_source_address`]).
    pub track_source: bool,
    /// `notify_deleted`: a reload that removes the instance reports DELETED, not FAULT.
    pub notify_deleted: bool,
    /// `notify_priority_changes` (resolved): each change of the effective priority is
    /// announced as [`crate::vrrp::NotifyState::MasterPriority`] / `BackupPriority`.
    pub notify_priority_changes: bool,
    /// `garp_extra_if`: while master, one gratuitous ARP / NA per round for each of
    /// these VIPs (one per other interface carrying the instance's VIPs).
    pub extra_if_garp: ExtraIfGarp,
}

/// Periodic gratuitous ARPs on interfaces other than the instance's own (keepalived's
/// `vrrp_send_vmac_update`): checked on each MASTER advert tick once `interval` has
/// passed since entering MASTER or the last round. Empty `addrs` or a zero interval: off.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtraIfGarp {
    pub interval: Duration,
    /// Each VIP to announce, with the interface it is on (for the log line).
    pub addrs: Vec<(IpAddr, String)>,
    /// Written with `all` (every other interface qualifies, not only VMACs): shown in
    /// the data dump.
    pub all: bool,
}

impl ExtraIfGarp {
    pub fn is_on(&self) -> bool {
        !self.interval.is_zero() && !self.addrs.is_empty()
    }
}

impl InstanceConfig {
    /// An instance with keepalived's defaults: BACKUP, priority 100, 1 s adverts,
    /// 3 adverts down timer, default GARP schedule, VRRPv2 for IPv4 / v3 for IPv6.
    pub fn new(name: impl Into<String>, vrid: u8, source_addr: IpAddr) -> Self {
        let family = Family::of(&source_addr);
        InstanceConfig {
            name: name.into(),
            interface: String::new(),
            vrid,
            version: if family == Family::Ipv6 {
                Version::V3
            } else {
                Version::V2
            },
            family,
            base_priority: 100,
            advert_int: Duration::from_secs(1),
            vips: Vec::new(),
            evips: Vec::new(),
            auth: AuthConfig::None,
            initial_state_master: false,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            source_addr,
            mcast_dst: None,
            unicast_peers: Vec::new(),
            unicast_ttl: 255,
            advert: AdvertOptions::default(),
            old_unicast_checksum: OldUnicastChecksum::Auto,
            trackers: Vec::new(),
            dont_track_primary: false,
            track_source: false,
            notify_deleted: false,
            notify_priority_changes: false,
            extra_if_garp: ExtraIfGarp::default(),
        }
    }

    /// True when adverts go to unicast peers.
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// The multicast group adverts go to.
    pub fn multicast_group(&self) -> IpAddr {
        self.mcast_dst.unwrap_or(match self.family {
            Family::Ipv4 => IpAddr::V4(MCAST_GROUP_V4),
            Family::Ipv6 => IpAddr::V6(MCAST_GROUP_V6),
        })
    }
}

/// One `vrrp_sync_group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupConfig {
    pub name: String,
    /// Member instance names.
    pub members: Vec<String>,
    /// `sync_group_tracking_weight` (informational here: the tracker plan already
    /// dropped or kept member tracker weights by keepalived's rules).
    pub sync_group_tracking_weight: bool,
}
