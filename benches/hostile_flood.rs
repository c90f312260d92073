//! Spurious transitions of a pair under a flood of invalid VRRP packets (issue 15), ours
//! beside stock keepalived 2.2.7, one row per kind of junk.
//!
//! Run as root: `cargo bench --bench hostile_flood`. Environment: `KEEPALIVED` (stock
//! binary, default /usr/sbin/keepalived), `BENCH_FLOOD_SECONDS` (per kind, default 20),
//! `BENCH_FLOOD_RATE` (packets a second, default 1000). Everything runs in throw-away
//! network namespaces on 198.18.0.0/15.

#[path = "../tests/flood/mod.rs"]
mod flood;
#[path = "../tests/lab/mod.rs"]
mod lab;

use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse().unwrap_or_else(|_| panic!("{name}=<number>"))
    })
}

fn main() {
    let per_kind = Duration::from_secs(env_or("BENCH_FLOOD_SECONDS", 20));
    let rate = env_or("BENCH_FLOOD_RATE", 1_000) as u32;
    let results = flood::run_all(BIN.as_ref(), per_kind, rate);
    println!("{}", flood::table(&results, per_kind, rate));
}
