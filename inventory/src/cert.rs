//! A TLS server's certificate chain, as a post-quantum inventory sees it: for each
//! certificate (in the order served, end entity first) its names, serial, validity, public
//! key and signature algorithm, and whether it relies on a quantum-vulnerable algorithm.
//!
//! Pure: no I/O, no verification. Certificates are parsed with `x509-parser`, which
//! accepts any algorithm identifier, so certificates that rustls cannot verify (Ed448,
//! ML-DSA, SLH-DSA, composite ML-DSA, unknown OIDs) and chains that do not verify are
//! described all the same. Bytes that do not parse as a certificate give an entry with
//! [`CertificateEntry::parse_error`] set, never a panic.
//!
//! Algorithms are named from one table of object identifiers: RSA (PKCS #1 v1.5 and
//! RSASSA-PSS), ECDSA and its curves, EdDSA, DSA, ML-DSA (RFC 9881), SLH-DSA (RFC 9909),
//! their pre-hash variants, and composite ML-DSA (draft-ietf-lamps-pq-composite-sigs:
//! the `1.3.6.1.5.5.7.6.37`–`.54` identifiers by name, the earlier drafts' Entrust arc
//! `2.16.840.1.114027.80.8.1` generically).
//!
//! ```
//! use pqhkex_inventory::{cert, Answer};
//!
//! let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
//! let chain = cert::describe_chain(&[issued.cert.der().to_vec()]);
//! assert_eq!(chain[0].public_key.label(), "EC-P-256");
//! assert_eq!(chain[0].signature_algorithm.name, "ecdsa-with-SHA256");
//! assert_eq!(chain[0].quantum_vulnerable, Answer::Yes);
//! ```

use serde::{Deserialize, Serialize};
use x509_parser::asn1_rs::{Any, FromDer, Tag};
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::der::parse_der_integer;
use x509_parser::objects::oid_registry;
use x509_parser::public_key::RSAPublicKey;
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::time::ASN1Time;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo, X509Name};

use crate::Answer;

/// One certificate of a chain, as served (JSON `certificate_chain[]`).
///
/// ```
/// use pqhkex_inventory::{cert, Answer};
///
/// let entry = cert::describe(b"not a certificate");
/// assert!(entry.parse_error.is_some());
/// assert_eq!(entry.der_len, 17);
/// assert_eq!(entry.quantum_vulnerable, Answer::Undetermined);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateEntry {
    /// The subject, RFC 4514-style as `x509-parser` prints it (attributes in the order
    /// of the certificate, e.g. `C=US, O=Example, CN=example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The issuer, in the same form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The serial number: the content octets of its DER INTEGER in lowercase hex,
    /// colon-separated, as `x509-parser` gives them (`01:ab`). A leading `00` octet is
    /// kept when the DER encoding has one (a serial whose top bit is set: `00:8f:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Start of validity, RFC 3339 in UTC (`2026-01-01T00:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// End of validity, RFC 3339 in UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// The length of the DER encoding in bytes (as served, also when it did not parse).
    pub der_len: usize,
    /// The subject public key.
    pub public_key: PublicKeyInfo,
    /// The algorithm the issuer signed this certificate with.
    pub signature_algorithm: SignatureAlgorithmInfo,
    /// Whether this certificate relies on a quantum-vulnerable algorithm: `Yes` if its key
    /// or its signature algorithm is vulnerable, `No` if both are post-quantum (or
    /// composite), `Undetermined` otherwise (an unknown algorithm, or no parse).
    pub quantum_vulnerable: Answer,
    /// Why the bytes did not parse as an X.509 certificate (then every other field is
    /// empty or undetermined, except [`CertificateEntry::der_len`]). Bytes after a
    /// certificate that parsed are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<String>,
}

/// The kind of a public-key or signature algorithm (JSON `family`: `rsa`, `rsa-pss`,
/// `ec`, `eddsa`, `dsa`, `ml-dsa`, `slh-dsa`, `composite`, `other`).
///
/// ```
/// use pqhkex_inventory::cert::AlgorithmFamily;
///
/// assert_eq!(serde_json::to_string(&AlgorithmFamily::MlDsa)?, "\"ml-dsa\"");
/// assert_eq!(serde_json::from_str::<AlgorithmFamily>("\"rsa-pss\"")?, AlgorithmFamily::RsaPss);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlgorithmFamily {
    /// RSA with PKCS #1 v1.5 (an `rsaEncryption` key, `sha256WithRSAEncryption`, ...).
    Rsa,
    /// RSASSA-PSS (an `id-RSASSA-PSS` key or signature).
    RsaPss,
    /// Elliptic curves: ECDSA, an `id-ecPublicKey` key (also SM2).
    Ec,
    /// Ed25519 and Ed448.
    Eddsa,
    /// DSA.
    Dsa,
    /// ML-DSA (FIPS 204), pure or pre-hash.
    MlDsa,
    /// SLH-DSA (FIPS 205), pure or pre-hash.
    SlhDsa,
    /// Composite ML-DSA: ML-DSA and a traditional algorithm together.
    Composite,
    /// Anything else, or not known.
    Other,
}

impl AlgorithmFamily {
    /// Whether the family falls to a cryptographically relevant quantum computer: `Yes`
    /// for RSA, RSASSA-PSS, EC, EdDSA and DSA; `No` for ML-DSA and SLH-DSA, and for
    /// composite ML-DSA (secure while either half holds); `Undetermined` for `Other`.
    ///
    /// ```
    /// use pqhkex_inventory::{cert::AlgorithmFamily, Answer};
    ///
    /// assert_eq!(AlgorithmFamily::Eddsa.quantum_vulnerable(), Answer::Yes);
    /// assert_eq!(AlgorithmFamily::Composite.quantum_vulnerable(), Answer::No);
    /// assert_eq!(AlgorithmFamily::Other.quantum_vulnerable(), Answer::Undetermined);
    /// ```
    pub fn quantum_vulnerable(self) -> Answer {
        match self {
            AlgorithmFamily::Rsa
            | AlgorithmFamily::RsaPss
            | AlgorithmFamily::Ec
            | AlgorithmFamily::Eddsa
            | AlgorithmFamily::Dsa => Answer::Yes,
            AlgorithmFamily::MlDsa | AlgorithmFamily::SlhDsa | AlgorithmFamily::Composite => {
                Answer::No
            }
            AlgorithmFamily::Other => Answer::Undetermined,
        }
    }
}

/// A certificate's subject public key (JSON `public_key`).
///
/// ```
/// use pqhkex_inventory::cert;
///
/// let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
/// let key = cert::describe(issued.cert.der()).public_key;
/// assert_eq!((key.algorithm.as_str(), key.oid.as_str()), ("EC", "1.2.840.10045.2.1"));
/// assert_eq!(key.curve.as_deref(), Some("P-256"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyInfo {
    /// The algorithm: `RSA`, `RSASSA-PSS`, `EC`, `Ed25519`, `Ed448`, `DSA`, `ML-DSA-65`,
    /// `SLH-DSA-SHA2-128s`, a composite name such as `MLDSA65-ECDSA-P256-SHA512`, or
    /// `other` for an identifier this module does not know.
    pub algorithm: String,
    /// Its object identifier, dotted (empty when the certificate did not parse).
    pub oid: String,
    /// Its family.
    pub family: AlgorithmFamily,
    /// The size in bits: the modulus of an RSA or RSASSA-PSS key, `p` of a DSA key;
    /// absent otherwise (the curve or the parameter set says the strength).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// The curve of an EC key: `P-256`, `P-384`, `P-521`, `secp256k1`,
    /// `brainpoolP256r1`, ..., or the curve's OID when it is not one of those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// The NIST security category of a post-quantum key (ML-DSA-44: 2, -65: 3, -87: 5;
    /// SLH-DSA 128: 1, 192: 3, 256: 5; composite: that of its ML-DSA part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nist_category: Option<u8>,
    /// Whether the key falls to a quantum computer (see
    /// [`AlgorithmFamily::quantum_vulnerable`]).
    pub quantum_vulnerable: Answer,
}

impl PublicKeyInfo {
    /// A short label for tables and summaries: `RSA-2048`, `RSASSA-PSS-3072`, `EC-P-384`,
    /// `DSA-2048`, `Ed25519`, `ML-DSA-65`, `MLDSA65-ECDSA-P256-SHA512`, or
    /// `other (1.2.3.4)` for an unknown algorithm.
    ///
    /// ```
    /// use pqhkex_inventory::cert;
    ///
    /// let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    /// assert_eq!(cert::describe(issued.cert.der()).public_key.label(), "EC-P-256");
    /// assert_eq!(cert::describe(b"junk").public_key.label(), "other (unparsed)");
    /// ```
    pub fn label(&self) -> String {
        if self.family == AlgorithmFamily::Other {
            let oid = if self.oid.is_empty() {
                "unparsed"
            } else {
                &self.oid
            };
            return format!("other ({oid})");
        }
        match (self.bits, self.curve.as_deref()) {
            (Some(bits), _) => format!("{}-{bits}", self.algorithm),
            (None, Some(curve)) => format!("{}-{curve}", self.algorithm),
            (None, None) => self.algorithm.clone(),
        }
    }
}

/// The algorithm a certificate is signed with (JSON `signature_algorithm`).
///
/// ```
/// use pqhkex_inventory::{cert, Answer};
///
/// let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
/// let sig = cert::describe(issued.cert.der()).signature_algorithm;
/// assert_eq!((sig.name.as_str(), sig.hash.as_deref()), ("ecdsa-with-SHA256", Some("SHA-256")));
/// assert_eq!(sig.quantum_vulnerable, Answer::Yes);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureAlgorithmInfo {
    /// The algorithm: `sha256WithRSAEncryption`, `RSASSA-PSS`, `ecdsa-with-SHA384`,
    /// `Ed25519`, `Ed448`, `dsa-with-sha256`, `ML-DSA-65`, `SLH-DSA-SHA2-128s`,
    /// `HashML-DSA-65-with-SHA512`, a composite name, or `other` for an identifier this
    /// module does not know.
    pub name: String,
    /// Its object identifier, dotted (empty when the certificate did not parse).
    pub oid: String,
    /// The hash: for RSASSA-PSS the one its parameters name (`SHA-384`, or the hash's
    /// OID when unknown; absent when the parameters are missing or malformed); for
    /// algorithms with a fixed hash, that hash (`sha256WithRSAEncryption`: `SHA-256`;
    /// a composite: its pre-hash); absent for pure EdDSA, ML-DSA and SLH-DSA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Its family.
    pub family: AlgorithmFamily,
    /// The NIST security category of a post-quantum signature algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nist_category: Option<u8>,
    /// Whether the signature falls to a quantum computer (see
    /// [`AlgorithmFamily::quantum_vulnerable`]).
    pub quantum_vulnerable: Answer,
}

/// Describes one DER certificate. Never panics: bytes that are not a certificate give an
/// entry with [`CertificateEntry::parse_error`] set.
///
/// ```
/// use pqhkex_inventory::{cert, Answer};
///
/// let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
/// let entry = cert::describe(issued.cert.der());
/// assert_eq!(entry.subject.as_deref(), Some("CN=rcgen self signed cert"));
/// assert_eq!(entry.der_len, issued.cert.der().len());
/// assert_eq!(entry.public_key.quantum_vulnerable, Answer::Yes);
/// assert!(entry.parse_error.is_none());
///
/// let garbage = cert::describe(&issued.cert.der()[..40]);
/// assert!(garbage.parse_error.is_some());
/// ```
pub fn describe(der: &[u8]) -> CertificateEntry {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => parsed(&cert, der.len()),
        Err(e) => unparsed(der.len(), format!("not an X.509 certificate: {e}")),
    }
}

/// Describes a chain, in the order given (as served: end entity first).
///
/// ```
/// use pqhkex_inventory::cert;
///
/// let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
/// let chain = cert::describe_chain(&[issued.cert.der().to_vec(), vec![0x30, 0x03]]);
/// assert_eq!(chain.len(), 2);
/// assert!(chain[0].parse_error.is_none() && chain[1].parse_error.is_some());
/// ```
pub fn describe_chain<C: AsRef<[u8]>>(chain: &[C]) -> Vec<CertificateEntry> {
    chain.iter().map(|c| describe(c.as_ref())).collect()
}

/// Names and classifies a TLS `SignatureScheme` (the algorithm a server signed its
/// handshake with): its IANA name (`rsa_pss_rsae_sha256`, `ecdsa_secp384r1_sha384`,
/// `ed25519`, `mldsa65`), its family (`rsa_pss_*` are [`AlgorithmFamily::RsaPss`],
/// `rsa_pkcs1_*` [`AlgorithmFamily::Rsa`]) and whether it is quantum-vulnerable.
/// Schemes not in the table give `("unknown", Other, Undetermined)`.
///
/// ```
/// use pqhkex_inventory::{cert::{signature_scheme_info, AlgorithmFamily}, Answer};
/// use rustls::SignatureScheme;
///
/// assert_eq!(
///     signature_scheme_info(SignatureScheme::ML_DSA_65),
///     ("mldsa65", AlgorithmFamily::MlDsa, Answer::No)
/// );
/// assert_eq!(signature_scheme_info(SignatureScheme::RSA_PSS_SHA256).0, "rsa_pss_rsae_sha256");
/// assert_eq!(signature_scheme_info(SignatureScheme::from(0xfefe)).2, Answer::Undetermined);
/// ```
pub fn signature_scheme_info(
    scheme: rustls::SignatureScheme,
) -> (&'static str, AlgorithmFamily, Answer) {
    let code = u16::from(scheme);
    SCHEMES.iter().find(|(c, _, _)| *c == code).map_or(
        ("unknown", AlgorithmFamily::Other, Answer::Undetermined),
        |&(_, name, family)| (name, family, family.quantum_vulnerable()),
    )
}

/// TLS SignatureScheme codepoints by their IANA names (RFC 8446, RFC 8998, RFC 8734,
/// draft-ietf-tls-mldsa).
const SCHEMES: &[(u16, &str, AlgorithmFamily)] = &[
    (0x0201, "rsa_pkcs1_sha1", AlgorithmFamily::Rsa),
    (0x0203, "ecdsa_sha1", AlgorithmFamily::Ec),
    (0x0401, "rsa_pkcs1_sha256", AlgorithmFamily::Rsa),
    (0x0403, "ecdsa_secp256r1_sha256", AlgorithmFamily::Ec),
    (0x0501, "rsa_pkcs1_sha384", AlgorithmFamily::Rsa),
    (0x0503, "ecdsa_secp384r1_sha384", AlgorithmFamily::Ec),
    (0x0601, "rsa_pkcs1_sha512", AlgorithmFamily::Rsa),
    (0x0603, "ecdsa_secp521r1_sha512", AlgorithmFamily::Ec),
    (0x0708, "sm2sig_sm3", AlgorithmFamily::Ec),
    (0x0804, "rsa_pss_rsae_sha256", AlgorithmFamily::RsaPss),
    (0x0805, "rsa_pss_rsae_sha384", AlgorithmFamily::RsaPss),
    (0x0806, "rsa_pss_rsae_sha512", AlgorithmFamily::RsaPss),
    (0x0807, "ed25519", AlgorithmFamily::Eddsa),
    (0x0808, "ed448", AlgorithmFamily::Eddsa),
    (0x0809, "rsa_pss_pss_sha256", AlgorithmFamily::RsaPss),
    (0x080a, "rsa_pss_pss_sha384", AlgorithmFamily::RsaPss),
    (0x080b, "rsa_pss_pss_sha512", AlgorithmFamily::RsaPss),
    (
        0x081a,
        "ecdsa_brainpoolP256r1tls13_sha256",
        AlgorithmFamily::Ec,
    ),
    (
        0x081b,
        "ecdsa_brainpoolP384r1tls13_sha384",
        AlgorithmFamily::Ec,
    ),
    (
        0x081c,
        "ecdsa_brainpoolP512r1tls13_sha512",
        AlgorithmFamily::Ec,
    ),
    (0x0904, "mldsa44", AlgorithmFamily::MlDsa),
    (0x0905, "mldsa65", AlgorithmFamily::MlDsa),
    (0x0906, "mldsa87", AlgorithmFamily::MlDsa),
];

/// What an object identifier of [`OIDS`] identifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A public-key algorithm only (`rsaEncryption`, `id-ecPublicKey`).
    Key,
    /// A signature algorithm only (`sha256WithRSAEncryption`).
    Signature,
    /// Both (`id-RSASSA-PSS`, Ed25519, ML-DSA, ...).
    KeyAndSignature,
    /// A named elliptic curve.
    Curve,
    /// A hash function (for RSASSA-PSS parameters).
    Hash,
}

impl Role {
    fn key(self) -> bool {
        matches!(self, Role::Key | Role::KeyAndSignature)
    }

    fn signature(self) -> bool {
        matches!(self, Role::Signature | Role::KeyAndSignature)
    }
}

/// One row of [`OIDS`].
#[derive(Debug)]
struct OidRow {
    /// Dotted; for an arc row, the arc (every OID below it matches).
    oid: &'static str,
    /// The name; for an arc row, a prefix the OID is appended to.
    name: &'static str,
    role: Role,
    family: AlgorithmFamily,
    nist_category: Option<u8>,
    /// The fixed hash (or a composite's pre-hash), or a hash row's own name.
    hash: Option<&'static str>,
    /// Whether `oid` is an arc rather than one identifier.
    arc: bool,
}

const fn row(
    oid: &'static str,
    name: &'static str,
    role: Role,
    family: AlgorithmFamily,
    nist_category: Option<u8>,
    hash: Option<&'static str>,
) -> OidRow {
    OidRow {
        oid,
        name,
        role,
        family,
        nist_category,
        hash,
        arc: false,
    }
}

const fn hash_row(oid: &'static str, name: &'static str) -> OidRow {
    row(
        oid,
        name,
        Role::Hash,
        AlgorithmFamily::Other,
        None,
        Some(name),
    )
}

const fn curve_row(oid: &'static str, name: &'static str) -> OidRow {
    row(oid, name, Role::Curve, AlgorithmFamily::Ec, None, None)
}

use AlgorithmFamily as F;
use Role as R;

const SHA1: Option<&str> = Some("SHA-1");
const SHA224: Option<&str> = Some("SHA-224");
const SHA256: Option<&str> = Some("SHA-256");
const SHA384: Option<&str> = Some("SHA-384");
const SHA512: Option<&str> = Some("SHA-512");
const SHAKE128: Option<&str> = Some("SHAKE128");
const SHAKE256: Option<&str> = Some("SHAKE256");

/// Every object identifier this module names: keys, signatures, curves and hashes.
#[rustfmt::skip]
const OIDS: &[OidRow] = &[
    // RSA (RFC 8017, RFC 4055, RFC 9688 for the SHA-3 ones).
    row("1.2.840.113549.1.1.1", "RSA", R::Key, F::Rsa, None, None),
    row("1.2.840.113549.1.1.10", "RSASSA-PSS", R::KeyAndSignature, F::RsaPss, None, None),
    row("1.2.840.113549.1.1.2", "md2WithRSAEncryption", R::Signature, F::Rsa, None, Some("MD2")),
    row("1.2.840.113549.1.1.4", "md5WithRSAEncryption", R::Signature, F::Rsa, None, Some("MD5")),
    row("1.2.840.113549.1.1.5", "sha1WithRSAEncryption", R::Signature, F::Rsa, None, SHA1),
    row("1.2.840.113549.1.1.11", "sha256WithRSAEncryption", R::Signature, F::Rsa, None, SHA256),
    row("1.2.840.113549.1.1.12", "sha384WithRSAEncryption", R::Signature, F::Rsa, None, SHA384),
    row("1.2.840.113549.1.1.13", "sha512WithRSAEncryption", R::Signature, F::Rsa, None, SHA512),
    row("1.2.840.113549.1.1.14", "sha224WithRSAEncryption", R::Signature, F::Rsa, None, SHA224),
    row("1.2.840.113549.1.1.15", "sha512-224WithRSAEncryption", R::Signature, F::Rsa, None, Some("SHA-512/224")),
    row("1.2.840.113549.1.1.16", "sha512-256WithRSAEncryption", R::Signature, F::Rsa, None, Some("SHA-512/256")),
    row("2.16.840.1.101.3.4.3.13", "id-rsassa-pkcs1-v1_5-with-sha3-224", R::Signature, F::Rsa, None, Some("SHA3-224")),
    row("2.16.840.1.101.3.4.3.14", "id-rsassa-pkcs1-v1_5-with-sha3-256", R::Signature, F::Rsa, None, Some("SHA3-256")),
    row("2.16.840.1.101.3.4.3.15", "id-rsassa-pkcs1-v1_5-with-sha3-384", R::Signature, F::Rsa, None, Some("SHA3-384")),
    row("2.16.840.1.101.3.4.3.16", "id-rsassa-pkcs1-v1_5-with-sha3-512", R::Signature, F::Rsa, None, Some("SHA3-512")),
    // Elliptic curves (RFC 5480, RFC 5758, RFC 8692 for the SHA-3 ones).
    row("1.2.840.10045.2.1", "EC", R::Key, F::Ec, None, None),
    row("1.2.840.10045.4.1", "ecdsa-with-SHA1", R::Signature, F::Ec, None, SHA1),
    row("1.2.840.10045.4.3.1", "ecdsa-with-SHA224", R::Signature, F::Ec, None, SHA224),
    row("1.2.840.10045.4.3.2", "ecdsa-with-SHA256", R::Signature, F::Ec, None, SHA256),
    row("1.2.840.10045.4.3.3", "ecdsa-with-SHA384", R::Signature, F::Ec, None, SHA384),
    row("1.2.840.10045.4.3.4", "ecdsa-with-SHA512", R::Signature, F::Ec, None, SHA512),
    row("2.16.840.1.101.3.4.3.9", "id-ecdsa-with-sha3-224", R::Signature, F::Ec, None, Some("SHA3-224")),
    row("2.16.840.1.101.3.4.3.10", "id-ecdsa-with-sha3-256", R::Signature, F::Ec, None, Some("SHA3-256")),
    row("2.16.840.1.101.3.4.3.11", "id-ecdsa-with-sha3-384", R::Signature, F::Ec, None, Some("SHA3-384")),
    row("2.16.840.1.101.3.4.3.12", "id-ecdsa-with-sha3-512", R::Signature, F::Ec, None, Some("SHA3-512")),
    row("1.2.156.10197.1.501", "SM2-with-SM3", R::Signature, F::Ec, None, Some("SM3")),
    curve_row("1.2.840.10045.3.1.1", "P-192"),
    curve_row("1.3.132.0.33", "P-224"),
    curve_row("1.2.840.10045.3.1.7", "P-256"),
    curve_row("1.3.132.0.34", "P-384"),
    curve_row("1.3.132.0.35", "P-521"),
    curve_row("1.3.132.0.10", "secp256k1"),
    curve_row("1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1"),
    curve_row("1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1"),
    curve_row("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1"),
    curve_row("1.2.156.10197.1.301", "SM2"),
    // EdDSA (RFC 8410).
    row("1.3.101.112", "Ed25519", R::KeyAndSignature, F::Eddsa, None, None),
    row("1.3.101.113", "Ed448", R::KeyAndSignature, F::Eddsa, None, None),
    // DSA (RFC 3279, RFC 5758).
    row("1.2.840.10040.4.1", "DSA", R::Key, F::Dsa, None, None),
    row("1.2.840.10040.4.3", "dsa-with-sha1", R::Signature, F::Dsa, None, SHA1),
    row("2.16.840.1.101.3.4.3.1", "dsa-with-sha224", R::Signature, F::Dsa, None, SHA224),
    row("2.16.840.1.101.3.4.3.2", "dsa-with-sha256", R::Signature, F::Dsa, None, SHA256),
    row("2.16.840.1.101.3.4.3.3", "dsa-with-sha384", R::Signature, F::Dsa, None, SHA384),
    row("2.16.840.1.101.3.4.3.4", "dsa-with-sha512", R::Signature, F::Dsa, None, SHA512),
    // ML-DSA (RFC 9881): one OID for key and signature; HashML-DSA signs a SHA-512 digest.
    row("2.16.840.1.101.3.4.3.17", "ML-DSA-44", R::KeyAndSignature, F::MlDsa, Some(2), None),
    row("2.16.840.1.101.3.4.3.18", "ML-DSA-65", R::KeyAndSignature, F::MlDsa, Some(3), None),
    row("2.16.840.1.101.3.4.3.19", "ML-DSA-87", R::KeyAndSignature, F::MlDsa, Some(5), None),
    row("2.16.840.1.101.3.4.3.32", "HashML-DSA-44-with-SHA512", R::KeyAndSignature, F::MlDsa, Some(2), SHA512),
    row("2.16.840.1.101.3.4.3.33", "HashML-DSA-65-with-SHA512", R::KeyAndSignature, F::MlDsa, Some(3), SHA512),
    row("2.16.840.1.101.3.4.3.34", "HashML-DSA-87-with-SHA512", R::KeyAndSignature, F::MlDsa, Some(5), SHA512),
    // SLH-DSA (RFC 9909, NIST CSOR), pure and pre-hash.
    row("2.16.840.1.101.3.4.3.20", "SLH-DSA-SHA2-128s", R::KeyAndSignature, F::SlhDsa, Some(1), None),
    row("2.16.840.1.101.3.4.3.21", "SLH-DSA-SHA2-128f", R::KeyAndSignature, F::SlhDsa, Some(1), None),
    row("2.16.840.1.101.3.4.3.22", "SLH-DSA-SHA2-192s", R::KeyAndSignature, F::SlhDsa, Some(3), None),
    row("2.16.840.1.101.3.4.3.23", "SLH-DSA-SHA2-192f", R::KeyAndSignature, F::SlhDsa, Some(3), None),
    row("2.16.840.1.101.3.4.3.24", "SLH-DSA-SHA2-256s", R::KeyAndSignature, F::SlhDsa, Some(5), None),
    row("2.16.840.1.101.3.4.3.25", "SLH-DSA-SHA2-256f", R::KeyAndSignature, F::SlhDsa, Some(5), None),
    row("2.16.840.1.101.3.4.3.26", "SLH-DSA-SHAKE-128s", R::KeyAndSignature, F::SlhDsa, Some(1), None),
    row("2.16.840.1.101.3.4.3.27", "SLH-DSA-SHAKE-128f", R::KeyAndSignature, F::SlhDsa, Some(1), None),
    row("2.16.840.1.101.3.4.3.28", "SLH-DSA-SHAKE-192s", R::KeyAndSignature, F::SlhDsa, Some(3), None),
    row("2.16.840.1.101.3.4.3.29", "SLH-DSA-SHAKE-192f", R::KeyAndSignature, F::SlhDsa, Some(3), None),
    row("2.16.840.1.101.3.4.3.30", "SLH-DSA-SHAKE-256s", R::KeyAndSignature, F::SlhDsa, Some(5), None),
    row("2.16.840.1.101.3.4.3.31", "SLH-DSA-SHAKE-256f", R::KeyAndSignature, F::SlhDsa, Some(5), None),
    row("2.16.840.1.101.3.4.3.35", "HashSLH-DSA-SHA2-128s-with-SHA256", R::KeyAndSignature, F::SlhDsa, Some(1), SHA256),
    row("2.16.840.1.101.3.4.3.36", "HashSLH-DSA-SHA2-128f-with-SHA256", R::KeyAndSignature, F::SlhDsa, Some(1), SHA256),
    row("2.16.840.1.101.3.4.3.37", "HashSLH-DSA-SHA2-192s-with-SHA512", R::KeyAndSignature, F::SlhDsa, Some(3), SHA512),
    row("2.16.840.1.101.3.4.3.38", "HashSLH-DSA-SHA2-192f-with-SHA512", R::KeyAndSignature, F::SlhDsa, Some(3), SHA512),
    row("2.16.840.1.101.3.4.3.39", "HashSLH-DSA-SHA2-256s-with-SHA512", R::KeyAndSignature, F::SlhDsa, Some(5), SHA512),
    row("2.16.840.1.101.3.4.3.40", "HashSLH-DSA-SHA2-256f-with-SHA512", R::KeyAndSignature, F::SlhDsa, Some(5), SHA512),
    row("2.16.840.1.101.3.4.3.41", "HashSLH-DSA-SHAKE-128s-with-SHAKE128", R::KeyAndSignature, F::SlhDsa, Some(1), SHAKE128),
    row("2.16.840.1.101.3.4.3.42", "HashSLH-DSA-SHAKE-128f-with-SHAKE128", R::KeyAndSignature, F::SlhDsa, Some(1), SHAKE128),
    row("2.16.840.1.101.3.4.3.43", "HashSLH-DSA-SHAKE-192s-with-SHAKE256", R::KeyAndSignature, F::SlhDsa, Some(3), SHAKE256),
    row("2.16.840.1.101.3.4.3.44", "HashSLH-DSA-SHAKE-192f-with-SHAKE256", R::KeyAndSignature, F::SlhDsa, Some(3), SHAKE256),
    row("2.16.840.1.101.3.4.3.45", "HashSLH-DSA-SHAKE-256s-with-SHAKE256", R::KeyAndSignature, F::SlhDsa, Some(5), SHAKE256),
    row("2.16.840.1.101.3.4.3.46", "HashSLH-DSA-SHAKE-256f-with-SHAKE256", R::KeyAndSignature, F::SlhDsa, Some(5), SHAKE256),
    // Composite ML-DSA (draft-ietf-lamps-pq-composite-sigs, id-alg arc): one OID for
    // key and signature; the hash column is the pre-hash.
    row("1.3.6.1.5.5.7.6.37", "MLDSA44-RSA2048-PSS-SHA256", R::KeyAndSignature, F::Composite, Some(2), SHA256),
    row("1.3.6.1.5.5.7.6.38", "MLDSA44-RSA2048-PKCS15-SHA256", R::KeyAndSignature, F::Composite, Some(2), SHA256),
    row("1.3.6.1.5.5.7.6.39", "MLDSA44-Ed25519-SHA512", R::KeyAndSignature, F::Composite, Some(2), SHA512),
    row("1.3.6.1.5.5.7.6.40", "MLDSA44-ECDSA-P256-SHA256", R::KeyAndSignature, F::Composite, Some(2), SHA256),
    row("1.3.6.1.5.5.7.6.41", "MLDSA65-RSA3072-PSS-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.42", "MLDSA65-RSA3072-PKCS15-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.43", "MLDSA65-RSA4096-PSS-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.44", "MLDSA65-RSA4096-PKCS15-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.45", "MLDSA65-ECDSA-P256-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.46", "MLDSA65-ECDSA-P384-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.47", "MLDSA65-ECDSA-brainpoolP256r1-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.48", "MLDSA65-Ed25519-SHA512", R::KeyAndSignature, F::Composite, Some(3), SHA512),
    row("1.3.6.1.5.5.7.6.49", "MLDSA87-ECDSA-P384-SHA512", R::KeyAndSignature, F::Composite, Some(5), SHA512),
    row("1.3.6.1.5.5.7.6.50", "MLDSA87-ECDSA-brainpoolP384r1-SHA512", R::KeyAndSignature, F::Composite, Some(5), SHA512),
    row("1.3.6.1.5.5.7.6.51", "MLDSA87-Ed448-SHAKE256", R::KeyAndSignature, F::Composite, Some(5), SHAKE256),
    row("1.3.6.1.5.5.7.6.52", "MLDSA87-RSA3072-PSS-SHA512", R::KeyAndSignature, F::Composite, Some(5), SHA512),
    row("1.3.6.1.5.5.7.6.53", "MLDSA87-RSA4096-PSS-SHA512", R::KeyAndSignature, F::Composite, Some(5), SHA512),
    row("1.3.6.1.5.5.7.6.54", "MLDSA87-ECDSA-P521-SHA512", R::KeyAndSignature, F::Composite, Some(5), SHA512),
    // Earlier drafts' Entrust arc: its numbers were reassigned from draft to draft, so an
    // OID there names no one algorithm for certain; described generically.
    OidRow {
        oid: "2.16.840.1.114027.80.8.1",
        name: "composite ML-DSA",
        role: R::KeyAndSignature,
        family: F::Composite,
        nist_category: None,
        hash: None,
        arc: true,
    },
    // Hashes (RFC 8017 / NIST CSOR), for RSASSA-PSS parameters.
    hash_row("1.2.840.113549.2.5", "MD5"),
    hash_row("1.3.14.3.2.26", "SHA-1"),
    hash_row("2.16.840.1.101.3.4.2.1", "SHA-256"),
    hash_row("2.16.840.1.101.3.4.2.2", "SHA-384"),
    hash_row("2.16.840.1.101.3.4.2.3", "SHA-512"),
    hash_row("2.16.840.1.101.3.4.2.4", "SHA-224"),
    hash_row("2.16.840.1.101.3.4.2.5", "SHA-512/224"),
    hash_row("2.16.840.1.101.3.4.2.6", "SHA-512/256"),
    hash_row("2.16.840.1.101.3.4.2.7", "SHA3-224"),
    hash_row("2.16.840.1.101.3.4.2.8", "SHA3-256"),
    hash_row("2.16.840.1.101.3.4.2.9", "SHA3-384"),
    hash_row("2.16.840.1.101.3.4.2.10", "SHA3-512"),
    hash_row("2.16.840.1.101.3.4.2.11", "SHAKE128"),
    hash_row("2.16.840.1.101.3.4.2.12", "SHAKE256"),
];

/// What [`OIDS`] says about one identifier.
#[derive(Debug, PartialEq, Eq)]
struct Known {
    name: String,
    family: AlgorithmFamily,
    nist_category: Option<u8>,
    hash: Option<&'static str>,
}

/// The row of [`OIDS`] for `oid` (dotted) in a role `wanted` accepts: an exact match,
/// else an arc the OID lies under.
fn lookup(oid: &str, wanted: fn(Role) -> bool) -> Option<Known> {
    let rows = move || OIDS.iter().filter(move |r| wanted(r.role));
    let exact = rows().find(|r| !r.arc && r.oid == oid);
    let found = exact.or_else(|| {
        rows().find(|r| {
            r.arc
                && oid
                    .strip_prefix(r.oid)
                    .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.'))
        })
    })?;
    Some(Known {
        name: if found.arc {
            format!("{} ({oid})", found.name)
        } else {
            found.name.to_string()
        },
        family: found.family,
        nist_category: found.nist_category,
        hash: found.hash,
    })
}

/// An entry for bytes that did not parse.
fn unparsed(der_len: usize, error: String) -> CertificateEntry {
    CertificateEntry {
        subject: None,
        issuer: None,
        serial: None,
        not_before: None,
        not_after: None,
        der_len,
        public_key: PublicKeyInfo {
            algorithm: "other".to_string(),
            oid: String::new(),
            family: AlgorithmFamily::Other,
            bits: None,
            curve: None,
            nist_category: None,
            quantum_vulnerable: Answer::Undetermined,
        },
        signature_algorithm: SignatureAlgorithmInfo {
            name: "other".to_string(),
            oid: String::new(),
            hash: None,
            family: AlgorithmFamily::Other,
            nist_category: None,
            quantum_vulnerable: Answer::Undetermined,
        },
        quantum_vulnerable: Answer::Undetermined,
        parse_error: Some(error),
    }
}

/// The entry for a certificate that parsed.
fn parsed(cert: &X509Certificate<'_>, der_len: usize) -> CertificateEntry {
    let public_key = public_key_info(cert.public_key());
    let signature_algorithm = signature_info(&cert.signature_algorithm);
    let serial = cert.raw_serial_as_string();
    let validity = cert.validity();
    CertificateEntry {
        subject: name(cert.subject()),
        issuer: name(cert.issuer()),
        serial: (!serial.is_empty()).then_some(serial),
        not_before: rfc3339(validity.not_before),
        not_after: rfc3339(validity.not_after),
        der_len,
        quantum_vulnerable: either(
            public_key.quantum_vulnerable,
            signature_algorithm.quantum_vulnerable,
        ),
        public_key,
        signature_algorithm,
        parse_error: None,
    }
}

/// `Yes` if either is, `No` if both are, else `Undetermined`.
fn either(a: Answer, b: Answer) -> Answer {
    match (a, b) {
        (Answer::Yes, _) | (_, Answer::Yes) => Answer::Yes,
        (Answer::No, Answer::No) => Answer::No,
        _ => Answer::Undetermined,
    }
}

/// A distinguished name as `x509-parser` prints it (`None` if an attribute value cannot
/// be shown).
fn name(n: &X509Name<'_>) -> Option<String> {
    n.to_string_with_registry(oid_registry()).ok()
}

fn public_key_info(spki: &SubjectPublicKeyInfo<'_>) -> PublicKeyInfo {
    let oid = spki.algorithm.algorithm.to_id_string();
    let Some(known) = lookup(&oid, Role::key) else {
        return PublicKeyInfo {
            algorithm: "other".to_string(),
            oid,
            family: AlgorithmFamily::Other,
            bits: None,
            curve: None,
            nist_category: None,
            quantum_vulnerable: Answer::Undetermined,
        };
    };
    let params = spki.algorithm.parameters.as_ref();
    let (bits, curve) = match known.family {
        AlgorithmFamily::Rsa | AlgorithmFamily::RsaPss => {
            (rsa_bits(&spki.subject_public_key.data), None)
        }
        AlgorithmFamily::Dsa => (params.and_then(dsa_bits), None),
        AlgorithmFamily::Ec => (None, params.and_then(curve_name)),
        _ => (None, None),
    };
    PublicKeyInfo {
        algorithm: known.name,
        oid,
        family: known.family,
        bits,
        curve,
        nist_category: known.nist_category,
        quantum_vulnerable: known.family.quantum_vulnerable(),
    }
}

fn signature_info(alg: &AlgorithmIdentifier<'_>) -> SignatureAlgorithmInfo {
    let oid = alg.algorithm.to_id_string();
    let Some(known) = lookup(&oid, Role::signature) else {
        return SignatureAlgorithmInfo {
            name: "other".to_string(),
            oid,
            hash: None,
            family: AlgorithmFamily::Other,
            nist_category: None,
            quantum_vulnerable: Answer::Undetermined,
        };
    };
    let hash = if known.family == AlgorithmFamily::RsaPss {
        alg.parameters.as_ref().and_then(pss_hash)
    } else {
        known.hash.map(str::to_string)
    };
    SignatureAlgorithmInfo {
        name: known.name,
        oid,
        hash,
        family: known.family,
        nist_category: known.nist_category,
        quantum_vulnerable: known.family.quantum_vulnerable(),
    }
}

/// The hash RSASSA-PSS parameters name (SHA-1 when they leave it at its default), by
/// name, or by OID when unknown.
fn pss_hash(params: &Any<'_>) -> Option<String> {
    let params = RsaSsaPssParams::try_from(params).ok()?;
    let oid = params.hash_algorithm_oid().to_id_string();
    Some(match lookup(&oid, |r| r == Role::Hash) {
        Some(known) => known.name,
        None => oid,
    })
}

/// The named curve in EC key parameters, by name, or by OID when unknown.
fn curve_name(params: &Any<'_>) -> Option<String> {
    let oid = params.as_oid().ok()?.to_id_string();
    Some(match lookup(&oid, |r| r == Role::Curve) {
        Some(known) => known.name,
        None => oid,
    })
}

/// The modulus size of an RSA public key (`RSAPublicKey` in the key's BIT STRING).
fn rsa_bits(key: &[u8]) -> Option<u32> {
    let (_, key) = RSAPublicKey::from_der(key).ok()?;
    significant_bits(key.modulus)
}

/// The size of `p` in DSA parameters (`Dss-Parms ::= SEQUENCE { p, q, g }`).
fn dsa_bits(params: &Any<'_>) -> Option<u32> {
    if params.tag() != Tag::Sequence {
        return None;
    }
    let (_, p) = parse_der_integer(params.data).ok()?;
    significant_bits(p.as_slice().ok()?)
}

/// The number of significant bits of a big-endian unsigned integer (`None` for zero).
fn significant_bits(bytes: &[u8]) -> Option<u32> {
    let start = bytes.iter().position(|&b| b != 0)?;
    let rest = u32::try_from(bytes.len() - start - 1).ok()?;
    rest.checked_mul(8)?
        .checked_add(8 - bytes[start].leading_zeros())
}

/// An ASN.1 time as RFC 3339 in UTC (`None` outside years 0000–9999).
fn rfc3339(t: ASN1Time) -> Option<String> {
    let secs = t.timestamp();
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    (0..=9999).contains(&year).then(|| {
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )
    })
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01,
/// counting in 400-year eras that start on March 1st (so leap days end each era-year).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Shift the epoch to 0000-03-01: 719 468 days before 1970-01-01.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March: 153 days per five months.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::SignatureScheme;

    #[test]
    fn every_row_is_well_formed_and_unique() {
        for (i, r) in OIDS.iter().enumerate() {
            assert!(
                r.oid
                    .split('.')
                    .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit())),
                "{r:?}"
            );
            assert!(
                OIDS[i + 1..].iter().all(|o| o.oid != r.oid),
                "{} twice in the table",
                r.oid
            );
            let post_quantum = matches!(r.family, F::MlDsa | F::SlhDsa | F::Composite);
            assert_eq!(
                r.nist_category.is_some(),
                post_quantum && !r.arc,
                "category of {r:?}"
            );
        }
    }

    #[test]
    fn composite_oids_are_named_with_their_ml_dsa_category() {
        let k = lookup("1.3.6.1.5.5.7.6.45", Role::key).unwrap();
        assert_eq!(
            k,
            Known {
                name: "MLDSA65-ECDSA-P256-SHA512".into(),
                family: F::Composite,
                nist_category: Some(3),
                hash: SHA512,
            }
        );
        let s = lookup("1.3.6.1.5.5.7.6.37", Role::signature).unwrap();
        assert_eq!(
            (s.name.as_str(), s.nist_category, s.hash),
            ("MLDSA44-RSA2048-PSS-SHA256", Some(2), SHA256)
        );
        let s = lookup("1.3.6.1.5.5.7.6.51", Role::signature).unwrap();
        assert_eq!(
            (s.name.as_str(), s.nist_category, s.hash),
            ("MLDSA87-Ed448-SHAKE256", Some(5), SHAKE256)
        );
        let s = lookup("1.3.6.1.5.5.7.6.54", Role::signature).unwrap();
        assert_eq!(s.name, "MLDSA87-ECDSA-P521-SHA512");
        // All eighteen, 37 through 54, are there; nothing past them is.
        for n in 37..=54 {
            let k = lookup(&format!("1.3.6.1.5.5.7.6.{n}"), Role::key).unwrap();
            assert_eq!(k.family, F::Composite);
            let want = match n {
                37..=40 => 2,
                41..=48 => 3,
                _ => 5,
            };
            assert_eq!(k.nist_category, Some(want), "{n}");
            assert!(
                k.name
                    .starts_with(&format!("MLDSA{}", [0, 0, 44, 65, 0, 87][want as usize])),
                "{n}"
            );
        }
        assert_eq!(lookup("1.3.6.1.5.5.7.6.55", Role::key), None);
        assert_eq!(lookup("1.3.6.1.5.5.7.6.36", Role::signature), None);
    }

    #[test]
    fn the_entrust_arc_is_composite_by_name_only() {
        let k = lookup("2.16.840.1.114027.80.8.1.28", Role::key).unwrap();
        assert_eq!(k.name, "composite ML-DSA (2.16.840.1.114027.80.8.1.28)");
        assert_eq!((k.family, k.nist_category), (F::Composite, None));
        assert_eq!(
            lookup("2.16.840.1.114027.80.8.1.28", Role::signature)
                .unwrap()
                .family,
            F::Composite
        );
        // The arc itself, a sibling that merely shares the prefix, and a parent are not.
        assert_eq!(lookup("2.16.840.1.114027.80.8.1", Role::key), None);
        assert_eq!(lookup("2.16.840.1.114027.80.8.10", Role::key), None);
        assert_eq!(lookup("2.16.840.1.114027.80.8.1.", Role::key), None);
        assert_eq!(lookup("2.16.840.1.114027.80.8", Role::key), None);
    }

    #[test]
    fn roles_keep_keys_signatures_curves_and_hashes_apart() {
        // rsaEncryption is a key, not a signature; sha256WithRSAEncryption the reverse.
        assert!(lookup("1.2.840.113549.1.1.1", Role::key).is_some());
        assert!(lookup("1.2.840.113549.1.1.1", Role::signature).is_none());
        assert!(lookup("1.2.840.113549.1.1.11", Role::key).is_none());
        assert_eq!(
            lookup("1.2.840.113549.1.1.11", Role::signature)
                .unwrap()
                .hash,
            SHA256
        );
        // A curve or a hash is neither.
        assert!(lookup("1.2.840.10045.3.1.7", Role::key).is_none());
        assert!(lookup("2.16.840.1.101.3.4.2.1", Role::signature).is_none());
        assert_eq!(
            lookup("1.3.132.0.34", |r| r == Role::Curve).unwrap().name,
            "P-384"
        );
        // ML-DSA and SLH-DSA use one OID for both.
        let k = lookup("2.16.840.1.101.3.4.3.19", Role::key).unwrap();
        assert_eq!(
            (k.name.as_str(), k.family, k.nist_category),
            ("ML-DSA-87", F::MlDsa, Some(5))
        );
        let s = lookup("2.16.840.1.101.3.4.3.31", Role::signature).unwrap();
        assert_eq!(
            (s.name.as_str(), s.family, s.nist_category),
            ("SLH-DSA-SHAKE-256f", F::SlhDsa, Some(5))
        );
        let s = lookup("2.16.840.1.101.3.4.3.22", Role::signature).unwrap();
        assert_eq!(
            (s.name.as_str(), s.nist_category),
            ("SLH-DSA-SHA2-192s", Some(3))
        );
        let s = lookup("2.16.840.1.101.3.4.3.33", Role::signature).unwrap();
        assert_eq!(
            (s.name.as_str(), s.hash),
            ("HashML-DSA-65-with-SHA512", SHA512)
        );
    }

    #[test]
    fn unknown_oids_are_not_named() {
        for oid in [
            "1.2.3.4",
            "",
            "1.2.840.113549.1.1",
            "2.16.840.1.101.3.4.3.47",
            "1.3.101.114",
        ] {
            assert_eq!(lookup(oid, Role::key), None, "{oid}");
            assert_eq!(lookup(oid, Role::signature), None, "{oid}");
        }
    }

    /// A key and a signature algorithm with `oid`, as x509-parser would hand them over
    /// (no parameters, an arbitrary key).
    fn described(oid: &str) -> (PublicKeyInfo, SignatureAlgorithmInfo) {
        use std::borrow::Cow;
        use std::str::FromStr;
        use x509_parser::asn1_rs::{BitString, Oid};
        let alg = AlgorithmIdentifier::new(Oid::from_str(oid).unwrap(), None);
        let spki = SubjectPublicKeyInfo {
            algorithm: alg.clone(),
            subject_public_key: BitString {
                unused_bits: 0,
                data: Cow::Borrowed(&[1, 2, 3]),
            },
            raw: &[],
        };
        (public_key_info(&spki), signature_info(&alg))
    }

    #[test]
    fn composite_and_unknown_algorithms_are_described() {
        let (key, sig) = described("1.3.6.1.5.5.7.6.45");
        assert_eq!(
            key,
            PublicKeyInfo {
                algorithm: "MLDSA65-ECDSA-P256-SHA512".into(),
                oid: "1.3.6.1.5.5.7.6.45".into(),
                family: F::Composite,
                bits: None,
                curve: None,
                nist_category: Some(3),
                quantum_vulnerable: Answer::No,
            }
        );
        assert_eq!(key.label(), "MLDSA65-ECDSA-P256-SHA512");
        assert_eq!(
            sig,
            SignatureAlgorithmInfo {
                name: "MLDSA65-ECDSA-P256-SHA512".into(),
                oid: "1.3.6.1.5.5.7.6.45".into(),
                hash: Some("SHA-512".into()),
                family: F::Composite,
                nist_category: Some(3),
                quantum_vulnerable: Answer::No,
            }
        );

        let (key, sig) = described("2.16.840.1.114027.80.8.1.4");
        assert_eq!(
            key.algorithm,
            "composite ML-DSA (2.16.840.1.114027.80.8.1.4)"
        );
        assert_eq!(
            (key.family, key.nist_category, key.quantum_vulnerable),
            (F::Composite, None, Answer::No)
        );
        assert_eq!(key.label(), "composite ML-DSA (2.16.840.1.114027.80.8.1.4)");
        assert_eq!(
            (sig.family, sig.quantum_vulnerable, sig.hash),
            (F::Composite, Answer::No, None)
        );

        let (key, sig) = described("1.2.3.4");
        assert_eq!(
            key,
            PublicKeyInfo {
                algorithm: "other".into(),
                oid: "1.2.3.4".into(),
                family: F::Other,
                bits: None,
                curve: None,
                nist_category: None,
                quantum_vulnerable: Answer::Undetermined,
            }
        );
        assert_eq!(key.label(), "other (1.2.3.4)");
        assert_eq!((sig.name.as_str(), sig.oid.as_str()), ("other", "1.2.3.4"));
        assert_eq!(
            (sig.family, sig.quantum_vulnerable),
            (F::Other, Answer::Undetermined)
        );

        // Garbage where an RSA key or PSS parameters belong: no size, no hash, no panic.
        let (key, sig) = described("1.2.840.113549.1.1.10");
        assert_eq!((key.family, key.bits), (F::RsaPss, None));
        assert_eq!((sig.name.as_str(), sig.hash), ("RSASSA-PSS", None));
        // An EC key without a named curve.
        let (key, _) = described("1.2.840.10045.2.1");
        assert_eq!((key.curve.as_deref(), key.label().as_str()), (None, "EC"));
    }

    #[test]
    fn families_classify() {
        use Answer::*;
        let cases = [
            (F::Rsa, Yes),
            (F::RsaPss, Yes),
            (F::Ec, Yes),
            (F::Eddsa, Yes),
            (F::Dsa, Yes),
            (F::MlDsa, No),
            (F::SlhDsa, No),
            (F::Composite, No),
            (F::Other, Undetermined),
        ];
        for (family, want) in cases {
            assert_eq!(family.quantum_vulnerable(), want, "{family:?}");
        }
        assert_eq!(either(Yes, Undetermined), Yes);
        assert_eq!(either(Undetermined, Yes), Yes);
        assert_eq!(either(No, No), No);
        assert_eq!(either(No, Undetermined), Undetermined);
        assert_eq!(either(Undetermined, Undetermined), Undetermined);
    }

    #[test]
    fn signature_schemes_by_iana_name() {
        use Answer::*;
        let cases = [
            (
                SignatureScheme::RSA_PKCS1_SHA1,
                "rsa_pkcs1_sha1",
                F::Rsa,
                Yes,
            ),
            (SignatureScheme::ECDSA_SHA1_Legacy, "ecdsa_sha1", F::Ec, Yes),
            (
                SignatureScheme::RSA_PKCS1_SHA256,
                "rsa_pkcs1_sha256",
                F::Rsa,
                Yes,
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA384,
                "rsa_pkcs1_sha384",
                F::Rsa,
                Yes,
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA512,
                "rsa_pkcs1_sha512",
                F::Rsa,
                Yes,
            ),
            (
                SignatureScheme::ECDSA_NISTP256_SHA256,
                "ecdsa_secp256r1_sha256",
                F::Ec,
                Yes,
            ),
            (
                SignatureScheme::ECDSA_NISTP384_SHA384,
                "ecdsa_secp384r1_sha384",
                F::Ec,
                Yes,
            ),
            (
                SignatureScheme::ECDSA_NISTP521_SHA512,
                "ecdsa_secp521r1_sha512",
                F::Ec,
                Yes,
            ),
            (
                SignatureScheme::RSA_PSS_SHA256,
                "rsa_pss_rsae_sha256",
                F::RsaPss,
                Yes,
            ),
            (
                SignatureScheme::RSA_PSS_SHA384,
                "rsa_pss_rsae_sha384",
                F::RsaPss,
                Yes,
            ),
            (
                SignatureScheme::RSA_PSS_SHA512,
                "rsa_pss_rsae_sha512",
                F::RsaPss,
                Yes,
            ),
            (SignatureScheme::ED25519, "ed25519", F::Eddsa, Yes),
            (SignatureScheme::ED448, "ed448", F::Eddsa, Yes),
            (SignatureScheme::ML_DSA_44, "mldsa44", F::MlDsa, No),
            (SignatureScheme::ML_DSA_65, "mldsa65", F::MlDsa, No),
            (SignatureScheme::ML_DSA_87, "mldsa87", F::MlDsa, No),
            // Codepoints rustls has no variant for arrive as Unknown(u16).
            (
                SignatureScheme::from(0x0809),
                "rsa_pss_pss_sha256",
                F::RsaPss,
                Yes,
            ),
            (
                SignatureScheme::from(0x080b),
                "rsa_pss_pss_sha512",
                F::RsaPss,
                Yes,
            ),
            (
                SignatureScheme::from(0x081b),
                "ecdsa_brainpoolP384r1tls13_sha384",
                F::Ec,
                Yes,
            ),
            (SignatureScheme::from(0x0708), "sm2sig_sm3", F::Ec, Yes),
            (
                SignatureScheme::from(0x0000),
                "unknown",
                F::Other,
                Undetermined,
            ),
            (
                SignatureScheme::from(0x0907),
                "unknown",
                F::Other,
                Undetermined,
            ),
            (
                SignatureScheme::from(0xffff),
                "unknown",
                F::Other,
                Undetermined,
            ),
        ];
        for (scheme, name, family, vulnerable) in cases {
            assert_eq!(
                signature_scheme_info(scheme),
                (name, family, vulnerable),
                "{scheme:?}"
            );
        }
        // The table has each codepoint and each name once.
        for (i, (code, name, _)) in SCHEMES.iter().enumerate() {
            assert!(
                SCHEMES[i + 1..]
                    .iter()
                    .all(|(c, n, _)| c != code && n != name),
                "{name}"
            );
        }
    }

    #[test]
    fn bits_count_from_the_first_set_bit() {
        assert_eq!(significant_bits(&[]), None);
        assert_eq!(significant_bits(&[0, 0]), None);
        assert_eq!(significant_bits(&[1]), Some(1));
        assert_eq!(significant_bits(&[0x00, 0x80, 0x00]), Some(16));
        assert_eq!(significant_bits(&[0x00, 0x00, 0x7f, 0xff]), Some(15));
        let mut modulus = vec![0u8; 257];
        modulus[1] = 0xc1;
        assert_eq!(significant_bits(&modulus), Some(2048));
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        let at = |secs| rfc3339(ASN1Time::from_timestamp(secs).unwrap());
        assert_eq!(at(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(at(951_782_400).as_deref(), Some("2000-02-29T00:00:00Z"));
        assert_eq!(at(1_767_225_600).as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(at(2_524_607_999).as_deref(), Some("2049-12-31T23:59:59Z"));
        assert_eq!(at(4_107_542_400).as_deref(), Some("2100-03-01T00:00:00Z"));
        assert_eq!(at(-1).as_deref(), Some("1969-12-31T23:59:59Z"));
        assert_eq!(at(-62_135_596_800).as_deref(), Some("0001-01-01T00:00:00Z"));
        assert_eq!(at(253_402_300_799).as_deref(), Some("9999-12-31T23:59:59Z"));
    }

    #[test]
    fn labels() {
        let key = |algorithm: &str, oid: &str, family, bits, curve: Option<&str>| PublicKeyInfo {
            algorithm: algorithm.into(),
            oid: oid.into(),
            family,
            bits,
            curve: curve.map(Into::into),
            nist_category: None,
            quantum_vulnerable: Answer::Yes,
        };
        assert_eq!(
            key("RSA", "1.2.840.113549.1.1.1", F::Rsa, Some(2048), None).label(),
            "RSA-2048"
        );
        assert_eq!(
            key(
                "RSASSA-PSS",
                "1.2.840.113549.1.1.10",
                F::RsaPss,
                Some(3072),
                None
            )
            .label(),
            "RSASSA-PSS-3072"
        );
        assert_eq!(
            key("EC", "1.2.840.10045.2.1", F::Ec, None, Some("P-384")).label(),
            "EC-P-384"
        );
        assert_eq!(
            key("EC", "1.2.840.10045.2.1", F::Ec, None, None).label(),
            "EC"
        );
        assert_eq!(
            key("Ed25519", "1.3.101.112", F::Eddsa, None, None).label(),
            "Ed25519"
        );
        assert_eq!(
            key("ML-DSA-65", "2.16.840.1.101.3.4.3.18", F::MlDsa, None, None).label(),
            "ML-DSA-65"
        );
        assert_eq!(
            key("other", "1.2.3.4", F::Other, None, None).label(),
            "other (1.2.3.4)"
        );
    }
}
