//! Scanning over QUIC against real quinn servers on UDP loopback, each accepting a
//! chosen set of groups through pqhkex: the classification per server policy, the
//! negotiated group, the HelloRetryRequest, the datagrams the ClientHello took, the
//! checks that do not apply, the schema, and a silent UDP port ending as a typed
//! timeout within the target's deadline.
#![cfg(feature = "quic")]

#[path = "support/quic_server.rs"]
mod quic_peer;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pqhkex::groups::{self, Group};
use pqhkex_inventory::quic::QuicProbe;
use pqhkex_inventory::{
    probe, Class, FailureKind, ProbeResult, Protocol, ScanReport, Scanner, Status, Target,
    TargetResult,
};
use serde_json::Value;

/// A QUIC server accepting `groups` only (see `support/quic_server.rs`): its address
/// and the roots that trust its certificate.
fn quic_server(groups: &'static [&'static Group]) -> (SocketAddr, rustls::RootCertStore) {
    let (addr, cert) = quic_peer::start(groups);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    (addr, roots)
}

static PROBED: &[&Group] = &[
    &groups::X25519MLKEM768,
    &groups::MLKEM1024,
    &groups::X25519,
    &groups::SECP256R1,
];

fn scanner(roots: rustls::RootCertStore) -> Scanner {
    Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .roots(roots)
        .unwrap()
        .groups(PROBED)
        .timeout(Duration::from_secs(5))
}

fn scan(groups: &'static [&'static Group]) -> TargetResult {
    let (addr, roots) = quic_server(groups);
    let target = Target::parse(&format!("quic://localhost:{}", addr.port())).unwrap();
    let r = scanner(roots).scan_target(&target);
    assert_eq!(r.protocol, Protocol::Quic);
    r
}

fn facts<'a>(r: &'a TargetResult, probe: &str) -> &'a QuicProbe {
    let q = r.quic.as_ref().expect("a QUIC report");
    q.probes
        .iter()
        .find(|p| p.probe == probe)
        .unwrap_or_else(|| panic!("no {probe} probe in {q:#?}"))
}

fn group<'a>(r: &'a TargetResult, name: &str) -> &'a pqhkex_inventory::GroupProbe {
    r.groups.iter().find(|g| g.name == name).unwrap()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/scan-v3.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str::<Value>(&text).unwrap()).unwrap()
}

/// The report validates against the published schema and survives a round trip.
fn check_schema(r: &TargetResult) {
    let report = ScanReport::new(vec![r.clone()]);
    let doc = serde_json::to_value(&report).unwrap();
    let errors: Vec<String> = schema().iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert_eq!(doc["targets"][0]["protocol"], "quic");
    let back: ScanReport = serde_json::from_value(doc).unwrap();
    assert_eq!(back, report);
}

static PQ_ONLY: &[&Group] = &[&groups::X25519MLKEM768, &groups::MLKEM1024];
static HYBRID_AND_CLASSICAL: &[&Group] = &[&groups::X25519MLKEM768, &groups::X25519];
static P256_ONLY: &[&Group] = &[&groups::SECP256R1];

#[test]
fn pq_only_server() {
    let r = scan(PQ_ONLY);
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert_eq!(r.classification, Class::PqOnly, "{r:#?}");
    assert!(r.quantum_safe_by_default);
    let d = r.default_offer.as_ref().unwrap();
    assert_eq!(d.result, ProbeResult::Accepted);
    assert_eq!(d.group.as_deref(), Some("X25519MLKEM768"));
    assert_eq!(d.protocol.as_deref(), Some("TLS 1.3"));
    assert_eq!(r.accepted.hybrid, ["X25519MLKEM768"]);
    assert_eq!(r.accepted.post_quantum, ["MLKEM1024"]);
    assert!(r.accepted.classical.is_empty());
    // A classical group alone: the server's handshake_failure alert, carried in a
    // CONNECTION_CLOSE as CRYPTO_ERROR 0x128 (RFC 9001 §4.8), is the refusal.
    for name in ["x25519", "secp256r1"] {
        let g = group(&r, name);
        assert_eq!(g.probe.result, ProbeResult::Rejected, "{g:#?}");
        assert_eq!(g.probe.alert.as_deref(), Some("handshake_failure"));
        assert_eq!(facts(&r, name).group, None);
        assert_eq!(facts(&r, name).hello_retry_request, None);
    }

    // The datagrams the ClientHello took, as measured: the browser-like offer carries
    // a 1216-byte X25519MLKEM768 share and MLKEM1024 alone a 1568-byte one, too much
    // for one 1200-byte Initial datagram (RFC 9000 §14.1): two datagrams each, each
    // padded to 1200 bytes. x25519 alone fits one.
    let d = facts(&r, "default-offer");
    assert_eq!(d.group.as_deref(), Some("X25519MLKEM768"));
    assert_eq!(d.hello_retry_request, Some(false));
    assert_eq!(d.client_hello_datagrams, 2, "{d:#?}");
    assert!(d.client_hello_bytes >= 2 * 1200, "{d:#?}");
    assert!(d.datagrams_sent > d.client_hello_datagrams, "{d:#?}");
    assert!(d.datagrams_received >= 1 && d.bytes_received > 0, "{d:#?}");
    let m = facts(&r, "MLKEM1024");
    assert_eq!(
        (m.client_hello_datagrams, m.group.as_deref()),
        (2, Some("MLKEM1024")),
        "{m:#?}"
    );
    let x = facts(&r, "x25519");
    assert_eq!(x.client_hello_datagrams, 1, "{x:#?}");
    assert!((1200..1500).contains(&x.client_hello_bytes), "{x:#?}");

    // The certificate and its chain come from the QUIC handshakes too.
    let cert = r.certificate.as_ref().unwrap();
    assert_eq!(cert.trusted, Some(true), "{cert:#?}");
    assert_eq!(r.certificate_chain.len(), 1);
    assert!(r.authentication.is_some());

    // What does not apply to QUIC says so; nothing of the TCP surface is reported.
    let q = r.quic.as_ref().unwrap();
    assert_eq!(q.alpn, ["h3"]);
    let na: Vec<&str> = q.not_applicable.iter().map(|c| c.check.as_str()).collect();
    assert_eq!(na, ["legacy", "client_hello_split"]);
    assert!(q.not_applicable[0].reason.contains("RFC 9001 §4.2"));
    assert!(r.legacy.is_none() && r.client_hello_split.is_none() && r.preference.is_none());
    assert_eq!(q.probes.len(), 1 + PROBED.len());
    check_schema(&r);
}

#[test]
fn hybrid_and_classical_server() {
    let r = scan(HYBRID_AND_CLASSICAL);
    assert_eq!(r.classification, Class::PqAndClassical, "{r:#?}");
    assert_eq!(r.accepted.hybrid, ["X25519MLKEM768"]);
    assert_eq!(r.accepted.classical, ["x25519"]);
    assert_eq!(group(&r, "MLKEM1024").probe.result, ProbeResult::Rejected);
    assert_eq!(group(&r, "secp256r1").probe.result, ProbeResult::Rejected);
    assert_eq!(
        facts(&r, "default-offer").group.as_deref(),
        Some("X25519MLKEM768")
    );
    check_schema(&r);
}

#[test]
fn classical_only_server_asks_for_another_share() {
    // The browser-like offer sends X25519MLKEM768 and x25519 shares; a server that only
    // does P-256 asks for a secp256r1 share by HelloRetryRequest (RFC 8446 §4.1.4).
    let r = scan(P256_ONLY);
    assert_eq!(r.classification, Class::ClassicalOnly, "{r:#?}");
    assert!(!r.quantum_safe_by_default);
    let d = r.default_offer.as_ref().unwrap();
    assert_eq!(d.result, ProbeResult::HelloRetryRequest, "{d:#?}");
    assert_eq!(d.group.as_deref(), Some("secp256r1"));
    let f = facts(&r, "default-offer");
    assert_eq!(f.hello_retry_request, Some(true), "{f:#?}");
    assert_eq!(f.group.as_deref(), Some("secp256r1"));
    // Only the first ClientHello is counted: the one after the HelloRetryRequest is
    // sent after the server's first datagram arrived.
    assert_eq!(f.client_hello_datagrams, 2, "{f:#?}");
    assert!(f.datagrams_sent > 2, "{f:#?}");
    // secp256r1 offered alone, with its share: accepted at once.
    let p = facts(&r, "secp256r1");
    assert_eq!(p.hello_retry_request, Some(false), "{p:#?}");
    assert_eq!(group(&r, "secp256r1").probe.result, ProbeResult::Accepted);
    assert_eq!(r.accepted.classical, ["secp256r1"]);
    assert!(r.accepted.hybrid.is_empty() && r.accepted.post_quantum.is_empty());
    check_schema(&r);
}

#[test]
fn silent_udp_port_is_a_typed_timeout_within_the_deadline() {
    // A bound UDP socket nobody reads: no ICMP error, no answer, ever.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = Target::parse(&format!("quic://{}", silent.local_addr().unwrap())).unwrap();
    let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .groups(PROBED)
        .timeout(Duration::from_millis(1500))
        .target_timeout(Some(Duration::from_secs(3)));
    let started = Instant::now();
    let r = scanner.scan_target(&target);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    assert!(took >= Duration::from_millis(1400), "took {took:?}");
    assert_eq!(r.protocol, Protocol::Quic);
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.classification, Class::Unreachable);
    let e = r.error.as_ref().unwrap();
    assert_eq!(e.kind, FailureKind::Timeout, "{e:#?}");
    assert!(e.message.contains("no QUIC handshake"), "{}", e.message);
    // The first flight was sent, and counted once: the probe timeout retransmissions
    // (from about 1 s on) are not part of it.
    let d = facts(&r, "default-offer");
    assert_eq!(d.client_hello_datagrams, 2, "{d:#?}");
    assert!(d.datagrams_sent > 2, "{d:#?}");
    assert_eq!(d.datagrams_received, 0);
    check_schema(&r);

    // A tighter target budget cuts the probe short.
    let tight = scanner.target_timeout(Some(Duration::from_millis(400)));
    let started = Instant::now();
    let r = tight.scan_target(&target);
    assert!(started.elapsed() < Duration::from_millis(900));
    assert_eq!(r.error.unwrap().kind, FailureKind::Timeout);
}

#[test]
fn tls_targets_over_quic_and_the_other_forms() {
    let (addr, roots) = quic_server(HYBRID_AND_CLASSICAL);
    let scanner = scanner(roots).tls_over_quic(true);
    let plain = Target::parse(&format!("localhost:{}", addr.port())).unwrap();
    assert_eq!(plain.protocol, Protocol::Tls);
    let r = scanner.scan_target(&plain);
    assert_eq!(r.protocol, Protocol::Quic);
    assert_eq!(r.classification, Class::PqAndClassical, "{r:#?}");
    assert_eq!(r.target, plain.input);
    // A verifier that does not know the certificate still reports it, untrusted.
    let untrusted = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .roots(probe::root_store(None).unwrap())
        .unwrap()
        .groups(&[&groups::X25519MLKEM768])
        .scan_target(&Target::parse(&format!("quic://localhost:{}", addr.port())).unwrap());
    assert_eq!(
        untrusted.accepted.hybrid,
        ["X25519MLKEM768"],
        "{untrusted:#?}"
    );
    assert_eq!(untrusted.certificate.unwrap().trusted, Some(false));
}
