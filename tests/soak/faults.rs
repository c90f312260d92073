//! Doing and undoing each fault of the schedule to a cluster.

use std::fs;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::cluster::{Cluster, VIP0};
use crate::lab::run;
use crate::schedule::{BrokenFile, Episode, Fault};

/// The gap between two reloads of a HUP storm: quicker than a reload takes.
const HUP_GAP: Duration = Duration::from_millis(150);

/// Applies `ep`, holds it, undoes it. Returns problems the fault itself revealed
/// (a daemon that did not exit on SIGTERM), with the node they happened on.
pub fn inflict(c: &mut Cluster, ep: &Episode) -> Vec<(usize, String)> {
    let i = ep.node % c.nodes.len();
    let mut problems = Vec::new();
    match ep.fault {
        Fault::Kill9 => {
            c.kill_node(i);
            std::thread::sleep(ep.hold);
            c.start_node(i);
        }
        Fault::Term => {
            if !c.stop_node(i) {
                problems.push((i, format!("node {i} did not exit within 10 s of SIGTERM")));
            }
            std::thread::sleep(ep.hold);
            c.start_node(i);
        }
        Fault::LinkDown => {
            c.lab.set_cable(c.host(i), false);
            std::thread::sleep(ep.hold);
            c.lab.set_cable(c.host(i), true);
        }
        Fault::Detach => {
            c.lab.set_attached(c.host(i), false);
            std::thread::sleep(ep.hold);
            c.lab.set_attached(c.host(i), true);
        }
        Fault::Loss(p) => with_port_rule(c, i, "drop", p, ep.hold),
        Fault::Duplicate(p) => with_port_rule(c, i, "dup to \"br0\"", p, ep.hold),
        Fault::VipDeleted => {
            // Behind the holder's daemon's back; the daemon must notice (or the
            // cluster must recover) within the settle bound.
            // Not `Host::ip`: the daemon may drop the VIP itself between the look and
            // the delete, and that is no error of the harness.
            if let Some(&h) = c.holders("eth0", VIP0).first() {
                let _ = std::process::Command::new("ip")
                    .args(["-n", &c.host(h).ns, "addr", "del", &format!("{VIP0}/24")])
                    .args(["dev", "eth0"])
                    .output();
            }
            std::thread::sleep(ep.hold);
        }
        Fault::InterfaceRecreated => {
            c.lab.delete_segment(c.host(i), 1);
            std::thread::sleep(ep.hold);
            c.lab.recreate_segment(c.host(i), 1);
        }
        Fault::HupStorm { rounds, broken } => hup_storm(c, i, rounds, broken),
        Fault::Script(mode) => {
            c.set_script_mode(i, mode.word());
            std::thread::sleep(ep.hold);
            c.set_script_mode(i, "ok");
        }
        Fault::MysqlKilled => {
            c.db.kill();
            std::thread::sleep(ep.hold);
            c.db.restart();
        }
    }
    problems
}

/// A rule on frames entering the bridge from node `i`'s port, for `percent`% of them
/// (`numgen random`: netem is not in every kernel), held for `hold`.
fn with_port_rule(c: &Cluster, i: usize, action: &str, percent: u8, hold: Duration) {
    let ns = c.lab.bridge_ns.as_str();
    let port = c.host(i).port.as_str();
    let nft = |cmd: &str| run("ip", &["netns", "exec", ns, "nft", cmd]);
    nft("add table netdev soak");
    nft(&format!(
        "add chain netdev soak from_node {{ type filter hook ingress device \"{port}\" priority 0 ; }}"
    ));
    nft(&format!(
        "add rule netdev soak from_node numgen random mod 100 < {percent} {action}"
    ));
    std::thread::sleep(hold);
    nft("delete table netdev soak");
}

/// Reloads in quick succession: broken, valid, broken, valid…, ending valid.
fn hup_storm(c: &Cluster, i: usize, rounds: u8, broken: BrokenFile) {
    let Some(d) = &c.nodes[i].daemon else {
        return;
    };
    let valid = c.config(i);
    let bad = match broken {
        BrokenFile::Truncated(at) => valid[..(at as usize % valid.len())].to_string(),
        BrokenFile::Garbage => {
            "vrrp_instance {{{ \u{1}\u{2} }}} virtual_ipaddress { ] \n".repeat(3)
        }
        BrokenFile::Empty => String::new(),
    };
    for _ in 0..rounds {
        for text in [&bad, &valid] {
            fs::write(&d.config, text).expect("write config");
            d.signal(Signal::SIGHUP);
            std::thread::sleep(HUP_GAP);
        }
    }
}
