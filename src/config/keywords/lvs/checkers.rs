//! The checker blocks of a `real_server` (`TCP_CHECK`, `HTTP_GET`, `SSL_GET`, `MISC_CHECK`,
//! `SMTP_CHECK`, `DNS_CHECK`, `PING_CHECK`, `UDP_CHECK`, `FILE_CHECK`, `BFD_CHECK`) and their
//! nested `url { }` and `host { }` blocks. Most checkers share keepalived's connection and
//! timing keywords: those are two tables of their own, layered under each checker's.

use super::server::{bool_or, timer_or, unsigned_or};
use super::values::{self, TIMER_MAX, UINT_MAX};
use super::{apply_layered, block_end, say, Keyword};
use crate::config::lower::Lower;
use crate::config::lvs::RealServer;
use crate::config::syntax::Node;
use std::net::IpAddr;

/// What keepalived's end-of-block checks look at in one checker.
#[derive(Default)]
pub struct Checker {
    urls: usize,
    script: bool,
    /// MISC_CHECK's command line as written so far (keepalived names it in messages).
    script_text: String,
    track_file: bool,
    bfd_name: Option<String>,
    dns_name: bool,
    connect_ip: Option<IpAddr>,
    bindto: Option<IpAddr>,
    bind_if: bool,
    min_reply: Option<u64>,
    max_reply: Option<u64>,
    /// keepalived has already dropped the checker (no end-of-block checks follow).
    dropped: bool,
}

/// An HTTP_GET / SSL_GET `url { }` block.
#[derive(Default)]
pub struct Url {
    path: bool,
}

macro_rules! checked {
    ($name:literal, $usage:literal, $doc:literal, $apply:expr) => {
        keyword!($name, $usage, "", $doc, $apply, |_t, _d| {})
    };
}

/// `connect_ip` / `bindto`'s address (`which` names the keyword in the message).
fn address(cx: &mut Lower, n: &Node, which: &str) -> Option<IpAddr> {
    let tok = cx.arg(n, 0)?.clone();
    let Some((ip, _)) = values::socket_addr(cx, &tok.text, None) else {
        say(
            cx,
            tok.span,
            format!("Invalid {which} address {} - ignoring", tok.text),
        );
        return None;
    };
    Some(ip)
}

/// `connect_ip IP`, of the same family as `bindto`.
fn connect_ip(cx: &mut Lower, c: &mut Checker, n: &Node) {
    let Some(ip) = address(cx, n, "connect_ip") else {
        return;
    };
    if c.bindto.is_some_and(|b| b.is_ipv6() != ip.is_ipv6()) {
        let text = format!(
            "connect_ip address {} does not match address family of bindto - skipping",
            n.args[0].text
        );
        return say(cx, n.args[0].span, text);
    }
    c.connect_ip = Some(ip);
}

/// `bindto IP`, of the same family as `connect_ip`.
fn bindto(cx: &mut Lower, c: &mut Checker, n: &Node) {
    let Some(ip) = address(cx, n, "bindto") else {
        return;
    };
    if c.connect_ip.is_some_and(|d| d.is_ipv6() != ip.is_ipv6()) {
        let text = format!(
            "bindto address {} does not match address family of connect_ip - skipping",
            n.args[0].text
        );
        return say(cx, n.args[0].span, text);
    }
    c.bindto = Some(ip);
}

/// The connection keywords (all checkers but MISC_CHECK, FILE_CHECK and BFD_CHECK).
pub static CONNECTION: &[Keyword<Checker>] = &[
    checked!(
        "connect_ip",
        "IP",
        "Address to check (default: the real server's).",
        connect_ip
    ),
    checked!("connect_port", "1-65535", "Port to check.", |cx, _t, n| {
        unsigned_or(cx, n, 1, 65535, "Invalid checker connect_port '%s'");
    }),
    checked!("bindto", "IP", "Source address of checks.", bindto),
    checked!(
        "bind_port",
        "1-65535",
        "Source port of checks.",
        |cx, _t, n| {
            unsigned_or(cx, n, 1, 65535, "Invalid checker bind_port '%s'");
        }
    ),
    checked!(
        "bind_if",
        "IFNAME",
        "Interface of a link-local address.",
        |cx, t, n| {
            if let Some(tok) = cx.arg(n, 0).cloned() {
                if tok.text.len() > 15 {
                    say(
                        cx,
                        tok.span,
                        format!("Interface name {} is too long - ignoring", tok.text),
                    );
                } else {
                    t.bind_if = true;
                }
            }
        }
    ),
    checked!(
        "connect_timeout",
        "SECONDS",
        "Connect timeout.",
        |cx, _t, n| {
            timer_or(cx, n, 1, UINT_MAX, "connect_timeout %s invalid - ignoring");
        }
    ),
    checked!(
        "fwmark",
        "0-4294967295",
        "Firewall mark of check packets.",
        |cx, _t, n| {
            unsigned_or(cx, n, 0, UINT_MAX, "Invalid fwmark connection value '%s'");
        }
    ),
];

/// The timing keywords (every checker that has connection keywords, and MISC_CHECK).
pub static TIMING: &[Keyword<Checker>] = &[
    checked!(
        "retry",
        "0-4294967295",
        "Retries before failing.",
        |cx, _t, n| {
            unsigned_or(cx, n, 0, UINT_MAX, "Invalid retry connection value '%s'");
        }
    ),
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
                "Invalid delay_before_retry connection value '%s'",
            );
        }
    ),
    checked!(
        "warmup",
        "SECONDS",
        "Random delay before the first check.",
        |cx, _t, n| {
            timer_or(cx, n, 0, TIMER_MAX, "Invalid warmup connection value '%s'");
        }
    ),
    checked!(
        "delay_loop",
        "SECONDS",
        "Interval between checks.",
        |cx, _t, n| {
            timer_or(cx, n, 1, TIMER_MAX, "delay_loop '%s' is invalid - ignoring");
        }
    ),
    checked!("alpha", "[on|off]", "Start as failed.", |cx, _t, n| {
        bool_or(cx, n, "Invalid alpha parameter %s");
    }),
    checked!(
        "log_all_failures",
        "[on|off]",
        "Log every failed check.",
        |cx, _t, n| {
            bool_or(cx, n, "Invalid log_all_failures parameter %s");
        }
    ),
];

/// `url { }`.
fn url(cx: &mut Lower, c: &mut Checker, n: &Node) {
    if super::super::top::no_block(cx, n) {
        return;
    }
    let mut u = Url::default();
    apply_layered(cx, &[HTTP_URL], &mut u, n.children());
    if cx.aborted {
        return;
    }
    if u.path {
        c.urls += 1;
    } else {
        say(
            cx,
            block_end(n),
            "HTTP/SSL_GET checker url has no path - ignoring",
        );
    }
}

/// `digest HEX`: an MD5 digest in hex.
fn digest(cx: &mut Lower, n: &Node) {
    let Some(tok) = cx.arg(n, 0).cloned() else {
        return;
    };
    let d = tok.text.as_str();
    if d.len() != 32 {
        let text = format!(
            "digest '{d}' character length should be 32 rather than {}",
            d.len()
        );
        return say(cx, tok.span, text);
    }
    if let Some(i) = d
        .as_bytes()
        .chunks(2)
        .position(|p| !p.iter().all(u8::is_ascii_hexdigit))
    {
        let text = format!(
            "Unable to interpret hex digit in '{d}' at offset {}/{}",
            2 * i,
            2 * i + 1
        );
        say(cx, tok.span, text);
    }
}

/// `status_code CODE|FROM-TO …` within 100-599.
fn status_codes(cx: &mut Lower, n: &Node) {
    for tok in &n.args {
        let (from, to) = tok.text.split_once('-').unwrap_or((&tok.text, &tok.text));
        let code = |s: &str| s.parse::<u32>().ok().filter(|c| (100..=599).contains(c));
        match (code(from), code(to)) {
            (Some(a), Some(b)) if a <= b => {}
            _ => say(
                cx,
                tok.span,
                format!("Invalid HTTP_GET status code '{}'", tok.text),
            ),
        }
    }
}

/// The `url { }` table.
pub static HTTP_URL: &[Keyword<Url>] = &[
    checked!("path", "PATH", "Path to GET.", |cx, t, n| t.path =
        cx.arg(n, 0).is_some()),
    checked!("digest", "MD5", "Expected MD5 of the body.", |cx, _t, n| {
        digest(cx, n)
    }),
    checked!(
        "status_code",
        "CODE…",
        "Expected status codes.",
        |cx, _t, n| status_codes(cx, n)
    ),
    checked!(
        "virtualhost",
        "NAME",
        "Host header for this URL.",
        |cx, _t, n| {
            if n.args.is_empty() {
                say(cx, n.keyword.span, "Missing HTTP_GET virtualhost name");
            }
        }
    ),
    checked!("regex", "REGEX", "Body must match.", |_cx, _t, _n| {}),
    checked!(
        "regex_no_match",
        "",
        "Body must not match.",
        |_cx, _t, _n| {}
    ),
    checked!(
        "regex_options",
        "OPTIONS",
        "PCRE options.",
        |_cx, _t, _n| {}
    ),
    checked!(
        "regex_min_offset",
        "N",
        "Start of the match.",
        |_cx, _t, _n| {}
    ),
    checked!(
        "regex_max_offset",
        "N",
        "End of the match.",
        |_cx, _t, _n| {}
    ),
    checked!("regex_stack", "N", "PCRE stack size.", |_cx, _t, _n| {}),
];

/// HTTP_GET / SSL_GET's own keywords.
pub static HTTP: &[Keyword<Checker>] = &[
    checked!(
        "nb_get_retry",
        "N",
        "Deprecated name of retry.",
        |cx, _t, n| {
            say(
                cx,
                n.keyword.span,
                "nb_get_retry is deprecated - please use 'retry'",
            );
            unsigned_or(cx, n, 0, UINT_MAX, "Invalid nb_get_retry value '%s'");
        }
    ),
    checked!("virtualhost", "NAME", "Host header.", |cx, _t, n| {
        if n.args.is_empty() {
            say(cx, n.keyword.span, "HTTP_GET virtualhost name missing");
        }
    }),
    checked!(
        "http_protocol",
        "1.0|1.1|1.0C",
        "HTTP version of requests.",
        |cx, _t, n| {
            match n.args.first() {
                None => say(cx, n.keyword.span, "Missing http_protocol version"),
                Some(v) if ["1.0", "1.1", "1.0C", "1.0c"].contains(&v.text.as_str()) => {}
                Some(v) => say(
                    cx,
                    v.span,
                    format!("Invalid http_protocol version {}", v.text),
                ),
            }
        }
    ),
    checked!(
        "enable_sni",
        "[on|off]",
        "Send SNI (SSL_GET).",
        |cx, _t, n| {
            bool_or(cx, n, "Invalid enable_sni parameter %s");
        }
    ),
    checked!(
        "fast_recovery",
        "[on|off]",
        "Recover after one success.",
        |cx, _t, n| {
            bool_or(cx, n, "Invalid fast_recovery parameter %s");
        }
    ),
    checked!("url", "{ … }", "A URL to check.", url),
];

/// SMTP_CHECK's own keywords.
pub static SMTP: &[Keyword<Checker>] = &[
    checked!("helo_name", "NAME", "HELO name.", |cx, _t, n| {
        if n.args.is_empty() {
            say(cx, n.keyword.span, "SMTP_CHECK helo name missing");
        }
    }),
    checked!(
        "host",
        "{ … }",
        "Deprecated: another server to check.",
        |cx, _t, n| {
            if !super::super::top::no_block(cx, n) {
                let mut h = Checker::default();
                apply_layered(cx, &[CONNECTION, TIMING], &mut h, n.children());
            }
        }
    ),
];

/// MISC_CHECK's own keywords.
pub static MISC: &[Keyword<Checker>] = &[
    checked!("misc_path", "COMMAND", "Script to run.", |cx, t, n| {
        if !n.args.is_empty() {
            t.script = true;
            t.script_text = n.args_joined();
            cx.lvs.scripts.push(t.script_text.clone());
        }
    }),
    checked!("misc_timeout", "SECONDS", "Script timeout.", |cx, _t, n| {
        unsigned_or(
            cx,
            n,
            0,
            UINT_MAX / 1_000_000,
            "Invalid misc_timeout value '%s'",
        );
    }),
    checked!(
        "misc_dynamic",
        "",
        "Exit code sets the weight.",
        |_cx, _t, _n| {}
    ),
    checked!(
        "user",
        "USER [GROUP]",
        "User the script runs as.",
        |cx, t, n| {
            if n.args.is_empty() {
                let text = format!(
                    "No user specified for misc checker script {}",
                    t.script_text
                );
                say(cx, n.keyword.span, text);
            }
        }
    ),
];

/// DNS_CHECK's own keywords.
pub static DNS: &[Keyword<Checker>] = &[
    checked!(
        "type",
        "A|NS|CNAME|SOA|MX|TXT|AAAA|RRSIG|DNSKEY",
        "Query type.",
        |cx, _t, n| {
            let Some(tok) = cx.arg(n, 0).cloned() else {
                return;
            };
            let types = [
                "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY",
            ];
            if !types.iter().any(|t| t.eq_ignore_ascii_case(&tok.text)) {
                say(
                    cx,
                    tok.span,
                    format!("Unknown DNS check type {} - ignoring", tok.text),
                );
            }
        }
    ),
    checked!("name", "NAME", "Name to query.", |cx, t, n| {
        if t.dns_name {
            return say(
                cx,
                n.keyword.span,
                "DNS_CHECK name already specified - ignoring",
            );
        }
        let Some(tok) = cx.arg(n, 0).cloned() else {
            return;
        };
        let name = tok.text.as_str();
        let empty_label = (name.starts_with('.') && name.len() > 1) || name.contains("..");
        if empty_label {
            return say(
                cx,
                tok.span,
                format!("DNS_CHECK name '{name}' has empty label - ignoring"),
            );
        }
        t.dns_name = true;
    }),
];

/// UDP_CHECK's own keywords.
pub static UDP: &[Keyword<Checker>] = &[
    checked!("payload", "HEX", "Data to send.", |cx, _t, n| {
        if n.args.is_empty() {
            say(cx, n.keyword.span, "UDP_CHECK payload requires a payload");
        }
    }),
    checked!(
        "require_reply",
        "[HEX]",
        "A reply (matching HEX) is required.",
        |_cx, _t, _n| {}
    ),
    checked!(
        "min_reply_length",
        "0-65535",
        "Shortest acceptable reply.",
        |cx, t, n| {
            t.min_reply = unsigned_or(
                cx,
                n,
                0,
                65535,
                "UDP_CHECK min length %s not valid - must be between 0 & 65535",
            );
        }
    ),
    checked!(
        "max_reply_length",
        "0-65535",
        "Longest acceptable reply.",
        |cx, t, n| {
            t.max_reply = unsigned_or(
                cx,
                n,
                0,
                65535,
                "UDP_CHECK max length %s not valid - must be between 0 & 65535",
            );
        }
    ),
];

/// FILE_CHECK's keywords.
pub static FILE: &[Keyword<Checker>] = &[
    checked!("track_file", "NAME", "A track_file block.", |cx, t, n| {
        let Some(tok) = cx.arg(n, 0).cloned() else {
            return;
        };
        if cx.lvs.track_files.iter().any(|f| *f == tok.text) {
            t.track_file = true;
        } else {
            say(cx, tok.span, format!("track_file {} not found", tok.text));
        }
    }),
    checked!(
        "weight",
        "W [reverse|noreverse]",
        "Weight of the file's value.",
        |cx, _t, n| {
            let Some(tok) = n.args.first().cloned() else {
                return say(cx, n.keyword.span, "track file weight missing");
            };
            let limit = i64::from(i32::MAX);
            if values::int(cx, &tok, -limit, limit).is_none() {
                let text = "weight for track file must be in [-2147483647..2147483647] inclusive. Ignoring...";
                return say(cx, tok.span, text);
            }
            if let Some(opt) = n
                .args
                .get(1)
                .filter(|o| o.text != "reverse" && o.text != "noreverse")
            {
                say(
                    cx,
                    opt.span,
                    format!("unknown track file weight option {} - ignoring", opt.text),
                );
            }
        }
    ),
];

/// `name BFD` of a BFD_CHECK: any problem drops the checker (nothing more is checked).
fn bfd_name(cx: &mut Lower, t: &mut Checker, n: &Node) {
    if t.dropped {
        return;
    }
    let label = cx.lvs.current_server.clone();
    let name = n
        .args
        .first()
        .map(|a| a.text.to_string())
        .unwrap_or_default();
    let problem = if n.args.len() != 1 {
        format!("({label}) BFD_CHECK - No or too many names specified - skipping checker")
    } else if !cx.lvs.bfd_instances.contains(&name) {
        format!("({label}) BFD_CHECK - BFD {name} not configured")
    } else if let Some(first) = &t.bfd_name {
        format!("({label}) BFD_CHECK - BFD {name} already specified as {first}")
    } else {
        t.bfd_name = Some(name);
        return;
    };
    say(cx, n.keyword.span, problem);
    t.dropped = true;
}

/// BFD_CHECK's keywords.
pub static BFD: &[Keyword<Checker>] = &[
    checked!("name", "BFD", "A bfd_instance.", bfd_name),
    checked!("alpha", "[on|off]", "Start as failed.", |cx, _t, n| {
        bool_or(cx, n, "Invalid alpha parameter %s");
    }),
];

/// The tables a checker block is read through, by its keyword.
fn tables(kind: &str) -> Vec<&'static [Keyword<Checker>]> {
    match kind {
        "HTTP_GET" | "SSL_GET" => vec![HTTP, CONNECTION, TIMING],
        "SMTP_CHECK" => vec![SMTP, CONNECTION, TIMING],
        "DNS_CHECK" => vec![DNS, CONNECTION, TIMING],
        "UDP_CHECK" => vec![UDP, CONNECTION, TIMING],
        "MISC_CHECK" => vec![MISC, TIMING],
        "FILE_CHECK" => vec![FILE],
        "BFD_CHECK" => vec![BFD],
        _ => vec![CONNECTION, TIMING],
    }
}

/// A checker block of `rs`, with keepalived's end-of-block checks.
pub fn checker(cx: &mut Lower, rs: &mut RealServer, n: &Node) {
    if super::super::top::no_block(cx, n) {
        return;
    }
    let kind = n.keyword.text.as_str();
    let mut c = Checker::default();
    cx.lvs.current_server = rs.label();
    apply_layered(cx, &tables(kind), &mut c, n.children());
    // A keyword missing its value stopped keepalived here: no end-of-block checks.
    if c.dropped || cx.aborted {
        return;
    }
    let end = block_end(n);
    let label = &cx.lvs.current_server;
    let missing = match kind {
        "HTTP_GET" | "SSL_GET" if c.urls == 0 => {
            Some("HTTP/SSL_GET checker has no urls specified - ignoring".to_string())
        }
        "MISC_CHECK" if !c.script => {
            Some("No script path has been specified for MISC_CHECKER - skipping".into())
        }
        "FILE_CHECK" if !c.track_file => {
            Some("FILE_CHECK has no track_file specified - ignoring".into())
        }
        "BFD_CHECK" if c.bfd_name.is_none() => Some(format!(
            "({label}) No name has been specified for BFD_CHECKER - skipping"
        )),
        "UDP_CHECK" => match (c.min_reply, c.max_reply) {
            (Some(a), Some(b)) if a > b => Some(format!(
                "UDP_CHECK min_reply length {a} > max_reply_length {b} - will always fail"
            )),
            _ => None,
        },
        _ => None,
    };
    if let Some(text) = missing {
        return say(cx, end, text);
    }
    let connects = !matches!(kind, "MISC_CHECK" | "FILE_CHECK" | "BFD_CHECK");
    let dst = c.connect_ip.unwrap_or(rs.ip);
    if let (true, IpAddr::V6(v6), false) = (connects, dst, c.bind_if) {
        if v6.segments()[0] & 0xffc0 == 0xfe80 {
            say(
                cx,
                end,
                format!("Checker link local address {v6} requires a bind_if"),
            );
        }
    }
}
