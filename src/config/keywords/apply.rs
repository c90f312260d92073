//! Walking nodes through a keyword table: the part of lowering that knows the tables
//! (finding a node's row, unknown keywords with "did you mean", the top-level blocks). The
//! lowering context itself, [`Lower`], knows no table, so tables and context do not depend
//! on each other both ways.

use super::{all_keyword_names, top, Keyword, TOP};
use crate::config::diag::{suggest, Diagnostic};
use crate::config::lower::Lower;
use crate::config::model::Config;
use crate::config::span::Span;
use crate::config::syntax::Node;

impl Lower {
    /// Applies every child node of a block through `table`.
    pub fn apply_block<T>(&mut self, table: &[Keyword<T>], target: &mut T, children: &[Node]) {
        for (i, child) in children.iter().enumerate() {
            if self.aborted {
                return;
            }
            self.next_line = children.get(i + 1).map(Node::span);
            self.apply_one(table, target, child);
        }
    }

    /// Applies one node through `table`, or reports it as unknown.
    pub fn apply_one<T>(&mut self, table: &[Keyword<T>], target: &mut T, node: &Node) {
        let name = node.keyword.text.as_str();
        // Tables hold up to a hundred keywords: compare lengths and first bytes before
        // whole names (most candidates fail there).
        let first = name.as_bytes().first();
        let is = |known: &str| {
            known.len() == name.len() && known.as_bytes().first() == first && known == name
        };
        match table
            .iter()
            .find(|k| is(k.name) || k.aliases.iter().any(|a| is(a)))
        {
            Some(k) if node.block.is_some() && !k.usage.contains('{') => {
                // keepalived: "Unexpected '{'", and the block's lines are read as keywords
                // of the current block.
                let block = node.block.as_ref().expect("checked");
                let end = block.close.map_or(u32::MAX, |c| c.line);
                self.spans.misnested_blocks.push((block.open, end));
                self.push(
                    Diagnostic::error(block.open, "Unexpected '{' - ignoring")
                        .with_hint(format!("'{name}' does not take a {{ }} block")),
                );
                let bare = Node {
                    keyword: node.keyword.clone(),
                    args: node.args.clone(),
                    block: None,
                };
                (k.apply)(self, target, &bare);
                self.apply_block(table, target, &block.children);
            }
            Some(k) => (k.apply)(self, target, node),
            None => self.unknown(node, table.iter().map(|k| k.name)),
        }
    }

    /// "Unknown keyword 'X'" with the closest known keyword as a hint. Its block is
    /// skipped whole (keepalived instead mis-nests it; see DIFFERENCES.md).
    pub fn unknown<'a>(&mut self, node: &Node, known: impl IntoIterator<Item = &'a str>) {
        let word = &node.keyword.text;
        let mut d = Diagnostic::error(node.keyword.span, format!("Unknown keyword '{word}'"));
        if let Some(s) = suggest(word, known) {
            d = d.with_hint(format!("did you mean '{s}'?"));
        } else if let Some(s) = suggest(word, all_keyword_names()) {
            d = d.with_hint(format!("'{s}' exists, but not in this block"));
        }
        if let Some(b) = &node.block {
            let end = b.close.map_or(u32::MAX, |c| c.line);
            self.spans.skipped_blocks.push((node.keyword.span, end));
            let hint = match d.hint.take() {
                Some(h) => format!("{h} (its {{ }} block is skipped)"),
                None => "its { } block is skipped".to_string(),
            };
            d = d.with_hint(hint);
        }
        self.push(d);
    }

    /// Lowers one top-level node (`next` = span of the top-level node after it), as the
    /// syntax layer completes them (see [`crate::config::syntax::parse_each`]).
    pub fn lower_top(&mut self, cfg: &mut Config, node: &Node, next: Option<Span>) {
        // keepalived's checker process reads the LVS blocks on when its VRRP process has
        // stopped reading (and the other way round): they keep their own "stopped" flag.
        let lvs = super::lvs::BLOCKS.contains(&node.keyword.text.as_str());
        if !self.aborted || lvs {
            self.next_line = next;
            self.apply_one(TOP, cfg, node);
        }
        if self.aborted && !lvs {
            self.note_unsupported_block(node);
        }
    }

    /// Once reading has stopped: keepalived's VRRP process stopped reading, but its checker
    /// process (which reads the LVS blocks) did not, so note where those blocks are all the
    /// same.
    fn note_unsupported_block(&mut self, n: &Node) {
        let unsupported = top::UNSUPPORTED_BLOCKS.contains(&n.keyword.text.as_str());
        let known = self
            .spans
            .skipped_blocks
            .iter()
            .any(|(s, _)| *s == n.keyword.span);
        if let (true, false, Some(b)) = (unsupported, known, &n.block) {
            let end = b.close.map_or(u32::MAX, |c| c.line);
            self.spans.skipped_blocks.push((n.keyword.span, end));
        }
    }
}
