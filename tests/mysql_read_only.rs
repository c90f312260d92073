//! `mysql_read_only`: the controller flips `read_only` on a real MariaDB server, writes
//! from an ordinary account really stop, and failures come back as typed errors.

#[path = "common/mariadb.rs"]
mod mariadb;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use keepalived_rs::track::mysql::{ReadOnlyController, ReadOnlyError, ReadOnlyState};
use mariadb::MariaDb;
use mysql::prelude::Queryable;

const WRITABLE: ReadOnlyState = ReadOnlyState {
    read_only: false,
    super_read_only: None, // MariaDB has no super_read_only
};
const READ_ONLY: ReadOnlyState = ReadOnlyState {
    read_only: true,
    super_read_only: None,
};

/// Inserts a row as an account without SUPER / READ_ONLY ADMIN, as an application would.
fn app_insert(db: &MariaDb) -> mysql::Result<()> {
    let mut c = mysql::Conn::new(
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(db.port)
            .prefer_socket(false)
            .user(Some("app"))
            .pass(Some("app-pw")),
    )?;
    c.query_drop("INSERT INTO krs.t VALUES (NULL)")
}

#[test]
fn read_only_follows_the_role_and_blocks_application_writes() {
    let db = MariaDb::start();
    db.exec("CREATE DATABASE krs");
    db.exec("CREATE TABLE krs.t (id INT AUTO_INCREMENT PRIMARY KEY)");
    db.exec("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'");
    db.exec("GRANT INSERT, SELECT ON krs.* TO 'app'@'%'");
    let ro = ReadOnlyController::new(&db.check("db"));

    assert_eq!(ro.state_blocking().unwrap(), WRITABLE);
    app_insert(&db).expect("writable server accepts writes");

    assert_eq!(ro.set_read_only_blocking().unwrap(), READ_ONLY);
    assert_eq!(db.value("SELECT @@global.read_only").as_deref(), Some("1"));
    match app_insert(&db) {
        Err(mysql::Error::MySqlError(e)) => assert_eq!(e.code, 1290, "{e}"), // --read-only
        other => panic!("write on a read_only server: {other:?}"),
    }

    assert_eq!(ro.set_writable_blocking().unwrap(), WRITABLE);
    assert_eq!(db.value("SELECT @@global.read_only").as_deref(), Some("0"));
    app_insert(&db).expect("writable again");
    assert_eq!(db.value("SELECT COUNT(*) FROM krs.t").as_deref(), Some("2"));
}

#[test]
fn async_calls_run_in_order_and_survive_a_server_restart() {
    let mut db = MariaDb::start();
    let ro = ReadOnlyController::new(&db.check("db"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Issued back to back without awaiting in between: applied in call order.
        let a = ro.set_read_only();
        let b = ro.set_writable();
        let c = ro.set_read_only();
        let (a, b, c) = tokio::join!(a, b, c);
        assert_eq!(
            (a.unwrap(), b.unwrap(), c.unwrap()),
            (READ_ONLY, WRITABLE, READ_ONLY)
        );
    });
    assert_eq!(db.value("SELECT @@global.read_only").as_deref(), Some("1"));

    // read_only is not persistent: a restarted server comes back writable, and the
    // controller's old connection is dead. The call reconnects once, transparently.
    db.restart();
    assert_eq!(db.value("SELECT @@global.read_only").as_deref(), Some("0"));
    let state = rt.block_on(ro.set_read_only()).unwrap();
    assert_eq!(state, READ_ONLY);
    assert_eq!(db.value("SELECT @@global.read_only").as_deref(), Some("1"));
}

#[test]
fn failures_are_typed_errors_naming_the_check() {
    let mut db = MariaDb::start();
    let mut check = db.check("gone");
    check.timeout = Duration::from_millis(300);
    let ro = ReadOnlyController::new(&check);
    db.kill();
    let err = ro.set_writable_blocking().unwrap_err();
    assert!(matches!(err, ReadOnlyError::Connect { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("mysql_check gone") && msg.contains(&db.port.to_string()),
        "{msg}"
    );

    db.restart();
    let path = check.connection.credentials_file.clone().unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let err = ReadOnlyController::new(&check)
        .set_read_only_blocking()
        .unwrap_err();
    assert!(matches!(err, ReadOnlyError::Credentials { .. }), "{err:?}");
    assert!(err.to_string().contains("group-readable"), "{err}");

    // An account without the privilege: the server's refusal comes back as Statement.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    db.exec("CREATE USER 'weak'@'%' IDENTIFIED BY 'weak-pw'");
    let mut weak = check.clone();
    weak.connection.credentials_file =
        Some(db.credentials_file("weak", "weak-pw").display().to_string());
    let err = ReadOnlyController::new(&weak)
        .set_read_only_blocking()
        .unwrap_err();
    match &err {
        ReadOnlyError::Statement { statement, .. } => {
            assert_eq!(*statement, "SET GLOBAL read_only = ON")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.value("SELECT @@global.read_only").as_deref(), Some("0"));
}
