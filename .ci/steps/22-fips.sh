#!/usr/bin/env bash
# tests/fips.rs in aws-lc's FIPS mode (aws-lc-fips-sys; CMake and Go from Debian), in its
# own target directory: see scripts/fips-test.
set -euo pipefail
cd "$(dirname "$0")/../.."
./scripts/fips-test
