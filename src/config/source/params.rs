//! `$NAME=VALUE` definitions and their substitution (keepalived 1.4.0+).
//!
//! keepalived substitutes in place and rescans the replacement, so definitions expand
//! recursively at use time. A definition whose value ends in `\` continues on the next lines
//! (a *multi-line* definition); used at the end of a line it expands to several lines.
//! Unlike keepalived (which hangs on `$A=$B` / `$B=$A`), recursion is detected and reported.

use super::text::Text;
use rand::rngs::StdRng;
use rand::Rng;
use rustc_hash::FxHashMap;

/// Builtin definitions whose value is computed when used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Builtin {
    Pwd,
    Instance,
    Random,
}

#[derive(Clone, Debug)]
struct Def {
    /// Lines separated by `\n` when `multiline`.
    value: String,
    multiline: bool,
    builtin: Option<Builtin>,
    /// `${_HASH}`/`${_BANG}`: the value never starts a comment.
    literal: bool,
    /// How many space-separated numbers may follow the name inside `${…}`.
    max_params: usize,
}

impl Def {
    fn plain(value: String) -> Self {
        Def {
            value,
            multiline: false,
            builtin: None,
            literal: false,
            max_params: 0,
        }
    }
}

/// All definitions in force.
#[derive(Clone, Debug)]
pub struct Defs {
    map: FxHashMap<String, Def>,
}

impl Default for Defs {
    fn default() -> Self {
        let mut map = FxHashMap::default();
        let mut builtin = |name: &str, b: Option<Builtin>, value: &str, params: usize| {
            let mut d = Def::plain(value.to_string());
            d.builtin = b;
            d.literal = b.is_none();
            d.max_params = params;
            map.insert(name.to_string(), d);
        };
        builtin("_PWD", Some(Builtin::Pwd), "", 0);
        builtin("_INSTANCE", Some(Builtin::Instance), "", 0);
        builtin("_RANDOM", Some(Builtin::Random), "", 2);
        builtin("_HASH", None, "#", 0);
        builtin("_BANG", None, "!", 0);
        Defs { map }
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Defs {
    /// Sets `name` to a single-line value (what `~SEQ`/`~LST` do for their variable). Like
    /// keepalived, this overrides a builtin of the same name.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.map.get_mut(name) {
            Some(d) => {
                d.value = value.to_string();
                d.builtin = None;
                d.literal = false;
            }
            None => {
                self.map
                    .insert(name.to_string(), Def::plain(value.to_string()));
            }
        }
    }

    /// keepalived's `check_definition`: if `t` is `$NAME=VALUE` (no blank before `=`), stores
    /// it and returns the name and whether the value continues on the next lines.
    pub fn define(&mut self, t: &Text) -> Option<(String, bool)> {
        if t.char_at(0) != Some('$') || !t.char_at(1).is_some_and(is_name_start) {
            return None;
        }
        let mut eq = 2;
        loop {
            match t.char_at(eq) {
                Some('=') => break,
                Some(c) if is_name_char(c) => eq += 1,
                _ => return None,
            }
        }
        let name: String = t.0[1..eq].iter().map(|ch| ch.c).collect();
        let start = t.skip_blanks(eq + 1);
        let mut value: Vec<char> = t.0[start.min(t.len())..].iter().map(|ch| ch.c).collect();
        let multiline = value.last() == Some(&'\\');
        if multiline {
            value.pop();
            while matches!(value.last(), Some(' ' | '\t')) {
                value.pop();
            }
            if !value.is_empty() {
                value.push('\n');
            }
        }
        let mut def = Def::plain(value.into_iter().collect());
        def.multiline = multiline;
        self.map.insert(name.clone(), def);
        Some((name, multiline))
    }

    /// Adds one more line to the multi-line definition `name`; returns whether the
    /// definition goes on after it (the line ended in `\`).
    pub fn continue_definition(&mut self, name: &str, mut line: Text) -> bool {
        let Some(def) = self.map.get_mut(name) else {
            return false;
        };
        let more = line.0.last().is_some_and(|ch| ch.c == '\\');
        let mut s = if more {
            line.0.pop();
            line.trim_end_blanks();
            let mut s = line.to_string();
            s.push('\n');
            s
        } else {
            line.to_string()
        };
        if !more && def.value.is_empty() {
            def.multiline = false;
        }
        // A line holding only the `\` adds nothing.
        if s.chars().count() >= 2 || (!s.is_empty() && !more) {
            def.value.push_str(&s);
        }
        s.clear();
        more
    }

    /// Ends a multi-line definition at a blank line.
    pub fn end_definition(&mut self, name: &str) {
        if let Some(def) = self.map.get_mut(name) {
            if def.value.is_empty() {
                def.multiline = false;
            }
        }
    }
}

/// Where a `$` reference is and what it names.
struct Reference {
    name: String,
    /// Index just past the reference (past the `}` for `${…}`).
    end: usize,
    /// The numbers inside `${NAME n m}`, as written.
    params: Option<String>,
}

/// keepalived's `find_definition` for a use: `$NAME` must be followed by a blank, `,`, `)`
/// or the end of the line; `${NAME}` may appear anywhere and may carry numeric parameters.
fn find_reference(defs: &Defs, t: &Text, dollar: usize) -> Option<(Reference, bool)> {
    let braces = t.char_at(dollar + 1) == Some('{');
    let start = dollar + 1 + usize::from(braces);
    if !t.char_at(start).is_some_and(is_name_start) {
        return None;
    }
    let mut p = start + 1;
    while t.char_at(p).is_some_and(is_name_char) {
        p += 1;
    }
    let name: String = t.0[start..p].iter().map(|ch| ch.c).collect();
    let mut params = None;
    let end;
    let at_end_of_line;
    if braces {
        let name_end = p;
        let (mut first, mut last) = (None, None);
        while let Some(c @ (' ' | '0'..='9')) = t.char_at(p) {
            if c != ' ' {
                first.get_or_insert(p);
                last = Some(p);
            }
            p += 1;
        }
        if let (Some(_), Some(l)) = (first, last) {
            if l + 1 != p {
                return None;
            }
        }
        if t.char_at(p) != Some('}') {
            return None;
        }
        if let (Some(f), Some(l)) = (first, last) {
            params = Some(t.0[f..=l].iter().map(|ch| ch.c).collect());
        }
        end = p + 1;
        at_end_of_line = name_end == p && end == t.len();
    } else {
        match t.char_at(p) {
            None | Some(' ' | '\t' | ',' | ')') => {}
            _ => return None,
        }
        end = p;
        at_end_of_line = end == t.len();
    }
    let def = defs.map.get(&name)?;
    if def.multiline && !at_end_of_line {
        return None;
    }
    if params.is_some() && def.max_params == 0 {
        return None;
    }
    let multiline = def.multiline;
    Some((Reference { name, end, params }, multiline))
}

/// What the substitution needs from the loader.
pub struct SubstEnv<'a> {
    /// `${_PWD}`: the directory of the file being read.
    pub pwd: &'a str,
    /// `${_INSTANCE}`.
    pub instance: &'a str,
    pub rng: &'a mut StdRng,
    /// Bytes of expansion still allowed.
    pub budget: &'a mut usize,
    /// Multi-line definitions currently being expanded (to catch recursion).
    pub active_multiline: &'a [String],
    /// Longest line the substitution may produce, in bytes.
    pub max_line_bytes: usize,
}

/// A multi-line definition used at the end of a line: its first line has replaced the
/// reference; the rest are read next.
#[derive(Clone, Debug)]
pub struct MultilineUse {
    pub name: String,
    pub rest: String,
    pub col: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SubstProblem {
    /// keepalived's "Parameter substitution on line '%s' would exceed maximum line length".
    LineTooLong(String),
    /// The chain of names that leads back to the first.
    Recursive(Vec<String>),
    BudgetExhausted,
    /// Informational: `${_RANDOM a b c}`.
    RandomExtraText(String),
    /// `${_RANDOM min max}` with min > max.
    RandomRange(String),
}

#[derive(Debug, Default)]
pub struct SubstOutcome {
    /// keepalived's return value: true if anything was replaced and nothing went wrong.
    pub changed: bool,
    /// Multi-line definitions used, in order.
    pub multiline: Vec<MultilineUse>,
    pub problems: Vec<SubstProblem>,
}

/// Upper bound on substitutions in one line, whatever happens.
const MAX_SUBSTITUTIONS_PER_LINE: usize = 4096;

/// keepalived's `replace_param`: replaces every resolvable `$NAME`/`${NAME}` in `t`,
/// rescanning each replacement so definitions may use definitions.
pub fn substitute(defs: &Defs, t: &mut Text, env: &mut SubstEnv<'_>) -> SubstOutcome {
    let mut out = SubstOutcome::default();
    // Names whose replacement text is still ahead of (or under) the scan position, with the
    // index where that text ends: meeting one of these names again is recursion.
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut cur = 0;
    let mut count = 0;
    while let Some(pos) = t.find_from('$', cur) {
        if pos + 1 >= t.len() {
            break;
        }
        let Some((r, multiline)) = find_reference(defs, t, pos) else {
            cur = pos + 1;
            continue;
        };
        open.retain(|(_, end)| *end > pos);
        let recursing = open.iter().any(|(n, _)| *n == r.name)
            || (multiline && env.active_multiline.contains(&r.name));
        if recursing || count >= MAX_SUBSTITUTIONS_PER_LINE {
            let mut chain: Vec<String> = env.active_multiline.to_vec();
            chain.extend(open.iter().map(|(n, _)| n.clone()));
            chain.push(r.name.clone());
            return fail(out, SubstProblem::Recursive(chain));
        }
        count += 1;
        let def = &defs.map[&r.name];
        let value = match def.builtin {
            Some(Builtin::Pwd) => env.pwd.to_string(),
            Some(Builtin::Instance) => env.instance.to_string(),
            Some(Builtin::Random) => random_value(r.params.as_deref(), env, &mut out),
            None => def.value.clone(),
        };
        let (first, rest) = if multiline {
            match value.split_once('\n') {
                Some((a, b)) => (a.to_string(), Some(b.to_string())),
                None => (value.clone(), Some(String::new())),
            }
        } else {
            (value.clone(), None)
        };
        let old_bytes: usize = t.0[pos..r.end].iter().map(|ch| ch.c.len_utf8()).sum();
        if t.byte_len() - old_bytes + first.len() > env.max_line_bytes {
            return fail(out, SubstProblem::LineTooLong(t.to_string()));
        }
        let cost = value.len().max(1);
        if *env.budget < cost {
            *env.budget = 0;
            return fail(out, SubstProblem::BudgetExhausted);
        }
        *env.budget -= cost;
        let col = t.0[pos].col;
        let replacement = Text::uniform(&first, col, def.literal);
        let new_len = replacement.len();
        let delta = new_len as isize - (r.end - pos) as isize;
        t.splice(pos..r.end, replacement);
        for (_, end) in open.iter_mut() {
            *end = end.saturating_add_signed(delta).max(pos + new_len);
        }
        open.push((r.name.clone(), pos + new_len));
        if let Some(rest) = rest {
            out.multiline.push(MultilineUse {
                name: r.name.clone(),
                rest,
                col,
            });
        }
        out.changed = true;
        // A value starting with `~` is a `~SEQ`/`~LST` to be handled before anything else.
        if value.trim_start_matches([' ', '\t']).starts_with('~') {
            break;
        }
        cur = pos;
    }
    out
}

fn fail(mut out: SubstOutcome, p: SubstProblem) -> SubstOutcome {
    out.changed = false;
    out.multiline.clear();
    out.problems.push(p);
    out
}

/// `${_RANDOM [min [max]]}`: an integer in [min, max], default [0, 32767].
fn random_value(params: Option<&str>, env: &mut SubstEnv<'_>, out: &mut SubstOutcome) -> String {
    let nums: Vec<u64> = params
        .unwrap_or("")
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.parse::<u64>().unwrap_or(u64::MAX))
        .collect();
    let min = nums.first().copied().unwrap_or(0);
    let max = nums.get(1).copied().unwrap_or(32767);
    if nums.len() > 2 {
        out.problems.push(SubstProblem::RandomExtraText(
            params.unwrap_or("").to_string(),
        ));
    }
    if min > max {
        out.problems
            .push(SubstProblem::RandomRange(params.unwrap_or("").to_string()));
        return min.to_string();
    }
    env.rng.gen_range(min..=max).to_string()
}

#[cfg(test)]
mod tests {
    use super::super::text::{Ch, MAX_LINE_BYTES};
    use super::*;
    use rand::SeedableRng;

    fn chars(t: &Text) -> Vec<Ch> {
        t.0.clone()
    }

    fn run(defs: &Defs, line: &str) -> (String, SubstOutcome) {
        let mut rng = StdRng::seed_from_u64(7);
        let mut budget = 1 << 20;
        let mut env = SubstEnv {
            pwd: "/etc/keepalived",
            instance: "vm",
            rng: &mut rng,
            budget: &mut budget,
            active_multiline: &[],
            max_line_bytes: MAX_LINE_BYTES,
        };
        let mut t = Text::at(line, 1);
        let o = substitute(defs, &mut t, &mut env);
        (t.to_string(), o)
    }

    fn defs(lines: &[&str]) -> Defs {
        let mut d = Defs::default();
        for l in lines {
            d.define(&Text::at(l, 1)).expect("a definition");
        }
        d
    }

    #[test]
    fn definitions_need_a_name_and_no_blank_before_the_equals_sign() {
        let mut d = Defs::default();
        assert_eq!(
            d.define(&Text::at("$IF=eth0", 1)),
            Some(("IF".into(), false))
        );
        assert_eq!(d.define(&Text::at("$IF =eth0", 1)), None);
        assert_eq!(d.define(&Text::at("$1X=a", 1)), None);
        assert_eq!(d.define(&Text::at("$X", 1)), None);
        assert_eq!(
            d.define(&Text::at("$_A9=  v w", 1)),
            Some(("_A9".into(), false))
        );
        assert_eq!(run(&d, "x $_A9").0, "x v w");
    }

    #[test]
    fn dollar_name_needs_a_separator_after_it_but_braces_work_anywhere() {
        let d = defs(&["$IF=eth0"]);
        assert_eq!(run(&d, "interface $IF").0, "interface eth0");
        assert_eq!(run(&d, "a $IF,$IF) b").0, "a eth0,eth0) b");
        assert_eq!(run(&d, "x$IF.1").0, "x$IF.1");
        assert_eq!(run(&d, "x${IF}.1").0, "xeth0.1");
        let (s, o) = run(&d, "$UNDEFINED ${NOPE}");
        assert_eq!(s, "$UNDEFINED ${NOPE}");
        assert!(!o.changed);
    }

    #[test]
    fn definitions_expand_recursively_at_use_time() {
        let mut d = defs(&["$A=${B}x", "$B=1"]);
        assert_eq!(run(&d, "v $A").0, "v 1x");
        d.define(&Text::at("$B=2", 1));
        assert_eq!(run(&d, "v $A").0, "v 2x");
    }

    #[test]
    fn self_reference_is_reported_not_looped() {
        let d = defs(&["$A=$B", "$B=x $A"]);
        let (_, o) = run(&d, "v $A");
        assert!(!o.changed);
        assert_eq!(
            o.problems,
            vec![SubstProblem::Recursive(vec![
                "A".into(),
                "B".into(),
                "A".into()
            ])]
        );
        let d = defs(&["$A=a$A"]);
        assert!(matches!(
            run(&d, "$A").1.problems[0],
            SubstProblem::Recursive(_)
        ));
    }

    #[test]
    fn substitution_may_not_make_a_line_longer_than_keepalived_buffer() {
        let long = format!("$L={}", "y".repeat(600));
        let d = defs(&[&long]);
        assert!(run(&d, "$L").1.changed);
        let (s, o) = run(&d, "$L $L");
        assert_eq!(o.problems.len(), 1);
        assert!(matches!(&o.problems[0], SubstProblem::LineTooLong(l) if l.starts_with("yyy")));
        assert!(s.ends_with(" $L"));
    }

    #[test]
    fn builtins_and_their_columns() {
        let d = Defs::default();
        assert_eq!(run(&d, "s ${_PWD}/x.sh").0, "s /etc/keepalived/x.sh");
        assert_eq!(run(&d, "i ${_INSTANCE}").0, "i vm");
        let mut t = Text::at("a ${_HASH} b", 1);
        let mut rng = StdRng::seed_from_u64(1);
        let mut budget = 100;
        let mut env = SubstEnv {
            pwd: "",
            instance: "",
            rng: &mut rng,
            budget: &mut budget,
            active_multiline: &[],
            max_line_bytes: MAX_LINE_BYTES,
        };
        substitute(&d, &mut t, &mut env);
        assert_eq!(t.to_string(), "a # b");
        let c = chars(&t);
        assert_eq!((c[2].c, c[2].col, c[2].lit), ('#', 3, true));
        assert_eq!((c[4].c, c[4].col), ('b', 12));
    }

    #[test]
    fn random_respects_its_range_and_is_deterministic_with_a_seed() {
        let d = Defs::default();
        for _ in 0..50 {
            let v: u64 = run(&d, "${_RANDOM 5 9}").0.parse().unwrap();
            assert!((5..=9).contains(&v));
        }
        assert_eq!(run(&d, "${_RANDOM}").0, run(&d, "${_RANDOM}").0);
        assert_eq!(run(&d, "${_RANDOM 3 3}").0, "3");
        // Parameters only for definitions that take them; trailing blanks not allowed.
        assert_eq!(run(&d, "${_PWD 1}").0, "${_PWD 1}");
        assert_eq!(run(&d, "${_RANDOM 1 }").0, "${_RANDOM 1 }");
        assert!(matches!(
            run(&d, "${_RANDOM 1 2 3}").1.problems[0],
            SubstProblem::RandomExtraText(_)
        ));
    }

    #[test]
    fn multiline_definitions_only_expand_at_the_end_of_a_line() {
        let mut d = defs(&["$M=first \\"]);
        assert!(d.continue_definition("M", Text::at("second \\", 1)));
        assert!(!d.continue_definition("M", Text::at("third", 1)));
        let (s, o) = run(&d, "x $M");
        assert_eq!(s, "x first");
        assert_eq!(o.multiline.len(), 1);
        assert_eq!(o.multiline[0].rest, "second\nthird");
        assert_eq!(run(&d, "$M y").0, "$M y");
        assert_eq!(run(&d, "${M}").0, "first");
    }

    #[test]
    fn a_multiline_definition_with_one_line_is_a_plain_one() {
        let mut d = defs(&["$M=\\"]);
        assert!(!d.continue_definition("M", Text::at("only", 1)));
        assert_eq!(run(&d, "$M y").0, "only y");
    }

    #[test]
    fn a_value_starting_with_tilde_stops_the_scan() {
        let d = defs(&["$S=~SEQ(i,2) x", "$Y=y"]);
        assert_eq!(run(&d, "$S $Y").0, "~SEQ(i,2) x $Y");
    }

    #[test]
    fn the_budget_bounds_expansion() {
        let d = defs(&["$A=aaaaaaaaaa"]);
        let mut rng = StdRng::seed_from_u64(1);
        let mut budget = 15;
        let mut env = SubstEnv {
            pwd: "",
            instance: "",
            rng: &mut rng,
            budget: &mut budget,
            active_multiline: &[],
            max_line_bytes: MAX_LINE_BYTES,
        };
        let mut t = Text::at("$A $A", 1);
        let o = substitute(&d, &mut t, &mut env);
        assert_eq!(o.problems, vec![SubstProblem::BudgetExhausted]);
    }
}
