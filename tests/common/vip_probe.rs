//! `vip-probe` run from a lab client, as the failover tests and benchmarks use it: `SELECT 1`
//! through the VIP every 5 ms, or a fixed-rate ICMP echo stream, and the longest outage it
//! saw. Shared by `tests/daemon_mysql.rs`, `benches/mysql_failover.rs` and
//! `benches/daemon.rs`.

// Each includer uses part of it.
#![allow(dead_code)]

use std::ffi::OsString;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct VipProbe(Child);

impl VipProbe {
    /// `SELECT 1` on port 3306 of `vip` every 5 ms, logging in with `credentials`; a query
    /// not answered within `timeout_ms` counts as a failure.
    pub fn mysql(
        client_ns: &str,
        binary: &Path,
        credentials: &Path,
        vip: IpAddr,
        timeout_ms: u32,
    ) -> VipProbe {
        let mut args: Vec<OsString> = ["--mode", "mysql", "--port", "3306", "--interval", "5"]
            .map(OsString::from)
            .to_vec();
        args.push("--credentials".into());
        args.push(credentials.into());
        VipProbe::start(client_ns, binary, args, vip, timeout_ms)
    }

    /// An ICMP echo to `vip` every `interval_ms`, whether or not the earlier ones were
    /// answered (ping slows to 10 ms while unanswered, too coarse for a failover).
    pub fn icmp(
        client_ns: &str,
        binary: &Path,
        vip: IpAddr,
        interval_ms: f64,
        timeout_ms: u32,
    ) -> VipProbe {
        let args = vec![
            "--mode".into(),
            "icmp".into(),
            "--interval".into(),
            interval_ms.to_string().into(),
        ];
        VipProbe::start(client_ns, binary, args, vip, timeout_ms)
    }

    fn start(
        client_ns: &str,
        binary: &Path,
        args: Vec<OsString>,
        vip: IpAddr,
        timeout_ms: u32,
    ) -> VipProbe {
        let child = Command::new("ip")
            .args(["netns", "exec", client_ns])
            .arg(binary)
            .args(args)
            .args(["--timeout", &timeout_ms.to_string(), "--json", "--quiet"])
            .arg(vip.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vip-probe");
        VipProbe(child)
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
