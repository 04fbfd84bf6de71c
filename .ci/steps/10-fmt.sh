#!/usr/bin/env bash
set -euo pipefail
cargo fmt --all --check
# The constant-time harness and the fuzz crate are workspaces of their own.
(cd ct && cargo fmt --check)
(cd fuzz && cargo fmt --check)
