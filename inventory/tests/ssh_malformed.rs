//! Peers that are not SSH, or break SSH: each must end in a clear, typed error (or a
//! report that says what it could not do) within the timeout — never a hang or panic.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use pqhkex_inventory::ssh::{probe, SshError, SshReport, VerificationStatus};

#[path = "support/ssh_wire.rs"]
mod ssh_wire;
use ssh_wire::{kexinit, kexinit_guess, packet, string};

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

#[test]
fn mlkem_with_only_rsa_host_keys_is_advertised_only() {
    let addr = serve(|mut s| {
        let _ = s.write_all(BANNER);
        let _ = s.write_all(&packet(&kexinit(
            "mlkem768x25519-sha256,ext-info-s",
            "rsa-sha2-512,rsa-sha2-256",
        )));
        read_at_least(&mut s, usize::MAX);
    });
    let r = probe(addr, "fake", TIMEOUT).unwrap();
    assert_eq!(r.software, "FakeServer_1.0");
    assert_eq!(r.verification.status, VerificationStatus::AdvertisedOnly);
    assert!(r.verification.detail.unwrap().contains("rsa-sha2-512"));
    assert_eq!(
        r.classification,
        pqhkex_inventory::ssh::Classification::PqOnly
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
