//! The VRRP sockets of a running configuration: the receive sockets of the plan, read
//! by the event loop itself in batches (`recvmmsg` into one reused buffer: no task, no
//! queue, no allocation per advert), each with a socket filter that keeps other
//! clusters' VRIDs in the kernel; and one send socket per interface and family, used
//! inline by the loop so an advert never waits behind anything else.

use std::cell::Cell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use super::coalesce::{bound_for, ArrivalClock, Coalescer};
use super::plan::{Listen, Plan, ReceiveSocket};
use crate::sys::{
    Addressing4, Addressing6, InterfaceId, ReceiveBuffer, RecvBatch, SocketError, Vrrp4Receiver,
    Vrrp4Sender, Vrrp6Receiver, Vrrp6Sender, VrrpReceiver,
};
use crate::vrrp::{Family, InstanceConfig, InstanceId, Router};

/// An advert of the core waiting to go out with the others due at the same instant.
pub struct Outgoing {
    pub instance: InstanceId,
    pub packet: Vec<u8>,
    pub dst: IpAddr,
}

impl AsRef<[u8]> for Outgoing {
    fn as_ref(&self) -> &[u8] {
        &self.packet
    }
}

/// Counters of the socket layer.
#[derive(Debug, Default)]
pub struct WireCounters {
    /// Packets that reached user space (the socket filters passed them).
    pub received: Cell<u64>,
    pub receive_errors: Cell<u64>,
    pub truncated: Cell<u64>,
}

/// One receive socket and the name of its interface (what the core matches on).
struct Listener {
    receiver: VrrpReceiver,
    interface: Arc<str>,
}

/// Open sockets for one plan. Dropping it closes them.
pub struct Wire {
    senders4: HashMap<String, Vrrp4Sender>,
    senders6: HashMap<(String, u8), Vrrp6Sender>,
    listeners: Vec<Listener>,
    /// Where the next poll starts, so a busy socket cannot starve the others.
    next_listener: Cell<usize>,
    pub counters: WireCounters,
    /// Read as adverts arrive, or in batches on a timer ([`super::coalesce`]).
    schedule: Coalescer,
    /// The last read that left its socket empty: no advert read later arrived before.
    emptied_at: Instant,
}

/// The VRIDs the plan runs, per family: what the receive sockets' filters let through.
fn vrids_by_family(plan: &Plan) -> (Vec<u8>, Vec<u8>) {
    let pick = |family: Family| {
        plan.instances
            .iter()
            .filter(|i| i.family == family)
            .map(|i| i.vrid)
            .collect()
    };
    (pick(Family::Ipv4), pick(Family::Ipv6))
}

impl Wire {
    /// Opens every socket the plan needs. Sockets on interfaces that are missing are
    /// skipped (their instances start in FAULT); any other failure is an error.
    /// `filter_vrids`: attach the VRID filters (off with `log_unknown_vrids`, which logs
    /// what they would drop).
    pub fn open(plan: &Plan, filter_vrids: bool) -> Result<Wire, SocketError> {
        let mut wire = Wire {
            senders4: HashMap::new(),
            senders6: HashMap::new(),
            listeners: Vec::new(),
            next_listener: Cell::new(0),
            counters: WireCounters::default(),
            schedule: Coalescer::new(bound_for(plan.instances.iter().map(|i| i.advert_int))),
            emptied_at: Instant::now(),
        };
        let (vrids4, vrids6) = vrids_by_family(plan);
        for socket in &plan.receive_sockets {
            let interface = match InterfaceId::by_name(&socket.interface) {
                Ok(i) => i,
                Err(SocketError::NoSuchInterface(_)) => continue,
                Err(e) => return Err(e),
            };
            let receiver = open_receiver(socket, &interface)?;
            if let Some(&bytes) = plan.receive_buffers.get(socket) {
                let size = ReceiveBuffer {
                    bytes,
                    force: false,
                };
                if let Err(e) = receiver.set_receive_buffer(size) {
                    log::info!(
                        "vrrp set receive socket buffer size error {}",
                        e.raw_os_error().unwrap_or(0)
                    );
                }
            }
            if filter_vrids {
                receiver.set_vrid_filter(if socket.ipv6 { &vrids6 } else { &vrids4 })?;
            }
            wire.listeners.push(Listener {
                receiver,
                interface: Arc::from(interface.name.as_str()),
            });
        }
        for inst in &plan.instances {
            wire.ensure_sender(inst)?;
        }
        Ok(wire)
    }

    fn ensure_sender(&mut self, inst: &InstanceConfig) -> Result<(), SocketError> {
        let name = &inst.interface;
        let interface = match InterfaceId::by_name(name) {
            Ok(i) => i,
            Err(SocketError::NoSuchInterface(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        match inst.family {
            Family::Ipv4 => {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    self.senders4.entry(name.clone())
                {
                    slot.insert(Vrrp4Sender::open(&interface)?);
                }
            }
            Family::Ipv6 => {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    self.senders6.entry((name.clone(), inst.unicast_ttl))
                {
                    slot.insert(Vrrp6Sender::open(&interface, inst.unicast_ttl)?);
                }
            }
        }
        Ok(())
    }

    /// Sends `adverts` now, in order: each run of IPv4 adverts to one destination out of
    /// one interface goes with `sendmmsg`, the rest one by one. `failed` hears of each
    /// advert that could not be sent.
    pub async fn send_adverts(
        &self,
        router: &Router,
        adverts: &[Outgoing],
        mut failed: impl FnMut(&InstanceConfig, SocketError),
    ) {
        let mut i = 0;
        while i < adverts.len() {
            let first = &adverts[i];
            let Some(cfg) = router.instance_config(first.instance) else {
                i += 1;
                continue;
            };
            let (IpAddr::V4(dst), Some(sender)) = (first.dst, self.senders4.get(&cfg.interface))
            else {
                if let Err(e) = self.send_advert(cfg, &first.packet, first.dst).await {
                    failed(cfg, e);
                }
                i += 1;
                continue;
            };
            let same_run = |a: &&Outgoing| {
                a.dst == first.dst
                    && router
                        .instance_config(a.instance)
                        .is_some_and(|c| c.interface == cfg.interface)
            };
            let end = i + 1 + adverts[i + 1..].iter().take_while(same_run).count();
            let (sent, error) = sender.send_many(&adverts[i..end], dst).await;
            i += sent;
            if let Some(e) = error {
                if let Some(cfg) = router.instance_config(adverts[i].instance) {
                    failed(cfg, e);
                }
                i += 1;
            } else {
                i = i.max(end);
            }
        }
    }

    /// Sends one advert of `inst` (a whole IPv4 packet, or an IPv6 VRRP payload).
    pub async fn send_advert(
        &self,
        inst: &InstanceConfig,
        packet: &[u8],
        dst: IpAddr,
    ) -> Result<(), SocketError> {
        match dst {
            IpAddr::V4(dst) => match self.senders4.get(&inst.interface) {
                Some(s) => s.send(packet, dst).await,
                None => Err(SocketError::NoSuchInterface(inst.interface.clone())),
            },
            IpAddr::V6(dst) => {
                match self
                    .senders6
                    .get(&(inst.interface.clone(), inst.unicast_ttl))
                {
                    Some(s) => {
                        let src = match inst.source_addr {
                            IpAddr::V6(a) if !a.is_unspecified() => Some(a),
                            _ => None,
                        };
                        s.send(packet, src, dst).await
                    }
                    None => Err(SocketError::NoSuchInterface(inst.interface.clone())),
                }
            }
        }
    }
}

impl Wire {
    /// Waits until a receive socket has packets and reads a batch of them into `batch`;
    /// returns the interface they arrived on. Receive errors are transient (e.g.
    /// ENOBUFS): counted, and the next socket is tried.
    pub fn poll_receive(&self, cx: &mut Context<'_>, batch: &mut RecvBatch) -> Poll<Arc<str>> {
        let n = self.listeners.len();
        let first = self.next_listener.get();
        for k in 0..n {
            let i = (first + k) % n;
            let listener = &self.listeners[i];
            match listener.receiver.poll_recv_batch(cx, batch) {
                Poll::Pending => continue,
                Poll::Ready(Ok(_)) => {
                    self.next_listener.set((i + 1) % n);
                    let c = &self.counters;
                    c.received.set(c.received.get() + batch.len() as u64);
                    return Poll::Ready(listener.interface.clone());
                }
                Poll::Ready(Err(e)) => {
                    let c = &self.counters;
                    c.receive_errors.set(c.receive_errors.get() + 1);
                    log::debug!("{e}");
                }
            }
        }
        Poll::Pending
    }

    /// The clock that turns the arrival stamps of the batch just read into instants.
    pub fn arrival_clock(&self, now: Instant) -> ArrivalClock {
        ArrivalClock::new(now, real_time(), self.emptied_at)
    }

    /// A batch was read because a socket woke the loop: adverts coming close together
    /// park the sockets until the next scheduled read ([`super::coalesce`]).
    pub fn after_wake_batch(&mut self, now: Instant, batch: &RecvBatch) {
        if batch.len() < crate::sys::recv_batch::BATCH {
            self.emptied_at = now;
        }
        let arrivals = batch.iter().map(|(_, e)| e.received_at);
        if self.schedule.after_wake_batch(now, arrivals) {
            for listener in &mut self.listeners {
                // Parking only deregisters from the reactor; it cannot fail.
                let _ = listener.receiver.set_parked(true);
            }
        }
    }

    /// While the sockets are parked: when they must be read next.
    pub fn rest_until(&self) -> Option<Instant> {
        self.schedule.rest_until()
    }

    /// How many receive sockets there are.
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }

    /// Reads socket `i` now, without waiting: its interface when the batch holds
    /// adverts.
    pub fn read_now(&mut self, i: usize, batch: &mut RecvBatch) -> Option<Arc<str>> {
        let listener = self.listeners.get(i)?;
        match listener.receiver.recv_batch_now(batch) {
            Ok(0) => None,
            Ok(n) => {
                let c = &self.counters;
                c.received.set(c.received.get() + n as u64);
                let interface = listener.interface.clone();
                let arrivals = batch.iter().map(|(_, e)| e.received_at);
                self.schedule.heard_while_resting(arrivals);
                Some(interface)
            }
            Err(e) => {
                let c = &self.counters;
                c.receive_errors.set(c.receive_errors.get() + 1);
                log::debug!("{e}");
                None
            }
        }
    }

    /// The parked sockets have all been read at `now`: they stay parked if they had
    /// adverts, else they go back to waking the loop.
    pub fn after_rest_read(&mut self, now: Instant) {
        self.emptied_at = now;
        if self.schedule.after_rest_read(now, real_time()) {
            return;
        }
        for listener in &mut self.listeners {
            if let Err(e) = listener.receiver.set_parked(false) {
                log::warn!("{e}; reading it every coalescing interval instead");
                self.schedule.keep_resting(now);
            }
        }
    }

    /// Counts a packet cut by the receive buffer (dropped).
    pub fn count_truncated(&self) {
        let c = &self.counters;
        c.truncated.set(c.truncated.get() + 1);
    }
}

/// CLOCK_REALTIME since the epoch, the clock of the kernel's arrival stamps.
fn real_time() -> std::time::Duration {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

fn open_receiver(
    socket: &ReceiveSocket,
    interface: &InterfaceId,
) -> Result<VrrpReceiver, SocketError> {
    let mismatch = || SocketError::NoSuchInterface(interface.name.clone());
    Ok(match (socket.ipv6, socket.listen) {
        (true, Listen::Multicast(IpAddr::V6(group))) => {
            Vrrp6Receiver::open(interface, Addressing6::Multicast { group })?.into_receiver()
        }
        (true, Listen::Unicast(IpAddr::V6(local))) => {
            Vrrp6Receiver::open(interface, Addressing6::Unicast { local })?.into_receiver()
        }
        (false, Listen::Multicast(IpAddr::V4(group))) => Vrrp4Receiver::open(
            interface,
            socket.protocol(),
            Addressing4::Multicast { group },
        )?
        .into_receiver(),
        (false, Listen::Unicast(IpAddr::V4(local))) => {
            Vrrp4Receiver::open(interface, socket.protocol(), Addressing4::Unicast { local })?
                .into_receiver()
        }
        _ => return Err(mismatch()),
    })
}
