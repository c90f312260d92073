//! Running the packaging tools (dpkg, lintian, rpmbuild, rpm, …) from tests: a missing tool
//! or a failed run panics with what was run and what it printed. Shared by
//! tests/packaging.rs and tests/packaging_rpm.rs.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// Runs `program` with `args`, stdin closed; panics if it cannot be started.
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (see .ci/run for the packages): {e}"))
}

/// Runs `program` and returns its stdout; panics with both outputs unless it succeeded.
pub fn stdout_ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
