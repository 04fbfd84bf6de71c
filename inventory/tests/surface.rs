//! The whole quantum-vulnerable surface of an endpoint, scanned from real servers on
//! loopback (OpenSSL 3.6 built from source, rustls with aws-lc-rs, pqhkex's own
//! `PqServerConfigs`), each field asserted against what the server was configured with:
//! the certificate chain as served, the authentication summary (and whether ML-DSA is
//! used when asked), TLS 1.2 and older, the server's group preference, the posture,
//! and the migration plan.

#[path = "support/openssl_peers.rs"]
mod peers;

use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::{SslMethod, SslVersion};
use peers::{certificate, key, single, start, Key, Server};
use pqhkex::groups::{SECP256R1, SECP384R1, X25519, X25519MLKEM768};
use pqhkex_inventory::auth::AuthClass;
use pqhkex_inventory::cert::AlgorithmFamily;
use pqhkex_inventory::legacy::VersionResult;
use pqhkex_inventory::migration::Urgency;
use pqhkex_inventory::{Answer, Class, Posture, ProbeResult, Scanner, Target, TargetResult};

/// Scans `addr`; every result is checked against the published JSON Schema
/// (schema/scan-v3.schema.json) and must survive a JSON round trip.
fn scan(addr: &str) -> TargetResult {
    let r = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .groups(&[&X25519MLKEM768, &X25519, &SECP256R1, &SECP384R1])
        .timeout(Duration::from_secs(10))
        .scan_target(&Target::parse(addr).unwrap());
    let doc = serde_json::to_value(pqhkex_inventory::ScanReport::new(vec![r.clone()])).unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/scan-v3.schema.json"
    ))
    .unwrap();
    let schema = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    let errors: Vec<String> = schema.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    let back: pqhkex_inventory::ScanReport = serde_json::from_value(doc).unwrap();
    assert_eq!(back.targets[0], r);
    r
}

fn actions(r: &TargetResult) -> Vec<String> {
    r.migration
        .as_ref()
        .expect("a reachable target has a plan")
        .iter()
        .map(|s| s.action.clone())
        .collect()
}

fn has_action(r: &TargetResult, needle: &str) -> bool {
    actions(r).iter().any(|a| a.contains(needle))
}

#[test]
fn rsa_2048_server_chain_authentication_and_plan() {
    let addr = start(Server {
        certs: vec![single(Key::Rsa(2048), "rsa.test", 0x1234)],
        ciphers: Some("ECDHE+AESGCM"),
        ..Server::default()
    });
    let r = scan(&addr);
    assert_eq!(r.classification, Class::PqAndClassical, "{r:#?}");
    let c = &r.certificate_chain;
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c[0].subject.as_deref(), Some("CN=rsa.test"));
    assert_eq!(c[0].issuer.as_deref(), Some("CN=rsa.test"));
    assert_eq!(c[0].not_before.as_deref(), Some("2026-01-01T00:00:00Z"));
    assert_eq!(c[0].not_after.as_deref(), Some("2027-01-01T00:00:00Z"));
    assert!(
        c[0].serial
            .as_deref()
            .unwrap()
            .replace(':', "")
            .ends_with("1234"),
        "{c:#?}"
    );
    assert_eq!(c[0].public_key.algorithm, "RSA");
    assert_eq!(c[0].public_key.family, AlgorithmFamily::Rsa);
    assert_eq!(c[0].public_key.bits, Some(2048));
    assert_eq!(c[0].signature_algorithm.name, "sha256WithRSAEncryption");
    assert_eq!(c[0].signature_algorithm.oid, "1.2.840.113549.1.1.11");
    assert_eq!(c[0].quantum_vulnerable, Answer::Yes);
    assert_eq!(c[0].der_len, r_der_len(&addr));
    let a = r.authentication.as_ref().unwrap();
    assert_eq!(a.class, AuthClass::Classical, "{a:#?}");
    assert_eq!(a.leaf_key.as_deref(), Some("RSA-2048"));
    assert!(
        a.signature_scheme
            .as_deref()
            .unwrap()
            .starts_with("rsa_pss_rsae_"),
        "{a:#?}"
    );
    assert_eq!(a.ml_dsa_when_asked, Answer::No, "{a:#?}");
    // TLS 1.2 with ECDHE only: no RSA key transport.
    let l = r.legacy.as_ref().unwrap();
    assert_eq!(l.tls12, VersionResult::Accepted, "{l:#?}");
    assert_eq!(l.rsa_key_transport, Answer::No, "{l:#?}");
    assert!(has_action(&r, "plan ML-DSA"), "{:#?}", r.migration);
    assert!(!has_action(&r, "TLS_RSA"), "{:#?}", r.migration);
}

/// The DER length of the certificate `addr` serves, read by an independent client
/// (OpenSSL's).
fn r_der_len(addr: &str) -> usize {
    let mut b = openssl::ssl::SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_verify(openssl::ssl::SslVerifyMode::NONE);
    let c = b.build();
    let sock = std::net::TcpStream::connect(addr).unwrap();
    let tls = c
        .configure()
        .unwrap()
        .verify_hostname(false)
        .connect("localhost", sock)
        .unwrap();
    tls.ssl()
        .peer_certificate()
        .unwrap()
        .to_der()
        .unwrap()
        .len()
}

#[test]
fn ecdsa_p384_and_ed448_servers() {
    let addr = start(Server {
        certs: vec![single(Key::EcP384, "ec.test", 7)],
        ..Server::default()
    });
    let r = scan(&addr);
    let c = &r.certificate_chain[0];
    assert_eq!(c.public_key.family, AlgorithmFamily::Ec);
    assert_eq!(c.public_key.curve.as_deref(), Some("P-384"));
    assert_eq!(c.signature_algorithm.name, "ecdsa-with-SHA384");
    let a = r.authentication.as_ref().unwrap();
    assert_eq!(
        a.signature_scheme.as_deref(),
        Some("ecdsa_secp384r1_sha384")
    );
    assert_eq!(a.leaf_key.as_deref(), Some("EC-P-384"));
    assert_eq!(a.class, AuthClass::Classical);

    // Ed448: no rustls provider verifies it; the chain and the scheme are recorded
    // all the same, and the key exchange is not hidden.
    let addr = start(Server {
        certs: vec![single(Key::Ed448, "ed448.test", 8)],
        ..Server::default()
    });
    let r = scan(&addr);
    assert_eq!(r.classification, Class::PqAndClassical, "{r:#?}");
    let c = &r.certificate_chain[0];
    assert_eq!(c.public_key.algorithm, "Ed448");
    assert_eq!(c.signature_algorithm.name, "Ed448");
    assert_eq!(c.quantum_vulnerable, Answer::Yes);
    let a = r.authentication.as_ref().unwrap();
    assert_eq!(a.signature_scheme.as_deref(), Some("ed448"));
    assert_eq!(a.class, AuthClass::Classical);
}

#[test]
fn ml_dsa_servers_authenticate_post_quantum() {
    for (level, category, scheme) in [
        (44u8, 2u8, "mldsa44"),
        (65, 3, "mldsa65"),
        (87, 5, "mldsa87"),
    ] {
        let addr = start(Server {
            certs: vec![single(Key::MlDsa(level), "mldsa.test", u32::from(level))],
            ..Server::default()
        });
        let r = scan(&addr);
        assert_eq!(r.classification, Class::PqAndClassical, "{r:#?}");
        let c = &r.certificate_chain[0];
        assert_eq!(c.public_key.algorithm, format!("ML-DSA-{level}"));
        assert_eq!(c.public_key.family, AlgorithmFamily::MlDsa);
        assert_eq!(c.public_key.nist_category, Some(category));
        assert_eq!(c.signature_algorithm.name, format!("ML-DSA-{level}"));
        assert_eq!(c.quantum_vulnerable, Answer::No);
        let a = r.authentication.as_ref().unwrap();
        assert_eq!(a.class, AuthClass::PostQuantum, "{a:#?}");
        assert_eq!(a.signature_scheme.as_deref(), Some(scheme));
        assert_eq!(a.ml_dsa_when_asked, Answer::Yes, "{a:#?}");
        assert!(!has_action(&r, "ML-DSA"), "{:#?}", r.migration);
    }
}

#[test]
fn ml_dsa_leaf_under_an_rsa_ca_is_classical() {
    let ca_key = key(Key::Rsa(2048));
    let ca = certificate("Test RSA CA", 1, &ca_key, None, Key::Rsa(2048));
    let leaf_key = key(Key::MlDsa(65));
    let leaf = certificate(
        "leaf.test",
        2,
        &leaf_key,
        Some((&ca, &ca_key, Key::Rsa(2048))),
        Key::MlDsa(65),
    );
    let addr = start(Server {
        certs: vec![(vec![leaf, ca], leaf_key)],
        ..Server::default()
    });
    let r = scan(&addr);
    let c = &r.certificate_chain;
    assert_eq!(c.len(), 2, "{c:#?}");
    assert_eq!(c[0].public_key.algorithm, "ML-DSA-65");
    assert_eq!(c[0].signature_algorithm.name, "sha256WithRSAEncryption");
    assert_eq!(c[0].issuer.as_deref(), Some("CN=Test RSA CA"));
    assert_eq!(c[1].public_key.algorithm, "RSA");
    let a = r.authentication.as_ref().unwrap();
    assert_eq!(a.signature_scheme.as_deref(), Some("mldsa65"));
    // The handshake signature is ML-DSA, but the leaf's own signature is RSA's: a
    // quantum attacker could forge a certificate, so authentication is classical.
    assert_eq!(a.class, AuthClass::Classical, "{a:#?}");
    assert!(
        a.reasons
            .iter()
            .any(|w| w.contains("sha256WithRSAEncryption")),
        "{a:#?}"
    );
}

#[test]
fn rsa_and_ml_dsa_dual_certificate_server() {
    let addr = start(Server {
        certs: vec![
            single(Key::Rsa(2048), "dual.test", 1),
            single(Key::MlDsa(65), "dual.test", 2),
        ],
        ..Server::default()
    });
    let r = scan(&addr);
    let a = r.authentication.as_ref().unwrap();
    // A client listing the classical schemes first gets the RSA certificate; one that
    // asks for ML-DSA only gets the ML-DSA one.
    assert_eq!(a.leaf_key.as_deref(), Some("RSA-2048"), "{a:#?}");
    assert_eq!(a.class, AuthClass::Classical);
    assert_eq!(a.ml_dsa_when_asked, Answer::Yes, "{a:#?}");
    assert!(
        a.ml_dsa_detail.as_deref().unwrap().contains("mldsa65"),
        "{a:#?}"
    );
}

#[test]
fn tls12_rsa_key_transport_server() {
    let addr = start(Server {
        certs: vec![single(Key::Rsa(2048), "legacy.test", 3)],
        max: Some(SslVersion::TLS1_2),
        ciphers: Some("AES128-GCM-SHA256"),
        ..Server::default()
    });
    let r = scan(&addr);
    assert_eq!(r.classification, Class::Tls12Only, "{r:#?}");
    assert_eq!(r.pq_posture, Some(Posture::ClassicalOnly));
    let l = r.legacy.as_ref().unwrap();
    assert_eq!(l.tls12, VersionResult::Accepted, "{l:#?}");
    assert_eq!(l.rsa_key_transport, Answer::Yes, "{l:#?}");
    assert_eq!(
        l.rsa_key_transport_suites,
        ["TLS_RSA_WITH_AES_128_GCM_SHA256"]
    );
    // The chain is known from the raw TLS 1.2 answer even though no rustls handshake
    // could complete (rustls has no RSA key transport).
    assert_eq!(r.certificate_chain.len(), 1, "{r:#?}");
    assert_eq!(r.certificate_chain[0].public_key.bits, Some(2048));
    // Post-quantum group rows do not apply to TLS 1.2: never "rejected".
    let pq = r
        .groups
        .iter()
        .find(|g| g.name == "X25519MLKEM768")
        .unwrap();
    assert_eq!(pq.probe.result, ProbeResult::NotApplicable, "{pq:#?}");
    let plan = r.migration.as_ref().unwrap();
    assert_eq!(plan[0].urgency, Urgency::Now);
    assert!(plan[0].action.contains("TLS_RSA"), "{plan:#?}");
    assert!(has_action(&r, "enable TLS 1.3"), "{plan:#?}");
}

#[test]
fn tls12_ecdhe_only_server_lists_its_curves() {
    let addr = start(Server {
        certs: vec![single(Key::Rsa(2048), "ecdhe.test", 4)],
        max: Some(SslVersion::TLS1_2),
        ciphers: Some("ECDHE+AESGCM"),
        groups: Some("P-256:P-384"),
        ..Server::default()
    });
    let r = scan(&addr);
    assert_eq!(r.classification, Class::Tls12Only, "{r:#?}");
    let l = r.legacy.as_ref().unwrap();
    assert_eq!(l.rsa_key_transport, Answer::No, "{l:#?}");
    let ecdhe = l
        .key_exchanges
        .iter()
        .find(|k| serde_json::to_value(k.kind).unwrap() == "ecdhe")
        .unwrap();
    let mut curves = ecdhe.curves.clone();
    curves.sort();
    assert_eq!(curves, ["secp256r1", "secp384r1"], "{l:#?}");
    // The TLS 1.2 handshake's ServerKeyExchange signature (RFC 5246 §7.4.3) is the
    // authentication evidence: an RSA scheme from the RSA-2048 certificate, classical.
    let a = r
        .authentication
        .as_ref()
        .expect("an authentication summary");
    assert_eq!(a.class, AuthClass::Classical, "{a:#?}");
    assert_eq!(a.leaf_key.as_deref(), Some("RSA-2048"), "{a:#?}");
    let scheme = a
        .signature_scheme
        .as_deref()
        .expect("the ServerKeyExchange scheme");
    assert!(
        scheme.starts_with("rsa_pss_rsae_") || scheme.starts_with("rsa_pkcs1_"),
        "{a:#?}"
    );
}

#[test]
fn tls10_only_server_is_legacy() {
    let addr = start(Server {
        certs: vec![single(Key::Rsa(2048), "old.test", 5)],
        min: Some(SslVersion::TLS1),
        max: Some(SslVersion::TLS1),
        ciphers: Some("ALL:@SECLEVEL=0"),
        security_level: Some(0),
        ..Server::default()
    });
    let r = scan(&addr);
    assert_eq!(r.classification, Class::LegacyTlsOnly, "{r:#?}");
    let l = r.legacy.as_ref().unwrap();
    assert_eq!(l.tls10, VersionResult::Accepted, "{l:#?}");
    assert_eq!(l.tls11, VersionResult::Refused, "{l:#?}");
    assert_eq!(l.tls12, VersionResult::Refused, "{l:#?}");
    assert!(has_action(&r, "disable TLS 1.0"), "{:#?}", r.migration);
}

#[test]
fn preference_follows_the_server_or_the_client() {
    // OpenSSL 3.6 with the hybrid first in its list and server preference: it picks the
    // hybrid whatever the client's order.
    let addr = start(Server {
        certs: vec![single(Key::Rsa(2048), "pref.test", 6)],
        groups: Some("X25519MLKEM768:x25519"),
        server_preference: true,
        ..Server::default()
    });
    let r = scan(&addr);
    let p = r.preference.as_ref().unwrap();
    assert_eq!(p.prefers_post_quantum, Answer::Yes, "{p:#?}");
    assert_eq!(r.pq_posture, Some(Posture::PqPreferred));
    assert!(!has_action(&r, "prefer post-quantum"), "{:#?}", r.migration);

    // x25519 first in the server's list: a client listing x25519 first gets x25519.
    let addr = start(Server {
        certs: vec![single(Key::Rsa(2048), "pref.test", 7)],
        groups: Some("x25519:X25519MLKEM768"),
        server_preference: true,
        ..Server::default()
    });
    let r = scan(&addr);
    let p = r.preference.as_ref().unwrap();
    assert_eq!(p.prefers_post_quantum, Answer::No, "{p:#?}");
    assert_eq!(r.pq_posture, Some(Posture::PqCapable));
    assert!(has_action(&r, "prefer post-quantum"), "{:#?}", r.migration);
}

#[test]
fn classical_only_server_plan_offers_the_hybrid() {
    let addr = start(Server {
        certs: vec![single(Key::Rsa(2048), "classic.test", 9)],
        groups: Some("x25519:P-256"),
        ciphers: Some("ECDHE+AESGCM"),
        ..Server::default()
    });
    let r = scan(&addr);
    assert_eq!(r.classification, Class::ClassicalOnly, "{r:#?}");
    assert_eq!(r.pq_posture, Some(Posture::ClassicalOnly));
    let plan = r.migration.as_ref().unwrap();
    assert_eq!(plan[0].action, "offer X25519MLKEM768", "{plan:#?}");
    assert_eq!(plan[0].urgency, Urgency::High);
    assert!(plan[0].reason.contains("recorded today"), "{plan:#?}");
    let p = r.preference.as_ref().unwrap();
    assert_eq!(p.prefers_post_quantum, Answer::No, "{p:#?}");
}

/// A rustls server with `config` on loopback, for any number of connections.
fn rustls_server(config: rustls::ServerConfig) -> String {
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut sock in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(mut conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let _ = conn.complete_io(&mut sock);
                conn.send_close_notify();
                let _ = conn.complete_io(&mut sock);
            });
        }
    });
    addr
}

#[test]
fn rustls_aws_lc_rs_signs_with_ml_dsa_and_rustls_ring_cannot() {
    // rustls 0.23 with aws-lc-rs signs with ML-DSA keys: a second, independent ML-DSA
    // server (the key and certificate made by OpenSSL).
    let k = key(Key::MlDsa(65));
    let cert = certificate("rustls-mldsa.test", 65, &k, None, Key::MlDsa(65));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.to_der().unwrap().into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(k.private_key_to_pkcs8().unwrap().into()),
        )
        .unwrap();
    let r = scan(&rustls_server(config));
    assert!(r.classification.accepts_post_quantum(), "{r:#?}");
    let a = r.authentication.as_ref().unwrap();
    assert_eq!(a.class, AuthClass::PostQuantum, "{a:#?}");
    assert_eq!(a.signature_scheme.as_deref(), Some("mldsa65"));
    assert_eq!(a.signature_scheme_code.as_deref(), Some("0x0905"));
    assert_eq!(a.ml_dsa_when_asked, Answer::Yes, "{a:#?}");
    // TLS 1.3 only: TLS 1.2 refused, its key exchanges not applicable.
    let l = r.legacy.as_ref().unwrap();
    assert_eq!(l.tls12, VersionResult::Refused, "{l:#?}");

    // rustls with ring and an ECDSA P-384 certificate: a client offering only ML-DSA
    // gets a handshake_failure alert (after rustls's ServerHello), so "no".
    let k = key(Key::EcP384);
    let cert = certificate("rustls-ec.test", 384, &k, None, Key::EcP384);
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.to_der().unwrap().into()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(k.private_key_to_pkcs8().unwrap().into()),
    )
    .unwrap();
    let r = scan(&rustls_server(config));
    let a = r.authentication.as_ref().unwrap();
    assert_eq!(a.class, AuthClass::Classical, "{a:#?}");
    assert_eq!(a.ml_dsa_when_asked, Answer::No, "{a:#?}");
    assert!(
        a.ml_dsa_detail
            .as_deref()
            .unwrap()
            .contains("handshake_failure"),
        "{a:#?}"
    );
    // ring's rustls has no post-quantum group: classical only, and the plan says so.
    assert_eq!(r.classification, Class::ClassicalOnly, "{r:#?}");
    assert_eq!(actions(&r)[0], "offer X25519MLKEM768");
}
