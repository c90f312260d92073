//! Nothing inert stays silent: every row of every keyword table is either a setting the
//! daemon acts on (it changes the typed model, or is judged with a finding) or is declared
//! inert with its reason (`Keyword::inert`), and a declared row announces itself where it
//! is written: a notice naming the keyword, in `-t` and in the daemon's start-up log (which
//! logs every finding of the check).
//!
//! Walked generically: each row is written with an argument into a small file of its
//! block kind and checked in-process; then one file holding every declared row is checked
//! by our binary's `-t`, which must report each of them. No root needed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use keepalived_rs::config::diag::Severity;
use keepalived_rs::config::keywords::{
    global, instance, objects, top, track_group, Inert, Keyword,
};
use keepalived_rs::config::source::{load_str, SourceOptions};
use keepalived_rs::config::{check, Checked};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");

/// An instance every file has, so that the VRRP side is checked as a whole.
const INSTANCE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n \
                        priority 100\n virtual_ipaddress {\n 198.18.0.1\n }\n";

/// One table: its rows (name, inert) and how to write a line of it into a whole file.
struct Table {
    block: &'static str,
    rows: Vec<(&'static str, Option<Inert>)>,
    file: fn(&str) -> String,
}

fn rows<T>(table: &[Keyword<T>]) -> Vec<(&'static str, Option<Inert>)> {
    table.iter().map(|k| (k.name, k.inert)).collect()
}

fn tables() -> Vec<Table> {
    vec![
        Table {
            block: "top level",
            rows: rows(top::TOP),
            file: |l| format!("{l}\n{INSTANCE}}}\n"),
        },
        Table {
            block: "global_defs",
            rows: rows(global::GLOBAL),
            file: |l| format!("global_defs {{\n {l}\n}}\n{INSTANCE}}}\n"),
        },
        Table {
            block: "vrrp_instance",
            rows: rows(instance::INSTANCE),
            file: |l| format!("{INSTANCE} {l}\n}}\n"),
        },
        Table {
            block: "vrrp_script",
            rows: rows(objects::SCRIPT),
            file: |l| format!("vrrp_script chk {{\n script /bin/true\n {l}\n}}\n{INSTANCE}}}\n"),
        },
        Table {
            block: "vrrp_sync_group",
            rows: rows(objects::SYNC_GROUP),
            file: |l| {
                format!("{INSTANCE}}}\nvrrp_sync_group G {{\n group {{\n VI_1\n }}\n {l}\n}}\n")
            },
        },
        Table {
            block: "track_group",
            rows: rows(track_group::TRACK_GROUP),
            file: |l| format!("track_group TG {{\n {l}\n}}\n{INSTANCE}}}\n"),
        },
        Table {
            block: "track_file",
            rows: rows(objects::TRACK_FILE),
            file: |l| format!("track_file tf {{\n file /tmp/walk\n {l}\n}}\n{INSTANCE}}}\n"),
        },
        Table {
            block: "vrrp_track_process",
            rows: rows(objects::TRACK_PROCESS),
            file: |l| format!("vrrp_track_process tp {{\n process walk\n {l}\n}}\n{INSTANCE}}}\n"),
        },
        Table {
            block: "mysql_check",
            rows: rows(objects::MYSQL_CHECK),
            file: |l| format!("mysql_check m {{\n {l}\n}}\n{INSTANCE}}}\n"),
        },
    ]
}

/// Lines writing `name` with a value: a number no keyword takes as its default, a block
/// with an address in it, and `off` (for a flag that is on by default). A row is acted on
/// when any of them changes the model or is judged.
fn lines(name: &str) -> [String; 3] {
    [
        format!("{name} 7"),
        format!("{name} {{\n 198.18.0.9\n }}"),
        format!("{name} off"),
    ]
}

fn checked(text: &str) -> Checked {
    let pre = load_str("walk.conf", text, Path::new("/"), &SourceOptions::default());
    check(pre, None)
}

/// Every `other` map of the model: keywords kept as written and not acted on.
fn kept(c: &Checked) -> BTreeMap<String, Vec<String>> {
    let cfg = &c.config;
    let mut all = cfg.global.other.clone();
    for i in &cfg.instances {
        all.extend(i.other.clone());
    }
    for p in &cfg.track_processes {
        all.extend(p.other.clone());
    }
    all
}

fn findings(c: &Checked) -> Vec<(Severity, String)> {
    c.diagnostics
        .iter()
        .map(|d| (d.severity, d.message.clone()))
        .collect()
}

/// Whether a notice names `keyword` (as a whole word).
fn announced(notices: &[(Severity, String)], keyword: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    notices
        .iter()
        .any(|(s, m)| *s == Severity::Notice && m.split(|c| !word(c)).any(|w| w == keyword))
}

#[test]
fn every_row_is_acted_on_or_declared_and_announced() {
    let mut silent = Vec::new();
    let mut unannounced = Vec::new();
    let mut declared = 0;
    let mut acted = 0;
    for t in tables() {
        let base = checked(&(t.file)(""));
        for (name, inert) in &t.rows {
            let with = checked(&(t.file)(&lines(name)[0]));
            match inert {
                Some(_) => {
                    declared += 1;
                    if !announced(&findings(&with), name) {
                        unannounced.push(format!("{} {name}", t.block));
                    }
                }
                None => {
                    acted += 1;
                    // Acted on: the typed model changes, or the value is judged; never
                    // kept as written in an `other` map.
                    let mut changed = false;
                    let mut kept_as_written = BTreeMap::new();
                    for l in lines(name) {
                        let with = checked(&(t.file)(&l));
                        changed |= with.config != base.config
                            || findings(&with).len() > findings(&base).len();
                        kept_as_written.extend(kept(&with));
                    }
                    if !changed || !kept_as_written.is_empty() {
                        silent.push(format!("{} {name} (kept: {kept_as_written:?})", t.block));
                    }
                }
            }
        }
    }
    eprintln!("{acted} rows acted on, {declared} declared inert");
    assert!(
        silent.is_empty() && unannounced.is_empty(),
        "rows neither acted on nor declared inert: {silent:#?}\n\
         declared inert without a notice: {unannounced:#?}"
    );
}

/// The notices are what `-t` prints: one file with every declared row of the VRRP side's
/// tables, checked by the binary, reports each keyword.
#[test]
fn minus_t_reports_each_declared_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::new();
    let mut names = Vec::new();
    let mut instance_lines = String::new();
    for (name, inert) in rows(top::TOP) {
        if inert.is_some() {
            names.push(name);
            let usage = top::TOP.iter().find(|k| k.name == name).unwrap().usage;
            if usage.contains('{') {
                text.push_str(&format!("{name} walk {{\n}}\n"));
            } else {
                text.push_str(&format!("{name} 7\n"));
            }
        }
    }
    text.push_str("global_defs {\n");
    for (name, inert) in rows(global::GLOBAL) {
        if inert.is_some() {
            names.push(name);
            text.push_str(&format!(" {name} 7\n"));
        }
    }
    text.push_str("}\n");
    for (name, inert) in rows(instance::INSTANCE) {
        if inert.is_some() {
            names.push(name);
            instance_lines.push_str(&format!(" {name} 7\n"));
        }
    }
    text.push_str(&format!("{INSTANCE}{instance_lines}}}\n"));
    let file = dir.path().join("inert.conf");
    std::fs::write(&file, &text).unwrap();
    let out = Command::new(BIN)
        .args(["-t", "--format=json", "--skip-host-checks", "-f"])
        .arg(&file)
        .output()
        .expect("run -t");
    let notices: Vec<(Severity, String)> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["severity"] == "notice")
        .map(|v| {
            (
                Severity::Notice,
                v["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let missing: Vec<&&str> = names.iter().filter(|n| !announced(&notices, n)).collect();
    assert!(
        missing.is_empty(),
        "-t did not announce {missing:?}\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(names.len() > 50, "only {} declared rows found", names.len());
}
