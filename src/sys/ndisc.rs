//! Unsolicited neighbour advertisement (RFC 4861 §7.2.6), as keepalived 2.x sends it for
//! IPv6 VIPs: one per VIP, from the VIP to all nodes, with the override flag set and the
//! interface MAC as target link-layer address, so neighbours replace a stale entry.
//!
//! ```text
//!  Ethernet  0  dst 33:33:00:00:00:01   6  src = interface MAC   12  0x86dd
//!  IPv6     14  ver 6, tclass 0, flow 0 | payload 32 | next 58 | hop limit 255
//!           22  src = the VIP             38  dst = ff02::1 (all nodes)
//!  ICMPv6   54  type 136 | code 0 | checksum (pseudo-header + message)
//!           58  flags: R (0x80) if forwarding, O (0x20) always; S never | reserved
//!           62  target = the VIP
//!           78  option 2 (target link-layer address), length 1 (8 bytes), MAC
//!                                                                     (86 bytes total)
//! ```
//!
//! Sent as a whole frame on an `AF_PACKET` socket rather than through an ICMPv6 raw
//! socket: the source must be the VIP itself, which the kernel refuses (or silently
//! replaces) while the freshly added VIP is still tentative in DAD; the frame is also
//! byte-for-byte testable against keepalived's, checksum included.

use std::io;
use std::net::Ipv6Addr;

use pnet_base::MacAddr;
use pnet_packet::ethernet::{EtherTypes, MutableEthernetPacket};
use pnet_packet::icmpv6::ndp::{
    MutableNeighborAdvertPacket, NdpOption, NdpOptionTypes, NeighborAdvertFlags,
};
use pnet_packet::icmpv6::{self, Icmpv6Packet, Icmpv6Types};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv6::MutableIpv6Packet;

use super::interface_id::InterfaceId;
use super::packet_socket::FrameSender;
use super::socket_error::SocketError;

/// Length of an unsolicited NA frame with one target link-layer address option.
pub const NA_FRAME_LEN: usize = 86;
const ETHERNET_HEADER_LEN: usize = 14;
const IPV6_HEADER_LEN: usize = 40;
const ICMPV6_LEN: usize = NA_FRAME_LEN - ETHERNET_HEADER_LEN - IPV6_HEADER_LEN;
/// ff02::1, all nodes on the link.
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// The Ethernet multicast address of ff02::1 (RFC 2464 §7: 33:33 + low 32 bits).
const ALL_NODES_MAC: [u8; 6] = [0x33, 0x33, 0, 0, 0, 1];

/// Builds the unsolicited NA announcing `vip` at `mac`; `router` sets the Router flag
/// (keepalived sets it when IPv6 forwarding is on for the interface).
pub fn unsolicited_na_frame(mac: [u8; 6], vip: Ipv6Addr, router: bool) -> [u8; NA_FRAME_LEN] {
    let mut frame = [0u8; NA_FRAME_LEN];
    let (ethernet_bytes, rest) = frame.split_at_mut(ETHERNET_HEADER_LEN);
    let (ip_bytes, icmp_bytes) = rest.split_at_mut(IPV6_HEADER_LEN);

    let mut ethernet =
        MutableEthernetPacket::new(ethernet_bytes).expect("buffer holds an Ethernet header");
    ethernet.set_destination(MacAddr::from(ALL_NODES_MAC));
    ethernet.set_source(MacAddr::from(mac));
    ethernet.set_ethertype(EtherTypes::Ipv6);

    let mut ip = MutableIpv6Packet::new(ip_bytes).expect("buffer holds an IPv6 header");
    ip.set_version(6);
    ip.set_traffic_class(0);
    ip.set_flow_label(0);
    ip.set_payload_length(ICMPV6_LEN as u16);
    ip.set_next_header(IpNextHeaderProtocols::Icmpv6);
    ip.set_hop_limit(255);
    ip.set_source(vip);
    ip.set_destination(ALL_NODES);

    {
        let mut advert =
            MutableNeighborAdvertPacket::new(icmp_bytes).expect("buffer holds an NA message");
        advert.set_icmpv6_type(Icmpv6Types::NeighborAdvert);
        advert.set_icmpv6_code(icmpv6::Icmpv6Code(0));
        let mut flags = NeighborAdvertFlags::Override;
        if router {
            flags |= NeighborAdvertFlags::Router;
        }
        advert.set_flags(flags);
        advert.set_target_addr(vip);
        advert.set_options(&[NdpOption {
            option_type: NdpOptionTypes::TargetLLAddr,
            length: 1,
            data: mac.to_vec(),
        }]);
    }
    let checksum = {
        let message = Icmpv6Packet::new(icmp_bytes).expect("buffer holds an ICMPv6 message");
        icmpv6::checksum(&message, &vip, &ALL_NODES)
    };
    icmp_bytes[2..4].copy_from_slice(&checksum.to_be_bytes());
    frame
}

/// Whether IPv6 forwarding is on for `interface` (`/proc/sys/net/ipv6/conf/IF/forwarding`
/// of the calling thread's network namespace).
pub fn ipv6_forwarding_enabled(interface: &str) -> io::Result<bool> {
    if interface.is_empty() || interface.contains('/') || interface.starts_with('.') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid interface name {interface:?}"),
        ));
    }
    let path = format!("/proc/sys/net/ipv6/conf/{interface}/forwarding");
    let text = std::fs::read_to_string(path)?;
    Ok(text.trim() != "0")
}

/// Sends unsolicited neighbour advertisements out of one interface.
#[derive(Debug)]
pub struct NaSender(FrameSender);

impl NaSender {
    /// Opens a send-only packet socket on `interface`; frames carry `mac` as source and
    /// target link-layer address.
    pub fn open(interface: &InterfaceId, mac: [u8; 6]) -> Result<Self, SocketError> {
        FrameSender::open(interface, mac).map(NaSender)
    }

    /// Sends one unsolicited NA for `vip`. The Router flag follows the interface's
    /// forwarding setting at the moment of sending, so a sysctl change is picked up.
    pub async fn send(&self, vip: Ipv6Addr) -> Result<(), SocketError> {
        let name = &self.0.socket.interface().name;
        let router = ipv6_forwarding_enabled(name)
            .map_err(|e| SocketError::io("read IPv6 forwarding setting", name, e))?;
        let frame = unsolicited_na_frame(self.0.mac, vip, router);
        self.0.socket.send(&frame).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_flag_follows_forwarding_and_checksum_changes_with_it() {
        let mac = [0xaa, 0x44, 0xc7, 0xbb, 0x0c, 0xa8];
        let vip: Ipv6Addr = "2001:db8::102".parse().unwrap();
        let host = unsolicited_na_frame(mac, vip, false);
        let router = unsolicited_na_frame(mac, vip, true);
        assert_eq!(host[58], 0x20);
        assert_eq!(router[58], 0xa0);
        // Only the flag byte and the checksum differ, and the checksum by exactly the
        // flag's weight in one's-complement arithmetic (0x8000 on the high byte).
        let differing: Vec<usize> = (0..NA_FRAME_LEN)
            .filter(|&i| host[i] != router[i])
            .collect();
        assert!(differing.iter().all(|&i| i == 56 || i == 57 || i == 58));
        let host_sum = u16::from_be_bytes([host[56], host[57]]);
        let router_sum = u16::from_be_bytes([router[56], router[57]]);
        let ones_complement_sub = |a: u16, b: u16| {
            let (value, borrow) = a.overflowing_sub(b);
            if borrow {
                value.wrapping_sub(1)
            } else {
                value
            }
        };
        assert_eq!(ones_complement_sub(host_sum, 0x8000), router_sum);
    }

    #[test]
    fn rejects_interface_names_that_escape_procfs() {
        assert!(ipv6_forwarding_enabled("../../../etc").is_err());
        assert!(ipv6_forwarding_enabled("").is_err());
    }
}
