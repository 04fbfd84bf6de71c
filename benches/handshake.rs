//! Full TLS 1.3 handshakes in memory (client and server in this process, one ECDSA
//! P-256 certificate, rustls's aws-lc-rs provider as the base for everything but the key
//! exchange), per group: pqhkex against rustls's own groups; fresh and resumed.
//!
//! Before timing, the binary records what criterion cannot: bytes on the wire per
//! handshake and heap allocated per key exchange and per handshake, through a counting
//! allocator. They go to `target/criterion/pqhkex/footprint.json`, which
//! `scripts/bench-report` turns into tables.
//!
//! `cargo bench --bench handshake`.

use std::fmt::Write as _;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::crypto::SupportedKxGroup;
use rustls::HandshakeKind;

#[path = "support/alloc_counter.rs"]
mod alloc_counter;
mod support;

#[global_allocator]
static ALLOCATOR: alloc_counter::Counting = alloc_counter::Counting;

fn full_kx(kx: &dyn SupportedKxGroup) -> (usize, usize) {
    let client = kx.start().unwrap();
    let server = kx.start_and_complete(client.pub_key()).unwrap();
    let lens = (client.pub_key().len(), server.pub_key.len());
    let secret = client.complete(&server.pub_key).unwrap();
    assert_eq!(secret.secret_bytes(), server.secret.secret_bytes());
    lens
}

/// Wire bytes and heap per contender, written as JSON (by hand: one flat object per row).
fn footprint() {
    let mut rows = Vec::new();
    for who in support::contenders() {
        let client = support::client_config(who.kx, false);
        let server = support::server_config(who.kx);
        // Warm up lazily initialized state (CPU feature detection, tables) first.
        let _ = full_kx(who.kx);
        let _ = support::handshake(&client, &server);
        let ((client_share, server_share), kx_heap) = alloc_counter::measure(|| full_kx(who.kx));
        let ((conn, wire), hs_heap) =
            alloc_counter::measure(|| support::handshake(&client, &server));
        assert_eq!(
            conn.negotiated_key_exchange_group().map(|g| g.name()),
            Some(who.kx.name())
        );
        drop(conn);
        let mut row = String::new();
        write!(
            row,
            "{{\"implementation\":\"{}\",\"group\":\"{}\",\"client_share\":{},\"server_share\":{},\
             \"client_hello\":{},\"server_flight\":{},\"client_total\":{},\"server_total\":{},\
             \"kx_allocations\":{},\"kx_bytes\":{},\"handshake_allocations\":{},\"handshake_bytes\":{}}}",
            who.implementation,
            who.group,
            client_share,
            server_share,
            wire.client_hello,
            wire.server_flight,
            wire.client_total,
            wire.server_total,
            kx_heap.allocations,
            kx_heap.bytes,
            hs_heap.allocations,
            hs_heap.bytes
        )
        .unwrap();
        rows.push(row);
    }
    let path = support::output_file("footprint");
    std::fs::write(&path, format!("[\n{}\n]\n", rows.join(",\n"))).unwrap();
    eprintln!("wrote {}", path.display());
}

/// Interleaved A/B timing of full handshakes (see [`support::paired`]): pqhkex's
/// X25519MLKEM768 against x25519 (the 1.10x target, with the peers' own ratios), and each
/// pqhkex group against each peer's group of the same name.
fn paired_ratios() {
    let all = support::contenders();
    let find = |imp: &str, group: &str| {
        all.iter()
            .find(|w| w.implementation == imp && w.group == group)
            .copied()
    };
    let mut pairs = vec![
        (
            find(support::pqhkex(), "X25519MLKEM768"),
            find("aws-lc-rs", "x25519"),
        ),
        (
            find(support::pqhkex(), "X25519MLKEM768"),
            find(support::pqhkex(), "x25519"),
        ),
    ];
    for peer in support::PEERS {
        pairs.push((find(peer, "X25519MLKEM768"), find(peer, "x25519")));
    }
    for p in all.iter().filter(|w| w.implementation == support::pqhkex()) {
        for peer in support::PEERS {
            pairs.push((Some(*p), find(peer, p.group)));
        }
    }
    let mut rows = Vec::new();
    for (a, b) in pairs {
        let (Some(a), Some(b)) = (a, b) else { continue };
        let (ca, sa) = (
            support::client_config(a.kx, false),
            support::server_config(a.kx),
        );
        let (cb, sb) = (
            support::client_config(b.kx, false),
            support::server_config(b.kx),
        );
        let (ta, tb) = support::paired(
            || drop(std::hint::black_box(support::handshake(&ca, &sa))),
            || drop(std::hint::black_box(support::handshake(&cb, &sb))),
            4,
            41,
        );
        rows.push((a.id(), b.id(), ta, tb));
    }
    support::write_paired("paired-handshake", &rows);
}

fn bench_full(c: &mut Criterion) {
    if support::measuring() {
        footprint();
        paired_ratios();
    }
    let mut g = c.benchmark_group("handshake");
    for who in support::contenders() {
        let client = support::client_config(who.kx, false);
        let server = support::server_config(who.kx);
        let (conn, _) = support::handshake(&client, &server);
        assert_eq!(conn.handshake_kind(), Some(HandshakeKind::Full));
        g.bench_function(who.id(), |b| {
            b.iter(|| support::handshake(&client, &server))
        });
    }
    g.finish();
}

fn bench_resumed(c: &mut Criterion) {
    let mut g = c.benchmark_group("handshake-resumed");
    for who in support::contenders() {
        let client = support::client_config(who.kx, true);
        let server = support::server_config(who.kx);
        // The first handshake is full and leaves tickets; every later one resumes (TLS 1.3
        // PSK with (EC)DHE: the key exchange still runs) and receives fresh tickets.
        let (first, _) = support::handshake(&client, &server);
        assert_eq!(first.handshake_kind(), Some(HandshakeKind::Full));
        let (second, _) = support::handshake(&client, &server);
        assert_eq!(second.handshake_kind(), Some(HandshakeKind::Resumed));
        assert_eq!(
            second.negotiated_key_exchange_group().map(|g| g.name()),
            Some(who.kx.name())
        );
        g.bench_function(who.id(), |b| {
            b.iter(|| support::handshake(&client, &server))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench_full, bench_resumed
}
criterion_main!(benches);
