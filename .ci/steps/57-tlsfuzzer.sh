#!/usr/bin/env bash
# Red Hat's TLS conformance suite (tlsfuzzer, a copy in ../shared/tlsfuzzer) against
# `pqhkex serve`, on its default policy path and with --tls 1.2,1.3 (the explicit-list
# path): test_no_mlkem_in_old_tls (a TLS 1.2 ClientHello listing ML-KEM groups gets TLS
# 1.2 on a classical group, or handshake_failure when it lists nothing else) and
# test_tls13_mlkem (the hybrid and pure ML-KEM groups, malformed shares and their alerts).
set -euo pipefail
cd "$(dirname "$0")/../.."
suite=../shared/tlsfuzzer
[ -f "$suite/run_app.py" ] || { echo "tlsfuzzer: $suite/run_app.py is missing (../shared)"; exit 1; }
target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/tlsfuzzer-venv"
if [ ! -x "$venv/bin/python" ]; then
    command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null || {
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv
    }
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "tlslite-ng==0.9.0b2" ecdsa kyber-py
fi
command -v openssl >/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends openssl
}
cargo build --locked -q -p pqhkex-cli --bin pqhkex
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# The TLS 1.2 script needs an RSA certificate (it offers ECDHE_RSA suites).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null
fail=0
for mode in default "--tls 1.2,1.3"; do
    args=()
    [ "$mode" = default ] || read -r -a args <<<"$mode"
    "$target/debug/pqhkex" serve --port 0 --cert "$work/cert.pem" --key "$work/key.pem" \
        --quiet "${args[@]}" >"$work/serve.out" 2>&1 &
    pid=$!
    port=""
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$work/serve.out" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$work/serve.out"; echo "tlsfuzzer: pqhkex serve did not start"; exit 1; }
    for script in "test_no_mlkem_in_old_tls -d -M -C TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" \
        "test_tls13_mlkem"; do
        read -r -a cmd <<<"$script"
        echo "tlsfuzzer: ${cmd[0]} against pqhkex serve ($mode)"
        if ! timeout 900 "$venv/bin/python" "$suite/run_app.py" "${cmd[@]}" -p "$port" >"$work/out" 2>&1; then
            tail -n 40 "$work/out"
            echo "tlsfuzzer: ${cmd[0]} ($mode) FAILED"
            fail=1
        fi
        grep -E '^(PASS|FAIL|XFAIL): ' "$work/out" | tr '\n' ' '
        echo
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
done
exit "$fail"
