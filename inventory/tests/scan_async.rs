//! The async API over loopback: a `current_thread` runtime keeps running its other
//! tasks while a scan of a slow target runs, and cancelling (dropping the stream, or
//! `cancel`) starts no further target.
#![cfg(feature = "tokio")]

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pqhkex_inventory::{Class, FailureKind, Scanner, Target};

/// A TCP port that accepts connections and never says a word; counts them.
fn silent_tcp() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().map_while(Result::ok) {
            seen.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    (addr, count)
}

fn scanner(timeout: Duration) -> Scanner {
    Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .groups(&[&pqhkex::groups::X25519])
        .timeout(timeout)
}

#[test]
fn a_current_thread_runtime_keeps_ticking_during_a_scan() {
    let (addr, _) = silent_tcp();
    let target = Target::parse(&addr.to_string()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (results, ticks, took) = rt.block_on(async {
        let ticks = Arc::new(AtomicU64::new(0));
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let started = Instant::now();
        let results = scanner(Duration::from_millis(1000))
            .scan_async(vec![target])
            .await;
        ticker.abort();
        (results, ticks.load(Ordering::SeqCst), started.elapsed())
    });
    // The target took its whole probe timeout; the runtime's only thread ticked on.
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert!(
        ticks >= 60,
        "only {ticks} ticks in {took:?}: the runtime was blocked"
    );
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].classification, Class::Unreachable);
    assert_eq!(
        results[0].error.as_ref().unwrap().kind,
        FailureKind::Timeout
    );
}

#[test]
fn dropping_the_stream_starts_no_further_target() {
    let servers: Vec<_> = (0..5).map(|_| silent_tcp()).collect();
    let targets: Vec<Target> = servers
        .iter()
        .map(|(a, _)| Target::parse(&a.to_string()).unwrap())
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut stream = scanner(Duration::from_millis(300))
            .concurrency(1)
            .scan_stream(targets);
        let (first, r) = stream.next().await.unwrap();
        assert_eq!((first, r.classification), (0, Class::Unreachable));
        drop(stream);
        // Longer than the rest of the targets would take if they were scanned.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    });
    let connections: Vec<usize> = servers
        .iter()
        .map(|(_, c)| c.load(Ordering::SeqCst))
        .collect();
    assert_eq!(connections[0], 1, "{connections:?}");
    // The one worker may have taken target 1 before the drop; nothing after it starts.
    assert!(connections[1] <= 1, "{connections:?}");
    assert_eq!(&connections[2..], [0, 0, 0], "{connections:?}");
}

#[test]
fn cancel_delivers_the_targets_already_started_then_ends() {
    let servers: Vec<_> = (0..6).map(|_| silent_tcp()).collect();
    let targets: Vec<Target> = servers
        .iter()
        .map(|(a, _)| Target::parse(&a.to_string()).unwrap())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let delivered = rt.block_on(async {
        let mut stream = scanner(Duration::from_millis(300))
            .concurrency(2)
            .scan_stream(targets);
        let mut delivered = vec![stream.next().await.unwrap().0];
        stream.cancel();
        assert!(stream.is_cancelled());
        while let Some((i, _)) = stream.next().await {
            delivered.push(i);
        }
        delivered
    });
    let started: Vec<usize> = servers
        .iter()
        .enumerate()
        .filter(|(_, (_, c))| c.load(Ordering::SeqCst) > 0)
        .map(|(i, _)| i)
        .collect();
    // Every target that started was delivered. Before the cancel took effect, each of
    // the two workers may have finished one target and taken the next (its result
    // crossing to the async side while the worker moves on): at most four started,
    // and none after that.
    let mut got = delivered.clone();
    got.sort_unstable();
    assert_eq!(got, started, "delivered {delivered:?}");
    assert!(started.len() <= 4, "{started:?}");
    assert!(
        !started.contains(&4) && !started.contains(&5),
        "{started:?}"
    );
}
