//! Scanning: which key-exchange groups does each endpoint accept?
//!
//! For each target, one handshake with a browser-like offer (X25519MLKEM768, x25519,
//! secp256r1, secp384r1, with key shares for the first two, TLS 1.3 and 1.2, as
//! current Chrome and Firefox send), then one handshake per group offering that group
//! alone (TLS 1.3 only for post-quantum groups). Optionally each group is also offered
//! without a key share, to see the server ask for it by HelloRetryRequest. The
//! certificate is never trusted nor required to be: its web PKI verdict is only
//! reported.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use pqhkex::Group;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ActiveKeyExchange, CryptoProvider, SharedSecret, SupportedKxGroup};
use rustls::{ProtocolVersion, RootCertStore};
use serde::{Deserialize, Serialize};

use crate::probe::{self, Delivery, Handshake, Recording};
use crate::ssh::{self, KexMethod, SshError, SshReport, VerificationStatus};
use crate::{Failure, FailureKind, Protocol, Target};

/// The `schema_version` of the scan JSON this crate writes
/// (`schema/scan-v1.schema.json` in the repository).
///
/// ```
/// assert_eq!(pqhkex_inventory::SCHEMA_VERSION, "1");
/// ```
pub const SCHEMA_VERSION: &str = "1";

/// What a browser offers today: X25519MLKEM768 and x25519 key shares, then the NIST
/// curves; TLS 1.3 and 1.2.
///
/// ```
/// let offer = pqhkex_inventory::browser_offer();
/// assert_eq!(offer[0].name, "X25519MLKEM768");
/// ```
pub fn browser_offer() -> Vec<&'static Group> {
    use pqhkex::groups::*;
    vec![&X25519MLKEM768, &X25519, &SECP256R1, &SECP384R1]
}

/// A GREASE key-exchange group (RFC 8701 §2: 0x0A0A is reserved so that servers must
/// ignore it). Offered first with a 1-byte share, it makes the real group that follows
/// an offer *without a key share*: a server supporting that group must answer with a
/// HelloRetryRequest for it (RFC 8446 §4.1.4).
#[derive(Debug)]
struct Grease;

const GREASE_GROUP: rustls::NamedGroup = rustls::NamedGroup::Unknown(0x0a0a);

impl SupportedKxGroup for Grease {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        Ok(Box::new(GreaseShare))
    }

    fn name(&self) -> rustls::NamedGroup {
        GREASE_GROUP
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        version == ProtocolVersion::TLSv1_3
    }
}

struct GreaseShare;

impl ActiveKeyExchange for GreaseShare {
    fn complete(self: Box<Self>, _peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
        // A server must never select a GREASE value (RFC 8701 §3).
        Err(rustls::PeerMisbehaved::SelectedUnofferedKxGroup.into())
    }

    fn pub_key(&self) -> &[u8] {
        &[0]
    }

    fn group(&self) -> rustls::NamedGroup {
        GREASE_GROUP
    }
}

static GREASE: &dyn SupportedKxGroup = &Grease;

/// The outcome of one probe (JSON `result`).
///
/// ```
/// use pqhkex_inventory::ProbeResult;
///
/// assert_eq!(serde_json::to_string(&ProbeResult::HelloRetryRequest)?, "\"hello-retry-request\"");
/// assert!(ProbeResult::HelloRetryRequest.is_accepted());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeResult {
    /// A ServerHello for the offered key share.
    Accepted,
    /// Accepted, after the server asked for another key share (HelloRetryRequest).
    HelloRetryRequest,
    /// The server refused the handshake (alert, or closed the connection).
    Rejected,
    /// The probe could not be completed (timeout, connection lost, time budget spent).
    Error,
    /// The probe cannot tell: e.g. a TLS 1.2 server refused the group offered alone
    /// because its ECDSA certificate's curve was not offered, and offered next to that
    /// curve it chose the curve. `detail` says why.
    Undetermined,
}

impl ProbeResult {
    /// Whether the server accepted the offer (with or without a HelloRetryRequest).
    ///
    /// ```
    /// assert!(!pqhkex_inventory::ProbeResult::Rejected.is_accepted());
    /// ```
    pub fn is_accepted(self) -> bool {
        matches!(self, ProbeResult::Accepted | ProbeResult::HelloRetryRequest)
    }
}

/// One handshake attempt: what was offered and what the server did (JSON `probe`).
///
/// ```
/// # fn show(p: &pqhkex_inventory::Probe) {
/// if let Some(g) = p.negotiated_group() {
///     println!("{} ({}), {:?}", g.name, if g.is_post_quantum() { "PQ" } else { "classical" }, p.protocol_version());
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The groups offered, in order.
    pub offered: Vec<String>,
    /// What the server did.
    pub result: ProbeResult,
    /// The group the server chose, when it accepted.
    pub group: Option<String>,
    /// Its codepoint (`0x11ec`), when it accepted.
    pub group_code: Option<String>,
    /// Whether that group is post-quantum (hybrid or pure ML-KEM).
    pub post_quantum: Option<bool>,
    /// Whether that group is a hybrid.
    pub hybrid: Option<bool>,
    /// The protocol version (`TLS 1.3`), when it accepted.
    pub protocol: Option<String>,
    /// The cipher suite's IANA name, when it accepted.
    pub cipher_suite: Option<String>,
    /// Why it was rejected or failed.
    pub detail: Option<String>,
}

impl Probe {
    /// The negotiated group in pqhkex's table, from [`Probe::group_code`] (`None` if
    /// none was negotiated or pqhkex does not know the codepoint).
    ///
    /// ```
    /// # use pqhkex_inventory::{Probe, ProbeResult};
    /// let p = Probe { group_code: Some("0x11ec".into()), ..Probe::not_run(&[], "example") };
    /// assert_eq!(p.negotiated_group().map(|g| g.name), Some("X25519MLKEM768"));
    /// ```
    pub fn negotiated_group(&self) -> Option<&'static Group> {
        self.group_code.as_deref().and_then(parse_code)
    }

    /// The negotiated protocol version, from [`Probe::protocol`].
    ///
    /// ```
    /// # use pqhkex_inventory::Probe;
    /// let p = Probe { protocol: Some("TLS 1.2".into()), ..Probe::not_run(&[], "example") };
    /// assert_eq!(p.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
    /// ```
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.protocol.as_deref().and_then(probe::parse_version)
    }

    /// The negotiated cipher suite, from [`Probe::cipher_suite`].
    ///
    /// ```
    /// # use pqhkex_inventory::Probe;
    /// let p = Probe { cipher_suite: Some("TLS_AES_128_GCM_SHA256".into()), ..Probe::not_run(&[], "example") };
    /// assert_eq!(p.cipher_suite_id().map(u16::from), Some(0x1301));
    /// ```
    pub fn cipher_suite_id(&self) -> Option<rustls::CipherSuite> {
        self.cipher_suite.as_deref().and_then(probe::parse_suite)
    }

    /// A probe that did not run (result [`ProbeResult::Error`], `detail` says why).
    ///
    /// ```
    /// use pqhkex_inventory::{Probe, ProbeResult};
    ///
    /// let p = Probe::not_run(&[&pqhkex::groups::X25519], "time budget spent");
    /// assert_eq!((p.result, p.offered[0].as_str()), (ProbeResult::Error, "x25519"));
    /// ```
    pub fn not_run(offered: &[&'static Group], why: &str) -> Probe {
        Probe {
            offered: offered.iter().map(|g| g.name.to_string()).collect(),
            result: ProbeResult::Error,
            group: None,
            group_code: None,
            post_quantum: None,
            hybrid: None,
            protocol: None,
            cipher_suite: None,
            detail: Some(why.to_string()),
        }
    }
}

/// `0x11ec` to the group in pqhkex's table.
fn parse_code(code: &str) -> Option<&'static Group> {
    let hex = code.strip_prefix("0x")?;
    pqhkex::groups::by_code(u16::from_str_radix(hex, 16).ok()?)
}

/// A group's kind in JSON: `hybrid`, `post-quantum` or `classical`.
///
/// ```
/// use pqhkex_inventory::GroupKind;
///
/// assert_eq!(GroupKind::of(&pqhkex::groups::MLKEM768), GroupKind::PostQuantum);
/// assert_eq!(GroupKind::of(&pqhkex::groups::X25519MLKEM768).to_string(), "hybrid");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// A classical and a post-quantum component (X25519MLKEM768, ...).
    Hybrid,
    /// Pure ML-KEM.
    PostQuantum,
    /// ECDH only: not quantum-safe.
    Classical,
}

impl GroupKind {
    /// The kind of a group of pqhkex's table.
    ///
    /// ```
    /// use pqhkex_inventory::GroupKind;
    ///
    /// assert_eq!(GroupKind::of(&pqhkex::groups::SECP384R1), GroupKind::Classical);
    /// ```
    pub fn of(g: &Group) -> GroupKind {
        match g.kind() {
            pqhkex::Kind::Hybrid => GroupKind::Hybrid,
            pqhkex::Kind::PostQuantum => GroupKind::PostQuantum,
            _ => GroupKind::Classical,
        }
    }

    /// The JSON spelling.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::GroupKind::PostQuantum.as_str(), "post-quantum");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Hybrid => "hybrid",
            GroupKind::PostQuantum => "post-quantum",
            GroupKind::Classical => "classical",
        }
    }
}

impl fmt::Display for GroupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A per-group probe: the group's metadata and the probe (JSON `groups[]`).
///
/// ```
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// for g in &r.groups {
///     println!("{} {} {:?}", g.name, g.kind, g.probe.result);
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupProbe {
    /// The group's name.
    pub name: String,
    /// Its codepoint, `0x` and four hex digits.
    pub code: String,
    /// Its kind.
    pub kind: GroupKind,
    /// Its NIST post-quantum security category (`None` for classical groups).
    pub nist_category: Option<u8>,
    /// The group offered alone, with its key share.
    #[serde(flatten)]
    pub probe: Probe,
    /// With HelloRetryRequest probes: the group offered without a key share (only a
    /// GREASE share), which a server supporting it must answer with a
    /// HelloRetryRequest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_key_share: Option<Probe>,
}

impl GroupProbe {
    /// The probed group in pqhkex's table, from [`GroupProbe::code`].
    ///
    /// ```
    /// # fn show(g: &pqhkex_inventory::GroupProbe) {
    /// let spec = g.group().map_or("unknown", |g| g.spec);
    /// # }
    /// ```
    pub fn group(&self) -> Option<&'static Group> {
        parse_code(&self.code)
    }

    /// Whether the server accepted the group, with its key share or by asking for it.
    ///
    /// ```
    /// # fn show(g: &pqhkex_inventory::GroupProbe) {
    /// if g.accepted() { println!("{} accepted", g.name); }
    /// # }
    /// ```
    pub fn accepted(&self) -> bool {
        self.probe.result.is_accepted()
            || self
                .without_key_share
                .as_ref()
                .is_some_and(|p| p.result.is_accepted())
    }
}

/// The groups an endpoint accepted, by kind (JSON `accepted`).
///
/// ```
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// println!("hybrids: {}", r.accepted.hybrid.join(", "));
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Hybrid groups.
    pub hybrid: Vec<String>,
    /// Pure ML-KEM groups.
    pub post_quantum: Vec<String>,
    /// Classical groups.
    pub classical: Vec<String>,
}

/// The certificate the endpoint presented (JSON `certificate`).
///
/// ```
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// if let Some(c) = &r.certificate {
///     println!("{:?} trusted: {:?}", c.subject, c.trusted);
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    /// Subject of the end-entity certificate (RFC 4514-style).
    pub subject: Option<String>,
    /// Its issuer.
    pub issuer: Option<String>,
    /// Whether it chains to the trusted roots ([`Scanner::roots`], or the web PKI).
    pub trusted: Option<bool>,
    /// Why not, when it does not.
    pub error: Option<String>,
}

/// A failure, in JSON (`error`).
///
/// ```
/// use pqhkex_inventory::{ErrorInfo, Failure, FailureKind};
///
/// let e = ErrorInfo::from(&Failure::Timeout("slow".into()));
/// assert_eq!((e.kind, e.exit_code), (FailureKind::Timeout, 4));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The failure's kind.
    pub kind: FailureKind,
    /// Its message.
    pub message: String,
    /// The exit code the command line gives it.
    pub exit_code: u8,
}

impl From<&Failure> for ErrorInfo {
    fn from(f: &Failure) -> Self {
        ErrorInfo {
            kind: f.kind(),
            message: f.message().to_string(),
            exit_code: f.exit_code(),
        }
    }
}

/// Does the endpoint complete a handshake when its post-quantum ClientHello arrives in
/// pieces (JSON `client_hello_split`)? A ClientHello with a 1216-byte ML-KEM share no
/// longer fits one packet; servers and middleboxes that only handle a ClientHello read
/// in one piece broke when browsers turned post-quantum on.
///
/// ```
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// if let Some(split) = &r.client_hello_split {
///     println!("split ClientHello: {}", if split.passed { "passed" } else { "FAILED" });
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitCheck {
    /// Whether both probes completed.
    pub passed: bool,
    /// The browser-like offer with the ClientHello written in two TCP segments,
    /// [`SPLIT_PAUSE`] apart.
    pub tcp_segments: Probe,
    /// The browser-like offer with the ClientHello fragmented across TLS records of at
    /// most [`SPLIT_RECORD_SIZE`] bytes.
    pub tls_records: Probe,
}

/// The pause between the two TCP segments of the [`SplitCheck`] ClientHello.
///
/// ```
/// assert_eq!(pqhkex_inventory::SPLIT_PAUSE.as_millis(), 50);
/// ```
pub const SPLIT_PAUSE: Duration = Duration::from_millis(50);

/// The largest TLS record plaintext of the fragmented [`SplitCheck`] ClientHello (the
/// browser-like offer's, about 1.5 KB, becomes three or four records).
///
/// ```
/// assert_eq!(pqhkex_inventory::SPLIT_RECORD_SIZE, 512);
/// ```
pub const SPLIT_RECORD_SIZE: usize = 512;

/// How one probe's ClientHello is shaped.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// A GREASE group holds the only key share.
    without_share: bool,
    /// Two TCP segments instead of one write.
    split_segments: bool,
    /// Records of at most this many bytes.
    max_fragment: Option<usize>,
}

/// An endpoint's classification (JSON `classification`).
///
/// ```
/// use pqhkex_inventory::Class;
///
/// assert_eq!(Class::PqAndClassical.to_string(), "pq-and-classical");
/// assert!(Class::PqOnly.accepts_post_quantum());
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Accepts post-quantum groups (hybrid or pure ML-KEM) and no classical one.
    PqOnly,
    /// Accepts post-quantum and classical groups.
    PqAndClassical,
    /// Accepts classical groups only (over TLS 1.3).
    ClassicalOnly,
    /// Speaks TLS 1.2 only: no post-quantum group is possible.
    Tls12Only,
    /// Accepted none of the offered groups.
    NoCommonGroup,
    /// Could not be scanned.
    Unreachable,
}

impl Class {
    /// The JSON spelling.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::Class::Tls12Only.as_str(), "tls12-only");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Class::PqOnly => "pq-only",
            Class::PqAndClassical => "pq-and-classical",
            Class::ClassicalOnly => "classical-only",
            Class::Tls12Only => "tls12-only",
            Class::NoCommonGroup => "no-common-group",
            Class::Unreachable => "unreachable",
        }
    }

    /// Whether the endpoint accepts some post-quantum group.
    ///
    /// ```
    /// assert!(!pqhkex_inventory::Class::ClassicalOnly.accepts_post_quantum());
    /// ```
    pub fn accepts_post_quantum(self) -> bool {
        matches!(self, Class::PqOnly | Class::PqAndClassical)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Whether a target was reached (JSON `status`: `ok` or `error`).
///
/// ```
/// assert_eq!(serde_json::to_string(&pqhkex_inventory::Status::Ok)?, "\"ok\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Reached and probed (the classification may still carry an error, e.g. TLS 1.2
    /// only).
    Ok,
    /// Not reached: see `error`.
    Error,
}

/// Everything found about one target (JSON `targets[]`).
///
/// ```no_run
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// println!("{}: {} (browser-like offer post-quantum: {})", r.target, r.classification, r.quantum_safe_by_default);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetResult {
    /// The target as given.
    pub target: String,
    /// The address probed.
    pub address: Option<String>,
    /// What was spoken to it: `tls` or `ssh` (absent in documents written before SSH
    /// scanning, which are all TLS).
    #[serde(default)]
    pub protocol: Protocol,
    /// Whether it was reached.
    pub status: Status,
    /// What went wrong, if anything (unreachable, not TLS, TLS 1.2 only, ...).
    pub error: Option<ErrorInfo>,
    /// The classification.
    pub classification: Class,
    /// Whether the browser-like offer negotiated a post-quantum group.
    pub quantum_safe_by_default: bool,
    /// Whether the endpoint speaks TLS 1.2 only.
    pub tls12_only: bool,
    /// The browser-like offer's probe.
    pub default_offer: Option<Probe>,
    /// The groups accepted, by kind.
    pub accepted: Accepted,
    /// One probe per group.
    pub groups: Vec<GroupProbe>,
    /// The certificate seen.
    pub certificate: Option<CertInfo>,
    /// Whether a split post-quantum ClientHello still completes (absent when the
    /// check was off or the browser-like offer itself failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hello_split: Option<SplitCheck>,
    /// For an `ssh://` target that answered: its identification, key-exchange and
    /// host-key algorithms, and whether `mlkem768x25519-sha256` ran and verified. The
    /// TLS fields stay empty; `accepted` lists the key-exchange methods by kind
    /// (`hybrid`: post-quantum hybrids), `quantum_safe_by_default` says whether an
    /// OpenSSH 10 client with default settings negotiates a post-quantum method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<SshReport>,
}

impl TargetResult {
    /// A target that could not be scanned.
    ///
    /// ```
    /// use pqhkex_inventory::{Class, Failure, TargetResult};
    ///
    /// let r = TargetResult::unreachable("db.internal:443", None, &Failure::Unreachable("no route".into()));
    /// assert_eq!(r.classification, Class::Unreachable);
    /// ```
    pub fn unreachable(target: &str, address: Option<String>, f: &Failure) -> TargetResult {
        TargetResult {
            target: target.to_string(),
            address,
            protocol: Protocol::Tls,
            status: Status::Error,
            error: Some(f.into()),
            classification: Class::Unreachable,
            quantum_safe_by_default: false,
            tls12_only: false,
            default_offer: None,
            accepted: Accepted::default(),
            groups: Vec::new(),
            certificate: None,
            client_hello_split: None,
            ssh: None,
        }
    }

    /// The groups the endpoint accepted, in pqhkex's table, including the one the
    /// browser-like offer negotiated.
    ///
    /// ```
    /// # fn show(r: &pqhkex_inventory::TargetResult) {
    /// let pq = r.accepted_groups().iter().any(|g| g.is_post_quantum());
    /// # }
    /// ```
    pub fn accepted_groups(&self) -> Vec<&'static Group> {
        let mut out: Vec<&'static Group> = self
            .groups
            .iter()
            .filter(|p| p.probe.result.is_accepted())
            .filter_map(GroupProbe::group)
            .collect();
        if let Some(g) = self
            .default_offer
            .as_ref()
            .and_then(Probe::negotiated_group)
        {
            if !out.iter().any(|o| o.code == g.code) {
                out.push(g);
            }
        }
        out
    }
}

/// The whole scan: the document `schema/scan-v1.schema.json` describes, which
/// `pqhkex scan --json` prints.
///
/// ```
/// use pqhkex_inventory::ScanReport;
///
/// let report = ScanReport::new(Vec::new());
/// let text = serde_json::to_string(&report)?;
/// let back: ScanReport = serde_json::from_str(&text)?;
/// assert_eq!(back.schema_version, "1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    /// The version of the published schema this document follows ([`SCHEMA_VERSION`]).
    pub schema_version: String,
    /// Always `pqhkex`.
    pub tool: String,
    /// The version of the software that wrote it.
    pub version: String,
    /// When the scan ran, RFC 3339 UTC.
    pub timestamp: String,
    /// One entry per target, in the order given.
    pub targets: Vec<TargetResult>,
}

impl ScanReport {
    /// A report of `targets`, stamped now.
    ///
    /// ```
    /// let r = pqhkex_inventory::ScanReport::new(Vec::new());
    /// assert!(r.timestamp.ends_with('Z'));
    /// ```
    pub fn new(targets: Vec<TargetResult>) -> ScanReport {
        ScanReport {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: "pqhkex".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            timestamp: crate::cbom::utc_timestamp(std::time::SystemTime::now()),
            targets,
        }
    }

    /// The exit code of `pqhkex scan`: that of the first target (in input order) with
    /// an error, else 0.
    ///
    /// ```
    /// use pqhkex_inventory::{Failure, ScanReport, TargetResult};
    ///
    /// let down = TargetResult::unreachable("a:1", None, &Failure::Unreachable("refused".into()));
    /// assert_eq!(ScanReport::new(vec![down]).exit_code(), 3);
    /// ```
    pub fn exit_code(&self) -> u8 {
        self.targets
            .iter()
            .find_map(|r| r.error.as_ref())
            .map_or(0, |e| e.exit_code)
    }
}

/// Scans endpoints: settings, then [`Scanner::scan_target`], [`Scanner::scan`] or the
/// streaming [`Scanner::scan_each`].
///
/// The probes run on `provider`'s cipher suites, signature checks and RNG, with
/// pqhkex's key-exchange groups; no rustls provider feature is switched on here.
/// Defaults: every group of pqhkex's table, no HelloRetryRequest probes, the split
/// ClientHello checks on, the web PKI roots, 5 s per connect or read, no per-target
/// budget, 8 targets at once.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use pqhkex_inventory::{Scanner, Target};
///
/// let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?
///     .timeout(Duration::from_secs(3))
///     .concurrency(32);
/// let targets = vec![Target::parse("example.com")?, Target::parse("example.net:8443")?];
/// for r in scanner.scan(&targets) {
///     println!("{}: {}", r.target, r.classification);
/// }
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scanner {
    provider: Arc<CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    groups: Vec<&'static Group>,
    hrr: bool,
    timeout: Duration,
    budget: Option<Duration>,
    concurrency: usize,
    split_checks: bool,
}

/// What the per-target time budget leaves for the next probe.
struct Budget {
    deadline: Option<Instant>,
    io_timeout: Duration,
}

impl Budget {
    /// The timeout for the next probe, or `None` once the budget is spent.
    fn next(&self) -> Option<Duration> {
        match self.deadline {
            None => Some(self.io_timeout),
            Some(d) => {
                let left = d.checked_duration_since(Instant::now())?;
                (!left.is_zero()).then(|| left.min(self.io_timeout))
            }
        }
    }
}

impl Scanner {
    /// A scanner with the defaults, on `provider`. Fails only if the provider cannot
    /// verify web PKI signatures.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let scanner = pqhkex_inventory::Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?;
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn new(provider: Arc<CryptoProvider>) -> Result<Scanner, Failure> {
        let verifier = probe::webpki_verifier(probe::root_store(None)?, &provider)?;
        Ok(Scanner {
            provider,
            verifier,
            groups: pqhkex::groups::ALL.to_vec(),
            hrr: false,
            timeout: Duration::from_secs(5),
            budget: None,
            concurrency: 8,
            split_checks: true,
        })
    }

    /// Judge certificates by these roots instead of the web PKI (the verdict is only
    /// reported, never enforced).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{probe, Scanner};
    ///
    /// let roots = probe::root_store(None)?; // or probe::root_store(Some(path))
    /// let scanner = Scanner::new(provider)?.roots(roots)?;
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn roots(mut self, roots: RootCertStore) -> Result<Scanner, Failure> {
        self.verifier = probe::webpki_verifier(roots, &self.provider)?;
        Ok(self)
    }

    /// Probe only these groups, one by one (an empty list restores every group).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex::groups::{X25519, X25519MLKEM768};
    ///
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.groups(&[&X25519MLKEM768, &X25519]);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn groups(mut self, groups: &[&'static Group]) -> Scanner {
        self.groups = if groups.is_empty() {
            pqhkex::groups::ALL.to_vec()
        } else {
            groups.to_vec()
        };
        self
    }

    /// Also offer each group without a key share (only a GREASE one, RFC 8701), to see
    /// whether the server asks for it by HelloRetryRequest. Doubles the probes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.hello_retry_probes(true);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn hello_retry_probes(mut self, on: bool) -> Scanner {
        self.hrr = on;
        self
    }

    /// Whether to run the [`SplitCheck`] (two more handshakes per target; default on).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.client_hello_split_checks(false);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn client_hello_split_checks(mut self, on: bool) -> Scanner {
        self.split_checks = on;
        self
    }

    /// How long to wait for connecting and for each read or write (default 5 s).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.timeout(std::time::Duration::from_millis(1500));
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Scanner {
        self.timeout = timeout;
        self
    }

    /// A time budget per target (default: none). Once spent, the target's remaining
    /// probes are not run: each is reported as [`ProbeResult::Error`] saying so, and a
    /// slow endpoint cannot hold a worker longer than about the budget plus one
    /// [`Scanner::timeout`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.target_timeout(Some(std::time::Duration::from_secs(30)));
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn target_timeout(mut self, budget: Option<Duration>) -> Scanner {
        self.budget = budget;
        self
    }

    /// How many targets to scan at once (default 8; at least 1). Each runs its probes
    /// one after another, so at most this many sockets are open.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.concurrency(64);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn concurrency(mut self, n: usize) -> Scanner {
        self.concurrency = n.max(1);
        self
    }

    /// One handshake offering `offered`, with the ClientHello shaped as `shape` says.
    fn probe_once(
        &self,
        target: &Target,
        addr: SocketAddr,
        offered: &[&'static Group],
        shape: Shape,
        budget: &Budget,
    ) -> (Probe, Option<Handshake>, Option<Failure>) {
        let Some(timeout) = budget.next() else {
            let why = "not run: the per-target time budget was spent";
            return (
                Probe::not_run(offered, why),
                None,
                Some(Failure::Timeout(format!("{}: {why}", target.input))),
            );
        };
        let names = offered.iter().map(|g| g.name.to_string()).collect();
        let recording = Recording::new(self.verifier.clone(), false);
        let mut kx: Vec<&'static dyn SupportedKxGroup> = Vec::new();
        let mut versions = probe::versions_for(offered);
        if shape.without_share {
            kx.push(GREASE);
            versions = probe::TLS13;
        }
        kx.extend(offered.iter().map(|g| pqhkex::rustls::kx_group(g)));
        let outcome = target
            .server_name(None)
            .map_err(probe::ProbeError::from)
            .and_then(|name| {
                let mut config =
                    probe::client_config_kx(&self.provider, kx, versions, recording.clone())?;
                if shape.max_fragment.is_some() {
                    let mut c = (*config).clone();
                    c.max_fragment_size = shape.max_fragment;
                    config = Arc::new(c);
                }
                let delivery = if shape.split_segments {
                    Delivery::TcpSegments { pause: SPLIT_PAUSE }
                } else {
                    Delivery::Whole
                };
                probe::handshake_with(
                    &target.input,
                    addr,
                    name,
                    config,
                    &recording,
                    timeout,
                    delivery,
                )
            });
        match outcome {
            Ok(hs) => {
                let r = &hs.report;
                let probe = Probe {
                    offered: names,
                    result: if r.hello_retry_request == Some(true) {
                        ProbeResult::HelloRetryRequest
                    } else {
                        ProbeResult::Accepted
                    },
                    group: Some(r.group_name()),
                    group_code: r.group_code.map(|c| format!("0x{c:04x}")),
                    post_quantum: Some(r.post_quantum),
                    hybrid: Some(r.hybrid),
                    protocol: r.protocol_version.map(probe::version_name),
                    cipher_suite: r.cipher_suite.map(probe::suite_name),
                    detail: None,
                };
                (probe, Some(hs), None)
            }
            Err(e) => {
                let result = match e.failure {
                    Failure::Timeout(_) | Failure::Unreachable(_) | Failure::Other(_) => {
                        ProbeResult::Error
                    }
                    _ => ProbeResult::Rejected,
                };
                let probe = Probe {
                    detail: Some(e.failure.message().to_string()),
                    result,
                    ..Probe::not_run(offered, "")
                };
                (probe, None, Some(e.failure))
            }
        }
    }

    /// Scans one target: resolve, the browser-like offer, then each group alone (and
    /// without a key share, with [`Scanner::hello_retry_probes`]); for an `ssh://`
    /// target, its key-exchange offer and the hybrid run (see [`crate::ssh`]). Never
    /// fails: an unreachable target is a result too.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{Scanner, Target};
    ///
    /// let r = Scanner::new(provider)?.scan_target(&Target::parse("example.com")?);
    /// println!("{}", serde_json::to_string_pretty(&r).unwrap());
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan_target(&self, target: &Target) -> TargetResult {
        if target.protocol == Protocol::Ssh {
            return self.scan_ssh(target);
        }
        let addr = match target.resolve() {
            Ok(a) => a,
            Err(f) => return TargetResult::unreachable(&target.input, None, &f),
        };
        let budget = Budget {
            deadline: self.budget.map(|b| Instant::now() + b),
            io_timeout: self.timeout,
        };
        let (default_offer, default_hs, default_err) =
            self.probe_once(target, addr, &browser_offer(), Shape::default(), &budget);
        if let Some(f) = default_err.filter(|f| f.is_connection_level()) {
            return TargetResult::unreachable(&target.input, Some(addr.to_string()), &f);
        }
        // A TLS 1.2 server with an ECDSA certificate needs the certificate's curve in
        // supported_groups (RFC 8422 §5.1.1): a classical group offered alone can be
        // refused for that reason alone.
        let tls12_curve = default_hs
            .as_ref()
            .filter(|_| default_offer.protocol_version() == Some(ProtocolVersion::TLSv1_2))
            .and_then(|hs| hs.certificate_curve);
        let mut first_hs = default_hs;
        let mut groups = Vec::new();
        let mut accepted = Accepted::default();
        for g in &self.groups {
            let (mut probe, mut hs, _) =
                self.probe_once(target, addr, &[*g], Shape::default(), &budget);
            if let Some(curve) = tls12_curve.filter(|c| {
                probe.result == ProbeResult::Rejected && g.tls12_allowed() && c.code != g.code
            }) {
                let (again, again_hs, _) =
                    self.probe_once(target, addr, &[*g, curve], Shape::default(), &budget);
                probe = with_certificate_curve(g, curve, probe, again);
                hs = hs.or(again_hs);
            }
            let without_key_share = self.hrr.then(|| {
                let shape = Shape {
                    without_share: true,
                    ..Shape::default()
                };
                self.probe_once(target, addr, &[*g], shape, &budget).0
            });
            let gp = GroupProbe {
                name: g.name.to_string(),
                code: format!("0x{:04x}", g.code),
                kind: GroupKind::of(g),
                nist_category: g.nist_category(),
                probe,
                without_key_share,
            };
            if gp.accepted() {
                match gp.kind {
                    GroupKind::Hybrid => accepted.hybrid.push(gp.name.clone()),
                    GroupKind::PostQuantum => accepted.post_quantum.push(gp.name.clone()),
                    GroupKind::Classical => accepted.classical.push(gp.name.clone()),
                }
            }
            if first_hs.is_none() {
                first_hs = hs;
            }
            groups.push(gp);
        }
        let tls12_only = default_offer.protocol_version() == Some(ProtocolVersion::TLSv1_2)
            && !groups
                .iter()
                .any(|p| p.probe.protocol_version() == Some(ProtocolVersion::TLSv1_3));
        let pq = !accepted.hybrid.is_empty() || !accepted.post_quantum.is_empty();
        let classical = !accepted.classical.is_empty()
            || default_offer
                .negotiated_group()
                .is_some_and(|g| !g.is_post_quantum());
        let classification = match (tls12_only, pq, classical) {
            (true, _, _) => Class::Tls12Only,
            (false, true, false) => Class::PqOnly,
            (false, true, true) => Class::PqAndClassical,
            (false, false, true) => Class::ClassicalOnly,
            (false, false, false) => Class::NoCommonGroup,
        };
        let client_hello_split =
            (self.split_checks && default_offer.result.is_accepted()).then(|| {
                let split = |shape| {
                    self.probe_once(target, addr, &browser_offer(), shape, &budget)
                        .0
                };
                let tcp_segments = split(Shape {
                    split_segments: true,
                    ..Shape::default()
                });
                let tls_records = split(Shape {
                    max_fragment: Some(SPLIT_RECORD_SIZE),
                    ..Shape::default()
                });
                SplitCheck {
                    passed: tcp_segments.result.is_accepted() && tls_records.result.is_accepted(),
                    tcp_segments,
                    tls_records,
                }
            });
        let failure = tls12_only.then(|| {
            Failure::Tls12Only(format!(
                "{} speaks TLS 1.2 only: no post-quantum key exchange is possible",
                target.input
            ))
        });
        TargetResult {
            target: target.input.clone(),
            address: Some(addr.to_string()),
            protocol: Protocol::Tls,
            status: Status::Ok,
            error: failure.as_ref().map(ErrorInfo::from),
            classification,
            quantum_safe_by_default: default_offer.post_quantum == Some(true),
            tls12_only,
            default_offer: Some(default_offer),
            accepted,
            groups,
            certificate: first_hs.map(|hs| CertInfo {
                subject: hs.subject,
                issuer: hs.issuer,
                trusted: hs.certificate.as_ref().map(|c| c.is_ok()),
                error: hs.certificate.and_then(|c| c.err()),
            }),
            client_hello_split,
            ssh: None,
        }
    }

    /// Scans an `ssh://` target: its identification line and KEXINIT, and
    /// `mlkem768x25519-sha256` run up to the host key's signature when offered (see
    /// [`ssh::probe`]).
    fn scan_ssh(&self, target: &Target) -> TargetResult {
        let ssh_unreachable = |address: Option<String>, f: &Failure| TargetResult {
            protocol: Protocol::Ssh,
            ..TargetResult::unreachable(&target.input, address, f)
        };
        let addr = match target.resolve() {
            Ok(a) => a,
            Err(f) => return ssh_unreachable(None, &f),
        };
        let report = match ssh::probe(addr, &target.input, self.timeout) {
            Ok(r) => r,
            Err(e) => return ssh_unreachable(Some(addr.to_string()), &ssh_failure(target, e)),
        };
        let mut accepted = Accepted::default();
        for m in &report.kex_algorithms {
            match m.kind {
                ssh::KexKind::MlkemHybrid | ssh::KexKind::PqHybrid => {
                    accepted.hybrid.push(m.name.clone())
                }
                ssh::KexKind::Classical => accepted.classical.push(m.name.clone()),
                _ => {}
            }
        }
        let classification = match report.classification {
            ssh::Classification::PqOnly => Class::PqOnly,
            ssh::Classification::PqAndClassical => Class::PqAndClassical,
            ssh::Classification::ClassicalOnly => Class::ClassicalOnly,
            _ => Class::NoCommonGroup,
        };
        // A server that ran the hybrid and got it wrong is broken, like a failed
        // handshake.
        let failure = (report.verification.status == VerificationStatus::Failed).then(|| {
            Failure::Handshake(format!(
                "{}: the post-quantum key exchange did not verify: {}",
                target.input,
                report.verification.detail.as_deref().unwrap_or("no detail")
            ))
        });
        TargetResult {
            target: target.input.clone(),
            address: Some(addr.to_string()),
            protocol: Protocol::Ssh,
            status: Status::Ok,
            error: failure.as_ref().map(ErrorInfo::from),
            classification,
            quantum_safe_by_default: report
                .openssh10_client_choice
                .as_deref()
                .is_some_and(|c| KexMethod::describe(c).post_quantum),
            tls12_only: false,
            default_offer: None,
            accepted,
            groups: Vec::new(),
            certificate: None,
            client_hello_split: None,
            ssh: Some(report),
        }
    }

    /// Scans every target, at most [`Scanner::concurrency`] at once, and returns the
    /// results in the targets' order. Holds every result until the end; for very long
    /// lists use [`Scanner::scan_each`].
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{Scanner, ScanReport, Target};
    ///
    /// let targets = vec![Target::parse("example.com")?];
    /// let report = ScanReport::new(Scanner::new(provider)?.scan(&targets));
    /// println!("{}", serde_json::to_string_pretty(&report).unwrap());
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan(&self, targets: &[Target]) -> Vec<TargetResult> {
        self.scan_with_progress(targets, |_| {})
    }

    /// [`Scanner::scan`], calling `progress` on the calling thread with each result as
    /// it arrives (for a progress bar; the order is that of completion).
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{Scanner, Target};
    ///
    /// let targets = vec![Target::parse("example.com")?, Target::parse("example.net")?];
    /// let mut done = 0;
    /// let results = Scanner::new(provider)?.scan_with_progress(&targets, |r| {
    ///     done += 1;
    ///     eprintln!("{done}/2: {}", r.target);
    /// });
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan_with_progress(
        &self,
        targets: &[Target],
        mut progress: impl FnMut(&TargetResult),
    ) -> Vec<TargetResult> {
        let mut results: Vec<Option<TargetResult>> = vec![None; targets.len()];
        self.scan_each(targets.iter().cloned(), |i, r| {
            progress(&r);
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
            Flow::Continue
        });
        results
            .into_iter()
            .zip(targets)
            .map(|(r, t)| {
                r.unwrap_or_else(|| {
                    let f = Failure::Other("the scan thread failed".into());
                    TargetResult::unreachable(&t.input, None, &f)
                })
            })
            .collect()
    }

    /// The streaming scan: takes targets from `targets` as workers free up and hands
    /// each result, with the target's index, to `on_result` on the calling thread as
    /// soon as it is ready (not in input order). Memory and open sockets stay bounded
    /// by [`Scanner::concurrency`], whatever the number of targets: targets are read
    /// lazily and results are not kept. `on_result` returns [`Flow::Stop`] to end the
    /// scan early (no new target starts; those in progress finish and are still
    /// delivered). Returns how many results were delivered.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use std::io::{BufRead, Write};
    /// use pqhkex_inventory::{Flow, Scanner, Target};
    ///
    /// // One target per line in, one JSON line per result out, as they finish.
    /// let lines = std::io::stdin().lock().lines().map_while(Result::ok).collect::<Vec<_>>();
    /// let targets = lines.iter().filter_map(|l| Target::parse(l).ok());
    /// let mut out = std::io::stdout().lock();
    /// let done = Scanner::new(provider)?.concurrency(64).scan_each(targets, |_, r| {
    ///     let _ = writeln!(out, "{}", serde_json::to_string(&r).unwrap());
    ///     Flow::Continue
    /// });
    /// eprintln!("{done} targets");
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan_each<I, F>(&self, targets: I, mut on_result: F) -> usize
    where
        I: IntoIterator<Item = Target>,
        I::IntoIter: Send,
        F: FnMut(usize, TargetResult) -> Flow,
    {
        let source = Mutex::new(targets.into_iter().enumerate());
        let stop = AtomicBool::new(false);
        // A bounded queue: a worker whose result the caller has not taken yet waits,
        // so at most `concurrency` results (plus those in the queue) exist at once.
        let (tx, rx) = mpsc::sync_channel::<(usize, TargetResult)>(self.concurrency);
        let mut delivered = 0;
        std::thread::scope(|s| {
            for _ in 0..self.concurrency {
                let tx = tx.clone();
                let (source, stop) = (&source, &stop);
                s.spawn(move || loop {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let next = match source.lock() {
                        Ok(mut it) => it.next(),
                        Err(_) => None,
                    };
                    let Some((i, t)) = next else { break };
                    let r = self.scan_target(&t);
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            for (i, r) in rx.iter() {
                delivered += 1;
                if on_result(i, r) == Flow::Stop {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        });
        delivered
    }
}

/// An SSH probe's error as a [`Failure`] (a protocol error is a failed handshake).
fn ssh_failure(target: &Target, e: SshError) -> Failure {
    match e {
        SshError::Unreachable(m) => Failure::Unreachable(format!("{}: {m}", target.input)),
        SshError::Timeout(m) => Failure::Timeout(format!("{}: {m}", target.input)),
        SshError::NotSsh(m) => Failure::NotSsh(format!("{}: {m}", target.input)),
        SshError::Protocol(m) => Failure::Handshake(format!(
            "SSH key exchange with {} failed: {m}",
            target.input
        )),
        #[allow(unreachable_patterns)]
        other => Failure::Other(format!("{}: {other}", target.input)),
    }
}

/// The verdict on classical group `g`, refused when offered alone by a TLS 1.2 server
/// whose ECDSA certificate is on `curve`, from `again`: `g` offered first, `curve` next.
fn with_certificate_curve(g: &Group, curve: &Group, alone: Probe, again: Probe) -> Probe {
    let why = format!(
        "offered alone it was refused, but the server speaks TLS 1.2 with an ECDSA certificate on {}, \
         which a client must list in supported_groups for the certificate to be usable \
         (RFC 8422 §5.1.1), so {} was offered again followed by {}",
        curve.name, g.name, curve.name
    );
    match (again.result.is_accepted(), again.negotiated_group()) {
        (true, Some(chosen)) if chosen.code == g.code => Probe {
            detail: Some(format!("{why}: accepted")),
            ..again
        },
        (true, _) => Probe {
            result: ProbeResult::Undetermined,
            detail: Some(format!(
                "{why}: the server chose {} instead, so whether it supports {} is not determined",
                again.group.as_deref().unwrap_or("another group"),
                g.name
            )),
            ..again
        },
        (false, _) => Probe {
            detail: Some(format!(
                "{}; {why}: refused again ({})",
                alone.detail.as_deref().unwrap_or("refused"),
                again.detail.as_deref().unwrap_or("no detail")
            )),
            ..alone
        },
    }
}

/// Whether [`Scanner::scan_each`] goes on after a result.
///
/// ```
/// assert_ne!(pqhkex_inventory::Flow::Continue, pqhkex_inventory::Flow::Stop);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Scan the next target.
    Continue,
    /// Start no new target.
    Stop,
}
