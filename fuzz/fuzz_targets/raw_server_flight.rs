//! The raw-ClientHello reader behind the TLS 1.2-and-older and preference probes
//! (inventory/src/hello.rs `read_first_flight`), and the certificate description of
//! whatever chain it finds (inventory/src/cert.rs), from arbitrary server bytes: never
//! a panic, bounded sizes, and a description for every certificate read.
//! Input: everything the server sends, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqhkex_inventory::hello::{self, ServerAnswer, MAX_FLIGHT};
use pqhkex_inventory::{cert, Answer};

fuzz_target!(|data: &[u8]| {
    pqhkex_fuzz::check_forced_backend();
    let Ok(answer) = hello::read_first_flight(data) else {
        return;
    };
    if let ServerAnswer::ServerHello(sh) = answer {
        let total: usize = sh.certificates.iter().map(Vec::len).sum();
        assert!(
            total <= MAX_FLIGHT,
            "{total} certificate bytes from a capped flight"
        );
        let described = cert::describe_chain(&sh.certificates);
        assert_eq!(described.len(), sh.certificates.len());
        for (c, der) in described.iter().zip(&sh.certificates) {
            assert_eq!(c.der_len, der.len());
            // Nothing is classified without a parse.
            if c.parse_error.is_some() {
                assert_eq!(c.quantum_vulnerable, Answer::Undetermined, "{c:?}");
            }
        }
    }
});
