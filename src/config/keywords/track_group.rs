//! keepalived's static track groups: the block `track_group NAME { group { VI_1 … } }`
//! and the `track_group NAME` option of `static_ipaddress`, `static_routes` and
//! `static_rules` lines, read with keepalived 2.2.7's messages.
//!
//! keepalived looks a group up when it reads the line naming it, so a group must be
//! written before the static lines that use it ("track_group NAME not found" otherwise),
//! and the option exists on static lines only: on a virtual address, route or rule the
//! word falls through to that line's own "unknown" message.

use super::Keyword;
use crate::config::diag::Diagnostic;
use crate::config::dump::{quote, Dumper};
use crate::config::lower::Lower;
use crate::config::model::{Config, StaticTrackGroup};
use crate::config::syntax::{Node, Token};

/// The keywords of a `track_group` block.
pub static TRACK_GROUP: &[Keyword<StaticTrackGroup>] = &[keyword!(
    "group",
    "{ INSTANCE… }",
    "none",
    "Instances that go to FAULT while the interface of a static address, route or rule naming the group is down.",
    group,
    |t, d| if !t.group.is_empty() {
        d.block("group", |d| t.group.iter().for_each(|g| d.line::<&str>(g, &[])))
    }
)];

/// `group { … }`: every word of every line is an instance name. A second list after a
/// non-empty one is refused (keepalived's message names a sync group: it shares the
/// sync group's text).
fn group(cx: &mut Lower, t: &mut StaticTrackGroup, n: &Node) {
    if !t.group.is_empty() {
        cx.error(
            n.keyword.span,
            format!("Group list already specified for sync group {}", t.name),
        );
        skip(cx, n);
        return;
    }
    t.group = n
        .children()
        .iter()
        .flat_map(|c| std::iter::once(&c.keyword).chain(c.args.iter()))
        .map(|w| w.text.to_string())
        .collect();
    if t.group.is_empty() {
        let at = n
            .block
            .as_ref()
            .and_then(|b| b.close)
            .unwrap_or(n.keyword.span);
        cx.warn(
            at,
            format!("Warning - track group {} has empty group block", t.name),
        );
    }
}

/// Notes a block keepalived skips whole.
fn skip(cx: &mut Lower, n: &Node) {
    if let Some(b) = &n.block {
        let end = b.close.map_or(u32::MAX, |c| c.line);
        cx.spans.skipped_blocks.push((n.keyword.span, end));
    }
}

/// The top-level `track_group NAME { … }` block.
pub fn block(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    if n.args.len() != 1 {
        cx.push(
            Diagnostic::error(n.keyword.span, "track_group must have a name - skipping")
                .with_hint("write 'track_group NAME {', with one name"),
        );
        skip(cx, n);
        return;
    }
    if super::top::no_block(cx, n) {
        return;
    }
    let name = n.args[0].text.to_string();
    if cx.spans.track_groups.contains_key(&name) {
        cx.push(
            Diagnostic::error(
                n.args[0].span,
                format!("track_group {name} already defined"),
            )
            .with_hint("group names must be unique; the later block is skipped"),
        );
        skip(cx, n);
        return;
    }
    cx.spans.track_groups.insert(name.clone(), n.args[0].span);
    let mut g = StaticTrackGroup {
        name: name.clone(),
        group: Vec::new(),
    };
    cx.owner = name;
    cx.apply_block(TRACK_GROUP, &mut g, n.children());
    cfg.track_groups.push(g);
}

/// Prints every group back, ahead of the static lines that name them.
pub fn dump(cfg: &Config, d: &mut Dumper) {
    for g in &cfg.track_groups {
        d.block(&format!("track_group {}", quote(&g.name)), |d| {
            TRACK_GROUP.iter().for_each(|k| (k.dump)(g, d))
        });
    }
}

/// The `track_group NAME` option of a static line, at its value `name`. Returns `false`
/// for a second `track_group` on the line: keepalived stops reading the line there.
pub fn reference(cx: &mut Lower, slot: &mut Option<String>, name: &Token) -> bool {
    if slot.is_some() {
        cx.push(
            Diagnostic::error(
                name.span,
                format!("track_group {} is a duplicate", name.text),
            )
            .with_hint("a line names one track group; the rest of the line is not read"),
        );
        return false;
    }
    if cx.spans.track_groups.contains_key(name.text.as_str()) {
        *slot = Some(name.text.to_string());
    } else {
        cx.push(
            Diagnostic::error(name.span, format!("track_group {} not found", name.text)).with_hint(
                "define 'track_group NAME { group { … } }' before the line that names it",
            ),
        );
    }
    true
}

/// A route or rule tracked through a group needs the interface the group's instances
/// will track: without one keepalived says `message` and drops the reference.
pub fn needs_interface(
    cx: &mut Lower,
    node: &Node,
    slot: &mut Option<String>,
    has_interface: bool,
    message: &str,
) {
    if slot.is_some() && !has_interface {
        cx.push(
            Diagnostic::error(node.keyword.span, message)
                .with_hint("add the interface to the line, or remove 'track_group'"),
        );
        *slot = None;
    }
}

/// The words `-d` prints for a line's group.
pub fn words(slot: &Option<String>) -> Vec<String> {
    match slot {
        Some(g) => vec!["track_group".into(), g.clone()],
        None => Vec::new(),
    }
}
