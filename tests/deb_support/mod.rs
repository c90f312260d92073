//! Builds the Debian package with `packaging/build-deb.sh` from the binary under test, once
//! per test binary; shared by tests/packaging.rs and tests/package_swap.rs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The .deb built from `env!("CARGO_BIN_EXE_keepalived")` into the target's tmp dir.
pub fn deb() -> &'static Path {
    static DEB: OnceLock<PathBuf> = OnceLock::new();
    DEB.get_or_init(|| {
        let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "packaging-deb-{}",
            std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_default()
        ));
        let _ = std::fs::remove_dir_all(&out_dir);
        let out = Command::new("sh")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/build-deb.sh"))
            .arg(&out_dir)
            .env("KRS_DEB_BINARY", env!("CARGO_BIN_EXE_keepalived"))
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "build-deb.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let path = PathBuf::from(stdout.lines().last().expect("build-deb.sh prints the .deb"));
        assert!(path.is_file(), "{} missing", path.display());
        path
    })
}
