//! Receive-side validation in keepalived 2.2.7's order (`vrrp_check_packet`), with its
//! log texts and counters. RFC 3768 §7.1 / RFC 5798 §7.1 list the checks; keepalived's
//! order decides which counter moves when several fail, so it is kept exactly.
//!
//! The result is an [`Accepted`] advert or a [`Rejection`] naming the first check that
//! failed; the rejection's log line and counter derive from it. keepalived 2.x ignores
//! both of its failure kinds (invalid and dropped) alike in the state handlers.

mod received;
mod rejection;

use std::net::IpAddr;
use std::time::Duration;

use super::auth::{ah_icv, constant_time_eq, AuthConfig};
use super::checksum::IPPROTO_VRRP;
use super::config::{InstanceConfig, OldUnicastChecksum};
use super::family::Version;
use super::ip::Ipv4VrrpView;
use super::packet::{
    interval_from_v2, interval_from_v3, VrrpPacket, AUTH_DATA_LEN, MCAST_GROUP_V4,
    TYPE_ADVERTISEMENT,
};
use super::stats::Stats;

pub use received::{classify, RxPacket};
pub use rejection::Rejection;

/// Which pseudo-header destination a VRRPv3/IPv4 unicast instance uses right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumCompat {
    /// RFC form; may switch to `Old` when a peer uses the old form (keepalived "NONE").
    Rfc,
    /// RFC form only (`old_unicast_checksum never`).
    Never,
    /// Old form: 224.0.0.18 in the pseudo-header (configured, or switched to).
    Old,
}

impl ChecksumCompat {
    /// Initial mode from configuration.
    pub fn from_config(c: OldUnicastChecksum) -> Self {
        match c {
            OldUnicastChecksum::Auto => ChecksumCompat::Rfc,
            OldUnicastChecksum::Never => ChecksumCompat::Never,
            OldUnicastChecksum::Forced => ChecksumCompat::Old,
        }
    }
}

/// Per-instance receive state the checks read and update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxState {
    /// AH anti-replay counter; shared with the send side (keepalived keeps one).
    pub ah_seq: u32,
    pub ah_cycle: bool,
    pub checksum_compat: ChecksumCompat,
}

/// What a valid advert says, for the state handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub priority: u8,
    /// The advert's interval (decoded per version).
    pub interval: Duration,
    pub src: IpAddr,
    /// AH sequence number, if the advert carried AH.
    pub ah_seq: Option<u32>,
}

impl Accepted {
    /// Moves the counters keepalived moves for a valid advert.
    pub fn count(&self, stats: &mut Stats) {
        stats.advert_rcvd += 1;
        if self.priority == 0 {
            stats.pri_zero_rcvd += 1;
        }
    }
}

/// Runs keepalived 2.2.7's `vrrp_check_packet` checks 1–15 in its order; the first that
/// fails is the [`Rejection`].
///
/// `is_backup` matters for AH (a BACKUP hearing a fresh sequence clears the cycle flag).
/// `check_vip_addr` is false only for a BACKUP with `skip_check_adv_addr` hearing the
/// master it already knows. `st` is updated as keepalived updates it: the AH sequence on
/// a good AH packet, the checksum mode when a peer uses the old unicast form.
pub fn check_packet(
    cfg: &InstanceConfig,
    is_backup: bool,
    rx: &RxPacket<'_>,
    check_vip_addr: bool,
    st: &mut RxState,
) -> Result<Accepted, Rejection> {
    check_framing(cfg, rx)?;
    let ah_seq = match cfg.version {
        Version::V2 => check_v2_auth(cfg, is_backup, rx, st)?,
        Version::V3 => None,
    };
    check_message(cfg, rx, check_vip_addr, st)?;
    if check_vip_addr {
        check_sender(cfg, rx)?;
    }
    let hd = &rx.vrrp;
    let interval = match cfg.version {
        Version::V2 => interval_from_v2(hd.v2_interval_secs()),
        Version::V3 => interval_from_v3(hd.v3_interval_centis()),
    };
    Ok(Accepted {
        priority: hd.priority(),
        interval,
        src: rx.src,
        ah_seq,
    })
}

/// Checks 1–4: AH presence, exact length, multicast TTL, version.
fn check_framing(cfg: &InstanceConfig, rx: &RxPacket<'_>) -> Result<(), Rejection> {
    let hd = &rx.vrrp;
    let cfg_ah = cfg.version == Version::V2 && matches!(cfg.auth, AuthConfig::Ah(_));
    let mut expected = 0;
    // 1. AH present ⇔ auth type AH (IPv4).
    if let Some(ip) = &rx.ipv4 {
        match (ip.has_ah(), cfg_ah) {
            (true, false) => return Err(Rejection::AhUnexpected),
            (false, true) => return Err(Rejection::AhMissing),
            _ => {}
        }
        expected = ip.vrrp_offset();
    }
    // 2. Exact length using the received count.
    expected += hd.expected_len(cfg.family);
    if rx.len != expected {
        return Err(Rejection::Length {
            received: rx.len,
            expected,
        });
    }
    // 3. TTL / hop limit 255 (RFC 3768 §7.1), not for unicast.
    if !cfg.is_unicast() {
        if let Some(ttl) = rx.ttl.filter(|&t| t != 255) {
            return Err(Rejection::Ttl { received: ttl });
        }
    }
    // 4. Version.
    if hd.version() != cfg.version.number() {
        return Err(Rejection::Version {
            received: hd.version(),
            expected: cfg.version.number(),
        });
    }
    Ok(())
}

/// Checks 5–8 (VRRPv2 only): auth type, password or AH, interval. Returns the AH
/// sequence number of a good AH packet.
fn check_v2_auth(
    cfg: &InstanceConfig,
    is_backup: bool,
    rx: &RxPacket<'_>,
    st: &mut RxState,
) -> Result<Option<u32>, Rejection> {
    let hd = &rx.vrrp;
    // 5. Known auth type.
    let auth_type = hd.v2_auth_type();
    if auth_type > 2 {
        return Err(Rejection::AuthTypeUnknown {
            received: auth_type,
        });
    }
    // 6. Auth type matches ours.
    if auth_type != cfg.auth.type_byte() {
        return Err(Rejection::AuthTypeMismatch {
            received: auth_type,
            expected: cfg.auth.type_byte(),
        });
    }
    // 7. PASS: the password; AH: next header, ICV, SPI, sequence.
    let ah_seq = match (&cfg.auth, &rx.ipv4) {
        (AuthConfig::Pass(pw), ip) => {
            check_password(hd, ip.as_ref(), pw)?;
            None
        }
        (AuthConfig::Ah(key), Some(ip)) => Some(check_ah(cfg, key, ip, is_backup, st)?),
        _ => None,
    };
    // 8. v2 interval must equal ours.
    let received_secs = hd.v2_interval_secs();
    if cfg.advert_int != Duration::from_secs(u64::from(received_secs)) {
        return Err(Rejection::IntervalMismatch {
            mine_secs: cfg.advert_int.as_secs(),
            received_secs,
        });
    }
    Ok(ah_seq)
}

/// PASS: the last 8 bytes of the IP packet by its total length (IPv4), else the last 8
/// of the message, compared in constant time.
fn check_password(
    hd: &VrrpPacket<&[u8]>,
    ip: Option<&Ipv4VrrpView<'_>>,
    password: &[u8; AUTH_DATA_LEN],
) -> Result<(), Rejection> {
    let (bytes, end) = match ip {
        Some(ip) => (ip.bytes(), usize::from(ip.total_len())),
        None => (hd.as_bytes(), hd.as_bytes().len()),
    };
    let received = end
        .checked_sub(AUTH_DATA_LEN)
        .and_then(|start| bytes.get(start..end));
    match received {
        Some(received) if constant_time_eq(received, password) => Ok(()),
        _ => Err(Rejection::Password),
    }
}

/// AH checks in 2.x order: next header, ICV, SPI, sequence. A good
/// packet's sequence number becomes the newest seen (and ends a BACKUP's sequence
/// cycle); it is returned.
fn check_ah(
    cfg: &InstanceConfig,
    key: &[u8; 8],
    ip: &Ipv4VrrpView<'_>,
    is_backup: bool,
    st: &mut RxState,
) -> Result<u32, Rejection> {
    // Check 1 guaranteed the header.
    let ah = ip.ah().ok_or(Rejection::AhMissing)?;
    if ah.next_header != IPPROTO_VRRP {
        return Err(Rejection::AhNotVrrp);
    }
    let icv = ah_icv(key, ip.bytes(), ip.header_len(), cfg.is_unicast());
    if !constant_time_eq(&icv, &ah.icv) {
        return Err(Rejection::AhIcv);
    }
    if ah.spi != u32::from(ip.src()) {
        return Err(Rejection::AhSpi {
            src: ip.src(),
            spi: ah.spi,
        });
    }
    if ah.seq <= st.ah_seq {
        return Err(Rejection::AhReplay {
            received: ah.seq,
            local: st.ah_seq,
        });
    }
    st.ah_seq = ah.seq;
    if is_backup {
        st.ah_cycle = false;
    }
    Ok(ah.seq)
}

/// Checks 9–13: type, address count, IPv4 total length, checksum, destination kind.
fn check_message(
    cfg: &InstanceConfig,
    rx: &RxPacket<'_>,
    check_vip_addr: bool,
    st: &mut RxState,
) -> Result<(), Rejection> {
    let hd = &rx.vrrp;
    // 9. Type ADVERTISEMENT.
    if hd.packet_type() != TYPE_ADVERTISEMENT {
        return Err(Rejection::PacketType {
            received: hd.packet_type(),
        });
    }
    // 10. Address count.
    let vip_cnt = cfg.vips.len().min(255);
    if check_vip_addr && usize::from(hd.count()) != vip_cnt {
        return Err(Rejection::AddressCount {
            received: hd.count(),
            expected: vip_cnt,
        });
    }
    if let Some(ip) = &rx.ipv4 {
        // 11. IP total length equals what was received.
        if usize::from(ip.total_len()) != rx.len {
            return Err(Rejection::IpLength {
                total_len: ip.total_len(),
                received: rx.len,
            });
        }
        // 12. Checksum (IPv6: the kernel already checked).
        if !checksum_ok(cfg, hd, ip, st) {
            return Err(Rejection::Checksum {
                version: cfg.version,
            });
        }
    }
    // 13. Multicast destination ⇔ multicast instance.
    if rx.is_multicast() == cfg.is_unicast() {
        return Err(Rejection::DestinationKind {
            unicast_instance: cfg.is_unicast(),
        });
    }
    Ok(())
}

/// Checks 14–15: every VIP present, unicast source a peer within its TTL window.
fn check_sender(cfg: &InstanceConfig, rx: &RxPacket<'_>) -> Result<(), Rejection> {
    // 14. Every configured VIP is present (order irrelevant).
    if let Some(&vip) = cfg
        .vips
        .iter()
        .take(255)
        .find(|&&vip| !rx.vrrp.contains_address(vip))
    {
        return Err(Rejection::VipMissing {
            vrid: cfg.vrid,
            vip,
        });
    }
    // 15. Unicast source is a peer, and its TTL is inside the peer's window.
    let ttl_window = cfg
        .unicast_peers
        .iter()
        .any(|p| p.min_ttl != 0 || p.max_ttl != 255);
    if !cfg.is_unicast() || !(cfg.advert.check_unicast_src || ttl_window) {
        return Ok(());
    }
    let Some(peer) = cfg.unicast_peers.iter().find(|p| p.addr == rx.src) else {
        return Err(Rejection::NotAPeer { src: rx.src });
    };
    match rx.ttl {
        Some(ttl) if ttl < peer.min_ttl || ttl > peer.max_ttl => Err(Rejection::PeerTtl {
            received: ttl,
            min: peer.min_ttl,
            max: peer.max_ttl,
        }),
        _ => Ok(()),
    }
}

/// Check 12: v2 plain checksum; v3/IPv4 pseudo-header checksum, retried with the old
/// unicast form (224.0.0.18 as destination) when a peer may use it, which then sticks.
fn checksum_ok(
    cfg: &InstanceConfig,
    hd: &VrrpPacket<&[u8]>,
    ip: &Ipv4VrrpView<'_>,
    st: &mut RxState,
) -> bool {
    match cfg.version {
        Version::V2 => hd.verify_v2_checksum(),
        Version::V3 => {
            let dst = match st.checksum_compat {
                ChecksumCompat::Old => MCAST_GROUP_V4,
                _ => ip.dst(),
            };
            if hd.verify_v3_ipv4_checksum(ip.src(), dst) {
                return true;
            }
            let old_form = cfg.is_unicast()
                && st.checksum_compat == ChecksumCompat::Rfc
                && dst != MCAST_GROUP_V4
                && hd.verify_v3_ipv4_checksum(ip.src(), MCAST_GROUP_V4);
            if old_form {
                st.checksum_compat = ChecksumCompat::Old;
            }
            old_form
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::vrrp::advert::{self, AdvertFields};
    use crate::vrrp::auth::password_bytes;
    use crate::vrrp::family::Family;

    fn cfg(src: u8) -> InstanceConfig {
        let mut c = InstanceConfig::new("VI_1", 51, Ipv4Addr::new(10, 0, 0, src).into());
        c.vips = vec![Ipv4Addr::new(10, 0, 0, 100).into()];
        c.auth = AuthConfig::Pass(password_bytes("1111"));
        c
    }

    fn advert(peer: &InstanceConfig) -> Vec<u8> {
        let dst = peer.multicast_group();
        advert::encode(
            peer,
            &AdvertFields {
                priority: 150,
                ip_id: 1,
                ah_seq: 1,
                dst,
                checksum_dst: dst,
                ttl: 255,
            },
        )
    }

    fn check(ours: &InstanceConfig, bytes: &[u8]) -> Result<Accepted, Rejection> {
        let rx = classify(Family::Ipv4, bytes, None).unwrap();
        let mut st = RxState {
            ah_seq: 0,
            ah_cycle: false,
            checksum_compat: ChecksumCompat::Rfc,
        };
        check_packet(ours, true, &rx, true, &mut st)
    }

    #[test]
    fn a_peer_advert_is_accepted() {
        let adv = check(&cfg(2), &advert(&cfg(1))).unwrap();
        assert_eq!(adv.priority, 150);
        assert_eq!(adv.src, IpAddr::from(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(adv.interval, Duration::from_secs(1));
    }

    #[test]
    fn the_first_failing_check_is_the_rejection() {
        let mut peer = cfg(1);
        peer.auth = AuthConfig::Pass(password_bytes("2222"));
        let mut pkt = advert(&peer);
        assert_eq!(check(&cfg(2), &pkt), Err(Rejection::Password));
        // A bad TTL (check 3) is reported before the password (check 7).
        pkt[8] = 64;
        assert_eq!(check(&cfg(2), &pkt), Err(Rejection::Ttl { received: 64 }));
    }

    #[test]
    fn a_rejection_derives_keepalived_text_and_counter() {
        let mut ours = cfg(2);
        ours.vips.push(Ipv4Addr::new(10, 0, 0, 101).into());
        let r = check(&ours, &advert(&cfg(1))).unwrap_err();
        assert_eq!(
            r,
            Rejection::AddressCount {
                received: 1,
                expected: 2
            }
        );
        assert_eq!(
            r.log_text("VI_1").unwrap(),
            "(VI_1) received an unexpected ip number count 1, expected 2!"
        );
        let mut stats = Stats::default();
        r.count(&mut stats);
        assert_eq!((stats.addr_list_err, stats.advert_rcvd), (1, 0));

        let missing = Rejection::VipMissing {
            vrid: 51,
            vip: Ipv4Addr::new(10, 0, 0, 100).into(),
        };
        let mut stats = Stats::default();
        missing.count(&mut stats);
        assert_eq!((stats.addr_list_err, stats.advert_rcvd), (1, 1));
        assert!(!missing.is_drop());
        assert!(Rejection::IntervalMismatch {
            mine_secs: 1,
            received_secs: 2
        }
        .is_drop());
        assert_eq!(Rejection::AhNotVrrp.log_text("VI_1"), None);
    }
}
