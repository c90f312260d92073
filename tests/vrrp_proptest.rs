//! Nothing a peer sends can panic the decoder or the state machine.

mod common;

use std::net::Ipv6Addr;
use std::time::Duration;

use common::*;
use keepalived_rs::vrrp::ip::Ipv4VrrpView;
use keepalived_rs::vrrp::packet::{VrrpPacket, VrrpRepr};
use keepalived_rs::vrrp::{
    password_bytes, AuthConfig, Family, ReceivedPacket, State, UnicastPeer, Version,
};
use proptest::prelude::*;

fn routers() -> Vec<Harness> {
    let mut v3 = cfg("VI_1", 100, 2);
    v3.version = Version::V3;
    let mut ah = cfg("VI_1", 100, 2);
    ah.auth = AuthConfig::Ah(password_bytes("secret12"));
    let mut uni = cfg("VI_1", 100, 2);
    uni.unicast_peers = vec![UnicastPeer::new(v4(1))];
    uni.advert.check_unicast_src = true;
    let mut v6 = keepalived_rs::vrrp::InstanceConfig::new("VI_6", 51, "fe80::2".parse().unwrap());
    v6.vips = vec!["2001:db8::102".parse().unwrap()];
    let mut hs = vec![Harness::new(vec![cfg("VI_1", 100, 2), v3, ah, uni, v6])];
    let mut master = Harness::new(vec![cfg("VI_1", 100, 2)]);
    master.run_until_state(0, State::Master, Duration::from_secs(10));
    hs.push(master);
    hs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic_the_codec(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(ip) = Ipv4VrrpView::parse(&bytes) {
            let v = ip.vrrp();
            let _ = VrrpRepr::parse(&v, Family::Ipv4);
            let _ = v.verify_v2_checksum();
            let _ = v.verify_v3_ipv4_checksum(ip.src(), ip.dst());
            let _ = v.v2_auth_data();
            let _ = ip.ah();
        }
        if let Ok(v) = VrrpPacket::new_checked(&bytes[..]) {
            let _ = VrrpRepr::parse(&v, Family::Ipv6);
            let _ = v.verify_v3_ipv6_checksum(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST);
            let _ = v.contains_address(v4(102));
        }
    }

    /// What the decoder accepts, the one encoder writes back to the same advert.
    #[test]
    fn parsed_adverts_re_encode_to_the_same_advert(
        bytes in proptest::collection::vec(any::<u8>(), 8..120),
        v6 in any::<bool>(),
    ) {
        let family = if v6 { Family::Ipv6 } else { Family::Ipv4 };
        let v = VrrpPacket::new_checked(&bytes[..]).unwrap();
        if let Ok(repr) = VrrpRepr::parse(&v, family) {
            let mut out = vec![0; repr.buffer_len()];
            repr.emit_unchecksummed(&mut out);
            let again = VrrpRepr::parse(&VrrpPacket::new_checked(&out[..]).unwrap(), family);
            prop_assert_eq!(again, Ok(repr));
        }
    }

    /// Valid-looking headers with random tails reach deep into validation.
    #[test]
    fn mutated_adverts_never_panic_the_router(
        which in 0usize..4,
        flips in proptest::collection::vec((0usize..80, any::<u8>()), 0..6),
        cut in 0usize..90,
    ) {
        let mut peer = cfg("VI_1", 150, 1);
        match which {
            1 => peer.version = Version::V3,
            2 => peer.auth = AuthConfig::Ah(password_bytes("secret12")),
            3 => peer.unicast_peers = vec![UnicastPeer::new(v4(2))],
            _ => {}
        }
        let mut pkt = advert_from(&peer, 150);
        for (at, b) in flips {
            if at < pkt.len() {
                pkt[at] = b;
            }
        }
        pkt.truncate(cut.max(1));
        for mut h in routers() {
            h.rx(&pkt);
            let now = h.now;
            h.router.handle_packet(now, ReceivedPacket::Ipv6 {
                payload: &pkt,
                src: "fe80::1".parse().unwrap(),
                dst: "ff02::12".parse().unwrap(),
                hop_limit: Some(255),
                interface: None,
            });
            h.advance(Duration::from_secs(5));
        }
    }
}
