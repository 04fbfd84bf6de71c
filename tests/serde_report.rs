//! Feature `serde`: a `ConnectionReport` of real (in-memory) handshakes as JSON, field by
//! field. Without the feature this file compiles to nothing.
#![cfg(feature = "serde")]

mod common;

use common::*;
use pqhkex::{Algorithm, Backend, ConnectionReport, Policy};
use serde_json::json;

fn backends(components: &[Algorithm]) -> Vec<&'static str> {
    components
        .iter()
        .map(|a| Backend::for_algorithm(*a).name())
        .collect()
}

#[test]
fn post_quantum_report_as_json() {
    let out = handshake(
        client_config(ring_policy(Policy::RequirePostQuantum)),
        server_config(ring_policy(Policy::RequirePostQuantum)),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let report = ConnectionReport::from_connection(&out.client);
    let wire = [Algorithm::MlKem768, Algorithm::X25519];
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({
            "group_code": 0x11ec,
            "group": "X25519MLKEM768",
            "post_quantum": true,
            "hybrid": true,
            "components": ["ML-KEM-768", "X25519"],
            "hello_retry_request": false,
            "resumed": false,
            "protocol_version": "TLSv1_3",
            "cipher_suite": "TLS13_AES_256_GCM_SHA384",
            "pqhkex_implementation": true,
            "backends": backends(&wire),
        })
    );
}

#[test]
fn classical_report_as_json() {
    let out = handshake(
        client_config(ring_policy(Policy::Classical)),
        server_config(ring_policy(Policy::Classical)),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let json = serde_json::to_value(ConnectionReport::from_connection(&out.server)).unwrap();
    assert_eq!(json["group"], "x25519");
    assert_eq!(json["group_code"], 0x001d);
    assert_eq!(json["post_quantum"], false);
    assert_eq!(json["hybrid"], false);
    assert_eq!(json["components"], json!(["X25519"]));
    assert_eq!(json["backends"], json!(backends(&[Algorithm::X25519])));
}
