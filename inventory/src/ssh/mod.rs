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
//! ```no_run
//! use std::time::Duration;
//! use pqhkex_inventory::{ssh::probe, Target};
//!
//! let target = Target::parse("ssh://example.net")?;
//! let report = probe(target.resolve()?, &target.input, Duration::from_secs(5))?;
//! println!("{} {:?} {:?}", report.software, report.classification, report.verification.status);
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

/// One host-key algorithm the server offers.
///
/// ```
/// let h = pqhkex_inventory::ssh::HostKeyAlg { name: "ssh-ed25519".into(), post_quantum: false };
/// assert_eq!(serde_json::to_value(&h).unwrap()["post_quantum"], false);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeyAlg {
    /// The name, as offered.
    pub name: String,
    /// Whether it is a post-quantum signature (none is deployed for SSH host keys yet;
    /// names with ML-DSA, SLH-DSA or Falcon in them would be).
    pub post_quantum: bool,
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
    /// A post-quantum method is offered, but pqhkex could not run it (see `detail`).
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

    let verification = if server
        .kex_algorithms
        .iter()
        .any(|n| n == kex::MLKEM768X25519)
    {
        let ours: Vec<&str> = hostkey::VERIFIABLE
            .iter()
            .copied()
            .filter(|a| server.server_host_key_algorithms.iter().any(|s| s == a))
            .collect();
        if ours.is_empty() {
            Verification::status(
                VerificationStatus::AdvertisedOnly,
                Some(format!(
                    "{} is offered, but none of the server's host-key algorithms ({}) is one \
                     pqhkex verifies ({})",
                    kex::MLKEM768X25519,
                    server.server_host_key_algorithms.join(","),
                    hostkey::VERIFIABLE.join(",")
                )),
            )
        } else {
            // Past the KEXINIT, a broken exchange is a finding about this server, not a
            // reason to throw the KEXINIT away.
            hybrid_exchange(s, &id.raw, &server, &ours, make_client).unwrap_or_else(|e| {
                let status = match e {
                    SshError::Protocol(_) | SshError::NotSsh(_) => VerificationStatus::Failed,
                    _ => VerificationStatus::Undetermined,
                };
                Verification::status(status, Some(e.to_string()))
            })
        }
    } else if let Some(pq) = real.iter().find(|m| m.post_quantum) {
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
            .map(|n| HostKeyAlg {
                name: n.clone(),
                post_quantum: kex::host_key_is_post_quantum(n),
            })
            .collect(),
        encryption_algorithms: server.encryption_c2s.clone(),
        mac_algorithms: server.mac_c2s.clone(),
        compression_algorithms: server.compression_c2s.clone(),
        kex_algorithms,
        verification,
    })
}

/// Runs `mlkem768x25519-sha256` (RFC 10042 §2.1) up to the server's signature over the
/// exchange hash, and checks it.
fn hybrid_exchange<S: Read + Write>(
    s: &mut Session<S>,
    v_s: &[u8],
    server: &KexInit,
    host_key_algorithms: &[&str],
    make_client: MakeClient<'_>,
) -> Result<Verification, SshError> {
    let client = make_client().map_err(|e| {
        SshError::Protocol(format!("generating our mlkem768x25519-sha256 keys: {e}"))
    })?;
    let i_c = KexInit::client_reply(server, host_key_algorithms);
    s.send_packet(&i_c, "sending our SSH_MSG_KEXINIT")?;
    let c_init = client.init_bytes();
    let mut init = Writer::default();
    init.u8(MSG_KEX_HYBRID_INIT).string(&c_init);
    s.send_packet(&init.into_vec(), "sending SSH_MSG_KEX_HYBRID_INIT")?;

    // The server picks the first of our host-key algorithms it supports (RFC 4253
    // §7.1); we offered only ones it listed, so ours come first.
    let algorithm = host_key_algorithms[0];
    let mut skip_guess = server.server_guess_is_wrong(algorithm);
    let during = "waiting for SSH_MSG_KEX_HYBRID_REPLY";
    let reply = loop {
        let m = s.next_message(during)?;
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

    // RFC 10042 §2.1: string K_S, string S_REPLY, string signature on the exchange hash.
    let HybridReply {
        k_s,
        s_reply,
        signature: sig,
    } = parse_reply(&reply[1..]).map_err(SshError::Protocol)?;

    let mut result = Verification {
        status: VerificationStatus::Failed,
        detail: None,
        host_key_algorithm: Some(algorithm.to_owned()),
        host_key_sha256: Some(hostkey::fingerprint_sha256(k_s)),
    };
    if let Ok(t) = hostkey::key_type(k_s) {
        if t != algorithm {
            result.host_key_algorithm = Some(t);
        }
    }
    let k = match client.finish(s_reply) {
        Ok(k) => k,
        Err(e) => {
            result.detail = Some(format!("S_REPLY refused: {e}"));
            // RFC 10042 §2.1: the client MUST disconnect with KEY_EXCHANGE_FAILED.
            s.disconnect(DISCONNECT_KEY_EXCHANGE_FAILED, "S_REPLY refused");
            return Ok(result);
        }
    };
    let h = exchange_hash(&ExchangeHashInput {
        v_c: CLIENT_IDENTIFICATION.as_bytes(),
        v_s,
        i_c: &i_c,
        i_s: &server.payload,
        k_s,
        c_init: &c_init,
        s_reply,
        k: &k,
    });
    match hostkey::verify(algorithm, k_s, sig, &h) {
        Ok(()) => {
            result.status = VerificationStatus::Verified;
            s.disconnect(DISCONNECT_BY_APPLICATION, "pqhkex: key exchange checked");
        }
        Err(e) => {
            result.detail = Some(e);
            s.disconnect(DISCONNECT_KEY_EXCHANGE_FAILED, "host key signature refused");
        }
    }
    Ok(result)
}

/// The fields of `SSH_MSG_KEX_HYBRID_REPLY`.
struct HybridReply<'a> {
    k_s: &'a [u8],
    s_reply: &'a [u8],
    signature: &'a [u8],
}

/// `SSH_MSG_KEX_HYBRID_REPLY` after its message number: K_S, S_REPLY, signature.
fn parse_reply(body: &[u8]) -> Result<HybridReply<'_>, String> {
    let mut r = Reader::new(body, "SSH_MSG_KEX_HYBRID_REPLY");
    let reply = HybridReply {
        k_s: r.string("K_S")?,
        s_reply: r.string("S_REPLY")?,
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
    k: &'a [u8],
}

/// RFC 10042 §2.5: H = SHA-256 of, each as an SSH string: V_C, V_S (identification
/// lines without CR LF), I_C, I_S (the KEXINIT payloads), K_S, C_INIT, S_REPLY, and K —
/// K as a string, not an mpint as in RFC 4253 §8.
fn exchange_hash(x: &ExchangeHashInput<'_>) -> [u8; 32] {
    let mut w = Writer::default();
    for field in [x.v_c, x.v_s, x.i_c, x.i_s, x.k_s, x.c_init, x.s_reply, x.k] {
        w.string(field);
    }
    let buf = Zeroizing::new(w.into_vec());
    Sha256::digest(&buf[..]).into()
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
            k: &[0x80],
        };
        let mut manual = Vec::new();
        for f in [&b"a"[..], b"b", b"", b"", b"", b"", b""] {
            manual.extend_from_slice(&(f.len() as u32).to_be_bytes());
            manual.extend_from_slice(f);
        }
        // K = 0x80 as a string: length 1, no mpint sign byte.
        manual.extend_from_slice(&[0, 0, 0, 1, 0x80]);
        assert_eq!(exchange_hash(&x), <[u8; 32]>::from(Sha256::digest(&manual)));
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
