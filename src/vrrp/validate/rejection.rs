//! Why a received packet is not acted on: one variant per check keepalived 2.2.7's
//! `vrrp_check_packet` makes, in its order. The log line, the counter that moves and the
//! label for metrics all derive from the variant, so they cannot disagree.

use std::net::{IpAddr, Ipv4Addr};

use crate::vrrp::family::Version;
use crate::vrrp::packet::TYPE_ADVERTISEMENT;
use crate::vrrp::stats::{RxErrorCounter, Stats};

/// A rejected packet. Variants are in the order the checks run; when several would
/// fail, the first one is reported (it decides which counter moves, as in keepalived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 1. An AH header arrived but the instance does not use AH.
    AhUnexpected,
    /// 1. The instance uses AH but the packet has no AH header.
    AhMissing,
    /// 2. The received length differs from what the headers and count imply.
    Length { received: usize, expected: usize },
    /// 3. Multicast TTL / hop limit other than 255 (RFC 3768 §7.1).
    Ttl { received: u8 },
    /// 4. VRRP version other than the instance's.
    Version { received: u8, expected: u8 },
    /// 5. VRRPv2 auth type above 2.
    AuthTypeUnknown { received: u8 },
    /// 6. VRRPv2 auth type other than the instance's.
    AuthTypeMismatch { received: u8, expected: u8 },
    /// 7. PASS: wrong password.
    Password,
    /// 7. AH protecting something other than VRRP (keepalived drops it silently).
    AhNotVrrp,
    /// 7. AH: the HMAC-MD5-96 ICV does not verify.
    AhIcv,
    /// 7. AH: the SPI is not the sender's address.
    AhSpi { src: Ipv4Addr, spi: u32 },
    /// 7. AH: a sequence number already seen (anti-replay).
    AhReplay { received: u32, local: u32 },
    /// 8. VRRPv2 interval other than ours (keepalived drops it; no counter moves).
    IntervalMismatch { mine_secs: u64, received_secs: u8 },
    /// 9. Packet type other than ADVERTISEMENT.
    PacketType { received: u8 },
    /// 10. "Count IP Addrs" other than our number of VIPs.
    AddressCount { received: u8, expected: usize },
    /// 11. IPv4 total length other than the bytes received.
    IpLength { total_len: u16, received: usize },
    /// 12. VRRP checksum (IPv4; the kernel checks IPv6).
    Checksum { version: Version },
    /// 13. Multicast packet on a unicast instance or the reverse.
    DestinationKind { unicast_instance: bool },
    /// 14. A configured VIP is missing from the advert.
    VipMissing { vrid: u8, vip: IpAddr },
    /// 15. Unicast source that is not a configured peer.
    NotAPeer { src: IpAddr },
    /// 15. Unicast TTL outside the peer's `min_ttl`–`max_ttl` window.
    PeerTtl { received: u8, min: u8, max: u8 },
}

/// keepalived prints raw `in_addr_t` values with `%u`: the network-order word read in
/// host (little-endian) order.
fn raw_in_addr(a: Ipv4Addr) -> u32 {
    u32::from_le_bytes(a.octets())
}

impl Rejection {
    /// keepalived's log line for instance `name`, or `None` where it logs nothing.
    pub fn log_text(&self, name: &str) -> Option<String> {
        use Rejection::*;
        let text = match *self {
            AhUnexpected => format!("({name}) Received AH header but auth type not AH"),
            AhMissing => format!("({name}) No AH header but auth type is AH"),
            Length { received, expected } => {
                let dir = if received > expected { "long" } else { "short" };
                format!("({name}) vrrp packet too {dir}, length {received} and expect {expected}")
            }
            Ttl { received } => {
                format!("({name}) invalid TTL/HL. Received {received} and expect 255")
            }
            Version { received, expected } => {
                format!("({name}) wrong version. Received {received} and expect {expected}")
            }
            AuthTypeUnknown { received } => format!("({name}) Invalid auth type: {received}"),
            AuthTypeMismatch { received, expected } => {
                format!("({name}) received a {received} auth, expecting {expected}!")
            }
            Password => format!("({name}) received an invalid passwd!"),
            AhNotVrrp => return None,
            AhIcv => format!(
                "({name}) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"
            ),
            AhSpi { src, spi } => format!(
                "IPSEC AH : invalid IPSEC SPI value. {} and expect {}",
                raw_in_addr(src),
                raw_in_addr(Ipv4Addr::from(spi))
            ),
            AhReplay { received, local } => format!(
                "({name}) IPSEC-AH : sequence number {received} already processed. Packet dropped. Local({local})"
            ),
            IntervalMismatch {
                mine_secs,
                received_secs,
            } => format!(
                "({name}) advertisement interval mismatch mine={mine_secs} sec rcv'd={received_secs} sec"
            ),
            PacketType { received } => format!(
                "({name}) Invalid packet type. {received} and expect {TYPE_ADVERTISEMENT}"
            ),
            AddressCount { received, expected } => format!(
                "({name}) received an unexpected ip number count {received}, expected {expected}!"
            ),
            IpLength {
                total_len,
                received,
            } => format!(
                "({name}) ip_tot_len mismatch against received length. {total_len} and received {received}"
            ),
            Checksum { version } => {
                format!("({name}) Invalid VRRPv{} checksum", version.number())
            }
            DestinationKind { unicast_instance } => {
                let (want, got) = if unicast_instance {
                    ("un", "mult")
                } else {
                    ("mult", "un")
                };
                format!("({name}) Expected {want}icast packet but received {got}icast packet")
            }
            VipMissing { vrid, vip } => format!(
                "({name}) ip address associated with VRID {vrid} not present in MASTER advert: {vip}"
            ),
            NotAPeer { src } => {
                format!("({name}) unicast source address {src} not a unicast peer")
            }
            PeerTtl { received, min, max } => {
                format!("({name}) TTL/HL {received} not in range {min} - {max}")
            }
        };
        Some(text)
    }

    /// The error counter keepalived moves, if any.
    pub fn counter(&self) -> Option<RxErrorCounter> {
        use Rejection::*;
        use RxErrorCounter as C;
        Some(match self {
            AhUnexpected | AhMissing | AuthTypeMismatch { .. } => C::AuthtypeMismatch,
            Length { .. } | IpLength { .. } => C::PacketLenErr,
            Ttl { .. } | PeerTtl { .. } => C::IpTtlErr,
            AuthTypeUnknown { .. } => C::InvalidAuthtype,
            Password | AhIcv | AhSpi { .. } | AhReplay { .. } => C::AuthFailure,
            PacketType { .. } => C::InvalidTypeRcvd,
            AddressCount { .. } | DestinationKind { .. } | VipMissing { .. } => C::AddrListErr,
            Version { .. } => C::VersErr,
            Checksum { .. } => C::ChkErr,
            AhNotVrrp | IntervalMismatch { .. } | NotAPeer { .. } => return None,
        })
    }

    /// True for the checks made after type, version and length passed: keepalived counts
    /// such a packet as a received advertisement although it then rejects it.
    pub fn counts_as_advert(&self) -> bool {
        matches!(
            self,
            Rejection::VipMissing { .. } | Rejection::NotAPeer { .. } | Rejection::PeerTtl { .. }
        )
    }

    /// keepalived's VRRP_PACKET_DROP (not for us) rather than VRRP_PACKET_KO (invalid).
    /// 2.x ignores both alike; the distinction is kept for dumps and tests.
    pub fn is_drop(&self) -> bool {
        matches!(
            self,
            Rejection::AhNotVrrp | Rejection::IntervalMismatch { .. }
        )
    }

    /// Moves the counters keepalived moves for this rejection.
    pub fn count(&self, stats: &mut Stats) {
        if self.counts_as_advert() {
            stats.advert_rcvd += 1;
        }
        if let Some(counter) = self.counter() {
            *stats.rx_error_mut(counter) += 1;
        }
    }

    /// A stable snake_case name of the reason, for metrics labels and debugging.
    pub fn label(&self) -> &'static str {
        use Rejection::*;
        match self {
            AhUnexpected => "ah_unexpected",
            AhMissing => "ah_missing",
            Length { .. } => "length",
            Ttl { .. } => "ttl",
            Version { .. } => "version",
            AuthTypeUnknown { .. } => "auth_type_unknown",
            AuthTypeMismatch { .. } => "auth_type_mismatch",
            Password => "password",
            AhNotVrrp => "ah_not_vrrp",
            AhIcv => "ah_icv",
            AhSpi { .. } => "ah_spi",
            AhReplay { .. } => "ah_replay",
            IntervalMismatch { .. } => "interval_mismatch",
            PacketType { .. } => "packet_type",
            AddressCount { .. } => "address_count",
            IpLength { .. } => "ip_length",
            Checksum { .. } => "checksum",
            DestinationKind { .. } => "destination_kind",
            VipMissing { .. } => "vip_missing",
            NotAPeer { .. } => "not_a_peer",
            PeerTtl { .. } => "peer_ttl",
        }
    }
}
