//! The process-wide settings of `global_defs` on a real daemon, side by side with stock
//! keepalived 2.2.7 on the same configuration (issue 14):
//!
//! * `startup_script` runs before VRRP starts (the VIP is not up yet while it runs) and
//!   `shutdown_script` after VRRP has stopped (the VIP is gone); a `startup_script` that
//!   outlives `startup_script_timeout` is killed and VRRP starts anyway;
//! * `vrrp_priority` is the nice value and `vrrp_cpu_affinity` the CPUs of the process
//!   running VRRP (stock keepalived's VRRP child; ours is one process);
//! * `umask` is the mask of the files the daemon's scripts create;
//! * a setting this build does not act on is announced in the start-up log.
//!
//! Needs root (network namespaces) and Debian's keepalived package; fails loudly without.

mod lab;

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lab::side_by_side::{require_stock, OURS, STOCK};
use lab::{wait_for, Daemon, Host, Lab};

const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

/// A root-owned directory only root can write (`enable_script_security` refuses scripts
/// others could replace, and the lab's directory is under the world-writable /tmp).
fn secure_dir() -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("ka-startstop-")
        .tempdir_in("/run")
        .expect("temp dir in /run");
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    d
}

/// A shell script at `dir/name` appending `NAME vip=yes|no` to `out`, then sleeping.
fn script(dir: &Path, name: &str, out: &Path, sleep: u32) -> PathBuf {
    let path = dir.join(format!("{name}.sh"));
    let body = format!(
        "#!/bin/sh\nif ip -4 addr show | grep -q ' {VIP}/'; then v=yes; else v=no; fi\n\
         echo \"{name} vip=$v\" >> {}\nsleep {sleep}\n",
        out.display()
    );
    fs::write(&path, body).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn config(globals: &str) -> String {
    format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n{globals}}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 43\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    )
}

/// The pid of the process that runs VRRP: stock keepalived's VRRP child, or ours.
fn vrrp_pid(d: &Daemon) -> u32 {
    let from_file = fs::read_to_string(d.dir.join("vrrp.pid"))
        .ok()
        .and_then(|t| t.trim().parse().ok());
    from_file.unwrap_or(d.child.id())
}

/// (nice value, allowed CPUs) of `pid`.
fn nice_and_cpus(pid: u32) -> (i32, String) {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after_name = stat.rsplit_once(") ").expect("stat format").1;
    // Field 19 of stat; the 17th after the name's closing parenthesis.
    let nice = after_name.split(' ').nth(16).unwrap().parse().unwrap();
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let cpus = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap()
        .trim()
        .to_string();
    (nice, cpus)
}

/// What one daemon's run showed: the lines its scripts wrote, the mode of the file they
/// wrote them to, the VRRP process's (nice value, CPUs), and its log.
struct Seen {
    lines: String,
    mode: u32,
    scheduling: (i32, String),
    log: String,
}

/// One daemon's run: scripts, scheduling, stop.
fn scripts_and_scheduling(lab: &Lab, binary: &str, stock: bool) -> Seen {
    let a: &Host = lab.node("a");
    let dir = secure_dir();
    let out = dir.path().join("seen");
    let up = script(dir.path(), "startup", &out, 1);
    let down = script(dir.path(), "shutdown", &out, 0);
    let globals = format!(
        "    startup_script {}\n    shutdown_script {}\n    vrrp_priority -5\n    \
         vrrp_cpu_affinity 0\n    umask 027\n    max_auto_priority 10\n",
        up.display(),
        down.display()
    );
    let mut d = if stock {
        Daemon::start_stock(a, binary.as_ref(), &config(&globals))
    } else {
        Daemon::start(a, binary.as_ref(), &config(&globals))
    };
    wait_for(Duration::from_secs(15), || a.has_address(VIP))
        .unwrap_or_else(|| panic!("{binary}: never became master:\n{}", d.log_text()));
    let scheduling = nice_and_cpus(vrrp_pid(&d));
    assert!(
        d.stop(Duration::from_secs(20)).is_some(),
        "{binary} did not stop"
    );
    let mode = fs::metadata(&out).map_or(0, |m| m.permissions().mode() & 0o777);
    Seen {
        lines: fs::read_to_string(&out).unwrap_or_default(),
        mode,
        scheduling,
        log: d.log_text(),
    }
}

/// A startup script that outlives its timeout: killed, and VRRP starts.
fn startup_timeout(lab: &Lab, binary: &str, stock: bool) -> (Duration, String) {
    let a: &Host = lab.node("a");
    let dir = secure_dir();
    let up = script(dir.path(), "startup", &dir.path().join("seen"), 30);
    let globals = format!(
        "    startup_script {}\n    startup_script_timeout 1\n",
        up.display()
    );
    let mut d = if stock {
        Daemon::start_stock(a, binary.as_ref(), &config(&globals))
    } else {
        Daemon::start(a, binary.as_ref(), &config(&globals))
    };
    let took = wait_for(Duration::from_secs(20), || a.has_address(VIP))
        .unwrap_or_else(|| panic!("{binary}: never became master:\n{}", d.log_text()));
    d.stop(Duration::from_secs(20));
    (took, d.log_text())
}

#[test]
fn startup_and_shutdown_scripts_and_scheduling_match_keepalived() {
    lab::require_root();
    require_stock();
    let lab = Lab::new(&["a"], false);
    let theirs = scripts_and_scheduling(&lab, STOCK, true);
    let ours = scripts_and_scheduling(&lab, OURS, false);
    let our_log = &ours.log;
    assert_eq!(
        theirs.lines, "startup vip=no\nshutdown vip=no\n",
        "keepalived"
    );
    assert_eq!(
        ours.lines, theirs.lines,
        "our scripts saw something else:\n{our_log}"
    );
    assert_eq!(
        theirs.scheduling,
        (-5, "0".to_string()),
        "keepalived's VRRP process"
    );
    assert_eq!(
        ours.scheduling, theirs.scheduling,
        "nice value and CPUs:\n{our_log}"
    );
    // 0666 under umask 027.
    assert_eq!(theirs.mode, 0o640, "keepalived's script's file");
    assert_eq!(ours.mode, theirs.mode, "our script's file:\n{our_log}");
    assert!(
        our_log.contains("'max_auto_priority' has no effect in this build"),
        "the inert setting is not announced:\n{our_log}"
    );

    let (their_took, their_log) = startup_timeout(&lab, STOCK, true);
    let (our_took, our_log) = startup_timeout(&lab, OURS, false);
    for (who, log) in [("keepalived", &their_log), ("ours", &our_log)] {
        assert!(log.contains("startup script timed out"), "{who}:\n{log}");
    }
    eprintln!(
        "master after a timed-out startup script: keepalived {their_took:?}, ours {our_took:?}"
    );
    assert!(our_took < Duration::from_secs(15), "{our_took:?}");
}
