//! Helpers shared by the VRRP integration tests: configs like the capture README's,
//! peer adverts built with the codec, and a harness that steps a `Router` on a virtual
//! clock and records every action.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::advert::{self, AdvertFields};
use keepalived_rs::vrrp::{
    Action, InstanceConfig, InstanceId, InstanceStatus, ReceivedPacket, Router, State,
    SyncGroupConfig,
};

pub fn v4(n: u8) -> IpAddr {
    Ipv4Addr::new(198, 18, 0, n).into()
}

/// VRID 51, VIPs .102 and .103, source 198.18.0.`src`.
pub fn cfg(name: &str, priority: u8, src: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new(name, 51, v4(src));
    c.base_priority = priority;
    c.vips = vec![v4(102), v4(103)];
    c.interface = "eth0".into();
    c
}

/// An advert as the peer described by `peer` would send it.
pub fn advert_from(peer: &InstanceConfig, priority: u8) -> Vec<u8> {
    let dst = peer
        .unicast_peers
        .first()
        .map_or(peer.multicast_group(), |p| p.addr);
    advert::encode(
        peer,
        &AdvertFields {
            priority,
            ip_id: 1,
            ah_seq: 1,
            dst,
            checksum_dst: dst,
            ttl: 255,
        },
    )
}

pub struct Harness {
    pub router: Router,
    pub now: Instant,
    pub t0: Instant,
    pub actions: Vec<(Instant, Action)>,
}

impl Harness {
    pub fn new(instances: Vec<InstanceConfig>) -> Self {
        Self::with_groups(instances, vec![])
    }

    pub fn with_groups(instances: Vec<InstanceConfig>, groups: Vec<SyncGroupConfig>) -> Self {
        let t0 = Instant::now();
        let router = Router::new(instances, groups, t0);
        let mut h = Harness {
            router,
            now: t0,
            t0,
            actions: Vec::new(),
        };
        h.drain();
        h
    }

    pub fn drain(&mut self) {
        while let Some(a) = self.router.poll_action() {
            self.actions.push((self.now, a));
        }
    }

    /// Runs every timer up to `now + d`.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.router.poll_timeout() {
            if t > end {
                break;
            }
            self.now = t;
            self.router.handle_timeout(t);
            self.drain();
        }
        self.now = end;
    }

    /// Runs timers until the instance reaches `state` (at most `limit`).
    pub fn run_until_state(&mut self, i: usize, state: State, limit: Duration) -> Instant {
        let end = self.now + limit;
        while self.status(i).state != state {
            let t = self.router.poll_timeout().expect("a timer");
            assert!(
                t <= end,
                "instance {i} did not reach {state:?} within {limit:?}"
            );
            self.now = t;
            self.router.handle_timeout(t);
            self.drain();
        }
        self.now
    }

    pub fn rx(&mut self, packet: &[u8]) {
        self.router.handle_packet(
            self.now,
            ReceivedPacket::Ipv4 {
                packet,
                interface: None,
            },
        );
        self.drain();
    }

    pub fn status(&self, i: usize) -> &InstanceStatus {
        self.router.instance(InstanceId(i)).unwrap()
    }

    pub fn take(&mut self) -> Vec<Action> {
        self.actions.drain(..).map(|(_, a)| a).collect()
    }

    pub fn logs(&self) -> Vec<String> {
        self.actions
            .iter()
            .filter_map(|(_, a)| match a {
                Action::Log { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn has_log(&self, text: &str) -> bool {
        self.logs().iter().any(|l| l == text)
    }

    pub fn adverts(&self) -> Vec<(Instant, Vec<u8>)> {
        self.actions
            .iter()
            .filter_map(|(t, a)| match a {
                Action::SendAdvert { packet, .. } => Some((*t, packet.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Priority byte of an IPv4 advert (with or without AH).
pub fn advert_priority(pkt: &[u8]) -> u8 {
    let off = if pkt[9] == 51 { 44 } else { 20 };
    pkt[off + 2]
}
