//! Drives one cluster through the schedule and checks the invariants after each fault.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::cluster::{Cluster, Impl};
use crate::invariants::{daemon_pids, old_processes, wait_settled, NetState, Resources};
use crate::schedule::{next_episode, Rng};

/// A process (not the daemon's own) older than this after a fault has settled was
/// left behind: scripts run at most their 3 s timeout.
const LEAK_AGE: Duration = Duration::from_secs(20);

/// How an incarnation of our daemon may grow and still count as flat: descriptors a
/// script run holds open for a moment, memory a log buffer may take.
const FD_SLACK: usize = 4;
const RSS_SLACK_KIB: u64 = 4096;

/// One run's figures.
#[derive(Default)]
pub struct Report {
    pub name: String,
    pub faults: BTreeMap<&'static str, usize>,
    /// Violations by the kind of fault after which they were seen.
    pub violations: BTreeMap<&'static str, usize>,
    pub details: Vec<String>,
    /// In the cluster with ours: what went wrong on a stock keepalived node alone (a
    /// leak, a hang on stop), by fault kind — keepalived's, printed but not asserted.
    pub on_stock_nodes: BTreeMap<&'static str, usize>,
    pub transitions: usize,
    pub resources: Resources,
    pub wall: Duration,
}

impl Report {
    pub fn violation_count(&self) -> usize {
        self.violations.values().sum()
    }

    fn violate(&mut self, kind: &'static str, n: usize, what: String) {
        eprintln!("soak[{}] #{n} VIOLATION after {kind}: {what}", self.name);
        *self.violations.entry(kind).or_default() += 1;
        self.details.push(format!("#{n} after {kind}: {what}"));
    }

    /// A violation on node `i` alone: a stock keepalived node of a cluster that has
    /// ours is keepalived's, not ours.
    fn node_violation(
        &mut self,
        c: &Cluster,
        i: usize,
        kind: &'static str,
        n: usize,
        what: String,
    ) {
        let mixed = c.nodes.iter().any(|node| node.imp == Impl::Ours);
        if mixed && c.nodes[i].imp == Impl::Keepalived {
            eprintln!(
                "soak[{}] #{n} on keepalived node {i} after {kind}: {what}",
                self.name
            );
            *self.on_stock_nodes.entry(kind).or_default() += 1;
            self.details.push(format!(
                "#{n} after {kind} (keepalived node, not asserted): {what}"
            ));
        } else {
            self.violate(kind, n, what);
        }
    }
}

/// Runs `impls` through the schedule of `seed` for `budget`.
pub fn run(
    name: &str,
    impls: &[Impl],
    seed: u64,
    budget: Duration,
    bins: (std::path::PathBuf, std::path::PathBuf),
) -> Report {
    let started = Instant::now();
    let mut r = Report {
        name: name.to_string(),
        ..Report::default()
    };
    let mut c = Cluster::new(impls, bins.0, bins.1);
    let base: Vec<NetState> = (0..impls.len())
        .map(|i| NetState::of(&c.host(i).ns))
        .collect();
    c.start_all();
    if let Err(e) = wait_settled(&c, Duration::from_secs(20)) {
        r.violate("start-up", 0, e);
    }
    r.resources.sample(&c);
    let mut rng = Rng::new(seed);
    let mut reported = BTreeSet::new();
    let mut n = 0;
    while started.elapsed() < budget {
        n += 1;
        let ep = next_episode(&mut rng);
        let kind = ep.fault.kind();
        eprintln!(
            "soak[{name}] #{n} {:>5.1}s {} on node {} for {:?}",
            started.elapsed().as_secs_f64(),
            ep.fault,
            ep.node % impls.len(),
            ep.hold
        );
        *r.faults.entry(kind).or_default() += 1;
        for (i, p) in crate::faults::inflict(&mut c, &ep) {
            r.node_violation(&c, i, kind, n, p);
        }
        if let Err(e) = wait_settled(&c, ep.fault.settle_bound()) {
            r.violate(
                kind,
                n,
                format!("not settled within {:?}: {e}", ep.fault.settle_bound()),
            );
        }
        for (i, what) in check_leaks(&mut c, &base, &mut reported) {
            r.node_violation(&c, i, kind, n, what);
        }
        r.resources.sample(&c);
    }
    r.transitions = c.transitions();
    // The end: every daemon stops on SIGTERM and leaves the node as it found it.
    for (i, base) in base.iter().enumerate() {
        if !c.stop_node(i) {
            r.node_violation(
                &c,
                i,
                "final stop",
                n,
                format!("node {i} did not exit on SIGTERM"),
            );
        }
        if let Some(d) = NetState::of(&c.host(i).ns).diff(base) {
            r.node_violation(&c, i, "final stop", n, format!("node {i} after stop: {d}"));
        }
    }
    check_flat(&mut r, n);
    if !r.details.is_empty() {
        keep_logs(&c, &r.name, seed);
    }
    r.wall = started.elapsed();
    r
}

/// Copies every node's log and configuration out of the lab (which is deleted with
/// the cluster) to `target/tmp/soak/NAME-SEED/`, for a run that saw anything wrong.
fn keep_logs(c: &Cluster, name: &str, seed: u64) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("soak")
        .join(format!("{}-{seed}", name.replace('/', "-")));
    let _ = std::fs::create_dir_all(&dir);
    for i in 0..c.nodes.len() {
        for file in ["daemon.log", "keepalived.conf"] {
            let _ = std::fs::copy(c.host(i).dir.join(file), dir.join(format!("{i}-{file}")));
        }
    }
    eprintln!("soak[{name}]: logs kept in {}", dir.display());
}

/// Daemons alive, nothing left behind on any node.
fn check_leaks(
    c: &mut Cluster,
    base: &[NetState],
    reported: &mut BTreeSet<u32>,
) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, base) in base.iter().enumerate() {
        if let Some(d) = c.nodes[i].daemon.as_mut() {
            if let Ok(Some(status)) = d.child.try_wait() {
                found.push((i, format!("node {i}'s daemon died: {status}")));
                c.start_node(i);
                continue;
            }
        }
        if let Some(d) = NetState::of(&c.host(i).ns).diff(base) {
            found.push((i, format!("node {i}: {d}")));
        }
        let keep = daemon_pids(c, i);
        for (pid, comm) in old_processes(&c.host(i).ns, &keep, LEAK_AGE) {
            if reported.insert(pid) {
                found.push((i, format!("node {i}: process {pid} ({comm}) left running")));
            }
        }
    }
    found
}

/// Judged on every incarnation of our daemon that lived a minute or more.
fn check_flat(r: &mut Report, n: usize) {
    let grown: Vec<String> = r
        .resources
        .by_pid
        .iter()
        .filter(|(_, inc)| inc.until - inc.since >= Duration::from_secs(60))
        .filter(|(_, inc)| {
            inc.last.0 > inc.first.0 + FD_SLACK || inc.last.1 > inc.first.1 + RSS_SLACK_KIB
        })
        .map(|(pid, inc)| {
            format!(
                "node {} pid {pid}: fds {}→{}, VmRSS {}→{} KiB over {:?}",
                inc.node,
                inc.first.0,
                inc.last.0,
                inc.first.1,
                inc.last.1,
                inc.until - inc.since
            )
        })
        .collect();
    for g in grown {
        r.violate("resource growth", n, g);
    }
}

/// The report as text: faults by kind, violations, transitions, resources.
pub fn render(r: &Report) -> String {
    let mut out = format!(
        "soak[{}]: {} faults, {} violations, {} MASTER transitions, wall {:.0} s\n",
        r.name,
        r.faults.values().sum::<usize>(),
        r.violation_count(),
        r.transitions,
        r.wall.as_secs_f64()
    );
    for kind in crate::schedule::Fault::all_kinds() {
        out += &format!(
            "  {kind:<32} injected {:>3}  violations {:>3}  on keepalived nodes {:>3}\n",
            r.faults.get(kind).copied().unwrap_or(0),
            r.violations.get(kind).copied().unwrap_or(0),
            r.on_stock_nodes.get(kind).copied().unwrap_or(0)
        );
    }
    // Violations outside any fault: start-up, the final stop, resource growth.
    let other: BTreeSet<_> = r.violations.keys().chain(r.on_stock_nodes.keys()).collect();
    for kind in other.into_iter().filter(|k| !r.faults.contains_key(*k)) {
        out += &format!(
            "  {kind:<32}              violations {:>3}  on keepalived nodes {:>3}\n",
            r.violations.get(kind).copied().unwrap_or(0),
            r.on_stock_nodes.get(kind).copied().unwrap_or(0)
        );
    }
    if let Some(inc) = r.resources.longest() {
        out += &format!(
            "  our daemon (node {}, longest-lived, {:.0} s): fds {}→{}, VmRSS {}→{} KiB\n",
            inc.node,
            (inc.until - inc.since).as_secs_f64(),
            inc.first.0,
            inc.last.0,
            inc.first.1,
            inc.last.1
        );
    }
    for d in &r.details {
        out += &format!("  ! {d}\n");
    }
    out
}
