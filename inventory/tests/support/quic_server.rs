//! A QUIC test server shared by the inventory's QUIC scan tests and the CLI's
//! `connect --quic` tests: quinn on UDP loopback, its TLS from pqhkex on a *ring* base
//! accepting a chosen set of groups.

use std::net::SocketAddr;
use std::sync::Arc;

use pqhkex::groups::Group;
use pqhkex::Policy;
use quinn::crypto::rustls::QuicServerConfig;
use rustls::pki_types::PrivateKeyDer;

/// Starts a QUIC server on 127.0.0.1 accepting `groups` only (ALPN `h3`, a self-signed
/// certificate for `localhost`) that answers every connection until the test process
/// ends. Returns its address and its certificate (the only one a client needs to trust).
pub fn start(groups: &'static [&'static Group]) -> (SocketAddr, rcgen::Certificate) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
    let mut tls = pqhkex::server_config_builder(
        rustls::crypto::ring::default_provider(),
        Policy::Custom(groups),
    )
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    tls.alpn_protocols = vec![b"h3".to_vec()];
    let crypto = QuicServerConfig::try_from(tls).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let endpoint = quinn::Endpoint::server(
                quinn::ServerConfig::with_crypto(Arc::new(crypto)),
                SocketAddr::from(([127, 0, 0, 1], 0)),
            )
            .unwrap();
            tx.send(endpoint.local_addr().unwrap()).unwrap();
            while let Some(incoming) = endpoint.accept().await {
                tokio::spawn(async move {
                    if let Ok(conn) = incoming.await {
                        conn.closed().await;
                    }
                });
            }
        });
    });
    (rx.recv().unwrap(), certified.cert)
}
