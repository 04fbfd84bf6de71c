#!/usr/bin/env bash
set -euo pipefail
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
# The default feature set and the smallest one must build and lint cleanly too.
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --lib --no-default-features -- -D warnings
