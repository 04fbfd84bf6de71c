//! Differential test: pqhkex's ML-KEM (libcrux, behind pqhkex's own checks) against
//! the independent RustCrypto `ml-kem` 0.3.4 crate, for ML-KEM-512, -768 and -1024.
//!
//! For 1,000 pseudo-random seeds `d ‖ z` and messages `m` per parameter set (drawn from
//! a SHAKE-128 stream, so a failure is reproducible) both must produce byte-identical
//! `ek`, `dk`, ciphertext and shared secret, the same implicit-rejection secret for a
//! random ciphertext, and must agree on which encapsulation keys are invalid: every
//! iteration also presents a copy of `ek` with one coefficient overwritten by a random
//! 12-bit value (≥ q = 3329 in about a fifth of the cases, which FIPS 203 §7.2 rejects).
#![allow(deprecated)] // ml-kem calls the expanded (FIPS 203 `dk`) encoding deprecated.

mod common;

use ml_kem::array::Array;
use ml_kem::{Decapsulate, ExpandedKeyEncoding, KeyExport};
use pqhkex::{hazmat, Algorithm, Error, KeyShareFault};
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::Shake128;

const ITERATIONS: usize = 1_000;

/// Defines `$oracle_encaps` (the oracle's encapsulation: `None` for a refused key)
/// and `$run` (the differential test) for one parameter set module of `ml-kem`.
macro_rules! differential {
    ($run:ident, $oracle_encaps:ident, $m:ident) => {
        fn $oracle_encaps(ek: &[u8], m: &[u8; 32]) -> Option<(Vec<u8>, Vec<u8>)> {
            let key = Array::try_from(ek).ok()?;
            let ek = ml_kem::$m::EncapsulationKey::new(&key).ok()?;
            let (c, k) = ek.encapsulate_deterministic(&Array::from(*m));
            Some((c.to_vec(), k.to_vec()))
        }

        fn $run(alg: Algorithm) {
            let oracle_encaps = $oracle_encaps;
            let oracle_keygen = |seed: [u8; 64]| ml_kem::$m::DecapsulationKey::from_seed(Array::from(seed));
    let mut rng = Shake128::default()
        .chain(b"pqhkex differential ML-KEM test")
        .chain(alg.name().as_bytes())
        .finalize_xof();
    let (mut valid, mut invalid) = (0usize, 0usize);
    for i in 0..ITERATIONS {
        let mut seed = [0u8; 64];
        let mut m = [0u8; 32];
        let mut random_ct = vec![0u8; alg.reply_len()];
        let mut pick = [0u8; 4];
        rng.read(&mut seed);
        rng.read(&mut m);
        rng.read(&mut random_ct);
        rng.read(&mut pick);

        // Key generation.
        let (dk, ek) = hazmat::keygen(alg, &seed).unwrap();
        let oracle_dk = oracle_keygen(seed);
        let oracle_ek = oracle_dk.encapsulation_key().to_bytes();
        assert_eq!(&ek[..], &oracle_ek[..], "{alg} iteration {i}: ek");
        assert_eq!(
            &dk[..],
            &oracle_dk.to_expanded_bytes()[..],
            "{alg} iteration {i}: dk"
        );

        // Encapsulation and decapsulation.
        let (c, k) = hazmat::encapsulate(alg, &ek, &m).unwrap();
        let (oc, ok) = oracle_encaps(&ek, &m).expect("oracle refused a valid ek");
        assert_eq!(c, oc, "{alg} iteration {i}: ciphertext");
        assert_eq!(&k[..], &ok[..], "{alg} iteration {i}: shared secret");
        let oracle_ct = Array::try_from(&c[..]).unwrap();
        let ok_dec = oracle_dk.decapsulate(&oracle_ct);
        let k_dec = hazmat::decapsulate(alg, &dk, &c).unwrap();
        assert_eq!(&k_dec[..], &ok_dec[..], "{alg} iteration {i}: Decaps");
        assert_eq!(&k_dec[..], &k[..], "{alg} iteration {i}: round trip");
        assert_eq!(
            common::decapsulate_on_backend(alg, &seed, &c),
            &ok_dec[..],
            "{alg} iteration {i}: Decaps on the selected backend"
        );

        // Implicit rejection of a random ciphertext.
        let oracle_random_ct = Array::try_from(&random_ct[..]).unwrap();
        let rejected = hazmat::decapsulate(alg, &dk, &random_ct).unwrap();
        assert_eq!(
            &rejected[..],
            &oracle_dk.decapsulate(&oracle_random_ct)[..],
            "{alg} iteration {i}: implicit rejection"
        );
        assert_eq!(
            common::decapsulate_on_backend(alg, &seed, &random_ct),
            &rejected[..],
            "{alg} iteration {i}: implicit rejection on the selected backend"
        );

        // One coefficient of t̂ overwritten by a random 12-bit value (ByteEncode12 packs
        // two coefficients into three bytes, FIPS 203 Algorithm 5).
        let coefficients = (alg.public_len() - 32) / 3 * 2;
        let index = (u16::from_le_bytes([pick[0], pick[1]]) as usize) % coefficients;
        let value = u16::from_le_bytes([pick[2], pick[3]]) & 0x0fff;
        let mut bad = ek.clone();
        common::set_ek_coefficient(&mut bad, index, value);
        let ours = hazmat::encapsulate(alg, &bad, &m);
        let theirs = oracle_encaps(&bad, &m);
        match (&ours, &theirs) {
            (Ok((c, k)), Some((oc, ok))) => {
                assert!(value < 3329, "{alg} iteration {i}: {value} accepted");
                assert_eq!((c, &k[..]), (oc, &ok[..]), "{alg} iteration {i}");
                valid += 1;
            }
            (Err(e), None) => {
                assert!(value >= 3329, "{alg} iteration {i}: {value} refused");
                assert!(
                    matches!(
                        e,
                        Error::InvalidKeyShare {
                            fault: KeyShareFault::EncapsulationKeyNotReduced,
                            ..
                        }
                    ),
                    "{e:?}"
                );
                invalid += 1;
            }
            _ => panic!(
                "{alg} iteration {i}: pqhkex {:?} but ml-kem {}",
                ours.as_ref().map(|_| "accepted").map_err(|e| e.to_string()),
                if theirs.is_some() { "accepted" } else { "refused" }
            ),
        }
    }
    println!(
        "{alg}: {ITERATIONS} key pairs, encapsulations and decapsulations identical; \
         modified keys: {valid} accepted and {invalid} refused by both"
    );
    assert!(invalid > 0 && valid > 0);
}
    };
}

differential!(run512, oracle_encaps512, ml_kem_512);
differential!(run768, oracle_encaps768, ml_kem_768);
differential!(run1024, oracle_encaps1024, ml_kem_1024);

#[test]
fn differential_mlkem512() {
    run512(Algorithm::MlKem512);
}

#[test]
fn differential_mlkem768() {
    run768(Algorithm::MlKem768);
}

#[test]
fn differential_mlkem1024() {
    run1024(Algorithm::MlKem1024);
}
