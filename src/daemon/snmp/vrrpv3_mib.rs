//! VRRPv3-MIB (RFC 6527, `1.3.6.1.2.1.207`) as keepalived 2.2.7 serves it with
//! `enable_snmp_rfcv3`: every instance with at least one virtual address, either family
//! and either VRRP version (Debian's build answers for VRRPv2 instances too), rows indexed by (ifIndex of the base interface, VRID, InetAddressType), and the
//! associated-address rows by the address's raw octets (no length sub-identifier, as
//! keepalived writes them).
//!
//! Where keepalived keeps no such figure, neither do we, and the value is what it serves:
//! the discontinuity times read 0; the global checksum, version and VRID error counters
//! are summed over the instances shown, as VRRP-MIB's router counters are (see
//! [`super::vrrp_mib`]; keepalived never counts a VRID error, so that one stays 0).

use super::pdu::{Oid, Value};
use super::values::{octets, truth, vip_addresses};
use super::view::MibView;
use super::vrrp_mib::{oper_state, InterfaceFacts};
use crate::daemon::status::{InstanceView, Snapshot};
use crate::vrrp::action::State;
use crate::vrrp::Family;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// `vrrpv3MIB`.
pub const VRRPV3_MIB: [u32; 7] = [1, 3, 6, 1, 2, 1, 207];

pub(super) fn oid(tail: &[u32]) -> Oid {
    let mut o = VRRPV3_MIB.to_vec();
    o.extend_from_slice(tail);
    o
}

/// RFC 4001's InetAddressType of a family: ipv4(1), ipv6(2).
pub fn address_type(f: Family) -> u32 {
    match f {
        Family::Ipv4 => 1,
        Family::Ipv6 => 2,
    }
}

/// keepalived's `suitable_for_rfc6527`, as Debian builds it (with
/// `_SNMP_REPLY_V3_FOR_V2_`, configure's default): every instance with an address,
/// VRRPv2 ones included.
pub fn suitable(i: &InstanceView) -> bool {
    !i.vips.is_empty()
}

fn centis(d: Duration) -> u32 {
    (d.as_millis() / 10) as u32
}

/// Builds the VRRPv3-MIB rows of `snap` into `v`; `facts` looks an interface up by name.
pub fn build_into(
    v: &mut MibView,
    snap: &Snapshot,
    facts: &dyn Fn(&str) -> Option<InterfaceFacts>,
) {
    for col in 3..=13 {
        v.object(oid(&[1, 1, 1, 1, col]));
    }
    v.object(oid(&[1, 1, 2, 1, 2]));
    for scalar in 1..=4 {
        v.object(oid(&[1, 2, scalar]));
    }
    // vrrpv3RouterChecksumErrors, VersionErrors, VrIdErrors: keepalived sums the same
    // per-instance counts over the instances this MIB shows as VRRP-MIB's router counters.
    let errors = super::vrrp_mib::error_sums(snap, suitable);
    for (scalar, count) in (1..=3).zip(errors) {
        v.set(oid(&[1, 2, scalar, 0]), Value::Counter64(count));
    }
    v.set(oid(&[1, 2, 4, 0]), Value::TimeTicks(0));
    for col in 1..=13 {
        v.object(oid(&[1, 2, 5, 1, col]));
    }
    let started = SystemTime::UNIX_EPOCH + snap.process.start_time.0;
    let up = SystemTime::now()
        .duration_since(started)
        .unwrap_or_default();
    for inst in snap.instances.iter().filter(|i| suitable(i)) {
        let base = facts(&inst.interface);
        let own = match &inst.vmac_ifname {
            Some(vmac) => facts(vmac),
            None => base.clone(),
        };
        let index = [
            base.as_ref().map_or(0, |f| f.index),
            inst.vrid as u32,
            address_type(inst.family),
        ];
        let up = if matches!(inst.state, State::Backup | State::Master) {
            up
        } else {
            Duration::ZERO
        };
        oper_row(v, inst, &index, own.as_ref(), base.as_ref(), up);
        for addr in vip_addresses::<IpAddr>(&inst.vips) {
            let mut row = vec![1, 1, 2, 1, 2];
            row.extend_from_slice(&index);
            row.extend(octets(addr).iter().map(|b| *b as u32));
            v.set(oid(&row), Value::Integer(1));
        }
        stats_row(v, inst, &index);
    }
}

fn cell(v: &mut MibView, table: &[u32], col: u32, index: &[u32], value: Value) {
    let mut o = oid(table);
    o.push(col);
    o.extend_from_slice(index);
    v.set(o, value);
}

/// The primary address keepalived serves for an interface of `family`.
fn primary(base: &InterfaceFacts, family: Family) -> Vec<u8> {
    match family {
        Family::Ipv4 => base
            .ipv4
            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED)
            .octets()
            .to_vec(),
        Family::Ipv6 => base
            .ipv6
            .unwrap_or(std::net::Ipv6Addr::UNSPECIFIED)
            .octets()
            .to_vec(),
    }
}

/// One `vrrpv3OperationsEntry`; `own` is the interface VRRP runs on (its MAC is
/// served), `base` the one under it (its address is served).
fn oper_row(
    v: &mut MibView,
    i: &InstanceView,
    index: &[u32],
    own: Option<&InterfaceFacts>,
    base: Option<&InterfaceFacts>,
    up: Duration,
) {
    const T: [u32; 4] = [1, 1, 1, 1];
    if let Some(base) = base {
        // The master's address: ours (the primary address) while MASTER, else the last
        // advert's source (zeros before one was heard).
        let master = match (i.state, i.master_addr) {
            (State::Master, _) => primary(base, i.family),
            (_, Some(a)) => octets(a),
            (_, None) => vec![0; if i.family == Family::Ipv4 { 4 } else { 16 }],
        };
        cell(v, &T, 3, index, Value::OctetString(master));
        cell(v, &T, 4, index, Value::OctetString(primary(base, i.family)));
    }
    if let Some(own) = own {
        cell(v, &T, 5, index, Value::OctetString(own.mac.clone()));
    }
    let cells = [
        (6, Value::Integer(oper_state(i.state))),
        (7, Value::Gauge32(i.base_priority as u32)),
        (
            8,
            Value::Integer(vip_addresses::<IpAddr>(&i.vips).len() as i32),
        ),
        (9, Value::Integer(centis(i.advert_int) as i32)),
        (10, truth(!i.nopreempt)),
        (11, truth(i.accept)),
        (12, Value::TimeTicks(centis(up))),
        (13, Value::Integer(1)),
    ];
    for (col, value) in cells {
        cell(v, &T, col, index, value);
    }
}

/// One `vrrpv3StatisticsEntry`, in RFC 6527's column order.
fn stats_row(v: &mut MibView, i: &InstanceView, index: &[u32]) {
    const T: [u32; 4] = [1, 2, 5, 1];
    let s = &i.stats;
    let r = &i.snmp_reasons;
    let cells = [
        (1, Value::Counter32(s.become_master as u32)),
        (2, Value::Integer(r.master as i32)),
        (3, Value::Counter64(s.advert_rcvd)),
        (4, Value::Counter64(s.advert_interval_err)),
        (5, Value::Counter64(s.ip_ttl_err)),
        (6, Value::Integer(r.proto_error as i32)),
        (7, Value::Counter64(s.pri_zero_rcvd)),
        (8, Value::Counter64(s.pri_zero_sent)),
        (9, Value::Counter64(s.invalid_type_rcvd)),
        (10, Value::Counter64(s.addr_list_err)),
        (11, Value::Counter64(s.packet_len_err)),
        (12, Value::TimeTicks(0)),
        (13, Value::Gauge32(centis(i.advert_int) * 10)),
    ];
    for (col, value) in cells {
        cell(v, &T, col, index, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_lines_give_addresses_of_both_families() {
        let vips = vec![
            "198.18.9.100/24 dev eth0".to_string(),
            "fe80::1/64".to_string(),
        ];
        assert_eq!(
            vip_addresses::<IpAddr>(&vips),
            vec![
                "198.18.9.100".parse::<IpAddr>().unwrap(),
                "fe80::1".parse::<IpAddr>().unwrap()
            ]
        );
        assert_eq!(octets("fe80::1".parse().unwrap()).len(), 16);
    }

    #[test]
    fn intervals_are_served_in_centiseconds_and_states_as_rfc_6527() {
        assert_eq!(centis(Duration::from_millis(1000)), 100);
        assert_eq!(centis(Duration::from_millis(30)), 3);
        assert_eq!(oper_state(State::Fault), 1);
        assert_eq!(oper_state(State::Master), 3);
    }
}
