//! keepalived's command line: every option of 2.2.7 and of the 1.x series, with keepalived's
//! meaning, texts and exit statuses, plus a few of our own.
//!
//! Two stages, as in ripgrep: `getopt` turns the words into raw items with GNU
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

use crate::version;
use getopt::RawItem;
use spec::OptId;
use std::path::PathBuf;

pub use crate::daemon::options::{
    ConfigTest, DiagFormat, LogOptions, Notice, Options, Stream, Subsystems, DEFAULT_CONFIG_FILE,
    DEFAULT_PID_FILE, DEFAULT_UMASK, DEFAULT_VRRP_PID_FILE,
};
pub use crate::version::{version_line, KEEPALIVED_DATE, KEEPALIVED_VERSION};
pub use values::signal_number;

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
    let mut reading = Reading::default();
    for item in items {
        let (id, value) = match item {
            RawItem::Opt { id, value } => (id, value),
            RawItem::Unknown(msg) | RawItem::MissingValue(msg) => {
                reading.stderr.push_str(&msg);
                reading.stderr.push('\n');
                reading.bad_option = true;
                continue;
            }
            RawItem::Operand(word) => {
                reading.operands.push(word);
                continue;
            }
        };
        if let Some((stdout, more_stderr, code)) = early_exit(prog, id, &value) {
            // An early exit also carries everything printed so far.
            return Command::Exit(EarlyExit {
                stdout,
                stderr: format!("{}{more_stderr}", reading.stderr),
                code,
            });
        }
        reading.apply(id, value);
    }
    reading.finish()
}

/// Options keepalived acts on the moment it meets them: they print (stdout, stderr) and
/// exit with the status, whatever else the command line holds.
fn early_exit(prog: &str, id: OptId, value: &Option<String>) -> Option<(String, String, i32)> {
    let printed = match id {
        OptId::Version => (String::new(), version::version_text(), 0),
        OptId::Help => (String::new(), spec::usage(prog), 0),
        OptId::Signum => {
            let name = value.clone().unwrap_or_default();
            match signal_number(&name) {
                Some(n) => (format!("{n}\n"), String::new(), 0),
                None => (String::new(), format!("Unknown sigfunc {name}\n"), 1),
            }
        }
        // keepalived hands the rest of the command line to its genhash tool; reading
        // those words as daemon options would be wrong, so stop here.
        OptId::Genhash => {
            let msg = "-T/--genhash: the genhash utility (health-checker subsystem) is \
                       not supported by this build\n";
            (String::new(), msg.to_owned(), EXIT_BAD_OPTION)
        }
        _ => return None,
    };
    Some(printed)
}

/// What [`validate`] has read so far.
#[derive(Default)]
struct Reading {
    opts: Options,
    /// Messages for stderr, in order (printed before starting, or with a bad-option exit).
    stderr: String,
    bad_option: bool,
    operands: Vec<String>,
}

impl Reading {
    /// One option that does not end the program: its effect on the options.
    fn apply(&mut self, id: OptId, value: Option<String>) {
        let opts = &mut self.opts;
        let value_path = || PathBuf::from(value.clone().unwrap_or_default());
        match id {
            OptId::Version | OptId::Help | OptId::Signum | OptId::Genhash => {}
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
                    None => self
                        .stderr
                        .push_str(&format!("Invalid log facility '{text}'\n")),
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
                    None => self
                        .stderr
                        .push_str(&format!("Invalid --umask option {text}\n")),
                }
            }
            OptId::ReleaseVips => opts.release.release_vips = true,
            OptId::DontReleaseVrrp => opts.release.dont_release_vrrp = true,
            OptId::DontReleaseIpvs => opts.release.dont_release_ipvs = true,
            OptId::DontRespawn => opts.dont_respawn = true,
            OptId::DontFork => opts.dont_fork = true,
            OptId::DumpConf => opts.dump_conf = true,
            OptId::Pid => opts.pid_files.main = value_path(),
            OptId::VrrpPid => opts.pid_files.vrrp = value_path(),
            OptId::CheckersPid => opts.pid_files.checkers = Some(value_path()),
            OptId::AddressMonitoring => opts.address_monitoring = true,
            OptId::BfdPid => opts.pid_files.bfd = Some(value_path()),
            OptId::Snmp => opts.snmp = true,
            OptId::SnmpAgentSocket => opts.snmp_agent_socket = Some(value_path()),
            OptId::Namespace => opts.namespace = value,
            OptId::CoreDump => opts.core_dump.enabled = true,
            OptId::CoreDumpPattern => {
                opts.core_dump.enabled = true;
                opts.core_dump.pattern = Some(value.unwrap_or_else(|| "core".into()));
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
            OptId::Format => self.format(value.unwrap_or_default()),
            OptId::SkipHostChecks => opts.skip_host_checks = true,
            OptId::CheckReload => {
                opts.check_reload = true;
                opts.log.syslog = false;
            }
        }
    }

    fn format(&mut self, text: String) {
        self.opts.format = match text.as_str() {
            "human" => Some(DiagFormat::Human),
            "keepalived" => Some(DiagFormat::Keepalived),
            "json" => Some(DiagFormat::Json),
            _ => {
                self.stderr.push_str(&format!(
                    "Invalid --format '{text}' (expected human, keepalived or json)\n"
                ));
                self.bad_option = true;
                self.opts.format
            }
        };
    }

    /// The end of the command line: stray operands, then exit 1 on a bad option, else run
    /// with the messages to print first.
    fn finish(mut self) -> Command {
        let mut stdout = String::new();
        if !self.operands.is_empty() {
            // keepalived's exact text: each operand followed by a space, on stdout.
            stdout.push_str("Unexpected argument(s): ");
            for word in &self.operands {
                stdout.push_str(word);
                stdout.push(' ');
            }
            stdout.push('\n');
        }
        if self.bad_option {
            return Command::Exit(EarlyExit {
                stdout,
                stderr: self.stderr,
                code: EXIT_BAD_OPTION,
            });
        }
        if !self.stderr.is_empty() {
            self.opts.notices.push(Notice {
                stream: Stream::Stderr,
                text: self.stderr,
            });
        }
        if !stdout.is_empty() {
            self.opts.notices.push(Notice {
                stream: Stream::Stdout,
                text: stdout,
            });
        }
        Command::Run(Box::new(self.opts))
    }
}

/// The full `--help` text, as `-h` prints it for program name `prog`.
pub fn usage(prog: &str) -> String {
    spec::usage(prog)
}

/// Every long option name (without `--`), in `--help` order; for docs and completions.
pub fn long_option_names() -> impl Iterator<Item = &'static str> {
    spec::OPTIONS.iter().map(|s| s.long)
}
