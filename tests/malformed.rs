//! Malformed key shares for every group, through the API and inside real handshakes.
//! Each must give `PeerMisbehaved::InvalidKeyShare` (an `illegal_parameter` alert in a
//! handshake), never a panic and never a session.

mod common;

use common::*;
use pqhkex::rustls as pq;
use pqhkex::{groups, hazmat, Algorithm, Error, Group, KeyShareFault};
use rustls::crypto::SupportedKxGroup;

const INVALID: rustls::Error =
    rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::InvalidKeyShare);

/// The length variants every share must be refused in.
fn bad_lengths(len: usize) -> Vec<usize> {
    vec![0, 1, len - 1, len + 1, 2 * len, 65535]
}

fn meta(g: &dyn SupportedKxGroup) -> &'static Group {
    groups::by_code(u16::from(g.name())).unwrap()
}

/// A valid client share for `group` (from a real `start`).
fn client_share(g: &dyn SupportedKxGroup) -> Vec<u8> {
    g.start().unwrap().pub_key().to_vec()
}

/// Byte offset of component `alg` within a client share of `group`.
fn offset_of(group: &Group, alg: Algorithm, client: bool) -> usize {
    let mut off = 0;
    for a in group.components {
        if *a == alg {
            return off;
        }
        off += if client {
            a.public_len()
        } else {
            a.reply_len()
        };
    }
    panic!("{alg} not in {}", group.name)
}

#[test]
fn server_refuses_every_wrong_length() {
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        let m = meta(g);
        for len in bad_lengths(m.client_share_len()) {
            let share = vec![0x04u8; len];
            let err = g
                .start_and_complete(&share)
                .err()
                .unwrap_or_else(|| panic!("{} accepted {len} bytes", m.name));
            assert_eq!(err, INVALID, "{} len {len}", m.name);
        }
    }
}

#[test]
fn client_refuses_every_wrong_length() {
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        let m = meta(g);
        for len in bad_lengths(m.server_share_len()) {
            let kx = g.start().unwrap();
            let share = vec![0x04u8; len];
            let err = kx
                .complete(&share)
                .err()
                .unwrap_or_else(|| panic!("{} accepted {len} bytes", m.name));
            assert_eq!(err, INVALID, "{} len {len}", m.name);
        }
    }
}

#[test]
fn length_errors_name_the_expected_length() {
    let err = hazmat::server_encapsulate(
        &groups::X25519MLKEM768,
        &[0u8; 1215],
        &[&[0u8; 32], &[1u8; 32]],
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidKeyShare {
            what: "X25519MLKEM768",
            fault: KeyShareFault::Length {
                expected: 1216,
                actual: 1215
            }
        }
    );
    assert_eq!(
        err.to_string(),
        "invalid X25519MLKEM768 key share: it is 1215 bytes long, expected 1216"
    );
}

/// Sets the first 12-bit coefficient of an ML-KEM encapsulation key to q = 3329.
fn set_first_coefficient_to_q(ek: &mut [u8]) {
    common::set_ek_coefficient(ek, 0, 3329);
}

#[test]
fn server_refuses_unreduced_encapsulation_keys() {
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        let m = meta(g);
        let Some(alg) = m.components.iter().copied().find(|a| a.is_post_quantum()) else {
            continue;
        };
        let mut share = client_share(g);
        let off = offset_of(m, alg, true);
        // The unmodified share is accepted...
        assert!(g.start_and_complete(&share).is_ok());
        // ...the one with a coefficient equal to q is not.
        set_first_coefficient_to_q(&mut share[off..]);
        assert_eq!(
            g.start_and_complete(&share).err(),
            Some(INVALID),
            "{}",
            m.name
        );
        // The typed error says why.
        let seeds: Vec<Vec<u8>> = m
            .components
            .iter()
            .map(|a| vec![7u8; a.encaps_seed_len()])
            .collect();
        let seeds: Vec<&[u8]> = seeds.iter().map(|s| &s[..]).collect();
        let err = hazmat::server_encapsulate(m, &share, &seeds).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidKeyShare {
                    fault: KeyShareFault::EncapsulationKeyNotReduced,
                    ..
                }
            ),
            "{}: {err}",
            m.name
        );
        // The last coefficient of the last polynomial, too.
        let mut share = client_share(g);
        let ek_len = alg.public_len() - 32; // the encoded t-hat, before rho
        let last = off + ek_len - 3;
        share[last + 1] = (share[last + 1] & 0x0f) | 0xf0; // high coefficient = 0xFFx >= q
        share[last + 2] = 0xff;
        assert_eq!(
            g.start_and_complete(&share).err(),
            Some(INVALID),
            "{} last coefficient",
            m.name
        );
    }
}

fn hex32(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// Low-order and non-canonical X25519 points that yield an all-zero secret (RFC 7748 §6.1).
fn x25519_low_order_points() -> Vec<Vec<u8>> {
    vec![
        vec![0u8; 32],                                                             // 0
        hex32("0100000000000000000000000000000000000000000000000000000000000000"), // 1
        hex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"), // order 8
        hex32("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"), // order 8
        hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p - 1
        hex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p
        hex32("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p + 1
        hex32("0000000000000000000000000000000000000000000000000000000000000080"), // 0, high bit set
    ]
}

fn groups_with(alg: Algorithm) -> Vec<&'static dyn SupportedKxGroup> {
    pq::ALL_KX_GROUPS
        .iter()
        .copied()
        .filter(|g| meta(*g).components.contains(&alg))
        .collect()
}

#[test]
fn x25519_low_order_points_are_refused_both_sides() {
    for g in groups_with(Algorithm::X25519) {
        let m = meta(g);
        let off_c = offset_of(m, Algorithm::X25519, true);
        let off_s = offset_of(m, Algorithm::X25519, false);
        for point in x25519_low_order_points() {
            let mut share = client_share(g);
            share[off_c..off_c + 32].copy_from_slice(&point);
            assert_eq!(
                g.start_and_complete(&share).err(),
                Some(INVALID),
                "{} server, point {}",
                m.name,
                hex::encode(&point)
            );

            let kx = g.start().unwrap();
            let mut reply = g.start_and_complete(kx.pub_key()).unwrap().pub_key;
            reply[off_s..off_s + 32].copy_from_slice(&point);
            assert_eq!(
                kx.complete(&reply).err(),
                Some(INVALID),
                "{} client, point {}",
                m.name,
                hex::encode(&point)
            );
        }
    }
    let err = hazmat::encapsulate(Algorithm::X25519, &[0u8; 32], &[9u8; 32]).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidKeyShare {
            fault: KeyShareFault::AllZeroSharedSecret,
            ..
        }
    ));
}

/// Variants of a valid uncompressed point that TLS must refuse, with the expected fault.
fn bad_points(valid: &[u8]) -> Vec<(Vec<u8>, KeyShareFault)> {
    let n = valid.len();
    let coord = (n - 1) / 2;
    let mut compressed_same_len = valid.to_vec();
    compressed_same_len[0] = 0x02 | (valid[n - 1] & 1);
    let mut hybrid_form = valid.to_vec();
    hybrid_form[0] = 0x06 | (valid[n - 1] & 1);
    let mut off_curve = valid.to_vec();
    off_curve[n - 1] ^= 1;
    let mut x_off_curve = valid.to_vec();
    x_off_curve[1] ^= 0x80;
    let mut x_too_big = valid.to_vec();
    x_too_big[1..1 + coord].fill(0xff);
    let identity = vec![0u8; n];
    let mut all_zero_coords = vec![0u8; n];
    all_zero_coords[0] = 0x04;
    vec![
        (compressed_same_len, KeyShareFault::PointNotUncompressed),
        (hybrid_form, KeyShareFault::PointNotUncompressed),
        (identity, KeyShareFault::PointNotUncompressed),
        (off_curve, KeyShareFault::PointNotOnCurve),
        (x_off_curve, KeyShareFault::PointNotOnCurve),
        (x_too_big, KeyShareFault::PointNotOnCurve),
        (all_zero_coords, KeyShareFault::PointNotOnCurve),
    ]
}

#[test]
fn nist_curve_points_must_be_uncompressed_on_curve_and_not_identity() {
    for alg in [Algorithm::P256, Algorithm::P384] {
        // Component level, with the typed fault.
        let (_, valid) = hazmat::keygen(alg, &{
            let mut s = vec![0u8; alg.keygen_seed_len()];
            s[alg.keygen_seed_len() - 1] = 5;
            s
        })
        .unwrap();
        assert_eq!(valid.len(), alg.public_len());
        let seed = vec![3u8; alg.encaps_seed_len()];
        assert!(hazmat::encapsulate(alg, &valid, &seed).is_ok());
        // A compressed point of the compressed length is refused on length.
        let compressed_len = 1 + (alg.public_len() - 1) / 2;
        let err = hazmat::encapsulate(alg, &valid[..compressed_len], &seed).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidKeyShare {
                fault: KeyShareFault::Length { .. },
                ..
            }
        ));
        for (point, fault) in bad_points(&valid) {
            let err = hazmat::encapsulate(alg, &point, &seed).unwrap_err();
            assert_eq!(
                err,
                Error::InvalidKeyShare {
                    what: alg.name(),
                    fault
                },
                "{alg} {}",
                hex::encode(&point)
            );
        }
        // Inside every group that uses the curve, both directions.
        for g in groups_with(alg) {
            let m = meta(g);
            let off_c = offset_of(m, alg, true);
            let off_s = offset_of(m, alg, false);
            let kx = g.start().unwrap();
            let reply = g.start_and_complete(kx.pub_key()).unwrap().pub_key;
            let own = kx.pub_key()[off_c..off_c + alg.public_len()].to_vec();
            for (point, _) in bad_points(&own) {
                let mut share = kx.pub_key().to_vec();
                share[off_c..off_c + point.len()].copy_from_slice(&point);
                assert_eq!(
                    g.start_and_complete(&share).err(),
                    Some(INVALID),
                    "{} server",
                    m.name
                );
            }
            let theirs = reply[off_s..off_s + alg.reply_len()].to_vec();
            for (point, _) in bad_points(&theirs) {
                let kx = g.start().unwrap();
                let mut r = reply.clone();
                r[off_s..off_s + point.len()].copy_from_slice(&point);
                assert_eq!(kx.complete(&r).err(), Some(INVALID), "{} client", m.name);
            }
        }
    }
}

#[test]
fn mlkem_ciphertexts_of_the_right_length_use_implicit_rejection() {
    // FIPS 203 §6.3: a wrong ciphertext of the right length is not an error; it yields a
    // different (pseudorandom) secret, so the handshake fails later, at Finished.
    for g in [pq::MLKEM512, pq::MLKEM768, pq::MLKEM1024] {
        let kx = g.start().unwrap();
        let done = g.start_and_complete(kx.pub_key()).unwrap();
        let mut ct = done.pub_key.clone();
        ct[0] ^= 1;
        let secret = kx.complete(&ct).unwrap();
        assert_ne!(secret.secret_bytes(), done.secret.secret_bytes());
    }
}

// ---- inside real handshakes --------------------------------------------------------------

/// Runs a handshake of `group` where the client's (or server's) key share is rewritten by
/// `f`; asserts the other side refuses it with illegal_parameter and no session exists.
fn assert_refused_in_handshake(
    g: &'static dyn SupportedKxGroup,
    client_side_tampered: bool,
    f: &dyn Fn(&mut Vec<u8>),
    what: &str,
) {
    let m = meta(g);
    let code = m.code;
    let out = handshake_with(
        client_conn(client_config(ring_with(vec![g]))),
        server_conn(server_config(ring_with(vec![g]))),
        |from_client, idx, buf| {
            if from_client == client_side_tampered && idx <= 1 {
                rewrite_share(buf, code, f);
            }
        },
    );
    let (by_client, err) = out
        .error
        .unwrap_or_else(|| panic!("{} {what}: handshake did not fail", m.name));
    // The refusing side is the receiver of the tampered share.
    assert_eq!(by_client, !client_side_tampered, "{} {what}", m.name);
    assert_eq!(err, INVALID, "{} {what}", m.name);
    let alert = &out.flights.last().unwrap().1;
    assert_eq!(
        alert_description(alert),
        Some(ILLEGAL_PARAMETER),
        "{} {what}: alert",
        m.name
    );
    assert!(
        out.client.is_handshaking(),
        "{} {what}: client must not finish",
        m.name
    );
    assert!(
        out.server.is_handshaking(),
        "{} {what}: server must not finish",
        m.name
    );
}

#[test]
fn every_length_error_inside_handshakes_gets_illegal_parameter() {
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        for client_side in [true, false] {
            assert_refused_in_handshake(
                g,
                client_side,
                &|k| {
                    k.pop();
                },
                "one byte short",
            );
            assert_refused_in_handshake(g, client_side, &|k| k.push(0), "one byte long");
            assert_refused_in_handshake(
                g,
                client_side,
                &|k| k.extend_from_slice(&[0u8; 3000]),
                "far too long",
            );
        }
    }
}

#[test]
fn empty_key_share_never_makes_a_session() {
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        for client_side in [true, false] {
            let m = meta(g);
            let code = m.code;
            let out = handshake_with(
                client_conn(client_config(ring_with(vec![g]))),
                server_conn(server_config(ring_with(vec![g]))),
                |from_client, idx, buf| {
                    if from_client == client_side && idx <= 1 {
                        rewrite_share(buf, code, &|k| k.clear());
                    }
                },
            );
            let (_, err) = out
                .error
                .unwrap_or_else(|| panic!("{} empty share accepted", m.name));
            // rustls refuses an empty key_exchange while decoding (decode_error) or we do
            // (illegal_parameter); either way there is no session.
            let alert = alert_description(&out.flights.last().unwrap().1);
            assert!(
                matches!(alert, Some(ILLEGAL_PARAMETER) | Some(50)),
                "{}: {err:?} alert {alert:?}",
                m.name
            );
            assert!(out.server.is_handshaking());
        }
    }
}

#[test]
fn invalid_component_values_inside_handshakes_get_illegal_parameter() {
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        let m: &'static Group = meta(g);
        for (i, alg) in m.components.iter().copied().enumerate() {
            let off_c = offset_of(m, alg, true);
            let off_s = offset_of(m, alg, false);
            let _ = i;
            match alg {
                Algorithm::X25519 => {
                    for client_side in [true, false] {
                        let off = if client_side { off_c } else { off_s };
                        assert_refused_in_handshake(
                            g,
                            client_side,
                            &move |k| k[off..off + 32].fill(0),
                            "X25519 zero point",
                        );
                    }
                }
                Algorithm::P256 | Algorithm::P384 => {
                    for client_side in [true, false] {
                        let off = if client_side { off_c } else { off_s };
                        let len = alg.public_len();
                        assert_refused_in_handshake(
                            g,
                            client_side,
                            &move |k| k[off] = 0x02,
                            "compressed-prefix point",
                        );
                        assert_refused_in_handshake(
                            g,
                            client_side,
                            &move |k| k[off + len - 1] ^= 1,
                            "off-curve point",
                        );
                        assert_refused_in_handshake(
                            g,
                            client_side,
                            &move |k| k[off..off + len].fill(0),
                            "identity encoding",
                        );
                    }
                }
                _ => {
                    // ML-KEM: only the client's encapsulation key can be invalid at the
                    // right length; a ciphertext is subject to implicit rejection.
                    assert_refused_in_handshake(
                        g,
                        true,
                        &move |k| set_first_coefficient_to_q(&mut k[off_c..]),
                        "coefficient = q",
                    );
                }
            }
        }
    }
}

#[test]
fn random_garbage_shares_never_panic() {
    // A cheap deterministic PRNG (xorshift) over many lengths and contents.
    let mut s: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        let m = meta(g);
        for round in 0..40 {
            let len = match round % 4 {
                0 => m.client_share_len(),
                1 => m.server_share_len(),
                _ => (next() % 4000) as usize,
            };
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Results may be Ok (e.g. a random ML-KEM key that happens to be reduced is
            // impossible to tell from a real one) or InvalidKeyShare; never a panic.
            if let Err(e) = g.start_and_complete(&bytes) {
                assert_eq!(e, INVALID);
            }
            if let Err(e) = g.start().unwrap().complete(&bytes) {
                assert_eq!(e, INVALID);
            }
        }
    }
}
