//! Byte-exact tests against real keepalived captures (tests/data/captures, see README
//! there): every VRRP packet decodes, its checksums verify, PASS/AH authenticate, it
//! re-encodes to identical bytes from the same instance state, and a `Router` configured
//! like the captured hosts puts the very same packets on the wire.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::advert::{self, AdvertFields};
use keepalived_rs::vrrp::auth::{ah_icv, password_bytes};
use keepalived_rs::vrrp::ip::Ipv4VrrpView;
use keepalived_rs::vrrp::packet::{VrrpPacket, VrrpRepr, MCAST_GROUP_V6};
use keepalived_rs::vrrp::{
    Action, AuthConfig, Family, InstanceConfig, ReceivedPacket, Router, State, UnicastPeer, Version,
};

/// One VRRP packet from a capture.
#[derive(Debug, Clone)]
enum Captured {
    /// Whole IPv4 packet.
    V4(Vec<u8>),
    /// IPv6 payload with src, dst, hop limit.
    V6 {
        payload: Vec<u8>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hlim: u8,
    },
}

impl Captured {
    fn src(&self) -> IpAddr {
        match self {
            Captured::V4(p) => Ipv4VrrpView::parse(p).unwrap().src().into(),
            Captured::V6 { src, .. } => (*src).into(),
        }
    }
    fn dst(&self) -> IpAddr {
        match self {
            Captured::V4(p) => Ipv4VrrpView::parse(p).unwrap().dst().into(),
            Captured::V6 { dst, .. } => (*dst).into(),
        }
    }
    fn bytes(&self) -> &[u8] {
        match self {
            Captured::V4(p) => p,
            Captured::V6 { payload, .. } => payload,
        }
    }
    fn as_rx(&self) -> ReceivedPacket<'_> {
        match self {
            Captured::V4(p) => ReceivedPacket::Ipv4 {
                packet: p,
                interface: None,
            },
            Captured::V6 {
                payload,
                src,
                dst,
                hlim,
            } => ReceivedPacket::Ipv6 {
                payload,
                src: *src,
                dst: *dst,
                hop_limit: Some(*hlim),
                interface: None,
            },
        }
    }
}

fn read_capture(name: &str) -> Vec<Captured> {
    let path = format!("{}/tests/data/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut reader = pcap_file::pcap::PcapReader::new(file).unwrap();
    let mut out = Vec::new();
    while let Some(pkt) = reader.next_packet() {
        let data = pkt.unwrap().data.into_owned();
        if data.len() < 14 {
            continue;
        }
        let ethertype = u16::from_be_bytes([data[12], data[13]]);
        let ip = &data[14..];
        match ethertype {
            0x0800 if ip.len() >= 20 && (ip[9] == 112 || ip[9] == 51) => {
                let tot = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
                out.push(Captured::V4(ip[..tot].to_vec()));
            }
            0x86dd if ip.len() >= 40 && ip[6] == 112 => {
                let plen = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
                let mut s = [0u8; 16];
                let mut d = [0u8; 16];
                s.copy_from_slice(&ip[8..24]);
                d.copy_from_slice(&ip[24..40]);
                out.push(Captured::V6 {
                    payload: ip[40..40 + plen].to_vec(),
                    src: s.into(),
                    dst: d.into(),
                    hlim: ip[7],
                });
            }
            _ => {}
        }
    }
    assert!(!out.is_empty(), "{name}: no VRRP packets");
    out
}

struct CaptureSpec {
    file: &'static str,
    version: Version,
    auth: AuthConfig,
    unicast: bool,
    /// keepalived 1.1.x: TOS 0 instead of 0xC0, and the IP header checksum differs.
    tos_zero: bool,
}

fn specs() -> Vec<CaptureSpec> {
    let pass = AuthConfig::Pass(password_bytes("secret12"));
    let ah = AuthConfig::Ah(password_bytes("secret12"));
    let spec = |file, version, auth, unicast, tos_zero| CaptureSpec {
        file,
        version,
        auth,
        unicast,
        tos_zero,
    };
    vec![
        spec("ka227-v2-pass.pcap", Version::V2, pass, false, false),
        spec("ka227-v2-ah.pcap", Version::V2, ah, false, false),
        spec("ka227-v3.pcap", Version::V3, AuthConfig::None, false, false),
        spec(
            "ka227-v3-ipv6.pcap",
            Version::V3,
            AuthConfig::None,
            false,
            false,
        ),
        spec("ka227-v2-unicast.pcap", Version::V2, pass, true, false),
        spec(
            "ka227-v3-unicast.pcap",
            Version::V3,
            AuthConfig::None,
            true,
            false,
        ),
        spec("ka135-v2-pass.pcap", Version::V2, pass, false, false),
        spec("ka135-v2-ah.pcap", Version::V2, ah, false, false),
        spec("ka135-v3.pcap", Version::V3, AuthConfig::None, false, false),
        // 1.1.x keeps only 7 password bytes + NUL: "secret12" goes out as "secret1\0",
        // which is what a 7-character password produces.
        spec(
            "ka1119-v2-pass.pcap",
            Version::V2,
            AuthConfig::Pass(password_bytes("secret1")),
            false,
            true,
        ),
        spec(
            "ka1119-v2-ah.pcap",
            Version::V2,
            AuthConfig::Ah(password_bytes("secret1")),
            false,
            true,
        ),
    ]
}

fn vips(family: Family) -> Vec<IpAddr> {
    match family {
        Family::Ipv4 => vec![
            Ipv4Addr::new(198, 18, 0, 102).into(),
            Ipv4Addr::new(198, 18, 0, 103).into(),
        ],
        Family::Ipv6 => vec![
            "2001:db8::102".parse().unwrap(),
            "2001:db8::103".parse().unwrap(),
        ],
    }
}

fn config(spec: &CaptureSpec, src: IpAddr, peer: Option<IpAddr>, priority: u8) -> InstanceConfig {
    let mut cfg = InstanceConfig::new("VI_1", 51, src);
    cfg.version = spec.version;
    cfg.auth = spec.auth;
    cfg.base_priority = priority;
    cfg.vips = vips(cfg.family);
    if let (true, Some(peer)) = (spec.unicast, peer) {
        cfg.unicast_peers = vec![UnicastPeer::new(peer)];
    }
    cfg
}

/// Replaces TOS 0xC0 by 0 and fixes the IP checksum (for comparing with 1.1.x).
fn as_tos_zero(mut pkt: Vec<u8>) -> Vec<u8> {
    pkt[1] = 0;
    pkt[10] = 0;
    pkt[11] = 0;
    let c = keepalived_rs::vrrp::checksum::rfc1071(&pkt[..20]);
    pkt[10..12].copy_from_slice(&c.to_be_bytes());
    pkt
}

#[test]
fn every_captured_packet_decodes_verifies_authenticates_and_reencodes() {
    let mut total = 0;
    for spec in specs() {
        let pkts = read_capture(spec.file);
        for (n, cap) in pkts.iter().enumerate() {
            let ctx = format!("{} packet {n}", spec.file);
            let src = cap.src();
            let dst = cap.dst();
            let peer = if dst.is_multicast() { None } else { Some(dst) };
            let (vrrp_bytes, ttl, ip_id, ah_seq) = match cap {
                Captured::V4(p) => {
                    let ip = Ipv4VrrpView::parse(p).unwrap();
                    assert!(ip.header_checksum_ok(), "{ctx}: IP checksum");
                    assert_eq!(ip.tos(), if spec.tos_zero { 0 } else { 0xc0 }, "{ctx}: TOS");
                    let ah = ip.ah();
                    if let AuthConfig::Ah(key) = spec.auth {
                        let ah = ah.expect("AH header");
                        assert_eq!(ah.next_header, 112, "{ctx}");
                        assert_eq!(ah.spi, u32::from(ip.src()), "{ctx}: SPI = source");
                        let icv = ah_icv(&key, p, ip.header_len(), spec.unicast);
                        assert_eq!(icv, ah.icv, "{ctx}: AH ICV");
                        let wrong = ah_icv(&password_bytes("secret13"), p, ip.header_len(), false);
                        assert_ne!(wrong, ah.icv, "{ctx}: wrong key must not verify");
                    } else {
                        assert!(ah.is_none(), "{ctx}");
                    }
                    let vrrp = ip.vrrp();
                    match spec.version {
                        Version::V2 => assert!(vrrp.verify_v2_checksum(), "{ctx}: v2 checksum"),
                        Version::V3 => {
                            let IpAddr::V4(d) = dst else { unreachable!() };
                            assert!(
                                vrrp.verify_v3_ipv4_checksum(ip.src(), d),
                                "{ctx}: v3 checksum"
                            );
                        }
                    }
                    (
                        vrrp.as_bytes().to_vec(),
                        ip.ttl(),
                        ip.ident(),
                        ah.map_or(0, |a| a.seq),
                    )
                }
                Captured::V6 {
                    payload,
                    src,
                    dst,
                    hlim,
                } => {
                    let vrrp = VrrpPacket::new_checked(&payload[..]).unwrap();
                    assert_eq!(*dst, MCAST_GROUP_V6, "{ctx}");
                    assert!(
                        vrrp.verify_v3_ipv6_checksum(*src, *dst),
                        "{ctx}: v6 checksum"
                    );
                    (payload.clone(), *hlim, 0, 0)
                }
            };
            let vrrp = VrrpPacket::new_checked(&vrrp_bytes[..]).unwrap();
            let family = Family::of(&src);
            let repr = VrrpRepr::parse(&vrrp, family).unwrap();
            assert_eq!(repr.vrid, 51, "{ctx}");
            assert_eq!(repr.version, spec.version, "{ctx}");
            assert_eq!(repr.advert_interval, Duration::from_secs(1), "{ctx}");
            assert_eq!(repr.addresses, vips(family), "{ctx}");
            assert!([0, 100, 150].contains(&repr.priority), "{ctx}");
            if let AuthConfig::Pass(pw) = spec.auth {
                assert_eq!(repr.auth_data, pw, "{ctx}: PASS data");
            }
            let cfg = config(&spec, src, peer, repr.priority.max(1));
            let fields = AdvertFields {
                priority: repr.priority,
                ip_id,
                ah_seq,
                dst,
                checksum_dst: dst,
                ttl,
            };
            let mut again = advert::encode(&cfg, &fields);
            if spec.tos_zero {
                again = as_tos_zero(again);
            }
            assert_eq!(again, cap.bytes(), "{ctx}: re-encoding differs");
            total += 1;
        }
    }
    assert_eq!(total, 80, "number of VRRP packets across the captures");
}

/// Steps `router` through its timers until `count` adverts were sent (or 60 s passed).
fn collect_adverts(
    router: &mut Router,
    now: &mut Instant,
    count: usize,
) -> (Instant, Vec<(Vec<u8>, IpAddr)>) {
    let mut got = Vec::new();
    let mut first = None;
    let end = *now + Duration::from_secs(60);
    while got.len() < count {
        drain(router, &mut got);
        if got.len() >= count {
            break;
        }
        let t = router.poll_timeout().expect("router has a timer");
        assert!(t <= end, "no advert within 60 s");
        *now = t;
        router.handle_timeout(t);
        if first.is_none() && router.instances().any(|i| i.stats.advert_sent > 0) {
            first = Some(t);
        }
    }
    drain(router, &mut got);
    (first.expect("an advert was sent"), got)
}

fn drain(router: &mut Router, got: &mut Vec<(Vec<u8>, IpAddr)>) {
    while let Some(a) = router.poll_action() {
        match a {
            Action::SendAdvert { packet, dst, .. } => got.push((packet, dst)),
            Action::Log { text, .. } => {
                assert!(
                    !text.to_lowercase().contains("invalid"),
                    "unexpected: {text}"
                );
            }
            _ => {}
        }
    }
}

/// The captured exchange replayed through two `Router`s: host 1 (prio 150) sends
/// exactly its captured adverts and priority-0 advert; host 2 (prio 100) accepts them,
/// takes over after the priority-0 advert, and sends exactly its captured adverts,
/// AH sequence numbers continuing from host 1's.
#[test]
fn routers_configured_like_the_captured_hosts_send_the_captured_bytes() {
    for spec in specs().into_iter().filter(|s| !s.tos_zero) {
        let pkts = read_capture(spec.file);
        let h1 = pkts[0].src();
        let (p1, p2): (Vec<_>, Vec<_>) = pkts.iter().cloned().partition(|p| p.src() == h1);
        let h2 = p2[0].src();
        let ctx = spec.file;

        // Host 1.
        let t0 = Instant::now();
        let mut now = t0;
        let mut r1 = Router::new(vec![config(&spec, h1, Some(h2), 150)], vec![], now);
        let (first_advert, sent) = collect_adverts(&mut r1, &mut now, p1.len() - 1);
        assert_eq!(
            first_advert - t0,
            Duration::from_micros(3 * 1_000_000 + (256 - 150) * 1_000_000 / 256),
            "{ctx}: host 1 waits Master_Down_Interval"
        );
        for (n, (pkt, dst)) in sent.iter().enumerate() {
            assert_eq!(pkt.as_slice(), p1[n].bytes(), "{ctx}: host 1 advert {n}");
            assert_eq!(*dst, p1[n].dst(), "{ctx}");
        }
        r1.shutdown(now);
        let mut stop = Vec::new();
        drain(&mut r1, &mut stop);
        assert_eq!(stop.len(), 1, "{ctx}: one priority-0 advert at shutdown");
        assert_eq!(
            stop[0].0.as_slice(),
            p1.last().unwrap().bytes(),
            "{ctx}: priority 0"
        );

        // Host 2: receives host 1's adverts, then takes over after Skew_Time.
        let mut now = Instant::now();
        let mut r2 = Router::new(vec![config(&spec, h2, Some(h1), 100)], vec![], now);
        for p in &p1 {
            now += Duration::from_millis(10);
            r2.handle_packet(now, p.as_rx());
            let mut none = Vec::new();
            drain(&mut r2, &mut none);
            assert!(none.is_empty(), "{ctx}: a backup sends nothing");
        }
        let status = r2.instances().next().unwrap();
        assert_eq!(status.state, State::Backup);
        assert_eq!(status.stats.advert_rcvd, p1.len() as u64, "{ctx}");
        assert_eq!(status.stats.pri_zero_rcvd, 1, "{ctx}");
        let prio0_at = now;
        let (first_advert, sent) = collect_adverts(&mut r2, &mut now, p2.len() - 1);
        assert_eq!(
            first_advert - prio0_at,
            Duration::from_micros(609_375),
            "{ctx}: skew after prio 0"
        );
        for (n, (pkt, _)) in sent.iter().enumerate() {
            assert_eq!(pkt.as_slice(), p2[n].bytes(), "{ctx}: host 2 advert {n}");
        }
        r2.shutdown(now);
        let mut stop = Vec::new();
        drain(&mut r2, &mut stop);
        assert_eq!(
            stop[0].0.as_slice(),
            p2.last().unwrap().bytes(),
            "{ctx}: host 2 priority 0"
        );
    }
}

/// 1.1.19 sends 7 password bytes: it only authenticates against a 7-char password.
#[test]
fn ka1119_pass_capture_holds_seven_password_bytes() {
    let pkts = read_capture("ka1119-v2-pass.pcap");
    let Captured::V4(p) = &pkts[0] else { panic!() };
    assert_eq!(&p[p.len() - 8..], b"secret1\0");
    assert_ne!(&p[p.len() - 8..], &password_bytes("secret12"));
}
