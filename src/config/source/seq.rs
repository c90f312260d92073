//! `~SEQ(var, [start,] [step,] end) rest`, `~SEQx(…)` and `~LST(…) rest` (keepalived 2.0.x+):
//! the rest of the line is read once per value, with `$var` defined to that value.
//!
//! Parsing follows keepalived's `add_seq`/`add_lst`, including its defaults: one number
//! `n` counts from 1 (or -1) to `n`; two count in whichever direction reaches the end;
//! numbers are C `strtol` base 0 (so `0x10` and `010` work).

use super::text::Text;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeqKind {
    Range {
        var: String,
        next: i64,
        step: i64,
        last: i64,
        hex: bool,
    },
    List {
        params: Vec<String>,
        sets: Vec<Vec<String>>,
        next: usize,
    },
}

/// A pending repetition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seq {
    pub kind: SeqKind,
    /// The text repeated (keeps its columns).
    pub text: Text,
}

impl Seq {
    /// The definitions for the next repetition, and whether it is the last one.
    pub fn advance(&mut self) -> (Vec<(String, String)>, bool) {
        match &mut self.kind {
            SeqKind::Range {
                var,
                next,
                step,
                last,
                hex,
            } => {
                let shown = if *hex {
                    format!("{:x}", *next as u64)
                } else {
                    next.to_string()
                };
                let done = match next.checked_add(*step) {
                    Some(n) => {
                        *next = n;
                        (*step > 0 && n > *last) || (*step < 0 && n < *last)
                    }
                    None => true,
                };
                (vec![(var.clone(), shown)], done)
            }
            SeqKind::List { params, sets, next } => {
                let set = &sets[*next];
                let defs = params
                    .iter()
                    .zip(set.iter().chain(std::iter::repeat(&String::new())))
                    .map(|(p, v)| (p.clone(), v.clone()))
                    .collect();
                *next += 1;
                (defs, *next >= sets.len())
            }
        }
    }

    /// Number of repetitions still to come (saturating), to refuse obvious bombs early.
    pub fn remaining(&self) -> u64 {
        match &self.kind {
            SeqKind::Range {
                next, step, last, ..
            } => {
                let span = (*last as i128 - *next as i128).unsigned_abs();
                let step = (*step as i128).unsigned_abs().max(1);
                u64::try_from(span / step + 1).unwrap_or(u64::MAX)
            }
            SeqKind::List { sets, next, .. } => (sets.len() - next) as u64,
        }
    }
}

/// What went wrong, in keepalived's words (the caller adds "Invalid ~SEQ specification").
#[derive(Debug, PartialEq, Eq)]
pub struct SeqError(pub Option<String>);

/// C `strtol(s, &end, 0)`: returns the value and the index just past the number (or `from`
/// when there is no number).
fn strtol(s: &[char], from: usize) -> (i64, usize) {
    let mut i = from;
    while s.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some('-') => {
            i += 1;
            true
        }
        Some('+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut radix = 10;
    if s.get(i) == Some(&'0') {
        if matches!(s.get(i + 1), Some('x' | 'X'))
            && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let digits_start = i;
    let mut v: i128 = 0;
    while let Some(d) = s.get(i).and_then(|c| c.to_digit(radix)) {
        v = (v * radix as i128 + d as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    if i == digits_start {
        return (0, from);
    }
    let v = if neg { -v } else { v };
    (v.clamp(i64::MIN as i128, i64::MAX as i128) as i64, i)
}

fn skip_blanks(s: &[char], mut i: usize) -> usize {
    while matches!(s.get(i), Some(' ' | '\t')) {
        i += 1;
    }
    i
}

/// Longest `~SEQ(…)` parameter list keepalived accepts (its buffer holds three numbers).
pub const SEQ_PARAMS_MAX: usize = 3 * 20 + 3 + 1;

/// The parameter part of a `~SEQ` line: `(var, params)` and where the repeated text starts.
pub struct SeqHead {
    pub hex: bool,
    pub var: String,
    /// Text from after the separator to the `)` included, to be `$`-substituted.
    pub params: Text,
    pub rest_start: usize,
}

/// First half of keepalived's `add_seq`: everything up to the numbers.
pub fn parse_seq_head(t: &Text) -> Result<SeqHead, SeqError> {
    let s: Vec<char> = t.0.iter().map(|ch| ch.c).collect();
    let line = t.to_string();
    let mut p = 4;
    let hex = s.get(p) == Some(&'x');
    if hex {
        p += 1;
    }
    p = skip_blanks(&s, p);
    if s.get(p) != Some(&'(') {
        return Err(SeqError(None));
    }
    p = skip_blanks(&s, p + 1);
    let var_start = p;
    while s
        .get(p)
        .is_some_and(|c| !matches!(c, ' ' | '\t' | ',' | ')'))
    {
        p += 1;
    }
    let var: String = s[var_start..p].iter().collect();
    p = skip_blanks(&s, p);
    if p >= s.len() || s[p] == ')' || var.is_empty() {
        return Err(SeqError(Some(format!("Invalid ~SEQ definition '{line}'"))));
    }
    p = skip_blanks(&s, p + 1);
    let Some(close) = s[p.min(s.len())..]
        .iter()
        .position(|&c| c == ')')
        .map(|i| i + p)
    else {
        return Err(SeqError(Some(format!(
            "~SEQ missing terminating ')' '{line}'"
        ))));
    };
    let params = t.slice(p..close + 1);
    if params.byte_len() + 1 > SEQ_PARAMS_MAX {
        return Err(SeqError(Some(format!(
            "~SEQ parameter strings too long '{line}'"
        ))));
    }
    let rest_start = skip_blanks(&s, close + 1);
    Ok(SeqHead {
        hex,
        var,
        params,
        rest_start,
    })
}

/// Second half of `add_seq`: the (already substituted) numbers.
pub fn finish_seq(head: SeqHead, params: &str, t: &Text) -> Result<Seq, SeqError> {
    let line = t.to_string();
    let invalid = || SeqError(Some(format!("Invalid ~SEQ definition '{line}'")));
    let s: Vec<char> = params.chars().collect();
    let (one, p) = strtol(&s, 0);
    let p = skip_blanks(&s, p);
    let (start, step, end) = match s.get(p) {
        Some(')') => {
            let end = one;
            (
                if end < 0 { -1 } else { 1 },
                if end < 1 { -1 } else { 1 },
                end,
            )
        }
        Some(',') => {
            let (two, p) = strtol(&s, p + 1);
            let p = skip_blanks(&s, p);
            match s.get(p) {
                Some(')') => (one, if one <= two { 1 } else { -1 }, two),
                Some(',') => {
                    let (three, p) = strtol(&s, p + 1);
                    let p = skip_blanks(&s, p);
                    if s.get(p) != Some(&')') {
                        return Err(invalid());
                    }
                    let (start, step, end) = (one, two, three);
                    if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                        return Err(SeqError(Some(format!("Invalid ~SEQ values '{line}'"))));
                    }
                    (start, step, end)
                }
                _ => return Err(invalid()),
            }
        }
        _ => return Err(invalid()),
    };
    if head.hex && (start < 0 || end < 0) {
        return Err(SeqError(Some(format!(
            "~SEQx is only valid for positive numbers '{line}'"
        ))));
    }
    Ok(Seq {
        kind: SeqKind::Range {
            var: head.var,
            next: start,
            step,
            last: end,
            hex: head.hex,
        },
        text: t.slice(head.rest_start.min(t.len())..t.len()),
    })
}

/// keepalived's `add_lst`: `~LST(var, v1, v2, …)` or `~LST({a,b}, {1,2}, {3,4}) rest`.
pub fn parse_lst(t: &Text) -> Result<Seq, SeqError> {
    let s: Vec<char> = t.0.iter().map(|ch| ch.c).collect();
    let line = t.to_string();
    let at = |i: usize| s.get(i).copied();
    let mut p = skip_blanks(&s, 4);
    if at(p) != Some('(') {
        return Err(SeqError(None));
    }
    p = skip_blanks(&s, p + 1);
    let mut end_char = ',';
    if at(p) == Some('{') {
        end_char = '}';
        p = skip_blanks(&s, p + 1);
    }
    let mut params = Vec::new();
    loop {
        let start = p;
        while at(p).is_some_and(|c| !matches!(c, ' ' | '\t' | ',' | '}')) {
            p += 1;
        }
        params.push(s[start..p].iter().collect::<String>());
        p = skip_blanks(&s, p);
        if at(p) == Some(end_char) {
            break;
        }
        if at(p) != Some(',') {
            return Err(SeqError(None));
        }
        p = skip_blanks(&s, p + 1);
    }
    if at(p) == Some('}') {
        p = skip_blanks(&s, p + 1);
    }
    if at(p) != Some(',') {
        return Err(SeqError(None));
    }
    p = skip_blanks(&s, p + 1);
    let mut sets = Vec::new();
    loop {
        let mut end_char = ',';
        if at(p) == Some('{') {
            end_char = '}';
            p = skip_blanks(&s, p + 1);
        }
        let mut values = Vec::new();
        loop {
            let start = p;
            while at(p).is_some_and(|c| !matches!(c, ' ' | '\t' | ',' | '}' | ')')) {
                p += 1;
            }
            values.push(s[start..p].iter().collect::<String>());
            p = skip_blanks(&s, p);
            if at(p) == Some(end_char) || (at(p) == Some(')') && end_char == ',') {
                break;
            }
            if at(p) != Some(',') {
                return Err(SeqError(None));
            }
            p = skip_blanks(&s, p + 1);
            if values.len() >= params.len() {
                return Err(SeqError(Some(format!(
                    "~LST specification has too many values '{line}'"
                ))));
            }
        }
        values.resize(params.len().max(values.len()), String::new());
        sets.push(values);
        if at(p) == Some('}') && end_char == '}' {
            p = skip_blanks(&s, p + 1);
        }
        if at(p) == Some(')') {
            break;
        }
        if at(p) != Some(',') {
            return Err(SeqError(None));
        }
        p = skip_blanks(&s, p + 1);
    }
    let rest_start = skip_blanks(&s, p + 1).min(s.len());
    Ok(Seq {
        kind: SeqKind::List {
            params,
            sets,
            next: 0,
        },
        text: t.slice(rest_start..t.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(line: &str) -> Result<(Vec<String>, String), SeqError> {
        let t = Text::at(line, 1);
        let head = parse_seq_head(&t)?;
        let params = head.params.to_string();
        let mut s = finish_seq(head, &params, &t)?;
        let text = s.text.to_string();
        let mut vals = vec![];
        loop {
            let (d, done) = s.advance();
            vals.push(d[0].1.clone());
            if done || vals.len() > 100 {
                break;
            }
        }
        Ok((vals, text))
    }

    fn vals(line: &str) -> Vec<String> {
        seq(line).unwrap().0
    }

    #[test]
    fn seq_defaults_follow_keepalived() {
        assert_eq!(vals("~SEQ(i, 3) x"), ["1", "2", "3"]);
        assert_eq!(vals("~SEQ(i, 0) x"), ["1", "0"]);
        assert_eq!(vals("~SEQ(i, -2) x"), ["-1", "-2"]);
        assert_eq!(vals("~SEQ(i, 5, 3) x"), ["5", "4", "3"]);
        assert_eq!(vals("~SEQ(i, 0, 5, 12) x"), ["0", "5", "10"]);
        assert_eq!(vals("~SEQx(i, 9, 0x0c) x"), ["9", "a", "b", "c"]);
        assert_eq!(vals("~SEQ(i, 010) x").len(), 8);
        assert_eq!(
            seq("~SEQ ( v ,1, 2)   rest of line").unwrap().1,
            "rest of line"
        );
    }

    #[test]
    fn seq_errors_use_keepalived_text() {
        let e = |l: &str| seq(l).unwrap_err().0.unwrap();
        assert_eq!(e("~SEQ(i)"), "Invalid ~SEQ definition '~SEQ(i)'");
        assert_eq!(
            e("~SEQ(i, 1, 0, 3) x"),
            "Invalid ~SEQ values '~SEQ(i, 1, 0, 3) x'"
        );
        assert_eq!(
            e("~SEQ(i, 3, 1, 1) x"),
            "Invalid ~SEQ values '~SEQ(i, 3, 1, 1) x'"
        );
        assert_eq!(
            e("~SEQ(i, 1 2) x"),
            "Invalid ~SEQ definition '~SEQ(i, 1 2) x'"
        );
        assert_eq!(
            e("~SEQx(i, -1, 2) x"),
            "~SEQx is only valid for positive numbers '~SEQx(i, -1, 2) x'"
        );
        assert_eq!(
            e("~SEQ(i, 1, 2"),
            "~SEQ missing terminating ')' '~SEQ(i, 1, 2'"
        );
        let long = format!("~SEQ(i, {}) x", "1".repeat(70));
        assert!(e(&long).starts_with("~SEQ parameter strings too long"));
        assert_eq!(seq("~SEQi, 2) x").unwrap_err(), SeqError(None));
    }

    #[test]
    fn seq_stops_at_overflow_instead_of_wrapping() {
        let v = vals(&format!(
            "~SEQ(i, {}, {}, {}) x",
            i64::MAX - 1,
            i64::MAX / 2,
            i64::MAX
        ));
        assert_eq!(v.len(), 1);
    }

    type Iterations = Vec<Vec<(String, String)>>;

    fn lst(line: &str) -> Result<(Iterations, String), SeqError> {
        let mut s = parse_lst(&Text::at(line, 1))?;
        let text = s.text.to_string();
        let mut out = vec![];
        loop {
            let (d, done) = s.advance();
            out.push(d);
            if done {
                break;
            }
        }
        Ok((out, text))
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn lst_single_variable() {
        let (its, text) = lst("~LST(v, a, b,c) x $v").unwrap();
        assert_eq!(text, "x $v");
        assert_eq!(
            its,
            vec![
                pairs(&[("v", "a")]),
                pairs(&[("v", "b")]),
                pairs(&[("v", "c")])
            ]
        );
    }

    #[test]
    fn lst_several_variables_with_missing_values_blank() {
        let (its, text) = lst("~LST({a, b}, {1, 2}, {3}) y").unwrap();
        assert_eq!(text, "y");
        assert_eq!(
            its,
            vec![
                pairs(&[("a", "1"), ("b", "2")]),
                pairs(&[("a", "3"), ("b", "")])
            ]
        );
    }

    #[test]
    fn lst_errors() {
        assert_eq!(
            lst("~LST({a}, {1, 2}) y").unwrap_err().0.unwrap(),
            "~LST specification has too many values '~LST({a}, {1, 2}) y'"
        );
        assert_eq!(lst("~LST(a b) y").unwrap_err(), SeqError(None));
        assert_eq!(lst("~LST(a, 1").unwrap_err(), SeqError(None));
        assert_eq!(lst("~LSTa, 1)").unwrap_err(), SeqError(None));
    }

    #[test]
    fn strtol_matches_c() {
        let c = |s: &str| strtol(&s.chars().collect::<Vec<_>>(), 0);
        assert_eq!(c(" 12)"), (12, 3));
        assert_eq!(c("-0x1f,"), (-31, 5));
        assert_eq!(c("017"), (15, 3));
        assert_eq!(c("0x"), (0, 1));
        assert_eq!(c(")"), (0, 0));
        assert_eq!(c("99999999999999999999999"), (i64::MAX, 23));
    }
}
