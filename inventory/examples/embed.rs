//! Embedding the inventory in a tool of your own: scan a list of endpoints from Rust,
//! act on the typed results, write a CycloneDX 1.6 CBOM, and merge it into the
//! CycloneDX document the tool already builds.
//!
//! So that it runs anywhere, the example starts two loopback TLS servers of its own (one
//! that prefers post-quantum, one classical-only) and adds a target nothing listens on.
//!
//! ```text
//! cargo run -p pqhkex-inventory --example embed
//! ```

#[path = "../tests/support/fleet.rs"]
mod fleet;

use std::sync::Arc;
use std::time::Duration;

use pqhkex_inventory::{cbom, Class, ScanReport, Scanner, Target};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let servers = fleet::start(2);
    // A port nothing listens on: connection refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;

    // 1. The list, as a tool holds it.
    let mut targets = Vec::new();
    for (addr, _) in &servers.members {
        targets.push(Target::parse(addr)?);
    }
    targets.push(Target::parse(&closed.to_string())?);

    // 2. Scan: pass your provider (here rustls's ring); every group, 2 s per I/O.
    let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?
        .timeout(Duration::from_secs(2))
        .concurrency(4);
    let report = ScanReport::new(scanner.scan(&targets));

    // 3. Act on the typed results.
    for r in &report.targets {
        let verdict = match r.classification {
            Class::PqOnly | Class::PqAndClassical => "post-quantum: OK",
            Class::ClassicalOnly | Class::Tls12Only => "classical: migrate",
            Class::NoCommonGroup | Class::Unreachable => "not scanned",
            _ => "see the classification",
        };
        println!("{:<22} {:<17} {verdict}", r.target, r.classification);
        if let Some(e) = &r.error {
            println!("{:<22} error ({:?}): {}", "", e.kind, e.message);
        }
    }
    assert_eq!(report.targets[0].classification, Class::PqAndClassical);
    assert_eq!(report.targets[1].classification, Class::ClassicalOnly);
    assert_eq!(report.targets[2].classification, Class::Unreachable);

    // 4. The JSON `pqhkex scan --json` prints, and back.
    let text = serde_json::to_string_pretty(&report)?;
    let back: ScanReport = serde_json::from_str(&text)?;
    assert_eq!(back, report);

    // 5. A CBOM of the scan, merged into the SBOM the tool already has.
    let ours = cbom::build(&report.targets, &report.timestamp);
    let mut theirs = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": { "tools": { "components": [{ "type": "application", "name": "our-inventory", "version": "2.3" }] } },
        "components": [{ "type": "library", "bom-ref": "pkg:cargo/rustls@0.23.35", "name": "rustls", "version": "0.23.35" }],
    });
    cbom::merge(&mut theirs, &ours)?;
    let components = theirs["components"].as_array().map_or(0, Vec::len);
    let services = theirs["services"].as_array().map_or(0, Vec::len);
    println!(
        "merged: {components} components (rustls and the key-exchange assets), {services} services, version {}",
        theirs["version"]
    );
    assert_eq!(theirs["components"][0]["name"], "rustls");
    assert_eq!(services, 3);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
