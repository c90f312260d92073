//! Turning a configured script (`vrrp_script`'s `script`, `notify_*`, FIFO scripts) into
//! something that can be started, with keepalived 2.2.7's start-up checks
//! (`check_script_secure` in `lib/notify.c`): the word split, the user it runs as, the
//! `$PATH` search, the executable check, and script security.
//!
//! Script security: a script that runs as root (or with gid 0, or is setuid/setgid root)
//! must not be replaceable by anyone but root. Every component of its path is judged by
//! [`crate::config::host::LocalHost::insecure_reason`] — the same rule `--check-config`
//! applies. With `enable_script_security` an insecure script is refused; without it, it is
//! only logged ("Unsafe permissions found for script '…'.").

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::config::host::{Host, LocalHost};
use crate::config::model::{GlobalDefs, Script};
use crate::sys::process::{prepare_script_command, RunAs};

use super::argv::{shell_command_line, split_words, SplitError};

/// keepalived's default script user when `script_user` is not set.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// How a prepared script is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    /// `execve` the program directly (a binary or a script with a `#!` line).
    Direct,
    /// `/bin/sh -c` with the words single-quoted: for `</path` redirection tests and
    /// scripts without a `#!` line (keepalived: "Please add a #! shebang to script %s").
    Shell,
}

/// A script ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedScript {
    /// The words; the first is the resolved program path.
    pub args: Vec<OsString>,
    pub run_as: RunAs,
    pub mode: ExecMode,
    /// Runs with root privileges from a path a non-root user could change (only possible
    /// without `enable_script_security`).
    pub insecure: bool,
}

/// Why a script will not be run. Each case has been logged with keepalived's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("cannot split the command line: {0}")]
    Split(#[from] SplitError),
    #[error("cannot set the user or group '{0}'")]
    User(String),
    #[error("not found or not accessible")]
    NotFound,
    #[error("not executable for the user it runs as")]
    NotExecutable,
    #[error("insecure: {0}")]
    Insecure(String),
}

/// The user a script without its own `user` runs as: `script_user`, else
/// `keepalived_script` if that user exists, else the daemon's own user. `None` when none
/// can be used (script security on and neither `script_user` nor `keepalived_script`
/// resolves).
pub fn default_run_as(global: &GlobalDefs) -> Option<RunAs> {
    match &global.script_user {
        Some((user, group)) => resolve_user(user, group.as_deref()),
        None => match resolve_user(DEFAULT_SCRIPT_USER, None) {
            Some(r) => Some(r),
            None if global.enable_script_security => {
                log::info!("Unable to set default user {DEFAULT_SCRIPT_USER} for script");
                None
            }
            None => Some(RunAs::ourselves()),
        },
    }
}

/// uid/gid of `user` (its primary group, or `group` when given).
pub fn resolve_user(user: &str, group: Option<&str>) -> Option<RunAs> {
    let pw = match nix::unistd::User::from_name(user) {
        Ok(Some(pw)) => pw,
        _ => {
            log::info!("Script user '{user}' does not exist");
            return None;
        }
    };
    let gid = match group {
        None => pw.gid.as_raw(),
        Some(g) => match nix::unistd::Group::from_name(g) {
            Ok(Some(gr)) => gr.gid.as_raw(),
            _ => {
                log::info!("Script group '{g}' does not exist");
                return None;
            }
        },
    };
    Some(RunAs {
        uid: pw.uid.as_raw(),
        gid,
    })
}

/// Prepares `script` (`kind` names it in logs: "vrrp", "notify", …) with keepalived's
/// checks, logging what keepalived logs.
pub fn prepare(
    script: &Script,
    global: &GlobalDefs,
    kind: &str,
) -> Result<PreparedScript, Refusal> {
    let mut args = split_words(&script.command).inspect_err(|e| {
        log::info!("{e}");
        log::info!("Unable to parse script '{}' - ignoring", script.command);
    })?;
    let run_as = match script.user.as_deref() {
        Some((user, group)) => resolve_user(user, group.as_deref()).ok_or_else(|| {
            log::info!(
                "Invalid user/group for {kind} script {} - ignoring",
                args[0].to_string_lossy()
            );
            Refusal::User(user.clone())
        })?,
        None => default_run_as(global).ok_or_else(|| {
            log::info!(
                "Failed to set default user for {kind} script {} - ignoring",
                args[0].to_string_lossy()
            );
            Refusal::User(DEFAULT_SCRIPT_USER.into())
        })?,
    };
    prepare_args(&mut args, run_as, global.enable_script_security).map(|(mode, insecure)| {
        PreparedScript {
            args,
            run_as,
            mode,
            insecure,
        }
    })
}

/// The file checks of `check_script_secure`, rewriting `args[0]` to the resolved path.
fn prepare_args(
    args: &mut [OsString],
    run_as: RunAs,
    script_security: bool,
) -> Result<(ExecMode, bool), Refusal> {
    let program = args[0].as_bytes();
    // `</path` (possibly with blanks after '<') only tests that a file can be opened.
    if program.first() == Some(&b'<') {
        let after = program[1..].iter().position(|b| *b != b' ' && *b != b'\t');
        if after.is_some_and(|p| program[1 + p] == b'/') {
            return Ok((ExecMode::Shell, false));
        }
    }
    if !program.contains(&b'/') {
        let found = search_path(&args[0], run_as).inspect_err(|e| {
            let name = args[0].to_string_lossy();
            match e {
                Refusal::NotExecutable => {
                    log::info!("Permissions failure for script {name} in path - disabling")
                }
                _ => log::info!("Cannot find script {name} in path - disabling"),
            }
        })?;
        log::info!(
            "WARNING - script `{}` resolved by path search to `{}`. Please specify full path.",
            args[0].to_string_lossy(),
            found.display()
        );
        args[0] = found.into_os_string();
    }
    let given = PathBuf::from(&args[0]);
    let real = std::fs::canonicalize(&given).map_err(|e| {
        log::info!("Script {} cannot be accessed - {e}", given.display());
        Refusal::NotFound
    })?;
    // Keep the name the script was called by when it is a symlink to a differently named
    // file in the same directory (some programs change behaviour with their name).
    let exec_path = keep_invoked_name(&given, &real);
    args[0] = exec_path.clone().into_os_string();
    let meta = std::fs::metadata(&real).map_err(|_| {
        log::info!(
            "Unable to access script `{}` - disabling",
            exec_path.display()
        );
        Refusal::NotFound
    })?;
    if !is_executable(&meta, run_as) {
        log::info!(
            "WARNING - script '{}' is not executable for uid:gid {}:{} - disabling.",
            exec_path.display(),
            run_as.uid,
            run_as.gid
        );
        return Err(Refusal::NotExecutable);
    }
    let mode = if starts_like_an_executable(&real) {
        ExecMode::Direct
    } else {
        log::info!("Please add a #! shebang to script {}", exec_path.display());
        ExecMode::Shell
    };
    let mode_bits = meta.permissions().mode();
    let privileged = run_as.uid == 0
        || run_as.gid == 0
        || (meta.uid() == 0 && mode_bits & 0o4100 == 0o4100)
        || (meta.gid() == 0 && mode_bits & 0o2010 == 0o2010);
    if !privileged {
        return Ok((mode, false));
    }
    let mut paths = vec![exec_path.clone()];
    if real != exec_path {
        paths.push(real);
    }
    for p in &paths {
        if let Some(why) = LocalHost.insecure_reason(p) {
            let suffix = if script_security { " - disabling" } else { "" };
            log::info!(
                "Unsafe permissions found for script '{}'{suffix}.",
                exec_path.display()
            );
            log::info!("Script '{}': {why}", exec_path.display());
            if script_security {
                return Err(Refusal::Insecure(why));
            }
            return Ok((mode, true));
        }
    }
    Ok((mode, false))
}

/// keepalived's `find_path`: the first regular file in `$PATH` executable by `run_as`.
fn search_path(program: &OsStr, run_as: RunAs) -> Result<PathBuf, Refusal> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    let mut denied = false;
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(program);
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() && is_executable(&meta, run_as) {
                return Ok(candidate);
            }
            denied = true;
        }
    }
    Err(if denied {
        Refusal::NotExecutable
    } else {
        Refusal::NotFound
    })
}

fn keep_invoked_name(given: &Path, real: &Path) -> PathBuf {
    match (given.file_name(), real.file_name(), real.parent()) {
        (Some(g), Some(r), Some(dir)) if g != r => {
            let renamed = dir.join(g);
            let same = |a: &Path, b: &Path| match (std::fs::metadata(a), std::fs::metadata(b)) {
                (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
                _ => false,
            };
            if same(&renamed, real) {
                renamed
            } else {
                real.to_path_buf()
            }
        }
        _ => real.to_path_buf(),
    }
}

/// keepalived's `is_executable`: root needs any x bit; the owner the user bit; members of
/// the file's group the group bit; everyone else the other bit.
fn is_executable(meta: &std::fs::Metadata, run_as: RunAs) -> bool {
    let mode = meta.permissions().mode();
    if !meta.is_file() {
        return false;
    }
    (run_as.uid == 0 && mode & 0o111 != 0)
        || (run_as.uid == meta.uid() && mode & 0o100 != 0)
        || (run_as.uid != meta.uid()
            && ((run_as.gid == meta.gid() && mode & 0o010 != 0)
                || (run_as.gid != meta.gid() && mode & 0o001 != 0)))
}

/// What libmagic would call an executable: an ELF file or a `#!` script.
fn starts_like_an_executable(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n].starts_with(b"#!") || head[..n].starts_with(b"\x7fELF")
}

impl PreparedScript {
    /// A command starting the script with `extra` arguments appended (the generic
    /// notify's `INSTANCE name STATE prio`, a FIFO script's path).
    pub fn command(&self, extra: &[&OsStr]) -> tokio::process::Command {
        let mut words = self.args.clone();
        words.extend(extra.iter().map(|e| e.to_os_string()));
        let mut cmd = match self.mode {
            ExecMode::Direct => {
                let mut c = tokio::process::Command::new(&words[0]);
                c.args(&words[1..]);
                c
            }
            ExecMode::Shell => {
                let mut c = tokio::process::Command::new("/bin/sh");
                c.arg("-c").arg(shell_command_line(&words));
                c
            }
        };
        prepare_script_command(&mut cmd, self.run_as);
        cmd
    }

    /// The command line as keepalived prints it in its messages.
    pub fn display(&self) -> String {
        shell_command_line(&self.args)
            .to_string_lossy()
            .into_owned()
    }

    /// The exit status keepalived's intermediate `system()` child would report for a
    /// shell-run script: "command not found" (127) and "cannot execute" (126) are logged
    /// and count as success.
    pub fn effective_exit_code(&self, code: i32) -> i32 {
        if self.mode != ExecMode::Shell {
            return code;
        }
        match code {
            127 => {
                log::error!("Couldn't find command: {}", self.display());
                0
            }
            126 => {
                log::error!("Couldn't execute command: {}", self.display());
                0
            }
            c => c,
        }
    }
}
