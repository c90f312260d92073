//! The LVS side of the file: `virtual_server`, `virtual_server_group`, `real_server`, the
//! checker blocks and `bfd_instance`, read through keyword tables like the VRRP side, with
//! keepalived 2.2.7's checker-process messages. This build runs none of it: the tables fill
//! [`crate::config::lvs::Facts`], just enough for keepalived's checks.
//!
//! Every finding made inside these blocks is a warning: `-t` exits 5 as keepalived's does,
//! and a reload is never refused over a block this daemon does not run.

pub mod bfd;
pub mod checkers;
mod group;
pub mod server;
pub(super) mod values;

use super::Keyword;
use crate::config::diag::{Diagnostic, Severity};
use crate::config::lower::Lower;
use crate::config::lvs::{finding, ServiceAddr, VirtualServer};
use crate::config::model::Config;
use crate::config::span::Span;
use crate::config::syntax::Node;

pub use group::server_group;
use server::VIRTUAL_SERVER;

/// The top-level blocks read here (by keepalived's checker and BFD processes).
pub const BLOCKS: &[&str] = &["virtual_server", "virtual_server_group", "bfd_instance"];

/// Runs `read` as keepalived's checker process would: a keyword missing its value there
/// stops that process's reading (exit code 2), not the VRRP process's, and the other way
/// round.
fn in_checker_process(cx: &mut Lower, read: impl FnOnce(&mut Lower)) {
    let vrrp_stopped = std::mem::replace(&mut cx.aborted, cx.lvs.aborted);
    read(cx);
    cx.lvs.aborted = std::mem::replace(&mut cx.aborted, vrrp_stopped);
}

/// The line keepalived reports a block's end-of-block findings on: its closing `}` (the
/// keyword's own line when the block is missing or unclosed).
fn block_end(n: &Node) -> Span {
    n.block
        .as_ref()
        .and_then(|b| b.close)
        .unwrap_or(n.keyword.span)
}

/// Pushes one of keepalived's checker findings.
fn say(cx: &mut Lower, at: Span, message: impl Into<String>) {
    cx.push(finding(at, message));
}

/// Applies a block's children through several tables: the first table naming a keyword
/// reads it; a keyword none names is reported as unknown by the last (checkers share their
/// connection and timing keywords this way).
fn apply_layered<T>(cx: &mut Lower, tables: &[&[Keyword<T>]], target: &mut T, children: &[Node]) {
    for (i, child) in children.iter().enumerate() {
        if cx.aborted {
            return;
        }
        cx.next_line = children.get(i + 1).map(Node::span);
        let name = child.keyword.text.as_str();
        let table = tables
            .iter()
            .find(|t| t.iter().any(|k| k.name == name))
            .or(tables.last())
            .expect("at least one table");
        cx.apply_one(table, target, child);
    }
}

/// Findings inside LVS blocks are warnings (see the module doc), whatever the shared
/// readers (unknown keywords, misplaced braces) made of them.
fn soften(diags: &mut [Diagnostic]) {
    for d in diags {
        if d.severity == Severity::Error {
            d.severity = Severity::Warning;
        }
        d.not_run = true;
    }
}

/// Says once per file, loudly, that its LVS blocks are read and checked but not run.
fn note_not_run(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    let kw = n.keyword.text.to_string();
    if !cfg
        .unsupported
        .iter()
        .any(|k| k.starts_with("virtual_server"))
    {
        cx.push(
            Diagnostic::new(
                Severity::Notice,
                Some(n.keyword.span),
                "virtual_server blocks are checked but not run: this build runs VRRP only (no IPVS, no health checkers, no virtual_server_group)",
            )
            .with_hint("run stock keepalived's checker process (keepalived -C) for load balancing"),
        );
    }
    cfg.unsupported.push(kw);
}

/// `virtual_server IP PORT | fwmark N | group NAME { … }`.
pub fn virtual_server(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    note_not_run(cx, cfg, n);
    in_checker_process(cx, |cx| read_virtual_server(cx, cfg, n));
}

fn read_virtual_server(cx: &mut Lower, cfg: &Config, n: &Node) {
    let from = cx.diags.len();
    if let Some(mut vs) = new_virtual_server(cx, n) {
        if !super::top::no_block(cx, n) {
            cx.lvs.track_files = cfg.track_files.iter().map(|t| t.name.clone()).collect();
            apply_layered(cx, &[VIRTUAL_SERVER], &mut vs, n.children());
            if cx.aborted {
                return soften(&mut cx.diags[from..]);
            }
            server::virtual_server_end(cx, &mut vs, block_end(n));
            cx.lvs.servers.push(vs);
        }
    }
    soften(&mut cx.diags[from..]);
}

/// The virtual server a `virtual_server` line names, or `None` (reported; keepalived then
/// skips its block).
fn new_virtual_server(cx: &mut Lower, n: &Node) -> Option<VirtualServer> {
    let first = cx.arg(n, 0)?.clone();
    let second = n.args.get(1);
    let addr = match first.text.as_str() {
        "group" => ServiceAddr::Group(second.map_or(String::new(), |t| t.text.to_string())),
        "fwmark" => {
            let mark = second.and_then(|t| values::unsigned(cx, t, 0, values::UINT_MAX));
            match mark {
                Some(m) => ServiceAddr::Fwmark(m as u32),
                None => {
                    let word = second.map_or("(null)", |t| t.text.as_str());
                    say(
                        cx,
                        first.span,
                        format!(
                            "virtual server fwmark '{word}' must be in [0, 4294967295] - ignoring"
                        ),
                    );
                    return None;
                }
            }
        }
        ip => {
            let port = values::nonzero_port(second);
            match values::socket_addr(cx, ip, port) {
                Some((ip, port)) => ServiceAddr::Addr { ip, port },
                None => {
                    let (slash, p) =
                        port.map_or(("", String::new()), |p| ("/port", format!("/{}", p.text)));
                    say(
                        cx,
                        first.span,
                        format!("Invalid virtual server IP address{slash} {ip}{p} - skipping"),
                    );
                    return None;
                }
            }
        }
    };
    Some(VirtualServer::new(n.keyword.span, addr))
}

/// `virtual_server_group NAME { … }` (reads through [`group::server_group`]).
pub fn virtual_server_group(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    note_not_run(cx, cfg, n);
    in_checker_process(cx, |cx| {
        let from = cx.diags.len();
        server_group(cx, n);
        soften(&mut cx.diags[from..]);
    });
}

/// `bfd_instance NAME { … }`.
pub fn bfd_instance(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    in_checker_process(cx, |cx| {
        let from = cx.diags.len();
        bfd::bfd_instance(cx, cfg, n);
        soften(&mut cx.diags[from..]);
    });
}
