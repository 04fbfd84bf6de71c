#!/usr/bin/env bash
# The JUnit XML of `pqhkex scan --require ... --junit` read by a real consumer:
# junitparser (PyPI, what many CI report tools build on), in a venv under target/, and
# xmllint when installed. The scan covers a post-quantum server, a classical-only one, an
# unreachable port and the OpenSSL peers of inventory/examples/surface_peers.rs (RSA +
# ML-DSA-65, TLS 1.2 with RSA key transport, ML-DSA-65 only), against two levels; the
# counts of tests and failures are checked, and `report` must give the same file back
# from the saved --jsonl output.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh
venv="$target_dir/junit-venv"
python_venv "$venv" 'junitparser' 'junitparser>=3,<5'

cargo build --locked -q -p pqhkex-cli
cargo build --locked -q -p pqhkex-inventory --example surface_peers

pq_port=$(start_server pq --quiet --policy require)
classical_port=$(start_server classical --quiet --policy classical)
dead_port=$(free_port)

start_surface_peers

rc=0
"$bin" scan "127.0.0.1:$pq_port" "127.0.0.1:$classical_port" "127.0.0.1:$dead_port" \
    "$dual" "$rsa_kx" "$ml_dsa" --timeout 5 --require pq,pq-auth \
    --junit "$work/scan.xml" --jsonl >"$work/scan.jsonl" 2>"$work/gate.txt" || rc=$?
cat "$work/gate.txt"
[ "$rc" -eq 10 ] || { echo "scan --require exited $rc, expected 10 (policy not met)"; exit 1; }
"$bin" report "$work/scan.jsonl" --require pq,pq-auth --junit "$work/report.xml" 2>/dev/null || rc=$?
[ "$rc" -eq 10 ] || { echo "report --require exited $rc, expected 10"; exit 1; }

if command -v xmllint >/dev/null; then
    xmllint --noout "$work/scan.xml"
fi

"$venv/bin/python" - "$work/scan.xml" "$work/report.xml" "127.0.0.1:$dead_port" "$ml_dsa" <<'PY'
import sys
from junitparser import JUnitXml, Failure, Error

scan, report, dead, ml_dsa = sys.argv[1:]
xml = JUnitXml.fromfile(scan)
suites = {s.name: s for s in xml}
assert sorted(suites) == ["pq", "pq-auth"], sorted(suites)
for name, s in suites.items():
    assert s.tests == 6, (name, s.tests)
    cases = {c.name: c for c in s}
    assert len(cases) == 6 and all(c.classname == name for c in s), cases
    # Nothing passes without evidence: the unreachable target is a failure, typed.
    down = cases[dead].result
    assert len(down) == 1 and isinstance(down[0], Failure) and down[0].type == "undetermined", down
    assert not any(isinstance(r, Error) for c in s for r in c.result)
pq_failed = sorted(c.name for c in suites["pq"] if not c.is_passed)
auth_passed = sorted(c.name for c in suites["pq-auth"] if c.is_passed)
# Key exchange: the classical-only server, the TLS 1.2-only one and the unreachable port.
assert suites["pq"].failures == 3, pq_failed
# Authentication: only the ML-DSA-65-only server signs post-quantum by default.
assert auth_passed == [ml_dsa], auth_passed
assert suites["pq-auth"].failures == 5, suites["pq-auth"].failures
again = JUnitXml.fromfile(report)
assert [(s.name, s.tests, s.failures) for s in again] == [(s.name, s.tests, s.failures) for s in xml]
print(f"JUnit valid (junitparser): {sum(s.tests for s in xml)} test cases, "
      f"{sum(s.failures for s in xml)} failures; report gives the same counts")
PY
