//! How a TLS endpoint authenticates itself, in post-quantum terms: a pure function
//! ([`summarize`]) from the certificate chain as served ([`crate::cert`]) and the
//! signature the server made in its handshake to an [`Authentication`] summary.
//!
//! A quantum attacker who can forge any one signature the client relies on can
//! impersonate the server, so authentication is only as strong as its weakest link:
//! the handshake signature (TLS 1.3 CertificateVerify, RFC 8446 §4.4.3; TLS 1.2
//! ServerKeyExchange) *and* the signature on every certificate the server sent, except
//! a self-signed root, whose own signature no client relies on (RFC 5280 §6.1: trust
//! anchors are taken as given). With TLS 1.2 RSA key transport there is no handshake
//! signature: the server proves itself by decrypting with its certificate's RSA key,
//! so the leaf key stands in for it.

use serde::{Deserialize, Serialize};

use crate::cert::{self, AlgorithmFamily, CertificateEntry};
use crate::probe::SignatureCheck;
use crate::Answer;

/// The class of an endpoint's authentication (JSON `authentication.class`).
///
/// ```
/// use pqhkex_inventory::auth::AuthClass;
///
/// assert_eq!(serde_json::to_string(&AuthClass::PostQuantum)?, "\"post-quantum\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthClass {
    /// Some signature the client relies on is RSA, ECDSA, EdDSA or DSA: a quantum
    /// attacker could forge it.
    Classical,
    /// Every signature the client relies on is ML-DSA or SLH-DSA.
    PostQuantum,
    /// Every signature is post-quantum or composite (ML-DSA with a classical
    /// signature, draft-ietf-lamps-pq-composite-sigs), and at least one is composite.
    Composite,
    /// No handshake signature or certificate was seen, or an algorithm is unknown.
    Undetermined,
}

impl AuthClass {
    /// The JSON spelling.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::auth::AuthClass::Classical.as_str(), "classical");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AuthClass::Classical => "classical",
            AuthClass::PostQuantum => "post-quantum",
            AuthClass::Composite => "composite",
            AuthClass::Undetermined => "undetermined",
        }
    }
}

impl std::fmt::Display for AuthClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// An endpoint's authentication, summarized (JSON `authentication`).
///
/// ```
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// if let Some(a) = &r.authentication {
///     println!("{} ({:?}, leaf {:?}), ML-DSA when asked: {}", a.class, a.signature_scheme, a.leaf_key, a.ml_dsa_when_asked);
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// The class of the weakest signature the client relies on.
    pub class: AuthClass,
    /// The TLS SignatureScheme of the server's handshake signature (TLS 1.3
    /// CertificateVerify or TLS 1.2 ServerKeyExchange), by its IANA name
    /// (`rsa_pss_rsae_sha256`, `mldsa65`), absent when none was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_scheme: Option<String>,
    /// Its codepoint, `0x` and four hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_scheme_code: Option<String>,
    /// The end-entity certificate's key, e.g. `RSA-2048`, `EC-P-384`, `ML-DSA-65`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_key: Option<String>,
    /// Whether the server authenticates with ML-DSA when a client offers only the
    /// ML-DSA signature schemes (0x0904-0x0906, draft-ietf-tls-mldsa): a server with an
    /// RSA and an ML-DSA certificate picks by the client's `signature_algorithms`.
    pub ml_dsa_when_asked: Answer,
    /// The evidence for [`Authentication::ml_dsa_when_asked`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ml_dsa_detail: Option<String>,
    /// What the class rests on: one line per signature that decided it, or why it is
    /// undetermined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// The post-quantum standing of one signature algorithm family.
fn standing(family: AlgorithmFamily, vulnerable: Answer) -> AuthClass {
    match (family, vulnerable) {
        (AlgorithmFamily::Composite, _) => AuthClass::Composite,
        (_, Answer::Yes) => AuthClass::Classical,
        (_, Answer::No) => AuthClass::PostQuantum,
        (_, Answer::Undetermined) => AuthClass::Undetermined,
    }
}

/// The weaker of two classes: classical < undetermined < composite < post-quantum.
fn weaker(a: AuthClass, b: AuthClass) -> AuthClass {
    let rank = |c| match c {
        AuthClass::Classical => 0,
        AuthClass::Undetermined => 1,
        AuthClass::Composite => 2,
        AuthClass::PostQuantum => 3,
    };
    if rank(b) < rank(a) {
        b
    } else {
        a
    }
}

/// Whether a certificate is self-signed (subject equal to issuer): a root, whose own
/// signature no client relies on.
fn self_signed(c: &CertificateEntry) -> bool {
    c.subject.is_some() && c.subject == c.issuer
}

/// The authentication summary from the chain as served (end entity first), the
/// handshake signature seen (`None`: none, e.g. TLS 1.2 RSA key transport or a
/// handshake that stopped before it), and the ML-DSA-only probe's answer.
///
/// ```
/// use pqhkex_inventory::auth::{summarize, AuthClass};
/// use pqhkex_inventory::probe::SignatureCheck;
/// use pqhkex_inventory::Answer;
///
/// let sig = SignatureCheck { scheme: rustls::SignatureScheme::ML_DSA_65, verified: Ok(()) };
/// let a = summarize(&[], Some(&sig), Answer::Yes, None);
/// // An ML-DSA handshake signature, but no certificate seen: the chain is unknown.
/// assert_eq!(a.class, AuthClass::Undetermined);
/// assert_eq!(a.signature_scheme.as_deref(), Some("mldsa65"));
/// ```
pub fn summarize(
    chain: &[CertificateEntry],
    signature: Option<&SignatureCheck>,
    ml_dsa_when_asked: Answer,
    ml_dsa_detail: Option<String>,
) -> Authentication {
    let mut reasons = Vec::new();
    let leaf = chain.first();
    let mut class = AuthClass::PostQuantum;
    match (signature, leaf) {
        (Some(s), _) => {
            let (name, family, vulnerable) = cert::signature_scheme_info(s.scheme);
            let c = standing(family, vulnerable);
            reasons.push(format!("handshake signature {name}: {c}"));
            class = weaker(class, c);
        }
        (None, Some(l)) => {
            // TLS 1.2 RSA key transport: the server proves itself with its key.
            let c = standing(l.public_key.family, l.public_key.quantum_vulnerable);
            reasons.push(format!(
                "no handshake signature seen; the end-entity key {} stands for it: {c}",
                l.public_key.label()
            ));
            class = weaker(class, c);
        }
        (None, None) => {
            reasons.push("no certificate and no handshake signature were seen".into());
            class = AuthClass::Undetermined;
        }
    }
    if chain.is_empty() && class != AuthClass::Undetermined {
        reasons.push("no certificate was seen, so the chain's signatures are unknown".into());
        class = AuthClass::Undetermined;
    }
    for (i, c) in chain.iter().enumerate() {
        if i > 0 && self_signed(c) {
            continue;
        }
        let s = &c.signature_algorithm;
        let sc = standing(s.family, s.quantum_vulnerable);
        if sc != AuthClass::PostQuantum {
            let who = c.subject.as_deref().unwrap_or("(unparsed)");
            reasons.push(format!(
                "certificate {i} ({who}) is signed with {}: {sc}",
                s.name
            ));
        }
        class = weaker(class, sc);
    }
    Authentication {
        class,
        signature_scheme: signature.map(|s| cert::signature_scheme_info(s.scheme).0.to_string()),
        signature_scheme_code: signature.map(|s| format!("0x{:04x}", u16::from(s.scheme))),
        leaf_key: leaf.map(|l| l.public_key.label()),
        ml_dsa_when_asked,
        ml_dsa_detail,
        reasons,
    }
}
