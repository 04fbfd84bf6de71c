//! `pqhkex::observe`: the wrapper forwards everything (share reuse, FIPS, FFDHE,
//! versions) and reports what each key exchange did: the negotiated group, the share's
//! group, HelloRetryRequest, and whose code ran.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, OnceLock};

use pqhkex::observe::{self, Observation, Outcome};
use pqhkex::{groups, Policy, Side};
use rustls::crypto::{ActiveKeyExchange, CryptoProvider, SharedSecret, SupportedKxGroup};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{
    ClientConfig, ClientConnection, NamedGroup, RootCertStore, ServerConfig, ServerConnection,
};

fn cert() -> &'static (CertificateDer<'static>, PrivateKeyDer<'static>) {
    static CERT: OnceLock<(CertificateDer<'static>, PrivateKeyDer<'static>)> = OnceLock::new();
    CERT.get_or_init(|| {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        (
            c.cert.der().clone(),
            PrivateKeyDer::try_from(c.signing_key.serialize_der()).unwrap(),
        )
    })
}

fn with_groups(base: CryptoProvider, kx: Vec<&'static dyn SupportedKxGroup>) -> CryptoProvider {
    CryptoProvider {
        kx_groups: kx,
        ..base
    }
}

fn client_config(provider: CryptoProvider) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(cert().0.clone()).unwrap();
    Arc::new(
        ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn server_config(provider: CryptoProvider) -> Arc<ServerConfig> {
    Arc::new(
        ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert().0.clone()], cert().1.clone_key())
            .unwrap(),
    )
}

/// An in-memory handshake; returns both connections once it is done.
fn handshake(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> Result<(ClientConnection, ServerConnection), rustls::Error> {
    let mut c = ClientConnection::new(client, "localhost".try_into().unwrap())?;
    let mut s = ServerConnection::new(server)?;
    for _ in 0..20 {
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            s.read_tls(&mut &buf[..]).unwrap();
            s.process_new_packets()?;
        }
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            c.read_tls(&mut &buf[..]).unwrap();
            c.process_new_packets()?;
        }
        if !c.is_handshaking() && !s.is_handshaking() {
            return Ok((c, s));
        }
    }
    panic!("handshake did not finish");
}

/// The key_share entries (group, share) of a ClientHello record.
fn key_shares(record: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let be16 = |b: &[u8], at: usize| usize::from(u16::from_be_bytes([b[at], b[at + 1]]));
    // record header 5, handshake header 4, legacy_version 2, random 32
    let mut at = 5 + 4 + 2 + 32;
    at += 1 + usize::from(record[at]); // session id
    at += 2 + be16(record, at); // cipher suites
    at += 1 + usize::from(record[at]); // compression methods
    let end = at + 2 + be16(record, at);
    at += 2;
    while at < end {
        let (kind, len) = (be16(record, at), be16(record, at + 2));
        if kind == 0x0033 {
            let mut shares = Vec::new();
            let mut p = at + 6;
            while p < at + 4 + len {
                let (g, l) = (be16(record, p) as u16, be16(record, p + 2));
                shares.push((g, record[p + 4..p + 4 + l].to_vec()));
                p += 4 + l;
            }
            return shares;
        }
        at += 4 + len;
    }
    Vec::new()
}

fn first_flight(config: Arc<ClientConfig>) -> Vec<u8> {
    let mut c = ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
    let mut buf = Vec::new();
    c.write_tls(&mut buf).unwrap();
    buf
}

fn drain(rx: &Receiver<Observation>) -> Vec<Observation> {
    rx.try_iter().collect()
}

fn ring() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn aws() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// rustls's share reuse (one X25519 key pair for X25519MLKEM768 and X25519) survives the
/// wrapper, for pqhkex's hybrid and for aws-lc-rs's own: the ClientHello carries the
/// same two shares, the X25519 one equal to the hybrid's last 32 bytes, and has the
/// same size as without the wrapper.
#[test]
fn share_reuse_survives_the_wrapper() {
    let bases: [(&str, CryptoProvider); 2] = [
        (
            "pqhkex",
            with_groups(
                ring(),
                vec![pqhkex::rustls::X25519MLKEM768, pqhkex::rustls::X25519],
            ),
        ),
        (
            "aws-lc-rs",
            with_groups(
                aws(),
                vec![
                    rustls::crypto::aws_lc_rs::kx_group::X25519MLKEM768,
                    rustls::crypto::aws_lc_rs::kx_group::X25519,
                ],
            ),
        ),
    ];
    for (name, base) in bases {
        let plain = first_flight(client_config(base.clone()));
        let (wrapped_provider, _rx) = observe::observed_channel(base);
        let wrapped = first_flight(client_config(wrapped_provider));
        let shares = key_shares(&wrapped);
        let groups: Vec<u16> = shares.iter().map(|s| s.0).collect();
        assert_eq!(groups, [0x11ec, 0x001d], "{name}");
        assert_eq!(shares[0].1.len(), 1184 + 32, "{name}");
        assert_eq!(
            shares[1].1[..],
            shares[0].1[1184..],
            "{name}: the X25519 share is reused"
        );
        assert_eq!(
            key_shares(&plain)
                .iter()
                .map(|s| (s.0, s.1.len()))
                .collect::<Vec<_>>(),
            shares.iter().map(|s| (s.0, s.1.len())).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(plain.len(), wrapped.len(), "{name}");
    }
}

/// A server that only has X25519 picks the hybrid's X25519 share: no HelloRetryRequest,
/// the hybrid's (pqhkex's) code completes X25519, and the observation says so.
#[test]
fn hybrid_component_completion_is_observed() {
    let (client, rx) =
        observe::observed_channel(pqhkex::with_policy(ring(), Policy::PreferPostQuantum));
    let (c, _s) = handshake(
        client_config(client),
        server_config(with_groups(ring(), vec![pqhkex::rustls::X25519])),
    )
    .unwrap();
    assert_eq!(
        c.negotiated_key_exchange_group().unwrap().name(),
        NamedGroup::X25519
    );
    let seen = drain(&rx);
    assert_eq!(seen.len(), 1, "{seen:#?}");
    let o = &seen[0];
    assert_eq!(o.outcome, Outcome::Completed);
    assert_eq!(
        (o.started, o.group),
        (NamedGroup::X25519MLKEM768, NamedGroup::X25519)
    );
    assert_eq!(o.side, Some(Side::Client));
    assert_eq!(o.hello_retry_request, Some(false));
    assert!(o.pqhkex && !o.post_quantum());
    println!("{o}");
}

/// A HelloRetryRequest: the client's first share (X25519MLKEM768) is abandoned, the
/// retry share (MLKEM1024) completes and is reported as such, in agreement with what
/// rustls reports for the connection. The server's exchange is observed too.
#[test]
fn hello_retry_request_is_observed() {
    static OFFER: &[&pqhkex::Group] = &[&groups::X25519MLKEM768, &groups::MLKEM1024];
    let (client, rx) =
        observe::observed_channel(pqhkex::with_policy(ring(), Policy::Custom(OFFER)));
    let (server, server_rx) =
        observe::observed_channel(with_groups(ring(), vec![pqhkex::rustls::MLKEM1024]));
    let (c, _s) = handshake(client_config(client), server_config(server)).unwrap();
    let report = pqhkex::ConnectionReport::from_connection(&c);
    assert_eq!(report.hello_retry_request, Some(true));
    let seen = drain(&rx);
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert_eq!(seen[0].outcome, Outcome::Abandoned);
    assert_eq!(seen[0].started, NamedGroup::X25519MLKEM768);
    let done = &seen[1];
    assert_eq!(done.outcome, Outcome::Completed);
    assert_eq!(done.group_code(), 0x0202);
    assert_eq!(done.hello_retry_request, Some(true));
    assert_eq!(done.in_flight_at_start, 1);
    assert!(done.seq > seen[0].seq && done.exchange > seen[0].exchange);
    let server_seen = drain(&server_rx);
    assert_eq!(server_seen.len(), 1);
    assert_eq!(server_seen[0].side, Some(Side::Server));
    assert_eq!(server_seen[0].group_code(), 0x0202);
    assert_eq!(server_seen[0].hello_retry_request, None);

    // Without a retry, the same client's exchange says so.
    let (client, rx) =
        observe::observed_channel(pqhkex::with_policy(ring(), Policy::Custom(OFFER)));
    handshake(
        client_config(client),
        server_config(pqhkex::with_policy(ring(), Policy::RequirePostQuantum)),
    )
    .unwrap();
    let seen = drain(&rx);
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].hello_retry_request, Some(false));
    assert_eq!(seen[0].group_code(), 0x11ec);
}

/// Concurrent handshakes on one shared observed configuration: every exchange is
/// reported once, with its own id, and none is mistaken for a HelloRetryRequest.
#[test]
fn concurrent_connections_on_one_observer() {
    let (client, rx) =
        observe::observed_channel(pqhkex::with_policy(ring(), Policy::PreferPostQuantum));
    let client = client_config(client);
    let server = server_config(pqhkex::with_policy(ring(), Policy::PreferPostQuantum));
    // Start 8 handshakes before finishing any, so that their exchanges overlap.
    let conns: Vec<_> = (0..8)
        .map(|_| {
            let mut c =
                ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
            let mut hello = Vec::new();
            c.write_tls(&mut hello).unwrap();
            (c, hello)
        })
        .collect();
    for (mut c, hello) in conns {
        let mut s = ServerConnection::new(server.clone()).unwrap();
        s.read_tls(&mut &hello[..]).unwrap();
        s.process_new_packets().unwrap();
        let mut flight = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut flight).unwrap();
        }
        c.read_tls(&mut &flight[..]).unwrap();
        c.process_new_packets().unwrap();
        assert!(!c.is_handshaking());
    }
    let seen = drain(&rx);
    assert_eq!(seen.len(), 8);
    let mut ids: Vec<u64> = seen.iter().map(|o| o.exchange).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    assert!(seen.iter().any(|o| o.in_flight_at_start > 0));
    assert!(seen
        .iter()
        .all(|o| o.hello_retry_request == Some(false) && o.group_code() == 0x11ec));
}

/// Whose code ran: aws-lc-rs's own X25519MLKEM768 is not pqhkex's; with
/// `add_post_quantum` in front it is.
#[test]
fn whose_code_ran_is_reported() {
    for (provider, ours) in [
        (aws(), false),
        (
            pqhkex::add_post_quantum(aws(), Policy::PreferPostQuantum),
            true,
        ),
    ] {
        let (client, rx) = observe::observed_channel(provider);
        let (c, _s) = handshake(
            client_config(client),
            server_config(pqhkex::with_policy(ring(), Policy::RequirePostQuantum)),
        )
        .unwrap();
        let o = drain(&rx).pop().unwrap();
        assert_eq!(o.group_code(), 0x11ec);
        assert_eq!(o.pqhkex, ours);
        // The connection's group is the wrapper; `inner_group` finds what it wraps.
        let kx = c.negotiated_key_exchange_group().unwrap();
        assert_eq!(
            pqhkex::rustls::is_pqhkex_group(observe::inner_group(kx)),
            ours
        );
        // And the connection report, read through the wrapper, says the same.
        let report = pqhkex::ConnectionReport::from_connection(&c);
        assert_eq!(report.pqhkex_implementation, Some(ours), "{report:?}");
    }
}

/// A group that says it is FIPS and FFDHE, to check that the wrapper forwards what the
/// defaults would not.
#[derive(Debug)]
struct Fake;

struct FakeActive;

impl SupportedKxGroup for Fake {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        Ok(Box::new(FakeActive))
    }
    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        Some(rustls::ffdhe_groups::FFDHE2048)
    }
    fn name(&self) -> NamedGroup {
        NamedGroup::FFDHE2048
    }
    fn fips(&self) -> bool {
        true
    }
    fn usable_for_version(&self, version: rustls::ProtocolVersion) -> bool {
        version == rustls::ProtocolVersion::TLSv1_2
    }
}

impl ActiveKeyExchange for FakeActive {
    fn complete(self: Box<Self>, _peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
        Ok(SharedSecret::from(&[0u8, 0, 7][..]))
    }
    fn complete_for_tls_version(
        self: Box<Self>,
        _peer: &[u8],
        _v: &rustls::SupportedProtocolVersion,
    ) -> Result<SharedSecret, rustls::Error> {
        Ok(SharedSecret::from(&[9u8][..]))
    }
    fn pub_key(&self) -> &[u8] {
        b"fake"
    }
    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        Some(rustls::ffdhe_groups::FFDHE2048)
    }
    fn group(&self) -> NamedGroup {
        NamedGroup::FFDHE2048
    }
}

static FAKE: Fake = Fake;

#[test]
fn fips_ffdhe_and_versions_are_forwarded() {
    let (p, rx) = observe::observed_channel(with_groups(ring(), vec![&FAKE]));
    let g = p.kx_groups[0];
    assert!(g.fips());
    assert_eq!(g.ffdhe_group(), Some(rustls::ffdhe_groups::FFDHE2048));
    assert!(g.usable_for_version(rustls::ProtocolVersion::TLSv1_2));
    assert!(!g.usable_for_version(rustls::ProtocolVersion::TLSv1_3));
    let kx = g.start().unwrap();
    assert_eq!(kx.pub_key(), b"fake");
    assert_eq!(kx.ffdhe_group(), Some(rustls::ffdhe_groups::FFDHE2048));
    // complete_for_tls_version reaches the inner's own (not the default over `complete`).
    let secret = kx
        .complete_for_tls_version(b"peer", &rustls::version::TLS12)
        .unwrap();
    assert_eq!(secret.secret_bytes(), [9]);
    let o = rx.try_recv().unwrap();
    assert!(o.fips && !o.pqhkex);
    assert_eq!(o.protocol_version, Some(rustls::ProtocolVersion::TLSv1_2));
    assert_eq!((o.side, o.hello_retry_request), (None, Some(false)));

    // Real groups: the wrapped provider's FIPS status is the base's, group by group.
    let (p, _rx) = observe::observed_channel(aws());
    for (w, i) in p.kx_groups.iter().zip(aws().kx_groups.iter()) {
        assert_eq!((w.name(), w.fips()), (i.name(), i.fips()));
    }
    assert_eq!(p.fips(), aws().fips());
}

/// A failed completion (an invalid server share) is reported as failed, with rustls's
/// error, and the callback form works like the channel.
#[test]
fn failures_reach_the_callback() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let p = observe::observed(
        with_groups(ring(), vec![pqhkex::rustls::MLKEM768]),
        move |o| sink.lock().unwrap().push(o.clone()),
    );
    let kx = p.kx_groups[0].start().unwrap();
    assert!(kx.complete(&[0u8; 3]).is_err());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(
        matches!(seen[0].outcome, Outcome::Failed(_)),
        "{:?}",
        seen[0]
    );
    assert_eq!(seen[0].in_flight_at_start, 0);
    // Started and completed by hand, never asked for a hybrid component, with nothing
    // else in flight: not a share rustls makes, so HRR is unknown.
    assert_eq!(seen[0].hello_retry_request, None);
}
