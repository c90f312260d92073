//! `startup_script` and `shutdown_script`: keepalived's parent runs the first before it
//! starts its VRRP child (which waits for the script to end or time out) and the second
//! once the child has stopped and released its addresses, before the process exits. Both
//! run like every other script (own process group, script user, script security: see
//! [`crate::track::command`]); on timeout the group gets SIGTERM, then SIGKILL.

use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::config::model::{GlobalDefs, START_STOP_SCRIPT_TIMEOUT};
use crate::track::command::prepare;

/// Which of the two scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    Startup,
    Shutdown,
}

impl Moment {
    fn name(self) -> &'static str {
        match self {
            Moment::Startup => "startup",
            Moment::Shutdown => "shutdown",
        }
    }
}

/// How long a script that ignored SIGTERM gets before SIGKILL, and a killed one before it
/// is given up on (keepalived's 2 s steps).
const KILL_STEP: Duration = Duration::from_secs(2);

/// Runs the `moment` script of `global`, if any, and waits for it (at most its timeout
/// plus the kill steps). Failures are logged as keepalived logs them and change nothing
/// else: the daemon starts (or exits) either way.
pub async fn run(moment: Moment, global: &GlobalDefs) {
    let s = &global.start_stop;
    let (script, timeout) = match moment {
        Moment::Startup => (&s.startup, s.startup_timeout),
        Moment::Shutdown => (&s.shutdown, s.shutdown_timeout),
    };
    let Some(script) = script else {
        return;
    };
    let kind = moment.name();
    let Ok(prepared) = prepare(script, global, kind) else {
        return;
    };
    let program = prepared.args[0].to_string_lossy().into_owned();
    log::info!("Running {kind} script {program}");
    let mut child = match prepared.command(&[]).spawn() {
        Ok(c) => c,
        Err(e) => {
            log::info!("Call of {kind} script {program} failed ({e})");
            return;
        }
    };
    let limit = timeout.unwrap_or(START_STOP_SCRIPT_TIMEOUT);
    // keepalived names it "startup script" and then says "script" again in these two
    // messages; the text is kept so that what operators grep for still matches.
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) => match status.code().map(|c| prepared.effective_exit_code(c)) {
            Some(0) => log::info!("{kind} script script succeeded"),
            Some(code) => log::info!("{kind} script script failed, status {code}"),
            None => log::info!("{kind} script ended by a signal"),
        },
        Ok(Err(e)) => log::info!("{kind} script: cannot wait for it ({e})"),
        Err(_) => {
            log::info!("{kind} script timed out");
            let Some(pid) = child.id() else {
                return;
            };
            let group = Pid::from_raw(pid as i32);
            for signal in [Signal::SIGTERM, Signal::SIGKILL] {
                if killpg(group, signal).is_err() {
                    break;
                }
                if tokio::time::timeout(KILL_STEP, child.wait()).await.is_ok() {
                    // Whatever the script started in its group goes with it.
                    let _ = killpg(group, Signal::SIGKILL);
                    return;
                }
            }
            log::info!("{kind} script (PID {pid}) failed to terminate after kill");
        }
    }
}
