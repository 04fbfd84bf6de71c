//! `pqhkex serve --metrics ADDR`: a mixed set of real rustls clients (post-quantum,
//! classical x25519-only, one that lists X25519MLKEM768 but sends only an x25519 share,
//! TLS 1.2-only, one that distrusts the certificate), then `/metrics` scraped with a
//! real HTTP client (ureq) and every counter checked per label.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{temp_path, Serve};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

#[derive(Clone, Copy, Debug)]
enum Client {
    /// PreferPostQuantum: X25519MLKEM768 and x25519 shares.
    Pq,
    /// x25519 only.
    Classical,
    /// Lists x25519 then X25519MLKEM768; one x25519 share.
    PqListed,
    /// TLS 1.2 only, x25519.
    Tls12,
}

fn config(kind: Client, roots: RootCertStore) -> Arc<ClientConfig> {
    let g = |g| pqhkex::rustls::kx_group(g);
    let groups = match kind {
        Client::Pq => pqhkex::Policy::PreferPostQuantum.kx_groups(),
        Client::Classical | Client::Tls12 => vec![g(&pqhkex::groups::X25519)],
        Client::PqListed => vec![
            g(&pqhkex::groups::X25519),
            g(&pqhkex::groups::X25519MLKEM768),
        ],
    };
    let provider = rustls::crypto::CryptoProvider {
        kx_groups: groups,
        ..rustls::crypto::ring::default_provider()
    };
    let versions: &[&rustls::SupportedProtocolVersion] = match kind {
        Client::Tls12 => &[&rustls::version::TLS12],
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let mut cfg = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // A resumed TLS 1.2 session has no key exchange: every handshake here is full.
    cfg.resumption = rustls::client::Resumption::disabled();
    Arc::new(cfg)
}

/// One connection: handshake and an HTTP request; the reply, or the error.
fn connect(port: u16, cfg: Arc<ClientConfig>) -> Result<String, String> {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut conn = ClientConnection::new(cfg, "localhost".try_into().unwrap()).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    tls.read_to_string(&mut reply).map_err(|e| e.to_string())?;
    Ok(reply)
}

/// The server's CA for the clients.
fn roots(pem: &std::path::Path) -> RootCertStore {
    use rustls::pki_types::pem::PemObject;
    let mut roots = RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(pem).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    roots
}

/// `pqhkex serve --metrics 127.0.0.1:0 ARGS`, its certificate, and its /metrics URL.
fn start(args: &[&str]) -> (Serve, RootCertStore, String) {
    let pem = temp_path("metrics-cert.pem");
    let mut all = vec![
        "--port",
        "0",
        "--quiet",
        "--metrics",
        "127.0.0.1:0",
        "--cert-out",
        pem.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let server = Serve::start(all);
    let roots = roots(&pem);
    let _ = std::fs::remove_file(&pem);
    let url = server
        .stdout
        .lock()
        .unwrap()
        .iter()
        .find_map(|l| l.strip_prefix("metrics on ").map(str::to_string))
        .expect("serve printed no `metrics on` line");
    (server, roots, url)
}

/// GET the URL with ureq: the status, content type and body.
fn scrape(url: &str) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().expect("scrape");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, resp.body_mut().read_to_string().unwrap())
}

/// Scrapes until every line of `want` is there (the server records a failure when it
/// has read the client's alert, a moment after the client gave up), or 20 s.
fn scrape_until(url: &str, want: &[String]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, ctype, text) = scrape(url);
        assert_eq!(status, 200, "{text}");
        assert_eq!(ctype, "text/plain; version=0.0.4; charset=utf-8");
        let missing: Vec<_> = want
            .iter()
            .filter(|w| !text.lines().any(|l| l == w.as_str()))
            .collect();
        if missing.is_empty() {
            return text;
        }
        assert!(Instant::now() < deadline, "missing {missing:#?} in\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The sample lines of one metric (no `# HELP`/`# TYPE`), to check there is no other.
fn samples<'a>(text: &'a str, metric: &str) -> Vec<&'a str> {
    let prefix = format!("{metric}{{");
    text.lines().filter(|l| l.starts_with(&prefix)).collect()
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn prefer_server_counts_each_client_class() {
    let (server, roots, url) = start(&[]);
    let port = server.port;
    for kind in [
        Client::Pq,
        Client::Classical,
        Client::PqListed,
        Client::Tls12,
    ] {
        let reply =
            connect(port, config(kind, roots.clone())).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(
            reply.starts_with("HTTP/1.1 200 OK\r\n"),
            "{kind:?}: {reply}"
        );
    }
    // A post-quantum client that does not trust the certificate (it sends unknown_ca).
    let err = connect(port, config(Client::Pq, RootCertStore::empty())).unwrap_err();
    assert!(err.contains("UnknownIssuer"), "{err}");

    let hellos = lines(&[
        "pqhkex_client_hellos_total{readiness=\"pq_key_share\"} 2",
        "pqhkex_client_hellos_total{readiness=\"classical\"} 1",
        "pqhkex_client_hellos_total{readiness=\"pq_listed\"} 1",
        "pqhkex_client_hellos_total{readiness=\"tls12_only\"} 1",
    ]);
    let done = lines(&[
        "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_key_share\",hrr=\"false\"} 1",
        "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_listed\",hrr=\"true\"} 1",
        "pqhkex_handshakes_total{group=\"x25519\",readiness=\"classical\",hrr=\"false\"} 1",
        "pqhkex_handshakes_total{group=\"x25519\",readiness=\"tls12_only\",hrr=\"false\"} 1",
    ]);
    let failed = lines(&[
        "pqhkex_handshake_failures_total{reason=\"alert_received_unknown_ca\",readiness=\"pq_key_share\"} 1",
    ]);
    let durations = lines(&[
        "pqhkex_handshake_duration_seconds_count{group=\"X25519MLKEM768\",readiness=\"pq_key_share\"} 1",
        "pqhkex_handshake_duration_seconds_count{group=\"X25519MLKEM768\",readiness=\"pq_listed\"} 1",
        "pqhkex_handshake_duration_seconds_count{group=\"x25519\",readiness=\"classical\"} 1",
        "pqhkex_handshake_duration_seconds_count{group=\"x25519\",readiness=\"tls12_only\"} 1",
        "pqhkex_handshake_duration_seconds_bucket{group=\"x25519\",readiness=\"tls12_only\",le=\"+Inf\"} 1",
    ]);
    let want: Vec<String> = [&hellos[..], &done, &failed, &durations].concat();
    let text = scrape_until(&url, &want);
    // Nothing else was counted.
    for (metric, expected) in [
        ("pqhkex_client_hellos_total", &hellos),
        ("pqhkex_handshakes_total", &done),
        ("pqhkex_handshake_failures_total", &failed),
    ] {
        let mut got = samples(&text, metric);
        got.sort_unstable();
        let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(got, expected, "{text}");
    }
    assert!(text.contains("# TYPE pqhkex_handshake_duration_seconds histogram"));
    assert!(text.contains("# HELP pqhkex_client_hellos_total "));

    // What would break if post-quantum were required: the classical and TLS 1.2
    // ClientHellos (2 of 5 here; the other test shows a requiring server refuses them).
    let would_break: u64 = samples(&text, "pqhkex_client_hellos_total")
        .iter()
        .filter(|l| l.contains("\"classical\"") || l.contains("\"tls12_only\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(would_break, 2);

    // Another path, another method.
    let base = url.trim_end_matches("/metrics");
    assert_eq!(scrape(&format!("{base}/")).0, 404);
    drop(server);
}

#[test]
fn require_server_refuses_exactly_the_would_break_clients() {
    let (server, roots, url) = start(&["--policy", "require"]);
    let port = server.port;
    for kind in [
        Client::Pq,
        Client::Classical,
        Client::PqListed,
        Client::Tls12,
    ] {
        let result = connect(port, config(kind, roots.clone()));
        match kind {
            Client::Pq | Client::PqListed => {
                assert!(result.unwrap().starts_with("HTTP/1.1 200 OK\r\n"))
            }
            // rustls refuses with handshake_failure (no group in common, RFC 8446
            // §4.1.1), and a TLS 1.2 client with protocol_version.
            Client::Classical => {
                let err = result.unwrap_err();
                assert!(err.contains("HandshakeFailure"), "{kind:?}: {err}");
            }
            Client::Tls12 => {
                let err = result.unwrap_err();
                assert!(err.contains("ProtocolVersion"), "{kind:?}: {err}");
            }
        }
    }
    let want = lines(&[
        "pqhkex_client_hellos_total{readiness=\"pq_key_share\"} 1",
        "pqhkex_client_hellos_total{readiness=\"classical\"} 1",
        "pqhkex_client_hellos_total{readiness=\"pq_listed\"} 1",
        "pqhkex_client_hellos_total{readiness=\"tls12_only\"} 1",
        "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_key_share\",hrr=\"false\"} 1",
        "pqhkex_handshakes_total{group=\"X25519MLKEM768\",readiness=\"pq_listed\",hrr=\"true\"} 1",
        "pqhkex_handshake_failures_total{reason=\"no_post_quantum_group\",readiness=\"classical\"} 1",
        "pqhkex_handshake_failures_total{reason=\"no_post_quantum_group\",readiness=\"tls12_only\"} 1",
    ]);
    let text = scrape_until(&url, &want);
    assert_eq!(samples(&text, "pqhkex_handshakes_total").len(), 2, "{text}");
    assert_eq!(
        samples(&text, "pqhkex_handshake_failures_total").len(),
        2,
        "{text}"
    );
    drop(server);
}
