//! Routes and policy rules the daemon installs: an instance's `virtual_routes` and
//! `virtual_rules` while it is master, and `static_routes` / `static_rules` from start-up
//! to shutdown. keepalived adds routes then rules (after the VIPs, since a route's `src`
//! is often a VIP) and removes rules then routes; so does [`apply`], on the effect worker.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::model::{Route, RouteType, Rule, RuleAction};
use crate::sys::{Netlink, NextHopSpec, RouteKind, RouteSpec, RuleSpec, RuleTarget, Scope};

/// The routes and rules of one owner (an instance, or the static blocks), the lines this
/// build cannot install left out (the configuration check reported them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoutingSet {
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
}

impl RoutingSet {
    pub fn of(routes: &[Route], rules: &[Rule]) -> Arc<RoutingSet> {
        Arc::new(RoutingSet {
            routes: routes
                .iter()
                .filter(|r| r.unsupported.is_none())
                .cloned()
                .collect(),
            rules: rules
                .iter()
                .filter(|r| r.unsupported.is_none())
                .cloned()
                .collect(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.rules.is_empty()
    }

    /// What `self` has and `other` does not (a reload's additions or removals).
    pub fn minus(&self, other: &RoutingSet) -> RoutingSet {
        RoutingSet {
            routes: self
                .routes
                .iter()
                .filter(|r| !other.routes.contains(r))
                .cloned()
                .collect(),
            rules: self
                .rules
                .iter()
                .filter(|r| !other.rules.contains(r))
                .cloned()
                .collect(),
        }
    }
}

/// Installs (`add`) or removes `set`. `owner` is the instance name (its log lines are
/// keepalived's `(VI_1) setting Virtual Routes` …), `None` for the static entries.
/// Failures are logged per entry and do not stop the others.
pub async fn apply(netlink: &Netlink, owner: Option<&str>, set: &RoutingSet, add: bool) {
    let verb = if add { "sett" } else { "remov" };
    let routes = async {
        if let Some(name) = owner.filter(|_| !set.routes.is_empty()) {
            log::debug!("({name}) {verb}ing Virtual Routes");
        }
        let mut indexes: HashMap<&str, Option<u32>> = HashMap::new();
        for route in &set.routes {
            let devs = route
                .dev
                .iter()
                .chain(route.nexthops.iter().filter_map(|h| h.dev.as_ref()));
            let mut missing = None;
            for dev in devs {
                if !indexes.contains_key(dev.as_str()) {
                    let found = netlink.interface(dev).await.ok().map(|i| i.index);
                    indexes.insert(dev, found);
                }
                if indexes[dev.as_str()].is_none() {
                    missing = missing.or(Some(dev));
                }
            }
            if let Some(dev) = missing {
                log::error!(
                    "{}cannot {} route {}: interface {dev} not found",
                    prefix(owner),
                    if add { "add" } else { "remove" },
                    shown(route),
                );
                continue;
            }
            let index_of = |dev: &Option<String>| dev.as_deref().and_then(|d| indexes[d]);
            report(
                owner,
                add,
                change(netlink, &route_spec(route, &index_of), add).await,
            );
        }
    };
    let rules = async {
        if let Some(name) = owner.filter(|_| !set.rules.is_empty()) {
            log::debug!("({name}) {verb}ing Virtual Rules");
        }
        for rule in &set.rules {
            report(owner, add, change(netlink, &rule_spec(rule), add).await);
        }
    };
    if add {
        routes.await;
        rules.await;
    } else {
        rules.await;
        routes.await;
    }
}

async fn change<E: crate::sys::netlink::KernelEntry>(
    netlink: &Netlink,
    entry: &E,
    add: bool,
) -> Result<(), crate::sys::NetlinkError> {
    if add {
        netlink.add(entry).await.map(|_| ())
    } else {
        netlink.delete(entry).await.map(|_| ())
    }
}

/// A route or rule the kernel refused. keepalived logs these at info level; a warning
/// keeps them visible without ranking them with the errors that stop an instance.
fn report(owner: Option<&str>, add: bool, result: Result<(), crate::sys::NetlinkError>) {
    if let Err(e) = result {
        let moment = if add { "" } else { " (removing)" };
        log::warn!("{}{e}{moment}", prefix(owner));
    }
}

fn prefix(owner: Option<&str>) -> String {
    owner.map(|n| format!("({n}) ")).unwrap_or_default()
}

fn shown(route: &Route) -> String {
    crate::config::keywords::route::route_words(route).join(" ")
}

/// The kernel request for `route` (`index_of` gives a `dev`'s interface index). Like
/// keepalived: protocol 18 unless the route is `no_track` with a protocol of its own, and
/// scope global unless written (no link scope derived from `dev`).
pub fn route_spec(route: &Route, index_of: &dyn Fn(&Option<String>) -> Option<u32>) -> RouteSpec {
    let unspecified = if route.ipv6 {
        std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
    } else {
        std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
    };
    let (destination, prefix_len) = route.destination.unwrap_or((unspecified, 0));
    let next_hops = route
        .nexthops
        .iter()
        .map(|h| NextHopSpec {
            via: h.via,
            ifindex: index_of(&h.dev),
            weight: h.weight,
            onlink: h.onlink,
        })
        .collect();
    RouteSpec {
        via: route.via,
        ifindex: index_of(&route.dev),
        next_hops,
        source: route.src,
        table: route.table,
        metric: route.metric,
        scope: Some(Scope::from_number(route.scope.unwrap_or(0))),
        kind: match route.kind {
            RouteType::Unicast => RouteKind::Unicast,
            RouteType::Blackhole => RouteKind::Blackhole,
            RouteType::Unreachable => RouteKind::Unreachable,
            RouteType::Prohibit => RouteKind::Prohibit,
        },
        protocol: route.effective_protocol(),
        ..RouteSpec::new(destination, prefix_len)
    }
}

/// The kernel request for `rule` (protocol 18 unless `no_track`).
pub fn rule_spec(rule: &Rule) -> RuleSpec {
    RuleSpec {
        ipv6: rule.ipv6,
        from: rule.from,
        to: rule.to,
        invert: rule.not,
        iif: rule.iif.clone(),
        oif: rule.oif.clone(),
        target: match rule.action {
            RuleAction::Table(t) => RuleTarget::Table(t),
            RuleAction::Goto(t) => RuleTarget::Goto(t),
            RuleAction::Nop => RuleTarget::Nop,
            RuleAction::Blackhole => RuleTarget::Blackhole,
            RuleAction::Unreachable => RuleTarget::Unreachable,
            RuleAction::Prohibit => RuleTarget::Prohibit,
        },
        priority: Some(rule.preference),
        protocol: rule.effective_protocol(),
    }
}

/// Each router instance's virtual routes and rules, by instance id (the configuration's
/// instances matched by name).
pub fn instance_sets(
    config: &crate::config::model::Config,
    router: &crate::vrrp::Router,
) -> Vec<Arc<RoutingSet>> {
    let by_name: HashMap<&str, &crate::config::model::VrrpInstance> = config
        .instances
        .iter()
        .map(|i| (i.name.as_str(), i))
        .collect();
    router
        .instances()
        .map(|status| {
            let name = router
                .instance_config(status.id)
                .map(|c| c.name.as_str())
                .unwrap_or_default();
            match by_name.get(name) {
                Some(i) => RoutingSet::of(&i.virtuals.virtual_routes, &i.virtuals.virtual_rules),
                None => Arc::default(),
            }
        })
        .collect()
}

/// The `static_routes` and `static_rules`.
pub fn static_set(config: &crate::config::model::Config) -> Arc<RoutingSet> {
    RoutingSet::of(&config.static_routes, &config.static_rules)
}

/// The `static_ipaddress` entries as address requests; one without `dev` goes on the
/// `default_interface` (keepalived's default: eth0).
pub fn static_addresses(config: &crate::config::model::Config) -> Vec<super::plan::VipSpec> {
    let mut names = std::collections::HashSet::new();
    let default = config.global.default_interface.as_deref().unwrap_or("eth0");
    config
        .static_ipaddress
        .iter()
        .map(|a| super::plan::vip_spec(a, default, &mut names))
        .collect()
}
