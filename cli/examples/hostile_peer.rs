//! Serves one hostile, slow or broken peer of the verdict tests on loopback, so that
//! any `pqhkex` binary can be measured against it by hand:
//!
//! ```text
//! cargo run -p pqhkex-cli --example hostile_peer -- slowloris
//! listening on 127.0.0.1:40123 (scan it as 127.0.0.1:40123)
//! ```
//!
//! Without an argument it lists the scenarios (see `tests/hostile_peers/mod.rs`).

#[path = "../tests/hostile_peers/mod.rs"]
mod hostile_peers;

use hostile_peers::Scenario;

fn main() {
    let Some(scenario) = std::env::args()
        .nth(1)
        .as_deref()
        .and_then(Scenario::by_name)
    else {
        eprintln!("usage: hostile_peer SCENARIO; scenarios:");
        for s in Scenario::ALL {
            eprintln!("  {}", s.name());
        }
        std::process::exit(2);
    };
    let peer = hostile_peers::start(scenario);
    println!(
        "listening on {} (scan it as {})",
        peer.addr,
        peer.target(scenario)
    );
    loop {
        std::thread::park();
    }
}
