#!/usr/bin/env bash
# Constant-time verification (CONSTANT_TIME.md): valgrind secret tainting and the
# division scan are hard gates; dudect runs too (about two minutes).
set -euo pipefail
missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
{ command -v objdump >/dev/null 2>&1 && command -v addr2line >/dev/null 2>&1; } || missing+=(binutils)
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
./scripts/ct
