//! The "accumulated" ML-KEM known-answer test (C2SP CCTV, FIPS 203 final), run through
//! pqhkex's own key generation, encapsulation and decapsulation (the
//! [`pqhkex::hazmat`] entry points, i.e. the code the TLS groups run, including the
//! FIPS 203 §7.2 encapsulation-key check and the §7.3 decapsulation-key checks).
//!
//! The input stream is SHAKE-128 of the empty string, read in order. Each iteration
//! reads `d` (32), `z` (32), `m` (32) and a random ciphertext `ct'` of the parameter
//! set's ciphertext length, then computes
//! `(ek, dk) = KeyGen_internal(d, z)`, `(K, c) = Encaps_internal(ek, m)`, checks
//! `Decaps(dk, c) = K`, computes `K' = Decaps(dk, ct')` (implicit rejection) and absorbs
//! `ek ‖ dk ‖ c ‖ K ‖ K'` into a second SHAKE-128, whose first 32 output bytes are
//! compared with the published value. The SHAKE-128 used here is RustCrypto's `sha3`,
//! independent of the ML-KEM implementation under test.

mod common;

use pqhkex::{hazmat, Algorithm};
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::Shake128;

fn accumulated(alg: Algorithm, iterations: usize) -> String {
    let mut input = Shake128::default().finalize_xof();
    let mut acc = Shake128::default();
    let mut seed = [0u8; 64];
    let mut m = [0u8; 32];
    let mut random_ct = vec![0u8; alg.reply_len()];
    for i in 0..iterations {
        input.read(&mut seed);
        input.read(&mut m);
        input.read(&mut random_ct);
        let (dk, ek) = hazmat::keygen(alg, &seed).unwrap();
        let (c, k) = hazmat::encapsulate(alg, &ek, &m).unwrap();
        let k_dec = hazmat::decapsulate(alg, &dk, &c).unwrap();
        assert_eq!(
            &k_dec[..],
            &k[..],
            "{alg} iteration {i}: Decaps(dk, c) != K"
        );
        let k_rej = hazmat::decapsulate(alg, &dk, &random_ct).unwrap();
        // The same key, generated again on the selected backend, decapsulates alike.
        assert_eq!(
            common::decapsulate_on_backend(alg, &seed, &c),
            &k[..],
            "{alg} {i}"
        );
        assert_eq!(
            common::decapsulate_on_backend(alg, &seed, &random_ct),
            &k_rej[..],
            "{alg} {i}"
        );
        acc.update(&ek);
        acc.update(&dk);
        acc.update(&c);
        acc.update(&k);
        acc.update(&k_rej);
    }
    let mut out = [0u8; 32];
    acc.finalize_xof().read(&mut out);
    hex::encode(out)
}

#[test]
fn accumulated_100_mlkem512() {
    assert_eq!(
        accumulated(Algorithm::MlKem512, 100),
        "449120c6e320ef3e9fbfa2316e5f2d2e1e6dd37d8ff5d086d5d2db7d42aff0a1"
    );
}

#[test]
fn accumulated_100_mlkem768() {
    assert_eq!(
        accumulated(Algorithm::MlKem768, 100),
        "8d65b902f28edc683cebee2872962fd165a4d197c9e24ec74caa4470270df0b7"
    );
}

#[test]
fn accumulated_100_mlkem1024() {
    assert_eq!(
        accumulated(Algorithm::MlKem1024, 100),
        "c3ffe9ebecfa479c142656cbfbc6417efa05b77e994fe538eef4daed166363df"
    );
}

#[test]
fn accumulated_10000_mlkem512() {
    assert_eq!(
        accumulated(Algorithm::MlKem512, 10_000),
        "705dcffc87f4e67e35a09dcaa31772e86f3341bd3ccf1e78a5fef99ae6a35a13"
    );
}

#[test]
fn accumulated_10000_mlkem768() {
    assert_eq!(
        accumulated(Algorithm::MlKem768, 10_000),
        "f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1"
    );
}

#[test]
fn accumulated_10000_mlkem1024() {
    assert_eq!(
        accumulated(Algorithm::MlKem1024, 10_000),
        "e3bf82b013307b2e9d47dde791ff6dfc82e694e6382404abdb948b908b75bad5"
    );
}
