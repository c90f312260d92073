//! Receive-side validation in keepalived 2.2.7's order (`vrrp_check_packet`), with its
//! log texts and counters. RFC 3768 §7.1 / RFC 5798 §7.1 list the checks; keepalived's
//! order decides which counter moves when several fail, so it is kept exactly.
//!
//! The result is [`Verdict::Valid`] or one of keepalived's two failure kinds. In 2.x
//! both failure kinds are simply ignored by the state handlers (1.x treated them
//! differently; see `keepalived-reference.md` §2.3).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::action::{Action, LogLevel};
use super::auth::{ah_icv, constant_time_eq, AuthConfig};
use super::config::{InstanceConfig, OldUnicastChecksum};
use super::ip::Ipv4VrrpView;
use super::packet::{VrrpPacket, AUTH_DATA_LEN, MCAST_GROUP_V4, TYPE_ADVERTISEMENT};
use super::stats::Stats;
use super::{Family, Version};

/// A received packet with the metadata the checks need.
#[derive(Debug, Clone, Copy)]
pub struct RxPacket<'a> {
    /// IPv4: the parsed packet; `None` for IPv6.
    pub ipv4: Option<Ipv4VrrpView<'a>>,
    /// The VRRP message (to the end of the received data).
    pub vrrp: VrrpPacket<&'a [u8]>,
    /// Bytes received: the whole IPv4 packet, or the IPv6 payload.
    pub len: usize,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit, if known.
    pub ttl: Option<u8>,
}

impl RxPacket<'_> {
    /// True if the destination is a multicast address.
    pub fn is_multicast(&self) -> bool {
        self.dst.is_multicast()
    }
}

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
pub struct ValidAdvert {
    pub priority: u8,
    /// The advert's interval (decoded per version).
    pub interval: Duration,
    pub src: IpAddr,
    /// AH sequence number, if the advert carried AH.
    pub ah_seq: Option<u32>,
}

/// Outcome of [`check_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid(ValidAdvert),
    /// keepalived's VRRP_PACKET_KO: invalid, logged and counted.
    Invalid,
    /// keepalived's VRRP_PACKET_DROP: not for us (v2 interval mismatch, AH for another
    /// protocol).
    Dropped,
}

fn log(out: &mut VecDeque<Action>, text: String) {
    out.push_back(Action::Log {
        level: LogLevel::Info,
        text,
    });
}

/// keepalived prints raw `in_addr_t` values with `%u`: the network-order word read in
/// host (little-endian) order.
fn raw_in_addr(a: Ipv4Addr) -> u32 {
    u32::from_le_bytes(a.octets())
}

/// Runs keepalived 2.2.7's `vrrp_check_packet` checks 1–15 (reference §2.1).
///
/// `check_vip_addr` is false only for a BACKUP with `skip_check_adv_addr` hearing the
/// master it already knows.
pub fn check_packet(
    cfg: &InstanceConfig,
    is_backup: bool,
    rx: &RxPacket<'_>,
    check_vip_addr: bool,
    stats: &mut Stats,
    st: &mut RxState,
    out: &mut VecDeque<Action>,
) -> Verdict {
    let name = &cfg.name;
    let hd = &rx.vrrp;
    let cfg_ah = cfg.version == Version::V2 && matches!(cfg.auth, AuthConfig::Ah(_));
    let mut expected_len = 0;

    // 1. AH present ⇔ auth type AH (IPv4).
    if let Some(ip) = &rx.ipv4 {
        if ip.has_ah() != cfg_ah {
            if ip.has_ah() {
                log(
                    out,
                    format!("({name}) Received AH header but auth type not AH"),
                );
            } else {
                log(out, format!("({name}) No AH header but auth type is AH"));
            }
            stats.authtype_mismatch += 1;
            return Verdict::Invalid;
        }
        expected_len = ip.vrrp_offset();
    }

    // 2. Exact length using the received count.
    expected_len += hd.expected_len(cfg.family);
    if rx.len != expected_len {
        let dir = if rx.len > expected_len {
            "long"
        } else {
            "short"
        };
        log(
            out,
            format!(
                "({name}) vrrp packet too {dir}, length {} and expect {expected_len}",
                rx.len
            ),
        );
        stats.packet_len_err += 1;
        return Verdict::Invalid;
    }

    // 3. TTL / hop limit 255 (RFC 3768 §7.1), not for unicast.
    if !cfg.is_unicast() {
        if let Some(ttl) = rx.ttl {
            if ttl != 255 {
                log(
                    out,
                    format!("({name}) invalid TTL/HL. Received {ttl} and expect 255"),
                );
                stats.ip_ttl_err += 1;
                return Verdict::Invalid;
            }
        }
    }

    // 4. Version.
    if hd.version() != cfg.version.number() {
        log(
            out,
            format!(
                "({name}) wrong version. Received {} and expect {}",
                hd.version(),
                cfg.version.number()
            ),
        );
        return Verdict::Invalid;
    }

    let mut rx_ah_seq = None;
    if cfg.version == Version::V2 {
        // 5. Known auth type.
        let auth_type = hd.v2_auth_type();
        if auth_type > 2 {
            log(out, format!("({name}) Invalid auth type: {auth_type}"));
            stats.invalid_authtype += 1;
            return Verdict::Invalid;
        }
        // 6. Auth type matches ours.
        if auth_type != cfg.auth.type_byte() {
            log(
                out,
                format!(
                    "({name}) received a {auth_type} auth, expecting {}!",
                    cfg.auth.type_byte()
                ),
            );
            stats.authtype_mismatch += 1;
            return Verdict::Invalid;
        }
        match (&cfg.auth, &rx.ipv4) {
            // 7. PASS: the last 8 bytes of the IP packet (by tot_len).
            (AuthConfig::Pass(pw), ip) => {
                let rx_pw = match ip {
                    Some(ip) => {
                        let end = usize::from(ip.total_len());
                        end.checked_sub(AUTH_DATA_LEN)
                            .and_then(|s| ip.bytes().get(s..end))
                    }
                    None => {
                        let b = hd.as_bytes();
                        b.len().checked_sub(AUTH_DATA_LEN).map(|s| &b[s..])
                    }
                };
                if !rx_pw.is_some_and(|rx_pw| constant_time_eq(rx_pw, pw)) {
                    log(out, format!("({name}) received an invalid passwd!"));
                    stats.auth_failure += 1;
                    return Verdict::Invalid;
                }
            }
            // 7b. AH: next header, ICV, SPI, sequence.
            (AuthConfig::Ah(key), Some(ip)) => {
                let Some(ah) = ip.ah() else {
                    return Verdict::Invalid; // unreachable: check 1
                };
                if ah.next_header != super::checksum::IPPROTO_VRRP {
                    return Verdict::Dropped;
                }
                match check_ah(cfg, key, ip, st, out) {
                    true => rx_ah_seq = Some(ah.seq),
                    false => {
                        stats.auth_failure += 1;
                        return Verdict::Invalid;
                    }
                }
                if is_backup && ah.seq >= st.ah_seq {
                    st.ah_cycle = false;
                }
            }
            _ => {}
        }
        // 8. v2 interval must equal ours; mismatch is a DROP and counts nothing.
        let rx_secs = hd.v2_interval_secs();
        if cfg.advert_int != Duration::from_secs(u64::from(rx_secs)) {
            log(
                out,
                format!(
                    "({name}) advertisement interval mismatch mine={} sec rcv'd={rx_secs} sec",
                    cfg.advert_int.as_secs()
                ),
            );
            return Verdict::Dropped;
        }
    }

    // 9. Type ADVERTISEMENT.
    if hd.packet_type() != TYPE_ADVERTISEMENT {
        log(
            out,
            format!(
                "({name}) Invalid packet type. {} and expect {TYPE_ADVERTISEMENT}",
                hd.packet_type()
            ),
        );
        stats.invalid_type_rcvd += 1;
        return Verdict::Invalid;
    }

    // 10. Address count.
    let vip_cnt = cfg.vips.len().min(255);
    if check_vip_addr && usize::from(hd.count()) != vip_cnt {
        log(
            out,
            format!(
                "({name}) received an unexpected ip number count {}, expected {vip_cnt}!",
                hd.count()
            ),
        );
        stats.addr_list_err += 1;
        return Verdict::Invalid;
    }

    if let Some(ip) = &rx.ipv4 {
        // 11. IP total length equals what was received.
        if usize::from(ip.total_len()) != rx.len {
            log(
                out,
                format!(
                    "({name}) ip_tot_len mismatch against received length. {} and received {}",
                    ip.total_len(),
                    rx.len
                ),
            );
            stats.packet_len_err += 1;
            return Verdict::Invalid;
        }
        // 12. Checksum (IPv6: the kernel already checked).
        if !checksum_ok(cfg, hd, ip, st, out) {
            return Verdict::Invalid;
        }
    }

    // 13. Multicast destination ⇔ multicast instance.
    if rx.is_multicast() == cfg.is_unicast() {
        let (want, got) = if cfg.is_unicast() {
            ("un", "mult")
        } else {
            ("mult", "un")
        };
        log(
            out,
            format!("({name}) Expected {want}icast packet but received {got}icast packet"),
        );
        stats.addr_list_err += 1;
        return Verdict::Invalid;
    }

    // Type, version and length are right: this counts as an advertisement.
    stats.advert_rcvd += 1;

    if check_vip_addr {
        // 14. Every configured VIP is present (order irrelevant).
        for vip in cfg.vips.iter().take(255) {
            if !hd.contains_address(*vip) {
                log(
                    out,
                    format!(
                        "({name}) ip address associated with VRID {} not present in MASTER advert: {vip}",
                        cfg.vrid
                    ),
                );
                stats.addr_list_err += 1;
                return Verdict::Invalid;
            }
        }
        // 15. Unicast source is a peer, and its TTL is inside the peer's window.
        let ttl_window = cfg
            .unicast_peers
            .iter()
            .any(|p| p.min_ttl != 0 || p.max_ttl != 255);
        if cfg.is_unicast() && (cfg.check_unicast_src || ttl_window) {
            let Some(peer) = cfg.unicast_peers.iter().find(|p| p.addr == rx.src) else {
                log(
                    out,
                    format!(
                        "({name}) unicast source address {} not a unicast peer",
                        rx.src
                    ),
                );
                return Verdict::Invalid;
            };
            if let Some(ttl) = rx.ttl {
                if ttl < peer.min_ttl || ttl > peer.max_ttl {
                    stats.ip_ttl_err += 1;
                    log(
                        out,
                        format!(
                            "({name}) TTL/HL {ttl} not in range {} - {}",
                            peer.min_ttl, peer.max_ttl
                        ),
                    );
                    return Verdict::Invalid;
                }
            }
        }
    }

    if hd.priority() == 0 {
        stats.pri_zero_rcvd += 1;
    }
    let interval = match cfg.version {
        Version::V2 => super::packet::interval_from_v2(hd.v2_interval_secs()),
        Version::V3 => super::packet::interval_from_v3(hd.v3_interval_centis()),
    };
    Verdict::Valid(ValidAdvert {
        priority: hd.priority(),
        interval,
        src: rx.src,
        ah_seq: rx_ah_seq,
    })
}

/// AH checks in 2.x order: ICV, SPI, sequence (reference §1.4). True when all pass.
fn check_ah(
    cfg: &InstanceConfig,
    key: &[u8; 8],
    ip: &Ipv4VrrpView<'_>,
    st: &mut RxState,
    out: &mut VecDeque<Action>,
) -> bool {
    let name = &cfg.name;
    let Some(ah) = ip.ah() else { return false };
    let icv = ah_icv(key, ip.bytes(), ip.header_len(), cfg.is_unicast());
    if !constant_time_eq(&icv, &ah.icv) {
        log(
            out,
            format!(
                "({name}) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"
            ),
        );
        return false;
    }
    if ah.spi != u32::from(ip.src()) {
        log(
            out,
            format!(
                "IPSEC AH : invalid IPSEC SPI value. {} and expect {}",
                raw_in_addr(ip.src()),
                raw_in_addr(Ipv4Addr::from(ah.spi))
            ),
        );
        return false;
    }
    if ah.seq > st.ah_seq {
        st.ah_seq = ah.seq;
        true
    } else {
        log(
            out,
            format!(
                "({name}) IPSEC-AH : sequence number {} already processed. Packet dropped. Local({})",
                ah.seq, st.ah_seq
            ),
        );
        false
    }
}

/// Check 12: v2 plain checksum; v3/IPv4 pseudo-header checksum with the compat retry.
fn checksum_ok(
    cfg: &InstanceConfig,
    hd: &VrrpPacket<&[u8]>,
    ip: &Ipv4VrrpView<'_>,
    st: &mut RxState,
    out: &mut VecDeque<Action>,
) -> bool {
    let name = &cfg.name;
    match cfg.version {
        Version::V2 => {
            if hd.verify_v2_checksum() {
                return true;
            }
            log(out, format!("({name}) Invalid VRRPv2 checksum"));
            false
        }
        Version::V3 => {
            let dst = match st.checksum_compat {
                ChecksumCompat::Old => MCAST_GROUP_V4,
                _ => ip.dst(),
            };
            if hd.verify_v3_ipv4_checksum(ip.src(), dst) {
                return true;
            }
            if cfg.is_unicast()
                && st.checksum_compat == ChecksumCompat::Rfc
                && dst != MCAST_GROUP_V4
                && hd.verify_v3_ipv4_checksum(ip.src(), MCAST_GROUP_V4)
            {
                st.checksum_compat = ChecksumCompat::Old;
                log(
                    out,
                    format!("({name}) Setting unicast VRRPv3 checksum to old version"),
                );
                return true;
            }
            log(out, format!("({name}) Invalid VRRPv3 checksum"));
            false
        }
    }
}

/// Builds an [`RxPacket`] from raw bytes of `family` (IPv4: whole packet; IPv6: VRRP
/// payload plus the addresses and hop limit from ancillary data). Errors carry
/// keepalived's dispatcher log line for packets too short to look at.
pub fn classify<'a>(
    family: Family,
    bytes: &'a [u8],
    v6_meta: Option<(IpAddr, IpAddr, Option<u8>)>,
) -> Result<RxPacket<'a>, Option<String>> {
    match family {
        Family::Ipv4 => {
            let ip = Ipv4VrrpView::parse(bytes).map_err(|e| match e {
                super::packet::Error::NotVrrp(_) | super::packet::Error::BadIpHeader => None,
                _ => {
                    let ah = bytes.len() >= 20 && bytes[9] == super::checksum::IPPROTO_AH;
                    let ihl = bytes.first().map_or(0, |b| usize::from(b & 0x0f) * 4);
                    if ah && bytes.len() >= ihl + 8 {
                        Some(format!(
                            "IPv4 VRRP packet with AH too short - {} bytes",
                            bytes.len()
                        ))
                    } else {
                        Some(format!(
                            "IPv4 VRRP packet too short - {} bytes",
                            bytes.len()
                        ))
                    }
                }
            })?;
            Ok(RxPacket {
                ipv4: Some(ip),
                vrrp: ip.vrrp(),
                len: bytes.len(),
                src: ip.src().into(),
                dst: ip.dst().into(),
                ttl: Some(ip.ttl()),
            })
        }
        Family::Ipv6 => {
            let vrrp = VrrpPacket::new_checked(bytes).map_err(|_| {
                Some(format!(
                    "IPv6 VRRP packet too short - {} bytes",
                    bytes.len()
                ))
            })?;
            let (src, dst, ttl) = v6_meta.ok_or(None)?;
            Ok(RxPacket {
                ipv4: None,
                vrrp,
                len: bytes.len(),
                src,
                dst,
                ttl,
            })
        }
    }
}
