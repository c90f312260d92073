//! The VRRP message itself: VRRPv2 (RFC 3768 §5.1) and VRRPv3 (RFC 5798 §5.1).
//!
//! A [`VrrpPacket`] is a checked, zero-copy view over received bytes; a [`VrrpRepr`] is the
//! owned, typed form that can be emitted. Advertisement intervals leave this module only
//! as [`Duration`]: VRRPv2 whole seconds and VRRPv3 centiseconds exist nowhere else.
//! (Two public Rust VRRP implementations ship a 100× bug from treating v3 centiseconds
//! as seconds, and a 10× bug from encoding 1 s as 10 cs; see the regression tests.)
//!
//! ```text
//! VRRPv2 (RFC 3768 §5.1)                 VRRPv3 (RFC 5798 §5.1)
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v2: |   Auth Type   |   Adver Int   |          Checksum         |
//! v3: |(rsvd) |  Max Adver Int (cs)   |          Checksum         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            IPvX Address(es): Count × 4 (IPv4) or × 16 (IPv6)  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v2 only: |          Authentication Data (8 bytes)               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::checksum;
use super::family::{Family, Version};

/// Length of the fixed VRRP header.
pub const HEADER_LEN: usize = 8;
/// Length of the VRRPv2 authentication data trailer.
pub const AUTH_DATA_LEN: usize = 8;
/// The only packet type VRRP defines (ADVERTISEMENT).
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// The VRRP IPv4 multicast group.
pub const MCAST_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The VRRP IPv6 multicast group.
pub const MCAST_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// The largest VRRPv3 interval the 12-bit field can carry (4095 cs).
pub const V3_MAX_INTERVAL: Duration = Duration::from_millis(40_950);

/// What can be wrong with bytes handed to the codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than the structure needs.
    #[error("buffer too short: {len} bytes, need {need}")]
    Truncated { len: usize, need: usize },
    /// The version nibble is neither 2 nor 3.
    #[error("unknown VRRP version {0}")]
    UnknownVersion(u8),
    /// VRRPv2 is defined for IPv4 only.
    #[error("VRRPv2 over IPv6 does not exist")]
    V2OverIpv6,
    /// An IPv4 header that is not version 4 or has a header length below 20.
    #[error("malformed IPv4 header")]
    BadIpHeader,
    /// The IPv4 protocol is neither VRRP (112) nor AH (51).
    #[error("IP protocol {0} is neither VRRP nor AH")]
    NotVrrp(u8),
    /// An AH header whose payload length is not 4 (the 96-bit ICV keepalived uses).
    #[error("unsupported AH header")]
    BadAhHeader,
}

/// The VRRP version and packet type byte split in two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionType {
    pub version: u8,
    pub packet_type: u8,
}

/// Checked view over a VRRP message (header, addresses and, for v2, auth data).
#[derive(Debug, Clone, Copy)]
pub struct VrrpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VrrpPacket<T> {
    /// Wraps `buffer` after checking it holds at least the fixed 8-byte header.
    /// Address and auth fields are bounds-checked by their accessors.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let len = buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated {
                len,
                need: HEADER_LEN,
            });
        }
        Ok(VrrpPacket { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The whole underlying buffer.
    pub fn as_bytes(&self) -> &[u8] {
        self.b()
    }

    pub fn version(&self) -> u8 {
        self.b()[0] >> 4
    }
    pub fn packet_type(&self) -> u8 {
        self.b()[0] & 0x0f
    }
    pub fn vrid(&self) -> u8 {
        self.b()[1]
    }
    pub fn priority(&self) -> u8 {
        self.b()[2]
    }
    /// "Count IP Addrs" as received (may disagree with the bytes that follow).
    pub fn count(&self) -> u8 {
        self.b()[3]
    }
    /// VRRPv2 auth type byte.
    pub fn v2_auth_type(&self) -> u8 {
        self.b()[4]
    }
    /// VRRPv2 interval field, whole seconds.
    pub fn v2_interval_secs(&self) -> u8 {
        self.b()[5]
    }
    /// VRRPv3 "Max Adver Int" field, centiseconds (reserved bits masked off).
    pub fn v3_interval_centis(&self) -> u16 {
        u16::from_be_bytes([self.b()[4], self.b()[5]]) & 0x0fff
    }
    pub fn checksum(&self) -> u16 {
        u16::from_be_bytes([self.b()[6], self.b()[7]])
    }

    /// The advertisement interval as a duration, decoded per version
    /// (v2: seconds; v3: centiseconds). Unknown versions decode as v3.
    pub fn advert_interval(&self) -> Duration {
        if self.version() == 2 {
            interval_from_v2(self.v2_interval_secs())
        } else {
            interval_from_v3(self.v3_interval_centis())
        }
    }

    /// Bytes the message should occupy given its version and `count`:
    /// 8 + count × address size (+ 8 auth bytes for v2).
    pub fn expected_len(&self, family: Family) -> usize {
        let addr = family.addr_len() * usize::from(self.count());
        let auth = if self.version() == 2 && family == Family::Ipv4 {
            AUTH_DATA_LEN
        } else {
            0
        };
        HEADER_LEN + addr + auth
    }

    /// The `i`-th address, if the buffer holds it.
    pub fn address(&self, family: Family, i: usize) -> Option<IpAddr> {
        let len = family.addr_len();
        let start = HEADER_LEN + i * len;
        let bytes = self.b().get(start..start + len)?;
        Some(match family {
            Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
            Family::Ipv6 => {
                let mut o = [0u8; 16];
                o.copy_from_slice(bytes);
                IpAddr::V6(Ipv6Addr::from(o))
            }
        })
    }

    /// True if `addr` is among the first `count` addresses (order does not matter).
    pub fn contains_address(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.contains_octets(&a.octets()),
            IpAddr::V6(a) => self.contains_octets(&a.octets()),
        }
    }

    fn contains_octets(&self, octets: &[u8]) -> bool {
        let len = octets.len();
        (0..usize::from(self.count())).any(|i| {
            let start = HEADER_LEN + i * len;
            self.b().get(start..start + len) == Some(octets)
        })
    }

    /// VRRPv2 authentication data: the 8 bytes after the addresses.
    pub fn v2_auth_data(&self) -> Option<[u8; AUTH_DATA_LEN]> {
        let start = HEADER_LEN + 4 * usize::from(self.count());
        let bytes = self.b().get(start..start + AUTH_DATA_LEN)?;
        let mut out = [0u8; AUTH_DATA_LEN];
        out.copy_from_slice(bytes);
        Some(out)
    }

    /// VRRPv2 checksum check (RFC 3768 §5.3.8): plain sum over the message including
    /// the auth bytes, sized by the received count.
    pub fn verify_v2_checksum(&self) -> bool {
        let len = HEADER_LEN + 4 * usize::from(self.count()) + AUTH_DATA_LEN;
        match self.b().get(..len) {
            Some(msg) => checksum::rfc1071(msg) == 0,
            None => false,
        }
    }

    /// VRRPv3/IPv4 checksum check (RFC 5798 §5.2.8) with `dst` in the pseudo-header.
    pub fn verify_v3_ipv4_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        let len = HEADER_LEN + 4 * usize::from(self.count());
        match self.b().get(..len) {
            Some(msg) => {
                let acc =
                    checksum::ipv4_pseudo_header(src, dst, checksum::IPPROTO_VRRP, len as u16);
                checksum::finish(checksum::accumulate(acc, msg)) == 0
            }
            None => false,
        }
    }

    /// VRRPv3/IPv6 checksum check with the IPv6 pseudo-header (what the kernel verifies).
    pub fn verify_v3_ipv6_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let len = HEADER_LEN + 16 * usize::from(self.count());
        match self.b().get(..len) {
            Some(msg) => {
                let acc =
                    checksum::ipv6_pseudo_header(src, dst, checksum::IPPROTO_VRRP, len as u32);
                checksum::finish(checksum::accumulate(acc, msg)) == 0
            }
            None => false,
        }
    }
}

/// Decodes a VRRPv2 interval byte (seconds).
pub fn interval_from_v2(secs: u8) -> Duration {
    Duration::from_secs(u64::from(secs))
}

/// Decodes a VRRPv3 interval field (centiseconds, 12 bits).
pub fn interval_from_v3(centis: u16) -> Duration {
    Duration::from_millis(u64::from(centis & 0x0fff) * 10)
}

/// Encodes an interval for VRRPv2 as keepalived does: whole seconds, truncated, at most 255.
pub fn interval_to_v2(interval: Duration) -> u8 {
    interval.as_secs().min(255) as u8
}

/// Encodes an interval for VRRPv3 as keepalived does: `(µs / 10 000) & 0x0fff`.
pub fn interval_to_v3(interval: Duration) -> u16 {
    ((interval.as_micros() / 10_000) as u64 & 0x0fff) as u16
}

/// Authentication type byte of VRRPv2 (RFC 3768 §5.3.6; RFC 2338 for AH).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum AuthType {
    None = 0,
    Pass = 1,
    Ah = 2,
}

impl AuthType {
    pub fn from_byte(b: u8) -> Option<AuthType> {
        match b {
            0 => Some(AuthType::None),
            1 => Some(AuthType::Pass),
            2 => Some(AuthType::Ah),
            _ => None,
        }
    }
}

/// A VRRP advertisement in typed form: what [`parse`](VrrpRepr::parse) returns and the
/// only way adverts are written (the daemon's adverts too, through
/// [`crate::vrrp::advert`]), so that what is sent and what the tests and fuzzers
/// round-trip are the same bytes.
///
/// `A` holds the addresses: a `Vec` when parsed, a borrowed slice when an advert is
/// built from an instance's configuration (no allocation per advert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpRepr<A = Vec<IpAddr>> {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    pub advert_interval: Duration,
    /// VRRPv2 only (ignored for v3).
    pub auth_type: AuthType,
    /// VIPs in the order they are sent; all of one family. At most 255 are written.
    pub addresses: A,
    /// VRRPv2 only: PASS password bytes, zero for NONE and AH.
    pub auth_data: [u8; AUTH_DATA_LEN],
}

impl VrrpRepr {
    /// Parses an advertisement of `family`. Checks the version nibble and that the buffer
    /// holds every field; leaves policy (type, checksum, counts) to the caller.
    pub fn parse<T: AsRef<[u8]>>(packet: &VrrpPacket<T>, family: Family) -> Result<Self, Error> {
        let version = match packet.version() {
            2 => Version::V2,
            3 => Version::V3,
            v => return Err(Error::UnknownVersion(v)),
        };
        if version == Version::V2 && family == Family::Ipv6 {
            return Err(Error::V2OverIpv6);
        }
        let need = packet.expected_len(family);
        let len = packet.as_bytes().len();
        if len < need {
            return Err(Error::Truncated { len, need });
        }
        let addresses = (0..usize::from(packet.count()))
            .filter_map(|i| packet.address(family, i))
            .collect();
        let (auth_type, auth_data) = match version {
            Version::V2 => (
                AuthType::from_byte(packet.v2_auth_type()).unwrap_or(AuthType::None),
                packet.v2_auth_data().unwrap_or_default(),
            ),
            Version::V3 => (AuthType::None, [0; AUTH_DATA_LEN]),
        };
        Ok(VrrpRepr {
            version,
            vrid: packet.vrid(),
            priority: packet.priority(),
            advert_interval: packet.advert_interval(),
            auth_type,
            addresses,
            auth_data,
        })
    }
}

impl<A: AsRef<[IpAddr]>> VrrpRepr<A> {
    /// The addresses that go on the wire (the count field is one byte).
    fn sent_addresses(&self) -> &[IpAddr] {
        let all = self.addresses.as_ref();
        &all[..all.len().min(255)]
    }

    fn family(&self) -> Family {
        match self.addresses.as_ref().first() {
            Some(IpAddr::V6(_)) => Family::Ipv6,
            _ => Family::Ipv4,
        }
    }

    /// Bytes [`emit`](Self::emit_unchecksummed) writes.
    pub fn buffer_len(&self) -> usize {
        let auth = if self.version == Version::V2 {
            AUTH_DATA_LEN
        } else {
            0
        };
        HEADER_LEN + self.family().addr_len() * self.sent_addresses().len() + auth
    }

    /// Writes the message with a zero checksum (fuzzers and tests that set their own);
    /// [`Self::emit_with_checksum`] is the complete form. `buf` must be at least
    /// `buffer_len()` long.
    pub fn emit_unchecksummed(&self, buf: &mut [u8]) {
        let addresses = self.sent_addresses();
        buf[0] = (self.version.number() << 4) | TYPE_ADVERTISEMENT;
        buf[1] = self.vrid;
        buf[2] = self.priority;
        buf[3] = addresses.len() as u8;
        match self.version {
            Version::V2 => {
                buf[4] = self.auth_type as u8;
                buf[5] = interval_to_v2(self.advert_interval);
            }
            Version::V3 => {
                buf[4..6].copy_from_slice(&interval_to_v3(self.advert_interval).to_be_bytes())
            }
        }
        buf[6] = 0;
        buf[7] = 0;
        let mut at = HEADER_LEN;
        for a in addresses {
            at += match a {
                IpAddr::V4(a) => put(&mut buf[at..], &a.octets()),
                IpAddr::V6(a) => put(&mut buf[at..], &a.octets()),
            };
        }
        if self.version == Version::V2 {
            buf[at..at + AUTH_DATA_LEN].copy_from_slice(&self.auth_data);
        }
    }

    /// Writes the message and its checksum. `pseudo` selects the checksum form: `None`
    /// for VRRPv2 (no pseudo-header), else the (src, dst) of the pseudo-header.
    /// Returns the number of bytes written ([`Self::buffer_len`]).
    pub fn emit_with_checksum(&self, buf: &mut [u8], pseudo: Option<(IpAddr, IpAddr)>) -> usize {
        self.emit_unchecksummed(buf);
        let len = self.buffer_len();
        let msg = &buf[..len];
        let acc = match pseudo {
            Some((IpAddr::V4(s), IpAddr::V4(d))) => {
                checksum::ipv4_pseudo_header(s, d, checksum::IPPROTO_VRRP, len as u16)
            }
            Some((IpAddr::V6(s), IpAddr::V6(d))) => {
                checksum::ipv6_pseudo_header(s, d, checksum::IPPROTO_VRRP, len as u32)
            }
            _ => 0,
        };
        let c = checksum::finish(checksum::accumulate(acc, msg));
        buf[6..8].copy_from_slice(&c.to_be_bytes());
        len
    }
}

/// Copies `bytes` to the start of `buf`; returns how many were written.
fn put(buf: &mut [u8], bytes: &[u8]) -> usize {
    buf[..bytes.len()].copy_from_slice(bytes);
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real keepalived 2.2.7 VRRPv2 advert (PASS "1111").
    const SAMPLE_V2: [u8; 20] = [
        0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x8e, 0xae, 0xc0, 0xa8, 0xc8, 0x10, 0x31, 0x31, 0x31,
        0x31, 0, 0, 0, 0,
    ];
    /// A keepalived 2.2.7 VRRPv3 advert (VRID 52, prio 150, VIP .17, 100 cs), multicast from .1.
    const SAMPLE_V3: [u8; 12] = [
        0x31, 0x34, 0x96, 0x01, 0x00, 0x64, 0x46, 0x72, 0xc0, 0xa8, 0xc8, 0x11,
    ];

    fn sample_v2_repr(priority: u8) -> VrrpRepr {
        VrrpRepr {
            version: Version::V2,
            vrid: 51,
            priority,
            advert_interval: Duration::from_secs(1),
            auth_type: AuthType::Pass,
            addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 168, 200, 16))],
            auth_data: *b"1111\0\0\0\0",
        }
    }

    #[test]
    fn reference_1_2_v2_sample_round_trips() {
        let p = VrrpPacket::new_checked(&SAMPLE_V2[..]).unwrap();
        assert!(p.verify_v2_checksum());
        let repr = VrrpRepr::parse(&p, Family::Ipv4).unwrap();
        assert_eq!(repr, sample_v2_repr(100));
        let mut out = vec![0; repr.buffer_len()];
        repr.emit_with_checksum(&mut out, None);
        assert_eq!(out, SAMPLE_V2);
    }

    /// The daemon's adverts borrow their addresses; the bytes are the owned form's.
    #[test]
    fn borrowed_and_owned_addresses_encode_alike() {
        let owned = sample_v2_repr(100);
        let borrowed = VrrpRepr {
            version: owned.version,
            vrid: owned.vrid,
            priority: owned.priority,
            advert_interval: owned.advert_interval,
            auth_type: owned.auth_type,
            addresses: owned.addresses.as_slice(),
            auth_data: owned.auth_data,
        };
        let (mut a, mut b) = (vec![0; owned.buffer_len()], vec![0; borrowed.buffer_len()]);
        owned.emit_with_checksum(&mut a, None);
        assert_eq!(borrowed.emit_with_checksum(&mut b, None), SAMPLE_V2.len());
        assert_eq!(a, b);
        assert_eq!(b, SAMPLE_V2);
    }

    #[test]
    fn reference_1_2_v2_sample_priority_zero_checksum() {
        let repr = sample_v2_repr(0);
        let mut out = vec![0; repr.buffer_len()];
        repr.emit_with_checksum(&mut out, None);
        assert_eq!(&out[6..8], &[0xf2, 0xae]);
    }

    #[test]
    fn reference_1_2_v3_sample_round_trips() {
        let src = Ipv4Addr::new(192, 168, 200, 1);
        let p = VrrpPacket::new_checked(&SAMPLE_V3[..]).unwrap();
        assert!(p.verify_v3_ipv4_checksum(src, MCAST_GROUP_V4));
        let repr = VrrpRepr::parse(&p, Family::Ipv4).unwrap();
        assert_eq!(repr.advert_interval, Duration::from_secs(1));
        let mut out = vec![0; repr.buffer_len()];
        repr.emit_with_checksum(&mut out, Some((src.into(), MCAST_GROUP_V4.into())));
        assert_eq!(out, SAMPLE_V3);
    }

    /// Regression: v3 intervals are centiseconds; 100 on the wire is one second, not 100 s.
    #[test]
    fn v3_interval_is_centiseconds_not_seconds() {
        assert_eq!(interval_from_v3(100), Duration::from_secs(1));
        assert_eq!(interval_from_v3(5), Duration::from_millis(50));
    }

    /// Regression: one second is encoded as 100 cs, not 10.
    #[test]
    fn v3_one_second_encodes_as_100_centiseconds() {
        assert_eq!(interval_to_v3(Duration::from_secs(1)), 100);
        assert_eq!(interval_to_v3(Duration::from_millis(250)), 25);
        assert_eq!(interval_to_v3(V3_MAX_INTERVAL), 4095);
    }

    #[test]
    fn v2_interval_is_whole_seconds() {
        assert_eq!(interval_to_v2(Duration::from_secs(3)), 3);
        assert_eq!(interval_from_v2(3), Duration::from_secs(3));
        assert_eq!(interval_to_v2(Duration::from_secs(1000)), 255);
    }

    #[test]
    fn v3_reserved_bits_are_ignored() {
        let mut b = SAMPLE_V3;
        b[4] |= 0xf0;
        let p = VrrpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(p.v3_interval_centis(), 100);
    }

    #[test]
    fn short_buffers_are_errors_not_panics() {
        assert!(VrrpPacket::new_checked(&SAMPLE_V2[..7]).is_err());
        let p = VrrpPacket::new_checked(&SAMPLE_V2[..10]).unwrap();
        assert!(VrrpRepr::parse(&p, Family::Ipv4).is_err());
        assert!(!p.verify_v2_checksum());
        assert_eq!(p.v2_auth_data(), None);
        assert!(!p.contains_address("192.168.200.16".parse().unwrap()));
    }

    #[test]
    fn vip_order_is_irrelevant_for_presence() {
        let mut repr = sample_v2_repr(100);
        repr.addresses = vec!["10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap()];
        let mut out = vec![0; repr.buffer_len()];
        repr.emit_with_checksum(&mut out, None);
        let p = VrrpPacket::new_checked(&out[..]).unwrap();
        assert!(p.contains_address("10.0.0.1".parse().unwrap()));
        assert!(p.contains_address("10.0.0.2".parse().unwrap()));
        assert!(!p.contains_address("10.0.0.3".parse().unwrap()));
    }
}
