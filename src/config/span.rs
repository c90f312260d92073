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
    /// The file's text, as read.
    text: String,
    /// Where each line starts in `text`, and where it ends before its CR/LF.
    lines: Vec<(u32, u32)>,
}

impl SourceFile {
    /// Line `i` (0-based), without its line terminator (CR and LF stripped).
    pub fn line(&self, i: usize) -> Option<&str> {
        let &(start, end) = self.lines.get(i)?;
        Some(&self.text[start as usize..end as usize])
    }

    /// How many lines the file has (a final line without a newline counts).
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }
}

/// All files read for one configuration load.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Registers a file and returns its id.
    ///
    /// The text is kept as one string with a line index (one allocation per file, not per
    /// line). Offsets fit in `u32`: the loader reads at most 256 MiB in all.
    pub fn add(&mut self, path: PathBuf, display: String, text: String) -> FileId {
        let bytes = text.as_bytes();
        let mut lines = Vec::with_capacity(text.len() / 24 + 1);
        let mut start = 0usize;
        let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
        for end in ends {
            let kept = if end > start && bytes[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            lines.push((start as u32, kept as u32));
            start = end + 1;
        }
        self.files.push(SourceFile {
            path,
            display,
            text,
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
            .line(span.line.checked_sub(1)? as usize)
    }
}
