//! OpenSSL 3.6 (built from source by the `openssl` crate's `vendored` feature) as the
//! test servers of the endpoint-surface tests and of `examples/surface_peers.rs`:
//! certificates of any key type OpenSSL makes (RSA, ECDSA, Ed448, ML-DSA from a seed),
//! chains, several certificates per server, protocol-version, cipher and group limits.
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{KeyType, PKey, Private};
use openssl::ssl::{Ssl, SslContext, SslMethod, SslOptions, SslVersion};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

/// The keys the test servers hold.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    Rsa(u32),
    EcP384,
    Ed448,
    MlDsa(u8),
}

pub fn key(k: Key) -> PKey<Private> {
    match k {
        Key::Rsa(bits) => PKey::from_rsa(openssl::rsa::Rsa::generate(bits).unwrap()).unwrap(),
        Key::EcP384 => {
            let group =
                openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::SECP384R1).unwrap();
            PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap()
        }
        Key::Ed448 => PKey::generate_ed448().unwrap(),
        Key::MlDsa(level) => {
            let t = match level {
                44 => KeyType::ML_DSA_44,
                65 => KeyType::ML_DSA_65,
                _ => KeyType::ML_DSA_87,
            };
            PKey::private_key_from_seed(None, t, None, &[level; 32]).unwrap()
        }
    }
}

/// The digest a key signs certificates with (none for EdDSA and ML-DSA).
pub fn digest(k: Key) -> MessageDigest {
    match k {
        Key::Rsa(_) => MessageDigest::sha256(),
        Key::EcP384 => MessageDigest::sha384(),
        Key::Ed448 | Key::MlDsa(_) => MessageDigest::null(),
    }
}

/// A certificate for `cn` (and localhost) with `serial`, valid 2026-01-01 to
/// 2027-01-01, for `subject_key`, signed by `issuer` (self-signed when `None`).
pub fn certificate(
    cn: &str,
    serial: u32,
    subject_key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>, Key)>,
    self_kind: Key,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&BigNum::from_u32(serial).unwrap()).unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_pubkey(subject_key).unwrap();
    b.set_not_before(&Asn1Time::from_str("20260101000000Z").unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_str("20270101000000Z").unwrap())
        .unwrap();
    let san = openssl::x509::extension::SubjectAlternativeName::new()
        .dns("localhost")
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    match issuer {
        Some((ca, ca_key, ca_kind)) => {
            b.set_issuer_name(ca.subject_name()).unwrap();
            b.sign(ca_key, digest(ca_kind)).unwrap();
        }
        None => {
            b.set_issuer_name(&name).unwrap();
            b.sign(subject_key, digest(self_kind)).unwrap();
        }
    }
    b.build()
}

/// How a test server is set up.
#[derive(Default)]
pub struct Server {
    /// Certificates with their keys and chains (leaf first), in the order loaded.
    pub certs: Vec<(Vec<X509>, PKey<Private>)>,
    pub min: Option<SslVersion>,
    pub max: Option<SslVersion>,
    /// OpenSSL cipher list (TLS 1.2 and older).
    pub ciphers: Option<&'static str>,
    pub groups: Option<&'static str>,
    pub server_preference: bool,
    pub security_level: Option<u32>,
}

/// Starts an OpenSSL server on loopback for any number of connections.
pub fn start(s: Server) -> String {
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    if let Some(level) = s.security_level {
        b.set_security_level(level);
    }
    for (chain, key) in &s.certs {
        b.set_certificate(&chain[0]).unwrap();
        b.set_private_key(key).unwrap();
        for extra in &chain[1..] {
            b.add_extra_chain_cert(extra.clone()).unwrap();
        }
    }
    b.set_min_proto_version(s.min).unwrap();
    b.set_max_proto_version(s.max).unwrap();
    if let Some(c) = s.ciphers {
        b.set_cipher_list(c).unwrap();
    }
    if let Some(g) = s.groups {
        b.set_groups_list(g).unwrap();
    }
    if s.server_preference {
        b.set_options(SslOptions::CIPHER_SERVER_PREFERENCE);
    }
    let ctx = b.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(mut tls) = Ssl::new(&ctx).unwrap().accept(sock) else {
                    return;
                };
                let mut buf = [0u8; 256];
                while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
                let _ = tls.shutdown();
            });
        }
    });
    addr
}

/// One self-signed certificate of `kind`.
pub fn single(kind: Key, cn: &str, serial: u32) -> (Vec<X509>, PKey<Private>) {
    let k = key(kind);
    let c = certificate(cn, serial, &k, None, kind);
    (vec![c], k)
}
