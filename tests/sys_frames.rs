//! The GARP and unsolicited-NA builders against frames keepalived 2.2.7 put on the
//! wire (tests/data/captures), byte for byte. Pure: needs no privilege.

mod sys_support;

use std::net::{Ipv4Addr, Ipv6Addr};

use keepalived_rs::sys::{gratuitous_arp_frame, unsolicited_na_frame};
use sys_support::{arp_frames, capture_frames};

fn mac_of(frame: &[u8]) -> [u8; 6] {
    frame[6..12].try_into().unwrap()
}

#[test]
fn every_captured_gratuitous_arp_is_rebuilt_byte_for_byte() {
    let frames = arp_frames("ka227-v2-pass.pcap");
    assert!(
        frames.len() >= 10,
        "capture should hold two bursts of GARPs"
    );
    for captured in frames {
        let vip = Ipv4Addr::new(captured[38], captured[39], captured[40], captured[41]);
        let built = gratuitous_arp_frame(mac_of(&captured), vip);
        assert_eq!(&built[..], &captured[..42], "GARP for {vip}");
    }
}

#[test]
fn every_captured_unsolicited_na_is_rebuilt_byte_for_byte() {
    let adverts: Vec<Vec<u8>> = capture_frames("ka227-v3-ipv6.pcap")
        .into_iter()
        .filter(|f| f.len() == 86 && f[12..14] == [0x86, 0xdd] && f[20] == 58 && f[54] == 136)
        .collect();
    assert!(adverts.len() >= 4, "capture should hold NAs for both VIPs");
    for captured in adverts {
        let vip = Ipv6Addr::from(<[u8; 16]>::try_from(&captured[62..78]).unwrap());
        let router = captured[58] & 0x80 != 0;
        let built = unsolicited_na_frame(mac_of(&captured), vip, router);
        assert_eq!(&built[..], &captured[..], "NA for {vip}");
    }
}
