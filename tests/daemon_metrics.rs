//! The metrics endpoint of a running daemon (issue 7): scraped during a failover, it
//! shows the state change; it is off unless configured and answers nothing but GET/HEAD.
//! Needs root (network namespaces); panics without it.

mod lab;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use lab::{wait_for, Daemon, Host, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

fn config(priority: u8, metrics: bool) -> String {
    let global = if metrics {
        "global_defs {\n    metrics_listen 127.0.0.1:9650\n}\n"
    } else {
        ""
    };
    format!(
        "{global}vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 41\n    \
         priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n}}\n"
    )
}

/// One HTTP/1.1 request to 127.0.0.1:9650 inside `host`'s namespace; returns the whole
/// response, or `None` if nothing listens.
fn request(host: &Host, method: &str, path: &str) -> Option<String> {
    let (method, path) = (method.to_string(), path.to_string());
    host.in_namespace(move || {
        let mut s = TcpStream::connect("127.0.0.1:9650").ok()?;
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        Some(out)
    })
}

fn state_of(metrics: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with("keepalived_vrrp_instance_state{") && l.contains("iname=\"VI_1\""))
        .or_else(|| {
            metrics
                .lines()
                .find(|l| l.contains("_state{") && l.contains("iname=\"VI_1\""))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_follow_a_failover_and_only_answer_get() {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let a = Daemon::start(na, BIN.as_ref(), &config(101, false));
    let b = Daemon::start(nb, BIN.as_ref(), &config(100, true));
    assert!(wait_for(Duration::from_secs(10), || na.has_address(VIP)
        && !nb.has_address(VIP))
    .is_some());
    // Off unless configured.
    assert!(
        request(na, "GET", "/metrics").is_none(),
        "a has no metrics_listen"
    );

    let before = request(nb, "GET", "/metrics").expect("b serves metrics");
    assert!(before.starts_with("HTTP/1.1 200"), "{before}");
    assert_eq!(state_of(&before), Some(1.0), "b is BACKUP (1):\n{before}");

    a.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(wait_for(Duration::from_secs(3), || nb.has_address(VIP)).is_some());
    let mut after = String::new();
    let seen = wait_for(Duration::from_secs(3), || {
        after = request(nb, "GET", "/metrics").unwrap_or_default();
        state_of(&after) == Some(2.0)
    });
    assert!(
        seen.is_some(),
        "metrics never showed MASTER (2):\n{after}\n{}",
        b.log_text()
    );
    assert!(
        after.contains("keepalived_become_master_total") || after.contains("become_master"),
        "{after}"
    );
    let json = request(nb, "GET", "/status.json").unwrap();
    assert!(json.starts_with("HTTP/1.1 200"), "{json}");
    assert!(json.contains("\"VI_1\""), "{json}");

    for method in ["POST", "PUT", "DELETE"] {
        let r = request(nb, method, "/metrics").unwrap();
        assert!(r.starts_with("HTTP/1.1 405"), "{method}: {r}");
    }
    let r = request(nb, "GET", "/nothing-here").unwrap();
    assert!(r.starts_with("HTTP/1.1 404"), "{r}");
}
