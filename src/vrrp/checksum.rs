//! Internet checksums (RFC 1071) and the pseudo-headers VRRP needs.
//!
//! * VRRPv2 sums the VRRP message alone (auth bytes included, no pseudo-header).
//! * VRRPv3 over IPv4 seeds the sum with `{src, dst, 0, 112, len}` (RFC 5798 §5.2.8).
//!   keepalived 1.2.20–1.3.6 always put 224.0.0.18 in `dst`, even for unicast; 2.x accepts
//!   that "old" form and can send it (see [`crate::vrrp::config::OldUnicastChecksum`]).
//! * VRRPv3 over IPv6 uses the IPv6 pseudo-header (RFC 8200 §8.1). On Linux the kernel
//!   computes and verifies it (`IPV6_CHECKSUM`), the codec only needs it to check captures.

use std::net::{Ipv4Addr, Ipv6Addr};

/// IP protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;
/// IP protocol number of IPsec AH.
pub const IPPROTO_AH: u8 = 51;

/// Adds `data` to a running 32-bit one's-complement accumulator (big-endian words; an odd
/// trailing byte is padded with zero, as RFC 1071 says).
pub fn accumulate(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for word in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([word[0], word[1]])));
        // Fold early so that even very long inputs cannot overflow.
        if acc > 0xFFFF_0000 {
            acc = (acc & 0xFFFF) + (acc >> 16);
        }
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

/// Folds an accumulator into the final one's-complement checksum value.
pub fn finish(mut acc: u32) -> u16 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}

/// Plain RFC 1071 checksum of `data`. Over data that contains a correct checksum the
/// result is 0, which is how receivers verify.
pub fn rfc1071(data: &[u8]) -> u16 {
    finish(accumulate(0, data))
}

/// Accumulator seeded with the IPv4 pseudo-header `{src, dst, 0, proto, len}`.
pub fn ipv4_pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: u16) -> u32 {
    let mut acc = accumulate(0, &src.octets());
    acc = accumulate(acc, &dst.octets());
    acc = accumulate(acc, &[0, proto]);
    accumulate(acc, &len.to_be_bytes())
}

/// Accumulator seeded with the IPv6 pseudo-header `{src, dst, len(32), 0, 0, 0, next}`.
pub fn ipv6_pseudo_header(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: u32) -> u32 {
    let mut acc = accumulate(0, &src.octets());
    acc = accumulate(acc, &dst.octets());
    acc = accumulate(acc, &len.to_be_bytes());
    accumulate(acc, &[0, 0, 0, next_header])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_from_the_rfc() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (before complement).
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(rfc1071(&data), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(rfc1071(&[0x12]), rfc1071(&[0x12, 0x00]));
    }

    #[test]
    fn data_with_its_checksum_sums_to_zero() {
        let mut data = vec![
            0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0, 0, 0xc0, 0xa8, 0xc8, 0x10,
        ];
        let c = rfc1071(&data);
        data[6..8].copy_from_slice(&c.to_be_bytes());
        assert_eq!(rfc1071(&data), 0);
    }
}
