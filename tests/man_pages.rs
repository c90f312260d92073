//! The manual pages in `man/`: the keyword part of `keepalived.conf(5)` is generated from
//! the keyword tables (`keepalived_rs::config::keywords`) and committed; these tests fail
//! when the committed page and the tables disagree, when `keepalived(8)` misses a
//! command-line option, and when either page makes groff or man warn.
//!
//! Regenerate the keyword part after changing a table:
//!
//! ```text
//! KRS_UPDATE_MAN=1 cargo test --test man_pages
//! ```

use keepalived_rs::config::keywords::{self, top::UNSUPPORTED_BLOCKS};
use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str = "KRS_UPDATE_MAN=1 cargo test --test man_pages";
const BEGIN: &str = ".\\\" BEGIN GENERATED KEYWORDS";
const END: &str = ".\\\" END GENERATED KEYWORDS";

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man")
}

fn read_page(name: &str) -> String {
    let path = man_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Text for roff: escapes, and the few non-ASCII characters of the tables spelled as
/// groff glyphs so any output device renders them.
fn roff(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '…' => out.push_str("\\&.\\|.\\|.\\&"),
            '×' => out.push_str("\\(mu"),
            '⇒' => out.push_str("\\(rA"),
            '\'' => out.push_str("\\(aq"),
            '"' => out.push_str("\\(dq"),
            c if !c.is_ascii() => out.push_str(&format!("\\[u{:04X}]", c as u32)),
            c => out.push(c),
        }
    }
    // A line may not start with a control character.
    if out.starts_with('.') {
        out.insert_str(0, "\\&");
    }
    out
}

/// The keyword section exactly as committed between the markers.
fn generated_keywords() -> String {
    let mut out = String::new();
    for section in keywords::reference() {
        let title = match section.block {
            "top level" => "Top-level blocks".to_string(),
            b => format!("{b} block"),
        };
        out.push_str(&format!(".SS \"{}\"\n", roff(&title)));
        for (name, usage, default, doc) in section.entries {
            out.push_str(".TP\n");
            let mut tag = format!("\\fB{}\\fR", roff(name));
            if !usage.is_empty() {
                tag.push_str(&format!(" \\fI{}\\fR", roff(usage)));
            }
            if doc.starts_with("Extension:") {
                tag.push_str(" [extension]");
            }
            out.push_str(&tag);
            out.push('\n');
            out.push_str(&roff(doc));
            out.push('\n');
            if !default.is_empty() {
                out.push_str(".br\n");
                out.push_str(&format!("Default: {}.\n", roff(default)));
            }
        }
    }
    out.push_str(".SS \"Blocks not supported by this build\"\n");
    out.push_str(
        "These blocks belong to keepalived's health-checker (LVS) and BFD processes. \
         They are recognised, skipped whole and reported once as a note by\n\
         .BR \"keepalived \\-t\" .\n",
    );
    for block in UNSUPPORTED_BLOCKS {
        out.push_str(&format!(".IP \\(bu 2\n.B {}\n", roff(block)));
    }
    out
}

/// Splits the page into (before, generated, after); panics when a marker is missing.
fn split_page(page: &str) -> (&str, &str, &str) {
    let begin = page
        .find(BEGIN)
        .unwrap_or_else(|| panic!("man/keepalived.conf.5 lost its '{BEGIN}' marker"));
    let body = begin + page[begin..].find('\n').expect("marker line ends") + 1;
    let end = page
        .find(END)
        .unwrap_or_else(|| panic!("man/keepalived.conf.5 lost its '{END}' marker"));
    (&page[..body], &page[body..end], &page[end..])
}

#[test]
fn keepalived_conf_5_keyword_section_matches_the_keyword_tables() {
    let page = read_page("keepalived.conf.5");
    let (before, committed, after) = split_page(&page);
    let fresh = generated_keywords();
    if std::env::var_os("KRS_UPDATE_MAN").is_some() {
        let path = man_dir().join("keepalived.conf.5");
        std::fs::write(&path, format!("{before}{fresh}{after}")).unwrap();
        return;
    }
    assert!(
        committed == fresh,
        "man/keepalived.conf.5 is out of date with the keyword tables; regenerate it with\n  \
         {REGENERATE}\nand commit the result"
    );
}

#[test]
fn every_keyword_of_every_table_is_on_the_committed_page() {
    let page = read_page("keepalived.conf.5");
    let (_, committed, _) = split_page(&page);
    let mut missing = Vec::new();
    let mut count = 0;
    for section in keywords::reference() {
        for (name, ..) in &section.entries {
            count += 1;
            let tag = format!("\\fB{}\\fR", roff(name));
            if !committed.lines().any(|l| l.starts_with(&tag)) {
                missing.push(format!("{} ({})", name, section.block));
            }
        }
    }
    assert!(count > 100, "the tables look empty: {count} keywords");
    assert!(
        missing.is_empty(),
        "keywords missing from man/keepalived.conf.5: {}\nregenerate with: {REGENERATE}",
        missing.join(", ")
    );
    for block in UNSUPPORTED_BLOCKS {
        assert!(
            committed.contains(&format!(".B {}\n", roff(block))),
            "unsupported block {block} is not listed; regenerate with: {REGENERATE}"
        );
    }
    for ext in [
        "mysql_check",
        "track_mysql",
        "mysql_read_only",
        "metrics_listen",
    ] {
        let line = committed
            .lines()
            .find(|l| l.starts_with(&format!("\\fB{}\\fR", roff(ext))))
            .unwrap_or_else(|| panic!("extension {ext} missing"));
        assert!(line.ends_with("[extension]"), "{ext} not marked: {line}");
    }
}

#[test]
fn keepalived_8_documents_every_command_line_option_and_signal() {
    let page = read_page("keepalived.8");
    let missing: Vec<_> = keepalived_rs::cli::long_option_names()
        .filter(|long| !page.contains(&format!("\\-\\-{}", roff(long))))
        .collect();
    assert!(missing.is_empty(), "keepalived.8 lacks --{missing:?}");
    let text = render_text(&man_dir().join("keepalived.8"));
    for signal in ["STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON"] {
        let number = keepalived_rs::cli::signal_number(signal)
            .unwrap_or_else(|| panic!("--signum={signal} has no number"));
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{signal} ({number},"))),
            "keepalived.8 does not give {signal} as signal {number}"
        );
    }
    for file in [
        "/etc/keepalived/keepalived.conf",
        "/run/keepalived.pid",
        "/run/vrrp.pid",
        "/etc/default/keepalived",
    ] {
        assert!(page.contains(&roff(file)), "keepalived.8 lacks {file}");
    }
}

/// The page as plain text, with lines long enough that nothing is hyphenated or broken.
fn render_text(page: &Path) -> String {
    let out = Command::new("groff")
        .args(["-man", "-Tascii", "-P-cbou", "-rLL=300n"])
        .arg(page)
        .output()
        .unwrap_or_else(|e| panic!("cannot run groff (install groff-base): {e}"));
    assert!(out.status.success(), "groff failed on {}", page.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a formatter over a page and returns its diagnostics; panics if it is not installed
/// (CI installs groff and man-db, see .ci/run).
fn formatter_warnings(program: &str, args: &[&str], page: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(page)
        .env("MANWIDTH", "80")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (install groff and man-db): {e}"));
    assert!(
        out.status.success(),
        "{program} failed on {}",
        page.display()
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn both_pages_render_without_warnings_in_groff_and_man() {
    for name in ["keepalived.8", "keepalived.conf.5"] {
        let page = man_dir().join(name);
        let groff = formatter_warnings("groff", &["-man", "-ww", "-z", "-Tutf8"], &page);
        assert!(groff.is_empty(), "groff warns about {name}:\n{groff}");
        let man = formatter_warnings("man", &["--warnings", "-E", "UTF-8", "-l"], &page);
        assert!(man.is_empty(), "man warns about {name}:\n{man}");
    }
}

#[test]
fn roff_escaping_keeps_lines_safe() {
    assert_eq!(roff("-f"), "\\-f");
    assert_eq!(roff(".hidden"), "\\&.hidden");
    assert_eq!(roff("a\\b"), "a\\eb");
    assert_eq!(roff("{ … }"), "{ \\&.\\|.\\|.\\& }");
    assert_eq!(roff("é"), "\\[u00E9]");
}
