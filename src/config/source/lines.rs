//! A configuration file read one line at a time.
//!
//! Only the line being preprocessed is in memory, never the whole file: `-t` on a 50 MB
//! file then peaks at what the configuration itself costs, as keepalived's `fgets` loop
//! does. Diagnostics that quote a line read it again from the file when they are
//! rendered (see [`crate::config::span::SourceMap::line_text`]).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor};
use std::path::Path;

/// Buffer of the reader: large enough to make few system calls, small next to any peak.
const READ_BUFFER: usize = 64 * 1024;

/// The lines of one open file, in order.
pub struct FileLines {
    reader: Box<dyn BufRead + Send>,
    /// The line last read (CR/LF stripped), valid while `index` is `Some`.
    current: String,
    raw: Vec<u8>,
    /// 0-based number of `current`.
    index: Option<usize>,
    /// A line is still to come at the end: after a final newline, and in an empty file,
    /// there is one more (empty) line, as splitting the text at every newline gives.
    final_line: bool,
}

impl FileLines {
    /// Opens `path` for reading; a directory is refused as reading it would be.
    pub fn open(path: &Path) -> io::Result<FileLines> {
        let file = File::open(path)?;
        if file.metadata()?.is_dir() {
            return Err(io::Error::from_raw_os_error(libc::EISDIR));
        }
        Ok(FileLines::from_reader(Box::new(BufReader::with_capacity(
            READ_BUFFER,
            file,
        ))))
    }

    /// The lines of a configuration given as text (`load_str`).
    pub fn from_text(text: String) -> FileLines {
        FileLines::from_reader(Box::new(Cursor::new(text.into_bytes())))
    }

    fn from_reader(reader: Box<dyn BufRead + Send>) -> FileLines {
        FileLines {
            reader,
            current: String::new(),
            raw: Vec::new(),
            index: None,
            final_line: true,
        }
    }

    /// The line numbered `n` (1-based) of the file at `path`, read from its start; for
    /// quoting a line in a diagnostic after the load.
    pub fn nth_of(path: &Path, n: u32) -> Option<String> {
        let mut lines = FileLines::open(path).ok()?;
        let last = n.checked_sub(1)? as usize;
        for i in 0..last {
            lines.line(i)?;
        }
        lines.line(last).map(str::to_string)
    }

    /// Line `i` (0-based): the line last returned again, or the one after it. `None` at
    /// the end of the file (a read error ends it too).
    pub fn line(&mut self, i: usize) -> Option<&str> {
        if self.index != Some(i) {
            debug_assert_eq!(
                i,
                self.index.map_or(0, |n| n + 1),
                "lines are read in order"
            );
            self.advance()?;
            self.index = Some(i);
        }
        Some(&self.current)
    }

    fn advance(&mut self) -> Option<()> {
        self.raw.clear();
        let n = self.reader.read_until(b'\n', &mut self.raw).unwrap_or(0);
        if n == 0 {
            // End of file: the empty line after a final newline, then nothing.
            std::mem::take(&mut self.final_line).then_some(())?;
            self.current.clear();
            return Some(());
        }
        self.final_line = self.raw.last() == Some(&b'\n');
        if self.final_line {
            self.raw.pop();
        }
        if self.raw.last() == Some(&b'\r') {
            self.raw.pop();
        }
        self.current.clear();
        self.current.push_str(&String::from_utf8_lossy(&self.raw));
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(content: &[u8]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.conf");
        std::fs::write(&path, content).unwrap();
        let mut f = FileLines::open(&path).unwrap();
        (0..).map_while(|i| f.line(i).map(str::to_string)).collect()
    }

    #[test]
    fn lines_split_at_every_newline_as_the_whole_text_would() {
        assert_eq!(lines_of(b"a\r\nb\n"), ["a", "b", ""]);
        assert_eq!(lines_of(b"a\nb\r"), ["a", "b"]);
        assert_eq!(lines_of(b""), [""]);
        assert_eq!(lines_of(b"x\xffy\n"), ["x\u{fffd}y", ""]);
    }

    #[test]
    fn the_current_line_can_be_read_again_and_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.conf");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let mut f = FileLines::open(&path).unwrap();
        assert_eq!(f.line(0), Some("one"));
        assert_eq!(f.line(0), Some("one"));
        assert_eq!(f.line(1), Some("two"));
        let e = FileLines::open(dir.path())
            .err()
            .expect("a directory was opened");
        assert_eq!(e.raw_os_error(), Some(libc::EISDIR));
    }
}
