//! The objects of keepalived 2.2.7's `org.keepalived.Vrrp1` service: one
//! `/org/keepalived/Vrrp1/Vrrp` object (dump and reload methods; started, reloaded and
//! stopped signals) and one `/org/keepalived/Vrrp1/Instance/IFNAME/VRID/FAMILY` object
//! per VRRP instance (`Name` and `State` properties, `SendGarp`, `VrrpStatusChange`).
//!
//! Methods that act on the daemon go to the event loop through
//! [`crate::daemon::requests`], the path signals take; properties are read from the
//! [`Table`] the service task keeps from the router's events, so a property read never
//! waits for the loop.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use zbus::fdo;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{Signature, StructureBuilder, Type, Value};

use crate::config::model::Config;
use crate::daemon::requests::{Refused, Request, Requests};
use crate::daemon::signals::DaemonSignal;
use crate::vrrp::{Family, State};

/// keepalived's default bus name.
pub const SERVICE_NAME: &str = "org.keepalived.Vrrp1";
/// The general object's path.
pub const VRRP_PATH: &str = "/org/keepalived/Vrrp1/Vrrp";
const INSTANCE_ROOT: &str = "/org/keepalived/Vrrp1/Instance/";

/// An instance object: where it is and whom it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceObject {
    pub path: String,
    pub name: String,
}

/// An instance's path: keepalived turns every character of the interface name but
/// ASCII letters and digits into `_` (the only ones a D-Bus path allows besides `_`),
/// and names an instance without an interface `none`.
pub fn instance_path(interface: Option<&str>, vrid: u8, family: Family) -> String {
    let interface: String = interface
        .unwrap_or("none")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let family = match family {
        Family::Ipv4 => "IPv4",
        Family::Ipv6 => "IPv6",
    };
    format!("{INSTANCE_ROOT}{interface}/{vrid}/{family}")
}

/// The instance objects of `cfg`, in configuration order (the interface is the one
/// configured, or `default_interface`).
pub fn instance_objects(cfg: &Config) -> Vec<InstanceObject> {
    cfg.instances
        .iter()
        .map(|inst| {
            let interface = inst
                .interface
                .as_deref()
                .or(cfg.global.default_interface.as_deref());
            InstanceObject {
                path: instance_path(interface, inst.virtual_router_id, inst.family),
                name: inst.name.clone(),
            }
        })
        .collect()
}

/// keepalived's number and word for a state, as `State` and `VrrpStatusChange` carry.
pub fn state_value(state: State) -> (u32, &'static str) {
    let word = match state {
        State::Init => "Init",
        State::Backup => "Backup",
        State::Master => "Master",
        State::Fault => "Fault",
        State::Stop => "Stop",
    };
    (state as u32, word)
}

/// What the instance objects show, by path: the instance's name and last known state.
#[derive(Debug, Default)]
pub struct Shown {
    pub by_path: BTreeMap<String, (String, State)>,
}

/// [`Shown`], shared by the service task (writer) and the objects (readers).
pub type Table = Arc<Mutex<Shown>>;

fn lock(table: &Table) -> std::sync::MutexGuard<'_, Shown> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a refused request reads on the bus.
fn refused(e: Refused) -> fdo::Error {
    match e {
        Refused::NoInstance(_) => fdo::Error::InvalidArgs(e.to_string()),
        Refused::Busy | Refused::Closed => fdo::Error::Failed(e.to_string()),
    }
}

async fn ask(requests: &Option<Requests>, request: Request) -> fdo::Result<()> {
    match requests {
        Some(r) => r.ask(request).await.map_err(refused),
        None => Err(refused(Refused::Closed)),
    }
}

/// `/org/keepalived/Vrrp1/Vrrp`.
pub struct VrrpObject {
    pub requests: Option<Requests>,
}

#[zbus::interface(name = "org.keepalived.Vrrp1.Vrrp")]
impl VrrpObject {
    /// Writes `/tmp/keepalived.data`, as SIGUSR1 does; answered once written.
    async fn print_data(&self) -> fdo::Result<()> {
        ask(&self.requests, Request::Dump(DaemonSignal::DumpData)).await
    }

    /// Writes `/tmp/keepalived.stats`, as SIGUSR2 does.
    async fn print_stats(&self) -> fdo::Result<()> {
        ask(&self.requests, Request::Dump(DaemonSignal::DumpStats)).await
    }

    /// Writes the statistics, then clears them.
    async fn print_stats_clear(&self) -> fdo::Result<()> {
        ask(&self.requests, Request::Dump(DaemonSignal::ClearStats)).await
    }

    /// Reloads the configuration, as SIGHUP does (answered when the reload starts).
    async fn reload_config(&self) -> fdo::Result<()> {
        ask(&self.requests, Request::Reload).await
    }

    #[zbus(signal)]
    pub async fn vrrp_started(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn vrrp_reloaded(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn vrrp_stopped(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// keepalived 2.2.7 declares `Name` a string (`s`) but answers a structure holding the
/// string (`(s)`); clients written against it unpack that structure, so this declares
/// and answers the same.
pub struct NameValue(String);

impl Type for NameValue {
    const SIGNATURE: &'static Signature = &Signature::Str;
}

impl From<NameValue> for Value<'static> {
    fn from(name: NameValue) -> Self {
        match StructureBuilder::new().add_field(name.0).build() {
            Ok(s) => Value::Structure(s),
            Err(e) => Value::from(e.to_string()),
        }
    }
}

/// `/org/keepalived/Vrrp1/Instance/IFNAME/VRID/FAMILY`.
pub struct InstanceObj {
    pub path: String,
    pub table: Table,
    pub requests: Option<Requests>,
}

impl InstanceObj {
    /// The name and state shown, or keepalived's error for a vanished instance.
    fn shown(&self) -> fdo::Result<(String, State)> {
        lock(&self.table)
            .by_path
            .get(&self.path)
            .cloned()
            .ok_or_else(|| {
                let label = self.path.trim_start_matches(INSTANCE_ROOT);
                fdo::Error::InvalidArgs(format!("Instance '{label}' not found"))
            })
    }
}

#[zbus::interface(name = "org.keepalived.Vrrp1.Instance")]
impl InstanceObj {
    /// One gratuitous ARP / NA per address of the instance, if it holds them.
    async fn send_garp(&self) -> fdo::Result<()> {
        let (instance, _) = self.shown()?;
        ask(&self.requests, Request::SendGarp { instance }).await
    }

    #[zbus(property)]
    fn name(&self) -> fdo::Result<NameValue> {
        self.shown().map(|(name, _)| NameValue(name))
    }

    #[zbus(property)]
    fn state(&self) -> fdo::Result<(u32, String)> {
        self.shown().map(|(_, state)| {
            let (code, word) = state_value(state);
            (code, word.to_owned())
        })
    }

    #[zbus(signal)]
    pub async fn vrrp_status_change(emitter: &SignalEmitter<'_>, status: u32) -> zbus::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_keepalived() {
        assert_eq!(
            instance_path(Some("eth0.100"), 51, Family::Ipv4),
            "/org/keepalived/Vrrp1/Instance/eth0_100/51/IPv4"
        );
        assert_eq!(
            instance_path(None, 7, Family::Ipv6),
            "/org/keepalived/Vrrp1/Instance/none/7/IPv6"
        );
        assert_eq!(state_value(State::Stop), (98, "Stop"));
    }
}
