//! `scan --shard I/N` as N separate processes over one target list, then `pqhkex report
//! merge`: the merged report holds exactly the results of one full scan of the list
//! (timings aside), and every target was scanned by exactly one shard.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;

use common::{pqhkex, temp_path, Serve};
use serde_json::Value;

/// A port on `ip` nobody listens on.
fn dead_port(ip: &str) -> u16 {
    let l = TcpListener::bind((ip, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// The targets of a report, without timings, sorted by target.
fn comparable(doc: &Value) -> Vec<Value> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                o.remove("elapsed_ms");
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut targets: Vec<Value> = doc["targets"].as_array().unwrap().clone();
    targets.iter_mut().for_each(strip);
    targets.sort_by(|a, b| a["target"].as_str().cmp(&b["target"].as_str()));
    targets
}

fn names(doc: &Value) -> BTreeSet<String> {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shards_merge_into_the_full_scan() {
    // Four servers on four loopback addresses, two policies.
    let servers: Vec<(Serve, String)> = [
        ("127.4.0.1", "prefer"),
        ("127.4.0.2", "hybrid"),
        ("127.4.0.3", "prefer"),
        ("127.4.0.4", "hybrid"),
    ]
    .iter()
    .map(|(ip, policy)| {
        let s = Serve::start(["--port", "0", "--quiet", "--bind", ip, "--policy", policy]);
        let t = format!("{ip}:{}", s.port);
        (s, t)
    })
    .collect();
    // And targets nobody answers: a port, and a CIDR range on a port (127.5.0.1 and
    // .2 of the /30).
    let dead = format!("127.4.0.9:{}", dead_port("127.4.0.9"));
    let range_port = dead_port("127.5.0.1");
    let mut list = String::from("# a fleet\n");
    for (_, t) in &servers {
        list += &format!("{t}\n");
    }
    list += &format!("{dead}  # nothing there\n127.5.0.0/30\n");
    let file = temp_path("fleet.txt");
    std::fs::write(&file, list).unwrap();
    let file_arg = file.to_str().unwrap();
    let port_arg = range_port.to_string();
    let common_args = [
        "scan",
        "--targets-file",
        file_arg,
        "--ports",
        &port_arg,
        "--json",
        "--key-exchange-only",
        "--no-split-check",
        "--timeout",
        "5",
    ];

    let full = pqhkex(&common_args);
    let full_doc = full.json();
    let all = names(&full_doc);
    assert_eq!(all.len(), 7, "{all:?}\n{}", full.stderr);
    assert!(all.contains(&format!("127.5.0.2:{range_port}")));

    let n = 3;
    let mut shard_files = Vec::new();
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for i in 0..n {
        let shard = format!("{i}/{n}");
        let mut args = common_args.to_vec();
        args.extend(["--shard", &shard]);
        let out = pqhkex(&args);
        let doc = out.json();
        let mine = names(&doc);
        total += mine.len();
        seen.extend(mine);
        let path = temp_path(&format!("shard{i}.json"));
        std::fs::write(&path, &out.stdout).unwrap();
        shard_files.push(path);
    }
    // Each target in exactly one shard.
    assert_eq!(total, all.len());
    assert_eq!(seen, all);

    let merged_path = temp_path("merged.json");
    let mut args = vec!["report", "merge"];
    args.extend(shard_files.iter().map(|p| p.to_str().unwrap()));
    args.extend(["-o", merged_path.to_str().unwrap()]);
    let out = pqhkex(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_path).unwrap()).unwrap();
    // `report merge` sorts by target.
    let order: Vec<&str> = merged["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    assert_eq!(comparable(&merged), comparable(&full_doc));
    // The servers' results are real ones, not only failures.
    let reached = comparable(&merged)
        .iter()
        .filter(|t| t["status"] == "ok")
        .count();
    assert_eq!(reached, 4);

    for p in shard_files.iter().chain([&merged_path, &file]) {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn shard_and_input_errors() {
    for (args, needle) in [
        (vec!["scan", "127.0.0.1:1", "--shard", "3/3"], "less than N"),
        (vec!["scan", "127.0.0.1:1", "--shard", "1"], "expected I/N"),
        (vec!["scan", "10.0.0.0/15"], "--allow-large-ranges"),
        (vec!["scan", "10.0.0.0/24", "--ports", "0"], "--ports"),
        (vec!["scan", "-", "--targets-file", "-"], "only once"),
        (vec!["scan", "127.0.0.1:1", "--rate", "0"], "--rate"),
    ] {
        let out = pqhkex(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    let file = temp_path("bad.gnmap");
    std::fs::write(&file, "# Nmap 7.93\nHost: 10.0.0.1 ()\tPorts: 443/open\n").unwrap();
    let out = pqhkex(&["scan", "--nmap", file.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains(":2:"), "{}", out.stderr);
    let _ = std::fs::remove_file(&file);
}

/// `--nmap` with a report Debian's nmap writes now, of a live `pqhkex serve` and a
/// closed port: the open port is scanned (and found post-quantum), the closed one is
/// not a target.
#[test]
fn nmap_reports_feed_the_scan() {
    let server = Serve::start(["--port", "0", "--quiet", "--bind", "127.6.0.1"]);
    let closed = dead_port("127.6.0.1");
    let xml = temp_path("scan.xml");
    let gnmap = temp_path("scan.gnmap");
    let nmap = std::process::Command::new("nmap")
        .args(["-sT", "-Pn", "-p"])
        .arg(format!("{},{closed}", server.port))
        .arg("-oX")
        .arg(&xml)
        .arg("-oG")
        .arg(&gnmap)
        .arg("127.6.0.1")
        .output()
        .expect("nmap (Debian package nmap) must be installed");
    assert!(nmap.status.success(), "{nmap:?}");
    let target = format!("127.6.0.1:{}", server.port);
    for report in [&xml, &gnmap] {
        let out = pqhkex(&[
            "scan",
            "--nmap",
            report.to_str().unwrap(),
            "--json",
            "--key-exchange-only",
            "--no-split-check",
        ]);
        let doc = out.json();
        assert_eq!(
            names(&doc),
            BTreeSet::from([target.clone()]),
            "{}",
            out.stderr
        );
        assert_eq!(doc["targets"][0]["classification"], "pq-and-classical");
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let _ = std::fs::remove_file(&xml);
    let _ = std::fs::remove_file(&gnmap);
}

/// Targets from stdin, read as the scan goes: a target and a range, then a bad line
/// ends the input (what came before is scanned and printed), exit 2 naming the line.
#[test]
fn stdin_is_streamed() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let server = Serve::start(["--port", "0", "--quiet", "--bind", "127.7.0.1"]);
    let dead = dead_port("127.7.1.1");
    let junit = temp_path("stdin.xml");
    let mut child = Command::new(common::BIN)
        .args([
            "scan",
            "-",
            "--jsonl",
            "--key-exchange-only",
            "--no-split-check",
            "--require",
            "pq",
            "--junit",
            junit.to_str().unwrap(),
        ])
        .args(["--ports", &dead.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "127.7.0.1:{}  # the server", server.port).unwrap();
    writeln!(stdin, "127.7.1.0/31").unwrap();
    writeln!(stdin, "not a target:x").unwrap();
    writeln!(stdin, "127.7.0.1:{}", server.port).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdin:3:"), "{stderr}");
    let targets: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["target"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        targets,
        [
            format!("127.7.0.1:{}", server.port),
            format!("127.7.1.0:{dead}"),
            format!("127.7.1.1:{dead}")
        ]
    );
    // The targets read before the bad line were gated and written to --junit too.
    assert!(
        stderr.contains(&format!("require pq: 127.7.1.0:{dead} undetermined")),
        "{stderr}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the --junit file");
    for t in &targets {
        assert!(xml.contains(&format!("name=\"{t}\"")), "{t} not in {xml}");
    }
}
