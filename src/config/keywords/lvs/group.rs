//! `virtual_server_group NAME { … }`: one address range (`IP[-END|/MASK] [PORT]`) or
//! `fwmark N [inet|inet6]` a line, checked as keepalived's checker process checks them.

use super::values;
use super::{block_end, say};
use crate::config::lower::Lower;
use crate::config::lvs::{GroupEntry, ServerGroup};
use crate::config::syntax::Node;
use std::net::IpAddr;

/// Reads a group into the facts (a group without usable entries is dropped, as keepalived
/// drops it).
pub fn server_group(cx: &mut Lower, n: &Node) {
    let Some(name) = cx.arg(n, 0).map(|t| t.text.to_string()) else {
        return;
    };
    if super::super::top::no_block(cx, n) {
        return;
    }
    let mut group = ServerGroup::default();
    let (mut v4, mut v6, mut bare_fwmark) = (false, false, false);
    for line in n.children() {
        let entry = if line.keyword.text == "fwmark" {
            fwmark_entry(cx, &name, line, &mut v4, &mut v6, &mut bare_fwmark)
        } else {
            let e = address_entry(cx, line);
            if let Some((ip, _)) = &e {
                v4 |= ip.is_ipv4();
                v6 |= ip.is_ipv6();
            }
            e.map(|(_, e)| e)
        };
        group.entries.extend(entry);
    }
    if cx.aborted {
        return;
    }
    let end = block_end(n);
    if group.entries.is_empty() {
        say(
            cx,
            end,
            format!("virtual server group {name} has no entries - removing"),
        );
    } else if v4 && v6 && bare_fwmark {
        let text = format!("virtual server group {name} cannot have IPv4, IPv6 and fwmark without family - removing");
        say(cx, end, text);
    } else {
        group.ipv4 = v4;
        group.ipv6 = v6;
        cx.lvs.groups.insert(name, group);
    }
}

fn fwmark_entry(
    cx: &mut Lower,
    group: &str,
    line: &Node,
    v4: &mut bool,
    v6: &mut bool,
    bare: &mut bool,
) -> Option<GroupEntry> {
    let tok = cx.arg(line, 0)?.clone();
    let Some(mark) = values::unsigned(cx, &tok, 0, values::UINT_MAX) else {
        let text = format!(
            "({group}): fwmark '{}' must be in [0, 4294967295] - ignoring",
            tok.text
        );
        say(cx, tok.span, text);
        return None;
    };
    match line.args.get(1).map(|f| f.text.as_str()) {
        None => *bare = true,
        Some("inet") => *v4 = true,
        Some("inet6") => *v6 = true,
        Some(other) => {
            let text = format!("({group}): fwmark '{mark}' family {other} unknown - ignoring");
            say(cx, line.args[1].span, text);
            return None;
        }
    }
    Some(GroupEntry::Fwmark(mark as u32))
}

/// `IP[-END|/MASK] [PORT]`.
fn address_entry(cx: &mut Lower, line: &Node) -> Option<(IpAddr, GroupEntry)> {
    let text = line.keyword.text.as_str();
    let at = line.keyword.span;
    let port_tok = values::nonzero_port(line.args.first());
    let Some((ip, port)) = values::socket_addr(cx, text, port_tok) else {
        let (slash, p) =
            port_tok.map_or(("", String::new()), |p| ("/port", format!("/{}", p.text)));
        say(
            cx,
            at,
            format!("Invalid virtual server group IP address {text} {slash}{p} - skipping"),
        );
        return None;
    };
    let skip = |cx: &mut Lower, why: &str| {
        say(cx, at, format!("{why} - {text} - skipping"));
        None
    };
    let mut last = ip.to_string();
    if let Some((_, mask)) = text.split_once('/') {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        let Some(mask) = mask.parse::<u32>().ok().filter(|m| (1..=bits).contains(m)) else {
            return skip(cx, "Invalid netmask");
        };
        let host_bits = match ip {
            IpAddr::V4(a) => u128::from(u32::from(a)) & ((1u128 << (32 - mask)) - 1),
            IpAddr::V6(a) => u128::from(a) & (u128::MAX.checked_shr(mask).unwrap_or(0)),
        };
        if host_bits != 0 {
            return skip(cx, "Address mask bits not empty");
        }
    } else if let Some((_, end)) = text.split_once('-') {
        let full = if ip.is_ipv4() {
            end.contains('.')
        } else {
            end.contains(':')
        };
        if full {
            let Some((end_ip, _)) = values::socket_addr(&mut Lower::new(), end, None) else {
                say(cx, at, format!("Invalid range end {text} - skipping"));
                return None;
            };
            if end_ip.is_ipv4() != ip.is_ipv4() {
                say(
                    cx,
                    at,
                    format!("Range address families do not match {text} - skipping"),
                );
                return None;
            }
            if end_ip < ip {
                return skip(cx, "Address range end is less than address range start");
            }
            last = end_ip.to_string();
        } else {
            let (start, radix) = match ip {
                IpAddr::V4(a) => (u32::from(a.octets()[3]), 10),
                IpAddr::V6(a) => (u32::from(a.segments()[7]), 16),
            };
            let end = u32::from_str_radix(end, radix).ok()?;
            if start >= end {
                return skip(
                    cx,
                    "Address range end is not greater than address range start",
                );
            }
            last = match ip {
                IpAddr::V4(a) => {
                    let o = a.octets();
                    std::net::Ipv4Addr::new(o[0], o[1], o[2], end as u8).to_string()
                }
                IpAddr::V6(a) => {
                    let mut s = a.segments();
                    s[7] = end as u16;
                    std::net::Ipv6Addr::from(s).to_string()
                }
            };
        }
    }
    let first = ip.to_string();
    Some((ip, GroupEntry::Range { first, last, port }))
}
