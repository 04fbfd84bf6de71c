//! RFC 7748 known answers for X25519, through pqhkex's X25519 component
//! ([`pqhkex::hazmat::decapsulate`] computes `X25519(scalar, u)` with the peer checks;
//! [`pqhkex::hazmat::keygen`] computes `X25519(scalar, 9)`) and through the `x25519`
//! group (`hazmat::client_start` / `server_encapsulate`).

use pqhkex::{groups, hazmat, Algorithm};

fn h32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// X25519(k, u) through the component's decapsulation path.
fn x25519(k: &[u8; 32], u: &[u8; 32]) -> [u8; 32] {
    let out = hazmat::decapsulate(Algorithm::X25519, k, u).unwrap();
    out[..].try_into().unwrap()
}

/// RFC 7748 §5.2: the two single-scalar-multiplication test vectors. The second input
/// u-coordinate has its top bit set, which §5 requires the decoder to mask.
#[test]
fn rfc7748_section_5_2_vectors() {
    let cases = [
        (
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
    ];
    for (k, u, out) in cases {
        assert_eq!(hex::encode(x25519(&h32(k), &h32(u))), out);
        // The same multiplication as a TLS client completing the x25519 group.
        let client = hazmat::client_start(&groups::X25519, &[&h32(k)]).unwrap();
        assert_eq!(hex::encode(client.complete(&h32(u)).unwrap()), out);
    }
}

/// RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret, through the
/// x25519 group: Alice as the client, Bob as the server.
#[test]
fn rfc7748_section_6_1_diffie_hellman() {
    let a = h32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let a_pub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    let b = h32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let b_pub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    assert_eq!(
        hex::encode(hazmat::keygen(Algorithm::X25519, &a).unwrap().1),
        a_pub
    );
    assert_eq!(
        hex::encode(hazmat::keygen(Algorithm::X25519, &b).unwrap().1),
        b_pub
    );

    let alice = hazmat::client_start(&groups::X25519, &[&a]).unwrap();
    assert_eq!(hex::encode(alice.share()), a_pub);
    let (bob_share, bob_secret) =
        hazmat::server_encapsulate(&groups::X25519, alice.share(), &[&b]).unwrap();
    assert_eq!(hex::encode(&bob_share), b_pub);
    assert_eq!(hex::encode(&bob_secret[..]), shared);
    assert_eq!(hex::encode(alice.complete(&bob_share).unwrap()), shared);
}

/// RFC 7748 §5.2 iterated test: k = u = 9; each round sets (k, u) = (X25519(k, u), k).
fn iterate(rounds: usize) -> String {
    let mut k = [0u8; 32];
    k[0] = 9;
    let mut u = k;
    for _ in 0..rounds {
        let next = x25519(&k, &u);
        u = k;
        k = next;
    }
    hex::encode(k)
}

#[test]
fn rfc7748_iterated_1_and_1000() {
    assert_eq!(
        iterate(1),
        "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"
    );
    assert_eq!(
        iterate(1_000),
        "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"
    );
}

/// The 1,000,000-round iteration: minutes of CPU, so run on demand with
/// `cargo test --release --test kat_rfc7748 -- --ignored`.
#[test]
#[ignore = "slow: 1,000,000 X25519 multiplications; run with --ignored"]
fn rfc7748_iterated_1000000() {
    assert_eq!(
        iterate(1_000_000),
        "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424"
    );
}
