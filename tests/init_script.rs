//! `init/keepalived.init` driving the real daemon: in a network namespace this test creates
//! (a veth pair, 198.18.0.1/24 on `eth0`), `start`, `status`, `reload` (a good change, a file
//! with warnings that keepalived applies, then a configuration the daemon could not run,
//! which must be refused), `stop`, checking the LSB exit codes, the pid file and the VIP on
//! the interface. Needs root (network namespaces).
//!
//! `KRS_INIT_TEST_DAEMON=/usr/sbin/keepalived` runs the same test against stock keepalived,
//! to check the script and this test against the reference implementation up to the first
//! reload (the script asks the daemon `--check-reload`, which stock keepalived lacks).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/init/keepalived.init");
const VIP: &str = "198.18.0.100/24";
const SECOND_VIP: &str = "198.18.0.101/24";

/// The namespace, removed (with anything still running from our pid file) on drop.
struct Netns {
    name: String,
    pid_file: PathBuf,
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Some(pid) = read_pid(&self.pid_file) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn config(vips: &[&str]) -> String {
    let vips: String = vips
        .iter()
        .map(|v| format!("        {v} dev eth0\n"))
        .collect();
    format!(
        "global_defs {{\n    router_id init_test\n}}\n\
         vrrp_instance VI_INIT {{\n    state MASTER\n    interface eth0\n    \
         virtual_router_id 41\n    priority 101\n    advert_int 1\n    \
         authentication {{\n        auth_type PASS\n        auth_pass 1111\n    }}\n    \
         virtual_ipaddress {{\n{vips}    }}\n}}\n"
    )
}

/// The binary under test: ours, unless `KRS_INIT_TEST_DAEMON` names another keepalived.
fn daemon() -> PathBuf {
    std::env::var_os("KRS_INIT_TEST_DAEMON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keepalived")))
}

struct Harness {
    ns: Netns,
    defaults: PathBuf,
    conf: PathBuf,
}

impl Harness {
    /// `ip netns exec NS sh init/keepalived.init ACTION`, pointed at our binary and files.
    fn action(&self, action: &str) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns.name, "sh", SCRIPT, action])
            .env("KEEPALIVED_DAEMON", daemon())
            .env("KEEPALIVED_DEFAULTS", &self.defaults)
            .env("KEEPALIVED_TIMEOUT", "15")
            .env("SYSTEMCTL_SKIP_REDIRECT", "1")
            .stdin(Stdio::null())
            .output()
            .expect("ip netns exec")
    }

    fn expect(&self, action: &str, code: i32, why: &str) -> String {
        let out = self.action(action);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "`keepalived.init {action}` ({why}):\n{text}"
        );
        text
    }

    fn addresses(&self) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.ns.name, "-o", "addr", "show", "dev", "eth0"])
            .output()
            .expect("ip addr");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits up to 15 s for `vip` to be present (or absent).
    fn wait_vip(&self, vip: &str, present: bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.addresses().contains(&format!(" {vip} ")) != present {
            assert!(
                Instant::now() < deadline,
                "{vip} {} on eth0 after 15 s:\n{}",
                if present { "not" } else { "still" },
                self.addresses()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn setup(dir: &Path) -> Harness {
    assert!(
        nix::unistd::geteuid().is_root(),
        "tests/init_script.rs needs root to create a network namespace; run the tests as root"
    );
    let name = format!("krs-init-{}", std::process::id());
    let _ = Command::new("ip")
        .args(["netns", "del", &name])
        .stderr(Stdio::null())
        .status();
    let pid_file = dir.join("keepalived.pid");
    ip(&["netns", "add", &name]);
    let ns = Netns { name, pid_file };
    ip(&["-n", &ns.name, "link", "set", "lo", "up"]);
    ip(&[
        "-n", &ns.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p",
    ]);
    ip(&[
        "-n",
        &ns.name,
        "addr",
        "add",
        "198.18.0.1/24",
        "dev",
        "eth0",
    ]);
    ip(&["-n", &ns.name, "link", "set", "eth0p", "up"]);
    ip(&["-n", &ns.name, "link", "set", "eth0", "up"]);

    let conf = dir.join("keepalived.conf");
    std::fs::write(&conf, config(&[VIP])).unwrap();
    let defaults = dir.join("default-keepalived");
    std::fs::write(
        &defaults,
        format!(
            "DAEMON_ARGS=\"-f {} -p {} -r {}\"\n",
            conf.display(),
            ns.pid_file.display(),
            dir.join("vrrp.pid").display()
        ),
    )
    .unwrap();
    Harness { ns, defaults, conf }
}

#[test]
fn init_script_start_status_reload_stop_against_the_daemon_in_a_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let h = setup(dir.path());

    let text = h.expect("status", 3, "nothing started yet");
    assert!(text.contains("not running"), "{text}");

    let out = h.action("start");
    assert_eq!(
        out.status.code(),
        Some(0),
        "start failed (this needs the daemon event loop; it fails until the daemon is \
         merged):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let pid = read_pid(&h.ns.pid_file).expect("pid file written by the daemon");
    assert!(alive(pid), "pid {pid} from the pid file is not running");
    let text = h.expect("status", 0, "daemon running");
    assert!(text.contains(&format!("pid {pid}")), "{text}");
    h.expect("start", 0, "start on a running daemon is a success (LSB)");
    assert_eq!(
        read_pid(&h.ns.pid_file),
        Some(pid),
        "a second daemon was started"
    );
    h.wait_vip(VIP, true);

    // A good change: the running daemon picks up a second VIP, keeping its pid.
    std::fs::write(&h.conf, config(&[VIP, SECOND_VIP])).unwrap();
    h.expect("reload", 0, "valid configuration");
    h.wait_vip(SECOND_VIP, true);
    assert_eq!(
        read_pid(&h.ns.pid_file),
        Some(pid),
        "reload restarted the daemon"
    );

    // A file with findings keepalived runs anyway (an unknown keyword: `-t` exits 5) is
    // reloaded, as keepalived reloads it.
    std::fs::write(
        &h.conf,
        config(&[VIP]).replace(
            "router_id init_test\n",
            "router_id init_test\n    no_such_keyword\n",
        ),
    )
    .unwrap();
    h.expect("reload", 0, "a file with warnings is applied");
    h.wait_vip(SECOND_VIP, false);

    // A configuration the daemon could not run is refused before it sees a signal.
    std::fs::write(
        &h.conf,
        "vrrp_instance VI_INIT {\n    priority 999\n    bogus_keyword\n}\n",
    )
    .unwrap();
    let text = h.expect("reload", 6, "broken configuration must be refused");
    assert!(text.contains("not reloading"), "{text}");
    assert!(
        text.contains("(VI_INIT) the virtual router id must be set"),
        "the reason is shown: {text}"
    );
    assert!(alive(pid), "the daemon died after a refused reload");
    h.expect("status", 0, "still running after a refused reload");
    assert!(h.addresses().contains(&format!(" {VIP} ")), "VIP lost");

    h.expect("stop", 0, "graceful stop");
    assert!(!alive(pid), "pid {pid} still running after stop");
    assert!(!h.ns.pid_file.exists(), "pid file left after stop");
    h.wait_vip(VIP, false);
    h.wait_vip(SECOND_VIP, false);
    h.expect("status", 3, "stopped");
    h.expect("stop", 0, "stop on a stopped daemon is a success (LSB)");
    h.expect("reload", 7, "reload needs a running daemon");
}
