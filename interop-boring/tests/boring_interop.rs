//! Interop with BoringSSL (the `boring` crate, BoringSSL built from its vendored source)
//! over real loopback TCP, through the same recording proxy, pqhkex endpoints and
//! assertions as interop-c/tests/openssl_interop.rs (shared from `tests/common/` and `tests/interop/`).
//!
//! BoringSSL implements three of pqhkex's post-quantum groups: X25519MLKEM768,
//! MLKEM1024 and, through Cloudflare's patch, the obsolete X25519Kyber768Draft00
//! (0x6399), for which it is the only maintained independent peer this project tests
//! against (OpenSSL never had it). Each runs in both directions with the group checked
//! on both sides and data both ways. BoringSSL has neither SecP hybrid nor pure
//! ML-KEM-512/768: it refuses them by name, and a pqhkex client offering only one of
//! them gets no handshake. A prefer-PQ pqhkex client and BoringSSL's default group list
//! (X25519MLKEM768 first) meet on X25519MLKEM768 in one round trip, both ways round.

#[path = "boring_interop/bssl.rs"]
mod bssl;
#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/interop/net.rs"]
mod net;
#[path = "../../tests/interop/shared.rs"]
mod shared;

use common::{key_shares, parse_hello, supported_groups};
use net::{run, untouched};
use pqhkex::groups::{self, Group};
use pqhkex::Policy;
use shared::{
    assert_negotiated, assert_share_lengths, pq_client_config, pq_server_config,
    single_group_client, EVERY_GROUP,
};

/// Runs `group` both ways between pqhkex and BoringSSL, where it is called `name`.
fn both_directions(group: &'static Group, name: &'static str) {
    let config = single_group_client(group);
    let r = run(
        move |l| bssl::server(l, Some(name)),
        move |a| net::rustls_client(a, config),
        untouched(),
    );
    let what = format!("pqhkex client -> BoringSSL server, {name}");
    assert_negotiated(&r, group, 1, &what);
    assert_eq!(r.server.group_name.as_deref(), Some(name), "{what}");
    assert_share_lengths(&r, group, &what);

    let config = pq_server_config(EVERY_GROUP);
    let r = run(
        move |l| net::rustls_server(l, config),
        move |a| bssl::client(a, Some(name)),
        untouched(),
    );
    let what = format!("BoringSSL client -> pqhkex server, {name}");
    assert_negotiated(&r, group, 1, &what);
    assert_eq!(r.client.group_name.as_deref(), Some(name), "{what}");
    assert_share_lengths(&r, group, &what);
    // The BoringSSL client offered that one group and nothing else.
    let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
    assert_eq!(supported_groups(&ch), [group.code], "{what}");
}

#[test]
fn boringssl_knows_the_shared_groups_and_refuses_the_rest_by_name() {
    for (group, name) in [
        (&groups::X25519MLKEM768, "X25519MLKEM768"),
        (&groups::MLKEM1024, "MLKEM1024"),
    ] {
        assert!(bssl::knows_groups(name), "BoringSSL does not know {name}");
        assert_eq!(groups::by_name(name).map(|g| g.code), Some(group.code));
    }
    // Cloudflare's patch keeps the draft group in, whatever pqhkex's features.
    assert!(bssl::knows_groups("X25519Kyber768Draft00"));
    // Neither SecP hybrid, nor pure ML-KEM-512/768: setting the list fails, alone or
    // next to names BoringSSL knows.
    for name in [
        "SecP256r1MLKEM768",
        "SecP384r1MLKEM1024",
        "MLKEM768",
        "MLKEM512",
    ] {
        assert!(groups::by_name(name).is_some(), "pqhkex lacks {name}");
        assert!(!bssl::knows_groups(name), "BoringSSL accepted {name}");
        assert!(!bssl::knows_groups(&format!(
            "X25519MLKEM768:{name}:X25519"
        )));
    }
    assert!(!bssl::knows_groups("NoSuchGroup768"));
}

#[test]
fn x25519mlkem768_both_directions() {
    both_directions(&groups::X25519MLKEM768, "X25519MLKEM768");
}

#[test]
fn mlkem1024_both_directions() {
    both_directions(&groups::MLKEM1024, "MLKEM1024");
}

/// The first independent, maintained peer for 0x6399: until now it was covered by
/// pqhkex's self-interop and the round-3 Kyber KATs only.
#[cfg(feature = "legacy-kyber")]
#[test]
fn x25519kyber768draft00_both_directions() {
    both_directions(&groups::X25519KYBER768DRAFT00, "X25519Kyber768Draft00");
}

/// BoringSSL has no SecP hybrid, so a pqhkex client offering only one of them finds no
/// common group with a default BoringSSL server, which ends the handshake.
#[test]
fn secp_hybrid_only_client_gets_no_handshake_from_boringssl() {
    for group in [&groups::SECP256R1MLKEM768, &groups::SECP384R1MLKEM1024] {
        let config = single_group_client(group);
        let r = run(
            |l| bssl::server(l, None),
            move |a| net::rustls_client(a, config),
            untouched(),
        );
        let what = format!("{} only vs BoringSSL", group.name);
        assert!(r.client.error.is_some(), "{what}: client {:?}", r.client);
        assert!(r.server.error.is_some(), "{what}: server {:?}", r.server);
        assert!(!r.client.data_ok && !r.server.data_ok, "{what}");
        assert!(
            r.wire.server_hellos(false).is_empty(),
            "{what}: a ServerHello"
        );
        assert_eq!(
            r.wire.hello_retry_requests(),
            0,
            "{what}: a HelloRetryRequest"
        );
        // handshake_failure (40), fatal
        assert_eq!(
            r.wire.alerts_from(false),
            [(2, 40)],
            "{what}: server alerts"
        );
    }
}

#[test]
fn prefer_pq_client_against_default_boringssl_server_gets_x25519mlkem768() {
    let config = pq_client_config(Policy::PreferPostQuantum);
    let r = run(
        |l| bssl::server(l, None),
        move |a| net::rustls_client(a, config),
        untouched(),
    );
    let what = "prefer-PQ client vs BoringSSL defaults";
    assert_negotiated(&r, &groups::X25519MLKEM768, 1, what);
    assert_eq!(r.server.group_name.as_deref(), Some("X25519MLKEM768"));
    assert_eq!(r.client.hello_retry_request, Some(false), "{what}");
    assert_eq!(r.server.hello_retry_request, Some(false), "{what}");
}

/// BoringSSL's default group list puts X25519MLKEM768 first (what Chrome sends), with
/// shares for it and X25519: a prefer-PQ pqhkex server answers X25519MLKEM768 at once.
#[test]
fn default_boringssl_client_gets_x25519mlkem768_from_prefer_pq_server() {
    let config = pq_server_config(Policy::PreferPostQuantum);
    let r = run(
        move |l| net::rustls_server(l, config),
        |a| bssl::client(a, None),
        untouched(),
    );
    let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
    let offered = supported_groups(&ch);
    assert_eq!(
        offered.first(),
        Some(&groups::X25519MLKEM768.code),
        "BoringSSL default groups: {offered:04x?}"
    );
    assert!(offered.contains(&groups::X25519.code), "{offered:04x?}");
    let shares: Vec<u16> = key_shares(&ch).iter().map(|(g, _)| *g).collect();
    assert_eq!(
        shares,
        [groups::X25519MLKEM768.code, groups::X25519.code],
        "BoringSSL default key shares"
    );
    assert_negotiated(
        &r,
        &groups::X25519MLKEM768,
        1,
        "BoringSSL default client vs prefer-PQ server",
    );
    assert_eq!(r.client.group_name.as_deref(), Some("X25519MLKEM768"));
}

/// The scanner's split-ClientHello check (pqhkex-inventory) against BoringSSL with its
/// default groups: the browser-like post-quantum ClientHello in two TCP segments and
/// across several TLS records still completes, on X25519MLKEM768.
#[test]
fn split_client_hello_passes_boringssl() {
    use std::sync::Arc;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    bssl::serve_forever(listener, None);
    let scanner =
        pqhkex_inventory::Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
            .unwrap()
            .groups(&[&groups::X25519MLKEM768]);
    let r = scanner.scan_target(&pqhkex_inventory::Target::parse(&addr.to_string()).unwrap());
    let json = serde_json::to_string_pretty(&r).unwrap();
    assert_eq!(
        r.default_offer.as_ref().and_then(|d| d.group.as_deref()),
        Some("X25519MLKEM768"),
        "{json}"
    );
    let split = r.client_hello_split.as_ref().expect("split check ran");
    assert!(split.passed, "{json}");
    assert_eq!(split.tcp_segments.group.as_deref(), Some("X25519MLKEM768"));
    assert_eq!(split.tls_records.group.as_deref(), Some("X25519MLKEM768"));
}

/// The scanner's preference probes (pqhkex_inventory::preference) against BoringSSL.
/// BoringSSL follows the client's group order unless `SSL_OP_CIPHER_SERVER_PREFERENCE`
/// is set: by default a client listing x25519 first gets x25519 even with both shares
/// sent, so the server is only "pq-capable"; with server preference and
/// X25519MLKEM768 first in its list it picks the hybrid, and asks for it by
/// HelloRetryRequest when only an x25519 share was sent.
#[test]
fn scanner_preference_probes_against_boringssl() {
    use pqhkex_inventory::{preference, Answer, Posture, Target};
    let scanner = pqhkex_inventory::Scanner::new(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .unwrap()
    .groups(&[&groups::X25519MLKEM768, &groups::X25519]);
    for (server_groups, server_preference, prefers, upgrades, posture) in [
        (
            "X25519MLKEM768:X25519",
            false,
            Answer::No,
            Answer::No,
            Posture::PqCapable,
        ),
        (
            "X25519MLKEM768:X25519",
            true,
            Answer::Yes,
            Answer::Yes,
            Posture::PqPreferred,
        ),
        (
            "X25519:X25519MLKEM768",
            true,
            Answer::No,
            Answer::No,
            Posture::PqCapable,
        ),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        bssl::serve_forever_with(listener, Some(server_groups), server_preference);
        let r = scanner.scan_target(&Target::parse(&addr.to_string()).unwrap());
        let json = serde_json::to_string_pretty(&r).unwrap();
        let what = format!("{server_groups}, server preference {server_preference}");
        let p = r.preference.as_ref().expect("preference probed");
        assert_eq!(p.prefers_post_quantum, prefers, "{what}: {json}");
        assert_eq!(p.upgrades_by_hrr, upgrades, "{what}: {json}");
        assert_eq!(r.pq_posture, Some(posture), "{what}: {json}");
        let both = p.probe(preference::Check::BothShares).unwrap();
        let expected = if prefers == Answer::Yes {
            "X25519MLKEM768"
        } else {
            "x25519"
        };
        assert_eq!(both.group.as_deref(), Some(expected), "{what}: {json}");
    }
}
