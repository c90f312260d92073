//! Checks that depend on the machine the configuration is checked on: interfaces, users,
//! script files and their permissions, host names. `--skip-host-checks` turns them off so a
//! file can be validated on a build or CI machine other than the one that will run it.
//!
//! The user and script checks live in [`super::host_scripts`]; this file has the [`Host`]
//! trait, the real host, and the interface and SMTP-server checks.

use super::diag::{Diagnostic, Severity};
use super::lower::Lower;
use super::model::Config;
use rustc_hash::FxHashMap;
use std::net::ToSocketAddrs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What the checks need to know about the host (a trait so tests can describe a host).
pub trait Host {
    fn interface_exists(&self, name: &str) -> bool;
    fn user_exists(&self, name: &str) -> bool;
    /// Groups are a namespace of their own: `user nobody nogroup` names user `nobody` and
    /// *group* `nogroup`, which is not a user on Debian.
    fn group_exists(&self, name: &str) -> bool;
    /// Resolves a script's program (absolute, or by `$PATH`) to an executable file.
    fn find_program(&self, program: &str) -> Option<PathBuf>;
    /// Permission problems of a path for a script run as root, as keepalived judges them.
    fn insecure_reason(&self, path: &Path) -> Option<String>;
    /// Whether a host name (or address) resolves, as keepalived's `smtp_server` needs.
    fn resolves(&self, name: &str) -> bool;
    /// Whether interface `name` is a loopback device (link type `ARPHRD_LOOPBACK`).
    fn is_loopback(&self, _name: &str) -> bool {
        false
    }
}

/// The machine we run on.
pub struct LocalHost;

impl Host for LocalHost {
    fn is_loopback(&self, name: &str) -> bool {
        // ARPHRD_LOOPBACK is 772; the name is checked first so it cannot walk the tree.
        !name.contains('/')
            && std::fs::read_to_string(format!("/sys/class/net/{name}/type"))
                .is_ok_and(|t| t.trim() == "772")
    }
    fn interface_exists(&self, name: &str) -> bool {
        nix::net::if_::if_nametoindex(name).is_ok()
    }
    fn user_exists(&self, name: &str) -> bool {
        matches!(nix::unistd::User::from_name(name), Ok(Some(_)))
    }
    fn group_exists(&self, name: &str) -> bool {
        matches!(nix::unistd::Group::from_name(name), Ok(Some(_)))
    }
    fn find_program(&self, program: &str) -> Option<PathBuf> {
        let is_exec = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        };
        if program.contains('/') {
            let p = PathBuf::from(program);
            return is_exec(&p).then_some(p);
        }
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into());
        path.split(':')
            .map(|d| Path::new(d).join(program))
            .find(|p| is_exec(p))
    }
    fn insecure_reason(&self, path: &Path) -> Option<String> {
        // Every component must be root-owned and not writable by group/other (directories
        // with the sticky bit may be writable), as keepalived's script security requires.
        let mut p = path.to_path_buf();
        loop {
            let m = std::fs::symlink_metadata(&p).ok()?;
            let mode = m.permissions().mode();
            if m.uid() != 0 {
                return Some(format!(
                    "{} is owned by uid {}, not root",
                    p.display(),
                    m.uid()
                ));
            }
            let checked = (m.is_dir() && mode & 0o1000 == 0) || m.is_file();
            if checked && mode & 0o002 != 0 {
                return Some(format!(
                    "{} is world-writable (mode {:o})",
                    p.display(),
                    mode & 0o7777
                ));
            }
            if checked && mode & 0o020 != 0 && m.gid() != 0 {
                return Some(format!(
                    "{} is writable by group {} (mode {:o})",
                    p.display(),
                    m.gid(),
                    mode & 0o7777
                ));
            }
            if !p.pop() || p.as_os_str().is_empty() {
                return None;
            }
        }
    }
    fn resolves(&self, name: &str) -> bool {
        (name, 25)
            .to_socket_addrs()
            .is_ok_and(|mut a| a.next().is_some())
    }
}

/// keepalived resolves `smtp_server` while reading `global_defs`; a name this host cannot
/// resolve is reported there.
pub fn check_smtp_server(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) {
    let Some(server) = cfg.global.email.smtp_server.clone() else {
        return;
    };
    let mut words = server.split(' ');
    let name = words.next().unwrap_or_default();
    let port = words.next().unwrap_or("25");
    if name.parse::<std::net::IpAddr>().is_ok() || host.resolves(name) {
        return;
    }
    let sp = cx.spans.global_keywords.get("smtp_server").copied();
    cx.push(
        Diagnostic::new(
            Severity::Error,
            sp,
            format!("Invalid smtp server {name} {port}"),
        )
        .with_hint(format!(
            "'{name}' does not resolve on this host; use an address or a name it can resolve"
        ))
        .host_dependent(),
    );
    cfg.global.email.smtp_server = None;
}

/// `dev IFNAME` of address lines (`virtual_ipaddress`, `virtual_ipaddress_excluded`,
/// `static_ipaddress`): keepalived drops an address whose device does not exist, with a
/// warning. Returns true when one was missing.
fn check_address_devices(
    cfg: &mut Config,
    cx: &mut Lower,
    exists: &mut dyn FnMut(&str) -> bool,
) -> bool {
    let mut gone: Vec<String> = Vec::new();
    for d in std::mem::take(&mut cx.spans.address_devices) {
        if exists(&d.device) {
            continue;
        }
        cx.push(
            Diagnostic::new(
                Severity::Error,
                Some(d.span),
                format!(
                    "WARNING - interface {} for ip address {} doesn't exist",
                    d.device, d.address
                ),
            )
            .with_hint("check the name with 'ip link'; the address is not configured")
            .host_dependent(),
        );
        gone.push(d.device);
    }
    if gone.is_empty() {
        return false;
    }
    let keep =
        |a: &crate::config::model::IpAddress| a.dev.as_ref().is_none_or(|d| !gone.contains(d));
    cfg.static_ipaddress.retain(keep);
    for inst in &mut cfg.instances {
        inst.virtuals.virtual_ipaddress.retain(keep);
        inst.virtuals.virtual_ipaddress_excluded.retain(keep);
    }
    true
}

/// keepalived refuses a loopback device as an instance's interface while reading the file
/// ("cannot use a loopback interface"), and forgets the interface, so the instance then
/// fails its completion with "Unknown interface!", which stops the daemon. The same goes
/// for a loopback `vrf` device ([`super::host_vrf`]).
pub fn reject_loopback(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) {
    for inst in &mut cfg.instances {
        let Some(ifname) = inst.interface.clone() else {
            continue;
        };
        if host.is_loopback(&ifname) {
            let sp = cx.spans.instance_keyword(&inst.name, "interface");
            cx.push(
                Diagnostic::new(
                    Severity::Error,
                    sp,
                    format!(
                        "({}) cannot use a loopback interface ({ifname}) for vrrp - ignoring",
                        inst.name
                    ),
                )
                .with_hint("VRRP needs a real network interface: name the one the peers share")
                .host_dependent(),
            );
            inst.interface = None;
        }
    }
}

/// Interfaces named by instances and sync groups. keepalived looks each one up while reading
/// the file and, if any is missing, says so and stops before completing the configuration.
/// Returns true when that happened (the caller then skips completion, as keepalived does).
pub fn check_interfaces(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) -> bool {
    if cfg.global.dynamic_interfaces {
        // Missing interfaces are expected to appear later.
        return false;
    }
    // Thousands of instances share a few interfaces; each lookup is a system call.
    let mut known: FxHashMap<String, bool> = FxHashMap::default();
    let mut exists = |name: &str| match known.get(name) {
        Some(e) => *e,
        None => {
            let e = host.interface_exists(name);
            known.insert(name.to_string(), e);
            e
        }
    };
    let mut missing = false;
    for inst in &mut cfg.instances {
        if let Some(ifname) = inst.interface.clone() {
            if !exists(&ifname) {
                let sp = cx.spans.instance_keyword(&inst.name, "interface");
                cx.push(
                    Diagnostic::new(
                        Severity::Error,
                        sp,
                        format!(
                            "WARNING - interface {ifname} for vrrp_instance {} doesn't exist",
                            inst.name
                        ),
                    )
                    .with_hint(
                        "check the name with 'ip link'; the instance cannot start without it",
                    )
                    .host_dependent(),
                );
                missing = true;
            }
        }
        missing |= super::host_vrf::missing_vrf_device(inst, cx, &mut exists);
        let name = inst.name.clone();
        let mut kept = Vec::new();
        for t in std::mem::take(&mut inst.track.interface) {
            if exists(&t.name) {
                kept.push(t);
                continue;
            }
            let sp = cx
                .spans
                .track_refs
                .get(&(name.clone(), t.name.clone()))
                .copied();
            cx.push(
                Diagnostic::new(
                    Severity::Error,
                    sp,
                    format!("({name}) tracked interface {} doesn't exist", t.name),
                )
                .with_hint("check the name with 'ip link'")
                .host_dependent(),
            );
            missing = true;
        }
        inst.track.interface = kept;
    }
    for g in &mut cfg.sync_groups {
        let sp = cx.spans.sync_groups.get(&g.name).copied();
        let name = g.name.clone();
        let mut kept = Vec::new();
        for t in std::mem::take(&mut g.track_interface) {
            if exists(&t.name) {
                kept.push(t);
                continue;
            }
            cx.push(
                Diagnostic::new(
                    Severity::Error,
                    sp,
                    format!("({name}) tracked interface {} doesn't exist", t.name),
                )
                .host_dependent(),
            );
            missing = true;
        }
        g.track_interface = kept;
    }
    missing |= check_address_devices(cfg, cx, &mut exists);
    missing |= super::host_routing::check_routing_interfaces(cfg, cx, &mut exists);
    if missing {
        cx.push(
            Diagnostic::new(
                Severity::Error,
                None,
                "Non-existent interface specified in configuration",
            )
            .with_hint("keepalived stops here: the later checks of the configuration are not made; set dynamic_interfaces in global_defs if the interface appears later")
            .host_dependent()
            .stopping_daemon(),
        );
    }
    missing
}
