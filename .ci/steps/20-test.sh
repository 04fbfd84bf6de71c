#!/usr/bin/env bash
# The README's test command (it installs what its peers need from Debian when missing).
set -euo pipefail
./scripts/test
