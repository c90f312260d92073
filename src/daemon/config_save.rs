//! `config_save_dir`: what keepalived keeps for someone debugging a reload later. Every
//! configuration read is copied to `keepalived.conf.PID.N` (N counting reads from 0; each
//! file read appears under a `# PATH` line and ends with a `!` line), and each reload
//! writes the data dump before it to `keepalived_vrrp.PID.N.pre` and after it to
//! `….post` (N counting reloads from 1).

use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::config::span::SourceMap;

/// Configurations copied so far.
static CONFIGS_SAVED: AtomicU32 = AtomicU32::new(0);
/// Reloads seen so far.
static RELOADS: AtomicU32 = AtomicU32::new(0);

/// Makes sure `dir` is a directory, creating it (mode 0700) when missing, as keepalived's
/// parent does; false, with keepalived's message logged, when it cannot be used.
fn usable(dir: &Path) -> bool {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => true,
        Ok(_) => {
            log::warn!(
                "config_save_dir {} exists and is not a directory",
                dir.display()
            );
            false
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match std::fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => true,
                Err(e) => {
                    log::warn!(
                        "Unable to create config_save_dir {} (error {} - {e})",
                        dir.display(),
                        e.raw_os_error().unwrap_or(0)
                    );
                    false
                }
            }
        }
        Err(e) => {
            log::warn!(
                "config_save_dir {} error {} - {e}",
                dir.display(),
                e.raw_os_error().unwrap_or(0)
            );
            false
        }
    }
}

/// Copies the files of one configuration read into `dir`.
pub fn save_config(dir: &Path, sources: &SourceMap) {
    if !usable(dir) {
        return;
    }
    let n = CONFIGS_SAVED.fetch_add(1, Ordering::Relaxed);
    let mut copy = Vec::new();
    for f in sources.files() {
        let _ = writeln!(copy, "# {}", f.path.display());
        if let Ok(text) = std::fs::read(&f.path) {
            copy.extend_from_slice(&text);
            if !text.ends_with(b"\n") {
                copy.push(b'\n');
            }
        }
        copy.extend_from_slice(b"!\n");
    }
    let path = dir.join(format!("keepalived.conf.{}.{n}", std::process::id()));
    if let Err(e) = std::fs::write(&path, copy) {
        log::info!(
            "Failed to save the configuration to {}: {e}",
            path.display()
        );
    }
}

/// The data dump around a reload: `post` false before it (a new reload number), true
/// after.
pub fn save_dump(dir: &Path, post: bool, data: &str) {
    let n = if post {
        RELOADS.load(Ordering::Relaxed)
    } else {
        RELOADS.fetch_add(1, Ordering::Relaxed) + 1
    };
    let name = format!(
        "keepalived_vrrp.{}.{n}.{}",
        std::process::id(),
        if post { "post" } else { "pre" }
    );
    let path: PathBuf = dir.join(name);
    if std::fs::write(&path, data).is_err() {
        log::info!("Failed to open config_save file {}", path.display());
    }
}
