//! `vrrp_instance NAME { … }`.

use super::address::{
    address_line, dump_address, dump_script, dump_tracks, script_value, track_block,
};
use super::route::{dump_route, route_line};
use super::routing_words::read_block;
use super::rule::{dump_rule, rule_line};
use super::{Keyword, OtherSettings};
use crate::config::diag::{suggest, Diagnostic};
use crate::config::dump::Dumper;
use crate::config::lower::{fmt_decimal_secs, Lower};
use crate::config::model::{
    AuthType, InitialState, Script, TrackRef, UnicastPeer, Vmac, VrrpInstance,
};
use crate::config::syntax::Node;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

impl OtherSettings for VrrpInstance {
    fn other(&mut self) -> &mut BTreeMap<String, Vec<String>> {
        &mut self.other
    }
    fn other_ref(&self) -> &BTreeMap<String, Vec<String>> {
        &self.other
    }
}

/// Records that an instance keyword was written (completion needs to know, e.g. whether a
/// priority was given), at the span of its first argument.
pub(super) fn seen(cx: &mut Lower, t: &VrrpInstance, n: &Node) {
    let span = n.args.first().map_or(n.keyword.span, |a| a.span);
    let Some(keyword) = super::static_keyword_name(&n.keyword.text) else {
        return;
    };
    match cx.spans.instance_keywords.get_mut(&t.name) {
        Some(k) => k.record(keyword, span),
        None => {
            let mut k = crate::config::lower::KeywordSpans::default();
            k.record(keyword, span);
            cx.spans.instance_keywords.insert(t.name.clone(), k);
        }
    }
}

fn set_script(
    cx: &mut Lower,
    t: &mut VrrpInstance,
    n: &Node,
    pick: fn(&mut VrrpInstance) -> &mut Option<Script>,
) {
    let Some(s) = script_value(cx, n) else { return };
    seen(cx, t, n);
    let name = t.name.clone();
    let slot = pick(t);
    if slot.is_some() {
        cx.warn(
            n.keyword.span,
            format!(
                "({name}) {} script already specified - ignoring {}",
                n.keyword.text,
                n.args_joined()
            ),
        );
    } else {
        *slot = Some(s);
    }
}

/// A `track_*` block of an instance, remembering where each reference was written (the
/// completion checks point at it).
fn track_list(cx: &mut Lower, t: &VrrpInstance, n: &Node, min: i64, max: i64) -> Vec<TrackRef> {
    for c in n.children() {
        cx.spans
            .track_refs
            .entry((t.name.clone(), c.keyword.text.to_string()))
            .or_insert(c.keyword.span);
    }
    track_block(cx, n, min, max)
}

fn ip_arg(cx: &mut Lower, t: &VrrpInstance, n: &Node, what: &str) -> Option<IpAddr> {
    let a = cx.arg(n, 0)?;
    // keepalived accepts (and ignores) a /prefix here.
    match a.text.split('/').next().unwrap_or("").parse::<IpAddr>() {
        Ok(ip) => Some(ip),
        Err(_) => {
            let msg = format!(
                "Configuration error: VRRP instance[{}] malformed {what} address[{}]. Skipping...",
                t.name, a.text
            );
            cx.push(Diagnostic::error(a.span, msg).with_hint("write an IPv4 or IPv6 address"));
            None
        }
    }
}

fn authentication(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    for c in n.children() {
        match c.keyword.text.as_str() {
            "auth_type" => {
                let Some(a) = cx.arg(c, 0) else { return };
                let a = a.clone();
                match a.text.as_str() {
                    "PASS" => t.authentication.auth_type = AuthType::Pass,
                    "AH" => t.authentication.auth_type = AuthType::Ah,
                    other => {
                        let mut d = Diagnostic::error(
                            a.span,
                            format!("({}) unknown authentication type '{other}'", t.name),
                        );
                        if let Some(s) = suggest(other, ["PASS", "AH"]) {
                            d = d.with_hint(format!("did you mean '{s}'?"));
                        }
                        cx.push(d);
                    }
                }
                seen(cx, t, c);
            }
            "auth_pass" => {
                let Some(a) = cx.arg(c, 0) else { return };
                let a = a.clone();
                let mut pass = a.text.to_string();
                if pass.len() > 8 {
                    cx.push(
                        Diagnostic::warning(a.span, "Truncating auth_pass to 8 characters")
                            .with_hint(format!(
                                "only '{}' is sent; keepalived 1.1.x peers use just the first 7 characters",
                                String::from_utf8_lossy(&pass.as_bytes()[..8])
                            )),
                    );
                    let mut cut = 8;
                    while !pass.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    pass.truncate(cut);
                }
                t.authentication.auth_pass = Some(pass);
                seen(cx, t, c);
            }
            _ => cx.unknown(c, ["auth_type", "auth_pass"]),
        }
    }
}

fn dump_auth(t: &VrrpInstance, d: &mut Dumper) {
    let ty = match t.authentication.auth_type {
        AuthType::None => return,
        AuthType::Pass => "PASS",
        AuthType::Ah => "AH",
    };
    d.block("authentication", |d| {
        d.kv("auth_type", ty);
        if let Some(p) = &t.authentication.auth_pass {
            d.kv("auth_pass", p);
        }
    });
}

fn unicast_peers(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    for c in n.children() {
        let Ok(addr) = c
            .keyword
            .text
            .split('/')
            .next()
            .unwrap_or("")
            .parse::<IpAddr>()
        else {
            let msg = format!(
                "Configuration error: VRRP instance[{}] malformed unicast peer address[{}]. Skipping...",
                t.name, c.keyword.text
            );
            cx.push(
                Diagnostic::error(c.keyword.span, msg)
                    .with_hint("write the peer's IPv4 or IPv6 address"),
            );
            continue;
        };
        let mut p = UnicastPeer {
            addr,
            min_ttl: None,
            max_ttl: None,
        };
        let mut i = 0;
        while i < c.args.len() {
            let w = c.args[i].clone();
            let val = c.args.get(i + 1).cloned();
            match (w.text.as_str(), val) {
                ("min_ttl", Some(v)) => p.min_ttl = cx.int(&v, 0, 255).map(|x| x as u8),
                ("max_ttl", Some(v)) => p.max_ttl = cx.int(&v, 0, 255).map(|x| x as u8),
                _ => cx.error(w.span, format!("Unknown unicast_peer option '{}'", w.text)),
            }
            i += 2;
        }
        t.addressing.unicast_peer.push(p);
    }
}

/// `virtual_ipaddress`: the first address fixes the instance's family; others of the
/// other family are refused (keepalived: put them in `virtual_ipaddress_excluded`).
fn vip_list(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    // Usually one or two addresses: no room for more than were written.
    t.virtuals
        .virtual_ipaddress
        .reserve_exact(n.children().len());
    for c in n.children() {
        let Some(a) = address_line(cx, c) else {
            continue;
        };
        let family = t
            .virtuals
            .virtual_ipaddress
            .first()
            .map(|f| f.addr.is_ipv6())
            .or(t.native_ipv6.then_some(true));
        if let Some(v6) = family {
            if v6 != a.addr.is_ipv6() {
                let m = format!(
                    "({}): address family must match VRRP instance [{}] - ignoring",
                    t.name, c.keyword.text
                );
                cx.push(Diagnostic::error(c.keyword.span, m).with_hint("one instance carries one address family; move this address to virtual_ipaddress_excluded or to another instance"));
                continue;
            }
        }
        t.virtuals.virtual_ipaddress.push(a);
    }
}

/// The `vrrp_instance` table.
pub static INSTANCE: &[Keyword<VrrpInstance>] = &[
    keyword!("state", "MASTER|BACKUP", "BACKUP (MASTER if priority 255)", "Initial wish; keepalived 2.x starts every non-owner as BACKUP.",
        |cx, t, n| {
            let Some(a) = cx.arg(n, 0) else { return };
            let a = a.clone();
            match a.text.as_str() {
                "MASTER" => t.state = InitialState::Master,
                "BACKUP" => {
                    if cx.spans.instance_keyword(&t.name, "state").is_some() && t.state == InitialState::Master {
                        let m = format!("({}) state previously set as MASTER - ignoring BACKUP", t.name);
                        cx.warn(a.span, m);
                        return;
                    }
                    t.state = InitialState::Backup
                }
                other => {
                    let mut d = Diagnostic::warning(a.span, format!("({}) unknown state '{other}', defaulting to BACKUP", t.name));
                    let upper = other.to_ascii_uppercase();
                    d = match suggest(&upper, ["MASTER", "BACKUP"]).or(if upper == "SLAVE" { Some("BACKUP") } else { None }) {
                        Some(s) => d.with_hint(format!("did you mean '{s}'? (values are case-sensitive)")),
                        None => d.with_hint("use MASTER or BACKUP"),
                    };
                    cx.push(d);
                    t.state = InitialState::Backup;
                }
            }
            seen(cx, t, n);
        },
        |t, d| d.kv("state", if t.state == InitialState::Master { "MASTER" } else { "BACKUP" })),
    keyword!("interface", "IFNAME", "none (required)", "Interface the instance runs on.",
        |cx, t, n| {
            let Some(a) = cx.arg(n, 0) else { return };
            let a = a.clone();
            if a.text.len() >= 16 {
                cx.push(Diagnostic::error(a.span, format!("Interface name '{}' too long - ignoring", a.text)).with_hint("Linux interface names have at most 15 characters"));
                return;
            }
            t.interface = Some(a.text.to_string());
            seen(cx, t, n);
        },
        |t, d| if let Some(i) = &t.interface { d.kv("interface", i) }),
    keyword!("virtual_router_id", "1-255", "none (required)", "The VRID; all routers of one virtual router share it.",
        |cx, t, n| {
            let Some(a) = cx.arg(n, 0) else { return };
            let a = a.clone();
            match cx.int(&a, 1, 255) {
                Some(v) => { t.virtual_router_id = v as u8; seen(cx, t, n); }
                None => { let m = format!("({}): VRID '{}' not valid - must be between 1 & 255", t.name, a.text); cx.push(Diagnostic::error(a.span, m).with_hint(format!("virtual_router_id {} is out of range 1–255; use the same VRID on every node of this virtual router", a.text))); }
            }
        },
        |t, d| d.kv("virtual_router_id", t.virtual_router_id)),
    keyword!("priority", "1-255", "100 (255 if state MASTER)", "Base priority; 255 = address owner.",
        |cx, t, n| {
            let Some(a) = cx.arg(n, 0) else { return };
            let a = a.clone();
            match cx.int(&a, 1, 255) {
                Some(v) => { t.priority = v as u8; seen(cx, t, n); }
                None => { let m = format!("({}) Priority not valid! must be between 1 & 255. Using default 100", t.name); cx.push(Diagnostic::error(a.span, m)); }
            }
        },
        |t, d| d.kv("priority", t.priority)),
    keyword!("advert_int", "SECONDS", "1", "Advert interval (VRRPv2: whole seconds 1-255; v3: 0.01-40.95).",
        |cx, t, n| {
            let Some(a) = cx.arg(n, 0) else { return };
            let a = a.clone();
            match cx.secs(&a, Duration::from_millis(10), Duration::from_secs(255)) {
                Some(v) => { t.advert_int = v; seen(cx, t, n); }
                None => { let m = format!("({}) Advert interval ({}) not valid! Must be > 0 - ignoring", t.name, a.text); cx.push(Diagnostic::error(a.span, m)); }
            }
        },
        |t, d| d.kv("advert_int", fmt_decimal_secs(t.advert_int, false))),
    keyword!("version", "2|3", "vrrp_version (2)", "VRRP version.",
        |cx, t, n| if let Some(v) = cx.int_arg(n, 0, 2, 3).and_then(super::version_of) { t.version = v; seen(cx, t, n); },
        |t, d| d.kv("version", t.version.number())),
    keyword!("authentication", "{ auth_type PASS|AH; auth_pass SECRET }", "none", "VRRPv2 authentication.",
        authentication, dump_auth),
    keyword!("virtual_ipaddress", "{ ADDR[/LEN] [dev IF] [brd IP] [scope S] [label L] … }", "none", "The virtual addresses (sent in adverts).",
        |cx, t, n| { seen(cx, t, n); vip_list(cx, t, n) },
        |t, d| if !t.virtuals.virtual_ipaddress.is_empty() { d.block("virtual_ipaddress", |d| t.virtuals.virtual_ipaddress.iter().for_each(|a| dump_address(d, a))) }),
    keyword!("virtual_ipaddress_excluded", "{ ADDR… }", "none", "Addresses moved with the instance but not sent in adverts.",
        |cx, t, n| { for c in n.children() { if let Some(a) = address_line(cx, c) { t.virtuals.virtual_ipaddress_excluded.push(a) } } },
        |t, d| if !t.virtuals.virtual_ipaddress_excluded.is_empty() { d.block("virtual_ipaddress_excluded", |d| t.virtuals.virtual_ipaddress_excluded.iter().for_each(|a| dump_address(d, a))) }),
    keyword!("virtual_routes", "{ ROUTE… }", "none", "Routes installed while master.",
        |cx, t, n| { let owner = cx.owner.clone(); read_block(cx, &owner, "virtual_routes", n, &mut t.virtuals.virtual_routes, route_line) },
        |t, d| if !t.virtuals.virtual_routes.is_empty() { d.block("virtual_routes", |d| t.virtuals.virtual_routes.iter().for_each(|r| dump_route(d, r))) }),
    keyword!("virtual_rules", "{ RULE… }", "none", "Policy rules installed while master.",
        |cx, t, n| { let owner = cx.owner.clone(); read_block(cx, &owner, "virtual_rules", n, &mut t.virtuals.virtual_rules, rule_line) },
        |t, d| if !t.virtuals.virtual_rules.is_empty() { d.block("virtual_rules", |d| t.virtuals.virtual_rules.iter().for_each(|r| dump_rule(d, r))) }),
    keyword!("track_interface", "{ IFNAME [weight W [reverse]] … }", "none", "Interfaces whose state changes priority or faults the instance.",
        |cx, t, n| { let v = track_list(cx, t, n, -254, 254); t.track.interface.extend(v) },
        |t, d| dump_tracks(d, "track_interface", &t.track.interface)),
    keyword!("track_script", "{ SCRIPT [weight W [reverse]] … }", "none", "vrrp_scripts whose result changes priority or faults the instance.",
        |cx, t, n| { let v = track_list(cx, t, n, -254, 254); t.track.script.extend(v) },
        |t, d| dump_tracks(d, "track_script", &t.track.script)),
    keyword!("track_file", "{ NAME [weight W [reverse]] … }", "none", "track_files whose value changes priority or faults the instance.",
        |cx, t, n| { let v = track_list(cx, t, n, -254, 254); t.track.file.extend(v) },
        |t, d| dump_tracks(d, "track_file", &t.track.file)),
    keyword!("track_process", "{ NAME [weight W [reverse]] … }", "none", "vrrp_track_process objects tracked.",
        |cx, t, n| { let v = track_list(cx, t, n, -254, 254); t.track.process.extend(v) },
        |t, d| dump_tracks(d, "track_process", &t.track.process)),
    keyword!("track_mysql", "{ NAME [weight W [reverse]] … }", "none", "Extension: mysql_check objects tracked like scripts.",
        |cx, t, n| { let v = track_list(cx, t, n, -254, 254); t.track.mysql.extend(v) },
        |t, d| dump_tracks(d, "track_mysql", &t.track.mysql)),
    flag!("dont_track_primary", dont_track_primary, "Ignore the instance interface's own state."),
    keyword!("mcast_src_ip", "IP", "primary address of the interface", "Source address of adverts.",
        |cx, t, n| if let Some(ip) = ip_arg(cx, t, n, "src") { t.addressing.mcast_src_ip = Some(ip); seen(cx, t, n) },
        |t, d| if let Some(ip) = t.addressing.mcast_src_ip { d.kv("mcast_src_ip", ip) }),
    keyword!("unicast_src_ip", "IP", "primary address of the interface", "Source address of unicast adverts.",
        |cx, t, n| if let Some(ip) = ip_arg(cx, t, n, "src") { t.addressing.unicast_src_ip = Some(ip); seen(cx, t, n) },
        |t, d| if let Some(ip) = t.addressing.unicast_src_ip { d.kv("unicast_src_ip", ip) }),
    keyword!("unicast_peer", "{ IP [min_ttl N] [max_ttl N] … }", "none (multicast)", "Send adverts to these peers instead of the multicast group.",
        |cx, t, n| { seen(cx, t, n); unicast_peers(cx, t, n) },
        |t, d| if !t.addressing.unicast_peer.is_empty() { d.block("unicast_peer", |d| for p in &t.addressing.unicast_peer {
            let mut w = Vec::new();
            if let Some(x) = p.min_ttl { w.push("min_ttl".to_string()); w.push(x.to_string()); }
            if let Some(x) = p.max_ttl { w.push("max_ttl".to_string()); w.push(x.to_string()); }
            d.line(&p.addr.to_string(), &w);
        }) }),
    int!("unicast_ttl", addressing.unicast_ttl, 1, 255, "255", "TTL of unicast adverts."),
    flag!("unicast_fault_no_peer", addressing.unicast_fault_no_peer, "FAULT instead of multicast when a unicast instance has no peers."),
    flag!("check_unicast_src", advert.check_unicast_src, "Accept unicast adverts only from configured peers."),
    keyword!("old_unicast_checksum", "[never]", "auto", "VRRPv3 unicast checksum over 224.0.0.18 (keepalived < 1.3.7 peers).",
        |_cx, t, n| t.addressing.old_unicast_checksum = Some(n.args.first().is_none_or(|a| a.text != "never")),
        |t, d| match t.addressing.old_unicast_checksum { Some(true) => d.line::<&str>("old_unicast_checksum", &[]), Some(false) => d.kv("old_unicast_checksum", "never"), None => {} }),
    keyword!("mcast_dst_ip", "IP", "vrrp_mcast_group4/6", "Multicast destination of adverts.",
        |cx, t, n| if let Some(ip) = ip_arg(cx, t, n, "dst") { t.addressing.mcast_dst_ip = Some(ip) },
        |t, d| if let Some(ip) = t.addressing.mcast_dst_ip { d.kv("mcast_dst_ip", ip) }),
    keyword!("nopreempt", "", "off", "Do not take over from a lower-priority master.",
        |cx, t, n| { t.nopreempt = true; seen(cx, t, n) },
        |t, d| if t.nopreempt { d.line::<&str>("nopreempt", &[]) }),
    keyword!("preempt", "", "on", "Preempt a lower-priority master (the default).",
        |_cx, t, _n| t.nopreempt = false,
        |_t, _d| {}),
    keyword!("preempt_delay", "SECONDS", "0", "Wait this long before preempting a lower-priority master (0-1000).",
        |cx, t, n| if let Some(a) = cx.arg(n, 0).cloned() { if let Some(v) = cx.secs(&a, Duration::ZERO, Duration::from_secs(1000)) { t.preempt_delay = v; seen(cx, t, n) } },
        |t, d| if !t.preempt_delay.is_zero() { d.kv("preempt_delay", fmt_decimal_secs(t.preempt_delay, false)) }),
    keyword!("garp_master_delay", "SECONDS", "vrrp_garp_master_delay", "Delay of the second gratuitous ARP burst.",
        |cx, t, n| if let Some(a) = cx.arg(n, 0).cloned() { if let Some(v) = cx.secs(&a, Duration::ZERO, Duration::from_secs(255)) { t.advert.garp.master_delay = v; seen(cx, t, n) } },
        |t, d| d.kv("garp_master_delay", fmt_decimal_secs(t.advert.garp.master_delay, false))),
    keyword!("garp_master_repeat", "1-255", "vrrp_garp_master_repeat", "Gratuitous ARPs per address per burst.",
        |cx, t, n| if let Some(v) = cx.int_arg(n, 0, 1, 255) { t.advert.garp.master_repeat = v as u32; seen(cx, t, n) },
        |t, d| d.kv("garp_master_repeat", t.advert.garp.master_repeat)),
    keyword!("garp_master_refresh", "SECONDS", "vrrp_garp_master_refresh", "Refresh gratuitous ARPs this often while master.",
        |cx, t, n| if let Some(a) = cx.arg(n, 0).cloned() { if let Some(v) = cx.secs(&a, Duration::ZERO, Duration::from_secs(4_294_967)) { t.advert.garp.master_refresh = v; seen(cx, t, n) } },
        |t, d| d.kv("garp_master_refresh", fmt_decimal_secs(t.advert.garp.master_refresh, false))),
    keyword!("garp_master_refresh_repeat", "1-255", "vrrp_garp_master_refresh_repeat", "Gratuitous ARPs per address per refresh.",
        |cx, t, n| if let Some(v) = cx.int_arg(n, 0, 1, 255) { t.advert.garp.master_refresh_repeat = v as u32; seen(cx, t, n) },
        |t, d| d.kv("garp_master_refresh_repeat", t.advert.garp.master_refresh_repeat)),
    keyword!("garp_lower_prio_delay", "SECONDS", "vrrp_garp_lower_prio_delay", "Second burst delay after a lower-priority advert.",
        |cx, t, n| if let Some(a) = cx.arg(n, 0).cloned() { if let Some(v) = cx.secs(&a, Duration::ZERO, Duration::from_secs(255)) { t.advert.garp.lower_prio_delay = v; seen(cx, t, n) } },
        |t, d| d.kv("garp_lower_prio_delay", fmt_decimal_secs(t.advert.garp.lower_prio_delay, false))),
    keyword!("garp_lower_prio_repeat", "1-255", "vrrp_garp_lower_prio_repeat", "Gratuitous ARPs per address after a lower-priority advert.",
        |cx, t, n| if let Some(v) = cx.int_arg(n, 0, 1, 255) { t.advert.garp.lower_prio_repeat = v as u32; seen(cx, t, n) },
        |t, d| d.kv("garp_lower_prio_repeat", t.advert.garp.lower_prio_repeat)),
    keyword!("down_timer_adverts", "1-100", "vrrp_down_timer_adverts (3)", "Adverts missed before taking over.",
        |cx, t, n| if let Some(v) = cx.int_arg(n, 0, 1, 100) { t.advert.down_timer_adverts = v as u32; seen(cx, t, n) },
        |t, d| d.kv("down_timer_adverts", t.advert.down_timer_adverts)),
    keyword!("lower_prio_no_advert", "[on|off]", "vrrp_lower_prio_no_advert", "Do not answer lower-priority adverts.",
        |cx, t, n| { t.advert.lower_prio_no_advert = cx.boolean(n); seen(cx, t, n) },
        |t, d| d.kv("lower_prio_no_advert", if t.advert.lower_prio_no_advert { "on" } else { "off" })),
    keyword!("higher_prio_send_advert", "[on|off]", "vrrp_higher_prio_send_advert", "Send an advert before yielding to a higher priority.",
        |cx, t, n| { t.advert.higher_prio_send_advert = cx.boolean(n); seen(cx, t, n) },
        |t, d| d.kv("higher_prio_send_advert", if t.advert.higher_prio_send_advert { "on" } else { "off" })),
    keyword!("skip_check_adv_addr", "[on|off]", "vrrp_skip_check_adv_addr", "Skip the address check for the known master's adverts.",
        |cx, t, n| { t.advert.skip_check_adv_addr = cx.boolean(n); seen(cx, t, n) },
        |t, d| d.kv("skip_check_adv_addr", if t.advert.skip_check_adv_addr { "on" } else { "off" })),
    keyword!("strict_mode", "[on|off]", "vrrp_strict", "RFC-strict rules for this instance.",
        |cx, t, n| { t.strict_mode = cx.boolean(n); seen(cx, t, n) },
        |t, d| d.kv("strict_mode", if t.strict_mode { "on" } else { "off" })),
    keyword!("accept", "", "off in strict mode, else on", "Accept packets to the VIPs when not the owner.",
        |cx, t, n| { t.accept = Some(true); seen(cx, t, n) },
        |t, d| if t.accept == Some(true) { d.line::<&str>("accept", &[]) }),
    keyword!("no_accept", "", "", "Drop packets to the VIPs when not the owner.",
        |_cx, t, _n| t.accept = Some(false),
        |t, d| if t.accept == Some(false) { d.line::<&str>("no_accept", &[]) }),
    keyword!("notify_master", "COMMAND", "none", "Run on entering MASTER.",
        |cx, t, n| set_script(cx, t, n, |t| &mut t.scripts.notify_master), |t, d| dump_script(d, "notify_master", &t.scripts.notify_master)),
    keyword!("notify_backup", "COMMAND", "none", "Run on entering BACKUP.",
        |cx, t, n| set_script(cx, t, n, |t| &mut t.scripts.notify_backup), |t, d| dump_script(d, "notify_backup", &t.scripts.notify_backup)),
    keyword!("notify_fault", "COMMAND", "none", "Run on entering FAULT.",
        |cx, t, n| set_script(cx, t, n, |t| &mut t.scripts.notify_fault), |t, d| dump_script(d, "notify_fault", &t.scripts.notify_fault)),
    keyword!("notify_stop", "COMMAND", "none", "Run when the instance stops.",
        |cx, t, n| set_script(cx, t, n, |t| &mut t.scripts.notify_stop), |t, d| dump_script(d, "notify_stop", &t.scripts.notify_stop)),
    keyword!("notify_deleted", "[COMMAND]", "none", "Run (or report DELETED) when a reload removes the instance.",
        |_cx, t, n| t.scripts.notify_deleted = Some(Script { command: n.args_joined(), user: None }),
        |t, d| if let Some(s) = &t.scripts.notify_deleted { if s.command.is_empty() { d.line::<&str>("notify_deleted", &[]) } else { dump_script(d, "notify_deleted", &t.scripts.notify_deleted) } }),
    keyword!("notify", "COMMAND", "none", "Run on every state change with INSTANCE NAME STATE PRIORITY appended.",
        |cx, t, n| set_script(cx, t, n, |t| &mut t.scripts.notify), |t, d| dump_script(d, "notify", &t.scripts.notify)),
    keyword!("notify_master_rx_lower_pri", "COMMAND", "none", "Run when the master receives a lower-priority advert.",
        |cx, t, n| set_script(cx, t, n, |t| &mut t.scripts.notify_master_rx_lower_pri), |t, d| dump_script(d, "notify_master_rx_lower_pri", &t.scripts.notify_master_rx_lower_pri)),
    tristate!("notify_priority_changes", notify_priority_changes, "the sync group's, else vrrp_notify_priority_changes",
        "Write MASTER_PRIORITY / BACKUP_PRIORITY lines to the notify FIFOs when the effective priority changes."),
    keyword!("smtp_alert", "[on|off]", "smtp_alert_vrrp", "SMTP alert on state change (unset: smtp_alert_vrrp, else smtp_alert).",
        |cx, t, n| t.smtp_alert = Some(cx.boolean(n)),
        |t, d| if let Some(v) = t.smtp_alert { d.kv("smtp_alert", if v { "on" } else { "off" }) }),
    keyword!("use_vmac", "[IFNAME] [MAC]", "off", "Run on a macvlan with the RFC virtual MAC 00:00:5e:00:01:VRID.",
        |cx, t, n| t.use_vmac = Some({ seen(cx, t, n); Vmac { name: n.args.first().map(|a| a.text.to_string()), mac: n.args.get(1).map(|a| a.text.to_string()) } }),
        |t, d| if let Some(v) = &t.use_vmac { let w: Vec<String> = v.name.iter().chain(v.mac.iter()).cloned().collect(); d.line("use_vmac", &w) }),
    flag!("vmac_xmit_base", vmac_xmit_base, "Send adverts from the base interface, not the VMAC."),
    flag!("promote_secondaries", promote_secondaries, "Promote secondary addresses when the primary is removed."),
    word!("mysql_read_only", "MYSQL_CHECK", mysql_read_only, "Extension: set read_only OFF on becoming master and ON on leaving it, through this mysql_check's connection."),
    keyword!(@inert Some(super::Inert::Lvs), "lvs_sync_daemon_interface", "IFNAME", "none", "Deprecated (LVS sync daemon; use global lvs_sync_daemon).",
        |cx, t, n| {
            super::announce_inert(cx, n, super::Inert::Lvs);
            let m = format!("({}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.", t.name);
            cx.push(Diagnostic::warning(n.keyword.span, m).with_hint("set lvs_sync_daemon in global_defs instead"));
            // keepalived's second line, a finding of its own, indented by six spaces and
            // the name's length less two (a printf width, so 1 for a one-letter name).
            let pad = " ".repeat(6 + (t.name.len() as i64 - 2).unsigned_abs() as usize);
            cx.push(Diagnostic::warning(n.keyword.span, format!("{pad}Please use global lvs_sync_daemon")));
            if let Some(p) = &cx.lvs_sync_daemon_interface {
                let m = format!("({}) lvs_sync_daemon_interface has already been specified as {p} - ignoring", t.name);
                cx.push(Diagnostic::warning(n.keyword.span, m).with_hint("there is one LVS sync daemon per process; name its interface once"));
                return;
            }
            cx.lvs_sync_daemon_interface = Some(n.args.first().map(|a| a.text.to_string()).unwrap_or_default());
            t.other.insert("lvs_sync_daemon_interface".into(), n.args.iter().map(|a| a.text.to_string()).collect());
        },
        |t, d| if let Some(v) = t.other.get("lvs_sync_daemon_interface") { d.line("lvs_sync_daemon_interface", v) }),
    inert!(DumpOnly "debug" => "No effect (accepted for compatibility)."),
    keyword!(
        "kernel_rx_buf_size",
        "BYTES",
        "0 (vrrp_rx_bufs_policy)",
        "Bytes this instance adds to its VRRP receive socket's buffer, instead of what vrrp_rx_bufs_policy gives.",
        super::buffers::kernel_rx_buf_size,
        |t, d| if t.kernel_rx_buf_size != 0 {
            d.kv("kernel_rx_buf_size", t.kernel_rx_buf_size)
        }
    ),
    keyword!(
        "linkbeat_use_polling",
        "",
        "off",
        "Deprecated (keepalived says so): poll this instance's interface's link state; prefer linkbeat_interfaces.",
        super::linkbeat::instance_use_polling,
        |t, d| if t.linkbeat_use_polling {
            d.line::<&str>("linkbeat_use_polling", &[])
        }
    ),
    keyword!("native_ipv6", "", "off", "The instance is IPv6 (VRRPv3): IPv4 VIPs are refused.",
        super::vmac::native_ipv6,
        |t, d| if t.native_ipv6 { d.line::<&str>("native_ipv6", &[]) }),
    keyword!(
        "track_src_ip",
        "",
        "off",
        "FAULT while the configured source address (mcast_src_ip, unicast_src_ip) is deleted from the host.",
        // keepalived's handler sets it whatever follows.
        |_cx, t, _n| t.track_src_ip = true,
        |t, d| if t.track_src_ip {
            d.line::<&str>("track_src_ip", &[])
        }
    ),
    inert!(Bfd "track_bfd" => "BFD tracking (no BFD in this build)."),
    keyword!("use_ipvlan", "[IFNAME] [ADDR[/LEN]] [bridge|private|vepa]", "off", "Run on an L2 ipvlan (named vrrp.VRID unless named) with this address, instead of a VMAC.",
        |cx, t, n| { super::vmac::use_ipvlan(cx, t, n); seen(cx, t, n) },
        |t, d| if let Some(v) = &t.use_ipvlan { super::vmac::dump_ipvlan(d, v) }),
    flag!("use_vmac_addr", use_vmac_addr, "Put VIPs on other interfaces (or of the other family) on VMACs made there (named by vmac_addr_prefix)."),
    keyword!("vrf", "IFNAME", "none", "VRF device of a unicast instance without 'interface' (keepalived 2.2.7 clears it when the instance has an interface, and refuses an instance without one).",
        super::vrf::apply, super::vrf::dump),
    Keyword {
        name: "garp_extra_if",
        aliases: &["vmac_garp_intvl"],
        usage: "[all] 0-86400",
        default: "vrrp_garp_extra_if",
        doc: "While master, a gratuitous ARP/NA this often on each other interface carrying VIPs (VMACs keepalived made; with 'all' every one).",
        apply: super::vmac::instance_extra_if,
        dump: |t, d| if let Some(v) = &t.garp_extra_if { super::vmac::dump_extra_if(d, "garp_extra_if", v) },
        inert: None,
    },
];
