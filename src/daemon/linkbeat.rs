//! Link polling (`linkbeat_use_polling`, `linkbeat_interfaces`), as keepalived 2.2.7's
//! VRRP process does it: every second each polled interface's link is read from its
//! driver, and a change goes down the same path as a netlink link event (logged as
//! "Linkbeat reports IF up|down"), while netlink's link events for that interface are
//! ignored.
//!
//! Which interfaces: those the configuration names ([`Config::polled_interfaces`]) that an
//! instance uses (its interface, a VIP's device, a tracked interface); others are "turned
//! off" with keepalived's log line, and so are VMACs and ipvlans, whose netlink events
//! work. How: the first probe resolves the method as keepalived does, the configured one
//! first — MII (the PHY's link bit), else ETHTOOL (`ETHTOOL_GLINK`) (each falls back to
//! the other when the driver does not answer it), else the interface flags alone — and
//! logs when the configured one was not usable. Every later poll uses the resolved method
//! and then also requires `IFF_UP` and `IFF_RUNNING`; an interface that is gone is down.
//!
//! The ioctls run on a thread of their own (`SIOCETHTOOL` takes the kernel's RTNL lock,
//! which a busy host can hold for a while): an advert never waits for one. Its results
//! reach the event loop through a small queue; a full queue drops them (the next second
//! repeats them all).

use std::collections::{HashMap, HashSet};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::model::{Config, LinkMethod, PolledInterface};
use crate::sys::linkbeat::LinkProbe;

/// keepalived's `POLLING_DELAY`: one second between two polls of an interface.
pub const POLLING_INTERVAL: Duration = Duration::from_secs(1);

/// MII registers and the link bit of the status register (linux/mii.h).
const MII_BMCR: u16 = 0x00;
const MII_BMSR: u16 = 0x01;
const BMSR_LSTATUS: u16 = 0x0004;

/// One poll's result: the interface and whether its link is up.
pub type Report = (String, bool);

/// The running poller of one configuration (none when nothing is polled); dropping it
/// stops the thread.
pub struct Linkbeat {
    polled: HashSet<String>,
    reports: Option<mpsc::Receiver<Report>>,
    _stop: Option<std_mpsc::Sender<()>>,
}

impl Linkbeat {
    /// Chooses the interfaces to poll among those `config` names (`watched`: the
    /// interfaces the instances use; `vmacs`: the VMACs and ipvlans the daemon makes),
    /// logs as keepalived does, and starts polling them.
    pub fn start(config: &Config, watched: &HashMap<String, bool>, vmacs: &[String]) -> Linkbeat {
        let mut chosen = Vec::new();
        for wanted in config.polled_interfaces() {
            if !watched.contains_key(&wanted.name) {
                log::info!(
                    "Turning off linkbeat for {} since not used for tracking",
                    wanted.name
                );
            } else if vmacs.contains(&wanted.name) {
                log::info!(
                    "Turning off linkbeat for {} since netlink works for vmacs/ipvlans",
                    wanted.name
                );
            } else {
                chosen.push(wanted);
            }
        }
        if chosen.is_empty() {
            return Linkbeat {
                polled: HashSet::new(),
                reports: None,
                _stop: None,
            };
        }
        log::info!("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
        let polled = chosen.iter().map(|p| p.name.clone()).collect();
        let (tx, rx) = mpsc::channel(64);
        let (stop, stopped) = std_mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("linkbeat".into())
            .spawn(move || poll_forever(chosen, &tx, &stopped));
        if let Err(e) = spawned {
            log::error!("cannot start the linkbeat polling thread: {e}");
        }
        Linkbeat {
            polled,
            reports: Some(rx),
            _stop: Some(stop),
        }
    }

    /// Whether `name`'s link is polled (its netlink link events are then ignored).
    pub fn polls(&self, name: &str) -> bool {
        self.polled.contains(name)
    }

    /// The next poll result (never, when nothing is polled).
    pub async fn next_report(&mut self) -> Option<Report> {
        match self.reports.as_mut() {
            Some(rx) => rx.recv().await,
            None => std::future::pending().await,
        }
    }
}

/// One polled interface and the method its first probe settled on.
struct Polled {
    name: String,
    configured: Option<LinkMethod>,
    resolved: Option<LinkMethod>,
}

/// The thread: polls every interface now and then every second, until the owner drops
/// its end of `stop`.
fn poll_forever(
    chosen: Vec<PolledInterface>,
    tx: &mpsc::Sender<Report>,
    stop: &std_mpsc::Receiver<()>,
) {
    let probe = match LinkProbe::open() {
        Ok(p) => p,
        Err(e) => {
            log::info!(
                "open linkbeat init socket failed - errno {} - {e}",
                e.raw_os_error().unwrap_or(0)
            );
            return;
        }
    };
    let mut polled: Vec<Polled> = chosen
        .into_iter()
        .map(|p| Polled {
            name: p.name,
            configured: p.method,
            resolved: None,
        })
        .collect();
    for p in &mut polled {
        // An interface missing at start keeps its configured method unchecked.
        if exists(&p.name) {
            let up = resolve(&probe, p);
            let _ = tx.try_send((p.name.clone(), up));
        } else {
            p.resolved = p.configured;
        }
    }
    while let Err(std_mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(POLLING_INTERVAL) {
        for p in &mut polled {
            let up = poll(&probe, p);
            let _ = tx.try_send((p.name.clone(), up));
        }
    }
}

fn exists(name: &str) -> bool {
    nix::net::if_::if_nametoindex(name).is_ok_and(|i| i != 0)
}

/// A later poll: the resolved method (one that stopped answering counts as up), then
/// the flags; a vanished interface is down.
fn poll(probe: &LinkProbe, p: &mut Polled) -> bool {
    if !exists(&p.name) {
        return false;
    }
    let Some(method) = p.resolved else {
        return resolve(probe, p);
    };
    let link = match method {
        LinkMethod::Mii => mii(probe, &p.name).unwrap_or(true),
        LinkMethod::Ethtool => ethtool(probe, &p.name).unwrap_or(true),
        LinkMethod::Ioctl => true,
    };
    link && flags(probe, &p.name)
}

/// The first probe of an interface: finds the method its driver answers, starting with
/// the configured one, and says so when that is not the configured one.
fn resolve(probe: &LinkProbe, p: &mut Polled) -> bool {
    let name = p.name.as_str();
    let mut method = p.configured;
    let mut up = false;
    if matches!(method, None | Some(LinkMethod::Mii)) {
        method = mii(probe, name).map(|link| {
            up = link;
            LinkMethod::Mii
        });
    }
    if matches!(method, None | Some(LinkMethod::Ethtool)) {
        method = match ethtool(probe, name) {
            Some(link) => {
                up = link;
                Some(LinkMethod::Ethtool)
            }
            // Only a configured ETHTOOL tries MII again (a failed MII left `None`).
            None => method.and_then(|_| mii(probe, name)).map(|link| {
                up = link;
                LinkMethod::Mii
            }),
        };
    }
    let method = match method {
        None | Some(LinkMethod::Ioctl) => {
            up = true;
            LinkMethod::Ioctl
        }
        Some(m) => m,
    };
    if let Some(configured) = p.configured.filter(|c| *c != method) {
        log::info!(
            "({name}): Configured linkbeat type {} not supported, using {}",
            configured.word(),
            method.word()
        );
    }
    p.resolved = Some(method);
    up && flags(probe, name)
}

/// The MII probe: `None` when the driver has no MII registers (or no transceiver
/// answers), else the link bit of the status register (read twice: it latches a loss).
fn mii(probe: &LinkProbe, name: &str) -> Option<bool> {
    let phy = probe.mii_phy(name).ok()?;
    probe.mii_register(name, phy, MII_BMSR).ok()?;
    // A failed read counts as all ones, as keepalived's does.
    let read = |register| {
        probe.mii_register(name, phy, register).unwrap_or_else(|e| {
            log::error!("SIOCGMIIREG on {name} failed: {}", strerror(&e));
            0xffff
        })
    };
    let bmsr = if read(MII_BMCR) == 0xffff {
        0
    } else {
        read(MII_BMSR)
    };
    if bmsr == 0 {
        log::error!("No MII transceiver present for {name} !!!");
        return None;
    }
    let again = read(MII_BMSR);
    Some((bmsr | again) & BMSR_LSTATUS != 0)
}

fn ethtool(probe: &LinkProbe, name: &str) -> Option<bool> {
    probe.ethtool_link(name).ok()
}

/// `IFF_UP` and `IFF_RUNNING`; a failed query means up unless the interface is gone.
fn flags(probe: &LinkProbe, name: &str) -> bool {
    match probe.up_and_running(name) {
        Ok(up) => up,
        Err(e) => e.raw_os_error() != Some(libc::ENODEV),
    }
}

/// The C library's text for an error (what keepalived's `strerror` prints).
fn strerror(e: &std::io::Error) -> &'static str {
    nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0)).desc()
}
