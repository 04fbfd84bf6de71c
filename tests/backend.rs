//! The component backend that runs the TLS path in this process (graviola, aws-lc or
//! pure Rust; `PQHKEX_BACKEND` forces one under the `hazmat` feature), checked against
//! independent implementations through the fresh-randomness path rustls takes.
//!
//! Fresh keys and encapsulations never take a seed, so the known-answer suites cannot
//! reach them: every operation is checked here against the RustCrypto `ml-kem` crate
//! (the oracle of tests/kat_differential_mlkem.rs) and against pqhkex's own seeded path,
//! in both directions, with implicit rejection and the FIPS 203 §7.2 modulus check; fresh
//! ECDH keys are checked against x25519-dalek, p256 and p384. `scripts/test` runs this
//! file once per backend the machine supports.
#![allow(deprecated)] // ml-kem calls the expanded (FIPS 203 `dk`) encoding deprecated.

mod common;

use ml_kem::array::Array;
use ml_kem::{Decapsulate, ExpandedKeyEncoding, KeyExport};
use pqhkex::{hazmat, Algorithm, Backend};
use rustls::crypto::SupportedKxGroup;
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::Shake128;

const ITERATIONS: usize = 100;

/// The backend each algorithm runs on is the one asked for: a backend forced by
/// `PQHKEX_BACKEND` runs everything it covers (a fallback must never pass as coverage of
/// it), and without it the preferred available backend does.
#[test]
fn the_expected_backend_runs() {
    let forced = std::env::var("PQHKEX_BACKEND").ok();
    let expected_for = |alg: Algorithm| -> Backend {
        let preferred: &[Backend] = match forced.as_deref() {
            Some(name) => &[Backend::from_name(name).expect("PQHKEX_BACKEND names a backend")],
            None if cfg!(feature = "aws-lc-rs-backend") => &[Backend::AwsLcRs, Backend::Graviola],
            None => &[Backend::Graviola],
        };
        preferred
            .iter()
            .copied()
            .find(|b| b.covers(alg) && b.is_available())
            .unwrap_or(Backend::PureRust)
    };
    if let Some(name) = forced.as_deref() {
        let b = Backend::from_name(name).unwrap();
        assert!(
            b.is_available(),
            "PQHKEX_BACKEND={name}, but it cannot run here"
        );
        assert_eq!(b.to_string(), name);
    }
    for alg in Algorithm::ALL.iter().copied() {
        let expected = expected_for(alg);
        assert_eq!(Backend::for_algorithm(alg), expected, "{alg}");
        // The rustls path really generates its keys there (seeded keys too, except
        // aws-lc's ML-KEM, which cannot take a seed and falls back to pure Rust).
        let group = pqhkex::groups::ALL.iter().find(|g| g.components == [alg]);
        if let Some(group) = group {
            let seed = vec![1u8; alg.keygen_seed_len()];
            let client = hazmat::client_start(group, &[&seed]).unwrap();
            assert_eq!(
                client.backend(0),
                Some(common::seeded_backend(alg)),
                "{alg} seeded"
            );
        }
    }
    if std::env::var_os("PQHKEX_EXPECT_GRAVIOLA").is_some() {
        // Set by scripts/test on x86_64 CI machines, which must have graviola's features.
        assert!(
            Backend::Graviola.is_available(),
            "graviola should run on this CPU"
        );
    }
}

/// Checks one ML-KEM group both ways against `ml-kem` and the seeded libcrux path.
macro_rules! mlkem_against_oracle {
    ($test:ident, $m:ident, $kx:expr, $alg:expr) => {
        #[test]
        fn $test() {
            let (kx, alg): (&dyn SupportedKxGroup, Algorithm) = ($kx, $alg);
            let mut rng = Shake128::default()
                .chain(b"pqhkex aws-lc backend test")
                .chain(alg.name().as_bytes())
                .finalize_xof();
            let mut refused = 0;
            for i in 0..ITERATIONS {
                let mut m = [0u8; 32];
                let mut seed = [0u8; 64];
                rng.read(&mut m);
                rng.read(&mut seed);

                // Client on the selected backend: its ek must be a valid FIPS 203 key that the oracle
                // and libcrux accept, and it must decapsulate what they encapsulate.
                let client = kx.start().unwrap();
                let ek = client.pub_key().to_vec();
                assert_eq!(ek.len(), alg.public_len());
                let oracle_ek = ml_kem::$m::EncapsulationKey::new(&Array::try_from(&ek[..]).unwrap())
                    .expect("ml-kem refused a fresh encapsulation key");
                let (oc, ok) = oracle_ek.encapsulate_deterministic(&Array::from(m));
                let (c, k) = hazmat::encapsulate(alg, &ek, &m).unwrap();
                assert_eq!((&c[..], &k[..]), (&oc[..], &ok[..]), "{alg} {i}: libcrux vs ml-kem");
                let got = client.complete(&c).unwrap();
                assert_eq!(got.secret_bytes(), &k[..], "{alg} {i}: fresh-key decapsulation");

                // Implicit rejection (FIPS 203 Algorithm 18): a modified ciphertext of the
                // right length is not an error, and gives some other secret.
                let client2 = kx.start().unwrap();
                let ek2 = client2.pub_key().to_vec();
                let (c2, k2) = hazmat::encapsulate(alg, &ek2, &m).unwrap();
                let mut bad2 = c2.clone();
                let at = i % bad2.len();
                bad2[at] ^= 0x01;
                let r1 = client2.complete(&bad2).unwrap();
                assert_ne!(r1.secret_bytes(), &k2[..], "{alg} {i}: modified ciphertext accepted");
                assert_eq!(r1.secret_bytes().len(), 32);

                // Server on the selected backend, client from a seed (oracle and libcrux): both must
                // recover the secret of its ciphertext.
                let oracle_dk = ml_kem::$m::DecapsulationKey::from_seed(Array::from(seed));
                let oracle_ek = oracle_dk.encapsulation_key().to_bytes();
                let (dk, ek) = hazmat::keygen(alg, &seed).unwrap();
                assert_eq!(&ek[..], &oracle_ek[..]);
                assert_eq!(&dk[..], &oracle_dk.to_expanded_bytes()[..]);
                let server = kx.start_and_complete(&ek).unwrap();
                assert_eq!(server.pub_key.len(), alg.reply_len());
                let ct = Array::try_from(&server.pub_key[..]).unwrap();
                assert_eq!(
                    &oracle_dk.decapsulate(&ct)[..],
                    server.secret.secret_bytes(),
                    "{alg} {i}: fresh encapsulation vs ml-kem"
                );
                assert_eq!(
                    &hazmat::decapsulate(alg, &dk, &server.pub_key).unwrap()[..],
                    server.secret.secret_bytes(),
                    "{alg} {i}: fresh encapsulation vs libcrux"
                );

                // FIPS 203 §7.2 modulus check on the fresh path: one coefficient of t̂
                // overwritten by a random 12-bit value (≥ q = 3329 about a fifth of the
                // time). The backend must refuse exactly the keys the oracle refuses, with the
                // error that becomes illegal_parameter.
                let mut pick = [0u8; 4];
                rng.read(&mut pick);
                let coefficients = (alg.public_len() - 32) / 3 * 2;
                let index = usize::from(u16::from_le_bytes([pick[0], pick[1]])) % coefficients;
                let value = u16::from_le_bytes([pick[2], pick[3]]) & 0x0fff;
                let mut bad = ek.clone();
                common::set_ek_coefficient(&mut bad, index, value);
                let oracle_accepts =
                    ml_kem::$m::EncapsulationKey::new(&Array::try_from(&bad[..]).unwrap()).is_ok();
                assert_eq!(oracle_accepts, value < 3329);
                match kx.start_and_complete(&bad) {
                    Ok(_) => assert!(oracle_accepts, "{alg} {i}: coefficient {value} accepted"),
                    Err(e) => {
                        assert!(!oracle_accepts, "{alg} {i}: coefficient {value} refused");
                        assert_eq!(
                            e,
                            rustls::Error::PeerMisbehaved(
                                rustls::PeerMisbehaved::InvalidKeyShare
                            ),
                            "{alg} {i}"
                        );
                        refused += 1;
                    }
                }
            }
            assert!(refused > 0, "{alg}: no unreduced key drawn");
        }
    };
}

mlkem_against_oracle!(
    mlkem512_against_oracle,
    ml_kem_512,
    pqhkex::rustls::MLKEM512,
    Algorithm::MlKem512
);
mlkem_against_oracle!(
    mlkem768_against_oracle,
    ml_kem_768,
    pqhkex::rustls::MLKEM768,
    Algorithm::MlKem768
);
mlkem_against_oracle!(
    mlkem1024_against_oracle,
    ml_kem_1024,
    pqhkex::rustls::MLKEM1024,
    Algorithm::MlKem1024
);

/// The hybrid: a fresh X25519MLKEM768 client and server agree, and the combined secret
/// is the ML-KEM secret followed by the X25519 secret (RFC 10024 §3.1.4 order), checked
/// with the oracles on the server side.
#[test]
fn x25519mlkem768_against_oracles() {
    let kx = pqhkex::rustls::X25519MLKEM768;
    for i in 0..ITERATIONS {
        let client = kx.start().unwrap();
        let share = client.pub_key().to_vec();
        assert_eq!(share.len(), 1184 + 32);
        // Server side by the oracles: ml-kem encapsulation, x25519-dalek ECDH.
        let m = [i as u8; 32];
        let ek =
            ml_kem::ml_kem_768::EncapsulationKey::new(&Array::try_from(&share[..1184]).unwrap())
                .unwrap();
        let (ct, k_mlkem) = ek.encapsulate_deterministic(&Array::from(m));
        let server_x = x25519_dalek::StaticSecret::from([i as u8 | 1; 32]);
        let mut client_x = [0u8; 32];
        client_x.copy_from_slice(&share[1184..]);
        let k_x = server_x.diffie_hellman(&x25519_dalek::PublicKey::from(client_x));
        let mut reply = ct.to_vec();
        reply.extend_from_slice(x25519_dalek::PublicKey::from(&server_x).as_bytes());
        let mut expected = k_mlkem.to_vec();
        expected.extend_from_slice(k_x.as_bytes());
        assert_eq!(
            client.complete(&reply).unwrap().secret_bytes(),
            &expected[..],
            "{i}"
        );

        // And the backend against itself through rustls's calling pattern.
        let client = kx.start().unwrap();
        let server = kx.start_and_complete(client.pub_key()).unwrap();
        assert_eq!(
            client.complete(&server.pub_key).unwrap().secret_bytes(),
            server.secret.secret_bytes()
        );
    }
}

/// Fresh ECDH keys on the selected backend against RustCrypto's p256/p384 and x25519-dalek.
#[test]
fn ecdh_against_rustcrypto() {
    use p256::elliptic_curve::sec1::ToSec1Point;
    for i in 1..=ITERATIONS as u8 {
        // X25519.
        let client = pqhkex::rustls::X25519.start().unwrap();
        let peer = x25519_dalek::StaticSecret::from([i; 32]);
        let mut pk = [0u8; 32];
        pk.copy_from_slice(client.pub_key());
        let expected = peer.diffie_hellman(&x25519_dalek::PublicKey::from(pk));
        let got = client
            .complete(x25519_dalek::PublicKey::from(&peer).as_bytes())
            .unwrap();
        assert_eq!(got.secret_bytes(), expected.as_bytes());

        // P-256.
        let client = pqhkex::rustls::SECP256R1.start().unwrap();
        assert_eq!(client.pub_key().len(), 65);
        assert_eq!(client.pub_key()[0], 0x04);
        let peer = p256::SecretKey::from_bytes(&[i; 32].into()).unwrap();
        let client_pk = p256::PublicKey::from_sec1_bytes(client.pub_key()).unwrap();
        let expected = p256::ecdh::diffie_hellman(peer.to_nonzero_scalar(), client_pk.as_affine());
        let reply = peer.public_key().as_affine().to_sec1_point(false);
        let got = client.complete(reply.as_bytes()).unwrap();
        assert_eq!(got.secret_bytes(), expected.raw_secret_bytes().as_slice());

        // P-384.
        let client = pqhkex::rustls::SECP384R1.start().unwrap();
        assert_eq!(client.pub_key().len(), 97);
        let peer = p384::SecretKey::from_bytes(&[i; 48].into()).unwrap();
        let client_pk = p384::PublicKey::from_sec1_bytes(client.pub_key()).unwrap();
        let expected = p384::ecdh::diffie_hellman(peer.to_nonzero_scalar(), client_pk.as_affine());
        let reply = peer.public_key().as_affine().to_sec1_point(false);
        let got = client.complete(reply.as_bytes()).unwrap();
        assert_eq!(got.secret_bytes(), expected.raw_secret_bytes().as_slice());
    }
}
