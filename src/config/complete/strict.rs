//! What `vrrp_strict` / `strict_mode` forbids, checked where keepalived 2.2.7 checks it
//! (its `vrrp_complete_instance`): RFC 3768 / RFC 5798 leave no room for
//! authentication (checked with authentication itself), a delayed preemption, a changed
//! down timer, answering lower-priority adverts or repeating gratuitous ARPs for them. A
//! setting written on the instance that strict mode forbids is reset with keepalived's
//! warning; one inherited from `global_defs` silently takes the strict value, as
//! keepalived's instance defaults do.

use super::{diag, kw_span, was_set};
use crate::config::diag::Severity;
use crate::config::lower::Lower;
use crate::config::model::{Family, Nftables, Version, VrrpInstance};
use std::time::Duration;

/// Strict-mode checks that come before the VIP checks in keepalived: IPv6 needs VRRPv3,
/// no VMAC MAC address.
///
/// keepalived 2.2.7 also means to refuse unicast peers in strict mode, but it tests its
/// "unicast" flag before setting it from the peer list, so the check never fires: unicast
/// instances run in strict mode, and so do ours (`tests/data/edge/s2-strict-unicast.conf`
/// shows `-t` agreeing).
pub(super) fn early_checks(inst: &mut VrrpInstance, cx: &mut Lower) {
    if !inst.strict_mode {
        return;
    }
    let name = inst.name.clone();
    if inst.family == Family::Ipv6 && inst.version == Version::V2 {
        cx.push(diag(
            Severity::Warning,
            kw_span(cx, inst, "version"),
            format!("({name}) cannot use IPv6 with VRRP version 2; setting version 3"),
        ));
        inst.version = Version::V3;
    }
    if let Some(mac) = inst.use_vmac.as_mut().and_then(|v| v.mac.take()) {
        cx.push(diag(
            Severity::Warning,
            kw_span(cx, inst, "use_vmac"),
            format!("({name}): cannot specify MAC address with strict mode - clearing"),
        ));
        drop(mac);
    }
}

/// The first IPv6 VIP of a multicast instance should be link-local (RFC 5798 §5.2.9); in
/// strict mode keepalived reports it as a configuration error, else it only logs it.
pub(super) fn first_ipv6_vip_link_local(inst: &VrrpInstance, cx: &mut Lower) {
    let Some(first) = inst.virtuals.virtual_ipaddress.first() else {
        return;
    };
    let link_local = match first.addr {
        std::net::IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
        std::net::IpAddr::V4(_) => return,
    };
    if inst.strict_mode && !link_local && !inst.is_unicast() {
        let name = &inst.name;
        cx.push(
            diag(
                Severity::Warning,
                kw_span(cx, inst, "virtual_ipaddress"),
                format!("({name}) the first IPv6 VIP address must be link local"),
            )
            .with_hint("put a fe80::/10 address first in virtual_ipaddress"),
        );
    }
}

/// Strict-mode resets of keepalived's later checks (preemption delay, down timer, accept
/// mode, lower-priority advert handling), then the firewall fallback: an instance that
/// does not accept packets to its VIPs, or has a VMAC, needs nftables, table `keepalived`
/// unless named.
pub(super) fn late_checks(inst: &mut VrrpInstance, nft: &mut Nftables, cx: &mut Lower) {
    if inst.strict_mode {
        reset_delays(inst, cx);
        reset_lower_priority_handling(inst, cx);
        if inst.accept == Some(true) && inst.priority != 255 && inst.version == Version::V2 {
            warn_reset(
                inst,
                cx,
                "accept",
                "warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting",
            );
            inst.accept = Some(false);
        }
    }
    // keepalived only logs this (the daemon does, at start-up), it is no finding of `-t`.
    // A VMAC needs the table too: its multicast reports are redirected there.
    if (!inst.accepts() || inst.use_vmac.is_some()) && nft.table.is_none() {
        nft.table = Some(Nftables::DEFAULT_TABLE.into());
        nft.implied = true;
    }
}

fn warn_reset(inst: &VrrpInstance, cx: &mut Lower, kw: &str, what: &str) {
    let name = &inst.name;
    cx.push(diag(
        Severity::Warning,
        kw_span(cx, inst, kw),
        format!("({name}) {what}"),
    ));
}

fn reset_delays(inst: &mut VrrpInstance, cx: &mut Lower) {
    if !inst.preempt_delay.is_zero() {
        warn_reset(
            inst,
            cx,
            "preempt_delay",
            "preempt_delay is incompatible with strict mode - resetting",
        );
        inst.preempt_delay = Duration::ZERO;
    }
    if inst.advert.down_timer_adverts != 3 {
        if was_set(cx, inst, "down_timer_adverts") {
            warn_reset(
                inst,
                cx,
                "down_timer_adverts",
                "down_timer_adverts is incompatible with strict mode - resetting",
            );
        }
        inst.advert.down_timer_adverts = 3;
    }
}

/// Each setting: written on the instance and forbidden → warning and reset; inherited →
/// the strict value without a word.
fn reset_lower_priority_handling(inst: &mut VrrpInstance, cx: &mut Lower) {
    let garp = &inst.advert.garp;
    let forbidden = [
        (
            "garp_lower_prio_repeat",
            garp.lower_prio_repeat != 0,
            "Strict mode requires no repeat garps. resetting",
        ),
        (
            "garp_lower_prio_delay",
            !garp.lower_prio_delay.is_zero(),
            "Strict mode requires no repeat garp delay. resetting",
        ),
        (
            "lower_prio_no_advert",
            !inst.advert.lower_prio_no_advert,
            "Strict mode requires no lower priority advert. resetting",
        ),
        (
            "higher_prio_send_advert",
            inst.advert.higher_prio_send_advert,
            "strict mode requires higher_prio_send_advert to be clear. resetting",
        ),
    ];
    for (kw, bad, what) in forbidden {
        if bad && was_set(cx, inst, kw) {
            warn_reset(inst, cx, kw, what);
        }
    }
    inst.advert.garp.lower_prio_repeat = 0;
    inst.advert.garp.lower_prio_delay = Duration::ZERO;
    inst.advert.lower_prio_no_advert = true;
    inst.advert.higher_prio_send_advert = false;
}

#[cfg(test)]
mod tests {
    use crate::config::check_text;

    #[test]
    fn strict_mode_implies_the_default_table_and_drops_accept() {
        let cfg = check_text(
            "global_defs {\n vrrp_strict\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n \
             virtual_ipaddress {\n 198.18.0.1\n }\n}\n",
        )
        .config;
        let inst = &cfg.instances[0];
        assert!(!inst.accepts());
        assert!(inst.advert.lower_prio_no_advert);
        assert_eq!(cfg.global.nftables.table.as_deref(), Some("keepalived"));
        assert!(cfg.global.nftables.implied);
        // Implied, so `-d` does not write it back.
        assert!(!crate::config::dump_config(&cfg).contains("nftables"));
    }

    #[test]
    fn nftables_keywords_are_typed_and_the_owner_always_accepts() {
        let cfg = check_text(
            "global_defs {\n nftables_priority 7\n nftables fw\n nftables_priority -9\n \
             nftables_counters\n nftables_ifindex\n}\nvrrp_instance A {\n interface eth0\n \
             virtual_router_id 1\n priority 255\n no_accept\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n",
        )
        .config;
        let nft = &cfg.global.nftables;
        assert_eq!(
            (
                nft.table.as_deref(),
                nft.priority,
                nft.counters,
                nft.ifindex,
                nft.implied
            ),
            (Some("fw"), -9, true, true, false)
        );
        assert!(cfg.instances[0].accepts());
        let dumped = crate::config::dump_config(&cfg);
        assert!(
            dumped.contains("nftables fw") && dumped.contains("nftables_priority -9"),
            "{dumped}"
        );
    }

    #[test]
    fn legacy_vrrp_iptables_means_the_default_table() {
        let checked = check_text("global_defs {\n vrrp_iptables IN OUT\n nftables other\n}\n");
        assert_eq!(
            checked.config.global.nftables.table.as_deref(),
            Some("keepalived")
        );
        let messages: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("iptables not supported")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m == "nftables already specified - ignoring"),
            "{messages:?}"
        );
    }
}
