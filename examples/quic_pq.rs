//! Post-quantum key exchange over QUIC: a quinn client and server on UDP loopback,
//! negotiating each pqhkex post-quantum group through a *ring* and an aws-lc-rs base.
//!
//! QUIC carries the ClientHello in Initial packets of at most about 1200 bytes of
//! payload, and is TLS 1.3 only (RFC 9001 §4.2), so every post-quantum group fits its
//! rules; an X25519MLKEM768 ClientHello (a 1216-byte key share alone) spans two Initial
//! packets, larger shares three. For each group the example checks that the handshake
//! completes with that group (the client offers nothing else), that data flows both
//! ways, and prints the datagrams and bytes each side sent during the handshake.
//!
//! Run: `cargo run --example quic_pq`

use std::net::SocketAddr;
use std::sync::Arc;

use pqhkex::groups::{self, Group};
use pqhkex::Policy;
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A base provider's constructor, e.g. `rustls::crypto::ring::default_provider`.
type Base = fn() -> CryptoProvider;

/// Handshake cost of one connection, as quinn counted it on the client.
#[derive(Debug)]
struct Cost {
    group: &'static str,
    base: &'static str,
    client_datagrams: u64,
    client_bytes: u64,
    server_datagrams: u64,
    server_bytes: u64,
}

/// The standard post-quantum groups (the obsolete Kyber draft is left out).
static PQ: &[&Group] = &[
    &groups::X25519MLKEM768,
    &groups::SECP256R1MLKEM768,
    &groups::SECP384R1MLKEM1024,
    &groups::MLKEM768,
    &groups::MLKEM1024,
    &groups::MLKEM512,
];

/// A TLS 1.3 server configuration that accepts every group of [`PQ`].
fn server_tls(
    base: CryptoProvider,
    cert: &CertificateDer<'static>,
    key: &PrivateKeyDer<'static>,
) -> Result<rustls::ServerConfig, BoxError> {
    Ok(pqhkex::server_config_builder(base, Policy::Custom(PQ))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.clone_key())?)
}

/// A client configuration offering exactly `group`, so that a completed handshake can
/// only have negotiated it.
fn client_tls(
    base: CryptoProvider,
    group: &'static Group,
    cert: &CertificateDer<'static>,
) -> Result<rustls::ClientConfig, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone())?;
    let provider = CryptoProvider {
        kx_groups: vec![pqhkex::rustls::kx_group(group)],
        ..base
    };
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// One QUIC connection with `group`: handshake, an echo on a bidirectional stream, and
/// the handshake's datagram and byte counts.
async fn one(
    base: Base,
    base_name: &'static str,
    group: &'static Group,
    cert: &CertificateDer<'static>,
    key: &PrivateKeyDer<'static>,
) -> Result<Cost, BoxError> {
    let server_crypto = QuicServerConfig::try_from(server_tls(base(), cert, key)?)?;
    let server_config = quinn::ServerConfig::with_crypto(Arc::new(server_crypto));
    let server = quinn::Endpoint::server(server_config, SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let server_addr = server.local_addr()?;

    // The server: accept one connection, echo one stream, report its own counts.
    let serve = tokio::spawn(async move {
        let incoming = server.accept().await.ok_or("no connection")?;
        let conn = incoming.await?;
        let handshake_tx = conn.stats().udp_tx;
        let (mut send, mut recv) = conn.accept_bi().await?;
        let request = recv.read_to_end(64).await?;
        send.write_all(&request).await?;
        send.finish()?;
        conn.closed().await;
        server.wait_idle().await;
        Ok::<_, BoxError>(handshake_tx)
    });

    let client_crypto = QuicClientConfig::try_from(client_tls(base(), group, cert)?)?;
    let mut client = quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    client.set_default_client_config(quinn::ClientConfig::new(Arc::new(client_crypto)));
    let conn = client.connect(server_addr, "localhost")?.await?;
    let handshake_tx = conn.stats().udp_tx;

    let (mut send, mut recv) = conn.open_bi().await?;
    send.write_all(group.name.as_bytes()).await?;
    send.finish()?;
    let echoed = recv.read_to_end(64).await?;
    if echoed != group.name.as_bytes() {
        return Err(format!("{}: the echo came back wrong", group.name).into());
    }
    conn.close(0u32.into(), b"done");
    client.wait_idle().await;
    let server_tx = serve.await??;
    Ok(Cost {
        group: group.name,
        base: base_name,
        client_datagrams: handshake_tx.datagrams,
        client_bytes: handshake_tx.bytes,
        server_datagrams: server_tx.datagrams,
        server_bytes: server_tx.bytes,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;

    let bases: [(Base, &str); 2] = [
        (rustls::crypto::ring::default_provider, "ring"),
        (rustls::crypto::aws_lc_rs::default_provider, "aws-lc-rs"),
    ];
    println!("group                base       client: datagrams bytes   server: datagrams bytes");
    for (base, base_name) in bases {
        for group in PQ.iter().copied() {
            let cost = one(base, base_name, group, &cert, &key).await?;
            println!(
                "{:<20} {:<10} {:>17} {:>6} {:>17} {:>6}",
                cost.group,
                cost.base,
                cost.client_datagrams,
                cost.client_bytes,
                cost.server_datagrams,
                cost.server_bytes
            );
            // A ClientHello with a key share of 1,184 bytes or more cannot fit the
            // first Initial packet: quinn must have sent at least two.
            if group.client_share_len() >= 1184 && cost.client_datagrams < 2 {
                return Err(format!("{}: ClientHello in one datagram?", group.name).into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
