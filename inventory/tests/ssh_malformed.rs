//! Peers that are not SSH, or break SSH: each must end in a clear, typed error (or a
//! report that says what it could not do) within the timeout — never a hang or panic.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use pqhkex_inventory::ssh::{probe, HostKeyFamily, SshError, SshReport, VerificationStatus};
use pqhkex_inventory::Answer;

#[path = "support/ssh_wire.rs"]
mod ssh_wire;
use ssh_wire::{kexinit, kexinit_guess, packet, string};

#[path = "support/ssh_peer.rs"]
mod ssh_peer;

const TIMEOUT: Duration = Duration::from_secs(2);
const BANNER: &[u8] = b"SSH-2.0-FakeServer_1.0\r\n";

/// Serves one connection with `script` on a background thread.
fn serve(script: impl FnOnce(TcpStream) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            script(stream);
        }
    });
    addr
}

/// Reads from the client until `n` bytes arrived (or it closes).
fn read_at_least(stream: &mut TcpStream, n: usize) {
    let mut total = 0;
    let mut buf = [0u8; 4096];
    while total < n {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(k) => total += k,
        }
    }
}

fn expect_err(addr: SocketAddr) -> SshError {
    let start = Instant::now();
    let result = probe(addr, "fake", TIMEOUT);
    assert!(start.elapsed() < TIMEOUT * 3, "took {:?}", start.elapsed());
    match result {
        Err(e) => e,
        Ok(r) => panic!("expected an error, got {r:?}"),
    }
}

/// The exchange broke after the server's KEXINIT: the report keeps the KEXINIT (its
/// methods and classification) and says the verification did not succeed, with why.
fn expect_broken_exchange(addr: SocketAddr, status: VerificationStatus) -> (SshReport, String) {
    let start = Instant::now();
    let result = probe(addr, "fake", TIMEOUT);
    assert!(start.elapsed() < TIMEOUT * 3, "took {:?}", start.elapsed());
    let r = result.expect("a report that keeps the KEXINIT");
    assert!(!r.kex_algorithms.is_empty(), "{r:?}");
    assert_eq!(r.verification.status, status, "{r:?}");
    let detail = r.verification.detail.clone().unwrap_or_default();
    (r, detail)
}

#[test]
fn http_server_is_not_ssh() {
    let addr = serve(|mut s| {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    let e = expect_err(addr);
    assert_eq!(e.kind(), "not-ssh", "{e}");
    assert!(e.to_string().contains("HTTP/1.1 400 Bad Request"), "{e}");
}

#[test]
fn endless_banner_without_newline() {
    let addr = serve(|mut s| {
        let chunk = [b'A'; 1024];
        // Until the client gives up and closes.
        while s.write_all(&chunk).is_ok() {}
    });
    let e = expect_err(addr);
    assert_eq!(e.kind(), "not-ssh", "{e}");
    assert!(e.to_string().contains("longer than 255"), "{e}");
}

#[test]
fn endless_lines_without_identification() {
    let addr = serve(|mut s| while s.write_all(b"hello\r\n").is_ok() {});
    let e = expect_err(addr);
    assert_eq!(e.kind(), "not-ssh", "{e}");
}

#[test]
fn silent_server_times_out() {
    let addr = serve(|mut s| read_at_least(&mut s, usize::MAX));
    let start = Instant::now();
    let e = expect_err(addr);
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(start.elapsed() >= TIMEOUT - Duration::from_millis(100));
}

#[test]
fn absurd_packet_length() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        read_at_least(&mut s, usize::MAX);
    });
    let e = expect_err(addr);
    assert_eq!(e.kind(), "protocol", "{e}");
    assert!(e.to_string().contains("4294967295 exceeds 35000"), "{e}");
}

#[test]
fn name_list_length_past_the_payload() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let mut p = vec![20];
        p.extend_from_slice(&[0; 16]);
        p.extend_from_slice(&1000u32.to_be_bytes());
        p.extend_from_slice(b"curve25519-sha256");
        let _ = s.write_all(&packet(&p));
        read_at_least(&mut s, usize::MAX);
    });
    let e = expect_err(addr);
    assert_eq!(e.kind(), "protocol", "{e}");
    assert!(
        e.to_string().contains("kex_algorithms has length 1000"),
        "{e}"
    );
}

#[test]
fn disconnect_is_a_protocol_error_with_its_text() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let mut p = vec![1];
        p.extend_from_slice(&2u32.to_be_bytes());
        string(&mut p, b"go away");
        string(&mut p, b"");
        let _ = s.write_all(&packet(&p));
    });
    let e = expect_err(addr);
    assert_eq!(e.kind(), "protocol", "{e}");
    assert!(e.to_string().contains("go away"), "{e}");
}

#[test]
fn closes_after_our_hybrid_init() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        // IGNORE and DEBUG before KEXINIT are skipped.
        let mut ignore = vec![2];
        string(&mut ignore, b"noise");
        let _ = s.write_all(&packet(&ignore));
        let mut debug = vec![4, 0];
        string(&mut debug, b"debug");
        string(&mut debug, b"");
        let _ = s.write_all(&packet(&debug));
        let _ = s.write_all(&packet(&kexinit(
            "mlkem768x25519-sha256,curve25519-sha256",
            "ssh-ed25519",
        )));
        // Our identification, KEXINIT and HYBRID_INIT (C_INIT alone is 1216 bytes).
        read_at_least(&mut s, 1300);
        // Then close mid-exchange.
    });
    // A close proves nothing about the exchange: undetermined, not failed.
    let (_, e) = expect_broken_exchange(addr, VerificationStatus::Undetermined);
    assert!(e.contains("SSH_MSG_KEX_HYBRID_REPLY"), "{e}");
    assert!(e.contains("closed"), "{e}");
}

#[test]
fn hybrid_reply_with_a_short_s_reply_fails_verification() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit("mlkem768x25519-sha256", "ssh-ed25519")));
        read_at_least(&mut s, 1300);
        let mut k_s = Vec::new();
        string(&mut k_s, b"ssh-ed25519");
        string(&mut k_s, &[9; 32]);
        let mut sig = Vec::new();
        string(&mut sig, b"ssh-ed25519");
        string(&mut sig, &[0; 64]);
        let mut p = vec![31];
        string(&mut p, &k_s);
        string(&mut p, &[0; 10]);
        string(&mut p, &sig);
        let _ = s.write_all(&packet(&p));
        read_at_least(&mut s, usize::MAX);
    });
    let r = probe(addr, "fake", TIMEOUT).unwrap();
    assert_eq!(r.verification.status, VerificationStatus::Failed);
    let detail = r.verification.detail.unwrap();
    assert!(detail.contains("S_REPLY refused"), "{detail}");
    assert!(detail.contains("expected 1120"), "{detail}");
    assert!(r
        .verification
        .host_key_sha256
        .unwrap()
        .starts_with("SHA256:"));
}

#[test]
fn hybrid_reply_truncated_is_a_protocol_error() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit("mlkem768x25519-sha256", "ssh-ed25519")));
        read_at_least(&mut s, 1300);
        let mut p = vec![31];
        p.extend_from_slice(&5000u32.to_be_bytes());
        p.extend_from_slice(&[0; 40]);
        let _ = s.write_all(&packet(&p));
        read_at_least(&mut s, usize::MAX);
    });
    let (r, e) = expect_broken_exchange(addr, VerificationStatus::Failed);
    assert!(e.starts_with("protocol:"), "{e}");
    assert!(e.contains("K_S has length 5000"), "{e}");
    assert_eq!(
        r.classification,
        pqhkex_inventory::ssh::Classification::PqOnly
    );
}

/// Reads the probe's identification, KEXINIT and INIT; returns the host-key algorithms
/// and the key exchange its KEXINIT asks for, and the string in its INIT (C_INIT or Q_C).
fn read_client_init(s: &mut TcpStream) -> Option<(Vec<String>, String, Vec<u8>)> {
    ssh_peer::read_line(s)?;
    let kexinit = ssh_peer::read_payload(s)?;
    assert_eq!(kexinit[0], 20);
    let lists = ssh_peer::kexinit_lists(&kexinit);
    let init = ssh_peer::read_payload(s)?;
    assert_eq!(init[0], 30);
    let share = ssh_peer::strings(&init, 1).into_iter().next()?;
    let host_keys = lists[1].split(',').map(str::to_owned).collect();
    Some((host_keys, lists[0].clone(), share))
}

#[test]
fn mlkem_with_only_rsa_host_keys_runs_the_exchange_and_reports_the_key_unverified() {
    // A server offering mlkem768x25519-sha256 with an RSA-3072 host key only: the
    // hybrid runs (the server's S_REPLY is a real one), the key's size is read from
    // K_S, and the verification says why it stops short of "verified".
    let k_s = ssh_peer::rsa_blob(3072);
    let fingerprint = ssh_peer::fingerprint(&k_s);
    let (tx, rx) = std::sync::mpsc::channel();
    let blob = k_s.clone();
    let addr = serve(move |mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit(
            "mlkem768x25519-sha256,ext-info-s",
            "rsa-sha2-512,rsa-sha2-256",
        )));
        let Some((host_keys, kex, c_init)) = read_client_init(&mut s) else {
            return;
        };
        let _ = tx.send((host_keys, kex));
        let (s_reply, _k) = pqhkex::ssh::MlKem768X25519Sha256::server_respond(&c_init).unwrap();
        let mut sig = Vec::new();
        string(&mut sig, b"rsa-sha2-512");
        string(&mut sig, &[0x5a; 384]);
        let mut p = vec![31];
        string(&mut p, &blob);
        string(&mut p, &s_reply);
        string(&mut p, &sig);
        let _ = s.write_all(&packet(&p));
        read_at_least(&mut s, usize::MAX);
    });
    let start = Instant::now();
    let r = probe(addr, "fake", TIMEOUT).unwrap();
    assert!(start.elapsed() < TIMEOUT, "took {:?}", start.elapsed());
    let (host_keys, kex) = rx.recv().unwrap();
    assert_eq!(kex, "mlkem768x25519-sha256");
    assert_eq!(host_keys, ["rsa-sha2-512", "rsa-sha2-256"]);

    let json = serde_json::to_string_pretty(&r).unwrap();
    assert_eq!(r.software, "FakeServer_1.0");
    assert_eq!(
        r.verification.status,
        VerificationStatus::AdvertisedOnly,
        "{json}"
    );
    let detail = r.verification.detail.as_deref().unwrap();
    assert!(detail.contains("rsa-sha2-512"), "{detail}");
    assert!(detail.contains("mlkem768x25519-sha256"), "{detail}");
    assert_eq!(
        r.classification,
        pqhkex_inventory::ssh::Classification::PqOnly
    );
    let k = r.host_key.as_ref().expect("the presented key");
    assert_eq!(k.algorithm, "rsa-sha2-512", "{json}");
    assert_eq!(k.key_type.as_deref(), Some("ssh-rsa"), "{json}");
    assert_eq!(k.family, HostKeyFamily::Rsa);
    assert_eq!(k.bits, Some(3072), "{json}");
    assert_eq!(k.curve, None);
    assert_eq!(k.quantum_vulnerable, Answer::Yes);
    assert_eq!(k.fingerprint, fingerprint);
    assert_eq!(k.key_exchange, "mlkem768x25519-sha256");
    assert_eq!(k.signature_verified, Answer::Undetermined);
    assert_eq!(
        r.verification.host_key_sha256.as_deref(),
        Some(&fingerprint[..])
    );
    assert_eq!(
        r.verification.host_key_algorithm.as_deref(),
        Some("rsa-sha2-512")
    );
    // The key's size is in the JSON, and the JSON reads back.
    let value = serde_json::to_value(&r).unwrap();
    assert_eq!(value["host_key"]["bits"], 3072);
    assert_eq!(value["host_key"]["quantum_vulnerable"], true);
    assert_eq!(value["host_key_algorithms"][0]["family"], "rsa");
    assert_eq!(serde_json::from_value::<SshReport>(value).unwrap(), r);
}

#[test]
fn mlkem_with_only_rsa_host_keys_and_no_reply_is_undetermined() {
    // The same server, silent after our HYBRID_INIT: the exchange did not finish.
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit(
            "mlkem768x25519-sha256,ext-info-s",
            "rsa-sha2-512,rsa-sha2-256",
        )));
        read_at_least(&mut s, usize::MAX);
    });
    let (r, e) = expect_broken_exchange(addr, VerificationStatus::Undetermined);
    assert!(e.contains("SSH_MSG_KEX_HYBRID_REPLY"), "{e}");
    assert!(r.host_key.is_none());
    assert_eq!(r.host_key_algorithms[0].family, HostKeyFamily::Rsa);
}

#[test]
fn mlkem_with_only_unknown_host_key_names_is_advertised_only_without_running_it() {
    // Nothing pqhkex could ask for (a GSS-API `null`, an unknown name, a certificate):
    // the hybrid is not started, and the probe ends at once.
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit(
            "mlkem768x25519-sha256",
            "null,foo@example.com,ssh-ed25519-cert-v01@openssh.com",
        )));
        read_at_least(&mut s, usize::MAX);
    });
    let start = Instant::now();
    let r = probe(addr, "fake", TIMEOUT).unwrap();
    assert!(start.elapsed() < TIMEOUT, "took {:?}", start.elapsed());
    assert_eq!(r.verification.status, VerificationStatus::AdvertisedOnly);
    assert!(r
        .verification
        .detail
        .unwrap()
        .contains("null,foo@example.com"));
    assert!(r.host_key.is_none());
    let families: Vec<HostKeyFamily> = r.host_key_algorithms.iter().map(|h| h.family).collect();
    assert_eq!(
        families,
        [
            HostKeyFamily::Unknown,
            HostKeyFamily::Unknown,
            HostKeyFamily::EdDsa
        ]
    );
    assert_eq!(
        r.host_key_algorithms[0].quantum_vulnerable,
        Answer::Undetermined
    );
}

#[test]
fn classical_exchange_shows_the_host_key_and_a_bad_signature_is_no() {
    // No ML-KEM: the probe runs curve25519-sha256 only to see the host key. This peer
    // answers with a real X25519 share, an Ed25519 key and a signature that does not
    // verify: the key is reported, its signature "false", the verdict unchanged.
    let mut k_s = Vec::new();
    string(&mut k_s, b"ssh-ed25519");
    let pk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    string(&mut k_s, pk.as_bytes());
    let fingerprint = ssh_peer::fingerprint(&k_s);
    let blob = k_s.clone();
    let addr = serve(move |mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit(
            "sntrup761x25519-sha512,curve25519-sha256,kex-strict-s-v00@openssh.com",
            "rsa-sha2-512,ssh-ed25519",
        )));
        let Some((host_keys, kex, q_c)) = read_client_init(&mut s) else {
            return;
        };
        assert_eq!(kex, "curve25519-sha256");
        assert_eq!(host_keys[0], "ssh-ed25519");
        assert_eq!(q_c.len(), 32);
        let secret = x25519_dalek::StaticSecret::from([0x42; 32]);
        let q_s = x25519_dalek::PublicKey::from(&secret);
        let mut sig = Vec::new();
        string(&mut sig, b"ssh-ed25519");
        string(&mut sig, &[0; 64]);
        let mut p = vec![31];
        string(&mut p, &blob);
        string(&mut p, q_s.as_bytes());
        string(&mut p, &sig);
        let _ = s.write_all(&packet(&p));
        read_at_least(&mut s, usize::MAX);
    });
    let r = probe(addr, "fake", TIMEOUT).unwrap();
    let json = serde_json::to_string_pretty(&r).unwrap();
    assert_eq!(
        r.verification.status,
        VerificationStatus::AdvertisedOnly,
        "{json}"
    );
    let k = r.host_key.as_ref().expect("the presented key");
    assert_eq!(k.key_exchange, "curve25519-sha256");
    assert_eq!(k.algorithm, "ssh-ed25519");
    assert_eq!(
        (k.family, k.curve.as_deref(), k.bits),
        (HostKeyFamily::EdDsa, Some("ed25519"), Some(256))
    );
    assert_eq!(k.fingerprint, fingerprint);
    assert_eq!(k.signature_verified, Answer::No, "{json}");
    assert!(
        k.detail.as_deref().unwrap().contains("does not verify"),
        "{json}"
    );
    // The PQ verification is about the hybrid only: untouched by this exchange.
    assert_eq!(r.verification.host_key_sha256, None);
}

#[test]
fn classical_exchange_cut_short_leaves_no_host_key() {
    // No ML-KEM, and the peer closes after our ECDH init: a report without a host key,
    // its verdict as from the KEXINIT.
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit(
            "ecdh-sha2-nistp256",
            "ecdsa-sha2-nistp256",
        )));
        let _ = read_client_init(&mut s);
    });
    let start = Instant::now();
    let r = probe(addr, "fake", TIMEOUT).unwrap();
    assert!(start.elapsed() < TIMEOUT, "took {:?}", start.elapsed());
    assert_eq!(r.verification.status, VerificationStatus::NotOffered);
    assert!(r.host_key.is_none());
    assert!(!serde_json::to_value(&r)
        .unwrap()
        .as_object()
        .unwrap()
        .contains_key("host_key"));
}

#[test]
fn garbage_host_key_blob_is_reported_without_its_facts() {
    // K_S that is not a key: the fingerprint and the negotiated algorithm are still
    // reported, the type and size are not, and `detail` says why.
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit(
            "mlkem768x25519-sha256",
            "ecdsa-sha2-nistp384",
        )));
        let Some((_, _, c_init)) = read_client_init(&mut s) else {
            return;
        };
        let (s_reply, _k) = pqhkex::ssh::MlKem768X25519Sha256::server_respond(&c_init).unwrap();
        let mut p = vec![31];
        string(&mut p, &[0xff; 40]);
        string(&mut p, &s_reply);
        string(&mut p, b"");
        let _ = s.write_all(&packet(&p));
        read_at_least(&mut s, usize::MAX);
    });
    let r = probe(addr, "fake", TIMEOUT).unwrap();
    let json = serde_json::to_string_pretty(&r).unwrap();
    let k = r.host_key.as_ref().expect("the presented key");
    assert_eq!(k.algorithm, "ecdsa-sha2-nistp384");
    assert_eq!((k.key_type.as_deref(), k.bits), (None, None), "{json}");
    assert_eq!(k.family, HostKeyFamily::Ecdsa);
    assert!(k.detail.is_some(), "{json}");
    assert_eq!(k.fingerprint, ssh_peer::fingerprint(&[0xff; 40]));
    assert_eq!(
        r.verification.status,
        VerificationStatus::AdvertisedOnly,
        "{json}"
    );
}

#[test]
fn closed_port_is_unreachable() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = expect_err(addr);
    assert_eq!(e.kind(), "unreachable", "{e}");
}

#[test]
fn wrongly_guessed_first_kex_packet_is_skipped() {
    // RFC 4253 §7: the server guessed curve25519-sha256 and sent a packet for it; we
    // negotiate mlkem768x25519-sha256, so that packet MUST be ignored. Then the server
    // closes: the error must be about the missing reply, not about message 30.
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit_guess(
            "curve25519-sha256,mlkem768x25519-sha256",
            "ssh-ed25519",
            true,
        )));
        let mut guess = vec![30];
        string(&mut guess, &[9; 32]);
        let _ = s.write_all(&packet(&guess));
        read_at_least(&mut s, 1300);
    });
    let (_, e) = expect_broken_exchange(addr, VerificationStatus::Undetermined);
    assert!(e.contains("closed"), "{e}");
    assert!(!e.contains("unexpected message"), "{e}");
}

#[test]
fn unexpected_message_instead_of_the_reply() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit("mlkem768x25519-sha256", "ssh-ed25519")));
        read_at_least(&mut s, 1300);
        let _ = s.write_all(&packet(&[21])); // NEWKEYS, out of order
        read_at_least(&mut s, usize::MAX);
    });
    let (_, e) = expect_broken_exchange(addr, VerificationStatus::Failed);
    assert!(e.starts_with("protocol:"), "{e}");
    assert!(e.contains("unexpected message 21"), "{e}");
}
