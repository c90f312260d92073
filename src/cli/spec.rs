//! The one table of command-line options: parsing, `--help` and the docs all read it, so
//! they cannot drift apart (the ripgrep `flags/defs.rs` idea).
//!
//! Names, short letters, argument kinds and help wording follow keepalived 2.2.7 (which is a
//! superset of 1.1.19's popt table and of 1.2.x–1.4.x). Our own options come last.

/// Every option this program understands, keepalived's first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum OptId {
    UseFile,
    Vrrp,
    Check,
    NoBfd,
    All,
    LogConsole,
    LogDetail,
    LogFacility,
    LogFile,
    FlushLogFile,
    NoSyslog,
    Umask,
    ReleaseVips,
    DontReleaseVrrp,
    DontReleaseIpvs,
    DontRespawn,
    DontFork,
    DumpConf,
    Pid,
    VrrpPid,
    Genhash,
    CheckersPid,
    AddressMonitoring,
    BfdPid,
    Snmp,
    SnmpAgentSocket,
    Namespace,
    CoreDump,
    CoreDumpPattern,
    AllConfig,
    ConfigId,
    Signum,
    ConfigTest,
    Version,
    Help,
    // Ours.
    CheckConfig,
    CheckReload,
    Format,
    SkipHostChecks,
}

/// Whether an option takes a value, with GNU `getopt_long` semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// `-n`, `--dont-fork`.
    None,
    /// `-f FILE`, `-fFILE`, `--use-file FILE`, `--use-file=FILE`.
    Required,
    /// Only attached: `-gFILE`, `--log-file=FILE`. A separate word is *not* the value
    /// (`-t FILE` is `-t` plus a stray argument), exactly as getopt's `::` options.
    Optional,
}

/// One row of the table.
#[derive(Debug)]
pub(crate) struct OptSpec {
    pub id: OptId,
    pub short: Option<char>,
    pub long: &'static str,
    pub arg: ArgKind,
    /// Left column of `--help`, e.g. `-f, --use-file=FILE`.
    pub usage: &'static str,
    /// Help text; later lines are continuation lines (keepalived indents them one more).
    pub help: &'static [&'static str],
}

const fn opt(
    id: OptId,
    short: Option<char>,
    long: &'static str,
    arg: ArgKind,
    usage: &'static str,
    help: &'static [&'static str],
) -> OptSpec {
    OptSpec {
        id,
        short,
        long,
        arg,
        usage,
        help,
    }
}

use ArgKind::{None as NoArg, Optional, Required};
use OptId::*;

/// The table. Order = order in `--help` (keepalived 2.2.7's order, ours appended).
#[rustfmt::skip]
pub(crate) static OPTIONS: &[OptSpec] = &[
    opt(UseFile, Some('f'), "use-file", Required, "-f, --use-file=FILE", &[
        "Use the specified configuration file",
        " default '/etc/keepalived/keepalived.conf'",
    ]),
    opt(Vrrp, Some('P'), "vrrp", NoArg, "-P, --vrrp", &["Only run with VRRP subsystem"]),
    opt(Check, Some('C'), "check", NoArg, "-C, --check", &["Only run with Health-checker subsystem"]),
    opt(NoBfd, Some('B'), "no_bfd", NoArg, "-B, --no_bfd", &["Don't run BFD subsystem"]),
    opt(All, None, "all", NoArg, "--all", &[
        "Force all child processes to run, even if have no configuration",
    ]),
    opt(LogConsole, Some('l'), "log-console", NoArg, "-l, --log-console", &["Log messages to local console"]),
    opt(LogDetail, Some('D'), "log-detail", NoArg, "-D, --log-detail", &["Detailed log messages"]),
    opt(LogFacility, Some('S'), "log-facility", Required, "-S, --log-facility=([0-7]|local[0-7]|user|daemon)", &[
        "Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)",
    ]),
    opt(LogFile, Some('g'), "log-file", Optional, "-g, --log-file=FILE", &[
        "Also log to FILE (default $TMPDIR/keepalived.log)",
    ]),
    opt(FlushLogFile, None, "flush-log-file", NoArg, "--flush-log-file", &["Flush log file on write"]),
    opt(NoSyslog, Some('G'), "no-syslog", NoArg, "-G, --no-syslog", &["Don't log via syslog"]),
    opt(Umask, Some('u'), "umask", Required, "-u, --umask=MASK", &["umask for file creation (in numeric form)"]),
    opt(ReleaseVips, Some('X'), "release-vips", NoArg, "-X, --release-vips", &["Drop VIP on transition from signal."]),
    opt(DontReleaseVrrp, Some('V'), "dont-release-vrrp", NoArg, "-V, --dont-release-vrrp", &[
        "Don't remove VRRP VIPs and VROUTEs on daemon stop",
    ]),
    opt(DontReleaseIpvs, Some('I'), "dont-release-ipvs", NoArg, "-I, --dont-release-ipvs", &[
        "Don't remove IPVS topology on daemon stop",
    ]),
    opt(DontRespawn, Some('R'), "dont-respawn", NoArg, "-R, --dont-respawn", &["Don't respawn child processes"]),
    opt(DontFork, Some('n'), "dont-fork", NoArg, "-n, --dont-fork", &["Don't fork the daemon process"]),
    opt(DumpConf, Some('d'), "dump-conf", NoArg, "-d, --dump-conf", &["Dump the configuration data"]),
    opt(Pid, Some('p'), "pid", Required, "-p, --pid=FILE", &["Use specified pidfile for parent process"]),
    opt(VrrpPid, Some('r'), "vrrp_pid", Required, "-r, --vrrp_pid=FILE", &[
        "Use specified pidfile for VRRP child process",
    ]),
    opt(Genhash, Some('T'), "genhash", NoArg, "-T, --genhash", &[
        "Enter into genhash utility mode (this should be the first option used).",
    ]),
    opt(CheckersPid, Some('c'), "checkers_pid", Required, "-c, --checkers_pid=FILE", &[
        "Use specified pidfile for checkers child process",
    ]),
    opt(AddressMonitoring, Some('a'), "address-monitoring", NoArg, "-a, --address-monitoring", &[
        "Report all address additions/deletions notified via netlink",
    ]),
    opt(BfdPid, Some('b'), "bfd_pid", Required, "-b, --bfd_pid=FILE", &[
        "Use specified pidfile for BFD child process",
    ]),
    opt(Snmp, Some('x'), "snmp", NoArg, "-x, --snmp", &["Enable SNMP subsystem"]),
    opt(SnmpAgentSocket, Some('A'), "snmp-agent-socket", Required, "-A, --snmp-agent-socket=FILE", &[
        "Use the specified socket for master agent",
    ]),
    opt(Namespace, Some('s'), "namespace", Required, "-s, --namespace=NAME", &[
        "Run in network namespace NAME (overrides config)",
    ]),
    opt(CoreDump, Some('m'), "core-dump", NoArg, "-m, --core-dump", &["Produce core dump if terminate abnormally"]),
    opt(CoreDumpPattern, Some('M'), "core-dump-pattern", Optional, "-M, --core-dump-pattern=PATN", &[
        "Also set /proc/sys/kernel/core_pattern to PATN (default 'core')",
    ]),
    opt(AllConfig, Some('e'), "all-config", NoArg, "-e, --all-config", &[
        "Error if any configuration file missing (same as includet)",
    ]),
    opt(ConfigId, Some('i'), "config-id", Required, "-i, --config-id id", &[
        "Skip any configuration lines beginning '@' that don't match id",
        " or any lines beginning @^ that do match.",
        " The config-id defaults to the node name if option not used",
    ]),
    opt(Signum, None, "signum", Required, "--signum=SIGFUNC", &[
        "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON",
    ]),
    opt(ConfigTest, Some('t'), "config-test", Optional, "-t, --config-test[=LOG_FILE]", &[
        "Check the configuration for obvious errors, output to",
        " stderr by default",
    ]),
    opt(Version, Some('v'), "version", NoArg, "-v, --version", &["Display the version number"]),
    opt(Help, Some('h'), "help", NoArg, "-h, --help", &["Display this help message"]),
    opt(CheckConfig, None, "check-config", Optional, "--check-config[=LOG_FILE]", &["Same as -t"]),
    opt(CheckReload, None, "check-reload", NoArg, "--check-reload", &[
        "Exit 0 if a running daemon would apply the configuration",
        " on reload, else print why and exit with the status it",
        " would stop with at start-up (used by the init script)",
    ]),
    opt(Format, None, "format", Required, "--format=FORMAT", &[
        "How -t reports problems: human (rustc style, the default",
        " when stderr is a terminal), keepalived ('(FILE: Line N) msg',",
        " the default otherwise) or json (one object per line)",
    ]),
    opt(SkipHostChecks, None, "skip-host-checks", NoArg, "--skip-host-checks", &[
        "With -t, skip checks that depend on this host",
        " (interfaces, script files, users)",
    ]),
];

/// Column where help text starts (keepalived's layout).
const HELP_COLUMN: usize = 31;

/// `--help` text for `prog` (keepalived prints `argv[0]` in the first line).
pub(crate) fn usage(prog: &str) -> String {
    let mut out = format!("Usage: {prog} [OPTION...]\n");
    for spec in OPTIONS {
        // Options without a short letter are indented as if they had one.
        let left = if spec.short.is_some() {
            format!("  {}", spec.usage)
        } else {
            format!("      {}", spec.usage)
        };
        let mut lines = spec.help.iter();
        if let Some(first) = lines.next() {
            if left.len() < HELP_COLUMN {
                out.push_str(&format!("{left:<HELP_COLUMN$}{first}\n"));
            } else if left.len() == HELP_COLUMN - 1 {
                out.push_str(&format!("{left} {first}\n"));
            } else {
                out.push_str(&format!("{left}\n{:HELP_COLUMN$}{first}\n", ""));
            }
        }
        for more in lines {
            out.push_str(&format!("{:HELP_COLUMN$}{more}\n", ""));
        }
    }
    out
}

/// Looks up a short option letter.
pub(crate) fn by_short(c: char) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|s| s.short == Some(c))
}

/// Looks up a long option by exact name or, like `getopt_long`, by an unambiguous prefix
/// (`--vers` is `--version`; `--al` matches `--all` and `--all-config` and is unknown).
pub(crate) fn by_long(name: &str) -> Option<&'static OptSpec> {
    if let Some(exact) = OPTIONS.iter().find(|s| s.long == name) {
        return Some(exact);
    }
    let mut matches = OPTIONS.iter().filter(|s| s.long.starts_with(name));
    match (matches.next(), matches.next()) {
        (Some(only), None) if !name.is_empty() => Some(only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn short_letters_and_long_names_are_unique() {
        let mut shorts = HashSet::new();
        let mut longs = HashSet::new();
        for spec in OPTIONS {
            if let Some(c) = spec.short {
                assert!(shorts.insert(c), "short -{c} used twice");
            }
            assert!(longs.insert(spec.long), "--{} used twice", spec.long);
        }
    }

    #[test]
    fn long_prefixes_resolve_like_getopt_long() {
        assert_eq!(by_long("vers").map(|s| s.id), Some(Version));
        assert_eq!(
            by_long("all").map(|s| s.id),
            Some(All),
            "exact beats prefix"
        );
        assert_eq!(by_long("all-c").map(|s| s.id), Some(AllConfig));
        assert!(by_long("al").is_none(), "ambiguous");
        assert!(by_long("log-f").is_none(), "log-facility / log-file");
        assert!(by_long("d").is_none());
        assert!(by_long("").is_none());
        assert_eq!(by_long("sig").map(|s| s.id), Some(Signum));
    }
}
