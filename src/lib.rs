//! # pqhkex — post-quantum hybrid key exchange for rustls
//!
//! Traffic recorded today can be decrypted once a large quantum computer exists.
//! Hybrid key exchange runs a classical ECDH and ML-KEM (FIPS 203) side by side; the
//! session stays secure while either holds. pqhkex brings every standard hybrid and
//! pure ML-KEM TLS group to **any** rustls [`CryptoProvider`](::rustls::crypto::CryptoProvider),
//! without a C toolchain: on x86_64 and aarch64 CPUs, X25519, P-256, P-384 and ML-KEM-768
//! run on `graviola` (s2n-bignum's formally verified assembly through `asm!`), everything
//! else on pure Rust (the formally verified `libcrux-ml-kem`, `curve25519-dalek`,
//! RustCrypto's curves), chosen at run time; see [`Backend`].
//!
//! ```
//! // A client configuration that prefers post-quantum (X25519MLKEM768 first, X25519 share too):
//! let builder = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), pqhkex::Policy::PreferPostQuantum).unwrap();
//! # let _ = builder;
//! ```
//!
//! ## Layers
//! Data flows one way (the first two layers are internal; their public faces are
//! [`kem_api`] and [`Backend`]):
//! 1. KEM-shaped components: ML-KEM-512/768/1024, round-3 Kyber768 (`legacy-kyber`),
//!    X25519, P-256, P-384; every peer-input check of the specs; the backend of each
//!    algorithm chosen in one table ([`Backend`]).
//! 2. The hybrid combiner (draft-ietf-tls-hybrid-design §3.2/§3.3).
//! 3. [`groups`] — the one table of groups: codepoint, name, components in wire order.
//! 4. [`rustls`] — each group as a rustls `SupportedKxGroup`.
//! 5. [`policy`], [`inspect`] and [`observe`] — provider helpers, server-side PQ
//!    preference, explanations of failed handshakes, connection reports, and the
//!    observer that reports the negotiated group through any stack.
//!
//! Outside TLS, [`kem_api`] offers the same components as plain KEMs, with
//! [`xwing`] (X-Wing, the general-purpose X25519 + ML-KEM-768 hybrid KEM) on top, and
//! [`ssh`] has the SSH hybrid key exchange `mlkem768x25519-sha256` (RFC 10042).
//!
//! ## Features
//! None is on by default: the default build is provider-neutral and never switches on a
//! rustls provider feature (two providers compiled into rustls make
//! `rustls::ClientConfig::builder()` panic in your own code). Pass the provider you
//! already use to [`with_policy`], [`client_config_builder`] or [`server_config_builder`].
//! * `ring` (opt-in): the shortcut `ring_provider` over rustls's *ring* provider; turns on
//!   `rustls/ring`.
//! * `aws-lc-rs` (opt-in): the shortcut `aws_lc_rs_provider` over rustls's aws-lc-rs
//!   provider; turns on `rustls/aws_lc_rs`.
//! * `legacy-kyber`: the obsolete X25519Kyber768Draft00 group (0x6399).
//! * `hazmat`: the `hazmat` module, deterministic entry points for known-answer tests.
//! * `serde`: `serde::Serialize` for [`ConnectionReport`] (a connection's report as JSON).
//! * `aws-lc-rs-backend`: prefer aws-lc (a C and assembly library, through `aws-lc-rs`)
//!   for X25519, P-256, P-384 and fresh ML-KEM keys, e.g. for its FIPS-validated module;
//!   see [`Backend`]. Off by default.
//! * `telemetry`: the `telemetry` module, which of a server's clients can do
//!   post-quantum (and what would break if it were required), through the `metrics`
//!   facade.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::integer_division_remainder_used)]

mod error;
pub mod groups;
#[cfg(feature = "hazmat")]
pub mod hazmat;
mod hybrid;
pub mod inspect;
mod kem;
pub mod kem_api;
pub mod observe;
pub mod policy;
pub mod rustls;
pub mod ssh;
#[cfg(feature = "telemetry")]
pub mod telemetry;
pub mod xwing;

pub use error::{Error, KeyShareFault, Side};
pub use groups::{Group, Kind};
pub use inspect::ConnectionReport;
pub use kem::{Algorithm, Backend, SecretBuf};
#[cfg(feature = "aws-lc-rs")]
pub use policy::aws_lc_rs_provider;
#[cfg(feature = "ring")]
pub use policy::ring_provider;
pub use policy::{
    add_post_quantum, add_post_quantum_with, client_config_builder, server_config_builder,
    with_policy, Merge, Policy, PqServerConfigs,
};
