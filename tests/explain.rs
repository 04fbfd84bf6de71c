//! `Policy::explain_error` through the stacks applications really use: tokio-rustls,
//! hyper-util's client over hyper-rustls, reqwest (preconfigured rustls) and quinn, each
//! against local servers that refuse what the client asks for.
//!
//! Every test runs a real handshake and explains the error object the stack returned, as
//! it returned it (no unwrapping by hand), and checks both what the explanation claims
//! and what it must not claim: a failure that has nothing to do with post-quantum key
//! exchange (no cipher suite in common, an untrusted certificate, a TLS 1.2-only server)
//! must not be blamed on it.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use pqhkex::{Policy, Side};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

type BoxError = Box<dyn StdError + Send + Sync>;

fn ring() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A certificate for "localhost" and its key; `ca` makes it a CA certificate (which a
/// client must refuse as a server's own certificate).
struct Pki {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn pki(ca: bool) -> Pki {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    // Each certificate its own subject: a verifier looks the issuer up by name, and two
    // certificates with rcgen's default name would give BadSignature, not UnknownIssuer.
    static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("explain test {n}"));
    if ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key).unwrap();
    Pki {
        cert: cert.der().clone(),
        key: PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    }
}

fn roots(cert: &CertificateDer<'static>) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    roots
}

/// A client configuration under `policy`, trusting `trusted`; `suites` narrows its
/// cipher suites when given.
fn client(
    policy: Policy,
    trusted: &CertificateDer<'static>,
    suites: Option<Vec<rustls::SupportedCipherSuite>>,
) -> ClientConfig {
    let mut base = ring();
    if let Some(s) = suites {
        base.cipher_suites = s;
    }
    pqhkex::client_config_builder(base, policy)
        .unwrap()
        .with_root_certificates(roots(trusted))
        .with_no_client_auth()
}

/// A server configuration under `policy` (or TLS 1.2 only with `tls12_only`).
fn server(
    policy: Policy,
    pki: &Pki,
    suites: Option<Vec<rustls::SupportedCipherSuite>>,
    tls12_only: bool,
) -> ServerConfig {
    let mut base = pqhkex::with_policy(ring(), policy);
    if let Some(s) = suites {
        base.cipher_suites = s;
    }
    let builder = ServerConfig::builder_with_provider(Arc::new(base));
    let builder = if tls12_only {
        builder.with_protocol_versions(&[&rustls::version::TLS12])
    } else {
        builder.with_protocol_versions(policy.protocol_versions())
    }
    .unwrap();
    builder
        .with_no_client_auth()
        .with_single_cert(vec![pki.cert.clone()], pki.key.clone_key())
        .unwrap()
}

/// A TLS-over-TCP server: accepts connections, answers a successful handshake with a
/// minimal HTTP/1.1 response, and reports each failed handshake's `io::Error`.
async fn tcp_server(config: ServerConfig) -> (SocketAddr, mpsc::UnboundedReceiver<std::io::Error>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(mut tls) => {
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                            .await;
                        let _ = tls.shutdown().await;
                    }
                    Err(e) => {
                        let _ = tx.send(e);
                    }
                }
            });
        }
    });
    (addr, rx)
}

/// The stacks, each returning its own error type, untouched.
async fn via_tokio_rustls(addr: SocketAddr, config: ClientConfig) -> Result<(), std::io::Error> {
    let tcp = TcpStream::connect(addr).await?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map(drop)
}

async fn via_hyper(
    addr: SocketAddr,
    config: ClientConfig,
) -> Result<(), hyper_util::client::legacy::Error> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let uri = format!("https://localhost:{}/", addr.port())
        .parse()
        .unwrap();
    client.get(uri).await.map(drop)
}

async fn via_reqwest(addr: SocketAddr, config: ClientConfig) -> Result<(), reqwest::Error> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_backend_preconfigured(config)
        .build()?;
    client
        .get(format!("https://localhost:{}/", addr.port()))
        .send()
        .await
        .map(drop)
}

/// A quinn server with `config` on loopback; its connection errors are reported.
fn quic_server(
    config: ServerConfig,
) -> (SocketAddr, mpsc::UnboundedReceiver<quinn::ConnectionError>) {
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(config).unwrap();
    let endpoint = quinn::Endpoint::server(
        quinn::ServerConfig::with_crypto(Arc::new(crypto)),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .unwrap();
    let addr = endpoint.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(incoming) = endpoint.accept().await {
            if let Err(e) = incoming.await {
                let _ = tx.send(e);
            }
        }
    });
    (addr, rx)
}

async fn via_quinn(addr: SocketAddr, config: ClientConfig) -> Result<(), quinn::ConnectionError> {
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(config).unwrap();
    let mut endpoint = quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
    let conn = endpoint.connect(addr, "localhost").unwrap().await?;
    conn.close(0u32.into(), b"done");
    Ok(())
}

/// What each stack returned for one server, as `(stack, error)`.
async fn all_tcp_stacks(
    addr: SocketAddr,
    config: impl Fn() -> ClientConfig,
) -> Vec<(&'static str, BoxError)> {
    let mut out: Vec<(&'static str, BoxError)> = Vec::new();
    out.push((
        "tokio-rustls",
        Box::new(
            via_tokio_rustls(addr, config())
                .await
                .expect_err("must fail"),
        ),
    ));
    out.push((
        "hyper-util",
        Box::new(via_hyper(addr, config()).await.expect_err("must fail")),
    ));
    out.push((
        "reqwest",
        Box::new(via_reqwest(addr, config()).await.expect_err("must fail")),
    ));
    out
}

/// The explanation of `err` (the API under test).
fn explained(policy: Policy, side: Side, err: &(dyn StdError + 'static)) -> Option<pqhkex::Error> {
    policy.explain_error(side, err)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

use rustls::crypto::ring::cipher_suite::{
    TLS13_AES_128_GCM_SHA256, TLS13_CHACHA20_POLY1305_SHA256,
};

/// Explains every TCP stack's error for one server and returns the texts, checking that
/// each stack's error is explained and that all of them read the same.
async fn explain_all(
    addr: SocketAddr,
    policy: Policy,
    config: impl Fn() -> ClientConfig,
    check: impl Fn(&str, &pqhkex::Error),
) -> String {
    let mut texts = Vec::new();
    for (stack, err) in all_tcp_stacks(addr, config).await {
        let e = explained(policy, Side::Client, &*err)
            .unwrap_or_else(|| panic!("{stack}: no explanation for {err} ({err:?})"));
        check(stack, &e);
        println!("{stack}: {err}\n    -> {e}");
        texts.push(e.to_string());
    }
    assert!(texts.windows(2).all(|w| w[0] == w[1]), "{texts:#?}");
    texts.remove(0)
}

/// A client that requires post-quantum, against a classical-only server: the client
/// gets handshake_failure, which is what such a server sends, but not only such a
/// server: the explanation gives the alert first and says it is possible, not proven.
/// The server's own rustls proves it: no group in common with what the client offered.
#[test]
fn pq_client_vs_classical_server_through_every_tcp_stack() {
    runtime().block_on(async {
        let pki = pki(false);
        let (addr, mut server_errors) =
            tcp_server(server(Policy::Classical, &pki, None, false)).await;
        let text = explain_all(
            addr,
            Policy::RequirePostQuantum,
            || client(Policy::RequirePostQuantum, &pki.cert, None),
            |stack, e| match e {
                pqhkex::Error::HandshakeFailed(d) => {
                    assert_eq!(
                        d.alert(),
                        Some(rustls::AlertDescription::HandshakeFailure),
                        "{stack}"
                    );
                    assert!(d.post_quantum_possible(), "{stack}");
                }
                other => panic!("{stack}: {other:?}"),
            },
        )
        .await;
        assert_eq!(
            text,
            "TLS handshake failed: the server sent a fatal handshake_failure alert; if the server \
             has no post-quantum group in common with this client, which offers only post-quantum \
             groups, this is the expected error, but a server also sends it when no cipher suite \
             or signature scheme is in common"
        );
        // The narrow `explain_io` agrees for tokio-rustls's io::Error.
        let io = via_tokio_rustls(addr, client(Policy::RequirePostQuantum, &pki.cert, None))
            .await
            .unwrap_err();
        assert!(Policy::RequirePostQuantum
            .explain_io(Side::Client, &io)
            .is_some());
        // The server (classical policy) saw NoKxGroupsInCommon: not a post-quantum matter
        // for it.
        let se = server_errors.recv().await.unwrap();
        let e = explained(Policy::Classical, Side::Server, &se).unwrap();
        assert!(matches!(e, pqhkex::Error::HandshakeFailed(_)), "{e:?}");
        assert!(Policy::Classical.explain_io(Side::Server, &se).is_none());
    });
}

/// The other way round: a classical client against a server that requires post-quantum.
/// The client's explanation (classical policy) does not mention post-quantum; the
/// server's proves the client had no post-quantum group.
#[test]
fn classical_client_vs_pq_server_through_every_tcp_stack() {
    runtime().block_on(async {
        let pki = pki(false);
        let (addr, mut server_errors) =
            tcp_server(server(Policy::RequirePostQuantum, &pki, None, false)).await;
        let text = explain_all(
            addr,
            Policy::Classical,
            || client(Policy::Classical, &pki.cert, None),
            |stack, e| {
                let pqhkex::Error::HandshakeFailed(d) = e else {
                    panic!("{stack}: {e:?}")
                };
                assert!(!d.post_quantum_possible(), "{stack}");
            },
        )
        .await;
        assert_eq!(
            text,
            "TLS handshake failed: the server sent a fatal handshake_failure alert"
        );
        let se = server_errors.recv().await.unwrap();
        let e = explained(Policy::RequirePostQuantum, Side::Server, &se).unwrap();
        assert_server_found_no_pq_group(&e);
        assert!(
            e.to_string()
                .contains("the client offered no post-quantum group"),
            "{e}"
        );
        assert!(e.to_string().contains("NoKxGroupsInCommon"), "{e}");
    });
}

/// No cipher suite in common (both sides post-quantum): the same alert as a missing
/// group, so the client's explanation must not claim a missing post-quantum group; the
/// server's rustls knows it was the cipher suites.
#[test]
fn no_common_cipher_suite_is_not_blamed_on_post_quantum() {
    runtime().block_on(async {
        let pki = pki(false);
        let (addr, mut server_errors) = tcp_server(server(
            Policy::RequirePostQuantum,
            &pki,
            Some(vec![TLS13_CHACHA20_POLY1305_SHA256]),
            false,
        ))
        .await;
        let text = explain_all(
            addr,
            Policy::RequirePostQuantum,
            || {
                client(
                    Policy::RequirePostQuantum,
                    &pki.cert,
                    Some(vec![TLS13_AES_128_GCM_SHA256]),
                )
            },
            |stack, e| {
                assert!(
                    matches!(e, pqhkex::Error::HandshakeFailed(_)),
                    "{stack}: {e:?}"
                );
            },
        )
        .await;
        assert!(!text.contains("offered no post-quantum group"), "{text}");
        assert!(
            text.starts_with(
                "TLS handshake failed: the server sent a fatal handshake_failure alert"
            ),
            "{text}"
        );
        assert!(text.contains("no cipher suite"), "{text}");
        let se = server_errors.recv().await.unwrap();
        let e = explained(Policy::RequirePostQuantum, Side::Server, &se).unwrap();
        assert!(matches!(e, pqhkex::Error::HandshakeFailed(_)), "{e:?}");
        assert!(e.to_string().contains("NoCipherSuitesInCommon"), "{e}");
        assert!(Policy::RequirePostQuantum
            .explain_io(Side::Server, &se)
            .is_none());
    });
}

/// An untrusted certificate is a certificate error, in a sentence, and not a post-quantum
/// matter (`explain`, the narrow form, has nothing to say).
#[test]
fn unknown_ca_is_a_certificate_error() {
    runtime().block_on(async {
        let pki = pki(false);
        let stranger = pki_cert_only();
        let (addr, _server_errors) =
            tcp_server(server(Policy::RequirePostQuantum, &pki, None, false)).await;
        let text = explain_all(
            addr,
            Policy::RequirePostQuantum,
            || client(Policy::RequirePostQuantum, &stranger, None),
            |stack, e| {
                let pqhkex::Error::HandshakeFailed(d) = e else {
                    panic!("{stack}: {e:?}")
                };
                assert_eq!(
                    d.evidence,
                    pqhkex::policy::Evidence::Certificate(rustls::CertificateError::UnknownIssuer),
                    "{stack}"
                );
                assert!(!d.post_quantum_possible());
            },
        )
        .await;
        assert_eq!(
            text,
            "TLS handshake failed: this client refused the server's certificate: it was issued by \
             a certificate authority this side does not trust (unknown issuer)"
        );
        let io = via_tokio_rustls(addr, client(Policy::RequirePostQuantum, &stranger, None))
            .await
            .unwrap_err();
        assert!(Policy::RequirePostQuantum
            .explain_io(Side::Client, &io)
            .is_none());
    });
}

fn pki_cert_only() -> CertificateDer<'static> {
    pki(false).cert
}

/// webpki's errors that rustls shows as `Other(OtherError(CaUsedAsEndEntity))` read as a
/// sentence.
#[test]
fn ca_certificate_as_server_certificate_reads_as_a_sentence() {
    runtime().block_on(async {
        let ca = pki(true);
        let (addr, _server_errors) =
            tcp_server(server(Policy::RequirePostQuantum, &ca, None, false)).await;
        let io = via_tokio_rustls(addr, client(Policy::RequirePostQuantum, &ca.cert, None))
            .await
            .unwrap_err();
        assert!(io.to_string().contains("CaUsedAsEndEntity"), "{io}");
        let e = explained(Policy::RequirePostQuantum, Side::Client, &io).unwrap();
        assert_eq!(
            e.to_string(),
            "TLS handshake failed: this client refused the server's certificate: it is a \
             certificate authority (CA) certificate, presented as the peer's own (end-entity) \
             certificate"
        );
    });
}

/// A TLS 1.2-only server answers a TLS 1.3-only (post-quantum) client with
/// protocol_version: the explanation says the server lacks TLS 1.3, not that it lacks a
/// post-quantum group.
#[test]
fn tls12_only_server_is_not_blamed_on_post_quantum_groups() {
    runtime().block_on(async {
        let pki = pki(false);
        let (addr, _server_errors) = tcp_server(server(Policy::Classical, &pki, None, true)).await;
        let text = explain_all(
            addr,
            Policy::RequirePostQuantum,
            || client(Policy::RequirePostQuantum, &pki.cert, None),
            |stack, e| {
                let pqhkex::Error::HandshakeFailed(d) = e else {
                    panic!("{stack}: {e:?}")
                };
                assert_eq!(d.alert(), Some(rustls::AlertDescription::ProtocolVersion));
                assert!(d.peer_lacks_tls13() && !d.post_quantum_possible());
            },
        )
        .await;
        assert!(!text.contains("no post-quantum group"), "{text}");
        assert_eq!(
            text,
            "TLS handshake failed: the server sent a fatal protocol_version alert; the server \
             probably does not speak TLS 1.3, which this client requires (post-quantum key \
             exchange exists only in TLS 1.3)"
        );
    });
}

/// quinn: the TLS alert travels as CRYPTO_ERROR 0x100 + alert. A rustls server says why
/// in the CONNECTION_CLOSE reason, which proves the missing group; a certificate the
/// client refuses is the client's own alert, with rustls's words.
#[test]
fn quinn_errors_are_explained() {
    runtime().block_on(async {
        let pki = pki(false);
        let (addr, mut server_errors) = quic_server(server(Policy::Classical, &pki, None, false));
        let err = via_quinn(addr, client(Policy::RequirePostQuantum, &pki.cert, None))
            .await
            .unwrap_err();
        let e = explained(Policy::RequirePostQuantum, Side::Client, &err).unwrap();
        println!("quinn: {err}\n    -> {e}");
        assert!(
            matches!(
                e,
                pqhkex::Error::NoPostQuantumGroup {
                    detected_by: Side::Client,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("CRYPTO_ERROR 0x128 (handshake_failure)"),
            "{e}"
        );
        // The classical server's own quinn error: its rustls found no group in common,
        // which under a classical policy is not a post-quantum matter.
        let se = server_errors.recv().await.unwrap();
        let e = explained(Policy::Classical, Side::Server, &se).unwrap();
        assert!(matches!(e, pqhkex::Error::HandshakeFailed(_)), "{e:?}");
        assert!(e.to_string().contains("NoKxGroupsInCommon"), "{e}");

        // The other way round: the post-quantum server's quinn error proves it.
        let (addr, mut server_errors) =
            quic_server(server(Policy::RequirePostQuantum, &pki, None, false));
        let err = via_quinn(addr, client(Policy::Classical, &pki.cert, None))
            .await
            .unwrap_err();
        let e = explained(Policy::Classical, Side::Client, &err).unwrap();
        assert!(
            e.to_string().starts_with(
                "TLS handshake failed: the server sent a fatal handshake_failure alert"
            ),
            "{e}"
        );
        let se = server_errors.recv().await.unwrap();
        let e = explained(Policy::RequirePostQuantum, Side::Server, &se).unwrap();
        assert_server_found_no_pq_group(&e);

        // An untrusted certificate: this client's own alert (rustls sends unknown_ca).
        let (addr, _server_errors) =
            quic_server(server(Policy::RequirePostQuantum, &pki, None, false));
        let err = via_quinn(
            addr,
            client(Policy::RequirePostQuantum, &pki_cert_only(), None),
        )
        .await
        .unwrap_err();
        let e = explained(Policy::RequirePostQuantum, Side::Client, &err).unwrap();
        println!("quinn: {err}\n    -> {e}");
        let pqhkex::Error::HandshakeFailed(d) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(d.alert(), Some(rustls::AlertDescription::UnknownCA));
        assert_eq!(
            e.to_string(),
            "TLS handshake failed: this client refused the server's certificate (UnknownIssuer) \
             and sent a fatal unknown_ca alert"
        );
        assert!(Policy::RequirePostQuantum
            .explain(Side::Client, &rustls::Error::General(String::new()))
            .is_none());
    });
}

/// An error whose `source()` is itself, and a chain deeper than any stack nests, end
/// the search instead of looping; within the bound, the rustls error is found.
#[test]
fn error_chains_are_walked_with_a_bound() {
    #[derive(Debug)]
    struct Cyclic;
    impl std::fmt::Display for Cyclic {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("cyclic")
        }
    }
    impl StdError for Cyclic {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(self)
        }
    }
    assert!(Policy::RequirePostQuantum
        .explain_error(Side::Client, &Cyclic)
        .is_none());

    /// `depth` io::Errors around a rustls alert.
    fn nested(depth: usize) -> std::io::Error {
        let tls = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        let mut e = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        for _ in 1..depth {
            e = std::io::Error::other(e);
        }
        e
    }
    assert!(Policy::RequirePostQuantum
        .explain_error(Side::Client, &nested(10))
        .is_some());
    assert!(Policy::RequirePostQuantum
        .explain_error(Side::Client, &nested(1000))
        .is_none());
}

/// pqhkex's own explanation inside an io::Error (as a server may return it from an
/// acceptor) is passed on as it is.
#[test]
fn our_own_explanation_is_passed_on() {
    let ours = pqhkex::Error::NoPostQuantumGroup {
        detected_by: Side::Server,
        offered: vec![0x001d],
        detail: None,
    };
    let io = std::io::Error::other(ours.clone());
    assert_eq!(
        Policy::RequirePostQuantum.explain_error(Side::Server, &io),
        Some(ours)
    );
}

/// The server side's explanation when its own rustls found no post-quantum group in
/// common: proven, so `NoPostQuantumGroup`, detected by the server.
fn assert_server_found_no_pq_group(e: &pqhkex::Error) {
    assert!(
        matches!(
            e,
            pqhkex::Error::NoPostQuantumGroup {
                detected_by: Side::Server,
                ..
            }
        ),
        "{e:?}"
    );
}
