//! What the IPv4 fuzz targets share: arbitrary bytes as one received IPv4 VRRP packet,
//! through every decoder that looks at it and then through a router's whole receive
//! path. The targets differ only in the instance that receives it (VRRPv2 with PASS or
//! AH authentication, VRRPv3), so each reaches a different part of the validation.

use std::time::Instant;

use keepalived_rs::vrrp::ip::Ipv4VrrpView;
use keepalived_rs::vrrp::packet::VrrpRepr;
use keepalived_rs::vrrp::{Family, InstanceConfig, ReceivedPacket, Router};

/// The instance the targets configure: VRID 51 on 198.18.0.2 with one VIP; the target
/// sets what it fuzzes (authentication, version) on it.
pub fn instance() -> InstanceConfig {
    let mut c = InstanceConfig::new("VI_1", 51, "198.18.0.2".parse().unwrap());
    c.vips = vec!["198.18.0.102".parse().unwrap()];
    c
}

/// Decodes `data` every way a received IPv4 packet is decoded, then hands it to a
/// router running `instance` and drains what it does. Must never panic.
pub fn receive_ipv4(data: &[u8], instance: InstanceConfig) {
    if let Ok(ip) = Ipv4VrrpView::parse(data) {
        let v = ip.vrrp();
        let _ = VrrpRepr::parse(&v, Family::Ipv4);
        let _ = v.verify_v2_checksum();
        let _ = v.verify_v3_ipv4_checksum(ip.src(), ip.dst());
        let _ = ip.ah();
    }
    let now = Instant::now();
    let mut r = Router::new(vec![instance], vec![], now);
    r.handle_packet(
        now,
        ReceivedPacket::Ipv4 {
            packet: data,
            interface: None,
        },
    );
    while r.poll_action().is_some() {}
}
