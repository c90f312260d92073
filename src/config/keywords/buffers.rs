//! The receive buffer keywords of `global_defs` (`vrrp_rx_bufs_policy`,
//! `vrrp_rx_bufs_multiplier`, `vrrp_netlink_{cmd,monitor}_rcv_bufs[_force]`) and the
//! instance's `kernel_rx_buf_size`, read with keepalived 2.2.7's rules and messages.

use crate::config::dump::Dumper;

/// `vrrp_netlink_*_rcv_bufs` rows: `size NAME, PREFIX, FIELD, DOC` (a byte count; 0 or
/// unset asks for keepalived's 64 KiB, or the kernel's default if larger) and
/// `force NAME, FIELD, DOC` (`SO_RCVBUFFORCE`).
macro_rules! netlink_rcv_bufs {
    (size $name:literal, $prefix:literal, $field:ident, $doc:literal) => {
        keyword!(
            $name,
            "BYTES",
            "65536 or net.core.rmem_default, the larger",
            $doc,
            |c, t, n| if let Some(v) = super::buffers::netlink_size(c, n, $prefix) {
                t.buffers.$field.bytes = v
            },
            |t, d| if t.buffers.$field.bytes != 0 {
                d.kv($name, t.buffers.$field.bytes)
            }
        )
    };
    (force $name:literal, $field:ident, $doc:literal) => {
        keyword!(
            $name,
            "[true|false]",
            "false",
            $doc,
            |c, t, n| if let Some(v) = super::buffers::force_flag(c, n) {
                t.buffers.$field.force = v
            },
            |t, d| if t.buffers.$field.force {
                d.line::<&str>($name, &[])
            }
        )
    };
}
use crate::config::lower::Lower;
use crate::config::model::{GlobalDefs, RxBufsPolicy, VrrpInstance};
use crate::config::syntax::Node;

/// A whole number in keepalived's `unsigned` range, read without a message of its own
/// (each keyword says what was wrong in its own words).
fn unsigned(text: &str) -> Option<u32> {
    text.parse::<u32>().ok()
}

/// `vrrp_rx_bufs_policy MTU|ADVERT|SIZE…`. Words add up over the line and over repeated
/// lines; a size (keepalived reads it from the first word, whichever word was not a
/// policy name) then wins over MTU and ADVERT, and MTU over ADVERT, each time with
/// keepalived's complaint.
pub fn rx_bufs_policy(cx: &mut Lower, t: &mut GlobalDefs, n: &Node) {
    if n.args.is_empty() {
        cx.warn(n.keyword.span, "vrrp_rx_bufs_policy missing");
        return;
    }
    let policy = &mut t.buffers.vrrp_rx_policy;
    let (mut mtu, mut advert, mut size) = match *policy {
        RxBufsPolicy::Kernel => (false, false, None),
        RxBufsPolicy::Mtu => (true, false, None),
        RxBufsPolicy::Advert => (false, true, None),
        RxBufsPolicy::Size(s) => (false, false, Some(s)),
    };
    for word in &n.args {
        if word.text.eq_ignore_ascii_case("MTU") {
            mtu = true;
        } else if word.text.eq_ignore_ascii_case("ADVERT") {
            advert = true;
        } else {
            match unsigned(&n.args[0].text) {
                Some(v) => size = Some(v),
                None => cx.warn(
                    word.span,
                    format!("Invalid vrrp_rx_bufs_policy {}", word.text),
                ),
            }
        }
    }
    if size.is_some() && (mtu || advert) {
        cx.warn(
            n.keyword.span,
            "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy",
        );
    } else if mtu && advert {
        cx.warn(
            n.keyword.span,
            "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT",
        );
    }
    *policy = match (size, mtu, advert) {
        (Some(s), _, _) => RxBufsPolicy::Size(s),
        (None, true, _) => RxBufsPolicy::Mtu,
        (None, false, true) => RxBufsPolicy::Advert,
        (None, false, false) => RxBufsPolicy::Kernel,
    };
}

pub fn dump_rx_bufs_policy(t: &GlobalDefs, d: &mut Dumper) {
    match t.buffers.vrrp_rx_policy {
        RxBufsPolicy::Kernel => {}
        RxBufsPolicy::Mtu => d.kv("vrrp_rx_bufs_policy", "MTU"),
        RxBufsPolicy::Advert => d.kv("vrrp_rx_bufs_policy", "ADVERT"),
        RxBufsPolicy::Size(s) => d.kv("vrrp_rx_bufs_policy", s),
    }
}

/// `vrrp_rx_bufs_multiplier N` (N ≥ 1).
pub fn rx_bufs_multiplier(cx: &mut Lower, t: &mut GlobalDefs, n: &Node) {
    if n.args.len() != 1 {
        cx.warn(n.keyword.span, "Invalid vrrp_rx_bufs_multiplier");
        return;
    }
    match unsigned(&n.args[0].text).filter(|v| *v >= 1) {
        Some(v) => t.buffers.vrrp_rx_multiplier = v,
        None => cx.warn(
            n.args[0].span,
            format!("Invalid vrrp_rx_bufs_multiplier {}", n.args[0].text),
        ),
    }
}

/// The size of a `…_rcv_bufs` line (`prefix` names it in the messages); `None` when
/// missing or invalid (reported). keepalived ignores a size of 0 (its default stays).
pub fn netlink_size(cx: &mut Lower, n: &Node, prefix: &str) -> Option<u32> {
    let Some(word) = n.args.first() else {
        cx.warn(n.keyword.span, format!("{prefix}_rcv_bufs size missing"));
        return None;
    };
    match unsigned(&word.text) {
        Some(0) => None,
        Some(v) => Some(v),
        None => {
            cx.warn(
                word.span,
                format!("{prefix}_rcv_bufs size ({}) invalid", word.text),
            );
            None
        }
    }
}

/// A `…_rcv_bufs_force [true|false]` line: bare means on; `None` when the word is not one
/// of keepalived's (true/on/yes, false/off/no; reported).
pub fn force_flag(cx: &mut Lower, n: &Node) -> Option<bool> {
    let Some(word) = n.args.first() else {
        return Some(true);
    };
    match word.text.as_str() {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        other => {
            cx.warn(
                word.span,
                format!(
                    "Invalid value '{other}' for global {} specified",
                    n.keyword.text
                ),
            );
            None
        }
    }
}

/// The instance's `kernel_rx_buf_size BYTES`.
pub fn kernel_rx_buf_size(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    match n.args.as_slice() {
        [word] if unsigned(&word.text).is_some() => {
            t.kernel_rx_buf_size = unsigned(&word.text).unwrap_or_default()
        }
        _ => cx.warn(
            n.keyword.span,
            format!("({}) invalid kernel_rx_buf_size specified", t.name),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::model::{GlobalDefs, RxBufsPolicy};

    fn global(lines: &str) -> (GlobalDefs, Vec<String>) {
        let text = format!("global_defs {{\n{lines}\n}}\n");
        let checked = crate::config::check_text(&text);
        let messages = checked
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        (checked.config.global, messages)
    }

    #[test]
    fn policy_words_follow_keepalived_precedence() {
        let (g, m) = global(" vrrp_rx_bufs_policy mtu ADVERT");
        assert_eq!(g.buffers.vrrp_rx_policy, RxBufsPolicy::Mtu);
        assert!(m
            .iter()
            .any(|m| m == "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT"));
        let (g, m) = global(" vrrp_rx_bufs_policy ADVERT\n vrrp_rx_bufs_policy 9000");
        assert_eq!(g.buffers.vrrp_rx_policy, RxBufsPolicy::Size(9000));
        assert!(m
            .iter()
            .any(|m| m == "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy"));
        let (g, m) = global(" vrrp_rx_bufs_policy lots");
        assert_eq!(g.buffers.vrrp_rx_policy, RxBufsPolicy::Kernel);
        assert!(m.iter().any(|m| m == "Invalid vrrp_rx_bufs_policy lots"));
    }

    #[test]
    fn netlink_sizes_and_force_flags() {
        let (g, _) = global(
            " vrrp_netlink_cmd_rcv_bufs 300000\n vrrp_netlink_monitor_rcv_bufs_force\n \
             vrrp_rx_bufs_multiplier 5",
        );
        assert_eq!(g.buffers.netlink_cmd.bytes, 300_000);
        assert!(!g.buffers.netlink_cmd.force);
        assert!(g.buffers.netlink_monitor.force);
        assert_eq!(g.buffers.netlink_monitor.requested(), 65_536);
        assert_eq!(g.buffers.vrrp_rx_multiplier, 5);
        let (g, m) = global(
            " vrrp_netlink_cmd_rcv_bufs big\n vrrp_netlink_cmd_rcv_bufs_force maybe\n \
             vrrp_rx_bufs_multiplier 0",
        );
        assert_eq!(g.buffers, Default::default());
        for want in [
            "vrrp_netlink_cmd_rcv_bufs size (big) invalid",
            "Invalid value 'maybe' for global vrrp_netlink_cmd_rcv_bufs_force specified",
            "Invalid vrrp_rx_bufs_multiplier 0",
        ] {
            assert!(m.iter().any(|m| m == want), "{want} in {m:?}");
        }
    }
}
