//! An adversary on the segment: a master/backup pair hears a stream of invalid packets
//! of every kind the receive checks reject, at a seeded random rate and random times.
//! Whatever arrives, the pair's whole output (the master's adverts with their send
//! times and bytes, every state change) must equal that of the same pair on a quiet
//! segment: a rejected packet moves no timer and no state (issue 15).
//!
//! The junk is also what `tests/flood` sends at real daemons.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::advert::{encode, AdvertFields};
use keepalived_rs::vrrp::checksum::{accumulate, finish, ipv4_pseudo_header, IPPROTO_VRRP};
use keepalived_rs::vrrp::ip::Ipv4VrrpView;
use keepalived_rs::vrrp::validate::{check_packet, classify, ChecksumCompat, RxState};
use keepalived_rs::vrrp::{
    password_bytes, Action, AuthConfig, Family, InstanceConfig, ReceivedPacket, Router,
    UnicastPeer, Version,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MASTER: usize = 0;
const BACKUP: usize = 1;
const WIRE_DELAY: Duration = Duration::from_micros(100);

fn v4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 18, 0, last))
}

/// The pair's configurations, one per kind of deployment the checks differ for.
pub fn profiles() -> Vec<(&'static str, InstanceConfig)> {
    let base = |version, interval| {
        let mut c = InstanceConfig::new("VI_1", 51, v4(1));
        c.version = version;
        c.advert_int = interval;
        c.vips = vec![Ipv4Addr::new(198, 18, 1, 1).into()];
        c
    };
    let v2 = base(Version::V2, Duration::from_secs(1));
    let mut pass = v2.clone();
    pass.auth = AuthConfig::Pass(password_bytes("secret12"));
    let mut ah = v2.clone();
    ah.auth = AuthConfig::Ah(password_bytes("ahkey123"));
    let v3 = base(Version::V3, Duration::from_millis(200));
    let mut unicast = v3.clone();
    unicast.unicast_peers = [1, 2]
        .map(|n| UnicastPeer {
            addr: v4(n),
            min_ttl: 250,
            max_ttl: 255,
        })
        .to_vec();
    vec![
        ("v2", v2),
        ("v2-pass", pass),
        ("v2-ah", ah),
        ("v3", v3),
        ("v3-unicast", unicast),
    ]
}

/// Node `n`'s configuration in the pair (node 0 has the higher priority).
fn node_cfg(template: &InstanceConfig, n: usize) -> InstanceConfig {
    let mut c = template.clone();
    c.source_addr = v4(n as u8 + 1);
    c.base_priority = if n == MASTER { 200 } else { 100 };
    c.unicast_peers.retain(|p| p.addr != c.source_addr);
    c
}

/// An advert `cfg` would send with priority 254 (it would win if accepted).
fn advert(cfg: &InstanceConfig, ttl: u8, ah_seq: u32) -> Vec<u8> {
    let dst = cfg
        .unicast_peers
        .first()
        .map_or(cfg.multicast_group(), |p| p.addr);
    encode(
        cfg,
        &AdvertFields {
            priority: 254,
            ip_id: 7,
            ah_seq,
            dst,
            checksum_dst: dst,
            ttl,
        },
    )
}

/// Recomputes the VRRP checksum of an IPv4 packet after a field was changed, so that
/// only the intended check fails.
fn refix_checksum(pkt: &mut [u8], version: Version) {
    let view = Ipv4VrrpView::parse(pkt).expect("a packet we built");
    let (off, src, dst) = (view.vrrp_offset(), view.src(), view.dst());
    let len = pkt.len() - off;
    pkt[off + 6..off + 8].copy_from_slice(&[0, 0]);
    let seed = match version {
        Version::V2 => 0,
        Version::V3 => ipv4_pseudo_header(src, dst, IPPROTO_VRRP, len as u16),
    };
    let sum = finish(accumulate(seed, &pkt[off..]));
    pkt[off + 6..off + 8].copy_from_slice(&sum.to_be_bytes());
}

/// Every invalid packet kind that applies to `template`, built from an impostor's
/// would-be-winning advert with one thing wrong. Spoofed sources (the pair's own
/// addresses) are used where the packet is still invalid for another reason.
pub fn junk_kinds(template: &InstanceConfig, rng: &mut StdRng) -> Vec<(&'static str, Vec<u8>)> {
    let mut imp = template.clone();
    imp.source_addr = [v4(9), v4(1), v4(2)][rng.gen_range(0..3)];
    let v2 = template.version == Version::V2;
    let unicast = template.is_unicast();
    let vrrp_off = |p: &[u8]| Ipv4VrrpView::parse(p).unwrap().vrrp_offset();
    let with = |f: &dyn Fn(&mut InstanceConfig)| {
        let mut c = imp.clone();
        f(&mut c);
        advert(&c, 255, u32::MAX)
    };
    let patched = |f: &dyn Fn(&mut Vec<u8>, usize)| {
        let mut p = advert(&imp, 255, u32::MAX);
        let off = vrrp_off(&p);
        f(&mut p, off);
        refix_checksum(&mut p, template.version);
        p
    };
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    out.push(("vip_missing", with(&|c| c.vips = vec![v4(200)])));
    out.push(("address_count", with(&|c| c.vips.push(v4(201)))));
    out.push((
        "version",
        patched(&|p, o| p[o] = (p[o] & 0x0f) | if v2 { 0x30 } else { 0x20 }),
    ));
    out.push(("packet_type", patched(&|p, o| p[o] = (p[o] & 0xf0) | 2)));
    out.push(("checksum", {
        let mut p = advert(&imp, 255, u32::MAX);
        let o = vrrp_off(&p);
        p[o + 7] ^= 0x5a;
        p
    }));
    out.push(("length", {
        let mut p = advert(&imp, 255, u32::MAX);
        p.extend_from_slice(&[0; 4]);
        p
    }));
    out.push(("truncated", advert(&imp, 255, u32::MAX)[..22].to_vec()));
    out.push(("garbage", {
        let mut p = advert(&imp, 255, u32::MAX);
        let o = vrrp_off(&p);
        for b in &mut p[o + 2..] {
            *b = rng.gen();
        }
        p
    }));
    if !unicast {
        out.push(("ttl", advert(&imp, 64, u32::MAX)));
    } else {
        out.push(("destination_kind", with(&|c| c.unicast_peers.clear())));
        let mut from_peer = imp.clone();
        from_peer.source_addr = v4(1);
        out.push(("peer_ttl", advert(&from_peer, 64, 0)));
        let mut stranger = imp.clone();
        stranger.source_addr = v4(9);
        out.push(("not_a_peer", advert(&stranger, 255, 0)));
    }
    if v2 {
        out.push((
            "interval_mismatch",
            with(&|c| c.advert_int = Duration::from_secs(3)),
        ));
        out.push(("auth_type_unknown", patched(&|p, o| p[o + 4] = 3)));
        match template.auth {
            AuthConfig::None => {
                let pw = password_bytes("guess123");
                out.push((
                    "auth_type_mismatch",
                    with(&|c| c.auth = AuthConfig::Pass(pw)),
                ));
                let key = password_bytes("guess123");
                out.push(("ah_unexpected", with(&|c| c.auth = AuthConfig::Ah(key))));
            }
            AuthConfig::Pass(_) => {
                let pw = password_bytes("guess123");
                out.push(("password", with(&|c| c.auth = AuthConfig::Pass(pw))));
                out.push(("auth_type_mismatch", with(&|c| c.auth = AuthConfig::None)));
            }
            AuthConfig::Ah(_) => {
                let key = password_bytes("guess123");
                out.push(("ah_icv", with(&|c| c.auth = AuthConfig::Ah(key))));
                out.push(("ah_missing", with(&|c| c.auth = AuthConfig::None)));
            }
        }
    }
    out
}

/// The rejection label each junk packet gets from a BACKUP of `template`'s pair (for
/// the coverage check; `None` for packets too short to look at).
pub fn rejection_label(template: &InstanceConfig, bytes: &[u8]) -> Option<&'static str> {
    let rx = classify(Family::Ipv4, bytes, None).ok()?;
    let cfg = node_cfg(template, BACKUP);
    let mut st = RxState {
        ah_seq: 0,
        ah_cycle: false,
        checksum_compat: ChecksumCompat::Rfc,
    };
    match check_packet(&cfg, true, &rx, true, &mut st) {
        Ok(_) => panic!("junk accepted: {bytes:02x?}"),
        Err(r) => Some(r.label()),
    }
}

/// What the pair did: every advert the master sent (time, bytes) and every state change
/// (time, node, new state).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub adverts: Vec<(Duration, Vec<u8>)>,
    pub changes: Vec<(Duration, usize, String)>,
    pub junk_sent: u64,
}

/// Runs the pair for `length`, with junk at `rate` per second (0: a quiet segment).
pub fn run_pair(template: &InstanceConfig, seed: u64, rate: f64, length: Duration) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let base = Instant::now();
    let mut routers: Vec<Router> = (0..2)
        .map(|n| Router::new(vec![node_cfg(template, n)], vec![], base))
        .collect();
    let mut wire: Vec<(Duration, usize, Vec<u8>)> = Vec::new();
    let mut sent_by_master: Vec<Vec<u8>> = Vec::new();
    let mut out = Outcome::default();
    // A pool of junk (spoofed sources and garbage vary between draws), picked from at random.
    let pool: Vec<Vec<u8>> = (0..4)
        .flat_map(|_| junk_kinds(template, &mut rng))
        .map(|(_, b)| b)
        .collect();
    let mut next_junk = (rate > 0.0).then(|| gap(&mut rng, rate));
    let mut now = Duration::ZERO;
    drain(&mut routers, now, &mut wire, &mut sent_by_master, &mut out);
    loop {
        let next_timer = routers
            .iter()
            .filter_map(Router::poll_timeout)
            .min()
            .map(|t| t - base);
        let next_wire = wire.iter().map(|w| w.0).min();
        let next = [next_timer, next_wire, next_junk]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next.filter(|t| *t <= length) else {
            break;
        };
        now = next.max(now);
        let at = base + now;
        if next_junk.is_some_and(|j| j <= now) {
            let bytes = pick_junk(template, &pool, &sent_by_master, &mut rng);
            for r in &mut routers {
                r.handle_packet(
                    at,
                    ReceivedPacket::Ipv4 {
                        packet: bytes,
                        interface: None,
                    },
                );
            }
            out.junk_sent += 1;
            next_junk = Some(now + gap(&mut rng, rate));
        }
        let (due, later): (Vec<_>, Vec<_>) = wire.drain(..).partition(|w| w.0 <= now);
        wire = later;
        for (_, to, bytes) in due {
            routers[to].handle_packet(
                at,
                ReceivedPacket::Ipv4 {
                    packet: &bytes,
                    interface: None,
                },
            );
        }
        for r in &mut routers {
            if r.poll_timeout().is_some_and(|t| t <= at) {
                r.handle_timeout(at);
            }
        }
        drain(&mut routers, now, &mut wire, &mut sent_by_master, &mut out);
    }
    out
}

/// Exponential gap between junk packets at `rate` per second (at least 1 µs).
fn gap(rng: &mut StdRng, rate: f64) -> Duration {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    Duration::from_secs_f64(-u.ln() / rate).max(Duration::from_micros(1))
}

/// One junk packet: a random invalid kind, or (AH) a replay of one of the master's own
/// earlier adverts.
fn pick_junk<'a>(
    template: &InstanceConfig,
    pool: &'a [Vec<u8>],
    sent: &'a [Vec<u8>],
    rng: &mut StdRng,
) -> &'a [u8] {
    if matches!(template.auth, AuthConfig::Ah(_)) && sent.len() > 2 && rng.gen_bool(0.2) {
        // Older than the newest, which the backup may not have heard yet.
        return &sent[rng.gen_range(0..sent.len() - 2)];
    }
    &pool[rng.gen_range(0..pool.len())]
}

fn drain(
    routers: &mut [Router],
    now: Duration,
    wire: &mut Vec<(Duration, usize, Vec<u8>)>,
    sent_by_master: &mut Vec<Vec<u8>>,
    out: &mut Outcome,
) {
    for (n, r) in routers.iter_mut().enumerate() {
        while let Some(a) = r.poll_action() {
            match a {
                Action::SendAdvert { packet, .. } => {
                    if n == MASTER {
                        out.adverts.push((now, packet.to_vec()));
                        sent_by_master.push(packet.to_vec());
                    }
                    wire.push((now + WIRE_DELAY, 1 - n, packet.to_vec()));
                }
                Action::StateChanged { to, .. } => out.changes.push((now, n, format!("{to:?}"))),
                _ => {}
            }
        }
    }
}

/// The labels the junk of `template` covers (for the coverage assertion).
pub fn covered_labels(template: &InstanceConfig, seed: u64) -> BTreeSet<&'static str> {
    let mut rng = StdRng::seed_from_u64(seed);
    junk_kinds(template, &mut rng)
        .iter()
        .filter_map(|(_, b)| rejection_label(template, b))
        .collect()
}
