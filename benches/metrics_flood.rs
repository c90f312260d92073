//! The metrics endpoint's scrape latency while 1,000 idle connections are open (issue
//! 15): opens 500 silent connections and 500 that stop halfway through a request
//! header, then times 1,000 scrapes (each on a fresh connection, as Prometheus does
//! after a timeout) and reports p50, p99 and the maximum. Target: p99 under 100 ms.
//!
//! Run: `cargo bench --bench metrics_flood` (no root needed; loopback only).

#[path = "../tests/dump_support/mod.rs"]
mod dump_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keepalived_rs::daemon::metrics::MetricsServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const IDLE: usize = 1_000;
const SCRAPES: usize = 1_000;

async fn open_idle(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        if i % 2 == 1 {
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: idle\r\nX-Slow: ")
                .await
                .expect("write");
        }
        held.push(s);
    }
    held
}

async fn scrape(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut raw))
        .await
        .expect("scrape answered within 30 s")
        .expect("read");
    assert!(raw.starts_with(b"HTTP/1.1 200"), "bad answer");
    started.elapsed()
}

fn main() {
    keepalived_rs::sys::fd_limit::raise_nofile_soft_limit().expect("open file limit");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The server gets its own thread and runtime, as in the daemon.
    let pair = dump_support::settled_pair();
    let server = MetricsServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = server.local_addr().unwrap();
    let (_tx, rx) = watch::channel(Arc::new(pair.snapshot(&pair.master)));
    std::thread::spawn(move || {
        let srt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        srt.block_on(server.serve(rx));
    });
    let mut took = rt.block_on(async {
        let _held = open_idle(addr, IDLE).await;
        let mut took = Vec::with_capacity(SCRAPES);
        for _ in 0..SCRAPES {
            took.push(scrape(addr).await);
        }
        took
    });
    took.sort();
    let at = |p: f64| took[((p * took.len() as f64).ceil() as usize).clamp(1, took.len()) - 1];
    println!(
        "metrics scrape with {IDLE} idle/slow connections open, {SCRAPES} scrapes: p50 {:?}, p99 {:?}, max {:?}",
        at(0.50),
        at(0.99),
        took[took.len() - 1]
    );
}
