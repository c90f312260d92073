//! keepalived's command line: every option of 2.2.7 and of the 1.x series, with keepalived's
//! meaning, texts and exit statuses, plus a few of our own.
//!
//! Two stages, as in ripgrep: [`getopt`] turns the words into raw items with GNU
//! `getopt_long` semantics, then [`parse`] walks them in order into a validated [`Options`].
//! Walking in order matters because keepalived acts on some options the moment it meets
//! them: `-v`, `-h` and `--signum` print and exit even when an unknown option came earlier
//! (`keepalived -Z -v` prints "Unknown option -Z", then the version, and exits 0), while
//! bad options otherwise make it exit 1 after everything was read. A bad `-S` or `-u` value
//! only prints a message; stray operands print `Unexpected argument(s): …` on stdout. All
//! of that is reproduced here.
//!
//! Nothing in this module prints or exits: [`parse`] returns what to print and the status,
//! so every behaviour is unit-tested; `main` does the printing.

mod getopt;
mod spec;
mod values;
mod version;

use crate::daemon::log::Facility;
use getopt::RawItem;
use spec::OptId;
use std::path::PathBuf;

pub use values::signal_number;
pub use version::{version_line, KEEPALIVED_DATE, KEEPALIVED_VERSION};

/// keepalived's default configuration file.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/keepalived/keepalived.conf";
/// Default pid file of the parent process (`-p`); Debian's RUNSTATEDIR is `/run`.
pub const DEFAULT_PID_FILE: &str = "/run/keepalived.pid";
/// Default pid file of the VRRP process (`-r`).
pub const DEFAULT_VRRP_PID_FILE: &str = "/run/vrrp.pid";
/// keepalived's process umask when neither `-u` nor the `umask` keyword sets one: files it
/// creates are readable by their owner only (pid files are widened to 0644 explicitly).
pub const DEFAULT_UMASK: u32 = 0o177;

/// Exit status for a bad command line (keepalived exits 1).
pub const EXIT_BAD_OPTION: i32 = 1;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Run the daemon, or check the configuration when [`Options::config_test`] is set.
    Run(Box<Options>),
    /// Print and exit without starting anything: `-v`, `-h`, `--signum`, `-T`, bad options.
    Exit(EarlyExit),
}

/// Output of a command line that ends the program at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EarlyExit {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl EarlyExit {
    /// Writes the texts to the real stdout/stderr and returns the exit status.
    pub fn emit(&self) -> i32 {
        use std::io::Write;
        let _ = std::io::stdout().write_all(self.stdout.as_bytes());
        let _ = std::io::stderr().write_all(self.stderr.as_bytes());
        self.code
    }
}

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

/// The validated command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `-f`.
    pub config_file: PathBuf,
    pub subsystems: Subsystems,
    pub log: LogOptions,
    /// `-u`; `None` means [`DEFAULT_UMASK`] unless the configuration's `umask` sets one.
    pub umask: Option<u32>,
    /// `-X`: drop VIPs when leaving MASTER because of a signal.
    pub release_vips: bool,
    /// `-V`: keep VIPs and virtual routes on stop (and send no priority-0 adverts).
    pub dont_release_vrrp: bool,
    /// `-I` (no IPVS in this build).
    pub dont_release_ipvs: bool,
    /// `-R`.
    pub dont_respawn: bool,
    /// `-n`: stay in the foreground (no [`crate::sys::daemonize`]).
    pub dont_fork: bool,
    /// `-d`.
    pub dump_conf: bool,
    /// `-p`.
    pub pid_file: PathBuf,
    /// `-r`.
    pub vrrp_pid_file: PathBuf,
    /// `-c` (no checker process in this build).
    pub checkers_pid_file: Option<PathBuf>,
    /// `-b` (no BFD process in this build).
    pub bfd_pid_file: Option<PathBuf>,
    /// `-a`: log every address added or removed, as netlink reports it.
    pub address_monitoring: bool,
    /// `-s`: run in this network namespace (overrides `net_namespace` in the config).
    pub namespace: Option<String>,
    /// `-e`: a missing included file is an error.
    pub all_config: bool,
    /// `-i`; `None` means the node name, as keepalived.
    pub config_id: Option<String>,
    /// `-x` (no SNMP in this build).
    pub snmp: bool,
    /// `-A` (no SNMP in this build).
    pub snmp_agent_socket: Option<PathBuf>,
    /// `-m` (also set by `-M`): raise RLIMIT_CORE so a crash leaves a core.
    pub core_dump: bool,
    /// `-M[PATN]`: also write `/proc/sys/kernel/core_pattern` (`core` by default).
    pub core_dump_pattern: Option<String>,
    /// `-t`: check the configuration and exit. Implies `-n`, `-R` and `-G`.
    pub config_test: Option<ConfigTest>,
    /// `--format`; `None` = [`Options::diag_format`] decides from the terminal.
    pub format: Option<DiagFormat>,
    /// `--skip-host-checks`.
    pub skip_host_checks: bool,
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
            release_vips: false,
            dont_release_vrrp: false,
            dont_release_ipvs: false,
            dont_respawn: false,
            dont_fork: false,
            dump_conf: false,
            pid_file: DEFAULT_PID_FILE.into(),
            vrrp_pid_file: DEFAULT_VRRP_PID_FILE.into(),
            checkers_pid_file: None,
            bfd_pid_file: None,
            address_monitoring: false,
            namespace: None,
            all_config: false,
            config_id: None,
            snmp: false,
            snmp_agent_socket: None,
            core_dump: false,
            core_dump_pattern: None,
            config_test: None,
            format: None,
            skip_host_checks: false,
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

    /// The umask to apply at start-up.
    pub fn effective_umask(&self) -> u32 {
        self.umask.unwrap_or(DEFAULT_UMASK)
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
        if self.dont_release_ipvs {
            note("-I/--dont-release-ipvs", "IPVS (LVS) is");
        }
        if self.checkers_pid_file.is_some() {
            note("-c/--checkers_pid", "the health-checker process is");
        }
        if self.bfd_pid_file.is_some() {
            note("-b/--bfd_pid", "the BFD process is");
        }
        if self.snmp {
            note("-x/--snmp", "SNMP is");
        }
        if self.snmp_agent_socket.is_some() {
            note("-A/--snmp-agent-socket", "SNMP is");
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

/// Parses `argv` (program name first, as from [`std::env::args_os`]). Words that are not
/// UTF-8 are read lossily.
pub fn parse<I, S>(argv: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let mut words = argv
        .into_iter()
        .map(|w| w.into().to_string_lossy().into_owned());
    let prog = words.next().unwrap_or_else(|| "keepalived".to_owned());
    let rest: Vec<String> = words.collect();
    validate(&prog, getopt::lex(&rest))
}

/// Stage 2: raw items, in command-line order → [`Command`].
fn validate(prog: &str, items: Vec<RawItem>) -> Command {
    let mut opts = Options::default();
    let mut stderr = String::new();
    let mut bad_option = false;
    let mut operands = Vec::new();

    // Builds an early exit that also carries everything printed so far.
    let exit = |stderr_so_far: &str, stdout: String, more_stderr: String, code: i32| {
        Command::Exit(EarlyExit {
            stdout,
            stderr: format!("{stderr_so_far}{more_stderr}"),
            code,
        })
    };

    for item in items {
        let (id, value) = match item {
            RawItem::Opt { id, value } => (id, value),
            RawItem::Unknown(msg) | RawItem::MissingValue(msg) => {
                stderr.push_str(&msg);
                stderr.push('\n');
                bad_option = true;
                continue;
            }
            RawItem::Operand(word) => {
                operands.push(word);
                continue;
            }
        };
        let value_path = || PathBuf::from(value.clone().unwrap_or_default());
        match id {
            OptId::Version => return exit(&stderr, String::new(), version::version_text(), 0),
            OptId::Help => return exit(&stderr, String::new(), spec::usage(prog), 0),
            OptId::Signum => {
                let name = value.unwrap_or_default();
                return match signal_number(&name) {
                    Some(n) => exit(&stderr, format!("{n}\n"), String::new(), 0),
                    None => exit(
                        &stderr,
                        String::new(),
                        format!("Unknown sigfunc {name}\n"),
                        1,
                    ),
                };
            }
            // keepalived hands the rest of the command line to its genhash tool; reading
            // those words as daemon options would be wrong, so stop here.
            OptId::Genhash => {
                let msg = "-T/--genhash: the genhash utility (health-checker subsystem) is \
                           not supported by this build\n";
                return exit(&stderr, String::new(), msg.to_owned(), EXIT_BAD_OPTION);
            }
            OptId::UseFile => opts.config_file = value_path(),
            OptId::Vrrp => opts.subsystems.checkers = false,
            OptId::Check => opts.subsystems.vrrp = false,
            OptId::NoBfd => opts.subsystems.bfd = false,
            OptId::All => {
                opts.subsystems = Subsystems {
                    vrrp: true,
                    checkers: true,
                    bfd: true,
                    run_all: true,
                }
            }
            OptId::LogConsole => opts.log.console = true,
            OptId::LogDetail => opts.log.detail = opts.log.detail.saturating_add(1).min(2),
            OptId::LogFacility => {
                let text = value.unwrap_or_default();
                match values::parse_facility(&text) {
                    Some(facility) => opts.log.facility = facility,
                    // Not fatal in keepalived: the facility stays as it was.
                    None => stderr.push_str(&format!("Invalid log facility '{text}'\n")),
                }
            }
            OptId::LogFile => {
                opts.log.file = Some(value.unwrap_or_else(|| "keepalived.log".into()).into())
            }
            OptId::FlushLogFile => opts.log.flush_file = true,
            OptId::NoSyslog => opts.log.syslog = false,
            OptId::Umask => {
                let text = value.unwrap_or_default();
                match values::parse_umask(&text) {
                    Some(mask) => opts.umask = Some(mask),
                    None => stderr.push_str(&format!("Invalid --umask option {text}\n")),
                }
            }
            OptId::ReleaseVips => opts.release_vips = true,
            OptId::DontReleaseVrrp => opts.dont_release_vrrp = true,
            OptId::DontReleaseIpvs => opts.dont_release_ipvs = true,
            OptId::DontRespawn => opts.dont_respawn = true,
            OptId::DontFork => opts.dont_fork = true,
            OptId::DumpConf => opts.dump_conf = true,
            OptId::Pid => opts.pid_file = value_path(),
            OptId::VrrpPid => opts.vrrp_pid_file = value_path(),
            OptId::CheckersPid => opts.checkers_pid_file = Some(value_path()),
            OptId::AddressMonitoring => opts.address_monitoring = true,
            OptId::BfdPid => opts.bfd_pid_file = Some(value_path()),
            OptId::Snmp => opts.snmp = true,
            OptId::SnmpAgentSocket => opts.snmp_agent_socket = Some(value_path()),
            OptId::Namespace => opts.namespace = value,
            OptId::CoreDump => opts.core_dump = true,
            OptId::CoreDumpPattern => {
                opts.core_dump = true;
                opts.core_dump_pattern = Some(value.unwrap_or_else(|| "core".into()));
            }
            OptId::AllConfig => opts.all_config = true,
            OptId::ConfigId => opts.config_id = value,
            OptId::ConfigTest | OptId::CheckConfig => {
                opts.config_test = Some(ConfigTest {
                    log_file: value.map(PathBuf::from),
                });
                opts.dont_respawn = true;
                opts.dont_fork = true;
                opts.log.syslog = false;
            }
            OptId::Format => {
                let text = value.unwrap_or_default();
                opts.format = match text.as_str() {
                    "human" => Some(DiagFormat::Human),
                    "keepalived" => Some(DiagFormat::Keepalived),
                    "json" => Some(DiagFormat::Json),
                    _ => {
                        stderr.push_str(&format!(
                            "Invalid --format '{text}' (expected human, keepalived or json)\n"
                        ));
                        bad_option = true;
                        opts.format
                    }
                };
            }
            OptId::SkipHostChecks => opts.skip_host_checks = true,
        }
    }

    let mut stdout = String::new();
    if !operands.is_empty() {
        // keepalived's exact text: each operand followed by a space, on stdout.
        stdout.push_str("Unexpected argument(s): ");
        for word in &operands {
            stdout.push_str(word);
            stdout.push(' ');
        }
        stdout.push('\n');
    }
    if bad_option {
        return Command::Exit(EarlyExit {
            stdout,
            stderr,
            code: EXIT_BAD_OPTION,
        });
    }
    if !stderr.is_empty() {
        opts.notices.push(Notice {
            stream: Stream::Stderr,
            text: stderr,
        });
    }
    if !stdout.is_empty() {
        opts.notices.push(Notice {
            stream: Stream::Stdout,
            text: stdout,
        });
    }
    Command::Run(Box::new(opts))
}

/// The full `--help` text, as `-h` prints it for program name `prog`.
pub fn usage(prog: &str) -> String {
    spec::usage(prog)
}

/// Every long option name (without `--`), in `--help` order; for docs and completions.
pub fn long_option_names() -> impl Iterator<Item = &'static str> {
    spec::OPTIONS.iter().map(|s| s.long)
}
