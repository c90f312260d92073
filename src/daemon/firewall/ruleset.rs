//! The nftables commands keepalived 2.2.7 sends, as `nft` script text: a pure function of
//! what is already set up and the addresses to add or remove, so the exact rule set is
//! unit-tested here and compared with keepalived's own in `tests/daemon_nftables.rs`.
//!
//! keepalived builds its tables lazily, the first time a non-accepting instance becomes
//! master, and keeps them (sets emptied) until it stops:
//!
//! * `table ip T`: chains `out` (hook output) and `in` (hook input), both `filter` at the
//!   configured priority (-1) with policy accept; set `vips` (`ipv4_addr`); rules
//!   `in: ip daddr @vips drop`, `out: ip saddr @vips drop`.
//! * `table ip6 T`: chains `out`, `in`, `in_link_local`, `out_link_local`; sets `vips`
//!   and the constant `neighbor-discovery` (solicit, advert); `in`/`out` accept neighbour
//!   discovery, jump to the link-local chain for fe80::/10, and drop `@vips`.
//! * link-local VIPs go in `vips_link_local` (address . interface index) or, with
//!   `dont_track_primary` and without `nftables_ifindex`, `vips_link_local_name`
//!   (address . interface name), each set with its drop rule in both link-local chains,
//!   created at its first element.
//! * for each VMAC (`use_vmac`, from start-up): map `vmac_map` (macvlan index → base
//!   index) and a rule in `out` that sends the macvlan's IGMP reports (`ip`) or MLDv2
//!   reports (`ip6`, with set `vmac_set` dropping its router solicitations) out of the
//!   base interface instead.
//!
//! Objects are created in keepalived's order, which is the order `nft list ruleset`
//! shows them in. With `nftables_counters` every rule counts.

use std::net::IpAddr;
use std::sync::Arc;

/// The firewall settings of `global_defs` the rules depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub table: String,
    pub priority: i32,
    pub counters: bool,
}

/// The set an address goes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetKind {
    Ipv4,
    Ipv6,
    LinkLocalIndex,
    LinkLocalName,
}

impl SetKind {
    fn family(self) -> &'static str {
        if self == SetKind::Ipv4 {
            "ip"
        } else {
            "ip6"
        }
    }

    fn name(self) -> &'static str {
        match self {
            SetKind::Ipv4 | SetKind::Ipv6 => "vips",
            SetKind::LinkLocalIndex => "vips_link_local",
            SetKind::LinkLocalName => "vips_link_local_name",
        }
    }
}

/// One element of a VIP set: the address, and for link-local ones the interface.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Element {
    pub set: SetKind,
    pub addr: IpAddr,
    pub interface: Arc<str>,
}

impl Element {
    /// `addr` on `interface`; `by_name` picks the name-keyed link-local set.
    pub fn new(addr: IpAddr, interface: Arc<str>, by_name: bool) -> Element {
        let set = match addr {
            IpAddr::V4(_) => SetKind::Ipv4,
            IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 != 0xfe80 => SetKind::Ipv6,
            IpAddr::V6(_) if by_name => SetKind::LinkLocalName,
            IpAddr::V6(_) => SetKind::LinkLocalIndex,
        };
        Element {
            set,
            addr,
            interface,
        }
    }

    fn text(&self) -> String {
        match self.set {
            SetKind::Ipv4 | SetKind::Ipv6 => self.addr.to_string(),
            SetKind::LinkLocalIndex | SetKind::LinkLocalName => {
                format!("{} . \"{}\"", self.addr, self.interface)
            }
        }
    }
}

/// What is set up so far (keepalived's own flags), so each object is created once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetUp {
    /// `table ip T` with its `out` chain.
    pub ipv4_table: bool,
    /// Its `in` chain, `vips` set and drop rules.
    pub ipv4_vips: bool,
    pub ipv6_table: bool,
    pub ipv6_vips: bool,
    pub link_local_index: bool,
    pub link_local_name: bool,
    /// `vmac_map` and the IGMP (`ip`) / MLD and router-solicitation (`ip6`) rules.
    pub ipv4_vmac: bool,
    pub ipv6_vmac: bool,
}

impl SetUp {
    pub fn any(&self) -> bool {
        self.ipv4_table || self.ipv6_table
    }
}

/// A VMAC (`use_vmac`) whose multicast membership reports keepalived sends out of the
/// base interface (`dup to … device`) and drops on the macvlan: the reports then carry
/// the base interface's MAC, and IPv6 router solicitations from the VMAC are dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VmacRule {
    pub vmac: String,
    pub base: String,
    /// Families (`ip`, `ip6`) it is guarded in: the instance's, and the other one when
    /// it has excluded VIPs of that family.
    pub ipv4: bool,
    pub ipv6: bool,
}

/// The commands that add (`add`) or remove `vmacs`' map elements, creating first what
/// they need (see [`change`] for `stale` and `done`).
pub fn vmac_change(
    s: &Settings,
    done: &mut SetUp,
    stale: &[&str],
    vmacs: &[VmacRule],
    add: bool,
) -> String {
    let mut out = String::new();
    let verb = if add { "add" } else { "delete" };
    let t = &s.table;
    for v in vmacs {
        for (family, wanted) in [("ip", v.ipv4), ("ip6", v.ipv6)] {
            if !wanted {
                continue;
            }
            if add {
                delete_stale(s, done, stale, &mut out);
                set_up_vmac(s, done, family, &mut out);
            }
            let (vmac, base) = (&v.vmac, &v.base);
            out += &format!("{verb} element {family} {t} vmac_map {{ \"{vmac}\" : \"{base}\" }}\n");
            if family == "ip6" {
                out += &format!("{verb} element ip6 {t} vmac_set {{ \"{vmac}\" }}\n");
            }
        }
    }
    out
}

fn set_up_vmac(s: &Settings, done: &mut SetUp, family: &str, out: &mut String) {
    let t = &s.table;
    if family == "ip" && !done.ipv4_vmac {
        ipv4_table(s, done, out);
        *out += &format!("add map ip {t} vmac_map {{ type iface_index : iface_index; }}\n");
        *out += &format!("add rule ip {t} out ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop\n");
        done.ipv4_vmac = true;
    } else if family == "ip6" && !done.ipv6_vmac {
        ipv6_table(s, done, out);
        *out += &format!("add map ip6 {t} vmac_map {{ type iface_index : iface_index; }}\n");
        *out += &format!("add set ip6 {t} vmac_set {{ type iface_index; }}\n");
        *out += &format!("add rule ip6 {t} out icmpv6 type mld2-listener-report meta oifkind \"macvlan\" dup to ip6 daddr device oif map @vmac_map drop\n");
        *out += &format!("add rule ip6 {t} out icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set drop\n");
        done.ipv6_vmac = true;
    }
}

/// The commands that add (`add`) or remove `elements`, creating first whatever tables,
/// chains, sets and rules they need (never for a removal). `stale` lists the families
/// (`ip`, `ip6`) whose table a previous run left behind: deleted before the first table
/// is created, as keepalived does. `done` is updated.
pub fn change(
    s: &Settings,
    done: &mut SetUp,
    stale: &[&str],
    elements: &[Element],
    add: bool,
) -> String {
    let mut out = String::new();
    if add {
        for e in elements {
            set_up_for(s, done, stale, e.set, &mut out);
        }
    }
    let verb = if add { "add" } else { "delete" };
    for kind in [
        SetKind::Ipv4,
        SetKind::Ipv6,
        SetKind::LinkLocalIndex,
        SetKind::LinkLocalName,
    ] {
        let texts: Vec<String> = elements
            .iter()
            .filter(|e| e.set == kind)
            .map(Element::text)
            .collect();
        if !texts.is_empty() {
            out += &format!(
                "{verb} element {} {} {} {{ {} }}\n",
                kind.family(),
                s.table,
                kind.name(),
                texts.join(", ")
            );
        }
    }
    out
}

/// The commands that delete every table set up (at shutdown), if any.
pub fn teardown(s: &Settings, done: &mut SetUp) -> Option<String> {
    let mut out = String::new();
    for (family, set_up) in [("ip", done.ipv4_table), ("ip6", done.ipv6_table)] {
        if set_up {
            out += &format!("delete table {family} {}\n", s.table);
        }
    }
    *done = SetUp::default();
    (!out.is_empty()).then_some(out)
}

/// Before the first table: the tables a previous run left behind go.
fn delete_stale(s: &Settings, done: &SetUp, stale: &[&str], out: &mut String) {
    if !done.any() {
        for family in stale {
            *out += &format!("delete table {family} {}\n", s.table);
        }
    }
}

fn set_up_for(s: &Settings, done: &mut SetUp, stale: &[&str], kind: SetKind, out: &mut String) {
    delete_stale(s, done, stale, out);
    match kind {
        SetKind::Ipv4 if !done.ipv4_vips => {
            ipv4_table(s, done, out);
            *out += &ipv4_vips(s);
            done.ipv4_vips = true;
        }
        SetKind::Ipv6 | SetKind::LinkLocalIndex | SetKind::LinkLocalName if !done.ipv6_vips => {
            ipv6_table(s, done, out);
            *out += &ipv6_vips(s);
            done.ipv6_vips = true;
        }
        _ => {}
    }
    match kind {
        SetKind::LinkLocalIndex if !done.link_local_index => {
            *out += &link_local_set(s, kind);
            done.link_local_index = true;
        }
        SetKind::LinkLocalName if !done.link_local_name => {
            *out += &link_local_set(s, kind);
            done.link_local_name = true;
        }
        _ => {}
    }
}

/// `counter ` with `nftables_counters`, else nothing.
fn counter(s: &Settings) -> &'static str {
    if s.counters {
        "counter "
    } else {
        ""
    }
}

fn base_chain(s: &Settings, family: &str, chain: &str, hook: &str) -> String {
    format!(
        "add chain {family} {} {chain} {{ type filter hook {hook} priority {}; policy accept; }}\n",
        s.table, s.priority
    )
}

fn ipv4_table(s: &Settings, done: &mut SetUp, out: &mut String) {
    if !done.ipv4_table {
        *out += &format!("add table ip {}\n", s.table);
        *out += &base_chain(s, "ip", "out", "output");
        done.ipv4_table = true;
    }
}

fn ipv4_vips(s: &Settings) -> String {
    let (t, c) = (&s.table, counter(s));
    [
        base_chain(s, "ip", "in", "input"),
        format!("add set ip {t} vips {{ type ipv4_addr; }}\n"),
        format!("add rule ip {t} in ip daddr @vips {c}drop\n"),
        format!("add rule ip {t} out ip saddr @vips {c}drop\n"),
    ]
    .concat()
}

fn ipv6_table(s: &Settings, done: &mut SetUp, out: &mut String) {
    if !done.ipv6_table {
        *out += &format!("add table ip6 {}\n", s.table);
        *out += &base_chain(s, "ip6", "out", "output");
        done.ipv6_table = true;
    }
}

fn ipv6_vips(s: &Settings) -> String {
    let (t, c) = (&s.table, counter(s));
    [
        base_chain(s, "ip6", "in", "input"),
        format!("add chain ip6 {t} in_link_local\n"),
        format!("add chain ip6 {t} out_link_local\n"),
        format!("add set ip6 {t} vips {{ type ipv6_addr; }}\n"),
        format!(
            "add set ip6 {t} neighbor-discovery {{ type icmpv6_type; flags constant; \
             elements = {{ nd-neighbor-solicit, nd-neighbor-advert }}; }}\n"
        ),
        format!("add rule ip6 {t} in icmpv6 type @neighbor-discovery {c}accept\n"),
        format!("add rule ip6 {t} in ip6 daddr fe80::/10 {c}goto in_link_local\n"),
        format!("add rule ip6 {t} out icmpv6 type @neighbor-discovery {c}accept\n"),
        format!("add rule ip6 {t} out ip6 saddr fe80::/10 {c}goto out_link_local\n"),
        format!("add rule ip6 {t} in ip6 daddr @vips {c}drop\n"),
        format!("add rule ip6 {t} out ip6 saddr @vips {c}drop\n"),
    ]
    .concat()
}

fn link_local_set(s: &Settings, kind: SetKind) -> String {
    let (t, c, set) = (&s.table, counter(s), kind.name());
    let (key, iif, oif) = if kind == SetKind::LinkLocalName {
        ("ifname", "iifname", "oifname")
    } else {
        ("iface_index", "iif", "oif")
    };
    [
        format!("add set ip6 {t} {set} {{ type ipv6_addr . {key}; }}\n"),
        format!("add rule ip6 {t} in_link_local ip6 daddr . {iif} @{set} {c}drop\n"),
        format!("add rule ip6 {t} out_link_local ip6 saddr . {oif} @{set} {c}drop\n"),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(counters: bool) -> Settings {
        Settings {
            table: "keepalived".into(),
            priority: -1,
            counters,
        }
    }

    fn el(addr: &str, by_name: bool) -> Element {
        Element::new(addr.parse().unwrap(), "eth0".into(), by_name)
    }

    #[test]
    fn first_ipv4_master_creates_the_table_then_adds_its_vips() {
        let mut done = SetUp::default();
        let s = settings(false);
        let text = change(
            &s,
            &mut done,
            &["ip"],
            &[el("198.18.0.100", false), el("198.18.0.101", false)],
            true,
        );
        assert_eq!(
            text,
            "delete table ip keepalived\n\
             add table ip keepalived\n\
             add chain ip keepalived out { type filter hook output priority -1; policy accept; }\n\
             add chain ip keepalived in { type filter hook input priority -1; policy accept; }\n\
             add set ip keepalived vips { type ipv4_addr; }\n\
             add rule ip keepalived in ip daddr @vips drop\n\
             add rule ip keepalived out ip saddr @vips drop\n\
             add element ip keepalived vips { 198.18.0.100, 198.18.0.101 }\n"
        );
        assert!(done.ipv4_vips && !done.ipv6_table);
        // Set up once: the next change only touches elements.
        let again = change(&s, &mut done, &["ip"], &[el("198.18.0.102", false)], true);
        assert_eq!(again, "add element ip keepalived vips { 198.18.0.102 }\n");
        let removed = change(&s, &mut done, &[], &[el("198.18.0.102", false)], false);
        assert_eq!(
            removed,
            "delete element ip keepalived vips { 198.18.0.102 }\n"
        );
        assert_eq!(
            teardown(&s, &mut done).as_deref(),
            Some("delete table ip keepalived\n")
        );
        assert_eq!(teardown(&s, &mut done), None);
    }

    #[test]
    fn link_local_vips_get_their_set_and_rules_once_with_counters() {
        let mut done = SetUp::default();
        let s = settings(true);
        let text = change(
            &s,
            &mut done,
            &[],
            &[
                el("fe80::100", true),
                el("2001:db8::1", false),
                el("fe80::200", false),
            ],
            true,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "add table ip6 keepalived");
        assert!(text.contains(
            "add rule ip6 keepalived in icmpv6 type @neighbor-discovery counter accept\n"
        ));
        assert!(text.contains("add rule ip6 keepalived in_link_local ip6 daddr . iifname @vips_link_local_name counter drop\n"));
        assert!(text.contains("add rule ip6 keepalived out_link_local ip6 saddr . oif @vips_link_local counter drop\n"));
        let name_set = text.find("vips_link_local_name {").unwrap();
        let index_set = text.find("vips_link_local {").unwrap();
        assert!(name_set < index_set, "created in address order:\n{text}");
        assert!(text.ends_with(
            "add element ip6 keepalived vips { 2001:db8::1 }\n\
             add element ip6 keepalived vips_link_local { fe80::200 . \"eth0\" }\n\
             add element ip6 keepalived vips_link_local_name { fe80::100 . \"eth0\" }\n"
        ));
        assert!(
            done.ipv6_vips && done.link_local_index && done.link_local_name && !done.ipv4_table
        );
    }

    #[test]
    fn a_vmac_gets_the_igmp_map_and_later_vips_share_the_table() {
        let mut done = SetUp::default();
        let s = settings(false);
        let vmac = VmacRule {
            vmac: "vrrp.51".into(),
            base: "eth0".into(),
            ipv4: true,
            ipv6: false,
        };
        let text = vmac_change(&s, &mut done, &[], &[vmac], true);
        assert_eq!(
            text,
            "add table ip keepalived\n\
             add chain ip keepalived out { type filter hook output priority -1; policy accept; }\n\
             add map ip keepalived vmac_map { type iface_index : iface_index; }\n\
             add rule ip keepalived out ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop\n\
             add element ip keepalived vmac_map { \"vrrp.51\" : \"eth0\" }\n"
        );
        let vips = change(&s, &mut done, &["ip"], &[el("198.18.0.100", false)], true);
        assert!(vips.starts_with("add chain ip keepalived in "), "{vips}");
        assert!(!vips.contains("delete table"), "{vips}");
    }

    #[test]
    fn removing_never_creates_anything() {
        let mut done = SetUp::default();
        let text = change(
            &settings(false),
            &mut done,
            &["ip"],
            &[el("198.18.0.1", false)],
            false,
        );
        assert_eq!(text, "delete element ip keepalived vips { 198.18.0.1 }\n");
        assert_eq!(done, SetUp::default());
    }
}
