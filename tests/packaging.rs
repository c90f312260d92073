//! The Debian package (`packaging/build-deb.sh`), the init script and the systemd unit:
//! the .deb's layout and control fields, lintian, an install into a throw-away root, the
//! swap with the stock keepalived package, `systemd-analyze verify` and POSIX sh checks
//! (the RPM: tests/packaging_rpm.rs; the real swap: tests/package_swap.rs).
//!
//! Needs dpkg-dev, lintian, devscripts (checkbashisms), systemd and the stock keepalived
//! package (its file list is the reference layout); .ci/run installs them. Installing into
//! a throw-away root needs root. Missing tools fail the tests with a message saying so.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

mod command_support;
mod deb_support;
use command_support::{run, stdout_ok};
use deb_support::deb;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every file of the package, and the ones the stock keepalived package has at the same path.
const OUR_FILES: &[&str] = &[
    "/etc/default/keepalived",
    "/etc/init.d/keepalived",
    "/etc/keepalived/keepalived.conf.sample",
    "/lib/systemd/system/keepalived.service",
    "/usr/sbin/keepalived",
    "/usr/share/doc/keepalived-rs/changelog.Debian.gz",
    "/usr/share/doc/keepalived-rs/copyright",
    "/usr/share/doc/keepalived-rs/samples/mysql-pair.conf",
    "/usr/share/doc/keepalived-rs/samples/seed-backup.conf",
    "/usr/share/doc/keepalived-rs/samples/seed-master.conf",
    "/usr/share/doc/keepalived-rs/samples/sync-group.conf",
    "/usr/share/doc/keepalived-rs/samples/unicast-cloud.conf",
    "/usr/share/doc/keepalived-rs/samples/vrrpv3-ipv6.conf",
    "/usr/share/lintian/overrides/keepalived-rs",
    "/usr/share/man/man5/keepalived.conf.5.gz",
    "/usr/share/man/man8/keepalived.8.gz",
];
const SHARED_WITH_STOCK: &[&str] = &[
    "/etc/default/keepalived",
    "/etc/init.d/keepalived",
    "/etc/keepalived/keepalived.conf.sample",
    "/lib/systemd/system/keepalived.service",
    "/usr/sbin/keepalived",
    "/usr/share/man/man5/keepalived.conf.5.gz",
    "/usr/share/man/man8/keepalived.8.gz",
];
const CONFFILES: &[&str] = &[
    "/etc/default/keepalived",
    "/etc/init.d/keepalived",
    "/etc/keepalived/keepalived.conf.sample",
];

fn require_root(what: &str) {
    assert!(
        nix::unistd::geteuid().is_root(),
        "{what} needs root (dpkg --root into a throw-away root); run the tests as root"
    );
}

fn deb_str() -> &'static str {
    deb().to_str().unwrap()
}

/// Files (not directories) of the stock keepalived package, from the host's dpkg database.
fn stock_files() -> BTreeSet<String> {
    let out = run("dpkg-query", &["-L", "keepalived"]);
    assert!(
        out.status.success(),
        "the stock keepalived package must be installed as the reference layout \
         (apt-get install keepalived; .ci/run does)"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|p| Path::new(p).is_file())
        .map(str::to_owned)
        .collect()
}

#[test]
fn deb_contents_are_exactly_the_expected_layout() {
    let listing = stdout_ok("dpkg-deb", &["--contents", deb_str()]);
    let mut files = BTreeSet::new();
    for line in listing.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (mode, owner, path) = (cols[0], cols[1], cols[5].trim_start_matches('.'));
        assert_eq!(owner, "root/root", "{line}");
        if mode.starts_with('d') {
            assert_eq!(mode, "drwxr-xr-x", "{line}");
            continue;
        }
        let executable = matches!(path, "/usr/sbin/keepalived" | "/etc/init.d/keepalived");
        let want = if executable {
            "-rwxr-xr-x"
        } else {
            "-rw-r--r--"
        };
        assert_eq!(mode, want, "{line}");
        files.insert(path.to_owned());
    }
    let expected: BTreeSet<String> = OUR_FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(files, expected);

    let field = |name: &str| stdout_ok("dpkg-deb", &["-f", deb_str(), name]);
    for name in ["Provides", "Conflicts", "Replaces"] {
        assert_eq!(field(name).trim(), "keepalived", "{name}");
    }
    assert_eq!(field("Package").trim(), "keepalived-rs");
    assert!(field("Depends").contains("libc6"));
}

#[test]
fn conffiles_are_the_stock_packages_own_conffiles() {
    let dir = tempfile::tempdir().unwrap();
    let control = dir.path().join("DEBIAN");
    stdout_ok("dpkg-deb", &["-e", deb_str(), control.to_str().unwrap()]);
    let ours = std::fs::read_to_string(control.join("conffiles")).unwrap();
    assert_eq!(ours.lines().collect::<Vec<_>>(), CONFFILES);
    let stock = stdout_ok("dpkg-query", &["-W", "-f=${Conffiles}", "keepalived"]);
    for c in CONFFILES {
        assert!(
            stock.contains(&format!(" {c} ")),
            "stock keepalived has no conffile {c}"
        );
    }
    // Maintainer scripts must do nothing to the running system when dpkg installs into
    // another root (the tests below rely on it, as do bootstrap tools).
    for script in ["postinst", "prerm", "postrm"] {
        let text = std::fs::read_to_string(control.join(script)).unwrap();
        assert!(
            text.contains("if [ -n \"${DPKG_ROOT:-}\" ]; then\n\texit 0"),
            "{script}"
        );
    }
}

#[test]
fn lintian_reports_no_errors_and_no_warnings() {
    let out = run("lintian", &["--allow-root", "--fail-on", "none", deb_str()]);
    let report = String::from_utf8_lossy(&out.stdout);
    let bad: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:"))
        .collect();
    assert!(
        out.status.success(),
        "lintian failed to run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(bad.is_empty(), "lintian:\n{}", bad.join("\n"));
}

/// An empty dpkg database in a fresh directory.
fn throwaway_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for d in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
    ] {
        std::fs::create_dir_all(root.path().join(d)).unwrap();
    }
    std::fs::write(root.path().join("var/lib/dpkg/status"), "").unwrap();
    root
}

/// `dpkg --root ROOT -i DEB`, scripts run without chroot (DPKG_ROOT set for them), no
/// terminal: a conffile prompt makes this fail.
fn dpkg_install(root: &Path, deb: &Path) -> Output {
    let root_arg = format!("--root={}", root.display());
    run(
        "dpkg",
        &[
            &root_arg,
            "--force-script-chrootless",
            "--force-depends",
            "-i",
            deb.to_str().unwrap(),
        ],
    )
}

#[test]
fn installed_files_land_where_stock_keepalived_puts_its_own() {
    require_root("installing into a throw-away root");
    let stock = stock_files();
    let root = throwaway_root();
    let out = dpkg_install(root.path(), deb());
    assert!(
        out.status.success(),
        "dpkg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for path in SHARED_WITH_STOCK {
        assert!(stock.contains(*path), "stock keepalived has no {path}");
        let installed = root.path().join(path.trim_start_matches('/'));
        assert!(installed.is_file(), "{path} not installed");
    }
    // First install: keepalived.conf is made from the sample, so the unit's
    // ConditionFileNotEmpty holds and the daemon starts idle.
    let conf = std::fs::read(root.path().join("etc/keepalived/keepalived.conf")).unwrap();
    let sample = std::fs::read(root.path().join("etc/keepalived/keepalived.conf.sample")).unwrap();
    assert_eq!(conf, sample);
    // The installed (stripped) binary runs; keepalived prints its version on stderr.
    let out = run(
        root.path().join("usr/sbin/keepalived").to_str().unwrap(),
        &["-v"],
    );
    let version = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && version.contains("keepalived-rs"),
        "{version}"
    );
    let listed = stdout_ok(
        "dpkg",
        &[
            &format!("--root={}", root.path().display()),
            "-L",
            "keepalived-rs",
        ],
    );
    for path in OUR_FILES {
        assert!(listed.lines().any(|l| l == *path), "dpkg -L lacks {path}");
    }
}

#[test]
fn swapping_in_for_stock_keepalived_keeps_the_operator_config_without_a_prompt() {
    require_root("installing into a throw-away root");
    // A stand-in for the stock package: its conffiles as installed on this host.
    let work = tempfile::tempdir().unwrap();
    let stage = work.path().join("stock");
    for c in CONFFILES {
        let to = stage.join(c.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(c, &to).unwrap_or_else(|e| panic!("stock {c}: {e} (install keepalived)"));
    }
    std::fs::create_dir_all(stage.join("DEBIAN")).unwrap();
    std::fs::write(
        stage.join("DEBIAN/control"),
        "Package: keepalived\nVersion: 1:2.2.7-1\nArchitecture: all\n\
         Maintainer: test <test@example.org>\nDescription: stand-in for the stock package\n",
    )
    .unwrap();
    std::fs::write(stage.join("DEBIAN/conffiles"), CONFFILES.join("\n") + "\n").unwrap();
    let stock_deb = work.path().join("keepalived.deb");
    stdout_ok(
        "dpkg-deb",
        &[
            "--root-owner-group",
            "-b",
            stage.to_str().unwrap(),
            stock_deb.to_str().unwrap(),
        ],
    );

    let root = throwaway_root();
    let out = dpkg_install(root.path(), &stock_deb);
    assert!(
        out.status.success(),
        "stock: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let operator_conf = root.path().join("etc/keepalived/keepalived.conf");
    std::fs::write(&operator_conf, "vrrp_instance VI_1 { }\n").unwrap();

    let out = dpkg_install(root.path(), deb());
    assert!(
        out.status.success(),
        "swap failed (a conffile prompt?):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&operator_conf).unwrap(),
        "vrrp_instance VI_1 { }\n"
    );
    let status = stdout_ok(
        "dpkg-query",
        &[
            &format!("--admindir={}/var/lib/dpkg", root.path().display()),
            "-W",
            "-f=${Package} ${db:Status-Abbrev}\n",
        ],
    );
    assert!(
        status.lines().any(|l| l.trim() == "keepalived-rs ii"),
        "{status}"
    );
    assert!(
        !status.lines().any(|l| l.trim() == "keepalived ii"),
        "stock still installed: {status}"
    );
    let init = std::fs::read_to_string(root.path().join("etc/init.d/keepalived")).unwrap();
    assert!(init.contains("keepalived-rs"), "init script not taken over");
}

#[test]
fn systemd_unit_passes_systemd_analyze_verify() {
    let unit = Path::new(ROOT).join("init/keepalived.service");
    let out = run("systemd-analyze", &["verify", unit.to_str().unwrap()]);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&unit).unwrap();
    for line in [
        "Type=notify",
        "ExecStart=/usr/sbin/keepalived --dont-fork $DAEMON_ARGS $KEEPALIVED_OPTIONS",
        "ExecReload=/usr/sbin/keepalived --check-reload $DAEMON_ARGS $KEEPALIVED_OPTIONS",
        "ExecReload=/bin/sh -c 'kill -HUP $MAINPID'",
        "EnvironmentFile=-/etc/default/keepalived",
        "After=network-online.target",
        "KillMode=process",
    ] {
        assert!(text.lines().any(|l| l == line), "unit lacks '{line}'");
    }
}

#[test]
fn shell_scripts_are_posix_sh_without_bashisms() {
    for script in [
        "init/keepalived.init",
        "packaging/build-deb.sh",
        "packaging/debian/postinst",
        "packaging/debian/prerm",
        "packaging/debian/postrm",
    ] {
        let path = Path::new(ROOT).join(script);
        let path = path.to_str().unwrap();
        stdout_ok("dash", &["-n", path]);
        let out = run("checkbashisms", &["--force", "--extra", path]);
        assert!(
            out.status.success(),
            "checkbashisms {script}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
