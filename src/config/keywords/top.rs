//! Top-level blocks.

use super::address::{dump_address, static_address_line};
use super::route::{dump_route, static_route_line};
use super::routing_words::read_block;
use super::rule::{dump_rule, static_rule_line};
use super::{global, instance, objects, Keyword};
use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::{fmt_decimal_secs, parse_decimal_micros, KeywordSpans, Lower};
use crate::config::model::{
    Config, GarpGroup, MysqlCheck, Script, SyncGroup, TrackFile, TrackProcess, VrrpInstance,
    VrrpScript,
};
use crate::config::syntax::Node;
use std::collections::BTreeMap;
use std::time::Duration;

/// Blocks keepalived's checker and BFD processes read. This build has neither, so they are
/// skipped whole and noted once each (keepalived built without LVS does the same, louder).
pub const UNSUPPORTED_BLOCKS: &[&str] = &["real_server", "SSL", "ssl"];

/// Name argument of a named block (`vrrp_instance NAME {`); missing ⇒ keepalived aborts.
fn block_name(cx: &mut Lower, n: &Node) -> Option<String> {
    cx.arg(n, 0).map(|a| a.text.to_string())
}

pub(super) fn no_block(cx: &mut Lower, n: &Node) -> bool {
    if n.block.is_none() {
        // keepalived reads the next line looking for the '{' and reports it there.
        let at = cx.next_line.unwrap_or(n.keyword.span);
        cx.push(
            Diagnostic::error(at, "Missing '{' at beginning of configuration block")
            .with_hint(format!(
                "'{}' on line {} needs a block: end that line with '{{' and close the block with '}}'",
                n.keyword.text, n.keyword.span.line
            )),
        );
        return true;
    }
    false
}

/// The name of a named block, or `None` (reported) when its name or its block is missing.
fn named_block(cx: &mut Lower, n: &Node) -> Option<String> {
    let name = block_name(cx, n)?;
    if no_block(cx, n) {
        return None;
    }
    Some(name)
}

/// A named block whose keywords need nothing beyond its table, read into `new(name)`.
fn plain_block<T>(
    cx: &mut Lower,
    n: &Node,
    new: impl FnOnce(String) -> T,
    table: &[Keyword<T>],
) -> Option<T> {
    let mut t = new(named_block(cx, n)?);
    cx.apply_block(table, &mut t, n.children());
    Some(t)
}

fn vrrp_instance(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    let Some(name) = named_block(cx, n) else {
        return;
    };
    if cx.spans.instances.contains_key(&name) {
        cx.push(
            Diagnostic::error(
                n.args[0].span,
                format!("vrrp instance {name} already defined"),
            )
            .with_hint("instance names must be unique; rename one of them"),
        );
        return;
    }
    let mut inst = VrrpInstance::new(&name);
    inst.version = cfg.global.vrrp_version;
    inst.advert = cfg.global.advert;
    inst.strict_mode = cfg.global.vrrp_strict;
    cx.spans.instances.insert(name.clone(), n.args[0].span);
    let mut spans = KeywordSpans::with_capacity(n.children().len());
    spans.end = n.block.as_ref().and_then(|b| b.close);
    cx.spans.instance_keywords.insert(name.clone(), spans);
    cx.owner = name;
    cx.apply_block(instance::INSTANCE, &mut inst, n.children());
    cfg.instances.push(inst);
}

fn vrrp_script(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    let Some(name) = named_block(cx, n) else {
        return;
    };
    let mut s = VrrpScript {
        name: name.clone(),
        script: Script::default(),
        interval: Duration::from_secs(1),
        timeout: None,
        weight: 0,
        weight_reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
    };
    // keepalived reports findings about a finished block at its closing brace.
    let end = n
        .block
        .as_ref()
        .and_then(|b| b.close)
        .unwrap_or(n.args[0].span);
    let redefined = cx.spans.scripts.insert(name.clone(), end).is_some();
    cx.owner = name;
    cx.apply_block(objects::SCRIPT, &mut s, n.children());
    if redefined {
        // The later definition wins (rare: only then is the list searched).
        cfg.scripts.retain(|o| o.name != s.name);
    }
    cfg.scripts.push(s);
}

fn sync_group(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    let Some(name) = named_block(cx, n) else {
        return;
    };
    let mut g = SyncGroup {
        name: name.clone(),
        group: Vec::new(),
        notify_master: None,
        notify_backup: None,
        notify_fault: None,
        notify_stop: None,
        notify: None,
        smtp_alert: None,
        global_tracking: false,
        sync_group_tracking_weight: false,
        notify_priority_changes: None,
        track_interface: Vec::new(),
        track_script: Vec::new(),
        track_file: Vec::new(),
        track_process: Vec::new(),
    };
    cx.spans.sync_groups.insert(name.clone(), n.args[0].span);
    cx.owner = name;
    cx.apply_block(objects::SYNC_GROUP, &mut g, n.children());
    cfg.sync_groups.push(g);
}

fn track_file(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    let new = |name| TrackFile {
        name,
        file: String::new(),
        weight: 1,
        weight_reverse: false,
        init_file: None,
    };
    cfg.track_files
        .extend(plain_block(cx, n, new, objects::TRACK_FILE));
}

fn track_process(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    let p = plain_block(cx, n, TrackProcess::new, objects::TRACK_PROCESS);
    cfg.track_processes.extend(p);
}

fn mysql_check(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    let m = plain_block(cx, n, MysqlCheck::new, objects::MYSQL_CHECK);
    cfg.mysql_checks.extend(m);
}

/// A block this build skips: announced once per keyword (see [`super::Inert`]).
fn unsupported(cx: &mut Lower, cfg: &mut Config, n: &Node, why: super::Inert) {
    let kw = n.keyword.text.to_string();
    if n.block.is_none() {
        no_block(cx, n);
    }
    if let Some(b) = &n.block {
        let end = b.close.map_or(u32::MAX, |c| c.line);
        cx.spans.skipped_blocks.push((n.keyword.span, end));
    }
    if !cfg.unsupported.contains(&kw) {
        super::announce_inert(cx, n, why);
    }
    cfg.unsupported.push(kw);
}

/// A `garp_group` block. Nothing in it is diagnosed (as before it was typed): a setting the
/// daemon cannot use is kept as written in `other`, and a repeated keyword replaces the
/// earlier line.
fn garp_group(n: &Node) -> GarpGroup {
    let mut g = GarpGroup::default();
    for c in n.children() {
        // `interfaces { eth1 eth2 }` lists its interfaces as a block.
        let words: Vec<String> = match &c.block {
            Some(_) => c
                .children()
                .iter()
                .map(|i| i.keyword.text.to_string())
                .collect(),
            None => c.args.iter().map(|a| a.text.to_string()).collect(),
        };
        let keyword = c.keyword.text.as_str();
        g.other.remove(keyword);
        let interval = || {
            let micros = words.first().and_then(|w| parse_decimal_micros(w));
            micros.map(Duration::from_micros)
        };
        let typed = match keyword {
            "garp_interval" => {
                g.garp_interval = interval();
                g.garp_interval.is_some()
            }
            "gna_interval" => {
                g.gna_interval = interval();
                g.gna_interval.is_some()
            }
            "interface" => {
                g.interface.clone_from(&words);
                !words.is_empty()
            }
            "interfaces" => {
                g.interfaces.clone_from(&words);
                !words.is_empty()
            }
            _ => false,
        };
        if !typed {
            g.other.insert(keyword.to_string(), words);
        }
    }
    g
}

/// Prints a `garp_group` back: its settings in keyword order, as they always were.
fn dump_garp_group(g: &GarpGroup, d: &mut Dumper) {
    let secs = |v: Option<Duration>| v.map(|v| vec![fmt_decimal_secs(v, false)]);
    let mut settings: BTreeMap<&str, Vec<String>> = g
        .other
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let typed = [
        ("garp_interval", secs(g.garp_interval)),
        ("gna_interval", secs(g.gna_interval)),
        (
            "interface",
            Some(g.interface.clone()).filter(|v| !v.is_empty()),
        ),
        (
            "interfaces",
            Some(g.interfaces.clone()).filter(|v| !v.is_empty()),
        ),
    ];
    for (k, v) in typed {
        if let Some(v) = v {
            settings.insert(k, v);
        }
    }
    d.block("garp_group", |d| {
        for (k, v) in &settings {
            if *k == "interfaces" {
                d.block("interfaces", |d| {
                    v.iter().for_each(|i| d.line::<&str>(i, &[]))
                })
            } else {
                d.line(k, v)
            }
        }
    })
}

macro_rules! unsupported_block {
    ($why:ident $name:literal) => {
        keyword!(
            @inert Some(super::Inert::$why),
            $name,
            "{ … }",
            "",
            "Not supported by this build: skipped with a notice.",
            |cx, cfg, n| unsupported(cx, cfg, n, super::Inert::$why),
            |_t, _d| {}
        )
    };
}

/// A named block (`vrrp_script NAME { … }`) read by `$lower` into `cfg.$list`, each printed
/// back as a block through `$table`.
macro_rules! named_blocks {
    ($name:literal, $doc:literal, $lower:expr, $list:ident, $table:expr) => {
        keyword!($name, "NAME { … }", "", $doc, $lower, |cfg, d| {
            dump_named_blocks(d, $name, &cfg.$list, |s| &s.name, $table)
        })
    };
}

/// Prints each of `items` as a `KW NAME { … }` block through the keyword table.
fn dump_named_blocks<T>(
    d: &mut Dumper,
    kw: &str,
    items: &[T],
    name: fn(&T) -> &String,
    table: &[Keyword<T>],
) {
    for s in items {
        d.block(
            &format!("{kw} {}", crate::config::dump::quote(name(s))),
            |d| table.iter().for_each(|k| (k.dump)(s, d)),
        )
    }
}

/// `static_routes` / `static_rules`: one route or rule a line, read by `$line` and printed
/// back by `$dump`.
macro_rules! static_lines {
    ($name:literal, $usage:literal, $doc:literal, $line:ident, $dump:ident, $list:ident) => {
        keyword!(
            $name,
            $usage,
            "",
            $doc,
            |cx, cfg, n| read_block(cx, "", $name, n, &mut cfg.$list, $line),
            |cfg, d| if !cfg.$list.is_empty() {
                d.block($name, |d| cfg.$list.iter().for_each(|r| $dump(d, r)))
            }
        )
    };
}

/// The top-level table.
pub static TOP: &[Keyword<Config>] = &[
    keyword!(
        "linkbeat_use_polling",
        "",
        "off",
        "Poll the link state of every instance's interface each second (MII, else ETHTOOL, else the interface flags) instead of following netlink's link events.",
        |_cx, cfg, _n| cfg.linkbeat.use_polling = true,
        |cfg, d| if cfg.linkbeat.use_polling {
            d.line::<&str>("linkbeat_use_polling", &[])
        }
    ),
    keyword!(
        "net_namespace",
        "NAME",
        "unset",
        "Run in network namespace NAME (/var/run/netns/NAME; -s overrides); pid files go to /run/keepalived/NAME.",
        super::process_contract::net_namespace,
        super::process_contract::dump_net_namespace
    ),
    inert!(global Lvs "net_namespace_ipvs" => "Network namespace for LVS."),
    inert!(global OldKernelIpsets "namespace_with_ipsets" => "ipsets in the namespace."),
    keyword!(
        "use_pid_dir",
        "",
        "off",
        "Put pid files under /run/keepalived/ (implied by net_namespace and instance).",
        |_cx, cfg, _n| cfg.global.process.use_pid_dir = true,
        |cfg, d| if cfg.global.process.use_pid_dir {
            d.line::<&str>("use_pid_dir", &[])
        }
    ),
    keyword!(
        "instance",
        "NAME",
        "unset",
        "Instance name: pid files /run/keepalived/keepalived_NAME.pid and vrrp_NAME.pid, syslog ident Keepalived_vrrp_NAME.",
        super::process_contract::instance,
        super::process_contract::dump_instance
    ),
    inert!(global OneProcess "child_wait_time" => "Seconds to wait for children on stop."),
    keyword!(
        "global_defs",
        "{ … }",
        "",
        "Global settings.",
        |cx, cfg, n| {
            if !no_block(cx, n) {
                cx.owner.clear();
                cx.apply_block(global::GLOBAL, &mut cfg.global, n.children())
            }
        },
        |cfg, d| d.block("global_defs", |d| global::GLOBAL.iter().for_each(|k| (k
            .dump)(
            &cfg.global,
            d
        )))
    ),
    // Before the static lines: they name groups, which must be read (and printed) first.
    keyword!(
        "track_group",
        "NAME { … }",
        "",
        "A static track group: the instances of its group go to FAULT while the interface of a static address, route or rule written with 'track_group NAME' is down, and the static entries on an interface are put back when it comes up.",
        super::track_group::block,
        super::track_group::dump
    ),
    keyword!(
        "static_ipaddress",
        "{ ADDR… }",
        "",
        "Addresses added at start and kept: one deleted, or on an interface coming up, is put back unless no_track; 'track_group NAME' makes the group's instances track its interface.",
        |cx, cfg, n| for c in n.children() {
            if let Some(a) = static_address_line(cx, c) {
                cfg.static_ipaddress.push(a)
            }
        },
        |cfg, d| if !cfg.static_ipaddress.is_empty() {
            d.block("static_ipaddress", |d| {
                cfg.static_ipaddress.iter().for_each(|a| dump_address(d, a))
            })
        }
    ),
    static_lines!(
        "static_routes",
        "{ ROUTE… }",
        "Routes added at start and kept: those with dev are put back when it comes up, unless no_track; 'track_group NAME' (with dev) makes the group's instances track dev.",
        static_route_line,
        dump_route,
        static_routes
    ),
    static_lines!(
        "static_rules",
        "{ RULE… }",
        "Rules added at start and kept; 'track_group NAME' (with iif/dev) makes the group's instances track that interface.",
        static_rule_line,
        dump_rule,
        static_rules
    ),
    named_blocks!(
        "vrrp_script",
        "A health-check script tracked by instances.",
        vrrp_script,
        scripts,
        objects::SCRIPT
    ),
    named_blocks!(
        "track_file",
        "A file whose integer value is tracked.",
        track_file,
        track_files,
        objects::TRACK_FILE
    ),
    keyword!(
        "vrrp_track_file",
        "NAME { … }",
        "",
        "Deprecated name of track_file.",
        track_file,
        |_c, _d| {}
    ),
    named_blocks!(
        "vrrp_track_process",
        "A process whose presence is tracked.",
        track_process,
        track_processes,
        objects::TRACK_PROCESS
    ),
    named_blocks!(
        "mysql_check",
        "Extension: a native MySQL health check, tracked with track_mysql.",
        mysql_check,
        mysql_checks,
        objects::MYSQL_CHECK
    ),
    named_blocks!(
        "vrrp_instance",
        "A virtual router.",
        vrrp_instance,
        instances,
        instance::INSTANCE
    ),
    named_blocks!(
        "vrrp_sync_group",
        "Instances that change state together.",
        sync_group,
        sync_groups,
        objects::SYNC_GROUP
    ),
    keyword!(
        "garp_group",
        "{ … }",
        "",
        "Gratuitous ARP pacing for a set of interfaces.",
        |_cx, cfg, n| cfg.garp_groups.push(garp_group(n)),
        |cfg, d| cfg.garp_groups.iter().for_each(|g| dump_garp_group(g, d))
    ),
    keyword!(
        @inert Some(super::Inert::Lvs),
        "virtual_server",
        "IP PORT|fwmark N|group NAME { … }",
        "",
        "An LVS virtual server: checked as keepalived checks it, not run by this VRRP-only build.",
        super::lvs::virtual_server,
        |_t, _d| {}
    ),
    keyword!(
        @inert Some(super::Inert::Lvs),
        "virtual_server_group",
        "NAME { … }",
        "",
        "Addresses and fwmarks of an LVS service: checked, not run by this VRRP-only build.",
        super::lvs::virtual_server_group,
        |_t, _d| {}
    ),
    keyword!(
        @inert Some(super::Inert::Bfd),
        "bfd_instance",
        "NAME { … }",
        "",
        "A BFD session: checked, not run by this VRRP-only build.",
        super::lvs::bfd_instance,
        |_t, _d| {}
    ),
    unsupported_block!(Lvs "real_server"),
    keyword!(
        "linkbeat_interfaces",
        "{ IFNAME [MII|ETHTOOL|IOCTL] … }",
        "none",
        "Poll these interfaces' link state each second instead of following netlink's link events, trying the method named first (a driver without it falls back: MII and ETHTOOL to each other, then the interface flags); only interfaces an instance uses are polled.",
        super::linkbeat::interfaces_block,
        super::linkbeat::dump_interfaces_block
    ),
    keyword!(
        "interface_up_down_delays",
        "{ IF DOWN [UP] … }",
        "none",
        "Per interface, seconds (0-255, decimals allowed; UP defaults to 0) a link must stay down or up before its instances react; a change reverted within the delay is ignored. Each delay must be under (down_timer_adverts - 1) adverts of every instance on the interface, else it is reduced to that with a log line.",
        super::up_down_delays::read,
        super::up_down_delays::dump
    ),
    unsupported_block!(Lvs "SSL"),
];
