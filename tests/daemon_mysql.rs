//! MySQL-aware failover end to end (issue 6): a MariaDB server on each node, our daemon
//! on both with the native `mysql_check`, `track_mysql` and `mysql_read_only`, and a
//! client probing `SELECT 1` through the VIP every 5 ms. Killing mysqld on the master
//! moves the VIP; stopping the daemon moves it; `read_only` ends OFF on the master and
//! ON on the backup every time. Needs root and mariadb-server; panics without them.

mod lab;
#[path = "common/mariadb.rs"]
mod mariadb;
#[path = "common/vip_probe.rs"]
mod vip_probe;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::{expect_within, wait_for, Daemon, Lab};
use mariadb::{MariaDb, MariaDbOptions, TEST_PASSWORD, TEST_USER};
use vip_probe::VipProbe;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const PROBE: &str = env!("CARGO_BIN_EXE_vip-probe");
const VIP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

fn config(priority: u8, credentials: &std::path::Path) -> String {
    format!(
        "mysql_check db {{\n    host 127.0.0.1\n    port 3306\n    credentials_file {}\n    \
         query \"SELECT 1\"\n    interval 0.1\n    timeout 0.3\n    fall 2\n    rise 2\n}}\n\
         vrrp_instance VI_DB {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 81\n    \
         priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n    \
         track_mysql {{\n        db\n    }}\n    mysql_read_only db\n}}\n",
        credentials.display()
    )
}

fn read_only(db: &MariaDb) -> String {
    db.value("SELECT @@global.read_only").unwrap_or_default()
}

#[test]
fn mysql_pair_fails_over_on_mysqld_death_and_daemon_stop_with_read_only_following() {
    let lab = Lab::new(&["a", "b"], true);
    let (na, nb, client) = (lab.node("a"), lab.node("b"), lab.client());
    let mut db_a = MariaDb::start_in_netns(&na.ns, 1);
    let db_b = MariaDb::start_in_netns(&nb.ns, 2);
    let creds_a = db_a.credentials_file(TEST_USER, TEST_PASSWORD);
    let creds_b = db_b.credentials_file(TEST_USER, TEST_PASSWORD);
    let mut a = Daemon::start(na, BIN.as_ref(), &config(101, &creds_a));
    let b = Daemon::start(nb, BIN.as_ref(), &config(100, &creds_b));
    expect_within(
        Duration::from_secs(10),
        "VIP never settled on a",
        &[&a, &b],
        || na.has_address(VIP) && !nb.has_address(VIP),
    );
    assert!(
        wait_for(Duration::from_secs(3), || read_only(&db_a) == "0"
            && read_only(&db_b) == "1")
        .is_some(),
        "read_only: a={} b={}\n{}",
        read_only(&db_a),
        read_only(&db_b),
        a.log_text()
    );

    // mysqld dies on the master: its check fails (fall 2 × 100 ms), it goes FAULT, the
    // backup takes over after its skew.
    let probe = VipProbe::mysql(&client.ns, PROBE.as_ref(), &creds_a, VIP.into(), 200);
    std::thread::sleep(Duration::from_millis(500));
    db_a.kill();
    let moved = wait_for(Duration::from_secs(4), || {
        nb.has_address(VIP) && !na.has_address(VIP)
    });
    assert!(
        moved.is_some(),
        "VIP did not move:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(2), || read_only(&db_b) == "0").is_some(),
        "b stays read-only after promotion:\n{}",
        b.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));
    let outage = probe.stop();
    println!(
        "mysqld killed on the master: VIP moved after {moved:?}; longest SELECT outage {outage:.0} ms"
    );
    assert!(outage > 0.0 && outage < 2500.0, "outage {outage} ms");
    assert!(a.logged("VRRP_MySQL(db) failed"), "{}", a.log_text());

    // mysqld comes back on a: the check rises, a preempts, read_only follows.
    db_a.restart();
    assert!(
        wait_for(Duration::from_secs(10), || na.has_address(VIP)
            && !nb.has_address(VIP))
        .is_some(),
        "a did not take the VIP back:\n{}",
        a.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(3), || read_only(&db_a) == "0"
            && read_only(&db_b) == "1")
        .is_some(),
        "read_only after preemption: a={} b={}",
        read_only(&db_a),
        read_only(&db_b)
    );

    // Stopping the daemon on the master moves the VIP and leaves a read-only.
    std::thread::sleep(Duration::from_millis(1200));
    let probe = VipProbe::mysql(&client.ns, PROBE.as_ref(), &creds_a, VIP.into(), 200);
    std::thread::sleep(Duration::from_millis(300));
    a.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(
        wait_for(Duration::from_secs(3), || nb.has_address(VIP)).is_some(),
        "VIP did not move on stop"
    );
    assert_eq!(a.wait_exit(Duration::from_secs(5)), Some(0));
    std::thread::sleep(Duration::from_millis(500));
    let outage = probe.stop();
    println!("daemon stopped on the master: longest SELECT outage {outage:.0} ms");
    assert!(outage < 1500.0, "outage {outage} ms");
    assert_eq!(
        read_only(&db_a),
        "1",
        "the stopped master is left read-only"
    );
    assert!(
        wait_for(Duration::from_secs(2), || read_only(&db_b) == "0").is_some(),
        "the new master is writable"
    );
}

/// A replica whose check judges replication (`max_replication_lag`) and that would
/// preempt with its higher priority is kept out while it lags, and promoted once it has
/// caught up.
#[test]
fn a_lagging_backup_is_not_promoted_while_the_master_is_healthy() {
    let lab = Lab::new(&["a", "b"], false);
    let (na, nb) = (lab.node("a"), lab.node("b"));
    let db_a = MariaDb::start_with(MariaDbOptions {
        server_id: 1,
        log_bin: true,
        bind: "0.0.0.0".into(),
        port: 3306,
        netns: Some(na.ns.clone()),
        ..MariaDbOptions::default()
    });
    let db_b = MariaDb::start_in_netns(&nb.ns, 2);
    db_a.exec("CREATE DATABASE krs");
    db_a.exec("CREATE TABLE krs.t (id INT PRIMARY KEY)");
    db_b.exec(&format!(
        "CHANGE MASTER TO MASTER_HOST='{}', MASTER_PORT=3306, MASTER_USER='{TEST_USER}', \
         MASTER_PASSWORD='{TEST_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, \
         MASTER_DELAY=25",
        na.addr
    ));
    db_b.exec("START SLAVE");
    db_b.wait_slave_threads("Yes", "Yes", Duration::from_secs(20));
    // An event the replica will hold back for 25 s: it lags from now on.
    db_a.exec("INSERT INTO krs.t VALUES (1)");

    let creds_a = db_a.credentials_file(TEST_USER, TEST_PASSWORD);
    let creds_b = db_b.credentials_file(TEST_USER, TEST_PASSWORD);
    let check = |creds: &std::path::Path, lag: &str| {
        format!(
            "mysql_check db {{\n    host 127.0.0.1\n    port 3306\n    credentials_file {}\n    \
             interval 0.2\n    fall 1\n    rise 1\n{lag}}}\n",
            creds.display()
        )
    };
    let instance = |priority: u8, track: &str| {
        format!(
            "vrrp_instance VI_DB {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 81\n    \
             priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        198.18.0.100/24\n    }}\n    \
             track_mysql {{\n        db {track}\n    }}\n}}\n"
        )
    };
    let a = Daemon::start(
        na,
        BIN.as_ref(),
        &(check(&creds_a, "") + &instance(100, "")),
    );
    let b = Daemon::start(
        nb,
        BIN.as_ref(),
        &(check(&creds_b, "    max_replication_lag 1\n") + &instance(150, "weight -60")),
    );
    // b would win with 150, but lagging it counts 90: a becomes and stays master.
    assert!(
        wait_for(Duration::from_secs(10), || na.has_address(VIP)).is_some(),
        "a never became master:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        na.has_address(VIP) && !nb.has_address(VIP),
        "{}",
        b.log_text()
    );
    assert!(
        b.logged("(VI_DB) Changing effective priority from 150 to 90"),
        "{}",
        b.log_text()
    );

    // The replica catches up: its priority returns to 150 and it preempts.
    db_b.exec("STOP SLAVE");
    db_b.exec("CHANGE MASTER TO MASTER_DELAY=0");
    db_b.exec("START SLAVE");
    assert!(
        wait_for(Duration::from_secs(15), || nb.has_address(VIP)
            && !na.has_address(VIP))
        .is_some(),
        "the caught-up replica was not promoted:\n{}",
        b.log_text()
    );
}
