//! An FRR node: `zebra` and `vrrpd` started in the node's namespace the way the tests
//! start keepalived — in the foreground, generated configuration, private zebra socket,
//! vty socket directory and pid files in the node's directory — never a system service.
//!
//! FRR's vrrpd does not add or remove addresses itself: it expects a macvlan per
//! virtual router and address family whose MAC is the virtual router MAC
//! (`00:00:5e:00:01:VRID` for IPv4, `00:00:5e:00:02:VRID` for IPv6) and which already
//! carries the virtual addresses; a backup parks it with `protodown on`, a master
//! clears that. So the node is set up like a router operator sets one up: the
//! macvlans and their addresses come from the `vrrp N ip/ipv6 ADDR` lines of the
//! vrrpd configuration, and a node holds a VIP when a macvlan that is not protodown
//! carries it.

use std::collections::BTreeMap;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::lab::{self, Host};

/// zebra and vrrpd of one node.
pub struct Frr {
    zebra: Child,
    vrrpd: Child,
}

/// One macvlan the configuration needs: on `parent`, for VRID `vrid`, with `addrs`.
#[derive(Debug, PartialEq)]
struct Macvlan {
    parent: String,
    vrid: u8,
    ipv6: bool,
    addrs: Vec<IpAddr>,
}

impl Macvlan {
    fn name(&self) -> String {
        format!("vrrp{}-{}", if self.ipv6 { 6 } else { 4 }, self.vrid)
    }
    fn mac(&self) -> String {
        format!(
            "00:00:5e:00:{:02x}:{:02x}",
            if self.ipv6 { 2 } else { 1 },
            self.vrid
        )
    }
}

/// The macvlans a vrrpd configuration needs (`interface IF` then ` vrrp N ip A`).
fn macvlans(config: &str) -> Vec<Macvlan> {
    let mut by_key: BTreeMap<(String, u8, bool), Vec<IpAddr>> = BTreeMap::new();
    let mut parent = String::new();
    for line in config.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["interface", name] => parent = name.to_string(),
            ["vrrp", vrid, family @ ("ip" | "ipv6"), addr] => {
                let vrid: u8 = vrid.parse().expect("VRID");
                let addr: IpAddr = addr.parse().expect("virtual address");
                by_key
                    .entry((parent.clone(), vrid, family == "ipv6"))
                    .or_default()
                    .push(addr);
            }
            _ => {}
        }
    }
    by_key
        .into_iter()
        .map(|((parent, vrid, ipv6), addrs)| Macvlan {
            parent,
            vrid,
            ipv6,
            addrs,
        })
        .collect()
}

/// (Re)creates a macvlan with its addresses. On this kernel `addrgenmode random` is
/// refused in the same command that creates the link, hence two steps; a random
/// link-local keeps the nodes' macvlans (which share the virtual MAC) from having the
/// same IPv6 link-local address.
fn create(host: &Host, m: &Macvlan) {
    let name = m.name();
    let _ = Command::new("ip")
        .args(["-n", &host.ns, "link", "del", &name])
        .output();
    host.ip(&[
        "link",
        "add",
        &name,
        "link",
        &m.parent,
        "address",
        &m.mac(),
        "type",
        "macvlan",
        "mode",
        "bridge",
    ]);
    host.ip(&["link", "set", &name, "addrgenmode", "random"]);
    for a in &m.addrs {
        let prefix = if a.is_ipv4() { 24 } else { 64 };
        host.ip(&["addr", "add", &format!("{a}/{prefix}"), "dev", &name]);
    }
    // Parked until vrrpd says otherwise, as vrrpd itself parks a backup's: a macvlan
    // that vrrpd has not taken over yet must not look like a master's.
    host.ip(&["link", "set", &name, "protodown", "on"]);
    host.ip(&["link", "set", &name, "up"]);
}

impl Frr {
    /// Sets the node up for `config` (vrrpd's configuration) and starts zebra, then
    /// vrrpd once zebra's socket exists. vrrpd logs into `daemon.log`, zebra into
    /// `zebra.log`.
    pub fn start(host: &Host, frr_dir: &Path, config: &str) -> Frr {
        // The parent interface must not answer ARP for the VIP that lives on the
        // macvlan (a backup's address stays configured while its macvlan is parked).
        host.exec(&["sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1"]);
        for m in macvlans(config) {
            create(host, &m);
        }
        let dir = runtime_dir(host);
        let zsock = dir.join("zserv.api");
        let _ = fs::remove_file(&zsock);
        fs::write(dir.join("zebra.conf"), "hostname zebra\n").expect("zebra.conf");
        fs::write(dir.join("vrrpd.conf"), format!("debug vrrp\n{config}")).expect("vrrpd.conf");
        let zebra = spawn(host, &frr_dir.join("zebra"), "zebra", &zsock, &[]);
        let ready = lab::wait_for(Duration::from_secs(10), || zsock.exists());
        assert!(ready.is_some(), "zebra did not create {}", zsock.display());
        let vrrpd = spawn(host, &frr_dir.join("vrrpd"), "vrrpd", &zsock, &[]);
        Frr { zebra, vrrpd }
    }

    pub fn signal(&self, signal: Signal) {
        let pid = nix::unistd::Pid::from_raw(self.vrrpd.id() as i32);
        let _ = nix::sys::signal::kill(pid, signal);
    }

    /// SIGTERM to vrrpd (which steps down), then to zebra; vrrpd's exit code.
    pub fn stop(&mut self, limit: Duration) -> Option<i32> {
        self.signal(Signal::SIGTERM);
        let code = wait(&mut self.vrrpd, limit);
        let pid = nix::unistd::Pid::from_raw(self.zebra.id() as i32);
        let _ = nix::sys::signal::kill(pid, Signal::SIGTERM);
        wait(&mut self.zebra, limit);
        code
    }

    /// A crash: SIGKILL to both.
    pub fn kill_hard(&mut self) {
        for c in [&mut self.vrrpd, &mut self.zebra] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Frr {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

fn wait(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// FRR's daemons refuse to run as root (root is not in their vty group `frrvty`), so
/// they run as Debian's `frr` user, in a directory of the node's that it owns (the
/// node's directories become traversable for it).
fn runtime_dir(host: &Host) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = host.dir.join("frr");
    fs::create_dir_all(&dir).expect("frr dir");
    for d in [host.dir.parent().unwrap_or(&host.dir), host.dir.as_path()] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o711)).expect("chmod");
    }
    lab::run("chown", &["frr:frr", &dir.display().to_string()]);
    dir
}

fn spawn(host: &Host, program: &Path, name: &str, zsock: &Path, extra: &[&str]) -> Child {
    let dir: PathBuf = host.dir.join("frr");
    let log_name = if name == "vrrpd" {
        "daemon.log"
    } else {
        "zebra.log"
    };
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(host.dir.join(log_name))
        .expect("log file");
    Command::new("ip")
        .args(["netns", "exec", &host.ns])
        .arg(program)
        .arg("-f")
        .arg(dir.join(format!("{name}.conf")))
        .arg("-i")
        .arg(dir.join(format!("{name}.pid")))
        .arg("-z")
        .arg(zsock)
        .arg("--vty_socket")
        .arg(&dir)
        .args(["-u", "frr", "-g", "frr", "-P", "0"])
        .args(["--log", "stdout", "--log-level", "debug"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("dup log"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()))
}

/// Whether an FRR node serves `addr`: a macvlan that is not parked (`protodown`)
/// carries it.
pub fn holds(host: &Host, addr: IpAddr) -> bool {
    let links = host.ip(&["-d", "-o", "link", "show", "type", "macvlan"]);
    links.lines().any(|line| {
        let Some(name) = line
            .split(": ")
            .nth(1)
            .map(|n| n.split('@').next().unwrap_or(n))
        else {
            return false;
        };
        !line.contains("protodown on") && host.has_address_on(name, addr)
    })
}
