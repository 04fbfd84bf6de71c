//! End to end over loopback: `pqhkex scan` and `pqhkex connect` against `pqhkex serve`
//! in several configurations, and the documented error exit codes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
#[path = "../../inventory/tests/support/ssh_wire.rs"]
mod ssh_wire;

use common::{bench_group, pqhkex, temp_path, Serve, BIN};

/// A `pqhkex serve` child process on a free loopback port; killed on drop.
struct Server {
    serve: Serve,
    /// Its self-signed certificate (PEM file), for `--ca`.
    ca: PathBuf,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let ca = temp_path("ca.pem");
        let mut args: Vec<&std::ffi::OsStr> = vec!["--port".as_ref(), "0".as_ref()];
        if !extra.contains(&"--cert") {
            args.push("--cert-out".as_ref());
            args.push(ca.as_os_str());
        }
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        Server {
            serve: Serve::start(args),
            ca,
        }
    }

    fn target(&self) -> String {
        format!("localhost:{}", self.serve.port)
    }

    /// Waits until the log has a line containing `needle`.
    fn wait_for_log(&self, needle: &str) -> String {
        let log = &self.serve.stdout;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(l) = log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?}: {:?}",
                log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca);
    }
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn probe<'a>(target: &'a Value, group: &str) -> &'a Value {
    target["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == group)
        .unwrap_or_else(|| panic!("no probe for {group}"))
}

#[test]
fn demo_negotiates_x25519mlkem768() {
    let out = pqhkex(&["demo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out
        .stdout
        .contains("negotiated group : X25519MLKEM768 (0x11ec), hybrid post-quantum"));
    assert!(out.stdout.contains("client key share : 1216 bytes"));
    assert!(out.stdout.contains("server agrees    : X25519MLKEM768"));
}

#[test]
fn groups_lists_the_library_table() {
    let out = pqhkex(&["groups", "--json"]);
    assert_eq!(out.code, 0);
    let v = out.json();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), pqhkex::groups::ALL.len());
    for (j, g) in list.iter().zip(pqhkex::groups::ALL) {
        assert_eq!(j["name"], g.name);
        assert_eq!(j["code"], format!("0x{:04x}", g.code));
        assert_eq!(j["client_share_bytes"], g.client_share_len());
        assert_eq!(j["quantum_safe"], g.is_post_quantum());
        // The backend of each component, as the library chooses it on this machine.
        let backends: Vec<&str> = g
            .components
            .iter()
            .map(|a| pqhkex::Backend::for_algorithm(*a).name())
            .collect();
        assert_eq!(names(&j["backends"]), backends, "{}", g.name);
    }
    let text = pqhkex(&["groups"]);
    assert!(text.stdout.contains("SecP384r1MLKEM1024"));
}

#[test]
fn connect_to_default_server() {
    let server = Server::start(&[]);
    let ca = server.ca.to_str().unwrap();
    let out = pqhkex(&["connect", &server.target(), "--ca", ca, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["group"], "X25519MLKEM768");
    assert_eq!(v["post_quantum"], true);
    assert_eq!(v["hybrid"], true);
    assert_eq!(names(&v["components"]), ["ML-KEM-768", "X25519"]);
    assert_eq!(v["hello_retry_request"], false);
    assert_eq!(v["protocol"], "TLS 1.3");
    assert!(v["cipher_suite"].as_str().unwrap().starts_with("TLS_"));
    assert_eq!(v["peer_subject"], "CN=rcgen self signed cert");
    assert_eq!(v["certificate_trusted"], true);
    // The server logged the same group.
    let line = server.wait_for_log("sni=localhost");
    assert!(
        line.contains("group=X25519MLKEM768 (hybrid post-quantum)"),
        "{line}"
    );

    // The text form says the same.
    let text = pqhkex(&["connect", &server.target(), "--ca", ca]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("post-quantum     : yes"));
    assert!(text.stdout.contains("hello retry      : no"));

    // A client listing secp256r1 first (with its key share) but supporting
    // SecP256r1MLKEM768: the server prefers post-quantum and asks for it by HRR.
    let hrr = pqhkex(&[
        "connect",
        &server.target(),
        "--ca",
        ca,
        "--json",
        "--groups",
        "secp256r1,SecP256r1MLKEM768",
    ]);
    assert_eq!(hrr.code, 0, "{}", hrr.stderr);
    let v = hrr.json();
    assert_eq!(v["group"], "SecP256r1MLKEM768");
    assert_eq!(v["hello_retry_request"], true);
    server.wait_for_log("group=SecP256r1MLKEM768 (hybrid post-quantum) hrr=yes");
}

#[test]
fn serve_with_certificate_files() {
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = temp_path("cert.pem");
    let key = temp_path("key.pem");
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    let server = Server::start(&[
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--policy",
        "require",
    ]);
    let out = pqhkex(&[
        "connect",
        &server.target(),
        "--ca",
        cert.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["certificate_trusted"], true);
    assert_eq!(v["group"], "X25519MLKEM768");
    // A missing key file is an error (exit code 1) before listening.
    let bad = pqhkex(&[
        "serve",
        "--port",
        "0",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        "/nonexistent/key.pem",
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("/nonexistent/key.pem"),
        "{}",
        bad.stderr
    );
    let _ = std::fs::remove_file(&cert);
    let _ = std::fs::remove_file(&key);
}

#[test]
fn certificate_failure_fails_connect_but_not_scan() {
    let server = Server::start(&[]);
    // Built-in web PKI roots do not trust the self-signed certificate: exit code 7.
    let out = pqhkex(&["connect", &server.target()]);
    assert_eq!(out.code, 7, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("not trusted"), "{}", out.stderr);
    // --insecure connects and reports the verdict.
    let out = pqhkex(&["connect", &server.target(), "--insecure", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["certificate_trusted"], false);
    // A sentence, not rustls's `InvalidCertificate(UnknownIssuer)`.
    assert_eq!(
        v["certificate_error"],
        "it was issued by a certificate authority this side does not trust (unknown issuer)"
    );
    assert_eq!(v["group"], "X25519MLKEM768");
    // scan reports every group anyway.
    let scan = pqhkex(&["scan", &server.target(), "--json"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    let t = &scan.json()["targets"][0];
    assert_eq!(t["certificate"]["trusted"], false);
    assert_eq!(t["classification"], "pq-and-classical");
    assert_eq!(probe(t, "X25519MLKEM768")["result"], "accepted");
}

#[test]
fn scan_pq_only_server() {
    let server = Server::start(&["--policy", "require"]);
    let ca = server.ca.to_str().unwrap();
    let out = pqhkex(&["scan", &server.target(), "--json", "--ca", ca, "--hrr"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    let t = &v["targets"][0];
    assert_eq!(t["status"], "ok");
    assert_eq!(t["classification"], "pq-only");
    // --hrr: offered without a key share (only GREASE's), each group the server accepts
    // (every post-quantum one of the policy, as asserted below) is asked for by
    // HelloRetryRequest; the others (classical, and ML-KEM-512, which no named policy
    // offers) are refused.
    for g in t["groups"].as_array().unwrap() {
        let expected = if g["result"] == "accepted" {
            "hello-retry-request"
        } else {
            assert!(
                g["kind"] != "post-quantum" || g["name"] == "MLKEM512",
                "{g}"
            );
            "rejected"
        };
        assert_eq!(g["without_key_share"]["result"], expected, "{g}");
    }
    assert_eq!(t["quantum_safe_by_default"], true);
    assert_eq!(t["default_offer"]["group"], "X25519MLKEM768");
    assert_eq!(t["default_offer"]["result"], "accepted");
    assert_eq!(
        names(&t["accepted"]["hybrid"]),
        ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"]
    );
    assert_eq!(
        names(&t["accepted"]["post_quantum"]),
        ["MLKEM768", "MLKEM1024"]
    );
    assert_eq!(probe(t, "MLKEM512")["result"], "rejected");
    assert!(names(&t["accepted"]["classical"]).is_empty());
    for g in ["x25519", "secp256r1", "secp384r1"] {
        assert_eq!(probe(t, g)["result"], "rejected", "{g}");
    }
    assert_eq!(probe(t, "MLKEM1024")["nist_category"], 5);
    assert_eq!(t["certificate"]["trusted"], true);

    // connect --policy classical cannot reach it: handshake failure, exit code 8.
    let c = pqhkex(&[
        "connect",
        &server.target(),
        "--ca",
        ca,
        "--policy",
        "classical",
    ]);
    assert_eq!(c.code, 8, "{}\n{}", c.stdout, c.stderr);
}

#[test]
fn scan_classical_only_server() {
    let server = Server::start(&["--policy", "classical"]);
    let out = pqhkex(&["scan", &server.target(), "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let t = &out.json()["targets"][0];
    assert_eq!(t["classification"], "classical-only");
    assert!(t["groups"][0].get("without_key_share").is_none());
    assert_eq!(t["quantum_safe_by_default"], false);
    assert_eq!(t["default_offer"]["group"], "x25519");
    assert_eq!(t["default_offer"]["post_quantum"], false);
    assert_eq!(
        names(&t["accepted"]["classical"]),
        ["x25519", "secp256r1", "secp384r1"]
    );
    for g in [
        "X25519MLKEM768",
        "SecP256r1MLKEM768",
        "SecP384r1MLKEM1024",
        "MLKEM512",
        "MLKEM768",
        "MLKEM1024",
    ] {
        assert_eq!(probe(t, g)["result"], "rejected", "{g}");
    }
    // A client that requires post-quantum fails with exit code 8 and says why.
    let c = pqhkex(&[
        "connect",
        &server.target(),
        "--insecure",
        "--policy",
        "require",
    ]);
    assert_eq!(c.code, 8, "{}\n{}", c.stdout, c.stderr);
    // The alert first; post-quantum named as the likely cause, not asserted.
    assert!(c.stderr.contains("handshake_failure"), "{}", c.stderr);
    assert!(
        c.stderr.contains("if the server has no post-quantum group"),
        "{}",
        c.stderr
    );
}

#[test]
fn scan_mixed_server_with_hello_retry() {
    // The server prefers secp256r1, then X25519MLKEM768. The browser-like offer lists
    // secp256r1 but sends no share for it: the server asks for it by HRR.
    let server = Server::start(&["--groups", "secp256r1,X25519MLKEM768"]);
    let cbom = temp_path("scan.cdx.json");
    let out = pqhkex(&[
        "scan",
        &server.target(),
        "--json",
        "--cbom",
        cbom.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let t = &out.json()["targets"][0];
    assert_eq!(t["classification"], "pq-and-classical");
    assert_eq!(t["default_offer"]["result"], "hello-retry-request");
    assert_eq!(t["default_offer"]["group"], "secp256r1");
    assert_eq!(t["quantum_safe_by_default"], false);
    assert_eq!(names(&t["accepted"]["hybrid"]), ["X25519MLKEM768"]);
    assert_eq!(names(&t["accepted"]["classical"]), ["secp256r1"]);
    assert_eq!(probe(t, "X25519MLKEM768")["result"], "accepted");
    assert_eq!(probe(t, "SecP256r1MLKEM768")["result"], "rejected");
    assert_eq!(probe(t, "x25519")["result"], "rejected");
    server.wait_for_log("group=secp256r1 (classical, NOT post-quantum) hrr=yes");

    // The CBOM: CycloneDX 1.6, the two observed groups with their NIST quantum
    // security levels, their component algorithms, and the endpoint's TLS protocol.
    let bom: Value = serde_json::from_str(&std::fs::read_to_string(&cbom).unwrap()).unwrap();
    let _ = std::fs::remove_file(&cbom);
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    let comps = bom["components"].as_array().unwrap();
    let by_name = |n: &str| {
        comps
            .iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("no component {n}"))
    };
    let level = |n: &str| {
        by_name(n)["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"].clone()
    };
    assert_eq!(level("X25519MLKEM768"), 3);
    assert_eq!(level("secp256r1"), 0);
    assert_eq!(level("ML-KEM-768"), 3);
    assert_eq!(level("X25519"), 0);
    assert!(comps.iter().all(|c| c["name"] != "SecP256r1MLKEM768"));
    let tls = by_name(&format!("TLS at {}", server.target()));
    let p = &tls["cryptoProperties"]["protocolProperties"];
    assert_eq!(p["type"], "tls");
    assert_eq!(p["version"], "1.3");
    // The groups accepted, then the certificate served (schema version 3).
    let refs = names(&p["cryptoRefArray"]);
    assert_eq!(
        refs[..2],
        [
            "crypto/tls-group/X25519MLKEM768",
            "crypto/tls-group/secp256r1"
        ]
    );
    assert_eq!(refs.len(), 3, "{refs:?}");
    assert!(
        refs[2].starts_with("crypto/certificate/CN=rcgen self signed cert#"),
        "{refs:?}"
    );
    let deps = bom["dependencies"].as_array().unwrap();
    let hybrid = deps
        .iter()
        .find(|d| d["ref"] == "crypto/tls-group/X25519MLKEM768")
        .unwrap();
    assert_eq!(
        names(&hybrid["dependsOn"]),
        ["crypto/algorithm/ML-KEM-768", "crypto/algorithm/X25519"]
    );
}

#[test]
fn tls12_only_peer() {
    let server = Server::start(&["--tls", "1.2", "--policy", "classical"]);
    // A preferring client gets TLS 1.2 with a classical group: reported, exit code 6.
    let out = pqhkex(&["connect", &server.target(), "--insecure", "--json"]);
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["protocol"], "TLS 1.2");
    // A TLS 1.3-only client is refused with a protocol_version alert: exit code 6.
    let out = pqhkex(&[
        "connect",
        &server.target(),
        "--insecure",
        "--policy",
        "require",
    ]);
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("TLS 1.3"), "{}", out.stderr);
    let scan = pqhkex(&["scan", &server.target(), "--json"]);
    assert_eq!(scan.code, 6, "{}", scan.stderr);
    let t = &scan.json()["targets"][0];
    assert_eq!(t["classification"], "tls12-only");
    assert_eq!(t["tls12_only"], true);
    assert_eq!(t["error"]["kind"], "tls12-only");
    assert_eq!(probe(t, "x25519")["protocol"], "TLS 1.2");
    // Post-quantum groups are TLS 1.3 only: not applicable, never "rejected", with
    // the server's protocol_version alert kept as the evidence.
    assert_eq!(probe(t, "X25519MLKEM768")["result"], "not-applicable");
    assert_eq!(probe(t, "X25519MLKEM768")["alert"], "protocol_version");
    assert_eq!(t["legacy"]["tls12"], "accepted");
    assert_eq!(t["pq_posture"], "classical-only");
    let plan: Vec<&str> = t["migration"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert!(
        plan.contains(&"enable TLS 1.3 and offer X25519MLKEM768"),
        "{plan:?}"
    );
}

/// A TCP server running `f` on each connection, on its own thread.
fn tcp_server(f: fn(std::net::TcpStream)) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || f(s));
        }
    });
    port
}

#[test]
fn not_tls_peers() {
    // An echo server: it sends our ClientHello back.
    let echo = tcp_server(|mut s| {
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 || s.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    // A server with a text banner, like SSH.
    let banner = tcp_server(|mut s| {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        std::thread::sleep(Duration::from_millis(500));
    });
    // A server that closes at once.
    let closer = tcp_server(drop);
    for port in [echo, banner, closer] {
        let target = format!("127.0.0.1:{port}");
        let out = pqhkex(&["connect", &target, "--insecure"]);
        assert_eq!(out.code, 5, "{target}: {}", out.stderr);
        assert!(out.stderr.contains("TLS"), "{}", out.stderr);
        let scan = pqhkex(&["scan", &target, "--json"]);
        assert_eq!(scan.code, 5, "{target}: {}", scan.stderr);
        let t = &scan.json()["targets"][0];
        assert_eq!(t["error"]["kind"], "not-tls");
        assert_eq!(t["classification"], "unreachable");
    }
}

#[test]
fn unreachable_and_timeout() {
    // A port with nothing listening: connection refused, exit code 3.
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let target = format!("127.0.0.1:{port}");
    let out = pqhkex(&["connect", &target]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
    // A name that cannot resolve (.invalid is reserved, RFC 2606): exit code 3.
    let out = pqhkex(&["connect", "no-such-host.invalid:443"]);
    assert_eq!(out.code, 3, "{}", out.stderr);

    // A server that accepts and never answers: timeout, exit code 4.
    let silent = tcp_server(|_s| std::thread::sleep(Duration::from_secs(10)));
    let target = format!("127.0.0.1:{silent}");
    let started = Instant::now();
    let out = pqhkex(&["connect", &target, "--timeout", "0.5"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(8));
    let scan = pqhkex(&["scan", &target, "--timeout", "0.5", "--json"]);
    assert_eq!(scan.code, 4, "{}", scan.stderr);
    assert_eq!(scan.json()["targets"][0]["error"]["kind"], "timeout");
}

#[test]
fn scan_many_targets_from_a_file() {
    let pq = Server::start(&["--policy", "require"]);
    let classical = Server::start(&["--policy", "classical"]);
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let file = temp_path("targets.txt");
    std::fs::write(
        &file,
        format!(
            "# endpoints\n{}\n\n127.0.0.1:{dead}  # nothing there\n",
            classical.target()
        ),
    )
    .unwrap();
    let out = pqhkex(&[
        "scan",
        &pq.target(),
        "--targets-file",
        file.to_str().unwrap(),
        "--concurrency",
        "3",
    ]);
    let _ = std::fs::remove_file(&file);
    // The first failing target in input order decides the exit code: unreachable.
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let blocks: Vec<&str> = out.stdout.split("\n\n").collect();
    assert!(blocks[0].starts_with(&pq.target()) && blocks[0].contains("[pq-only]"));
    assert!(blocks[1].starts_with(&classical.target()) && blocks[1].contains("[classical-only]"));
    assert!(blocks[2].contains("[unreachable]"));
    assert!(out
        .stdout
        .contains("3 target(s): 1 accept post-quantum key exchange, 1 negotiate it"));
}

#[test]
fn usage_errors() {
    let out = pqhkex(&["connect", "localhost:1", "--groups", "NoSuchGroup"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unknown group"), "{}", out.stderr);
    assert_eq!(pqhkex(&["scan"]).code, 2);
    assert_eq!(pqhkex(&["scan", "host:notaport"]).code, 2);
    assert_eq!(pqhkex(&["frobnicate"]).code, 2);
    let out = pqhkex(&[
        "connect",
        "localhost:1",
        "--policy",
        "require",
        "--groups",
        "x25519",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// `scan --json` output follows the published schema (schema/scan-v3.schema.json), for
/// every shape a target can take here (post-quantum only with `--hrr` probes, classical,
/// unreachable), and the validator refuses documents that break it.
#[test]
fn scan_json_matches_the_published_schema() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/scan-v3.schema.json"
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");

    let pq = Server::start(&["--policy", "require"]);
    let classical = Server::start(&["--policy", "classical"]);
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_target = format!("127.0.0.1:{}", dead.local_addr().unwrap().port());
    drop(dead);
    let ca = pq.ca.to_str().unwrap();
    let out = pqhkex(&[
        "scan",
        &pq.target(),
        &classical.target(),
        &dead_target,
        "--json",
        "--hrr",
        "--ca",
        ca,
        "--timeout",
        "5",
    ]);
    assert_eq!(out.code, 3, "one unreachable target: {}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["schema_version"], "3");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "scan output breaks the schema: {errors:#?}"
    );
    let classes: Vec<&str> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["classification"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["pq-only", "classical-only", "unreachable"]);

    // The validator must be able to fail: each of these breaks the schema.
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 5] = [
        ("unknown classification", |d| {
            d["targets"][0]["classification"] = "maybe-quantum".into()
        }),
        ("missing field", |d| {
            d["targets"][0].as_object_mut().unwrap().remove("accepted");
        }),
        ("decimal group code", |d| {
            d["targets"][0]["groups"][0]["code"] = "4588".into()
        }),
        ("wrong schema version", |d| d["schema_version"] = "1".into()),
        ("unexpected field", |d| {
            d["targets"][1]["extra"] = true.into()
        }),
    ];
    for (what, f) in breakages {
        let mut bad = doc.clone();
        f(&mut bad);
        assert!(
            !validator.is_valid(&bad),
            "the validator accepted a document with {what}"
        );
    }
}

// ---- pqhkex bench --------------------------------------------------------------------

/// Accepts connections on `listener` forever, each handled by `f` on its own thread.
fn serve_forever(listener: TcpListener, f: impl Fn(std::net::TcpStream) + Send + Sync + 'static) {
    let f = Arc::new(f);
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let f = f.clone();
            std::thread::spawn(move || f(sock));
        }
    });
}

/// A server that is not pqhkex's (cli/examples/peer_server.rs, which `cargo test`
/// builds next to the binary): `openssl [GROUPS]`, `rustls-aws-lc-rs` or `s2n POLICY`;
/// killed on drop.
struct Peer {
    child: Child,
    port: u16,
}

impl Peer {
    fn start(args: &[&str]) -> Peer {
        let exe = std::path::Path::new(BIN)
            .parent()
            .unwrap()
            .join("examples")
            .join("peer_server");
        assert!(
            exe.exists(),
            "{} is missing: run `cargo test -p pqhkex-cli` (it builds the examples) or \
             `cargo build -p pqhkex-cli --example peer_server`",
            exe.display()
        );
        let mut child = Command::new(exe)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn peer_server");
        let port = common::listening_port(&mut child, &format!("peer_server {args:?}"));
        Peer { child, port }
    }

    fn target(&self) -> String {
        format!("localhost:{}", self.port)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Checks one group's results: `n` handshakes, no error, sane numbers.
fn assert_bench_group(doc: &Value, name: &str, n: u64) {
    let g = bench_group(doc, name);
    assert_eq!(g["handshakes"], n, "{g:#}");
    assert_eq!(g["first_error"], Value::Null, "{g:#}");
    let l = &g["latency_ms"];
    let (p50, p99, max) = (
        l["p50"].as_f64().unwrap(),
        l["p99"].as_f64().unwrap(),
        l["max"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{g:#}");
    assert!(g["handshakes_per_second"].as_f64().unwrap() > 0.0);
    assert!(g["client_cpu_ms_per_handshake"].as_f64().unwrap() > 0.0);
    // The client's flight carries its key share: 1216 bytes for X25519MLKEM768, 1568
    // for MLKEM1024, 32 for x25519; the server's 1120, 1568, 32.
    let (sent, recv) = (
        g["bytes_sent_per_handshake"].as_f64().unwrap(),
        g["bytes_received_per_handshake"].as_f64().unwrap(),
    );
    let (min_sent, min_recv) = match name {
        "X25519MLKEM768" => (1216.0, 1120.0),
        "MLKEM1024" => (1568.0, 1568.0),
        _ => (32.0, 32.0),
    };
    assert!(
        sent > min_sent && recv > min_recv,
        "{name}: {sent} / {recv}"
    );
    if name == "x25519" {
        assert!(sent < 1000.0, "x25519 ClientHello of {sent} bytes");
    }
}

#[test]
fn bench_against_pqhkex_serve_full_and_resumed() {
    let server = Server::start(&[]);
    let out = pqhkex(&[
        "bench",
        &server.target(),
        "--groups",
        "X25519MLKEM768,x25519",
        "--handshakes",
        "40",
        "--concurrency",
        "3",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_bench_group(&doc, "X25519MLKEM768", 40);
    assert_bench_group(&doc, "x25519", 40);
    assert_eq!(bench_group(&doc, "x25519")["resumed"], 0);

    let out = pqhkex(&[
        "bench",
        &server.target(),
        "--groups",
        "X25519MLKEM768",
        "--handshakes",
        "30",
        "--concurrency",
        "2",
        "--resume",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let g = bench_group(&out.json(), "X25519MLKEM768").clone();
    // Each connection's first handshake is full, the others resume.
    assert!(g["resumed"].as_u64().unwrap() >= 28, "{g:#}");
}

#[test]
fn bench_against_openssl_and_rustls_aws_lc_rs() {
    let ossl = Peer::start(&["openssl", "X25519MLKEM768:MLKEM1024:X25519"]);
    let aws = Peer::start(&["rustls-aws-lc-rs"]);
    for target in [ossl.target(), aws.target()] {
        let svg = temp_path("bench.svg");
        let out = pqhkex(&[
            "bench",
            &target,
            "--groups",
            "x25519,X25519MLKEM768,MLKEM1024",
            "--handshakes",
            "25",
            "--json",
            "--svg",
            svg.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{target}: {}", out.stderr);
        let doc = out.json();
        for g in ["x25519", "X25519MLKEM768", "MLKEM1024"] {
            assert_bench_group(&doc, g, 25);
        }
        let picture = std::fs::read_to_string(&svg).unwrap();
        let _ = std::fs::remove_file(&svg);
        assert!(picture.starts_with("<svg") && picture.contains("MLKEM1024"));
    }
    // The table names every group and no error.
    let out = pqhkex(&[
        "bench",
        &ossl.target(),
        "--groups",
        "X25519MLKEM768",
        "--handshakes",
        "5",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("X25519MLKEM768"), "{}", out.stdout);
}

#[test]
fn bench_errors_and_exit_codes() {
    // Nothing listens: refused, exit code 3, and it stops by itself.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = pqhkex(&[
        "bench",
        &closed.to_string(),
        "--groups",
        "x25519",
        "--duration",
        "30",
        "--json",
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let g = bench_group(&out.json(), "x25519").clone();
    assert_eq!(g["handshakes"], 0);
    assert!(g["errors"]["refused"].as_u64().unwrap() >= 1, "{g:#}");
    // A server without the group: alerts, counted, exit code 8, stops early.
    let server = Server::start(&["--policy", "classical"]);
    let out = pqhkex(&[
        "bench",
        &server.target(),
        "--groups",
        "MLKEM1024",
        "--duration",
        "30",
        "--json",
    ]);
    assert_eq!(out.code, 8, "{}", out.stderr);
    assert!(
        bench_group(&out.json(), "MLKEM1024")["errors"]["alert"]
            .as_u64()
            .unwrap()
            >= 1
    );
    // Usage.
    assert_eq!(
        pqhkex(&["bench", "localhost:1", "--concurrency", "0"]).code,
        2
    );
    assert_eq!(
        pqhkex(&["bench", "localhost:1", "--groups", "nope"]).code,
        2
    );
    assert_eq!(
        pqhkex(&["bench", "localhost:1", "--handshakes", "0"]).code,
        2
    );
}

// ---- scan ssh:// ---------------------------------------------------------------------

/// An SSH server as far as its SSH_MSG_KEXINIT (RFC 4253 §7.1): it offers
/// sntrup761x25519 (OpenSSH 9.x's hybrid, which pqhkex reports but cannot run),
/// curve25519 and a pseudo-method, then waits for the client to leave.
fn fake_ssh_server() -> u16 {
    let packet = ssh_wire::packet(&ssh_wire::kexinit(
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,ext-info-s",
        "ssh-ed25519",
    ));
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    serve_forever(l, move |mut s| {
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2p1 Fake\r\n");
        let _ = s.write_all(&packet);
        let mut sink = [0u8; 4096];
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    });
    port
}

#[test]
fn scan_ssh_targets_next_to_tls_ones() {
    let ssh = fake_ssh_server();
    let tls = Server::start(&[]);
    let out = pqhkex(&[
        "scan",
        &format!("ssh://127.0.0.1:{ssh}"),
        &tls.target(),
        "--groups",
        "X25519MLKEM768,x25519",
        "--json",
        "--timeout",
        "2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let s = &doc["targets"][0];
    assert_eq!(s["protocol"], "ssh");
    assert_eq!(s["classification"], "pq-and-classical");
    assert_eq!(s["quantum_safe_by_default"], true);
    assert_eq!(
        names(&s["accepted"]["hybrid"]),
        ["sntrup761x25519-sha512@openssh.com"]
    );
    assert_eq!(names(&s["accepted"]["classical"]), ["curve25519-sha256"]);
    assert_eq!(s["ssh"]["software"], "OpenSSH_9.2p1");
    assert_eq!(s["ssh"]["verification"]["status"], "advertised-only");
    assert_eq!(
        s["ssh"]["openssh10_client_choice"],
        "sntrup761x25519-sha512@openssh.com"
    );
    assert_eq!(doc["targets"][1]["protocol"], "tls");
    assert_eq!(doc["targets"][1]["classification"], "pq-and-classical");

    // The table says the same, and the host keys' classical status. (The fake server
    // goes silent after its KEXINIT: the classical exchange run to see its host key ends
    // at the timeout, without changing the verdict.)
    let out = pqhkex(&["scan", &format!("ssh://127.0.0.1:{ssh}"), "--timeout", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for needle in [
        "[pq-and-classical]",
        "sntrup761x25519-sha512@openssh.com",
        "post-quantum hybrid",
        "curve25519-sha256",
        "classical, NOT post-quantum",
        "OpenSSH 10 client (defaults) -> sntrup761x25519-sha512@openssh.com",
        "host keys: ssh-ed25519 (quantum-vulnerable); all classical",
        "advertised only",
    ] {
        assert!(out.stdout.contains(needle), "{needle:?} in\n{}", out.stdout);
    }

    // Not SSH: exit code 5 and kind not-ssh; nothing listening: 3.
    let http = tcp_server(|mut s| {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    let out = pqhkex(&["scan", &format!("ssh://127.0.0.1:{http}"), "--json"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(out.json()["targets"][0]["error"]["kind"], "not-ssh");
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = pqhkex(&["scan", &format!("ssh://{closed}"), "--json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
}

/// `scan` against s2n-tls servers (the stack AWS runs in production) of three security
/// policies: the classification and the accepted groups match each policy's groups
/// (checked in s2n's policy tables by interop-c/tests/s2n_interop.rs), and the split ClientHello
/// passes.
#[test]
fn scan_s2n_servers_of_each_policy() {
    for (policy, class, hybrid, pure, classical, by_default) in [
        (
            "default_pq",
            "pq-and-classical",
            &["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"][..],
            &[][..],
            &["x25519", "secp256r1", "secp384r1"][..],
            "X25519MLKEM768",
        ),
        // CNSA 2.0: MLKEM1024 and secp384r1 only; a browser-like offer has no
        // MLKEM1024, so it gets secp384r1.
        (
            "20260720",
            "pq-and-classical",
            &[][..],
            &["MLKEM1024"][..],
            &["secp384r1"][..],
            "secp384r1",
        ),
        (
            "default_tls13",
            "classical-only",
            &[][..],
            &[][..],
            &["x25519", "secp256r1", "secp384r1"][..],
            "x25519",
        ),
    ] {
        let server = Peer::start(&["s2n", policy]);
        let out = pqhkex(&["scan", &server.target(), "--json"]);
        assert_eq!(out.code, 0, "{policy}: {}", out.stderr);
        let t = &out.json()["targets"][0];
        assert_eq!(t["classification"], class, "{policy}: {t:#}");
        assert_eq!(names(&t["accepted"]["hybrid"]), hybrid, "{policy}");
        assert_eq!(names(&t["accepted"]["post_quantum"]), pure, "{policy}");
        assert_eq!(names(&t["accepted"]["classical"]), classical, "{policy}");
        assert_eq!(t["default_offer"]["group"], by_default, "{policy}");
        assert_eq!(t["client_hello_split"]["passed"], true, "{policy}: {t:#}");
    }
}
