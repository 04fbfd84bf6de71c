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
    check_svg(&picture, "MLKEM1024");

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

/// Checks `bench --svg` output: valid XML, the legend's box outside the plot, round tick
/// values, an x axis fitted to the curves (their ends within one tick interval of the
/// plot's edges), and `refused` marked as not accepted (no "0.00 ms" figures anywhere).
fn check_svg(picture: &str, refused: &str) {
    let doc = roxmltree::Document::parse(picture)
        .unwrap_or_else(|e| panic!("bench --svg is not XML ({e}): {picture}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let class = |c: &str| {
        doc.descendants()
            .filter(move |n| n.attribute("class") == Some(c))
            .collect::<Vec<_>>()
    };
    let num = |n: &roxmltree::Node, a: &str| -> f64 { n.attribute(a).unwrap().parse().unwrap() };
    let rect = |c: &str| {
        let r = class(c);
        assert_eq!(r.len(), 1, "one {c}: {picture}");
        let r = r[0];
        (
            num(&r, "x"),
            num(&r, "y"),
            num(&r, "x") + num(&r, "width"),
            num(&r, "y") + num(&r, "height"),
        )
    };
    let plot = rect("plot");
    let legend = rect("legend-box");
    let disjoint =
        legend.0 >= plot.2 || legend.2 <= plot.0 || legend.1 >= plot.3 || legend.3 <= plot.1;
    assert!(disjoint, "legend {legend:?} overlaps the plot {plot:?}");

    // Ticks: multiples of one step of 1, 2 or 5 times a power of ten.
    let ticks = |c: &str| -> Vec<f64> {
        class(c)
            .iter()
            .map(|n| n.text().unwrap().trim_end_matches('%').parse().unwrap())
            .collect()
    };
    for c in ["tick-x", "tick-y", "tick-bar"] {
        let t = ticks(c);
        assert!(t.len() >= 3, "{c}: {t:?}");
        let step = t[1] - t[0];
        let mantissa = step / 10f64.powf(step.log10().floor());
        assert!(
            [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6),
            "{c}: step {step} in {t:?}"
        );
        for (i, v) in t.iter().enumerate() {
            let k = v / step;
            assert!((k - k.round()).abs() < 1e-6, "{c}: {v} in {t:?}");
            assert!(
                (v - (t[0] + step * i as f64)).abs() < step * 1e-6,
                "{c}: {t:?}"
            );
        }
    }

    // The curves span the axis: no empty band wider than one tick interval either side.
    let t = ticks("tick-x");
    let px_per_tick = (plot.2 - plot.0) / (t.len() - 1) as f64;
    let xs: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .flat_map(|n| {
            n.attribute("points")
                .unwrap()
                .split(' ')
                .map(|p| p.split(',').next().unwrap().parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!xs.is_empty(), "no curve: {picture}");
    let (lo, hi) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    assert!(
        lo >= plot.0 - 0.1 && hi <= plot.2 + 0.1,
        "{lo} {hi} {plot:?}"
    );
    assert!(
        lo < plot.0 + px_per_tick && hi > plot.2 - px_per_tick,
        "curves from {lo} to {hi} in {plot:?}, ticks {t:?}"
    );

    // The refused group: named in the legend, then "not accepted by the server".
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    let at = texts
        .iter()
        .position(|t| *t == refused)
        .unwrap_or_else(|| panic!("{refused} missing: {texts:?}"));
    assert_eq!(texts[at + 1], "not accepted by the server", "{texts:?}");
    assert!(!picture.contains("0.00 ms"), "{picture}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("p50 ") && t.contains(" ms, p99 ")),
        "{texts:?}"
    );
}

/// `--rounds 3`: every group is measured once per round, in the order A B C A B C A B C
/// (the turns' start times show it), with the handshakes split evenly; each figure is
/// the median of the rounds' and its spread their min and max. The JSON also describes
/// the run: time, host, CPU, kernel, version, backends, command line.
#[test]
fn rounds_are_interleaved_and_the_run_is_described() {
    let server = Serve::start(["--port", "0", "--quiet"]);
    let target = format!("127.0.0.1:{}", server.port);
    let args = [
        "bench",
        &target,
        "--groups",
        "x25519,X25519MLKEM768,SecP256r1MLKEM768",
        "--handshakes",
        "9",
        "--rounds",
        "3",
        "--warmup",
        "2",
        "--concurrency",
        "2",
        "--json",
    ];
    let before = std::time::SystemTime::now();
    let out = pqhkex(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json();
    assert_eq!(doc["rounds"], 3, "{doc:#}");

    let mut turns: Vec<(f64, String, u64)> = Vec::new();
    for g in doc["groups"].as_array().unwrap() {
        let name = g["group"].as_str().unwrap().to_string();
        let rounds = g["rounds"].as_array().unwrap();
        assert_eq!(rounds.len(), 3, "{g:#}");
        for (i, r) in rounds.iter().enumerate() {
            assert_eq!(r["round"], i as u64 + 1, "{g:#}");
            assert_eq!(r["handshakes"], 3, "{g:#}");
            turns.push((
                r["started_seconds"].as_f64().unwrap(),
                name.clone(),
                r["round"].as_u64().unwrap(),
            ));
        }
        // Medians and spreads recomputed from the rounds.
        let values = |f: &dyn Fn(&Value) -> f64| {
            let mut v: Vec<f64> = rounds.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        for (figure, per_round, spread) in [
            (
                &g["handshakes_per_second"],
                values(&|r| r["handshakes_per_second"].as_f64().unwrap()),
                &g["spread"]["handshakes_per_second"],
            ),
            (
                &g["latency_ms"]["p50"],
                values(&|r| r["latency_ms"]["p50"].as_f64().unwrap()),
                &g["spread"]["p50_ms"],
            ),
            (
                &g["latency_ms"]["p99"],
                values(&|r| r["latency_ms"]["p99"].as_f64().unwrap()),
                &g["spread"]["p99_ms"],
            ),
            (
                &g["client_cpu_ms_per_handshake"],
                values(&|r| r["client_cpu_ms_per_handshake"].as_f64().unwrap()),
                &g["spread"]["client_cpu_ms_per_handshake"],
            ),
        ] {
            assert_eq!(figure.as_f64().unwrap(), per_round[1], "{g:#}");
            assert_eq!(spread["min"].as_f64().unwrap(), per_round[0], "{g:#}");
            assert_eq!(spread["max"].as_f64().unwrap(), per_round[2], "{g:#}");
        }
        assert_eq!(g["handshakes"], 9, "{g:#}");
    }
    turns.sort_by(|a, b| a.0.total_cmp(&b.0));
    let order: Vec<(&str, u64)> = turns.iter().map(|t| (t.1.as_str(), t.2)).collect();
    let (a, b, c) = ("x25519", "X25519MLKEM768", "SecP256r1MLKEM768");
    assert_eq!(
        order,
        [
            (a, 1),
            (b, 1),
            (c, 1),
            (a, 2),
            (b, 2),
            (c, 2),
            (a, 3),
            (b, 3),
            (c, 3)
        ]
    );

    // The run's description.
    let run = &doc["run"];
    let stamp = run["timestamp"].as_str().unwrap();
    let shape: String = stamp
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99:99:99Z", "{stamp}");
    // Not before the run (to the second) nor from another day than it.
    let now = pqhkex_inventory::cbom::utc_timestamp(before - Duration::from_secs(1));
    assert!(stamp >= now.as_str(), "{stamp} < {now}");
    let read = |p: &str| std::fs::read_to_string(p).unwrap().trim().to_string();
    assert_eq!(run["host"], read("/proc/sys/kernel/hostname"), "{run:#}");
    assert_eq!(run["kernel"], read("/proc/sys/kernel/osrelease"), "{run:#}");
    let cpuinfo = read("/proc/cpuinfo");
    let model = run["cpu_model"].as_str().unwrap();
    assert!(
        !model.is_empty() && (model == "unknown" || cpuinfo.contains(model)),
        "{run:#}"
    );
    let cores = run["logical_cores"].as_u64().unwrap();
    assert!(
        cores >= 1 && cores <= cpuinfo.matches("processor").count() as u64,
        "{run:#}"
    );
    assert_eq!(run["pqhkex_version"], env!("CARGO_PKG_VERSION"));
    let backends = run["backends"].as_object().unwrap();
    let names: Vec<&str> = backends.keys().map(String::as_str).collect();
    assert_eq!(names, ["ML-KEM-768", "P-256", "X25519"], "{run:#}");
    for b in backends.values() {
        assert!(
            ["pure-rust", "graviola", "aws-lc-rs"].contains(&b.as_str().unwrap()),
            "{run:#}"
        );
    }
    let cmd: Vec<&str> = run["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(cmd[1..], args[..], "{run:#}");

    // The table says the same in one line.
    let out = pqhkex(&args[..args.len() - 1]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("run: "))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        line.contains(&read("/proc/sys/kernel/hostname")) && line.contains("X25519 "),
        "{line}"
    );
    assert!(
        out.stdout.contains("spread (min-max over rounds)"),
        "{}",
        out.stdout
    );

    // Fewer handshakes than rounds is a usage error.
    let out = pqhkex(&["bench", &target, "--handshakes", "2", "--rounds", "3"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// `--server-pid`: the server's CPU time per handshake, per round and per group, read
/// from /proc. Every figure is consistent with the rounds it comes from, and together
/// they are no more than the CPU the server has used in its whole life.
#[test]
fn server_cpu_per_handshake_with_server_pid() {
    let server = Serve::start(["--port", "0", "--quiet"]);
    let pid = server.child.id();
    let target = format!("127.0.0.1:{}", server.port);
    let pid_arg = pid.to_string();
    let args = [
        "bench",
        &target,
        "--groups",
        "x25519,X25519MLKEM768",
        "--duration",
        "2",
        "--rounds",
        "2",
        "--warmup",
        "5",
        "--concurrency",
        "2",
        "--server-pid",
        &pid_arg,
    ];
    let out = pqhkex(&[&args[..], &["--json"]].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json();
    assert_eq!(doc["server_pid"], pid, "{doc:#}");
    let mut total = 0.0;
    for name in ["x25519", "X25519MLKEM768"] {
        let g = bench_group(&doc, name);
        assert_eq!(g["status"], "ok", "{g:#}");
        let seconds = g["server_cpu_seconds"].as_f64().unwrap();
        assert!(seconds > 0.0, "{g:#}");
        total += seconds;
        let rounds = g["rounds"].as_array().unwrap();
        assert_eq!(rounds.len(), 2, "{g:#}");
        let mut per: Vec<f64> = Vec::new();
        let mut sum = 0.0;
        for r in rounds {
            let ms = r["server_cpu_ms_per_handshake"].as_f64().unwrap();
            let n = r["handshakes"].as_f64().unwrap();
            assert!(ms > 0.0 && n > 0.0, "{r:#}");
            sum += ms * n / 1000.0;
            per.push(ms);
        }
        assert!(
            (sum - seconds).abs() < 1e-6,
            "rounds add up to {sum}, total {seconds}"
        );
        let median = (per[0] + per[1]) / 2.0;
        let reported = g["server_cpu_ms_per_handshake"].as_f64().unwrap();
        assert!((reported - median).abs() < 1e-9, "{g:#}");
        let spread = &g["spread"]["server_cpu_ms_per_handshake"];
        assert_eq!(spread["min"].as_f64().unwrap(), per[0].min(per[1]), "{g:#}");
        assert_eq!(spread["max"].as_f64().unwrap(), per[0].max(per[1]), "{g:#}");
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let lifetime = (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0;
    assert!(
        total <= lifetime + 1e-9,
        "the turns' server CPU ({total} s) exceeds the server's lifetime CPU ({lifetime} s)"
    );

    // The table has the column; without --server-pid neither it nor the JSON figures.
    let out = pqhkex(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("srv ms/hs"), "{}", out.stdout);
    let out = pqhkex(&[&args[..12], &["--json"]].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json();
    assert_eq!(doc["server_pid"], Value::Null);
    assert_eq!(
        bench_group(&doc, "x25519")["server_cpu_seconds"],
        Value::Null
    );

    // A process that does not exist is a usage error that says what was wrong.
    let out = pqhkex(&[&args[..12], &["--server-pid", "4294967295"]].concat());
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("--server-pid 4294967295"),
        "{}",
        out.stderr
    );
}
