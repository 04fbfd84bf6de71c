#!/usr/bin/env bash
# Every public item documented, no broken intra-doc links: with the default features
# (where feature-gated items such as `hazmat` are absent) and with all of them.
set -euo pipefail
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps -p pqhkex
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps -p pqhkex-inventory
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --all-features
