//! Building adverts exactly as keepalived puts them on the wire.
//!
//! IPv4 adverts are whole packets (keepalived uses `IP_HDRINCL`): IPv4 header with TOS
//! 0xC0, the instance's IP ID counter, no DF, TTL 255 (unicast: `unicast_ttl`), protocol
//! 112 or 51 with AH, and the header checksum computed (2.x leaves it to the kernel, the
//! bytes on the wire are the same). IPv6 adverts are the VRRP payload only; the checksum
//! is computed with the IPv6 pseudo-header although the kernel recomputes it.

use std::net::IpAddr;

use super::auth::{ah_icv, AuthConfig};
use super::checksum::{IPPROTO_AH, IPPROTO_VRRP};
use super::config::InstanceConfig;
use super::family::{Family, Version};
use super::ip::{AhRepr, Ipv4HeaderRepr, AH_LEN, IPV4_HEADER_LEN, TOS_INTERNET_CONTROL};
use super::packet::VrrpRepr;

/// Per-send values of one advert copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvertFields {
    pub priority: u8,
    /// IPv4 identification (ignored for IPv6).
    pub ip_id: u16,
    /// AH sequence number (ignored without AH).
    pub ah_seq: u32,
    /// Where this copy goes (multicast group or one unicast peer).
    pub dst: IpAddr,
    /// Destination used in the VRRPv3 pseudo-header (differs from `dst` only in the old
    /// unicast checksum mode, where it is 224.0.0.18).
    pub checksum_dst: IpAddr,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
}

/// Length of the VRRP message an instance sends.
pub fn vrrp_len(cfg: &InstanceConfig) -> usize {
    message(cfg, 0).buffer_len()
}

/// The VRRP message of `cfg`'s adverts with `priority`. Auth only exists for VRRPv2
/// (2.x resets it for v3: "VRRP version 3 does not support authentication").
fn message(cfg: &InstanceConfig, priority: u8) -> VrrpRepr<&[IpAddr]> {
    let auth = sent_auth(cfg);
    VrrpRepr {
        version: cfg.version,
        vrid: cfg.vrid,
        priority,
        advert_interval: cfg.advert_int,
        auth_type: auth.auth_type(),
        addresses: &cfg.vips,
        auth_data: auth.wire_data(),
    }
}

fn sent_auth(cfg: &InstanceConfig) -> AuthConfig {
    if cfg.version == Version::V2 {
        cfg.auth
    } else {
        AuthConfig::None
    }
}

/// The AH key, when adverts carry an AH header (VRRPv2 over IPv4 with `auth_type AH`).
fn ah_key(cfg: &InstanceConfig) -> Option<[u8; 8]> {
    match sent_auth(cfg) {
        AuthConfig::Ah(k) if cfg.family == Family::Ipv4 => Some(k),
        _ => None,
    }
}

/// Length of what [`encode`] returns.
pub fn encoded_len(cfg: &InstanceConfig) -> usize {
    match cfg.family {
        Family::Ipv6 => vrrp_len(cfg),
        Family::Ipv4 => {
            let ah = if ah_key(cfg).is_some() { AH_LEN } else { 0 };
            IPV4_HEADER_LEN + ah + vrrp_len(cfg)
        }
    }
}

/// Builds one advert copy for `cfg` with `fields`.
pub fn encode(cfg: &InstanceConfig, fields: &AdvertFields) -> Vec<u8> {
    let mut buf = vec![0u8; encoded_len(cfg)];
    encode_into(cfg, fields, &mut buf);
    buf
}

/// Builds one advert copy into `buf` (exactly [`encoded_len`] bytes).
pub fn encode_into(cfg: &InstanceConfig, fields: &AdvertFields, buf: &mut [u8]) {
    let ah_key = ah_key(cfg);
    let vrrp_off = match cfg.family {
        Family::Ipv6 => 0,
        Family::Ipv4 => IPV4_HEADER_LEN + if ah_key.is_some() { AH_LEN } else { 0 },
    };
    let pseudo = match cfg.version {
        Version::V2 => None,
        Version::V3 => Some((cfg.source_addr, fields.checksum_dst)),
    };
    message(cfg, fields.priority).emit_with_checksum(&mut buf[vrrp_off..], pseudo);

    let (IpAddr::V4(src), IpAddr::V4(dst)) = (cfg.source_addr, fields.dst) else {
        return; // IPv6: payload only
    };
    let total = buf.len();
    Ipv4HeaderRepr {
        tos: TOS_INTERNET_CONTROL,
        total_len: total as u16,
        ident: fields.ip_id,
        ttl: fields.ttl,
        protocol: if ah_key.is_some() {
            IPPROTO_AH
        } else {
            IPPROTO_VRRP
        },
        src,
        dst,
    }
    .emit(&mut buf[..IPV4_HEADER_LEN]);
    if let Some(key) = ah_key {
        let mut ah = AhRepr {
            next_header: IPPROTO_VRRP,
            spi: u32::from(src),
            seq: fields.ah_seq,
            icv: [0; 12],
        };
        ah.emit(&mut buf[IPV4_HEADER_LEN..IPV4_HEADER_LEN + AH_LEN]);
        ah.icv = ah_icv(&key, buf, IPV4_HEADER_LEN, cfg.is_unicast());
        ah.emit(&mut buf[IPV4_HEADER_LEN..IPV4_HEADER_LEN + AH_LEN]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::auth::password_bytes;
    use std::net::Ipv4Addr;

    /// An advert captured from keepalived 2.2.7 (v2, PASS "1111"), whole packet.
    #[test]
    fn checklist_1_v2_advert_matches_reference_bytes() {
        let mut cfg = InstanceConfig::new("VI_1", 51, Ipv4Addr::new(192, 168, 200, 1).into());
        cfg.vips = vec![Ipv4Addr::new(192, 168, 200, 16).into()];
        cfg.auth = AuthConfig::Pass(password_bytes("1111"));
        let dst = cfg.multicast_group();
        let pkt = encode(
            &cfg,
            &AdvertFields {
                priority: 100,
                ip_id: 1,
                ah_seq: 0,
                dst,
                checksum_dst: dst,
                ttl: 255,
            },
        );
        let expected: Vec<u8> = [
            0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x51, 0xe8, 0xc0, 0xa8,
            0xc8, 0x01, 0xe0, 0x00, 0x00, 0x12, 0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x8e, 0xae,
            0xc0, 0xa8, 0xc8, 0x10, 0x31, 0x31, 0x31, 0x31, 0x00, 0x00, 0x00, 0x00,
        ]
        .to_vec();
        assert_eq!(pkt, expected);
    }

    #[test]
    fn v3_ignores_configured_auth() {
        let mut cfg = InstanceConfig::new("VI_1", 52, Ipv4Addr::new(192, 168, 200, 1).into());
        cfg.version = Version::V3;
        cfg.base_priority = 150;
        cfg.vips = vec![Ipv4Addr::new(192, 168, 200, 17).into()];
        cfg.auth = AuthConfig::Ah(password_bytes("x"));
        let dst = cfg.multicast_group();
        // AH is an IPv4 v2 feature only; the v3 packet has no AH and no auth bytes.
        assert_eq!(encoded_len(&cfg), 32);
        let pkt = encode(
            &cfg,
            &AdvertFields {
                priority: 150,
                ip_id: 1,
                ah_seq: 0,
                dst,
                checksum_dst: dst,
                ttl: 255,
            },
        );
        assert_eq!(
            &pkt[20..],
            &[0x31, 0x34, 0x96, 0x01, 0x00, 0x64, 0x46, 0x72, 0xc0, 0xa8, 0xc8, 0x11]
        );
    }
}
