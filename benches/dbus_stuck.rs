//! A stuck D-Bus peer must not delay adverts (issue 14): a 10 ms VRRPv3 pair of 10
//! instances, both nodes with `enable_dbus` on a private `dbus-daemon`, which is then
//! stopped (SIGSTOP) for the measured window while 20 more instances on node a flap
//! between FAULT and MASTER every 100 ms (a `track_file` rewritten by the bench), so
//! state signals keep going to the stuck bus and pile up. Counted: transitions of the 10
//! steady instances that should not happen (a's leaving MASTER, b's taking it), ours and
//! stock keepalived 2.2.7's under the same fault, in one run.
//!
//! Run as root: `cargo bench --bench dbus_stuck`. Environment: `KEEPALIVED` (stock
//! binary, default /usr/sbin/keepalived), `BENCH_SECONDS` (the stuck window, default 30).
//! Everything runs in throw-away network namespaces on 198.18.0.0/15.

#[path = "../tests/lab/mod.rs"]
mod lab;
#[path = "../tests/common/private_bus.rs"]
mod private_bus;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lab::{wait_for, Daemon, Lab};
use private_bus::PrivateBus;

/// The 10 steady instances at `prio`, and on node a (`flap` set) the 20 flapping ones.
fn config(prio: u8, flap: Option<&Path>) -> String {
    let mut s = String::from("global_defs {\n enable_dbus\n}\n");
    for i in 0..10 {
        let _ = write!(
            s,
            "vrrp_instance VI_{i} {{\n state BACKUP\n interface eth0\n virtual_router_id {}\n \
             priority {prio}\n version 3\n advert_int 0.01\n virtual_ipaddress {{\n 198.19.0.{}/32\n }}\n}}\n",
            i + 1,
            i + 1
        );
    }
    if let Some(file) = flap {
        let _ = write!(
            s,
            "track_file flap {{\n file {}\n weight 0\n}}\n",
            file.display()
        );
        for i in 0..20 {
            let _ = write!(
                s,
                "vrrp_instance FL_{i} {{\n state BACKUP\n interface eth0\n virtual_router_id {}\n \
                 priority 100\n advert_int 1\n virtual_ipaddress {{\n 198.19.1.{}/32\n }}\n \
                 track_file {{\n flap\n }}\n}}\n",
                i + 101,
                i + 1
            );
        }
    }
    s
}

fn vip_count(host: &lab::Host) -> usize {
    host.ip(&["-4", "-o", "addr", "show", "dev", "eth0"])
        .lines()
        .filter(|l| l.contains("198.19.0."))
        .count()
}

/// Transitions of the steady instances that should not happen.
fn spurious(a: &Daemon, b: &Daemon) -> usize {
    let count = |d: &Daemon, what: &str| {
        d.log_text()
            .lines()
            .filter(|l| l.contains("(VI_") && l.contains(what))
            .count()
    };
    count(a, "Entering BACKUP STATE") + count(b, "Entering MASTER STATE")
}

/// Spurious transitions, and state changes of the flapping instances, in the window.
fn run(name: &str, binary: &Path, args: &[&str], seconds: u64) -> (usize, usize) {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let bus = PrivateBus::start(&na.dir);
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &bus.address);
    let flap = na.dir.join("flap");
    std::fs::write(&flap, "0\n").unwrap();
    let a = Daemon::start_args(na, binary, &config(200, Some(&flap)), args);
    let b = Daemon::start_args(nb, binary, &config(100, None), args);
    assert!(
        wait_for(Duration::from_secs(15), || vip_count(na) == 10
            && vip_count(nb) == 0)
        .is_some(),
        "{name}: the pair did not settle"
    );
    std::thread::sleep(Duration::from_secs(2));
    let before = spurious(&a, &b);
    let flaps_before = a.log_text().matches("(FL_").count();
    let pid = bus.pid();
    let stop = std::env::var_os("BENCH_NO_STOP").is_none();
    let flapping = std::env::var_os("BENCH_NO_FLAP").is_none();
    if stop {
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    }
    let start = Instant::now();
    let mut up = false;
    while start.elapsed() < Duration::from_secs(seconds) {
        if flapping {
            std::fs::write(&flap, if up { "0\n" } else { "1\n" }).unwrap();
        }
        up = !up;
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::write(&flap, "0\n").unwrap();
    let counted = spurious(&a, &b) - before;
    let flapped = a.log_text().matches("(FL_").count() - flaps_before;
    if counted > 0 {
        for (node, d) in [("a", &a), ("b", &b)] {
            for line in d
                .log_text()
                .lines()
                .filter(|l| l.contains("(VI_") && l.contains("Entering"))
            {
                println!("{name} {node}: {line}");
            }
        }
    }
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).unwrap();
    drop((a, b));
    drop(bus);
    (counted, flapped)
}

fn main() {
    lab::require_root();
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let ours = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/keepalived");
    let ours = std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| PathBuf::from(t).join("release/keepalived"))
        .filter(|p| p.exists())
        .unwrap_or(ours);
    assert!(
        ours.exists(),
        "build the release binary first: cargo build --release"
    );
    let stock = std::env::var_os("KEEPALIVED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/keepalived"));
    let mut report = format!(
        "## A stuck D-Bus peer ({seconds} s, dbus-daemon stopped; 10 VRRPv3 instances at 10 ms, \
         20 instances flapping every 100 ms on the master)\n\n\
         | implementation | spurious transitions | flapping instances' log lines meanwhile |\n|---|---:|---:|\n"
    );
    for (name, binary, args) in [
        ("keepalived-rs", ours.as_path(), &["-n", "-l", "-G"][..]),
        ("keepalived", stock.as_path(), &["-n", "-l", "-G", "-P"][..]),
    ] {
        let (spurious, flapped) = run(name, binary, args, seconds);
        let line = format!("| {name} | {spurious} | {flapped} |");
        println!("{line}");
        let _ = writeln!(report, "{line}");
    }
    println!("\n{report}");
}
