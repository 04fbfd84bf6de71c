//! Test-only constant-time harness for pqhkex. See `CONSTANT_TIME.md` at the
//! repository root; `scripts/ct` runs everything.
//!
//! All `unsafe` and inline assembly of the project lives in this crate (the
//! library itself is `#![forbid(unsafe_code)]`):
//!
//! * [`vg`]: valgrind client requests (mark bytes secret / public, count errors),
//!   issued with the amd64 "special instruction" sequence of `valgrind.h`, which
//!   is a no-op when not running under valgrind;
//! * the custom getrandom 0.4 backend (`__getrandom_v03_custom`), which makes all
//!   of pqhkex's operating-system randomness secret for memcheck;
//! * [`controls`]: deliberately leaky functions that every gate must catch.

#![deny(missing_docs)]

pub mod controls;
pub mod vg;

use std::io::Read;

/// getrandom 0.4 custom backend (selected by `--cfg getrandom_backend="custom"` in
/// `ct/.cargo/config.toml`). Fills `dest` from `/dev/urandom`, then marks the bytes
/// undefined so memcheck treats everything derived from them as secret. Outside
/// valgrind the marking is a no-op, so the dudect benchmarks get plain random bytes.
///
/// # Safety
/// getrandom calls this with a valid, writable `dest` of `len` bytes.
#[no_mangle]
unsafe extern "Rust" fn __getrandom_v03_custom(
    dest: *mut u8,
    len: usize,
) -> Result<(), getrandom::Error> {
    // SAFETY: getrandom guarantees `dest` points to `len` writable bytes.
    let buf = unsafe { core::slice::from_raw_parts_mut(dest, len) };
    let mut f = std::fs::File::open("/dev/urandom").map_err(|_| getrandom::Error::UNEXPECTED)?;
    f.read_exact(buf)
        .map_err(|_| getrandom::Error::UNEXPECTED)?;
    vg::taint(buf);
    Ok(())
}
