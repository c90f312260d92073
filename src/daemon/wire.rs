//! The VRRP sockets of a running configuration: one receive task per
//! [`ReceiveSocket`] of the plan, feeding a bounded channel the event loop reads, and
//! one send socket per interface and family, used inline by the loop so an advert
//! never waits behind anything else.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::plan::{Listen, Plan, ReceiveSocket};
use crate::sys::{
    Addressing4, Addressing6, InterfaceId, SocketError, Vrrp4Receiver, Vrrp4Sender, Vrrp6Receiver,
    Vrrp6Sender,
};
use crate::vrrp::{Family, InstanceConfig};

/// Receive buffer: any advert fits in an Ethernet MTU.
const RECEIVE_BUFFER: usize = 1500;
/// Packets queued between the receive tasks and the loop before new ones are dropped.
pub const INBOUND_QUEUE: usize = 4096;

/// One packet read from a VRRP socket.
#[derive(Debug)]
pub struct Inbound {
    pub interface: Arc<str>,
    pub bytes: Vec<u8>,
    /// IPv6 only: source, destination, hop limit (the kernel strips the header).
    pub ipv6: Option<(Ipv6Addr, Ipv6Addr, u8)>,
}

/// Counters of the socket layer (reported in dumps and metrics).
#[derive(Debug, Default)]
pub struct WireCounters {
    pub receive_errors: AtomicU64,
    pub receive_dropped: AtomicU64,
    pub truncated: AtomicU64,
}

/// Open sockets for one plan. Dropping it closes them and stops the receive tasks.
pub struct Wire {
    senders4: HashMap<String, Vrrp4Sender>,
    senders6: HashMap<(String, u8), Vrrp6Sender>,
    receivers: Vec<JoinHandle<()>>,
    pub counters: Arc<WireCounters>,
}

impl Drop for Wire {
    fn drop(&mut self) {
        for r in &self.receivers {
            r.abort();
        }
    }
}

impl Wire {
    /// Opens every socket the plan needs. Sockets on interfaces that are missing are
    /// skipped (their instances start in FAULT); any other failure is an error.
    pub fn open(plan: &Plan, tx: mpsc::Sender<Inbound>) -> Result<Wire, SocketError> {
        let counters = Arc::new(WireCounters::default());
        let mut wire = Wire {
            senders4: HashMap::new(),
            senders6: HashMap::new(),
            receivers: Vec::new(),
            counters: counters.clone(),
        };
        for socket in &plan.receive_sockets {
            let interface = match InterfaceId::by_name(&socket.interface) {
                Ok(i) => i,
                Err(SocketError::NoSuchInterface(_)) => continue,
                Err(e) => return Err(e),
            };
            wire.receivers.push(spawn_receiver(
                socket,
                &interface,
                tx.clone(),
                counters.clone(),
            )?);
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

/// Either family's receive socket, so one task body serves both.
enum Receiver {
    V4(Vrrp4Receiver),
    V6(Vrrp6Receiver),
}

impl Receiver {
    /// Reads one packet: its length, whether it was cut, and the IPv6 metadata.
    async fn recv(
        &self,
        buf: &mut [u8],
    ) -> Result<(usize, bool, Option<(Ipv6Addr, Ipv6Addr, u8)>), SocketError> {
        match self {
            Receiver::V4(r) => r.recv(buf).await.map(|r| (r.len, r.truncated, None)),
            Receiver::V6(r) => r.recv(buf).await.map(|r| {
                (
                    r.len,
                    r.truncated,
                    Some((r.source, r.destination, r.hop_limit)),
                )
            }),
        }
    }
}

fn spawn_receiver(
    socket: &ReceiveSocket,
    interface: &InterfaceId,
    tx: mpsc::Sender<Inbound>,
    counters: Arc<WireCounters>,
) -> Result<JoinHandle<()>, SocketError> {
    let mismatch = || SocketError::NoSuchInterface(interface.name.clone());
    let receiver = match (socket.ipv6, socket.listen) {
        (true, Listen::Multicast(IpAddr::V6(group))) => Receiver::V6(Vrrp6Receiver::open(
            interface,
            Addressing6::Multicast { group },
        )?),
        (true, Listen::Unicast(IpAddr::V6(local))) => Receiver::V6(Vrrp6Receiver::open(
            interface,
            Addressing6::Unicast { local },
        )?),
        (false, Listen::Multicast(IpAddr::V4(group))) => Receiver::V4(Vrrp4Receiver::open(
            interface,
            socket.protocol(),
            Addressing4::Multicast { group },
        )?),
        (false, Listen::Unicast(IpAddr::V4(local))) => Receiver::V4(Vrrp4Receiver::open(
            interface,
            socket.protocol(),
            Addressing4::Unicast { local },
        )?),
        _ => return Err(mismatch()),
    };
    let name: Arc<str> = Arc::from(interface.name.as_str());
    Ok(tokio::spawn(async move {
        let mut buf = vec![0u8; RECEIVE_BUFFER];
        loop {
            match receiver.recv(&mut buf).await {
                Ok((_, true, _)) => {
                    counters.truncated.fetch_add(1, Ordering::Relaxed);
                }
                Ok((len, false, ipv6)) => {
                    let inbound = Inbound {
                        interface: name.clone(),
                        bytes: buf[..len].to_vec(),
                        ipv6,
                    };
                    if tx.try_send(inbound).is_err() {
                        if tx.is_closed() {
                            return;
                        }
                        counters.receive_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    // A receive error is transient (e.g. ENOBUFS); back off briefly so a
                    // persistent one cannot spin.
                    counters.receive_errors.fetch_add(1, Ordering::Relaxed);
                    log::debug!("{e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
        }
    }))
}
