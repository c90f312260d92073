//! How big each VRRP receive socket's kernel queue is asked to be (`SO_RCVBUF`), as
//! keepalived 2.2.7 sizes it: every instance reading from the socket adds its share, its
//! own `kernel_rx_buf_size` if written, else what `vrrp_rx_bufs_policy` gives (a fixed
//! size, or the multiplier times its advert length or its interface's MTU). A socket
//! whose shares add up to 0 keeps the kernel's default (`net.core.rmem_default`).
//!
//! Pure: the plan calls it with each instance's core configuration and interface MTU.

use crate::config::model::{RxBufsPolicy, SocketBuffers, VrrpInstance};
use crate::vrrp::{AuthConfig, Family, InstanceConfig, Version};

/// Bytes of a VRRP header without addresses or authentication data.
const VRRP_HEADER: u32 = 8;
/// The VRRPv2 authentication data.
const V2_AUTH_DATA: u32 = 8;
/// An IPv4 header without options (keepalived counts it for IPv4 only: an IPv6 raw
/// socket queues the payload alone).
const IPV4_HEADER: u32 = 20;
/// keepalived's IPsec AH header.
const AH_HEADER: u32 = 24;

/// What one advert of `core` occupies in the receive queue, as keepalived counts it.
pub fn advert_len(core: &InstanceConfig) -> u32 {
    let vips = core.vips.len() as u32;
    match core.family {
        Family::Ipv6 => VRRP_HEADER + 16 * vips,
        Family::Ipv4 => {
            let auth = if core.version == Version::V2 {
                V2_AUTH_DATA
            } else {
                0
            };
            let ah = if matches!(core.auth, AuthConfig::Ah(_)) {
                AH_HEADER
            } else {
                0
            };
            VRRP_HEADER + auth + 4 * vips + IPV4_HEADER + ah
        }
    }
}

/// The bytes `inst` adds to its receive socket's buffer; `mtu` is its interface's
/// (`None` when unknown, when keepalived adds nothing for the MTU policy either).
pub fn share(
    settings: &SocketBuffers,
    inst: &VrrpInstance,
    core: &InstanceConfig,
    mtu: Option<u32>,
) -> u32 {
    if inst.kernel_rx_buf_size != 0 {
        return inst.kernel_rx_buf_size;
    }
    let times = settings.vrrp_rx_multiplier;
    match settings.vrrp_rx_policy {
        RxBufsPolicy::Kernel => 0,
        RxBufsPolicy::Size(bytes) => bytes,
        RxBufsPolicy::Advert => times.saturating_mul(advert_len(core)),
        RxBufsPolicy::Mtu => mtu.map_or(0, |m| times.saturating_mul(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::VrrpInstance;

    fn core(family: Family, version: Version, vips: usize) -> InstanceConfig {
        let mut c = InstanceConfig::new("VI", 1, std::net::IpAddr::from([198, 18, 0, 1]));
        c.family = family;
        c.version = version;
        c.vips = (0..vips)
            .map(|i| match family {
                Family::Ipv4 => std::net::IpAddr::from([198, 18, 0, i as u8]),
                Family::Ipv6 => std::net::IpAddr::from([0xfd00, 0, 0, 0, 0, 0, 0, i as u16]),
            })
            .collect();
        c
    }

    #[test]
    fn advert_length_counts_what_keepalived_counts() {
        assert_eq!(advert_len(&core(Family::Ipv4, Version::V2, 1)), 40);
        assert_eq!(advert_len(&core(Family::Ipv4, Version::V3, 2)), 36);
        assert_eq!(advert_len(&core(Family::Ipv6, Version::V3, 1)), 24);
    }

    #[test]
    fn own_size_wins_over_the_policy() {
        let mut settings = SocketBuffers {
            vrrp_rx_policy: RxBufsPolicy::Mtu,
            ..SocketBuffers::default()
        };
        let mut inst = VrrpInstance::new("VI");
        let c = core(Family::Ipv4, Version::V2, 1);
        assert_eq!(share(&settings, &inst, &c, Some(1500)), 4500);
        assert_eq!(share(&settings, &inst, &c, None), 0);
        settings.vrrp_rx_policy = RxBufsPolicy::Advert;
        assert_eq!(share(&settings, &inst, &c, Some(1500)), 120);
        inst.kernel_rx_buf_size = 70000;
        assert_eq!(share(&settings, &inst, &c, Some(1500)), 70000);
        settings.vrrp_rx_policy = RxBufsPolicy::Kernel;
        inst.kernel_rx_buf_size = 0;
        assert_eq!(share(&settings, &inst, &c, Some(1500)), 0);
    }
}
