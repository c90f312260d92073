//! `use_vmac` (issue 4): the instance runs on a macvlan `vrrp.<VRID>` carrying the
//! virtual router MAC 00:00:5e:00:01:VRID, so a failover moves the VIP without clients
//! having to learn a new MAC. Needs root; panics without it.

mod lab;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::{wait_for, Daemon, Host, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
const VMAC: &str = "00:00:5e:00:01:29";

fn config(priority: u8) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    use_vmac\n    virtual_router_id 41\n    \
         priority {priority}\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        \
         auth_pass 1111\n    }}\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n}}\n"
    )
}

fn vip_on_vmac(h: &Host) -> bool {
    let out = std::process::Command::new("ip")
        .args(["-n", &h.ns, "-4", "-o", "addr", "show", "dev", "vrrp.41"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains("inet 198.18.0.100/")
}

fn link_exists(h: &Host, name: &str) -> bool {
    std::process::Command::new("ip")
        .args(["-n", &h.ns, "link", "show", "dev", name])
        .output()
        .unwrap()
        .status
        .success()
}

/// Waits until the VIP is on a's `vrrp.41` and not on b's.
fn settled_on_a(na: &Host, nb: &Host, a: &Daemon, b: &Daemon) {
    assert!(
        wait_for(Duration::from_secs(10), || vip_on_vmac(na)
            && !vip_on_vmac(nb))
        .is_some(),
        "VIP not on a's vrrp.41:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
}

#[test]
fn vmac_carries_the_vip_and_the_virtual_mac_across_a_failover() {
    let lab = Lab::new(&["a", "b"], true);
    let (na, nb, client) = (lab.node("a"), lab.node("b"), lab.client());
    let mut a = Daemon::start(na, BIN.as_ref(), &config(101));
    let b = Daemon::start(nb, BIN.as_ref(), &config(100));
    settled_on_a(na, nb, &a, &b);
    let ignore = na.exec(&["cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"]);
    assert_eq!(
        ignore.trim(),
        "1",
        "arp_ignore set on the base interface while running"
    );
    let link = na.ip(&["-o", "link", "show", "dev", "vrrp.41"]);
    assert!(link.contains(&format!("link/ether {VMAC}")), "{link}");

    client.exec(&["ping", "-c", "1", "-W", "1", &VIP.to_string()]);
    let neigh = client.ip(&["neigh", "show", &VIP.to_string()]);
    assert!(
        neigh.contains(VMAC),
        "client learnt {neigh:?}, not the virtual MAC"
    );

    a.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(
        wait_for(Duration::from_secs(3), || vip_on_vmac(nb)).is_some(),
        "VIP did not move to b's vrrp.41:\n{}",
        b.log_text()
    );
    assert_eq!(a.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(
        !link_exists(na, "vrrp.41"),
        "a removed its VMAC interface on exit"
    );
    client.exec(&["ping", "-c", "1", "-W", "1", &VIP.to_string()]);
    let neigh = client.ip(&["neigh", "show", &VIP.to_string()]);
    assert!(
        neigh.contains(VMAC),
        "after failover the client still uses {neigh:?}"
    );
}

/// The source MACs of the VRRP adverts the bridge sees for a few seconds.
fn advert_source_macs(lab: &Lab) -> String {
    let out = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.bridge_ns,
            "timeout",
            "3",
            "tcpdump",
            "-e",
            "-n",
            "-i",
        ])
        .args(["br0", "-c", "2", "ip proto 112"])
        .output()
        .expect("tcpdump");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn vmac_xmit_base_sends_adverts_from_the_base_interface_and_a_named_mac_is_used() {
    let lab = Lab::new(&["a", "b"], true);
    let (na, nb, client) = (lab.node("a"), lab.node("b"), lab.client());
    let own_mac = "02:00:5e:aa:00:29";
    let config = |priority: u8| {
        config(priority).replace(
            "use_vmac\n",
            &format!("use_vmac vrrp.41 {own_mac}\n    vmac_xmit_base\n"),
        )
    };
    let a = Daemon::start(na, BIN.as_ref(), &config(101));
    let b = Daemon::start(nb, BIN.as_ref(), &config(100));
    settled_on_a(na, nb, &a, &b);
    let link = na.ip(&["-o", "link", "show", "dev", "vrrp.41"]);
    assert!(link.contains(&format!("link/ether {own_mac}")), "{link}");
    // Adverts leave from eth0 (its own MAC), not from the macvlan.
    let adverts = advert_source_macs(&lab);
    assert!(
        adverts.contains(&lab::fixed_mac(0, 1)) && !adverts.contains(own_mac),
        "adverts seen: {adverts}"
    );
    // b hears them on its base interface and stays backup; clients use the named MAC.
    assert!(!vip_on_vmac(nb), "b took the VIP while a advertises");
    client.exec(&["ping", "-c", "1", "-W", "1", &VIP.to_string()]);
    let neigh = client.ip(&["neigh", "show", &VIP.to_string()]);
    assert!(neigh.contains(own_mac), "client learnt {neigh:?}");
}
