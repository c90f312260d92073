//! Text forms keepalived uses in its dumps for configured things: command lines
//! (`cmd_str`) and address lines (`format_ipaddress`).

use std::net::IpAddr;

use crate::config::model::{IpAddress, Script};

/// A script's command line as keepalived prints it: each word in single quotes (a first
/// word that is a bare redirection stays unquoted).
pub fn quoted_command(script: &Script) -> String {
    command_words(&script.command)
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 && (w.starts_with('<') || w.starts_with('>')) {
                w.clone()
            } else {
                format!("'{w}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits a command line into words the way a shell would for simple quoting: single
/// and double quotes group, a backslash escapes the next character.
pub fn command_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// An address line as keepalived 2.2.7 formats it in its dumps (`format_ipaddress`):
/// `ADDR[/PREFIX] [brd B] dev DEV scope SCOPE [label L] [peer P/N] [flags]`, the prefix
/// left out for host addresses, IPv6 addresses ending with their preferred lifetime.
pub fn format_address(a: &IpAddress, default_dev: &str) -> String {
    let host_prefix = if a.addr.is_ipv4() { 32 } else { 128 };
    let mut out = a.addr.to_string();
    if a.prefix != host_prefix {
        out.push_str(&format!("/{}", a.prefix));
    }
    if let (IpAddr::V4(v4), Some(b)) = (a.addr, a.broadcast.as_deref()) {
        let brd = match b {
            "-" => None,
            "+" => {
                let host_mask = u32::MAX.checked_shr(u32::from(a.prefix)).unwrap_or(0);
                Some(std::net::Ipv4Addr::from(u32::from(v4) | host_mask).to_string())
            }
            other => Some(other.to_string()),
        };
        if let Some(brd) = brd {
            out.push_str(&format!(" brd {brd}"));
        }
    }
    out.push_str(&format!(" dev {}", a.dev.as_deref().unwrap_or(default_dev)));
    out.push_str(&format!(
        " scope {}",
        a.scope.as_deref().unwrap_or("global")
    ));
    if let Some(l) = &a.label {
        out.push_str(&format!(" label {l}"));
    }
    if let Some(p) = &a.peer {
        out.push_str(&format!(" peer {p}/{}", a.prefix));
    }
    for flag in ["home", "-nodad", "mngtmpaddr", "noprefixroute", "autojoin"] {
        if a.flags.iter().any(|f| f == flag) {
            out.push(' ');
            out.push_str(flag);
        }
    }
    if a.no_track {
        out.push_str(" no_track");
    }
    if let Some(g) = &a.track_group {
        out.push_str(&format!(" track_group {g}"));
    }
    if a.addr.is_ipv6() {
        let lft = a
            .flags
            .iter()
            .position(|f| f == "preferred_lft")
            .and_then(|i| a.flags.get(i + 1));
        match lft.map(String::as_str) {
            Some("0") => out.push_str(" deprecated"),
            Some(n) if n != "forever" => out.push_str(&format!(" preferred_lft {n}")),
            _ => out.push_str(" preferred_lft forever"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_words_follow_shell_quoting() {
        assert_eq!(
            command_words(r#"/bin/sh -c "echo a  b" 'x y' z\ w"#),
            vec!["/bin/sh", "-c", "echo a  b", "x y", "z w"]
        );
        assert_eq!(command_words("   "), Vec::<String>::new());
        assert_eq!(command_words("''"), vec![""]);
    }

    #[test]
    fn quoted_command_matches_keepalived_cmd_str() {
        let s = Script {
            command: "/usr/bin/true arg".into(),
            user: None,
        };
        assert_eq!(quoted_command(&s), "'/usr/bin/true' 'arg'");
        let r = Script {
            command: "</dev/tcp/127.0.0.1/22".into(),
            user: None,
        };
        assert_eq!(quoted_command(&r), "</dev/tcp/127.0.0.1/22");
    }

    fn addr(text: &str, prefix: u8) -> IpAddress {
        IpAddress {
            addr: text.parse().unwrap(),
            prefix,
            broadcast: None,
            dev: None,
            scope: None,
            label: None,
            peer: None,
            no_track: false,
            track_group: None,
            flags: vec![],
        }
    }

    #[test]
    fn addresses_format_like_keepalived() {
        assert_eq!(
            format_address(&addr("198.18.41.100", 24), "kd0"),
            "198.18.41.100/24 dev kd0 scope global"
        );
        assert_eq!(
            format_address(&addr("198.18.42.100", 32), "kd0"),
            "198.18.42.100 dev kd0 scope global"
        );
        let mut a = addr("198.18.0.1", 24);
        a.broadcast = Some("+".into());
        a.label = Some("eth0:1".into());
        a.no_track = true;
        a.dev = Some("eth1".into());
        assert_eq!(
            format_address(&a, "eth0"),
            "198.18.0.1/24 brd 198.18.0.255 dev eth1 scope global label eth0:1 no_track"
        );
        assert_eq!(
            format_address(&addr("2001:db8::1", 64), "eth0"),
            "2001:db8::1/64 dev eth0 scope global preferred_lft forever"
        );
    }
}
