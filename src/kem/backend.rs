//! Which implementation runs each algorithm: the one seam between the components and
//! their backends.
//!
//! A backend is an [`Implementation`]: a small table row of function pointers (key
//! generation and encapsulation; decapsulation follows the private key, whose
//! [`PrivateKey`] variant names the backend that made it). [`TABLE`] lists the backends
//! compiled into this build, in order of preference; for each algorithm the first one
//! that covers it *and* can run on this machine is chosen, once per process, at the first
//! key exchange. Adding a backend means one module with an `IMPLEMENTATION` and one row
//! in [`TABLE`] (plus its [`PrivateKey`] variant).
//!
//! A backend may decline a single request (aws-lc cannot take a FIPS 203 seed, so a
//! seeded ML-KEM known-answer test is declined); the pure-Rust components, which cover
//! every algorithm and request, then serve it.
//!
//! With the `hazmat` feature, the environment variable `PQHKEX_BACKEND`
//! (`pure-rust`, `graviola` or `aws-lc-rs`), read once at that first key exchange, forces
//! one backend for every algorithm it covers, so that tests and benchmarks can run every
//! suite on each backend the machine supports. [`Backend::for_algorithm`] always tells
//! what really runs, so a forced backend that cannot run here is visible, never silent.

use std::sync::OnceLock;

use super::{Algorithm, PrivateKey, SecretBuf, Seed};
use crate::error::Error;

/// An implementation of the key-exchange components.
///
/// Chosen per algorithm at run time, once per process: on x86_64 and aarch64 CPUs that
/// graviola supports, X25519, P-256, P-384 and ML-KEM-768 run on [`Backend::Graviola`];
/// everything else (ML-KEM-512/1024, round-3 Kyber768, other CPUs and architectures) on
/// [`Backend::PureRust`]. With the `aws-lc-rs-backend` feature, [`Backend::AwsLcRs`] is
/// preferred for what it covers. [`Backend::for_algorithm`] tells which runs; inventory
/// tools can record it next to the negotiated group.
///
/// ```
/// use pqhkex::{Algorithm, Backend};
/// for alg in Algorithm::ALL {
///     println!("{alg} runs on {}", Backend::for_algorithm(*alg));
/// }
/// // ML-KEM-1024 is never on graviola (it has ML-KEM-768 only).
/// assert_ne!(Backend::for_algorithm(Algorithm::MlKem1024), Backend::Graviola);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Pure Rust, on every CPU: ML-KEM from `libcrux-ml-kem` (formally verified;
    /// portable or AVX2), X25519 from `curve25519-dalek`, P-256/P-384 from RustCrypto's
    /// `p256`/`p384`.
    PureRust,
    /// `graviola`: s2n-bignum's formally verified (HOL Light) assembly and graviola's
    /// ML-KEM-768, through Rust's `asm!` (no C compiler). X25519, P-256, P-384 and
    /// ML-KEM-768, on x86_64 CPUs with aes, pclmulqdq, bmi1, bmi2, adx, avx and avx2, and on
    /// aarch64 CPUs with aes, sha2, pmull and neon.
    Graviola,
    /// Feature `aws-lc-rs-backend`: X25519, P-256, P-384 and fresh ML-KEM keys and
    /// encapsulations on aws-lc (through `aws-lc-rs`), e.g. for users who need its
    /// FIPS-validated module; seeded ML-KEM (known-answer tests), round-3 Kyber768 and
    /// X-Wing stay on the pure-Rust code.
    AwsLcRs,
}

impl Backend {
    /// The backend that runs `algorithm`'s TLS key exchange in this process.
    ///
    /// The choice is made once, at the first key exchange (or the first call of this
    /// function), from the backends compiled in and the CPU's features.
    ///
    /// ```
    /// use pqhkex::{Algorithm, Backend};
    /// let b = Backend::for_algorithm(Algorithm::X25519);
    /// assert!(b.covers(Algorithm::X25519));
    /// ```
    pub fn for_algorithm(algorithm: Algorithm) -> Backend {
        selected(algorithm).backend
    }

    /// Whether this backend implements `algorithm` at all (whatever the CPU).
    ///
    /// ```
    /// use pqhkex::{Algorithm, Backend};
    /// assert!(Backend::Graviola.covers(Algorithm::MlKem768));
    /// assert!(!Backend::Graviola.covers(Algorithm::MlKem512));
    /// assert!(Backend::PureRust.covers(Algorithm::MlKem512));
    /// ```
    pub fn covers(self, algorithm: Algorithm) -> bool {
        match self {
            Backend::PureRust => true,
            Backend::Graviola => matches!(
                algorithm,
                Algorithm::X25519 | Algorithm::P256 | Algorithm::P384 | Algorithm::MlKem768
            ),
            Backend::AwsLcRs => matches!(
                algorithm,
                Algorithm::X25519
                    | Algorithm::P256
                    | Algorithm::P384
                    | Algorithm::MlKem512
                    | Algorithm::MlKem768
                    | Algorithm::MlKem1024
            ),
        }
    }

    /// Whether this backend is compiled into this build and can run on this CPU.
    ///
    /// ```
    /// assert!(pqhkex::Backend::PureRust.is_available());
    /// ```
    pub fn is_available(self) -> bool {
        TABLE
            .iter()
            .any(|imp| imp.backend == self && (imp.available)())
    }

    /// A short name: `"pure-rust"`, `"graviola"` or `"aws-lc-rs"`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::PureRust => "pure-rust",
            Backend::Graviola => "graviola",
            Backend::AwsLcRs => "aws-lc-rs",
        }
    }

    /// The backend with this [`name`](Backend::name), if any.
    ///
    /// ```
    /// use pqhkex::Backend;
    /// assert_eq!(Backend::from_name("graviola"), Some(Backend::Graviola));
    /// assert_eq!(Backend::from_name("openssl"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Backend> {
        [Backend::PureRust, Backend::Graviola, Backend::AwsLcRs]
            .into_iter()
            .find(|b| b.name() == name)
    }
}

impl core::fmt::Display for Backend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Key generation of one backend: `None` when it declines this request.
pub(crate) type KeygenFn =
    fn(Algorithm, Seed<'_>, &mut Vec<u8>) -> Option<Result<PrivateKey, Error>>;

/// Encapsulation of one backend: `None` when it declines this request.
pub(crate) type EncapsulateFn =
    fn(Algorithm, &[u8], Seed<'_>, &mut Vec<u8>, &mut SecretBuf) -> Option<Result<(), Error>>;

/// One backend: what it is, whether it runs here, and its two entry points.
pub(crate) struct Implementation {
    pub(crate) backend: Backend,
    /// Whether the backend can run on this machine (a CPU feature check, say).
    pub(crate) available: fn() -> bool,
    pub(crate) keygen: KeygenFn,
    pub(crate) encapsulate: EncapsulateFn,
}

/// The backends compiled into this build, most preferred first. The last one covers
/// every algorithm on every machine.
static TABLE: &[&Implementation] = &[
    #[cfg(feature = "aws-lc-rs-backend")]
    &super::aws_lc::IMPLEMENTATION,
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    &super::graviola::IMPLEMENTATION,
    &super::PURE_RUST,
];

/// The fallback for every request a chosen backend declines.
fn fallback() -> &'static Implementation {
    TABLE[TABLE.len() - 1]
}

/// A backend forced by `PQHKEX_BACKEND` (feature `hazmat` only).
#[cfg(feature = "hazmat")]
fn forced() -> Option<Backend> {
    let name = std::env::var("PQHKEX_BACKEND").ok()?;
    match Backend::from_name(name.trim()) {
        Some(b) => Some(b),
        // A typo must not silently test the default: say so loudly, once.
        None => {
            panic!("PQHKEX_BACKEND={name:?} is not a backend (pure-rust, graviola or aws-lc-rs)")
        }
    }
}

#[cfg(not(feature = "hazmat"))]
fn forced() -> Option<Backend> {
    None
}

/// The chosen implementation per algorithm, indexed like [`Algorithm::ALL`].
fn selection() -> &'static [&'static Implementation] {
    static SELECTION: OnceLock<Vec<&'static Implementation>> = OnceLock::new();
    SELECTION.get_or_init(|| {
        let forced = forced();
        Algorithm::ALL
            .iter()
            .map(|alg| {
                TABLE
                    .iter()
                    .copied()
                    .filter(|imp| forced.is_none_or(|f| f == imp.backend))
                    .find(|imp| imp.backend.covers(*alg) && (imp.available)())
                    .unwrap_or_else(fallback)
            })
            .collect()
    })
}

/// The implementation chosen for `algorithm`.
fn selected(algorithm: Algorithm) -> &'static Implementation {
    let index = Algorithm::ALL
        .iter()
        .position(|a| *a == algorithm)
        .unwrap_or(Algorithm::ALL.len());
    selection().get(index).copied().unwrap_or_else(fallback)
}

/// Generates a key pair for `algorithm` on its backend, appending the public share.
pub(crate) fn keygen(
    algorithm: Algorithm,
    seed: Seed<'_>,
    public: &mut Vec<u8>,
) -> Result<PrivateKey, Error> {
    (selected(algorithm).keygen)(algorithm, seed, public)
        .or_else(|| (fallback().keygen)(algorithm, seed, public))
        .unwrap_or_else(|| Err(unsupported(algorithm)))
}

/// Validates the peer's share and encapsulates to it on `algorithm`'s backend.
pub(crate) fn encapsulate(
    algorithm: Algorithm,
    peer_public: &[u8],
    seed: Seed<'_>,
    reply: &mut Vec<u8>,
    secret: &mut SecretBuf,
) -> Result<(), Error> {
    (selected(algorithm).encapsulate)(algorithm, peer_public, seed, reply, secret)
        .or_else(|| (fallback().encapsulate)(algorithm, peer_public, seed, reply, secret))
        .unwrap_or_else(|| Err(unsupported(algorithm)))
}

/// Unreachable in practice: the fallback covers every algorithm.
fn unsupported(algorithm: Algorithm) -> Error {
    Error::InvalidSeed {
        algorithm,
        reason: "no backend implements this algorithm",
    }
}
