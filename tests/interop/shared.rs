//! What the interop suites share (interop-c/tests/openssl_interop.rs, interop-c/tests/s2n_interop.rs): the
//! pqhkex configurations, the handshake assertions over a [`Run`], and the key-share
//! corruptions the specs require a receiver to refuse. Each suite uses its own subset.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pqhkex::groups::{self, Group};
use pqhkex::rustls as pq;
use pqhkex::Policy;

use crate::common::{self, key_shares, parse_hello, rewrite_share, TestCert};
use crate::net::{Endpoint, Run, Tamper, HRR_RANDOM};

pub const FATAL: u8 = 2;
use crate::common::ILLEGAL_PARAMETER;

/// A pqhkex server (over *ring*) with `policy`, presenting the P-256 test certificate.
pub fn pq_server_config(policy: Policy) -> Arc<rustls::ServerConfig> {
    pq_server_config_with(policy, common::p256_cert())
}

/// A pqhkex server (over *ring*) with `policy`, presenting `cert`.
pub fn pq_server_config_with(policy: Policy, cert: &TestCert) -> Arc<rustls::ServerConfig> {
    let (cert, key) = &cert.der;
    Arc::new(
        pqhkex::server_config_builder(rustls::crypto::ring::default_provider(), policy)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key.clone_key())
            .unwrap(),
    )
}

/// A server policy that accepts every group pqhkex has (the table order: hybrids, pure
/// ML-KEM including ML-KEM-512, then classical), for the every-group interop loops; the
/// named policies offer pure ML-KEM only when asked for.
pub const EVERY_GROUP: Policy = Policy::Custom(groups::ALL);

/// A pqhkex client (over *ring*) with `policy`, trusting the test certificates.
pub fn pq_client_config(policy: Policy) -> Arc<rustls::ClientConfig> {
    Arc::new(
        pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), policy)
            .unwrap()
            .with_root_certificates(common::roots())
            .with_no_client_auth(),
    )
}

/// A pqhkex client (over *ring*) offering exactly `group`.
pub fn single_group_client(group: &'static Group) -> Arc<rustls::ClientConfig> {
    common::client_config(common::ring_with(vec![pq::kx_group(group)]))
}

/// [`pqhkex::PqServerConfigs`] (server-side post-quantum preference) for `policy`,
/// presenting `cert`.
pub fn pq_server_configs(policy: Policy, cert: &TestCert) -> Arc<pqhkex::PqServerConfigs> {
    let (cert, key) = &cert.der;
    Arc::new(
        pqhkex::PqServerConfigs::new(rustls::crypto::ring::default_provider(), policy, |b| {
            b.with_no_client_auth()
                .with_single_cert(vec![cert.clone()], key.clone_key())
        })
        .unwrap(),
    )
}

/// Asserts a clean handshake on `group` with data both ways and the same group on both
/// sides, in `round_trips` round trips.
pub fn assert_negotiated(run: &Run, group: &Group, round_trips: usize, what: &str) {
    for (side, ep) in [("client", &run.client), ("server", &run.server)] {
        assert!(ep.error.is_none(), "{what}: {side} failed: {:?}", ep.error);
        assert!(ep.data_ok, "{what}: {side} exchanged no application data");
        assert_eq!(
            ep.group,
            Some(group.code),
            "{what}: {side} reports {:?}",
            ep.group_name
        );
        assert!(
            ep.protocol
                .as_deref()
                .is_some_and(|p| p.contains("1.3") || p.contains("1_3")),
            "{what}: {side} protocol {:?}",
            ep.protocol
        );
    }
    assert_eq!(run.wire.round_trips(), round_trips, "{what}: round trips");
    assert_eq!(
        run.wire.hello_retry_requests(),
        round_trips - 1,
        "{what}: HelloRetryRequests"
    );
    // Each side that can tell whether it went through a HelloRetryRequest (rustls's
    // HandshakeKind, s2n's handshake type) agrees with the wire.
    for (side, ep) in [("client", &run.client), ("server", &run.server)] {
        if let Some(hrr) = ep.hello_retry_request {
            assert_eq!(hrr, round_trips == 2, "{what}: {side}'s HelloRetryRequest");
        }
    }
}

/// Checks that the HelloRetryRequest on the wire asked for `group`.
pub fn assert_hrr_selects(r: &Run, group: &Group, what: &str) {
    let hrr = parse_hello(&r.wire.server_hellos(true)[0].bytes);
    let selected = hrr
        .extensions
        .iter()
        .find(|(t, _)| *t == common::EXT_KEY_SHARE)
        .map(|(_, d)| d.clone());
    assert_eq!(
        selected,
        Some(group.code.to_be_bytes().to_vec()),
        "{what}: HelloRetryRequest"
    );
}

/// Asserts the key shares on the wire have the lengths of `group` in the table.
pub fn assert_share_lengths(run: &Run, group: &Group, what: &str) {
    let hellos = run.wire.client_hellos();
    let ch = parse_hello(&hellos.last().unwrap().bytes);
    let share = key_shares(&ch)
        .into_iter()
        .find(|(g, _)| *g == group.code)
        .unwrap_or_else(|| panic!("{what}: no {} share in the ClientHello", group.name));
    assert_eq!(
        share.1.len(),
        group.client_share_len(),
        "{what}: client share"
    );
    let sh = run.wire.server_hellos(false);
    assert_eq!(sh.len(), 1, "{what}: ServerHellos");
    let s = key_shares(&parse_hello(&sh[0].bytes));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, group.code, "{what}: ServerHello group");
    assert_eq!(
        s[0].1.len(),
        group.server_share_len(),
        "{what}: server share"
    );
}

// ---- Corrupted key shares ------------------------------------------------------------

/// A way to break a key share that the specs require the receiver to refuse.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// The 12-bit coefficient of an ML-KEM encapsulation key at this byte offset becomes
    /// 4095 >= q, failing the FIPS 203 §7.2 modulus check.
    EkCoefficientNotReduced(usize),
    /// The same for the last coefficient of an ML-KEM-1024 key (t is 1536 bytes, then rho).
    Ek1024LastCoefficientNotReduced,
    /// The trailing 32 bytes become a low-order X25519 point (zero): the X25519 shared
    /// secret is all zeroes (RFC 8446 §7.4.2).
    LowOrderX25519,
    /// The SEC 1 point at the start, this many bytes long, is no longer on the curve
    /// (last byte of Y flipped).
    OffCurve(usize),
    /// The SEC 1 point at the start is no longer uncompressed (RFC 8446 §4.2.8.2).
    Compressed,
    /// One byte short of the group's fixed length.
    Truncated,
    /// One byte beyond the group's fixed length.
    Extended,
}

impl Fault {
    fn apply(self, s: &mut Vec<u8>) {
        match self {
            Fault::EkCoefficientNotReduced(at) => {
                s[at] = 0xff;
                s[at + 1] |= 0x0f;
            }
            Fault::Ek1024LastCoefficientNotReduced => {
                s[1535] = 0xff;
                s[1534] |= 0xf0;
            }
            Fault::LowOrderX25519 => {
                let n = s.len();
                s[n - 32..].fill(0);
            }
            Fault::OffCurve(len) => s[len - 1] ^= 1,
            Fault::Compressed => s[0] = 0x02,
            Fault::Truncated => {
                s.pop();
            }
            Fault::Extended => s.push(0),
        }
    }
}

/// Client-share faults (in the peer's ClientHello; the pqhkex server must refuse).
pub fn client_share_faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("X25519MLKEM768", Fault::EkCoefficientNotReduced(0)),
        ("X25519MLKEM768", Fault::LowOrderX25519),
        ("X25519MLKEM768", Fault::Truncated),
        ("SecP256r1MLKEM768", Fault::OffCurve(65)),
        ("SecP256r1MLKEM768", Fault::Compressed),
        ("SecP256r1MLKEM768", Fault::EkCoefficientNotReduced(65)),
        ("SecP384r1MLKEM1024", Fault::EkCoefficientNotReduced(97)),
        ("SecP384r1MLKEM1024", Fault::OffCurve(97)),
        ("MLKEM512", Fault::Truncated),
        ("MLKEM512", Fault::EkCoefficientNotReduced(0)),
        ("MLKEM768", Fault::EkCoefficientNotReduced(0)),
        ("MLKEM1024", Fault::Ek1024LastCoefficientNotReduced),
        ("MLKEM1024", Fault::Extended),
    ]
}

/// Server-share faults (in the peer's ServerHello; the pqhkex client must refuse). An
/// ML-KEM ciphertext of the right length is always accepted (implicit rejection), so
/// for ML-KEM only the length can be wrong.
pub fn server_share_faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("X25519MLKEM768", Fault::LowOrderX25519),
        ("X25519MLKEM768", Fault::Truncated),
        ("SecP256r1MLKEM768", Fault::OffCurve(65)),
        ("SecP256r1MLKEM768", Fault::Compressed),
        ("SecP384r1MLKEM1024", Fault::OffCurve(97)),
        ("SecP384r1MLKEM1024", Fault::Extended),
        ("MLKEM512", Fault::Truncated),
        ("MLKEM768", Fault::Extended),
        ("MLKEM1024", Fault::Truncated),
    ]
}

/// A tamper that applies `fault` to the `group` share of the first hello of type
/// `msg_type` (1 = ClientHello, 2 = ServerHello) that carries one, counting how often it
/// did. A HelloRetryRequest (which names a group but carries no share) and a ClientHello
/// without a `group` share (the one before a HelloRetryRequest) pass untouched.
pub fn corrupt_hello(msg_type: u8, group: u16, fault: Fault, hits: Arc<AtomicUsize>) -> Tamper {
    Box::new(move |_, record: &mut Vec<u8>| {
        if record[0] != 22 || record.get(5) != Some(&msg_type) || hits.load(Ordering::SeqCst) > 0 {
            return;
        }
        if msg_type == 2 && record.get(11..43) == Some(&HRR_RANDOM[..]) {
            return;
        }
        if !key_shares(&parse_hello(record))
            .iter()
            .any(|(g, _)| *g == group)
        {
            return;
        }
        let before = record.clone();
        rewrite_share(record, group, &|share: &mut Vec<u8>| fault.apply(share));
        assert_ne!(*record, before, "the corruption changed nothing");
        hits.fetch_add(1, Ordering::SeqCst);
    })
}

/// Asserts that pqhkex (`ours`) refused a corrupted share with `InvalidKeyShare` and
/// one fatal `illegal_parameter` alert, that nothing was exchanged, and that the peer's
/// error contains `peer_says` (how that stack reports the alert it received).
pub fn assert_refused_with_illegal_parameter(
    ours: &Endpoint,
    theirs: &Endpoint,
    alerts_from_us: Vec<(u8, u8)>,
    peer_says: &str,
    what: &str,
) {
    assert_eq!(
        ours.rustls_error,
        Some(rustls::Error::PeerMisbehaved(
            rustls::PeerMisbehaved::InvalidKeyShare
        )),
        "{what}: pqhkex error {:?}",
        ours.error
    );
    assert_eq!(alerts_from_us, vec![(FATAL, ILLEGAL_PARAMETER)], "{what}");
    let peer = theirs.error.as_deref().unwrap_or_default();
    assert!(
        peer.contains(peer_says),
        "{what}: the peer says {peer:?}, expected {peer_says:?}"
    );
    assert!(!ours.data_ok && !theirs.data_ok, "{what}");
}
