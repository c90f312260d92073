//! A line of `virtual_routes` / `static_routes`, read as keepalived 2.2.7 reads it (same
//! options, same messages, same lines dropped), into a typed [`Route`].

use super::nexthop::{self, Hops};
use super::routing_words::{self as words, Words};
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{Route, RouteType, RTPROT_KEEPALIVED};
use crate::config::syntax::Node;

/// Route options keepalived accepts and this build cannot install, each with one value.
const UNSUPPORTED_WITH_VALUE: &[&str] = &[
    "from",
    "tos",
    "dsfield",
    "expires",
    "hoplimit",
    "window",
    "initcwnd",
    "initrwnd",
    "features",
    "quickack",
    "pref",
    "ttl-propagate",
    "fastopen_no_cookie",
    "realms",
    "vrf",
];
/// The same, with an optional `lock` before the value.
const UNSUPPORTED_LOCKABLE: &[&str] = &[
    "mtu",
    "advmss",
    "rtt",
    "rttvar",
    "reordering",
    "cwnd",
    "ssthresh",
    "rto_min",
    "congctl",
];
/// The same, taking the rest of the line (the old multipath form, encapsulation, MPLS).
const UNSUPPORTED_REST: &[&str] = &["or", "encap", "as"];

/// Reads one route line; `None` (after keepalived's message) for a line keepalived drops.
pub fn route_line(cx: &mut Lower, node: &Node) -> Option<Route> {
    read_route(cx, node, false)
}

/// A line of `static_routes`: a route line that may also name a `track_group`.
pub fn static_route_line(cx: &mut Lower, node: &Node) -> Option<Route> {
    read_route(cx, node, true)
}

fn read_route(cx: &mut Lower, node: &Node, static_line: bool) -> Option<Route> {
    let mut w = Words::of(node);
    let mut r = Route {
        ipv6: false,
        destination: None,
        kind: RouteType::Unicast,
        via: None,
        dev: None,
        src: None,
        table: 254,
        metric: None,
        scope: None,
        protocol: None,
        no_track: false,
        nexthops: Vec::new(),
        track_group: None,
        unsupported: None,
    };
    let mut family: Option<bool> = None;
    let mut destination: Option<String> = None;
    while w.i < w.all.len() {
        let tok = w.current();
        match tok.text.as_str() {
            "inet" | "inet6" => w.family(cx, &mut family, "route")?,
            "src" => {
                let v = w.value(cx)?;
                let Some(a) = words::address(cx, v) else {
                    cx.error(v.span, format!("invalid route src address {}", v.text));
                    return None;
                };
                mix(cx, &mut family, a.is_ipv6(), tok, "")?;
                r.src = Some(a);
            }
            via @ ("via" | "gw") => {
                if via == "gw" {
                    cx.warn(
                        tok.span,
                        "\"gw\" for routes is deprecated. Please use \"via\"",
                    );
                }
                let mut v = w.value(cx)?;
                if matches!(v.text.as_str(), "inet" | "inet6") {
                    v = w.value(cx)?;
                }
                let Some(a) = words::address(cx, v) else {
                    cx.error(v.span, format!("invalid route via address {}", v.text));
                    return None;
                };
                mix(cx, &mut family, a.is_ipv6(), tok, "")?;
                r.via = Some(a);
            }
            "table" | "protocol" | "scope" | "metric" | "priority" | "preference" => {
                read_number_option(cx, &mut w, &mut r)?
            }
            "dev" | "oif" => r.dev = Some(w.value(cx)?.text.to_string()),
            "no_track" => r.no_track = true,
            "nexthop" => {
                match nexthop::hops(cx, &mut w, &mut family) {
                    Hops::Read(hops) => r.nexthops = hops,
                    Hops::Unsupported => r.unsupported = r.unsupported.or(Some(w.unsupported())),
                }
                w.i = w.all.len();
            }
            "track_group" if static_line => {
                let v = w.value(cx)?;
                if !super::track_group::reference(cx, &mut r.track_group, v) {
                    // keepalived stops reading there and finds the rest left over.
                    cx.error(v.span, format!("Route has trailing nonsense - {}", v.text));
                    return None;
                }
            }
            "add" | "prepend" => {}
            "onlink" | "append" => r.unsupported = r.unsupported.or(Some(w.unsupported())),
            o if UNSUPPORTED_WITH_VALUE.contains(&o) => {
                r.unsupported = r.unsupported.or(Some(w.unsupported()));
                w.value(cx)?;
            }
            o if UNSUPPORTED_LOCKABLE.contains(&o) => {
                r.unsupported = r.unsupported.or(Some(w.unsupported()));
                if w.value(cx)?.text == "lock" {
                    w.value(cx)?;
                }
            }
            o if UNSUPPORTED_REST.contains(&o) => {
                if o == "or" {
                    cx.warn(
                        tok.span,
                        "\"or\" for routes is deprecated. Please use \"nexthop\"",
                    );
                }
                r.unsupported = r.unsupported.or(Some(w.unsupported()));
                w.i = w.all.len();
            }
            _ => destination = Some(read_destination(cx, &mut w, &mut r, &mut family)?),
        }
        w.i += 1;
    }
    let Some(destination) = destination else {
        cx.error(node.keyword.span, "Route must have a destination");
        return None;
    };
    r.ipv6 = family.unwrap_or(false);
    tracking_checks(cx, node, &mut r, &destination);
    let has_dev = r.dev.is_some();
    super::track_group::needs_interface(
        cx,
        node,
        &mut r.track_group,
        has_dev,
        "Static route cannot have track group if no oif specified",
    );
    words::report_unsupported(cx, node, "route", &r.unsupported);
    Some(r)
}

/// `table`, `protocol`, `scope` and `metric` (alias `priority`, `preference`): a name or
/// number each; a bad one drops the route.
fn read_number_option(cx: &mut Lower, w: &mut Words, r: &mut Route) -> Option<()> {
    let option = w.current().text.to_string();
    let v = w.value(cx)?;
    match option.as_str() {
        "table" => {
            let Some(t) = words::table(&v.text) else {
                cx.error(
                    v.span,
                    format!("Routing table {} not found for route", v.text),
                );
                return None;
            };
            r.table = t;
        }
        "protocol" => {
            let Some(p) = words::protocol(&v.text) else {
                cx.error(
                    v.span,
                    format!("Protocol {} not found or invalid for route", v.text),
                );
                return None;
            };
            r.protocol = Some(p);
        }
        "scope" => {
            let Some(s) = words::scope(&v.text) else {
                cx.error(
                    v.span,
                    format!("Scope {} not found or invalid for route", v.text),
                );
                return None;
            };
            r.scope = Some(s);
        }
        _ => {
            let Some(m) = words::u32_value(cx, v) else {
                cx.error(
                    v.span,
                    format!("Invalid metric {} specified for route", v.text),
                );
                return None;
            };
            r.metric = Some(m);
        }
    }
    Some(())
}

/// `[to] [TYPE] PREFIX`, the word keepalived reads when no option matches.
fn read_destination(
    cx: &mut Lower,
    w: &mut Words,
    r: &mut Route,
    family: &mut Option<bool>,
) -> Option<String> {
    if w.current().text == "to" {
        w.value(cx)?;
    }
    let kind = w.current().text.to_string();
    if words::ROUTE_TYPES.contains(&kind.as_str()) {
        r.kind = match kind.as_str() {
            "unicast" => RouteType::Unicast,
            "blackhole" => RouteType::Blackhole,
            "unreachable" => RouteType::Unreachable,
            "prohibit" => RouteType::Prohibit,
            _ => {
                r.unsupported = r.unsupported.take().or(Some(w.unsupported()));
                RouteType::Unicast
            }
        };
        w.value(cx)?;
    }
    let tok = w.current();
    let Some(p) = words::prefix(cx, tok) else {
        cx.error(tok.span, format!("unknown route keyword {}", tok.text));
        return None;
    };
    if let Some(v6) = p.ipv6 {
        let shown = format!(" ({})", tok.text);
        mix(cx, family, v6, tok, &shown)?;
    }
    r.destination = p.prefix;
    Some(tok.text.to_string())
}

/// Fixes the family on first use; a later address of the other family drops the route.
fn mix(
    cx: &mut Lower,
    family: &mut Option<bool>,
    v6: bool,
    tok: &crate::config::syntax::Token,
    shown: &str,
) -> Option<()> {
    match *family {
        Some(f) if f != v6 => {
            cx.error(
                tok.span,
                format!("Cannot mix IPv4 and IPv6 addresses for route{shown}"),
            );
            None
        }
        _ => {
            *family = Some(v6);
            Some(())
        }
    }
}

/// keepalived tracks a route through its interface: without one it warns and stops
/// tracking; a tracked route always carries keepalived's protocol.
fn tracking_checks(cx: &mut Lower, node: &Node, r: &mut Route, destination: &str) {
    if r.no_track {
        return;
    }
    if r.protocol.is_some_and(|p| p != RTPROT_KEEPALIVED) {
        cx.warn(
            node.keyword.span,
            format!("Route cannot be tracked if protocol is not RTPROT_KEEPALIVED({RTPROT_KEEPALIVED}), resetting protocol"),
        );
    }
    r.protocol = None;
    if r.dev.is_none() {
        cx.push(
            crate::config::diag::Diagnostic::warning(
                node.keyword.span,
                format!("Warning - cannot track route {destination} with no interface specified, not tracking"),
            )
            .with_hint("add 'dev IFNAME' to the route, or 'no_track'"),
        );
        r.no_track = true;
    }
}

/// The route in `ip route` words, the way `-d` and the data dump print it (a line this
/// build cannot install as written).
pub fn route_words(r: &Route) -> Vec<String> {
    if let Some(u) = &r.unsupported {
        return u.words.clone();
    }
    let mut out: Vec<String> = Vec::new();
    match r.kind {
        RouteType::Unicast => {}
        RouteType::Blackhole => out.push("blackhole".into()),
        RouteType::Unreachable => out.push("unreachable".into()),
        RouteType::Prohibit => out.push("prohibit".into()),
    }
    let v6_elsewhere = r.via.or(r.src).is_some_and(|a| a.is_ipv6());
    out.push(match r.destination {
        None if r.ipv6 && !v6_elsewhere => "default6".into(),
        d => words::show_prefix(d),
    });
    let mut pair = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(k.into());
            out.push(v);
        }
    };
    pair("via", r.via.map(|a| a.to_string()));
    pair("dev", r.dev.clone());
    pair("src", r.src.map(|a| a.to_string()));
    pair("table", (r.table != 254).then(|| r.table.to_string()));
    pair("metric", r.metric.map(|m| m.to_string()));
    pair("scope", r.scope.map(words::scope_name));
    pair("protocol", r.protocol.map(|p| p.to_string()));
    if r.no_track {
        out.push("no_track".into());
    }
    out.extend(r.nexthops.iter().flat_map(nexthop::hop_words));
    out.extend(super::track_group::words(&r.track_group));
    out
}

/// Prints a route line back.
pub fn dump_route(d: &mut Dumper, r: &Route) {
    let w = route_words(r);
    d.line(&w[0], &w[1..]);
}
