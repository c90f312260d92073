//! Readers of the `global_defs` settings that shape the VRRP process itself rather than
//! its instances: the scripts run around it (`startup_script`, `shutdown_script` and their
//! timeouts), its nice value (`vrrp_priority`) and its CPUs (`vrrp_cpu_affinity`). Each
//! keeps keepalived 2.2.7's range and its message for a value out of range.

use super::address::script_value;
use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{GlobalDefs, Script};
use crate::config::syntax::Node;
use std::time::Duration;

/// The largest CPU number `vrrp_cpu_affinity` accepts: the kernel's `cpu_set_t` holds
/// 1024 CPUs. keepalived also refuses CPUs that are not online; a CPU this host does not
/// have is reported when the daemon applies the set.
const MAX_CPU: usize = 1023;

/// `startup`/`shutdown`, as keepalived names the script in its messages.
fn kind(n: &Node) -> &'static str {
    if n.keyword.text.starts_with("startup") {
        "startup"
    } else {
        "shutdown"
    }
}

/// `startup_script` / `shutdown_script COMMAND [USER [GROUP]]`: one per file (a second is
/// an error and ignored).
pub fn start_stop_script(cx: &mut Lower, n: &Node, slot: &mut Option<Script>) {
    let kind = kind(n);
    if slot.is_some() {
        cx.push(Diagnostic::error(
            n.keyword.span,
            format!("{kind} script already specified"),
        ));
        return;
    }
    if n.args.is_empty() {
        cx.push(Diagnostic::error(
            n.keyword.span,
            format!("{kind} script missing"),
        ));
        return;
    }
    *slot = script_value(cx, n);
    let kw = n.keyword.text.to_string();
    cx.spans.global_keywords.insert(kw, n.keyword.span);
}

/// `startup_script_timeout` / `shutdown_script_timeout SECONDS` (1–1000).
pub fn start_stop_timeout(cx: &mut Lower, n: &Node, slot: &mut Option<Duration>) {
    let kind = kind(n);
    let Some(arg) = n.args.first() else {
        cx.push(Diagnostic::error(
            n.keyword.span,
            format!("{kind}_script_timeout requires value"),
        ));
        return;
    };
    match arg.text.parse::<u64>() {
        Ok(secs) if (1..=1000).contains(&secs) => *slot = Some(Duration::from_secs(secs)),
        _ => cx.push(Diagnostic::error(
            arg.span,
            format!(
                "{kind}_script_timeout '{}' must be in [1, 1000] - ignoring",
                arg.text
            ),
        )),
    }
}

/// Prints a start/stop script timeout back when written.
pub fn dump_timeout(d: &mut Dumper, kw: &str, v: Option<Duration>) {
    if let Some(v) = v {
        d.kv(kw, v.as_secs())
    }
}

/// `vrrp_priority -20..19`: keepalived leaves the priority at 0 (unchanged) when the value
/// is missing or out of range.
pub fn vrrp_priority(cx: &mut Lower, t: &mut GlobalDefs, n: &Node) {
    let Some(arg) = n.args.first() else {
        cx.push(Diagnostic::error(
            n.keyword.span,
            "No vrrp process priority specified",
        ));
        return;
    };
    match arg.text.parse::<i8>() {
        Ok(v) if (-20..=19).contains(&v) => t.scheduling.vrrp_priority = Some(v),
        _ => {
            t.scheduling.vrrp_priority = None;
            cx.push(Diagnostic::error(
                arg.span,
                "Invalid vrrp process priority specified",
            ))
        }
    }
}

/// `vrrp_cpu_affinity CPU…`: the first bad CPU number empties the set, as in keepalived.
pub fn vrrp_cpu_affinity(cx: &mut Lower, t: &mut GlobalDefs, n: &Node) {
    let cpus = &mut t.scheduling.vrrp_cpu_affinity;
    cpus.clear();
    if n.args.is_empty() {
        cx.push(Diagnostic::error(
            n.keyword.span,
            "No vrrp cpu_id set specified",
        ));
        return;
    }
    for arg in &n.args {
        match arg.text.parse::<usize>() {
            Ok(cpu) if cpu <= MAX_CPU => {
                if !cpus.contains(&cpu) {
                    cpus.push(cpu)
                }
            }
            _ => {
                cpus.clear();
                cx.push(Diagnostic::error(
                    arg.span,
                    format!("Invalid cpu_id:{} specified for vrrp process", arg.text),
                ));
                return;
            }
        }
    }
}
