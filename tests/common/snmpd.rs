//! Debian's `snmpd` as the AgentX master agent in a lab host's namespace, for the SNMP
//! tests and the `snmp_dead` benchmark: its AgentX socket is `<host dir>/agentx`, its
//! SNMP port 127.0.0.1:16161 (community `public`), and it is killed by pid when dropped.
//! Needs the packages snmpd and snmp; panics without them.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::lab::{wait_for, Host};

const SNMPD: &str = "/usr/sbin/snmpd";
pub const PORT: &str = "16161";

/// snmpd as AgentX master in `host`'s namespace, killed (by pid) when dropped.
pub struct Snmpd {
    pub child: Child,
}

impl Snmpd {
    pub fn start(host: &Host) -> Snmpd {
        let dir = &host.dir;
        let conf = dir.join("snmpd.conf");
        std::fs::write(
            &conf,
            format!(
                "master agentx\nagentXSocket {}\nagentaddress udp:127.0.0.1:{PORT}\n\
                 rocommunity public 127.0.0.1\n",
                Snmpd::socket(host)
            ),
        )
        .unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &host.ns, SNMPD, "-f", "-C", "-c"])
            .arg(&conf)
            .arg("-Lf")
            .arg(dir.join("snmpd.log"))
            .arg("-p")
            .arg(dir.join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", dir)
            .env("MIBS", "")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SNMPD}: {e}"));
        let socket = dir.join("agentx");
        let up = wait_for(Duration::from_secs(10), || socket.exists());
        assert!(
            up.is_some(),
            "snmpd made no AgentX socket at {}",
            socket.display()
        );
        Snmpd { child }
    }

    /// The AgentX address of the snmpd of `host`, as `snmp_socket` and `-A` take it.
    pub fn socket(host: &Host) -> String {
        format!("unix:{}/agentx", host.dir.display())
    }

    /// Its process (`ip netns exec` execs snmpd, so the child is snmpd itself).
    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.child.id() as i32)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tool` (`snmpwalk`, `snmpget`) of `oids` against the snmpd in `host`: numeric OIDs,
/// no MIB files loaded.
pub fn query(host: &Host, tool: &str, oids: &[&str]) -> String {
    let out = Command::new("ip")
        .args([
            "netns", "exec", &host.ns, tool, "-v2c", "-c", "public", "-On",
        ])
        .args(["-m", "", "-t", "2", "-r", "1"])
        .arg(format!("127.0.0.1:{PORT}"))
        .args(oids)
        .env("MIBS", "")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} (package snmp): {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
