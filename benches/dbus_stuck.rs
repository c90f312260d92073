//! A stuck D-Bus peer must not delay adverts (issue 14): a 10 ms VRRPv3 pair of 10
//! instances, both nodes with `enable_dbus` on a private `dbus-daemon`, which is then
//! stopped (SIGSTOP) for the measured window while 20 more instances on node a flap
//! between FAULT and MASTER every 100 ms (a `track_file` rewritten by the bench), so
//! state signals keep going to the stuck bus and pile up. Counted: transitions of the 10
//! steady instances that should not happen (a's leaving MASTER, b's taking it), ours and
//! stock keepalived 2.2.7's under the same fault, in one run.
//!
//! Run as root: `cargo bench --bench dbus_stuck`. Environment: `KEEPALIVED` (stock
//! binary, default /usr/sbin/keepalived), `KEEPALIVED_RS` (ours, default the one cargo
//! built), `BENCH_SECONDS` (the stuck window, default 30).
//! Everything runs in throw-away network namespaces on 198.18.0.0/15.

#[path = "../tests/lab/mod.rs"]
mod lab;
#[path = "support/pair.rs"]
mod pair;
#[path = "../tests/common/private_bus.rs"]
mod private_bus;

use lab::Lab;
use pair::Implementation;
use private_bus::PrivateBus;

/// Spurious transitions, and state changes of the flapping instances, in the window.
fn run(imp: &Implementation, seconds: u64) -> (usize, usize) {
    let lab = Lab::new(&["a", "b"], false);
    let bus = PrivateBus::start(&lab.node("a").dir);
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &bus.address);
    let (a, b, flap) = pair::start_flapping_pair(imp, &lab, |_| " enable_dbus\n".into());
    let counted = pair::stuck_window(imp.name, (&a, &b), &flap, &[bus.pid()], seconds);
    drop((a, b));
    drop(bus);
    counted
}

fn main() {
    pair::stuck_bench(
        |seconds| {
            format!(
                "A stuck D-Bus peer ({seconds} s, dbus-daemon stopped; 10 VRRPv3 instances at \
             10 ms, 20 instances flapping every 100 ms on the master)"
            )
        },
        run,
    );
}
