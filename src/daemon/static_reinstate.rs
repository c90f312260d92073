//! Putting static entries back, as keepalived 2.2.7 does from start-up to shutdown:
//!
//! * a `static_ipaddress` address deleted behind its back (`RTM_DELADDR`) is added again
//!   at once, logged `Restoring deleted static address …`;
//! * when an interface comes up (administratively up with carrier), the static addresses
//!   and routes on it are added again (`interface_up` → `static_track_group_reinstate_config`):
//!   the kernel drops a route, and IPv6 addresses, with their interface's link, and tells
//!   nobody. Logged `Restoring deleted static address …` / `… static route …`.
//!
//! Entries written `no_track` are left alone in both cases. keepalived formats them as
//! in its data dump (`format_ipaddress`, `format_iproute`); so do these lines.
//!
//! Static rules stay in the kernel when a link goes down, and keepalived re-adds a
//! deleted static route or rule only from route/rule events, which this daemon does not
//! subscribe to (listed in DIFFERENCES.md).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::effects::Effect;
use super::plan::VipSpec;
use super::routing::RoutingSet;
use crate::config::model::{Config, Route, RouteType};

/// The static entries to put back, and the link state of the interfaces they are on.
#[derive(Debug, Default)]
pub struct StaticReinstate {
    /// Tracked static addresses: keepalived's text for each, and the request.
    addresses: Vec<(String, VipSpec)>,
    /// Tracked static routes with an interface: keepalived's text for each, and the route.
    routes: Vec<(String, Route)>,
    /// Interface → up (with carrier), for the interfaces of the entries above.
    links: HashMap<String, bool>,
    /// What a link coming up puts back, with its log line, held until the state changes
    /// the same event causes are out ([`StaticReinstate::flush`]): keepalived brings
    /// the instances up before it restores the entries.
    pending: Vec<(String, Effect)>,
}

impl StaticReinstate {
    /// The entries of `config` (`specs`: its static addresses as address requests, in
    /// order), keeping the link states `previous` knew.
    pub fn of(config: &Config, specs: &[VipSpec], previous: &StaticReinstate) -> Self {
        let default = config.global.default_interface.as_deref().unwrap_or("eth0");
        let addresses: Vec<(String, VipSpec)> = config
            .static_ipaddress
            .iter()
            .zip(specs)
            .filter(|(a, _)| !a.no_track)
            .map(|(a, s)| {
                let text = super::status::format::format_address(a, default);
                (text, s.clone())
            })
            .collect();
        let routes: Vec<(String, Route)> = config
            .static_routes
            .iter()
            .filter(|r| !r.no_track && r.unsupported.is_none() && r.dev.is_some())
            .map(|r| (route_text(r), r.clone()))
            .collect();
        let names = addresses
            .iter()
            .map(|(_, s)| s.interface.to_string())
            .chain(routes.iter().filter_map(|(_, r)| r.dev.clone()));
        let links = names
            .map(|n| {
                let up = previous
                    .links
                    .get(&n)
                    .copied()
                    .unwrap_or_else(|| crate::track::interface::link_is_up(&n));
                (n, up)
            })
            .collect();
        StaticReinstate {
            addresses,
            routes,
            links,
            pending: Vec::new(),
        }
    }

    /// A link changed: when an interface carrying static entries comes up, they go back
    /// at the next [`StaticReinstate::flush`].
    pub fn link_changed(&mut self, name: &str, up: bool) {
        let Some(known) = self.links.get_mut(name) else {
            return;
        };
        let came_up = up && !*known;
        *known = up;
        if !came_up {
            return;
        }
        let on_link = self.addresses.iter().filter(|(_, s)| &*s.interface == name);
        for (text, spec) in on_link {
            self.pending.push(address_restore(text, spec));
        }
        let routes = self.routes.iter();
        for (text, route) in routes.filter(|(_, r)| r.dev.as_deref() == Some(name)) {
            let set = RoutingSet {
                routes: vec![route.clone()],
                rules: Vec::new(),
            };
            let effect = Effect::Routing {
                owner: None,
                set: Arc::new(set),
                add: true,
            };
            let line = format!("Restoring deleted static route {text}");
            self.pending.push((line, effect));
        }
    }

    /// Logs and queues what links coming up put back.
    pub fn flush(&mut self, effects: &UnboundedSender<Effect>) {
        for (line, effect) in self.pending.drain(..) {
            log::info!("{line}");
            let _ = effects.send(effect);
        }
    }

    /// An address was deleted from interface `index`: a tracked static one goes back.
    pub fn address_removed(&self, index: u32, address: IpAddr, effects: &UnboundedSender<Effect>) {
        let found = self.addresses.iter().find(|(_, s)| {
            s.addr == address
                && crate::sys::InterfaceId::by_name(&s.interface).is_ok_and(|i| i.index == index)
        });
        if let Some((text, spec)) = found {
            let (line, effect) = address_restore(text, spec);
            log::info!("{line}");
            let _ = effects.send(effect);
        }
    }
}

/// keepalived's line for a static address put back, and the request.
fn address_restore(text: &str, spec: &VipSpec) -> (String, Effect) {
    let effect = Effect::AddVips {
        instance: "static_ipaddress".to_owned(),
        vips: vec![spec.clone()],
        read_only: None,
    };
    (
        format!("Restoring deleted static address {text} set"),
        effect,
    )
}

/// A tracked static route as keepalived 2.2.7 formats it (`format_iproute`), for the
/// options this build installs: `prepend [TYPE] DEST [src S] [via inet|inet6 GW] [dev D]
/// [table T] proto 18 [scope N] [metric M] [track_group G]`.
fn route_text(r: &Route) -> String {
    let mut out = String::from("prepend ");
    match r.kind {
        RouteType::Unicast => {}
        RouteType::Blackhole => out.push_str("blackhole "),
        RouteType::Unreachable => out.push_str("unreachable "),
        RouteType::Prohibit => out.push_str("prohibit "),
    }
    match r.destination {
        Some((addr, len)) if len == if addr.is_ipv4() { 32 } else { 128 } => {
            out.push_str(&addr.to_string())
        }
        Some((addr, len)) => out.push_str(&format!("{addr}/{len}")),
        None => out.push_str("default"),
    }
    if let Some(src) = r.src {
        out.push_str(&format!(" src {src}"));
    }
    if let Some(via) = r.via {
        let family = if via.is_ipv6() { "inet6" } else { "inet" };
        out.push_str(&format!(" via {family} {via}"));
    }
    if let Some(dev) = &r.dev {
        out.push_str(&format!(" dev {dev}"));
    }
    if r.table != 254 {
        out.push_str(&format!(" table {}", r.table));
    }
    out.push_str(&format!(" proto {}", r.effective_protocol()));
    if let Some(scope) = r.scope {
        out.push_str(&format!(" scope {scope}"));
    }
    if let Some(metric) = r.metric {
        out.push_str(&format!(" metric {metric}"));
    }
    if let Some(g) = &r.track_group {
        out.push_str(&format!(" track_group {g}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_read_as_keepalived_logs_them() {
        let text = "track_group TG1 {\n group {\n VI_1\n }\n}\n\
            static_routes {\n 198.18.6.0/24 dev eth1 track_group TG1\n \
            198.18.7.0/24 via 198.18.5.9 dev eth1 table 100 metric 5\n}\n";
        let checked = crate::config::check_text(text);
        let shown: Vec<String> = checked
            .config
            .static_routes
            .iter()
            .map(route_text)
            .collect();
        assert_eq!(
            shown,
            vec![
                "prepend 198.18.6.0/24 dev eth1 proto 18 track_group TG1",
                "prepend 198.18.7.0/24 via inet 198.18.5.9 dev eth1 table 100 proto 18 metric 5",
            ]
        );
    }
}
