//! One file, both daemons side by side (each in its own namespaces, started at the same
//! moment, observed at the same moments), through four phases:
//!
//! | phase | what happens before the observation |
//! |---|---|
//! | `start` | both started; the file's settle time passes |
//! | `reload` | SIGHUP with the same file |
//! | `changed` | the file edited ([`crate::variant`]), SIGHUP |
//! | `stop` | SIGTERM; the daemon exits and its scripts finish |
//!
//! After each phase every aspect of [`crate::observe`] is compared; the result lists the
//! `phase/aspect` keys that differ, with the lines only one side had.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::daemon::{Daemon, Impl, Setup};
use crate::launch::LAUNCHER_FAILED;
use crate::netns::Netns;
use crate::observe::{observe, Network, Snapshot, ASPECTS};
use crate::timing::Plan;
use crate::variant;

/// A file to run: its key in the differences list and where its tree is.
#[derive(Clone, Debug)]
pub struct LiveFile {
    /// `NNN-slug.conf` for the corpus, `samples/NAME` for Debian's samples.
    pub key: String,
    /// The directory to copy (holding the main file and its `.d/` include tree).
    pub source_dir: PathBuf,
    /// The main file's name in `source_dir`; `-f` gets `SUBDIR/NAME`.
    pub name: String,
    /// The subdirectory of the run's configuration directory the tree is copied to
    /// (`configs`, as in the corpus verdicts' command line, or `samples`).
    pub subdir: String,
}

/// The two binaries.
#[derive(Clone, Debug)]
pub struct Binaries {
    pub ours: PathBuf,
    pub keepalived: PathBuf,
}

/// What differed in one `phase/aspect`: lines only ours had, lines only keepalived had.
#[derive(Clone, Debug)]
pub struct Difference {
    pub ours_only: Vec<String>,
    pub keepalived_only: Vec<String>,
}

/// The outcome of one file.
#[derive(Debug)]
pub struct FileResult {
    pub key: String,
    /// `phase/aspect` → difference.
    pub differences: BTreeMap<String, Difference>,
    /// A harness failure (panic), if any: the file was not compared.
    pub error: Option<String>,
    pub elapsed: Duration,
    /// The run's directory (with logs and snapshots).
    pub dir: PathBuf,
    pub notes: Vec<String>,
    /// keepalived could not use IPVS (`lvs_sync_daemon` on a kernel without `ip_vs`): what it
    /// did depends on the machine (see `expected.rs`).
    pub ipvs_missing: bool,
}

/// Runs `file` with both daemons; `tag` makes its namespaces' names unique.
pub fn run(
    file: &LiveFile,
    bins: &Binaries,
    tag: &str,
    dir: &Path,
    interfaces: &[String],
) -> FileResult {
    let started = Instant::now();
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("run dir");
    let mut result = FileResult {
        key: file.key.clone(),
        differences: BTreeMap::new(),
        error: None,
        elapsed: Duration::ZERO,
        dir: dir.to_path_buf(),
        notes: Vec::new(),
        ipvs_missing: false,
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        phases(file, bins, tag, dir, interfaces, &mut result)
    }));
    if let Err(panic) = outcome {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into());
        result.error = Some(msg);
    }
    result.elapsed = started.elapsed();
    result
}

fn phases(
    file: &LiveFile,
    bins: &Binaries,
    tag: &str,
    dir: &Path,
    interfaces: &[String],
    result: &mut FileResult,
) {
    let conf_dir = dir.join("conf");
    copy_tree(&file.source_dir, &file.name, &conf_dir.join(&file.subdir));
    let main = conf_dir.join(&file.subdir).join(&file.name);
    let plan = Plan::of(&main);
    let mut pair: Vec<(Daemon, Network, usize)> = [Impl::Ours, Impl::Keepalived]
        .into_iter()
        .map(|imp| {
            let netns = Netns::create(&format!("{tag}{}", &imp.label()[..1]), interfaces);
            netns.setup(&plan.host_setup);
            netns.wait_for_link_locals();
            let base = Network::read(&netns);
            let setup = Setup {
                binary: match imp {
                    Impl::Ours => &bins.ours,
                    Impl::Keepalived => &bins.keepalived,
                },
                dir: dir.join(imp.label()),
                conf_dir: conf_dir.clone(),
                conf: format!("{}/{}", file.subdir, file.name),
                standins: plan.scripts.clone(),
            };
            (Daemon::start(setup, netns), base, 0)
        })
        .collect();
    let mut report = String::new();
    std::thread::sleep(plan.start);
    let observe_phase =
        |phase: &str, pair: &mut Vec<_>, result: &mut FileResult, report: &mut String| {
            compare(phase, pair, result, report, plan.has_instances)
        };
    observe_phase("start", &mut pair, result, &mut report);
    for (d, _, _) in &pair {
        // A launcher that could not build the daemon's world exits 127 for both daemons
        // alike; that must not pass for agreement.
        let console = fs::read_to_string(d.dir.join("console.log")).unwrap_or_default();
        if let Some(line) = console.lines().find(|l| l.starts_with(LAUNCHER_FAILED)) {
            panic!("{line}");
        }
    }
    let running = |pair: &mut Vec<(Daemon, Network, usize)>| {
        pair.iter_mut().any(|(d, _, _)| d.exited().is_none())
    };
    if running(&mut pair) {
        signal_all(&mut pair, Signal::SIGHUP);
        std::thread::sleep(plan.reload);
        observe_phase("reload", &mut pair, result, &mut report);
        let changes = variant::write_changed(&main);
        result
            .notes
            .push(format!("changed file: {}", changes.join("; ")));
        signal_all(&mut pair, Signal::SIGHUP);
        std::thread::sleep(plan.reload);
        observe_phase("changed", &mut pair, result, &mut report);
    }
    std::thread::scope(|s| {
        for (d, _, _) in pair.iter_mut() {
            s.spawn(|| {
                d.stop(Duration::from_secs(10));
                // Notify scripts started at shutdown finish on their own.
                crate::lab::wait_for(Duration::from_secs(3), || !d.netns.has_processes());
            });
        }
    });
    observe_phase("stop", &mut pair, result, &mut report);
    result.ipvs_missing = pair[1]
        .0
        .syslog
        .lines()
        .iter()
        .any(|l| l.message.contains("Can't initialize ipvs"));
    for (d, _, _) in &pair {
        let mut log = String::new();
        for l in d.syslog.lines() {
            let _ = writeln!(log, "<{}> {}: {}", l.severity, l.ident, l.message);
        }
        let _ = fs::write(d.dir.join("syslog.txt"), log);
    }
    let _ = fs::write(dir.join("snapshots.txt"), report);
}

fn signal_all(pair: &mut [(Daemon, Network, usize)], sig: Signal) {
    for (d, _, _) in pair.iter_mut() {
        d.signal(sig);
    }
}

/// Observes both daemons at once and records the differing aspects of `phase`.
fn compare(
    phase: &str,
    pair: &mut [(Daemon, Network, usize)],
    result: &mut FileResult,
    report: &mut String,
    has_instances: bool,
) {
    let snaps: Vec<Snapshot> = std::thread::scope(|s| {
        let handles: Vec<_> = pair
            .iter_mut()
            .map(|(d, base, seen)| {
                s.spawn(move || {
                    let snap = observe(d, base, seen, has_instances);
                    check_closed(&d.netns, base);
                    snap
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("observe"))
            .collect()
    });
    let (ours, ka) = (&snaps[0], &snaps[1]);
    for aspect in ASPECTS {
        let a = ours.get(aspect).cloned().unwrap_or_default();
        let b = ka.get(aspect).cloned().unwrap_or_default();
        let _ = writeln!(
            report,
            "== {phase}/{aspect}\n  ours:\n    {}\n  keepalived:\n    {}",
            a.join("\n    "),
            b.join("\n    ")
        );
        if a != b {
            result.differences.insert(
                format!("{phase}/{aspect}"),
                Difference {
                    ours_only: a.iter().filter(|l| !b.contains(l)).cloned().collect(),
                    keepalived_only: b.iter().filter(|l| !a.contains(l)).cloned().collect(),
                },
            );
        }
    }
}

/// Network hygiene: the daemon's namespace has no way out. Its links are the ones this test
/// made (whose far ends are in the sink) and links a daemon stacked on them (VMACs); the
/// sink holds only the far ends.
fn check_closed(ns: &Netns, base: &Network) {
    for l in ns.ip_json(&["-d", "link", "show"]) {
        let name = l["ifname"].as_str().unwrap_or("?");
        let kind = l["linkinfo"]["info_kind"].as_str().unwrap_or("");
        let ours = base.has_link(name);
        let stacked = ["macvlan", "ipvlan", "vlan"].contains(&kind)
            && l["link"].as_str().is_some_and(|p| base.has_link(p));
        assert!(
            ours || stacked,
            "namespace {} has a link this test did not make: {l}",
            ns.name
        );
    }
    for name in ns.sink_links() {
        assert!(
            name == "lo" || (name.starts_with('p') && name[1..].parse::<u32>().is_ok()),
            "sink of {} has link {name}",
            ns.name
        );
    }
}

/// Copies `name` and its include tree (`NNN-slug.d/`) from `from` to `to`.
fn copy_tree(from: &Path, name: &str, to: &Path) {
    fs::create_dir_all(to).expect("conf dir");
    fs::copy(from.join(name), to.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let includes = name.strip_suffix(".conf").map(|stem| format!("{stem}.d"));
    if let Some(d) = includes.filter(|d| from.join(d).is_dir()) {
        copy_dir(&from.join(&d), &to.join(&d));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("include dir");
    for e in fs::read_dir(from).expect("read include dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            fs::copy(&p, to.join(e.file_name())).expect("copy include");
        }
    }
}
