//! The group table against the facts of RFC 10024 / draft-ietf-tls-ecdhe-mlkem,
//! draft-ietf-tls-mlkem and draft-tls-westerbaan-xyber768d00, written out by hand.

use pqhkex::{groups, Algorithm, Kind};

/// (name, code, components in wire order, client share, server share, secret length)
type Row = (&'static str, u16, &'static [Algorithm], usize, usize, usize);

#[test]
fn table_matches_the_specs() {
    use Algorithm::*;
    // (name, code, components in wire order, client share, server share, secret)
    let expected: &[Row] = &[
        (
            "X25519MLKEM768",
            0x11ec,
            &[MlKem768, X25519],
            1184 + 32,
            1088 + 32,
            64,
        ),
        (
            "SecP256r1MLKEM768",
            0x11eb,
            &[P256, MlKem768],
            65 + 1184,
            65 + 1088,
            64,
        ),
        (
            "SecP384r1MLKEM1024",
            0x11ed,
            &[P384, MlKem1024],
            97 + 1568,
            97 + 1568,
            80,
        ),
        ("MLKEM512", 0x0200, &[MlKem512], 800, 768, 32),
        ("MLKEM768", 0x0201, &[MlKem768], 1184, 1088, 32),
        ("MLKEM1024", 0x0202, &[MlKem1024], 1568, 1568, 32),
        #[cfg(feature = "legacy-kyber")]
        (
            "X25519Kyber768Draft00",
            0x6399,
            &[X25519, Kyber768],
            32 + 1184,
            32 + 1088,
            64,
        ),
        ("x25519", 0x001d, &[X25519], 32, 32, 32),
        ("secp256r1", 0x0017, &[P256], 65, 65, 32),
        ("secp384r1", 0x0018, &[P384], 97, 97, 48),
    ];
    assert_eq!(groups::ALL.len(), expected.len());
    for (name, code, comps, cs, ss, sec) in expected {
        let g = groups::by_code(*code).unwrap();
        assert_eq!(g.name, *name);
        assert_eq!(g.components, *comps, "{name}");
        assert_eq!(g.client_share_len(), *cs, "{name}");
        assert_eq!(g.server_share_len(), *ss, "{name}");
        assert_eq!(g.secret_len(), *sec, "{name}");
        assert_eq!(groups::by_name(name).unwrap().code, *code);
        let kx = pqhkex::rustls::kx_group(g);
        assert_eq!(u16::from(kx.name()), *code, "{name}: rustls codepoint");
    }
}

#[test]
fn kinds_and_categories() {
    let k = |n: &str| groups::by_name(n).unwrap();
    assert_eq!(k("X25519MLKEM768").kind(), Kind::Hybrid);
    assert_eq!(k("MLKEM1024").kind(), Kind::PostQuantum);
    assert_eq!(k("secp384r1").kind(), Kind::Classical);
    assert_eq!(k("SecP384r1MLKEM1024").nist_category(), Some(5));
    assert_eq!(k("MLKEM512").nist_category(), Some(1));
    assert_eq!(k("x25519").nist_category(), None);
    assert_eq!(
        k("X25519MLKEM768").classical_component(),
        Some((1, pqhkex::Algorithm::X25519))
    );
    assert_eq!(
        k("SecP256r1MLKEM768").classical_component(),
        Some((0, pqhkex::Algorithm::P256))
    );
    assert!(k("x25519").tls12_allowed() && !k("MLKEM768").tls12_allowed());
    assert!(groups::by_name("nonsense").is_none());
}

#[test]
fn rustls_has_no_variant_for_0x11ed_and_it_still_round_trips() {
    let g = pqhkex::rustls::SECP384R1MLKEM1024;
    assert_eq!(g.name(), rustls::NamedGroup::Unknown(0x11ed));
    assert_eq!(rustls::NamedGroup::from(0x11ed_u16), g.name());
}
