//! The HTML report (`pqhkex_inventory::html`) of a real scan, loaded in a real headless
//! browser (Debian's `chromium`): the scan runs against loopback peers of every posture
//! — OpenSSL 3.6 servers that prefer post-quantum, merely accept it, refuse it, speak
//! TLS 1.2 with RSA key transport only, an in-process russh SSH server, and a closed
//! port — and the DOM Chromium builds from the page must hold every target, the chart
//! and the matrix as written. A screenshot is kept as a CI artifact in
//! `$CARGO_TARGET_DIR/artifacts/scan-report.png` (default `target/artifacts/`), next to
//! the page itself (`scan-report.html`).
//!
//! Chromium is found through `$CHROMIUM`, else `chromium` or `chromium-browser` on the
//! `PATH`. Without it the test fails and says how to install it; `PQHKEX_SKIP_CHROMIUM=1`
//! skips it instead, loudly.

#[path = "support/openssl_peers.rs"]
mod peers;
#[path = "support/russh_server.rs"]
mod russh_server;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::ssl::SslVersion;
use peers::{single, start, Key, Server};
use pqhkex::groups::{SECP256R1, SECP384R1, X25519, X25519MLKEM768};
use pqhkex_inventory::{html, Class, Posture, ScanReport, Scanner, Target};

/// How long one Chromium run may take before it is killed.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(60);

/// The Chromium binary, or `None` when the test is told to skip without one.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "$CHROMIUM={} is not a file", p.display());
        return Some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    if std::env::var("PQHKEX_SKIP_CHROMIUM").as_deref() == Ok("1") {
        eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!!! SKIPPED: the HTML report was NOT checked in a browser:            !!!");
        eprintln!("!!! no chromium found and PQHKEX_SKIP_CHROMIUM=1 is set.               !!!");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
        return None;
    }
    panic!(
        "headless Chromium is needed to check the HTML report, and none was found \
         ($CHROMIUM unset, no chromium or chromium-browser on PATH): install it \
         (Debian: apt-get install -y chromium; scripts/test does this), or set \
         PQHKEX_SKIP_CHROMIUM=1 to skip this test"
    );
}

/// Runs Chromium headless with `args` and the page, killed after [`CHROMIUM_DEADLINE`];
/// returns its standard output.
fn run_chromium(bin: &Path, profile: &Path, args: &[String], page: &Path) -> String {
    let mut child = Command::new(bin)
        .args([
            "--headless=new",
            // Root in a container has no usable sandbox.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium {args:?} did not finish within {CHROMIUM_DEADLINE:?}; stderr:\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().unwrap();
    let err = err.join().unwrap();
    assert!(
        status.success(),
        "chromium {args:?} failed ({status}); stderr:\n{err}"
    );
    out
}

/// Where CI picks up artifacts: `$CARGO_TARGET_DIR/artifacts`, else the workspace's
/// `target/artifacts`.
fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A scratch directory of this test run.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pqhkex-html-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The width and height of a PNG, from its IHDR chunk (PNG spec §11.2.2), after
/// checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "not a PNG: {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "first chunk is not IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn scan_report_page_in_headless_chromium() {
    let Some(bin) = chromium() else { return };
    let dir = scratch();

    // The peers: one per posture, and the surface the other tables show.
    let pq_preferred = start(Server {
        certs: vec![single(Key::MlDsa(65), "pq.test", 1)],
        groups: Some("X25519MLKEM768:x25519"),
        server_preference: true,
        ..Server::default()
    });
    let pq_capable = start(Server {
        certs: vec![single(Key::EcP384, "capable.test", 2)],
        groups: Some("x25519:X25519MLKEM768"),
        server_preference: true,
        ..Server::default()
    });
    let classical = start(Server {
        certs: vec![single(Key::Rsa(2048), "classic.test", 3)],
        groups: Some("x25519:P-256"),
        ciphers: Some("ECDHE+AESGCM"),
        ..Server::default()
    });
    let rsa_kt = start(Server {
        certs: vec![single(Key::Rsa(2048), "legacy.test", 4)],
        max: Some(SslVersion::TLS1_2),
        ciphers: Some("AES128-GCM-SHA256"),
        ..Server::default()
    });
    let ssh = russh_server::start_russh(vec![russh_server::host_key(&["-t", "ed25519"]).0], None);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let names = [
        pq_preferred,
        pq_capable,
        classical,
        rsa_kt,
        format!("ssh://{ssh}"),
        closed.to_string(),
    ];
    let targets: Vec<Target> = names.iter().map(|t| Target::parse(t).unwrap()).collect();
    let report = ScanReport::new(
        Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
            .unwrap()
            .groups(&[&X25519MLKEM768, &X25519, &SECP256R1, &SECP384R1])
            .timeout(Duration::from_secs(10))
            .scan(&targets),
    );
    let json = serde_json::to_string_pretty(&report).unwrap();
    let t = &report.targets;
    // The scan saw what the peers are: otherwise the page would not show every bucket.
    assert_eq!(t[0].pq_posture, Some(Posture::PqPreferred), "{json}");
    assert_eq!(t[1].pq_posture, Some(Posture::PqCapable), "{json}");
    assert_eq!(t[2].classification, Class::ClassicalOnly, "{json}");
    assert_eq!(t[3].classification, Class::Tls12Only, "{json}");
    assert_eq!(t[4].classification, Class::PqAndClassical, "{json}");
    assert_eq!(t[5].classification, Class::Unreachable, "{json}");

    let page = html::render(&report);
    let artifacts = artifacts_dir();
    let html_path = artifacts.join("scan-report.html");
    std::fs::write(&html_path, &page).unwrap();
    let html_path = html_path.canonicalize().unwrap();

    // The DOM Chromium built from the page.
    let dom = run_chromium(
        &bin,
        &dir.join("profile-dom"),
        &["--dump-dom".into()],
        &html_path,
    );
    assert!(
        dom.contains("<svg id=\"posture-chart\""),
        "no chart in the DOM:\n{dom}"
    );
    assert!(
        dom.contains("<table id=\"group-matrix\""),
        "no matrix in the DOM:\n{dom}"
    );
    assert!(!dom.contains("<script"), "a script element in the DOM");
    let matrix_start = dom.find("<table id=\"group-matrix\"").unwrap();
    let matrix = &dom[matrix_start..matrix_start + dom[matrix_start..].find("</table>").unwrap()];
    for (i, name) in names.iter().enumerate() {
        let attr = format!("data-target=\"{name}\"");
        assert!(
            matrix.contains(&format!("<tr {attr}")),
            "{name} has no row in the matrix:\n{matrix}"
        );
        assert!(
            dom.contains(&format!(
                "<section class=\"plan\" id=\"plan-{i}\" {attr}><h3>"
            )),
            "{name} has no migration plan section in the DOM"
        );
    }
    // The parser kept the page's structure: as many rows, cells and bars as written.
    for needle in [
        "<tr",
        "<td",
        "<th",
        "<g class=\"bucket\"",
        "<section",
        "<li",
    ] {
        assert_eq!(
            dom.matches(needle).count(),
            page.matches(needle).count(),
            "the browser restructured {needle} elements"
        );
    }
    for (posture, n) in [
        ("pq-preferred", 1),
        ("pq-capable", 2),
        ("classical-only", 2),
        ("unreachable", 1),
    ] {
        // pq-capable: the OpenSSL server and the russh one (SSH: the client's order
        // decides); classical-only: x25519-only and TLS 1.2.
        assert!(
            dom.contains(&format!("data-posture=\"{posture}\" data-count=\"{n}\"")),
            "chart bar {posture} should count {n}\n{json}"
        );
    }
    for section in [
        "id=\"auth-table\"",
        "id=\"legacy-table\"",
        "id=\"ssh-table\"",
        "id=\"migration\"",
    ] {
        assert!(dom.contains(section), "no {section} in the DOM");
    }
    // The RSA key transport finding reaches the page.
    assert!(dom.contains("TLS_RSA_WITH_AES_128_GCM_SHA256"));

    // The screenshot, kept for CI.
    let png_path = artifacts.join("scan-report.png");
    let _ = std::fs::remove_file(&png_path);
    run_chromium(
        &bin,
        &dir.join("profile-shot"),
        &[
            format!("--screenshot={}", png_path.display()),
            "--window-size=1280,2000".into(),
        ],
        &html_path,
    );
    let png = std::fs::read(&png_path)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png_path.display()));
    assert_eq!(png_size(&png), (1280, 2000));
    // A blank 1280x2000 page compresses to a few kilobytes; text, tables and the
    // chart take far more.
    assert!(
        png.len() > 40_000,
        "screenshot suspiciously small: {} bytes",
        png.len()
    );
    eprintln!("screenshot: {} ({} bytes)", png_path.display(), png.len());
    let _ = std::fs::remove_dir_all(&dir);
}
