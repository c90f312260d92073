//! What a capture on the bridge shows: adverts (decoded with the crate's own codec),
//! gratuitous ARPs and unsolicited neighbour adverts, each with its time and sender
//! MAC. Every advert is also checked against the fixed fields keepalived 2.2.7 puts
//! on the wire (reference §1.1–1.3), so a run fails when any daemon — ours or stock —
//! sends something else.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use keepalived_rs::vrrp::ip::{Ipv4VrrpView, TOS_INTERNET_CONTROL};
use keepalived_rs::vrrp::packet::VrrpPacket;
use keepalived_rs::vrrp::Family;
use pcap_file::pcap::PcapReader;

const ETH_HEADER: usize = 14;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const IPV6_HEADER: usize = 40;
const NEXT_HEADER_VRRP: u8 = 112;
const NEXT_HEADER_ICMPV6: u8 = 58;
const ND_NEIGHBOR_ADVERT: u8 = 136;

/// One advert seen on the wire.
#[derive(Debug, Clone)]
pub struct Advert {
    /// Seconds since the epoch (pcap timestamps are wall-clock).
    pub time: f64,
    pub src_mac: [u8; 6],
    pub vrid: u8,
    pub priority: u8,
    pub multicast: bool,
    /// IPv4 identification (None for IPv6).
    pub ident: Option<u16>,
    /// AH sequence number, for AH adverts.
    pub ah_seq: Option<u32>,
    /// The whole Ethernet frame.
    pub frame: Vec<u8>,
    /// Departures from keepalived's fixed fields (empty when conformant).
    pub problems: Vec<String>,
}

/// A gratuitous ARP (IPv4) or unsolicited neighbour advert (IPv6).
#[derive(Debug, Clone)]
pub struct Announcement {
    pub time: f64,
    pub src_mac: [u8; 6],
    pub addr: IpAddr,
    pub problems: Vec<String>,
}

/// Everything decoded from one capture file.
#[derive(Debug, Default)]
pub struct Capture {
    pub adverts: Vec<Advert>,
    pub announcements: Vec<Announcement>,
}

/// Reads a capture that tcpdump may still be writing: a torn last record ends it.
pub fn read(path: &Path) -> Capture {
    let mut out = Capture::default();
    let Ok(file) = File::open(path) else {
        return out;
    };
    let Ok(mut reader) = PcapReader::new(file) else {
        return out;
    };
    while let Some(Ok(pkt)) = reader.next_packet() {
        decode(pkt.timestamp.as_secs_f64(), &pkt.data, &mut out);
    }
    out
}

fn mac(b: &[u8]) -> [u8; 6] {
    let mut m = [0u8; 6];
    m.copy_from_slice(&b[..6]);
    m
}

pub fn mac_string(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn decode(time: f64, frame: &[u8], out: &mut Capture) {
    if frame.len() < ETH_HEADER {
        return;
    }
    let src_mac = mac(&frame[6..12]);
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let payload = &frame[ETH_HEADER..];
    match ethertype {
        ETHERTYPE_IPV4 => {
            if let Some(a) = decode_ipv4(time, src_mac, frame, payload) {
                out.adverts.push(a);
            }
        }
        ETHERTYPE_IPV6 => decode_ipv6(time, src_mac, frame, payload, out),
        ETHERTYPE_ARP => {
            if let Some(a) = decode_garp(time, src_mac, frame, payload) {
                out.announcements.push(a);
            }
        }
        _ => {}
    }
}

fn decode_ipv4(time: f64, src_mac: [u8; 6], frame: &[u8], ip: &[u8]) -> Option<Advert> {
    let view = Ipv4VrrpView::parse(ip).ok()?;
    let vrrp = view.vrrp();
    let mut problems = Vec::new();
    let dst = view.dst();
    let multicast = dst.is_multicast();
    if ip[0] != 0x45 {
        problems.push(format!(
            "IP version/IHL {:#04x}, keepalived sends 0x45",
            ip[0]
        ));
    }
    if view.tos() != TOS_INTERNET_CONTROL {
        problems.push(format!("TOS {:#04x}, keepalived sends 0xc0", view.tos()));
    }
    if ip[6] != 0 || ip[7] != 0 {
        problems.push(format!(
            "flags/fragment {:02x}{:02x}, keepalived sends 0 (no DF)",
            ip[6], ip[7]
        ));
    }
    if view.ttl() != 255 {
        problems.push(format!("TTL {}, keepalived sends 255", view.ttl()));
    }
    if !view.header_checksum_ok() {
        problems.push("IP header checksum wrong".into());
    }
    if usize::from(view.total_len()) != ip.len() {
        problems.push(format!(
            "IP total length {} but {} bytes",
            view.total_len(),
            ip.len()
        ));
    }
    let body_len = ip.len() - view.vrrp_offset();
    if vrrp.expected_len(Family::Ipv4) != body_len {
        problems.push(format!(
            "VRRP length {body_len}, expected {} for {} addresses",
            vrrp.expected_len(Family::Ipv4),
            vrrp.count()
        ));
    }
    if multicast && frame[..6] != [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12] {
        problems.push("multicast advert not sent to 01:00:5e:00:00:12".into());
    }
    let checksum_ok = match vrrp.version() {
        2 => vrrp.verify_v2_checksum(),
        // Unicast v3 may use keepalived 1.2.20–1.3.6's form (`old_unicast_checksum`:
        // 224.0.0.18 in the pseudo-header); which form each side sends is pinned down by
        // the byte-for-byte comparison with keepalived.
        3 => {
            vrrp.verify_v3_ipv4_checksum(view.src(), dst)
                || (!multicast
                    && vrrp.verify_v3_ipv4_checksum(view.src(), Ipv4Addr::new(224, 0, 0, 18)))
        }
        v => {
            problems.push(format!("VRRP version {v}"));
            true
        }
    };
    if !checksum_ok {
        problems.push(format!("VRRPv{} checksum wrong", vrrp.version()));
    }
    if vrrp.packet_type() != 1 {
        problems.push(format!("VRRP type {}", vrrp.packet_type()));
    }
    let ah = view.ah();
    if let Some(ah) = &ah {
        if ah.next_header != NEXT_HEADER_VRRP {
            problems.push(format!("AH next header {}", ah.next_header));
        }
        if ah.spi != u32::from(view.src()) {
            problems.push(format!("AH SPI {:#x} is not the source address", ah.spi));
        }
    }
    Some(Advert {
        time,
        src_mac,
        vrid: vrrp.vrid(),
        priority: vrrp.priority(),
        multicast,
        ident: Some(view.ident()),
        ah_seq: ah.map(|a| a.seq),
        frame: frame.to_vec(),
        problems,
    })
}

fn v6(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[..16]);
    Ipv6Addr::from(o)
}

fn decode_ipv6(time: f64, src_mac: [u8; 6], frame: &[u8], ip: &[u8], out: &mut Capture) {
    if ip.len() < IPV6_HEADER {
        return;
    }
    let next = ip[6];
    let hop_limit = ip[7];
    let tclass = ((u16::from_be_bytes([ip[0], ip[1]]) >> 4) & 0xff) as u8;
    let src = v6(&ip[8..24]);
    let dst = v6(&ip[24..40]);
    let body = &ip[IPV6_HEADER..];
    match next {
        NEXT_HEADER_VRRP => {
            let Ok(vrrp) = VrrpPacket::new_checked(body) else {
                return;
            };
            let mut problems = Vec::new();
            if tclass != TOS_INTERNET_CONTROL {
                problems.push(format!(
                    "traffic class {tclass:#04x}, keepalived sends 0xc0"
                ));
            }
            if hop_limit != 255 && dst.is_multicast() {
                problems.push(format!("hop limit {hop_limit}, keepalived sends 255"));
            }
            if vrrp.version() != 3 {
                problems.push(format!("VRRP version {} over IPv6", vrrp.version()));
            }
            if !vrrp.verify_v3_ipv6_checksum(src, dst) {
                problems.push("VRRPv3/IPv6 checksum wrong".into());
            }
            if vrrp.expected_len(Family::Ipv6) != body.len() {
                problems.push(format!("VRRP length {}", body.len()));
            }
            out.adverts.push(Advert {
                time,
                src_mac,
                vrid: vrrp.vrid(),
                priority: vrrp.priority(),
                multicast: dst.is_multicast(),
                ident: None,
                ah_seq: None,
                frame: frame.to_vec(),
                problems,
            });
        }
        NEXT_HEADER_ICMPV6 if body.len() >= 24 && body[0] == ND_NEIGHBOR_ADVERT => {
            let target = v6(&body[8..24]);
            let mut problems = Vec::new();
            // Unsolicited NA: Override set, Solicited clear (RFC 4861 §7.2.6).
            if body[4] & 0x20 == 0 || body[4] & 0x40 != 0 {
                problems.push(format!("NA flags {:#04x}", body[4]));
            }
            if hop_limit != 255 {
                problems.push(format!("NA hop limit {hop_limit}"));
            }
            // Only unsolicited ones (to all-nodes) count as announcements.
            if dst == Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1) {
                out.announcements.push(Announcement {
                    time,
                    src_mac,
                    addr: IpAddr::V6(target),
                    problems,
                });
            }
        }
        _ => {}
    }
}

fn decode_garp(time: f64, src_mac: [u8; 6], frame: &[u8], arp: &[u8]) -> Option<Announcement> {
    if arp.len() < 28 {
        return None;
    }
    let op = u16::from_be_bytes([arp[6], arp[7]]);
    let spa = Ipv4Addr::new(arp[14], arp[15], arp[16], arp[17]);
    let tpa = Ipv4Addr::new(arp[24], arp[25], arp[26], arp[27]);
    // Ordinary resolution, and the kernel's replies to someone else's announcement of
    // an address it still holds (op 2, spa = tpa), are not announcements.
    if spa != tpa || op != 1 {
        return None;
    }
    let mut problems = Vec::new();
    if frame[..6] != [0xff; 6] {
        problems.push("gratuitous ARP not broadcast".into());
    }
    if arp[18..24] != [0xff; 6] {
        problems.push("gratuitous ARP target MAC is not ff:ff:ff:ff:ff:ff".into());
    }
    if arp[8..14] != src_mac {
        problems.push("gratuitous ARP sender MAC differs from the frame's".into());
    }
    Some(Announcement {
        time,
        src_mac,
        addr: IpAddr::V4(spa),
        problems,
    })
}

/// Checks that each sender's IPv4 identification counts 1, 2, 3… per VRID, as
/// keepalived's per-instance counter does: adverts less than 2.5 s apart must carry
/// consecutive IDs; after a longer silence (a cut link swallowed some, the daemon
/// stopped) the ID may have moved on or restarted at 1, as it does on restart and
/// reload. Only multicast adverts: unicast copies go once per peer.
pub fn ident_problems(adverts: &[Advert]) -> Vec<String> {
    let mut last: std::collections::HashMap<([u8; 6], u8), (u16, f64)> = Default::default();
    let mut problems = Vec::new();
    for a in adverts.iter().filter(|a| a.multicast) {
        let Some(id) = a.ident else { continue };
        let key = (a.src_mac, a.vrid);
        if let Some(&(prev, at)) = last.get(&key) {
            let next = if prev == u16::MAX { 1 } else { prev + 1 };
            if id != next && id != 1 && a.time - at < 2.5 {
                problems.push(format!(
                    "{} VRID {}: IP ID {id} after {prev}",
                    mac_string(&a.src_mac),
                    a.vrid
                ));
            }
        }
        last.insert(key, (id, a.time));
    }
    problems
}

/// Groups announcement times into bursts: a burst is everything within 1 s of its
/// first packet. Returns (start time, size) per burst.
pub fn bursts(times: &[f64]) -> Vec<(f64, usize)> {
    let mut out: Vec<(f64, usize)> = Vec::new();
    for &t in times {
        match out.last_mut() {
            Some((start, n)) if t - *start < 1.0 => *n += 1,
            _ => out.push((t, 1)),
        }
    }
    out
}
