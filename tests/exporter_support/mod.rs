//! keepalived-exporter's reading of keepalived's dump files, written here from its documented
//! behaviour (github mehdy/keepalived-exporter): in `keepalived.data` an instance starts at
//! ` VRRP Instance =`, its fields are `   Key = value` or `   Key: value` lines, list items
//! are indented by five spaces and only `Virtual IP (N):` and `Virtual IP Excluded` items are
//! collected; `keepalived.stats` values must be integers; the JSON is decoded into fixed
//! integer fields. [`exporter_samples`] turns what it read into the metric samples the
//! exporter serves, so tests can hold our own `/metrics` against them.

#![allow(dead_code)]

use std::collections::BTreeMap;

const STATES: [&str; 4] = ["INIT", "BACKUP", "MASTER", "FAULT"];

#[derive(Debug, Default, PartialEq, Eq, Clone, serde::Deserialize)]
pub struct VrrpData {
    #[serde(rename = "iname")]
    pub name: String,
    pub state: i64,
    pub wantstate: i64,
    #[serde(rename = "ifp_ifname")]
    pub intf: String,
    pub garp_delay: i64,
    pub vrid: i64,
    pub vips: Vec<String>,
    /// `Virtual IP Excluded` items (JSON `evips`).
    #[serde(default)]
    pub evips: Vec<String>,
}

fn state_number(text: &str) -> Result<i64, String> {
    STATES
        .iter()
        .position(|s| *s == text)
        .map(|n| n as i64)
        .ok_or_else(|| format!("unknown state {text:?}"))
}

fn int(v: &str) -> Result<i64, String> {
    v.parse().map_err(|_| format!("not an integer: {v:?}"))
}

pub fn parse_data(text: &str) -> Result<BTreeMap<String, VrrpData>, String> {
    let mut data: BTreeMap<String, VrrpData> = BTreeMap::new();
    let mut instance = String::new();
    let mut key = String::new();
    for line in text.lines() {
        if line.starts_with(" VRRP Instance") && line.contains('=') {
            instance = line.split('=').nth(1).unwrap().trim().to_string();
            data.insert(
                instance.clone(),
                VrrpData {
                    name: instance.clone(),
                    ..Default::default()
                },
            );
        } else if line.starts_with("   ") && !instance.is_empty() {
            let val;
            if line.starts_with("     ") {
                val = line.trim().to_string();
            } else {
                let parts: Vec<&str> = if line.contains('=') {
                    line.trim().split('=').collect()
                } else if line.contains(':') {
                    line.trim().split(':').collect()
                } else {
                    continue;
                };
                key = parts[0].trim().to_string();
                if key == "Virtual IP" {
                    continue;
                }
                val = parts.get(1).unwrap_or(&"").trim().to_string();
            }
            let d = data.get_mut(&instance).unwrap();
            if key.starts_with("Virtual IP (") && !val.is_empty() {
                d.vips.push(val.clone());
            }
            if key.starts_with("Virtual IP Excluded") && !val.is_empty() {
                d.evips.push(val.clone());
            }
            match key.as_str() {
                "State" => d.state = state_number(&val)?,
                "Wantstate" => d.wantstate = state_number(&val)?,
                "Interface" => d.intf = val,
                "Gratuitous ARP delay" => d.garp_delay = int(&val)?,
                "Virtual Router ID" => d.vrid = int(&val)?,
                _ => {}
            }
        } else if line.starts_with(" VRRP Version") || line.starts_with(" VRRP Script") {
            continue;
        } else {
            instance.clear();
        }
    }
    Ok(data)
}

pub fn parse_scripts(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(String, String, String)> = None;
    for line in text.lines() {
        if line.starts_with(" VRRP Script") && line.contains('=') {
            out.extend(cur.take());
            let name = line.split('=').nth(1).unwrap().trim().to_string();
            cur = Some((name, String::new(), String::new()));
        } else if line.starts_with("   ") && cur.is_some() {
            if let Some((k, v)) = line.trim().split_once('=') {
                let c = cur.as_mut().unwrap();
                match k.trim() {
                    "Status" => c.1 = v.trim().to_string(),
                    "State" => c.2 = v.trim().to_string(),
                    _ => {}
                }
            }
        } else if !line.starts_with("    ") {
            out.extend(cur.take());
        }
    }
    out.extend(cur);
    out
}

pub fn parse_stats(text: &str) -> Result<BTreeMap<String, BTreeMap<String, i64>>, String> {
    let mut stats: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let (mut instance, mut section) = (String::new(), String::new());
    for line in text.lines() {
        if line.starts_with("VRRP Instance") && line.contains(':') {
            instance = line.split(':').nth(1).unwrap().trim().to_string();
            stats.insert(instance.clone(), BTreeMap::new());
        } else if line.starts_with("  ") && line.ends_with(':') {
            section = line.trim().trim_end_matches(':').to_string();
        } else if line.starts_with("    ") && !section.is_empty() {
            let (k, v) = line.trim().split_once(':').ok_or("no colon")?;
            let name = format!("{section}/{}", k.trim());
            stats
                .get_mut(&instance)
                .ok_or("no instance")?
                .insert(name, int(v.trim())?);
        } else if line.starts_with("  ") {
            let (k, v) = line.trim().split_once(':').ok_or("no colon")?;
            section.clear();
            stats
                .get_mut(&instance)
                .ok_or("no instance")?
                .insert(k.trim().to_string(), int(v.trim())?);
        }
    }
    Ok(stats)
}

#[derive(Debug, PartialEq, serde::Deserialize)]
pub struct JsonEntry {
    pub data: VrrpData,
    pub stats: BTreeMap<String, i64>,
}

pub fn parse_json(text: &str) -> Vec<JsonEntry> {
    serde_json::from_str(text).expect("decodes into the exporter's integer fields")
}

/// The samples keepalived-exporter serves for a keepalived whose dumps are `data` and
/// `stats`, keyed as the Prometheus text writes them (`name{label="value",…}`), labels in
/// the exporter's order. The exporter's own `keepalived_exporter_*` families (its optional
/// check script) are not keepalived's and are left out.
pub fn exporter_samples(data: &str, stats: &str) -> Result<BTreeMap<String, f64>, String> {
    let data = parse_data(data)?;
    let stats = parse_stats(stats)?;
    let mut out = BTreeMap::new();
    out.insert("keepalived_up".to_string(), 1.0);
    for d in data.values() {
        let s = stats
            .get(&d.name)
            .ok_or(format!("no stats for {}", d.name))?;
        let vrid = d.vrid.to_string();
        let instance = format!("iname=\"{}\",intf=\"{}\",vrid=\"{vrid}\"", d.name, d.intf);
        for (family, key) in STATS_FAMILIES {
            let v = *s.get(key).ok_or(format!("no {key} for {}", d.name))?;
            out.insert(format!("{family}{{{instance}}}"), v as f64);
        }
        out.insert(
            format!("keepalived_gratuitous_arp_delay_total{{{instance}}}"),
            d.garp_delay as f64,
        );
        let per_address = |family: &str, shown: &str, out: &mut BTreeMap<String, f64>| {
            // The exporter's ParseVIP: "ADDR dev IF …", at least three words.
            let words: Vec<&str> = shown.split(' ').collect();
            if words.len() >= 3 {
                let key = format!(
                    "{family}{{iname=\"{}\",intf=\"{}\",vrid=\"{vrid}\",ip_address=\"{}\"}}",
                    d.name, words[2], words[0]
                );
                out.insert(key, d.state as f64);
            }
        };
        for vip in &d.vips {
            per_address("keepalived_vrrp_state", vip, &mut out);
        }
        for evip in &d.evips {
            per_address("keepalived_vrrp_excluded_state", evip, &mut out);
        }
        if d.vips.is_empty() {
            out.insert(
                format!("keepalived_vrrp_state{{{instance},ip_address=\"\"}}"),
                d.state as f64,
            );
        }
    }
    Ok(out)
}

/// The script samples keepalived-exporter serves from `keepalived.data`.
pub fn exporter_script_samples(data: &str) -> Result<BTreeMap<String, f64>, String> {
    const STATUSES: [&str; 2] = ["BAD", "GOOD"];
    const RUN_STATES: [&str; 4] = [
        "idle",
        "running",
        "requested termination",
        "forcing termination",
    ];
    let mut out = BTreeMap::new();
    for (name, status, state) in parse_scripts(data) {
        let pos = |list: &[&str], v: &str| {
            list.iter()
                .position(|s| *s == v)
                .ok_or(format!("script {name}: unknown {v:?}"))
        };
        let label = format!("{{name=\"{name}\"}}");
        out.insert(
            format!("keepalived_script_status{label}"),
            pos(&STATUSES, &status)? as f64,
        );
        out.insert(
            format!("keepalived_script_state{label}"),
            pos(&RUN_STATES, &state)? as f64,
        );
    }
    Ok(out)
}

/// keepalived-exporter's per-instance counter families and the `keepalived.stats` line
/// (`Section/Key`, or `Key` for the unsectioned ones) each is read from.
const STATS_FAMILIES: [(&str, &str); 14] = [
    (
        "keepalived_advertisements_received_total",
        "Advertisements/Received",
    ),
    (
        "keepalived_advertisements_sent_total",
        "Advertisements/Sent",
    ),
    ("keepalived_become_master_total", "Became master"),
    ("keepalived_release_master_total", "Released master"),
    (
        "keepalived_packet_length_errors_total",
        "Packet Errors/Length",
    ),
    (
        "keepalived_advertisements_interval_errors_total",
        "Packet Errors/Advertisement Interval",
    ),
    ("keepalived_ip_ttl_errors_total", "Packet Errors/TTL"),
    (
        "keepalived_invalid_type_received_total",
        "Packet Errors/Invalid Type",
    ),
    (
        "keepalived_address_list_errors_total",
        "Packet Errors/Address List",
    ),
    (
        "keepalived_authentication_invalid_total",
        "Authentication Errors/Invalid Type",
    ),
    (
        "keepalived_authentication_mismatch_total",
        "Authentication Errors/Type Mismatch",
    ),
    (
        "keepalived_authentication_failure_total",
        "Authentication Errors/Failure",
    ),
    (
        "keepalived_priority_zero_received_total",
        "Priority Zero/Received",
    ),
    ("keepalived_priority_zero_sent_total", "Priority Zero/Sent"),
];
