//! Whether keepalived's daemon would run a checked configuration at all.
//!
//! `-t` grades findings (exit status 0, 5, 6…), but the daemon runs almost everything it
//! can make sense of: warnings, errors on single keywords, skipped lines and script
//! security findings all leave it running. It stops only when it cannot build the VRRP
//! side: no file to read, a reading that aborted, a fatal finding, or a finding its VRRP
//! process stops on ([`Diagnostic::stops_daemon`]). Start-up and reload share this one
//! decision: at start-up the daemon exits with [`Refusal::exit_code`]; on reload it keeps
//! the running configuration (keepalived itself would stop, which takes a working cluster
//! down for a typo).

use super::diag::{Diagnostic, Severity};
use super::Checked;

/// keepalived's exit status when no configuration file could be read.
pub const EXIT_NO_CONFIG: i32 = 6;
/// keepalived's exit status when its VRRP process stops on the configuration.
pub const EXIT_CONFIG: i32 = 2;

/// Why a configuration cannot be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The daemon's exit status at start-up, as keepalived's.
    pub exit_code: i32,
    /// The findings that decide it, in file order.
    pub reasons: Vec<Diagnostic>,
}

impl Refusal {
    /// The reasons on one line, each as `(FILE: Line N) message`.
    pub fn summary(&self, checked: &Checked) -> String {
        let lines: Vec<String> = self
            .reasons
            .iter()
            .map(|d| d.render_keepalived(&checked.sources))
            .collect();
        lines.join("; ")
    }
}

/// Findings in the LVS blocks this build checks but never runs ([`Diagnostic::not_run`])
/// decide nothing: keepalived's VRRP process does not read those blocks either.
/// Neither does a fatal finding keepalived's daemon runs past ([`Diagnostic::runs_anyway`]).
fn decides(d: &Diagnostic) -> bool {
    (d.aborts || d.stops_daemon || d.severity == Severity::Fatal) && !d.not_run && !d.runs_anyway
}

impl Checked {
    /// Whether a running daemon applies this file on reload: `None` when it does.
    /// `check_first` is `reload_check_config` of the running configuration: then a file
    /// `-t` does not pass (exit status other than 0) is refused too, with that status.
    pub fn reload_refusal(&self, check_first: bool) -> Option<Refusal> {
        if let Some(r) = self.refusal() {
            return Some(r);
        }
        let exit_code = self.exit_code();
        (check_first && exit_code != 0).then(|| Refusal {
            exit_code,
            reasons: self
                .diagnostics
                .iter()
                .filter(|d| d.severity > Severity::Info)
                .cloned()
                .collect(),
        })
    }

    /// `None` when keepalived's daemon would run this configuration.
    pub fn refusal(&self) -> Option<Refusal> {
        let reasons: Vec<Diagnostic> = self
            .diagnostics
            .iter()
            .filter(|d| decides(d))
            .cloned()
            .collect();
        if reasons.is_empty() {
            return None;
        }
        let file_error = reasons.iter().any(|d| d.file_error);
        let exit_code = if self.sources.files().is_empty() || file_error {
            EXIT_NO_CONFIG
        } else {
            EXIT_CONFIG
        };
        Some(Refusal { exit_code, reasons })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::check_text;

    #[test]
    fn warnings_errors_and_security_findings_do_not_stop_the_daemon() {
        let c = check_text(
            "global_defs {\n  no_such_keyword\n}\nvrrp_instance A {\n  state backup\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    198.18.0.1\n  }\n}\n",
        );
        assert_eq!(c.exit_code(), 5);
        assert_eq!(c.refusal(), None);
    }

    #[test]
    fn an_instance_without_vrid_stops_the_daemon_with_status_2() {
        let c = check_text(
            "vrrp_instance A {\n  interface eth0\n  virtual_ipaddress {\n    198.18.0.1\n  }\n}\n",
        );
        let r = c.refusal().expect("refused");
        assert_eq!(r.exit_code, 2);
        assert!(
            r.summary(&c)
                .contains("(test.conf: Line 1) (A) the virtual router id must be set"),
            "{}",
            r.summary(&c)
        );
    }

    #[test]
    fn a_keyword_without_value_stops_the_daemon_with_status_2() {
        let c = check_text("vrrp_instance A {\n  interface eth0\n  virtual_router_id\n}\n");
        assert_eq!(c.refusal().map(|r| r.exit_code), Some(2));
    }

    #[test]
    fn reload_check_config_refuses_what_minus_t_does_not_pass() {
        let c = check_text("global_defs {\n  no_such_keyword\n}\nvrrp_instance A {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    198.18.0.1\n  }\n}\n");
        assert_eq!(c.reload_refusal(false), None);
        let r = c.reload_refusal(true).expect("refused");
        assert_eq!(r.exit_code, 5);
        assert!(
            r.summary(&c).contains("no_such_keyword"),
            "{}",
            r.summary(&c)
        );
    }

    #[test]
    fn two_instances_on_one_vrid_stop_the_daemon() {
        let inst = |n: &str| {
            format!("vrrp_instance {n} {{\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {{\n    198.18.0.1\n  }}\n}}\n")
        };
        let c = check_text(&(inst("A") + &inst("B")));
        let r = c.refusal().expect("refused");
        assert!(
            r.summary(&c).contains("both use VRID 5"),
            "{}",
            r.summary(&c)
        );
    }
}
