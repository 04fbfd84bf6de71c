//! A BoringSSL TLS server with BoringSSL's default group list, for tests and by hand:
//! `pqhkex bench` runs against it in `cli/tests/bench_peers.rs` (the CLI's test binaries
//! link the vendored OpenSSL, which cannot share a binary with BoringSSL, so BoringSSL
//! runs here, as its own process).
//!
//! ```text
//! cargo run -p pqhkex-interop-boring --example boring_server
//! listening on 127.0.0.1:40123
//! ```
//!
//! TLS 1.3 only, a fresh self-signed ECDSA P-256 certificate for `localhost`, one thread
//! per connection: the handshake, then reading until the client closes, then a
//! close_notify. It serves until killed or until its standard input closes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use boring::pkey::PKey;
use boring::ssl::{Ssl, SslContext, SslMethod, SslVersion};
use boring::x509::X509;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
    let mut ctx = SslContext::builder(SslMethod::tls())?;
    let x509 = X509::from_der(cert.der())?;
    ctx.set_certificate(&x509)?;
    let pkey = PKey::private_key_from_pkcs8(&key.serialize_der())?;
    ctx.set_private_key(&pkey)?;
    ctx.set_min_proto_version(Some(SslVersion::TLS1_3))?;
    // No group list set: BoringSSL's defaults are what is measured.
    let ctx = Arc::new(ctx.build());

    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    // Ends the process when whoever started it closes our standard input (or exits).
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        while std::io::stdin().read(&mut sink).is_ok_and(|n| n > 0) {}
        std::process::exit(0);
    });
    for sock in listener.incoming().flatten() {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = sock.set_nodelay(true);
            let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = sock.set_write_timeout(Some(Duration::from_secs(10)));
            let Ok(ssl) = Ssl::new(&ctx) else { return };
            if let Ok(mut tls) = ssl.accept(sock) {
                let mut buf = [0u8; 256];
                while tls.read(&mut buf).is_ok_and(|n| n > 0) {}
                let _ = tls.shutdown();
            }
        });
    }
    Ok(())
}
