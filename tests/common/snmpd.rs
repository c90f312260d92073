//! Net-SNMP's real programs around a daemon under test, in a lab host's namespace, for the
//! SNMP tests and the `snmp_dead` benchmark: `snmpd` as the AgentX master agent (its
//! socket `<host dir>/agentx`, SNMP on 127.0.0.1:16161, community `public`; optionally
//! forwarding notifications with `trap2sink`), `snmptrapd` writing each notification it
//! receives as one line, and `snmpwalk`/`snmpget`. Each process is killed by its pid when
//! dropped. Needs the packages snmpd, snmptrapd and snmp; panics without them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::lab::{wait_for, Host};

const SNMPD: &str = "/usr/sbin/snmpd";
const SNMPTRAPD: &str = "/usr/sbin/snmptrapd";
/// The ports used inside each (private) namespace.
pub const PORT: &str = "16161";
pub const TRAP_PORT: &str = "16162";

/// A Net-SNMP daemon in a lab namespace, killed (by pid) when dropped.
pub struct NetSnmpProcess {
    pub child: Child,
}

impl NetSnmpProcess {
    fn spawn(host: &Host, program: &str, args: &[String]) -> NetSnmpProcess {
        let child = Command::new("ip")
            .args(["netns", "exec", &host.ns, program])
            .args(args)
            .env("SNMP_PERSISTENT_DIR", &host.dir)
            .env("MIBS", "")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        NetSnmpProcess { child }
    }

    /// Its process (`ip netns exec` execs the program, so the child is the daemon itself).
    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.child.id() as i32)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NetSnmpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// snmpd as the AgentX master agent.
pub struct Snmpd;

impl Snmpd {
    /// snmpd as AgentX master on `host.dir/agentx`, answering `public` on 127.0.0.1.
    pub fn start(host: &Host) -> NetSnmpProcess {
        Snmpd::launch(host, false)
    }

    /// Like [`Snmpd::start`], also forwarding notifications to [`Snmptrapd`] as SNMPv2c
    /// traps.
    pub fn forwarding_traps(host: &Host) -> NetSnmpProcess {
        Snmpd::launch(host, true)
    }

    fn launch(host: &Host, traps: bool) -> NetSnmpProcess {
        let dir = &host.dir;
        let conf = dir.join("snmpd.conf");
        let sink = if traps {
            format!("trap2sink 127.0.0.1:{TRAP_PORT} public\n")
        } else {
            String::new()
        };
        std::fs::write(
            &conf,
            format!(
                "master agentx\nagentXSocket {}\nagentaddress udp:127.0.0.1:{PORT}\n\
                 rocommunity public 127.0.0.1\n{sink}",
                Snmpd::socket(host)
            ),
        )
        .unwrap();
        let args = [
            "-f",
            "-C",
            "-c",
            &conf.display().to_string(),
            "-Lf",
            &dir.join("snmpd.log").display().to_string(),
            "-p",
            &dir.join("snmpd.pid").display().to_string(),
        ]
        .map(String::from);
        let d = NetSnmpProcess::spawn(host, SNMPD, &args);
        let socket = dir.join("agentx");
        let up = wait_for(Duration::from_secs(10), || socket.exists());
        assert!(
            up.is_some(),
            "snmpd made no AgentX socket at {}",
            socket.display()
        );
        d
    }

    /// The AgentX address of the snmpd of `host`, as `snmp_socket` and `-A` take it.
    pub fn socket(host: &Host) -> String {
        format!("unix:{}/agentx", host.dir.display())
    }
}

/// snmptrapd, the receiving end of [`Snmpd::forwarding_traps`].
pub struct Snmptrapd;

impl Snmptrapd {
    /// snmptrapd on 127.0.0.1:[`TRAP_PORT`], accepting everything, writing each
    /// notification's varbinds (numeric OIDs, tab-separated) as one line of
    /// [`traps_file`].
    pub fn start(host: &Host) -> NetSnmpProcess {
        let dir = &host.dir;
        let conf = dir.join("snmptrapd.conf");
        std::fs::write(
            &conf,
            "disableAuthorization yes\ndoNotRetainNotificationLogs yes\n",
        )
        .unwrap();
        let args = [
            "-f",
            "-C",
            "-c",
            &conf.display().to_string(),
            "-On",
            "-m",
            "",
            "-F",
            "%v\n",
            "-Lf",
            &traps_file(host).display().to_string(),
            "-p",
            &dir.join("snmptrapd.pid").display().to_string(),
            &format!("udp:127.0.0.1:{TRAP_PORT}"),
        ]
        .map(String::from);
        let d = NetSnmpProcess::spawn(host, SNMPTRAPD, &args);
        let pid = dir.join("snmptrapd.pid");
        let up = wait_for(Duration::from_secs(10), || pid.exists());
        assert!(up.is_some(), "snmptrapd did not start");
        d
    }
}

/// Where [`Snmptrapd`] writes.
pub fn traps_file(host: &Host) -> PathBuf {
    host.dir.join("traps.log")
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

/// `snmpwalk` of `subtree` in `host`.
pub fn walk(host: &Host, subtree: &str) -> String {
    query(host, "snmpwalk", &[subtree])
}
