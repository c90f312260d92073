//! Turning received bytes into an [`RxPacket`] the checks can read.

use std::net::IpAddr;

use super::RxPacket;
use crate::vrrp::checksum::IPPROTO_AH;
use crate::vrrp::ip::Ipv4VrrpView;
use crate::vrrp::packet::{Error, VrrpPacket};
use crate::vrrp::Family;

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
