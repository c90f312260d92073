//! Fuzz target: arbitrary bytes as a received IPv6 VRRP payload, through the codec and a
//! router's full receive path. Must never panic.
#![no_main]

use std::time::Instant;

use keepalived_rs::vrrp::packet::{VrrpPacket, VrrpRepr};
use keepalived_rs::vrrp::{Family, InstanceConfig, ReceivedPacket, Router};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = "fe80::1".parse().unwrap();
    let dst = "ff02::12".parse().unwrap();
    if let Ok(v) = VrrpPacket::new_checked(data) {
        let _ = VrrpRepr::parse(&v, Family::Ipv6);
        let _ = v.verify_v3_ipv6_checksum(src, dst);
    }
    let mut c = InstanceConfig::new("VI_1", 51, "fe80::2".parse().unwrap());
    c.vips = vec!["2001:db8::102".parse().unwrap()];
    let now = Instant::now();
    let mut r = Router::new(vec![c], vec![], now);
    let rx = ReceivedPacket::Ipv6 {
        payload: data,
        src,
        dst,
        hop_limit: Some(255),
        interface: None,
    };
    r.handle_packet(now, rx);
    while r.poll_action().is_some() {}
});
