//! Routes and policy-routing rules (keepalived's `virtual_routes` / `virtual_rules`) in
//! their common forms: `ip route add [blackhole] DEST/LEN [via GW] [dev IF] [src ADDR]
//! [table N] [metric N] [scope S]` and `ip rule add [from P/L] [to P/L] [priority N]
//! table N`.

use std::net::IpAddr;

use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
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
        }
    }

    /// Builds the request. A delete leaves protocol, unicast type and (unless given)
    /// scope as wildcards, as `ip route del` does, so it matches routes whoever added
    /// them.
    fn to_message(&self, for_delete: bool) -> RouteMessage {
        let mut message = RouteMessage::default();
        message.header.address_family = family_of(self.destination);
        message.header.destination_prefix_length = self.prefix_len;
        message.header.protocol = if for_delete {
            RouteProtocol::Unspec
        } else {
            RouteProtocol::Boot
        };
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
        message
    }
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
    /// Table to look up.
    pub table: u32,
    /// Rule priority (`priority` / `preference`); `None` lets the kernel pick.
    pub priority: Option<u32>,
}

impl RuleSpec {
    fn to_message(&self) -> RuleMessage {
        let mut message = RuleMessage::default();
        message.header.family = if self.ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        message.header.action = RuleAction::ToTable;
        message.header.table = u8::try_from(self.table).unwrap_or(0);
        message.attributes.push(RuleAttribute::Table(self.table));
        if let Some((address, len)) = self.from {
            message.header.src_len = len;
            message.attributes.push(RuleAttribute::Source(address));
        }
        if let Some((address, len)) = self.to {
            message.header.dst_len = len;
            message.attributes.push(RuleAttribute::Destination(address));
        }
        if let Some(priority) = self.priority {
            message.attributes.push(RuleAttribute::Priority(priority));
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
        format!(
            "{verb} rule from {} to {} table {}",
            prefix(self.from),
            prefix(self.to),
            self.table
        )
    }
}
