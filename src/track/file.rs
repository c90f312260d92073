//! `track_file`: an integer read from a file, followed as it changes (keepalived 2.2.7
//! `trackers/track_file.c`).
//!
//! Changes are watched with inotify on the file's directory, as keepalived does: a write
//! is seen when the writer closes the file (`IN_CLOSE_WRITE`), a rename into place
//! (`IN_MOVED_TO`) reads the new file, and deleting or renaming it away counts as 0.
//! inotify rather than polling because a value flip must move the priority at once (a
//! poll interval would add up to its period to every failover driven by a file), and
//! because it costs nothing while the file does not change. nix's inotify wrapper is
//! used (no extra crate), driven by tokio through [`crate::sys::inotify`].
//!
//! Value semantics (weights, FAULT at ≤ −254) live in the VRRP core; this side reports
//! [`TrackerStatus::Value`] whenever the number in the file changes.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::sys::inotify::{AddWatchFlags, WatchDescriptor};

use crate::config::model::{Config, SyncGroup, TrackFile, TrackRef, VrrpInstance};
use crate::sys::inotify::AsyncInotify;
use crate::vrrp::{TrackerId, TrackerStatus};

use super::children::LiveGroups;
use super::kind::{
    declared_in, AbortOnDrop, Declared, PlannedTracker, Prepared, RestrictedEntry, Restriction,
    RunningTracker, StartUp, TrackedKind,
};
use super::{TrackerEvent, TrackerTx};

/// A tracked file ready to be watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub name: String,
    pub id: TrackerId,
    /// Absolute path with the directory resolved (the file itself may not exist yet).
    pub path: PathBuf,
    /// The value at start-up (0 when the file is missing).
    pub initial: i64,
}

/// `init_file [VALUE] [overwrite]`: creates the file holding VALUE (default 0) if it is
/// missing, or always with `overwrite` (keepalived's `track_file_end_handler`; it is not
/// done on reload).
pub fn apply_init_file(tf: &TrackFile) {
    let Some((value, overwrite)) = tf.init_file else {
        return;
    };
    if let Ok(meta) = std::fs::metadata(&tf.file) {
        if !overwrite {
            return;
        }
        if !meta.is_file() {
            log::info!(
                "Cannot initialise track file {} - it is not a regular file",
                tf.name
            );
            return;
        }
    }
    if std::fs::write(&tf.file, format!("{value}\n")).is_err() {
        log::info!("Unable to initialise track file {}", tf.name);
    }
}

/// Resolves a track file's path as keepalived's `init_track_files` does: the real path of
/// the file, or of its directory when the file does not exist yet. `None` (logged) when
/// the directory does not exist or the file is not accessible.
pub fn resolve_path(tf: &TrackFile) -> Option<PathBuf> {
    let given = Path::new(&tf.file);
    match std::fs::canonicalize(given) {
        Ok(p) => Some(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let file_name = given.file_name()?;
            let dir = match given.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            match std::fs::canonicalize(dir) {
                Ok(d) if d.is_dir() => Some(d.join(file_name)),
                _ => {
                    log::info!(
                        "Track file directory for {} does not exist - removing",
                        tf.name
                    );
                    None
                }
            }
        }
        Err(_) => {
            log::info!("track file {} is not accessible - ignoring", tf.name);
            None
        }
    }
}

/// The value in `path`: `Some(0)` when the file is missing or empty, `None` (logged) when
/// it holds a number keepalived rejects.
pub fn read_value(path: &Path) -> Option<i64> {
    let mut buf = [0u8; 127];
    let n = match std::fs::File::open(path).and_then(|mut f| f.read(&mut buf)) {
        Ok(n) => n,
        Err(_) => return Some(0),
    };
    if n == 0 {
        return Some(0);
    }
    match parse_c_long(&buf[..n]) {
        Some(v) if v >= i64::from(i32::MIN) && v <= i64::from(i32::MAX) + 1 => Some(v),
        other => {
            log::info!(
                "Invalid number {} read from {} - ignoring",
                other.unwrap_or(i64::MAX),
                path.display()
            );
            None
        }
    }
}

/// `strtol(text, NULL, 0)`: leading blanks, a sign, then hex (`0x`), octal (leading `0`)
/// or decimal digits up to the first other character; no digits = 0. `None` on overflow.
pub fn parse_c_long(text: &[u8]) -> Option<i64> {
    let mut i = 0;
    while i < text.len() && b" \t\n\r\x0b\x0c".contains(&text[i]) {
        i += 1;
    }
    let negative = match text.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let hex_digit_follows = text.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    let radix = if text.get(i) == Some(&b'0')
        && matches!(text.get(i + 1), Some(b'x' | b'X'))
        && hex_digit_follows
    {
        i += 2;
        16
    } else if text.get(i) == Some(&b'0') {
        8
    } else {
        10
    };
    let mut value: i64 = 0;
    while let Some(d) = text.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        value = value.checked_mul(i64::from(radix))?;
        value = if negative {
            value.checked_sub(i64::from(d))?
        } else {
            value.checked_add(i64::from(d))?
        };
        i += 1;
    }
    Some(value)
}

/// The file's number as the core's tracker status.
pub fn status_of(value: i64) -> TrackerStatus {
    TrackerStatus::Value(value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// Watches every file in `specs` and reports each change of value until aborted.
pub async fn watch_files(specs: Vec<FileSpec>, tx: TrackerTx) {
    if specs.is_empty() {
        return;
    }
    let inotify = match AsyncInotify::new() {
        Ok(i) => i,
        Err(_) => {
            log::info!("Unable to monitor track files");
            return;
        }
    };
    let mut by_watch: HashMap<(WatchDescriptor, OsString), Vec<usize>> = HashMap::new();
    for (i, spec) in specs.iter().enumerate() {
        let (Some(dir), Some(file)) = (spec.path.parent(), spec.path.file_name()) else {
            continue;
        };
        let flags =
            AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVE;
        match inotify.add_watch(dir, flags) {
            Ok(wd) => by_watch
                .entry((wd, file.to_os_string()))
                .or_default()
                .push(i),
            Err(e) => log::info!("Unable to watch track file {}: {e}", spec.name),
        }
    }
    let mut last: Vec<i64> = specs.iter().map(|s| s.initial).collect();
    loop {
        let events = match inotify.read_events().await {
            Ok(ev) => ev,
            Err(e) => {
                log::info!(
                    "inotify read() returned error {} - {e}",
                    e.raw_os_error().unwrap_or(0)
                );
                return;
            }
        };
        for ev in events {
            if ev.mask.contains(AddWatchFlags::IN_ISDIR) {
                continue;
            }
            let Some(name) = ev.name else { continue };
            let Some(indices) = by_watch.get(&(ev.wd, name)) else {
                continue;
            };
            let gone = ev
                .mask
                .intersects(AddWatchFlags::IN_MOVED_FROM | AddWatchFlags::IN_DELETE);
            for &i in indices {
                let new = if gone {
                    Some(0)
                } else {
                    read_value(&specs[i].path)
                };
                if let Some(v) = new {
                    if v != last[i] {
                        last[i] = v;
                        let _ = tx.send(TrackerEvent {
                            id: specs[i].id,
                            status: status_of(v),
                        });
                    }
                }
            }
        }
    }
}

/// `track_file` as a tracker kind (`track_file` entries).
pub struct Files;

impl TrackedKind for Files {
    fn declared(&self, cfg: &Config) -> Vec<Declared> {
        declared_in(&cfg.track_files, |f| (&f.name, f.weight, f.weight_reverse))
    }

    fn instance_entries<'a>(&self, inst: &'a VrrpInstance) -> &'a [TrackRef] {
        &inst.track.file
    }

    fn group_entries<'a>(&self, group: &'a SyncGroup) -> &'a [TrackRef] {
        &group.track_file
    }

    /// The default weight 1 becomes 0; any other weight drops the entry.
    fn restrict(&self, e: RestrictedEntry<'_>) -> Option<i32> {
        let (inst, name) = (e.instance, e.name);
        let why = match e.restriction {
            Restriction::SyncGroup => "SYNC group",
            Restriction::AddressOwner => "address_owner",
        };
        if e.weight == 1 {
            if e.log {
                log::info!("({inst}) ignoring weight from tracked file {name} due to {why}. specify weight 0");
            }
            return Some(0);
        }
        if e.log {
            log::info!(
                "({inst}) ignoring tracked file {name} with weight {} due to {why}",
                e.weight
            );
        }
        None
    }

    /// `init_file` is applied and the file read once; a file whose directory is missing
    /// is unusable (its start-up value is then 0).
    fn prepare(
        &self,
        cfg: &Config,
        object: &Declared,
        id: TrackerId,
        _mentioned: bool,
    ) -> Prepared {
        let f = &cfg.track_files[object.index];
        apply_init_file(f);
        let spec = resolve_path(f).map(|path| FileSpec {
            name: f.name.clone(),
            id,
            initial: read_value(&path).unwrap_or(0),
            path,
        });
        Prepared {
            usable: spec.is_some(),
            start_up: StartUp::Known(status_of(spec.as_ref().map_or(0, |s| s.initial))),
            data: spec.map(|s| Arc::new(s) as _),
        }
    }

    /// One inotify watcher for every used file.
    fn start(
        &self,
        objects: &[&PlannedTracker],
        tx: &TrackerTx,
        _live: &LiveGroups,
    ) -> Vec<RunningTracker> {
        let specs: Vec<FileSpec> = objects
            .iter()
            .filter(|t| t.used)
            .filter_map(|t| t.data::<FileSpec>().cloned())
            .collect();
        if specs.is_empty() {
            return Vec::new();
        }
        let task = tokio::spawn(watch_files(specs, tx.clone()));
        vec![Box::new(AbortOnDrop(task))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_bases_and_garbage() {
        assert_eq!(parse_c_long(b"42\n"), Some(42));
        assert_eq!(parse_c_long(b"  -7 trailing"), Some(-7));
        assert_eq!(parse_c_long(b"0x1f"), Some(31));
        assert_eq!(parse_c_long(b"010"), Some(8));
        assert_eq!(parse_c_long(b"09"), Some(0));
        assert_eq!(parse_c_long(b"abc"), Some(0));
        assert_eq!(parse_c_long(b"0x"), Some(0));
        assert_eq!(parse_c_long(b"+5"), Some(5));
        assert_eq!(parse_c_long(b"99999999999999999999"), None);
    }

    #[test]
    fn values_out_of_int_range_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v");
        std::fs::write(&p, "2147483648").unwrap();
        assert_eq!(read_value(&p), Some(2147483648));
        std::fs::write(&p, "2147483649").unwrap();
        assert_eq!(read_value(&p), None);
        std::fs::write(&p, "-2147483649").unwrap();
        assert_eq!(read_value(&p), None);
        assert_eq!(read_value(&dir.path().join("missing")), Some(0));
        std::fs::write(&p, "").unwrap();
        assert_eq!(read_value(&p), Some(0));
    }
}
