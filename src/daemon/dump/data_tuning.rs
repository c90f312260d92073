//! The data dump's lines for the VRRP process's scheduling, SNMP, D-Bus, socket buffers
//! and umask, in keepalived 2.2.7's words and order (its `dump_global_data`). Lines of
//! the checker and BFD processes, which this build does not have, are left out.

use std::fmt::Write;

use crate::config::model::RxBufsPolicy;
use crate::daemon::status::TuningView;

fn tf(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn enabled(b: bool) -> &'static str {
    if b {
        "enabled"
    } else {
        "disabled"
    }
}

/// keepalived's CPU list: each CPU followed by a space, where its number formatting
/// writes nothing for CPU 0.
fn cpu_list(cpus: &[usize]) -> String {
    cpus.iter()
        .map(|&c| {
            if c == 0 {
                " ".to_string()
            } else {
                format!("{c} ")
            }
        })
        .collect()
}

/// From `Max auto priority` to `DBus service name`: after `VRRP strict mode`.
pub(super) fn scheduling_and_services(t: &TuningView, out: &mut String) {
    if t.max_auto_priority == -1 {
        out.push_str(" Max auto priority = Disabled\n");
    } else {
        let _ = writeln!(out, " Max auto priority = {}", t.max_auto_priority);
    }
    let delay = t.min_auto_priority_delay_us;
    let _ = writeln!(out, " Min auto priority delay = {delay} usecs");
    let _ = writeln!(out, " VRRP process priority = {}", t.vrrp_priority);
    let _ = writeln!(out, " VRRP don't swap = {}", tf(t.vrrp_no_swap));
    let _ = writeln!(out, " VRRP realtime priority = {}", t.vrrp_rt_priority);
    if !t.vrrp_cpu_affinity.is_empty() {
        let cpus = cpu_list(&t.vrrp_cpu_affinity);
        let _ = writeln!(out, " VRRP CPU Affinity = {cpus}");
    }
    let _ = writeln!(out, " VRRP realtime limit = {}", t.vrrp_rlimit_rt_us);
    let snmp = &t.snmp;
    let _ = writeln!(out, " SNMP vrrp {}", enabled(snmp.vrrp || snmp.keepalived));
    let _ = writeln!(out, " SNMP RFCv2 {}", enabled(snmp.rfcv2));
    let _ = writeln!(out, " SNMP RFCv3 {}", enabled(snmp.rfcv3));
    let _ = writeln!(out, " SNMP traps {}", enabled(snmp.traps));
    let socket = snmp
        .socket
        .as_deref()
        .unwrap_or("default (unix:/var/agentx/master)");
    let _ = writeln!(out, " SNMP socket = {socket}");
    let _ = writeln!(out, " DBus {}", enabled(t.dbus.enabled));
    let name = t.dbus.service_name.as_deref().unwrap_or("");
    let _ = writeln!(out, " DBus service name = {name}");
}

/// From `Default script uid:gid` to `umask`: after `Script security`.
pub(super) fn buffers_and_umask(t: &TuningView, out: &mut String) {
    if let Some((uid, gid)) = t.default_script_ids {
        let _ = writeln!(out, " Default script uid:gid {uid}:{gid}");
    }
    let b = &t.buffers;
    for (name, nl) in [("cmd", b.netlink_cmd), ("monitor", b.netlink_monitor)] {
        let _ = writeln!(out, " vrrp_netlink_{name}_rcv_bufs = {}", nl.bytes);
        let force = u8::from(nl.force);
        let _ = writeln!(out, " vrrp_netlink_{name}_rcv_bufs_force = {force}");
    }
    let (bytes, force) = t.process_monitor_rcv_bufs;
    let _ = writeln!(out, " process_monitor_rcv_bufs = {bytes}");
    let _ = writeln!(out, " process_monitor_rcv_bufs_force = {}", u8::from(force));
    match b.vrrp_rx_policy {
        RxBufsPolicy::Kernel => {}
        RxBufsPolicy::Mtu => out.push_str(" rx_bufs_policy = MTU\n"),
        RxBufsPolicy::Advert => out.push_str(" rx_bufs_policy = ADVERT\n"),
        RxBufsPolicy::Size(n) => {
            let _ = writeln!(out, " rx_bufs_size = {n}");
        }
    }
    let _ = writeln!(out, " rx_bufs_multiples = {}", b.vrrp_rx_multiplier);
    let _ = writeln!(out, " umask = 0{:o}", t.umask);
}
