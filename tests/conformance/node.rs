//! The daemon(s) running on one node, whichever implementation: keepalived-style
//! daemons (ours, 2.2.7, 1.1.19, 1.3.5: one command line each, all share the lab's
//! [`Daemon`]) or FRR (zebra plus vrrpd, [`crate::frr::Frr`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::frr::Frr;
use crate::lab::{Daemon, Host};
use crate::scenario::Impl;
use crate::syslog::{private_dev_wrapper, SyslogSink};

/// Where each implementation's programs are.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub ours: PathBuf,
    pub keepalived: PathBuf,
    pub keepalived_1_1: PathBuf,
    pub keepalived_1_3: PathBuf,
    /// FRR's daemon directory (holds `zebra` and `vrrpd`).
    pub frr: PathBuf,
}

impl Binaries {
    /// The program(s) implementation `imp` needs.
    pub fn programs(&self, imp: Impl) -> Vec<PathBuf> {
        match imp {
            Impl::Ours => vec![self.ours.clone()],
            Impl::Keepalived => vec![self.keepalived.clone()],
            Impl::Keepalived1_1 => vec![self.keepalived_1_1.clone()],
            Impl::Keepalived1_3 => vec![self.keepalived_1_3.clone()],
            Impl::Frr => vec![self.frr.join("zebra"), self.frr.join("vrrpd")],
        }
    }
}

/// What runs on a node.
pub enum Node {
    /// A keepalived-style daemon, with the syslog listener that collects its log when
    /// it can only log through syslog (1.1.19).
    Keepalived {
        daemon: Daemon,
        _syslog: Option<SyslogSink>,
    },
    Frr(Frr),
}

impl Node {
    /// Starts implementation `imp` on `host` with `config` (keepalived syntax, or for
    /// FRR the vrrpd configuration plus its `# macvlan` lines).
    pub fn start(host: &Host, imp: Impl, bins: &Binaries, config: &str) -> Node {
        let program = bins.programs(imp).remove(0);
        match imp {
            Impl::Ours => keepalived(Daemon::start(host, &program, config)),
            Impl::Keepalived => keepalived(Daemon::start_stock(host, &program, config)),
            Impl::Keepalived1_1 => start_1_1(host, &program, config),
            // 1.3.5 built without LVS has neither -P nor -c: it runs VRRP only anyway.
            Impl::Keepalived1_3 => keepalived(Daemon::start_args(
                host,
                &program,
                config,
                &["-n", "-l", "-D"],
            )),
            Impl::Frr => Node::Frr(Frr::start(host, &bins.frr, config)),
        }
    }

    pub fn signal(&self, signal: Signal) {
        match self {
            Node::Keepalived { daemon: d, .. } => d.signal(signal),
            Node::Frr(f) => f.signal(signal),
        }
    }

    /// SIGTERM and the exit code (None: it did not exit within `limit`).
    pub fn stop(&mut self, limit: Duration) -> Option<i32> {
        match self {
            Node::Keepalived { daemon: d, .. } => {
                d.signal(Signal::SIGTERM);
                d.wait_exit(limit)
            }
            Node::Frr(f) => f.stop(limit),
        }
    }

    pub fn kill_hard(&mut self) {
        match self {
            Node::Keepalived { daemon: d, .. } => d.kill_hard(),
            Node::Frr(f) => f.kill_hard(),
        }
    }
}

fn keepalived(daemon: Daemon) -> Node {
    Node::Keepalived {
        daemon,
        _syslog: None,
    }
}

/// keepalived 1.1.19: VRRP only (`-P`), its checker pid file (`-c`) in the node's
/// directory; it has no `-G` and logs only to syslog (see [`crate::syslog`]).
fn start_1_1(host: &Host, program: &Path, config: &str) -> Node {
    let socket = host.dir.join("log.sock");
    let sink = SyslogSink::start(&socket, &host.dir.join("daemon.log"));
    let wrapper = private_dev_wrapper(&host.dir, &socket, program);
    let checkers = host.dir.join("checkers.pid").display().to_string();
    let wrapper = wrapper.display().to_string();
    let args = [
        "-m",
        "--propagation",
        "private",
        wrapper.as_str(),
        "-n",
        "-l",
        "-D",
        "-P",
        "-c",
        checkers.as_str(),
    ];
    let d = Daemon::start_args(host, Path::new("/usr/bin/unshare"), config, &args);
    Node::Keepalived {
        daemon: d,
        _syslog: Some(sink),
    }
}

/// The peers directory: `KEEPALIVED_PEERS_DIR`, else `shared/peers` next to the
/// repository (where CI puts the stock 1.x builds).
pub fn peers_dir() -> PathBuf {
    std::env::var_os("KEEPALIVED_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peers"))
}
