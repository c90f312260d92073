//! Gratuitous ARP pacing on a real daemon (issue 4): a `garp_group`'s `garp_interval`
//! spaces the announcements sent on its interfaces, as keepalived does.
//! Needs root (network namespaces); panics without it.

mod lab;

use std::process::{Command, Stdio};
use std::time::Duration;

use lab::{Daemon, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");

#[test]
fn a_garp_group_interval_spaces_the_announcements_on_its_interface() {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let config = "garp_group {\n    garp_interval 0.3\n    interface eth0\n}\n\
                  vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 41\n    \
                  priority 101\n    advert_int 1\n    garp_master_repeat 1\n    garp_master_delay 0\n    \
                  virtual_ipaddress {\n        198.18.0.100/24\n        198.18.0.101/24\n        \
                  198.18.0.102/24\n    }\n}\n";
    let filter = format!("arp and ether src {}", lab::fixed_mac(0, 1));
    let dump = Command::new("ip")
        .args(["netns", "exec", &lab.bridge_ns, "timeout", "12", "tcpdump"])
        .args([
            "-tt",
            "-n",
            "-l",
            "--immediate-mode",
            "-i",
            "br0",
            "-c",
            "3",
            &filter,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tcpdump");
    std::thread::sleep(Duration::from_millis(500));
    let d = Daemon::start(a, BIN.as_ref(), config);
    let out = dump.wait_with_output().expect("tcpdump output");
    let text = String::from_utf8_lossy(&out.stdout);
    let times: Vec<f64> = text
        .lines()
        .filter(|l| l.contains("tell 198.18.0.10"))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(times.len(), 3, "GARPs seen:\n{text}\n{}", d.log_text());
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= 0.28,
            "GARPs {gap:.3} s apart, expected ≥ 0.3 s:\n{text}"
        );
    }
}
