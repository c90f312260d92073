//! Command lines as keepalived 2.2.7 splits them into argument vectors
//! (`alloc_strvec_quoted_escaped` in `lib/parser.c`) and joins them back for `/bin/sh -c`
//! (`cmd_str_r` in `lib/notify.c`).
//!
//! Splitting rules: words are separated by blanks (space, tab, FF, LF, CR, VT) outside
//! quotes; `'…'` and `"…"` group text, and a quoted part glued to other text continues the
//! same word (`a"b c"d` is one word `ab cd`). Unlike a POSIX shell, backslash escapes work
//! inside both kinds of quotes: `\n \t \r \a \b \f \v \E`, `\xHH…` (hex), `\NNN` (up to
//! three octal digits), `\cX` (control character), and `\` before any other character
//! stands for that character.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Why a command line could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// keepalived: "String '%s': missing terminating %c".
    #[error("String '{text}': missing terminating {quote}")]
    UnterminatedQuote { text: String, quote: char },
    /// keepalived: "Missing escape char at end: '%s'".
    #[error("Missing escape char at end: '{text}'")]
    TrailingBackslash { text: String },
    /// Nothing but blanks.
    #[error("empty command")]
    Empty,
}

const BLANKS: &[u8] = b" \t\x0c\n\r\x0b";

/// Splits `text` into words with keepalived's quoting and escape rules.
pub fn split_words(text: &str) -> Result<Vec<OsString>, SplitError> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && BLANKS.contains(&bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let mut word = Vec::new();
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let c = bytes[i];
            match (c, quote) {
                (b'\\', _) => {
                    i += 1;
                    let Some(&next) = bytes.get(i) else {
                        return Err(SplitError::TrailingBackslash { text: text.into() });
                    };
                    let (byte, used) = unescape(next, &bytes[i + 1..]);
                    word.push(byte);
                    i += 1 + used;
                }
                (q, Some(open)) if q == open => {
                    quote = None;
                    i += 1;
                }
                (b'\'' | b'"', None) => {
                    quote = Some(c);
                    i += 1;
                }
                (b, None) if BLANKS.contains(&b) => break,
                (b, _) => {
                    word.push(b);
                    i += 1;
                }
            }
        }
        if let Some(q) = quote {
            return Err(SplitError::UnterminatedQuote {
                text: text.into(),
                quote: q as char,
            });
        }
        // keepalived keeps words in C strings: an escaped NUL ends the word.
        if let Some(nul) = word.iter().position(|&b| b == 0) {
            word.truncate(nul);
        }
        words.push(OsString::from_vec(word));
    }
    if words.is_empty() {
        return Err(SplitError::Empty);
    }
    Ok(words)
}

/// The byte an escape `\<first><rest…>` stands for, and how many bytes of `rest` it used.
fn unescape(first: u8, rest: &[u8]) -> (u8, usize) {
    match first {
        b'x' if rest.first().is_some_and(u8::is_ascii_hexdigit) => {
            let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            let value = rest[..digits].iter().fold(0u8, |acc, &d| {
                let v = (d as char).to_digit(16).unwrap_or(0) as u8;
                acc.wrapping_shl(4) | v
            });
            (value, digits)
        }
        b'c' if !rest.is_empty() => (rest[0] & 0x1f, 1),
        b'0'..=b'7' => {
            let mut value = first - b'0';
            let mut used = 0;
            while used < 2 && rest.get(used).is_some_and(|b| (b'0'..=b'7').contains(b)) {
                value = value.wrapping_shl(3).wrapping_add(rest[used] - b'0');
                used += 1;
            }
            (value, used)
        }
        b'a' => (0x07, 0),
        b'b' => (0x08, 0),
        b'E' => (0x1b, 0),
        b'f' => (0x0c, 0),
        b'n' => (b'\n', 0),
        b'r' => (b'\r', 0),
        b't' => (b'\t', 0),
        b'v' => (0x0b, 0),
        other => (other, 0),
    }
}

/// The command line handed to `/bin/sh -c` for scripts keepalived cannot `execve`
/// directly: every word in single quotes, except a first word starting with `<` or `>`
/// (a bare redirection such as `</dev/tcp/127.0.0.1/80`, used to test a port or file).
pub fn shell_command_line(args: &[OsString]) -> OsString {
    let mut line = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let bytes = arg.as_bytes();
        if i > 0 {
            line.push(b' ');
        }
        let bare = i == 0 && matches!(bytes.first(), Some(b'<' | b'>'));
        if bare {
            line.extend_from_slice(bytes);
        } else {
            line.push(b'\'');
            line.extend_from_slice(bytes);
            line.push(b'\'');
        }
    }
    OsString::from_vec(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_words(s)
            .unwrap()
            .into_iter()
            .map(|w| w.into_string().unwrap())
            .collect()
    }

    #[test]
    fn blanks_separate_words() {
        assert_eq!(words("  /bin/chk  a\tb\n"), ["/bin/chk", "a", "b"]);
    }

    #[test]
    fn quotes_group_and_glue() {
        assert_eq!(words("/bin/x 'a b' \"c d\""), ["/bin/x", "a b", "c d"]);
        assert_eq!(words("a\"b c\"d"), ["ab cd"]);
        assert_eq!(words("'it''s'"), ["its"]);
        assert_eq!(words("\"'\" '\"'"), ["'", "\""]);
        assert_eq!(words("x ''"), ["x", ""]);
    }

    #[test]
    fn escapes_work_inside_and_outside_quotes() {
        assert_eq!(words(r"a\ b"), ["a b"]);
        assert_eq!(words(r"'a\tb'"), ["a\tb"]);
        assert_eq!(words(r#""q\"q""#), ["q\"q"]);
        assert_eq!(words(r"\x41\x4a"), ["AJ"]);
        assert_eq!(words(r"\101\0619"), ["A19"]);
        assert_eq!(words(r"\cA\E\z"), ["\u{1}\u{1b}z"]);
        assert_eq!(words(r"\xZ"), ["xZ"]);
    }

    #[test]
    fn escaped_nul_ends_the_word() {
        assert_eq!(words(r"ab\0cd e"), ["ab", "e"]);
    }

    #[test]
    fn errors_carry_keepalived_messages() {
        assert_eq!(
            split_words("/bin/x 'open").unwrap_err().to_string(),
            "String '/bin/x 'open': missing terminating '"
        );
        assert_eq!(
            split_words("abc\\").unwrap_err().to_string(),
            "Missing escape char at end: 'abc\\'"
        );
        assert_eq!(split_words(" \t "), Err(SplitError::Empty));
    }

    #[test]
    fn shell_line_quotes_all_but_a_leading_redirection() {
        let args: Vec<OsString> = ["/bin/x", "a b", "c"].iter().map(OsString::from).collect();
        assert_eq!(shell_command_line(&args), "'/bin/x' 'a b' 'c'");
        let args: Vec<OsString> = ["</dev/tcp/127.0.0.1/22"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(shell_command_line(&args), "</dev/tcp/127.0.0.1/22");
    }
}
