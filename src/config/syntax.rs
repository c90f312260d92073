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

struct Frame {
    node: Node,
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
    mut take: impl FnMut(Node, Option<Span>),
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let mut prev_line_node_open_candidate = false;

    fn siblings<'a>(stack: &'a mut [Frame], top: &'a mut Vec<Node>) -> &'a mut Vec<Node> {
        match stack.last_mut() {
            Some(f) => &mut f.node.block.as_mut().expect("frames have blocks").children,
            None => top,
        }
    }

    for line in lines {
        let line = line.borrow();
        // Byte offsets are character indices on ASCII lines (nearly all of them).
        let ascii = line.text.is_ascii();
        let char_starts: Vec<usize> = if ascii {
            Vec::new()
        } else {
            line.text.char_indices().map(|(i, _)| i).collect()
        };
        let char_index = |b: usize| {
            if ascii {
                b
            } else {
                char_starts.partition_point(|&c| c < b)
            }
        };
        let span_of = |start: usize, end: usize| -> Span {
            let ci = char_index(start);
            let ce = char_index(end);
            let col = line.col(ci);
            let len = ce.saturating_sub(ci) as u32;
            Span::new(line.file, line.line, col, len)
        };
        let mut current: Option<Node> = None;
        let mut first_on_line = true;
        for (start, end, lx) in lex_line(&line.text) {
            let span = span_of(start, end);
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
                Lexeme::Open => {
                    let block = Block {
                        open: span,
                        close: None,
                        children: Vec::new(),
                    };
                    if let Some(mut n) = current.take() {
                        n.block = Some(Box::new(block));
                        stack.push(Frame { node: n });
                    } else {
                        // `{` starting a line opens the block of the previous line's node
                        // (keepalived allows the brace on its own line).
                        let sibs = siblings(&mut stack, &mut top);
                        let reopen = first_on_line
                            && prev_line_node_open_candidate
                            && sibs.last().is_some_and(|n| n.block.is_none());
                        if reopen {
                            let mut n = sibs.pop().expect("checked non-empty");
                            n.block = Some(Box::new(block));
                            stack.push(Frame { node: n });
                        } else {
                            diags.push(
                                Diagnostic::error(span, "Unexpected '{' - ignoring")
                                    .with_hint("a '{' must follow a keyword that takes a block"),
                            );
                        }
                    }
                }
                Lexeme::Close => {
                    if let Some(n) = current.take() {
                        siblings(&mut stack, &mut top).push(n);
                    }
                    match stack.pop() {
                        Some(mut f) => {
                            if let Some(b) = f.node.block.as_mut() {
                                b.close = Some(span);
                            }
                            siblings(&mut stack, &mut top).push(f.node);
                        }
                        None => diags.push(
                            Diagnostic::error(span, "Extra '}' found")
                                .with_hint("this '}' closes no block; remove it"),
                        ),
                    }
                }
            }
            first_on_line = false;
        }
        prev_line_node_open_candidate = current.is_some();
        if let Some(n) = current.take() {
            siblings(&mut stack, &mut top).push(n);
        }
        // The last top-level node may still get its block from a `{` on the next line;
        // the ones before it are done.
        if stack.is_empty() && top.len() > 1 {
            let next = top.last().map(Node::span);
            let done = top.len() - 1;
            let mut it = top.drain(..done).peekable();
            while let Some(n) = it.next() {
                let after = it.peek().map(Node::span).or(next);
                take(n, after);
            }
        }
    }
    while let Some(f) = stack.pop() {
        let open = f.node.block.as_ref().map(|b| b.open).unwrap_or_default();
        diags.push(
            Diagnostic::error(
                open,
                format!(
                    "this '{{' opened at line {} for '{}' is never closed",
                    open.line, f.node.keyword.text
                ),
            )
            .with_hint("add the missing '}'"),
        );
        siblings(&mut stack, &mut top).push(f.node);
    }
    let mut it = top.into_iter().peekable();
    while let Some(n) = it.next() {
        let after = it.peek().map(Node::span);
        take(n, after);
    }
    diags
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
