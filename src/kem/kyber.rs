//! Round-3 Kyber768 (the pre-standard CRYSTALS-Kyber submission) for the legacy
//! X25519Kyber768Draft00 group (draft-tls-westerbaan-xyber768d00). Differs from
//! ML-KEM-768 in the hashing around the KEM; the sizes are the same.
//!
//! The server rejects encapsulation keys whose coefficients are not reduced modulo q, as
//! BoringSSL's Kyber did; the draft itself does not demand it.

use libcrux_ml_kem::{MlKemCiphertext, MlKemPublicKey};
use zeroize::Zeroize;

use super::mlkem::{mlkem_component, DecapsulationKey};
use super::{check_len, Component, PrivateKey, SecretBuf};
use crate::error::{Error, KeyShareFault};

mlkem_component! {
    /// Round-3 Kyber768: pk 1184, ct 1088, sk 2400 bytes.
    Kyber768, dk = 2400, ek = 1184, ct = 1088,
    keygen = libcrux_ml_kem::kyber768::generate_key_pair,
    encaps = libcrux_ml_kem::kyber768::encapsulate,
    decaps = libcrux_ml_kem::kyber768::decapsulate,
    validate = libcrux_ml_kem::kyber768::validate_public_key,
    label = "Kyber768"
}
