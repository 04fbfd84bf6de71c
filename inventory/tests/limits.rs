//! How hard a scan presses on the network, measured by the listeners it connects to:
//! the global connection rate, the per-host limit, and connection retries.
//!
//! The listeners answer every connection with a line of HTTP (not TLS), so each target
//! costs one connection and ends `not-tls`: what is measured is when and how many
//! connections arrive, not what the handshakes find.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pqhkex::groups::X25519;
use pqhkex_inventory::{FailureKind, Scanner, Target};

fn scanner() -> Scanner {
    Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .groups(&[&X25519])
        .surface_probes(false)
        .client_hello_split_checks(false)
        .timeout(Duration::from_secs(5))
}

/// What a listener saw: when each connection arrived, how many were open at once.
#[derive(Default)]
struct Seen {
    arrivals: Mutex<Vec<Instant>>,
    open: AtomicUsize,
    peak: AtomicUsize,
}

/// A listener on `ip` that holds each connection for `hold` (reading what the client
/// sends), then answers a line of HTTP and closes.
fn listener(ip: &str, hold: Duration) -> (SocketAddr, Arc<Seen>) {
    let l = TcpListener::bind((ip, 0)).unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    std::thread::spawn(move || {
        for sock in l.incoming() {
            let Ok(sock) = sock else { continue };
            s.arrivals.lock().unwrap().push(Instant::now());
            let now = s.open.fetch_add(1, Ordering::SeqCst) + 1;
            s.peak.fetch_max(now, Ordering::SeqCst);
            let s = s.clone();
            std::thread::spawn(move || serve(sock, hold, &s));
        }
    });
    (addr, seen)
}

fn serve(mut sock: TcpStream, hold: Duration, seen: &Seen) {
    let until = Instant::now() + hold;
    let mut buf = [0u8; 4096];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let _ = sock.set_read_timeout(Some(left));
        match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    // Counted as closed before the client can see the answer and move on to its next
    // connection.
    seen.open.fetch_sub(1, Ordering::SeqCst);
    let _ = sock.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
    drop(sock);
}

fn targets(addr: SocketAddr, n: usize) -> Vec<Target> {
    (0..n)
        .map(|_| Target::parse(&addr.to_string()).unwrap())
        .collect()
}

#[test]
fn the_rate_spaces_every_new_connection() {
    let (addr, seen) = listener("127.0.0.1", Duration::ZERO);
    let n = 25;
    let rate = 10.0;
    let started = Instant::now();
    let results = scanner()
        .concurrency(8)
        .rate(Some(rate))
        .scan(&targets(addr, n));
    let took = started.elapsed();
    assert!(results
        .iter()
        .all(|r| r.error.as_ref().map(|e| e.kind) == Some(FailureKind::NotTls)));
    let arrivals = seen.arrivals.lock().unwrap().clone();
    assert!(arrivals.len() >= n, "{} connections", arrivals.len());
    // k connections paced 100 ms apart span at least (k - 1) × 100 ms (a slow
    // machine only makes it longer); 10 % allowed for timer granularity.
    let span = *arrivals.last().unwrap() - arrivals[0];
    let least = Duration::from_secs_f64((arrivals.len() - 1) as f64 / rate * 0.9);
    assert!(span >= least, "{} connections in {span:?}", arrivals.len());
    assert!(took >= least, "{took:?}");
    // No second holds much more than the rate (a delayed accept loop may see a few
    // queued connections at once).
    for (i, a) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .take_while(|b| **b - *a < Duration::from_secs(1))
            .count();
        assert!(in_window <= 15, "{in_window} connections within 1 s");
    }

    // The same scan without the rate: the listener sees them much faster, so the
    // bound above measures the pacing.
    let (addr, seen) = listener("127.0.0.1", Duration::ZERO);
    let started = Instant::now();
    scanner().concurrency(8).scan(&targets(addr, n));
    assert!(started.elapsed() < least, "{:?}", started.elapsed());
    assert!(seen.arrivals.lock().unwrap().len() >= n);
}

#[test]
fn the_per_host_limit_is_never_exceeded() {
    let hold = Duration::from_millis(150);
    let (a, seen_a) = listener("127.0.0.1", hold);
    let (b, seen_b) = listener("127.0.0.2", hold);
    let mut list = targets(a, 12);
    list.extend(targets(b, 6));
    let results = scanner().concurrency(8).per_host_limit(2).scan(&list);
    assert_eq!(results.len(), 18);
    assert!(results
        .iter()
        .all(|r| r.error.as_ref().map(|e| e.kind) == Some(FailureKind::NotTls)));
    for (seen, n) in [(&seen_a, 12), (&seen_b, 6)] {
        assert!(seen.arrivals.lock().unwrap().len() >= n);
        let peak = seen.peak.load(Ordering::SeqCst);
        assert!((1..=2).contains(&peak), "{peak} connections open at once");
    }
    // Results still come back in the targets' order.
    assert!(results[..12].iter().all(|r| r.target == a.to_string()));
    assert!(results[12..].iter().all(|r| r.target == b.to_string()));

    // Without the limit the same listener sees more at once: the peak above is the
    // limit's doing.
    let (c, seen_c) = listener("127.0.0.1", hold);
    scanner().concurrency(8).scan(&targets(c, 12));
    assert!(
        seen_c.peak.load(Ordering::SeqCst) > 2,
        "{}",
        seen_c.peak.load(Ordering::SeqCst)
    );
}

#[test]
fn refused_connections_are_retried_until_a_listener_appears() {
    // A port with nothing on it (for now).
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let target = Target::parse(&addr.to_string()).unwrap();

    // No retries: refused, unreachable.
    let r = scanner().scan_target(&target);
    assert_eq!(
        r.error.as_ref().map(|e| e.kind),
        Some(FailureKind::Unreachable)
    );

    // The listener appears 250 ms later; retries after 100, 200, 400 ms reach it.
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let server = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(250));
        let l = TcpListener::bind(addr).unwrap();
        l.set_nonblocking(false).unwrap();
        let (sock, _) = l.accept().unwrap();
        s.arrivals.lock().unwrap().push(Instant::now());
        s.open.fetch_add(1, Ordering::SeqCst);
        serve(sock, Duration::ZERO, &s);
        // Further probes of the target, if any, are refused again.
    });
    let started = Instant::now();
    let r = scanner().retries(4).scan_target(&target);
    assert_eq!(
        r.error.as_ref().map(|e| e.kind),
        Some(FailureKind::NotTls),
        "{:?}",
        r.error
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    server.join().unwrap();
    assert_eq!(seen.arrivals.lock().unwrap().len(), 1);

    // A connection that opened is never retried, whatever the answer (here not TLS;
    // an alert likewise): one connection for the target.
    let (b, seen_b) = listener("127.0.0.1", Duration::ZERO);
    let r = scanner()
        .retries(3)
        .scan_target(&Target::parse(&b.to_string()).unwrap());
    assert_eq!(r.error.as_ref().map(|e| e.kind), Some(FailureKind::NotTls));
    assert_eq!(seen_b.arrivals.lock().unwrap().len(), 1);
}
