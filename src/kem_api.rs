//! A small key-encapsulation (KEM) API for use outside TLS: envelope encryption,
//! HPKE-style key transport, channels to a pinned public key.
//!
//! A KEM has three operations, here on typed values:
//!
//! * [`DecapsulationKey::generate`] — the recipient makes a key pair; the
//!   [`EncapsulationKey`] (public) is published, the [`DecapsulationKey`] kept;
//! * [`EncapsulationKey::encapsulate`] — a sender makes a fresh [`SharedSecret`] and
//!   the [`Ciphertext`] that carries it to the key's owner;
//! * [`DecapsulationKey::decapsulate`] — the recipient recovers the same secret.
//!
//! Implemented by [`XWing`] (draft-connolly-cfrg-xwing-kem, the general-purpose
//! X25519 + ML-KEM-768 hybrid; prefer it) and by the stand-alone ML-KEM parameter sets
//! [`MlKem512`], [`MlKem768`], [`MlKem1024`] (FIPS 203). They run the very components
//! the TLS groups run (the crate's internal `kem` layer), with the same input checks.
//! Keys are typed by their KEM, so a key or ciphertext of one KEM cannot be handed to
//! another; every `from_bytes` checks the exact length and fails with
//! [`Error::InvalidLength`].
//!
//! Secrets (decapsulation keys, shared secrets) are zeroized on drop and never printed
//! by `Debug`. Deterministic variants for known-answer tests are in
//! the `hazmat` module (feature `hazmat`).
//!
//! ```
//! use pqhkex::kem_api::{Ciphertext, DecapsulationKey, EncapsulationKey, XWing};
//!
//! // Recipient: a key pair; publish the encapsulation key's bytes.
//! let dk = DecapsulationKey::<XWing>::generate()?;
//! let published = dk.encapsulation_key().as_bytes().to_vec();
//! assert_eq!(published.len(), 1216);
//!
//! // Sender: parse the key, encapsulate, send the ciphertext's bytes.
//! let ek = EncapsulationKey::<XWing>::from_bytes(&published)?;
//! let (ct, sender_secret) = ek.encapsulate()?;
//! let sent = ct.as_bytes().to_vec();
//!
//! // Recipient: parse the ciphertext and decapsulate.
//! let received = Ciphertext::<XWing>::from_bytes(&sent)?;
//! let recipient_secret = dk.decapsulate(&received)?;
//! assert_eq!(sender_secret, recipient_secret);
//! # Ok::<(), pqhkex::Error>(())
//! ```

#![deny(clippy::integer_division_remainder_used)]

use core::fmt;
use core::marker::PhantomData;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::kem::{self, mlkem, Algorithm, Component, SecretBuf};
use crate::xwing;

use sealed::Secret;

pub use crate::xwing::XWing;

/// A key-encapsulation mechanism of this API: [`XWing`], [`MlKem512`], [`MlKem768`]
/// or [`MlKem1024`]. Sealed: the operations are the generic methods of
/// [`DecapsulationKey`], [`EncapsulationKey`] and [`Ciphertext`].
///
/// ```
/// use pqhkex::kem_api::{Kem, MlKem768, XWing};
/// assert_eq!(XWing::ENCAPSULATION_KEY_LEN, 1216);
/// assert_eq!(XWing::CIPHERTEXT_LEN, 1120);
/// assert_eq!(XWing::DECAPSULATION_KEY_LEN, 32);
/// assert_eq!(MlKem768::ENCAPSULATION_KEY_LEN, 1184);
/// assert_eq!(MlKem768::DECAPSULATION_KEY_LEN, 2400);
/// assert_eq!(MlKem768::NAME, "ML-KEM-768");
/// ```
pub trait Kem: sealed::Sealed + Sized + 'static {
    /// The KEM's name, e.g. `"X-Wing"` or `"ML-KEM-768"`.
    const NAME: &'static str;
    /// Length of an encoded encapsulation (public) key.
    const ENCAPSULATION_KEY_LEN: usize;
    /// Length of an encoded decapsulation (private) key.
    const DECAPSULATION_KEY_LEN: usize;
    /// Length of a ciphertext.
    const CIPHERTEXT_LEN: usize;
    /// Length of the shared secret (32 for every KEM here).
    const SHARED_SECRET_LEN: usize = SHARED_SECRET_LEN;
    /// Length of the randomness key generation takes (the deterministic variant's seed).
    const KEYGEN_SEED_LEN: usize;
    /// Length of the randomness encapsulation takes (the deterministic variant's seed).
    const ENCAPS_SEED_LEN: usize;
}

/// Every KEM of this API has a 32-byte shared secret (FIPS 203 §8; X-Wing §5.1).
const SHARED_SECRET_LEN: usize = 32;

pub(crate) mod sealed {
    use super::{Error, SecretInner, SharedSecret};

    /// The private state of a [`super::DecapsulationKey`]; every variant zeroizes itself
    /// on drop. Public only inside this unreachable module, for [`Sealed`]'s signatures.
    pub struct Secret(pub(super) SecretInner);

    /// What [`Error::InvalidLength`] calls each input of a KEM, e.g.
    /// `"X-Wing encapsulation key"`.
    pub struct Labels {
        pub(crate) encapsulation_key: &'static str,
        pub(crate) decapsulation_key: &'static str,
        pub(crate) ciphertext: &'static str,
        pub(crate) keygen_seed: &'static str,
        pub(crate) encaps_seed: &'static str,
    }

    /// Builds the [`Labels`] of the KEM named `$name` (a string literal).
    macro_rules! labels {
        ($name:literal) => {
            $crate::kem_api::sealed::Labels {
                encapsulation_key: concat!($name, " encapsulation key"),
                decapsulation_key: concat!($name, " decapsulation key"),
                ciphertext: concat!($name, " ciphertext"),
                keygen_seed: concat!($name, " key generation seed"),
                encaps_seed: concat!($name, " encapsulation seed"),
            }
        };
    }
    pub(crate) use labels;

    /// The per-KEM operations, hidden from users (who cannot implement [`super::Kem`]).
    pub trait Sealed {
        /// Names for length errors.
        const LABELS: Labels;

        /// Deterministic key generation from exactly `KEYGEN_SEED_LEN` bytes: the
        /// private state and the encoded encapsulation key.
        fn keygen(seed: &[u8]) -> Result<(Secret, Vec<u8>), Error>;

        /// Parses an encoded decapsulation key (length already checked), with the input
        /// checks of the KEM's spec; returns the private state and encapsulation key.
        fn parse_decapsulation_key(bytes: &[u8]) -> Result<(Secret, Vec<u8>), Error>;

        /// Encapsulates to an encapsulation key (length already checked) with exactly
        /// `ENCAPS_SEED_LEN` bytes of randomness; appends the ciphertext to `ct`.
        fn encapsulate(ek: &[u8], seed: &[u8], ct: &mut Vec<u8>) -> Result<SharedSecret, Error>;
    }
}

// A key holds exactly one variant, never in a collection: boxing the larger ones would
// add an allocation and an indirection per key for no saving.
#[allow(clippy::large_enum_variant)]
enum SecretInner {
    MlKem512(mlkem::DecapsulationKey<1632>),
    MlKem768(mlkem::DecapsulationKey<2400>),
    MlKem1024(mlkem::DecapsulationKey<3168>),
    XWing(xwing::ExpandedKey),
}

impl Secret {
    pub(crate) fn xwing(key: xwing::ExpandedKey) -> Self {
        Secret(SecretInner::XWing(key))
    }

    /// The encoded decapsulation key.
    fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            SecretInner::MlKem512(k) => k.as_bytes(),
            SecretInner::MlKem768(k) => k.as_bytes(),
            SecretInner::MlKem1024(k) => k.as_bytes(),
            SecretInner::XWing(k) => k.seed(),
        }
    }

    /// Decapsulates `ct` (whose length the [`Ciphertext`] type guarantees); `ek` is the
    /// key's own encapsulation key.
    fn decapsulate(&self, ek: &[u8], ct: &[u8]) -> Result<SharedSecret, Error> {
        let mut ss = SecretBuf::new(Vec::with_capacity(SHARED_SECRET_LEN));
        match &self.0 {
            SecretInner::MlKem512(k) => mlkem::MlKem512::decapsulate(k, ct, &mut ss)?,
            SecretInner::MlKem768(k) => mlkem::MlKem768::decapsulate(k, ct, &mut ss)?,
            SecretInner::MlKem1024(k) => mlkem::MlKem1024::decapsulate(k, ct, &mut ss)?,
            SecretInner::XWing(k) => return xwing::decapsulate(k, ek, ct),
        }
        Ok(SharedSecret::from_component(&ss))
    }
}

/// A 32-byte shared secret from encapsulation or decapsulation.
///
/// Zeroized on drop; `==` compares in constant time; `Debug` does not print it.
///
/// ```
/// use pqhkex::kem_api::{DecapsulationKey, MlKem768};
/// let dk = DecapsulationKey::<MlKem768>::generate()?;
/// let (ct, ss) = dk.encapsulation_key().encapsulate()?;
/// assert_eq!(ss.as_bytes().len(), 32);
/// assert_eq!(format!("{ss:?}"), "SharedSecret(..)");
/// assert!(ss == dk.decapsulate(&ct)?);
/// # Ok::<(), pqhkex::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret([u8; SHARED_SECRET_LEN]);

impl SharedSecret {
    /// The secret bytes. Keep them secret; prefer feeding them straight into a KDF.
    pub fn as_bytes(&self) -> &[u8; SHARED_SECRET_LEN] {
        &self.0
    }

    pub(crate) fn from_array(bytes: [u8; SHARED_SECRET_LEN]) -> Self {
        SharedSecret(bytes)
    }

    /// Copies a component's 32-byte secret (its length is fixed by the component,
    /// never by input).
    fn from_component(ss: &SecretBuf) -> Self {
        let mut out = [0u8; SHARED_SECRET_LEN];
        out.copy_from_slice(ss);
        SharedSecret(out)
    }
}

impl PartialEq for SharedSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SharedSecret {}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

impl AsRef<[u8]> for SharedSecret {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Fails with [`Error::InvalidLength`] unless `bytes` is exactly `expected` long.
pub(crate) fn check_exact(what: &'static str, bytes: &[u8], expected: usize) -> Result<(), Error> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(Error::InvalidLength {
            what,
            expected,
            actual: bytes.len(),
        })
    }
}

/// Writes `bytes.len()` and the first bytes in hex, for the public types' `Debug`.
fn debug_public(f: &mut fmt::Formatter<'_>, ty: &str, name: &str, bytes: &[u8]) -> fmt::Result {
    write!(f, "{ty}<{name}>({} bytes: ", bytes.len())?;
    for b in bytes.iter().take(8) {
        write!(f, "{b:02x}")?;
    }
    f.write_str("..)")
}

/// An encapsulation (public) key of KEM `K`.
///
/// For [`XWing`]: ML-KEM-768 `ek` ‖ X25519 public key (1216 bytes); for ML-KEM: the
/// FIPS 203 `ek`.
///
/// ```
/// use pqhkex::kem_api::{EncapsulationKey, XWing};
/// let err = EncapsulationKey::<XWing>::from_bytes(&[0u8; 1215]).unwrap_err();
/// assert_eq!(err, pqhkex::Error::InvalidLength { what: "X-Wing encapsulation key", expected: 1216, actual: 1215 });
/// ```
pub struct EncapsulationKey<K: Kem> {
    bytes: Vec<u8>,
    kem: PhantomData<fn() -> K>,
}

impl<K: Kem> EncapsulationKey<K> {
    /// Parses an encoded encapsulation key, checking its length.
    ///
    /// The content is checked by [`encapsulate`](Self::encapsulate): for ML-KEM (and the
    /// ML-KEM half of X-Wing) the FIPS 203 §7.2 modulus check runs there.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        check_exact(K::LABELS.encapsulation_key, bytes, K::ENCAPSULATION_KEY_LEN)?;
        Ok(Self::from_vec(bytes.to_vec()))
    }

    fn from_vec(bytes: Vec<u8>) -> Self {
        debug_assert_eq!(bytes.len(), K::ENCAPSULATION_KEY_LEN);
        EncapsulationKey {
            bytes,
            kem: PhantomData,
        }
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Encapsulates a fresh shared secret to this key, with randomness from the
    /// operating system. Fails if the key does not pass its KEM's checks (an ML-KEM key
    /// with a coefficient not reduced mod q, FIPS 203 §7.2) or the RNG fails.
    pub fn encapsulate(&self) -> Result<(Ciphertext<K>, SharedSecret), Error> {
        let mut seed = Zeroizing::new([0u8; 64]);
        let seed = &mut seed[..K::ENCAPS_SEED_LEN];
        kem::fill_random(seed)?;
        self.encapsulate_derand(seed)
    }

    /// Deterministic encapsulation with exactly `K::ENCAPS_SEED_LEN` bytes (hazmat).
    pub(crate) fn encapsulate_derand(
        &self,
        seed: &[u8],
    ) -> Result<(Ciphertext<K>, SharedSecret), Error> {
        check_exact(K::LABELS.encaps_seed, seed, K::ENCAPS_SEED_LEN)?;
        let mut ct = Vec::with_capacity(K::CIPHERTEXT_LEN);
        let ss = K::encapsulate(&self.bytes, seed, &mut ct)?;
        debug_assert_eq!(ct.len(), K::CIPHERTEXT_LEN);
        Ok((
            Ciphertext {
                bytes: ct,
                kem: PhantomData,
            },
            ss,
        ))
    }
}

// By hand: a derive would require `K: Clone + PartialEq + Hash` of the marker type.
impl<K: Kem> Clone for EncapsulationKey<K> {
    fn clone(&self) -> Self {
        EncapsulationKey {
            bytes: self.bytes.clone(),
            kem: PhantomData,
        }
    }
}

impl<K: Kem> PartialEq for EncapsulationKey<K> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<K: Kem> Eq for EncapsulationKey<K> {}

impl<K: Kem> core::hash::Hash for EncapsulationKey<K> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl<K: Kem> AsRef<[u8]> for EncapsulationKey<K> {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl<K: Kem> fmt::Debug for EncapsulationKey<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_public(f, "EncapsulationKey", K::NAME, &self.bytes)
    }
}

/// A ciphertext of KEM `K`.
///
/// For [`XWing`]: ML-KEM-768 ciphertext ‖ X25519 ephemeral public key (1120 bytes).
///
/// ```
/// use pqhkex::kem_api::{Ciphertext, MlKem1024};
/// assert!(Ciphertext::<MlKem1024>::from_bytes(&[0u8; 1568]).is_ok());
/// assert!(Ciphertext::<MlKem1024>::from_bytes(&[0u8; 1569]).is_err());
/// ```
pub struct Ciphertext<K: Kem> {
    bytes: Vec<u8>,
    kem: PhantomData<fn() -> K>,
}

impl<K: Kem> Ciphertext<K> {
    /// Parses a ciphertext, checking its length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        check_exact(K::LABELS.ciphertext, bytes, K::CIPHERTEXT_LEN)?;
        Ok(Ciphertext {
            bytes: bytes.to_vec(),
            kem: PhantomData,
        })
    }

    /// The encoded ciphertext.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

// By hand: a derive would require `K: Clone + PartialEq + Hash` of the marker type.
impl<K: Kem> Clone for Ciphertext<K> {
    fn clone(&self) -> Self {
        Ciphertext {
            bytes: self.bytes.clone(),
            kem: PhantomData,
        }
    }
}

impl<K: Kem> PartialEq for Ciphertext<K> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<K: Kem> Eq for Ciphertext<K> {}

impl<K: Kem> core::hash::Hash for Ciphertext<K> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl<K: Kem> AsRef<[u8]> for Ciphertext<K> {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl<K: Kem> fmt::Debug for Ciphertext<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_public(f, "Ciphertext", K::NAME, &self.bytes)
    }
}

/// A decapsulation (private) key of KEM `K`, with its encapsulation key.
///
/// Zeroized on drop; `Debug` prints only the public half. Encoding: for [`XWing`] the
/// 32-byte seed `sk` (draft-connolly-cfrg-xwing-kem §5.2); for ML-KEM the FIPS 203
/// decapsulation key `dk` (its §7.3 hash check runs in [`from_bytes`](Self::from_bytes)).
///
/// ```
/// use pqhkex::kem_api::{DecapsulationKey, XWing};
/// let dk = DecapsulationKey::<XWing>::generate()?;
/// // Store the 32-byte key, load it again: same key pair.
/// let stored = dk.as_bytes().to_vec();
/// let loaded = DecapsulationKey::<XWing>::from_bytes(&stored)?;
/// assert_eq!(loaded.encapsulation_key(), dk.encapsulation_key());
/// # Ok::<(), pqhkex::Error>(())
/// ```
pub struct DecapsulationKey<K: Kem> {
    secret: Secret,
    public: EncapsulationKey<K>,
}

impl<K: Kem> DecapsulationKey<K> {
    /// Generates a key pair with randomness from the operating system.
    pub fn generate() -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0u8; 64]);
        let seed = &mut seed[..K::KEYGEN_SEED_LEN];
        kem::fill_random(seed)?;
        Self::generate_derand(seed)
    }

    /// Deterministic key generation from exactly `K::KEYGEN_SEED_LEN` bytes (hazmat).
    pub(crate) fn generate_derand(seed: &[u8]) -> Result<Self, Error> {
        check_exact(K::LABELS.keygen_seed, seed, K::KEYGEN_SEED_LEN)?;
        let (secret, public) = K::keygen(seed)?;
        Ok(DecapsulationKey {
            secret,
            public: EncapsulationKey::from_vec(public),
        })
    }

    /// Loads an encoded decapsulation key (see the type's documentation), checking its
    /// length and, for ML-KEM, the FIPS 203 §7.3 hash check.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        check_exact(K::LABELS.decapsulation_key, bytes, K::DECAPSULATION_KEY_LEN)?;
        let (secret, public) = K::parse_decapsulation_key(bytes)?;
        Ok(DecapsulationKey {
            secret,
            public: EncapsulationKey::from_vec(public),
        })
    }

    /// The encoded decapsulation key. **Secret**: store it only where a private key
    /// belongs.
    pub fn as_bytes(&self) -> &[u8] {
        self.secret.as_bytes()
    }

    /// The matching encapsulation (public) key.
    pub fn encapsulation_key(&self) -> &EncapsulationKey<K> {
        &self.public
    }

    /// Recovers the shared secret from a ciphertext made for this key.
    ///
    /// A ciphertext that was tampered with does not fail: ML-KEM's implicit rejection
    /// (FIPS 203 Algorithm 18) and X-Wing's combiner yield an unrelated secret instead,
    /// so the failure shows up where the secret is used (an AEAD tag check).
    pub fn decapsulate(&self, ct: &Ciphertext<K>) -> Result<SharedSecret, Error> {
        self.secret.decapsulate(&self.public.bytes, &ct.bytes)
    }
}

impl<K: Kem> fmt::Debug for DecapsulationKey<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecapsulationKey")
            .field("kem", &K::NAME)
            .field("encapsulation_key", &self.public)
            .finish_non_exhaustive()
    }
}

/// Defines a stand-alone ML-KEM parameter set over its `kem::mlkem` component.
macro_rules! mlkem_kem {
    ($(#[$doc:meta])* $name:ident, $alg:expr, $label:literal, dk = $dk:literal, variant = $variant:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name;

        impl Kem for $name {
            const NAME: &'static str = $alg.name();
            const ENCAPSULATION_KEY_LEN: usize = $alg.public_len();
            const DECAPSULATION_KEY_LEN: usize = $dk;
            const CIPHERTEXT_LEN: usize = $alg.reply_len();
            const KEYGEN_SEED_LEN: usize = $alg.keygen_seed_len();
            const ENCAPS_SEED_LEN: usize = $alg.encaps_seed_len();
        }

        impl sealed::Sealed for $name {
            const LABELS: sealed::Labels = sealed::labels!($label);

            /// FIPS 203 Algorithm 16, `ML-KEM.KeyGen_internal(d, z)`: `seed` is `d ‖ z`.
            fn keygen(seed: &[u8]) -> Result<(Secret, Vec<u8>), Error> {
                let mut ek = Vec::with_capacity(Self::ENCAPSULATION_KEY_LEN);
                let dk = mlkem::$variant::keygen(seed, &mut ek)?;
                Ok((Secret(SecretInner::$variant(dk)), ek))
            }

            fn parse_decapsulation_key(bytes: &[u8]) -> Result<(Secret, Vec<u8>), Error> {
                // FIPS 203 §7.3, decapsulation input checking: the length (checked by the
                // caller) and the hash check H(ek) = h, where dk = dk_PKE ‖ ek ‖ h ‖ z.
                let refused = || Error::InvalidSeed {
                    algorithm: $alg,
                    reason: "decapsulation key fails the FIPS 203 §7.3 hash check",
                };
                if !mlkem::decapsulation_key_hash_check($alg, bytes) {
                    return Err(refused());
                }
                let dk = mlkem::DecapsulationKey::from_bytes(bytes).ok_or_else(refused)?;
                let ek_start = $dk - Self::ENCAPSULATION_KEY_LEN - 64;
                let ek = bytes[ek_start..ek_start + Self::ENCAPSULATION_KEY_LEN].to_vec();
                Ok((Secret(SecretInner::$variant(dk)), ek))
            }

            /// FIPS 203 Algorithm 17 after the §7.2 checks (in the component).
            fn encapsulate(ek: &[u8], seed: &[u8], ct: &mut Vec<u8>) -> Result<SharedSecret, Error> {
                let mut ss = SecretBuf::new(Vec::with_capacity(SHARED_SECRET_LEN));
                mlkem::$variant::encapsulate(ek, seed, ct, &mut ss)?;
                Ok(SharedSecret::from_component(&ss))
            }
        }
    };
}

mlkem_kem! {
    /// ML-KEM-512 (FIPS 203), NIST category 1: ek 800, dk 1632, ciphertext 768 bytes.
    ///
    /// ```
    /// use pqhkex::kem_api::{DecapsulationKey, MlKem512};
    /// let dk = DecapsulationKey::<MlKem512>::generate()?;
    /// let (ct, ss) = dk.encapsulation_key().encapsulate()?;
    /// assert_eq!(dk.decapsulate(&ct)?, ss);
    /// # Ok::<(), pqhkex::Error>(())
    /// ```
    MlKem512, Algorithm::MlKem512, "ML-KEM-512", dk = 1632, variant = MlKem512
}

mlkem_kem! {
    /// ML-KEM-768 (FIPS 203), NIST category 3: ek 1184, dk 2400, ciphertext 1088 bytes.
    ///
    /// ```
    /// use pqhkex::kem_api::{DecapsulationKey, MlKem768};
    /// let dk = DecapsulationKey::<MlKem768>::generate()?;
    /// let (ct, ss) = dk.encapsulation_key().encapsulate()?;
    /// assert_eq!(dk.decapsulate(&ct)?, ss);
    /// # Ok::<(), pqhkex::Error>(())
    /// ```
    MlKem768, Algorithm::MlKem768, "ML-KEM-768", dk = 2400, variant = MlKem768
}

mlkem_kem! {
    /// ML-KEM-1024 (FIPS 203), NIST category 5: ek 1568, dk 3168, ciphertext 1568 bytes.
    ///
    /// ```
    /// use pqhkex::kem_api::{DecapsulationKey, MlKem1024};
    /// let dk = DecapsulationKey::<MlKem1024>::generate()?;
    /// let (ct, ss) = dk.encapsulation_key().encapsulate()?;
    /// assert_eq!(dk.decapsulate(&ct)?, ss);
    /// # Ok::<(), pqhkex::Error>(())
    /// ```
    MlKem1024, Algorithm::MlKem1024, "ML-KEM-1024", dk = 3168, variant = MlKem1024
}
