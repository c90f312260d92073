//! What `-t` needs to know about the LVS side of a file (`virtual_server`,
//! `virtual_server_group`, `bfd_instance`), and keepalived's checks once the file is read.
//!
//! This build runs VRRP only: nothing here is ever run. The keyword tables
//! (`keywords::lvs`) fill these facts while reading, so that `-t` reports what keepalived's
//! checker process reports about the same file, with its messages. Only what a check needs is
//! kept: addresses, ports, protocol, forwarding method, weights, quorum, scripts.

use super::diag::{Diagnostic, Severity};
use super::span::Span;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// How a virtual server is addressed (`virtual_server IP PORT`, `fwmark N`, `group NAME`).
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceAddr {
    Addr { ip: IpAddr, port: u16 },
    Fwmark(u32),
    Group(String),
}

/// `protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    fn word(p: Option<Protocol>) -> &'static str {
        match p {
            Some(Protocol::Tcp) => "tcp",
            Some(Protocol::Udp) => "udp",
            Some(Protocol::Sctp) => "sctp",
            None => "none",
        }
    }
}

/// `lb_kind` / `lvs_method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarding {
    Nat,
    Dr,
    Tun,
}

/// A `real_server` (or `sorry_server`).
#[derive(Clone, Debug, PartialEq)]
pub struct RealServer {
    pub ip: IpAddr,
    pub port: u16,
    /// The virtual server's protocol when this server was read (for keepalived's labels).
    pub protocol: Option<Protocol>,
    /// The virtual server's group name, `(null)` for none (keepalived's script messages).
    pub group: String,
    pub weight: Option<u64>,
    pub forwarding: Option<Forwarding>,
    pub notify_up: bool,
    pub notify_down: bool,
}

impl RealServer {
    pub fn new(ip: IpAddr, port: u16, protocol: Option<Protocol>) -> Self {
        RealServer {
            ip,
            port,
            protocol,
            group: "(null)".into(),
            weight: None,
            forwarding: None,
            notify_up: false,
            notify_down: false,
        }
    }

    /// keepalived's name for it in messages: `[IP]:tcp:PORT`.
    pub fn label(&self) -> String {
        format!(
            "[{}]:{}:{}",
            self.ip,
            Protocol::word(self.protocol),
            self.port
        )
    }
}

/// A `virtual_server` block as far as keepalived's checks look at it.
#[derive(Clone, Debug, PartialEq)]
pub struct VirtualServer {
    /// The `virtual_server` keyword (where its completion findings are reported).
    pub at: Span,
    pub addr: ServiceAddr,
    /// Address family, once known (`ip_family`, the address, or the first real server).
    pub ipv6: Option<bool>,
    pub protocol: Option<Protocol>,
    pub scheduler: Option<String>,
    pub forwarding: Option<Forwarding>,
    pub persistence: bool,
    pub one_packet: bool,
    pub ha_suspend: bool,
    pub quorum: u64,
    pub hysteresis: u64,
    pub weight: u64,
    pub quorum_up: bool,
    pub quorum_down: bool,
    pub sorry: Option<RealServer>,
    pub real_servers: Vec<RealServer>,
    /// Its place among the virtual servers of its group (keepalived prints it as the port).
    pub group_member: u32,
}

impl VirtualServer {
    pub fn new(at: Span, addr: ServiceAddr) -> Self {
        let ipv6 = match &addr {
            ServiceAddr::Addr { ip, .. } => Some(ip.is_ipv6()),
            _ => None,
        };
        VirtualServer {
            at,
            addr,
            ipv6,
            protocol: None,
            scheduler: None,
            forwarding: None,
            persistence: false,
            one_packet: false,
            ha_suspend: false,
            quorum: 1,
            hysteresis: 0,
            weight: 1,
            quorum_up: false,
            quorum_down: false,
            sorry: None,
            real_servers: Vec::new(),
            group_member: 0,
        }
    }

    /// keepalived's name for it in messages: `[IP]:tcp:PORT`, `FWM N` or `[GROUP]:0`.
    pub fn label(&self) -> String {
        match &self.addr {
            ServiceAddr::Group(g) => format!("[{g}]:{}", self.group_member),
            ServiceAddr::Fwmark(m) => format!("FWM {m}"),
            ServiceAddr::Addr { ip, port } => {
                format!("[{ip}]:{}:{port}", Protocol::word(self.protocol))
            }
        }
    }

    fn server_label(&self, rs: &RealServer) -> String {
        format!("[{}]:{}:{}", rs.ip, Protocol::word(self.protocol), rs.port)
    }
}

/// One entry of a `virtual_server_group`.
#[derive(Clone, Debug, PartialEq)]
pub enum GroupEntry {
    /// First address of the range (its text as keepalived prints it) and port.
    Range {
        first: String,
        last: String,
        port: u16,
    },
    Fwmark(u32),
}

/// A `virtual_server_group`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerGroup {
    pub entries: Vec<GroupEntry>,
    /// Address families among its addresses and its fwmarks with a family.
    pub ipv4: bool,
    pub ipv6: bool,
}

impl ServerGroup {
    fn has_addresses(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e, GroupEntry::Range { .. }))
    }
    fn has_fwmarks(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e, GroupEntry::Fwmark(_)))
    }
}

/// Everything read from the LVS side of the file.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub servers: Vec<VirtualServer>,
    pub groups: FxHashMap<String, ServerGroup>,
    /// Command lines of checker scripts (`notify_up`, `quorum_up`, `misc_path`, …), for the
    /// script-security check.
    pub scripts: Vec<String>,
    /// Names of the `bfd_instance` blocks read so far (a `BFD_CHECK` must name one).
    pub bfd_instances: Vec<String>,
    /// Names of the `track_file` blocks read so far (a `FILE_CHECK` must name one).
    pub track_files: Vec<String>,
    /// The real server whose checker is being read, as keepalived labels it.
    pub current_server: String,
    /// Set once a keyword missing its value stopped keepalived's checker process reading.
    pub aborted: bool,
}

/// A finding of keepalived's checker process. This build never runs what it is about, so
/// it is a warning (it makes `-t` exit 5, as keepalived's does, but never blocks a reload).
pub fn finding(at: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Severity::Warning, Some(at), message).not_run()
}

/// keepalived's checks over every virtual server once the file is read (its
/// `validate_check_config`), with its messages. keepalived prints them without a line; we
/// attach the `virtual_server` keyword's.
pub fn validate(facts: &mut Facts, diags: &mut Vec<Diagnostic>) {
    let groups = std::mem::take(&mut facts.groups);
    facts.servers.retain_mut(|vs| linked_to_group(vs, &groups));
    let mut members: FxHashMap<String, u32> = FxHashMap::default();
    for vs in &mut facts.servers {
        let group = match &vs.addr {
            ServiceAddr::Group(g) => {
                let n = members.entry(g.clone()).or_default();
                vs.group_member = *n;
                *n += 1;
                groups.get(g)
            }
            _ => None,
        };
        validate_server(vs, group, diags);
    }
    facts.groups = groups;
}

/// keepalived drops, with a log line but no configuration finding, a virtual server whose
/// group is not configured or whose address family does not match its group's.
fn linked_to_group(vs: &mut VirtualServer, groups: &FxHashMap<String, ServerGroup>) -> bool {
    let ServiceAddr::Group(name) = &vs.addr else {
        return true;
    };
    let Some(g) = groups.get(name) else {
        return false;
    };
    match vs.ipv6 {
        Some(_) if g.ipv4 && g.ipv6 => false,
        Some(true) if g.ipv4 => false,
        Some(false) if g.ipv6 => false,
        None if g.ipv4 != g.ipv6 => {
            vs.ipv6 = Some(g.ipv6);
            true
        }
        _ => true,
    }
}

fn validate_server(
    vs: &mut VirtualServer,
    group: Option<&ServerGroup>,
    diags: &mut Vec<Diagnostic>,
) {
    let at = vs.at;
    let mut say = |vs: &VirtualServer, text: String| {
        diags.push(finding(at, text.replace("%VS", &vs.label())))
    };
    if vs.real_servers.is_empty() {
        say(
            vs,
            "Virtual server %VS has no real servers - ignoring".into(),
        );
        return;
    }
    let fwmark = matches!(vs.addr, ServiceAddr::Fwmark(_));
    if vs.ha_suspend && (fwmark || group.is_some_and(ServerGroup::has_fwmarks)) {
        say(
            vs,
            "Virtual server %VS: cannot use ha_suspend with fwmarks - clearing ha_suspend".into(),
        );
    }
    let by_address = match group {
        Some(g) => g.has_addresses(),
        None => !fwmark,
    };
    if by_address {
        if vs.protocol.is_none() {
            say(
                vs,
                "Virtual server %VS: no protocol set - defaulting to UDP".into(),
            );
            vs.protocol = Some(Protocol::Udp);
        }
        if vs.one_packet && vs.protocol != Some(Protocol::Udp) {
            say(
                vs,
                "Virtual server %VS: one packet scheduling requires UDP - resetting".into(),
            );
        }
        let zero_port = matches!(vs.addr, ServiceAddr::Addr { port: 0, .. });
        if !vs.persistence && zero_port {
            say(
                vs,
                "Virtual server %VS: zero port only valid for persistent services - setting".into(),
            );
            vs.persistence = true;
        }
    }
    if let Some(g) = group {
        let zero = g
            .entries
            .iter()
            .any(|e| matches!(e, GroupEntry::Range { port: 0, .. }));
        if !vs.persistence && zero {
            say(
                vs,
                "Virtual server %VS: zero port only valid for persistent services - setting".into(),
            );
            vs.persistence = true;
        }
    }
    let fwmark_only = match group {
        Some(g) => !g.has_addresses() && g.has_fwmarks(),
        None => fwmark,
    };
    if vs.protocol.is_some() && fwmark_only {
        say(
            vs,
            "Warning: Virtual server %VS: protocol specified for fwmark - protocol will be ignored"
                .into(),
        );
        vs.protocol = None;
    }
    if vs.scheduler.is_none() {
        say(
            vs,
            "Virtual server %VS: no scheduler set, setting default 'wlc'".into(),
        );
    }
    let weight_sum = complete_real_servers(vs, &mut say);
    if vs.quorum > weight_sum {
        say(vs, format!("Warning - quorum {} for %VS exceeds total weight of real servers {weight_sum}, reducing quorum to {weight_sum}", vs.quorum));
        vs.quorum = weight_sum;
    }
    if vs.hysteresis >= vs.quorum {
        say(
            vs,
            format!(
                "Virtual server %VS: hysteresis {} >= quorum {}; setting hysteresis to {}",
                vs.hysteresis,
                vs.quorum,
                vs.quorum as i64 - 1
            ),
        );
    }
    check_ports(vs, group, &mut say);
}

/// Duplicates, default forwarding methods and weights of the real (and sorry) servers;
/// returns the total weight.
fn complete_real_servers(
    vs: &mut VirtualServer,
    say: &mut impl FnMut(&VirtualServer, String),
) -> u64 {
    let mut kept: Vec<RealServer> = Vec::with_capacity(vs.real_servers.len());
    let mut weight_sum = 0;
    for mut rs in std::mem::take(&mut vs.real_servers) {
        if kept.iter().any(|k| k.ip == rs.ip && k.port == rs.port) {
            say(
                vs,
                format!(
                    "VS %VS: real server {} is duplicated - removing second rs",
                    vs.server_label(&rs)
                ),
            );
            continue;
        }
        if rs.forwarding.is_none() {
            if vs.forwarding.is_none() {
                say(
                    vs,
                    "Virtual server %VS: no forwarding method set, setting default NAT".into(),
                );
                vs.forwarding = Some(Forwarding::Nat);
            }
            rs.forwarding = vs.forwarding;
        }
        weight_sum += rs.weight.unwrap_or(vs.weight);
        kept.push(rs);
    }
    vs.real_servers = kept;
    if let Some(mut s) = vs.sorry.take() {
        if s.forwarding.is_none() {
            if vs.forwarding.is_none() {
                say(
                    vs,
                    "Virtual server %VS: no forwarding method set, setting default NAT".into(),
                );
                vs.forwarding = Some(Forwarding::Nat);
            }
            s.forwarding = vs.forwarding;
        }
        vs.sorry = Some(s);
    }
    weight_sum
}

/// Unless NAT is used, real servers must have the virtual server's port (none for fwmarks).
fn check_ports(
    vs: &VirtualServer,
    group: Option<&ServerGroup>,
    say: &mut impl FnMut(&VirtualServer, String),
) {
    let not_nat = |s: &&RealServer| s.forwarding != Some(Forwarding::Nat);
    let sorry = vs.sorry.as_ref().filter(not_nat).filter(|s| s.port != 0);
    match (group, &vs.addr) {
        (Some(g), _) => {
            if g.has_fwmarks() {
                for rs in vs
                    .real_servers
                    .iter()
                    .filter(not_nat)
                    .filter(|r| r.port != 0)
                {
                    say(vs, format!("WARNING - fwmark virtual server %VS, real server {} has port specified - port will be ignored", vs.server_label(rs)));
                }
                if sorry.is_some() {
                    say(vs, "WARNING - fwmark virtual server %VS, sorry server has port specified - port will be ignored".into());
                }
            }
            for e in &g.entries {
                let GroupEntry::Range { first, last, port } = e else {
                    continue;
                };
                let entry = if first == last {
                    format!("{first},{port}")
                } else {
                    format!("{first}-{last},{port}")
                };
                for rs in vs
                    .real_servers
                    .iter()
                    .filter(not_nat)
                    .filter(|r| r.port != 0 && r.port != *port)
                {
                    say(
                        vs,
                        format!(
                            "virtual server %VS:[{entry}] and real server {} ports don't match",
                            vs.server_label(rs)
                        ),
                    );
                }
                if sorry.is_some_and(|s| s.port != *port) {
                    say(vs, "WARNING - virtual server %VS, sorry server has port specified - port will be ignored".into());
                }
            }
        }
        (None, ServiceAddr::Fwmark(_)) => {
            for rs in vs
                .real_servers
                .iter()
                .filter(not_nat)
                .filter(|r| r.port != 0)
            {
                say(vs, format!("WARNING - fwmark virtual server %VS, real server {} has port specified - clearing", vs.server_label(rs)));
            }
            if sorry.is_some() {
                say(
                    vs,
                    "WARNING - virtual server %VS, sorry server has port specified - clearing"
                        .into(),
                );
            }
        }
        (None, ServiceAddr::Addr { port, .. }) => {
            for rs in vs
                .real_servers
                .iter()
                .filter(not_nat)
                .filter(|r| r.port != 0 && r.port != *port)
            {
                say(vs, format!("WARNING - virtual server %VS and real server {} ports don't match - resetting", vs.server_label(rs)));
            }
            if sorry.is_some_and(|s| s.port != *port) {
                say(
                    vs,
                    "WARNING - virtual server %VS and sorry server ports don't match - resetting"
                        .into(),
                );
            }
        }
        (None, ServiceAddr::Group(_)) => {}
    }
}
