//! Helpers shared by the pqhkex fuzz targets and the seed-corpus generator: the group
//! selector, deterministic client key shares, the rustls server under test, and a
//! ClientHello template whose key_share extension can be replaced.

use std::sync::{Arc, OnceLock};

use pqhkex::hazmat::{self, ClientKeyShare};
use pqhkex::{groups, Group};
use rustls::pki_types::{PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig};

/// The group a fuzz input's selector byte picks: every group pqhkex has, legacy included.
pub fn group(selector: u8) -> &'static Group {
    check_forced_backend();
    groups::ALL[usize::from(selector) % groups::ALL.len()]
}

/// Fixed, valid seeds for each component of `g` (ECDH scalars well below the order).
pub fn seeds(g: &Group, byte: u8, keygen: bool) -> Vec<Vec<u8>> {
    g.components
        .iter()
        .map(|a| {
            let len = if keygen {
                a.keygen_seed_len()
            } else {
                a.encaps_seed_len()
            };
            let mut s = vec![byte; len];
            s[0] = 0x01;
            s
        })
        .collect()
}

fn as_slices(v: &[Vec<u8>]) -> Vec<&[u8]> {
    v.iter().map(|s| &s[..]).collect()
}

/// Panics (a reported crash) if `PQHKEX_BACKEND` forces a backend that does not run
/// every algorithm it covers here: a silent fallback must not pass as fuzzing of it.
pub fn check_forced_backend() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(check_forced_backend_now);
}

fn check_forced_backend_now() {
    let Ok(name) = std::env::var("PQHKEX_BACKEND") else {
        return;
    };
    let forced = pqhkex::Backend::from_name(&name).expect("PQHKEX_BACKEND names a backend");
    for alg in pqhkex::Algorithm::ALL.iter().copied() {
        if forced.covers(alg) {
            assert_eq!(pqhkex::Backend::for_algorithm(alg), forced, "{alg}");
        }
    }
}

/// A client key share for `g` made once (a real `client_start`, deterministic seeds).
pub fn client(g: &'static Group) -> &'static ClientKeyShare {
    static CLIENTS: OnceLock<Vec<ClientKeyShare>> = OnceLock::new();
    let all = CLIENTS.get_or_init(|| {
        groups::ALL
            .iter()
            .map(|g| hazmat::client_start(g, &as_slices(&seeds(g, 0x42, true))).unwrap())
            .collect()
    });
    let i = groups::ALL.iter().position(|x| x.code == g.code).unwrap();
    &all[i]
}

/// The server's reply share to `client(g)`, with fixed encapsulation seeds.
pub fn server_share(g: &'static Group) -> Vec<u8> {
    let share = client(g).share();
    hazmat::server_encapsulate(g, share, &as_slices(&seeds(g, 0x24, false)))
        .unwrap()
        .0
}

/// Encapsulates to `client_share` with fixed seeds (the server side of `g`).
pub fn server_encapsulate(
    g: &'static Group,
    client_share: &[u8],
) -> Result<(Vec<u8>, pqhkex::SecretBuf), pqhkex::Error> {
    hazmat::server_encapsulate(g, client_share, &as_slices(&seeds(g, 0x24, false)))
}

fn provider(
    kx_groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
) -> rustls::crypto::CryptoProvider {
    rustls::crypto::CryptoProvider {
        kx_groups,
        ..rustls::crypto::ring::default_provider()
    }
}

/// rustls servers (TLS 1.3 and 1.2) over pqhkex: `server_config(i)` for
/// `i < groups::ALL.len()` supports only `groups::ALL[i]`, so that a ClientHello
/// with a share for that group reaches its server side (a rustls server picks the
/// group by its own preference and would otherwise answer with a HelloRetryRequest);
/// the last one supports every group. `selector` is taken modulo the count.
pub fn server_config(selector: u8) -> Arc<ServerConfig> {
    static CONFIGS: OnceLock<Vec<Arc<ServerConfig>>> = OnceLock::new();
    let all = CONFIGS.get_or_init(|| {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key = PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
        let mut sets: Vec<Vec<&'static dyn rustls::crypto::SupportedKxGroup>> = groups::ALL
            .iter()
            .map(|g| vec![pqhkex::rustls::kx_group(g)])
            .collect();
        sets.push(pqhkex::rustls::ALL_KX_GROUPS.to_vec());
        sets.into_iter()
            .map(|kx| {
                Arc::new(
                    ServerConfig::builder_with_provider(Arc::new(provider(kx)))
                        .with_protocol_versions(rustls::ALL_VERSIONS)
                        .unwrap()
                        .with_no_client_auth()
                        .with_single_cert(vec![ck.cert.der().clone()], key.clone_key())
                        .unwrap(),
                )
            })
            .collect()
    });
    all[usize::from(selector) % all.len()].clone()
}

/// Offsets inside a ClientHello record: where the key_share extension's data starts
/// and ends.
struct KeyShareExt {
    data_start: usize,
    data_end: usize,
}

fn u16_at(b: &[u8], i: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *b.get(i)?,
        *b.get(i + 1)?,
    ])))
}

/// Finds the key_share extension (type 51) of a single-record ClientHello.
fn find_key_share(record: &[u8]) -> Option<KeyShareExt> {
    // record header (5) + handshake header (4) + version (2) + random (32)
    let mut i = 5 + 4 + 2 + 32;
    i += 1 + usize::from(*record.get(i)?); // legacy_session_id
    i += 2 + u16_at(record, i)?; // cipher_suites
    i += 1 + usize::from(*record.get(i)?); // legacy_compression_methods
    let end = i + 2 + u16_at(record, i)?;
    i += 2;
    while i + 4 <= end {
        let (ty, len) = (u16_at(record, i)?, u16_at(record, i + 2)?);
        if ty == 51 {
            return Some(KeyShareExt {
                data_start: i + 4,
                data_end: i + 4 + len,
            });
        }
        i += 4 + len;
    }
    None
}

/// `record` with its key_share extension's `client_shares` list replaced by `entries`
/// (raw KeyShareEntry bytes), every enclosing length fixed up. Returns `None` when the
/// result would not fit the length fields.
pub fn with_key_shares(record: &[u8], entries: &[u8]) -> Option<Vec<u8>> {
    let ks = find_key_share(record)?;
    let mut out = record[..ks.data_start].to_vec();
    out.extend_from_slice(&u16::try_from(entries.len()).ok()?.to_be_bytes());
    out.extend_from_slice(entries);
    out.extend_from_slice(&record[ks.data_end..]);
    let growth = out.len() as isize - record.len() as isize;
    // Extension length, extensions length, handshake length (u24), record length.
    let fix16 = |out: &mut Vec<u8>, at: usize| -> Option<()> {
        let v = u16::try_from(u16_at(out, at)? as isize + growth).ok()?;
        out[at..at + 2].copy_from_slice(&v.to_be_bytes());
        Some(())
    };
    fix16(&mut out, ks.data_start - 2)?;
    let mut i = 5 + 4 + 2 + 32;
    i += 1 + usize::from(out[i]);
    i += 2 + u16_at(&out, i)?;
    i += 1 + usize::from(out[i]);
    fix16(&mut out, i)?;
    let hs_len = (usize::from(out[6]) << 16 | usize::from(out[7]) << 8 | usize::from(out[8]))
        as isize
        + growth;
    let hs_len = u32::try_from(hs_len).ok()?.to_be_bytes();
    out[6..9].copy_from_slice(&hs_len[1..]);
    fix16(&mut out, 3)?;
    if out.len() - 5 > 16384 {
        return None; // one record at most (RFC 8446 §5.1)
    }
    Some(out)
}

/// Encodes one KeyShareEntry: group (2) ‖ length (2) ‖ share.
pub fn key_share_entry(code: u16, share: &[u8]) -> Vec<u8> {
    let mut e = code.to_be_bytes().to_vec();
    e.extend_from_slice(&(share.len() as u16).to_be_bytes());
    e.extend_from_slice(share);
    e
}

/// A real ClientHello from a rustls client offering every pqhkex group, with its
/// random and legacy session id fixed and its key shares replaced by deterministic
/// X25519MLKEM768 and X25519 shares, so that it is the same in every run.
pub fn client_hello() -> &'static [u8] {
    check_forced_backend();
    static HELLO: OnceLock<Vec<u8>> = OnceLock::new();
    HELLO.get_or_init(|| {
        let config = ClientConfig::builder_with_provider(Arc::new(provider(
            pqhkex::rustls::ALL_KX_GROUPS.to_vec(),
        )))
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .unwrap()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
        let mut conn =
            ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
                .unwrap();
        let mut hello = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut hello).unwrap();
        }
        hello[11..43].fill(0x5a); // random
        let sid = usize::from(hello[43]);
        hello[44..44 + sid].fill(0xa5); // legacy_session_id
        let mut entries = key_share_entry(0x11ec, client(&groups::X25519MLKEM768).share());
        entries.extend(key_share_entry(0x001d, client(&groups::X25519).share()));
        with_key_shares(&hello, &entries).unwrap()
    })
}

/// Feeds `input` to a fresh connection of `server_config(selector)` until it is
/// consumed or refused, and drains whatever the server wants to send. Returns the
/// server's error, if any, and the bytes it sent. Never panics on peer input.
pub fn serve(selector: u8, input: &[u8]) -> (Option<rustls::Error>, Vec<u8>) {
    let mut conn = rustls::ServerConnection::new(server_config(selector)).unwrap();
    let mut rest = input;
    let mut sink = Vec::new();
    let mut error = None;
    while !rest.is_empty() {
        match conn.read_tls(&mut rest) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let result = conn.process_new_packets();
        while conn.wants_write() {
            if conn.write_tls(&mut sink).is_err() {
                break;
            }
        }
        if let Err(e) = result {
            error = Some(e);
            break;
        }
    }
    (error, sink)
}
