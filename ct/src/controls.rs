//! Planted leaks: the controls every gate must catch. A gate whose control is not
//! reported fails, because a checker that cannot fail proves nothing.
//!
//! Each function is `#[inline(never)]` and hides its inputs behind
//! [`black_box`](core::hint::black_box) so the optimiser cannot remove the leak
//! (for example by turning a branch into a conditional move).

use core::hint::black_box;

/// A public 256-entry table (a stand-in for an S-box).
static TABLE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).wrapping_mul(167).wrapping_add(13);
        i += 1;
    }
    t
};

#[inline(never)]
fn arm_a(x: u64) -> u64 {
    black_box(x.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

#[inline(never)]
fn arm_b(x: u64) -> u64 {
    black_box(x.rotate_left(17) ^ 0x5555)
}

/// Control 1: a branch on a secret bit (memcheck: "Conditional jump or move depends
/// on uninitialised value(s)").
#[inline(never)]
pub fn planted_secret_branch(secret: &[u8]) -> u64 {
    let s = black_box(secret[0]);
    if s & 1 == 1 {
        arm_a(u64::from(s))
    } else {
        arm_b(u64::from(s))
    }
}

/// Control 2: a table lookup at a secret index (memcheck: "Use of uninitialised
/// value of size 8" for the address).
#[inline(never)]
pub fn planted_secret_index(secret: &[u8]) -> u8 {
    let table = black_box(&TABLE);
    table[usize::from(black_box(secret[0]))]
}

/// Control 3: a byte comparison that returns at the first difference (the classic
/// MAC-check leak).
#[inline(never)]
pub fn planted_early_exit_compare(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    for i in 0..a.len() {
        if black_box(a[i]) != black_box(b[i]) {
            return false;
        }
    }
    true
}

/// Control 4: an integer division by a secret value (KyberSlash). Memcheck does not
/// report this; the division scan of the disassembly must.
#[inline(never)]
pub fn planted_secret_division(secret: &[u8]) -> u32 {
    let numerator = black_box(0x0123_4567u32);
    let divisor = u32::from(black_box(secret[0])) | 1;
    black_box(numerator / divisor)
}

/// Control 5 (dudect): a fixed amount of public work, plus about `extra_rounds`
/// dependent multiply steps more when `leak` is set (a few nanoseconds).
#[inline(never)]
pub fn planted_timing_leak(input: &[u8; 64], leak: bool, extra_rounds: u32) -> u64 {
    let mut acc = 0xcbf2_9ce4_8422_2325u64;
    for &b in input.iter() {
        acc = (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    if black_box(leak) {
        for _ in 0..black_box(extra_rounds) {
            acc = black_box(acc.wrapping_mul(0x0100_0000_01b3) ^ 0x2f);
        }
    }
    acc
}
