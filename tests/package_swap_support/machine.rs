//! A Debian machine for the swap test: a throw-away root whose commands run in a network
//! namespace with `eth0` (198.18.0.1/24), a keepalived configuration holding a VIP on it,
//! and the checks the test makes after each step: which daemon runs (Debian's or ours),
//! whether the VIP is there, what the init script does, how the service is registered.

use std::path::Path;
use std::time::{Duration, Instant};

use super::lab::Lab;
use super::root::{output_text, DebianRoot};

pub const VIP: &str = "198.18.0.100/24";
pub const SECOND_VIP: &str = "198.18.0.101/24";
const INIT: &str = "/etc/init.d/keepalived";
const PID_FILE: &str = "/run/keepalived.pid";
/// Where the package is copied inside the root (not /tmp: a booted system mounts a tmpfs there).
pub const OUR_DEB: &str = "/var/tmp/keepalived-rs.deb";

/// Which keepalived a running daemon is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Debian's keepalived 2.2.7.
    Stock,
    /// keepalived-rs.
    Ours,
}

/// invoke-rc.d cannot tell the runlevel in a chroot and, without an init, would refuse
/// every start. The test is about what the maintainer scripts do to a running service, so
/// their own stop/start/restart must run as on a real machine: this policy answers as a
/// sysvinit machine in runlevel 2 would (start only with an rc2.d start link, so an
/// unregistered service is not started behind the test's back). It is safe because every
/// command of the test, apt and dpkg included, runs inside the test's network namespace.
const POLICY_RC_D: &str = "#!/bin/sh
# tests/package_swap.rs: behave as runlevel 2 of a sysvinit machine.
case \"$2\" in
	*start*) [ -n \"$(ls /etc/rc2.d/S[0-9][0-9]\"$1\" 2>/dev/null)\" ] || exit 101 ;;
esac
exit 0
";

// Drop order: the root first (its processes are killed), then the namespaces.
pub struct Machine {
    pub root: DebianRoot,
    lab: Lab,
    config: String,
}

fn config(vips: &[&str]) -> String {
    let vips: String = vips
        .iter()
        .map(|v| format!("        {v} dev eth0\n"))
        .collect();
    format!(
        "vrrp_instance VI_SWAP {{\n    state MASTER\n    interface eth0\n    \
         virtual_router_id 41\n    priority 101\n    advert_int 1\n    \
         virtual_ipaddress {{\n{vips}    }}\n}}\n"
    )
}

pub fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not after {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

impl Machine {
    pub fn new(name: &str, deb: &Path) -> Machine {
        let lab = Lab::new(&["swap"], false);
        let root = DebianRoot::new(name, &lab.nodes[0].ns);
        std::fs::write(root.path("/usr/sbin/policy-rc.d"), POLICY_RC_D).unwrap();
        // apt works offline here: its cache holds keepalived's dependencies, not the
        // packages it only recommends (ipvsadm).
        std::fs::write(
            root.path("/etc/apt/apt.conf.d/99no-recommends"),
            "APT::Install-Recommends \"false\";\n",
        )
        .unwrap();
        root.sh_ok("chmod 0755 /usr/sbin/policy-rc.d && mkdir -p /etc/keepalived");
        std::fs::copy(deb, root.path(OUR_DEB)).unwrap();
        let mut machine = Machine {
            root,
            lab,
            config: String::new(),
        };
        machine.write_config(&[VIP]);
        machine
    }

    /// The network namespace the machine's commands run in.
    pub fn netns(&self) -> &str {
        &self.lab.nodes[0].ns
    }

    /// The operator's /etc/keepalived/keepalived.conf.
    pub fn write_config(&mut self, vips: &[&str]) {
        self.config = config(vips);
        std::fs::write(
            self.root.path("/etc/keepalived/keepalived.conf"),
            &self.config,
        )
        .unwrap();
    }

    /// The operator's configuration is still what the test wrote.
    pub fn expect_config_kept(&self) {
        let now = std::fs::read_to_string(self.root.path("/etc/keepalived/keepalived.conf"));
        assert_eq!(
            now.ok().as_deref(),
            Some(self.config.as_str()),
            "keepalived.conf changed"
        );
    }

    pub fn has_vip(&self, vip: &str) -> bool {
        let addr = vip.split('/').next().unwrap().parse().unwrap();
        self.lab.nodes[0].has_address_on("eth0", addr)
    }

    pub fn wait_vip(&self, vip: &str, present: bool) {
        let what = format!("VIP {vip} {}", if present { "appears" } else { "goes" });
        wait_until(&what, 20, || self.has_vip(vip) == present);
    }

    /// `/etc/init.d/keepalived ACTION` in the root, expecting exit status `code`.
    pub fn init(&self, action: &str, code: i32) -> String {
        let out = self.root.sh(&format!("{INIT} {action}"));
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(code), "`{INIT} {action}`:\n{text}");
        text
    }

    /// The pid in /run/keepalived.pid, if that process runs.
    pub fn daemon_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.root.path(PID_FILE)).ok()?;
        let pid = text.trim().parse().ok()?;
        alive(pid).then_some(pid)
    }

    fn flavor(pid: i32) -> Flavor {
        let exe = std::fs::read(format!("/proc/{pid}/exe")).unwrap_or_default();
        if exe.windows(13).any(|w| w == b"keepalived-rs") {
            Flavor::Ours
        } else {
            Flavor::Stock
        }
    }

    /// Waits for a `flavor` daemon in the pid file holding the VIP; returns its pid.
    pub fn expect_running(&self, flavor: Flavor) -> i32 {
        let mut pid = None;
        wait_until(&format!("a running {flavor:?} daemon"), 20, || {
            pid = self.daemon_pid().filter(|p| Self::flavor(*p) == flavor);
            pid.is_some()
        });
        self.wait_vip(VIP, true);
        pid.unwrap()
    }

    /// Waits for `pid` to exit and the VIP to go.
    pub fn expect_stopped(&self, pid: i32) {
        wait_until(&format!("pid {pid} exits"), 20, || !alive(pid));
        self.wait_vip(VIP, false);
    }

    /// status, reload (a second VIP comes and goes, same pid), stop (the VIP goes), status,
    /// start (the VIP is back) through the init script; returns the new daemon's pid.
    /// Debian's init script has no status action (it answers with its usage, status 1).
    pub fn exercise_init_script(&mut self, flavor: Flavor) -> i32 {
        let has_status = flavor == Flavor::Ours;
        let pid = self.expect_running(flavor);
        if has_status {
            self.init("status", 0);
        }
        self.write_config(&[VIP, SECOND_VIP]);
        self.init("reload", 0);
        self.wait_vip(SECOND_VIP, true);
        self.write_config(&[VIP]);
        self.init("reload", 0);
        self.wait_vip(SECOND_VIP, false);
        assert_eq!(self.daemon_pid(), Some(pid), "reload replaced the daemon");
        self.init("stop", 0);
        self.expect_stopped(pid);
        if has_status {
            self.init("status", 3);
        }
        self.init("start", 0);
        self.expect_running(flavor)
    }
}
