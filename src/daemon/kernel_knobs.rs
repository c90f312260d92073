//! Process-wide kernel settings keepalived's VRRP process makes for itself: the receive
//! queue sizes of its netlink sockets (`vrrp_netlink_cmd_rcv_bufs`,
//! `vrrp_netlink_monitor_rcv_bufs`, each optionally forced past `net.core.rmem_max`) and,
//! with `disable_local_igmp`, no IGMP reports for link-local groups while it runs.

use crate::config::model::{GlobalDefs, NetlinkBuffer};
use crate::sys::{ReceiveBuffer, SocketHandles};

/// The netlink sockets of the daemon, by keepalived's two kinds.
#[derive(Debug, Default)]
pub struct NetlinkSockets {
    /// Queries and changes (keepalived's `nl_cmd`).
    pub cmd: SocketHandles,
    /// Link and address events (keepalived's `nl_kernel`).
    pub monitor: SocketHandles,
}

impl NetlinkSockets {
    /// Sizes both kinds as `global` asks, at start-up and again at each reload, as
    /// keepalived does; a refusal is logged in keepalived's words and changes nothing
    /// else. Where no size is written keepalived asks for 64 KiB, less than the kernel
    /// gives by default (`net.core.rmem_default`, 208 KiB on most hosts): we ask for the
    /// larger of the two, so that a burst of link events (a reload creating many VMACs)
    /// is not dropped sooner than before (DIFFERENCES D17).
    pub fn apply(&self, global: &GlobalDefs) {
        for (sockets, wanted) in [
            (&self.cmd, global.buffers.netlink_cmd),
            (&self.monitor, global.buffers.netlink_monitor),
        ] {
            if let Err(e) = sockets.apply(request(wanted)) {
                let errno = e.raw_os_error().unwrap_or(0);
                if wanted.force {
                    log::info!("cant set SO_RCVBUFFORCE IP option. errno={errno} ({e})");
                } else {
                    log::info!("Cannot set SO_RCVBUF IP option. errno={errno} ({e})");
                }
            }
        }
    }
}

fn request(wanted: NetlinkBuffer) -> ReceiveBuffer {
    let bytes = if wanted.bytes == 0 {
        // The kernel doubles what is asked for; its default is already doubled.
        let kernel_default = std::fs::read_to_string("/proc/sys/net/core/rmem_default")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .map_or(0, |v| v / 2);
        wanted.requested().max(kernel_default)
    } else {
        wanted.bytes
    };
    ReceiveBuffer {
        bytes,
        force: wanted.force,
    }
}

/// The per-namespace switch for IGMP reports of link-local groups (224.0.0.0/24, the
/// VRRP group among them).
const IGMP_LINK_LOCAL_REPORTS: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/// `disable_local_igmp` in force: the switch was on and is off until [`Self::restore`].
#[derive(Debug)]
pub struct LocalIgmpOff(());

impl LocalIgmpOff {
    /// Turns the reports off if `global` asks for it and they are on; called once at
    /// start-up, before the VRRP sockets join their groups (a reload cannot change it).
    pub fn apply(global: &GlobalDefs) -> Option<LocalIgmpOff> {
        if !global.disable_local_igmp {
            return None;
        }
        let was = match std::fs::read_to_string(IGMP_LINK_LOCAL_REPORTS) {
            Ok(v) => v,
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(0);
                log::info!("Unable to read {IGMP_LINK_LOCAL_REPORTS} - errno {errno}");
                return None;
            }
        };
        if !was.starts_with('1') {
            return None;
        }
        if let Err(e) = std::fs::write(IGMP_LINK_LOCAL_REPORTS, "0") {
            let errno = e.raw_os_error().unwrap_or(0);
            log::info!("Unable to write {IGMP_LINK_LOCAL_REPORTS} - errno {errno}");
            return None;
        }
        Some(LocalIgmpOff(()))
    }

    /// Turns the reports back on (at exit).
    pub fn restore(self) {
        if let Err(e) = std::fs::write(IGMP_LINK_LOCAL_REPORTS, "1") {
            let errno = e.raw_os_error().unwrap_or(0);
            log::info!("Unable to write {IGMP_LINK_LOCAL_REPORTS} - errno {errno}");
        }
    }
}

/// keepalived's notice when a reload asks to change `disable_local_igmp`, which only
/// a restart applies.
pub fn note_reload(old: &GlobalDefs, new: &GlobalDefs) {
    if old.disable_local_igmp != new.disable_local_igmp {
        log::info!("Cannot change disable_local_igmp at a reload - please restart keepalived");
    }
}
