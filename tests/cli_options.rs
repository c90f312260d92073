//! The command line, option by option, against keepalived 2.2.7's behaviour (observed with
//! the Debian binary: texts, streams and exit statuses).

use keepalived_rs::cli::{
    self, Command, ConfigTest, DiagFormat, EarlyExit, Options, Stream, Subsystems,
    DEFAULT_PID_FILE, DEFAULT_UMASK, DEFAULT_VRRP_PID_FILE,
};
use keepalived_rs::daemon::log::Facility;
use std::path::{Path, PathBuf};

fn parse(args: &[&str]) -> Command {
    cli::parse(std::iter::once("keepalived").chain(args.iter().copied()))
}

fn run(args: &[&str]) -> Options {
    match parse(args) {
        Command::Run(opts) => *opts,
        Command::Exit(e) => panic!("{args:?}: unexpected exit {e:?}"),
    }
}

fn exit(args: &[&str]) -> EarlyExit {
    match parse(args) {
        Command::Exit(e) => e,
        Command::Run(o) => panic!("{args:?}: expected an exit, got {o:?}"),
    }
}

fn stderr_notice(o: &Options) -> String {
    o.notices
        .iter()
        .filter(|n| n.stream == Stream::Stderr)
        .map(|n| n.text.as_str())
        .collect()
}

#[test]
fn defaults() {
    let o = run(&[]);
    assert_eq!(o.config_file, Path::new("/etc/keepalived/keepalived.conf"));
    assert_eq!(o.pid_files.main, Path::new(DEFAULT_PID_FILE));
    assert_eq!(o.pid_files.vrrp, Path::new(DEFAULT_VRRP_PID_FILE));
    assert_eq!(DEFAULT_PID_FILE, "/run/keepalived.pid");
    assert_eq!(DEFAULT_VRRP_PID_FILE, "/run/vrrp.pid");
    assert_eq!(o.log.facility, Facility::Daemon);
    assert!(o.log.syslog && !o.log.console && o.log.detail == 0 && o.log.file.is_none());
    assert!(o.should_daemonize());
    assert_eq!(o.effective_umask(None), DEFAULT_UMASK);
    assert_eq!(o.effective_umask(Some(0o27)), 0o27);
    assert_eq!(DEFAULT_UMASK, 0o177);
    assert!(o.notices.is_empty());
    assert!(o.unsupported_notes().is_empty());
    assert_eq!(o, Options::default());
}

#[test]
fn use_file() {
    for args in [
        &["-f", "/x.conf"][..],
        &["-f/x.conf"],
        &["--use-file", "/x.conf"],
        &["--use-file=/x.conf"],
        &["--use=/x.conf"],
    ] {
        assert_eq!(run(args).config_file, Path::new("/x.conf"), "{args:?}");
    }
}

#[test]
fn subsystem_selection() {
    let all_three = Subsystems {
        vrrp: true,
        checkers: true,
        bfd: true,
        run_all: false,
    };
    assert_eq!(run(&[]).subsystems, all_three);
    for a in ["-P", "--vrrp"] {
        assert_eq!(
            run(&[a]).subsystems,
            Subsystems {
                checkers: false,
                ..all_three
            }
        );
    }
    for a in ["-C", "--check"] {
        let o = run(&[a]);
        assert_eq!(
            o.subsystems,
            Subsystems {
                vrrp: false,
                ..all_three
            }
        );
        let notes = o.unsupported_notes();
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("-C/--check") && n.contains("will not run")),
            "{notes:?}"
        );
    }
    for a in ["-B", "--no_bfd"] {
        assert_eq!(
            run(&[a]).subsystems,
            Subsystems {
                bfd: false,
                ..all_three
            }
        );
    }
    let o = run(&["-P", "-B", "--all"]);
    assert_eq!(
        o.subsystems,
        Subsystems {
            run_all: true,
            ..all_three
        }
    );
    assert!(o
        .unsupported_notes()
        .iter()
        .any(|n| n.starts_with("--all:")));
}

#[test]
fn logging_options() {
    for a in ["-l", "--log-console"] {
        assert!(run(&[a]).log.console);
    }
    for a in ["-G", "--no-syslog"] {
        assert!(!run(&[a]).log.syslog);
    }
    assert_eq!(run(&["-D"]).log.detail, 1);
    assert_eq!(run(&["--log-detail"]).log.detail, 1);
    assert_eq!(run(&["-D", "--log-detail"]).log.detail, 2);
    assert_eq!(run(&["-DDD"]).log.detail, 2);
    assert!(run(&["--flush-log-file"]).log.flush_file);
}

#[test]
fn log_facility_values() {
    for (arg, facility) in [
        ("0", Facility::Local(0)),
        ("7", Facility::Local(7)),
        ("local4", Facility::Local(4)),
        ("user", Facility::User),
        ("daemon", Facility::Daemon),
    ] {
        assert_eq!(run(&["-S", arg]).log.facility, facility, "-S {arg}");
        assert_eq!(
            run(&[&format!("--log-facility={arg}")]).log.facility,
            facility
        );
    }
    // keepalived: message on stderr, facility unchanged, carries on (exit status unaffected).
    for bad in ["9", "foo", "LOCAL1", "local8"] {
        let o = run(&["-S", "local2", "-S", bad]);
        assert_eq!(o.log.facility, Facility::Local(2));
        assert_eq!(stderr_notice(&o), format!("Invalid log facility '{bad}'\n"));
    }
}

#[test]
fn log_file_values() {
    assert_eq!(run(&["-g"]).log.file, Some(PathBuf::from("keepalived.log")));
    assert_eq!(
        run(&["--log-file"]).log.file,
        Some(PathBuf::from("keepalived.log"))
    );
    assert_eq!(
        run(&["-g/var/log/k.log"]).log.file,
        Some(PathBuf::from("/var/log/k.log"))
    );
    assert_eq!(
        run(&["--log-file=/var/log/k.log"]).log.file,
        Some(PathBuf::from("/var/log/k.log"))
    );
    // Optional values are attached only: the next word is an operand.
    let o = run(&["-g", "/var/log/k.log"]);
    assert_eq!(o.log.file, Some(PathBuf::from("keepalived.log")));
    assert!(o.notices.iter().any(
        |n| n.stream == Stream::Stdout && n.text == "Unexpected argument(s): /var/log/k.log \n"
    ));
}

#[test]
fn umask_values() {
    assert_eq!(run(&["-u", "022"]).umask, Some(0o22));
    assert_eq!(run(&["--umask=0077"]).effective_umask(None), 0o77);
    assert_eq!(run(&["--umask=0077"]).effective_umask(Some(0o27)), 0o77);
    assert_eq!(run(&["-u0x1ff"]).umask, Some(0o777));
    let o = run(&["-u", "abc"]);
    assert_eq!(o.umask, None);
    assert_eq!(stderr_notice(&o), "Invalid --umask option abc\n");
    assert_eq!(run(&["-u", "01000"]).umask, None);
}

#[test]
fn flags() {
    type Check = fn(&Options) -> bool;
    let cases: &[(&str, &str, Check)] = &[
        ("-X", "--release-vips", |o| o.release.release_vips),
        ("-V", "--dont-release-vrrp", |o| o.release.dont_release_vrrp),
        ("-I", "--dont-release-ipvs", |o| o.release.dont_release_ipvs),
        ("-R", "--dont-respawn", |o| o.dont_respawn),
        ("-n", "--dont-fork", |o| {
            o.dont_fork && !o.should_daemonize()
        }),
        ("-d", "--dump-conf", |o| o.dump_conf),
        ("-a", "--address-monitoring", |o| o.address_monitoring),
        ("-e", "--all-config", |o| o.all_config),
        ("-x", "--snmp", |o| o.snmp),
        ("-m", "--core-dump", |o| {
            o.core_dump.enabled && o.core_dump.pattern.is_none()
        }),
    ];
    let defaults = run(&[]);
    for (short, long, check) in cases {
        assert!(!check(&defaults), "{short} set by default");
        assert!(check(&run(&[short])), "{short}");
        assert!(check(&run(&[long])), "{long}");
    }
}

#[test]
fn pid_file_options() {
    let o = run(&[
        "-p",
        "/a.pid",
        "-r/b.pid",
        "--checkers_pid=/c.pid",
        "--bfd_pid",
        "/d.pid",
    ]);
    assert_eq!(o.pid_files.main, Path::new("/a.pid"));
    assert_eq!(o.pid_files.vrrp, Path::new("/b.pid"));
    assert_eq!(o.pid_files.checkers.as_deref(), Some(Path::new("/c.pid")));
    assert_eq!(o.pid_files.bfd.as_deref(), Some(Path::new("/d.pid")));
    let o = run(&[
        "--pid=/a.pid",
        "--vrrp_pid=/b.pid",
        "-c",
        "/c.pid",
        "-b",
        "/d.pid",
    ]);
    assert_eq!(
        (o.pid_files.main.as_path(), o.pid_files.vrrp.as_path()),
        (Path::new("/a.pid"), Path::new("/b.pid"))
    );
    let notes = o.unsupported_notes();
    assert!(
        notes.iter().any(|n| n.starts_with("-c/--checkers_pid")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.starts_with("-b/--bfd_pid")),
        "{notes:?}"
    );
}

#[test]
fn valued_options() {
    let o = run(&["-s", "blue", "-i", "node7", "-A", "/agent.sock"]);
    assert_eq!(o.namespace.as_deref(), Some("blue"));
    assert_eq!(o.config_id.as_deref(), Some("node7"));
    assert_eq!(
        o.snmp_agent_socket.as_deref(),
        Some(Path::new("/agent.sock"))
    );
    let o = run(&[
        "--namespace=red",
        "--config-id",
        "n8",
        "--snmp-agent-socket=/s",
    ]);
    assert_eq!(o.namespace.as_deref(), Some("red"));
    assert_eq!(o.config_id.as_deref(), Some("n8"));
    assert_eq!(o.snmp_agent_socket.as_deref(), Some(Path::new("/s")));
    // Acted on (the daemon's AgentX socket), so not announced as ignored.
    assert!(!o.unsupported_notes().iter().any(|n| n.contains("snmp")));
}

#[test]
fn core_dump_pattern() {
    let o = run(&["-M"]);
    assert!(o.core_dump.enabled);
    assert_eq!(o.core_dump.pattern.as_deref(), Some("core"));
    let o = run(&["--core-dump-pattern=/var/crash/%e.%p"]);
    assert!(o.core_dump.enabled);
    assert_eq!(o.core_dump.pattern.as_deref(), Some("/var/crash/%e.%p"));
    assert_eq!(run(&["-Mpat"]).core_dump.pattern.as_deref(), Some("pat"));
}

#[test]
fn config_test_and_check_config() {
    for args in [
        &["-t"][..],
        &["--config-test"],
        &["--check-config"],
        &["--config-test="],
    ] {
        let o = run(args);
        assert_eq!(
            o.config_test,
            Some(ConfigTest { log_file: None }),
            "{args:?}"
        );
        // -t implies -n -R -G, as in keepalived.
        assert!(o.dont_fork && o.dont_respawn && !o.log.syslog && !o.should_daemonize());
    }
    for args in [
        &["-t/tmp/t.log"][..],
        &["--config-test=/tmp/t.log"],
        &["--check-config=/tmp/t.log"],
    ] {
        assert_eq!(
            run(args).config_test,
            Some(ConfigTest {
                log_file: Some("/tmp/t.log".into())
            }),
            "{args:?}"
        );
    }
}

#[test]
fn format_and_skip_host_checks() {
    let o = run(&["-t"]);
    assert_eq!(o.format, None);
    assert_eq!(o.diag_format(true), DiagFormat::Human);
    assert_eq!(o.diag_format(false), DiagFormat::Keepalived);
    for (arg, f) in [
        ("human", DiagFormat::Human),
        ("keepalived", DiagFormat::Keepalived),
        ("json", DiagFormat::Json),
    ] {
        let o = run(&["--check-config", &format!("--format={arg}")]);
        assert_eq!(o.diag_format(true), f);
        assert_eq!(o.diag_format(false), f);
    }
    let e = exit(&["--format=xml"]);
    assert_eq!(e.code, 1);
    assert!(e.stderr.contains("Invalid --format 'xml'"), "{}", e.stderr);
    assert!(run(&["--skip-host-checks"]).skip_host_checks);
    assert!(!run(&[]).skip_host_checks);
}

#[test]
fn signum_prints_keepalived_numbers() {
    for (name, n) in [
        ("STOP", libc::SIGTERM),
        ("RELOAD", libc::SIGHUP),
        ("DATA", libc::SIGUSR1),
        ("STATS", libc::SIGUSR2),
        ("STATS_CLEAR", libc::SIGRTMAX() - 1),
        ("JSON", libc::SIGRTMIN() + 2),
    ] {
        let e = exit(&[&format!("--signum={name}")]);
        assert_eq!(
            e,
            EarlyExit {
                stdout: format!("{n}\n"),
                stderr: String::new(),
                code: 0
            }
        );
        assert_eq!(exit(&["--signum", name]).stdout, format!("{n}\n"));
    }
    // The values keepalived 2.2.7 prints on glibc/x86_64.
    assert_eq!(exit(&["--signum=STATS_CLEAR"]).stdout, "63\n");
    assert_eq!(exit(&["--signum=JSON"]).stdout, "36\n");
    assert_eq!(exit(&["--signum=STOP"]).stdout, "15\n");
    assert_eq!(exit(&["--sig=DATA"]).stdout, "10\n");
    for bad in ["FOO", "stop", "TDUMP"] {
        let e = exit(&["--signum", bad]);
        assert_eq!(
            e,
            EarlyExit {
                stdout: String::new(),
                stderr: format!("Unknown sigfunc {bad}\n"),
                code: 1
            }
        );
    }
}

#[test]
fn version_and_help_exit_zero_on_stderr() {
    for a in ["-v", "--version", "--vers"] {
        let e = exit(&[a]);
        assert_eq!(e.code, 0);
        assert!(e.stdout.is_empty());
        assert!(
            e.stderr
                .starts_with("Keepalived v2.2.7 (01/16,2022), keepalived-rs "),
            "{}",
            e.stderr
        );
    }
    for a in ["-h", "--help"] {
        let e = exit(&[a]);
        assert_eq!(e.code, 0);
        assert!(e.stderr.starts_with("Usage: keepalived [OPTION...]\n"));
    }
    let e = cli::parse(["/usr/sbin/keepalived", "-h"]);
    assert!(
        matches!(e, Command::Exit(e) if e.stderr.starts_with("Usage: /usr/sbin/keepalived [OPTION...]"))
    );
}

#[test]
fn help_contains_every_line_of_keepalived_227_help() {
    let reference = include_str!("data/cli/keepalived-2.2.7-help.txt");
    let ours = exit(&["--help"]).stderr;
    for line in reference.lines() {
        assert!(
            ours.lines().any(|l| l == line),
            "missing help line: {line:?}\n--- ours:\n{ours}"
        );
    }
}

#[test]
fn help_lists_every_option() {
    let help = cli::usage("keepalived");
    for long in cli::long_option_names() {
        assert!(
            help.contains(&format!("--{long}")),
            "--{long} missing from help"
        );
    }
    for long in [
        "use-file",
        "log-file",
        "flush-log-file",
        "check-config",
        "format",
        "skip-host-checks",
        "genhash",
    ] {
        assert!(cli::long_option_names().any(|l| l == long), "{long}");
    }
}

#[test]
fn genhash_is_refused_before_reading_its_arguments() {
    let e = exit(&["-T", "-s", "example", "-p", "80"]);
    assert_eq!(e.code, 1);
    assert!(e.stderr.contains("genhash"), "{}", e.stderr);
}

#[test]
fn bad_options_exit_1_with_keepalived_messages() {
    for (args, msg) in [
        (&["--bogus"][..], "Unknown option --bogus\n"),
        (&["-Z"], "Unknown option -Z\n"),
        (&["-f"], "Missing parameter for option -f\n"),
        (&["-S"], "Missing parameter for option -S\n"),
        (
            &["--use-file="],
            "Missing parameter for option --use-file\n",
        ),
        (&["--signum="], "Missing parameter for option --signum\n"),
        (&["--signum"], "Missing parameter for option --signum\n"),
        (&["--vrrp=x"], "Unknown option --vrrp=x\n"),
        (&["--help=3"], "Unknown option --help=3\n"),
        (&["--d"], "Unknown option --d\n"),
        (&["--al"], "Unknown option --al\n"),
        (&["--log-f"], "Unknown option --log-f\n"),
        (&["-lnZ"], "Unknown option -Z\n"),
    ] {
        let e = exit(args);
        assert_eq!(
            (e.code, e.stderr.as_str(), e.stdout.as_str()),
            (1, msg, ""),
            "{args:?}"
        );
    }
    // Every bad option is reported, then the stray operands (on stdout), then exit 1.
    let e = exit(&["-Z", "stray", "--bogus"]);
    assert_eq!(e.stderr, "Unknown option -Z\nUnknown option --bogus\n");
    assert_eq!(e.stdout, "Unexpected argument(s): stray \n");
    assert_eq!(e.code, 1);
}

#[test]
fn immediate_options_win_over_earlier_errors() {
    // keepalived -Zv: "Unknown option -Z", then the version, exit 0.
    let e = exit(&["-Zv"]);
    assert_eq!(e.code, 0);
    assert!(
        e.stderr.starts_with("Unknown option -Z\nKeepalived v2.2.7"),
        "{}",
        e.stderr
    );
    // keepalived -vZ: -v acts first, -Z is never looked at.
    let e = exit(&["-vZ"]);
    assert!(e.stderr.starts_with("Keepalived v2.2.7"));
    assert_eq!(e.code, 0);
    let e = exit(&["--bogus", "--signum=STOP"]);
    assert_eq!(
        (e.code, e.stdout.as_str(), e.stderr.as_str()),
        (0, "15\n", "Unknown option --bogus\n")
    );
}

#[test]
fn stray_operands_are_not_fatal() {
    let o = run(&["-n", "extra", "more"]);
    assert!(o.dont_fork);
    assert_eq!(o.notices.len(), 1);
    assert_eq!(o.notices[0].stream, Stream::Stdout);
    assert_eq!(o.notices[0].text, "Unexpected argument(s): extra more \n");
}

#[test]
fn typical_unit_file_command_lines() {
    // Debian's unit: keepalived --dont-fork $DAEMON_ARGS; RHEL's: keepalived -D -S 0.
    let o = run(&[
        "--dont-fork",
        "-D",
        "-S",
        "0",
        "-P",
        "-f",
        "/etc/keepalived/keepalived.conf",
    ]);
    assert!(o.dont_fork && o.log.detail == 1 && !o.subsystems.checkers);
    assert_eq!(o.log.facility, Facility::Local(0));
    // 1.1.x era init scripts: keepalived -D -d -S 7 -p /var/run/keepalived.pid
    let o = run(&[
        "-D",
        "-d",
        "-S",
        "7",
        "-p",
        "/var/run/keepalived.pid",
        "-r",
        "/var/run/vrrp.pid",
    ]);
    assert!(o.dump_conf);
    assert_eq!(o.log.facility, Facility::Local(7));
    assert_eq!(o.pid_files.vrrp, Path::new("/var/run/vrrp.pid"));
}

#[test]
fn arbitrary_command_lines_never_panic() {
    let words = [
        "-", "--", "-f", "--signum", "-S", "x", "-t", "--format", "=", "-é", "--=", "-vT", "",
        "--all",
    ];
    for a in words {
        for b in words {
            for c in words {
                let _ = parse(&[a, b, c]);
            }
        }
    }
}

/// The logging the daemon sets up from the command line (`LogConfig::for_vrrp`).
#[test]
fn log_config_from_command_line_follows_keepalived() {
    let c = keepalived_rs::daemon::log::LogConfig::for_vrrp(&run(&[]), None, None);
    assert_eq!(c.ident, "Keepalived_vrrp");
    assert_eq!(c.facility, Facility::Daemon);
    assert_eq!(c.syslog.as_deref(), Some(std::path::Path::new("/dev/log")));
    assert!(!c.console);
    assert_eq!(c.max_level(), log::LevelFilter::Info);

    // -l alone: keepalived forks and never writes the console.
    assert!(!keepalived_rs::daemon::log::LogConfig::for_vrrp(&run(&["-l"]), None, None).console);
    let c = keepalived_rs::daemon::log::LogConfig::for_vrrp(
        &run(&["-l", "-n", "-G", "-D", "-S", "local3"]),
        None,
        None,
    );
    assert!(c.console);
    assert!(c.syslog.is_none());
    assert_eq!(c.facility, Facility::Local(3));
    assert_eq!(c.max_level(), log::LevelFilter::Debug);
    assert_eq!(
        keepalived_rs::daemon::log::LogConfig::for_vrrp(&run(&["-DD"]), None, None).max_level(),
        log::LevelFilter::Trace
    );
    // -t never logs to syslog.
    assert!(
        keepalived_rs::daemon::log::LogConfig::for_vrrp(&run(&["-t"]), None, None)
            .syslog
            .is_none()
    );

    let c = keepalived_rs::daemon::log::LogConfig::for_vrrp(
        &run(&["-g/var/log/ka.log"]),
        Some("ns"),
        Some("i1"),
    );
    assert_eq!(
        c.file.as_deref(),
        Some(std::path::Path::new("/var/log/ka_vrrp_ns_i1.log"))
    );
    assert_eq!(c.ident, "Keepalived_vrrp_ns_i1");
}
