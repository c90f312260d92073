//! `mysql_check` blocks: every keyword reaches the model, defaults match the documented
//! ones, bad values are diagnosed, and `--dump-conf` reads back to an equal model.

use std::path::Path;
use std::time::Duration;

use keepalived_rs::config::check;
use keepalived_rs::config::dump_config as dump;
use keepalived_rs::config::model::{Config, MysqlCheck, MysqlConnection, ReplicationCheck};
use keepalived_rs::config::source::{load_str, SourceOptions};
use keepalived_rs::config::Checked;

fn parse(text: &str) -> Checked {
    check(
        load_str(
            "k.conf",
            text,
            Path::new("/nonexistent"),
            &SourceOptions::default(),
        ),
        None,
    )
}

fn config(text: &str) -> Config {
    let c = parse(text);
    assert!(
        c.diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        c.diagnostics
    );
    c.config
}

const FULL: &str = r#"
mysql_check db {
    host 198.18.0.5
    port 3307
    socket /run/mysqld/mysqld.sock
    credentials_file /etc/keepalived/mysql.cnf
    query "SELECT COUNT(*) FROM mysql.user"
    interval 0.1
    timeout 0.3
    connect_timeout 0.05
    weight -30
    rise 3
    fall 4
    init_fail
    max_replication_lag 2.5
    replication_lag_query "SELECT TIMESTAMPDIFF(SECOND, ts, NOW()) FROM hb.heartbeat"
    require_replication
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        198.18.0.100/24
    }
    track_mysql {
        db weight -20
    }
    mysql_read_only db
}
"#;

#[test]
fn every_keyword_reaches_the_model() {
    let c = config(FULL);
    let m = &c.mysql_checks[0];
    let want = MysqlCheck {
        name: "db".into(),
        connection: MysqlConnection {
            host: "198.18.0.5".into(),
            port: 3307,
            socket: Some("/run/mysqld/mysqld.sock".into()),
            credentials_file: Some("/etc/keepalived/mysql.cnf".into()),
            connect_timeout: Some(Duration::from_millis(50)),
        },
        query: "SELECT COUNT(*) FROM mysql.user".into(),
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(300),
        weight: -30,
        rise: 3,
        fall: 4,
        init_fail: true,
        replication: ReplicationCheck {
            max_lag: Some(Duration::from_millis(2500)),
            lag_query: Some("SELECT TIMESTAMPDIFF(SECOND, ts, NOW()) FROM hb.heartbeat".into()),
            require_replication: true,
        },
    };
    assert_eq!(m, &want);
    assert_eq!(m.effective_connect_timeout(), Duration::from_millis(50));
    assert!(m.judges_replication());
    assert_eq!(c.instances[0].mysql_read_only.as_deref(), Some("db"));
    assert_eq!(c.instances[0].track.mysql.len(), 1);
}

#[test]
fn empty_block_gets_the_documented_defaults() {
    let c = config("mysql_check plain {\n}\n");
    let m = &c.mysql_checks[0];
    assert_eq!(m, &MysqlCheck::new("plain"));
    assert_eq!(
        (m.connection.host.as_str(), m.connection.port),
        ("127.0.0.1", 3306)
    );
    assert_eq!(m.interval, Duration::from_millis(200));
    assert_eq!(m.effective_connect_timeout(), Duration::from_millis(500));
    assert_eq!((m.rise, m.fall, m.weight), (1, 2, 0));
    assert!(!m.judges_replication());
}

#[test]
fn out_of_range_values_are_diagnosed() {
    for bad in [
        "interval 0.001",
        "timeout 0",
        "connect_timeout 99999",
        "port 70000",
        "rise 0",
        "weight 300",
        "max_replication_lag -1",
        "init_fail maybe",
    ] {
        let c = parse(&format!("mysql_check x {{\n {bad}\n}}\n"));
        assert!(!c.diagnostics.is_empty(), "`{bad}` accepted");
    }
}

#[test]
fn dump_reads_back_to_an_equal_model() {
    for text in [FULL, "mysql_check plain {\n}\n"] {
        let first = config(text);
        let dumped = dump(&first);
        assert!(dumped.contains("mysql_check"), "{dumped}");
        let second = config(&dumped);
        assert_eq!(
            first.mysql_checks, second.mysql_checks,
            "dump was:\n{dumped}"
        );
        assert_eq!(first.instances, second.instances, "dump was:\n{dumped}");
    }
}
