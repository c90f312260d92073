//! The `nexthop …` tail of a route line (a multipath route), read as keepalived 2.2.7
//! reads it: each `nexthop` starts a path taking `via [inet|inet6] ADDR`, `dev IF`,
//! `weight 1..256` and `onlink`. On a bad value keepalived reports it and keeps the route
//! with the paths read before; a word it does not know ends the paths, and anything left
//! is "trailing nonsense". Paths with `encap` or `realms` are kept as written but not
//! installed (the route's unsupported option).

use super::routing_words::{self as words, Words};
use crate::config::lower::Lower;
use crate::config::model::NextHop;

/// What the tail held.
pub enum Hops {
    /// The paths read (fewer than written after a reported error).
    Read(Vec<NextHop>),
    /// A path uses an option this build cannot install; the cursor is on it.
    Unsupported,
}

/// Why reading one path stopped early.
enum Stop {
    /// A reported error: the path is dropped, and the ones after it.
    Error,
    Unsupported,
}

/// Reads the paths from the cursor (on the first `nexthop`) to the end of the line.
/// `family` is the route's (`Some(true)` for IPv6), fixed by the first address.
pub fn hops(cx: &mut Lower, w: &mut Words, family: &mut Option<bool>) -> Hops {
    let mut out = Vec::new();
    while w.i < w.all.len() && w.current().text == "nexthop" {
        w.i += 1;
        match one(cx, w, family) {
            Ok(hop) => out.push(hop),
            Err(Stop::Error) => return Hops::Read(out),
            Err(Stop::Unsupported) => return Hops::Unsupported,
        }
    }
    if let Some(rest) = w.all.get(w.i) {
        cx.error(
            rest.span,
            format!("Route has trailing nonsense after nexthops - {}", rest.text),
        );
    }
    Hops::Read(out)
}

/// One path's options, up to the first word that is not one.
fn one(cx: &mut Lower, w: &mut Words, family: &mut Option<bool>) -> Result<NextHop, Stop> {
    let mut hop = NextHop::default();
    while w.i < w.all.len() {
        match w.current().text.as_str() {
            "via" => hop.via = Some(via(cx, w, family)?),
            "dev" => hop.dev = Some(w.value(cx).ok_or(Stop::Error)?.text.to_string()),
            "weight" => hop.weight = Some(weight(cx, w)?),
            "onlink" => hop.onlink = true,
            "encap" | "realms" => return Err(Stop::Unsupported),
            "as" => {
                cx.error(w.current().span, "'as [to]' (nat) not supported");
                return Err(Stop::Error);
            }
            _ => break,
        }
        w.i += 1;
    }
    Ok(hop)
}

fn via(cx: &mut Lower, w: &mut Words, family: &mut Option<bool>) -> Result<std::net::IpAddr, Stop> {
    let mut v = w.value(cx).ok_or(Stop::Error)?;
    if matches!(v.text.as_str(), "inet" | "inet6") {
        let v6 = v.text == "inet6";
        if family.is_some_and(|f| f != v6) {
            cx.error(v.span, "IPv4/6 mismatch for nexthop");
            return Err(Stop::Error);
        }
        *family = Some(v6);
        v = w.value(cx).ok_or(Stop::Error)?;
    }
    let Some(a) = words::address(cx, v) else {
        cx.error(v.span, format!("invalid nexthop address {}", v.text));
        return Err(Stop::Error);
    };
    if family.is_some_and(|f| f != a.is_ipv6()) {
        cx.error(v.span, "Address family mismatch for next hop");
        return Err(Stop::Error);
    }
    *family = Some(a.is_ipv6());
    Ok(a)
}

/// `weight 1..256`.
fn weight(cx: &mut Lower, w: &mut Words) -> Result<u16, Stop> {
    let v = w.value(cx).ok_or(Stop::Error)?;
    match v.text.parse::<u16>() {
        Ok(0) => {
            cx.error(v.span, "Invalid weight 0 specified for route");
            Err(Stop::Error)
        }
        Ok(n) if n <= 256 => Ok(n),
        _ => {
            cx.error(
                v.span,
                format!("Invalid weight {} specified for route", v.text),
            );
            Err(Stop::Error)
        }
    }
}

/// A path in the words it was read from.
pub fn hop_words(h: &NextHop) -> Vec<String> {
    let mut out = vec!["nexthop".to_string()];
    if let Some(a) = h.via {
        out.extend(["via".into(), a.to_string()]);
    }
    if let Some(d) = &h.dev {
        out.extend(["dev".into(), d.clone()]);
    }
    if let Some(n) = h.weight {
        out.extend(["weight".into(), n.to_string()]);
    }
    if h.onlink {
        out.push("onlink".into());
    }
    out
}
