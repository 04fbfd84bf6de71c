//! pqhkex scan against real OpenSSH servers:
//!
//! - the system's (Debian 12: OpenSSH 9.2p1, which offers sntrup761x25519-sha512 but not
//!   yet mlkem768x25519-sha256);
//! - an OpenSSH 9.9 or later, which offers mlkem768x25519-sha256 first: the scanner runs
//!   the exchange and the server's host-key signature over the exchange hash must
//!   verify (RFC 10042 §2.1-2.5), with Ed25519 and ECDSA P-256 host keys; then the
//!   ML-KEM-only, RSA-only and classical-only configurations. `scripts/test` gets it
//!   with `scripts/fetch-openssh-mlkem` (Debian 12: the backports package, unpacked,
//!   not installed) and passes its path in `PQHKEX_MLKEM_SSHD`.
//!
//! Needs root: sshd re-executes itself by absolute path and needs its
//! privilege-separation directory `/run/sshd` (created here if missing). Without a
//! server the tests FAIL, saying what to install, unless `PQHKEX_SKIP_SSHD=1`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pqhkex_inventory::ssh::{probe, Classification, KexKind, VerificationStatus};

/// The system's OpenSSH server.
const SSHD: &str = "/usr/sbin/sshd";

/// Kills and reaps sshd, and removes its directory, however the test ends.
struct SshdGuard {
    child: Child,
    dir: PathBuf,
}

impl Drop for SshdGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh directory for one sshd (tests run in parallel).
fn test_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pqhkex-sshd-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Host-key types for `ssh-keygen -t`.
#[derive(Clone, Copy)]
enum KeyType {
    Ed25519,
    EcdsaP256,
    Rsa,
}

impl KeyType {
    fn keygen_args(self) -> &'static [&'static str] {
        match self {
            KeyType::Ed25519 => &["-t", "ed25519"],
            KeyType::EcdsaP256 => &["-t", "ecdsa", "-b", "256"],
            KeyType::Rsa => &["-t", "rsa", "-b", "2048"],
        }
    }
}

/// Starts `sshd` on a free loopback port with a fresh host key of type `key_type` in
/// `dir`, plus the sshd_config lines `extra`. Returns the guard, the address and the
/// key's `SHA256:` fingerprint (from `ssh-keygen -l`).
fn start_sshd(
    sshd: &Path,
    dir: &Path,
    key_type: KeyType,
    extra: &str,
) -> (SshdGuard, SocketAddr, String) {
    let key = dir.join("ssh_host_key");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", "pqhkex-ssh-test"])
        .args(key_type.keygen_args())
        .arg("-f")
        .arg(&key)
        .status()
        .expect("ssh-keygen (Debian package openssh-client) is needed");
    assert!(status.success(), "ssh-keygen failed");
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    let fingerprint = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .unwrap()
        .to_owned();

    // sshd 9.2 refuses to start without its privilege-separation directory.
    if !Path::new("/run/sshd").is_dir() {
        std::fs::create_dir_all("/run/sshd").unwrap_or_else(|e| {
            panic!("cannot create /run/sshd ({e}); run as root, or PQHKEX_SKIP_SSHD=1")
        });
    }
    let mut config_text = format!(
        "HostKey {}\nListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes no\n",
        key.display()
    );
    // OpenSSH 9.8 split out sshd-session, 10.0 sshd-auth, both at a compiled-in path
    // under /usr/lib/openssh; an unpacked (not installed) sshd is told where its own are.
    let libexec = sshd
        .parent()
        .and_then(Path::parent)
        .map(|usr| usr.join("lib/openssh"));
    for (option, file) in [
        ("SshdSessionPath", "sshd-session"),
        ("SshdAuthPath", "sshd-auth"),
    ] {
        if let Some(path) = libexec
            .as_ref()
            .map(|d| d.join(file))
            .filter(|p| p.exists())
        {
            config_text.push_str(&format!("{option} {}\n", path.display()));
        }
    }
    config_text.push_str(extra);
    let config = dir.join("sshd_config");
    std::fs::write(&config, config_text).unwrap();
    let port = free_port();
    let child = Command::new(sshd)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&config)
        .arg("-p")
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", sshd.display()));
    let mut guard = SshdGuard {
        child,
        dir: dir.to_owned(),
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let start = Instant::now();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = guard.child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = guard.child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("sshd exited with {status} (needs root and /run/sshd): {err}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "sshd did not listen on {addr} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, addr, fingerprint)
}

#[test]
fn debian_openssh_server() {
    if !Path::new(SSHD).exists() {
        if std::env::var("PQHKEX_SKIP_SSHD").as_deref() == Ok("1") {
            eprintln!("PQHKEX_SKIP_SSHD=1: skipping the OpenSSH server test");
            return;
        }
        panic!(
            "{SSHD} not found: install the OpenSSH server (Debian: apt-get install -y \
             openssh-server), or set PQHKEX_SKIP_SSHD=1 to skip this test"
        );
    }
    let dir = test_dir("debian");
    let (_sshd, addr, _fingerprint) = start_sshd(Path::new(SSHD), &dir, KeyType::Ed25519, "");

    let report = probe(addr, "debian-sshd", Duration::from_secs(5)).unwrap();
    let json = serde_json::to_string_pretty(&report).unwrap();
    println!("{json}");

    assert!(report.banner.starts_with("SSH-2.0-OpenSSH_"), "{json}");
    assert!(report.software.starts_with("OpenSSH_"), "{json}");
    let version = Command::new(SSHD).arg("-V").output().unwrap();
    let version = String::from_utf8_lossy(&version.stderr);
    if version.starts_with("OpenSSH_9.2") {
        // Debian 12.
        assert!(report.software.starts_with("OpenSSH_9.2p1"), "{json}");
    }
    let offers_mlkem = report
        .kex_algorithms
        .iter()
        .any(|m| m.name == "mlkem768x25519-sha256");
    let sntrup = report
        .kex_algorithms
        .iter()
        .find(|m| m.name.starts_with("sntrup761x25519-sha512"))
        .unwrap_or_else(|| panic!("no sntrup761x25519 offered: {json}"));
    assert_eq!(sntrup.kind, KexKind::PqHybrid);
    assert!(sntrup.post_quantum);
    assert_eq!(sntrup.nist_category, None);
    assert_eq!(report.classification, Classification::PqAndClassical);
    assert!(report
        .kex_algorithms
        .iter()
        .any(|m| m.name == "kex-strict-s-v00@openssh.com" && m.kind == KexKind::Other));
    assert!(report
        .host_key_algorithms
        .iter()
        .any(|h| h.name == "ssh-ed25519" && !h.post_quantum));
    if offers_mlkem {
        // OpenSSH >= 9.9: the hybrid runs and verifies.
        assert_eq!(
            report.verification.status,
            VerificationStatus::Verified,
            "{json}"
        );
        assert_eq!(
            report.verification.host_key_sha256.as_deref(),
            Some(&_fingerprint[..])
        );
    } else {
        // OpenSSH 9.2: sntrup761 only, which pqhkex scan cannot run.
        assert_eq!(
            report.verification.status,
            VerificationStatus::AdvertisedOnly,
            "{json}"
        );
        let detail = report.verification.detail.as_deref().unwrap();
        assert!(detail.contains("sntrup761x25519-sha512"), "{detail}");
        assert_eq!(
            report.openssh10_client_choice.as_deref(),
            Some(sntrup.name.as_str())
        );
    }
}

// ---- OpenSSH 9.9 or later: mlkem768x25519-sha256 run against the real thing ----------

/// The OpenSSH >= 9.9 server from `PQHKEX_MLKEM_SSHD`, or `None` when
/// `PQHKEX_SKIP_SSHD=1`; otherwise the test fails, saying how to get one.
fn mlkem_sshd() -> Option<PathBuf> {
    match std::env::var_os("PQHKEX_MLKEM_SSHD") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(
                p.exists(),
                "PQHKEX_MLKEM_SSHD={} does not exist",
                p.display()
            );
            Some(p)
        }
        None if std::env::var("PQHKEX_SKIP_SSHD").as_deref() == Ok("1") => {
            eprintln!("PQHKEX_SKIP_SSHD=1: skipping the OpenSSH >= 9.9 test");
            None
        }
        None => panic!(
            "PQHKEX_MLKEM_SSHD is not set: run `scripts/fetch-openssh-mlkem` and set \
             PQHKEX_MLKEM_SSHD to the sshd path it prints (scripts/test does both), or set \
             PQHKEX_SKIP_SSHD=1 to skip this test"
        ),
    }
}

/// Starts the OpenSSH >= 9.9 server with `key_type` and `extra` config and scans it.
fn scan_mlkem_sshd(
    tag: &str,
    key_type: KeyType,
    extra: &str,
) -> Option<(pqhkex_inventory::ssh::SshReport, String, String)> {
    let sshd = mlkem_sshd()?;
    let dir = test_dir(tag);
    let (_guard, addr, fingerprint) = start_sshd(&sshd, &dir, key_type, extra);
    let report = probe(addr, tag, Duration::from_secs(5)).unwrap();
    let json = serde_json::to_string_pretty(&report).unwrap();
    println!("{json}");
    // The banner names OpenSSH 9.9 or later (RFC 4253 §4.2 software version).
    let version = report
        .software
        .strip_prefix("OpenSSH_")
        .unwrap_or_else(|| panic!("not OpenSSH: {json}"));
    let (major, minor) = version.split_once('.').unwrap();
    let minor: u32 = minor
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    let major: u32 = major.parse().unwrap();
    assert!((major, minor) >= (9, 9), "{json}");
    Some((report, fingerprint, json))
}

fn assert_verified(
    report: &pqhkex_inventory::ssh::SshReport,
    alg: &str,
    fingerprint: &str,
    json: &str,
) {
    let v = &report.verification;
    assert_eq!(v.status, VerificationStatus::Verified, "{json}");
    assert_eq!(v.host_key_algorithm.as_deref(), Some(alg), "{json}");
    assert_eq!(v.host_key_sha256.as_deref(), Some(fingerprint), "{json}");
}

#[test]
fn openssh_mlkem_server_runs_the_exchange_and_its_ed25519_signature_verifies() {
    let Some((report, fingerprint, json)) = scan_mlkem_sshd("mlkem-ed25519", KeyType::Ed25519, "")
    else {
        return;
    };
    // OpenSSH 9.9+ lists the ML-KEM hybrid first, and an OpenSSH 10 client picks it.
    let first = &report.kex_algorithms[0];
    assert_eq!(first.name, "mlkem768x25519-sha256", "{json}");
    assert_eq!(first.kind, KexKind::MlkemHybrid);
    assert_eq!(first.nist_category, Some(3));
    assert_eq!(
        report.openssh10_client_choice.as_deref(),
        Some("mlkem768x25519-sha256")
    );
    assert_eq!(report.classification, Classification::PqAndClassical);
    assert_verified(&report, "ssh-ed25519", &fingerprint, &json);
}

#[test]
fn openssh_mlkem_server_with_an_ecdsa_p256_host_key_verifies() {
    let Some((report, fingerprint, json)) = scan_mlkem_sshd("mlkem-ecdsa", KeyType::EcdsaP256, "")
    else {
        return;
    };
    assert_verified(&report, "ecdsa-sha2-nistp256", &fingerprint, &json);
}

#[test]
fn openssh_offering_only_mlkem_is_pq_only() {
    let Some((report, fingerprint, json)) = scan_mlkem_sshd(
        "mlkem-only",
        KeyType::Ed25519,
        "KexAlgorithms mlkem768x25519-sha256\n",
    ) else {
        return;
    };
    let real: Vec<&str> = report
        .kex_algorithms
        .iter()
        .filter(|m| m.kind != KexKind::Other)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(real, ["mlkem768x25519-sha256"], "{json}");
    assert_eq!(report.classification, Classification::PqOnly, "{json}");
    assert_verified(&report, "ssh-ed25519", &fingerprint, &json);
}

#[test]
fn openssh_with_only_an_rsa_host_key_is_advertised_only_and_says_why() {
    let Some((report, _fingerprint, json)) = scan_mlkem_sshd(
        "mlkem-rsa",
        KeyType::Rsa,
        "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256\n",
    ) else {
        return;
    };
    assert_eq!(report.classification, Classification::PqAndClassical);
    let v = &report.verification;
    assert_eq!(v.status, VerificationStatus::AdvertisedOnly, "{json}");
    let detail = v.detail.as_deref().unwrap();
    assert!(detail.contains("rsa-sha2-512"), "{detail}");
    assert!(detail.contains("mlkem768x25519-sha256"), "{detail}");
}

#[test]
fn openssh_offering_only_classical_methods_is_classical_only() {
    let Some((report, _fingerprint, json)) = scan_mlkem_sshd(
        "classical",
        KeyType::Ed25519,
        "KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256\n",
    ) else {
        return;
    };
    assert_eq!(
        report.classification,
        Classification::ClassicalOnly,
        "{json}"
    );
    assert_eq!(
        report.verification.status,
        VerificationStatus::NotOffered,
        "{json}"
    );
    assert_eq!(
        report.openssh10_client_choice.as_deref(),
        Some("curve25519-sha256")
    );
}
