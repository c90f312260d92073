//! Net-SNMP's real programs around a daemon under test, in a lab host's namespace, for the
//! SNMP tests and the `snmp_dead` benchmark: `snmpd` as the AgentX master agent (its
//! socket `<host dir>/agentx`, SNMP on 127.0.0.1:16161, community `public`; optionally
//! forwarding notifications with `trap2sink`), `snmptrapd` writing each notification it
//! receives as one line, and `snmpwalk`/`snmpget`. Each process is killed by its pid when
//! dropped. Needs the packages snmpd, snmptrapd and snmp; panics without them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::lab::{wait_for, Host, Lab};

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
    /// Runs `program` in `host` in the foreground on `conf` alone (`-f -C -c`: nothing of
    /// the system's Net-SNMP configuration) with `args`, and waits for `ready` to exist.
    fn spawn(
        host: &Host,
        program: &str,
        conf: &Path,
        args: &[&str],
        ready: &Path,
    ) -> NetSnmpProcess {
        let child = Command::new("ip")
            .args(["netns", "exec", &host.ns, program])
            .args(["-f", "-C", "-c"])
            .arg(conf)
            .args(args)
            .env("SNMP_PERSISTENT_DIR", &host.dir)
            .env("MIBS", "")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let up = wait_for(Duration::from_secs(10), || ready.exists());
        assert!(
            up.is_some(),
            "{program} did not start: no {}",
            ready.display()
        );
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
        let log = dir.join("snmpd.log").display().to_string();
        let pid = dir.join("snmpd.pid").display().to_string();
        let args = ["-Lf", &log, "-p", &pid];
        NetSnmpProcess::spawn(host, SNMPD, &conf, &args, &dir.join("agentx"))
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
        let log = traps_file(host).display().to_string();
        let pid = dir.join("snmptrapd.pid");
        let pid_arg = pid.display().to_string();
        let listen = format!("udp:127.0.0.1:{TRAP_PORT}");
        let args = [
            "-On", "-m", "", "-F", "%v\n", "-Lf", &log, "-p", &pid_arg, &listen,
        ];
        NetSnmpProcess::spawn(host, SNMPTRAPD, &conf, &args, &pid)
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

/// The two labs of a side-by-side SNMP comparison, stock keepalived's first: node `a` in
/// each (and a client, if asked) runs an snmpd of its own, so each daemon has its own
/// master agent and the two walks can be compared OID for OID.
pub fn labs_with_snmpd(with_client: bool) -> [(Lab, NetSnmpProcess); 2] {
    [(); 2].map(|()| {
        let lab = Lab::new(&["a"], with_client);
        let snmpd = Snmpd::start(lab.node("a"));
        (lab, snmpd)
    })
}

/// What a side-by-side test of a VRRP MIB knows of it: where it is in the tree, what in
/// a walk legitimately differs between two daemons, and which lines show a walk settled.
pub struct MibWalk {
    /// The MIB's subtree, as `snmpwalk` takes it.
    pub subtree: &'static str,
    /// One walk line with what legitimately differs (interface indexes, MACs,
    /// TimeTicks…) replaced by placeholders.
    pub normalise: fn(&str) -> String,
    /// Normalised: the MASTER instance's state line, and the start of the BACKUP
    /// instance's address row.
    pub settled: &'static [&'static str],
}

impl MibWalk {
    /// The non-empty lines of `walk`, normalised.
    pub fn normalised(&self, walk: &str) -> Vec<String> {
        walk.lines()
            .filter(|l| !l.is_empty())
            .map(self.normalise)
            .collect()
    }

    /// Walks the MIB in `host` until it shows [`MibWalk::settled`]'s lines, for up to
    /// 20 s: a daemon registers and reaches its states a while after it starts, and only
    /// a settled walk can be compared. Returns that walk; panics with the last one.
    pub fn settled_walk(&self, host: &Host, who: &str) -> String {
        let mut last = String::new();
        let done = wait_for(Duration::from_secs(20), || {
            last = walk(host, self.subtree);
            let n = self.normalised(&last);
            self.settled
                .iter()
                .all(|want| n.iter().any(|l| l.starts_with(want)))
        });
        assert!(
            done.is_some(),
            "{who}: walk never showed {:?}:\n{last}",
            self.settled
        );
        last
    }
}

/// Asserts that two normalised walks are the same line for line (the first difference
/// shown with both walks whole), and that stock keepalived's has at least `at_least`
/// lines, so that two empty walks cannot pass.
pub fn assert_same_walks(
    (stock, stock_walk): (&[String], &str),
    (ours, ours_walk): (&[String], &str),
    at_least: usize,
) {
    for (i, (sl, ol)) in stock.iter().zip(ours).enumerate() {
        assert_eq!(
            ol, sl,
            "line {i} differs\nstock:\n{stock_walk}\nours:\n{ours_walk}"
        );
    }
    assert_eq!(
        ours.len(),
        stock.len(),
        "walk lengths differ\nstock:\n{stock_walk}\nours:\n{ours_walk}"
    );
    assert!(
        stock.len() >= at_least,
        "stock walk is too short to mean anything:\n{stock_walk}"
    );
}
