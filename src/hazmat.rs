//! Deterministic entry points for known-answer tests. **Hazardous: never use these in
//! production.** A key exchange is only secure with fresh randomness for every
//! handshake; these functions take it from the caller instead.
//!
//! Only compiled with the `hazmat` cargo feature. They run exactly the code the rustls
//! groups run, with the operating-system randomness replaced by the given seeds:
//!
//! * key generation: ML-KEM `d ‖ z` (64 bytes, FIPS 203 Algorithm 16), X25519 scalar
//!   (32), P-256 scalar (32, big-endian), P-384 scalar (48);
//! * encapsulation: ML-KEM `m` (32, FIPS 203 Algorithm 17), or the server's ephemeral
//!   ECDH scalar.
//!
//! ```
//! use pqhkex::{groups, hazmat};
//! let g = &groups::X25519MLKEM768;
//! let client = hazmat::client_start(g, &[&[1u8; 64], &[2u8; 32]]).unwrap();
//! assert_eq!(client.share().len(), 1216);
//! let (server_share, server_secret) = hazmat::server_encapsulate(g, client.share(), &[&[3u8; 32], &[4u8; 32]]).unwrap();
//! let client_secret = client.complete(&server_share).unwrap();
//! assert_eq!(&client_secret[..], &server_secret[..]);
//! ```

use crate::error::Error;
use crate::groups::Group;
use crate::hybrid::{self, ClientState};
use crate::kem::{self, mlkem, Algorithm, Backend, PrivateKey, SecretBuf, Seed};

/// A client's key share made from fixed seeds.
pub struct ClientKeyShare(ClientState);

impl ClientKeyShare {
    /// The client key share as sent on the wire.
    pub fn share(&self) -> &[u8] {
        &self.0.share
    }

    /// Completes with the server's share, giving the combined secret.
    pub fn complete(&self, server_share: &[u8]) -> Result<SecretBuf, Error> {
        self.0.complete(server_share)
    }

    /// The serialized ML-KEM decapsulation key `dk` of component `index`, if it is an
    /// ML-KEM (or Kyber) component.
    pub fn decapsulation_key(&self, index: usize) -> Option<SecretBuf> {
        self.0.keys().get(index)?.decapsulation_key()
    }

    /// The backend that generated component `index`'s key (and decapsulates with it), so
    /// a test can prove which implementation it exercised.
    ///
    /// ```
    /// use pqhkex::{groups, hazmat, Algorithm, Backend};
    /// let client = hazmat::client_start(&groups::X25519, &[&[1u8; 32]]).unwrap();
    /// assert_eq!(client.backend(0), Some(Backend::for_algorithm(Algorithm::X25519)));
    /// ```
    pub fn backend(&self, index: usize) -> Option<Backend> {
        Some(self.0.keys().get(index)?.backend())
    }
}

/// Client side of `group` with one key-generation seed per component, in wire order.
pub fn client_start(group: &'static Group, seeds: &[&[u8]]) -> Result<ClientKeyShare, Error> {
    hybrid::client_start(group, Some(seeds)).map(ClientKeyShare)
}

/// Server side of `group` with one encapsulation seed per component, in wire order.
/// Returns the server share and the combined secret.
pub fn server_encapsulate(
    group: &'static Group,
    client_share: &[u8],
    seeds: &[&[u8]],
) -> Result<(Vec<u8>, SecretBuf), Error> {
    hybrid::server_encapsulate(group, client_share, Some(seeds))
}

/// One component's key generation: returns the serialized private key (ML-KEM `dk`,
/// or the ECDH scalar as given) and the public share.
pub fn keygen(algorithm: Algorithm, seed: &[u8]) -> Result<(SecretBuf, Vec<u8>), Error> {
    let mut public = Vec::with_capacity(algorithm.public_len());
    let key = kem::keygen(algorithm, Seed::Fixed(seed), &mut public)?;
    let private = key
        .decapsulation_key()
        .unwrap_or_else(|| SecretBuf::new(seed.to_vec()));
    Ok((private, public))
}

/// One component's encapsulation (with all the peer-input checks): returns the reply
/// share (ciphertext or ephemeral public key) and the component's shared secret.
pub fn encapsulate(
    algorithm: Algorithm,
    peer_public: &[u8],
    seed: &[u8],
) -> Result<(Vec<u8>, SecretBuf), Error> {
    let mut reply = Vec::with_capacity(algorithm.reply_len());
    let mut secret = SecretBuf::new(Vec::with_capacity(algorithm.secret_len()));
    kem::encapsulate(
        algorithm,
        peer_public,
        Seed::Fixed(seed),
        &mut reply,
        &mut secret,
    )?;
    Ok((reply, secret))
}

/// One component's decapsulation from a serialized private key (ML-KEM `dk`, or an
/// ECDH scalar), with the peer-input checks.
///
/// For ML-KEM the FIPS 203 §7.3 decapsulation-key checks run first: the length, and
/// the hash check `H(ek) = h`. A failure is reported as [`Error::InvalidSeed`].
pub fn decapsulate(
    algorithm: Algorithm,
    private_key: &[u8],
    reply: &[u8],
) -> Result<SecretBuf, Error> {
    let bad_key = |reason| Error::InvalidSeed { algorithm, reason };
    let key = match algorithm {
        Algorithm::MlKem512 | Algorithm::MlKem768 | Algorithm::MlKem1024 => {
            if !mlkem::decapsulation_key_hash_check(algorithm, private_key) {
                return Err(bad_key(
                    "decapsulation key fails the FIPS 203 §7.3 length or hash check",
                ));
            }
            match algorithm {
                Algorithm::MlKem512 => mlkem::DecapsulationKey::from_bytes(private_key)
                    .map(|k| PrivateKey::MlKem512(Box::new(k))),
                Algorithm::MlKem768 => mlkem::DecapsulationKey::from_bytes(private_key)
                    .map(|k| PrivateKey::MlKem768(Box::new(k))),
                _ => mlkem::DecapsulationKey::from_bytes(private_key)
                    .map(|k| PrivateKey::MlKem1024(Box::new(k))),
            }
            .ok_or_else(|| bad_key("wrong decapsulation key length"))?
        }
        #[cfg(feature = "legacy-kyber")]
        Algorithm::Kyber768 => mlkem::DecapsulationKey::from_bytes(private_key)
            .map(|k| PrivateKey::Kyber768(Box::new(k)))
            .ok_or_else(|| bad_key("wrong decapsulation key length"))?,
        _ => {
            let mut scratch = Vec::new();
            kem::keygen(algorithm, Seed::Fixed(private_key), &mut scratch)?
        }
    };
    let mut secret = SecretBuf::new(Vec::with_capacity(algorithm.secret_len()));
    key.decapsulate(reply, &mut secret)?;
    Ok(secret)
}

/// Deterministic key generation for a KEM of the [`kem_api`](crate::kem_api), from
/// exactly `K::KEYGEN_SEED_LEN` bytes: for X-Wing the decapsulation key `sk` itself,
/// `GenerateKeyPairDerand(sk)` (draft-connolly-cfrg-xwing-kem §5.2.1); for ML-KEM
/// `d ‖ z` (FIPS 203 Algorithm 16). A seed of another length gives
/// [`Error::InvalidLength`].
///
/// ```
/// use pqhkex::{hazmat, kem_api::XWing};
/// let dk = hazmat::kem_keygen::<XWing>(&[7u8; 32]).unwrap();
/// let (ct, ss) = hazmat::kem_encapsulate(dk.encapsulation_key(), &[9u8; 64]).unwrap();
/// assert_eq!(dk.decapsulate(&ct).unwrap(), ss);
/// // Same seeds, same outputs.
/// let again = hazmat::kem_keygen::<XWing>(&[7u8; 32]).unwrap();
/// assert_eq!(again.encapsulation_key(), dk.encapsulation_key());
/// assert_eq!(hazmat::kem_encapsulate(again.encapsulation_key(), &[9u8; 64]).unwrap(), (ct, ss));
/// ```
pub fn kem_keygen<K: crate::kem_api::Kem>(
    seed: &[u8],
) -> Result<crate::kem_api::DecapsulationKey<K>, Error> {
    crate::kem_api::DecapsulationKey::generate_derand(seed)
}

/// Deterministic encapsulation for a KEM of the [`kem_api`](crate::kem_api), with
/// exactly `K::ENCAPS_SEED_LEN` bytes of randomness: for X-Wing `eseed`,
/// `EncapsulateDerand(pk, eseed)` (draft-connolly-cfrg-xwing-kem §5.4.1); for ML-KEM `m`
/// (FIPS 203 Algorithm 17). The same checks run as in
/// [`EncapsulationKey::encapsulate`](crate::kem_api::EncapsulationKey::encapsulate).
pub fn kem_encapsulate<K: crate::kem_api::Kem>(
    encapsulation_key: &crate::kem_api::EncapsulationKey<K>,
    seed: &[u8],
) -> Result<(crate::kem_api::Ciphertext<K>, crate::kem_api::SharedSecret), Error> {
    encapsulation_key.encapsulate_derand(seed)
}

/// The client of the SSH method `mlkem768x25519-sha256` ([`crate::ssh`]) from fixed
/// seeds: ML-KEM-768 `d ‖ z` (64 bytes, FIPS 203 Algorithm 16) and the X25519 scalar
/// (32 bytes). A seed of another length gives [`Error::InvalidSeed`].
///
/// ```
/// use pqhkex::hazmat;
/// let client = hazmat::ssh_client_start(&[1u8; 64], &[2u8; 32]).unwrap();
/// let (s_reply, server_k) = hazmat::ssh_server_respond(client.init_bytes(), &[3u8; 32], &[4u8; 32]).unwrap();
/// assert_eq!(client.finish(&s_reply).unwrap(), server_k);
/// ```
pub fn ssh_client_start(
    mlkem_d_z: &[u8],
    x25519_scalar: &[u8],
) -> Result<crate::ssh::ClientKeyShare, Error> {
    crate::ssh::client_start_seeded(Some(&[mlkem_d_z, x25519_scalar]))
}

/// The server of the SSH method `mlkem768x25519-sha256` ([`crate::ssh`]) with fixed
/// randomness: ML-KEM-768 `m` (32 bytes, FIPS 203 Algorithm 17) and the X25519
/// ephemeral scalar (32 bytes). Returns `S_REPLY` and `K`, after the same checks as
/// [`MlKem768X25519Sha256::server_respond`](crate::ssh::MlKem768X25519Sha256::server_respond).
pub fn ssh_server_respond(
    c_init: &[u8],
    mlkem_m: &[u8],
    x25519_scalar: &[u8],
) -> Result<(Vec<u8>, crate::ssh::SharedSecret), Error> {
    crate::ssh::server_respond_seeded(c_init, Some(&[mlkem_m, x25519_scalar]))
}
