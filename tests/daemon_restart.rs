//! A daemon killed with SIGKILL while MASTER leaves its VIPs and eVIPs on the interface.
//! Restarted as a BACKUP (lower priority) while the peer has taken over, it must release
//! them at start-up as keepalived 2.2.7 does ("(VI_1) removing VIPs." before "Entering
//! BACKUP STATE (init)"), or two nodes answer for the VIP. Run for our daemon and, as the
//! reference, for stock keepalived (`KEEPALIVED_STOCK`, default /usr/sbin/keepalived),
//! each pair in network namespaces on a bridge. Also the address owner's case: it
//! releases leftovers the same way and installs them again on taking MASTER.
//! Needs root; panics (never skips) without.

mod lab;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use lab::{wait_for, Daemon, Lab};

const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
const EVIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 101);
/// Master_Down_Interval of the priority-100 backup at advert_int 1 (3.61 s), plus room.
const TAKEOVER: Duration = Duration::from_secs(6);
/// How soon the restarted node must have released the leftovers.
const RELEASE: Duration = Duration::from_secs(2);

fn stock() -> PathBuf {
    std::env::var_os("KEEPALIVED_STOCK")
        .map_or_else(|| PathBuf::from("/usr/sbin/keepalived"), PathBuf::from)
}

/// One instance with a VIP and an eVIP on eth0.
fn config(state: &str, priority: u8) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state {state}\n    interface eth0\n    virtual_router_id 43\n    \
         priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        {VIP}/24\n    }}\n    \
         virtual_ipaddress_excluded {{\n        {EVIP}/24\n    }}\n}}\n"
    )
}

fn start(host: &lab::Host, binary: &str, config: &str) -> Daemon {
    if binary == OURS {
        Daemon::start(host, binary.as_ref(), config)
    } else {
        Daemon::start_stock(host, binary.as_ref(), config)
    }
}

/// Holds both the VIP and the eVIP.
fn holds(host: &lab::Host) -> bool {
    host.has_address(VIP) && host.has_address(EVIP)
}

/// Holds neither.
fn released(host: &lab::Host) -> bool {
    !host.has_address(VIP) && !host.has_address(EVIP)
}

fn crashed_master_restarts_as_backup_and_releases_its_vips(binary: &str) {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let mut a = start(na, binary, &config("MASTER", 101));
    let b = start(nb, binary, &config("BACKUP", 100));
    let logs = |a: &Daemon, b: &Daemon| {
        format!("--- a ---\n{}\n--- b ---\n{}", a.log_text(), b.log_text())
    };
    assert!(
        wait_for(Duration::from_secs(10), || holds(na) && released(nb)).is_some(),
        "a never became the only holder of the VIPs\n{}",
        logs(&a, &b)
    );

    // The crash leaves the addresses behind; b takes over once a's adverts stop.
    a.kill_hard();
    assert!(holds(na), "the killed master's VIPs stay on its interface");
    assert!(
        wait_for(TAKEOVER, || holds(nb)).is_some(),
        "b did not take over\n{}",
        logs(&a, &b)
    );

    // a comes back with a lower priority: BACKUP, and its leftovers must go.
    let before = a.log_text().len();
    let mut a = start(na, binary, &config("BACKUP", 50));
    let took = wait_for(RELEASE, || released(na));
    let restart_log = a.log_text()[before..].to_owned();
    assert!(
        took.is_some(),
        "the restarted backup kept its leftover VIPs: two nodes hold them\n{}",
        logs(&a, &b)
    );
    println!("{binary}: leftovers released {took:?} after the restart");
    let removing = restart_log.find("(VI_1) removing VIPs.");
    let entering = restart_log.find("(VI_1) Entering BACKUP STATE (init)");
    assert!(
        removing.is_some() && entering.is_some() && removing < entering,
        "expected \"removing VIPs.\" before \"Entering BACKUP STATE (init)\":\n{restart_log}"
    );
    assert!(
        restart_log.contains("(VI_1) removing E-VIPs."),
        "no \"removing E-VIPs.\" line:\n{restart_log}"
    );

    // And it stays that way: exactly one node holds them.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        holds(nb) && released(na),
        "exactly one node (b) must hold the VIPs\n{}",
        logs(&a, &b)
    );
    a.kill_hard();
}

#[test]
fn ours_releases_a_crashed_masters_leftover_vips_at_start_up() {
    crashed_master_restarts_as_backup_and_releases_its_vips(OURS);
}

#[test]
fn stock_releases_a_crashed_masters_leftover_vips_at_start_up() {
    let binary = stock();
    assert!(
        binary.exists(),
        "stock keepalived not found at {} (set KEEPALIVED_STOCK)",
        binary.display()
    );
    crashed_master_restarts_as_backup_and_releases_its_vips(&binary.display().to_string());
}

/// An address owner (priority 255) finding its VIPs already on the interface: keepalived
/// releases them at start-up like any instance and installs them again when it takes
/// MASTER a moment later.
fn owner_releases_then_reinstalls_leftover_vips(binary: &str) {
    let lab = Lab::new(&["a"], false);
    let na = lab.node("a");
    na.ip(&["addr", "add", &format!("{VIP}/24"), "dev", "eth0"]);
    na.ip(&["addr", "add", &format!("{EVIP}/24"), "dev", "eth0"]);
    let mut a = start(na, binary, &config("MASTER", 255));
    let settled = wait_for(Duration::from_secs(5), || {
        a.logged("(VI_1) Entering MASTER STATE") && holds(na)
    });
    let log = a.log_text();
    assert!(settled.is_some(), "the owner did not become MASTER:\n{log}");
    let order: Vec<Option<usize>> = [
        "(VI_1) removing VIPs.",
        "(VI_1) Entering MASTER STATE",
        "(VI_1) setting VIPs.",
    ]
    .iter()
    .map(|line| log.find(line))
    .collect();
    assert!(
        order.iter().all(Option::is_some) && order.windows(2).all(|w| w[0] < w[1]),
        "expected removing VIPs, Entering MASTER STATE, setting VIPs in that order:\n{log}"
    );
    a.kill_hard();
}

#[test]
fn ours_owner_releases_then_reinstalls_leftover_vips() {
    owner_releases_then_reinstalls_leftover_vips(OURS);
}

#[test]
fn stock_owner_releases_then_reinstalls_leftover_vips() {
    owner_releases_then_reinstalls_leftover_vips(&stock().display().to_string());
}
