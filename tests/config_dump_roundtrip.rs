//! `--dump-conf` prints the effective configuration; reading that text back must give an
//! equal model, for generated configurations (proptest) and for every corpus file.

use keepalived_rs::config::check;
use keepalived_rs::config::dump_config as dump;
use keepalived_rs::config::model::Config;
use keepalived_rs::config::source::{load_file, load_str, SourceOptions};
use proptest::prelude::*;
use std::path::Path;

fn reparse(text: &str) -> Config {
    let opts = SourceOptions {
        config_id: "vm".into(),
        ..SourceOptions::default()
    };
    check(
        load_str("dump.conf", text, Path::new("/nonexistent"), &opts),
        None,
    )
    .config
}

/// `config` dumped and read back is the same model.
fn assert_dumps_back(config: Config) {
    let dumped = dump(&config);
    assert_eq!(
        comparable(config),
        comparable(reparse(&dumped)),
        "dump was:\n{dumped}"
    );
}

/// Model fields that dumping cannot carry are cleared before comparing (the list of
/// skipped unsupported blocks is a note, not configuration).
fn comparable(mut c: Config) -> Config {
    c.unsupported.clear();
    c
}

#[allow(clippy::too_many_arguments)]
fn instance_text(
    i: usize,
    prio: u8,
    vrid: u8,
    v3: bool,
    auth: bool,
    nopreempt: bool,
    adv_cs: u32,
    vips: &[(u8, u8)],
) -> String {
    let mut s = format!(
        "vrrp_instance VI_{i} {{\n interface eth{}\n virtual_router_id {vrid}\n priority {prio}\n",
        i % 3
    );
    if v3 {
        s.push_str(&format!(
            " version 3\n advert_int {}.{:02}\n",
            adv_cs / 100,
            adv_cs % 100
        ));
    } else {
        s.push_str(&format!(" advert_int {}\n", adv_cs / 100 + 1));
    }
    if auth && !v3 {
        s.push_str(" authentication {\n auth_type PASS\n auth_pass pw{i}\n }\n");
    }
    if nopreempt {
        s.push_str(" state BACKUP\n nopreempt\n");
    }
    s.push_str(" virtual_ipaddress {\n");
    for (a, b) in vips {
        s.push_str(&format!("  198.18.{a}.{b}/24 dev eth0 label eth0:{b}\n"));
    }
    s.push_str(
        " }\n track_script {\n  chk weight -5\n }\n notify_master \"/bin/echo master\"\n}\n",
    );
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn dump_reparses_to_an_equal_model(
        insts in prop::collection::vec(
            (1u8..=255, 1u8..=255, any::<bool>(), any::<bool>(), any::<bool>(), 1u32..4000,
             prop::collection::vec((0u8..=255, 1u8..=254), 1..4)),
            1..6),
        strict in any::<bool>(),
    ) {
        let mut text = String::from("global_defs {\n router_id r1\n vrrp_garp_master_delay 3\n");
        if strict { text.push_str(" vrrp_skip_check_adv_addr\n"); }
        text.push_str("}\nvrrp_script chk {\n script \"/bin/true\"\n interval 2\n weight -10\n}\n");
        for (i, (prio, vrid, v3, auth, nopreempt, adv, vips)) in insts.iter().enumerate() {
            text.push_str(&instance_text(i, *prio, *vrid, *v3, *auth, *nopreempt, *adv, vips));
        }
        let first = reparse(&text);
        let dumped = dump(&first);
        let second = reparse(&dumped);
        prop_assert_eq!(comparable(first), comparable(second), "dump was:\n{}", dumped);
    }
}

#[test]
fn every_corpus_file_dumps_to_an_equal_model() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/corpus/configs");
    let opts = SourceOptions {
        config_id: "vm".into(),
        ..SourceOptions::default()
    };
    let mut n = 0;
    for e in std::fs::read_dir(&corpus).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "conf") {
            continue;
        }
        let checked = check(load_file(&p, &opts), None);
        if checked.exit_code() == 2 {
            // keepalived stopped reading: the model is partial by definition.
            continue;
        }
        let first = checked.config;
        let dumped = dump(&first);
        let second = reparse(&dumped);
        assert_eq!(
            comparable(first),
            comparable(second),
            "{}:\n{dumped}",
            p.display()
        );
        n += 1;
    }
    assert!(n >= 140, "only {n} corpus files round-tripped");
}

/// The links an instance makes besides its own interface and their GARPs (issue 14):
/// every form dumps back to the same model.
#[test]
fn extra_link_keywords_dump_to_an_equal_model() {
    let text = "global_defs {\n vmac_addr_prefix va\n vrrp_garp_extra_if all 7\n}\n\
                vrrp_instance A {\n interface eth0\n virtual_router_id 1\n use_vmac\n use_vmac_addr\n \
                garp_extra_if 0\n virtual_ipaddress {\n 198.18.0.1/24\n 198.18.1.1/24 dev eth1 use_vmac\n }\n}\n\
                vrrp_instance B {\n interface eth0\n virtual_router_id 2\n \
                use_ipvlan ipv0 198.18.0.50/24 private\n vmac_garp_intvl all 5\n virtual_ipaddress {\n 198.18.0.2/24\n }\n}\n\
                vrrp_instance C {\n interface eth0\n virtual_router_id 3\n native_ipv6\n \
                virtual_ipaddress {\n 2001:db8::3/64\n }\n}\n";
    let first = reparse(text);
    let (a, b, c) = (
        &first.instances[0],
        &first.instances[1],
        &first.instances[2],
    );
    assert_eq!(first.global.vmac_addr_prefix.as_deref(), Some("va"));
    assert!(first.global.garp_extra_if.all && first.global.garp_extra_if.interval == 7);
    assert!(a.use_vmac_addr && a.garp_extra_if.is_some_and(|g| g.interval == 0 && !g.all));
    let ipvlan = b.use_ipvlan.as_ref().expect("use_ipvlan");
    assert_eq!(ipvlan.name.as_deref(), Some("ipv0"));
    assert_eq!(ipvlan.address, Some(("198.18.0.50".parse().unwrap(), 24)));
    assert!(b.garp_extra_if.is_some_and(|g| g.interval == 5 && g.all));
    assert!(c.native_ipv6);
    assert_dumps_back(first);
}

/// Link polling (issue 14): the top-level flag, the block with and without methods (an
/// unknown method is kept as no method, as keepalived polls that line) and the instance's
/// deprecated flag dump back to the same model.
#[test]
fn linkbeat_keywords_dump_to_an_equal_model() {
    use keepalived_rs::config::model::LinkMethod;
    let text = "linkbeat_use_polling\nlinkbeat_interfaces {\n eth0 MII\n eth1\n eth2 IOCTL\n eth3 FOO\n}\n\
                linkbeat_interfaces {\n eth4 ETHTOOL\n}\n\
                vrrp_instance A {\n interface eth0\n virtual_router_id 1\n linkbeat_use_polling\n}\n";
    let first = reparse(text);
    assert!(first.linkbeat.use_polling && first.instances[0].linkbeat_use_polling);
    let methods: Vec<Option<LinkMethod>> =
        first.linkbeat.interfaces.iter().map(|l| l.method).collect();
    assert_eq!(
        methods,
        [
            Some(LinkMethod::Mii),
            None,
            Some(LinkMethod::Ioctl),
            None,
            Some(LinkMethod::Ethtool)
        ]
    );
    assert_dumps_back(first);
}

/// `interface_up_down_delays` (issue 14): both delays of every line dump back, a repeated
/// interface keeps the later line, a missing up delay is 0.
#[test]
fn up_down_delays_dump_to_an_equal_model() {
    let text = "interface_up_down_delays {\n eth0 2 3\n eth1 0.5\n eth0 1.25 254.999999\n}\n";
    let first = reparse(text);
    let delays: Vec<(&str, u128, u128)> = first
        .up_down_delays
        .iter()
        .map(|e| (e.interface.as_str(), e.down.as_micros(), e.up.as_micros()))
        .collect();
    assert_eq!(
        delays,
        [("eth0", 1_250_000, 254_999_999), ("eth1", 500_000, 0)]
    );
    assert_dumps_back(first);
}

/// Static track groups and the static lines naming them (issue 14): the groups are
/// printed before the lines, so the dump reads back to the same model.
#[test]
fn static_track_groups_dump_to_an_equal_model() {
    let text = "static_ipaddress {\n 198.18.4.1/24 dev eth1\n}\n\
                track_group TG {\n group {\n VI_1 VI_2\n }\n}\n\
                track_group EMPTY {\n}\n\
                static_ipaddress {\n 198.18.5.1/24 dev eth1 track_group TG\n}\n\
                static_routes {\n 198.18.6.0/24 dev eth1 track_group TG\n}\n\
                static_rules {\n from 198.18.9.0/24 table 100 iif eth1 track_group TG priority 10\n}\n\
                vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 198.18.0.1/24\n }\n}\n";
    let first = reparse(text);
    assert_eq!(first.track_groups.len(), 2);
    assert_eq!(first.track_groups[0].group, vec!["VI_1", "VI_2"]);
    assert_eq!(first.static_ipaddress[1].track_group.as_deref(), Some("TG"));
    assert_eq!(first.static_routes[0].track_group.as_deref(), Some("TG"));
    assert_eq!(first.static_rules[0].track_group.as_deref(), Some("TG"));
    assert_dumps_back(first);
}
