//! The line loop: keepalived's `read_line()`, one logical line at a time.
//!
//! Where the next line comes from, in keepalived's priority order: the rest of a line after
//! a brace; the innermost pending `~SEQ`/`~LST` repetition; the next line of a multi-line
//! definition being expanded; the file on top of the include stack. That order is why
//! `~SEQ(i,3) include f${i}.conf` pushes f1, f2, f3 before any of them is read (so f3 is
//! read first) — exactly as keepalived does.

use super::include::{self, IncludeFlags};
use super::params::MultilineUse;
use super::seq;
use super::text::{
    decomment, physical_line_pieces, plain_line_pieces, split_at_brace, Text, MAX_LINE_BYTES,
};
use super::{Columns, Loader, LogicalLine, MultilineLines, Origin, Pending, Unit, MAX_RECHECKS};
use crate::config::diag::{Diagnostic, Severity};
use crate::config::span::Span;
use compact_str::CompactString;

/// Outcome of the `@`/`$`/`~SEQ` stage for one line.
enum Processed {
    /// The line goes on to `include` detection and output.
    Keep,
    /// The line was consumed (definition, `~SEQ`) or dropped (`@` mismatch).
    Consumed,
}

impl Loader<'_> {
    /// Reads everything; the lines collect in `self.lines`.
    pub(super) fn run(&mut self) {
        while self.step() {}
    }

    /// The next logical line, reading on as far as needed to make one.
    pub(super) fn next_line(&mut self) -> Option<LogicalLine> {
        loop {
            if let Some(l) = self.lines.pop_front() {
                return Some(l);
            }
            if !self.step() {
                return None;
            }
        }
    }

    /// Reads one physical line's worth (or one pending piece); `false` once all is read.
    fn step(&mut self) -> bool {
        if self.take_plain_line() {
            return true;
        }
        match self.next_unit() {
            Some(unit) => {
                self.emit(unit);
                true
            }
            None => false,
        }
    }

    /// The fast path: when nothing is pending (no brace residue, repetition, multi-line
    /// definition or long-line piece) and the next line of the current file is plain (see
    /// [`plain_line_pieces`]), emits its logical lines straight from the source text.
    fn take_plain_line(&mut self) -> bool {
        let idle = self.residue.is_none()
            && self.seqs.len() <= self.ml.seq_depth
            && self.ml.next.is_none()
            && self.defining.is_none();
        let Some(top) = self.frames.last_mut() else {
            return false;
        };
        if !idle || !top.pieces.is_empty() {
            return false;
        }
        let Some(raw) = top.lines.line(top.next_line) else {
            return false;
        };
        let mut pieces = std::mem::take(&mut self.plain_pieces);
        pieces.clear();
        if !plain_line_pieces(raw, &mut pieces) {
            self.plain_pieces = pieces;
            return false;
        }
        let top = self.frames.last_mut().expect("checked above");
        let file = top.file;
        let line = top.next_line;
        top.next_line += 1;
        let origin = Origin {
            file,
            line: line as u32 + 1,
        };
        self.ml.finishing = None;
        let frame = self.frames.len() - 1;
        for r in &pieces {
            // The frame's current line, again (emitting a plain line opens no file).
            let raw = self.frames[frame].lines.line(line).expect("read above");
            let text = CompactString::new(&raw[r.clone()]);
            self.emit_line(text, origin, Columns::From(r.start as u32 + 1));
        }
        self.plain_pieces = pieces;
        true
    }

    fn next_unit(&mut self) -> Option<Unit> {
        loop {
            self.ml.finishing = None;
            let mut unit = if let Some(r) = self.residue.take() {
                r
            } else if self.seqs.len() > self.ml.seq_depth {
                match self.seq_step() {
                    Some(u) => u,
                    None => continue,
                }
            } else if self.ml.next.is_some() {
                self.multiline_step()
            } else {
                self.read_file_line()?
            };
            if let Some(name) = self.defining.clone() {
                if !self.defs.continue_definition(&name, unit.text) {
                    self.defining = None;
                }
                continue;
            }
            if unit.text.is_empty() {
                continue;
            }
            if let Processed::Consumed = self.process(&mut unit) {
                continue;
            }
            if unit.text.is_empty() {
                continue;
            }
            // Only lines starting with "include" can be one (and most lines are not).
            let include = if unit.text.starts_with("include") {
                let chars: Vec<char> = unit.text.0.iter().map(|ch| ch.c).collect();
                include::parse_include(&chars)
            } else {
                None
            };
            if let Some((flags, at)) = include {
                let glob = unit.text.slice(at.min(unit.text.len())..unit.text.len());
                if !glob.is_empty() {
                    self.include(flags, &glob, unit.origin);
                }
                continue;
            }
            if let Some(rest) = split_at_brace(&mut unit.text) {
                self.residue = Some(Unit {
                    text: rest,
                    origin: unit.origin,
                });
            }
            if !unit.text.is_empty() {
                return Some(unit);
            }
        }
    }

    /// Next piece of a physical line from the file on top of the include stack, comments
    /// removed; `None` when every file has been read.
    fn read_file_line(&mut self) -> Option<Unit> {
        loop {
            let top = self.frames.last_mut()?;
            if let Some((mut t, line)) = top.pieces.pop_front() {
                let origin = Origin {
                    file: top.file,
                    line,
                };
                if t.is_empty() {
                    // Only a truly empty line ends a multi-line definition.
                    if let Some(name) = self.defining.take() {
                        self.defs.end_definition(&name);
                    }
                    continue;
                }
                let before = Self::span(&t, origin);
                if let Some(line) = decomment(&mut t) {
                    let span = if t.is_empty() {
                        before
                    } else {
                        Self::span(&t, origin)
                    };
                    // keepalived cannot split such a line into words: it reports it three
                    // ways and reads nothing of it.
                    for msg in [
                        format!("Unterminated quote '{line}'"),
                        format!("Unmatched quote: '{line}'"),
                        format!("String '{line}': missing terminating \""),
                    ] {
                        self.diag(Diagnostic::error(span, msg));
                    }
                    continue;
                }
                if t.is_empty() {
                    continue;
                }
                return Some(Unit { text: t, origin });
            }
            let Some(raw) = top.lines.line(top.next_line) else {
                self.end_file();
                continue;
            };
            top.next_line += 1;
            let line = top.next_line as u32;
            let pieces = physical_line_pieces(raw);
            let origin = Origin {
                file: top.file,
                line,
            };
            if let Some(first) = pieces.first() {
                let span = crate::config::span::Span::new(origin.file, line, 1, 1);
                if first.split {
                    self.diag(Diagnostic::warning(span, format!(
                        "Line longer than {MAX_LINE_BYTES} bytes: keepalived reads it as {} separate lines",
                        pieces.len()
                    )));
                }
                if pieces.iter().any(|p| p.had_nul) {
                    self.diag(Diagnostic::warning(
                        span,
                        "Line contains a NUL character: keepalived ignores the rest of it",
                    ));
                }
            }
            let top = self.frames.last_mut()?;
            top.pieces
                .extend(pieces.into_iter().map(|p| (p.text, line)));
        }
    }

    /// Next repetition of the innermost `~SEQ`/`~LST`.
    fn seq_step(&mut self) -> Option<Unit> {
        let (s, origin) = self.seqs.last_mut()?;
        let origin = *origin;
        let (defs, done) = s.advance();
        let text = s.text.clone();
        if done {
            self.seqs.pop();
        }
        let cost = text.byte_len() + 1;
        if self.budget < cost {
            self.budget = 0;
            let span = Self::span(&text, origin);
            self.stop_expanding(span);
            return None;
        }
        self.budget -= cost;
        for (name, value) in defs {
            self.defs.set(&name, &value);
        }
        Some(Unit { text, origin })
    }

    /// Next line of the multi-line definition being expanded.
    fn multiline_step(&mut self) -> Unit {
        let cur = self.ml.next.as_mut().expect("checked by caller");
        let (line, col, origin) = match cur.rest.find('\n') {
            Some(i) => {
                let line: String = cur.rest.drain(..=i).collect();
                (line.trim_end_matches('\n').to_string(), cur.col, cur.origin)
            }
            None => {
                let cur = self.ml.next.take().expect("checked by caller");
                match self.ml.stack.pop() {
                    Some((prev, depth)) => {
                        self.ml.next = Some(prev);
                        self.ml.seq_depth = depth;
                    }
                    None => self.ml.seq_depth = 0,
                }
                self.ml.finishing = Some(cur.name);
                (cur.rest, cur.col, cur.origin)
            }
        };
        Unit {
            text: Text::uniform(&line, col, false),
            origin,
        }
    }

    /// `@` conditionals, definitions, `~SEQ`/`~LST`, `$` substitution — repeated while a
    /// substitution leaves a line starting with `@` or still holding a `$`.
    fn process(&mut self, unit: &mut Unit) -> Processed {
        for _ in 0..MAX_RECHECKS {
            let t = &mut unit.text;
            if t.char_at(0) == Some('@') {
                let negate = t.char_at(1) == Some('^');
                let id_start = if negate { 2 } else { 1 };
                let Some(blank) = (id_start..t.len()).find(|&i| matches!(t.0[i].c, ' ' | '\t'))
                else {
                    return Processed::Consumed;
                };
                let id: String = t.0[id_start..blank].iter().map(|ch| ch.c).collect();
                if (id == self.opts.config_id) == negate {
                    return Processed::Consumed;
                }
                let rest = t.skip_blanks(blank);
                t.0.drain(..rest);
            }
            if t.char_at(0) == Some('$') {
                if let Some((name, multiline)) = self.defs.define(t) {
                    if multiline {
                        self.defining = Some(name);
                    }
                    return Processed::Consumed;
                }
            }
            if t.starts_with("~SEQ") || t.starts_with("~LST") {
                self.add_repetition(unit);
                return Processed::Consumed;
            }
            if t.char_at(0) == Some('~') || !t.contains('$') {
                return Processed::Keep;
            }
            let out = self.substitute(&mut unit.text, unit.origin, MAX_LINE_BYTES);
            if !out.changed {
                return Processed::Keep;
            }
            for m in out.multiline {
                self.start_multiline(m, unit.origin);
            }
            let span = Self::span(&unit.text, unit.origin);
            if let Some(line) = decomment(&mut unit.text) {
                self.diag(Diagnostic::error(
                    span,
                    format!("Unterminated quote '{line}'"),
                ));
            }
            if !(unit.text.char_at(0) == Some('@') || unit.text.contains('$')) {
                return Processed::Keep;
            }
        }
        Processed::Keep
    }

    fn start_multiline(&mut self, m: MultilineUse, origin: Origin) {
        if let Some(cur) = self.ml.next.take() {
            self.ml.stack.push((cur, self.ml.seq_depth));
        }
        self.ml.seq_depth = self.seqs.len();
        self.ml.next = Some(MultilineLines {
            name: m.name,
            rest: m.rest,
            origin,
            col: m.col,
        });
    }

    /// keepalived's `add_seq`/`add_lst`.
    fn add_repetition(&mut self, unit: &Unit) {
        let t = &unit.text;
        let span = Self::span(t, unit.origin);
        let is_seq = t.char_at(1) == Some('S');
        let parsed = if is_seq {
            match seq::parse_seq_head(t) {
                Ok(head) => {
                    let mut params = head.params.clone();
                    let out = self.substitute(&mut params, unit.origin, seq::SEQ_PARAMS_MAX - 1);
                    if !out.multiline.is_empty() {
                        Err(seq::SeqError(Some(format!(
                            "~SEQ parameter is multiline definition '{t}'"
                        ))))
                    } else {
                        seq::finish_seq(head, &params.to_string(), t)
                    }
                }
                Err(e) => Err(e),
            }
        } else {
            seq::parse_lst(t)
        };
        match parsed {
            Ok(s) => {
                let per = s.text.byte_len() as u64 + 1;
                let total = s.remaining().saturating_mul(per);
                if self.exhausted || total > self.budget as u64 {
                    self.budget = 0;
                    self.stop_expanding(span);
                    return;
                }
                self.seqs.push((s, unit.origin));
            }
            Err(seq::SeqError(msg)) => {
                if let Some(m) = msg {
                    self.diag(Diagnostic::error(span, m));
                }
                let what = if is_seq { "~SEQ" } else { "~LST" };
                self.diag(Diagnostic::error(
                    span,
                    format!("Invalid {what} specification '{t}'"),
                ));
            }
        }
    }

    /// keepalived's `open_glob_file` for an `include` line.
    fn include(&mut self, kind: IncludeFlags, glob: &Text, origin: Origin) {
        let site = Some(Self::span(glob, origin));
        let pattern = glob.to_string();
        let flags = kind | self.include_check;
        let cwd = self.current_cwd();
        let g = include::glob(&pattern, &cwd);
        if g.too_many_alternatives {
            let msg = format!(
                "Too many brace alternatives in '{pattern}' (more than {}) - skipping",
                include::MAX_BRACE_ALTERNATIVES
            );
            self.diag(Diagnostic::new(Severity::Error, site, msg));
            return;
        }
        if g.matches.is_empty() {
            if g.missing > 0 {
                let kind = if include::has_brace(&pattern) {
                    IncludeFlags::BRACE
                } else {
                    IncludeFlags::MATCH
                };
                self.file_diag(
                    flags,
                    kind,
                    site,
                    format!("Config files missing '{pattern}'."),
                );
            } else if g.wildcards && flags.has(IncludeFlags::WILDCARD) {
                let msg = format!("No config files matched '{pattern}'.");
                self.file_diag(flags, IncludeFlags::WILDCARD, site, msg);
            }
            return;
        }
        if g.missing > 0 {
            let msg = format!("Some config files missing: \"{pattern}\".");
            self.file_diag(flags, IncludeFlags::BRACE, site, msg);
            if flags.has(IncludeFlags::BRACE) {
                return;
            }
        }
        let pending = Pending {
            matches: g.matches.into(),
            cwd,
            flags,
            saved_check: self.include_check,
            site,
        };
        self.open_next(pending);
    }

    /// Outputs a line, and follows block nesting just enough to apply `include_check`
    /// (a `global_defs` keyword that changes how later includes are checked).
    fn emit(&mut self, unit: Unit) {
        let text = CompactString::from(unit.text.text());
        let cols = Columns::of(unit.text.cols());
        self.emit_line(text, unit.origin, cols);
    }

    fn emit_line(&mut self, text: CompactString, origin: Origin, cols: Columns) {
        match text.as_str() {
            "{" => {
                let global = std::mem::take(&mut self.last_keyword_is_global_defs);
                self.blocks.push(global);
            }
            "}" => {
                self.blocks.pop();
            }
            // Only two keywords matter here; most lines start with neither letter.
            t if t.starts_with(['g', 'i']) => {
                let mut words = text.split_ascii_whitespace();
                let first = words.next();
                self.last_keyword_is_global_defs = first == Some("global_defs");
                if first == Some("include_check") && self.blocks == [true] {
                    let args: Vec<&str> = words.collect();
                    let (flags, errors) = include::apply_include_check(self.include_check, &args);
                    self.include_check = flags;
                    let chars = text.chars().count();
                    let first = cols.get(0).unwrap_or(1);
                    let last = cols.get(chars.saturating_sub(1)).unwrap_or(first);
                    let width = if last >= first { last - first + 1 } else { 1 };
                    let span = Span::new(origin.file, origin.line, first, width);
                    for e in errors {
                        self.diag(Diagnostic::error(span, e));
                    }
                }
            }
            _ => self.last_keyword_is_global_defs = false,
        }
        self.lines.push_back(LogicalLine {
            text,
            file: origin.file,
            line: origin.line,
            cols,
        });
    }
}
