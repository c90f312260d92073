//! The names that tell several keepalived daemons on one host apart, as keepalived 2.2.7
//! derives them from `net_namespace` (or `-s`), `instance` and `use_pid_dir`:
//!
//! | setting | pid files | data dump (`data_use_instance`) |
//! |---|---|---|
//! | none | `/run/keepalived.pid`, `/run/vrrp.pid` | `keepalived.data` |
//! | `use_pid_dir` | `/run/keepalived/keepalived.pid`, `…/vrrp.pid` | `keepalived.data` |
//! | `instance I` | `/run/keepalived/keepalived_I.pid`, `…/vrrp_I.pid` | `keepalived.I.data` |
//! | `net_namespace N` | `/run/keepalived/keepalived.pid` seen through the private mount, i.e. `/run/keepalived/N/keepalived.pid` from outside | `keepalived.N.data` |
//! | both | `/run/keepalived/N/keepalived_I.pid` from outside | `keepalived.N_I.data` |
//!
//! `-p`/`-r` on the command line win over all of it. Only the data dump is renamed;
//! `keepalived.stats` and `keepalived.json` keep their names, as in keepalived.

use std::path::{Path, PathBuf};

use super::dump::DumpPaths;
use super::options::{Options, DEFAULT_PID_FILE, DEFAULT_VRRP_PID_FILE};
use crate::config::model::{ProcessSettings, ReloadFile};

/// keepalived's `KEEPALIVED_PID_DIR` on Debian (RUNSTATEDIR is `/run`).
pub const PID_DIR: &str = "/run/keepalived";

/// The namespace, instance name and pid directory choice of a running daemon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `-s`, else `net_namespace`.
    pub namespace: Option<String>,
    pub instance: Option<String>,
    /// Pid files (and the default reload file) go under [`PID_DIR`].
    pub pid_dir: bool,
}

impl Identity {
    /// The identity `settings` ask for, with the command line's `-s` winning over
    /// `net_namespace` (keepalived logs that override).
    pub fn of(opts: &Options, settings: &ProcessSettings) -> Identity {
        if let (Some(cli), Some(conf)) = (&opts.namespace, &settings.net_namespace) {
            log::info!(
                "Overriding config net_namespace '{conf}' with command line namespace '{cli}'"
            );
        }
        let namespace = opts.namespace.clone().or(settings.net_namespace.clone());
        Identity {
            pid_dir: settings.pid_dir_in_use() || namespace.is_some(),
            namespace,
            instance: settings.instance.clone(),
        }
    }

    /// `start` (`/run/keepalived/keepalived`) with `_INSTANCE` and `ext` appended.
    fn in_pid_dir(&self, stem: &str, ext: &str) -> PathBuf {
        let mut name = stem.to_owned();
        if let Some(i) = &self.instance {
            name.push('_');
            name.push_str(i);
        }
        name.push_str(ext);
        Path::new(PID_DIR).join(name)
    }

    /// The parent's and the VRRP process's pid files: `-p`/`-r` when given, else
    /// keepalived's names for this identity.
    pub fn pid_files(&self, opts: &Options) -> (PathBuf, PathBuf) {
        let given = &opts.pid_files;
        let pick = |given: &PathBuf, default: &str, stem: &str| {
            if given.as_os_str() != default || !self.pid_dir {
                given.clone()
            } else {
                self.in_pid_dir(stem, ".pid")
            }
        };
        (
            pick(&given.main, DEFAULT_PID_FILE, "keepalived"),
            pick(&given.vrrp, DEFAULT_VRRP_PID_FILE, "vrrp"),
        )
    }

    /// The marker `reload_file` names, with keepalived's default for a bare
    /// `reload_file`: `keepalived.reload` beside the pid files.
    pub fn reload_file(&self, setting: Option<&ReloadFile>) -> Option<PathBuf> {
        match setting? {
            ReloadFile::Path(p) => Some(p.clone()),
            ReloadFile::Default if self.pid_dir => Some(self.in_pid_dir("keepalived", ".reload")),
            ReloadFile::Default => Some("/run/keepalived.reload".into()),
        }
    }

    /// The dump files in `tmp`; with `data_use_instance`, the data dump is
    /// `keepalived.NS_INSTANCE.data` (either part alone without the `_`).
    pub fn dump_paths(&self, data_use_instance: bool, tmp: &Path) -> DumpPaths {
        let mut paths = DumpPaths::in_dir(tmp);
        let parts: Vec<&str> = [&self.namespace, &self.instance]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if data_use_instance && !parts.is_empty() {
            paths.data = tmp.join(format!("keepalived.{}.data", parts.join("_")));
        }
        paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(ns: Option<&str>, inst: Option<&str>, pid_dir: bool) -> Identity {
        Identity {
            namespace: ns.map(String::from),
            instance: inst.map(String::from),
            pid_dir,
        }
    }

    #[test]
    fn pid_files_follow_keepalived() {
        let opts = Options::default();
        let names = |i: Identity| {
            let (m, v) = i.pid_files(&opts);
            (m.display().to_string(), v.display().to_string())
        };
        assert_eq!(
            names(identity(None, None, false)),
            ("/run/keepalived.pid".into(), "/run/vrrp.pid".into())
        );
        assert_eq!(
            names(identity(None, None, true)),
            (
                "/run/keepalived/keepalived.pid".into(),
                "/run/keepalived/vrrp.pid".into()
            )
        );
        assert_eq!(
            names(identity(Some("blue"), Some("a"), true)),
            (
                "/run/keepalived/keepalived_a.pid".into(),
                "/run/keepalived/vrrp_a.pid".into()
            )
        );
    }

    #[test]
    fn data_dump_names_carry_namespace_and_instance() {
        let tmp = Path::new("/tmp");
        let data = |i: Identity, on| i.dump_paths(on, tmp).data.display().to_string();
        assert_eq!(
            data(identity(Some("n"), Some("i"), true), true),
            "/tmp/keepalived.n_i.data"
        );
        assert_eq!(
            data(identity(None, Some("i"), true), true),
            "/tmp/keepalived.i.data"
        );
        assert_eq!(
            data(identity(Some("n"), None, true), true),
            "/tmp/keepalived.n.data"
        );
        assert_eq!(
            data(identity(Some("n"), Some("i"), true), false),
            "/tmp/keepalived.data"
        );
    }

    #[test]
    fn default_reload_file_sits_beside_the_pid_files() {
        let bare = Some(&ReloadFile::Default);
        assert_eq!(
            identity(None, Some("a"), true).reload_file(bare),
            Some("/run/keepalived/keepalived_a.reload".into())
        );
        assert_eq!(
            identity(None, None, false).reload_file(bare),
            Some("/run/keepalived.reload".into())
        );
        assert_eq!(identity(None, None, false).reload_file(None), None);
    }
}
