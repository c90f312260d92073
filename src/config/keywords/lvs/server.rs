//! The `virtual_server` and `real_server` tables.

use super::values::{self, TIMER_MAX, UINT_MAX};
use super::{apply_layered, block_end, say, Keyword};
use crate::config::lower::Lower;
use crate::config::lvs::{Forwarding, Protocol, RealServer, ServiceAddr, VirtualServer};
use crate::config::syntax::Node;

/// keepalived's `IPVS_WEIGHT_LIMIT`.
const WEIGHT_MAX: u64 = i32::MAX as u64;
/// keepalived's `LVS_MAX_TIMEOUT` (31 days).
const PERSISTENCE_MAX: u64 = 86400 * 31;
/// The IPVS schedulers keepalived knows.
const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
];

/// A keyword that is only checked (nothing of it is kept), or whose check sets a field.
macro_rules! checked {
    ($name:literal, $usage:literal, $doc:literal, $apply:expr) => {
        keyword!($name, $usage, "", $doc, $apply, |_t, _d| {})
    };
}

/// A timer (seconds, six decimals) in `[min, max]` µs; `message` (`%s` = the word) follows
/// the reader's own finding when it is rejected.
pub(super) fn timer_or(cx: &mut Lower, n: &Node, min: u64, max: u64, message: &str) -> Option<u64> {
    let tok = cx.arg(n, 0)?.clone();
    let v = values::timer(cx, &tok, min, max);
    if v.is_none() {
        say(cx, tok.span, message.replace("%s", &tok.text));
    }
    v
}

/// An unsigned integer in `[min, max]`, as [`timer_or`].
pub(super) fn unsigned_or(
    cx: &mut Lower,
    n: &Node,
    min: u64,
    max: u64,
    message: &str,
) -> Option<u64> {
    let tok = cx.arg(n, 0)?.clone();
    let v = values::unsigned(cx, &tok, min, max);
    if v.is_none() {
        say(cx, tok.span, message.replace("%s", &tok.text));
    }
    v
}

/// An optional `on|off` word (bare keyword = on); `message` when it is neither.
pub(super) fn bool_or(cx: &mut Lower, n: &Node, message: &str) -> Option<bool> {
    let Some(tok) = n.args.first() else {
        return Some(true);
    };
    let v = values::true_false(&tok.text);
    if v.is_none() {
        say(cx, tok.span, message.replace("%s", &tok.text));
    }
    v
}

/// `lb_kind` / `lvs_method` and their tunnel options, for a `virtual`, `real` or `sorry`
/// server. The method is set once its word is valid, even when an option is not.
fn forwarding(cx: &mut Lower, n: &Node, server: &str) -> Option<Forwarding> {
    let word = cx.arg(n, 0)?.clone();
    let method = match word.text.as_str() {
        "NAT" => Forwarding::Nat,
        "DR" => Forwarding::Dr,
        "TUN" => Forwarding::Tun,
        other => {
            let text = format!("PARSER : unknown [{other}] routing method for {server} server.");
            say(cx, word.span, text);
            return None;
        }
    };
    tunnel_options(cx, n, server);
    Some(method)
}

/// `type ipip|gue|gre`, `port N`, `csum|nocsum|remcsum` after `TUN`.
fn tunnel_options(cx: &mut Lower, n: &Node, server: &str) {
    let at = n.keyword.span;
    let (mut kind, mut port, mut csum) = ("ipip", 0, "nocsum");
    let mut i = 1;
    while let Some(opt) = n.args.get(i) {
        let value = n.args.get(i + 1);
        match opt.text.as_str() {
            "type" => match value.map(|v| v.text.as_str()) {
                None => return say(cx, at, format!("Missing tunnel type for {server} server.")),
                Some(t @ ("ipip" | "gue" | "gre")) => kind = t,
                Some(t) => {
                    return say(
                        cx,
                        at,
                        format!("Unknown tunnel type {t} for {server} server."),
                    )
                }
            },
            "port" => {
                let Some(v) = value else {
                    return say(
                        cx,
                        at,
                        format!("Missing port for {server} server gue tunnel."),
                    );
                };
                match values::unsigned(cx, v, 1, 65535) {
                    Some(p) => port = p,
                    None => {
                        return say(
                            cx,
                            at,
                            format!("Invalid gue tunnel port {} for {server} server.", v.text),
                        )
                    }
                }
            }
            c @ ("nocsum" | "csum" | "remcsum") => {
                csum = c;
                i += 1;
                continue;
            }
            other => {
                return say(
                    cx,
                    at,
                    format!("Invalid tunnel option {other} for {server} server."),
                )
            }
        }
        i += 2;
    }
    if (kind == "gue") != (port != 0) {
        say(
            cx,
            at,
            "gue tunnels require port, otherwise cannot have port.",
        );
    } else if kind == "ipip" && csum != "nocsum" {
        say(cx, at, "ipip tunnels do not support checksum option.");
    } else if kind == "gre" && csum == "remcsum" {
        say(cx, at, "gre tunnels do not support remote checksum option.");
    }
}

/// `lb_algo` / `lvs_sched`.
fn scheduler(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let Some(tok) = cx.arg(n, 0) else { return };
    let word = tok.text.to_string();
    if SCHEDULERS.contains(&word.as_str()) {
        vs.scheduler = Some(word);
    } else {
        say(
            cx,
            tok.span,
            format!("Invalid lvs_scheduler '{word}' - ignoring"),
        );
    }
}

/// `hashed`, `ops`, `flag-N`, `sh-port`, … (scheduler flags; the sh/mh ones need that
/// scheduler written before them).
fn scheduler_flag(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let word = n.keyword.text.as_str();
    match word {
        "ops" => vs.one_packet = true,
        "flag-1" | "flag-2" | "flag-3" => {}
        _ if matches!(vs.scheduler.as_deref(), Some("sh" | "mh")) => {}
        _ => say(
            cx,
            n.keyword.span,
            format!("{word} only applies to sh scheduler - ignoring"),
        ),
    }
}

/// `ip_family inet|inet6`.
fn ip_family(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let Some(tok) = cx.arg(n, 0).cloned() else {
        return;
    };
    let v6 = match tok.text.as_str() {
        "inet" => false,
        "inet6" => true,
        other => return say(cx, tok.span, format!("unknown address family {other}")),
    };
    if vs.ipv6.is_some_and(|f| f != v6) {
        let text = format!(
            "Virtual server specified family {} conflicts with server family",
            tok.text
        );
        return say(cx, tok.span, text);
    }
    vs.ipv6 = Some(v6);
}

/// `persistence_timeout [SECONDS]`.
fn persistence_timeout(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let Some(tok) = n.args.first().cloned() else {
        vs.persistence = true;
        return;
    };
    match values::unsigned(cx, &tok, 1, PERSISTENCE_MAX) {
        Some(_) => vs.persistence = true,
        None => say(cx, tok.span, "persistence_timeout invalid"),
    }
}

/// `persistence_granularity MASK` (an IPv4 netmask, or an IPv6 prefix length).
fn persistence_granularity(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let Some(tok) = cx.arg(n, 0).cloned() else {
        return;
    };
    let v6 = vs.ipv6.unwrap_or(!tok.text.contains('.'));
    let ok = if v6 {
        let quiet = &mut Lower::new();
        values::unsigned(quiet, &tok, 1, 128).is_some()
    } else {
        values::inet_aton(&tok.text)
    };
    if !ok {
        let family = if v6 { "IPv6" } else { "IPv4" };
        say(
            cx,
            tok.span,
            format!(
                "Invalid {family} persistence_granularity specified - {}",
                tok.text
            ),
        );
        return;
    }
    vs.ipv6.get_or_insert(v6);
    vs.persistence = true;
}

/// `protocol TCP|UDP|SCTP` (any case).
fn protocol(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let Some(tok) = cx.arg(n, 0) else { return };
    vs.protocol = match tok.text.to_ascii_uppercase().as_str() {
        "TCP" => Some(Protocol::Tcp),
        "UDP" => Some(Protocol::Udp),
        "SCTP" => Some(Protocol::Sctp),
        _ => {
            let text = format!("Unknown protocol {} - ignoring", tok.text);
            return say(cx, tok.span, text);
        }
    };
}

/// `quorum_up` / `quorum_down` / `notify_up` / `notify_down`: a script, given once.
fn script_once(cx: &mut Lower, n: &Node, group: &str, already: &mut bool) {
    let Some(tok) = cx.arg(n, 0) else { return };
    if *already {
        let kw = &n.keyword.text;
        let text = format!(
            "({group}) {kw} script already specified - ignoring {}",
            tok.text
        );
        return say(cx, n.keyword.span, text);
    }
    *already = true;
    let command = tok.text.to_string();
    cx.lvs.scripts.push(command);
}

/// The group name keepalived prints in script messages (`(null)` when not a group).
fn group_name(vs: &VirtualServer) -> String {
    match &vs.addr {
        ServiceAddr::Group(g) => g.clone(),
        _ => "(null)".into(),
    }
}

/// `snmp_name NAME` / `virtualhost NAME` checks shared by both tables.
fn exactly_one_word(cx: &mut Lower, n: &Node, message: &str) {
    if n.args.len() != 1 {
        say(cx, n.keyword.span, message);
    }
}

/// `sorry_server IP [PORT]`.
fn sorry_server(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let Some(ip) = cx.arg(n, 0).cloned() else {
        return;
    };
    match values::socket_addr(cx, &ip.text, values::nonzero_port(n.args.get(1))) {
        Some((addr, port)) => {
            let mut s = RealServer::new(addr, port, vs.protocol);
            s.forwarding = vs.forwarding;
            vs.sorry = Some(s);
        }
        None => say(
            cx,
            ip.span,
            format!("Invalid sorry server IP address {} - skipping", ip.text),
        ),
    }
}

/// `real_server IP [PORT] { … }`.
fn real_server(cx: &mut Lower, vs: &mut VirtualServer, n: &Node) {
    let Some(ip) = cx.arg(n, 0).cloned() else {
        return;
    };
    let port_word = n.args.get(1);
    let Some((addr, port)) = values::socket_addr(cx, &ip.text, values::nonzero_port(port_word))
    else {
        let port = port_word.map_or("(null)", |p| p.text.as_str());
        let text = format!(
            "Invalid real server ip address/port {}/{port} - skipping",
            ip.text
        );
        return say(cx, ip.span, text);
    };
    if super::super::top::no_block(cx, n) {
        return;
    }
    let mut rs = RealServer::new(addr, port, vs.protocol);
    rs.forwarding = vs.forwarding;
    rs.group = group_name(vs);
    apply_layered(cx, &[REAL_SERVER], &mut rs, n.children());
    if cx.aborted {
        return;
    }
    // keepalived: a real server of another address family than its virtual server is
    // dropped, unless it is tunnelled.
    if rs.forwarding != Some(Forwarding::Tun) {
        match vs.ipv6 {
            None => vs.ipv6 = Some(addr.is_ipv6()),
            Some(v6) if v6 != addr.is_ipv6() => {
                let text = format!("Address family of virtual server and real server {addr} don't match - skipping real server.");
                return say(cx, block_end(n), text);
            }
            Some(_) => {}
        }
    }
    vs.real_servers.push(rs);
}

/// keepalived's end of a `virtual_server` block: a sorry server of the wrong family goes.
pub(super) fn virtual_server_end(
    cx: &mut Lower,
    vs: &mut VirtualServer,
    end: crate::config::span::Span,
) {
    let Some(s) = &vs.sorry else { return };
    if s.forwarding == Some(Forwarding::Tun) {
        return;
    }
    match vs.ipv6 {
        None => vs.ipv6 = Some(s.ip.is_ipv6()),
        Some(v6) if v6 != s.ip.is_ipv6() => {
            let text = format!("Address family of virtual server and sorry server {} don't match - skipping sorry server.", s.ip);
            say(cx, end, text);
            vs.sorry = None;
        }
        Some(_) => {}
    }
}

/// The `virtual_server` table.
pub static VIRTUAL_SERVER: &[Keyword<VirtualServer>] = &[
    checked!(
        "ip_family",
        "inet|inet6",
        "Address family (fwmark services).",
        ip_family
    ),
    checked!(
        "retry",
        "1-4294967295",
        "Default checker retries.",
        |cx, _t, n| {
            unsigned_or(cx, n, 1, UINT_MAX, "retry value invalid - %s");
        }
    ),
    checked!(
        "delay_before_retry",
        "SECONDS",
        "Default delay before a retry.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                0,
                TIMER_MAX,
                "virtual server delay before retry '%s' invalid - ignoring",
            );
        }
    ),
    checked!(
        "warmup",
        "SECONDS",
        "Default random delay before the first check.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                0,
                TIMER_MAX,
                "virtual server warmup '%s' invalid - ignoring",
            );
        }
    ),
    checked!(
        "connect_timeout",
        "SECONDS",
        "Default checker connect timeout.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                1,
                UINT_MAX,
                "virtual server connect_timeout %s invalid - ignoring",
            );
        }
    ),
    checked!(
        "delay_loop",
        "SECONDS",
        "Default interval between checks.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                1,
                TIMER_MAX,
                "virtual server delay loop '%s' invalid - ignoring",
            );
        }
    ),
    checked!(
        "inhibit_on_failure",
        "",
        "Set weight 0 instead of removing failed servers.",
        |_cx, _t, _n| {}
    ),
    checked!(
        "lb_algo",
        "SCHEDULER",
        "IPVS scheduler (rr, wrr, lc, wlc, …).",
        scheduler
    ),
    checked!("lvs_sched", "SCHEDULER", "Same as lb_algo.", scheduler),
    checked!("hashed", "", "Scheduler flag (sh/mh).", scheduler_flag),
    checked!("ops", "", "One-packet scheduling (UDP).", scheduler_flag),
    checked!("flag-1", "", "Scheduler flag 1.", scheduler_flag),
    checked!("flag-2", "", "Scheduler flag 2.", scheduler_flag),
    checked!("flag-3", "", "Scheduler flag 3.", scheduler_flag),
    checked!(
        "sh-port",
        "",
        "sh scheduler: hash the port too.",
        scheduler_flag
    ),
    checked!(
        "sh-fallback",
        "",
        "sh scheduler: fall back to another server.",
        scheduler_flag
    ),
    checked!(
        "mh-port",
        "",
        "mh scheduler: hash the port too.",
        scheduler_flag
    ),
    checked!(
        "mh-fallback",
        "",
        "mh scheduler: fall back to another server.",
        scheduler_flag
    ),
    checked!("lb_kind", "NAT|DR|TUN", "Forwarding method.", |cx, t, n| {
        if let Some(f) = forwarding(cx, n, "virtual") {
            t.forwarding = Some(f)
        }
    }),
    checked!(
        "lvs_method",
        "NAT|DR|TUN",
        "Same as lb_kind.",
        |cx, t, n| {
            if let Some(f) = forwarding(cx, n, "virtual") {
                t.forwarding = Some(f)
            }
        }
    ),
    checked!(
        "persistence_engine",
        "NAME",
        "IPVS persistence engine.",
        |cx, _t, n| {
            if let Some(tok) = cx.arg(n, 0).cloned() {
                if tok.text.len() > 15 {
                    say(
                        cx,
                        tok.span,
                        format!("persistence_name too long, truncating - {}", tok.text),
                    );
                }
            }
        }
    ),
    checked!(
        "persistence_timeout",
        "[SECONDS]",
        "Client affinity time.",
        persistence_timeout
    ),
    checked!(
        "persistence_granularity",
        "MASK",
        "Client affinity netmask.",
        persistence_granularity
    ),
    checked!("protocol", "TCP|UDP|SCTP", "Service protocol.", protocol),
    checked!(
        "ha_suspend",
        "",
        "Suspend checks while the address is absent.",
        |_cx, t, _n| t.ha_suspend = true
    ),
    checked!(
        "smtp_alert",
        "[on|off]",
        "E-mail on state changes.",
        |cx, _t, n| {
            bool_or(cx, n, "Invalid virtual_server smtp_alert parameter %s");
        }
    ),
    checked!(
        "virtualhost",
        "NAME",
        "Default HTTP virtual host.",
        |cx, _t, n| {
            if n.args.is_empty() {
                say(cx, n.keyword.span, "virtual server virtualhost missing");
            }
        }
    ),
    checked!("snmp_name", "NAME", "Name in SNMP.", |cx, _t, n| {
        exactly_one_word(
            cx,
            n,
            "virtual server snmp_name missing or extra parameters",
        )
    }),
    checked!(
        "alpha",
        "",
        "Start real servers as failed.",
        |_cx, _t, _n| {}
    ),
    checked!("omega", "", "Run quorum_down on removal.", |_cx, _t, _n| {}),
    checked!(
        "quorum_up",
        "COMMAND",
        "Script run when the quorum is gained.",
        |cx, t, n| {
            let g = group_name(t);
            script_once(cx, n, &g, &mut t.quorum_up)
        }
    ),
    checked!(
        "quorum_down",
        "COMMAND",
        "Script run when the quorum is lost.",
        |cx, t, n| {
            let g = group_name(t);
            script_once(cx, n, &g, &mut t.quorum_down)
        }
    ),
    checked!(
        "quorum",
        "1-4294967295",
        "Minimum total weight of live servers.",
        |cx, t, n| {
            t.quorum = unsigned_or(
                cx,
                n,
                1,
                UINT_MAX,
                "Quorum %s must be in [1, 4294967295]. Setting to 1.",
            )
            .unwrap_or(1)
        }
    ),
    checked!(
        "hysteresis",
        "0-4294967295",
        "Quorum hysteresis.",
        |cx, t, n| {
            if let Some(v) = unsigned_or(
                cx,
                n,
                0,
                UINT_MAX,
                "Hysteresis %s must be in [0, 4294967295] - ignoring",
            ) {
                t.hysteresis = v
            }
        }
    ),
    checked!(
        "weight",
        "1-2147483647",
        "Default real server weight.",
        |cx, t, n| {
            if let Some(v) = unsigned_or(
                cx,
                n,
                1,
                WEIGHT_MAX,
                "Virtual server weight %s is outside range 1-2147483647",
            ) {
                t.weight = v
            }
        }
    ),
    checked!(
        "sorry_server",
        "IP [PORT]",
        "Server used when all real servers fail.",
        sorry_server
    ),
    checked!(
        "sorry_server_inhibit",
        "",
        "Inhibit the sorry server on failure.",
        |cx, t, n| {
            if t.sorry.is_none() {
                say(
                    cx,
                    n.keyword.span,
                    "Ignoring sorry_server inhibit used before or without sorry_server",
                )
            }
        }
    ),
    checked!(
        "sorry_server_lvs_method",
        "NAT|DR|TUN",
        "Sorry server forwarding method.",
        |cx, t, n| {
            if t.sorry.is_none() {
                return say(
                    cx,
                    n.keyword.span,
                    "sorry_server forwarding used without sorry_server",
                );
            }
            if let Some(f) = forwarding(cx, n, "sorry") {
                t.sorry.as_mut().expect("checked").forwarding = Some(f)
            }
        }
    ),
    checked!(
        "real_server",
        "IP [PORT] { … }",
        "A real server and its checkers.",
        real_server
    ),
];

/// The `real_server` table (its checkers are in [`CHECKERS`]).
pub static REAL_SERVER: &[Keyword<RealServer>] = &[
    checked!(
        "weight",
        "0-2147483647",
        "Weight of this server.",
        |cx, t, n| {
            if let Some(v) = unsigned_or(
                cx,
                n,
                0,
                WEIGHT_MAX,
                "Real server weight %s is outside range 0-2147483647",
            ) {
                t.weight = Some(v)
            }
        }
    ),
    checked!(
        "lvs_method",
        "NAT|DR|TUN",
        "Forwarding method of this server.",
        |cx, t, n| {
            if let Some(f) = forwarding(cx, n, "real") {
                t.forwarding = Some(f)
            }
        }
    ),
    checked!(
        "uthreshold",
        "0-4294967295",
        "Upper connection threshold.",
        |cx, _t, n| {
            unsigned_or(
                cx,
                n,
                0,
                UINT_MAX,
                "Invalid real_server uthreshold '%s' - ignoring",
            );
        }
    ),
    checked!(
        "lthreshold",
        "0-4294967295",
        "Lower connection threshold.",
        |cx, _t, n| {
            unsigned_or(
                cx,
                n,
                0,
                UINT_MAX,
                "Invalid real_server lthreshold '%s' - ignoring",
            );
        }
    ),
    checked!(
        "inhibit_on_failure",
        "[on|off]",
        "Weight 0 instead of removal on failure.",
        |cx, _t, n| {
            bool_or(cx, n, "Invalid inhibit_on_failure parameter %s");
        }
    ),
    checked!(
        "notify_up",
        "COMMAND",
        "Script run when the server comes up.",
        |cx, t, n| {
            let g = t.group.clone();
            script_once(cx, n, &g, &mut t.notify_up)
        }
    ),
    checked!(
        "notify_down",
        "COMMAND",
        "Script run when the server goes down.",
        |cx, t, n| {
            let g = t.group.clone();
            script_once(cx, n, &g, &mut t.notify_down)
        }
    ),
    checked!(
        "alpha",
        "[on|off]",
        "Start this server as failed.",
        |cx, _t, n| {
            bool_or(cx, n, "Invalid alpha parameter %s");
        }
    ),
    checked!("retry", "1-4294967295", "Checker retries.", |cx, _t, n| {
        unsigned_or(cx, n, 1, UINT_MAX, "retry value invalid - %s");
    }),
    checked!(
        "delay_before_retry",
        "SECONDS",
        "Delay before a retry.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                0,
                TIMER_MAX,
                "real server delay_before_retry '%s' invalid - ignoring",
            );
        }
    ),
    checked!(
        "warmup",
        "SECONDS",
        "Random delay before the first check.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                0,
                TIMER_MAX,
                "real server warmup '%s' invalid - ignoring",
            );
        }
    ),
    checked!(
        "connect_timeout",
        "SECONDS",
        "Checker connect timeout.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                1,
                UINT_MAX,
                "real server connect_timeout %s invalid - ignoring",
            );
        }
    ),
    checked!(
        "delay_loop",
        "SECONDS",
        "Interval between checks.",
        |cx, _t, n| {
            timer_or(
                cx,
                n,
                1,
                TIMER_MAX,
                "real server delay_loop '%s' invalid - ignoring",
            );
        }
    ),
    checked!(
        "smtp_alert",
        "[on|off]",
        "E-mail on state changes.",
        |cx, _t, n| {
            bool_or(cx, n, "Invalid real_server smtp_alert parameter %s");
        }
    ),
    checked!("virtualhost", "NAME", "HTTP virtual host.", |cx, _t, n| {
        if n.args.is_empty() {
            say(cx, n.keyword.span, "real server virtualhost missing");
        }
    }),
    checked!("snmp_name", "NAME", "Name in SNMP.", |cx, _t, n| {
        exactly_one_word(cx, n, "real server snmp_name missing or extra parameters")
    }),
    checked!(
        "TCP_CHECK",
        "{ … }",
        "Checker: TCP connect.",
        super::checkers::checker
    ),
    checked!(
        "HTTP_GET",
        "{ … }",
        "Checker: HTTP GET of URLs.",
        super::checkers::checker
    ),
    checked!(
        "SSL_GET",
        "{ … }",
        "Checker: HTTPS GET of URLs.",
        super::checkers::checker
    ),
    checked!(
        "MISC_CHECK",
        "{ … }",
        "Checker: a script.",
        super::checkers::checker
    ),
    checked!(
        "SMTP_CHECK",
        "{ … }",
        "Checker: SMTP HELO.",
        super::checkers::checker
    ),
    checked!(
        "DNS_CHECK",
        "{ … }",
        "Checker: a DNS query.",
        super::checkers::checker
    ),
    checked!(
        "PING_CHECK",
        "{ … }",
        "Checker: ICMP echo.",
        super::checkers::checker
    ),
    checked!(
        "UDP_CHECK",
        "{ … }",
        "Checker: a UDP exchange.",
        super::checkers::checker
    ),
    checked!(
        "FILE_CHECK",
        "{ … }",
        "Checker: a track_file's value.",
        super::checkers::checker
    ),
    checked!(
        "BFD_CHECK",
        "{ … }",
        "Checker: a bfd_instance's state.",
        super::checkers::checker
    ),
];
