//! `pqhkex bench` with its default groups against servers that are not pqhkex's, each
//! with its own default group list: OpenSSL 3.6 (vendored), s2n-tls and BoringSSL; and
//! the warning for a server that handles handshakes one at a time.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::pqhkex;
use serde_json::Value;

/// A self-signed ECDSA P-256 certificate for localhost: (DER, PKCS#8 DER, PEM, key PEM).
fn certificate() -> (Vec<u8>, Vec<u8>, String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (
        cert.der().to_vec(),
        key.serialize_der(),
        cert.pem(),
        key.serialize_pem(),
    )
}

/// Runs `bench TARGET --duration 1 --rounds 2 --json` with the default groups and checks
/// that it succeeds: each group measured or not accepted by the server (with the alert),
/// none failed, `must` among the measured. Returns the not-accepted groups.
fn bench_defaults(target: &str, must: &[&str]) -> Vec<String> {
    let out = pqhkex(&[
        "bench",
        target,
        "--duration",
        "1",
        "--rounds",
        "2",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{target}: {}\n{}", out.stdout, out.stderr);
    let doc = out.json();
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 5, "{doc:#}");
    let mut refused = Vec::new();
    for g in groups {
        let name = g["group"].as_str().unwrap();
        match g["status"].as_str().unwrap() {
            "ok" => {
                assert!(g["handshakes"].as_u64().unwrap() > 0, "{g:#}");
                assert_eq!(g["rounds"].as_array().unwrap().len(), 2, "{g:#}");
                assert!(g["latency_ms"]["p50"].as_f64().unwrap() > 0.0, "{g:#}");
            }
            "not-accepted" => {
                let e = g["first_error"].as_str().unwrap();
                assert!(
                    e.contains("HandshakeFailure")
                        || e.contains("InsufficientSecurity")
                        || e.contains("in answer to the ClientHello, without an alert"),
                    "{g:#}"
                );
                assert_eq!(g["handshakes"], 0, "{g:#}");
                refused.push(name.to_string());
            }
            other => panic!("{target}: {name} {other}: {g:#}"),
        }
    }
    for name in must {
        assert!(
            !refused.iter().any(|r| r == name),
            "{target}: {name} refused"
        );
    }
    refused
}

/// OpenSSL 3.6 with nothing configured but the certificate: its default groups.
#[test]
fn defaults_against_openssl_default_groups() {
    use openssl::ssl::{SslAcceptor, SslMethod};
    let (cert, key, _, _) = certificate();
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    b.set_certificate(&openssl::x509::X509::from_der(&cert).unwrap())
        .unwrap();
    b.set_private_key(&openssl::pkey::PKey::private_key_from_pkcs8(&key).unwrap())
        .unwrap();
    let acceptor = Arc::new(b.build());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("localhost:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let acceptor = acceptor.clone();
            std::thread::spawn(move || {
                let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
                if let Ok(mut tls) = acceptor.accept(sock) {
                    let mut buf = [0u8; 256];
                    while tls.read(&mut buf).is_ok_and(|n| n > 0) {}
                    let _ = tls.shutdown();
                }
            });
        }
    });
    // OpenSSL's default list has X25519MLKEM768 and X25519, not the SecP hybrids nor
    // MLKEM1024 (as of 3.5/3.6).
    let refused = bench_defaults(&target, &["x25519", "X25519MLKEM768"]);
    assert!(refused.iter().any(|g| g == "MLKEM1024"), "{refused:?}");
}

/// s2n-tls with its post-quantum default policy (`default_pq`) and its TLS 1.3 classical
/// one (`default_tls13`).
#[test]
fn defaults_against_s2n() {
    let (_, _, cert_pem, key_pem) = certificate();
    for (policy, must) in [
        ("default_pq", &["x25519", "X25519MLKEM768"][..]),
        ("default_tls13", &["x25519"][..]),
    ] {
        let mut b = s2n_tls::config::Config::builder();
        b.set_security_policy(&s2n_tls::security::Policy::from_version(policy).unwrap())
            .unwrap();
        // No blinding delay: a refused handshake would otherwise sleep 10-30 s.
        b.set_max_blinding_delay(0).unwrap();
        b.load_pem(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();
        let acceptor = s2n_tls_tokio::TlsAcceptor::new(b.build().unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let target = format!("localhost:{}", listener.local_addr().unwrap().port());
        runtime.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let acceptor = Arc::new(acceptor);
            while let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let limit = Duration::from_secs(10);
                    let Ok(Ok(mut tls)) = tokio::time::timeout(limit, acceptor.accept(sock)).await
                    else {
                        return;
                    };
                    let mut buf = [0u8; 256];
                    while let Ok(Ok(n)) = tokio::time::timeout(limit, tls.read(&mut buf)).await {
                        if n == 0 {
                            break;
                        }
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
        let refused = bench_defaults(&target, must);
        eprintln!("s2n {policy}: not accepted {refused:?}");
        runtime.shutdown_background();
    }
}

/// BoringSSL with its default groups, run as its own process (the example
/// `boring_server` of the interop-boring member: BoringSSL and the vendored OpenSSL these
/// tests link cannot share a binary). `cargo test --workspace` (the README's test
/// command) builds it; `PQHKEX_SKIP_BORINGSSL=1` skips this test where it is not built.
#[test]
fn defaults_against_boringssl() {
    use std::process::{Command, Stdio};
    let server = std::path::Path::new(env!("CARGO_BIN_EXE_pqhkex"))
        .parent()
        .unwrap()
        .join("examples")
        .join("boring_server");
    if !server.exists() {
        if std::env::var("PQHKEX_SKIP_BORINGSSL").as_deref() == Ok("1") {
            eprintln!("PQHKEX_SKIP_BORINGSSL=1: skipping the BoringSSL bench test");
            return;
        }
        panic!(
            "{} is not built: cargo build -p pqhkex-interop-boring --example boring_server \
             (or PQHKEX_SKIP_BORINGSSL=1)",
            server.display()
        );
    }
    // Its standard input is a pipe kept open by `child`: dropping it ends the server.
    let mut child = Command::new(&server)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let port = common::listening_port(&mut child, "boring_server");
    let target = format!("localhost:{port}");
    let refused = bench_defaults(&target, &["x25519", "X25519MLKEM768"]);
    let _ = child.kill();
    let _ = child.wait();
    // BoringSSL has no SecP hybrids: refused with an alert, reported as not accepted.
    assert!(
        refused.iter().any(|g| g == "SecP256r1MLKEM768"),
        "{refused:?}"
    );
    eprintln!("BoringSSL defaults: not accepted {refused:?}");
}

/// A rustls server that waits `delay` before each handshake (a slow backend), one
/// connection at a time when `serial`, else each on its own thread.
fn slow_server(delay: Duration, serial: bool) -> String {
    let (cert, key, _, _) = certificate();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
        )
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("localhost:{}", listener.local_addr().unwrap().port());
    let handle = move |mut sock: TcpStream, config: Arc<rustls::ServerConfig>| {
        std::thread::sleep(delay);
        let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
        let Ok(mut conn) = rustls::ServerConnection::new(config) else {
            return;
        };
        let mut buf = [0u8; 256];
        while rustls::Stream::new(&mut conn, &mut sock)
            .read(&mut buf)
            .is_ok_and(|n| n > 0)
        {}
        conn.send_close_notify();
        let _ = conn.write_tls(&mut sock);
    };
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            if serial {
                handle(sock, config.clone());
            } else {
                let config = config.clone();
                std::thread::spawn(move || handle(sock, config));
            }
        }
    });
    target
}

fn bench_slow(target: &str, concurrency: &str) -> (Value, String) {
    let out = pqhkex(&[
        "bench",
        target,
        "--groups",
        "x25519",
        "--concurrency",
        concurrency,
        "--warmup",
        "21",
        "--handshakes",
        "4",
        "--rounds",
        "2",
        "--timeout",
        "20",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    (out.json(), out.stderr)
}

/// A server that sleeps 30 ms per handshake: one at a time, 4 connections in flight give
/// no more handshakes/s than one (ratio about 1: warned, in JSON and on stderr); on a
/// thread per connection they give about 3 times as many (not warned). The sleep, not
/// the CPU, sets both rates, so two shared cores do not blur them. At concurrency 1
/// nothing is judged.
#[test]
fn a_server_that_serialises_handshakes_is_warned_about() {
    let delay = Duration::from_millis(30);
    let serial = slow_server(delay, true);
    let (doc, stderr) = bench_slow(&serial, "4");
    let check = &doc["concurrency_check"];
    assert_eq!(check["verdict"], "serialised", "{doc:#}");
    assert!(check["ratio"].as_f64().unwrap() < 1.2, "{check:#}");
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{doc:#}");
    assert!(
        stderr.contains("handle handshakes one at a time")
            && stderr.contains(warnings[0].as_str().unwrap()),
        "{stderr}"
    );

    let concurrent = slow_server(delay, false);
    let (doc, stderr) = bench_slow(&concurrent, "4");
    let check = &doc["concurrency_check"];
    assert_eq!(check["verdict"], "concurrent", "{doc:#}");
    assert!(check["ratio"].as_f64().unwrap() > 2.0, "{check:#}");
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 0, "{doc:#}");
    assert!(!stderr.contains("one at a time"), "{stderr}");

    let (doc, _) = bench_slow(&serial, "1");
    assert_eq!(doc["concurrency_check"]["verdict"], "not-judged", "{doc:#}");
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 0, "{doc:#}");
}
