//! `interface_up_down_delays { IF DOWN_DELAY [UP_DELAY] … }`: how long a link must stay
//! down (or up) before the instances on it react (keepalived's interface debounce timers).
//!
//! keepalived 2.2.7 reads each line as: the interface first (unknown without
//! `dynamic_interfaces`: a fatal finding, the line dropped, the daemon runs on), then the
//! delays in seconds with up to six decimals, each within 0..=255 s (`read_timer`'s
//! findings); a missing up delay is 0. What its VRRP process only logs (no delays, too many
//! words, a delay it could not read) is a note here. A repeated interface takes the later
//! line. The daemon side (`daemon::link_delay`) applies them to netlink link events.

use super::top::no_block;
use crate::config::diag::{Diagnostic, Severity};
use crate::config::dump::Dumper;
use crate::config::host::Host;
use crate::config::lower::{fmt_decimal_secs, Lower};
use crate::config::model::{Config, UpDownDelays};
use crate::config::span::Span;
use crate::config::syntax::Node;
use std::time::Duration;

/// keepalived's largest delay: 255 s, in microseconds.
const MAX_DELAY_US: u64 = 255 * 1_000_000;

/// Reads the block into `cfg.up_down_delays`.
pub(super) fn read(cx: &mut Lower, cfg: &mut Config, n: &Node) {
    if no_block(cx, n) {
        return;
    }
    for line in n.children() {
        if let Some(d) = read_line(cx, line) {
            match cfg
                .up_down_delays
                .iter_mut()
                .find(|e| e.interface == d.interface)
            {
                Some(e) => *e = d,
                None => cfg.up_down_delays.push(d),
            }
        }
    }
}

/// One `IF DOWN [UP]` line; `None` when keepalived drops it.
fn read_line(cx: &mut Lower, line: &Node) -> Option<UpDownDelays> {
    let interface = line.keyword.text.to_string();
    let at = line.keyword.span;
    cx.spans.up_down_delays.push((interface.clone(), at));
    let note = |cx: &mut Lower, msg: String| cx.push(Diagnostic::info(Some(at), msg));
    let Some(down_word) = line.args.first() else {
        note(
            cx,
            format!("No timeouts specified for {interface} up/down delays"),
        );
        return None;
    };
    if line.args.len() > 2 {
        note(
            cx,
            format!("Too many parameters for {interface} up/down delays"),
        );
    }
    let Some(down) = delay(cx, down_word) else {
        let w = &down_word.text;
        note(cx, format!("Invalid down delay {w} for {interface}"));
        return None;
    };
    let up = match line.args.get(1) {
        None => Duration::ZERO,
        Some(up_word) => {
            let Some(up) = delay(cx, up_word) else {
                let w = &up_word.text;
                note(cx, format!("Invalid up delay {w} for {interface}"));
                return None;
            };
            up
        }
    };
    Some(UpDownDelays {
        interface,
        down,
        up,
    })
}

/// A delay in seconds within 0..=255 s, with keepalived's `read_timer` findings (errors of
/// its VRRP side: `-t` exits 5 for them).
fn delay(cx: &mut Lower, word: &crate::config::syntax::Token) -> Option<Duration> {
    let error = |at: Span, msg: String| Diagnostic::error(at, msg);
    super::lvs::values::timer_reported(cx, word, 0, MAX_DELAY_US, error).map(Duration::from_micros)
}

/// Prints the block back, one line per interface with both delays.
pub(super) fn dump(cfg: &Config, d: &mut Dumper) {
    if cfg.up_down_delays.is_empty() {
        return;
    }
    d.block("interface_up_down_delays", |d| {
        for e in &cfg.up_down_delays {
            let secs = [
                fmt_decimal_secs(e.down, false),
                fmt_decimal_secs(e.up, false),
            ];
            d.line(&e.interface, &secs);
        }
    })
}

/// keepalived looks each interface up as it reads its line: without `dynamic_interfaces`
/// an unknown one is a fatal finding (`-t` exits 4), and the line is dropped, but its
/// daemon runs on.
pub fn check_interfaces(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) {
    if cfg.global.dynamic_interfaces {
        return;
    }
    for (name, at) in std::mem::take(&mut cx.spans.up_down_delays) {
        if host.interface_exists(&name) {
            continue;
        }
        cx.push(
            Diagnostic::new(
                Severity::Fatal,
                Some(at),
                format!("unknown interface {name} specified for up/down delay"),
            )
            .with_hint("check the name with 'ip link'; set dynamic_interfaces in global_defs if it appears later")
            .host_dependent()
            .running_anyway(),
        );
        cfg.up_down_delays.retain(|e| e.interface != name);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::check_text;
    use crate::config::diag::Severity;
    use std::time::Duration;

    /// Each kept line as (interface, down ms, up ms).
    type Kept = Vec<(String, u128, u128)>;

    fn delays(text: &str) -> (Kept, Vec<(Severity, String)>) {
        let c = check_text(&format!("interface_up_down_delays {{\n{text}\n}}\n"));
        let d = c
            .config
            .up_down_delays
            .iter()
            .map(|e| (e.interface.clone(), e.down.as_millis(), e.up.as_millis()))
            .collect();
        let m = c
            .diagnostics
            .iter()
            .map(|d| (d.severity, d.message.clone()))
            .collect();
        (d, m)
    }

    #[test]
    fn lines_are_read_as_keepalived_reads_them() {
        let (d, m) = delays("eth0 2 3\neth1 1.5\neth0 0.25 255");
        assert_eq!(d, [("eth0".into(), 250, 255_000), ("eth1".into(), 1500, 0)]);
        assert!(m.is_empty(), "{m:?}");
    }

    #[test]
    fn bad_numbers_are_keepalived_findings_and_drop_the_line() {
        let (d, m) = delays("eth0 256\neth1 -1 2\neth2 1 0.0000001\neth3\neth4 1 2 3");
        assert_eq!(d, [("eth2".into(), 1000, 0), ("eth4".into(), 1000, 2000)]);
        let has = |s: Severity, t: &str| m.iter().any(|(sv, mt)| *sv == s && mt == t);
        assert!(has(
            Severity::Error,
            "number '256' outside range [0.000000, 255.000000]"
        ));
        assert!(has(Severity::Info, "Invalid down delay 256 for eth0"));
        assert!(has(Severity::Error, "negative number '-1'"));
        assert!(has(
            Severity::Error,
            "number '0.0000001' has too many decimal places"
        ));
        assert!(has(
            Severity::Info,
            "No timeouts specified for eth3 up/down delays"
        ));
        assert!(has(
            Severity::Info,
            "Too many parameters for eth4 up/down delays"
        ));
    }

    #[test]
    fn the_dump_reads_back_to_the_same_delays() {
        let c = check_text("interface_up_down_delays {\n eth0 1.996094 0.5\n}\n");
        let text = crate::config::keywords::dump_config(&c.config);
        assert!(text.contains("interface_up_down_delays {\n    eth0 1.996094 0.5\n}"));
        let again = check_text(&text);
        assert_eq!(again.config.up_down_delays, c.config.up_down_delays);
        assert_eq!(
            c.config.up_down_delays[0].down,
            Duration::from_micros(1_996_094)
        );
    }
}
