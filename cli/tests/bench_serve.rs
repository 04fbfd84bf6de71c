//! `pqhkex bench` against `pqhkex serve`: groups the server does not accept, the
//! warm-up, and how other failures still fail the run.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{bench_group, pqhkex, temp_path, Serve};
use serde_json::Value;

/// Default `bench` against a default `serve`: the default policy (prefer) turns down
/// MLKEM1024, which is reported as not accepted without failing the run;
/// `--require-all` makes it fail with the refusal's exit code (8).
#[test]
fn default_bench_against_default_serve() {
    let server = Serve::start(["--port", "0", "--quiet"]);
    let target = format!("127.0.0.1:{}", server.port);
    let common = [
        "bench",
        &target,
        "--handshakes",
        "5",
        "--warmup",
        "2",
        "--concurrency",
        "2",
    ];

    let out = pqhkex(&[&common[..], &["--json"]].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json();
    assert_eq!(doc["warmup_handshakes"], 2, "{doc:#}");
    let m = bench_group(&doc, "MLKEM1024");
    assert_eq!(m["status"], "not-accepted", "{m:#}");
    assert_eq!(m["handshakes"], 0, "{m:#}");
    assert!(
        m["first_error"]
            .as_str()
            .unwrap()
            .contains("HandshakeFailure"),
        "{m:#}"
    );
    for name in [
        "x25519",
        "X25519MLKEM768",
        "SecP256r1MLKEM768",
        "SecP384r1MLKEM1024",
    ] {
        let g = bench_group(&doc, name);
        assert_eq!(g["status"], "ok", "{g:#}");
        assert_eq!(g["handshakes"], 5, "{g:#}");
        assert_eq!(g["first_error"], Value::Null, "{g:#}");
    }

    // The table and the SVG say so too.
    let svg = temp_path("bench.svg");
    let out = pqhkex(&[&common[..], &["--svg", svg.to_str().unwrap()]].concat());
    let picture = std::fs::read_to_string(&svg).unwrap();
    let _ = std::fs::remove_file(&svg);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("MLKEM1024 ") && l.ends_with("not accepted by the server")),
        "{}",
        out.stdout
    );
    assert!(
        picture.contains(">MLKEM1024 (not accepted)<") && !picture.contains(">MLKEM1024 (p50"),
        "{picture}"
    );
    assert!(picture.contains("X25519MLKEM768 (p50"), "{picture}");

    let out = pqhkex(&[&common[..], &["--json", "--require-all"]].concat());
    assert_eq!(out.code, 8, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        bench_group(&out.json(), "MLKEM1024")["status"],
        "not-accepted"
    );

    // Nothing accepted at all: nothing was measured, the run fails.
    let out = pqhkex(&[&common[..], &["--json", "--groups", "MLKEM1024"]].concat());
    assert_eq!(out.code, 8, "{}\n{}", out.stdout, out.stderr);
}

/// The warm-up handshakes reach the server but are not counted: with `--warmup 5` and
/// `--handshakes 10`, bench reports 10 and the server saw 15 (it exits after exactly 15
/// connections, then writes its final statistics).
#[test]
fn warmup_is_run_but_not_counted() {
    let stats = temp_path("stats.json");
    let mut server = Serve::start([
        "--port",
        "0",
        "--quiet",
        "--max-connections",
        "15",
        "--stats-json",
        stats.to_str().unwrap(),
    ]);
    let out = pqhkex(&[
        "bench",
        &format!("127.0.0.1:{}", server.port),
        "--groups",
        "x25519",
        "--handshakes",
        "10",
        "--warmup",
        "5",
        "--concurrency",
        "2",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let g = bench_group(&out.json(), "x25519").clone();
    assert_eq!(g["handshakes"], 10, "{g:#}");
    assert_eq!(g["status"], "ok", "{g:#}");

    // Not a timing assertion: a bound on waiting so that a missing warm-up (the server
    // would wait for 5 more connections forever) fails instead of hanging.
    let status = server.wait_exit(Duration::from_secs(60), "serve did not see 15 connections");
    assert!(status.success(), "{status:?}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let _ = std::fs::remove_file(&stats);
    assert_eq!(doc["connections"], 15, "{doc:#}");
    assert_eq!(doc["handshakes"], 15, "{doc:#}");
    assert_eq!(doc["errors"], 0, "{doc:#}");
}

/// A peer that closes every connection without an alert is an error, not a refusal of
/// the group: status "failed", and the run fails without `--require-all`.
#[test]
fn a_closed_connection_is_a_failure_not_a_refusal() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            drop(sock);
        }
    });
    let out = pqhkex(&[
        "bench",
        &addr.to_string(),
        "--groups",
        "x25519",
        "--handshakes",
        "3",
        "--warmup",
        "1",
        "--json",
    ]);
    assert_ne!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let g = bench_group(&out.json(), "x25519").clone();
    assert_eq!(g["status"], "failed", "{g:#}");
    assert_eq!(g["handshakes"], 0, "{g:#}");
}

/// `serve --stats-json` ended by SIGTERM (and by SIGINT, Ctrl-C): it stops accepting,
/// finishes, writes and prints the final statistics, and exits 0. (Before, the signal
/// killed it and the numbers since the last periodic print were lost.)
#[test]
fn serve_prints_and_writes_final_stats_on_sigterm_and_sigint() {
    for signal in ["-TERM", "-INT"] {
        let stats = temp_path("final-stats.json");
        let _ = std::fs::remove_file(&stats);
        let mut server = Serve::start([
            "--port",
            "0",
            "--quiet",
            // No periodic print within the test: what is in the file is the final one.
            "--stats-interval",
            "3600",
            "--stats-json",
            stats.to_str().unwrap(),
        ]);
        for _ in 0..3 {
            let out = pqhkex(&[
                "connect",
                &format!("127.0.0.1:{}", server.port),
                "--insecure",
            ]);
            assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        }
        let kill = std::process::Command::new("kill")
            .args([signal, &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        // Not a timing assertion: a bound so that a server ignoring the signal fails
        // instead of hanging.
        let status = server.wait_exit(Duration::from_secs(60), &format!("serve ignored {signal}"));
        assert!(status.success(), "{signal}: {status:?}");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
        let _ = std::fs::remove_file(&stats);
        assert_eq!(doc["handshakes"], 3, "{signal}: {doc:#}");
        assert_eq!(doc["connections"], 3, "{signal}: {doc:#}");
        let stderr = server.stderr.lock().unwrap().join("\n");
        let name = if signal == "-TERM" {
            "SIGTERM"
        } else {
            "SIGINT"
        };
        assert!(stderr.contains(name), "{stderr}");
    }
}
