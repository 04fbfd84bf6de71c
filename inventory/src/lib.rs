//! # pqhkex-inventory: which endpoints are post-quantum?
//!
//! The scanner behind `pqhkex scan`, as a library that inventory tools embed. For each
//! TLS endpoint it runs real handshakes with pqhkex's key-exchange groups: a
//! browser-like offer (what Chrome and Firefox send today), then each group alone,
//! optionally each group without a key share (to see a HelloRetryRequest), and it
//! reports what the endpoint accepted, how it classifies ([`Class`]: `pq-only`,
//! `pq-and-classical`, `classical-only`, `tls12-only`, `undetermined`, ...), and the rest
//! of its quantum-vulnerable surface: the certificate chain as served ([`cert`]), how it
//! authenticates ([`auth`], including whether it signs with ML-DSA when asked), TLS 1.2
//! and older with RSA key transport ([`legacy`], raw ClientHellos from [`hello`]), whether
//! it prefers post-quantum or merely accepts it ([`preference`], [`Posture`]), and a
//! migration plan drawn from those findings ([`migration`]).
//!
//! * [`Target`] parses what users write: `host:port`, `host`, `[v6]:port`, `https://` URLs.
//! * [`Scanner`] probes them with bounded concurrency, one deadline per probe and one
//!   per target (see [`Scanner`] for exactly what each bounds); [`Scanner::scan_each`]
//!   streams results through a callback so that memory and sockets stay bounded by the
//!   concurrency, not the number of targets.
//! * [`verdict`] draws each classification from the probes' evidence alone, and says
//!   `undetermined` where the evidence does not decide.
//! * The results ([`TargetResult`], [`ScanReport`]) are `serde` types: their JSON is
//!   exactly what `pqhkex scan --json` prints, described field by field by the published
//!   JSON Schema `schema/scan-v3.schema.json` (version [`SCHEMA_VERSION`]; versions 1 and 2
//!   stay published and their documents still deserialize).
//!
//! Inside, the crate is in rooms: scheduling (`Scanner`, deadlines, concurrency),
//! probing ([`probe`] for one TLS handshake, the per-target TLS probe sequence, [`hello`],
//! [`legacy`] and [`preference`] for raw ClientHellos, [`ssh`]), pure functions of the
//! evidence ([`verdict`], [`cert`], [`auth`], [`migration`]), and the report types and
//! their [`cbom`].
//! * [`cbom`] writes a CycloneDX 1.6 CBOM of the results and merges it into a CycloneDX
//!   document a tool already has.
//! * [`probe`] is the single handshake underneath, for checks of your own.
//! * [`inputs`] turns fleet-sized inputs into targets: CIDR ranges with a port list
//!   (lazily), nmap XML and grepable reports, and stable shards (`I/N`) of any list.
//!
//! No rustls provider feature is switched on by this crate: pass the `CryptoProvider`
//! whose cipher suites, signature checks and RNG the probes should use (the key
//! exchange is always pqhkex's).
//!
//! ```no_run
//! use std::sync::Arc;
//! use pqhkex_inventory::{cbom, Scanner, ScanReport, Target};
//!
//! let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?;
//! let targets = vec![Target::parse("example.com")?, Target::parse("https://example.net:8443/")?];
//! let report = ScanReport::new(scanner.scan(&targets));
//! for r in &report.targets {
//!     println!("{}: {}", r.target, r.classification);
//! }
//! let bom = cbom::build(&report.targets, &report.timestamp);
//! std::fs::write("scan.cdx.json", serde_json::to_string_pretty(&bom).unwrap()).unwrap();
//! # Ok::<(), pqhkex_inventory::Failure>(())
//! ```
//!
//! `examples/embed.rs` scans a list, writes the CBOM and merges it into an existing
//! CycloneDX document; `examples/scale.rs` scans thousands of loopback targets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod cbom;
pub mod cert;
pub mod deadline;
mod error;
pub mod gate;
pub mod hello;
pub mod html;
pub mod inputs;
pub mod junit;
pub mod legacy;
mod limits;
pub mod merge;
pub mod migration;
pub mod preference;
pub mod probe;
pub mod quic;
mod report;
#[cfg(feature = "tokio")]
mod scan_async;
mod schedule;
pub mod ssh;
mod target;
mod tls;
pub mod verdict;
#[cfg(feature = "tokio")]
pub use scan_async::ScanStream;

pub use error::{Failure, FailureKind};
pub use report::{
    Accepted, Answer, CertInfo, Class, ErrorInfo, GroupKind, GroupProbe, Posture, Probe,
    ProbeResult, ScanReport, SplitCheck, Status, Support, TargetResult, Verdict, SCHEMA_VERSION,
    SPLIT_PAUSE, SPLIT_RECORD_SIZE,
};
pub use schedule::{Flow, Scanner, DEFAULT_TARGET_TIMEOUT};
pub use target::{Protocol, Target, MAX_HOST_LEN, MAX_TARGET_LEN};
pub use tls::browser_offer;
