//! One test per configuration diagnostic: its text (keepalived's where keepalived has one),
//! its position (file:line:col and the caret's width), its hint, and its effect on the exit
//! code. Also the deliberate differences from keepalived that DIFFERENCES.md names.

use keepalived_rs::config::diag::{Diagnostic, Severity};
use keepalived_rs::config::host::Host;
use keepalived_rs::config::source::{load_str, SourceOptions};
use keepalived_rs::config::{check, Checked};
use std::path::{Path, PathBuf};

fn opts() -> SourceOptions {
    SourceOptions {
        config_id: "test".into(),
        ..SourceOptions::default()
    }
}

/// Checks `text` (as `k.conf`) without host checks.
fn check_text(text: &str) -> Checked {
    check(load_str("k.conf", text, Path::new("/"), &opts()), None)
}

/// Checks `text` against a described host.
fn check_on(text: &str, host: &FakeHost) -> Checked {
    check(
        load_str("k.conf", text, Path::new("/"), &opts()),
        Some(host),
    )
}

/// The one diagnostic whose message contains `needle` (panics with all of them otherwise).
fn find<'c>(c: &'c Checked, needle: &str) -> &'c Diagnostic {
    let hits: Vec<&Diagnostic> = c
        .diagnostics
        .iter()
        .filter(|d| d.message.contains(needle))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "expected exactly one diagnostic containing {needle:?}, got:\n{}",
        all(c)
    );
    hits[0]
}

fn none_contains(c: &Checked, needle: &str) {
    assert!(
        !c.diagnostics.iter().any(|d| d.message.contains(needle)),
        "unexpected diagnostic containing {needle:?}:\n{}",
        all(c)
    );
}

fn all(c: &Checked) -> String {
    c.diagnostics
        .iter()
        .map(|d| d.render_pretty(&c.sources))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the position and the rendered source line with its caret.
fn assert_at(c: &Checked, d: &Diagnostic, line: u32, col: u32, len: u32) {
    let s = d.span.unwrap_or_else(|| panic!("no span on {d:?}"));
    assert_eq!(
        (s.line, s.col, s.len),
        (line, col, len),
        "position of {:?}",
        d.message
    );
    let pretty = d.render_pretty(&c.sources);
    assert!(
        pretty.contains(&format!("--> k.conf:{line}:{col}\n")),
        "{pretty}"
    );
    let caret = format!(
        "| {}{}\n",
        " ".repeat(col as usize - 1),
        "^".repeat(len as usize)
    );
    assert!(
        pretty.contains(&caret),
        "caret {caret:?} missing in\n{pretty}"
    );
}

fn hint(d: &Diagnostic) -> &str {
    d.hint
        .as_deref()
        .unwrap_or_else(|| panic!("no hint on {:?}", d.message))
}

const VIP: &str = "  virtual_ipaddress {\n    198.18.0.1/24\n  }\n";

fn instance(name: &str, body: &str) -> String {
    format!("vrrp_instance {name} {{\n{body}}}\n")
}

#[test]
fn unknown_state_suggests_master() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  state MASTR\n  interface eth0\n  virtual_router_id 1\n{VIP}"),
    ));
    let d = find(&c, "unknown state");
    assert_eq!(
        d.message,
        "(VI_1) unknown state 'MASTR', defaulting to BACKUP"
    );
    assert_eq!(d.severity, Severity::Warning);
    assert_at(&c, d, 2, 9, 5);
    assert!(hint(d).starts_with("did you mean 'MASTER'?"), "{}", hint(d));
    assert_eq!(c.exit_code(), 5);
    assert_eq!(
        c.config.instances[0].state,
        keepalived_rs::config::model::InitialState::Backup
    );
}

#[test]
fn lowercase_state_is_a_case_hint() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  state backup\n  interface eth0\n  virtual_router_id 1\n{VIP}"),
    ));
    let d = find(&c, "unknown state 'backup'");
    assert!(hint(d).contains("'BACKUP'") && hint(d).contains("case-sensitive"));
}

#[test]
fn unclosed_brace_names_the_line_it_was_opened_on() {
    let c = check_text(&format!(
        "global_defs {{\n  router_id r1\n}}\nvrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 1\n{VIP}"
    ));
    let d = find(&c, "is never closed");
    assert_eq!(
        d.message,
        "this '{' opened at line 4 for 'vrrp_instance' is never closed"
    );
    assert_at(&c, d, 4, 20, 1);
    assert!(hint(d).contains('}'));
    assert_eq!(c.exit_code(), 5);
}

#[test]
fn extra_closing_brace() {
    let c = check_text(&format!(
        "{}}}\n",
        instance(
            "VI_1",
            &format!("  interface eth0\n  virtual_router_id 1\n{VIP}")
        )
    ));
    let d = find(&c, "Extra '}' found");
    assert_eq!(d.span.unwrap().line, 8);
    assert_eq!(c.exit_code(), 5);
}

#[test]
fn vrid_out_of_range() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  interface eth0\n  virtual_router_id 341\n{VIP}"),
    ));
    let range = find(&c, "outside range");
    assert_eq!(range.message, "number '341' outside range [1, 255]");
    assert_at(&c, range, 3, 21, 3);
    let d = find(&c, "VRID '341'");
    assert_eq!(
        d.message,
        "(VI_1): VRID '341' not valid - must be between 1 & 255"
    );
    assert_at(&c, d, 3, 21, 3);
    assert!(
        hint(d).contains("virtual_router_id 341 is out of range 1–255"),
        "{}",
        hint(d)
    );
    // Without a valid VRID the instance is incomplete.
    find(&c, "(VI_1) the virtual router id must be set");
    assert_eq!(c.exit_code(), 5);
}

#[test]
fn unknown_keyword_suggests_the_closest_keyword() {
    let c = check_text(&format!(
        "global_defs {{\n  enable_script_securty\n}}\n{}",
        instance(
            "VI_1",
            &format!("  interface eth0\n  virtual_router_id 1\n  priorty 100\n{VIP}")
        )
    ));
    let g = find(&c, "'enable_script_securty'");
    assert_eq!(g.message, "Unknown keyword 'enable_script_securty'");
    assert_at(&c, g, 2, 3, 21);
    assert_eq!(hint(g), "did you mean 'enable_script_security'?");
    let i = find(&c, "'priorty'");
    assert_at(&c, i, 7, 3, 7);
    assert_eq!(hint(i), "did you mean 'priority'?");
    assert_eq!(i.severity, Severity::Error);
    assert_eq!(c.exit_code(), 5);
}

#[test]
fn keyword_of_another_block_says_so() {
    let c = check_text("global_defs {\n  virtual_router_idd 5\n}\n");
    let d = find(&c, "Unknown keyword 'virtual_router_idd'");
    assert_eq!(hint(d), "'virtual_router_id' exists, but not in this block");
}

#[test]
fn duplicate_vrid_on_one_interface_and_family() {
    let v6 = "  virtual_ipaddress {\n    2001:db8::1\n  }\n";
    let text = [
        instance(
            "A",
            &format!("  interface eth0\n  virtual_router_id 7\n{VIP}"),
        ),
        instance(
            "B",
            &format!("  interface eth0\n  virtual_router_id 7\n{VIP}"),
        ),
        // Same VRID, other family: allowed (separate VRRP for IPv6).
        instance(
            "C",
            &format!("  interface eth0\n  virtual_router_id 7\n{v6}"),
        ),
        // Same VRID, other interface: allowed.
        instance(
            "D",
            &format!("  interface eth1\n  virtual_router_id 7\n{VIP}"),
        ),
    ]
    .concat();
    let c = check_text(&text);
    let d = find(&c, "both use VRID");
    assert_eq!(
        d.message,
        "A and B both use VRID 7 with IPv4 on interface eth0"
    );
    assert_at(&c, d, 8, 15, 1);
    assert!(hint(d).contains("its own virtual_router_id"));
    assert_eq!(c.exit_code(), 5);
}

#[test]
fn track_script_naming_no_script() {
    let c = check_text(&format!(
        "vrrp_script chk_web {{\n  script \"/bin/true\"\n}}\n{}",
        instance(
            "VI_1",
            &format!(
                "  interface eth0\n  virtual_router_id 1\n  track_script {{\n    chk_wbe\n  }}\n{VIP}"
            )
        )
    ));
    let d = find(&c, "track script chk_wbe");
    assert_eq!(
        d.message,
        "(VI_1) track script chk_wbe not found, ignoring..."
    );
    assert_at(&c, d, 8, 5, 7);
    assert_eq!(hint(d), "did you mean 'chk_web'?");
    assert!(c.config.instances[0].track.script.is_empty());
}

#[test]
fn sync_group_member_that_does_not_exist() {
    let text = [
        instance(
            "VI_1",
            &format!("  interface eth0\n  virtual_router_id 1\n{VIP}"),
        ),
        instance(
            "VI_2",
            &format!("  interface eth0\n  virtual_router_id 2\n{VIP}"),
        ),
        "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n    VI_3x\n  }\n}\n".into(),
    ]
    .concat();
    let c = check_text(&text);
    let d = find(&c, "VI_3x");
    assert_eq!(
        d.message,
        "Virtual router VI_3x specified in sync group G doesn't exist - ignoring"
    );
    assert_eq!(d.span.unwrap().line, 15);
    assert_eq!(c.config.sync_groups[0].group, ["VI_1", "VI_2"]);
}

#[test]
fn mixed_address_families_in_one_instance() {
    let c = check_text(&instance(
        "VI_1",
        "  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    198.18.0.1\n    2001:db8::5\n  }\n",
    ));
    let d = find(&c, "address family must match");
    assert_eq!(
        d.message,
        "(VI_1): address family must match VRRP instance [2001:db8::5] - ignoring"
    );
    assert_at(&c, d, 6, 5, 11);
    assert_eq!(c.config.instances[0].virtuals.virtual_ipaddress.len(), 1);
}

#[test]
fn nopreempt_with_state_master() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  state MASTER\n  priority 100\n  nopreempt\n  interface eth0\n  virtual_router_id 1\n{VIP}"),
    ));
    let d = find(&c, "nopreempt will not work");
    assert_eq!(
        d.message,
        "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"
    );
    assert_at(&c, d, 4, 3, 9);
    assert!(hint(d).contains("state BACKUP"));
    assert_eq!(
        c.config.instances[0].state,
        keepalived_rs::config::model::InitialState::Backup
    );
}

#[test]
fn missing_parameter_stops_reading_with_exit_code_2() {
    let c = check_text(&format!(
        "{}vrrp_instance LATER {{\n  priorty 1\n}}\n",
        instance(
            "VI_1",
            &format!("  interface eth0\n  virtual_router_id 1\n  mcast_src_ip\n{VIP}")
        )
    ));
    let d = find(&c, "is missing a parameter");
    assert_eq!(d.message, "*** Configuration line starting `mcast_src_ip` is missing a parameter after keyword `mcast_src_ip` at word position 2");
    assert_at(&c, d, 4, 3, 12);
    assert!(d.aborts);
    // Nothing after it is read.
    none_contains(&c, "priorty");
    assert_eq!(c.exit_code(), 2);
}

#[test]
fn auth_pass_is_truncated_to_8_characters() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  interface eth0\n  virtual_router_id 1\n  authentication {{\n    auth_type PASS\n    auth_pass 0123456789\n  }}\n{VIP}"),
    ));
    let d = find(&c, "Truncating auth_pass");
    assert_eq!(d.message, "Truncating auth_pass to 8 characters");
    assert_at(&c, d, 6, 15, 10);
    assert!(hint(d).contains("'01234567'"));
    assert_eq!(
        c.config.instances[0].authentication.auth_pass.as_deref(),
        Some("01234567")
    );
}

#[test]
fn missing_open_brace_is_reported_on_the_next_line() {
    // keepalived reads the next line looking for the '{' and reports it there.
    let c = check_text("vrrp_script chk\n  script \"/bin/true\"\n}\n");
    let d = find(&c, "Missing '{'");
    assert_eq!(d.message, "Missing '{' at beginning of configuration block");
    assert_at(&c, d, 2, 3, 6);
    assert!(hint(d).contains("'vrrp_script' on line 1"), "{}", hint(d));
    find(&c, "Extra '}' found");
}

/// DIFFERENCES.md C1: an unknown keyword's block is skipped whole; the enclosing block keeps
/// the settings after it (keepalived would let the unknown block's `}` close the instance).
#[test]
fn unknown_block_is_skipped_as_a_unit() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  interface eth0\n  virtual_router_id 1\n  bogus_block {{\n    priority 10\n    state MASTER\n  }}\n  priority 42\n{VIP}"),
    ));
    let d = find(&c, "Unknown keyword");
    assert_eq!(d.message, "Unknown keyword 'bogus_block'");
    assert_at(&c, d, 4, 3, 11);
    assert!(hint(d).contains("block is skipped"), "{}", hint(d));
    // Nothing inside the block was applied, everything after it was.
    let i = &c.config.instances[0];
    assert_eq!(i.priority, 42);
    assert_eq!(i.state, keepalived_rs::config::model::InitialState::Backup);
    assert_eq!(i.virtuals.virtual_ipaddress.len(), 1);
    none_contains(&c, "No VIP specified");
    assert_eq!(c.spans.skipped_blocks.len(), 1);
    assert_eq!(c.spans.skipped_blocks[0].1, 7);
    assert_eq!(c.exit_code(), 5);
}

/// DIFFERENCES.md C1, second case: a block after a keyword that takes none.
#[test]
fn unexpected_block_keeps_the_enclosing_block_open() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  interface eth0\n  virtual_router_id 80 MAC 00-00-5E-00-01-{{VRID}}\n  priority 42\n{VIP}"),
    ));
    let d = find(&c, "Unexpected '{'");
    assert_eq!(d.message, "Unexpected '{' - ignoring");
    assert_eq!(d.span.unwrap().line, 3);
    find(&c, "Unknown keyword 'VRID'");
    let i = &c.config.instances[0];
    assert_eq!((i.virtual_router_id, i.priority), (80, 42));
    assert_eq!(i.virtuals.virtual_ipaddress.len(), 1);
    assert_eq!(c.spans.misnested_blocks.len(), 1);
}

#[test]
fn unquoted_notify_arguments_are_read_as_the_user() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  interface eth0\n  virtual_router_id 1\n  notify_master /etc/keepalived/n.sh master\n{VIP}"),
    ));
    let d = find(&c, "is read as the user");
    assert_eq!(d.severity, Severity::Info);
    assert_at(&c, d, 4, 38, 6);
    assert!(hint(d).contains("notify_master \"/etc/keepalived/n.sh master\""));
    let s = c.config.instances[0]
        .scripts
        .notify_master
        .as_ref()
        .unwrap();
    assert_eq!(s.command, "/etc/keepalived/n.sh");
    assert_eq!(s.user.as_deref(), Some(&("master".into(), None)));
    assert_eq!(c.exit_code(), 0);
}

#[test]
fn json_lines_carry_position_and_hint() {
    let c = check_text(&instance(
        "VI_1",
        &format!("  state MASTR\n  interface eth0\n  virtual_router_id 1\n{VIP}"),
    ));
    let d = find(&c, "unknown state");
    let v: serde_json::Value = serde_json::from_str(&d.render_json(&c.sources)).unwrap();
    assert_eq!(v["severity"], "warning");
    assert_eq!(v["file"], "k.conf");
    assert_eq!(v["line"], 2);
    assert_eq!(v["column"], 9);
    assert!(v["hint"].as_str().unwrap().contains("MASTER"));
    assert_eq!(
        d.render_keepalived(&c.sources),
        "(k.conf: Line 2) (VI_1) unknown state 'MASTR', defaulting to BACKUP"
    );
}

/// A host described by the test: interfaces, users, executable files.
#[derive(Default)]
struct FakeHost {
    interfaces: Vec<&'static str>,
    users: Vec<&'static str>,
    groups: Vec<&'static str>,
    programs: Vec<&'static str>,
    insecure: Vec<&'static str>,
}

impl Host for FakeHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.interfaces.contains(&name)
    }
    fn user_exists(&self, name: &str) -> bool {
        name == "root" || self.users.contains(&name)
    }
    fn group_exists(&self, name: &str) -> bool {
        name == "root" || self.groups.contains(&name)
    }
    fn find_program(&self, program: &str) -> Option<PathBuf> {
        self.programs
            .contains(&program)
            .then(|| PathBuf::from(program))
    }
    fn insecure_reason(&self, path: &Path) -> Option<String> {
        self.insecure
            .contains(&path.to_str()?)
            .then(|| "it is world-writable".into())
    }
    fn resolves(&self, name: &str) -> bool {
        name == "localhost"
    }
}

fn eth0() -> FakeHost {
    FakeHost {
        interfaces: vec!["eth0"],
        ..FakeHost::default()
    }
}

#[test]
fn missing_interface_stops_before_completion() {
    let text = instance("VI_1", "  interface eth9\n  virtual_router_id 1\n");
    let c = check_on(&text, &eth0());
    let d = find(&c, "doesn't exist");
    assert_eq!(
        d.message,
        "WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist"
    );
    assert_at(&c, d, 2, 13, 4);
    assert!(d.host_dependent);
    find(&c, "Non-existent interface specified in configuration");
    // keepalived stops here: no completion findings.
    none_contains(&c, "No VIP specified");
    assert_eq!(c.exit_code(), 5);
    // Without host checks the file is completed and the missing VIP reported.
    let c = check_text(&text);
    find(&c, "No VIP specified");
    none_contains(&c, "doesn't exist");
}

#[test]
fn missing_tracked_interface() {
    let text = instance(
        "VI_1",
        &format!(
            "  interface eth0\n  virtual_router_id 1\n  track_interface {{\n    eth7\n  }}\n{VIP}"
        ),
    );
    let c = check_on(&text, &eth0());
    let d = find(&c, "tracked interface");
    assert_eq!(d.message, "(VI_1) tracked interface eth7 doesn't exist");
    assert_at(&c, d, 5, 5, 4);
    assert!(c.config.instances[0].track.interface.is_empty());
}

const SCRIPT_AND_TRACKER: &str = "vrrp_script chk {\n  script \"/usr/bin/check --fast\"\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  track_script {\n    chk\n  }\n  virtual_ipaddress {\n    198.18.0.1\n  }\n}\n";

#[test]
fn existing_script_without_script_security_is_exit_code_6() {
    let mut host = eth0();
    host.programs.push("/usr/bin/check");
    let c = check_on(SCRIPT_AND_TRACKER, &host);
    let d = find(&c, "SECURITY VIOLATION");
    assert_eq!(
        d.message,
        "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
    );
    assert_eq!(d.severity, Severity::Security);
    assert!(hint(d).contains("enable_script_security"));
    assert_eq!(c.exit_code(), 6);
    // With script security and a root-owned, safe script: clean.
    let secure = format!(
        "global_defs {{\n  enable_script_security\n  script_user root\n}}\n{SCRIPT_AND_TRACKER}"
    );
    let c = check_on(&secure, &host);
    assert_eq!(c.exit_code(), 0, "{}", all(&c));
    // ... unless it is writable by others.
    host.insecure.push("/usr/bin/check");
    let c = check_on(&secure, &host);
    let d = find(&c, "due to insecure");
    assert_eq!(d.message, "Disabling track script chk due to insecure");
    assert!(c.config.instances[0].track.script.is_empty());
}

#[test]
fn missing_script_is_disabled() {
    let c = check_on(SCRIPT_AND_TRACKER, &eth0());
    let d = find(&c, "Disabling track script");
    assert_eq!(
        d.message,
        "Disabling track script chk since not found/accessible"
    );
    assert!(hint(d).contains("/usr/bin/check"));
    assert!(c.config.scripts.is_empty());
    assert!(c.config.instances[0].track.script.is_empty());
    // Nothing exists, so nothing is executed: no security violation.
    none_contains(&c, "SECURITY VIOLATION");
    assert_eq!(c.exit_code(), 5);
}

#[test]
fn global_script_user_that_does_not_exist() {
    let text = format!("global_defs {{\n  script_user nosuchuser\n}}\n{SCRIPT_AND_TRACKER}");
    let c = check_on(&text, &eth0());
    let d = find(&c, "Error setting global script uid/gid");
    assert_at(&c, d, 2, 15, 10);
    assert!(hint(d).contains("'nosuchuser'"));
    let r = find(
        &c,
        "Unable to set default user for vrrp script chk - removing",
    );
    assert_eq!(r.span.unwrap().line, 6);
    find(&c, "(VI_1) track script chk not found, ignoring...");
}

/// `user USER GROUP` names a user and a *group*: on Debian `nogroup` is only a group and
/// `nobody` only a user, so `user nobody nogroup` is valid and `user nobody nobody` is not
/// (keepalived 2.2.7's `-t` agrees: it resolves the group with getgrnam).
#[test]
fn script_user_group_is_looked_up_as_a_group() {
    let with_user = |pair: &str| {
        SCRIPT_AND_TRACKER.replace("--fast\"\n", &format!("--fast\"\n  user {pair}\n"))
    };
    let mut host = eth0();
    host.users.push("nobody");
    host.groups.push("nogroup");
    host.programs.push("/usr/bin/check");
    let c = check_on(&with_user("nobody nogroup"), &host);
    none_contains(&c, "Unable to set uid/gid");
    assert_eq!(c.config.scripts.len(), 1, "{}", all(&c));
    assert_eq!(c.config.instances[0].track.script.len(), 1);

    let c = check_on(&with_user("nobody nobody"), &host);
    let d = find(&c, "Unable to set uid/gid for script");
    assert!(hint(d).contains("group 'nobody'"), "{}", all(&c));
    assert!(c.config.scripts.is_empty());
}

#[test]
fn script_security_without_keepalived_script_user() {
    let text = format!("global_defs {{\n  enable_script_security\n}}\n{SCRIPT_AND_TRACKER}");
    let c = check_on(&text, &eth0());
    let d = find(
        &c,
        "Unable to set default user keepalived_script for script",
    );
    assert_eq!(d.span.unwrap().line, 6);
    find(
        &c,
        "Unable to set default user for vrrp script chk - removing",
    );
    // Creating the user fixes it.
    let mut host = eth0();
    host.users.push("keepalived_script");
    host.programs.push("/usr/bin/check");
    let c = check_on(&text, &host);
    assert_eq!(c.exit_code(), 0, "{}", all(&c));
}

#[test]
fn unresolvable_smtp_server_is_a_host_finding() {
    let text = format!(
        "global_defs {{\n  smtp_server mail.invalid\n}}\n{}",
        instance(
            "VI_1",
            &format!("  interface eth0\n  virtual_router_id 1\n{VIP}")
        )
    );
    let c = check_on(&text, &eth0());
    let d = find(&c, "Invalid smtp server");
    assert_eq!(d.message, "Invalid smtp server mail.invalid 25");
    assert_at(&c, d, 2, 15, 12);
    assert!(d.host_dependent);
    // Not a host name at all: an error on any host.
    let c = check_text("global_defs {\n  smtp_server <smtp.example.com>\n}\n");
    let d = find(&c, "Invalid smtp server");
    assert!(!d.host_dependent);
    let c = check_text("global_defs {\n  smtp_server localhost\n}\n");
    none_contains(&c, "Invalid smtp server");
}

/// DIFFERENCES.md C5: a missing main configuration file is fatal (exit code 4); keepalived
/// 2.2.7 prints the same message but exits 0.
#[test]
fn missing_main_file_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.conf");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keepalived"))
        .args(["-t", "--format=keepalived", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("Config files missing '{}'.", path.display())),
        "{err}"
    );
}

/// `metrics_listen` is an address and port, checked by `-t`: the daemon acts on the
/// typed value (and runs without the endpoint when it is missing).
#[test]
fn metrics_listen_must_be_address_and_port() {
    let with = |v: &str| {
        format!(
            "global_defs {{\n  metrics_listen {v}\n}}\n{}",
            instance(
                "VI_1",
                &format!("  interface eth0\n  virtual_router_id 1\n{VIP}")
            )
        )
    };
    for good in ["127.0.0.1:9650", "[::1]:9650"] {
        let c = check_on(&with(good), &eth0());
        assert_eq!(c.exit_code(), 0, "{good}: {}", all(&c));
        assert_eq!(c.config.global.metrics_listen, Some(good.parse().unwrap()));
    }
    for bad in ["localhost", "1.2.3.4", "127.0.0.1:99999"] {
        let c = check_on(&with(bad), &eth0());
        let d = find(&c, "metrics_listen");
        assert_eq!(d.message, format!("metrics_listen '{bad}' is invalid"));
        assert_eq!(c.config.global.metrics_listen, None);
    }
}

/// `no_email_faults` and `enable_dbus` are switched on by the keyword alone, as keepalived's
/// handlers do: a following `off` (or anything else) does not turn them off.
#[test]
fn no_email_faults_and_enable_dbus_ignore_their_argument() {
    for arg in ["", " off", " on", " no"] {
        let text = format!(
            "global_defs {{\n  no_email_faults{arg}\n  enable_dbus{arg}\n}}\n{}",
            instance(
                "VI_1",
                &format!("  interface eth0\n  virtual_router_id 1\n{VIP}")
            )
        );
        let c = check_on(&text, &eth0());
        assert!(
            c.config.global.email.no_email_faults,
            "{arg:?}: {}",
            all(&c)
        );
        assert!(c.config.global.dbus.enabled, "{arg:?}: {}", all(&c));
    }
}
