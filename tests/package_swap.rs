//! The package swap an operator makes, both ways, on a real Debian system: a throw-away
//! root bootstrapped from Debian's mirror (never the host), with every command — apt and
//! dpkg included, so the maintainer scripts' own stop/start act on the daemon — run in a
//! network namespace where the daemon's VIP can be watched. After every step the test
//! checks which daemon runs (Debian's keepalived 2.2.7 or ours), that it holds the VIP,
//! what dpkg thinks, and drives `/etc/init.d/keepalived status|reload|stop|start`.
//!
//! 1. `apt-get install keepalived`: Debian's package, started by its postinst.
//! 2. `dpkg -i keepalived-rs.deb` over it: Debian's daemon stopped, ours running; our
//!    unit, init script (mode, LSB header, rc.d links), defaults file, conffiles, man pages.
//! 3. `dpkg --purge keepalived` (the replaced package's leftovers): its `postrm purge`
//!    unregisters the service; ours is registered again and never stopped.
//! 4. `apt-get purge keepalived-rs keepalived+`: the way back in one command.
//! 5. `apt-get install ./keepalived-rs.deb` over Debian's, 6. `apt-get purge keepalived`.
//! 7. `apt-get install keepalived` straight over ours (ours removed, not purged), then
//! 8. `apt-get purge keepalived-rs`: our `postrm purge` leaves Debian's service registered.
//! 9. `dpkg -i`, `dpkg -r`, `dpkg -P keepalived-rs`: stopped, then nothing left.
//! 10. `apt-get install keepalived`: Debian's back and running.
//!
//! Needs root, mmdebstrap and the network on the first run (the bootstrap is cached under
//! the target dir); .ci/run installs the tools. Missing ones fail the test.

mod deb_support;
mod package_swap_support;

use std::time::Instant;

use package_swap_support::{Container, Flavor, Machine, OUR_DEB, SECOND_VIP, VIP};

fn step(n: u32, what: &str, started: &mut Instant) {
    eprintln!(
        "package swap: step {n} ({what}) after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    *started = Instant::now();
}

/// Steps 1-3: Debian's keepalived, then ours over it with dpkg, then the leftovers purged.
fn swap_in_with_dpkg(m: &mut Machine, clock: &mut Instant) {
    m.root.sh_ok("apt-get install -y keepalived");
    m.expect_states("installed", "absent");
    let version = m.root.sh_ok("dpkg-query -W -f='${Version}' keepalived");
    assert!(
        version.starts_with("1:2.2.7-"),
        "Debian's keepalived is {version}"
    );
    m.expect_registered();
    m.exercise_init_script(Flavor::Stock);
    step(1, "Debian's keepalived installed", clock);

    let stock = m.expect_running(Flavor::Stock);
    m.root.sh_ok(&format!("dpkg -i {OUR_DEB}"));
    assert!(m.daemon_pid() != Some(stock), "Debian's daemon still runs");
    m.expect_states("config-files", "installed");
    let ours = m.expect_running(Flavor::Ours);
    m.expect_our_files();
    m.expect_registered();
    m.exercise_init_script(Flavor::Ours);
    step(2, "ours over it with dpkg -i", clock);

    let ours_before = m.expect_running(Flavor::Ours);
    assert_ne!(ours, ours_before, "the init script's restart kept the pid");
    m.root.sh_ok("dpkg --purge keepalived");
    m.expect_states("absent", "installed");
    assert_eq!(
        m.daemon_pid(),
        Some(ours_before),
        "purging the leftovers touched our daemon"
    );
    m.expect_registered();
    m.expect_our_files();
    m.exercise_init_script(Flavor::Ours);
    step(3, "Debian's leftovers purged", clock);
}

/// Step 4: back to Debian's keepalived in one apt command.
fn swap_back_with_apt(m: &mut Machine, clock: &mut Instant) {
    let ours = m.expect_running(Flavor::Ours);
    m.root.sh_ok("apt-get purge -y keepalived-rs keepalived+");
    m.expect_states("installed", "absent");
    assert!(m.daemon_pid() != Some(ours), "our daemon still runs");
    m.expect_running(Flavor::Stock);
    m.expect_verified("keepalived");
    m.expect_registered();
    m.exercise_init_script(Flavor::Stock);
    step(
        4,
        "back to Debian's with apt-get purge keepalived-rs keepalived+",
        clock,
    );
}

/// Steps 5-6: ours over Debian's with apt, then the leftovers purged with apt.
fn swap_in_with_apt(m: &mut Machine, clock: &mut Instant) {
    let (dir, file) = OUR_DEB.rsplit_once('/').unwrap();
    m.root
        .sh_ok(&format!("cd {dir} && apt-get install -y ./{file}"));
    m.expect_states("config-files", "installed");
    m.expect_running(Flavor::Ours);
    m.expect_our_files();
    m.expect_registered();
    m.exercise_init_script(Flavor::Ours);
    step(
        5,
        "ours over it with apt-get install ./keepalived-rs.deb",
        clock,
    );

    let ours = m.expect_running(Flavor::Ours);
    m.root.sh_ok("apt-get purge -y keepalived");
    m.expect_states("absent", "installed");
    assert_eq!(
        m.daemon_pid(),
        Some(ours),
        "purging the leftovers touched our daemon"
    );
    m.expect_registered();
    step(6, "Debian's leftovers purged with apt", clock);
}

/// Steps 7-8: Debian's installed straight over ours (apt removes ours, keeping its
/// configuration), then our leftovers purged: Debian's service must stay registered.
fn swap_back_over_ours(m: &mut Machine, clock: &mut Instant) {
    let ours = m.expect_running(Flavor::Ours);
    m.root.sh_ok("apt-get install -y keepalived");
    m.expect_states("installed", "config-files");
    assert!(m.daemon_pid() != Some(ours), "our daemon still runs");
    m.expect_running(Flavor::Stock);
    m.expect_verified("keepalived");
    m.expect_registered();
    m.exercise_init_script(Flavor::Stock);
    step(
        7,
        "Debian's installed over ours with apt-get install keepalived",
        clock,
    );

    let stock = m.expect_running(Flavor::Stock);
    m.root.sh_ok("apt-get purge -y keepalived-rs");
    m.expect_states("installed", "absent");
    assert_eq!(
        m.daemon_pid(),
        Some(stock),
        "purging our leftovers touched the daemon"
    );
    m.expect_verified("keepalived");
    m.expect_registered();
    m.expect_config_kept();
    step(8, "our leftovers purged", clock);
}

/// Steps 9-10: ours installed once more, removed and purged, then Debian's installed back.
fn remove_then_reinstall_stock(m: &mut Machine, clock: &mut Instant) {
    m.root
        .sh_ok(&format!("dpkg -i {OUR_DEB} && dpkg --purge keepalived"));
    let ours = m.expect_running(Flavor::Ours);
    m.root.sh_ok("dpkg -r keepalived-rs");
    m.expect_stopped(ours);
    m.expect_states("absent", "config-files");
    m.root.sh_ok("dpkg -P keepalived-rs");
    m.expect_states("absent", "absent");
    m.expect_unregistered();
    m.expect_config_kept();
    step(9, "ours installed, removed and purged", clock);

    m.root.sh_ok("apt-get install -y keepalived");
    m.expect_states("installed", "absent");
    m.expect_verified("keepalived");
    m.expect_registered();
    m.exercise_init_script(Flavor::Stock);
    step(10, "Debian's keepalived installed back", clock);
}

#[test]
fn debian_keepalived_swaps_for_ours_and_back_with_the_service_running() {
    let total = Instant::now();
    let mut clock = Instant::now();
    let mut m = Machine::new("swap", deb_support::deb());
    step(0, "root ready", &mut clock);
    swap_in_with_dpkg(&mut m, &mut clock);
    swap_back_with_apt(&mut m, &mut clock);
    swap_in_with_apt(&mut m, &mut clock);
    swap_back_over_ours(&mut m, &mut clock);
    remove_then_reinstall_stock(&mut m, &mut clock);
    eprintln!(
        "package swap: all steps in {:.1} s",
        total.elapsed().as_secs_f64()
    );
}

/// The same swap under real systemd (`systemd-nspawn --boot` on the root): the maintainer
/// scripts take their systemd branch, our `Type=notify` unit reports readiness and its
/// status text to systemd, `systemctl reload` reaches the daemon, the init script hands
/// `condrestart`/`stop`/`start` to systemctl instead of acting behind the unit's back,
/// and purging Debian's leftovers leaves the unit enabled.
#[test]
fn under_systemd_the_swap_and_the_init_script_go_through_the_unit() {
    let total = Instant::now();
    let mut c = Container::boot("systemd", deb_support::deb());
    eprintln!(
        "package swap (systemd): booted in {:.1} s",
        total.elapsed().as_secs_f64()
    );
    c.sh_ok("apt-get install -y keepalived");
    c.expect_active(Flavor::Stock);

    c.sh_ok(&format!("dpkg -i {OUR_DEB}"));
    let ours = c.expect_active(Flavor::Ours);
    let unit = c.unit();
    assert_eq!(unit["Type"], "notify");
    // READY=1 made it active; the STATUS= text it sent with it is systemd's now.
    assert_eq!(unit["StatusText"], "VRRP running", "{unit:?}");
    assert_eq!(unit["UnitFileState"], "enabled");

    c.machine.write_config(&[VIP, SECOND_VIP]);
    c.sh_ok("systemd-analyze log-level debug");
    c.sh_ok("systemctl reload keepalived");
    c.machine.wait_vip(SECOND_VIP, true);
    c.expect_notified_reload();
    assert_eq!(
        c.expect_active(Flavor::Ours),
        ours,
        "reload replaced the main process"
    );

    c.machine.write_config(&[VIP]);
    let text = c.sh_ok("/etc/init.d/keepalived condrestart");
    assert!(
        text.contains("via systemctl"),
        "condrestart bypassed systemd:\n{text}"
    );
    let restarted = c.expect_active(Flavor::Ours);
    assert_ne!(restarted, ours, "condrestart did not restart the unit");
    c.machine.wait_vip(SECOND_VIP, false);
    c.sh_ok("/etc/init.d/keepalived stop");
    c.expect_inactive();
    c.sh_ok("/etc/init.d/keepalived start");
    let running = c.expect_active(Flavor::Ours);

    c.sh_ok("dpkg --purge keepalived");
    assert_eq!(
        c.unit()["UnitFileState"],
        "enabled",
        "purging the leftovers disabled ours"
    );
    assert_eq!(c.expect_active(Flavor::Ours), running);
    c.sh_ok("systemctl stop keepalived");
    c.expect_inactive();
    c.sh_ok("systemctl start keepalived");
    c.expect_active(Flavor::Ours);

    c.sh_ok("apt-get purge -y keepalived-rs keepalived+");
    c.expect_active(Flavor::Stock);
    assert_eq!(c.unit()["UnitFileState"], "enabled");
    eprintln!(
        "package swap (systemd): all steps in {:.1} s",
        total.elapsed().as_secs_f64()
    );
}
