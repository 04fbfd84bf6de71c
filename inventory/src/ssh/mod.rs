//! SSH: is this server post-quantum?
//!
//! [`probe`] connects to an SSH server, reads its identification line and its
//! `SSH_MSG_KEXINIT` offer, and says which key exchanges are post-quantum. If the server
//! offers `mlkem768x25519-sha256` (RFC 10042; OpenSSH's default since 10.0), it runs
//! that exchange with pqhkex's [`pqhkex::ssh`] combiner up to the server's host-key
//! signature over the exchange hash, and verifies it: the report then says the server
//! *ran* the hybrid correctly, not just that it lists the name. It never authenticates,
//! never sends `SSH_MSG_NEWKEYS`, and closes the connection after the reply.
//!
//! Host keys, the authentication half of the migration: every host-key algorithm offered
//! is classified ([`HostKeyAlg`]: family, curve, size where the name fixes it,
//! post-quantum parameter set, quantum vulnerability), and the key the server presents
//! in the exchange is read ([`HostKeyInfo`]: type, size, curve, fingerprint). The probe
//! asks for a host key whose signature it verifies (Ed25519, ECDSA P-256) where the
//! server has one, else for the server's own (RSA, ECDSA P-384, ...), whose signature it
//! does not check. A server without `mlkem768x25519-sha256` gets a classical exchange
//! (X25519, or ECDH on P-256 or P-384) run only to see its host key; that changes
//! nothing in the post-quantum verdict.
//!
//! ```no_run
//! use std::time::Duration;
//! use pqhkex_inventory::{ssh::probe, Target};
//!
//! let target = Target::parse("ssh://example.net")?;
//! let report = probe(target.resolve()?, &target.input, Duration::from_secs(5))?;
//! println!("{} {:?} {:?}", report.software, report.classification, report.verification.status);
//! if let Some(key) = &report.host_key {
//!     println!("{} {:?} bits {} (quantum-vulnerable: {})", key.algorithm, key.bits, key.fingerprint, key.quantum_vulnerable);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything a peer sends is bounded: identification lines (255 bytes each, 20 lines
//! before it), packets (35000 bytes, RFC 4253 §6.1), every length inside a message; the
//! whole probe (connecting, every read and write, the close) runs under one deadline,
//! `timeout` from the call, however the server trickles its bytes. A malformed peer ends
//! in an [`SshError`], never a panic or a hang; once its KEXINIT was read, a failure of
//! the exchange after it is reported in [`SshReport::verification`] with the KEXINIT
//! kept. Synchronous `std::net` only.

mod banner;
mod hostkey;
mod kex;
mod keyinfo;
mod wire;

use std::fmt;
use std::io::{self, BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::deadline::{DeadlineStream, Replay};
use crate::ssh::kex::KexInit;
use crate::ssh::wire::{PacketError, Reader, Writer};
use crate::Answer;

/// Our identification line (RFC 4253 §4.2), without CR LF: `V_C` of the exchange hash.
pub const CLIENT_IDENTIFICATION: &str = "SSH-2.0-pqhkex_0.1";

const MSG_DISCONNECT: u8 = 1;
const MSG_IGNORE: u8 = 2;
const MSG_UNIMPLEMENTED: u8 = 3;
const MSG_DEBUG: u8 = 4;
/// `SSH_MSG_KEX_HYBRID_INIT` (RFC 10042 §2.2; the number of SSH_MSG_KEX_ECDH_INIT).
const MSG_KEX_HYBRID_INIT: u8 = 30;
/// `SSH_MSG_KEX_HYBRID_REPLY` (RFC 10042 §2.2; the number of SSH_MSG_KEX_ECDH_REPLY).
const MSG_KEX_HYBRID_REPLY: u8 = 31;
/// `SSH_DISCONNECT_KEY_EXCHANGE_FAILED` (RFC 4253 §11.1).
const DISCONNECT_KEY_EXCHANGE_FAILED: u32 = 3;
/// `SSH_DISCONNECT_BY_APPLICATION` (RFC 4253 §11.1).
const DISCONNECT_BY_APPLICATION: u32 = 11;
/// At most this many IGNORE/DEBUG packets are skipped while waiting for one message.
const MAX_SKIPPED_PACKETS: usize = 64;
/// At most this many bytes of a DISCONNECT description are kept in an error message.
const MAX_DISCONNECT_TEXT: usize = 256;

/// What kind of key exchange a name is.
///
/// ```
/// assert_eq!(serde_json::to_string(&pqhkex_inventory::ssh::KexKind::MlkemHybrid).unwrap(), "\"mlkem-hybrid\"");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KexKind {
    /// An ML-KEM hybrid of RFC 10042 (`mlkem768x25519-sha256`, ...).
    MlkemHybrid,
    /// Another post-quantum hybrid (`sntrup761x25519-sha512`, RFC 9941).
    PqHybrid,
    /// Classical: (EC)DH, X25519, X448.
    Classical,
    /// A pseudo-method (`ext-info-s`, `kex-strict-s-v00@openssh.com`) or an unknown name.
    Other,
}

/// One key-exchange method the server offers.
///
/// ```
/// let m = pqhkex_inventory::ssh::KexMethod::describe("mlkem768x25519-sha256");
/// assert!(m.post_quantum);
/// assert_eq!(m.nist_category, Some(3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KexMethod {
    /// The name, as offered.
    pub name: String,
    /// What kind of method it is.
    pub kind: KexKind,
    /// Whether it resists a quantum computer (a post-quantum hybrid).
    pub post_quantum: bool,
    /// The NIST security category of its post-quantum part, where NIST defines one
    /// (ML-KEM-768: 3, ML-KEM-1024: 5; none for sntrup761).
    pub nist_category: Option<u8>,
}

impl KexMethod {
    /// What pqhkex knows about a key-exchange name.
    ///
    /// ```
    /// use pqhkex_inventory::ssh::{KexKind, KexMethod};
    /// assert_eq!(KexMethod::describe("curve25519-sha256").kind, KexKind::Classical);
    /// assert_eq!(KexMethod::describe("sntrup761x25519-sha512").kind, KexKind::PqHybrid);
    /// assert_eq!(KexMethod::describe("ext-info-s").kind, KexKind::Other);
    /// ```
    pub fn describe(name: &str) -> Self {
        kex::describe(name)
    }
}

/// The family of a host-key (signature) algorithm. A certificate or security-key name
/// (`ssh-ed25519-cert-v01@openssh.com`, `sk-ecdsa-sha2-nistp256@openssh.com`) has the
/// family of the key it certifies or holds.
///
/// ```
/// use pqhkex_inventory::ssh::HostKeyFamily;
/// assert_eq!(serde_json::to_string(&HostKeyFamily::EdDsa).unwrap(), "\"eddsa\"");
/// assert_eq!(serde_json::to_string(&HostKeyFamily::PostQuantum).unwrap(), "\"post-quantum\"");
/// // A family this version does not know reads as unknown.
/// assert_eq!(serde_json::from_str::<HostKeyFamily>("\"xyz\"").unwrap(), HostKeyFamily::Unknown);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyFamily {
    /// RSA (`ssh-rsa`, `rsa-sha2-256`, `rsa-sha2-512`; RFC 4253, RFC 8332).
    Rsa,
    /// DSA (`ssh-dss`).
    Dsa,
    /// ECDSA (`ecdsa-sha2-nistp256/384/521`; RFC 5656).
    Ecdsa,
    /// EdDSA (`ssh-ed25519`, `ssh-ed448`; RFC 8709).
    #[serde(rename = "eddsa")]
    EdDsa,
    /// A post-quantum signature alone (ML-DSA `ssh-mldsa-65`, SLH-DSA, Falcon, XMSS).
    PostQuantum,
    /// A post-quantum signature combined with a classical one
    /// (`ssh-mldsa44-ed25519`, `ssh-mldsa87-es384`): secure while either part is.
    Composite,
    /// A name pqhkex does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

impl HostKeyFamily {
    /// Whether a quantum computer breaks keys of this family: yes for RSA, DSA, ECDSA
    /// and EdDSA, no for post-quantum and composite ones, undetermined for unknown ones.
    ///
    /// ```
    /// use pqhkex_inventory::{ssh::HostKeyFamily, Answer};
    /// assert_eq!(HostKeyFamily::Ecdsa.quantum_vulnerable(), Answer::Yes);
    /// assert_eq!(HostKeyFamily::Composite.quantum_vulnerable(), Answer::No);
    /// ```
    pub fn quantum_vulnerable(self) -> Answer {
        match self {
            HostKeyFamily::PostQuantum | HostKeyFamily::Composite => Answer::No,
            HostKeyFamily::Unknown => Answer::Undetermined,
            _ => Answer::Yes,
        }
    }

    /// The spelling in JSON: `rsa`, `dsa`, `ecdsa`, `eddsa`, `post-quantum`,
    /// `composite`, `unknown`.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::ssh::HostKeyFamily::Rsa.as_str(), "rsa");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            HostKeyFamily::Rsa => "rsa",
            HostKeyFamily::Dsa => "dsa",
            HostKeyFamily::Ecdsa => "ecdsa",
            HostKeyFamily::EdDsa => "eddsa",
            HostKeyFamily::PostQuantum => "post-quantum",
            HostKeyFamily::Composite => "composite",
            HostKeyFamily::Unknown => "unknown",
        }
    }
}

impl fmt::Display for HostKeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One host-key algorithm the server offers, and what its name says: family, curve, key
/// size where the name fixes it, post-quantum parameter set and NIST category, and
/// whether a quantum computer breaks it. The fields after `post_quantum` are absent from
/// documents written before they existed (and then read as unknown / undetermined).
///
/// ```
/// use pqhkex_inventory::{ssh::{HostKeyAlg, HostKeyFamily}, Answer};
///
/// let h = HostKeyAlg::describe("ecdsa-sha2-nistp384-cert-v01@openssh.com");
/// assert_eq!((h.family, h.curve.as_deref(), h.bits), (HostKeyFamily::Ecdsa, Some("nistp384"), Some(384)));
/// assert!(h.certificate);
/// assert_eq!(h.quantum_vulnerable, Answer::Yes);
///
/// let pq = HostKeyAlg::describe("ssh-mldsa-65");
/// assert_eq!((pq.family, pq.nist_category, pq.post_quantum), (HostKeyFamily::PostQuantum, Some(3), true));
/// assert_eq!(serde_json::to_value(&pq).unwrap()["quantum_vulnerable"], false);
///
/// // A document from before these fields: still read.
/// let old: HostKeyAlg = serde_json::from_str(r#"{"name":"ssh-ed25519","post_quantum":false}"#).unwrap();
/// assert_eq!((old.family, old.quantum_vulnerable), (HostKeyFamily::Unknown, Answer::Undetermined));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeyAlg {
    /// The name, as offered.
    pub name: String,
    /// Whether it resists a quantum computer: a post-quantum or composite signature.
    pub post_quantum: bool,
    /// Its family (for a certificate or security key, the underlying key's).
    #[serde(default)]
    pub family: HostKeyFamily,
    /// The curve, where the name fixes one: `nistp256`, `nistp384`, `nistp521`,
    /// `ed25519`, `ed448` (for a composite, its classical part's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// The key size in bits, where the name fixes it (ECDSA, EdDSA,
    /// `x509v3-rsa2048-sha256`); not for `ssh-rsa` or `rsa-sha2-*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// The post-quantum parameter set: `ML-DSA-44`, `ML-DSA-65`, `ML-DSA-87`,
    /// `SLH-DSA-SHA2-128s`, `Falcon-512`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_set: Option<String>,
    /// The NIST security category of the post-quantum part, where NIST defines one
    /// (ML-DSA-44: 2, ML-DSA-65: 3, ML-DSA-87: 5; FIPS 204 §4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nist_category: Option<u8>,
    /// An OpenSSH (`*-cert-v01@openssh.com`) or X.509 (`x509v3-*`) certificate name.
    #[serde(default, skip_serializing_if = "is_false")]
    pub certificate: bool,
    /// A FIDO security-key name (`sk-*@openssh.com`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub security_key: bool,
    /// Whether a quantum computer breaks it: `true` for RSA, DSA, ECDSA, EdDSA,
    /// `false` for post-quantum and composite signatures, `"undetermined"` for names
    /// pqhkex does not know.
    #[serde(default)]
    pub quantum_vulnerable: Answer,
}

impl HostKeyAlg {
    /// What pqhkex knows about a host-key algorithm name.
    ///
    /// ```
    /// use pqhkex_inventory::ssh::{HostKeyAlg, HostKeyFamily};
    /// let c = HostKeyAlg::describe("ssh-mldsa44-ed25519@openssh.com");
    /// assert_eq!((c.family, c.curve.as_deref()), (HostKeyFamily::Composite, Some("ed25519")));
    /// assert_eq!((c.parameter_set.as_deref(), c.nist_category), (Some("ML-DSA-44"), Some(2)));
    /// assert_eq!(HostKeyAlg::describe("rsa-sha2-512").family, HostKeyFamily::Rsa);
    /// ```
    pub fn describe(name: &str) -> Self {
        keyinfo::describe(name)
    }
}

/// The host key the server presented in the key exchange the probe ran (`K_S` of the
/// hybrid or ECDH reply): its type and size read from the key itself, and its
/// fingerprint.
///
/// ```
/// use pqhkex_inventory::{ssh::{HostKeyFamily, HostKeyInfo}, Answer};
///
/// let k: HostKeyInfo = serde_json::from_str(r#"{
///     "algorithm": "rsa-sha2-512", "key_type": "ssh-rsa", "family": "rsa", "bits": 3072,
///     "quantum_vulnerable": true,
///     "fingerprint": "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
///     "key_exchange": "mlkem768x25519-sha256", "signature_verified": "undetermined"
/// }"#).unwrap();
/// assert_eq!((k.family, k.bits, k.quantum_vulnerable), (HostKeyFamily::Rsa, Some(3072), Answer::Yes));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeyInfo {
    /// The host-key algorithm negotiated (`rsa-sha2-512`, `ssh-ed25519`, ...).
    pub algorithm: String,
    /// The key type the key names (`ssh-rsa` for `rsa-sha2-512`); absent if the key
    /// could not be read (see `detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// The key's family.
    pub family: HostKeyFamily,
    /// The key size in bits: RSA's modulus and DSA's prime as in the key; the curve's
    /// for ECDSA (256, 384, 521) and EdDSA (256, 448) — what `ssh-keygen -l` prints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// The key's curve (`nistp256`, `nistp384`, `nistp521`, `ed25519`, `ed448`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// Whether a quantum computer breaks the key (see [`HostKeyFamily::quantum_vulnerable`]).
    pub quantum_vulnerable: Answer,
    /// OpenSSH's fingerprint of the key, `SHA256:` + unpadded base64, as `ssh-keygen -l`
    /// prints it.
    pub fingerprint: String,
    /// The key exchange in which the server presented it: `mlkem768x25519-sha256`, or
    /// a classical one (`curve25519-sha256`, `ecdh-sha2-nistp256`, `ecdh-sha2-nistp384`)
    /// run only to see the key when the server offers no exchange pqhkex verifies.
    pub key_exchange: String,
    /// Whether the server's signature over the exchange hash verified with this key:
    /// undetermined when pqhkex does not verify the algorithm (RSA, ECDSA P-384/P-521,
    /// post-quantum) or the exchange stopped before the signature.
    pub signature_verified: Answer,
    /// Why the key could not be read, or why its signature was not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The server's key-exchange offer in post-quantum terms (pseudo-methods and unknown
/// names ignored).
///
/// ```
/// assert_eq!(serde_json::to_string(&pqhkex_inventory::ssh::Classification::PqAndClassical).unwrap(), "\"pq-and-classical\"");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// Only post-quantum hybrids: a client without one cannot connect.
    PqOnly,
    /// Post-quantum hybrids and classical methods.
    PqAndClassical,
    /// Classical methods only.
    ClassicalOnly,
    /// No key-exchange method pqhkex knows.
    NoCommonMethod,
}

/// How far the post-quantum key exchange was checked.
///
/// ```
/// assert_eq!(serde_json::to_string(&pqhkex_inventory::ssh::VerificationStatus::AdvertisedOnly).unwrap(), "\"advertised-only\"");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationStatus {
    /// `mlkem768x25519-sha256` ran, and the server's host-key signature over the
    /// exchange hash verifies.
    Verified,
    /// A post-quantum method is offered, but pqhkex could not run it, or ran
    /// `mlkem768x25519-sha256` with a host key whose signature it does not verify (RSA,
    /// ECDSA P-384/P-521, ...): see `detail`.
    AdvertisedOnly,
    /// No post-quantum method is offered.
    NotOffered,
    /// `mlkem768x25519-sha256` ran, and the server got it wrong: a reply that breaks
    /// the protocol, a share refused, or a signature that does not verify (see
    /// `detail`).
    Failed,
    /// `mlkem768x25519-sha256` was started but did not finish (timeout, connection
    /// closed or reset): whether the server runs it correctly is not determined (see
    /// `detail`).
    Undetermined,
}

/// The outcome of running the post-quantum key exchange.
///
/// ```
/// use pqhkex_inventory::ssh::{Verification, VerificationStatus};
/// let v = Verification { status: VerificationStatus::NotOffered, detail: None, host_key_algorithm: None, host_key_sha256: None };
/// assert_eq!(serde_json::to_value(&v).unwrap()["status"], "not-offered");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// How far it got.
    pub status: VerificationStatus,
    /// Why, where the status needs an explanation.
    pub detail: Option<String>,
    /// The host-key algorithm of the signature checked.
    pub host_key_algorithm: Option<String>,
    /// The host key's OpenSSH fingerprint, `SHA256:` + unpadded base64 (as
    /// `ssh-keygen -l` prints it).
    pub host_key_sha256: Option<String>,
}

impl Verification {
    fn status(status: VerificationStatus, detail: Option<String>) -> Self {
        Verification {
            status,
            detail,
            host_key_algorithm: None,
            host_key_sha256: None,
        }
    }
}

/// What [`probe`] found out about one SSH server.
///
/// ```
/// # fn show(report: &pqhkex_inventory::ssh::SshReport) {
/// // Serializes to JSON (serde) for inventories:
/// let json = serde_json::to_string_pretty(report).unwrap();
/// # let _ = json; }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshReport {
    /// The label the caller gave [`probe`] (e.g. the target as typed).
    pub target: String,
    /// The address connected to.
    pub address: String,
    /// The server's identification line, without CR LF.
    pub banner: String,
    /// Its `softwareversion`, e.g. `OpenSSH_9.2p1`.
    pub software: String,
    /// The key-exchange methods offered, in the server's order.
    pub kex_algorithms: Vec<KexMethod>,
    /// The host-key algorithms offered, in the server's order.
    pub host_key_algorithms: Vec<HostKeyAlg>,
    /// The ciphers offered (client to server).
    pub encryption_algorithms: Vec<String>,
    /// The MACs offered (client to server).
    pub mac_algorithms: Vec<String>,
    /// The compression methods offered (client to server).
    pub compression_algorithms: Vec<String>,
    /// What an OpenSSH 10 client with default settings would negotiate with this server.
    pub openssh10_client_choice: Option<String>,
    /// The offer in post-quantum terms.
    pub classification: Classification,
    /// Whether the post-quantum exchange ran and verified.
    pub verification: Verification,
    /// The host key the server presented, from `mlkem768x25519-sha256` when it offers
    /// that, else from a classical exchange run to see it (X25519 or ECDH); absent if
    /// no exchange got as far as the server's reply (and in documents from before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<HostKeyInfo>,
}

/// Why a probe did not produce a report.
///
/// ```
/// let e = pqhkex_inventory::ssh::SshError::Timeout("no SSH identification line within 2s".into());
/// assert_eq!(e.kind(), "timeout");
/// assert_eq!(e.to_string(), "timeout: no SSH identification line within 2s");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SshError {
    /// No TCP connection (refused, no route, bad target).
    Unreachable(String),
    /// The server did not answer in time.
    Timeout(String),
    /// The service is not an SSH server.
    NotSsh(String),
    /// An SSH server that broke the protocol or sent SSH_MSG_DISCONNECT.
    Protocol(String),
    /// An SSH server that closed or reset the connection mid-exchange.
    Closed(String),
}

impl SshError {
    /// A stable short name: `unreachable`, `timeout`, `not-ssh`, `protocol` or `closed`.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::ssh::SshError::NotSsh(String::new()).kind(), "not-ssh");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            SshError::Unreachable(_) => "unreachable",
            SshError::Timeout(_) => "timeout",
            SshError::NotSsh(_) => "not-ssh",
            SshError::Protocol(_) => "protocol",
            SshError::Closed(_) => "closed",
        }
    }

    fn message(&self) -> &str {
        match self {
            SshError::Unreachable(m)
            | SshError::Timeout(m)
            | SshError::NotSsh(m)
            | SshError::Protocol(m)
            | SshError::Closed(m) => m,
        }
    }
}

impl fmt::Display for SshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.message())
    }
}

impl std::error::Error for SshError {}

/// Probes the SSH server at `addr`; `label` is recorded as [`SshReport::target`].
/// `timeout` bounds the whole probe: connecting, every read and write, and the close.
///
/// ```no_run
/// let addr = "192.0.2.7:22".parse().unwrap();
/// match pqhkex_inventory::ssh::probe(addr, "ssh://192.0.2.7", std::time::Duration::from_secs(5)) {
///     Ok(r) => println!("{:?}", r.verification.status),
///     Err(e) => println!("{} ({})", e, e.kind()),
/// }
/// ```
pub fn probe(addr: SocketAddr, label: &str, timeout: Duration) -> Result<SshReport, SshError> {
    probe_with(addr, label, timeout, &|| {
        Ok(Box::new(PqhkexClient(
            pqhkex::ssh::ClientKeyShare::generate()?,
        )))
    })
}

/// The client half of `mlkem768x25519-sha256`, as [`probe`] uses it. The default is
/// pqhkex's [`pqhkex::ssh::ClientKeyShare`]; a test can inject another derivation with
/// [`probe_with`] (a deliberately wrong one must end in
/// [`VerificationStatus::Failed`]).
#[doc(hidden)]
pub trait HybridClient {
    /// `C_INIT`.
    fn init_bytes(&self) -> Vec<u8>;
    /// `K` from `S_REPLY` (32 bytes), or why `S_REPLY` is refused.
    fn finish(self: Box<Self>, s_reply: &[u8]) -> Result<Zeroizing<Vec<u8>>, String>;
}

struct PqhkexClient(pqhkex::ssh::ClientKeyShare);

impl HybridClient for PqhkexClient {
    fn init_bytes(&self) -> Vec<u8> {
        self.0.init_bytes().to_vec()
    }

    fn finish(self: Box<Self>, s_reply: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        let k = self.0.finish(s_reply).map_err(|e| e.to_string())?;
        Ok(Zeroizing::new(k.as_bytes().to_vec()))
    }
}

/// A factory for the client half of the exchange.
#[doc(hidden)]
pub type MakeClient<'a> = &'a dyn Fn() -> Result<Box<dyn HybridClient>, pqhkex::Error>;

/// [`probe`] with another client half of the hybrid exchange (for tests).
#[doc(hidden)]
pub fn probe_with(
    addr: SocketAddr,
    label: &str,
    timeout: Duration,
    make_client: MakeClient<'_>,
) -> Result<SshReport, SshError> {
    let deadline = Instant::now() + timeout;
    let stream = DeadlineStream::connect(addr, deadline).map_err(|e| match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            SshError::Timeout(format!("no TCP connection to {addr} within {timeout:?}"))
        }
        _ => SshError::Unreachable(format!("{addr}: {e}")),
    })?;
    let mut session = Session {
        reader: BufReader::new(stream),
        timeout,
    };
    let result = run(&mut session, addr, label, make_client);
    let _ = session
        .reader
        .get_ref()
        .get_ref()
        .shutdown(std::net::Shutdown::Both);
    result
}

/// Runs the probe's side of an SSH connection against `server` (everything the server
/// would send, in order), over memory: what the scanner concludes from those bytes.
/// For fuzzing the wire parser (identification line, binary packets, KEXINIT, the
/// hybrid reply and the host-key signature); the exchange's key share is fresh, so a
/// recorded server reply will not verify.
///
/// ```
/// let e = pqhkex_inventory::ssh::probe_transcript(b"HTTP/1.1 400 Bad Request\r\n\r\n").unwrap_err();
/// assert_eq!(e.kind(), "not-ssh");
/// ```
#[doc(hidden)]
pub fn probe_transcript(server: &[u8]) -> Result<SshReport, SshError> {
    let mut session = Session {
        reader: BufReader::new(Replay { peer: server }),
        timeout: Duration::from_secs(1),
    };
    let addr = SocketAddr::from(([192, 0, 2, 1], 22));
    run(&mut session, addr, "transcript", &|| {
        Ok(Box::new(PqhkexClient(
            pqhkex::ssh::ClientKeyShare::generate()?,
        )))
    })
}

struct Session<S: Read + Write> {
    reader: BufReader<S>,
    timeout: Duration,
}

impl<S: Read + Write> Session<S> {
    fn send(&mut self, bytes: &[u8], during: &str) -> Result<(), SshError> {
        let stream = self.reader.get_mut();
        stream
            .write_all(bytes)
            .and_then(|()| stream.flush())
            .map_err(|e| io_error(e, during, self.timeout))
    }

    fn send_packet(&mut self, payload: &[u8], during: &str) -> Result<(), SshError> {
        self.send(&wire::frame(payload), during)
    }

    /// Sends SSH_MSG_DISCONNECT (RFC 4253 §11.1), best effort: we close right after.
    fn disconnect(&mut self, reason: u32, text: &str) {
        let mut w = Writer::default();
        w.u8(MSG_DISCONNECT)
            .u32(reason)
            .string(text.as_bytes())
            .string(b"");
        let _ = self.send_packet(&w.into_vec(), "sending SSH_MSG_DISCONNECT");
    }

    /// The next payload that is not IGNORE or DEBUG; DISCONNECT becomes an error.
    fn next_message(&mut self, during: &str) -> Result<Vec<u8>, SshError> {
        for _ in 0..MAX_SKIPPED_PACKETS {
            let payload = wire::read_packet(&mut self.reader).map_err(|e| match e {
                PacketError::Io(e) => io_error(e, during, self.timeout),
                PacketError::Invalid(m) => SshError::Protocol(format!("{during}: {m}")),
            })?;
            match payload[0] {
                MSG_IGNORE | MSG_DEBUG => continue,
                MSG_DISCONNECT => return Err(disconnect_error(&payload, during)),
                MSG_UNIMPLEMENTED => {
                    return Err(SshError::Protocol(format!(
                        "{during}: the server answered SSH_MSG_UNIMPLEMENTED"
                    )))
                }
                _ => return Ok(payload),
            }
        }
        Err(SshError::Protocol(format!(
            "{during}: more than {MAX_SKIPPED_PACKETS} IGNORE/DEBUG messages in a row"
        )))
    }
}

fn io_error(e: io::Error, during: &str, timeout: Duration) -> SshError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            SshError::Timeout(format!("{during}: the probe's {timeout:?} ran out"))
        }
        io::ErrorKind::UnexpectedEof => {
            SshError::Closed(format!("{during}: the server closed the connection"))
        }
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => {
            SshError::Closed(format!("{during}: the server closed the connection ({e})"))
        }
        _ => SshError::Protocol(format!("{during}: {e}")),
    }
}

/// RFC 4253 §11.1: uint32 reason code, string description, string language tag.
fn disconnect_error(payload: &[u8], during: &str) -> SshError {
    let mut r = Reader::new(&payload[1..], "SSH_MSG_DISCONNECT");
    let code = r.u32("reason code").unwrap_or(0);
    let text = r.string("description").unwrap_or_default();
    // The description is the peer's text: kept short (the message goes into reports),
    // and shown escaped ({:?}).
    let shown = String::from_utf8_lossy(&text[..text.len().min(MAX_DISCONNECT_TEXT)]);
    let more = if text.len() > MAX_DISCONNECT_TEXT {
        format!(" (first {MAX_DISCONNECT_TEXT} of {} bytes)", text.len())
    } else {
        String::new()
    };
    SshError::Protocol(format!(
        "{during}: the server disconnected (reason {code}): {shown:?}{more}"
    ))
}

fn run<S: Read + Write>(
    s: &mut Session<S>,
    addr: SocketAddr,
    label: &str,
    make_client: MakeClient<'_>,
) -> Result<SshReport, SshError> {
    let timeout_text = format!("the probe's {:?}", s.timeout);
    // The server's identification first: a service that is not SSH never sees ours.
    let id = banner::read_identification(&mut s.reader, &timeout_text)?;
    s.send(
        format!("{CLIENT_IDENTIFICATION}\r\n").as_bytes(),
        "sending our identification",
    )?;

    let during = "reading the server's SSH_MSG_KEXINIT";
    let payload = s.next_message(during)?;
    let server = KexInit::parse(&payload).map_err(SshError::Protocol)?;

    let kex_algorithms: Vec<KexMethod> = server
        .kex_algorithms
        .iter()
        .map(|n| kex::describe(n))
        .collect();
    let real: Vec<KexMethod> = kex_algorithms
        .iter()
        .filter(|m| !kex::is_pseudo(&m.name))
        .cloned()
        .collect();
    // The host keys we ask for: those we verify first, then the server's other plain
    // keys, so that the reply shows the key even when we cannot check its signature.
    let host_keys = keyinfo::offer(&server.server_host_key_algorithms, hostkey::VERIFIABLE);

    let mut host_key = None;
    let verification = if server
        .kex_algorithms
        .iter()
        .any(|n| n == kex::MLKEM768X25519)
    {
        if host_keys.is_empty() {
            Verification::status(
                VerificationStatus::AdvertisedOnly,
                Some(format!(
                    "{} is offered, but none of the server's host-key algorithms ({}) is a \
                     plain key pqhkex can ask for (it verifies {})",
                    kex::MLKEM768X25519,
                    server.server_host_key_algorithms.join(","),
                    hostkey::VERIFIABLE.join(",")
                )),
            )
        } else {
            // Past the KEXINIT, a broken exchange is a finding about this server, not a
            // reason to throw the KEXINIT away.
            let ran = make_client()
                .map_err(|e| {
                    SshError::Protocol(format!("generating our mlkem768x25519-sha256 keys: {e}"))
                })
                .and_then(|client| {
                    exchange(s, &id.raw, &server, KexClient::Hybrid(client), &host_keys)
                });
            match ran {
                Ok(ran) => {
                    let v = hybrid_verification(&ran);
                    host_key = Some(ran.host_key);
                    v
                }
                Err(e) => {
                    let status = match e {
                        SshError::Protocol(_) | SshError::NotSsh(_) => VerificationStatus::Failed,
                        _ => VerificationStatus::Undetermined,
                    };
                    Verification::status(status, Some(e.to_string()))
                }
            }
        }
    } else {
        let v = if let Some(pq) = real.iter().find(|m| m.post_quantum) {
            Verification::status(
                VerificationStatus::AdvertisedOnly,
                Some(format!(
                    "{} ({}) is offered; pqhkex runs only {}, so the exchange was not run",
                    pq.name,
                    match pq.kind {
                        KexKind::MlkemHybrid => "ML-KEM hybrid",
                        _ => "post-quantum hybrid",
                    },
                    kex::MLKEM768X25519
                )),
            )
        } else {
            Verification::status(VerificationStatus::NotOffered, None)
        };
        // Only to see the host key: a classical exchange, whose failure says nothing
        // about the post-quantum verdict (the report then has no host key).
        if let (Some(method), false) = (
            kex::classical_for_host_key(&server.kex_algorithms),
            host_keys.is_empty(),
        ) {
            if let Some(client) = KexClient::classical(method) {
                host_key = exchange(s, &id.raw, &server, client, &host_keys)
                    .ok()
                    .map(|ran| ran.host_key);
            }
        }
        v
    };

    Ok(SshReport {
        target: label.to_owned(),
        address: addr.to_string(),
        banner: id.text(),
        software: id.software.clone(),
        classification: kex::classify(&real),
        openssh10_client_choice: kex::openssh10_choice(&server.kex_algorithms),
        host_key_algorithms: server
            .server_host_key_algorithms
            .iter()
            .map(|n| keyinfo::describe(n))
            .collect(),
        encryption_algorithms: server.encryption_c2s.clone(),
        mac_algorithms: server.mac_c2s.clone(),
        compression_algorithms: server.compression_c2s.clone(),
        kex_algorithms,
        verification,
        host_key,
    })
}

/// The hash of an exchange (RFC 4253 §8, RFC 5656 §4, RFC 10042 §2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KexHash {
    Sha256,
    Sha384,
}

/// A key exchange the probe runs, client side.
enum KexClient {
    /// `mlkem768x25519-sha256` (RFC 10042): what the report's verification is about.
    Hybrid(Box<dyn HybridClient>),
    /// A classical ECDH exchange (X25519, RFC 8731; P-256 or P-384, RFC 5656 §4), run
    /// only to see the server's host key.
    Ecdh {
        method: &'static str,
        hash: KexHash,
        key: Box<dyn rustls::crypto::ActiveKeyExchange>,
    },
}

impl KexClient {
    /// The client half of classical `method` (one of [`kex::CLASSICAL_FOR_HOST_KEY`]),
    /// on pqhkex's own X25519, P-256 and P-384; `None` if it cannot be made.
    fn classical(method: &'static str) -> Option<Self> {
        let (group, hash) = match method {
            "curve25519-sha256" | "curve25519-sha256@libssh.org" => {
                (&pqhkex::groups::X25519, KexHash::Sha256)
            }
            "ecdh-sha2-nistp256" => (&pqhkex::groups::SECP256R1, KexHash::Sha256),
            "ecdh-sha2-nistp384" => (&pqhkex::groups::SECP384R1, KexHash::Sha384),
            _ => return None,
        };
        let key = pqhkex::rustls::kx_group(group).start().ok()?;
        Some(KexClient::Ecdh { method, hash, key })
    }

    fn method(&self) -> &str {
        match self {
            KexClient::Hybrid(_) => kex::MLKEM768X25519,
            KexClient::Ecdh { method, .. } => method,
        }
    }

    fn hash(&self) -> KexHash {
        match self {
            KexClient::Hybrid(_) => KexHash::Sha256,
            KexClient::Ecdh { hash, .. } => *hash,
        }
    }

    /// The names of the init and reply messages (both numbered 30 and 31) and of the
    /// server's share in the reply.
    fn names(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            KexClient::Hybrid(_) => (
                "SSH_MSG_KEX_HYBRID_INIT",
                "SSH_MSG_KEX_HYBRID_REPLY",
                "S_REPLY",
            ),
            KexClient::Ecdh { .. } => ("SSH_MSG_KEX_ECDH_INIT", "SSH_MSG_KEX_ECDH_REPLY", "Q_S"),
        }
    }

    /// `C_INIT`, or `Q_C`.
    fn init_bytes(&self) -> Vec<u8> {
        match self {
            KexClient::Hybrid(c) => c.init_bytes(),
            KexClient::Ecdh { key, .. } => key.pub_key().to_vec(),
        }
    }

    /// K from the server's share, encoded as the exchange hash takes it: a string for
    /// the hybrid (RFC 10042 §2.5), an mpint for ECDH (RFC 5656 §4, RFC 8731 §3.1).
    fn finish(self, server_share: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        let mut w = Writer::default();
        match self {
            KexClient::Hybrid(c) => {
                let k = c.finish(server_share)?;
                w.string(&k);
            }
            KexClient::Ecdh { key, .. } => {
                // pqhkex refuses an invalid point, and X25519's all-zero output.
                let k = key.complete(server_share).map_err(|e| e.to_string())?;
                w.mpint(k.secret_bytes());
            }
        }
        Ok(Zeroizing::new(w.into_vec()))
    }
}

/// What running an exchange up to the server's signature showed.
enum Outcome {
    /// The server's share was refused: no K, no exchange hash.
    ShareRefused(String),
    /// The signature over the exchange hash verifies with the host key.
    Verified,
    /// It does not (why).
    BadSignature(String),
    /// pqhkex does not verify this host-key algorithm's signatures.
    NotVerifiable,
}

/// An exchange run up to the server's signature.
struct Ran {
    host_key: HostKeyInfo,
    outcome: Outcome,
}

/// The report's verification from the hybrid's run.
fn hybrid_verification(ran: &Ran) -> Verification {
    let (status, detail) = match &ran.outcome {
        Outcome::Verified => (VerificationStatus::Verified, None),
        Outcome::ShareRefused(e) | Outcome::BadSignature(e) => {
            (VerificationStatus::Failed, Some(e.clone()))
        }
        Outcome::NotVerifiable => (
            VerificationStatus::AdvertisedOnly,
            Some(format!(
                "{} ran and the server's S_REPLY was accepted, but its host key signs with \
                 {}, which pqhkex does not verify (it verifies {}): the exchange is not \
                 verified",
                kex::MLKEM768X25519,
                ran.host_key.algorithm,
                hostkey::VERIFIABLE.join(",")
            )),
        ),
    };
    Verification {
        status,
        detail,
        // The negotiated name, unless the key names a type that does not belong to it
        // (a server presenting another kind of key than it negotiated).
        host_key_algorithm: Some(match &ran.host_key.key_type {
            Some(t)
                if *t != ran.host_key.algorithm
                    && !(t == "ssh-rsa" && ran.host_key.algorithm.starts_with("rsa-sha2-")) =>
            {
                t.clone()
            }
            _ => ran.host_key.algorithm.clone(),
        }),
        host_key_sha256: Some(ran.host_key.fingerprint.clone()),
    }
}

/// What the key `k_s` presented for `algorithm` in `key_exchange` is.
fn host_key_info(algorithm: &str, k_s: &[u8], key_exchange: &str) -> HostKeyInfo {
    let (key_type, family, curve, bits, detail) = match keyinfo::blob_facts(k_s) {
        Ok(f) => (Some(f.key_type), f.family, f.curve, f.bits, None),
        Err(e) => {
            let named = keyinfo::describe(algorithm);
            (None, named.family, named.curve, None, Some(e))
        }
    };
    HostKeyInfo {
        algorithm: algorithm.to_owned(),
        key_type,
        family,
        bits,
        curve,
        quantum_vulnerable: family.quantum_vulnerable(),
        fingerprint: hostkey::fingerprint_sha256(k_s),
        key_exchange: key_exchange.to_owned(),
        signature_verified: Answer::Undetermined,
        detail,
    }
}

/// Runs `client`'s exchange (RFC 10042 §2.1, RFC 5656 §4, RFC 8731) with the host-key
/// algorithms `host_key_algorithms` (all offered by the server, so it picks the first)
/// up to the server's signature over the exchange hash, checks that where pqhkex can,
/// and closes.
fn exchange<S: Read + Write>(
    s: &mut Session<S>,
    v_s: &[u8],
    server: &KexInit,
    client: KexClient,
    host_key_algorithms: &[&str],
) -> Result<Ran, SshError> {
    let method = client.method().to_owned();
    let hash = client.hash();
    let (init_name, reply_name, share_name) = client.names();
    let i_c = KexInit::client_reply(server, &method, host_key_algorithms);
    s.send_packet(&i_c, "sending our SSH_MSG_KEXINIT")?;
    let c_init = client.init_bytes();
    let mut init = Writer::default();
    init.u8(MSG_KEX_HYBRID_INIT).string(&c_init);
    s.send_packet(&init.into_vec(), &format!("sending {init_name}"))?;

    // The server picks the first of our host-key algorithms it supports (RFC 4253
    // §7.1); we offered only ones it listed, so ours come first.
    let algorithm = host_key_algorithms.first().copied().unwrap_or_default();
    let mut skip_guess = server.server_guess_is_wrong(&method, algorithm);
    let during = format!("waiting for {reply_name}");
    let reply = loop {
        let m = s.next_message(&during)?;
        match m[0] {
            MSG_KEX_HYBRID_REPLY => break m,
            // RFC 4253 §7: a wrongly guessed first KEX packet MUST be ignored.
            30..=49 if skip_guess => skip_guess = false,
            t => {
                return Err(SshError::Protocol(format!(
                    "{during}: unexpected message {t}"
                )))
            }
        }
    };

    // string K_S, string S_REPLY (or Q_S), string signature on the exchange hash.
    let Reply {
        k_s,
        share,
        signature: sig,
    } = parse_reply(&reply[1..], reply_name, share_name).map_err(SshError::Protocol)?;
    let mut host_key = host_key_info(algorithm, k_s, &method);

    let k = match client.finish(share) {
        Ok(k) => k,
        Err(e) => {
            let why = format!("{share_name} refused: {e}");
            host_key.detail = Some(format!("the exchange stopped before the signature: {why}"));
            // RFC 10042 §2.1: the client MUST disconnect with KEY_EXCHANGE_FAILED.
            s.disconnect(
                DISCONNECT_KEY_EXCHANGE_FAILED,
                &format!("{share_name} refused"),
            );
            return Ok(Ran {
                host_key,
                outcome: Outcome::ShareRefused(why),
            });
        }
    };
    let h = exchange_hash(
        &ExchangeHashInput {
            v_c: CLIENT_IDENTIFICATION.as_bytes(),
            v_s,
            i_c: &i_c,
            i_s: &server.payload,
            k_s,
            c_init: &c_init,
            s_reply: share,
            k: &k,
        },
        hash,
    );
    let outcome = if !hostkey::VERIFIABLE.contains(&algorithm) {
        host_key
            .detail
            .get_or_insert_with(|| format!("{algorithm} signatures are not verified by pqhkex"));
        s.disconnect(DISCONNECT_BY_APPLICATION, "pqhkex: host key seen");
        Outcome::NotVerifiable
    } else {
        match hostkey::verify(algorithm, k_s, sig, &h) {
            Ok(()) => {
                host_key.signature_verified = Answer::Yes;
                s.disconnect(DISCONNECT_BY_APPLICATION, "pqhkex: key exchange checked");
                Outcome::Verified
            }
            Err(e) => {
                host_key.signature_verified = Answer::No;
                host_key.detail.get_or_insert_with(|| e.clone());
                s.disconnect(DISCONNECT_KEY_EXCHANGE_FAILED, "host key signature refused");
                Outcome::BadSignature(e)
            }
        }
    };
    Ok(Ran { host_key, outcome })
}

/// The fields of `SSH_MSG_KEX_HYBRID_REPLY` / `SSH_MSG_KEX_ECDH_REPLY`.
struct Reply<'a> {
    k_s: &'a [u8],
    share: &'a [u8],
    signature: &'a [u8],
}

/// The reply after its message number: K_S, S_REPLY (or Q_S), signature.
fn parse_reply<'a>(
    body: &'a [u8],
    what: &'static str,
    share_name: &str,
) -> Result<Reply<'a>, String> {
    let mut r = Reader::new(body, what);
    let reply = Reply {
        k_s: r.string("K_S")?,
        share: r.string(share_name)?,
        signature: r.string("signature")?,
    };
    r.finish()?;
    Ok(reply)
}

/// The inputs of the exchange hash.
struct ExchangeHashInput<'a> {
    v_c: &'a [u8],
    v_s: &'a [u8],
    i_c: &'a [u8],
    i_s: &'a [u8],
    k_s: &'a [u8],
    c_init: &'a [u8],
    s_reply: &'a [u8],
    /// K, already encoded (a string or an mpint, see [`KexClient::finish`]).
    k: &'a [u8],
}

/// RFC 10042 §2.5 and RFC 5656 §4: H = HASH of, each as an SSH string: V_C, V_S
/// (identification lines without CR LF), I_C, I_S (the KEXINIT payloads), K_S, C_INIT
/// (Q_C), S_REPLY (Q_S); then K as encoded (the hybrid's as a string, not an mpint as
/// in RFC 4253 §8; ECDH's as an mpint).
fn exchange_hash(x: &ExchangeHashInput<'_>, hash: KexHash) -> Vec<u8> {
    let mut w = Writer::default();
    for field in [x.v_c, x.v_s, x.i_c, x.i_s, x.k_s, x.c_init, x.s_reply] {
        w.string(field);
    }
    w.raw(x.k);
    let buf = Zeroizing::new(w.into_vec());
    match hash {
        KexHash::Sha256 => Sha256::digest(&buf[..]).to_vec(),
        KexHash::Sha384 => sha2::Sha384::digest(&buf[..]).to_vec(),
    }
}

/// The classification of a KEXINIT offering `names` (for the verdict's tests).
#[cfg(test)]
pub(crate) fn classify_names(names: &[&str]) -> Classification {
    let real: Vec<KexMethod> = names
        .iter()
        .filter(|n| !kex::is_pseudo(n))
        .map(|n| kex::describe(n))
        .collect();
    kex::classify(&real)
}

/// What an OpenSSH 10 client picks from `names` (for the verdict's tests).
#[cfg(test)]
pub(crate) fn openssh10_choice_of(names: &[&str]) -> Option<String> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    kex::openssh10_choice(&names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_hash_is_over_strings() {
        let x = ExchangeHashInput {
            v_c: b"a",
            v_s: b"b",
            i_c: b"",
            i_s: b"",
            k_s: b"",
            c_init: b"",
            s_reply: b"",
            k: &[0, 0, 0, 1, 0x80],
        };
        let mut manual = Vec::new();
        for f in [&b"a"[..], b"b", b"", b"", b"", b"", b""] {
            manual.extend_from_slice(&(f.len() as u32).to_be_bytes());
            manual.extend_from_slice(f);
        }
        // K = 0x80 as a string: length 1, no mpint sign byte.
        manual.extend_from_slice(&[0, 0, 0, 1, 0x80]);
        assert_eq!(
            exchange_hash(&x, KexHash::Sha256),
            Sha256::digest(&manual).to_vec()
        );
        assert_eq!(
            exchange_hash(&x, KexHash::Sha384),
            sha2::Sha384::digest(&manual).to_vec()
        );
    }

    #[test]
    fn ecdh_k_is_an_mpint_and_the_hybrid_k_a_string() {
        // A high top bit: the mpint needs a zero byte, the string does not.
        struct Fixed;
        impl HybridClient for Fixed {
            fn init_bytes(&self) -> Vec<u8> {
                vec![1]
            }
            fn finish(self: Box<Self>, _: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
                Ok(Zeroizing::new(vec![0x80; 32]))
            }
        }
        let k = KexClient::Hybrid(Box::new(Fixed)).finish(b"").unwrap();
        assert_eq!(&k[..5], &[0, 0, 0, 32, 0x80]);
        assert_eq!(k.len(), 36);

        // Two pqhkex X25519 halves agree; the encoded K is an mpint of the secret.
        let client = KexClient::classical("curve25519-sha256").unwrap();
        assert_eq!(client.hash(), KexHash::Sha256);
        let q_c = client.init_bytes();
        assert_eq!(q_c.len(), 32);
        let server = pqhkex::rustls::kx_group(&pqhkex::groups::X25519)
            .start_and_complete(&q_c)
            .unwrap();
        let k = client.finish(&server.pub_key).unwrap();
        let mut expected = Writer::default();
        expected.mpint(server.secret.secret_bytes());
        assert_eq!(&k[..], &expected.into_vec()[..]);
        // An all-zero X25519 share (a small-order point) is refused.
        let client = KexClient::classical("curve25519-sha256@libssh.org").unwrap();
        assert!(client.finish(&[0; 32]).is_err());

        let p384 = KexClient::classical("ecdh-sha2-nistp384").unwrap();
        assert_eq!(
            (p384.hash(), p384.init_bytes().len()),
            (KexHash::Sha384, 97)
        );
        let p256 = KexClient::classical("ecdh-sha2-nistp256").unwrap();
        assert_eq!(
            (p256.hash(), p256.init_bytes().len()),
            (KexHash::Sha256, 65)
        );
        assert!(p256.finish(&[4; 65]).is_err(), "not a point on P-256");
        assert!(KexClient::classical("diffie-hellman-group14-sha256").is_none());
    }

    #[test]
    fn disconnect_text() {
        let mut w = Writer::default();
        w.u8(1).u32(2).string(b"bye").string(b"");
        let e = disconnect_error(&w.into_vec(), "x");
        assert_eq!(e.kind(), "protocol");
        assert!(e.to_string().contains("\"bye\""), "{e}");
        // Truncated: still an error with what could be read.
        assert_eq!(disconnect_error(&[1], "x").kind(), "protocol");
    }
}
