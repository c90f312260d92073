//! Text that remembers where each character came from, and the two purely textual steps of
//! keepalived's line reader: comment removal (`decomment`) and splitting at braces.
//!
//! Every later step (`@`, `$`, `~SEQ`, `include`) edits a [`Text`]; because each [`Ch`] carries
//! its original column, the syntax layer can still point a caret at the right place after
//! substitutions have moved things around.

/// keepalived reads lines with `fgets` into a 1024-byte buffer (`MAXBUF`): at most 1023 bytes
/// of text per read, and no line may grow beyond that through substitution either.
pub const MAX_LINE_BYTES: usize = 1023;

/// One character of a line being preprocessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ch {
    pub c: char,
    /// 1-based character column in the original source line.
    pub col: u32,
    /// Produced by `${_HASH}`/`${_BANG}`: never starts a comment.
    pub lit: bool,
}

/// A line (or part of one) being preprocessed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub Vec<Ch>);

impl Text {
    /// `s` as found in the source, its first character at column `first_col`.
    pub fn at(s: &str, first_col: u32) -> Text {
        Text(
            s.chars()
                .enumerate()
                .map(|(i, c)| Ch {
                    c,
                    col: first_col.saturating_add(i as u32),
                    lit: false,
                })
                .collect(),
        )
    }

    /// `s` produced by an expansion: every character maps to the same column.
    pub fn uniform(s: &str, col: u32, lit: bool) -> Text {
        Text(s.chars().map(|c| Ch { c, col, lit }).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn byte_len(&self) -> usize {
        self.0.iter().map(|ch| ch.c.len_utf8()).sum()
    }

    pub fn char_at(&self, i: usize) -> Option<char> {
        self.0.get(i).map(|ch| ch.c)
    }

    pub fn starts_with(&self, s: &str) -> bool {
        let mut it = self.0.iter();
        s.chars().all(|c| it.next().is_some_and(|ch| ch.c == c))
    }

    pub fn contains(&self, c: char) -> bool {
        self.0.iter().any(|ch| ch.c == c)
    }

    pub fn find_from(&self, c: char, from: usize) -> Option<usize> {
        self.0
            .iter()
            .skip(from)
            .position(|ch| ch.c == c)
            .map(|p| p + from)
    }

    pub fn slice(&self, range: std::ops::Range<usize>) -> Text {
        Text(self.0[range].to_vec())
    }

    pub fn splice(&mut self, range: std::ops::Range<usize>, with: Text) {
        self.0.splice(range, with.0);
    }

    /// Index of the first character at or after `from` that is not a space or tab.
    pub fn skip_blanks(&self, from: usize) -> usize {
        let mut i = from;
        while matches!(self.char_at(i), Some(' ' | '\t')) {
            i += 1;
        }
        i
    }

    pub fn trim_start_blanks(&mut self) {
        let n = self.skip_blanks(0);
        self.0.drain(..n);
    }

    pub fn trim_end_blanks(&mut self) {
        while matches!(self.0.last(), Some(ch) if ch.c == ' ' || ch.c == '\t') {
            self.0.pop();
        }
    }

    pub fn first_col(&self) -> u32 {
        self.0.first().map_or(1, |ch| ch.col)
    }

    /// Width in columns of the original text this covers (at least 1), for a [`Span`].
    ///
    /// [`Span`]: crate::config::span::Span
    pub fn col_width(&self) -> u32 {
        match (self.0.first(), self.0.last()) {
            (Some(a), Some(b)) if b.col >= a.col => b.col - a.col + 1,
            _ => 1,
        }
    }

    pub fn cols(&self) -> Vec<u32> {
        self.0.iter().map(|ch| ch.col).collect()
    }

    /// The characters as a `String` (what `to_string` gives, without the formatting
    /// machinery: this runs once per logical line).
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.0.len());
        s.extend(self.0.iter().map(|ch| ch.c));
        s
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        self.0.iter().try_for_each(|ch| f.write_char(ch.c))
    }
}

/// keepalived's `decomment()`: drops leading blanks, the first unquoted `#`/`!` and
/// everything after it, the backslash of an unquoted `\#`/`\!`, and trailing blanks (also
/// those before a final `\`, which is kept as the continuation marker of `$NAME=` lines).
///
/// Returns the line (as it stood before the comment was cut) when a `"` is left open, for
/// keepalived's "Unterminated quote" error.
pub fn decomment(t: &mut Text) -> Option<String> {
    t.trim_start_blanks();
    let mut quote = false;
    let mut comment_at: Option<usize> = None;
    let mut continuation: Option<Ch> = None;
    let mut i = 0;
    while i < t.len() {
        let ch = t.0[i];
        match ch.c {
            '"' => {
                if comment_at.is_none() {
                    quote = !quote;
                }
                i += 1;
            }
            '\\' => match t.char_at(i + 1) {
                Some('#' | '!') if !quote => {
                    // The escape only protects the next character from being a comment.
                    t.0.remove(i);
                    i += 1;
                }
                Some(_) => i += 2,
                None => {
                    continuation = Some(ch);
                    t.0.truncate(i);
                }
            },
            '#' | '!' if !ch.lit => {
                if !quote && comment_at.is_none() {
                    comment_at = Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let unterminated = quote.then(|| t.to_string());
    if let Some(at) = comment_at {
        t.0.truncate(at);
    }
    t.trim_end_blanks();
    if let Some(bs) = continuation {
        t.0.push(bs);
    }
    unterminated
}

/// keepalived's brace split at the end of `read_line`: a `{` or `}` outside double quotes
/// ends the line there (or, at the start, is a line of its own); whatever follows is read
/// next as if it were a new line (so `@`, `$`, `~SEQ` and `include` apply to it again).
pub fn split_at_brace(t: &mut Text) -> Option<Text> {
    let is_brace = |c: Option<char>| matches!(c, Some('{' | '}'));
    let mut at = None;
    if is_brace(t.char_at(0)) {
        at = Some(0);
    } else {
        let mut i = 0;
        while i < t.len() {
            match t.0[i].c {
                '{' | '}' => {
                    at = Some(i);
                    break;
                }
                '"' => match t.find_from('"', i + 1) {
                    Some(close) => i = close + 1,
                    None => break,
                },
                _ => i += 1,
            }
        }
    }
    let mut residue = None;
    if let Some(p) = at {
        let cut = if p == 0 { t.skip_blanks(1) } else { p };
        if cut < t.len() {
            let mut rest = t.slice(cut..t.len());
            rest.trim_end_blanks();
            t.0.truncate(cut);
            residue = Some(rest);
        }
    }
    t.trim_end_blanks();
    residue.filter(|r| !r.is_empty())
}

const ORDINARY: u8 = 0;
const SPECIAL: u8 = 1;
const GENERAL_PATH: u8 = 2;

/// How [`plain_line_pieces`] treats each byte: printable ASCII and tab are ordinary, quote,
/// comment and brace characters are acted on, and everything else (`$`, `@`, `~`, `\`,
/// control characters, non-ASCII) sends the line down the general path.
const BYTE_CLASS: [u8; 256] = {
    let mut t = [GENERAL_PATH; 256];
    let mut b = b' ';
    while b <= b'}' {
        t[b as usize] = ORDINARY;
        b += 1;
    }
    t[b'\t' as usize] = ORDINARY;
    t[b'$' as usize] = GENERAL_PATH;
    t[b'@' as usize] = GENERAL_PATH;
    t[b'\\' as usize] = GENERAL_PATH;
    t[b'"' as usize] = SPECIAL;
    t[b'#' as usize] = SPECIAL;
    t[b'!' as usize] = SPECIAL;
    t[b'{' as usize] = SPECIAL;
    t[b'}' as usize] = SPECIAL;
    t
};

/// The common line, read without building a [`Text`]: printable ASCII (tabs allowed) with no
/// `$`, `@`, `~` or `\` before its comment — so no substitution, conditional, repetition or
/// escape can apply — no quote left open, no NUL, and not over [`MAX_LINE_BYTES`].
///
/// Appends to `out` the byte ranges of the logical lines keepalived's reader makes of it
/// (exactly what [`decomment`] then [`split_at_brace`] would: comment cut, split at unquoted
/// braces, blanks trimmed, empty pieces dropped) and returns `true`. Returns `false`, with
/// `out` as it was, when the line needs the general path — also when a piece starts with
/// `include`, which only the general path follows.
///
/// Nearly every line of a real configuration takes this path; it is why `-t` on a large
/// file costs a string per logical line rather than a [`Ch`] per character.
pub fn plain_line_pieces(line: &str, out: &mut Vec<std::ops::Range<usize>>) -> bool {
    let bytes = line.as_bytes();
    if bytes.len() > MAX_LINE_BYTES {
        return false;
    }
    let before = out.len();
    let push = |out: &mut Vec<std::ops::Range<usize>>, mut r: std::ops::Range<usize>| {
        while r.start < r.end && matches!(bytes[r.start], b' ' | b'\t') {
            r.start += 1;
        }
        while r.end > r.start && matches!(bytes[r.end - 1], b' ' | b'\t') {
            r.end -= 1;
        }
        if !r.is_empty() {
            out.push(r);
        }
    };
    let mut quote = false;
    let mut piece_start = 0;
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match BYTE_CLASS[b as usize] {
            ORDINARY => {}
            GENERAL_PATH => {
                out.truncate(before);
                return false;
            }
            _ => match b {
                b'"' => quote = !quote,
                _ if quote => {}
                b'#' | b'!' => {
                    end = i;
                    break;
                }
                _ => {
                    push(out, piece_start..i);
                    push(out, i..i + 1);
                    piece_start = i + 1;
                }
            },
        }
    }
    push(out, piece_start..end);
    // After a comment only two things still matter: a NUL (warned about) and a final `\`
    // (kept as a continuation marker even there).
    let needs_general_path = quote
        || bytes[end..].contains(&0)
        || bytes.last() == Some(&b'\\')
        || out[before..]
            .iter()
            .any(|r| line[r.clone()].starts_with("include"));
    if needs_general_path {
        out.truncate(before);
        return false;
    }
    true
}

/// What keepalived's `fgets` loop makes of one physical line: pieces of at most
/// [`MAX_LINE_BYTES`] bytes (a longer line is silently read as several), each cut at a NUL
/// and stripped of trailing CR/LF.
pub struct RawPiece {
    pub text: Text,
    pub split: bool,
    pub had_nul: bool,
}

pub fn physical_line_pieces(line: &str) -> Vec<RawPiece> {
    let split = line.len() > MAX_LINE_BYTES;
    let mut pieces = Vec::new();
    let mut col = 1u32;
    let mut rest = line;
    loop {
        let mut end = rest.len().min(MAX_LINE_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 && !rest.is_empty() {
            // A single character wider than the buffer cannot happen with UTF-8, but never
            // loop forever on it.
            end = rest.len();
        }
        let (piece, tail) = rest.split_at(end);
        let had_nul = piece.contains('\0');
        let kept = piece.split('\0').next().unwrap_or("");
        let kept = kept.trim_end_matches(['\r', '\n']);
        pieces.push(RawPiece {
            text: Text::at(kept, col),
            split,
            had_nul,
        });
        col = col.saturating_add(piece.chars().count() as u32);
        rest = tail;
        if rest.is_empty() {
            break;
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc(s: &str) -> (String, Option<String>) {
        let mut t = Text::at(s, 1);
        let u = decomment(&mut t);
        (t.to_string(), u)
    }

    #[test]
    fn comments_end_the_line_anywhere_outside_quotes() {
        assert_eq!(dc("  priority 100 # main").0, "priority 100");
        assert_eq!(dc("priority 100! main").0, "priority 100");
        assert_eq!(dc("# whole line").0, "");
        assert_eq!(dc("! whole line").0, "");
        assert_eq!(dc("a#b").0, "a");
        assert_eq!(dc(r#"script "/bin/x # y" # z"#).0, r#"script "/bin/x # y""#);
    }

    #[test]
    fn escaped_comment_characters_lose_their_backslash_outside_quotes_only() {
        assert_eq!(dc(r"auth_pass a\#b\!c").0, "auth_pass a#b!c");
        assert_eq!(dc(r#"x "a\#b""#).0, r#"x "a\#b""#);
        assert_eq!(dc(r"a\\#b").0, r"a\\");
    }

    #[test]
    fn trailing_backslash_is_kept_as_the_continuation_marker_without_blanks_before_it() {
        assert_eq!(dc("$X=a b   \\").0, "$X=a b\\");
        assert_eq!(dc("$X=a # c \\").0, "$X=a\\");
    }

    #[test]
    fn unterminated_quote_is_reported_with_the_line() {
        let (t, u) = dc(r#"  notify "/x.sh # c"#);
        assert_eq!(t, r#"notify "/x.sh # c"#);
        assert_eq!(u.as_deref(), Some(r#"notify "/x.sh # c"#));
        assert_eq!(dc(r#"a "b" c"#).1, None);
    }

    #[test]
    fn literal_hash_from_a_builtin_does_not_start_a_comment() {
        let mut t = Text::at("a ", 1);
        t.0.extend(Text::uniform("#", 3, true).0);
        t.0.extend(Text::at(" b", 4).0);
        assert_eq!(decomment(&mut t), None);
        assert_eq!(t.to_string(), "a # b");
    }

    #[test]
    fn columns_survive_decomment() {
        let mut t = Text::at(r"  a\#b", 1);
        decomment(&mut t);
        assert_eq!(t.to_string(), "a#b");
        assert_eq!(t.cols(), vec![3, 5, 6]);
    }

    fn split(s: &str) -> Vec<String> {
        let mut out = vec![];
        let mut t = Some(Text::at(s, 1));
        while let Some(mut cur) = t {
            t = split_at_brace(&mut cur);
            out.push(cur.to_string());
        }
        out
    }

    #[test]
    fn lines_split_at_braces_outside_quotes() {
        assert_eq!(split("vrrp_instance X {"), ["vrrp_instance X", "{"]);
        assert_eq!(split("X{"), ["X", "{"]);
        assert_eq!(split("{ a }"), ["{", "a", "}"]);
        assert_eq!(split("}}"), ["}", "}"]);
        assert_eq!(split(r#"script "a{b}" {"#), [r#"script "a{b}""#, "{"]);
        assert_eq!(split(r#"x "a{b"#), [r#"x "a{b"#]);
    }

    /// What the general path makes of `line`: decomment, then brace splits.
    fn general(line: &str) -> Option<Vec<String>> {
        let mut t = Text::at(line, 1);
        if decomment(&mut t).is_some() {
            return None;
        }
        let mut out = vec![];
        let mut next = Some(t);
        while let Some(mut cur) = next {
            next = split_at_brace(&mut cur);
            if !cur.is_empty() {
                out.push(cur.to_string());
            }
        }
        Some(out)
    }

    fn plain(line: &str) -> Option<Vec<String>> {
        let mut r = vec![];
        plain_line_pieces(line, &mut r)
            .then(|| r.into_iter().map(|r| line[r].to_string()).collect())
    }

    #[test]
    fn plain_lines_take_the_fast_path_with_the_general_paths_result() {
        for line in [
            "    vrrp_instance VI_1 {",
            "}",
            "  priority 100   # main",
            r#"notify_master "/bin/x {a} # b" {"#,
            "{ a } b{c",
            "! comment only",
            "",
            "   \t ",
        ] {
            assert_eq!(plain(line), general(line), "{line:?}");
        }
    }

    #[test]
    fn lines_with_expansions_escapes_or_includes_take_the_general_path() {
        for line in [
            "a $X",
            "@node1 priority 100",
            "~SEQ(i,1,3) x",
            r"auth_pass a\#b",
            r#"script "/bin/x"#,
            "include other.conf",
            "x { include other.conf",
            "a\0b",
            "é",
            "a\rb",
            "x # comment \\",
        ] {
            assert_eq!(plain(line), None, "{line:?}");
        }
        assert_eq!(plain(&"a".repeat(MAX_LINE_BYTES + 1)), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// Whatever the line, the fast path either declines or agrees with the general one.
        #[test]
        fn fast_path_agrees_with_the_general_path(line in "[ a-c\t\"#!{}$@~\\\\\0\r\x0bié]{0,24}") {
            if let Some(fast) = plain(&line) {
                proptest::prop_assert_eq!(Some(fast), general(&line));
            }
        }
    }

    #[test]
    fn long_lines_are_read_in_1023_byte_pieces_and_nul_cuts_a_piece() {
        let long = "a".repeat(2500);
        let p = physical_line_pieces(&long);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].text.len(), 1023);
        assert_eq!(p[1].text.first_col(), 1024);
        assert!(p[0].split);
        let p = physical_line_pieces("ab\0cd\r\r");
        assert_eq!(p[0].text.to_string(), "ab");
        assert!(p[0].had_nul);
        let p = physical_line_pieces("ab\r\r");
        assert_eq!(p[0].text.to_string(), "ab");
    }
}
