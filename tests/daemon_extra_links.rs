//! The links an instance makes besides its own interface, and the gratuitous ARPs it
//! keeps sending on them (issue 14), side by side with stock keepalived 2.2.7 on the same
//! configuration, each daemon in a lab of its own (a node with `eth0` and `eth1` on two
//! bridges), observed as an operator would: `ip -d link`, `ip addr`, and `tcpdump` on the
//! bridges.
//!
//! * `use_vmac_addr` + `vmac_addr_prefix`: a VIP written on `eth1` goes on a macvlan
//!   `vaddr.41` made on `eth1` with the virtual router MAC, an IPv6 eVIP on `vaddr6.41`
//!   made on `eth0` with the IPv6 one; `garp_extra_if 2` then announces the first every
//!   ~2 s while master, and never the instance's own VIP.
//! * the global `vrrp_garp_extra_if all 3`: an instance without VMACs announces its first
//!   VIP on the plain `eth1` every ~3 s.
//! * `native_ipv6`: the instance is IPv6, so its IPv4 VIP is refused and its IPv6 one
//!   installed.
//! * `use_ipvlan`: an L2 ipvlan `vrrp.44` with the address given; on a kernel without
//!   ipvlan (CONFIG_IPVLAN unset) both daemons fail to make it the same way and hold the
//!   instance in FAULT.
//!
//! Needs root, tcpdump and Debian's keepalived package; fails loudly without them.

mod lab;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lab::{Daemon, Host, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";
const VMAC_41: &str = "00:00:5e:00:01:29";

/// Two instances: VI_1 with a VMAC of its own and one for its VIP on eth1, announcing
/// that one every 2 s; VI_2 on plain interfaces, inheriting `all 3` from global_defs.
const GARP_CONFIG: &str = "global_defs {\n    vmac_addr_prefix vaddr\n    vrrp_garp_extra_if all 3\n}\n\
vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    use_vmac\n    use_vmac_addr\n    \
garp_extra_if 2\n    virtual_router_id 41\n    priority 150\n    advert_int 1\n    \
garp_master_repeat 1\n    garp_master_delay 0\n    virtual_ipaddress {\n        198.18.0.100/24\n        \
198.18.1.100/24 dev eth1\n    }\n    virtual_ipaddress_excluded {\n        2001:db8::100/64\n    }\n}\n\
vrrp_instance VI_2 {\n    state MASTER\n    interface eth0\n    virtual_router_id 42\n    priority 150\n    \
advert_int 1\n    garp_master_repeat 1\n    garp_master_delay 0\n    virtual_ipaddress {\n        \
198.18.0.101/24\n        198.18.1.101/24 dev eth1\n        198.18.1.102/24 dev eth1\n    }\n}\n";

/// VI_3 made IPv6 by `native_ipv6` (its IPv4 VIP refused); VI_4 on an ipvlan.
const LINK_CONFIG: &str = "vrrp_instance VI_3 {\n    state MASTER\n    interface eth0\n    native_ipv6\n    \
virtual_router_id 43\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        198.18.0.103/24\n        \
2001:db8::103/64\n    }\n}\n\
vrrp_instance VI_4 {\n    state MASTER\n    interface eth0\n    use_ipvlan 198.18.0.50/24\n    \
virtual_router_id 44\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        198.18.0.104/24\n    }\n}\n";

/// `tcpdump -e` of the ARP frames crossing one bridge of the lab for `secs` seconds.
fn arp_capture(lab: &Lab, bridge: &str, secs: u32) -> Child {
    Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.bridge_ns,
            "timeout",
            &secs.to_string(),
        ])
        .args([
            "tcpdump",
            "-tt",
            "-e",
            "-n",
            "-l",
            "--immediate-mode",
            "-i",
            bridge,
            "arp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tcpdump (package tcpdump)")
}

/// The gratuitous ARPs of a capture: (time, source MAC, address announced).
fn garps(capture: Child) -> Vec<(f64, String, String)> {
    let out = capture.wait_with_output().expect("tcpdump output");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            // "Request who-has ADDR (ff:ff:ff:ff:ff:ff) tell ADDR," (other tcpdump
            // versions: "Announcement ADDR,", or without the target MAC).
            let w: Vec<&str> = l.split_whitespace().collect();
            let time: f64 = w.first()?.parse().ok()?;
            let word = |i: usize| w.get(i).map(|x| x.trim_end_matches(','));
            let addr = match w
                .iter()
                .position(|x| *x == "Announcement" || *x == "who-has")?
            {
                i if w[i] == "Announcement" => word(i + 1)?,
                i => {
                    let tell = w.iter().position(|x| *x == "tell")?;
                    word(i + 1).filter(|a| word(tell + 1) == Some(*a))?
                }
            };
            Some((time, w[1].to_string(), addr.to_string()))
        })
        .collect()
}

/// What an operator sees of one daemon's run.
struct Seen {
    /// `ip -d -o link` of the links the daemon made, without indexes.
    links: Vec<String>,
    /// `ip -o addr` lines of the test's addresses: "DEV ADDR/LEN".
    addrs: Vec<String>,
    /// Gratuitous ARPs per bridge: address → (source MAC, times).
    garps: BTreeMap<String, Vec<(String, f64)>>,
    /// Links the daemon made that are still there after it stopped.
    left_over: Vec<String>,
    /// The data dump's (SIGUSR1) lines about these settings.
    dumped: Vec<String>,
    log: String,
}

fn links_made(h: &Host) -> Vec<String> {
    h.ip(&["-d", "-o", "link", "show"])
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest.to_string()))
        .filter(|l| l.starts_with("vrrp") || l.starts_with("vaddr"))
        .map(|l| {
            // Keep the name, MAC and kind; drop counters, ids and flags that vary.
            let w: Vec<&str> = l.split_whitespace().collect();
            let pick = |key: &str, n: usize| {
                w.iter()
                    .position(|x| *x == key)
                    .map(|i| w[i..(i + n + 1).min(w.len())].join(" "))
                    .unwrap_or_default()
            };
            let kind = ["macvlan", "ipvlan"]
                .iter()
                .map(|k| pick(k, 3))
                .find(|s| !s.is_empty())
                .unwrap_or_default();
            format!(
                "{} {} {kind}",
                w[0].trim_end_matches(':'),
                pick("link/ether", 1)
            )
        })
        .collect()
}

fn addresses(h: &Host) -> Vec<String> {
    let mut v: Vec<String> = h
        .ip(&["-o", "addr", "show"])
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let a = w.get(3)?;
            let ours = ["198.18.0.10", "198.18.1.10", "198.18.0.50", "2001:db8::10"]
                .iter()
                .any(|p| a.starts_with(p));
            ours.then(|| format!("{} {a}", w[1]))
        })
        .collect();
    v.sort();
    v
}

/// Runs `binary` (stock keepalived when `stock`) on `config` in a lab of its own, watches
/// for `secs` seconds, stops it.
fn run(binary: &str, stock: bool, config: &str, secs: u32) -> Seen {
    let lab = Lab::with_segments(&["n"], false, 2);
    let n = lab.node("n");
    let captures = [
        arp_capture(&lab, "br0", secs),
        arp_capture(&lab, "br1", secs),
    ];
    std::thread::sleep(Duration::from_millis(300));
    let mut d = if stock {
        Daemon::start_stock(n, binary.as_ref(), config)
    } else {
        Daemon::start(n, binary.as_ref(), config)
    };
    std::thread::sleep(Duration::from_secs(u64::from(secs) - 1));
    let links = links_made(n);
    let addrs = addresses(n);
    let mut seen_garps: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for c in captures {
        for (t, mac, addr) in garps(c) {
            seen_garps.entry(addr).or_default().push((mac, t));
        }
    }
    d.signal(nix::sys::signal::Signal::SIGUSR1);
    let data = d.dir.join("keepalived.data");
    lab::wait_for(Duration::from_secs(5), || data.exists());
    std::thread::sleep(Duration::from_millis(200));
    let dumped = std::fs::read_to_string(&data)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            ["for each secondary", "VMAC for VIPs", "VMAC address prefix"]
                .iter()
                .any(|k| l.contains(k))
        })
        .map(str::to_string)
        .collect();
    d.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(
        d.wait_exit(Duration::from_secs(10)).is_some(),
        "{binary} did not stop"
    );
    Seen {
        links,
        addrs,
        garps: seen_garps,
        left_over: links_made(n),
        dumped,
        log: d.log_text(),
    }
}

/// Runs ours and stock keepalived at the same time, each in its own lab.
fn both(config: &'static str, secs: u32) -> (Seen, Seen) {
    let stock = std::thread::spawn(move || run(STOCK, true, config, secs));
    let ours = run(BIN, false, config, secs);
    (ours, stock.join().expect("stock keepalived's run"))
}

/// Gaps between the periodic GARPs of `addr` (after the first, sent on entering MASTER).
fn periodic_gaps(s: &Seen, addr: &str) -> Vec<f64> {
    let times: Vec<f64> = s
        .garps
        .get(addr)
        .map(|v| v.iter().map(|(_, t)| *t).collect())
        .unwrap_or_default();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn extra_interface_vmacs_and_their_periodic_garps_match_stock_keepalived() {
    let (ours, stock) = both(GARP_CONFIG, 12);
    let ctx = format!("ours:\n{}\nstock:\n{}", ours.log, stock.log);
    assert_eq!(ours.links, stock.links, "links made\n{ctx}");
    assert!(
        ours.links
            .iter()
            .any(|l| l
                .starts_with("vaddr.41@eth1 link/ether 00:00:5e:00:01:29 macvlan mode private")),
        "no address VMAC on eth1: {:?}\n{ctx}",
        ours.links
    );
    assert_eq!(ours.addrs, stock.addrs, "addresses\n{ctx}");
    assert_eq!(ours.dumped, stock.dumped, "data dump lines");
    assert_eq!(ours.dumped.len(), 5, "{:?}", ours.dumped);
    for want in ["vaddr.41 198.18.1.100/24", "vaddr6.41 2001:db8::100/64"] {
        assert!(
            ours.addrs.contains(&want.to_string()),
            "{want}: {:?}",
            ours.addrs
        );
    }
    for s in [&ours, &stock] {
        // VI_1: its VIP on the address VMAC, announced with the virtual MAC every ~2 s.
        let none = Vec::new();
        let ctx = format!("{ctx}\ngratuitous ARPs seen: {:#?}", s.garps);
        let on_vmac = s.garps.get("198.18.1.100").unwrap_or(&none);
        assert!(
            on_vmac.iter().all(|(mac, _)| mac == VMAC_41),
            "{on_vmac:?}\n{ctx}"
        );
        // VI_2 (global `all 3`): the first VIP on plain eth1 only, with eth1's MAC.
        let on_eth1 = s.garps.get("198.18.1.101").unwrap_or(&none);
        assert!(
            on_eth1.iter().all(|(mac, _)| *mac == lab::fixed_mac(1, 1)),
            "{on_eth1:?}\n{ctx}"
        );
        for (addr, low, high) in [("198.18.1.100", 1.9, 3.2), ("198.18.1.101", 2.9, 4.2)] {
            let gaps = periodic_gaps(s, addr);
            assert!(
                gaps.len() >= 2 && gaps.iter().all(|g| (low..=high).contains(g)),
                "{addr}: gaps {gaps:?}, expected ≥ 2 in [{low}, {high}] s\n{ctx}"
            );
        }
        // Once only: the second VIP on eth1 and the VIPs on the instances' own interface.
        for addr in ["198.18.1.102", "198.18.0.100", "198.18.0.101"] {
            assert_eq!(
                s.garps.get(addr).map_or(0, Vec::len),
                1,
                "{addr}: {:?}\n{ctx}",
                s.garps.get(addr)
            );
        }
    }
    for addr in ["198.18.1.100", "198.18.1.101"] {
        let (o, k) = (
            periodic_gaps(&ours, addr).len(),
            periodic_gaps(&stock, addr).len(),
        );
        assert!(
            o.abs_diff(k) <= 1,
            "{addr}: {o} periodic GARPs from ours, {k} from stock"
        );
    }
    assert!(
        ours.left_over.is_empty() && stock.left_over.is_empty(),
        "left over: {:?} / {:?}",
        ours.left_over,
        stock.left_over
    );
}

/// Whether this kernel can make an ipvlan (CONFIG_IPVLAN).
fn kernel_has_ipvlan(h: &Host) -> bool {
    let made = Command::new("ip")
        .args([
            "-n", &h.ns, "link", "add", "link", "eth0", "name", "probe0", "type", "ipvlan", "mode",
            "l2",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if made {
        h.ip(&["link", "del", "probe0"]);
    }
    made
}

#[test]
fn native_ipv6_and_use_ipvlan_match_stock_keepalived() {
    let has_ipvlan = kernel_has_ipvlan(Lab::new(&["p"], false).node("p"));
    let (ours, stock) = both(LINK_CONFIG, 6);
    let ctx = format!("ours:\n{}\nstock:\n{}", ours.log, stock.log);
    assert_eq!(ours.addrs, stock.addrs, "addresses\n{ctx}");
    assert!(
        ours.addrs.contains(&"eth0 2001:db8::103/64".to_string())
            && !ours.addrs.iter().any(|a| a.contains("198.18.0.103")),
        "native_ipv6: {:?}",
        ours.addrs
    );
    assert_eq!(ours.links, stock.links, "links made\n{ctx}");
    if has_ipvlan {
        assert!(
            ours.links
                .iter()
                .any(|l| l.starts_with("vrrp.44@eth0") && l.contains("ipvlan mode l2")),
            "{:?}",
            ours.links
        );
        assert!(
            ours.addrs.contains(&"vrrp.44 198.18.0.50/24".to_string()),
            "{:?}",
            ours.addrs
        );
    } else {
        let failed = "(VI_4): Unable to create ipvlan interface vrrp.44";
        assert!(
            ours.log.contains(failed) && stock.log.contains(failed),
            "{ctx}"
        );
        assert!(ours.links.is_empty(), "{:?}", ours.links);
        assert!(
            !ours.addrs.iter().any(|a| a.contains("198.18.0.104")),
            "VI_4 is in FAULT: {:?}",
            ours.addrs
        );
    }
    assert!(
        ours.left_over.is_empty() && stock.left_over.is_empty(),
        "left over: {:?} / {:?}",
        ours.left_over,
        stock.left_over
    );
}
