#!/usr/bin/env bash
# Make sure rustfmt and clippy exist (they ship with the machine's toolchain; add them if not).
set -euo pipefail
for c in rustfmt clippy; do
    if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$c"
    fi
done

# Debian packages the tests' peers need (cmake, clang, OpenSSH) are installed by
# ./scripts/test itself, the README's test command.
cargo --version
command -v cmake >/dev/null && cmake --version | head -n 1
command -v clang >/dev/null && clang --version | head -n 1
true
