//! `pqhkex connect --quic`: one QUIC handshake (RFC 9000, TLS 1.3 inside QUIC per
//! RFC 9001) with quinn, reported like a TLS `connect`, plus the datagrams and bytes
//! the handshake took each way.
//!
//! quinn does not expose its rustls connection, so the negotiated group is observed
//! from the client's side of the key exchange itself: every offered group is wrapped
//! in [`Observed`], which records the groups whose key shares rustls generated and the
//! one whose exchange it completed. A second generated share means the server sent a
//! HelloRetryRequest (RFC 8446 §4.1.4). quinn does not report the cipher suite either.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pqhkex::groups::{self, Group};
use pqhkex_inventory::probe::{self, Recording};
use pqhkex_inventory::Failure;
use quinn::crypto::rustls::QuicClientConfig;
use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{NamedGroup, ProtocolVersion};

/// What the key exchange of one connection did, from the client's side.
#[derive(Debug, Default)]
struct KxLog {
    /// Groups whose key share rustls generated, in order: the first ClientHello's, then
    /// the one a HelloRetryRequest asked for.
    started: Vec<NamedGroup>,
    /// The group whose exchange completed (for a hybrid's classical component sent
    /// alongside, RFC 10024 §4 / draft-ietf-tls-hybrid-design §3.2, that component).
    completed: Option<NamedGroup>,
}

/// A rustls key-exchange group that records its use in a shared [`KxLog`].
#[derive(Debug)]
struct Observed {
    inner: &'static dyn SupportedKxGroup,
    log: Arc<Mutex<KxLog>>,
}

impl Observed {
    /// Wraps `group`. rustls keeps `&'static` groups in its provider, so the wrapper is
    /// leaked: `connect` makes one per offered group, once per process.
    fn leak(group: &'static Group, log: &Arc<Mutex<KxLog>>) -> &'static dyn SupportedKxGroup {
        Box::leak(Box::new(Observed {
            inner: pqhkex::rustls::kx_group(group),
            log: log.clone(),
        }))
    }
}

fn record(log: &Mutex<KxLog>, f: impl FnOnce(&mut KxLog)) {
    if let Ok(mut l) = log.lock() {
        f(&mut l);
    }
}

impl SupportedKxGroup for Observed {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let inner = self.inner.start()?;
        record(&self.log, |l| l.started.push(self.inner.name()));
        Ok(Box::new(ObservedActive {
            inner,
            log: self.log.clone(),
        }))
    }

    fn name(&self) -> NamedGroup {
        self.inner.name()
    }

    fn fips(&self) -> bool {
        self.inner.fips()
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        self.inner.usable_for_version(version)
    }
}

/// A key exchange in progress, recording which group completes.
struct ObservedActive {
    inner: Box<dyn ActiveKeyExchange>,
    log: Arc<Mutex<KxLog>>,
}

impl ActiveKeyExchange for ObservedActive {
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, rustls::Error> {
        record(&self.log, |l| l.completed = Some(self.inner.group()));
        self.inner.complete(peer_pub_key)
    }

    fn complete_for_tls_version(
        self: Box<Self>,
        peer_pub_key: &[u8],
        tls_version: &rustls::SupportedProtocolVersion,
    ) -> Result<SharedSecret, rustls::Error> {
        record(&self.log, |l| l.completed = Some(self.inner.group()));
        self.inner
            .complete_for_tls_version(peer_pub_key, tls_version)
    }

    fn hybrid_component(&self) -> Option<(NamedGroup, &[u8])> {
        self.inner.hybrid_component()
    }

    fn complete_hybrid_component(
        self: Box<Self>,
        peer_pub_key: &[u8],
    ) -> Result<SharedSecret, rustls::Error> {
        if let Some((component, _)) = self.inner.hybrid_component() {
            record(&self.log, |l| l.completed = Some(component));
        }
        self.inner.complete_hybrid_component(peer_pub_key)
    }

    fn pub_key(&self) -> &[u8] {
        self.inner.pub_key()
    }

    fn group(&self) -> NamedGroup {
        self.inner.group()
    }
}

/// One completed QUIC handshake.
#[derive(Debug)]
pub struct QuicHandshake {
    /// The negotiated group's codepoint, as observed on the client.
    pub group_code: Option<u16>,
    /// The negotiated group, if pqhkex knows it.
    pub group: Option<&'static Group>,
    /// Whether the server sent a HelloRetryRequest.
    pub hello_retry_request: bool,
    /// The application protocol the server chose (ALPN).
    pub alpn: Option<String>,
    /// Subject of the server's end-entity certificate.
    pub subject: Option<String>,
    /// Issuer of the server's end-entity certificate.
    pub issuer: Option<String>,
    /// The certificate verdict (checked but, with `--insecure`, not enforced).
    pub certificate: Option<Result<(), String>>,
    /// From the first datagram to the end of the handshake.
    pub elapsed: Duration,
    /// UDP datagrams sent by the client during the handshake.
    pub sent_datagrams: u64,
    /// UDP bytes sent by the client during the handshake.
    pub sent_bytes: u64,
    /// UDP datagrams received by the client during the handshake.
    pub received_datagrams: u64,
    /// UDP bytes received by the client during the handshake.
    pub received_bytes: u64,
}

/// Connects over QUIC to `addr`, offering `groups` (TLS 1.3 only, as QUIC requires:
/// RFC 9001 §4.2) and `alpn`, and closes right after the handshake.
#[allow(clippy::too_many_arguments)]
pub fn handshake(
    label: &str,
    addr: SocketAddr,
    server_name: &str,
    groups_offered: &[&'static Group],
    alpn: &[String],
    verifier: Arc<Recording>,
    enforce: bool,
    timeout: Duration,
) -> Result<QuicHandshake, Failure> {
    let log = Arc::new(Mutex::new(KxLog::default()));
    let kx = groups_offered
        .iter()
        .map(|g| Observed::leak(g, &log))
        .collect();
    let provider = crate::provider();
    let config = probe::client_config_kx(&provider, kx, probe::TLS13, verifier.clone())?;
    let mut config = Arc::unwrap_or_clone(config);
    config.alpn_protocols = alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
    let crypto = QuicClientConfig::try_from(config)
        .map_err(|e| Failure::Other(format!("QUIC client configuration: {e}")))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start the QUIC runtime: {e}")))?;
    let started = Instant::now();
    let result = runtime.block_on(async {
        let bind: SocketAddr = if addr.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let mut endpoint = quinn::Endpoint::client(bind)
            .map_err(|e| Failure::Other(format!("cannot open a UDP socket: {e}")))?;
        endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
        let connecting = endpoint
            .connect(addr, server_name)
            .map_err(|e| Failure::Usage(format!("{label}: {e}")))?;
        let conn = match tokio::time::timeout(timeout, connecting).await {
            Err(_) => {
                return Err(Failure::Timeout(format!(
                    "{label}: no QUIC handshake within {:.1} s (nothing listening on UDP, or \
                     the server does not speak QUIC)",
                    timeout.as_secs_f64()
                )))
            }
            Ok(Err(e)) => return Err(connection_failure(label, &e, &verifier, enforce)),
            Ok(Ok(conn)) => conn,
        };
        let elapsed = started.elapsed();
        let stats = conn.stats();
        let alpn = conn
            .handshake_data()
            .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
            .and_then(|d| d.protocol)
            .map(|p| String::from_utf8_lossy(&p).into_owned());
        let certs = conn.peer_identity().and_then(|i| {
            i.downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
                .ok()
        });
        let (subject, issuer) = certs
            .as_ref()
            .and_then(|c| c.first())
            .map(probe::certificate_names)
            .unwrap_or((None, None));
        conn.close(0u32.into(), b"pqhkex connect: done");
        let _ = tokio::time::timeout(Duration::from_secs(1), endpoint.wait_idle()).await;
        Ok((elapsed, stats, alpn, subject, issuer))
    });
    let (elapsed, stats, alpn, subject, issuer) = result?;
    let log = log
        .lock()
        .map_err(|_| Failure::Other("key-exchange log poisoned".into()))?;
    let group_code = log.completed.map(u16::from);
    Ok(QuicHandshake {
        group_code,
        group: group_code.and_then(groups::by_code),
        hello_retry_request: log.started.len() > 1,
        alpn,
        subject,
        issuer,
        certificate: verifier.verdict(),
        elapsed,
        sent_datagrams: stats.udp_tx.datagrams,
        sent_bytes: stats.udp_tx.bytes,
        received_datagrams: stats.udp_rx.datagrams,
        received_bytes: stats.udp_rx.bytes,
    })
}

/// A failed QUIC handshake as a [`Failure`]: TLS alerts travel as CRYPTO_ERROR
/// transport errors, 0x0100 + the alert (RFC 9001 §4.8).
fn connection_failure(
    label: &str,
    e: &quinn::ConnectionError,
    verifier: &Recording,
    enforce: bool,
) -> Failure {
    if enforce {
        if let Some(Err(why)) = verifier.verdict() {
            return Failure::Certificate(format!("{label}: {why}"));
        }
    }
    match e {
        quinn::ConnectionError::TimedOut => Failure::Timeout(format!(
            "{label}: the QUIC handshake timed out (nothing listening on UDP, or the server \
             does not speak QUIC)"
        )),
        quinn::ConnectionError::ConnectionClosed(c) => {
            let code = u64::from(c.error_code);
            match code.checked_sub(0x100).filter(|a| *a < 0x100) {
                Some(alert) => Failure::Handshake(format!(
                    "{label}: the server closed the connection with TLS alert {} ({alert}){}",
                    alert_name(alert as u8),
                    if alert == 40 {
                        ": no group (or other parameter) in common"
                    } else {
                        ""
                    }
                )),
                None => {
                    Failure::Handshake(format!("{label}: the server closed the connection: {c}"))
                }
            }
        }
        quinn::ConnectionError::TransportError(t) => {
            Failure::Handshake(format!("{label}: QUIC handshake failed: {t}"))
        }
        other => Failure::Handshake(format!("{label}: QUIC handshake failed: {other}")),
    }
}

/// The names of the TLS alerts a handshake ends with (RFC 8446 §6).
fn alert_name(alert: u8) -> &'static str {
    match alert {
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        80 => "internal_error",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        120 => "no_application_protocol",
        _ => "alert",
    }
}
