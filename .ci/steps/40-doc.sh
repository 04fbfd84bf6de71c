#!/usr/bin/env bash
# Every public item documented, no broken intra-doc links.
set -euo pipefail
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features
