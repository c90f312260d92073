//! `conformance/corpus-live-differences.txt`: the differences we know of, one
//! `FILE<TAB>PHASE/ASPECT<TAB>reason` line each. The test fails on a difference that is not
//! listed and on a listed one that no longer shows (so the list stays true). With
//! `LIVE_UPDATE=1` the test rewrites the list instead: it keeps the lines (and reasons) of
//! differences still seen, drops the ones gone, and adds new ones with a reason to fill in.
//! Only the files the run covered are touched, so a filtered run updates just those.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::run::FileResult;

/// What a new line's reason says until someone writes the real one.
pub const UNEXPLAINED: &str = "TODO: explain";

/// A reason starting with this holds only on a machine without IPVS (`ip_vs`), where stock
/// keepalived stops when a file asks for `lvs_sync_daemon`. On a machine with IPVS such a
/// file is run and reported but not judged: what keepalived does there was never recorded.
pub const NO_IPVS: &str = "[no ip_vs]";

/// Whether this machine's kernel has IPVS (loaded, or loadable as a module).
pub fn host_has_ipvs() -> bool {
    Path::new("/proc/net/ip_vs").exists()
        || std::process::Command::new("modprobe")
            .args(["-n", "-q", "ip_vs"])
            .status()
            .is_ok_and(|s| s.success())
}

/// (file, phase/aspect) → reason.
pub type Listed = BTreeMap<(String, String), String>;

/// Header kept at the top of the file when it is rewritten.
const HEADER: &str = "\
# Differences between our daemon and keepalived 2.2.7 seen by tests/corpus_live.rs (issue 13):
# FILE<TAB>PHASE/ASPECT<TAB>reason. The test fails if a difference is not listed here and if a
# listed one no longer shows. `LIVE_UPDATE=1 cargo test --release --test corpus_live` rewrites
# this file from a run (reasons of kept lines are kept; new lines get a TODO reason).
";

pub fn load(path: &Path) -> Listed {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut listed = Listed::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(file), Some(key)) = (parts.next(), parts.next()) else {
            panic!(
                "{}:{}: expected FILE<TAB>PHASE/ASPECT<TAB>reason",
                path.display(),
                n + 1
            );
        };
        let reason = parts.next().unwrap_or("").to_string();
        listed.insert((file.to_string(), key.to_string()), reason);
    }
    listed
}

/// How the results stand against the list.
#[derive(Default)]
pub struct Verdict {
    /// Files whose every comparison matched.
    pub same: usize,
    /// Files whose differences are all listed.
    pub listed: usize,
    /// (file, phase/aspect) differing without a line.
    pub unexpected: Vec<(String, String)>,
    /// (file, phase/aspect) listed but matching now.
    pub now_matching: Vec<(String, String)>,
    /// Files the harness could not run.
    pub errors: Vec<(String, String)>,
    /// Files not judged: their listed differences hold only without IPVS (see [`NO_IPVS`]).
    pub not_judged: Vec<String>,
}

pub fn judge(results: &[FileResult], listed: &Listed, has_ipvs: bool) -> Verdict {
    let mut v = Verdict::default();
    for r in results {
        if let Some(e) = &r.error {
            v.errors.push((r.key.clone(), e.clone()));
            continue;
        }
        let needs_no_ipvs = listed
            .iter()
            .any(|((f, _), reason)| *f == r.key && reason.starts_with(NO_IPVS));
        if has_ipvs && needs_no_ipvs {
            v.not_judged.push(r.key.clone());
            continue;
        }
        let mut unexpected = false;
        for key in r.differences.keys() {
            if !listed.contains_key(&(r.key.clone(), key.clone())) {
                v.unexpected.push((r.key.clone(), key.clone()));
                unexpected = true;
            }
        }
        for ((file, key), _) in listed.iter().filter(|((f, _), _)| *f == r.key) {
            if !r.differences.contains_key(key) {
                v.now_matching.push((file.clone(), key.clone()));
            }
        }
        if r.differences.is_empty() {
            v.same += 1;
        } else if !unexpected {
            v.listed += 1;
        }
    }
    v
}

/// The list rewritten from `results` for the files they cover (see the module doc).
pub fn rewrite(path: &Path, listed: &Listed, results: &[FileResult]) {
    let covered: BTreeSet<&str> = results
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| r.key.as_str())
        .collect();
    let mut out: Listed = listed
        .iter()
        .filter(|((f, _), _)| !covered.contains(f.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for r in results.iter().filter(|r| r.error.is_none()) {
        for key in r.differences.keys() {
            let id = (r.key.clone(), key.clone());
            let reason = listed.get(&id).cloned().unwrap_or_else(|| {
                if r.ipvs_missing {
                    format!("{NO_IPVS} {UNEXPLAINED}")
                } else {
                    UNEXPLAINED.to_string()
                }
            });
            out.insert(id, reason);
        }
    }
    let mut text = String::from(HEADER);
    for ((file, key), reason) in &out {
        text.push_str(&format!("{file}\t{key}\t{reason}\n"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
