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

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/interop/net.rs"]
mod net;
#[path = "openssl_interop/ossl.rs"]
mod ossl;
#[path = "../../tests/interop/shared.rs"]
mod shared;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{key_shares, parse_hello, supported_groups, HANDSHAKE_FAILURE};
use net::{run, untouched};
use pqhkex::groups::{self, Group};
#[cfg(feature = "legacy-kyber")]
use pqhkex::rustls as pq;
use pqhkex::{Policy, Side};
use rustls::crypto::SupportedKxGroup;
use shared::{
    assert_hrr_selects, assert_negotiated, assert_refused_with_illegal_parameter,
    assert_share_lengths, client_share_faults, corrupt_hello, pq_client_config, pq_server_config,
    server_share_faults, single_group_client, EVERY_GROUP, FATAL,
};

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
    // X25519Kyber768Draft00 has no maintained peer: OpenSSL never implemented it.
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
    // OpenSSL sends handshake_failure for no common cipher suite too: the alert first.
    common::assert_handshake_failure_explained(&explained);
    assert_eq!(r.wire.round_trips(), 1);
}

#[test]
fn server_pq_preference_moves_x25519_first_openssl_client_to_x25519mlkem768() {
    let groups_list = "X25519:X25519MLKEM768";
    let configs = shared::pq_server_configs(Policy::PreferPostQuantum, common::p256_cert());
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
    assert_hrr_selects(&r, &groups::X25519MLKEM768, "PqServerConfigs");
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
    let configs = shared::pq_server_configs(Policy::PreferPostQuantum, common::p256_cert());
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
            "illegal parameter",
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
            "illegal parameter",
            &what,
        );
    }
}

// ---- The legacy draft group: no maintained peer, so pqhkex against itself -------------

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
