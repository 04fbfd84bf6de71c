#!/usr/bin/env bash
# Supply chain (issue #23): what an SDK that adds pqhkex meets in its own cargo-deny /
# cargo-audit run, checked here first, offline, against the RustSec advisory snapshot in
# ../shared/advisory-db.tar.gz (see ../shared/advisory-db.README).
# 1. Every committed Cargo.lock is current (`cargo fetch --locked`: a stale one fails here;
#    the build steps pass --locked too, so none is ever rewritten by CI).
# 2. cargo-deny with deny.toml (the policy and every exception, with its reason):
#    the graph an SDK inherits (pqhkex and pqhkex-inventory, all features, no
#    dev-dependencies): advisories, bans (duplicate versions), licences, sources; then the
#    whole workspace with the test peers and the CLI: advisories, licences, sources.
# 3. cargo-audit on every committed Cargo.lock (workspace, tests/consumer-defaults, ct,
#    fuzz); warnings (unmaintained, unsound) fail too.
# Any finding not explained in deny.toml (or below, for the test-only harness ct/) fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TARGET_DIR="$target"
snapshot=../shared/advisory-db.tar.gz
[ -f "$snapshot" ] || { echo "supply-chain: $snapshot is missing (../shared)"; exit 1; }

# --- Tools: versions that build with the machine's toolchain (both need Rust >= 1.88)
# and read the snapshot's format (CVSS 4.0 entries included). Installed once into
# ~/.cargo/bin, built outside the main target directory.
DENY_VERSION=0.20.2
AUDIT_VERSION=0.22.2
installed_version() { # $1: cargo subcommand; prints the version it reports, or nothing
    cargo "$1" --version 2>/dev/null | awk '{print $NF}' || true
}
if [ "$(installed_version deny)" != "$DENY_VERSION" ]; then
    env -u CARGO_TARGET_DIR cargo install --locked cargo-deny --version "$DENY_VERSION"
fi
if [ "$(installed_version audit)" != "$AUDIT_VERSION" ]; then
    env -u CARGO_TARGET_DIR cargo install --locked cargo-audit --version "$AUDIT_VERSION"
fi
echo "supply-chain: cargo-deny $(installed_version deny), cargo-audit $(installed_version audit)"

# --- 1. Committed lock files are current (and their crates are in the local cache, which
# the offline checks below need).
lockfiles=(Cargo.lock tests/consumer-defaults/Cargo.lock ct/Cargo.lock fuzz/Cargo.lock scripts/fips/Cargo.lock examples/aws-sdk-pq/Cargo.lock)
for lock in "${lockfiles[@]}"; do
    if ! cargo fetch --locked -q --manifest-path "$(dirname "$lock")/Cargo.toml"; then
        echo "supply-chain: $lock is not current (run cargo in $(dirname "$lock") and commit the lock file)"
        exit 1
    fi
done
echo "supply-chain: ${#lockfiles[@]} lock files current"

# --- The advisory snapshot, unpacked as a git repository (as its README says) where
# deny.toml's db-path and db-urls make cargo-deny look for it. Re-unpacked only when the
# tarball changes.
db_root="$target/advisory-dbs"
db="$db_root/advisory-db-3157b0e258782691"
sum=$(sha256sum "$snapshot" | cut -d' ' -f1)
if [ "$(cat "$db_root/snapshot.sha256" 2>/dev/null)" != "$sum" ] || [ ! -d "$db/.git" ]; then
    rm -rf "$db" "$db_root/advisory-db" "$db_root/snapshot.sha256"
    mkdir -p "$db_root"
    tar xzf "$snapshot" -C "$db_root"
    mv "$db_root/advisory-db" "$db"
    git -C "$db" init -q
    git -C "$db" add -A
    git -C "$db" -c user.name=ci -c user.email=ci@localhost -c commit.gpgsign=false commit -qm snapshot
    echo "$sum" >"$db_root/snapshot.sha256"
fi
echo "supply-chain: advisory snapshot: $(head -n 1 ../shared/advisory-db.README 2>/dev/null || echo "sha256 $sum")"
echo "supply-chain: $(find "$db/crates" "$db/rust" -name '*.md' | wc -l) advisories in the snapshot"

# --- 2. cargo-deny (--offline: no advisory fetch, no index update; --locked).
echo "supply-chain: cargo-deny, the graph an SDK inherits (pqhkex, pqhkex-inventory; no dev-dependencies)"
cargo deny --color never --offline --locked --workspace --exclude-dev --exclude-unpublished \
    check --show-stats advisories bans licenses sources
echo "supply-chain: cargo-deny, the whole workspace (CLI, test and benchmark peers)"
cargo deny --color never --offline --locked --workspace \
    check --show-stats advisories licenses sources

# --- 3. cargo-audit on every lock file. The advisories deny.toml ignores (each with its
# reason there) are ignored here too.
ignored=$(sed -n 's/^ *{ *id *= *"\(RUSTSEC-[0-9]*-[0-9]*\)".*/\1/p' deny.toml)
# ct/ only (the constant-time harness: publish = false, its own workspace, run on Linux CI
# machines, never a dependency of anything): dudect-bencher 0.7.0, the newest release,
# parses its command line with clap 2.34, which brings
#   RUSTSEC-2021-0139  ansi_term 0.12.1 unmaintained
#   RUSTSEC-2024-0375  atty 0.2.14 unmaintained
#   RUSTSEC-2021-0145  atty 0.2.14 unsound: an unaligned read on Windows only
# None is reachable from pqhkex's code or from any build an SDK makes.
ct_ignored="RUSTSEC-2021-0139 RUSTSEC-2024-0375 RUSTSEC-2021-0145"
echo "supply-chain: ignored (reasons in deny.toml):" $ignored "; in ct/ also:" $ct_ignored
fail=0
for lock in "${lockfiles[@]}"; do
    ids=$ignored
    [ "$lock" = ct/Cargo.lock ] && ids="$ids $ct_ignored"
    flags=()
    for id in $ids; do flags+=(--ignore "$id"); done
    echo "supply-chain: cargo-audit $lock"
    # --no-yanked: yanked status comes from the crates.io index, not from the snapshot
    # (cargo-deny checks it for the workspace from cargo's local index cache).
    if ! cargo audit --color never --quiet --db "$db" --no-fetch --stale --no-yanked \
        --deny warnings --file "$lock" "${flags[@]}"; then
        echo "supply-chain: cargo-audit $lock FAILED"
        fail=1
    fi
done
[ "$fail" -eq 0 ] || exit 1
echo "supply-chain: no unexplained advisory, duplicate, licence or source"
