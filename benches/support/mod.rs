//! Shared by the benchmark binaries: the groups compared, certificates, and in-memory
//! TLS handshakes. Every row of every table is measured in the same process and run, so
//! that ratios (pqhkex / rustls+aws-lc-rs) cancel out most of the machine's load.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use criterion::Criterion;
use rustls::crypto::{aws_lc_rs, ring, CryptoProvider, SupportedKxGroup};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

/// The label of pqhkex's rows, after the backend that runs ML-KEM-768 and X25519 in this
/// process: `pqhkex` for the default (graviola where the CPU has it), `pqhkex-pure` for
/// the pure-Rust components (forced with `PQHKEX_BACKEND=pure-rust`, or a CPU without
/// graviola's features), `pqhkex-aws-lc` under the `aws-lc-rs-backend` feature.
pub fn pqhkex() -> &'static str {
    match pqhkex::Backend::for_algorithm(pqhkex::Algorithm::MlKem768) {
        pqhkex::Backend::Graviola => "pqhkex",
        pqhkex::Backend::AwsLcRs => "pqhkex-aws-lc",
        _ => "pqhkex-pure",
    }
}

/// The name of one of the suite's own output files (`name.json`), with a suffix for the
/// non-default backends, so that the runs of scripts/bench-report do not overwrite each
/// other.
pub fn output_file(name: &str) -> std::path::PathBuf {
    let suffix = pqhkex().strip_prefix("pqhkex").unwrap_or("");
    output_dir().join(format!("{name}{suffix}.json"))
}

/// One key-exchange group under test: who implements it, and its IANA name.
#[derive(Clone, Copy)]
pub struct Contender {
    /// [`pqhkex()`], `aws-lc-rs` or `ring` (the rustls built-in providers).
    pub implementation: &'static str,
    /// IANA group name, as in `pqhkex::groups`.
    pub group: &'static str,
    pub kx: &'static dyn SupportedKxGroup,
}

impl Contender {
    /// The benchmark id suffix: `implementation/group`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.implementation, self.group)
    }
}

/// Every pqhkex group, then the rustls built-in groups it is compared with.
pub fn contenders() -> Vec<Contender> {
    let mut v: Vec<Contender> = pqhkex::rustls::ALL_KX_GROUPS
        .iter()
        .map(|kx| {
            let code = u16::from(kx.name());
            let group = pqhkex::groups::by_code(code).expect("table entry");
            Contender {
                implementation: pqhkex(),
                group: group.name,
                kx: *kx,
            }
        })
        .collect();
    let aws = [
        ("X25519MLKEM768", aws_lc_rs::kx_group::X25519MLKEM768),
        ("SecP256r1MLKEM768", aws_lc_rs::kx_group::SECP256R1MLKEM768),
        ("MLKEM768", aws_lc_rs::kx_group::MLKEM768),
        ("MLKEM1024", aws_lc_rs::kx_group::MLKEM1024),
        ("x25519", aws_lc_rs::kx_group::X25519),
        ("secp256r1", aws_lc_rs::kx_group::SECP256R1),
        ("secp384r1", aws_lc_rs::kx_group::SECP384R1),
    ];
    for (group, kx) in aws {
        v.push(Contender {
            implementation: "aws-lc-rs",
            group,
            kx,
        });
    }
    v.push(Contender {
        implementation: "ring",
        group: "x25519",
        kx: ring::kx_group::X25519,
    });
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    for kx in rustls_graviola::kx::ALL_KX_GROUPS.iter().copied() {
        let group = pqhkex::groups::by_code(u16::from(kx.name())).expect("a table group");
        v.push(Contender {
            implementation: "rustls-graviola",
            group: group.name,
            kx,
        });
    }
    v
}

/// The peers each pqhkex group is paired with in the interleaved A/B ratios.
pub const PEERS: &[&str] = &["aws-lc-rs", "rustls-graviola"];

/// Criterion settings for the whole suite; `PQHKEX_BENCH_QUICK=1` shortens every
/// measurement (for smoke runs; the report is meant to be made without it).
pub fn criterion() -> Criterion {
    let quick = std::env::var_os("PQHKEX_BENCH_QUICK").is_some_and(|v| v != "0");
    let c = Criterion::default().configure_from_args();
    if quick {
        c.warm_up_time(std::time::Duration::from_millis(200))
            .measurement_time(std::time::Duration::from_millis(500))
            .sample_size(10)
    } else {
        c.warm_up_time(std::time::Duration::from_secs(1))
            .measurement_time(std::time::Duration::from_secs(3))
            .sample_size(50)
    }
}

/// Where the suite writes what criterion does not measure (wire bytes, heap): next to
/// criterion's own output, `target/criterion/pqhkex/`.
pub fn output_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("target"));
    let dir = target.join("criterion").join("pqhkex");
    std::fs::create_dir_all(&dir).expect("create target/criterion/pqhkex");
    dir
}

/// One ECDSA P-256 certificate for every handshake (rcgen's default key type).
pub fn cert() -> &'static (CertificateDer<'static>, PrivateKeyDer<'static>) {
    static CERT: OnceLock<(CertificateDer<'static>, PrivateKeyDer<'static>)> = OnceLock::new();
    CERT.get_or_init(|| {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key = PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
        (ck.cert.der().clone(), key)
    })
}

/// The TLS base for every handshake: rustls's aws-lc-rs provider (signatures, AEAD,
/// HKDF) with `kx` as its only key-exchange group, so that rows differ only in the group.
pub fn provider_with(kx: &'static dyn SupportedKxGroup) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        kx_groups: vec![kx],
        ..aws_lc_rs::default_provider()
    })
}

/// A TLS 1.3-only client trusting [`cert`]; `resumption` false disables session reuse.
pub fn client_config(kx: &'static dyn SupportedKxGroup, resumption: bool) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert().0.clone()).unwrap();
    let mut config = ClientConfig::builder_with_provider(provider_with(kx))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    if !resumption {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Arc::new(config)
}

/// A TLS 1.3-only server with [`cert`] and rustls's default in-memory session cache.
pub fn server_config(kx: &'static dyn SupportedKxGroup) -> Arc<ServerConfig> {
    Arc::new(
        ServerConfig::builder_with_provider(provider_with(kx))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert().0.clone()], cert().1.clone_key())
            .unwrap(),
    )
}

/// Bytes sent in each direction during one handshake.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wire {
    /// The client's first flight (the ClientHello record).
    pub client_hello: usize,
    /// The server's first flight (ServerHello through server Finished).
    pub server_flight: usize,
    /// Everything the client sent.
    pub client_total: usize,
    /// Everything the server sent, session tickets included.
    pub server_total: usize,
}

/// Runs one complete handshake in memory, and delivers the server's post-handshake
/// messages (session tickets) to the client as well. Panics on any TLS error: every
/// configuration benchmarked must work.
pub fn handshake(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, Wire) {
    let mut c =
        ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let mut wire = Wire::default();
    let mut buf = Vec::with_capacity(8192);
    let mut flight = 0;
    loop {
        let mut progressed = false;
        buf.clear();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            progressed = true;
            if flight == 0 {
                wire.client_hello = buf.len();
            }
            wire.client_total += buf.len();
            deliver(&buf, &mut s);
            flight += 1;
        }
        buf.clear();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            progressed = true;
            if wire.server_flight == 0 {
                wire.server_flight = buf.len();
            }
            wire.server_total += buf.len();
            deliver(&buf, &mut c);
        }
        if !progressed && !c.is_handshaking() && !s.is_handshaking() {
            break;
        }
        assert!(progressed, "handshake stalled");
    }
    (c, wire)
}

fn deliver<C>(mut bytes: &[u8], to: &mut C)
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<<C as Side>::Data>> + Side,
{
    while !bytes.is_empty() {
        to.read_tls(&mut bytes).unwrap();
        to.process_new_packets().expect("handshake failed");
    }
}

/// Names the connection data type of each side, for [`deliver`].
pub trait Side {
    type Data;
}
impl Side for ClientConnection {
    type Data = rustls::client::ClientConnectionData;
}
impl Side for ServerConnection {
    type Data = rustls::server::ServerConnectionData;
}

/// Two pieces of work timed in alternating batches (A B, then B A, and so on), so that a
/// change in the machine's load hits both alike. Returns the median time per iteration
/// of each, in nanoseconds. This complements criterion, which times one benchmark after
/// the other: on a shared machine, the ratio of two such medians is the sturdier number.
pub fn paired(mut a: impl FnMut(), mut b: impl FnMut(), batch: u32, rounds: u32) -> (f64, f64) {
    for _ in 0..batch {
        a();
        b();
    }
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let a_first = round % 2 == 0;
        for run_a in [a_first, !a_first] {
            let start = std::time::Instant::now();
            for _ in 0..batch {
                if run_a {
                    a()
                } else {
                    b()
                }
            }
            let per_iter = start.elapsed().as_nanos() as f64 / f64::from(batch);
            if run_a {
                ta.push(per_iter)
            } else {
                tb.push(per_iter)
            }
        }
    }
    (median(&mut ta), median(&mut tb))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Writes the results of [`paired`] comparisons as `target/criterion/pqhkex/<name>.json`
/// (see [`output_file`]).
pub fn write_paired(name: &str, rows: &[(String, String, f64, f64)]) {
    let body: Vec<String> = rows
        .iter()
        .map(|(a, b, ta, tb)| {
            format!("{{\"a\":\"{a}\",\"b\":\"{b}\",\"a_ns\":{ta:.1},\"b_ns\":{tb:.1}}}")
        })
        .collect();
    let path = output_file(name);
    std::fs::write(&path, format!("[\n{}\n]\n", body.join(",\n"))).unwrap();
    eprintln!("wrote {}", path.display());
}

/// Whether interleaved ratios should be measured in this run: not when criterion only
/// lists or tests the benchmarks (`--list`, `--test`, as `cargo test --benches` does).
pub fn measuring() -> bool {
    !std::env::args().any(|a| a == "--list" || a == "--test")
}
