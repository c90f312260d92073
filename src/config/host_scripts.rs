//! Who runs each script, and whether its file is there and safe — keepalived's script-user
//! and script-security rules, which depend on the host's users and files.
//!
//! keepalived resolves users while it reads the file ([`check_users`]): a global
//! `script_user` in `global_defs`, a `vrrp_script`'s `user` keyword, and otherwise a default
//! chosen once, at the first script that needs it (`keepalived_script` if that user exists,
//! else root — unless `enable_script_security` is on, which makes a missing
//! `keepalived_script` an error). A `vrrp_script` whose user cannot be set is removed, so
//! instances tracking it then report it missing; a notify script is dropped silently.
//!
//! Once the file is read ([`check_script_files`]) every remaining script is looked up: a
//! missing `vrrp_script` is disabled, a missing notify script dropped. Any script that exists
//! makes keepalived insist on `enable_script_security` (exit code 6 without it), and scripts
//! run by root must not be writable by anyone else.

use super::diag::{Diagnostic, Severity};
use super::host::Host;
use super::lower::Lower;
use super::model::{Config, Script};
use super::span::Span;
use rustc_hash::{FxHashMap, FxHashSet};

/// keepalived's default script user when none is configured.
const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// One script of the configuration, wherever it is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ScriptId {
    /// A `vrrp_script` block, by name.
    Vrrp(String),
    /// A notify keyword of a `vrrp_instance` (by index in `Config::instances`).
    Instance(usize, &'static str),
    /// A notify keyword of a `vrrp_sync_group` (by index in `Config::sync_groups`).
    Group(usize, &'static str),
    /// `notify_fifo_script` / `vrrp_notify_fifo_script` of `global_defs`.
    Fifo(&'static str),
    /// `startup_script` / `shutdown_script` of `global_defs`.
    StartStop(&'static str),
}

const INSTANCE_NOTIFIES: [&str; 7] = [
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify_deleted",
    "notify",
    "notify_master_rx_lower_pri",
];
const GROUP_NOTIFIES: [&str; 5] = [
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify",
];

/// Whether each surviving script runs as root (user or group root), as resolved by
/// [`check_users`].
#[derive(Debug, Default)]
pub struct ScriptUsers {
    runs_as_root: FxHashMap<ScriptId, bool>,
}

fn slot<'c>(cfg: &'c mut Config, id: &ScriptId) -> Option<&'c mut Option<Script>> {
    match id {
        ScriptId::Vrrp(_) => None,
        ScriptId::Instance(index, kw) => {
            let i = cfg.instances.get_mut(*index)?;
            Some(match *kw {
                "notify_backup" => &mut i.scripts.notify_backup,
                "notify_master" => &mut i.scripts.notify_master,
                "notify_fault" => &mut i.scripts.notify_fault,
                "notify_stop" => &mut i.scripts.notify_stop,
                "notify_deleted" => &mut i.scripts.notify_deleted,
                "notify" => &mut i.scripts.notify,
                _ => &mut i.scripts.notify_master_rx_lower_pri,
            })
        }
        ScriptId::Group(index, kw) => {
            let g = cfg.sync_groups.get_mut(*index)?;
            Some(match *kw {
                "notify_backup" => &mut g.notify_backup,
                "notify_master" => &mut g.notify_master,
                "notify_fault" => &mut g.notify_fault,
                "notify_stop" => &mut g.notify_stop,
                _ => &mut g.notify,
            })
        }
        ScriptId::Fifo(kw) => {
            let f = if *kw == "notify_fifo_script" {
                &mut cfg.global.notify_fifos.notify_fifo
            } else {
                &mut cfg.global.notify_fifos.vrrp_notify_fifo
            };
            f.as_mut().map(|f| &mut f.script)
        }
        ScriptId::StartStop(kw) => Some(if *kw == "startup_script" {
            &mut cfg.global.start_stop.startup
        } else {
            &mut cfg.global.start_stop.shutdown
        }),
    }
}

/// Every script with its user and where it was written, in the order keepalived reads them.
fn scripts_in_file_order(cfg: &Config, cx: &Lower) -> Vec<(ScriptId, Option<Span>, Script)> {
    let mut all = Vec::new();
    for (kw, fifo) in [
        ("notify_fifo_script", &cfg.global.notify_fifos.notify_fifo),
        (
            "vrrp_notify_fifo_script",
            &cfg.global.notify_fifos.vrrp_notify_fifo,
        ),
    ] {
        if let Some(s) = fifo.as_ref().and_then(|f| f.script.clone()) {
            all.push((ScriptId::Fifo(kw), None, s));
        }
    }
    for (kw, s) in [
        ("startup_script", &cfg.global.start_stop.startup),
        ("shutdown_script", &cfg.global.start_stop.shutdown),
    ] {
        if let Some(s) = s {
            let sp = cx.spans.global_keywords.get(kw).copied();
            all.push((ScriptId::StartStop(kw), sp, s.clone()));
        }
    }
    for s in &cfg.scripts {
        let sp = cx.spans.scripts.get(&s.name).copied();
        all.push((ScriptId::Vrrp(s.name.clone()), sp, s.script.clone()));
    }
    for (index, i) in cfg.instances.iter().enumerate() {
        let slots = [
            &i.scripts.notify_backup,
            &i.scripts.notify_master,
            &i.scripts.notify_fault,
            &i.scripts.notify_stop,
            &i.scripts.notify_deleted,
            &i.scripts.notify,
            &i.scripts.notify_master_rx_lower_pri,
        ];
        for (kw, s) in INSTANCE_NOTIFIES.into_iter().zip(slots) {
            if let Some(s) = s {
                let sp = cx.spans.instance_keyword(&i.name, kw).or(cx
                    .spans
                    .instances
                    .get(&i.name)
                    .copied());
                all.push((ScriptId::Instance(index, kw), sp, s.clone()));
            }
        }
    }
    for (index, g) in cfg.sync_groups.iter().enumerate() {
        let slots = [
            &g.notify_backup,
            &g.notify_master,
            &g.notify_fault,
            &g.notify_stop,
            &g.notify,
        ];
        for (kw, s) in GROUP_NOTIFIES.into_iter().zip(slots) {
            if let Some(s) = s {
                let sp = cx.spans.sync_groups.get(&g.name).copied();
                all.push((ScriptId::Group(index, kw), sp, s.clone()));
            }
        }
    }
    // Stable: scripts without a position (global FIFOs) stay first.
    all.sort_by_key(|(_, sp, _)| sp.map(|s| (s.file, s.line, s.col)));
    all
}

/// The default user, decided once, at the first script that needs it.
enum DefaultUser {
    Undecided,
    Failed,
    Resolved { root: bool },
}

/// Why a `USER [GROUP]` pair cannot be used on `host` (the user, else the group, is
/// unknown), or `None` when both resolve: keepalived looks the user up with `getpwnam` and
/// the group with `getgrnam`.
fn unresolvable(host: &dyn Host, user: &str, group: Option<&str>) -> Option<String> {
    if !host.user_exists(user) {
        return Some(format!("user '{user}' does not exist on this host"));
    }
    match group {
        Some(g) if !host.group_exists(g) => {
            Some(format!("group '{g}' does not exist on this host"))
        }
        _ => None,
    }
}

fn is_root(user: &str, group: Option<&str>) -> bool {
    user == "root" || group == Some("root")
}

/// keepalived's parse-time user resolution, replayed in file order against `host`. Removes
/// the `vrrp_script`s and notify scripts whose user cannot be set.
pub fn check_users(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) -> ScriptUsers {
    let security = cfg.global.enable_script_security;
    let mut default = DefaultUser::Undecided;
    if let Some((u, g)) = cfg.global.script_user.clone() {
        default = match unresolvable(host, &u, g.as_deref()) {
            None => DefaultUser::Resolved {
                root: is_root(&u, g.as_deref()),
            },
            Some(why) => {
                let sp = cx.spans.global_keywords.get("script_user").copied();
                cx.push(
                    Diagnostic::new(Severity::Error, sp, "Error setting global script uid/gid")
                        .with_hint(format!("{why}; scripts without their own user are removed"))
                        .host_dependent(),
                );
                DefaultUser::Failed
            }
        };
    }
    let mut users = ScriptUsers::default();
    let mut removed_vrrp = Vec::new();
    for (id, sp, script) in scripts_in_file_order(cfg, cx) {
        let root = match script.user.as_deref() {
            Some((u, g)) => {
                if let Some(why) = unresolvable(host, u, g.as_deref()) {
                    if let ScriptId::Vrrp(name) = &id {
                        let at = cx.spans.script_users.get(name).copied().or(sp);
                        let words: Vec<String> = script
                            .command
                            .split_whitespace()
                            .map(|w| format!("'{w}'"))
                            .collect();
                        cx.push(
                            Diagnostic::new(
                                Severity::Error,
                                at,
                                format!("Unable to set uid/gid for script {}", words.join(" ")),
                            )
                            .with_hint(why)
                            .host_dependent(),
                        );
                    }
                    None
                } else {
                    Some(is_root(u, g.as_deref()))
                }
            }
            None => {
                if let DefaultUser::Undecided = default {
                    default = if host.user_exists(DEFAULT_SCRIPT_USER) {
                        DefaultUser::Resolved { root: false }
                    } else if security {
                        cx.push(
                            Diagnostic::new(
                                Severity::Error,
                                sp,
                                format!("Unable to set default user {DEFAULT_SCRIPT_USER} for script"),
                            )
                            .with_hint("set script_user in global_defs, or create the keepalived_script user")
                            .host_dependent(),
                        );
                        DefaultUser::Failed
                    } else {
                        // keepalived runs the script as itself.
                        DefaultUser::Resolved { root: true }
                    };
                }
                match default {
                    DefaultUser::Resolved { root } => Some(root),
                    _ => {
                        if let ScriptId::Vrrp(name) = &id {
                            cx.push(
                                Diagnostic::new(
                                    Severity::Error,
                                    sp,
                                    format!("Unable to set default user for vrrp script {name} - removing"),
                                )
                                .host_dependent(),
                            );
                        }
                        None
                    }
                }
            }
        };
        match root {
            Some(root) => {
                users.runs_as_root.insert(id, root);
            }
            None => match &id {
                ScriptId::Vrrp(name) => removed_vrrp.push(name.clone()),
                other => {
                    if let Some(s) = slot(cfg, other) {
                        *s = None;
                    }
                }
            },
        }
    }
    if !removed_vrrp.is_empty() {
        let removed: FxHashSet<String> = removed_vrrp.into_iter().collect();
        cfg.scripts.retain(|s| !removed.contains(&s.name));
    }
    users
}

/// The program word of a command line (first word, quotes removed).
fn program_of(command: &str) -> &str {
    command
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c| c == '"' || c == '\'')
}

/// What keepalived finds when it looks a script up.
#[derive(Clone)]
enum Lookup {
    /// `</path`: a file-readability test, nothing is executed.
    NotExecuted,
    Missing(String),
    Found {
        insecure: Option<String>,
    },
}

/// Looks scripts up on the host, once per program and user class: thousands of instances
/// usually share a handful of notify and check programs, and each lookup costs system calls.
struct Finder<'h> {
    host: &'h dyn Host,
    seen: FxHashMap<(String, bool), Lookup>,
}

impl<'h> Finder<'h> {
    fn new(host: &'h dyn Host) -> Self {
        Finder {
            host,
            seen: FxHashMap::default(),
        }
    }

    fn look_up(&mut self, script: &Script, root: bool) -> Lookup {
        let cmd = script.command.trim_start();
        if cmd.starts_with('<') && cmd[1..].trim_start().starts_with('/') {
            return Lookup::NotExecuted;
        }
        let program = program_of(cmd);
        if let Some(found) = self.seen.get(&(program.to_string(), root)) {
            return found.clone();
        }
        let found = match self.host.find_program(program) {
            None => Lookup::Missing(program.to_string()),
            Some(path) => Lookup::Found {
                insecure: if root {
                    self.host.insecure_reason(&path)
                } else {
                    None
                },
            },
        };
        self.seen.insert((program.to_string(), root), found.clone());
        found
    }
}

/// keepalived's script security pass, run once the file is read (only when there are
/// instances). Disables missing and unsafe `vrrp_script`s (and the tracking of them), drops
/// missing notify scripts, and reports `SECURITY VIOLATION` (exit code 6) when scripts exist
/// but `enable_script_security` is off.
pub fn check_script_files(cfg: &mut Config, cx: &mut Lower, host: &dyn Host, users: &ScriptUsers) {
    if cfg.instances.is_empty() {
        return;
    }
    let security = cfg.global.enable_script_security;
    let mut finder = Finder::new(host);
    let mut any_script = false;
    let mut any_insecure = false;
    let mut disabled = Vec::new();
    for s in &cfg.scripts {
        let root = users
            .runs_as_root
            .get(&ScriptId::Vrrp(s.name.clone()))
            .copied()
            .unwrap_or(true);
        match finder.look_up(&s.script, root) {
            Lookup::NotExecuted => {}
            Lookup::Missing(program) => {
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
                disabled.push(s.name.clone());
            }
            Lookup::Found { insecure } => {
                any_script = true;
                if let Some(why) = insecure {
                    any_insecure = true;
                    if security {
                        cx.push(
                            Diagnostic::new(
                                Severity::Error,
                                None,
                                format!("Disabling track script {} due to insecure", s.name),
                            )
                            .with_hint(format!("it runs as root and {why}"))
                            .host_dependent(),
                        );
                        disabled.push(s.name.clone());
                    }
                }
            }
        }
    }
    if !disabled.is_empty() {
        let disabled: FxHashSet<String> = disabled.into_iter().collect();
        cfg.scripts.retain(|s| !disabled.contains(&s.name));
        for i in &mut cfg.instances {
            i.track.script.retain(|t| !disabled.contains(&t.name));
        }
        for g in &mut cfg.sync_groups {
            g.track_script.retain(|t| !disabled.contains(&t.name));
        }
    }
    let notifies: Vec<(ScriptId, Script)> = scripts_in_file_order(cfg, cx)
        .into_iter()
        .filter(|(id, _, _)| !matches!(id, ScriptId::Vrrp(_) | ScriptId::StartStop(_)))
        .map(|(id, _, s)| (id, s))
        .collect();
    let (notify_any, notify_insecure) = drop_unrunnable(cfg, &mut finder, users, notifies);
    if (any_script || notify_any) && !security {
        cx.push(security_violation(
            "scripts",
            any_insecure || notify_insecure,
            SECURITY_HINT,
        ));
    }
}

/// Looks up each script of `scripts` as the user it runs as and clears the keyword of any
/// that will not run: missing, not executable, or insecure while `enable_script_security`
/// is on. Returns whether any script exists and runs, and whether any of them is insecure.
fn drop_unrunnable(
    cfg: &mut Config,
    finder: &mut Finder<'_>,
    users: &ScriptUsers,
    scripts: Vec<(ScriptId, Script)>,
) -> (bool, bool) {
    let security = cfg.global.enable_script_security;
    let (mut any_script, mut any_insecure) = (false, false);
    for (id, script) in scripts {
        let root = users.runs_as_root.get(&id).copied().unwrap_or(true);
        let keep = match finder.look_up(&script, root) {
            Lookup::NotExecuted => true,
            Lookup::Missing(_) => false,
            Lookup::Found { insecure } => {
                any_script = true;
                any_insecure |= insecure.is_some();
                !(security && insecure.is_some())
            }
        };
        if !keep {
            if let Some(s) = slot(cfg, &id) {
                *s = None;
            }
        }
    }
    (any_script, any_insecure)
}

/// keepalived's `-t` exit-6 finding: `what` ("scripts", "start/shutdown scripts", "check
/// scripts") exist and run while `enable_script_security` is off.
fn security_violation(what: &str, any_insecure: bool, hint: &str) -> Diagnostic {
    let extra = if any_insecure {
        " There are insecure scripts."
    } else {
        ""
    };
    Diagnostic::new(
        Severity::Security,
        None,
        format!("SECURITY VIOLATION - {what} are being executed but script_security not enabled.{extra}"),
    )
    .with_hint(hint)
    .host_dependent()
}

/// The hint of the VRRP process's two security findings.
const SECURITY_HINT: &str = "add enable_script_security to global_defs (and a script_user), so keepalived refuses scripts others could modify";

/// keepalived's parent-process pass over `startup_script` / `shutdown_script`: one that
/// is missing, not executable or (with `enable_script_security`) insecure is not run, and
/// one that exists while `enable_script_security` is off makes `-t` exit 6 with a message
/// of its own.
pub fn check_start_stop_scripts(
    cfg: &mut Config,
    cx: &mut Lower,
    host: &dyn Host,
    users: &ScriptUsers,
) {
    let mut finder = Finder::new(host);
    let scripts: Vec<(ScriptId, Script)> = ["startup_script", "shutdown_script"]
        .into_iter()
        .map(ScriptId::StartStop)
        .filter_map(|id| {
            let script = slot(cfg, &id).and_then(|s| s.clone())?;
            Some((id, script))
        })
        .collect();
    let (any_script, any_insecure) = drop_unrunnable(cfg, &mut finder, users, scripts);
    if any_script && !cfg.global.enable_script_security {
        cx.push(security_violation(
            "start/shutdown scripts",
            any_insecure,
            SECURITY_HINT,
        ));
    }
}

/// keepalived's checker-process script security pass: when the file's LVS blocks name
/// scripts (`notify_up`, `quorum_up`, `misc_path`, …) that exist on this host and
/// `enable_script_security` is off, `-t` exits 6. This build never runs those scripts; the
/// finding is reproduced so that `-t` judges the file as keepalived does.
pub fn check_checker_scripts(cfg: &Config, cx: &mut Lower, host: &dyn Host) {
    if cfg.global.enable_script_security || cx.lvs.servers.is_empty() {
        return;
    }
    let mut finder = Finder::new(host);
    let mut found = false;
    let mut insecure = false;
    for command in &cx.lvs.scripts {
        let script = Script {
            command: command.clone(),
            user: None,
        };
        if let Lookup::Found { insecure: why } = finder.look_up(&script, true) {
            found = true;
            insecure |= why.is_some();
        }
    }
    if found {
        cx.push(
            security_violation(
                "check scripts",
                insecure,
                "add enable_script_security to global_defs; keepalived's checker process runs these scripts unprotected without it (this build runs none of them)",
            )
            .not_run(),
        );
    }
}
