//! The group table: the one place where TLS key-exchange groups differ.
//!
//! A [`Group`] is its codepoint, its name, and its components **in wire order**. Every
//! other fact — which component comes first, the client share, server share and shared
//! secret lengths, whether it is post-quantum or hybrid — is derived from that order:
//! shares and secrets are the concatenation of the components' in that order
//! (draft-ietf-tls-hybrid-design §3.2, §3.3).
//!
//! | group | code | client share | server share | secret |
//! |---|---|---|---|---|
//! | X25519MLKEM768 | 0x11EC | ML-KEM-768 ek 1184 ‖ X25519 32 | ct 1088 ‖ 32 | 64 |
//! | SecP256r1MLKEM768 | 0x11EB | P-256 65 ‖ ek 1184 | 65 ‖ ct 1088 | 64 |
//! | SecP384r1MLKEM1024 | 0x11ED | P-384 97 ‖ ek 1568 | 97 ‖ ct 1568 | 80 |
//! | MLKEM512 | 0x0200 | 800 | 768 | 32 |
//! | MLKEM768 | 0x0201 | 1184 | 1088 | 32 |
//! | MLKEM1024 | 0x0202 | 1568 | 1568 | 32 |
//! | X25519Kyber768Draft00 (`legacy-kyber`) | 0x6399 | X25519 32 ‖ Kyber 1184 | 32 ‖ 1088 | 64 |
//! | x25519 / secp256r1 / secp384r1 | 0x001D / 0x0017 / 0x0018 | 32 / 65 / 97 | same | 32 / 32 / 48 |

use crate::kem::Algorithm;

/// How a group protects the key exchange.
///
/// ```
/// assert_eq!(pqhkex::groups::X25519MLKEM768.kind().to_string(), "hybrid");
/// assert_eq!(pqhkex::Kind::PostQuantum.to_string(), "post-quantum");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// One classical ECDH and one post-quantum KEM: safe while either holds.
    Hybrid,
    /// A post-quantum KEM alone.
    PostQuantum,
    /// Classical ECDH alone: broken by a large quantum computer.
    Classical,
}

/// Static metadata for one TLS named group, and the layout pqhkex runs it with.
///
/// ```
/// let g = pqhkex::groups::by_name("X25519MLKEM768").unwrap();
/// assert_eq!(g.code, 0x11ec);
/// assert_eq!((g.client_share_len(), g.server_share_len(), g.secret_len()), (1216, 1120, 64));
/// assert!(g.is_post_quantum() && g.is_hybrid());
/// assert_eq!(g.nist_category(), Some(3));
/// assert_eq!(g.to_string(), "X25519MLKEM768 (0x11ec)");
/// ```
///
/// Every `Group` is an entry of this module's table: the fields can be read, but a
/// `Group` cannot be built outside pqhkex (it is `#[non_exhaustive]`), so every group a
/// function receives has a rustls implementation and a valid layout.
///
/// ```compile_fail
/// static MINE: pqhkex::Group = pqhkex::Group { code: 0x1234, name: "mine", components: &[], spec: "" };
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Group {
    /// The TLS `NamedGroup` codepoint (IANA TLS Supported Groups registry).
    pub code: u16,
    /// The IANA name, e.g. `"X25519MLKEM768"` or `"secp256r1"`.
    pub name: &'static str,
    /// The components in the order their shares and secrets are concatenated on the wire.
    pub components: &'static [Algorithm],
    /// The specification defining the group.
    pub spec: &'static str,
}

impl Group {
    /// Length of the client's key share: the components' public shares concatenated.
    pub const fn client_share_len(&self) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < self.components.len() {
            n += self.components[i].public_len();
            i += 1;
        }
        n
    }

    /// Length of the server's key share: the components' replies concatenated.
    pub const fn server_share_len(&self) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < self.components.len() {
            n += self.components[i].reply_len();
            i += 1;
        }
        n
    }

    /// Length of the shared secret handed to the TLS key schedule.
    pub const fn secret_len(&self) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < self.components.len() {
            n += self.components[i].secret_len();
            i += 1;
        }
        n
    }

    /// Whether the group is hybrid, pure post-quantum or classical.
    pub const fn kind(&self) -> Kind {
        let mut pq = false;
        let mut classical = false;
        let mut i = 0;
        while i < self.components.len() {
            if self.components[i].is_post_quantum() {
                pq = true;
            } else {
                classical = true;
            }
            i += 1;
        }
        match (pq, classical) {
            (true, true) => Kind::Hybrid,
            (true, false) => Kind::PostQuantum,
            _ => Kind::Classical,
        }
    }

    /// Whether the key exchange resists a quantum computer (hybrid or pure ML-KEM).
    pub const fn is_post_quantum(&self) -> bool {
        !matches!(self.kind(), Kind::Classical)
    }

    /// Whether the group combines a classical and a post-quantum component.
    pub const fn is_hybrid(&self) -> bool {
        matches!(self.kind(), Kind::Hybrid)
    }

    /// The NIST post-quantum security category of the post-quantum component, or
    /// `None` for classical groups.
    pub const fn nist_category(&self) -> Option<u8> {
        let mut i = 0;
        while i < self.components.len() {
            if let Some(c) = self.components[i].nist_category() {
                return Some(c);
            }
            i += 1;
        }
        None
    }

    /// For a hybrid group: the index and algorithm of its classical component.
    pub fn classical_component(&self) -> Option<(usize, Algorithm)> {
        if !self.is_hybrid() {
            return None;
        }
        self.components
            .iter()
            .enumerate()
            .find(|(_, a)| !a.is_post_quantum())
            .map(|(i, a)| (i, *a))
    }

    /// Whether the way this group combines its components is one that FIPS 140-3 can
    /// approve: the shared secret that comes *first* in the concatenation is the output of
    /// an approved key-establishment scheme, ML-KEM (FIPS 203) or ECDH over P-256 / P-384
    /// (SP 800-56A rev 3).
    ///
    /// SP 800-56C rev 2 §2 allows a "hybrid" shared secret `Z' = Z ‖ T`, where `Z` comes
    /// from an approved scheme and `T` may be any other secret; rustls makes the same call
    /// for aws-lc-rs's own hybrids (its `Hybrid::fips()` reports the first component's).
    /// So X25519MLKEM768 (ML-KEM-768 ‖ X25519) and the NIST hybrids (ECDH ‖ ML-KEM)
    /// qualify, while X25519 alone and X25519Kyber768Draft00 (X25519 ‖ Kyber) do not:
    /// X25519 is not an approved key-agreement curve (FIPS 140-3 IG D.F).
    ///
    /// This is a property of the group alone; whether a key exchange is FIPS also depends
    /// on where its components run: see [`crate::rustls::is_fips`].
    ///
    /// ```
    /// use pqhkex::groups;
    /// assert!(groups::X25519MLKEM768.fips_approved_combination()); // ML-KEM first
    /// assert!(groups::SECP384R1MLKEM1024.fips_approved_combination()); // P-384 first
    /// assert!(groups::MLKEM512.fips_approved_combination());
    /// assert!(!groups::X25519.fips_approved_combination());
    /// ```
    pub const fn fips_approved_combination(&self) -> bool {
        match self.components.first() {
            Some(first) => approved_key_establishment(*first),
            None => false,
        }
    }

    /// Whether TLS 1.2 may use the group (only the classical ECDHE groups; every
    /// post-quantum group is TLS 1.3 only: RFC 10024 §3, draft-ietf-tls-mlkem §3).
    pub const fn tls12_allowed(&self) -> bool {
        matches!(self.kind(), Kind::Classical)
    }
}

/// Whether `algorithm` is a FIPS-approved key-establishment scheme on its own: ML-KEM
/// (FIPS 203) and ECDH over the NIST curves (SP 800-56A rev 3). Not X25519 (FIPS 140-3 IG
/// D.F: curves of SP 800-186 that SP 800-56A rev 3 does not list are not approved for key
/// agreement), and not round-3 Kyber, which no standard approves.
const fn approved_key_establishment(algorithm: Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::P256
            | Algorithm::P384
            | Algorithm::MlKem512
            | Algorithm::MlKem768
            | Algorithm::MlKem1024
    )
}

impl core::fmt::Display for Kind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Kind::Hybrid => "hybrid",
            Kind::PostQuantum => "post-quantum",
            Kind::Classical => "classical",
        })
    }
}

/// The IANA name and the codepoint in hex, e.g. `X25519MLKEM768 (0x11ec)`.
impl core::fmt::Display for Group {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} (0x{:04x})", self.name, self.code)
    }
}

const HYBRID_SPEC: &str = "RFC 10024 (draft-ietf-tls-ecdhe-mlkem)";
const MLKEM_SPEC: &str = "draft-ietf-tls-mlkem";

/// X25519MLKEM768 (0x11EC): ML-KEM-768 first, then X25519.
pub static X25519MLKEM768: Group = Group {
    code: 0x11ec,
    name: "X25519MLKEM768",
    components: &[Algorithm::MlKem768, Algorithm::X25519],
    spec: HYBRID_SPEC,
};

/// SecP256r1MLKEM768 (0x11EB): P-256 first, then ML-KEM-768.
pub static SECP256R1MLKEM768: Group = Group {
    code: 0x11eb,
    name: "SecP256r1MLKEM768",
    components: &[Algorithm::P256, Algorithm::MlKem768],
    spec: HYBRID_SPEC,
};

/// SecP384r1MLKEM1024 (0x11ED): P-384 first, then ML-KEM-1024.
pub static SECP384R1MLKEM1024: Group = Group {
    code: 0x11ed,
    name: "SecP384r1MLKEM1024",
    components: &[Algorithm::P384, Algorithm::MlKem1024],
    spec: HYBRID_SPEC,
};

/// MLKEM512 (0x0200): ML-KEM-512 alone.
pub static MLKEM512: Group = Group {
    code: 0x0200,
    name: "MLKEM512",
    components: &[Algorithm::MlKem512],
    spec: MLKEM_SPEC,
};

/// MLKEM768 (0x0201): ML-KEM-768 alone.
pub static MLKEM768: Group = Group {
    code: 0x0201,
    name: "MLKEM768",
    components: &[Algorithm::MlKem768],
    spec: MLKEM_SPEC,
};

/// MLKEM1024 (0x0202): ML-KEM-1024 alone.
pub static MLKEM1024: Group = Group {
    code: 0x0202,
    name: "MLKEM1024",
    components: &[Algorithm::MlKem1024],
    spec: MLKEM_SPEC,
};

/// X25519Kyber768Draft00 (0x6399): X25519 first, then round-3 Kyber768. Obsolete;
/// feature `legacy-kyber`.
#[cfg(feature = "legacy-kyber")]
pub static X25519KYBER768DRAFT00: Group = Group {
    code: 0x6399,
    name: "X25519Kyber768Draft00",
    components: &[Algorithm::X25519, Algorithm::Kyber768],
    spec: "draft-tls-westerbaan-xyber768d00",
};

/// x25519 (0x001D): classical X25519 ECDHE.
pub static X25519: Group = Group {
    code: 0x001d,
    name: "x25519",
    components: &[Algorithm::X25519],
    spec: "RFC 8446, RFC 7748",
};

/// secp256r1 (0x0017): classical P-256 ECDHE.
pub static SECP256R1: Group = Group {
    code: 0x0017,
    name: "secp256r1",
    components: &[Algorithm::P256],
    spec: "RFC 8446",
};

/// secp384r1 (0x0018): classical P-384 ECDHE.
pub static SECP384R1: Group = Group {
    code: 0x0018,
    name: "secp384r1",
    components: &[Algorithm::P384],
    spec: "RFC 8446",
};

/// Every group pqhkex implements, post-quantum ones first, in the default preference order.
pub static ALL: &[&Group] = &[
    &X25519MLKEM768,
    &SECP256R1MLKEM768,
    &SECP384R1MLKEM1024,
    &MLKEM768,
    &MLKEM1024,
    &MLKEM512,
    #[cfg(feature = "legacy-kyber")]
    &X25519KYBER768DRAFT00,
    &X25519,
    &SECP256R1,
    &SECP384R1,
];

/// Looks a group up by its TLS codepoint.
///
/// ```
/// assert_eq!(pqhkex::groups::by_code(0x11ed).unwrap().name, "SecP384r1MLKEM1024");
/// assert!(pqhkex::groups::by_code(0x1234).is_none());
/// ```
pub fn by_code(code: u16) -> Option<&'static Group> {
    ALL.iter().copied().find(|g| g.code == code)
}

/// Looks a group up by name, ignoring ASCII case and `-`/`_` separators, so that
/// `"X25519MLKEM768"`, `"x25519mlkem768"` and `"secp256r1"` / `"P-256"`-style
/// spellings of the classical groups (`"P256"`, `"P-384"`) all work.
///
/// ```
/// assert_eq!(pqhkex::groups::by_name("secp256r1mlkem768").unwrap().code, 0x11eb);
/// assert_eq!(pqhkex::groups::by_name("P-384").unwrap().code, 0x0018);
/// assert_eq!(pqhkex::groups::by_name("ML-KEM-1024").unwrap().code, 0x0202);
/// ```
pub fn by_name(name: &str) -> Option<&'static Group> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = norm(name);
    let alias = match wanted.as_str() {
        "p256" | "prime256v1" => "secp256r1",
        "p384" => "secp384r1",
        other => other,
    };
    ALL.iter().copied().find(|g| norm(g.name) == alias)
}
