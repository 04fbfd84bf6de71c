//! Observing key exchanges in any stack: a [`CryptoProvider`] wrapper that reports what
//! each key exchange did.
//!
//! Stacks such as quinn, hyper-util or reqwest do not hand you their rustls connection, so
//! [`ConnectionReport`](crate::ConnectionReport) cannot be read. [`observed`] wraps every
//! group of a provider's `kx_groups`; each key exchange then reports, through your
//! callback (or a channel: [`observed_channel`]), an [`Observation`]: the negotiated group,
//! the group whose share was generated, whether a HelloRetryRequest happened, whether
//! pqhkex's code ran or the base provider's, and the group's FIPS status.
//!
//! ```
//! use std::sync::Arc;
//! let (provider, observations) = pqhkex::observe::observed_channel(
//!     pqhkex::with_policy(rustls::crypto::ring::default_provider(), pqhkex::Policy::PreferPostQuantum),
//! );
//! let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
//!     .with_safe_default_protocol_versions().unwrap()
//!     .with_root_certificates(rustls::RootCertStore::empty())
//!     .with_no_client_auth();
//! // hyper-rustls: HttpsConnectorBuilder::new().with_tls_config(config) …;
//! // reqwest: Client::builder().tls_backend_preconfigured(config) (reqwest 0.13,
//! // `use_preconfigured_tls` in 0.12); quinn: QuicClientConfig::try_from(config).
//! # let _ = (config, observations);
//! ```
//!
//! # Everything is forwarded
//!
//! The wrappers forward every method of [`SupportedKxGroup`] and [`ActiveKeyExchange`]
//! (`start`, `start_and_complete`, `ffdhe_group`, `name`, `fips`, `usable_for_version`;
//! `complete`, `complete_for_tls_version`, `hybrid_component`,
//! `complete_hybrid_component`, `pub_key`, `ffdhe_group`, `group`), so nothing changes on
//! the wire: a client whose groups are `[X25519MLKEM768, X25519, …]` still sends one
//! X25519 share reused inside the hybrid (rustls's `hybrid_component` optimization), and
//! the provider's [`CryptoProvider::fips`] is what it was.
//!
//! # What identifies a connection, and what cannot be known
//!
//! The key-exchange layer sees no connection: rustls calls `start()` on a group with no
//! argument. What it does see:
//!
//! * **One key exchange, start to end.** A client's `start()` returns an
//!   [`ActiveKeyExchange`] that belongs to one handshake; it ends completed, failed or
//!   dropped (abandoned). Each gets a process-unique [`Observation::exchange`] id and
//!   is reported once, when it ends, with a process-unique, increasing
//!   [`Observation::seq`]. A server's key exchange is one `start_and_complete()` call.
//! * **The observer.** Each call of [`observed`] makes a new observer
//!   ([`Observation::observer`]). To tie observations to a connection, give each
//!   connection (or each client, or each peer) a configuration of its own from its own
//!   observed provider. With one configuration shared by concurrent connections, nothing
//!   at this layer tells which observation belongs to which connection: do not guess by
//!   thread or time (async runtimes move handshakes between threads, and handshakes
//!   interleave). Order alone is reliable only for one handshake at a time.
//! * **HelloRetryRequest.** After a HelloRetryRequest naming another group, a rustls
//!   client calls `start()` again for that group while the first share is still alive,
//!   and (rustls 0.23) asks only an *initial* share for its hybrid component when it
//!   builds the ClientHello. So a TLS 1.3 client exchange completed without having been
//!   asked for its hybrid component, started while another exchange of the same observer
//!   was in flight, is the retry: [`Observation::hello_retry_request`] is `Some(true)`,
//!   and `Some(false)` for an initial share, whatever other connections do. Limits: a
//!   HelloRetryRequest that asks for no new group (a cookie only) reuses the share and
//!   is not seen; a server does no key exchange for its HelloRetryRequest, so on the
//!   server side it is `None` (read [`ConnectionReport`](crate::ConnectionReport) or
//!   `CommonState::handshake_kind` there when you have the connection).
//! * **Whose code ran.** [`Observation::pqhkex`] is whether the group that generated the
//!   share is one of pqhkex's (see [`crate::rustls::is_pqhkex_group`]). When a server
//!   picks the classical half of a client's first hybrid (X25519 for X25519MLKEM768),
//!   the hybrid's code completes it: `started` is the hybrid, `group` is X25519, and
//!   `pqhkex` names the hybrid's implementation.
//!
//! # Cost
//!
//! rustls keeps `&'static` groups, so [`observed`] leaks one small wrapper per group of
//! the provider (a pointer and a reference count, about 40 bytes), once per call. Make
//! one observed provider per configuration you keep, not one per connection in a
//! process that runs for long. Your callback runs inside rustls's handshake code on the
//! connection's thread: keep it short, and do not panic in it.

use core::fmt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use ::rustls::crypto::{
    ActiveKeyExchange, CompletedKeyExchange, CryptoProvider, SharedSecret, SupportedKxGroup,
};
use ::rustls::ffdhe_groups::FfdheGroup;
use ::rustls::{NamedGroup, ProtocolVersion, SupportedProtocolVersion};

use crate::error::Side;
use crate::groups::Group;

/// How a key exchange ended.
///
/// ```
/// use pqhkex::observe::Outcome;
/// assert!(Outcome::Completed.is_completed());
/// assert!(!Outcome::Abandoned.is_completed());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// It completed: a shared secret was derived.
    Completed,
    /// Completing it failed (an invalid peer share, say): the handshake fails.
    Failed(::rustls::Error),
    /// It was dropped without completing: replaced after a HelloRetryRequest, the server
    /// chose TLS 1.2 or another group, or the handshake failed or was cancelled first.
    Abandoned,
}

impl Outcome {
    /// Whether the key exchange completed.
    pub fn is_completed(&self) -> bool {
        matches!(self, Outcome::Completed)
    }
}

/// What one key exchange did, reported when it ended (see the [module](self) docs).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let provider = pqhkex::observe::observed(
///     pqhkex::with_policy(rustls::crypto::ring::default_provider(), pqhkex::Policy::RequirePostQuantum),
///     move |o: &pqhkex::observe::Observation| sink.lock().unwrap().push(o.clone()),
/// );
/// // A server-side exchange: the client's X25519MLKEM768 share, encapsulated.
/// let client_kx = pqhkex::rustls::X25519MLKEM768.start().unwrap();
/// provider.kx_groups[0].start_and_complete(client_kx.pub_key()).unwrap();
/// let o = seen.lock().unwrap()[0].clone();
/// assert_eq!(o.group_code(), 0x11ec);
/// assert_eq!(o.side, Some(pqhkex::Side::Server));
/// assert!(o.pqhkex && o.outcome.is_completed() && o.post_quantum());
/// assert_eq!(o.hello_retry_request, None); // a server's HelloRetryRequest is invisible here
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Observation {
    /// Process-unique, increasing in the order observations are emitted.
    pub seq: u64,
    /// Process-unique id of the key exchange (given when its share was generated).
    pub exchange: u64,
    /// Which observed provider (one per [`observed`] call).
    pub observer: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// The group whose key share was generated (the hybrid, when its classical half
    /// completed).
    pub started: NamedGroup,
    /// The group of the exchange that ran: the negotiated group when it completed.
    pub group: NamedGroup,
    /// Which side ran it, where the calls show it: `start_and_complete` is a TLS 1.3
    /// server, `start` then `complete` (or `complete_hybrid_component`) a TLS 1.3 client;
    /// a TLS 1.2 exchange (`complete_for_tls_version`) or an abandoned one can be either.
    pub side: Option<Side>,
    /// The TLS version, where the calls show it (see `side`).
    pub protocol_version: Option<ProtocolVersion>,
    /// Whether this is the share a client generated after a HelloRetryRequest; `None`
    /// where this layer cannot tell (see the [module](self) docs).
    pub hello_retry_request: Option<bool>,
    /// Whether the group that generated the share is pqhkex's (its code ran), rather than
    /// the base provider's.
    pub pqhkex: bool,
    /// The wrapped group's [`SupportedKxGroup::fips`].
    pub fips: bool,
    /// How many other key exchanges of the same observer were in flight when this one
    /// started.
    pub in_flight_at_start: usize,
}

impl Observation {
    /// The TLS codepoint of [`group`](Self::group).
    pub fn group_code(&self) -> u16 {
        u16::from(self.group)
    }

    /// pqhkex's metadata for [`group`](Self::group), if pqhkex knows it.
    pub fn group_info(&self) -> Option<&'static Group> {
        crate::groups::by_code(self.group_code())
    }

    /// Whether [`group`](Self::group) is post-quantum (hybrid or pure ML-KEM).
    pub fn post_quantum(&self) -> bool {
        self.group_info().is_some_and(|g| g.is_post_quantum())
    }
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |g: NamedGroup| match crate::groups::by_code(u16::from(g)) {
            Some(info) => info.name.to_string(),
            None => format!("0x{:04x}", u16::from(g)),
        };
        write!(f, "key exchange #{} ", self.exchange)?;
        match &self.outcome {
            Outcome::Completed => write!(f, "completed {}", name(self.group))?,
            Outcome::Failed(e) => write!(f, "failed on {}: {e}", name(self.group))?,
            Outcome::Abandoned => write!(f, "abandoned {}", name(self.group))?,
        }
        if self.started != self.group {
            write!(f, " (share of {})", name(self.started))?;
        }
        if let Some(side) = self.side {
            write!(f, ", {side}")?;
        }
        match self.hello_retry_request {
            Some(true) => f.write_str(", after a HelloRetryRequest")?,
            Some(false) => f.write_str(", no HelloRetryRequest")?,
            None => {}
        }
        write!(
            f,
            ", {} code",
            if self.pqhkex {
                "pqhkex"
            } else {
                "base provider"
            }
        )
    }
}

/// A callback receiving observations.
type Sink = dyn Fn(&Observation) + Send + Sync;

static SEQ: AtomicU64 = AtomicU64::new(1);
static EXCHANGES: AtomicU64 = AtomicU64::new(1);
static OBSERVERS: AtomicU64 = AtomicU64::new(1);

/// Wrapper address → wrapped group, for [`inner_group`].
fn registry() -> &'static Mutex<HashMap<usize, &'static dyn SupportedKxGroup>> {
    static REGISTRY: OnceLock<Mutex<HashMap<usize, &'static dyn SupportedKxGroup>>> =
        OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn address(kx: &dyn SupportedKxGroup) -> usize {
    (kx as *const dyn SupportedKxGroup).cast::<()>() as usize
}

/// One observer: its id, its sink, and its exchanges in flight.
struct Observer {
    id: u64,
    sink: Box<Sink>,
    in_flight: AtomicUsize,
}

impl Observer {
    fn emit(&self, mut observation: Observation) {
        observation.seq = SEQ.fetch_add(1, Ordering::Relaxed);
        (self.sink)(&observation);
    }
}

/// Returns `provider` with every key-exchange group wrapped so that each key exchange
/// reports an [`Observation`] to `sink` when it ends. Everything else of the provider is
/// kept, and every group method is forwarded (see the [module](self) docs, also for the
/// memory each call leaks and how to tell connections apart).
///
/// ```
/// let provider = pqhkex::observe::observed(rustls::crypto::aws_lc_rs::default_provider(), |o| println!("{o}"));
/// let base = rustls::crypto::aws_lc_rs::default_provider();
/// assert_eq!(provider.kx_groups.len(), base.kx_groups.len());
/// for (wrapped, inner) in provider.kx_groups.iter().zip(&base.kx_groups) {
///     assert_eq!(wrapped.name(), inner.name());
///     assert_eq!(wrapped.fips(), inner.fips());
/// }
/// ```
pub fn observed(
    provider: CryptoProvider,
    sink: impl Fn(&Observation) + Send + Sync + 'static,
) -> CryptoProvider {
    let observer = Arc::new(Observer {
        id: OBSERVERS.fetch_add(1, Ordering::Relaxed),
        sink: Box::new(sink),
        in_flight: AtomicUsize::new(0),
    });
    let kx_groups = provider
        .kx_groups
        .iter()
        .map(|inner| {
            let wrapped: &'static ObservedGroup = Box::leak(Box::new(ObservedGroup {
                inner: *inner,
                observer: observer.clone(),
            }));
            let wrapped: &'static dyn SupportedKxGroup = wrapped;
            if let Ok(mut r) = registry().lock() {
                r.insert(address(wrapped), *inner);
            }
            wrapped
        })
        .collect();
    CryptoProvider {
        kx_groups,
        ..provider
    }
}

/// [`observed`] with a channel: every observation is sent to the returned receiver
/// (unbounded; once the receiver is dropped, observations are discarded).
///
/// ```
/// let (provider, rx) = pqhkex::observe::observed_channel(
///     pqhkex::with_policy(rustls::crypto::ring::default_provider(), pqhkex::Policy::RequirePostQuantum),
/// );
/// let client_kx = pqhkex::rustls::MLKEM768.start().unwrap();
/// let mlkem768 = provider.kx_groups.iter().find(|g| u16::from(g.name()) == 0x0201).unwrap();
/// mlkem768.start_and_complete(client_kx.pub_key()).unwrap();
/// assert_eq!(rx.try_recv().unwrap().group_code(), 0x0201);
/// ```
pub fn observed_channel(provider: CryptoProvider) -> (CryptoProvider, mpsc::Receiver<Observation>) {
    let (tx, rx) = mpsc::channel();
    let provider = observed(provider, move |o: &Observation| {
        let _ = tx.send(o.clone());
    });
    (provider, rx)
}

/// The group an observed group wraps, or `kx` itself if it is not one: for code that
/// compares group identities, such as [`crate::rustls::is_pqhkex_group`] on
/// `negotiated_key_exchange_group()` of a connection made with an observed provider.
///
/// ```
/// let p = pqhkex::observe::observed(pqhkex::with_policy(rustls::crypto::ring::default_provider(), pqhkex::Policy::default()), |_| {});
/// assert!(!pqhkex::rustls::is_pqhkex_group(p.kx_groups[0])); // the wrapper
/// assert!(pqhkex::rustls::is_pqhkex_group(pqhkex::observe::inner_group(p.kx_groups[0])));
/// let plain = pqhkex::rustls::X25519;
/// assert!(std::ptr::addr_eq(pqhkex::observe::inner_group(plain), plain));
/// ```
pub fn inner_group(kx: &'static dyn SupportedKxGroup) -> &'static dyn SupportedKxGroup {
    let found = registry()
        .lock()
        .ok()
        .and_then(|r| r.get(&address(kx)).copied());
    found.unwrap_or(kx)
}

/// A wrapped group.
struct ObservedGroup {
    inner: &'static dyn SupportedKxGroup,
    observer: Arc<Observer>,
}

impl fmt::Debug for ObservedGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObservedGroup")
            .field("inner", &self.inner)
            .field("observer", &self.observer.id)
            .finish()
    }
}

impl ObservedGroup {
    fn observation(&self, exchange: u64, in_flight_at_start: usize) -> Observation {
        Observation {
            seq: 0,
            exchange,
            observer: self.observer.id,
            outcome: Outcome::Abandoned,
            started: self.inner.name(),
            group: self.inner.name(),
            side: None,
            protocol_version: None,
            hello_retry_request: None,
            pqhkex: crate::rustls::is_pqhkex_group(self.inner),
            fips: self.inner.fips(),
            in_flight_at_start,
        }
    }
}

impl SupportedKxGroup for ObservedGroup {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, ::rustls::Error> {
        let inner = self.inner.start()?;
        let exchange = EXCHANGES.fetch_add(1, Ordering::Relaxed);
        let others = self.observer.in_flight.fetch_add(1, Ordering::AcqRel);
        Ok(Box::new(ObservedActive {
            inner: Some(inner),
            observer: self.observer.clone(),
            report: self.observation(exchange, others),
            hybrid_asked: AtomicBool::new(false),
        }))
    }

    fn start_and_complete(
        &self,
        peer_pub_key: &[u8],
    ) -> Result<CompletedKeyExchange, ::rustls::Error> {
        let exchange = EXCHANGES.fetch_add(1, Ordering::Relaxed);
        let others = self.observer.in_flight.load(Ordering::Acquire);
        let result = self.inner.start_and_complete(peer_pub_key);
        let mut o = self.observation(exchange, others);
        o.side = Some(Side::Server);
        o.protocol_version = Some(ProtocolVersion::TLSv1_3);
        o.outcome = match &result {
            Ok(done) => {
                o.group = done.group;
                Outcome::Completed
            }
            Err(e) => Outcome::Failed(e.clone()),
        };
        self.observer.emit(o);
        result
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

/// A key exchange in progress; reports once, when it ends.
struct ObservedActive {
    /// `None` once consumed by a completion.
    inner: Option<Box<dyn ActiveKeyExchange>>,
    observer: Arc<Observer>,
    /// The observation so far.
    report: Observation,
    /// Whether rustls asked for the hybrid component: it does so for an initial
    /// ClientHello share only (see the module docs).
    hybrid_asked: AtomicBool,
}

impl ObservedActive {
    /// Takes the inner exchange out for a completion.
    fn take(&mut self) -> Result<Box<dyn ActiveKeyExchange>, ::rustls::Error> {
        self.inner
            .take()
            .ok_or_else(|| ::rustls::Error::General("observed key exchange completed twice".into()))
    }

    /// Reports the end of a completion by `complete*`.
    fn finish(
        &mut self,
        group: NamedGroup,
        version: ProtocolVersion,
        side: Option<Side>,
        result: &Result<SharedSecret, ::rustls::Error>,
    ) {
        let mut o = self.report.clone();
        o.group = group;
        o.protocol_version = Some(version);
        o.side = side;
        o.hello_retry_request = match (version, side) {
            // No HelloRetryRequest exists in TLS 1.2.
            (ProtocolVersion::TLSv1_2, _) => Some(false),
            (ProtocolVersion::TLSv1_3, Some(Side::Client)) => {
                if self.hybrid_asked.load(Ordering::Acquire) {
                    Some(false)
                } else if o.in_flight_at_start > 0 {
                    Some(true)
                } else {
                    // Neither an initial share nor a retry as rustls 0.23 makes them.
                    None
                }
            }
            _ => None,
        };
        o.outcome = match result {
            Ok(_) => Outcome::Completed,
            Err(e) => Outcome::Failed(e.clone()),
        };
        self.observer.emit(o);
    }
}

impl Drop for ObservedActive {
    fn drop(&mut self) {
        self.observer.in_flight.fetch_sub(1, Ordering::AcqRel);
        if self.inner.is_some() {
            let o = self.report.clone();
            self.observer.emit(o);
        }
    }
}

impl ActiveKeyExchange for ObservedActive {
    fn complete(mut self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, ::rustls::Error> {
        let inner = self.take()?;
        let group = inner.group();
        let result = inner.complete(peer_pub_key);
        // rustls's TLS 1.3 client completes with `complete` (or
        // `complete_hybrid_component`); TLS 1.2, client or server, with
        // `complete_for_tls_version`.
        self.finish(group, ProtocolVersion::TLSv1_3, Some(Side::Client), &result);
        result
    }

    fn complete_for_tls_version(
        mut self: Box<Self>,
        peer_pub_key: &[u8],
        tls_version: &SupportedProtocolVersion,
    ) -> Result<SharedSecret, ::rustls::Error> {
        let inner = self.take()?;
        let group = inner.group();
        let result = inner.complete_for_tls_version(peer_pub_key, tls_version);
        self.finish(group, tls_version.version, None, &result);
        result
    }

    fn hybrid_component(&self) -> Option<(NamedGroup, &[u8])> {
        self.hybrid_asked.store(true, Ordering::Release);
        self.inner.as_ref()?.hybrid_component()
    }

    fn complete_hybrid_component(
        mut self: Box<Self>,
        peer_pub_key: &[u8],
    ) -> Result<SharedSecret, ::rustls::Error> {
        let inner = self.take()?;
        let component = inner.hybrid_component().map(|(g, _)| g);
        let result = inner.complete_hybrid_component(peer_pub_key);
        let group = component.unwrap_or(self.report.started);
        self.finish(group, ProtocolVersion::TLSv1_3, Some(Side::Client), &result);
        result
    }

    fn pub_key(&self) -> &[u8] {
        self.inner.as_ref().map_or(&[], |i| i.pub_key())
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        self.inner.as_ref().and_then(|i| i.ffdhe_group())
    }

    fn group(&self) -> NamedGroup {
        self.inner
            .as_ref()
            .map_or(self.report.started, |i| i.group())
    }
}
