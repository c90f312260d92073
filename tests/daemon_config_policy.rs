//! What the daemon does with a configuration at start-up and on reload, side by side with
//! stock keepalived 2.2.7 where keepalived behaves the same way (issue 13):
//!
//! * files keepalived cannot run (a missing interface, an instance without a VRID) stop
//!   both daemons with exit status 2;
//! * `dynamic_interfaces` lets an instance wait for its interface and start when it appears;
//! * a reload applies what keepalived applies (files with warnings or script-security
//!   findings) and keeps the running configuration only for files keepalived could not run
//!   (where keepalived itself would stop), or, with `reload_check_config`, for files `-t`
//!   does not pass;
//! * the optional metrics endpoint never stops VRRP: a busy port is retried, and a reload
//!   that moves it frees the old port.
//!
//! Needs root (network namespaces); panics without it.

mod lab;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use lab::{wait_for, Daemon, Host, Lab};
use nix::sys::signal::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

fn instance(name: &str, body: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n    state BACKUP\n    priority 100\n    advert_int 1\n{body}}}\n"
    )
}

fn seed(vips: &[&str]) -> String {
    let vips: String = vips.iter().map(|v| format!("        {v}\n")).collect();
    instance(
        "VI_1",
        &format!(
            "    interface eth0\n    virtual_router_id 41\n    virtual_ipaddress {{\n        198.18.0.100/24\n{vips}    }}\n"
        ),
    )
}

fn stock_present() {
    assert!(
        std::path::Path::new(STOCK).exists(),
        "stock keepalived ({STOCK}) is needed: install Debian's keepalived package, as .ci/run does"
    );
}

/// Both daemons stop on `config` with keepalived's exit status, and ours says why.
fn both_refuse(config: &str, status: i32, ours_says: &str) {
    stock_present();
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let mut stock = Daemon::start_stock(a, STOCK.as_ref(), config);
    assert_eq!(
        stock.wait_exit(Duration::from_secs(10)),
        Some(status),
        "stock keepalived:\n{}",
        stock.log_text()
    );
    let mut ours = Daemon::start(a, BIN.as_ref(), config);
    assert_eq!(
        ours.wait_exit(Duration::from_secs(10)),
        Some(status),
        "ours:\n{}",
        ours.log_text()
    );
    assert!(ours.logged(ours_says), "ours:\n{}", ours.log_text());
    assert!(!a.has_address(VIP));
}

#[test]
fn a_missing_interface_stops_both_daemons() {
    let config = seed(&[])
        + &instance(
            "VI_2",
            "    interface eth7\n    virtual_router_id 42\n    virtual_ipaddress {\n        198.18.0.101/24\n    }\n",
        );
    both_refuse(
        &config,
        2,
        "Non-existent interface specified in configuration",
    );
}

#[test]
fn an_instance_without_vrid_stops_both_daemons() {
    let config = seed(&[])
        + &instance(
            "VI_2",
            "    interface eth0\n    virtual_ipaddress {\n        198.18.0.101/24\n    }\n",
        );
    both_refuse(&config, 2, "(VI_2) the virtual router id must be set");
}

/// With `dynamic_interfaces`, an instance on an interface that does not exist yet waits
/// in FAULT and becomes master once the interface appears and has an address; the other
/// instances run meanwhile. Stock keepalived does the same.
#[test]
fn dynamic_interfaces_start_an_instance_when_its_interface_appears() {
    stock_present();
    let config = "global_defs {\n    dynamic_interfaces\n}\n".to_string()
        + &seed(&[])
        + &instance(
            "VI_LATE",
            "    interface late0\n    virtual_router_id 43\n    virtual_ipaddress {\n        198.18.9.100/24\n    }\n",
        );
    let late_vip = "198.18.9.100".parse().unwrap();
    for binary in [BIN, STOCK] {
        let lab = Lab::new(&["a"], false);
        let a = lab.node("a");
        let d = if binary == STOCK {
            Daemon::start_stock(a, binary.as_ref(), &config)
        } else {
            Daemon::start(a, binary.as_ref(), &config)
        };
        wait_for(Duration::from_secs(8), || a.has_address(VIP))
            .unwrap_or_else(|| panic!("{binary}: VI_1 never became master:\n{}", d.log_text()));
        assert!(!a.has_address_on("eth0", late_vip));
        a.ip(&[
            "link", "add", "late0", "type", "veth", "peer", "name", "late1",
        ]);
        a.ip(&["link", "set", "late1", "up"]);
        a.ip(&["link", "set", "late0", "up"]);
        a.ip(&["addr", "add", "198.18.9.1/24", "dev", "late0"]);
        wait_for(Duration::from_secs(8), || {
            a.has_address_on("late0", late_vip)
        })
        .unwrap_or_else(|| panic!("{binary}: VI_LATE never took its VIP:\n{}", d.log_text()));
        if binary == BIN {
            assert!(d.logged(
                "Configuration specifies interface late0 which doesn't currently exist - will use if created"
            ));
            // Adverts really leave on the new interface (not only the state change).
            assert!(
                !d.logged("advert not sent"),
                "adverts failed on the new interface:\n{}",
                d.log_text()
            );
        }
    }
}

/// A file with a script and no `enable_script_security` (`-t` exit 6) and an unknown
/// keyword (`-t` exit 5): keepalived runs and reloads it, so do we. A file keepalived could
/// not run (an instance without a VRID) keeps the running configuration.
#[test]
fn a_reload_applies_what_keepalived_applies() {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let with_findings = |vips: &[&str]| {
        format!(
            "global_defs {{\n    no_such_keyword 1\n}}\nvrrp_script chk {{\n    script \"/bin/true\"\n    interval 1\n}}\n{}",
            seed(vips).replace(
                "    interface eth0\n",
                "    interface eth0\n    track_script {\n        chk\n    }\n"
            )
        )
    };
    let d = Daemon::start(a, BIN.as_ref(), &with_findings(&[]));
    wait_for(Duration::from_secs(8), || a.has_address(VIP))
        .unwrap_or_else(|| panic!("never became master:\n{}", d.log_text()));

    std::fs::write(&d.config, with_findings(&["198.18.0.101/24"])).unwrap();
    d.signal(Signal::SIGHUP);
    let extra = Ipv4Addr::new(198, 18, 0, 101);
    wait_for(Duration::from_secs(5), || a.has_address(extra))
        .unwrap_or_else(|| panic!("the reload was not applied:\n{}", d.log_text()));
    assert!(d.logged("Reload complete"));
    assert!(!d.logged("Reload refused"), "{}", d.log_text());

    let broken = with_findings(&[])
        + &instance(
            "VI_2",
            "    interface eth0\n    virtual_ipaddress {\n        198.18.0.102/24\n    }\n",
        );
    std::fs::write(&d.config, broken).unwrap();
    d.signal(Signal::SIGHUP);
    wait_for(Duration::from_secs(5), || {
        d.logged("Reload refused, keeping the running configuration: (")
    })
    .unwrap_or_else(|| panic!("no refusal:\n{}", d.log_text()));
    assert!(
        d.logged("keepalived.conf: Line 21) (VI_2) the virtual router id must be set"),
        "the refusal names file, line and reason:\n{}",
        d.log_text()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(a.has_address(extra), "the running configuration was lost");
    assert!(!a.has_address(Ipv4Addr::new(198, 18, 0, 102)));
}

/// `reload_check_config FILE`: keepalived's opt-in stricter reload. A file `-t` does not
/// pass is not applied, and `-t`'s report goes to FILE.
#[test]
fn reload_check_config_refuses_files_with_findings() {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let report = a.dir.join("check.log");
    let global = format!(
        "global_defs {{\n    reload_check_config {}\n}}\n",
        report.display()
    );
    let d = Daemon::start(a, BIN.as_ref(), &(global.clone() + &seed(&[])));
    wait_for(Duration::from_secs(8), || a.has_address(VIP))
        .unwrap_or_else(|| panic!("never became master:\n{}", d.log_text()));
    let with_typo = global.replace("global_defs {\n", "global_defs {\n    no_such_keyword\n")
        + &seed(&["198.18.0.101/24"]);
    std::fs::write(&d.config, with_typo).unwrap();
    d.signal(Signal::SIGHUP);
    let refusal = format!(
        "New config failed validation, see {} for details",
        report.display()
    );
    wait_for(Duration::from_secs(5), || d.logged(&refusal))
        .unwrap_or_else(|| panic!("not refused:\n{}", d.log_text()));
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(written.contains("no_such_keyword"), "{written}");
    assert!(!a.has_address(Ipv4Addr::new(198, 18, 0, 101)));
}

fn scrape(host: &Host, addr: SocketAddr) -> Option<String> {
    host.in_namespace(move || {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        Some(body)
    })
}

#[test]
fn a_busy_metrics_port_never_stops_vrrp_and_a_reload_moves_the_endpoint() {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let busy: SocketAddr = "127.0.0.1:9650".parse().unwrap();
    let moved: SocketAddr = "127.0.0.1:9651".parse().unwrap();
    let holder = a.in_namespace(move || TcpListener::bind(busy).expect("bind 9650"));
    let with_listen =
        |addr: SocketAddr| format!("global_defs {{\n    metrics_listen {addr}\n}}\n") + &seed(&[]);
    let d = Daemon::start(a, BIN.as_ref(), &with_listen(busy));
    wait_for(Duration::from_secs(8), || a.has_address(VIP))
        .unwrap_or_else(|| panic!("VRRP did not run with the port busy:\n{}", d.log_text()));
    assert!(
        d.logged("cannot listen for metrics on 127.0.0.1:9650"),
        "{}",
        d.log_text()
    );

    // Freed: the endpoint comes up on its own.
    drop(holder);
    wait_for(Duration::from_secs(10), || {
        scrape(a, busy).is_some_and(|b| b.contains("keepalived_vrrp_state"))
    })
    .unwrap_or_else(|| panic!("the endpoint never came up:\n{}", d.log_text()));

    // A reload to another port frees the old one.
    std::fs::write(&d.config, with_listen(moved)).unwrap();
    d.signal(Signal::SIGHUP);
    wait_for(Duration::from_secs(5), || {
        scrape(a, moved).is_some_and(|b| b.contains("keepalived_vrrp_state"))
    })
    .unwrap_or_else(|| panic!("the moved endpoint does not serve:\n{}", d.log_text()));
    let freed = wait_for(Duration::from_secs(3), || {
        a.in_namespace(move || TcpListener::bind(busy).is_ok())
    });
    assert!(
        freed.is_some(),
        "the old port stayed bound:\n{}",
        d.log_text()
    );
    assert!(a.has_address(VIP));
}
