//! A fleet of loopback TLS servers for tests and examples: one listener per address in
//! 127.1.0.0/16 (the whole of 127.0.0.0/8 reaches the loopback interface), each a
//! pqhkex server that either prefers post-quantum (hybrids, then classical groups) or
//! offers classical groups only, on a tokio runtime of its own.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pqhkex::Policy;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

/// What a fleet member accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// Hybrid groups, then classical ones (`Policy::PreferPostQuantum`).
    PostQuantum,
    /// Classical groups only.
    Classical,
}

/// The running fleet; dropping it stops every server.
pub struct Fleet {
    /// `address:port` of each member and what it accepts.
    pub members: Vec<(String, Member)>,
    /// Handshakes the servers completed.
    pub handshakes: Arc<AtomicUsize>,
    runtime: tokio::runtime::Runtime,
}

/// The `i`-th address of 127.1.0.0/16 (skipping .0 and .255 in the last octet).
pub fn address(i: usize) -> Ipv4Addr {
    let i = u32::try_from(i).expect("fleet too large");
    Ipv4Addr::new(127, 1, (i / 254) as u8, (i % 254 + 1) as u8)
}

fn config(policy: Policy) -> Arc<ServerConfig> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("self-signed certificate");
    let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = pqhkex::server_config_builder(rustls::crypto::ring::default_provider(), policy)
        .expect("server builder")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
    Arc::new(config)
}

/// Starts `n` servers; even-numbered members prefer post-quantum, odd ones are
/// classical-only.
pub fn start(n: usize) -> Fleet {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let pq = config(Policy::PreferPostQuantum);
    let classical = config(Policy::Classical);
    let handshakes = Arc::new(AtomicUsize::new(0));
    let mut members = Vec::with_capacity(n);
    for i in 0..n {
        let member = if i % 2 == 0 {
            Member::PostQuantum
        } else {
            Member::Classical
        };
        let config = match member {
            Member::PostQuantum => pq.clone(),
            Member::Classical => classical.clone(),
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(SocketAddr::from((
                address(i),
                0,
            ))))
            .unwrap_or_else(|e| panic!("cannot listen on {}: {e}", address(i)));
        let local = listener.local_addr().expect("local address");
        members.push((local.to_string(), member));
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let handshakes = handshakes.clone();
        runtime.spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let handshakes = handshakes.clone();
                tokio::spawn(async move {
                    // A rejected handshake (no common group) just ends here.
                    let Ok(mut tls) = acceptor.accept(sock).await else {
                        return;
                    };
                    handshakes.fetch_add(1, Ordering::Relaxed);
                    // Wait for the client's close_notify, then answer it.
                    let mut buf = [0u8; 256];
                    while let Ok(n) = tls.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
    }
    Fleet {
        members,
        handshakes,
        runtime,
    }
}

/// The scanner's own connections to the fleet that are open right now: IPv4 sockets
/// in /proc/net/tcp whose remote end is a member's listening address and whose local
/// end is not (the server's side of the same connection has them the other way
/// round), in a state in which a process still holds them (ESTABLISHED, SYN_SENT,
/// CLOSE_WAIT). A socket the scanner has closed moves to FIN_WAIT or TIME_WAIT and is
/// not counted.
pub fn open_client_sockets(members: &std::collections::HashSet<SocketAddr>) -> usize {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return 0;
    };
    // `0100017F:1F90` is 127.1.0.1:8080 (the address in host byte order, the port in
    // network byte order, both in hex).
    let parse = |s: &str| -> Option<SocketAddr> {
        let (ip, port) = s.split_once(':')?;
        let ip = u32::from_str_radix(ip, 16).ok()?.to_le_bytes();
        let port = u16::from_str_radix(port, 16).ok()?;
        Some(SocketAddr::from((Ipv4Addr::from(ip), port)))
    };
    // A socket is counted once, by its address pair: the kernel writes this file page
    // by page and finds its place again by counting rows, so while connections come
    // and go one read can list the same socket twice.
    let mut open = std::collections::HashSet::new();
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(st)) = (
                cols.get(1).and_then(|c| parse(c)),
                cols.get(2).and_then(|c| parse(c)),
                cols.get(3),
            ) else {
                return false;
            };
            members.contains(&remote)
                && !members.contains(&local)
                && matches!(*st, "01" | "02" | "08")
                && open.insert((local, remote))
        })
        .count()
}

/// The peak resident set size of this process so far (VmHWM), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
