#!/usr/bin/env bash
# Make sure rustfmt and clippy exist (they ship with the machine's toolchain; add them if not).
set -euo pipefail
for c in rustfmt clippy; do
    if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$c"
    fi
done
cargo --version
