//! Checks that depend on the machine the configuration is checked on: interfaces, users,
//! script files and their permissions. `--skip-host-checks` turns them off so a file can be
//! validated on a build or CI machine other than the one that will run it.

use super::diag::{Diagnostic, Severity};
use super::lower::Lower;
use super::model::Config;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What the checks need to know about the host (a trait so tests can describe a host).
pub trait Host {
    fn interface_exists(&self, name: &str) -> bool;
    fn user_exists(&self, name: &str) -> bool;
    /// Resolves a script's program (absolute, or by `$PATH`) to an executable file.
    fn find_program(&self, program: &str) -> Option<PathBuf>;
    /// Permission problems of a path for a script run as root, as keepalived judges them.
    fn insecure_reason(&self, path: &Path) -> Option<String>;
}

/// The machine we run on.
pub struct LocalHost;

impl Host for LocalHost {
    fn interface_exists(&self, name: &str) -> bool {
        nix::net::if_::if_nametoindex(name).is_ok()
    }
    fn user_exists(&self, name: &str) -> bool {
        matches!(nix::unistd::User::from_name(name), Ok(Some(_)))
    }
    fn find_program(&self, program: &str) -> Option<PathBuf> {
        let is_exec = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        };
        if program.contains('/') {
            let p = PathBuf::from(program);
            return is_exec(&p).then_some(p);
        }
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into());
        path.split(':')
            .map(|d| Path::new(d).join(program))
            .find(|p| is_exec(p))
    }
    fn insecure_reason(&self, path: &Path) -> Option<String> {
        // Every component must be root-owned and not writable by group/other (directories
        // with the sticky bit may be writable), as keepalived's script security requires.
        let mut p = path.to_path_buf();
        loop {
            let m = std::fs::metadata(&p).ok()?;
            let mode = m.permissions().mode();
            if m.uid() != 0 {
                return Some(format!(
                    "{} is owned by uid {}, not root",
                    p.display(),
                    m.uid()
                ));
            }
            let sticky_dir = m.is_dir() && mode & 0o1000 != 0;
            if !sticky_dir && mode & 0o002 != 0 {
                return Some(format!(
                    "{} is world-writable (mode {:o})",
                    p.display(),
                    mode & 0o7777
                ));
            }
            if !sticky_dir && mode & 0o020 != 0 && m.gid() != 0 {
                return Some(format!(
                    "{} is writable by group {} (mode {:o})",
                    p.display(),
                    m.gid(),
                    mode & 0o7777
                ));
            }
            if !p.pop() || p.as_os_str().is_empty() {
                return None;
            }
        }
    }
}

/// keepalived's default script user when none is configured.
const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// The program word of a command line (first word, quotes removed).
fn program_of(command: &str) -> &str {
    command
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c| c == '"' || c == '\'')
}

/// User checks, run before completion (a script whose user cannot be set is removed, so
/// instances tracking it then report it missing — keepalived's order).
pub fn check_users(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) {
    let global_user_ok = match &cfg.global.script_user {
        Some((u, _)) if !host.user_exists(u) => {
            cx.push(
                Diagnostic::new(Severity::Error, None, "Error setting global script uid/gid")
                    .with_hint(format!("user '{u}' does not exist on this host"))
                    .host_dependent(),
            );
            false
        }
        Some(_) => true,
        None => false,
    };
    let default_user_exists = host.user_exists(DEFAULT_SCRIPT_USER);
    let security = cfg.global.enable_script_security;
    let mut warned_default = false;
    let mut keep = Vec::new();
    for s in std::mem::take(&mut cfg.scripts) {
        let sp = cx.spans.scripts.get(&s.name).copied();
        if let Some((u, _)) = &s.script.user {
            let sp = cx
                .spans
                .instance_keywords
                .get(&(s.name.clone(), "user".to_string()))
                .copied()
                .or(sp);
            if !host.user_exists(u) {
                let words: Vec<String> = s
                    .script
                    .command
                    .split_whitespace()
                    .map(|w| format!("'{w}'"))
                    .collect();
                cx.push(
                    Diagnostic::new(
                        Severity::Error,
                        sp,
                        format!("Unable to set uid/gid for script {}", words.join(" ")),
                    )
                    .with_hint(format!("user '{u}' does not exist on this host"))
                    .host_dependent(),
                );
                continue;
            }
        } else if security && !global_user_ok && !default_user_exists {
            if cfg.global.script_user.is_none() && !warned_default {
                cx.push(
                    Diagnostic::new(
                        Severity::Error,
                        sp,
                        format!("Unable to set default user {DEFAULT_SCRIPT_USER} for script"),
                    )
                    .with_hint(
                        "set script_user in global_defs, or create the keepalived_script user",
                    )
                    .host_dependent(),
                );
                warned_default = true;
            }
            cx.push(
                Diagnostic::new(
                    Severity::Error,
                    sp,
                    format!(
                        "Unable to set default user for vrrp script {} - removing",
                        s.name
                    ),
                )
                .host_dependent(),
            );
            continue;
        }
        keep.push(s);
    }
    cfg.scripts = keep;
}

/// Interface and script-file checks, run after completion.
pub fn check_host(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) {
    let mut missing_if = false;
    for inst in &cfg.instances {
        if let Some(ifname) = &inst.interface {
            if !host.interface_exists(ifname) {
                let sp = cx
                    .spans
                    .instance_keywords
                    .get(&(inst.name.clone(), "interface".into()))
                    .copied();
                cx.push(
                    Diagnostic::new(
                        Severity::Error,
                        sp,
                        format!(
                            "WARNING - interface {ifname} for vrrp_instance {} doesn't exist",
                            inst.name
                        ),
                    )
                    .with_hint(
                        "check the name with 'ip link'; the instance cannot start without it",
                    )
                    .host_dependent(),
                );
                missing_if = true;
            }
        }
        for t in &inst.track_interface {
            if !host.interface_exists(&t.name) {
                let sp = cx
                    .spans
                    .track_refs
                    .get(&(inst.name.clone(), t.name.clone()))
                    .copied();
                cx.push(
                    Diagnostic::new(
                        Severity::Error,
                        sp,
                        format!("({}) tracked interface {} doesn't exist", inst.name, t.name),
                    )
                    .host_dependent(),
                );
            }
        }
    }
    if missing_if {
        cx.push(
            Diagnostic::new(
                Severity::Error,
                None,
                "Non-existent interface specified in configuration",
            )
            .host_dependent(),
        );
    }
    // Script files.
    let mut runs_as_root = false;
    let root_user = |u: &Option<(String, Option<String>)>| match u {
        Some((u, _)) => u == "root",
        None => match &cfg.global.script_user {
            Some((g, _)) => g == "root",
            None => !host.user_exists(DEFAULT_SCRIPT_USER),
        },
    };
    let mut keep = Vec::new();
    for s in std::mem::take(&mut cfg.scripts) {
        let tracked = cfg
            .instances
            .iter()
            .any(|i| i.track_script.iter().any(|t| t.name == s.name))
            || cfg
                .sync_groups
                .iter()
                .any(|g| g.track_script.iter().any(|t| t.name == s.name));
        if !tracked {
            keep.push(s);
            continue;
        }
        let program = program_of(&s.script.command);
        match host.find_program(program) {
            None => {
                cx.push(
                    Diagnostic::new(
                        Severity::Error,
                        None,
                        format!(
                            "Disabling track script {} since not found/accessible",
                            s.name
                        ),
                    )
                    .with_hint(format!(
                        "'{program}' is not an executable file on this host"
                    ))
                    .host_dependent(),
                );
                continue;
            }
            Some(path) => {
                if root_user(&s.script.user) {
                    runs_as_root = true;
                    if cfg.global.enable_script_security {
                        if let Some(why) = host.insecure_reason(&path) {
                            cx.push(
                                Diagnostic::new(
                                    Severity::Security,
                                    None,
                                    format!(
                                        "Unsafe permissions found for script '{}' - disabling.",
                                        s.script.command
                                    ),
                                )
                                .with_hint(why)
                                .host_dependent(),
                            );
                            continue;
                        }
                    }
                }
            }
        }
        keep.push(s);
    }
    cfg.scripts = keep;
    let notify_scripts = cfg.instances.iter().flat_map(|i| {
        [
            &i.notify_master,
            &i.notify_backup,
            &i.notify_fault,
            &i.notify_stop,
            &i.notify,
            &i.notify_master_rx_lower_pri,
        ]
    });
    for s in notify_scripts.flatten() {
        if host.find_program(program_of(&s.command)).is_some() && root_user(&s.user) {
            runs_as_root = true;
        }
    }
    if runs_as_root && !cfg.global.enable_script_security {
        cx.push(Diagnostic::new(Severity::Security, None, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
            .with_hint("add enable_script_security to global_defs (and script_user), or run scripts as an unprivileged user").host_dependent());
    }
}
