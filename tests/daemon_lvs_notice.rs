//! A file with `virtual_server` blocks starts the VRRP daemon (those blocks are checked, not
//! run) and says so once in its log, however many such blocks there are. Needs root
//! (network namespaces); panics without it.

mod lab;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::{wait_for, Daemon, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 101);
const ADDED: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 102);
const NOTICE: &str = "virtual_server blocks are checked but not run";

#[test]
fn lvs_blocks_are_announced_once_and_vrrp_runs() {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let lvs = "virtual_server_group web {\n    192.0.2.10 80\n}\n\
               virtual_server group web {\n    protocol TCP\n    lb_algo rr\n    lb_kind DR\n    \
               real_server 192.0.2.100 80 {\n        TCP_CHECK {\n        }\n    }\n}\n\
               virtual_server 192.0.2.20 80 {\n    protocol TCP\n    lb_algo rr\n    lb_kind NAT\n    \
               real_server 192.0.2.101 80 {\n        nb_get_retry 3\n    }\n}\n";
    let config = |vips: &str, lvs: &str| {
        format!(
            "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 42\n    \
             priority 100\n    advert_int 1\n    virtual_ipaddress {{\n{vips}    }}\n}}\n{lvs}"
        )
    };
    let config_first = config("        198.18.0.101/24\n", lvs);
    let d = Daemon::start(a, BIN.as_ref(), &config_first);
    wait_for(Duration::from_secs(10), || a.has_address(VIP))
        .unwrap_or_else(|| panic!("VRRP did not run:\n{}", d.log_text()));
    let log = d.log_text();
    assert_eq!(log.matches(NOTICE).count(), 1, "{log}");
    // The checker-side finding is logged too (keepalived's text), and is no reason to stop.
    assert!(log.contains("Unknown keyword 'nb_get_retry'"), "{log}");

    // A checker script without script security makes keepalived's -t exit 6, but this
    // daemon runs no checker script: a reload adding a VIP is applied, not refused.
    let with_script = lvs.replace("nb_get_retry 3", "notify_down /bin/true");
    let vips = "        198.18.0.101/24\n        198.18.0.102/24\n";
    std::fs::write(&d.config, config(vips, &with_script)).unwrap();
    d.signal(nix::sys::signal::Signal::SIGHUP);
    wait_for(Duration::from_secs(5), || a.has_address(ADDED))
        .unwrap_or_else(|| panic!("the reload was not applied:\n{}", d.log_text()));
    assert!(!d.log_text().contains("Reload refused"), "{}", d.log_text());
    // The same file, checked: keepalived's exit code 6 for it.
    let t = std::process::Command::new(BIN)
        .args(["-t", "--format=keepalived", "-f"])
        .arg(&d.config)
        .output()
        .expect("run -t");
    let said = String::from_utf8_lossy(&t.stderr);
    assert_eq!(t.status.code(), Some(6), "{said}");
    assert!(
        said.contains("SECURITY VIOLATION - check scripts"),
        "{said}"
    );
}
