#!/usr/bin/env bash
# The whole test suite (README: "Running the tests"). Needs root for the namespace tests.
#
# CI keeps only the end of a long output, so when tests fail their reasons are printed
# again after fmt and clippy: libtest's "failures:" sections and the conformance
# matrix's failed runs with the reason under each.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --all-targets
log="$(mktemp "${TMPDIR:-/tmp}/keepalived-rs-test.XXXXXX")"
set +e
cargo test --release --no-fail-fast -- --test-threads=2 2>&1 | tee "$log"
tests_rc=${PIPESTATUS[0]}
set -e
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
# The fuzz targets (their own package, run with cargo-fuzz) must keep building against the
# library: nothing else compiles them.
cargo check --manifest-path fuzz/Cargo.toml --bins
if [ "$tests_rc" -ne 0 ]; then
  echo
  echo "=== tests failed (exit $tests_rc); the failures again, from $log ==="
  awk '
    /^failures:$/ { grab = 1 }
    grab { print; if (/^test result: FAILED/) grab = 0; next }
    /^[a-z0-9-]+ +[a-z-]+ +FAIL / { print; run = 1; next }
    /^corpus-live: .*(unexpected difference|now: remove|harness error|FAILED)/ { print; run = 1; next }
    run && /^    / { print; next }
    { run = 0 }
    /^conformance: .*failed/ || /^error: / || /^    `--test / || /\| DIFFER/ { print }
  ' "$log" | head -n 400
  exit "$tests_rc"
fi
rm -f "$log"
