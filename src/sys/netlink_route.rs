//! Routes and policy-routing rules (keepalived's `virtual_routes` / `virtual_rules`) in
//! their common forms: `ip route add [blackhole|unreachable|prohibit] DEST/LEN [via GW]
//! [dev IF] [src ADDR] [table N] [metric N] [scope S] [protocol P]` and `ip rule add [not]
//! [from P/L] [to P/L] [iif IF] [oif IF] [priority N] [protocol P] table N | goto N | nop |
//! blackhole | unreachable | prohibit`.

use std::net::IpAddr;

use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteNextHop, RouteNextHopFlags,
    RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::netlink::{KernelEntry, Scope};

/// What a route does with matching packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RouteKind {
    /// Forward (the usual kind).
    #[default]
    Unicast,
    /// Silently discard (`blackhole`).
    Blackhole,
    /// Discard with ICMP unreachable (`unreachable`).
    Unreachable,
    /// Discard with ICMP prohibited (`prohibit`).
    Prohibit,
}

/// One path of a multipath route (`nexthop via GW dev IF weight W onlink`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NextHopSpec {
    pub via: Option<IpAddr>,
    pub ifindex: Option<u32>,
    /// Relative weight, 1 to 256 (`None`: the kernel's 1).
    pub weight: Option<u16>,
    /// Take the gateway as directly reachable on the interface.
    pub onlink: bool,
}

impl NextHopSpec {
    fn to_attribute(&self) -> RouteNextHop {
        let mut hop = RouteNextHop::default();
        if let Some(via) = self.via {
            hop.attributes
                .push(RouteAttribute::Gateway(RouteAddress::from(via)));
        }
        hop.interface_index = self.ifindex.unwrap_or(0);
        // The kernel counts hops from 0: weight W is carried as W - 1.
        hop.hops = self
            .weight
            .map_or(0, |w| w.saturating_sub(1).min(255) as u8);
        if self.onlink {
            hop.flags = RouteNextHopFlags::Onlink;
        }
        hop
    }
}

/// One route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// Destination prefix address.
    pub destination: IpAddr,
    /// Destination prefix length.
    pub prefix_len: u8,
    /// Gateway (`via`).
    pub via: Option<IpAddr>,
    /// Output interface index (`dev`).
    pub ifindex: Option<u32>,
    /// Preferred source address (`src`).
    pub source: Option<IpAddr>,
    /// Routing table (254 = main).
    pub table: u32,
    /// Metric (`metric` / `priority`).
    pub metric: Option<u32>,
    /// Scope; `None` lets it follow from the route (link for `dev` without `via`, as
    /// `ip route` does, global otherwise).
    pub scope: Option<Scope>,
    /// Route type.
    pub kind: RouteKind,
    /// Routing protocol number (`proto`): 3 (boot, what `ip route` uses) unless set;
    /// keepalived installs its routes with 18 (`proto keepalived`).
    pub protocol: u8,
    /// The paths of a multipath route (empty for a single path).
    pub next_hops: Vec<NextHopSpec>,
}

impl RouteSpec {
    /// A unicast route to `destination/prefix_len` in the main table.
    pub fn new(destination: IpAddr, prefix_len: u8) -> Self {
        RouteSpec {
            destination,
            prefix_len,
            via: None,
            ifindex: None,
            source: None,
            table: u32::from(RouteHeader::RT_TABLE_MAIN),
            metric: None,
            scope: None,
            kind: RouteKind::Unicast,
            protocol: u8::from(RouteProtocol::Boot),
            next_hops: Vec::new(),
        }
    }

    /// Builds the request. A delete leaves unicast type and (unless given) scope as
    /// wildcards, as `ip route del` does; it names the protocol, as keepalived does.
    fn to_message(&self, for_delete: bool) -> RouteMessage {
        let mut message = RouteMessage::default();
        message.header.address_family = family_of(self.destination);
        message.header.destination_prefix_length = self.prefix_len;
        // The protocol is matched on delete too: a daemon removing its `10.0.0.0/24 dev
        // eth0` must not remove the kernel's prefix route to the same place.
        message.header.protocol = RouteProtocol::from(self.protocol);
        message.header.kind = match self.kind {
            RouteKind::Unicast if for_delete => RouteType::Unspec,
            RouteKind::Unicast => RouteType::Unicast,
            RouteKind::Blackhole => RouteType::BlackHole,
            RouteKind::Unreachable => RouteType::Unreachable,
            RouteKind::Prohibit => RouteType::Prohibit,
        };
        let default_scope = if for_delete {
            Scope::Nowhere
        } else if self.kind == RouteKind::Unicast && self.via.is_none() && self.ifindex.is_some() {
            Scope::Link
        } else {
            Scope::Global
        };
        let scope = self.scope.unwrap_or(default_scope);
        message.header.scope = RouteScope::from(scope.number());
        if let Ok(small) = u8::try_from(self.table) {
            message.header.table = small;
        } else {
            message.header.table = RouteHeader::RT_TABLE_UNSPEC;
        }
        message.attributes.push(RouteAttribute::Table(self.table));
        message
            .attributes
            .push(RouteAttribute::Destination(RouteAddress::from(
                self.destination,
            )));
        if let Some(via) = self.via {
            message
                .attributes
                .push(RouteAttribute::Gateway(RouteAddress::from(via)));
        }
        if let Some(ifindex) = self.ifindex {
            message.attributes.push(RouteAttribute::Oif(ifindex));
        }
        if let Some(source) = self.source {
            message
                .attributes
                .push(RouteAttribute::PrefSource(RouteAddress::from(source)));
        }
        if let Some(metric) = self.metric {
            message.attributes.push(RouteAttribute::Priority(metric));
        }
        if !self.next_hops.is_empty() {
            let hops = self.next_hops.iter().map(NextHopSpec::to_attribute);
            message
                .attributes
                .push(RouteAttribute::MultiPath(hops.collect()));
        }
        message
    }
}

/// What a rule does with the packets it selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleTarget {
    /// Look the route up in this table (`table N`).
    Table(u32),
    /// Continue at the rule with this priority (`goto N`).
    Goto(u32),
    /// Do nothing (`nop`).
    Nop,
    /// Drop silently.
    Blackhole,
    /// Drop with ICMP unreachable.
    Unreachable,
    /// Drop with ICMP prohibited.
    Prohibit,
}

/// One policy-routing rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    /// IPv6 rule (otherwise IPv4); must agree with `from`/`to` when they are set.
    pub ipv6: bool,
    /// Source prefix (`from`).
    pub from: Option<(IpAddr, u8)>,
    /// Destination prefix (`to`).
    pub to: Option<(IpAddr, u8)>,
    /// `not`: the selector is inverted.
    pub invert: bool,
    /// Input interface name (`iif`).
    pub iif: Option<String>,
    /// Output interface name (`oif`).
    pub oif: Option<String>,
    pub target: RuleTarget,
    /// Rule priority (`priority` / `preference`); `None` lets the kernel pick.
    pub priority: Option<u32>,
    /// Protocol number (`protocol`); `None` leaves it to the kernel (unspec).
    pub protocol: Option<u8>,
}

impl RuleSpec {
    /// A rule sending everything to `table` (narrow it with the public fields).
    pub fn to_table(ipv6: bool, table: u32) -> Self {
        RuleSpec {
            ipv6,
            from: None,
            to: None,
            invert: false,
            iif: None,
            oif: None,
            target: RuleTarget::Table(table),
            priority: None,
            protocol: None,
        }
    }

    fn to_message(&self) -> RuleMessage {
        let mut message = RuleMessage::default();
        message.header.family = if self.ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        message.header.action = match self.target {
            RuleTarget::Table(table) => {
                message.header.table = u8::try_from(table).unwrap_or(0);
                message.attributes.push(RuleAttribute::Table(table));
                RuleAction::ToTable
            }
            RuleTarget::Goto(target) => {
                message.attributes.push(RuleAttribute::Goto(target));
                RuleAction::Goto
            }
            RuleTarget::Nop => RuleAction::Nop,
            RuleTarget::Blackhole => RuleAction::Blackhole,
            RuleTarget::Unreachable => RuleAction::Unreachable,
            RuleTarget::Prohibit => RuleAction::Prohibit,
        };
        if self.invert {
            message.header.flags = RuleFlags::Invert;
        }
        if let Some((address, len)) = self.from {
            message.header.src_len = len;
            message.attributes.push(RuleAttribute::Source(address));
        }
        if let Some((address, len)) = self.to {
            message.header.dst_len = len;
            message.attributes.push(RuleAttribute::Destination(address));
        }
        if let Some(name) = &self.iif {
            message
                .attributes
                .push(RuleAttribute::Iifname(name.clone()));
        }
        if let Some(name) = &self.oif {
            message
                .attributes
                .push(RuleAttribute::Oifname(name.clone()));
        }
        if let Some(priority) = self.priority {
            message.attributes.push(RuleAttribute::Priority(priority));
        }
        if let Some(protocol) = self.protocol {
            message
                .attributes
                .push(RuleAttribute::Protocol(RouteProtocol::from(protocol)));
        }
        message
    }
}

fn family_of(address: IpAddr) -> AddressFamily {
    match address {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

impl KernelEntry for RouteSpec {
    const ABSENT_ERRNOS: &'static [i32] = &[libc::ESRCH, libc::ENOENT];
    const EXCLUSIVE_ADD: bool = false;

    fn add_message(&self) -> RouteNetlinkMessage {
        RouteNetlinkMessage::NewRoute(self.to_message(false))
    }

    fn delete_message(&self) -> RouteNetlinkMessage {
        RouteNetlinkMessage::DelRoute(self.to_message(true))
    }

    fn describe(&self, verb: &str) -> String {
        format!(
            "{verb} route {}/{} (table {})",
            self.destination, self.prefix_len, self.table
        )
    }
}

impl KernelEntry for RuleSpec {
    const ABSENT_ERRNOS: &'static [i32] = &[libc::ENOENT, libc::ESRCH];

    fn add_message(&self) -> RouteNetlinkMessage {
        RouteNetlinkMessage::NewRule(self.to_message())
    }

    fn delete_message(&self) -> RouteNetlinkMessage {
        RouteNetlinkMessage::DelRule(self.to_message())
    }

    fn describe(&self, verb: &str) -> String {
        let prefix = |p: Option<(IpAddr, u8)>| match p {
            Some((a, l)) => format!("{a}/{l}"),
            None => "all".to_owned(),
        };
        let target = match self.target {
            RuleTarget::Table(t) => format!("table {t}"),
            RuleTarget::Goto(t) => format!("goto {t}"),
            other => format!("{other:?}").to_lowercase(),
        };
        format!(
            "{verb} rule from {} to {} {target}",
            prefix(self.from),
            prefix(self.to),
        )
    }
}
