//! `scan --require`, `--junit`, `--jsonl`, `pqhkex report` and `report merge`, and
//! `connect --json` on failure: the real binary against real loopback servers (`pqhkex
//! serve` with each policy, a TLS 1.2-only one, and a port nobody listens on).

mod common;

use std::net::TcpListener;

use common::{pqhkex, temp_path, Output, Serve};

fn serve(args: &[&str]) -> (Serve, String) {
    let mut all = vec!["--port", "0", "--quiet"];
    all.extend_from_slice(args);
    let s = Serve::start(all);
    let target = format!("127.0.0.1:{}", s.port);
    (s, target)
}

fn dead_target() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let t = format!("127.0.0.1:{}", l.local_addr().unwrap().port());
    drop(l);
    t
}

fn scan(args: &[&str]) -> Output {
    let mut all = vec!["scan", "--timeout", "5", "--no-split-check"];
    all.extend_from_slice(args);
    pqhkex(&all)
}

/// The stderr lines of the gate.
fn gate_lines(o: &Output) -> Vec<&str> {
    o.stderr
        .lines()
        .filter(|l| l.starts_with("pqhkex: require "))
        .collect()
}

#[test]
fn exit_code_per_level() {
    let (_pq, pq) = serve(&["--policy", "require"]);
    let (_classical, classical) = serve(&["--policy", "classical"]);
    let (_old, tls12) = serve(&["--policy", "classical", "--tls", "1.2"]);
    let dead = dead_target();

    // A post-quantum server with pqhkex's default (ECDSA) certificate.
    for (level, code) in [
        ("pq", 0),
        ("hybrid", 0),
        ("pq-preferred", 0),
        ("pq-auth", 10),
    ] {
        let o = scan(&[&pq, "--require", level]);
        assert_eq!(o.code, code, "{level}: {}", o.stderr);
        let lines = gate_lines(&o);
        if code == 0 {
            assert!(lines.is_empty(), "{level}: {lines:?}");
        } else {
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert!(
                lines[0].starts_with(&format!(
                    "pqhkex: require pq-auth: {pq} not met: authenticates classically"
                )),
                "{lines:?}"
            );
        }
    }
    // Classical TLS 1.3 and TLS 1.2-only servers fail every level, named on stderr.
    for (target, class) in [(&classical, "classical-only"), (&tls12, "tls12-only")] {
        let o = scan(&[
            target,
            "--require",
            "pq,hybrid",
            "--require",
            "pq-preferred",
        ]);
        assert_eq!(o.code, 10, "{target}: {}", o.stderr);
        let lines = gate_lines(&o);
        assert_eq!(lines.len(), 3, "{lines:?}");
        for (line, level) in lines.iter().zip(["pq", "hybrid", "pq-preferred"]) {
            assert_eq!(
                *line,
                format!("pqhkex: require {level}: {target} not met: accepts no post-quantum group (classification {class})"),
            );
        }
    }
    // Without --require a classical TLS 1.3 server exits 0, a TLS 1.2 one 6: the gate
    // is what makes them fail.
    assert_eq!(scan(&[&classical]).code, 0);
    assert_eq!(scan(&[&tls12]).code, 6);
    // Only an unreachable target falls short: its own code (3), named as undetermined.
    let o = scan(&[&pq, &dead, "--require", "pq"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    let lines = gate_lines(&o);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "pqhkex: require pq: {dead} undetermined: not scanned: cannot connect"
        )),
        "{lines:?}"
    );
    // A policy failure takes precedence over the unreachable target.
    let o = scan(&[&dead, &classical, "--require", "pq"]);
    assert_eq!(o.code, 10, "{}", o.stderr);
    assert_eq!(gate_lines(&o).len(), 2);
    // A level that does not exist is a usage error.
    let o = scan(&[&pq, "--require", "pq-only"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("pq-preferred"), "{}", o.stderr);
}

#[test]
fn junit_jsonl_and_report() {
    let (_pq, pq) = serve(&["--policy", "require"]);
    let (_classical, classical) = serve(&["--policy", "classical"]);
    let dead = dead_target();
    let junit = temp_path("gate.xml");
    let targets = [pq.as_str(), classical.as_str(), dead.as_str()];

    let mut args = targets.to_vec();
    args.extend([
        "--require",
        "pq,pq-preferred",
        "--junit",
        junit.to_str().unwrap(),
        "--jsonl",
    ]);
    let o = scan(&args);
    assert_eq!(o.code, 10, "{}", o.stderr);
    // --jsonl: one compact result per line, in input order.
    let lines: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    let names: Vec<_> = lines
        .iter()
        .map(|v| v["target"].as_str().unwrap())
        .collect();
    assert_eq!(names, targets);

    // The JUnit file, parsed by a real XML parser.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let root = doc.root_element();
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures")),
        (Some("6"), Some("4"))
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    for (suite, level) in suites.iter().zip(["pq", "pq-preferred"]) {
        assert_eq!(suite.attribute("name"), Some(level));
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let got: Vec<_> = cases
            .iter()
            .map(|c| {
                let f = c.children().find(|n| n.has_tag_name("failure"));
                (
                    c.attribute("name").unwrap(),
                    f.and_then(|f| f.attribute("type")),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (pq.as_str(), None),
                (classical.as_str(), Some("not-met")),
                (dead.as_str(), Some("undetermined"))
            ],
            "{level}"
        );
    }

    // `report` on the saved --jsonl and on a saved --json document: the scan's table
    // and the gate's exit code, without rescanning.
    let jsonl = temp_path("scan.jsonl");
    std::fs::write(&jsonl, &o.stdout).unwrap();
    let table = scan(&targets);
    assert_eq!(table.code, 3);
    let json_out = scan(&[&targets[..], &["--json"]].concat());
    let json = temp_path("scan.json");
    std::fs::write(&json, &json_out.stdout).unwrap();
    let strip = |s: &str| -> String {
        // The scans ran at different times: only the table's content is compared.
        s.lines()
            .filter(|l| !l.contains(" .. "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for saved in [&jsonl, &json] {
        let r = pqhkex(&["report", saved.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert_eq!(
            strip(&r.stdout),
            strip(&table.stdout),
            "{}",
            saved.display()
        );
        let gated = pqhkex(&[
            "report",
            saved.to_str().unwrap(),
            "--require",
            "pq,pq-preferred",
        ]);
        assert_eq!(gated.code, 10);
        assert_eq!(gate_lines(&gated), gate_lines(&o));
    }
    // --json gives back the document.
    let back = pqhkex(&["report", jsonl.to_str().unwrap(), "--json"]).json();
    assert_eq!(back["targets"].as_array().unwrap().len(), 3);
    assert_eq!(back["targets"][1], lines[1]);
}

/// The table's surface lines: posture, the chain as served, authentication, TLS 1.2 and
/// older, and the migration plan, for a classical-only and a post-quantum-only server.
#[test]
fn table_shows_the_whole_surface_and_the_plan() {
    let (_classical, classical) = serve(&["--policy", "classical", "--tls", "1.2,1.3"]);
    let o = scan(&[classical.as_str()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let t = &o.stdout;
    for line in [
        "  post-quantum posture: classical-only",
        "  certificate chain (as served):",
        "    0: ",
        "  authentication: classical (handshake signature ",
        "  TLS 1.2 accepted, TLS 1.1 refused, TLS 1.0 refused; RSA key transport: no",
        "    ECDHE: accepted",
        "  migration plan:",
        "    1. [",
        "offer X25519MLKEM768",
    ] {
        assert!(t.contains(line), "no {line:?} in\n{t}");
    }

    let (_pq, pq) = serve(&["--policy", "require"]);
    let o = scan(&[pq.as_str()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let t = &o.stdout;
    assert!(t.contains("  post-quantum posture: pq-preferred"), "{t}");
    assert!(t.contains("  TLS 1.2 refused"), "{t}");
    assert!(!t.contains("offer X25519MLKEM768"), "{t}");
}

/// `scan --html` and `report --html` from saved --jsonl results: one self-contained page
/// (no script, nothing fetched) that names every target with its posture and plan.
/// (inventory/tests/html_chromium.rs loads such a page in headless Chromium.)
#[test]
fn html_from_the_scan_and_from_saved_results() {
    let (_pq, pq) = serve(&["--policy", "require"]);
    let (_classical, classical) = serve(&["--policy", "classical"]);
    let targets = [pq.as_str(), classical.as_str()];
    let page = temp_path("scan.html");
    let o = scan(&[&targets[..], &["--jsonl", "--html", page.to_str().unwrap()]].concat());
    assert_eq!(o.code, 0, "{}", o.stderr);
    let jsonl = temp_path("for-html.jsonl");
    std::fs::write(&jsonl, &o.stdout).unwrap();
    let again = temp_path("report.html");
    let r = pqhkex(&[
        "report",
        jsonl.to_str().unwrap(),
        "--html",
        again.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for file in [&page, &again] {
        let html = std::fs::read_to_string(file).unwrap();
        let lower = html.to_ascii_lowercase();
        assert!(lower.starts_with("<!doctype html>"), "{}", file.display());
        assert!(!lower.contains("<script"), "{}", file.display());
        for attr in ["src=\"http", "href=\"http", "url(http"] {
            assert!(!lower.contains(attr), "{} fetches: {attr}", file.display());
        }
        for t in targets {
            assert!(html.contains(t), "{} lacks {t}", file.display());
        }
        assert!(html.contains("pq-only"), "{}", file.display());
        assert!(html.contains("classical-only"), "{}", file.display());
    }
}

#[test]
fn report_merge() {
    let (_pq, pq) = serve(&["--policy", "require"]);
    let (_classical, classical) = serve(&["--policy", "classical"]);
    let a = temp_path("a.jsonl");
    let b = temp_path("b.json");
    std::fs::write(&a, scan(&[&pq, "--jsonl"]).stdout).unwrap();
    std::fs::write(&b, scan(&[&classical, "--json"]).stdout).unwrap();
    let (out, cbom) = (temp_path("merged.json"), temp_path("merged.cdx.json"));
    let o = pqhkex(&[
        "report",
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cbom",
        cbom.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let mut want = vec![pq.clone(), classical.clone()];
    want.sort();
    let got: Vec<_> = merged["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want);
    assert_eq!(merged["schema_version"], "3");
    let bom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cbom).unwrap()).unwrap();
    let mut refs: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .chain(bom["services"].as_array().unwrap())
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let n = refs.len();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), n, "bom-refs are unique");
    assert_eq!(bom["services"].as_array().unwrap().len(), 2);

    // The same target with a different result in two inputs: an error naming it.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
    doc["targets"][0]["target"] = pq.clone().into();
    let c = temp_path("c.json");
    std::fs::write(&c, doc.to_string()).unwrap();
    let o = pqhkex(&[
        "report",
        "merge",
        a.to_str().unwrap(),
        c.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains(&format!("target {pq} has different results")),
        "{}",
        o.stderr
    );
}

#[test]
fn connect_json_on_failure() {
    let dead = dead_target();
    let o = pqhkex(&["connect", &dead, "--json", "--timeout", "5"]);
    assert_eq!(o.code, 3);
    let v = o.json();
    assert_eq!(v["target"], dead.as_str());
    assert_eq!(v["error"]["kind"], "unreachable");
    assert_eq!(v["error"]["exit_code"], 3);
    assert!(v["error"]["message"].as_str().unwrap().contains(&dead));
    // The same failure without --json: the exit code is the same, stdout empty.
    let plain = pqhkex(&["connect", &dead, "--timeout", "5"]);
    assert_eq!((plain.code, plain.stdout.as_str()), (3, ""));
}
