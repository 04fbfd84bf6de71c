//! The scanner's reading of a TLS server's first flight from arbitrary bytes: the
//! record layer, ServerHello / HelloRetryRequest, alerts, and the evidence rules that
//! turn a failed handshake into accepted / rejected / error (inventory/src/tls.rs).
//! Input: everything the server sends, in order.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use pqhkex_inventory::{ProbeResult, Scanner};

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        Scanner::new(Arc::new(rustls::crypto::ring::default_provider())).expect("a scanner")
    })
}

fuzz_target!(|data: &[u8]| {
    pqhkex_fuzz::check_forced_backend();
    let p = scanner().classify_first_flight(data);
    match p.result {
        // A refusal is only ever drawn from an alert.
        ProbeResult::Rejected => assert!(p.alert.is_some(), "{p:?}"),
        ProbeResult::Accepted | ProbeResult::HelloRetryRequest => {
            // The group must be one the probe offered.
            let g = p
                .group
                .as_deref()
                .expect("an accepted probe names its group");
            assert!(p.offered.iter().any(|o| o == g), "{p:?}");
            // Finishing the handshake takes the peer knowing our fresh key share.
            assert_ne!(p.handshake_completed, Some(true), "{p:?}");
        }
        ProbeResult::Error => assert!(p.failure.is_some(), "{p:?}"),
        other => panic!("a replayed probe cannot be {other:?}"),
    }
});
