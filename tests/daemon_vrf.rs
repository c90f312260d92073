//! The instance keyword `vrf`, side by side with stock keepalived 2.2.7 on the same files
//! in a namespace that has `eth0` (not a VRF) and `lo`: `-t` and start-up give the same
//! messages and the same outcome. In 2.2.7 the keyword never binds a socket: an instance
//! with an interface has its VRF cleared, and one without is refused ("Unknown
//! interface!", unicast or not), so these messages are all it does. Needs root and
//! /usr/sbin/keepalived; panics without them.

mod lab;

use std::time::Duration;

use lab::side_by_side::{config_test, OURS, STOCK};
use lab::{Daemon, Host, Lab};

/// A unicast instance (source and peer on eth0's subnet) with `lines` added.
fn instance(lines: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n{lines} virtual_router_id 51\n priority 100\n \
         unicast_src_ip 198.18.0.1\n unicast_peer {{\n  198.18.0.2\n }}\n \
         virtual_ipaddress {{\n  198.18.0.100/24 dev eth0\n }}\n}}\n"
    )
}

/// `-t` of `binary` on `text` inside `host`'s namespace: exit code and output.
fn check(host: &Host, binary: &str, text: &str) -> (i32, String) {
    let path = host.dir.join("check.conf");
    std::fs::write(&path, text).unwrap();
    config_test(binary, Some(&host.ns), &path)
}

/// Starts `binary` on `text`: its exit code if it stopped within 3 s (`None`: it runs;
/// then it is stopped), and its log.
fn start(host: &Host, binary: &str, text: &str) -> (Option<i32>, String) {
    let mut d = if binary == STOCK {
        Daemon::start_stock(host, binary.as_ref(), text)
    } else {
        Daemon::start(host, binary.as_ref(), text)
    };
    let code = d.wait_exit(Duration::from_secs(3));
    if code.is_none() {
        d.signal(nix::sys::signal::Signal::SIGTERM);
        assert!(
            d.wait_exit(Duration::from_secs(10)).is_some(),
            "{binary} stops"
        );
    }
    let log = d.log_text();
    let _ = std::fs::remove_file(&d.log);
    (code, log)
}

/// Each case: the instance's extra lines, the messages both print, whether both refuse
/// to run it.
const CASES: &[(&str, &[&str], bool)] = &[
    (
        " vrf nosuchdev\n",
        &[
            "(VI_1) WARNING - VRF interface nosuchdev doesn't exist",
            "Non-existent interface specified in configuration",
        ],
        true,
    ),
    (" vrf eth0\n", &["(VI_1) Unknown interface!"], true),
    (
        " vrf lo\n",
        &[
            "(VI_1) cannot use a loopback interface (lo) for VRF - ignoring",
            "(VI_1) Unknown interface!",
        ],
        true,
    ),
    (
        " interface eth0\n vrf eth0\n",
        &["(VI_1) Cannot specify VRF interface and interface - ignoring"],
        false,
    ),
    (
        " vrf eth0\n interface eth0\n vrf abcdefghijklmnopq\n",
        &[
            "(VI_1) VRF interface name 'abcdefghijklmnopq' too long - ignoring",
            "(VI_1) vrf can only be specified without interface - clearing",
        ],
        false,
    ),
];

#[test]
fn vrf_gives_keepalived_messages_and_outcome() {
    assert!(
        std::path::Path::new(STOCK).exists(),
        "{STOCK} is missing: install Debian's keepalived"
    );
    let lab = Lab::new(&["a"], false);
    let host = lab.node("a");
    for (lines, messages, refused) in CASES {
        let text = instance(lines);
        let (stock_rc, stock_out) = check(host, STOCK, &text);
        let (ours_rc, ours_out) = check(host, OURS, &text);
        let ctx = format!("{lines}--- stock ---\n{stock_out}--- ours ---\n{ours_out}");
        assert_eq!(ours_rc, stock_rc, "-t exit code\n{ctx}");
        assert_eq!(stock_rc, 5, "{ctx}");
        assert!(!ours_out.contains("has no effect"), "{ctx}");
        for m in *messages {
            assert!(stock_out.contains(m), "stock -t: {m}\n{ctx}");
            assert!(ours_out.contains(m), "ours -t: {m}\n{ctx}");
        }
        let (stock_code, stock_log) = start(host, STOCK, &text);
        let (ours_code, ours_log) = start(host, OURS, &text);
        let ctx = format!("{lines}--- stock ---\n{stock_log}--- ours ---\n{ours_log}");
        assert_eq!(stock_code.is_some(), *refused, "stock runs?\n{ctx}");
        assert_eq!(ours_code.is_some(), *refused, "ours runs?\n{ctx}");
        assert_eq!(ours_code, stock_code, "start-up exit code\n{ctx}");
        for m in *messages {
            assert!(stock_log.contains(m), "stock log: {m}\n{ctx}");
            assert!(ours_log.contains(m), "ours log: {m}\n{ctx}");
        }
    }
}
