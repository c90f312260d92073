//! Monitoring compatibility (issue 14): every metric family keepalived-exporter serves from
//! a running keepalived, our `/metrics` serves too, with the same names, labels and values.
//!
//! Stock keepalived 2.2.7 and ours run the same configuration side by side, each in its own
//! namespace and unable to hear the other (isolated bridge ports), so both reach the same
//! states: an instance MASTER, one BACKUP (long advert interval, nobody to hear yet), one
//! FAULT (a weight-0 script that fails). keepalived's data and stats dumps are read with
//! keepalived-exporter's rules ([`exporter_support`]) into the samples the exporter would
//! serve; every one of them must be in our scrape, equal except the advert counters, which
//! move with time. Needs root (network namespaces) and /usr/sbin/keepalived; panics without.

mod exporter_support;
mod lab;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use lab::side_by_side::start_both;
use lab::{expect_within, Lab};
use nix::sys::signal::Signal;

const PORT: u16 = 9651;

/// Families whose values depend on when the daemon was read.
const MOVING: [&str; 2] = [
    "keepalived_advertisements_sent_total",
    "keepalived_advertisements_received_total",
];

fn config(dir: &Path) -> String {
    let ok = dir.join("ok.sh");
    let bad = dir.join("bad.sh");
    std::fs::write(&ok, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::write(&bad, "#!/bin/sh\nexit 1\n").unwrap();
    for f in [&ok, &bad] {
        std::process::Command::new("chmod")
            .args(["755", &f.display().to_string()])
            .status()
            .unwrap();
    }
    format!(
        "global_defs {{\n    metrics_listen 127.0.0.1:{PORT}\n    script_user root\n}}\n\
         vrrp_script chk_ok {{\n    script \"{ok}\"\n    interval 1\n}}\n\
         vrrp_script chk_bad {{\n    script \"{bad}\"\n    interval 1\n    weight 0\n}}\n\
         vrrp_instance VI_M {{\n    state MASTER\n    interface eth0\n    virtual_router_id 61\n\
         \x20   priority 150\n    advert_int 1\n    garp_master_delay 3\n\
         \x20   virtual_ipaddress {{\n        198.18.0.100/24\n        198.18.0.101 dev eth0\n    }}\n\
         \x20   virtual_ipaddress_excluded {{\n        198.18.0.102\n    }}\n\
         \x20   track_script {{\n        chk_ok\n    }}\n}}\n\
         vrrp_instance VI_B {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 62\n\
         \x20   priority 100\n    advert_int 60\n\
         \x20   virtual_ipaddress {{\n        198.18.0.110/24\n    }}\n}}\n\
         vrrp_instance VI_F {{\n    state MASTER\n    interface eth0\n    virtual_router_id 63\n\
         \x20   priority 100\n    advert_int 1\n\
         \x20   virtual_ipaddress {{\n        198.18.0.120/24\n    }}\n\
         \x20   track_script {{\n        chk_bad\n    }}\n}}\n",
        ok = ok.display(),
        bad = bad.display(),
    )
}

/// `name{labels} value` lines of a Prometheus text exposition.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn metrics_carry_every_family_keepalived_exporter_serves() {
    let lab = Lab::side_by_side();
    let (ka_host, our_host) = (lab.node("ka"), lab.node("ours"));
    let (ka, ours) = start_both(ka_host, our_host, |h| config(&h.dir));
    let vip = "198.18.0.100".parse().unwrap();
    expect_within(
        Duration::from_secs(15),
        "VI_M never became MASTER on both",
        &[&ka, &ours],
        || ka_host.has_address(vip) && our_host.has_address(vip),
    );
    // Let the scripts report and the FAULT settle on both.
    std::thread::sleep(Duration::from_secs(3));

    // keepalived's data and stats dumps, once both are complete.
    let data = ka.dump(Signal::SIGUSR1, "keepalived.data", "VI_F");
    let stats = ka.dump(Signal::SIGUSR2, "keepalived.stats", "VI_F");
    let mut expected = exporter_support::exporter_samples(&data, &stats).unwrap();
    expected.extend(exporter_support::exporter_script_samples(&data).unwrap());
    let states: Vec<f64> = ["VI_M", "VI_B", "VI_F"]
        .iter()
        .map(|i| {
            *expected
                .iter()
                .find(|(k, _)| k.starts_with("keepalived_vrrp_state{") && k.contains(i))
                .unwrap()
                .1
        })
        .collect();
    assert_eq!(states, [2.0, 1.0, 3.0], "keepalived's states:\n{data}");

    let text = our_host.scrape_metrics(PORT).expect("ours serves /metrics");
    let ours_samples = samples(&text);
    let mut problems = Vec::new();
    for (key, want) in &expected {
        let family = key.split('{').next().unwrap();
        match ours_samples.get(key) {
            None => problems.push(format!("missing: {key} (keepalived-exporter: {want})")),
            Some(got) if !MOVING.contains(&family) && got != want => {
                problems.push(format!("{key}: ours {got}, keepalived-exporter {want}"))
            }
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n--- keepalived data ---\n{data}\n--- our /metrics ---\n{text}",
        problems.join("\n")
    );
    // The three families the exporter reads and older releases of ours lacked.
    for family in [
        "keepalived_gratuitous_arp_delay_total{",
        "keepalived_script_state{",
        "keepalived_vrrp_excluded_state{",
    ] {
        assert!(
            expected.keys().any(|k| k.starts_with(family)),
            "{family} not produced"
        );
    }
}
