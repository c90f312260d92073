//! VRRP-MIB (RFC 2787, `1.3.6.1.2.1.68`) as keepalived 2.2.7 serves it with
//! `enable_snmp_rfcv2`: only VRRPv2 IPv4 instances with at least one virtual address,
//! rows indexed by (ifIndex of the base interface, VRID).
//!
//! Where keepalived keeps no such figure, neither do we, and the value is what it serves:
//! `vrrpOperAuthKey` is never readable; `vrrpOperVirtualRouterUpTime` is the instance's
//! start minus the subagent's start, both taken at start-up, so 0.

use super::pdu::{Oid, Value};
use super::values::{truth, vip_addresses};
use super::view::MibView;
use crate::daemon::status::{InstanceView, Snapshot};
use crate::vrrp::action::State;
use crate::vrrp::{Family, Version};
use std::net::{IpAddr, Ipv4Addr};

/// `vrrpMIB`.
pub const VRRP_MIB: [u32; 7] = [1, 3, 6, 1, 2, 1, 68];

/// What the MIB needs of an interface that the status snapshot does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceFacts {
    pub index: u32,
    pub mac: Vec<u8>,
    /// Its primary IPv4 address (keepalived's `ifp->sin_addr`).
    pub ipv4: Option<Ipv4Addr>,
    /// Its link-local IPv6 address (keepalived's `ifp->sin6_addr`).
    pub ipv6: Option<std::net::Ipv6Addr>,
}

fn oid(tail: &[u32]) -> Oid {
    let mut o = VRRP_MIB.to_vec();
    o.extend_from_slice(tail);
    o
}

/// keepalived's `suitable_for_rfc2787`.
fn suitable(i: &InstanceView) -> bool {
    i.version == Version::V2
        && i.family == Family::Ipv4
        && !vip_addresses::<Ipv4Addr>(&i.vips).is_empty()
}

/// RFC 2787's `vrrpOperState`, and RFC 6527's `vrrpv3OperationsStatus` (the same
/// numbers): initialize(1), backup(2), master(3); FAULT reads as initialize, as in
/// keepalived.
pub(super) fn oper_state(s: State) -> i32 {
    match s {
        State::Backup => 2,
        State::Master => 3,
        _ => 1,
    }
}

/// Builds the view of `snap`; `facts` looks an interface up by name.
pub fn build(
    snap: &Snapshot,
    traps: bool,
    facts: &dyn Fn(&str) -> Option<InterfaceFacts>,
) -> MibView {
    let mut v = MibView::default();
    v.object(oid(&[1, 1]));
    v.object(oid(&[1, 2]));
    v.set(oid(&[1, 1, 0]), Value::Integer(2));
    v.set(oid(&[1, 2, 0]), truth(traps));
    for col in (2..=15).filter(|c| *c != 10) {
        v.object(oid(&[1, 3, 1, col]));
    }
    v.object(oid(&[1, 4, 1, 2]));
    for (scalar, total) in (1..).zip(router_errors(snap)) {
        v.object(oid(&[2, scalar]));
        v.set(oid(&[2, scalar, 0]), Value::Counter32(total as u32));
    }
    for col in 1..=12 {
        v.object(oid(&[2, 4, 1, col]));
    }
    for inst in snap.instances.iter().filter(|i| suitable(i)) {
        let base = facts(&inst.interface);
        let own = match &inst.vmac_ifname {
            Some(vmac) => facts(vmac),
            None => base.clone(),
        };
        let index = [base.as_ref().map_or(0, |f| f.index), inst.vrid as u32];
        oper_row(&mut v, inst, &index, own.as_ref(), base.as_ref());
        for addr in vip_addresses::<Ipv4Addr>(&inst.vips) {
            let mut row = vec![1, 4, 1, 2];
            row.extend_from_slice(&index);
            row.extend(addr.octets().iter().map(|b| *b as u32));
            v.set(oid(&row), Value::Integer(1));
        }
        stats_row(&mut v, inst, &index);
    }
    v
}

/// vrrpRouterChecksumErrors, vrrpRouterVersionErrors and vrrpRouterVrIdErrors: as in
/// keepalived, the sums of the per-instance counts over the instances this MIB shows. A
/// packet is counted by the instance its VRID selects, when that instance's checks reach
/// the version (after length and TTL) or the checksum (IPv4, after every earlier check).
/// keepalived never counts a VRID error (a packet for no instance is dropped before any
/// instance sees it), so that sum stays 0 there and here.
fn router_errors(snap: &Snapshot) -> [u64; 3] {
    error_sums(snap, suitable)
}

/// Checksum, version and VRID error counts summed over the instances `shown` selects
/// (VRRPv3-MIB's global counters are the same sums over its own instances).
pub(super) fn error_sums(snap: &Snapshot, shown: impl Fn(&InstanceView) -> bool) -> [u64; 3] {
    snap.instances
        .iter()
        .filter(|i| shown(i))
        .fold([0; 3], |[chk, vers, vrid], i| {
            [chk + i.stats.chk_err, vers + i.stats.vers_err, vrid]
        })
}

fn cell(v: &mut MibView, table: &[u32], col: u32, index: &[u32], value: Value) {
    let mut o = oid(table);
    o.push(col);
    o.extend_from_slice(index);
    v.set(o, value);
}

fn ipv4_of(a: Option<IpAddr>) -> [u8; 4] {
    match a {
        Some(IpAddr::V4(a)) => a.octets(),
        _ => [0; 4],
    }
}

/// One `vrrpOperEntry`; `own` is the interface VRRP runs on (the VMAC when there is
/// one: its MAC is served), `base` the one under it (its address is served).
fn oper_row(
    v: &mut MibView,
    i: &InstanceView,
    index: &[u32],
    own: Option<&InterfaceFacts>,
    base: Option<&InterfaceFacts>,
) {
    const T: [u32; 3] = [1, 3, 1];
    if let Some(own) = own {
        cell(v, &T, 2, index, Value::OctetString(own.mac.clone()));
    }
    let cells = [
        (3, Value::Integer(oper_state(i.state))),
        (4, Value::Integer(1)),
        (5, Value::Integer(i.base_priority as i32)),
        (
            6,
            Value::Integer(vip_addresses::<Ipv4Addr>(&i.vips).len() as i32),
        ),
        (7, Value::IpAddress(ipv4_of(i.master_addr))),
    ];
    for (col, value) in cells {
        cell(v, &T, col, index, value);
    }
    if let Some(base) = base {
        let primary = base.ipv4.unwrap_or(Ipv4Addr::UNSPECIFIED).octets();
        cell(v, &T, 8, index, Value::IpAddress(primary));
    }
    let cells = [
        (9, Value::Integer(i.auth.auth_type as i32 + 1)),
        (11, Value::Integer(i.advert_int.as_secs() as i32)),
        (12, truth(!i.nopreempt)),
        (13, Value::TimeTicks(0)),
        (14, Value::Integer(1)),
        (15, Value::Integer(1)),
    ];
    for (col, value) in cells {
        cell(v, &T, col, index, value);
    }
}

/// One `vrrpRouterStatsEntry`, in RFC 2787's column order.
fn stats_row(v: &mut MibView, i: &InstanceView, index: &[u32]) {
    let s = &i.stats;
    let counters = [
        s.become_master,
        s.advert_rcvd,
        s.advert_interval_err,
        s.auth_failure,
        s.ip_ttl_err,
        s.pri_zero_rcvd,
        s.pri_zero_sent,
        s.invalid_type_rcvd,
        s.addr_list_err,
        s.invalid_authtype,
        s.authtype_mismatch,
        s.packet_len_err,
    ];
    for (col, n) in (1..).zip(counters) {
        cell(v, &[2, 4, 1], col, index, Value::Counter32(n as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_lines_give_their_ipv4_addresses() {
        let vips = vec![
            "198.18.9.100/24 dev eth0".to_string(),
            "198.18.9.101".to_string(),
            "fe80::1/64".to_string(),
        ];
        assert_eq!(
            vip_addresses::<Ipv4Addr>(&vips),
            vec![
                Ipv4Addr::new(198, 18, 9, 100),
                Ipv4Addr::new(198, 18, 9, 101)
            ]
        );
    }

    #[test]
    fn states_map_as_keepalived_maps_them() {
        assert_eq!(oper_state(State::Init), 1);
        assert_eq!(oper_state(State::Backup), 2);
        assert_eq!(oper_state(State::Master), 3);
        assert_eq!(oper_state(State::Fault), 1);
    }
}
