//! Receive buffer sizes, side by side with stock keepalived 2.2.7 on the same
//! configuration: the VRRP receive socket (`vrrp_rx_bufs_policy MTU` for one instance,
//! `kernel_rx_buf_size` for the other, summed on the socket they share) and the netlink
//! sockets (`vrrp_netlink_cmd_rcv_bufs`, `vrrp_netlink_monitor_rcv_bufs` with `_force`),
//! at start-up and after a reload that changes them; and without the global settings,
//! the instance's own size alone, and on the netlink sockets keepalived's 64 KiB, ours the
//! kernel's default where that is larger (DIFFERENCES D17). The data dump (SIGUSR1) shows
//! these settings, and the VRRP process's other global ones, in keepalived's lines.
//!
//! The sizes are read the way root can read another process's: each socket of the daemon
//! (found through `/proc/PID/net/{raw,netlink}` and `/proc/PID/fd`) is duplicated with
//! `pidfd_getfd(2)` and asked for `SO_RCVBUF` (what `ss -m` shows as `rb`, twice the size
//! asked for). Needs root and stock keepalived; panics without them.

mod lab;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lab::{wait_for, Daemon, Host, Lab};
use nix::sys::signal::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
const STOCK: &str = "/usr/sbin/keepalived";

/// Two instances on eth0 (MTU 1500): VI_1 gets 3 × 1500 from the MTU policy, VI_2 its
/// own 50000; their socket asks for 54500 (the kernel shows 109000).
fn config(globals: &str) -> String {
    format!(
        "global_defs {{\n{globals}}}\n\
         vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority 100\n \
         virtual_ipaddress {{\n  198.18.0.100/24\n }}\n}}\n\
         vrrp_instance VI_2 {{\n interface eth0\n virtual_router_id 52\n priority 100\n \
         kernel_rx_buf_size 50000\n virtual_ipaddress {{\n  198.18.0.101/24\n }}\n}}\n"
    )
}

const SIZED: &str = " vrrp_rx_bufs_policy MTU\n vrrp_netlink_cmd_rcv_bufs 300000\n \
                     vrrp_netlink_monitor_rcv_bufs 400000\n vrrp_netlink_monitor_rcv_bufs_force\n \
                     process_monitor_rcv_bufs 100000\n process_monitor_rcv_bufs_force\n \
                     disable_local_igmp\n no_email_faults\n vrrp_priority -5\n \
                     dynamic_interfaces allow_if_changes\n \
                     max_auto_priority 30\n min_auto_priority_delay 5000\n vrrp_cpu_affinity 0\n \
                     vrrp_rlimit_rttime 20000\n umask 022\n snmp_socket tcp:localhost:705\n \
                     dbus_service_name org.example.Vrrp\n vrrp_notify_fifo /tmp/krs-buffers.fifo nobody\n";

/// The global lines of the data dump (SIGUSR1) that show these settings, among others
/// keepalived prints for its VRRP process.
const DUMPED_SETTINGS: &[&str] = &[
    "Send emails for fault transitions",
    "Dynamic interfaces",
    "Allow interface changes",
    "Disable local IGMP",
    "VRRP notify fifo",
    "Gratuitous ARP for each secondary",
    "nftables with",
    "Max auto priority",
    "Min auto priority delay",
    "VRRP process priority",
    "VRRP don't swap",
    "VRRP realtime priority",
    "VRRP CPU Affinity",
    "VRRP realtime limit",
    "SNMP vrrp",
    "SNMP RFCv",
    "SNMP traps",
    "SNMP socket",
    "DBus",
    "Default script uid:gid",
    "vrrp_netlink_",
    "process_monitor_rcv_bufs",
    "rx_bufs_",
    "umask",
];

/// The daemon's data dump, those lines only.
fn dumped_settings(d: &Daemon) -> Vec<String> {
    let data = d.dir.join("keepalived.data");
    let _ = std::fs::remove_file(&data);
    d.signal(Signal::SIGUSR1);
    wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(&data).is_ok_and(|t| t.contains("VRRP Topology"))
    });
    std::fs::read_to_string(&data)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            DUMPED_SETTINGS
                .iter()
                .any(|k| l.trim_start().starts_with(k))
        })
        .map(str::to_string)
        .collect()
}
/// (`disable_local_igmp` stays: keepalived refuses to change it at a reload.)
const RESIZED: &str =
    " vrrp_rx_bufs_policy ADVERT\n vrrp_rx_bufs_multiplier 10\n disable_local_igmp\n \
                       vrrp_netlink_cmd_rcv_bufs 200000\n vrrp_netlink_monitor_rcv_bufs 500000\n";

/// `SO_RCVBUF` of socket `fd` of process `pid`.
fn rcvbuf_of(pid: i32, fd: i32) -> Option<i32> {
    // SAFETY: plain system calls on integers and a stack buffer; every fd obtained is
    // closed before returning.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
        if pidfd < 0 {
            return None;
        }
        let mine = libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) as i32;
        libc::close(pidfd);
        if mine < 0 {
            return None;
        }
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let ok = libc::getsockopt(
            mine,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        ) == 0;
        libc::close(mine);
        ok.then_some(value)
    }
}

/// Socket inode → fd of process `pid`.
fn socket_fds(pid: i32) -> BTreeMap<String, i32> {
    let mut fds = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return fds;
    };
    for entry in dir.flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.display().to_string();
        if let Some(inode) = target
            .strip_prefix("socket:[")
            .and_then(|t| t.strip_suffix(']'))
        {
            if let Ok(fd) = entry.file_name().to_string_lossy().parse() {
                fds.insert(inode.to_owned(), fd);
            }
        }
    }
    fds
}

/// What the daemon's processes in `host` have: the receive buffers of the raw sockets
/// bound to the VRRP group, and of the NETLINK_ROUTE sockets (as sets: ours opens more
/// of them than keepalived, each sized by its kind).
#[derive(Debug, Default, PartialEq)]
struct Buffers {
    vrrp_group: BTreeSet<i32>,
    netlink: BTreeSet<i32>,
}

fn buffers(host: &Host) -> Buffers {
    let mut seen = Buffers::default();
    for pid in lab::run("ip", &["netns", "pids", &host.ns])
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
    {
        let fds = socket_fds(pid);
        let table = |name: &str| std::fs::read_to_string(format!("/proc/{pid}/net/{name}"));
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
        for line in table("raw").unwrap_or_default().lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.get(1) == Some(&"120000E0:0070") {
                if let Some(v) = fds.get(f[9]).and_then(|fd| rcvbuf_of(pid, *fd)) {
                    seen.vrrp_group.insert(v);
                }
            }
        }
        // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
        for line in table("netlink").unwrap_or_default().lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.get(1) == Some(&"0") {
                if let Some(v) = fds.get(f[9]).and_then(|fd| rcvbuf_of(pid, *fd)) {
                    seen.netlink.insert(v);
                }
            }
        }
    }
    seen
}

/// Waits until `host`'s daemon shows `want` (sockets are opened a moment after start).
fn settle(host: &Host, want: &Buffers) -> Buffers {
    let mut last = Buffers::default();
    wait_for(Duration::from_secs(10), || {
        last = buffers(host);
        last == *want
    });
    last
}

fn sizes(vrrp: &[i32], netlink: &[i32]) -> Buffers {
    Buffers {
        vrrp_group: vrrp.iter().copied().collect(),
        netlink: netlink.iter().copied().collect(),
    }
}

#[test]
fn receive_buffers_match_keepalived() {
    let lab = Lab::new(&["stock", "ours", "stockdef", "oursdef"], false);
    let (stock, ours) = (lab.node("stock"), lab.node("ours"));
    let (stock_def, ours_def) = (lab.node("stockdef"), lab.node("oursdef"));
    let mut daemons = vec![
        Daemon::start_stock(stock, STOCK.as_ref(), &config(SIZED)),
        Daemon::start(ours, BIN.as_ref(), &config(SIZED)),
        Daemon::start_stock(stock_def, STOCK.as_ref(), &config("")),
        Daemon::start(ours_def, BIN.as_ref(), &config("")),
    ];

    // 54500 asked; cmd 300000 (under rmem_max), monitor 400000 forced: doubled.
    let sized = sizes(&[109_000], &[600_000, 800_000]);
    // No global setting: VI_2's own 50000 alone (VI_1 adds nothing); on netlink
    // keepalived's 64 KiB, ours never less than the kernel's default (DIFFERENCES D17).
    let plain = sizes(&[100_000], &[131_072]);
    let kernel_default: i32 = ours_def
        .exec(&["cat", "/proc/sys/net/core/rmem_default"])
        .trim()
        .parse()
        .expect("rmem_default");
    let ours_plain = sizes(&[100_000], &[kernel_default.max(131_072)]);
    assert_eq!(settle(stock, &sized), sized, "stock keepalived, sized");
    assert_eq!(settle(ours, &sized), sized, "ours, sized");
    assert_eq!(
        settle(stock_def, &plain),
        plain,
        "stock keepalived, defaults"
    );
    assert_eq!(settle(ours_def, &ours_plain), ours_plain, "ours, defaults");
    let sized_dump = dumped_settings(&daemons[0]);
    assert_eq!(dumped_settings(&daemons[1]), sized_dump, "data dump, sized");
    assert!(sized_dump.len() >= 20, "{sized_dump:?}");
    for line in [
        " Disable local IGMP = yes",
        " VRRP notify fifo = /tmp/krs-buffers.fifo, uid:gid 65534:65534",
    ] {
        assert!(sized_dump.contains(&line.to_string()), "{sized_dump:?}");
    }
    let plain_dump = dumped_settings(&daemons[2]);
    assert_eq!(
        dumped_settings(&daemons[3]),
        plain_dump,
        "data dump, defaults"
    );

    // A reload sizes the netlink sockets again and reopens the VRRP socket: ADVERT × 10
    // of two VRRPv2 adverts with one VIP each (40 bytes with the IP header) plus 50000.
    for d in &daemons[..2] {
        std::fs::write(&d.config, config(RESIZED)).expect("rewrite config");
        d.signal(Signal::SIGHUP);
    }
    let resized = sizes(&[2 * (400 + 50_000)], &[400_000, 1_000_000]);
    assert_eq!(
        settle(stock, &resized),
        resized,
        "stock keepalived, reloaded"
    );
    assert_eq!(settle(ours, &resized), resized, "ours, reloaded");
    let resized_dump = dumped_settings(&daemons[0]);
    assert_eq!(
        dumped_settings(&daemons[1]),
        resized_dump,
        "data dump, reloaded"
    );

    for d in &mut daemons {
        d.signal(Signal::SIGTERM);
        assert!(
            d.wait_exit(Duration::from_secs(10)).is_some(),
            "daemon stops"
        );
    }
}
