#!/usr/bin/env bash
# Make sure rustfmt and clippy exist (they ship with the machine's toolchain; add them if not),
# and the C toolchain the `boring` crate needs to build BoringSSL from its vendored source
# for interop-boring/ (cmake; clang and libclang for bindgen), from Debian when missing.
set -euo pipefail
for c in rustfmt clippy; do
    if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$c"
    fi
done

have_libclang() {
    ldconfig -p 2>/dev/null | grep -q 'libclang[-.0-9]*\.so' ||
        compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null
}
if ! command -v cmake >/dev/null 2>&1 || ! command -v clang >/dev/null 2>&1 || ! have_libclang; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends cmake clang libclang-dev
fi
cargo --version
cmake --version | head -n 1
clang --version | head -n 1
