//! `vrrp_startup_delay` on a real daemon (issue 4): the delay is logged as keepalived logs
//! it, and a lone backup takes over only after the delay plus its master-down interval.
//! Needs root (network namespaces); panics without it.

mod lab;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::{wait_for, Daemon, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

#[test]
fn startup_delay_postpones_the_first_takeover() {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let config = "global_defs {\n    vrrp_startup_delay 2\n}\nvrrp_instance VI_1 {\n    \
                  state BACKUP\n    interface eth0\n    virtual_router_id 41\n    priority 100\n    \
                  advert_int 1\n    virtual_ipaddress {\n        198.18.0.100/24\n    }\n}\n";
    let d = Daemon::start(a, BIN.as_ref(), config);
    // Without the delay it would be master after 3.61 s. (Counted from after the start,
    // so slightly short: the assertion below errs on the safe side.)
    let took = wait_for(Duration::from_secs(10), || a.has_address(VIP))
        .unwrap_or_else(|| panic!("never became master:\n{}", d.log_text()));
    eprintln!("master after {took:?}");
    assert!(
        took >= Duration::from_millis(5_500),
        "master after {took:?}, before the delay (2 s) plus the down interval (3.61 s)"
    );
    assert!(d.log_text().contains("Delaying startup for 2 seconds"));
}
