// Control for the clippy half of layer 2 (scripts/ct): the same lint level that
// src/kem/mod.rs and src/hybrid.rs carry must reject this planted secret division.
// scripts/ct compiles this file alone with clippy-driver and expects it to FAIL.
#![deny(clippy::integer_division_remainder_used)]

/// A division by a secret byte (KyberSlash-style).
pub fn planted_secret_division(secret: &[u8]) -> u32 {
    0x0123_4567u32 / (u32::from(secret[0]) | 1)
}
