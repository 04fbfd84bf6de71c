//! KEM-shaped primitives: the bottom layer of pqhkex.
//!
//! Every component of a TLS key-exchange group — an ML-KEM parameter set, round-3
//! Kyber768, or an elliptic-curve Diffie-Hellman — is driven through one small
//! internal trait, [`Component`], with the shape of a KEM:
//!
//! * `keygen` (client): from a seed, make a private key and the public share;
//! * `encapsulate` (server): from the peer's public share and fresh randomness,
//!   make the reply share (ciphertext, or an ephemeral ECDH public key) and the
//!   component's shared secret;
//! * `decapsulate` (client): from the private key and the reply share, recover
//!   the same shared secret.
//!
//! ECDH fits that shape with `encapsulate` = "generate an ephemeral scalar and
//! multiply". Each algorithm runs on one backend, chosen once per process (`backend`:
//! graviola, aws-lc or the pure-Rust components of this module). Randomness comes from
//! the operating system ([`fill_random`], or the backend's own generator); the seeded
//! entry points exist so that known-answer tests can drive the very same code (see the
//! `hazmat` module, feature `hazmat`).
//!
//! Every function here appends its public output to a caller-provided buffer and
//! its secret output to a [`SecretBuf`], so that a hybrid group concatenates
//! its components without copying (draft-ietf-tls-hybrid-design §3.2, §3.3).

// Secret-handling code: an integer `/` or `%` can compile to a variable-time x86
// `div` (KyberSlash). Denied here, not just warned (CONSTANT_TIME.md, layer 2).
#![deny(clippy::integer_division_remainder_used)]

use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, KeyShareFault};

pub use backend::Backend;
pub(crate) use backend::{encapsulate, keygen};

#[cfg(feature = "aws-lc-rs-backend")]
mod aws_lc;
mod backend;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod graviola;
#[cfg(feature = "legacy-kyber")]
pub(crate) mod kyber;
pub(crate) mod mlkem;
pub(crate) mod nist;
pub(crate) mod x25519;
mod x25519_edwards;

/// A buffer holding secret bytes (component or combined shared secrets); zeroized on drop.
pub type SecretBuf = Zeroizing<Vec<u8>>;

/// A cryptographic algorithm that can be one component of a key-exchange group.
///
/// The lengths are those of the TLS encodings: an X25519 public key is 32 bytes
/// (RFC 7748 §5), a NIST curve point is in SEC 1 uncompressed form (RFC 8446
/// §4.2.8.2), ML-KEM keys and ciphertexts are the FIPS 203 §8 sizes.
///
/// ```
/// use pqhkex::Algorithm;
/// assert_eq!(Algorithm::MlKem768.public_len(), 1184);
/// assert_eq!(Algorithm::P384.reply_len(), 97);
/// assert!(Algorithm::MlKem1024.is_post_quantum());
/// assert_eq!(Algorithm::MlKem512.nist_category(), Some(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// X25519 Diffie-Hellman (RFC 7748).
    X25519,
    /// ECDH over NIST P-256 / secp256r1 (SP 800-186, SEC 1).
    P256,
    /// ECDH over NIST P-384 / secp384r1 (SP 800-186, SEC 1).
    P384,
    /// ML-KEM-512 (FIPS 203), NIST security category 1.
    MlKem512,
    /// ML-KEM-768 (FIPS 203), NIST security category 3.
    MlKem768,
    /// ML-KEM-1024 (FIPS 203), NIST security category 5.
    MlKem1024,
    /// Round-3 Kyber768 (pre-standard; only in X25519Kyber768Draft00). Feature `legacy-kyber`.
    #[cfg(feature = "legacy-kyber")]
    Kyber768,
}

impl Algorithm {
    /// Every algorithm compiled into this build.
    pub const ALL: &'static [Algorithm] = &[
        Algorithm::X25519,
        Algorithm::P256,
        Algorithm::P384,
        Algorithm::MlKem512,
        Algorithm::MlKem768,
        Algorithm::MlKem1024,
        #[cfg(feature = "legacy-kyber")]
        Algorithm::Kyber768,
    ];

    /// A short human-readable name, e.g. `"ML-KEM-768"` or `"X25519"`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::X25519 => "X25519",
            Algorithm::P256 => "P-256",
            Algorithm::P384 => "P-384",
            Algorithm::MlKem512 => "ML-KEM-512",
            Algorithm::MlKem768 => "ML-KEM-768",
            Algorithm::MlKem1024 => "ML-KEM-1024",
            #[cfg(feature = "legacy-kyber")]
            Algorithm::Kyber768 => "Kyber768-round3",
        }
    }

    /// Length of the share the client sends (public key / encapsulation key).
    pub const fn public_len(self) -> usize {
        match self {
            Algorithm::X25519 => 32,
            Algorithm::P256 => 65,
            Algorithm::P384 => 97,
            Algorithm::MlKem512 => 800,
            Algorithm::MlKem768 => 1184,
            Algorithm::MlKem1024 => 1568,
            #[cfg(feature = "legacy-kyber")]
            Algorithm::Kyber768 => 1184,
        }
    }

    /// Length of the share the server replies with (ephemeral public key / ciphertext).
    pub const fn reply_len(self) -> usize {
        match self {
            Algorithm::X25519 => 32,
            Algorithm::P256 => 65,
            Algorithm::P384 => 97,
            Algorithm::MlKem512 => 768,
            Algorithm::MlKem768 => 1088,
            Algorithm::MlKem1024 => 1568,
            #[cfg(feature = "legacy-kyber")]
            Algorithm::Kyber768 => 1088,
        }
    }

    /// Length of this component's shared secret.
    ///
    /// For the NIST curves it is the x-coordinate of the shared point (RFC 8446 §7.4.2).
    pub const fn secret_len(self) -> usize {
        match self {
            Algorithm::P384 => 48,
            _ => 32,
        }
    }

    /// Length of the seed that key generation takes in the `hazmat` module: ML-KEM `d ‖ z`
    /// (FIPS 203 Algorithm 16), or the ECDH private scalar.
    pub const fn keygen_seed_len(self) -> usize {
        match self {
            Algorithm::X25519 | Algorithm::P256 => 32,
            Algorithm::P384 => 48,
            _ => 64,
        }
    }

    /// Length of the randomness that encapsulation takes in the `hazmat` module: ML-KEM `m`
    /// (FIPS 203 Algorithm 17), or the server's ephemeral ECDH scalar.
    pub const fn encaps_seed_len(self) -> usize {
        match self {
            Algorithm::P384 => 48,
            _ => 32,
        }
    }

    /// Whether the algorithm is believed secure against a quantum computer.
    pub const fn is_post_quantum(self) -> bool {
        !matches!(self, Algorithm::X25519 | Algorithm::P256 | Algorithm::P384)
    }

    /// NIST post-quantum security category (FIPS 203 §8), or `None` for classical algorithms.
    pub const fn nist_category(self) -> Option<u8> {
        match self {
            Algorithm::MlKem512 => Some(1),
            Algorithm::MlKem768 => Some(3),
            Algorithm::MlKem1024 => Some(5),
            #[cfg(feature = "legacy-kyber")]
            Algorithm::Kyber768 => Some(3),
            _ => None,
        }
    }
}

impl core::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One component, driven as a KEM. See the module documentation.
pub(crate) trait Component {
    /// The client's private state between `keygen` and `decapsulate`; zeroized on drop.
    type PrivateKey;

    /// Deterministic key generation from exactly `keygen_seed_len()` bytes; appends
    /// the public share to `public`. Fails with [`Error::InvalidSeed`] when the seed
    /// is not a usable private key (an ECDH scalar of zero or not below the order).
    fn keygen(seed: &[u8], public: &mut Vec<u8>) -> Result<Self::PrivateKey, Error>;

    /// Validates the peer's public share, then encapsulates with exactly
    /// `encaps_seed_len()` bytes of randomness; appends the reply share to `reply`
    /// and the shared secret to `secret`.
    fn encapsulate(
        peer_public: &[u8],
        seed: &[u8],
        reply: &mut Vec<u8>,
        secret: &mut SecretBuf,
    ) -> Result<(), Error>;

    /// Validates the peer's reply share and appends the shared secret to `secret`.
    fn decapsulate(
        key: &Self::PrivateKey,
        reply: &[u8],
        secret: &mut SecretBuf,
    ) -> Result<(), Error>;

    /// Wraps the private key for storage in a group's client state.
    fn wrap(key: Self::PrivateKey) -> PrivateKey;
}

/// The private state of one component of a client's key share.
///
/// Each variant zeroizes itself on drop.
// The ML-KEM keys are kilobytes (graviola's ML-KEM-768 key about 7 KiB), the ECDH ones tens
// of bytes: the ML-KEM keys are boxed, so that every key, whatever its algorithm, moves as a
// few words (unboxed, each X25519 key was copied as 7 KiB several times per handshake; the
// interleaved kx benchmark measured the difference).
pub(crate) enum PrivateKey {
    X25519(<x25519::X25519 as Component>::PrivateKey),
    P256(<nist::P256 as Component>::PrivateKey),
    P384(<nist::P384 as Component>::PrivateKey),
    MlKem512(Box<<mlkem::MlKem512 as Component>::PrivateKey>),
    MlKem768(Box<<mlkem::MlKem768 as Component>::PrivateKey>),
    MlKem1024(Box<<mlkem::MlKem1024 as Component>::PrivateKey>),
    #[cfg(feature = "legacy-kyber")]
    Kyber768(Box<<kyber::Kyber768 as Component>::PrivateKey>),
    /// A key held by aws-lc (feature `aws-lc-rs-backend`).
    #[cfg(feature = "aws-lc-rs-backend")]
    AwsLc(aws_lc::Key),
    /// A key held by graviola (x86_64 and aarch64).
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    Graviola(graviola::Key),
}

/// Runs `$body` with `$C` bound to the [`Component`] type implementing `$alg`.
macro_rules! with_component {
    ($alg:expr, $C:ident => $body:expr) => {
        match $alg {
            Algorithm::X25519 => {
                type $C = x25519::X25519;
                $body
            }
            Algorithm::P256 => {
                type $C = nist::P256;
                $body
            }
            Algorithm::P384 => {
                type $C = nist::P384;
                $body
            }
            Algorithm::MlKem512 => {
                type $C = mlkem::MlKem512;
                $body
            }
            Algorithm::MlKem768 => {
                type $C = mlkem::MlKem768;
                $body
            }
            Algorithm::MlKem1024 => {
                type $C = mlkem::MlKem1024;
                $body
            }
            #[cfg(feature = "legacy-kyber")]
            Algorithm::Kyber768 => {
                type $C = kyber::Kyber768;
                $body
            }
        }
    };
}

impl PrivateKey {
    /// The algorithm this key belongs to.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            PrivateKey::X25519(_) => Algorithm::X25519,
            PrivateKey::P256(_) => Algorithm::P256,
            PrivateKey::P384(_) => Algorithm::P384,
            PrivateKey::MlKem512(_) => Algorithm::MlKem512,
            PrivateKey::MlKem768(_) => Algorithm::MlKem768,
            PrivateKey::MlKem1024(_) => Algorithm::MlKem1024,
            #[cfg(feature = "legacy-kyber")]
            PrivateKey::Kyber768(_) => Algorithm::Kyber768,
            #[cfg(feature = "aws-lc-rs-backend")]
            PrivateKey::AwsLc(k) => k.algorithm(),
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            PrivateKey::Graviola(k) => k.algorithm(),
        }
    }

    /// The serialized ML-KEM (or Kyber) decapsulation key `dk`, for the `hazmat` module;
    /// `None` for ECDH keys.
    #[cfg(feature = "hazmat")]
    pub(crate) fn decapsulation_key(&self) -> Option<SecretBuf> {
        let bytes = match self {
            PrivateKey::MlKem512(k) => k.as_bytes(),
            PrivateKey::MlKem768(k) => k.as_bytes(),
            PrivateKey::MlKem1024(k) => k.as_bytes(),
            #[cfg(feature = "legacy-kyber")]
            PrivateKey::Kyber768(k) => k.as_bytes(),
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            PrivateKey::Graviola(k) => return k.decapsulation_key(),
            _ => return None,
        };
        Some(SecretBuf::new(bytes.to_vec()))
    }

    /// The backend that made (and decapsulates with) this key.
    #[cfg(feature = "hazmat")]
    pub(crate) fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "aws-lc-rs-backend")]
            PrivateKey::AwsLc(_) => Backend::AwsLcRs,
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            PrivateKey::Graviola(_) => Backend::Graviola,
            _ => Backend::PureRust,
        }
    }

    /// Decapsulates the peer's reply share for this component.
    pub(crate) fn decapsulate(&self, reply: &[u8], secret: &mut SecretBuf) -> Result<(), Error> {
        match self {
            PrivateKey::X25519(k) => x25519::X25519::decapsulate(k, reply, secret),
            PrivateKey::P256(k) => nist::P256::decapsulate(k, reply, secret),
            PrivateKey::P384(k) => nist::P384::decapsulate(k, reply, secret),
            PrivateKey::MlKem512(k) => mlkem::MlKem512::decapsulate(k, reply, secret),
            PrivateKey::MlKem768(k) => mlkem::MlKem768::decapsulate(k, reply, secret),
            PrivateKey::MlKem1024(k) => mlkem::MlKem1024::decapsulate(k, reply, secret),
            #[cfg(feature = "legacy-kyber")]
            PrivateKey::Kyber768(k) => kyber::Kyber768::decapsulate(k, reply, secret),
            #[cfg(feature = "aws-lc-rs-backend")]
            PrivateKey::AwsLc(k) => aws_lc::decapsulate(k, reply, secret),
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            PrivateKey::Graviola(k) => graviola::decapsulate(k, reply, secret),
        }
    }

    /// [`Self::decapsulate`] for a key used once and then dropped (a TLS client's): the
    /// same result, through the entry point that consumes the key where a backend has
    /// one (graviola's ML-KEM `decaps`, which also enters and leaves its constant-time
    /// CPU state).
    pub(crate) fn decapsulate_once(
        self,
        reply: &[u8],
        secret: &mut SecretBuf,
    ) -> Result<(), Error> {
        match self {
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            PrivateKey::Graviola(k) => graviola::decapsulate_once(k, reply, secret),
            other => other.decapsulate(reply, secret),
        }
    }
}

/// Where a component's seed comes from.
#[derive(Clone, Copy)]
pub(crate) enum Seed<'a> {
    /// Fresh bytes from the operating system's RNG.
    Os,
    /// Caller-provided bytes (known-answer tests only, via the `hazmat` module).
    Fixed(&'a [u8]),
}

/// How often a random ECDH scalar may be out of range before we give up. The chance of
/// one rejection is below 2^-32 for P-256 and 2^-190 for P-384, so hitting this
/// means the RNG is broken.
const MAX_SEED_ATTEMPTS: usize = 8;

/// Fills `buf` from the operating system's cryptographically secure RNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|e| Error::Randomness(e.to_string()))
}

/// Calls `f` with a seed of `len` bytes: `seed` itself, or OS randomness (retried when
/// `f` reports [`Error::InvalidSeed`], which happens with negligible probability).
fn with_seed<T>(
    seed: Seed<'_>,
    len: usize,
    algorithm: Algorithm,
    mut f: impl FnMut(&[u8]) -> Result<T, Error>,
) -> Result<T, Error> {
    match seed {
        Seed::Fixed(bytes) => {
            if bytes.len() != len {
                return Err(Error::InvalidSeed {
                    algorithm,
                    reason: "wrong seed length",
                });
            }
            f(bytes)
        }
        Seed::Os => {
            let mut buf = Zeroizing::new([0u8; 64]);
            let buf = &mut buf[..len];
            for _ in 0..MAX_SEED_ATTEMPTS {
                fill_random(buf)?;
                match f(buf) {
                    Err(Error::InvalidSeed { .. }) => continue,
                    other => {
                        buf.zeroize();
                        return other;
                    }
                }
            }
            Err(Error::Randomness(format!(
                "{MAX_SEED_ATTEMPTS} random {algorithm} private keys in a row were out of range"
            )))
        }
    }
}

/// The pure-Rust components as a backend (see `backend`): they cover every algorithm and
/// every request, on every machine.
pub(crate) static PURE_RUST: backend::Implementation = backend::Implementation {
    backend: Backend::PureRust,
    available: || true,
    keygen: |algorithm, seed, public| {
        Some(with_component!(algorithm, C => {
            with_seed(seed, algorithm.keygen_seed_len(), algorithm, |s| {
                C::keygen(s, public).map(C::wrap)
            })
        }))
    },
    encapsulate: |algorithm, peer_public, seed, reply, secret| {
        Some(with_component!(algorithm, C => {
            with_seed(seed, algorithm.encaps_seed_len(), algorithm, |s| {
                C::encapsulate(peer_public, s, reply, secret)
            })
        }))
    },
};

/// Checks the encoding of a peer's ECDH share before a backend that parses more than TLS
/// allows sees it (aws-lc and graviola; the RustCrypto components check in `nist`).
// Kept apart from `nist`'s own check: refactoring nist.rs changes what rustc inlines there.
#[cfg(any(
    feature = "aws-lc-rs-backend",
    target_arch = "x86_64",
    target_arch = "aarch64"
))]
pub(crate) fn check_ecdh_share(algorithm: Algorithm, peer: &[u8]) -> Result<(), Error> {
    // RFC 8446 §4.2.8.2 / RFC 7748 §5: an X25519 share is exactly 32 bytes; a NIST
    // share is exactly the uncompressed point (65 or 97 bytes).
    check_len(algorithm.name(), peer, algorithm.public_len())?;
    // RFC 8446 §4.2.8.2: only the uncompressed form `0x04 ‖ X ‖ Y` is allowed; aws-lc
    // would also parse a compressed point.
    if algorithm != Algorithm::X25519 && peer[0] != 0x04 {
        return Err(Error::InvalidKeyShare {
            what: algorithm.name(),
            fault: KeyShareFault::PointNotUncompressed,
        });
    }
    Ok(())
}

/// Checks that a peer share has exactly the length `expected`.
pub(crate) fn check_len(what: &'static str, share: &[u8], expected: usize) -> Result<(), Error> {
    if share.len() == expected {
        Ok(())
    } else {
        Err(length_error(what, expected, share.len()))
    }
}

/// [`check_len`] for a backend that takes fixed-size arrays: the share as exactly `N`
/// bytes, or the same error.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) fn exact_len<'a, const N: usize>(
    what: &'static str,
    share: &'a [u8],
) -> Result<&'a [u8; N], Error> {
    share
        .try_into()
        .map_err(|_| length_error(what, N, share.len()))
}

/// A share of the wrong length (RFC 8446 §4.2.8 and the groups' specs: illegal_parameter).
fn length_error(what: &'static str, expected: usize, actual: usize) -> Error {
    Error::InvalidKeyShare {
        what,
        fault: KeyShareFault::Length { expected, actual },
    }
}
