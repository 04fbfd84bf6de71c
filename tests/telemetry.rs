//! Feature `telemetry`: the ClientHello reader on real rustls ClientHellos and on
//! malformed input, and the metrics a [`Recorder`] records for real handshakes
//! (rendered by the Prometheus exporter).
#![cfg(feature = "telemetry")]

use std::sync::Arc;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};
use pqhkex::telemetry::{
    failure_reason, ClientHelloInfo, HelloCapture, HelloError, Readiness, Recorder, Recording,
};
use pqhkex::{Policy, PqServerConfigs};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, ClientConnection, NamedGroup};

const X25519MLKEM768: u16 = 0x11ec;
const X25519: u16 = 0x001d;

fn ring() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

struct Identity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn identity() -> Identity {
    let k = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    Identity {
        cert: k.cert.der().clone(),
        key: PrivateKeyDer::try_from(k.signing_key.serialize_der()).unwrap(),
    }
}

fn roots(id: &Identity) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(id.cert.clone()).unwrap();
    roots
}

/// The kinds of client the tests use.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// PreferPostQuantum: X25519MLKEM768 and x25519 shares.
    Pq,
    /// x25519, secp256r1, secp384r1 only.
    Classical,
    /// Lists x25519 then X25519MLKEM768: one x25519 share, so a server that wants the
    /// hybrid sends a HelloRetryRequest.
    PqListed,
    /// TLS 1.2 only.
    Tls12,
}

fn client_config(kind: Client, roots: rustls::RootCertStore) -> ClientConfig {
    let provider = match kind {
        Client::Pq => pqhkex::with_policy(ring(), Policy::PreferPostQuantum),
        Client::Classical | Client::Tls12 => pqhkex::with_policy(ring(), Policy::Classical),
        Client::PqListed => rustls::crypto::CryptoProvider {
            kx_groups: vec![
                pqhkex::rustls::kx_group(&pqhkex::groups::X25519),
                pqhkex::rustls::kx_group(&pqhkex::groups::X25519MLKEM768),
            ],
            ..ring()
        },
    };
    let versions: &[&rustls::SupportedProtocolVersion] = match kind {
        Client::Tls12 => &[&rustls::version::TLS12],
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn client(kind: Client, roots: rustls::RootCertStore) -> ClientConnection {
    ClientConnection::new(
        Arc::new(client_config(kind, roots)),
        "localhost".try_into().unwrap(),
    )
    .unwrap()
}

/// A real client's first flight.
fn first_flight(kind: Client) -> Vec<u8> {
    let mut c = client(kind, rustls::RootCertStore::empty());
    let mut wire = Vec::new();
    c.write_tls(&mut wire).unwrap();
    wire
}

#[test]
fn real_client_hellos() {
    let pq = ClientHelloInfo::from_records(&first_flight(Client::Pq)).unwrap();
    assert_eq!(pq.key_shares, [X25519MLKEM768, X25519]);
    assert_eq!(
        pq.supported_groups.as_deref().unwrap()[..2],
        [X25519MLKEM768, 0x11eb]
    );
    assert_eq!(
        pq.supported_versions.as_deref(),
        Some(&[0x0304, 0x0303][..])
    );
    assert_eq!(pq.legacy_version, 0x0303);
    assert_eq!(
        pq.readiness(Policy::RequirePostQuantum),
        Readiness::PqKeyShare
    );

    let classical = ClientHelloInfo::from_records(&first_flight(Client::Classical)).unwrap();
    assert_eq!(classical.key_shares, [X25519]);
    assert_eq!(
        classical.supported_groups.as_deref(),
        Some(&[X25519, 0x0017, 0x0018][..])
    );
    assert_eq!(
        classical.readiness(Policy::RequirePostQuantum),
        Readiness::Classical
    );

    let listed = ClientHelloInfo::from_records(&first_flight(Client::PqListed)).unwrap();
    assert_eq!(listed.key_shares, [X25519]);
    assert_eq!(
        listed.supported_groups.as_deref(),
        Some(&[X25519, X25519MLKEM768][..])
    );
    assert_eq!(
        listed.readiness(Policy::RequirePostQuantum),
        Readiness::PqListed
    );
    // Judged against CNSA 2.0, X25519MLKEM768 is not one of its groups.
    assert_eq!(listed.readiness(Policy::Cnsa2), Readiness::Classical);

    let tls12 = ClientHelloInfo::from_records(&first_flight(Client::Tls12)).unwrap();
    assert!(!tls12.offers_tls13(), "{tls12:?}");
    assert!(tls12.key_shares.is_empty(), "{tls12:?}");
    assert_eq!(
        tls12.readiness(Policy::RequirePostQuantum),
        Readiness::Tls12Only
    );
}

/// The handshake message inside `records` (one record from a rustls client).
fn message(records: &[u8]) -> Vec<u8> {
    let len = usize::from(u16::from_be_bytes([records[3], records[4]]));
    records[5..5 + len].to_vec()
}

/// `msg` in records of at most `size` bytes each.
fn frame(msg: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in msg.chunks(size) {
        out.extend_from_slice(&[22, 3, 1]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[test]
fn fragmented_across_records_and_trailing_bytes() {
    let wire = first_flight(Client::Pq);
    let whole = ClientHelloInfo::from_records(&wire).unwrap();
    let msg = message(&wire);
    assert_eq!(ClientHelloInfo::from_message(&msg).unwrap(), whole);
    for size in [1, 7, 100, 1000] {
        let mut framed = frame(&msg, size);
        assert_eq!(
            ClientHelloInfo::from_records(&framed).unwrap(),
            whole,
            "{size}"
        );
        // Bytes after the ClientHello (the next flight) do not matter.
        framed.extend_from_slice(&[23, 3, 3, 0, 1, 0]);
        assert_eq!(ClientHelloInfo::from_records(&framed).unwrap(), whole);
    }
}

#[test]
fn every_truncation_is_incomplete() {
    for kind in [
        Client::Pq,
        Client::Classical,
        Client::PqListed,
        Client::Tls12,
    ] {
        let msg = message(&first_flight(kind));
        let framed = frame(&msg, 300);
        for cut in 0..framed.len() {
            assert_eq!(
                ClientHelloInfo::from_records(&framed[..cut]),
                Err(HelloError::Incomplete),
                "{kind:?} cut at {cut}"
            );
        }
        for cut in 0..msg.len() {
            assert_eq!(
                ClientHelloInfo::from_message(&msg[..cut]),
                Err(HelloError::Incomplete),
                "{kind:?} message cut at {cut}"
            );
        }
    }
}

/// Every byte of a real ClientHello flipped in turn (lengths overflowing what holds
/// them, types changed): the reader returns, never panics; where a length field grows
/// past its container the answer is an error.
#[test]
fn every_byte_mutation_returns() {
    let msg = message(&first_flight(Client::Pq));
    for i in 0..msg.len() {
        for flip in [0xff, 0x80, 0x01] {
            let mut bad = msg.clone();
            bad[i] ^= flip;
            let _ = ClientHelloInfo::from_message(&bad);
            let _ = ClientHelloInfo::from_records(&frame(&bad, 512));
        }
    }
    // The extensions block's length (the two bytes after the compression methods) made
    // larger than what follows it.
    let body = 4;
    let sid = body + 2 + 32;
    let suites = sid + 1 + usize::from(msg[sid]);
    let comp = suites + 2 + usize::from(u16::from_be_bytes([msg[suites], msg[suites + 1]]));
    let ext = comp + 1 + usize::from(msg[comp]);
    let mut bad = msg.clone();
    bad[ext] = 0xff;
    bad[ext + 1] = 0xff;
    assert_eq!(
        ClientHelloInfo::from_message(&bad),
        Err(HelloError::Malformed("extensions"))
    );
}

/// A ClientHello built from parts, for the malformed cases rustls never sends.
fn hello(session_id: &[u8], extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x55; 32]);
    body.push(session_id.len() as u8);
    body.extend_from_slice(session_id);
    body.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    let mut exts = Vec::new();
    for (typ, data) in extensions {
        exts.extend_from_slice(&typ.to_be_bytes());
        exts.extend_from_slice(&(data.len() as u16).to_be_bytes());
        exts.extend_from_slice(data);
    }
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut msg = vec![1];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    msg
}

fn versions13() -> (u16, Vec<u8>) {
    (43, vec![2, 3, 4])
}

#[test]
fn malformed_client_hellos_are_typed_errors() {
    // A well-formed one first, so that each case below fails for its own reason.
    let share = {
        let mut d = vec![0, 8];
        d.extend_from_slice(&X25519MLKEM768.to_be_bytes());
        d.extend_from_slice(&[0, 4, 1, 2, 3, 4]);
        d
    };
    let ok =
        ClientHelloInfo::from_message(&hello(&[], &[versions13(), (51, share.clone())])).unwrap();
    assert_eq!(ok.key_shares, [X25519MLKEM768]);
    assert_eq!(
        ok.readiness(Policy::RequirePostQuantum),
        Readiness::PqKeyShare
    );

    let cases: Vec<(Vec<u8>, HelloError)> = vec![
        (
            hello(&[0; 33], &[]),
            HelloError::Malformed("legacy_session_id longer than 32 bytes"),
        ),
        (
            hello(&[], &[versions13(), versions13()]),
            HelloError::DuplicateExtension(43),
        ),
        // key_exchange length past the end of the extension.
        (
            hello(&[], &[(51, vec![0, 6, 0x11, 0xec, 0xff, 0xff, 1, 2])]),
            HelloError::Malformed("key_share entry key_exchange"),
        ),
        // An empty key_exchange (RFC 8446 §4.2.8: at least one byte).
        (
            hello(&[], &[(51, vec![0, 4, 0x11, 0xec, 0, 0])]),
            HelloError::Malformed("empty key_exchange"),
        ),
        // The client_shares length says more than the extension holds.
        (
            hello(&[], &[(51, vec![0xff, 0xff, 0, 0x1d])]),
            HelloError::Malformed("key_share"),
        ),
        // An odd supported_groups length.
        (
            hello(&[], &[(10, vec![0, 3, 0, 0x1d, 0])]),
            HelloError::Malformed("supported_groups"),
        ),
        // Bytes after the supported_versions list.
        (
            hello(&[], &[(43, vec![2, 3, 4, 9])]),
            HelloError::Malformed("supported_versions length"),
        ),
        // An extension's length past the end of the block.
        (
            {
                let mut m = hello(&[], &[(0xfe, vec![1, 2, 3])]);
                let n = m.len();
                m[n - 4] = 0x40;
                m
            },
            HelloError::Malformed("extension data"),
        ),
    ];
    for (msg, want) in cases {
        assert_eq!(ClientHelloInfo::from_message(&msg), Err(want.clone()));
        assert_eq!(
            ClientHelloInfo::from_records(&frame(&msg, 16384)),
            Err(want)
        );
    }

    // Record layer: not a handshake record, an empty or an oversized one, not a
    // ClientHello.
    assert_eq!(
        ClientHelloInfo::from_records(&[23, 3, 3, 0, 1, 0]),
        Err(HelloError::NotHandshake(23))
    );
    assert_eq!(
        ClientHelloInfo::from_records(&[22, 3, 1, 0, 0]),
        Err(HelloError::BadRecordLength(0))
    );
    assert_eq!(
        ClientHelloInfo::from_records(&[22, 3, 1, 0x40, 0x01]),
        Err(HelloError::BadRecordLength(16385))
    );
    assert_eq!(
        ClientHelloInfo::from_records(&[22, 3, 3, 0, 4, 2, 0, 0, 0]),
        Err(HelloError::NotClientHello(2))
    );
    // A 24-bit length of 16 MiB with 5 bytes behind it: incomplete, nothing allocated
    // for it.
    assert_eq!(
        ClientHelloInfo::from_message(&[1, 0xff, 0xff, 0xff, 3, 3, 0, 0, 0]),
        Err(HelloError::Incomplete)
    );
    // A ClientHello with no extensions at all (valid up to TLS 1.2).
    let mut bare = hello(&[], &[]);
    bare.truncate(bare.len() - 2);
    bare[3] -= 2;
    let info = ClientHelloInfo::from_message(&bare).unwrap();
    assert_eq!(
        info.readiness(Policy::RequirePostQuantum),
        Readiness::Tls12Only
    );
}

#[test]
fn capture_stops_at_the_end_of_the_client_hello() {
    let wire = frame(&message(&first_flight(Client::Pq)), 200);
    let mut capture = HelloCapture::new();
    for chunk in wire.chunks(33) {
        assert!(!capture.is_complete());
        capture.record(chunk);
    }
    assert!(capture.is_complete());
    capture.record(&[23, 3, 3, 0, 1, 0]);
    assert_eq!(capture.bytes(), &wire[..]);
    // The Read wrapper keeps the same bytes.
    let mut r = Recording::new(&wire[..]);
    std::io::copy(&mut r, &mut std::io::sink()).unwrap();
    assert_eq!(r.captured(), &wire[..]);
}

/// One-byte handshake records (each read walks only what arrived, so this costs the
/// server no more than one large record would): complete at the ClientHello's last
/// byte, with every byte kept. A first message that is not a ClientHello, or a record
/// that is not a handshake record, ends the capture at once.
#[test]
fn capture_of_tiny_fragments_and_of_other_first_messages() {
    let msg = message(&first_flight(Client::Pq));
    let wire = frame(&msg, 1);
    let mut capture = HelloCapture::new();
    for byte in wire.chunks(1) {
        assert!(!capture.is_complete());
        capture.record(byte);
    }
    assert!(capture.is_complete());
    assert_eq!(capture.bytes(), &wire[..]);
    assert_eq!(
        ClientHelloInfo::from_records(capture.bytes()).unwrap(),
        ClientHelloInfo::from_message(&msg).unwrap()
    );

    let mut server_hello = msg.clone();
    server_hello[0] = 2;
    let wire = frame(&server_hello, 100);
    let mut capture = HelloCapture::new();
    capture.record(&wire[..104]);
    assert!(
        !capture.is_complete(),
        "the first record is not complete yet"
    );
    capture.record(&wire[104..105]);
    assert!(capture.is_complete());

    let mut capture = HelloCapture::new();
    capture.record(&[23, 3, 3, 0, 1, 0]);
    assert!(capture.is_complete());
    let mut capture = HelloCapture::new();
    capture.record(&[22, 3, 3, 0x40, 0x01]);
    assert!(capture.is_complete(), "a record longer than 2^14 bytes");
}

/// Runs one handshake in memory: the client's first flight through an `Acceptor`,
/// `PqServerConfigs::accept_recorded`, then records back and forth until both are
/// done or one fails; the server's side recorded by the `Recorder`.
fn handshake(configs: &PqServerConfigs, recorder: &Recorder, mut c: ClientConnection) {
    let mut wire = Vec::new();
    c.write_tls(&mut wire).unwrap();
    let mut acceptor = rustls::server::Acceptor::default();
    acceptor.read_tls(&mut &wire[..]).unwrap();
    let accepted = acceptor.accept().unwrap().unwrap();
    let (mut s, hs) = match configs.accept_recorded(accepted, &wire, recorder) {
        Ok(ok) => ok,
        Err((_, mut alert)) => {
            let mut out = Vec::new();
            alert.write_all(&mut out).unwrap();
            let _ = c.read_tls(&mut &out[..]);
            assert!(c.process_new_packets().is_err());
            return;
        }
    };
    let mut hs = Some(hs);
    for _ in 0..10 {
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        let _ = c.read_tls(&mut &buf[..]);
        let client_err = c.process_new_packets().err();
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            s.read_tls(&mut &buf[..]).unwrap();
            if let Err(e) = s.process_new_packets() {
                hs.take().unwrap().failed(&e);
                return;
            }
        }
        if !s.is_handshaking() {
            hs.take().unwrap().done(&s);
            return;
        }
        assert!(client_err.is_none(), "{client_err:?}");
    }
    panic!("no end to the handshake");
}

fn render(recorder: &PrometheusRecorder) -> String {
    recorder.handle().render()
}

fn has(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
}

fn server_configs(id: &Identity, policy: Policy) -> PqServerConfigs {
    PqServerConfigs::new(ring(), policy, |b| {
        b.with_no_client_auth()
            .with_single_cert(vec![id.cert.clone()], id.key.clone_key())
    })
    .unwrap()
}

/// Real handshakes (in memory) of each kind of client against a preferring server
/// and a requiring one: exact counts per label, HRR for the client that listed the
/// hybrid without a share, and the "would break" identity: the classical and TLS 1.2
/// ClientHellos the preferring server saw are the refusals of the requiring one.
#[test]
fn recorder_counts_real_handshakes() {
    let id = identity();
    let prom = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&prom, || {
        let recorder = Recorder::new();
        let prefer = server_configs(&id, Policy::PreferPostQuantum);
        let kinds = [
            Client::Pq,
            Client::Pq,
            Client::Classical,
            Client::PqListed,
            Client::Tls12,
        ];
        for kind in kinds {
            handshake(&prefer, &recorder, client(kind, roots(&id)));
        }
        // A client that does not trust the server's certificate: it sends an alert.
        handshake(
            &prefer,
            &recorder,
            client(Client::Pq, rustls::RootCertStore::empty()),
        );
    });
    let text = render(&prom);
    has(
        &text,
        "pqhkex_client_hellos_total{readiness=\"pq_key_share\"} 3",
    );
    has(
        &text,
        "pqhkex_client_hellos_total{readiness=\"classical\"} 1",
    );
    has(
        &text,
        "pqhkex_client_hellos_total{readiness=\"pq_listed\"} 1",
    );
    has(
        &text,
        "pqhkex_client_hellos_total{readiness=\"tls12_only\"} 1",
    );
    has(&text, "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_key_share\",hrr=\"false\"} 2");
    has(
        &text,
        "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_listed\",hrr=\"true\"} 1",
    );
    has(
        &text,
        "pqhkex_handshakes_total{group=\"x25519\",readiness=\"classical\",hrr=\"false\"} 1",
    );
    has(
        &text,
        "pqhkex_handshakes_total{group=\"x25519\",readiness=\"tls12_only\",hrr=\"false\"} 1",
    );
    has(&text, "pqhkex_handshake_failures_total{reason=\"alert_received_unknown_ca\",readiness=\"pq_key_share\"} 1");
    has(&text, "pqhkex_handshake_duration_seconds_count{group=\"X25519MLKEM768\",readiness=\"pq_listed\"} 1");
    has(&text, "pqhkex_handshake_duration_seconds_count{group=\"X25519MLKEM768\",readiness=\"pq_key_share\"} 2");
    assert_eq!(
        text.matches("pqhkex_handshakes_total{").count(),
        4,
        "{text}"
    );
    assert_eq!(
        text.matches("pqhkex_handshake_failures_total{").count(),
        1,
        "{text}"
    );

    // The same clients against a server that requires post-quantum: exactly the
    // classical and TLS 1.2 ones are refused.
    let prom = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&prom, || {
        let recorder = Recorder::new();
        let require = server_configs(&id, Policy::RequirePostQuantum);
        for kind in [
            Client::Pq,
            Client::Classical,
            Client::PqListed,
            Client::Tls12,
        ] {
            handshake(&require, &recorder, client(kind, roots(&id)));
        }
    });
    let text = render(&prom);
    has(&text, "pqhkex_handshake_failures_total{reason=\"no_post_quantum_group\",readiness=\"classical\"} 1");
    has(&text, "pqhkex_handshake_failures_total{reason=\"no_post_quantum_group\",readiness=\"tls12_only\"} 1");
    has(&text, "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_key_share\",hrr=\"false\"} 1");
    has(
        &text,
        "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_listed\",hrr=\"true\"} 1",
    );
    assert_eq!(
        text.matches("pqhkex_handshake_failures_total{").count(),
        2,
        "{text}"
    );
}

/// Bytes that are not this ClientHello give `unknown`, and a handshake dropped without
/// an outcome counts as `abandoned`.
#[test]
fn unknown_and_abandoned() {
    let prom = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&prom, || {
        let recorder = Recorder::new();
        let wire = first_flight(Client::Pq);
        let mut acceptor = rustls::server::Acceptor::default();
        acceptor.read_tls(&mut &wire[..]).unwrap();
        let accepted = acceptor.accept().unwrap().unwrap();
        // Another client's bytes: its supported_groups differ from rustls's reading.
        let other = first_flight(Client::Classical);
        let hs = recorder.client_hello(&accepted.client_hello(), &other);
        assert_eq!(hs.readiness(), Readiness::Unknown);
        assert!(hs.client_hello_info().is_err());
        drop(hs);
        let hs = recorder.client_hello(&accepted.client_hello(), &wire);
        assert_eq!(hs.readiness(), Readiness::PqKeyShare);
        assert_eq!(
            accepted.client_hello().named_groups().unwrap()[0],
            NamedGroup::X25519MLKEM768
        );
        hs.failed_because("test_reason");
        let hs = recorder.client_hello_bytes(&wire[..10]);
        assert_eq!(hs.readiness(), Readiness::Unknown);
        hs.failed(&rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::NoKxGroupsInCommon,
        ));
    });
    let text = render(&prom);
    has(&text, "pqhkex_client_hellos_total{readiness=\"unknown\"} 2");
    has(
        &text,
        "pqhkex_handshake_failures_total{reason=\"abandoned\",readiness=\"unknown\"} 1",
    );
    has(
        &text,
        "pqhkex_handshake_failures_total{reason=\"test_reason\",readiness=\"pq_key_share\"} 1",
    );
    has(&text, "pqhkex_handshake_failures_total{reason=\"peer_incompatible_no_kx_groups_in_common\",readiness=\"unknown\"} 1");
    assert_eq!(
        failure_reason(&rustls::Error::PeerMisbehaved(
            rustls::PeerMisbehaved::InvalidKeyShare
        )),
        "peer_misbehaved_invalid_key_share"
    );
}
