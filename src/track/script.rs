//! `vrrp_script` runners, as keepalived 2.2.7 runs them (`vrrp_script_thread` and
//! `vrrp_script_child_thread` in `vrrp_scheduler.c`).
//!
//! * The script starts at once, then every `interval` (measured from each start); a run
//!   still going when the next is due is skipped with "Track script X is already running,
//!   expect idle - skipping run".
//! * `timeout` (default: `interval`) ⇒ SIGTERM to the script's process group, SIGKILL 2 s
//!   later, then SIGKILL every 10 s ("… failed to terminate after kill"). A script that
//!   dies of our SIGTERM has its group SIGKILLed at once so nothing it started survives.
//! * Exit 0 = success, any other exit or signal = failure, our kill = "timed_out".
//! * Results move a counter ([`ScriptResult`]); only crossings are reported to the
//!   instances, with keepalived's log lines.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::process::Child;
use tokio::time::{sleep_until, Instant, MissedTickBehavior};

use crate::sys::process::signal_process_group;
use crate::vrrp::{TrackerId, TrackerStatus};

use super::children::LiveGroups;
use super::command::{prepare, PreparedScript, Refusal};
use super::kind::{
    declared_in, start_each, AbortOnDrop, Declared, PlannedTracker, Prepared, RestrictedEntry,
    RunningTracker, StartUp, TrackedKind,
};
use super::{TrackerEvent, TrackerTx};
use crate::config::model::{Config, SyncGroup, TrackRef, VrrpInstance};

/// keepalived's rise/fall counter (`vscript->result`).
///
/// `0 ..= rise-1` means failed, `rise ..= rise+fall-1` means OK. A success climbs by one
/// while failed and jumps to the top once OK is reached; a failure steps down by one while
/// OK and drops to 0 once it leaves OK. The counter starts at `rise-1` ("one success is
/// enough"), or at 0 with `init_fail`. Until the first result the script is in its initial
/// state, and that first result is always reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptResult {
    result: u32,
    rise: u32,
    fall: u32,
    initialising: bool,
}

impl ScriptResult {
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> Self {
        let rise = rise.max(1);
        ScriptResult {
            result: if init_fail { 0 } else { rise - 1 },
            rise,
            fall: fall.max(1),
            initialising: !init_fail,
        }
    }

    /// Whether the script currently counts as succeeding.
    pub fn is_ok(&self) -> bool {
        self.result >= self.rise
    }

    /// Records one run. `Some(ok)` when the instances tracking the script must be told.
    pub fn record(&mut self, success: bool) -> Option<bool> {
        let top = self.rise + self.fall - 1;
        let mut report = None;
        if success {
            if self.result < self.rise - 1 {
                self.result += 1;
            } else if self.result != top {
                if self.result < self.rise {
                    report = Some(true);
                }
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            if self.result == self.rise || self.initialising {
                report = Some(false);
            }
            self.result = 0;
        }
        self.initialising = false;
        report
    }
}

/// What a `vrrp_script` runner needs.
#[derive(Debug, Clone)]
pub struct ScriptSpec {
    pub name: String,
    pub id: TrackerId,
    pub command: PreparedScript,
    pub interval: Duration,
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
}

/// How far a timed-out script has been pushed (`SCRIPT_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    RequestingTermination,
    ForcingTermination,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Exited(i32),
    Signalled(i32),
    TimedOut,
}

/// One running script.
struct Run {
    child: Child,
    pid: u32,
    phase: Phase,
    deadline: Option<Instant>,
}

/// Runs `spec` until the task is aborted. Process groups of running scripts are kept in
/// `live` so whoever aborts the task can kill them.
pub async fn run_script(spec: ScriptSpec, tx: TrackerTx, live: LiveGroups) {
    let interval = if spec.interval.is_zero() {
        Duration::from_secs(1)
    } else {
        spec.interval
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut counter = ScriptResult::new(spec.rise, spec.fall, spec.init_fail);
    let mut last_status = 0;
    let mut run: Option<Run> = None;
    publish_run_state(&spec.name, None);
    loop {
        let deadline = run.as_ref().and_then(|r| r.deadline);
        tokio::select! {
            _ = ticker.tick() => {
                if let Some(r) = &run {
                    let what = if r.phase == Phase::Running { "already running" } else { "being timed out" };
                    log::info!("Track script {} is {what}, expect idle - skipping run", spec.name);
                    continue;
                }
                match spec.command.command(&[] as &[&OsStr]).spawn() {
                    Ok(child) => {
                        let pid = child.id().unwrap_or(0);
                        live.insert(pid);
                        run = Some(Run {
                            child,
                            pid,
                            phase: Phase::Running,
                            deadline: Some(Instant::now() + spec.timeout),
                        });
                    }
                    Err(e) => {
                        // keepalived's child logs the failed exec and exits 0: "script errors
                        // aren't server errors".
                        log::error!(
                            "Error exec-ing command '{}', error {}: {e}",
                            spec.command.args[0].to_string_lossy(),
                            e.raw_os_error().unwrap_or(0)
                        );
                        finish(&spec, &mut counter, &mut last_status, Outcome::Exited(0), &tx);
                    }
                }
            }
            status = wait_for(run.as_mut().map(|r| &mut r.child)) => {
                let Some(r) = run.take() else { continue };
                live.remove(r.pid);
                let outcome = classify(&spec, &r, status);
                finish(&spec, &mut counter, &mut last_status, outcome, &tx);
            }
            _ = sleep_until_opt(deadline) => {
                if let Some(r) = run.as_mut() {
                    escalate(&spec.name, r);
                }
            }
        }
        publish_run_state(&spec.name, run.as_ref().map(|r| r.phase));
    }
}

/// Where a script is between two checks, as keepalived's data dump shows it (`State =
/// idle` …) and keepalived-exporter turns it into `keepalived_script_state` (0 … 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RunState {
    #[default]
    Idle,
    Running,
    RequestedTermination,
    ForcingTermination,
}

impl RunState {
    /// keepalived's word in the data dump.
    pub fn word(self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Running => "running",
            RunState::RequestedTermination => "requested termination",
            RunState::ForcingTermination => "forcing termination",
        }
    }

    /// keepalived-exporter's number: the word's place in keepalived's list.
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// The run state of every script by name. A process-wide table because the views read it
/// from the event loop while the runners are tasks of their own; one entry a script,
/// replaced by the runner of the same name after a reload.
static RUN_STATES: std::sync::Mutex<BTreeMap<String, RunState>> =
    std::sync::Mutex::new(BTreeMap::new());

/// The run state of script `name` now (idle when it never ran).
pub fn run_state(name: &str) -> RunState {
    let states = RUN_STATES.lock().unwrap_or_else(|e| e.into_inner());
    states.get(name).copied().unwrap_or_default()
}

fn publish_run_state(name: &str, phase: Option<Phase>) {
    let state = match phase {
        None => RunState::Idle,
        Some(Phase::Running) => RunState::Running,
        Some(Phase::RequestingTermination) => RunState::RequestedTermination,
        Some(Phase::ForcingTermination) => RunState::ForcingTermination,
    };
    let mut states = RUN_STATES.lock().unwrap_or_else(|e| e.into_inner());
    if states.get(name) != Some(&state) {
        states.insert(name.to_owned(), state);
    }
}

async fn wait_for(child: Option<&mut Child>) -> std::io::Result<ExitStatus> {
    match child {
        Some(c) => c.wait().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// The timeout steps of `vrrp_script_child_thread`.
fn escalate(name: &str, r: &mut Run) {
    let (signal, next) = match r.phase {
        Phase::Running => {
            r.phase = Phase::RequestingTermination;
            (Signal::SIGTERM, Duration::from_secs(2))
        }
        Phase::RequestingTermination => {
            r.phase = Phase::ForcingTermination;
            (Signal::SIGKILL, Duration::from_secs(2))
        }
        Phase::ForcingTermination => {
            log::info!(
                "Script {name} child (PID {}) failed to terminate after kill",
                r.pid
            );
            (Signal::SIGKILL, Duration::from_secs(10))
        }
    };
    r.deadline = match signal_process_group(r.pid, signal) {
        Ok(true) => Some(Instant::now() + next),
        Ok(false) => {
            log::info!("Script {name} child (PID {}) lost", r.pid);
            None
        }
        Err(e) => {
            log::info!(
                "kill -{} of process {name}({}) failed with errno {}",
                signal as i32,
                r.pid,
                e.raw_os_error().unwrap_or(0)
            );
            Some(Instant::now() + Duration::from_secs(1000))
        }
    };
}

fn classify(spec: &ScriptSpec, r: &Run, status: std::io::Result<ExitStatus>) -> Outcome {
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            log::info!("Script {} child (PID {}) lost: {e}", spec.name, r.pid);
            return Outcome::Signalled(0);
        }
    };
    if let Some(code) = status.code() {
        return Outcome::Exited(spec.command.effective_exit_code(code));
    }
    let sig = status.signal().unwrap_or(0);
    let term = Signal::SIGTERM as i32;
    let kill = Signal::SIGKILL as i32;
    match r.phase {
        Phase::RequestingTermination if sig == term => {
            // Our SIGTERM ended it: make sure nothing it started lives on.
            let _ = signal_process_group(r.pid, Signal::SIGKILL);
            Outcome::TimedOut
        }
        Phase::ForcingTermination if sig == kill || sig == term => Outcome::TimedOut,
        _ => Outcome::Signalled(sig),
    }
}

/// Logs a run's result as keepalived does and reports crossings.
fn finish(
    spec: &ScriptSpec,
    counter: &mut ScriptResult,
    last_status: &mut i32,
    outcome: Outcome,
    tx: &TrackerTx,
) {
    let name = &spec.name;
    let (success, word, reason) = match outcome {
        Outcome::Exited(code) => {
            if code != *last_status {
                log::info!("Script `{name}` now returning {code}");
            }
            *last_status = code;
            if code == 0 {
                (true, "succeeded", None)
            } else {
                (
                    false,
                    "failed",
                    Some(format!(" (exited with status {code})")),
                )
            }
        }
        Outcome::Signalled(sig) => (false, "failed", Some(format!(" (due to signal {sig})"))),
        Outcome::TimedOut => (false, "timed_out", None),
    };
    if let Some(ok) = counter.record(success) {
        log::info!(
            "VRRP_Script({name}) {word}{}",
            reason.as_deref().unwrap_or("")
        );
        let status = if ok {
            TrackerStatus::Up
        } else {
            TrackerStatus::Down
        };
        let _ = tx.send(TrackerEvent {
            id: spec.id,
            status,
        });
    }
}

/// `vrrp_script` as a tracker kind (`track_script` entries).
pub struct Scripts;

impl TrackedKind for Scripts {
    fn declared(&self, cfg: &Config) -> Vec<Declared> {
        declared_in(&cfg.scripts, |s| (&s.name, s.weight, s.weight_reverse))
    }

    fn instance_entries<'a>(&self, inst: &'a VrrpInstance) -> &'a [TrackRef] {
        &inst.track.script
    }

    fn group_entries<'a>(&self, group: &'a SyncGroup) -> &'a [TrackRef] {
        &group.track_script
    }

    fn clamps_entry_weight(&self) -> bool {
        true
    }

    fn restrict(&self, e: RestrictedEntry<'_>) -> Option<i32> {
        if e.log {
            log::info!(
                "({}) ignoring tracked script {} with weights due to {}",
                e.instance,
                e.name,
                e.restriction.reason()
            );
        }
        None
    }

    /// Only scripts some entry names are prepared; a refused one (not found, not
    /// executable, insecure…) is unusable, as keepalived disables it.
    fn prepare(&self, cfg: &Config, object: &Declared, id: TrackerId, mentioned: bool) -> Prepared {
        let s = &cfg.scripts[object.index];
        let command = if mentioned {
            prepare(&s.script, &cfg.global, "vrrp")
                .inspect_err(|why| match why {
                    Refusal::Insecure(_) => {
                        log::info!("Disabling track script {} due to insecure", s.name)
                    }
                    Refusal::NotFound => log::info!(
                        "Disabling track script {} since not found/accessible",
                        s.name
                    ),
                    _ => {}
                })
                .ok()
        } else {
            None
        };
        let Some(command) = command else {
            return Prepared {
                usable: false,
                start_up: StartUp::Reported,
                data: None,
            };
        };
        let spec = ScriptSpec {
            name: s.name.clone(),
            id,
            command,
            interval: s.interval,
            timeout: s.timeout.filter(|t| !t.is_zero()).unwrap_or(s.interval),
            rise: s.rise,
            fall: s.fall,
            init_fail: s.init_fail,
        };
        Prepared {
            usable: true,
            start_up: if s.init_fail {
                StartUp::Known(TrackerStatus::Down)
            } else {
                StartUp::Neutral
            },
            data: Some(Arc::new(spec)),
        }
    }

    fn start(
        &self,
        objects: &[&PlannedTracker],
        tx: &TrackerTx,
        live: &LiveGroups,
    ) -> Vec<RunningTracker> {
        start_each(objects, |spec: &ScriptSpec, _| {
            let task = tokio::spawn(run_script(spec.clone(), tx.clone(), live.clone()));
            Some(Box::new(AbortOnDrop(task)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds results, returning what was reported after each.
    fn feed(c: &mut ScriptResult, runs: &str) -> Vec<Option<bool>> {
        runs.chars().map(|r| c.record(r == 'S')).collect()
    }

    #[test]
    fn first_result_is_always_reported() {
        let mut c = ScriptResult::new(1, 1, false);
        assert_eq!(feed(&mut c, "F"), [Some(false)]);
        let mut c = ScriptResult::new(1, 1, false);
        assert_eq!(feed(&mut c, "S"), [Some(true)]);
        // One success is enough at start even with rise 3.
        let mut c = ScriptResult::new(3, 2, false);
        assert_eq!(feed(&mut c, "S"), [Some(true)]);
    }

    #[test]
    fn rise_and_fall_counts() {
        let mut c = ScriptResult::new(3, 2, false);
        // OK after the first success; two failures to fail; three successes to rise.
        assert_eq!(
            feed(&mut c, "SFFSSSFSFF"),
            [
                Some(true),
                None,
                Some(false),
                None,
                None,
                Some(true),
                None,
                None,
                None,
                Some(false)
            ]
        );
        assert!(!c.is_ok());
    }

    #[test]
    fn a_success_while_ok_resets_the_fall_count() {
        let mut c = ScriptResult::new(1, 3, false);
        assert_eq!(
            feed(&mut c, "SFFSFFF"),
            [Some(true), None, None, None, None, None, Some(false)]
        );
    }

    #[test]
    fn init_fail_starts_failed_and_stays_quiet_on_failures() {
        let mut c = ScriptResult::new(2, 1, true);
        assert!(!c.is_ok());
        assert_eq!(feed(&mut c, "FFSS"), [None, None, None, Some(true)]);
    }

    #[test]
    fn repeated_failures_are_reported_once() {
        let mut c = ScriptResult::new(1, 1, false);
        assert_eq!(feed(&mut c, "FFFS"), [Some(false), None, None, Some(true)]);
    }
}
