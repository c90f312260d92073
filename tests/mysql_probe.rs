//! `vip-probe` measures real outage windows: a MariaDB server killed and restarted under
//! MySQL and TCP probes, and a loopback taken down under ICMP probes in a namespace.

#[path = "common/mariadb.rs"]
mod mariadb;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mariadb::MariaDb;
use serde_json::Value;

fn probe(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vip-probe"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vip-probe")
}

fn report(child: Child) -> Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "vip-probe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// Exactly one closed outage, at least `at_least` long and at most the observed downtime
/// plus `slack_ms` (probe interval, timeout and our own observation delay).
fn one_outage(r: &Value, at_least: Duration, downtime: Duration, slack_ms: f64) -> f64 {
    let outages = r["outages"].as_array().unwrap();
    assert_eq!(outages.len(), 1, "{r:#}");
    let o = &outages[0];
    assert_eq!(o["ongoing"], false, "{o}");
    let len = f(o, "length_ms");
    let real = downtime.as_secs_f64() * 1e3;
    let min = at_least.as_secs_f64() * 1e3;
    assert!(
        len >= min && len <= real + slack_ms,
        "outage {len} ms, expected {min:.1}..={:.1} ms: {r:#}",
        real + slack_ms
    );
    assert!(f(o, "first_failure_ms") >= f(o, "start_ms"));
    assert!(o["failed_probes"].as_u64().unwrap() >= 1);
    assert_eq!(f(r, "longest_outage_ms"), len);
    assert!(f(r, "ok") > 100.0, "5 ms probes over seconds: {r}");
    len
}

#[test]
fn mysql_and_tcp_probes_measure_a_server_restart() {
    let mut db = MariaDb::start();
    let creds = db
        .credentials_file(mariadb::TEST_USER, mariadb::TEST_PASSWORD)
        .display()
        .to_string();
    let port = db.port.to_string();
    let common = ["--duration", "3", "--interval", "5", "--json", "--quiet"];
    let mysql = probe(
        &[
            &["--mode", "mysql", "--port", &port, "--credentials", &creds][..],
            &common,
            &["127.0.0.1"],
        ]
        .concat(),
    );
    let tcp = probe(
        &[
            &["--mode", "tcp", "--port", &port][..],
            &common,
            &["127.0.0.1"],
        ]
        .concat(),
    );
    std::thread::sleep(Duration::from_millis(800));
    let killed = Instant::now();
    db.kill();
    std::thread::sleep(Duration::from_millis(300));
    db.restart();
    let downtime = killed.elapsed();

    let m = report(mysql);
    let t = report(tcp);
    assert_eq!(
        (m["mode"].as_str(), t["mode"].as_str()),
        (Some("mysql"), Some("tcp"))
    );
    // MySQL answers only once the server is ready (as our root login saw it, 20 ms polls);
    // TCP connects succeed as soon as mysqld listens, earlier in its start-up.
    let ml = one_outage(&m, downtime - Duration::from_millis(40), downtime, 150.0);
    let tl = one_outage(&t, Duration::from_millis(300), downtime, 150.0);
    println!(
        "server down {:.1} ms; vip-probe saw mysql outage {ml} ms, tcp outage {tl} ms",
        downtime.as_secs_f64() * 1e3
    );
    let first = m["outages"][0]["first_error"].as_str().unwrap();
    assert!(
        first.starts_with("query:") || first.starts_with("connect:"),
        "{first}"
    );
}

struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {args:?} failed");
}

#[test]
fn icmp_probe_measures_a_link_outage_in_a_namespace() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "needs root for network namespaces and raw ICMP sockets"
    );
    let ns = Netns(format!("krs-probe-{}", std::process::id()));
    ip(&["netns", "add", &ns.0]);
    ip(&["-n", &ns.0, "link", "set", "lo", "up"]);
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.0, env!("CARGO_BIN_EXE_vip-probe")])
        .args([
            "--mode",
            "icmp",
            "--duration",
            "2",
            "--timeout",
            "50",
            "--json",
            "--quiet",
        ])
        .arg("127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // The link is down at some moment while the first `ip` runs and up again at some
    // moment while the second runs; on a loaded machine starting a process takes tens of
    // milliseconds, so the real downtime is only known to lie between the time from the
    // first command's end to the second's start and the time from the first's start to
    // the second's end.
    let outer = Instant::now();
    ip(&["-n", &ns.0, "link", "set", "lo", "down"]);
    let inner = Instant::now();
    std::thread::sleep(Duration::from_millis(400));
    let surely_down = inner.elapsed();
    ip(&["-n", &ns.0, "link", "set", "lo", "up"]);
    let downtime = outer.elapsed();
    let r = report(child);
    assert_eq!(r["port"], Value::Null);
    // Requests go on every 5 ms through the outage (a request-then-timeout prober would
    // manage one per 50 ms timeout), so its end is known to one interval.
    let len = one_outage(&r, surely_down - Duration::from_millis(20), downtime, 15.0);
    let failed = r["outages"][0]["failed_probes"].as_u64().unwrap();
    assert!(
        failed as f64 >= 0.6 * downtime.as_secs_f64() * 1e3 / 5.0,
        "{failed} failed requests in {downtime:?}: not a fixed-rate stream"
    );
    println!(
        "loopback down {:.1} ms; icmp outage {len} ms, {failed} requests lost",
        downtime.as_secs_f64() * 1e3
    );
}

#[test]
fn text_report_and_usage_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_vip-probe"))
        .args([
            "--mode",
            "tcp",
            "--port",
            "1",
            "--duration",
            "0.2",
            "--quiet",
            "127.0.0.1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("outage 1: 0.000 s ->") && text.contains("ongoing at exit"),
        "{text}"
    );
    assert!(text.contains("0 ok"), "{text}");
    let bad = Command::new(env!("CARGO_BIN_EXE_vip-probe"))
        .args(["--interval", "fast", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--interval fast"));
}
