#!/usr/bin/env bash
# The whole test suite (README: "Running the tests"). Needs root for the namespace tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --all-targets
cargo test --release --no-fail-fast -- --test-threads=2
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
