//! Fuzz target: arbitrary bytes as a received IPv4 VRRP packet, through the codec and a
//! router's full receive path. Must never panic.
#![no_main]

use std::time::Instant;

use keepalived_rs::vrrp::ip::Ipv4VrrpView;
use keepalived_rs::vrrp::packet::VrrpRepr;
use keepalived_rs::vrrp::{Family, InstanceConfig, ReceivedPacket, Router, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ip) = Ipv4VrrpView::parse(data) {
        let v = ip.vrrp();
        let _ = VrrpRepr::parse(&v, Family::Ipv4);
        let _ = v.verify_v2_checksum();
        let _ = v.verify_v3_ipv4_checksum(ip.src(), ip.dst());
        let _ = ip.ah();
    }
    let mut c = InstanceConfig::new("VI_1", 51, "198.18.0.2".parse().unwrap());
    c.vips = vec!["198.18.0.102".parse().unwrap()];
    c.version = Version::V3;
    let now = Instant::now();
    let mut r = Router::new(vec![c], vec![], now);
    r.handle_packet(
        now,
        ReceivedPacket::Ipv4 {
            packet: data,
            interface: None,
        },
    );
    while r.poll_action().is_some() {}
});
