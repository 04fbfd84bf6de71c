//! How fast, and in how much memory, does a scan of many targets run?
//!
//! Starts a fleet of loopback TLS servers (one per address of 127.1.0.0/16; half
//! prefer post-quantum, half classical-only) and scans them all with
//! [`Scanner::scan_each`], keeping no result (each is checked and dropped, as a tool
//! that writes results out as they come would do). Prints targets per second and the
//! process's peak RSS (VmHWM), which includes the in-process fleet.
//!
//! ```text
//! cargo run --release -p pqhkex-inventory --example scale -- [TARGETS] [CONCURRENCY]
//! ```
//! Defaults: 1000 targets, concurrency 16; probes the browser-like offer,
//! X25519MLKEM768 and x25519 (three handshakes per post-quantum target, two per
//! classical one).

#[path = "../tests/support/fleet.rs"]
mod fleet;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pqhkex::groups::{X25519, X25519MLKEM768};
use pqhkex_inventory::{Class, Flow, Scanner, Target};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(1000, |a| a.parse().expect("TARGETS"));
    let concurrency: usize = args.next().map_or(16, |a| a.parse().expect("CONCURRENCY"));
    let rss_before_fleet = fleet::peak_rss_kib().unwrap_or(0);
    let fleet = fleet::start(n);
    let rss_with_fleet = fleet::peak_rss_kib().unwrap_or(0);
    let targets: Vec<Target> = fleet
        .members
        .iter()
        .map(|(addr, _)| Target::parse(addr).expect("target"))
        .collect();
    let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .expect("scanner")
        .groups(&[&X25519MLKEM768, &X25519])
        // Two more handshakes and a 50 ms pause per target; measured apart.
        .client_hello_split_checks(false)
        // The key exchange only, as before the endpoint-surface probes (about a dozen
        // more short connections per target): figures stay comparable across versions.
        .surface_probes(false)
        .timeout(Duration::from_secs(20))
        .concurrency(concurrency);
    let started = Instant::now();
    let mut pq = 0;
    let delivered = scanner.scan_each(targets, |_, r| {
        if r.classification == Class::PqAndClassical {
            pq += 1;
        }
        Flow::Continue
    });
    let elapsed = started.elapsed().as_secs_f64();
    let rss_end = fleet::peak_rss_kib().unwrap_or(0);
    assert_eq!(delivered, n);
    assert_eq!(
        pq,
        n.div_ceil(2),
        "every even-numbered target is post-quantum"
    );
    println!(
        "targets={n} concurrency={concurrency} handshakes={} seconds={elapsed:.2} targets_per_s={:.0} \
         peak_rss_mib={:.1} (before the fleet {:.1}, with the fleet listening {:.1})",
        fleet
            .handshakes
            .load(std::sync::atomic::Ordering::SeqCst),
        n as f64 / elapsed,
        rss_end as f64 / 1024.0,
        rss_before_fleet as f64 / 1024.0,
        rss_with_fleet as f64 / 1024.0,
    );
}
