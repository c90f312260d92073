//! The interfaces named by routes (`dev`/`oif`) and rules (`iif`/`dev`/`oif`) of
//! `virtual_routes`, `virtual_rules`, `static_routes` and `static_rules`. keepalived looks
//! each one up while reading the line and drops the line when the interface is missing
//! (without `dynamic_interfaces`); the daemon then refuses to start, as for a missing
//! instance interface.

use super::diag::{Diagnostic, Severity};
use super::lower::Lower;
use super::model::{Config, Route, Rule};

/// Drops the routes and rules naming a missing interface, with keepalived's messages.
/// Returns true when one was dropped. `exists` answers (and caches) interface look-ups.
pub fn check_routing_interfaces(
    cfg: &mut Config,
    cx: &mut Lower,
    exists: &mut dyn FnMut(&str) -> bool,
) -> bool {
    let mut missing = keep_routes(cx, "", "static_routes", &mut cfg.static_routes, exists);
    for inst in &mut cfg.instances {
        let owner = inst.name.clone();
        let routes = &mut inst.virtuals.virtual_routes;
        missing |= keep_routes(cx, &owner, "virtual_routes", routes, exists);
    }
    let mut doomed = missing_rule_interfaces(cfg, cx, exists);
    // Lowest first: renumbering for one dropped rule leaves the higher ones' numbers valid.
    doomed.sort_by_key(|d| d.assigned);
    for line in &doomed {
        renumber_after(cfg, cx, line);
    }
    let gone = |owner: &str, keyword: &str, index: usize| {
        doomed
            .iter()
            .any(|d| d.owner == owner && d.keyword == keyword && d.index == index)
    };
    let mut index = 0;
    cfg.static_rules.retain(|_| {
        index += 1;
        !gone("", "static_rules", index - 1)
    });
    for inst in &mut cfg.instances {
        let mut index = 0;
        inst.virtuals.virtual_rules.retain(|_| {
            index += 1;
            !gone(&inst.name, "virtual_rules", index - 1)
        });
    }
    missing || !doomed.is_empty()
}

/// Where a rule line is: its block's owner (instance, or empty) and keyword, and its
/// place in that list.
struct RuleLine {
    owner: String,
    keyword: &'static str,
    index: usize,
    ipv6: bool,
    /// The preference keepalived assigned it, if it was not written.
    assigned: Option<u32>,
}

/// Every rule list of the configuration with its owner and keyword.
fn rule_lists(cfg: &mut Config) -> Vec<(String, &'static str, &mut Vec<Rule>)> {
    std::iter::once((String::new(), "static_rules", &mut cfg.static_rules))
        .chain(cfg.instances.iter_mut().map(|i| {
            (
                i.name.clone(),
                "virtual_rules",
                &mut i.virtuals.virtual_rules,
            )
        }))
        .collect()
}

/// Reports each rule naming a missing interface and returns where they are.
fn missing_rule_interfaces(
    cfg: &mut Config,
    cx: &mut Lower,
    exists: &mut dyn FnMut(&str) -> bool,
) -> Vec<RuleLine> {
    let mut doomed = Vec::new();
    for (owner, keyword, rules) in rule_lists(cfg) {
        for (index, r) in rules.iter().enumerate() {
            let absent = [&r.iif, &r.oif]
                .into_iter()
                .flatten()
                .find(|d| !exists(d.as_str()));
            if let Some(dev) = absent {
                let span = line_span(cx, &owner, keyword, index);
                report(
                    cx,
                    span,
                    format!("WARNING - interface {dev} for rule doesn't exist"),
                );
                doomed.push(RuleLine {
                    owner: owner.clone(),
                    keyword,
                    index,
                    ipv6: r.ipv6,
                    assigned: r.preference_assigned.then_some(r.preference),
                });
            }
        }
    }
    doomed
}

fn keep_routes(
    cx: &mut Lower,
    owner: &str,
    keyword: &'static str,
    routes: &mut Vec<Route>,
    exists: &mut dyn FnMut(&str) -> bool,
) -> bool {
    let mut missing = false;
    let mut index = 0;
    routes.retain_mut(|r| {
        let span = line_span(cx, owner, keyword, index);
        index += 1;
        let message =
            |dev: &str| format!("WARNING - interface {dev} for VROUTE nexthop doesn't exist");
        if let Some(dev) = r.dev.as_deref().filter(|d| !exists(d)) {
            report(cx, span, message(dev));
            missing = true;
            return false;
        }
        // keepalived drops a path on a missing interface, and the paths after it.
        let gone = r
            .nexthops
            .iter()
            .position(|h| h.dev.as_deref().is_some_and(|d| !exists(d)));
        if let Some(k) = gone {
            let dev = r.nexthops[k].dev.clone().unwrap_or_default();
            report(cx, span, message(&dev));
            missing = true;
            r.nexthops.truncate(k);
        }
        true
    });
    missing
}

fn line_span(
    cx: &Lower,
    owner: &str,
    keyword: &'static str,
    index: usize,
) -> Option<super::span::Span> {
    cx.spans
        .routing_lines
        .get(&(owner.to_owned(), keyword, index))
        .copied()
}

fn report(cx: &mut Lower, span: Option<super::span::Span>, message: String) {
    cx.push(
        Diagnostic::new(Severity::Error, span, message)
            .with_hint("check the name with 'ip link'; set dynamic_interfaces in global_defs if it appears later")
            .host_dependent(),
    );
}

/// keepalived drops the line before it gives it a preference: its announcement goes, and
/// every rule of the same family given one after it (a lower number) moves up by one, in
/// the model and in the message that announced it.
fn renumber_after(cfg: &mut Config, cx: &mut Lower, gone: &RuleLine) {
    let Some(gone_preference) = gone.assigned else {
        return;
    };
    let is_announcement = |m: &str| m.starts_with("Rule has no preference specified");
    let own = line_span(cx, &gone.owner, gone.keyword, gone.index);
    cx.diags
        .retain(|d| !(d.span.is_some() && d.span == own && is_announcement(&d.message)));
    for (owner, keyword, rules) in rule_lists(cfg) {
        for (index, rule) in rules.iter_mut().enumerate() {
            let moves = rule.preference_assigned
                && rule.ipv6 == gone.ipv6
                && rule.preference < gone_preference;
            if !moves {
                continue;
            }
            rule.preference += 1;
            let span = line_span(cx, &owner, keyword, index);
            if let Some(d) = cx
                .diags
                .iter_mut()
                .find(|d| d.span.is_some() && d.span == span && is_announcement(&d.message))
            {
                d.message = format!(
                    "Rule has no preference specified - setting to {}. This is probably not what you want.",
                    rule.preference
                );
            }
        }
    }
}
