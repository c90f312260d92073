//! E-mail alerts as an SMTP server receives them, from our daemon and from stock
//! keepalived 2.2.7 run the same way: the same messages (envelope, headers, subject,
//! body) on the same events — start-up to MASTER, a cut cable (FAULT), its repair, and
//! a stop (where ours differs: keepalived's STOP alerts never leave) — with a sync group and instances whose `smtp_alert` comes from different
//! places (the instance's own, the group's, the global `smtp_alert_vrrp off` that
//! outranks `smtp_alert`). The server is Debian's aiosmtpd (`tests/smtp_support/sink.py`)
//! on the node namespace's loopback. Needs root, keepalived and python3-aiosmtpd; panics
//! (never skips) without them.

mod lab;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lab::side_by_side::{require_stock, OURS, STOCK};
use lab::{expect_within, wait_for, Daemon, Lab};

/// Debian's interpreter, which has python3-aiosmtpd (a `python3` earlier on PATH may not).
const PYTHON: &str = "/usr/bin/python3";
const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_support/sink.py");

/// `router_id` and `notification_email_from` are left unset: both daemons default them
/// from the host's name, the same for both.
const CONFIG: &str = "global_defs {
    notification_email {
        ops@example.com
        oncall@example.com
    }
    smtp_server 127.0.0.1 2525
    smtp_helo_name lb-a.example.com
    smtp_connect_timeout 5
    smtp_alert
    smtp_alert_vrrp off
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    smtp_alert
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    smtp_alert
    virtual_ipaddress {
        198.18.0.101/24
    }
}
vrrp_instance VI_2 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 150
    advert_int 1
    virtual_ipaddress {
        198.18.0.102/24
    }
}
vrrp_instance VI_3 {
    state MASTER
    interface eth0
    virtual_router_id 53
    priority 150
    advert_int 1
    smtp_alert on
    virtual_ipaddress {
        198.18.0.103/24
    }
}
";

/// One message as the server received it.
#[derive(Debug, serde::Deserialize)]
struct Mail {
    helo: String,
    mail_from: String,
    rcpt_tos: Vec<String>,
    data: String,
}

impl Mail {
    /// The envelope and the message, with the `Date` header's value (checked to be in
    /// keepalived's format) replaced by `<date>`: the only part that differs by run.
    fn normalised(&self) -> String {
        let (date, rest) = self
            .data
            .split_once("\r\n")
            .unwrap_or_else(|| panic!("no header line in {:?}", self.data));
        let value = date
            .strip_prefix("Date: ")
            .unwrap_or_else(|| panic!("the first header is not Date: {date:?}"));
        assert!(
            jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S %z", value).is_ok(),
            "Date header {value:?} is not in RFC 5322 form"
        );
        format!(
            "HELO {}\nMAIL FROM:<{}>\nRCPT TO:{:?}\nDate: <date>\r\n{rest}",
            self.helo, self.mail_from, self.rcpt_tos
        )
    }
}

/// The SMTP server, killed (by pid) when dropped.
struct Sink {
    child: Child,
    dir: PathBuf,
}

impl Sink {
    fn start(ns: &str, dir: PathBuf) -> Sink {
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns, PYTHON, SINK])
            .arg(&dir)
            .args(["127.0.0.1", "2525"])
            .stdin(Stdio::null())
            .spawn()
            .expect("start the SMTP sink");
        let sink = Sink { child, dir };
        assert!(
            wait_for(Duration::from_secs(10), || sink.dir.join("ready").exists()).is_some(),
            "the SMTP sink did not start (is python3-aiosmtpd installed?)"
        );
        sink
    }

    /// Every message received so far, in arrival order, normalised.
    fn mails(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let m: Mail = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
                m.normalised()
            })
            .collect()
    }

    fn count(&self, subject_tail: &str) -> usize {
        self.mails()
            .iter()
            .filter(|m| m.contains(subject_tail))
            .count()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the server received in each phase (sorted: keepalived sends each alert on its own
/// connection, so alerts of one moment may arrive in any order).
#[derive(Debug, PartialEq)]
struct Phases {
    start: Vec<String>,
    fault: Vec<String>,
    repair: Vec<String>,
    stop: Vec<String>,
}

/// Runs `binary` alone through start-up, a cut and a repaired cable, and a stop.
fn alerts_of(binary: &str) -> Phases {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    a.ip(&["link", "set", "lo", "up"]);
    let sink = Sink::start(&a.ns, a.dir.join("mail"));
    let daemon = if binary == STOCK {
        Daemon::start_stock(a, binary.as_ref(), CONFIG)
    } else {
        Daemon::start(a, binary.as_ref(), CONFIG)
    };
    let mut seen = 0;
    let mut phase = |wanted: &[(&str, usize)]| {
        let got = wait_for(Duration::from_secs(15), || {
            wanted.iter().all(|(s, n)| sink.count(s) >= *n)
        });
        assert!(
            got.is_some(),
            "{binary}: waited for {wanted:?}; the server has:\n{:#?}\nlog:\n{}",
            sink.mails(),
            daemon.log_text()
        );
        // Alerts of the same moment that were not waited for.
        std::thread::sleep(Duration::from_millis(700));
        let all = sink.mails();
        let mut new = all[seen..].to_vec();
        seen = all.len();
        new.sort();
        new
    };
    let start = phase(&[
        ("VRRP Group G1 - Entering MASTER state", 1),
        ("VRRP Instance VI_3 - Entering MASTER state", 1),
    ]);
    lab.set_cable(a, false);
    let fault = phase(&[
        ("VRRP Group G1 - Entering FAULT state", 1),
        ("VRRP Instance VI_3 - Entering FAULT state", 1),
    ]);
    lab.set_cable(a, true);
    let repair = phase(&[
        ("VRRP Group G1 - Entering MASTER state", 2),
        ("VRRP Instance VI_3 - Entering MASTER state", 2),
    ]);
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let stopped = || daemon.logged("Stopped Keepalived");
    let what = format!("{binary} did not stop");
    expect_within(Duration::from_secs(5), &what, &[&daemon], stopped);
    let stop = phase(&[]);
    Phases {
        start,
        fault,
        repair,
        stop,
    }
}

#[test]
fn alerts_reach_the_smtp_server_as_stock_keepalived_sends_them() {
    lab::require_root();
    require_stock();
    assert!(
        Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success()),
        "{PYTHON} cannot import aiosmtpd (Debian package python3-aiosmtpd)"
    );
    let ours = alerts_of(OURS);
    let stock = alerts_of(STOCK);
    eprintln!("ours:\n{ours:#?}\nkeepalived 2.2.7:\n{stock:#?}");
    assert_eq!(ours.start, stock.start, "start-up");
    assert_eq!(ours.fault, stock.fault, "cable cut");
    assert_eq!(ours.repair, stock.repair, "cable repaired");
    // What that is: the group and both instances with smtp_alert of their own, each
    // state once; VI_2 (in the group, no smtp_alert) gets none: smtp_alert_vrrp off
    // outranks the global smtp_alert.
    let subjects = |mails: &[String]| -> Vec<String> {
        mails
            .iter()
            .map(|m| {
                m.split("Subject: [")
                    .nth(1)
                    .unwrap()
                    .split("\r\n")
                    .next()
                    .unwrap()
            })
            .map(|s| s.split_once("] ").unwrap().1.to_string())
            .collect()
    };
    let started = [
        "VRRP Group G1 - Entering BACKUP state",
        "VRRP Group G1 - Entering MASTER state",
        "VRRP Instance VI_1 - Entering BACKUP state",
        "VRRP Instance VI_1 - Entering MASTER state",
        "VRRP Instance VI_3 - Entering BACKUP state",
        "VRRP Instance VI_3 - Entering MASTER state",
    ];
    assert_eq!(subjects(&ours.start), started);
    assert_eq!(subjects(&ours.repair), started);
    assert_eq!(
        subjects(&ours.fault),
        [
            "VRRP Group G1 - Entering FAULT state",
            "VRRP Instance VI_1 - Entering FAULT state",
            "VRRP Instance VI_3 - Entering FAULT state",
        ]
    );
    // Stopping: keepalived 2.2.7 starts its STOP alerts and then tears its event loop
    // down before they are sent, so none arrives; ours are sent within the shutdown
    // grace time (DIFFERENCES D10).
    assert_eq!(
        subjects(&ours.stop),
        [
            "VRRP Group G1 - Stopping",
            "VRRP Instance VI_1 - Stopping",
            "VRRP Instance VI_3 - Stopping",
        ]
    );
    assert!(
        stock.stop.is_empty() || stock.stop == ours.stop,
        "{:#?}",
        stock.stop
    );
}
