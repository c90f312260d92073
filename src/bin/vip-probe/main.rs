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
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).expect("install signal handler");
    }
    let t0 = Instant::now();
    let mut run = Run::new(t0, args.quiet);
    let result = if args.mode == args::Mode::Icmp {
        stream_icmp(&args, &stop, &mut run)
    } else {
        probe_in_turn(&args, &stop, &mut run)
    };
    if let Err(e) = result {
        eprintln!("vip-probe: {e}");
        std::process::exit(2);
    }
    let mut summary = run.summary;
    let elapsed = t0.elapsed();
    summary.finish(elapsed);
    if !args.quiet && run.tty {
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

/// The summary of a run and its live output on stderr.
struct Run {
    t0: Instant,
    summary: Summary,
    quiet: bool,
    tty: bool,
    progress_every: Duration,
    next_progress: Instant,
}

impl Run {
    fn new(t0: Instant, quiet: bool) -> Run {
        let tty = std::io::stderr().is_terminal();
        let progress_every = if tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(1)
        };
        Run {
            t0,
            summary: Summary::default(),
            quiet,
            tty,
            progress_every,
            next_progress: t0 + progress_every,
        }
    }

    /// One probe's result: it started at `started` and was settled at `finished`.
    fn record(&mut self, started: Instant, finished: Instant, result: Result<(), String>) {
        let was_open = self.summary.open_outage().is_some();
        self.summary
            .record(started - self.t0, finished - self.t0, result);
        if !self.quiet {
            live_lines(&self.summary, was_open, self.tty);
            if finished >= self.next_progress {
                progress(&self.summary, finished - self.t0, self.tty);
                self.next_progress = finished + self.progress_every;
            }
        }
    }
}

fn running(stop: &AtomicBool, end: Option<Instant>) -> bool {
    !stop.load(Ordering::Relaxed) && end.is_none_or(|e| Instant::now() < e)
}

/// MySQL and TCP: one probe at a time, started every interval (a slow probe delays the
/// next one instead of piling them up).
fn probe_in_turn(args: &args::Args, stop: &AtomicBool, run: &mut Run) -> Result<(), String> {
    let mut prober = probers::Prober::new(args)?;
    let end = args.duration.map(|d| run.t0 + d);
    let mut next = run.t0;
    while running(stop, end) {
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        let started = Instant::now();
        let result = prober.probe();
        let finished = Instant::now();
        run.record(started, finished, result);
        next += args.interval;
        if next < finished {
            next = finished; // overran (a slow probe): no burst to catch up
        }
    }
    Ok(())
}

/// ICMP: a request every interval whatever happens to the earlier ones; each is recorded,
/// in send order, once its reply arrives or its timeout passes.
fn stream_icmp(args: &args::Args, stop: &AtomicBool, run: &mut Run) -> Result<(), String> {
    let target = args.target.parse().map_err(|e| format!("{e}"))?;
    let mut stream = icmp::EchoStream::new(target)
        .map_err(|e| format!("cannot open a raw ICMP socket (needs root): {e}"))?;
    let end = args.duration.map(|d| run.t0 + d);
    let mut next = run.t0;
    let settle = |stream: &mut icmp::EchoStream, run: &mut Run| {
        for s in stream.settled(Instant::now(), args.timeout) {
            run.record(s.sent, s.settled, s.result);
        }
    };
    while running(stop, end) {
        stream.receive_until(next);
        settle(&mut stream, run);
        stream.send();
        next += args.interval;
        let now = Instant::now();
        if next < now {
            next = now; // the host stalled us: no burst to catch up
        }
    }
    // The last requests get their timeout to be answered.
    let deadline = Instant::now() + args.timeout;
    while stream.has_pending() && Instant::now() < deadline {
        stream.receive_until(deadline.min(Instant::now() + args.interval));
        settle(&mut stream, run);
    }
    Ok(())
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
