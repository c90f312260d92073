//! The three ioctls keepalived's link polling (`linkbeat_use_polling`,
//! `linkbeat_interfaces`) reads an interface's link with, on one `AF_INET` datagram
//! socket:
//!
//! * MII: `SIOCGMIIPHY` (the PHY address), then `SIOCGMIIREG` for one register of it
//!   (the Basic Mode Status Register's link bit says whether the cable has a link);
//! * ETHTOOL: `SIOCETHTOOL` with `ETHTOOL_GLINK` (the driver's link state; veth, bonds and
//!   most NICs answer it);
//! * IOCTL: `SIOCGIFFLAGS`, whose `IFF_UP` and `IFF_RUNNING` say administratively up and
//!   operationally up.
//!
//! A driver without one of them answers `EOPNOTSUPP`: the caller decides what that means
//! (see the daemon's poller, which falls back as keepalived does).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `ETHTOOL_GLINK` (linux/ethtool.h).
const ETHTOOL_GLINK: u32 = 0x0000_000a;

/// `struct ifreq`: the name, then a 24-byte union (flags, a pointer, or MII data).
#[repr(C)]
struct IfReq {
    name: [libc::c_char; libc::IFNAMSIZ],
    data: IfReqData,
}

#[repr(C)]
union IfReqData {
    flags: libc::c_short,
    pointer: *mut libc::c_void,
    /// `struct mii_ioctl_data`: phy_id, reg_num, val_in, val_out.
    mii: [u16; 4],
    _size: [u8; 24],
}

/// `struct ethtool_value`.
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// The socket the link ioctls go through.
pub struct LinkProbe {
    socket: OwnedFd,
}

impl LinkProbe {
    /// Opens the datagram socket (in the calling thread's network namespace).
    pub fn open() -> io::Result<LinkProbe> {
        // SAFETY: plain socket(2) call; the result is checked before it is owned.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new descriptor nobody else owns.
        let socket = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(LinkProbe { socket })
    }

    fn request(name: &str) -> io::Result<IfReq> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        let mut req = IfReq {
            name: [0; libc::IFNAMSIZ],
            data: IfReqData { _size: [0; 24] },
        };
        for (dst, src) in req.name.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        Ok(req)
    }

    fn ioctl(&self, request: libc::c_ulong, req: &mut IfReq) -> io::Result<()> {
        // SAFETY: `req` is a complete `struct ifreq` the kernel reads and writes within
        // its 40 bytes (plus, for SIOCETHTOOL, the `ethtool_value` its pointer names,
        // which the caller keeps alive for the call).
        let rc = unsafe { libc::ioctl(self.socket.as_raw_fd(), request as _, req as *mut IfReq) };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// `SIOCGMIIPHY`: the address of the interface's PHY.
    pub fn mii_phy(&self, name: &str) -> io::Result<u16> {
        let mut req = Self::request(name)?;
        self.ioctl(libc::SIOCGMIIPHY, &mut req)?;
        // SAFETY: every variant of the union is plain data of the same bytes.
        Ok(unsafe { req.data.mii[0] })
    }

    /// `SIOCGMIIREG`: register `register` of PHY `phy`.
    pub fn mii_register(&self, name: &str, phy: u16, register: u16) -> io::Result<u16> {
        let mut req = Self::request(name)?;
        req.data.mii = [phy, register, 0, 0];
        self.ioctl(libc::SIOCGMIIREG, &mut req)?;
        // SAFETY: as above.
        Ok(unsafe { req.data.mii[3] })
    }

    /// `SIOCETHTOOL` `ETHTOOL_GLINK`: whether the driver reports a link.
    pub fn ethtool_link(&self, name: &str) -> io::Result<bool> {
        let mut req = Self::request(name)?;
        let mut value = EthtoolValue {
            cmd: ETHTOOL_GLINK,
            data: 0,
        };
        req.data.pointer = (&mut value as *mut EthtoolValue).cast();
        self.ioctl(libc::SIOCETHTOOL, &mut req)?;
        Ok(value.data != 0)
    }

    /// `SIOCGIFFLAGS`: whether the interface is both `IFF_UP` and `IFF_RUNNING`.
    pub fn up_and_running(&self, name: &str) -> io::Result<bool> {
        let mut req = Self::request(name)?;
        self.ioctl(libc::SIOCGIFFLAGS, &mut req)?;
        // SAFETY: as above.
        let flags = i32::from(unsafe { req.data.flags });
        let wanted = libc::IFF_UP | libc::IFF_RUNNING;
        Ok(flags & wanted == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifreq_has_the_kernels_size() {
        assert_eq!(std::mem::size_of::<IfReq>(), 40);
    }

    #[test]
    fn loopback_is_up_and_running_and_has_no_phy() {
        let probe = LinkProbe::open().expect("socket");
        assert!(probe.up_and_running("lo").unwrap_or(true));
        assert!(probe.mii_phy("lo").is_err());
        let gone = probe.up_and_running("no-such-if0").unwrap_err();
        assert_eq!(gone.raw_os_error(), Some(libc::ENODEV));
    }
}
