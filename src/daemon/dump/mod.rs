//! The signal dump files keepalived users and exporters read: SIGUSR1 →
//! `keepalived.data` ([`data`]), SIGUSR2 → `keepalived.stats`, SIGRTMIN+2 →
//! `keepalived.json` ([`json`]), all in `$TMPDIR` (when absolute) or `/tmp`.
//!
//! Files are written the way keepalived 2.2.7 writes them: into a fresh temporary file
//! of mode 0600 in the same directory, then renamed over the old one, so a reader never
//! sees a half-written dump and no other user can open it while it is written.

pub mod data;
mod data_tuning;
pub mod json;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::daemon::status::Snapshot;

pub use data::render_data;
pub use json::render_json;

/// A dump file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct DumpError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Where the three dump files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpPaths {
    pub data: PathBuf,
    pub stats: PathBuf,
    pub json: PathBuf,
}

impl DumpPaths {
    /// `keepalived.data`, `keepalived.stats` and `keepalived.json` in `dir`.
    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        DumpPaths {
            data: dir.join("keepalived.data"),
            stats: dir.join("keepalived.stats"),
            json: dir.join("keepalived.json"),
        }
    }

    /// keepalived's choice: `$TMPDIR` if it is an absolute path, else `/tmp`.
    pub fn from_env() -> Self {
        Self::in_dir(tmp_dir(std::env::var_os("TMPDIR").as_deref()))
    }

    /// SIGUSR1: writes the data dump.
    pub fn write_data(&self, snap: &Snapshot) -> Result<(), DumpError> {
        write_atomically(&self.data, render_data(snap).as_bytes())
    }

    /// SIGUSR2: writes the stats file. (On SIGRTMAX-1 the daemon writes it too, then
    /// clears the counters with [`crate::vrrp::Router::clear_stats`], as keepalived does.)
    pub fn write_stats(&self, snap: &Snapshot) -> Result<(), DumpError> {
        write_atomically(&self.stats, render_stats(snap).as_bytes())
    }

    /// SIGRTMIN+2: writes the JSON dump.
    pub fn write_json(&self, snap: &Snapshot) -> Result<(), DumpError> {
        write_atomically(&self.json, render_json(snap).as_bytes())
    }
}

/// The directory keepalived writes its dumps to, given `$TMPDIR`.
pub fn tmp_dir(tmpdir: Option<&std::ffi::OsStr>) -> PathBuf {
    match tmpdir.map(Path::new) {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        _ => PathBuf::from("/tmp"),
    }
}

/// `keepalived.stats` for `snap`: the same per-instance blocks as
/// [`crate::vrrp::Router::stats_file`] (one renderer, [`crate::vrrp::Stats`]'s).
pub fn render_stats(snap: &Snapshot) -> String {
    let mut out = String::new();
    for i in &snap.instances {
        let _ = i.stats.write_stats_file_block(&i.name, &mut out);
    }
    out
}

/// Writes `contents` to a new mode-0600 file beside `path`, then renames it to `path`.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), DumpError> {
    let err = |source| DumpError {
        path: path.to_path_buf(),
        source,
    };
    let name = path.file_name().unwrap_or_default().to_os_string();
    let (tmp, mut file) = loop {
        let mut n = name.clone();
        n.push(format!(".{:06x}", rand::random::<u32>() & 0xff_ffff));
        let tmp = path.with_file_name(n);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(err(e)),
        }
    };
    let result = file
        .write_all(contents)
        .and_then(|_| file.flush())
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn tmpdir_must_be_absolute() {
        assert_eq!(tmp_dir(None), PathBuf::from("/tmp"));
        assert_eq!(tmp_dir(Some(OsStr::new("rel/dir"))), PathBuf::from("/tmp"));
        assert_eq!(tmp_dir(Some(OsStr::new("/var/x"))), PathBuf::from("/var/x"));
    }

    #[test]
    fn atomic_write_replaces_with_private_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keepalived.data");
        std::fs::write(&p, "old contents that are longer").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomically(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn atomic_write_reports_the_path_on_failure() {
        let e = write_atomically(Path::new("/nonexistent-dir/keepalived.json"), b"x").unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir/keepalived.json"));
    }
}
