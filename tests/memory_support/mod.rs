//! Peak memory of `-t` runs, ours and stock keepalived's, on generated large files.
//! Shared by tests/config_memory.rs (10 MB, asserted) and benches/config_memory.rs
//! (50 MB, reported).
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Stock keepalived 2.2.7 (the Debian package); `KEEPALIVED` overrides.
pub fn stock_keepalived() -> String {
    std::env::var("KEEPALIVED").unwrap_or_else(|_| "/usr/sbin/keepalived".into())
}

/// The head every generated file starts with: a small working configuration.
const HEAD: &str = "global_defs {\n    router_id big\n}\n\
vrrp_instance VI_1 {\n    state BACKUP\n    interface lo\n    virtual_router_id 51\n    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        198.18.0.1/32\n    }\n}\n";

/// `vrrp_instance` block number `i` on `interface`.
fn instance_block(i: usize, interface: &str) -> String {
    format!(
        "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface {interface}\n    virtual_router_id {}\n    priority {}\n    advert_int 1\n    virtual_ipaddress {{\n        198.18.{}.{}/32\n    }}\n}}\n",
        i % 255 + 1,
        100 + i % 100,
        (i / 250) % 256,
        i % 250 + 1
    )
}

/// Writes `head`, then `block(0)`, `block(1)`, … until the file has about `bytes` bytes.
fn write_blocks(path: &Path, head: &str, bytes: usize, block: impl Fn(usize) -> String) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    let mut written = head.len();
    for i in 0.. {
        if written >= bytes {
            break;
        }
        let b = block(i);
        f.write_all(b.as_bytes()).unwrap();
        written += b.len();
    }
    f.flush().unwrap();
}

/// A configuration of about `bytes` bytes as configuration management tends to leave
/// them: a small live part, then generated instance blocks kept commented out (retired
/// or per-site variants), which both checkers read and drop line by line.
pub fn write_commented_file(path: &Path, bytes: usize) {
    write_blocks(path, HEAD, bytes, |i| {
        let live = instance_block(i, &format!("eth{}", i % 8));
        live.lines().map(|l| format!("# {l}\n")).collect()
    });
}

/// A configuration of about `bytes` bytes of live `vrrp_instance` blocks on `lo` (both
/// checkers keep every instance they read).
pub fn write_instances_file(path: &Path, bytes: usize) {
    write_blocks(path, "", bytes, |i| instance_block(i, "lo"));
}

/// Peak resident size (KiB, the kernel's `ru_maxrss`) of `program -t -f file -l`, and
/// its exit code. The run's output is discarded.
// The child is reaped by `wait4` below (which also gives its peak), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn peak_kib_of_check(program: &str, file: &Path) -> (i64, i32) {
    let child = Command::new(program)
        .args(["-t", "-f"])
        .arg(file)
        .arg("-l")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut status = 0;
    // SAFETY: all-zero is a valid rusage; wait4 fills it for the child we started.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the two locals.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (usage.ru_maxrss, code)
}
