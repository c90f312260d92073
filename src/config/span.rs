//! Where a piece of configuration came from: file, line and column.
//!
//! Every token the parser sees carries a [`Span`], so every diagnostic can point at the exact
//! place in the operator's file (after `include`s, which is why a span names a [`FileId`]
//! into a [`SourceMap`] rather than a path).

use super::source::lines::FileLines;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A place in a source file. `line` and `col` are 1-based; `col` counts characters (not
/// bytes) so that carets line up under non-ASCII text; `len` is in characters, at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Span {
    pub fn new(file: FileId, line: u32, col: u32, len: u32) -> Self {
        Span {
            file,
            line,
            col,
            len: len.max(1),
        }
    }
}

/// One file read while loading the configuration.
///
/// The text of a file read from disk is not kept: the loader streams it a line at a time,
/// and a diagnostic that quotes a line reads it again (see [`SourceMap::line_text`]).
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path used to open the file.
    pub path: PathBuf,
    /// The name keepalived prints for this file in its `(FILE: Line N)` prefix: the path as
    /// given on the command line or as matched by the `include` glob.
    pub display: String,
    /// The text of a configuration given as a string (never read from disk).
    text: Option<String>,
}

/// All files read for one configuration load.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Lines quoted by diagnostics, read back by [`SourceMap::preload_lines`].
    quoted: HashMap<(FileId, u32), String>,
}

impl SourceMap {
    /// Registers a file read from disk and returns its id.
    pub fn add(&mut self, path: PathBuf, display: String) -> FileId {
        self.push(path, display, None)
    }

    /// Registers a configuration given as text and returns its id.
    pub fn add_text(&mut self, path: PathBuf, display: String, text: String) -> FileId {
        self.push(path, display, Some(text))
    }

    fn push(&mut self, path: PathBuf, display: String, text: Option<String>) -> FileId {
        self.files.push(SourceFile {
            path,
            display,
            text,
        });
        FileId((self.files.len() - 1) as u32)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Reads back, in one pass over each file, the lines `spans` point into, so that
    /// quoting many of them costs one read of the file rather than one per quote.
    pub fn preload_lines(&mut self, spans: impl IntoIterator<Item = Span>) {
        let mut wanted: BTreeMap<FileId, BTreeSet<u32>> = BTreeMap::new();
        for s in spans {
            let on_disk = self
                .files
                .get(s.file.0 as usize)
                .is_some_and(|f| f.text.is_none());
            if on_disk && s.line > 0 && !self.quoted.contains_key(&(s.file, s.line)) {
                wanted.entry(s.file).or_default().insert(s.line);
            }
        }
        for (file, lines) in wanted {
            let Ok(mut reader) = FileLines::open(&self.files[file.0 as usize].path) else {
                continue;
            };
            let last = lines.last().copied().unwrap_or(0);
            for i in 0..last as usize {
                let Some(text) = reader.line(i) else { break };
                let n = i as u32 + 1;
                if lines.contains(&n) {
                    self.quoted.insert((file, n), text.to_string());
                }
            }
        }
    }

    /// The original text of the line a span points into.
    ///
    /// A file read from disk is read again (the line may have changed since, as with any
    /// compiler that quotes its input after the fact); call [`Self::preload_lines`] first
    /// when quoting many lines.
    pub fn line_text(&self, span: Span) -> Option<Cow<'_, str>> {
        let file = self.files.get(span.file.0 as usize)?;
        let index = span.line.checked_sub(1)? as usize;
        if let Some(text) = &file.text {
            let line = text.split('\n').nth(index)?;
            return Some(Cow::Borrowed(line.strip_suffix('\r').unwrap_or(line)));
        }
        if let Some(t) = self.quoted.get(&(span.file, span.line)) {
            return Some(Cow::Borrowed(t));
        }
        FileLines::nth_of(&file.path, span.line).map(Cow::Owned)
    }
}
