//! In-memory rustls handshakes: every group, interop with rustls's aws-lc-rs groups,
//! share reuse, HelloRetryRequest, policies and server-side PQ preference.

mod common;

use common::*;
use pqhkex::rustls as pq;
use pqhkex::{groups, Policy, Side};
use rustls::crypto::SupportedKxGroup;
use rustls::server::Acceptor;
use rustls::HandshakeKind;

/// PqServerConfigs over ring for `policy`, serving the test certificate.
fn pq_configs(policy: Policy) -> pqhkex::PqServerConfigs {
    pqhkex::PqServerConfigs::new(rustls::crypto::ring::default_provider(), policy, |b| {
        b.with_no_client_auth()
            .with_single_cert(vec![cert().0.clone()], cert().1.clone_key())
    })
    .unwrap()
}

fn code(g: &dyn SupportedKxGroup) -> u16 {
    u16::from(g.name())
}

#[test]
fn every_group_handshakes_with_itself() {
    let mut count = 0;
    for g in pq::ALL_KX_GROUPS.iter().copied() {
        let mut out = handshake(
            client_config(ring_with(vec![g])),
            server_config(ring_with(vec![g])),
        );
        assert!(out.error.is_none(), "{:?}: {:?}", g.name(), out.error);
        assert_eq!(negotiated(&out.client), Some(code(g)));
        assert_eq!(negotiated(&out.server), Some(code(g)));
        assert_eq!(
            out.client.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_3)
        );
        exchange_data(&mut out);
        // The wire shares have the table's lengths.
        let meta = groups::by_code(code(g)).unwrap();
        let ch = parse_hello(&out.flights[0].1);
        let shares = key_shares(&ch);
        assert_eq!(shares[0], (meta.code, shares[0].1.clone()));
        assert_eq!(shares[0].1.len(), meta.client_share_len(), "{}", meta.name);
        let sh = parse_hello(&out.flights[1].1);
        let s = key_shares(&sh);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, meta.code);
        assert_eq!(s[0].1.len(), meta.server_share_len(), "{}", meta.name);
        count += 1;
    }
    assert_eq!(count, pq::ALL_KX_GROUPS.len());
    assert!(count >= 9);
}

#[test]
fn classical_groups_work_over_tls12() {
    for g in [pq::X25519, pq::SECP256R1, pq::SECP384R1] {
        let client = std::sync::Arc::new(
            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(ring_with(vec![g])))
                .with_protocol_versions(&[&rustls::version::TLS12])
                .unwrap()
                .with_root_certificates(roots())
                .with_no_client_auth(),
        );
        let mut out = handshake(client, server_config(ring_with(vec![g])));
        assert!(out.error.is_none(), "{:?}", out.error);
        assert_eq!(
            out.client.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_2)
        );
        assert_eq!(negotiated(&out.client), Some(code(g)));
        exchange_data(&mut out);
    }
}

#[test]
fn post_quantum_groups_are_not_offered_over_tls12() {
    for g in [pq::X25519MLKEM768, pq::MLKEM768] {
        assert!(!g.usable_for_version(rustls::ProtocolVersion::TLSv1_2));
        assert!(g.usable_for_version(rustls::ProtocolVersion::TLSv1_3));
    }
    assert!(pq::X25519.usable_for_version(rustls::ProtocolVersion::TLSv1_2));
}

/// Interop with rustls's own aws-lc-rs implementations, both directions.
#[test]
fn interop_with_aws_lc_rs_groups_both_directions() {
    use rustls::crypto::aws_lc_rs::kx_group as aws;
    let pairs: [(&dyn SupportedKxGroup, &dyn SupportedKxGroup); 4] = [
        (pq::X25519MLKEM768, aws::X25519MLKEM768),
        (pq::SECP256R1MLKEM768, aws::SECP256R1MLKEM768),
        (pq::MLKEM768, aws::MLKEM768),
        (pq::MLKEM1024, aws::MLKEM1024),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(ours.name(), theirs.name());
        // pqhkex client -> aws-lc-rs server
        let mut out = handshake(
            client_config(ring_with(vec![ours])),
            server_config(aws_with(vec![theirs])),
        );
        assert!(
            out.error.is_none(),
            "pqhkex client {:?}: {:?}",
            ours.name(),
            out.error
        );
        assert_eq!(negotiated(&out.client), Some(code(ours)));
        assert_eq!(negotiated(&out.server), Some(code(ours)));
        exchange_data(&mut out);
        // aws-lc-rs client -> pqhkex server
        let mut out = handshake(
            client_config(aws_with(vec![theirs])),
            server_config(ring_with(vec![ours])),
        );
        assert!(
            out.error.is_none(),
            "pqhkex server {:?}: {:?}",
            ours.name(),
            out.error
        );
        assert_eq!(negotiated(&out.server), Some(code(ours)));
        exchange_data(&mut out);
    }
}

/// The ClientHello of a prefer-PQ client carries X25519MLKEM768 and X25519 shares built
/// from ONE X25519 key pair (draft-ietf-tls-hybrid-design §3.2).
#[test]
fn client_hello_reuses_the_x25519_share() {
    let out = handshake(
        client_config(ring_policy(Policy::PreferPostQuantum)),
        server_config(ring_with(vec![pq::X25519MLKEM768])),
    );
    let ch = parse_hello(&out.flights[0].1);
    let shares = key_shares(&ch);
    assert_eq!(shares.len(), 2, "two key shares expected");
    assert_eq!(shares[0].0, 0x11ec);
    assert_eq!(shares[1].0, 0x001d);
    assert_eq!(shares[0].1.len(), 1216);
    // ML-KEM first, X25519 last 32 bytes (RFC 10024): equal to the stand-alone share.
    assert_eq!(&shares[0].1[1184..], &shares[1].1[..]);
    let sg = supported_groups(&ch);
    assert_eq!(&sg[..3], &[0x11ec, 0x11eb, 0x11ed]);
    assert!(sg.contains(&0x001d));
}

#[test]
fn reused_share_server_picks_hybrid() {
    let mut out = handshake(
        client_config(ring_policy(Policy::PreferPostQuantum)),
        server_config(ring_with(vec![pq::X25519MLKEM768, pq::X25519])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.client), Some(0x11ec));
    assert_eq!(out.client.handshake_kind(), Some(HandshakeKind::Full));
    exchange_data(&mut out);
}

#[test]
fn reused_share_server_picks_x25519() {
    // Classical-only servers, ours and ring's own: X25519 completes from the reused share.
    for server_group in [pq::X25519, rustls::crypto::ring::kx_group::X25519] {
        let mut out = handshake(
            client_config(ring_policy(Policy::PreferPostQuantum)),
            server_config(ring_with(vec![server_group])),
        );
        assert!(out.error.is_none(), "{:?}", out.error);
        assert_eq!(negotiated(&out.client), Some(0x001d));
        assert_eq!(
            out.client.handshake_kind(),
            Some(HandshakeKind::Full),
            "no HelloRetryRequest"
        );
        exchange_data(&mut out);
        let report = pqhkex::ConnectionReport::from_connection(&out.client);
        assert!(!report.post_quantum);
    }
}

#[test]
fn server_sends_hello_retry_request() {
    // The server supports only SecP256r1MLKEM768, for which the client sent no share.
    let mut out = handshake(
        client_config(ring_policy(Policy::PreferPostQuantum)),
        server_config(ring_with(vec![pq::SECP256R1MLKEM768])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.client), Some(0x11eb));
    assert_eq!(
        out.client.handshake_kind(),
        Some(HandshakeKind::FullWithHelloRetryRequest)
    );
    assert_eq!(
        out.server.handshake_kind(),
        Some(HandshakeKind::FullWithHelloRetryRequest)
    );
    exchange_data(&mut out);
    let report = pqhkex::ConnectionReport::from_connection(&out.client);
    assert_eq!(report.hello_retry_request, Some(true));
    assert!(report.hybrid);
    // And SecP384r1MLKEM1024 (codepoint without a rustls enum variant) by HRR too.
    let out = handshake(
        client_config(ring_policy(Policy::PreferPostQuantum)),
        server_config(ring_with(vec![pq::SECP384R1MLKEM1024])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.server), Some(0x11ed));
}

#[test]
fn require_pq_client_vs_classical_server_fails_clearly() {
    let client = std::sync::Arc::new(
        pqhkex::client_config_builder(
            rustls::crypto::ring::default_provider(),
            Policy::RequirePostQuantum,
        )
        .unwrap()
        .with_root_certificates(roots())
        .with_no_client_auth(),
    );
    let out = handshake(client, server_config(ring_policy(Policy::Classical)));
    let (by_client, err) = out.error.expect("handshake must fail");
    // The server finds no common group and sends handshake_failure; the client sees the alert.
    assert!(!by_client);
    assert_eq!(
        err,
        rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoKxGroupsInCommon)
    );
    let alert = out.flights.last().unwrap();
    assert_eq!(alert_description(&alert.1), Some(HANDSHAKE_FAILURE));
    assert!(negotiated(&out.client).is_none());
    // What the client application sees:
    let client_err = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
    let explained = Policy::RequirePostQuantum
        .explain(Side::Client, &client_err)
        .unwrap();
    common::assert_handshake_failure_explained(&explained);
    // Server side, in the server's words:
    let explained = Policy::RequirePostQuantum
        .explain(Side::Server, &err)
        .unwrap();
    assert!(
        explained
            .to_string()
            .contains("the client offered no post-quantum group"),
        "{explained}"
    );
}

#[test]
fn require_pq_server_vs_classical_client_fails_clearly() {
    let server = std::sync::Arc::new(
        pqhkex::server_config_builder(
            rustls::crypto::ring::default_provider(),
            Policy::RequirePostQuantum,
        )
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert().0.clone()], cert().1.clone_key())
        .unwrap(),
    );
    let out = handshake(
        client_config(ring_policy(Policy::Classical)),
        server.clone(),
    );
    let (by_client, err) = out.error.expect("handshake must fail");
    assert!(!by_client);
    assert_eq!(
        err,
        rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoKxGroupsInCommon)
    );
    assert!(Policy::RequirePostQuantum
        .explain(Side::Server, &err)
        .is_some());

    // Through PqServerConfigs the refusal names what the client offered.
    let configs = pq_configs(Policy::RequirePostQuantum);
    let mut client =
        rustls::Connection::from(client_conn(client_config(ring_policy(Policy::Classical))));
    let mut acceptor = Acceptor::default();
    let mut buf = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut buf).unwrap();
    }
    acceptor.read_tls(&mut &buf[..]).unwrap();
    let accepted = acceptor.accept().unwrap().unwrap();
    let err = configs.choose(&accepted.client_hello()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("the client offered no post-quantum group"),
        "{text}"
    );
    assert!(text.contains("x25519"), "{text}");
    // `accept` refuses the same way and gives the client a handshake_failure alert.
    let (err, mut alert) = configs.accept(accepted).unwrap_err();
    assert!(
        matches!(
            err,
            pqhkex::Error::NoPostQuantumGroup {
                detected_by: Side::Server,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("secp256r1"), "{err}");
    let mut wire = Vec::new();
    alert.write_all(&mut wire).unwrap();
    assert_eq!(alert_description(&wire), Some(HANDSHAKE_FAILURE));
    client.read_tls(&mut &wire[..]).unwrap();
    assert_eq!(
        client.process_new_packets().unwrap_err(),
        rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure)
    );
    assert!(client.is_handshaking());
}

/// Runs a handshake where the server uses an Acceptor and PqServerConfigs.
fn handshake_via_acceptor(
    client: std::sync::Arc<rustls::ClientConfig>,
    configs: &pqhkex::PqServerConfigs,
) -> Outcome {
    let mut client_conn = client_conn(client);
    let mut buf = Vec::new();
    while client_conn.wants_write() {
        client_conn.write_tls(&mut buf).unwrap();
    }
    let mut acceptor = Acceptor::default();
    acceptor.read_tls(&mut &buf[..]).unwrap();
    let accepted = acceptor.accept().unwrap().unwrap();
    let server = configs.accept(accepted).unwrap();
    let mut client = rustls::Connection::from(client_conn);
    let mut server = rustls::Connection::from(server);
    // Continue the handshake: server flight first.
    let mut error = None;
    for i in 0..10 {
        let from_server = i % 2 == 0;
        let (a, b) = if from_server {
            (&mut server, &mut client)
        } else {
            (&mut client, &mut server)
        };
        if let Err(e) = transfer(a, b, &mut |_| {}).1 {
            error = Some((from_server, e));
            break;
        }
    }
    Outcome {
        client,
        server,
        flights: vec![(true, buf)],
        error,
    }
}

#[test]
fn server_side_pq_preference_overrides_client_order() {
    let configs = pq_configs(Policy::PreferPostQuantum);
    // A client that lists X25519 first, but also supports X25519MLKEM768.
    let client = client_config(ring_with(vec![pq::X25519, pq::X25519MLKEM768]));
    // Without the preference, a plain rustls server follows the client: X25519.
    let plain = handshake(
        client.clone(),
        server_config(ring_policy(Policy::PreferPostQuantum)),
    );
    assert_eq!(negotiated(&plain.server), Some(0x001d));
    // With it: X25519MLKEM768, via HelloRetryRequest (the client sent only an X25519 share).
    let mut out = handshake_via_acceptor(client, &configs);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.client), Some(0x11ec));
    assert_eq!(negotiated(&out.server), Some(0x11ec));
    assert_eq!(
        out.client.handshake_kind(),
        Some(HandshakeKind::FullWithHelloRetryRequest)
    );
    exchange_data(&mut out);
    // A classical-only client still connects under PreferPostQuantum.
    let out = handshake_via_acceptor(client_config(ring_with(vec![pq::SECP256R1])), &configs);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.server), Some(0x0017));
    // A client already sending the hybrid share gets it in one round trip.
    let out = handshake_via_acceptor(
        client_config(ring_policy(Policy::PreferPostQuantum)),
        &configs,
    );
    assert_eq!(negotiated(&out.server), Some(0x11ec));
    assert_eq!(out.server.handshake_kind(), Some(HandshakeKind::Full));
}

#[test]
fn policy_check_and_report() {
    let mut out = handshake(
        client_config(ring_policy(Policy::PreferPostQuantum)),
        server_config(ring_policy(Policy::PreferPostQuantum)),
    );
    exchange_data(&mut out);
    let report = Policy::RequirePostQuantum.check(&out.client).unwrap();
    assert_eq!(report.group_name(), "X25519MLKEM768");
    assert!(report.hybrid && report.post_quantum);
    assert_eq!(
        report.components,
        &[pqhkex::Algorithm::MlKem768, pqhkex::Algorithm::X25519]
    );
    assert!(report
        .to_string()
        .contains("group=X25519MLKEM768 (hybrid post-quantum)"));

    let out = handshake(
        client_config(ring_policy(Policy::PreferPostQuantum)),
        server_config(ring_policy(Policy::Classical)),
    );
    let err = Policy::RequirePostQuantum.check(&out.client).unwrap_err();
    assert!(
        err.to_string()
            .contains("x25519, which is not post-quantum"),
        "{err}"
    );
    assert!(Policy::PreferPostQuantum.check(&out.client).is_ok());
}

#[test]
fn policies_offer_the_documented_groups() {
    let names = |p: Policy| p.groups().iter().map(|g| g.name).collect::<Vec<_>>();
    // Hybrids first, then classical, as deployed peers offer; no pure ML-KEM by default.
    assert_eq!(
        names(Policy::PreferPostQuantum),
        [
            "X25519MLKEM768",
            "SecP256r1MLKEM768",
            "SecP384r1MLKEM1024",
            "x25519",
            "secp256r1",
            "secp384r1"
        ]
    );
    // Post-quantum only: pure ML-KEM-768/1024 too, never ML-KEM-512 (category 1).
    assert_eq!(
        names(Policy::RequirePostQuantum),
        [
            "X25519MLKEM768",
            "SecP256r1MLKEM768",
            "SecP384r1MLKEM1024",
            "MLKEM768",
            "MLKEM1024"
        ]
    );
    assert_eq!(
        names(Policy::RequireHybrid),
        ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"]
    );
    assert_eq!(names(Policy::Cnsa2), ["MLKEM1024", "SecP384r1MLKEM1024"]);
    assert_eq!(
        names(Policy::Classical),
        ["x25519", "secp256r1", "secp384r1"]
    );
    for p in [
        Policy::RequirePostQuantum,
        Policy::RequireHybrid,
        Policy::Cnsa2,
    ] {
        assert!(p.requires_post_quantum(), "{p:?}");
        assert_eq!(p.protocol_versions().len(), 1, "{p:?}: TLS 1.3 only");
    }
    assert!(!Policy::PreferPostQuantum.requires_post_quantum());
    assert!(!Policy::PreferPostQuantum
        .groups()
        .iter()
        .any(|g| g.code == 0x0200));
    // What each policy accepts on a finished connection.
    assert!(Policy::RequirePostQuantum.allows(&groups::MLKEM512));
    assert!(!Policy::RequireHybrid.allows(&groups::MLKEM1024));
    assert!(!Policy::Cnsa2.allows(&groups::X25519MLKEM768));
    assert!(Policy::Cnsa2.allows(&groups::MLKEM1024));
}

/// Named profiles negotiate what they say, end to end: CNSA 2.0 against a server that
/// prefers X25519MLKEM768 gets ML-KEM-1024; RequireHybrid refuses a pure-ML-KEM server.
#[test]
fn named_profiles_negotiate_their_groups() {
    let mut out = handshake(
        client_config(ring_policy(Policy::Cnsa2)),
        server_config(ring_policy(Policy::RequirePostQuantum)),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.client), Some(0x0202));
    Policy::Cnsa2.check(&out.client).unwrap();
    exchange_data(&mut out);

    let out = handshake(
        client_config(ring_policy(Policy::RequireHybrid)),
        server_config(ring_with(vec![pq::MLKEM768, pq::MLKEM1024])),
    );
    let (_, err) = out.error.expect("no hybrid in common");
    assert!(Policy::RequireHybrid.explain(Side::Client, &err).is_some());
    // A pure-ML-KEM connection does not satisfy RequireHybrid.
    let out = handshake(
        client_config(ring_with(vec![pq::MLKEM768])),
        server_config(ring_with(vec![pq::MLKEM768])),
    );
    assert!(Policy::RequireHybrid.check(&out.client).is_err());
    assert!(Policy::RequirePostQuantum.check(&out.client).is_ok());
}

/// `Policy::Custom` with PqServerConfigs: the server prefers the list's post-quantum
/// groups in the list's order, and falls back to its classical ones.
#[test]
fn custom_lists_drive_server_preference() {
    static MINE: &[&pqhkex::Group] = &[&groups::MLKEM512, &groups::X25519MLKEM768, &groups::X25519];
    let configs = pq_configs(Policy::Custom(MINE));
    let cfg = configs
        .choose_for_groups(Some(&[
            rustls::NamedGroup::X25519MLKEM768,
            rustls::NamedGroup::from(0x0200),
        ]))
        .unwrap();
    assert_eq!(code(cfg.crypto_provider().kx_groups[0]), 0x0200);
    let cfg = configs
        .choose_for_groups(Some(&[rustls::NamedGroup::X25519]))
        .unwrap();
    let codes: Vec<u16> = cfg
        .crypto_provider()
        .kx_groups
        .iter()
        .map(|g| code(*g))
        .collect();
    assert_eq!(codes, [0x0200, 0x11ec, 0x001d]);
    assert!(!Policy::Custom(MINE).requires_post_quantum());
}

/// The additive form keeps the base provider's own classical groups (aws-lc-rs's here)
/// behind pqhkex's post-quantum ones, and the reports say whose ran.
#[test]
fn add_post_quantum_keeps_the_providers_own_groups() {
    let base = rustls::crypto::aws_lc_rs::default_provider();
    let own: Vec<u16> = base.kx_groups.iter().map(|g| code(*g)).collect();
    let p = pqhkex::add_post_quantum(base, Policy::PreferPostQuantum);
    let codes: Vec<u16> = p.kx_groups.iter().map(|g| code(*g)).collect();
    assert_eq!(&codes[..3], &[0x11ec, 0x11eb, 0x11ed]);
    for g in &p.kx_groups[..3] {
        assert!(pq::is_pqhkex_group(*g));
    }
    // Every group of the provider that pqhkex did not add is there, in its order, and is
    // its own, except x25519: the client sends it from X25519MLKEM768's key pair.
    let rest: Vec<u16> = own
        .iter()
        .copied()
        .filter(|c| !codes[..3].contains(c))
        .collect();
    assert_eq!(&codes[3..], &rest[..]);
    for (c, kx) in rest.iter().zip(&p.kx_groups[3..]) {
        assert_eq!(pq::is_pqhkex_group(*kx), *c == 0x001d, "0x{c:04x}");
    }
    // Two client configurations: rustls remembers the group a server chose (its kx hint)
    // per configuration, which would change the second handshake's first flight.
    let config = client_config(p.clone());
    // A P-256-only server: the client runs aws-lc-rs's own P-256 (after a
    // HelloRetryRequest), and the report says so.
    let out = handshake(
        client_config(p),
        server_config(ring_with(vec![pq::SECP256R1])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let report = pqhkex::ConnectionReport::from_connection(&out.client);
    assert_eq!(report.group_code, Some(0x0017));
    assert_eq!(report.pqhkex_implementation, Some(false));
    // An X25519 server answers the reused share: pqhkex's X25519 ran, and is named.
    let out = handshake(config, server_config(ring_with(vec![pq::X25519])));
    assert!(out.error.is_none(), "{:?}", out.error);
    let report = pqhkex::ConnectionReport::from_connection(&out.client);
    assert_eq!(report.group_code, Some(0x001d));
    assert_eq!(report.hello_retry_request, Some(false));
    assert_eq!(report.pqhkex_implementation, Some(true));
    // Under RequirePostQuantum the provider's classical groups go.
    let strict = pqhkex::add_post_quantum(
        rustls::crypto::aws_lc_rs::default_provider(),
        Policy::RequirePostQuantum,
    );
    for g in &strict.kx_groups {
        assert!(groups::by_code(code(*g)).unwrap().is_post_quantum());
    }
}

/// The opt-in shortcuts are the provider-neutral `with_policy` over their provider.
#[cfg(all(feature = "aws-lc-rs", feature = "ring"))]
#[test]
fn aws_lc_rs_base_provider_works() {
    let mut out = handshake(
        client_config(pqhkex::aws_lc_rs_provider(Policy::PreferPostQuantum)),
        server_config(pqhkex::ring_provider(Policy::RequirePostQuantum)),
    );
    assert!(out.error.is_none());
    exchange_data(&mut out);
}

/// `ConnectionReport` says whose implementation ran the key exchange: pqhkex's groups
/// (with each component's backend) or the base provider's own group of the same name.
#[test]
fn report_names_the_implementation_and_backends() {
    use pqhkex::{Algorithm, Backend, ConnectionReport};
    let out = handshake(
        client_config(ring_with(vec![pq::X25519MLKEM768])),
        server_config(aws_with(vec![
            rustls::crypto::aws_lc_rs::kx_group::X25519MLKEM768,
        ])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let client = ConnectionReport::from_connection(&out.client);
    assert_eq!(client.pqhkex_implementation, Some(true));
    assert_eq!(
        client.backends,
        [
            Backend::for_algorithm(Algorithm::MlKem768),
            Backend::for_algorithm(Algorithm::X25519)
        ]
    );
    assert!(client.to_string().contains(&format!(
        "kx=pqhkex({}+{})",
        Backend::for_algorithm(Algorithm::MlKem768),
        Backend::for_algorithm(Algorithm::X25519)
    )));
    let server = ConnectionReport::from_connection(&out.server);
    assert_eq!(server.group_code, Some(0x11ec));
    assert_eq!(server.pqhkex_implementation, Some(false));
    assert!(server.backends.is_empty());
    assert!(server.to_string().ends_with("kx=provider"), "{server}");
}

/// A TLS 1.2-only client (no TLS 1.3 cipher suite) that nevertheless lists
/// X25519MLKEM768 is not handed a TLS 1.3-only post-quantum configuration: under
/// PreferPostQuantum it gets the fallback; under RequirePostQuantum the refusal says why.
#[test]
fn tls12_only_client_listing_a_pq_group_gets_the_fallback() {
    let build = pq_configs;
    // A rustls TLS 1.2-only ClientHello, with 0x11EC put first in supported_groups.
    let tls12 = std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(ring_policy(
            Policy::PreferPostQuantum,
        )))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots())
        .with_no_client_auth(),
    );
    let mut client = rustls::Connection::from(client_conn(tls12));
    let mut flight = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut flight).unwrap();
    }
    let mut hello = parse_hello(&flight);
    let groups = supported_groups(&hello);
    assert!(
        !groups.contains(&0x11ec),
        "rustls lists no PQ group for TLS 1.2"
    );
    let mut listed = vec![0x11ecu16];
    listed.extend(groups);
    let mut data = ((listed.len() * 2) as u16).to_be_bytes().to_vec();
    for g in &listed {
        data.extend_from_slice(&g.to_be_bytes());
    }
    for (t, d) in hello.extensions.iter_mut() {
        if *t == EXT_SUPPORTED_GROUPS {
            *d = data.clone();
        }
    }
    // A TLS 1.2-only client lists no TLS 1.3 cipher suite (OpenSSL's `-tls1_2` does
    // not; rustls lists its provider's suites whatever the version). `head` is
    // client_version(2) random(32) session_id(1+n) cipher_suites(2+n) compression(1+n).
    let sid = 35 + usize::from(hello.head[34]);
    let n = usize::from(u16::from_be_bytes([hello.head[sid], hello.head[sid + 1]]));
    let suites: Vec<[u8; 2]> = hello.head[sid + 2..sid + 2 + n]
        .chunks(2)
        .map(|c| [c[0], c[1]])
        .filter(|c| c[0] != 0x13)
        .collect();
    assert!(
        suites.len() < n / 2,
        "the hello had TLS 1.3 suites to remove"
    );
    let mut head = hello.head[..sid].to_vec();
    head.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    head.extend(suites.iter().flatten());
    head.extend_from_slice(&hello.head[sid + 2 + n..]);
    hello.head = head;
    let record = serialize_hello(&hello);
    let accepted = || {
        let mut acceptor = Acceptor::default();
        acceptor.read_tls(&mut &record[..]).unwrap();
        acceptor.accept().unwrap().unwrap()
    };
    assert_eq!(supported_groups(&parse_hello(&record))[0], 0x11ec);

    let prefer = build(Policy::PreferPostQuantum);
    let chosen = prefer.choose(&accepted().client_hello()).unwrap();
    // The fallback: the policy's whole list and TLS 1.2 allowed, not a 1.3-only config.
    assert!(chosen.crypto_provider().kx_groups.len() > 1);
    let conn = prefer.accept(accepted()).map_err(|(e, _)| e).unwrap();
    drop(conn);

    let require = build(Policy::RequirePostQuantum);
    let err = require.choose(&accepted().client_hello()).unwrap_err();
    assert!(
        matches!(err, pqhkex::Error::NoPostQuantumGroup { .. }),
        "{err}"
    );
    let (err, _alert) = require.accept(accepted()).unwrap_err();
    assert!(
        err.to_string().contains("offered no post-quantum group"),
        "{err}"
    );
}

/// `Policy::explain_io` reads the rustls error inside tokio-rustls's `std::io::Error`.
#[test]
fn explain_io_unwraps_the_rustls_error() {
    let io = std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        rustls::Error::PeerIncompatible(rustls::PeerIncompatible::Tls12NotOfferedOrEnabled),
    );
    let e = Policy::RequirePostQuantum
        .explain_io(Side::Server, &io)
        .unwrap();
    assert!(
        e.to_string().contains("the client speaks only TLS 1.2"),
        "{e}"
    );
    assert!(Policy::PreferPostQuantum
        .explain_io(Side::Server, &io)
        .is_none());
}

/// A TLS 1.2 ClientHello (no supported_versions, RFC 8446 §4.2.1) that still lists TLS
/// 1.3 cipher suites, a post-quantum group and classical ones: the post-quantum
/// configuration PqServerConfigs picks for it answers with TLS 1.2 on a classical group
/// (RFC 10024 §3: the hybrids are TLS 1.3 only), and with handshake_failure when the
/// post-quantum group is all it lists (tlsfuzzer's test-no-mlkem-in-old-tls, run in CI
/// against `pqhkex serve`, checks the same from outside).
#[test]
fn tls12_hello_listing_a_hybrid_gets_tls12_on_a_classical_group() {
    let configs = pq_configs(Policy::PreferPostQuantum);
    let tls12_hello = |groups: &[u16]| {
        let mut client = client_conn(client_config(ring_with(vec![
            pq::X25519MLKEM768,
            pq::X25519,
        ])));
        let mut buf = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        let mut h = parse_hello(&buf);
        // No supported_versions (43), no key_share (51): a TLS 1.2 ClientHello.
        h.extensions.retain(|(t, _)| *t != 43 && *t != 51);
        let list: Vec<u8> = groups.iter().flat_map(|g| g.to_be_bytes()).collect();
        for (t, d) in h.extensions.iter_mut() {
            if *t == 10 {
                *d = [(list.len() as u16).to_be_bytes().to_vec(), list.clone()].concat();
            }
        }
        serialize_hello(&h)
    };
    let serve = |hello: Vec<u8>| {
        let mut acceptor = Acceptor::default();
        acceptor.read_tls(&mut &hello[..]).unwrap();
        let accepted = acceptor.accept().unwrap().unwrap();
        // TLS 1.3 suites are listed, so the hybrid's configuration is chosen.
        let mut out = Vec::new();
        match configs.accept(accepted) {
            Ok(mut server) => {
                let result = server
                    .process_new_packets()
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                while server.wants_write() {
                    server.write_tls(&mut out).unwrap();
                }
                (result, out, Some(server))
            }
            Err((e, mut alert)) => {
                alert.write_all(&mut out).unwrap();
                (Err(e.to_string()), out, None)
            }
        }
    };

    let (result, out, server) = serve(tls12_hello(&[0x11ec, 0x001d]));
    assert!(result.is_ok(), "{result:?}");
    let server = server.expect("a connection");
    assert_eq!(
        server.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    // A handshake record whose first message is a ServerHello (2) of version 3,3 with
    // no supported_versions: TLS 1.2 on the wire.
    assert_eq!((out[0], out[5]), (22, 2));
    assert_eq!(&out[9..11], &[3, 3], "ServerHello.version is TLS 1.2");
    // ServerKeyExchange (12): ECParameters = named_curve (3), x25519 (RFC 8422 §5.4).
    let mut messages = Vec::new();
    let mut rec = &out[..];
    while rec.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rec[3], rec[4]]));
        if rec[0] == 22 {
            messages.extend_from_slice(&rec[5..5 + len]);
        }
        rec = &rec[5 + len..];
    }
    let mut m = &messages[..];
    let mut ske = None;
    while m.len() >= 4 {
        let len = (usize::from(m[1]) << 16) | (usize::from(m[2]) << 8) | usize::from(m[3]);
        if m[0] == 12 {
            ske = Some(m[4..4 + len].to_vec());
        }
        m = &m[4 + len..];
    }
    let ske = ske.expect("a ServerKeyExchange");
    assert_eq!(&ske[..3], &[3, 0x00, 0x1d], "ECDHE on x25519");

    let (result, out, _) = serve(tls12_hello(&[0x11ec]));
    let e = result.unwrap_err();
    assert!(e.contains("NoKxGroupsInCommon"), "{e}");
    assert_eq!(alert_description(&out), Some(HANDSHAKE_FAILURE));
}
