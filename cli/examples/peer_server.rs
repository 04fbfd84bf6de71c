//! A TLS 1.3 server that is not pqhkex's, for `scripts/server-cost`: the vendored
//! OpenSSL 3.x (`openssl`, groups by OpenSSL name) or rustls with aws-lc-rs's own
//! key-exchange groups (`rustls-aws-lc-rs`). Prints `listening on ADDR`, then serves
//! until killed: each connection is a handshake, a wait for the client's close_notify,
//! and a close_notify back.
//!
//! ```text
//! cargo run --release -p pqhkex-cli --example peer_server -- openssl
//! cargo run --release -p pqhkex-cli --example peer_server -- rustls-aws-lc-rs
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
}

impl Peer {
    fn new(which: &str, cert: &[u8], key: &[u8]) -> Result<Peer, String> {
        match which {
            "openssl" => {
                use openssl::ssl::{SslContext, SslMethod, SslVersion};
                let e = |e: openssl::error::ErrorStack| e.to_string();
                let mut ctx = SslContext::builder(SslMethod::tls_server()).map_err(e)?;
                ctx.set_min_proto_version(Some(SslVersion::TLS1_3))
                    .map_err(e)?;
                ctx.set_groups_list(OPENSSL_GROUPS).map_err(e)?;
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
            other => Err(format!(
                "unknown server {other:?}: openssl or rustls-aws-lc-rs"
            )),
        }
    }

    /// One connection: handshake, drain until the client closes, close.
    fn serve(&self, sock: TcpStream) {
        let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
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
        }
    }
}

fn main() -> Result<(), String> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "openssl".into());
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(|e| e.to_string())?;
    let (cert, key) = (
        certified.cert.der().to_vec(),
        certified.signing_key.serialize_der(),
    );
    let peer = Arc::new(Peer::new(&which, &cert, &key)?);
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
