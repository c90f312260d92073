//! ICMP / ICMPv6 echo over a raw socket (needs CAP_NET_RAW). socket2 keeps this free of
//! `unsafe`.
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

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

pub struct Pinger {
    socket: Socket,
    target: SockAddr,
    v6: bool,
    id: u16,
    seq: u16,
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

/// Whether `packet` (IPv4: with its IP header, as raw sockets deliver it) is the reply to
/// our request `id`/`seq`.
pub fn is_reply(v6: bool, packet: &[u8], id: u16, seq: u16) -> bool {
    let icmp = if v6 {
        packet
    } else {
        let Some(first) = packet.first() else {
            return false;
        };
        let ihl = usize::from(first & 0x0f) * 4;
        if ihl < 20 {
            return false;
        }
        packet.get(ihl..).unwrap_or(&[])
    };
    icmp.len() >= 8
        && icmp[0] == if v6 { 129 } else { 0 }
        && icmp[4..6] == id.to_be_bytes()
        && icmp[6..8] == seq.to_be_bytes()
}

impl Pinger {
    pub fn new(target: IpAddr) -> std::io::Result<Pinger> {
        let (domain, proto, v6) = match target {
            IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4, false),
            IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6, true),
        };
        let socket = Socket::new(domain, Type::RAW, Some(proto))?;
        Ok(Pinger {
            socket,
            target: SocketAddr::new(target, 0).into(),
            v6,
            id: (std::process::id() & 0xffff) as u16,
            seq: 0,
        })
    }

    /// One echo; Ok when the matching reply arrives within `timeout`.
    pub fn ping(&mut self, timeout: Duration) -> Result<(), String> {
        self.seq = self.seq.wrapping_add(1);
        let req = echo_request(self.v6, self.id, self.seq);
        self.socket
            .send_to(&req, &self.target)
            .map_err(|e| format!("send: {e}"))?;
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 1500];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("no echo reply within {} ms", timeout.as_millis()));
            }
            self.socket
                .set_read_timeout(Some(left))
                .map_err(|e| e.to_string())?;
            match (&self.socket).read(&mut buf) {
                Ok(n) if is_reply(self.v6, &buf[..n], self.id, self.seq) => return Ok(()),
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(format!("receive: {e}")),
            }
        }
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
    fn matches_only_our_reply() {
        let ip = [0x45u8; 20]; // version 4, header length 5 words
        let mut reply = echo_request(false, 9, 3);
        reply[0] = 0;
        let pkt: Vec<u8> = ip.iter().chain(reply.iter()).copied().collect();
        assert!(is_reply(false, &pkt, 9, 3));
        assert!(!is_reply(false, &pkt, 9, 4));
        assert!(!is_reply(false, &pkt, 8, 3));
        let req: Vec<u8> = ip
            .iter()
            .chain(echo_request(false, 9, 3).iter())
            .copied()
            .collect();
        assert!(!is_reply(false, &req, 9, 3), "our own request looped back");
        assert!(!is_reply(false, &[0x41], 9, 3));
        assert!(!is_reply(false, &[], 9, 3));
        let mut r6 = echo_request(true, 9, 3);
        r6[0] = 129;
        assert!(is_reply(true, &r6, 9, 3));
    }
}
