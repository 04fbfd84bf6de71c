//! ML-KEM-512/768/1024 (FIPS 203) via `libcrux-ml-kem`, whose portable and AVX2 code
//! is formally verified (hax/F*). The best backend is chosen at run time.
//!
//! The MUST checks of the TLS specs live here:
//! * the server checks the length of the client's encapsulation key and performs the
//!   FIPS 203 §7.2 encapsulation-key (modulus) check — libcrux's `encapsulate` does not;
//! * the client checks the length of the server's ciphertext (FIPS 203 §7.3 "ciphertext
//!   type check").

use libcrux_ml_kem::{MlKemCiphertext, MlKemPrivateKey, MlKemPublicKey};
use zeroize::Zeroize;

use super::{check_len, Algorithm, Component, PrivateKey, SecretBuf};
use crate::error::{Error, KeyShareFault};

/// An ML-KEM decapsulation key (FIPS 203 `dk`), zeroized on drop.
pub(crate) struct DecapsulationKey<const N: usize>(pub(super) MlKemPrivateKey<N>);

#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
impl<const N: usize> DecapsulationKey<N> {
    /// The serialized decapsulation key `dk` (FIPS 203 Algorithm 16 output).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }

    /// Wraps a serialized decapsulation key of exactly `N` bytes.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        MlKemPrivateKey::try_from(bytes).ok().map(Self)
    }
}

impl<const N: usize> Drop for DecapsulationKey<N> {
    fn drop(&mut self) {
        // libcrux's key type has no Zeroize: move the bytes out (leaving zeros behind in
        // place, via `Default`) and wipe the moved copy.
        let mut bytes: [u8; N] = core::mem::take(&mut self.0).into();
        bytes.zeroize();
    }
}

/// Defines one ML-KEM-shaped component over a libcrux module (`keygen`, `encaps`,
/// `decaps`, `validate` are paths to its functions).
macro_rules! mlkem_component {
    (
        $(#[$doc:meta])*
        $name:ident, dk = $dk:literal, ek = $ek:literal, ct = $ct:literal,
        keygen = $keygen:path, encaps = $encaps:path, decaps = $decaps:path,
        validate = $validate:path, label = $label:literal
    ) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl Component for $name {
            type PrivateKey = DecapsulationKey<$dk>;

            /// FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal(d, z): `seed` is `d ‖ z`.
            fn keygen(seed: &[u8], public: &mut Vec<u8>) -> Result<Self::PrivateKey, Error> {
                let mut randomness = [0u8; 64];
                randomness.copy_from_slice(seed);
                let pair = $keygen(randomness);
                randomness.zeroize();
                let (dk, ek) = pair.into_parts();
                public.extend_from_slice(ek.as_ref());
                Ok(DecapsulationKey(dk))
            }

            /// FIPS 203 Algorithm 17, ML-KEM.Encaps_internal(ek, m), after the §7.2 input checks.
            fn encapsulate(
                peer_public: &[u8],
                seed: &[u8],
                reply: &mut Vec<u8>,
                secret: &mut SecretBuf,
            ) -> Result<(), Error> {
                // RFC 10024 §3.1.2, draft-ietf-tls-mlkem §4.2: the client share must have
                // exactly the encapsulation-key length (FIPS 203 §7.2 type check).
                check_len($label, peer_public, $ek)?;
                let ek = MlKemPublicKey::<$ek>::try_from(peer_public).map_err(|_| {
                    Error::InvalidKeyShare {
                        what: $label,
                        fault: KeyShareFault::Length { expected: $ek, actual: peer_public.len() },
                    }
                })?;
                // RFC 10024 §3.1.2 and draft-ietf-tls-mlkem §4.2: the server MUST perform
                // the FIPS 203 §7.2 modulus check (every coefficient below q = 3329) and
                // abort with illegal_parameter. libcrux's encapsulate does not check.
                if !$validate(&ek) {
                    return Err(Error::InvalidKeyShare {
                        what: $label,
                        fault: KeyShareFault::EncapsulationKeyNotReduced,
                    });
                }
                let mut m = [0u8; 32];
                m.copy_from_slice(seed);
                let (ct, mut ss) = $encaps(&ek, m);
                m.zeroize();
                reply.extend_from_slice(ct.as_ref());
                secret.extend_from_slice(&ss);
                ss.zeroize();
                Ok(())
            }

            /// FIPS 203 Algorithm 18, ML-KEM.Decaps_internal(dk, c), after the §7.3
            /// ciphertext type check. Implicit rejection: an invalid ciphertext of the
            /// right length yields a pseudorandom secret, never an error.
            fn decapsulate(
                key: &Self::PrivateKey,
                reply: &[u8],
                secret: &mut SecretBuf,
            ) -> Result<(), Error> {
                // RFC 10024 §3.1.3, draft-ietf-tls-mlkem §4.2: the client MUST check that the
                // ciphertext length matches the parameter set, else illegal_parameter.
                check_len($label, reply, $ct)?;
                let ct = MlKemCiphertext::<$ct>::try_from(reply).map_err(|_| {
                    Error::InvalidKeyShare {
                        what: $label,
                        fault: KeyShareFault::Length { expected: $ct, actual: reply.len() },
                    }
                })?;
                let mut ss = $decaps(&key.0, &ct);
                secret.extend_from_slice(&ss);
                ss.zeroize();
                Ok(())
            }

            fn wrap(key: Self::PrivateKey) -> PrivateKey {
                PrivateKey::$name(key)
            }
        }
    };
}

mlkem_component! {
    /// ML-KEM-512: ek 800, ct 768, dk 1632 bytes.
    MlKem512, dk = 1632, ek = 800, ct = 768,
    keygen = libcrux_ml_kem::mlkem512::generate_key_pair,
    encaps = libcrux_ml_kem::mlkem512::encapsulate,
    decaps = libcrux_ml_kem::mlkem512::decapsulate,
    validate = libcrux_ml_kem::mlkem512::validate_public_key,
    label = "ML-KEM-512"
}

mlkem_component! {
    /// ML-KEM-768: ek 1184, ct 1088, dk 2400 bytes.
    MlKem768, dk = 2400, ek = 1184, ct = 1088,
    keygen = libcrux_ml_kem::mlkem768::generate_key_pair,
    encaps = libcrux_ml_kem::mlkem768::encapsulate,
    decaps = libcrux_ml_kem::mlkem768::decapsulate,
    validate = libcrux_ml_kem::mlkem768::validate_public_key,
    label = "ML-KEM-768"
}

mlkem_component! {
    /// ML-KEM-1024: ek 1568, ct 1568, dk 3168 bytes.
    MlKem1024, dk = 3168, ek = 1568, ct = 1568,
    keygen = libcrux_ml_kem::mlkem1024::generate_key_pair,
    encaps = libcrux_ml_kem::mlkem1024::encapsulate,
    decaps = libcrux_ml_kem::mlkem1024::decapsulate,
    validate = libcrux_ml_kem::mlkem1024::validate_public_key,
    label = "ML-KEM-1024"
}

#[cfg(feature = "legacy-kyber")]
pub(crate) use mlkem_component;

/// FIPS 203 §7.3 decapsulation-key check, "hash check": `H(ek) == h` inside `dk`,
/// where `dk = dk_PKE ‖ ek ‖ h ‖ z`. Runs on public data (ek and its hash) only.
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
pub(crate) fn decapsulation_key_hash_check(algorithm: Algorithm, dk: &[u8]) -> bool {
    use libcrux_ml_kem as l;
    let ct_zero = |len: usize| vec![0u8; len];
    match algorithm {
        Algorithm::MlKem512 => match (
            l::MlKemPrivateKey::<1632>::try_from(dk),
            l::MlKemCiphertext::<768>::try_from(&ct_zero(768)[..]),
        ) {
            (Ok(k), Ok(c)) => l::mlkem512::validate_private_key(&k, &c),
            _ => false,
        },
        Algorithm::MlKem768 => match (
            l::MlKemPrivateKey::<2400>::try_from(dk),
            l::MlKemCiphertext::<1088>::try_from(&ct_zero(1088)[..]),
        ) {
            (Ok(k), Ok(c)) => l::mlkem768::validate_private_key(&k, &c),
            _ => false,
        },
        Algorithm::MlKem1024 => match (
            l::MlKemPrivateKey::<3168>::try_from(dk),
            l::MlKemCiphertext::<1568>::try_from(&ct_zero(1568)[..]),
        ) {
            (Ok(k), Ok(c)) => l::mlkem1024::validate_private_key(&k, &c),
            _ => false,
        },
        _ => false,
    }
}
