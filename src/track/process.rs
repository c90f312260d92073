//! `vrrp_track_process`: counts the running processes that match a name (and optionally
//! arguments) and reports Up while the count is within `quorum..=quorum_max`.
//!
//! keepalived follows process creation and exit through the kernel's process connector;
//! we scan `/proc` a few times a second, which needs no special socket or capability and
//! costs a few hundred microseconds per scan on a typical host.
//!
//! Matching (keepalived 2.2.7): by the process name the kernel reports (`comm`, at most
//! 15 characters), or with `full_command` by the executable as started (`argv[0]`).
//! Arguments given after the name must equal the process's (`param_match` exact, the
//! default), start them (`initial`), or appear among them in order (`partial`).

use std::path::Path;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::children::LiveGroups;
use super::kind::{
    declared_in, prepared_from_block, start_each, AbortOnDrop, Declared, PlannedTracker, Prepared,
    RestrictedEntry, RunningTracker, TrackedKind,
};
use super::{TrackerEvent, TrackerTx};
use crate::config::model::{Config, SyncGroup, TrackProcess, TrackRef, VrrpInstance};
use crate::vrrp::{TrackerId, TrackerStatus};

/// How often `/proc` is scanned.
const SCAN_INTERVAL: Duration = Duration::from_millis(200);

/// How configured arguments are compared with a process's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    Exact,
    Initial,
    Partial,
}

/// One tracked process description, resolved from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessMatcher {
    pub name: String,
    /// Arguments to match; `None` when only the name was given.
    pub args: Option<Vec<String>>,
    pub param_match: ParamMatch,
    pub full_command: bool,
}

impl ProcessMatcher {
    pub fn from_config(p: &TrackProcess) -> Option<ProcessMatcher> {
        let line = p.process.as_deref()?;
        let mut words = line.split_whitespace().map(str::to_owned);
        let name = words.next()?;
        let args: Vec<String> = words.collect();
        Some(ProcessMatcher {
            name,
            args: (!args.is_empty()).then_some(args),
            param_match: match p.param_match.as_deref() {
                Some("initial") => ParamMatch::Initial,
                Some("partial") => ParamMatch::Partial,
                _ => ParamMatch::Exact,
            },
            full_command: p.full_command,
        })
    }

    /// Whether a process with kernel name `comm` and command line `argv` matches.
    pub fn matches(&self, comm: &str, argv: &[String]) -> bool {
        let name_ok = if self.full_command {
            argv.first().is_some_and(|a| *a == self.name)
        } else {
            // The kernel keeps at most 15 bytes of the name.
            let wanted: String = self.name.chars().take(15).collect();
            comm == wanted
        };
        if !name_ok {
            return false;
        }
        let Some(want) = &self.args else {
            return true;
        };
        let have = argv.get(1..).unwrap_or(&[]);
        match self.param_match {
            ParamMatch::Exact => have == want.as_slice(),
            ParamMatch::Initial => have.starts_with(want),
            ParamMatch::Partial => {
                want.is_empty() || have.windows(want.len()).any(|w| w == want.as_slice())
            }
        }
    }
}

/// Number of processes under `proc_root` (normally `/proc`) that `m` matches.
pub fn count_matching(proc_root: &Path, m: &ProcessMatcher) -> usize {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            let dir = e.path();
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
            // Kernel threads have an empty command line: never a match.
            if cmdline.is_empty() {
                return false;
            }
            let argv: Vec<String> = cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            m.matches(comm.trim_end_matches('\n'), &argv)
        })
        .count()
}

/// Starts tracking `p`; reports the first result at once, then every change (a loss
/// after `terminate_delay`/`delay`, a gain after `fork_delay`/`delay`).
pub fn spawn(p: &TrackProcess, id: TrackerId, tx: TrackerTx) -> Option<JoinHandle<()>> {
    let matcher = ProcessMatcher::from_config(p)?;
    let quorum = p.quorum.max(1) as usize;
    let quorum_max = p.quorum_max.map_or(usize::MAX, |q| q as usize);
    let delay = p.delay.unwrap_or(Duration::ZERO);
    let loss_delay = p.terminate_delay.unwrap_or(delay);
    let gain_delay = p.fork_delay.unwrap_or(delay);
    let name = p.name.clone();
    Some(tokio::spawn(async move {
        let mut reported: Option<bool> = None;
        let mut pending: Option<(bool, tokio::time::Instant)> = None;
        let mut tick = tokio::time::interval(SCAN_INTERVAL);
        loop {
            tick.tick().await;
            let count = count_matching(Path::new("/proc"), &matcher);
            let up = (quorum..=quorum_max).contains(&count);
            let now = tokio::time::Instant::now();
            let decided = match (reported, pending) {
                (None, _) => Some(up),
                (Some(r), _) if r == up => {
                    pending = None;
                    None
                }
                (Some(_), Some((p, since))) if p == up => {
                    let wait = if up { gain_delay } else { loss_delay };
                    (now.duration_since(since) >= wait).then_some(up)
                }
                (Some(_), _) => {
                    pending = Some((up, now));
                    let wait = if up { gain_delay } else { loss_delay };
                    wait.is_zero().then_some(up)
                }
            };
            if let Some(up) = decided {
                pending = None;
                if reported.is_some() || !up {
                    log::info!(
                        "Quorum {} for tracked process {name}",
                        if up { "gained" } else { "lost" }
                    );
                }
                reported = Some(up);
                let status = if up {
                    TrackerStatus::Up
                } else {
                    TrackerStatus::Down
                };
                if tx.send(TrackerEvent { id, status }).is_err() {
                    return;
                }
            }
        }
    }))
}

/// `vrrp_track_process` as a tracker kind (`track_process` entries). Its entries are
/// never restricted, and every object is started, used or not.
pub struct Processes;

impl TrackedKind for Processes {
    fn declared(&self, cfg: &Config) -> Vec<Declared> {
        declared_in(&cfg.track_processes, |p| {
            (&p.name, p.weight, p.weight_reverse)
        })
    }

    fn instance_entries<'a>(&self, inst: &'a VrrpInstance) -> &'a [TrackRef] {
        &inst.track.process
    }

    fn group_entries<'a>(&self, group: &'a SyncGroup) -> &'a [TrackRef] {
        &group.track_process
    }

    fn restrict(&self, e: RestrictedEntry<'_>) -> Option<i32> {
        Some(e.weight)
    }

    fn prepare(&self, cfg: &Config, object: &Declared, _: TrackerId, _: bool) -> Prepared {
        prepared_from_block(&cfg.track_processes[object.index])
    }

    fn start(
        &self,
        objects: &[&PlannedTracker],
        tx: &TrackerTx,
        _live: &LiveGroups,
    ) -> Vec<RunningTracker> {
        start_each(objects, |process: &TrackProcess, id| {
            let task = spawn(process, id, tx.clone())?;
            Some(Box::new(AbortOnDrop(task)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(line: &str, pm: ParamMatch) -> ProcessMatcher {
        let mut p = TrackProcess::new("t");
        p.process = Some(line.into());
        p.param_match = match pm {
            ParamMatch::Exact => None,
            ParamMatch::Initial => Some("initial".into()),
            ParamMatch::Partial => Some("partial".into()),
        };
        ProcessMatcher::from_config(&p).unwrap()
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn name_only_matches_the_kernel_name_truncated_to_15() {
        let x = m("a-very-long-process-name", ParamMatch::Exact);
        assert!(x.matches(
            "a-very-long-pro",
            &argv(&["/usr/bin/a-very-long-process-name"])
        ));
        assert!(!x.matches("other", &argv(&["/usr/bin/other"])));
    }

    #[test]
    fn arguments_match_exactly_initially_or_partially() {
        let a = argv(&["/usr/sbin/mysqld", "--port", "3306", "--user", "mysql"]);
        assert!(!m("mysqld --port 3306", ParamMatch::Exact).matches("mysqld", &a));
        assert!(m("mysqld --port 3306 --user mysql", ParamMatch::Exact).matches("mysqld", &a));
        assert!(m("mysqld --port 3306", ParamMatch::Initial).matches("mysqld", &a));
        assert!(!m("mysqld 3306 --user", ParamMatch::Initial).matches("mysqld", &a));
        assert!(m("mysqld 3306 --user", ParamMatch::Partial).matches("mysqld", &a));
        assert!(!m("mysqld --user 3306", ParamMatch::Partial).matches("mysqld", &a));
    }

    #[test]
    fn full_command_and_the_delays_are_typed_and_dumped_back() {
        use crate::config::source::{load_str, SourceOptions};
        let text = "vrrp_track_process tp {\n process sleep\n full_command\n \
                    terminate_delay 1.5\n fork_delay 2\n}\n";
        let pre = load_str(
            "t.conf",
            text,
            Path::new("/nonexistent"),
            &SourceOptions::default(),
        );
        let cfg = crate::config::check(pre, None).config;
        let p = &cfg.track_processes[0];
        assert!(p.full_command);
        assert_eq!(p.terminate_delay, Some(Duration::from_millis(1500)));
        assert_eq!(p.fork_delay, Some(Duration::from_secs(2)));
        assert!(p.other.is_empty());
        assert!(ProcessMatcher::from_config(p).unwrap().full_command);
        let dumped = crate::config::dump_config(&cfg);
        for line in ["full_command\n", "terminate_delay 1.5\n", "fork_delay 2\n"] {
            assert!(dumped.contains(line), "{line:?} missing from:\n{dumped}");
        }
    }
}
