//! Interop with TLS stacks that share no code with pqhkex, over real loopback TCP:
//! OpenSSL 3.x (built from source by the `openssl` crate's `vendored` feature) and
//! rustls's own aws-lc-rs groups. Every connection runs through a proxy thread that
//! records each TLS record (to count round trips and HelloRetryRequests and to read
//! alerts) and can corrupt key shares in flight.
//!
//! Scenarios (issue 6): every group both directions with each peer; OpenSSL's default
//! client against a prefer-PQ server; share reuse against an X25519-only OpenSSL server;
//! require-PQ against a classical server; server-side PQ preference turning an
//! X25519-first client into X25519MLKEM768 by HelloRetryRequest; corrupted shares from
//! OpenSSL in both directions answered with `illegal_parameter`.

mod common;
#[path = "common/net.rs"]
mod net;
#[path = "openssl_interop/ossl.rs"]
mod ossl;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{key_shares, parse_hello, rewrite_share, supported_groups};
use common::{pq_client_config, pq_server_config, single_group_client, EVERY_GROUP};
use net::{assert_negotiated, assert_share_lengths, run, untouched, Endpoint, Tamper};
use pqhkex::groups::{self, Group};
#[cfg(feature = "legacy-kyber")]
use pqhkex::rustls as pq;
use pqhkex::{Policy, Side};
use rustls::crypto::SupportedKxGroup;

/// The six IANA post-quantum groups OpenSSL 3.5+ and pqhkex both implement, with
/// OpenSSL's name for each.
fn openssl_groups() -> [(&'static Group, &'static str); 6] {
    [
        (&groups::X25519MLKEM768, "X25519MLKEM768"),
        (&groups::SECP256R1MLKEM768, "SecP256r1MLKEM768"),
        (&groups::SECP384R1MLKEM1024, "SecP384r1MLKEM1024"),
        (&groups::MLKEM512, "MLKEM512"),
        (&groups::MLKEM768, "MLKEM768"),
        (&groups::MLKEM1024, "MLKEM1024"),
    ]
}

const ILLEGAL_PARAMETER: u8 = 47;
const HANDSHAKE_FAILURE: u8 = 40;
const FATAL: u8 = 2;

#[test]
fn vendored_openssl_is_3_5_or_later_and_knows_every_group() {
    let number = openssl::version::number();
    eprintln!("peer: {} (0x{number:x})", openssl::version::version());
    // ML-KEM and the hybrid groups arrived in OpenSSL 3.5.0.
    assert!(number >= 0x3050_0000, "{}", openssl::version::version());
    for (group, name) in openssl_groups() {
        assert!(ossl::knows_groups(name), "OpenSSL does not know {name}");
        // pqhkex maps OpenSSL's spelling to the same table entry.
        assert_eq!(groups::by_name(name).map(|g| g.code), Some(group.code));
    }
    // The check above can fail: an unknown name is refused.
    assert!(!ossl::knows_groups("NoSuchGroup768"));
    // OpenSSL never implemented X25519Kyber768Draft00 (BoringSSL does: interop-boring/).
    assert!(!ossl::knows_groups("X25519Kyber768Draft00"));
}

#[test]
fn pqhkex_client_to_openssl_server_every_group() {
    for (group, name) in openssl_groups() {
        let config = single_group_client(group);
        let r = run(
            move |l| ossl::server(l, Some(name), true),
            move |a| net::rustls_client(a, config),
            untouched(),
        );
        let what = format!("pqhkex client -> OpenSSL server, {name}");
        assert_negotiated(&r, group, 1, &what);
        assert_eq!(r.server.group_name.as_deref(), Some(name), "{what}");
        assert_share_lengths(&r, group, &what);
    }
}

#[test]
fn openssl_client_to_pqhkex_server_every_group() {
    for (group, name) in openssl_groups() {
        let config = pq_server_config(EVERY_GROUP);
        let r = run(
            move |l| net::rustls_server(l, config),
            move |a| ossl::client(a, Some(name)),
            untouched(),
        );
        let what = format!("OpenSSL client -> pqhkex server, {name}");
        assert_negotiated(&r, group, 1, &what);
        assert_eq!(r.client.group_name.as_deref(), Some(name), "{what}");
        assert_share_lengths(&r, group, &what);
    }
}

#[test]
fn aws_lc_rs_both_directions_over_tcp() {
    use rustls::crypto::aws_lc_rs::kx_group as aws;
    let pairs: [(&'static Group, &'static dyn SupportedKxGroup); 4] = [
        (&groups::X25519MLKEM768, aws::X25519MLKEM768),
        (&groups::SECP256R1MLKEM768, aws::SECP256R1MLKEM768),
        (&groups::MLKEM768, aws::MLKEM768),
        (&groups::MLKEM1024, aws::MLKEM1024),
    ];
    for (group, theirs) in pairs {
        assert_eq!(u16::from(theirs.name()), group.code);
        let aws_server = common::server_config(common::aws_with(vec![theirs]));
        let ours = single_group_client(group);
        let r = run(
            move |l| net::rustls_server(l, aws_server),
            move |a| net::rustls_client(a, ours),
            untouched(),
        );
        let what = format!("pqhkex client -> aws-lc-rs server, {}", group.name);
        assert_negotiated(&r, group, 1, &what);
        assert_share_lengths(&r, group, &what);

        let aws_client = common::client_config(common::aws_with(vec![theirs]));
        let ours = pq_server_config(EVERY_GROUP);
        let r = run(
            move |l| net::rustls_server(l, ours),
            move |a| net::rustls_client(a, aws_client),
            untouched(),
        );
        let what = format!("aws-lc-rs client -> pqhkex server, {}", group.name);
        assert_negotiated(&r, group, 1, &what);
        assert_share_lengths(&r, group, &what);
    }
}

#[test]
fn openssl_default_client_gets_x25519mlkem768_in_one_round_trip() {
    let config = pq_server_config(Policy::PreferPostQuantum);
    let r = run(
        move |l| net::rustls_server(l, config),
        |a| ossl::client(a, None),
        untouched(),
    );
    // OpenSSL's default ClientHello carries X25519MLKEM768 and X25519 shares.
    let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
    let offered: Vec<u16> = key_shares(&ch).iter().map(|(g, _)| *g).collect();
    assert!(
        offered.starts_with(&[0x11ec, 0x001d]),
        "OpenSSL default key shares: {offered:04x?}"
    );
    assert_negotiated(&r, &groups::X25519MLKEM768, 1, "OpenSSL default client");
    assert_eq!(r.server.hello_retry_request, Some(false));
    assert_eq!(r.client.group_name.as_deref(), Some("X25519MLKEM768"));
}

#[test]
fn prefer_pq_client_against_x25519_only_openssl_server_uses_the_reused_share() {
    let config = pq_client_config(Policy::PreferPostQuantum);
    let r = run(
        |l| ossl::server(l, Some("X25519"), false),
        move |a| net::rustls_client(a, config),
        untouched(),
    );
    assert_negotiated(&r, &groups::X25519, 1, "prefer-PQ client vs X25519 server");
    assert_eq!(r.client.hello_retry_request, Some(false));
    // One X25519 key pair serves both shares (draft-ietf-tls-hybrid-design §3.2): the
    // X25519 share is the last 32 bytes of the X25519MLKEM768 share, and the server
    // answered that share.
    let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
    let shares = key_shares(&ch);
    assert_eq!(
        shares.iter().map(|(g, _)| *g).collect::<Vec<_>>(),
        vec![0x11ec, 0x001d]
    );
    assert_eq!(&shares[0].1[1184..], &shares[1].1[..]);
    let sh = parse_hello(&r.wire.server_hellos(false)[0].bytes);
    assert_eq!(key_shares(&sh)[0].0, 0x001d);
    assert_eq!(r.server.group_name.as_deref(), Some("x25519"));
}

#[test]
fn prefer_pq_client_against_default_openssl_server_gets_x25519mlkem768() {
    let config = pq_client_config(Policy::PreferPostQuantum);
    let r = run(
        |l| ossl::server(l, None, false),
        move |a| net::rustls_client(a, config),
        untouched(),
    );
    assert_negotiated(
        &r,
        &groups::X25519MLKEM768,
        1,
        "prefer-PQ client vs OpenSSL defaults",
    );
    assert_eq!(r.server.group_name.as_deref(), Some("X25519MLKEM768"));
}

#[test]
fn prefer_pq_client_retries_for_the_only_group_an_openssl_server_has() {
    // The client sends X25519MLKEM768 and X25519 shares; a server that has only
    // SecP256r1MLKEM768 (listed second by the client) must ask for it by
    // HelloRetryRequest (RFC 8446 §4.1.4), and the client must answer with that share.
    let config = pq_client_config(Policy::PreferPostQuantum);
    let r = run(
        |l| ossl::server(l, Some("SecP256r1MLKEM768"), true),
        move |a| net::rustls_client(a, config),
        untouched(),
    );
    assert_negotiated(
        &r,
        &groups::SECP256R1MLKEM768,
        2,
        "HelloRetryRequest from OpenSSL",
    );
    assert_eq!(r.client.hello_retry_request, Some(true));
    let hellos = r.wire.client_hellos();
    let first: Vec<u16> = key_shares(&parse_hello(&hellos[0].bytes))
        .iter()
        .map(|(g, _)| *g)
        .collect();
    assert_eq!(first, vec![0x11ec, 0x001d]);
    assert_share_lengths(&r, &groups::SECP256R1MLKEM768, "after HelloRetryRequest");
    assert_eq!(key_shares(&parse_hello(&hellos[1].bytes)).len(), 1);
}

#[test]
fn require_pq_client_against_classical_openssl_server_fails_clearly() {
    let config = pq_client_config(Policy::RequirePostQuantum);
    let r = run(
        |l| ossl::server(l, Some("X25519:P-256:P-384"), false),
        move |a| net::rustls_client(a, config),
        untouched(),
    );
    assert!(!r.client.data_ok && !r.server.data_ok);
    assert!(r.server.error.is_some(), "the OpenSSL server must fail too");
    // OpenSSL found no group in common and said so with handshake_failure.
    assert_eq!(r.wire.alerts_from(false), vec![(FATAL, HANDSHAKE_FAILURE)]);
    let err = r.client.rustls_error.clone().expect("a rustls error");
    let explained = Policy::RequirePostQuantum
        .explain(Side::Client, &err)
        .unwrap_or_else(|| panic!("not explained: {err:?}"));
    let text = explained.to_string();
    assert!(
        text.contains("the server offered no post-quantum group"),
        "{text}"
    );
    assert_eq!(r.wire.round_trips(), 1);
}

fn pq_server_configs() -> Arc<pqhkex::PqServerConfigs> {
    let (cert, key) = common::cert();
    Arc::new(
        pqhkex::PqServerConfigs::new(
            rustls::crypto::ring::default_provider(),
            Policy::PreferPostQuantum,
            |b| {
                b.with_no_client_auth()
                    .with_single_cert(vec![cert.clone()], key.clone_key())
            },
        )
        .unwrap(),
    )
}

#[test]
fn server_pq_preference_moves_x25519_first_openssl_client_to_x25519mlkem768() {
    let groups_list = "X25519:X25519MLKEM768";
    let configs = pq_server_configs();
    let r = run(
        move |l| net::rustls_pq_server(l, configs),
        move |a| ossl::client(a, Some(groups_list)),
        untouched(),
    );
    // The first ClientHello lists X25519 first and carries only an X25519 share.
    let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
    assert_eq!(supported_groups(&ch), vec![0x001d, 0x11ec]);
    assert_eq!(
        key_shares(&ch).iter().map(|(g, _)| *g).collect::<Vec<_>>(),
        vec![0x001d]
    );
    // The server asked for X25519MLKEM768 by HelloRetryRequest: two round trips.
    assert_negotiated(&r, &groups::X25519MLKEM768, 2, "PqServerConfigs");
    assert_eq!(r.server.hello_retry_request, Some(true));
    let hrr = parse_hello(&r.wire.server_hellos(true)[0].bytes);
    let selected = hrr
        .extensions
        .iter()
        .find(|(t, _)| *t == common::EXT_KEY_SHARE)
        .map(|(_, d)| d.clone());
    assert_eq!(selected, Some(vec![0x11, 0xec]));
    assert_eq!(r.client.group_name.as_deref(), Some("X25519MLKEM768"));

    // Without server-side preference a rustls server follows the client's order.
    let config = pq_server_config(Policy::PreferPostQuantum);
    let r = run(
        move |l| net::rustls_server(l, config),
        move |a| ossl::client(a, Some(groups_list)),
        untouched(),
    );
    assert_negotiated(&r, &groups::X25519, 1, "plain prefer-PQ server");
}

#[test]
fn openssl_client_offering_only_secp384r1mlkem1024() {
    let config = pq_server_config(Policy::PreferPostQuantum);
    let r = run(
        move |l| net::rustls_server(l, config),
        |a| ossl::client(a, Some("SecP384r1MLKEM1024")),
        untouched(),
    );
    let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
    assert_eq!(supported_groups(&ch), vec![0x11ed]);
    assert_negotiated(
        &r,
        &groups::SECP384R1MLKEM1024,
        1,
        "SecP384r1MLKEM1024 only",
    );
    assert_share_lengths(&r, &groups::SECP384R1MLKEM1024, "SecP384r1MLKEM1024 only");
    // The same through the server-side-preference path.
    let configs = pq_server_configs();
    let r = run(
        move |l| net::rustls_pq_server(l, configs),
        |a| ossl::client(a, Some("SecP384r1MLKEM1024")),
        untouched(),
    );
    assert_negotiated(
        &r,
        &groups::SECP384R1MLKEM1024,
        1,
        "SecP384r1MLKEM1024, PqServerConfigs",
    );
}

// ---- Corrupted key shares ------------------------------------------------------------

/// A way to break a key share that the specs require the receiver to refuse.
#[derive(Clone, Copy, Debug)]
enum Fault {
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

/// Client-share faults (ClientHello from OpenSSL; the pqhkex server must refuse).
fn client_share_faults() -> Vec<(&'static str, Fault)> {
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

/// Server-share faults (ServerHello from OpenSSL; the pqhkex client must refuse). An
/// ML-KEM ciphertext of the right length is always accepted (implicit rejection), so
/// for ML-KEM only the length can be wrong.
fn server_share_faults() -> Vec<(&'static str, Fault)> {
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
/// `msg_type` (1 = ClientHello, 2 = ServerHello), counting how often it did.
fn corrupt_hello(msg_type: u8, group: u16, fault: Fault, hits: Arc<AtomicUsize>) -> Tamper {
    Box::new(move |_, record: &mut Vec<u8>| {
        if record[0] != 22 || record.get(5) != Some(&msg_type) || hits.load(Ordering::SeqCst) > 0 {
            return;
        }
        let before = record.clone();
        rewrite_share(record, group, &|share: &mut Vec<u8>| fault.apply(share));
        assert_ne!(*record, before, "the corruption changed nothing");
        hits.fetch_add(1, Ordering::SeqCst);
    })
}

fn assert_refused_with_illegal_parameter(
    ours: &Endpoint,
    theirs: &Endpoint,
    alerts_from_us: Vec<(u8, u8)>,
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
        peer.contains("illegal parameter"),
        "{what}: OpenSSL says {peer:?}"
    );
    assert!(!ours.data_ok && !theirs.data_ok, "{what}");
}

#[test]
fn corrupted_client_share_from_openssl_gets_illegal_parameter() {
    for (name, fault) in client_share_faults() {
        let group = groups::by_name(name).unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let config = pq_server_config(EVERY_GROUP);
        let r = run(
            move |l| net::rustls_server(l, config),
            move |a| ossl::client(a, Some(name)),
            corrupt_hello(1, group.code, fault, hits.clone()),
        );
        let what = format!("ClientHello {name} share, {fault:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 1, "{what}");
        assert_refused_with_illegal_parameter(
            &r.server,
            &r.client,
            r.wire.alerts_from(false),
            &what,
        );
    }
}

#[test]
fn corrupted_server_share_from_openssl_gets_illegal_parameter() {
    for (name, fault) in server_share_faults() {
        let group = groups::by_name(name).unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let config = single_group_client(group);
        let r = run(
            move |l| ossl::server(l, Some(name), true),
            move |a| net::rustls_client(a, config),
            corrupt_hello(2, group.code, fault, hits.clone()),
        );
        let what = format!("ServerHello {name} share, {fault:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 1, "{what}");
        assert_refused_with_illegal_parameter(
            &r.client,
            &r.server,
            r.wire.alerts_from(true),
            &what,
        );
    }
}

// ---- The legacy draft group: OpenSSL lacks it (BoringSSL has it: interop-boring/) ------

#[cfg(feature = "legacy-kyber")]
#[test]
fn legacy_kyber_self_interop_over_tcp() {
    let group = &groups::X25519KYBER768DRAFT00;
    let server = common::server_config(common::ring_with(vec![pq::X25519KYBER768DRAFT00]));
    let client = single_group_client(group);
    let r = run(
        move |l| net::rustls_server(l, server),
        move |a| net::rustls_client(a, client),
        untouched(),
    );
    assert_negotiated(&r, group, 1, "X25519Kyber768Draft00 self-interop");
    assert_share_lengths(&r, group, "X25519Kyber768Draft00 self-interop");
}

/// OpenSSL does not know 0x6399: a client that puts it first still reaches an OpenSSL
/// server in one round trip, through the X25519 share it shares with the legacy group.
#[cfg(feature = "legacy-kyber")]
#[test]
fn legacy_kyber_first_client_falls_back_to_x25519_with_openssl() {
    let config = common::client_config(common::ring_with(vec![
        pq::X25519KYBER768DRAFT00,
        pq::X25519,
    ]));
    let r = run(
        |l| ossl::server(l, None, true),
        move |a| net::rustls_client(a, config),
        untouched(),
    );
    let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
    let shares = key_shares(&ch);
    assert_eq!(
        shares.iter().map(|(g, _)| *g).collect::<Vec<_>>(),
        vec![0x6399, 0x001d]
    );
    // X25519 comes FIRST in X25519Kyber768Draft00, so the reused share is its prefix.
    assert_eq!(&shares[0].1[..32], &shares[1].1[..]);
    assert_negotiated(&r, &groups::X25519, 1, "legacy-first client vs OpenSSL");
}
