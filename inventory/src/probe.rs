//! One TLS handshake against an endpoint (a "probe"): the client configuration that
//! offers exactly the groups under test, a certificate verifier that records the web
//! PKI verdict (and the chain as served) without enforcing it, and the handshake over a
//! TCP socket under one deadline.
//!
//! **What `timeout` bounds.** Every function here that takes a `timeout` runs the
//! whole exchange under one deadline, `timeout` from the call: connecting, every read
//! and write of the handshake (however the peer trickles its bytes), and the close
//! (which also stops at the peer's close_notify, at EOF, or after [`CLOSE_READ_CAP`]
//! bytes). Name resolution is [`Target::resolve_until`](crate::Target::resolve_until)'s.
//!
//! [`Scanner`](crate::Scanner) is built on these; use them directly to run a
//! handshake of your own (the `pqhkex connect` command does).
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use pqhkex_inventory::{probe, Target};
//!
//! let provider = Arc::new(rustls::crypto::ring::default_provider());
//! let target = Target::parse("example.com:443")?;
//! let roots = probe::root_store(None)?;
//! let verifier = probe::Recording::new(probe::webpki_verifier(roots, &provider)?, true);
//! let groups = [&pqhkex::groups::X25519MLKEM768];
//! let config = probe::client_config(&provider, &groups, probe::versions_for(&groups), verifier.clone())?;
//! let hs = probe::handshake(
//!     &target.input,
//!     target.resolve()?,
//!     target.server_name(None)?,
//!     config,
//!     &verifier,
//!     Duration::from_secs(5),
//! ).map_err(|e| e.failure)?;
//! println!("{}", hs.report);
//! # Ok::<(), pqhkex_inventory::Failure>(())
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pqhkex::{ConnectionReport, Group};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CipherSuite, ClientConfig, ClientConnection, DigitallySignedStruct, HandshakeKind, NamedGroup,
    ProtocolVersion, RootCertStore, SignatureScheme, SupportedProtocolVersion,
};

use crate::deadline::{DeadlineStream, Replay};
use crate::Failure;

/// Loads PEM certificates into a root store; `None` gives the built-in web PKI roots
/// (Mozilla's, from `webpki-roots`).
///
/// ```
/// let roots = pqhkex_inventory::probe::root_store(None)?;
/// assert!(roots.len() > 100);
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn root_store(ca: Option<&Path>) -> Result<RootCertStore, Failure> {
    let mut roots = RootCertStore::empty();
    match ca {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| Failure::Other(format!("cannot read {}: {e}", path.display())))?;
            let (added, _ignored) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(Failure::Other(format!(
                    "{} contains no usable CA certificate",
                    path.display()
                )));
            }
        }
    }
    Ok(roots)
}

/// The web PKI verifier for a root store, with the signature algorithms of `provider`.
///
/// ```
/// use std::sync::Arc;
/// use pqhkex_inventory::probe;
///
/// let provider = Arc::new(rustls::crypto::ring::default_provider());
/// let verifier = probe::webpki_verifier(probe::root_store(None)?, &provider)?;
/// # let _ = verifier;
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, Failure> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Failure::Other(format!("cannot build the certificate verifier: {e}")))
}

/// A certificate verifier that records what the server showed and, unless `enforce`,
/// accepts it anyway: the web PKI verdict on the chain, the chain itself as served
/// (before any verification, so that it is known whatever its algorithms), and the
/// signature scheme of the server's handshake signature with whether it verified.
///
/// With `enforce`, an untrusted certificate or a bad handshake signature fails the
/// handshake, as in any client. Without it (what scans use) the probe is a measurement,
/// not a connection anything is sent over: it also advertises the signature schemes the
/// provider cannot verify (Ed448, ML-DSA-44/65/87 of draft-ietf-tls-mldsa), so that a
/// server whose only certificate uses one still answers, and a signature that cannot be
/// verified is recorded as such instead of hiding the key exchange.
///
/// ```
/// use std::sync::Arc;
/// use pqhkex_inventory::probe::{self, Recording};
///
/// let provider = Arc::new(rustls::crypto::ring::default_provider());
/// let report_only = Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
/// assert_eq!(report_only.verdict(), None); // nothing seen yet
/// assert!(report_only.chain().is_empty());
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
#[derive(Debug)]
pub struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    enforce: bool,
    verdict: Mutex<Option<Result<(), String>>>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
    signature: Mutex<Option<SignatureCheck>>,
    /// Advertise exactly these signature schemes (see [`Recording::asking_for`]).
    only: Option<Vec<SignatureScheme>>,
}

/// The server's handshake signature (TLS 1.3 CertificateVerify, TLS 1.2
/// ServerKeyExchange) as a [`Recording`] verifier saw it.
///
/// ```
/// use pqhkex_inventory::probe::SignatureCheck;
/// let s = SignatureCheck { scheme: rustls::SignatureScheme::ED448, verified: Err("unsupported".into()) };
/// assert!(s.verified.is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureCheck {
    /// The scheme the server signed with.
    pub scheme: SignatureScheme,
    /// Whether the signature verified, or why not (an algorithm the provider does not
    /// implement, a bad signature).
    pub verified: Result<(), String>,
}

/// Signature schemes a non-enforcing [`Recording`] also advertises: servers whose only
/// certificate uses one of them refuse a client that does not list it.
const UNVERIFIED_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ED448,
    SignatureScheme::ML_DSA_44,
    SignatureScheme::ML_DSA_65,
    SignatureScheme::ML_DSA_87,
];

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Recording {
    /// Wraps `inner`; with `enforce` an untrusted certificate or a bad handshake
    /// signature fails the handshake.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pqhkex_inventory::probe::{self, Recording};
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let strict = Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, true);
    /// # let _ = strict;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn new(inner: Arc<WebPkiServerVerifier>, enforce: bool) -> Arc<Self> {
        Arc::new(Recording {
            inner,
            enforce,
            verdict: Mutex::new(None),
            chain: Mutex::new(Vec::new()),
            signature: Mutex::new(None),
            only: None,
        })
    }

    /// A non-enforcing recorder that advertises exactly `schemes` in
    /// `signature_algorithms`: to ask a server that holds several certificates for the
    /// one it would use with a client that accepts only these (for example only the
    /// ML-DSA schemes of draft-ietf-tls-mldsa). A server that signs with another
    /// scheme anyway fails the handshake (rustls refuses a scheme it did not offer).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pqhkex_inventory::probe::{self, Recording};
    /// # use rustls::client::danger::ServerCertVerifier;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let only = [rustls::SignatureScheme::ML_DSA_65];
    /// let r = Recording::asking_for(probe::webpki_verifier(probe::root_store(None)?, &provider)?, &only);
    /// assert_eq!(r.supported_verify_schemes(), only);
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn asking_for(inner: Arc<WebPkiServerVerifier>, schemes: &[SignatureScheme]) -> Arc<Self> {
        Arc::new(Recording {
            inner,
            enforce: false,
            verdict: Mutex::new(None),
            chain: Mutex::new(Vec::new()),
            signature: Mutex::new(None),
            only: Some(schemes.to_vec()),
        })
    }

    /// The recorded verdict, once the certificate was seen: `Ok(())` if it chains to
    /// the roots, else why not.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pqhkex_inventory::probe::{self, Recording};
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let r = Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
    /// assert!(r.verdict().is_none());
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn verdict(&self) -> Option<Result<(), String>> {
        lock(&self.verdict).clone()
    }

    /// The certificate chain as the server sent it (end entity first), recorded before
    /// any verification; empty until the Certificate message was read.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pqhkex_inventory::probe::{self, Recording};
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let r = Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
    /// assert!(r.chain().is_empty());
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        lock(&self.chain).clone()
    }

    /// The server's handshake signature, once it was checked.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pqhkex_inventory::probe::{self, Recording};
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let r = Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
    /// assert!(r.signature().is_none());
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn signature(&self) -> Option<SignatureCheck> {
        lock(&self.signature).clone()
    }

    /// Records a handshake signature check and decides the handshake's fate.
    fn signature_checked(
        &self,
        scheme: SignatureScheme,
        result: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        *lock(&self.signature) = Some(SignatureCheck {
            scheme,
            verified: result.as_ref().map(|_| ()).map_err(|e| {
                if UNVERIFIED_SCHEMES.contains(&scheme) {
                    format!(
                        "{scheme:?} signatures cannot be verified by the probe's provider ({e})"
                    )
                } else {
                    e.to_string()
                }
            }),
        });
        match result {
            Err(e) if self.enforce => Err(e),
            _ => Ok(HandshakeSignatureValid::assertion()),
        }
    }
}

/// Why the certificate was not trusted, as a sentence (pqhkex's wording, e.g. "it was
/// issued by a certificate authority this side does not trust (unknown issuer)") rather
/// than rustls's Rust names; other errors as rustls words them.
fn certificate_error_text(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(c) => pqhkex::policy::describe_certificate_error(c),
        other => other.to_string(),
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *lock(&self.chain) = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        *lock(&self.verdict) = Some(result.as_ref().map(|_| ()).map_err(certificate_error_text));
        match result {
            Err(e) if self.enforce => Err(e),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let result = self.inner.verify_tls12_signature(message, cert, dss);
        self.signature_checked(dss.scheme, result)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let result = self.inner.verify_tls13_signature(message, cert, dss);
        self.signature_checked(dss.scheme, result)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        if let Some(only) = &self.only {
            return only.clone();
        }
        let mut schemes = self.inner.supported_verify_schemes();
        if !self.enforce {
            for s in UNVERIFIED_SCHEMES {
                if !schemes.contains(s) {
                    schemes.push(*s);
                }
            }
        }
        schemes
    }
}

/// TLS 1.3 only.
///
/// ```
/// assert_eq!(pqhkex_inventory::probe::TLS13.len(), 1);
/// ```
pub static TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
/// TLS 1.2 only.
///
/// ```
/// assert_eq!(pqhkex_inventory::probe::TLS12[0].version, rustls::ProtocolVersion::TLSv1_2);
/// ```
pub static TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
/// TLS 1.3 and 1.2.
///
/// ```
/// assert_eq!(pqhkex_inventory::probe::TLS13_AND_12.len(), 2);
/// ```
pub static TLS13_AND_12: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The protocol versions that can use `groups`: TLS 1.3 only unless some group is
/// classical (post-quantum groups are TLS 1.3 only).
///
/// ```
/// use pqhkex::groups::{X25519, X25519MLKEM768};
/// use pqhkex_inventory::probe::{versions_for, TLS13, TLS13_AND_12};
///
/// assert_eq!(versions_for(&[&X25519MLKEM768]).len(), TLS13.len());
/// assert_eq!(versions_for(&[&X25519MLKEM768, &X25519]).len(), TLS13_AND_12.len());
/// ```
pub fn versions_for(groups: &[&Group]) -> &'static [&'static SupportedProtocolVersion] {
    if groups.iter().any(|g| g.tls12_allowed()) {
        TLS13_AND_12
    } else {
        TLS13
    }
}

/// A client configuration on `provider` (its cipher suites, signature checks and RNG)
/// offering exactly `groups`, pqhkex's implementations, in that order (the first one,
/// and for a hybrid its classical component's stand-alone group if listed, get key
/// shares). No session resumption: each probe stands alone.
///
/// ```
/// use std::sync::Arc;
/// use pqhkex_inventory::probe;
///
/// let provider = Arc::new(rustls::crypto::ring::default_provider());
/// let verifier = probe::Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
/// let groups = [&pqhkex::groups::MLKEM1024];
/// let config = probe::client_config(&provider, &groups, probe::TLS13, verifier)?;
/// assert_eq!(config.crypto_provider().kx_groups.len(), 1);
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn client_config(
    provider: &CryptoProvider,
    groups: &[&'static Group],
    versions: &[&'static SupportedProtocolVersion],
    verifier: Arc<Recording>,
) -> Result<Arc<ClientConfig>, Failure> {
    let kx = groups.iter().map(|g| pqhkex::rustls::kx_group(g)).collect();
    client_config_kx(provider, kx, versions, verifier)
}

/// Like [`client_config`], from rustls key-exchange groups (e.g. to put a GREASE group
/// first).
///
/// ```
/// use std::sync::Arc;
/// use pqhkex_inventory::probe;
///
/// let provider = Arc::new(rustls::crypto::ring::default_provider());
/// let verifier = probe::Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
/// let kx = vec![pqhkex::rustls::kx_group(&pqhkex::groups::X25519)];
/// let config = probe::client_config_kx(&provider, kx, probe::TLS13_AND_12, verifier)?;
/// # let _ = config;
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn client_config_kx(
    provider: &CryptoProvider,
    kx_groups: Vec<&'static dyn SupportedKxGroup>,
    versions: &[&'static SupportedProtocolVersion],
    verifier: Arc<Recording>,
) -> Result<Arc<ClientConfig>, Failure> {
    let provider = CryptoProvider {
        kx_groups,
        ..provider.clone()
    };
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // Each probe must stand alone: no session resumption, no remembered group hint.
    config.resumption = Resumption::disabled();
    Ok(Arc::new(config))
}

/// A socket under one deadline that counts the bytes each way, keeps the peer's first
/// bytes (to tell a TLS peer from another), and, if asked, splits the first write (the
/// ClientHello) in two TCP segments.
struct Counted<S = DeadlineStream> {
    sock: S,
    sent: u64,
    received: u64,
    first: [u8; 6],
    split_first_write: Option<Duration>,
}

/// What a probe's bytes travel over: a socket under a deadline, or memory.
trait Transport: Read + Write {
    /// When the exchange must end.
    fn deadline(&self) -> Instant;
}

impl Transport for DeadlineStream {
    fn deadline(&self) -> Instant {
        DeadlineStream::deadline(self)
    }
}

impl Transport for Replay<'_> {
    fn deadline(&self) -> Instant {
        // Memory never blocks: nothing waits for this.
        Instant::now() + Duration::from_secs(3600)
    }
}

impl<S> Counted<S> {
    fn new(sock: S, delivery: Delivery) -> Self {
        Counted {
            sock,
            sent: 0,
            received: 0,
            first: [0; 6],
            split_first_write: match delivery {
                Delivery::Whole => None,
                Delivery::TcpSegments { pause } => Some(pause),
            },
        }
    }

    /// Whether the peer's first bytes are what a TLS server sends first (RFC 8446 §5.1):
    /// an alert record (content type 21), or a handshake record (22) whose first
    /// message is a ServerHello or HelloRetryRequest (handshake type 2, §4), with legacy
    /// version 3.x. An HTTP or SSH server's answer never starts so, and neither does an
    /// echo of our own ClientHello (handshake type 1).
    fn looks_like_tls(&self) -> bool {
        let record = self.received >= 3 && self.first[1] == 3;
        match self.first[0] {
            21 => record,
            22 => record && self.received >= 6 && self.first[5] == 2,
            _ => false,
        }
    }
}

impl<S: Transport> Read for Counted<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        let already = usize::try_from(self.received).unwrap_or(usize::MAX);
        for (i, b) in buf[..n].iter().enumerate() {
            if let Some(slot) = self.first.get_mut(already.saturating_add(i)) {
                *slot = *b;
            }
        }
        self.received += n as u64;
        Ok(n)
    }
}

impl<S: Transport> Write for Counted<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match self.split_first_write.take() {
            // Half of the first flight now (TCP_NODELAY is set, so it leaves as its own
            // segment), the rest after the pause: rustls writes the remainder next.
            Some(pause) if buf.len() > 1 => {
                let n = self.sock.write(&buf[..buf.len() / 2])?;
                self.sock.flush()?;
                std::thread::sleep(
                    pause.min(
                        self.sock
                            .deadline()
                            .saturating_duration_since(Instant::now()),
                    ),
                );
                n
            }
            _ => self.sock.write(buf)?,
        };
        self.sent += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// What one successful handshake showed.
///
/// ```no_run
/// # fn show(hs: pqhkex_inventory::probe::Handshake) {
/// println!("{} in {:?}, certificate {:?}, {} certificates", hs.report, hs.elapsed, hs.certificate, hs.chain.len());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Handshake {
    /// The negotiated group, protocol version and cipher suite.
    pub report: ConnectionReport,
    /// Subject of the peer's end-entity certificate (RFC 4514-style), if parsable.
    pub subject: Option<String>,
    /// Issuer of the peer's end-entity certificate.
    pub issuer: Option<String>,
    /// The web PKI verdict on the certificate (see [`Recording::verdict`]).
    pub certificate: Option<Result<(), String>>,
    /// The TLS group of the curve of the end-entity certificate's key, for an ECDSA
    /// key on P-256 or P-384 (`None` for other keys): a TLS 1.2 server can only use it
    /// with a client that lists that curve in supported_groups (RFC 8422 §5.1.1, §5.3).
    pub certificate_curve: Option<&'static Group>,
    /// The certificate chain as served, end entity first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The server's handshake signature and whether it verified.
    pub signature: Option<SignatureCheck>,
    /// From connecting to the end of the handshake.
    pub elapsed: Duration,
}

/// How [`handshake_with`] writes the ClientHello.
///
/// ```
/// use std::time::Duration;
/// use pqhkex_inventory::probe::Delivery;
///
/// let split = Delivery::TcpSegments { pause: Duration::from_millis(50) };
/// assert_ne!(split, Delivery::Whole);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// In one write, as every client does.
    Whole,
    /// In two TCP segments (half of the first flight, then the rest after `pause`),
    /// as a large post-quantum ClientHello arrives on a path with a small MTU. A server
    /// or middlebox that handles only a ClientHello read in one piece fails it.
    TcpSegments {
        /// The pause between the two segments.
        pause: Duration,
    },
}

/// What a failed handshake had already established when it failed: the evidence a
/// probe keeps (a ServerHello that chose a group is the key-exchange answer, whatever
/// goes wrong after it).
///
/// ```
/// let nothing = pqhkex_inventory::probe::Learnt::default();
/// assert!(!nothing.spoke_tls && nothing.group.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Learnt {
    /// The protocol version of a ServerHello or HelloRetryRequest the client accepted.
    pub protocol_version: Option<ProtocolVersion>,
    /// The group of the key share the server sent and the client took up (TLS 1.3
    /// ServerHello, TLS 1.2 ServerKeyExchange).
    pub group: Option<NamedGroup>,
    /// A valid HelloRetryRequest was read.
    pub hello_retry_request: bool,
    /// The cipher suite chosen.
    pub cipher_suite: Option<CipherSuite>,
    /// The peer sent something only a TLS server sends: a TLS record header first, or
    /// a ServerHello or HelloRetryRequest the client accepted.
    pub spoke_tls: bool,
    /// The peer ended the connection (end of stream, a close_notify, or a reset)
    /// before any ServerHello or HelloRetryRequest, without a fatal alert: how some
    /// servers (s2n-tls among them) turn down a ClientHello. On its own this proves
    /// nothing; a scan confirms it with a control handshake.
    pub closed_unanswered: bool,
}

impl Learnt {
    fn from_connection<S>(conn: &ClientConnection, io: &Counted<S>) -> Self {
        let protocol_version = conn.protocol_version();
        let hello_retry_request =
            conn.handshake_kind() == Some(HandshakeKind::FullWithHelloRetryRequest);
        Learnt {
            protocol_version,
            group: conn.negotiated_key_exchange_group().map(|g| g.name()),
            hello_retry_request,
            cipher_suite: conn.negotiated_cipher_suite().map(|s| s.suite()),
            spoke_tls: io.looks_like_tls() || protocol_version.is_some() || hello_retry_request,
            closed_unanswered: false,
        }
    }
}

/// A failed handshake: its classification, the TLS error if rustls raised it, and what
/// the handshake had already established.
///
/// ```
/// use pqhkex_inventory::{probe::ProbeError, Failure};
///
/// let e = ProbeError::from(Failure::Timeout("slow".into()));
/// assert!(e.tls.is_none() && !e.learnt.spoke_tls);
/// ```
#[derive(Debug)]
pub struct ProbeError {
    /// What went wrong, classified.
    pub failure: Failure,
    /// The rustls error behind it, if any (to explain a policy refusal, for example).
    pub tls: Option<rustls::Error>,
    /// What the handshake had established before it failed.
    pub learnt: Learnt,
}

impl From<Failure> for ProbeError {
    fn from(failure: Failure) -> Self {
        ProbeError {
            failure,
            tls: None,
            learnt: Learnt::default(),
        }
    }
}

/// Connects to `addr` and runs one TLS handshake with `config`, then closes cleanly
/// (close_notify both ways). `label` names the target in error messages; `timeout`
/// bounds the whole exchange (see the module documentation). Same as
/// [`handshake_with`] and [`Delivery::Whole`].
///
/// ```no_run
/// # use std::sync::Arc;
/// # use std::time::Duration;
/// # use pqhkex_inventory::{probe, Target};
/// # let provider = Arc::new(rustls::crypto::ring::default_provider());
/// # let verifier = probe::Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
/// # let config = probe::client_config(&provider, &[&pqhkex::groups::X25519MLKEM768], probe::TLS13, verifier.clone())?;
/// let t = Target::parse("example.com")?;
/// match probe::handshake(&t.input, t.resolve()?, t.server_name(None)?, config, &verifier, Duration::from_secs(5)) {
///     Ok(hs) => println!("post-quantum: {}", hs.report.post_quantum),
///     Err(e) => println!("{} (exit code {})", e.failure, e.failure.exit_code()),
/// }
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn handshake(
    label: &str,
    addr: SocketAddr,
    server_name: ServerName<'static>,
    config: Arc<ClientConfig>,
    verifier: &Recording,
    timeout: Duration,
) -> Result<Handshake, ProbeError> {
    handshake_with(
        label,
        addr,
        server_name,
        config,
        verifier,
        timeout,
        Delivery::Whole,
    )
}

/// [`handshake`], with the ClientHello written as `delivery` says. (To fragment it
/// across TLS records instead, set the configuration's `max_fragment_size`.)
///
/// ```no_run
/// # use std::sync::Arc;
/// # use std::time::Duration;
/// # use pqhkex_inventory::{probe::{self, Delivery}, Target};
/// # let provider = Arc::new(rustls::crypto::ring::default_provider());
/// # let verifier = probe::Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
/// # let config = probe::client_config(&provider, &[&pqhkex::groups::X25519MLKEM768], probe::TLS13, verifier.clone())?;
/// let t = Target::parse("example.com")?;
/// let split = Delivery::TcpSegments { pause: Duration::from_millis(50) };
/// let ok = probe::handshake_with(&t.input, t.resolve()?, t.server_name(None)?, config, &verifier, Duration::from_secs(5), split).is_ok();
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn handshake_with(
    label: &str,
    addr: SocketAddr,
    server_name: ServerName<'static>,
    config: Arc<ClientConfig>,
    verifier: &Recording,
    timeout: Duration,
    delivery: Delivery,
) -> Result<Handshake, ProbeError> {
    let connected = connect(label, addr, server_name, config, timeout, delivery)?;
    let report = ConnectionReport::from_connection(&connected.conn);
    let (subject, issuer, certificate_curve) = connected
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|der| names(der))
        .unwrap_or((None, None, None));
    let elapsed = connected.elapsed;
    connected.close(CLOSE_WAIT);
    Ok(Handshake {
        report,
        subject,
        issuer,
        certificate: verifier.verdict(),
        certificate_curve,
        chain: verifier.chain(),
        signature: verifier.signature(),
        elapsed,
    })
}

/// How long [`handshake_with`] waits for the server's close_notify at most (within the
/// probe's deadline).
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The most [`Connected::close`] reads from the server after sending close_notify
/// (session tickets and the server's close_notify are far smaller): a server that
/// streams data after the handshake is cut off here.
///
/// ```
/// assert_eq!(pqhkex_inventory::probe::CLOSE_READ_CAP, 64 * 1024);
/// ```
pub const CLOSE_READ_CAP: u64 = 64 * 1024;

/// A TLS client connection whose handshake has completed, still open: what
/// [`connect`] returns, for callers that want the rustls connection itself (to time
/// handshakes, count bytes, read the handshake kind, or send data) rather than the
/// summary [`handshake_with`] makes of it. Its socket keeps the deadline `connect` was
/// given.
///
/// ```no_run
/// # use std::time::Duration;
/// # fn show(c: pqhkex_inventory::probe::Connected) {
/// println!("{:?} in {:?}, {} bytes out, {} in", c.conn.handshake_kind(), c.elapsed, c.bytes_sent(), c.bytes_received());
/// c.close(Duration::from_secs(1));
/// # }
/// ```
pub struct Connected {
    /// The rustls connection, handshake done: negotiated group, version, suite, the
    /// peer's certificates and the handshake kind (full, HelloRetryRequest, resumed).
    pub conn: ClientConnection,
    /// From the start of `connect()` to the end of the handshake.
    pub elapsed: Duration,
    io: Counted,
}

impl Connected {
    /// TLS bytes written to the socket so far (the client's whole flight during the
    /// handshake).
    ///
    /// ```no_run
    /// # fn f(c: &pqhkex_inventory::probe::Connected) {
    /// assert!(c.bytes_sent() > 0);
    /// # }
    /// ```
    pub fn bytes_sent(&self) -> u64 {
        self.io.sent
    }

    /// TLS bytes read from the socket so far.
    ///
    /// ```no_run
    /// # fn f(c: &pqhkex_inventory::probe::Connected) {
    /// assert!(c.bytes_received() > 0);
    /// # }
    /// ```
    pub fn bytes_received(&self) -> u64 {
        self.io.received
    }

    /// Closes cleanly, so that the server sees a complete connection: sends
    /// close_notify, then reads (session tickets, the server's close_notify) until the
    /// first of: the server's close_notify, EOF, application data (a server that
    /// streams does not stop because the client asked), [`CLOSE_READ_CAP`] bytes,
    /// `wait` elapsed, or the deadline of [`connect`].
    ///
    /// ```no_run
    /// # fn f(c: pqhkex_inventory::probe::Connected) {
    /// c.close(std::time::Duration::from_millis(500));
    /// # }
    /// ```
    pub fn close(mut self, wait: Duration) {
        let until = self.io.sock.deadline().min(Instant::now() + wait);
        self.io.sock.set_deadline(until);
        self.conn.send_close_notify();
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut self.io).is_err() {
                return;
            }
        }
        let start = self.io.received;
        let mut sink = [0u8; 4096];
        while self.io.received - start < CLOSE_READ_CAP {
            match self.conn.read_tls(&mut self.io) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let Ok(state) = self.conn.process_new_packets() else {
                return;
            };
            // Application data: the server is not closing (a stream); nothing more to
            // wait for.
            if state.peer_has_closed()
                || matches!(self.conn.reader().read(&mut sink), Ok(n) if n > 0)
            {
                return;
            }
        }
    }
}

impl fmt::Debug for Connected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connected")
            .field("elapsed", &self.elapsed)
            .field("bytes_sent", &self.io.sent)
            .field("bytes_received", &self.io.received)
            .finish_non_exhaustive()
    }
}

/// Connects to `addr` and runs one TLS handshake with `config`, the ClientHello
/// written as `delivery` says, and returns the open connection. `label` names the
/// target in error messages; `timeout` is the deadline of the whole exchange from now
/// (connecting, every read and write, and a later [`Connected::close`]).
/// [`handshake_with`] is this plus the report and a clean close.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use std::time::Duration;
/// # use pqhkex_inventory::{probe::{self, Delivery}, Target};
/// # let provider = Arc::new(rustls::crypto::ring::default_provider());
/// # let verifier = probe::Recording::new(probe::webpki_verifier(probe::root_store(None)?, &provider)?, false);
/// # let config = probe::client_config(&provider, &[&pqhkex::groups::X25519MLKEM768], probe::TLS13, verifier.clone())?;
/// let t = Target::parse("example.com")?;
/// let c = probe::connect(&t.input, t.resolve()?, t.server_name(None)?, config, Duration::from_secs(5), Delivery::Whole)
///     .map_err(|e| e.failure)?;
/// println!("{} bytes for the client's flight", c.bytes_sent());
/// c.close(Duration::from_secs(1));
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn connect(
    label: &str,
    addr: SocketAddr,
    server_name: ServerName<'static>,
    config: Arc<ClientConfig>,
    timeout: Duration,
    delivery: Delivery,
) -> Result<Connected, ProbeError> {
    let started = Instant::now();
    let sock = DeadlineStream::connect(addr, started + timeout)
        .map_err(|e| Failure::from_connect(label, &e))?;
    let mut conn = ClientConnection::new(config, server_name)
        .map_err(|e| Failure::Other(format!("cannot start the TLS client: {e}")))?;
    let mut io = Counted::new(sock, delivery);
    drive(label, &mut conn, &mut io)?;
    Ok(Connected {
        conn,
        elapsed: started.elapsed(),
        io,
    })
}

/// Runs the handshake of `conn` over `io` to its end; a failure is classified with
/// what the handshake had established.
fn drive<S: Transport>(
    label: &str,
    conn: &mut ClientConnection,
    io: &mut Counted<S>,
) -> Result<(), ProbeError> {
    while conn.is_handshaking() {
        let failed = match conn.complete_io(io) {
            Ok((0, 0)) if conn.is_handshaking() => {
                Some(io::Error::from(io::ErrorKind::UnexpectedEof))
            }
            Ok(_) => None,
            Err(e) => Some(e),
        };
        if let Some(e) = failed {
            let mut learnt = Learnt::from_connection(conn, io);
            let tls_error = e.get_ref().is_some_and(|i| i.is::<rustls::Error>());
            learnt.closed_unanswered = !tls_error
                && learnt.protocol_version.is_none()
                && !learnt.hello_retry_request
                && matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                );
            return Err(ProbeError {
                failure: Failure::from_handshake_after(label, &e, io.received, learnt.spoke_tls),
                tls: e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<rustls::Error>())
                    .cloned(),
                learnt,
            });
        }
    }
    Ok(())
}

/// Runs a client handshake with `config` against `server` (everything the server would
/// send, in order), over memory, and returns what the handshake established or how it
/// failed: the scanner's reading of a server's first flight (record layer, ServerHello
/// or HelloRetryRequest, alerts), without a socket. For fuzzing.
///
/// [`Scanner::classify_first_flight`](crate::Scanner::classify_first_flight) runs it
/// with the scanner's browser-like offer.
#[doc(hidden)]
pub fn replay_first_flight(config: Arc<ClientConfig>, server: &[u8]) -> Result<Learnt, ProbeError> {
    let name = ServerName::try_from("server.example").expect("a valid name");
    let mut conn = ClientConnection::new(config, name)
        .map_err(|e| Failure::Other(format!("cannot start the TLS client: {e}")))?;
    let mut io = Counted::new(Replay { peer: server }, Delivery::Whole);
    drive("replay", &mut conn, &mut io)?;
    Ok(Learnt::from_connection(&conn, &io))
}

/// Subject and issuer (RFC 4514-style) of a DER certificate, `None` where it does not
/// parse: what [`Handshake`] reports, for callers that get certificates elsewhere (a
/// QUIC connection, say).
///
/// ```
/// let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let (subject, issuer) = pqhkex_inventory::probe::certificate_names(cert.cert.der());
/// assert_eq!(subject.as_deref(), Some("CN=rcgen self signed cert"));
/// assert_eq!(subject, issuer);
/// ```
pub fn certificate_names(der: &CertificateDer<'_>) -> (Option<String>, Option<String>) {
    let (subject, issuer, _) = names(der);
    (subject, issuer)
}

/// Subject, issuer and (for an ECDSA key on P-256 or P-384) key curve of a DER
/// certificate.
fn names(der: &CertificateDer<'_>) -> (Option<String>, Option<String>, Option<&'static Group>) {
    use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384};
    match x509_parser::parse_x509_certificate(der.as_ref()) {
        Ok((_, cert)) => {
            let spki = cert.public_key();
            let curve = (spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY)
                .then(|| spki.algorithm.parameters.as_ref()?.as_oid().ok())
                .flatten()
                .and_then(|oid| {
                    if oid == OID_EC_P256 {
                        Some(&pqhkex::groups::SECP256R1)
                    } else if oid == OID_NIST_EC_P384 {
                        Some(&pqhkex::groups::SECP384R1)
                    } else {
                        None
                    }
                });
            (
                Some(cert.subject().to_string()),
                Some(cert.issuer().to_string()),
                curve,
            )
        }
        Err(_) => (None, None, None),
    }
}

/// A protocol version as people write it (`TLS 1.3`), the inverse of
/// [`parse_version`].
///
/// ```
/// use pqhkex_inventory::probe::version_name;
///
/// assert_eq!(version_name(rustls::ProtocolVersion::TLSv1_3), "TLS 1.3");
/// ```
pub fn version_name(v: ProtocolVersion) -> String {
    match v {
        ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        other => format!("{other:?}"),
    }
}

/// The protocol version [`version_name`] names (TLS 1.2 and 1.3; `None` otherwise).
///
/// ```
/// use pqhkex_inventory::probe::parse_version;
///
/// assert_eq!(parse_version("TLS 1.2"), Some(rustls::ProtocolVersion::TLSv1_2));
/// assert_eq!(parse_version("SSLv3"), None);
/// ```
pub fn parse_version(name: &str) -> Option<ProtocolVersion> {
    match name {
        "TLS 1.3" => Some(ProtocolVersion::TLSv1_3),
        "TLS 1.2" => Some(ProtocolVersion::TLSv1_2),
        _ => None,
    }
}

/// A cipher suite's IANA name (rustls spells TLS 1.3 suites `TLS13_…`).
///
/// ```
/// use pqhkex_inventory::probe::suite_name;
///
/// assert_eq!(suite_name(rustls::CipherSuite::TLS13_AES_128_GCM_SHA256), "TLS_AES_128_GCM_SHA256");
/// ```
pub fn suite_name(s: rustls::CipherSuite) -> String {
    let name = format!("{s:?}");
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// The cipher suites a probe can negotiate with rustls's providers (every TLS 1.3
/// suite and the TLS 1.2 ECDHE suites), for [`parse_suite`].
const KNOWN_SUITES: &[rustls::CipherSuite] = {
    use rustls::CipherSuite as C;
    &[
        C::TLS13_AES_128_GCM_SHA256,
        C::TLS13_AES_256_GCM_SHA384,
        C::TLS13_CHACHA20_POLY1305_SHA256,
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
};

/// The cipher suite [`suite_name`] names, among those a probe can negotiate.
///
/// ```
/// use pqhkex_inventory::probe::parse_suite;
///
/// let s = parse_suite("TLS_AES_256_GCM_SHA384").unwrap();
/// assert_eq!(u16::from(s), 0x1302);
/// assert!(parse_suite("TLS_NULL_WITH_NULL_NULL").is_none());
/// ```
pub fn parse_suite(name: &str) -> Option<rustls::CipherSuite> {
    KNOWN_SUITES
        .iter()
        .copied()
        .find(|s| suite_name(*s) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in KNOWN_SUITES {
            assert_eq!(parse_suite(&suite_name(*s)), Some(*s));
        }
        for v in [ProtocolVersion::TLSv1_2, ProtocolVersion::TLSv1_3] {
            assert_eq!(parse_version(&version_name(v)), Some(v));
        }
    }

    /// Every suite rustls's providers can negotiate has a name [`parse_suite`] knows.
    #[test]
    fn every_provider_suite_is_known() {
        for s in rustls::crypto::ring::default_provider().cipher_suites {
            assert!(parse_suite(&suite_name(s.suite())).is_some(), "{s:?}");
        }
    }
}
