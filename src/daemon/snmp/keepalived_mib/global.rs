//! KEEPALIVED-MIB's `global` scalars (`…9586.100.5.1`) and its `emailTable`, with the
//! defaults keepalived fills in at start-up (router id = host name; with an SMTP server:
//! port 25, a 30 s timeout, `user@host` as sender).

use super::{address_bytes, address_type, text, truth, Inputs, GLOBAL};
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use std::net::{IpAddr, Ipv4Addr};

/// keepalived's SMTP port and connection timeout when `smtp_server` names none.
const SMTP_PORT: u32 = 25;
const SMTP_TIMEOUT_SECS: u32 = 30;

fn scalar(view: &mut MibView, tail: &[u32], value: Option<Value>) {
    let mut o = GLOBAL.to_vec();
    o.extend_from_slice(tail);
    view.object(o.clone());
    if let Some(v) = value {
        o.push(0);
        view.set(o, v);
    }
}

/// keepalived's tri-state alert settings: on(1), off(2), unset(3).
fn tri_state(v: Option<bool>) -> Value {
    Value::Integer(match v {
        Some(true) => 1,
        Some(false) => 2,
        None => 3,
    })
}

/// `smtp_server HOST [PORT]`: the address (IPv4 zeros when unset or a host name, which
/// this view does not resolve) and the port (0 when unset).
fn smtp_server(written: Option<&str>) -> (IpAddr, u32) {
    let Some(w) = written else {
        return (Ipv4Addr::UNSPECIFIED.into(), 0);
    };
    let mut words = w.split_whitespace();
    let addr = words
        .next()
        .and_then(|h| h.parse().ok())
        .unwrap_or(Ipv4Addr::UNSPECIFIED.into());
    let port = words
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(SMTP_PORT);
    (addr, port)
}

/// The name of the user the daemon runs as (keepalived's default sender is `user@host`).
fn user_name() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map_or_else(|| "root".to_string(), |u| u.name)
}

fn local_name() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.nodename().to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let g = &inputs.config.global;
    let email = &g.email;
    let server_set = email.smtp_server.is_some();
    let (smtp_addr, smtp_port) = smtp_server(email.smtp_server.as_deref());
    let timeout =
        email
            .smtp_connect_timeout
            .unwrap_or(if server_set { SMTP_TIMEOUT_SECS } else { 0 });
    let from = email
        .notification_email_from
        .clone()
        .or_else(|| server_set.then(|| format!("{}@{}", user_name(), local_name())));
    let version = crate::version::version_line();
    scalar(view, &[1], Some(text(&version)));
    scalar(view, &[2], Some(text(&inputs.snap.global.router_id)));
    scalar(view, &[3, 1], Some(address_type(&smtp_addr)));
    scalar(view, &[3, 2], Some(address_bytes(&smtp_addr)));
    scalar(view, &[3, 3], Some(Value::Gauge32(timeout)));
    scalar(view, &[3, 4], from.as_deref().map(text));
    let mut email_column = GLOBAL.to_vec();
    email_column.extend([3, 5, 1, 2]);
    view.object(email_column.clone());
    for (n, address) in (1..).zip(&email.notification_email) {
        let mut o = email_column.clone();
        o.push(n);
        view.set(o, text(address));
    }
    scalar(view, &[3, 6], Some(Value::Gauge32(smtp_port)));
    scalar(view, &[3, 7], Some(truth(!email.no_email_faults)));
    scalar(view, &[3, 8], Some(tri_state(email.smtp_alert)));
    scalar(view, &[3, 9], Some(tri_state(email.smtp_alert_vrrp)));
    // smtp_alert_checker: an LVS setting this build keeps no value of (always unset).
    scalar(view, &[3, 10], Some(tri_state(None)));
    scalar(view, &[4], Some(truth(g.snmp.traps)));
    // linkBeat: netlink (1), or polling (2) with the top-level `linkbeat_use_polling`.
    let polling = inputs.config.linkbeat.use_polling;
    scalar(
        view,
        &[5],
        Some(Value::Integer(if polling { 2 } else { 1 })),
    );
    // lvsFlush: false; LVS 64-bit statistics: keepalived is built with them.
    scalar(view, &[6], Some(truth(false)));
    scalar(view, &[7], Some(truth(true)));
    // netNamespace: this build does not run in a namespace of its own.
    scalar(view, &[8], Some(text("")));
    scalar(view, &[9], Some(truth(g.dbus.enabled)));
    scalar(view, &[10], Some(truth(g.dynamic_interfaces)));
    // lvsFlushOnStop: none(2).
    scalar(view, &[11], Some(Value::Integer(2)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_server_gives_address_and_port_with_keepalived_defaults() {
        let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        assert_eq!(smtp_server(None), (v4(0, 0, 0, 0), 0));
        assert_eq!(smtp_server(Some("198.18.0.25")), (v4(198, 18, 0, 25), 25));
        assert_eq!(
            smtp_server(Some("198.18.0.25 2525")),
            (v4(198, 18, 0, 25), 2525)
        );
        assert_eq!(tri_state(None), Value::Integer(3));
    }
}
