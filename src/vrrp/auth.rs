//! VRRPv2 authentication: simple password (RFC 2338 §5.3.6.1) and IPsec AH with
//! HMAC-MD5-96 computed exactly the way keepalived does it.
//!
//! keepalived's AH is not a kernel SA: it builds the AH header itself. The ICV is
//! `HMAC-MD5(key = the 8 auth bytes, NUL padded)` over
//! `IP header with TOS, frag_off, checksum (and TTL for unicast) zeroed ‖ AH header with
//! the ICV zeroed ‖ VRRP message`, truncated to 96 bits. SPI is the sender's IPv4
//! address, the sequence number counts adverts.

use hmac::{Hmac, Mac};
use md5::Md5;

use super::ip::{AH_LEN, ICV_LEN};
use super::packet::AuthType;

/// Length of the VRRPv2 auth data / AH key.
pub const AUTH_KEY_LEN: usize = 8;

/// Authentication an instance uses (VRRPv2 over IPv4 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthConfig {
    #[default]
    None,
    /// Password bytes exactly as sent: at most 8, NUL padded.
    Pass([u8; AUTH_KEY_LEN]),
    /// HMAC-MD5 key: the password bytes NUL padded to 8.
    Ah([u8; AUTH_KEY_LEN]),
}

impl AuthConfig {
    /// The VRRPv2 auth type.
    pub fn auth_type(&self) -> AuthType {
        match self {
            AuthConfig::None => AuthType::None,
            AuthConfig::Pass(_) => AuthType::Pass,
            AuthConfig::Ah(_) => AuthType::Ah,
        }
    }

    /// The VRRPv2 auth type byte.
    pub fn type_byte(&self) -> u8 {
        self.auth_type() as u8
    }

    /// The 8 bytes in the VRRPv2 trailer: the password for PASS, zeros otherwise.
    pub fn wire_data(&self) -> [u8; AUTH_KEY_LEN] {
        match self {
            AuthConfig::Pass(p) => *p,
            _ => [0; AUTH_KEY_LEN],
        }
    }
}

/// Turns an `auth_pass` string into the 8 wire bytes: keepalived ≥ 1.2.1 keeps the first
/// 8 bytes and NUL-pads. (1.1.x kept 7 + NUL, so a 1.1.x peer configured with
/// "secret12" sends "secret1\0"; configure "secret1" here to talk to it.)
pub fn password_bytes(password: &str) -> [u8; AUTH_KEY_LEN] {
    let mut out = [0u8; AUTH_KEY_LEN];
    let src = password.as_bytes();
    let n = src.len().min(AUTH_KEY_LEN);
    out[..n].copy_from_slice(&src[..n]);
    out
}

/// Constant-time comparison, so that password checks leak no prefix timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Computes the AH ICV over a whole IPv4+AH+VRRP packet as keepalived does.
///
/// `packet` is the complete packet (its ICV bytes and IP checksum are ignored: the
/// function works on a zeroed copy of the mutable fields). `ip_header_len` is the IHL in
/// bytes; `zero_ttl` is set for unicast instances (2.x treats TTL as mutable then).
pub fn ah_icv(
    key: &[u8; AUTH_KEY_LEN],
    packet: &[u8],
    ip_header_len: usize,
    zero_ttl: bool,
) -> [u8; ICV_LEN] {
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    let mut ip = [0u8; 60];
    let hl = ip_header_len.min(60).min(packet.len());
    ip[..hl].copy_from_slice(&packet[..hl]);
    if hl >= 20 {
        ip[1] = 0; // TOS
        ip[6] = 0; // flags + fragment offset
        ip[7] = 0;
        ip[10] = 0; // header checksum
        ip[11] = 0;
        if zero_ttl {
            ip[8] = 0;
        }
    }
    mac.update(&ip[..hl]);
    let ah_end = (hl + AH_LEN).min(packet.len());
    let mut ah = [0u8; AH_LEN];
    ah[..ah_end - hl].copy_from_slice(&packet[hl..ah_end]);
    ah[12..].fill(0);
    mac.update(&ah);
    mac.update(&packet[ah_end..]);
    let digest = mac.finalize().into_bytes();
    let mut icv = [0u8; ICV_LEN];
    icv.copy_from_slice(&digest[..ICV_LEN]);
    icv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_truncated_to_8_and_nul_padded() {
        assert_eq!(&password_bytes("secret12"), b"secret12");
        assert_eq!(&password_bytes("secret123456"), b"secret12");
        assert_eq!(&password_bytes("1111"), b"1111\0\0\0\0");
    }

    /// PASS auth data = the first 8 password bytes, NUL padded.
    #[test]
    fn checklist_3_pass_auth_data_first_8_bytes() {
        let auth = AuthConfig::Pass(password_bytes("abcdefghij"));
        assert_eq!(&auth.wire_data(), b"abcdefgh");
        assert_eq!(auth.type_byte(), 1);
        assert_eq!(AuthConfig::Ah(password_bytes("x")).wire_data(), [0; 8]);
    }

    #[test]
    fn a_1_1_x_seven_byte_password_matches_a_seven_char_config() {
        // 1.1.19 with "secret12" configured sends "secret1\0".
        let wire = *b"secret1\0";
        assert!(constant_time_eq(&wire, &password_bytes("secret1")));
        assert!(!constant_time_eq(&wire, &password_bytes("secret12")));
    }

    #[test]
    fn icv_ignores_mutable_fields() {
        let key = password_bytes("k");
        let mut pkt = vec![0x45u8; 60];
        pkt[9] = 51;
        let a = ah_icv(&key, &pkt, 20, false);
        pkt[1] = 0; // TOS
        pkt[10] = 7; // checksum
        pkt[40] = 9; // inside the ICV
        assert_eq!(a, ah_icv(&key, &pkt, 20, false));
        pkt[8] = 1; // TTL counts unless unicast
        assert_ne!(a, ah_icv(&key, &pkt, 20, false));
        assert_eq!(ah_icv(&key, &pkt, 20, true), {
            pkt[8] = 0x45;
            ah_icv(&key, &pkt, 20, true)
        });
    }

    #[test]
    fn icv_on_short_input_does_not_panic() {
        let key = password_bytes("k");
        let _ = ah_icv(&key, &[1, 2, 3], 20, true);
        let _ = ah_icv(&key, &[0x45; 30], 60, false);
    }
}
