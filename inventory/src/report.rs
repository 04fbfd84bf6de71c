//! The scan's results as typed `serde` values: exactly the JSON `pqhkex scan --json`
//! prints, field by field as `schema/scan-v3.schema.json` describes it. No I/O here:
//! [`crate::Scanner`] fills these in, [`crate::verdict`] draws the classification.

use std::fmt;
use std::time::Duration;

use pqhkex::Group;
use rustls::ProtocolVersion;
use serde::{Deserialize, Serialize};

use crate::probe;
use crate::ssh::SshReport;
use crate::{Failure, FailureKind, Protocol};

/// The `schema_version` of the scan JSON this crate writes
/// (`schema/scan-v3.schema.json` in the repository; version 1 documents, which
/// lack the fields added since, still deserialize).
///
/// ```
/// assert_eq!(pqhkex_inventory::SCHEMA_VERSION, "3");
/// ```
pub const SCHEMA_VERSION: &str = "3";

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
    /// The server chose the offered group: a ServerHello with a key share for it (or,
    /// in TLS 1.2, a ServerKeyExchange on it). This is the key-exchange verdict even if
    /// the handshake failed later (an algorithm of the certificate the probe cannot
    /// verify, a message too large): `handshake_completed` then says `false` and
    /// `failure` why.
    Accepted,
    /// Accepted, after the server asked for the group's key share (HelloRetryRequest).
    HelloRetryRequest,
    /// The server refused, with evidence: a fatal alert naming the refusal in answer to
    /// the ClientHello (`handshake_failure` or `insufficient_security`, RFC 8446
    /// §4.1.1; `protocol_version` for a protocol version it does not speak, RFC 8446
    /// §4.2.1), recorded in `alert`.
    Rejected,
    /// The probe ended without evidence either way: a timeout, a connection reset or
    /// closed without an alert, a peer that broke the protocol, a message the probe
    /// could not read. `failure` says which; the part of the verdict that depends on
    /// it is undetermined.
    Error,
    /// The probe ran, but cannot tell: e.g. a TLS 1.2 server refused the group offered
    /// alone because its ECDSA certificate's curve was not offered, and offered next to
    /// that curve it chose the curve. `detail` says why.
    Undetermined,
    /// The probe was not run (the per-target time budget was spent); `detail` says why.
    NotTested,
    /// The offer cannot apply to this endpoint: a TLS 1.3-only offer (a post-quantum
    /// group, a HelloRetryRequest probe) to an endpoint shown to speak TLS 1.2 or older
    /// only. The server refused it (`alert` keeps the evidence), but "rejected" would
    /// read as a refusal of the group itself. `detail` says why.
    NotApplicable,
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

    /// Whether the server refused the offer with evidence ([`ProbeResult::Rejected`],
    /// or [`ProbeResult::NotApplicable`]: refused because the protocol version cannot
    /// carry it).
    ///
    /// ```
    /// assert!(pqhkex_inventory::ProbeResult::NotApplicable.is_refusal());
    /// assert!(!pqhkex_inventory::ProbeResult::Error.is_refusal());
    /// ```
    pub fn is_refusal(self) -> bool {
        matches!(self, ProbeResult::Rejected | ProbeResult::NotApplicable)
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
    /// The TLS alert the server sent, by its RFC 8446 §6 name (`handshake_failure`):
    /// the evidence of a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// For an accepted group: whether the rest of the handshake completed too (absent
    /// in documents of schema version 1, where only completed handshakes counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake_completed: Option<bool>,
    /// What went wrong, typed: for results `error`, and for an accepted group whose
    /// handshake did not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ErrorInfo>,
    /// How long the probe took, in milliseconds (connecting to closing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
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

    /// A probe that did not run (result [`ProbeResult::NotTested`], `detail` says why).
    ///
    /// ```
    /// use pqhkex_inventory::{Probe, ProbeResult};
    ///
    /// let p = Probe::not_run(&[&pqhkex::groups::X25519], "time budget spent");
    /// assert_eq!((p.result, p.offered[0].as_str()), (ProbeResult::NotTested, "x25519"));
    /// ```
    pub fn not_run(offered: &[&'static Group], why: &str) -> Probe {
        Probe {
            offered: offered.iter().map(|g| g.name.to_string()).collect(),
            result: ProbeResult::NotTested,
            group: None,
            group_code: None,
            post_quantum: None,
            hybrid: None,
            protocol: None,
            cipher_suite: None,
            detail: Some(why.to_string()),
            alert: None,
            handshake_completed: None,
            failure: None,
            elapsed_ms: None,
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
    /// Whether it chains to the trusted roots ([`Scanner::roots`](crate::Scanner::roots), or the web PKI).
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
    /// Refuses TLS 1.3 and TLS 1.2 (a `protocol_version` alert, RFC 8446 §4.2.1):
    /// speaks only an older protocol, so no post-quantum group is possible.
    LegacyTlsOnly,
    /// An SSH server offering no key-exchange method pqhkex knows. (TLS scans of this
    /// version no longer draw it: a TLS server refusing every offer with
    /// `handshake_failure` may object to the cipher suites, the server name or the
    /// signature algorithms just as well, so such a target is [`Class::Undetermined`].)
    NoCommonGroup,
    /// Reached, but the evidence does not decide the classification: some probes
    /// failed or were not run, or no offer led to a key exchange. `verdict.reasons`
    /// says what is missing, `error` why.
    Undetermined,
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
            Class::LegacyTlsOnly => "legacy-tls-only",
            Class::NoCommonGroup => "no-common-group",
            Class::Undetermined => "undetermined",
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

/// An endpoint's key-exchange posture (JSON `pq_posture`): the classification says
/// what the server accepts, this says what a client gets when it offers both.
///
/// ```
/// use pqhkex_inventory::Posture;
///
/// assert_eq!(Posture::PqPreferred.to_string(), "pq-preferred");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Posture {
    /// The server picks a post-quantum group even when the client lists a classical
    /// one first and sends both key shares (TLS), or accepts post-quantum methods only
    /// (SSH, where the client's order decides, RFC 4253 §7.1).
    PqPreferred,
    /// Post-quantum is accepted, but the server follows a client that prefers
    /// classical (TLS), or offers classical methods next to it (SSH).
    PqCapable,
    /// No post-quantum key exchange is possible.
    ClassicalOnly,
    /// The evidence does not decide.
    Undetermined,
}

impl Posture {
    /// The JSON spelling.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::Posture::ClassicalOnly.as_str(), "classical-only");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Posture::PqPreferred => "pq-preferred",
            Posture::PqCapable => "pq-capable",
            Posture::ClassicalOnly => "classical-only",
            Posture::Undetermined => "undetermined",
        }
    }
}

impl fmt::Display for Posture {
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
    /// What was spoken to it: `tls`, `quic` or `ssh` (absent in documents written before SSH
    /// scanning, which are all TLS).
    #[serde(default)]
    pub protocol: Protocol,
    /// Whether it was reached.
    pub status: Status,
    /// What went wrong, if anything (unreachable, not TLS, TLS 1.2 only, ...).
    pub error: Option<ErrorInfo>,
    /// The classification.
    pub classification: Class,
    /// What the classification rests on: each kind of group accepted, not accepted or
    /// undetermined, and why anything is undetermined (absent for unreachable targets
    /// and in schema version 1 documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
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
    /// How long the target took, in milliseconds (resolving to the last probe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    /// The certificate chain as served, end entity first, each certificate with its
    /// key and signature algorithm in post-quantum terms (schema version 3; empty when
    /// no certificate was seen).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_chain: Vec<crate::cert::CertificateEntry>,
    /// How the endpoint authenticates, in post-quantum terms (schema version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<crate::auth::Authentication>,
    /// TLS 1.2 and older: the versions accepted, the key exchanges a TLS 1.2 client
    /// gets, RSA key transport (schema version 3; absent when not probed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<crate::legacy::Legacy>,
    /// Whether the server prefers a post-quantum group, not just accepts one (schema
    /// version 3; absent when not probed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<crate::preference::Preference>,
    /// The key exchange's posture: preferred, merely possible, or not possible
    /// (schema version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pq_posture: Option<Posture>,
    /// What to change, most urgent first, drawn only from the findings; empty when
    /// there is nothing to do (schema version 3; absent for unreachable targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Vec<crate::migration::MigrationStep>>,
    /// For a target scanned over QUIC (`protocol` `quic`): per probe, the datagrams and
    /// bytes the ClientHello took, and the checks that do not apply to QUIC (schema
    /// version 3; absent otherwise). See [`crate::quic`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quic: Option<crate::quic::QuicReport>,
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
            error: Some(f.into()),
            ..TargetResult::nothing_learnt(target, address, Protocol::Tls)
        }
    }

    /// A target of which nothing is known yet: unreachable, no error, every field empty.
    fn nothing_learnt(target: &str, address: Option<String>, protocol: Protocol) -> TargetResult {
        TargetResult {
            target: target.to_string(),
            address,
            protocol,
            status: Status::Error,
            error: None,
            classification: Class::Unreachable,
            verdict: None,
            quantum_safe_by_default: false,
            tls12_only: false,
            default_offer: None,
            accepted: Accepted::default(),
            groups: Vec::new(),
            certificate: None,
            client_hello_split: None,
            ssh: None,
            elapsed_ms: None,
            certificate_chain: Vec::new(),
            authentication: None,
            legacy: None,
            preference: None,
            pq_posture: None,
            migration: None,
            quic: None,
        }
    }

    /// A reached target as the verdict `c` classified it: its classification, verdict
    /// and failure, and what it accepted; every probe-specific field (offer, groups,
    /// certificate, surface, SSH, QUIC) empty, for the caller to fill in.
    pub(crate) fn reached(
        target: &str,
        address: std::net::SocketAddr,
        protocol: Protocol,
        c: crate::verdict::Classified,
        accepted: Accepted,
    ) -> TargetResult {
        TargetResult {
            status: Status::Ok,
            error: c.failure.as_ref().map(ErrorInfo::from),
            classification: c.classification,
            verdict: Some(c.verdict),
            quantum_safe_by_default: c.quantum_safe_by_default,
            tls12_only: c.tls12_only,
            accepted,
            ..TargetResult::nothing_learnt(target, Some(address.to_string()), protocol)
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

/// The whole scan: the document `schema/scan-v3.schema.json` describes, which
/// `pqhkex scan --json` prints.
///
/// ```
/// use pqhkex_inventory::ScanReport;
///
/// let report = ScanReport::new(Vec::new());
/// let text = serde_json::to_string(&report)?;
/// let back: ScanReport = serde_json::from_str(&text)?;
/// assert_eq!(back.schema_version, pqhkex_inventory::SCHEMA_VERSION);
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

/// Whether an endpoint accepts a kind of group (post-quantum, classical), as the
/// evidence shows (JSON `verdict.post_quantum`, `verdict.classical`).
///
/// ```
/// use pqhkex_inventory::Support;
///
/// assert_eq!(serde_json::to_string(&Support::NotAccepted)?, "\"not-accepted\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Support {
    /// Some group of this kind was accepted.
    Accepted,
    /// Every group of this kind that was probed was refused, each with an alert as
    /// evidence (see [`ProbeResult::Rejected`]).
    NotAccepted,
    /// Neither: a probe of this kind failed without evidence, was not run, or no group
    /// of this kind was probed.
    Undetermined,
}

impl Support {
    /// The JSON spelling.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::Support::Undetermined.as_str(), "undetermined");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Support::Accepted => "accepted",
            Support::NotAccepted => "not-accepted",
            Support::Undetermined => "undetermined",
        }
    }
}

impl fmt::Display for Support {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a classification rests on (JSON `verdict`).
///
/// ```
/// use pqhkex_inventory::{Support, Verdict};
///
/// let v = Verdict { post_quantum: Support::Accepted, classical: Support::Undetermined, reasons: vec!["x25519: timeout".into()] };
/// assert!(!v.is_determined());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Post-quantum groups (hybrid or pure ML-KEM; for SSH, post-quantum key-exchange
    /// methods).
    pub post_quantum: Support,
    /// Classical groups (ECDH; for SSH, classical methods).
    pub classical: Support,
    /// Why a part is undetermined, one line per missing piece of evidence (empty when
    /// everything was determined).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl Verdict {
    /// Whether both parts were determined.
    ///
    /// ```
    /// use pqhkex_inventory::{Support, Verdict};
    /// let v = Verdict { post_quantum: Support::Accepted, classical: Support::NotAccepted, reasons: vec![] };
    /// assert!(v.is_determined());
    /// ```
    pub fn is_determined(&self) -> bool {
        self.post_quantum != Support::Undetermined && self.classical != Support::Undetermined
    }
}

/// A yes/no finding that the evidence may not decide: JSON `true`, `false` or the
/// string `"undetermined"` (kept apart from `false`: "not found" is not "not tested").
///
/// ```
/// use pqhkex_inventory::Answer;
///
/// assert_eq!(serde_json::to_string(&Answer::Yes)?, "true");
/// assert_eq!(serde_json::to_string(&Answer::Undetermined)?, "\"undetermined\"");
/// assert_eq!(serde_json::from_str::<Answer>("false")?, Answer::No);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Answer {
    /// The evidence says yes.
    Yes,
    /// The evidence says no.
    No,
    /// No evidence either way (a probe failed, was not run or cannot apply).
    #[default]
    Undetermined,
}

impl Answer {
    /// `Yes` for `true`, `No` for `false`.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::Answer::from_bool(true), pqhkex_inventory::Answer::Yes);
    /// ```
    pub fn from_bool(b: bool) -> Answer {
        if b {
            Answer::Yes
        } else {
            Answer::No
        }
    }

    /// `Some(bool)` when determined.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::Answer::Undetermined.known(), None);
    /// ```
    pub fn known(self) -> Option<bool> {
        match self {
            Answer::Yes => Some(true),
            Answer::No => Some(false),
            Answer::Undetermined => None,
        }
    }

    /// The spelling in tables: `yes`, `no`, `undetermined`.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::Answer::No.as_str(), "no");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Undetermined => "undetermined",
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Yes => s.serialize_bool(true),
            Answer::No => s.serialize_bool(false),
            Answer::Undetermined => s.serialize_str("undetermined"),
        }
    }
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Answer, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(b) => Ok(Answer::from_bool(b)),
            Raw::Text(t) if t == "undetermined" => Ok(Answer::Undetermined),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "expected true, false or \"undetermined\", found {t:?}"
            ))),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_rows {
    //! Rows for the table tests of the verdict and the gate.

    use super::{GroupKind, GroupProbe, Probe, ProbeResult};
    use pqhkex::Group;

    /// `g` accepted, with a completed handshake over TLS 1.3 (TLS 1.2 when `v12`).
    pub(crate) fn ok(g: &'static Group, v12: bool) -> Probe {
        Probe {
            result: ProbeResult::Accepted,
            group: Some(g.name.into()),
            group_code: Some(format!("0x{:04x}", g.code)),
            post_quantum: Some(g.is_post_quantum()),
            hybrid: Some(g.is_hybrid()),
            protocol: Some(if v12 { "TLS 1.2" } else { "TLS 1.3" }.into()),
            handshake_completed: Some(true),
            ..Probe::not_run(&[g], "")
        }
    }

    /// The row of group `g` whose probe gave `p`.
    pub(crate) fn group(g: &'static Group, p: Probe) -> GroupProbe {
        GroupProbe {
            name: g.name.into(),
            code: format!("0x{:04x}", g.code),
            kind: GroupKind::of(g),
            nist_category: g.nist_category(),
            probe: p,
            without_key_share: None,
        }
    }
}
