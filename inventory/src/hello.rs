//! Raw ClientHellos and the server's first flight, without rustls.
//!
//! rustls speaks neither TLS 1.0 nor 1.1, has no `TLS_RSA_*` (RSA key transport) or
//! DHE suites, and decides itself which key shares it sends. The probes of
//! [`crate::legacy`] and [`crate::preference`] need all of that, so this module writes
//! the ClientHello itself ([`ClientHello::encode`]) and reads the server's answer up to
//! the point where it decides nothing more about the key exchange
//! ([`read_first_flight`]):
//!
//! * TLS 1.3: the ServerHello or HelloRetryRequest (RFC 8446 §4.1.3: a ServerHello
//!   whose random is [`HELLO_RETRY_REQUEST_RANDOM`]);
//! * TLS 1.2 and older: every message up to ServerHelloDone, keeping the certificate
//!   chain and what the ServerKeyExchange says about the key exchange (the ECDHE curve,
//!   the size of the DHE prime);
//! * or a fatal alert, the end of the stream, or the deadline.
//!
//! The client never sends a second flight: the connection is closed once the answer is
//! read. Nothing a peer sends can make this panic or wait past the deadline: every
//! connect, write and read runs under one deadline ([`DeadlineStream`]), every length
//! read is checked against what holds it, records are at most [`MAX_RECORD`] bytes,
//! handshake messages at most [`MAX_MESSAGE`] bytes, and at most [`MAX_FLIGHT`] bytes are
//! read in all. A peer that breaks these rules gets a typed [`Malformed`] error.
//!
//! What an answer is evidence of is the caller's business; the probes of this crate
//! follow one rule: a fatal alert naming a refusal ([`Alert::is_refusal`]) is evidence
//! that the server refused the offer; a close without an alert, a timeout or bytes that
//! do not parse are evidence of nothing.
//!
//! ```no_run
//! use std::time::Duration;
//! use pqhkex_inventory::hello::{self, ClientHello, ServerAnswer, SuiteKx, Version};
//!
//! let offer = ClientHello::new(Version::Tls12, hello::suites_for(SuiteKx::Rsa, Version::Tls12))
//!     .with_server_name(Some("example.com"));
//! match hello::exchange("192.0.2.7:443".parse().unwrap(), &offer, Duration::from_secs(5)) {
//!     Ok(ServerAnswer::ServerHello(sh)) => println!("RSA key transport: {}", hello::suite_name(sh.cipher_suite)),
//!     Ok(ServerAnswer::Alert(a)) if a.is_refusal() => println!("refused: {}", a.name()),
//!     other => println!("no evidence: {other:?}"),
//! }
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use pqhkex::Group;

use crate::deadline::DeadlineStream;

/// The most bytes read from a server for one first flight (a certificate chain of a
/// few large certificates fits many times over).
///
/// ```
/// assert_eq!(pqhkex_inventory::hello::MAX_FLIGHT, 256 * 1024);
/// ```
pub const MAX_FLIGHT: usize = 256 * 1024;

/// The largest handshake message accepted (its 24-bit length could say 16 MiB).
///
/// ```
/// assert!(pqhkex_inventory::hello::MAX_MESSAGE < pqhkex_inventory::hello::MAX_FLIGHT);
/// ```
pub const MAX_MESSAGE: usize = 128 * 1024;

/// The largest record accepted: 2^14 bytes of plaintext plus the 2048 bytes of
/// expansion TLS 1.2 allows a protected record (RFC 5246 §6.2.3).
///
/// ```
/// assert_eq!(pqhkex_inventory::hello::MAX_RECORD, 16384 + 2048);
/// ```
pub const MAX_RECORD: usize = 16384 + 2048;

/// The random of a HelloRetryRequest: SHA-256 of `"HelloRetryRequest"` (RFC 8446
/// §4.1.3).
///
/// ```
/// assert_eq!(pqhkex_inventory::hello::HELLO_RETRY_REQUEST_RANDOM[0], 0xcf);
/// ```
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The named group secp521r1 (0x0019), which pqhkex does not implement (TLS 1.2 probes
/// list it; no key share is needed there).
///
/// ```
/// assert_eq!(pqhkex_inventory::hello::group_name(pqhkex_inventory::hello::SECP521R1), "secp521r1");
/// ```
pub const SECP521R1: u16 = 0x0019;

/// The named group x448 (0x001e), which pqhkex does not implement.
///
/// ```
/// assert_eq!(pqhkex_inventory::hello::group_name(pqhkex_inventory::hello::X448), "x448");
/// ```
pub const X448: u16 = 0x001e;

/// A protocol version a [`ClientHello`] can offer at most.
///
/// ```
/// use pqhkex_inventory::hello::Version;
///
/// assert_eq!(Version::Tls12.code(), 0x0303);
/// assert_eq!(Version::from_code(0x0302), Some(Version::Tls11));
/// assert!(Version::Tls10 < Version::Tls13);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// TLS 1.0 (0x0301).
    Tls10,
    /// TLS 1.1 (0x0302).
    Tls11,
    /// TLS 1.2 (0x0303).
    Tls12,
    /// TLS 1.3 (0x0304, negotiated with the supported_versions extension).
    Tls13,
}

impl Version {
    /// The wire code.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::hello::Version::Tls13.code(), 0x0304);
    /// ```
    pub const fn code(self) -> u16 {
        match self {
            Version::Tls10 => 0x0301,
            Version::Tls11 => 0x0302,
            Version::Tls12 => 0x0303,
            Version::Tls13 => 0x0304,
        }
    }

    /// The version of a wire code (`None` for SSL 3.0, drafts and anything else).
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::hello::Version::from_code(0x0300), None);
    /// ```
    pub fn from_code(code: u16) -> Option<Version> {
        [
            Version::Tls10,
            Version::Tls11,
            Version::Tls12,
            Version::Tls13,
        ]
        .into_iter()
        .find(|v| v.code() == code)
    }

    /// As people write it: `TLS 1.2`.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::hello::Version::Tls11.name(), "TLS 1.1");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Version::Tls10 => "TLS 1.0",
            Version::Tls11 => "TLS 1.1",
            Version::Tls12 => "TLS 1.2",
            Version::Tls13 => "TLS 1.3",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Any version code as people write it: `TLS 1.2`, `SSL 3.0`, or `0x7f1c`.
///
/// ```
/// use pqhkex_inventory::hello::version_name;
///
/// assert_eq!(version_name(0x0303), "TLS 1.2");
/// assert_eq!(version_name(0x0300), "SSL 3.0");
/// assert_eq!(version_name(0x7f1c), "0x7f1c");
/// ```
pub fn version_name(code: u16) -> String {
    match (Version::from_code(code), code) {
        (Some(v), _) => v.name().to_string(),
        (None, 0x0300) => "SSL 3.0".to_string(),
        (None, other) => format!("0x{other:04x}"),
    }
}

/// How a cipher suite exchanges keys.
///
/// ```
/// use pqhkex_inventory::hello::{suite, SuiteKx};
///
/// assert_eq!(suite(0x009c).unwrap().kx, SuiteKx::Rsa);
/// assert_eq!(suite(0x1301).unwrap().kx, SuiteKx::Tls13);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SuiteKx {
    /// RSA key transport (`TLS_RSA_WITH_*`): the client encrypts the premaster secret
    /// to the server's RSA key; no forward secrecy.
    Rsa,
    /// Ephemeral elliptic-curve Diffie-Hellman (`TLS_ECDHE_*`), TLS 1.0 to 1.2.
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman (`TLS_DHE_*`), TLS 1.0 to 1.2.
    Dhe,
    /// A TLS 1.3 suite: the key exchange is negotiated apart (key_share).
    Tls13,
}

/// A cipher suite this module knows by name.
///
/// ```
/// let s = pqhkex_inventory::hello::suite(0xc02f).unwrap();
/// assert_eq!(s.name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
/// assert!(s.tls12_only);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Suite {
    /// Its code.
    pub code: u16,
    /// Its IANA name.
    pub name: &'static str,
    /// Its key exchange.
    pub kx: SuiteKx,
    /// Whether it needs TLS 1.2 (AEAD and SHA-256/384 suites, RFC 5246): a TLS 1.0 or
    /// 1.1 hello must not offer it.
    pub tls12_only: bool,
}

const fn s(code: u16, name: &'static str, kx: SuiteKx, tls12_only: bool) -> Suite {
    Suite {
        code,
        name,
        kx,
        tls12_only,
    }
}

/// The cipher suites this module names and offers, each kind in a client's order of
/// preference (AEAD first, 3DES and RC4 last).
///
/// ```
/// use pqhkex_inventory::hello::{SuiteKx, SUITES};
///
/// assert!(SUITES.iter().any(|s| s.kx == SuiteKx::Dhe && !s.tls12_only));
/// ```
pub static SUITES: &[Suite] = {
    use SuiteKx::*;
    &[
        s(0x1301, "TLS_AES_128_GCM_SHA256", Tls13, false),
        s(0x1302, "TLS_AES_256_GCM_SHA384", Tls13, false),
        s(0x1303, "TLS_CHACHA20_POLY1305_SHA256", Tls13, false),
        s(
            0xc02b,
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            Ecdhe,
            true,
        ),
        s(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Ecdhe, true),
        s(
            0xc02c,
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            Ecdhe,
            true,
        ),
        s(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Ecdhe, true),
        s(
            0xcca9,
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            Ecdhe,
            true,
        ),
        s(
            0xcca8,
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            Ecdhe,
            true,
        ),
        s(
            0xc023,
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
            Ecdhe,
            true,
        ),
        s(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", Ecdhe, true),
        s(
            0xc024,
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
            Ecdhe,
            true,
        ),
        s(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", Ecdhe, true),
        s(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Ecdhe, false),
        s(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Ecdhe, false),
        s(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", Ecdhe, false),
        s(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", Ecdhe, false),
        s(
            0xc008,
            "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
            Ecdhe,
            false,
        ),
        s(0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", Ecdhe, false),
        s(0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", Ecdhe, false),
        s(0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", Ecdhe, false),
        s(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Dhe, true),
        s(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", Dhe, true),
        s(
            0xccaa,
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            Dhe,
            true,
        ),
        s(0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", Dhe, true),
        s(0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", Dhe, true),
        s(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", Dhe, true),
        s(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", Dhe, true),
        s(0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", Dhe, true),
        s(0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", Dhe, true),
        s(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", Dhe, false),
        s(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", Dhe, false),
        s(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", Dhe, false),
        s(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", Dhe, false),
        s(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", Dhe, false),
        s(0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", Dhe, false),
        s(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", Rsa, true),
        s(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", Rsa, true),
        s(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", Rsa, true),
        s(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", Rsa, true),
        s(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", Rsa, false),
        s(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", Rsa, false),
        s(0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", Rsa, false),
        s(0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", Rsa, false),
        s(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Rsa, false),
        s(0x0005, "TLS_RSA_WITH_RC4_128_SHA", Rsa, false),
        s(0x0004, "TLS_RSA_WITH_RC4_128_MD5", Rsa, false),
    ]
};

/// The suite of a code, if this module knows it.
///
/// ```
/// assert_eq!(pqhkex_inventory::hello::suite(0x000a).unwrap().name, "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
/// assert!(pqhkex_inventory::hello::suite(0x0000).is_none());
/// ```
pub fn suite(code: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.code == code)
}

/// A suite's IANA name, or `0x` and its code in hex for a suite this module does not
/// know.
///
/// ```
/// use pqhkex_inventory::hello::suite_name;
///
/// assert_eq!(suite_name(0x009c), "TLS_RSA_WITH_AES_128_GCM_SHA256");
/// assert_eq!(suite_name(0xff85), "0xff85");
/// ```
pub fn suite_name(code: u16) -> String {
    suite(code).map_or_else(|| format!("0x{code:04x}"), |s| s.name.to_string())
}

/// The codes of the suites of kind `kx` that `version` can negotiate, in [`SUITES`]
/// order (for TLS 1.0 and 1.1 without the TLS 1.2-only ones).
///
/// ```
/// use pqhkex_inventory::hello::{suites_for, SuiteKx, Version};
///
/// assert!(suites_for(SuiteKx::Rsa, Version::Tls12).contains(&0x009c));
/// assert!(!suites_for(SuiteKx::Rsa, Version::Tls10).contains(&0x009c));
/// assert!(suites_for(SuiteKx::Rsa, Version::Tls10).contains(&0x002f));
/// ```
pub fn suites_for(kx: SuiteKx, version: Version) -> Vec<u16> {
    SUITES
        .iter()
        .filter(|s| s.kx == kx && (version >= Version::Tls12 || !s.tls12_only))
        .map(|s| s.code)
        .collect()
}

/// Whether a suite needs the ec_point_formats extension next to it (RFC 8422 §5.1):
/// the ECDH and ECDHE suites, including ones this module does not name.
fn is_ecc_suite(code: u16) -> bool {
    matches!(code, 0xc001..=0xc03b | 0xc072..=0xc079 | 0xc086..=0xc08d | 0xc0ac..=0xc0af | 0xcca8 | 0xcca9 | 0xccac | 0xd001..=0xd005)
}

/// A named group's name: pqhkex's name for the groups it implements, else the IANA
/// name of the other elliptic curves and finite-field groups TLS uses, else `0x` and
/// its code in hex.
///
/// ```
/// use pqhkex_inventory::hello::group_name;
///
/// assert_eq!(group_name(0x11ec), "X25519MLKEM768");
/// assert_eq!(group_name(0x0017), "secp256r1");
/// assert_eq!(group_name(0x0100), "ffdhe2048");
/// assert_eq!(group_name(0x0a0a), "0x0a0a");
/// ```
pub fn group_name(code: u16) -> String {
    if let Some(g) = pqhkex::groups::by_code(code) {
        return g.name.to_string();
    }
    match code {
        0x0019 => "secp521r1".into(),
        0x001e => "x448".into(),
        0x001a => "brainpoolP256r1".into(),
        0x001b => "brainpoolP384r1".into(),
        0x001c => "brainpoolP512r1".into(),
        0x0100 => "ffdhe2048".into(),
        0x0101 => "ffdhe3072".into(),
        0x0102 => "ffdhe4096".into(),
        0x0103 => "ffdhe6144".into(),
        0x0104 => "ffdhe8192".into(),
        other => format!("0x{other:04x}"),
    }
}

/// The signature_algorithms every hello of this module lists unless told otherwise:
/// ECDSA, EdDSA, RSA-PSS (rsae and pss), RSA PKCS#1 v1.5, ML-DSA, and the SHA-1 and
/// DSA schemes old TLS 1.2 servers may need. Sent in TLS 1.0 and 1.1 hellos too
/// (servers of those versions ignore it).
///
/// ```
/// use pqhkex_inventory::hello::DEFAULT_SIGNATURE_ALGORITHMS;
///
/// assert!(DEFAULT_SIGNATURE_ALGORITHMS.contains(&0x0804)); // rsa_pss_rsae_sha256
/// assert!(DEFAULT_SIGNATURE_ALGORITHMS.contains(&0x0808)); // ed448
/// ```
pub const DEFAULT_SIGNATURE_ALGORITHMS: &[u16] = &[
    0x0403, // ecdsa_secp256r1_sha256
    0x0503, // ecdsa_secp384r1_sha384
    0x0603, // ecdsa_secp521r1_sha512
    0x0807, // ed25519
    0x0808, // ed448
    0x0804, // rsa_pss_rsae_sha256
    0x0805, // rsa_pss_rsae_sha384
    0x0806, // rsa_pss_rsae_sha512
    0x0809, // rsa_pss_pss_sha256
    0x080a, // rsa_pss_pss_sha384
    0x080b, // rsa_pss_pss_sha512
    0x0401, // rsa_pkcs1_sha256
    0x0501, // rsa_pkcs1_sha384
    0x0601, // rsa_pkcs1_sha512
    0x0904, // mldsa44
    0x0905, // mldsa65
    0x0906, // mldsa87
    0x0203, // ecdsa_sha1
    0x0201, // rsa_pkcs1_sha1
    0x0402, // dsa_sha256
    0x0202, // dsa_sha1
];

/// A key share: a group's code and the client's public value for it.
///
/// ```
/// use pqhkex_inventory::hello::KeyShare;
///
/// let share = KeyShare::new(&pqhkex::groups::X25519MLKEM768)?;
/// assert_eq!((share.group, share.key_exchange.len()), (0x11ec, 1216));
/// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShare {
    /// The group's code.
    pub group: u16,
    /// The public value (for a hybrid, the components' concatenated in wire order).
    pub key_exchange: Vec<u8>,
}

impl KeyShare {
    /// A valid share for a group of pqhkex, from a fresh key pair of its own rustls
    /// implementation (the private key is dropped: the client never finishes the
    /// handshake). A random byte string would not do: a server checks an ML-KEM
    /// encapsulation key's encoding (FIPS 203 §7.2) and an EC point's.
    ///
    /// ```
    /// let share = pqhkex_inventory::hello::KeyShare::new(&pqhkex::groups::X25519)?;
    /// assert_eq!(share.key_exchange.len(), 32);
    /// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
    /// ```
    pub fn new(group: &'static Group) -> Result<KeyShare, HelloError> {
        let active = pqhkex::rustls::kx_group(group)
            .start()
            .map_err(|e| HelloError::Local(format!("no key pair for {}: {e}", group.name)))?;
        Ok(KeyShare {
            group: group.code,
            key_exchange: active.pub_key().to_vec(),
        })
    }
}

/// A ClientHello to write: what it offers, field by field. [`ClientHello::encode`]
/// writes it with a fresh random (and, for TLS 1.3, a fresh 32-byte legacy_session_id).
///
/// What [`ClientHello::encode`] derives from these fields:
/// * `legacy_version` is `max_version`, or 0x0303 for TLS 1.3, which is offered in
///   supported_versions (`[0x0304]` only) next to psk_key_exchange_modes (psk_dhe_ke);
/// * server_name is sent for a DNS name, never for an IP address (RFC 6066 §3);
/// * ec_point_formats (uncompressed only) when an ECDH(E) suite is offered;
/// * `renegotiation_scsv` adds TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3) to
///   the suites;
/// * extended_master_secret (RFC 7627) in TLS 1.2 and older hellos;
/// * supported_groups, signature_algorithms and key_share when their lists are not
///   empty.
///
/// ```
/// use pqhkex_inventory::hello::{ClientHello, KeyShare, Version};
/// use pqhkex::groups::{X25519, X25519MLKEM768};
///
/// let hello = ClientHello::tls13(vec![X25519.code, X25519MLKEM768.code], vec![KeyShare::new(&X25519)?])
///     .with_server_name(Some("example.com"));
/// let wire = hello.encode()?;
/// assert_eq!(&wire[..3], &[22, 3, 1]); // a handshake record, record version 0x0301
/// assert_eq!(wire[5], 1); // ClientHello
/// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// The version of the records that carry the hello (0x0301 by default, what
    /// clients send for compatibility).
    pub record_version: u16,
    /// The highest version offered.
    pub max_version: Version,
    /// The cipher suites, in order.
    pub cipher_suites: Vec<u16>,
    /// supported_groups, in order.
    pub groups: Vec<u16>,
    /// key_share (TLS 1.3), in order.
    pub key_shares: Vec<KeyShare>,
    /// signature_algorithms ([`DEFAULT_SIGNATURE_ALGORITHMS`] by default).
    pub signature_algorithms: Vec<u16>,
    /// The name for server_name (ignored when it is an IP address).
    pub server_name: Option<String>,
    /// Whether to add TLS_EMPTY_RENEGOTIATION_INFO_SCSV to the suites (by default for
    /// TLS 1.2 and older).
    pub renegotiation_scsv: bool,
}

impl ClientHello {
    /// A hello offering at most `max_version` and `cipher_suites`, with the defaults:
    /// record version 0x0301, [`DEFAULT_SIGNATURE_ALGORITHMS`], no groups or key
    /// shares, no server name, the renegotiation SCSV unless `max_version` is TLS 1.3.
    ///
    /// ```
    /// use pqhkex_inventory::hello::{ClientHello, Version};
    ///
    /// let h = ClientHello::new(Version::Tls10, vec![0x002f]);
    /// assert!(h.renegotiation_scsv && h.groups.is_empty());
    /// ```
    pub fn new(max_version: Version, cipher_suites: Vec<u16>) -> ClientHello {
        ClientHello {
            record_version: 0x0301,
            max_version,
            cipher_suites,
            groups: Vec::new(),
            key_shares: Vec::new(),
            signature_algorithms: DEFAULT_SIGNATURE_ALGORITHMS.to_vec(),
            server_name: None,
            renegotiation_scsv: max_version < Version::Tls13,
        }
    }

    /// A TLS 1.3-only hello with the three TLS 1.3 suites, `groups` in
    /// supported_groups and `key_shares`.
    ///
    /// ```
    /// let h = pqhkex_inventory::hello::ClientHello::tls13(vec![0x001d], vec![]);
    /// assert_eq!(h.cipher_suites, [0x1301, 0x1302, 0x1303]);
    /// ```
    pub fn tls13(groups: Vec<u16>, key_shares: Vec<KeyShare>) -> ClientHello {
        ClientHello {
            groups,
            key_shares,
            ..ClientHello::new(Version::Tls13, suites_for(SuiteKx::Tls13, Version::Tls13))
        }
    }

    /// With `groups` in supported_groups.
    ///
    /// ```
    /// use pqhkex_inventory::hello::{ClientHello, Version};
    /// let h = ClientHello::new(Version::Tls12, vec![0xc02f]).with_groups(vec![0x0017]);
    /// assert_eq!(h.groups, [0x0017]);
    /// ```
    pub fn with_groups(mut self, groups: Vec<u16>) -> ClientHello {
        self.groups = groups;
        self
    }

    /// With a server name (`None`, an empty name or an IP address: no server_name
    /// extension; a trailing dot is dropped).
    ///
    /// ```
    /// use pqhkex_inventory::hello::{ClientHello, Version};
    /// let h = ClientHello::new(Version::Tls12, vec![0x002f]);
    /// assert_eq!(h.clone().with_server_name(Some("example.com.")).server_name.as_deref(), Some("example.com"));
    /// assert_eq!(h.with_server_name(Some("192.0.2.1")).server_name, None);
    /// ```
    pub fn with_server_name(mut self, name: Option<&str>) -> ClientHello {
        self.server_name = name
            .map(|n| n.strip_suffix('.').unwrap_or(n))
            .filter(|n| !n.is_empty() && n.parse::<IpAddr>().is_err())
            .map(str::to_string);
        self
    }

    /// The ClientHello handshake message (type, length, body), with a fresh random.
    ///
    /// ```
    /// use pqhkex_inventory::hello::{ClientHello, Version};
    /// let m = ClientHello::new(Version::Tls11, vec![0x002f]).encode_message()?;
    /// assert_eq!((m[0], m[4], m[5]), (1, 3, 2)); // ClientHello, legacy_version 0x0302
    /// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
    /// ```
    pub fn encode_message(&self) -> Result<Vec<u8>, HelloError> {
        if self.cipher_suites.is_empty() {
            return Err(HelloError::Local(
                "a ClientHello needs a cipher suite".into(),
            ));
        }
        let tls13 = self.max_version == Version::Tls13;
        let mut random = [0u8; 32];
        fill_random(&mut random)?;
        let mut body = Vec::with_capacity(512);
        let legacy_version = if tls13 {
            0x0303
        } else {
            self.max_version.code()
        };
        body.extend_from_slice(&legacy_version.to_be_bytes());
        body.extend_from_slice(&random);
        if tls13 {
            // A 32-byte legacy_session_id (RFC 8446 §D.4, middlebox compatibility).
            let mut session_id = [0u8; 32];
            fill_random(&mut session_id)?;
            body.push(32);
            body.extend_from_slice(&session_id);
        } else {
            body.push(0);
        }
        let mut suites = self.cipher_suites.clone();
        if self.renegotiation_scsv {
            suites.push(0x00ff);
        }
        put_vec(&mut body, 2, &u16s(&suites), "cipher_suites")?;
        body.extend_from_slice(&[1, 0]); // compression_methods: null only
        let mut ext = Vec::with_capacity(256);
        if let Some(name) = &self.server_name {
            // server_name_list<1..2^16-1> of { name_type host_name(0), HostName<1..2^16-1> }.
            let mut entry = vec![0u8];
            put_vec(&mut entry, 2, name.as_bytes(), "server_name")?;
            let mut list = Vec::new();
            put_vec(&mut list, 2, &entry, "server_name")?;
            put_extension(&mut ext, 0, &list)?;
        }
        if !self.groups.is_empty() {
            let mut list = Vec::new();
            put_vec(&mut list, 2, &u16s(&self.groups), "supported_groups")?;
            put_extension(&mut ext, 10, &list)?;
        }
        if self.cipher_suites.iter().any(|c| is_ecc_suite(*c)) {
            put_extension(&mut ext, 11, &[1, 0])?;
        }
        if !self.signature_algorithms.is_empty() {
            let mut list = Vec::new();
            put_vec(
                &mut list,
                2,
                &u16s(&self.signature_algorithms),
                "signature_algorithms",
            )?;
            put_extension(&mut ext, 13, &list)?;
        }
        if tls13 {
            put_extension(&mut ext, 43, &[2, 0x03, 0x04])?; // supported_versions [0x0304]
            put_extension(&mut ext, 45, &[1, 1])?; // psk_key_exchange_modes [psk_dhe_ke]
            let mut shares = Vec::new();
            for share in &self.key_shares {
                shares.extend_from_slice(&share.group.to_be_bytes());
                put_vec(&mut shares, 2, &share.key_exchange, "key_exchange")?;
            }
            let mut list = Vec::new();
            put_vec(&mut list, 2, &shares, "key_share")?;
            put_extension(&mut ext, 51, &list)?;
        } else {
            put_extension(&mut ext, 23, &[])?; // extended_master_secret
        }
        put_vec(&mut body, 2, &ext, "extensions")?;
        let mut message = vec![1u8];
        put_vec(&mut message, 3, &body, "ClientHello")?;
        Ok(message)
    }

    /// The ClientHello as it goes on the wire: handshake records (of at most 2^14
    /// bytes each) with version `record_version`.
    ///
    /// ```
    /// use pqhkex_inventory::hello::{ClientHello, Version};
    /// let wire = ClientHello::new(Version::Tls12, vec![0x009c]).encode()?;
    /// assert_eq!(usize::from(u16::from_be_bytes([wire[3], wire[4]])), wire.len() - 5);
    /// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
    /// ```
    pub fn encode(&self) -> Result<Vec<u8>, HelloError> {
        let message = self.encode_message()?;
        let mut wire = Vec::with_capacity(message.len() + 16);
        for chunk in message.chunks(16384) {
            wire.push(22);
            wire.extend_from_slice(&self.record_version.to_be_bytes());
            wire.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            wire.extend_from_slice(chunk);
        }
        Ok(wire)
    }
}

fn fill_random(buf: &mut [u8]) -> Result<(), HelloError> {
    getrandom::fill(buf).map_err(|e| HelloError::Local(format!("no randomness: {e}")))
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// Appends `data` with a big-endian length prefix of `width` bytes (1, 2 or 3).
fn put_vec(out: &mut Vec<u8>, width: usize, data: &[u8], what: &str) -> Result<(), HelloError> {
    let max = (1usize << (8 * width)) - 1;
    if data.len() > max {
        return Err(HelloError::Local(format!(
            "{what} is {} bytes, more than its length field holds ({max})",
            data.len()
        )));
    }
    let len = (data.len() as u32).to_be_bytes();
    out.extend_from_slice(&len[4 - width..]);
    out.extend_from_slice(data);
    Ok(())
}

fn put_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) -> Result<(), HelloError> {
    out.extend_from_slice(&kind.to_be_bytes());
    put_vec(out, 2, data, "an extension")
}

/// A TLS alert: its level (1 warning, 2 fatal) and description (RFC 8446 §6).
///
/// ```
/// use pqhkex_inventory::hello::Alert;
///
/// let a = Alert { level: 2, description: 70 };
/// assert_eq!(a.name(), "protocol_version");
/// assert!(a.is_fatal() && a.is_refusal());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Alert {
    /// 1 (warning) or 2 (fatal).
    pub level: u8,
    /// The AlertDescription code.
    pub description: u8,
}

impl Alert {
    /// Whether the alert's level is fatal (2).
    ///
    /// ```
    /// use pqhkex_inventory::hello::Alert;
    /// assert!(!Alert { level: 1, description: 112 }.is_fatal());
    /// ```
    pub fn is_fatal(self) -> bool {
        self.level == 2
    }

    /// The description's name as RFC 8446 §6 (and RFC 5246 §7.2 for the older ones)
    /// spells it (`handshake_failure`), `unknown(N)` for another code.
    ///
    /// ```
    /// use pqhkex_inventory::hello::Alert;
    /// assert_eq!(Alert { level: 2, description: 40 }.name(), "handshake_failure");
    /// ```
    pub fn name(self) -> String {
        match pqhkex::inspect::alert_name(self.description) {
            Some(name) => name.to_string(),
            None => format!("unknown({})", self.description),
        }
    }

    /// Whether the alert is evidence that the server refused what the ClientHello
    /// offered: a fatal `handshake_failure` (40), `illegal_parameter` (47),
    /// `protocol_version` (70) or `insufficient_security` (71). Any other alert (a
    /// decode_error, an internal_error, ...) says the server could not or would not
    /// read the hello, which proves nothing about the offer.
    ///
    /// ```
    /// use pqhkex_inventory::hello::Alert;
    /// assert!(Alert { level: 2, description: 40 }.is_refusal());
    /// assert!(!Alert { level: 2, description: 80 }.is_refusal()); // internal_error
    /// ```
    pub fn is_refusal(self) -> bool {
        self.is_fatal() && matches!(self.description, 40 | 47 | 70 | 71)
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            1 => "warning",
            2 => "fatal",
            _ => "unknown-level",
        };
        write!(f, "{level} alert {} ({})", self.name(), self.description)
    }
}

/// What a TLS 1.2 (or older) ServerKeyExchange says about the key exchange.
///
/// ```
/// use pqhkex_inventory::hello::ServerKeyExchange;
///
/// let ske = ServerKeyExchange::Ecdhe { curve_type: 3, named_curve: Some(0x001d) };
/// assert_eq!(ske.named_curve(), Some(0x001d));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerKeyExchange {
    /// ECDHE parameters (RFC 8422 §5.4).
    Ecdhe {
        /// ECCurveType: 3 for a named curve (1 and 2, explicit curves, are deprecated).
        curve_type: u8,
        /// The named curve, for `curve_type` 3.
        named_curve: Option<u16>,
    },
    /// DHE parameters (RFC 5246 §7.4.3).
    Dhe {
        /// The size of the prime `dh_p` in bits (its significant bits: leading zero
        /// bytes and bits not counted).
        p_bits: u32,
    },
    /// A ServerKeyExchange this module does not read (the suite is not ECDHE or DHE,
    /// or not one it knows).
    Unparsed {
        /// Its length in bytes.
        length: usize,
    },
}

impl ServerKeyExchange {
    /// The named curve, for ECDHE on a named curve.
    ///
    /// ```
    /// use pqhkex_inventory::hello::ServerKeyExchange;
    /// assert_eq!(ServerKeyExchange::Dhe { p_bits: 2048 }.named_curve(), None);
    /// ```
    pub fn named_curve(&self) -> Option<u16> {
        match self {
            ServerKeyExchange::Ecdhe { named_curve, .. } => *named_curve,
            _ => None,
        }
    }
}

/// What a ServerHello (not a HelloRetryRequest) and, for TLS 1.2 and older, the rest
/// of the server's first flight said.
///
/// ```
/// # fn show(sh: &pqhkex_inventory::hello::ServerHelloInfo) {
/// println!("{} {} {:?} certificates: {}", pqhkex_inventory::hello::version_name(sh.version),
///     pqhkex_inventory::hello::suite_name(sh.cipher_suite), sh.key_share_group, sh.certificates.len());
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHelloInfo {
    /// The negotiated version: supported_versions' when the ServerHello has it (TLS
    /// 1.3), else `legacy_version`.
    pub version: u16,
    /// The ServerHello's legacy_version field.
    pub legacy_version: u16,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The group of the server's key share (TLS 1.3).
    pub key_share_group: Option<u16>,
    /// The extension types of the ServerHello, in order.
    pub extensions: Vec<u16>,
    /// TLS 1.2 and older: the certificate chain of the Certificate message, DER,
    /// end entity first (empty if there was none or the flight ended before it).
    pub certificates: Vec<Vec<u8>>,
    /// TLS 1.2 and older: the ServerKeyExchange, if one was read.
    pub key_exchange: Option<ServerKeyExchange>,
    /// TLS 1.2 and older: whether the flight ended with ServerHelloDone.
    pub server_hello_done: bool,
    /// TLS 1.2 and older: why the flight ended before ServerHelloDone (an alert, the
    /// end of the stream, the deadline, a message that does not parse).
    pub ended_early: Option<String>,
    /// A fatal alert that ended the flight after the ServerHello.
    pub alert: Option<Alert>,
    /// Warning alerts read before the end (e.g. `unrecognized_name`).
    pub warnings: Vec<Alert>,
}

impl ServerHelloInfo {
    /// The negotiated version, if it is one of [`Version`].
    ///
    /// ```
    /// let sh = pqhkex_inventory::hello::ServerHelloInfo { version: 0x0303, ..Default::default() };
    /// assert_eq!(sh.negotiated(), Some(pqhkex_inventory::hello::Version::Tls12));
    /// ```
    pub fn negotiated(&self) -> Option<Version> {
        Version::from_code(self.version)
    }
}

/// How the server answered a ClientHello.
///
/// ```
/// use pqhkex_inventory::hello::{read_first_flight, Alert, ServerAnswer};
///
/// let answer = read_first_flight(&[21u8, 3, 3, 0, 2, 2, 40][..])?;
/// assert_eq!(answer, ServerAnswer::Alert(Alert { level: 2, description: 40 }));
/// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAnswer {
    /// A ServerHello (with, for TLS 1.2 and older, what followed it up to
    /// ServerHelloDone).
    ServerHello(ServerHelloInfo),
    /// A HelloRetryRequest (RFC 8446 §4.1.4).
    HelloRetryRequest {
        /// The group its key_share extension asks for (absent in a HelloRetryRequest
        /// that only carries a cookie).
        group: Option<u16>,
        /// The cipher suite it chose.
        cipher_suite: u16,
        /// The version of its supported_versions extension (else its legacy_version).
        version: u16,
        /// Whether it carries a cookie.
        cookie: bool,
    },
    /// A fatal alert (or close_notify) before any ServerHello.
    Alert(Alert),
    /// The server closed the connection before a ServerHello, without an alert
    /// (possibly in the middle of a record).
    Closed {
        /// How many bytes it had sent.
        received: usize,
    },
    /// The first bytes are not a TLS record (an HTTP or SSH server, say): what they
    /// were, printable.
    NotTls(String),
}

/// Why a server's bytes do not parse.
///
/// ```
/// use pqhkex_inventory::hello::{read_first_flight, HelloError, Malformed};
///
/// // A handshake record claiming 65535 bytes.
/// let e = read_first_flight(&[22u8, 3, 3, 0xff, 0xff][..]).unwrap_err();
/// assert_eq!(e, HelloError::Malformed(Malformed::RecordTooLarge { length: 65535 }));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// A record longer than [`MAX_RECORD`].
    RecordTooLarge {
        /// Its length field.
        length: usize,
    },
    /// A handshake message longer than [`MAX_MESSAGE`].
    MessageTooLarge {
        /// Its type.
        message_type: u8,
        /// Its length field.
        length: usize,
    },
    /// More than [`MAX_FLIGHT`] bytes without an answer.
    FlightTooLarge,
    /// A length field that runs past what holds it, or a field cut short.
    Truncated {
        /// Which field.
        what: &'static str,
    },
    /// Bytes left over after a structure that should have filled what holds it.
    TrailingBytes {
        /// Which structure.
        what: &'static str,
    },
    /// A record of a content type a server cannot send at this point (application
    /// data before the handshake, an unknown type).
    UnexpectedRecord {
        /// The content type.
        content_type: u8,
    },
    /// A handshake message other than ServerHello first.
    UnexpectedMessage {
        /// Its type.
        message_type: u8,
    },
    /// A field with a value the protocol forbids.
    Invalid {
        /// What is wrong.
        what: &'static str,
    },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::RecordTooLarge { length } => {
                write!(f, "a record of {length} bytes (the most is {MAX_RECORD})")
            }
            Malformed::MessageTooLarge {
                message_type,
                length,
            } => write!(
                f,
                "a handshake message (type {message_type}) of {length} bytes (the most read is {MAX_MESSAGE})"
            ),
            Malformed::FlightTooLarge => {
                write!(f, "more than {MAX_FLIGHT} bytes without a complete answer")
            }
            Malformed::Truncated { what } => write!(f, "{what} is cut short"),
            Malformed::TrailingBytes { what } => write!(f, "bytes left over after {what}"),
            Malformed::UnexpectedRecord { content_type } => {
                write!(f, "an unexpected record of content type {content_type}")
            }
            Malformed::UnexpectedMessage { message_type } => write!(
                f,
                "a handshake message of type {message_type} where a ServerHello was expected"
            ),
            Malformed::Invalid { what } => write!(f, "invalid {what}"),
        }
    }
}

/// Why an exchange has no [`ServerAnswer`].
///
/// ```
/// use pqhkex_inventory::hello::HelloError;
///
/// let e = HelloError::Timeout("the deadline passed".into());
/// assert!(e.to_string().contains("deadline"));
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelloError {
    /// The deadline passed (connecting, writing or reading).
    Timeout(String),
    /// Connecting, writing or reading failed (refused, reset, ...).
    Io {
        /// The error's kind.
        kind: io::ErrorKind,
        /// Its message.
        message: String,
    },
    /// The server's bytes break the protocol.
    Malformed(Malformed),
    /// The hello could not be built: a spec that does not encode, no randomness, a key
    /// share that could not be made.
    Local(String),
}

impl fmt::Display for HelloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HelloError::Timeout(m) | HelloError::Local(m) => f.write_str(m),
            HelloError::Io { message, .. } => f.write_str(message),
            HelloError::Malformed(m) => write!(f, "malformed answer: {m}"),
        }
    }
}

impl std::error::Error for HelloError {}

impl From<Malformed> for HelloError {
    fn from(m: Malformed) -> Self {
        HelloError::Malformed(m)
    }
}

impl From<io::Error> for HelloError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                HelloError::Timeout(format!("the deadline passed: {e}"))
            }
            kind => HelloError::Io {
                kind,
                message: e.to_string(),
            },
        }
    }
}

/// Connects to `addr`, sends `hello` and reads the answer ([`read_first_flight`]),
/// all within `timeout` from now (connecting, writing, every read); then closes the
/// connection without sending anything else.
///
/// ```no_run
/// use std::time::Duration;
/// use pqhkex_inventory::hello::{self, ClientHello, KeyShare};
///
/// let offer = ClientHello::tls13(vec![0x11ec], vec![KeyShare::new(&pqhkex::groups::X25519MLKEM768)?]);
/// let answer = hello::exchange("127.0.0.1:443".parse().unwrap(), &offer, Duration::from_secs(3))?;
/// println!("{answer:?}");
/// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
/// ```
pub fn exchange(
    addr: SocketAddr,
    hello: &ClientHello,
    timeout: Duration,
) -> Result<ServerAnswer, HelloError> {
    let wire = hello.encode()?;
    let mut sock = DeadlineStream::connect(addr, Instant::now() + timeout)?;
    let answer = send_and_read(&mut sock, &wire);
    let _ = sock.get_ref().shutdown(std::net::Shutdown::Both);
    answer
}

/// Sends `hello` over a connected stream and reads the answer ([`read_first_flight`]).
/// The stream bounds the time (use a [`DeadlineStream`]).
///
/// ```no_run
/// use std::time::{Duration, Instant};
/// use pqhkex_inventory::{deadline::DeadlineStream, hello::{self, ClientHello, Version}};
///
/// let mut s = DeadlineStream::connect("127.0.0.1:443".parse().unwrap(), Instant::now() + Duration::from_secs(2))?;
/// let answer = hello::exchange_over(&mut s, &ClientHello::new(Version::Tls12, vec![0x002f]))?;
/// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
/// ```
pub fn exchange_over<S: Read + Write>(
    stream: &mut S,
    hello: &ClientHello,
) -> Result<ServerAnswer, HelloError> {
    let wire = hello.encode()?;
    send_and_read(stream, &wire)
}

fn send_and_read<S: Read + Write>(stream: &mut S, wire: &[u8]) -> Result<ServerAnswer, HelloError> {
    if let Err(e) = stream.write_all(wire).and_then(|()| stream.flush()) {
        // A server may answer (an alert) and close before taking the whole hello: read
        // what it said before giving up.
        if matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ) {
            if let Ok(answer @ (ServerAnswer::Alert(_) | ServerAnswer::ServerHello(_))) =
                read_first_flight(&mut *stream)
            {
                return Ok(answer);
            }
        }
        return Err(e.into());
    }
    read_first_flight(stream)
}

/// Reads a server's first flight from `r` (a socket under a deadline, or bytes in
/// memory) and says how it answered: up to the ServerHello or HelloRetryRequest for
/// TLS 1.3, up to ServerHelloDone for TLS 1.2 and older, or to the first fatal alert,
/// the end of the stream, or bytes that are not TLS.
///
/// Once a ServerHello has been read, whatever ends the flight early (an alert, the end
/// of the stream, an error, a malformed message) is recorded in
/// [`ServerHelloInfo::ended_early`] and the ServerHello is still the answer. Before
/// it, an I/O error or the deadline is a [`HelloError`], as are bytes that break the
/// protocol ([`Malformed`]). Never panics; reads at most [`MAX_FLIGHT`] bytes.
///
/// ```
/// use pqhkex_inventory::hello::{read_first_flight, ServerAnswer};
///
/// assert_eq!(read_first_flight(&b""[..])?, ServerAnswer::Closed { received: 0 });
/// assert!(matches!(read_first_flight(&b"SSH-2.0-OpenSSH_9.9\r\n"[..])?, ServerAnswer::NotTls(_)));
/// # Ok::<(), pqhkex_inventory::hello::HelloError>(())
/// ```
pub fn read_first_flight<R: Read>(r: R) -> Result<ServerAnswer, HelloError> {
    let mut flight = Flight {
        records: Records {
            inner: r,
            buf: Vec::new(),
            received: 0,
        },
        handshake: Vec::new(),
        alert: Vec::new(),
        warnings: Vec::new(),
        hello: None,
    };
    let result = flight.run();
    match flight.hello.take() {
        None => result,
        Some(mut info) => {
            info.warnings = flight.warnings;
            match result {
                Ok(ServerAnswer::ServerHello(done)) => Ok(ServerAnswer::ServerHello(done)),
                Ok(ServerAnswer::Alert(a)) => {
                    info.ended_early = Some(format!("the server sent a {a}"));
                    info.alert = Some(a);
                    Ok(ServerAnswer::ServerHello(info))
                }
                Ok(ServerAnswer::Closed { received }) => {
                    info.ended_early = Some(format!(
                        "the server closed the connection after {received} bytes, before ServerHelloDone"
                    ));
                    Ok(ServerAnswer::ServerHello(info))
                }
                Ok(other) => {
                    info.ended_early = Some(format!("unexpected: {other:?}"));
                    Ok(ServerAnswer::ServerHello(info))
                }
                Err(e) => {
                    info.ended_early = Some(e.to_string());
                    Ok(ServerAnswer::ServerHello(info))
                }
            }
        }
    }
}

/// Reads records from a peer, at most [`MAX_FLIGHT`] bytes in all.
struct Records<R> {
    inner: R,
    /// Read and not yet consumed.
    buf: Vec<u8>,
    /// Read in all.
    received: usize,
}

impl<R: Read> Records<R> {
    /// Reads until `buf` holds `want` bytes; `false` at the end of the stream.
    fn fill(&mut self, want: usize) -> Result<bool, HelloError> {
        let mut chunk = [0u8; 4096];
        while self.buf.len() < want {
            let room = MAX_FLIGHT.saturating_sub(self.received);
            if room == 0 {
                return Err(Malformed::FlightTooLarge.into());
            }
            let limit = room.min(chunk.len());
            match self.inner.read(&mut chunk[..limit]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    let n = n.min(limit);
                    self.received += n;
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// The next record (content type, fragment), or `None` at the end of the stream.
    /// The first record must look like TLS, else [`Next::NotTls`].
    fn next(&mut self, first: bool) -> Result<Next, HelloError> {
        if first {
            // Judge the first bytes as soon as they come: a peer that is not TLS may
            // send a few bytes and then wait (an SSH server waits for our banner).
            for want in [1, 5] {
                let complete = self.fill(want)?;
                if !self.buf.is_empty() && !looks_like_tls(&self.buf) {
                    return Ok(Next::NotTls(printable(&self.buf)));
                }
                if !complete {
                    return Ok(Next::End);
                }
            }
        }
        if !self.fill(5)? {
            return Ok(Next::End);
        }
        let content_type = self.buf[0];
        let length = usize::from(u16::from_be_bytes([self.buf[3], self.buf[4]]));
        if length > MAX_RECORD {
            return Err(Malformed::RecordTooLarge { length }.into());
        }
        if !self.fill(5 + length)? {
            return Ok(Next::End);
        }
        let fragment = self.buf[5..5 + length].to_vec();
        self.buf.drain(..5 + length);
        Ok(Next::Record(content_type, fragment))
    }
}

enum Next {
    Record(u8, Vec<u8>),
    End,
    NotTls(String),
}

/// Whether the first bytes read could start a TLS record: a known content type and,
/// once read, record version 3.x.
fn looks_like_tls(first: &[u8]) -> bool {
    matches!(first[0], 20..=23) && first.get(1).is_none_or(|major| *major == 3)
}

/// Up to 48 bytes shown as text if they are printable ASCII, else in hex.
fn printable(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(48)];
    if head
        .iter()
        .all(|b| b.is_ascii_graphic() || matches!(b, b' ' | b'\r' | b'\n' | b'\t'))
    {
        format!("the peer sent {:?}", String::from_utf8_lossy(head))
    } else {
        let hex: String = head.iter().map(|b| format!("{b:02x}")).collect();
        format!("the peer sent bytes that are not a TLS record: {hex}")
    }
}

/// The state of reading one first flight.
struct Flight<R> {
    records: Records<R>,
    /// Handshake bytes not yet parsed into messages.
    handshake: Vec<u8>,
    /// Alert bytes not yet parsed (an alert may in theory span records).
    alert: Vec<u8>,
    warnings: Vec<Alert>,
    /// The TLS 1.2-or-older ServerHello, once read.
    hello: Option<ServerHelloInfo>,
}

impl<R: Read> Flight<R> {
    fn run(&mut self) -> Result<ServerAnswer, HelloError> {
        let mut first = true;
        loop {
            let (content_type, fragment) = match self.records.next(first)? {
                Next::Record(t, f) => (t, f),
                Next::End => {
                    return Ok(ServerAnswer::Closed {
                        received: self.records.received,
                    })
                }
                Next::NotTls(what) => return Ok(ServerAnswer::NotTls(what)),
            };
            first = false;
            match content_type {
                21 => {
                    self.alert.extend_from_slice(&fragment);
                    while self.alert.len() >= 2 {
                        let a = Alert {
                            level: self.alert[0],
                            description: self.alert[1],
                        };
                        self.alert.drain(..2);
                        // close_notify ends the connection whatever its level.
                        if a.is_fatal() || a.description == 0 {
                            return Ok(ServerAnswer::Alert(a));
                        }
                        if self.warnings.len() < 16 {
                            self.warnings.push(a);
                        }
                    }
                }
                22 => {
                    self.handshake.extend_from_slice(&fragment);
                    if let Some(answer) = self.messages()? {
                        return Ok(answer);
                    }
                }
                // change_cipher_spec: a TLS 1.3 server's middlebox-compatibility record;
                // nothing to read in it.
                20 => {}
                other => {
                    return Err(Malformed::UnexpectedRecord {
                        content_type: other,
                    }
                    .into())
                }
            }
        }
    }

    /// Handles the complete handshake messages buffered; `Some` once the answer is
    /// known.
    fn messages(&mut self) -> Result<Option<ServerAnswer>, HelloError> {
        while self.handshake.len() >= 4 {
            let message_type = self.handshake[0];
            let length = usize::from(self.handshake[1]) << 16
                | usize::from(self.handshake[2]) << 8
                | usize::from(self.handshake[3]);
            if length > MAX_MESSAGE {
                return Err(Malformed::MessageTooLarge {
                    message_type,
                    length,
                }
                .into());
            }
            if self.handshake.len() < 4 + length {
                return Ok(None);
            }
            let body: Vec<u8> = self.handshake[4..4 + length].to_vec();
            self.handshake.drain(..4 + length);
            match &mut self.hello {
                None => match message_type {
                    // HelloRequest: ignored (RFC 5246 §7.4.1.1).
                    0 => {}
                    2 => {
                        let answer = parse_server_hello(&body)?;
                        match answer {
                            ServerAnswer::ServerHello(info)
                                if info.version < Version::Tls13.code() =>
                            {
                                self.hello = Some(info);
                            }
                            other => return Ok(Some(other)),
                        }
                    }
                    other => {
                        return Err(Malformed::UnexpectedMessage {
                            message_type: other,
                        }
                        .into())
                    }
                },
                Some(info) => match message_type {
                    11 => info.certificates = parse_certificates(&body)?,
                    12 => {
                        let kx = suite(info.cipher_suite).map(|s| s.kx);
                        info.key_exchange = Some(parse_server_key_exchange(kx, &body)?);
                    }
                    14 => {
                        if !body.is_empty() {
                            return Err(Malformed::TrailingBytes {
                                what: "ServerHelloDone",
                            }
                            .into());
                        }
                        info.server_hello_done = true;
                        let mut done = info.clone();
                        done.warnings = std::mem::take(&mut self.warnings);
                        self.hello = None;
                        return Ok(Some(ServerAnswer::ServerHello(done)));
                    }
                    // CertificateStatus, CertificateRequest, anything else: skipped.
                    _ => {}
                },
            }
        }
        Ok(None)
    }
}

/// A cursor over bytes whose every read is checked.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Malformed> {
        if self.data.len() < n {
            return Err(Malformed::Truncated { what });
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, Malformed> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, Malformed> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A vector with a length prefix of `width` bytes (1, 2 or 3).
    fn vec(&mut self, width: usize, what: &'static str) -> Result<&'a [u8], Malformed> {
        let len = self
            .take(width, what)?
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        self.take(len, what)
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn end(&self, what: &'static str) -> Result<(), Malformed> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(Malformed::TrailingBytes { what })
        }
    }
}

/// Parses a ServerHello body: a HelloRetryRequest, or a ServerHello.
fn parse_server_hello(body: &[u8]) -> Result<ServerAnswer, Malformed> {
    let mut r = Reader { data: body };
    let legacy_version = r.u16("ServerHello.legacy_version")?;
    let random = r.take(32, "ServerHello.random")?;
    let session_id = r.vec(1, "ServerHello.legacy_session_id")?;
    if session_id.len() > 32 {
        return Err(Malformed::Invalid {
            what: "ServerHello.legacy_session_id longer than 32 bytes",
        });
    }
    let cipher_suite = r.u16("ServerHello.cipher_suite")?;
    let _compression = r.u8("ServerHello.compression_method")?;
    let hrr = random == HELLO_RETRY_REQUEST_RANDOM;
    let mut extensions = Vec::new();
    let mut selected_version = None;
    let mut group = None;
    let mut cookie = false;
    // Extensions are optional before TLS 1.3 (RFC 5246 §7.4.1.3).
    if !r.is_empty() {
        let mut ext = Reader {
            data: r.vec(2, "ServerHello.extensions")?,
        };
        r.end("ServerHello")?;
        while !ext.is_empty() {
            let kind = ext.u16("an extension type")?;
            let mut data = Reader {
                data: ext.vec(2, "an extension")?,
            };
            if extensions.len() < 64 {
                extensions.push(kind);
            }
            match kind {
                43 => {
                    selected_version = Some(data.u16("supported_versions")?);
                    data.end("supported_versions")?;
                }
                51 => {
                    group = Some(data.u16("key_share.group")?);
                    if !hrr {
                        let share = data.vec(2, "key_share.key_exchange")?;
                        if share.is_empty() {
                            return Err(Malformed::Invalid {
                                what: "empty key_share.key_exchange",
                            });
                        }
                    }
                    data.end("key_share")?;
                }
                44 => cookie = true,
                _ => {}
            }
        }
    }
    let version = selected_version.unwrap_or(legacy_version);
    if hrr {
        return Ok(ServerAnswer::HelloRetryRequest {
            group,
            cipher_suite,
            version,
            cookie,
        });
    }
    Ok(ServerAnswer::ServerHello(ServerHelloInfo {
        version,
        legacy_version,
        cipher_suite,
        key_share_group: group,
        extensions,
        ..ServerHelloInfo::default()
    }))
}

/// Parses a TLS 1.2 (or older) Certificate message: certificate_list<0..2^24-1> of
/// ASN.1Cert<1..2^24-1> (RFC 5246 §7.4.2).
fn parse_certificates(body: &[u8]) -> Result<Vec<Vec<u8>>, Malformed> {
    let mut r = Reader { data: body };
    let mut list = Reader {
        data: r.vec(3, "Certificate.certificate_list")?,
    };
    r.end("Certificate")?;
    let mut chain = Vec::new();
    while !list.is_empty() {
        let cert = list.vec(3, "a certificate")?;
        if cert.is_empty() {
            return Err(Malformed::Invalid {
                what: "empty certificate",
            });
        }
        chain.push(cert.to_vec());
    }
    Ok(chain)
}

/// Parses the key-exchange parameters of a ServerKeyExchange for a suite of kind `kx`
/// (the signature that follows them is not read).
fn parse_server_key_exchange(
    kx: Option<SuiteKx>,
    body: &[u8],
) -> Result<ServerKeyExchange, Malformed> {
    let mut r = Reader { data: body };
    match kx {
        Some(SuiteKx::Ecdhe) => {
            let curve_type = r.u8("ServerECDHParams.curve_type")?;
            let named_curve = if curve_type == 3 {
                Some(r.u16("ServerECDHParams.namedcurve")?)
            } else {
                None
            };
            Ok(ServerKeyExchange::Ecdhe {
                curve_type,
                named_curve,
            })
        }
        Some(SuiteKx::Dhe) => {
            let p = r.vec(2, "ServerDHParams.dh_p")?;
            r.vec(2, "ServerDHParams.dh_g")?;
            r.vec(2, "ServerDHParams.dh_Ys")?;
            let Some(first) = p.iter().position(|b| *b != 0) else {
                return Err(Malformed::Invalid { what: "zero dh_p" });
            };
            let significant = p.len() - first;
            let bits = significant * 8 - p[first].leading_zeros() as usize;
            Ok(ServerKeyExchange::Dhe {
                p_bits: u32::try_from(bits).unwrap_or(u32::MAX),
            })
        }
        _ => Ok(ServerKeyExchange::Unparsed { length: body.len() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, fragment: &[u8]) -> Vec<u8> {
        let mut out = vec![content_type, 3, 3];
        out.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        out.extend_from_slice(fragment);
        out
    }

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
        out
    }

    /// A ServerHello body: version, random, suite, extensions (raw, with their list
    /// length added when `Some`).
    fn server_hello(version: u16, random: [u8; 32], suite: u16, ext: Option<&[u8]>) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&random);
        b.push(0);
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0);
        if let Some(ext) = ext {
            b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
            b.extend_from_slice(ext);
        }
        b
    }

    fn tls13_hello(group: u16, hrr: bool) -> Vec<u8> {
        let mut ext = vec![0, 43, 0, 2, 3, 4, 0, 51];
        if hrr {
            ext.extend_from_slice(&[0, 2]);
            ext.extend_from_slice(&group.to_be_bytes());
        } else {
            ext.extend_from_slice(&[0, 7]);
            ext.extend_from_slice(&group.to_be_bytes());
            ext.extend_from_slice(&[0, 3, 1, 2, 3]);
        }
        let random = if hrr {
            HELLO_RETRY_REQUEST_RANDOM
        } else {
            [7; 32]
        };
        server_hello(0x0303, random, 0x1301, Some(&ext))
    }

    /// A TLS 1.2 flight: ServerHello (ECDHE suite), Certificate, ServerKeyExchange on
    /// `curve`, ServerHelloDone.
    fn tls12_flight(curve: u16) -> Vec<u8> {
        let mut hs = message(2, &server_hello(0x0303, [1; 32], 0xc02f, None));
        hs.extend(message(11, &[0, 0, 8, 0, 0, 5, 0x30, 3, 1, 1, 1]));
        let mut ske = vec![3];
        ske.extend_from_slice(&curve.to_be_bytes());
        ske.extend_from_slice(&[1, 4, 0, 0]);
        hs.extend(message(12, &ske));
        hs.extend(message(14, &[]));
        hs
    }

    #[test]
    fn hello_retry_request_random_is_sha256_of_its_name() {
        use sha2::Digest;
        assert_eq!(
            sha2::Sha256::digest(b"HelloRetryRequest").as_slice(),
            &HELLO_RETRY_REQUEST_RANDOM
        );
    }

    #[test]
    fn alert_names() {
        let name = |d| {
            Alert {
                level: 2,
                description: d,
            }
            .name()
        };
        assert_eq!(name(0), "close_notify");
        assert_eq!(name(40), "handshake_failure");
        assert_eq!(name(70), "protocol_version");
        assert_eq!(name(112), "unrecognized_name");
        assert_eq!(name(200), "unknown(200)");
    }

    #[test]
    fn tls13_server_hello_and_hello_retry_request() {
        let wire = record(22, &message(2, &tls13_hello(0x11ec, false)));
        match read_first_flight(&wire[..]).unwrap() {
            ServerAnswer::ServerHello(sh) => {
                assert_eq!((sh.version, sh.key_share_group), (0x0304, Some(0x11ec)));
                assert_eq!(sh.cipher_suite, 0x1301);
            }
            other => panic!("{other:?}"),
        }
        let wire = record(22, &message(2, &tls13_hello(0x11ec, true)));
        assert_eq!(
            read_first_flight(&wire[..]).unwrap(),
            ServerAnswer::HelloRetryRequest {
                group: Some(0x11ec),
                cipher_suite: 0x1301,
                version: 0x0304,
                cookie: false
            }
        );
    }

    #[test]
    fn tls12_flight_across_records_and_in_one() {
        let hs = tls12_flight(0x0017);
        // One byte per record, then everything in one record.
        let mut split = Vec::new();
        for b in &hs {
            split.extend(record(22, &[*b]));
        }
        for wire in [split, record(22, &hs)] {
            let ServerAnswer::ServerHello(sh) = read_first_flight(&wire[..]).unwrap() else {
                panic!()
            };
            assert!(sh.server_hello_done, "{sh:?}");
            assert_eq!(sh.certificates, [vec![0x30, 3, 1, 1, 1]]);
            assert_eq!(sh.key_exchange.unwrap().named_curve(), Some(0x0017));
        }
    }

    #[test]
    fn dhe_prime_bits() {
        let mut p = vec![0u8, 0x7f];
        p.extend(std::iter::repeat_n(0xff, 255)); // 2 + 255 bytes: 7 + 255 * 8 bits
        let mut body = (p.len() as u16).to_be_bytes().to_vec();
        body.extend(&p);
        body.extend([0, 1, 2, 0, 1, 5]);
        assert_eq!(
            parse_server_key_exchange(Some(SuiteKx::Dhe), &body).unwrap(),
            ServerKeyExchange::Dhe {
                p_bits: 7 + 255 * 8
            }
        );
        assert!(
            parse_server_key_exchange(Some(SuiteKx::Dhe), &[0, 1, 0, 0, 1, 2, 0, 1, 5]).is_err()
        );
    }

    #[test]
    fn truncated_and_huge_lengths_are_typed_errors() {
        // A record cut short: the server closed mid-record.
        assert_eq!(
            read_first_flight(&[22u8, 3, 3, 0, 40, 2, 0][..]).unwrap(),
            ServerAnswer::Closed { received: 7 }
        );
        // A record longer than allowed.
        assert!(matches!(
            read_first_flight(&[22u8, 3, 3, 0x48, 0x01][..]),
            Err(HelloError::Malformed(Malformed::RecordTooLarge {
                length: 0x4801
            }))
        ));
        // A handshake message claiming 16 MiB.
        let wire = record(22, &[2, 0xff, 0xff, 0xff]);
        assert!(matches!(
            read_first_flight(&wire[..]),
            Err(HelloError::Malformed(Malformed::MessageTooLarge {
                message_type: 2,
                ..
            }))
        ));
        // A ServerHello whose session id length runs past the message.
        let mut body = vec![3, 3];
        body.extend([0; 32]);
        body.push(200);
        let wire = record(22, &message(2, &body));
        assert!(matches!(
            read_first_flight(&wire[..]),
            Err(HelloError::Malformed(Malformed::Truncated { .. }))
        ));
        // Extensions whose length runs past the message.
        let mut body = server_hello(0x0303, [0; 32], 0x1301, None);
        body.extend([0x10, 0]);
        let wire = record(22, &message(2, &body));
        assert!(matches!(
            read_first_flight(&wire[..]),
            Err(HelloError::Malformed(Malformed::Truncated { .. }))
        ));
        // An extension whose length runs past the extensions.
        let body = server_hello(0x0303, [0; 32], 0x1301, Some(&[0, 43, 0xff, 0xff, 3, 4]));
        let wire = record(22, &message(2, &body));
        assert!(matches!(
            read_first_flight(&wire[..]),
            Err(HelloError::Malformed(Malformed::Truncated { .. }))
        ));
        // A Certificate whose inner length runs past its list.
        let mut hs = message(2, &server_hello(0x0303, [1; 32], 0x009c, None));
        hs.extend(message(11, &[0, 0, 4, 0xff, 0xff, 0xff, 1]));
        let ServerAnswer::ServerHello(sh) = read_first_flight(&record(22, &hs)[..]).unwrap() else {
            panic!()
        };
        assert!(!sh.server_hello_done);
        assert!(sh.ended_early.unwrap().contains("cut short"));
    }

    #[test]
    fn flight_is_capped() {
        // Endless empty handshake records: stops at MAX_FLIGHT.
        let wire: Vec<u8> = std::iter::repeat_n([22u8, 3, 3, 0, 0], MAX_FLIGHT / 5 + 10)
            .flatten()
            .collect();
        assert_eq!(
            read_first_flight(&wire[..]).unwrap_err(),
            HelloError::Malformed(Malformed::FlightTooLarge)
        );
        // Endless warning alerts, likewise.
        let wire: Vec<u8> = std::iter::repeat_n([21u8, 3, 3, 0, 2, 1, 112], MAX_FLIGHT / 7 + 10)
            .flatten()
            .collect();
        assert_eq!(
            read_first_flight(&wire[..]).unwrap_err(),
            HelloError::Malformed(Malformed::FlightTooLarge)
        );
    }

    #[test]
    fn interleaved_alerts() {
        // Half a ServerHello, a warning, then a fatal alert: the alert is the answer.
        let hs = message(2, &tls13_hello(0x001d, false));
        let mut wire = record(22, &hs[..10]);
        wire.extend(record(21, &[1, 112]));
        wire.extend(record(21, &[2, 40]));
        assert_eq!(
            read_first_flight(&wire[..]).unwrap(),
            ServerAnswer::Alert(Alert {
                level: 2,
                description: 40
            })
        );
        // An alert split across two records.
        let mut wire = record(21, &[2]);
        wire.extend(record(21, &[70]));
        assert_eq!(
            read_first_flight(&wire[..]).unwrap(),
            ServerAnswer::Alert(Alert {
                level: 2,
                description: 70
            })
        );
        // A TLS 1.2 ServerHello, then a fatal alert: the ServerHello stands, the alert
        // is kept.
        let mut wire = record(
            22,
            &message(2, &server_hello(0x0303, [1; 32], 0x009c, None)),
        );
        wire.extend(record(21, &[1, 112]));
        wire.extend(record(21, &[2, 80]));
        let ServerAnswer::ServerHello(sh) = read_first_flight(&wire[..]).unwrap() else {
            panic!()
        };
        assert_eq!(sh.alert.map(|a| a.description), Some(80));
        assert_eq!(sh.warnings.len(), 1);
        assert!(!sh.server_hello_done);
    }

    #[test]
    fn other_peers_and_messages() {
        assert!(matches!(
            read_first_flight(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..]).unwrap(),
            ServerAnswer::NotTls(t) if t.contains("HTTP/1.1")
        ));
        assert!(matches!(
            read_first_flight(&[0x80u8, 0x2e, 4][..]).unwrap(),
            ServerAnswer::NotTls(_)
        ));
        // Application data first.
        assert_eq!(
            read_first_flight(&record(23, &[1, 2, 3])[..]).unwrap_err(),
            HelloError::Malformed(Malformed::UnexpectedRecord { content_type: 23 })
        );
        // A Certificate where a ServerHello belongs.
        assert_eq!(
            read_first_flight(&record(22, &message(11, &[0, 0, 0]))[..]).unwrap_err(),
            HelloError::Malformed(Malformed::UnexpectedMessage { message_type: 11 })
        );
        // Our own ClientHello echoed back.
        let echo = ClientHello::new(Version::Tls12, vec![0x002f])
            .encode()
            .unwrap();
        assert!(matches!(
            read_first_flight(&echo[..]),
            Err(HelloError::Malformed(Malformed::UnexpectedMessage {
                message_type: 1
            }))
        ));
    }

    /// Every prefix of valid flights and random mutations: never a panic.
    #[test]
    fn no_panic_on_prefixes_and_mutations() {
        let mut flights = vec![
            record(22, &tls12_flight(0x001d)),
            record(22, &message(2, &tls13_hello(0x11ec, true))),
            record(22, &message(2, &tls13_hello(0x001d, false))),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..3 {
            for _ in 0..300 {
                let mut m = flights[i].clone();
                for _ in 0..3 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let at = (seed as usize) % m.len();
                    m[at] = (seed >> 32) as u8;
                }
                flights.push(m);
            }
        }
        for f in &flights {
            for end in 0..=f.len() {
                let _ = read_first_flight(&f[..end]);
            }
        }
    }

    #[test]
    fn encodes_what_the_spec_says() {
        let share = KeyShare::new(&pqhkex::groups::X25519).unwrap();
        let h = ClientHello::tls13(vec![0x001d, 0x11ec], vec![share.clone()])
            .with_server_name(Some("localhost"));
        let m = h.encode_message().unwrap();
        // legacy_version 0x0303 and a 32-byte session id.
        assert_eq!((m[4], m[5], m[38]), (3, 3, 32));
        let find = |needle: &[u8]| m.windows(needle.len()).any(|w| w == needle);
        assert!(find(&[0, 43, 0, 3, 2, 3, 4])); // supported_versions [0x0304]
        assert!(find(&[0, 45, 0, 2, 1, 1])); // psk_key_exchange_modes
        assert!(find(&[0, 10, 0, 6, 0, 4, 0, 0x1d, 0x11, 0xec])); // supported_groups
        assert!(find(&share.key_exchange));
        assert!(find(b"localhost"));
        assert!(!find(&[0x00, 0xff])); // no SCSV in a TLS 1.3 hello
        let legacy = ClientHello::new(Version::Tls10, vec![0xc013])
            .encode_message()
            .unwrap();
        assert_eq!((legacy[4], legacy[5], legacy[38]), (3, 1, 0));
        let find = |needle: &[u8]| legacy.windows(needle.len()).any(|w| w == needle);
        assert!(find(&[0, 4, 0xc0, 0x13, 0x00, 0xff])); // suite + SCSV
        assert!(find(&[0, 11, 0, 2, 1, 0])); // ec_point_formats
        assert!(ClientHello::new(Version::Tls12, vec![]).encode().is_err());
    }
}
