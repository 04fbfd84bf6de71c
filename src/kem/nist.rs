//! ECDH over NIST P-256 and P-384 via RustCrypto's `p256` / `p384`, as KEM-shaped
//! components.
//!
//! TLS 1.3 allows only the SEC 1 uncompressed point encoding (RFC 8446 §4.2.8.2); the
//! RustCrypto parsers also accept compressed points and the identity, so the encoding
//! is checked here before parsing.

use super::{check_len, Algorithm, Component, PrivateKey, SecretBuf};
use crate::error::{Error, KeyShareFault};

/// Defines one NIST-curve ECDH component over a RustCrypto curve crate.
macro_rules! nist_component {
    ($(#[$doc:meta])* $name:ident, $krate:ident, $alg:expr, point = $point:literal, label = $label:literal) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl $name {
            /// Parses a peer point: RFC 8446 §4.2.8.2 requires exactly the uncompressed
            /// form `0x04 ‖ X ‖ Y`; the point must be on the curve and not the identity
            /// (RFC 10024 §3.1.2/§3.1.3, SP 800-56A full public-key validation).
            fn parse_peer(peer: &[u8]) -> Result<$krate::PublicKey, Error> {
                check_len($label, peer, $point)?;
                if peer[0] != 0x04 {
                    return Err(Error::InvalidKeyShare {
                        what: $label,
                        fault: KeyShareFault::PointNotUncompressed,
                    });
                }
                // `from_sec1_bytes` checks the curve equation and refuses the identity.
                $krate::PublicKey::from_sec1_bytes(peer).map_err(|_| Error::InvalidKeyShare {
                    what: $label,
                    fault: KeyShareFault::PointNotOnCurve,
                })
            }

            /// ECDH: the shared secret is the x-coordinate of `scalar · peer`
            /// (RFC 8446 §7.4.2), big-endian, field-size bytes.
            fn agree(key: &$krate::SecretKey, peer: &$krate::PublicKey, secret: &mut SecretBuf) {
                // `to_nonzero_scalar` copies the secret scalar; wiped after use.
                let mut scalar = key.to_nonzero_scalar();
                let shared = $krate::ecdh::diffie_hellman(&scalar, peer.as_affine());
                zeroize::Zeroize::zeroize(&mut scalar);
                secret.extend_from_slice(shared.raw_secret_bytes().as_slice());
            }
        }

        impl Component for $name {
            type PrivateKey = $krate::SecretKey;

            /// The seed is the big-endian private scalar, which must lie in [1, n-1].
            fn keygen(seed: &[u8], public: &mut Vec<u8>) -> Result<$krate::SecretKey, Error> {
                let bytes = <&$krate::FieldBytes>::try_from(seed).map_err(|_| Error::InvalidSeed {
                    algorithm: $alg,
                    reason: "wrong scalar length",
                })?;
                let key = $krate::SecretKey::from_bytes(bytes).map_err(|_| Error::InvalidSeed {
                    algorithm: $alg,
                    reason: "scalar is zero or not below the group order",
                })?;
                use $krate::elliptic_curve::sec1::ToSec1Point;
                public.extend_from_slice(key.public_key().as_affine().to_sec1_point(false).as_bytes());
                Ok(key)
            }

            fn encapsulate(
                peer_public: &[u8],
                seed: &[u8],
                reply: &mut Vec<u8>,
                secret: &mut SecretBuf,
            ) -> Result<(), Error> {
                // Validate the peer before spending a scalar multiplication on our key.
                let peer = Self::parse_peer(peer_public)?;
                let start = reply.len();
                let ephemeral = Self::keygen(seed, reply)?;
                Self::agree(&ephemeral, &peer, secret);
                debug_assert_eq!(reply.len() - start, $point);
                Ok(())
            }

            fn decapsulate(
                key: &$krate::SecretKey,
                reply: &[u8],
                secret: &mut SecretBuf,
            ) -> Result<(), Error> {
                let peer = Self::parse_peer(reply)?;
                Self::agree(key, &peer, secret);
                Ok(())
            }

            fn wrap(key: $krate::SecretKey) -> PrivateKey {
                PrivateKey::$name(key)
            }
        }
    };
}

nist_component! {
    /// ECDH over P-256: 65-byte uncompressed points, 32-byte secrets.
    P256, p256, Algorithm::P256, point = 65, label = "P-256"
}

nist_component! {
    /// ECDH over P-384: 97-byte uncompressed points, 48-byte secrets.
    P384, p384, Algorithm::P384, point = 97, label = "P-384"
}
