//! What the daemon benchmarks that put a fast pair under a fault share (`daemon`'s CPU
//! hog, `smtp_dead`, `dbus_stuck`, `snmp_dead`): ours and stock keepalived side by side,
//! the pair of ten VRRPv3 instances at 10 ms adverts (node a at priority 200 holds every
//! VIP, b at 100 holds none), waiting for it to settle, counting its spurious transitions
//! (a steady instance of a leaving MASTER, or of b taking it), and the window in which a
//! stopped peer process (a bus, a master agent) is fed state changes by instances that
//! flap on node a.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::lab::{wait_for, Daemon, Host, Lab};

/// The steady instances: VI_0…VI_9, VRIDs 1–10, VIPs 198.19.0.1–10.
pub const STEADY: usize = 10;
/// How long a started pair may take to settle.
const SETTLE_WITHIN: Duration = Duration::from_secs(15);
/// How often the flapping instances change state.
const FLAP_EVERY: Duration = Duration::from_millis(100);

/// Ours or stock keepalived, with the arguments that make them comparable.
#[derive(Clone)]
pub struct Implementation {
    pub name: &'static str,
    pub binary: PathBuf,
    /// Extra arguments (keepalived: `-P`, VRRP only, as ours).
    pub args: Vec<&'static str>,
}

impl Implementation {
    /// Starts it in `host` on `config`: foreground, console log (the lab's log file),
    /// no syslog.
    pub fn start(&self, host: &Host, config: &str) -> Daemon {
        let mut args: Vec<&str> = vec!["-n", "-l", "-G"];
        args.extend(self.args.iter().copied());
        Daemon::start_args(host, &self.binary, config, &args)
    }
}

/// Ours (`KEEPALIVED_RS`, default the binary cargo built) and stock keepalived
/// (`KEEPALIVED`, default /usr/sbin/keepalived), in that order.
pub fn implementations() -> Vec<Implementation> {
    let ours = std::env::var_os("KEEPALIVED_RS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keepalived")));
    assert!(
        ours.exists(),
        "build the release binary first: cargo build --release"
    );
    let stock = std::env::var_os("KEEPALIVED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/keepalived"));
    assert!(
        stock.exists(),
        "stock keepalived not found at {}",
        stock.display()
    );
    vec![
        Implementation {
            name: "keepalived-rs",
            binary: ours,
            args: vec![],
        },
        Implementation {
            name: "keepalived",
            binary: stock,
            args: vec!["-P"],
        },
    ]
}

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The steady instances at `priority`.
pub fn steady_instances(priority: u8) -> String {
    let mut s = String::new();
    for i in 0..STEADY {
        let _ = write!(
            s,
            "vrrp_instance VI_{i} {{\n state BACKUP\n interface eth0\n virtual_router_id {}\n \
             priority {priority}\n version 3\n advert_int 0.01\n virtual_ipaddress {{\n \
             198.19.0.{}/32\n }}\n}}\n",
            i + 1,
            i + 1
        );
    }
    s
}

/// The IPv4 addresses on `host` that start with `prefix` (e.g. `198.19.`).
pub fn vip_count(host: &Host, prefix: &str) -> usize {
    host.ip(&["-4", "-o", "addr", "show"])
        .lines()
        .filter(|l| l.contains(&format!(" {prefix}")))
        .count()
}

/// Waits until a holds every steady VIP and b none; panics after [`SETTLE_WITHIN`].
pub fn settle(name: &str, a: &Host, b: &Host) {
    let settled = wait_for(SETTLE_WITHIN, || {
        vip_count(a, "198.19.0.") == STEADY && vip_count(b, "198.19.0.") == 0
    });
    assert!(settled.is_some(), "{name}: the pair did not settle");
}

/// The steady instances' transitions so far that should not happen.
pub fn spurious(a: &Daemon, b: &Daemon) -> usize {
    spurious_lines(a, b).iter().map(Vec::len).sum()
}

/// Those transitions' log lines: a's, then b's.
fn spurious_lines(a: &Daemon, b: &Daemon) -> [Vec<String>; 2] {
    let lines = |d: &Daemon, what: &str| -> Vec<String> {
        d.log_text()
            .lines()
            .filter(|l| l.contains("(VI_") && l.contains(what))
            .map(|l| l.to_owned())
            .collect()
    };
    [
        lines(a, "Entering BACKUP STATE"),
        lines(b, "Entering MASTER STATE"),
    ]
}

/// A node's configuration: `global_defs` with `global` (the fault's keywords), the steady
/// instances at `priority` and, on node a (`flap` set), the flapping ones.
pub fn node_config(global: &str, priority: u8, flap: Option<&Path>) -> String {
    let mut s = format!("global_defs {{\n{global}}}\n");
    s += &steady_instances(priority);
    if let Some(file) = flap {
        s += &flapping_instances(file);
    }
    s
}

/// Twenty VRRPv2 instances (FL_0…FL_19, VRIDs 101–120, VIPs 198.19.1.1–20) that go to
/// FAULT while `file` holds a non-zero number: for node a's configuration.
pub fn flapping_instances(file: &Path) -> String {
    let mut s = format!(
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
    s
}

/// Starts the pair on nodes a and b of `lab` for a stuck-peer run, each node's
/// `global_defs` keywords from `global`, the flapping instances on a; returns it settled
/// (and quiet for 2 s more), with the flapping instances' file (holding 0).
pub fn start_flapping_pair(
    imp: &Implementation,
    lab: &Lab,
    global: impl Fn(&Host) -> String,
) -> (Daemon, Daemon, PathBuf) {
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let flap = na.dir.join("flap");
    std::fs::write(&flap, "0\n").unwrap();
    let a = imp.start(na, &node_config(&global(na), 200, Some(&flap)));
    let b = imp.start(nb, &node_config(&global(nb), 100, None));
    settle(imp.name, na, nb);
    std::thread::sleep(Duration::from_secs(2));
    (a, b, flap)
}

/// The stuck-peer window: `stuck` (the peer's processes) are stopped with SIGSTOP for
/// `seconds` while the flapping instances of `a` change state every [`FLAP_EVERY`]
/// through `flap` (the file of [`flapping_instances`]), then continued. Returns the
/// spurious transitions in the window (each printed) and the log lines the flapping
/// instances wrote meanwhile. `BENCH_NO_STOP` leaves the peer running and
/// `BENCH_NO_FLAP` the instances steady, for comparison runs.
pub fn stuck_window(
    name: &str,
    (a, b): (&Daemon, &Daemon),
    flap: &Path,
    stuck: &[nix::unistd::Pid],
    seconds: u64,
) -> (usize, usize) {
    use nix::sys::signal::{kill, Signal};
    let before = spurious_lines(a, b).map(|l| l.len());
    let flap_lines = || a.log_text().matches("(FL_").count();
    let flaps_before = flap_lines();
    let stop = std::env::var_os("BENCH_NO_STOP").is_none();
    let flapping = std::env::var_os("BENCH_NO_FLAP").is_none();
    if stop {
        for pid in stuck {
            kill(*pid, Signal::SIGSTOP).expect("stop the peer");
        }
    }
    let start = Instant::now();
    let mut up = false;
    while start.elapsed() < Duration::from_secs(seconds) {
        if flapping {
            std::fs::write(flap, if up { "0\n" } else { "1\n" }).unwrap();
        }
        up = !up;
        std::thread::sleep(FLAP_EVERY);
    }
    std::fs::write(flap, "0\n").unwrap();
    let mut counted = 0;
    for (node, (lines, before)) in ["a", "b"]
        .iter()
        .zip(spurious_lines(a, b).iter().zip(before))
    {
        for line in &lines[before..] {
            println!("{name} {node}: {line}");
        }
        counted += lines.len() - before;
    }
    let flapped = flap_lines() - flaps_before;
    for pid in stuck {
        let _ = kill(*pid, Signal::SIGCONT);
    }
    (counted, flapped)
}

/// A stuck-peer bench's `main`: as root, for `BENCH_SECONDS` (default 30), `run` for
/// each implementation, and the table (titled by `title` from the seconds) of spurious
/// transitions and the flapping instances' log lines (what [`stuck_window`] returns).
pub fn stuck_bench(
    title: impl Fn(u64) -> String,
    run: impl Fn(&Implementation, u64) -> (usize, usize),
) {
    crate::lab::require_root();
    let seconds = env_number("BENCH_SECONDS", 30);
    let mut report = format!(
        "## {}\n\n| implementation | spurious transitions | flapping instances' log lines \
         meanwhile |\n|---|---:|---:|\n",
        title(seconds)
    );
    for imp in implementations() {
        let (spurious, flapped) = run(&imp, seconds);
        let line = format!("| {} | {spurious} | {flapped} |", imp.name);
        println!("{line}");
        let _ = writeln!(report, "{line}");
    }
    println!("\n{report}");
}
