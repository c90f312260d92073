//! The interfaces an instance makes or uses besides the one it is configured on, as
//! keepalived 2.2.7 plans them at start-up:
//!
//! * `use_vmac` / `use_ipvlan`: the instance runs on a macvlan with the virtual router
//!   MAC, or on an L2 ipvlan (the base interface's MAC, an address of its own), named
//!   `PREFIX.VRID` unless named (`vmac_prefix`, default `vrrp`; taken names become
//!   `PREFIXn.VRID`, IPv6 trying `PREFIX6.VRID` first). With a VMAC the instance's VIPs
//!   of its family go on it; with an ipvlan they stay on the base interface.
//! * `use_vmac_addr` (every VIP written on another interface, or of the other family on
//!   the instance's) and an address's own `use_vmac`: a VMAC with the virtual router MAC
//!   of the VIP's family is made on the VIP's interface (named by `vmac_addr_prefix`) and
//!   the VIP goes on it, so that clients there follow the VIP to the new master as well.
//! * `garp_extra_if [all] SECONDS`: adverts refresh the switches' tables for the
//!   instance's own interface only, so while master one gratuitous ARP / NA goes out this
//!   often on each other interface carrying its VIPs: the VMACs keepalived made, or with
//!   `all` every such interface.

use std::collections::HashSet;
use std::net::IpAddr;

use super::{VipSpec, VmacSpec};
use crate::config::model::{self, Config, GarpExtraIf, IpvlanMode, VrrpInstance};
use crate::sys::IpvlanFlagsWord;
use crate::vrrp::{ExtraIfGarp, Family};

/// What kind of link a [`VmacSpec`] asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// A private-mode macvlan with [`VmacSpec::mac`].
    Macvlan,
    /// An L2 ipvlan with these flags and, when given, its own address.
    Ipvlan {
        flags: IpvlanFlagsWord,
        address: Option<(IpAddr, u8)>,
    },
}

/// keepalived's `create_vmac_name`: `PREFIX.VRID` unless taken, then `PREFIXn.VRID` for
/// n = 1, 2, … (IPv6 tries 6 first and skips it later), cut to 15 characters by
/// shortening the prefix. `taken` holds the names handed out or configured.
pub fn link_name(prefix: &str, vrid: u8, ipv6: bool, taken: &HashSet<String>) -> String {
    let make = |num: Option<u16>| {
        let tail = match num {
            Some(n) => format!("{n}.{vrid}"),
            None => format!(".{vrid}"),
        };
        let keep = prefix.len().min(15usize.saturating_sub(tail.len()));
        let cut = (0..=keep)
            .rev()
            .find(|i| prefix.is_char_boundary(*i))
            .unwrap_or(0);
        format!("{}{tail}", &prefix[..cut])
    };
    let mut num: Option<u16> = None;
    loop {
        let name = make(num);
        if !taken.contains(&name) || num.is_some_and(|n| n > 4096) {
            return name;
        }
        num = Some(match (num, ipv6) {
            (None, true) => 6,
            (Some(6), true) => 1,
            (Some(n), true) if n + 1 == 6 => 7,
            (Some(n), _) => n + 1,
            (None, false) => 1,
        });
    }
}

/// The link `use_vmac` or `use_ipvlan` asks for (`use_vmac` wins when both are written).
pub fn instance_link(
    config: &Config,
    inst: &VrrpInstance,
    base: &str,
    taken: &mut HashSet<String>,
    warnings: &mut Vec<String>,
) -> Option<VmacSpec> {
    let ipv6 = inst.family == Family::Ipv6;
    let prefix = config.global.vmac_prefix.as_deref().unwrap_or("vrrp");
    let (named, kind, mac) = match (&inst.use_vmac, &inst.use_ipvlan) {
        (Some(vmac), _) => (
            vmac.name.clone(),
            LinkKind::Macvlan,
            super::vmac_mac(inst, vmac, warnings),
        ),
        (None, Some(ipvlan)) => (
            ipvlan.name.clone(),
            LinkKind::Ipvlan {
                flags: match ipvlan.mode {
                    IpvlanMode::Bridge => IpvlanFlagsWord::Bridge,
                    IpvlanMode::Private => IpvlanFlagsWord::Private,
                    IpvlanMode::Vepa => IpvlanFlagsWord::Vepa,
                },
                address: ipvlan.address,
            },
            [0; 6],
        ),
        (None, None) => return None,
    };
    let name = named.unwrap_or_else(|| link_name(prefix, inst.virtual_router_id, ipv6, taken));
    taken.insert(name.clone());
    Some(VmacSpec {
        name,
        instance: inst.name.clone(),
        base: base.to_owned(),
        mac,
        ipv6,
        other_family: inst
            .virtuals
            .virtual_ipaddress_excluded
            .iter()
            .any(|a| Family::of(&a.addr) != inst.family),
        kind,
    })
}

/// Where one VIP of `inst` goes: `vip_interface` (the VMAC, else the configured
/// interface) for one of the instance's family written without `dev` or on the
/// configured interface; the configured interface for one of the other family; the
/// interface it names otherwise; in the last two cases on a VMAC of its own made there
/// when `use_vmac_addr` or its own `use_vmac` asks for one.
pub fn vip_interface(
    config: &Config,
    inst: &VrrpInstance,
    a: &model::IpAddress,
    configured: &str,
    vip_interface: &str,
    links: &mut Vec<VmacSpec>,
    taken: &mut HashSet<String>,
) -> String {
    let same_family = Family::of(&a.addr) == inst.family;
    let vip_vmac = a.flags.iter().any(|f| f == "use_vmac");
    let on_configured = a.dev.as_deref().is_none_or(|d| d == configured);
    let (interface, own_vmac) = if on_configured {
        if inst.use_vmac.is_some() && same_family {
            return vip_interface.to_owned();
        }
        let wanted = vip_vmac || (inst.use_vmac_addr && !same_family);
        (configured, wanted)
    } else {
        (
            a.dev.as_deref().unwrap_or(configured),
            vip_vmac || inst.use_vmac_addr,
        )
    };
    if !own_vmac {
        return interface.to_owned();
    }
    let ipv6 = a.addr.is_ipv6();
    let mac = match &inst.use_vmac {
        Some(v) => v
            .mac
            .as_deref()
            .and_then(super::parse_mac)
            .unwrap_or_else(|| crate::sys::virtual_router_mac(inst.virtual_router_id, ipv6)),
        None => crate::sys::virtual_router_mac(inst.virtual_router_id, ipv6),
    };
    if let Some(found) = links
        .iter()
        .find(|l| l.kind == LinkKind::Macvlan && l.base == interface && l.mac == mac)
    {
        return found.name.clone();
    }
    let g = &config.global;
    let prefix = g
        .vmac_addr_prefix
        .as_deref()
        .or(g.vmac_prefix.as_deref())
        .unwrap_or("vrrp");
    let name = link_name(prefix, inst.virtual_router_id, ipv6, taken);
    taken.insert(name.clone());
    links.push(VmacSpec {
        name: name.clone(),
        instance: inst.name.clone(),
        base: interface.to_owned(),
        mac,
        ipv6,
        other_family: false,
        kind: LinkKind::Macvlan,
    });
    name
}

/// The `garp_extra_if` rounds of one instance: its own setting, else the global one;
/// off unless some VIP is on another interface that qualifies (a link keepalived made,
/// or any with `all`). `own` is the instance's interface (its VMAC or ipvlan, else the
/// configured one), `ours` the links made for the configuration.
pub fn extra_if_garp(
    config: &Config,
    inst: &VrrpInstance,
    specs: &[VipSpec],
    own: &str,
    ours: &HashSet<&str>,
) -> ExtraIfGarp {
    let global = config.global.garp_extra_if;
    let GarpExtraIf { interval, all } = inst.garp_extra_if.unwrap_or(global);
    let off = ExtraIfGarp::default();
    if interval == 0 {
        return off;
    }
    let is_ours = |name: &str| ours.contains(name);
    let others = || specs.iter().filter(|s| &*s.interface != own);
    let extra_vmac = others().any(|s| is_ours(&s.interface));
    let extra_if = others().any(|s| !is_ours(&s.interface));
    if !(extra_vmac || (extra_if && all)) {
        return off;
    }
    let mut done: Vec<&str> = Vec::new();
    let mut addrs = Vec::new();
    for s in specs {
        let name: &str = &s.interface;
        if (!is_ours(name) && !all) || (name == own && !inst.vmac_xmit_base) || done.contains(&name)
        {
            continue;
        }
        done.push(name);
        addrs.push((s.addr, name.to_owned()));
    }
    ExtraIfGarp {
        interval: std::time::Duration::from_secs(u64::from(interval)),
        addrs,
        all,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{build, HostInterfaces, InterfaceFacts, Plan};
    use super::*;

    fn plan_of(text: &str) -> Plan {
        let checked = crate::config::check_text(text);
        let mut host = HostInterfaces::new();
        for (i, name) in ["eth0", "eth1"].iter().enumerate() {
            let facts = InterfaceFacts {
                index: i as u32 + 2,
                mac: Some([2, 0, 0, 0, 0, i as u8]),
                operational: true,
                primary_ipv4: Some(std::net::Ipv4Addr::new(198, 18, i as u8, 1)),
                ipv6_link_local: Some("fe80::1".parse().unwrap()),
                mtu: 1500,
            };
            host.insert(name.to_string(), facts);
        }
        build(&checked.config, &host, |_| Vec::new()).unwrap()
    }

    #[test]
    fn generated_names_follow_keepalived() {
        let mut taken = HashSet::new();
        assert_eq!(link_name("vrrp", 41, false, &taken), "vrrp.41");
        taken.insert("vrrp.41".to_string());
        assert_eq!(link_name("vrrp", 41, false, &taken), "vrrp1.41");
        assert_eq!(link_name("vrrp", 41, true, &taken), "vrrp6.41");
        taken.insert("vrrp6.41".to_string());
        assert_eq!(link_name("vrrp", 41, true, &taken), "vrrp1.41");
        assert_eq!(
            link_name("a_very_long_prefix", 255, false, &taken),
            "a_very_long.255"
        );
    }

    const TWO: &str = "global_defs {\n vmac_addr_prefix va\n vrrp_garp_extra_if all 9\n}\n\
        vrrp_instance A {\n interface eth0\n use_vmac\n use_vmac_addr\n garp_extra_if 2\n \
        virtual_router_id 41\n virtual_ipaddress {\n 198.18.0.9/24\n 198.18.1.9/24 dev eth1\n \
        198.18.1.8/24 dev eth1\n }\n}\n\
        vrrp_instance B {\n interface eth0\n virtual_router_id 42\n virtual_ipaddress {\n \
        198.18.0.7/24\n 198.18.1.7/24 dev eth1\n }\n}\n";

    #[test]
    fn vips_on_other_interfaces_get_vmacs_and_periodic_garps() {
        let plan = plan_of(TWO);
        let names: Vec<(&str, &str)> = plan
            .vmacs
            .iter()
            .map(|v| (v.name.as_str(), v.base.as_str()))
            .collect();
        assert_eq!(names, [("vrrp.41", "eth0"), ("va.41", "eth1")]);
        assert_eq!(plan.vmacs[1].mac, [0, 0, 0x5e, 0, 1, 41]);
        let on: Vec<&str> = plan.vips[0].iter().map(|v| &*v.interface).collect();
        assert_eq!(on, ["vrrp.41", "va.41", "va.41"]);
        // A: its own setting, the VMAC only, once per interface.
        let a = &plan.instances[0].extra_if_garp;
        assert_eq!(a.interval, std::time::Duration::from_secs(2));
        assert_eq!(
            a.addrs,
            [("198.18.1.9".parse().unwrap(), "va.41".to_string())]
        );
        // B: the global `all 9`, the plain eth1.
        let b = &plan.instances[1].extra_if_garp;
        assert_eq!(b.interval, std::time::Duration::from_secs(9));
        assert_eq!(
            b.addrs,
            [("198.18.1.7".parse().unwrap(), "eth1".to_string())]
        );
    }

    #[test]
    fn without_all_a_plain_interface_gets_no_periodic_garps() {
        let plan = plan_of(&TWO.replace("all 9", "9"));
        assert!(!plan.instances[1].extra_if_garp.is_on());
    }

    #[test]
    fn an_ipvlan_carries_the_adverts_and_its_address_is_their_source() {
        let text = "vrrp_instance A {\n interface eth0\n use_ipvlan 198.18.0.50/24 vepa\n \
            virtual_router_id 41\n virtual_ipaddress {\n 198.18.0.9/24\n }\n}\n";
        let plan = plan_of(text);
        let v = &plan.vmacs[0];
        assert_eq!((v.name.as_str(), v.base.as_str()), ("vrrp.41", "eth0"));
        assert!(matches!(
            v.kind,
            LinkKind::Ipvlan {
                flags: IpvlanFlagsWord::Vepa,
                ..
            }
        ));
        assert_eq!(plan.instances[0].interface, "vrrp.41");
        assert_eq!(
            plan.instances[0].source_addr,
            "198.18.0.50".parse::<IpAddr>().unwrap()
        );
        assert_eq!(&*plan.vips[0][0].interface, "eth0");
        // Without an address an IPv4 ipvlan is never made: the instance stays in FAULT.
        let plan = plan_of(&text.replace(" 198.18.0.50/24", ""));
        assert!(plan.vmacs.is_empty());
        assert!(plan.interfaces_down.contains(&"vrrp.41".to_string()));
    }
}
