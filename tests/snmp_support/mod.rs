//! Debian's `snmpd` as the AgentX master agent of one lab namespace, and `snmpwalk` against
//! it: what the SNMP tests run stock keepalived's and our subagent under.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::lab::{wait_for, Host};

const SNMPD: &str = "/usr/sbin/snmpd";
/// snmpd's SNMP port in the namespace (its AgentX socket is `agentx` in the host's dir).
const PORT: &str = "16161";

/// snmpd as AgentX master in `host`'s namespace, killed (by pid) when dropped.
pub struct Snmpd {
    child: Child,
}

impl Snmpd {
    pub fn start(host: &Host) -> Snmpd {
        let dir = &host.dir;
        let conf = dir.join("snmpd.conf");
        std::fs::write(
            &conf,
            format!(
                "master agentx\nagentXSocket unix:{}/agentx\nagentaddress udp:127.0.0.1:{PORT}\n\
                 rocommunity public 127.0.0.1\n",
                dir.display()
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

    /// Stops it now (a test that restarts the master agent).
    #[allow(dead_code)] // Not every test including this module restarts snmpd.
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

/// `snmpwalk` of `subtree` in `host`, numeric OIDs, no MIB files loaded.
pub fn walk(host: &Host, subtree: &str) -> String {
    let out = Command::new("ip")
        .args([
            "netns", "exec", &host.ns, "snmpwalk", "-v2c", "-c", "public", "-On",
        ])
        .args(["-m", "", "-t", "2", "-r", "1"])
        .arg(format!("127.0.0.1:{PORT}"))
        .arg(subtree)
        .env("MIBS", "")
        .output()
        .expect("cannot run snmpwalk (package snmp)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
