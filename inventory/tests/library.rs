//! The library's own promises, over loopback: typed results round-trip through the
//! published JSON Schema's format, the per-target time budget, ordering of `scan`.

#[path = "support/fleet.rs"]
mod fleet;

use std::sync::Arc;
use std::time::Duration;

use pqhkex_inventory::{
    Class, FailureKind, GroupKind, ProbeResult, ScanReport, Scanner, Status, Target,
};
use serde_json::Value;

fn scanner() -> Scanner {
    Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .timeout(Duration::from_secs(10))
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/scan-v3.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str::<Value>(&text).unwrap()).unwrap()
}

#[test]
fn results_follow_the_schema_and_round_trip() {
    let fleet = fleet::start(2);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let targets: Vec<Target> = fleet
        .members
        .iter()
        .map(|(a, _)| a.clone())
        .chain([closed.to_string()])
        .map(|a| Target::parse(&a).unwrap())
        .collect();
    let report = ScanReport::new(scanner().hello_retry_probes(true).scan(&targets));

    // In the order given, whatever order they finished in.
    let classes: Vec<Class> = report.targets.iter().map(|r| r.classification).collect();
    assert_eq!(
        classes,
        [
            Class::PqAndClassical,
            Class::ClassicalOnly,
            Class::Unreachable
        ]
    );
    let pq = &report.targets[0];
    assert_eq!(pq.status, Status::Ok);
    assert!(pq.quantum_safe_by_default);
    assert_eq!(
        pq.default_offer
            .as_ref()
            .and_then(|d| d.negotiated_group())
            .map(|g| g.name),
        Some("X25519MLKEM768")
    );
    let hybrid = pq
        .groups
        .iter()
        .find(|g| g.name == "SecP256r1MLKEM768")
        .unwrap();
    assert_eq!(hybrid.kind, GroupKind::Hybrid);
    assert_eq!(hybrid.probe.result, ProbeResult::Accepted);
    assert_eq!(
        hybrid.without_key_share.as_ref().map(|p| p.result),
        Some(ProbeResult::HelloRetryRequest)
    );
    assert!(pq
        .accepted_groups()
        .iter()
        .any(|g| g.name == "SecP384r1MLKEM1024"));
    assert_eq!(
        report.targets[2].error.as_ref().map(|e| e.kind),
        Some(FailureKind::Unreachable)
    );
    assert_eq!(report.exit_code(), 3);

    let json = serde_json::to_value(&report).unwrap();
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let back: ScanReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
    // What is computed from the JSON fields survives the trip.
    assert_eq!(
        back.targets[0].accepted_groups(),
        report.targets[0].accepted_groups()
    );
}

#[test]
fn a_spent_time_budget_stops_the_probes() {
    let fleet = fleet::start(1);
    let target = Target::parse(&fleet.members[0].0).unwrap();
    let r = scanner()
        .target_timeout(Some(Duration::ZERO))
        .scan_target(&target);
    // The budget (clamped to 1 ms) runs out while connecting (unreachable in time) or
    // during the first probes (undetermined): never a classification from evidence.
    let e = r.error.clone().unwrap();
    match r.classification {
        Class::Unreachable => assert_eq!(e.kind, FailureKind::Timeout, "{}", e.message),
        Class::Undetermined => {
            assert_eq!(e.kind, FailureKind::Undetermined, "{}", e.message);
            assert!(e.message.contains("time budget"), "{}", e.message);
        }
        other => panic!("{other:?}: {r:#?}"),
    }
    assert_ne!(ScanReport::new(vec![r.clone()]).exit_code(), 0);
    assert_eq!(
        fleet.handshakes.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "{r:#?}"
    );

    // A generous budget changes nothing.
    let r = scanner()
        .target_timeout(Some(Duration::from_secs(120)))
        .scan_target(&target);
    assert_eq!(r.classification, Class::PqAndClassical);
}
