//! `vrrpProcessTable` (`.2.21`): every `vrrp_track_process`, used or not (keepalived keeps
//! them all), indexed by position in configuration order.
//!
//! The values are keepalived 2.2.7's: the process line split into its path (first word)
//! and parameters (the rest, space separated; empty without any); arguments or a
//! `param_match` make the match exact unless said otherwise and compare the full command;
//! delays in microseconds (the `delay` standing in for an unset `fork_delay` /
//! `terminate_delay`); an unset `quorum_max` is keepalived's UINT_MAX, which its Integer32
//! column carries as -1. The current count is what `/proc` shows now; the result is the
//! tracker's (after its delays), as keepalived's `have_quorum` is.

use super::{text, truth, Inputs, Table};
use crate::config::model::TrackProcess;
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use crate::daemon::status::TrackerKind;
use std::time::Duration;

/// ProcessParamMatch as the MIB numbers it: none(0), exact(1), partial(2), initial(3).
/// keepalived 2.2.7 answers with its own numbering instead (initial 2, partial 3; still so
/// upstream).
fn param_match(p: &TrackProcess, has_params: bool) -> i32 {
    match p.param_match.as_deref() {
        Some("partial") => 2,
        Some("initial") => 3,
        Some(_) => 1,
        None if has_params => 1,
        None => 0,
    }
}

fn micros(d: Option<Duration>) -> Value {
    Value::Gauge32(d.map_or(0, |d| d.as_micros().min(u128::from(u32::MAX)) as u32))
}

fn row(t: &mut Table<'_>, inputs: &Inputs<'_>, idx: &[u32], p: &TrackProcess, line: &str) {
    let mut words = line.split_whitespace();
    let path = words.next().unwrap_or_default();
    let params = words.collect::<Vec<_>>().join(" ");
    let has_params = !params.is_empty();
    let have_quorum = inputs
        .snap
        .trackers
        .iter()
        .find(|t| t.kind == TrackerKind::Process && t.name == p.name)
        .and_then(|t| t.up)
        .unwrap_or(false);
    let quorum_max = p.quorum_max.map_or(-1, |q| q as i32);
    let cells = [
        (2, text(&p.name)),
        (3, text(path)),
        (4, text(&params)),
        (5, Value::Integer(param_match(p, has_params))),
        (6, Value::Integer(p.weight)),
        (7, truth(p.weight_reverse)),
        (8, Value::Gauge32(p.quorum)),
        (9, Value::Integer(quorum_max)),
        (10, micros(p.fork_delay.or(p.delay))),
        (11, micros(p.terminate_delay.or(p.delay))),
        (
            12,
            truth(p.full_command || has_params || p.param_match.is_some()),
        ),
        (13, Value::Integer((inputs.process_count)(p) as i32)),
        (14, truth(have_quorum)),
    ];
    for (column, value) in cells {
        t.cell(column, idx, value);
    }
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    let mut t = Table::vrrp(view, 21, &(2..=14).collect::<Vec<_>>());
    // keepalived drops a process without its `process` line when it reads the block.
    let kept = inputs
        .config
        .track_processes
        .iter()
        .filter_map(|p| Some((p, p.process.as_deref()?)));
    for (n, (p, line)) in (1..).zip(kept) {
        row(&mut t, inputs, &[n], p, line);
    }
}
