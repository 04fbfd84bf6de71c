//! The certificate description of the inventory (inventory/src/cert.rs) from arbitrary
//! DER: x509-parser underneath, pqhkex's OID table and key-size reading on top. Never a
//! panic; an unparsable certificate is undetermined, never classified.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqhkex_inventory::{cert, Answer};

fuzz_target!(|data: &[u8]| {
    let c = cert::describe(data);
    assert_eq!(c.der_len, data.len());
    if c.parse_error.is_some() {
        assert_eq!(c.quantum_vulnerable, Answer::Undetermined, "{c:?}");
    }
    // A certificate is quantum-vulnerable when its key or its signature is.
    if c.public_key.quantum_vulnerable == Answer::Yes
        || c.signature_algorithm.quantum_vulnerable == Answer::Yes
    {
        assert_eq!(c.quantum_vulnerable, Answer::Yes, "{c:?}");
    }
    let _ = c.public_key.label();
});
