//! The syntax layer: logical lines → a tree of `keyword args… [{ children }]` nodes.
//!
//! Tokens are recognised with nom: `{`, `}`, a double-quoted string (one token, quotes
//! removed, as keepalived 2.x's `alloc_strvec` does) or a bare word. Braces may appear
//! anywhere on a line (`vrrp_instance X{`, `{ a }`, `} }`), and a block's `{` may stand on
//! the line after its keyword, as keepalived accepts.
//!
//! This layer knows no keywords. That is why an unknown keyword's block is kept whole here
//! and skipped as a unit later — keepalived instead lets the unknown block's `}` close the
//! enclosing block (see `conformance/DIFFERENCES.md`).

use super::diag::Diagnostic;
use super::source::LogicalLine;
use super::span::Span;
use compact_str::CompactString;
use nom::{
    branch::alt,
    bytes::complete::{is_not, take_till1},
    character::complete::{char, multispace0},
    combinator::{map, opt, recognize},
    sequence::{delimited, pair},
    IResult,
};
use std::borrow::Borrow;

/// One word of the configuration with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Inline up to 24 bytes (nearly every word of a configuration), so a token costs no
    /// allocation of its own.
    pub text: CompactString,
    pub span: Span,
    /// Written in double quotes (so `"{"` is a word, not a brace).
    pub quoted: bool,
}

/// `keyword args… [{ children }]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub keyword: Token,
    pub args: Vec<Token>,
    /// Boxed: most nodes have none, and a small node is cheap to move while the tree is
    /// built.
    pub block: Option<Box<Block>>,
}

/// The `{ … }` part of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub open: Span,
    /// `None` when the file ended before the `}`.
    pub close: Option<Span>,
    pub children: Vec<Node>,
}

impl Node {
    /// The node's span: its keyword.
    pub fn span(&self) -> Span {
        self.keyword.span
    }
    /// Children of the block, or nothing.
    pub fn children(&self) -> &[Node] {
        self.block.as_ref().map_or(&[], |b| &b.children)
    }
    /// Keyword and arguments joined by single spaces (how keepalived rebuilds a value).
    pub fn args_joined(&self) -> String {
        self.args
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Lexeme<'a> {
    Open,
    Close,
    Quoted(&'a str),
    Word(&'a str),
}

/// A double-quoted string; an unmatched quote runs to the end of the line.
fn quoted(input: &str) -> IResult<&str, Lexeme<'_>> {
    alt((
        map(
            delimited(char('"'), opt(is_not("\"")), char('"')),
            |s: Option<&str>| Lexeme::Quoted(s.unwrap_or("")),
        ),
        map(
            recognize(pair(char('"'), nom::combinator::rest)),
            |s: &str| Lexeme::Quoted(&s[1..]),
        ),
    ))(input)
}

fn lexeme(input: &str) -> IResult<&str, Lexeme<'_>> {
    // Words first: nearly every lexeme is one, and a word cannot start with a brace or
    // a quote, so the order changes nothing else.
    alt((
        map(
            take_till1(|c: char| c.is_whitespace() || c == '{' || c == '}' || c == '"'),
            Lexeme::Word,
        ),
        map(char('{'), |_| Lexeme::Open),
        map(char('}'), |_| Lexeme::Close),
        quoted,
    ))(input)
}

/// The lexemes of one logical line with their byte offsets (an iterator: lexing a line
/// allocates nothing).
struct Lexer<'a> {
    text: &'a str,
    rest: &'a str,
}

fn lex_line(text: &str) -> Lexer<'_> {
    Lexer { text, rest: text }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = (usize, usize, Lexeme<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (rest, _) = multispace0::<_, nom::error::Error<&str>>(self.rest).ok()?;
        if rest.is_empty() {
            self.rest = rest;
            return None;
        }
        let start = self.text.len() - rest.len();
        // A word takes any non-blank character, so this fails only on input it cannot
        // see; a lexer must not loop or panic whatever it is given.
        let (after, lx) = lexeme(rest).ok()?;
        self.rest = after;
        Some((start, self.text.len() - after.len(), lx))
    }
}

/// Builds the node tree. Structural problems (extra `}`, unclosed `{`, a `{` with no
/// keyword) become diagnostics; the tree is always returned.
pub fn parse(lines: &[LogicalLine]) -> (Vec<Node>, Vec<Diagnostic>) {
    let mut nodes = Vec::new();
    let diags = parse_each(lines, |n, _| nodes.push(n));
    (nodes, diags)
}

/// [`parse`], handing each top-level node to `take` as soon as it is complete, with the
/// span of the top-level node after it (`None` for the last). A caller that lowers node by
/// node never holds the whole tree: on a large file the next block's nodes reuse the memory
/// the last one's freed.
pub fn parse_each<L: Borrow<LogicalLine>>(
    lines: impl IntoIterator<Item = L>,
    take: impl FnMut(Node, Option<Span>),
) -> Vec<Diagnostic> {
    let mut tree = TreeBuilder::new(take);
    for line in lines {
        tree.line(line.borrow());
    }
    tree.finish()
}

/// The state of [`parse_each`] between lines: the open blocks, the top-level nodes not yet
/// handed out, and whether the last line ended with a node that a `{` on the next line
/// may still open.
struct TreeBuilder<F> {
    take: F,
    diags: Vec<Diagnostic>,
    /// Nodes whose block is open, innermost last.
    stack: Vec<Node>,
    top: Vec<Node>,
    prev_line_node_open_candidate: bool,
}

impl<F: FnMut(Node, Option<Span>)> TreeBuilder<F> {
    fn new(take: F) -> Self {
        TreeBuilder {
            take,
            diags: Vec::new(),
            stack: Vec::new(),
            top: Vec::new(),
            prev_line_node_open_candidate: false,
        }
    }

    /// Where a finished node goes: the innermost open block, or the top level.
    fn siblings(&mut self) -> &mut Vec<Node> {
        match self.stack.last_mut() {
            Some(n) => &mut n.block.as_mut().expect("open nodes have blocks").children,
            None => &mut self.top,
        }
    }

    fn line(&mut self, line: &LogicalLine) {
        let spans = LineSpans::new(line);
        let mut current: Option<Node> = None;
        let mut first_on_line = true;
        for (start, end, lx) in lex_line(&line.text) {
            let span = spans.span(start, end);
            match lx {
                Lexeme::Word(w) | Lexeme::Quoted(w) => {
                    let tok = Token {
                        text: CompactString::new(w),
                        span,
                        quoted: matches!(lx, Lexeme::Quoted(_)),
                    };
                    match current.as_mut() {
                        Some(n) => n.args.push(tok),
                        None => {
                            current = Some(Node {
                                keyword: tok,
                                args: Vec::new(),
                                block: None,
                            })
                        }
                    }
                }
                Lexeme::Open => self.open(current.take(), span, first_on_line),
                Lexeme::Close => {
                    if let Some(n) = current.take() {
                        self.siblings().push(n);
                    }
                    self.close(span);
                }
            }
            first_on_line = false;
        }
        self.prev_line_node_open_candidate = current.is_some();
        if let Some(n) = current.take() {
            self.siblings().push(n);
        }
        self.hand_out_finished();
    }

    /// A `{`: opens the block of the node being read, or of the previous line's node
    /// when it starts a line (keepalived allows the brace on its own line).
    fn open(&mut self, current: Option<Node>, span: Span, first_on_line: bool) {
        let block = Block {
            open: span,
            close: None,
            children: Vec::new(),
        };
        if let Some(mut n) = current {
            n.block = Some(Box::new(block));
            self.stack.push(n);
            return;
        }
        let candidate = first_on_line && self.prev_line_node_open_candidate;
        let sibs = self.siblings();
        if candidate && sibs.last().is_some_and(|n| n.block.is_none()) {
            let mut n = sibs.pop().expect("checked non-empty");
            n.block = Some(Box::new(block));
            self.stack.push(n);
        } else {
            self.diags.push(
                Diagnostic::error(span, "Unexpected '{' - ignoring")
                    .with_hint("a '{' must follow a keyword that takes a block"),
            );
        }
    }

    fn close(&mut self, span: Span) {
        match self.stack.pop() {
            Some(mut n) => {
                if let Some(b) = n.block.as_mut() {
                    b.close = Some(span);
                }
                self.siblings().push(n);
            }
            None => self.diags.push(
                Diagnostic::error(span, "Extra '}' found")
                    .with_hint("this '}' closes no block; remove it"),
            ),
        }
    }

    /// The last top-level node may still get its block from a `{` on the next line; the
    /// ones before it are done.
    fn hand_out_finished(&mut self) {
        if !self.stack.is_empty() || self.top.len() <= 1 {
            return;
        }
        let next = self.top.last().map(Node::span);
        let done = self.top.len() - 1;
        let mut it = self.top.drain(..done).peekable();
        while let Some(n) = it.next() {
            let after = it.peek().map(Node::span).or(next);
            (self.take)(n, after);
        }
    }

    /// End of input: unclosed blocks are reported and closed, the rest handed out.
    fn finish(mut self) -> Vec<Diagnostic> {
        while let Some(n) = self.stack.pop() {
            let open = n.block.as_ref().map(|b| b.open).unwrap_or_default();
            self.diags.push(
                Diagnostic::error(
                    open,
                    format!(
                        "this '{{' opened at line {} for '{}' is never closed",
                        open.line, n.keyword.text
                    ),
                )
                .with_hint("add the missing '}'"),
            );
            self.siblings().push(n);
        }
        let mut it = std::mem::take(&mut self.top).into_iter().peekable();
        while let Some(n) = it.next() {
            let after = it.peek().map(Node::span);
            (self.take)(n, after);
        }
        self.diags
    }
}

/// Spans of one line's lexemes: byte offsets turned into character columns.
struct LineSpans<'a> {
    line: &'a LogicalLine,
    /// Byte offset of each character; empty on ASCII lines (nearly all of them), where
    /// byte offsets are character indices.
    char_starts: Vec<usize>,
}

impl<'a> LineSpans<'a> {
    fn new(line: &'a LogicalLine) -> Self {
        let char_starts = if line.text.is_ascii() {
            Vec::new()
        } else {
            line.text.char_indices().map(|(i, _)| i).collect()
        };
        LineSpans { line, char_starts }
    }

    fn char_index(&self, byte: usize) -> usize {
        if self.char_starts.is_empty() {
            byte
        } else {
            self.char_starts.partition_point(|&c| c < byte)
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        let ci = self.char_index(start);
        let ce = self.char_index(end);
        let col = self.line.col(ci);
        let len = ce.saturating_sub(ci) as u32;
        Span::new(self.line.file, self.line.line, col, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::span::FileId;

    fn lines(text: &str) -> Vec<LogicalLine> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let lead = l.len() - l.trim_start().len();
                LogicalLine {
                    text: l.trim().into(),
                    file: FileId(0),
                    line: i as u32 + 1,
                    cols: crate::config::source::Columns::Each(
                        (0..l.trim().chars().count() as u32)
                            .map(|c| c + 1 + lead as u32)
                            .collect(),
                    ),
                }
            })
            .collect()
    }

    fn kw(nodes: &[Node]) -> Vec<&str> {
        nodes.iter().map(|n| n.keyword.text.as_str()).collect()
    }

    #[test]
    fn block_with_children_and_spans() {
        let (t, d) = parse(&lines(
            "vrrp_instance VI_1 {\n  state MASTER\n  priority 101\n}\n",
        ));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(kw(&t), ["vrrp_instance"]);
        assert_eq!(t[0].args[0].text, "VI_1");
        let ch = t[0].children();
        assert_eq!(kw(ch), ["state", "priority"]);
        assert_eq!(ch[1].args[0].span, Span::new(FileId(0), 3, 12, 3));
        assert_eq!(t[0].block.as_ref().unwrap().close.unwrap().line, 4);
    }

    #[test]
    fn braces_anywhere_on_a_line() {
        let (t, d) = parse(&lines(
            "vrrp_instance X{\nvirtual_ipaddress { 1.2.3.4 }\n}\nglobal_defs{}",
        ));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(kw(&t), ["vrrp_instance", "global_defs"]);
        let vip = &t[0].children()[0];
        assert_eq!(kw(vip.children()), ["1.2.3.4"]);
        assert!(t[1].block.as_ref().unwrap().children.is_empty());
    }

    #[test]
    fn brace_on_the_next_line_opens_the_previous_keyword() {
        let (t, d) = parse(&lines("vrrp_instance VI_1\n{\n state BACKUP\n}\n"));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(kw(t[0].children()), ["state"]);
    }

    #[test]
    fn quoted_strings_are_one_token_and_braces_inside_are_words() {
        let (t, _) = parse(&lines("notify_master \"/bin/x.sh a {b}\"\n"));
        assert_eq!(t[0].args.len(), 1);
        assert_eq!(t[0].args[0].text, "/bin/x.sh a {b}");
        assert!(t[0].args[0].quoted);
        assert_eq!(t[0].args[0].span.col, 15);
    }

    #[test]
    fn extra_close_brace_is_reported_where_it_stands() {
        let (_, d) = parse(&lines("global_defs {\n}\n}\n"));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "Extra '}' found");
        assert_eq!(d[0].span.unwrap().line, 3);
    }

    #[test]
    fn unclosed_brace_names_the_line_it_was_opened_on() {
        let (t, d) = parse(&lines("\n\n\nvrrp_instance A {\n state MASTER\n"));
        assert_eq!(t.len(), 1);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("opened at line 4"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].span.unwrap().col, 17);
    }

    #[test]
    fn stray_open_brace_is_unexpected() {
        let (_, d) = parse(&lines("a 1\nb 2 }\n{\n"));
        assert!(d.iter().any(|d| d.message == "Unexpected '{' - ignoring"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in ["\"", "{{{{", "}}}}", "\"{", "a \"b", "{ } { }", "é { ü }"] {
            let _ = parse(&lines(s));
        }
    }
}
