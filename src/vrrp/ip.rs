//! The IPv4 header keepalived builds itself (`IP_HDRINCL`) and the IPsec AH header it
//! puts between IPv4 and VRRP for `auth_type AH` (RFC 2402 layout, 96-bit ICV).
//!
//! ```text
//! IPv4 (RFC 791), as keepalived fills it
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Ver=4  | IHL=5 |  TOS = 0xC0   |          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Identification (1, 2, …)    |Flags=0|  Fragment Offset = 0  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   TTL = 255   | Proto 112/51  |        Header Checksum        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Source (primary or configured)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |              Destination (224.0.0.18 or unicast peer)         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! IPsec AH (RFC 2402 §2), as keepalived fills it
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Hdr = 112| Payload Len=4 |          RESERVED = 0         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          SPI = IPv4 source address of the sender              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                Sequence Number (1, 2, …)                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     ICV: first 12 bytes of HMAC-MD5 (3 words)                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::Ipv4Addr;

use super::checksum::{self, IPPROTO_AH, IPPROTO_VRRP};
use super::packet::{Error, VrrpPacket, HEADER_LEN};

/// Length of the IPv4 header keepalived sends (no options).
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of the AH header with a 96-bit ICV.
pub const AH_LEN: usize = 24;
/// Length of the truncated HMAC-MD5 ICV.
pub const ICV_LEN: usize = 12;
/// TOS keepalived ≥ 1.2.3 sends (precedence "internetwork control").
pub const TOS_INTERNET_CONTROL: u8 = 0xc0;

/// Owned IPv4 header fields keepalived sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4HeaderRepr {
    pub tos: u8,
    pub total_len: u16,
    pub ident: u16,
    pub ttl: u8,
    pub protocol: u8,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
}

impl Ipv4HeaderRepr {
    /// Writes the 20-byte header including its checksum.
    pub fn emit(&self, buf: &mut [u8]) {
        buf[0] = 0x45;
        buf[1] = self.tos;
        buf[2..4].copy_from_slice(&self.total_len.to_be_bytes());
        buf[4..6].copy_from_slice(&self.ident.to_be_bytes());
        buf[6] = 0;
        buf[7] = 0;
        buf[8] = self.ttl;
        buf[9] = self.protocol;
        buf[10] = 0;
        buf[11] = 0;
        buf[12..16].copy_from_slice(&self.src.octets());
        buf[16..20].copy_from_slice(&self.dst.octets());
        let c = checksum::rfc1071(&buf[..IPV4_HEADER_LEN]);
        buf[10..12].copy_from_slice(&c.to_be_bytes());
    }
}

/// Owned AH header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AhRepr {
    pub next_header: u8,
    pub spi: u32,
    pub seq: u32,
    pub icv: [u8; ICV_LEN],
}

impl AhRepr {
    /// Writes the 24-byte AH header.
    pub fn emit(&self, buf: &mut [u8]) {
        buf[0] = self.next_header;
        buf[1] = 4;
        buf[2] = 0;
        buf[3] = 0;
        buf[4..8].copy_from_slice(&self.spi.to_be_bytes());
        buf[8..12].copy_from_slice(&self.seq.to_be_bytes());
        buf[12..24].copy_from_slice(&self.icv);
    }
}

/// A received IPv4 VRRP packet split into its layers (zero-copy).
///
/// Only the minimum keepalived's dispatcher checks is enforced here (header length,
/// room for AH and the fixed VRRP header); every other check is policy, done by
/// [`crate::vrrp::validate`].
#[derive(Debug, Clone, Copy)]
pub struct Ipv4VrrpView<'a> {
    bytes: &'a [u8],
    ihl: usize,
    has_ah: bool,
}

impl<'a> Ipv4VrrpView<'a> {
    /// Splits `bytes` (a whole IPv4 packet). Errors mirror keepalived's
    /// "IPv4 VRRP packet too short" / "… with AH too short".
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() < IPV4_HEADER_LEN {
            return Err(Error::Truncated {
                len: bytes.len(),
                need: IPV4_HEADER_LEN,
            });
        }
        if bytes[0] >> 4 != 4 {
            return Err(Error::BadIpHeader);
        }
        let ihl = usize::from(bytes[0] & 0x0f) * 4;
        if ihl < IPV4_HEADER_LEN {
            return Err(Error::BadIpHeader);
        }
        if bytes.len() < ihl + HEADER_LEN {
            return Err(Error::Truncated {
                len: bytes.len(),
                need: ihl + HEADER_LEN,
            });
        }
        let has_ah = match bytes[9] {
            IPPROTO_AH => true,
            IPPROTO_VRRP => false,
            other => return Err(Error::NotVrrp(other)),
        };
        if has_ah && bytes.len() < ihl + AH_LEN + HEADER_LEN {
            return Err(Error::Truncated {
                len: bytes.len(),
                need: ihl + AH_LEN + HEADER_LEN,
            });
        }
        Ok(Ipv4VrrpView { bytes, ihl, has_ah })
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// IP header length in bytes (options included).
    pub fn header_len(&self) -> usize {
        self.ihl
    }
    pub fn has_ah(&self) -> bool {
        self.has_ah
    }
    pub fn tos(&self) -> u8 {
        self.bytes[1]
    }
    pub fn total_len(&self) -> u16 {
        u16::from_be_bytes([self.bytes[2], self.bytes[3]])
    }
    pub fn ident(&self) -> u16 {
        u16::from_be_bytes([self.bytes[4], self.bytes[5]])
    }
    pub fn ttl(&self) -> u8 {
        self.bytes[8]
    }
    pub fn protocol(&self) -> u8 {
        self.bytes[9]
    }
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::new(
            self.bytes[12],
            self.bytes[13],
            self.bytes[14],
            self.bytes[15],
        )
    }
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::new(
            self.bytes[16],
            self.bytes[17],
            self.bytes[18],
            self.bytes[19],
        )
    }
    /// True when the IPv4 header checksum verifies.
    pub fn header_checksum_ok(&self) -> bool {
        checksum::rfc1071(&self.bytes[..self.ihl]) == 0
    }
    /// The IP header as received (options included).
    pub fn header_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.ihl]
    }
    /// The AH header, if the protocol is AH.
    pub fn ah(&self) -> Option<AhRepr> {
        if !self.has_ah {
            return None;
        }
        let a = &self.bytes[self.ihl..self.ihl + AH_LEN];
        let mut icv = [0u8; ICV_LEN];
        icv.copy_from_slice(&a[12..24]);
        Some(AhRepr {
            next_header: a[0],
            spi: u32::from_be_bytes([a[4], a[5], a[6], a[7]]),
            seq: u32::from_be_bytes([a[8], a[9], a[10], a[11]]),
            icv,
        })
    }
    /// Offset of the VRRP message in the packet.
    pub fn vrrp_offset(&self) -> usize {
        self.ihl + if self.has_ah { AH_LEN } else { 0 }
    }
    /// The VRRP message (everything after IP and AH headers).
    pub fn vrrp(&self) -> VrrpPacket<&'a [u8]> {
        // parse() guaranteed at least HEADER_LEN bytes here.
        VrrpPacket::new_checked(&self.bytes[self.vrrp_offset()..])
            .expect("length checked in Ipv4VrrpView::parse")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IP header of a real keepalived 2.2.7 advert.
    #[test]
    fn reference_1_2_ip_header_bytes() {
        let expected = [
            0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x51, 0xe8, 0xc0, 0xa8,
            0xc8, 0x01, 0xe0, 0x00, 0x00, 0x12,
        ];
        let repr = Ipv4HeaderRepr {
            tos: TOS_INTERNET_CONTROL,
            total_len: 40,
            ident: 1,
            ttl: 255,
            protocol: IPPROTO_VRRP,
            src: Ipv4Addr::new(192, 168, 200, 1),
            dst: Ipv4Addr::new(224, 0, 0, 18),
        };
        let mut buf = [0u8; 20];
        repr.emit(&mut buf);
        assert_eq!(buf, expected);
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        assert!(Ipv4VrrpView::parse(&[]).is_err());
        assert!(Ipv4VrrpView::parse(&[0x45; 27]).is_err());
        let mut b = [0u8; 40];
        b[0] = 0x4f; // IHL 60 bytes, buffer only 40
        b[9] = IPPROTO_VRRP;
        assert!(Ipv4VrrpView::parse(&b).is_err());
        b[0] = 0x44; // IHL 16 < 20
        assert_eq!(Ipv4VrrpView::parse(&b).unwrap_err(), Error::BadIpHeader);
        b[0] = 0x45;
        b[9] = IPPROTO_AH; // needs 20 + 24 + 8
        assert!(Ipv4VrrpView::parse(&b).is_err());
    }
}
