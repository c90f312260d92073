//! The running daemon's memory footprint (issue 4): once started it gives back the pages of
//! its binary that start-up used (they stay in the page cache), unless `vrrp_no_swap` asks
//! for everything to be locked in memory, as keepalived does with it.
//! Needs root (network namespaces); panics without it.

mod lab;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::{wait_for, Daemon, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

fn config(global: &str) -> String {
    format!(
        "global_defs {{\n{global}}}\nvrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    \
         virtual_router_id 41\n    priority 101\n    advert_int 1\n    virtual_ipaddress {{\n        \
         198.18.0.100/24\n    }}\n}}\n"
    )
}

/// `(resident, mapped)` KiB of the daemon's mappings of its own executable, and `VmLck`.
fn binary_pages(pid: u32) -> (u64, u64, u64) {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("smaps");
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).expect("exe");
    let exe = exe.to_string_lossy().into_owned();
    let (mut rss, mut size, mut ours) = (0, 0, false);
    let kib = |l: &str| -> u64 {
        l.split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    for line in smaps.lines() {
        // A mapping's header starts with its address range; field names hold no '-'.
        if line
            .split_whitespace()
            .next()
            .is_some_and(|f| f.contains('-'))
        {
            ours = line.ends_with(&exe);
        }
        if ours && line.starts_with("Size:") {
            size += kib(line);
        }
        if ours && line.starts_with("Rss:") {
            rss += kib(line);
        }
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let locked = status
        .lines()
        .find(|l| l.starts_with("VmLck:"))
        .map(kib)
        .unwrap_or(0);
    (rss, size, locked)
}

/// Starts one master and returns its pages once it holds the VIP and has settled.
fn settled_master(global: &str) -> (u64, u64, u64) {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let d = Daemon::start(a, BIN.as_ref(), &config(global));
    assert!(
        wait_for(Duration::from_secs(10), || a.has_address(VIP)).is_some(),
        "never became master:\n{}",
        d.log_text()
    );
    std::thread::sleep(Duration::from_secs(2));
    binary_pages(d.child.id())
}

#[test]
fn start_up_pages_of_the_binary_are_given_back() {
    let (rss, size, locked) = settled_master("");
    eprintln!("binary: {rss} KiB resident of {size} KiB mapped; {locked} KiB locked");
    assert!(size > 0, "no mapping of the executable found");
    assert_eq!(locked, 0);
    // Start-up maps nearly all of it (64 KiB fault-around windows); the running loop
    // needs well under half.
    assert!(
        rss * 2 < size,
        "{rss} KiB of the {size} KiB binary still resident after start-up"
    );
}

#[test]
fn vrrp_no_swap_locks_the_process_in_memory() {
    let (rss, size, locked) = settled_master("    vrrp_no_swap\n");
    eprintln!("binary: {rss} KiB resident of {size} KiB mapped; {locked} KiB locked");
    assert!(locked > 0, "VmLck is 0 with vrrp_no_swap");
    assert_eq!(
        rss, size,
        "a locked binary is wholly resident, never given back"
    );
}
