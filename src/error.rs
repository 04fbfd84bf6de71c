//! Errors.

use core::fmt;

use crate::kem::Algorithm;

/// What exactly was wrong with a peer's key share.
///
/// ```
/// use pqhkex::KeyShareFault;
/// let f = KeyShareFault::Length { expected: 1216, actual: 1215 };
/// assert_eq!(f.to_string(), "is 1215 bytes long, expected 1216");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyShareFault {
    /// The share (or one component of it) does not have the exact length the group
    /// defines.
    Length {
        /// The required length in bytes.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// An ML-KEM encapsulation key failed the FIPS 203 §7.2 modulus check: some
    /// coefficient is not reduced modulo q = 3329.
    EncapsulationKeyNotReduced,
    /// A NIST-curve point was not in the SEC 1 uncompressed form (`0x04 ‖ X ‖ Y`) that
    /// TLS 1.3 requires (RFC 8446 §4.2.8.2).
    PointNotUncompressed,
    /// A NIST-curve point is not on the curve, or is the identity.
    PointNotOnCurve,
    /// The X25519 result was all zeroes: the peer sent a low-order point
    /// (RFC 8446 §7.4.2, RFC 7748 §6.1).
    AllZeroSharedSecret,
}

impl fmt::Display for KeyShareFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyShareFault::Length { expected, actual } => {
                write!(f, "is {actual} bytes long, expected {expected}")
            }
            KeyShareFault::EncapsulationKeyNotReduced => f.write_str(
                "is an ML-KEM encapsulation key with a coefficient not reduced mod q (FIPS 203 §7.2)",
            ),
            KeyShareFault::PointNotUncompressed => {
                f.write_str("is not an uncompressed (0x04) curve point (RFC 8446 §4.2.8.2)")
            }
            KeyShareFault::PointNotOnCurve => f.write_str("is not a valid point on the curve"),
            KeyShareFault::AllZeroSharedSecret => f.write_str(
                "gives an all-zero X25519 shared secret (low-order point, RFC 8446 §7.4.2)",
            ),
        }
    }
}

/// Which side of a TLS connection something happened on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The TLS client.
    Client,
    /// The TLS server.
    Server,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

/// Errors from pqhkex.
///
/// In a handshake, every error from a key exchange reaches rustls as
/// [`rustls::Error`] via the `From` conversion below; rustls then sends the
/// peer an `illegal_parameter` alert.
///
/// ```
/// use pqhkex::{Error, KeyShareFault};
/// let e = Error::InvalidKeyShare { what: "X25519MLKEM768", fault: KeyShareFault::Length { expected: 1216, actual: 3 } };
/// assert_eq!(e.to_string(), "invalid X25519MLKEM768 key share: it is 3 bytes long, expected 1216");
/// let r: rustls::Error = e.into();
/// assert_eq!(r, rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::InvalidKeyShare));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The peer's key share (or one component of it, named by `what`) is invalid.
    InvalidKeyShare {
        /// The group or component whose share was refused, e.g. `"ML-KEM-768"`.
        what: &'static str,
        /// What was wrong with it.
        fault: KeyShareFault,
    },
    /// A seed given to a deterministic entry point of the `hazmat` module (feature
    /// `hazmat`) is unusable.
    InvalidSeed {
        /// The algorithm the seed was for.
        algorithm: Algorithm,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The operating system's random number generator failed.
    Randomness(String),
    /// A post-quantum key exchange was required, but the peer offered none we support.
    NoPostQuantumGroup {
        /// The side that detected it (the one that required post-quantum).
        detected_by: Side,
        /// The named groups the peer offered, where known (TLS codepoints).
        offered: Vec<u16>,
        /// The underlying error text, where the handshake failed in rustls.
        detail: Option<String>,
    },
    /// A handshake completed with a key exchange that is not post-quantum, while the
    /// policy requires one.
    NotPostQuantum {
        /// The TLS codepoint of the negotiated group, if any.
        negotiated: Option<u16>,
    },
    /// The TLS handshake failed for a reason other than the policy.
    Handshake(rustls::Error),
    /// A TLS handshake failed; the [`Diagnosis`](crate::policy::Diagnosis) says what its
    /// error shows (the alert or error first) and what that may mean in the policy's
    /// terms, without claiming more than the evidence shows. From
    /// [`Policy::explain_error`](crate::Policy::explain_error).
    HandshakeFailed(Box<crate::policy::Diagnosis>),
    /// A group name or codepoint is not known to pqhkex.
    UnknownGroup(String),
    /// A byte string given to the [`kem_api`](crate::kem_api) (a key, a ciphertext or a
    /// deterministic seed) does not have the exact length its KEM defines.
    ///
    /// ```
    /// let e = pqhkex::Error::InvalidLength { what: "X-Wing ciphertext", expected: 1120, actual: 3 };
    /// assert_eq!(e.to_string(), "invalid X-Wing ciphertext: it is 3 bytes long, expected 1120");
    /// ```
    InvalidLength {
        /// What was refused, e.g. `"X-Wing encapsulation key"`.
        what: &'static str,
        /// The required length in bytes.
        expected: usize,
        /// The length received.
        actual: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidKeyShare { what, fault } => {
                write!(f, "invalid {what} key share: it {fault}")
            }
            Error::InvalidSeed { algorithm, reason } => {
                write!(f, "invalid {algorithm} seed: {reason}")
            }
            Error::Randomness(e) => write!(f, "the OS random number generator failed: {e}"),
            Error::NoPostQuantumGroup {
                detected_by,
                offered,
                detail,
            } => {
                let peer = match detected_by {
                    Side::Client => "server",
                    Side::Server => "client",
                };
                write!(
                    f,
                    "post-quantum key exchange required, but the {peer} offered no post-quantum group"
                )?;
                if !offered.is_empty() {
                    f.write_str(" (it offered:")?;
                    for code in offered {
                        match crate::groups::by_code(*code) {
                            Some(g) => write!(f, " {}", g.name)?,
                            None => write!(f, " 0x{code:04x}")?,
                        }
                    }
                    f.write_str(")")?;
                }
                if let Some(d) = detail {
                    write!(f, "; TLS error: {d}")?;
                }
                Ok(())
            }
            Error::NotPostQuantum { negotiated } => match negotiated.and_then(crate::groups::by_code) {
                Some(g) => write!(
                    f,
                    "the connection negotiated {}, which is not post-quantum, but the policy requires post-quantum",
                    g.name
                ),
                None => match negotiated {
                    Some(c) => write!(f, "the connection negotiated group 0x{c:04x}, which is not post-quantum, but the policy requires post-quantum"),
                    None => f.write_str("the connection has no negotiated key-exchange group, but the policy requires post-quantum"),
                },
            },
            Error::Handshake(e) => write!(f, "TLS handshake failed: {e}"),
            Error::HandshakeFailed(d) => d.fmt(f),
            Error::UnknownGroup(g) => write!(f, "unknown key-exchange group {g:?}"),
            Error::InvalidLength {
                what,
                expected,
                actual,
            } => write!(
                f,
                "invalid {what}: it is {actual} bytes long, expected {expected}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Handshake(e) => Some(e),
            Error::HandshakeFailed(d) => d.tls_error().map(|e| e as _),
            _ => None,
        }
    }
}

impl From<Error> for rustls::Error {
    fn from(e: Error) -> Self {
        match e {
            // Every malformed share is the peer's fault: rustls answers with an
            // illegal_parameter alert (RFC 10024 §3.1.2/§3.1.3, RFC 8446 §4.2.8).
            Error::InvalidKeyShare { .. } => {
                rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::InvalidKeyShare)
            }
            Error::Randomness(_) => rustls::Error::FailedToGetRandomBytes,
            Error::Handshake(e) => e,
            other => rustls::Error::General(other.to_string()),
        }
    }
}
