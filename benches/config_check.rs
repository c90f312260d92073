//! `--check-config` speed, side by side with `keepalived -t` on the same generated files.
//!
//! Generates configurations with 1,000 and 10,000 `vrrp_instance`s (each with a VIP, PASS
//! auth, a tracked script and notify hooks), runs both checkers inside a throw-away network
//! namespace that has the interfaces the files name (dummy links, or veth where the kernel
//! lacks the dummy driver), and reports the median wall time of
//! each process (21 runs at 1,000 instances, 5 at 10,000) and their ratio. Goal (issue 2): ours ≤ 1/5 of keepalived's, growing linearly.
//!
//! Run: `cargo bench --bench config_check` (as root; needs `ip` and `/usr/sbin/keepalived`,
//! or `KEEPALIVED=/path/to/keepalived`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn generate(n: usize, path: &Path) {
    let mut s = String::from(
        "global_defs {\n    router_id bench\n    enable_script_security\n    script_user root\n}\n",
    );
    s.push_str("vrrp_script chk {\n    script \"/bin/true\"\n    interval 1\n    weight -10\n}\n");
    for i in 0..n {
        let vrid = i % 255 + 1;
        let ifname = format!("bench{}", i / 255);
        s.push_str(&format!(
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface {ifname}\n    virtual_router_id {vrid}\n    priority {}\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        auth_pass pw{i}\n    }}\n    virtual_ipaddress {{\n        198.18.{}.{}/32 dev {ifname}\n    }}\n    track_script {{\n        chk\n    }}\n    notify_master \"/bin/true master\"\n}}\n",
            100 + i % 100,
            (i / 250) % 256,
            i % 250 + 1,
        ));
    }
    std::fs::write(path, s).unwrap();
}

struct Netns(String);
impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Adds interface `name` in `ns`: a dummy link, or (where the kernel has no dummy driver) one
/// end of a veth pair. Without it both checkers would stop at the missing interface.
fn add_link(ns: &str, name: &str) {
    let exists = |n: &str| {
        Command::new("ip")
            .args(["-n", ns, "link", "show", n])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if exists(name) {
        return;
    }
    let quiet = |args: &[&str]| {
        Command::new("ip")
            .args(["-n", ns, "link", "add"])
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let peer = format!("{name}p");
    let added =
        quiet(&[name, "type", "dummy"]) || quiet(&[name, "type", "veth", "peer", "name", &peer]);
    assert!(
        added,
        "cannot create interface {name} (dummy or veth) in {ns}"
    );
}

/// Median wall time of `runs` runs of `argv` inside network namespace `ns`. The clock
/// covers the checker process alone: the namespace is entered by a thread of ours (its
/// children are born in it) rather than by `ip netns exec`, whose own start-up would be
/// counted for both checkers alike and blur the ratio. Both checkers must accept the file.
fn time_runs(ns: &str, argv: &[&str], runs: usize) -> Duration {
    let netns = std::fs::File::open(format!("/run/netns/{ns}")).expect("open namespace");
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                nix::sched::setns(&netns, nix::sched::CloneFlags::CLONE_NEWNET)
                    .expect("enter the bench namespace");
                let mut times: Vec<Duration> = (0..runs)
                    .map(|_| {
                        let t = Instant::now();
                        let out = Command::new(argv[0])
                            .args(&argv[1..])
                            .output()
                            .expect("run checker");
                        let el = t.elapsed();
                        assert_eq!(
                            out.status.code(),
                            Some(0),
                            "{argv:?} did not accept the generated file: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                        el
                    })
                    .collect();
                times.sort();
                times[runs / 2]
            })
            .join()
            .expect("timing thread")
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("config_check: benchmark");
        return;
    }
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_keepalived"));
    let theirs = std::env::var("KEEPALIVED").unwrap_or_else(|_| "/usr/sbin/keepalived".into());
    assert!(
        Path::new(&theirs).exists(),
        "stock keepalived not found at {theirs}"
    );
    let ns = Netns(format!("krs-bench-{}", std::process::id()));
    let ok = Command::new("ip")
        .args(["netns", "add", &ns.0])
        .status()
        .unwrap();
    assert!(
        ok.success(),
        "cannot create a network namespace (run as root)"
    );
    let dir = tempfile::tempdir().unwrap();
    println!("| instances | keepalived -t | ours --check-config | ratio (ours/keepalived) |");
    println!("|---:|---:|---:|---:|");
    for n in [1_000usize, 10_000] {
        for k in 0..n.div_ceil(255) {
            add_link(&ns.0, &format!("bench{k}"));
        }
        let file = dir.path().join(format!("bench-{n}.conf"));
        generate(n, &file);
        let f = file.to_str().unwrap();
        let runs = if n > 5_000 { 5 } else { 21 };
        let ka = time_runs(&ns.0, &[&theirs, "-t", "-f", f], runs);
        let us = time_runs(
            &ns.0,
            &[ours.to_str().unwrap(), "--check-config", "-f", f],
            runs,
        );
        println!(
            "| {n} | {:.1} ms | {:.1} ms | {:.3} |",
            ka.as_secs_f64() * 1e3,
            us.as_secs_f64() * 1e3,
            us.as_secs_f64() / ka.as_secs_f64()
        );
    }
}
