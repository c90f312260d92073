//! Readers of the `global_defs` settings that shape the VRRP process itself rather than
//! its instances: the scripts run around it (`startup_script`, `shutdown_script` and their
//! timeouts), its nice value (`vrrp_priority`), its CPUs (`vrrp_cpu_affinity`) and its
//! `umask`. Each
//! keeps keepalived 2.2.7's range and its message for a value out of range.

use super::address::script_value;
use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{GlobalDefs, Script};
use crate::config::syntax::Node;
use std::time::Duration;

/// The largest CPU number `vrrp_cpu_affinity` accepts: the kernel's `cpu_set_t` holds
/// 1024 CPUs. keepalived's range is the CPUs online where it reads the file; a CPU this
/// host does not have is reported when the daemon applies the set.
const MAX_CPU: i64 = 1023;

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
    match cx.int(arg, 1, 1000) {
        Some(secs) => *slot = Some(Duration::from_secs(secs as u64)),
        None => cx.push(Diagnostic::error(
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
    match cx.int(arg, -20, 19) {
        Some(v) => t.scheduling.vrrp_priority = Some(v as i8),
        None => {
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
        match cx.int(arg, 0, MAX_CPU) {
            Some(cpu) => {
                if !cpus.contains(&(cpu as usize)) {
                    cpus.push(cpu as usize)
                }
            }
            None => {
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

/// The permission bits a umask may hold.
const MODE_BITS: u32 = 0o777;

/// The names `umask` accepts for its bits (`S_IRUSR` … without the `S_`).
const UMASK_BITS: [(&str, u32); 9] = [
    ("IRUSR", 0o400),
    ("IWUSR", 0o200),
    ("IXUSR", 0o100),
    ("IRGRP", 0o040),
    ("IWGRP", 0o020),
    ("IXGRP", 0o010),
    ("IROTH", 0o004),
    ("IWOTH", 0o002),
    ("IXOTH", 0o001),
];

/// A number as C's `strtol` with base 0 reads it: `0x` hexadecimal, a leading `0` octal,
/// else decimal.
fn c_number(text: &str) -> Option<u32> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).ok()
    } else {
        text.parse().ok()
    }
}

/// `umask 027` or `umask IWGRP | IWOTH` (the bits may be written with or without spaces
/// around `|`). Anything keepalived refuses leaves the umask as it was.
pub fn umask(cx: &mut Lower, t: &mut GlobalDefs, n: &Node) {
    let Some(first) = n.args.first() else {
        cx.push(Diagnostic::error(n.keyword.span, "umask missing bit value"));
        return;
    };
    if first.text.starts_with(|c: char| c.is_ascii_digit()) {
        if n.args.len() != 1 {
            cx.push(Diagnostic::error(
                n.args[1].span,
                "Extra parameter(s) to umask option",
            ));
            return;
        }
        match c_number(&first.text) {
            Some(v) if v & !MODE_BITS == 0 => t.umask = Some(v),
            _ => cx.push(Diagnostic::error(
                first.span,
                format!("invalid umask value {}", first.text),
            )),
        }
        return;
    }
    let (mut bits, mut need_or) = (0, false);
    for arg in &n.args {
        let mut rest = arg.text.as_str();
        while !rest.is_empty() {
            if need_or {
                match rest.strip_prefix('|') {
                    Some(r) => (rest, need_or) = (r, false),
                    None => {
                        let m = format!("Invalid umask syntax {}", arg.text);
                        return cx.push(Diagnostic::error(arg.span, m));
                    }
                }
                continue;
            }
            match UMASK_BITS.iter().find(|(name, _)| rest.starts_with(name)) {
                Some((name, bit)) => {
                    bits |= bit;
                    rest = &rest[name.len()..];
                    need_or = true;
                }
                None => {
                    let m = format!("Unknown umask bit {rest}");
                    return cx.push(Diagnostic::error(arg.span, m));
                }
            }
        }
    }
    if !need_or {
        cx.push(Diagnostic::error(n.keyword.span, "umask missing bit value"));
        return;
    }
    t.umask = Some(bits);
}

#[cfg(test)]
mod tests {
    use crate::config::check_text;
    use std::time::Duration;

    /// The global settings of `lines`, and the messages of the findings.
    fn read(lines: &str) -> (crate::config::model::GlobalDefs, Vec<String>) {
        let c = check_text(&format!("global_defs {{\n{lines}\n}}\n"));
        let msgs = c.diagnostics.iter().map(|d| d.message.clone()).collect();
        (c.config.global, msgs)
    }

    #[test]
    fn umask_reads_c_numbers_and_bit_names_as_keepalived() {
        assert_eq!(read("umask 027").0.umask, Some(0o27));
        assert_eq!(read("umask 0x12").0.umask, Some(0o22));
        assert_eq!(read("umask 18").0.umask, Some(0o22));
        assert_eq!(read("umask IWGRP|IWOTH").0.umask, Some(0o22));
        assert_eq!(read("umask IWGRP | IWOTH | IXOTH").0.umask, Some(0o23));
        assert_eq!(read("umask 01000").1, ["invalid umask value 01000"]);
        assert_eq!(read("umask IWGRP|").1, ["umask missing bit value"]);
        assert_eq!(read("umask IWGRPX").1, ["Invalid umask syntax IWGRPX"]);
        assert_eq!(read("umask X").1, ["Unknown umask bit X"]);
        assert_eq!(
            read("umask 022 7").1,
            ["Extra parameter(s) to umask option"]
        );
    }

    #[test]
    fn process_settings_keep_keepalived_ranges() {
        let (g, msgs) = read("vrrp_priority -5\nvrrp_cpu_affinity 1 0 1");
        assert_eq!(g.scheduling.vrrp_priority, Some(-5));
        assert_eq!(g.scheduling.vrrp_cpu_affinity, [1, 0]);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (g, msgs) = read("vrrp_priority 20\nvrrp_cpu_affinity 0 x");
        assert_eq!(g.scheduling.vrrp_priority, None);
        assert!(g.scheduling.vrrp_cpu_affinity.is_empty());
        assert_eq!(
            msgs,
            [
                "number '20' outside range [-20, 19]",
                "Invalid vrrp process priority specified",
                "invalid number 'x'",
                "Invalid cpu_id:x specified for vrrp process"
            ]
        );
    }

    #[test]
    fn start_stop_scripts_take_one_script_and_a_timeout_in_range() {
        let (g, msgs) = read(
            "startup_script \"/bin/true a\"\nstartup_script /bin/false\n\
             shutdown_script_timeout 1001\nstartup_script_timeout 3",
        );
        let s = &g.start_stop;
        assert_eq!(s.startup.as_ref().unwrap().command, "/bin/true a");
        assert_eq!(s.startup_timeout, Some(Duration::from_secs(3)));
        assert_eq!(s.shutdown_timeout, None);
        assert_eq!(
            msgs,
            [
                "startup script already specified",
                "number '1001' outside range [1, 1000]",
                "shutdown_script_timeout '1001' must be in [1, 1000] - ignoring"
            ]
        );
    }
}
