//! Route and rule lines (`virtual_routes`, `virtual_rules`, `static_routes`,
//! `static_rules`) read as keepalived 2.2.7 reads them: `keepalived -t` of stock keepalived
//! and of ours print the same findings for the same files, and the typed model holds what
//! the daemon installs.

use keepalived_rs::config::model::{RouteType, RuleAction};
use keepalived_rs::config::source::{load_str, SourceOptions};
use keepalived_rs::config::{check, Checked};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";
const DEBIAN_RULES_SAMPLE: &str = "/usr/share/doc/keepalived/samples/keepalived.conf.vrrp.rules";

/// Every rule option and error keepalived 2.2.7 reports, one a line.
const RULES: &str = "static_rules {
  from 198.18.0.0/15 pref 5 table 3
  from 198.18.0.0/15 preference 5 blackhole
  from 198.18.0.0/15 to 2001:db8::/32 table 3
  inet6 from 198.18.0.0/15 table 3
  from all table 0
  from all table foo
  to 198.19.1.0/24
  from 198.19.1.0/24 goto 100
  priority 200 from 198.19.1.0/24 goto 100
  to 198.19.1.0/24 table 4 iif nosuch0
  to 198.19.1.0/16/3 table 4
  to 198.19.1.0/40 table 4
  inet6 to all table 7
  to all table 7 not
  fwmark 3 table 5
  from 198.18.0.0/15 preference x table 3
  from 198.18.0.0/15 preference 99999999999 table 3
  from 198.18.0.0/15 priority 5 goto x
  from 198.18.0.0/15 priority 5 unicast
  from 198.18.0.0/15 priority 5 table 3 nop
  from 198.18.0.0/15 protocol 4 table 3
  from 198.18.0.0/15 protocol zz table 3
  inet6 inet6 table 3
  from 198.18.0.0/15 to 198.18.0.0/15 to 2001::/64 table 3
  from 2001::/64 table 3 inet
  to 198.19.2./24 table 1
}
";

/// Every route option and error keepalived 2.2.7 reports, one a line.
const ROUTES: &str = "static_routes {
  198.19.9.0/24 via 198.18.0.1 metric 5 table 100 proto static
  198.19.9.0/24 dev nosuch0
  198.19.9.0/24 via 2001:db8::1
  198.19.9.0/24 scope bogus
  198.19.9.0/24 table bogus
  198.19.9.0/24 metric x
  via 198.18.0.1
  198.19.9.0/24 foo
  blackhole 198.19.9.0/24 no_track
  unreachable default table 9
  198.19.9.0/24 nexthop via 198.18.0.1 nexthop via 198.18.0.2
  198.19.9.0/24 dev lo nexthop via 198.18.0.1 dev lo weight 0 nexthop via 198.18.0.2
  198.19.9.0/24 dev lo nexthop via 198.18.0.1 dev lo weight 3 onlink bogus
  198.19.9.0/24 dev lo nexthop via inet6 2001:db8::1 dev lo
  198.19.9.0/24 dev lo nexthop via 198.18.0.1 dev nosuch1
  198.19.9.0/24 via 198.18.0.1 mtu 1400
  198.19.9.0/24 via 198.18.0.1 src 198.18.0.9 protocol 4
  198.19.9.0/24 via 198.18.0.1 dev lo
  2001:db8:5::/48 via fe80::1 dev lo
  198.19.9.0/24 src 198.18.0.1/24 dev lo
  198.19.9.0/24 via 198.18.0.300 dev lo
  default via 2001::1 dev lo
  198.19.9.0/24 protocol zz dev lo
  198.19.9.0/24 metric 5000000000 dev lo
  198.19.9.0 dev lo gw 198.18.0.1
}
";

/// `-t` of `binary` on `file`: its findings, sorted (the two report host findings at
/// different moments), without our notes on what this build cannot install and without
/// the address-line interface check (made elsewhere).
fn findings(binary: &str, file: &Path) -> Vec<String> {
    let out = Command::new(binary)
        .arg("-t")
        .arg("-f")
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with('(') || l.starts_with("Non-existent"))
        .filter(|l| !l.contains("is not supported by this build") && !l.contains("for ip address"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[test]
fn keepalived_and_we_report_the_same_for_route_and_rule_lines() {
    assert!(
        Path::new(STOCK).exists(),
        "stock keepalived 2.2.7 is needed at {STOCK} (Debian package keepalived)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, text) in [("rules.conf", RULES), ("routes.conf", ROUTES)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    files.push(DEBIAN_RULES_SAMPLE.into());
    for file in &files {
        let mut theirs = findings(STOCK, file);
        let mut ours = findings(BIN, file);
        if file.as_path() == Path::new(DEBIAN_RULES_SAMPLE) {
            // Its only missing interfaces are on address lines (`dev eth1`): that check,
            // and the stop it causes, are not the subject here.
            theirs.retain(|l| !l.starts_with("Non-existent"));
            ours.retain(|l| !l.starts_with("Non-existent"));
        }
        assert!(!theirs.is_empty(), "{}", file.display());
        assert_eq!(ours, theirs, "{}", file.display());
    }
}

fn check_text(text: &str) -> Checked {
    let opts = SourceOptions {
        config_id: "test".into(),
        ..SourceOptions::default()
    };
    check(load_str("k.conf", text, Path::new("/"), &opts), None)
}

#[test]
fn lines_become_typed_routes_and_rules() {
    let c = check_text(
        "static_routes {\n  198.19.9.0/24 via 198.18.0.1 dev eth0 src 198.18.0.9 table 100 metric 7 scope link\n  \
         blackhole default6\n  198.19.9.0/24 dev eth0 mtu 1400\n}\n\
         static_rules {\n  to 198.19.1.0/24 table 5\n  inet6 inet6 table 6\n  to 198.19.2./24 table 1\n  \
         from 198.19.3.0/24 not iif eth0 preference 10 goto 20\n  to 198.19.4.0/24 prohibit\n}\n",
    )
    .config;
    let r = &c.static_routes[0];
    assert_eq!(r.destination, Some(("198.19.9.0".parse().unwrap(), 24)));
    assert_eq!(r.via, Some("198.18.0.1".parse().unwrap()));
    assert_eq!(
        (r.dev.as_deref(), r.table, r.metric, r.scope),
        (Some("eth0"), 100, Some(7), Some(253))
    );
    assert_eq!(r.effective_protocol(), 18);
    let b = &c.static_routes[1];
    assert_eq!(
        (b.kind, b.ipv6, b.destination),
        (RouteType::Blackhole, true, None)
    );
    // Kept (so `-d` prints it) but not installable.
    assert_eq!(
        c.static_routes[2].unsupported.as_ref().unwrap().option,
        "mtu"
    );

    // The dropped line (`198.19.2./24`) takes no preference; IPv6 counts on its own.
    let prefs: Vec<(u32, bool)> = c
        .static_rules
        .iter()
        .map(|r| (r.preference, r.preference_assigned))
        .collect();
    assert_eq!(
        prefs,
        [(16384, true), (16384, true), (10, false), (16383, true)]
    );
    assert_eq!(c.static_rules[0].action, RuleAction::Table(5));
    assert!(c.static_rules[1].ipv6);
    let g = &c.static_rules[2];
    assert_eq!(
        (g.not, g.iif.as_deref(), g.action),
        (true, Some("eth0"), RuleAction::Goto(20))
    );
    assert_eq!(c.static_rules[3].action, RuleAction::Prohibit);
}

#[test]
fn unsupported_options_are_reported_once() {
    let c = check_text("static_routes {\n  198.19.9.0/24 dev eth0 mtu 1400 advmss 1000\n}\nstatic_rules {\n  fwmark 3 table 5 preference 4\n}\n");
    let notes: Vec<&str> = c
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .filter(|m| m.contains("not supported by this build"))
        .collect();
    assert_eq!(
        notes,
        [
            "route option 'mtu' is not supported by this build: route not installed",
            "rule option 'fwmark' is not supported by this build: rule not installed",
        ]
    );
}

#[test]
fn lines_dump_back_as_they_read() {
    let text = "static_rules {\n  to 198.19.1.0/24 table 4\n  inet6 inet6 table 6\n  \
                from 198.19.3.0/24 not iif lo preference 10 goto 20\n  fwmark 3 table 5\n}\n\
                static_routes {\n  198.19.9.0/24 via 198.18.0.1 dev lo src 198.18.0.9 table 100 metric 7 scope link\n  \
                blackhole default6\n  198.19.9.0/24 dev lo mtu lock 1400\n  unreachable default table 9 no_track protocol 4\n}\n";
    let first = check_text(text).config;
    let dumped = keepalived_rs::config::dump_config(&first);
    assert!(
        dumped.contains("198.19.9.0/24 dev lo mtu lock 1400"),
        "{dumped}"
    );
    assert!(
        dumped.contains("from 198.19.3.0/24 preference 10 iif lo not goto 20"),
        "{dumped}"
    );
    let second = check_text(&dumped).config;
    assert_eq!(second.static_routes, first.static_routes, "{dumped}");
    assert_eq!(second.static_rules, first.static_rules, "{dumped}");
}
