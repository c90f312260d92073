//! The daemon's settings from its command line: what `keepalived -f … -P -D …` asks the
//! daemon to do, already validated. [`crate::cli`] reads the words into an [`Options`];
//! the daemon only ever sees this typed value, so it does not depend on how it was spelt.

use crate::config::diag::Diagnostic;
use crate::config::Checked;
use std::path::PathBuf;

use super::log::{
    log_file_path, syslog_ident, tmp_dir, Facility, LogConfig, DEFAULT_QUEUE_CAPACITY,
    DEFAULT_SYSLOG_PATH, VRRP_IDENT,
};

/// keepalived's default configuration file.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/keepalived/keepalived.conf";
/// Default pid file of the parent process (`-p`); Debian's RUNSTATEDIR is `/run`.
pub const DEFAULT_PID_FILE: &str = "/run/keepalived.pid";
/// Default pid file of the VRRP process (`-r`).
pub const DEFAULT_VRRP_PID_FILE: &str = "/run/vrrp.pid";
/// keepalived's process umask when neither `-u` nor the `umask` keyword sets one: files it
/// creates are readable by their owner only (pid files are widened to 0644 explicitly).
pub const DEFAULT_UMASK: u32 = 0o177;

/// Which output stream a start-up message belongs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A message keepalived prints while reading its command line without stopping
/// (`Invalid log facility 'x'`, `Unexpected argument(s): …`). Text ends with a newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub stream: Stream,
    pub text: String,
}

/// Form of the diagnostics printed by `-t`/`--check-config` (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagFormat {
    /// rustc style: message, `--> file:line:col`, the source line with a caret, a hint.
    Human,
    /// keepalived's `(FILE: Line N) message` lines, for tools that parse them.
    Keepalived,
    /// One JSON object per line.
    Json,
}

/// Which keepalived subsystems the command line asks to run (`-P`, `-C`, `-B`, `--all`).
/// This build only has VRRP; the others are kept so the daemon can say what it ignores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subsystems {
    pub vrrp: bool,
    pub checkers: bool,
    pub bfd: bool,
    /// `--all`: run every child even without configuration for it.
    pub run_all: bool,
}

/// `-t` / `--config-test[=LOG_FILE]` / `--check-config[=LOG_FILE]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigTest {
    /// Append diagnostics to this file instead of stderr (keepalived opens it with
    /// `O_APPEND|O_CREAT|O_NOFOLLOW`, mode 0644, and exits 1 if it cannot).
    pub log_file: Option<PathBuf>,
}

/// Logging options (`-l`, `-D`, `-S`, `-g`, `--flush-log-file`, `-G`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogOptions {
    /// `-l`: also log to the console; keepalived only does so when it does not fork (`-n`).
    pub console: bool,
    /// Number of `-D`: 1 = detail messages, 2 or more = extra detail too.
    pub detail: u8,
    /// `-S`; `daemon` by default.
    pub facility: Facility,
    /// `-g[FILE]`: the name given (or `keepalived.log`); see
    /// [`crate::daemon::log::log_file_path`] for where the VRRP process actually writes.
    pub file: Option<PathBuf>,
    /// `--flush-log-file`.
    pub flush_file: bool,
    /// False with `-G` (and with `-t`).
    pub syslog: bool,
}

/// The pid files the command line names: one per keepalived process, so a unit file
/// written for keepalived finds them where it expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PidFiles {
    /// `-p`: the parent process's.
    pub main: PathBuf,
    /// `-r`: the VRRP process's (the same process here; written too when it differs).
    pub vrrp: PathBuf,
    /// `-c` (no checker process in this build).
    pub checkers: Option<PathBuf>,
    /// `-b` (no BFD process in this build).
    pub bfd: Option<PathBuf>,
}

/// What the daemon leaves installed when it stops or leaves MASTER (`-X`, `-V`, `-I`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReleaseOptions {
    /// `-X`: drop VIPs when leaving MASTER because of a signal.
    pub release_vips: bool,
    /// `-V`: keep VIPs and virtual routes on stop (and send no priority-0 adverts).
    pub dont_release_vrrp: bool,
    /// `-I` (no IPVS in this build).
    pub dont_release_ipvs: bool,
}

/// What a crash leaves behind (`-m`, `-M`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreDump {
    /// `-m` (also set by `-M`): raise RLIMIT_CORE so a crash leaves a core.
    pub enabled: bool,
    /// `-M[PATN]`: also write `/proc/sys/kernel/core_pattern` (`core` by default).
    pub pattern: Option<String>,
}

/// The validated command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `-f`.
    pub config_file: PathBuf,
    pub subsystems: Subsystems,
    pub log: LogOptions,
    /// `-u`; `None` means [`DEFAULT_UMASK`] unless the configuration's `umask` sets one.
    pub umask: Option<u32>,
    /// `-X`, `-V`, `-I`.
    pub release: ReleaseOptions,
    /// `-R`.
    pub dont_respawn: bool,
    /// `-n`: stay in the foreground (no [`crate::sys::daemonize`]).
    pub dont_fork: bool,
    /// `-d`.
    pub dump_conf: bool,
    /// `-p`, `-r`, `-c`, `-b`.
    pub pid_files: PidFiles,
    /// `-a`: log every address added or removed, as netlink reports it.
    pub address_monitoring: bool,
    /// `-s`: run in this network namespace (overrides `net_namespace` in the config).
    pub namespace: Option<String>,
    /// `-e`: a missing included file is an error.
    pub all_config: bool,
    /// `-i`; `None` means the node name, as keepalived.
    pub config_id: Option<String>,
    /// `-x`: every SNMP MIB of the VRRP side on (see [`Options::apply_snmp_options`]).
    pub snmp: bool,
    /// `-A`: the AgentX master agent's socket, over `snmp_socket`.
    pub snmp_agent_socket: Option<PathBuf>,
    /// `-m`, `-M`.
    pub core_dump: CoreDump,
    /// `-t`: check the configuration and exit. Implies `-n`, `-R` and `-G`.
    pub config_test: Option<ConfigTest>,
    /// `--format`; `None` = [`Options::diag_format`] decides from the terminal.
    pub format: Option<DiagFormat>,
    /// `--skip-host-checks`.
    pub skip_host_checks: bool,
    /// `--check-reload`: only say whether a running daemon would apply the file.
    pub check_reload: bool,
    /// Messages to print before starting, in keepalived's order and streams.
    pub notices: Vec<Notice>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config_file: DEFAULT_CONFIG_FILE.into(),
            subsystems: Subsystems {
                vrrp: true,
                checkers: true,
                bfd: true,
                run_all: false,
            },
            log: LogOptions {
                console: false,
                detail: 0,
                facility: Facility::Daemon,
                file: None,
                flush_file: false,
                syslog: true,
            },
            umask: None,
            release: ReleaseOptions::default(),
            dont_respawn: false,
            dont_fork: false,
            dump_conf: false,
            pid_files: PidFiles {
                main: DEFAULT_PID_FILE.into(),
                vrrp: DEFAULT_VRRP_PID_FILE.into(),
                checkers: None,
                bfd: None,
            },
            address_monitoring: false,
            namespace: None,
            all_config: false,
            config_id: None,
            snmp: false,
            snmp_agent_socket: None,
            core_dump: CoreDump::default(),
            config_test: None,
            format: None,
            skip_host_checks: false,
            check_reload: false,
            notices: Vec::new(),
        }
    }
}

impl Options {
    /// The diagnostics form for `-t`: `--format` if given, else `human` on a terminal and
    /// `keepalived` otherwise. Scripts and CI jobs that capture `keepalived -t` output were
    /// written against keepalived's lines, so they keep getting them; a person at a terminal
    /// gets the richer form.
    pub fn diag_format(&self, stderr_is_terminal: bool) -> DiagFormat {
        match self.format {
            Some(format) => format,
            None if stderr_is_terminal => DiagFormat::Human,
            None => DiagFormat::Keepalived,
        }
    }

    /// True when the process should detach ([`crate::sys::daemonize`]).
    pub fn should_daemonize(&self) -> bool {
        !self.dont_fork && self.config_test.is_none()
    }

    /// The umask to apply at start-up: the command line's, else the configuration's
    /// (`umask` in `global_defs`), else keepalived's default.
    pub fn effective_umask(&self, configured: Option<u32>) -> u32 {
        self.umask.or(configured).unwrap_or(DEFAULT_UMASK)
    }

    /// keepalived's SNMP options, applied to each configuration it reads (at start-up,
    /// for `-t` and on every reload, as keepalived sets them in each fresh copy of its
    /// global settings before reading the file). `-x` turns on every MIB of the VRRP
    /// process: KEEPALIVED-MIB's VRRP part, VRRP-MIB and VRRPv3-MIB (not traps). `-A`
    /// names the master agent's socket; a `snmp_socket` in the file is then refused with
    /// keepalived's error (the socket was already set when the file was read).
    pub fn apply_snmp_options(&self, checked: &mut Checked) {
        let snmp = &mut checked.config.global.snmp;
        if self.snmp {
            snmp.vrrp = true;
            snmp.rfcv2 = true;
            snmp.rfcv3 = true;
        }
        let Some(socket) = &self.snmp_agent_socket else {
            return;
        };
        let socket = socket.display().to_string();
        let refused = |set: &str| format!("SNMP socket already set to {set} - ignoring");
        if let (Some(first), Some(set)) = (
            checked.spans.global_keywords.get("snmp_socket"),
            snmp.socket.as_deref(),
        ) {
            // Every `snmp_socket` line is refused, naming `-A`'s socket: the first one
            // here, the later ones (refused for the first's value while reading) renamed.
            let (was, now) = (refused(set), refused(&socket));
            let diags = &mut checked.diagnostics;
            let later = diags.iter().position(|d| d.message == was);
            for d in diags.iter_mut().filter(|d| d.message == was) {
                d.message.clone_from(&now);
            }
            let at = later.unwrap_or(diags.len());
            diags.insert(at, Diagnostic::error(*first, now));
        }
        snmp.socket = Some(socket);
    }

    /// Options the command line set for subsystems this build does not have, worded for the
    /// log ("… not supported by this build, ignored"). Accepting them keeps existing unit
    /// files working; saying so keeps the operator informed.
    pub fn unsupported_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let mut note = |what: &str, subsystem: &str| {
            notes.push(format!(
                "{what}: {subsystem} not supported by this build, option ignored"
            ));
        };
        if self.subsystems.run_all {
            note("--all", "health-checker and BFD subsystems are");
        }
        if self.release.dont_release_ipvs {
            note("-I/--dont-release-ipvs", "IPVS (LVS) is");
        }
        if self.pid_files.checkers.is_some() {
            note("-c/--checkers_pid", "the health-checker process is");
        }
        if self.pid_files.bfd.is_some() {
            note("-b/--bfd_pid", "the BFD process is");
        }
        // Not ignored: starting VRRP on a host meant to run only health checks could take
        // over addresses. We honour it and run nothing, and say so.
        if !self.subsystems.vrrp {
            notes.push(
                "-C/--check: only the health-checker subsystem was requested and this build \
                 has none; the VRRP subsystem will not run"
                    .to_owned(),
            );
        }
        notes
    }
}

impl LogConfig {
    /// The VRRP process's logging as keepalived sets it up from its command line:
    /// syslog unless `-G`/`-t`; console only with `-l` *and* `-n` (keepalived never writes
    /// the console once it has detached); file `-g` as `<name>_vrrp.<ext>`. With `-t`
    /// nothing is logged at all (keepalived's log calls return early in config-test mode;
    /// the findings are printed as diagnostics instead).
    pub fn for_vrrp(opts: &Options, namespace: Option<&str>, instance: Option<&str>) -> Self {
        let testing = opts.config_test.is_some();
        LogConfig {
            ident: syslog_ident(VRRP_IDENT, namespace, instance),
            facility: opts.log.facility,
            syslog: (opts.log.syslog && !testing).then(|| PathBuf::from(DEFAULT_SYSLOG_PATH)),
            console: opts.log.console && opts.dont_fork && !testing,
            file: (!testing)
                .then_some(opts.log.file.as_ref())
                .flatten()
                .map(|name| log_file_path(name, Some("vrrp"), namespace, instance, &tmp_dir())),
            flush_file: opts.log.flush_file,
            detail: opts.log.detail,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "global_defs {\n snmp_socket unix:/in/file\n snmp_socket unix:/too\n \
                        snmp_socket\n snmp_socket a b\n}\n";

    #[test]
    fn minus_x_turns_on_every_vrrp_mib_but_not_traps() {
        let mut checked = crate::config::check_text(FILE);
        let opts = Options {
            snmp: true,
            ..Options::default()
        };
        opts.apply_snmp_options(&mut checked);
        let snmp = &checked.config.global.snmp;
        assert!(snmp.vrrp && snmp.rfcv2 && snmp.rfcv3 && !snmp.traps);
        // The first snmp_socket wins; later ones are refused as keepalived refuses them.
        assert_eq!(snmp.socket.as_deref(), Some("unix:/in/file"));
        let rendered: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.render_keepalived(&checked.sources))
            .collect();
        let want = [
            "Line 3) SNMP socket already set to unix:/in/file - ignoring",
            "Line 4) SNMP error : snmp socket name missing",
            "Line 5) Too many parameters specified for snmp_socket - ignoring",
        ];
        assert_eq!(rendered.len(), want.len(), "{rendered:?}");
        for (d, w) in rendered.iter().zip(want) {
            assert!(d.ends_with(w), "{rendered:?}");
        }
    }

    #[test]
    fn minus_a_wins_over_snmp_socket_with_keepalived_error() {
        let mut checked = crate::config::check_text(FILE);
        let opts = Options {
            snmp_agent_socket: Some("unix:/from/cli".into()),
            ..Options::default()
        };
        opts.apply_snmp_options(&mut checked);
        let snmp = &checked.config.global.snmp;
        assert!(!snmp.rfcv2, "-A alone turns nothing on");
        assert_eq!(snmp.socket.as_deref(), Some("unix:/from/cli"));
        let rendered: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.render_keepalived(&checked.sources))
            .collect();
        for (d, line) in rendered.iter().zip([2, 3]) {
            let want = format!("Line {line}) SNMP socket already set to unix:/from/cli - ignoring");
            assert!(d.ends_with(&want), "{rendered:?}");
        }
        assert_eq!(rendered.len(), 4, "{rendered:?}");
    }
}
