//! Shared helpers for the integration tests: certificates, in-memory handshakes, and a
//! small TLS record parser/rewriter for ClientHello / ServerHello key shares.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};

use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
};

/// Overwrites coefficient `index` of the t̂ part of an ML-KEM encapsulation key with the
/// 12-bit `value`. FIPS 203 ByteEncode_12 (Algorithm 5) packs two coefficients into three
/// bytes, little-endian: coefficient 2i in byte 3i and the low half of byte 3i+1,
/// coefficient 2i+1 in the high half of byte 3i+1 and byte 3i+2.
pub fn set_ek_coefficient(ek: &mut [u8], index: usize, value: u16) {
    let at = index / 2 * 3;
    if index.is_multiple_of(2) {
        ek[at] = value as u8;
        ek[at + 1] = (ek[at + 1] & 0xf0) | (value >> 8) as u8;
    } else {
        ek[at + 1] = (ek[at + 1] & 0x0f) | ((value & 0x0f) << 4) as u8;
        ek[at + 2] = (value >> 4) as u8;
    }
}

/// A self-signed certificate for "localhost", in DER (for rustls) and PEM (for C peers
/// that load files or PEM strings, such as s2n-tls).
pub struct TestCert {
    /// The certificate and its PKCS#8 private key.
    pub der: (CertificateDer<'static>, PrivateKeyDer<'static>),
    pub cert_pem: String,
    pub key_pem: String,
}

/// Each certificate gets its own subject (and so issuer) name `cn`: a verifier that looks
/// the issuer up by name in a trust store holding both (aws-lc's, under s2n-tls) would
/// otherwise find the wrong one and call the chain untrusted.
fn self_signed(alg: &'static rcgen::SignatureAlgorithm, cn: &str) -> TestCert {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let cert = params.self_signed(&key).unwrap();
    TestCert {
        der: (
            cert.der().clone(),
            PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        ),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// The ECDSA P-256 (ecdsa-with-SHA256) test certificate, made once per test binary.
pub fn p256_cert() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| self_signed(&rcgen::PKCS_ECDSA_P256_SHA256, "pqhkex test P-256"))
}

/// An ECDSA P-384 (ecdsa-with-SHA384) test certificate, for peers whose policy allows
/// nothing weaker (CNSA 2.0 / CNSA 1.0 signatures), made once per test binary.
pub fn p384_cert() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| self_signed(&rcgen::PKCS_ECDSA_P384_SHA384, "pqhkex test P-384"))
}

/// The P-256 test certificate and key: what every server presents unless a test needs
/// the P-384 one.
pub fn cert() -> &'static (CertificateDer<'static>, PrivateKeyDer<'static>) {
    &p256_cert().der
}

/// Trusts both test certificates.
pub fn roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(p256_cert().der.0.clone()).unwrap();
    roots.add(p384_cert().der.0.clone()).unwrap();
    roots
}

pub fn ring_with(groups: Vec<&'static dyn SupportedKxGroup>) -> CryptoProvider {
    CryptoProvider {
        kx_groups: groups,
        ..rustls::crypto::ring::default_provider()
    }
}

/// The backend that serves a seeded (`hazmat`) request for `alg`: the selected one,
/// except that aws-lc cannot take an ML-KEM seed and hands those to the pure-Rust code.
pub fn seeded_backend(alg: pqhkex::Algorithm) -> pqhkex::Backend {
    match pqhkex::Backend::for_algorithm(alg) {
        pqhkex::Backend::AwsLcRs if alg.is_post_quantum() => pqhkex::Backend::PureRust,
        b => b,
    }
}

/// Decapsulates `ct` with the key that `hazmat::keygen(alg, seed)` describes, generated
/// again from `seed` on the backend that runs `alg` in this process (graviola cannot
/// import a serialized `dk`, so `hazmat::decapsulate` always runs the pure-Rust code).
pub fn decapsulate_on_backend(alg: pqhkex::Algorithm, seed: &[u8], ct: &[u8]) -> Vec<u8> {
    let group = pqhkex::groups::ALL
        .iter()
        .find(|g| g.components == [alg])
        .expect("a stand-alone group for the algorithm");
    let client = pqhkex::hazmat::client_start(group, &[seed]).unwrap();
    assert_eq!(
        client.backend(0),
        Some(seeded_backend(alg)),
        "{alg}: the seeded key was not generated on the selected backend"
    );
    client.complete(ct).unwrap().to_vec()
}

/// rustls's *ring* provider with `policy`'s pqhkex groups, through the provider-neutral
/// `with_policy` (the `ring_provider` shortcut needs the opt-in `ring` feature).
pub fn ring_policy(policy: pqhkex::Policy) -> CryptoProvider {
    pqhkex::with_policy(rustls::crypto::ring::default_provider(), policy)
}

pub fn aws_with(groups: Vec<&'static dyn SupportedKxGroup>) -> CryptoProvider {
    CryptoProvider {
        kx_groups: groups,
        ..rustls::crypto::aws_lc_rs::default_provider()
    }
}

pub fn client_config(provider: CryptoProvider) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(roots())
            .with_no_client_auth(),
    )
}

pub fn server_config(provider: CryptoProvider) -> Arc<ServerConfig> {
    Arc::new(
        ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert().0.clone()], cert().1.clone_key())
            .unwrap(),
    )
}

pub fn client_conn(config: Arc<ClientConfig>) -> ClientConnection {
    ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap()
}

pub fn server_conn(config: Arc<ServerConfig>) -> ServerConnection {
    ServerConnection::new(config).unwrap()
}

/// Moves all pending TLS bytes from `from` to `to`, through `tamper`. Returns the
/// bytes that were moved (after tampering) and the receiver's processing result.
pub fn transfer(
    from: &mut Connection,
    to: &mut Connection,
    tamper: &mut dyn FnMut(&mut Vec<u8>),
) -> (Vec<u8>, Result<(), rustls::Error>) {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).unwrap();
    }
    tamper(&mut buf);
    let mut slice = &buf[..];
    while !slice.is_empty() {
        match to.read_tls(&mut slice) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => panic!("read_tls: {e}"),
        }
        if let Err(e) = to.process_new_packets() {
            return (buf, Err(e));
        }
    }
    (buf, Ok(()))
}

/// The outcome of an in-memory handshake.
pub struct Outcome {
    pub client: Connection,
    pub server: Connection,
    /// Every flight, as (from_client, bytes).
    pub flights: Vec<(bool, Vec<u8>)>,
    /// The first error, and which side produced it (true = client).
    pub error: Option<(bool, rustls::Error)>,
}

pub fn no_tamper() -> impl FnMut(bool, usize, &mut Vec<u8>) {
    |_, _, _| {}
}

/// Runs a handshake in memory. `tamper(from_client, flight_index, bytes)` may modify
/// each flight in transit.
pub fn handshake_with(
    client: ClientConnection,
    server: ServerConnection,
    mut tamper: impl FnMut(bool, usize, &mut Vec<u8>),
) -> Outcome {
    let mut client = Connection::from(client);
    let mut server = Connection::from(server);
    let mut flights = Vec::new();
    let mut error = None;
    for i in 0..20 {
        if !client.is_handshaking()
            && !server.is_handshaking()
            && !client.wants_write()
            && !server.wants_write()
        {
            break;
        }
        let from_client = i % 2 == 0;
        let (a, b) = if from_client {
            (&mut client, &mut server)
        } else {
            (&mut server, &mut client)
        };
        if !a.wants_write() {
            continue;
        }
        let idx = flights.len();
        let (bytes, res) = transfer(a, b, &mut |buf| tamper(from_client, idx, buf));
        flights.push((from_client, bytes));
        if let Err(e) = res {
            error = Some((!from_client, e));
            // Deliver the alert the failing side queued, so the peer sees it too.
            let (c, d) = if from_client {
                (&mut server, &mut client)
            } else {
                (&mut client, &mut server)
            };
            let (alert, _) = transfer(c, d, &mut |_| {});
            flights.push((!from_client, alert));
            break;
        }
    }
    Outcome {
        client,
        server,
        flights,
        error,
    }
}

pub fn handshake(client: Arc<ClientConfig>, server: Arc<ServerConfig>) -> Outcome {
    handshake_with(client_conn(client), server_conn(server), no_tamper())
}

/// Sends application data both ways and checks it arrives.
pub fn exchange_data(out: &mut Outcome) {
    let Outcome { client, server, .. } = out;
    client.writer().write_all(b"hello from client").unwrap();
    transfer(client, server, &mut |_| {}).1.unwrap();
    let mut got = vec![0u8; 17];
    server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello from client");
    server.writer().write_all(b"hello from server").unwrap();
    transfer(server, client, &mut |_| {}).1.unwrap();
    client.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello from server");
}

pub fn negotiated(conn: &Connection) -> Option<u16> {
    conn.negotiated_key_exchange_group()
        .map(|g| u16::from(g.name()))
}

/// A plaintext alert record's description byte, if `bytes` starts with one.
pub fn alert_description(bytes: &[u8]) -> Option<u8> {
    (bytes.len() >= 7 && bytes[0] == 21).then(|| bytes[6])
}

pub const ILLEGAL_PARAMETER: u8 = 47;
pub const HANDSHAKE_FAILURE: u8 = 40;

// ---- A minimal parser/rewriter for the first handshake record -------------------------

fn u16_at(b: &[u8], i: usize) -> usize {
    ((b[i] as usize) << 8) | b[i + 1] as usize
}

/// Parsed first handshake message of a flight (ClientHello = 1 or ServerHello = 2).
pub struct Hello {
    pub msg_type: u8,
    /// Everything of the body before the extensions block.
    pub head: Vec<u8>,
    /// Extensions as (type, data).
    pub extensions: Vec<(u16, Vec<u8>)>,
    /// Bytes of the flight after the first record.
    pub rest: Vec<u8>,
    pub record_version: [u8; 2],
}

pub fn parse_hello(flight: &[u8]) -> Hello {
    assert_eq!(flight[0], 22, "first record is not a handshake record");
    let rec_len = u16_at(flight, 3);
    let record = &flight[5..5 + rec_len];
    let rest = flight[5 + rec_len..].to_vec();
    let msg_type = record[0];
    let body_len = ((record[1] as usize) << 16) | u16_at(record, 2);
    let body = &record[4..4 + body_len];
    assert_eq!(
        4 + body_len,
        record.len(),
        "expected one handshake message in the first record"
    );
    // version 2, random 32, session id
    let mut i = 2 + 32;
    i += 1 + body[i] as usize;
    if msg_type == 1 {
        i += 2 + u16_at(body, i); // cipher suites
        i += 1 + body[i] as usize; // compression methods
    } else {
        i += 2 + 1; // cipher suite, compression method
    }
    let head = body[..i].to_vec();
    let ext_len = u16_at(body, i);
    let mut exts = Vec::new();
    let mut j = i + 2;
    while j < i + 2 + ext_len {
        let t = u16_at(body, j) as u16;
        let l = u16_at(body, j + 2);
        exts.push((t, body[j + 4..j + 4 + l].to_vec()));
        j += 4 + l;
    }
    Hello {
        msg_type,
        head,
        extensions: exts,
        rest,
        record_version: [flight[1], flight[2]],
    }
}

pub fn serialize_hello(h: &Hello) -> Vec<u8> {
    let mut exts = Vec::new();
    for (t, d) in &h.extensions {
        exts.extend_from_slice(&t.to_be_bytes());
        exts.extend_from_slice(&(d.len() as u16).to_be_bytes());
        exts.extend_from_slice(d);
    }
    let mut body = h.head.clone();
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut msg = vec![h.msg_type];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    let mut out = vec![22, h.record_version[0], h.record_version[1]];
    out.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    out.extend_from_slice(&msg);
    out.extend_from_slice(&h.rest);
    out
}

pub const EXT_KEY_SHARE: u16 = 51;
pub const EXT_SUPPORTED_GROUPS: u16 = 10;

/// Key-share entries of a hello: a ClientHello's list, or a ServerHello's single entry.
pub fn key_shares(h: &Hello) -> Vec<(u16, Vec<u8>)> {
    let Some((_, d)) = h.extensions.iter().find(|(t, _)| *t == EXT_KEY_SHARE) else {
        return vec![];
    };
    let (mut j, end) = if h.msg_type == 1 {
        (2, 2 + u16_at(d, 0))
    } else {
        (0, d.len())
    };
    let mut out = Vec::new();
    while j < end {
        let g = u16_at(d, j) as u16;
        let l = u16_at(d, j + 2);
        out.push((g, d[j + 4..j + 4 + l].to_vec()));
        j += 4 + l;
    }
    out
}

pub fn set_key_shares(h: &mut Hello, shares: &[(u16, Vec<u8>)]) {
    let mut entries = Vec::new();
    for (g, k) in shares {
        entries.extend_from_slice(&g.to_be_bytes());
        entries.extend_from_slice(&(k.len() as u16).to_be_bytes());
        entries.extend_from_slice(k);
    }
    let data = if h.msg_type == 1 {
        let mut d = (entries.len() as u16).to_be_bytes().to_vec();
        d.extend_from_slice(&entries);
        d
    } else {
        entries
    };
    for (t, d) in h.extensions.iter_mut() {
        if *t == EXT_KEY_SHARE {
            *d = data.clone();
        }
    }
}

/// The client's supported_groups list.
pub fn supported_groups(h: &Hello) -> Vec<u16> {
    let Some((_, d)) = h
        .extensions
        .iter()
        .find(|(t, _)| *t == EXT_SUPPORTED_GROUPS)
    else {
        return vec![];
    };
    (0..u16_at(d, 0) / 2)
        .map(|k| u16_at(d, 2 + 2 * k) as u16)
        .collect()
}

/// Rewrites the key share for `group` in the first record of a flight.
pub fn rewrite_share(flight: &mut Vec<u8>, group: u16, f: &dyn Fn(&mut Vec<u8>)) {
    let mut h = parse_hello(flight);
    let mut shares = key_shares(&h);
    for (g, k) in shares.iter_mut() {
        if *g == group {
            f(k);
        }
    }
    set_key_shares(&mut h, &shares);
    *flight = serialize_hello(&h);
}

/// A client-side explanation of a `handshake_failure` alert under a post-quantum policy:
/// the alert alone does not prove the cause (a server with no cipher suite in common
/// sends it too), so the alert comes first, then what it may mean.
pub fn assert_handshake_failure_explained(explained: &pqhkex::Error) {
    let text = explained.to_string();
    assert!(
        text.starts_with("TLS handshake failed: the server sent a fatal handshake_failure alert"),
        "{text}"
    );
    assert!(
        text.contains("if the server has no post-quantum group"),
        "{text}"
    );
}
