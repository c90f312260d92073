//! A received packet as the checks read it, and how raw bytes become one.

use std::net::IpAddr;

use crate::vrrp::checksum::IPPROTO_AH;
use crate::vrrp::family::Family;
use crate::vrrp::ip::Ipv4VrrpView;
use crate::vrrp::packet::{Error, VrrpPacket};

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
                Error::NotVrrp(_) | Error::BadIpHeader => None,
                _ => {
                    let ah = bytes.len() >= 20 && bytes[9] == IPPROTO_AH;
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
