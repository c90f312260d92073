//! Prometheus text exposition (format 0.0.4) of a [`Snapshot`].
//!
//! Rendered by hand rather than with the `prometheus-client` crate: that crate's model is
//! a registry of long-lived metric handles updated in place, while every value here is
//! already in an immutable snapshot rebuilt on each state change, so a registry would be
//! rebuilt per scrape. The format itself is small — `# HELP`/`# TYPE` lines, then
//! `name{label="value"} number` samples, with `\`, `"` and newlines escaped in label
//! values — and the tests parse the output back to check it.
//!
//! Names start with `keepalived_`. Per-instance counters reuse the names of the widely
//! deployed keepalived-exporter (`keepalived_advertisements_received_total`, …) so
//! existing dashboards keep working, labelled by `iname`, `intf` and `vrid` (no state
//! label on counters: a failover must not start new series).

use std::fmt::Write;

use crate::daemon::status::{InstanceView, Snapshot, TrackerKind};
use crate::vrrp::Stats;

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

type Labels<'a> = Vec<(&'static str, &'a str)>;

/// Collects the samples of one metric family, then writes it.
struct Family<'a> {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<(Labels<'a>, f64)>,
}

impl<'a> Family<'a> {
    fn new(name: &'static str, kind: &'static str, help: &'static str) -> Self {
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }
    fn add(&mut self, labels: Labels<'a>, value: f64) {
        self.samples.push((labels, value));
    }
    fn write(self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(self.help));
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        for (labels, value) in self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                out.push('{');
                for (n, (k, v)) in labels.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape_label(v));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", format_value(value));
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value: integers without a fraction, `NaN`/`+Inf`/`-Inf` spelled as
/// Prometheus expects.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// (metric name, help, counter) for one stats file counter.
type CounterDef = (&'static str, &'static str, fn(&Stats) -> u64);

/// The stats file counters.
const COUNTERS: [CounterDef; 14] = [
    (
        "keepalived_advertisements_received_total",
        "Advertisements received.",
        |s| s.advert_rcvd,
    ),
    (
        "keepalived_advertisements_sent_total",
        "Advertisements sent.",
        |s| s.advert_sent,
    ),
    (
        "keepalived_become_master_total",
        "Times the instance became master.",
        |s| s.become_master,
    ),
    (
        "keepalived_release_master_total",
        "Times the instance released master.",
        |s| s.release_master,
    ),
    (
        "keepalived_packet_length_errors_total",
        "Packets with a bad length.",
        |s| s.packet_len_err,
    ),
    (
        "keepalived_advertisements_interval_errors_total",
        "Advertisements with another advert interval.",
        |s| s.advert_interval_err,
    ),
    (
        "keepalived_ip_ttl_errors_total",
        "Packets with a bad TTL or hop limit.",
        |s| s.ip_ttl_err,
    ),
    (
        "keepalived_invalid_type_received_total",
        "Packets with an invalid VRRP type.",
        |s| s.invalid_type_rcvd,
    ),
    (
        "keepalived_address_list_errors_total",
        "Advertisements whose address list does not match.",
        |s| s.addr_list_err,
    ),
    (
        "keepalived_authentication_invalid_total",
        "Packets with an invalid authentication type.",
        |s| s.invalid_authtype,
    ),
    (
        "keepalived_authentication_mismatch_total",
        "Packets with another authentication type.",
        |s| s.authtype_mismatch,
    ),
    (
        "keepalived_authentication_failure_total",
        "Packets failing authentication.",
        |s| s.auth_failure,
    ),
    (
        "keepalived_priority_zero_received_total",
        "Priority 0 advertisements received.",
        |s| s.pri_zero_rcvd,
    ),
    (
        "keepalived_priority_zero_sent_total",
        "Priority 0 advertisements sent.",
        |s| s.pri_zero_sent,
    ),
];

/// The whole exposition for `snap`.
pub fn render(snap: &Snapshot) -> String {
    let mut out = String::new();
    process_families(snap, &mut out);
    instance_families(snap, &mut out);
    sync_group_family(snap, &mut out);
    tracker_families(snap, &mut out);
    log_family(&mut out);
    out
}

/// Log lines lost at a full log queue (issue 15): read live, not from the snapshot, since
/// losses happen between state changes.
pub(crate) fn log_family(out: &mut String) {
    let mut dropped = Family::new(
        "keepalived_log_lines_dropped_total",
        "counter",
        "Log lines lost because the log queue was full.",
    );
    dropped.add(
        vec![],
        crate::daemon::log::loss::lines_dropped_total() as f64,
    );
    dropped.write(out);
}

/// The daemon as a whole: up, started, last failover.
fn process_families(snap: &Snapshot, out: &mut String) {
    let mut up = Family::new("keepalived_up", "gauge", "1 while the VRRP daemon runs.");
    up.add(vec![], 1.0);
    up.write(out);
    let mut start = Family::new(
        "keepalived_start_time_seconds",
        "gauge",
        "Start time of the daemon since the Unix epoch.",
    );
    start.add(vec![], snap.process.start_time.as_secs_f64());
    start.write(out);
    let mut failover = Family::new(
        "keepalived_last_failover_timestamp_seconds",
        "gauge",
        "Time of the latest state change of any instance since the Unix epoch.",
    );
    if let Some(t) = snap.last_failover {
        failover.add(vec![], t.as_secs_f64());
    }
    failover.write(out);
}

/// One sample per instance (and per VIP), labelled as keepalived-exporter labels them.
fn instance_families(snap: &Snapshot, out: &mut String) {
    let vrids: Vec<String> = snap.instances.iter().map(|i| i.vrid.to_string()).collect();
    let labels = |n: usize| -> Labels<'_> {
        let i: &InstanceView = &snap.instances[n];
        vec![
            ("iname", i.name.as_str()),
            ("intf", i.interface.as_str()),
            ("vrid", vrids[n].as_str()),
        ]
    };
    let n = snap.instances.len();
    let per_instance = |name, kind, help, value: &dyn Fn(&InstanceView) -> f64| {
        let mut f = Family::new(name, kind, help);
        for k in 0..n {
            f.add(labels(k), value(&snap.instances[k]));
        }
        f
    };
    per_instance(
        "keepalived_vrrp_instance_state",
        "gauge",
        "Instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP.",
        &|i| f64::from(i.state as u8),
    )
    .write(out);
    per_instance(
        "keepalived_vrrp_instance_wantstate",
        "gauge",
        "State the instance would be in without its sync group (numbered as the state).",
        &|i| f64::from(i.wantstate as u8),
    )
    .write(out);
    vip_state_families(snap, out);
    per_instance(
        "keepalived_gratuitous_arp_delay_total",
        "counter",
        "Delay in seconds before the repeat gratuitous ARPs after becoming master \
         (garp_master_delay), as keepalived-exporter reports it.",
        &|i| i.advert.garp.delay_secs as f64,
    )
    .write(out);
    per_instance(
        "keepalived_vrrp_base_priority",
        "gauge",
        "Configured priority.",
        &|i| f64::from(i.base_priority),
    )
    .write(out);
    per_instance(
        "keepalived_vrrp_effective_priority",
        "gauge",
        "Priority advertised: configured priority moved by tracker weights.",
        &|i| f64::from(i.effective_priority),
    )
    .write(out);
    per_instance(
        "keepalived_vrrp_vips_installed",
        "gauge",
        "1 while the instance's virtual addresses are installed.",
        &|i| f64::from(u8::from(i.vips_set)),
    )
    .write(out);
    per_instance(
        "keepalived_vrrp_state_transitions_total",
        "counter",
        "State changes since the daemon started.",
        &|i| i.transitions as f64,
    )
    .write(out);
    let mut last = Family::new(
        "keepalived_vrrp_last_transition_timestamp_seconds",
        "gauge",
        "Time of the instance's latest state change since the Unix epoch.",
    );
    for (k, inst) in snap.instances.iter().enumerate() {
        if let Some(t) = inst.last_transition {
            last.add(labels(k), t.as_secs_f64());
        }
    }
    last.write(out);
    for (name, help, field) in COUNTERS {
        per_instance(name, "counter", help, &|i| field(&i.stats) as f64).write(out);
    }
}

/// keepalived-exporter's per-address state gauges, for existing dashboards: the instance
/// state once per virtual address (`keepalived_vrrp_state`) and once per excluded address
/// (`keepalived_vrrp_excluded_state`). As the exporter does, `intf` is the address's own
/// device, and an instance without virtual addresses still gets one `keepalived_vrrp_state`
/// sample with an empty `ip_address`, on the instance's interface.
fn vip_state_families(snap: &Snapshot, out: &mut String) {
    let mut vip_state = Family::new(
        "keepalived_vrrp_state",
        "gauge",
        "Instance state per virtual address: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.",
    );
    let mut excluded = Family::new(
        "keepalived_vrrp_excluded_state",
        "gauge",
        "Instance state per excluded virtual address: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.",
    );
    let vrids: Vec<String> = snap.instances.iter().map(|i| i.vrid.to_string()).collect();
    for (inst, vrid) in snap.instances.iter().zip(&vrids) {
        let state = f64::from(inst.state as u8);
        for vip in &inst.vips {
            vip_state.add(address_labels(inst, vrid, vip), state);
        }
        if inst.vips.is_empty() {
            vip_state.add(address_labels(inst, vrid, ""), state);
        }
        for evip in &inst.evips {
            excluded.add(address_labels(inst, vrid, evip), state);
        }
    }
    vip_state.write(out);
    excluded.write(out);
}

/// keepalived-exporter's labels for one address of `inst`.
fn address_labels<'a>(inst: &'a InstanceView, vrid: &'a str, shown: &'a str) -> Labels<'a> {
    let (addr, dev) = address_and_device(shown);
    vec![
        ("iname", inst.name.as_str()),
        ("intf", dev.unwrap_or(inst.interface.as_str())),
        ("vrid", vrid),
        ("ip_address", addr),
    ]
}

/// The address word and the `dev` of an address as the dumps show it
/// (`198.18.0.1/24 dev eth0 scope global`). keepalived-exporter labels with the first word
/// as it is, prefix length included when keepalived prints one.
fn address_and_device(shown: &str) -> (&str, Option<&str>) {
    let addr = shown.split(' ').next().unwrap_or("");
    let dev = shown.split(' ').skip_while(|w| *w != "dev").nth(1);
    (addr, dev)
}

fn sync_group_family(snap: &Snapshot, out: &mut String) {
    let mut groups = Family::new(
        "keepalived_vrrp_sync_group_state",
        "gauge",
        "Sync group state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP.",
    );
    for g in &snap.sync_groups {
        groups.add(vec![("group", g.name.as_str())], f64::from(g.state as u8));
    }
    groups.write(out);
}

/// Tracker results, with keepalived-exporter's script status beside ours.
fn tracker_families(snap: &Snapshot, out: &mut String) {
    let mut tracker_up = Family::new(
        "keepalived_tracker_status",
        "gauge",
        "Tracker result: 1 up, 0 down (absent until the first result).",
    );
    let mut tracker_value = Family::new(
        "keepalived_tracker_value",
        "gauge",
        "Number read by a track_file tracker.",
    );
    let mut script_status = Family::new(
        "keepalived_script_status",
        "gauge",
        "vrrp_script status as keepalived-exporter reports it: 0 BAD, 1 GOOD.",
    );
    // keepalived-exporter's `keepalived_script_state` reads the data dump's `State` line
    // (0 idle, 1 running, 2 requested termination, 3 forcing termination): the same run
    // state the dump shows.
    let mut script_state = Family::new(
        "keepalived_script_state",
        "gauge",
        "vrrp_script run state as keepalived-exporter reports it: 0 idle, 1 running, \
         2 requested termination, 3 forcing termination.",
    );
    for t in &snap.trackers {
        let l = vec![("name", t.name.as_str()), ("kind", t.kind.as_str())];
        if let Some(up) = t.up {
            tracker_up.add(l.clone(), f64::from(u8::from(up)));
        }
        if t.kind == TrackerKind::Script {
            // As in the data dump: BAD until the first good result.
            let good = t.up == Some(true);
            script_status.add(vec![("name", t.name.as_str())], f64::from(u8::from(good)));
            let state = f64::from(t.run_state.number());
            script_state.add(vec![("name", t.name.as_str())], state);
        }
        if let Some(v) = t.value {
            tracker_value.add(l, f64::from(v));
        }
    }
    tracker_up.write(out);
    tracker_value.write(out);
    script_status.write(out);
    script_state.write(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
    }

    #[test]
    fn values_use_prometheus_spelling() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(1.5), "1.5");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(1_795_643_390.542_051), "1795643390.542051");
    }

    #[test]
    fn empty_families_are_left_out() {
        let mut out = String::new();
        Family::new("keepalived_x", "gauge", "h").write(&mut out);
        assert!(out.is_empty());
    }
}
