//! Lowering: syntax tree → typed [`Config`](super::model::Config), driven by the keyword
//! tables (the walk itself is `super::keywords`; this module holds its context).
//!
//! Each block kind has one table ([`super::keywords`]); a node is looked up there and its
//! `apply` function fills the model. Anything not in the table is an unknown keyword,
//! reported with the closest known one, and its block (if any) is skipped as a unit.

use super::diag::{Diagnostic, Severity};
use super::span::Span;
use super::syntax::{Node, Token};
use rustc_hash::FxHashMap;
use std::time::Duration;

/// Where things were written, for the cross-checks that run after lowering.
#[derive(Default, Debug, Clone)]
pub struct Spans {
    /// Instance name → span of its `vrrp_instance` keyword.
    pub instances: FxHashMap<String, Span>,
    /// Instance name → the keywords written in it (each at its first argument, or the
    /// keyword) and its closing `}`.
    pub instance_keywords: FxHashMap<String, KeywordSpans>,
    /// Script name → span of its `user` keyword.
    pub script_users: FxHashMap<String, Span>,
    /// `global_defs` keyword → span of its first argument (for checks made after lowering).
    pub global_keywords: FxHashMap<String, Span>,
    /// Script name → span of its `vrrp_script` block's closing `}`.
    pub scripts: FxHashMap<String, Span>,
    /// Sync group name → span.
    pub sync_groups: FxHashMap<String, Span>,
    /// `track_group` name → span: the groups a static line may name (those written
    /// before it).
    pub track_groups: FxHashMap<String, Span>,
    /// (owner, block keyword, index in that list) → span of a route or rule line; the
    /// owner is the instance, empty for `static_routes` / `static_rules`.
    pub routing_lines: FxHashMap<(String, &'static str, usize), Span>,
    /// (owner, tracked name) → span of the reference.
    pub track_refs: FxHashMap<(String, String), Span>,
    /// Address lines naming a device (`… dev IFNAME`): for the host check that the
    /// interface exists.
    pub address_devices: Vec<AddressDevice>,
    /// Interface → span of its `interface_up_down_delays` line (for the host check).
    pub up_down_delays: Vec<(String, Span)>,
    /// First and last line of every skipped (unsupported or unknown) block.
    pub skipped_blocks: Vec<(Span, u32)>,
    /// `{ … }` blocks attached to a keyword that takes none: we read their lines in the
    /// enclosing block and keep that block open; keepalived lets their `}` close it
    /// (DIFFERENCES.md C1). First and last line of each.
    pub misnested_blocks: Vec<(Span, u32)>,
}

/// An address line's `dev`, as written.
#[derive(Debug, Clone)]
pub struct AddressDevice {
    pub device: String,
    /// The address as written (keepalived's messages quote it so).
    pub address: String,
    /// The address word.
    pub span: Span,
}

/// The keywords written in one block, in order, each with the span of its first use (a few
/// dozen at most: a list is faster than a map, and needs no allocation per keyword).
#[derive(Default, Debug, Clone)]
pub struct KeywordSpans {
    keywords: Vec<(&'static str, Span)>,
    /// The block's closing `}` (keepalived reports its end-of-block checks there).
    pub end: Option<Span>,
}

impl KeywordSpans {
    /// Room for `n` keywords (a block's line count: no regrowth while it is read).
    pub fn with_capacity(n: usize) -> Self {
        KeywordSpans {
            keywords: Vec::with_capacity(n),
            end: None,
        }
    }

    /// Records `keyword` unless already recorded (the first use is the one reported).
    pub fn record(&mut self, keyword: &'static str, span: Span) {
        if self.get(keyword).is_none() {
            self.keywords.push((keyword, span));
        }
    }
    pub fn get(&self, keyword: &str) -> Option<Span> {
        self.keywords
            .iter()
            .find(|(k, _)| *k == keyword)
            .map(|(_, s)| *s)
    }
}

impl Spans {
    /// Where `keyword` was first written in instance `instance`, if it was.
    pub fn instance_keyword(&self, instance: &str, keyword: &str) -> Option<Span> {
        self.instance_keywords.get(instance)?.get(keyword)
    }
    /// The closing `}` of instance `instance`.
    pub fn instance_end(&self, instance: &str) -> Option<Span> {
        self.instance_keywords.get(instance)?.end
    }
}

/// The lowering context: diagnostics and spans collected while applying keywords.
pub struct Lower {
    pub diags: Vec<Diagnostic>,
    pub spans: Spans,
    /// Set once keepalived would have stopped reading (a keyword missing its value).
    pub aborted: bool,
    /// Name of the block being lowered, for keepalived's `(VI_1) …` message prefixes.
    pub owner: String,
    /// IPv4 / IPv6 rules given a default preference so far (keepalived counts down from
    /// 16384 per family).
    pub next_rule_preference_v4: u32,
    pub next_rule_preference_v6: u32,
    /// The LVS sync daemon interface, once an instance (1.x style) has named one: keepalived
    /// keeps a single, process-wide one and ignores later ones.
    pub lvs_sync_daemon_interface: Option<String>,
    /// The first token of the line after the node being applied (keepalived reports a missing
    /// `{` there: it is the line it read expecting one).
    pub next_line: Option<Span>,
    /// What the LVS blocks (checked, never run) said, for keepalived's checks at the end.
    pub lvs: super::lvs::Facts,
}

impl Default for Lower {
    fn default() -> Self {
        Self::new()
    }
}

impl Lower {
    pub fn new() -> Self {
        Lower {
            diags: Vec::new(),
            spans: Spans::default(),
            aborted: false,
            owner: String::new(),
            next_rule_preference_v4: 0,
            next_rule_preference_v6: 0,
            lvs_sync_daemon_interface: None,
            next_line: None,
            lvs: super::lvs::Facts::default(),
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
    pub fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }
    pub fn warn(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::warning(span, msg));
    }

    /// The `i`-th argument (0-based), or keepalived's fatal "missing a parameter" error.
    pub fn arg<'n>(&mut self, node: &'n Node, i: usize) -> Option<&'n Token> {
        if let Some(t) = node.args.get(i) {
            return Some(t);
        }
        if !self.aborted {
            let kw = &node.keyword.text;
            self.push(
                Diagnostic::new(
                    Severity::Error,
                    Some(node.keyword.span),
                    format!(
                        "*** Configuration line starting `{kw}` is missing a parameter after keyword `{kw}` at word position {}",
                        i + 2
                    ),
                )
                .with_hint(format!("give '{kw}' a value; keepalived stops reading the configuration here"))
                .aborting(),
            );
            self.aborted = true;
        }
        None
    }

    /// An integer in `[min, max]` with keepalived 2.x's messages.
    pub fn int(&mut self, tok: &Token, min: i64, max: i64) -> Option<i64> {
        match tok.text.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            Ok(_) => {
                self.push(
                    Diagnostic::error(
                        tok.span,
                        format!("number '{}' outside range [{min}, {max}]", tok.text),
                    )
                    .with_hint(format!("use a value from {min} to {max}")),
                );
                None
            }
            Err(_) => {
                self.push(
                    Diagnostic::error(tok.span, format!("invalid number '{}'", tok.text))
                        .with_hint(format!("expected a whole number from {min} to {max}")),
                );
                None
            }
        }
    }

    /// The `i`-th argument as an integer in range; missing argument aborts.
    pub fn int_arg(&mut self, node: &Node, i: usize, min: i64, max: i64) -> Option<i64> {
        let tok = self.arg(node, i)?.clone();
        self.int(&tok, min, max)
    }

    /// A decimal number of seconds in `[min, max]` (µs precision, as keepalived's
    /// `read_decimal_unsigned_strvec` with 6 digits).
    pub fn secs(&mut self, tok: &Token, min: Duration, max: Duration) -> Option<Duration> {
        let range = || {
            format!(
                "[{}, {}]",
                fmt_decimal_secs(min, true),
                fmt_decimal_secs(max, true)
            )
        };
        match parse_decimal_micros(&tok.text) {
            Some(us) => {
                let d = Duration::from_micros(us);
                if d < min || d > max {
                    self.push(
                        Diagnostic::error(
                            tok.span,
                            format!("number '{}' outside range {}", tok.text, range()),
                        )
                        .with_hint(format!("use a number of seconds in {}", range())),
                    );
                    None
                } else {
                    Some(d)
                }
            }
            None => {
                self.push(
                    Diagnostic::error(tok.span, format!("invalid number '{}'", tok.text))
                        .with_hint("expected a number of seconds, e.g. 1 or 0.5"),
                );
                None
            }
        }
    }

    /// keepalived's boolean: bare keyword = true; else on/off, true/false, yes/no.
    pub fn boolean(&mut self, node: &Node) -> bool {
        match node.args.first() {
            None => true,
            Some(t) => match t.text.to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" => true,
                "off" | "false" | "no" => false,
                _ => {
                    self.push(
                        Diagnostic::error(
                            t.span,
                            format!(
                                "Invalid boolean value '{}' for {}",
                                t.text, node.keyword.text
                            ),
                        )
                        .with_hint("use on/off, true/false or yes/no (or the bare keyword for on)"),
                    );
                    true
                }
            },
        }
    }
}

/// Parses `12`, `0.5`, `1.000001` into microseconds (at most 6 decimals, no sign).
pub fn parse_decimal_micros(s: &str) -> Option<u64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 6
    {
        return None;
    }
    let i: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let f: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().ok()?
    };
    i.checked_mul(1_000_000)?.checked_add(f)
}

/// Formats seconds as keepalived prints ranges (`0.000001`, `4294.967295`) or, with
/// `fixed = false`, as short as possible (`1`, `0.5`) for `--dump-conf`.
pub fn fmt_decimal_secs(d: Duration, fixed: bool) -> String {
    let us = d.as_micros();
    let (i, f) = (us / 1_000_000, us % 1_000_000);
    if f == 0 {
        return i.to_string();
    }
    let s = format!("{i}.{f:06}");
    if fixed {
        s
    } else {
        s.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_seconds() {
        assert_eq!(parse_decimal_micros("1"), Some(1_000_000));
        assert_eq!(parse_decimal_micros("0.5"), Some(500_000));
        assert_eq!(parse_decimal_micros(".25"), Some(250_000));
        assert_eq!(parse_decimal_micros("1.0000001"), None);
        assert_eq!(parse_decimal_micros("-1"), None);
        assert_eq!(parse_decimal_micros("x"), None);
        assert_eq!(parse_decimal_micros("."), None);
        assert_eq!(fmt_decimal_secs(Duration::from_micros(1), true), "0.000001");
        assert_eq!(
            fmt_decimal_secs(Duration::from_micros(4_294_967_295), true),
            "4294.967295"
        );
        assert_eq!(fmt_decimal_secs(Duration::from_millis(500), false), "0.5");
    }
}
