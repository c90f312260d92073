//! The console (`-l`) and log-file (`-g`) sinks, with keepalived's line formats.

use super::{time, Entry, Sink};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// `-l` with `-n`: `Wed Jan  6 09:05:01 2021: (VI_1) Entering MASTER STATE` on stderr.
///
/// A console can be slow (a serial line, a stuck pipe); only the writer thread waits on it.
pub(crate) struct ConsoleSink;

impl Sink for ConsoleSink {
    fn write(&mut self, entry: &Entry) -> io::Result<()> {
        let line = format!(
            "{}: {}\n",
            time::console_timestamp(entry.time),
            entry.message
        );
        io::stderr().lock().write_all(line.as_bytes())
    }
}

/// `-g`: appends `Wed Jan 06 09:05:01.123456789 2021: message` lines to a file.
/// Buffered; flushed after every line with `--flush-log-file`, otherwise whenever the queue
/// runs empty (so the file is never more than a burst behind).
pub(crate) struct FileSink {
    out: BufWriter<File>,
    flush_every_line: bool,
}

impl FileSink {
    /// Opens `path` for appending, like keepalived's `fopen(…, "a")` plus `O_NONBLOCK` and
    /// close-on-exec (std's default), refusing to follow a symlink at the last component.
    pub(crate) fn open(path: &Path, flush_every_line: bool) -> io::Result<FileSink> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)?;
        Ok(FileSink {
            out: BufWriter::new(file),
            flush_every_line,
        })
    }
}

impl Sink for FileSink {
    fn write(&mut self, entry: &Entry) -> io::Result<()> {
        writeln!(
            self.out,
            "{}: {}",
            time::file_timestamp(entry.time),
            entry.message
        )?;
        if self.flush_every_line {
            self.out.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Where keepalived's process `prog` writes the log file named by `-g NAME`:
/// a relative NAME goes under `tmp_dir` (`$TMPDIR` if absolute, else `/tmp`), and
/// `_prog`, `_namespace`, `_instance` are inserted before the extension.
/// `-g` alone means `keepalived.log`, so the VRRP process writes `/tmp/keepalived_vrrp.log`.
pub fn log_file_path(
    name: &Path,
    prog: Option<&str>,
    namespace: Option<&str>,
    instance: Option<&str>,
    tmp_dir: &Path,
) -> PathBuf {
    let full = if name.is_absolute() {
        name.to_path_buf()
    } else {
        tmp_dir.join(name)
    };
    let stem = full
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut file_name = stem;
    for part in [prog, namespace, instance].into_iter().flatten() {
        file_name.push('_');
        file_name.push_str(part);
    }
    if let Some(ext) = full.extension() {
        file_name.push('.');
        file_name.push_str(&ext.to_string_lossy());
    }
    full.with_file_name(file_name)
}

/// keepalived's temporary directory: `$TMPDIR` when it is an absolute path, else `/tmp`.
pub fn tmp_dir() -> PathBuf {
    match std::env::var_os("TMPDIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        _ => PathBuf::from("/tmp"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_names_like_keepalived() {
        let tmp = Path::new("/tmp");
        let p = |name: &str, prog, ns, inst| log_file_path(Path::new(name), prog, ns, inst, tmp);
        assert_eq!(
            p("keepalived.log", Some("vrrp"), None, None),
            Path::new("/tmp/keepalived_vrrp.log")
        );
        assert_eq!(
            p("/var/log/ka.log", Some("vrrp"), Some("ns1"), Some("i")),
            Path::new("/var/log/ka_vrrp_ns1_i.log")
        );
        assert_eq!(p("/var/log/ka", None, None, None), Path::new("/var/log/ka"));
        assert_eq!(
            p("sub/x.txt", Some("vrrp"), None, None),
            Path::new("/tmp/sub/x_vrrp.txt")
        );
    }
}
