//! What the harness needs to know about a file before running it, read with our own parser
//! (host checks off, so nothing is dropped for the host's sake): how long to let the daemons
//! settle, and which script paths to provide stand-ins for.
//!
//! Settling: a BACKUP becomes MASTER after three adverts' silence plus a skew below one
//! advert; a failing check script acts after `fall` runs. Both daemons are observed at the
//! same moment, chosen well clear of those transitions, so that a difference is a
//! difference in behaviour, not in a few milliseconds of timing.

use std::path::Path;
use std::time::Duration;

use keepalived_rs::config::check_file;
use keepalived_rs::config::model::{Config, Script};
use keepalived_rs::config::source::SourceOptions;

/// The longest wait for one phase (a file with `advert_int 30` is observed before it
/// settles; both daemons alike).
const MAX_SETTLE: Duration = Duration::from_secs(30);

/// keepalived's config id on the host where the corpus verdicts were recorded.
pub fn source_options() -> SourceOptions {
    SourceOptions {
        config_id: "vm".into(),
        ..SourceOptions::default()
    }
}

/// Settle times and stand-ins of one file.
#[derive(Debug, Clone)]
pub struct Plan {
    /// From start to the first observation.
    pub start: Duration,
    /// From a reload (SIGHUP) to the next observation.
    pub reload: Duration,
    /// Absolute paths of the scripts the file names.
    pub scripts: Vec<String>,
}

impl Plan {
    pub fn of(main: &Path) -> Plan {
        let cfg = check_file(main, &source_options(), None).config;
        let advert = cfg
            .instances
            .iter()
            .map(|i| i.advert_int)
            .max()
            .unwrap_or(Duration::from_secs(1))
            .max(Duration::from_secs(1));
        let vrrp = advert * 4 + Duration::from_secs(2) + cfg.global.vrrp_startup_delay;
        let scripts = cfg
            .scripts
            .iter()
            .map(|s| s.interval * s.fall.max(s.rise).max(1) + Duration::from_secs(2))
            .max()
            .unwrap_or_default();
        let reload = (advert + Duration::from_millis(1500)).max(Duration::from_millis(2500));
        Plan {
            start: vrrp.max(scripts).min(MAX_SETTLE),
            reload: reload.min(MAX_SETTLE),
            scripts: script_paths(&cfg),
        }
    }
}

/// The program of every script (its first word), where it is an absolute path.
fn script_paths(cfg: &Config) -> Vec<String> {
    let mut all: Vec<&Script> = cfg.scripts.iter().map(|s| &s.script).collect();
    for i in &cfg.instances {
        let n = &i.scripts;
        all.extend(
            [
                &n.notify_master,
                &n.notify_backup,
                &n.notify_fault,
                &n.notify_stop,
                &n.notify_deleted,
                &n.notify,
                &n.notify_master_rx_lower_pri,
            ]
            .into_iter()
            .flatten(),
        );
    }
    for g in &cfg.sync_groups {
        all.extend(
            [
                &g.notify_master,
                &g.notify_backup,
                &g.notify_fault,
                &g.notify_stop,
                &g.notify,
            ]
            .into_iter()
            .flatten(),
        );
    }
    let fifos = &cfg.global.notify_fifos;
    all.extend(
        [&fifos.notify_fifo, &fifos.vrrp_notify_fifo]
            .into_iter()
            .flatten()
            .filter_map(|f| f.script.as_ref()),
    );
    let mut paths: Vec<String> = all
        .iter()
        .filter_map(|s| first_word(&s.command))
        .filter(|p| p.starts_with('/'))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The program of a command line, with keepalived's quoting (single or double quotes
/// around a word) taken off.
fn first_word(command: &str) -> Option<String> {
    let c = command.trim_start();
    let word = match c.chars().next()? {
        q @ ('"' | '\'') => c[1..].split(q).next()?,
        _ => c.split_whitespace().next()?,
    };
    (!word.is_empty()).then(|| word.to_string())
}
