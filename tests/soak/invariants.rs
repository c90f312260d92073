//! What must hold once a fault has settled: exactly one node holds each VIP (the same
//! node for both members of the sync group) and the client reaches it; every daemon
//! still runs; no address, route, rule or process is left behind; and, across the
//! run, our daemon's open descriptors and resident memory stay flat.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cluster::{Cluster, Impl, VIP0, VIP1};
use crate::lab::fds_and_rss;

/// A node's network state that no daemon may change for good: addresses, routes and
/// rules, each line normalised (VIP lines, timers and carrier flags left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetState(BTreeSet<String>);

impl NetState {
    pub fn of(ns: &str) -> NetState {
        let mut lines = BTreeSet::new();
        let queries: [&[&str]; 5] = [
            &["-o", "addr", "show"],
            &["-4", "route", "show", "table", "all"],
            &["-6", "route", "show", "table", "all"],
            &["-4", "rule", "show"],
            &["-6", "rule", "show"],
        ];
        for q in queries {
            let out = Command::new("ip")
                .args(["-n", ns])
                .args(q)
                .output()
                .expect("ip show");
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if line.contains(&VIP0.to_string()) || line.contains(&VIP1.to_string()) {
                    continue;
                }
                lines.insert(normalise(q[q.len() - 2], line));
            }
        }
        NetState(lines)
    }

    /// What `self` has that `base` has not, and what it lacks.
    pub fn diff(&self, base: &NetState) -> Option<String> {
        let extra: Vec<_> = self.0.difference(&base.0).collect();
        let missing: Vec<_> = base.0.difference(&self.0).collect();
        (!extra.is_empty() || !missing.is_empty())
            .then(|| format!("left behind {extra:?}, missing {missing:?}"))
    }
}

/// Keeps what identifies an address, route or rule: drops interface indexes, address
/// lifetimes, route expiry and the `linkdown` flag (carrier comes back a moment after
/// a link is restored).
fn normalise(kind: &str, line: &str) -> String {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if kind == "addr" {
        // "7: eth0    inet 198.18.0.1/24 …": index, then the device, family, address.
        return words
            .iter()
            .skip(1)
            .take(3)
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
    }
    if let Some(p) = words.iter().position(|w| *w == "expires") {
        words.drain(p..(p + 2).min(words.len()));
    }
    words.retain(|w| *w != "linkdown");
    words.join(" ")
}

/// Clock ticks per second of /proc/PID/stat's start time (USER_HZ, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// Processes of namespace `ns` older than `min_age` other than `keep`.
pub fn old_processes(ns: &str, keep: &[u32], min_age: Duration) -> Vec<(u32, String)> {
    let out = Command::new("ip").args(["netns", "pids", ns]).output();
    let uptime: f64 = fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let mut old = Vec::new();
    for pid in String::from_utf8_lossy(&out.map(|o| o.stdout).unwrap_or_default())
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .filter(|p| !keep.contains(p))
    {
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the command name (which may hold spaces) start at ") ";
        // start time is field 22, the 20th after it.
        let after = stat.rsplit_once(") ").map_or("", |(_, r)| r);
        let started: f64 = after
            .split_whitespace()
            .nth(19)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0.0);
        if uptime - started / USER_HZ > min_age.as_secs_f64() {
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            old.push((pid, comm.trim().to_string()));
        }
    }
    old
}

/// Whether the VIPs are settled: one holder each, the same node, the client answered.
pub fn vip_state(c: &Cluster) -> Result<usize, String> {
    let h0 = c.holders("eth0", VIP0);
    let h1 = c.holders("eth1", VIP1);
    if h0.len() != 1 || h1.len() != 1 || h0 != h1 {
        return Err(format!("{VIP0} held by {h0:?}, {VIP1} by {h1:?}"));
    }
    if !c.client_reaches_vip() {
        return Err(format!(
            "{VIP0} held by node {} but the client gets no answer",
            h0[0]
        ));
    }
    Ok(h0[0])
}

/// Waits up to `bound` for the VIPs to settle: the same good state three polls in a row
/// (about a second), so a takeover still under way is not taken for the result.
pub fn wait_settled(c: &Cluster, bound: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    let mut streak = 0;
    let mut last = Err("never checked".to_string());
    while start.elapsed() < bound {
        let now = vip_state(c);
        streak = match (&now, &last) {
            (Ok(a), Ok(b)) if a == b => streak + 1,
            (Ok(_), _) => 1,
            _ => 0,
        };
        last = now;
        if streak >= 3 {
            return Ok(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    last.map(|_| start.elapsed())
        .and_then(|t| Err(format!("still moving after {t:?}")))
}

/// One process lifetime of our daemon: its first and last sample.
#[derive(Debug, Clone)]
pub struct Incarnation {
    pub node: usize,
    pub first: (usize, u64),
    pub last: (usize, u64),
    pub since: Instant,
    pub until: Instant,
}

/// fd and RSS samples of our daemons, by pid.
#[derive(Default)]
pub struct Resources {
    pub by_pid: BTreeMap<u32, Incarnation>,
}

impl Resources {
    pub fn sample(&mut self, c: &Cluster) {
        for (i, node) in c.nodes.iter().enumerate() {
            let (Impl::Ours, Some(d)) = (node.imp, &node.daemon) else {
                continue;
            };
            let pid = d.child.id();
            let Some(now) = fds_and_rss(pid) else {
                continue;
            };
            let t = Instant::now();
            self.by_pid
                .entry(pid)
                .and_modify(|inc| {
                    inc.last = now;
                    inc.until = t;
                })
                .or_insert(Incarnation {
                    node: i,
                    first: now,
                    last: now,
                    since: t,
                    until: t,
                });
        }
    }

    /// The longest-lived incarnation (the one flatness is judged on best).
    pub fn longest(&self) -> Option<&Incarnation> {
        self.by_pid.values().max_by_key(|i| i.until - i.since)
    }
}

/// The pids that belong to a node's daemon (main process and, for stock keepalived,
/// its VRRP child from the pid file).
pub fn daemon_pids(c: &Cluster, i: usize) -> Vec<u32> {
    let Some(d) = &c.nodes[i].daemon else {
        return Vec::new();
    };
    let mut pids = vec![d.child.id()];
    if let Some(p) = fs::read_to_string(d.dir.join("vrrp.pid"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
    {
        pids.push(p);
    }
    pids
}
