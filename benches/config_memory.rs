//! Peak memory of `-t` on a 50 MB configuration, ours beside stock keepalived 2.2.7's
//! (issue 15: at most keepalived's). Two shapes of file: a small live configuration
//! followed by commented-out generated blocks (what both checkers read and drop), and
//! live `vrrp_instance` blocks only (what both keep; 2 MB, as keepalived's checks grow
//! quadratically with the number of instances: 5 MB takes it almost 4 minutes).
//!
//! Run: `cargo bench --bench config_memory` (needs `/usr/sbin/keepalived`, or
//! `KEEPALIVED=/path/to/keepalived`).

#[path = "../tests/memory_support/mod.rs"]
mod memory_support;

use memory_support::*;
use std::path::Path;

fn report(what: &str, file: &Path) {
    let size = std::fs::metadata(file).unwrap().len();
    let ours = env!("CARGO_BIN_EXE_keepalived");
    let (ours_kib, ours_code) = peak_kib_of_check(ours, file);
    let (stock_kib, stock_code) = peak_kib_of_check(&stock_keepalived(), file);
    println!(
        "-t peak on {what} ({:.1} MB): ours {:.1} MB (exit {ours_code}), keepalived {:.1} MB (exit {stock_code})",
        size as f64 / 1e6,
        ours_kib as f64 / 1024.0,
        stock_kib as f64 / 1024.0,
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let commented = dir.path().join("commented.conf");
    write_commented_file(&commented, 50_000_000);
    report("commented-out blocks", &commented);
    let instances = dir.path().join("instances.conf");
    write_instances_file(&instances, 2_000_000);
    report("live vrrp_instance blocks", &instances);
}
