//! Gratuitous ARP, byte for byte as keepalived sends it when an instance becomes master
//! (the same frames as its captured 2.2.7 bursts): an ARP *request* for the VIP, from the VIP, broadcast, so every
//! neighbour and switch on the segment moves the VIP to our MAC.
//!
//! ```text
//!  Ethernet  0  dst ff:ff:ff:ff:ff:ff        6  src = interface MAC   12  0x0806
//!  ARP      14  htype 1 | ptype 0x0800 | hlen 6 | plen 4 | op 1 (request)
//!           22  sha = interface MAC          28  spa = VIP
//!           32  tha = ff:ff:ff:ff:ff:ff      38  tpa = VIP          (42 bytes total)
//! ```

use std::net::Ipv4Addr;

use pnet_base::MacAddr;
use pnet_packet::arp::{ArpHardwareTypes, ArpOperations, MutableArpPacket};
use pnet_packet::ethernet::{EtherTypes, MutableEthernetPacket};

use super::interface_id::InterfaceId;
use super::packet_socket::FrameSender;
use super::socket_error::SocketError;

/// Length of a gratuitous ARP frame without Ethernet padding (as keepalived sends it).
pub const GARP_FRAME_LEN: usize = 42;
const ETHERNET_HEADER_LEN: usize = 14;

/// Builds the gratuitous ARP frame announcing `vip` at `mac`.
pub fn gratuitous_arp_frame(mac: [u8; 6], vip: Ipv4Addr) -> [u8; GARP_FRAME_LEN] {
    let mut frame = [0u8; GARP_FRAME_LEN];
    let source = MacAddr::from(mac);
    {
        let mut ethernet = MutableEthernetPacket::new(&mut frame[..ETHERNET_HEADER_LEN])
            .expect("buffer holds an Ethernet header");
        ethernet.set_destination(MacAddr::broadcast());
        ethernet.set_source(source);
        ethernet.set_ethertype(EtherTypes::Arp);
    }
    let mut arp =
        MutableArpPacket::new(&mut frame[ETHERNET_HEADER_LEN..]).expect("buffer holds an ARP body");
    arp.set_hardware_type(ArpHardwareTypes::Ethernet);
    arp.set_protocol_type(EtherTypes::Ipv4);
    arp.set_hw_addr_len(6);
    arp.set_proto_addr_len(4);
    arp.set_operation(ArpOperations::Request);
    arp.set_sender_hw_addr(source);
    arp.set_sender_proto_addr(vip);
    arp.set_target_hw_addr(MacAddr::broadcast());
    arp.set_target_proto_addr(vip);
    frame
}

/// Sends gratuitous ARPs out of one interface.
#[derive(Debug)]
pub struct GarpSender(FrameSender);

impl GarpSender {
    /// Opens a send-only packet socket on `interface`; frames carry `mac` as sender
    /// (the interface MAC, or the VMAC when `use_vmac` is in force).
    pub fn open(interface: &InterfaceId, mac: [u8; 6]) -> Result<Self, SocketError> {
        FrameSender::open(interface, mac).map(GarpSender)
    }

    /// Sends one gratuitous ARP for `vip`.
    pub async fn send(&self, vip: Ipv4Addr) -> Result<(), SocketError> {
        let frame = gratuitous_arp_frame(self.0.mac, vip);
        self.0.socket.send(&frame).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-decoded fields, so a builder that swapped sender/target would be caught even
    /// without the capture file (which the integration test compares against).
    #[test]
    fn frame_fields_are_where_keepalived_puts_them() {
        let mac = [0x8a, 0x65, 0xf4, 0x0e, 0xe7, 0x90];
        let vip = Ipv4Addr::new(198, 18, 0, 102);
        let frame = gratuitous_arp_frame(mac, vip);
        assert_eq!(&frame[0..6], &[0xff; 6]);
        assert_eq!(&frame[6..12], &mac);
        assert_eq!(&frame[12..14], &[0x08, 0x06]);
        assert_eq!(&frame[14..22], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&frame[22..28], &mac);
        assert_eq!(&frame[28..32], &vip.octets());
        assert_eq!(&frame[32..38], &[0xff; 6]);
        assert_eq!(&frame[38..42], &vip.octets());
    }
}
