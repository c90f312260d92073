//! From the typed configuration and the host's interfaces to what the protocol core and
//! the socket layer need: one [`InstanceConfig`] per `vrrp_instance`, the sync groups,
//! the address specs of every VIP, and the set of receive sockets to open.
//!
//! This is pure (no netlink, no sockets): the daemon looks the interfaces up first and
//! hands them in as [`HostInterfaces`], so the mapping is unit-testable.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

mod links;

pub use links::LinkKind;

use crate::config::model::{self, AuthType, Config, InitialState, VrrpInstance};
use crate::sys::{Scope, VrrpProtocol};
use crate::vrrp::{
    password_bytes, AdvertOptions, AuthConfig, Family, InstanceConfig, OldUnicastChecksum,
    SyncGroupConfig, TrackerRef, UnicastPeer, Version,
};

/// What the plan needs to know about one interface of the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceFacts {
    pub index: u32,
    pub mac: Option<[u8; 6]>,
    pub operational: bool,
    pub primary_ipv4: Option<Ipv4Addr>,
    pub ipv6_link_local: Option<Ipv6Addr>,
    /// The interface's MTU (0 when unknown).
    pub mtu: u32,
}

/// The host's interfaces by name.
pub type HostInterfaces = HashMap<String, InterfaceFacts>;

/// One VIP / eVIP as `ip addr add` would take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipSpec {
    pub addr: IpAddr,
    pub prefix: u8,
    /// The interface it goes on (`dev`, else the instance's interface). Shared by all
    /// VIPs on it: the daemon keeps every spec, and most go on a few interfaces.
    pub interface: Arc<str>,
    pub broadcast: Option<Ipv4Addr>,
    pub scope: Scope,
    pub label: Option<String>,
}

/// How a receive socket selects its traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listen {
    Multicast(IpAddr),
    Unicast(IpAddr),
}

/// One receive socket: instances sharing interface, family, protocol and addressing
/// share it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiveSocket {
    pub interface: String,
    pub ipv6: bool,
    pub ah: bool,
    pub listen: Listen,
}

impl ReceiveSocket {
    pub fn protocol(&self) -> VrrpProtocol {
        if self.ah {
            VrrpProtocol::Ah
        } else {
            VrrpProtocol::Vrrp
        }
    }
}

/// A link the daemon must create before opening sockets: a `use_vmac` or
/// `use_vmac_addr` macvlan, or a `use_ipvlan` ipvlan ([`LinkKind`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmacSpec {
    pub name: String,
    /// The instance it is made for (named in log lines).
    pub instance: String,
    /// The configured (base) interface it sits on.
    pub base: String,
    /// The RFC 5798 virtual router MAC, or the one `use_vmac` names.
    pub mac: [u8; 6],
    /// For an IPv6 instance (which keeps the VMAC's link-local address).
    pub ipv6: bool,
    /// The instance also has excluded VIPs of the other family (the nftables firewall
    /// then guards the VMAC in both families, as keepalived does).
    pub other_family: bool,
    pub kind: LinkKind,
}

/// Everything the daemon derives from one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub instances: Vec<InstanceConfig>,
    pub groups: Vec<SyncGroupConfig>,
    /// Per instance (same order), VIPs then eVIPs — the order of the core's
    /// `AddVips`/`RemoveVips` address lists.
    pub vips: Vec<Vec<VipSpec>>,
    pub receive_sockets: BTreeSet<ReceiveSocket>,
    /// The receive buffer (`SO_RCVBUF`) each socket asks for, summed over its instances
    /// ([`super::rx_buffers`]); a socket not listed keeps the kernel's default.
    pub receive_buffers: BTreeMap<ReceiveSocket, u32>,
    /// Interfaces that are missing or not up+running at start (instances on them start
    /// in FAULT).
    pub interfaces_down: Vec<String>,
    /// Interfaces that are missing, or have no address to send adverts from: when one
    /// appears or gets an address, the configuration is planned again
    /// ([`super::replan`]).
    pub unresolved: BTreeSet<String>,
    /// Problems that do not stop the daemon, in keepalived's words where it has some.
    pub warnings: Vec<String>,
    /// `use_vmac` interfaces to create (the instances then run on them).
    pub vmacs: Vec<VmacSpec>,
}

/// Why a configuration cannot be run on this host.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("({instance}) no interface configured and no default_interface in global_defs")]
    NoInterface { instance: String },
}

/// Builds the plan. `trackers` gives each instance's tracker references (from the
/// tracker plan); it is called once per instance.
pub fn build(
    config: &Config,
    host: &HostInterfaces,
    mut trackers: impl FnMut(&VrrpInstance) -> Vec<TrackerRef>,
) -> Result<Plan, PlanError> {
    let mut plan = Plan {
        instances: Vec::with_capacity(config.instances.len()),
        groups: Vec::new(),
        vips: Vec::with_capacity(config.instances.len()),
        receive_sockets: BTreeSet::new(),
        receive_buffers: BTreeMap::new(),
        interfaces_down: Vec::new(),
        warnings: Vec::new(),
        vmacs: Vec::new(),
        unresolved: BTreeSet::new(),
    };
    let mut interface_names = HashSet::new();
    let mut down: BTreeSet<String> = BTreeSet::new();
    // Link names written in the configuration are taken before any is generated.
    let mut taken: HashSet<String> = config
        .instances
        .iter()
        .filter_map(|i| {
            i.use_vmac
                .as_ref()
                .and_then(|v| v.name.clone())
                .or_else(|| i.use_ipvlan.as_ref().and_then(|v| v.name.clone()))
        })
        .collect();
    // Per instance: its own interface (VMAC or ipvlan, else the configured one).
    let mut own_interfaces = Vec::with_capacity(config.instances.len());
    for inst in &config.instances {
        let base = inst
            .interface
            .clone()
            .or_else(|| config.global.default_interface.clone())
            .ok_or_else(|| PlanError::NoInterface {
                instance: inst.name.clone(),
            })?;
        let facts = host.get(&base);
        if !facts.is_some_and(|f| f.operational) {
            down.insert(base.clone());
        }
        if facts.is_none() && plan.unresolved.insert(base.clone()) {
            plan.warnings.push(format!(
                "Configuration specifies interface {base} which doesn't currently exist - will use if created"
            ));
        }
        let ipvlan_source = inst
            .use_ipvlan
            .as_ref()
            .filter(|_| inst.use_vmac.is_none())
            .and_then(|v| v.address)
            .map(|(a, _)| a)
            .filter(|a| Family::of(a) == inst.family);
        let source_addr = source_address(inst, facts, ipvlan_source).unwrap_or_else(|| {
            let ipv6 = inst.family == Family::Ipv6;
            if facts.is_some() {
                plan.warnings.push(format!(
                    "({}) interface {base} has no {} address to send adverts from",
                    inst.name,
                    if ipv6 { "IPv6 link-local" } else { "IPv4" }
                ));
            }
            down.insert(base.clone());
            plan.unresolved.insert(base.clone());
            if ipv6 {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            } else {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            }
        });
        // use_vmac / use_ipvlan: the instance sends and receives its adverts on the link
        // it makes (unless vmac_xmit_base); a VMAC also holds its VIPs (see `links`).
        let configured = base.clone();
        let link = links::instance_link(config, inst, &base, &mut taken, &mut plan.warnings);
        let (interface, vip_interface, own) = match link {
            Some(spec) => {
                let name = spec.name.clone();
                let vips_on = match spec.kind {
                    LinkKind::Macvlan => name.clone(),
                    LinkKind::Ipvlan { .. } => base.clone(),
                };
                // An ipvlan without an address of the instance's family is never made:
                // the instance stays in FAULT, as keepalived keeps it.
                match spec.kind {
                    LinkKind::Ipvlan { address, .. }
                        if address.is_none_or(|(a, _)| Family::of(&a) != inst.family) =>
                    {
                        down.insert(name.clone());
                    }
                    _ => plan.vmacs.push(spec),
                }
                let adverts = if inst.vmac_xmit_base {
                    base
                } else {
                    name.clone()
                };
                (adverts, vips_on, name)
            }
            None => (base.clone(), base.clone(), base),
        };
        let core = instance_config(config, inst, &interface, source_addr, trackers(inst));
        let socket = receive_socket(&core);
        // The MTU of the interface adverts arrive on (a VMAC not created yet has its
        // base's).
        let mtu = host
            .get(&core.interface)
            .or(facts)
            .map(|f| f.mtu)
            .filter(|m| *m != 0);
        let share = super::rx_buffers::share(&config.global.buffers, inst, &core, mtu);
        if share != 0 {
            let total = plan.receive_buffers.entry(socket.clone()).or_insert(0);
            *total = total.saturating_add(share);
        }
        plan.receive_sockets.insert(socket);
        let vips = inst
            .virtuals
            .virtual_ipaddress
            .iter()
            .chain(&inst.virtuals.virtual_ipaddress_excluded)
            .map(|a| {
                let target = links::vip_interface(
                    config,
                    inst,
                    a,
                    &configured,
                    &vip_interface,
                    &mut plan.vmacs,
                    &mut taken,
                );
                let mut a = a.clone();
                a.dev = None;
                vip_spec(&a, &target, &mut interface_names)
            })
            .collect();
        own_interfaces.push(own);
        plan.vips.push(vips);
        plan.instances.push(core);
    }
    let ours: HashSet<&str> = plan.vmacs.iter().map(|v| v.name.as_str()).collect();
    for (i, inst) in config.instances.iter().enumerate() {
        plan.instances[i].extra_if_garp =
            links::extra_if_garp(config, inst, &plan.vips[i], &own_interfaces[i], &ours);
    }
    plan.groups = config
        .sync_groups
        .iter()
        .map(|g| SyncGroupConfig {
            name: g.name.clone(),
            members: g.group.clone(),
            sync_group_tracking_weight: g.sync_group_tracking_weight,
        })
        .collect();
    plan.interfaces_down = down.into_iter().collect();
    Ok(plan)
}

/// Where adverts come from: `unicast_src_ip`, `mcast_src_ip`, else the interface's
/// primary IPv4 or IPv6 link-local address (`None` when it has none).
fn source_address(
    inst: &VrrpInstance,
    facts: Option<&InterfaceFacts>,
    ipvlan: Option<IpAddr>,
) -> Option<IpAddr> {
    inst.addressing
        .unicast_src_ip
        .or(inst.addressing.mcast_src_ip)
        .or(ipvlan)
        .or_else(|| {
            let facts = facts?;
            match inst.family {
                Family::Ipv6 => facts.ipv6_link_local.map(IpAddr::V6),
                Family::Ipv4 => facts.primary_ipv4.map(IpAddr::V4),
            }
        })
}

/// The MAC `use_vmac` asks for: the RFC 5798 virtual router MAC unless a valid one is
/// given.
fn vmac_mac(inst: &VrrpInstance, vmac: &model::Vmac, warnings: &mut Vec<String>) -> [u8; 6] {
    let rfc_mac =
        crate::sys::virtual_router_mac(inst.virtual_router_id, inst.family == Family::Ipv6);
    match vmac.mac.as_deref() {
        None => rfc_mac,
        Some(text) => parse_mac(text).unwrap_or_else(|| {
            warnings.push(format!(
                "({}) use_vmac: invalid MAC address '{text}' - using the virtual router MAC",
                inst.name
            ));
            rfc_mac
        }),
    }
}

/// The receive socket an instance's adverts arrive on.
fn receive_socket(core: &InstanceConfig) -> ReceiveSocket {
    ReceiveSocket {
        interface: core.interface.clone(),
        ipv6: core.family == Family::Ipv6,
        ah: matches!(core.auth, AuthConfig::Ah(_)),
        listen: if core.is_unicast() {
            Listen::Unicast(core.source_addr)
        } else {
            Listen::Multicast(core.multicast_group())
        },
    }
}

/// `aa:bb:cc:dd:ee:ff` (hex, colon-separated) as bytes.
fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut mac {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

fn instance_config(
    config: &Config,
    inst: &VrrpInstance,
    interface: &str,
    source_addr: IpAddr,
    trackers: Vec<TrackerRef>,
) -> InstanceConfig {
    let global = &config.global;
    let mut core = InstanceConfig::new(&inst.name, inst.virtual_router_id, source_addr);
    core.interface = interface.to_owned();
    core.family = inst.family;
    // An IPv6 instance runs VRRPv3 whatever `version` says.
    core.version = match inst.family {
        Family::Ipv6 => Version::V3,
        Family::Ipv4 => inst.version,
    };
    core.base_priority = inst.priority;
    core.advert_int = inst.advert_int;
    // keepalived drops track_src_ip when the source address is not configured.
    core.track_source = inst.track_src_ip
        && (inst.addressing.unicast_src_ip.is_some() || inst.addressing.mcast_src_ip.is_some());
    let same_family = |a: &&model::IpAddress| Family::of(&a.addr) == core.family;
    core.vips = inst
        .virtuals
        .virtual_ipaddress
        .iter()
        .filter(same_family)
        .map(|a| a.addr)
        .collect();
    core.evips = inst
        .virtuals
        .virtual_ipaddress_excluded
        .iter()
        .map(|a| a.addr)
        .chain(
            inst.virtuals
                .virtual_ipaddress
                .iter()
                .filter(|a| !same_family(a))
                .map(|a| a.addr),
        )
        .collect();
    core.auth = match (
        core.version,
        inst.authentication.auth_type,
        &inst.authentication.auth_pass,
    ) {
        (Version::V2, AuthType::Pass, Some(p)) => AuthConfig::Pass(password_bytes(p)),
        (Version::V2, AuthType::Ah, Some(p)) if core.family == Family::Ipv4 => {
            AuthConfig::Ah(password_bytes(p))
        }
        _ => AuthConfig::None,
    };
    core.initial_state_master = inst.state == InitialState::Master;
    core.nopreempt = inst.nopreempt;
    core.preempt_delay = inst.preempt_delay;
    core.mcast_dst = inst.addressing.mcast_dst_ip.or(Some(match core.family {
        Family::Ipv4 => IpAddr::V4(global.vrrp_mcast_group4),
        Family::Ipv6 => IpAddr::V6(global.vrrp_mcast_group6),
    }));
    core.unicast_peers = inst
        .addressing
        .unicast_peer
        .iter()
        .map(|p| UnicastPeer {
            addr: p.addr,
            min_ttl: p.min_ttl.unwrap_or(0),
            max_ttl: p.max_ttl.unwrap_or(255),
        })
        .collect();
    core.unicast_ttl = inst.addressing.unicast_ttl;
    // A flag set globally stays set even where the instance writes it `off`.
    let (own, global_advert) = (&inst.advert, &global.advert);
    core.advert = AdvertOptions {
        lower_prio_no_advert: own.lower_prio_no_advert || global_advert.lower_prio_no_advert,
        // Strict mode clears it whatever global_defs says (RFC 3768 has no such advert).
        higher_prio_send_advert: !inst.strict_mode
            && (own.higher_prio_send_advert || global_advert.higher_prio_send_advert),
        skip_check_adv_addr: own.skip_check_adv_addr || global_advert.skip_check_adv_addr,
        check_unicast_src: own.check_unicast_src || global_advert.check_unicast_src,
        ..*own
    };
    core.old_unicast_checksum = match inst.addressing.old_unicast_checksum {
        None => OldUnicastChecksum::Auto,
        Some(true) => OldUnicastChecksum::Forced,
        Some(false) => OldUnicastChecksum::Never,
    };
    core.trackers = trackers;
    core.dont_track_primary = inst.dont_track_primary;
    core.notify_deleted = inst.scripts.notify_deleted.is_some();
    core.notify_priority_changes = config.notify_priority_changes(inst);
    core
}

/// `names` holds the interface names handed out so far, to share them.
pub(crate) fn vip_spec(
    a: &model::IpAddress,
    instance_interface: &str,
    names: &mut HashSet<Arc<str>>,
) -> VipSpec {
    let name = a.dev.as_deref().unwrap_or(instance_interface);
    let interface = match names.get(name) {
        Some(shared) => shared.clone(),
        None => {
            let shared: Arc<str> = name.into();
            names.insert(shared.clone());
            shared
        }
    };
    let broadcast = match (a.addr, a.broadcast.as_deref()) {
        (IpAddr::V4(v4), Some("+")) => Some(broadcast_of(v4, a.prefix)),
        (IpAddr::V4(_), Some(b)) => b.parse().ok(),
        _ => None,
    };
    VipSpec {
        addr: a.addr,
        prefix: a.prefix,
        interface,
        broadcast,
        scope: a.scope.as_deref().map(scope_of).unwrap_or(Scope::Global),
        label: a.label.clone(),
    }
}

fn broadcast_of(addr: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let host_bits = 32 - u32::from(prefix.min(32));
    let mask = if host_bits == 32 {
        0
    } else {
        u32::MAX << host_bits
    };
    Ipv4Addr::from(u32::from(addr) | !mask)
}

/// `ip`'s scope names (and numbers).
fn scope_of(word: &str) -> Scope {
    match word {
        "global" | "universe" => Scope::Global,
        "site" => Scope::Site,
        "link" => Scope::Link,
        "host" => Scope::Host,
        "nowhere" => Scope::Nowhere,
        n => n.parse().map(Scope::from_number).unwrap_or(Scope::Global),
    }
}

/// Interfaces referenced by the plan (instance interfaces and VIP devices), sorted.
pub fn interfaces_used(plan: &Plan) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = plan.instances.iter().map(|i| i.interface.clone()).collect();
    for vips in &plan.vips {
        set.extend(vips.iter().map(|v| v.interface.to_string()));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(text: &str) -> Plan {
        let checked = crate::config::check_text(text);
        let mut host = HostInterfaces::new();
        host.insert(
            "eth0".into(),
            InterfaceFacts {
                index: 2,
                mac: Some([2, 0, 0, 0, 0, 1]),
                operational: true,
                primary_ipv4: Some(Ipv4Addr::new(198, 18, 0, 1)),
                ipv6_link_local: Some("fe80::1".parse().unwrap()),
                mtu: 1500,
            },
        );
        build(&checked.config, &host, |_| Vec::new()).unwrap()
    }

    const SEED: &str = "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 41\n priority 101\n advert_int 1\n authentication {\n auth_type PASS\n auth_pass 1111\n }\n virtual_ipaddress {\n 198.18.0.100/24 brd + dev eth0 label eth0:vip\n }\n}\n";

    #[test]
    fn seed_instance_maps_to_the_core_config() {
        let plan = plan_of(SEED);
        let i = &plan.instances[0];
        assert_eq!(i.vrid, 41);
        assert_eq!(i.base_priority, 101);
        assert!(i.initial_state_master);
        assert_eq!(i.source_addr, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1)));
        assert_eq!(i.auth, AuthConfig::Pass(*b"1111\0\0\0\0"));
        assert_eq!(i.vips, vec!["198.18.0.100".parse::<IpAddr>().unwrap()]);
        let v = &plan.vips[0][0];
        assert_eq!(v.prefix, 24);
        assert_eq!(v.broadcast, Some(Ipv4Addr::new(198, 18, 0, 255)));
        assert_eq!(v.label.as_deref(), Some("eth0:vip"));
        assert!(plan.interfaces_down.is_empty());
        let sock = plan.receive_sockets.iter().next().unwrap();
        assert_eq!(
            sock.listen,
            Listen::Multicast("224.0.0.18".parse().unwrap())
        );
    }

    #[test]
    fn missing_interface_starts_in_fault_and_unicast_listens_on_its_source() {
        let text = SEED
            .replace("interface eth0", "interface eth9")
            .replace("dev eth0", "")
            .replace(
                "advert_int 1",
                "advert_int 1\n unicast_src_ip 198.18.0.1\n unicast_peer {\n 198.18.0.2\n }",
            );
        let plan = plan_of(&text);
        assert_eq!(plan.interfaces_down, vec!["eth9".to_string()]);
        let sock = plan.receive_sockets.iter().next().unwrap();
        assert_eq!(sock.listen, Listen::Unicast("198.18.0.1".parse().unwrap()));
        assert_eq!(&*plan.vips[0][0].interface, "eth9");
    }

    fn vmac_seed(vmac_lines: &str) -> String {
        SEED.replace(
            "interface eth0\n",
            &format!("interface eth0\n {vmac_lines}\n"),
        )
        .replace(" dev eth0 label eth0:vip", "")
    }

    /// keepalived's placement: the instance's own interface means the VMAC (same family
    /// only); another interface, or the other family, stays as written.
    #[test]
    fn use_vmac_places_vips_written_on_the_base_interface_on_the_macvlan() {
        let text = "vrrp_instance VI_1 {\n interface eth0\n use_vmac\n virtual_router_id 41\n virtual_ipaddress {\n 198.18.0.1/24\n 198.18.0.2/24 dev eth0\n 198.18.0.3/24 dev eth1\n }\n virtual_ipaddress_excluded {\n 2001:db8::1/64\n }\n}\n";
        let plan = plan_of(text);
        let on: Vec<&str> = plan.vips[0].iter().map(|v| &*v.interface).collect();
        assert_eq!(on, ["vrrp.41", "vrrp.41", "eth1", "eth0"]);
    }

    #[test]
    fn use_vmac_runs_adverts_and_vips_on_the_macvlan() {
        let plan = plan_of(&vmac_seed("use_vmac"));
        assert_eq!(plan.vmacs[0].name, "vrrp.41");
        assert_eq!(plan.vmacs[0].base, "eth0");
        assert_eq!(plan.vmacs[0].mac, [0, 0, 0x5e, 0, 1, 41]);
        assert_eq!(plan.instances[0].interface, "vrrp.41");
        assert_eq!(
            plan.receive_sockets.iter().next().unwrap().interface,
            "vrrp.41"
        );
        assert_eq!(&*plan.vips[0][0].interface, "vrrp.41");
    }

    #[test]
    fn vmac_xmit_base_keeps_adverts_on_the_base_interface_and_vips_on_the_macvlan() {
        let plan = plan_of(&vmac_seed(
            "use_vmac vip41 02:aa:bb:cc:dd:29\n vmac_xmit_base",
        ));
        assert_eq!(plan.vmacs[0].name, "vip41");
        assert_eq!(plan.vmacs[0].mac, [2, 0xaa, 0xbb, 0xcc, 0xdd, 0x29]);
        assert_eq!(plan.instances[0].interface, "eth0");
        assert_eq!(
            plan.receive_sockets.iter().next().unwrap().interface,
            "eth0"
        );
        assert_eq!(&*plan.vips[0][0].interface, "vip41");
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn a_malformed_vmac_address_falls_back_to_the_virtual_router_mac() {
        let plan = plan_of(&vmac_seed("use_vmac vrrp.41 02:aa:bb"));
        assert_eq!(plan.vmacs[0].mac, [0, 0, 0x5e, 0, 1, 41]);
        assert!(plan.warnings[0].contains("invalid MAC address '02:aa:bb'"));
        assert_eq!(parse_mac("0:1:2:3:4:ff"), Some([0, 1, 2, 3, 4, 0xff]));
        for bad in [
            "",
            "0:1:2:3:4",
            "0:1:2:3:4:5:6",
            "0:1:2:3:4:fff",
            "g0:1:2:3:4:5",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
    }
}
