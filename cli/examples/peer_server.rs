//! A TLS server that is not pqhkex's, for `scripts/server-cost` and the command line's
//! end-to-end tests: the vendored OpenSSL 3.x (`openssl [GROUPS]`, an OpenSSL groups
//! list, TLS 1.3), rustls with aws-lc-rs's own key-exchange groups
//! (`rustls-aws-lc-rs`), or s2n-tls (`s2n POLICY`, an s2n security policy such as
//! `default_pq`, `20260720` (CNSA 2.0: with an ECDSA P-384 certificate) or
//! `default_tls13`). Prints `listening on ADDR`, then serves until killed: each
//! connection is a handshake, a wait for the client's close_notify, and a close_notify
//! back.
//!
//! ```text
//! cargo run --release -p pqhkex-cli --example peer_server -- openssl
//! cargo run --release -p pqhkex-cli --example peer_server -- rustls-aws-lc-rs
//! cargo run --release -p pqhkex-cli --example peer_server -- s2n default_pq
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Every hybrid and ML-KEM group OpenSSL 3.5+ has, and the classical ones.
const OPENSSL_GROUPS: &str =
    "X25519MLKEM768:SecP256r1MLKEM768:SecP384r1MLKEM1024:MLKEM512:MLKEM768:MLKEM1024:X25519:P-256:P-384";

enum Peer {
    OpenSsl(openssl::ssl::SslContext),
    Rustls(Arc<rustls::ServerConfig>),
    S2n(
        s2n_tls_tokio::TlsAcceptor<s2n_tls::config::Config>,
        tokio::runtime::Runtime,
    ),
}

impl Peer {
    fn new(which: &str, arg: Option<&str>, certified: &Certified) -> Result<Peer, String> {
        let (cert, key) = (&certified.der[..], &certified.key_der[..]);
        match which {
            "openssl" => {
                use openssl::ssl::{SslContext, SslMethod, SslVersion};
                let e = |e: openssl::error::ErrorStack| e.to_string();
                let mut ctx = SslContext::builder(SslMethod::tls_server()).map_err(e)?;
                ctx.set_min_proto_version(Some(SslVersion::TLS1_3))
                    .map_err(e)?;
                ctx.set_groups_list(arg.unwrap_or(OPENSSL_GROUPS))
                    .map_err(e)?;
                let x509 = openssl::x509::X509::from_der(cert).map_err(e)?;
                let pkey = openssl::pkey::PKey::private_key_from_pkcs8(key).map_err(e)?;
                ctx.set_certificate(&x509).map_err(e)?;
                ctx.set_private_key(&pkey).map_err(e)?;
                Ok(Peer::OpenSsl(ctx.build()))
            }
            "rustls-aws-lc-rs" => {
                let provider = rustls::crypto::CryptoProvider {
                    kx_groups: rustls::crypto::aws_lc_rs::ALL_KX_GROUPS.to_vec(),
                    ..rustls::crypto::aws_lc_rs::default_provider()
                };
                let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
                    .with_protocol_versions(&[&rustls::version::TLS13])
                    .and_then(|b| {
                        b.with_no_client_auth().with_single_cert(
                            vec![CertificateDer::from(cert.to_vec())],
                            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec())),
                        )
                    })
                    .map_err(|e| e.to_string())?;
                Ok(Peer::Rustls(Arc::new(config)))
            }
            "s2n" => {
                let e = |e: s2n_tls::error::Error| e.to_string();
                let policy = s2n_tls::security::Policy::from_version(arg.unwrap_or("default_pq"))
                    .map_err(e)?;
                let mut b = s2n_tls::config::Config::builder();
                b.set_security_policy(&policy).map_err(e)?;
                // No blinding delay: a refused handshake would otherwise sleep 10-30 s.
                b.set_max_blinding_delay(0).map_err(e)?;
                b.load_pem(certified.pem.as_bytes(), certified.key_pem.as_bytes())
                    .map_err(e)?;
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                let config = b.build().map_err(e)?;
                Ok(Peer::S2n(s2n_tls_tokio::TlsAcceptor::new(config), runtime))
            }
            other => Err(format!(
                "unknown server {other:?}: openssl, rustls-aws-lc-rs or s2n"
            )),
        }
    }

    /// One connection: handshake, drain until the client closes, close.
    fn serve(&self, sock: TcpStream) {
        let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
        // Each flight in its own segments at once, as the client does (without it, s2n's
        // small writes wait for delayed ACKs: 40 ms per handshake).
        let _ = sock.set_nodelay(true);
        let mut buf = [0u8; 512];
        match self {
            Peer::OpenSsl(ctx) => {
                let Ok(ssl) = openssl::ssl::Ssl::new(ctx) else {
                    return;
                };
                if let Ok(mut tls) = ssl.accept(sock) {
                    while tls.read(&mut buf).is_ok_and(|n| n > 0) {}
                    let _ = tls.shutdown();
                }
            }
            Peer::Rustls(config) => {
                let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                    return;
                };
                let mut sock = sock;
                while rustls::Stream::new(&mut conn, &mut sock)
                    .read(&mut buf)
                    .is_ok_and(|n| n > 0)
                {}
                conn.send_close_notify();
                let _ = conn.write_tls(&mut sock);
            }
            Peer::S2n(acceptor, runtime) => {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                runtime.block_on(async {
                    let _ = sock.set_nonblocking(true);
                    let Ok(sock) = tokio::net::TcpStream::from_std(sock) else {
                        return;
                    };
                    let Ok(Ok(mut tls)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(sock)).await
                    else {
                        return;
                    };
                    let mut buf = [0u8; 512];
                    while let Ok(Ok(n)) =
                        tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await
                    {
                        if n == 0 {
                            break;
                        }
                    }
                    let _ = tls.shutdown().await;
                });
            }
        }
    }
}

/// A certificate for localhost: DER and PKCS#8 DER, ECDSA P-384 for s2n's CNSA 2.0
/// policy (which wants it), P-256 otherwise.
struct Certified {
    der: Vec<u8>,
    key_der: Vec<u8>,
    pem: String,
    key_pem: String,
}

fn main() -> Result<(), String> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "openssl".into());
    let arg = std::env::args().nth(2);
    let alg = if which == "s2n" && arg.as_deref() == Some("20260720") {
        &rcgen::PKCS_ECDSA_P384_SHA384
    } else {
        &rcgen::PKCS_ECDSA_P256_SHA256
    };
    let key = rcgen::KeyPair::generate_for(alg).map_err(|e| e.to_string())?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .and_then(|p| p.self_signed(&key))
        .map_err(|e| e.to_string())?;
    let certified = Certified {
        der: cert.der().to_vec(),
        key_der: key.serialize_der(),
        pem: cert.pem(),
        key_pem: key.serialize_pem(),
    };
    let peer = Arc::new(Peer::new(&which, arg.as_deref(), &certified)?);
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {addr}");
    let _ = std::io::stdout().flush();
    for sock in listener.incoming().flatten() {
        let peer = peer.clone();
        std::thread::spawn(move || peer.serve(sock));
    }
    Ok(())
}
