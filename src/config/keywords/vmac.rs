//! The keywords of the interfaces an instance makes or uses besides its own: periodic
//! gratuitous ARPs on the other interfaces carrying its VIPs (`garp_extra_if`,
//! `vrrp_garp_extra_if` and their deprecated `…vmac_garp_intvl` names), the ipvlan
//! alternative to `use_vmac` (`use_ipvlan`), and `native_ipv6`. Messages are keepalived
//! 2.2.7's.

use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{GarpExtraIf, Ipvlan, IpvlanMode, VrrpInstance};
use crate::config::syntax::Node;

/// `[all] SECONDS` of `garp_extra_if` (instance: 0-86400, 0 = off) or
/// `vrrp_garp_extra_if` (global: 1-86400). `prefix` starts each message (the instance's
/// `(NAME): `, empty globally). `None` after keepalived's "invalid" or "without time"
/// error, which leave the setting as it was.
fn extra_if_args(cx: &mut Lower, n: &Node, min: i64, prefix: &str) -> Option<GarpExtraIf> {
    let cmd = n.keyword.text.as_str();
    let deprecated = match cmd {
        "vrrp_vmac_garp_intvl" => Some("vrrp_garp_extra_if"),
        "vmac_garp_intvl" => Some("garp_extra_if"),
        _ => None,
    };
    if let Some(now) = deprecated {
        cx.push(
            Diagnostic::warning(
                n.keyword.span,
                format!("Keyword \"{cmd}\" is deprecated - please use \"{now}\""),
            )
            .with_hint(format!("write '{now}' instead (same arguments)")),
        );
    }
    let mut v = GarpExtraIf::default();
    let mut interval = None;
    for a in &n.args {
        if a.text == "all" {
            v.all = true;
        } else if let Some(s) = cx.int(a, min, 86_400) {
            interval = Some(s as u32);
        } else {
            cx.error(
                a.span,
                format!("{prefix}{cmd} '{}' invalid - ignoring", a.text),
            );
            return None;
        }
    }
    let Some(interval) = interval.filter(|s| *s > 0 || min == 0) else {
        cx.push(
            Diagnostic::error(
                n.keyword.span,
                format!("{prefix}{cmd} specified without time - ignoring"),
            )
            .with_hint(
                "give the number of seconds between gratuitous ARPs, e.g. 'garp_extra_if all 60'",
            ),
        );
        return None;
    };
    v.interval = interval;
    Some(v)
}

/// Global `vrrp_garp_extra_if` / `vrrp_vmac_garp_intvl`.
pub fn global_extra_if(cx: &mut Lower, t: &mut GarpExtraIf, n: &Node) {
    if let Some(v) = extra_if_args(cx, n, 1, "") {
        *t = v;
    }
}

/// An instance's `garp_extra_if` / `vmac_garp_intvl`.
pub fn instance_extra_if(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    let prefix = format!("({}): ", t.name);
    if let Some(v) = extra_if_args(cx, n, 0, &prefix) {
        t.garp_extra_if = Some(v);
    }
}

/// Prints `garp_extra_if` / `vrrp_garp_extra_if` back.
pub fn dump_extra_if(d: &mut Dumper, name: &str, v: &GarpExtraIf) {
    let mut w = Vec::new();
    if v.all {
        w.push("all".to_string());
    }
    w.push(v.interval.to_string());
    d.line(name, &w);
}

/// `use_ipvlan [IFNAME] [ADDR[/LEN]] [bridge|private|vepa]`, in any order.
pub fn use_ipvlan(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    let name = t.name.clone();
    if t.use_ipvlan.is_some() {
        cx.error(
            n.keyword.span,
            format!("({name}) use_ipvlan already specified"),
        );
        return;
    }
    let mut v = Ipvlan::default();
    let mut had_mode = false;
    for a in &n.args {
        let word = a.text.as_str();
        let mode = match word {
            "bridge" => Some(IpvlanMode::Bridge),
            "private" => Some(IpvlanMode::Private),
            "vepa" => Some(IpvlanMode::Vepa),
            _ => None,
        };
        if let Some(mode) = mode {
            if had_mode {
                let m = format!("({name}) ipvlan type already specified - ignoring '{word}'");
                cx.error(a.span, m);
            } else {
                v.mode = mode;
                had_mode = true;
            }
        } else if let Some(addr) = super::address::parse_prefixed(word) {
            if v.address.is_some() {
                let m = format!("({name}) ipvlan address already specified - ignoring '{word}'");
                cx.error(a.span, m);
            } else if family_conflicts(t, addr.0) {
                let m = format!("({name}) ipvlan address[{word}] MUST match vrrp instance family !!! Skipping...");
                cx.error(a.span, m);
            } else {
                v.address = Some(addr);
            }
        } else if v.name.is_some() {
            let m = format!("({name}) IPVLAN interface already specified - ignoring '{word}'");
            cx.error(a.span, m);
        } else if word.len() >= 16 {
            let m = format!("({name}) IPVLAN interface name '{word}' too long - ignoring");
            cx.error(a.span, m);
        } else {
            v.name = Some(word.to_string());
        }
    }
    t.use_ipvlan = Some(v);
}

/// Whether `addr`'s family differs from the one the instance already has (from its
/// first VIP, `native_ipv6` or a unicast peer, as keepalived fixes it while parsing).
fn family_conflicts(t: &VrrpInstance, addr: std::net::IpAddr) -> bool {
    let known = t
        .virtuals
        .virtual_ipaddress
        .first()
        .map(|a| a.addr.is_ipv6())
        .or(t.native_ipv6.then_some(true))
        .or(t.addressing.unicast_peer.first().map(|p| p.addr.is_ipv6()));
    known.is_some_and(|v6| v6 != addr.is_ipv6())
}

/// Prints `use_ipvlan` back.
pub fn dump_ipvlan(d: &mut Dumper, v: &Ipvlan) {
    let mut w: Vec<String> = v.name.iter().cloned().collect();
    if let Some((addr, prefix)) = v.address {
        w.push(format!("{addr}/{prefix}"));
    }
    if v.mode != IpvlanMode::Bridge {
        w.push(v.mode.word().to_string());
    }
    d.line("use_ipvlan", &w);
}

/// `native_ipv6`: refused once the instance is IPv4 (its first VIP or unicast peer).
pub fn native_ipv6(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    let ipv4 = t
        .virtuals
        .virtual_ipaddress
        .first()
        .map(|a| a.addr.is_ipv4())
        .or(t.addressing.unicast_peer.first().map(|p| p.addr.is_ipv4()))
        .unwrap_or(false);
    if ipv4 {
        let m = format!(
            "({}) Cannot specify native_ipv6 with IPv4 addresses",
            t.name
        );
        cx.push(
            Diagnostic::error(n.keyword.span, m)
                .with_hint("native_ipv6 must come before any IPv4 address of the instance"),
        );
        return;
    }
    t.native_ipv6 = true;
}
