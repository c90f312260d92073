//! The Linux layer: everything the daemon needs from the kernel, and the only place in
//! the crate where `unsafe` is allowed (each block carries a `// SAFETY:` line).
//!
//! * [`vrrp_socket`] / [`vrrp_socket6`]: raw VRRP sockets for IPv4 (whole packets,
//!   `IP_HDRINCL`) and IPv6 (payloads, kernel checksum), tokio-driven;
//! * [`netlink`]: interface lookup, addresses, routes, rules; [`netlink_watch`]: link and
//!   address events for FAULT handling;
//! * [`arp`] / [`ndisc`]: gratuitous ARP and unsolicited NA frames and their senders,
//!   over [`packet_socket`];
//! * [`daemonize`]: detaching from the terminal before the runtime starts;
//! * [`vmac`]: the `vrrp.<VRID>` macvlan with the virtual router MAC (`use_vmac`);
//! * [`process`]: starting scripts in their own process group with dropped privileges;
//! * [`nftables`]: the `nft` program, for the strict-mode firewall;
//! * [`recv_batch`]: `recvmmsg` of every queued advert into reused buffers;
//! * [`vrid_filter`]: the classic BPF filter that keeps other clusters' VRIDs in the kernel;
//! * [`linkbeat`]: the MII, ethtool and interface-flag ioctls of link polling.
//!
//! All sockets belong to the network namespace of the thread that opens them.
#![allow(unsafe_code)]

mod ancillary;
pub mod arp;
pub mod canonical_name;
pub mod daemonize;
pub mod deadline;
pub mod fd_limit;
pub mod inotify;
pub mod interface_id;
pub mod linkbeat;
pub mod memory;
pub mod ndisc;
pub mod netlink;
pub mod netlink_addr;
mod netlink_change;
pub mod netlink_route;
pub mod netlink_watch;
pub mod netns;
pub mod nftables;
pub mod packet_socket;
pub mod parkable;
pub mod process;
pub mod rcvbuf;
pub mod recv_batch;
pub mod sched;
pub mod send_batch;
pub mod socket_error;
pub mod vmac;
pub mod vrid_filter;
pub mod vrrp_receiver;
pub mod vrrp_socket;
pub mod vrrp_socket6;

pub use arp::{gratuitous_arp_frame, GarpSender};
pub use interface_id::InterfaceId;
pub use ndisc::{unsolicited_na_frame, NaSender};
pub use netlink::{
    Change, InterfaceAddress, InterfaceInfo, KernelEntry, Netlink, NetlinkError, Scope,
};
pub use netlink_addr::AddressSpec;
pub use netlink_route::{NextHopSpec, RouteKind, RouteSpec, RuleSpec, RuleTarget};
pub use netlink_watch::{NetEvent, NetlinkWatcher};
pub use packet_socket::PacketSocket;
pub use rcvbuf::{ReceiveBuffer, SocketHandles};
pub use recv_batch::RecvBatch;
pub use socket_error::SocketError;
pub use vmac::{virtual_router_mac, vmac_interface_name, IpvlanFlagsWord};
pub use vrrp_receiver::VrrpReceiver;
pub use vrrp_socket::{Addressing4, Received4, Vrrp4Receiver, Vrrp4Sender, VrrpProtocol};
pub use vrrp_socket6::{Addressing6, Received6, Vrrp6Receiver, Vrrp6Sender};
