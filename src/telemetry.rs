//! Telemetry for any rustls server (feature `telemetry`): which of your clients can do
//! post-quantum, what they negotiate, and what would break if you required it.
//!
//! Per connection, a [`Recorder`] reads the client's post-quantum readiness from its
//! ClientHello ([`Readiness`]), then the handshake's outcome — the negotiated group,
//! whether a HelloRetryRequest was needed, or why it failed — and records them through
//! the [`metrics`] crate's facade, so whatever exporter your process already installs
//! (Prometheus, StatsD, OpenTelemetry, …) publishes them:
//!
//! | metric | kind | labels | what |
//! |---|---|---|---|
//! | `pqhkex_client_hellos_total` | counter | `readiness` | ClientHellos received |
//! | `pqhkex_handshakes_total` | counter | `group`, `readiness`, `hrr` | handshakes completed |
//! | `pqhkex_handshake_failures_total` | counter | `reason`, `readiness` | handshakes that failed after the ClientHello |
//! | `pqhkex_handshake_duration_seconds` | histogram | `group`, `readiness` | from the ClientHello to the end of the handshake |
//!
//! * `readiness` is [`Readiness::label`]: `pq_key_share` (the client sent a post-quantum
//!   key share), `pq_listed` (it lists a post-quantum group in `supported_groups` but
//!   sent no share for one: a server that picks it answers with a HelloRetryRequest),
//!   `classical` (TLS 1.3, no post-quantum group), `tls12_only` (no TLS 1.3 in
//!   `supported_versions`), or `unknown` (the ClientHello bytes could not be read).
//! * `group` is the negotiated group's IANA name (`X25519MLKEM768`, `x25519`, or the
//!   codepoint as `0x….` for a group pqhkex does not know), or `none` for a resumed
//!   TLS 1.2 session (an abbreviated handshake has no key exchange).
//! * `hrr` is `true` or `false`: whether the server sent a HelloRetryRequest.
//! * `reason` is [`failure_reason`]: the alert received (`alert_received_unknown_ca`),
//!   rustls's error kind (`peer_incompatible_no_kx_groups_in_common`), the policy's
//!   refusal (`no_post_quantum_group`), an I/O end (`timeout`, `connection_closed`), or
//!   `abandoned` (a [`Handshake`] dropped without an outcome). Every label has a small
//!   fixed set of values: no client-chosen text ends up in a label.
//!
//! Every ClientHello is counted once in `pqhkex_client_hellos_total` and ends in exactly
//! one of `pqhkex_handshakes_total` or `pqhkex_handshake_failures_total`, so per
//! readiness class the first is the sum of the other two (once the handshakes in
//! progress are done).
//!
//! # What would break if I required post-quantum?
//!
//! The post-quantum groups of the readiness classes are those of the policy the
//! recorder was made for: [`Recorder::new`] uses [`Policy::RequirePostQuantum`]'s. A
//! client is `classical` or `tls12_only` exactly when its ClientHello lists no group of
//! that policy, or no TLS 1.3; those are exactly the clients that
//! [`PqServerConfigs`] under that policy refuses (RFC 8446 §4.1.1: no group in common,
//! or §4.2.1: no TLS 1.3). Over a day, the share of clients that would break:
//!
//! ```text
//! sum(increase(pqhkex_client_hellos_total{readiness=~"classical|tls12_only"}[1d]))
//!   / sum(increase(pqhkex_client_hellos_total[1d]))
//! ```
//!
//! and the share that already sends a post-quantum key share (no extra round trip):
//! `sum(increase(pqhkex_client_hellos_total{readiness="pq_key_share"}[1d])) /
//! sum(increase(pqhkex_client_hellos_total[1d]))`.
//!
//! # Where the key shares come from
//!
//! rustls's [`ClientHello`] (from [`rustls::server::Acceptor`] or tokio-rustls's
//! `LazyConfigAcceptor`) tells the groups a client lists, but not the groups of its key
//! shares nor its `supported_versions`. So the recorder reads the ClientHello's bytes
//! itself ([`ClientHelloInfo::from_records`], a bounded parser that checks every length
//! and never panics): keep a copy of the bytes you feed rustls, with a
//! [`Recording`] reader around your socket (blocking I/O) or a [`HelloCapture`] your own
//! async reader feeds.
//!
//! # A blocking server: `rustls::server::Acceptor`
//!
//! ```
//! use std::sync::Arc;
//! use pqhkex::telemetry::{Recorder, Recording};
//! # let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
//! # let der = rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap();
//! let config = Arc::new(
//!     pqhkex::server_config_builder(rustls::crypto::ring::default_provider(), pqhkex::Policy::PreferPostQuantum)
//!         .unwrap().with_no_client_auth().with_single_cert(vec![key.cert.der().clone()], der).unwrap(),
//! );
//! let recorder = Recorder::new();
//! # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! # let addr = listener.local_addr().unwrap();
//! # let client = std::thread::spawn(move || {
//! #     let mut roots = rustls::RootCertStore::empty();
//! #     roots.add(key.cert.der().clone()).unwrap();
//! #     let cfg = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), pqhkex::Policy::PreferPostQuantum)
//! #         .unwrap().with_root_certificates(roots).with_no_client_auth();
//! #     let mut conn = rustls::ClientConnection::new(Arc::new(cfg), "localhost".try_into().unwrap()).unwrap();
//! #     let mut sock = std::net::TcpStream::connect(addr).unwrap();
//! #     while conn.is_handshaking() { conn.complete_io(&mut sock).unwrap(); }
//! # });
//! let (sock, _) = listener.accept()?;
//! let mut sock = Recording::new(sock); // keeps a copy of the ClientHello's bytes
//! let mut acceptor = rustls::server::Acceptor::default();
//! let accepted = loop {
//!     acceptor.read_tls(&mut sock)?;
//!     if let Some(accepted) = acceptor.accept().map_err(|(e, _)| e)? {
//!         break accepted;
//!     }
//! };
//! let handshake = recorder.client_hello(&accepted.client_hello(), sock.captured());
//! let mut conn = accepted.into_connection(config).map_err(|(e, _)| e)?;
//! let mut sock = sock.into_inner();
//! while conn.is_handshaking() {
//!     if let Err(e) = conn.complete_io(&mut sock) {
//!         handshake.failed_io(&e);
//!         return Err(e.into());
//!     }
//! }
//! let report = handshake.done(&conn);
//! assert!(report.post_quantum);
//! # client.join().unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With [`PqServerConfigs`], [`PqServerConfigs::accept_recorded`] does the
//! `client_hello` and records a refusal.
//!
//! # tokio-rustls: `LazyConfigAcceptor`
//!
//! The async reader feeds a [`HelloCapture`] (a few lines of `AsyncRead` forwarding; see
//! `examples/telemetry_server.rs` for a complete one, `Tee`), then:
//!
//! ```no_run
//! # use std::{io, pin::Pin, sync::Arc, task::{Context, Poll}};
//! # use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
//! # use pqhkex::telemetry::{HelloCapture, Recorder};
//! # struct Tee<S> { inner: S, capture: HelloCapture }
//! # impl<S> Tee<S> { fn new(inner: S) -> Self { Tee { inner, capture: HelloCapture::new() } } }
//! # impl<S: AsyncRead + Unpin> AsyncRead for Tee<S> {
//! #     fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
//! #         let before = buf.filled().len();
//! #         let this = &mut *self;
//! #         let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
//! #         if let Poll::Ready(Ok(())) = polled { this.capture.record(&buf.filled()[before..]); }
//! #         polled
//! #     }
//! # }
//! # impl<S: AsyncWrite + Unpin> AsyncWrite for Tee<S> {
//! #     fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, d: &[u8]) -> Poll<io::Result<usize>> { Pin::new(&mut self.inner).poll_write(cx, d) }
//! #     fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> { Pin::new(&mut self.inner).poll_flush(cx) }
//! #     fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> { Pin::new(&mut self.inner).poll_shutdown(cx) }
//! # }
//! async fn serve_one(
//!     tcp: tokio::net::TcpStream,
//!     configs: &pqhkex::PqServerConfigs,
//!     recorder: &Recorder,
//! ) -> io::Result<()> {
//!     let acceptor = rustls::server::Acceptor::default();
//!     let start = tokio_rustls::LazyConfigAcceptor::new(acceptor, Tee::new(tcp)).await?;
//!     let handshake = recorder.client_hello(&start.client_hello(), start.io.capture.bytes());
//!     let (config, _refused) = configs.config_for(&start.client_hello());
//!     match start.into_stream(config).await {
//!         Ok(tls) => {
//!             handshake.done(tls.get_ref().1);
//!             // … serve the client over `tls` …
//!             Ok(())
//!         }
//!         Err(e) => {
//!             handshake.failed_io(&e);
//!             Err(e)
//!         }
//!     }
//! }
//! ```

use core::fmt;
use std::io::{self, Read};
use std::time::Instant;

use ::rustls::server::{Accepted, AcceptedAlert, ClientHello};
use ::rustls::{CommonState, ServerConnection};

use crate::error::Error;
use crate::inspect::ConnectionReport;
use crate::policy::{Policy, PqServerConfigs};

/// Counter: ClientHellos received, by `readiness`.
pub const CLIENT_HELLOS: &str = "pqhkex_client_hellos_total";
/// Counter: handshakes completed, by `group`, `readiness` and `hrr`.
pub const HANDSHAKES: &str = "pqhkex_handshakes_total";
/// Counter: handshakes failed after the ClientHello, by `reason` and `readiness`.
pub const HANDSHAKE_FAILURES: &str = "pqhkex_handshake_failures_total";
/// Histogram: seconds from the ClientHello to the end of the handshake, by `group` and
/// `readiness`.
pub const HANDSHAKE_DURATION: &str = "pqhkex_handshake_duration_seconds";

/// The most ClientHello bytes a [`HelloCapture`] keeps (records and their headers): a
/// ClientHello is at most 2^16 bytes in practice, and even one cut into 1-byte records
/// (6 bytes each on the wire) would fit a 2^16-byte message into 384 KiB.
pub const MAX_CAPTURE: usize = 384 * 1024;

/// Gives each metric its description and unit, for exporters that show them (the
/// Prometheus exporter's `# HELP` lines). Call it once after installing your metrics
/// recorder; [`Recorder::new`] also does. Harmless to call again.
///
/// ```
/// pqhkex::telemetry::describe(); // without an installed recorder, nothing happens
/// ```
pub fn describe() {
    metrics::describe_counter!(
        CLIENT_HELLOS,
        metrics::Unit::Count,
        "TLS ClientHellos received, by the client's post-quantum readiness"
    );
    metrics::describe_counter!(
        HANDSHAKES,
        metrics::Unit::Count,
        "TLS handshakes completed, by negotiated group, readiness and HelloRetryRequest"
    );
    metrics::describe_counter!(
        HANDSHAKE_FAILURES,
        metrics::Unit::Count,
        "TLS handshakes failed after the ClientHello, by reason and readiness"
    );
    metrics::describe_histogram!(
        HANDSHAKE_DURATION,
        metrics::Unit::Seconds,
        "Time from the ClientHello to the end of the TLS handshake"
    );
}

/// What a client's ClientHello says about its post-quantum readiness.
///
/// ```
/// use pqhkex::telemetry::Readiness;
/// assert_eq!(Readiness::PqListed.label(), "pq_listed");
/// assert!(Readiness::Classical.refused_if_required());
/// assert!(!Readiness::PqListed.refused_if_required());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Readiness {
    /// TLS 1.3, with a key share for a post-quantum group.
    PqKeyShare,
    /// TLS 1.3, a post-quantum group in `supported_groups` but no share for one: a
    /// server that picks it costs a HelloRetryRequest.
    PqListed,
    /// TLS 1.3, no post-quantum group listed.
    Classical,
    /// No TLS 1.3 in `supported_versions` (or no such extension: RFC 8446 §4.2.1, a
    /// TLS 1.3 client MUST send it), so no post-quantum group can be used.
    Tls12Only,
    /// The ClientHello's bytes could not be read (see [`Handshake::client_hello_info`]).
    Unknown,
}

impl Readiness {
    /// Every class, in the order above.
    pub const ALL: [Readiness; 5] = [
        Readiness::PqKeyShare,
        Readiness::PqListed,
        Readiness::Classical,
        Readiness::Tls12Only,
        Readiness::Unknown,
    ];

    /// The metric label value: `pq_key_share`, `pq_listed`, `classical`, `tls12_only`,
    /// `unknown`.
    pub const fn label(self) -> &'static str {
        match self {
            Readiness::PqKeyShare => "pq_key_share",
            Readiness::PqListed => "pq_listed",
            Readiness::Classical => "classical",
            Readiness::Tls12Only => "tls12_only",
            Readiness::Unknown => "unknown",
        }
    }

    /// Whether a server requiring post-quantum (the recorder's policy) refuses this
    /// client: `classical` and `tls12_only`.
    pub const fn refused_if_required(self) -> bool {
        matches!(self, Readiness::Classical | Readiness::Tls12Only)
    }
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a ClientHello's bytes could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HelloError {
    /// The bytes end before the ClientHello does (more may be on the way).
    Incomplete,
    /// A record is not a handshake record (content type 22, RFC 8446 §5.1); its type.
    NotHandshake(u8),
    /// The first handshake message is not a ClientHello (type 1); its type.
    NotClientHello(u8),
    /// A record longer than 2^14 bytes (RFC 8446 §5.1: MUST NOT exceed), or one empty
    /// handshake record (§5.1: MUST NOT be sent); its length.
    BadRecordLength(usize),
    /// A length field inside the ClientHello disagrees with what holds it.
    Malformed(&'static str),
    /// The same extension twice (RFC 8446 §4.2: MUST NOT); its type.
    DuplicateExtension(u16),
}

impl fmt::Display for HelloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HelloError::Incomplete => f.write_str("the bytes end before the ClientHello does"),
            HelloError::NotHandshake(t) => {
                write!(f, "record of content type {t}, not a handshake record (22)")
            }
            HelloError::NotClientHello(t) => {
                write!(f, "handshake message of type {t}, not a ClientHello (1)")
            }
            HelloError::BadRecordLength(n) => write!(
                f,
                "handshake record of {n} bytes (must be 1 to 16384 bytes long)"
            ),
            HelloError::Malformed(what) => write!(f, "malformed ClientHello: {what}"),
            HelloError::DuplicateExtension(t) => {
                write!(f, "extension {t} (0x{t:04x}) appears twice")
            }
        }
    }
}

impl std::error::Error for HelloError {}

/// What a server needs from a ClientHello to judge its post-quantum readiness: the
/// lists of its `supported_versions`, `supported_groups` and `key_share` extensions.
///
/// ```
/// use pqhkex::telemetry::{ClientHelloInfo, HelloError};
/// // A rustls client's first flight, as a server reads it:
/// let cfg = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), pqhkex::Policy::PreferPostQuantum)
///     .unwrap().with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth();
/// let mut client = rustls::ClientConnection::new(std::sync::Arc::new(cfg), "localhost".try_into().unwrap()).unwrap();
/// let mut wire = Vec::new();
/// client.write_tls(&mut wire).unwrap();
/// let info = ClientHelloInfo::from_records(&wire).unwrap();
/// assert_eq!(info.key_shares, [0x11ec, 0x001d]); // X25519MLKEM768 and x25519
/// assert!(info.offers_tls13());
/// // Cut short, it is incomplete; never a panic.
/// assert_eq!(ClientHelloInfo::from_records(&wire[..100]), Err(HelloError::Incomplete));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientHelloInfo {
    /// `legacy_version` (0x0303 from a TLS 1.2 or 1.3 client).
    pub legacy_version: u16,
    /// The `supported_versions` list (RFC 8446 §4.2.1), `None` without the extension.
    pub supported_versions: Option<Vec<u16>>,
    /// The `supported_groups` list (RFC 8446 §4.2.7), `None` without the extension.
    pub supported_groups: Option<Vec<u16>>,
    /// The group of each `key_share` entry (RFC 8446 §4.2.8), in order; empty without
    /// the extension.
    pub key_shares: Vec<u16>,
}

/// A cursor over bytes whose every read is checked.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Reader { rest }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], HelloError> {
        if self.rest.len() < n {
            return Err(HelloError::Malformed(what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, HelloError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, HelloError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A vector with a 1- or 2-byte length prefix.
    fn vec8(&mut self, what: &'static str) -> Result<&'a [u8], HelloError> {
        let n = self.u8(what)?;
        self.take(usize::from(n), what)
    }

    fn vec16(&mut self, what: &'static str) -> Result<&'a [u8], HelloError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

/// A list of 16-bit values (versions, groups) whose byte length must be even.
fn u16_list(bytes: &[u8], what: &'static str) -> Result<Vec<u16>, HelloError> {
    if bytes.len() & 1 != 0 {
        return Err(HelloError::Malformed(what));
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect())
}

const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_KEY_SHARE: u16 = 51;
const TLS13: u16 = 0x0304;

impl ClientHelloInfo {
    /// Reads the ClientHello from the bytes a client sent first: TLS records (RFC 8446
    /// §5.1) of content type 22 carrying the ClientHello, possibly across several
    /// records. Bytes after the ClientHello are ignored. [`HelloError::Incomplete`]
    /// when they end before it does.
    pub fn from_records(bytes: &[u8]) -> Result<Self, HelloError> {
        let mut rest = bytes;
        // The handshake bytes so far: borrowed while they come from one record, copied
        // (at most what the input holds) once they span several.
        let mut joined: Vec<u8> = Vec::new();
        let mut single: Option<&[u8]> = None;
        loop {
            let (fragment, used) = handshake_record(rest)?;
            rest = &rest[used..];
            let so_far: &[u8] = match (single, joined.is_empty()) {
                (None, true) => {
                    single = Some(fragment);
                    fragment
                }
                (Some(first), true) => {
                    joined.extend_from_slice(first);
                    joined.extend_from_slice(fragment);
                    &joined
                }
                (_, false) => {
                    joined.extend_from_slice(fragment);
                    &joined
                }
            };
            match Self::from_message(so_far) {
                Err(HelloError::Incomplete) => continue,
                other => return other,
            }
        }
    }

    /// Reads a ClientHello handshake message (its 4-byte header included, RFC 8446
    /// §4), without record framing. Bytes after the message are ignored.
    pub fn from_message(bytes: &[u8]) -> Result<Self, HelloError> {
        let [typ, a, b, c, body @ ..] = bytes else {
            return Err(HelloError::Incomplete);
        };
        if *typ != 1 {
            return Err(HelloError::NotClientHello(*typ));
        }
        let len = (usize::from(*a) << 16) | (usize::from(*b) << 8) | usize::from(*c);
        if body.len() < len {
            return Err(HelloError::Incomplete);
        }
        Self::from_body(&body[..len])
    }

    /// Reads a ClientHello's body (RFC 8446 §4.1.2): everything after the handshake
    /// header, exactly.
    fn from_body(body: &[u8]) -> Result<Self, HelloError> {
        let mut r = Reader::new(body);
        let legacy_version = r.u16("legacy_version")?;
        r.take(32, "random")?;
        let session_id = r.vec8("legacy_session_id")?;
        if session_id.len() > 32 {
            return Err(HelloError::Malformed(
                "legacy_session_id longer than 32 bytes",
            ));
        }
        let suites = r.vec16("cipher_suites")?;
        if suites.len() < 2 || suites.len() & 1 != 0 {
            return Err(HelloError::Malformed("cipher_suites length"));
        }
        if r.vec8("legacy_compression_methods")?.is_empty() {
            return Err(HelloError::Malformed("no compression method"));
        }
        let mut info = ClientHelloInfo {
            legacy_version,
            ..Default::default()
        };
        // A ClientHello without extensions is valid up to TLS 1.2 (RFC 5246 §7.4.1.2).
        if r.is_empty() {
            return Ok(info);
        }
        let extensions = r.vec16("extensions")?;
        if !r.is_empty() {
            return Err(HelloError::Malformed("bytes after the extensions"));
        }
        let mut ext = Reader::new(extensions);
        let mut seen: Vec<u16> = Vec::new();
        while !ext.is_empty() {
            let typ = ext.u16("extension type")?;
            let data = ext.vec16("extension data")?;
            // RFC 8446 §4.2: no more than one extension of the same type.
            if seen.contains(&typ) {
                return Err(HelloError::DuplicateExtension(typ));
            }
            seen.push(typ);
            match typ {
                EXT_SUPPORTED_VERSIONS => {
                    let mut d = Reader::new(data);
                    let list = d.vec8("supported_versions")?;
                    if !d.is_empty() || list.is_empty() {
                        return Err(HelloError::Malformed("supported_versions length"));
                    }
                    info.supported_versions = Some(u16_list(list, "supported_versions")?);
                }
                EXT_SUPPORTED_GROUPS => {
                    let mut d = Reader::new(data);
                    let list = d.vec16("supported_groups")?;
                    if !d.is_empty() {
                        return Err(HelloError::Malformed("supported_groups length"));
                    }
                    info.supported_groups = Some(u16_list(list, "supported_groups")?);
                }
                EXT_KEY_SHARE => {
                    let mut d = Reader::new(data);
                    let list = d.vec16("key_share")?;
                    if !d.is_empty() {
                        return Err(HelloError::Malformed("key_share length"));
                    }
                    let mut entries = Reader::new(list);
                    while !entries.is_empty() {
                        let group = entries.u16("key_share entry group")?;
                        // RFC 8446 §4.2.8: key_exchange<1..2^16-1>.
                        if entries.vec16("key_share entry key_exchange")?.is_empty() {
                            return Err(HelloError::Malformed("empty key_exchange"));
                        }
                        info.key_shares.push(group);
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// Whether `supported_versions` lists TLS 1.3 (RFC 8446 §4.2.1: without it, the
    /// client cannot negotiate TLS 1.3).
    pub fn offers_tls13(&self) -> bool {
        self.supported_versions
            .as_deref()
            .is_some_and(|v| v.contains(&TLS13))
    }

    /// The readiness class, a group counting as post-quantum when it is one of
    /// `policy`'s post-quantum groups.
    ///
    /// ```
    /// use pqhkex::telemetry::{ClientHelloInfo, Readiness};
    /// let mut info = ClientHelloInfo::default();
    /// info.supported_versions = Some(vec![0x0304, 0x0303]);
    /// info.supported_groups = Some(vec![0x001d, 0x11ec]);
    /// info.key_shares = vec![0x001d];
    /// assert_eq!(info.readiness(pqhkex::Policy::RequirePostQuantum), Readiness::PqListed);
    /// ```
    pub fn readiness(&self, policy: Policy) -> Readiness {
        let pq = |code: &u16| {
            policy
                .groups()
                .iter()
                .any(|g| g.code == *code && g.is_post_quantum())
        };
        if !self.offers_tls13() {
            Readiness::Tls12Only
        } else if self.key_shares.iter().any(pq) {
            Readiness::PqKeyShare
        } else if self
            .supported_groups
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .any(pq)
        {
            Readiness::PqListed
        } else {
            Readiness::Classical
        }
    }
}

/// The TLS record at the start of `bytes`, which must be a handshake record of 1 to 2^14
/// bytes (RFC 8446 §5.1: no empty handshake fragment): its fragment and the bytes the
/// record takes. `Incomplete` while its header or body has not all arrived.
fn handshake_record(bytes: &[u8]) -> Result<(&[u8], usize), HelloError> {
    let [typ, _, _, hi, lo, body @ ..] = bytes else {
        return Err(HelloError::Incomplete);
    };
    if *typ != 22 {
        return Err(HelloError::NotHandshake(*typ));
    }
    let len = usize::from(u16::from_be_bytes([*hi, *lo]));
    if len == 0 || len > 16384 {
        return Err(HelloError::BadRecordLength(len));
    }
    let fragment = body.get(..len).ok_or(HelloError::Incomplete)?;
    Ok((fragment, 5 + len))
}

/// A bounded copy of the bytes a client sent first, up to the end of its ClientHello
/// (at most [`MAX_CAPTURE`] bytes); feed it what you read before handing it to rustls.
///
/// ```
/// let mut capture = pqhkex::telemetry::HelloCapture::new();
/// capture.record(&[22, 3, 1]);
/// assert!(!capture.is_complete());
/// assert_eq!(capture.bytes(), &[22, 3, 1]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct HelloCapture {
    bytes: Vec<u8>,
    complete: bool,
    /// Where the next record header starts in `bytes` (every record before it walked).
    next_record: usize,
    /// The handshake bytes in the records walked so far.
    handshake_len: usize,
    /// The first four of them: the handshake message's header (type, 24-bit length).
    header: Vec<u8>,
}

impl HelloCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `data` (what was just read), unless the ClientHello is already complete
    /// (or cannot be read, or [`MAX_CAPTURE`] is reached).
    pub fn record(&mut self, data: &[u8]) {
        if self.complete || data.is_empty() {
            return;
        }
        let room = MAX_CAPTURE.saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&data[..data.len().min(room)]);
        // Only the records that arrived are walked (each byte once, however small the
        // reads): parsing everything kept on every read would cost a client's tiny
        // fragments quadratic server CPU. What ends the capture is what ends a
        // ClientHello for `ClientHelloInfo::from_records`: the message's length reached,
        // or framing it cannot read.
        while !self.complete {
            let (fragment, used) = match handshake_record(&self.bytes[self.next_record..]) {
                Ok(record) => record,
                Err(HelloError::Incomplete) => break,
                // Framing that `from_records` rejects: nothing more to wait for.
                Err(_) => {
                    self.complete = true;
                    break;
                }
            };
            let want = 4 - self.header.len().min(4);
            self.header
                .extend_from_slice(&fragment[..want.min(fragment.len())]);
            self.handshake_len += fragment.len();
            self.next_record += used;
            if let [typ, a, b, c] = self.header[..] {
                let message = 4 + usize::from(a) * 65536 + usize::from(b) * 256 + usize::from(c);
                // Not a ClientHello (RFC 8446 §4: type 1), or all of it is here.
                self.complete = typ != 1 || self.handshake_len >= message;
            }
        }
        self.complete |= self.bytes.len() >= MAX_CAPTURE;
    }

    /// The bytes kept.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether recording has stopped: the ClientHello is complete (or unreadable, or
    /// too large).
    pub fn is_complete(&self) -> bool {
        self.complete
    }
}

/// A [`Read`] wrapper keeping a copy of the ClientHello's bytes as they are read (for
/// [`rustls::server::Acceptor::read_tls`]); reads are passed on unchanged.
///
/// ```
/// use std::io::Read;
/// let mut r = pqhkex::telemetry::Recording::new(&[22u8, 3, 1, 0, 5][..]);
/// let mut buf = [0u8; 3];
/// r.read_exact(&mut buf).unwrap();
/// assert_eq!(r.captured(), &[22, 3, 1]);
/// ```
#[derive(Debug)]
pub struct Recording<R> {
    inner: R,
    capture: HelloCapture,
}

impl<R> Recording<R> {
    /// Wraps a reader (a socket, say).
    pub fn new(inner: R) -> Self {
        Recording {
            inner,
            capture: HelloCapture::new(),
        }
    }

    /// The bytes kept so far.
    pub fn captured(&self) -> &[u8] {
        self.capture.bytes()
    }

    /// The reader, to go on with the handshake.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The reader, borrowed.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.capture.record(&buf[..n.min(buf.len())]);
        Ok(n)
    }
}

/// Records ClientHellos and handshakes through the [`metrics`] facade (see the
/// [module](self) docs for the metrics). Cheap to clone; share one per server.
///
/// ```
/// let recorder = pqhkex::telemetry::Recorder::new();
/// assert_eq!(recorder.policy(), pqhkex::Policy::RequirePostQuantum);
/// ```
#[derive(Clone, Debug)]
pub struct Recorder {
    policy: Policy,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// A recorder whose readiness classes are judged against
    /// [`Policy::RequirePostQuantum`]'s post-quantum groups (the hybrids, ML-KEM-768,
    /// ML-KEM-1024). Also calls [`describe`].
    pub fn new() -> Self {
        Self::for_policy(Policy::RequirePostQuantum)
    }

    /// A recorder judging readiness against `policy`'s post-quantum groups: the
    /// `classical` and `tls12_only` clients are then exactly those a server requiring
    /// `policy` refuses. Also calls [`describe`].
    ///
    /// ```
    /// let r = pqhkex::telemetry::Recorder::for_policy(pqhkex::Policy::Cnsa2);
    /// assert_eq!(r.policy(), pqhkex::Policy::Cnsa2);
    /// ```
    pub fn for_policy(policy: Policy) -> Self {
        describe();
        Recorder { policy }
    }

    /// The policy readiness is judged against.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Records a ClientHello that rustls accepted, with the raw bytes the client sent
    /// up to it (from a [`Recording`] or a [`HelloCapture`]); the returned
    /// [`Handshake`] records how the handshake ends.
    ///
    /// The readiness is [`Readiness::Unknown`] when the bytes cannot be read, or when
    /// their `supported_groups` differs from what rustls read (bytes of another
    /// connection, or not from the start of this one).
    pub fn client_hello(&self, hello: &ClientHello<'_>, raw: &[u8]) -> Handshake {
        let info = ClientHelloInfo::from_records(raw).and_then(|info| {
            let ours = info.supported_groups.as_deref().unwrap_or(&[]);
            let theirs = hello.named_groups().unwrap_or(&[]);
            if ours.len() == theirs.len()
                && ours.iter().zip(theirs).all(|(a, b)| *a == u16::from(*b))
            {
                Ok(info)
            } else {
                Err(HelloError::Malformed(
                    "supported_groups differs from the ClientHello rustls read",
                ))
            }
        });
        self.start(info)
    }

    /// Records a ClientHello from its raw bytes alone (TLS records from the start of
    /// the connection), for servers that read it without rustls's acceptor.
    pub fn client_hello_bytes(&self, raw: &[u8]) -> Handshake {
        self.start(ClientHelloInfo::from_records(raw))
    }

    fn start(&self, info: Result<ClientHelloInfo, HelloError>) -> Handshake {
        let readiness = match &info {
            Ok(i) => i.readiness(self.policy),
            Err(_) => Readiness::Unknown,
        };
        metrics::counter!(CLIENT_HELLOS, "readiness" => readiness.label()).increment(1);
        Handshake {
            readiness,
            info,
            start: Instant::now(),
            finished: false,
        }
    }
}

/// One connection's handshake, from its ClientHello; record its end with
/// [`done`](Self::done) or one of the `failed` methods. Dropped without either, it
/// counts as a failure with reason `abandoned`.
#[derive(Debug)]
#[must_use = "record the handshake's end with done() or failed*()"]
pub struct Handshake {
    readiness: Readiness,
    info: Result<ClientHelloInfo, HelloError>,
    start: Instant,
    finished: bool,
}

impl Handshake {
    /// The client's readiness class.
    pub fn readiness(&self) -> Readiness {
        self.readiness
    }

    /// What was read from the ClientHello, or why it could not be.
    pub fn client_hello_info(&self) -> Result<&ClientHelloInfo, &HelloError> {
        self.info.as_ref()
    }

    /// Records a completed handshake (the connection after `is_handshaking()` turned
    /// false): `pqhkex_handshakes_total` and `pqhkex_handshake_duration_seconds`.
    /// Returns the connection's report.
    pub fn done(mut self, conn: &CommonState) -> ConnectionReport {
        self.finished = true;
        let report = ConnectionReport::from_connection(conn);
        let group = report.group_name();
        let hrr = if report.hello_retry_request == Some(true) {
            "true"
        } else {
            "false"
        };
        let readiness = self.readiness.label();
        metrics::counter!(HANDSHAKES, "group" => group.clone(), "readiness" => readiness, "hrr" => hrr)
            .increment(1);
        metrics::histogram!(HANDSHAKE_DURATION, "group" => group, "readiness" => readiness)
            .record(self.start.elapsed().as_secs_f64());
        report
    }

    /// Records a handshake that failed with a rustls error (reason: [`failure_reason`]).
    pub fn failed(mut self, err: &::rustls::Error) {
        self.fail(failure_reason(err));
    }

    /// Records a handshake that failed with an I/O error (reason:
    /// [`io_failure_reason`]), as `complete_io` and tokio-rustls return them.
    pub fn failed_io(mut self, err: &io::Error) {
        self.fail(io_failure_reason(err));
    }

    /// Records a handshake refused or failed with pqhkex's error (from
    /// [`PqServerConfigs::accept`]): `no_post_quantum_group` for the policy's refusal.
    pub fn refused(mut self, err: &Error) {
        let reason = match err {
            Error::NoPostQuantumGroup { .. } | Error::NotPostQuantum { .. } => {
                "no_post_quantum_group".to_string()
            }
            Error::Handshake(e) => failure_reason(e),
            _ => "other".to_string(),
        };
        self.fail(reason);
    }

    /// Records a failure for a reason of your own (keep the set of reasons small: each
    /// is a label value).
    pub fn failed_because(mut self, reason: &'static str) {
        self.fail(reason.to_string());
    }

    fn fail(&mut self, reason: String) {
        self.finished = true;
        metrics::counter!(HANDSHAKE_FAILURES, "reason" => reason, "readiness" => self.readiness.label())
            .increment(1);
    }
}

impl Drop for Handshake {
    fn drop(&mut self) {
        if !self.finished {
            self.fail("abandoned".to_string());
        }
    }
}

/// `PascalCase` → `snake_case`, letters and digits only (so a label value stays
/// within `[a-z0-9_]`).
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut out = String::with_capacity(chars.len() + 8);
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            // A word starts at a capital after a lower-case letter or digit, or at the
            // last capital of a run followed by a lower-case letter ("UnknownCAFoo").
            let prev = i.checked_sub(1).and_then(|j| chars.get(j));
            let next = chars.get(i + 1);
            let starts_word = match prev {
                None => false,
                Some(p) if !p.is_ascii_uppercase() => true,
                Some(_) => next.is_some_and(char::is_ascii_lowercase),
            };
            if starts_word {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// The name of the enum variant a `Debug` text starts with.
fn variant(debug: &str) -> String {
    let end = debug
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(debug.len());
    snake(&debug[..end])
}

/// The `reason` label for a rustls error: `alert_received_NAME` (the alert's registry
/// name, [`crate::inspect::alert_name`]), `peer_incompatible_KIND`,
/// `peer_misbehaved_KIND`, or the error's kind in snake case (`invalid_certificate`,
/// `invalid_message`, …). Only variant names are used, never their text.
///
/// ```
/// use pqhkex::telemetry::failure_reason;
/// let e = rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoKxGroupsInCommon);
/// assert_eq!(failure_reason(&e), "peer_incompatible_no_kx_groups_in_common");
/// let e = rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA);
/// assert_eq!(failure_reason(&e), "alert_received_unknown_ca");
/// assert_eq!(failure_reason(&rustls::Error::General("x".into())), "general");
/// ```
pub fn failure_reason(err: &::rustls::Error) -> String {
    use ::rustls::Error as E;
    match err {
        E::AlertReceived(a) => match crate::inspect::alert_name(u8::from(*a)) {
            Some(name) => format!("alert_received_{name}"),
            None => "alert_received_unassigned".to_string(),
        },
        E::PeerIncompatible(p) => format!("peer_incompatible_{}", variant(&format!("{p:?}"))),
        E::PeerMisbehaved(p) => format!("peer_misbehaved_{}", variant(&format!("{p:?}"))),
        other => variant(&format!("{other:?}")),
    }
}

/// The `reason` label for an I/O error: the rustls error inside it, if any
/// ([`failure_reason`]), else `timeout`, `connection_closed`, `connection_reset` or
/// `io_error`.
///
/// ```
/// use std::io;
/// use pqhkex::telemetry::io_failure_reason;
/// assert_eq!(io_failure_reason(&io::Error::from(io::ErrorKind::TimedOut)), "timeout");
/// let e = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
/// assert_eq!(io_failure_reason(&e), "decrypt_error");
/// ```
pub fn io_failure_reason(err: &io::Error) -> String {
    if let Some(e) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<::rustls::Error>())
    {
        return failure_reason(e);
    }
    match err.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timeout",
        io::ErrorKind::UnexpectedEof => "connection_closed",
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => "connection_reset",
        _ => "io_error",
    }
    .to_string()
}

impl PqServerConfigs {
    /// [`accept`](Self::accept), recorded: the ClientHello (with the raw bytes the
    /// client sent up to it) through `recorder`, and a refusal as a failure with reason
    /// `no_post_quantum_group`. On success, the [`Handshake`] records the rest
    /// (call [`Handshake::done`] once `is_handshaking()` is false).
    ///
    /// ```
    /// use pqhkex::{PqServerConfigs, Policy, telemetry::Recorder};
    /// let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let (cert, der) = (key.cert.der().clone(), rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap());
    /// let configs = PqServerConfigs::new(rustls::crypto::ring::default_provider(), Policy::RequirePostQuantum, |b| {
    ///     b.with_no_client_auth().with_single_cert(vec![cert.clone()], der.clone_key())
    /// }).unwrap();
    /// let client_cfg = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), Policy::Classical).unwrap()
    ///     .with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth();
    /// let mut client = rustls::ClientConnection::new(std::sync::Arc::new(client_cfg), "localhost".try_into().unwrap()).unwrap();
    /// let mut hello = Vec::new();
    /// client.write_tls(&mut hello).unwrap();
    /// let mut acceptor = rustls::server::Acceptor::default();
    /// acceptor.read_tls(&mut &hello[..]).unwrap();
    /// let accepted = acceptor.accept().unwrap().unwrap();
    /// // Counted: client_hellos{readiness="classical"} and
    /// // handshake_failures{reason="no_post_quantum_group", readiness="classical"}.
    /// let (err, _alert) = configs.accept_recorded(accepted, &hello, &Recorder::new()).unwrap_err();
    /// assert!(matches!(err, pqhkex::Error::NoPostQuantumGroup { .. }));
    /// ```
    pub fn accept_recorded(
        &self,
        accepted: Accepted,
        raw: &[u8],
        recorder: &Recorder,
    ) -> Result<(ServerConnection, Handshake), (Error, AcceptedAlert)> {
        let handshake = recorder.client_hello(&accepted.client_hello(), raw);
        match self.accept(accepted) {
            Ok(conn) => Ok((conn, handshake)),
            Err((err, alert)) => {
                handshake.refused(&err);
                Err((err, alert))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(snake("NoKxGroupsInCommon"), "no_kx_groups_in_common");
        assert_eq!(
            variant("InvalidCertificate(UnknownIssuer)"),
            "invalid_certificate"
        );
        assert_eq!(variant("DecryptError"), "decrypt_error");
        assert_eq!(snake("UnknownCAFoo"), "unknown_ca_foo");
        assert_eq!(snake("Tls12NotOffered"), "tls12_not_offered");
    }
}
