//! `global_defs { … }`.

use super::process::{
    dump_timeout, start_stop_script, start_stop_timeout, umask, vrrp_cpu_affinity, vrrp_priority,
};
use super::Keyword;
use super::OtherSettings;
use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::{fmt_decimal_secs, Lower};
use crate::config::model::{Fifo, GlobalDefs, Nftables};
use crate::config::syntax::Node;
use std::collections::BTreeMap;
use std::time::Duration;

impl OtherSettings for GlobalDefs {
    fn other(&mut self) -> &mut BTreeMap<String, Vec<String>> {
        &mut self.other
    }
    fn other_ref(&self) -> &BTreeMap<String, Vec<String>> {
        &self.other
    }
}

/// `vrrp_garp_interval` / `vrrp_gna_interval`: keepalived 2.2.7 rejects 0 (found in many
/// distribution default configs) with two errors.
fn garp_interval(cx: &mut Lower, node: &Node) -> Option<Duration> {
    let tok = cx.arg(node, 0)?.clone();
    let v = cx.secs(
        &tok,
        Duration::from_micros(1),
        Duration::from_micros(4_294_967_295),
    );
    if v.is_none() {
        cx.push(
            Diagnostic::error(
                tok.span,
                format!("{} '{}' is invalid", node.keyword.text, tok.text),
            )
            .with_hint(format!(
                "remove the line for no delay between gratuitous packets ('{} 0' is rejected by keepalived 2.2.7)",
                node.keyword.text
            )),
        );
    }
    v
}

fn fifo(cx: &mut Lower, node: &Node) -> Option<Fifo> {
    let path = cx.arg(node, 0)?.text.to_string();
    let user = node.args.get(1).map(|u| {
        (
            u.text.to_string(),
            node.args.get(2).map(|g| g.text.to_string()),
        )
    });
    Some(Fifo {
        path,
        user,
        script: None,
    })
}

fn dump_fifo(d: &mut Dumper, kw: &str, script_kw: &str, f: &Option<Fifo>) {
    if let Some(f) = f {
        let mut w = vec![f.path.clone()];
        if let Some((u, g)) = &f.user {
            w.push(u.clone());
            w.extend(g.clone());
        }
        d.line(kw, &w);
        super::address::dump_script(d, script_kw, &f.script);
    }
}

fn fifo_script(cx: &mut Lower, node: &Node, fifo: &mut Option<Fifo>) {
    if let Some(s) = super::address::script_value(cx, node) {
        fifo.get_or_insert_with(Fifo::default).script = Some(s);
    }
}

/// `notify_fifo PATH [USER [GROUP]]`, keeping a `…_script` written before it.
fn set_fifo(cx: &mut Lower, node: &Node, slot: &mut Option<Fifo>) {
    if let Some(f) = fifo(cx, node) {
        let script = slot.take().and_then(|o| o.script);
        *slot = Some(Fifo { script, ..f })
    }
}

/// The first argument parsed as a `T` (an address), or an error naming the keyword.
fn parsed_arg<T: std::str::FromStr>(cx: &mut Lower, node: &Node) -> Option<T> {
    let a = cx.arg(node, 0)?;
    match a.text.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            let m = format!("{} '{}' is invalid", node.keyword.text, a.text);
            let span = a.span;
            cx.error(span, m);
            None
        }
    }
}

/// `metrics_listen ADDR:PORT` (`[V6]:PORT` for IPv6). A bad value is an error of `-t`, and
/// the daemon then runs without the endpoint.
fn listen_address(cx: &mut Lower, node: &Node) -> Option<std::net::SocketAddr> {
    let a = cx.arg(node, 0)?.clone();
    match a.text.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            cx.push(
                Diagnostic::error(a.span, format!("metrics_listen '{}' is invalid", a.text))
                    .with_hint("write ADDRESS:PORT, e.g. 127.0.0.1:9650 or [::1]:9650"),
            );
            None
        }
    }
}

fn dump_pause(d: &mut Dumper, kw: &str, v: Duration) {
    if !v.is_zero() {
        d.kv(kw, fmt_decimal_secs(v, false))
    }
}

/// `vrrp_garp_interval` / `vrrp_gna_interval` (see `garp_interval`); dumped when not 0.
macro_rules! pause {
    ($name:literal, $($field:ident).+, $doc:literal) => {
        keyword!(
            $name,
            "SECONDS",
            "0",
            $doc,
            |cx, t, n| if let Some(v) = garp_interval(cx, n) {
                t.$($field).+ = v
            },
            |t, d| dump_pause(d, $name, t.$($field).+)
        )
    };
}

/// A process setting read into an `Option<u64>` (by `lenient_number` unless `$apply` is
/// given), printed back when set.
macro_rules! process_number {
    ($name:literal, $($field:ident).+, $doc:literal) => {
        process_number!($name, $($field).+, $doc, |_cx, t, n| t.$($field).+ =
            lenient_number(n))
    };
    ($name:literal, $($field:ident).+, $doc:literal, $apply:expr) => {
        keyword!(
            $name,
            "…",
            "",
            $doc,
            $apply,
            |t, d| if let Some(v) = t.$($field).+ {
                d.kv($name, v)
            }
        )
    };
}

/// A global on/off setting read by `lenient_flag` into an `Option<bool>`.
macro_rules! lenient_flag {
    ($name:literal, $($field:ident).+, $doc:literal) => {
        keyword!(
            $name,
            "…",
            "",
            $doc,
            |_cx, t, n| t.$($field).+ = Some(lenient_flag(n)),
            |t, d| dump_lenient_flag(d, $name, t.$($field).+)
        )
    };
}

/// A global on/off setting read leniently, without a diagnostic: bare or any word but
/// `false`, `off`, `no` and `0` means on.
fn lenient_flag(node: &Node) -> bool {
    !matches!(
        node.args.first().map(|a| a.text.as_str()),
        Some("false" | "off" | "no" | "0")
    )
}

fn dump_lenient_flag(d: &mut Dumper, kw: &str, v: Option<bool>) {
    match v {
        Some(true) => d.line::<&str>(kw, &[]),
        Some(false) => d.kv(kw, "off"),
        None => {}
    }
}

/// The first argument as a whole number; anything else leaves the daemon's default
/// (without a diagnostic: keepalived's process settings are not checked here).
fn lenient_number(node: &Node) -> Option<u64> {
    node.args.first().and_then(|a| a.text.parse().ok())
}

/// `vrrp_rlimit_rttime`, or its older spelling: the newer one wins whenever written.
/// `snmp_socket`: the first one wins, as in keepalived, which refuses any later one (and,
/// once the file is read, this first one too when `-A` gave the socket: see
/// `Options::apply_snmp_options`).
fn snmp_socket(cx: &mut Lower, t: &mut GlobalDefs, n: &Node) {
    if n.args.len() > 1 {
        let msg = "Too many parameters specified for snmp_socket - ignoring";
        cx.error(n.keyword.span, msg);
        return;
    }
    let Some(a) = n.args.first() else {
        cx.error(n.keyword.span, "SNMP error : snmp socket name missing");
        return;
    };
    // keepalived's limit: PATH_MAX with its terminating NUL.
    if a.text.len() > 4095 {
        let msg = "SNMP error : snmp socket name too long - ignored";
        cx.error(n.keyword.span, msg);
        return;
    }
    if let Some(set) = &t.snmp.socket {
        let msg = format!("SNMP socket already set to {set} - ignoring");
        cx.error(n.keyword.span, msg);
        return;
    }
    t.snmp.socket = Some(a.text.to_string());
    cx.spans
        .global_keywords
        .insert("snmp_socket".into(), n.keyword.span);
}

fn rlimit_rttime(cx: &mut Lower, t: &mut GlobalDefs, node: &Node) {
    const NEWER: &str = "vrrp_rlimit_rttime";
    if node.keyword.text == NEWER {
        cx.spans
            .global_keywords
            .insert(NEWER.into(), node.keyword.span);
    } else if cx.spans.global_keywords.contains_key(NEWER) {
        return;
    }
    t.scheduling.vrrp_rlimit_rttime = lenient_number(node);
}

/// The `global_defs` table.
pub static GLOBAL: &[Keyword<GlobalDefs>] = &[
    word!(
        "router_id",
        "STRING",
        router_id,
        "Name of this router in notifications and dumps (default: host name)."
    ),
    keyword!(
        "notification_email",
        "{ ADDRESS… }",
        "none",
        "Where SMTP alerts go.",
        |cx, t, n| {
            t.email.notification_email = n
                .children()
                .iter()
                .map(|c| c.keyword.text.to_string())
                .collect();
            if t.email.notification_email.is_empty() {
                let at = n
                    .block
                    .as_ref()
                    .and_then(|b| b.close)
                    .unwrap_or(n.keyword.span);
                cx.warn(at, "Warning - empty notification_email block");
            }
        },
        |t, d| if !t.email.notification_email.is_empty() {
            d.block("notification_email", |d| {
                for e in &t.email.notification_email {
                    d.line::<&str>(e, &[])
                }
            })
        }
    ),
    word!(
        "notification_email_from",
        "ADDRESS",
        email.notification_email_from,
        "From address of SMTP alerts."
    ),
    keyword!(
        "smtp_server",
        "HOST [PORT]",
        "none",
        "SMTP relay for alerts.",
        |cx, t, n| if let Some(a) = cx.arg(n, 0) {
            let host = a.text.to_string();
            // Whether a name resolves depends on the host (see host::check_smtp_server);
            // what cannot be a host name at all is an error everywhere.
            let ok = host.parse::<std::net::IpAddr>().is_ok()
                || (!host.is_empty()
                    && host.split('.').all(|label| {
                        !label.is_empty()
                            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    }));
            if ok {
                t.email.smtp_server = Some(n.args_joined());
                cx.spans
                    .global_keywords
                    .insert("smtp_server".into(), a.span);
            } else {
                let msg = format!(
                    "Invalid smtp server {} {}",
                    host,
                    n.args.get(1).map_or("25", |p| p.text.as_str())
                );
                cx.error(a.span, msg);
            }
        },
        |t, d| if let Some(v) = &t.email.smtp_server {
            d.line("smtp_server", &v.split(' ').collect::<Vec<_>>())
        }
    ),
    opt_int!(
        "smtp_connect_timeout",
        "SECONDS",
        email.smtp_connect_timeout,
        1,
        2_678_400,
        "30",
        "SMTP connect timeout."
    ),
    keyword!(
        "vrrp_mcast_group4",
        "IPV4",
        "224.0.0.18",
        "Multicast group of IPv4 adverts.",
        |cx, t, n| if let Some(ip) = parsed_arg(cx, n) {
            t.vrrp_mcast_group4 = ip
        },
        |t, d| d.kv("vrrp_mcast_group4", t.vrrp_mcast_group4)
    ),
    keyword!(
        "vrrp_mcast_group6",
        "IPV6",
        "ff02::12",
        "Multicast group of IPv6 adverts.",
        |cx, t, n| if let Some(ip) = parsed_arg(cx, n) {
            t.vrrp_mcast_group6 = ip
        },
        |t, d| d.kv("vrrp_mcast_group6", t.vrrp_mcast_group6)
    ),
    keyword!(
        "vrrp_version",
        "2-3",
        "2",
        "Default VRRP version of instances.",
        |cx, t, n| if let Some(v) = cx.int_arg(n, 0, 2, 3).and_then(super::version_of) {
            t.vrrp_version = v
        },
        |t, d| d.kv("vrrp_version", t.vrrp_version.number())
    ),
    secs!(
        "vrrp_garp_master_delay",
        advert.garp.master_delay,
        0,
        255_000_000,
        "5",
        "Delay before the second gratuitous ARP burst after becoming master (0 = none)."
    ),
    int!(
        "vrrp_garp_master_repeat",
        advert.garp.master_repeat,
        1,
        255,
        "5",
        "Gratuitous ARPs per address in each burst."
    ),
    secs!(
        "vrrp_garp_master_refresh",
        advert.garp.master_refresh,
        0,
        4_294_967_295_000,
        "0",
        "Re-send gratuitous ARPs this often while master (0 = never)."
    ),
    int!(
        "vrrp_garp_master_refresh_repeat",
        advert.garp.master_refresh_repeat,
        1,
        255,
        "1",
        "Gratuitous ARPs per address at each refresh."
    ),
    secs!(
        "vrrp_garp_lower_prio_delay",
        advert.garp.lower_prio_delay,
        0,
        255_000_000,
        "= vrrp_garp_master_delay",
        "Delay of the second burst after a lower-priority advert."
    ),
    int!(
        "vrrp_garp_lower_prio_repeat",
        advert.garp.lower_prio_repeat,
        1,
        255,
        "= vrrp_garp_master_repeat",
        "Gratuitous ARPs per address on a lower-priority advert."
    ),
    pause!(
        "vrrp_garp_interval",
        vrrp_garp_interval,
        "Pause between gratuitous ARPs on one interface (must be > 0 when given)."
    ),
    pause!(
        "vrrp_gna_interval",
        vrrp_gna_interval,
        "Pause between unsolicited neighbour adverts on one interface (must be > 0 when given)."
    ),
    flag!(
        "vrrp_min_garp",
        vrrp_min_garp,
        "One gratuitous ARP per address, no second burst, no refresh."
    ),
    int!(
        "vrrp_down_timer_adverts",
        advert.down_timer_adverts,
        1,
        100,
        "3",
        "Adverts missed before a backup takes over."
    ),
    flag!(
        "vrrp_lower_prio_no_advert",
        advert.lower_prio_no_advert,
        "A master does not answer a lower-priority advert with its own."
    ),
    flag!(
        "vrrp_higher_prio_send_advert",
        advert.higher_prio_send_advert,
        "A master sends one advert before yielding to a higher priority."
    ),
    flag!(
        "vrrp_check_unicast_src",
        advert.check_unicast_src,
        "Accept unicast adverts only from configured peers."
    ),
    flag!(
        "vrrp_skip_check_adv_addr",
        advert.skip_check_adv_addr,
        "Skip the address list check for adverts from the known master."
    ),
    flag!(
        "vrrp_strict",
        vrrp_strict,
        "Enforce RFC rules strictly: no authentication, no unicast, VIPs required, and VIPs not reachable (nftables drop rules) unless the address owner."
    ),
    secs!(
        "vrrp_startup_delay",
        vrrp_startup_delay,
        0,
        4_294_967_295_000,
        "0",
        "Wait this long after start before running VRRP."
    ),
    flag!(
        "log_unknown_vrids",
        log_unknown_vrids,
        "Log adverts for VRIDs not configured here."
    ),
    flag!(
        "vrrp_notify_priority_changes",
        notify_fifos.vrrp_notify_priority_changes,
        "Send priority changes to notify FIFOs."
    ),
    keyword!(
        "notify_fifo",
        "PATH [USER [GROUP]]",
        "none",
        "FIFO receiving one line per state change.",
        |cx, t, n| set_fifo(cx, n, &mut t.notify_fifos.notify_fifo),
        |t, d| dump_fifo(
            d,
            "notify_fifo",
            "notify_fifo_script",
            &t.notify_fifos.notify_fifo
        )
    ),
    keyword!(
        "notify_fifo_script",
        "COMMAND",
        "none",
        "Program started with the FIFO path as its last argument.",
        |cx, t, n| fifo_script(cx, n, &mut t.notify_fifos.notify_fifo),
        |_t, _d| {}
    ),
    keyword!(
        "vrrp_notify_fifo",
        "PATH [USER [GROUP]]",
        "none",
        "FIFO receiving VRRP state changes only.",
        |cx, t, n| set_fifo(cx, n, &mut t.notify_fifos.vrrp_notify_fifo),
        |t, d| dump_fifo(
            d,
            "vrrp_notify_fifo",
            "vrrp_notify_fifo_script",
            &t.notify_fifos.vrrp_notify_fifo
        )
    ),
    keyword!(
        "vrrp_notify_fifo_script",
        "COMMAND",
        "none",
        "Program reading the VRRP notify FIFO.",
        |cx, t, n| fifo_script(cx, n, &mut t.notify_fifos.vrrp_notify_fifo),
        |_t, _d| {}
    ),
    flag!(
        "fifo_write_vrrp_states_on_reload",
        notify_fifos.fifo_write_vrrp_states_on_reload,
        "Re-send every state to FIFOs after a reload."
    ),
    keyword!(
        "script_user",
        "USER [GROUP]",
        "keepalived_script if it exists, else root",
        "User (and group) scripts run as.",
        |cx, t, n| if let Some(u) = cx.arg(n, 0) {
            t.script_user = Some((
                u.text.to_string(),
                n.args.get(1).map(|g| g.text.to_string()),
            ));
            let span = u.span;
            cx.spans.global_keywords.insert("script_user".into(), span);
        },
        |t, d| if let Some((u, g)) = &t.script_user {
            let mut w = vec![u.clone()];
            w.extend(g.clone());
            d.line("script_user", &w)
        }
    ),
    flag!(
        "enable_script_security",
        enable_script_security,
        "Refuse scripts that a non-root user could modify."
    ),
    word!(
        "default_interface",
        "IFNAME",
        default_interface,
        "Interface for static addresses without 'dev'."
    ),
    keyword!(
        "dynamic_interfaces",
        "[allow_if_changes]",
        "off",
        "Allow interfaces that do not exist yet; allow_if_changes also lets a macvlan interface be created again with another type or base.",
        |cx, t, n| {
            // keepalived turns it on whatever follows, and reports any word but its one option.
            t.dynamic_interfaces = true;
            match n.args.first() {
                Some(a) if a.text == "allow_if_changes" => t.allow_if_changes = true,
                Some(a) => cx.push(Diagnostic::error(
                    a.span,
                    format!("Unknown dynamic_interfaces option '{}'", a.text),
                )),
                None => {}
            }
        },
        |t, d| if t.dynamic_interfaces {
            let option: &[&str] = if t.allow_if_changes { &["allow_if_changes"] } else { &[] };
            d.line("dynamic_interfaces", option)
        }
    ),
    word!(
        "vmac_prefix",
        "STRING",
        vmac_prefix,
        "Prefix of generated VMAC interface names."
    ),
    keyword!(
        "metrics_listen",
        "ADDR:PORT",
        "unset",
        "Extension: serve Prometheus metrics and JSON over HTTP at this address.",
        |cx, t, n| t.metrics_listen = listen_address(cx, n),
        |t, d| if let Some(a) = t.metrics_listen {
            d.kv("metrics_listen", a)
        }
    ),
    word!(
        "smtp_helo_name",
        "NAME",
        "host name",
        email.smtp_helo_name,
        "Name this host gives the SMTP server when sending alerts."
    ),
    lenient_flag!(
        "smtp_alert",
        email.smtp_alert,
        "Send SMTP alerts (for VRRP unless smtp_alert_vrrp says otherwise)."
    ),
    lenient_flag!(
        "smtp_alert_vrrp",
        email.smtp_alert_vrrp,
        "Send SMTP alerts for VRRP events."
    ),
    inert!(Lvs "smtp_alert_checker" => "LVS checker alerts (no checker in this build)."),
    // keepalived sets it whatever follows the keyword (`no_email_faults off` sets it too).
    keyword!(
        "no_email_faults",
        "",
        "off",
        "No SMTP alert when an instance or sync group enters FAULT.",
        |_c, t, _n| t.email.no_email_faults = true,
        |t, d| if t.email.no_email_faults {
            d.line::<&str>("no_email_faults", &[])
        }
    ),
    inert!(Lvs "no_checker_emails" => "LVS checker e-mail setting (no checker in this build)."),
    inert!(Lvs "checker_log_all_failures" => "LVS checker setting (no checker in this build)."),
    keyword!(
        "vrrp_garp_extra_if",
        "[all] 1-86400",
        "off",
        "Default of every instance's garp_extra_if.",
        |cx, t, n| super::vmac::global_extra_if(cx, &mut t.garp_extra_if, n),
        |t, d| if t.garp_extra_if.interval > 0 {
            super::vmac::dump_extra_if(d, "vrrp_garp_extra_if", &t.garp_extra_if)
        }
    ),
    keyword!(
        "vrrp_vmac_garp_intvl",
        "[all] 1-86400",
        "off",
        "Deprecated name of vrrp_garp_extra_if.",
        |cx, t, n| super::vmac::global_extra_if(cx, &mut t.garp_extra_if, n),
        |_t, _d| {}
    ),
    keyword!(
        "vrrp_priority",
        "-20-19",
        "0",
        "Nice value of the VRRP process (when real-time scheduling is not in force).",
        vrrp_priority,
        |t, d| if let Some(v) = t.scheduling.vrrp_priority {
            d.kv("vrrp_priority", v)
        }
    ),
    process_number!(
        "vrrp_rt_priority",
        scheduling.vrrp_rt_priority,
        "Real-time scheduling priority of the VRRP process."
    ),
    keyword!(
        "vrrp_no_swap",
        "…",
        "",
        "Lock the VRRP process in memory.",
        |_cx, t, _n| t.scheduling.vrrp_no_swap = true,
        |t, d| if t.scheduling.vrrp_no_swap {
            d.line::<&str>("vrrp_no_swap", &[])
        }
    ),
    keyword!(
        "vrrp_cpu_affinity",
        "CPU…",
        "unset",
        "CPUs the VRRP process may run on.",
        vrrp_cpu_affinity,
        |t, d| if !t.scheduling.vrrp_cpu_affinity.is_empty() {
            let cpus: Vec<String> = t
                .scheduling
                .vrrp_cpu_affinity
                .iter()
                .map(|c| c.to_string())
                .collect();
            d.line("vrrp_cpu_affinity", &cpus)
        }
    ),
    keyword!(
        "vrrp_rlimit_rtime",
        "…",
        "",
        "RLIMIT_RTTIME of the VRRP process.",
        rlimit_rttime,
        |_t, _d| {}
    ),
    process_number!(
        "vrrp_rlimit_rttime",
        scheduling.vrrp_rlimit_rttime,
        "RLIMIT_RTTIME of the VRRP process.",
        rlimit_rttime
    ),
    inert!(OneProcess "vrrp_process_name" => "Process name of the VRRP process."),
    netlink_rcv_bufs!(size "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd", netlink_cmd,
        "Receive buffer of the netlink sockets that change and query addresses, routes and links."),
    netlink_rcv_bufs!(force "vrrp_netlink_cmd_rcv_bufs_force", netlink_cmd,
        "Set vrrp_netlink_cmd_rcv_bufs with SO_RCVBUFFORCE (past net.core.rmem_max)."),
    netlink_rcv_bufs!(size "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor", netlink_monitor,
        "Receive buffer of the netlink socket link and address events arrive on."),
    netlink_rcv_bufs!(force "vrrp_netlink_monitor_rcv_bufs_force", netlink_monitor,
        "Set vrrp_netlink_monitor_rcv_bufs with SO_RCVBUFFORCE (past net.core.rmem_max)."),
    keyword!(
        "vrrp_rx_bufs_policy",
        "MTU|ADVERT|BYTES",
        "unset (kernel default)",
        "Receive buffer of each VRRP socket: multiplier × MTU or × advert length, or BYTES, per instance on it (an instance's kernel_rx_buf_size wins).",
        super::buffers::rx_bufs_policy,
        super::buffers::dump_rx_bufs_policy
    ),
    keyword!(
        "vrrp_rx_bufs_multiplier",
        "1-4294967295",
        "3",
        "The multiplier of vrrp_rx_bufs_policy MTU and ADVERT.",
        super::buffers::rx_bufs_multiplier,
        |t, d| if t.buffers.vrrp_rx_multiplier != 3 {
            d.kv("vrrp_rx_bufs_multiplier", t.buffers.vrrp_rx_multiplier)
        }
    ),
    keyword!(
        "vrrp_iptables",
        "[CHAIN…]",
        "",
        "Legacy: like keepalived built with nftables only, means 'nftables keepalived'.",
        |cx, t, n| {
            cx.push(
                Diagnostic::warning(n.keyword.span, "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option")
                    .with_hint("write 'nftables' (table 'keepalived') or 'nftables TABLE' instead"),
            );
            t.nftables.table = Some(Nftables::DEFAULT_TABLE.into());
        },
        |_t, _d| {}
    ),
    keyword!(
        "vrrp_ipsets",
        "…",
        "",
        "Not supported (keepalived built with nftables only does not know it either).",
        |cx, _t, n| {
            cx.push(
            Diagnostic::error(n.keyword.span, "Unknown keyword 'vrrp_ipsets'")
                .with_hint("ipsets belong to the iptables support this build (like Debian's keepalived) lacks; use 'nftables'")
        )
        },
        |_t, _d| {}
    ),
    keyword!(
        "nftables",
        "[TABLE]",
        "keepalived (when an instance does not accept)",
        "nftables table whose rules drop traffic to the VIPs of instances that do not accept it (strict mode, no_accept).",
        |cx, t, n| {
            if t.nftables.table.is_some() {
                cx.warn(n.keyword.span, "nftables already specified - ignoring");
                return;
            }
            let table = n
                .args
                .first()
                .map_or(Nftables::DEFAULT_TABLE, |a| a.text.as_str());
            // The kernel's NFT_TABLE_MAXNAMELEN (256) counts the terminating NUL.
            if table.len() >= 256 {
                cx.warn(n.keyword.span, "nftables table name too long - ignoring");
                return;
            }
            t.nftables.table = Some(table.to_string());
            // keepalived resets the chain priority here, over an earlier nftables_priority.
            t.nftables.priority = -1;
        },
        |t, d| if let (Some(v), false) = (&t.nftables.table, t.nftables.implied) {
            d.line("nftables", &[v])
        }
    ),
    keyword!(
        "nftables_priority",
        "PRIORITY",
        "-1",
        "Priority of the nftables input and output chains.",
        |cx, t, n| {
            let text = n.args.first().map_or("", |a| a.text.as_str());
            match text.parse::<i32>() {
                Ok(v) => t.nftables.priority = v,
                Err(_) => cx.warn(n.keyword.span, format!("invalid nftables chain priority '{text}'")),
            }
        },
        |t, d| if t.nftables.priority != -1 {
            d.kv("nftables_priority", t.nftables.priority)
        }
    ),
    flag!(
        "nftables_ifindex",
        nftables.ifindex,
        "Match link-local VIPs by interface index, also with dont_track_primary."
    ),
    flag!(
        "nftables_counters",
        nftables.counters,
        "Add a counter to every nftables rule."
    ),
    inert!(Lvs "nftables_ipvs" => "nftables LVS setting."),
    inert!(Lvs "nftables_ipvs_priority" => "nftables LVS setting."),
    inert!(Lvs "nftables_ipvs_start_fwmark" => "nftables LVS setting."),
    inert!(AlwaysRealTime "max_auto_priority" => "Highest real-time priority set automatically."),
    inert!(AlwaysRealTime "min_auto_priority_delay" => "Delay before raising priority automatically."),
    keyword!(
        "vmac_addr_prefix",
        "STRING",
        "vmac_prefix, else vrrp",
        "Name prefix of the VMACs made for VIPs on other interfaces (use_vmac_addr).",
        |cx, t, n| {
            let Some(a) = cx.arg(n, 0) else { return };
            if t.vmac_addr_prefix.is_some() {
                let m = format!("vmac_addr prefix has already been specified - ignoring {}", a.text);
                cx.error(a.span, m);
                return;
            }
            t.vmac_addr_prefix = Some(a.text.to_string());
        },
        |t, d| if let Some(v) = &t.vmac_addr_prefix {
            d.kv("vmac_addr_prefix", v)
        }
    ),
    keyword!(
        "disable_local_igmp",
        "",
        "off",
        "Turn net.ipv4.igmp_link_local_mcast_reports off while running (restored at stop): no IGMP reports for the VRRP group.",
        |_cx, t, _n| t.disable_local_igmp = true,
        |t, d| if t.disable_local_igmp {
            d.line::<&str>("disable_local_igmp", &[])
        }
    ),
    inert!(OneProcess "process_names" => "Set process names."),
    inert!(ProcScan "process_monitor_rcv_bufs" => "Process monitor buffer size."),
    inert!(ProcScan "process_monitor_rcv_bufs_force" => "Process monitor buffer size (forced)."),
    flag!(
        "enable_snmp_vrrp",
        snmp.vrrp,
        "SNMP: serve KEEPALIVED-MIB's global scalars and VRRP tables over AgentX."
    ),
    flag!(
        "enable_snmp_keepalived",
        snmp.keepalived,
        "SNMP: keepalived's old name of enable_snmp_vrrp."
    ),
    inert!(Lvs "enable_snmp_checker" => "SNMP for the LVS checker (no checker in this build)."),
    keyword!(
        "enable_snmp_rfc",
        "",
        "off",
        "SNMP: both VRRP-MIB (RFC 2787) and VRRPv3-MIB (RFC 6527).",
        |_cx, t, _n| {
            t.snmp.rfcv2 = true;
            t.snmp.rfcv3 = true
        },
        |t, d| if t.snmp.rfcv2 && t.snmp.rfcv3 {
            d.line::<&str>("enable_snmp_rfc", &[])
        }
    ),
    flag!(
        "enable_snmp_rfcv2",
        snmp.rfcv2,
        "SNMP: serve VRRP-MIB (RFC 2787) over AgentX."
    ),
    keyword!(
        "enable_snmp_rfcv3",
        "",
        "off",
        "SNMP: serve VRRPv3-MIB (RFC 6527) over AgentX.",
        |_cx, t, _n| t.snmp.rfcv3 = true,
        |t, d| if t.snmp.rfcv3 && !t.snmp.rfcv2 {
            d.line::<&str>("enable_snmp_rfcv3", &[])
        }
    ),
    keyword!(
        "enable_traps",
        "",
        "off",
        "SNMP: send the notifications of each MIB turned on (KEEPALIVED-MIB state changes, RFC 2787 new master and auth failure, RFC 6527 new master and protocol error).",
        |_cx, t, _n| t.snmp.traps = true,
        |t, d| if t.snmp.traps {
            d.line::<&str>("enable_traps", &[])
        }
    ),
    keyword!(
        "snmp_socket",
        "unix:PATH|tcp:HOST:PORT|PATH",
        "unix:/var/agentx/master",
        "The AgentX master agent's socket.",
        snmp_socket,
        |t, d| if let Some(v) = &t.snmp.socket {
            d.kv("snmp_socket", v)
        }
    ),
    // keepalived sets it whatever follows the keyword (`enable_dbus off` enables it too).
    keyword!(
        "enable_dbus",
        "",
        "off",
        "Serve keepalived's org.keepalived.Vrrp1 D-Bus service (instance objects, their \
         state, state-change signals, dump and reload methods) on the system bus.",
        |_c, t, _n| t.dbus.enabled = true,
        |t, d| if t.dbus.enabled {
            d.line::<&str>("enable_dbus", &[])
        }
    ),
    word!(
        "dbus_service_name",
        "NAME",
        "org.keepalived.Vrrp1",
        dbus.service_name,
        "The bus name the D-Bus service owns."
    ),
    keyword!(
        "startup_script",
        "COMMAND [USER [GROUP]]",
        "none",
        "Run before VRRP starts; adverts wait for it (or its timeout).",
        |cx, t, n| start_stop_script(cx, n, &mut t.start_stop.startup),
        |t, d| super::address::dump_script(d, "startup_script", &t.start_stop.startup)
    ),
    keyword!(
        "startup_script_timeout",
        "1-1000",
        "10",
        "Seconds startup_script may run before it is killed.",
        |cx, t, n| start_stop_timeout(cx, n, &mut t.start_stop.startup_timeout),
        |t, d| dump_timeout(d, "startup_script_timeout", t.start_stop.startup_timeout)
    ),
    keyword!(
        "shutdown_script",
        "COMMAND [USER [GROUP]]",
        "none",
        "Run after VRRP has stopped and its addresses are removed.",
        |cx, t, n| start_stop_script(cx, n, &mut t.start_stop.shutdown),
        |t, d| super::address::dump_script(d, "shutdown_script", &t.start_stop.shutdown)
    ),
    keyword!(
        "shutdown_script_timeout",
        "1-1000",
        "10",
        "Seconds shutdown_script may run before it is killed.",
        |cx, t, n| start_stop_timeout(cx, n, &mut t.start_stop.shutdown_timeout),
        |t, d| dump_timeout(d, "shutdown_script_timeout", t.start_stop.shutdown_timeout)
    ),
    keyword!(
        "reload_check_config",
        "[FILE]",
        "unset",
        "A reload must pass the configuration check first; its report goes to FILE.",
        |_cx, t, n| {
            let file = n.args.first().map_or("/dev/null", |a| &a.text);
            t.reload_check_config = Some(file.into());
        },
        |t, d| if let Some(f) = &t.reload_check_config {
            d.kv("reload_check_config", f.display())
        }
    ),
    keyword!(
        "reload_time_file",
        "FILE",
        "unset",
        "Reload at the time written in FILE ([[YY]YY-MM-DD ]hh:mm[:ss], local time; the file is removed then).",
        super::process_contract::reload_time_file,
        |t, d| if let Some(f) = &t.process.reload_time_file {
            d.kv("reload_time_file", f.display())
        }
    ),
    flag!(
        "reload_repeat",
        process.reload_repeat,
        "A reload time without a date repeats every day (the reload time file is kept)."
    ),
    keyword!(
        "reload_file",
        "[FILE]",
        "unset (no file; bare: /run/keepalived.reload)",
        "A file that exists while a reload is in progress.",
        super::process_contract::reload_file,
        super::process_contract::dump_reload_file
    ),
    keyword!(
        "config_save_dir",
        "DIR",
        "unset",
        "Save a copy of every configuration read (keepalived.conf.PID.N) and the data dump before and after each reload (keepalived_vrrp.PID.N.pre/.post) in DIR.",
        super::process_contract::config_save_dir,
        |t, d| if let Some(dir) = &t.process.config_save_dir {
            d.kv("config_save_dir", dir.display())
        }
    ),
    keyword!(
        "include_check",
        "[+|-]read|match|wildcard_match|brace_match …",
        "unset",
        "Problems of later include lines are errors, as with includer/includem/includew/includeb.",
        super::process_contract::include_check,
        super::process_contract::dump_include_check
    ),
    inert!(KeepalivedIgnores "random_seed" => "Seed for ${_RANDOM}."),
    keyword!(
        "umask",
        "MODE|BIT[|BIT…]",
        "0177",
        "Process umask, as a number (0 prefix octal, 0x hex) or IRUSR|IWGRP|… bits; -u wins.",
        umask,
        |t, d| if let Some(v) = t.umask {
            d.kv("umask", format!("0{v:o}"))
        }
    ),
    keyword!(
        "data_use_instance",
        "[true|false]",
        "false",
        "Dump file names carry the namespace and instance name (keepalived.NS_NAME.data).",
        super::process_contract::data_use_instance,
        |t, d| if t.process.data_use_instance {
            d.line::<&str>("data_use_instance", &[])
        }
    ),
    inert!(OneProcess "tmp_config_directory" => "Directory for keepalived's copy of the configuration for its child processes."),
    inert!(Lvs "rs_init_notifies" => "LVS real server notifies (no checker in this build)."),
    inert!(Lvs "checker_priority" => "LVS checker process setting (no checker in this build)."),
    inert!(Lvs "checker_rt_priority" => "LVS checker process setting."),
    inert!(Lvs "checker_no_swap" => "LVS checker process setting."),
    inert!(Lvs "checker_cpu_affinity" => "LVS checker process setting."),
    inert!(Lvs "checker_rlimit_rtime" => "LVS checker process setting."),
    inert!(Lvs "checker_rlimit_rttime" => "LVS checker process setting."),
    inert!(Lvs "checker_process_name" => "LVS checker process setting."),
    inert!(Bfd "bfd_priority" => "BFD process setting (no BFD in this build)."),
    inert!(Bfd "bfd_rt_priority" => "BFD process setting."),
    inert!(Bfd "bfd_no_swap" => "BFD process setting."),
    inert!(Bfd "bfd_cpu_affinity" => "BFD process setting."),
    inert!(Bfd "bfd_rlimit_rtime" => "BFD process setting."),
    inert!(Bfd "bfd_rlimit_rttime" => "BFD process setting."),
    inert!(Bfd "bfd_process_name" => "BFD process setting."),
    inert!(Lvs "lvs_flush" => "LVS setting (no LVS in this build)."),
    inert!(Lvs "lvs_flush_onstop" => "LVS setting."),
    inert!(Lvs "lvs_flush_on_stop" => "LVS setting."),
    inert!(Lvs "lvs_timeouts" => "LVS setting."),
    inert!(Lvs "lvs_sync_daemon" => "LVS sync daemon (no LVS in this build)."),
    inert!(Lvs "lvs_notify_fifo" => "LVS notify FIFO."),
    inert!(Lvs "lvs_notify_fifo_script" => "LVS notify FIFO script."),
    inert!(Lvs "lvs_process_name" => "LVS process name."),
    inert!(Lvs "lvs_netlink_cmd_rcv_bufs" => "LVS netlink setting."),
    inert!(Lvs "lvs_netlink_cmd_rcv_bufs_force" => "LVS netlink setting."),
    inert!(Lvs "lvs_netlink_monitor_rcv_bufs" => "LVS netlink setting."),
    inert!(Lvs "lvs_netlink_monitor_rcv_bufs_force" => "LVS netlink setting."),
];
