//! The varbinds of keepalived's notifications, from the events the loop queued.

use super::{InstanceFacts, TrapEvent, TrapSettings};
use crate::daemon::snmp::pdu::{Oid, Value, VarBind};
use crate::daemon::snmp::values::{octets, text};
use crate::daemon::snmp::vrrp_mib::{InterfaceFacts, VRRP_MIB};
use crate::daemon::snmp::vrrpv3_mib::{self, VRRPV3_MIB};
use crate::vrrp::validate::Rejection;
use crate::vrrp::{Family, NotifyState, Version};
use std::net::IpAddr;

/// keepalived's enterprise subtree (`KEEPALIVED-MIB::keepalived`).
const KEEPALIVED: [u32; 9] = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
/// `SNMPv2-MIB::sysUpTime.0`.
const SYS_UPTIME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];
/// `SNMPv2-MIB::snmpTrapOID.0`.
const SNMP_TRAP_OID: [u32; 11] = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

/// keepalived's state numbers in KEEPALIVED-MIB: backup(1), master(2), fault(3),
/// stop(5), deleted(6).
fn keepalived_state(s: NotifyState) -> i32 {
    match s {
        NotifyState::Backup => 1,
        NotifyState::Master => 2,
        NotifyState::Fault => 3,
        NotifyState::Stop => 5,
        NotifyState::Deleted => 6,
        _ => 4,
    }
}

fn ka(tail: &[u32]) -> Oid {
    let mut o = KEEPALIVED.to_vec();
    o.extend_from_slice(tail);
    o
}

fn under(base: &[u32], tail: &[u32]) -> Oid {
    let mut o = base.to_vec();
    o.extend_from_slice(tail);
    o
}

fn vb(name: Oid, value: Value) -> VarBind {
    VarBind { name, value }
}

fn ipv4(a: IpAddr) -> [u8; 4] {
    match a {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(_) => [0; 4],
    }
}

/// keepalived's `suitable_for_rfc2787`.
fn rfc2787(f: &InstanceFacts) -> bool {
    f.version == Version::V2 && f.family == Family::Ipv4 && f.has_vips
}

/// keepalived's `suitable_for_rfc6527` (Debian's build: VRRPv2 instances too).
fn rfc6527(f: &InstanceFacts) -> bool {
    f.has_vips
}

/// How the subagent task resolves interfaces when it builds a notification: the
/// instance's own interface (a VMAC when it has one) and the base interface under it.
pub struct Interfaces<'a> {
    pub own: Option<&'a InterfaceFacts>,
    pub base: Option<&'a InterfaceFacts>,
}

/// The notifications (each a varbind list starting with snmpTrapOID.0, without
/// sysUpTime.0) `event` causes under `settings`.
pub fn notifications(
    event: &TrapEvent,
    settings: &TrapSettings,
    ifs: &Interfaces,
) -> Vec<Vec<VarBind>> {
    let own = ifs.own.map_or(0, |f| f.index);
    let base = ifs.base.map_or(0, |f| f.index);
    match event {
        TrapEvent::Group { name, state } => {
            let group = vec![
                trap(ka(&[2, 10, 0, 1])),
                vb(ka(&[2, 1, 1, 2]), text(name)),
                vb(ka(&[2, 1, 1, 3]), Value::Integer(keepalived_state(*state))),
                router_id(settings),
            ];
            settings.keepalived.then_some(group).into_iter().collect()
        }
        TrapEvent::Instance {
            facts,
            state,
            initial_master,
        } => {
            let mut out: Vec<_> = settings
                .keepalived
                .then(|| instance_state(facts, *state, *initial_master, settings))
                .into_iter()
                .collect();
            if *state == NotifyState::Master {
                out.extend(new_master(facts, base, settings));
            }
            out
        }
        TrapEvent::Rejected {
            facts,
            src,
            rejection,
        } => rejected(facts, *src, *rejection, own, settings),
    }
}

fn trap(oid: Oid) -> VarBind {
    vb(SNMP_TRAP_OID.to_vec(), Value::ObjectId(oid))
}

fn router_id(settings: &TrapSettings) -> VarBind {
    vb(ka(&[1, 2, 0]), text(&settings.router_id))
}

/// KEEPALIVED-MIB `vrrpInstanceStateChange`.
fn instance_state(
    facts: &InstanceFacts,
    state: NotifyState,
    initial_master: bool,
    settings: &TrapSettings,
) -> Vec<VarBind> {
    vec![
        trap(ka(&[2, 10, 0, 2])),
        vb(ka(&[2, 3, 1, 2]), text(&facts.name)),
        vb(ka(&[2, 3, 1, 4]), Value::Integer(keepalived_state(state))),
        vb(
            ka(&[2, 3, 1, 5]),
            Value::Integer(if initial_master { 2 } else { 1 }),
        ),
        router_id(settings),
    ]
}

/// RFC 2787 `vrrpTrapNewMaster` and RFC 6527 `vrrpv3NotificationNewMaster`, indexed by
/// the base interface.
fn new_master(facts: &InstanceFacts, base: u32, settings: &TrapSettings) -> Vec<Vec<VarBind>> {
    let mut out = Vec::new();
    if settings.rfcv2 && rfc2787(facts) {
        out.push(vec![
            trap(under(&VRRP_MIB, &[0, 1])),
            vb(
                under(&VRRP_MIB, &[1, 3, 1, 7, base, facts.vrid as u32]),
                Value::IpAddress(ipv4(facts.source)),
            ),
        ]);
    }
    if settings.rfcv3 && rfc6527(facts) {
        let index = [
            base,
            facts.vrid as u32,
            vrrpv3_mib::address_type(facts.family),
        ];
        out.push(vec![
            trap(under(&VRRPV3_MIB, &[0, 1])),
            vb(
                under(&under(&VRRPV3_MIB, &[1, 1, 1, 1, 3]), &index),
                Value::OctetString(octets(facts.source)),
            ),
            vb(
                under(&under(&VRRPV3_MIB, &[1, 2, 5, 1, 2]), &index),
                Value::Integer(facts.master_reason as i32),
            ),
        ]);
    }
    out
}

/// RFC 2787 `vrrpTrapAuthFailure` and RFC 6527 `vrrpv3NotificationProtoError`, indexed
/// by the interface the instance runs on (`own`).
fn rejected(
    facts: &InstanceFacts,
    src: IpAddr,
    rejection: Rejection,
    own: u32,
    settings: &TrapSettings,
) -> Vec<Vec<VarBind>> {
    let mut out = Vec::new();
    if let (true, true, Some(kind)) = (settings.rfcv2, rfc2787(facts), rejection.auth_error_type())
    {
        out.push(vec![
            trap(under(&VRRP_MIB, &[0, 2])),
            vb(
                under(&VRRP_MIB, &[1, 5, own, facts.vrid as u32]),
                Value::IpAddress(ipv4(src)),
            ),
            vb(
                under(&VRRP_MIB, &[1, 6, own, facts.vrid as u32]),
                Value::Integer(kind as i32),
            ),
        ]);
    }
    if settings.rfcv3 && rfc6527(facts) && rejection.proto_error().is_some() {
        let index = [
            own,
            facts.vrid as u32,
            vrrpv3_mib::address_type(facts.family),
        ];
        out.push(vec![
            trap(under(&VRRPV3_MIB, &[0, 2])),
            vb(
                under(&under(&VRRPV3_MIB, &[1, 2, 5, 1, 6]), &index),
                Value::Integer(facts.proto_error as i32),
            ),
        ]);
    }
    out
}

/// A notification's varbinds as sent in the Notify PDU: sysUpTime.0 (the subagent's
/// uptime, in centiseconds) first, as net-snmp's subagents send it.
pub fn with_uptime(uptime_centis: u32, varbinds: Vec<VarBind>) -> Vec<VarBind> {
    let mut all = vec![vb(SYS_UPTIME.to_vec(), Value::TimeTicks(uptime_centis))];
    all.extend(varbinds);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(version: Version) -> InstanceFacts {
        InstanceFacts {
            name: "VI_1".into(),
            vrid: 51,
            version,
            family: Family::Ipv4,
            interface: "eth0".into(),
            has_vips: true,
            source: "198.18.9.1".parse().unwrap(),
            master_reason: 3,
            proto_error: 2,
        }
    }

    fn all_on() -> TrapSettings {
        TrapSettings {
            keepalived: true,
            rfcv2: true,
            rfcv3: true,
            router_id: "lab".into(),
        }
    }

    fn eth(index: u32) -> InterfaceFacts {
        InterfaceFacts {
            index,
            mac: vec![],
            ipv4: None,
            ipv6: None,
        }
    }

    #[test]
    fn a_v2_master_sends_the_keepalived_and_rfc_2787_notifications() {
        let e = eth(3);
        let ifs = Interfaces {
            own: Some(&e),
            base: Some(&e),
        };
        let event = TrapEvent::Instance {
            facts: facts(Version::V2),
            state: NotifyState::Master,
            initial_master: false,
        };
        let got = notifications(&event, &all_on(), &ifs);
        assert_eq!(got.len(), 3, "RFC 6527 notifies for a v2 instance too");
        assert_eq!(
            got[2][1].value,
            Value::OctetString(vec![198, 18, 9, 1]),
            "vrrpv3OperationsMasterIpAddr"
        );
        assert_eq!(
            got[0][0].value,
            Value::ObjectId(ka(&[2, 10, 0, 2])),
            "vrrpInstanceStateChange"
        );
        assert_eq!(got[0][2].value, Value::Integer(2));
        assert_eq!(got[0][4].value, text("lab"));
        assert_eq!(
            got[1][1].name,
            vec![1, 3, 6, 1, 2, 1, 68, 1, 3, 1, 7, 3, 51]
        );
        assert_eq!(got[1][1].value, Value::IpAddress([198, 18, 9, 1]));
        let backup = TrapEvent::Instance {
            facts: facts(Version::V2),
            state: NotifyState::Backup,
            initial_master: false,
        };
        assert_eq!(notifications(&backup, &all_on(), &ifs).len(), 1);
        let v3_only = TrapSettings {
            keepalived: false,
            rfcv2: false,
            ..all_on()
        };
        assert_eq!(notifications(&event, &v3_only, &ifs).len(), 1);
    }

    #[test]
    fn rejections_notify_by_kind_and_version() {
        let e = eth(3);
        let ifs = Interfaces {
            own: Some(&e),
            base: Some(&e),
        };
        let auth = TrapEvent::Rejected {
            facts: facts(Version::V2),
            src: "198.18.9.2".parse().unwrap(),
            rejection: Rejection::Password,
        };
        let got = notifications(&auth, &all_on(), &ifs);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0][2].value, Value::Integer(3), "authFailure");
        let proto = TrapEvent::Rejected {
            facts: facts(Version::V3),
            src: "198.18.9.2".parse().unwrap(),
            rejection: Rejection::Version {
                received: 2,
                expected: 3,
            },
        };
        let got = notifications(&proto, &all_on(), &ifs);
        assert_eq!(
            got[0][1].name,
            vec![1, 3, 6, 1, 2, 1, 207, 1, 2, 5, 1, 6, 3, 51, 1]
        );
        assert_eq!(got[0][1].value, Value::Integer(2), "versionError");
        let off = TrapSettings {
            rfcv3: false,
            ..all_on()
        };
        assert!(notifications(&proto, &off, &ifs).is_empty());
    }
}
