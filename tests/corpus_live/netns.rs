//! The network a daemon runs in: a namespace holding every interface the corpus was recorded
//! with, each the end of a veth pair whose other end sits in a second, empty "sink" namespace.
//!
//! ```text
//!   [daemon ns: lo, eth0 198.18.0.1, eth1 198.18.1.1, bond0.16 …] ══veth══ [sink ns: p0 p1 …]
//! ```
//!
//! Why veth pairs and a sink: dummy, VLAN and bond links need kernel modules that CI machines
//! do not always have; veth works everywhere. A veth has carrier only while both ends are up,
//! and the sink holds the far ends: up, without addresses, without IPv6 and without
//! forwarding, so whatever a daemon sends (adverts to real-world unicast peers, gratuitous
//! ARPs) is dropped there and never reaches the host. Both namespaces are created by this
//! test and deleted when dropped, after every process still inside is killed by pid.

use std::process::Command;

use crate::lab;

/// One daemon's namespace and its sink.
pub struct Netns {
    pub name: String,
    sink: String,
}

impl Netns {
    /// Creates `name` (and `name` + `s`, the sink) with `interfaces` (besides `lo`), all up,
    /// the i-th with MAC 02:4b:4c:00:ii:01 and address 198.18.i.1/24 (fixed, so that both
    /// daemons of a file see identical hosts).
    pub fn create(name: &str, interfaces: &[String]) -> Netns {
        let ns = Netns {
            name: name.to_string(),
            sink: format!("{name}s"),
        };
        lab::run("ip", &["netns", "add", &ns.sink]);
        lab::run("ip", &["netns", "add", &ns.name]);
        sysctl(
            &ns.sink,
            &[
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
                "net.ipv4.ip_forward=0",
            ],
        );
        // No duplicate address detection: a VIP is usable (not "tentative") at once, for
        // both daemons alike. Syslog sockets made here queue 512 datagrams, as systemd
        // configures hosts for journald (see `syslog.rs`).
        sysctl(
            &ns.name,
            &[
                "net.ipv6.conf.all.accept_dad=0",
                "net.ipv6.conf.default.accept_dad=0",
                "net.unix.max_dgram_qlen=512",
            ],
        );
        let mut here = String::from("link set lo up\n");
        let mut there = String::new();
        for (i, dev) in interfaces.iter().enumerate() {
            let peer = format!("p{i}");
            here.push_str(&format!(
                "link add {dev} type veth peer name {peer} netns {}\n",
                ns.sink
            ));
            here.push_str(&format!("link set {dev} address 02:4b:4c:00:{i:02x}:01\n"));
            here.push_str(&format!("addr add 198.18.{i}.1/24 dev {dev}\n"));
            here.push_str(&format!("link set {dev} up\n"));
            there.push_str(&format!("link set {peer} up\n"));
        }
        batch(&ns.name, &here, false);
        batch(&ns.sink, &there, false);
        ns
    }

    /// Runs `ip` commands in the namespace, going on past failing ones (a file may name the
    /// same address twice, or an interface that does not exist).
    pub fn setup(&self, commands: &[String]) {
        if !commands.is_empty() {
            batch(&self.name, &(commands.join("\n") + "\n"), true);
        }
    }

    /// Waits (up to 5 s) until every interface but `lo` has its kernel-made IPv6
    /// link-local address, so that it is part of the state before a daemon starts.
    pub fn wait_for_link_locals(&self) {
        crate::lab::wait_for(std::time::Duration::from_secs(5), || {
            self.ip_json(&["addr", "show"]).iter().all(|l| {
                l["ifname"] == "lo"
                    || l["addr_info"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|a| a["scope"] == "link"))
            })
        });
    }

    /// `ip -n NS -j ARGS…` parsed (an empty list when `ip` prints nothing).
    pub fn ip_json(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut full = vec!["-n", self.name.as_str(), "-j"];
        full.extend_from_slice(args);
        let text = lab::run("ip", &full);
        if text.trim().is_empty() {
            return Vec::new();
        }
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("ip {full:?}: {e}: {text}"))
    }

    /// Whether any process still runs in the namespace.
    pub fn has_processes(&self) -> bool {
        Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .is_ok_and(|o| !o.stdout.trim_ascii().is_empty())
    }

    /// The links of the sink namespace (only the far ends this test made, and `lo`).
    pub fn sink_links(&self) -> Vec<String> {
        let text = lab::run("ip", &["-n", &self.sink, "-o", "link", "show"]);
        text.lines()
            .filter_map(|l| l.split(": ").nth(1))
            .map(|n| n.split('@').next().unwrap_or(n).to_string())
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.name, &self.sink] {
            lab::kill_processes_in(ns);
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// `ip -n NS -batch -` with `commands`, one per line (`-force`: past errors).
fn batch(ns: &str, commands: &str, force: bool) {
    use std::io::Write;
    let mut args = vec!["-n", ns];
    if force {
        args.push("-force");
    }
    args.extend(["-batch", "-"]);
    let mut child = Command::new("ip")
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ip -batch");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(commands.as_bytes())
        .expect("write ip batch");
    let out = child.wait_with_output().expect("ip -batch");
    assert!(
        force || out.status.success(),
        "ip -n {ns} -batch failed: {}\n{commands}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `sysctl -qw` settings inside namespace `ns`.
fn sysctl(ns: &str, settings: &[&str]) {
    let mut args = vec!["netns", "exec", ns, "sysctl", "-qw"];
    args.extend_from_slice(settings);
    lab::run("ip", &args);
}
