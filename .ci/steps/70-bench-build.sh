#!/usr/bin/env bash
# Compiles the criterion benchmarks (benches/*.rs) so they never rot. Nothing is run or
# timed here: timing belongs to scripts/bench-report, never to CI.
#
# `--profile dev` (dependencies at opt-level 3, see Cargo.toml) reuses what 20-test
# already built; the default bench profile would compile aws-lc, the vendored OpenSSL of
# the interop tests and every other dev-dependency a second time, in release, for
# nothing but a compile check (over 10 minutes on the 2-core CI machine).
set -euo pipefail
cargo bench --locked --no-run --profile dev --bench primitives --bench kx --bench handshake --bench cycles
