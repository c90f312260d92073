//! A dead SNMP master agent must not delay adverts (issue 14): a 10 ms VRRPv3 pair of 10
//! instances, both nodes AgentX subagents (`enable_snmp_rfcv2`, `enable_traps`) of their
//! own Debian `snmpd`, which the bench then stops (SIGSTOP) for the measured window while
//! 20 VRRPv2 instances on node a flap between FAULT and MASTER every 100 ms (a
//! `track_file` rewritten by the bench): each becoming MASTER is a VRRP-MIB
//! `vrrpTrapNewMaster` for the stopped agent, and the agent's socket fills up. Counted:
//! transitions of the 10 steady instances that should not happen (a's leaving MASTER,
//! b's taking it), ours and stock keepalived 2.2.7's under the same fault, in one run.
//!
//! Run as root: `cargo bench --bench snmp_dead`. Environment: `KEEPALIVED` (stock binary,
//! default /usr/sbin/keepalived), `KEEPALIVED_RS` (ours, default the one cargo built),
//! `BENCH_SECONDS` (the stopped window, default 30). Needs the packages snmpd and snmp.
//! Everything runs in throw-away network namespaces on 198.18.0.0/15.
//!
//! One run (the 2-core VM, helper builds running at nice 15, 30 s window). Both subagents
//! send their notifications: each flapping instance that becomes master is a
//! `vrrpTrapNewMaster` for the stopped agent (`tests/daemon_snmp_traps.rs` checks ours
//! against `snmptrapd`):
//!
//! | implementation | spurious transitions | flapping instances' log lines meanwhile |
//! |---|---:|---:|
//! | keepalived-rs | 0 | 5880 |
//! | keepalived | 0 | 5600 |

#[path = "../tests/lab/mod.rs"]
mod lab;
#[path = "support/pair.rs"]
mod pair;
#[path = "../tests/common/snmpd.rs"]
mod snmpd;

use std::time::Duration;

use lab::{wait_for, Host, Lab};
use pair::Implementation;
use snmpd::Snmpd;

/// `vrrpNodeVersion.0`: served once a subagent registered VRRP-MIB.
const NODE_VERSION: &str = ".1.3.6.1.2.1.68.1.1.0";

/// Node `host`'s keywords: a subagent of its snmpd, traps on.
fn snmp(host: &Host) -> String {
    format!(
        " enable_snmp_rfcv2\n enable_traps\n snmp_socket {}\n",
        Snmpd::socket(host)
    )
}

/// Spurious transitions, and state changes of the flapping instances, in the window.
fn run(imp: &Implementation, seconds: u64) -> (usize, usize) {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let agents = [Snmpd::start(na), Snmpd::start(nb)];
    let (a, b, flap) = pair::start_flapping_pair(imp, &lab, snmp);
    for host in [na, nb] {
        let registered = wait_for(Duration::from_secs(15), || {
            snmpd::query(host, "snmpget", &[NODE_VERSION]).contains("INTEGER: 2")
        });
        assert!(
            registered.is_some(),
            "{}: no VRRP-MIB through the snmpd of {}",
            imp.name,
            host.ns
        );
    }
    let stuck = agents.each_ref().map(snmpd::NetSnmpProcess::pid);
    let counted = pair::stuck_window(imp.name, (&a, &b), &flap, &stuck, seconds);
    drop((a, b));
    drop(agents);
    counted
}

fn main() {
    pair::stuck_bench(
        |seconds| {
            format!(
                "A stopped SNMP master agent ({seconds} s, snmpd stopped; 10 VRRPv3 instances at \
             10 ms, 20 VRRPv2 instances flapping every 100 ms on the master, traps on)"
            )
        },
        run,
    );
}
