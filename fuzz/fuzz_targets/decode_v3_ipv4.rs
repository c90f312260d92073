//! Fuzz target: arbitrary bytes as a received IPv4 VRRP packet, through the codec and the
//! receive path of a VRRPv3 instance. Must never panic.
#![no_main]

use keepalived_rs::vrrp::Version;
use keepalived_rs_fuzz::{instance, receive_ipv4};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut c = instance();
    c.version = Version::V3;
    receive_ipv4(data, c);
});
