//! The chaos soak (issue 15): a mixed cluster (our daemon and stock keepalived 2.2.7)
//! and an all-keepalived cluster live through the same seeded schedule of faults at the
//! same time, each in its own namespace lab; after every fault has settled the
//! invariants are checked (see `soak/invariants.rs`). Only the cluster with our daemon
//! is asserted on; keepalived's figures are printed beside it. `conformance/SOAK.md`
//! describes it and records the runs.
//!
//! Environment:
//! * `SOAK_SECONDS` (default 300): the whole run, shared among the cluster shapes;
//! * `SOAK_SEED` (default: from the clock, printed): replays a schedule;
//! * `SOAK_CLUSTER` (default `pair,trio`): the shapes, run one after the other — `pair`
//!   (ours + keepalived), `trio` (ours + keepalived + ours);
//! * `KEEPALIVED_RS_BIN` (default: this build's `keepalived`), `KEEPALIVED_BIN`
//!   (default `/usr/sbin/keepalived`).
//!
//! Needs root, nftables and MariaDB; fails loudly (never skips) without them.

#[path = "soak/cluster.rs"]
mod cluster;
#[path = "soak/faults.rs"]
mod faults;
#[path = "soak/invariants.rs"]
mod invariants;
mod lab;
#[path = "common/mariadb.rs"]
mod mariadb;
#[path = "soak/runner.rs"]
mod runner;
#[path = "soak/schedule.rs"]
mod schedule;

use std::path::PathBuf;
use std::time::Duration;

use cluster::Impl;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not valid")),
        Err(_) => default,
    }
}

/// The node daemons of a shape: with ours, and all stock keepalived.
fn shape(name: &str) -> (Vec<Impl>, Vec<Impl>) {
    use Impl::{Keepalived as K, Ours as O};
    match name {
        "pair" => (vec![O, K], vec![K, K]),
        "trio" => (vec![O, K, O], vec![K, K, K]),
        other => panic!("SOAK_CLUSTER: unknown shape {other} (pair, trio)"),
    }
}

fn main() {
    // Filters are accepted (cargo passes libtest's options) but there is one test.
    let _ = lab::positional_filters(std::env::args().skip(1));
    lab::require_root();
    for tool in ["nft", "mariadb-admin"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "the soak needs `{tool}` (nftables, mariadb-client: .ci/run installs them)"
        );
    }
    let seconds: u64 = env_or("SOAK_SECONDS", 300);
    let seed: u64 = env_or(
        "SOAK_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    );
    let shapes: String = env_or("SOAK_CLUSTER", "pair,trio".to_string());
    let shapes: Vec<&str> = shapes.split(',').filter(|s| !s.is_empty()).collect();
    let budget = Duration::from_secs(seconds) / shapes.len().max(1) as u32;
    let from_env =
        |var: &str, default: PathBuf| std::env::var_os(var).map_or(default, PathBuf::from);
    let ours = from_env(
        "KEEPALIVED_RS_BIN",
        PathBuf::from(env!("CARGO_BIN_EXE_keepalived")),
    );
    let stock = from_env("KEEPALIVED_BIN", PathBuf::from("/usr/sbin/keepalived"));
    assert!(
        stock.exists(),
        "stock keepalived not found at {}",
        stock.display()
    );
    let replay = format!(
        "SOAK_SEED={seed} SOAK_SECONDS={seconds} SOAK_CLUSTER={} cargo test --release --test soak",
        shapes.join(",")
    );
    eprintln!("soak: seed {seed}; replay with: {replay}");
    let mut failed = Vec::new();
    for name in &shapes {
        let (with_ours, all_stock) = shape(name);
        let bins = (ours.clone(), stock.clone());
        let bins2 = bins.clone();
        let mixed_name = format!("{name}/ours");
        let stock_name = format!("{name}/keepalived");
        let stock_run =
            std::thread::spawn(move || runner::run(&stock_name, &all_stock, seed, budget, bins2));
        let mixed = runner::run(&mixed_name, &with_ours, seed, budget, bins);
        let stock = stock_run
            .join()
            .expect("the keepalived cluster's run panicked");
        println!("{}", runner::render(&mixed));
        println!("{}", runner::render(&stock));
        if mixed.violation_count() > 0 {
            failed.push(format!("{name}: {} violation(s)", mixed.violation_count()));
        }
    }
    println!("soak: seed {seed}; replay with: {replay}");
    assert!(
        failed.is_empty(),
        "soak failed ({}); replay with: {replay}",
        failed.join(", ")
    );
}
