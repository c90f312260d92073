//! keepalived's `use_vmac`: a macvlan interface `vrrp.<VRID>` on the instance's
//! interface carrying the RFC 5798 §7.3 virtual router MAC (or one `use_vmac` names), so
//! that the VIPs move between routers without any neighbour cache having to learn a new
//! MAC. With `vmac_xmit_base` the adverts stay on the base interface (see `daemon::plan`).
//!
//! ```text
//!  IPv4 VRRP:  00:00:5e:00:01:VRID        IPv6 VRRP:  00:00:5e:00:02:VRID
//!  ip link add link PARENT name vrrp.VRID address MAC type macvlan mode private; up
//! ```

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    IpVlanFlags, IpVlanMode, LinkAttribute, LinkMessage, MacVlanMode,
};
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::{LinkIpVlan, LinkMacVlan, LinkUnspec};

use super::netlink::{Change, Netlink, NetlinkError};

/// The virtual router MAC of `vrid` (RFC 5798 §7.3).
pub fn virtual_router_mac(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 0x02 } else { 0x01 }, vrid]
}

/// keepalived's default VMAC interface name, `vrrp.<VRID>`.
pub fn vmac_interface_name(vrid: u8) -> String {
    format!("vrrp.{vrid}")
}

/// The ipvlan flags `use_ipvlan` names (keepalived always uses L2 mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpvlanFlagsWord {
    Bridge,
    Private,
    Vepa,
}

impl Netlink {
    /// Creates (and brings up) the macvlan `name` on `parent_index` with `mac` (normally
    /// [`virtual_router_mac`]); [`Change::AlreadyPresent`] if a link of that name exists.
    ///
    /// For an IPv4 instance (`ipv6` false) the VMAC gets no IPv6 link-local address, as
    /// keepalived's do: every router of the virtual router has a VMAC with the same MAC, so
    /// the same EUI-64 address would be a duplicate on the link (and announce itself with
    /// the virtual MAC). Address generation can only be turned off before the link is up,
    /// hence create, turn it off, then bring it up.
    pub async fn add_vmac(
        &self,
        parent_index: u32,
        name: &str,
        mac: [u8; 6],
        ipv6: bool,
    ) -> Result<Change, NetlinkError> {
        let message = LinkMacVlan::new(name, parent_index, MacVlanMode::Private)
            .address(mac.to_vec())
            .build();
        let created = self
            .change(
                RouteNetlinkMessage::NewLink(message),
                NLM_F_CREATE | NLM_F_EXCL,
                &format!("create VMAC interface {name}"),
                &[],
            )
            .await?;
        if created == Change::Applied && !ipv6 {
            // IN6_ADDR_GEN_MODE_NONE; absent when IPv6 is disabled, which is fine.
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{name}/addr_gen_mode"), "1");
        }
        self.change(
            RouteNetlinkMessage::SetLink(LinkUnspec::new_with_name(name).up().build()),
            0,
            &format!("bring VMAC interface {name} up"),
            &[],
        )
        .await?;
        Ok(created)
    }

    /// keepalived's `use_ipvlan`: creates (up) the L2 ipvlan `name` on `parent_index`
    /// with `flags` (bridge: none, `private`, `vepa`); [`Change::AlreadyPresent`] if a
    /// link of that name exists, which is then only brought up. An ipvlan shares its
    /// parent's MAC, so nothing about addresses needs turning off here.
    pub async fn add_ipvlan(
        &self,
        parent_index: u32,
        name: &str,
        flags: IpvlanFlagsWord,
    ) -> Result<Change, NetlinkError> {
        let flags = match flags {
            IpvlanFlagsWord::Bridge => IpVlanFlags::empty(),
            IpvlanFlagsWord::Private => IpVlanFlags::Private,
            IpvlanFlagsWord::Vepa => IpVlanFlags::Vepa,
        };
        let message = LinkIpVlan::new(name, parent_index, IpVlanMode::L2)
            .flag(flags)
            .up()
            .build();
        let created = self
            .change(
                RouteNetlinkMessage::NewLink(message),
                NLM_F_CREATE | NLM_F_EXCL,
                &format!("create ipvlan interface {name}"),
                &[],
            )
            .await?;
        if created != Change::Applied {
            self.change(
                RouteNetlinkMessage::SetLink(LinkUnspec::new_with_name(name).up().build()),
                0,
                &format!("bring ipvlan interface {name} up"),
                &[],
            )
            .await?;
        }
        Ok(created)
    }

    /// Deletes the link called `name`; [`Change::AlreadyAbsent`] if there is none.
    pub async fn delete_link(&self, name: &str) -> Result<Change, NetlinkError> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_owned()));
        self.change(
            RouteNetlinkMessage::DelLink(message),
            0,
            &format!("delete interface {name}"),
            &[libc::ENODEV],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_router_mac_follows_rfc_5798() {
        assert_eq!(virtual_router_mac(51, false), [0, 0, 0x5e, 0, 1, 51]);
        assert_eq!(virtual_router_mac(255, true), [0, 0, 0x5e, 0, 2, 255]);
        assert_eq!(vmac_interface_name(51), "vrrp.51");
    }
}
