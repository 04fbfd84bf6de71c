//! TLS 1.2 and older: which versions an endpoint still speaks, and which key exchanges
//! it accepts in them (RSA key transport, ECDHE on which curves, DHE with which prime
//! size), with raw ClientHellos ([`crate::hello`]): rustls has no TLS 1.0 or 1.1, no
//! `TLS_RSA_*` and no DHE suites.
//!
//! [`probe`] runs, each probe with the time its `next_timeout` gives:
//! 1. one hello per version (TLS 1.2, 1.1, 1.0) offering at most that version and
//!    every ECDHE, DHE and RSA suite valid in it: **accepted** if the ServerHello has
//!    that version; **refused** on a refusal alert ([`Alert::is_refusal`]:
//!    `protocol_version`, `handshake_failure`, ...) or a ServerHello for a lower
//!    version; **undetermined** otherwise (a close without an alert, a timeout, bytes
//!    that are not TLS). A TLS 1.3-only server answers a TLS 1.2 hello with
//!    `protocol_version`: TLS 1.2 refused.
//! 2. the key-exchange probes, at TLS 1.2 if it was accepted, else at the highest older
//!    version accepted (then [`KeyExchange::protocol`] says which):
//!    * RSA key transport: only `TLS_RSA_*` suites;
//!    * ECDHE: only ECDHE suites, with the curves x25519, secp256r1, secp384r1,
//!      secp521r1 and x448; the ServerKeyExchange names the curve chosen, which is
//!      dropped from the next offer, until the server refuses (at most one probe per
//!      curve, plus the refusal), so that [`KeyExchange::curves`] lists every curve it
//!      accepts (a server that chose an ECDSA suite keeps its certificate's curve in
//!      every later offer, last: RFC 8422 §5.1.1 makes it refuse without it; if it then
//!      takes that curve again, `detail` says which curves stay undetermined);
//!    * DHE: only DHE suites, no supported_groups; [`KeyExchange::dh_bits`] is the
//!      size of the prime the ServerKeyExchange carries.
//!
//!    When every version up to TLS 1.2 was refused, the key exchanges are
//!    `not-applicable` (and RSA key transport `false`: TLS 1.3 has none); when none was
//!    shown accepted but some are undetermined, they are `undetermined`.
//!
//! The JSON of [`Legacy`]:
//!
//! ```json
//! { "tls12": "accepted", "tls11": "refused", "tls10": "undetermined",
//!   "key_exchanges": [
//!     { "kind": "rsa", "result": "accepted", "suites": ["TLS_RSA_WITH_AES_128_GCM_SHA256"], "detail": null },
//!     { "kind": "ecdhe", "result": "accepted", "suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
//!       "curves": ["x25519", "secp256r1"], "detail": null },
//!     { "kind": "dhe", "result": "refused", "suites": [], "detail": "refused: fatal alert handshake_failure (40)" } ],
//!   "rsa_key_transport": true,
//!   "rsa_key_transport_suites": ["TLS_RSA_WITH_AES_128_GCM_SHA256"] }
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::hello::{
    self, Alert, ClientHello, HelloError, ServerAnswer, ServerHelloInfo, ServerKeyExchange,
    SuiteKx, Version,
};
use crate::Answer;

/// The curves the ECDHE probe offers, in order: x25519, secp256r1, secp384r1,
/// secp521r1, x448.
///
/// ```
/// assert_eq!(pqhkex_inventory::legacy::ECDHE_CURVES[0], 0x001d);
/// ```
pub const ECDHE_CURVES: [u16; 5] = [0x001d, 0x0017, 0x0018, hello::SECP521R1, hello::X448];

/// Why a probe that did not run did not.
const NOT_RUN: &str = "not run: time budget spent";

/// Whether the endpoint speaks a protocol version (JSON `accepted`, `refused`,
/// `undetermined`).
///
/// ```
/// use pqhkex_inventory::legacy::VersionResult;
///
/// assert_eq!(serde_json::to_string(&VersionResult::Refused)?, "\"refused\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionResult {
    /// A ServerHello for exactly this version.
    Accepted,
    /// A refusal alert, or a ServerHello for a lower version.
    Refused,
    /// No evidence either way (or the probe was not run); [`Legacy::reasons`] says why.
    #[default]
    Undetermined,
}

/// What the endpoint did with a kind of key exchange (JSON `accepted`, `refused`,
/// `undetermined`, `not-applicable`).
///
/// ```
/// use pqhkex_inventory::legacy::KxResult;
///
/// assert_eq!(serde_json::to_string(&KxResult::NotApplicable)?, "\"not-applicable\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KxResult {
    /// The server chose a suite of this kind.
    Accepted,
    /// The server refused every suite of this kind, with a refusal alert.
    Refused,
    /// No evidence either way, or not run; `detail` says why.
    #[default]
    Undetermined,
    /// The endpoint refuses every version up to TLS 1.2, the versions this kind of key
    /// exchange belongs to.
    NotApplicable,
}

/// A kind of TLS 1.2 (and older) key exchange (JSON `rsa`, `ecdhe`, `dhe`).
///
/// ```
/// use pqhkex_inventory::legacy::KxKind;
///
/// assert_eq!(serde_json::to_string(&KxKind::Ecdhe)?, "\"ecdhe\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KxKind {
    /// RSA key transport (`TLS_RSA_WITH_*`): no forward secrecy, and the premaster
    /// secret is exposed to whoever breaks the RSA key later (a quantum computer).
    Rsa,
    /// Ephemeral elliptic-curve Diffie-Hellman.
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman.
    Dhe,
}

impl KxKind {
    fn suites(self) -> SuiteKx {
        match self {
            KxKind::Rsa => SuiteKx::Rsa,
            KxKind::Ecdhe => SuiteKx::Ecdhe,
            KxKind::Dhe => SuiteKx::Dhe,
        }
    }
}

/// What the probes of one kind of key exchange found (JSON `key_exchanges[]`).
///
/// ```
/// use pqhkex_inventory::legacy::{KeyExchange, KxKind, KxResult};
///
/// let k = KeyExchange::new(KxKind::Dhe, KxResult::Accepted);
/// let json = serde_json::to_value(&k)?;
/// assert_eq!(json["kind"], "dhe");
/// assert!(json.get("curves").is_none()); // only listed when there are some
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyExchange {
    /// The kind.
    pub kind: KxKind,
    /// What the server did.
    pub result: KxResult,
    /// The IANA names of the suites of this kind the server chose, in the order seen.
    #[serde(default)]
    pub suites: Vec<String>,
    /// ECDHE: every curve the server accepted, in the order it chose them (its
    /// preference among those offered, if it has one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub curves: Vec<String>,
    /// DHE: the size in bits of the prime the server's ServerKeyExchange carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// The protocol version the probes ran at (`TLS 1.2`, or an older one when TLS
    /// 1.2 was refused); absent when they did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Why the result is not plain: the refusal's alert, why it is undetermined, why a
    /// list may be incomplete.
    #[serde(default)]
    pub detail: Option<String>,
}

impl KeyExchange {
    /// An entry with `result` and nothing else.
    ///
    /// ```
    /// use pqhkex_inventory::legacy::{KeyExchange, KxKind, KxResult};
    /// assert!(KeyExchange::new(KxKind::Rsa, KxResult::Refused).suites.is_empty());
    /// ```
    pub fn new(kind: KxKind, result: KxResult) -> KeyExchange {
        KeyExchange {
            kind,
            result,
            suites: Vec::new(),
            curves: Vec::new(),
            dh_bits: None,
            protocol: None,
            detail: None,
        }
    }

    fn with_detail(kind: KxKind, result: KxResult, detail: String) -> KeyExchange {
        KeyExchange {
            detail: Some(detail),
            ..KeyExchange::new(kind, result)
        }
    }
}

/// TLS 1.2 and older at one endpoint (JSON `legacy`): see the module documentation for
/// the probes and what each result rests on.
///
/// ```
/// use pqhkex_inventory::legacy::Legacy;
///
/// let json = serde_json::to_value(Legacy::default())?;
/// assert_eq!(json["tls12"], "undetermined");
/// assert_eq!(json["rsa_key_transport"], "undetermined");
/// let back: Legacy = serde_json::from_value(json)?;
/// assert_eq!(back, Legacy::default());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Legacy {
    /// TLS 1.2.
    pub tls12: VersionResult,
    /// TLS 1.1.
    pub tls11: VersionResult,
    /// TLS 1.0.
    pub tls10: VersionResult,
    /// RSA key transport, ECDHE and DHE, in that order.
    #[serde(default)]
    pub key_exchanges: Vec<KeyExchange>,
    /// Whether the endpoint accepts RSA key transport (`false` also when it refuses
    /// every version up to TLS 1.2: TLS 1.3 has none).
    #[serde(default)]
    pub rsa_key_transport: Answer,
    /// The `TLS_RSA_*` suites it chose (IANA names).
    #[serde(default)]
    pub rsa_key_transport_suites: Vec<String>,
    /// Why a version is undetermined or a probe did not run, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The certificate chain (DER, end entity first) of the first accepted TLS 1.2 (or
    /// older) handshake that carried one. Not serialized.
    #[serde(skip)]
    pub certificate_chain: Vec<Vec<u8>>,
}

impl Legacy {
    /// The key-exchange entry of `kind`, if any.
    ///
    /// ```
    /// use pqhkex_inventory::legacy::{KxKind, Legacy};
    /// assert!(Legacy::default().key_exchange(KxKind::Ecdhe).is_none());
    /// ```
    pub fn key_exchange(&self, kind: KxKind) -> Option<&KeyExchange> {
        self.key_exchanges.iter().find(|k| k.kind == kind)
    }
}

/// One raw exchange, or `None` when the budget was spent.
fn run(
    addr: SocketAddr,
    hello: &ClientHello,
    next_timeout: &mut dyn FnMut() -> Option<Duration>,
) -> Option<Result<ServerAnswer, HelloError>> {
    let timeout = next_timeout()?;
    Some(hello::exchange(addr, hello, timeout))
}

/// Why an answer that is neither a ServerHello nor a refusal proves nothing.
fn no_evidence(answer: &Option<Result<ServerAnswer, HelloError>>) -> String {
    match answer {
        None => NOT_RUN.to_string(),
        Some(Ok(ServerAnswer::Alert(a))) => {
            format!("the server sent a {a}, which is not a refusal")
        }
        Some(Ok(ServerAnswer::Closed { received })) => {
            format!("the server closed the connection without an alert (after {received} bytes)")
        }
        Some(Ok(ServerAnswer::NotTls(what))) => format!("not TLS: {what}"),
        Some(Ok(ServerAnswer::HelloRetryRequest { .. })) => {
            "the server sent a HelloRetryRequest to a hello without TLS 1.3".to_string()
        }
        Some(Ok(ServerAnswer::ServerHello(sh))) => format!(
            "unexpected ServerHello ({}, {})",
            hello::version_name(sh.version),
            hello::suite_name(sh.cipher_suite)
        ),
        Some(Err(HelloError::Timeout(_))) => "no answer within the timeout".to_string(),
        Some(Err(e)) => e.to_string(),
    }
}

fn refusal(answer: &Option<Result<ServerAnswer, HelloError>>) -> Option<Alert> {
    match answer {
        Some(Ok(ServerAnswer::Alert(a))) if a.is_refusal() => Some(*a),
        _ => None,
    }
}

/// The suites a version probe offers: every ECDHE, DHE and RSA suite valid in it.
fn broad_suites(version: Version) -> Vec<u16> {
    [SuiteKx::Ecdhe, SuiteKx::Dhe, SuiteKx::Rsa]
        .into_iter()
        .flat_map(|kx| hello::suites_for(kx, version))
        .collect()
}

/// A hello offering at most `version`, `suites` and (for ECDHE suites) `curves`.
fn legacy_hello(
    version: Version,
    suites: Vec<u16>,
    curves: &[u16],
    name: Option<&str>,
) -> ClientHello {
    ClientHello::new(version, suites)
        .with_groups(curves.to_vec())
        .with_server_name(name)
}

/// Probes TLS 1.2, 1.1 and 1.0 and the key exchanges (see the module documentation).
/// Each probe runs with the time `next_timeout` gives (connecting, writing, reading);
/// once it gives `None` the rest is "undetermined" with the reason "not run: time
/// budget spent". Never panics; makes at most 3 + 1 + 6 + 1 connections.
///
/// ```no_run
/// use std::time::Duration;
/// use pqhkex_inventory::legacy;
///
/// let mut budget = 10;
/// let report = legacy::probe("192.0.2.7:443".parse().unwrap(), Some("example.com"), &mut || {
///     budget -= 1;
///     (budget > 0).then_some(Duration::from_secs(3))
/// });
/// println!("{}", serde_json::to_string_pretty(&report).unwrap());
/// ```
pub fn probe(
    addr: SocketAddr,
    server_name: Option<&str>,
    next_timeout: &mut dyn FnMut() -> Option<Duration>,
) -> Legacy {
    let mut legacy = Legacy::default();
    let mut chain: Vec<Vec<u8>> = Vec::new();
    let keep_chain = |sh: &ServerHelloInfo, chain: &mut Vec<Vec<u8>>| {
        if chain.is_empty() && !sh.certificates.is_empty() {
            *chain = sh.certificates.clone();
        }
    };
    for version in [Version::Tls12, Version::Tls11, Version::Tls10] {
        let hello = legacy_hello(version, broad_suites(version), &ECDHE_CURVES, server_name);
        let answer = run(addr, &hello, next_timeout);
        let result = match &answer {
            Some(Ok(ServerAnswer::ServerHello(sh))) if sh.version == version.code() => {
                keep_chain(sh, &mut chain);
                VersionResult::Accepted
            }
            // A lower version (SSL 3.0 included): the server does not speak this one.
            Some(Ok(ServerAnswer::ServerHello(sh)))
                if sh.version < version.code() && sh.version >= 0x0300 =>
            {
                VersionResult::Refused
            }
            _ if refusal(&answer).is_some() => VersionResult::Refused,
            _ => {
                legacy
                    .reasons
                    .push(format!("{}: {}", version.name(), no_evidence(&answer)));
                VersionResult::Undetermined
            }
        };
        match version {
            Version::Tls12 => legacy.tls12 = result,
            Version::Tls11 => legacy.tls11 = result,
            _ => legacy.tls10 = result,
        }
    }
    let results = [
        (Version::Tls12, legacy.tls12),
        (Version::Tls11, legacy.tls11),
        (Version::Tls10, legacy.tls10),
    ];
    let kinds = [KxKind::Rsa, KxKind::Ecdhe, KxKind::Dhe];
    let Some(version) = results
        .iter()
        .find(|(_, r)| *r == VersionResult::Accepted)
        .map(|(v, _)| *v)
    else {
        if results.iter().all(|(_, r)| *r == VersionResult::Refused) {
            let why = "the endpoint refuses TLS 1.2, 1.1 and 1.0".to_string();
            legacy.key_exchanges = kinds
                .iter()
                .map(|k| KeyExchange::with_detail(*k, KxResult::NotApplicable, why.clone()))
                .collect();
            legacy.rsa_key_transport = Answer::No;
        } else {
            let why = if legacy.reasons.iter().any(|r| r.ends_with(NOT_RUN)) {
                NOT_RUN.to_string()
            } else {
                "not run: no version up to TLS 1.2 was shown to be accepted".to_string()
            };
            legacy.key_exchanges = kinds
                .iter()
                .map(|k| KeyExchange::with_detail(*k, KxResult::Undetermined, why.clone()))
                .collect();
        }
        legacy.certificate_chain = chain;
        return legacy;
    };
    let rsa = probe_simple(
        addr,
        server_name,
        version,
        KxKind::Rsa,
        next_timeout,
        &mut chain,
    );
    legacy.rsa_key_transport = match rsa.result {
        KxResult::Accepted => Answer::Yes,
        KxResult::Refused => Answer::No,
        _ => Answer::Undetermined,
    };
    legacy.rsa_key_transport_suites = rsa.suites.clone();
    let ecdhe = probe_ecdhe(addr, server_name, version, next_timeout, &mut chain);
    let dhe = probe_simple(
        addr,
        server_name,
        version,
        KxKind::Dhe,
        next_timeout,
        &mut chain,
    );
    legacy.key_exchanges = vec![rsa, ecdhe, dhe];
    legacy.certificate_chain = chain;
    legacy
}

/// What one key-exchange probe showed.
enum Kx {
    /// The server chose `suite` (of the probed kind) and said `sh`.
    Chose(ServerHelloInfo),
    /// A refusal alert.
    Refused(Alert),
    /// No evidence; why.
    Nothing(String),
}

fn judge_kx(
    answer: Option<Result<ServerAnswer, HelloError>>,
    version: Version,
    offered: &[u16],
    chain: &mut Vec<Vec<u8>>,
) -> Kx {
    if let Some(a) = refusal(&answer) {
        return Kx::Refused(a);
    }
    match answer {
        Some(Ok(ServerAnswer::ServerHello(sh)))
            if sh.version == version.code() && offered.contains(&sh.cipher_suite) =>
        {
            if chain.is_empty() {
                chain.clone_from(&sh.certificates);
            }
            Kx::Chose(sh)
        }
        Some(Ok(ServerAnswer::ServerHello(sh))) if sh.version != version.code() => {
            Kx::Nothing(format!(
                "the server answered {} where {} was accepted before",
                hello::version_name(sh.version),
                version.name()
            ))
        }
        Some(Ok(ServerAnswer::ServerHello(sh))) => Kx::Nothing(format!(
            "the server chose {}, which was not offered",
            hello::suite_name(sh.cipher_suite)
        )),
        other => Kx::Nothing(no_evidence(&other)),
    }
}

/// The RSA key transport or DHE probe: one hello with the kind's suites only.
fn probe_simple(
    addr: SocketAddr,
    server_name: Option<&str>,
    version: Version,
    kind: KxKind,
    next_timeout: &mut dyn FnMut() -> Option<Duration>,
    chain: &mut Vec<Vec<u8>>,
) -> KeyExchange {
    let suites = hello::suites_for(kind.suites(), version);
    // No supported_groups: neither kind uses one, and listing no FFDHE group leaves a
    // DHE server its own parameters (RFC 7919 §4).
    let hello = legacy_hello(version, suites.clone(), &[], server_name);
    let answer = run(addr, &hello, next_timeout);
    let mut out = KeyExchange {
        protocol: Some(version.name().to_string()),
        ..KeyExchange::new(kind, KxResult::Undetermined)
    };
    match judge_kx(answer, version, &suites, chain) {
        Kx::Chose(sh) => {
            out.result = KxResult::Accepted;
            out.suites.push(hello::suite_name(sh.cipher_suite));
            if kind == KxKind::Dhe {
                match &sh.key_exchange {
                    Some(ServerKeyExchange::Dhe { p_bits }) => out.dh_bits = Some(*p_bits),
                    _ => {
                        out.detail = Some(format!(
                            "the server chose {} but its ServerKeyExchange was not read{}",
                            hello::suite_name(sh.cipher_suite),
                            sh.ended_early
                                .as_deref()
                                .map(|e| format!(": {e}"))
                                .unwrap_or_default()
                        ))
                    }
                }
            }
        }
        Kx::Refused(a) => {
            out.result = KxResult::Refused;
            out.detail = Some(format!("refused: {a}"));
        }
        Kx::Nothing(why) => out.detail = Some(why),
    }
    out
}

/// The named group of the curve of an end-entity certificate's ECDSA key (P-256,
/// P-384 or P-521), if it is one.
fn certificate_curve(der: &[u8]) -> Option<u16> {
    use x509_parser::oid_registry::{
        OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    };
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let spki = cert.public_key();
    if spki.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY {
        return None;
    }
    let oid = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
    [
        (OID_EC_P256, 0x0017),
        (OID_NIST_EC_P384, 0x0018),
        (OID_NIST_EC_P521, hello::SECP521R1),
    ]
    .into_iter()
    .find(|(o, _)| *o == oid)
    .map(|(_, code)| code)
}

/// The ECDHE probes: offer every curve of [`ECDHE_CURVES`] not yet chosen, until the
/// server refuses or no curve is left.
///
/// A TLS 1.2 server can only use an ECDSA certificate with a client that lists the
/// certificate's curve in supported_groups (RFC 8422 §5.1.1): once the server chose an
/// ECDSA suite, its certificate's curve stays in every offer, last, after it was
/// chosen. If the server then chooses it again, whether it accepts the curves left is
/// not determined, and `detail` says so.
fn probe_ecdhe(
    addr: SocketAddr,
    server_name: Option<&str>,
    version: Version,
    next_timeout: &mut dyn FnMut() -> Option<Duration>,
    chain: &mut Vec<Vec<u8>>,
) -> KeyExchange {
    let suites = hello::suites_for(SuiteKx::Ecdhe, version);
    let mut left: Vec<u16> = ECDHE_CURVES.to_vec();
    let mut chosen: Vec<u16> = Vec::new();
    let mut out = KeyExchange {
        protocol: Some(version.name().to_string()),
        ..KeyExchange::new(KxKind::Ecdhe, KxResult::Undetermined)
    };
    // The curve of the ECDSA certificate the server used, once it chose an ECDSA suite.
    let mut cert_curve: Option<u16> = None;
    // Each probe either removes a curve from `left` or ends the loop.
    for _ in 0..=ECDHE_CURVES.len() {
        if left.is_empty() {
            break;
        }
        let mut offer = left.clone();
        let kept = cert_curve.filter(|c| !left.contains(c));
        offer.extend(kept);
        let hello = legacy_hello(version, suites.clone(), &offer, server_name);
        let answer = run(addr, &hello, next_timeout);
        let stop = match judge_kx(answer, version, &suites, chain) {
            Kx::Chose(sh) => {
                let name = hello::suite_name(sh.cipher_suite);
                if name.contains("_ECDSA_") && cert_curve.is_none() {
                    cert_curve = sh.certificates.first().and_then(|c| certificate_curve(c));
                }
                if !out.suites.contains(&name) {
                    out.suites.push(name);
                }
                out.result = KxResult::Accepted;
                match sh.key_exchange.as_ref().and_then(|k| k.named_curve()) {
                    Some(curve) if left.contains(&curve) => {
                        chosen.push(curve);
                        left.retain(|c| *c != curve);
                        None
                    }
                    Some(curve) if Some(curve) == kept => Some(format!(
                        "the server chose {} again, its ECDSA certificate's curve, which a client \
                         must list for the certificate to be usable in TLS 1.2 (RFC 8422 §5.1.1), \
                         so whether it accepts {} is not determined",
                        hello::group_name(curve),
                        left.iter()
                            .map(|c| hello::group_name(*c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Some(curve) => Some(format!(
                        "the server chose {}, which was not offered",
                        hello::group_name(curve)
                    )),
                    None => Some(format!(
                        "the server chose {} but its ServerKeyExchange named no curve{}",
                        hello::suite_name(sh.cipher_suite),
                        sh.ended_early
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    )),
                }
            }
            Kx::Refused(a) => {
                if chosen.is_empty() {
                    out.result = KxResult::Refused;
                    out.detail = Some(format!("refused: {a}"));
                }
                break;
            }
            Kx::Nothing(why) => Some(why),
        };
        if let Some(why) = stop {
            out.detail = Some(if chosen.is_empty() {
                why
            } else {
                format!("the list of curves may be incomplete: {why}")
            });
            break;
        }
    }
    out.curves = chosen.into_iter().map(hello::group_name).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape() {
        let legacy = Legacy {
            tls12: VersionResult::Accepted,
            tls11: VersionResult::Refused,
            tls10: VersionResult::Undetermined,
            key_exchanges: vec![
                KeyExchange {
                    suites: vec!["TLS_RSA_WITH_AES_128_GCM_SHA256".into()],
                    ..KeyExchange::new(KxKind::Rsa, KxResult::Accepted)
                },
                KeyExchange {
                    curves: vec!["x25519".into()],
                    ..KeyExchange::new(KxKind::Ecdhe, KxResult::Accepted)
                },
                KeyExchange {
                    dh_bits: Some(2048),
                    ..KeyExchange::new(KxKind::Dhe, KxResult::Accepted)
                },
            ],
            rsa_key_transport: Answer::Yes,
            rsa_key_transport_suites: vec!["TLS_RSA_WITH_AES_128_GCM_SHA256".into()],
            reasons: vec![],
            certificate_chain: vec![vec![1, 2, 3]],
        };
        let json = serde_json::to_value(&legacy).unwrap();
        assert_eq!(json["tls12"], "accepted");
        assert_eq!(json["tls11"], "refused");
        assert_eq!(json["rsa_key_transport"], true);
        assert_eq!(json["key_exchanges"][1]["curves"][0], "x25519");
        assert_eq!(json["key_exchanges"][2]["dh_bits"], 2048);
        assert!(json.get("certificate_chain").is_none());
        assert!(json.get("reasons").is_none());
        let back: Legacy = serde_json::from_value(json).unwrap();
        assert_eq!(back.key_exchanges, legacy.key_exchanges);
    }

    #[test]
    fn budget_spent_runs_nothing() {
        // An address nothing listens on: never connected to, since no time is given.
        let l = probe("127.0.0.1:9".parse().unwrap(), None, &mut || None);
        assert_eq!(l.tls12, VersionResult::Undetermined);
        assert_eq!(l.reasons.len(), 3);
        assert!(l.reasons.iter().all(|r| r.contains(NOT_RUN)));
        assert!(l
            .key_exchanges
            .iter()
            .all(|k| k.result == KxResult::Undetermined));
        assert_eq!(l.rsa_key_transport, Answer::Undetermined);
    }
}
