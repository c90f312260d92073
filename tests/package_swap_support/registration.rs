//! What the swap test checks on disk: the service's registration (rc.d links, systemd
//! enablement, executable init script), our files as the package ships them, and the
//! packages' dpkg states.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::machine::Machine;

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const WANTS: &str = "/etc/systemd/system/multi-user.target.wants/keepalived.service";
const UNIT: &str = "/lib/systemd/system/keepalived.service";

impl Machine {
    fn rc_links(&self, level: char, kind: char) -> Vec<String> {
        let dir = self.root.path(&format!("/etc/rc{level}.d"));
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(kind) && n.ends_with("keepalived") && n.len() == 13)
            .collect()
    }

    /// Registered for both init systems: an executable init script with start links in
    /// rc2-5 and stop links in rc0/1/6, the unit enabled and not masked.
    pub fn expect_registered(&self) {
        let mode = std::fs::metadata(self.root.path("/etc/init.d/keepalived"))
            .expect("/etc/init.d/keepalived")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755, "/etc/init.d/keepalived mode {mode:o}");
        for level in ['2', '3', '4', '5'] {
            assert_eq!(
                self.rc_links(level, 'S').len(),
                1,
                "no start link in rc{level}.d"
            );
        }
        for level in ['0', '1', '6'] {
            assert_eq!(
                self.rc_links(level, 'K').len(),
                1,
                "no stop link in rc{level}.d"
            );
        }
        let wants = std::fs::read_link(self.root.path(WANTS));
        assert_eq!(
            wants.ok().as_deref(),
            Some(Path::new(UNIT)),
            "keepalived.service not enabled"
        );
        let mask = std::fs::read_link(self.root.path("/etc/systemd/system/keepalived.service"));
        assert!(mask.is_err(), "keepalived.service masked: {mask:?}");
    }

    /// Nothing of the service is left.
    pub fn expect_unregistered(&self) {
        assert!(
            !self.root.path("/etc/init.d/keepalived").exists(),
            "init script left"
        );
        for level in "0123456".chars() {
            assert!(
                self.rc_links(level, 'S').is_empty(),
                "start link left in rc{level}.d"
            );
            assert!(
                self.rc_links(level, 'K').is_empty(),
                "stop link left in rc{level}.d"
            );
        }
        assert!(
            self.root.path(WANTS).symlink_metadata().is_err(),
            "enablement link left"
        );
    }

    fn same_as_repo(&self, installed: &str, repo: &str) {
        let ours = std::fs::read(Path::new(REPO).join(repo)).unwrap();
        let there = std::fs::read(self.root.path(installed));
        assert!(there.ok() == Some(ours), "{installed} is not {repo}");
    }

    fn man_page_is_ours(&self, installed: &str, repo: &str) {
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(self.root.path(installed))
            .output()
            .expect("gzip");
        let ours = std::fs::read(Path::new(REPO).join(repo)).unwrap();
        assert!(
            out.status.success() && out.stdout == ours,
            "{installed} is not {repo}"
        );
    }

    /// The unit, init script (with its LSB header), defaults file and man pages are ours,
    /// and dpkg's checksums of every file and conffile of the package still hold.
    pub fn expect_our_files(&self) {
        self.same_as_repo(UNIT, "init/keepalived.service");
        self.same_as_repo("/etc/init.d/keepalived", "init/keepalived.init");
        self.same_as_repo("/etc/default/keepalived", "packaging/debian/default");
        self.man_page_is_ours("/usr/share/man/man8/keepalived.8.gz", "man/keepalived.8");
        self.man_page_is_ours(
            "/usr/share/man/man5/keepalived.conf.5.gz",
            "man/keepalived.conf.5",
        );
        let conffiles = self
            .root
            .sh_ok("dpkg-query -W -f='${Conffiles}' keepalived-rs");
        for c in [
            "/etc/default/keepalived",
            "/etc/init.d/keepalived",
            "/etc/keepalived/keepalived.conf.sample",
        ] {
            assert!(
                conffiles.contains(&format!(" {c} ")),
                "{c} not a conffile:\n{conffiles}"
            );
        }
        self.expect_verified("keepalived-rs");
        self.expect_config_kept();
    }

    /// `dpkg --verify PACKAGE` finds every file (conffiles too) as the package shipped it.
    pub fn expect_verified(&self, package: &str) {
        let report = self.root.sh_ok(&format!("dpkg --verify {package}"));
        assert!(
            report.trim().is_empty(),
            "dpkg --verify {package}:\n{report}"
        );
    }

    /// dpkg's state of `package`: "installed", "config-files" (removed, not purged) or
    /// "absent" (purged or never installed); the desired action is not part of it.
    pub fn package_state(&self, package: &str) -> String {
        let out = self.root.sh(&format!(
            "dpkg-query -W -f='${{db:Status-Status}}' {package}"
        ));
        let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        match state.as_str() {
            "installed" | "config-files" if out.status.success() => state,
            "not-installed" | "" => "absent".to_owned(),
            other => panic!("{package} is half-done: {other}"),
        }
    }

    pub fn expect_states(&self, stock: &str, ours: &str) {
        let now = (
            self.package_state("keepalived"),
            self.package_state("keepalived-rs"),
        );
        assert_eq!(
            now,
            (stock.to_owned(), ours.to_owned()),
            "(keepalived, keepalived-rs)"
        );
    }
}
