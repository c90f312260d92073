//! The metrics endpoint over a real TCP connection on 127.0.0.1: Prometheus text that
//! parses, the same snapshot as JSON, only GET/HEAD accepted, and a failover of the
//! simulated pair seen by the next scrape once the daemon publishes its new snapshot.

mod dump_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dump_support::*;
use keepalived_rs::daemon::metrics::MetricsServer;
use keepalived_rs::daemon::status::Snapshot;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

/// One HTTP/1.1 request on a fresh connection, read until the server closes it.
async fn request(addr: SocketAddr, method: &str, path: &str) -> Reply {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut raw))
        .await
        .expect("server answered in time")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("header end");
    let mut lines = head.lines();
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Parses Prometheus text format 0.0.4 strictly enough to catch malformed output:
/// returns `name{labels}` → value, checking TYPE lines, names, label syntax and
/// duplicates.
fn parse_exposition(text: &str) -> BTreeMap<String, f64> {
    let mut typed: BTreeSet<String> = BTreeSet::new();
    let mut samples = BTreeMap::new();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c == '_' || c == ':' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
            })
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(name_ok(name), "{line}");
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_string()), "TYPE twice: {line}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').unwrap();
        let name = series.split('{').next().unwrap();
        assert!(name_ok(name), "{line}");
        assert!(name.starts_with("keepalived_"), "{line}");
        assert!(typed.contains(name), "sample before its TYPE: {line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let inner = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .unwrap_or_else(|| panic!("labels {line}"));
            for pair in inner.split("\",") {
                let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(name_ok(k), "{line}");
                assert!(!v.trim_end_matches('"').contains('\n'));
            }
        }
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("value {line}"));
        assert!(
            samples.insert(series.to_string(), v).is_none(),
            "duplicate series {series}"
        );
    }
    samples
}

async fn start(snap: Snapshot) -> (SocketAddr, watch::Sender<Arc<Snapshot>>) {
    let server = MetricsServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = watch::channel(Arc::new(snap));
    tokio::spawn(server.serve(rx));
    (addr, tx)
}

const VI_41: &str = "{iname=\"VI_41\",intf=\"kd0\",vrid=\"41\"}";

#[tokio::test]
async fn metrics_are_valid_exposition_with_every_counter() {
    let pair = settled_pair();
    let snap = pair.snapshot(&pair.master);
    let (addr, _tx) = start(snap.clone()).await;
    let r = request(addr, "GET", "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].starts_with("text/plain; version=0.0.4"));
    let m = parse_exposition(&r.body);
    assert_eq!(m["keepalived_up"], 1.0);
    assert_eq!(m[&format!("keepalived_vrrp_instance_state{VI_41}")], 2.0);
    assert_eq!(
        m[&format!("keepalived_vrrp_effective_priority{VI_41}")],
        106.0
    );
    assert_eq!(m[&format!("keepalived_vrrp_base_priority{VI_41}")], 101.0);
    let vi41 = snap.instance("VI_41").unwrap();
    assert_eq!(
        m[&format!("keepalived_advertisements_sent_total{VI_41}")],
        vi41.stats.advert_sent as f64
    );
    assert_eq!(
        m[&format!("keepalived_vrrp_state_transitions_total{VI_41}")],
        vi41.transitions as f64
    );
    assert_eq!(
        m[&format!("keepalived_vrrp_last_transition_timestamp_seconds{VI_41}")],
        vi41.last_transition.unwrap().as_secs_f64()
    );
    assert_eq!(
        m["keepalived_vrrp_state{iname=\"VI_42\",intf=\"kd0\",vrid=\"42\",ip_address=\"198.18.42.101\"}"],
        2.0
    );
    assert_eq!(
        m["keepalived_tracker_status{name=\"chk_true\",kind=\"script\"}"],
        1.0
    );
    assert_eq!(m["keepalived_script_status{name=\"chk_true\"}"], 1.0);
    assert_eq!(
        m["keepalived_start_time_seconds"],
        snap.process.start_time.as_secs_f64()
    );
    assert!(m.contains_key("keepalived_last_failover_timestamp_seconds"));
    // Every counter of the stats file, for every instance.
    for counter in [
        "advertisements_received",
        "advertisements_sent",
        "become_master",
        "release_master",
        "packet_length_errors",
        "advertisements_interval_errors",
        "ip_ttl_errors",
        "invalid_type_received",
        "address_list_errors",
        "authentication_invalid",
        "authentication_mismatch",
        "authentication_failure",
        "priority_zero_received",
        "priority_zero_sent",
    ] {
        for i in &snap.instances {
            let key = format!(
                "keepalived_{counter}_total{{iname=\"{}\",intf=\"kd0\",vrid=\"{}\"}}",
                i.name, i.vrid
            );
            assert!(m.contains_key(&key), "missing {key}");
        }
    }
}

#[tokio::test]
async fn status_json_is_the_snapshot_without_secrets() {
    let pair = settled_pair();
    let snap = pair.snapshot(&pair.master);
    let (addr, _tx) = start(snap.clone()).await;
    let r = request(addr, "GET", "/status.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v, serde_json::to_value(&snap).unwrap());
    assert_eq!(v["instances"][0]["name"], "VI_41");
    assert_eq!(v["instances"][0]["state"], "MASTER");
    assert_eq!(v["instances"][0]["stats"]["advert_sent"], 5);
    // Versions, families and auth types stay numbers and flags in the JSON.
    assert_eq!(v["instances"][0]["version"], 2);
    assert_eq!(v["instances"][0]["ipv6"], false);
    assert_eq!(v["instances"][0]["auth"]["auth_type"], 1);
    assert_eq!(v["global"]["vrrp_version"], 2);
    assert_eq!(v["process"]["pid"], 4242);
    assert!(
        !r.body.contains("1111"),
        "the VRRP password must not leave the host over HTTP"
    );
}

#[tokio::test]
async fn only_get_and_head_are_accepted() {
    let pair = settled_pair();
    let (addr, _tx) = start(pair.snapshot(&pair.master)).await;
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        for path in ["/metrics", "/status.json", "/nope"] {
            let r = request(addr, method, path).await;
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.headers["allow"], "GET, HEAD");
        }
    }
    let r = request(addr, "GET", "/nope").await;
    assert_eq!(r.status, 404);
    let r = request(addr, "GET", "/metrics/extra").await;
    assert_eq!(r.status, 404);
    let r = request(addr, "HEAD", "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty(), "HEAD has no body");
    let len: usize = r.headers["content-length"].parse().unwrap();
    assert!(len > 1000);
    let r = request(addr, "GET", "/metrics?x=1").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_failover_shows_in_the_next_scrape() {
    let mut pair = settled_pair();
    let (addr, tx) = start(pair.snapshot(&pair.backup)).await;
    let before = parse_exposition(&request(addr, "GET", "/metrics").await.body);
    assert_eq!(
        before[&format!("keepalived_vrrp_instance_state{VI_41}")],
        1.0
    );
    assert_eq!(
        before[&format!("keepalived_become_master_total{VI_41}")],
        0.0
    );

    pair.stop_master();
    pair.run(Duration::from_secs(4));
    tx.send(Arc::new(pair.snapshot(&pair.backup))).unwrap();

    let after = parse_exposition(&request(addr, "GET", "/metrics").await.body);
    assert_eq!(
        after[&format!("keepalived_vrrp_instance_state{VI_41}")],
        2.0
    );
    assert_eq!(
        after[&format!("keepalived_become_master_total{VI_41}")],
        1.0
    );
    assert_eq!(
        after[&format!("keepalived_priority_zero_received_total{VI_41}")],
        1.0
    );
    assert_eq!(
        after[&format!("keepalived_vrrp_state_transitions_total{VI_41}")],
        before[&format!("keepalived_vrrp_state_transitions_total{VI_41}")] + 1.0
    );
    assert!(
        after["keepalived_last_failover_timestamp_seconds"]
            > before["keepalived_last_failover_timestamp_seconds"]
    );
    let json: serde_json::Value =
        serde_json::from_str(&request(addr, "GET", "/status.json").await.body).unwrap();
    assert_eq!(json["instances"][0]["state"], "MASTER");
}

#[tokio::test]
async fn keep_alive_connections_serve_several_requests() {
    let pair = settled_pair();
    let (addr, _tx) = start(pair.snapshot(&pair.master)).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET /status.json HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut pending: Vec<u8> = Vec::new();
    for _ in 0..3 {
        s.write_all(req.as_bytes()).await.unwrap();
        // Read the header, then exactly Content-Length bytes of body.
        let head_end = loop {
            if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed early");
            pending.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&pending[..head_end]).to_string();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        while pending.len() < head_end + len {
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed early");
            pending.extend_from_slice(&buf[..n]);
        }
        let body: serde_json::Value =
            serde_json::from_slice(&pending[head_end..head_end + len]).unwrap();
        assert_eq!(body["instances"][1]["name"], "VI_42");
        pending.drain(..head_end + len);
    }
}

#[test]
fn binding_a_taken_address_is_an_error() {
    let first = MetricsServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let taken = first.local_addr().unwrap();
    let err = MetricsServer::bind(taken).unwrap_err();
    assert!(err.to_string().contains(&taken.to_string()), "{err}");
}
