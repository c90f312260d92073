//! SNMP: an AgentX subagent (RFC 2741) serving VRRP-MIB (RFC 2787) as keepalived does
//! with `enable_snmp_rfcv2`, and KEEPALIVED-MIB's global and VRRP parts with
//! `enable_snmp_vrrp`, through the host's master agent (`snmp_socket`).
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
pub mod view;
pub mod vrrp_mib;

pub use agent::SnmpAgent;
