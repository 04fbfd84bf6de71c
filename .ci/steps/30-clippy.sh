#!/usr/bin/env bash
set -euo pipefail
cargo clippy --workspace --all-targets --all-features -- -D warnings
# The default feature set and the smallest one must build and lint cleanly too.
cargo clippy --all-targets -- -D warnings
cargo clippy --lib --no-default-features -- -D warnings
