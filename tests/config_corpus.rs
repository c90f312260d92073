//! Every file of the real-world corpus (`conformance/corpus/configs`) is checked against what
//! keepalived 2.2.7's `-t` said about it (`keepalived-2.2.7-verdicts-with-interfaces/`):
//! every finding keepalived reports, from its VRRP side and from its checker side
//! (`virtual_server`, `real_server`, checkers, `bfd_instance`), must be reported by us on the
//! same line with the same text, and the exit codes must agree once the documented differences
//! (`conformance/DIFFERENCES.md`) are taken out.
//!
//! Two runs: in-process against [`RecordedHost`] (the recording machine as its verdicts
//! describe it: the interfaces of `interfaces-present.txt`, Debian's base users, a few tools,
//! none of the configs' own scripts), and our `keepalived` binary with host checks on, inside
//! a network namespace the test creates with those interfaces (root needed).

use keepalived_rs::config::host::Host;
use keepalived_rs::config::source::{load_file, SourceOptions};
use keepalived_rs::config::{check, check_file, Checked};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/corpus");

/// The host keepalived's verdicts were recorded on: a Debian 12 machine (merged /usr) with
/// the base system users, no `keepalived_script` user, a few tools and one init script, none
/// of the configs' own scripts, and no DNS beyond `localhost`. Each entry is backed by what
/// keepalived said there (e.g. `/bin/ping` existed, `/usr/sbin/pidof` did not).
struct RecordedHost {
    interfaces: BTreeSet<String>,
}

/// Programs in /usr/bin (also reachable as /bin/NAME and by `$PATH`).
const RECORDED_USR_BIN: &[&str] = &[
    "bash",
    "curl",
    "echo",
    "killall",
    "mysqladmin",
    "nc",
    "pidof",
    "ping",
    "pkill",
    "python3",
    "sh",
    "systemctl",
    "test",
    "true",
];
/// Debian's base-passwd groups: a namespace of its own (`nogroup` is a group, not a user;
/// `nobody` is a user, not a group).
const RECORDED_GROUPS: &[&str] = &[
    "root", "daemon", "bin", "sys", "adm", "tty", "disk", "lp", "mail", "news", "uucp", "man",
    "proxy", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip",
    "www-data", "backup", "operator", "list", "irc", "src", "shadow", "utmp", "video", "sasl",
    "plugdev", "staff", "games", "users", "nogroup",
];
/// Other executable files that existed there.
const RECORDED_FILES: &[&str] = &["/etc/init.d/postgresql"];
/// Debian's base-passwd users.
const RECORDED_USERS: &[&str] = &[
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
    "www-data", "backup", "list", "irc", "_apt", "nobody",
];

impl Host for RecordedHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.interfaces.contains(name)
    }
    fn user_exists(&self, name: &str) -> bool {
        RECORDED_USERS.contains(&name)
    }
    fn group_exists(&self, name: &str) -> bool {
        RECORDED_GROUPS.contains(&name)
    }
    fn find_program(&self, program: &str) -> Option<PathBuf> {
        let in_usr_bin = |base: &str| RECORDED_USR_BIN.contains(&base);
        let found = match program.rsplit_once('/') {
            None => in_usr_bin(program),
            Some((dir, base)) => {
                RECORDED_FILES.contains(&program)
                    || (["/bin", "/usr/bin"].contains(&dir) && in_usr_bin(base))
            }
        };
        found.then(|| PathBuf::from(program))
    }
    fn insecure_reason(&self, _path: &Path) -> Option<String> {
        // Everything there was root-owned and not writable by others.
        None
    }
    fn resolves(&self, name: &str) -> bool {
        name == "localhost"
    }
}

#[derive(Debug)]
struct KaLine {
    line: Option<u32>,
    message: String,
}

fn parse_verdict(text: &str) -> (Vec<KaLine>, i32) {
    let mut lines = Vec::new();
    let mut rc = -1;
    for l in text.lines() {
        if let Some(r) = l.strip_prefix("rc=") {
            rc = r.trim().parse().unwrap();
            continue;
        }
        let (line, message) = match l.strip_prefix('(').and_then(|r| r.split_once(") ")) {
            Some((inside, msg)) if inside.contains("Line ") => {
                let n = inside.rsplit("Line ").next().unwrap().trim().parse().ok();
                (n, msg.to_string())
            }
            _ => (None, l.to_string()),
        };
        lines.push(KaLine { line, message });
    }
    (lines, rc)
}

/// Lines of a file covered by blocks this build skips as a unit (unknown keywords' blocks,
/// DIFFERENCES.md C1): keepalived's findings inside them are out of scope.
fn skipped_line_ranges(checked: &Checked) -> Vec<(u32, u32)> {
    checked
        .spans
        .skipped_blocks
        .iter()
        .filter(|(s, _)| s.file.0 == 0)
        .map(|(s, end)| (s.line, *end))
        .collect()
}

/// The second line of keepalived's two-line `lvs_sync_daemon_interface` deprecation (we
/// give it as the hint of the first line).
fn is_continuation_line(m: &str) -> bool {
    m.trim_start()
        .starts_with("Please use global lvs_sync_daemon")
}

struct Outcome {
    name: String,
    ours: Vec<String>,
    missing: Vec<String>,
    expected_rc: i32,
    our_rc: i32,
    ka_rc: i32,
}

/// What we said about one file, and where its skipped and mis-nested blocks are.
struct Ours {
    findings: Vec<(Option<u32>, String)>,
    rc: i32,
    skipped: Vec<(u32, u32)>,
    /// First line of the first block read without letting its `}` close the enclosing one.
    misnested_from: Option<u32>,
}

fn source_options() -> SourceOptions {
    SourceOptions {
        config_id: "vm".into(),
        ..SourceOptions::default()
    }
}

/// Checks a file in-process, as if on the recording host.
fn in_process(name: &str, interfaces: &BTreeSet<String>) -> Ours {
    let pre = load_file(Path::new(&format!("configs/{name}")), &source_options());
    let host = RecordedHost {
        interfaces: interfaces.clone(),
    };
    let checked = check(pre, Some(&host));
    Ours {
        findings: checked
            .diagnostics
            .iter()
            .map(|d| (d.span.map(|s| s.line), d.message.clone()))
            .collect(),
        rc: checked.exit_code(),
        skipped: skipped_line_ranges(&checked),
        misnested_from: misnested_from(&checked),
    }
}

fn misnested_from(checked: &Checked) -> Option<u32> {
    checked
        .spans
        .misnested_blocks
        .iter()
        .filter(|(s, _)| s.file.0 == 0)
        .map(|(s, _)| s.line)
        .min()
}

fn verdict(name: &str) -> (Vec<KaLine>, i32) {
    let verdict_path = Path::new(CORPUS)
        .join("keepalived-2.2.7-verdicts-with-interfaces")
        .join(name.replace(".conf", ".txt"));
    parse_verdict(&std::fs::read_to_string(&verdict_path).unwrap())
}

/// Compares what we said with what keepalived 2.2.7 said.
fn compare(name: &str, ours: Ours) -> Outcome {
    let (ka, ka_rc) = verdict(name);
    let ranges = &ours.skipped;
    let findings = &ours.findings;
    let mut missing = Vec::new();
    let mut in_scope_rc = 0;
    let mut aborted = false;
    // After the first block we skip as a unit (or read without letting its '}' close the
    // enclosing block), keepalived's mis-nesting (DIFFERENCES.md C1) produces findings we
    // deliberately do not: they are out of scope.
    let cascade_from = ranges
        .iter()
        .map(|(a, _)| *a)
        .chain(ours.misnested_from)
        .min()
        .unwrap_or(u32::MAX);
    let ours_has_unclosed = findings.iter().any(|(_, m)| m.contains("is never closed"));
    for k in &ka {
        if is_continuation_line(&k.message) {
            continue;
        }
        if k.message.starts_with("There are ")
            && k.message.contains("missing '}'")
            && ours_has_unclosed
        {
            continue;
        }
        let cascade_word = [
            "Unknown keyword",
            "Unexpected '{'",
            "Extra '}'",
            "Missing '{'",
        ]
        .iter()
        .any(|p| k.message.starts_with(p));
        let said = |k: &KaLine| {
            findings
                .iter()
                .any(|(l, m)| m == &k.message && (k.line.is_none() || *l == k.line))
        };
        if cascade_from != u32::MAX
            && ((cascade_word && k.line.is_some_and(|l| l >= cascade_from)) || k.line.is_none())
            && !said(k)
        {
            continue;
        }
        if let Some(l) = k.line {
            if ranges.iter().any(|(a, b)| (*a..=*b).contains(&l)) {
                continue;
            }
        }
        if !said(k) {
            missing.push(format!(
                "line {:?}: {}",
                k.line.map_or(-1, |l| l as i64),
                k.message
            ));
        }
        if k.message.starts_with("*** Configuration line") {
            aborted = true;
        } else if k.message.starts_with("SECURITY VIOLATION") {
            in_scope_rc = 6;
        } else if !k.message.starts_with("Config files missing") && in_scope_rc == 0 {
            in_scope_rc = 5;
        }
    }
    let expected_rc = if aborted { 2 } else { in_scope_rc };
    Outcome {
        name: name.to_string(),
        ours: findings
            .iter()
            .map(|(l, m)| format!("line {:?}: {m}", l.map_or(-1, |l| l as i64)))
            .collect(),
        missing,
        expected_rc,
        our_rc: ours.rc,
        ka_rc,
    }
}

/// Runs `check_one` on every corpus file and holds the result against the verdicts and the
/// list of open files.
/// Every `.conf` file of the corpus, sorted, as absolute paths.
fn corpus_files() -> Vec<PathBuf> {
    let mut confs: Vec<PathBuf> = std::fs::read_dir(Path::new(CORPUS).join("configs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    confs.sort();
    assert!(confs.len() >= 150, "corpus incomplete: {}", confs.len());
    confs
}

fn run_corpus(label: &str, check_one: impl Fn(&str) -> Ours) {
    std::env::set_current_dir(CORPUS).unwrap();
    let confs = corpus_files();
    let open: BTreeSet<String> = std::fs::read_to_string("../corpus-open.txt")
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    let mut failures = Vec::new();
    let mut now_matching = Vec::new();
    let mut matched = 0;
    for c in &confs {
        let name = c.file_name().unwrap().to_string_lossy().to_string();
        let o = compare(&name, check_one(&name));
        let differs = !o.missing.is_empty() || o.our_rc != o.expected_rc;
        let report = || {
            format!(
                "{}: rc ours={} expected={} (keepalived {})\n  missing:\n    {}\n  ours:\n    {}",
                o.name,
                o.our_rc,
                o.expected_rc,
                o.ka_rc,
                o.missing.join("\n    "),
                o.ours.join("\n    ")
            )
        };
        if differs && std::env::var_os("CORPUS_VERBOSE").is_some() {
            eprintln!("{}", report());
        }
        if !differs {
            matched += 1;
            if open.contains(&o.name) {
                now_matching.push(o.name.clone());
            }
        }
        if differs && !open.contains(&o.name) {
            failures.push(report());
        }
    }
    eprintln!(
        "corpus ({label}): {matched} of {} files match keepalived 2.2.7; {} listed as open",
        confs.len(),
        open.len()
    );
    assert!(
        now_matching.is_empty(),
        "these files now match keepalived: remove them from conformance/corpus-open.txt: {now_matching:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} corpus files differ (and are not listed in conformance/corpus-open.txt):\n{}",
        failures.len(),
        confs.len(),
        failures.join("\n")
    );
}

fn recorded_interfaces() -> BTreeSet<String> {
    std::fs::read_to_string(Path::new(CORPUS).join("interfaces-present.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .chain(["lo".to_string()])
        .collect()
}

#[test]
fn every_corpus_file_matches_keepalived_2_2_7() {
    let interfaces = recorded_interfaces();
    run_corpus("recorded host", |name| in_process(name, &interfaces));
}

/// A network namespace this test creates (and deletes when dropped), holding every
/// interface of `interfaces-present.txt` as a veth end (dummy links need a kernel module
/// that is not always there; veth pairs work everywhere).
struct CorpusNetns {
    name: String,
}

impl CorpusNetns {
    fn create(interfaces: &BTreeSet<String>) -> CorpusNetns {
        let ns = CorpusNetns {
            name: format!("kacorpus-{}", std::process::id()),
        };
        ip(&["netns", "add", &ns.name]);
        let mut names: Vec<&str> = interfaces
            .iter()
            .map(String::as_str)
            .filter(|n| *n != "lo")
            .collect();
        if names.len() % 2 == 1 {
            names.push("kacorpus-peer");
        }
        for pair in names.chunks(2) {
            ip(&[
                "-n", &ns.name, "link", "add", pair[0], "type", "veth", "peer", "name", pair[1],
            ]);
        }
        ns
    }
}

impl Drop for CorpusNetns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn ip(args: &[&str]) {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .expect("run ip(8)");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs our `keepalived -t` binary, host checks on, inside `ns`.
fn by_binary(name: &str, ns: &CorpusNetns) -> Ours {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &ns.name, env!("CARGO_BIN_EXE_keepalived")])
        .args(["-t", "--format=json", "-i", "vm", "-f"])
        .arg(format!("configs/{name}"))
        .current_dir(CORPUS)
        .output()
        .expect("run keepalived -t");
    let findings = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}"));
            (
                v["line"].as_u64().map(|l| l as u32),
                v["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The file's block structure does not depend on the host: take it from the library.
    let checked = check(
        load_file(Path::new(&format!("configs/{name}")), &source_options()),
        None,
    );
    Ours {
        findings,
        rc: out.status.code().expect("exit code"),
        skipped: skipped_line_ranges(&checked),
        misnested_from: misnested_from(&checked),
    }
}

/// The oracle run for real: every corpus file through our binary, host checks on,
/// in a namespace where the recorded interfaces exist. Needs root (network namespaces).
#[test]
fn every_corpus_file_matches_keepalived_2_2_7_with_real_interfaces() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test creates a network namespace with veth links and must run as root \
         (run the test suite as root, e.g. in the CI container)"
    );
    let ns = CorpusNetns::create(&recorded_interfaces());
    run_corpus("binary in a netns", |name| by_binary(name, &ns));
}

/// `-t` and the daemon read a file in one streaming pass (`check_file`: lines parsed as
/// read, blocks lowered as parsed); this file's other test and the tools use the staged
/// `check(load_file(…))`. Both must report the same findings and build the same model.
#[test]
fn streaming_and_staged_checks_agree_on_every_corpus_file() {
    let host = RecordedHost {
        interfaces: recorded_interfaces(),
    };
    for p in &corpus_files() {
        let staged = check(load_file(p, &source_options()), Some(&host));
        let streamed = check_file(p, &source_options(), Some(&host));
        assert_eq!(
            format!("{:#?}", streamed.diagnostics),
            format!("{:#?}", staged.diagnostics),
            "{}",
            p.display()
        );
        assert!(streamed.config == staged.config, "{}", p.display());
    }
}
