//! One cluster of the soak: the namespace lab (two segments, a client), a daemon per
//! node (ours or stock keepalived 2.2.7) and a MariaDB server in the client's
//! namespace that every node's second tracked script checks.
//!
//! The configuration is the seed's pair (`state MASTER`, PASS 1111, advert_int 1,
//! VRID 41, VIP 198.18.0.100) plus a second instance on eth1 in a sync group with it,
//! and two tracked scripts: one whose behaviour the soak switches through a `mode`
//! file, one that pings the database.

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::lab::{Daemon, Host, Lab};
use crate::mariadb::{MariaDb, TEST_PASSWORD, TEST_USER};

/// The VIP of VI_1 (eth0, the one the client reaches).
pub const VIP0: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
/// The VIP of VI_2 (eth1, the sync group's second member).
pub const VIP1: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 100);

/// Which daemon a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impl {
    Ours,
    Keepalived,
}

/// A node: its daemon, when running.
pub struct Node {
    pub imp: Impl,
    pub daemon: Option<Daemon>,
}

pub struct Cluster {
    pub lab: Lab,
    pub nodes: Vec<Node>,
    pub db: MariaDb,
    ours: PathBuf,
    keepalived: PathBuf,
}

impl Cluster {
    /// Builds the lab and the database and writes each node's script; no daemon yet
    /// (so the caller can record the nodes' network state before any runs).
    pub fn new(impls: &[Impl], ours: PathBuf, keepalived: PathBuf) -> Cluster {
        let roles = ["a", "b", "c"];
        let lab = Lab::with_segments(&roles[..impls.len()], true, 2);
        let db = MariaDb::start_in_netns(&lab.client().ns, 1);
        let cluster = Cluster {
            lab,
            nodes: impls
                .iter()
                .map(|&imp| Node { imp, daemon: None })
                .collect(),
            db,
            ours,
            keepalived,
        };
        for i in 0..impls.len() {
            cluster.write_check_script(i);
            cluster.set_script_mode(i, "ok");
        }
        cluster
    }

    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start_node(i);
        }
    }

    pub fn host(&self, i: usize) -> &Host {
        &self.lab.nodes[i]
    }

    /// The valid configuration of node `i` (priorities 101, 100, 99).
    pub fn config(&self, i: usize) -> String {
        let dir = self.host(i).dir.display().to_string();
        let priority = 101 - i;
        let db = format!(
            "/usr/bin/mariadb-admin --no-defaults --connect-timeout=1 -h 198.18.0.200 -P 3306 \
             -u {TEST_USER} -p{TEST_PASSWORD} ping"
        );
        let instance = |name: &str, dev: &str, vrid: u8, vip: Ipv4Addr, track: &str| {
            format!(
                "vrrp_instance {name} {{\n    state MASTER\n    interface {dev}\n    \
                 virtual_router_id {vrid}\n    priority {priority}\n    advert_int 1\n    \
                 authentication {{\n        auth_type PASS\n        auth_pass 1111\n    }}\n\
                 {track}    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
            )
        };
        format!(
            "global_defs {{\n    script_user root\n}}\n\
             vrrp_script chk_mode {{\n    script \"{dir}/check.sh\"\n    interval 1\n    \
             timeout 2\n    weight -30\n}}\n\
             vrrp_script chk_db {{\n    script \"{db}\"\n    interval 2\n    timeout 3\n    \
             weight -5\n}}\n\
             vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    \
             sync_group_tracking_weight\n}}\n{}{}",
            instance(
                "VI_1",
                "eth0",
                41,
                VIP0,
                "    track_script {\n        chk_mode\n        chk_db\n    }\n"
            ),
            instance("VI_2", "eth1", 42, VIP1, ""),
        )
    }

    /// The tracked script: what it does depends on the word in `<dir>/mode`. A hang
    /// is a child that sleeps, so a daemon that kills only the script and not its
    /// process group leaks a process the leak check sees.
    fn write_check_script(&self, i: usize) {
        let dir = self.host(i).dir.display().to_string();
        let script = format!(
            "#!/bin/sh\ncase \"$(cat {dir}/mode 2>/dev/null)\" in\n\
             fail) exit 1 ;;\ne255) exit 255 ;;\nhang) sleep 600; exit 0 ;;\n\
             flap) [ $(( $(date +%s) % 2 )) -eq 0 ] && exit 0; exit 1 ;;\n*) exit 0 ;;\nesac\n"
        );
        let path = self.host(i).dir.join("check.sh");
        fs::write(&path, script).expect("write check script");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod script");
    }

    pub fn set_script_mode(&self, i: usize, mode: &str) {
        fs::write(self.host(i).dir.join("mode"), mode).expect("write mode");
    }

    pub fn start_node(&mut self, i: usize) {
        let config = self.config(i);
        let host = &self.lab.nodes[i];
        let daemon = match self.nodes[i].imp {
            Impl::Ours => Daemon::start(host, &self.ours, &config),
            Impl::Keepalived => Daemon::start_stock(host, &self.keepalived, &config),
        };
        self.nodes[i].daemon = Some(daemon);
    }

    /// SIGTERM and a wait for the exit (then SIGKILL if it hangs: a hang is reported
    /// by the caller through the return value).
    pub fn stop_node(&mut self, i: usize) -> bool {
        let Some(mut d) = self.nodes[i].daemon.take() else {
            return true;
        };
        d.signal(nix::sys::signal::Signal::SIGTERM);
        let exited = d.wait_exit(Duration::from_secs(10)).is_some();
        if !exited {
            d.kill_hard();
        }
        exited
    }

    /// A crash as a service manager sees it: SIGKILL to the daemon, then to every process
    /// it had started (scripts and their children, whatever their process group), as
    /// systemd's default `KillMode=control-group` does before a restart. Nothing of a
    /// daemon killed this way is left to reap its scripts, so the leak check would
    /// otherwise blame the daemon for a hung script's child that outlived it.
    pub fn kill_node(&mut self, i: usize) {
        if let Some(mut d) = self.nodes[i].daemon.take() {
            let started = descendants(d.child.id());
            d.kill_hard();
            for pid in started {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }

    /// The nodes holding `vip` on `dev`.
    pub fn holders(&self, dev: &str, vip: Ipv4Addr) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.host(i).has_address_on(dev, vip.into()))
            .collect()
    }

    /// Whether the client gets an answer from VIP0 (one ping, one second).
    pub fn client_reaches_vip(&self) -> bool {
        std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.lab.client().ns,
                "ping",
                "-c1",
                "-W1",
                "-n",
            ])
            .arg(VIP0.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// How many times any node entered MASTER state, from the logs.
    pub fn transitions(&self) -> usize {
        (0..self.nodes.len())
            .map(|i| {
                fs::read_to_string(self.host(i).dir.join("daemon.log"))
                    .unwrap_or_default()
                    .matches("Entering MASTER STATE")
                    .count()
            })
            .sum()
    }
}

/// Every process descended from `root` (children, grandchildren, …), from one read of
/// `/proc`; collected before the kill, since orphans are re-parented at once.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the command name (which may hold spaces) start after ')'.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        parent_of.push((pid, ppid));
    }
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parent_of
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        next += 1;
    }
    found.remove(0);
    found
}
