//! A throw-away network lab for daemon tests: VRRP nodes and a client, each in its own
//! network namespace, joined by a bridge in a namespace of its own. Addresses come from
//! 198.18.0.0/24 (node N = .N, client = .200). Everything the lab creates — namespaces,
//! processes — is removed when it is dropped, by name and pid, even when a test panics.
//!
//! ```text
//!   [node a: eth0 198.18.0.1] ──veth── ┐
//!   [node b: eth0 198.18.0.2] ──veth── ┼── br0 (bridge namespace)
//!   [client: eth0 198.18.0.200] ─veth─ ┘
//! ```
//!
//! With a second segment ([`Lab::with_segments`]) every node also gets `eth1`
//! (198.18.1.N) on a second bridge `br1`, for sync groups across two interfaces.
//! MAC addresses are fixed per node and segment (`02:4b:52:00:SS:NN`), so IPv6
//! link-local addresses — and with them whole adverts — are the same in every run.
#![allow(dead_code)]

mod metrics;
pub mod side_by_side;

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT_LAB: AtomicU32 = AtomicU32::new(0);

/// Panics (never skips) unless we are root and `ip` works.
pub fn require_root() {
    if !nix::unistd::geteuid().is_root() {
        panic!("this test needs root: it creates network namespaces and runs the daemon (run as root, as CI does)");
    }
    let ip = Command::new("ip").arg("-V").output();
    if !matches!(ip, Ok(ref out) if out.status.success()) {
        panic!("this test needs the `ip` command (iproute2)");
    }
}

/// The positional arguments of a `harness = false` test, taken as filters. `cargo test`
/// passes libtest's options too (`--test-threads 2`, `--nocapture`…): they are ignored,
/// with their values.
pub fn positional_filters(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut filters = Vec::new();
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        if [
            "--test-threads",
            "--skip",
            "--format",
            "--color",
            "--logfile",
        ]
        .contains(&a.as_str())
        {
            args.next();
        } else if !a.starts_with('-') {
            filters.push(a);
        }
    }
    filters
}

/// Runs a command, panicking with its output if it fails; returns stdout.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} {args:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One namespace of the lab.
pub struct Host {
    /// Namespace name.
    pub ns: String,
    /// Short role name (`a`, `b`, `client`).
    pub role: String,
    pub addr: Ipv4Addr,
    /// The bridge-side end of this host's veth (in the bridge namespace).
    pub port: String,
    /// A directory for this host's files (configs, logs, pid files, dumps).
    pub dir: PathBuf,
}

impl Host {
    /// `ip -n NS ARGS…`
    pub fn ip(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", self.ns.as_str()];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// `ip netns exec NS ARGS…`
    pub fn exec(&self, args: &[&str]) -> String {
        let mut full = vec!["netns", "exec", self.ns.as_str()];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// Whether `addr` (IPv4 or IPv6) is configured on interface `dev`.
    pub fn has_address_on(&self, dev: &str, addr: std::net::IpAddr) -> bool {
        let out = Command::new("ip")
            .args(["-n", &self.ns, "-o", "addr", "show", "dev", dev])
            .output()
            .expect("ip addr show");
        let family = if addr.is_ipv4() { "inet" } else { "inet6" };
        String::from_utf8_lossy(&out.stdout).contains(&format!(" {family} {addr}/"))
    }

    /// Whether `addr` is configured on this host's eth0.
    pub fn has_address(&self, addr: Ipv4Addr) -> bool {
        self.has_address_on("eth0", addr.into())
    }

    /// Runs `f` on a thread of its own inside this host's network namespace (`setns`
    /// applies to the calling thread only; sockets made there stay there).
    pub fn in_namespace<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let ns = std::fs::File::open(format!("/run/netns/{}", self.ns)).expect("namespace file");
        std::thread::spawn(move || {
            nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            f()
        })
        .join()
        .expect("namespace thread")
    }

    /// A raw IPv4 socket for whole packets (IPPROTO_RAW: the caller writes the IP header,
    /// so TTL and source are the test's own, spoofed ones included). A socket belongs to
    /// the namespace of the thread that makes it: call this inside
    /// [`Host::in_namespace`] to send from that host.
    pub fn raw_ipv4_socket() -> socket2::Socket {
        socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(libc::IPPROTO_RAW)),
        )
        .expect("raw socket")
    }

    /// MAC address of eth0.
    pub fn mac(&self) -> String {
        let out = self.ip(&["-o", "link", "show", "dev", "eth0"]);
        out.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .expect("eth0 has a MAC")
            .to_string()
    }
}

/// The lab: a bridge namespace, node namespaces and an optional client.
pub struct Lab {
    pub bridge_ns: String,
    /// Number of segments (bridges `br0`, `br1`, …).
    pub segments: u8,
    pub nodes: Vec<Host>,
    pub client: Option<Host>,
    _dir: tempfile::TempDir,
}

impl Lab {
    /// Creates nodes named `roles` (addresses .1, .2, …) and, if asked, a client (.200).
    pub fn new(roles: &[&str], with_client: bool) -> Lab {
        Lab::with_segments(roles, with_client, 1)
    }

    /// Like [`Lab::new`], with `segments` bridges (1 or 2); nodes get one interface on
    /// each (`eth0`, `eth1`), the client is on the first only.
    pub fn with_segments(roles: &[&str], with_client: bool, segments: u8) -> Lab {
        assert!((1..=2).contains(&segments), "1 or 2 segments");
        require_root();
        let id = format!(
            "krs{}x{}",
            std::process::id(),
            NEXT_LAB.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let bridge_ns = format!("{id}-br");
        run("ip", &["netns", "add", &bridge_ns]);
        let mut lab = Lab {
            bridge_ns: bridge_ns.clone(),
            segments,
            nodes: Vec::new(),
            client: None,
            _dir: dir,
        };
        for seg in 0..segments {
            let br = format!("br{seg}");
            lab.bridge_ip(&["link", "add", &br, "type", "bridge"]);
            // No forwarding delay: ports forward as soon as they are up.
            lab.bridge_ip(&["link", "set", &br, "type", "bridge", "forward_delay", "0"]);
            lab.bridge_ip(&["link", "set", &br, "up"]);
        }
        for (i, role) in roles.iter().enumerate() {
            let host = lab.add_host(&id, role, Ipv4Addr::new(198, 18, 0, i as u8 + 1));
            for seg in 1..segments {
                lab.add_segment(&host, seg, i as u8 + 1);
            }
            lab.nodes.push(host);
        }
        if with_client {
            let host = lab.add_host(&id, "client", Ipv4Addr::new(198, 18, 0, 200));
            lab.client = Some(host);
        }
        lab
    }

    fn add_host(&mut self, id: &str, role: &str, addr: Ipv4Addr) -> Host {
        let ns = format!("{id}-{role}");
        run("ip", &["netns", "add", &ns]);
        // Created directly in the bridge namespace, so it only needs to be unique there.
        let port = format!("port-{role}");
        let dir = self._dir.path().join(role);
        fs::create_dir_all(&dir).expect("host dir");
        let host = Host {
            ns: ns.clone(),
            role: role.to_string(),
            addr,
            port: port.clone(),
            dir,
        };
        host.exec(&["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0"]);
        host.exec(&["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"]);
        self.plug(&ns, &port, "eth0", "br0");
        let last = addr.octets()[3];
        host.ip(&["link", "set", "eth0", "address", &fixed_mac(0, last)]);
        host.ip(&["addr", "add", &format!("{addr}/24"), "dev", "eth0"]);
        host.ip(&[
            "addr",
            "add",
            &format!("2001:db8::{last:x}/64"),
            "dev",
            "eth0",
        ]);
        host.ip(&["link", "set", "eth0", "up"]);
        host.ip(&["link", "set", "lo", "up"]);
        host
    }

    /// A cable: a veth pair with `dev` in namespace `ns` and `port` in the bridge
    /// namespace, enslaved to `bridge` and up.
    fn plug(&self, ns: &str, port: &str, dev: &str, bridge: &str) {
        run(
            "ip",
            &[
                "link",
                "add",
                port,
                "netns",
                &self.bridge_ns,
                "type",
                "veth",
                "peer",
                "name",
                dev,
                "netns",
                ns,
            ],
        );
        self.bridge_ip(&["link", "set", port, "master", bridge, "up"]);
    }

    /// Adds `eth{seg}` (198.18.SEG.N/24) to `host`, on bridge `br{seg}`.
    fn add_segment(&self, host: &Host, seg: u8, n: u8) {
        let port = segment_port(&host.role, seg);
        let dev = format!("eth{seg}");
        self.plug(&host.ns, &port, &dev, &format!("br{seg}"));
        host.ip(&["link", "set", &dev, "address", &fixed_mac(seg, n)]);
        host.ip(&["addr", "add", &format!("198.18.{seg}.{n}/24"), "dev", &dev]);
        host.ip(&["link", "set", &dev, "up"]);
    }

    /// `ip -n <bridge namespace> ARGS…`: every cable and port change happens there.
    fn bridge_ip(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", self.bridge_ns.as_str()];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// Cuts or restores `host`'s cable on segment `seg` (0 = eth0).
    pub fn set_segment_cable(&self, host: &Host, seg: u8, connected: bool) {
        let port = if seg == 0 {
            host.port.clone()
        } else {
            segment_port(&host.role, seg)
        };
        let state = if connected { "up" } else { "down" };
        self.bridge_ip(&["link", "set", &port, state]);
    }

    /// Takes `host`'s first port out of its bridge (or puts it back): the node is alone
    /// on its cable with carrier up — a split brain no link monitor sees.
    pub fn set_attached(&self, host: &Host, attached: bool) {
        let master: &[&str] = if attached {
            &["master", "br0"]
        } else {
            &["nomaster"]
        };
        let mut args = vec!["link", "set", host.port.as_str()];
        args.extend_from_slice(master);
        self.bridge_ip(&args);
    }

    /// Deletes `host`'s interface on segment `seg` (≥ 1) and both ends of its cable.
    pub fn delete_segment(&self, host: &Host, seg: u8) {
        host.ip(&["link", "del", &format!("eth{seg}")]);
    }

    /// Creates `host`'s interface on segment `seg` (≥ 1) again, as it was.
    pub fn recreate_segment(&self, host: &Host, seg: u8) {
        self.add_segment(host, seg, host.addr.octets()[3]);
    }

    /// Isolates (or un-isolates) `host`'s port on the first bridge: isolated ports
    /// cannot reach each other but still reach the others (the client), and carrier
    /// stays up — a partition between nodes that no link monitor can see.
    pub fn set_isolated(&self, host: &Host, isolated: bool) {
        let state = if isolated { "on" } else { "off" };
        self.bridge_ip(&[
            "link",
            "set",
            "dev",
            &host.port,
            "type",
            "bridge_slave",
            "isolated",
            state,
        ]);
    }

    /// Every namespace of the lab (bridge last).
    pub fn namespaces(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .nodes
            .iter()
            .chain(self.client.iter())
            .map(|h| h.ns.clone())
            .collect();
        all.push(self.bridge_ns.clone());
        all
    }

    pub fn node(&self, role: &str) -> &Host {
        self.nodes
            .iter()
            .find(|h| h.role == role)
            .unwrap_or_else(|| panic!("no node {role}"))
    }

    pub fn client(&self) -> &Host {
        self.client.as_ref().expect("lab has a client")
    }

    /// Cuts (or restores) a host's cable: its bridge port goes down, so its eth0 loses
    /// carrier, as when a switch port or cable fails.
    pub fn set_cable(&self, host: &Host, connected: bool) {
        self.set_segment_cable(host, 0, connected);
    }
}

/// The fixed MAC of a node's interface on segment `seg` (`n` = last address byte).
pub fn fixed_mac(seg: u8, n: u8) -> String {
    format!("02:4b:52:00:{seg:02x}:{n:02x}")
}

fn segment_port(role: &str, seg: u8) -> String {
    format!("port{seg}-{role}")
}

/// Kills (SIGKILL) every process still running in namespace `ns` — only namespaces
/// this lab created are passed here, so nothing else on the machine is touched.
pub fn kill_processes_in(ns: &str) {
    let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() else {
        return;
    };
    for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        if let Ok(pid) = pid.parse::<i32>() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // A daemon that forked (stock keepalived's VRRP child) or a capture could
        // outlive its handle; nothing of ours may keep running in a deleted namespace.
        for ns in self.namespaces() {
            kill_processes_in(&ns);
        }
        for h in self.nodes.iter().chain(self.client.iter()) {
            let _ = Command::new("ip").args(["netns", "del", &h.ns]).status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.bridge_ns])
            .status();
    }
}

/// Polls `cond` every 5 ms until it holds or `limit` passes; returns the time it took.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond().then(|| start.elapsed())
}

/// Waits up to `limit` for `cond`; otherwise panics with `what` and the log of each of
/// `daemons`, so that a side-by-side test that times out shows what every daemon did.
pub fn expect_within(limit: Duration, what: &str, daemons: &[&Daemon], cond: impl FnMut() -> bool) {
    if wait_for(limit, cond).is_none() {
        let logs: String = daemons
            .iter()
            .map(|d| format!("\n--- {} ---\n{}", d.name(), d.log_text()))
            .collect();
        panic!("{what} (waited {limit:?}){logs}");
    }
}

/// Where [`Daemon`] writes the configuration it starts with, in the host's directory.
const CONFIG_FILE: &str = "keepalived.conf";

/// A daemon (ours or stock keepalived) running in a lab host, in the foreground with
/// console logging into `<host dir>/<name>.log`, dumps in the host dir (`TMPDIR`).
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
    pub config: PathBuf,
    pub dir: PathBuf,
}

impl Daemon {
    /// Starts `binary` in `host` with `config` (written to `<dir>/keepalived.conf`),
    /// in the foreground with detailed console logging.
    pub fn start(host: &Host, binary: &Path, config: &str) -> Daemon {
        Daemon::launch(host, binary, config, &["-n", "-l", "-D", "-G"], &[])
    }

    /// Like [`Daemon::start`] with `args` instead of `-n -l -D -G` (`-f`, `-p`, `-r`
    /// are always added).
    pub fn start_args(host: &Host, binary: &Path, config: &str, args: &[&str]) -> Daemon {
        Daemon::launch(host, binary, config, args, &[])
    }

    /// Like [`Daemon::start`] for stock keepalived: VRRP only (`-P`), with its checker
    /// pid file in the host dir (`-c`), so that it never touches the system's.
    pub fn start_stock(host: &Host, binary: &Path, config: &str) -> Daemon {
        let checkers = host.dir.join("checkers.pid").display().to_string();
        Daemon::launch(
            host,
            binary,
            config,
            &["-n", "-l", "-D", "-G"],
            &["-P".into(), "-c".into(), checkers],
        )
    }

    /// Starts `binary` from the test's own network namespace instead of inside `host`'s,
    /// with `args` and `-f` only: for a configuration that names its namespace itself
    /// (`net_namespace`), and for tests of where the daemon puts its pid files when it is
    /// not told (no `-p`/`-r`). Its files still go to `host`'s directory.
    pub fn start_outside(host: &Host, binary: &Path, config: &str, args: &[&str]) -> Daemon {
        let mut command = Command::new(binary);
        command.args(args).arg("-f").arg(host.dir.join(CONFIG_FILE));
        Daemon::spawn(host, binary, config, command)
    }

    fn launch(host: &Host, binary: &Path, config: &str, args: &[&str], extra: &[String]) -> Daemon {
        let dir = &host.dir;
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &host.ns])
            .arg(binary)
            .args(args)
            .arg("-f")
            .arg(dir.join(CONFIG_FILE))
            .arg("-p")
            .arg(dir.join("keepalived.pid"))
            .arg("-r")
            .arg(dir.join("vrrp.pid"))
            .args(extra);
        Daemon::spawn(host, binary, config, command)
    }

    /// Writes `config` where `command` reads it, then runs `command` with the host dir as
    /// `TMPDIR` (where dumps go) and its output appended to the host's log.
    fn spawn(host: &Host, binary: &Path, config: &str, mut command: Command) -> Daemon {
        let dir = host.dir.clone();
        let conf = dir.join(CONFIG_FILE);
        fs::write(&conf, config).expect("write config");
        let log = dir.join("daemon.log");
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = command
            .env("TMPDIR", &dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup log"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        Daemon {
            child,
            log,
            config: conf,
            dir,
        }
    }

    /// The role of the host it runs in (`a`, `ka`, `ours`…), to tell logs apart.
    pub fn name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// SIGTERM, then waits up to `limit` for the exit; returns its exit code, as
    /// [`Daemon::wait_exit`] does.
    pub fn stop(&mut self, limit: Duration) -> Option<i32> {
        self.signal(nix::sys::signal::Signal::SIGTERM);
        self.wait_exit(limit)
    }

    /// Asks for a dump with `signal` (SIGUSR1: `keepalived.data`, SIGUSR2:
    /// `keepalived.stats`, written to the daemon's `TMPDIR`, its dir) and returns the file
    /// `name` once it holds `until`. The old dump is removed first, so it cannot pass for
    /// the new one, and a file that merely exists may still be half written. Panics when
    /// no complete dump comes within 5 s.
    pub fn dump(&self, signal: nix::sys::signal::Signal, name: &str, until: &str) -> String {
        let path = self.dir.join(name);
        let _ = fs::remove_file(&path);
        self.signal(signal);
        let read = || fs::read_to_string(&path).unwrap_or_default();
        wait_for(Duration::from_secs(5), || read().contains(until));
        let text = read();
        assert!(
            text.contains(until),
            "no complete {name} (with {until:?}) in {}: {:?}\n{}",
            self.dir.display(),
            fs::read_dir(&self.dir).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>()),
            self.log_text()
        );
        text
    }

    /// Sends `signal` to the daemon (`ip netns exec` execs it, so the child pid is
    /// the daemon's).
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("signal daemon");
    }

    /// Sends a signal by number (realtime signals have no `Signal` variant).
    pub fn signal_number(&self, signal: i32) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        // nix's `Signal` has no realtime signals; kill(1) takes a number.
        run("kill", &[&format!("-{signal}"), &pid.to_string()]);
    }

    /// A crash: SIGKILL to the VRRP process (its pid file, if it is a separate child)
    /// first, then to the main process, so neither gets to run any shutdown code.
    pub fn kill_hard(&mut self) {
        let main = self.child.id() as i32;
        let vrrp = fs::read_to_string(self.dir.join("vrrp.pid"))
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
            .filter(|p| *p != main && *p > 1);
        if let Some(pid) = vrrp {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `limit` for the daemon to exit; returns its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the log contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.log_text().contains(needle)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A client pinging a VIP every 5 ms (`ping -D` timestamps every reply), to measure
/// what a client sees during a failover.
pub struct Prober {
    child: Child,
    out: PathBuf,
    /// When probing began (seconds since the epoch): a VIP that does not answer at
    /// first is an outage too.
    started_at: f64,
}

impl Prober {
    pub fn start(client: &Host, target: Ipv4Addr) -> Prober {
        Prober::start_ip(client, target.into())
    }

    /// Probes an IPv4 or IPv6 target every 5 ms.
    pub fn start_ip(client: &Host, target: std::net::IpAddr) -> Prober {
        Prober::start_every(client, target, "0.005")
    }

    /// Probes `target` every `interval` seconds (as ping's `-i` takes it). A measurement
    /// is only as fine as its probe: both ends of an outage are known to one interval.
    pub fn start_every(client: &Host, target: std::net::IpAddr, interval: &str) -> Prober {
        let out = client.dir.join(format!("ping-{target}.txt"));
        let file = fs::File::create(&out).expect("ping output");
        let started_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let child = Command::new("ip")
            .args([
                "netns", "exec", &client.ns, "ping", "-n", "-D", "-i", interval, "-W", "1",
            ])
            .arg(target.to_string())
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(fs::File::create(out.with_extension("err")).expect("ping errors"))
            .spawn()
            .expect("start ping (iputils-ping)");
        Prober {
            child,
            out,
            started_at,
        }
    }

    /// Stops probing; returns the longest gap between two consecutive replies, and the
    /// number of replies.
    /// The longest time the client went without a reply counts the tail too: from the
    /// last reply to the moment probing stopped, so a ping that died or fell silent
    /// cannot hide an outage.
    pub fn stop(mut self) -> (Duration, usize) {
        let stopped_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let exited_early = matches!(self.child.try_wait(), Ok(Some(_)));
        // SIGINT, not SIGKILL: ping's stdout is a file, so block-buffered, and only an
        // orderly exit flushes the replies of the last few seconds.
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = fs::read_to_string(&self.out).unwrap_or_default();
        let stamps: Vec<f64> = text
            .lines()
            .filter(|l| l.contains("bytes from"))
            .filter_map(|l| {
                l.strip_prefix('[')
                    .and_then(|r| r.split(']').next())
                    .and_then(|t| t.parse().ok())
            })
            .collect();
        let tail = stamps
            .last()
            .map_or(0.0, |last| (stopped_at - last).max(0.0));
        // The first reply may take one resolution and one round trip, nothing more.
        let head = stamps
            .first()
            .map_or(0.0, |first| (first - self.started_at).max(0.0));
        let gap = stamps
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(tail.max(head), f64::max);
        if exited_early {
            eprintln!(
                "ping exited before it was stopped: {}",
                fs::read_to_string(self.out.with_extension("err")).unwrap_or_default()
            );
        }
        (Duration::from_secs_f64(gap), stamps.len())
    }
}

/// `tcpdump -U -w FILE` on a bridge of the lab: every VRRP, AH, ARP and ICMPv6
/// frame that crosses it, written packet by packet so it can be read while running.
pub struct Capture {
    child: Child,
    pub file: PathBuf,
}

impl Capture {
    /// Starts capturing on `bridge` (`br0`, `br1`) into `file`; returns once tcpdump
    /// is listening.
    pub fn start(lab: &Lab, bridge: &str, file: PathBuf) -> Capture {
        Capture::with_filter(lab, bridge, file, "proto 112 or proto 51 or arp or icmp6")
    }

    /// Like [`Capture::start`] with a pcap `filter` of the caller's.
    pub fn with_filter(lab: &Lab, bridge: &str, file: PathBuf, filter: &str) -> Capture {
        let err = file.with_extension("tcpdump.log");
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &lab.bridge_ns,
                "tcpdump",
                "-i",
                bridge,
                "-U",
                "-n",
            ])
            // Without immediate mode libpcap hands packets over in blocks, up to a
            // second late, and a check would read a capture that is behind. Immediate
            // mode sizes each slot of the kernel ring by the snapshot length, so `-s 0`
            // (256 KiB) left room for eight frames and a burst of adverts overflowed it;
            // every frame here fits in 1,600 bytes, and 16 MiB holds thousands.
            .args(["--immediate-mode", "-s", "1600", "-B", "16384", "-w"])
            .arg(&file)
            .arg(filter)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&err).expect("tcpdump log"))
            .spawn()
            .expect("start tcpdump");
        let ready = wait_for(Duration::from_secs(5), || {
            fs::read_to_string(&err).is_ok_and(|t| t.contains("listening on"))
        });
        assert!(
            ready.is_some(),
            "tcpdump did not start: {}",
            fs::read_to_string(&err).unwrap_or_default()
        );
        Capture { child, file }
    }
}

impl Capture {
    /// Stops tcpdump with SIGINT, so that it writes out what it still holds.
    pub fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let _ = self.child.wait();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Prober {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Open descriptors and VmRSS (KiB) of a process.
pub fn fds_and_rss(pid: u32) -> Option<(usize, u64)> {
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((fds, rss))
}
