//! The daemon with health tracking and notifications wired in, in network namespaces:
//! a failing `vrrp_script` moves mastership by its weight, notify scripts get
//! keepalived's arguments (and a reload's new scripts are the ones run after it), and the
//! USR1 / JSON dumps describe the running state.
//! Needs root; panics (never skips) without it.

mod lab;

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use lab::{expect_within, wait_for, Daemon, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

fn write_script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The seed instance with a `vrrp_script` that fails while `flag` exists, and notify
/// scripts appending their process id and arguments to `notes`.
fn config(priority: u8, dir: &Path) -> String {
    let check = dir.join("check.sh");
    write_script(&check, &format!("test ! -e {}", dir.join("fail").display()));
    let notify = dir.join("notify.sh");
    write_script(
        &notify,
        &format!("echo \"$$ $@\" >> {}", dir.join("notes").display()),
    );
    let master = dir.join("master.sh");
    write_script(
        &master,
        &format!("echo \"$$ master $@\" >> {}", dir.join("notes").display()),
    );
    format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n}}\n\
         vrrp_script chk {{\n    script \"{check}\"\n    interval 0.2\n    weight -20\n    fall 1\n    rise 1\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 41\n    \
         priority {priority}\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        \
         auth_pass 1111\n    }}\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n    \
         track_script {{\n        chk\n    }}\n    notify \"{notify}\"\n    notify_master \"{master} one\"\n}}\n",
        check = check.display(),
        notify = notify.display(),
        master = master.display(),
    )
}

#[test]
fn failing_script_moves_the_vip_and_notifies_run_with_keepalived_arguments() {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let a = Daemon::start(na, BIN.as_ref(), &config(101, &na.dir));
    let b = Daemon::start(nb, BIN.as_ref(), &config(100, &nb.dir));
    expect_within(
        Duration::from_secs(10),
        "VIP never settled on a",
        &[&a, &b],
        || na.has_address(VIP) && !nb.has_address(VIP),
    );
    let notes = na.dir.join("notes");
    assert!(
        wait_for(Duration::from_secs(2), || {
            let n = std::fs::read_to_string(&notes).unwrap_or_default();
            n.contains("INSTANCE VI_1 MASTER 101") && n.contains("master one")
        })
        .is_some(),
        "notify scripts on a: {:?}\n{}",
        std::fs::read_to_string(&notes),
        a.log_text()
    );
    let text = std::fs::read_to_string(&notes).unwrap();
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.ends_with(" INSTANCE VI_1 BACKUP 101")),
        "{text}"
    );
    // keepalived order: the specific script is started, then the generic one. Both run
    // at once, so which writes first is up to the scheduler; process ids, handed out in
    // fork order, show which was started first.
    let pid_of = |needle: &str| -> u32 {
        let line = text.lines().find(|l| l.contains(needle)).unwrap();
        line.split(' ').next().unwrap().parse().unwrap()
    };
    assert!(
        pid_of("master one") < pid_of("INSTANCE VI_1 MASTER 101"),
        "{text}"
    );

    // The check fails on a: 101 - 20 = 81 < 100, so b preempts.
    std::fs::write(na.dir.join("fail"), "").unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || nb.has_address(VIP)
            && !na.has_address(VIP))
        .is_some(),
        "b did not take over:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
    assert!(a.logged("VRRP_Script(chk) failed"), "{}", a.log_text());
    assert!(
        a.logged("(VI_1) Changing effective priority from 101 to 81"),
        "{}",
        a.log_text()
    );

    // The dumps show it.
    a.signal(nix::sys::signal::Signal::SIGUSR1);
    a.signal_number(libc::SIGRTMIN() + 2);
    let data = na.dir.join("keepalived.data");
    let json = na.dir.join("keepalived.json");
    assert!(wait_for(Duration::from_secs(2), || data.exists() && json.exists()).is_some());
    std::thread::sleep(Duration::from_millis(100));
    let data = std::fs::read_to_string(data).unwrap();
    assert!(data.contains("------< VRRP Topology >------"), "{data}");
    assert!(data.contains(" VRRP Instance = VI_1"), "{data}");
    assert!(data.contains("   State = BACKUP"), "{data}");
    assert!(data.contains("   Effective priority = 81"), "{data}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(json[0]["data"]["iname"], "VI_1");
    assert_eq!(json[0]["data"]["state"], 1);
    assert_eq!(json[0]["data"]["effective_priority"], 81);

    // The check recovers: a preempts back.
    std::fs::remove_file(na.dir.join("fail")).unwrap();
    assert!(
        wait_for(Duration::from_secs(8), || na.has_address(VIP)
            && !nb.has_address(VIP))
        .is_some(),
        "a did not preempt back:\n{}",
        a.log_text()
    );
    assert!(a.logged("VRRP_Script(chk) succeeded"), "{}", a.log_text());
}

/// One instance without scripts; `more` adds a generic `notify` to it and a second
/// instance with the same script.
fn reload_config(dir: &Path, more: bool) -> String {
    let notify = dir.join("notify.sh");
    write_script(
        &notify,
        &format!("echo \"$@\" >> {}", dir.join("notes").display()),
    );
    let instance = |name: &str, vrid: u8, vip: &str, script: bool| {
        format!(
            "vrrp_instance {name} {{\n    state MASTER\n    interface eth0\n    virtual_router_id {vrid}\n    \
             priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}\n    }}\n{}}}\n",
            if script {
                format!("    notify \"{}\"\n", notify.display())
            } else {
                String::new()
            }
        )
    };
    let mut text =
        String::from("global_defs {\n    enable_script_security\n    script_user root\n}\n");
    text.push_str(&instance("VI_1", 41, "198.18.0.100/24", more));
    if more {
        text.push_str(&instance("VI_2", 42, "198.18.0.101/24", true));
    }
    text
}

#[test]
fn a_reload_brings_new_notify_scripts_for_new_and_kept_instances() {
    let lab = Lab::new(&["a"], false);
    let na = lab.node("a");
    let a = Daemon::start(na, BIN.as_ref(), &reload_config(&na.dir, false));
    assert!(
        wait_for(Duration::from_secs(10), || na.has_address(VIP)).is_some(),
        "a never became master:\n{}",
        a.log_text()
    );
    std::fs::write(&a.config, reload_config(&na.dir, true)).unwrap();
    a.signal(nix::sys::signal::Signal::SIGHUP);
    let notes = na.dir.join("notes");
    let read = || std::fs::read_to_string(&notes).unwrap_or_default();
    // The new instance starts with the new configuration's script.
    assert!(
        wait_for(Duration::from_secs(10), || read()
            .contains("INSTANCE VI_2 MASTER 100"))
        .is_some(),
        "notes: {:?}\n{}",
        read(),
        a.log_text()
    );
    assert!(
        read().starts_with("INSTANCE VI_2 BACKUP 100\n"),
        "{}",
        read()
    );
    // The kept instance, which had no script, now has one: it runs at the stop.
    a.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(
        wait_for(Duration::from_secs(5), || read()
            .contains("INSTANCE VI_1 STOP 100"))
        .is_some(),
        "notes: {:?}\n{}",
        read(),
        a.log_text()
    );
}
