//! Where a piece of configuration came from: file, line and column.
//!
//! Every token the parser sees carries a [`Span`], so every diagnostic can point at the exact
//! place in the operator's file (after `include`s, which is why a span names a [`FileId`]
//! into a [`SourceMap`] rather than a path).

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
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path used to open the file.
    pub path: PathBuf,
    /// The name keepalived prints for this file in its `(FILE: Line N)` prefix: the path as
    /// given on the command line or as matched by the `include` glob.
    pub display: String,
    /// The file's lines, without line terminators (CR and LF stripped).
    pub lines: Vec<String>,
}

/// All files read for one configuration load.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Registers a file and returns its id.
    pub fn add(&mut self, path: PathBuf, display: String, text: &str) -> FileId {
        let lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        self.files.push(SourceFile {
            path,
            display,
            lines,
        });
        FileId((self.files.len() - 1) as u32)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The original text of the line a span points into.
    pub fn line_text(&self, span: Span) -> Option<&str> {
        self.files
            .get(span.file.0 as usize)?
            .lines
            .get(span.line.checked_sub(1)? as usize)
            .map(String::as_str)
    }
}
