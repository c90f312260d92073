//! `include GLOB` and its 2.x variants, with glibc `glob(GLOB_BRACE | GLOB_MARK)` semantics
//! as keepalived uses them.
//!
//! keepalived tells "the files are not there" apart from "the wildcard matched nothing": it
//! counts directories it could not open and literal names it could not `lstat` while
//! globbing. Only the former is reported for a plain `include` ("Config files missing");
//! the variants turn the findings into errors:
//!
//! | word | reads fail | missing | wildcard matched nothing | a `{}` alternative missing |
//! |------|-----------|---------|--------------------------|----------------------------|
//! | `include`  | info | info | silent | info |
//! | `includer` | error | info | silent | info |
//! | `includem` | error | error | silent | info |
//! | `includew` | error | error | error | info |
//! | `includeb` | error | info | silent | error (nothing read) |
//! | `includea` | error | error | error | error |
//!
//! `include_check` in `global_defs` (and `-e/--all-config`) adds flags to every later include.

use std::fs;
use std::path::{Path, PathBuf};

/// keepalived's `include_t` bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncludeFlags(pub u8);

impl IncludeFlags {
    /// Unreadable file, directory, executable file.
    pub const READ: IncludeFlags = IncludeFlags(1);
    /// Nothing found and no wildcard could explain it.
    pub const MATCH: IncludeFlags = IncludeFlags(2);
    /// A wildcard matched nothing.
    pub const WILDCARD: IncludeFlags = IncludeFlags(4);
    /// Every `{a,b}` alternative must exist.
    pub const BRACE: IncludeFlags = IncludeFlags(8);
    pub const ALL: IncludeFlags = IncludeFlags(15);

    pub fn has(self, other: IncludeFlags) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for IncludeFlags {
    type Output = IncludeFlags;
    fn bitor(self, o: IncludeFlags) -> IncludeFlags {
        IncludeFlags(self.0 | o.0)
    }
}

/// keepalived's `is_include`/`check_include`: the flags of an include line and the char
/// index where its glob starts.
pub fn parse_include(line: &[char]) -> Option<(IncludeFlags, usize)> {
    let prefix: Vec<char> = "include".chars().collect();
    if !line.starts_with(&prefix) {
        return None;
    }
    let is_space = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_whitespace() || *c == '\x0b');
    let (flags, mut p) = if is_space(line.get(7)) {
        (IncludeFlags::default(), 8)
    } else if is_space(line.get(8)) {
        use IncludeFlags as F;
        let f = match line.get(7) {
            Some('r') => F::READ,
            Some('a') => F::ALL,
            Some('w') => F::READ | F::MATCH | F::WILDCARD,
            Some('m') => F::READ | F::MATCH,
            Some('b') => F::READ | F::BRACE,
            _ => return None,
        };
        (f, 9)
    } else {
        return None;
    };
    while matches!(line.get(p), Some(' ' | '\t')) {
        p += 1;
    }
    Some((flags, p))
}

/// The `include_check` keyword (keepalived's `include_check_set`): returns the new flags and
/// any complaints.
pub fn apply_include_check(current: IncludeFlags, words: &[&str]) -> (IncludeFlags, Vec<String>) {
    if words.is_empty() {
        return (IncludeFlags::ALL, vec![]);
    }
    let mut flags = current;
    let mut errors = vec![];
    for (i, word) in words.iter().enumerate() {
        let (op, name) = match word.as_bytes().first() {
            Some(b'-') => (-1, &word[1..]),
            Some(b'+') => (1, &word[1..]),
            _ => {
                if i != 0 {
                    errors.push(format!(
                        "Duplicate include_check '{word}' specified - ignoring"
                    ));
                    continue;
                }
                flags = IncludeFlags::default();
                (0, &word[..])
            }
        };
        let bit = match name {
            "read" => IncludeFlags::READ,
            "match" => IncludeFlags::MATCH,
            "wildcard_match" => IncludeFlags::WILDCARD,
            "brace_match" => IncludeFlags::BRACE,
            _ => {
                errors.push(format!("Unknown include_check type '{name}' - ignoring"));
                continue;
            }
        };
        flags = match op {
            0 => IncludeFlags::READ | bit,
            1 => flags | bit,
            _ => IncludeFlags(flags.0 & !bit.0),
        };
    }
    (flags, errors)
}

/// keepalived's `have_brace`: an unescaped `{`.
pub fn has_brace(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => return true,
            _ => {}
        }
    }
    false
}

/// Most alternatives a braced pattern may expand to (`{a,b}{a,b}…` doubles each time).
pub const MAX_BRACE_ALTERNATIVES: usize = 1024;

/// csh-style brace expansion as glibc's `GLOB_BRACE` does it, left to right, nested braces
/// allowed; an unmatched `{` is literal. `None` if the expansion is too large.
pub fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    expand_into(pattern.chars().collect(), &mut out)?;
    Some(out)
}

fn expand_into(p: Vec<char>, out: &mut Vec<String>) -> Option<()> {
    // Find the first unescaped '{' that has a matching '}'.
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => i += 2,
            '{' => {
                let mut depth = 0;
                let mut commas = vec![];
                let mut j = i;
                let mut close = None;
                while j < p.len() {
                    match p[j] {
                        '\\' => j += 1,
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                close = Some(j);
                                break;
                            }
                        }
                        ',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                let Some(close) = close else {
                    // No matching brace: glibc gives up on brace expansion for the pattern.
                    out.push(p.iter().collect());
                    return Some(());
                };
                let mut bounds = vec![i];
                bounds.extend(commas);
                bounds.push(close);
                for w in bounds.windows(2) {
                    let mut alt: Vec<char> = p[..i].to_vec();
                    alt.extend_from_slice(&p[w[0] + 1..w[1]]);
                    alt.extend_from_slice(&p[close + 1..]);
                    expand_into(alt, out)?;
                    if out.len() > MAX_BRACE_ALTERNATIVES {
                        return None;
                    }
                }
                return Some(());
            }
            _ => i += 1,
        }
    }
    out.push(p.iter().collect());
    Some(())
}

fn has_meta(component: &str) -> bool {
    let mut chars = component.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

fn unescape(component: &str) -> String {
    let mut out = String::new();
    let mut chars = component.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `fnmatch(pattern, name, FNM_PERIOD)` for one path component.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    if n.first() == Some(&'.') && p.first() != Some(&'.') {
        return false;
    }
    // Iterative matcher with single-star backtracking: linear in practice, never exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') if class_is_closed(&p, pi) => match_class(&p, pi, n[ni]),
            Some('\\') if pi + 1 < p.len() => (p[pi + 1] == n[ni]).then_some(pi + 2),
            Some(&c) => (c == n[ni]).then_some(pi + 1),
            None => None,
        };
        match step {
            Some(next) => {
                pi = next;
                ni += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

/// Whether the `[` at `p[open]` starts a bracket expression (has its `]`).
fn class_is_closed(p: &[char], open: usize) -> bool {
    let mut i = open + 1;
    if matches!(p.get(i), Some('!' | '^')) {
        i += 1;
    }
    if p.get(i) == Some(&']') {
        i += 1;
    }
    while let Some(&c) = p.get(i) {
        match c {
            ']' => return true,
            '\\' => i += 2,
            _ => i += 1,
        }
    }
    false
}

/// Matches `c` against the bracket expression at `p[open]`; returns the index after it.
/// An unterminated `[` is an ordinary character.
fn match_class(p: &[char], open: usize, c: char) -> Option<usize> {
    let mut i = open + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let lo = *p.get(i)?;
        if lo == ']' && !first {
            break;
        }
        first = false;
        let lo = if lo == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            lo
        };
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&h| h != ']') {
            let hi = p[i + 2];
            matched |= lo <= c && c <= hi;
            i += 3;
        } else {
            matched |= lo == c;
            i += 1;
        }
    }
    (matched != negate).then_some(i + 1)
}

/// Result of globbing one include argument.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GlobResult {
    /// Matches as glob returns them: relative patterns give paths relative to `cwd`;
    /// directories end in `/` (`GLOB_MARK`).
    pub matches: Vec<String>,
    /// Directories that could not be opened plus literal names that could not be `lstat`ed.
    pub missing: usize,
    /// A wildcard was expanded somewhere (keepalived's `have_wildcards`).
    pub wildcards: bool,
    /// More brace alternatives than [`MAX_BRACE_ALTERNATIVES`].
    pub too_many_alternatives: bool,
}

/// Resolves a glob result (or part of one) against the directory it is relative to.
pub fn resolve(cwd: &Path, p: &str) -> PathBuf {
    if p.is_empty() {
        cwd.to_path_buf()
    } else {
        cwd.join(p)
    }
}

fn join(dir: &str, name: &str) -> String {
    match dir {
        "" => name.to_string(),
        d if d.ends_with('/') => format!("{d}{name}"),
        d => format!("{d}/{name}"),
    }
}

/// glob(3) with `GLOB_BRACE | GLOB_MARK | GLOB_ALTDIRFUNC` as keepalived calls it.
pub fn glob(pattern: &str, cwd: &Path) -> GlobResult {
    let mut res = GlobResult::default();
    let Some(alternatives) = expand_braces(pattern) else {
        res.too_many_alternatives = true;
        return res;
    };
    for alt in alternatives {
        // glibc sorts the matches of each alternative, and appends alternatives in order.
        let mut found = glob_one(&alt, cwd, &mut res);
        found.sort();
        for m in found {
            let marked = if !m.ends_with('/') && resolve(cwd, &m).is_dir() {
                format!("{m}/")
            } else {
                m
            };
            res.matches.push(marked);
        }
    }
    res
}

fn glob_one(pattern: &str, cwd: &Path, res: &mut GlobResult) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    if comps.is_empty() {
        return if absolute { vec!["/".into()] } else { vec![] };
    }
    let last = comps.len() - 1;
    // Leading components without wildcards are taken as written, unchecked: glob only
    // looks at the directory they name when it opens it or looks a name up inside it.
    let first_globbed = comps
        .iter()
        .position(|c| has_meta(c))
        .unwrap_or(last)
        .min(last);
    let mut prefix: String = comps[..first_globbed]
        .iter()
        .map(|c| unescape(c))
        .collect::<Vec<_>>()
        .join("/");
    if absolute {
        prefix.insert(0, '/');
    }
    let mut candidates = vec![prefix];
    for (k, comp) in comps.iter().enumerate().skip(first_globbed) {
        let is_last = k == last;
        let mut next = Vec::new();
        for dir in &candidates {
            if has_meta(comp) {
                res.wildcards = true;
                let Ok(entries) = fs::read_dir(resolve(cwd, dir)) else {
                    res.missing += 1;
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|name| fnmatch(comp, name))
                    .collect();
                names.sort();
                for name in names {
                    let path = join(dir, &name);
                    if is_last || resolve(cwd, &path).is_dir() {
                        next.push(path);
                    }
                }
            } else {
                let path = join(dir, &unescape(comp));
                if fs::symlink_metadata(resolve(cwd, &path)).is_ok() {
                    next.push(path);
                } else {
                    res.missing += 1;
                }
            }
        }
        candidates = next;
    }
    candidates
}

/// keepalived's `check_glob_file`: only regular, non-executable files are read.
pub fn check_file(matched: &str, cwd: &Path) -> Result<PathBuf, String> {
    if matched.ends_with('/') {
        return Err(format!(
            "Configuration file '{matched}' is a directory - skipping"
        ));
    }
    let path = resolve(cwd, matched);
    match fs::metadata(&path) {
        Ok(m) if m.is_file() && !is_executable(&m) => Ok(path),
        _ => Err(format!(
            "Configuration file '{matched}' is not a regular non-executable file - skipping"
        )),
    }
}

fn is_executable(m: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

/// `strerror` text for an I/O error, as keepalived prints it.
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    #[test]
    fn include_words_and_their_flags() {
        let p = |s: &str| parse_include(&s.chars().collect::<Vec<_>>());
        assert_eq!(p("include  a.conf"), Some((IncludeFlags(0), 9)));
        assert_eq!(p("include\ta"), Some((IncludeFlags(0), 8)));
        assert_eq!(p("includer a"), Some((IncludeFlags::READ, 9)));
        assert_eq!(p("includea a"), Some((IncludeFlags::ALL, 9)));
        assert_eq!(p("includew a").unwrap().0, IncludeFlags(7));
        assert_eq!(p("includem a").unwrap().0, IncludeFlags(3));
        assert_eq!(p("includeb a").unwrap().0, IncludeFlags(9));
        assert_eq!(p("include"), None);
        assert_eq!(p("include_check read"), None);
        assert_eq!(p("includex a"), None);
        assert_eq!(p("includes"), None);
    }

    #[test]
    fn include_check_words() {
        let f = IncludeFlags::default();
        assert_eq!(apply_include_check(f, &[]).0, IncludeFlags::ALL);
        assert_eq!(apply_include_check(f, &["match"]).0, IncludeFlags(3));
        assert_eq!(
            apply_include_check(IncludeFlags::ALL, &["-brace_match"]).0,
            IncludeFlags(7)
        );
        assert_eq!(
            apply_include_check(f, &["read", "+wildcard_match"]).0,
            IncludeFlags(5)
        );
        let (flags, errs) = apply_include_check(f, &["read", "match", "+bogus"]);
        assert_eq!(flags, IncludeFlags::READ);
        assert_eq!(
            errs,
            [
                "Duplicate include_check 'match' specified - ignoring",
                "Unknown include_check type 'bogus' - ignoring"
            ]
        );
    }

    #[test]
    fn braces_expand_like_csh() {
        let e = |s: &str| expand_braces(s).unwrap();
        assert_eq!(e("a{b,c}d"), ["abd", "acd"]);
        assert_eq!(e("{x,y}/{1,2}"), ["x/1", "x/2", "y/1", "y/2"]);
        assert_eq!(e("a{b,{c,d}}e"), ["abe", "ace", "ade"]);
        assert_eq!(e("a{b}c"), ["abc"]);
        assert_eq!(e("a{b,c"), ["a{b,c"]);
        assert_eq!(e(r"a\{b,c}"), [r"a\{b,c}"]);
        assert_eq!(e("a{,b}"), ["a", "ab"]);
        assert!(expand_braces(&"{a,b}".repeat(12)).is_none());
        assert!(has_brace("x{y"));
        assert!(!has_brace(r"x\{y"));
    }

    #[test]
    fn fnmatch_basics() {
        assert!(fnmatch("*.conf", "a.conf"));
        assert!(!fnmatch("*.conf", ".a.conf"));
        assert!(fnmatch(".*", ".a"));
        assert!(fnmatch("1364-filedb*.conf", "1364-filedb4.conf"));
        assert!(fnmatch("a?c", "abc"));
        assert!(fnmatch("[a-c]x", "bx"));
        assert!(!fnmatch("[!a-c]x", "bx"));
        assert!(fnmatch("[]]", "]"));
        assert!(fnmatch(r"\*", "*"));
        assert!(!fnmatch(r"\*", "a"));
        assert!(fnmatch("[ab", "[ab"));
        assert!(fnmatch("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!fnmatch(&"*a".repeat(30), &"a".repeat(29)));
    }

    #[test]
    fn glob_counts_missing_directories_and_files_like_glibc() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("conf.d")).unwrap();
        File::create(d.path().join("conf.d/b.conf")).unwrap();
        File::create(d.path().join("conf.d/a.conf")).unwrap();
        File::create(d.path().join("conf.d/.hidden.conf")).unwrap();
        fs::create_dir(d.path().join("conf.d/dir.conf")).unwrap();
        let g = glob("conf.d/*.conf", d.path());
        assert_eq!(
            g.matches,
            ["conf.d/a.conf", "conf.d/b.conf", "conf.d/dir.conf/"]
        );
        assert_eq!((g.missing, g.wildcards), (0, true));
        // Wildcard in an existing directory that matches nothing: not "missing".
        let g = glob("conf.d/*.cfg", d.path());
        assert_eq!((g.matches.len(), g.missing, g.wildcards), (0, 0, true));
        // Directory missing: "missing".
        let g = glob("nope.d/*.conf", d.path());
        assert_eq!((g.matches.len(), g.missing), (0, 1));
        // Literal file missing: "missing", and no wildcard involved.
        let g = glob("conf.d/x.conf", d.path());
        assert_eq!((g.matches.len(), g.missing, g.wildcards), (0, 1, false));
        // Braces: alternatives in order, each sorted; one alternative missing.
        let g = glob("conf.d/{b,a,z}.conf", d.path());
        assert_eq!(g.matches, ["conf.d/b.conf", "conf.d/a.conf"]);
        assert_eq!(g.missing, 1);
        // Absolute patterns give absolute matches.
        let abs = format!("{}/conf.d/a.conf", d.path().display());
        assert_eq!(
            glob(&abs, Path::new("/")).matches,
            std::slice::from_ref(&abs)
        );
        // Wildcard directories.
        let g = glob("*/a.conf", d.path());
        assert_eq!(g.matches, ["conf.d/a.conf"]);
    }

    #[test]
    fn only_regular_non_executable_files_are_read() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        File::create(d.path().join("ok.conf")).unwrap();
        let x = d.path().join("x.conf");
        File::create(&x).unwrap();
        fs::set_permissions(&x, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_file("ok.conf", d.path()).is_ok());
        assert_eq!(
            check_file("x.conf", d.path()).unwrap_err(),
            "Configuration file 'x.conf' is not a regular non-executable file - skipping"
        );
        assert_eq!(
            check_file("sub/", d.path()).unwrap_err(),
            "Configuration file 'sub/' is a directory - skipping"
        );
    }
}
