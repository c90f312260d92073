//! The logger installed process-wide behind the `log` macros (its own test binary: a
//! process has one global logger).

use keepalived_rs::cli::{self, Command};
use keepalived_rs::daemon::log::{LogConfig, Logger};
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

#[test]
fn log_macros_reach_syslog_with_keepalived_filtering() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let Command::Run(opts) = cli::parse(["keepalived", "-S", "user"]) else {
        panic!("options must parse")
    };
    let config = LogConfig {
        syslog: Some(path),
        ..LogConfig::for_vrrp(&opts, None, None)
    };
    let (logger, handle) = Logger::new(&config).unwrap();
    logger.install().unwrap();
    assert_eq!(log::max_level(), log::LevelFilter::Info);

    log::debug!("(VI_1) detail only with -D");
    log::info!("(VI_{}) Entering MASTER STATE", 1);
    log::logger().flush();
    assert!(handle.flush(Duration::from_secs(5)));

    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).unwrap();
    let datagram = std::str::from_utf8(&buf[..n]).unwrap();
    // user(1)*8 + info(6) = 14.
    assert!(datagram.starts_with("<14>"), "{datagram}");
    assert!(
        datagram.ends_with(&format!(
            " Keepalived_vrrp[{}]: (VI_1) Entering MASTER STATE",
            std::process::id()
        )),
        "{datagram}"
    );
    // The debug line never reached the queue.
    assert_eq!(handle.counters().queued, 1);
    socket.set_nonblocking(true).unwrap();
    assert!(
        socket.recv(&mut buf).is_err(),
        "no second datagram expected"
    );
}
