//! The event loop: turns OS events (packets, timers, link changes, tracker results,
//! signals) into calls on the protocol core and executes the core's actions.
//!
//! ```text
//!  receive sockets (recvmmsg) ─────┐
//!  netlink watcher ────────────────┤                ┌─► adverts: sent inline
//!  tracker tasks ─► tracker queue ─┼─► Router ─► actions ─► VIPs, GARP: effect queue
//!  timer (poll_timeout) ───────────┤                ├─► state changes, notifications:
//!  signals ────────────────────────┘                │   Running::publish → observers
//!                                                   └─► log lines
//! ```
//!
//! Adverts are sent from the loop itself, before anything slower is even queued, so a
//! slow netlink call, notify script or log sink never delays one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::effects::Effect;
use super::link_delay::LinkDelays;
use super::observe::{Cause, Event, InstanceIndex, Observer, Settings, StatusFeed};
use super::plan::{self, Plan, VipSpec};
use super::replan::Replan;
use super::requests::{Asked, Refused, Request};
use super::routing::{self, RoutingSet};
use super::signals::{DaemonSignal, Origin, Signals};
use super::status::ShownConfig;
use super::tracking::Tracking;
use super::wire::{Outgoing, Wire};
use crate::config::model::Config;
use crate::sys::{NetEvent, NetlinkWatcher};
use crate::track::mysql::ReadOnlyController;
use crate::track::{TrackerEvent, TrackerTx};
use crate::vrrp::{Action, LogLevel, ReceivedPacket, Router, RouterInit};

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// TERM / INT: graceful stop done.
    Stopped,
}

/// A configuration read and checked for a reload (off the event loop), with its
/// observers' settings already prepared: the notify scripts' security checks stat files,
/// which the loop must not wait for.
pub struct Loaded {
    pub config: Config,
    pub observers: Settings,
}

/// A configuration made ready to run on this host.
pub struct Prepared {
    pub plan: Plan,
    pub init: RouterInit,
    pub tracking: Tracking,
    /// `interface_up_down_delays` as this plan runs them.
    pub link_delays: LinkDelays,
}

/// The result of [`Host::prepare`].
pub type PrepareFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Prepared, String>> + 'a>>;

/// Moments of the daemon's life the host reports (to systemd).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Reloading,
    Ready,
    Stopping,
}

/// Hooks the loop calls that belong to other parts of the daemon (reload, dumps).
pub trait Host {
    /// SIGHUP: reads and checks the configuration again. Runs on a blocking thread so
    /// a big configuration cannot hold up adverts. `Err` carries why it was refused.
    fn load_config(&self) -> Box<dyn FnOnce() -> Result<Loaded, String> + Send>;
    /// Plans a checked configuration on this host, carrying tracker results over from
    /// `previous`.
    fn prepare<'a>(
        &'a mut self,
        config: &'a Config,
        previous: Option<&'a Tracking>,
    ) -> PrepareFuture<'a>;
    /// USR1 / USR2 / JSON dump requests and stats clearing, asked by a signal or over
    /// D-Bus.
    fn dump(&mut self, signal: DaemonSignal, origin: Origin, running: &mut Running);
    /// Called after every batch of actions that changed an instance state, and about
    /// once a second (for metrics).
    fn refresh(&mut self, running: &Running);
    /// About once a second: retries of what the host could not do yet (a busy metrics
    /// port).
    fn tick(&mut self, running: &Running);
    /// A reload is about to read the configuration (`running` is still the old one).
    fn reload_starting(&mut self, _running: &Running) {}
    /// A reload has been applied: follow settings the host owns (the metrics endpoint).
    fn reloaded(&mut self, running: &Running);
    /// Reload / ready / stop moments.
    fn lifecycle(&mut self, event: Lifecycle);
}

/// Plans `loaded` on this host and switches the running configuration to it; on failure
/// the running one stays (logged). True when switched.
async fn switch_to(running: &mut Running, host: &mut dyn Host, loaded: Loaded) -> bool {
    let prepared = match host.prepare(&loaded.config, Some(&running.tracking)).await {
        Ok(p) => p,
        Err(e) => {
            log::error!("Reload refused, keeping the running configuration: {e}");
            return false;
        }
    };
    match running.replace(loaded, prepared).await {
        Ok(()) => {
            host.reloaded(running);
            true
        }
        Err(e) => {
            log::error!("Reload failed, keeping the running configuration: {e}");
            false
        }
    }
}

/// Applies a reload read off the loop, or logs why not.
async fn finish_reload(
    running: &mut Running,
    host: &mut dyn Host,
    loaded: Result<Result<Loaded, String>, tokio::task::JoinError>,
) {
    match loaded {
        Ok(Ok(loaded)) => {
            if switch_to(running, host, loaded).await {
                log::info!("Reload complete");
            }
        }
        Ok(Err(e)) => log::error!("Reload refused, keeping the running configuration: {e}"),
        Err(e) => log::error!("Reload failed, keeping the running configuration: {e}"),
    }
}

/// Plans the running configuration again when an interface it waits for changed
/// ([`Replan`]).
async fn replan_if_due(running: &mut Running, host: &mut dyn Host) {
    let Some((config, waited)) = running.replan.as_mut().and_then(Replan::take_due) else {
        return;
    };
    log::info!(
        "Interface change on {}: planning the running configuration again",
        waited.join(", ")
    );
    let loaded = Loaded {
        observers: Settings::of(&config),
        config,
    };
    if switch_to(running, host, loaded).await {
        log::info!("Running configuration re-planned");
    }
}

/// Starts reading the configuration again on a blocking thread (SIGHUP).
fn start_reload(
    host: &mut dyn Host,
    running: &Running,
) -> tokio::task::JoinHandle<Result<Loaded, String>> {
    log::info!("Reloading");
    host.reload_starting(running);
    host.lifecycle(Lifecycle::Reloading);
    tokio::task::spawn_blocking(host.load_config())
}

/// The running configuration and everything built from it.
pub struct Running {
    /// What the views show of the configuration (the core has the rest).
    pub shown: ShownConfig,
    pub router: Router,
    /// Per instance, its VIP and eVIP specs (short lists: searched linearly).
    vips: Vec<Vec<VipSpec>>,
    /// The previous configuration's specs, to remove addresses a reload dropped with
    /// the prefix and device they were added with.
    retired_vips: HashMap<IpAddr, VipSpec>,
    wire: Wire,
    effects: mpsc::UnboundedSender<Effect>,
    /// Last known `up && running` of every interface we watch.
    links: HashMap<String, bool>,
    /// Link changes held back by `interface_up_down_delays`.
    link_delays: LinkDelays,
    pub tracking: Tracking,
    tracker_tx: TrackerTx,
    /// `mysql_read_only` controllers by instance name.
    read_only: HashMap<String, Arc<ReadOnlyController>>,
    send_errors: u64,
    /// Adverts of the current drain not sent yet (kept to reuse its allocation).
    outgoing: Vec<Outgoing>,
    /// A state change or a burst of actions has run code and freed memory the steady
    /// state does not need: the next refresh tick hands both back to the kernel.
    release_pending: bool,
    /// Names and VRIDs for the observers' events.
    index: InstanceIndex,
    /// The status observer (metrics), which runs on the loop.
    status: StatusFeed,
    /// Interfaces the configuration waits for (`dynamic_interfaces`), if any.
    replan: Option<Replan>,
    /// Virtual routes and rules, by instance id, and whether they are installed.
    routing: Vec<Arc<RoutingSet>>,
    routes_set: Vec<bool>,
    /// `static_routes` / `static_rules` and `static_ipaddress`, installed from start-up
    /// to shutdown.
    static_routing: Arc<RoutingSet>,
    static_addresses: Vec<VipSpec>,
    /// What goes back when deleted or when its link comes up (see
    /// [`super::static_reinstate`]).
    static_reinstate: super::static_reinstate::StaticReinstate,
    /// A reload's route and rule changes, queued after the actions it caused (a new
    /// route may use a new VIP as its source).
    pending_routing: Vec<Effect>,
    /// Link polling (`linkbeat_interfaces`, `linkbeat_use_polling`).
    pub linkbeat: super::linkbeat::Linkbeat,
}

/// The interfaces (and families) gratuitous ARPs / NAs go out on for these VIPs.
fn announced_interfaces(vips: &[Vec<VipSpec>]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = vips
        .iter()
        .flatten()
        .map(|v| (v.interface.to_string(), v.addr.is_ipv6()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Queues the static entries' installation (`add`: addresses, routes, rules) or removal
/// (rules, routes, addresses), in keepalived's order.
fn send_static(
    effects: &mpsc::UnboundedSender<Effect>,
    addresses: &[VipSpec],
    set: &Arc<RoutingSet>,
    add: bool,
) {
    let addresses = (!addresses.is_empty()).then(|| static_address_effect(addresses.to_vec(), add));
    let routing = (!set.is_empty()).then(|| Effect::Routing {
        owner: None,
        set: set.clone(),
        add,
    });
    let ordered = if add {
        [addresses, routing]
    } else {
        [routing, addresses]
    };
    for effect in ordered.into_iter().flatten() {
        let _ = effects.send(effect);
    }
}

fn static_address_effect(vips: Vec<VipSpec>, add: bool) -> Effect {
    let instance = "static_ipaddress".to_owned();
    if add {
        Effect::AddVips {
            instance,
            vips,
            read_only: None,
        }
    } else {
        Effect::RemoveVips {
            instance,
            vips,
            read_only: None,
        }
    }
}

/// The virtual router an instance is (interface, VRID, family), as a reload matches
/// instances.
type RouterKey = (String, u8, crate::vrrp::Family);

fn router_key(cfg: &crate::vrrp::InstanceConfig) -> RouterKey {
    (cfg.interface.clone(), cfg.vrid, cfg.family)
}

/// Removes what `before` has and `after` has not, then adds the reverse.
fn routing_diff(
    pending: &mut Vec<Effect>,
    owner: Option<&str>,
    before: &RoutingSet,
    after: &RoutingSet,
) {
    for (set, add) in [(before.minus(after), false), (after.minus(before), true)] {
        if !set.is_empty() {
            pending.push(Effect::Routing {
                owner: owner.map(str::to_owned),
                set: Arc::new(set),
                add,
            });
        }
    }
}

/// Actions drained in one go that count as a burst (see [`Running::release_pending`]).
const BURST_ACTIONS: usize = 256;

impl Running {
    /// Opens the sockets of `prepared`, starts its trackers, and takes over `router`
    /// (started on the same plan).
    pub fn start(
        config: Config,
        prepared: Prepared,
        router: Router,
        effects: mpsc::UnboundedSender<Effect>,
        tracker_tx: TrackerTx,
    ) -> Result<Running, crate::sys::SocketError> {
        let Prepared {
            plan,
            mut tracking,
            link_delays,
            ..
        } = prepared;
        let wire = Wire::open(&plan, !config.global.log_unknown_vrids)?;
        tracking.start(tracker_tx.clone());
        let links = watched_links(&plan, &tracking, &HashMap::new());
        let linkbeat = super::linkbeat::Linkbeat::start(&config, &links, &vmac_names(&plan));
        let read_only = read_only_controllers(&config, &HashMap::new());
        // Instances start as BACKUP: make sure no server is left writable (a restarted
        // mysqld comes back writable).
        for (name, control) in &read_only {
            let (name, control) = (name.clone(), control.clone());
            tokio::spawn(async move {
                if let Err(e) = control.set_read_only().await {
                    log::error!("({name}) could not set MySQL read_only ON at start-up: {e}");
                }
            });
        }
        let _ = effects.send(Effect::OpenSenders(announced_interfaces(&plan.vips)));
        if config.global.nftables.implied {
            log::info!(
                "use_vmac or no_accept/strict specified, but no firewall configured - using nftables"
            );
        }
        let _ = effects.send(Effect::Firewall(super::firewall::Plan::of(
            &config,
            &plan.vmacs,
        )));
        // As keepalived: what a previous run may have left (it crashed, or stopped with
        // --dont-release-vrrp) is removed first, then the static entries go in before any
        // instance runs.
        let static_routing = routing::static_set(&config);
        let static_addresses = routing::static_addresses(&config);
        let instance_routing = routing::instance_sets(&config, &router);
        for (i, set) in instance_routing.iter().enumerate() {
            let owner = router.instance_config(crate::vrrp::InstanceId(i));
            if let (false, Some(owner)) = (set.is_empty(), owner) {
                let _ = effects.send(Effect::Routing {
                    owner: Some(owner.name.clone()),
                    set: set.clone(),
                    add: false,
                });
            }
        }
        super::leftovers::release(&router, &plan.vips, &effects);
        send_static(&effects, &[], &static_routing, false);
        send_static(&effects, &static_addresses, &static_routing, true);
        let static_reinstate = super::static_reinstate::StaticReinstate::of(
            &config,
            &static_addresses,
            &Default::default(),
        );
        Ok(Running {
            static_reinstate,
            routes_set: vec![false; instance_routing.len()],
            routing: instance_routing,
            static_routing,
            static_addresses,
            pending_routing: Vec::new(),
            replan: Replan::of(&plan, &config),
            index: InstanceIndex::of(&router),
            status: StatusFeed::default(),
            shown: ShownConfig::of(config, &router),
            vips: plan.vips.clone(),
            retired_vips: HashMap::new(),
            router,
            wire,
            effects,
            links,
            link_delays,
            tracking,
            tracker_tx,
            read_only,
            send_errors: 0,
            outgoing: Vec::new(),
            release_pending: false,
            linkbeat,
        })
    }

    /// Executes every queued action of the core, in order; `cause` is why the core was
    /// asked (for the observers). Returns whether an instance changed state.
    pub async fn drain(&mut self, cause: Cause) -> bool {
        let mut drained = 0usize;
        while let Some(action) = self.router.poll_action() {
            drained += 1;
            if drained == BURST_ACTIONS {
                self.release_pending = true;
            }
            if !matches!(action, Action::SendAdvert { .. }) {
                self.send_outgoing().await;
            }
            match action {
                Action::SendAdvert {
                    instance,
                    packet,
                    dst,
                    ..
                } => {
                    // Adverts due together leave together (`sendmmsg`), before the next
                    // action of another kind: none waits behind anything slower.
                    self.outgoing.push(Outgoing {
                        instance,
                        packet,
                        dst,
                    });
                    continue;
                }
                Action::AddVips { instance, addrs } => {
                    let (name, vips) = self.specs(instance.0, &addrs);
                    let read_only = self.read_only.get(&name).cloned();
                    let _ = self.effects.send(Effect::AddVips {
                        instance: name,
                        vips,
                        read_only,
                    });
                    self.sync_routing(instance.0, true);
                }
                Action::RemoveVips { instance, addrs } => {
                    self.sync_routing(instance.0, false);
                    let (name, vips) = self.specs(instance.0, &addrs);
                    let read_only = self.read_only.get(&name).cloned();
                    let _ = self.effects.send(Effect::RemoveVips {
                        instance: name,
                        vips,
                        read_only,
                    });
                }
                Action::SendGarp { instance, addr } => {
                    let (_, specs) = self.specs(instance.0, &[addr]);
                    if let Some(spec) = specs.into_iter().next() {
                        let _ = self.effects.send(Effect::Garp {
                            interface: spec.interface.to_string(),
                            addr,
                        });
                    }
                }
                Action::PacketRejected { .. } => {
                    crate::daemon::snmp::traps::note(&self.router, &action);
                }
                action @ (Action::Notify { .. } | Action::StateChanged { .. }) => {
                    crate::daemon::snmp::traps::note(&self.router, &action);
                    if let Action::StateChanged { instance, .. } = &action {
                        // Entering MASTER comes before the VIPs are added: routes wait
                        // for AddVips unless there are no addresses to wait for.
                        let i = instance.0;
                        self.sync_routing(i, self.vips.get(i).is_none_or(Vec::is_empty));
                    }
                    if let Some(event) = self.index.event(&self.router, action, cause) {
                        self.publish(event);
                    }
                }
                Action::Log { level, text } => match level {
                    LogLevel::Info => log::info!("{text}"),
                    LogLevel::Detail => log::debug!("{text}"),
                },
            }
        }
        self.send_outgoing().await;
        for effect in self.pending_routing.drain(..) {
            let _ = self.effects.send(effect);
        }
        self.static_reinstate.flush(&self.effects);
        let changed = self.status.take_stale();
        self.release_pending |= changed;
        changed
    }

    /// Sends the adverts queued by [`Running::drain`] (the buffer is kept for the next).
    async fn send_outgoing(&mut self) {
        if self.outgoing.is_empty() {
            return;
        }
        let send_errors = &mut self.send_errors;
        self.wire
            .send_adverts(&self.router, &self.outgoing, |cfg, e| {
                *send_errors += 1;
                // First failure and then every 100th, so a dead link cannot flood the
                // log at the advert rate.
                if *send_errors % 100 == 1 {
                    log::warn!("({}) advert not sent: {e}", cfg.name);
                }
            })
            .await;
        self.outgoing.clear();
    }

    /// Installs or removes instance `i`'s virtual routes and rules when the core has
    /// set or cleared its VIPs. The core's `vips_set` is the hook, not the AddVips /
    /// RemoveVips actions themselves: it flips exactly where keepalived adds routes after
    /// the VIPs (becoming master) and removes them before (leaving master, stopping), it
    /// also flips for an instance without VIPs (which emits no address action), it does
    /// not flip for a reload's partial address changes, and it stays set on a stop with
    /// `--dont-release-vrrp`, which keeps the routes as it keeps the VIPs. Called at each
    /// action of the instance that can accompany the flip, before a removal and after an
    /// addition; `may_add` is false where the VIPs are not in place yet.
    fn sync_routing(&mut self, i: usize, may_add: bool) {
        let id = crate::vrrp::InstanceId(i);
        let Some(want) = self.router.instance(id).map(|s| s.vips_set) else {
            return;
        };
        if self.routes_set.get(i) != Some(&!want) || (want && !may_add) {
            return;
        }
        self.routes_set[i] = want;
        let set = self.routing[i].clone();
        if set.is_empty() {
            return;
        }
        let owner = self.router.instance_config(id).map(|c| c.name.clone());
        let _ = self.effects.send(Effect::Routing {
            owner,
            set,
            add: want,
        });
    }

    /// Each instance's virtual routes and rules, and whether they are installed, by the
    /// virtual router it is (a reload renumbers instances, and carries the state of a
    /// renamed one over).
    fn routing_by_router(&self) -> HashMap<RouterKey, (Arc<RoutingSet>, bool)> {
        self.router
            .instances()
            .filter_map(|s| {
                let key = router_key(self.router.instance_config(s.id)?);
                let i = s.id.0;
                Some((key, (self.routing.get(i)?.clone(), self.routes_set[i])))
            })
            .collect()
    }

    /// A reload's route and rule changes, queued for the end of the next drain: static
    /// entries by difference; an instance that stays master keeps what is unchanged and
    /// gets the differences; the others follow `vips_set` from now on
    /// ([`Running::sync_routing`]).
    fn reload_routing(
        &mut self,
        config: &Config,
        old: HashMap<RouterKey, (Arc<RoutingSet>, bool)>,
    ) {
        let mut pending = Vec::new();
        let new_static = routing::static_set(config);
        let old_static = std::mem::replace(&mut self.static_routing, new_static.clone());
        routing_diff(&mut pending, None, &old_static, &new_static);
        let new_addresses = routing::static_addresses(config);
        self.static_reinstate = super::static_reinstate::StaticReinstate::of(
            config,
            &new_addresses,
            &self.static_reinstate,
        );
        let old_addresses = std::mem::replace(&mut self.static_addresses, new_addresses.clone());
        for (from, to, add) in [
            (&old_addresses, &new_addresses, false),
            (&new_addresses, &old_addresses, true),
        ] {
            let changed: Vec<VipSpec> = from.iter().filter(|a| !to.contains(a)).cloned().collect();
            if !changed.is_empty() {
                pending.push(static_address_effect(changed, add));
            }
        }
        self.routing = routing::instance_sets(config, &self.router);
        self.routes_set = vec![false; self.routing.len()];
        let statuses: Vec<(usize, bool)> = self
            .router
            .instances()
            .map(|s| (s.id.0, s.vips_set))
            .collect();
        for (i, vips_set) in statuses {
            let Some(cfg) = self.router.instance_config(crate::vrrp::InstanceId(i)) else {
                continue;
            };
            let (name, key) = (cfg.name.clone(), router_key(cfg));
            let empty = Arc::default();
            let (before, installed) = match old.get(&key) {
                Some((set, true)) => (set, true),
                _ => (&empty, false),
            };
            let after = if vips_set {
                self.routing[i].clone()
            } else {
                Arc::default()
            };
            if installed || vips_set {
                routing_diff(&mut pending, Some(&name), before, &after);
            }
            self.routes_set[i] = vips_set;
        }
        self.pending_routing = pending;
    }

    /// The one place observers are fed (see [`super::observe`]): the status observer
    /// here on the loop, the others through the effect queue, after the address changes
    /// queued before the event.
    fn publish(&mut self, event: Event) {
        self.status.observe(&event);
        let _ = self.effects.send(Effect::Observe(event));
    }

    /// The specs of `addrs` of instance `i` (VIPs not in the index get a host prefix on
    /// the instance interface).
    fn specs(&self, i: usize, addrs: &[IpAddr]) -> (String, Vec<VipSpec>) {
        let cfg = self
            .router
            .instance_config(crate::vrrp::InstanceId(i))
            .expect("instance ids come from the router");
        let index = &self.vips[i];
        let specs = addrs
            .iter()
            .map(|a| {
                index
                    .iter()
                    .find(|s| s.addr == *a)
                    .or_else(|| self.retired_vips.get(a))
                    .cloned()
                    .unwrap_or_else(|| VipSpec {
                        addr: *a,
                        prefix: if a.is_ipv4() { 32 } else { 128 },
                        interface: cfg.interface.as_str().into(),
                        broadcast: None,
                        scope: crate::sys::Scope::Global,
                        label: None,
                    })
            })
            .collect();
        (cfg.name.clone(), specs)
    }

    /// The parked receive sockets are due (or a protocol deadline came first): reads
    /// everything they hold and hands it to the core, each advert at its arrival time.
    fn read_rested(&mut self, now: Instant, batch: &mut crate::sys::RecvBatch) {
        /// Batches per socket and read: a flood cannot hold the loop here.
        const ROUNDS: usize = 64;
        for i in 0..self.wire.listener_count() {
            for _ in 0..ROUNDS {
                let Some(interface) = self.wire.read_now(i, batch) else {
                    break;
                };
                self.handle_batch(self.wire.arrival_clock(now), &interface, batch);
                if batch.len() < crate::sys::recv_batch::BATCH {
                    break;
                }
            }
        }
        self.wire.after_rest_read(now);
    }

    /// Hands every packet of a batch read on `interface` to the core, each at the
    /// instant it arrived.
    fn handle_batch(
        &mut self,
        clock: super::coalesce::ArrivalClock,
        interface: &str,
        batch: &crate::sys::RecvBatch,
    ) {
        for (bytes, entry) in batch.iter() {
            let now = clock.at(entry.received_at);
            if entry.truncated {
                self.wire.count_truncated();
                continue;
            }
            let rx = match entry.ipv6 {
                None => ReceivedPacket::Ipv4 {
                    packet: bytes,
                    interface: Some(interface),
                },
                Some((src, dst, hop_limit)) => ReceivedPacket::Ipv6 {
                    payload: bytes,
                    src,
                    dst,
                    hop_limit: Some(hop_limit),
                    interface: Some(interface),
                },
            };
            self.router.handle_packet(now, rx);
        }
    }

    fn handle_net_event(&mut self, now: Instant, event: NetEvent) {
        if let NetEvent::LinkChanged { name, .. } = &event {
            if self.linkbeat.polls(name) {
                return;
            }
        }
        if self.replan.as_mut().is_some_and(|r| r.note(&event)) {
            if let NetEvent::LinkChanged {
                name, up, running, ..
            } = &event
            {
                if let Some(known) = self.links.get_mut(name) {
                    *known = *up && *running;
                }
            }
            return;
        }
        match event {
            NetEvent::LinkChanged {
                name,
                up,
                running,
                flags,
                ..
            } => {
                if self.link_delays.changed(now, &name, flags) {
                    self.link_state(now, &name, up && running, "Netlink");
                    self.static_reinstate.link_changed(&name, up && running);
                }
            }
            NetEvent::LinkRemoved { name, .. } => {
                self.link_delays.removed(&name);
                self.link_state(now, &name, false, "Netlink");
                self.static_reinstate.link_changed(&name, false);
            }
            NetEvent::AddressRemoved { index, address, .. } => {
                self.router.handle_source_address(now, address, false);
                self.vip_removed(address);
                let effects = &self.effects;
                self.static_reinstate
                    .address_removed(index, address, effects);
            }
            NetEvent::AddressAdded { address, .. } => {
                self.router.handle_source_address(now, address, true)
            }
        }
    }

    /// A link change `reporter` (netlink, or the link poller) saw.
    pub(super) fn link_state(&mut self, now: Instant, name: &str, up: bool, reporter: &str) {
        let Some(known) = self.links.get_mut(name) else {
            return;
        };
        if *known == up {
            return;
        }
        *known = up;
        log::info!(
            "{reporter} reports {name} {}",
            if up { "up" } else { "down" }
        );
        self.router.handle_interface(now, name, up);
        if let Some(id) = self.tracking.interface(name) {
            let event = TrackerEvent {
                id,
                status: if up {
                    crate::vrrp::TrackerStatus::Up
                } else {
                    crate::vrrp::TrackerStatus::Down
                },
            };
            self.handle_tracker(now, event);
        }
    }

    /// Link changes whose `interface_up_down_delays` delay has run out.
    fn delayed_links_due(&mut self, now: Instant) {
        for (name, up) in self.link_delays.due(now) {
            self.link_state(now, &name, up, "Netlink");
        }
    }

    /// A tracker reported a new result.
    pub fn handle_tracker(&mut self, now: Instant, event: TrackerEvent) {
        // Events of trackers stopped by a reload may still be queued: drop them.
        if self.tracking.record(event) {
            self.router.handle_tracker(now, event.id, event.status);
        }
    }

    /// A VIP of a master was deleted behind our back: put it back (keepalived 2.x
    /// re-adds tracked VIPs of a master; `no_track` ones are left alone).
    fn vip_removed(&mut self, address: IpAddr) {
        let owners: Vec<usize> = self
            .router
            .instances()
            .filter(|s| s.state == crate::vrrp::State::Master && s.vips_set)
            .map(|s| s.id.0)
            .filter(|&i| self.vips[i].iter().any(|s| s.addr == address))
            .collect();
        for i in owners {
            if self.shown.no_track(i, address) {
                continue;
            }
            let (name, vips) = self.specs(i, &[address]);
            log::info!("({name}) VIP {address} was removed externally; restoring it");
            let _ = self.effects.send(Effect::AddVips {
                instance: name,
                vips,
                read_only: None,
            });
        }
    }

    /// Switches to a new configuration (SIGHUP, reference §3.10). The new sockets are
    /// opened first; if that fails nothing changes. Instances that vanished are shut
    /// down with their old addresses; matched ones keep their state.
    pub async fn replace(
        &mut self,
        loaded: Loaded,
        prepared: Prepared,
    ) -> Result<(), crate::sys::SocketError> {
        let Prepared {
            plan,
            init,
            mut tracking,
            mut link_delays,
        } = prepared;
        let wire = Wire::open(&plan, !loaded.config.global.log_unknown_vrids)?;
        let now = Instant::now();
        self.router.retire_unmatched(&plan.instances, now);
        // Removed instances notify with the scripts they had; everything after with the
        // new configuration's.
        self.drain(Cause::Reload).await;
        let Loaded { config, observers } = loaded;
        self.publish(Event::Reloaded(Arc::new(observers)));
        let _ = self.effects.send(Effect::Reconfigure {
            pacing: super::effects::Pacing::of(&config),
        });
        let _ = self
            .effects
            .send(Effect::Firewall(super::firewall::Plan::of(
                &config,
                &plan.vmacs,
            )));
        let _ = self
            .effects
            .send(Effect::OpenSenders(announced_interfaces(&plan.vips)));
        let old = std::mem::replace(&mut self.vips, plan.vips.clone());
        self.retired_vips = old.into_iter().flatten().map(|s| (s.addr, s)).collect();
        self.links = watched_links(&plan, &tracking, &self.links);
        self.linkbeat = super::linkbeat::Linkbeat::start(&config, &self.links, &vmac_names(&plan));
        link_delays.carry_over(&self.link_delays);
        self.link_delays = link_delays;
        self.wire = wire;
        self.tracking.stop();
        tracking.start(self.tracker_tx.clone());
        self.tracking = tracking;
        self.read_only = read_only_controllers(&config, &self.read_only);
        self.replan = Replan::of(&plan, &config);
        let old_routing = self.routing_by_router();
        self.router
            .reload(plan.instances, plan.groups, init, Instant::now());
        self.reload_routing(&config, old_routing);
        self.shown = ShownConfig::of(config, &self.router);
        self.index = InstanceIndex::of(&self.router);
        crate::sys::memory::release_free_memory();
        crate::sys::memory::release_file_pages();
        Ok(())
    }

    /// D-Bus `SendGarp`: one gratuitous ARP / NA per VIP and eVIP of `name`, when it has
    /// its addresses set (keepalived's answer is the same either way).
    fn send_garps(&mut self, name: &str) -> Result<(), Refused> {
        let found = self.router.instances().find(|s| {
            self.router
                .instance_config(s.id)
                .is_some_and(|c| c.name == name)
        });
        let Some(instance) = found else {
            return Err(Refused::NoInstance(name.to_owned()));
        };
        log::info!("Sending garps on {name} on DBus request");
        if instance.vips_set {
            for spec in &self.vips[instance.id.0] {
                let _ = self.effects.send(Effect::Garp {
                    interface: spec.interface.to_string(),
                    addr: spec.addr,
                });
            }
        }
        Ok(())
    }

    /// Waits until every queued effect has been executed.
    pub async fn flush_effects(&self) {
        let (tx, rx) = oneshot::channel();
        if self.effects.send(Effect::Barrier(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// The VMACs and ipvlans the plan makes (netlink's link events work for them).
fn vmac_names(plan: &Plan) -> Vec<String> {
    plan.vmacs.iter().map(|v| v.name.clone()).collect()
}

/// Interfaces whose link state matters (instance interfaces, VIP devices, tracked
/// interfaces), with their state: known from before, else as planned.
fn watched_links(
    plan: &Plan,
    tracking: &Tracking,
    known: &HashMap<String, bool>,
) -> HashMap<String, bool> {
    let mut names = plan::interfaces_used(plan);
    names.extend(tracking.interface_names().cloned());
    names
        .into_iter()
        .map(|name| {
            let up = known
                .get(&name)
                .copied()
                .unwrap_or(!plan.interfaces_down.contains(&name));
            (name, up)
        })
        .collect()
}

/// One controller per instance with `mysql_read_only`, reusing `current` ones (and
/// their connections) when the check is unchanged.
fn read_only_controllers(
    config: &Config,
    current: &HashMap<String, Arc<ReadOnlyController>>,
) -> HashMap<String, Arc<ReadOnlyController>> {
    let mut by_check: HashMap<String, Arc<ReadOnlyController>> = HashMap::new();
    let mut out = HashMap::new();
    for inst in &config.instances {
        let Some(check_name) = &inst.mysql_read_only else {
            continue;
        };
        let Some(check) = config.mysql_checks.iter().find(|c| &c.name == check_name) else {
            continue;
        };
        let control = by_check
            .entry(check_name.clone())
            .or_insert_with(|| {
                current
                    .get(&inst.name)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(ReadOnlyController::new(check)))
            })
            .clone();
        out.insert(inst.name.clone(), control);
    }
    out
}

/// The inputs of the loop besides the running state.
pub struct Inputs {
    pub trackers: mpsc::UnboundedReceiver<TrackerEvent>,
    pub netlink: Option<NetlinkWatcher>,
    pub signals: Signals,
    /// What the D-Bus service asks of the loop ([`super::requests`]).
    pub requests: mpsc::Receiver<Asked>,
}

/// SIGHUP or D-Bus `ReloadConfig`: starts reading the configuration again, or, during a
/// reload, queues one more (as keepalived queues it: the file may have changed again
/// after the running reload read it).
fn ask_reload(
    reloading: &mut Option<tokio::task::JoinHandle<Result<Loaded, String>>>,
    reload_queued: &mut bool,
    host: &mut dyn Host,
    running: &Running,
) {
    if reloading.is_none() {
        *reloading = Some(start_reload(host, running));
    } else {
        log::info!("Reload already in progress, request queued");
        *reload_queued = true;
    }
}

/// What the D-Bus service asks of the loop ([`super::requests`]): done, then answered.
fn answer_request(
    asked: Asked,
    running: &mut Running,
    host: &mut dyn Host,
    reloading: &mut Option<tokio::task::JoinHandle<Result<Loaded, String>>>,
    reload_queued: &mut bool,
) {
    let Asked { request, answer } = asked;
    let result = match request {
        Request::Dump(signal) => {
            host.dump(signal, Origin::Dbus, running);
            Ok(())
        }
        // keepalived answers first, then signals its parent to reload.
        Request::Reload => {
            let _ = answer.send(Ok(()));
            ask_reload(reloading, reload_queued, host, running);
            return;
        }
        Request::SendGarp { instance } => running.send_garps(&instance),
    };
    let _ = answer.send(result);
}

/// Runs until TERM/INT, then performs the graceful stop (priority-0 adverts, VIPs
/// removed, STOP notifies) and returns.
pub async fn event_loop(mut running: Running, mut inputs: Inputs, host: &mut dyn Host) -> Exit {
    let mut reloading: Option<tokio::task::JoinHandle<Result<Loaded, String>>> = None;
    // A HUP during a reload is queued (once): see `ask_reload`.
    let mut reload_queued = false;
    // The protocol timers sleep to the microsecond (timerfd); tokio's millisecond wheel
    // is the fallback.
    let mut timer = crate::sys::deadline::DeadlineTimer::new().ok();
    let mut refresh = tokio::time::interval(std::time::Duration::from_secs(1));
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    // Every advert read goes through this one buffer (see `wire`).
    let mut batch = crate::sys::RecvBatch::default();
    loop {
        if running.drain(Cause::Protocol).await {
            host.refresh(&running);
        }
        let deadline = running.router.poll_timeout();
        let rest_until = running.wire.rest_until();
        let link_due = running.link_delays.next_due();
        let wake_at = [deadline, rest_until, link_due].into_iter().flatten().min();
        let sleep = async {
            match (wake_at, timer.as_mut()) {
                (Some(d), Some(t)) => {
                    if let Err(e) = t.sleep_until(d).await {
                        log::warn!("precise timer failed ({e}); using the runtime's timer");
                        timer = None;
                    }
                }
                (Some(d), None) => {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await
                }
                (None, _) => std::future::pending().await,
            }
        };
        let netlink = async {
            match inputs.netlink.as_mut() {
                Some(w) => w.next_event().await,
                None => std::future::pending().await,
            }
        };
        let reload_done = async {
            match reloading.as_mut() {
                Some(job) => job.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = sleep => {
                let now = Instant::now();
                // Parked sockets are read first, so an advert that arrived before a
                // master-down deadline counts for it.
                if rest_until.is_some() {
                    running.read_rested(now, &mut batch);
                }
                if deadline.is_some_and(|d| d <= now) {
                    running.router.handle_timeout(now);
                }
                if link_due.is_some_and(|d| d <= now) {
                    running.delayed_links_due(now);
                }
            }
            interface = std::future::poll_fn(|cx| running.wire.poll_receive(cx, &mut batch)) => {
                let now = Instant::now();
                running.handle_batch(running.wire.arrival_clock(now), &interface, &batch);
                running.wire.after_wake_batch(now, &batch);
            }
            Some(event) = netlink => {
                running.handle_net_event(Instant::now(), event);
                replan_if_due(&mut running, host).await;
            }
            Some(t) = inputs.trackers.recv() => running.handle_tracker(Instant::now(), t),
            Some((name, up)) = running.linkbeat.next_report() => {
                running.link_state(Instant::now(), &name, up, "Linkbeat");
            }
            _ = refresh.tick() => {
                ticks += 1;
                every_second(&mut running, host, ticks);
            }
            loaded = reload_done => {
                reloading = None;
                host.lifecycle(Lifecycle::Ready);
                finish_reload(&mut running, host, loaded).await;
                if std::mem::take(&mut reload_queued) {
                    reloading = Some(start_reload(host, &running));
                }
            }
            signal = inputs.signals.next() => match signal {
                DaemonSignal::Stop => break,
                DaemonSignal::Reload => {
                    ask_reload(&mut reloading, &mut reload_queued, host, &running)
                }
                other => host.dump(other, Origin::Signal, &mut running),
            },
            Some(asked) = inputs.requests.recv() => {
                answer_request(asked, &mut running, host, &mut reloading, &mut reload_queued);
            }
        }
    }
    shut_down(running, host).await;
    Exit::Stopped
}

/// The once-a-second work: the host's periodic refresh, and handing freed memory back.
fn every_second(running: &mut Running, host: &mut dyn Host, ticks: u64) {
    host.tick(running);
    host.refresh(running);
    // Bursts (many instances changing state, reloads) leave freed memory behind; hand it
    // back now and then, not on every tick.
    let transient = std::mem::take(&mut running.release_pending);
    if transient || ticks % 60 == 0 {
        crate::sys::memory::release_free_memory();
    }
    if transient {
        // What a state change ran (address and ARP work, notifies, logging) is not what
        // the steady state runs: see `release_file_pages`.
        crate::sys::memory::release_file_pages();
    }
}

/// Stops as keepalived stops: trackers first, then every instance leaves (priority-0
/// adverts, VIPs removed), the static entries go, and the effect queue gets a second to
/// finish.
async fn shut_down(mut running: Running, host: &mut dyn Host) {
    log::info!("Stopping");
    host.lifecycle(Lifecycle::Stopping);
    running.tracking.stop();
    running.router.shutdown(Instant::now());
    running.drain(Cause::Shutdown).await;
    // keepalived removes the static entries at every stop, `--dont-release-vrrp` or not.
    send_static(
        &running.effects,
        &running.static_addresses,
        &running.static_routing,
        false,
    );
    host.refresh(&running);
    let (done, finished) = oneshot::channel();
    let grace = std::time::Duration::from_secs(1);
    if running
        .effects
        .send(Effect::Shutdown { grace, done })
        .is_ok()
    {
        let _ = finished.await;
    }
}
