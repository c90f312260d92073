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
pub mod host_scripts;
pub mod keywords;
pub mod lower;
pub mod model;
pub mod source;
pub mod span;
pub mod syntax;

use diag::Diagnostic;
use host::Host;
use model::Config;
use source::Preprocessed;
use span::SourceMap;

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

/// Runs every stage after the source layer. `host` = `None` skips the host-dependent checks.
pub fn check(pre: Preprocessed, host: Option<&dyn Host>) -> Checked {
    let Preprocessed {
        lines,
        sources,
        mut diagnostics,
    } = pre;
    // Each top-level block is lowered as soon as it is parsed, then freed.
    let mut config = Config::default();
    let mut cx = lower::Lower::new();
    let syntax_diags =
        syntax::parse_each(&lines, |node, next| cx.lower_top(&mut config, &node, next));
    drop(lines);
    diagnostics.extend(syntax_diags);
    // The order is keepalived's: what it checks while reading the file (scripts' own blocks,
    // then their users, then the instances referring to them), then the interfaces (a missing
    // one stops it before completion), then completion, then the script files.
    complete::parsed_scripts(&mut config, &mut cx);
    let users = host.map(|h| {
        if !cx.aborted {
            host::check_smtp_server(&mut config, &mut cx, h);
        }
        host_scripts::check_users(&mut config, &mut cx, h)
    });
    complete::parsed_instances(&mut config, &mut cx);
    let stopped = match host {
        Some(h) if !cx.aborted => host::check_interfaces(&mut config, &mut cx, h),
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
    diagnostics.extend(cx.diags);
    Checked {
        config,
        diagnostics,
        sources,
        spans: cx.spans,
    }
}
