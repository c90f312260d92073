//! `vip-probe --mode mysql` run from a lab client: `SELECT 1` through the VIP every
//! 5 ms, and the longest outage it saw. Shared by `tests/daemon_mysql.rs` and
//! `benches/mysql_failover.rs`.

use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct SelectProbe(Child);

impl SelectProbe {
    /// Starts `probe_binary` in `client_ns` against port 3306 of `vip`, logging in with
    /// `credentials`; a query not answered within `timeout_ms` counts as a failure.
    pub fn start(
        client_ns: &str,
        probe_binary: &Path,
        credentials: &Path,
        vip: std::net::IpAddr,
        timeout_ms: u32,
    ) -> SelectProbe {
        let child = Command::new("ip")
            .args(["netns", "exec", client_ns])
            .arg(probe_binary)
            .args(["--mode", "mysql", "--port", "3306", "--credentials"])
            .arg(credentials)
            .args(["--interval", "5", "--timeout", &timeout_ms.to_string()])
            .args(["--json", "--quiet"])
            .arg(vip.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vip-probe");
        SelectProbe(child)
    }

    /// Stops the probe (SIGINT makes it print its report) and returns its longest
    /// outage in ms.
    pub fn stop(self) -> f64 {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        let out = self.0.wait_with_output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "probe report: {e}: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        report["outages"]
            .as_array()
            .map(|o| {
                o.iter()
                    .filter_map(|w| w["length_ms"].as_f64())
                    .fold(0.0, f64::max)
            })
            .unwrap_or_else(|| panic!("no outages field: {report}"))
    }
}
