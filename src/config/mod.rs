//! Reading `keepalived.conf`: source (files, `include`, `@`, `$`, `~SEQ`) → syntax tree (nom)
//! → typed [`model::Config`], with rustc-quality [`diag::Diagnostic`]s along the way.
//!
//! ```text
//!  files ──source──► logical lines ──syntax──► node tree ──lower──► Config ──complete──► checked Config
//!                                                                   (keyword tables)   (+ host checks)
//! ```

pub mod complete;
pub mod diag;
pub mod dump;
pub mod host;
mod host_routing;
pub mod host_scripts;
mod host_vrf;
pub mod keywords;
pub mod lower;
pub mod lvs;
pub mod model;
pub mod model_linkbeat;
pub mod process_settings;
pub mod source;
pub mod span;
pub mod syntax;
pub mod verdict;

pub use keywords::dump_config;

use diag::Diagnostic;
use host::Host;
use model::Config;
use source::{LogicalLine, Preprocessed, SourceOptions};
use span::SourceMap;
use std::path::Path;

/// A configuration read and checked, with everything found along the way.
pub struct Checked {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
    /// Where things were written (instances, skipped blocks…).
    pub spans: lower::Spans,
}

impl Checked {
    /// `keepalived -t`'s exit code for this configuration.
    pub fn exit_code(&self) -> i32 {
        diag::exit_code(&self.diagnostics)
    }
}

/// Checks `text` as a whole configuration file, without host checks: for the unit tests
/// of the modules that work from the model.
#[cfg(test)]
pub(crate) fn check_text(text: &str) -> Checked {
    let pre = source::load_str("test.conf", text, Path::new("/"), &SourceOptions::default());
    check(pre, None)
}

/// Runs every stage after the source layer. `host` = `None` skips the host-dependent checks.
pub fn check(pre: Preprocessed, host: Option<&dyn Host>) -> Checked {
    let Preprocessed {
        lines,
        sources,
        diagnostics,
    } = pre;
    let parsed = parse_and_lower(lines);
    finish_check(parsed, sources, diagnostics, host)
}

/// Reads and checks the configuration file `path` in one pass: each line is parsed as it
/// is read and each top-level block lowered as it is parsed, so a large file is never held
/// whole as lines or as a syntax tree (what [`check`] of [`source::load_file`] gives, faster).
pub fn check_file(path: &Path, opts: &SourceOptions, host: Option<&dyn Host>) -> Checked {
    let mut reader = source::Reader::open(path, opts);
    let parsed = parse_and_lower(&mut reader);
    let Preprocessed {
        sources,
        diagnostics,
        ..
    } = reader.finish();
    finish_check(parsed, sources, diagnostics, host)
}

/// What the syntax and lowering stages make of a stream of lines.
struct Parsed {
    config: Config,
    cx: lower::Lower,
    syntax_diags: Vec<Diagnostic>,
}

fn parse_and_lower(lines: impl IntoIterator<Item = LogicalLine>) -> Parsed {
    let mut config = Config::default();
    let mut cx = lower::Lower::new();
    let syntax_diags =
        syntax::parse_each(lines, |node, next| cx.lower_top(&mut config, &node, next));
    Parsed {
        config,
        cx,
        syntax_diags,
    }
}

/// The checks after lowering, in keepalived's order.
fn finish_check(
    parsed: Parsed,
    sources: SourceMap,
    mut diagnostics: Vec<Diagnostic>,
    host: Option<&dyn Host>,
) -> Checked {
    let Parsed {
        mut config,
        mut cx,
        syntax_diags,
    } = parsed;
    diagnostics.extend(syntax_diags);
    // The order is keepalived's: what it checks while reading the file (scripts' own blocks,
    // then their users, then the instances referring to them), then the interfaces (a missing
    // one stops it before completion), then completion, then the script files.
    complete::parsed_scripts(&mut config, &mut cx);
    let users = host.map(|h| {
        if !cx.aborted {
            host::check_smtp_server(&mut config, &mut cx, h);
        }
        let users = host_scripts::check_users(&mut config, &mut cx, h);
        if !cx.aborted {
            host_scripts::check_start_stop_scripts(&mut config, &mut cx, h, &users);
        }
        users
    });
    complete::parsed_instances(&mut config, &mut cx);
    if !cx.lvs.aborted {
        lvs::validate(&mut cx.lvs, &mut cx.diags);
    }
    let stopped = match host {
        Some(h) if !cx.aborted => {
            keywords::linkbeat::check_interfaces(&mut config, &mut cx, h);
            host::reject_loopback(&mut config, &mut cx, h);
            keywords::up_down_delays::check_interfaces(&mut config, &mut cx, h);
            host_vrf::reject_loopback_vrf(&mut config, &mut cx, h);
            host::check_interfaces(&mut config, &mut cx, h)
        }
        _ => false,
    };
    if !stopped {
        complete::complete_init(&mut config, &mut cx);
        if let (Some(h), Some(users)) = (host, &users) {
            if !cx.aborted {
                host_scripts::check_script_files(&mut config, &mut cx, h, users);
            }
        }
    }
    if let Some(h) = host {
        if !cx.lvs.aborted {
            host_scripts::check_checker_scripts(&config, &mut cx, h);
        }
    }
    diagnostics.extend(cx.diags);
    Checked {
        config,
        diagnostics,
        sources,
        spans: cx.spans,
    }
}
