//! The slow side effects of state changes — netlink address changes, the nftables drop
//! rules of non-accepting instances, gratuitous ARP / unsolicited NA, the observers'
//! events — executed in order by one task, off the advert
//! path, so nothing stalls an advert. The event loop queues [`Effect`]s and moves on.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use std::sync::Arc;

use super::observe::{Event, Observers};
use super::plan::VipSpec;
use super::routing::RoutingSet;
use crate::sys::{
    AddressSpec, Change, GarpSender, InterfaceId, NaSender, Netlink, NetlinkError, SocketError,
};
use crate::track::mysql::ReadOnlyController;

/// One queued side effect.
#[derive(Debug)]
pub enum Effect {
    /// Install addresses (VIPs then eVIPs of `instance`). With `read_only`, the MySQL
    /// server is made writable first (`mysql_read_only`).
    AddVips {
        instance: String,
        vips: Vec<VipSpec>,
        read_only: Option<Arc<ReadOnlyController>>,
    },
    /// Remove them; with `read_only`, the MySQL server is set read-only first.
    RemoveVips {
        instance: String,
        vips: Vec<VipSpec>,
        read_only: Option<Arc<ReadOnlyController>>,
    },
    /// Install (`add`) or remove routes and rules: an instance's virtual ones (`owner`
    /// is its name) or the static ones (`None`).
    Routing {
        owner: Option<String>,
        set: Arc<RoutingSet>,
        add: bool,
    },
    /// One gratuitous ARP (IPv4) or unsolicited neighbour advert (IPv6).
    Garp { interface: String, addr: IpAddr },
    /// A reload's GARP pacing, for everything queued after this.
    Reconfigure { pacing: Pacing },
    /// Which instances the nftables firewall guards (at start-up and on reload).
    Firewall(super::firewall::Plan),
    /// Opens the GARP (`false`) / NA (`true`) senders of these interfaces ahead of time,
    /// so a takeover's first announcement does not wait for an interface lookup.
    OpenSenders(Vec<(String, bool)>),
    /// An event for the observers (notify scripts, FIFO …), handed over once the
    /// effects queued before it are done.
    Observe(Event),
    /// Answered once everything queued before it is done (used at shutdown and in
    /// tests).
    Barrier(oneshot::Sender<()>),
    /// Last effect: shuts the observers down (running STOP notify scripts get `grace` to
    /// finish), then answers and ends the worker.
    Shutdown {
        grace: Duration,
        done: oneshot::Sender<()>,
    },
}

/// Pacing of GARP / NA per interface: the least time between two announcements on one
/// interface (`vrrp_garp_interval`, `vrrp_gna_interval`, or a `garp_group`'s own
/// `garp_interval` / `gna_interval` for its interfaces).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pacing {
    pub garp_interval: Duration,
    pub gna_interval: Duration,
    /// `garp_group` interfaces: (GARP interval, NA interval), each defaulting to the
    /// global one.
    pub groups: HashMap<String, (Option<Duration>, Option<Duration>)>,
}

impl Pacing {
    /// The pacing `cfg` asks for.
    pub fn of(cfg: &crate::config::model::Config) -> Pacing {
        let mut groups = HashMap::new();
        for g in &cfg.garp_groups {
            for name in g.all_interfaces() {
                groups.insert(name.clone(), (g.garp_interval, g.gna_interval));
            }
        }
        Pacing {
            garp_interval: cfg.global.vrrp_garp_interval,
            gna_interval: cfg.global.vrrp_gna_interval,
            groups,
        }
    }

    /// The interval for announcements of `ipv6`-ness on `interface`.
    pub fn interval(&self, interface: &str, ipv6: bool) -> Duration {
        let group = self
            .groups
            .get(interface)
            .and_then(|(garp, gna)| if ipv6 { *gna } else { *garp });
        group.unwrap_or(if ipv6 {
            self.gna_interval
        } else {
            self.garp_interval
        })
    }
}

/// Executes effects one after the other until the channel closes.
pub struct EffectWorker {
    netlink: Netlink,
    pacing: Pacing,
    observers: Observers,
    firewall: super::firewall::Guard,
    garp: HashMap<String, GarpSender>,
    na: HashMap<String, NaSender>,
    last_sent: HashMap<(String, bool), Instant>,
}

#[derive(Debug, thiserror::Error)]
enum EffectError {
    #[error(transparent)]
    Netlink(#[from] NetlinkError),
    #[error(transparent)]
    Socket(#[from] SocketError),
    #[error("interface {0} has no Ethernet address")]
    NoMac(String),
}

impl EffectWorker {
    pub fn new(netlink: Netlink, pacing: Pacing, observers: Observers) -> Self {
        EffectWorker {
            netlink,
            pacing,
            observers,
            firewall: Default::default(),
            garp: HashMap::new(),
            na: HashMap::new(),
            last_sent: HashMap::new(),
        }
    }

    /// Spawns the worker; returns the queue to feed it.
    pub fn spawn(self) -> mpsc::UnboundedSender<Effect> {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(self.run(rx));
        tx
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Effect>) {
        while let Some(effect) = rx.recv().await {
            if let Effect::Shutdown { grace, done } = effect {
                self.firewall.shutdown().await;
                self.observers.shutdown(grace).await;
                let _ = done.send(());
                return;
            }
            self.execute(effect).await;
        }
    }

    async fn execute(&mut self, effect: Effect) {
        match effect {
            Effect::AddVips {
                instance,
                vips,
                read_only,
            } => self.change_vips(&instance, &vips, read_only, true).await,
            Effect::RemoveVips {
                instance,
                vips,
                read_only,
            } => self.change_vips(&instance, &vips, read_only, false).await,
            Effect::Routing { owner, set, add } => {
                super::routing::apply(&self.netlink, owner.as_deref(), &set, add).await
            }
            Effect::Garp { interface, addr } => {
                if let Err(e) = self.send_garp(&interface, addr).await {
                    log::warn!("cannot send gratuitous ARP/NA for {addr} on {interface}: {e}");
                }
            }
            Effect::Reconfigure { pacing } => self.pacing = pacing,
            Effect::Firewall(plan) => self.firewall.replan(plan).await,
            Effect::OpenSenders(interfaces) => {
                for (interface, ipv6) in interfaces {
                    // Not fatal: the first announcement tries again.
                    if let Err(e) = self.open_sender(&interface, ipv6).await {
                        log::debug!("cannot prepare gratuitous ARP/NA on {interface}: {e}");
                    }
                }
            }
            Effect::Observe(event) => self.observers.observe(&event),
            Effect::Barrier(done) => {
                let _ = done.send(());
            }
            Effect::Shutdown { .. } => {}
        }
    }

    /// Adds or removes an instance's addresses. With `mysql_read_only` the server's
    /// `read_only` changes first either way: writable before the VIP brings clients in,
    /// read-only before it sends them elsewhere, so no client ever writes to both nodes.
    /// A non-accepting instance's drop rule is in place before its VIPs appear and stays
    /// until they are gone (keepalived's order), so no packet ever reaches them.
    async fn change_vips(
        &mut self,
        instance: &str,
        vips: &[VipSpec],
        read_only: Option<Arc<ReadOnlyController>>,
        add: bool,
    ) {
        if let Some(control) = read_only {
            let (result, word, moment) = if add {
                (control.set_writable().await, "OFF", "before adding VIPs")
            } else {
                (control.set_read_only().await, "ON", "when leaving MASTER")
            };
            match result {
                Ok(_) => log::info!("({instance}) MySQL read_only set {word}"),
                Err(e) => {
                    log::error!("({instance}) could not set MySQL read_only {word} {moment}: {e}")
                }
            }
        }
        if add {
            self.firewall.change(instance, vips, true).await;
        }
        let verb = if add { "add" } else { "remove" };
        for vip in vips {
            if let Err(e) = self.change_address(vip, add).await {
                log::error!(
                    "({instance}) cannot {verb} {}/{}: {e}",
                    vip.addr,
                    vip.prefix
                );
            }
        }
        if !add {
            self.firewall.change(instance, vips, false).await;
        }
    }

    async fn change_address(&self, vip: &VipSpec, add: bool) -> Result<Change, EffectError> {
        let index = InterfaceId::by_name(&vip.interface)?.index;
        let mut spec = AddressSpec::new(index, vip.addr, vip.prefix);
        spec.broadcast = vip.broadcast;
        spec.scope = vip.scope;
        spec.label = vip.label.clone();
        Ok(if add {
            self.netlink.add(&spec).await?
        } else {
            self.netlink.delete(&spec).await?
        })
    }

    async fn send_garp(&mut self, interface: &str, addr: IpAddr) -> Result<(), EffectError> {
        let ipv6 = addr.is_ipv6();
        let interval = self.pacing.interval(interface, ipv6);
        let key = (interface.to_owned(), ipv6);
        if !interval.is_zero() {
            if let Some(last) = self.last_sent.get(&key) {
                tokio::time::sleep_until(*last + interval).await;
            }
        }
        self.open_sender(interface, ipv6).await?;
        let result = match addr {
            IpAddr::V4(v4) => self.garp[interface].send(v4).await,
            IpAddr::V6(v6) => self.na[interface].send(v6).await,
        };
        self.last_sent.insert(key, Instant::now());
        if result.is_err() {
            // The interface may have been re-created: reopen next time.
            self.garp.remove(interface);
            self.na.remove(interface);
        }
        Ok(result?)
    }

    /// Opens the GARP (`ipv6 = false`) or NA sender of `interface` unless it is open.
    async fn open_sender(&mut self, interface: &str, ipv6: bool) -> Result<(), EffectError> {
        if ipv6 && !self.na.contains_key(interface) {
            let (id, mac) = self.link(interface).await?;
            self.na
                .insert(interface.to_owned(), NaSender::open(&id, mac)?);
        } else if !ipv6 && !self.garp.contains_key(interface) {
            let (id, mac) = self.link(interface).await?;
            self.garp
                .insert(interface.to_owned(), GarpSender::open(&id, mac)?);
        }
        Ok(())
    }

    async fn link(&self, interface: &str) -> Result<(InterfaceId, [u8; 6]), EffectError> {
        let info = self.netlink.interface(interface).await?;
        let mac = info
            .mac
            .ok_or_else(|| EffectError::NoMac(interface.into()))?;
        Ok((
            InterfaceId {
                name: info.name,
                index: info.index,
            },
            mac,
        ))
    }
}

#[cfg(test)]
mod pacing_tests {
    use super::*;

    fn config(text: &str) -> crate::config::model::Config {
        crate::config::check_text(text).config
    }

    #[test]
    fn garp_group_intervals_apply_to_its_interfaces_only() {
        let cfg = config(
            "global_defs {\n vrrp_garp_interval 0.01\n vrrp_gna_interval 0.02\n}\n\
             garp_group {\n garp_interval 0.2\n interface eth1\n interfaces {\n eth2\n eth3\n }\n}\n",
        );
        let p = Pacing::of(&cfg);
        assert_eq!(p.interval("eth0", false), Duration::from_millis(10));
        assert_eq!(p.interval("eth0", true), Duration::from_millis(20));
        for i in ["eth1", "eth2", "eth3"] {
            assert_eq!(p.interval(i, false), Duration::from_millis(200), "{i}");
            // The group sets no NA interval: the global one holds.
            assert_eq!(p.interval(i, true), Duration::from_millis(20), "{i}");
        }
    }

    #[test]
    fn garp_group_dumps_as_it_parses() {
        let text = "garp_group {\n gna_interval 0.5\n interfaces {\n eth2\n eth3\n }\n}\n";
        let cfg = config(text);
        let dumped = crate::config::dump_config(&cfg);
        assert!(dumped.contains("interfaces {"), "{dumped}");
        assert_eq!(config(&dumped).garp_groups, cfg.garp_groups);
        assert_eq!(
            Pacing::of(&config(&dumped)).interval("eth3", true),
            Duration::from_millis(500)
        );
    }
}
