//! Interop with s2n-tls (AWS's TLS stack, C, built from source by `s2n-tls-sys` over
//! aws-lc), over real loopback TCP through the recording, optionally corrupting proxy of
//! tests/interop/net.rs.
//!
//! s2n-tls has no API to choose groups: a peer's groups come from its security policy.
//! From s2n's policy tables (tls/s2n_security_policies.c, s2n_kem_preferences.c and
//! s2n_ecc_preferences.c in s2n-tls-sys 0.3.47):
//!
//! * `default_pq` (= 20250721): X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024,
//!   then secp256r1, x25519, secp384r1, secp521r1; TLS 1.2 and 1.3.
//! * `20260720` (CNSA 2.0): pure MLKEM1024 and secp384r1 only, TLS 1.3 only,
//!   TLS_AES_256_GCM_SHA384 only, ML-DSA-87 or ECDSA P-384 (SHA-384) signatures, hence
//!   the P-384 certificate.
//! * `default_tls13` and `20240503` (the same policy): classical groups only.
//!
//! An s2n client sends one post-quantum share (for its policy's first group) and one
//! ECDHE share (its first curve), so a pqhkex server that accepts only a later group gets
//! it by HelloRetryRequest.
//!
//! Scenarios: each post-quantum group s2n has, both directions, the group checked on
//! both sides; server-side preference and HelloRetryRequest with an s2n client; pqhkex
//! client policies against each s2n policy; key shares corrupted in both directions.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/interop/net.rs"]
mod net;
#[path = "s2n_interop/s2n.rs"]
mod s2n;
#[path = "../../tests/interop/shared.rs"]
mod shared;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{key_shares, p256_cert, p384_cert, parse_hello, supported_groups, TestCert};
use net::{run, untouched, Run};
use pqhkex::groups::{self, Group};
use pqhkex::Policy;
use shared::{
    assert_hrr_selects, assert_negotiated, assert_refused_with_illegal_parameter,
    assert_share_lengths, client_share_faults, corrupt_hello, pq_client_config,
    pq_server_config_with, server_share_faults, single_group_client,
};

const DEFAULT_PQ: &str = "default_pq";
/// s2n's CNSA 2.0 policy.
const CNSA2: &str = "20260720";
/// Classical-only policies: `default_tls13` is an alias of `20240503`.
const CLASSICAL: [&str; 2] = ["default_tls13", "20240503"];

/// The s2n policy that has `group` (`None`: s2n does not implement it), and the
/// certificate a server under that policy presents.
fn s2n_policy_for(group: &Group) -> Option<(&'static str, &'static TestCert)> {
    match group.name {
        "X25519MLKEM768" | "SecP256r1MLKEM768" | "SecP384r1MLKEM1024" => {
            Some((DEFAULT_PQ, p256_cert()))
        }
        "MLKEM1024" => Some((CNSA2, p384_cert())),
        _ => None,
    }
}

/// The four post-quantum groups s2n-tls implements (its `ALL_SUPPORTED_KEM_GROUPS`; no
/// MLKEM512 or MLKEM768), each with the round trips an s2n client needs to reach
/// a pqhkex server that accepts only that group (s2n sends a share only for its policy's
/// first post-quantum group).
fn s2n_groups() -> [(&'static Group, usize); 4] {
    [
        (&groups::X25519MLKEM768, 1),
        (&groups::SECP256R1MLKEM768, 2),
        (&groups::SECP384R1MLKEM1024, 2),
        (&groups::MLKEM1024, 1),
    ]
}

/// A pqhkex server policy that accepts exactly `group`.
fn only(group: &Group) -> Policy {
    let i = groups::ALL
        .iter()
        .position(|g| g.code == group.code)
        .expect("a group of the table");
    Policy::Custom(&groups::ALL[i..=i])
}

fn shares_of(hello: &net::Record) -> Vec<u16> {
    key_shares(&parse_hello(&hello.bytes))
        .iter()
        .map(|(g, _)| *g)
        .collect()
}

/// s2n's name for the negotiated group must be pqhkex's name for it (s2n uses the IANA
/// names, as OpenSSL does).
fn assert_s2n_names(ep: &net::Endpoint, group: &Group, what: &str) {
    assert_eq!(
        ep.group_name.as_deref(),
        Some(group.name),
        "{what}: s2n's name"
    );
}

#[test]
fn s2n_knows_the_policies_and_sends_their_groups() {
    for name in [DEFAULT_PQ, CNSA2, CLASSICAL[0], CLASSICAL[1]] {
        assert!(s2n::knows_policy(name), "s2n does not know policy {name}");
    }
    // The check above can fail: an unknown name is refused.
    assert!(!s2n::knows_policy("no_such_policy"));

    // What an s2n client of each policy lists and sends a share for, as seen on the wire.
    let cases: [(&str, &[u16], &[u16]); 3] = [
        // default_pq: the three hybrids, then secp256r1, x25519, secp384r1, secp521r1.
        (
            DEFAULT_PQ,
            &[0x11ec, 0x11eb, 0x11ed, 0x0017, 0x001d, 0x0018, 0x0019],
            &[0x11ec, 0x0017],
        ),
        // 20260720: MLKEM1024 and secp384r1.
        (CNSA2, &[0x0202, 0x0018], &[0x0202, 0x0018]),
        // default_tls13: no post-quantum group at all.
        (CLASSICAL[0], &[0x0017, 0x001d, 0x0018, 0x0019], &[0x0017]),
    ];
    for (policy, listed, shared) in cases {
        let config = pq_server_config_with(Policy::PreferPostQuantum, p384_cert());
        let r = run(
            move |l| net::rustls_server(l, config),
            move |a| s2n::client(a, policy),
            untouched(),
        );
        let hellos = r.wire.client_hellos();
        let ch = parse_hello(&hellos[0].bytes);
        assert_eq!(
            supported_groups(&ch),
            listed,
            "s2n {policy}: supported_groups"
        );
        assert_eq!(shares_of(hellos[0]), shared, "s2n {policy}: key shares");
    }
}

#[test]
fn pqhkex_client_to_s2n_server_each_group() {
    for (group, _) in s2n_groups() {
        let (policy, cert) = s2n_policy_for(group).unwrap();
        let config = single_group_client(group);
        let r = run(
            move |l| s2n::server(l, policy, cert),
            move |a| net::rustls_client(a, config),
            untouched(),
        );
        let what = format!("pqhkex client -> s2n server ({policy}), {}", group.name);
        assert_negotiated(&r, group, 1, &what);
        assert_s2n_names(&r.server, group, &what);
        assert_share_lengths(&r, group, &what);
    }
}

#[test]
fn s2n_client_to_pqhkex_server_each_group() {
    for (group, round_trips) in s2n_groups() {
        let (policy, cert) = s2n_policy_for(group).unwrap();
        let config = pq_server_config_with(only(group), cert);
        let r = run(
            move |l| net::rustls_server(l, config),
            move |a| s2n::client(a, policy),
            untouched(),
        );
        let what = format!("s2n client ({policy}) -> pqhkex server, {}", group.name);
        assert_negotiated(&r, group, round_trips, &what);
        assert_s2n_names(&r.client, group, &what);
        assert_share_lengths(&r, group, &what);
        if round_trips == 2 {
            // After the HelloRetryRequest s2n sends exactly the share asked for.
            assert_eq!(
                shares_of(r.wire.client_hellos()[1]),
                vec![group.code],
                "{what}"
            );
        }
    }
}

#[test]
fn pqhkex_server_preference_moves_s2n_client_by_hello_retry_request() {
    // The s2n default_pq client sends an X25519MLKEM768 share (and a secp256r1 one); a
    // PqServerConfigs server that prefers SecP256r1MLKEM768 asks for it.
    const PREFERENCE: &[&Group] = &[
        &groups::SECP256R1MLKEM768,
        &groups::X25519MLKEM768,
        &groups::SECP384R1MLKEM1024,
    ];
    let configs = shared::pq_server_configs(Policy::Custom(PREFERENCE), p256_cert());
    let r = run(
        move |l| net::rustls_pq_server(l, configs),
        |a| s2n::client(a, DEFAULT_PQ),
        untouched(),
    );
    let what = "PqServerConfigs preferring SecP256r1MLKEM768, s2n default_pq client";
    assert_eq!(shares_of(r.wire.client_hellos()[0]), vec![0x11ec, 0x0017]);
    assert_negotiated(&r, &groups::SECP256R1MLKEM768, 2, what);
    // Both sides say so: rustls's HandshakeKind and s2n's handshake type.
    assert_eq!(r.server.hello_retry_request, Some(true), "{what}");
    assert_eq!(r.client.hello_retry_request, Some(true), "{what}");
    assert_hrr_selects(&r, &groups::SECP256R1MLKEM768, what);
    assert_eq!(shares_of(r.wire.client_hellos()[1]), vec![0x11eb], "{what}");

    // A plain server whose only group is the one the client has no share for.
    let config = pq_server_config_with(only(&groups::SECP384R1MLKEM1024), p256_cert());
    let r = run(
        move |l| net::rustls_server(l, config),
        |a| s2n::client(a, DEFAULT_PQ),
        untouched(),
    );
    let what = "SecP384r1MLKEM1024-only server, s2n default_pq client";
    assert_negotiated(&r, &groups::SECP384R1MLKEM1024, 2, what);
    assert_eq!(r.client.hello_retry_request, Some(true), "{what}");
    assert_hrr_selects(&r, &groups::SECP384R1MLKEM1024, what);
}

#[test]
fn s2n_default_pq_client_gets_x25519mlkem768_from_a_prefer_pq_server_at_once() {
    let config = pq_server_config_with(Policy::PreferPostQuantum, p256_cert());
    let r = run(
        move |l| net::rustls_server(l, config),
        |a| s2n::client(a, DEFAULT_PQ),
        untouched(),
    );
    assert_negotiated(&r, &groups::X25519MLKEM768, 1, "s2n default_pq client");
    assert_eq!(r.client.hello_retry_request, Some(false));
}

/// A pqhkex client with `policy` against an s2n server with the security policy
/// `s2n_policy` and `cert`, through the recording proxy.
fn pq_client_vs_s2n(policy: Policy, s2n_policy: &'static str, cert: &'static TestCert) -> Run {
    let config = pq_client_config(policy);
    run(
        move |l| s2n::server(l, s2n_policy, cert),
        move |a| net::rustls_client(a, config),
        untouched(),
    )
}

#[test]
fn prefer_pq_client_against_each_s2n_policy() {
    // default_pq: the client's first share is the server's first group.
    let r = pq_client_vs_s2n(Policy::PreferPostQuantum, DEFAULT_PQ, p256_cert());
    let what = "prefer-PQ client vs s2n default_pq";
    assert_negotiated(&r, &groups::X25519MLKEM768, 1, what);
    assert_eq!(shares_of(r.wire.client_hellos()[0]), vec![0x11ec, 0x001d]);
    assert_s2n_names(&r.server, &groups::X25519MLKEM768, what);

    // 20260720 (CNSA 2.0) has no hybrid, and PreferPostQuantum lists no pure ML-KEM, so
    // the only group in common is secp384r1: s2n asks for it by HelloRetryRequest. A
    // PreferPostQuantum client is not post-quantum against a CNSA 2.0 server.
    let r = pq_client_vs_s2n(Policy::PreferPostQuantum, CNSA2, p384_cert());
    let what = "prefer-PQ client vs s2n 20260720";
    assert_negotiated(&r, &groups::SECP384R1, 2, what);
    assert_hrr_selects(&r, &groups::SECP384R1, what);
    assert_s2n_names(&r.server, &groups::SECP384R1, what);

    // The Cnsa2 policy offers MLKEM1024 first: one round trip.
    let r = pq_client_vs_s2n(Policy::Cnsa2, CNSA2, p384_cert());
    let what = "Cnsa2 client vs s2n 20260720";
    assert_negotiated(&r, &groups::MLKEM1024, 1, what);
    assert_s2n_names(&r.server, &groups::MLKEM1024, what);

    // RequirePostQuantum lists MLKEM1024 after the hybrids: reached by HelloRetryRequest.
    let r = pq_client_vs_s2n(Policy::RequirePostQuantum, CNSA2, p384_cert());
    let what = "require-PQ client vs s2n 20260720";
    assert_negotiated(&r, &groups::MLKEM1024, 2, what);
    assert_hrr_selects(&r, &groups::MLKEM1024, what);
}

/// A warning-level close_notify alert: what s2n-tls sends when it gives up a handshake
/// (it sends no fatal alert for these errors; s2n_alerts.c maps them to "no alert").
const WARNING_CLOSE_NOTIFY: (u8, u8) = (1, 0);

#[test]
fn require_pq_client_against_classical_s2n_server_fails_clearly() {
    for policy in CLASSICAL {
        let r = pq_client_vs_s2n(Policy::RequirePostQuantum, policy, p256_cert());
        let what = format!("require-PQ client vs s2n {policy}");
        assert!(!r.client.data_ok && !r.server.data_ok, "{what}");
        assert_eq!(r.wire.round_trips(), 1, "{what}");
        // The ClientHello offered post-quantum groups only, TLS 1.3 only.
        let ch = parse_hello(&r.wire.client_hellos()[0].bytes);
        assert!(
            supported_groups(&ch)
                .iter()
                .all(|g| groups::by_code(*g).is_some_and(|g| g.is_post_quantum())),
            "{what}: {:04x?}",
            supported_groups(&ch)
        );
        // s2n's behaviour: with no group in common it fails with an internal error and
        // closes with a warning close_notify, not the handshake_failure (or
        // insufficient_security) alert RFC 8446 §4.1.1 asks for.
        let s2n_error = r.server.error.as_deref().unwrap_or_default();
        assert!(
            s2n_error.starts_with("S2N_ERR_INVALID_SUPPORTED_GROUP_STATE"),
            "{what}: s2n says {s2n_error:?}"
        );
        assert_eq!(
            r.wire.alerts_from(false),
            vec![WARNING_CLOSE_NOTIFY],
            "{what}: s2n's alerts"
        );
        // So the rustls client sees the connection end mid-handshake: an I/O
        // UnexpectedEof with no rustls error (and nothing `Policy::explain` can name).
        assert_eq!(r.client.rustls_error, None, "{what}");
        assert_eq!(
            r.client.io_kind,
            Some(std::io::ErrorKind::UnexpectedEof),
            "{what}: {:?}",
            r.client.error
        );
        assert!(r.wire.alerts_from(true).is_empty(), "{what}");
    }
}

// ---- Corrupted key shares ------------------------------------------------------------

/// The faults of `faults` on groups s2n-tls has, with the group and its s2n policy.
fn s2n_faults(
    faults: Vec<(&'static str, shared::Fault)>,
) -> Vec<(
    &'static Group,
    shared::Fault,
    &'static str,
    &'static TestCert,
)> {
    faults
        .into_iter()
        .filter_map(|(name, fault)| {
            let group = groups::by_name(name).unwrap();
            let (policy, cert) = s2n_policy_for(group)?;
            Some((group, fault, policy, cert))
        })
        .collect()
}

/// An s2n client of `policy` against a pqhkex server accepting only `group`, with
/// `group`'s key share corrupted by `fault` in the hello of `msg_type` (1: ClientHello,
/// 2: ServerHello); asserts the proxy corrupted exactly one share.
fn s2n_client_with_corrupted_share(
    msg_type: u8,
    group: &'static Group,
    fault: shared::Fault,
    policy: &'static str,
    cert: &'static TestCert,
    what: &str,
) -> Run {
    let hits = Arc::new(AtomicUsize::new(0));
    let config = pq_server_config_with(only(group), cert);
    let r = run(
        move |l| net::rustls_server(l, config),
        move |a| s2n::client(a, policy),
        corrupt_hello(msg_type, group.code, fault, hits.clone()),
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1, "{what}");
    r
}

#[test]
fn corrupted_client_share_from_s2n_gets_illegal_parameter() {
    let faults = s2n_faults(client_share_faults());
    assert_eq!(faults.len(), 10, "faults on s2n's groups");
    for (group, fault, policy, cert) in faults {
        let what = format!("s2n ({policy}) ClientHello {} share, {fault:?}", group.name);
        let r = s2n_client_with_corrupted_share(1, group, fault, policy, cert, &what);
        // s2n reports a received alert as S2N_ERR_ALERT.
        assert_refused_with_illegal_parameter(
            &r.server,
            &r.client,
            r.wire.alerts_from(false),
            "S2N_ERR_ALERT",
            &what,
        );
    }
}

/// The error s2n reports for a corrupted ServerHello share, per fault.
fn s2n_error_for(group: &Group, fault: shared::Fault) -> &'static str {
    use shared::Fault::*;
    match (group.name, fault) {
        // The X25519 part of the share is the all-zero point: aws-lc's X25519 refuses.
        (_, LowOrderX25519) => "S2N_ERR_ECDHE_SHARED_SECRET",
        // s2n reads an ECDHE-first hybrid share as a fixed-size point then a fixed-size
        // ciphertext and does not check that nothing follows: a trailing byte is accepted,
        // and the handshake fails only because the ServerHello, and so the transcript,
        // changed (s2n cannot decrypt the server's EncryptedExtensions).
        ("SecP256r1MLKEM768" | "SecP384r1MLKEM1024", Extended) => "S2N_ERR_DECRYPT",
        _ => "S2N_ERR_BAD_KEY_SHARE",
    }
}

#[test]
fn corrupted_server_share_to_s2n_client_is_refused() {
    let mut faults = s2n_faults(server_share_faults());
    assert_eq!(faults.len(), 7, "faults on s2n's groups");
    // The trailing-byte case on the other ECDHE-first hybrid too (see s2n_error_for).
    faults.extend(s2n_faults(vec![(
        "SecP256r1MLKEM768",
        shared::Fault::Extended,
    )]));
    for (group, fault, policy, cert) in faults {
        let what = format!(
            "ServerHello {} share to s2n ({policy}), {fault:?}",
            group.name
        );
        let r = s2n_client_with_corrupted_share(2, group, fault, policy, cert, &what);
        assert!(!r.client.data_ok && !r.server.data_ok, "{what}");
        let s2n_error = r.client.error.as_deref().unwrap_or_default();
        assert!(
            s2n_error.starts_with(s2n_error_for(group, fault)),
            "{what}: s2n says {s2n_error:?}"
        );
        // s2n's behaviour: no illegal_parameter (or decrypt_error) alert, only a warning
        // close_notify, which the pqhkex server reports as such.
        assert_eq!(
            r.wire.alerts_from(true),
            vec![WARNING_CLOSE_NOTIFY],
            "{what}: s2n's alerts"
        );
        assert_eq!(
            r.server.rustls_error,
            Some(rustls::Error::AlertReceived(
                rustls::AlertDescription::CloseNotify
            )),
            "{what}: pqhkex server"
        );
    }
}

/// The scanner's preference probes (pqhkex_inventory::preference) against an s2n-tls
/// server with `default_pq`: s2n chooses by its own preference list (the three hybrids
/// first), so a client listing x25519 first and sending both key shares gets
/// X25519MLKEM768, and one that sent only the x25519 share is asked for the hybrid by
/// HelloRetryRequest: "pq-preferred".
#[test]
fn scanner_preference_probes_against_s2n_default_pq() {
    use pqhkex_inventory::{preference, Answer};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // One s2n connection per probe (two probes).
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let l = listener.try_clone().unwrap();
            let _ = s2n::server(l, DEFAULT_PQ, p256_cert());
        }
    });
    let p = preference::probe(addr, Some("localhost"), &mut || {
        Some(std::time::Duration::from_secs(10))
    });
    server.join().unwrap();
    let both = p.probe(preference::Check::BothShares).unwrap();
    assert_eq!(both.group.as_deref(), Some("X25519MLKEM768"), "{p:#?}");
    assert_eq!(p.prefers_post_quantum, Answer::Yes, "{p:#?}");
    let hrr = p.probe(preference::Check::ClassicalShareOnly).unwrap();
    assert!(hrr.hello_retry_request, "{p:#?}");
    assert_eq!(p.upgrades_by_hrr, Answer::Yes, "{p:#?}");
}
