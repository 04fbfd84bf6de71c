//! `pqhkex serve`: a TLS server that logs each connection's negotiated group.
//!
//! The server, not the client, decides the group: it reads the ClientHello with
//! [`rustls::server::Acceptor`] and picks the configuration of its most preferred
//! group that the client supports — [`pqhkex::PqServerConfigs`] for a plain policy,
//! one configuration per listed group for `--groups`. A client that supports the group
//! but sent no key share for it gets a HelloRetryRequest.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pqhkex::{ConnectionReport, Group, Policy, PqServerConfigs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{Accepted, AcceptedAlert, Acceptor};
use rustls::{ServerConfig, ServerConnection, SupportedProtocolVersion};

use pqhkex_inventory::probe::{suite_name, version_name, TLS12, TLS13, TLS13_AND_12};
use pqhkex_inventory::Failure;

use crate::connect::kind_text;
use crate::{ServeArgs, TlsVersions};

/// How long a connection may stay silent before the server drops it.
const IDLE: Duration = Duration::from_secs(10);

/// The server's certificate chain and key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// For a generated certificate: its PEM, to hand to clients.
    pub pem: Option<String>,
}

impl Identity {
    /// A fresh self-signed certificate for localhost, 127.0.0.1 and ::1.
    pub fn self_signed() -> Result<Self, Failure> {
        let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        let c = rcgen::generate_simple_self_signed(names)
            .map_err(|e| Failure::Other(format!("cannot generate a certificate: {e}")))?;
        let key = PrivateKeyDer::try_from(c.signing_key.serialize_der())
            .map_err(|e| Failure::Other(format!("generated key: {e}")))?;
        Ok(Identity {
            chain: vec![c.cert.der().clone()],
            key,
            pem: Some(c.cert.pem()),
        })
    }

    /// Loads a PEM chain and key.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, Failure> {
        let read_err = |p: &Path, e: &dyn std::fmt::Display| {
            Failure::Other(format!("cannot read {}: {e}", p.display()))
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| read_err(cert, &e))?;
        if chain.is_empty() {
            return Err(Failure::Other(format!(
                "{} contains no certificate",
                cert.display()
            )));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err(key, &e))?;
        Ok(Identity {
            chain,
            key,
            pem: None,
        })
    }
}

/// Picks a server configuration for each ClientHello.
pub enum Chooser {
    /// A policy's post-quantum preference, by [`PqServerConfigs::accept`].
    Policy(PqServerConfigs),
    /// An explicit list in server preference order, each entry able to negotiate only
    /// its group; `fallback` (every group) when the client supports none.
    Ordered {
        preferred: Vec<(&'static Group, Arc<ServerConfig>)>,
        fallback: Arc<ServerConfig>,
    },
}

fn builder(
    groups: &[&'static Group],
    versions: &[&'static SupportedProtocolVersion],
) -> Result<rustls::ConfigBuilder<ServerConfig, rustls::WantsVerifier>, rustls::Error> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = groups.iter().map(|g| pqhkex::rustls::kx_group(g)).collect();
    ServerConfig::builder_with_provider(Arc::new(provider)).with_protocol_versions(versions)
}

impl Chooser {
    /// Builds the chooser for a policy, optional explicit groups and optional versions.
    pub fn new(
        identity: &Identity,
        policy: Policy,
        groups: Vec<&'static Group>,
        tls: Option<TlsVersions>,
    ) -> Result<Self, Failure> {
        let finish = |b: rustls::ConfigBuilder<ServerConfig, rustls::WantsVerifier>| {
            b.with_no_client_auth()
                .with_single_cert(identity.chain.clone(), identity.key.clone_key())
        };
        if groups.is_empty() && tls.is_none() {
            let configs =
                PqServerConfigs::new(rustls::crypto::ring::default_provider(), policy, finish)?;
            return Ok(Chooser::Policy(configs));
        }
        let versions: &'static [&'static SupportedProtocolVersion] = match tls {
            Some(TlsVersions::V13) => TLS13,
            Some(TlsVersions::V12) => TLS12,
            Some(TlsVersions::Both) => TLS13_AND_12,
            None => policy.protocol_versions(),
        };
        let tls13 = versions
            .iter()
            .any(|v| v.version == rustls::ProtocolVersion::TLSv1_3);
        let groups = if groups.is_empty() {
            policy.groups().to_vec()
        } else {
            if let Some(g) = groups.iter().find(|g| !policy.allows(g)) {
                return Err(Failure::Usage(format!(
                    "group {} is not allowed by the policy {policy:?}",
                    g.name
                )));
            }
            groups
        };
        let usable: Vec<_> = groups
            .into_iter()
            .filter(|g| tls13 || g.tls12_allowed())
            .collect();
        if usable.is_empty() {
            return Err(Failure::Usage(
                "no group left: post-quantum groups need TLS 1.3".into(),
            ));
        }
        let mut preferred = Vec::new();
        for g in &usable {
            let v = if g.tls12_allowed() { versions } else { TLS13 };
            preferred.push((*g, Arc::new(finish(builder(&[*g], v)?)?)));
        }
        let fallback = Arc::new(finish(builder(&usable, versions)?)?);
        Ok(Chooser::Ordered {
            preferred,
            fallback,
        })
    }

    /// Starts the connection for a ClientHello; on refusal, the alert to send.
    pub fn accept(&self, accepted: Accepted) -> Result<ServerConnection, (String, AcceptedAlert)> {
        match self {
            Chooser::Policy(configs) => configs
                .accept(accepted)
                .map_err(|(e, alert)| (e.to_string(), alert)),
            Chooser::Ordered {
                preferred,
                fallback,
            } => {
                let hello = accepted.client_hello();
                let offered = hello.named_groups().unwrap_or(&[]);
                let config = preferred
                    .iter()
                    .find(|(g, _)| offered.iter().any(|o| u16::from(*o) == g.code))
                    .map(|(_, c)| c.clone())
                    .unwrap_or_else(|| fallback.clone());
                accepted
                    .into_connection(config)
                    .map_err(|(e, alert)| (e.to_string(), alert))
            }
        }
    }
}

/// What the server saw on one connection.
pub struct Served {
    pub report: ConnectionReport,
    pub sni: Option<String>,
    pub offered: Vec<u16>,
}

fn group_list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(|c| match pqhkex::groups::by_code(*c) {
            Some(g) => g.name.to_string(),
            None => format!("0x{c:04x}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// One log line for a served connection.
pub fn log_line(s: &Served) -> String {
    let r = &s.report;
    format!(
        "group={} ({}) hrr={} version={} suite={} sni={} offered={}",
        r.group_name(),
        kind_text(r),
        if r.hello_retry_request.unwrap_or(false) {
            "yes"
        } else {
            "no"
        },
        r.protocol_version
            .map(version_name)
            .unwrap_or_default()
            .replace(' ', ""),
        r.cipher_suite.map(suite_name).unwrap_or_default(),
        s.sni.as_deref().unwrap_or("-"),
        group_list(&s.offered),
    )
}

/// Handles one TCP connection: handshake, answer requests, close.
pub fn handle(mut sock: TcpStream, chooser: &Chooser) -> Result<Served, String> {
    sock.set_read_timeout(Some(IDLE))
        .and_then(|()| sock.set_write_timeout(Some(IDLE)))
        .map_err(|e| e.to_string())?;
    let mut acceptor = Acceptor::default();
    let accepted = loop {
        match acceptor.read_tls(&mut sock) {
            Ok(0) => return Err("client closed the connection before a ClientHello".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("reading the ClientHello: {e}")),
        }
        match acceptor.accept() {
            Ok(Some(a)) => break a,
            Ok(None) => {}
            Err((e, mut alert)) => {
                let _ = alert.write_all(&mut sock);
                return Err(format!("invalid ClientHello: {e}"));
            }
        }
    };
    let hello = accepted.client_hello();
    let sni = hello.server_name().map(str::to_string);
    let offered = pqhkex::policy::offered_groups(&hello);
    let mut conn = match chooser.accept(accepted) {
        Ok(c) => c,
        Err((e, mut alert)) => {
            let _ = alert.write_all(&mut sock);
            return Err(format!(
                "handshake failed (offered {}): {e}",
                group_list(&offered)
            ));
        }
    };
    while conn.is_handshaking() {
        match conn.complete_io(&mut sock) {
            Ok((0, 0)) if conn.is_handshaking() => {
                return Err("client closed the connection during the handshake".into())
            }
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "handshake failed (offered {}): {e}",
                    group_list(&offered)
                ))
            }
        }
    }
    let served = Served {
        report: ConnectionReport::from_connection(&conn),
        sni,
        offered,
    };
    // Answer an HTTP request (or any line) with the log line; stop on close_notify.
    let line = log_line(&served);
    let mut request = Vec::new();
    {
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        let mut buf = [0u8; 4096];
        loop {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    request.extend_from_slice(&buf[..n]);
                    let reply = if request.windows(4).any(|w| w == b"\r\n\r\n") {
                        let body = format!("{line}\n");
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    } else if request.contains(&b'\n') && !request.starts_with(b"GET ") {
                        format!("{line}\n")
                    } else if request.len() > 65536 {
                        break;
                    } else {
                        continue;
                    };
                    let _ = tls.write_all(reply.as_bytes());
                    break;
                }
            }
        }
    }
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    Ok(served)
}

/// Accepts connections on `listener`, logging each, until `max` connections.
pub fn serve_on(listener: TcpListener, chooser: Arc<Chooser>, max: Option<u64>) -> io::Result<()> {
    let count = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for sock in listener.incoming() {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        let chooser = chooser.clone();
        match sock {
            Ok(sock) => {
                let peer = sock
                    .peer_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|_| "?".into());
                workers.push(std::thread::spawn(move || {
                    let line = match handle(sock, &chooser) {
                        Ok(s) => format!("[#{n}] {peer} {}", log_line(&s)),
                        Err(e) => format!("[#{n}] {peer} error: {e}"),
                    };
                    let mut out = io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                    let _ = out.flush();
                }));
            }
            Err(e) => eprintln!("[#{n}] accept failed: {e}"),
        }
        workers.retain(|w| !w.is_finished());
        if max.is_some_and(|m| n >= m) {
            break;
        }
    }
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

/// `pqhkex serve`.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let identity = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => Identity::load(c, k)?,
        _ => Identity::self_signed()?,
    };
    if let Some(out) = &args.cert_out {
        std::fs::write(out, identity.pem.as_deref().unwrap_or_default())
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", out.display())))?;
    }
    let groups = crate::parse_groups(&args.groups)?;
    let chooser = Arc::new(Chooser::new(
        &identity,
        args.policy.policy(),
        groups,
        args.tls,
    )?);
    let listener = TcpListener::bind((args.bind.as_str(), args.port)).map_err(|e| {
        Failure::Other(format!("cannot listen on {}:{}: {e}", args.bind, args.port))
    })?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(|e| Failure::Other(e.to_string()))?;
    {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "listening on {addr}");
        let _ = out.flush();
    }
    serve_on(listener, chooser, args.max_connections)
        .map_err(|e| Failure::Other(format!("serving: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pem_parses_back() {
        let id = Identity::self_signed().unwrap();
        let pem = id.pem.clone().unwrap();
        let back: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, id.chain);
    }
}
