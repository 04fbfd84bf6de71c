//! The X25519 function (RFC 7748 §5) computed in Curve25519's twisted Edwards form.
//!
//! `X25519(k, u)` is the u-coordinate of `[clamp(k)]·P` for either point `P` with that
//! u-coordinate; which one does not matter, as `[k](−P) = −[k]P` has the same u. For a
//! u-coordinate on the curve, pqhkex maps `P` to the birationally equivalent Edwards
//! curve (RFC 7748 §4.1: `y = (u − 1)/(u + 1)`), multiplies there, and maps back. That
//! runs curve25519-dalek's Edwards scalar multiplication, which uses its AVX2 backend
//! when the CPU has one; the Montgomery ladder (what `x25519-dalek` runs) has only
//! serial field arithmetic. A u-coordinate on the quadratic twist (no Edwards point;
//! only ever sent by a misbehaving peer) goes through the ladder, so the function is
//! defined on all 2^255 inputs exactly as RFC 7748 defines it. No field arithmetic is
//! written here: both paths are curve25519-dalek's.
//!
//! Timing: both multiplications are constant-time in the scalar. Which path runs depends
//! only on the peer's public u-coordinate, which an observer already has.
//!
//! The tests below check it against the ladder on random curve and twist points, the
//! low-order points and non-canonical encodings; the RFC 7748 vectors
//! (`tests/kat_rfc7748.rs`) run through it via `hazmat`.

use curve25519_dalek::montgomery::MontgomeryPoint;
use zeroize::{Zeroize, Zeroizing};

/// RFC 7748 §5: `X25519(k, u)` for the 32-byte scalar `k` (clamped here, as §5 decodes
/// scalars) and the 32-byte u-coordinate `u` (top bit masked, non-canonical values
/// reduced, as §5 requires). May return all zeros (low-order `u`): the caller checks.
pub(crate) fn x25519(k: &[u8; 32], u: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let point = MontgomeryPoint(*u);
    let mut shared = match point.to_edwards(0) {
        Some(edwards) => edwards.mul_clamped(*k).to_montgomery(),
        None => point.mul_clamped(*k),
    };
    let out = Zeroizing::new(shared.0);
    shared.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::x25519;
    use curve25519_dalek::montgomery::MontgomeryPoint;
    use x25519_dalek::{PublicKey, StaticSecret};

    /// x25519-dalek's Montgomery ladder: the reference.
    fn ladder(k: &[u8; 32], u: &[u8; 32]) -> [u8; 32] {
        StaticSecret::from(*k)
            .diffie_hellman(&PublicKey::from(*u))
            .to_bytes()
    }

    fn random<const N: usize>() -> [u8; N] {
        let mut b = [0u8; N];
        getrandom::fill(&mut b).unwrap();
        b
    }

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn matches_the_ladder_on_random_curve_and_twist_points() {
        let (mut curve, mut twist) = (0, 0);
        for _ in 0..3000 {
            let (k, u) = (random::<32>(), random::<32>());
            if MontgomeryPoint(u).to_edwards(0).is_some() {
                curve += 1;
            } else {
                twist += 1;
            }
            assert_eq!(*x25519(&k, &u), ladder(&k, &u), "k={k:02x?} u={u:02x?}");
        }
        // About half of all u-coordinates are on the twist: both paths ran.
        assert!(curve > 1000 && twist > 1000, "curve {curve}, twist {twist}");
    }

    #[test]
    fn matches_the_ladder_on_public_keys() {
        for _ in 0..500 {
            let (k, peer) = (random::<32>(), random::<32>());
            let u = PublicKey::from(&StaticSecret::from(peer)).to_bytes();
            assert_eq!(*x25519(&k, &u), ladder(&k, &u));
        }
    }

    #[test]
    fn low_order_and_non_canonical_points() {
        // The u-coordinates of the points of order 1, 2, 4, 8 (and p - 1, p, p + 1), in
        // canonical form and with the top bit set (RFC 7748 §5: masked, then used).
        let special = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ];
        for s in special {
            for top in [0u8, 0x80] {
                let mut u = hex32(s);
                u[31] |= top;
                for _ in 0..20 {
                    let k = random::<32>();
                    let out = *x25519(&k, &u);
                    assert_eq!(out, ladder(&k, &u), "u={s} top={top:#x}");
                }
            }
        }
        // Every non-canonical encoding p + i (i < 19) of the field element i.
        for i in 0u8..19 {
            let mut u = hex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
            u[0] += i; // 0xed + 18 = 0xff: no carry.
            let k = random::<32>();
            assert_eq!(*x25519(&k, &u), ladder(&k, &u), "p + {i}");
            let mut canonical = [0u8; 32];
            canonical[0] = i;
            assert_eq!(*x25519(&k, &u), *x25519(&k, &canonical), "p + {i} vs {i}");
        }
    }

    #[test]
    fn rfc7748_section_5_2_vector() {
        let k = hex32("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        let u = hex32("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        let out = hex32("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
        assert_eq!(*x25519(&k, &u), out);
    }
}
