//! Net-SNMP's real programs around a daemon under test, in a lab namespace: `snmpd` as
//! the AgentX master agent (optionally forwarding notifications with `trap2sink`),
//! `snmptrapd` writing each notification it receives as one line, and `snmpwalk`.
//! Each process is killed by its pid when dropped. Needs snmpd, snmptrapd and snmpwalk
//! (Debian packages snmpd, snmptrapd, snmp); panics without them.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::lab::{wait_for, Host};

const SNMPD: &str = "/usr/sbin/snmpd";
const SNMPTRAPD: &str = "/usr/sbin/snmptrapd";
/// The ports used inside each (private) namespace.
pub const AGENT_PORT: &str = "16161";
pub const TRAP_PORT: &str = "16162";

/// One Net-SNMP daemon in `host`'s namespace.
pub struct NetSnmp {
    child: Child,
}

impl NetSnmp {
    fn spawn(host: &Host, program: &str, args: &[String]) -> NetSnmp {
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
        NetSnmp { child }
    }

    /// snmpd as AgentX master on `host.dir/agentx`, answering `public` on 127.0.0.1,
    /// and, with `traps`, forwarding notifications to [`snmptrapd`] as SNMPv2c traps.
    pub fn snmpd(host: &Host, traps: bool) -> NetSnmp {
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
                "master agentx\nagentXSocket unix:{}/agentx\nagentaddress udp:127.0.0.1:{AGENT_PORT}\n\
                 rocommunity public 127.0.0.1\n{sink}",
                dir.display()
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
        let d = NetSnmp::spawn(host, SNMPD, &args);
        let socket = dir.join("agentx");
        let up = wait_for(Duration::from_secs(10), || socket.exists());
        assert!(
            up.is_some(),
            "snmpd made no AgentX socket at {}",
            socket.display()
        );
        d
    }

    /// snmptrapd on 127.0.0.1:[`TRAP_PORT`], accepting everything, writing each
    /// notification's varbinds (numeric OIDs, tab-separated) as one line of
    /// [`traps_file`].
    pub fn snmptrapd(host: &Host) -> NetSnmp {
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
        let d = NetSnmp::spawn(host, SNMPTRAPD, &args);
        let pid = dir.join("snmptrapd.pid");
        let up = wait_for(Duration::from_secs(10), || pid.exists());
        assert!(up.is_some(), "snmptrapd did not start");
        d
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NetSnmp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where [`NetSnmp::snmptrapd`] writes.
pub fn traps_file(host: &Host) -> PathBuf {
    host.dir.join("traps.log")
}

/// `snmpwalk` of `subtree` in `host`, numeric OIDs, no MIB files loaded.
pub fn walk(host: &Host, subtree: &str) -> String {
    let out = Command::new("ip")
        .args([
            "netns", "exec", &host.ns, "snmpwalk", "-v2c", "-c", "public", "-On",
        ])
        .args(["-m", "", "-t", "2", "-r", "1"])
        .arg(format!("127.0.0.1:{AGENT_PORT}"))
        .arg(subtree)
        .env("MIBS", "")
        .output()
        .expect("cannot run snmpwalk (package snmp)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
