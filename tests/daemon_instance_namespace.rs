//! Several keepalived daemons on one host, told apart by `net_namespace` and `instance`,
//! as an operator sees them: our daemon and stock keepalived 2.2.7, each started from the
//! host's namespace with the same configuration naming its own lab namespace, run their
//! VRRP inside it (the VIP appears there), keep their pid files in
//! `/run/keepalived/NAMESPACE/` named after the instance, write their data dump (SIGUSR1)
//! as `keepalived.NAMESPACE_INSTANCE.data` (`data_use_instance`) with the same namespace,
//! instance and SMTP HELO lines, show a long-running `vrrp_script` as running (ours also as
//! `keepalived_script_state` 1 in /metrics, which keepalived-exporter derives from that
//! line), and clean their pid files up when stopped. Needs root and /usr/sbin/keepalived;
//! panics without.

mod lab;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lab::{wait_for, Host, Lab};

const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";
const PORT: u16 = 9671;
const VIP: &str = "198.18.0.171";

fn config(ns: &str, instance: &str) -> String {
    format!(
        "net_namespace {ns}\ninstance {instance}\n\
         global_defs {{\n    data_use_instance\n    smtp_server 127.0.0.1\n    \
         script_user root\n    metrics_listen 127.0.0.1:{PORT}\n}}\n\
         vrrp_script chk_slow {{\n    script \"/bin/sleep 60\"\n    interval 1\n    \
         timeout 90\n    weight 10\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    \
         virtual_router_id 71\n    priority 150\n    advert_int 1\n    \
         virtual_ipaddress {{\n        {VIP}/24\n    }}\n    \
         track_script {{\n        chk_slow\n    }}\n}}\n"
    )
}

/// A daemon started from the host's own namespace, without `-p`/`-r` (the names under
/// test), dumps into its lab host's directory.
struct Started {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
    pid_dir: PathBuf,
}

impl Started {
    fn run(binary: &str, host: &Host, instance: &str) -> Started {
        let conf = host.dir.join("keepalived.conf");
        std::fs::write(&conf, config(&host.ns, instance)).unwrap();
        let log = host.dir.join("daemon.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(binary);
        cmd.args(["-n", "-l", "-D", "-G", "-f"]).arg(&conf);
        if binary == STOCK {
            cmd.arg("-P");
        }
        let child = cmd
            .env("TMPDIR", &host.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Started {
            child,
            dir: host.dir.clone(),
            log,
            pid_dir: Path::new("/run/keepalived").join(&host.ns),
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, s: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, s).unwrap();
    }

    /// The pid files, with the instance name replaced by `INSTANCE`.
    fn pid_files(&self, instance: &str) -> BTreeSet<String> {
        std::fs::read_dir(&self.pid_dir)
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .replace(instance, "INSTANCE")
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// SIGUSR1, then the data dump once written.
    fn data_dump(&self, name: &str) -> String {
        let path = self.dir.join(name);
        let _ = std::fs::remove_file(&path);
        self.signal(nix::sys::signal::Signal::SIGUSR1);
        let read = || std::fs::read_to_string(&path).unwrap_or_default();
        wait_for(Duration::from_secs(5), || read().contains("VRRP Script"));
        let text = read();
        assert!(
            !text.is_empty(),
            "no {name} in {:?}: {:?}\n{}",
            self.dir,
            std::fs::read_dir(&self.dir)
                .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>()),
            self.log_text()
        );
        text
    }

    fn stop(&mut self) -> Option<i32> {
        self.signal(nix::sys::signal::Signal::SIGTERM);
        for _ in 0..1000 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The line of `dump` starting with `key`.
fn line<'a>(dump: &'a str, key: &str) -> Option<&'a str> {
    dump.lines().find(|l| l.trim_start().starts_with(key))
}

/// GET /metrics inside `host`'s namespace.
fn scrape(host: &Host) -> String {
    host.in_namespace(move || {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", PORT)) else {
            return String::new();
        };
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let _ = write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    })
}

/// `-t` checks inside `net_namespace`: an interface only the namespace has passes there
/// (and fails where it is missing).
fn check_inside_the_namespace(daemons: &[(&str, &Host)]) {
    let instance = "vrrp_instance V {\n interface krsbr9\n virtual_router_id 5\n \
                    priority 100\n virtual_ipaddress {\n 198.18.0.5\n }\n}\n";
    let test = |bin: &str, conf: &Path| {
        let out = Command::new(bin)
            .arg("-t")
            .arg("-f")
            .arg(conf)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (bin, host) in daemons {
        host.ip(&["link", "add", "krsbr9", "type", "bridge"]);
        let conf = host.dir.join("t.conf");
        std::fs::write(&conf, format!("net_namespace {}\n{instance}", host.ns)).unwrap();
        let (code, said) = test(bin, &conf);
        assert_eq!(code, Some(0), "{bin} -t inside {}: {said}", host.ns);
        if *bin == OURS {
            std::fs::write(&conf, instance).unwrap();
            assert_ne!(test(bin, &conf).0, Some(0), "krsbr9 exists outside");
        }
    }
}

#[test]
fn namespace_and_instance_name_pid_files_dumps_and_run_inside_the_namespace() {
    assert!(
        Path::new(STOCK).exists(),
        "{STOCK} is missing: install Debian's keepalived"
    );
    let lab = Lab::new(&["ka", "ours"], false);
    let (ka_host, our_host) = (lab.node("ka"), lab.node("ours"));
    lab.set_isolated(ka_host, true);
    lab.set_isolated(our_host, true);
    check_inside_the_namespace(&[(STOCK, ka_host), (OURS, our_host)]);
    let (ka_inst, our_inst) = ("kai", "ourinst");
    let mut ka = Started::run(STOCK, ka_host, ka_inst);
    let mut ours = Started::run(OURS, our_host, our_inst);

    // VRRP runs inside each namespace: the VIP appears there.
    let vip = VIP.parse().unwrap();
    let up = wait_for(Duration::from_secs(15), || {
        ka_host.has_address(vip) && our_host.has_address(vip)
    });
    assert!(
        up.is_some(),
        "VIP not in both namespaces\n--- keepalived ---\n{}\n--- ours ---\n{}",
        ka.log_text(),
        ours.log_text()
    );

    // Pid files: the same names, under /run/keepalived/NAMESPACE/.
    let expected: BTreeSet<String> = ["keepalived_INSTANCE.pid", "vrrp_INSTANCE.pid"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(ka.pid_files(ka_inst), expected, "keepalived's pid files");
    assert_eq!(ours.pid_files(our_inst), expected, "our pid files");
    let our_pid = std::fs::read_to_string(ours.pid_dir.join(format!("vrrp_{our_inst}.pid")));
    assert_eq!(our_pid.unwrap().trim(), ours.child.id().to_string());

    // Let the script start (it then runs for a minute).
    std::thread::sleep(Duration::from_secs(2));
    let ka_dump = ka.data_dump(&format!("keepalived.{}_{ka_inst}.data", ka_host.ns));
    let our_dump = ours.data_dump(&format!("keepalived.{}_{our_inst}.data", our_host.ns));
    for (dump, host, inst) in [
        (&ka_dump, ka_host, ka_inst),
        (&our_dump, our_host, our_inst),
    ] {
        for want in [
            format!(" Network namespace = {}", host.ns),
            format!(" Instance name = {inst}"),
            " Use instance name in data dumps".to_string(),
            "   State = running".to_string(),
        ] {
            assert!(dump.contains(&want), "{want:?} missing from\n{dump}");
        }
    }
    assert_eq!(
        line(&our_dump, "Smtp HELO name"),
        line(&ka_dump, "Smtp HELO name"),
        "--- keepalived ---\n{ka_dump}\n--- ours ---\n{our_dump}"
    );
    assert!(line(&ka_dump, "Smtp HELO name").is_some(), "{ka_dump}");
    let metrics = scrape(our_host);
    assert!(
        metrics.contains("keepalived_script_state{name=\"chk_slow\"} 1"),
        "{metrics}"
    );

    // Stopped, both take their pid files away.
    assert_eq!(ka.stop(), Some(0), "{}", ka.log_text());
    assert_eq!(ours.stop(), Some(0), "{}", ours.log_text());
    assert_eq!(ka.pid_files(ka_inst), BTreeSet::new());
    assert_eq!(ours.pid_files(our_inst), BTreeSet::new());
    assert_eq!(
        ours.pid_dir.exists(),
        ka.pid_dir.exists(),
        "namespace pid directory left behind by one of them"
    );
}
