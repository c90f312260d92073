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
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use lab::side_by_side::{OURS, STOCK};
use lab::{expect_within, Daemon, Host, Lab};
use nix::sys::signal::Signal;

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

/// `binary` started from the host's own namespace, without `-p`/`-r` (the names under
/// test); stock keepalived VRRP only.
fn start(binary: &str, host: &Host, instance: &str) -> Daemon {
    let mut args = vec!["-n", "-l", "-D", "-G"];
    if binary == STOCK {
        args.push("-P");
    }
    Daemon::start_outside(host, binary.as_ref(), &config(&host.ns, instance), &args)
}

/// Where a daemon running in `host`'s namespace keeps its pid files.
fn pid_dir(host: &Host) -> PathBuf {
    Path::new("/run/keepalived").join(&host.ns)
}

/// The pid files of `host`'s daemon, with the instance name replaced by `INSTANCE`.
fn pid_files(host: &Host, instance: &str) -> BTreeSet<String> {
    std::fs::read_dir(pid_dir(host))
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

/// The data dump (SIGUSR1) of a daemon running in `host` as `instance`, once its scripts
/// are in it.
fn data_dump(daemon: &Daemon, host: &Host, instance: &str) -> String {
    let name = format!("keepalived.{}_{instance}.data", host.ns);
    daemon.dump(Signal::SIGUSR1, &name, "VRRP Script")
}

/// The line of `dump` starting with `key`.
fn line<'a>(dump: &'a str, key: &str) -> Option<&'a str> {
    dump.lines().find(|l| l.trim_start().starts_with(key))
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
    let lab = Lab::side_by_side();
    let (ka_host, our_host) = (lab.node("ka"), lab.node("ours"));
    check_inside_the_namespace(&[(STOCK, ka_host), (OURS, our_host)]);
    let (ka_inst, our_inst) = ("kai", "ourinst");
    let mut ka = start(STOCK, ka_host, ka_inst);
    let mut ours = start(OURS, our_host, our_inst);

    // VRRP runs inside each namespace: the VIP appears there.
    let vip = VIP.parse().unwrap();
    expect_within(
        Duration::from_secs(15),
        "VIP not in both namespaces",
        &[&ka, &ours],
        || ka_host.has_address(vip) && our_host.has_address(vip),
    );

    // Pid files: the same names, under /run/keepalived/NAMESPACE/.
    let expected: BTreeSet<String> = ["keepalived_INSTANCE.pid", "vrrp_INSTANCE.pid"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(
        pid_files(ka_host, ka_inst),
        expected,
        "keepalived's pid files"
    );
    assert_eq!(pid_files(our_host, our_inst), expected, "our pid files");
    let our_pid = std::fs::read_to_string(pid_dir(our_host).join(format!("vrrp_{our_inst}.pid")));
    assert_eq!(our_pid.unwrap().trim(), ours.child.id().to_string());

    // Let the script start (it then runs for a minute).
    std::thread::sleep(Duration::from_secs(2));
    let ka_dump = data_dump(&ka, ka_host, ka_inst);
    let our_dump = data_dump(&ours, our_host, our_inst);
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
    let metrics = our_host.scrape_metrics(PORT).unwrap_or_default();
    assert!(
        metrics.contains("keepalived_script_state{name=\"chk_slow\"} 1"),
        "{metrics}"
    );

    // Stopped, both take their pid files away.
    let stopping = Duration::from_secs(10);
    assert_eq!(ka.stop(stopping), Some(0), "{}", ka.log_text());
    assert_eq!(ours.stop(stopping), Some(0), "{}", ours.log_text());
    assert_eq!(pid_files(ka_host, ka_inst), BTreeSet::new());
    assert_eq!(pid_files(our_host, our_inst), BTreeSet::new());
    assert_eq!(
        pid_dir(our_host).exists(),
        pid_dir(ka_host).exists(),
        "namespace pid directory left behind by one of them"
    );
}
