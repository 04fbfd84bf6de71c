#!/usr/bin/env bash
# Feature hygiene (issue: "a drop-in that breaks nothing").
# 1. The library builds and lints with no features and with each feature alone.
# 2. A consumer crate with rustls and hyper-rustls at their defaults plus pqhkex at its
#    defaults runs rustls's default-provider path without a panic
#    (tests/consumer-defaults/src/main.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "features: none"
cargo clippy --locked -q -p pqhkex --lib --no-default-features -- -D warnings
features=$(sed -n '/^\[features\]/,/^\[/p' Cargo.toml | sed -n 's/^\([a-z0-9-]*\) = \[.*/\1/p' | grep -v '^default$')
[ -n "$features" ] || { echo "no features found in Cargo.toml"; exit 1; }
for f in $features; do
    echo "features: $f alone"
    cargo clippy --locked -q -p pqhkex --lib --no-default-features --features "$f" -- -D warnings
done

echo "pqhkex-inventory: defaults (none), then each feature alone"
cargo clippy --locked -q -p pqhkex-inventory --lib -- -D warnings
for f in legacy-kyber tokio quic; do
    echo "pqhkex-inventory: $f alone"
    cargo clippy --locked -q -p pqhkex-inventory --lib --no-default-features --features "$f" -- -D warnings
done
# A library never switches on a rustls provider feature: with its defaults, the
# inventory's dependency graph holds neither ring nor aws-lc-rs.
if cargo tree --locked -q -p pqhkex-inventory -e normal --prefix none | grep -Eq '^(ring|aws-lc-rs) '; then
    echo "pqhkex-inventory at its defaults pulls in a rustls provider:"
    cargo tree --locked -q -p pqhkex-inventory -e normal -i ring 2>/dev/null | head -20 || true
    exit 1
fi

echo "pqhkex-cli: without its default quic feature"
cargo clippy --locked -q -p pqhkex-cli --no-default-features -- -D warnings

echo "consumer crate: rustls + hyper-rustls at their defaults, pqhkex and pqhkex-inventory at theirs"
# Its own workspace and lock file; the shared target directory keeps aws-lc built once.
cargo run --locked -q --manifest-path tests/consumer-defaults/Cargo.toml
