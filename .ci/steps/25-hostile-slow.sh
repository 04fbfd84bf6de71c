#!/usr/bin/env bash
# The slow hostile-peer tests of #21 (cli/tests/hostile_slow.rs, #[ignore]d in the
# normal test run): slow-drip clients and stalled ClientHellos against `pqhkex serve`
# (a real handshake still completes quickly, stalled ones are shed, memory stays flat).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --locked -p pqhkex-cli --test hostile_slow -- --ignored --test-threads=1
