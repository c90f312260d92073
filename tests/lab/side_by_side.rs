//! Stock keepalived 2.2.7 and ours side by side on one configuration, the shape of most
//! conformance tests: where the two daemons come from, a lab in which neither hears the
//! other, and starting both. Written once so that every such test starts alike
//! ([`super::expect_within`] then waits for what both must reach).

use std::path::Path;
use std::process::Command;

use super::{Daemon, Host, Lab};

/// Our daemon, as Cargo built it for the test or bench being compiled.
pub const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
/// Stock keepalived, from Debian's package: the reference we are compared with.
pub const STOCK: &str = "/usr/sbin/keepalived";

/// Panics (never skips) unless stock keepalived is installed.
pub fn require_stock() {
    assert!(
        Path::new(STOCK).exists(),
        "{STOCK} is missing: install Debian's keepalived"
    );
}

impl Lab {
    /// Nodes `ka` (for stock keepalived) and `ours`, on isolated bridge ports: neither
    /// hears the other, so on the same configuration each reaches the states it would
    /// reach alone. Panics unless stock keepalived is installed.
    pub fn side_by_side() -> Lab {
        require_stock();
        let lab = Lab::new(&["ka", "ours"], false);
        lab.set_isolated(lab.node("ka"), true);
        lab.set_isolated(lab.node("ours"), true);
        lab
    }
}

/// Starts stock keepalived in `stock_host`, then ours in `ours_host`, each on what
/// `config` writes for its host (a configuration names files of its own host).
pub fn start_both(
    stock_host: &Host,
    ours_host: &Host,
    config: impl Fn(&Host) -> String,
) -> (Daemon, Daemon) {
    let stock = Daemon::start_stock(stock_host, STOCK.as_ref(), &config(stock_host));
    let ours = Daemon::start(ours_host, OURS.as_ref(), &config(ours_host));
    (stock, ours)
}

/// `keepalived -t -f path` of `binary` (inside network namespace `netns` when given):
/// its exit code and everything it printed. Ours reports in keepalived's own message
/// format, stock logs to the console, so the two outputs compare line for line.
pub fn config_test(binary: &str, netns: Option<&str>, path: &Path) -> (i32, String) {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, binary]);
            c
        }
        None => Command::new(binary),
    };
    if binary == OURS {
        cmd.arg("--format=keepalived");
    } else {
        cmd.args(["-l", "-D"]);
    }
    let out = cmd.arg("-t").arg("-f").arg(path).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}
