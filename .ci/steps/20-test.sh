#!/usr/bin/env bash
# The README's test command.
set -euo pipefail
# ssh-probe/tests/openssh.rs runs the system OpenSSH server (/usr/sbin/sshd, as root);
# without it that test fails on purpose (PQHKEX_SKIP_SSHD=1 skips it).
if [ ! -x /usr/sbin/sshd ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends openssh-server openssh-client
fi
./scripts/test
