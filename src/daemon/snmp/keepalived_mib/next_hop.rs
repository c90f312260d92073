//! `vrrpRouteNextHopTable` (`.2.11`): the paths of every multipath route, indexed
//! (instance, route, path) with the route numbered as in `vrrpRouteTable` (instance 0 for
//! the static routes).
//!
//! Paths are read back from the route's words (`… nexthop [via A] [dev IF] [weight W]
//! [onlink]`, one group per path). As in keepalived 2.2.7: the address and interface cells
//! only when written, the weight only when written (it is kept as W - 1 and shown + 1),
//! `onlink` always; realms and encapsulation are never set on a route this build installs.

use super::{address_bytes, address_type, text, truth, Inputs, Table};
use crate::config::keywords::route::route_words;
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use std::net::IpAddr;

/// One path of a route line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Hop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub weight: Option<u32>,
    pub onlink: bool,
}

/// The paths of a route line (none for a single-path route).
pub(super) fn hops(line: &str) -> Vec<Hop> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(first) = words.iter().position(|w| *w == "nexthop") else {
        return Vec::new();
    };
    words[first..]
        .split(|w| *w == "nexthop")
        .skip(1)
        .map(|group| {
            let mut hop = Hop::default();
            let mut it = group.iter();
            while let Some(word) = it.next() {
                match *word {
                    "onlink" => hop.onlink = true,
                    "via" => hop.via = it.next().and_then(|a| a.parse().ok()),
                    "dev" => hop.dev = it.next().map(|d| d.to_string()),
                    "weight" => hop.weight = it.next().and_then(|n| n.parse().ok()),
                    _ => {}
                }
            }
            hop
        })
        .collect()
}

fn rows(t: &mut Table<'_>, inputs: &Inputs<'_>, route: [u32; 2], line: &str) {
    for (k, hop) in (1..).zip(hops(line)) {
        let idx = [route[0], route[1], k];
        if let Some(a) = &hop.via {
            t.cell(2, &idx, address_type(a));
            t.cell(3, &idx, address_bytes(a));
        }
        if let Some(dev) = &hop.dev {
            let index = (inputs.facts)(dev).map_or(0, |f| f.index);
            t.cell(4, &idx, Value::Integer(index as i32));
            t.cell(5, &idx, text(dev));
        }
        t.maybe(6, &idx, hop.weight.map(Value::Gauge32));
        t.cell(7, &idx, truth(hop.onlink));
    }
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let mut t = Table::vrrp(view, 11, &(2..=9).collect::<Vec<_>>());
    for (m, r) in (1..).zip(&inputs.config.static_routes) {
        rows(&mut t, inputs, [0, m], &route_words(r).join(" "));
    }
    for (n, i) in (1..).zip(&inputs.snap.instances) {
        for (m, line) in (1..).zip(&i.vroutes) {
            rows(&mut t, inputs, [n, m], line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_back() {
        let h = hops("198.18.9.0/24 dev eth0 nexthop via 198.18.0.1 dev eth0 weight 3 nexthop via 198.18.0.2 onlink");
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].via, Some("198.18.0.1".parse().unwrap()));
        assert_eq!((h[0].dev.as_deref(), h[0].weight), (Some("eth0"), Some(3)));
        assert!(h[1].onlink && h[1].dev.is_none() && h[1].weight.is_none());
        assert!(hops("198.18.9.0/24 via 198.18.0.1").is_empty());
    }
}
