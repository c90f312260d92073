//! Value helpers every MIB of the subagent (and its notifications) share.

use super::pdu::Value;
use std::net::IpAddr;
use std::str::FromStr;

/// SNMPv2 TruthValue: true(1), false(2).
pub fn truth(b: bool) -> Value {
    Value::Integer(if b { 1 } else { 2 })
}

/// A DisplayString.
pub fn text(s: &str) -> Value {
    Value::OctetString(s.as_bytes().to_vec())
}

/// An address's raw 4 or 16 bytes (InetAddress, and table indexes).
pub fn octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// The virtual addresses of `vips` lines (`ADDR[/LEN] [dev IF] …`) that parse as `A`
/// (`Ipv4Addr` for IPv4 only, `IpAddr` for both families).
pub fn vip_addresses<A: FromStr>(vips: &[String]) -> Vec<A> {
    vips.iter()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|a| a.split('/').next()?.parse().ok())
        .collect()
}
