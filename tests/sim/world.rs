//! N routers on one VRID, a simulated segment and a scripted, seeded sequence of
//! disruptions, on a virtual clock (a base `Instant` plus a `Duration`).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::{
    password_bytes, timer, Action, AuthConfig, InstanceConfig, ReceivedPacket, Router, RouterInit,
    State, TrackerId, TrackerRef, TrackerStatus, Version,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::invariants::Checker;
use super::network::{Conditions, Segment};

pub const TRACKER: TrackerId = TrackerId(1);

pub struct Node {
    pub cfg: InstanceConfig,
    pub router: Option<Router>,
    pub incarnation: u32,
    pub tracker_up: bool,
    pub last_garp: Option<Duration>,
}

impl Node {
    pub fn state(&self) -> Option<State> {
        self.router
            .as_ref()
            .map(|r| r.instances().next().unwrap().state)
    }
    pub fn priority(&self) -> u8 {
        self.router
            .as_ref()
            .map_or(0, |r| r.instances().next().unwrap().effective_priority)
    }
    pub fn addr(&self) -> IpAddr {
        self.cfg.source_addr
    }
}

/// A scripted disruption.
#[derive(Debug, Clone)]
pub enum Event {
    Conditions(Conditions),
    Partition(Vec<u8>),
    Heal,
    Crash(usize),
    Stop(usize),
    Restart(usize),
    Tracker(usize, bool),
}

pub struct World {
    pub rng: StdRng,
    pub base: Instant,
    pub now: Duration,
    pub nodes: Vec<Node>,
    pub seg: Segment,
    pub cond: Conditions,
    pub side: Vec<u8>,
    pub script: Vec<(Duration, Event)>,
    pub trace: String,
    pub checker: Checker,
}

impl World {
    /// Builds a random cluster and script from `seed`; `adverts` = scenario length in
    /// advert intervals.
    pub fn new(seed: u64, adverts: u32) -> World {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = if rng.gen_ratio(1, 25) {
            rng.gen_range(5..=16)
        } else {
            rng.gen_range(2..=4)
        };
        let version = if rng.gen_bool(0.5) {
            Version::V2
        } else {
            Version::V3
        };
        let interval = match version {
            Version::V2 => Duration::from_secs(1),
            Version::V3 => Duration::from_millis(10 * rng.gen_range(10..=100)),
        };
        let pass = version == Version::V2 && rng.gen_bool(0.3);
        let owner = rng.gen_ratio(1, 8).then(|| rng.gen_range(0..n));
        let mut nodes = Vec::new();
        for i in 0..n {
            let addr = IpAddr::V4(Ipv4Addr::new(198, 18, 0, i as u8 + 1));
            let mut cfg = InstanceConfig::new(format!("VI_{i}"), 51, addr);
            cfg.version = version;
            cfg.advert_int = interval;
            cfg.vips = vec![Ipv4Addr::new(198, 18, 1, 1).into()];
            // Equal priorities happen on purpose (tie-break paths).
            cfg.base_priority = rng.gen_range(1..=12) * 20;
            if owner == Some(i) {
                cfg.base_priority = 255;
                cfg.initial_state_master = true;
            }
            if pass {
                cfg.auth = AuthConfig::Pass(password_bytes("secret12"));
            }
            // Issue #166: the yielding master answers first, so the winner re-announces.
            cfg.advert.higher_prio_send_advert = true;
            let weight = match rng.gen_range(0..4) {
                0 => 0,
                1 => rng.gen_range(1..=60),
                _ => -rng.gen_range(1..=60),
            };
            cfg.trackers = vec![TrackerRef {
                id: TRACKER,
                weight,
                reverse: rng.gen_bool(0.1),
            }];
            nodes.push(Node {
                cfg,
                router: None,
                incarnation: 0,
                tracker_up: true,
                last_garp: None,
            });
        }
        let settle = settle_time(version, interval);
        let script = make_script(&mut rng, n, interval, settle, adverts);
        let mut w = World {
            rng,
            base: Instant::now(),
            now: Duration::ZERO,
            nodes,
            seg: Segment::default(),
            cond: Conditions::perfect(),
            side: vec![0; n],
            script,
            trace: String::new(),
            checker: Checker::new(settle, version, interval),
        };
        let _ = writeln!(
            w.trace,
            "seed {seed}: {n} nodes, {version:?}, interval {interval:?}"
        );
        for node in &w.nodes {
            let _ = writeln!(
                w.trace,
                "  {} {} prio {} weight {} reverse {}",
                node.cfg.name,
                node.addr(),
                node.cfg.base_priority,
                node.cfg.trackers[0].weight,
                node.cfg.trackers[0].reverse
            );
        }
        for i in 0..n {
            w.start(i);
        }
        w
    }

    fn at(&self) -> Instant {
        self.base + self.now
    }

    fn start(&mut self, i: usize) {
        let status = if self.nodes[i].tracker_up {
            TrackerStatus::Up
        } else {
            TrackerStatus::Down
        };
        let init = RouterInit {
            tracker_status: vec![(TRACKER, status)],
            interfaces_down: vec![],
            sources_missing: vec![],
        };
        let r = Router::with_init(vec![self.nodes[i].cfg.clone()], vec![], init, self.at());
        self.nodes[i].router = Some(r);
        self.nodes[i].incarnation += 1;
        self.pump(i);
    }

    /// Moves node `i`'s actions onto the segment and into the checker.
    fn pump(&mut self, i: usize) {
        let alive: Vec<bool> = self.nodes.iter().map(|n| n.router.is_some()).collect();
        let inc: Vec<u32> = self.nodes.iter().map(|n| n.incarnation).collect();
        let Some(r) = self.nodes[i].router.as_mut() else {
            return;
        };
        let mut out = Vec::new();
        while let Some(a) = r.poll_action() {
            out.push(a);
        }
        for a in out {
            match a {
                Action::SendAdvert { packet, .. } => {
                    let cond = self.cond;
                    self.seg.send(
                        &mut self.rng,
                        self.now,
                        &cond,
                        &self.side,
                        &alive,
                        &inc,
                        i,
                        &packet,
                    );
                }
                Action::SendGarp { .. } => self.nodes[i].last_garp = Some(self.now),
                Action::StateChanged { from, to, .. } => {
                    let _ = writeln!(
                        self.trace,
                        "{:>12?} {} {from:?} -> {to:?}",
                        self.now, self.nodes[i].cfg.name
                    );
                    self.checker.state_changed(self.now, i, from, to);
                }
                _ => {}
            }
        }
    }

    fn apply(&mut self, ev: Event) {
        let _ = writeln!(self.trace, "{:>12?} EVENT {ev:?}", self.now);
        self.checker
            .before_event(self.now, &self.nodes, &self.cond, &self.side, &ev);
        match ev {
            Event::Conditions(c) => self.cond = c,
            Event::Partition(s) => {
                self.side = s;
                self.cond.partitioned = true;
            }
            Event::Heal => self.cond.partitioned = false,
            Event::Crash(i) => {
                self.nodes[i].router = None;
                self.nodes[i].incarnation += 1;
            }
            Event::Stop(i) => {
                if let Some(r) = self.nodes[i].router.as_mut() {
                    r.shutdown(self.base + self.now);
                }
                self.pump(i);
                self.nodes[i].router = None;
                self.nodes[i].incarnation += 1;
            }
            Event::Restart(i) => {
                if self.nodes[i].router.is_none() {
                    self.start(i);
                }
            }
            Event::Tracker(i, up) => {
                self.nodes[i].tracker_up = up;
                let at = self.at();
                if let Some(r) = self.nodes[i].router.as_mut() {
                    let s = if up {
                        TrackerStatus::Up
                    } else {
                        TrackerStatus::Down
                    };
                    r.handle_tracker(at, TRACKER, s);
                }
                self.pump(i);
            }
        }
        self.checker.after_event(self.now, &self.nodes, &self.cond);
    }

    /// Runs the whole script plus a final settle period, checking invariants after every
    /// step. Returns the violation, if any.
    pub fn run(&mut self) -> Result<(), String> {
        let end = self.script.last().map_or(Duration::ZERO, |e| e.0) + self.checker.settle * 2;
        let mut script = std::mem::take(&mut self.script).into_iter().peekable();
        loop {
            let next_timer = self
                .nodes
                .iter()
                .filter_map(|n| n.router.as_ref()?.poll_timeout())
                .min()
                .map(|t| t - self.base);
            let next = [
                next_timer,
                self.seg.next_at(),
                script.peek().map(|e| e.0),
                self.checker.next_deadline(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next.filter(|t| *t <= end) else {
                self.now = end;
                break;
            };
            self.now = next.max(self.now);
            while script.peek().is_some_and(|e| e.0 <= self.now) {
                let (_, ev) = script.next().unwrap();
                self.apply(ev);
            }
            while let Some(p) = self.seg.pop_due(self.now) {
                let at = self.at();
                let node = &mut self.nodes[p.to];
                if node.incarnation != p.incarnation {
                    continue;
                }
                if let Some(r) = node.router.as_mut() {
                    r.handle_packet(
                        at,
                        ReceivedPacket::Ipv4 {
                            packet: &p.bytes,
                            interface: None,
                        },
                    );
                    self.pump(p.to);
                }
            }
            for i in 0..self.nodes.len() {
                let at = self.at();
                if let Some(r) = self.nodes[i].router.as_mut() {
                    if r.poll_timeout().is_some_and(|t| t <= at) {
                        r.handle_timeout(at);
                        self.pump(i);
                    }
                }
            }
            self.checker.check(self.now, &self.nodes, &self.cond)?;
        }
        self.checker.finish(self.now, &self.nodes, &self.cond)
    }
}

/// Time after the last disruption by which the cluster must have converged:
/// the largest Master_Down_Interval (priority 1) + one advert + delays.
pub fn settle_time(version: Version, interval: Duration) -> Duration {
    timer::master_down_interval(version, 1, interval, 3) + interval + Duration::from_millis(250)
}

fn make_script(
    rng: &mut StdRng,
    n: usize,
    interval: Duration,
    settle: Duration,
    adverts: u32,
) -> Vec<(Duration, Event)> {
    let mut script = Vec::new();
    let end = interval * adverts;
    let mut t = settle + interval * rng.gen_range(0..5);
    let mut crashed = vec![false; n];
    while t < end {
        let jitter = Duration::from_micros(rng.gen_range(0..interval.as_micros() as u64));
        t += jitter;
        let mut restore = Vec::new();
        match rng.gen_range(0..7) {
            0 => {
                let c = Conditions {
                    loss: rng.gen_range(0.05..0.6),
                    dup: rng.gen_range(0.0..0.3),
                    base_delay: Duration::from_millis(rng.gen_range(0..50)),
                    jitter: Duration::from_millis(rng.gen_range(0..150)),
                    partitioned: false,
                };
                script.push((t, Event::Conditions(c)));
                restore.push(Event::Conditions(Conditions::perfect()));
            }
            1 => {
                let side: Vec<u8> = (0..n).map(|_| rng.gen_range(0..2)).collect();
                script.push((t, Event::Partition(side)));
                restore.push(Event::Heal);
            }
            2 | 3 => {
                let i = rng.gen_range(0..n);
                if !crashed[i] {
                    crashed[i] = true;
                    script.push((
                        t,
                        if rng.gen_bool(0.5) {
                            Event::Crash(i)
                        } else {
                            Event::Stop(i)
                        },
                    ));
                    if rng.gen_bool(0.7) {
                        crashed[i] = false;
                        restore.push(Event::Restart(i));
                    }
                }
            }
            4 => {
                let c = Conditions {
                    dup: 0.5,
                    ..Conditions::perfect()
                };
                script.push((t, Event::Conditions(c)));
                restore.push(Event::Conditions(Conditions::perfect()));
            }
            _ => {
                let i = rng.gen_range(0..n);
                script.push((t, Event::Tracker(i, false)));
                restore.push(Event::Tracker(i, true));
            }
        }
        // Disruption lasts a while; sometimes long enough for repairs and partitions to
        // settle, then the segment is healthy for a while so invariants get checked.
        let hold = if rng.gen_bool(0.5) {
            settle + interval * rng.gen_range(0..4)
        } else {
            interval * rng.gen_range(0..3)
        };
        t += hold;
        for ev in restore {
            script.push((t, ev));
        }
        t += settle + interval * rng.gen_range(0..6);
    }
    // Bring everything back for the final check.
    for (i, c) in crashed.iter().enumerate() {
        if *c {
            script.push((t, Event::Restart(i)));
        }
    }
    script
}
