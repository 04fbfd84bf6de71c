//! X25519 (RFC 7748) via `x25519-dalek` and `curve25519-dalek`, as a KEM-shaped component.

use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::{check_len, Component, PrivateKey, SecretBuf};
use crate::error::{Error, KeyShareFault};

/// X25519: 32-byte public keys and shared secrets.
pub(crate) struct X25519;

/// An X25519 output, zeroized on drop.
struct SharedSecret(Zeroizing<[u8; 32]>);

impl SharedSecret {
    fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether the output is not all zeros, compared in constant time.
    fn was_contributory(&self) -> bool {
        !bool::from(self.0.ct_eq(&[0u8; 32]))
    }
}

impl X25519 {
    /// RFC 7748 §5: X25519(scalar, peer), after the length check only.
    fn diffie_hellman(scalar: &StaticSecret, peer: &[u8]) -> Result<SharedSecret, Error> {
        // RFC 8446 §4.2.8.2 / RFC 7748 §5: an X25519 share is exactly 32 bytes.
        check_len("X25519", peer, 32)?;
        let mut peer_bytes = [0u8; 32];
        peer_bytes.copy_from_slice(peer);
        // The same function as `scalar.diffie_hellman(..)` (x25519-dalek's Montgomery
        // ladder), computed in Edwards form where that is faster: see `x25519_edwards`.
        let k = Zeroizing::new(scalar.to_bytes());
        Ok(SharedSecret(super::x25519_edwards::x25519(&k, &peer_bytes)))
    }

    /// RFC 7748 §6.1: X25519(scalar, peer). Fails on an all-zero result.
    fn agree(scalar: &StaticSecret, peer: &[u8], secret: &mut SecretBuf) -> Result<(), Error> {
        let shared = Self::diffie_hellman(scalar, peer)?;
        // RFC 8446 §7.4.2 and RFC 7748 §6.1: implementations MUST check whether the
        // computed X25519 secret is all zeroes (a low-order peer point) and abort.
        // Constant-time compare with zero; ct/valgrind.supp names the `if` (x25519.rs:46).
        if !shared.was_contributory() {
            return Err(Error::InvalidKeyShare {
                what: "X25519",
                fault: KeyShareFault::AllZeroSharedSecret,
            });
        }
        secret.extend_from_slice(shared.as_bytes());
        Ok(())
    }

    /// [`Component::encapsulate`] without the TLS all-zero check, for X-Wing:
    /// draft-connolly-cfrg-xwing-kem §5.4 computes `ss_X = X25519(ek_X, pk_X)` and hashes
    /// it whatever its value (the combiner also binds `ct_X` and `pk_X`); unlike TLS it
    /// defines no abort on an all-zero result, so an implementation that aborted would not
    /// interoperate.
    pub(crate) fn encapsulate_allow_zero(
        peer_public: &[u8],
        seed: &[u8],
        reply: &mut Vec<u8>,
        secret: &mut SecretBuf,
    ) -> Result<(), Error> {
        let ephemeral = Self::keygen(seed, reply)?;
        let shared = Self::diffie_hellman(&ephemeral, peer_public)?;
        secret.extend_from_slice(shared.as_bytes());
        Ok(())
    }

    /// [`Component::decapsulate`] without the TLS all-zero check, for X-Wing
    /// (draft-connolly-cfrg-xwing-kem §5.5: `ss_X = X25519(sk_X, ct_X)`, never rejected).
    pub(crate) fn decapsulate_allow_zero(
        key: &StaticSecret,
        reply: &[u8],
        secret: &mut SecretBuf,
    ) -> Result<(), Error> {
        let shared = Self::diffie_hellman(key, reply)?;
        secret.extend_from_slice(shared.as_bytes());
        Ok(())
    }
}

impl Component for X25519 {
    type PrivateKey = StaticSecret;

    /// The seed is the 32-byte scalar; it is clamped as RFC 7748 §5 decodes scalars.
    fn keygen(seed: &[u8], public: &mut Vec<u8>) -> Result<StaticSecret, Error> {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(seed);
        let key = StaticSecret::from(bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        public.extend_from_slice(PublicKey::from(&key).as_bytes());
        Ok(key)
    }

    fn encapsulate(
        peer_public: &[u8],
        seed: &[u8],
        reply: &mut Vec<u8>,
        secret: &mut SecretBuf,
    ) -> Result<(), Error> {
        let ephemeral = Self::keygen(seed, reply)?;
        Self::agree(&ephemeral, peer_public, secret)
    }

    fn decapsulate(key: &StaticSecret, reply: &[u8], secret: &mut SecretBuf) -> Result<(), Error> {
        Self::agree(key, reply, secret)
    }

    fn wrap(key: StaticSecret) -> PrivateKey {
        PrivateKey::X25519(key)
    }
}
