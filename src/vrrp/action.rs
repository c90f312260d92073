//! What the protocol core asks the daemon to do, in order.

use std::fmt;
use std::net::IpAddr;

/// Index of an instance in the order given to [`crate::vrrp::Router::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub usize);

/// Protocol state of an instance (numbers = keepalived's JSON `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum State {
    Init = 0,
    Backup = 1,
    Master = 2,
    Fault = 3,
    /// After shutdown (keepalived's internal STOP, 98).
    Stop = 98,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stop => "STOP",
        })
    }
}

/// Who a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyTarget {
    Instance(String),
    Group(String),
}

/// The state word notify scripts and the FIFO receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyState {
    Master,
    Backup,
    Fault,
    Stop,
    /// A master heard a lower-priority advert (`notify_master_rx_lower_pri`).
    MasterRxLowerPri,
    /// A reload removed the instance and it has `notify_deleted` (else: FAULT).
    Deleted,
    /// `notify_priority_changes`: a master's effective priority changed (FIFO only).
    MasterPriority,
    /// `notify_priority_changes`: the priority of an instance in any other state changed.
    BackupPriority,
}

impl NotifyState {
    /// Whether the generic `notify` script hears of it: states do; the master's
    /// lower-priority advert (its own script only) and priority changes (FIFO only) do
    /// not.
    pub fn runs_generic_script(self) -> bool {
        !matches!(
            self,
            NotifyState::MasterRxLowerPri
                | NotifyState::MasterPriority
                | NotifyState::BackupPriority
        )
    }
}

impl fmt::Display for NotifyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
            NotifyState::Deleted => "DELETED",
            NotifyState::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
            NotifyState::MasterPriority => "MASTER_PRIORITY",
            NotifyState::BackupPriority => "BACKUP_PRIORITY",
        })
    }
}

/// Log importance. `Detail` lines are the ones keepalived prints only with `-D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Detail,
}

/// One thing for the daemon to do. Actions must be executed in queue order (an advert
/// before the GARPs that follow it, VIP removal before notifies …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send `packet` to `dst`. IPv4: the whole IP packet (send with `IP_HDRINCL`);
    /// IPv6: the VRRP payload (the kernel adds the header; `ttl` = hop limit).
    SendAdvert {
        instance: InstanceId,
        packet: Vec<u8>,
        dst: IpAddr,
        ttl: u8,
    },
    /// Install the instance's VIPs and eVIPs (`addrs` = VIPs then eVIPs).
    AddVips {
        instance: InstanceId,
        addrs: Vec<IpAddr>,
    },
    /// Remove them.
    RemoveVips {
        instance: InstanceId,
        addrs: Vec<IpAddr>,
    },
    /// One gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `addr`.
    SendGarp { instance: InstanceId, addr: IpAddr },
    /// Run notify scripts / write the FIFO.
    Notify {
        target: NotifyTarget,
        state: NotifyState,
        priority: u8,
    },
    /// An instance changed state (for metrics, dumps, tests).
    StateChanged {
        instance: InstanceId,
        from: State,
        to: State,
    },
    /// A log line with keepalived's text.
    Log { level: LogLevel, text: String },
    /// A packet failed a check SNMP notifies about (RFC 2787 auth failures, RFC 6527
    /// protocol errors); only such rejections are reported.
    PacketRejected {
        instance: InstanceId,
        src: IpAddr,
        rejection: crate::vrrp::validate::Rejection,
    },
}
