//! Configuration diagnostics: what went wrong, where, and how to fix it.
//!
//! keepalived prints `(FILE: Line N) message` and sums everything up in `-t`'s exit code.
//! We keep keepalived's classes (so the exit code is the same for the same file) and its
//! message text (so existing tooling that greps for it keeps working), and add a column, the
//! source line with a caret, and a hint — in the style of rustc.

use super::span::{SourceMap, Span};
use serde::Serialize;
use std::fmt::Write as _;

/// How bad a diagnostic is. The order is keepalived's: `-t` exits with the code of the most
/// severe class seen (security 6 beats fatal 4 beats everything else 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth saying, changes nothing (a missing plain `include`, an unsupported LVS block).
    Info,
    /// Said loudly (a warning in the log and in `-t`), but keepalived has no such finding,
    /// so it changes no exit code: the LVS blocks this VRRP-only build reads but does not run.
    Notice,
    /// keepalived calls it a warning (or "deprecated"); still makes `-t` exit 5.
    Warning,
    /// A configuration error keepalived recovers from (unknown keyword, bad number).
    Error,
    /// keepalived gives up on the instance or the process (missing file, bad interface).
    Fatal,
    /// Script security violation: `-t` exits 6.
    Security,
}

impl Severity {
    /// `keepalived -t` exit code contributed by this class (0 = none).
    pub fn exit_code(self) -> i32 {
        match self {
            Severity::Info | Severity::Notice => 0,
            Severity::Warning | Severity::Error => 5,
            Severity::Fatal => 4,
            Severity::Security => 6,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Notice => "warning",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Fatal => "fatal",
            Severity::Security => "security",
        }
    }
}

/// One finding about the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where; `None` for whole-configuration findings.
    pub span: Option<Span>,
    /// keepalived 2.2.7's text for the same finding where it has one (without the
    /// `(FILE: Line N) ` prefix); otherwise our own wording.
    pub message: String,
    /// What to do about it ("did you mean 'MASTER'?").
    pub hint: Option<String>,
    /// True when the finding depends on the host the check runs on (interfaces, script
    /// files, users): `--skip-host-checks` suppresses these.
    pub host_dependent: bool,
    /// Set when keepalived would stop parsing here (exit code 2): nothing after it is read.
    pub aborts: bool,
    /// Set when keepalived's daemon cannot run the file because of this finding (its VRRP
    /// process stops with a configuration error and takes the daemon down, exit status 2),
    /// although `-t` only counts it as an error: a missing interface without
    /// `dynamic_interfaces`, an instance without a VRID or an interface, two instances on
    /// one VRID.
    pub stops_daemon: bool,
    /// About a part of the file this VRRP-only build checks but never runs (LVS, checkers,
    /// BFD): it counts for `-t`'s exit code, but is no reason to refuse a reload.
    pub not_run: bool,
    /// keepalived grades it fatal for `-t` (exit 4) but its daemon carries on without the
    /// line concerned (an unknown interface in `linkbeat_interfaces` or
    /// `interface_up_down_delays`): it stops no daemon and refuses no reload.
    pub runs_anyway: bool,
    /// An included file an include check (`includea`…, `include_check`, `-e`) requires is
    /// missing or unreadable: keepalived stops right after reading, `-t` and daemon alike,
    /// with status 6 (its `KEEPALIVED_EXIT_NO_CONFIG`).
    pub file_error: bool,
}

impl Diagnostic {
    pub fn new(severity: Severity, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            span,
            message: message.into(),
            hint: None,
            host_dependent: false,
            aborts: false,
            stops_daemon: false,
            not_run: false,
            runs_anyway: false,
            file_error: false,
        }
    }
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, Some(span), message)
    }
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, Some(span), message)
    }
    pub fn info(span: Option<Span>, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, span, message)
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn host_dependent(mut self) -> Self {
        self.host_dependent = true;
        self
    }
    pub fn aborting(mut self) -> Self {
        self.aborts = true;
        self
    }
    pub fn stopping_daemon(mut self) -> Self {
        self.stops_daemon = true;
        self
    }
    pub fn running_anyway(mut self) -> Self {
        self.runs_anyway = true;
        self
    }
    pub fn not_run(mut self) -> Self {
        self.not_run = true;
        self
    }

    /// keepalived's one-line form: `(FILE: Line N) message`.
    pub fn render_keepalived(&self, sources: &SourceMap) -> String {
        match self.span {
            Some(s) => format!(
                "({}: Line {}) {}",
                sources.file(s.file).display,
                s.line,
                self.message
            ),
            None => self.message.clone(),
        }
    }

    /// rustc-style form with the source line and a caret under the culprit.
    pub fn render_pretty(&self, sources: &SourceMap) -> String {
        let mut out = format!("{}: {}\n", self.severity.label(), self.message);
        if let Some(s) = self.span {
            let file = &sources.file(s.file).display;
            let _ = writeln!(out, "  --> {}:{}:{}", file, s.line, s.col);
            if let Some(text) = sources.line_text(s) {
                let gutter = s.line.to_string();
                let pad = " ".repeat(gutter.len());
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{gutter} | {}", text.replace('\t', " "));
                let caret_at = " ".repeat(s.col.saturating_sub(1) as usize);
                let carets = "^".repeat(s.len.max(1) as usize);
                let _ = writeln!(out, "{pad} | {caret_at}{carets}");
            }
        }
        if let Some(h) = &self.hint {
            let _ = writeln!(out, "  = help: {h}");
        }
        if self.host_dependent {
            let _ = writeln!(
                out,
                "  = note: depends on this host (skip with --skip-host-checks)"
            );
        }
        out
    }

    /// One JSON object (for `--check-config --format=json`): severity, file, line, column,
    /// message, hint.
    pub fn render_json(&self, sources: &SourceMap) -> String {
        #[derive(Serialize)]
        struct J<'a> {
            severity: Severity,
            file: Option<&'a str>,
            line: Option<u32>,
            column: Option<u32>,
            message: &'a str,
            hint: Option<&'a str>,
            host_dependent: bool,
        }
        let j = J {
            severity: self.severity,
            file: self.span.map(|s| sources.file(s.file).display.as_str()),
            line: self.span.map(|s| s.line),
            column: self.span.map(|s| s.col),
            message: &self.message,
            hint: self.hint.as_deref(),
            host_dependent: self.host_dependent,
        };
        serde_json::to_string(&j).expect("diagnostic serializes")
    }
}

/// The `-t` exit code for a set of diagnostics, as keepalived computes it: 6 if an include
/// check failed, 2 if parsing was aborted, else the code of the class keepalived keeps.
///
/// keepalived keeps one class for the whole file: each finding replaces it when its class
/// comes later in keepalived's list, which runs fatal (exit 4), then the errors and
/// warnings a daemon still runs with (exit 5), then script security (exit 6). So one
/// ordinary error after, or before, a fatal finding makes the exit code 5, not 4.
pub fn exit_code(diags: &[Diagnostic]) -> i32 {
    // keepalived looks at file errors first, right after reading.
    if diags.iter().any(|d| d.file_error) {
        return super::verdict::EXIT_NO_CONFIG;
    }
    if diags.iter().any(|d| d.aborts) {
        return 2;
    }
    let kept_by_keepalived = |s: &Severity| match s {
        Severity::Info | Severity::Notice => 0,
        Severity::Fatal => 1,
        Severity::Warning | Severity::Error => 2,
        Severity::Security => 3,
    };
    diags
        .iter()
        .map(|d| d.severity)
        .max_by_key(kept_by_keepalived)
        .map(Severity::exit_code)
        .unwrap_or(0)
}

/// The closest candidate to `word` (for "did you mean"), if it is close enough to be a
/// plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&word.to_ascii_lowercase(), &c.to_ascii_lowercase());
        if score >= 0.85 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::span::FileId;

    fn map() -> SourceMap {
        let mut m = SourceMap::default();
        m.add_text(
            "k.conf".into(),
            "k.conf".into(),
            "vrrp_instance VI_1 {\n  state MASTR\n}\n".into(),
        );
        m
    }

    #[test]
    fn pretty_points_a_caret_at_the_column() {
        let d = Diagnostic::warning(
            Span::new(FileId(0), 2, 9, 5),
            "(VI_1) unknown state 'MASTR', defaulting to BACKUP",
        )
        .with_hint("did you mean 'MASTER'?");
        let s = d.render_pretty(&map());
        assert!(s.contains("--> k.conf:2:9"), "{s}");
        assert!(s.contains("2 |   state MASTR\n  |         ^^^^^\n"), "{s}");
        assert!(s.contains("= help: did you mean 'MASTER'?"), "{s}");
    }

    #[test]
    fn keepalived_form_has_file_and_line_prefix() {
        let d = Diagnostic::error(Span::new(FileId(0), 2, 3, 5), "Unknown keyword 'x'");
        assert_eq!(
            d.render_keepalived(&map()),
            "(k.conf: Line 2) Unknown keyword 'x'"
        );
    }

    #[test]
    fn exit_code_ranks_security_over_errors_over_fatal() {
        let sp = Span::new(FileId(0), 1, 1, 1);
        let w = Diagnostic::warning(sp, "w");
        let f = Diagnostic::new(Severity::Fatal, Some(sp), "f");
        let s = Diagnostic::new(Severity::Security, None, "s");
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(exit_code(&[Diagnostic::info(None, "i")]), 0);
        assert_eq!(exit_code(std::slice::from_ref(&w)), 5);
        assert_eq!(exit_code(std::slice::from_ref(&f)), 4);
        // keepalived keeps the class later in its list: an error outranks a fatal.
        assert_eq!(exit_code(&[w.clone(), f.clone()]), 5);
        assert_eq!(exit_code(&[f.clone(), w.clone()]), 5);
        assert_eq!(exit_code(&[f, s, w.clone()]), 6);
        assert_eq!(exit_code(&[w.aborting()]), 2);
    }

    #[test]
    fn suggestions_only_for_plausible_typos() {
        let words = ["MASTER", "BACKUP"];
        assert_eq!(suggest("MASTR", words), Some("MASTER"));
        assert_eq!(suggest("BAKUP", words), Some("BACKUP"));
        assert_eq!(suggest("zebra", words), None);
    }

    #[test]
    fn json_line_has_all_fields() {
        let d = Diagnostic::error(Span::new(FileId(0), 2, 3, 5), "bad").with_hint("fix");
        let v: serde_json::Value = serde_json::from_str(&d.render_json(&map())).unwrap();
        assert_eq!(v["severity"], "error");
        assert_eq!(v["file"], "k.conf");
        assert_eq!(v["line"], 2);
        assert_eq!(v["column"], 3);
        assert_eq!(v["hint"], "fix");
    }
}
