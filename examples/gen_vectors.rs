//! Generates the committed `test-vectors/` corpus: one JSON file per key-exchange group,
//! each with deterministic inputs and pqhkex's outputs, cross-checked while generating
//! against independent implementations:
//!
//! * every ML-KEM component against the RustCrypto `ml-kem` crate (encapsulation key,
//!   ciphertext and shared secret);
//! * every ECDH component (X25519, P-256, P-384) against aws-lc-rs (public keys from the
//!   scalars, and the shared secret).
//!
//! The round-3 Kyber768 component of X25519Kyber768Draft00 has no independent Rust
//! implementation here; it is pinned by `tests/kat_kyber_round3.rs` (the NIST round-3
//! KAT) instead.
//!
//! ```text
//! cargo run --example gen_vectors --all-features            # (re)write test-vectors/*.json
//! cargo run --example gen_vectors --all-features -- --check # verify the files are current
//! ```
//!
//! The inputs come from SHAKE-128("pqhkex test-vectors v1" ‖ group name ‖ index), so
//! regenerating gives byte-identical files. `tests/kat_test_vectors.rs` replays them.
#![allow(deprecated)] // ml-kem calls the expanded (FIPS 203 `dk`) encoding deprecated.

use std::path::PathBuf;

use aws_lc_rs::agreement;
use ml_kem::array::Array;
use pqhkex::{groups, hazmat, Algorithm, Group};
use serde_json::{json, Value};
use sha3::digest::{ExtendableOutput, Update, XofReader};

/// Vectors per group.
const PER_GROUP: u32 = 3;

/// TLS 1.3 handshake secret (RFC 8446 §7.1) over the key-exchange shared secret:
/// HKDF-Extract(salt = Derive-Secret(early_secret, "derived", ""), IKM = shared), with
/// early_secret = HKDF-Extract(0, 0) (no PSK). `$hash` is `Sha256` or `Sha384`.
macro_rules! handshake_secret {
    ($hash:ident, $shared:expr) => {{
        use sha2::Digest;
        let len = sha2::$hash::output_size();
        let zeros = vec![0u8; len];
        let (_, early) = hkdf::Hkdf::<sha2::$hash>::extract(Some(&zeros), &zeros);
        // HkdfLabel { length, "tls13 derived", Hash("") } (RFC 8446 §7.1).
        let label = b"tls13 derived";
        let empty_hash = sha2::$hash::digest(b"");
        let mut info = Vec::new();
        info.extend_from_slice(&(len as u16).to_be_bytes());
        info.push(label.len() as u8);
        info.extend_from_slice(label);
        info.push(empty_hash.len() as u8);
        info.extend_from_slice(&empty_hash);
        let mut derived = vec![0u8; len];
        early.expand(&info, &mut derived).unwrap();
        let (hs, _) = hkdf::Hkdf::<sha2::$hash>::extract(Some(&derived), $shared);
        hs.to_vec()
    }};
}

/// The ML-KEM oracle: `(ek, ct, K)` from the `ml-kem` crate for seed `d ‖ z` and `m`.
fn oracle_mlkem(alg: Algorithm, seed: &[u8], m: &[u8]) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    use ml_kem::KeyExport;
    let seed: [u8; 64] = seed.try_into().ok()?;
    let m: [u8; 32] = m.try_into().ok()?;
    macro_rules! run {
        ($module:ident) => {{
            let dk = ml_kem::$module::DecapsulationKey::from_seed(Array::from(seed));
            let ek = dk.encapsulation_key();
            let (c, k) = ek.encapsulate_deterministic(&Array::from(m));
            Some((ek.to_bytes().to_vec(), c.to_vec(), k.to_vec()))
        }};
    }
    match alg {
        Algorithm::MlKem512 => run!(ml_kem_512),
        Algorithm::MlKem768 => run!(ml_kem_768),
        Algorithm::MlKem1024 => run!(ml_kem_1024),
        _ => None,
    }
}

/// The ECDH oracle: aws-lc-rs's public key for `scalar`, and its agreement with `peer`.
fn oracle_ecdh(alg: Algorithm, scalar: &[u8], peer: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let a = match alg {
        Algorithm::X25519 => &agreement::X25519,
        Algorithm::P256 => &agreement::ECDH_P256,
        Algorithm::P384 => &agreement::ECDH_P384,
        _ => return None,
    };
    let key = agreement::PrivateKey::from_private_key(a, scalar).unwrap();
    let public = key.compute_public_key().unwrap().as_ref().to_vec();
    let secret = agreement::agree(&key, agreement::UnparsedPublicKey::new(a, peer), (), |k| {
        Ok(k.to_vec())
    })
    .unwrap();
    Some((public, secret))
}

/// Draws a usable key-generation seed and encapsulation seed for `alg`.
fn draw(alg: Algorithm, rng: &mut impl XofReader) -> (Vec<u8>, Vec<u8>) {
    loop {
        let mut k = vec![0u8; alg.keygen_seed_len()];
        let mut e = vec![0u8; alg.encaps_seed_len()];
        rng.read(&mut k);
        rng.read(&mut e);
        // An ECDH scalar must lie in [1, n-1]; redraw in the (negligible) other case.
        // (ML-KEM accepts any seed; its encapsulation seed is no key-generation seed.)
        let ecdh = !alg.is_post_quantum();
        if hazmat::keygen(alg, &k).is_ok() && (!ecdh || hazmat::keygen(alg, &e).is_ok()) {
            return (k, e);
        }
    }
}

fn vector(g: &'static Group, index: u32) -> Value {
    let mut rng = sha3::Shake128::default()
        .chain(b"pqhkex test-vectors v1")
        .chain(g.name.as_bytes())
        .chain(index.to_be_bytes())
        .finalize_xof();
    let (client_seeds, server_seeds): (Vec<_>, Vec<_>) =
        g.components.iter().map(|a| draw(*a, &mut rng)).unzip();
    let cs: Vec<&[u8]> = client_seeds.iter().map(|s| &s[..]).collect();
    let ss: Vec<&[u8]> = server_seeds.iter().map(|s| &s[..]).collect();

    let client = hazmat::client_start(g, &cs).unwrap();
    let (server_share, secret) = hazmat::server_encapsulate(g, client.share(), &ss).unwrap();
    assert_eq!(&client.complete(&server_share).unwrap()[..], &secret[..]);

    // Cross-check each component against the independent implementation.
    let (mut co, mut so, mut ko) = (0, 0, 0);
    let mut checked = Vec::new();
    for (i, alg) in g.components.iter().enumerate() {
        let client_part = &client.share()[co..co + alg.public_len()];
        let server_part = &server_share[so..so + alg.reply_len()];
        let secret_part = &secret[ko..ko + alg.secret_len()];
        if let Some((ek, c, k)) = oracle_mlkem(*alg, cs[i], ss[i]) {
            assert_eq!(client_part, &ek[..], "{} #{index}: {alg} ek", g.name);
            assert_eq!(server_part, &c[..], "{} #{index}: {alg} ct", g.name);
            assert_eq!(secret_part, &k[..], "{} #{index}: {alg} K", g.name);
            checked.push(format!("{alg}: ml-kem 0.3.4"));
        } else if let Some((client_pub, k)) = oracle_ecdh(*alg, cs[i], server_part) {
            let (server_pub, k2) = oracle_ecdh(*alg, ss[i], client_part).unwrap();
            assert_eq!(client_part, &client_pub[..], "{} #{index}: {alg}", g.name);
            assert_eq!(server_part, &server_pub[..], "{} #{index}: {alg}", g.name);
            assert_eq!(secret_part, &k[..], "{} #{index}: {alg} secret", g.name);
            assert_eq!(secret_part, &k2[..], "{} #{index}: {alg} secret", g.name);
            checked.push(format!("{alg}: aws-lc-rs"));
        } else {
            checked.push(format!("{alg}: no independent oracle (see README)"));
        }
        co += alg.public_len();
        so += alg.reply_len();
        ko += alg.secret_len();
    }

    let hexes = |v: &[Vec<u8>]| v.iter().map(hex::encode).collect::<Vec<_>>();
    json!({
        "index": index,
        "client_keygen_seeds": hexes(&client_seeds),
        "server_encaps_seeds": hexes(&server_seeds),
        "client_share": hex::encode(client.share()),
        "server_share": hex::encode(&server_share),
        "shared_secret": hex::encode(&secret[..]),
        "handshake_secret_sha256": hex::encode(handshake_secret!(Sha256, &secret)),
        "handshake_secret_sha384": hex::encode(handshake_secret!(Sha384, &secret)),
        "cross_checked": checked,
    })
}

fn file_for(g: &'static Group) -> Value {
    json!({
        "group": g.name,
        "code": format!("0x{:04x}", g.code),
        "spec": g.spec,
        "components": g.components.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "lengths": {
            "client_share": g.client_share_len(),
            "server_share": g.server_share_len(),
            "shared_secret": g.secret_len(),
        },
        "generator": "cargo run --example gen_vectors --all-features (examples/gen_vectors.rs)",
        "inputs": "client_keygen_seeds / server_encaps_seeds: one per component in wire order; \
                   ML-KEM keygen seed = d || z (FIPS 203 Alg. 16), ML-KEM encaps seed = m (Alg. 17), \
                   ECDH seeds = private scalars (X25519 little-endian as in RFC 7748, NIST curves big-endian)",
        "vectors": (0..PER_GROUP).map(|i| vector(g, i)).collect::<Vec<_>>(),
    })
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    if !cfg!(feature = "legacy-kyber") {
        eprintln!("gen_vectors: build with --all-features (the legacy group needs `legacy-kyber`)");
        std::process::exit(2);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors");
    std::fs::create_dir_all(&dir).unwrap();
    let mut stale = 0;
    for g in groups::ALL {
        let text = serde_json::to_string_pretty(&file_for(g)).unwrap() + "\n";
        let path = dir.join(format!("{}.json", g.name));
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(&text) {
                eprintln!("stale or missing: {}", path.display());
                stale += 1;
            }
        } else {
            std::fs::write(&path, text).unwrap();
            println!("wrote {}", path.display());
        }
    }
    if stale > 0 {
        std::process::exit(1);
    }
}
