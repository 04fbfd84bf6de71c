//! Verdicts you can trust: `pqhkex scan` and `connect` against hostile, slow and broken
//! peers (tests/hostile_peers). Each test asserts the exact verdict, the exit code and
//! an upper bound on the wall time (generous: five times the per-target timeout). The
//! slow ones (server starvation, memory per target) are in tests/hostile_slow.rs.

mod common;
mod hostile_peers;

use std::time::{Duration, Instant};

use common::{pqhkex, temp_path, Output};
use hostile_peers::{start, Scenario};
use serde_json::Value;

/// The per-target timeout the scans below use, in seconds.
const TARGET_TIMEOUT: u64 = 4;

/// `pqhkex scan TARGET --json` with a 1 s probe timeout and the 4 s target timeout;
/// the output, the document, and how long it took (checked against 5x the target
/// timeout).
fn scan(target: &str, extra: &[&str]) -> (Output, Value, Duration) {
    let t = TARGET_TIMEOUT.to_string();
    let mut args = vec![
        "scan",
        target,
        "--json",
        "--timeout",
        "1",
        "--target-timeout",
        &t,
    ];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let out = pqhkex(&args);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5 * TARGET_TIMEOUT),
        "scan {target} took {took:?}"
    );
    let doc = out.json();
    (out, doc, took)
}

fn first(doc: &Value) -> &Value {
    &doc["targets"][0]
}

/// A peer of `scenario` and its scan.
fn scan_peer(scenario: Scenario, extra: &[&str]) -> (Output, Value, Duration) {
    let peer = start(scenario);
    scan(&peer.target(scenario), extra)
}

#[test]
fn a_stream_after_the_handshake_does_not_hold_the_scan() {
    let peer = start(Scenario::StreamAfterHandshake);
    let (out, doc, took) = scan(&peer.target(Scenario::StreamAfterHandshake), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(first(&doc)["classification"], "pq-and-classical");
    eprintln!("stream after handshake: scan {took:?}");
    // connect too: one handshake, then the close stops at the first application byte.
    let started = Instant::now();
    let out = pqhkex(&[
        "connect",
        &peer.addr.to_string(),
        "--insecure",
        "--timeout",
        "2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_slowloris_is_cut_off_by_the_deadline() {
    let (out, doc, took) = scan_peer(Scenario::Slowloris, &[]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    let t = first(&doc);
    assert_eq!(t["classification"], "unreachable");
    assert_eq!(t["error"]["kind"], "timeout");
    assert!(took < Duration::from_secs(TARGET_TIMEOUT), "{took:?}");

    // Several at once with a healthy target among them: the healthy one's verdict is
    // right and the whole scan is bounded by the targets' deadlines.
    let slow: Vec<_> = (0..4).map(|_| start(Scenario::Slowloris)).collect();
    let good = start(Scenario::StreamAfterHandshake);
    let mut args: Vec<String> = [
        "scan",
        "--json",
        "--concurrency",
        "2",
        "--timeout",
        "3",
        "--target-timeout",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(slow.iter().map(|p| p.addr.to_string()));
    args.push(good.addr.to_string());
    let started = Instant::now();
    let out = pqhkex(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let took = started.elapsed();
    assert_eq!(out.code, 4, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["targets"][4]["classification"], "pq-and-classical");
    // 5 targets, 2 at a time, 2 s each at most: 3 rounds.
    assert!(took < Duration::from_secs(10), "{took:?}");

    // connect: its --timeout bounds the whole handshake.
    let started = Instant::now();
    let out = pqhkex(&[
        "connect",
        &slow[0].addr.to_string(),
        "--insecure",
        "--timeout",
        "2",
    ]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn ssh_targets_have_the_target_deadline_too() {
    // The slowloris proxy sends nothing before the client does: no SSH banner.
    let peer = start(Scenario::Slowloris);
    let started = Instant::now();
    let out = pqhkex(&[
        "scan",
        &format!("ssh://{}", peer.addr),
        "--json",
        "--timeout",
        "30",
        "--target-timeout",
        "2",
    ]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_post_quantum_group_seen_only_in_the_browser_like_offer_counts() {
    let server = common::Serve::start(["--port", "0", "--quiet"]);
    let (out, doc, _) = scan(
        &format!("127.0.0.1:{}", server.port),
        &["--groups", "x25519", "--no-split-check"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let t = first(&doc);
    assert_eq!(t["default_offer"]["group"], "X25519MLKEM768");
    assert_eq!(t["classification"], "pq-and-classical");
    assert_eq!(t["verdict"]["post_quantum"], "accepted");
}

#[test]
fn a_server_answering_once_is_undetermined() {
    let (out, doc, _) = scan_peer(Scenario::FirstConnectionOnly, &["--no-split-check"]);
    assert_eq!(out.code, 9, "{}", out.stderr);
    let t = first(&doc);
    assert_eq!(t["classification"], "undetermined");
    assert_eq!(t["verdict"]["post_quantum"], "accepted");
    assert_eq!(t["verdict"]["classical"], "undetermined");
    assert_eq!(t["error"]["kind"], "undetermined");
    assert!(!t["verdict"]["reasons"].as_array().unwrap().is_empty());
}

#[test]
fn a_tls10_only_server_is_legacy_tls_only() {
    let (out, doc, _) = scan_peer(Scenario::Tls10Only, &[]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let t = first(&doc);
    assert_eq!(t["classification"], "legacy-tls-only");
    assert_eq!(t["default_offer"]["result"], "rejected");
    assert_eq!(t["default_offer"]["alert"], "protocol_version");
}

#[test]
fn an_ipv6_zone_target_is_connected_or_unreachable() {
    // fe80::1 on the loopback interface does not exist: the connection fails, and the
    // target says so instead of being probed as a TLS server.
    let (out, doc, _) = scan("[fe80::1%lo]:9", &[]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let t = first(&doc);
    assert_eq!(t["classification"], "unreachable");
    assert_eq!(t["error"]["kind"], "unreachable");
}

/// Peers that speak TLS but break it: every offer fails without a key exchange, so the
/// verdict is undetermined, exit code 8, and never "not TLS".
#[test]
fn broken_tls_servers_are_undetermined_not_not_tls() {
    for (scenario, needle) in [
        (Scenario::UnofferedGroup, "broke the TLS protocol"),
        (Scenario::IllegalHelloRetry, "broke the TLS protocol"),
        (Scenario::SecondHelloRetry, ""),
        (Scenario::HandshakeFailure, "handshake_failure"),
        (Scenario::WarningAlertFlood, ""),
    ] {
        let (out, doc, took) = scan_peer(scenario, &[]);
        let t = first(&doc);
        assert_eq!(out.code, 8, "{scenario:?}: {}", out.stdout);
        assert_eq!(t["classification"], "undetermined", "{scenario:?}");
        assert_eq!(t["status"], "ok", "{scenario:?}");
        assert_eq!(t["error"]["kind"], "handshake", "{scenario:?}");
        let message = t["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{scenario:?}: {message}");
        assert_ne!(
            t["default_offer"]["failure"]["kind"], "not-tls",
            "{scenario:?}"
        );
        eprintln!("{scenario:?}: {took:?}");
    }
}

/// A certificate the probe cannot verify, or cannot even read, never hides the key
/// exchange: the groups chosen are the verdict.
#[test]
fn unverifiable_and_oversized_certificates_do_not_hide_the_key_exchange() {
    // Ed448: the probe advertises it, OpenSSL proceeds, the handshake completes; the
    // web PKI verdict names why the certificate is not trusted.
    let (out, doc, _) = scan_peer(Scenario::Ed448Certificate, &["--no-split-check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let t = first(&doc);
    assert_eq!(t["classification"], "pq-and-classical");
    assert_eq!(t["default_offer"]["group"], "X25519MLKEM768");
    assert_eq!(t["default_offer"]["handshake_completed"], true);
    assert_eq!(t["certificate"]["trusted"], false);

    // Chains rustls cannot read (106 KB from OpenSSL, a 16 MB Certificate from
    // rustls): the group was chosen, the handshake did not complete, and the server is
    // a TLS server.
    for scenario in [Scenario::LargeChain, Scenario::HugeCertificate] {
        let (out, doc, _) = scan_peer(scenario, &["--no-split-check"]);
        assert_eq!(out.code, 0, "{scenario:?}: {}", out.stdout);
        let t = first(&doc);
        assert_eq!(t["classification"], "pq-and-classical", "{scenario:?}");
        let d = &t["default_offer"];
        assert_eq!(d["result"], "accepted", "{scenario:?}");
        assert_eq!(d["group"], "X25519MLKEM768", "{scenario:?}");
        assert_eq!(d["handshake_completed"], false, "{scenario:?}");
        assert_eq!(d["failure"]["kind"], "handshake", "{scenario:?}");
        assert!(
            d["failure"]["message"].as_str().unwrap().contains("64 KiB"),
            "{scenario:?}: {}",
            d["failure"]["message"]
        );
    }
}

#[test]
fn ssh_exchange_failures_keep_the_kexinit_and_are_not_quantum_safe() {
    for scenario in [
        Scenario::SshBrokenReply,
        Scenario::SshBadSignature,
        Scenario::SshLongDisconnect,
    ] {
        let peer = start(scenario);
        let (out, doc, _) = scan(&peer.target(scenario), &[]);
        assert_eq!(out.code, 8, "{scenario:?}: {}", out.stdout);
        let t = first(&doc);
        assert_eq!(t["status"], "ok", "{scenario:?}");
        assert_eq!(t["classification"], "pq-and-classical", "{scenario:?}");
        assert_eq!(t["quantum_safe_by_default"], false, "{scenario:?}");
        assert_eq!(t["ssh"]["verification"]["status"], "failed", "{scenario:?}");
        assert_eq!(
            t["ssh"]["kex_algorithms"][0]["name"], "mlkem768x25519-sha256",
            "{scenario:?}"
        );
        // The CBOM says the same.
        let bom = temp_path("ssh.cdx.json");
        let out = pqhkex(&[
            "scan",
            t["target"].as_str().unwrap(),
            "--cbom",
            bom.to_str().unwrap(),
            "--timeout",
            "2",
        ]);
        assert_eq!(out.code, 8);
        let cbom: Value = serde_json::from_str(&std::fs::read_to_string(&bom).unwrap()).unwrap();
        let _ = std::fs::remove_file(&bom);
        let props: Vec<(&str, &str)> = cbom["components"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| {
                c["cryptoProperties"]["protocolProperties"]
                    .as_object()
                    .into_iter()
                    .chain(Some(c.as_object().unwrap()))
            })
            .flat_map(|o| {
                o.get("properties")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .filter_map(|p| Some((p["name"].as_str()?, p["value"].as_str()?)))
            .collect();
        assert!(
            props.contains(&("pqhkex:quantum-safe-by-default", "false")),
            "{scenario:?}: {props:?}"
        );
        assert!(
            props.contains(&("pqhkex:pq-verification", "failed")),
            "{scenario:?}: {props:?}"
        );
    }
    // The DISCONNECT text is cut short in the report, and a table line stays short.
    let peer = start(Scenario::SshLongDisconnect);
    let out = pqhkex(&[
        "scan",
        &peer.target(Scenario::SshLongDisconnect),
        "--timeout",
        "2",
    ]);
    assert_eq!(out.code, 8);
    assert!(out.stdout.lines().all(|l| l.len() < 400), "{}", out.stdout);
    assert!(out.stdout.contains("go away"), "{}", out.stdout);
}

/// Peer-supplied strings reach the terminal escaped and cut short; the JSON keeps them
/// whole.
#[test]
fn peer_strings_cannot_drive_the_terminal() {
    for scenario in [Scenario::EscapeSubject, Scenario::SshEscapeBanner] {
        let peer = start(scenario);
        let target = peer.target(scenario);
        let out = pqhkex(&["scan", &target, "--timeout", "2", "--no-split-check"]);
        assert!(
            !out.stdout.contains('\u{1b}'),
            "{scenario:?}: raw ESC in\n{}",
            out.stdout
        );
        assert!(!out.stdout.contains('\u{7}'), "{scenario:?}");
        assert!(
            out.stdout.contains("\\x1b]0;pwned\\x07"),
            "{scenario:?}: {}",
            out.stdout
        );
        let out = pqhkex(&[
            "scan",
            &target,
            "--json",
            "--timeout",
            "2",
            "--no-split-check",
        ]);
        assert!(!out.stdout.contains('\u{1b}'), "{scenario:?}");
        let doc = out.json();
        let t = first(&doc);
        let whole = if scenario.is_ssh() {
            t["ssh"]["banner"].as_str().unwrap().to_string()
        } else {
            t["certificate"]["subject"].as_str().unwrap().to_string()
        };
        assert!(
            whole.contains("\u{1b}]0;pwned\u{7}"),
            "{scenario:?}: {whole:?}"
        );
    }
    // connect prints the subject escaped too.
    let peer = start(Scenario::EscapeSubject);
    let out = pqhkex(&["connect", &peer.addr.to_string(), "--insecure"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
}

#[test]
fn target_hygiene() {
    let server = common::Serve::start(["--port", "0", "--quiet"]);
    let port = server.port;
    // User info never reaches a report.
    let bom = temp_path("userinfo.cdx.json");
    let url = format!("https://admin:hunter2@127.0.0.1:{port}/x");
    let out = pqhkex(&[
        "scan",
        &url,
        &url,
        "--json",
        "--no-split-check",
        "--groups",
        "X25519MLKEM768,x25519",
        "--cbom",
        bom.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let cbom = std::fs::read_to_string(&bom).unwrap();
    let _ = std::fs::remove_file(&bom);
    for text in [&out.stdout, &cbom] {
        assert!(
            !text.contains("hunter2") && !text.contains("admin"),
            "{text}"
        );
    }
    assert_eq!(
        out.json()["targets"][0]["target"],
        format!("https://127.0.0.1:{port}/x")
    );
    // A target listed twice: two endpoints, unique references (a valid CycloneDX
    // document).
    let cbom: Value = serde_json::from_str(&cbom).unwrap();
    let mut refs: Vec<&str> = ["components", "services"]
        .iter()
        .flat_map(|k| cbom[k].as_array().unwrap())
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let n = refs.len();
    refs.sort_unstable();
    refs.dedup();
    assert_eq!(refs.len(), n, "duplicate bom-ref in {cbom:#}");
    assert_eq!(cbom["services"].as_array().unwrap().len(), 2);

    // Bad input: usage errors (exit 2) that say where.
    let file = temp_path("targets.txt");
    std::fs::write(&file, "127.0.0.1:1\n# fine\nnot a target!\n").unwrap();
    let out = pqhkex(&["scan", "--targets-file", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("targets.txt:3:"), "{}", out.stderr);
    let long = format!("{}.example:443", "a".repeat(300));
    for args in [
        &["scan", "127.0.0.1:1", "--timeout", "1e-10"][..],
        &["scan", "127.0.0.1:1", "--target-timeout", "0"][..],
        &["scan", &long][..],
        &["connect", "ssh://127.0.0.1:22"][..],
    ] {
        let out = pqhkex(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    }
}
