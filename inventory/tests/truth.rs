//! The scanner tells the truth about real deployments.
//!
//! * A TLS 1.2 server with an ECDSA certificate can only use it with a client that lists
//!   the certificate's curve in supported_groups (RFC 8422 §5.1.1), so a classical group
//!   offered alone is refused even when the server supports it. The scanner must re-offer
//!   it next to that curve, and say "undetermined" when the answer still cannot tell.
//!   With an RSA certificate there is no such confounder.
//! * A post-quantum ClientHello no longer fits one packet: the split-ClientHello check
//!   must fail a server that only handles a ClientHello read in one piece, and pass real
//!   servers (pqhkex's, OpenSSL's).

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/openssl_peers.rs"]
mod peers;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use openssl::pkey::PKey;
use openssl::ssl::SslVersion;
use openssl::x509::X509;
use pqhkex::groups::{SECP256R1, SECP384R1, X25519, X25519MLKEM768};
use pqhkex_inventory::{Class, GroupProbe, ProbeResult, Scanner, Target, TargetResult};

/// The server's key type.
#[derive(Clone, Copy)]
enum Key {
    EcdsaP256,
    EcdsaP384,
    Rsa,
}

/// A self-signed certificate for localhost and its PKCS#8 key, both DER.
fn certificate(key: Key) -> (Vec<u8>, Vec<u8>) {
    let pair = match key {
        Key::EcdsaP256 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        Key::EcdsaP384 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
        Key::Rsa => {
            let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
            let der = PKey::from_rsa(rsa).unwrap().private_key_to_pkcs8().unwrap();
            let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from(der);
            rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256).unwrap()
        }
    };
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    (cert.der().to_vec(), pair.serialize_der())
}

/// An OpenSSL server on loopback for any number of connections: TLS 1.2 only when
/// `tls12_only`, with the OpenSSL groups list `groups` (`None`: OpenSSL's defaults).
fn openssl_server(key: Key, tls12_only: bool, groups: Option<&'static str>) -> String {
    let (cert, pkcs8) = certificate(key);
    peers::start(peers::Server {
        certs: vec![(
            vec![X509::from_der(&cert).unwrap()],
            PKey::private_key_from_pkcs8(&pkcs8).unwrap(),
        )],
        max: tls12_only.then_some(SslVersion::TLS1_2),
        groups,
        ..peers::Server::default()
    })
}

fn scan(addr: &str, groups: &[&'static pqhkex::Group]) -> TargetResult {
    Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .groups(groups)
        .timeout(Duration::from_secs(10))
        .scan_target(&Target::parse(addr).unwrap())
}

fn group<'a>(r: &'a TargetResult, name: &str) -> &'a GroupProbe {
    r.groups
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no probe for {name}"))
}

const GROUPS: &[&pqhkex::Group] = &[&X25519, &SECP256R1, &SECP384R1, &X25519MLKEM768];

#[test]
fn tls12_ecdsa_p256_server_x25519_is_accepted_not_rejected() {
    let addr = openssl_server(Key::EcdsaP256, true, Some("X25519:P-256"));
    let r = scan(&addr, GROUPS);
    assert_eq!(r.classification, Class::Tls12Only, "{r:#?}");
    // The browser-like offer negotiates x25519 ...
    let default = r.default_offer.as_ref().unwrap();
    assert_eq!(default.group.as_deref(), Some("x25519"));
    // ... so x25519 offered alone must not be reported as rejected: it is re-offered
    // next to secp256r1, which the certificate needs, and accepted.
    let x = group(&r, "x25519");
    assert_eq!(x.probe.result, ProbeResult::Accepted, "{x:#?}");
    assert_eq!(x.probe.offered, ["x25519", "secp256r1"]);
    assert_eq!(x.probe.group.as_deref(), Some("x25519"));
    assert!(
        x.probe.detail.as_deref().unwrap_or("").contains("RFC 8422"),
        "{x:#?}"
    );
    assert_eq!(group(&r, "secp256r1").probe.result, ProbeResult::Accepted);
    assert_eq!(group(&r, "secp256r1").probe.offered, ["secp256r1"]);
    // secp384r1 is not in the server's list: offered next to secp256r1 the server
    // takes secp256r1, so the scanner cannot tell, and says so.
    let p384 = group(&r, "secp384r1");
    assert_eq!(p384.probe.result, ProbeResult::Undetermined, "{p384:#?}");
    assert!(p384
        .probe
        .detail
        .as_deref()
        .unwrap_or("")
        .contains("not determined"));
    assert_eq!(r.accepted.classical, ["x25519", "secp256r1"]);
    // Post-quantum groups need TLS 1.3: refused, not applicable to this TLS 1.2-only
    // server (never "rejected"), the alert kept as evidence, no re-offer.
    let pq = group(&r, "X25519MLKEM768");
    assert_eq!(pq.probe.result, ProbeResult::NotApplicable);
    assert_eq!(pq.probe.alert.as_deref(), Some("protocol_version"));
    assert_eq!(pq.probe.offered, ["X25519MLKEM768"]);
}

#[test]
fn tls12_ecdsa_p384_server_needs_secp384r1_next_to_x25519() {
    let addr = openssl_server(Key::EcdsaP384, true, Some("X25519:P-384"));
    let r = scan(&addr, &[&X25519, &SECP256R1, &SECP384R1]);
    let x = group(&r, "x25519");
    assert_eq!(x.probe.result, ProbeResult::Accepted, "{x:#?}");
    assert_eq!(x.probe.offered, ["x25519", "secp384r1"]);
    // secp256r1 is not the server's: refused alone and next to secp384r1 the server
    // picks secp384r1, so undetermined.
    assert_eq!(
        group(&r, "secp256r1").probe.result,
        ProbeResult::Undetermined
    );
    assert_eq!(group(&r, "secp384r1").probe.result, ProbeResult::Accepted);
}

#[test]
fn tls12_rsa_server_has_no_curve_confounder() {
    let addr = openssl_server(Key::Rsa, true, Some("X25519:P-256"));
    let r = scan(&addr, &[&X25519, &SECP256R1, &SECP384R1]);
    assert_eq!(r.classification, Class::Tls12Only, "{r:#?}");
    for (name, result) in [
        ("x25519", ProbeResult::Accepted),
        ("secp256r1", ProbeResult::Accepted),
        // Not the server's, and no certificate curve to blame: a plain refusal.
        ("secp384r1", ProbeResult::Rejected),
    ] {
        let g = group(&r, name);
        assert_eq!(g.probe.result, result, "{g:#?}");
        assert_eq!(g.probe.offered.len(), 1, "{g:#?}");
    }
}

#[test]
fn tls13_ecdsa_server_needs_no_re_offer() {
    // TLS 1.3 negotiates the signature algorithm apart from the groups: x25519 alone is
    // accepted by an ECDSA P-256 server, and secp384r1 plainly refused.
    let addr = openssl_server(Key::EcdsaP256, false, Some("X25519:P-256"));
    // The hybrid is probed too: without evidence about it the verdict is undetermined.
    let r = scan(&addr, &[&X25519MLKEM768, &X25519, &SECP384R1]);
    assert_eq!(r.classification, Class::ClassicalOnly, "{r:#?}");
    assert_eq!(
        group(&r, "X25519MLKEM768").probe.result,
        ProbeResult::Rejected
    );
    assert_eq!(group(&r, "x25519").probe.result, ProbeResult::Accepted);
    assert_eq!(group(&r, "secp384r1").probe.result, ProbeResult::Rejected);
    assert_eq!(group(&r, "secp384r1").probe.offered.len(), 1);
}

/// Reads the first piece of a connection once; unless it holds a whole ClientHello in
/// one TLS record, closes (like a middlebox that cannot reassemble); else relays the
/// connection to `backend`.
fn one_read_proxy(backend: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let backend = backend.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                let Ok(n) = client.read(&mut buf) else { return };
                let first = &buf[..n];
                let whole = first.len() >= 9 && first[0] == 0x16 && {
                    let record = usize::from(u16::from_be_bytes([first[3], first[4]]));
                    let message = (usize::from(first[6]) << 16)
                        | (usize::from(first[7]) << 8)
                        | usize::from(first[8]);
                    first.len() >= 5 + record && message + 4 == record
                };
                if !whole {
                    return; // drops the connection
                }
                let Ok(mut server) = TcpStream::connect(&backend) else {
                    return;
                };
                if server.write_all(first).is_err() {
                    return;
                }
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Write);
                let _ = up.join();
            });
        }
    });
    addr
}

#[test]
fn split_client_hello_fails_a_server_that_reads_it_in_one_piece() {
    let fleet = fleet::start(1);
    let direct = &fleet.members[0].0;
    let r = scan(direct, &[&X25519MLKEM768]);
    let split = r.client_hello_split.as_ref().expect("split check ran");
    assert!(split.passed, "pqhkex's server must pass: {split:#?}");

    let proxied = one_read_proxy(direct.clone());
    let r = scan(&proxied, &[&X25519MLKEM768, &X25519]);
    // The whole ClientHello gets through the proxy ...
    assert_eq!(r.classification, Class::PqAndClassical, "{r:#?}");
    assert_eq!(
        group(&r, "X25519MLKEM768").probe.result,
        ProbeResult::Accepted
    );
    assert!(r.quantum_safe_by_default);
    // ... a split one does not.
    let split = r.client_hello_split.as_ref().expect("split check ran");
    assert!(!split.passed, "{split:#?}");
    assert_ne!(split.tcp_segments.result, ProbeResult::Accepted);
    assert_ne!(split.tls_records.result, ProbeResult::Accepted);
}

#[test]
fn split_client_hello_passes_openssl() {
    // OpenSSL's defaults offer X25519MLKEM768 first (3.5 and later).
    let addr = openssl_server(Key::EcdsaP256, false, None);
    let r = scan(&addr, &[&X25519MLKEM768]);
    assert_eq!(
        r.default_offer.as_ref().and_then(|d| d.group.as_deref()),
        Some("X25519MLKEM768")
    );
    let split = r.client_hello_split.as_ref().expect("split check ran");
    assert!(split.passed, "{split:#?}");
    assert_eq!(split.tcp_segments.group.as_deref(), Some("X25519MLKEM768"));
    assert_eq!(split.tls_records.group.as_deref(), Some("X25519MLKEM768"));
}

#[test]
fn split_check_can_be_turned_off() {
    let fleet = fleet::start(1);
    let r = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .groups(&[&X25519])
        .client_hello_split_checks(false)
        .scan_target(&Target::parse(&fleet.members[0].0).unwrap());
    assert!(r.client_hello_split.is_none());
}
