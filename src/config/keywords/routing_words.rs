//! What route and rule lines have in common: walking their words, the names `ip` knows
//! for tables, scopes, protocols and route types, and keepalived's way of reading an
//! `ADDR[/LEN]` prefix (with its messages).

use crate::config::diag::{Diagnostic, Severity};
use crate::config::lower::Lower;
use crate::config::model::UnsupportedLine;
use crate::config::syntax::{Node, Token};
use std::net::IpAddr;

/// The words of one route or rule line with a cursor.
pub struct Words<'n> {
    pub all: Vec<&'n Token>,
    pub i: usize,
}

impl<'n> Words<'n> {
    pub fn of(node: &'n Node) -> Self {
        Words {
            all: std::iter::once(&node.keyword)
                .chain(node.args.iter())
                .collect(),
            i: 0,
        }
    }

    pub fn current(&self) -> &'n Token {
        self.all[self.i]
    }

    /// Moves to the value of the option at the cursor. At the end of the line keepalived
    /// reports the missing parameter and stops reading the configuration.
    pub fn value(&mut self, cx: &mut Lower) -> Option<&'n Token> {
        let option = self.current();
        self.i += 1;
        if let Some(t) = self.all.get(self.i) {
            return Some(t);
        }
        if !cx.aborted {
            cx.push(
                Diagnostic::new(
                    Severity::Error,
                    Some(option.span),
                    format!(
                        "*** Configuration line starting `{}` is missing a parameter after keyword `{}` at word position {}",
                        self.all[0].text,
                        option.text,
                        self.i + 1
                    ),
                )
                .with_hint(format!("give '{}' a value; keepalived stops reading the configuration here", option.text))
                .aborting(),
            );
            cx.aborted = true;
        }
        None
    }

    /// `inet` / `inet6` at the cursor: fixes the line's family (`what` is "route" or
    /// "rule", for keepalived's message when it contradicts an earlier one, which drops
    /// the line: `None`). keepalived steps over the word after the family too.
    pub fn family(&mut self, cx: &mut Lower, family: &mut Option<bool>, what: &str) -> Option<()> {
        let tok = self.current();
        let v6 = tok.text == "inet6";
        if family.is_some_and(|x| x != v6) {
            let other = if v6 { "IPv4" } else { "IPv6" };
            cx.error(
                tok.span,
                format!("{} specified for {other} {what}", tok.text),
            );
            return None;
        }
        *family = Some(v6);
        self.i += 1;
        Some(())
    }

    /// The whole line as written, marked as not installable because of the word at the
    /// cursor.
    pub fn unsupported(&self) -> UnsupportedLine {
        UnsupportedLine {
            option: self.current().text.to_string(),
            words: self.all.iter().map(|t| t.text.to_string()).collect(),
        }
    }
}

/// Routing table by number or by the names every `rt_tables` file has.
pub fn table(text: &str) -> Option<u32> {
    match text {
        "default" => Some(253),
        "main" => Some(254),
        "local" => Some(255),
        _ => text.parse().ok(),
    }
}

/// Scope by number or `ip` name.
pub fn scope(text: &str) -> Option<u8> {
    match text {
        "global" | "universe" => Some(0),
        "site" => Some(200),
        "link" => Some(253),
        "host" => Some(254),
        "nowhere" => Some(255),
        _ => text.parse().ok(),
    }
}

/// The name `ip` gives a scope number (for `-d`).
pub fn scope_name(n: u8) -> String {
    match n {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        _ => n.to_string(),
    }
}

/// Routing protocol by number or `rt_protos` name.
pub fn protocol(text: &str) -> Option<u8> {
    const NAMES: &[(&str, u8)] = &[
        ("unspec", 0),
        ("redirect", 1),
        ("kernel", 2),
        ("boot", 3),
        ("static", 4),
        ("gated", 8),
        ("ra", 9),
        ("mrt", 10),
        ("zebra", 11),
        ("bird", 12),
        ("dnrouted", 13),
        ("xorp", 14),
        ("ntk", 15),
        ("dhcp", 16),
        ("keepalived", 18),
        ("babel", 42),
        ("bgp", 186),
        ("isis", 187),
        ("ospf", 188),
        ("rip", 189),
        ("eigrp", 192),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == text)
        .map(|(_, v)| *v)
        .or_else(|| text.parse().ok())
}

/// Route type names (`ip route`'s `TYPE`), the ones a rule can also use as its action.
pub const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "anycast",
    "multicast",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
    "nat",
    "xresolve",
];

/// An unsigned 32-bit value with keepalived's messages (`read_unsigned`).
pub fn u32_value(cx: &mut Lower, tok: &Token) -> Option<u32> {
    match tok.text.parse::<u64>() {
        Ok(v) => u32::try_from(v).ok().or_else(|| {
            cx.error(
                tok.span,
                format!("number '{}' outside unsigned integer range", tok.text),
            );
            None
        }),
        Err(_) => {
            cx.error(tok.span, format!("invalid number '{}'", tok.text));
            None
        }
    }
}

/// A parsed `ADDR[/LEN]` (or `default`): the prefix (`None` = all addresses) and its
/// family when the text fixes one.
pub struct Prefix {
    pub prefix: Option<(IpAddr, u8)>,
    pub ipv6: Option<bool>,
}

/// keepalived's reading of a route destination or rule selector: `default`, `any`, `all`
/// (any family), `default6`, or an address with an optional length. A bad length is
/// reported and replaced by the full length; a bad address is reported and `None`.
pub fn prefix(cx: &mut Lower, tok: &Token) -> Option<Prefix> {
    let text = tok.text.as_str();
    match text {
        "default" | "any" | "all" => {
            return Some(Prefix {
                prefix: None,
                ipv6: None,
            })
        }
        "default6" => {
            return Some(Prefix {
                prefix: None,
                ipv6: Some(true),
            })
        }
        _ => {}
    }
    let ipv6 = text.contains(':');
    let max: u8 = if ipv6 { 128 } else { 32 };
    let (address, len) = match text.split_once('/') {
        Some((a, l)) => (a, prefix_len(cx, tok, text, l, max)),
        None => (text, max),
    };
    let parsed: Option<IpAddr> = address
        .parse()
        .ok()
        .filter(|a: &IpAddr| a.is_ipv6() == ipv6);
    match parsed {
        Some(a) => Some(Prefix {
            prefix: Some((a, len)),
            ipv6: Some(ipv6),
        }),
        None => {
            invalid_ip(cx, tok);
            None
        }
    }
}

fn prefix_len(cx: &mut Lower, tok: &Token, text: &str, len: &str, max: u8) -> u8 {
    let problem = match len.parse::<u64>() {
        Ok(v) if v <= u64::from(max) => return v as u8,
        Ok(_) => format!("number '{len}' outside range [0, {max}]"),
        Err(_) => format!("invalid number '{len}'"),
    };
    cx.error(tok.span, problem);
    cx.error(
        tok.span,
        format!("Invalid address prefix len {len} for address {text} - using {max}"),
    );
    max
}

/// keepalived's message for an address it cannot read.
pub fn invalid_ip(cx: &mut Lower, tok: &Token) {
    cx.push(
        Diagnostic::error(
            tok.span,
            format!("VRRP parsed invalid IP {}. skipping IP...", tok.text),
        )
        .with_hint("write an IPv4 or IPv6 address, optionally with /PREFIX"),
    );
}

/// A plain address (no length), as `src` and `via` take.
pub fn address(cx: &mut Lower, tok: &Token) -> Option<IpAddr> {
    let ipv6 = tok.text.contains(':');
    let parsed = tok
        .text
        .parse::<IpAddr>()
        .ok()
        .filter(|a| a.is_ipv6() == ipv6);
    if parsed.is_none() {
        invalid_ip(cx, tok);
    }
    parsed
}

/// Prints a prefix back (`None` as `default`).
pub fn show_prefix(p: Option<(IpAddr, u8)>) -> String {
    match p {
        Some((a, l)) => format!("{a}/{l}"),
        None => "default".into(),
    }
}

/// Reads every line of a route or rule block into `list` (lines keepalived drops are left
/// out), recording where each kept line is: the host checks made after reading report
/// a missing interface there. `owner` is the instance, empty for the static blocks.
pub fn read_block<T>(
    cx: &mut Lower,
    owner: &str,
    keyword: &'static str,
    node: &Node,
    list: &mut Vec<T>,
    line: fn(&mut Lower, &Node) -> Option<T>,
) {
    for c in node.children() {
        if let Some(entry) = line(cx, c) {
            cx.spans
                .routing_lines
                .insert((owner.to_owned(), keyword, list.len()), c.keyword.span);
            list.push(entry);
        }
    }
}

/// Says, once per line, that a line keepalived would install is kept but not installed
/// (`kind` is `route` or `rule`).
pub fn report_unsupported(cx: &mut Lower, node: &Node, kind: &str, line: &Option<UnsupportedLine>) {
    if let Some(u) = line {
        cx.push(
            Diagnostic::warning(
                node.keyword.span,
                format!(
                    "{kind} option '{}' is not supported by this build: {kind} not installed",
                    u.option
                ),
            )
            .with_hint(
                "see conformance/DIFFERENCES.md; a notify_master script can install it meanwhile",
            ),
        );
    }
}
