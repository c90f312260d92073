//! `-t` on the checker side of the grammar, against stock keepalived 2.2.7: each file of
//! `tests/data/lvs` is checked by `/usr/sbin/keepalived -t` (no root needed) and by our
//! binary, and every finding keepalived prints must be ours too, on the same line with the
//! same text, and nothing more (but the one notice that these blocks are not run), with the
//! same exit code.

use std::path::{Path, PathBuf};
use std::process::Command;

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/lvs");

/// Stock keepalived: `KEEPALIVED_BIN`, default Debian's.
fn stock() -> PathBuf {
    let p = std::env::var_os("KEEPALIVED_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/keepalived"));
    assert!(
        p.exists(),
        "{} not found: install Debian's keepalived package (or set KEEPALIVED_BIN)",
        p.display()
    );
    p
}

/// One finding: its line (when keepalived gives one) and its text.
type Finding = (Option<u32>, String);

/// keepalived's `-t` output: `(FILE: Line N) text` or bare text, and the exit code.
fn keepalived(file: &str) -> (Vec<Finding>, i32) {
    let out = Command::new(stock())
        .args(["-t", "-i", "vm", "-f", file])
        .current_dir(CASES)
        .output()
        .expect("run keepalived -t");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let findings = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(
            |l| match l.strip_prefix('(').and_then(|r| r.split_once(") ")) {
                Some((place, msg)) if place.contains(": Line ") => {
                    let line = place.rsplit("Line ").next().unwrap().parse().ok();
                    (line, msg.to_string())
                }
                _ => (None, l.to_string()),
            },
        )
        .collect();
    (findings, out.status.code().expect("keepalived exited"))
}

/// Our `-t --format=json`: findings with their severities, and the exit code.
fn ours(file: &str) -> (Vec<(Finding, String)>, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_keepalived"))
        .args(["-t", "--format=json", "-i", "vm", "-f", file])
        .current_dir(CASES)
        .output()
        .expect("run our keepalived -t");
    let findings = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let line = v["line"].as_u64().map(|l| l as u32);
            let finding = (line, v["message"].as_str().unwrap().to_string());
            (finding, v["severity"].as_str().unwrap().to_string())
        })
        .collect();
    (findings, out.status.code().expect("exit code"))
}

/// Both agree on `file`: keepalived's findings are all ours (same line where it gives one,
/// any line where it gives none), ours that are findings at all are all keepalived's, and
/// the exit codes are the same. `extra` lists findings of ours keepalived does not print
/// (a documented difference).
fn agree(file: &str, extra: &[&str]) {
    let (ka, ka_rc) = keepalived(file);
    let (ours, our_rc) = ours(file);
    let said = |(line, msg): &Finding| {
        ours.iter()
            .any(|((l, m), _)| m == msg && (line.is_none() || l == line))
    };
    let missing: Vec<&Finding> = ka.iter().filter(|k| !said(k)).collect();
    let surplus: Vec<&Finding> = ours
        .iter()
        .filter(|(_, sev)| sev != "info" && sev != "notice")
        .map(|(f, _)| f)
        .filter(|(l, m)| {
            !extra.contains(&m.as_str())
                && !ka
                    .iter()
                    .any(|(kl, km)| km == m && (kl.is_none() || kl == l))
        })
        .collect();
    assert!(
        missing.is_empty() && surplus.is_empty() && ka_rc == our_rc,
        "{file}: keepalived exit {ka_rc}, ours {our_rc}\n  only keepalived: {missing:?}\n  only ours: {surplus:?}"
    );
}

#[test]
fn number_and_timer_readers_match_keepalived() {
    agree("numbers.conf", &[]);
}

#[test]
fn server_addressing_forwarding_and_completion_match_keepalived() {
    agree("servers.conf", &[]);
}

#[test]
fn group_entries_match_keepalived() {
    agree("groups.conf", &[]);
}

#[test]
fn every_checker_kind_matches_keepalived() {
    agree("checkers.conf", &[]);
}

#[test]
fn checker_scripts_without_script_security_exit_6_as_keepalived() {
    assert!(Path::new("/bin/true").exists(), "/bin/true is needed");
    agree("security.conf", &[]);
}

#[test]
fn a_file_keepalived_accepts_is_accepted() {
    for file in ["clean.conf", "accepted-forms.conf"] {
        agree(file, &[]);
        let (_, rc) = ours(file);
        assert_eq!(rc, 0, "{file}");
    }
}

/// keepalived's `-t` checks its checker process before its VRRP process, and a keyword
/// missing its value stops the test there: it never reports the VRRP side. We report both
/// (conformance/DIFFERENCES.md C2); the exit code is the same.
#[test]
fn a_missing_value_in_an_lvs_block_stops_only_the_lvs_side() {
    agree(
        "abort.conf",
        &[
            "Unknown keyword 'bogus_vrrp_keyword'",
            "(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring",
            "(VI_1) Unknown interface!",
        ],
    );
}

/// A missing value inside a checker ends keepalived's reading there: none of the
/// end-of-block checks of the blocks around it follow.
#[test]
fn a_missing_value_in_a_checker_skips_the_end_of_block_checks() {
    agree("abort-in-checker.conf", &[]);
}
