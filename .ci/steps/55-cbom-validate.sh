#!/usr/bin/env bash
# Validates a CBOM written by `pqhkex scan` against the CycloneDX 1.6 JSON schema with an
# independent validator: cyclonedx-python-lib (PyPI), installed into a venv under target/.
# The scan covers a post-quantum-only, a classical-only and an unreachable endpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh
venv="$target_dir/ci-cbom-venv"
python_venv "$venv" 'cyclonedx.validation.json, jsonschema' 'cyclonedx-python-lib[json-validation]>=11,<12'

cargo build --locked -q -p pqhkex-cli

# ML-KEM-512 is offered by no named policy: listed here so the CBOM has a category-1 asset.
pq_port=$(start_server pq --policy require --groups X25519MLKEM768,SecP256r1MLKEM768,SecP384r1MLKEM1024,MLKEM768,MLKEM1024,MLKEM512)
classical_port=$(start_server classical --policy classical)
dead_port=$(free_port)

# Exit code 3: the unreachable target (documented); anything else is a failure.
# An OpenSSH server that offers mlkem768x25519-sha256 (scripts/fetch-openssh-mlkem: the
# system's if 9.9 or later, else Debian's backports package unpacked under the target
# directory), on a free port with a host key and a configuration of this step's own: an
# SSH endpoint in the same CBOM.
sshd=$(./scripts/fetch-openssh-mlkem)
ssh_port=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh_host_key"
printf 'HostKey %s\nListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes no\n' \
    "$work/ssh_host_key" >"$work/sshd_config"
# Its helper programs, where an unpacked sshd would not find them (OpenSSH 9.8+, 10.0+).
libexec=$(dirname "$(dirname "$sshd")")/lib/openssh
[ -x "$libexec/sshd-session" ] && echo "SshdSessionPath $libexec/sshd-session" >>"$work/sshd_config"
[ -x "$libexec/sshd-auth" ] && echo "SshdAuthPath $libexec/sshd-auth" >>"$work/sshd_config"
mkdir -p /run/sshd
"$sshd" -D -e -f "$work/sshd_config" -p "$ssh_port" 2>"$work/sshd.log" &
pids+=($!)
for _ in $(seq 50); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$ssh_port),1)" 2>/dev/null && break
    sleep 0.1
done

# OpenSSL 3.6 servers (inventory/examples/surface_peers.rs): RSA + ML-DSA-65 certificates,
# TLS 1.2 with RSA key transport only, ML-DSA-65 only: certificate assets in the CBOM.
cargo build -q --locked -p pqhkex-inventory --example surface_peers
start_surface_peers

rc=0
"$bin" scan "localhost:$pq_port" "127.0.0.1:$classical_port" "127.0.0.1:$dead_port" \
    "ssh://127.0.0.1:$ssh_port" "$dual" "$rsa_kx" "$ml_dsa" \
    --cbom "$work/cbom.json" --timeout 5 >"$work/scan.txt" || rc=$?
cat "$work/scan.txt"
[ "$rc" -eq 3 ] || { echo "scan exited $rc, expected 3 (one unreachable target)"; exit 1; }

"$venv/bin/python" - "$work/cbom.json" <<'PY'
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

text = open(sys.argv[1]).read()
validator = JsonStrictValidator(SchemaVersion.V1_6)
error = validator.validate_str(text)
if error is not None:
    sys.exit(f"CBOM is NOT valid CycloneDX 1.6: {error!r}")

# The validator must be able to fail: an invalid primitive is rejected.
bad = json.loads(text)
bad["components"][0]["cryptoProperties"]["algorithmProperties"]["primitive"] = "not-a-primitive"
if validator.validate_str(json.dumps(bad)) is None:
    sys.exit("the validator accepted an invalid CBOM")

bom = json.loads(text)
refs = {c["bom-ref"] for c in bom["components"]} | {s["bom-ref"] for s in bom["services"]}
for d in bom["dependencies"]:
    for r in [d["ref"], *d.get("dependsOn", [])]:
        if r not in refs:
            sys.exit(f"dependency on unknown bom-ref {r}")
levels = {c["name"]: c["cryptoProperties"].get("algorithmProperties", {}).get("nistQuantumSecurityLevel")
          for c in bom["components"]}
assert levels["X25519MLKEM768"] == 3 and levels["SecP384r1MLKEM1024"] == 5, levels
assert levels["MLKEM512"] == 1 and levels["x25519"] == 0, levels
protocols = [c for c in bom["components"] if c["cryptoProperties"]["assetType"] == "protocol"]
assert len(protocols) == 6 and len(bom["services"]) == 7, (protocols, bom["services"])
# Certificates (schema v3 scans): assets with certificateProperties linked from the
# endpoint's protocol, public keys and algorithms with their quantum levels.
certs = {c["name"]: c for c in bom["components"] if c["cryptoProperties"]["assetType"] == "certificate"}
assert {"CN=dual.example", "CN=legacy.example", "CN=mldsa.example"} <= set(certs), sorted(certs)
ml = certs["CN=mldsa.example"]["cryptoProperties"]["certificateProperties"]
assert ml["signatureAlgorithmRef"] == "crypto/signature-algorithm/ML-DSA-65", ml
assert levels["ML-DSA-65"] == 3 and levels["RSA-2048"] == 0, levels
assert levels["sha256WithRSAEncryption"] == 0, levels
keys = {c["bom-ref"]: c for c in bom["components"] if c["cryptoProperties"]["assetType"] == "related-crypto-material"}
assert keys[ml["subjectPublicKeyRef"]]["cryptoProperties"]["relatedCryptoMaterialProperties"]["algorithmRef"] \
    == "crypto/public-key-algorithm/ML-DSA-65", keys
legacy = [p for p in protocols if "legacy.example" in json.dumps(p["cryptoProperties"]["protocolProperties"]["cryptoRefArray"])]
assert len(legacy) == 1, protocols
suites = [s["name"] for s in legacy[0]["cryptoProperties"]["protocolProperties"]["cipherSuites"]]
assert suites == ["TLS_RSA_WITH_AES_128_GCM_SHA256"], suites
ssh = [p for p in protocols if p["cryptoProperties"]["protocolProperties"]["type"] == "ssh"]
assert len(ssh) == 1, protocols
ssh_refs = ssh[0]["cryptoProperties"]["protocolProperties"]["cryptoRefArray"]
assert "crypto/ssh-kex/mlkem768x25519-sha256" in ssh_refs, ssh_refs
assert "crypto/ssh-kex/sntrup761x25519-sha512" in ssh_refs, ssh_refs
assert levels["mlkem768x25519-sha256"] == 3, levels
ssh_props = {p["name"]: p["value"] for p in ssh[0].get("properties", [])}
assert ssh_props.get("pqhkex:pq-verification") == "verified", ssh_props
assert "crypto/ssh-kex/curve25519-sha256" in ssh_refs and "crypto/ssh-host-key/ssh-ed25519" in ssh_refs, ssh_refs
assert levels["curve25519-sha256"] == 0 and levels["ssh-ed25519"] == 0, levels
print(f"CBOM valid (CycloneDX 1.6): {len(bom['components'])} components, "
      f"{len(bom['services'])} services, {len(bom['dependencies'])} dependencies")
PY
