//! X-Wing, the general-purpose hybrid KEM of X25519 and ML-KEM-768
//! (draft-connolly-cfrg-xwing-kem-06 through -10; the construction and test vectors
//! have not changed between them).
//!
//! X-Wing is a KEM for use outside TLS (in TLS, use the X25519MLKEM768 group): it is
//! IND-CCA secure if either X25519 or ML-KEM-768 is, with SHA3 modelled as a random
//! oracle. It is used through the generic [`kem_api`](crate::kem_api):
//!
//! ```
//! use pqhkex::kem_api::{DecapsulationKey, XWing};
//! let dk = DecapsulationKey::<XWing>::generate()?;
//! let (ct, ss) = dk.encapsulation_key().encapsulate()?;
//! assert_eq!(ct.as_bytes().len(), pqhkex::xwing::CIPHERTEXT_LEN);
//! assert_eq!(dk.decapsulate(&ct)?, ss);
//! # Ok::<(), pqhkex::Error>(())
//! ```
//!
//! The construction (draft §5), with the ML-KEM-768 and X25519 components of the
//! crate's TLS groups:
//!
//! * the decapsulation key is a 32-byte seed `sk`; SHAKE-256(sk) gives 96 bytes,
//!   `d ‖ z ‖ sk_X`, for ML-KEM-768.KeyGen_internal(d, z) and X25519 (§5.2);
//! * the encapsulation key is `pk_M ‖ pk_X` (1184 + 32 bytes), the ciphertext
//!   `ct_M ‖ ct_X` (1088 + 32 bytes);
//! * the shared secret is SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ `\.//^\`) (§5.3).
//!
//! Unlike TLS, X-Wing does not abort when the X25519 secret is all zeroes: the draft
//! defines no such check, and `ct_X` and `pk_X` are bound by the combiner. Encapsulation
//! does perform the ML-KEM encapsulation-key check of FIPS 203 §7.2 (draft §4, §5.4).

#![deny(clippy::integer_division_remainder_used)]

use sha3_zeroizing::{Digest, Sha3_256};
use shake::{ExtendableOutput, Shake256, Update, XofReader};
use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;
use crate::kem::{mlkem, x25519::X25519, Algorithm, Component, SecretBuf};
use crate::kem_api::sealed::{self, Secret};
use crate::kem_api::{Kem, SharedSecret};

/// Length of an X-Wing encapsulation key: ML-KEM-768 `ek` ‖ X25519 public key (§5.1).
pub const ENCAPSULATION_KEY_LEN: usize = ML_KEM_EK_LEN + X25519_LEN;
/// Length of an X-Wing decapsulation key, the seed `sk` (§5.1).
pub const DECAPSULATION_KEY_LEN: usize = 32;
/// Length of an X-Wing ciphertext: ML-KEM-768 ciphertext ‖ X25519 ephemeral key (§5.1).
pub const CIPHERTEXT_LEN: usize = ML_KEM_CT_LEN + X25519_LEN;
/// Length of the randomness of X-Wing encapsulation, `eseed` (§5.4.1): ML-KEM's `m`
/// then the X25519 ephemeral scalar.
pub const ENCAPS_SEED_LEN: usize = 64;
/// The domain-separation label hashed last by the combiner (§5.3), `\.//^\`.
pub const LABEL: &[u8; 6] = b"\\.//^\\";

const ML_KEM_EK_LEN: usize = Algorithm::MlKem768.public_len();
const ML_KEM_CT_LEN: usize = Algorithm::MlKem768.reply_len();
const X25519_LEN: usize = Algorithm::X25519.public_len();
/// SHAKE-256 output of key expansion: ML-KEM `d ‖ z`, then the X25519 scalar (§5.2).
const EXPANDED_LEN: usize =
    Algorithm::MlKem768.keygen_seed_len() + Algorithm::X25519.keygen_seed_len();

/// The X-Wing KEM (draft-connolly-cfrg-xwing-kem): use it through
/// [`kem_api`](crate::kem_api).
///
/// ```
/// use pqhkex::kem_api::{Kem, XWing};
/// assert_eq!(XWing::NAME, "X-Wing");
/// assert_eq!(XWing::KEYGEN_SEED_LEN, 32);
/// assert_eq!(XWing::ENCAPS_SEED_LEN, 64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct XWing;

impl Kem for XWing {
    const NAME: &'static str = "X-Wing";
    const ENCAPSULATION_KEY_LEN: usize = ENCAPSULATION_KEY_LEN;
    const DECAPSULATION_KEY_LEN: usize = DECAPSULATION_KEY_LEN;
    const CIPHERTEXT_LEN: usize = CIPHERTEXT_LEN;
    const KEYGEN_SEED_LEN: usize = DECAPSULATION_KEY_LEN;
    const ENCAPS_SEED_LEN: usize = ENCAPS_SEED_LEN;
}

/// The result of `expandDecapsulationKey(sk)` (§5.2), cached as §5.5.1 allows; it never
/// leaves this process (§5.5.1: an expanded key MUST NOT be transmitted), only `sk` is
/// encoded. Every field zeroizes itself on drop.
pub(crate) struct ExpandedKey {
    sk: Zeroizing<[u8; DECAPSULATION_KEY_LEN]>,
    sk_m: mlkem::DecapsulationKey<2400>,
    sk_x: StaticSecret,
}

impl ExpandedKey {
    /// The encoded decapsulation key `sk`.
    pub(crate) fn seed(&self) -> &[u8] {
        &self.sk[..]
    }
}

/// `expandDecapsulationKey(sk)` (§5.2): returns the expanded key and `pk_M ‖ pk_X`.
fn expand(sk: &[u8]) -> Result<(ExpandedKey, Vec<u8>), Error> {
    let mut seed = Zeroizing::new([0u8; DECAPSULATION_KEY_LEN]);
    seed.copy_from_slice(sk);
    // §5.2: expanded = SHAKE256(sk, 96 * 8).
    let mut expanded = Zeroizing::new([0u8; EXPANDED_LEN]);
    let mut shake = Shake256::default();
    shake.update(sk);
    shake.finalize_xof().read(&mut expanded[..]);
    let (d_z, sk_x_bytes) = expanded.split_at(Algorithm::MlKem768.keygen_seed_len());
    let mut pk = Vec::with_capacity(ENCAPSULATION_KEY_LEN);
    // (pk_M, sk_M) = ML-KEM-768.KeyGen_internal(expanded[0:32], expanded[32:64]).
    let sk_m = mlkem::MlKem768::keygen(d_z, &mut pk)?;
    // sk_X = expanded[64:96]; pk_X = X25519(sk_X, X25519_BASE).
    let sk_x = X25519::keygen(sk_x_bytes, &mut pk)?;
    debug_assert_eq!(pk.len(), ENCAPSULATION_KEY_LEN);
    Ok((
        ExpandedKey {
            sk: seed,
            sk_m,
            sk_x,
        },
        pk,
    ))
}

/// `Combiner(ss_M, ss_X, ct_X, pk_X)` (§5.3); `ss_m_x` is `ss_M ‖ ss_X`, in the order the
/// components appended them.
fn combine(ss_m_x: &[u8], ct_x: &[u8], pk_x: &[u8]) -> SharedSecret {
    let mut hash = Sha3_256::new();
    Digest::update(&mut hash, ss_m_x);
    Digest::update(&mut hash, ct_x);
    Digest::update(&mut hash, pk_x);
    // §5.3: XWingLabel comes last.
    Digest::update(&mut hash, LABEL);
    let mut out = hash.finalize();
    let ss = SharedSecret::from_array(out.into());
    out.zeroize();
    ss
}

/// `Decapsulate(ct, sk)` (§5.5) with the cached expansion of `sk`; `pk` is its
/// encapsulation key, `ct` has the length [`CIPHERTEXT_LEN`].
pub(crate) fn decapsulate(key: &ExpandedKey, pk: &[u8], ct: &[u8]) -> Result<SharedSecret, Error> {
    // §5.5: ct_M = ct[0:1088], ct_X = ct[1088:1120].
    let (ct_m, ct_x) = ct.split_at(ML_KEM_CT_LEN);
    let mut ss_m_x = SecretBuf::new(Vec::with_capacity(64));
    // ss_M = ML-KEM-768.Decapsulate(ct_M, sk_M) (implicit rejection; draft §4: no §7.3
    // check is required, sk_M comes from our own seed).
    mlkem::MlKem768::decapsulate(&key.sk_m, ct_m, &mut ss_m_x)?;
    // ss_X = X25519(sk_X, ct_X), all-zero result included.
    X25519::decapsulate_allow_zero(&key.sk_x, ct_x, &mut ss_m_x)?;
    Ok(combine(&ss_m_x, ct_x, &pk[ML_KEM_EK_LEN..]))
}

impl sealed::Sealed for XWing {
    const LABELS: sealed::Labels = sealed::labels!("X-Wing");

    /// `GenerateKeyPairDerand(sk)` (§5.2.1).
    fn keygen(seed: &[u8]) -> Result<(Secret, Vec<u8>), Error> {
        let (key, pk) = expand(seed)?;
        Ok((Secret::xwing(key), pk))
    }

    /// The encoding is `sk` itself (§5.1, §5.6), expanded again.
    fn parse_decapsulation_key(bytes: &[u8]) -> Result<(Secret, Vec<u8>), Error> {
        Self::keygen(bytes)
    }

    /// `EncapsulateDerand(pk, eseed)` (§5.4.1); `Encapsulate(pk)` with a random `eseed`.
    fn encapsulate(pk: &[u8], eseed: &[u8], ct: &mut Vec<u8>) -> Result<SharedSecret, Error> {
        // §5.4: pk_M = pk[0:1184], pk_X = pk[1184:1216].
        let (pk_m, pk_x) = pk.split_at(ML_KEM_EK_LEN);
        // eseed[0:32] is ML-KEM's m, eseed[32:64] is ek_X (§5.4.1).
        let (m, ek_x) = eseed.split_at(Algorithm::MlKem768.encaps_seed_len());
        let mut ss_m_x = SecretBuf::new(Vec::with_capacity(64));
        // (ss_M, ct_M) = ML-KEM-768.Encaps_internal(pk_M, m). Draft §4 and §5.4: it MUST
        // perform the FIPS 203 §7.2 encapsulation-key check and fail if it fails; the
        // component does (length and modulus check).
        let start = ct.len();
        mlkem::MlKem768::encapsulate(pk_m, m, ct, &mut ss_m_x)?;
        // ct_X = X25519(ek_X, X25519_BASE), ss_X = X25519(ek_X, pk_X); ct = ct_M ‖ ct_X.
        X25519::encapsulate_allow_zero(pk_x, ek_x, ct, &mut ss_m_x)?;
        Ok(combine(&ss_m_x, &ct[start + ML_KEM_CT_LEN..], pk_x))
    }
}
