//! The RPM (`packaging/rpm/keepalived-rs.spec`), built for real with Debian's `rpmbuild`
//! around the binary under test (`--define krs_binary`), then read back with `rpm -qp` and
//! installed with `rpm --root` into a throw-away RPM database: it replaces an older
//! keepalived (Obsoletes), satisfies a package that requires `keepalived >= 2`, and ships
//! its license with `%license`.
//!
//! Needs the `rpm` package (rpmbuild, rpm); .ci/run installs it. Missing tools fail.

use std::path::{Path, PathBuf};

mod command_support;
use command_support::stdout_ok;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SPEC: &str = "packaging/rpm/keepalived-rs.spec";

/// `rpmbuild -bb SPEC` with its tree under `top`; returns the one binary RPM it made.
fn rpmbuild(top: &Path, spec: &Path, defines: &[String]) -> PathBuf {
    let mut args = vec![
        "-bb".to_owned(),
        "--nodeps".to_owned(),
        "--define".to_owned(),
        format!("_topdir {}", top.display()),
    ];
    for d in defines {
        args.push("--define".to_owned());
        args.push(d.clone());
    }
    args.push(spec.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stdout_ok("rpmbuild", &args);
    let rpms: Vec<PathBuf> = walk(&top.join("RPMS"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rpm"))
        .collect();
    assert_eq!(rpms.len(), 1, "rpmbuild made {rpms:?}");
    rpms.into_iter().next().unwrap()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Our RPM, from a source tarball of the files the spec installs.
fn our_rpm(work: &Path) -> PathBuf {
    let top = work.join("ours");
    std::fs::create_dir_all(top.join("SOURCES")).unwrap();
    let prefix = format!("keepalived-rs-{}", env!("CARGO_PKG_VERSION"));
    let tarball = top.join(format!("SOURCES/{prefix}.tar.gz"));
    let transform = format!("s,^,{prefix}/,");
    stdout_ok(
        "tar",
        &[
            "-C",
            ROOT,
            "-czf",
            tarball.to_str().unwrap(),
            "--transform",
            &transform,
            "init",
            "man",
            "packaging",
            "samples",
        ],
    );
    let defines = [
        format!("krs_binary {}", env!("CARGO_BIN_EXE_keepalived")),
        // systemd-rpm-macros is not in Debian; these are its values.
        "_unitdir /usr/lib/systemd/system".to_owned(),
    ];
    rpmbuild(&top, &Path::new(ROOT).join(SPEC), &defines)
}

/// A package with only metadata, standing in for a distribution's package.
fn stand_in(work: &Path, name: &str, version: &str, requires: &str) -> PathBuf {
    let top = work.join(name);
    std::fs::create_dir_all(&top).unwrap();
    let spec = top.join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: {version}\nRelease: 1\nSummary: stand-in\nLicense: MIT\n\
             BuildArch: noarch\n{requires}\n%description\nstand-in\n%files\n"
        ),
    )
    .unwrap();
    rpmbuild(&top, &spec, &[])
}

#[test]
fn rpm_metadata_provides_the_implemented_keepalived_version_and_ships_the_license() {
    let work = tempfile::tempdir().unwrap();
    let rpm = our_rpm(work.path());
    let rpm = rpm.to_str().unwrap();
    let provides = stdout_ok("rpm", &["-qp", "--provides", rpm]);
    assert!(
        provides.lines().any(|l| l == "keepalived = 2.2.7"),
        "{provides}"
    );
    let obsoletes = stdout_ok("rpm", &["-qp", "--obsoletes", rpm]);
    assert_eq!(obsoletes.trim(), "keepalived < 2.2.7");
    let conflicts = stdout_ok("rpm", &["-qp", "--conflicts", rpm]);
    assert_eq!(conflicts.trim(), "keepalived");
    let licenses = stdout_ok("rpm", &["-qp", "--licensefiles", rpm]);
    assert!(
        licenses.trim().ends_with("/copyright"),
        "no %license: {licenses}"
    );
    let files = stdout_ok("rpm", &["-qlp", rpm]);
    for path in [
        "/usr/sbin/keepalived",
        "/usr/lib/systemd/system/keepalived.service",
        "/etc/keepalived/keepalived.conf",
        "/etc/sysconfig/keepalived",
        "/usr/share/man/man8/keepalived.8",
        "/usr/share/man/man5/keepalived.conf.5",
    ] {
        assert!(
            files.lines().any(|l| l == path),
            "RPM lacks {path}:\n{files}"
        );
    }
}

#[test]
fn rpm_replaces_an_older_keepalived_and_satisfies_its_dependants() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "rpm --root into a throw-away database needs root; run as root, as CI does"
    );
    let work = tempfile::tempdir().unwrap();
    let ours = our_rpm(work.path());
    let older = stand_in(work.path(), "keepalived", "2.2.0", "");
    let dependant = stand_in(
        work.path(),
        "needs-keepalived",
        "1",
        "Requires: keepalived >= 2",
    );
    let root = work.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let root_arg = format!("--root={}", root.display());
    let rpm_in_root = |args: &[&str]| {
        let mut all = vec![root_arg.as_str()];
        all.extend_from_slice(args);
        stdout_ok("rpm", &all)
    };
    rpm_in_root(&["--initdb"]);
    rpm_in_root(&["-i", older.to_str().unwrap()]);
    // --nodeps: the throw-away database has no libc for our binary's automatic requires.
    // --noscripts: there is no systemd in it.
    rpm_in_root(&["-U", "--nodeps", "--noscripts", ours.to_str().unwrap()]);
    let installed = rpm_in_root(&["-qa", "--qf", "%{NAME} %{VERSION}\\n"]);
    assert_eq!(
        installed.trim(),
        "keepalived-rs 0.1.0",
        "older keepalived not obsoleted"
    );
    // No --nodeps: `Requires: keepalived >= 2` must be met by our Provides.
    rpm_in_root(&["-i", dependant.to_str().unwrap()]);
    let provider = rpm_in_root(&["-q", "--whatprovides", "keepalived", "--qf", "%{NAME}\\n"]);
    assert_eq!(provider.trim(), "keepalived-rs");
    assert!(root.join("usr/sbin/keepalived").is_file());
}

#[test]
fn rpm_spec_has_the_crate_version_and_the_same_layout() {
    let spec = std::fs::read_to_string(Path::new(ROOT).join(SPEC)).unwrap();
    let version = spec
        .lines()
        .find_map(|l| l.strip_prefix("Version:"))
        .map(str::trim);
    assert_eq!(version, Some(env!("CARGO_PKG_VERSION")));
    for line in [
        "Conflicts:      keepalived",
        "%license packaging/debian/copyright",
        "%{_sbindir}/keepalived",
        "%{_unitdir}/keepalived.service",
        "%config(noreplace) %{_sysconfdir}/keepalived/keepalived.conf",
        "%config(noreplace) %{_sysconfdir}/sysconfig/keepalived",
        "%{_mandir}/man8/keepalived.8*",
        "%{_mandir}/man5/keepalived.conf.5*",
        "%systemd_post keepalived.service",
        "%systemd_postun_with_restart keepalived.service",
    ] {
        assert!(spec.lines().any(|l| l == line), "spec lacks '{line}'");
    }
    // Every source path the spec installs exists in the repository.
    for word in spec.split_whitespace() {
        for prefix in ["init/", "man/", "packaging/"] {
            if word.starts_with(prefix) {
                assert!(
                    Path::new(ROOT).join(word).is_file(),
                    "spec installs missing {word}"
                );
            }
        }
    }
}
