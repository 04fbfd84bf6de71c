//! `pqhkex connect --quic` against quinn servers over UDP loopback, each accepting a
//! chosen set of groups through pqhkex on a *ring* base: the negotiated group, the
//! HelloRetryRequest, the handshake's datagrams, ALPN, and the failures (no common
//! group, untrusted certificate, nothing listening).
#![cfg(feature = "quic")]

mod common;
#[path = "../../inventory/tests/support/quic_server.rs"]
mod quic_peer;

use std::net::SocketAddr;

use common::{pqhkex, temp_path, Output};
use pqhkex::groups::{self, Group};

/// A QUIC server accepting `groups` only (see the inventory's
/// `tests/support/quic_server.rs`): its address and the path of its certificate (PEM,
/// for `--ca`; the name is `localhost`).
fn quic_server(tag: &str, groups: &'static [&'static Group]) -> (SocketAddr, String) {
    let (addr, cert) = quic_peer::start(groups);
    let ca = temp_path(&format!("quic-{tag}.pem"));
    std::fs::write(&ca, cert.pem()).unwrap();
    (addr, ca.to_string_lossy().into_owned())
}

/// `pqhkex connect --quic ADDR --servername localhost EXTRA…`.
fn connect_quic(addr: SocketAddr, extra: &[&str]) -> Output {
    let target = addr.to_string();
    let mut args = vec!["connect", "--quic", &target, "--servername", "localhost"];
    args.extend_from_slice(extra);
    pqhkex(&args)
}

static PREFER: &[&Group] = &[
    &groups::X25519MLKEM768,
    &groups::SECP256R1MLKEM768,
    &groups::X25519,
];
static MLKEM1024_ONLY: &[&Group] = &[&groups::MLKEM1024];
static X25519_ONLY: &[&Group] = &[&groups::X25519];

#[test]
fn connect_quic_negotiates_x25519mlkem768_in_two_initial_datagrams() {
    let (addr, ca) = quic_server("prefer", PREFER);
    let out = connect_quic(addr, &["--ca", &ca, "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["transport"], "quic");
    assert_eq!(v["group"], "X25519MLKEM768");
    assert_eq!(v["group_code"], "0x11ec");
    assert_eq!(v["post_quantum"], true);
    assert_eq!(v["hybrid"], true);
    assert_eq!(v["hello_retry_request"], false);
    assert_eq!(v["protocol"], "TLS 1.3");
    assert_eq!(v["certificate_trusted"], true);
    assert_eq!(v["quic"]["alpn"], "h3");
    // A 1216-byte key share cannot fit one ~1200-byte Initial packet (RFC 9000 §14.1).
    let sent = v["quic"]["handshake_datagrams_sent"].as_u64().unwrap();
    assert!(sent >= 2, "{v}");
    assert!(
        v["quic"]["handshake_bytes_sent"].as_u64().unwrap() >= 2 * 1200,
        "{v}"
    );
    assert!(v["quic"]["handshake_datagrams_received"].as_u64().unwrap() >= 1);

    // The text form says the same.
    let out = connect_quic(addr, &["--ca", &ca]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("QUIC"), "{}", out.stdout);
    assert!(
        out.stdout.contains("X25519MLKEM768 (0x11ec)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("QUIC handshake   : sent"),
        "{}",
        out.stdout
    );
}

#[test]
fn connect_quic_reports_a_hello_retry_request() {
    // The client's first share is X25519; the server accepts only MLKEM1024.
    let (addr, ca) = quic_server("hrr", MLKEM1024_ONLY);
    let out = connect_quic(
        addr,
        &["--ca", &ca, "--groups", "x25519,MLKEM1024", "--json"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["group"], "MLKEM1024");
    assert_eq!(v["hybrid"], false);
    assert_eq!(v["post_quantum"], true);
    assert_eq!(v["hello_retry_request"], true);
}

#[test]
fn connect_quic_against_a_classical_server_uses_the_hybrids_x25519_share() {
    // The default (prefer) client's first ClientHello carries X25519MLKEM768 and its
    // X25519 component as a separate share (draft-ietf-tls-hybrid-design §3.2); an
    // X25519-only server takes that one, with no HelloRetryRequest.
    let (addr, ca) = quic_server("classical", X25519_ONLY);
    let out = connect_quic(addr, &["--ca", &ca, "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["group"], "x25519");
    assert_eq!(v["post_quantum"], false);
    assert_eq!(v["hello_retry_request"], false);
}

#[test]
fn connect_quic_failures_have_their_exit_codes() {
    let (addr, ca) = quic_server("fail", MLKEM1024_ONLY);
    // No group in common: the server's handshake_failure alert (CRYPTO_ERROR 0x128).
    let out = connect_quic(addr, &["--ca", &ca, "--policy", "classical"]);
    assert_eq!(out.code, 8, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("handshake_failure"), "{}", out.stderr);

    // The certificate is not trusted without --ca: exit 7; --insecure reports it.
    let (addr, _ca) = quic_server("untrusted", PREFER);
    let out = connect_quic(addr, &[]);
    assert_eq!(out.code, 7, "{}\n{}", out.stdout, out.stderr);
    let out = connect_quic(addr, &["--insecure", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["certificate_trusted"], false);

    // Nothing listening on that UDP port: a timeout, exit 4.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = silent.local_addr().unwrap().to_string();
    let out = pqhkex(&["connect", "--quic", &target, "--timeout", "1"]);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);

    // --alpn without --quic is a usage error.
    let out = pqhkex(&["connect", &target, "--alpn", "h3"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// `pqhkex scan quic://…` and `scan --quic`: the group probes over QUIC, classified like
/// TCP, with the ClientHello's Initial datagrams per probe, in the table and the JSON,
/// and the gate's answer for a QUIC target.
#[test]
fn scan_over_quic_classifies_and_counts_initial_datagrams() {
    let (addr, ca) = quic_server("scan", PREFER);
    let target = format!("quic://localhost:{}", addr.port());
    let groups = "X25519MLKEM768,MLKEM1024,x25519";
    let out = pqhkex(&["scan", &target, "--groups", groups, "--ca", &ca, "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = out.json();
    let t = &v["targets"][0];
    assert_eq!(t["protocol"], "quic", "{t}");
    assert_eq!(t["classification"], "pq-and-classical", "{t}");
    assert_eq!(t["default_offer"]["group"], "X25519MLKEM768", "{t}");
    assert_eq!(
        t["accepted"]["hybrid"],
        serde_json::json!(["X25519MLKEM768"])
    );
    assert_eq!(t["accepted"]["classical"], serde_json::json!(["x25519"]));
    // A 1216-byte key share needs a second Initial datagram; x25519 fits in one.
    let probes = t["quic"]["probes"].as_array().expect("quic.probes");
    let datagrams = |name: &str| {
        probes
            .iter()
            .find(|p| p["probe"] == name)
            .unwrap_or_else(|| panic!("no {name} probe in {t}"))["client_hello_datagrams"]
            .as_u64()
            .unwrap()
    };
    assert!(datagrams("X25519MLKEM768") >= 2, "{t}");
    assert_eq!(datagrams("x25519"), 1, "{t}");

    // --quic: the same server as a HOST:PORT target; the table names the transport.
    let out = pqhkex(&[
        "scan",
        &format!("localhost:{}", addr.port()),
        "--quic",
        "--groups",
        groups,
        "--ca",
        &ca,
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("[pq-and-classical]"), "{}", out.stdout);
    assert!(out.stdout.contains("over QUIC (ALPN h3)"), "{}", out.stdout);

    // The gate: the hybrid is accepted (pq passes), but preference is not probed over
    // QUIC, so pq-preferred is undetermined and fails the gate (exit 10) naming why.
    let out = pqhkex(&[
        "scan",
        &target,
        "--groups",
        groups,
        "--ca",
        &ca,
        "--require",
        "pq",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let out = pqhkex(&[
        "scan",
        &target,
        "--groups",
        groups,
        "--ca",
        &ca,
        "--require",
        "pq-preferred",
    ]);
    assert_eq!(out.code, 10, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(&target), "{}", out.stderr);
}
