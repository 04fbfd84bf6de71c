# Shared by the CI steps that run `pqhkex` against servers of their own (sourced, not
# run): a scratch directory and background processes cleaned up on exit, a Python venv
# under the target directory, free ports and `pqhkex serve` instances.
# Expects: set -euo pipefail, the working directory at the repository root.

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
bin="$target_dir/debug/pqhkex"
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# python_venv DIR IMPORTS PIP-REQUIREMENT...: a venv in DIR in which `import IMPORTS`
# works, made (python3 and its venv module from Debian if missing) only when it does not.
python_venv() {
    local venv=$1 imports=$2
    shift 2
    if "$venv/bin/python" -c "import $imports" 2>/dev/null; then
        return
    fi
    if ! command -v python3 >/dev/null || ! python3 -m venv --help >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$@"
}

# A TCP port on 127.0.0.1 that nothing listens on (bound and released).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server NAME SERVE-OPTIONS...: `pqhkex serve --port 0` in the background, its
# output in $work/NAME.log; prints its port once it listens.
start_server() {
    "$bin" serve --port 0 "${@:2}" >"$work/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/$1.log")
        if [ -n "$port" ]; then echo "$port"; return; fi
        sleep 0.1
    done
    echo "server $1 did not start" >&2; cat "$work/$1.log" >&2; return 1
}

# The OpenSSL 3.6 servers of inventory/examples/surface_peers.rs (built by the caller) in
# the background: sets dual (RSA + ML-DSA-65 certificates), rsa_kx (TLS 1.2 with RSA key
# transport only) and ml_dsa (ML-DSA-65 only) to their HOST:PORT.
start_surface_peers() {
    "$target_dir/debug/examples/surface_peers" >"$work/peers.txt" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        [ "$(grep -c 'server: ' "$work/peers.txt")" -ge 3 ] && break
        sleep 0.1
    done
    peer() { sed -n "s/^$1[^:]*: //p" "$work/peers.txt"; }
    dual=$(peer 'RSA + ML-DSA-65')
    rsa_kx=$(peer 'TLS 1.2 RSA')
    ml_dsa=$(peer 'ML-DSA-65 server')
    if [ -z "$dual" ] || [ -z "$rsa_kx" ] || [ -z "$ml_dsa" ]; then
        echo "surface_peers did not start" >&2; cat "$work/peers.txt" >&2; return 1
    fi
}
