//! `/tmp/keepalived.json`, the dump keepalived writes on SIGRTMIN+2 (`--signum=JSON`).
//!
//! A JSON array with one `{"data": {…}, "stats": {…}}` object per instance, keys and
//! their order as keepalived 2.2.7 writes them, states as numbers (0 INIT, 1 BACKUP,
//! 2 MASTER, 3 FAULT). Written by hand rather than through serde so the bytes match
//! keepalived's writer: integral intervals print as `1` not `1.0` (C's `%g`),
//! `last_transition` with six decimals (`%f`), and `/` escaped as `\/`. Unlike
//! keepalived, a backslash is escaped as `\\` and other control characters as `\u00XX`,
//! so the file is always valid JSON.

use std::fmt::Write;

use crate::daemon::status::{InstanceView, Snapshot, TrackerKind, TrackerSnapshot};
use crate::vrrp::packet::AuthType;
use crate::vrrp::Stats;

/// The whole JSON dump for `snap`.
pub fn render_json(snap: &Snapshot) -> String {
    let mut out = String::from("[");
    for (n, inst) in snap.instances.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"data\":");
        data_object(inst, &snap.trackers, &mut out);
        out.push_str(",\"stats\":");
        stats_object(&inst.stats, &mut out);
        out.push('}');
    }
    // keepalived's writer ends the document with a line feed.
    out.push_str("]\n");
    out
}

/// A JSON string as keepalived's writer quotes it (plus valid escapes for the rest).
pub fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '\u{8}' => out.push_str("\\b"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '/' => out.push_str("\\/"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// C's `printf("%g")`: six significant digits, trailing zeros dropped, exponent form
/// outside 1e-4 ..< 1e6.
pub fn format_g(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |m: &str| {
        if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            m.to_string()
        }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(mantissa), exp.abs());
    }
    let decimals = (5 - exp).max(0) as usize;
    trim(&format!("{v:.decimals$}"))
}

/// Writes `"key":value` pairs of one object, commas in between.
struct Fields<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Fields<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Fields { out, first: true }
    }
    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        quote(k, self.out);
        self.out.push(':');
    }
    fn uint(&mut self, k: &str, v: impl Into<u64>) {
        self.key(k);
        let _ = write!(self.out, "{}", v.into());
    }
    fn flag(&mut self, k: &str, v: bool) {
        self.uint(k, u8::from(v));
    }
    fn boolean(&mut self, k: &str, v: bool) {
        self.key(k);
        self.out.push_str(if v { "true" } else { "false" });
    }
    fn float_g(&mut self, k: &str, v: f64) {
        self.key(k);
        self.out.push_str(&format_g(v));
    }
    fn string(&mut self, k: &str, v: &str) {
        self.key(k);
        quote(v, self.out);
    }
    /// keepalived leaves empty lists out.
    fn strings(&mut self, k: &str, items: impl IntoIterator<Item = String>) {
        let items: Vec<String> = items.into_iter().collect();
        if items.is_empty() {
            return;
        }
        self.key(k);
        self.out.push('[');
        for (n, it) in items.iter().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            quote(it, self.out);
        }
        self.out.push(']');
    }
    fn close(self) {
        self.out.push('}');
    }
}

fn data_object(i: &InstanceView, trackers: &[TrackerSnapshot], out: &mut String) {
    let mut f = Fields::open(out);
    f.string("iname", &i.name);
    f.flag("dont_track_primary", i.dont_track_primary);
    f.flag("skip_check_adv_addr", i.skip_check_adv_addr);
    f.flag("strict_mode", i.strict_mode);
    f.string("vmac_ifname", i.vmac_ifname.as_deref().unwrap_or(""));
    if !i.interface.is_empty() {
        f.string("ifp_ifname", &i.interface);
    }
    f.uint("master_priority", i.master_priority);
    let last = i.last_transition.unwrap_or_default();
    f.key("last_transition");
    let _ = write!(f.out, "{}.{:06}", last.secs(), last.micros());
    f.float_g("garp_delay", i.advert.garp.delay_secs as f64);
    f.uint("garp_refresh", i.advert.garp.refresh_secs);
    f.uint("garp_rep", i.advert.garp.repeat);
    f.uint("garp_refresh_rep", i.advert.garp.refresh_repeat);
    f.uint("garp_lower_prio_delay", i.advert.garp.lower_prio_delay_secs);
    f.uint("garp_lower_prio_rep", i.advert.garp.lower_prio_repeat);
    f.flag("lower_prio_no_advert", i.advert.lower_prio_no_advert);
    f.flag("higher_prio_send_advert", i.advert.higher_prio_send_advert);
    f.uint("vrid", i.vrid);
    f.uint("base_priority", i.base_priority);
    f.uint("effective_priority", i.effective_priority);
    f.boolean("vipset", i.vips_set);
    f.boolean("promote_secondaries", i.promote_secondaries);
    f.float_g("adver_int", i.advert_int.as_secs_f64());
    f.float_g("master_adver_int", i.master_adver_int.as_secs_f64());
    f.flag("accept", i.accept);
    f.boolean("nopreempt", i.nopreempt);
    f.uint("preempt_delay", i.preempt_delay.as_secs());
    f.uint("state", i.state as u8);
    f.uint("wantstate", i.wantstate as u8);
    f.uint("version", i.version.number());
    f.boolean("smtp_alert", i.smtp_alert);
    f.boolean("notify_deleted", i.notify_deleted);
    for (event, key) in [
        ("backup", "script_backup"),
        ("master", "script_master"),
        ("fault", "script_fault"),
        ("stop", "script_stop"),
        ("deleted", "script_deleted"),
        ("generic", "script"),
        ("master_rx_lower_pri", "script_master_rx_lower_pri"),
    ] {
        if let Some(n) = i.notify.iter().find(|n| n.event == event) {
            f.string(key, &n.command);
        }
    }
    let set = if i.vips_set { " set" } else { "" };
    f.strings("vips", i.vips.iter().map(|v| format!("{v}{set}")));
    f.strings("evips", i.evips.iter().map(|v| format!("{v}{set}")));
    f.strings("vroutes", i.vroutes.iter().cloned());
    f.strings("vrules", i.vrules.iter().cloned());
    let of_kind = |k: TrackerKind| i.trackers.iter().filter(move |t| t.kind == k);
    f.strings(
        "track_ifp",
        of_kind(TrackerKind::Interface).map(|t| t.name.clone()),
    );
    f.strings(
        "track_script",
        of_kind(TrackerKind::Script).map(|t| {
            trackers
                .iter()
                .find(|s| s.kind == TrackerKind::Script && s.name == t.name)
                .and_then(|s| s.command.clone())
                .unwrap_or_else(|| t.name.clone())
        }),
    );
    f.uint("auth_type", i.auth.auth_type as u8);
    if i.auth.auth_type != AuthType::None {
        f.string("auth_data", i.auth.password.as_deref().unwrap_or(""));
    }
    f.close();
}

fn stats_object(s: &Stats, out: &mut String) {
    let mut f = Fields::open(out);
    f.uint("advert_rcvd", s.advert_rcvd);
    f.uint("advert_sent", s.advert_sent);
    f.uint("become_master", s.become_master);
    f.uint("release_master", s.release_master);
    f.uint("packet_len_err", s.packet_len_err);
    f.uint("advert_interval_err", s.advert_interval_err);
    f.uint("ip_ttl_err", s.ip_ttl_err);
    f.uint("invalid_type_rcvd", s.invalid_type_rcvd);
    f.uint("addr_list_err", s.addr_list_err);
    f.uint("invalid_authtype", s.invalid_authtype);
    f.uint("authtype_mismatch", s.authtype_mismatch);
    f.uint("auth_failure", s.auth_failure);
    f.uint("pri_zero_rcvd", s.pri_zero_rcvd);
    f.uint("pri_zero_sent", s.pri_zero_sent);
    f.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_g_matches_c() {
        for (v, want) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (0.01, "0.01"),
            (5.0, "5"),
            (2.55, "2.55"),
            (255.0, "255"),
            (1234567.0, "1.23457e+06"),
            (0.00001, "1e-05"),
            (0.0, "0"),
            (100000.0, "100000"),
        ] {
            assert_eq!(format_g(v), want, "{v}");
        }
    }

    #[test]
    fn quoting_is_keepalived_style_and_valid_json() {
        let mut out = String::new();
        quote("a/b \"c\" \\ \u{1}\n", &mut out);
        assert_eq!(out, r#""a\/b \"c\" \\ \u0001\n""#);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a/b \"c\" \\ \u{1}\n");
    }
}
