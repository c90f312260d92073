//! The source layer: turns `keepalived.conf` (and everything it includes) into the stream of
//! logical lines keepalived 2.2.7's `read_line()` would hand its keyword parser.
//!
//! Per physical line, in keepalived's order: read at most 1023 bytes, strip CR/LF, remove
//! comments (`#`/`!` outside double quotes; `\#`/`\!` are unescaped), then repeatedly:
//! `@ID`/`@^ID` conditional, `$NAME=` definition, `~SEQ`/`~LST` repetition, `$` substitution
//! (after which comments are removed again); then `include`, and finally the line is split at
//! every `{`/`}` outside quotes (the text after a brace is processed again from the top, so
//! `} @node2 priority 90` works as it does in keepalived).
//!
//! Everything is bounded — include depth, expansion bytes, substitutions per line, number of
//! files — so no input makes this panic or run away.

mod include;
pub(crate) mod lines;
mod params;
mod seq;
mod text;

use super::diag::{Diagnostic, Severity};
use super::span::{FileId, SourceMap, Span};
use include::{GlobResult, IncludeFlags};
use lines::FileLines;
use params::{Defs, SubstEnv, SubstOutcome, SubstProblem};
use rand::rngs::StdRng;
use rand::SeedableRng;
use seq::Seq;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use text::Text;

/// How to read a configuration.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// Matched by `@ID` lines (`-i/--config-id`); default: first label of the host name.
    pub config_id: String,
    /// `${_INSTANCE}`. keepalived 2.2.7 always expands `${_INSTANCE}` to the config id, which
    /// is what `None` does.
    pub instance_name: Option<String>,
    /// Nested `include` levels allowed below the main file. keepalived has no limit of its
    /// own (it runs out of file descriptors, or loops forever on a cycle).
    pub max_include_depth: usize,
    /// Bound on the bytes produced by `$` and `~SEQ`/`~LST` expansion.
    pub max_expansion_bytes: usize,
    /// Seed for `${_RANDOM}` (tests); `None` seeds from the OS.
    pub random_seed: Option<u64>,
    /// `-e/--all-config`: every include behaves as `includea` (missing files are errors).
    pub all_config: bool,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            config_id: default_config_id(),
            instance_name: None,
            max_include_depth: 32,
            max_expansion_bytes: 16 << 20,
            random_seed: None,
            all_config: false,
        }
    }
}

/// keepalived's default config id: the host name up to its first dot.
pub fn default_config_id() -> String {
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    host.split('.').next().unwrap_or_default().to_string()
}

/// One logical line after preprocessing: comment removed, `@` conditional applied, `$`
/// substituted, `~SEQ` expanded (one `LogicalLine` per repetition), includes spliced in
/// place, and split at unquoted braces as keepalived does (`{` and `}` are lines of their
/// own, so a line's text never holds an unquoted brace next to other text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicalLine {
    /// Trimmed, non-empty, comment-free; quotes are left in place (the syntax layer
    /// tokenizes). Inline up to 24 bytes, as most lines are: no allocation for them.
    pub text: compact_str::CompactString,
    pub file: FileId,
    /// 1-based line in `file` where this logical line starts.
    pub line: u32,
    /// Where each character of `text` stood in the original line.
    pub cols: Columns,
}

impl LogicalLine {
    /// 1-based column in the original line of the `i`-th character of `text` (1 past the end).
    pub fn col(&self, i: usize) -> u32 {
        self.cols.get(i).unwrap_or(1)
    }

    /// The column of every character of `text`, as a list.
    pub fn columns(&self) -> Vec<u32> {
        match &self.cols {
            Columns::From(_) => self.cols.to_vec(self.text.chars().count()),
            Columns::Each(v) => v.clone(),
        }
    }
}

/// The 1-based source column of each character of a [`LogicalLine`]. Characters produced by
/// a `$` substitution map to the column of the `$`; `~SEQ` repetitions map to the column of
/// the repeated text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Columns {
    /// The characters stand in the source as they are, the first at this column: the common
    /// case (nothing substituted or removed), kept without a per-character list.
    From(u32),
    /// One column per character.
    Each(Vec<u32>),
}

impl Columns {
    /// Columns as listed, stored compactly when they run on one by one.
    pub fn of(cols: Vec<u32>) -> Columns {
        match cols.first() {
            Some(&first) if cols.iter().zip(first..).all(|(&c, want)| c == want) => {
                Columns::From(first)
            }
            _ => Columns::Each(cols),
        }
    }

    /// Column of the `i`-th character; `None` past the end of an explicit list.
    pub fn get(&self, i: usize) -> Option<u32> {
        match self {
            Columns::From(first) => Some(first.saturating_add(i as u32)),
            Columns::Each(v) => v.get(i).copied(),
        }
    }

    /// The columns of the first `len` characters, as a list.
    fn to_vec(&self, len: usize) -> Vec<u32> {
        (0..len).filter_map(|i| self.get(i)).collect()
    }
}

/// Everything the source layer produced.
#[derive(Clone, Debug, Default)]
pub struct Preprocessed {
    pub lines: Vec<LogicalLine>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the configuration file `path` (a glob, as for keepalived's `-f`).
pub fn load_file(path: &Path, opts: &SourceOptions) -> Preprocessed {
    let mut r = Reader::open(path, opts);
    r.loader.run();
    r.finish()
}

/// The configuration file's logical lines one at a time, as [`load_file`] would list
/// them: a checker that consumes them as they come never holds them all (see
/// [`crate::config::check_file`]). [`Reader::finish`] gives the files read and the
/// findings once the lines are consumed.
pub struct Reader<'o> {
    loader: Loader<'o>,
}

impl<'o> Reader<'o> {
    /// Opens `path` (a glob, as for keepalived's `-f`); problems opening it are findings.
    pub fn open(path: &Path, opts: &'o SourceOptions) -> Self {
        let mut loader = Loader::new(opts);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let pattern = path.to_string_lossy().into_owned();
        let g = include::glob(&pattern, &cwd);
        if !loader.open_main(&pattern, g, &cwd) {
            loader.frames.clear();
        }
        Reader { loader }
    }

    /// The files read and the findings; `lines` holds whatever was not consumed.
    pub fn finish(self) -> Preprocessed {
        self.loader.finish()
    }
}

impl Iterator for Reader<'_> {
    type Item = LogicalLine;

    fn next(&mut self) -> Option<LogicalLine> {
        self.loader.next_line()
    }
}

/// Reads configuration text that is not in a file (tests, stdin); relative includes resolve
/// against `base_dir`.
pub fn load_str(
    display_name: &str,
    text: &str,
    base_dir: &Path,
    opts: &SourceOptions,
) -> Preprocessed {
    let mut l = Loader::new(opts);
    let cwd = absolute(base_dir);
    let path = cwd.join(display_name);
    let canonical = std::fs::canonicalize(&path).ok();
    let file = l
        .sources
        .add_text(path, display_name.to_string(), text.to_string());
    let lines = FileLines::from_text(text.to_string());
    l.push_frame(file, lines, cwd.clone(), canonical, Pending::default());
    l.run();
    l.finish()
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(p)
    }
}

/// Most files one load may open, and most bytes it may read from them (a file including
/// another twice, which includes another twice, … doubles at every level).
const MAX_FILES: usize = 10_000;
const MAX_INPUT_BYTES: usize = 256 << 20;
/// Most diagnostics kept; a pathological input should not produce millions.
const MAX_DIAGNOSTICS: usize = 10_000;
/// Most `@`/`$` re-check rounds on one line.
const MAX_RECHECKS: usize = 64;

#[derive(Clone, Copy, Debug)]
struct Origin {
    file: FileId,
    line: u32,
}

struct Unit {
    text: Text,
    origin: Origin,
}

/// The rest of a glob's matches, read one after the other (keepalived's include stack entry).
#[derive(Default)]
struct Pending {
    matches: VecDeque<String>,
    cwd: PathBuf,
    flags: IncludeFlags,
    saved_check: IncludeFlags,
    site: Option<Span>,
}

struct Frame {
    file: FileId,
    /// The file's text, read as it is preprocessed.
    lines: FileLines,
    next_line: usize,
    pieces: VecDeque<(Text, u32)>,
    /// Directory relative includes resolve against (keepalived `chdir`s there).
    cwd: PathBuf,
    /// `${_PWD}` (keepalived's `getcwd`, so symbolic links resolved).
    pwd: String,
    canonical: Option<PathBuf>,
    then: Pending,
}

/// Lines still to come from a multi-line definition used at the end of a line.
struct MultilineLines {
    name: String,
    rest: String,
    origin: Origin,
    col: u32,
}

#[derive(Default)]
struct Multiline {
    next: Option<MultilineLines>,
    stack: Vec<(MultilineLines, usize)>,
    /// `~SEQ`s at or below this depth wait until the multi-line expansion is done.
    seq_depth: usize,
    /// The definition whose last line is being processed.
    finishing: Option<String>,
}

struct Loader<'o> {
    opts: &'o SourceOptions,
    sources: SourceMap,
    diags: Vec<Diagnostic>,
    /// Lines made but not yet taken (a physical line can make several).
    lines: VecDeque<LogicalLine>,
    frames: Vec<Frame>,
    residue: Option<Unit>,
    defs: Defs,
    /// A multi-line `$NAME=` definition is being read.
    defining: Option<String>,
    seqs: Vec<(Seq, Origin)>,
    ml: Multiline,
    include_check: IncludeFlags,
    /// Open blocks, `true` for `global_defs` (where `include_check` applies).
    blocks: Vec<bool>,
    last_keyword_is_global_defs: bool,
    /// Scratch space of the plain-line fast path (kept to spare an allocation per line).
    plain_pieces: Vec<std::ops::Range<usize>>,
    rng: StdRng,
    budget: usize,
    exhausted: bool,
    files_opened: usize,
    bytes_read: usize,
}

mod loader;

impl<'o> Loader<'o> {
    fn new(opts: &'o SourceOptions) -> Self {
        Loader {
            opts,
            sources: SourceMap::default(),
            diags: Vec::new(),
            lines: VecDeque::new(),
            frames: Vec::new(),
            residue: None,
            defs: Defs::default(),
            defining: None,
            seqs: Vec::new(),
            ml: Multiline::default(),
            include_check: if opts.all_config {
                IncludeFlags::ALL
            } else {
                IncludeFlags::default()
            },
            blocks: Vec::new(),
            last_keyword_is_global_defs: false,
            plain_pieces: Vec::new(),
            rng: match opts.random_seed {
                Some(s) => StdRng::seed_from_u64(s),
                None => StdRng::from_entropy(),
            },
            budget: opts.max_expansion_bytes,
            exhausted: false,
            files_opened: 0,
            bytes_read: 0,
        }
    }

    fn finish(self) -> Preprocessed {
        Preprocessed {
            lines: self.lines.into(),
            sources: self.sources,
            diagnostics: self.diags,
        }
    }

    fn diag(&mut self, d: Diagnostic) {
        match self.diags.len() {
            n if n < MAX_DIAGNOSTICS => self.diags.push(d),
            n if n == MAX_DIAGNOSTICS => self.diags.push(Diagnostic::new(
                Severity::Error,
                None,
                format!("More than {MAX_DIAGNOSTICS} findings while reading the configuration - not reporting any more"),
            )),
            _ => {}
        }
    }

    fn span(t: &Text, origin: Origin) -> Span {
        Span::new(origin.file, origin.line, t.first_col(), t.col_width())
    }

    /// A finding about an include: an error (keepalived's "file not found" class) when the
    /// include's flags ask for it, else informational.
    fn file_diag(
        &mut self,
        flags: IncludeFlags,
        kind: IncludeFlags,
        site: Option<Span>,
        msg: String,
    ) {
        let required = flags.has(kind);
        let sev = if required {
            Severity::Fatal
        } else {
            Severity::Info
        };
        let mut d = Diagnostic::new(sev, site, msg);
        d.file_error = required;
        self.diag(d);
    }

    fn current_cwd(&self) -> PathBuf {
        self.frames
            .last()
            .map(|f| f.cwd.clone())
            .unwrap_or_else(|| absolute(Path::new(".")))
    }

    /// The main file(s): keepalived's `check_conf_file` then `init_data`.
    fn open_main(&mut self, pattern: &str, g: GlobResult, cwd: &Path) -> bool {
        let fatal = |msg: String| Diagnostic::new(Severity::Fatal, None, msg);
        if g.matches.is_empty() {
            let msg = if g.missing > 0 || !g.wildcards {
                format!("Config files missing '{pattern}'.")
            } else {
                format!("No config files matched '{pattern}'.")
            };
            self.diag(fatal(msg));
            return false;
        }
        let mut ok = true;
        for m in &g.matches {
            match include::check_file(m, cwd) {
                Ok(p) if std::fs::File::open(&p).is_err() => {
                    self.diag(fatal(format!("Unable to read configuration file {m}")));
                    ok = false;
                }
                Ok(_) => {}
                Err(msg) => {
                    self.diag(fatal(msg));
                    ok = false;
                }
            }
        }
        if !ok {
            return false;
        }
        if g.matches.len() > 1 {
            self.diag(Diagnostic::new(
                Severity::Warning,
                None,
                format!(
                    "WARNING, multiple configuration file matches of {pattern}, starting with {}",
                    g.matches[0]
                ),
            ));
        }
        let pending = Pending {
            matches: g.matches.into(),
            cwd: cwd.to_path_buf(),
            flags: IncludeFlags::READ | IncludeFlags::MATCH | IncludeFlags::WILDCARD,
            saved_check: self.include_check,
            site: None,
        };
        self.open_next(pending)
    }

    fn push_frame(
        &mut self,
        file: FileId,
        lines: FileLines,
        cwd: PathBuf,
        canonical: Option<PathBuf>,
        then: Pending,
    ) {
        // keepalived 2.2.7 shows `${_PWD}` relative to the directory it was started in
        // (its verdicts print `configs/prio.conf` for a file read as `configs/x.conf`).
        let abs = std::fs::canonicalize(&cwd).unwrap_or_else(|_| cwd.clone());
        let here = std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok());
        let pwd = match here.as_ref().and_then(|h| abs.strip_prefix(h).ok()) {
            Some(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
            _ => abs.to_string_lossy().into_owned(),
        };
        self.frames.push(Frame {
            file,
            lines,
            next_line: 0,
            pieces: VecDeque::new(),
            cwd,
            pwd,
            canonical,
            then,
        });
    }

    /// Opens the next readable match of a glob (keepalived's `open_conf_file`).
    fn open_next(&mut self, mut p: Pending) -> bool {
        while let Some(m) = p.matches.pop_front() {
            let path = match include::check_file(&m, &p.cwd) {
                Ok(path) => path,
                Err(msg) => {
                    self.file_diag(p.flags, IncludeFlags::READ, p.site, msg);
                    continue;
                }
            };
            if self.frames.len() > self.opts.max_include_depth {
                let msg = format!(
                    "Includes nested more than {} deep - not reading '{m}'",
                    self.opts.max_include_depth
                );
                self.diag(Diagnostic::new(Severity::Error, p.site, msg));
                return false;
            }
            let canonical = std::fs::canonicalize(&path).ok();
            if let Some(c) = &canonical {
                if let Some(at) = self
                    .frames
                    .iter()
                    .position(|f| f.canonical.as_ref() == Some(c))
                {
                    let mut chain: Vec<String> = self.frames[at..]
                        .iter()
                        .map(|f| self.sources.file(f.file).display.clone())
                        .collect();
                    chain.push(m.clone());
                    let msg = format!(
                        "Include cycle: {} - not reading '{m}' again",
                        chain.join(" -> ")
                    );
                    self.diag(Diagnostic::new(Severity::Error, p.site, msg));
                    continue;
                }
            }
            if self.files_opened >= MAX_FILES || self.bytes_read >= MAX_INPUT_BYTES {
                let msg = format!("Too many configuration files or bytes read (more than {MAX_FILES} files or {MAX_INPUT_BYTES} bytes) - not reading '{m}'");
                self.diag(Diagnostic::new(Severity::Error, p.site, msg));
                return false;
            }
            let lines = match FileLines::open(&path) {
                Ok(l) => l,
                Err(e) => {
                    let msg = format!(
                        "Configuration file '{m}' open problem ({}) - skipping",
                        include::strerror(&e)
                    );
                    self.file_diag(p.flags, IncludeFlags::READ, p.site, msg);
                    continue;
                }
            };
            self.files_opened += 1;
            // Counted at open: the file is streamed, and this bounds what it can cost.
            self.bytes_read += std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
            let file = self.sources.add(path, m.clone());
            let cwd = match m.rsplit_once('/') {
                Some(("", _)) => PathBuf::from("/"),
                Some((dir, _)) => include::resolve(&p.cwd, dir),
                None => p.cwd.clone(),
            };
            self.push_frame(file, lines, cwd, canonical, p);
            return true;
        }
        false
    }

    /// A file has been read to its end: restore `include_check` and go on with the next
    /// match of the same glob.
    fn end_file(&mut self) {
        if let Some(f) = self.frames.pop() {
            self.include_check = f.then.saved_check;
            if !f.then.matches.is_empty() {
                self.open_next(f.then);
            }
        }
    }

    /// `$` substitution with the loader's state, turning problems into diagnostics.
    fn substitute(&mut self, t: &mut Text, origin: Origin, max_line_bytes: usize) -> SubstOutcome {
        if self.exhausted {
            return SubstOutcome::default();
        }
        let mut active: Vec<String> = self.ml.stack.iter().map(|(m, _)| m.name.clone()).collect();
        active.extend(self.ml.next.iter().map(|m| m.name.clone()));
        active.extend(self.ml.finishing.iter().cloned());
        let instance = self
            .opts
            .instance_name
            .as_deref()
            .unwrap_or(&self.opts.config_id);
        let pwd = self
            .frames
            .last()
            .map(|f| f.pwd.clone())
            .unwrap_or_default();
        let span = Self::span(t, origin);
        let mut env = SubstEnv {
            pwd: &pwd,
            instance,
            rng: &mut self.rng,
            budget: &mut self.budget,
            active_multiline: &active,
            max_line_bytes,
        };
        let out = params::substitute(&self.defs, t, &mut env);
        for p in &out.problems {
            let d = match p {
                SubstProblem::LineTooLong(line) => Diagnostic::info(
                    Some(span),
                    format!(
                        "Parameter substitution on line '{line}' would exceed maximum line length"
                    ),
                ),
                SubstProblem::Recursive(chain) => Diagnostic::error(
                    span,
                    format!(
                        "Definition '${}' refers to itself ({}) - left unexpanded",
                        chain.last().map(String::as_str).unwrap_or(""),
                        chain.join(" -> ")
                    ),
                ),
                SubstProblem::BudgetExhausted => {
                    self.stop_expanding(span);
                    continue;
                }
                SubstProblem::RandomExtraText(params) => Diagnostic::info(
                    Some(span),
                    format!("Too many parameters or extra text for ${{_RANDOM {params}}}"),
                ),
                SubstProblem::RandomRange(params) => Diagnostic::warning(
                    span,
                    format!("${{_RANDOM {params}}}: minimum is greater than maximum"),
                ),
            };
            self.diag(d);
        }
        out
    }

    /// The expansion budget is spent: say so once and expand nothing more.
    fn stop_expanding(&mut self, span: Span) {
        if !self.exhausted {
            self.exhausted = true;
            let msg = format!(
                "Expansion stopped: $ definitions and ~SEQ/~LST produced more than {} bytes",
                self.opts.max_expansion_bytes
            );
            self.diag(
                Diagnostic::error(span, msg).with_hint(
                    "look for a ~SEQ with a huge range or definitions that use each other",
                ),
            );
        }
        self.seqs.clear();
        self.ml = Multiline::default();
    }
}

#[cfg(test)]
mod tests;
