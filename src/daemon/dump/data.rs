//! `/tmp/keepalived.data`, the dump keepalived writes on SIGUSR1.
//!
//! Free text, which keepalived documents as not stable, yet exporters parse it: a line
//! ` VRRP Instance = NAME` opens an instance, its fields follow as `   Key = value`
//! (three spaces), list items as `     item` (five). Field names, order and value formats
//! follow keepalived 2.2.7 for every field this daemon has. Lines keepalived prints for
//! subsystems this build does not contain (LVS, BFD, SNMP, D-Bus, the socket
//! pool and interface table) are left out, as a keepalived built without them does.

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::daemon::status::{
    GarpView, IdentityView, InstanceView, Snapshot, TrackerKind, TrackerSnapshot, UnixTime,
};
use crate::vrrp::packet::AuthType;
use crate::vrrp::{Family, State, Version};

/// The whole USR1 dump for `snap`.
pub fn render_data(snap: &Snapshot) -> String {
    let mut out = String::new();
    global_section(snap, &mut out);
    if !snap.instances.is_empty() {
        out.push_str("------< VRRP Topology >------\n");
        for inst in &snap.instances {
            instance_block(snap, inst, &mut out);
        }
    }
    if !snap.sync_groups.is_empty() {
        out.push_str("------< VRRP Sync groups >------\n");
        for g in &snap.sync_groups {
            let _ = writeln!(out, " VRRP Sync Group = {}, {}", g.name, g.state);
            let faults = g
                .members
                .iter()
                .filter_map(|m| snap.instance(m))
                .filter(|i| i.state == State::Fault)
                .count();
            let _ = writeln!(out, "   Num member fault {faults}, num member init 0");
            if !g.members.is_empty() {
                out.push_str("   VRRP member instances :\n");
                for m in &g.members {
                    let _ = writeln!(out, "     {m}");
                }
            }
        }
    }
    let scripts: Vec<&TrackerSnapshot> = snap
        .trackers
        .iter()
        .filter(|t| t.kind == TrackerKind::Script)
        .collect();
    if !scripts.is_empty() {
        out.push_str("------< VRRP Scripts >------\n");
        for t in scripts {
            script_block(t, &mut out);
        }
    }
    out
}

fn yes_no(b: bool, yes: &'static str, no: &'static str) -> &'static str {
    if b {
        yes
    } else {
        no
    }
}

/// keepalived's `true`/`false` for a setting.
fn tf(b: bool) -> &'static str {
    yes_no(b, "true", "false")
}

/// keepalived's first global lines: saved configurations, namespace, instance name.
fn identity_lines(p: &IdentityView, out: &mut String) {
    if let Some(dir) = &p.config_save_dir {
        let _ = writeln!(out, " Config save dir = {}", dir.display());
    }
    let ns = p.namespace.as_deref().unwrap_or("(default)");
    let _ = writeln!(out, " Network namespace = {ns}");
    if let Some(name) = &p.instance {
        let _ = writeln!(out, " Instance name = {name}");
    }
}

/// Timed reloads, the reload marker file and `data_use_instance`, after the reload test
/// line. keepalived's "(date specified" lacks its closing parenthesis.
fn reload_lines(p: &IdentityView, out: &mut String) {
    if let Some(f) = &p.reload_time_file {
        let repeat = if p.reload_repeat { " (repeat)" } else { "" };
        let _ = writeln!(out, " Reload time file = {}{repeat}", f.display());
        match &p.reload_scheduled {
            Some((at, dated)) => {
                let dated = if *dated { " (date specified" } else { "" };
                let _ = writeln!(out, " Reload scheduled for {at}{dated}");
            }
            None => out.push_str(" No reload scheduled\n"),
        }
    }
    if let Some(f) = &p.reload_file {
        let _ = writeln!(out, " Reload_file = {}", f.display());
    }
    if p.data_use_instance {
        out.push_str(" Use instance name in data dumps\n");
    }
}

fn global_section(snap: &Snapshot, out: &mut String) {
    let g = &snap.global;
    let unset = |v: Option<bool>| match v {
        None => "unset",
        Some(true) => "on",
        Some(false) => "off",
    };
    out.push_str("------< Global definitions >------\n");
    identity_lines(&g.process, out);
    let _ = writeln!(out, " Router ID = {}", g.router_id);
    if let Some(s) = &g.email.smtp_server {
        let mut words = s.split_whitespace();
        let _ = writeln!(out, " Smtp server = {}", words.next().unwrap_or(""));
        let _ = writeln!(out, " Smtp server port = {}", words.next().unwrap_or("25"));
    }
    if let Some(helo) = &g.smtp_helo_name {
        let _ = writeln!(out, " Smtp HELO name = {helo}");
    }
    if let Some(t) = g.email.smtp_connect_timeout {
        let _ = writeln!(out, " Smtp server connection timeout = {t}");
    }
    if let Some(from) = &g.email.notification_email_from {
        let _ = writeln!(out, " Email notification from = {from}");
        out.push_str(" Email notification to:\n");
        for e in &g.email.notification_email {
            let _ = writeln!(out, "   {e}");
        }
    }
    let _ = writeln!(out, " Default smtp_alert = {}", unset(g.email.smtp_alert));
    let _ = writeln!(
        out,
        " Default smtp_alert_vrrp = {}",
        unset(g.email.smtp_alert_vrrp)
    );
    out.push_str(" No test config before reload\n");
    reload_lines(&g.process, out);
    let _ = writeln!(out, " Dynamic interfaces = {}", tf(g.dynamic_interfaces));
    if g.dynamic_interfaces {
        let _ = writeln!(out, " Allow interface changes = {}", tf(g.allow_if_changes));
    }
    if g.tuning.no_email_faults {
        out.push_str(" Send emails for fault transitions = off\n");
    }
    let _ = writeln!(out, " Default interface = {}", g.default_interface);
    let igmp = yes_no(g.tuning.disable_local_igmp, "yes", "no");
    let _ = writeln!(out, " Disable local IGMP = {igmp}");
    let [(u, gid), (vu, vgid)] = g.tuning.fifo_ids;
    if let Some(f) = &g.fifos.notify_fifo {
        let _ = writeln!(out, " Global notify fifo = {f}, uid:gid {u}:{gid}");
    }
    if let Some(f) = &g.fifos.vrrp_notify_fifo {
        let _ = writeln!(out, " VRRP notify fifo = {f}, uid:gid {vu}:{vgid}");
    }
    let _ = writeln!(
        out,
        " FIFO write vrrp states on reload = {}",
        tf(g.fifos.fifo_write_vrrp_states_on_reload)
    );
    let _ = writeln!(
        out,
        " VRRP notify priority changes = {}",
        tf(g.fifos.vrrp_notify_priority_changes)
    );
    let _ = writeln!(out, " VRRP IPv4 mcast group = {}", g.vrrp_mcast_group4);
    let _ = writeln!(out, " VRRP IPv6 mcast group = {}", g.vrrp_mcast_group6);
    garp_lines(out, " ", "refresh timer", &g.garp);
    let _ = writeln!(
        out,
        " Num adverts before down = {}",
        g.vrrp_down_timer_adverts
    );
    let on = if g.garp_extra_if.all { "i/f" } else { "VMAC" };
    let secs = g.garp_extra_if.interval;
    let _ = writeln!(out, " Gratuitous ARP for each secondary {on} = {secs}s");
    let _ = writeln!(
        out,
        " Send advert after receive lower priority advert = {}",
        tf(!g.vrrp_lower_prio_no_advert)
    );
    let _ = writeln!(
        out,
        " Send advert after receive higher priority advert = {}",
        tf(g.vrrp_higher_prio_send_advert)
    );
    let _ = writeln!(
        out,
        " Gratuitous ARP interval = {:.6}",
        g.vrrp_garp_interval.as_secs_f64()
    );
    let _ = writeln!(
        out,
        " Gratuitous NA interval = {:.6}",
        g.vrrp_gna_interval.as_secs_f64()
    );
    let _ = writeln!(
        out,
        " VRRP default protocol version = {}",
        g.vrrp_version.number()
    );
    if let Some(nft) = &g.nftables {
        let table = nft.table.as_deref().unwrap_or_default();
        let _ = writeln!(out, " nftables table name = {table}");
        let _ = writeln!(out, " nftables base chain priority = {}", nft.priority);
        let dont = if nft.ifindex { "" } else { "don't " };
        let _ = writeln!(out, " nftables {dont}force use ifindex for link local IPv6");
    }
    // keepalived prints the counters line with or without a table, then the version of
    // the libnftnl it links, which this build does not (it runs `nft`): that line is left
    // out.
    let with = if g.tuning.nftables_counters {
        ""
    } else {
        "out"
    };
    let _ = writeln!(out, " nftables with{with} counters");
    let _ = writeln!(
        out,
        " VRRP check unicast_src = {}",
        tf(g.vrrp_check_unicast_src)
    );
    let _ = writeln!(
        out,
        " VRRP skip check advert addresses = {}",
        tf(g.vrrp_skip_check_adv_addr)
    );
    let _ = writeln!(out, " VRRP strict mode = {}", tf(g.vrrp_strict));
    super::data_tuning::scheduling_and_services(&g.tuning, out);
    let _ = writeln!(
        out,
        " Script security {}",
        yes_no(g.enable_script_security, "enabled", "disabled")
    );
    super::data_tuning::buffers_and_umask(&g.tuning, out);
    if !g.vrrp_startup_delay.is_zero() {
        let _ = writeln!(
            out,
            " vrrp_startup_delay = {}",
            g.vrrp_startup_delay.as_secs_f64()
        );
    }
    if g.log_unknown_vrids {
        out.push_str(" log_unknown_vrids\n");
    }
    if let Some(p) = &g.vmac_prefix {
        let _ = writeln!(out, " VMAC prefix = {p}");
    }
    if let Some(p) = &g.vmac_addr_prefix {
        let _ = writeln!(out, " VMAC address prefix = {p}");
    }
}

/// `SECS.USECS (Wed Nov 25 21:49:50.542051 2026)`: keepalived's timestamp, local time.
pub fn keepalived_time(t: UnixTime) -> String {
    let wall = std::time::UNIX_EPOCH + t.0;
    let local = jiff::Timestamp::try_from(wall)
        .map(|ts| ts.to_zoned_datetime(crate::daemon::log::time::local_zone()));
    let human = match local {
        Ok(z) => format!(
            "{}.{:06} {}",
            z.strftime("%a %b %e %H:%M:%S"),
            t.micros(),
            z.strftime("%Y")
        ),
        Err(_) => "invalid time".to_string(),
    };
    format!("{}.{:06} ({human})", t.secs(), t.micros())
}

fn unspecified(family: Family) -> IpAddr {
    match family {
        Family::Ipv6 => Ipv6Addr::UNSPECIFIED.into(),
        Family::Ipv4 => Ipv4Addr::UNSPECIFIED.into(),
    }
}

/// One `VRRP Instance` block of the data dump, in keepalived's order.
fn instance_block(snap: &Snapshot, i: &InstanceView, out: &mut String) {
    let _ = writeln!(out, " VRRP Instance = {}", i.name);
    let _ = writeln!(out, "   VRRP Version = {}", i.version.number());
    if let Some(g) = &i.sync_group {
        let _ = writeln!(out, "   Sync group = {g}");
    }
    if i.family == Family::Ipv6 {
        out.push_str("   Using Native IPv6\n");
    }
    let _ = writeln!(out, "   State = {}", i.state);
    if i.state == State::Backup {
        let master = i.master_addr.unwrap_or_else(|| unspecified(i.family));
        let _ = writeln!(out, "   Master router = {master}");
        let _ = writeln!(out, "   Master priority = {}", i.master_priority);
        if i.version == Version::V3 {
            let _ = writeln!(
                out,
                "   Master advert int = {:.2} sec",
                i.master_adver_int.as_secs_f64()
            );
        }
    }
    let unicast = !i.unicast_peers.is_empty();
    // keepalived prints "none" only when no instance flag bit at all is set.
    let any_flag = unicast
        || i.nopreempt
        || i.dont_track_primary
        || i.skip_check_adv_addr
        || i.promote_secondaries
        || i.source_from_config
        || i.advert.check_unicast_src
        || i.vmac_ifname.is_some();
    if any_flag {
        out.push_str("   Flags:\n");
        if unicast {
            out.push_str("     Using unicast\n");
        }
    } else {
        out.push_str("   Flags: none\n");
    }
    state_counters(snap, i, out);
    interface_lines(i, out);
    priority_lines(i, out);
    address_lines(i, out);
    tracking_and_notify_lines(i, out);
}

fn state_counters(snap: &Snapshot, i: &InstanceView, out: &mut String) {
    let _ = writeln!(out, "   Wantstate = {}", i.wantstate);
    out.push_str("   Number of config faults = 0\n");
    let _ = writeln!(
        out,
        "   Number of interface and track script faults = {}",
        i.fault_count
    );
    let scripts_init = i
        .trackers
        .iter()
        .filter(|t| t.kind == TrackerKind::Script)
        .filter(|t| {
            snap.trackers
                .iter()
                .any(|s| s.kind == TrackerKind::Script && s.name == t.name && s.up.is_none())
        })
        .count();
    let _ = writeln!(out, "   Number of track scripts init = {scripts_init}");
    let last = i.last_transition.unwrap_or(snap.process.start_time);
    let _ = writeln!(out, "   Last transition = {}", keepalived_time(last));
    match i.read_timeout {
        Some(t) => {
            let _ = writeln!(out, "   Read timeout = {}", keepalived_time(t));
        }
        None => out.push_str("   Read timeout = DISABLED\n"),
    }
    let _ = writeln!(
        out,
        "   Master down timer = {} usecs",
        i.master_down_interval.as_micros()
    );
    if let Some(v) = &i.vmac_ifname {
        let _ = writeln!(
            out,
            "   Use VMAC, i/f name {v}, is_up = {}, xmit_base = false",
            tf(i.state != State::Fault)
        );
    }
    if i.use_vmac_addr {
        out.push_str("   Use VMAC for VIPs on other interfaces\n");
    }
}

fn interface_lines(i: &InstanceView, out: &mut String) {
    if i.interface.is_empty() {
        out.push_str("   Interface = not configured\n");
    } else {
        let _ = writeln!(out, "   Interface = {}", i.interface);
    }
    if i.dont_track_primary {
        out.push_str("   VRRP interface tracking disabled\n");
    }
    if i.skip_check_adv_addr {
        out.push_str("   Skip checking advert IP addresses\n");
    }
    if i.strict_mode {
        out.push_str("   Enforcing strict VRRP compliance\n");
    }
    let _ = writeln!(
        out,
        "   Using src_ip = {}{}",
        i.source_addr,
        yes_no(i.source_from_config, " (from configuration)", "")
    );
    if let Some(group) = i.multicast_group {
        let _ = writeln!(out, "   Multicast address {group}");
    }
    garp_lines(out, "   ", "refresh", &i.advert.garp);
    let _ = writeln!(
        out,
        "   Down timer adverts = {}",
        i.advert.down_timer_adverts
    );
    if let Some((all, secs)) = i.extra_if_garp {
        let on = if all { "i/f" } else { "VMAC" };
        let _ = writeln!(out, "   Gratuitous ARP for each secondary {on} = {secs}");
    }
    let _ = writeln!(
        out,
        "   Send advert after receive lower priority advert = {}",
        tf(!i.advert.lower_prio_no_advert)
    );
    let _ = writeln!(
        out,
        "   Send advert after receive higher priority advert = {}",
        tf(i.advert.higher_prio_send_advert)
    );
}

fn priority_lines(i: &InstanceView, out: &mut String) {
    let on_off = |b: bool| yes_no(b, "enabled", "disabled");
    let _ = writeln!(out, "   Virtual Router ID = {}", i.vrid);
    let _ = writeln!(out, "   Priority = {}", i.base_priority);
    let _ = writeln!(out, "   Effective priority = {}", i.effective_priority);
    let _ = writeln!(out, "   Total priority = {}", i.total_priority);
    if i.version == Version::V2 {
        let _ = writeln!(out, "   Advert interval = {} sec", i.advert_int.as_secs());
    } else {
        let _ = writeln!(
            out,
            "   Advert interval = {} milli-sec",
            i.advert_int.as_millis()
        );
    }
    if i.state == State::Backup && i.version == Version::V3 {
        let _ = writeln!(
            out,
            "   Master advert interval = {} milli-sec",
            i.master_adver_int.as_millis()
        );
    }
    let _ = writeln!(out, "   Accept = {}", on_off(i.accept));
    let _ = writeln!(out, "   Preempt = {}", on_off(!i.nopreempt));
    if !i.preempt_delay.is_zero() {
        let _ = writeln!(
            out,
            "   Preempt delay = {} secs",
            i.preempt_delay.as_secs_f64()
        );
    }
    let _ = writeln!(
        out,
        "   Promote_secondaries = {}",
        on_off(i.promote_secondaries)
    );
    match i.auth.auth_type {
        AuthType::Pass => {
            out.push_str("   Authentication type = SIMPLE_PASSWORD\n");
            let _ = writeln!(
                out,
                "   Password = {}",
                i.auth.password.as_deref().unwrap_or("")
            );
        }
        AuthType::Ah => out.push_str("   Authentication type = IPSEC_AH\n"),
        AuthType::None if i.version == Version::V2 => {
            out.push_str("   Authentication type = none\n")
        }
        _ => {}
    }
}

fn address_lines(i: &InstanceView, out: &mut String) {
    let unicast = !i.unicast_peers.is_empty();
    let set = yes_no(i.vips_set, " set", "");
    if !i.vips.is_empty() {
        let _ = writeln!(out, "   Virtual IP ({}):", i.vips.len());
        for v in &i.vips {
            let _ = writeln!(out, "     {v}{set}");
        }
    }
    if !i.evips.is_empty() {
        out.push_str("   Virtual IP Excluded :\n");
        for v in &i.evips {
            let _ = writeln!(out, "     {v}{set}");
        }
    }
    if unicast {
        let _ = writeln!(out, "   Unicast TTL = {}", i.unicast_ttl);
        let _ = writeln!(
            out,
            "   Check unicast src : {}",
            yes_no(i.advert.check_unicast_src, "yes", "no")
        );
        out.push_str("   Unicast Peer :\n");
        for p in &i.unicast_peers {
            let _ = writeln!(
                out,
                "     {} min_ttl {} max_ttl {}",
                p.addr, p.min_ttl, p.max_ttl
            );
        }
    }
    list(out, "   Virtual Routes :", &i.vroutes);
    list(out, "   Virtual Rules :", &i.vrules);
}

fn tracking_and_notify_lines(i: &InstanceView, out: &mut String) {
    tracked(
        out,
        i,
        TrackerKind::Interface,
        "   Tracked interfaces :",
        " weight",
    );
    tracked(
        out,
        i,
        TrackerKind::Script,
        "   Tracked scripts :",
        " weight",
    );
    tracked(
        out,
        i,
        TrackerKind::Mysql,
        "   Tracked MySQL checks :",
        " weight",
    );
    tracked(out, i, TrackerKind::File, "   Tracked files :", ", weight");
    tracked(
        out,
        i,
        TrackerKind::Process,
        "   Tracked processes :",
        ", weight",
    );
    let _ = writeln!(
        out,
        "   Using smtp notification = {}",
        yes_no(i.smtp_alert, "yes", "no")
    );
    let _ = writeln!(
        out,
        "   Notify deleted = {}",
        yes_no(i.notify_deleted, "Deleted", "Fault")
    );
    for n in &i.notify {
        let kind = match n.event {
            "backup" => "Backup",
            "master" => "Master",
            "fault" => "Fault",
            "stop" => "Stop",
            "deleted" => "Deleted",
            "generic" => "Generic",
            _ => "Master rx lower pri",
        };
        let _ = writeln!(out, "   {kind} state transition script = {}", n.command);
    }
    let _ = writeln!(
        out,
        "   Notify priority changes = {}",
        tf(i.notify_priority_changes)
    );
}

/// The six GARP schedule lines, global (`refresh timer`) or per instance (`refresh`).
fn garp_lines(out: &mut String, indent: &str, refresh: &str, garp: &GarpView) {
    let _ = writeln!(out, "{indent}Gratuitous ARP delay = {}", garp.delay_secs);
    let _ = writeln!(out, "{indent}Gratuitous ARP repeat = {}", garp.repeat);
    let _ = writeln!(
        out,
        "{indent}Gratuitous ARP {refresh} = {}",
        garp.refresh_secs
    );
    let _ = writeln!(
        out,
        "{indent}Gratuitous ARP refresh repeat = {}",
        garp.refresh_repeat
    );
    let _ = writeln!(
        out,
        "{indent}Gratuitous ARP lower priority delay = {}",
        garp.lower_prio_delay_secs
    );
    let _ = writeln!(
        out,
        "{indent}Gratuitous ARP lower priority repeat = {}",
        garp.lower_prio_repeat
    );
}

fn list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(title);
    out.push('\n');
    for it in items {
        let _ = writeln!(out, "     {it}");
    }
}

fn tracked(out: &mut String, i: &InstanceView, kind: TrackerKind, title: &str, sep: &str) {
    let mut first = true;
    for t in i.trackers.iter().filter(|t| t.kind == kind) {
        if first {
            out.push_str(title);
            out.push('\n');
            first = false;
        }
        let rev = yes_no(t.reverse, " reverse", "");
        let _ = writeln!(out, "     {}{sep} {}{rev}", t.name, t.weight);
    }
}

fn script_block(t: &TrackerSnapshot, out: &mut String) {
    let good = t.up == Some(true);
    let _ = writeln!(out, " VRRP Script = {}", t.name);
    let _ = writeln!(out, "   Command = {}", t.command.as_deref().unwrap_or(""));
    let _ = writeln!(out, "   Interval = {} sec", t.interval.as_secs());
    let _ = writeln!(out, "   Timeout = {} sec", t.timeout.as_secs());
    let _ = writeln!(out, "   Weight = {}", t.weight);
    let _ = writeln!(out, "   Rise = {}", t.rise);
    let _ = writeln!(out, "   Fall = {}", t.fall);
    // keepalived's result counter reaches `rise` when the script turns good.
    let _ = writeln!(out, "   Result = {}", if good { t.rise } else { 0 });
    out.push_str("   Insecure = no\n");
    let init = if t.up.is_none() { "INIT" } else { "unknown" };
    let _ = writeln!(out, "   Init state = {init}");
    let _ = writeln!(out, "   Status = {}", yes_no(good, "GOOD", "BAD"));
    out.push_str("   VRRP instances :\n");
    out.push_str("   Tracking instances :\n");
    for (name, weight, reverse) in &t.tracking {
        let rev = yes_no(*reverse, " reverse", "");
        let _ = writeln!(out, "     {name}, weight {weight}{rev}");
    }
    let _ = writeln!(out, "   State = {}", t.run_state.word());
}
