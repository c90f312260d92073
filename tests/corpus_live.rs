//! Live corpus conformance (issue 13): every file of `conformance/corpus/configs` and every
//! VRRP sample of Debian's `keepalived` package (`/usr/share/doc/keepalived/samples/
//! keepalived.conf.vrrp*`, read there at run time) is started by stock keepalived 2.2.7 and
//! by our daemon side by side, each in namespaces of its own that have the corpus's recorded
//! interfaces; then both are reloaded with the same file, reloaded with a changed file, and
//! stopped. After each step the test compares what each daemon did (see `corpus_live/run.rs`
//! and `corpus_live/observe.rs`). Differences must be listed in
//! `conformance/corpus-live-differences.txt` (see `corpus_live/expected.rs`).
//!
//! Environment:
//! * `LIVE_FILTER=013-,vrrp.sync` — only files whose key contains one of these substrings
//!   (a positional argument works too);
//! * `LIVE_JOBS=8` — files run in parallel (two daemons each; they mostly sleep);
//! * `LIVE_KEEP=1` — keep every run's directory (failed runs' are always kept) under
//!   `target/tmp/corpus-live/FILE/`: snapshots, syslog lines with severities, console output;
//! * `LIVE_UPDATE=1` — rewrite the differences list from this run instead of failing;
//! * `KEEPALIVED_RS_BIN`, `KEEPALIVED_BIN` — the two implementations (defaults: this
//!   build's `keepalived`, `/usr/sbin/keepalived`).
//!
//! Needs root (namespaces, mounts); fails loudly without it. No libtest harness: the binary
//! is also the launcher that sets up each daemon's namespaces (`corpus_live/launch.rs`).

#[path = "corpus_live/daemon.rs"]
mod daemon;
#[path = "corpus_live/expected.rs"]
mod expected;
mod lab;
#[path = "corpus_live/launch.rs"]
mod launch;
#[path = "corpus_live/netns.rs"]
mod netns;
#[path = "corpus_live/observe.rs"]
mod observe;
#[path = "corpus_live/run.rs"]
mod run;
#[path = "corpus_live/syslog.rs"]
mod syslog;
#[path = "corpus_live/timing.rs"]
mod timing;
#[path = "corpus_live/variant.rs"]
mod variant;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use run::{Binaries, FileResult, LiveFile};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SAMPLES: &str = "/usr/share/doc/keepalived/samples";
const LIST: &str = "conformance/corpus-live-differences.txt";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(launch::LAUNCH_ARG) {
        launch::launch(args.get(2).map_or("", String::as_str));
    }
    lab::require_root();
    let bins = binaries();
    let files = selected(all_files(), &args);
    let jobs: usize = env_number("LIVE_JOBS", 8);
    let interfaces = interfaces();
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-live");
    println!(
        "corpus-live: {} files, {jobs} at a time; ours = {}, keepalived = {}",
        files.len(),
        bins.ours.display(),
        bins.keepalived.display()
    );
    let started = std::time::Instant::now();
    let results = run_all(&files, &bins, jobs, &base, &interfaces);
    let list_path = Path::new(ROOT).join(LIST);
    let listed = expected::load(&list_path);
    let verdict = expected::judge(&results, &listed, expected::host_has_ipvs());
    let keep_all = std::env::var_os("LIVE_KEEP").is_some();
    for r in &results {
        let failed = r.error.is_some()
            || verdict.unexpected.iter().any(|(f, _)| *f == r.key)
            || verdict.now_matching.iter().any(|(f, _)| *f == r.key);
        if !failed && !keep_all {
            let _ = std::fs::remove_dir_all(&r.dir);
        }
    }
    if std::env::var_os("LIVE_UPDATE").is_some() {
        expected::rewrite(&list_path, &listed, &results);
        println!("corpus-live: {} rewritten", list_path.display());
    }
    println!(
        "corpus-live: {} files, {} same, {} listed differences, {} unexpected, {} with listed differences now gone, {} harness errors, {} not judged ({:.0} s)",
        results.len(),
        verdict.same,
        verdict.listed,
        distinct_files(&verdict.unexpected),
        distinct_files(&verdict.now_matching),
        verdict.errors.len(),
        verdict.not_judged.len(),
        started.elapsed().as_secs_f64()
    );
    report_failures(&verdict, &results);
    let failed = !verdict.errors.is_empty()
        || (std::env::var_os("LIVE_UPDATE").is_none()
            && (!verdict.unexpected.is_empty() || !verdict.now_matching.is_empty()));
    if failed {
        eprintln!(
            "corpus-live: FAILED (logs under {}/FILE/; LIVE_UPDATE=1 rewrites {LIST})",
            base.display()
        );
        std::process::exit(1);
    }
}

fn distinct_files(pairs: &[(String, String)]) -> usize {
    pairs
        .iter()
        .map(|(f, _)| f)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

fn report_failures(verdict: &expected::Verdict, results: &[FileResult]) {
    for file in &verdict.not_judged {
        println!("corpus-live: {file}: not judged (its listed differences hold on machines without IPVS)");
    }
    for (file, err) in &verdict.errors {
        eprintln!("corpus-live: {file}: harness error: {err}");
    }
    for (file, key) in &verdict.unexpected {
        let r = results.iter().find(|r| r.key == *file).expect("result");
        let d = &r.differences[key];
        eprintln!(
            "corpus-live: {file}\t{key}\tunexpected difference\n    ours only:       {}\n    keepalived only: {}",
            d.ours_only.join("\n                     "),
            d.keepalived_only.join("\n                     ")
        );
    }
    for (file, key) in &verdict.now_matching {
        eprintln!(
            "corpus-live: {file}\t{key}\tlisted but the same now: remove the line from {LIST}"
        );
    }
}

fn run_all(
    files: &[LiveFile],
    bins: &Binaries,
    jobs: usize,
    base: &Path,
    interfaces: &[String],
) -> Vec<FileResult> {
    // Popped from the end: slowest first, so that the long ones overlap the rest instead
    // of trailing them.
    let mut order: Vec<(std::time::Duration, usize, LiveFile)> = files
        .iter()
        .cloned()
        .enumerate()
        .map(|(n, f)| (timing::Plan::of(&f.source_dir.join(&f.name)).start, n, f))
        .collect();
    order.sort_by_key(|(start, n, _)| (*start, std::cmp::Reverse(*n)));
    let queue = Arc::new(Mutex::new(
        order
            .into_iter()
            .map(|(_, n, f)| (n, f))
            .collect::<Vec<_>>(),
    ));
    let results = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            let queue = queue.clone();
            let results = results.clone();
            s.spawn(move || loop {
                let Some((n, file)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let tag = format!("kl{}x{n}", std::process::id() % 100_000);
                let dir = base.join(file.key.replace('/', "_"));
                let r = run::run(&file, bins, &tag, &dir, interfaces);
                println!("{}", line(&r));
                results.lock().unwrap().push(r);
            });
        }
    });
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by(|a, b| a.key.cmp(&b.key));
    results
}

/// One line per file as it finishes.
fn line(r: &FileResult) -> String {
    let what = match (&r.error, r.differences.is_empty()) {
        (Some(e), _) => format!("ERROR {e}"),
        (None, true) => "same".to_string(),
        (None, false) => format!(
            "differs: {}",
            r.differences.keys().cloned().collect::<Vec<_>>().join(" ")
        ),
    };
    format!("{:<48} {:>5.1}s  {what}", r.key, r.elapsed.as_secs_f64())
}

fn binaries() -> Binaries {
    let ours = std::env::var_os("KEEPALIVED_RS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keepalived")));
    let keepalived = std::env::var_os("KEEPALIVED_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/keepalived"));
    for b in [&ours, &keepalived] {
        assert!(
            b.exists(),
            "{} not found (install Debian's keepalived package, or set KEEPALIVED_BIN / KEEPALIVED_RS_BIN)",
            b.display()
        );
    }
    Binaries { ours, keepalived }
}

/// The corpus's files and Debian's VRRP samples (the package must be installed).
fn all_files() -> Vec<LiveFile> {
    let configs = Path::new(ROOT).join("conformance/corpus/configs");
    let mut files: Vec<LiveFile> = names_in(&configs, |n| n.ends_with(".conf"))
        .into_iter()
        .map(|name| LiveFile {
            key: name.clone(),
            source_dir: configs.clone(),
            name,
            subdir: "configs".into(),
        })
        .collect();
    assert!(
        files.len() >= 150,
        "corpus incomplete: {} files",
        files.len()
    );
    let samples = names_in(Path::new(SAMPLES), |n| {
        n.starts_with("keepalived.conf.vrrp")
    });
    assert!(
        !samples.is_empty(),
        "no {SAMPLES}/keepalived.conf.vrrp* (install Debian's keepalived package)"
    );
    files.extend(samples.into_iter().map(|name| LiveFile {
        key: format!("samples/{name}"),
        source_dir: PathBuf::from(SAMPLES),
        name,
        subdir: "samples".into(),
    }));
    files
}

fn names_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| keep(n))
        .collect();
    names.sort();
    names
}

/// Files matching `LIVE_FILTER` or a positional argument (all without either).
fn selected(files: Vec<LiveFile>, args: &[String]) -> Vec<LiveFile> {
    let mut filters: Vec<String> = std::env::var("LIVE_FILTER")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    filters.extend(lab::positional_filters(args.iter().skip(1).cloned()));
    let chosen: Vec<LiveFile> = files
        .into_iter()
        .filter(|f| filters.is_empty() || filters.iter().any(|x| f.key.contains(x.as_str())))
        .collect();
    assert!(!chosen.is_empty(), "no file matches {filters:?}");
    chosen
}

/// The recorded host's interfaces (`interfaces-present.txt`), `eth0` first.
fn interfaces() -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(ROOT).join("conformance/corpus/interfaces-present.txt"))
            .expect("interfaces-present.txt");
    let mut names: Vec<String> = vec!["eth0".into()];
    names.extend(
        text.lines()
            .map(str::trim)
            .filter(|n| !n.is_empty() && *n != "eth0" && *n != "lo")
            .map(str::to_string),
    );
    names
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
