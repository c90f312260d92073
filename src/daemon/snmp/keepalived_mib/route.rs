//! `vrrpRouteTable` (`.2.7`): the static routes (indexed (0, n)), then per instance its
//! virtual routes (indexed (instance, n)).
//!
//! Routes are read back from the words the status views keep of them (`[TYPE] DEST
//! [via GW] [dev IF] [src A] [table N] [metric M] [scope S] [protocol P] [no_track]`).
//! keepalived shows a tracked route's protocol (its own, 18) and a `no_track` route's only
//! when written; ECN and quick-ack are always there (false: this build sets neither). A
//! multipath route's paths are in `vrrpRouteNextHopTable` (next_hop.rs).

use super::address::scope;
use super::next_hop::hops;
use super::{address_bytes, address_type, text, truth, Inputs, Table};
use crate::config::keywords::route::route_words;
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// keepalived's own routing protocol number.
const RTPROT_KEEPALIVED: i32 = 18;

#[derive(Debug, Default, PartialEq, Eq)]
struct RouteLine {
    /// keepalived's route type column: unicast(1), blackhole(3), unreachable(7),
    /// prohibit(8).
    kind: i32,
    dst: Option<(IpAddr, u8)>,
    via: Option<IpAddr>,
    dev: Option<String>,
    src: Option<IpAddr>,
    table: u32,
    metric: u32,
    scope: String,
    protocol: Option<i32>,
    no_track: bool,
}

fn prefix(word: &str) -> Option<(IpAddr, u8)> {
    match word {
        "default" | "any" | "all" => Some((Ipv4Addr::UNSPECIFIED.into(), 0)),
        "default6" => Some((Ipv6Addr::UNSPECIFIED.into(), 0)),
        w => {
            let (a, l) = w.split_once('/').unwrap_or((w, ""));
            let a: IpAddr = a.parse().ok()?;
            let full = if a.is_ipv4() { 32 } else { 128 };
            Some((a, l.parse().unwrap_or(full)))
        }
    }
}

fn parse(line: &str) -> RouteLine {
    let mut words = line.split_whitespace().peekable();
    let kind = match words.peek().copied() {
        Some("blackhole") => 3,
        Some("unreachable") => 7,
        Some("prohibit") => 8,
        _ => 1,
    };
    if kind != 1 {
        words.next();
    }
    let mut r = RouteLine {
        kind,
        dst: words.next().and_then(prefix),
        table: 254,
        scope: "global".into(),
        ..RouteLine::default()
    };
    while let Some(word) = words.next() {
        match word {
            // The paths (next_hop.rs) end the route's own options.
            "nexthop" => break,
            "no_track" => r.no_track = true,
            key => {
                let Some(v) = words.next() else { break };
                match key {
                    "via" => r.via = v.parse().ok(),
                    "dev" => r.dev = Some(v.to_string()),
                    "src" => r.src = v.parse().ok(),
                    "table" => r.table = v.parse().unwrap_or(254),
                    "metric" => r.metric = v.parse().unwrap_or(0),
                    "scope" => r.scope = v.to_string(),
                    "protocol" => r.protocol = v.parse().ok(),
                    _ => {}
                }
            }
        }
    }
    r
}

fn row(t: &mut Table<'_>, inputs: &Inputs<'_>, idx: &[u32], line: &str, set: bool) {
    let r = parse(line);
    let family_of = r.dst.map(|d| d.0).or(r.src);
    t.cell(
        2,
        idx,
        address_type(&family_of.unwrap_or(Ipv4Addr::UNSPECIFIED.into())),
    );
    if let Some((dst, len)) = r.dst {
        t.cell(3, idx, address_bytes(&dst));
        t.cell(4, idx, Value::Gauge32(u32::from(len)));
    }
    t.maybe(5, idx, r.via.as_ref().map(address_bytes));
    // keepalived shows a lone path's gateway as the secondary one.
    let paths = hops(line);
    if let [only] = paths.as_slice() {
        t.maybe(6, idx, only.via.as_ref().map(address_bytes));
    }
    t.maybe(7, idx, r.src.as_ref().map(address_bytes));
    t.cell(8, idx, Value::Gauge32(r.metric));
    t.cell(9, idx, Value::Integer(scope(&r.scope)));
    // A multipath route's type reads multipath(2) whatever its kernel type.
    let kind = if paths.is_empty() { r.kind } else { 2 };
    t.cell(10, idx, Value::Integer(kind));
    if let Some(dev) = &r.dev {
        let index = (inputs.facts)(dev).map_or(0, |f| f.index);
        t.cell(11, idx, Value::Integer(index as i32));
        t.cell(12, idx, text(dev));
    }
    t.cell(13, idx, Value::Gauge32(r.table));
    t.cell(14, idx, truth(set));
    let protocol = if r.no_track {
        r.protocol
    } else {
        Some(RTPROT_KEEPALIVED)
    };
    t.maybe(18, idx, protocol.map(|p| Value::Integer(p + 1)));
    t.cell(19, idx, truth(false));
    t.cell(20, idx, truth(false));
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let columns: Vec<u32> = (2..=45).collect();
    let mut t = Table::vrrp(view, 7, &columns);
    for (m, r) in (1..).zip(&inputs.config.static_routes) {
        row(&mut t, inputs, &[0, m], &route_words(r).join(" "), true);
    }
    for (n, i) in (1..).zip(&inputs.snap.instances) {
        for (m, line) in (1..).zip(&i.vroutes) {
            row(&mut t, inputs, &[n, m], line, i.vips_set);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_words_parse_back() {
        let r = parse("198.18.5.0/24 via 198.18.0.254 dev eth0 table 100 metric 5 scope link");
        assert_eq!(r.kind, 1);
        assert_eq!(r.dst, Some(("198.18.5.0".parse().unwrap(), 24)));
        assert_eq!(r.via, Some("198.18.0.254".parse().unwrap()));
        assert_eq!((r.table, r.metric, scope(&r.scope)), (100, 5, 2));
        let b = parse("blackhole default6 protocol 4 no_track");
        assert_eq!((b.kind, b.protocol, b.no_track), (3, Some(4), true));
        assert_eq!(b.dst.map(|d| d.1), Some(0));
    }
}
