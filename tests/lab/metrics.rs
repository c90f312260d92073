//! The daemon's Prometheus endpoint (`metrics_listen`) as a client inside a lab host sees
//! it: the listener is bound in the daemon's namespace, so only a socket made there can
//! reach 127.0.0.1 of that namespace.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::Host;

impl Host {
    /// The body of `GET /metrics` from 127.0.0.1:`port` in this host's namespace, or
    /// `None` when nothing answers there.
    pub fn scrape_metrics(&self, port: u16) -> Option<String> {
        self.in_namespace(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
            write!(
                s,
                "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            .ok()?;
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            Some(out.split_once("\r\n\r\n")?.1.to_string())
        })
    }
}
