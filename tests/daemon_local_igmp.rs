//! `disable_local_igmp`, side by side with stock keepalived 2.2.7: while the daemon runs,
//! `net.ipv4.igmp_link_local_mcast_reports` of its namespace is 0, so the kernel sends no
//! IGMP report when the VRRP socket joins 224.0.0.18 (a capture on the segment sees
//! none from that node, and one from a third node running ours without the keyword), and
//! the setting is back to 1 once the daemon has stopped.
//!
//! Needs root, tcpdump and stock keepalived; panics without them.

mod lab;

use std::process::Command;
use std::time::Duration;

use lab::{wait_for, Capture, Daemon, Host, Lab};
use nix::sys::signal::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";

fn config(globals: &str, vrid: u8) -> String {
    format!(
        "global_defs {{\n{globals}}}\n\
         vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id {vrid}\n priority 100\n \
         advert_int 1\n virtual_ipaddress {{\n  198.18.0.10{vrid}/24\n }}\n}}\n"
    )
}

fn reports_on(host: &Host) -> String {
    host.exec(&["cat", "/proc/sys/net/ipv4/igmp_link_local_mcast_reports"])
        .trim()
        .to_owned()
}

/// The IGMP reports in the capture, by sending address.
fn reporters(file: &std::path::Path) -> Vec<String> {
    let out = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(file)
        .output()
        .expect("tcpdump -r");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("igmp") && l.contains("report"))
        .filter_map(|l| {
            let after = l.split(" IP ").nth(1)?;
            Some(after.split_whitespace().next()?.to_owned())
        })
        .collect()
}

#[test]
fn disable_local_igmp_silences_the_group_join_like_keepalived() {
    let lab = Lab::new(&["stock", "ours", "plain"], false);
    let (stock, ours, plain) = (lab.node("stock"), lab.node("ours"), lab.node("plain"));
    for h in [stock, ours, plain] {
        assert_eq!(reports_on(h), "1", "the kernel's default");
    }
    let file = plain.dir.join("igmp.pcap");
    // Every port of the bridge namespace, where each node's frames arrive.
    let capture = Capture::with_filter(&lab, "any", file.clone(), "igmp");
    let mut daemons = vec![
        Daemon::start_stock(stock, STOCK.as_ref(), &config(" disable_local_igmp\n", 1)),
        Daemon::start(ours, BIN.as_ref(), &config(" disable_local_igmp\n", 2)),
        Daemon::start(plain, BIN.as_ref(), &config("", 3)),
    ];
    // The join's report goes out at once; the kernel repeats it within a second or two.
    let joined = wait_for(Duration::from_secs(10), || {
        reporters(&file).iter().any(|r| r == "198.18.0.3")
    });
    assert!(
        joined.is_some(),
        "the plain node's join is reported: {}\n{}",
        daemons[2].log_text(),
        String::from_utf8_lossy(
            &Command::new("tcpdump")
                .args(["-n", "-r"])
                .arg(&file)
                .output()
                .expect("tcpdump -r")
                .stderr
        )
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        reports_on(stock),
        "0",
        "stock keepalived turns the reports off"
    );
    assert_eq!(reports_on(ours), "0", "ours turns the reports off");
    assert_eq!(reports_on(plain), "1", "untouched without the keyword");

    for d in &mut daemons {
        d.signal(Signal::SIGTERM);
        assert!(
            d.wait_exit(Duration::from_secs(10)).is_some(),
            "daemon stops"
        );
    }
    capture.stop();
    let seen = reporters(&file);
    for silent in ["198.18.0.1", "198.18.0.2"] {
        assert!(
            !seen.iter().any(|r| r == silent),
            "{silent} reported a group: {seen:?}"
        );
    }
    assert_eq!(reports_on(stock), "1", "stock keepalived restores it");
    assert_eq!(reports_on(ours), "1", "ours restores it");
}
