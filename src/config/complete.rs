//! Completion and cross-checks: what keepalived's `vrrp_complete_instance` and friends do
//! once the whole file is read — derived defaults, invalid combinations reset with a
//! warning, references between blocks resolved.
//!
//! Messages are keepalived 2.2.7's (it prints them without a line number); ours carry the
//! span of the instance or keyword concerned.

use super::diag::{Diagnostic, Severity};
use super::lower::{fmt_decimal_secs, Lower};
use super::model::{AuthType, Config, Family, InitialState, Nftables, Version, VrrpInstance};
use super::span::Span;
use crate::vrrp::packet::V3_MAX_INTERVAL;
use rustc_hash::{FxHashMap, FxHashSet};
use std::time::Duration;

mod strict;

fn kw_span(cx: &Lower, inst: &VrrpInstance, kw: &str) -> Option<Span> {
    cx.spans.instance_keyword(&inst.name, kw)
}

fn was_set(cx: &Lower, inst: &VrrpInstance, kw: &str) -> bool {
    kw_span(cx, inst, kw).is_some()
}

fn diag(sev: Severity, span: Option<Span>, msg: String) -> Diagnostic {
    Diagnostic::new(sev, span, msg)
}

/// All of completion, for callers without host checks: what keepalived does while reading
/// ([`parsed_scripts`], [`parsed_instances`]) and once the whole file is read ([`complete_init`]).
pub fn complete(cfg: &mut Config, cx: &mut Lower) {
    parsed_scripts(cfg, cx);
    parsed_instances(cfg, cx);
    complete_init(cfg, cx);
}

/// What keepalived checks at the end of each `vrrp_script` block (before resolving its user).
pub fn parsed_scripts(cfg: &mut Config, cx: &mut Lower) {
    if !cx.aborted {
        check_scripts(cfg, cx);
    }
}

/// What keepalived checks while reading each instance: `track_script` references (resolved
/// against the scripts that survived their own checks) and its end-of-block checks.
pub fn parsed_instances(cfg: &mut Config, cx: &mut Lower) {
    if cx.aborted {
        return;
    }
    let script_names: FxHashSet<&str> = cfg.scripts.iter().map(|s| s.name.as_str()).collect();
    for inst in cfg.instances.iter_mut() {
        resolve_track_scripts(inst, cx, &script_names);
        instance_block_end(inst, cx);
    }
}

/// keepalived's `vrrp_complete_init`: derived defaults and cross-checks once the whole file is
/// read. keepalived does not get here when a configured interface is missing.
pub fn complete_init(cfg: &mut Config, cx: &mut Lower) {
    if cx.aborted {
        return;
    }
    for inst in cfg.instances.iter_mut() {
        complete_instance(inst, &mut cfg.global.nftables, cx);
    }
    check_duplicate_vrids(cfg, cx);
    check_sync_groups(cfg, cx);
}

/// The checks of keepalived's end-of-`vrrp_instance` handler, reported at the block's `}`.
fn instance_block_end(inst: &mut VrrpInstance, cx: &mut Lower) {
    let name = inst.name.clone();
    let block_end = cx
        .spans
        .instance_end(&name)
        .or(cx.spans.instances.get(&name).copied());
    let unicast_kw = ["unicast_src_ip", "unicast_peer"]
        .iter()
        .any(|k| was_set(cx, inst, k));
    if (inst.use_vmac.is_some() || inst.use_ipvlan.is_some()) && unicast_kw {
        if inst.interface.is_none() {
            cx.push(
                diag(
                    Severity::Warning,
                    block_end,
                    format!("({name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac"),
                )
                .with_hint("a VMAC is created on top of 'interface'; name one, or drop use_vmac"),
            );
            inst.use_vmac = None;
            inst.use_ipvlan = None;
        } else if !inst.vmac_xmit_base {
            cx.push(
                diag(
                    Severity::Warning,
                    block_end,
                    format!("({name}) unicast with use_vmac requires vmac_xmit_base - setting"),
                )
                .with_hint("add 'vmac_xmit_base' to the instance to make this explicit"),
            );
            inst.vmac_xmit_base = true;
        }
    }
    if inst.addressing.unicast_peer.is_empty() && was_set(cx, inst, "unicast_ttl") {
        cx.push(
            diag(
                Severity::Warning,
                block_end,
                format!("({name}): Cannot use unicast_ttl without unicast peers - resetting"),
            )
            .with_hint(
                "unicast_ttl applies to unicast adverts only; add unicast_peer or remove it",
            ),
        );
        inst.addressing.unicast_ttl = 255;
    }
}

/// Fills derived defaults and resets invalid combinations, as keepalived does, in its
/// order.
fn complete_instance(inst: &mut VrrpInstance, nft: &mut Nftables, cx: &mut Lower) {
    let at = cx.spans.instances.get(&inst.name).copied();
    let name = inst.name.clone();
    if inst.virtual_router_id == 0 {
        cx.push(
            diag(
                Severity::Error,
                at,
                format!("({name}) the virtual router id must be set"),
            )
            .with_hint(
                "add 'virtual_router_id N' (1-255), the same on every node of this virtual router",
            )
            .stopping_daemon(),
        );
        return;
    }
    // keepalived 2.2.7 makes this check before it marks an instance unicast, so a unicast
    // instance without an interface is refused too.
    if inst.interface.is_none() {
        cx.push(
            diag(Severity::Error, at, format!("({name}) Unknown interface!"))
                .with_hint("add 'interface IFNAME' (keepalived 2.2.7 requires one, unicast or not)")
                .stopping_daemon(),
        );
    }
    derive_state_and_family(inst, cx);
    if inst.strict_mode
        && was_set(cx, inst, "state")
        && ((inst.state == InitialState::Master) != (inst.priority == 255))
    {
        cx.push(
            diag(
                Severity::Warning,
                kw_span(cx, inst, "state"),
                format!("({name}) State MASTER must match being address owner"),
            )
            .with_hint("with vrrp_strict only the address owner (priority 255) starts as MASTER"),
        );
        inst.state = if inst.priority == 255 {
            InitialState::Master
        } else {
            InitialState::Backup
        };
    }
    let unicast_kw = ["unicast_src_ip", "unicast_peer"]
        .iter()
        .any(|k| was_set(cx, inst, k));
    if inst.addressing.unicast_peer.is_empty()
        && unicast_kw
        && !inst.addressing.unicast_fault_no_peer
    {
        let sp = kw_span(cx, inst, "unicast_src_ip").or(kw_span(cx, inst, "unicast_peer"));
        cx.push(diag(Severity::Warning, sp, format!(
            "({name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration."))
            .with_hint("add a unicast_peer { … } block, or remove unicast_src_ip"));
    }
    complete_advert_int(inst, cx);
    complete_authentication(inst, cx);
    strict::early_checks(inst, cx);
    strict::first_ipv6_vip_link_local(inst, cx);
    clear_vrf_unless_unicast_without_interface(inst, cx);
    complete_preemption(inst, cx);
    strict::late_checks(inst, nft, cx);
    if inst.virtuals.virtual_ipaddress.is_empty() {
        let required =
            inst.version == Version::V3 || inst.family == Family::Ipv6 || inst.strict_mode;
        let (sev, what) = if required {
            (Severity::Error, "required")
        } else {
            (Severity::Warning, "sensible")
        };
        let d = diag(
            sev,
            at,
            format!("({name}) No VIP specified; at least one is {what}"),
        )
        .with_hint("add a virtual_ipaddress { … } block");
        cx.push(if required { d.stopping_daemon() } else { d });
    }
    drop_own_track_interface(inst, cx, at);
    vip_use_vmac_checks(inst, cx, at);
    ipvlan_address_check(inst, cx, at);
}

/// keepalived keeps `vrf` only for a unicast instance without an interface, and clears it
/// with a warning otherwise.
fn clear_vrf_unless_unicast_without_interface(inst: &mut VrrpInstance, cx: &mut Lower) {
    if inst.vrf.is_none() || (inst.interface.is_none() && inst.is_unicast()) {
        return;
    }
    let what = if inst.interface.is_some() {
        "out interface"
    } else {
        " unicast"
    };
    let msg = format!(
        "({}) vrf can only be specified with{what} - clearing",
        inst.name
    );
    cx.push(
        diag(Severity::Error, kw_span(cx, inst, "vrf"), msg)
            .with_hint("the VRF of an instance with an interface is the interface's own VRF"),
    );
    inst.vrf = None;
}

/// An address's own `use_vmac` is redundant where the instance's `use_vmac` (for one of
/// its family on its interface) or `use_vmac_addr` (for the others) already puts it on a
/// VMAC: keepalived says so and goes on.
fn vip_use_vmac_checks(inst: &VrrpInstance, cx: &mut Lower, at: Option<Span>) {
    let v = &inst.virtuals;
    for a in v
        .virtual_ipaddress
        .iter()
        .chain(&v.virtual_ipaddress_excluded)
    {
        if !a.flags.iter().any(|f| f == "use_vmac") {
            continue;
        }
        let on_own = a.dev.is_none() || a.dev == inst.interface;
        let same_family = Family::of(&a.addr) == inst.family;
        let what = if on_own && same_family && inst.use_vmac.is_some() {
            format!(
                "use_vmac specified for VIP/eVIP {}/{} and vrrp instance",
                a.addr, a.prefix
            )
        } else if (!on_own || !same_family) && inst.use_vmac_addr {
            format!(
                "use_vmac_addr specified and use_vmac specified for VIP/eVIP {}/{}",
                a.addr, a.prefix
            )
        } else {
            continue;
        };
        cx.push(
            diag(Severity::Warning, at, format!("({}) {what}", inst.name))
                .with_hint("remove the address's use_vmac: the instance already puts it on a VMAC"),
        );
    }
}

/// An IPv4 ipvlan needs an address of its own to send adverts from, of the instance's
/// family; keepalived keeps the instance in FAULT without one (so does the daemon: the
/// ipvlan is then never made).
fn ipvlan_address_check(inst: &VrrpInstance, cx: &mut Lower, at: Option<Span>) {
    let Some(v) = &inst.use_ipvlan else { return };
    let name = &inst.name;
    let problem = match v.address {
        None if inst.family == Family::Ipv4 => {
            "IPv4 ipvlan requires a source ip address to be configured"
        }
        Some((a, _)) if Family::of(&a) != inst.family => {
            "IPv4 ipvlan address family does not match instance"
        }
        _ => return,
    };
    cx.push(
        diag(
            Severity::Warning,
            at,
            format!("({name}) {problem}. setting instance to fault state"),
        )
        .with_hint(
            "give use_ipvlan an address of the instance's family, e.g. 'use_ipvlan 198.18.0.50/24'",
        ),
    );
}

/// Priority and state derive from each other (1.2.20+); family and version from the
/// addresses.
fn derive_state_and_family(inst: &mut VrrpInstance, cx: &Lower) {
    if !was_set(cx, inst, "priority") && inst.state == InitialState::Master {
        inst.priority = 255;
    }
    if !was_set(cx, inst, "state") && inst.priority == 255 {
        inst.state = InitialState::Master;
    }
    if let Some(first) = inst.virtuals.virtual_ipaddress.first() {
        inst.family = Family::of(&first.addr);
    }
    if inst.native_ipv6 {
        inst.family = Family::Ipv6;
    }
    if inst.family == Family::Ipv6 && !was_set(cx, inst, "version") {
        inst.version = Version::V3;
    }
}

/// VRRPv2 carries whole seconds, VRRPv3 centiseconds up to [`V3_MAX_INTERVAL`].
fn complete_advert_int(inst: &mut VrrpInstance, cx: &mut Lower) {
    let name = &inst.name;
    if inst.version == Version::V2 && inst.advert_int.subsec_micros() != 0 {
        let secs = inst.advert_int.as_secs_f64();
        cx.push(
            diag(
                Severity::Warning,
                kw_span(cx, inst, "advert_int"),
                format!(
            "({name}) VRRPv2 advertisement interval {secs:.6}s must be an integer. rounding"),
            )
            .with_hint("VRRPv2 carries whole seconds; use 'version 3' for sub-second adverts"),
        );
        let rounded = (inst.advert_int.as_micros() + 500_000) / 1_000_000;
        inst.advert_int = Duration::from_secs(rounded.max(1) as u64);
    }
    if inst.version == Version::V3 && inst.advert_int > V3_MAX_INTERVAL {
        cx.push(diag(
            Severity::Warning,
            kw_span(cx, inst, "advert_int"),
            format!(
                "({name}) VRRPv3 advertisement interval {} out of range - using {}",
                fmt_decimal_secs(inst.advert_int, false),
                fmt_decimal_secs(V3_MAX_INTERVAL, false)
            ),
        ));
        inst.advert_int = V3_MAX_INTERVAL;
    }
}

/// Authentication is VRRPv2-only, not strict, and needs a password; AH rules out an
/// initial MASTER state for a non-owner.
fn complete_authentication(inst: &mut VrrpInstance, cx: &mut Lower) {
    let name = inst.name.clone();
    if inst.authentication.auth_type != AuthType::None {
        let problem = if inst.version == Version::V3 {
            Some((
                "VRRP version 3 does not support authentication. Ignoring.",
                Some("remove the authentication block (VRRPv3 has no authentication)"),
            ))
        } else if inst.strict_mode {
            Some((
                "Strict mode does not support authentication. Ignoring.",
                None,
            ))
        } else if inst.authentication.auth_pass.is_none() {
            Some((
                "Authentication specified but no password given. Ignoring",
                Some("add 'auth_pass SECRET' (up to 8 characters)"),
            ))
        } else {
            None
        };
        if let Some((msg, hint)) = problem {
            let mut d = diag(
                Severity::Warning,
                kw_span(cx, inst, "auth_type"),
                format!("({name}) {msg}"),
            );
            if let Some(hint) = hint {
                d = d.with_hint(hint);
            }
            cx.push(d);
            inst.authentication.auth_type = AuthType::None;
            inst.authentication.auth_pass = None;
        }
    } else if inst.authentication.auth_pass.is_some() && inst.version == Version::V2 {
        // keepalived ignores a password without auth_type.
        inst.authentication.auth_pass = None;
    }
    if inst.authentication.auth_type == AuthType::Ah
        && inst.state == InitialState::Master
        && inst.priority != 255
    {
        cx.push(diag(
            Severity::Warning,
            kw_span(cx, inst, "state"),
            format!(
                "({name}) Initial state master is incompatible with AH authentication - clearing"
            ),
        ));
        inst.state = InitialState::Backup;
    }
}

/// An owner always preempts; a delayed or disabled preemption cannot start as MASTER.
fn complete_preemption(inst: &mut VrrpInstance, cx: &mut Lower) {
    let name = inst.name.clone();
    if inst.nopreempt && inst.priority == 255 {
        cx.push(diag(
            Severity::Warning,
            kw_span(cx, inst, "nopreempt"),
            format!("({name}) nopreempt is incompatible with priority 255. resetting nopreempt"),
        ));
        inst.nopreempt = false;
    }
    // keepalived checks both against the state as written, nopreempt first.
    let master = inst.state == InitialState::Master;
    if inst.nopreempt && master {
        cx.push(
            diag(
                Severity::Warning,
                kw_span(cx, inst, "nopreempt"),
                format!(
            "({name}) Warning - nopreempt will not work with initial state MASTER - clearing"),
            )
            .with_hint("use 'state BACKUP' on every node with nopreempt"),
        );
        inst.state = InitialState::Backup;
    }
    if !inst.preempt_delay.is_zero() && master {
        cx.push(diag(
            Severity::Warning,
            kw_span(cx, inst, "preempt_delay"),
            format!(
            "({name}) Warning - preempt delay will not work with initial state MASTER - clearing"),
        ));
        inst.state = InitialState::Backup;
    }
}

/// An instance does not track its own interface (it follows it anyway).
fn drop_own_track_interface(inst: &mut VrrpInstance, cx: &mut Lower, at: Option<Span>) {
    let Some(own) = inst.interface.clone() else {
        return;
    };
    let before = inst.track.interface.len();
    inst.track.interface.retain(|t| t.name != own);
    if inst.track.interface.len() != before {
        let name = &inst.name;
        let sp = cx
            .spans
            .track_refs
            .get(&(name.clone(), own.clone()))
            .copied()
            .or(at);
        cx.push(diag(
            Severity::Warning,
            sp,
            format!("({name}) Ignoring track_interface {own} since own interface"),
        ));
    }
}

/// `track_script` entries naming no (surviving) `vrrp_script` are dropped, as keepalived does
/// while reading the instance.
fn resolve_track_scripts(inst: &mut VrrpInstance, cx: &mut Lower, scripts: &FxHashSet<&str>) {
    let at = cx.spans.instances.get(&inst.name).copied();
    let name = inst.name.clone();
    let mut kept = Vec::new();
    for t in std::mem::take(&mut inst.track.script) {
        if scripts.contains(t.name.as_str()) {
            kept.push(t);
        } else {
            let sp = cx
                .spans
                .track_refs
                .get(&(name.clone(), t.name.clone()))
                .copied()
                .or(at);
            let mut d = diag(
                Severity::Warning,
                sp,
                format!("({name}) track script {} not found, ignoring...", t.name),
            );
            let mut known: Vec<&str> = scripts.iter().copied().collect();
            known.sort_unstable();
            if let Some(s) = super::diag::suggest(&t.name, known) {
                d = d.with_hint(format!("did you mean '{s}'?"));
            } else {
                d = d.with_hint("define it with vrrp_script NAME { script … }");
            }
            cx.push(d);
        }
    }
    inst.track.script = kept;
}

/// Two instances with one VRID on one interface and family would answer each other's
/// adverts.
fn check_duplicate_vrids(cfg: &Config, cx: &mut Lower) {
    let mut seen: FxHashMap<(u8, Family, Option<String>, bool), &str> = FxHashMap::default();
    for i in &cfg.instances {
        if i.virtual_router_id == 0 {
            continue;
        }
        let key = (
            i.virtual_router_id,
            i.family,
            i.interface.clone(),
            i.is_unicast(),
        );
        if i.is_unicast() {
            continue;
        }
        if let Some(first) = seen.get(&key) {
            let fam = if i.family == Family::Ipv6 {
                "IPv6"
            } else {
                "IPv4"
            };
            let sp = cx.spans.instances.get(&i.name).copied();
            cx.push(
                diag(
                    Severity::Error,
                    sp,
                    format!(
                        "{first} and {} both use VRID {} with {fam} on interface {}",
                        i.name,
                        i.virtual_router_id,
                        i.interface.as_deref().unwrap_or("(none)")
                    ),
                )
                .with_hint("give each virtual router on an interface its own virtual_router_id")
                .stopping_daemon(),
            );
        } else {
            seen.insert(key, &i.name);
        }
    }
}

fn check_sync_groups(cfg: &mut Config, cx: &mut Lower) {
    let names: FxHashSet<String> = cfg.instances.iter().map(|i| i.name.clone()).collect();
    let mut keep = Vec::new();
    for mut g in std::mem::take(&mut cfg.sync_groups) {
        let sp = cx.spans.sync_groups.get(&g.name).copied();
        if g.group.is_empty() {
            cx.push(diag(
                Severity::Warning,
                sp,
                format!("Sync group {} has no virtual router(s). removing", g.name),
            ));
            continue;
        }
        let mut members = Vec::new();
        for m in std::mem::take(&mut g.group) {
            if names.contains(&m) {
                members.push(m);
            } else {
                let mut d = diag(
                    Severity::Warning,
                    sp,
                    format!(
                        "Virtual router {m} specified in sync group {} doesn't exist - ignoring",
                        g.name
                    ),
                );
                let mut known: Vec<&str> = names.iter().map(String::as_str).collect();
                known.sort_unstable();
                if let Some(s) = super::diag::suggest(&m, known) {
                    d = d.with_hint(format!("did you mean '{s}'?"));
                }
                cx.push(d);
            }
        }
        g.group = members;
        if g.group.is_empty() {
            cx.push(diag(Severity::Warning, sp, format!(
                "Sync group {}, no matching virtual router found in group declaration - removing", g.name)));
            continue;
        }
        if g.group.len() == 1 {
            cx.push(diag(Severity::Warning, sp, format!(
                "Sync group {} has only 1 virtual router(s) - this probably isn't what you want", g.name)));
        }
        keep.push(g);
    }
    cfg.sync_groups = keep;
}

fn check_scripts(cfg: &mut Config, cx: &mut Lower) {
    let mut keep = Vec::new();
    for s in std::mem::take(&mut cfg.scripts) {
        if s.script.command.is_empty() {
            let sp = cx.spans.scripts.get(&s.name).copied();
            cx.push(
                diag(
                    Severity::Warning,
                    sp,
                    format!("No script set for vrrp_script {} - removing", s.name),
                )
                .with_hint("add 'script \"/path/to/check args\"'"),
            );
            continue;
        }
        keep.push(s);
    }
    cfg.scripts = keep;
}
