//! The SSH hybrid key exchange `mlkem768x25519-sha256` (RFC 10042, published from
//! draft-ietf-sshm-mlkem-hybrid-kex-10, whose section numbers are cited here; OpenSSH's
//! default since 10.0): the key-share and shared-secret half of it. Framing, the exchange hash and the host-key signature belong
//! to the SSH implementation that calls this module.
//!
//! It is the TLS group X25519MLKEM768 with SSH's combiner, and runs on exactly the
//! components (and the peer-input checks) of that group:
//!
//! * the client sends `C_INIT = C_PK2 ‖ C_PK1` in `SSH_MSG_KEX_HYBRID_INIT` (30, §2.1,
//!   §2.2): its
//!   ML-KEM-768 encapsulation key (1184 bytes), then its X25519 public key (32) —
//!   the post-quantum part first;
//! * the server replies `S_REPLY = S_CT2 ‖ S_PK1` in `SSH_MSG_KEX_HYBRID_REPLY` (31): the
//!   ML-KEM-768 ciphertext (1088 bytes), then its X25519 public key (32);
//! * both sides compute `K = SHA-256(K_PQ ‖ K_CL)` (§2.4, SHA-256 by §2.3.3), where
//!   `K_PQ` is the ML-KEM shared secret and `K_CL` the X25519 output as a fixed 32-byte
//!   array (not an mpint). In the exchange hash and the key derivation (§2.5), `K` is
//!   encoded as an SSH **string**, not an mpint (unlike RFC 4253's `K`).
//!
//! ```
//! use pqhkex::ssh::{ClientKeyShare, MlKem768X25519Sha256};
//!
//! // Client: send init_bytes() as the string C_INIT of SSH_MSG_KEX_HYBRID_INIT.
//! let client = ClientKeyShare::generate()?;
//! assert_eq!(client.init_bytes().len(), MlKem768X25519Sha256::C_INIT_LEN);
//!
//! // Server: S_REPLY for SSH_MSG_KEX_HYBRID_REPLY, and its K.
//! let (s_reply, server_k) = MlKem768X25519Sha256::server_respond(client.init_bytes())?;
//!
//! // Client: the same K.
//! let client_k = client.finish(&s_reply)?;
//! assert_eq!(client_k, server_k);
//! # Ok::<(), pqhkex::Error>(())
//! ```
//!
//! Checks, each a typed [`Error`] and never a panic: `C_INIT` and `S_REPLY` must have
//! exactly their lengths ([`Error::InvalidLength`]); the server runs the FIPS 203 §7.2
//! encapsulation-key check on `C_PK2` ([`Error::InvalidKeyShare`]); either side refuses
//! an all-zero X25519 result (§2.1 requires RFC 8731 §3's checks, which include it).
//! On any of these errors the SSH implementation MUST disconnect with
//! `SSH_DISCONNECT_KEY_EXCHANGE_FAILED` (§2.1). Secrets are zeroized
//! on drop and never printed by `Debug`.

// Secret-handling code: no variable-time integer division (CONSTANT_TIME.md, layer 2).
#![deny(clippy::integer_division_remainder_used)]

use core::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::error::Error;
use crate::groups;
use crate::hybrid::{self, ClientState};
use crate::kem::Algorithm;

pub use crate::kem_api::SharedSecret;

/// The key-exchange method `mlkem768x25519-sha256`: its name, lengths, and the server's
/// operation. The client's operations are on [`ClientKeyShare`].
///
/// ```
/// use pqhkex::ssh::MlKem768X25519Sha256 as M;
/// assert_eq!(M::NAME, "mlkem768x25519-sha256");
/// assert_eq!((M::C_INIT_LEN, M::S_REPLY_LEN, M::SHARED_SECRET_LEN), (1216, 1120, 32));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MlKem768X25519Sha256;

/// Length of `C_PK2`, the ML-KEM-768 encapsulation key.
const C_PK2_LEN: usize = Algorithm::MlKem768.public_len();
/// Length of `S_CT2`, the ML-KEM-768 ciphertext.
const S_CT2_LEN: usize = Algorithm::MlKem768.reply_len();
/// Length of an X25519 public key (`C_PK1`, `S_PK1`).
const X25519_LEN: usize = Algorithm::X25519.public_len();

impl MlKem768X25519Sha256 {
    /// The method's name in `SSH_MSG_KEXINIT`'s kex_algorithms.
    pub const NAME: &'static str = "mlkem768x25519-sha256";
    /// Length of `C_INIT = C_PK2 ‖ C_PK1`: 1184 + 32 bytes.
    pub const C_INIT_LEN: usize = C_PK2_LEN + X25519_LEN;
    /// Length of `S_REPLY = S_CT2 ‖ S_PK1`: 1088 + 32 bytes.
    pub const S_REPLY_LEN: usize = S_CT2_LEN + X25519_LEN;
    /// Length of the shared secret `K` (a SHA-256 output).
    pub const SHARED_SECRET_LEN: usize = 32;

    /// Server side: validates the client's `C_INIT`, encapsulates to its ML-KEM-768 key,
    /// runs X25519 with a fresh key, and returns `S_REPLY` and `K`.
    ///
    /// Fails with [`Error::InvalidLength`] unless `c_init` is exactly
    /// [`C_INIT_LEN`](Self::C_INIT_LEN) bytes; with [`Error::InvalidKeyShare`] if the
    /// ML-KEM key fails the FIPS 203 §7.2 check or the X25519 result is all zero.
    ///
    /// ```
    /// use pqhkex::ssh::MlKem768X25519Sha256 as M;
    /// let err = M::server_respond(&[0u8; 1215]).unwrap_err();
    /// assert_eq!(err, pqhkex::Error::InvalidLength {
    ///     what: "mlkem768x25519-sha256 C_INIT", expected: 1216, actual: 1215 });
    /// ```
    pub fn server_respond(c_init: &[u8]) -> Result<(Vec<u8>, SharedSecret), Error> {
        server_respond_seeded(c_init, None)
    }
}

/// The client's half of an `mlkem768x25519-sha256` exchange: fresh ML-KEM-768 and
/// X25519 keys, and `C_INIT`.
///
/// The private keys are zeroized on drop; `Debug` prints only the public share's length.
///
/// ```
/// let client = pqhkex::ssh::ClientKeyShare::generate()?;
/// assert_eq!(format!("{client:?}"), "ClientKeyShare { method: \"mlkem768x25519-sha256\", c_init: \"1216 bytes\", .. }");
/// # Ok::<(), pqhkex::Error>(())
/// ```
pub struct ClientKeyShare(ClientState);

impl ClientKeyShare {
    /// Generates the client's keys with randomness from the operating system.
    ///
    /// ```
    /// let a = pqhkex::ssh::ClientKeyShare::generate()?;
    /// let b = pqhkex::ssh::ClientKeyShare::generate()?;
    /// assert_ne!(a.init_bytes(), b.init_bytes());
    /// # Ok::<(), pqhkex::Error>(())
    /// ```
    pub fn generate() -> Result<Self, Error> {
        client_start_seeded(None)
    }

    /// `C_INIT = C_PK2 ‖ C_PK1` (1216 bytes), the string of `SSH_MSG_KEX_HYBRID_INIT`.
    ///
    /// ```
    /// let client = pqhkex::ssh::ClientKeyShare::generate()?;
    /// // The ML-KEM-768 encapsulation key first, then the X25519 key.
    /// let (c_pk2, c_pk1) = client.init_bytes().split_at(1184);
    /// assert_eq!(c_pk1.len(), 32);
    /// assert!(pqhkex::kem_api::EncapsulationKey::<pqhkex::kem_api::MlKem768>::from_bytes(c_pk2).is_ok());
    /// # Ok::<(), pqhkex::Error>(())
    /// ```
    pub fn init_bytes(&self) -> &[u8] {
        &self.0.share
    }

    /// Completes the exchange with the server's `S_REPLY`: decapsulates `S_CT2`, runs
    /// X25519 with `S_PK1`, and returns `K = SHA-256(K_PQ ‖ K_CL)`. Consumes the keys.
    ///
    /// Fails with [`Error::InvalidLength`] unless `s_reply` is exactly
    /// [`S_REPLY_LEN`](MlKem768X25519Sha256::S_REPLY_LEN) bytes, and with
    /// [`Error::InvalidKeyShare`] if the X25519 result is all zero. A modified ML-KEM
    /// ciphertext is not an error (FIPS 203 implicit rejection): it gives another `K`,
    /// and so an exchange hash whose host-key signature does not verify.
    ///
    /// ```
    /// let client = pqhkex::ssh::ClientKeyShare::generate()?;
    /// let err = client.finish(&[0u8; 1121]).unwrap_err();
    /// assert_eq!(err, pqhkex::Error::InvalidLength {
    ///     what: "mlkem768x25519-sha256 S_REPLY", expected: 1120, actual: 1121 });
    /// # Ok::<(), pqhkex::Error>(())
    /// ```
    pub fn finish(self, s_reply: &[u8]) -> Result<SharedSecret, Error> {
        check_s_reply(s_reply)?;
        // The group's components in wire order: K_PQ (ML-KEM-768 decapsulation of S_CT2)
        // ‖ K_CL (X25519 with S_PK1; §2.1 requires RFC 8731 §3's checks: all-zero refused).
        let k_pq_k_cl = self.0.complete_once(s_reply)?;
        Ok(combine(&k_pq_k_cl))
    }
}

/// RFC 10042 §2.1: before decapsulating, the client MUST check that S_REPLY is exactly
/// S_CT2 (1088) ‖ S_PK1 (32) long, and abort otherwise.
fn check_s_reply(s_reply: &[u8]) -> Result<(), Error> {
    crate::kem_api::check_exact(
        "mlkem768x25519-sha256 S_REPLY",
        s_reply,
        MlKem768X25519Sha256::S_REPLY_LEN,
    )
}

impl fmt::Debug for ClientKeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKeyShare")
            .field("method", &MlKem768X25519Sha256::NAME)
            .field("c_init", &format_args!("\"{} bytes\"", self.0.share.len()))
            .finish_non_exhaustive()
    }
}

/// RFC 10042 §2.4: `K = HASH(K_PQ ‖ K_CL)`, HASH = SHA-256 for this method (§2.3.3);
/// `k_pq_k_cl` is the two fixed-length component secrets in that order (64 bytes).
fn combine(k_pq_k_cl: &[u8]) -> SharedSecret {
    debug_assert_eq!(k_pq_k_cl.len(), 64);
    let mut out: [u8; 32] = Sha256::digest(k_pq_k_cl).into();
    let k = SharedSecret::from_array(out);
    out.zeroize();
    k
}

/// Client key generation, from OS randomness or (hazmat) one seed per component:
/// ML-KEM-768 `d ‖ z` (64 bytes), then the X25519 scalar (32).
pub(crate) fn client_start_seeded(seeds: Option<&[&[u8]]>) -> Result<ClientKeyShare, Error> {
    // X25519MLKEM768's share is ML-KEM-768 ek ‖ X25519 (RFC 10024 §3.1.2), the same
    // order as C_INIT = C_PK2 ‖ C_PK1 (RFC 10042 §2.1).
    let state = hybrid::client_start(&groups::X25519MLKEM768, seeds)?;
    debug_assert_eq!(state.share.len(), MlKem768X25519Sha256::C_INIT_LEN);
    Ok(ClientKeyShare(state))
}

/// The server's operation, from OS randomness or (hazmat) one seed per component:
/// ML-KEM-768 `m` (32 bytes), then the X25519 ephemeral scalar (32).
pub(crate) fn server_respond_seeded(
    c_init: &[u8],
    seeds: Option<&[&[u8]]>,
) -> Result<(Vec<u8>, SharedSecret), Error> {
    // RFC 10042 §2.1: before producing S_CT2, the server MUST check that C_INIT is
    // exactly C_PK2 (1184) ‖ C_PK1 (32) long.
    crate::kem_api::check_exact(
        "mlkem768x25519-sha256 C_INIT",
        c_init,
        MlKem768X25519Sha256::C_INIT_LEN,
    )?;
    // RFC 10042 §2.1: the server MUST perform the FIPS 203 §7.2 encapsulation-key
    // checks; the ML-KEM component does, and fails with
    // KeyShareFault::EncapsulationKeyNotReduced. X25519 refuses an all-zero K_CL (§2.1:
    // RFC 8731 §3's checks).
    let (s_reply, k_pq_k_cl) = hybrid::server_encapsulate(&groups::X25519MLKEM768, c_init, seeds)?;
    debug_assert_eq!(s_reply.len(), MlKem768X25519Sha256::S_REPLY_LEN);
    Ok((s_reply, combine(&k_pq_k_cl)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KeyShareFault;

    #[test]
    fn ssh_round_trip() {
        for _ in 0..8 {
            let client = ClientKeyShare::generate().unwrap();
            let (s_reply, k_server) =
                MlKem768X25519Sha256::server_respond(client.init_bytes()).unwrap();
            assert_eq!(s_reply.len(), 1120);
            let k_client = client.finish(&s_reply).unwrap();
            assert_eq!(k_client, k_server);
        }
    }

    #[test]
    fn ssh_wrong_lengths_are_typed_errors() {
        for len in [0, 1, 32, 1184, 1215, 1217, 4096] {
            let err = MlKem768X25519Sha256::server_respond(&vec![0u8; len]).unwrap_err();
            assert_eq!(
                err,
                Error::InvalidLength {
                    what: "mlkem768x25519-sha256 C_INIT",
                    expected: 1216,
                    actual: len
                }
            );
        }
        for len in [0, 32, 1088, 1119, 1121, 1216] {
            let client = ClientKeyShare::generate().unwrap();
            let err = client.finish(&vec![0u8; len]).unwrap_err();
            assert_eq!(
                err,
                Error::InvalidLength {
                    what: "mlkem768x25519-sha256 S_REPLY",
                    expected: 1120,
                    actual: len
                }
            );
        }
    }

    #[test]
    fn ssh_all_zero_x25519_is_refused_on_both_sides() {
        // The X25519 point 0 is of low order: the result is all zero.
        let client = ClientKeyShare::generate().unwrap();
        let mut c_init = client.init_bytes().to_vec();
        c_init[1184..].fill(0);
        let err = MlKem768X25519Sha256::server_respond(&c_init).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidKeyShare {
                fault: KeyShareFault::AllZeroSharedSecret,
                ..
            }
        ));
        let (mut s_reply, _) = MlKem768X25519Sha256::server_respond(client.init_bytes()).unwrap();
        s_reply[1088..].fill(0);
        let err = client.finish(&s_reply).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidKeyShare {
                fault: KeyShareFault::AllZeroSharedSecret,
                ..
            }
        ));
    }

    #[test]
    fn ssh_unreduced_mlkem_key_is_refused() {
        // FIPS 203 §7.2: a 12-bit coefficient >= q = 3329. 0xFFF in the first one.
        let client = ClientKeyShare::generate().unwrap();
        let mut c_init = client.init_bytes().to_vec();
        c_init[0] = 0xff;
        c_init[1] |= 0x0f;
        let err = MlKem768X25519Sha256::server_respond(&c_init).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidKeyShare {
                fault: KeyShareFault::EncapsulationKeyNotReduced,
                ..
            }
        ));
    }

    #[test]
    fn ssh_debug_hides_secrets() {
        let client = ClientKeyShare::generate().unwrap();
        let (_, k) = MlKem768X25519Sha256::server_respond(client.init_bytes()).unwrap();
        assert_eq!(format!("{k:?}"), "SharedSecret(..)");
        assert!(!format!("{client:?}").contains('['));
    }

    /// Known answer from independent primitives: RustCrypto `ml-kem` (keygen from `d ‖ z`,
    /// encapsulation from `m`), `x25519-dalek` and `sha2`, with the same seeds, give the
    /// same C_INIT, S_REPLY and K as this module on both sides.
    #[cfg(feature = "hazmat")]
    #[test]
    fn ssh_known_answer_against_independent_primitives() {
        use ml_kem::array::Array;
        use ml_kem::KeyExport;

        for i in 0u8..4 {
            let d_z = [i.wrapping_mul(7).wrapping_add(1); 64];
            let x_c = [i.wrapping_add(0x40); 32];
            let m = [i.wrapping_add(0x80); 32];
            let x_s = [i.wrapping_add(0xc0); 32];

            // Independent client: ek ‖ X25519(x_c, 9).
            let dk = ml_kem::ml_kem_768::DecapsulationKey::from_seed(Array::from(d_z));
            let ek = dk.encapsulation_key().to_bytes();
            let xc = x25519_dalek::StaticSecret::from(x_c);
            let mut c_init = ek.to_vec();
            c_init.extend_from_slice(x25519_dalek::PublicKey::from(&xc).as_bytes());

            // Independent server: ct ‖ X25519(x_s, 9); K = SHA-256(K_PQ ‖ K_CL).
            let (ct, k_pq) = dk
                .encapsulation_key()
                .encapsulate_deterministic(&Array::from(m));
            let xs = x25519_dalek::StaticSecret::from(x_s);
            let mut s_reply = ct.to_vec();
            s_reply.extend_from_slice(x25519_dalek::PublicKey::from(&xs).as_bytes());
            let k_cl = xs.diffie_hellman(&x25519_dalek::PublicKey::from(&xc));
            let mut h = Sha256::new();
            h.update(&k_pq[..]);
            h.update(k_cl.as_bytes());
            let expected: [u8; 32] = h.finalize().into();

            // This module, same seeds.
            let client = crate::hazmat::ssh_client_start(&d_z, &x_c).unwrap();
            assert_eq!(client.init_bytes(), &c_init[..], "C_INIT {i}");
            let (reply, k_server) = crate::hazmat::ssh_server_respond(&c_init, &m, &x_s).unwrap();
            assert_eq!(reply, s_reply, "S_REPLY {i}");
            assert_eq!(k_server.as_bytes(), &expected, "server K {i}");
            let k_client = client.finish(&s_reply).unwrap();
            assert_eq!(k_client.as_bytes(), &expected, "client K {i}");

            // The swapped order K_CL ‖ K_PQ is a different K.
            let mut wrong = Sha256::new();
            wrong.update(k_cl.as_bytes());
            wrong.update(&k_pq[..]);
            assert_ne!(&<[u8; 32]>::from(wrong.finalize()), k_client.as_bytes());
        }
    }
}
