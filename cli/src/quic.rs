//! `pqhkex connect --quic`: one QUIC handshake (RFC 9000, TLS 1.3 inside QUIC per
//! RFC 9001) with quinn, reported like a TLS `connect`, plus the datagrams and bytes
//! the handshake took each way.
//!
//! quinn does not expose its rustls connection, so the negotiated group is observed
//! from the client's side of the key exchange itself, with [`pqhkex::observe`]: the
//! offered groups are wrapped in an observer of their own for this one connection, which
//! reports the exchange that completed (its group, and whether its share was the one
//! generated after a HelloRetryRequest, RFC 8446 §4.1.4). quinn does not report the
//! cipher suite either.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pqhkex::groups::{self, Group};
use pqhkex::observe::{self, Observation};
use pqhkex_inventory::probe::{self, Recording};
use pqhkex_inventory::Failure;
use quinn::crypto::rustls::QuicClientConfig;
use rustls::crypto::CryptoProvider;

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
    let provider = crate::provider();
    // An observer of its own for this one connection (one per process run): every
    // observation is this handshake's.
    let (observed, observations) = observe::observed_channel(CryptoProvider {
        kx_groups: groups_offered
            .iter()
            .map(|g| pqhkex::rustls::kx_group(g))
            .collect(),
        ..(*provider).clone()
    });
    let config = probe::client_config_kx(
        &provider,
        observed.kx_groups.clone(),
        probe::TLS13,
        verifier.clone(),
    )?;
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
    let completed: Option<Observation> = observations
        .try_iter()
        .filter(|o| o.outcome.is_completed())
        .last();
    let group_code = completed.as_ref().map(Observation::group_code);
    Ok(QuicHandshake {
        group_code,
        group: group_code.and_then(groups::by_code),
        // With one handshake per observer, a share started while another was in flight
        // is the retry, also if rustls's behaviour the observer relies on changed.
        hello_retry_request: completed
            .as_ref()
            .is_some_and(|o| o.hello_retry_request.unwrap_or(o.in_flight_at_start > 0)),
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
