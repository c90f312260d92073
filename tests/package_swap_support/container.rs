//! The swap machine booted with real systemd: `systemd-nspawn --boot` on the throw-away
//! root, in the test's network namespace (`--network-namespace-path`), so dpkg's
//! maintainer scripts take their systemd branch (deb-systemd-invoke) and
//! `systemctl start|reload|stop keepalived` runs our `Type=notify` unit.
//!
//! Commands enter the container's namespaces and root with nsenter. Dropping it kills the
//! container's init and waits for systemd-nspawn to exit.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::machine::{wait_until, Flavor, Machine};
use super::root::output_text;

pub struct Container {
    pub machine: Machine,
    nspawn: Child,
    /// The container's init (systemd), as a host pid.
    leader: i32,
}

impl Container {
    pub fn boot(name: &str, deb: &Path) -> Container {
        let machine = Machine::new(name, deb);
        // Under systemd, deb-systemd-invoke would consult it too: the runlevel
        // emulation is for the chroot, not for a booted system.
        std::fs::remove_file(machine.root.path("/usr/sbin/policy-rc.d")).unwrap();
        machine.root.unmount_proc();
        let log_path = machine.root.dir.with_extension("nspawn.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let nspawn = Command::new("systemd-nspawn")
            // The daemons add and remove addresses: nspawn drops CAP_NET_ADMIN otherwise.
            .args(["--quiet", "--register=no", "--keep-unit", "--boot"])
            .args(["--capability=CAP_NET_ADMIN", "-D"])
            .arg(&machine.root.dir)
            .arg(format!(
                "--network-namespace-path=/run/netns/{}",
                machine.netns()
            ))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("systemd-nspawn (apt-get install systemd-container; .ci/run does)");
        let children = format!("/proc/{0}/task/{0}/children", nspawn.id());
        let mut leader = None;
        wait_until("systemd-nspawn starts the container's init", 20, || {
            leader = std::fs::read_to_string(&children)
                .ok()
                .and_then(|c| c.split_whitespace().next()?.parse().ok());
            leader.is_some()
        });
        let container = Container {
            machine,
            nspawn,
            leader: leader.unwrap(),
        };
        let booting = format!(
            "systemd boots in the container (see {})",
            log_path.display()
        );
        wait_until(&booting, 60, || {
            let state = container.sh("systemctl is-system-running").0;
            matches!(state.trim(), "running" | "degraded")
        });
        container
    }

    /// `sh -c SCRIPT` inside the container; (output, success).
    pub fn sh(&self, script: &str) -> (String, bool) {
        let out = Command::new("nsenter")
            .args([
                "-t",
                &self.leader.to_string(),
                "-m",
                "-u",
                "-i",
                "-n",
                "-p",
                "-r",
                "-w",
            ])
            .args([
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "DEBIAN_FRONTEND=noninteractive",
                "LC_ALL=C.UTF-8",
                "sh",
                "-c",
                script,
            ])
            .stdin(Stdio::null())
            .output()
            .expect("nsenter");
        (output_text(&out), out.status.success())
    }

    pub fn sh_ok(&self, script: &str) -> String {
        let (text, ok) = self.sh(script);
        assert!(ok, "`{script}` in the container failed:\n{text}");
        text
    }

    /// Properties of keepalived.service as systemd sees them.
    pub fn unit(&self) -> HashMap<String, String> {
        let text = self.sh_ok(
            "systemctl show -p ActiveState -p MainPID -p Type -p StatusText -p UnitFileState keepalived",
        );
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// Waits for the unit to be active with a `flavor` main process holding the VIP;
    /// returns its pid inside the container.
    pub fn expect_active(&self, flavor: Flavor) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let main = loop {
            let unit = self.unit();
            let main = unit["MainPID"].clone();
            let ours = self
                .sh(&format!("grep -q keepalived-rs /proc/{main}/exe"))
                .1;
            if unit["ActiveState"] == "active" && main != "0" && ours == (flavor == Flavor::Ours) {
                break main;
            }
            let status = "systemctl status --no-pager keepalived; journalctl --no-pager -n 30";
            assert!(
                Instant::now() < deadline,
                "keepalived.service not active with {flavor:?} after 30 s:\n{}",
                self.sh(status).0
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        self.machine.wait_vip(super::machine::VIP, true);
        main
    }

    /// systemd logs every sd_notify message at debug level (`systemd-analyze log-level
    /// debug`): after a reload it must have had RELOADING=1 from the daemon, then READY=1.
    pub fn expect_notified_reload(&self) {
        wait_until("systemd gets RELOADING=1, then READY=1", 10, || {
            let log = self
                .sh("journalctl --no-pager -o cat -u keepalived | grep 'notification message'")
                .0;
            let reloading = log.find("RELOADING=1");
            reloading.is_some_and(|at| log[at..].contains("READY=1"))
        });
    }

    /// Waits for the unit to be inactive and the VIP gone.
    pub fn expect_inactive(&self) {
        wait_until("keepalived.service inactive", 30, || {
            self.unit()["ActiveState"] == "inactive"
        });
        self.machine.wait_vip(super::machine::VIP, false);
    }
}

impl Drop for Container {
    /// The container is thrown away, so no clean shutdown: killing the init of its pid
    /// namespace kills everything in it, and systemd-nspawn then exits and unmounts.
    fn drop(&mut self) {
        let leader = nix::unistd::Pid::from_raw(self.leader);
        let _ = nix::sys::signal::kill(leader, nix::sys::signal::Signal::SIGKILL);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.nspawn.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.nspawn.kill();
        let _ = self.nspawn.wait();
    }
}
