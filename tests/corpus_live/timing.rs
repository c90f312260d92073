//! What the harness needs to know about a file before running it, read with our own parser
//! (host checks off, so nothing is dropped for the host's sake): how long to let the daemons
//! settle, and which script paths to provide stand-ins for.
//!
//! Settling: a BACKUP becomes MASTER after three adverts' silence plus a skew below one
//! advert; a check script that starts failed (`init_fail`) counts after `rise` good runs. Both daemons are observed at the
//! same moment, chosen well clear of those transitions, so that a difference is a
//! difference in behaviour, not in a few milliseconds of timing.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use keepalived_rs::config::check_file;
use keepalived_rs::config::model::{Config, Script};
use keepalived_rs::config::source::SourceOptions;

/// The longest wait for one phase. The corpus's slowest file (`advert_int 20`) needs 82 s
/// to settle; observing it earlier would catch its BACKUP just before it takes over.
const MAX_SETTLE: Duration = Duration::from_secs(90);

/// keepalived's config id on the host where the corpus verdicts were recorded.
pub fn source_options() -> SourceOptions {
    SourceOptions {
        config_id: "vm".into(),
        ..SourceOptions::default()
    }
}

/// Settle times and stand-ins of one file.
#[derive(Debug, Clone)]
pub struct Plan {
    /// From start to the first observation.
    pub start: Duration,
    /// From a reload (SIGHUP) to the next observation.
    pub reload: Duration,
    /// Where to put a stand-in for each program the file's scripts run (absolute paths as
    /// written; bare names go first in the daemons' `PATH`, `/usr/local/sbin`).
    pub scripts: Vec<String>,
    /// Whether the file has VRRP instances (keepalived writes no data dump without any).
    pub has_instances: bool,
    /// `ip` commands giving the host what the file's author's host had: the instances'
    /// `unicast_src_ip`/`mcast_src_ip` on their interfaces, and an on-link route to each
    /// unicast peer outside that subnet.
    pub host_setup: Vec<String>,
}

impl Plan {
    pub fn of(main: &Path) -> Plan {
        let cfg = check_file(main, &source_options(), None).config;
        let advert = cfg
            .instances
            .iter()
            .map(|i| i.advert_int)
            .max()
            .unwrap_or(Duration::from_secs(1))
            .max(Duration::from_secs(1));
        let vrrp = advert * 4 + Duration::from_secs(2) + cfg.global.vrrp_startup_delay;
        // Stand-ins succeed, so a script moves a state only when it starts failed
        // (`init_fail`) and must succeed `rise` times.
        let scripts = cfg
            .scripts
            .iter()
            .filter(|s| s.init_fail)
            .map(|s| s.interval * s.rise.max(1) + Duration::from_secs(2))
            .max()
            .unwrap_or_default();
        let reload = (advert + Duration::from_millis(1500)).max(Duration::from_millis(2500));
        Plan {
            start: vrrp.max(scripts).min(MAX_SETTLE),
            reload: reload.min(MAX_SETTLE),
            scripts: script_paths(&cfg),
            has_instances: !cfg.instances.is_empty(),
            host_setup: host_setup(&cfg),
        }
    }
}

/// The program of every script (its first word), where it is an absolute path.
fn script_paths(cfg: &Config) -> Vec<String> {
    let mut all: Vec<&Script> = cfg.scripts.iter().map(|s| &s.script).collect();
    for i in &cfg.instances {
        let n = &i.scripts;
        all.extend(
            [
                &n.notify_master,
                &n.notify_backup,
                &n.notify_fault,
                &n.notify_stop,
                &n.notify_deleted,
                &n.notify,
                &n.notify_master_rx_lower_pri,
            ]
            .into_iter()
            .flatten(),
        );
    }
    for g in &cfg.sync_groups {
        all.extend(
            [
                &g.notify_master,
                &g.notify_backup,
                &g.notify_fault,
                &g.notify_stop,
                &g.notify,
            ]
            .into_iter()
            .flatten(),
        );
    }
    let fifos = &cfg.global.notify_fifos;
    all.extend(
        [&fifos.notify_fifo, &fifos.vrrp_notify_fifo]
            .into_iter()
            .flatten()
            .filter_map(|f| f.script.as_ref()),
    );
    let mut paths: Vec<String> = all
        .iter()
        .filter_map(|s| first_word(&s.command))
        .filter_map(|p| standin_path(&p))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Programs a stand-in must never replace: the stand-in itself runs them.
const NEEDED_BY_STANDIN: &[&str] = &[
    "/bin/sh",
    "/usr/bin/sh",
    "/bin/dash",
    "/usr/bin/dash",
    "/bin/id",
    "/usr/bin/id",
];

/// Where the stand-in for `program` goes: the path itself when absolute, the first
/// directory of the daemons' `PATH` for a bare name. Real programs are replaced too, so a
/// run does not depend on what the test machine happens to have installed.
fn standin_path(program: &str) -> Option<String> {
    if program.starts_with('/') {
        return (!NEEDED_BY_STANDIN.contains(&program) && !program.ends_with('/'))
            .then(|| program.to_string());
    }
    let plain = program
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    (plain && !["sh", "dash", "id"].contains(&program))
        .then(|| format!("/usr/local/sbin/{program}"))
}

fn host_setup(cfg: &Config) -> Vec<String> {
    let mut cmds = Vec::new();
    for inst in &cfg.instances {
        let dev = inst
            .interface
            .clone()
            .or_else(|| cfg.global.default_interface.clone())
            .unwrap_or_else(|| "eth0".into());
        let a = &inst.addressing;
        let sources: Vec<IpAddr> = [a.unicast_src_ip, a.mcast_src_ip]
            .into_iter()
            .flatten()
            .collect();
        for src in &sources {
            cmds.push(match src {
                IpAddr::V4(_) => format!("addr add {src}/24 dev {dev}"),
                IpAddr::V6(_) => format!("addr add {src}/64 dev {dev} nodad"),
            });
        }
        for peer in &a.unicast_peer {
            let near = sources.iter().any(|s| same_subnet(*s, peer.addr));
            if !near {
                let len = if peer.addr.is_ipv4() { 32 } else { 128 };
                cmds.push(format!("route add {}/{len} dev {dev}", peer.addr));
            }
        }
    }
    cmds.sort();
    cmds.dedup();
    cmds
}

/// Whether `a` and `b` share a /24 (IPv4) or /64 (IPv6).
fn same_subnet(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..3] == b.octets()[..3],
        (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..4] == b.segments()[..4],
        _ => false,
    }
}

/// The program of a command line, with keepalived's quoting (single or double quotes
/// around a word) taken off.
fn first_word(command: &str) -> Option<String> {
    let c = command.trim_start();
    let word = match c.chars().next()? {
        q @ ('"' | '\'') => c[1..].split(q).next()?,
        _ => c.split_whitespace().next()?,
    };
    (!word.is_empty()).then(|| word.to_string())
}
