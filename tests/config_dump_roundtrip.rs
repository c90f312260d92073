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
