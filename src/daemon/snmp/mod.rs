//! SNMP: an AgentX subagent (RFC 2741) serving VRRP-MIB (RFC 2787), VRRPv3-MIB (RFC 6527)
//! and KEEPALIVED-MIB's global and VRRP parts as keepalived does with `enable_snmp_rfcv2`,
//! `enable_snmp_rfcv3` and `enable_snmp_vrrp`, and sending its notifications with
//! `enable_traps` ([`traps`]), through the host's master agent (`snmp_socket`).
//!
//! [`pdu`] is the wire codec, [`view`] the Get/GetNext/GetBulk rules over sorted rows,
//! [`vrrp_mib`] and [`keepalived_mib`] the rows built from a status snapshot, [`session`] one connection and
//! [`agent`] the task that keeps one alive without ever blocking VRRP.

pub mod address;
pub mod agent;
pub mod interfaces;
pub mod keepalived_mib;
pub mod pdu;
pub mod session;
pub mod traps;
pub mod values;
pub mod view;
pub mod vrrp_mib;
pub mod vrrpv3_mib;

pub use agent::SnmpAgent;
