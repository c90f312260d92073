//! ICMP / ICMPv6 echo over a raw socket (needs CAP_NET_RAW), sent as a fixed-rate stream.
//! socket2 keeps this free of `unsafe`.
//!
//! ```text
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |  Type (8/128) |    Code (0)   |           Checksum            |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |           Identifier          |        Sequence Number        |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |     Payload (16 bytes) ...
//! ```
//! RFC 792 (ICMP echo), RFC 4443 §4.1/4.2 (ICMPv6 echo; the kernel fills its checksum).

use std::collections::VecDeque;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::time::TimeSpec;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Echo requests sent at a fixed rate whether or not replies come back, like a client
/// that keeps talking through an outage. (A request-then-wait prober, or `ping`, which
/// slows to one request per 10 ms while its packets go unanswered, measures the end of
/// an outage only to its timeout or to 10 ms.)
pub struct EchoStream {
    socket: Socket,
    target: SockAddr,
    v6: bool,
    id: u16,
    seq: u16,
    /// Requests not yet settled, in send order.
    pending: VecDeque<Request>,
}

struct Request {
    seq: u16,
    sent: Instant,
    /// When the reply came, or why the request could not be sent.
    outcome: Option<Result<Instant, String>>,
}

/// A request whose fate is known: sent at `sent`, settled at `settled` (the reply's
/// arrival, the send error, or the timeout).
pub struct Settled {
    pub sent: Instant,
    pub settled: Instant,
    pub result: Result<(), String>,
}

/// RFC 1071 Internet checksum.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request with `id` and `seq`.
pub fn echo_request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(b"keepalived-probe");
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// The sequence number of `packet` (IPv4: with its IP header, as raw sockets deliver it)
/// if it is a reply to one of our requests (identifier `id`).
pub fn reply_seq(v6: bool, packet: &[u8], id: u16) -> Option<u16> {
    let icmp = if v6 {
        packet
    } else {
        let ihl = usize::from(packet.first()? & 0x0f) * 4;
        if ihl < 20 {
            return None;
        }
        packet.get(ihl..)?
    };
    (icmp.len() >= 8 && icmp[0] == if v6 { 129 } else { 0 } && icmp[4..6] == id.to_be_bytes())
        .then(|| u16::from_be_bytes([icmp[6], icmp[7]]))
}

impl EchoStream {
    pub fn new(target: IpAddr) -> std::io::Result<EchoStream> {
        let (domain, proto, v6) = match target {
            IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4, false),
            IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6, true),
        };
        let socket = Socket::new(domain, Type::RAW, Some(proto))?;
        socket.set_nonblocking(true)?;
        Ok(EchoStream {
            socket,
            target: SocketAddr::new(target, 0).into(),
            v6,
            id: (std::process::id() & 0xffff) as u16,
            seq: 0,
            pending: VecDeque::new(),
        })
    }

    /// Sends the next request now. A request the kernel refuses (no route, neighbour
    /// unreachable) is settled at once as failed.
    pub fn send(&mut self) {
        self.seq = self.seq.wrapping_add(1);
        let req = echo_request(self.v6, self.id, self.seq);
        let sent = Instant::now();
        let outcome = match self.socket.send_to(&req, &self.target) {
            Ok(_) => None,
            Err(e) => Some(Err(format!("send: {e}"))),
        };
        self.pending.push_back(Request {
            seq: self.seq,
            sent,
            outcome,
        });
    }

    /// Takes replies in until `until`. Waits with `ppoll`, whose timeout is precise to
    /// microseconds (a socket read timeout is rounded up to scheduler ticks: 4 ms).
    pub fn receive_until(&mut self, until: Instant) {
        let mut buf = [0u8; 1500];
        loop {
            // Everything that has arrived (the socket does not block).
            while let Ok(n) = (&self.socket).read(&mut buf) {
                let arrived = Instant::now();
                if let Some(seq) = reply_seq(self.v6, &buf[..n], self.id) {
                    if let Some(r) = self
                        .pending
                        .iter_mut()
                        .find(|r| r.seq == seq && r.outcome.is_none())
                    {
                        r.outcome = Some(Ok(arrived));
                    }
                }
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let mut fds = [PollFd::new(self.socket.as_fd(), PollFlags::POLLIN)];
            if ppoll(&mut fds, Some(TimeSpec::from_duration(left)), None).is_err() {
                return; // interrupted (SIGINT): the caller decides whether to go on
            }
        }
    }

    /// The requests settled by `now`, oldest first: answered, refused, or unanswered for
    /// `timeout`. Stops at the first one still open, so results come in send order.
    pub fn settled(&mut self, now: Instant, timeout: Duration) -> Vec<Settled> {
        let mut out = Vec::new();
        while let Some(r) = self.pending.front() {
            let (settled, result) = match &r.outcome {
                Some(Ok(at)) => (*at, Ok(())),
                Some(Err(e)) => (r.sent, Err(e.clone())),
                None if now >= r.sent + timeout => (
                    r.sent + timeout,
                    Err(format!("no echo reply within {} ms", timeout.as_millis())),
                ),
                None => break,
            };
            out.push(Settled {
                sent: r.sent,
                settled,
                result,
            });
            self.pending.pop_front();
        }
        out
    }

    /// Whether requests are still waiting for a reply or their timeout.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_checksum_verifies() {
        let p = echo_request(false, 0x1234, 7);
        assert_eq!(checksum(&p), 0, "a packet with its checksum sums to zero");
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
    }

    #[test]
    fn matches_only_our_replies() {
        let ip = [0x45u8; 20]; // version 4, header length 5 words
        let mut reply = echo_request(false, 9, 3);
        reply[0] = 0;
        let pkt: Vec<u8> = ip.iter().chain(reply.iter()).copied().collect();
        assert_eq!(reply_seq(false, &pkt, 9), Some(3));
        assert_eq!(reply_seq(false, &pkt, 8), None);
        let req: Vec<u8> = ip
            .iter()
            .chain(echo_request(false, 9, 3).iter())
            .copied()
            .collect();
        assert_eq!(
            reply_seq(false, &req, 9),
            None,
            "our own request looped back"
        );
        assert_eq!(reply_seq(false, &[0x41], 9), None);
        assert_eq!(reply_seq(false, &[], 9), None);
        let mut r6 = echo_request(true, 9, 3);
        r6[0] = 129;
        assert_eq!(reply_seq(true, &r6, 9), Some(3));
    }
}
