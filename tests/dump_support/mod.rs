//! Shared by the dump and metrics tests: the master/backup pair whose keepalived 2.2.7
//! dumps are stored in `tests/data/dumps/`, run with our protocol core on a virtual clock
//! (adverts from each node delivered to the other at once), so our dumps can be compared
//! with keepalived's for the same configurations.
#![allow(dead_code)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use keepalived_rs::config::check;
use keepalived_rs::config::model::{Config, VrrpInstance};
use keepalived_rs::config::source::{load_str, SourceOptions};
use keepalived_rs::daemon::plan::{self, HostInterfaces, InterfaceFacts};
use keepalived_rs::daemon::status::{ProcessInfo, ShownConfig, Snapshot, TrackerKind, TrackerView};
use keepalived_rs::vrrp::{
    Action, InstanceConfig, ReceivedPacket, Router, RouterInit, TrackerId, TrackerRef,
    TrackerStatus,
};

pub fn dumps_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dumps")
}

/// keepalived's own dump file `name` for `role` (`master` or `backup`).
pub fn reference(role: &str, name: &str) -> String {
    std::fs::read_to_string(dumps_dir().join(role).join(name)).unwrap()
}

/// The configuration keepalived ran as `role`, read by our config layer.
pub fn reference_config(role: &str) -> Config {
    let text = reference(role, "keepalived.conf");
    let checked = check(
        load_str(
            "keepalived.conf",
            &text,
            Path::new("/nonexistent"),
            &SourceOptions::default(),
        ),
        None,
    );
    assert!(
        checked
            .diagnostics
            .iter()
            .all(|d| d.severity != keepalived_rs::config::diag::Severity::Error),
        "reference config has errors"
    );
    checked.config
}

/// The core's view of the model's instances: what the daemon's own plan makes of them on
/// a host whose interfaces all have `src` as their primary address.
pub fn core_instances(config: &Config, src: IpAddr) -> Vec<InstanceConfig> {
    let IpAddr::V4(src) = src else {
        panic!("the captured pair runs over IPv4")
    };
    let facts = InterfaceFacts {
        index: 1,
        mac: None,
        operational: true,
        primary_ipv4: Some(src),
        ipv6_link_local: None,
        mtu: 1500,
    };
    let host: HostInterfaces = config
        .instances
        .iter()
        .filter_map(|m| m.interface.clone())
        .map(|name| (name, facts.clone()))
        .collect();
    let script_trackers = |m: &VrrpInstance| {
        m.track
            .script
            .iter()
            .map(|t| {
                let k = config
                    .scripts
                    .iter()
                    .position(|s| s.name == t.name)
                    .unwrap();
                TrackerRef {
                    id: TrackerId(k as u32),
                    weight: t.weight.unwrap_or(config.scripts[k].weight),
                    reverse: t.reverse,
                }
            })
            .collect()
    };
    plan::build(config, &host, script_trackers)
        .expect("the reference configurations name their interfaces")
        .instances
}

/// One daemon: configuration, protocol core and tracker results.
pub struct Node {
    pub config: Config,
    pub router: Router,
    pub trackers: Vec<TrackerView>,
    pub process: ProcessInfo,
    pub running: bool,
    pub actions: Vec<Action>,
}

impl Node {
    fn new(role: &str, src: IpAddr, t0: Instant, wall0: SystemTime) -> Node {
        let config = reference_config(role);
        let trackers: Vec<TrackerView> = config
            .scripts
            .iter()
            .enumerate()
            .map(|(k, s)| TrackerView {
                id: TrackerId(k as u32),
                name: s.name.clone(),
                kind: TrackerKind::Script,
                status: Some(TrackerStatus::Up),
                weight: s.weight,
                run_state: Default::default(),
            })
            .collect();
        let init = RouterInit {
            tracker_status: trackers.iter().map(|t| (t.id, TrackerStatus::Up)).collect(),
            interfaces_down: vec![],
            sources_missing: vec![],
        };
        let router = Router::with_init(core_instances(&config, src), vec![], init, t0);
        Node {
            config,
            router,
            trackers,
            process: ProcessInfo {
                pid: 4242,
                started: wall0,
                config_path: dumps_dir().join(role).join("keepalived.conf"),
                hostname: "testhost".into(),
                identity: Default::default(),
                umask_at_start: None,
            },
            running: true,
            actions: Vec::new(),
        }
    }

    /// Adverts sent since the last call.
    fn drain(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(a) = self.router.poll_action() {
            if let Action::SendAdvert { packet, .. } = &a {
                out.push(packet.clone());
            }
            self.actions.push(a);
        }
        out
    }

    fn receive(&mut self, now: Instant, packets: &[Vec<u8>]) {
        if !self.running {
            return;
        }
        for p in packets {
            self.router.handle_packet(
                now,
                ReceivedPacket::Ipv4 {
                    packet: p,
                    interface: Some("kd0"),
                },
            );
        }
    }
}

/// The captured pair: `master` (198.18.41.1, priority 101) and `backup` (.2, 100).
pub struct Pair {
    pub master: Node,
    pub backup: Node,
    pub t0: Instant,
    pub wall0: SystemTime,
    pub now: Instant,
}

impl Pair {
    pub fn new() -> Pair {
        let t0 = Instant::now();
        let wall0 = SystemTime::now();
        let mut pair = Pair {
            master: Node::new("master", "198.18.41.1".parse().unwrap(), t0, wall0),
            backup: Node::new("backup", "198.18.41.2".parse().unwrap(), t0, wall0),
            t0,
            wall0,
            now: t0,
        };
        pair.exchange();
        pair
    }

    /// Delivers pending adverts both ways until none are left.
    fn exchange(&mut self) {
        loop {
            let from_master = self.master.drain();
            let from_backup = self.backup.drain();
            if from_master.is_empty() && from_backup.is_empty() {
                return;
            }
            self.backup.receive(self.now, &from_master);
            self.master.receive(self.now, &from_backup);
        }
    }

    /// Runs both nodes' timers for `d` of virtual time.
    pub fn run(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next = [&self.master, &self.backup]
                .into_iter()
                .filter(|n| n.running)
                .filter_map(|n| n.router.poll_timeout())
                .min();
            let Some(t) = next.filter(|t| *t <= end) else {
                break;
            };
            self.now = t;
            for n in [&mut self.master, &mut self.backup] {
                if n.running && n.router.poll_timeout().is_some_and(|x| x <= t) {
                    n.router.handle_timeout(t);
                }
            }
            self.exchange();
        }
        self.now = end;
    }

    /// SIGTERM on the master: priority-0 adverts, then silence.
    pub fn stop_master(&mut self) {
        self.master.router.shutdown(self.now);
        self.exchange();
        self.master.running = false;
    }

    pub fn wall(&self) -> SystemTime {
        self.wall0 + (self.now - self.t0)
    }

    pub fn snapshot(&self, node: &Node) -> Snapshot {
        Snapshot::capture(
            &ShownConfig::of(node.config.clone(), &node.router),
            &node.router,
            self.now,
            self.wall(),
            &node.trackers,
            &node.process,
        )
    }
}

/// The pair after 8 s, as when keepalived's dumps were captured.
pub fn settled_pair() -> Pair {
    let mut p = Pair::new();
    p.run(Duration::from_secs(8));
    p
}
