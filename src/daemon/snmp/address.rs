//! Where the AgentX master agent listens: keepalived's `snmp_socket`, in net-snmp's
//! notation.

use std::fmt;
use std::path::PathBuf;

/// net-snmp's default AgentX socket (keepalived's default `snmp_socket`).
pub const DEFAULT_SOCKET: &str = "unix:/var/agentx/master";
/// The IANA AgentX port, when a TCP address names none.
const AGENTX_PORT: u16 = 705;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAddress {
    Unix(PathBuf),
    /// `host:port`, resolved at each connection attempt.
    Tcp(String),
}

impl AgentAddress {
    /// Reads `unix:/path`, `tcp:host[:port]`, a plain `/path`, or `host:port`.
    pub fn parse(s: &str) -> Result<AgentAddress, String> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("unix:") {
            return Ok(AgentAddress::Unix(path.into()));
        }
        if s.starts_with('/') {
            return Ok(AgentAddress::Unix(s.into()));
        }
        let host = s.strip_prefix("tcp:").unwrap_or(s);
        if host.is_empty() || host.contains("://") || s.starts_with("udp:") {
            return Err(format!(
                "snmp_socket '{s}' is not unix:PATH or tcp:HOST:PORT"
            ));
        }
        Ok(AgentAddress::Tcp(match host.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() && !host.ends_with(']') => {
                host.to_string()
            }
            _ => format!("{host}:{AGENTX_PORT}"),
        }))
    }
}

impl fmt::Display for AgentAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentAddress::Unix(p) => write!(f, "unix:{}", p.display()),
            AgentAddress::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_socket_notations_parse() {
        let unix = |p: &str| Ok(AgentAddress::Unix(p.into()));
        assert_eq!(
            AgentAddress::parse(DEFAULT_SOCKET),
            unix("/var/agentx/master")
        );
        assert_eq!(AgentAddress::parse("/run/agentx"), unix("/run/agentx"));
        let tcp = |a: &str| Ok(AgentAddress::Tcp(a.into()));
        assert_eq!(
            AgentAddress::parse("tcp:127.0.0.1:7705"),
            tcp("127.0.0.1:7705")
        );
        assert_eq!(AgentAddress::parse("tcp:localhost"), tcp("localhost:705"));
        assert_eq!(AgentAddress::parse("127.0.0.1:705"), tcp("127.0.0.1:705"));
        assert!(AgentAddress::parse("udp:1.2.3.4:705").is_err());
        assert_eq!(
            AgentAddress::parse("unix:/a/b").unwrap().to_string(),
            "unix:/a/b"
        );
    }
}
