//! The graviola backend: X25519, P-256, P-384 and ML-KEM-768 on `graviola`.
//!
//! graviola runs s2n-bignum's formally verified (HOL Light) x86_64 and aarch64 assembly
//! through Rust's `asm!` (no C compiler), and its own ML-KEM-768. It is compiled on those
//! two architectures only and needs CPU features it checks at run time
//! (`graviola::util::is_cpu_supported`); calling it on a CPU without them panics inside
//! graviola, so `backend` never selects it there.
//!
//! * Fresh keys and encapsulations use graviola's public entry points (`new_random`,
//!   `DecapKey::generate`, `EncapKey::encaps`, `DecapKey::decaps`), which take the
//!   operating system's randomness and enter graviola's constant-time CPU state (on
//!   aarch64 the DIT flag; on x86_64 the vector registers are cleared on the way out).
//! * Seeded requests (known-answer tests, the `hazmat` module) use the deterministic
//!   ones: `StaticPrivateKey::from_array` / `from_bytes` for ECDH, and ML-KEM-768's
//!   `keygen_internal(d ‖ z)` and `encaps_internal(m)` (FIPS 203 Algorithms 16 and 17),
//!   which graviola's public entry points wrap. They are `#[doc(hidden)]`, which is why
//!   graviola is pinned with `=`.
//!
//! The peer-input checks are the same as in the pure-Rust components, with the same
//! errors, so a peer sees the same alerts. Where graviola makes a check itself (the
//! FIPS 203 §7.2 modulus check, the all-zero X25519 result, the NIST curve equation) it
//! is the one that TLS requires; the section is cited where its error is mapped.
//!
//! Secrets: graviola wipes its private keys (`PrivateKey`, `StaticPrivateKey`'s scalar,
//! `DecapKey`'s `dk_PKE` and `z`), its ML-KEM message `m` and all its shared-secret types
//! on drop; the secrets are copied straight into a zeroizing [`SecretBuf`].

use graviola::key_agreement::{mlkem768, p256, p384, x25519};

use super::backend::{Backend, Implementation};
use super::{check_ecdh_share, exact_len, Algorithm, PrivateKey, SecretBuf, Seed};
use crate::error::{Error, KeyShareFault};

/// A client private key held by graviola.
pub(crate) enum Key {
    /// An X25519 private key.
    X25519(x25519::StaticPrivateKey),
    /// A P-256 private key.
    P256(p256::StaticPrivateKey),
    /// A P-384 private key.
    P384(p384::StaticPrivateKey),
    /// An ML-KEM-768 decapsulation key. Boxed: it keeps Â in the NTT domain (about
    /// 7 KiB), and the keys of a share are moved around by value.
    MlKem768(Box<mlkem768::DecapKey>),
}

impl Key {
    /// The algorithm this key belongs to.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Key::X25519(_) => Algorithm::X25519,
            Key::P256(_) => Algorithm::P256,
            Key::P384(_) => Algorithm::P384,
            Key::MlKem768(_) => Algorithm::MlKem768,
        }
    }

    /// The serialized ML-KEM-768 decapsulation key `dk` (FIPS 203 Algorithm 16 output),
    /// for the `hazmat` module; `None` for ECDH keys.
    #[cfg(feature = "hazmat")]
    pub(crate) fn decapsulation_key(&self) -> Option<SecretBuf> {
        match self {
            Key::MlKem768(dk) => {
                let mut bytes = dk.as_bytes();
                let out = SecretBuf::new(bytes.to_vec());
                zeroize::Zeroize::zeroize(&mut bytes);
                Some(out)
            }
            _ => None,
        }
    }
}

/// graviola as a backend (see `backend`).
pub(crate) static IMPLEMENTATION: Implementation = Implementation {
    backend: Backend::Graviola,
    available: graviola::util::is_cpu_supported,
    keygen,
    encapsulate,
};

/// A failure of graviola's random number generator.
fn randomness(algorithm: Algorithm) -> Error {
    Error::Randomness(format!("graviola could not generate an {algorithm} key"))
}

/// A fixed seed of exactly `N` bytes, or [`Error::InvalidSeed`].
fn fixed<const N: usize>(algorithm: Algorithm, bytes: &[u8]) -> Result<&[u8; N], Error> {
    bytes.try_into().map_err(|_| Error::InvalidSeed {
        algorithm,
        reason: "wrong seed length",
    })
}

/// The error for a NIST scalar outside [1, n-1].
fn bad_scalar(algorithm: Algorithm) -> Error {
    Error::InvalidSeed {
        algorithm,
        reason: "scalar is zero or not below the group order",
    }
}

/// The error for a peer share that is not a point on the curve.
fn not_on_curve(algorithm: Algorithm) -> Error {
    Error::InvalidKeyShare {
        what: algorithm.name(),
        fault: KeyShareFault::PointNotOnCurve,
    }
}

/// An ECDH private key from graviola's generator or from a fixed seed (X25519: the
/// 32-byte scalar, clamped as RFC 7748 §5 decodes scalars; NIST: the big-endian scalar,
/// which must lie in [1, n-1]), with its public share appended to `public`.
fn ecdh_keygen(algorithm: Algorithm, seed: Seed<'_>, public: &mut Vec<u8>) -> Result<Key, Error> {
    match algorithm {
        Algorithm::X25519 => {
            let key = match seed {
                Seed::Os => {
                    x25519::StaticPrivateKey::new_random().map_err(|_| randomness(algorithm))?
                }
                Seed::Fixed(bytes) => {
                    x25519::StaticPrivateKey::from_array(fixed(algorithm, bytes)?)
                }
            };
            public.extend_from_slice(&key.public_key().as_bytes());
            Ok(Key::X25519(key))
        }
        Algorithm::P256 => {
            let key = match seed {
                Seed::Os => p256::StaticPrivateKey::new_random().map_err(|_| randomness(algorithm)),
                // `from_bytes` would accept other lengths with zero padding: fix it first.
                Seed::Fixed(bytes) => {
                    p256::StaticPrivateKey::from_bytes(fixed::<32>(algorithm, bytes)?)
                        .map_err(|_| bad_scalar(algorithm))
                }
            }?;
            // SEC 1 uncompressed, as RFC 8446 §4.2.8.2 requires.
            public.extend_from_slice(&key.public_key_uncompressed());
            Ok(Key::P256(key))
        }
        _ => {
            let key = match seed {
                Seed::Os => p384::StaticPrivateKey::new_random().map_err(|_| randomness(algorithm)),
                Seed::Fixed(bytes) => {
                    p384::StaticPrivateKey::from_bytes(fixed::<48>(algorithm, bytes)?)
                        .map_err(|_| bad_scalar(algorithm))
                }
            }?;
            public.extend_from_slice(&key.public_key_uncompressed());
            Ok(Key::P384(key))
        }
    }
}

/// Checks the peer's ECDH share, then [`agree`]s (the client's second step).
fn checked_agree(key: &Key, peer: &[u8], secret: &mut SecretBuf) -> Result<(), Error> {
    // RFC 8446 §4.2.8.2: exact length, and the uncompressed form for NIST points (graviola
    // also refuses other lengths, but with an error that would lose the reason).
    check_ecdh_share(key.algorithm(), peer)?;
    agree(key, peer, secret)
}

/// ECDH of `key` with the peer's share, whose encoding the caller has checked
/// (`check_ecdh_share`), appending the shared secret (X25519: RFC 7748 §6.1 output; NIST:
/// the x-coordinate, RFC 8446 §7.4.2) to `secret`.
fn agree(key: &Key, peer: &[u8], secret: &mut SecretBuf) -> Result<(), Error> {
    let algorithm = key.algorithm();
    match key {
        Key::X25519(k) => {
            let peer = x25519::PublicKey::from_array(exact_len(algorithm.name(), peer)?);
            // RFC 8446 §7.4.2 and RFC 7748 §6.1: implementations MUST check whether the
            // computed X25519 secret is all zeroes (a low-order peer point) and abort.
            // graviola's `diffie_hellman` makes exactly that check (in constant time) and
            // fails only then.
            let shared = k
                .diffie_hellman(&peer)
                .map_err(|_| Error::InvalidKeyShare {
                    what: algorithm.name(),
                    fault: KeyShareFault::AllZeroSharedSecret,
                })?;
            secret.extend_from_slice(&shared.0);
        }
        Key::P256(k) => {
            // RFC 10024 §3.1.2/§3.1.3 (SP 800-56A full public-key validation): graviola
            // checks that both coordinates are below p and that the point is on the curve;
            // the identity has no uncompressed encoding.
            let peer = p256::PublicKey::from_x962_uncompressed(peer)
                .map_err(|_| not_on_curve(algorithm))?;
            let shared = k
                .diffie_hellman(&peer)
                .map_err(|_| not_on_curve(algorithm))?;
            secret.extend_from_slice(&shared.0);
        }
        Key::P384(k) => {
            let peer = p384::PublicKey::from_x962_uncompressed(peer)
                .map_err(|_| not_on_curve(algorithm))?;
            let shared = k
                .diffie_hellman(&peer)
                .map_err(|_| not_on_curve(algorithm))?;
            secret.extend_from_slice(&shared.0);
        }
        // Not an ECDH key: `agree` is only reached with one (the callers match ML-KEM
        // first), so this is unreachable; refused as a share of the wrong kind.
        Key::MlKem768(_) => {
            return Err(Error::InvalidKeyShare {
                what: algorithm.name(),
                fault: KeyShareFault::Length {
                    expected: algorithm.reply_len(),
                    actual: peer.len(),
                },
            })
        }
    }
    Ok(())
}

/// [`super::keygen`] on graviola, or `None` for an algorithm it does not have.
fn keygen(
    algorithm: Algorithm,
    seed: Seed<'_>,
    public: &mut Vec<u8>,
) -> Option<Result<PrivateKey, Error>> {
    let key = match algorithm {
        Algorithm::X25519 | Algorithm::P256 | Algorithm::P384 => {
            ecdh_keygen(algorithm, seed, public)
        }
        Algorithm::MlKem768 => mlkem_keygen(seed, public),
        _ => return None,
    };
    Some(key.map(PrivateKey::Graviola))
}

/// FIPS 203 Algorithm 19 (ML-KEM.KeyGen), or with a fixed `d ‖ z` Algorithm 16
/// (ML-KEM.KeyGen_internal).
fn mlkem_keygen(seed: Seed<'_>, public: &mut Vec<u8>) -> Result<Key, Error> {
    let algorithm = Algorithm::MlKem768;
    let dk = Box::new(match seed {
        Seed::Os => mlkem768::DecapKey::generate().map_err(|_| randomness(algorithm))?,
        Seed::Fixed(bytes) => mlkem768::DecapKey::keygen_internal(fixed(algorithm, bytes)?),
    });
    public.extend_from_slice(&dk.encapsulation_key().as_bytes());
    Ok(Key::MlKem768(dk))
}

/// [`super::encapsulate`] on graviola, or `None` for an algorithm it does not have.
fn encapsulate(
    algorithm: Algorithm,
    peer_public: &[u8],
    seed: Seed<'_>,
    reply: &mut Vec<u8>,
    secret: &mut SecretBuf,
) -> Option<Result<(), Error>> {
    Some(match algorithm {
        Algorithm::X25519 | Algorithm::P256 | Algorithm::P384 => (|| {
            // Validate the peer's encoding before spending a scalar multiplication.
            check_ecdh_share(algorithm, peer_public)?;
            let ephemeral = ecdh_keygen(algorithm, seed, reply)?;
            agree(&ephemeral, peer_public, secret)
        })(),
        Algorithm::MlKem768 => mlkem_encapsulate(peer_public, seed, reply, secret),
        _ => return None,
    })
}

/// FIPS 203 Algorithm 20 (ML-KEM.Encaps), or with a fixed `m` Algorithm 17
/// (ML-KEM.Encaps_internal), after the §7.2 input checks.
fn mlkem_encapsulate(
    peer_public: &[u8],
    seed: Seed<'_>,
    reply: &mut Vec<u8>,
    secret: &mut SecretBuf,
) -> Result<(), Error> {
    let algorithm = Algorithm::MlKem768;
    // RFC 10024 §3.1.2, draft-ietf-tls-mlkem §4.2: the client share must have exactly the
    // encapsulation-key length (FIPS 203 §7.2 type check).
    let ek_bytes: &[u8; 1184] = exact_len(algorithm.name(), peer_public)?;
    // RFC 10024 §3.1.2 and draft-ietf-tls-mlkem §4.2: the server MUST perform the
    // FIPS 203 §7.2 modulus check and abort with illegal_parameter. graviola's
    // `EncapKey::from_bytes` performs it (ByteEncode_12(ByteDecode_12(ek)) == ek) and
    // fails only on it.
    let ek = mlkem768::EncapKey::from_bytes(ek_bytes).map_err(|_| Error::InvalidKeyShare {
        what: algorithm.name(),
        fault: KeyShareFault::EncapsulationKeyNotReduced,
    })?;
    let (ss, ct) = match seed {
        Seed::Os => ek.encaps().map_err(|_| randomness(algorithm))?,
        Seed::Fixed(bytes) => ek.encaps_internal(mlkem768::Message(*fixed(algorithm, bytes)?)),
    };
    reply.extend_from_slice(ct.as_ref());
    secret.extend_from_slice(ss.as_ref());
    Ok(())
}

/// The ML-KEM-768 ciphertext of a reply share, after the length check.
fn ciphertext(reply: &[u8]) -> Result<mlkem768::Ciphertext, Error> {
    let algorithm = Algorithm::MlKem768;
    // RFC 10024 §3.1.3, draft-ietf-tls-mlkem §4.2: the client MUST check that the
    // ciphertext length matches the parameter set, else illegal_parameter (FIPS 203 §7.3
    // ciphertext type check).
    let bytes: &[u8; 1088] = exact_len(algorithm.name(), reply)?;
    Ok(mlkem768::Ciphertext::from(*bytes))
}

/// The client's second step for a key held by graviola; the key stays usable.
pub(crate) fn decapsulate(key: &Key, reply: &[u8], secret: &mut SecretBuf) -> Result<(), Error> {
    match key {
        Key::MlKem768(dk) => {
            // FIPS 203 Algorithm 18 (ML-KEM.Decaps_internal). Implicit rejection: a wrong
            // ciphertext of the right length gives a pseudorandom secret, never an error.
            let ss = dk.decaps_internal(&ciphertext(reply)?);
            secret.extend_from_slice(ss.as_ref());
            Ok(())
        }
        ecdh => checked_agree(ecdh, reply, secret),
    }
}

/// [`decapsulate`] for a key used once: ML-KEM-768 through graviola's public
/// `DecapKey::decaps` (FIPS 203 Algorithm 21), which consumes the key.
pub(crate) fn decapsulate_once(
    key: Key,
    reply: &[u8],
    secret: &mut SecretBuf,
) -> Result<(), Error> {
    match key {
        Key::MlKem768(dk) => {
            let ss = dk.decaps(&ciphertext(reply)?);
            secret.extend_from_slice(ss.as_ref());
            Ok(())
        }
        ecdh => checked_agree(&ecdh, reply, secret),
    }
}
