//! Scanning from a tokio program without blocking it: `Scanner::scan_stream` on a
//! `current_thread` runtime, while a timer task on the same runtime keeps ticking.
//!
//! It starts its own targets on loopback: a QUIC server (quinn, through pqhkex, that
//! accepts X25519MLKEM768 and x25519) and a UDP port that never answers. The results
//! arrive as each target finishes; the ticks show the runtime's only thread was never
//! blocked while the silent port ran out its probe timeout.
//!
//! `cargo run -p pqhkex-inventory --example async_scan` (add `serve` to only run the
//! QUIC server and print its address, for trying `pqhkex scan quic://…` by hand).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pqhkex::groups::{self, Group};
use pqhkex_inventory::{Class, Scanner, Target};
use quinn::crypto::rustls::QuicServerConfig;
use rustls::pki_types::PrivateKeyDer;

static ACCEPTED: &[&Group] = &[&groups::X25519MLKEM768, &groups::X25519];

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A QUIC server on 127.0.0.1 (ALPN `h3`, a certificate for `localhost`) on a thread of
/// its own; returns its address and the roots that trust it.
fn quic_server() -> Result<(SocketAddr, rustls::RootCertStore), Error> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone())?;
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    let mut tls = pqhkex::server_config_builder(
        rustls::crypto::ring::default_provider(),
        pqhkex::Policy::Custom(ACCEPTED),
    )?
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)?;
    tls.alpn_protocols = vec![b"h3".to_vec()];
    let crypto = QuicServerConfig::try_from(tls)?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let endpoint = match quinn::Endpoint::server(
                quinn::ServerConfig::with_crypto(Arc::new(crypto)),
                SocketAddr::from(([127, 0, 0, 1], 0)),
            ) {
                Ok(e) => e,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = tx.send(endpoint.local_addr().map_err(|e| e.to_string()));
            while let Some(incoming) = endpoint.accept().await {
                tokio::spawn(async move {
                    if let Ok(conn) = incoming.await {
                        conn.closed().await;
                    }
                });
            }
        });
    });
    Ok((rx.recv()??, roots))
}

fn main() -> Result<(), Error> {
    let (server, roots) = quic_server()?;
    if std::env::args().nth(1).as_deref() == Some("serve") {
        println!("QUIC server on {server} (certificate for localhost); Ctrl-C ends it");
        loop {
            std::thread::park();
        }
    }
    // A bound UDP socket nobody reads: its probe runs out its timeout.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let targets = vec![
        Target::parse(&format!("quic://localhost:{}", server.port()))?,
        Target::parse(&format!("quic://{}", silent.local_addr()?))?,
    ];
    let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?
        .roots(roots)?
        .groups(&[&groups::X25519MLKEM768, &groups::MLKEM1024, &groups::X25519])
        .timeout(Duration::from_millis(1500))
        .concurrency(2);

    // One thread for everything async: the scan must not block it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (classes, ticks, took) = rt.block_on(async move {
        let ticks = Arc::new(AtomicU64::new(0));
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let started = Instant::now();
        let mut classes = vec![None; targets.len()];
        let mut stream = scanner.scan_stream(targets);
        while let Some((i, r)) = stream.next().await {
            let q = r.quic.as_ref().and_then(|q| q.probes.first());
            println!(
                "{} -> {}{}",
                r.target,
                r.classification,
                q.map(|p| format!(
                    " (browser-like offer: {}, ClientHello in {} Initial datagrams, {} bytes)",
                    p.group.as_deref().unwrap_or("no group"),
                    p.client_hello_datagrams,
                    p.client_hello_bytes
                ))
                .unwrap_or_default()
            );
            if let Some(e) = &r.error {
                println!("    {:?}: {}", e.kind, e.message);
            }
            classes[i] = Some(r.classification);
        }
        ticker.abort();
        (classes, ticks.load(Ordering::Relaxed), started.elapsed())
    });
    println!(
        "the runtime's timer ticked {ticks} times (every 10 ms) during the {:.1} s scan",
        took.as_secs_f64()
    );
    if classes != [Some(Class::PqAndClassical), Some(Class::Unreachable)] {
        return Err(format!("unexpected classifications {classes:?}").into());
    }
    // The silent target alone takes its 1.5 s probe timeout: a blocked runtime thread
    // would not have ticked at all meanwhile.
    if ticks * 10 < took.as_millis() as u64 / 2 {
        return Err(format!("the runtime was blocked: {ticks} ticks in {took:?}").into());
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
