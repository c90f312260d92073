//! The commented configurations in `samples/`: each passes `keepalived --check-config
//! --skip-host-checks` with no finding, and each says what its name promises (the seed pair
//! as the demo expects it, unicast peers, VRRPv3 over IPv6, a sync group, the MySQL
//! extension).

use keepalived_rs::config::model::{AuthType, Config, InitialState, Version};
use keepalived_rs::config::source::{load_file, SourceOptions};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SAMPLES: &[&str] = &[
    "seed-master.conf",
    "seed-backup.conf",
    "unicast-cloud.conf",
    "vrrpv3-ipv6.conf",
    "sync-group.conf",
    "mysql-pair.conf",
];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// The configuration as the daemon reads it (no host checks: the samples name interfaces
/// of the machines they are meant for).
fn load(name: &str) -> Config {
    let checked =
        keepalived_rs::config::check(load_file(&sample(name), &SourceOptions::default()), None);
    assert!(
        checked.diagnostics.is_empty(),
        "{name}: {:?}",
        checked.diagnostics
    );
    checked.config
}

#[test]
fn every_sample_passes_check_config_with_no_finding() {
    let mut on_disk: Vec<String> = std::fs::read_dir(sample(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".conf"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = SAMPLES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "samples/ and this test list different files"
    );

    for name in SAMPLES {
        let out = Command::new(env!("CARGO_BIN_EXE_keepalived"))
            .args([
                "--check-config",
                "--skip-host-checks",
                "--format=keepalived",
                "-f",
            ])
            .arg(sample(name))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}:\n{stderr}");
        assert!(stderr.is_empty(), "{name} has findings:\n{stderr}");
    }
}

#[test]
fn seed_pair_is_two_masters_differing_only_in_priority_and_router_id() {
    let master = load("seed-master.conf");
    let backup = load("seed-backup.conf");
    for (cfg, priority) in [(&master, 101), (&backup, 100)] {
        let [i] = cfg.instances.as_slice() else {
            panic!("one instance expected, got {}", cfg.instances.len())
        };
        assert_eq!(i.state, InitialState::Master);
        assert_eq!(i.priority, priority);
        assert_eq!(i.virtual_router_id, 41);
        assert_eq!(i.advert_int, Duration::from_secs(1));
        assert_eq!(i.authentication.auth_type, AuthType::Pass);
        assert_eq!(i.authentication.auth_pass.as_deref(), Some("1111"));
        assert_eq!(i.interface.as_deref(), Some("eth0"));
        let [vip] = i.virtuals.virtual_ipaddress.as_slice() else {
            panic!("one VIP expected")
        };
        assert_eq!(vip.addr, "198.18.0.100".parse::<IpAddr>().unwrap());
        assert_eq!(vip.prefix, 24);
    }
    assert_ne!(master.global.router_id, backup.global.router_id);
}

#[test]
fn unicast_sample_lists_its_source_and_peer() {
    let cfg = load("unicast-cloud.conf");
    let i = &cfg.instances[0];
    assert_eq!(
        i.addressing.unicast_src_ip,
        Some("198.18.1.11".parse::<IpAddr>().unwrap())
    );
    assert_eq!(i.addressing.unicast_peer.len(), 1);
    assert_eq!(i.track.script.len(), 1);
    assert!(i.nopreempt && i.state == InitialState::Backup);
}

#[test]
fn vrrpv3_sample_has_an_ipv6_instance_with_sub_second_adverts() {
    let cfg = load("vrrpv3-ipv6.conf");
    let v6 = cfg.instances.iter().find(|i| i.name == "VI_V6").unwrap();
    assert_eq!(v6.version, Version::V3);
    assert_eq!(v6.advert_int, Duration::from_millis(500));
    assert!(v6
        .virtuals
        .virtual_ipaddress
        .iter()
        .all(|a| a.addr.is_ipv6()));
    assert!(cfg.instances.iter().all(|i| i.version == Version::V3));
}

#[test]
fn sync_group_sample_groups_both_instances() {
    let cfg = load("sync-group.conf");
    assert_eq!(cfg.sync_groups.len(), 1);
    let mut members = cfg.sync_groups[0].group.clone();
    members.sort();
    assert_eq!(members, ["VI_INSIDE", "VI_OUTSIDE"]);
    assert_eq!(cfg.instances.len(), 2);
}

#[test]
fn mysql_sample_uses_the_native_check_extension() {
    let cfg = load("mysql-pair.conf");
    assert_eq!(cfg.mysql_checks.len(), 1);
    let check = &cfg.mysql_checks[0];
    assert_eq!(check.name, "local_db");
    assert_eq!(check.replication.max_lag, Some(Duration::from_secs(30)));
    let i = &cfg.instances[0];
    assert_eq!(i.track.mysql.len(), 1);
    assert_eq!(i.track.mysql[0].name, "local_db");
    assert_eq!(i.mysql_read_only.as_deref(), Some("local_db"));
    assert!(cfg.global.metrics_listen.is_some());
}
