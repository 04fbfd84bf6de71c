//! The raw-ClientHello probes (`hello`, `legacy`, `preference`) against real servers on
//! loopback: OpenSSL 3.6 (vendored) configured as TLS 1.0-1.3 servers with restricted
//! suites, curves, DH parameters and group preferences, pqhkex's own post-quantum
//! server, and peers that never answer, trickle, close or speak something else.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::dh::Dh;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslMethod, SslOptions, SslVersion};
use openssl::x509::{X509Name, X509};
use pqhkex::groups::{X25519, X25519MLKEM768};
use pqhkex_inventory::hello::{self, ClientHello, HelloError, KeyShare, ServerAnswer, Version};
use pqhkex_inventory::legacy::{self, KxKind, KxResult, Legacy, VersionResult};
use pqhkex_inventory::preference::{self, Check, Preference};
use pqhkex_inventory::{Answer, ProbeResult};

/// A self-signed certificate for localhost on an RSA-2048 key or (`ecdsa`) a P-256 key,
/// and the key.
fn identity(ecdsa: bool) -> (X509, PKey<Private>) {
    let key = if ecdsa {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
    } else {
        PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
    };
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("CN", "localhost").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

/// An OpenSSL server on loopback for any number of connections, with an RSA
/// certificate, its context set up by `configure` (after the certificate). Returns its
/// address and certificate (DER).
fn openssl_server(configure: impl FnOnce(&mut SslContextBuilder)) -> (SocketAddr, Vec<u8>) {
    openssl_server_with(false, configure)
}

/// [`openssl_server`] with an ECDSA P-256 certificate when `ecdsa`, else RSA.
fn openssl_server_with(
    ecdsa: bool,
    configure: impl FnOnce(&mut SslContextBuilder),
) -> (SocketAddr, Vec<u8>) {
    let (cert, key) = identity(ecdsa);
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    b.set_certificate(&cert).unwrap();
    b.set_private_key(&key).unwrap();
    configure(&mut b);
    let ctx = b.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = sock.set_write_timeout(Some(Duration::from_secs(10)));
                let Ok(mut tls) = Ssl::new(&ctx).unwrap().accept(sock) else {
                    return;
                };
                let mut buf = [0u8; 256];
                while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    (addr, cert.to_der().unwrap())
}

/// pqhkex's post-quantum server ([`pqhkex::PqServerConfigs`], `PreferPostQuantum`):
/// it reads the ClientHello and picks the configuration of the best post-quantum group
/// the client supports, by HelloRetryRequest if the client sent no share for it.
fn pqhkex_server() -> SocketAddr {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = certified.cert.der().clone();
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
    let configs = Arc::new(
        pqhkex::PqServerConfigs::new(
            rustls::crypto::ring::default_provider(),
            pqhkex::Policy::PreferPostQuantum,
            |b| {
                b.with_no_client_auth()
                    .with_single_cert(vec![cert.clone()], key.clone_key())
            },
        )
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut sock in listener.incoming().flatten() {
            let configs = configs.clone();
            std::thread::spawn(move || {
                let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
                let mut acceptor = rustls::server::Acceptor::default();
                let accepted = loop {
                    if acceptor.read_tls(&mut sock).unwrap_or(0) == 0 {
                        return;
                    }
                    match acceptor.accept() {
                        Ok(Some(a)) => break a,
                        Ok(None) => {}
                        Err((_, mut alert)) => {
                            let _ = alert.write_all(&mut sock);
                            return;
                        }
                    }
                };
                match configs.accept(accepted) {
                    Ok(mut conn) => {
                        let _ = conn.complete_io(&mut sock);
                    }
                    Err((_, mut alert)) => {
                        let _ = alert.write_all(&mut sock);
                    }
                }
            });
        }
    });
    addr
}

/// A budget that gives every probe `each`.
fn every(each: Duration) -> impl FnMut() -> Option<Duration> {
    move || Some(each)
}

fn legacy_probe(addr: SocketAddr) -> Legacy {
    legacy::probe(addr, Some("localhost"), &mut every(Duration::from_secs(10)))
}

fn preference_probe(addr: SocketAddr) -> Preference {
    preference::probe(addr, Some("localhost"), &mut every(Duration::from_secs(10)))
}

fn kx(l: &Legacy, kind: KxKind) -> &legacy::KeyExchange {
    l.key_exchange(kind)
        .unwrap_or_else(|| panic!("no {kind:?} entry: {l:#?}"))
}

#[test]
fn tls12_rsa_key_transport_only_server() {
    let (addr, cert) = openssl_server(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_cipher_list("AES128-GCM-SHA256").unwrap();
    });
    let l = legacy_probe(addr);
    assert_eq!(l.tls12, VersionResult::Accepted, "{l:#?}");
    assert_eq!(l.rsa_key_transport, Answer::Yes, "{l:#?}");
    assert_eq!(
        l.rsa_key_transport_suites,
        ["TLS_RSA_WITH_AES_128_GCM_SHA256"]
    );
    let rsa = kx(&l, KxKind::Rsa);
    assert_eq!(
        (rsa.result, rsa.protocol.as_deref()),
        (KxResult::Accepted, Some("TLS 1.2"))
    );
    let ecdhe = kx(&l, KxKind::Ecdhe);
    assert_eq!(ecdhe.result, KxResult::Refused, "{ecdhe:#?}");
    assert!(ecdhe.curves.is_empty());
    assert!(ecdhe
        .detail
        .as_deref()
        .unwrap()
        .contains("handshake_failure"));
    assert_eq!(kx(&l, KxKind::Dhe).result, KxResult::Refused);
    // The chain the TLS 1.2 answer carried: the server's certificate.
    assert_eq!(l.certificate_chain, [cert]);
    let json = serde_json::to_value(&l).unwrap();
    assert_eq!(json["rsa_key_transport"], true);
    assert_eq!(json["key_exchanges"][1]["kind"], "ecdhe");
    assert_eq!(json["key_exchanges"][1]["result"], "refused");
}

#[test]
fn tls12_ecdhe_server_lists_exactly_its_curves() {
    let (addr, _) = openssl_server(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_cipher_list("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA")
            .unwrap();
        b.set_groups_list("P-384:P-256").unwrap();
    });
    let l = legacy_probe(addr);
    assert_eq!(l.tls12, VersionResult::Accepted, "{l:#?}");
    let ecdhe = kx(&l, KxKind::Ecdhe);
    assert_eq!(ecdhe.result, KxResult::Accepted, "{ecdhe:#?}");
    let mut curves = ecdhe.curves.clone();
    curves.sort();
    assert_eq!(curves, ["secp256r1", "secp384r1"], "{ecdhe:#?}");
    assert_eq!(ecdhe.suites, ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]);
    assert_eq!(l.rsa_key_transport, Answer::No, "{l:#?}");
    assert!(l.rsa_key_transport_suites.is_empty());
    assert_eq!(kx(&l, KxKind::Rsa).result, KxResult::Refused);
    assert_eq!(kx(&l, KxKind::Dhe).result, KxResult::Refused);
    let json = serde_json::to_value(&l).unwrap();
    assert_eq!(json["rsa_key_transport"], false);
}

#[test]
fn tls12_dhe_server_reports_its_prime_size() {
    let (addr, _) = openssl_server(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_cipher_list("DHE-RSA-AES128-GCM-SHA256").unwrap();
        b.set_tmp_dh(&Dh::get_2048_256().unwrap()).unwrap();
    });
    let l = legacy_probe(addr);
    let dhe = kx(&l, KxKind::Dhe);
    assert_eq!(dhe.result, KxResult::Accepted, "{l:#?}");
    assert_eq!(dhe.dh_bits, Some(2048), "{dhe:#?}");
    assert_eq!(dhe.suites, ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]);
    assert_eq!(kx(&l, KxKind::Ecdhe).result, KxResult::Refused);
    assert_eq!(l.rsa_key_transport, Answer::No);
    assert_eq!(
        serde_json::to_value(&l).unwrap()["key_exchanges"][2]["dh_bits"],
        2048
    );
}

#[test]
fn tls13_only_server_refuses_every_legacy_version() {
    let (addr, _) = openssl_server(|b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
    });
    let l = legacy_probe(addr);
    assert_eq!(
        (l.tls12, l.tls11, l.tls10),
        (
            VersionResult::Refused,
            VersionResult::Refused,
            VersionResult::Refused
        ),
        "{l:#?}"
    );
    assert_eq!(l.key_exchanges.len(), 3);
    assert!(
        l.key_exchanges
            .iter()
            .all(|k| k.result == KxResult::NotApplicable),
        "{l:#?}"
    );
    assert_eq!(l.rsa_key_transport, Answer::No);
    assert!(l.certificate_chain.is_empty());
    assert_eq!(
        serde_json::to_value(&l).unwrap()["key_exchanges"][0]["result"],
        "not-applicable"
    );
    // The refusal is a protocol_version alert.
    let answer = hello::exchange(
        addr,
        &ClientHello::new(Version::Tls12, vec![0xc02f]).with_groups(vec![0x001d]),
        Duration::from_secs(10),
    )
    .unwrap();
    match answer {
        ServerAnswer::Alert(a) => assert_eq!(a.name(), "protocol_version"),
        other => panic!("{other:?}"),
    }
}

/// The vendored OpenSSL 3.6 still speaks TLS 1.0 and 1.1 at security level 0.
#[test]
fn tls10_and_tls11_server() {
    let (addr, _) = openssl_server(|b| {
        b.set_security_level(0);
        b.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
        b.set_max_proto_version(Some(SslVersion::TLS1_1)).unwrap();
        b.set_cipher_list("AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
            .unwrap();
    });
    let l = legacy_probe(addr);
    assert_eq!(
        (l.tls12, l.tls11, l.tls10),
        (
            VersionResult::Refused,
            VersionResult::Accepted,
            VersionResult::Accepted
        ),
        "{l:#?}"
    );
    // The key exchanges are probed at TLS 1.1, the highest version accepted.
    let rsa = kx(&l, KxKind::Rsa);
    assert_eq!(rsa.protocol.as_deref(), Some("TLS 1.1"));
    assert_eq!(l.rsa_key_transport, Answer::Yes, "{l:#?}");
    assert_eq!(l.rsa_key_transport_suites, ["TLS_RSA_WITH_AES_128_CBC_SHA"]);
    let ecdhe = kx(&l, KxKind::Ecdhe);
    assert_eq!(ecdhe.result, KxResult::Accepted, "{ecdhe:#?}");
    assert_eq!(ecdhe.suites, ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]);
    assert!(ecdhe.curves.contains(&"x25519".to_string()), "{ecdhe:#?}");
    assert_eq!(kx(&l, KxKind::Dhe).result, KxResult::Refused);
}

/// A TLS 1.3 server (OpenSSL 3.6) whose groups are `groups`, with or without
/// SSL_OP_CIPHER_SERVER_PREFERENCE.
fn tls13_server(groups: Option<&str>, server_preference: bool) -> SocketAddr {
    let groups = groups.map(str::to_string);
    openssl_server(move |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
        if let Some(g) = &groups {
            b.set_groups_list(g).unwrap();
        }
        if server_preference {
            b.set_options(SslOptions::CIPHER_SERVER_PREFERENCE);
        }
    })
    .0
}

fn check(p: &Preference, c: Check) -> &preference::PreferenceProbe {
    p.probe(c)
        .unwrap_or_else(|| panic!("no {c:?} probe: {p:#?}"))
}

/// One tuple, server preference: OpenSSL picks its first group among the client's key
/// shares, whatever the client's order; with an x25519 share only it takes x25519
/// (the share is in the same tuple), no HelloRetryRequest.
#[test]
fn openssl_server_preference_picks_the_hybrid() {
    let addr = tls13_server(Some("X25519MLKEM768:x25519"), true);
    let p = preference_probe(addr);
    assert_eq!(p.prefers_post_quantum, Answer::Yes, "{p:#?}");
    assert_eq!(p.upgrades_by_hrr, Answer::No, "{p:#?}");
    let both = check(&p, Check::BothShares);
    assert_eq!(
        (both.result, both.group.as_deref()),
        (ProbeResult::Accepted, Some("X25519MLKEM768"))
    );
    assert_eq!(both.key_shares, ["x25519", "X25519MLKEM768"]);
    let only = check(&p, Check::ClassicalShareOnly);
    assert_eq!(only.group_code.as_deref(), Some("0x001d"));
    assert!(!only.hello_retry_request);
    assert!(p.reasons.is_empty(), "{p:#?}");
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(
        (
            json["prefers_post_quantum"].clone(),
            json["upgrades_by_hrr"].clone()
        ),
        (true.into(), false.into())
    );
}

/// One tuple, client preference: OpenSSL takes the client's first key share.
#[test]
fn openssl_client_preference_follows_the_client() {
    let addr = tls13_server(Some("X25519MLKEM768:x25519"), false);
    let p = preference_probe(addr);
    assert_eq!(p.prefers_post_quantum, Answer::No, "{p:#?}");
    assert_eq!(p.upgrades_by_hrr, Answer::No, "{p:#?}");
    assert_eq!(
        check(&p, Check::BothShares).group.as_deref(),
        Some("x25519")
    );
    assert!(check(&p, Check::BothShares)
        .detail
        .as_deref()
        .unwrap()
        .contains("x25519"));
}

/// Two tuples (`/`): a group of the first tuple the client supports beats any share
/// for the second, so OpenSSL asks for the hybrid by HelloRetryRequest, with or without
/// server preference.
#[test]
fn openssl_group_tuples_upgrade_by_hello_retry_request() {
    for server_preference in [false, true] {
        let addr = tls13_server(Some("X25519MLKEM768/x25519"), server_preference);
        let p = preference_probe(addr);
        assert_eq!(p.prefers_post_quantum, Answer::Yes, "{p:#?}");
        assert_eq!(p.upgrades_by_hrr, Answer::Yes, "{p:#?}");
        let only = check(&p, Check::ClassicalShareOnly);
        assert_eq!(only.result, ProbeResult::HelloRetryRequest);
        assert_eq!(only.group_code.as_deref(), Some("0x11ec"));
    }
}

/// OpenSSL 3.6's default groups put X25519MLKEM768 in a tuple of its own, first.
#[test]
fn openssl_defaults_prefer_the_hybrid() {
    let p = preference_probe(tls13_server(None, false));
    assert_eq!(p.prefers_post_quantum, Answer::Yes, "{p:#?}");
    assert_eq!(p.upgrades_by_hrr, Answer::Yes, "{p:#?}");
}

/// A server without the hybrid: x25519 is chosen, and the answer is `false`, with a
/// detail that says this probe cannot tell preference from support.
#[test]
fn server_without_the_hybrid() {
    let p = preference_probe(tls13_server(Some("x25519"), true));
    assert_eq!(p.prefers_post_quantum, Answer::No, "{p:#?}");
    assert_eq!(p.upgrades_by_hrr, Answer::No, "{p:#?}");
    assert!(check(&p, Check::BothShares)
        .detail
        .as_deref()
        .unwrap()
        .contains("cannot tell"));
    // A server with neither group refuses: undetermined, not a preference.
    let p = preference_probe(tls13_server(Some("P-256"), true));
    assert_eq!(p.prefers_post_quantum, Answer::Undetermined, "{p:#?}");
    assert_eq!(p.upgrades_by_hrr, Answer::Undetermined, "{p:#?}");
    assert_eq!(check(&p, Check::BothShares).result, ProbeResult::Rejected);
    assert!(p.reasons[0].contains("no preference"), "{p:#?}");
}

#[test]
fn pqhkex_server_prefers_and_upgrades() {
    let addr = pqhkex_server();
    let p = preference_probe(addr);
    assert_eq!(p.prefers_post_quantum, Answer::Yes, "{p:#?}");
    assert_eq!(p.upgrades_by_hrr, Answer::Yes, "{p:#?}");
    // The raw HelloRetryRequest, read directly.
    let hello = ClientHello::tls13(
        vec![X25519.code, X25519MLKEM768.code],
        vec![KeyShare::new(&X25519).unwrap()],
    );
    match hello::exchange(addr, &hello, Duration::from_secs(10)).unwrap() {
        ServerAnswer::HelloRetryRequest {
            group,
            version,
            cipher_suite,
            ..
        } => {
            assert_eq!((group, version), (Some(0x11ec), 0x0304));
            assert!(hello::suite(cipher_suite).is_some());
        }
        other => panic!("{other:?}"),
    }
    // pqhkex's server does TLS 1.2 on classical groups too.
    let l = legacy_probe(addr);
    assert_eq!(l.tls12, VersionResult::Accepted, "{l:#?}");
    assert_eq!(l.tls11, VersionResult::Refused, "{l:#?}");
    // Its certificate (rcgen's default) is ECDSA P-256: every curve it has is found,
    // and the two it lacks are "not determined" (offered without secp256r1 it cannot
    // use its certificate; offered with it, it takes secp256r1).
    let ecdhe = kx(&l, KxKind::Ecdhe);
    let mut curves = ecdhe.curves.clone();
    curves.sort();
    assert_eq!(curves, ["secp256r1", "secp384r1", "x25519"], "{ecdhe:#?}");
    assert!(ecdhe.suites[0].contains("ECDSA"), "{ecdhe:#?}");
    let detail = ecdhe.detail.as_deref().unwrap();
    assert!(
        detail.contains("secp521r1, x448 is not determined"),
        "{detail}"
    );
    assert_eq!(l.rsa_key_transport, Answer::No, "{l:#?}");
}

/// An ECDSA P-256 certificate needs secp256r1 in every TLS 1.2 offer (RFC 8422
/// §5.1.1): it stays in the offer after it was chosen, so that secp384r1 is still
/// found after it.
#[test]
fn tls12_ecdsa_server_keeps_its_certificate_curve_in_the_offer() {
    let (addr, _) = openssl_server_with(true, |b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_groups_list("P-256:P-384:X25519").unwrap();
    });
    let l = legacy_probe(addr);
    let ecdhe = kx(&l, KxKind::Ecdhe);
    assert_eq!(ecdhe.result, KxResult::Accepted, "{l:#?}");
    // The server follows the client's order: x25519, then secp256r1, then secp384r1
    // (offered with secp256r1 last).
    assert_eq!(
        ecdhe.curves,
        ["x25519", "secp256r1", "secp384r1"],
        "{ecdhe:#?}"
    );
    assert!(ecdhe
        .detail
        .as_deref()
        .unwrap()
        .contains("secp521r1, x448 is not determined"));
    // No RSA certificate: RSA key transport and DHE_RSA are refused.
    assert_eq!(l.rsa_key_transport, Answer::No, "{l:#?}");
}

/// A listener that accepts and never answers: every probe times out, within its
/// deadline, and nothing is evidence of anything.
#[test]
fn silent_server_is_undetermined_within_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for sock in listener.incoming().flatten() {
            held.push(sock);
        }
    });
    let each = Duration::from_millis(300);
    let started = Instant::now();
    let e =
        hello::exchange(addr, &ClientHello::new(Version::Tls12, vec![0x002f]), each).unwrap_err();
    assert!(matches!(e, HelloError::Timeout(_)), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let l = legacy::probe(addr, None, &mut every(each));
    // Three version probes, nothing more.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (l.tls12, l.tls11, l.tls10),
        (
            VersionResult::Undetermined,
            VersionResult::Undetermined,
            VersionResult::Undetermined
        )
    );
    assert!(l.reasons.iter().all(|r| r.contains("timeout")), "{l:#?}");
    assert!(l
        .key_exchanges
        .iter()
        .all(|k| k.result == KxResult::Undetermined));
    assert_eq!(l.rsa_key_transport, Answer::Undetermined);

    let started = Instant::now();
    let p = preference::probe(addr, None, &mut every(each));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (p.prefers_post_quantum, p.upgrades_by_hrr),
        (Answer::Undetermined, Answer::Undetermined)
    );
    assert!(p.probes.iter().all(|x| x.result == ProbeResult::Error));
}

/// A budget that runs out part-way: the probes it covered ran, the rest say why not.
#[test]
fn budget_runs_out_part_way() {
    let (addr, _) = openssl_server(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    });
    let mut left = 1;
    let l = legacy::probe(addr, None, &mut || {
        left -= 1;
        (left >= 0).then_some(Duration::from_secs(10))
    });
    assert_eq!(l.tls12, VersionResult::Accepted, "{l:#?}");
    assert_eq!(l.tls11, VersionResult::Undetermined);
    assert!(l
        .reasons
        .iter()
        .any(|r| r == "TLS 1.1: not run: time budget spent"));
    assert!(l
        .key_exchanges
        .iter()
        .all(|k| k.result == KxResult::Undetermined
            && k.detail.as_deref() == Some("not run: time budget spent")));
}

/// A server that sends one byte of a ServerHello every 50 ms forever is cut off at the
/// deadline.
#[test]
fn trickling_server_ends_at_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut sock in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = sock.write_all(&[22, 3, 3, 0x40, 0]);
                while sock.write_all(&[0]).is_ok() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
    });
    let started = Instant::now();
    let e = hello::exchange(
        addr,
        &ClientHello::new(Version::Tls12, vec![0x002f]),
        Duration::from_millis(500),
    )
    .unwrap_err();
    assert!(matches!(e, HelloError::Timeout(_)), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// A server that reads the hello and closes without an alert, and one that answers in
/// HTTP: no evidence.
#[test]
fn closes_and_other_protocols_prove_nothing() {
    let serve = |answer: &'static [u8]| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut sock in listener.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = sock.read(&mut buf);
                let _ = sock.write_all(answer);
                drop::<TcpStream>(sock);
            }
        });
        addr
    };
    let closing = serve(b"");
    let hello = ClientHello::new(Version::Tls12, vec![0x002f]);
    assert_eq!(
        hello::exchange(closing, &hello, Duration::from_secs(5)).unwrap(),
        ServerAnswer::Closed { received: 0 }
    );
    let l = legacy::probe(closing, None, &mut every(Duration::from_secs(5)));
    assert_eq!(l.tls12, VersionResult::Undetermined);
    assert!(l.reasons[0].contains("without an alert"), "{l:#?}");

    let http = serve(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    match hello::exchange(http, &hello, Duration::from_secs(5)).unwrap() {
        ServerAnswer::NotTls(what) => assert!(what.contains("HTTP/1.1 400"), "{what}"),
        other => panic!("{other:?}"),
    }
    let p = preference::probe(http, None, &mut every(Duration::from_secs(5)));
    assert_eq!(p.prefers_post_quantum, Answer::Undetermined);
    assert!(p.reasons[0].contains("not TLS"), "{p:#?}");
}
