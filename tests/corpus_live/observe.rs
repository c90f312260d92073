//! What a daemon did, as an operator would look at it: whether it runs, the addresses,
//! routes, rules and links it put into (or took out of) its namespace, its instances'
//! states, the scripts it ran and as whom, and its error-level log lines. Every aspect is a
//! sorted list of lines, so two snapshots compare aspect by aspect and a difference prints
//! as the lines only one side has.
//!
//! Network state is reported against the namespace's state before the daemon started
//! (`+` added, `-` removed); routes the kernel makes for an address (`proto kernel`) follow
//! the addresses and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitStatus;

use serde_json::Value;

use crate::daemon::Daemon;
use crate::netns::Netns;
use crate::syslog::LOG_ERR;

/// The aspects, in report order.
pub const ASPECTS: &[&str] = &[
    "process",
    "addresses",
    "routes",
    "rules",
    "links",
    "states",
    "scripts",
    "errors",
];

/// One observation: aspect → lines.
pub type Snapshot = BTreeMap<&'static str, Vec<String>>;

/// The namespace's own network state (before a daemon runs in it).
#[derive(Clone, Default)]
pub struct Network {
    by_aspect: BTreeMap<&'static str, BTreeSet<String>>,
}

impl Network {
    pub fn read(ns: &Netns) -> Network {
        let mut by_aspect = BTreeMap::new();
        by_aspect.insert("addresses", addresses(ns));
        by_aspect.insert("routes", routes(ns));
        by_aspect.insert("rules", rules(ns));
        by_aspect.insert("links", links(ns));
        Network { by_aspect }
    }

    /// Whether link `name` existed.
    pub fn has_link(&self, name: &str) -> bool {
        self.by_aspect
            .get("links")
            .is_some_and(|l| l.iter().any(|e| e.split(' ').next() == Some(name)))
    }

    /// `+line` for what `self` has and `base` has not, `-line` for the reverse.
    fn against(&self, base: &Network) -> BTreeMap<&'static str, Vec<String>> {
        let mut out = BTreeMap::new();
        for (aspect, now) in &self.by_aspect {
            let empty = BTreeSet::new();
            let before = base.by_aspect.get(aspect).unwrap_or(&empty);
            let mut lines: Vec<String> = now.difference(before).map(|l| format!("+{l}")).collect();
            lines.extend(before.difference(now).map(|l| format!("-{l}")));
            lines.sort();
            out.insert(*aspect, lines);
        }
        out
    }
}

/// Observes `daemon` now. `errors_from` is how many syslog lines earlier observations have
/// already covered; it is advanced past the lines read. A missing data dump is a finding
/// only for a file with instances (keepalived writes none without).
pub fn observe(
    daemon: &mut Daemon,
    base: &Network,
    errors_from: &mut usize,
    has_instances: bool,
) -> Snapshot {
    let status = daemon.exited();
    let states = if status.is_none() {
        match daemon.states() {
            Some(s) => s.into_iter().map(|(i, s)| format!("{i} {s}")).collect(),
            None if has_instances => vec!["(no data dump within 4 s of SIGUSR1)".to_string()],
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let mut snap: Snapshot = Network::read(&daemon.netns).against(base);
    snap.insert("process", vec![process(status)]);
    snap.insert("states", states);
    snap.insert("scripts", daemon.script_runs());
    let lines = daemon.syslog.lines();
    let mut errors: Vec<String> = lines[(*errors_from).min(lines.len())..]
        .iter()
        .filter(|l| l.severity <= LOG_ERR)
        .map(|l| l.message.clone())
        .collect();
    *errors_from = lines.len();
    errors.sort();
    errors.dedup();
    snap.insert("errors", errors);
    snap
}

pub fn process(status: Option<ExitStatus>) -> String {
    match status {
        None => "running".into(),
        Some(s) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
            (Some(c), _) => format!("exited {c}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => "ended".into(),
        },
    }
}

fn addresses(ns: &Netns) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for link in ns.ip_json(&["addr", "show"]) {
        let dev = link["ifname"].as_str().unwrap_or("?");
        for a in link["addr_info"].as_array().into_iter().flatten() {
            let mut line = format!(
                "{dev} {}/{} scope {}",
                a["local"].as_str().unwrap_or("?"),
                a["prefixlen"],
                a["scope"].as_str().unwrap_or("?")
            );
            if let Some(label) = a["label"].as_str().filter(|l| *l != dev) {
                line.push_str(&format!(" label {label}"));
            }
            if let Some(peer) = a["address"].as_str() {
                line.push_str(&format!(" peer {peer}"));
            }
            out.insert(line);
        }
    }
    out
}

fn routes(ns: &Netns) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for family in ["-4", "-6"] {
        for mut r in ns.ip_json(&[family, "route", "show", "table", "all"]) {
            if r["protocol"] == "kernel" {
                continue;
            }
            if let Some(o) = r.as_object_mut() {
                o.remove("expires");
            }
            out.insert(format!("{family} {}", canonical(&r)));
        }
    }
    out
}

fn rules(ns: &Netns) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for family in ["-4", "-6"] {
        for r in ns.ip_json(&[family, "rule", "show"]) {
            out.insert(format!("{family} {}", canonical(&r)));
        }
    }
    out
}

fn links(ns: &Netns) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in ns.ip_json(&["-d", "link", "show"]) {
        let flags: Vec<&str> = l["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        out.insert(format!(
            "{} kind {} parent {} mac {} {}",
            l["ifname"].as_str().unwrap_or("?"),
            l["linkinfo"]["info_kind"].as_str().unwrap_or("-"),
            l["link"].as_str().unwrap_or("-"),
            l["address"].as_str().unwrap_or("-"),
            if flags.contains(&"UP") { "up" } else { "down" }
        ));
    }
    out
}

/// A JSON object as one line with sorted keys.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let sorted: BTreeMap<&String, &Value> = o.iter().collect();
            let parts: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{k}={}", canonical(v)))
                .collect();
            format!("{{{}}}", parts.join(" "))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(" ")
        ),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
