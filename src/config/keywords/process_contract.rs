//! Setters and dumpers of the process-contract keywords ([`ProcessSettings`]): the
//! namespace and instance name (top level), timed reloads, the reload marker file, saved
//! configurations, `include_check` and `data_use_instance` (`global_defs`).

use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{Config, GlobalDefs, ProcessSettings, ReloadFile};
use crate::config::syntax::Node;

/// `net_namespace NAME` / `instance NAME`: the first one written wins; keepalived reports
/// a missing name and a second definition, and ignores both.
fn set_once(
    cx: &mut Lower,
    node: &Node,
    slot: &mut Option<String>,
    missing: &str,
    duplicate: &str,
) {
    let Some(name) = node.args.first() else {
        cx.push(Diagnostic::error(
            node.keyword.span,
            format!("{missing} - ignoring"),
        ));
        return;
    };
    if slot.is_some() {
        cx.push(Diagnostic::error(
            name.span,
            format!("Duplicate {duplicate} definition {} - ignoring", name.text),
        ));
        return;
    }
    *slot = Some(name.text.to_string());
}

pub fn net_namespace(cx: &mut Lower, cfg: &mut Config, node: &Node) {
    let slot = &mut cfg.global.process.net_namespace;
    set_once(
        cx,
        node,
        slot,
        "net_namespace name missing",
        "net_namespace",
    );
}

pub fn instance(cx: &mut Lower, cfg: &mut Config, node: &Node) {
    let slot = &mut cfg.global.process.instance;
    set_once(cx, node, slot, "instance name missing", "instance");
}

fn process(cfg: &Config) -> &ProcessSettings {
    &cfg.global.process
}

pub fn dump_net_namespace(cfg: &Config, d: &mut Dumper) {
    if let Some(ns) = &process(cfg).net_namespace {
        d.kv("net_namespace", crate::config::dump::quote(ns));
    }
}

pub fn dump_instance(cfg: &Config, d: &mut Dumper) {
    if let Some(name) = &process(cfg).instance {
        d.kv("instance", crate::config::dump::quote(name));
    }
}

/// `reload_time_file FILE`: exactly one word, else keepalived's "reload_time_file invalid".
pub fn reload_time_file(cx: &mut Lower, g: &mut GlobalDefs, node: &Node) {
    match node.args.as_slice() {
        [file] => g.process.reload_time_file = Some(file.text.to_string().into()),
        _ => cx.push(
            Diagnostic::error(node.keyword.span, "reload_time_file invalid")
                .with_hint("name one file: reload_time_file /path/to/file"),
        ),
    }
}

pub fn reload_file(_cx: &mut Lower, g: &mut GlobalDefs, node: &Node) {
    g.process.reload_file = Some(match node.args.first() {
        Some(f) => ReloadFile::Path(f.text.to_string().into()),
        None => ReloadFile::Default,
    });
}

pub fn dump_reload_file(g: &GlobalDefs, d: &mut Dumper) {
    match &g.process.reload_file {
        None => {}
        Some(ReloadFile::Default) => d.line::<&str>("reload_file", &[]),
        Some(ReloadFile::Path(p)) => d.kv("reload_file", p.display()),
    }
}

/// `config_save_dir DIR`: a trailing `/` is dropped, as keepalived does.
pub fn config_save_dir(cx: &mut Lower, g: &mut GlobalDefs, node: &Node) {
    let Some(dir) = cx.arg(node, 0) else { return };
    let text = dir.text.to_string();
    let trimmed = match text.strip_suffix('/') {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => text,
    };
    g.process.config_save_dir = Some(trimmed.into());
}

/// `include_check`: the reader already applied it to the includes after it (and reported
/// its errors there); the words are kept for `-d`.
pub fn include_check(_cx: &mut Lower, g: &mut GlobalDefs, node: &Node) {
    let words = node.args.iter().map(|a| a.text.to_string()).collect();
    g.process.include_check = Some(words);
}

pub fn dump_include_check(g: &GlobalDefs, d: &mut Dumper) {
    if let Some(words) = &g.process.include_check {
        d.line("include_check", words);
    }
}

/// `data_use_instance [BOOL]`: lower-case words only, as keepalived's `check_true_false`;
/// its message names the keyword "date_use_instance".
pub fn data_use_instance(cx: &mut Lower, g: &mut GlobalDefs, node: &Node) {
    let value = match node.args.first() {
        None => true,
        Some(w) => match &*w.text {
            "on" | "true" | "yes" => true,
            "off" | "false" | "no" => false,
            _ => {
                let a = &node.args[0];
                cx.push(Diagnostic::error(
                    a.span,
                    format!(
                        "Invalid value '{}' for global date_use_instance specified",
                        a.text
                    ),
                ));
                return;
            }
        },
    };
    g.process.data_use_instance = value;
}
