//! The link polling keywords (see [`crate::config::model_linkbeat`]): the instance's
//! deprecated `linkbeat_use_polling` and the top-level `linkbeat_interfaces` block, read
//! with keepalived 2.2.7's messages.

use super::top::no_block;
use crate::config::diag::{Diagnostic, Severity};
use crate::config::dump::Dumper;
use crate::config::host::Host;
use crate::config::lower::Lower;
use crate::config::model::{Config, LinkMethod, LinkbeatInterface, VrrpInstance};
use crate::config::syntax::Node;

/// The key the block's lines are found under in `Lower::spans.routing_lines`.
const BLOCK: &str = "linkbeat_interfaces";

/// `linkbeat_use_polling` in an instance: keepalived still honours it, with an error
/// telling to use the block instead (so `-t` exits 5).
pub fn instance_use_polling(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    t.linkbeat_use_polling = true;
    cx.push(
        Diagnostic::warning(
            n.keyword.span,
            format!(
                "({}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block",
                t.name
            ),
        )
        .with_hint(format!(
            "write 'linkbeat_interfaces {{ {} }}' at the top level instead",
            t.interface.as_deref().unwrap_or("IFNAME")
        )),
    );
}

/// `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] … }`: each line is kept; a word
/// after the name that is not a method, or any further word, is an error, and the line
/// then polls with the method it named (none for an unknown word), as in keepalived.
pub fn interfaces_block(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    if no_block(cx, n) {
        return;
    }
    for line in n.children() {
        let method = line.args.first().and_then(|w| {
            let method = LinkMethod::from_word(&w.text);
            if method.is_none() || line.args.len() > 1 {
                cx.push(
                    Diagnostic::error(
                        w.span,
                        format!("extra characters {} in linkbeat interface", w.text),
                    )
                    .with_hint("a line is 'IFNAME' or 'IFNAME MII|ETHTOOL|IOCTL'"),
                );
            }
            method
        });
        let list = &mut cfg.linkbeat.interfaces;
        cx.spans
            .routing_lines
            .insert((String::new(), BLOCK, list.len()), line.keyword.span);
        list.push(LinkbeatInterface {
            name: line.keyword.text.to_string(),
            method,
        });
    }
}

/// Prints the block back, one line per interface, when there is one.
pub fn dump_interfaces_block(cfg: &Config, d: &mut Dumper) {
    if cfg.linkbeat.interfaces.is_empty() {
        return;
    }
    d.block(BLOCK, |d| {
        for line in &cfg.linkbeat.interfaces {
            match line.method {
                Some(m) => d.line(&line.name, &[m.word()]),
                None => d.line::<&str>(&line.name, &[]),
            }
        }
    })
}

/// keepalived looks each line's interface up as it reads it: one the host does not have
/// (without `dynamic_interfaces`) is a fatal configuration error for `-t` (exit 4), and
/// the line is dropped; the daemon still runs the rest.
pub fn check_interfaces(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) {
    if cfg.global.dynamic_interfaces {
        return;
    }
    let lines = std::mem::take(&mut cfg.linkbeat.interfaces);
    for (i, line) in lines.into_iter().enumerate() {
        if host.interface_exists(&line.name) {
            cfg.linkbeat.interfaces.push(line);
            continue;
        }
        let at = cx
            .spans
            .routing_lines
            .get(&(String::new(), BLOCK, i))
            .copied();
        cx.push(
            Diagnostic::new(
                Severity::Fatal,
                at,
                format!(
                    "unknown interface {} specified for linkbeat interface",
                    line.name
                ),
            )
            .with_hint("check the name with 'ip link'; set dynamic_interfaces in global_defs if it appears later")
            .host_dependent()
            .running_anyway(),
        );
    }
}
