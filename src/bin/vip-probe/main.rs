//! `vip-probe`: measures what clients of a virtual IP see during a failover.
//!
//! The operator's `while true; do mysql -h VIP -e 'select 1'; done` loop, done properly:
//! a probe every few milliseconds (MySQL `SELECT 1` on a persistent connection, a TCP
//! connect, or an ICMP echo), each outage window reported with its start, end and length,
//! a progress line while it runs, and a text or JSON summary at the end (after
//! `--duration`, or on SIGINT/SIGTERM). The daemon's failover tests and benchmarks read
//! its JSON.

mod args;
mod icmp;
mod outages;
mod probers;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use outages::Summary;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    mode: &'static str,
    target: &'a str,
    port: Option<u16>,
    interval_ms: f64,
    timeout_ms: f64,
    duration_ms: f64,
    #[serde(flatten)]
    summary: &'a Summary,
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match args::parse(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{}", args::USAGE);
            return;
        }
        Err(e) => {
            eprintln!("vip-probe: {e}\n\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    let mut prober = match probers::Prober::new(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vip-probe: {e}");
            std::process::exit(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).expect("install signal handler");
    }

    let t0 = Instant::now();
    let end = args.duration.map(|d| t0 + d);
    let tty = std::io::stderr().is_terminal();
    let progress_every = if tty {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(1)
    };
    let mut next_progress = t0 + progress_every;
    let mut summary = Summary::default();
    let mut next = t0;
    while !stop.load(Ordering::Relaxed) && end.is_none_or(|e| Instant::now() < e) {
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        let started = Instant::now();
        let result = prober.probe();
        let finished = Instant::now();
        let was_open = summary.open_outage().is_some();
        summary.record(started - t0, finished - t0, result);
        if !args.quiet {
            live_lines(&summary, was_open, tty);
            if finished >= next_progress {
                progress(&summary, finished - t0, tty);
                next_progress = finished + progress_every;
            }
        }
        next += args.interval;
        if next < finished {
            next = finished; // overran (a slow probe): no burst to catch up
        }
    }
    let elapsed = t0.elapsed();
    summary.finish(elapsed);
    if !args.quiet && tty {
        eprintln!();
    }
    let report = Report {
        mode: args.mode.name(),
        target: &args.target,
        port: (args.mode != args::Mode::Icmp).then_some(args.port),
        interval_ms: args.interval.as_secs_f64() * 1e3,
        timeout_ms: args.timeout.as_secs_f64() * 1e3,
        duration_ms: (elapsed.as_secs_f64() * 1e6).round() / 1e3,
        summary: &summary,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    } else {
        print_text(&report);
    }
}

/// "outage started" / "outage ended" as they happen.
fn live_lines(s: &Summary, was_open: bool, tty: bool) {
    let cr = if tty { "\r\x1b[K" } else { "" };
    match (was_open, s.open_outage()) {
        (false, Some(o)) => eprintln!(
            "{cr}outage started at {:.3} s: {}",
            o.first_failure_ms / 1e3,
            o.first_error
        ),
        (true, None) => {
            if let Some(o) = s.outages.last() {
                eprintln!(
                    "{cr}outage ended at {:.3} s: {:.1} ms ({} failed probes)",
                    o.end_ms / 1e3,
                    o.length_ms,
                    o.failed_probes
                )
            }
        }
        _ => {}
    }
}

fn progress(s: &Summary, at: Duration, tty: bool) {
    let state = if s.open_outage().is_some() {
        "DOWN"
    } else {
        "UP"
    };
    let line = format!(
        "[{:7.1} s] {state:4} probes {} ok {} failed {} outages {} longest {:.1} ms",
        at.as_secs_f64(),
        s.probes,
        s.ok,
        s.failed,
        s.outages.len(),
        s.longest_outage_ms
    );
    let mut err = std::io::stderr().lock();
    let _ = if tty {
        write!(err, "\r\x1b[K{line}")
    } else {
        writeln!(err, "{line}")
    };
    let _ = err.flush();
}

fn print_text(r: &Report) {
    let s = r.summary;
    for (i, o) in s.outages.iter().enumerate() {
        println!(
            "outage {}: {:.3} s -> {:.3} s, {:.1} ms{} ({} failed probes; first error: {})",
            i + 1,
            o.start_ms / 1e3,
            o.end_ms / 1e3,
            o.length_ms,
            if o.ongoing { ", ongoing at exit" } else { "" },
            o.failed_probes,
            o.first_error
        );
    }
    println!(
        "{} {}: {} probes in {:.1} s every {} ms, {} ok, {} failed, {} outages, \
         total {:.1} ms, longest {:.1} ms",
        r.mode,
        r.target,
        s.probes,
        r.duration_ms / 1e3,
        r.interval_ms,
        s.ok,
        s.failed,
        s.outages.len(),
        s.total_outage_ms,
        s.longest_outage_ms
    );
}
