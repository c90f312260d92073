//! Shared by the `sys_*` integration tests: throw-away network namespaces joined by a
//! veth pair, and packets/frames taken from the keepalived captures in
//! `tests/data/captures/`.
//!
//! Network namespaces are per thread: a test moves its own thread into a namespace with
//! setns(2), and every socket it opens there stays in that namespace afterwards, so one
//! thread can hold sockets of both ends.
#![allow(dead_code)]

use std::fs::File;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::sched::{setns, CloneFlags};

static NEXT_NAMESPACE: AtomicU32 = AtomicU32::new(0);

#[path = "../lab/mod.rs"]
mod lab;

/// Panics (never skips) unless we are root and `ip` is available.
pub use lab::require_root as require_root_and_ip;
/// Runs a command, panicking with its output if it fails; returns stdout.
pub use lab::run;

/// A network namespace created for one test and deleted when dropped, even when the
/// test panics.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn create(role: &str) -> Self {
        let n = NEXT_NAMESPACE.fetch_add(1, Ordering::SeqCst);
        let name = format!("krs-sys-{}-{n}-{role}", std::process::id());
        run("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        // No duplicate address detection: addresses are usable at once, and link-local
        // addresses exist as soon as a link is up.
        ns.exec(&["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0"]);
        ns.exec(&["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"]);
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS…`
    pub fn ip(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// `ip netns exec NAME ARGS…`
    pub fn exec(&self, args: &[&str]) -> String {
        let mut full = vec!["netns", "exec", self.name.as_str()];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// Moves the calling thread into this namespace.
    pub fn enter(&self) {
        let file = File::open(format!("/run/netns/{}", self.name))
            .unwrap_or_else(|e| panic!("cannot open namespace {}: {e}", self.name));
        setns(&file, CloneFlags::CLONE_NEWNET)
            .unwrap_or_else(|e| panic!("cannot enter namespace {}: {e}", self.name));
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Two namespaces joined by a veth pair: `va` in `a` (198.18.0.1/24), `vb` in `b`
/// (198.18.0.2/24), both up.
pub struct VethPair {
    pub a: Netns,
    pub b: Netns,
}

pub const ADDR_A: &str = "198.18.0.1";
pub const ADDR_B: &str = "198.18.0.2";

impl VethPair {
    /// Creates the pair; `mac_a` sets `va`'s MAC before it comes up (so its IPv6
    /// link-local address follows from it, as on the hosts of the captures).
    pub fn create(mac_a: Option<&str>) -> Self {
        require_root_and_ip();
        let a = Netns::create("a");
        let b = Netns::create("b");
        a.ip(&[
            "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", &b.name,
        ]);
        if let Some(mac) = mac_a {
            a.ip(&["link", "set", "va", "address", mac]);
        }
        a.ip(&["addr", "add", &format!("{ADDR_A}/24"), "dev", "va"]);
        b.ip(&["addr", "add", &format!("{ADDR_B}/24"), "dev", "vb"]);
        a.ip(&["link", "set", "va", "up"]);
        b.ip(&["link", "set", "vb", "up"]);
        let pair = VethPair { a, b };
        pair.wait_until_running();
        pair
    }

    fn wait_until_running(&self) {
        for _ in 0..100 {
            let a = self.a.ip(&["-o", "link", "show", "va"]);
            let b = self.b.ip(&["-o", "link", "show", "vb"]);
            let a6 = self
                .a
                .ip(&["-6", "-o", "addr", "show", "dev", "va", "scope", "link"]);
            let b6 = self
                .b
                .ip(&["-6", "-o", "addr", "show", "dev", "vb", "scope", "link"]);
            if a.contains("LOWER_UP") && b.contains("LOWER_UP") && !a6.is_empty() && !b6.is_empty()
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("veth pair did not come up");
    }
}

/// A single-threaded tokio runtime for the calling thread (which stays in whatever
/// namespace it enters).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// All Ethernet frames of a capture file in `tests/data/captures/`.
pub fn capture_frames(file: &str) -> Vec<Vec<u8>> {
    let path = format!("{}/tests/data/captures/{file}", env!("CARGO_MANIFEST_DIR"));
    let file = File::open(&path).unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    let mut reader = pcap_file::pcap::PcapReader::new(file).expect("pcap header");
    let mut frames = Vec::new();
    while let Some(packet) = reader.next_packet() {
        frames.push(packet.expect("pcap record").data.into_owned());
    }
    frames
}

fn ethertype(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[12], frame[13]])
}

/// The first IPv4 packet (from its IP header on) with IP protocol `protocol`.
pub fn first_ipv4_packet(file: &str, protocol: u8) -> Vec<u8> {
    capture_frames(file)
        .into_iter()
        .find(|f| f.len() > 34 && ethertype(f) == 0x0800 && f[14 + 9] == protocol)
        .map(|f| f[14..].to_vec())
        .unwrap_or_else(|| panic!("no IPv4 protocol {protocol} packet in {file}"))
}

/// The first IPv6 frame whose next header is `next_header` and (for ICMPv6) whose
/// first payload byte is `first_byte`.
pub fn first_ipv6_frame(file: &str, next_header: u8, first_byte: Option<u8>) -> Vec<u8> {
    capture_frames(file)
        .into_iter()
        .find(|f| {
            f.len() > 54
                && ethertype(f) == 0x86dd
                && f[14 + 6] == next_header
                && first_byte.is_none_or(|b| f[54] == b)
        })
        .unwrap_or_else(|| panic!("no IPv6 next-header {next_header} frame in {file}"))
}

/// All ARP frames of a capture.
pub fn arp_frames(file: &str) -> Vec<Vec<u8>> {
    capture_frames(file)
        .into_iter()
        .filter(|f| f.len() >= 42 && ethertype(f) == 0x0806)
        .collect()
}
