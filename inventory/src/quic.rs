//! Scanning over QUIC (RFC 9000): `quic://host[:port]` targets, and TLS targets with
//! [`Scanner::tls_over_quic`].
//!
//! The group probes of a TLS scan run as QUIC handshakes with quinn (feature `quic`, on
//! by default): the browser-like offer, then each of the scanner's groups alone. QUIC
//! carries TLS 1.3 only (RFC 9001 §4.2), so every probe offers TLS 1.3 only, with ALPN
//! `h3` (RFC 9001 §8.1 requires an application protocol; `h3` is what browsers offer).
//! The classification is the TLS one, [`verdict::tls`](crate::verdict::tls) on the same
//! evidence ([`Probe`](crate::Probe), [`GroupProbe`](crate::GroupProbe)):
//!
//! * a handshake that completed, or a key exchange the client completed before the
//!   handshake failed, shows the group the server chose: accepted;
//! * a CONNECTION_CLOSE carrying the TLS alert `handshake_failure`,
//!   `insufficient_security` or `protocol_version` (CRYPTO_ERROR 0x0100 + alert, RFC
//!   9001 §4.8) before any key exchange: rejected, the alert recorded;
//! * anything else (no answer before the deadline, another close): an error, evidence
//!   of nothing. A target that does not answer the browser-like offer at all is
//!   unreachable, with a typed [`Failure::Timeout`](crate::Failure::Timeout) for a silent UDP port.
//!
//! **What is observed, and how.** quinn does not expose its rustls connection, so the
//! key exchange is observed from inside: the offered groups are pqhkex's, each behind a
//! thin wrapper that forwards every call unchanged (the ClientHello on the wire is the
//! one rustls builds) and notes, for the probe running on the current thread, each key
//! share started and the exchange completed by the ServerHello. The negotiated group is
//! the completed exchange's (for a hybrid whose classical half the server chose, that
//! half). A HelloRetryRequest (RFC 8446 §4.1.4) is a completed exchange whose share
//! was not the first one started for the probe: rustls starts one share for its first
//! ClientHello (a hybrid's classical half reuses it) and starts the requested group's
//! share after a HelloRetryRequest. Each probe runs alone on a thread of its own with a
//! current-thread tokio runtime, so nothing else starts shares there.
//!
//! **What the datagram counts count.** Each probe's UDP socket is wrapped to count what
//! it sends and receives ([`QuicProbe`]). `client_hello_datagrams` and
//! `client_hello_bytes` are the client's first flight: the UDP datagrams (and their
//! payload bytes, without IP and UDP headers) whose first packet is a QUIC version 1
//! Initial packet (long header, type 0, RFC 9000 §17.2.2), sent before the first
//! datagram from the server arrived and within three initial RTTs of the first one.
//! The probes set the initial RTT to 333 ms (RFC 9002 §6.2.2); without an RTT sample
//! the first probe timeout is 3 × 333 ms (RFC 9002 §6.2.1, no ack delay in the Initial
//! space), so no retransmission can fall in that window, and every datagram counted
//! carries part of the first ClientHello, padded to at least 1200 bytes as RFC 9000
//! §14.1 requires. quinn sends one datagram per send call here (segmentation offload is
//! turned off on the wrapped socket). A ClientHello sent again after a
//! HelloRetryRequest is not part of it. `datagrams_sent` and the other totals count
//! every datagram of the probe, retransmissions and the closing one included.
//!
//! **Not applicable, not probed.** The endpoint-surface probes over TCP do not apply to
//! QUIC: TLS 1.2 and older with their key exchanges (QUIC is TLS 1.3 only), and the
//! split-ClientHello checks (a QUIC ClientHello is always carried in CRYPTO frames
//! across Initial packets; the datagram count says how many). The server's group
//! preference, ML-DSA authentication when asked and the probes without a key share are
//! not run over QUIC. [`QuicReport`] lists both kinds with the reason.

use serde::{Deserialize, Serialize};

use crate::Scanner;

/// What a scan over QUIC adds to a [`TargetResult`](crate::TargetResult) (JSON `quic`).
///
/// ```
/// use pqhkex_inventory::quic::QuicReport;
///
/// let r: QuicReport = serde_json::from_str(r#"{"alpn":["h3"],"probes":[],"not_applicable":[],"not_probed":[]}"#)?;
/// assert_eq!(r.alpn, ["h3"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuicReport {
    /// The application protocols offered (ALPN).
    pub alpn: Vec<String>,
    /// One entry per QUIC handshake, in the order they ran: the browser-like offer
    /// first, then each group alone.
    pub probes: Vec<QuicProbe>,
    /// The checks of a TLS scan that cannot apply to QUIC, and why.
    pub not_applicable: Vec<SkippedCheck>,
    /// The checks of a TLS scan that were not run over QUIC, and why.
    pub not_probed: Vec<SkippedCheck>,
}

/// The transport facts of one QUIC handshake (JSON `quic.probes[]`); see the
/// [module](self) documentation for exactly what is counted.
///
/// ```
/// # fn show(p: &pqhkex_inventory::quic::QuicProbe) {
/// println!("{}: ClientHello in {} datagrams, {} bytes", p.probe, p.client_hello_datagrams, p.client_hello_bytes);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuicProbe {
    /// Which probe: `default-offer` (the browser-like offer) or the group's name.
    pub probe: String,
    /// The groups offered, in order.
    pub offered: Vec<String>,
    /// The group whose key exchange completed, if one did.
    pub group: Option<String>,
    /// Whether the server asked for another key share first (HelloRetryRequest);
    /// `None` when no key exchange completed.
    pub hello_retry_request: Option<bool>,
    /// UDP datagrams of the client's first ClientHello flight (Initial packets).
    pub client_hello_datagrams: u64,
    /// Their UDP payload bytes.
    pub client_hello_bytes: u64,
    /// Every UDP datagram the client sent during the probe.
    pub datagrams_sent: u64,
    /// Their UDP payload bytes.
    pub bytes_sent: u64,
    /// Every UDP datagram the client received during the probe.
    pub datagrams_received: u64,
    /// Their UDP payload bytes.
    pub bytes_received: u64,
}

/// A check of a TLS scan left out of a QUIC scan (JSON `quic.not_applicable[]`,
/// `quic.not_probed[]`).
///
/// ```
/// let c = pqhkex_inventory::quic::SkippedCheck { check: "legacy".into(), reason: "TLS 1.3 only".into() };
/// assert_eq!(serde_json::to_value(&c)?["check"], "legacy");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedCheck {
    /// The check, by the name of the result field it would fill (`legacy`,
    /// `client_hello_split`, `preference`, `authentication.ml_dsa_when_asked`,
    /// `without_key_share`).
    pub check: String,
    /// Why it was left out.
    pub reason: String,
}

/// The application protocols every QUIC probe offers.
pub const ALPN: &[&str] = &["h3"];

impl Scanner {
    /// Scan TLS targets (`host:port`, `https://`, `tls://`) over QUIC instead of TCP, as
    /// `quic://` targets are (default off; `ssh://` targets are unaffected). Without
    /// the crate's `quic` feature such targets end with a [`Failure::Usage`](crate::Failure::Usage)
    /// error saying so.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.tls_over_quic(true);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn tls_over_quic(mut self, on: bool) -> Scanner {
        self.tls_over_quic = on;
        self
    }
}

#[cfg(feature = "quic")]
fn skipped(check: &str, reason: &str) -> SkippedCheck {
    SkippedCheck {
        check: check.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(feature = "quic")]
/// The checks that cannot apply to QUIC.
fn not_applicable() -> Vec<SkippedCheck> {
    vec![
        skipped(
            "legacy",
            "QUIC carries TLS 1.3 only (RFC 9001 §4.2): TLS 1.2 and older, their key exchanges and RSA key transport cannot be offered over it",
        ),
        skipped(
            "client_hello_split",
            "the split-ClientHello checks are about TCP segments and TLS records; over QUIC the ClientHello always travels in CRYPTO frames across Initial packets, counted in client_hello_datagrams",
        ),
    ]
}

#[cfg(feature = "quic")]
/// The checks a TLS scan runs that a QUIC scan does not.
fn not_probed(scanner: &Scanner) -> Vec<SkippedCheck> {
    let mut out = vec![
        skipped(
            "preference",
            "not probed over QUIC: the server's group preference is probed with raw TLS ClientHellos over TCP",
        ),
        skipped(
            "authentication.ml_dsa_when_asked",
            "not probed over QUIC",
        ),
    ];
    if scanner.hrr {
        out.push(skipped(
            "without_key_share",
            "not probed over QUIC: the groups are offered with their key shares only",
        ));
    }
    out
}

#[cfg(not(feature = "quic"))]
pub(crate) fn scan(
    _scanner: &Scanner,
    target: &crate::Target,
    _deadline: Option<std::time::Instant>,
) -> crate::TargetResult {
    let f = crate::Failure::Usage(format!(
        "{}: this build of pqhkex-inventory has no QUIC support (the `quic` feature)",
        target.input
    ));
    crate::TargetResult {
        protocol: crate::Protocol::Quic,
        classification: crate::Class::Undetermined,
        ..crate::TargetResult::unreachable(&target.input, None, &f)
    }
}

#[cfg(feature = "quic")]
pub(crate) use imp::scan;

#[cfg(feature = "quic")]
mod imp {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::fmt;
    use std::io::{self, IoSliceMut};
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
    use std::pin::Pin;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    use pqhkex::Group;
    use quinn::crypto::rustls::QuicClientConfig;
    use quinn::udp::{RecvMeta, Transmit};
    use quinn::{AsyncUdpSocket, Runtime, TokioRuntime, UdpPoller};
    use rustls::crypto::{ActiveKeyExchange, CompletedKeyExchange, SharedSecret, SupportedKxGroup};
    use rustls::ffdhe_groups::FfdheGroup;
    use rustls::{NamedGroup, ProtocolVersion, SupportedProtocolVersion};

    use super::{not_applicable, not_probed, QuicProbe, QuicReport, ALPN};
    use crate::probe::{self, Learnt, ProbeError, Recording};
    use crate::report::{
        Accepted, CertInfo, ErrorInfo, GroupKind, GroupProbe, Probe, ProbeResult, TargetResult,
    };
    use crate::schedule::Budget;
    use crate::{browser_offer, verdict, Answer, Failure, Protocol, Scanner, Target};

    /// The initial RTT the probes use (RFC 9002 §6.2.2's recommended 333 ms, set
    /// explicitly so that the first-flight window below is known).
    const INITIAL_RTT: Duration = Duration::from_millis(333);

    /// No Initial packet is retransmitted before this long after the first one: the
    /// first probe timeout without an RTT sample, initial RTT + 4 × (initial RTT / 2)
    /// (RFC 9002 §6.2.1; no max_ack_delay in the Initial packet number space).
    const FIRST_FLIGHT_WINDOW: Duration = Duration::from_millis(3 * 333);

    // ---- Observing the key exchange ----------------------------------------------

    thread_local! {
        /// The trace of the probe running on this thread.
        static CURRENT: RefCell<Option<Arc<Trace>>> = const { RefCell::new(None) };
    }

    /// What one probe's key exchanges did.
    #[derive(Default)]
    struct Trace {
        state: Mutex<TraceState>,
    }

    #[derive(Default)]
    struct TraceState {
        /// Key shares started so far.
        started: u32,
        /// The exchange the ServerHello completed: its group, the index of its share
        /// among those started, and whether completing it succeeded.
        completed: Option<(NamedGroup, u32, bool)>,
    }

    impl Trace {
        fn lock(&self) -> std::sync::MutexGuard<'_, TraceState> {
            self.state.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// The negotiated group and whether a HelloRetryRequest preceded it.
        fn outcome(&self) -> Option<(NamedGroup, bool)> {
            let s = self.lock();
            s.completed
                .filter(|(_, _, ok)| *ok)
                .map(|(g, index, _)| (g, index > 0))
        }
    }

    /// Makes `trace` the current probe's on this thread until the guard drops.
    struct Current;

    impl Current {
        fn set(trace: Arc<Trace>) -> Current {
            CURRENT.with(|c| *c.borrow_mut() = Some(trace));
            Current
        }
    }

    impl Drop for Current {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = None);
        }
    }

    /// A pqhkex group that notes its exchanges in the current probe's trace and
    /// forwards everything else.
    struct Traced {
        inner: &'static dyn SupportedKxGroup,
    }

    impl fmt::Debug for Traced {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_tuple("Traced").field(&self.inner.name()).finish()
        }
    }

    /// The traced version of `g`: one per group for the life of the process (rustls
    /// keeps `&'static` groups), made on first use.
    fn traced(g: &'static Group) -> &'static dyn SupportedKxGroup {
        static TRACED: OnceLock<Mutex<HashMap<u16, &'static Traced>>> = OnceLock::new();
        let mut map = TRACED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *map.entry(g.code).or_insert_with(|| {
            Box::leak(Box::new(Traced {
                inner: pqhkex::rustls::kx_group(g),
            }))
        })
    }

    impl SupportedKxGroup for Traced {
        fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
            let inner = self.inner.start()?;
            let trace = CURRENT.with(|c| c.borrow().clone());
            let index = trace.as_ref().map_or(0, |t| {
                let mut s = t.lock();
                s.started += 1;
                s.started - 1
            });
            Ok(Box::new(TracedActive {
                inner,
                trace,
                index,
            }))
        }

        fn start_and_complete(
            &self,
            peer_pub_key: &[u8],
        ) -> Result<CompletedKeyExchange, rustls::Error> {
            self.inner.start_and_complete(peer_pub_key)
        }

        fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
            self.inner.ffdhe_group()
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

    struct TracedActive {
        inner: Box<dyn ActiveKeyExchange>,
        trace: Option<Arc<Trace>>,
        index: u32,
    }

    /// Notes the end of the exchange of share `index` in `trace`.
    fn note(trace: Option<Arc<Trace>>, index: u32, group: NamedGroup, ok: bool) {
        if let Some(t) = trace {
            t.lock().completed = Some((group, index, ok));
        }
    }

    impl ActiveKeyExchange for TracedActive {
        fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, rustls::Error> {
            let group = self.inner.group();
            let TracedActive {
                inner,
                trace,
                index,
            } = *self;
            let result = inner.complete(peer_pub_key);
            note(trace, index, group, result.is_ok());
            result
        }

        fn complete_for_tls_version(
            self: Box<Self>,
            peer_pub_key: &[u8],
            tls_version: &SupportedProtocolVersion,
        ) -> Result<SharedSecret, rustls::Error> {
            let group = self.inner.group();
            let TracedActive {
                inner,
                trace,
                index,
            } = *self;
            let result = inner.complete_for_tls_version(peer_pub_key, tls_version);
            note(trace, index, group, result.is_ok());
            result
        }

        fn hybrid_component(&self) -> Option<(NamedGroup, &[u8])> {
            self.inner.hybrid_component()
        }

        fn complete_hybrid_component(
            self: Box<Self>,
            peer_pub_key: &[u8],
        ) -> Result<SharedSecret, rustls::Error> {
            let group = self
                .inner
                .hybrid_component()
                .map_or(self.inner.group(), |(g, _)| g);
            let TracedActive {
                inner,
                trace,
                index,
            } = *self;
            let result = inner.complete_hybrid_component(peer_pub_key);
            note(trace, index, group, result.is_ok());
            result
        }

        fn pub_key(&self) -> &[u8] {
            self.inner.pub_key()
        }

        fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
            self.inner.ffdhe_group()
        }

        fn group(&self) -> NamedGroup {
            self.inner.group()
        }
    }

    // ---- Counting datagrams --------------------------------------------------------

    /// What a probe's socket sent and received.
    #[derive(Debug, Default)]
    struct Counts {
        state: Mutex<CountState>,
    }

    #[derive(Debug, Default)]
    struct CountState {
        first_send: Option<Instant>,
        received_any: bool,
        hello_datagrams: u64,
        hello_bytes: u64,
        sent_datagrams: u64,
        sent_bytes: u64,
        received_datagrams: u64,
        received_bytes: u64,
    }

    impl Counts {
        fn lock(&self) -> std::sync::MutexGuard<'_, CountState> {
            self.state.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// Whether a datagram starts with a QUIC version 1 Initial packet: a long header
    /// (first bit set) of type 0 (RFC 9000 §17.2.2), version 0x00000001.
    fn is_initial(datagram: &[u8]) -> bool {
        datagram.len() >= 5
            && datagram[0] & 0x80 != 0
            && (datagram[0] & 0x30) >> 4 == 0
            && datagram[1..5] == [0, 0, 0, 1]
    }

    /// A UDP socket that counts what passes through it (see the module documentation).
    #[derive(Debug)]
    struct Counting {
        inner: Arc<dyn AsyncUdpSocket>,
        counts: Arc<Counts>,
    }

    impl AsyncUdpSocket for Counting {
        fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
            self.inner.clone().create_io_poller()
        }

        fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
            self.inner.try_send(transmit)?;
            let now = Instant::now();
            let mut s = self.counts.lock();
            let first = *s.first_send.get_or_insert(now);
            let size = transmit
                .segment_size
                .unwrap_or(transmit.contents.len())
                .max(1);
            for datagram in transmit.contents.chunks(size) {
                let len = datagram.len() as u64;
                s.sent_datagrams += 1;
                s.sent_bytes += len;
                if !s.received_any
                    && now.duration_since(first) < super::imp::FIRST_FLIGHT_WINDOW
                    && is_initial(datagram)
                {
                    s.hello_datagrams += 1;
                    s.hello_bytes += len;
                }
            }
            Ok(())
        }

        fn poll_recv(
            &self,
            cx: &mut Context,
            bufs: &mut [IoSliceMut<'_>],
            meta: &mut [RecvMeta],
        ) -> Poll<io::Result<usize>> {
            let polled = self.inner.poll_recv(cx, bufs, meta);
            if let Poll::Ready(Ok(n)) = &polled {
                let mut s = self.counts.lock();
                for m in meta.iter().take(*n) {
                    s.received_any = true;
                    s.received_datagrams += m.len.div_ceil(m.stride.max(1)) as u64;
                    s.received_bytes += m.len as u64;
                }
            }
            polled
        }

        fn local_addr(&self) -> io::Result<SocketAddr> {
            self.inner.local_addr()
        }

        /// One datagram per send: no segmentation offload, so that each is seen.
        fn max_transmit_segments(&self) -> usize {
            1
        }

        fn max_receive_segments(&self) -> usize {
            self.inner.max_receive_segments()
        }

        fn may_fragment(&self) -> bool {
            self.inner.may_fragment()
        }
    }

    // ---- One probe -------------------------------------------------------------------

    /// One QUIC probe's outcome.
    struct Outcome {
        probe: Probe,
        facts: QuicProbe,
        failure: Option<Failure>,
        chain: Vec<rustls::pki_types::CertificateDer<'static>>,
        certificate: Option<Result<(), String>>,
        signature: Option<probe::SignatureCheck>,
    }

    fn elapsed_ms(since: Instant) -> u64 {
        u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// One QUIC handshake offering `offered` to `addr`, within `timeout`.
    async fn probe_once(
        scanner: &Scanner,
        target: &Target,
        addr: SocketAddr,
        label: &str,
        offered: &[&'static Group],
        timeout: Duration,
        trace: Arc<Trace>,
    ) -> Outcome {
        let started = Instant::now();
        let counts = Arc::new(Counts::default());
        let recording = Recording::new(scanner.verifier.clone(), false);
        let result = handshake(
            scanner,
            target,
            addr,
            offered,
            timeout,
            &recording,
            counts.clone(),
        )
        .await;
        let ms = elapsed_ms(started);
        let negotiated = trace.outcome();
        let info = negotiated.and_then(|(g, _)| pqhkex::groups::by_code(u16::from(g)));
        let c = counts.lock();
        let facts = QuicProbe {
            probe: label.to_string(),
            offered: offered.iter().map(|g| g.name.to_string()).collect(),
            group: negotiated.map(|(g, _)| match info {
                Some(i) => i.name.to_string(),
                None => format!("0x{:04x}", u16::from(g)),
            }),
            hello_retry_request: negotiated.map(|(_, hrr)| hrr),
            client_hello_datagrams: c.hello_datagrams,
            client_hello_bytes: c.hello_bytes,
            datagrams_sent: c.sent_datagrams,
            bytes_sent: c.sent_bytes,
            datagrams_received: c.received_datagrams,
            bytes_received: c.received_bytes,
        };
        let spoke = c.received_any;
        drop(c);
        let hrr = negotiated.is_some_and(|(_, hrr)| hrr);
        let (probe, failure) = match result {
            Ok(()) => match info {
                Some(g) => (
                    Probe {
                        result: if hrr {
                            ProbeResult::HelloRetryRequest
                        } else {
                            ProbeResult::Accepted
                        },
                        group: Some(g.name.to_string()),
                        group_code: Some(format!("0x{:04x}", g.code)),
                        post_quantum: Some(g.is_post_quantum()),
                        hybrid: Some(g.is_hybrid()),
                        protocol: Some(probe::version_name(ProtocolVersion::TLSv1_3)),
                        detail: None,
                        handshake_completed: Some(true),
                        elapsed_ms: Some(ms),
                        ..Probe::not_run(offered, "")
                    },
                    None,
                ),
                None => {
                    let f = Failure::Other(format!(
                        "{}: the QUIC handshake completed, but no key exchange of an offered group was seen",
                        target.input
                    ));
                    (
                        Probe {
                            result: ProbeResult::Error,
                            detail: Some(f.message().to_string()),
                            failure: Some(ErrorInfo::from(&f)),
                            elapsed_ms: Some(ms),
                            ..Probe::not_run(offered, "")
                        },
                        Some(f),
                    )
                }
            },
            Err((failure, alert)) => {
                let e = ProbeError {
                    tls: alert.map(|a| rustls::Error::AlertReceived(a.into())),
                    learnt: Learnt {
                        protocol_version: negotiated.map(|_| ProtocolVersion::TLSv1_3),
                        group: negotiated.map(|(g, _)| g),
                        hello_retry_request: hrr,
                        cipher_suite: None,
                        spoke_tls: spoke,
                        closed_unanswered: false,
                    },
                    failure,
                };
                (crate::tls::failed_probe(offered, &e, ms), Some(e.failure))
            }
        };
        Outcome {
            probe,
            facts,
            failure,
            chain: recording.chain(),
            certificate: recording.verdict(),
            signature: recording.signature(),
        }
    }

    /// The QUIC handshake itself; on failure, the failure and the TLS alert the server
    /// closed the connection with, if any.
    async fn handshake(
        scanner: &Scanner,
        target: &Target,
        addr: SocketAddr,
        offered: &[&'static Group],
        timeout: Duration,
        recording: &Arc<Recording>,
        counts: Arc<Counts>,
    ) -> Result<(), (Failure, Option<u8>)> {
        let label = &target.input;
        let kx = offered.iter().map(|g| traced(g)).collect();
        let config =
            probe::client_config_kx(&scanner.provider, kx, probe::TLS13, recording.clone())
                .map_err(|f| (f, None))?;
        let mut config = Arc::unwrap_or_clone(config);
        config.alpn_protocols = ALPN.iter().map(|a| a.as_bytes().to_vec()).collect();
        let crypto = QuicClientConfig::try_from(config).map_err(|e| {
            (
                Failure::Other(format!("QUIC client configuration: {e}")),
                None,
            )
        })?;
        let mut client = quinn::ClientConfig::new(Arc::new(crypto));
        let mut transport = quinn::TransportConfig::default();
        transport.initial_rtt(INITIAL_RTT);
        client.transport_config(Arc::new(transport));
        let name = target
            .server_name(None)
            .map_err(|f| (f, None))?
            .to_str()
            .into_owned();

        let bind: SocketAddr = if addr.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let io_failure = |e: io::Error| {
            (
                Failure::Other(format!("{label}: cannot open a UDP socket: {e}")),
                None,
            )
        };
        let socket = std::net::UdpSocket::bind(bind).map_err(io_failure)?;
        let runtime = Arc::new(TokioRuntime);
        let inner = runtime.wrap_udp_socket(socket).map_err(io_failure)?;
        let counting = Arc::new(Counting { inner, counts });
        let endpoint = quinn::Endpoint::new_with_abstract_socket(
            quinn::EndpointConfig::default(),
            None,
            counting,
            runtime,
        )
        .map_err(io_failure)?;
        let connecting = endpoint
            .connect_with(client, addr, &name)
            .map_err(|e| (Failure::Usage(format!("{label}: {e}")), None))?;
        let result = match tokio::time::timeout(timeout, connecting).await {
            Err(_) => Err((
                Failure::Timeout(format!(
                    "{label}: no QUIC handshake within {:.1} s (nothing answers on UDP port {}, or it does not speak QUIC)",
                    timeout.as_secs_f64(),
                    addr.port()
                )),
                None,
            )),
            Ok(Err(e)) => Err(connection_failure(label, &e)),
            Ok(Ok(conn)) => {
                conn.close(0u32.into(), b"pqhkex scan: done");
                Ok(())
            }
        };
        // Let the driver send the CONNECTION_CLOSE (RFC 9000 §10.2), briefly.
        endpoint.close(0u32.into(), b"");
        let _ = tokio::time::timeout(Duration::from_millis(5), endpoint.wait_idle()).await;
        result
    }

    /// A failed QUIC handshake as a [`Failure`], with the TLS alert it carried: alerts
    /// travel as CRYPTO_ERROR transport errors 0x0100 + the alert (RFC 9001 §4.8).
    fn connection_failure(label: &str, e: &quinn::ConnectionError) -> (Failure, Option<u8>) {
        match e {
            quinn::ConnectionError::TimedOut => (
                Failure::Timeout(format!(
                    "{label}: the QUIC connection timed out during the handshake"
                )),
                None,
            ),
            quinn::ConnectionError::ConnectionClosed(c) => {
                let code = u64::from(c.error_code);
                match code.checked_sub(0x100).filter(|a| *a < 0x100) {
                    Some(alert) => {
                        let alert = alert as u8;
                        let name = pqhkex::inspect::alert_name(alert).unwrap_or("unknown");
                        (
                            Failure::Handshake(format!(
                                "{label}: the server closed the QUIC connection with TLS alert {name} ({alert})"
                            )),
                            Some(alert),
                        )
                    }
                    None => (
                        Failure::Handshake(format!(
                            "{label}: the server closed the QUIC connection: {c}"
                        )),
                        None,
                    ),
                }
            }
            quinn::ConnectionError::VersionMismatch => (
                Failure::Handshake(format!(
                    "{label}: the server does not speak QUIC version 1 (version negotiation)"
                )),
                None,
            ),
            other => (
                Failure::Handshake(format!("{label}: QUIC handshake failed: {other}")),
                None,
            ),
        }
    }

    // ---- One target -----------------------------------------------------------------

    /// Scans `target` over QUIC until `deadline` (see the module documentation).
    pub(crate) fn scan(
        scanner: &Scanner,
        target: &Target,
        deadline: Option<Instant>,
    ) -> TargetResult {
        let started = Instant::now();
        let finish = |r: TargetResult| TargetResult {
            protocol: Protocol::Quic,
            elapsed_ms: Some(elapsed_ms(started)),
            ..r
        };
        let budget = Budget {
            deadline,
            probe_timeout: scanner.timeout,
        };
        let addr = match budget.resolve(target) {
            Ok(a) => a,
            Err(f) => return finish(TargetResult::unreachable(&target.input, None, &f)),
        };
        // The probes run on a thread of their own, with a runtime of their own: the
        // trace of each probe is that thread's, and a caller inside a tokio runtime
        // can still call this (blocking, as every scan does).
        let joined = std::thread::scope(|s| {
            s.spawn(|| probe_target(scanner, target, addr, &budget))
                .join()
        });
        match joined {
            Ok(r) => finish(r),
            Err(_) => {
                let f = Failure::Other(format!("{}: the QUIC probe thread failed", target.input));
                finish(TargetResult::unreachable(
                    &target.input,
                    Some(addr.to_string()),
                    &f,
                ))
            }
        }
    }

    fn probe_target(
        scanner: &Scanner,
        target: &Target,
        addr: SocketAddr,
        budget: &Budget,
    ) -> TargetResult {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let f = Failure::Other(format!("cannot start the QUIC runtime: {e}"));
                return TargetResult::unreachable(&target.input, Some(addr.to_string()), &f);
            }
        };
        let run = |label: &str, offered: &[&'static Group]| -> Outcome {
            let Some(timeout) = budget.next() else {
                let why = "not run: the per-target time budget was spent";
                return Outcome {
                    probe: Probe::not_run(offered, why),
                    facts: QuicProbe {
                        probe: label.to_string(),
                        offered: offered.iter().map(|g| g.name.to_string()).collect(),
                        group: None,
                        hello_retry_request: None,
                        client_hello_datagrams: 0,
                        client_hello_bytes: 0,
                        datagrams_sent: 0,
                        bytes_sent: 0,
                        datagrams_received: 0,
                        bytes_received: 0,
                    },
                    failure: Some(Failure::Timeout(format!("{}: {why}", target.input))),
                    chain: Vec::new(),
                    certificate: None,
                    signature: None,
                };
            };
            let trace = Arc::new(Trace::default());
            let _current = Current::set(trace.clone());
            runtime.block_on(probe_once(
                scanner, target, addr, label, offered, timeout, trace,
            ))
        };
        let mut report = QuicReport {
            alpn: ALPN.iter().map(|a| a.to_string()).collect(),
            probes: Vec::new(),
            not_applicable: not_applicable(),
            not_probed: not_probed(scanner),
        };
        let default = run("default-offer", &browser_offer());
        report.probes.push(default.facts.clone());
        // No answer at all to a browser's offer: nothing else will fare better.
        if default.probe.result == ProbeResult::Error {
            if let Some(f) = default.failure.as_ref().filter(|f| f.is_connection_level()) {
                return TargetResult {
                    quic: Some(report),
                    ..TargetResult::unreachable(&target.input, Some(addr.to_string()), f)
                };
            }
        }
        let default_offer = default.probe.clone();
        // The certificate chain and handshake signature of the first probe that saw
        // them.
        let mut evidence = Some(default).filter(|o| !o.chain.is_empty());
        let mut groups = Vec::new();
        let mut accepted = Accepted::default();
        for g in &scanner.groups {
            let alone = run(g.name, &[*g]);
            report.probes.push(alone.facts.clone());
            let gp = GroupProbe {
                name: g.name.to_string(),
                code: format!("0x{:04x}", g.code),
                kind: GroupKind::of(g),
                nist_category: g.nist_category(),
                probe: alone.probe.clone(),
                without_key_share: None,
            };
            if gp.accepted() {
                match gp.kind {
                    GroupKind::Hybrid => accepted.hybrid.push(gp.name.clone()),
                    GroupKind::PostQuantum => accepted.post_quantum.push(gp.name.clone()),
                    GroupKind::Classical => accepted.classical.push(gp.name.clone()),
                }
            }
            if evidence.is_none() && !alone.chain.is_empty() {
                evidence = Some(alone);
            }
            groups.push(gp);
        }
        let c = verdict::tls(&target.input, &default_offer, &groups);
        verdict::mark_not_applicable(c.classification, &mut groups);
        let (chain, signature, verdict_on_certificate) = match evidence {
            Some(o) => (o.chain, o.signature, o.certificate),
            None => (Vec::new(), None, None),
        };
        let certificate_chain = crate::cert::describe_chain(&chain);
        let authentication = (!certificate_chain.is_empty() || signature.is_some()).then(|| {
            crate::auth::summarize(
                &certificate_chain,
                signature.as_ref(),
                Answer::Undetermined,
                Some("not probed over QUIC".to_string()),
            )
        });
        let certificate = chain.first().map(|leaf| {
            let (subject, issuer) = probe::certificate_names(leaf);
            CertInfo {
                subject,
                issuer,
                trusted: verdict_on_certificate.as_ref().map(|c| c.is_ok()),
                error: verdict_on_certificate.and_then(|c| c.err()),
            }
        });
        let pq_posture = verdict::tls_posture(&c.verdict, None);
        let mut r = TargetResult {
            default_offer: Some(default_offer),
            groups,
            certificate,
            certificate_chain,
            authentication,
            pq_posture: Some(pq_posture),
            quic: Some(report),
            ..TargetResult::reached(&target.input, addr, Protocol::Quic, c, accepted)
        };
        r.migration = crate::migration::plan(&r);
        r
    }
}
