//! The tracking tables: what each instance tracks (`vrrpTrackedInterfaceTable` `.2.4`,
//! `vrrpTrackedScriptTable` `.2.5`, `vrrpTrackedFileTable` `.2.12`,
//! `vrrpTrackedProcessTable` `.2.20`), what each sync group tracks (`.2.14`, `.2.15`,
//! `.2.16`, `.2.22`) and the tracked objects themselves (`vrrpScriptTable` `.2.9`,
//! `vrrpFileTable` `.2.13`; the processes' `.2.21` is in `process.rs`).

use super::{text, truth, Inputs, Table};
use crate::config::model::{SyncGroup, TrackRef};
use crate::daemon::snmp::pdu::Value;
use crate::daemon::snmp::view::MibView;
use crate::daemon::status::{InstanceTracker, InstanceView, TrackerKind, TrackerSnapshot};

/// keepalived's script states: init(1) until the first result, bad(2), good(3).
fn script_result(t: Option<&TrackerSnapshot>) -> Value {
    Value::Integer(match t.and_then(|t| t.up) {
        None => 1,
        Some(false) => 2,
        Some(true) => 3,
    })
}

/// The entries of one kind an instance itself tracks. The daemon also lists there what
/// the instance's sync group tracks; keepalived keeps that in the group's own lists
/// (`.2.14`…), so it is left out here.
pub(super) fn own_of_kind<'a>(
    inputs: &Inputs<'_>,
    i: &'a InstanceView,
    kind: TrackerKind,
) -> Vec<&'a InstanceTracker> {
    let group = i
        .sync_group
        .as_deref()
        .and_then(|name| inputs.config.sync_groups.iter().find(|g| g.name == name));
    let by_group = |name: &str| {
        group.is_some_and(|g| {
            let list = match kind {
                TrackerKind::Interface => &g.track_interface,
                TrackerKind::Script => &g.track_script,
                TrackerKind::File => &g.track_file,
                TrackerKind::Process => &g.track_process,
                TrackerKind::Mysql => return false,
            };
            list.iter().any(|r| r.name == name)
        })
    };
    i.trackers
        .iter()
        .filter(|t| t.kind == kind && !by_group(&t.name))
        .collect()
}

fn tracker<'a>(
    inputs: &'a Inputs<'_>,
    name: &str,
    kind: TrackerKind,
) -> Option<&'a TrackerSnapshot> {
    inputs
        .snap
        .trackers
        .iter()
        .find(|t| t.kind == kind && t.name == name)
}

/// Per instance, its entries of one kind: (name, weight, reverse) in columns `first`…
fn per_instance(
    view: &mut MibView,
    inputs: &Inputs<'_>,
    table: u32,
    first: u32,
    kind: TrackerKind,
) {
    let mut t = Table::vrrp(view, table, &[first, first + 1, first + 2]);
    for (n, i) in (1..).zip(&inputs.snap.instances) {
        for (m, e) in (1..).zip(own_of_kind(inputs, i, kind)) {
            let idx = [n, m];
            t.cell(first, &idx, text(&e.name));
            t.cell(first + 1, &idx, Value::Integer(e.weight));
            t.cell(first + 2, &idx, truth(e.reverse));
        }
    }
}

/// Whether any instance or sync group tracks script `name` (keepalived drops the others).
fn script_used(inputs: &Inputs<'_>, name: &str) -> bool {
    let by_instance = inputs.snap.instances.iter().any(|i| {
        i.trackers
            .iter()
            .any(|t| t.kind == TrackerKind::Script && t.name == name)
    });
    by_instance
        || inputs
            .config
            .sync_groups
            .iter()
            .any(|g| g.track_script.iter().any(|r| r.name == name))
}

fn scripts(view: &mut MibView, inputs: &Inputs<'_>) {
    let mut t = Table::vrrp(view, 9, &[2, 3, 4, 5, 6, 7, 8, 9]);
    let used = inputs
        .config
        .scripts
        .iter()
        .filter(|s| script_used(inputs, &s.name));
    for (n, s) in (1..).zip(used) {
        let idx = [n];
        let command = crate::daemon::status::quoted_command(&s.script);
        let cells = [
            (2, text(&s.name)),
            (3, text(&command)),
            (4, Value::Integer(s.interval.as_secs() as i32)),
            (5, Value::Integer(s.weight)),
            (
                6,
                script_result(tracker(inputs, &s.name, TrackerKind::Script)),
            ),
            (7, Value::Gauge32(s.rise)),
            (8, Value::Gauge32(s.fall)),
            (9, truth(s.weight_reverse)),
        ];
        for (column, value) in cells {
            t.cell(column, &idx, value);
        }
    }
}

/// A tracked object's own weight and direction, by name (`None`: no such object).
type OwnWeight<'a> = dyn Fn(&str) -> Option<(i32, bool)> + 'a;

/// `vrrpTrackedFileTable` and `vrrpTrackedProcessTable` show the object's own weight and
/// direction (as keepalived does), not the instance's override.
fn tracked_objects(
    view: &mut MibView,
    inputs: &Inputs<'_>,
    (table, kind): (u32, TrackerKind),
    own: &OwnWeight<'_>,
) {
    let mut t = Table::vrrp(view, table, &[2, 3, 4]);
    for (n, i) in (1..).zip(&inputs.snap.instances) {
        for (m, e) in (1..).zip(own_of_kind(inputs, i, kind)) {
            let Some((weight, reverse)) = own(&e.name) else {
                continue;
            };
            let idx = [n, m];
            t.cell(2, &idx, text(&e.name));
            t.cell(3, &idx, Value::Integer(weight));
            t.cell(4, &idx, truth(reverse));
        }
    }
}

/// A file's own weight and direction.
fn file_weight(inputs: &Inputs<'_>, name: &str) -> Option<(i32, bool)> {
    let f = inputs.config.track_files.iter().find(|f| f.name == name)?;
    Some((f.weight, f.weight_reverse))
}

/// A process's own weight and direction; keepalived drops a process without its
/// `process` line.
fn process_weight(inputs: &Inputs<'_>, name: &str) -> Option<(i32, bool)> {
    let p = inputs
        .config
        .track_processes
        .iter()
        .find(|p| p.name == name && p.process.is_some())?;
    Some((p.weight, p.weight_reverse))
}

fn files(view: &mut MibView, inputs: &Inputs<'_>) {
    let mut t = Table::vrrp(view, 13, &[2, 3, 4, 5, 6]);
    for (n, f) in (1..).zip(&inputs.config.track_files) {
        let idx = [n];
        let status = tracker(inputs, &f.name, TrackerKind::File).and_then(|t| t.value);
        t.cell(2, &idx, text(&f.name));
        t.cell(3, &idx, text(&f.file));
        t.cell(4, &idx, Value::Integer(status.unwrap_or(0)));
        t.cell(5, &idx, Value::Integer(f.weight));
        t.cell(6, &idx, truth(f.weight_reverse));
    }
}

/// A sync group's tracked entries of one kind: (name, weight, reverse).
type GroupEntries<'a> = dyn Fn(&SyncGroup) -> Vec<(String, i32, bool)> + 'a;

/// A sync group's entries of one kind in table `table` (name, weight, reverse from column
/// `first`); `weight` gives an entry's weight and direction.
fn per_group(
    view: &mut MibView,
    inputs: &Inputs<'_>,
    (table, first): (u32, u32),
    entries: &GroupEntries<'_>,
) {
    let mut t = Table::vrrp(view, table, &[first, first + 1, first + 2]);
    let groups = inputs
        .snap
        .sync_groups
        .iter()
        .filter_map(|g| inputs.config.sync_groups.iter().find(|c| c.name == g.name));
    for (n, g) in (1..).zip(groups) {
        for (m, (name, weight, reverse)) in (1..).zip(entries(g)) {
            let idx = [n, m];
            t.cell(first, &idx, text(&name));
            t.cell(first + 1, &idx, Value::Integer(weight));
            t.cell(first + 2, &idx, truth(reverse));
        }
    }
}

/// A group's entries with each object's own weight and direction (unknown ones left out).
fn with_own_weights(list: &[TrackRef], own: &OwnWeight<'_>) -> Vec<(String, i32, bool)> {
    list.iter()
        .filter_map(|r| own(&r.name).map(|(w, rev)| (r.name.clone(), w, rev)))
        .collect()
}

/// The sync groups' tracking tables: an interface weighs 0 unless given a weight, a
/// script its own weight and direction unless given others, a file or a process shows
/// its own.
fn groups(view: &mut MibView, inputs: &Inputs<'_>) {
    let config = inputs.config;
    per_group(view, inputs, (14, 1), &|g| {
        g.track_interface
            .iter()
            .map(|r| (r.name.clone(), r.weight.unwrap_or(0), r.reverse))
            .collect()
    });
    per_group(view, inputs, (15, 2), &|g| {
        g.track_script
            .iter()
            .filter_map(|r| {
                let s = config.scripts.iter().find(|s| s.name == r.name)?;
                let reverse = if r.weight.is_some() {
                    r.reverse
                } else {
                    s.weight_reverse
                };
                Some((r.name.clone(), r.weight.unwrap_or(s.weight), reverse))
            })
            .collect()
    });
    per_group(view, inputs, (16, 2), &|g| {
        with_own_weights(&g.track_file, &|n| file_weight(inputs, n))
    });
    per_group(view, inputs, (22, 2), &|g| {
        with_own_weights(&g.track_process, &|n| process_weight(inputs, n))
    });
}

pub(super) fn add(view: &mut MibView, inputs: &Inputs<'_>) {
    groups(view, inputs);
    per_instance(view, inputs, 4, 1, TrackerKind::Interface);
    per_instance(view, inputs, 5, 2, TrackerKind::Script);
    scripts(view, inputs);
    tracked_objects(view, inputs, (12, TrackerKind::File), &|n| {
        file_weight(inputs, n)
    });
    files(view, inputs);
    tracked_objects(view, inputs, (20, TrackerKind::Process), &|n| {
        process_weight(inputs, n)
    });
}
