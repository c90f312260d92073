//! `bfd_instance NAME { … }`: read for its checks (and so that a `BFD_CHECK` can name it);
//! this build runs no BFD.

use super::{block_end, say, Keyword};
use crate::config::diag::Diagnostic;
use crate::config::lower::Lower;
use crate::config::model::Config;
use crate::config::syntax::Node;

/// What keepalived's end-of-block check looks at.
#[derive(Default)]
pub struct BfdInstance {
    neighbor: bool,
}

macro_rules! accepted {
    ($name:literal, $usage:literal, $doc:literal) => {
        keyword!($name, $usage, "", $doc, |_cx, _t, _n| {}, |_t, _d| {})
    };
}

fn neighbor(cx: &mut Lower, t: &mut BfdInstance, n: &Node) {
    let Some(tok) = cx.arg(n, 0) else { return };
    t.neighbor |= tok.text.parse::<std::net::IpAddr>().is_ok();
}

/// The `bfd_instance` table.
pub static BFD_INSTANCE: &[Keyword<BfdInstance>] = &[
    keyword!(
        "neighbor_ip",
        "IP",
        "",
        "The peer's address (required).",
        neighbor,
        |_t, _d| {}
    ),
    keyword!(
        "neighbour_ip",
        "IP",
        "",
        "Same as neighbor_ip.",
        neighbor,
        |_t, _d| {}
    ),
    accepted!("source_ip", "IP", "Local address."),
    accepted!("min_rx", "MS", "Minimum receive interval."),
    accepted!("min_tx", "MS", "Minimum transmit interval."),
    accepted!("idle_tx", "MS", "Idle transmit interval."),
    accepted!("multiplier", "N", "Detection multiplier."),
    accepted!("passive", "", "Do not start sessions."),
    accepted!("ttl", "N", "TTL of packets."),
    accepted!("hoplimit", "N", "Hop limit of packets."),
    accepted!("max_hops", "N", "Largest accepted hop count."),
    accepted!("weight", "W", "Weight for tracking VRRP instances."),
    accepted!("vrrp", "", "Notify the VRRP process."),
    accepted!("checker", "", "Notify the checker process."),
];

/// Reads one `bfd_instance`, noting once that BFD is not run.
pub fn bfd_instance(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    if !cfg.unsupported.iter().any(|k| k == "bfd_instance") {
        cx.push(
            Diagnostic::new(
                crate::config::diag::Severity::Notice,
                Some(n.keyword.span),
                "'bfd_instance' is checked but not run by this VRRP-only build",
            )
            .with_hint("keepalived-rs runs VRRP only; run stock keepalived with -B for BFD"),
        );
    }
    cfg.unsupported.push("bfd_instance".into());
    let Some(name) = cx.arg(n, 0).map(|t| t.text.to_string()) else {
        return;
    };
    if super::super::top::no_block(cx, n) {
        return;
    }
    let mut b = BfdInstance::default();
    cx.apply_block(BFD_INSTANCE, &mut b, n.children());
    if cx.aborted {
        return;
    }
    if !b.neighbor {
        let text = format!("Configuration error: BFD instance {name} has no neighbor address set, disabling instance");
        say(cx, block_end(n), text);
    }
    cx.lvs.bfd_instances.push(name);
}
