//! Lines inside list blocks: addresses, routes, rules, tracked objects, unicast peers,
//! and script command lines.

use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{IpAddress, Script, TrackRef};
use crate::config::syntax::Node;
use std::net::IpAddr;

/// Words that take a value in an address line (`dev eth0`, `label eth0:1`, …).
const ADDR_VALUE_WORDS: &[&str] = &[
    "brd",
    "broadcast",
    "dev",
    "scope",
    "label",
    "peer",
    "preferred_lft",
];
/// Flags keepalived 2.2.7 understands in an address line.
const ADDR_FLAGS: &[&str] = &[
    "home",
    "-nodad",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "no_track",
    "use_vmac",
];

/// Parses `ADDR[/PREFIX]`.
pub fn parse_prefixed(text: &str) -> Option<(IpAddr, u8)> {
    let (a, p) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
        None => max,
    };
    Some((addr, prefix))
}

/// `ADDR[/PREFIX]` of an address line, as keepalived reads it: a prefix out of range (or
/// not a number) is reported and replaced by the full length; a bad address is `None`
/// (the caller reports it).
fn address_and_prefix(cx: &mut Lower, word: &crate::config::syntax::Token) -> Option<(IpAddr, u8)> {
    let (a, p) = match word.text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (word.text.as_str(), None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let Some(p) = p else {
        return Some((addr, max));
    };
    match p.parse::<u64>() {
        Ok(n) if n <= u64::from(max) => return Some((addr, n as u8)),
        Ok(_) => cx.error(word.span, format!("number '{p}' outside range [0, {max}]")),
        Err(_) => cx.error(word.span, format!("invalid number '{p}'")),
    }
    cx.error(
        word.span,
        format!(
            "Invalid address prefix len {p} for address {} - using {max}",
            word.text
        ),
    );
    Some((addr, max))
}

/// One address line (the node's keyword is the address). `None` (with keepalived's
/// "VRRP parsed invalid IP" error) when the address does not parse.
pub fn address_line(cx: &mut Lower, node: &Node) -> Option<IpAddress> {
    read_address(cx, node, false)
}

/// A line of `static_ipaddress`: an address line that may also name a `track_group`.
pub fn static_address_line(cx: &mut Lower, node: &Node) -> Option<IpAddress> {
    read_address(cx, node, true)
}

fn read_address(cx: &mut Lower, node: &Node, static_line: bool) -> Option<IpAddress> {
    let words: Vec<&crate::config::syntax::Token> = std::iter::once(&node.keyword)
        .chain(node.args.iter())
        .collect();
    let Some((addr, prefix)) = address_and_prefix(cx, words[0]) else {
        cx.push(
            Diagnostic::error(
                words[0].span,
                format!("VRRP parsed invalid IP {}. skipping IP...", words[0].text),
            )
            .with_hint("write an IPv4 or IPv6 address, optionally with /PREFIX"),
        );
        return None;
    };
    let mut a = IpAddress {
        addr,
        prefix,
        broadcast: None,
        dev: None,
        scope: None,
        label: None,
        peer: None,
        no_track: false,
        track_group: None,
        flags: Vec::new(),
    };
    let mut i = 1;
    while i < words.len() {
        let w = words[i].text.as_str();
        if static_line && w == "track_group" {
            let Some(v) = words.get(i + 1) else {
                missing_value(cx, &words, i);
                return None;
            };
            if !super::track_group::reference(cx, &mut a.track_group, v) {
                break;
            }
            i += 2;
        } else if ADDR_VALUE_WORDS.contains(&w) {
            let Some(v) = words.get(i + 1) else {
                missing_value(cx, &words, i);
                return None;
            };
            let v = v.text.to_string();
            match w {
                "brd" | "broadcast" => a.broadcast = Some(v),
                "dev" => {
                    cx.spans
                        .address_devices
                        .push(crate::config::lower::AddressDevice {
                            device: v.clone(),
                            address: words[0].text.to_string(),
                            span: words[0].span,
                        });
                    a.dev = Some(v)
                }
                "scope" => a.scope = Some(v),
                "label" => a.label = Some(v),
                "peer" => {
                    // A plain address (no prefix); a bad one is reported and left out.
                    if v.parse::<IpAddr>().is_ok() {
                        a.peer = Some(v)
                    } else {
                        let at = words[i + 1].span;
                        cx.error(at, format!("VRRP parsed invalid IP {v}. skipping IP..."));
                        cx.error(at, format!("Invalid peer address {v}"));
                    }
                }
                other => {
                    a.flags.push(other.to_string());
                    a.flags.push(v);
                }
            }
            i += 2;
        } else if w == "no_track" {
            a.no_track = true;
            i += 1;
        } else if ADDR_FLAGS.contains(&w) {
            a.flags.push(w.to_string());
            i += 1;
        } else {
            cx.push(
                Diagnostic::error(
                    words[i].span,
                    format!("Unknown configuration entry '{w}' for ip address - ignoring"),
                )
                .with_hint("address options are brd, dev, scope, label, peer, home, -nodad, mngtmpaddr, noprefixroute, autojoin, no_track, preferred_lft, use_vmac, and track_group on static addresses"),
            );
            i += 1;
        }
    }
    Some(a)
}

/// The option at `words[i]` ends the line without its value: keepalived drops the
/// whole address.
fn missing_value(cx: &mut Lower, words: &[&crate::config::syntax::Token], i: usize) {
    let w = &words[i].text;
    cx.push(
        Diagnostic::error(
            words[i].span,
            format!("No {w} parameter specified for {}", words[0].text),
        )
        .with_hint(format!("give '{w}' its value, or remove it")),
    );
}

/// Prints an address line back.
pub fn dump_address(d: &mut Dumper, a: &IpAddress) {
    let mut words = vec![format!("{}/{}", a.addr, a.prefix)];
    for (k, v) in [
        ("brd", &a.broadcast),
        ("dev", &a.dev),
        ("scope", &a.scope),
        ("label", &a.label),
        ("peer", &a.peer),
    ] {
        if let Some(v) = v {
            words.push(k.to_string());
            words.push(v.clone());
        }
    }
    words.extend(a.flags.iter().cloned());
    if a.no_track {
        words.push("no_track".into());
    }
    words.extend(super::track_group::words(&a.track_group));
    d.line(&words[0], &words[1..]);
}

/// A `track_*` entry: `NAME [weight W [reverse|noreverse]]`.
/// `None` when an option is unknown: keepalived then ignores the whole entry (the object
/// is not tracked, and a script only it names is never run).
pub fn track_ref(cx: &mut Lower, node: &Node, min: i64, max: i64) -> Option<TrackRef> {
    let mut r = TrackRef {
        name: node.keyword.text.to_string(),
        weight: None,
        reverse: false,
    };
    let mut i = 0;
    while i < node.args.len() {
        let t = &node.args[i];
        match t.text.as_str() {
            "weight" => {
                match node.args.get(i + 1) {
                    Some(v) => {
                        let v = v.clone();
                        r.weight = cx.int(&v, min, max).map(|w| w as i32);
                    }
                    None => cx.error(t.span, "weight needs a value"),
                }
                i += 2;
            }
            "reverse" => {
                r.reverse = true;
                i += 1;
            }
            "noreverse" => {
                r.reverse = false;
                i += 1;
            }
            other => {
                let owner = cx.owner.clone();
                cx.push(
                    Diagnostic::error(
                        t.span,
                        format!("({owner}) unknown track script option {other} - ignoring"),
                    )
                    .with_hint("write 'weight N', with spaces, optionally followed by 'reverse'; the entry is not tracked"),
                );
                return None;
            }
        }
    }
    Some(r)
}

/// Every entry of a `track_* { … }` block.
pub fn track_block(cx: &mut Lower, node: &Node, min: i64, max: i64) -> Vec<TrackRef> {
    node.children()
        .iter()
        .filter_map(|c| track_ref(cx, c, min, max))
        .collect()
}

/// Prints a `track_* { … }` block back (nothing when empty).
pub fn dump_tracks(d: &mut Dumper, kw: &str, v: &[TrackRef]) {
    if !v.is_empty() {
        d.block(kw, |d| v.iter().for_each(|r| dump_track_ref(d, r)));
    }
}

/// Prints a `track_*` entry back.
pub fn dump_track_ref(d: &mut Dumper, r: &TrackRef) {
    let mut w: Vec<String> = Vec::new();
    if let Some(x) = r.weight {
        w.push("weight".into());
        w.push(x.to_string());
    }
    if r.reverse {
        w.push("reverse".into());
    }
    d.line(&r.name, &w);
}

/// A script command as keepalived reads it: the first word is the command line (quote it to
/// pass arguments: `"CMD args"`), the second and third are the user and group to run it as.
/// An unquoted `notify_master /x.sh master` thus runs `/x.sh` as user `master`; we say so.
pub fn script_value(cx: &mut Lower, node: &Node) -> Option<Script> {
    let first = cx.arg(node, 0)?;
    let user = node.args.get(1).map(|u| {
        (
            u.text.to_string(),
            node.args.get(2).map(|g| g.text.to_string()),
        )
    });
    if !first.quoted && node.args.len() > 1 {
        let rest: Vec<&str> = node.args[1..].iter().map(|a| a.text.as_str()).collect();
        cx.push(
            Diagnostic::info(
                Some(node.args[1].span),
                format!(
                    "'{}' runs '{}' alone; '{}' is read as the user (and group) to run it as",
                    node.keyword.text,
                    first.text,
                    rest.join(" ")
                ),
            )
            .with_hint(format!(
                "to pass arguments, quote the whole command: {} \"{}\"",
                node.keyword.text,
                node.args_joined()
            )),
        );
    }
    Some(Script {
        command: first.text.to_string(),
        user: user.map(Box::new),
    })
}

/// Prints a script keyword back.
pub fn dump_script(d: &mut Dumper, kw: &str, s: &Option<Script>) {
    if let Some(s) = s {
        let mut words = vec![s.command.clone()];
        if let Some((u, g)) = s.user.as_deref() {
            words.push(u.clone());
            words.extend(g.clone());
        }
        // Force quotes on the command so trailing words read back as user/group.
        let mut line = format!("{kw} \"{}\"", s.command);
        for w in &words[1..] {
            line.push(' ');
            line.push_str(&crate::config::dump::quote(w));
        }
        d.line::<&str>(&line, &[]);
    }
}
