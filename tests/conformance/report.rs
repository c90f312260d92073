//! The matrix: one line per run as it finishes, and `conformance/REPORT.md` at the end
//! (scenario × mix → result and measured client outages, plus the byte-for-byte
//! comparison of our adverts with keepalived's).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::node::Binaries;
use crate::run::{Outcome, RunResult};
use crate::scenario::{Impl, Scenario};

fn outcome_word(o: &Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail(_) => "FAIL",
        Outcome::Pending(_) => "pending",
        Outcome::PendingPassed => "pass (marked pending)",
    }
}

fn outages(r: &RunResult) -> String {
    if r.outages.is_empty() {
        return "–".into();
    }
    r.outages
        .iter()
        .map(|(label, gap)| format!("{label} {:.2}s", gap.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The progress line printed when a run ends.
pub fn line(r: &RunResult) -> String {
    let mut s = format!(
        "{:<28} {:<16} {:<8} {:>6.1}s  {}",
        r.scenario,
        r.mix.id(),
        outcome_word(&r.outcome),
        r.elapsed.as_secs_f64(),
        outages(r)
    );
    if let Outcome::Fail(why) | Outcome::Pending(why) = &r.outcome {
        write!(s, "\n    {why}").unwrap();
    }
    for l in r.evidence.lines() {
        write!(s, "\n    | {l}").unwrap();
    }
    s
}

/// Ours against keepalived for one recorded (scenario, node, label).
pub struct Identity {
    pub scenario: String,
    pub node: String,
    pub label: String,
    /// Keys compared and found equal.
    pub equal: usize,
    /// Differences (key and first differing byte), empty when identical.
    pub differences: Vec<String>,
    /// Whether both implementations were recorded at all.
    pub compared: bool,
}

impl Identity {
    pub fn identical(&self) -> bool {
        !self.compared || (self.differences.is_empty() && self.equal > 0)
    }
}

/// Compares every recording of ours with every recording of keepalived for the same
/// scenario, node and label, frame by frame where their keys (IP ID, AH seq, or
/// priority for IPv6) coincide.
pub fn identity(results: &[RunResult]) -> Vec<Identity> {
    let mut groups: BTreeMap<(String, String, String), Vec<&crate::run::Recording>> =
        BTreeMap::new();
    for r in results {
        for rec in &r.recordings {
            groups
                .entry((r.scenario.clone(), rec.node.clone(), rec.label.clone()))
                .or_default()
                .push(rec);
        }
    }
    let mut out = Vec::new();
    for ((scenario, node, label), recs) in groups {
        let ours: Vec<_> = recs.iter().filter(|r| r.imp == Impl::Ours).collect();
        let theirs: Vec<_> = recs.iter().filter(|r| r.imp == Impl::Keepalived).collect();
        let mut id = Identity {
            scenario,
            node,
            label,
            equal: 0,
            differences: Vec::new(),
            compared: !ours.is_empty() && !theirs.is_empty(),
        };
        for o in &ours {
            for t in &theirs {
                for (key, frame) in &o.frames {
                    let Some(other) = t.frames.get(key) else {
                        continue;
                    };
                    if frame == other {
                        id.equal += 1;
                    } else {
                        let at = frame
                            .iter()
                            .zip(other.iter())
                            .position(|(a, b)| a != b)
                            .unwrap_or(frame.len().min(other.len()));
                        id.differences.push(format!(
                            "{key}: frame byte {at} ours {:02x?} keepalived {:02x?} (len {} vs {})",
                            frame.get(at),
                            other.get(at),
                            frame.len(),
                            other.len()
                        ));
                    }
                }
            }
        }
        if id.compared && id.equal == 0 && id.differences.is_empty() {
            let keys = |side: &[&&crate::run::Recording]| {
                side.iter()
                    .map(|r| r.frames.keys().cloned().collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            id.differences.push(format!(
                "no advert with the same IP ID / AH sequence in both recordings \
                 (ours: {}; keepalived: {})",
                keys(&ours),
                keys(&theirs)
            ));
        }
        out.push(id);
    }
    out
}

/// `conformance/REPORT.md`.
pub fn markdown(
    scenarios: &[Scenario],
    results: &[RunResult],
    identity: &[Identity],
    bins: &Binaries,
) -> String {
    let mut s = String::new();
    let pass = results
        .iter()
        .filter(|r| r.outcome == Outcome::Pass)
        .count();
    let fail = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
        .count();
    let pending = results.len() - pass - fail;
    let total: f64 = results.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    writeln!(
        s,
        "# Conformance matrix: keepalived-rs and stock keepalived\n"
    )
    .unwrap();
    writeln!(
        s,
        "Generated by `CONFORMANCE_REPORT=conformance/REPORT.md cargo test --release --test conformance` \
         (as root). Each scenario (`conformance/scenarios/NAME.toml`) runs once per mix; a mix names \
         the implementation on each node in the scenario's node order (`ours` = keepalived-rs, `ka` = \
         stock keepalived). Outages are the longest gap between two replies seen by a client pinging \
         the VIP every 5 ms.\n"
    )
    .unwrap();
    writeln!(
        s,
        "* ours: `{}`\n* keepalived: `{}` ({})\n* {} runs: {pass} pass, {fail} fail, {pending} pending; \
         {:.0} s of run time\n",
        bins.ours.file_name().unwrap_or_default().to_string_lossy(),
        bins.keepalived.display(),
        keepalived_version(&bins.keepalived),
        results.len(),
        total
    )
    .unwrap();
    let family = |r: &&RunResult| {
        let imps = &r.mix.0;
        if imps.contains(&Impl::Frr) {
            2
        } else if imps
            .iter()
            .any(|i| matches!(i, Impl::Keepalived1_1 | Impl::Keepalived1_3))
        {
            1
        } else {
            0
        }
    };
    let of = |f: u8| {
        results
            .iter()
            .filter(|r| family(r) == f)
            .collect::<Vec<_>>()
    };
    table(&mut s, scenarios, &of(0));
    for (f, heading, intro) in [(1, PEERS_1X, INTRO_1X), (2, PEERS_FRR, INTRO_FRR)] {
        let rows = of(f);
        if !rows.is_empty() {
            writeln!(s, "\n## {heading}\n\n{intro}\n").unwrap();
            table(&mut s, scenarios, &rows);
        }
    }
    let notes: Vec<&RunResult> = results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Pass))
        .collect();
    if !notes.is_empty() {
        writeln!(s, "\n## Failed and pending runs\n").unwrap();
        for r in notes {
            let why = match &r.outcome {
                Outcome::Fail(w) | Outcome::Pending(w) => w.clone(),
                _ => "passes although marked pending: remove `pending_ours`".into(),
            };
            writeln!(
                s,
                "* **{} / {}** ({}): {}",
                r.scenario,
                r.mix.id(),
                outcome_word(&r.outcome),
                why.replace('\n', " ")
            )
            .unwrap();
        }
        let waiting: Vec<String> = scenarios
            .iter()
            .filter_map(|sc| {
                sc.pending_ours
                    .as_ref()
                    .map(|p| format!("* `{}`: {p}", sc.name))
            })
            .collect();
        if !waiting.is_empty() {
            writeln!(
                s,
                "\nScenarios marked pending for our daemon:\n\n{}",
                waiting.join("\n")
            )
            .unwrap();
        }
    }
    peer_wire(&mut s, results);
    writeln!(s, "\n## Scenarios\n").unwrap();
    for sc in scenarios {
        if results.iter().any(|r| r.scenario == sc.name) {
            writeln!(
                s,
                "* **{}**: {}",
                sc.name,
                sc.description.replace('\n', " ").trim()
            )
            .unwrap();
        }
    }
    writeln!(s, "\n## Adverts byte for byte\n").unwrap();
    writeln!(
        s,
        "Frames recorded by `record_adverts` steps (whole Ethernet frames, IP header and checksums \
         included; node MACs are fixed per lab) from runs where the node ran ours and runs where \
         it ran keepalived, compared where the IP ID (and AH sequence) — or, for IPv6, the \
         priority — coincide.\n"
    )
    .unwrap();
    writeln!(s, "| scenario | node | recording | frames equal | result |").unwrap();
    writeln!(s, "|---|---|---|---|---|").unwrap();
    for i in identity {
        let result = if !i.compared {
            "not compared (one implementation only)".to_string()
        } else if i.identical() {
            "identical".to_string()
        } else {
            format!(
                "DIFFER: {}",
                i.differences.first().cloned().unwrap_or_default()
            )
        };
        writeln!(
            s,
            "| {} | {} | {} | {} | {result} |",
            i.scenario, i.node, i.label, i.equal
        )
        .unwrap();
    }
    s
}

const PEERS_1X: &str = "Mixed with stock keepalived 1.x (`k11` = 1.1.19, `k13` = 1.3.5)";
const INTRO_1X: &str =
    "Unmodified 1.1.19 and 1.3.5 daemons as peers of ours (and, in `seed-pair` and \
`wrong-password`, of stock 2.2.7, for comparison), in every role assignment. Where 1.x behaves \
differently the scenario states it per implementation (`when`), measured, never by loosening \
a shared bound: a 1.x backup enters MASTER one advert interval after its timer fires \
(`Transition to MASTER STATE` first), so its takeovers are 1 s slower; 1.1.19 sends no \
priority-0 advert when it stops, so its backup waits out the down timer; 1.x honours \
`state MASTER` at start-up (the VIP returns to it at once, after a 1 s gap); a 1.x node that \
rejects adverts (wrong password, wrong auth type, 1.1.19's AH) still restarts its down \
timer while backup, so, started while the other node is master, it stays backup instead of \
splitting the brain; 1.1.19 as master yields to an \
equal-priority advert from a lower address. `migrate-1x` is an operator's node-by-node \
replacement of a 1.x pair by ours. `track_script` runs with 1.3.5 only: on 1.1.19 as built \
here the script runs (and exits 1), but 1.1.19 neither logs the failure nor lowers the \
priority in its adverts. See `DIFFERENCES.md`, M1-M5.";
const PEERS_FRR: &str = "Mixed with FRR's vrrpd (`frr`)";
const INTRO_FRR: &str =
    "FRR 8.4's zebra and vrrpd, started per node namespace, against ours and against \
stock 2.2.7 in both roles: VRRPv3 over IPv4 and IPv6, VRRPv2 without authentication. FRR needs a \
macvlan per virtual router and family carrying the virtual MAC and the VIPs, and parks a \
backup's with `protodown`; the parent interface needs `arp_ignore 1`. Ours and 2.2.7 \
elect, preempt and fail over with FRR alike; FRR as master over IPv6 can leave a ~2 s \
gap on preemption (it announces before its macvlan is usable). See `DIFFERENCES.md`, M6.";

fn table(s: &mut String, scenarios: &[Scenario], rows: &[&RunResult]) {
    writeln!(
        s,
        "| scenario | nodes | mix | result | client outage | time |"
    )
    .unwrap();
    writeln!(s, "|---|---|---|---|---|---|").unwrap();
    for r in rows {
        let nodes = scenarios
            .iter()
            .find(|sc| sc.name == r.scenario)
            .map(|sc| sc.nodes.join(","))
            .unwrap_or_default();
        writeln!(
            s,
            "| {} | {nodes} | {} | {} | {} | {:.0} s |",
            r.scenario,
            r.mix.id(),
            outcome_word(&r.outcome),
            outages(r),
            r.elapsed.as_secs_f64()
        )
        .unwrap();
    }
}

/// How the other peers' adverts (1.x, FRR) departed from keepalived 2.2.7's fixed
/// fields: not judged, but worth knowing for anyone reading their captures.
fn peer_wire(s: &mut String, results: &[RunResult]) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for r in results {
        for n in &r.peer_notes {
            seen.entry(n.clone())
                .or_insert_with(|| format!("{} / {}", r.scenario, r.mix.id()));
        }
    }
    if seen.is_empty() {
        return;
    }
    writeln!(
        s,
        "\n## Peers' adverts against keepalived 2.2.7's fixed fields\n\nNot judged (only ours \
         and 2.2.7 are); each first seen in the run named.\n"
    )
    .unwrap();
    for (note, first) in seen {
        writeln!(s, "* {note} ({first})").unwrap();
    }
}

fn keepalived_version(bin: &std::path::Path) -> String {
    std::process::Command::new(bin)
        .arg("-v")
        .output()
        .ok()
        .map(|o| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_default()
}
