//! Writing keepalived.conf text for `--dump-conf`: indentation, blocks and quoting. What
//! to write comes from each keyword's `dump` ([`super::keywords::dump_config`]).

/// Accumulates indented configuration text.
#[derive(Default)]
pub struct Dumper {
    out: String,
    depth: usize,
}

/// Quotes a word when the lexer would not read it back as one token.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && !word
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '{' | '}' | '"' | '#' | '!' | '$' | '\\'));
    if plain {
        word.to_string()
    } else {
        format!("\"{word}\"")
    }
}

impl Dumper {
    pub fn new() -> Self {
        Self::default()
    }

    /// `keyword arg arg…` on one line; arguments are quoted where needed.
    pub fn line<S: AsRef<str>>(&mut self, keyword: &str, args: &[S]) {
        self.out.push_str(&"    ".repeat(self.depth));
        self.out.push_str(keyword);
        for a in args {
            self.out.push(' ');
            self.out.push_str(&quote(a.as_ref()));
        }
        self.out.push('\n');
    }

    /// `keyword value` for anything printable.
    pub fn kv(&mut self, keyword: &str, value: impl ToString) {
        self.line(keyword, &[value.to_string()]);
    }

    /// `head {` children `}`.
    pub fn block(&mut self, head: &str, f: impl FnOnce(&mut Dumper)) {
        self.out.push_str(&"    ".repeat(self.depth));
        self.out.push_str(head);
        self.out.push_str(" {\n");
        self.depth += 1;
        f(self);
        self.depth -= 1;
        self.out.push_str(&"    ".repeat(self.depth));
        self.out.push_str("}\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}
