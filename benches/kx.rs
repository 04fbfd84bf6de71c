//! Full key exchange per group, exactly as rustls drives it in a handshake: client
//! `start`, server `start_and_complete` on the client's share, client `complete` on the
//! server's share. Every pqhkex group, and in the same run rustls's own aws-lc-rs and
//! *ring* groups.
//!
//! `cargo bench --bench kx`; results in `target/criterion/kx*`, summarized by
//! `scripts/bench-report`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rustls::crypto::SupportedKxGroup;

mod support;

/// One full exchange; returns the client's secret (checked equal to the server's once,
/// outside the timing loop, in [`check`]).
fn full(kx: &dyn SupportedKxGroup) -> rustls::crypto::SharedSecret {
    let client = kx.start().unwrap();
    let server = kx.start_and_complete(client.pub_key()).unwrap();
    client.complete(&server.pub_key).unwrap()
}

/// Every contender must agree with itself before it is timed.
fn check(kx: &dyn SupportedKxGroup) {
    let client = kx.start().unwrap();
    let server = kx.start_and_complete(client.pub_key()).unwrap();
    let secret = client.complete(&server.pub_key).unwrap();
    assert_eq!(secret.secret_bytes(), server.secret.secret_bytes());
}

/// Interleaved A/B timing of each pqhkex group against each peer's group of the same
/// name (aws-lc-rs, rustls-graviola; see [`support::paired`]).
fn paired_ratios() {
    let all = support::contenders();
    let mut rows = Vec::new();
    for p in all.iter().filter(|w| w.implementation == support::pqhkex()) {
        for peer in support::PEERS {
            let Some(a) = all
                .iter()
                .find(|w| w.implementation == *peer && w.group == p.group)
            else {
                continue;
            };
            let (tp, ta) = support::paired(
                || drop(std::hint::black_box(full(p.kx))),
                || drop(std::hint::black_box(full(a.kx))),
                10,
                61,
            );
            eprintln!("paired {} / {}: {:.3}", p.id(), a.id(), tp / ta);
            rows.push((p.id(), a.id(), tp, ta));
        }
    }
    support::write_paired("paired-kx", &rows);
}

fn bench_full(c: &mut Criterion) {
    if support::measuring() {
        paired_ratios();
    }
    let mut g = c.benchmark_group("kx");
    for who in support::contenders() {
        check(who.kx);
        g.bench_function(who.id(), |b| b.iter(|| full(who.kx)));
    }
    g.finish();
}

/// The three steps separately, for the groups whose cost matters most.
fn bench_steps(c: &mut Criterion) {
    let mut g = c.benchmark_group("kx-steps");
    for who in support::contenders() {
        if !matches!(who.group, "X25519MLKEM768" | "MLKEM768" | "x25519") {
            continue;
        }
        let kx = who.kx;
        g.bench_function(format!("{}/client-start", who.id()), |b| {
            b.iter(|| kx.start().unwrap())
        });
        let share = kx.start().unwrap().pub_key().to_vec();
        g.bench_function(format!("{}/server", who.id()), |b| {
            b.iter(|| kx.start_and_complete(&share).unwrap())
        });
        g.bench_function(format!("{}/client-complete", who.id()), |b| {
            b.iter_batched(
                || {
                    let client = kx.start().unwrap();
                    let server = kx.start_and_complete(client.pub_key()).unwrap();
                    (client, server.pub_key)
                },
                |(client, reply)| client.complete(&reply).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench_full, bench_steps
}
criterion_main!(benches);
