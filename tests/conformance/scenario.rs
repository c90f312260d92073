//! Scenario files (`conformance/scenarios/*.toml`): a topology, per-node configuration
//! templates, and a timeline of actions and time-bounded expectations.
//!
//! ```toml
//! description = "…"
//! nodes = ["a", "b"]              # node N gets 198.18.0.N on eth0 (198.18.1.N on eth1)
//! client = true                   # 198.18.0.200, probes the VIP
//! segments = 1                    # 2: every node also on a second bridge (eth1)
//! vip = "198.18.0.100"            # what "VIP" means in steps (default)
//! mixes = ["ours-ka", "ka-ours"]  # default: every {ours, ka} per node
//! pending_ours = "why"            # ours cannot pass yet: mixes with ours are PENDING
//! config = """ … {{priority}} … """   # template for every node
//! extra_mixes = ["ours-k11", "frr-ka"]  # more mixes, with other peers (k11, k13, frr)
//! [configs]                       # per implementation, instead of `config`
//! frr = """ … """
//! [vars.a]                        # per-node template variables
//! priority = "101"
//! [templates]                     # named alternatives, for `reconfigure`
//! more_vips = """ … """
//! [[step]]
//! do = "start"
//! [[step]]
//! do = "expect_vip"
//! on = "a"
//! within = 6.0
//! ```
//!
//! Built-in template variables: `{{node}}`, `{{addr}}` (the node's eth0 IPv4),
//! `{{n}}` (its number), `{{dir}}` (its private directory), `{{notify}}` (a script that
//! appends its arguments to `{{dir}}/notify.log`), `{{peers}}` (the other nodes' eth0
//! addresses, one per line), `{{peers6}}` (their IPv6 link-local addresses).
//! `{{repeat FROM TO}} … {{i}} … {{end}}` repeats a block.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(skip)]
    pub name: String,
    pub description: String,
    pub nodes: Vec<String>,
    #[serde(default)]
    pub client: bool,
    #[serde(default = "one")]
    pub segments: u8,
    #[serde(default = "default_vip")]
    pub vip: String,
    /// Implementation mixes to run, as `ours-ka-…` in node order; default: all.
    #[serde(default)]
    pub mixes: Option<Vec<String>>,
    /// Mixes with other peers (`ours-k11`, `k13-ours`, `frr-ka`), run as well.
    #[serde(default)]
    pub extra_mixes: Vec<String>,
    /// Configuration templates per implementation (`[configs] frr = """…"""`), instead
    /// of `config` on nodes running it: for a peer that needs another syntax (FRR).
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
    /// Why mixes that include our daemon cannot pass yet (a feature not wired in).
    #[serde(default)]
    pub pending_ours: Option<String>,
    /// The nodes that need the missing feature (default: all): a mix is pending only
    /// when one of them runs ours.
    #[serde(default)]
    pub pending_nodes: Option<Vec<String>>,
    /// Check every advert on the wire for keepalived's fixed fields (default on).
    #[serde(default = "yes")]
    pub wire_checks: bool,
    pub config: String,
    #[serde(default)]
    pub vars: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

fn one() -> u8 {
    1
}
fn yes() -> bool {
    true
}
fn default_vip() -> String {
    "198.18.0.100".into()
}

/// One timeline entry; `when` restricts it to runs where the named nodes run the
/// named implementations (`{ a = "ka" }`), so one file can state where they differ
/// (see [`Impl::is`] for the names).
#[derive(Debug, Clone, Deserialize)]
pub struct Step {
    #[serde(flatten)]
    pub action: Action,
    #[serde(default)]
    pub when: BTreeMap<String, String>,
}

/// What a step does. Expectations with `within` poll until they hold or the bound
/// passes; the time they took is printed in the run log.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    /// Starts the daemons of `nodes` (default: all) at once.
    Start {
        #[serde(default)]
        nodes: Option<Vec<String>>,
    },
    /// SIGTERM; waits for the exit.
    Stop {
        node: String,
    },
    /// A crash: SIGKILL, then the VIPs the dead daemon left are removed by hand (a
    /// crashed host does not answer for them).
    Kill {
        node: String,
        #[serde(default)]
        remove: Vec<String>,
    },
    /// An operator's upgrade of one node: its daemon is stopped (SIGTERM, as an init
    /// script stops it; it must exit 0) and implementation `with` (`ours`, `ka`, …) is
    /// started on the same configuration. Later `when`s see the new implementation.
    Replace {
        node: String,
        with: String,
    },
    /// Cable cut / restore on segment `segment` (default 0 = eth0).
    Cut {
        node: String,
        #[serde(default)]
        segment: u8,
    },
    Restore {
        node: String,
        #[serde(default)]
        segment: u8,
    },
    /// Bridge port isolation: the listed nodes keep their carrier and still reach the
    /// client, but no longer each other — a split brain without a FAULT.
    Isolate {
        nodes: Vec<String>,
    },
    /// Ends every isolation.
    Heal {},
    /// SIGHUP (reload).
    Hup {
        node: String,
    },
    /// Rewrites the node's configuration from template `template` (does not signal).
    Reconfigure {
        node: String,
        template: String,
    },
    /// A shell command in the node's namespace (`sh -c`), e.g. to flip a tracked file.
    Sh {
        node: String,
        cmd: String,
    },
    Wait {
        secs: f64,
    },
    /// Names the current moment, for packet expectations.
    Mark {
        name: String,
    },
    /// Starts the client probing the VIP every 5 ms.
    Probe {},
    /// Stops the probe: the longest gap between two replies must be ≤ `max` seconds.
    Outage {
        max: f64,
        label: String,
    },
    /// The VIP (or `addr`) is on node `on` (`"a,b"`: on each of them; absent: on none)
    /// and on no other node, within `within` seconds.
    ExpectVip {
        #[serde(default)]
        on: Option<String>,
        #[serde(default)]
        addr: Option<String>,
        #[serde(default)]
        dev: Option<String>,
        within: f64,
        /// It must not happen before this many seconds (protocol lower bounds).
        #[serde(default)]
        not_before: f64,
    },
    /// The VIP stays on `on` (and only there) for `secs` without a single gap.
    HoldVip {
        on: String,
        secs: f64,
        #[serde(default)]
        addr: Option<String>,
    },
    /// A log line containing `text` on `node` within `within` s; with `absent`, no
    /// such line appears during `within` s. `count` = at least that many lines.
    ExpectLog {
        node: String,
        text: String,
        #[serde(default)]
        within: f64,
        #[serde(default)]
        absent: bool,
        #[serde(default)]
        count: Option<usize>,
        /// Only lines logged after mark `since` count.
        #[serde(default)]
        since: Option<String>,
    },
    /// A line of the node's notify log containing `text`, within `within` s.
    ExpectNotify {
        node: String,
        text: String,
        #[serde(default)]
        within: f64,
    },
    /// The client's neighbour entry for the VIP points at `points_at`'s MAC, or at
    /// `mac` (a `use_vmac` virtual MAC, which no single node owns).
    ExpectArp {
        #[serde(default)]
        points_at: Option<String>,
        #[serde(default)]
        mac: Option<String>,
    },
    /// Adverts from `from` (node) since mark `since` until now, optionally filtered by
    /// priority and VRID; their number must be within [min, max].
    ExpectAdverts {
        from: String,
        since: String,
        #[serde(default)]
        priority: Option<u8>,
        #[serde(default)]
        vrid: Option<u8>,
        #[serde(default)]
        min: usize,
        #[serde(default)]
        max: Option<usize>,
    },
    /// Gratuitous ARPs (or unsolicited NAs for IPv6) for `addr` (default: the VIP)
    /// from `from` since `since`: bursts of the given sizes, `gap` s apart (±0.6 s).
    /// Waits until the last burst is due.
    ExpectGarp {
        from: String,
        since: String,
        bursts: Vec<usize>,
        gap: f64,
        #[serde(default)]
        addr: Option<String>,
        /// Only announcements within this many seconds after `since` count.
        #[serde(default)]
        window: Option<f64>,
    },
    /// Records the adverts `node` sent since `since` (up to 4) under `label`; after the
    /// whole matrix ran, recordings of ours and keepalived for the same scenario, node
    /// and label must be byte-identical packet for packet (matched by IP ID / AH seq).
    RecordAdverts {
        node: String,
        since: String,
        label: String,
    },
}

impl Scenario {
    /// Reads one scenario file; its name is the file stem.
    pub fn load(path: &Path) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut s: Scenario =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        s.name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        s.check().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(s)
    }

    /// Node names used by steps must exist; marks must be set before use.
    fn check(&self) -> Result<(), String> {
        let node_ok = |n: &str| self.nodes.iter().any(|x| x == n);
        let mut marks: Vec<&str> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            for n in step.when.keys() {
                if !node_ok(n) {
                    return Err(format!("step {}: unknown node {n} in when", i + 1));
                }
            }
            let mut nodes: Vec<&str> = Vec::new();
            match &step.action {
                Action::Start { nodes: Some(list) } => {
                    nodes.extend(list.iter().map(|s| s.as_str()))
                }
                Action::Replace { node, with } => {
                    nodes.push(node);
                    Impl::parse(with);
                }
                Action::Stop { node }
                | Action::Kill { node, .. }
                | Action::Cut { node, .. }
                | Action::Restore { node, .. }
                | Action::Hup { node }
                | Action::Sh { node, .. }
                | Action::ExpectNotify { node, .. } => nodes.push(node),
                Action::Reconfigure { node, template } => {
                    nodes.push(node);
                    if !self.templates.contains_key(template) {
                        return Err(format!("step {}: no template {template}", i + 1));
                    }
                }
                Action::ExpectVip { on: Some(n), .. } => nodes.extend(n.split(',')),
                Action::HoldVip { on: n, .. } => nodes.push(n),
                Action::ExpectArp { points_at, mac } => match (points_at, mac) {
                    (Some(n), None) => nodes.push(n),
                    (None, Some(_)) => {}
                    _ => return Err(format!("step {}: expect_arp takes points_at or mac", i + 1)),
                },
                Action::Mark { name } => marks.push(name),
                Action::ExpectLog { node, since, .. } => {
                    nodes.push(node);
                    if let Some(since) = since {
                        if !marks.contains(&since.as_str()) {
                            return Err(format!("step {}: mark {since} not set before", i + 1));
                        }
                    }
                }
                Action::ExpectAdverts { from, since, .. }
                | Action::ExpectGarp { from, since, .. }
                | Action::RecordAdverts {
                    node: from, since, ..
                } => {
                    nodes.push(from);
                    if !marks.contains(&since.as_str()) {
                        return Err(format!("step {}: mark {since} not set before", i + 1));
                    }
                }
                _ => {}
            }
            if let Some(bad) = nodes.iter().find(|n| !node_ok(n)) {
                return Err(format!("step {}: unknown node {bad}", i + 1));
            }
        }
        Ok(())
    }

    /// The mixes to run: each a list of implementations in node order.
    pub fn mixes(&self) -> Vec<Mix> {
        let mut all = self.base_mixes();
        all.extend(
            self.extra_mixes
                .iter()
                .map(|m| Mix::parse(m, self.nodes.len())),
        );
        all
    }

    fn base_mixes(&self) -> Vec<Mix> {
        match &self.mixes {
            Some(list) => list
                .iter()
                .map(|m| Mix::parse(m, self.nodes.len()))
                .collect(),
            None => {
                let n = self.nodes.len();
                (0..1u32 << n)
                    .map(|bits| {
                        Mix((0..n)
                            .map(|i| {
                                if bits & (1 << (n - 1 - i)) == 0 {
                                    Impl::Ours
                                } else {
                                    Impl::Keepalived
                                }
                            })
                            .collect())
                    })
                    .collect()
            }
        }
    }
}

/// Which daemon runs on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Impl {
    Ours,
    /// Stock keepalived 2.2.7.
    Keepalived,
    /// Stock keepalived 1.1.19 (the seed's era).
    Keepalived1_1,
    /// Stock keepalived 1.3.5 (RHEL/CentOS 7's series).
    Keepalived1_3,
    /// FRR's vrrpd (with its zebra).
    Frr,
}

impl Impl {
    pub fn short(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Keepalived => "ka",
            Impl::Keepalived1_1 => "k11",
            Impl::Keepalived1_3 => "k13",
            Impl::Frr => "frr",
        }
    }
    pub fn parse(s: &str) -> Impl {
        match s {
            "ours" => Impl::Ours,
            "ka" | "keepalived" => Impl::Keepalived,
            "k11" => Impl::Keepalived1_1,
            "k13" => Impl::Keepalived1_3,
            "frr" => Impl::Frr,
            other => panic!("unknown implementation {other:?} (ours, ka, k11, k13 or frr)"),
        }
    }

    /// Whether a `when` value names this implementation: a short name, `keepalived`
    /// (2.2.7), `1x` (either 1.x release), or alternatives joined by `|` (`ours|ka`).
    pub fn is(self, want: &str) -> bool {
        want.split('|').any(|w| match w {
            "keepalived" => self == Impl::Keepalived,
            "1x" => matches!(self, Impl::Keepalived1_1 | Impl::Keepalived1_3),
            w => self.short() == w,
        })
    }
}

/// One implementation per node, in node order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mix(pub Vec<Impl>);

impl Mix {
    fn parse(s: &str, nodes: usize) -> Mix {
        let m = Mix(s.split('-').map(Impl::parse).collect());
        assert_eq!(m.0.len(), nodes, "mix {s:?} does not name {nodes} nodes");
        m
    }
    /// `ours-ka-…`
    pub fn id(&self) -> String {
        self.0
            .iter()
            .map(|i| i.short())
            .collect::<Vec<_>>()
            .join("-")
    }
}

impl Scenario {
    /// Every implementation a run of `mix` starts: the mix's, and those `replace`
    /// steps bring in.
    pub fn impls_used(&self, mix: &Mix) -> Vec<Impl> {
        let mut all = mix.0.clone();
        for step in &self.steps {
            if let Action::Replace { with, .. } = &step.action {
                all.push(Impl::parse(with));
            }
        }
        all
    }

    /// Whether `mix` runs ours on a node that needs a feature ours lacks.
    pub fn pending_for(&self, mix: &Mix) -> bool {
        self.pending_ours.is_some()
            && self.nodes.iter().zip(&mix.0).any(|(node, imp)| {
                *imp == Impl::Ours
                    && self
                        .pending_nodes
                        .as_ref()
                        .is_none_or(|list| list.contains(node))
            })
    }
}

/// Expands `{{repeat A B}} … {{end}}` blocks and then `{{name}}` variables. Unknown
/// variables are an error, so a typo in a scenario cannot silently produce a config.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut text = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{repeat ") {
        text.push_str(&rest[..start]);
        let after = &rest[start + "{{repeat ".len()..];
        let close = after.find("}}").ok_or("unclosed {{repeat")?;
        let range: Vec<u32> = after[..close]
            .split_whitespace()
            .map(|n| {
                n.parse()
                    .map_err(|_| format!("bad repeat range {:?}", &after[..close]))
            })
            .collect::<Result<_, _>>()?;
        let [from, to] = range[..] else {
            return Err("repeat needs FROM TO".into());
        };
        let body_and_rest = &after[close + 2..];
        let end = body_and_rest
            .find("{{end}}")
            .ok_or("repeat without {{end}}")?;
        let body = &body_and_rest[..end];
        for i in from..=to {
            text.push_str(&body.replace("{{i}}", &i.to_string()));
        }
        rest = &body_and_rest[end + "{{end}}".len()..];
    }
    text.push_str(rest);
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let close = after.find("}}").ok_or("unclosed {{")?;
        let name = after[..close].trim();
        let value = vars
            .get(name)
            .ok_or_else(|| format!("template variable {{{{{name}}}}} is not defined"))?;
        out.push_str(value);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}
