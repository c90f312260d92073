//! The logger never blocks its caller, and writes keepalived's syslog datagrams and log
//! file lines.

use keepalived_rs::cli::{self, Command, Options};
use keepalived_rs::daemon::log::{Entry, Facility, LogConfig, Logger, Sink};
use log::Log;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn options(args: &[&str]) -> Options {
    match cli::parse(std::iter::once("keepalived").chain(args.iter().copied())) {
        Command::Run(o) => *o,
        Command::Exit(e) => panic!("{e:?}"),
    }
}

fn record_at(logger: &Logger, level: log::Level, msg: &str) {
    logger.log(
        &log::Record::builder()
            .level(level)
            .args(format_args!("{msg}"))
            .build(),
    );
}

/// A sink that blocks until the test lets it go, like a console nobody reads.
struct Stuck(mpsc::Receiver<()>);
impl Sink for Stuck {
    fn write(&mut self, _: &Entry) -> std::io::Result<()> {
        let _ = self.0.recv();
        Ok(())
    }
}

#[test]
fn a_stuck_sink_never_blocks_the_caller() {
    let (release, stuck) = mpsc::channel();
    let (logger, handle) =
        Logger::with_sinks(log::LevelFilter::Info, 1024, vec![Box::new(Stuck(stuck))]).unwrap();
    let start = Instant::now();
    for i in 0..100_000 {
        logger.log(
            &log::Record::builder()
                .level(log::Level::Info)
                .args(format_args!("(VI_{i}) Entering MASTER STATE"))
                .build(),
        );
    }
    let took = start.elapsed();
    let c = handle.counters();
    eprintln!("100,000 log calls with a stuck sink: {took:?}, {c:?}");
    // 100,000 formatted calls take a few tens of ms; a blocked call would hang here forever.
    assert!(
        took < Duration::from_secs(5),
        "100k log calls took {took:?}"
    );
    assert_eq!(c.queued + c.dropped, 100_000);
    assert!(c.dropped > 0, "{c:?}");
    // Queue capacity plus the one record the writer holds.
    assert!(c.queued <= 1025, "{c:?}");
    // A bounded flush gives up instead of hanging.
    assert!(!handle.flush(Duration::from_millis(50)));
    drop(release);
}

fn bind_fake_dev_log(dir: &Path) -> (UnixDatagram, std::path::PathBuf) {
    let path = dir.join("log");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    (socket, path)
}

fn recv(socket: &UnixDatagram) -> String {
    let mut buf = vec![0u8; 65536];
    let n = socket.recv(&mut buf).expect("a syslog datagram within 5 s");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

/// Checks `<PRI>Mmm dd hh:mm:ss rest` and returns `rest`.
fn strip_header(datagram: &str, pri: u8) -> &str {
    let rest = datagram
        .strip_prefix(&format!("<{pri}>"))
        .unwrap_or_else(|| panic!("bad PRI in {datagram:?}"));
    let (ts, rest) = rest.split_at(15);
    let b = ts.as_bytes();
    assert!(b[..3].iter().all(u8::is_ascii_alphabetic), "{ts:?}");
    assert_eq!(b[3], b' ');
    assert!(b[4] == b' ' || b[4].is_ascii_digit(), "{ts:?}");
    assert!(
        b[5].is_ascii_digit() && b[9] == b':' && b[12] == b':',
        "{ts:?}"
    );
    rest.strip_prefix(' ').expect("space after timestamp")
}

#[test]
fn syslog_datagrams_are_keepalived_shaped() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, path) = bind_fake_dev_log(dir.path());
    let config = LogConfig {
        syslog: Some(path),
        ..LogConfig::for_vrrp(&options(&["-D"]), None, None)
    };
    let (logger, handle) = Logger::new(&config).unwrap();
    record_at(&logger, log::Level::Info, "(VI_1) Entering MASTER STATE");
    record_at(&logger, log::Level::Debug, "(VI_1) setting VIPs.");
    record_at(&logger, log::Level::Error, "(VI_1) Unknown interface!");
    assert!(handle.flush(Duration::from_secs(5)));
    let pid = std::process::id();
    // daemon(3)*8 + info(6) = 30; detail messages are info too, as in keepalived; err = 27.
    assert_eq!(
        strip_header(&recv(&socket), 30),
        format!("Keepalived_vrrp[{pid}]: (VI_1) Entering MASTER STATE")
    );
    assert_eq!(
        strip_header(&recv(&socket), 30),
        format!("Keepalived_vrrp[{pid}]: (VI_1) setting VIPs.")
    );
    assert_eq!(
        strip_header(&recv(&socket), 27),
        format!("Keepalived_vrrp[{pid}]: (VI_1) Unknown interface!")
    );
    let c = handle.counters();
    assert_eq!((c.written, c.sink_errors, c.dropped), (3, 0, 0));
}

#[test]
fn facility_from_dash_s_and_detail_filtering() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, path) = bind_fake_dev_log(dir.path());
    let config = LogConfig {
        syslog: Some(path),
        ..LogConfig::for_vrrp(&options(&["-S", "local7"]), Some("blue"), None)
    };
    assert_eq!(config.facility, Facility::Local(7));
    let (logger, handle) = Logger::new(&config).unwrap();
    record_at(&logger, log::Level::Debug, "detail, dropped without -D");
    record_at(&logger, log::Level::Warn, "w");
    assert!(handle.flush(Duration::from_secs(5)));
    // local7 = 23; 23*8 + warning(4) = 188. The debug line was filtered before the queue.
    let d = recv(&socket);
    assert_eq!(
        strip_header(&d, 188),
        format!("Keepalived_vrrp_blue[{}]: w", std::process::id())
    );
    assert_eq!(handle.counters().queued, 1);
}

#[test]
fn a_syslog_daemon_that_does_not_read_costs_lines_not_time() {
    let dir = tempfile::tempdir().unwrap();
    // Bound but never read: its receive queue fills up.
    let (_socket, path) = bind_fake_dev_log(dir.path());
    let config = LogConfig {
        syslog: Some(path),
        queue_capacity: 64,
        ..LogConfig::for_vrrp(&options(&[]), None, None)
    };
    let (logger, handle) = Logger::new(&config).unwrap();
    let start = Instant::now();
    for i in 0..5000 {
        logger.submit(log::Level::Info, format!("line {i} {}", "x".repeat(200)));
        if i % 64 == 0 {
            // Let the writer run so it really meets the full socket.
            assert!(
                handle.flush(Duration::from_secs(5)),
                "writer stalled on a full /dev/log"
            );
        }
    }
    assert!(handle.flush(Duration::from_secs(5)));
    assert!(start.elapsed() < Duration::from_secs(20));
    let c = handle.counters();
    assert!(c.sink_errors > 0, "{c:?}");
    assert_eq!(c.written + c.dropped, 5000);
}

#[test]
fn log_file_lines() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("ka.log");
    let opts = options(&[
        &format!("--log-file={}", name.display()),
        "--flush-log-file",
        "-G",
    ]);
    let config = LogConfig::for_vrrp(&opts, None, None);
    let file = dir.path().join("ka_vrrp.log");
    assert_eq!(config.file.as_deref(), Some(file.as_path()));
    let (logger, handle) = Logger::new(&config).unwrap();
    record_at(
        &logger,
        log::Level::Info,
        "(VI_1) Entering BACKUP STATE (init)",
    );
    record_at(&logger, log::Level::Info, "second");
    assert!(handle.flush(Duration::from_secs(5)));
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    // "Wed Jan 06 09:05:01.123456789 2021: message"
    let (stamp, msg) = lines[0].split_once(": ").unwrap();
    assert_eq!(msg, "(VI_1) Entering BACKUP STATE (init)");
    assert_eq!(
        stamp.len(),
        "Wed Jan 06 09:05:01.123456789 2021".len(),
        "{stamp}"
    );
    assert_eq!(&stamp[19..20], ".");
    assert!(lines[1].ends_with(": second"));
}

#[test]
fn unopenable_log_file_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        file: Some(dir.path().join("missing-dir/ka.log")),
        syslog: None,
        ..LogConfig::for_vrrp(&options(&[]), None, None)
    };
    let err = Logger::new(&config).err().expect("open must fail");
    assert!(err.to_string().contains("missing-dir/ka.log"), "{err}");
}
