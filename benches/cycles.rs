//! CPU cycles per primitive operation, for BENCHMARKS.md's "How close to the limit"
//! table: ML-KEM-768 and ML-KEM-1024 key generation, encapsulation and decapsulation;
//! X25519, P-256 and P-384 fixed-base (key generation) and variable-base (Diffie-Hellman)
//! multiplication. pqhkex's rows go through `pqhkex::hazmat`, the code its TLS groups run
//! (share encoding and peer-input checks included); the `aws-lc-rs` rows call aws-lc-rs
//! directly, as rustls's own groups do.
//!
//! How it counts: every sample is ONE operation between two reads of the time-stamp
//! counter (`rdtsc` after `lfence`), and a cell's figure is the median of its samples,
//! the way SUPERCOP and mlkem-native report cycles. The cells are interleaved: each round
//! takes a few samples of every cell in turn, so that a change of the machine's load
//! during the run hits every cell alike. The TSC ticks at a constant rate (this binary
//! prints it, measured against the monotonic clock), which on a machine with frequency
//! scaling or turbo is not the core's clock: the figures are TSC cycles, and the real
//! core cycles are these times the core/TSC clock ratio. Virtual machines often expose no
//! performance counters (`/sys/bus/event_source/devices/cpu` absent), so the TSC is what
//! there is.
//!
//! The `libcrux direct` rows split libcrux's ML-KEM (what pqhkex runs for ML-KEM-1024 and
//! -512, and for ML-KEM-768 without graviola) into its parts: key generation into the
//! unpacked form pqhkex keeps against the serialized form, the encapsulation-key check
//! and encapsulation alone.
//!
//! RustCrypto's `ml-kem` rows are the other C-free ML-KEM-1024, for comparison.
//!
//! `cargo bench --bench cycles` prints a Markdown table and writes
//! `target/criterion/pqhkex/cycles.json`. x86_64 only (the TSC); elsewhere it says so and
//! exits.

#[cfg(target_arch = "x86_64")]
mod support;

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("cycles: needs the x86_64 time-stamp counter; nothing measured on this target");
}

#[cfg(target_arch = "x86_64")]
fn main() {
    x86::run();
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::hint::black_box;
    use std::time::Instant;

    use aws_lc_rs::{agreement, kem};
    use pqhkex::{groups, hazmat, Group};

    /// Samples of each cell per round, and rounds (cells interleaved within each round).
    const PER_ROUND: usize = 16;
    /// Untimed calls of each cell before the first round.
    const WARM_UP: usize = 50;

    /// The time-stamp counter, fenced so that earlier instructions have completed.
    #[inline(always)]
    fn tsc() -> u64 {
        use core::arch::x86_64::{_mm_lfence, _rdtsc};
        // SAFETY: `lfence` and `rdtsc` exist on every x86_64 CPU (SSE2 is part of the
        // x86_64 baseline, and `rdtsc` of every x86_64 processor); neither touches memory.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_lfence();
            let t = _rdtsc();
            _mm_lfence();
            t
        }
    }

    /// TSC ticks per nanosecond, measured against the monotonic clock over 200 ms.
    fn tsc_per_ns() -> f64 {
        let (t0, c0) = (Instant::now(), tsc());
        while t0.elapsed().as_millis() < 200 {
            std::hint::spin_loop();
        }
        let (ns, ticks) = (t0.elapsed().as_nanos() as f64, (tsc() - c0) as f64);
        ticks / ns
    }

    /// One measured operation: the algorithm, the operation, who implements it, and a
    /// closure running it once.
    struct Cell {
        algorithm: &'static str,
        operation: &'static str,
        implementation: &'static str,
        run: Box<dyn FnMut()>,
        samples: Vec<u64>,
    }

    impl Cell {
        fn new(
            algorithm: &'static str,
            operation: &'static str,
            implementation: &'static str,
            run: impl FnMut() + 'static,
        ) -> Self {
            Self {
                algorithm,
                operation,
                implementation,
                run: Box::new(run),
                samples: Vec::new(),
            }
        }
    }

    /// pqhkex's ML-KEM, through the pure ML-KEM groups (keygen = client start,
    /// encaps = server step with the §7.2 modulus check, decaps = client complete).
    fn pqhkex_mlkem(cells: &mut Vec<Cell>, label: &'static str) {
        for (name, group) in [
            ("ML-KEM-768", &groups::MLKEM768),
            ("ML-KEM-1024", &groups::MLKEM1024),
        ] {
            cells.push(Cell::new(name, "keygen", label, move || {
                black_box(hazmat::client_start(group, &[&[7u8; 64]]).unwrap());
            }));
            let client = hazmat::client_start(group, &[&[7u8; 64]]).unwrap();
            let share = client.share().to_vec();
            cells.push(Cell::new(name, "encaps", label, move || {
                black_box(hazmat::server_encapsulate(group, &share, &[&[9u8; 32]]).unwrap());
            }));
            let (ct, ss) =
                hazmat::server_encapsulate(group, client.share(), &[&[9u8; 32]]).unwrap();
            assert_eq!(&client.complete(&ct).unwrap()[..], &ss[..]);
            cells.push(Cell::new(name, "decaps", label, move || {
                black_box(client.complete(&ct).unwrap());
            }));
        }
    }

    /// pqhkex's ECDH, through the classical groups: fixed-base = scalar to public share,
    /// variable-base = peer share validation and scalar multiplication.
    fn pqhkex_ecdh(cells: &mut Vec<Cell>, label: &'static str) {
        let cases: [(&str, &'static Group, usize); 3] = [
            ("X25519", &groups::X25519, 32),
            ("P-256", &groups::SECP256R1, 32),
            ("P-384", &groups::SECP384R1, 48),
        ];
        for (name, group, len) in cases {
            let seed = vec![0x11u8; len];
            cells.push(Cell::new(name, "fixed-base (keygen)", label, move || {
                black_box(hazmat::client_start(group, &[&seed]).unwrap());
            }));
            let client = hazmat::client_start(group, &[&vec![0x11u8; len]]).unwrap();
            let peer = hazmat::client_start(group, &[&vec![0x22u8; len]]).unwrap();
            let peer = peer.share().to_vec();
            cells.push(Cell::new(name, "variable-base (DH)", label, move || {
                black_box(client.complete(&peer).unwrap());
            }));
        }
    }

    /// aws-lc-rs called directly. Its key generation draws from aws-lc's DRBG (pqhkex's
    /// seeded entry points do not), which these rows include.
    fn aws_lc(cells: &mut Vec<Cell>) {
        const L: &str = "aws-lc-rs";
        for (name, alg) in [
            ("ML-KEM-768", &kem::ML_KEM_768),
            ("ML-KEM-1024", &kem::ML_KEM_1024),
        ] {
            cells.push(Cell::new(name, "keygen", L, move || {
                let dk = kem::DecapsulationKey::generate(alg).unwrap();
                let ek = dk.encapsulation_key().unwrap();
                black_box((ek.key_bytes().unwrap(), dk));
            }));
            let dk = kem::DecapsulationKey::generate(alg).unwrap();
            let ek = dk.encapsulation_key().unwrap().key_bytes().unwrap();
            let ek = ek.as_ref().to_vec();
            let (ct, _) = kem::EncapsulationKey::new(alg, &ek)
                .unwrap()
                .encapsulate()
                .unwrap();
            let ct = ct.as_ref().to_vec();
            cells.push(Cell::new(name, "encaps", L, move || {
                let key = kem::EncapsulationKey::new(alg, &ek).unwrap();
                black_box(key.encapsulate().unwrap());
            }));
            cells.push(Cell::new(name, "decaps", L, move || {
                black_box(dk.decapsulate(kem::Ciphertext::from(&ct[..])).unwrap());
            }));
        }
        for (name, alg) in [
            ("X25519", &agreement::X25519),
            ("P-256", &agreement::ECDH_P256),
            ("P-384", &agreement::ECDH_P384),
        ] {
            cells.push(Cell::new(name, "fixed-base (keygen)", L, move || {
                let k = agreement::PrivateKey::generate(alg).unwrap();
                black_box((k.compute_public_key().unwrap(), k));
            }));
            let mine = agreement::PrivateKey::generate(alg).unwrap();
            let peer = agreement::PrivateKey::generate(alg)
                .unwrap()
                .compute_public_key()
                .unwrap()
                .as_ref()
                .to_vec();
            cells.push(Cell::new(name, "variable-base (DH)", L, move || {
                let peer = agreement::UnparsedPublicKey::new(alg, &peer);
                black_box(agreement::agree(&mine, peer, (), |s| Ok::<_, ()>(s.to_vec())).unwrap());
            }));
        }
    }

    /// libcrux called directly, in the pieces pqhkex's ML-KEM-1024 (and its pure-Rust
    /// ML-KEM-768) rows are made of: where the time goes, and what is pqhkex's own.
    fn libcrux_parts(cells: &mut Vec<Cell>) {
        const L: &str = "libcrux direct";
        macro_rules! parts {
            ($name:literal, $m:ident) => {{
                use libcrux_ml_kem::$m as m;
                if std::arch::is_x86_feature_detected!("avx2") {
                    cells.push(Cell::new($name, "keygen, unpacked AVX2 + ek", L, || {
                        use m::avx2::unpacked as u;
                        let mut kp = Box::new(u::init_key_pair());
                        u::generate_key_pair_mut([7u8; 64], &mut kp);
                        black_box((u::key_pair_serialized_public_key(&kp), kp));
                    }));
                }
                cells.push(Cell::new($name, "keygen, serialized", L, || {
                    black_box(m::generate_key_pair([7u8; 64]));
                }));
                let pair = m::generate_key_pair([7u8; 64]);
                let ek = pair.public_key().clone();
                cells.push(Cell::new(
                    $name,
                    "ek modulus check (FIPS 203 §7.2)",
                    L,
                    move || {
                        black_box(m::validate_public_key(&ek));
                    },
                ));
                let ek = pair.public_key().clone();
                cells.push(Cell::new($name, "encaps, no check", L, move || {
                    black_box(m::encapsulate(&ek, [9u8; 32]));
                }));
            }};
        }
        parts!("ML-KEM-768", mlkem768);
        parts!("ML-KEM-1024", mlkem1024);
    }

    /// RustCrypto's `ml-kem` (pure Rust, no SIMD; pqhkex's test oracle), as the other
    /// C-free ML-KEM-1024 there is. Its `EncapsulationKey::new` makes the §7.2 check.
    fn rustcrypto_mlkem1024(cells: &mut Vec<Cell>) {
        use ml_kem::array::Array;
        use ml_kem::ml_kem_1024::{DecapsulationKey, EncapsulationKey};
        use ml_kem::KeyExport;
        const L: &str = "RustCrypto ml-kem 0.3";
        cells.push(Cell::new("ML-KEM-1024", "keygen", L, || {
            let dk = DecapsulationKey::from_seed(Array::from([7u8; 64]));
            black_box((dk.encapsulation_key().to_bytes(), dk));
        }));
        let ek = DecapsulationKey::from_seed(Array::from([7u8; 64]))
            .encapsulation_key()
            .to_bytes();
        cells.push(Cell::new("ML-KEM-1024", "encaps", L, move || {
            let key = EncapsulationKey::new(&ek).unwrap();
            black_box(key.encapsulate_deterministic(&Array::from([9u8; 32])));
        }));
    }

    fn percentile(sorted: &[u64], p: f64) -> u64 {
        sorted[((sorted.len() - 1) as f64 * p).round() as usize]
    }

    pub fn run() {
        // `cargo test --benches` runs every bench binary once with `--test`: nothing to time.
        if !super::support::measuring() {
            return;
        }
        let rounds: usize = std::env::var("PQHKEX_CYCLES_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(200);
        let label = super::support::pqhkex();
        let mut cells = Vec::new();
        pqhkex_mlkem(&mut cells, label);
        pqhkex_ecdh(&mut cells, label);
        aws_lc(&mut cells);
        libcrux_parts(&mut cells);
        rustcrypto_mlkem1024(&mut cells);

        let rate_before = tsc_per_ns();
        for cell in &mut cells {
            for _ in 0..WARM_UP {
                (cell.run)();
            }
        }
        for _ in 0..rounds {
            for cell in &mut cells {
                for _ in 0..PER_ROUND {
                    let start = tsc();
                    (cell.run)();
                    let end = tsc();
                    cell.samples.push(end - start);
                }
            }
        }
        let rate_after = tsc_per_ns();

        // The cost of the two fenced reads themselves, subtracted from every sample.
        let mut empty: Vec<u64> = (0..10_000)
            .map(|_| {
                let start = tsc();
                tsc() - start
            })
            .collect();
        empty.sort_unstable();
        let overhead = percentile(&empty, 0.5);

        let backend = |a| format!("{:?}", pqhkex::Backend::for_algorithm(a));
        println!(
            "TSC: {rate_before:.4} ticks/ns before, {rate_after:.4} after; timer overhead \
             {overhead} ticks (subtracted); {rounds} rounds x {PER_ROUND} samples per cell"
        );
        println!(
            "pqhkex backends: ML-KEM-768 {}, ML-KEM-1024 {}, X25519 {}, P-256 {}, P-384 {}",
            backend(pqhkex::Algorithm::MlKem768),
            backend(pqhkex::Algorithm::MlKem1024),
            backend(pqhkex::Algorithm::X25519),
            backend(pqhkex::Algorithm::P256),
            backend(pqhkex::Algorithm::P384),
        );
        println!();
        println!("| algorithm | operation | implementation | median cycles | quartiles | µs |");
        println!("|---|---|---|---:|---|---:|");
        let mut json = Vec::new();
        for cell in &mut cells {
            let mut s: Vec<u64> = cell
                .samples
                .iter()
                .map(|t| t.saturating_sub(overhead))
                .collect();
            s.sort_unstable();
            let (q1, med, q3) = (
                percentile(&s, 0.25),
                percentile(&s, 0.5),
                percentile(&s, 0.75),
            );
            let micros = med as f64 / rate_before / 1000.0;
            println!(
                "| {} | {} | {} | {med} | {q1}–{q3} | {micros:.1} |",
                cell.algorithm, cell.operation, cell.implementation
            );
            json.push(format!(
                "{{\"algorithm\":\"{}\",\"operation\":\"{}\",\"implementation\":\"{}\",\
                 \"median_cycles\":{med},\"q1_cycles\":{q1},\"q3_cycles\":{q3},\
                 \"samples\":{}}}",
                cell.algorithm,
                cell.operation,
                cell.implementation,
                s.len()
            ));
        }
        let path = super::support::output_file("cycles");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            format!(
                "{{\"tsc_ticks_per_ns\":{rate_before:.4},\"timer_overhead\":{overhead},\
                 \"cells\":[\n{}\n]}}\n",
                json.join(",\n")
            ),
        )
        .unwrap();
        eprintln!("wrote {}", path.display());
    }
}
