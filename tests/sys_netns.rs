//! Raw VRRP sockets, GARP and unsolicited NA between two real network namespaces joined
//! by a veth pair. Needs root; panics (never skips) without it.

mod sys_support;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keepalived_rs::sys::packet_socket::ETH_P_ALL;
use keepalived_rs::sys::vrrp_socket::VRRP_GROUP_V4;
use keepalived_rs::sys::vrrp_socket6::VRRP_GROUP_V6;
use keepalived_rs::sys::{
    Addressing4, Addressing6, GarpSender, InterfaceId, NaSender, PacketSocket, SocketError,
    Vrrp4Receiver, Vrrp4Sender, Vrrp6Receiver, Vrrp6Sender, VrrpProtocol,
};
use sys_support::{arp_frames, first_ipv4_packet, first_ipv6_frame, runtime, VethPair};

const WAIT: Duration = Duration::from_secs(5);
/// How long "nothing arrives" is watched for.
const QUIET: Duration = Duration::from_millis(400);

fn iface(name: &str) -> InterfaceId {
    InterfaceId::by_name(name).unwrap()
}

#[test]
fn ipv4_multicast_advert_arrives_intact_and_is_not_looped_back() {
    let pair = VethPair::create(None);
    // keepalived 2.2.7's first advert from 198.18.0.1 to 224.0.0.18 (valid IP checksum,
    // ID 1, so the kernel leaves every byte as it is).
    let packet = first_ipv4_packet("ka227-v2-pass.pcap", 112);
    assert_eq!(&packet[12..20], &[198, 18, 0, 1, 224, 0, 0, 18]);
    runtime().block_on(async {
        pair.b.enter();
        let vb = iface("vb");
        let multicast = Addressing4::Multicast {
            group: VRRP_GROUP_V4,
        };
        let receiver_b = Vrrp4Receiver::open(&vb, VrrpProtocol::Vrrp, multicast).unwrap();
        pair.a.enter();
        let va = iface("va");
        let receiver_a = Vrrp4Receiver::open(&va, VrrpProtocol::Vrrp, multicast).unwrap();
        let sender = Vrrp4Sender::open(&va).unwrap();

        sender.send(&packet, VRRP_GROUP_V4).await.unwrap();

        let mut buf = [0u8; 1500];
        let got = tokio::time::timeout(WAIT, receiver_b.recv(&mut buf))
            .await
            .expect("advert reaches the peer namespace")
            .unwrap();
        assert_eq!(&buf[..got.len], &packet[..]);
        assert_eq!(got.ifindex, vb.index);
        assert_eq!(got.source, Ipv4Addr::new(198, 18, 0, 1));
        assert!(!got.truncated);

        // IP_MULTICAST_LOOP 0: the sending host's own receiver on the same interface
        // never sees the advert.
        let mut own = [0u8; 1500];
        let looped = tokio::time::timeout(QUIET, receiver_a.recv(&mut own)).await;
        assert!(looped.is_err(), "sender received its own multicast advert");
    });
}

#[test]
fn ipv4_ah_and_vrrp_receivers_each_get_only_their_protocol() {
    let pair = VethPair::create(None);
    let ah_packet = first_ipv4_packet("ka227-v2-ah.pcap", 51);
    let vrrp_packet = first_ipv4_packet("ka227-v2-pass.pcap", 112);
    runtime().block_on(async {
        pair.b.enter();
        let vb = iface("vb");
        let multicast = Addressing4::Multicast {
            group: VRRP_GROUP_V4,
        };
        let ah_rx = Vrrp4Receiver::open(&vb, VrrpProtocol::Ah, multicast).unwrap();
        let vrrp_rx = Vrrp4Receiver::open(&vb, VrrpProtocol::Vrrp, multicast).unwrap();
        pair.a.enter();
        let sender = Vrrp4Sender::open(&iface("va")).unwrap();

        sender.send(&ah_packet, VRRP_GROUP_V4).await.unwrap();
        let mut buf = [0u8; 1500];
        let got = tokio::time::timeout(WAIT, ah_rx.recv(&mut buf))
            .await
            .expect("AH advert arrives")
            .unwrap();
        assert_eq!(&buf[..got.len], &ah_packet[..]);
        assert!(
            tokio::time::timeout(QUIET, vrrp_rx.recv(&mut buf))
                .await
                .is_err(),
            "protocol-112 socket received an AH packet"
        );

        sender.send(&vrrp_packet, VRRP_GROUP_V4).await.unwrap();
        let got = tokio::time::timeout(WAIT, vrrp_rx.recv(&mut buf))
            .await
            .expect("VRRP advert arrives")
            .unwrap();
        assert_eq!(&buf[..got.len], &vrrp_packet[..]);
    });
}

#[test]
fn ipv4_unicast_advert_reaches_the_socket_bound_to_the_unicast_address_only() {
    let pair = VethPair::create(None);
    let packet = first_ipv4_packet("ka227-v2-unicast.pcap", 112);
    assert_eq!(&packet[12..20], &[198, 18, 0, 1, 198, 18, 0, 2]);
    runtime().block_on(async {
        pair.b.enter();
        let vb = iface("vb");
        let local = Ipv4Addr::new(198, 18, 0, 2);
        let unicast_rx =
            Vrrp4Receiver::open(&vb, VrrpProtocol::Vrrp, Addressing4::Unicast { local }).unwrap();
        let multicast_rx = Vrrp4Receiver::open(
            &vb,
            VrrpProtocol::Vrrp,
            Addressing4::Multicast {
                group: VRRP_GROUP_V4,
            },
        )
        .unwrap();
        pair.a.enter();
        let sender = Vrrp4Sender::open(&iface("va")).unwrap();

        sender.send(&packet, local).await.unwrap();
        let mut buf = [0u8; 1500];
        let got = tokio::time::timeout(WAIT, unicast_rx.recv(&mut buf))
            .await
            .expect("unicast advert arrives")
            .unwrap();
        assert_eq!(&buf[..got.len], &packet[..]);
        assert_eq!(got.ifindex, vb.index);
        assert!(
            tokio::time::timeout(QUIET, multicast_rx.recv(&mut buf))
                .await
                .is_err(),
            "socket bound to 224.0.0.18 received a unicast advert"
        );
    });
}

#[test]
fn ipv4_socket_errors_name_the_interface_or_address() {
    let pair = VethPair::create(None);
    runtime().block_on(async {
        pair.a.enter();
        let missing = InterfaceId::by_name("krs-nope0").unwrap_err();
        assert_eq!(missing.to_string(), "interface krs-nope0 does not exist");
        let fake = InterfaceId {
            name: "krs-nope0".into(),
            index: 999,
        };
        let err = Vrrp4Receiver::open(
            &fake,
            VrrpProtocol::Vrrp,
            Addressing4::Multicast {
                group: VRRP_GROUP_V4,
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, SocketError::NoSuchInterface(ref n) if n == "krs-nope0"),
            "{err}"
        );
        let not_ours = Ipv4Addr::new(198, 18, 0, 77);
        let err = Vrrp4Receiver::open(
            &iface("va"),
            VrrpProtocol::Vrrp,
            Addressing4::Unicast { local: not_ours },
        )
        .unwrap_err();
        assert!(
            matches!(err, SocketError::AddressNotAvailable { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("198.18.0.77"), "{err}");
    });
}

/// The MAC of host 1 in ka227-v3-ipv6.pcap; giving `va` this MAC gives it the same
/// link-local address keepalived used as source there.
const IPV6_CAPTURE_MAC: &str = "aa:44:c7:bb:0c:a8";

#[test]
fn ipv6_multicast_advert_gets_kernel_checksum_and_hop_limit_255() {
    let pair = VethPair::create(Some(IPV6_CAPTURE_MAC));
    let frame = first_ipv6_frame("ka227-v3-ipv6.pcap", 112, None);
    let source = Ipv6Addr::from(<[u8; 16]>::try_from(&frame[22..38]).unwrap());
    let captured_payload = frame[54..].to_vec();
    // What the core hands over: the VRRP message with its checksum left at zero.
    let mut unsummed = captured_payload.clone();
    unsummed[6] = 0;
    unsummed[7] = 0;
    runtime().block_on(async {
        pair.b.enter();
        let vb = iface("vb");
        let receiver = Vrrp6Receiver::open(
            &vb,
            Addressing6::Multicast {
                group: VRRP_GROUP_V6,
            },
        )
        .unwrap();
        pair.a.enter();
        let va = iface("va");
        let own_receiver = Vrrp6Receiver::open(
            &va,
            Addressing6::Multicast {
                group: VRRP_GROUP_V6,
            },
        )
        .unwrap();
        let sender = Vrrp6Sender::open(&va, 255).unwrap();

        sender
            .send(&unsummed, Some(source), VRRP_GROUP_V6)
            .await
            .unwrap();
        let mut buf = [0u8; 1500];
        let got = tokio::time::timeout(WAIT, receiver.recv(&mut buf))
            .await
            .expect("IPv6 advert arrives")
            .unwrap();
        // The kernel's checksum is keepalived's: the payload is the captured one.
        assert_eq!(&buf[..got.len], &captured_payload[..]);
        assert_eq!(got.source, source);
        assert_eq!(got.destination, VRRP_GROUP_V6);
        assert_eq!(got.hop_limit, 255);
        assert_eq!(got.ifindex, vb.index);
        assert!(
            tokio::time::timeout(QUIET, own_receiver.recv(&mut buf))
                .await
                .is_err(),
            "sender received its own IPv6 multicast advert"
        );
    });
}

#[test]
fn ipv6_unicast_advert_uses_unicast_hops_and_pktinfo_source() {
    let pair = VethPair::create(None);
    pair.a
        .ip(&["addr", "add", "2001:db8::1/64", "dev", "va", "nodad"]);
    pair.b
        .ip(&["addr", "add", "2001:db8::2/64", "dev", "vb", "nodad"]);
    pair.a
        .ip(&["addr", "add", "2001:db8::11/64", "dev", "va", "nodad"]);
    let payload = [0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x00, 0x00]
        .iter()
        .chain(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x102).octets())
        .copied()
        .collect::<Vec<u8>>();
    let local: Ipv6Addr = "2001:db8::2".parse().unwrap();
    let chosen_source: Ipv6Addr = "2001:db8::11".parse().unwrap();
    runtime().block_on(async {
        pair.b.enter();
        let vb = iface("vb");
        let receiver = Vrrp6Receiver::open(&vb, Addressing6::Unicast { local }).unwrap();
        pair.a.enter();
        let sender = Vrrp6Sender::open(&iface("va"), 42).unwrap();
        sender
            .send(&payload, Some(chosen_source), local)
            .await
            .unwrap();
        let mut buf = [0u8; 1500];
        let got = tokio::time::timeout(WAIT, receiver.recv(&mut buf))
            .await
            .expect("IPv6 unicast advert arrives")
            .unwrap();
        assert_eq!(got.hop_limit, 42);
        assert_eq!(got.source, chosen_source);
        assert_eq!(got.destination, local);
        assert_eq!(&buf[..6], &payload[..6]);
        assert_ne!(&buf[6..8], &[0, 0], "kernel filled in the checksum");
        assert_eq!(&buf[8..got.len], &payload[8..]);
    });
}

/// Waits on a packet listener for the first frame `wanted` accepts.
async fn capture_frame(listener: &PacketSocket, wanted: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut buf = [0u8; 2048];
    tokio::time::timeout(WAIT, async {
        loop {
            let len = listener.recv(&mut buf).await.unwrap();
            if wanted(&buf[..len]) {
                return buf[..len].to_vec();
            }
        }
    })
    .await
    .expect("frame captured in the peer namespace")
}

#[test]
fn gratuitous_arp_is_captured_in_the_peer_namespace_byte_for_byte() {
    let captured = arp_frames("ka227-v2-pass.pcap").remove(0);
    let mac: [u8; 6] = captured[6..12].try_into().unwrap();
    let vip = Ipv4Addr::new(captured[38], captured[39], captured[40], captured[41]);
    let pair = VethPair::create(Some("8a:65:f4:0e:e7:90"));
    runtime().block_on(async {
        pair.b.enter();
        let listener = PacketSocket::open(&iface("vb"), Some(0x0806)).unwrap();
        pair.a.enter();
        let sender = GarpSender::open(&iface("va"), mac).unwrap();
        sender.send(vip).await.unwrap();
        let frame = capture_frame(&listener, |f| f.len() >= 42 && f[28..32] == vip.octets()).await;
        assert_eq!(frame, captured);
    });
}

#[test]
fn unsolicited_na_is_captured_in_the_peer_namespace_with_router_flag_from_sysctl() {
    let captured = first_ipv6_frame("ka227-v3-ipv6.pcap", 58, Some(136));
    let mac: [u8; 6] = captured[6..12].try_into().unwrap();
    let vip = Ipv6Addr::from(<[u8; 16]>::try_from(&captured[62..78]).unwrap());
    let pair = VethPair::create(Some(IPV6_CAPTURE_MAC));
    let is_na_for_vip =
        |f: &[u8]| f.len() >= 78 && f[20] == 58 && f[54] == 136 && f[62..78] == vip.octets();
    runtime().block_on(async {
        pair.b.enter();
        let listener = PacketSocket::open(&iface("vb"), Some(ETH_P_ALL)).unwrap();
        pair.a.enter();
        let sender = NaSender::open(&iface("va"), mac).unwrap();

        sender.send(vip).await.unwrap();
        let frame = capture_frame(&listener, is_na_for_vip).await;
        assert_eq!(
            frame, captured,
            "forwarding off: Override only, as captured"
        );

        pair.a
            .exec(&["sysctl", "-qw", "net.ipv6.conf.va.forwarding=1"]);
        sender.send(vip).await.unwrap();
        let frame = capture_frame(&listener, is_na_for_vip).await;
        assert_eq!(frame[58], 0xa0, "forwarding on: Router and Override");
    });
}
