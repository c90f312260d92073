//! Link and address events from the kernel (`RTMGRP_LINK`, `RTMGRP_IPV4_IFADDR`,
//! `RTMGRP_IPV6_IFADDR`): what turns "interface went down" or "someone deleted our VIP"
//! into FAULT / re-add decisions. keepalived 2.x reacts to these events as they arrive
//! (1.x polled the interface flags), so a link going down moves an instance to FAULT at once.

use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::channel::mpsc::UnboundedReceiver;
use futures::{Stream, StreamExt};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{AsyncSocket, SocketAddr};
use rtnetlink::MulticastGroup;

use super::netlink::{address_from_message, interface_from_link, NetlinkError};

/// Something changed on a link or its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// A link was created or changed (`RTM_NEWLINK`): its state after the change.
    /// The kernel sends these for many reasons; compare with the previous state.
    LinkChanged {
        /// Interface index.
        index: u32,
        /// Interface name.
        name: String,
        /// `IFF_UP`.
        up: bool,
        /// `IFF_RUNNING`.
        running: bool,
        /// All the link's flags (`ifi_flags`).
        flags: u32,
    },
    /// A link disappeared (`RTM_DELLINK`).
    LinkRemoved {
        /// Interface index.
        index: u32,
        /// Interface name.
        name: String,
    },
    /// An address was added (`RTM_NEWADDR`).
    AddressAdded {
        /// Interface index.
        index: u32,
        /// The address.
        address: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
        /// Its label, if any.
        label: Option<String>,
    },
    /// An address was removed (`RTM_DELADDR`).
    AddressRemoved {
        /// Interface index.
        index: u32,
        /// The address.
        address: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
        /// Its label, if any.
        label: Option<String>,
    },
}

type Messages = UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>;

/// A subscription to link and address events, as a [`Stream`] of [`NetEvent`]s.
#[derive(Debug)]
pub struct NetlinkWatcher {
    messages: Messages,
    connection: tokio::task::JoinHandle<()>,
    socket: super::SocketHandles,
}

impl Drop for NetlinkWatcher {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

impl NetlinkWatcher {
    /// Subscribes in the calling thread's network namespace; the I/O task is spawned on
    /// the current tokio runtime. Events that happen after this returns are reported.
    pub fn open() -> Result<Self, NetlinkError> {
        let groups = [
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
        ];
        let (mut connection, _handle, messages) =
            rtnetlink::new_multicast_connection(&groups).map_err(NetlinkError::Connect)?;
        let mut socket = super::SocketHandles::default();
        socket
            .keep(std::os::fd::AsFd::as_fd(
                connection.socket_mut().socket_ref(),
            ))
            .map_err(NetlinkError::Connect)?;
        let connection = tokio::spawn(connection);
        Ok(NetlinkWatcher {
            messages,
            connection,
            socket,
        })
    }

    /// A duplicate of the event socket, to size its receive queue (keepalived's
    /// `vrrp_netlink_monitor_rcv_bufs`).
    pub fn socket_handles(&self) -> std::io::Result<super::SocketHandles> {
        self.socket.duplicate()
    }

    /// The next event; `None` once the netlink socket has closed.
    pub async fn next_event(&mut self) -> Option<NetEvent> {
        self.next().await
    }
}

impl Stream for NetlinkWatcher {
    type Item = NetEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<NetEvent>> {
        loop {
            match self.messages.poll_next_unpin(cx) {
                Poll::Ready(Some((message, _))) => {
                    if let Some(event) = event_from_message(message) {
                        return Poll::Ready(Some(event));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Turns one kernel notification into an event; `None` for the kinds we do not watch.
pub(crate) fn event_from_message(message: NetlinkMessage<RouteNetlinkMessage>) -> Option<NetEvent> {
    let NetlinkPayload::InnerMessage(inner) = message.payload else {
        return None;
    };
    match inner {
        RouteNetlinkMessage::NewLink(link) => {
            let info = link_summary(&link);
            Some(NetEvent::LinkChanged {
                index: info.index,
                name: info.name,
                up: info.up,
                running: info.running,
                flags: info.flags,
            })
        }
        RouteNetlinkMessage::DelLink(link) => {
            let info = link_summary(&link);
            Some(NetEvent::LinkRemoved {
                index: info.index,
                name: info.name,
            })
        }
        RouteNetlinkMessage::NewAddress(message) => {
            let address = address_from_message(&message)?;
            Some(NetEvent::AddressAdded {
                index: address.ifindex,
                address: address.address,
                prefix_len: address.prefix_len,
                label: address.label,
            })
        }
        RouteNetlinkMessage::DelAddress(message) => {
            let address = address_from_message(&message)?;
            Some(NetEvent::AddressRemoved {
                index: address.ifindex,
                address: address.address,
                prefix_len: address.prefix_len,
                label: address.label,
            })
        }
        _ => None,
    }
}

fn link_summary(link: &LinkMessage) -> super::netlink::InterfaceInfo {
    interface_from_link(link, Vec::new())
}
