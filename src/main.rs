//! `keepalived`: the command-line edge. Parses keepalived's options, then either checks or
//! dumps the configuration, or runs the VRRP daemon.

use keepalived_rs::cli::{self, Command, DiagFormat, Stream};
use keepalived_rs::config::dump_config as dump;
use keepalived_rs::daemon::start::load;
use std::io::{IsTerminal, Write};

/// `-t` / `--check-config`: print every finding and exit with keepalived's code.
fn config_test(opts: &cli::Options) -> i32 {
    let mut checked = load(opts);
    // keepalived's -t checks inside `net_namespace` (or -s): its interfaces are the ones
    // that count. Where it cannot be entered, the check goes on here, saying so.
    let process = &checked.config.global.process;
    if let Some(ns) = opts.namespace.clone().or(process.net_namespace.clone()) {
        match keepalived_rs::sys::netns::enter(&ns) {
            Ok(()) => checked = load(opts),
            Err(e) => eprintln!("{e}: checking in the current network namespace, not {ns}"),
        }
    }
    let format = opts.diag_format(std::io::stderr().is_terminal());
    if format == DiagFormat::Human {
        let spans = checked.diagnostics.iter().filter_map(|d| d.span);
        checked.sources.preload_lines(spans);
    }
    let mut out = String::new();
    for d in &checked.diagnostics {
        match format {
            DiagFormat::Human => {
                out.push_str(&d.render_pretty(&checked.sources));
                out.push('\n');
            }
            DiagFormat::Keepalived => {
                out.push_str(&d.render_keepalived(&checked.sources));
                out.push('\n');
            }
            DiagFormat::Json => {
                out.push_str(&d.render_json(&checked.sources));
                out.push('\n');
            }
        }
    }
    let code = checked.exit_code();
    if format == DiagFormat::Human {
        let count = |f: fn(&keepalived_rs::config::diag::Diagnostic) -> bool| {
            checked.diagnostics.iter().filter(|d| f(d)).count()
        };
        let errors = count(|d| d.severity >= keepalived_rs::config::diag::Severity::Error);
        let warnings = count(|d| d.severity == keepalived_rs::config::diag::Severity::Warning);
        out.push_str(&format!(
            "{}: {} error(s), {} warning(s); exit code {}\n",
            opts.config_file.display(),
            errors,
            warnings,
            code
        ));
    }
    let written = match opts.config_test.as_ref().and_then(|t| t.log_file.as_ref()) {
        Some(path) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(out.as_bytes())),
        None => std::io::stderr().write_all(out.as_bytes()),
    };
    if written.is_err() {
        return 1;
    }
    // The process exits right after this: freeing a large configuration's syntax tree and
    // model piece by piece would only cost time (a sixth of `-t` on big files).
    std::mem::forget(checked);
    code
}

/// `--check-reload`: what a running daemon would do with the file on SIGHUP (the init
/// script asks before it signals, so its exit status agrees with the daemon). The file's
/// own `reload_check_config` stands for the running one's.
fn reload_check(opts: &cli::Options) -> i32 {
    let checked = load(opts);
    let strict = checked.config.global.reload_check_config.is_some();
    match checked.reload_refusal(strict) {
        None => 0,
        Some(r) => {
            eprintln!("{}", r.summary(&checked));
            r.exit_code
        }
    }
}

fn main() {
    let opts = match cli::parse(std::env::args_os()) {
        Command::Exit(e) => std::process::exit(e.emit()),
        Command::Run(o) => o,
    };
    for n in &opts.notices {
        match n.stream {
            Stream::Stdout => print!("{}", n.text),
            Stream::Stderr => eprint!("{}", n.text),
        }
    }
    if opts.check_reload {
        std::process::exit(reload_check(&opts));
    }
    if opts.config_test.is_some() {
        std::process::exit(config_test(&opts));
    }
    if opts.dump_conf {
        let checked = load(&opts);
        print!("{}", dump(&checked.config));
        std::process::exit(0);
    }
    std::process::exit(keepalived_rs::daemon::run_daemon(&opts));
}
