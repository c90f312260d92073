//! `keepalived -t` on the process-contract keywords, side by side with stock keepalived
//! 2.2.7 on the same files: what an operator sees when a checked include is missing
//! (`include_check`), when an instance names the loopback device, and that a file using
//! every one of these keywords passes both. Needs /usr/sbin/keepalived (run as root, as
//! the suite is); panics without it.

mod lab;

use std::path::Path;

use lab::side_by_side::{config_test, OURS, STOCK};

const INSTANCE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
                        priority 100\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n";

/// `-t` of `binary` on `text` (written to `dir/name`): exit code and what it printed.
fn check(binary: &str, dir: &Path, name: &str, text: &str) -> (i32, String) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    config_test(binary, None, &path)
}

fn both(dir: &Path, name: &str, text: &str) -> [(i32, String); 2] {
    assert!(
        Path::new(STOCK).exists(),
        "{STOCK} is missing: install Debian's keepalived"
    );
    [check(STOCK, dir, name, text), check(OURS, dir, name, text)]
}

#[test]
fn include_check_refuses_a_missing_include_as_keepalived_does() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.conf");
    let file = |check: &str| {
        format!(
            "global_defs {{\n include_check{check}\n}}\ninclude {}\n{INSTANCE}",
            missing.display()
        )
    };
    let message = format!("Config files missing '{}'.", missing.display());
    // Every check (bare), and "match": the missing file stops both, with status 6.
    for (words, code) in [("", 6), (" match", 6), (" read", 0), (" match -match", 0)] {
        let [(stock, stock_out), (ours, ours_out)] = both(dir.path(), "k.conf", &file(words));
        assert_eq!(
            (ours, stock),
            (code, code),
            "include_check{words}: ours {ours}, keepalived {stock}\n--- keepalived ---\n\
             {stock_out}\n--- ours ---\n{ours_out}"
        );
        assert!(stock_out.contains(&message), "{stock_out}");
        assert!(ours_out.contains(&message), "{ours_out}");
    }
}

#[test]
fn a_loopback_interface_is_refused_as_keepalived_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = INSTANCE.replace("interface eth0", "interface lo");
    let [(stock, stock_out), (ours, ours_out)] = both(dir.path(), "lo.conf", &text);
    assert_eq!((ours, stock), (5, 5), "{stock_out}\n---\n{ours_out}");
    for line in [
        "(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring",
        "(VI_1) Unknown interface!",
    ] {
        assert!(stock_out.contains(line), "keepalived: {stock_out}");
        assert!(ours_out.contains(line), "ours: {ours_out}");
    }
}

#[test]
fn every_process_keyword_passes_both_checks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let text = format!(
        "use_pid_dir\ninstance blue\nnamespace_with_ipsets\nglobal_defs {{\n \
         reload_time_file {d}/reload-at\n reload_repeat\n reload_file\n \
         config_save_dir {d}/saved/\n data_use_instance\n random_seed 5\n \
         tmp_config_directory {d}/tmpconf\n include_check read\n}}\n{INSTANCE}"
    );
    let [(stock, stock_out), (ours, ours_out)] = both(dir.path(), "all.conf", &text);
    assert_eq!((ours, stock), (0, 0), "{stock_out}\n---\n{ours_out}");
    // The keywords that cannot change anything say so; the others do not.
    for (kw, inert) in [
        ("random_seed", true),
        ("tmp_config_directory", true),
        ("namespace_with_ipsets", true),
        ("reload_time_file", false),
        ("config_save_dir", false),
        ("data_use_instance", false),
        ("instance", false),
    ] {
        let said = ours_out.contains(&format!("'{kw}' has no effect in this build"));
        assert_eq!(said, inert, "{kw}: {ours_out}");
    }
    // `-d` prints every one of them back.
    let dump = std::process::Command::new(OURS)
        .arg("-d")
        .arg("-f")
        .arg(dir.path().join("all.conf"))
        .output()
        .unwrap();
    let dump = String::from_utf8_lossy(&dump.stdout);
    for line in [
        "use_pid_dir",
        "instance blue",
        "reload_time_file",
        "reload_repeat",
        "reload_file",
        "saved\n",
        "data_use_instance",
        "include_check read",
    ] {
        assert!(dump.contains(line), "{line:?} not in -d:\n{dump}");
    }
}
