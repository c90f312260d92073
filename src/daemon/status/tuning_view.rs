//! The VRRP process's global settings that only keepalived's data dump shows (scheduling,
//! SNMP, D-Bus, socket buffers, umask…), captured from the configuration for it.

use crate::config::model::{Config, DbusSettings, SnmpSettings, SocketBuffers};

/// keepalived's `RT_RLIMIT_DEFAULT`: the real-time CPU limit (µs) it reports when
/// `vrrp_rlimit_rttime` is not written.
const KEEPALIVED_RLIMIT_RT: u64 = 10_000;
/// keepalived's `min_auto_priority_delay` default (µs).
const KEEPALIVED_MIN_AUTO_PRIORITY_DELAY: u64 = 1_000_000;
/// The highest SCHED_RR priority, which a bare `max_auto_priority` means.
const SCHED_RR_MAX: i64 = 99;

/// What the data dump prints of those settings, in keepalived's terms (its defaults where
/// a keyword is not written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuningView {
    pub disable_local_igmp: bool,
    pub no_email_faults: bool,
    pub nftables_counters: bool,
    /// `max_auto_priority` (-1: disabled).
    pub max_auto_priority: i64,
    pub min_auto_priority_delay_us: u64,
    pub vrrp_priority: i8,
    pub vrrp_no_swap: bool,
    pub vrrp_rt_priority: u64,
    pub vrrp_cpu_affinity: Vec<usize>,
    pub vrrp_rlimit_rt_us: u64,
    pub snmp: SnmpSettings,
    pub dbus: DbusSettings,
    pub buffers: SocketBuffers,
    /// `process_monitor_rcv_bufs` / `…_force` (read, not used: this build scans /proc).
    pub process_monitor_rcv_bufs: (u64, bool),
    /// The umask in force: the one applied at start-up, else the configuration's, else
    /// keepalived's 0177.
    pub umask: u32,
    /// uid:gid of the user scripts run as by default (`None`: none can be used).
    pub default_script_ids: Option<(u32, u32)>,
    /// uid:gid of `notify_fifo` and `vrrp_notify_fifo`: the user written on the line,
    /// else root, as keepalived shows them.
    pub fifo_ids: [(u32, u32); 2],
}

impl TuningView {
    pub fn capture(config: &Config, umask_at_start: Option<u32>) -> Self {
        let g = &config.global;
        let other = |k: &str| g.other.get(k).map(|v| v.first().map(String::as_str));
        let number = |k: &str, min: i64, max: i64| {
            other(k)
                .flatten()
                .and_then(|w| w.parse::<i64>().ok())
                .filter(|v| (min..=max).contains(v))
        };
        let max_auto_priority = match other("max_auto_priority") {
            Some(None) => SCHED_RR_MAX,
            _ => number("max_auto_priority", -1, SCHED_RR_MAX).unwrap_or(0),
        };
        let force = match other("process_monitor_rcv_bufs_force") {
            None => false,
            Some(None) => true,
            Some(Some(w)) => matches!(w, "true" | "yes" | "on"),
        };
        let s = &g.scheduling;
        TuningView {
            disable_local_igmp: g.disable_local_igmp,
            no_email_faults: g.email.no_email_faults,
            nftables_counters: g.nftables.counters,
            max_auto_priority,
            min_auto_priority_delay_us: number("min_auto_priority_delay", 1, 10_000_000)
                .map_or(KEEPALIVED_MIN_AUTO_PRIORITY_DELAY, |v| v as u64),
            vrrp_priority: s.vrrp_priority.unwrap_or(0),
            vrrp_no_swap: s.vrrp_no_swap,
            vrrp_rt_priority: s.vrrp_rt_priority.unwrap_or(0),
            vrrp_cpu_affinity: s.vrrp_cpu_affinity.clone(),
            vrrp_rlimit_rt_us: s.vrrp_rlimit_rttime.unwrap_or(KEEPALIVED_RLIMIT_RT),
            snmp: g.snmp.clone(),
            dbus: g.dbus.clone(),
            buffers: g.buffers.clone(),
            process_monitor_rcv_bufs: (
                number("process_monitor_rcv_bufs", 0, i64::from(u32::MAX)).unwrap_or(0) as u64,
                force,
            ),
            umask: umask_at_start
                .or(g.umask)
                .unwrap_or(crate::daemon::options::DEFAULT_UMASK),
            default_script_ids: default_script_ids(config),
            fifo_ids: [
                &g.notify_fifos.notify_fifo,
                &g.notify_fifos.vrrp_notify_fifo,
            ]
            .map(|f| {
                f.as_ref()
                    .and_then(|f| f.user.as_ref())
                    .and_then(|(u, grp)| lookup_ids(u, grp.as_deref()))
                    .unwrap_or((0, 0))
            }),
        }
    }
}

/// The default script user as keepalived resolves it (`script_user`, else
/// `keepalived_script` if it exists, else the daemon's own user unless script security
/// forbids), looked up without the log lines of running a script.
fn default_script_ids(config: &Config) -> Option<(u32, u32)> {
    use nix::unistd::Uid;
    let g = &config.global;
    let lookup = lookup_ids;
    match &g.script_user {
        Some((user, group)) => lookup(user, group.as_deref()),
        None => lookup(crate::track::command::DEFAULT_SCRIPT_USER, None).or_else(|| {
            (!g.enable_script_security).then(|| {
                (
                    Uid::current().as_raw(),
                    nix::unistd::Gid::current().as_raw(),
                )
            })
        }),
    }
}

/// uid and gid of `user` (its primary group, or `group`), without logging.
fn lookup_ids(user: &str, group: Option<&str>) -> Option<(u32, u32)> {
    use nix::unistd::{Group, User};
    let pw = User::from_name(user).ok().flatten()?;
    let gid = match group {
        None => pw.gid.as_raw(),
        Some(name) => Group::from_name(name).ok().flatten()?.gid.as_raw(),
    };
    Some((pw.uid.as_raw(), gid))
}
