//! Primitives: ML-KEM-512/768/1024 key generation, encapsulation and decapsulation;
//! X25519, P-256 and P-384 key generation and Diffie-Hellman. pqhkex's rows go through
//! `pqhkex::hazmat` on the one-component groups, so they time exactly the code the TLS
//! groups run (peer-input checks included); the `aws-lc-rs` rows are the incumbent,
//! called directly.
//!
//! The `candidates` group times the alternatives measured while choosing pqhkex's
//! components (see BENCHMARKS.md, "What was tried").
//!
//! `cargo bench --bench primitives`.

use aws_lc_rs::{agreement, kem};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use pqhkex::{groups, hazmat, Group};

mod support;

/// pqhkex ML-KEM, via the pure ML-KEM groups.
fn pqhkex_mlkem(c: &mut Criterion) {
    let mut g = c.benchmark_group("primitives");
    for (name, group) in [
        ("ML-KEM-512", &groups::MLKEM512),
        ("ML-KEM-768", &groups::MLKEM768),
        ("ML-KEM-1024", &groups::MLKEM1024),
    ] {
        let d = [7u8; 64];
        let m = [9u8; 32];
        g.bench_function(format!("pqhkex/{name}/keygen"), |b| {
            b.iter(|| hazmat::client_start(group, &[&d]).unwrap())
        });
        let client = hazmat::client_start(group, &[&d]).unwrap();
        g.bench_function(format!("pqhkex/{name}/encaps"), |b| {
            b.iter(|| hazmat::server_encapsulate(group, client.share(), &[&m]).unwrap())
        });
        let (ct, ss) = hazmat::server_encapsulate(group, client.share(), &[&m]).unwrap();
        assert_eq!(&client.complete(&ct).unwrap()[..], &ss[..]);
        g.bench_function(format!("pqhkex/{name}/decaps"), |b| {
            b.iter(|| client.complete(&ct).unwrap())
        });
    }
    g.finish();
}

/// pqhkex ECDH, via the classical groups: keygen = scalar to public share; DH = peer
/// share validation and scalar multiplication.
fn pqhkex_ecdh(c: &mut Criterion) {
    let mut g = c.benchmark_group("primitives");
    let cases: [(&str, &'static Group, usize); 3] = [
        ("X25519", &groups::X25519, 32),
        ("P-256", &groups::SECP256R1, 32),
        ("P-384", &groups::SECP384R1, 48),
    ];
    for (name, group, len) in cases {
        let a = vec![0x11u8; len];
        let b_seed = vec![0x22u8; len];
        g.bench_function(format!("pqhkex/{name}/keygen"), |b| {
            b.iter(|| hazmat::client_start(group, &[&a]).unwrap())
        });
        let client = hazmat::client_start(group, &[&a]).unwrap();
        let peer = hazmat::client_start(group, &[&b_seed]).unwrap();
        g.bench_function(format!("pqhkex/{name}/dh"), |b| {
            b.iter(|| client.complete(peer.share()).unwrap())
        });
    }
    g.finish();
}

/// The incumbent: aws-lc-rs directly (what rustls's aws-lc-rs groups call).
fn aws_lc(c: &mut Criterion) {
    let mut g = c.benchmark_group("primitives");
    for (name, alg) in [
        ("ML-KEM-512", &kem::ML_KEM_512),
        ("ML-KEM-768", &kem::ML_KEM_768),
        ("ML-KEM-1024", &kem::ML_KEM_1024),
    ] {
        g.bench_function(format!("aws-lc-rs/{name}/keygen"), |b| {
            b.iter(|| {
                let dk = kem::DecapsulationKey::generate(alg).unwrap();
                let ek = dk.encapsulation_key().unwrap().key_bytes().unwrap();
                (dk, ek.as_ref().to_vec())
            })
        });
        let dk = kem::DecapsulationKey::generate(alg).unwrap();
        let ek = dk.encapsulation_key().unwrap().key_bytes().unwrap();
        let ek = ek.as_ref().to_vec();
        g.bench_function(format!("aws-lc-rs/{name}/encaps"), |b| {
            b.iter(|| {
                kem::EncapsulationKey::new(alg, &ek)
                    .unwrap()
                    .encapsulate()
                    .unwrap()
            })
        });
        let (ct, _) = kem::EncapsulationKey::new(alg, &ek)
            .unwrap()
            .encapsulate()
            .unwrap();
        let ct = ct.as_ref().to_vec();
        g.bench_function(format!("aws-lc-rs/{name}/decaps"), |b| {
            b.iter(|| dk.decapsulate(kem::Ciphertext::from(&ct[..])).unwrap())
        });
    }
    for (name, alg) in [
        ("X25519", &agreement::X25519),
        ("P-256", &agreement::ECDH_P256),
        ("P-384", &agreement::ECDH_P384),
    ] {
        g.bench_function(format!("aws-lc-rs/{name}/keygen"), |b| {
            b.iter(|| {
                let k = agreement::PrivateKey::generate(alg).unwrap();
                let p = k.compute_public_key().unwrap();
                (k, p)
            })
        });
        let mine = agreement::PrivateKey::generate(alg).unwrap();
        let peer = agreement::PrivateKey::generate(alg)
            .unwrap()
            .compute_public_key()
            .unwrap();
        let peer = peer.as_ref().to_vec();
        g.bench_function(format!("aws-lc-rs/{name}/dh"), |b| {
            b.iter(|| {
                agreement::agree(
                    &mine,
                    agreement::UnparsedPublicKey::new(alg, &peer),
                    (),
                    |s| Ok::<_, ()>(s.to_vec()),
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

/// The choices made for pqhkex's components, as interleaved A/B ratios (see
/// `support::paired`): A is what pqhkex runs now, B what it ran before.
fn paired_choices() {
    use libcrux_ml_kem::mlkem768;
    let mut rows = Vec::new();
    let k = [0x11u8; 32];
    let u =
        *x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([0x22u8; 32])).as_bytes();
    let point = curve25519_dalek::MontgomeryPoint(u);
    let (a, b) = support::paired(
        || {
            std::hint::black_box(
                point
                    .to_edwards(0)
                    .map(|e| e.mul_clamped(k).to_montgomery()),
            );
        },
        || {
            std::hint::black_box(point.mul_clamped(k));
        },
        20,
        61,
    );
    rows.push((
        "X25519 dh: Edwards form (curve25519-dalek)".to_string(),
        "X25519 dh: Montgomery ladder (x25519-dalek)".to_string(),
        a,
        b,
    ));
    let pair = mlkem768::generate_key_pair([7u8; 64]);
    let (ct, _) = mlkem768::encapsulate(pair.public_key(), [9u8; 32]);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        use mlkem768::avx2::unpacked as un;
        let kp = un::generate_key_pair([7u8; 64]);
        let (a, b) = support::paired(
            || {
                std::hint::black_box(un::decapsulate(&kp, &ct));
            },
            || {
                std::hint::black_box(mlkem768::decapsulate(pair.private_key(), &ct));
            },
            20,
            61,
        );
        rows.push((
            "ML-KEM-768 decaps: unpacked key (libcrux AVX2)".to_string(),
            "ML-KEM-768 decaps: serialized dk (libcrux)".to_string(),
            a,
            b,
        ));
    }
    // The whole pqhkex group against the incumbent, for reference in the same table.
    let (a, b) = support::paired(
        || {
            let c = pqhkex::rustls::X25519MLKEM768.start().unwrap();
            let s = pqhkex::rustls::X25519MLKEM768
                .start_and_complete(c.pub_key())
                .unwrap();
            std::hint::black_box(c.complete(&s.pub_key).unwrap());
        },
        || {
            let kx = rustls::crypto::aws_lc_rs::kx_group::X25519MLKEM768;
            let c = kx.start().unwrap();
            let s = kx.start_and_complete(c.pub_key()).unwrap();
            std::hint::black_box(c.complete(&s.pub_key).unwrap());
        },
        10,
        61,
    );
    rows.push((
        "X25519MLKEM768 full kx: pqhkex".to_string(),
        "X25519MLKEM768 full kx: rustls aws-lc-rs".to_string(),
        a,
        b,
    ));
    support::write_paired("paired-choices", &rows);
}

/// Alternatives measured while choosing pqhkex's components.
fn candidates(c: &mut Criterion) {
    if support::measuring() {
        paired_choices();
    }
    use libcrux_ml_kem::mlkem768;
    let mut g = c.benchmark_group("candidates");
    // ML-KEM-768: libcrux's serialized-key API (run-time backend choice) vs its
    // "unpacked" key pair, which keeps the decoded, NTT-domain key for decapsulation.
    let pair = mlkem768::generate_key_pair([7u8; 64]);
    let (ct, _) = mlkem768::encapsulate(pair.public_key(), [9u8; 32]);
    g.bench_function("libcrux/ML-KEM-768/keygen", |b| {
        b.iter(|| mlkem768::generate_key_pair([7u8; 64]))
    });
    g.bench_function("libcrux/ML-KEM-768/validate+encaps", |b| {
        b.iter(|| {
            assert!(mlkem768::validate_public_key(pair.public_key()));
            mlkem768::encapsulate(pair.public_key(), [9u8; 32])
        })
    });
    g.bench_function("libcrux/ML-KEM-768/decaps", |b| {
        b.iter(|| mlkem768::decapsulate(pair.private_key(), &ct))
    });
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        use mlkem768::avx2::unpacked as u;
        g.bench_function("libcrux-unpacked-avx2/ML-KEM-768/keygen", |b| {
            b.iter(|| {
                let kp = u::generate_key_pair([7u8; 64]);
                let pk = u::key_pair_serialized_public_key(&kp);
                (kp, pk)
            })
        });
        let kp = u::generate_key_pair([7u8; 64]);
        g.bench_function("libcrux-unpacked-avx2/ML-KEM-768/decaps", |b| {
            b.iter(|| u::decapsulate(&kp, &ct))
        });
        g.bench_function("libcrux-unpacked-avx2/ML-KEM-768/unpack+encaps", |b| {
            b.iter(|| {
                let mut pk = u::init_public_key();
                u::unpacked_public_key(pair.public_key(), &mut pk);
                u::encapsulate(&pk, [9u8; 32])
            })
        });
    }
    // X25519: x25519-dalek (Montgomery ladder on curve25519-dalek's serial field code)
    // against curve25519-dalek's Edwards-form scalar multiplication (AVX2 when present).
    let scalar = [0x11u8; 32];
    let peer = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([0x22u8; 32]));
    g.bench_function("x25519-dalek/X25519/keygen", |b| {
        b.iter_batched(
            || x25519_dalek::StaticSecret::from(scalar),
            |k| x25519_dalek::PublicKey::from(&k),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("x25519-dalek/X25519/dh", |b| {
        let k = x25519_dalek::StaticSecret::from(scalar);
        b.iter(|| k.diffie_hellman(&peer))
    });
    g.bench_function("curve25519-dalek-montgomery/X25519/dh", |b| {
        let p = curve25519_dalek::MontgomeryPoint(*peer.as_bytes());
        b.iter(|| p.mul_clamped(scalar))
    });
    g.bench_function("curve25519-dalek-edwards/X25519/dh", |b| {
        let p = curve25519_dalek::MontgomeryPoint(*peer.as_bytes());
        b.iter(|| {
            p.to_edwards(0)
                .map(|e| e.mul_clamped(scalar).to_montgomery())
        })
    });
    g.bench_function("curve25519-dalek-edwards/X25519/keygen", |b| {
        b.iter(|| curve25519_dalek::EdwardsPoint::mul_base_clamped(scalar).to_montgomery())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = pqhkex_mlkem, pqhkex_ecdh, aws_lc, candidates
}
criterion_main!(benches);
