//! The notify FIFO as a FIFO reader sees it, from our daemon and from stock keepalived
//! run the same way: state lines and, with `vrrp_notify_priority_changes`, a
//! `MASTER_PRIORITY` / `BACKUP_PRIORITY` line for each change of the effective priority
//! (keepalived's `send_instance_priority_notifies`). The two must write the same lines in
//! the same order. Needs root and Debian's keepalived; panics (never skips) without them.

mod lab;

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use lab::side_by_side::{require_stock, OURS, STOCK};
use lab::{expect_within, wait_for, Daemon, Lab};

const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

fn write_script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// One master whose priority is 101 + 5 (its tracked interface `trk0` is up), - 20 while the file
/// `fail` exists; the FIFO's reader script appends every line it reads to `lines`.
fn config(dir: &Path) -> String {
    let check = dir.join("check.sh");
    write_script(&check, &format!("test ! -e {}", dir.join("fail").display()));
    let reader = dir.join("reader.sh");
    write_script(
        &reader,
        &format!(
            "while read -r line; do echo \"$line\" >> {}; done < \"$1\"",
            dir.join("lines").display()
        ),
    );
    format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n    \
         vrrp_notify_fifo {fifo}\n    vrrp_notify_fifo_script {reader}\n    \
         vrrp_notify_priority_changes\n}}\n\
         vrrp_script chk {{\n    script \"{check}\"\n    interval 1\n    weight -20\n    fall 1\n    rise 1\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 43\n    \
         priority 101\n    advert_int 1\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n    \
         track_interface {{\n        trk0 weight 5\n    }}\n    track_script {{\n        chk\n    }}\n}}\n",
        fifo = dir.join("notify.fifo").display(),
        reader = reader.display(),
        check = check.display(),
    )
}

fn lines(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("lines")).unwrap_or_default()
}

/// Runs `binary` alone through start-up, a failing and a recovering check and a stop;
/// returns what the FIFO reader had read before the stop, and after it.
fn fifo_lines_of(binary: &str) -> (String, String) {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    // An interface to track other than the instance's own (keepalived ignores that one):
    // a veth pair inside the node's namespace (dummy links need a module not always there).
    lab::run(
        "ip",
        &[
            "-n", &a.ns, "link", "add", "trk0", "type", "veth", "peer", "name", "trk0p",
        ],
    );
    for dev in ["trk0", "trk0p"] {
        lab::run("ip", &["-n", &a.ns, "link", "set", dev, "up"]);
    }
    let daemon = if binary == STOCK {
        Daemon::start_stock(a, binary.as_ref(), &config(&a.dir))
    } else {
        Daemon::start(a, binary.as_ref(), &config(&a.dir))
    };
    let seen = |needle: &str, secs: u64| {
        assert!(
            wait_for(Duration::from_secs(secs), || lines(&a.dir).contains(needle)).is_some(),
            "{binary}: no {needle:?} on the FIFO; it had:\n{}\nlog:\n{}",
            lines(&a.dir),
            daemon.log_text()
        );
    };
    seen("MASTER 106", 10);
    assert!(a.has_address(VIP));
    std::fs::write(a.dir.join("fail"), "").unwrap();
    seen("MASTER_PRIORITY 86", 5);
    std::fs::remove_file(a.dir.join("fail")).unwrap();
    seen("MASTER_PRIORITY 106", 5);
    let before_stop = lines(&a.dir);
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let stopped = || daemon.logged("Stopped Keepalived");
    let what = format!("{binary} did not stop");
    expect_within(Duration::from_secs(5), &what, &[&daemon], stopped);
    std::thread::sleep(Duration::from_millis(300));
    (before_stop, lines(&a.dir))
}

#[test]
fn priority_changes_reach_the_fifo_as_stock_keepalived_writes_them() {
    lab::require_root();
    require_stock();
    let (ours, ours_after_stop) = fifo_lines_of(OURS);
    let (stock, stock_after_stop) = fifo_lines_of(STOCK);
    assert_eq!(ours, stock, "ours:\n{ours}\nkeepalived 2.2.7:\n{stock}");
    // And what that is: the start-up priority is announced before the first state.
    assert_eq!(
        ours,
        "INSTANCE \"VI_1\" BACKUP_PRIORITY 106\n\
         INSTANCE \"VI_1\" BACKUP 106\n\
         INSTANCE \"VI_1\" MASTER 106\n\
         INSTANCE \"VI_1\" MASTER_PRIORITY 86\n\
         INSTANCE \"VI_1\" MASTER_PRIORITY 106\n"
    );
    // Stopping writes STOP. keepalived's reader gets it only when it wins a race with
    // keepalived's exit (DIFFERENCES D4); ours always does: the FIFO is closed, and the
    // reader left to reach its end, before anything is signalled.
    assert_eq!(
        ours_after_stop,
        format!("{ours}INSTANCE \"VI_1\" STOP 106\n")
    );
    assert!(
        stock_after_stop == stock
            || stock_after_stop == format!("{stock}INSTANCE \"VI_1\" STOP 106\n"),
        "{stock_after_stop}"
    );
}
