//! Mixed-cluster conformance (issue 5): every scenario in `conformance/scenarios/`
//! is run with each mix of our daemon and stock keepalived on its nodes — and, where a
//! scenario names them (`extra_mixes`, issue 17), with stock keepalived 1.1.19 / 1.3.5
//! and FRR's vrrpd as peers — in network namespaces, observed only as a peer or a
//! client could (addresses, ARP cache, VIP probes, logs, notify output, packets on the
//! bridge).
//!
//! Environment:
//! * `CONFORMANCE_FILTER=seed-pair/ours-ka,vrrp3` — run only `scenario/mix` ids
//!   containing one of the comma-separated substrings;
//! * `CONFORMANCE_JOBS=2` — runs in parallel (each in its own lab);
//! * `CONFORMANCE_REPORT=conformance/REPORT.md` — write the matrix there;
//! * `CONFORMANCE_KEEP=1` — keep every run's logs, configs and captures (failed runs'
//!   are always kept) under `target/tmp/conformance/SCENARIO/MIX/`;
//! * `KEEPALIVED_RS_BIN` (default: this build's `keepalived`), `KEEPALIVED_BIN`
//!   (default `/usr/sbin/keepalived`) — ours and stock keepalived 2.2.7;
//! * `KEEPALIVED_PEERS_DIR` (default `../shared/peers` next to the repository) — holds
//!   stock `keepalived-1.1.19` and `keepalived-1.3.5` (mixes `k11`, `k13`);
//! * `FRR_DIR` (default `/usr/lib/frr`, Debian's `frr`) — `zebra` and `vrrpd` (`frr`).
//!
//! A run whose implementation is missing fails the whole test before anything runs.
//!
//! Needs root; fails loudly (never skips) without it. Runs without libtest's harness:
//! it is one long matrix, not a set of unit tests.

#[path = "conformance/frr.rs"]
mod frr;
mod lab;
#[path = "conformance/node.rs"]
mod node;
#[path = "conformance/report.rs"]
mod report;
#[path = "conformance/run.rs"]
mod run;
#[path = "conformance/scenario.rs"]
mod scenario;
#[path = "conformance/syslog.rs"]
mod syslog;
#[path = "conformance/wire.rs"]
mod wire;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use node::Binaries;
use run::{Outcome, RunResult};
use scenario::{Mix, Scenario};

fn main() {
    // A positional argument is taken as an extra filter.
    let arg_filter = lab::positional_filters(std::env::args().skip(1));
    lab::require_root();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/scenarios");
    let scenarios = load_all(&dir);
    let mut filters: Vec<String> = std::env::var("CONFORMANCE_FILTER")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    filters.extend(arg_filter);
    let mut jobs: Vec<(Arc<Scenario>, Mix)> = Vec::new();
    for sc in &scenarios {
        let sc = Arc::new(sc.clone());
        for mix in sc.mixes() {
            let id = format!("{}/{}", sc.name, mix.id());
            if filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str())) {
                jobs.push((sc.clone(), mix));
            }
        }
    }
    if jobs.is_empty() {
        panic!("no scenario/mix matches the filter {filters:?}");
    }
    let bins = binaries(&jobs);
    let parallel: usize = std::env::var("CONFORMANCE_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2)
        .max(1);
    println!(
        "conformance: {} runs, {parallel} at a time; ours = {}, keepalived = {}",
        jobs.len(),
        bins.ours.display(),
        bins.keepalived.display()
    );
    let queue = Arc::new(Mutex::new(jobs.into_iter().rev().collect::<Vec<_>>()));
    let results = Arc::new(Mutex::new(Vec::<RunResult>::new()));
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let queue = queue.clone();
            let results = results.clone();
            let bins = bins.clone();
            std::thread::spawn(move || loop {
                let job = queue.lock().unwrap().pop();
                let Some((sc, mix)) = job else { break };
                let r = run::run(&sc, &mix, &bins);
                println!("{}", report::line(&r));
                results.lock().unwrap().push(r);
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by(|a, b| (&a.scenario, &a.mix).cmp(&(&b.scenario, &b.mix)));
    let identity = report::identity(&results);
    let text = report::markdown(&scenarios, &results, &identity, &bins);
    println!("\n{text}");
    if let Ok(path) = std::env::var("CONFORMANCE_REPORT") {
        let path = PathBuf::from(path);
        let path = if path.is_relative() {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
        } else {
            path
        };
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("report written to {}", path.display());
    }
    let failed = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
        .count();
    let identity_failed = identity.iter().filter(|i| !i.identical()).count();
    if failed > 0 || identity_failed > 0 {
        eprintln!(
            "conformance: {failed} run(s) failed, {identity_failed} wire comparison(s) differ \
             (artifacts under {}/conformance)",
            env!("CARGO_TARGET_TMPDIR")
        );
        std::process::exit(1);
    }
}

/// The implementations' programs; panics (never skips) when one that a selected run
/// needs is missing.
fn binaries(jobs: &[(Arc<Scenario>, Mix)]) -> Binaries {
    let from_env =
        |var: &str, default: PathBuf| std::env::var_os(var).map(PathBuf::from).unwrap_or(default);
    let peers = node::peers_dir();
    let bins = Binaries {
        ours: from_env(
            "KEEPALIVED_RS_BIN",
            PathBuf::from(env!("CARGO_BIN_EXE_keepalived")),
        ),
        keepalived: from_env("KEEPALIVED_BIN", PathBuf::from("/usr/sbin/keepalived")),
        keepalived_1_1: peers.join("keepalived-1.1.19"),
        keepalived_1_3: peers.join("keepalived-1.3.5"),
        frr: from_env("FRR_DIR", PathBuf::from("/usr/lib/frr")),
    };
    let needed: std::collections::BTreeSet<_> = jobs
        .iter()
        .flat_map(|(sc, mix)| sc.impls_used(mix))
        .collect();
    for imp in needed {
        for b in bins.programs(imp) {
            if !b.exists() {
                panic!(
                    "{} ({}) not found: install Debian's keepalived and frr packages, put \
                     the stock 1.x builds in {} (or set KEEPALIVED_PEERS_DIR), or set \
                     KEEPALIVED_BIN / KEEPALIVED_RS_BIN / FRR_DIR",
                    b.display(),
                    imp.short(),
                    peers.display()
                );
            }
        }
    }
    bins
}

fn load_all(dir: &Path) -> Vec<Scenario> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| Scenario::load(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}
