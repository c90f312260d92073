//! Fuzz target: arbitrary bytes as a received IPv4 VRRP packet, through the codec and the
//! receive path of a VRRPv2 instance with PASS authentication. Must never panic.
#![no_main]

use keepalived_rs::vrrp::{password_bytes, AuthConfig};
use keepalived_rs_fuzz::{instance, receive_ipv4};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut c = instance();
    c.auth = AuthConfig::Pass(password_bytes("secret12"));
    receive_ipv4(data, c);
});
