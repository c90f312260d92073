//! `enable_dbus`: keepalived's `org.keepalived.Vrrp1` service as a D-Bus client sees it,
//! from our daemon and from stock keepalived 2.2.7 run the same way in turn, on a
//! private `dbus-daemon` this test starts (both daemons use the system bus, which
//! `DBUS_SYSTEM_BUS_ADDRESS` points at it). Compared with `busctl` and `dbus-monitor`:
//! the object tree, each object's introspection, the `Name` / `State` properties, the
//! methods (`PrintData` writes the dump, `SendGarp`, `ReloadConfig` reloads) and the
//! signals each object sent from start-up to stop. Needs root, Debian's keepalived and
//! the `dbus-daemon` / `dbus-bin` packages; panics (never skips) without them.

mod lab;
#[path = "common/private_bus.rs"]
mod private_bus;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lab::side_by_side::{require_stock, OURS, STOCK};
use lab::{wait_for, Daemon, Lab};
use private_bus::PrivateBus;

const SERVICE: &str = "org.keepalived.Vrrp1";
const V4: &str = "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4";
const V6: &str = "/org/keepalived/Vrrp1/Instance/eth0/52/IPv6";
const VRRP: &str = "/org/keepalived/Vrrp1/Vrrp";

/// A process killed (by pid) when dropped.
struct Owned(Child);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn busctl(address: &str, args: &[&str]) -> String {
    let out = Command::new("busctl")
        .arg(format!("--address={address}"))
        .args(args)
        .output()
        .expect("busctl (Debian package systemd) is needed");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One master per family: their objects are `V4` and `V6`.
const CONFIG: &str = "global_defs {\n    enable_dbus\n}\n\
vrrp_instance VI_4 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    \
priority 150\n    advert_int 1\n    virtual_ipaddress {\n        198.18.0.100/24\n    }\n}\n\
vrrp_instance VI_6 {\n    state MASTER\n    interface eth0\n    virtual_router_id 52\n    \
priority 150\n    advert_int 1\n    virtual_ipaddress {\n        fd00:198:18::100/64\n    }\n}\n";

/// The signals `dbus-monitor` printed, by object path: member and arguments.
fn signals_by_path(monitor_out: &str) -> BTreeMap<String, Vec<String>> {
    let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in monitor_out.lines() {
        if line.starts_with("signal ") {
            current = None;
            let field = |name: &str| {
                line.split([' ', ';'])
                    .find_map(|w| w.strip_prefix(name))
                    .map(str::to_owned)
            };
            if let (Some(path), Some(member)) = (field("path="), field("member=")) {
                if path.starts_with("/org/keepalived/") {
                    by_path.entry(path.clone()).or_default().push(member);
                    current = Some(path);
                }
            }
        } else if let (Some(path), Some(arg)) = (&current, line.trim().strip_prefix("uint32 ")) {
            if let Some(last) = by_path.get_mut(path).and_then(|v| v.last_mut()) {
                last.push_str(&format!(" {arg}"));
            }
        } else if !line.starts_with(' ') {
            current = None;
        }
    }
    by_path
}

/// What a client saw of `binary`'s service from start to stop.
#[derive(Debug, PartialEq)]
struct Seen {
    tree: String,
    introspection: Vec<String>,
    properties: Vec<String>,
    all_properties: Vec<serde_json::Value>,
    methods: Vec<String>,
    signals: BTreeMap<String, Vec<String>>,
}

/// `Name` and `State` of both instances one by one, and each instance's `GetAll`.
fn properties_of(binary: &str, address: &str) -> (Vec<String>, Vec<serde_json::Value>) {
    let mut properties = Vec::new();
    let mut all_properties = Vec::new();
    for path in [V4, V6] {
        for property in ["Name", "State"] {
            properties.push(busctl(
                address,
                &[
                    "get-property",
                    SERVICE,
                    path,
                    "org.keepalived.Vrrp1.Instance",
                    property,
                ],
            ));
        }
        // As JSON: the order of GetAll's entries is no part of the answer.
        let all = busctl(
            address,
            &[
                "--json=short",
                "call",
                SERVICE,
                path,
                "org.freedesktop.DBus.Properties",
                "GetAll",
                "s",
                "org.keepalived.Vrrp1.Instance",
            ],
        );
        all_properties.push(
            serde_json::from_str::<serde_json::Value>(all.trim())
                .unwrap_or_else(|e| panic!("{binary}: GetAll on {path}: {e}: {all}")),
        );
    }
    (properties, all_properties)
}

fn session(binary: &str, address: &str) -> Seen {
    let lab = Lab::new(&["a"], false);
    let a = lab.node("a");
    let monitor_out = a.dir.join("monitor.txt");
    let monitor = Owned(
        Command::new("dbus-monitor")
            .args([
                "--address",
                address,
                "type='signal',path_namespace='/org/keepalived'",
            ])
            .stdout(std::fs::File::create(&monitor_out).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (Debian package dbus-bin) is needed"),
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut daemon = if binary == STOCK {
        Daemon::start_stock(a, binary.as_ref(), CONFIG)
    } else {
        Daemon::start(a, binary.as_ref(), CONFIG)
    };
    let state = |path: &str| {
        busctl(
            address,
            &[
                "get-property",
                SERVICE,
                path,
                "org.keepalived.Vrrp1.Instance",
                "State",
            ],
        )
    };
    let masters = wait_for(Duration::from_secs(15), || {
        state(V4).contains("Master") && state(V6).contains("Master")
    });
    assert!(
        masters.is_some(),
        "{binary}: instances not MASTER over D-Bus: {} / {}\nlog:\n{}",
        state(V4),
        state(V6),
        daemon.log_text()
    );
    let tree = busctl(address, &["tree", SERVICE]);
    let introspection = [VRRP, V4, V6]
        .iter()
        .map(|p| busctl(address, &["introspect", SERVICE, p]))
        .collect();
    let (properties, all_properties) = properties_of(binary, address);
    let data = a.dir.join("keepalived.data");
    let _ = std::fs::remove_file(&data);
    let vrrp_call = |method: &str| {
        busctl(
            address,
            &["call", SERVICE, VRRP, "org.keepalived.Vrrp1.Vrrp", method],
        )
    };
    let mut methods = vec![vrrp_call("PrintData")];
    // keepalived answers once the dump is written.
    methods.push(format!("data written: {}", data.exists()));
    methods.push(busctl(
        address,
        &[
            "call",
            SERVICE,
            V4,
            "org.keepalived.Vrrp1.Instance",
            "SendGarp",
        ],
    ));
    methods.push(format!(
        "garp logged: {}",
        daemon.logged("Sending garps on VI_4 on DBus request")
    ));
    methods.push(vrrp_call("ReloadConfig"));
    let reloaded = wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(&monitor_out).is_ok_and(|t| t.contains("member=VrrpReloaded"))
    });
    methods.push(format!("reloaded: {}", reloaded.is_some()));
    assert!(
        daemon.stop(Duration::from_secs(10)).is_some(),
        "{binary} did not stop:\n{}",
        daemon.log_text()
    );
    std::thread::sleep(Duration::from_millis(300));
    drop(monitor);
    let signals = signals_by_path(&std::fs::read_to_string(&monitor_out).unwrap());
    Seen {
        tree,
        introspection,
        properties,
        all_properties,
        methods,
        signals,
    }
}

#[test]
fn the_vrrp1_service_looks_and_behaves_as_stock_keepalived_s() {
    lab::require_root();
    require_stock();
    let dir = tempfile::tempdir().unwrap();
    let bus = PrivateBus::start(dir.path());
    let address = bus.address.clone();
    // Both daemons take the system bus from here (the test's only test: no other
    // thread reads the environment meanwhile).
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address);
    let stock = session(STOCK, &address);
    let ours = session(OURS, &address);
    eprintln!("seen from both:\n{ours:#?}");
    assert_eq!(
        ours, stock,
        "ours:\n{ours:#?}\nkeepalived 2.2.7:\n{stock:#?}"
    );
    // And what that is.
    assert!(
        ours.tree
            .contains("/org/keepalived/Vrrp1/Instance/eth0/52/IPv6"),
        "{}",
        ours.tree
    );
    assert!(
        ours.properties[0].contains("(s) \"VI_4\""),
        "{:?}",
        ours.properties
    );
    assert!(
        ours.properties[1].contains("(us) 2 \"Master\""),
        "{:?}",
        ours.properties
    );
    assert_eq!(
        ours.signals[VRRP],
        ["VrrpStarted", "VrrpReloaded", "VrrpStopped"],
        "{:?}",
        ours.signals
    );
    // The state at start-up (BACKUP), MASTER, STOP (keepalived's 98).
    assert_eq!(
        ours.signals[V4],
        [
            "VrrpStatusChange 1",
            "VrrpStatusChange 2",
            "VrrpStatusChange 98"
        ]
    );
    assert!(
        ours.methods.iter().all(|m| !m.contains("false")),
        "{:?}",
        ours.methods
    );
}
