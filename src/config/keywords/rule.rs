//! A line of `virtual_rules` / `static_rules`, read as keepalived 2.2.7 reads it (same
//! options, same messages, same lines dropped), into a typed [`Rule`].

use super::routing_words::{self as words, Words};
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{Rule, RuleAction, RTPROT_KEEPALIVED};
use crate::config::syntax::{Node, Token};

/// Rule selectors keepalived accepts and this build cannot install, each with one value.
const UNSUPPORTED_WITH_VALUE: &[&str] = &[
    "tos",
    "dsfield",
    "fwmark",
    "realms",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "tunnel-id",
    "uidrange",
    "ipproto",
    "sport",
    "dport",
];

/// The first preference keepalived gives a rule written without one (it counts down
/// from here, separately for IPv4 and IPv6).
pub const FIRST_ASSIGNED_PREFERENCE: u32 = 16384;

/// Reads one rule line; `None` (after keepalived's message) for a line keepalived drops.
/// Only a rule that is kept takes a preference from the count-down.
pub fn rule_line(cx: &mut Lower, node: &Node) -> Option<Rule> {
    read_rule(cx, node, false)
}

/// A line of `static_rules`: a rule line that may also name a `track_group`.
pub fn static_rule_line(cx: &mut Lower, node: &Node) -> Option<Rule> {
    read_rule(cx, node, true)
}

fn read_rule(cx: &mut Lower, node: &Node, static_line: bool) -> Option<Rule> {
    let mut w = Words::of(node);
    let mut r = Rule {
        ipv6: false,
        from: None,
        to: None,
        not: false,
        preference: 0,
        preference_assigned: true,
        action: RuleAction::Nop,
        iif: None,
        oif: None,
        protocol: None,
        no_track: false,
        track_group: None,
        unsupported: None,
    };
    let mut family: Option<bool> = None;
    let mut action: Option<RuleAction> = None;
    while w.i < w.all.len() {
        let tok = w.current();
        match tok.text.as_str() {
            "inet" | "inet6" => w.family(cx, &mut family, "rule")?,
            side @ ("from" | "to") => {
                let v = w.value(cx)?;
                let Some(p) = words::prefix(cx, v) else {
                    cx.error(v.span, format!("Invalid rule {side} address {}", v.text));
                    return None;
                };
                if let Some(v6) = p.ipv6 {
                    if family.is_some_and(|f| f != v6) {
                        cx.error(v.span, "rule specification has mixed IPv4 and IPv6");
                        return None;
                    }
                    family = Some(v6);
                }
                if side == "from" {
                    r.from = p.prefix;
                } else {
                    r.to = p.prefix;
                }
            }
            "table" | "lookup" => {
                let v = w.value(cx)?;
                match words::table(&v.text) {
                    None => {
                        cx.error(
                            v.span,
                            format!("Routing table {} not found for rule", v.text),
                        );
                        return None;
                    }
                    Some(0) => {
                        cx.error(v.span, "Table 0 is not valid");
                        return None;
                    }
                    Some(t) => set_action(cx, &mut action, RuleAction::Table(t), tok, "")?,
                }
            }
            "not" => r.not = true,
            "preference" | "order" | "priority" => {
                let v = w.value(cx)?;
                let Some(p) = words::u32_value(cx, v) else {
                    cx.error(
                        v.span,
                        format!("Invalid rule preference {} specified", tok.text),
                    );
                    return None;
                };
                r.preference = p;
                r.preference_assigned = false;
            }
            "protocol" => {
                let v = w.value(cx)?;
                match v.text.parse::<u8>() {
                    Ok(p) => r.protocol = Some(p),
                    Err(_) => {
                        // keepalived reports it and keeps the rule.
                        cx.error(v.span, format!("invalid number '{}'", v.text));
                        cx.error(v.span, format!("Invalid protocol {}", v.text));
                    }
                }
            }
            "dev" | "iif" => r.iif = Some(w.value(cx)?.text.to_string()),
            "oif" => r.oif = Some(w.value(cx)?.text.to_string()),
            "no_track" => r.no_track = true,
            "track_group" if static_line => {
                let v = w.value(cx)?;
                if !super::track_group::reference(cx, &mut r.track_group, v) {
                    // keepalived stops reading the line there and keeps the rule.
                    break;
                }
            }
            "l3mdev" => {
                r.unsupported = r.unsupported.take().or(Some(w.unsupported()));
                set_action(cx, &mut action, RuleAction::Nop, tok, "/l3mdev")?;
            }
            o if UNSUPPORTED_WITH_VALUE.contains(&o) => {
                r.unsupported = r.unsupported.take().or(Some(w.unsupported()));
                w.value(cx)?;
            }
            _ => {
                let a = read_action(cx, &mut w)?;
                set_action(cx, &mut action, a, tok, "/l3mdev")?;
            }
        }
        w.i += 1;
    }
    r.action = finish_action(cx, node, &r, action)?;
    if !r.no_track && r.protocol.take().is_some_and(|p| p != RTPROT_KEEPALIVED) {
        cx.warn(
            node.keyword.span,
            format!("Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED({RTPROT_KEEPALIVED}), resetting protocol"),
        );
    }
    let has_iif = r.iif.is_some();
    super::track_group::needs_interface(
        cx,
        node,
        &mut r.track_group,
        has_iif,
        "Static rule cannot have track_group if dev/iif not specified",
    );
    r.ipv6 = family.unwrap_or(false);
    if r.preference_assigned {
        let next = if r.ipv6 {
            &mut cx.next_rule_preference_v6
        } else {
            &mut cx.next_rule_preference_v4
        };
        r.preference = FIRST_ASSIGNED_PREFERENCE - *next;
        *next += 1;
        cx.warn(
            node.keyword.span,
            format!(
                "Rule has no preference specified - setting to {}. This is probably not what you want.",
                r.preference
            ),
        );
    }
    words::report_unsupported(cx, node, "rule", &r.unsupported);
    Some(r)
}

/// `[type] goto N | nop | blackhole | unreachable | prohibit`, the words keepalived reads
/// when no option matches.
fn read_action(cx: &mut Lower, w: &mut Words) -> Option<RuleAction> {
    if w.current().text == "type" {
        w.value(cx)?;
    }
    let tok = w.current();
    match tok.text.as_str() {
        "goto" => {
            let v = w.value(cx)?;
            match words::u32_value(cx, v) {
                Some(t) => Some(RuleAction::Goto(t)),
                None => {
                    cx.error(v.span, format!("Invalid target {} specified", tok.text));
                    None
                }
            }
        }
        "nop" => Some(RuleAction::Nop),
        "blackhole" => Some(RuleAction::Blackhole),
        "unreachable" => Some(RuleAction::Unreachable),
        "prohibit" => Some(RuleAction::Prohibit),
        t if words::ROUTE_TYPES.contains(&t) => {
            cx.error(tok.span, format!("Invalid rule action {t}"));
            None
        }
        t => {
            cx.error(tok.span, format!("Unknown rule option {t}"));
            None
        }
    }
}

/// One action per rule.
fn set_action(
    cx: &mut Lower,
    action: &mut Option<RuleAction>,
    new: RuleAction,
    tok: &Token,
    also: &str,
) -> Option<()> {
    if action.is_some() {
        cx.error(
            tok.span,
            format!("Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable{also} for rule"),
        );
        return None;
    }
    *action = Some(new);
    Some(())
}

/// The checks keepalived makes once the line is read: a `goto` needs a lower preference of
/// its own, and a rule needs an action.
fn finish_action(
    cx: &mut Lower,
    node: &Node,
    r: &Rule,
    action: Option<RuleAction>,
) -> Option<RuleAction> {
    let span = node.keyword.span;
    match action {
        Some(RuleAction::Goto(target)) if r.preference_assigned => {
            cx.error(
                span,
                format!("Invalid rule - goto target {target} specified without preference"),
            );
            None
        }
        Some(RuleAction::Goto(target)) if r.preference >= target => {
            cx.error(
                span,
                format!(
                    "Invalid rule - preference {} >= goto target {target}",
                    r.preference
                ),
            );
            None
        }
        Some(a) => Some(a),
        None => {
            cx.error(span, "No action specified for rule - ignoring");
            None
        }
    }
}

/// The rule in `ip rule` words, the way `-d` and the data dump print it (a line this
/// build cannot install as written). An assigned preference is left out so the line
/// reads back the same.
pub fn rule_words(r: &Rule) -> Vec<String> {
    if let Some(u) = &r.unsupported {
        return u.words.clone();
    }
    let mut out: Vec<String> = Vec::new();
    let has_address = r.from.or(r.to).is_some();
    if r.ipv6 && !has_address {
        // keepalived steps over the word after `inet6`.
        out.extend(["inet6".into(), "inet6".into()]);
    }
    let mut pair = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(k.into());
            out.push(v);
        }
    };
    pair("from", r.from.map(|p| words::show_prefix(Some(p))));
    pair("to", r.to.map(|p| words::show_prefix(Some(p))));
    pair(
        "preference",
        (!r.preference_assigned).then(|| r.preference.to_string()),
    );
    pair("iif", r.iif.clone());
    pair("oif", r.oif.clone());
    pair("protocol", r.protocol.map(|p| p.to_string()));
    if r.not {
        out.push("not".into());
    }
    match r.action {
        RuleAction::Table(t) => out.extend(["table".into(), t.to_string()]),
        RuleAction::Goto(t) => out.extend(["goto".into(), t.to_string()]),
        RuleAction::Nop => out.push("nop".into()),
        RuleAction::Blackhole => out.push("blackhole".into()),
        RuleAction::Unreachable => out.push("unreachable".into()),
        RuleAction::Prohibit => out.push("prohibit".into()),
    }
    if r.no_track {
        out.push("no_track".into());
    }
    out.extend(super::track_group::words(&r.track_group));
    out
}

/// Prints a rule line back.
pub fn dump_rule(d: &mut Dumper, r: &Rule) {
    let w = rule_words(r);
    d.line(&w[0], &w[1..]);
}
