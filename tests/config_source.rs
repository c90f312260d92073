//! The source layer against the real-world corpus and against random input.

use keepalived_rs::config::diag::Severity;
use keepalived_rs::config::source::{load_file, load_str, Preprocessed, SourceOptions};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/corpus")
}

/// keepalived's id on the host the verdicts were recorded on.
fn opts() -> SourceOptions {
    SourceOptions {
        config_id: "vm".into(),
        random_seed: Some(3),
        ..SourceOptions::default()
    }
}

fn configs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(corpus().join("configs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    v.sort();
    assert!(v.len() > 100, "corpus not found");
    v
}

/// `(line, text)` of every "Config files missing" finding, paths shown relative to the
/// corpus directory (keepalived was run there; `${_PWD}` gave it absolute paths that the
/// recording shows relative to it).
fn missing_findings(p: &Preprocessed) -> Vec<(u32, String)> {
    let base = format!("{}/", fs::canonicalize(corpus()).unwrap().display());
    p.diagnostics
        .iter()
        .filter(|d| d.message.contains("Config files missing"))
        .map(|d| {
            assert_eq!(d.severity, Severity::Info, "plain include: informational");
            (
                d.span.expect("an include line").line,
                d.message
                    .replace(&base, "")
                    .replace("conformance/corpus/", ""),
            )
        })
        .collect()
}

/// The same from a verdict file: `(Line N) Config files missing '…'.`
fn recorded_missing(verdict: &str) -> Vec<(u32, String)> {
    verdict
        .lines()
        .filter(|l| l.contains("Config files missing"))
        .map(|l| {
            let (prefix, msg) = l.split_once(") ").expect("(…: Line N) prefix");
            let n = prefix.rsplit("Line ").next().unwrap().parse().unwrap();
            (n, msg.to_string())
        })
        .collect()
}

#[test]
fn every_corpus_config_loads_and_missing_includes_match_keepalived_verdicts() {
    let verdicts = corpus().join("keepalived-2.2.7-verdicts-with-interfaces");
    let mut checked = 0;
    for conf in configs() {
        let p = load_file(&conf, &opts());
        assert!(!p.lines.is_empty(), "{}: no lines", conf.display());
        for l in &p.lines {
            assert_eq!(
                l.columns().len(),
                l.text.chars().count(),
                "{}",
                conf.display()
            );
            assert!(!l.text.is_empty() && l.text.trim() == l.text);
        }
        let stem = conf.file_stem().unwrap().to_string_lossy().into_owned();
        let verdict = fs::read_to_string(verdicts.join(format!("{stem}.txt"))).unwrap();
        let want = recorded_missing(&verdict);
        checked += want.len();
        assert_eq!(missing_findings(&p), want, "{stem}");
    }
    // 013 has 12, 015/063/140/142 one each.
    assert_eq!(checked, 16);
}

/// Lines a simple reader makes of a file with no quoted `#`/`!`, no `$` definitions,
/// `~SEQ` or includes: `@id` lines for other ids dropped, comment cut, blank-trimmed, split
/// around braces outside quotes.
fn naive_line_count(text: &str) -> usize {
    let mut n = 0;
    for line in text.lines() {
        let mut line = line.trim_start();
        if let Some(cond) = line.strip_prefix('@') {
            let (negated, cond) = match cond.strip_prefix('^') {
                Some(c) => (true, c),
                None => (false, cond),
            };
            let Some((id, rest)) = cond.split_once([' ', '\t']) else {
                continue;
            };
            if (id == "vm") == negated {
                continue;
            }
            line = rest;
        }
        let code = line.split(['#', '!']).next().unwrap();
        let mut piece = String::new();
        let mut quoted = false;
        for c in code.chars() {
            quoted ^= c == '"';
            if !quoted && (c == '{' || c == '}') {
                n += usize::from(!piece.trim().is_empty()) + 1;
                piece.clear();
            } else {
                piece.push(c);
            }
        }
        n += usize::from(!piece.trim().is_empty());
    }
    n
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(fs::canonicalize(p).unwrap());
        }
    }
}

/// Lays a corpus config out the way its author had it (included files next to it) and
/// checks every included file is read, in full, in place.
fn check_includes_resolve(stem: &str, into: &str, rewrite: Option<(&str, &str)>) -> usize {
    let src = corpus().join("configs");
    let tmp = tempfile::tempdir().unwrap();
    let mut main = fs::read_to_string(src.join(format!("{stem}.conf"))).unwrap();
    if let Some((from, to)) = rewrite {
        assert!(main.contains(from));
        main = main.replace(from, to);
    }
    fs::write(tmp.path().join("main.conf"), &main).unwrap();
    let inc_dir = tmp.path().join(into);
    copy_tree(&src.join(format!("{stem}.d")), &inc_dir);
    let p = load_file(&tmp.path().join("main.conf"), &opts());
    assert!(
        !p.diagnostics.iter().any(|d| d.message.contains("missing")),
        "{stem}: {:?}",
        p.diagnostics
    );
    let mut per_file: BTreeMap<u32, usize> = BTreeMap::new();
    for l in &p.lines {
        *per_file.entry(l.file.0).or_default() += 1;
    }
    let mut expected_files = vec![];
    files_under(&inc_dir, &mut expected_files);
    let main_path = fs::canonicalize(tmp.path().join("main.conf")).unwrap();
    expected_files.retain(|f| *f != main_path);
    let mut seen = vec![];
    let mut included_lines = 0;
    for (id, f) in p.sources.files().iter().enumerate().skip(1) {
        let text = fs::read_to_string(&f.path).unwrap();
        let got = per_file.get(&(id as u32)).copied().unwrap_or(0);
        assert_eq!(got, naive_line_count(&text), "{stem}: {}", f.display);
        included_lines += got;
        seen.push(fs::canonicalize(&f.path).unwrap());
    }
    for f in &expected_files {
        assert!(seen.contains(f), "{stem}: {} never included", f.display());
    }
    assert!(included_lines > 0);
    included_lines
}

#[test]
fn corpus_includes_resolve_when_laid_out_as_their_authors_had_them() {
    // 013: `include ${_PWD}/prio.conf` ten times inside blocks, plus two conf.d globs.
    let n013 = check_includes_resolve("013-pqa-1446-include-in-block", ".", None);
    let n014 = check_includes_resolve("014-pqa-1364-include-glob", ".", None);
    let n015 = check_includes_resolve("015-pqa-1033-vmac-include", ".", None);
    let n063 = check_includes_resolve(
        "063-lvs-include-syncgroup",
        "conf.d",
        Some(("/etc/keepalived/conf.d/", "conf.d/")),
    );
    let n140 = check_includes_resolve("140-include-confd-lorentzca", ".", None);
    for n in [n013, n014, n015, n063, n140] {
        assert!(n > 1);
    }
}

#[test]
fn corpus_013_includes_prio_conf_once_per_include_line_in_its_block() {
    let src = corpus().join("configs");
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(
        src.join("013-pqa-1446-include-in-block.conf"),
        tmp.path().join("k.conf"),
    )
    .unwrap();
    copy_tree(&src.join("013-pqa-1446-include-in-block.d"), tmp.path());
    let p = load_file(&tmp.path().join("k.conf"), &opts());
    let prio: Vec<_> = p
        .lines
        .iter()
        .filter(|l| p.sources.file(l.file).path.ends_with("prio.conf"))
        .collect();
    let main = fs::read_to_string(tmp.path().join("k.conf")).unwrap();
    let includes = main.lines().filter(|l| l.contains("prio.conf")).count();
    assert_eq!(
        prio.len(),
        includes * naive_line_count(&fs::read_to_string(tmp.path().join("prio.conf")).unwrap())
    );
}

// ---- never panic, always terminate ----------------------------------------------------

fn small_opts() -> SourceOptions {
    SourceOptions {
        config_id: "vm".into(),
        instance_name: None,
        max_include_depth: 4,
        max_expansion_bytes: 64 << 10,
        random_seed: Some(1),
        all_config: false,
    }
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("include x.conf\n".to_string()),
        Just("include ${_PWD}/*.conf\n".to_string()),
        Just("include {a,b,{c,d}}.conf\n".to_string()),
        Just("includea *\n".to_string()),
        Just("$A=$B \\\n".to_string()),
        Just("$B=${A} x\n".to_string()),
        Just("$M=\\\n".to_string()),
        Just("$A\n".to_string()),
        Just("${_RANDOM 9 2}\n".to_string()),
        Just("@vm ".to_string()),
        Just("@^vm ".to_string()),
        Just("~SEQ(i, 1000000000) $i\n".to_string()),
        Just("~SEQ(i, 3) ~SEQ(j, 3) ${i}${j} $A\n".to_string()),
        Just("~LST({a,b},{1,2},{3}) $a $b\n".to_string()),
        Just("~SEQ(".to_string()),
        Just("~LST({".to_string()),
        Just("{ } \"{\" \\# \\! \\\n".to_string()),
        Just("\"unterminated # x\n".to_string()),
        "[ -~]{0,40}\n",
        "[$@~{}()\\\\#!\",a-z0-9 ]{0,30}\n",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let text = String::from_utf8_lossy(&bytes);
        let p = load_str("r.conf", &text, Path::new("/nonexistent"), &small_opts());
        for l in &p.lines {
            prop_assert_eq!(l.columns().len(), l.text.chars().count());
        }
    }

    #[test]
    fn random_constructs_never_panic_and_terminate(parts in proptest::collection::vec(fragment(), 0..30)) {
        let dir = tempfile::tempdir().unwrap();
        let text: String = parts.concat();
        // The same text as two files that include each other and themselves.
        fs::write(dir.path().join("a.conf"), format!("{text}\ninclude b.conf\ninclude a.conf\n")).unwrap();
        fs::write(dir.path().join("b.conf"), format!("include *.conf\n{text}")).unwrap();
        let p = load_file(&dir.path().join("a.conf"), &small_opts());
        let bytes: usize = p.lines.iter().map(|l| l.text.len()).sum();
        prop_assert!(bytes < 64 << 20);
        for l in &p.lines {
            prop_assert_eq!(l.columns().len(), l.text.chars().count());
        }
    }
}
