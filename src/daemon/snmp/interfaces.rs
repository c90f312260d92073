//! The interface facts VRRP-MIB serves (ifIndex, MAC, primary IPv4), read from the kernel
//! of the daemon's own network namespace when the view is rebuilt.

use super::vrrp_mib::InterfaceFacts;
use nix::ifaddrs::getifaddrs;
use std::collections::HashMap;

/// Every interface's facts, by name (one `getifaddrs` call).
pub fn all() -> HashMap<String, InterfaceFacts> {
    let mut out: HashMap<String, InterfaceFacts> = HashMap::new();
    let Ok(addrs) = getifaddrs() else {
        return out;
    };
    for a in addrs {
        let entry = out
            .entry(a.interface_name.clone())
            .or_insert_with(|| InterfaceFacts {
                index: nix::net::if_::if_nametoindex(a.interface_name.as_str()).unwrap_or(0),
                mac: Vec::new(),
                ipv4: None,
                ipv6: None,
            });
        let Some(addr) = a.address else { continue };
        if let Some(link) = addr.as_link_addr() {
            if let Some(mac) = link.addr() {
                entry.mac = mac.to_vec();
            }
        } else if let Some(v4) = addr.as_sockaddr_in() {
            // The kernel lists an interface's primary address first.
            entry.ipv4.get_or_insert(v4.ip());
        } else if let Some(v6) = addr.as_sockaddr_in6() {
            // keepalived's `ifp->sin6_addr` is the interface's link-local address.
            if v6.ip().is_unicast_link_local() {
                entry.ipv6.get_or_insert(v6.ip());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_found_with_its_address() {
        let all = super::all();
        let lo = all.get("lo").expect("no lo");
        assert!(lo.index > 0);
        assert_eq!(lo.ipv4, Some(std::net::Ipv4Addr::LOCALHOST));
    }
}
