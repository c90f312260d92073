//! Starting an observer's script without waiting for it: the child's process group is
//! registered in a [`LiveGroups`] for as long as it runs, so shutdown can wait for it or
//! kill it, and a task reaps it when it exits.

use std::ffi::OsStr;

use crate::track::children::LiveGroups;
use crate::track::command::PreparedScript;

/// Starts `script` with `extra` arguments appended and tracks it in `live` until it
/// exits; then `exited` runs. A script that cannot be started is logged with
/// keepalived's message.
pub fn start_tracked(
    script: &PreparedScript,
    extra: &[&OsStr],
    live: &LiveGroups,
    exited: impl FnOnce() + Send + 'static,
) {
    match script.command(extra).spawn() {
        Ok(mut child) => {
            let pid = child.id().unwrap_or(0);
            live.insert(pid);
            let live = live.clone();
            tokio::spawn(async move {
                let _ = child.wait().await;
                live.remove(pid);
                exited();
            });
        }
        Err(e) => log::error!(
            "Error exec-ing command '{}', error {}: {e}",
            script.args[0].to_string_lossy(),
            e.raw_os_error().unwrap_or(0)
        ),
    }
}
