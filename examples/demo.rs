//! Demo: a TLS 1.3 server and client on loopback TCP negotiate X25519MLKEM768 with pqhkex
//! (over rustls's *ring* provider), then print the group, share sizes and handshake time.
//!
//! Run: `cargo run --release --example demo`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use pqhkex::{ConnectionReport, Policy};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;

    let server_config = Arc::new(
        pqhkex::server_config_builder(
            rustls::crypto::ring::default_provider(),
            Policy::PreferPostQuantum,
        )?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)?,
    );
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert)?;
    let client_config = Arc::new(
        pqhkex::client_config_builder(
            rustls::crypto::ring::default_provider(),
            Policy::PreferPostQuantum,
        )?
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || -> Result<ConnectionReport, String> {
        let (mut sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let mut conn = rustls::ServerConnection::new(server_config).map_err(|e| e.to_string())?;
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).map_err(|e| e.to_string())?;
        tls.write_all(b"pong!").map_err(|e| e.to_string())?;
        tls.flush().map_err(|e| e.to_string())?;
        Ok(ConnectionReport::from_connection(&conn))
    });

    let mut sock = TcpStream::connect(addr)?;
    let mut conn =
        rustls::ClientConnection::new(client_config, ServerName::try_from("localhost")?)?;
    let started = Instant::now();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(b"ping!")?;
    let mut reply = [0u8; 5];
    tls.read_exact(&mut reply)?;
    let elapsed = started.elapsed();

    let client = ConnectionReport::from_connection(&conn);
    let server = server.join().map_err(|_| "server thread panicked")??;
    let group = client.group.ok_or("no group negotiated")?;
    println!(
        "negotiated group : {} (0x{:04x}), {}",
        group.name,
        group.code,
        if client.hybrid {
            "hybrid post-quantum"
        } else if client.post_quantum {
            "post-quantum"
        } else {
            "classical"
        }
    );
    println!(
        "components       : {}",
        group
            .components
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(" + ")
    );
    println!("client key share : {} bytes", group.client_share_len());
    println!("server key share : {} bytes", group.server_share_len());
    println!("shared secret    : {} bytes", group.secret_len());
    println!("server agrees    : {}", server.group_name());
    println!(
        "protocol / suite : {:?} / {:?}",
        client.protocol_version.ok_or("no version")?,
        client.cipher_suite.ok_or("no suite")?
    );
    println!(
        "handshake + 1 RTT of data: {:.2} ms",
        elapsed.as_secs_f64() * 1e3
    );
    if server.group_code != client.group_code || group.code != 0x11ec {
        return Err("the demo expected both sides to agree on X25519MLKEM768".into());
    }
    Ok(())
}
