//! Logging: a [`log`] backend writing keepalived's lines to syslog, the console and a file —
//! without ever making the caller wait.
//!
//! Nothing may stall an advert: keepalived writes its log lines synchronously, so
//! a slow sink (no syslog daemon, so glibc falls back to a slow console) stalls its timers
//! into a flapping cascade. Here a logging call only formats the message and tries to put
//! it in a bounded queue; a writer thread drains the queue into the sinks. When the queue is
//! full the record is dropped and counted ([`LogCounters::dropped`]), and the writer reports
//! the loss in a warning line and a metric once it catches up ([`loss`]); when `/dev/log` is
//! missing or full, the line is lost for syslog only and counted
//! ([`LogCounters::sink_errors`]). Nothing is ever retried on the caller's thread.
//!
//! ```text
//!  log::info!(..) ──try_send──► [ bounded queue ] ──► writer thread ──► syslog  (/dev/log)
//!   (any thread)      full? drop+count                               ├─► console (-l -n)
//!                                                                    └─► file    (-g)
//! ```
//!
//! Levels: keepalived's ordinary messages are `info!` (or `warn!`/`error!`); its "detail"
//! messages, printed only with `-D`, are `debug!`; "extra detail" (`-D -D`) is `trace!`.
//! Without `-D` they are filtered before formatting, so they cost nothing. All of them go to
//! syslog at keepalived's severity (see [`syslog::severity`]).
//!
//! The writer is a thread: install the logger *after* [`crate::sys::daemonize`] (a fork
//! keeps only the calling thread).

pub mod loss;
mod sinks;
mod syslog;
pub(crate) mod time;

pub use sinks::{log_file_path, tmp_dir};
pub use syslog::{format_datagram, priority, severity, Facility, DEFAULT_SYSLOG_PATH};
pub use time::{console_timestamp, file_timestamp, syslog_timestamp};

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// syslog ident of the VRRP process.
pub const VRRP_IDENT: &str = "Keepalived_vrrp";
/// syslog ident of keepalived's parent process.
pub const PARENT_IDENT: &str = "Keepalived";
/// Default queue length: several seconds of a busy 100-instance start-up with `-D`.
pub const DEFAULT_QUEUE_CAPACITY: usize = 4096;

/// The syslog ident keepalived uses for a process: `Keepalived_vrrp`, plus `_NETNS` and
/// `_INSTANCE` when `net_namespace` / `instance` are configured.
pub fn syslog_ident(base: &str, namespace: Option<&str>, instance: Option<&str>) -> String {
    let mut ident = base.to_owned();
    for part in [namespace, instance].into_iter().flatten() {
        ident.push('_');
        ident.push_str(part);
    }
    ident
}

/// One log line on its way to the sinks.
#[derive(Clone, Debug)]
pub struct Entry {
    /// When the logging call was made (not when it was written).
    pub time: SystemTime,
    pub level: log::Level,
    /// The message text, keepalived's wording, without prefix.
    pub message: String,
}

/// A destination for log lines. Runs on the writer thread only, so it may block; while it
/// does, new records are dropped at the queue.
pub trait Sink: Send {
    /// Writes one entry. An error loses this entry for this sink only (and is counted).
    fn write(&mut self, entry: &Entry) -> io::Result<()>;
    /// Pushes out anything buffered; called when the queue runs empty.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Where and how to log; see [`LogConfig::for_vrrp`] (built from the command line in
/// [`super::options`], so logging does not depend on the options type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// syslog ident, e.g. [`VRRP_IDENT`].
    pub ident: String,
    pub facility: Facility,
    /// syslog socket path (`/dev/log`), `None` with `-G`.
    pub syslog: Option<PathBuf>,
    /// Console lines on stderr.
    pub console: bool,
    /// Log file, already resolved (see [`log_file_path`]).
    pub file: Option<PathBuf>,
    pub flush_file: bool,
    /// 0: info and above; 1 (`-D`): + debug ("detail"); 2 (`-DD`): + trace.
    pub detail: u8,
    pub queue_capacity: usize,
}

impl LogConfig {
    /// Highest level let through: Info, Debug with `-D`, Trace with `-DD`.
    pub fn max_level(&self) -> log::LevelFilter {
        match self.detail {
            0 => log::LevelFilter::Info,
            1 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        }
    }
}

/// Counters shared by the logging callers and the writer thread.
#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    dropped: AtomicU64,
    written: AtomicU64,
    sink_errors: AtomicU64,
    /// Entries queued and not yet taken by the writer (bounded by the capacity).
    pending: AtomicUsize,
}

/// The sending side of the queue: bounded by a count of waiting entries rather than by a
/// preallocated ring, so an idle daemon holds no queue memory (a ring for thousands of
/// entries would be resident for the process's whole life).
#[derive(Clone)]
struct Queue {
    tx: Sender<Message>,
    counters: Arc<Counters>,
    capacity: usize,
}

impl Queue {
    /// Queues `entry` unless `capacity` entries already wait; never blocks.
    fn try_send_entry(&self, entry: Entry) -> bool {
        if self.counters.pending.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.counters.pending.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        if self.tx.send(Message::Entry(entry)).is_err() {
            self.counters.pending.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Queues a flush marker (not counted against the capacity); false once the writer
    /// is gone.
    fn send_marker(&self, marker: Message) -> bool {
        self.tx.send(marker).is_ok()
    }
}

/// A snapshot of the logger's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCounters {
    /// Records accepted into the queue.
    pub queued: u64,
    /// Records dropped because the queue was full.
    pub dropped: u64,
    /// Records the writer took from the queue and handed to the sinks.
    pub written: u64,
    /// Individual sink writes that failed (sink absent, full, or erroring).
    pub sink_errors: u64,
}

enum Message {
    Entry(Entry),
    /// Reply once everything queued before this has been written and flushed.
    Flush(mpsc::Sender<()>),
}

/// Errors setting up logging.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot open log file {path}: {source}")]
    OpenFile { path: PathBuf, source: io::Error },
    #[error("cannot start the log writer thread: {0}")]
    Thread(io::Error),
    #[error("a logger is already installed")]
    AlreadyInstalled,
}

/// The [`log::Log`] implementation. Cheap to call from any thread; never blocks.
pub struct Logger {
    queue: Queue,
    counters: Arc<Counters>,
    max_level: log::LevelFilter,
}

/// A handle to the writer, for counters and flushing; clone freely.
#[derive(Clone)]
pub struct LogHandle {
    queue: Queue,
    counters: Arc<Counters>,
}

impl Logger {
    /// Builds the sinks `config` names and starts the writer thread.
    pub fn new(config: &LogConfig) -> Result<(Logger, LogHandle), LogError> {
        let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
        if let Some(path) = &config.syslog {
            sinks.push(Box::new(syslog::SyslogSink::new(
                path.clone(),
                config.ident.clone(),
                config.facility,
            )));
        }
        if config.console {
            sinks.push(Box::new(sinks::ConsoleSink));
        }
        if let Some(path) = &config.file {
            let sink = sinks::FileSink::open(path, config.flush_file).map_err(|source| {
                LogError::OpenFile {
                    path: path.clone(),
                    source,
                }
            })?;
            sinks.push(Box::new(sink));
        }
        Logger::with_sinks(config.max_level(), config.queue_capacity, sinks)
    }

    /// A logger writing to the given sinks (tests, or embedding).
    pub fn with_sinks(
        max_level: log::LevelFilter,
        queue_capacity: usize,
        sinks: Vec<Box<dyn Sink>>,
    ) -> Result<(Logger, LogHandle), LogError> {
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let queue = Queue {
            tx,
            counters: Arc::clone(&counters),
            capacity: queue_capacity.max(1),
        };
        let writer_counters = Arc::clone(&counters);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || run_writer(rx, sinks, &writer_counters))
            .map_err(LogError::Thread)?;
        let handle = LogHandle {
            queue: queue.clone(),
            counters: Arc::clone(&counters),
        };
        Ok((
            Logger {
                queue,
                counters,
                max_level,
            },
            handle,
        ))
    }

    /// Makes this the process-wide logger behind `log::info!` etc.
    pub fn install(self) -> Result<(), LogError> {
        let max_level = self.max_level;
        log::set_boxed_logger(Box::new(self)).map_err(|_| LogError::AlreadyInstalled)?;
        log::set_max_level(max_level);
        Ok(())
    }

    /// Queues one message (what [`log::Log::log`] does after filtering). Never blocks.
    pub fn submit(&self, level: log::Level, message: String) {
        let entry = Entry {
            time: SystemTime::now(),
            level,
            message,
        };
        if self.queue.try_send_entry(entry) {
            self.counters.queued.fetch_add(1, Ordering::Relaxed);
        } else {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            loss::note_dropped();
        }
    }
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= self.max_level
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            self.submit(record.level(), record.args().to_string());
        }
    }

    fn flush(&self) {
        // `log::logger().flush()` is called on the way out; bound the wait.
        flush_queue(&self.queue, Duration::from_millis(500));
    }
}

impl LogHandle {
    /// Current counters.
    pub fn counters(&self) -> LogCounters {
        LogCounters {
            queued: self.counters.queued.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            written: self.counters.written.load(Ordering::Relaxed),
            sink_errors: self.counters.sink_errors.load(Ordering::Relaxed),
        }
    }

    /// Waits up to `timeout` until everything queued so far is written and flushed; false
    /// if it was not (a sink is stuck). For shutdown and tests; never on an advert path.
    pub fn flush(&self, timeout: Duration) -> bool {
        flush_queue(&self.queue, timeout)
    }
}

fn flush_queue(queue: &Queue, timeout: Duration) -> bool {
    let (done_tx, done_rx) = mpsc::channel();
    if !queue.send_marker(Message::Flush(done_tx)) {
        return false;
    }
    done_rx.recv_timeout(timeout).is_ok()
}

/// Writes `entry` to every sink, counting the failures.
fn write_all(sinks: &mut [Box<dyn Sink>], entry: &Entry, counters: &Counters) {
    for sink in sinks.iter_mut() {
        if sink.write(entry).is_err() {
            counters.sink_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Writes the "N log lines lost" warning when [`loss::LossReport`] says one is due.
fn report_loss(
    report: &mut loss::LossReport,
    sinks: &mut [Box<dyn Sink>],
    counters: &Counters,
    caught_up: bool,
) {
    let dropped = counters.dropped.load(Ordering::Relaxed);
    if let Some(lost) = report.due(dropped, Instant::now(), caught_up) {
        let entry = Entry {
            time: SystemTime::now(),
            level: log::Level::Warn,
            message: loss::loss_text(lost),
        };
        write_all(sinks, &entry, counters);
    }
}

fn run_writer(rx: Receiver<Message>, mut sinks: Vec<Box<dyn Sink>>, counters: &Counters) {
    let flush_all = |sinks: &mut Vec<Box<dyn Sink>>| {
        for sink in sinks.iter_mut() {
            if sink.flush().is_err() {
                counters.sink_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    let mut losses = loss::LossReport::default();
    loop {
        // Drain what is there without waiting, then flush and wait for more.
        let message = match rx.try_recv() {
            Ok(message) => message,
            Err(TryRecvError::Empty) => {
                report_loss(&mut losses, &mut sinks, counters, true);
                flush_all(&mut sinks);
                match rx.recv() {
                    Ok(message) => message,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        match message {
            Message::Entry(entry) => {
                counters.pending.fetch_sub(1, Ordering::AcqRel);
                write_all(&mut sinks, &entry, counters);
                counters.written.fetch_add(1, Ordering::Relaxed);
                report_loss(&mut losses, &mut sinks, counters, false);
            }
            Message::Flush(done) => {
                report_loss(&mut losses, &mut sinks, counters, true);
                flush_all(&mut sinks);
                let _ = done.send(());
            }
        }
    }
    flush_all(&mut sinks);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what it is given.
    struct Collect(Arc<Mutex<Vec<(log::Level, String)>>>);
    impl Sink for Collect {
        fn write(&mut self, entry: &Entry) -> io::Result<()> {
            self.0
                .lock()
                .unwrap()
                .push((entry.level, entry.message.clone()));
            Ok(())
        }
    }

    #[test]
    fn detail_levels_are_filtered_by_d() {
        use log::Log;
        for (detail, expect) in [(0u8, 1usize), (1, 2), (2, 3)] {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let config = LogConfig {
                detail,
                ..LogConfig::for_vrrp(&crate::daemon::options::Options::default(), None, None)
            };
            let (logger, handle) = Logger::with_sinks(
                config.max_level(),
                16,
                vec![Box::new(Collect(seen.clone()))],
            )
            .unwrap();
            for level in [log::Level::Info, log::Level::Debug, log::Level::Trace] {
                logger.log(
                    &log::Record::builder()
                        .level(level)
                        .args(format_args!("m {level}"))
                        .build(),
                );
            }
            assert!(handle.flush(Duration::from_secs(5)));
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), expect, "detail {detail}: {seen:?}");
            assert_eq!(seen[0], (log::Level::Info, "m INFO".to_owned()));
        }
    }

    #[test]
    fn failing_sink_is_counted_and_others_still_written() {
        struct Failing;
        impl Sink for Failing {
            fn write(&mut self, _: &Entry) -> io::Result<()> {
                Err(io::Error::other("nope"))
            }
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (logger, handle) = Logger::with_sinks(
            log::LevelFilter::Info,
            16,
            vec![Box::new(Failing), Box::new(Collect(seen.clone()))],
        )
        .unwrap();
        logger.submit(log::Level::Info, "a".into());
        logger.submit(log::Level::Warn, "b".into());
        assert!(handle.flush(Duration::from_secs(5)));
        let c = handle.counters();
        assert_eq!(
            (c.queued, c.written, c.sink_errors, c.dropped),
            (2, 2, 2, 0)
        );
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[test]
    fn missing_dev_log_is_silent_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig {
            syslog: Some(dir.path().join("no-such-socket")),
            ..LogConfig::for_vrrp(&crate::daemon::options::Options::default(), None, None)
        };
        let (logger, handle) = Logger::new(&config).unwrap();
        for i in 0..10 {
            logger.submit(log::Level::Info, format!("line {i}"));
        }
        assert!(handle.flush(Duration::from_secs(5)));
        let c = handle.counters();
        assert_eq!(c.written, 10);
        assert_eq!(c.sink_errors, 10);
        assert_eq!(c.dropped, 0);
    }

    /// A sink that blocks until released, so the queue overflows behind it.
    struct Gate(Arc<(Mutex<bool>, std::sync::Condvar)>, Collect);
    impl Sink for Gate {
        fn write(&mut self, entry: &Entry) -> io::Result<()> {
            let (open, cv) = &*self.0;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
            self.1.write(entry)
        }
    }

    #[test]
    fn an_overflowing_queue_reports_the_lost_lines_in_the_log_and_the_metric() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let sink = Gate(gate.clone(), Collect(seen.clone()));
        let (logger, handle) =
            Logger::with_sinks(log::LevelFilter::Info, 8, vec![Box::new(sink)]).unwrap();
        let before = loss::lines_dropped_total();
        for i in 0..100 {
            logger.submit(log::Level::Info, format!("line {i}"));
        }
        let dropped = handle.counters().dropped;
        assert!(dropped >= 90, "the queue of 8 overflowed: {dropped}");
        assert!(loss::lines_dropped_total() >= before + dropped);
        let mut metrics = String::new();
        crate::daemon::metrics::prometheus::log_family(&mut metrics);
        let exported: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("keepalived_log_lines_dropped_total "))
            .expect("the metric is exported")
            .parse()
            .unwrap();
        assert!(exported >= before + dropped, "{metrics}");
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        assert!(handle.flush(Duration::from_secs(5)));
        let seen = seen.lock().unwrap();
        let report = (log::Level::Warn, loss::loss_text(dropped));
        assert!(seen.contains(&report), "{seen:?}");
        assert_eq!(seen.len() as u64, 100 - dropped + 1);
    }

    #[test]
    fn syslog_ident_suffixes() {
        assert_eq!(syslog_ident(VRRP_IDENT, None, None), "Keepalived_vrrp");
        assert_eq!(
            syslog_ident(VRRP_IDENT, Some("blue"), Some("a")),
            "Keepalived_vrrp_blue_a"
        );
        assert_eq!(syslog_ident(PARENT_IDENT, None, Some("a")), "Keepalived_a");
    }
}
