#!/usr/bin/env bash
# The AWS SDK for Rust over post-quantum TLS (examples/aws-sdk-pq/, a crate excluded from
# the workspace, with its own Cargo.lock): builds it and runs it, on loopback only, with
# dummy static credentials. An aws-sdk-kms client whose HTTP client requires post-quantum
# calls GenerateRandom on a local KMS endpoint that requires it too, then on a
# classical-only one. Checks that the first call negotiated X25519MLKEM768 (as the
# client's connection observer and the server both saw it) and that the second was
# refused, explained in the policy's terms.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The repository's target directory, also for this crate outside the workspace (run alone,
# cargo would build it in examples/aws-sdk-pq/target).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
target_dir="$CARGO_TARGET_DIR"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# Outside the workspace, so `cargo fmt --all` (10-fmt) does not see it.
(cd examples/aws-sdk-pq && cargo fmt --check)

t0=$(date +%s)
cargo build --locked -q --manifest-path examples/aws-sdk-pq/Cargo.toml
echo "aws-sdk-pq: built in $(( $(date +%s) - t0 ))s"

rc=0
timeout 120 "$target_dir/debug/pqhkex-aws-sdk-pq" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || { echo "aws-sdk-pq exited $rc"; exit 1; }

expect() { # $1: a grep -E pattern that must match a whole line of the output
    grep -Eqx "$1" "$out" || { echo "missing from the output: $1"; exit 1; }
}
expect 'client: GenerateRandom returned 32 bytes: [0-9a-f]{64}'
expect 'client: observed: key exchange #[0-9]+ completed X25519MLKEM768, client, no HelloRetryRequest, pqhkex code'
expect 'client: negotiated group: X25519MLKEM768'
expect 'client: TLS connection: group=X25519MLKEM768 \(hybrid post-quantum\) version=TLSv1_3 .*'
expect 'pq server: TLS connection: group=X25519MLKEM768 \(hybrid post-quantum\) version=TLSv1_3 .*'
# Explained by Policy::explain_error: the server's handshake_failure alert, which the
# client cannot prove was about key exchange, so the explanation says what it may mean.
expect 'client: classical endpoint refused, as required: TLS handshake failed: .*handshake_failure.*post-quantum.*'
# Refused once: a policy refusal is final, the SDK must not retry it (the server counts
# the ClientHellos it received).
expect 'client: handshakes attempted with the classical endpoint: 1'
echo "aws-sdk-pq: ok"
