//! A real MariaDB server per test: its own datadir (mariadb-install-db), unix socket and
//! TCP port on 127.0.0.1 (or inside a network namespace the caller made), killed by pid
//! when dropped. Include it with `#[path = "common/mariadb.rs"] mod mariadb;`.
//!
//! Needs the `mariadbd` and `mariadb-install-db` binaries (Debian `mariadb-server`,
//! installed by `.ci/run`) and root (the server runs with `--user=root`); panics with a
//! clear message when either is missing, never skips.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keepalived_rs::config::model::MysqlCheck;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

/// The account tests (and our checks) log in with.
pub const TEST_USER: &str = "krs";
pub const TEST_PASSWORD: &str = "krs-test-pw";

fn find_binary(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "{name} not found: install Debian's mariadb-server and mariadb-client \
         (apt-get install -y mariadb-server mariadb-client; .ci/run does this)"
    );
}

fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "MariaDB tests must run as root (they start mariadbd --user=root)"
    );
}

/// A free TCP port on 127.0.0.1 (released before the server binds it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .unwrap()
        .port()
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct MariaDbOptions {
    pub server_id: u32,
    /// Write a binary log (needed on a replication primary).
    pub log_bin: bool,
    /// Address to listen on.
    pub bind: String,
    /// TCP port; 0 picks a free one on 127.0.0.1.
    pub port: u16,
    /// Run inside this network namespace (`ip netns exec`).
    pub netns: Option<String>,
    pub extra_args: Vec<String>,
}

impl Default for MariaDbOptions {
    fn default() -> Self {
        MariaDbOptions {
            server_id: 1,
            log_bin: false,
            bind: "127.0.0.1".into(),
            port: 0,
            netns: None,
            extra_args: Vec::new(),
        }
    }
}

/// One running (or stopped) server.
pub struct MariaDb {
    dir: tempfile::TempDir,
    pub opts: MariaDbOptions,
    pub port: u16,
    pub socket: PathBuf,
    child: Option<Child>,
}

impl MariaDb {
    /// Installs a fresh datadir and starts a server on 127.0.0.1 with the test account.
    pub fn start() -> MariaDb {
        Self::start_with(MariaDbOptions::default())
    }

    /// A server of a failover pair: inside network namespace `netns`, on every address,
    /// port 3306 (what a client reaches through the VIP).
    pub fn start_in_netns(netns: &str, server_id: u32) -> MariaDb {
        Self::start_with(MariaDbOptions {
            server_id,
            bind: "0.0.0.0".into(),
            port: 3306,
            netns: Some(netns.into()),
            ..MariaDbOptions::default()
        })
    }

    pub fn start_with(mut opts: MariaDbOptions) -> MariaDb {
        require_root();
        let install = find_binary("mariadb-install-db");
        find_binary("mariadbd");
        let dir = tempfile::Builder::new()
            .prefix("krs-mariadb-")
            .tempdir()
            .expect("tempdir");
        let data = dir.path().join("data");
        // A private tmpdir: concurrent bootstraps sharing /tmp clash on temporary tables.
        let tmp = dir.path().join("tmp");
        fs::create_dir(&tmp).expect("create tmpdir");
        let out = Command::new(install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ])
            .arg(format!("--tmpdir={}", tmp.display()))
            .output()
            .expect("run mariadb-install-db");
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if opts.port == 0 {
            opts.port = free_port();
        }
        let mut db = MariaDb {
            socket: dir.path().join("mysqld.sock"),
            port: opts.port,
            dir,
            opts,
            child: None,
        };
        db.launch();
        db.wait_ready();
        db.create_test_user();
        db
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    fn launch(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let d = self.dir.path();
        let mut args = vec![
            "--no-defaults".to_string(),
            format!("--datadir={}", d.join("data").display()),
            "--user=root".into(),
            format!("--socket={}", self.socket.display()),
            format!("--port={}", self.port),
            format!("--bind-address={}", self.opts.bind),
            format!("--pid-file={}", d.join("mysqld.pid").display()),
            format!("--log-error={}", d.join("error.log").display()),
            format!("--tmpdir={}", d.join("tmp").display()),
            format!("--server-id={}", self.opts.server_id),
            "--skip-name-resolve".into(),
            "--innodb-buffer-pool-size=16M".into(),
            "--innodb-log-file-size=4M".into(),
            "--max-connections=50".into(),
        ];
        if self.opts.log_bin {
            args.push(format!("--log-bin={}", d.join("binlog").display()));
            args.push("--binlog-format=ROW".into());
        } else {
            args.push("--skip-log-bin".into());
        }
        args.extend(self.opts.extra_args.iter().cloned());
        let mut cmd = match &self.opts.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(find_binary("mariadbd"));
                c
            }
            None => Command::new(find_binary("mariadbd")),
        };
        cmd.args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.child = Some(cmd.spawn().expect("spawn mariadbd"));
    }

    fn error_log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Waits until the server answers on its socket (panics after 60 s or if it exits).
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.root_conn_once().is_ok() {
                return;
            }
            if let Some(st) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("mariadbd exited ({st}):\n{}", self.error_log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd not ready after 60 s:\n{}",
                self.error_log_tail()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn root_conn_once(&self) -> mysql::Result<Conn> {
        Conn::new(
            OptsBuilder::new()
                .socket(Some(self.socket.display().to_string()))
                .user(Some("root"))
                .prefer_socket(true)
                .read_timeout(Some(Duration::from_secs(10))),
        )
    }

    /// A root connection over the unix socket.
    pub fn root(&self) -> Conn {
        self.root_conn_once()
            .unwrap_or_else(|e| panic!("root connection to {}: {e}", self.socket.display()))
    }

    /// Runs statements as root (panics on error).
    pub fn exec(&self, sql: &str) {
        self.root()
            .query_drop(sql)
            .unwrap_or_else(|e| panic!("`{sql}`: {e}"));
    }

    /// The first value of a query as text (`None` for NULL / no row).
    pub fn value(&self, sql: &str) -> Option<String> {
        let row: Option<mysql::Row> = self
            .root()
            .query_first(sql)
            .unwrap_or_else(|e| panic!("`{sql}`: {e}"));
        row.and_then(|r| r.as_ref(0).cloned())
            .and_then(|v| match v {
                mysql::Value::NULL => None,
                mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                other => Some(other.as_sql(true)),
            })
    }

    /// One column of `SHOW SLAVE STATUS` (default connection).
    pub fn slave_status(&self, column: &str) -> Option<String> {
        let row: Option<mysql::Row> = self.root().query_first("SHOW SLAVE STATUS").unwrap();
        let row = row?;
        let i = row
            .columns_ref()
            .iter()
            .position(|c| c.name_str() == column)?;
        match row.as_ref(i)? {
            mysql::Value::NULL => None,
            mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            other => Some(other.as_sql(true)),
        }
    }

    fn create_test_user(&self) {
        // Not written to the binary log: each server of a pair creates its own.
        let mut c = self.root();
        for sql in [
            "SET SESSION sql_log_bin = 0".to_string(),
            format!("CREATE USER '{TEST_USER}'@'%' IDENTIFIED BY '{TEST_PASSWORD}'"),
            format!("GRANT ALL PRIVILEGES ON *.* TO '{TEST_USER}'@'%' WITH GRANT OPTION"),
        ] {
            c.query_drop(&sql)
                .unwrap_or_else(|e| panic!("`{sql}`: {e}"));
        }
    }

    /// Writes a credentials file (mode 0600) for `user`/`password` in the server's dir.
    pub fn credentials_file(&self, user: &str, password: &str) -> PathBuf {
        let path = self.dir.path().join(format!("credentials-{user}"));
        let mut f = fs::File::create(&path).unwrap();
        writeln!(f, "# test account\nuser={user}\npassword={password}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// A `mysql_check` aimed at this server over TCP with the test account.
    pub fn check(&self, name: &str) -> MysqlCheck {
        let mut c = MysqlCheck::new(name);
        c.connection.host = self.opts.bind.clone();
        c.connection.port = self.port;
        c.connection.credentials_file = Some(
            self.credentials_file(TEST_USER, TEST_PASSWORD)
                .display()
                .to_string(),
        );
        c
    }

    /// SIGKILL, as a crash would; waits for the process.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(c.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same datadir and port, and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
        self.wait_ready();
    }

    /// SIGSTOP: the server hangs (accepts TCP in the kernel, answers nothing).
    pub fn pause(&self) {
        self.signal(nix::sys::signal::Signal::SIGSTOP);
    }

    pub fn resume(&self) {
        self.signal(nix::sys::signal::Signal::SIGCONT);
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = self.pid().expect("server not running");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig).unwrap();
    }

    /// Makes this server a replica of `primary` (GTID, 1 s reconnect) and waits until both
    /// replication threads run.
    pub fn replicate_from(&self, primary: &MariaDb) {
        self.exec(&format!(
            "CHANGE MASTER TO MASTER_HOST='{}', MASTER_PORT={}, MASTER_USER='{TEST_USER}', \
             MASTER_PASSWORD='{TEST_PASSWORD}', MASTER_USE_GTID=slave_pos, \
             MASTER_CONNECT_RETRY=1",
            primary.opts.bind, primary.port
        ));
        self.exec("START SLAVE");
        self.wait_slave_threads("Yes", "Yes", Duration::from_secs(20));
    }

    /// Waits until `SHOW SLAVE STATUS` shows these IO/SQL thread states.
    pub fn wait_slave_threads(&self, io: &str, sql: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let got = (
                self.slave_status("Slave_IO_Running"),
                self.slave_status("Slave_SQL_Running"),
            );
            if got.0.as_deref() == Some(io) && got.1.as_deref() == Some(sql) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "replication threads are {got:?}, wanted ({io}, {sql}); last IO error {:?}, \
                 last SQL error {:?}",
                self.slave_status("Last_IO_Error"),
                self.slave_status("Last_SQL_Error")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        // SIGKILL also ends a paused (SIGSTOPped) server.
        self.kill();
    }
}
