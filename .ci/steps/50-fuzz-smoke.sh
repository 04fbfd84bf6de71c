#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target of fuzz/ and runs each briefly from
# its committed seed corpus (fuzz/seeds/<target>). Long runs: see fuzz/README.md.
# The stable toolchain builds cargo-fuzz targets when RUSTC_BOOTSTRAP=1 (cargo-fuzz
# passes -Z flags); cargo-fuzz itself comes from crates.io.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS="${FUZZ_SMOKE_RUNS:-20000}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    # Built in a temporary directory of its own (CI exports CARGO_TARGET_DIR for the main crate).
    env -u CARGO_TARGET_DIR cargo install cargo-fuzz --locked
fi
cargo fuzz --version

export RUSTC_BOOTSTRAP=1
# The fuzz crate is its own workspace; keep its instrumented builds out of the main target dir.
export CARGO_TARGET_DIR="$PWD/fuzz/target"

cd fuzz
# cargo-fuzz has no --locked: check fuzz/Cargo.lock first, so that a stale lock file fails
# here instead of being rewritten by `cargo fuzz build`.
cargo metadata --locked --format-version 1 >/dev/null
targets=$(cargo fuzz list)
cargo fuzz build --sanitizer none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every target once per component backend (PQHKEX_BACKEND, honoured because the fuzz
# crate enables `hazmat`): graviola where this CPU runs it, and the pure-Rust fallback.
backends=(pure-rust)
case "$(uname -m)" in x86_64 | aarch64) backends=(graviola pure-rust) ;; esac
for b in "${backends[@]}"; do
    for t in $targets; do
        mkdir -p "$work/$b/$t"
        echo "fuzz smoke: $t on $b ($RUNS runs from seeds/$t)"
        if ! PQHKEX_BACKEND=$b cargo fuzz run --sanitizer none "$t" "$work/$b/$t" "seeds/$t" -- \
            -runs="$RUNS" -max_len=16384 -rss_limit_mb=2048 -print_final_stats=1 \
            >"$work/$b-$t.log" 2>&1; then
            tail -n 60 "$work/$b-$t.log"
            echo "fuzz smoke: $t on $b FAILED (crash input under fuzz/artifacts/$t/)" >&2
            exit 1
        fi
        grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$work/$b-$t.log"
    done
done
echo "fuzz smoke: all targets ran clean"
