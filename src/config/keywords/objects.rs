//! Tracked objects and groups: `vrrp_script`, `vrrp_sync_group`, `track_file`,
//! `vrrp_track_process`, and our `mysql_check`.

use super::address::dump_script;
use super::{Keyword, OtherSettings};
use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::{MysqlCheck, Script, SyncGroup, TrackFile, TrackProcess, VrrpScript};
use crate::config::syntax::Node;
use std::collections::BTreeMap;

/// `weight W [reverse]` of a tracked object; `owner` names it in a finding as keepalived
/// does (`vrrp_script chk`). Any word but `reverse` after the weight is reported and
/// ignored, as keepalived ignores it.
fn weight(cx: &mut Lower, n: &Node, min: i64, max: i64, owner: &str) -> Option<(i32, bool)> {
    let w = cx.int_arg(n, 0, min, max)? as i32;
    let reverse = match n.args.get(1) {
        Some(a) if a.text == "reverse" => true,
        Some(a) => {
            cx.push(Diagnostic::error(
                a.span,
                format!("{owner} unknown weight option {}", a.text),
            ));
            false
        }
        None => false,
    };
    Some((w, reverse))
}

fn dump_weight(d: &mut Dumper, w: i32, reverse: bool) {
    if reverse {
        d.line("weight", &[w.to_string(), "reverse".into()]);
    } else {
        d.kv("weight", w);
    }
}

/// `weight W [reverse]` into `weight` and `weight_reverse`.
macro_rules! weight {
    ($block:literal, $usage:literal, $min:expr, $max:expr, $default:literal, $doc:literal) => {
        keyword!(
            "weight",
            $usage,
            $default,
            $doc,
            |cx, t, n| if let Some((w, r)) =
                weight(cx, n, $min, $max, &format!("{} {}", $block, t.name))
            {
                t.weight = w;
                t.weight_reverse = r
            },
            |t, d| dump_weight(d, t.weight, t.weight_reverse)
        )
    };
}

/// `script CMD`: keepalived takes the first word as the whole command line (quote it to pass
/// arguments) and ignores the rest; the user comes from the `user` keyword.
fn vrrp_script_command(cx: &mut Lower, t: &mut VrrpScript, n: &Node) {
    let Some(first) = cx.arg(n, 0) else { return };
    if !first.quoted && n.args.len() > 1 {
        cx.push(
            Diagnostic::info(
                Some(n.args[1].span),
                format!(
                    "only '{}' is run; the words after it are ignored",
                    first.text
                ),
            )
            .with_hint(format!(
                "to pass arguments, quote the whole command: script \"{}\"",
                n.args_joined()
            )),
        );
    }
    t.script.command = first.text.to_string();
}

/// The `vrrp_script` table.
pub static SCRIPT: &[Keyword<VrrpScript>] = &[
    keyword!(
        "script",
        "COMMAND",
        "none (required)",
        "Command run every interval; exit 0 = success.",
        vrrp_script_command,
        |t, d| dump_script(
            d,
            "script",
            &Some(Script {
                command: t.script.command.clone(),
                user: None
            })
        )
    ),
    secs!(
        "interval",
        interval,
        1,
        4_294_967_000_000,
        "1",
        "Time between runs."
    ),
    opt_secs!(
        "timeout",
        timeout,
        1,
        4_294_967_000_000,
        "interval",
        "A run lasting longer counts as failed."
    ),
    weight!(
        "vrrp_script",
        "-253..253 [reverse]",
        -253,
        253,
        "0",
        "Priority change while failed (negative) or succeeding (positive); 0 = FAULT on failure."
    ),
    int!(
        "rise",
        rise,
        1,
        2_147_483_647,
        "1",
        "Successes needed to be considered up."
    ),
    int!(
        "fall",
        fall,
        1,
        2_147_483_647,
        "1",
        "Failures needed to be considered down."
    ),
    keyword!(
        "user",
        "USER [GROUP]",
        "script_user",
        "Run the script as this user.",
        |cx, t, n| if let Some(u) = cx.arg(n, 0) {
            t.script.user = Some(Box::new((
                u.text.to_string(),
                n.args.get(1).map(|g| g.text.to_string()),
            )));
            let span = n.keyword.span;
            cx.spans.script_users.insert(t.name.clone(), span);
        },
        |t, d| if let Some((u, g)) = t.script.user.as_deref() {
            let mut w = vec![u.clone()];
            w.extend(g.clone());
            d.line("user", &w)
        }
    ),
    flag!("init_fail", init_fail, "Start in the failed state."),
];

/// The `vrrp_sync_group` table.
pub static SYNC_GROUP: &[Keyword<SyncGroup>] = &[
    keyword!(
        "group",
        "{ INSTANCE… }",
        "none (required)",
        "Member instances.",
        |_cx, t, n| t
            .group
            .extend(n.children().iter().map(|c| c.keyword.text.to_string())),
        |t, d| d.block("group", |d| t
            .group
            .iter()
            .for_each(|g| d.line::<&str>(g, &[])))
    ),
    script!(
        "notify_master",
        notify_master,
        "Run when the group becomes MASTER."
    ),
    script!(
        "notify_backup",
        notify_backup,
        "Run when the group becomes BACKUP."
    ),
    script!(
        "notify_fault",
        notify_fault,
        "Run when the group enters FAULT."
    ),
    script!("notify_stop", notify_stop, "Run when the group stops."),
    script!(
        "notify",
        notify,
        "Run on every group state change with GROUP NAME STATE 0 appended."
    ),
    tristate!(
        "smtp_alert",
        smtp_alert,
        "off",
        "SMTP alerts on the group's state changes (unset: smtp_alert_vrrp, else smtp_alert)."
    ),
    flag!(
        "global_tracking",
        global_tracking,
        "Deprecated: members share tracking."
    ),
    flag!(
        "sync_group_tracking_weight",
        sync_group_tracking_weight,
        "Keep tracking weights of members (otherwise forced to 0)."
    ),
    tristate!(
        "notify_priority_changes",
        notify_priority_changes,
        "vrrp_notify_priority_changes",
        "Default of the members' notify_priority_changes."
    ),
    tracks!(
        "track_interface",
        "{ IFNAME [weight W] … }",
        track_interface,
        -254,
        254,
        "Interfaces tracked by the whole group."
    ),
    tracks!(
        "track_script",
        "{ SCRIPT [weight W] … }",
        track_script,
        -254,
        254,
        "Scripts tracked by the whole group."
    ),
    tracks!(
        "track_file",
        "{ NAME [weight W] … }",
        track_file,
        -254,
        254,
        "Files tracked by the whole group."
    ),
    tracks!(
        "track_process",
        "{ NAME [weight W] … }",
        track_process,
        -254,
        254,
        "Processes tracked by the whole group."
    ),
    keyword!(
        @inert Some(super::Inert::Bfd),
        "track_bfd",
        "{ … }",
        "none",
        "BFD tracking (no BFD in this build).",
        |cx, _t, n| super::announce_inert(cx, n, super::Inert::Bfd),
        |_t, _d| {}
    ),
];

/// The `track_file` table.
pub static TRACK_FILE: &[Keyword<TrackFile>] = &[
    keyword!(
        "file",
        "PATH",
        "none (required)",
        "File holding an integer.",
        |cx, t, n| if let Some(a) = cx.arg(n, 0) {
            t.file = a.text.to_string()
        },
        |t, d| d.kv("file", &t.file)
    ),
    weight!(
        "track_file",
        "-254..254 [reverse]",
        -254,
        254,
        "1",
        "Priority change = file value × weight; 0 = FAULT on non-zero."
    ),
    keyword!(
        "init_file",
        "[VALUE] [overwrite]",
        "none",
        "Create the file with VALUE (default 0) at start.",
        |cx, t, n| {
            let mut value = 0;
            let mut overwrite = false;
            for a in &n.args {
                if a.text == "overwrite" {
                    overwrite = true
                } else if let Some(v) = cx.int(a, -2_147_483_648, 2_147_483_647) {
                    value = v
                }
            }
            t.init_file = Some((value, overwrite));
        },
        |t, d| if let Some((v, o)) = t.init_file {
            if o {
                d.line("init_file", &[v.to_string(), "overwrite".into()])
            } else {
                d.kv("init_file", v)
            }
        }
    ),
];

impl OtherSettings for TrackProcess {
    fn other(&mut self) -> &mut BTreeMap<String, Vec<String>> {
        &mut self.other
    }
    fn other_ref(&self) -> &BTreeMap<String, Vec<String>> {
        &self.other
    }
}

/// The `vrrp_track_process` table.
pub static TRACK_PROCESS: &[Keyword<TrackProcess>] = &[
    keyword!(
        "process",
        "NAME [ARGS…]",
        "none (required)",
        "Process name (and arguments) to count.",
        |cx, t, n| if cx.arg(n, 0).is_some() {
            t.process = Some(n.args_joined())
        },
        |t, d| if let Some(p) = &t.process {
            d.line("process", &p.split(' ').collect::<Vec<_>>())
        }
    ),
    word!(
        "param_match",
        "initial|partial",
        "exact",
        param_match,
        "How arguments are matched."
    ),
    weight!(
        "vrrp_track_process",
        "-254..254 [reverse]",
        -254,
        254,
        "0",
        "Priority change while the process is missing (0 = FAULT); reverse: while it runs."
    ),
    int!(
        "quorum",
        quorum,
        1,
        65535,
        "1",
        "Processes needed to be up."
    ),
    opt_int!(
        "quorum_max",
        "N",
        quorum_max,
        1,
        65535,
        "none",
        "Most processes allowed."
    ),
    opt_secs!(
        "delay",
        delay,
        0,
        4_294_967_000_000,
        "0",
        "Wait this long before acting on a change."
    ),
    opt_secs!(
        "terminate_delay",
        terminate_delay,
        0,
        4_294_967_000_000,
        "the delay",
        "Wait this long after a process ends before acting on it."
    ),
    opt_secs!(
        "fork_delay",
        fork_delay,
        0,
        4_294_967_000_000,
        "the delay",
        "Wait this long after a process starts before acting on it."
    ),
    keyword!(
        "full_command",
        "",
        "off",
        "Match the process name against the command as started (argv[0]).",
        |_cx, t, _n| t.full_command = true,
        |t, d| if t.full_command {
            d.line::<&str>("full_command", &[])
        }
    ),
];

/// The `mysql_check` table (our extension).
pub static MYSQL_CHECK: &[Keyword<MysqlCheck>] = &[
    keyword!(
        "host",
        "HOST",
        "127.0.0.1",
        "MySQL server to check.",
        |cx, t, n| if let Some(a) = cx.arg(n, 0) {
            t.connection.host = a.text.to_string()
        },
        |t, d| d.kv("host", &t.connection.host)
    ),
    int!("port", connection.port, 1, 65535, "3306", "TCP port."),
    word!(
        "socket",
        "PATH",
        connection.socket,
        "Unix socket of a local server; used instead of host/port when set."
    ),
    word!(
        "credentials_file",
        "PATH",
        "none (anonymous)",
        connection.credentials_file,
        "File with 'user=' and 'password=' lines, readable only by root."
    ),
    keyword!(
        "query",
        "SQL",
        "SELECT 1",
        "Query run at every check.",
        |cx, t, n| if cx.arg(n, 0).is_some() {
            t.query = n.args_joined()
        },
        |t, d| d.line::<&str>("query", &[&t.query])
    ),
    secs!(
        "interval",
        interval,
        10_000,
        3_600_000_000,
        "0.2",
        "Time between checks."
    ),
    secs!(
        "timeout",
        timeout,
        10_000,
        3_600_000_000,
        "0.5",
        "Read/write timeout of each statement (and connect timeout unless set)."
    ),
    opt_secs!(
        "connect_timeout",
        connection.connect_timeout,
        10_000,
        3_600_000_000,
        "timeout",
        "TCP connect timeout."
    ),
    int!(
        "weight",
        weight,
        -253,
        253,
        "0",
        "As vrrp_script weight (0 = FAULT on failure)."
    ),
    int!(
        "rise",
        rise,
        1,
        1_000_000,
        "1",
        "Successes needed to be up."
    ),
    int!(
        "fall",
        fall,
        1,
        1_000_000,
        "2",
        "Failures needed to be down."
    ),
    flag!(
        "init_fail",
        init_fail,
        "Start failed: rise successes are needed before the check is up."
    ),
    opt_secs!(
        "max_replication_lag",
        replication.max_lag,
        0,
        86_400_000_000,
        "none",
        "Fail when the replica lags more than this."
    ),
    keyword!(
        "replication_lag_query",
        "SQL",
        "Seconds_Behind_Master",
        "Query whose first value is the replica lag in seconds (e.g. from a heartbeat table).",
        |cx, t, n| if cx.arg(n, 0).is_some() {
            t.replication.lag_query = Some(n.args_joined())
        },
        |t, d| if let Some(q) = &t.replication.lag_query {
            d.line::<&str>("replication_lag_query", &[q])
        }
    ),
    flag!(
        "require_replication",
        replication.require_replication,
        "Fail unless this server replicates: SQL thread running, IO thread running or reconnecting."
    ),
];
