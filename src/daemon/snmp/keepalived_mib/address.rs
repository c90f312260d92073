//! `vrrpAddressTable` (`.2.6`): the static addresses (indexed (0, n)), then per instance
//! its virtual addresses followed by its excluded ones, numbered on from them
//! (indexed (instance, n)).
//!
//! Addresses are read back from the one form the status views keep of them, keepalived's
//! dump line (`ADDR[/LEN] [brd B] dev DEV scope SCOPE [label L] [peer P/LEN] …`).

use super::{address_bytes, address_type, text, truth, Inputs, Table};
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use crate::daemon::status::format_address;
use std::net::{IpAddr, Ipv4Addr};

/// One address line, parsed.
#[derive(Debug, PartialEq, Eq)]
struct Address {
    addr: IpAddr,
    prefix: u8,
    brd: Option<Ipv4Addr>,
    dev: String,
    scope: String,
    label: Option<String>,
    peer: Option<IpAddr>,
}

fn parse(line: &str) -> Option<Address> {
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let (addr, prefix) = match first.split_once('/') {
        Some((a, p)) => (a.parse().ok()?, p.parse().ok()?),
        None => {
            let a: IpAddr = first.parse().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let mut out = Address {
        addr,
        prefix,
        brd: None,
        dev: String::new(),
        scope: "global".into(),
        label: None,
        peer: None,
    };
    while let Some(word) = words.next() {
        match word {
            "brd" => out.brd = words.next().and_then(|b| b.parse().ok()),
            "dev" => out.dev = words.next().unwrap_or_default().to_string(),
            "scope" => out.scope = words.next().unwrap_or("global").to_string(),
            "label" => out.label = words.next().map(str::to_string),
            "peer" => {
                out.peer = words
                    .next()
                    .and_then(|p| p.split('/').next())
                    .and_then(|p| p.parse().ok())
            }
            _ => {}
        }
    }
    Some(out)
}

/// keepalived's `snmp_scope`: the kernel scope as an InetScopeType (global 14, host 1,
/// link 2, site 5, anything else 0).
pub(super) fn scope(name: &str) -> i32 {
    match name {
        "global" | "0" => 14,
        "host" | "254" => 1,
        "link" | "253" => 2,
        "site" | "200" => 5,
        _ => 0,
    }
}

struct Row<'a> {
    line: &'a str,
    set: bool,
    advertised: bool,
}

fn row(t: &mut Table<'_>, inputs: &Inputs<'_>, idx: &[u32], r: &Row<'_>) {
    let Some(a) = parse(r.line) else { return };
    t.cell(2, idx, address_type(&a.addr));
    t.cell(3, idx, address_bytes(&a.addr));
    if a.addr.is_ipv4() {
        let brd = a.brd.unwrap_or(Ipv4Addr::UNSPECIFIED);
        t.cell(4, idx, Value::OctetString(brd.octets().to_vec()));
    }
    t.cell(5, idx, Value::Gauge32(u32::from(a.prefix)));
    t.cell(6, idx, Value::Integer(scope(&a.scope)));
    let index = (inputs.facts)(&a.dev).map_or(0, |f| f.index);
    t.cell(7, idx, Value::Integer(index as i32));
    t.cell(8, idx, text(&a.dev));
    t.maybe(9, idx, a.label.as_deref().map(text));
    t.cell(10, idx, truth(r.set));
    t.cell(11, idx, truth(r.advertised));
    t.maybe(12, idx, a.peer.as_ref().map(address_bytes));
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let mut t = Table::vrrp(view, 6, &(2..=12).collect::<Vec<_>>());
    let default_dev = &inputs.snap.global.default_interface;
    for (m, a) in (1..).zip(&inputs.config.static_ipaddress) {
        let line = format_address(a, default_dev);
        let r = Row {
            line: &line,
            set: true,
            advertised: false,
        };
        row(&mut t, inputs, &[0, m], &r);
    }
    for (n, i) in (1..).zip(&inputs.snap.instances) {
        let vips = i.vips.iter().map(|l| (l, true));
        let evips = i.evips.iter().map(|l| (l, false));
        for (m, (line, advertised)) in (1..).zip(vips.chain(evips)) {
            let r = Row {
                line,
                set: i.vips_set,
                advertised,
            };
            row(&mut t, inputs, &[n, m], &r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_lines_parse_back() {
        let a = parse("198.18.0.101/24 brd 198.18.0.255 dev eth0 scope link label eth0:1").unwrap();
        assert_eq!(a.addr, "198.18.0.101".parse::<IpAddr>().unwrap());
        assert_eq!(a.prefix, 24);
        assert_eq!(a.brd, Some(Ipv4Addr::new(198, 18, 0, 255)));
        assert_eq!((a.dev.as_str(), scope(&a.scope)), ("eth0", 2));
        assert_eq!(a.label.as_deref(), Some("eth0:1"));
        let b =
            parse("fd00::1 dev eth1 scope global peer fd00::2/128 preferred_lft forever").unwrap();
        assert_eq!((b.prefix, b.peer), (128, Some("fd00::2".parse().unwrap())));
        assert_eq!(scope("nowhere"), 0);
    }
}
