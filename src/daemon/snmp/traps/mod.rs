//! SNMP notifications (`enable_traps`), as keepalived 2.2.7 sends them from its VRRP
//! process:
//!
//! * KEEPALIVED-MIB `vrrpInstanceStateChange` / `vrrpSyncGroupStateChange` on every
//!   instance / sync-group state notification (with `enable_snmp_vrrp`);
//! * VRRP-MIB (RFC 2787) `vrrpTrapNewMaster` on becoming MASTER and `vrrpTrapAuthFailure`
//!   on an advert failing authentication (with `enable_snmp_rfcv2`, VRRPv2 IPv4 instances
//!   with addresses);
//! * VRRPv3-MIB (RFC 6527) `vrrpv3NotificationNewMaster` and
//!   `vrrpv3NotificationProtoError` (TTL, version, checksum) (with `enable_snmp_rfcv3`,
//!   instances with addresses, VRRPv2 ones included as in Debian's build).
//!
//! The event loop only copies what a notification needs into a [`TrapEvent`] and hands
//! it to the subagent task through a bounded channel ([`note`]): it never waits for the
//! master agent. The task turns events into AgentX Notify PDUs ([`notifications`], in
//! `varbinds`).

mod varbinds;

pub use varbinds::{notifications, with_uptime, Interfaces};

use crate::vrrp::validate::Rejection;
use crate::vrrp::{Action, Family, NotifyState, NotifyTarget, Router, Version};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use tokio::sync::mpsc;

/// How many notifications may wait for the master agent before new ones are dropped.
pub const QUEUE: usize = 256;

/// Which notifications the configuration asks for (`enable_traps` with each MIB).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrapSettings {
    /// KEEPALIVED-MIB (`enable_snmp_vrrp` / `enable_snmp_keepalived`).
    pub keepalived: bool,
    pub rfcv2: bool,
    pub rfcv3: bool,
    /// `routerId` (the `router_id`, else the host name).
    pub router_id: String,
}

impl TrapSettings {
    pub fn any(&self) -> bool {
        self.keepalived || self.rfcv2 || self.rfcv3
    }
}

/// What RFC 2787 / RFC 6527 notifications say about an instance, copied on the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFacts {
    pub name: String,
    pub vrid: u8,
    pub version: Version,
    pub family: Family,
    pub interface: String,
    pub has_vips: bool,
    /// Our own source address (`vrrpOperMasterIpAddr` of a new master).
    pub source: IpAddr,
    pub master_reason: u8,
    pub proto_error: u8,
}

/// One notification-worthy event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapEvent {
    /// An instance announced a state (`initial_master`: configured `state MASTER`).
    Instance {
        facts: InstanceFacts,
        state: NotifyState,
        initial_master: bool,
    },
    Group {
        name: String,
        state: NotifyState,
    },
    Rejected {
        facts: InstanceFacts,
        src: IpAddr,
        rejection: Rejection,
    },
}

/// The running subagent's end of the channel, when notifications are on.
static SINK: Mutex<Option<mpsc::Sender<TrapEvent>>> = Mutex::new(None);

/// Sets (or clears) where [`note`] sends events.
pub fn install(sink: Option<mpsc::Sender<TrapEvent>>) {
    *SINK.lock().unwrap_or_else(|e| e.into_inner()) = sink;
}

fn facts_of(router: &Router, name: &str) -> Option<(InstanceFacts, bool)> {
    let status = router
        .instances()
        .find(|s| router.instance_config(s.id).is_some_and(|c| c.name == name))?;
    let cfg = router.instance_config(status.id)?;
    Some((facts(cfg, status), cfg.initial_state_master))
}

fn facts(cfg: &crate::vrrp::InstanceConfig, status: &crate::vrrp::InstanceStatus) -> InstanceFacts {
    InstanceFacts {
        name: cfg.name.clone(),
        vrid: cfg.vrid,
        version: cfg.version,
        family: cfg.family,
        interface: cfg.interface.clone(),
        has_vips: !cfg.vips.is_empty(),
        source: cfg.source_addr,
        master_reason: status.snmp_reasons.master,
        proto_error: status.snmp_reasons.proto_error,
    }
}

/// Called on the event loop for each action: queues the notifications it causes. Costs
/// one uncontended lock when notifications are off.
pub fn note(router: &Router, action: &Action) {
    let guard = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sink) = guard.as_ref() else { return };
    let event = match action {
        Action::Notify { target, state, .. } if announces_state(*state) => match target {
            NotifyTarget::Instance(name) => {
                let Some((facts, initial_master)) = facts_of(router, name) else {
                    return;
                };
                TrapEvent::Instance {
                    facts,
                    state: *state,
                    initial_master,
                }
            }
            NotifyTarget::Group(name) => TrapEvent::Group {
                name: name.clone(),
                state: *state,
            },
        },
        Action::PacketRejected {
            instance,
            src,
            rejection,
        } => {
            let (Some(cfg), Some(status)) = (
                router.instance_config(*instance),
                router.instances().find(|s| s.id == *instance),
            ) else {
                return;
            };
            TrapEvent::Rejected {
                facts: facts(cfg, status),
                src: *src,
                rejection: *rejection,
            }
        }
        _ => return,
    };
    match sink.try_send(event) {
        Ok(()) => DROPPING.store(false, Ordering::Relaxed),
        // Said once per run of drops: a flood of rejected packets must not flood the log.
        Err(_) if !DROPPING.swap(true, Ordering::Relaxed) => {
            log::warn!("SNMP: notifications dropped (the master agent is not keeping up)");
        }
        Err(_) => {}
    }
}

/// Set while notifications are being dropped (see [`note`]).
static DROPPING: AtomicBool = AtomicBool::new(false);

/// The states keepalived's instance/group notifications carry (not the lower-priority
/// advert nor priority changes).
fn announces_state(s: NotifyState) -> bool {
    matches!(
        s,
        NotifyState::Master
            | NotifyState::Backup
            | NotifyState::Fault
            | NotifyState::Stop
            | NotifyState::Deleted
    )
}
