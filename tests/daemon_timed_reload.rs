//! `reload_time_file`, `config_save_dir` and `reload_file` as an operator sees them, our
//! daemon and stock keepalived 2.2.7 side by side on the same configuration (each in its
//! own lab namespace): a reload time written to the file is announced with the same
//! "Scheduling reload for …" line, the reload happens at that time and the file is removed
//! (no `reload_repeat`); a date in the past is refused with keepalived's words; the saved
//! configurations and the data dumps around the reload carry the same names (the process
//! id aside); the reload marker is gone once the reload is over. Needs root and
//! /usr/sbin/keepalived; panics without.

mod lab;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lab::side_by_side::start_both;
use lab::{expect_within, run, Lab};

const VIP: &str = "198.18.0.181";

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "global_defs {{\n    reload_time_file {d}/reload-at\n    reload_file {d}/reloading\n    \
         config_save_dir {d}/saved\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    \
         virtual_router_id 81\n    priority 150\n    advert_int 1\n    \
         virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    )
}

/// `date` formats: keepalived reads local time, as `date` writes it.
fn local(epoch: u64, format: &str) -> String {
    run("date", &["-d", &format!("@{epoch}"), &format!("+{format}")])
        .trim()
        .to_string()
}

/// The files in `dir/saved`, with the process id (second dot-separated part) as `PID`.
fn saved(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir.join("saved"))
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let mut parts: Vec<&str> = name.split('.').collect();
                    let pid_at = usize::from(name.starts_with("keepalived.conf")) + 1;
                    if parts.len() > pid_at {
                        parts[pid_at] = "PID";
                    }
                    parts.join(".")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_reload_happens_at_the_time_written_in_the_reload_time_file() {
    let lab = Lab::side_by_side();
    let (ka_host, our_host) = (lab.node("ka"), lab.node("ours"));
    let (ka, ours) = start_both(ka_host, our_host, |h| config(&h.dir));
    let both = [&ka, &ours];
    let vip = VIP.parse().unwrap();
    expect_within(Duration::from_secs(15), "not MASTER on both", &both, || {
        ka_host.has_address(vip) && our_host.has_address(vip)
    });
    let daemons = [(&ka, ka_host), (&ours, our_host)];

    // A date in the past: refused by both.
    for (_, h) in daemons {
        std::fs::write(h.dir.join("reload-at"), "2020-01-01 00:00:00\n").unwrap();
    }
    let past = "Reload time 2020-01-01 00:00:00 is in the past - ignoring";
    expect_within(Duration::from_secs(5), past, &both, || {
        ka.logged(past) && ours.logged(past)
    });

    // Three seconds from now, as a time of day.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now + 3;
    for (_, h) in daemons {
        std::fs::write(h.dir.join("reload-at"), local(at, "%H:%M:%S") + "\n").unwrap();
    }
    let announced = format!("Scheduling reload for {}", local(at, "%Y-%m-%d %H:%M:%S"));
    expect_within(Duration::from_secs(5), &announced, &both, || {
        ka.logged(&announced) && ours.logged(&announced)
    });
    assert!(
        !ours.logged("Reloading"),
        "reloaded early:\n{}",
        ours.log_text()
    );
    expect_within(Duration::from_secs(8), "no reload", &both, || {
        ka.logged("Reloading") && ours.logged("Reload complete")
    });
    let when = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(when >= at, "reloaded before {at} (now {when})");
    // Let keepalived's VRRP process finish its reload.
    std::thread::sleep(Duration::from_secs(2));
    for (d, h) in daemons {
        assert!(
            !h.dir.join("reload-at").exists(),
            "reload time file kept:\n{}",
            d.log_text()
        );
        assert!(
            !h.dir.join("reloading").exists(),
            "reload marker left behind:\n{}",
            d.log_text()
        );
    }
    // Both saved the configuration at start and at the reload, and the data around it.
    let ka_saved = saved(&ka_host.dir);
    let our_saved = saved(&our_host.dir);
    let want: BTreeSet<String> = [
        "keepalived.conf.PID.0",
        "keepalived.conf.PID.1",
        "keepalived_vrrp.PID.1.pre",
        "keepalived_vrrp.PID.1.post",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(ka_saved, want, "keepalived's saved files");
    assert_eq!(our_saved, want, "our saved files");
    assert!(ka_host.has_address(vip) && our_host.has_address(vip));
}
