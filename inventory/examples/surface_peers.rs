//! Starts the two servers the README's endpoint-surface section scans, on loopback,
//! and prints their addresses: an OpenSSL 3.6 server with an RSA-2048 and an ML-DSA-65
//! certificate (it picks one by the client's `signature_algorithms`), and a TLS 1.2
//! server whose only cipher suite is `AES128-GCM-SHA256` (RSA key transport); and, for
//! the CBOM check in CI, a server with an ML-DSA-65 certificate only. Runs
//! until interrupted, or for the number of seconds given as its argument.
//!
//! ```text
//! cargo run -p pqhkex-inventory --example surface_peers &
//! pqhkex scan 127.0.0.1:PORT
//! ```

#[path = "../tests/support/openssl_peers.rs"]
mod peers;

use std::time::Duration;

use openssl::ssl::SslVersion;
use peers::{single, start, Key, Server};

fn main() {
    let dual = start(Server {
        certs: vec![
            single(Key::Rsa(2048), "dual.example", 0x0d01),
            single(Key::MlDsa(65), "dual.example", 0x0d02),
        ],
        ..Server::default()
    });
    let rsa_kx = start(Server {
        certs: vec![single(Key::Rsa(2048), "legacy.example", 0x0c01)],
        max: Some(SslVersion::TLS1_2),
        ciphers: Some("AES128-GCM-SHA256"),
        ..Server::default()
    });
    let ml_dsa = start(Server {
        certs: vec![single(Key::MlDsa(65), "mldsa.example", 0x0e01)],
        ..Server::default()
    });
    println!("RSA + ML-DSA-65 dual-certificate server: {dual}");
    println!("TLS 1.2 RSA key transport server: {rsa_kx}");
    println!("ML-DSA-65 server: {ml_dsa}");
    let secs = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    std::thread::sleep(Duration::from_secs(secs));
}
