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
    pub ipv4: bool,
    pub ipv6: bool,
    pub link_local_index: bool,
    pub link_local_name: bool,
}

impl SetUp {
    pub fn any(&self) -> bool {
        self.ipv4 || self.ipv6
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
    for (family, set_up) in [("ip", done.ipv4), ("ip6", done.ipv6)] {
        if set_up {
            out += &format!("delete table {family} {}\n", s.table);
        }
    }
    *done = SetUp::default();
    (!out.is_empty()).then_some(out)
}

fn set_up_for(s: &Settings, done: &mut SetUp, stale: &[&str], kind: SetKind, out: &mut String) {
    if !done.any() {
        for family in stale {
            *out += &format!("delete table {family} {}\n", s.table);
        }
    }
    match kind {
        SetKind::Ipv4 if !done.ipv4 => {
            *out += &ipv4_tables(s);
            done.ipv4 = true;
        }
        SetKind::Ipv6 | SetKind::LinkLocalIndex | SetKind::LinkLocalName if !done.ipv6 => {
            *out += &ipv6_tables(s);
            done.ipv6 = true;
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

fn ipv4_tables(s: &Settings) -> String {
    let (t, c) = (&s.table, counter(s));
    [
        format!("add table ip {t}\n"),
        base_chain(s, "ip", "out", "output"),
        base_chain(s, "ip", "in", "input"),
        format!("add set ip {t} vips {{ type ipv4_addr; }}\n"),
        format!("add rule ip {t} in ip daddr @vips {c}drop\n"),
        format!("add rule ip {t} out ip saddr @vips {c}drop\n"),
    ]
    .concat()
}

fn ipv6_tables(s: &Settings) -> String {
    let (t, c) = (&s.table, counter(s));
    [
        format!("add table ip6 {t}\n"),
        base_chain(s, "ip6", "out", "output"),
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
        assert!(done.ipv4 && !done.ipv6);
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
        assert!(done.ipv6 && done.link_local_index && done.link_local_name && !done.ipv4);
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
