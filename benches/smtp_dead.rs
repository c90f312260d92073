//! A dead SMTP server must not delay adverts (issue 14): a 10 ms VRRPv3 pair of 10
//! instances, every instance with `smtp_alert`, while a churn instance on the same pair
//! changes master every `BENCH_CHURN_MS` (default 300 ms) so that both daemons keep
//! sending alerts to a server that never answers. Counts the spurious transitions of the
//! 10 steady instances (the master losing one, the backup taking one), ours and stock
//! keepalived side by side, under two faults:
//!
//! * `tarpit`: a server that accepts the TCP connection and never says a word;
//! * `drop`: a port whose SYNs are dropped (an nftables rule), so connects hang.
//!
//! Also reports how hard each daemon tried to reach the server (connections the tarpit
//! accepted; SYNs the drop rule counted, retransmissions included), to show the alerts
//! were really being sent.
//!
//! Run as root: `cargo bench --bench smtp_dead`. Environment: `KEEPALIVED` (stock binary,
//! default /usr/sbin/keepalived), `BENCH_SECONDS` (window per run, default 20),
//! `BENCH_CHURN_MS`, `BENCH_FAULTS` (comma list of tarpit,drop; default both). Needs nftables (`nft`) and python3. Everything runs in throw-away
//! network namespaces on 198.18.0.0/15.

#[path = "../tests/lab/mod.rs"]
mod lab;
#[path = "support/pair.rs"]
mod pair;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lab::{Host, Lab};
use pair::{env_number, Implementation};
/// The tarpit: accepts and holds every connection, writes how many it accepted.
const TARPIT: &str = "import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 2525)); s.listen(4096); held = []
while True:
    c, _ = s.accept(); held.append(c)
    open(sys.argv[1], 'w').write(str(len(held)))
";

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Tarpit,
    Drop,
}

impl Fault {
    fn port(self) -> u16 {
        match self {
            Fault::Tarpit => 2525,
            Fault::Drop => 2526,
        }
    }
}

/// Ten steady instances (VRIDs 1–10) and the churn instance (VRID 50, priority cut by 150
/// while `churn` holds 1), all alerting to 127.0.0.1:`port`.
fn config(priority: u8, port: u16, churn: &Path) -> String {
    let mut s = format!(
        "global_defs {{\n notification_email {{\n ops@example.com\n }}\n \
         notification_email_from keepalived@example.com\n smtp_server 127.0.0.1 {port}\n \
         smtp_alert\n}}\n\
         track_file churn {{\n file {}\n weight -150\n}}\n\
         vrrp_instance CHURN {{\n state BACKUP\n interface eth0\n virtual_router_id 50\n \
         priority {priority}\n version 3\n advert_int 0.01\n track_file {{\n churn\n }}\n \
         virtual_ipaddress {{\n 198.19.1.50/32\n }}\n}}\n",
        churn.display()
    );
    s += &pair::steady_instances(priority);
    s
}

/// The dead server in `host` for `fault`; returns the tarpit process, if any.
fn dead_server(host: &Host, fault: Fault) -> Option<Child> {
    host.ip(&["link", "set", "lo", "up"]);
    match fault {
        Fault::Tarpit => Some(
            Command::new("ip")
                .args(["netns", "exec", &host.ns, "python3", "-c", TARPIT])
                .arg(host.dir.join("accepted"))
                .stdin(Stdio::null())
                .spawn()
                .expect("start the tarpit"),
        ),
        Fault::Drop => {
            let rules = host.dir.join("smtpdead.nft");
            std::fs::write(
                &rules,
                format!(
                    "table inet smtpdead {{\n chain input {{\n  type filter hook input priority 0;\n  \
                     tcp dport {} tcp flags syn counter drop\n }}\n}}\n",
                    fault.port()
                ),
            )
            .unwrap();
            let out = Command::new("ip")
                .args(["netns", "exec", &host.ns, "nft", "-f"])
                .arg(&rules)
                .output()
                .expect("nft");
            assert!(
                out.status.success(),
                "nft: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
    }
}

/// How many alerts the dead server in `host` saw begin.
fn attempts(host: &Host, fault: Fault) -> u64 {
    match fault {
        Fault::Tarpit => std::fs::read_to_string(host.dir.join("accepted"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
        Fault::Drop => {
            let out = host.exec(&["nft", "list", "table", "inet", "smtpdead"]);
            out.split("packets ")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        }
    }
}

/// One run: returns (spurious transitions, churn flips, alerts begun on a and b).
fn run(imp: &Implementation, fault: Fault, seconds: u64, churn_ms: u64) -> (usize, u64, u64) {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let churn = na.dir.join("churn");
    std::fs::write(&churn, "0\n").unwrap();
    let unused = nb.dir.join("churn");
    std::fs::write(&unused, "0\n").unwrap();
    let mut servers: Vec<Child> = [na, nb]
        .iter()
        .filter_map(|h| dead_server(h, fault))
        .collect();
    let a = imp.start(na, &config(200, fault.port(), &churn));
    let b = imp.start(nb, &config(100, fault.port(), &unused));
    pair::settle(imp.name, na, nb);
    std::thread::sleep(Duration::from_secs(1));
    let before = pair::spurious(&a, &b);
    let start = Instant::now();
    let mut flips = 0;
    while start.elapsed() < Duration::from_secs(seconds) {
        flips += 1;
        std::fs::write(&churn, if flips % 2 == 1 { "1\n" } else { "0\n" }).unwrap();
        std::thread::sleep(Duration::from_millis(churn_ms));
    }
    std::fs::write(&churn, "0\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let spurious = pair::spurious(&a, &b) - before;
    let begun = attempts(na, fault) + attempts(nb, fault);
    for s in &mut servers {
        let _ = s.kill();
        let _ = s.wait();
    }
    (spurious, flips, begun)
}

fn main() {
    lab::require_root();
    let imps = pair::implementations();
    let seconds = env_number("BENCH_SECONDS", 20);
    let churn_ms = env_number("BENCH_CHURN_MS", 300);
    let mut report = format!(
        "## Dead SMTP server ({seconds} s each, {} VRRPv3 instances at 10 ms, churn every \
         {churn_ms} ms)\n\n| implementation | fault | spurious transitions | churn flips | \
         tries (tarpit: connections, drop: SYNs) |\n|---|---|---:|---:|---:|\n",
        pair::STEADY
    );
    let only = std::env::var("BENCH_FAULTS").unwrap_or_else(|_| "tarpit,drop".into());
    let faults = [("tarpit", Fault::Tarpit), ("drop", Fault::Drop)]
        .into_iter()
        .filter(|(name, _)| only.split(',').any(|o| o == *name))
        .map(|(_, f)| f);
    for fault in faults {
        for imp in &imps {
            let (spurious, flips, begun) = run(imp, fault, seconds, churn_ms);
            let name = if fault == Fault::Tarpit {
                "accepts, never answers"
            } else {
                "drops SYNs"
            };
            let line = format!("| {} | {name} | {spurious} | {flips} | {begun} |", imp.name);
            println!("{line}");
            let _ = writeln!(report, "{line}");
        }
    }
    println!("\n{report}");
}
