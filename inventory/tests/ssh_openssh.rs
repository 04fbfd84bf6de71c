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

use pqhkex_inventory::ssh::{
    probe, Classification, HostKeyFamily, KexKind, SshReport, VerificationStatus,
};
use pqhkex_inventory::Answer;

#[path = "support/cyclonedx.rs"]
mod cyclonedx;

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
#[derive(Clone, Copy, Debug)]
enum KeyType {
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    Rsa3072,
}

impl KeyType {
    fn keygen_args(self) -> &'static [&'static str] {
        match self {
            KeyType::Ed25519 => &["-t", "ed25519"],
            KeyType::EcdsaP256 => &["-t", "ecdsa", "-b", "256"],
            KeyType::EcdsaP384 => &["-t", "ecdsa", "-b", "384"],
            KeyType::Rsa3072 => &["-t", "rsa", "-b", "3072"],
        }
    }
}

/// What `ssh-keygen -l -E sha256 -f KEY` prints of a key: `3072 SHA256:... comment (RSA)`.
#[derive(Clone, Debug)]
struct KeyFacts {
    bits: u32,
    fingerprint: String,
    /// `RSA`, `ECDSA`, `ED25519`.
    kind: String,
}

/// Makes a host key of `key_type` at `path` and reads it back with `ssh-keygen -l`.
fn keygen(key_type: KeyType, path: &Path) -> KeyFacts {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", "pqhkex-ssh-test"])
        .args(key_type.keygen_args())
        .arg("-f")
        .arg(path)
        .status()
        .expect("ssh-keygen (Debian package openssh-client) is needed");
    assert!(status.success(), "ssh-keygen failed");
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(path)
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    KeyFacts {
        bits: words[0]
            .parse()
            .unwrap_or_else(|_| panic!("ssh-keygen -l: {line}")),
        fingerprint: words
            .iter()
            .find(|w| w.starts_with("SHA256:"))
            .unwrap()
            .to_string(),
        kind: words
            .last()
            .unwrap()
            .trim_matches(|c| c == '(' || c == ')')
            .to_owned(),
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
    let (guard, addr, keys) = start_sshd_with(sshd, dir, &[key_type], extra);
    (guard, addr, keys[0].fingerprint.clone())
}

/// [`start_sshd`] with one fresh host key of each of `key_types`; returns what
/// `ssh-keygen -l` says of each.
fn start_sshd_with(
    sshd: &Path,
    dir: &Path,
    key_types: &[KeyType],
    extra: &str,
) -> (SshdGuard, SocketAddr, Vec<KeyFacts>) {
    let mut host_keys = String::new();
    let mut facts = Vec::new();
    for (i, key_type) in key_types.iter().enumerate() {
        let key = dir.join(format!("ssh_host_key_{i}"));
        facts.push(keygen(*key_type, &key));
        host_keys.push_str(&format!("HostKey {}\n", key.display()));
    }

    // sshd 9.2 refuses to start without its privilege-separation directory.
    if !Path::new("/run/sshd").is_dir() {
        std::fs::create_dir_all("/run/sshd").unwrap_or_else(|e| {
            panic!("cannot create /run/sshd ({e}); run as root, or PQHKEX_SKIP_SSHD=1")
        });
    }
    let mut config_text =
        format!("{host_keys}ListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes no\n");
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
    (guard, addr, facts)
}

/// The system's sshd, or `None` when it is missing and `PQHKEX_SKIP_SSHD=1`; otherwise
/// the test fails, saying what to install.
fn debian_sshd() -> Option<PathBuf> {
    if !Path::new(SSHD).exists() {
        if std::env::var("PQHKEX_SKIP_SSHD").as_deref() == Ok("1") {
            eprintln!("PQHKEX_SKIP_SSHD=1: skipping the OpenSSH server test");
            return None;
        }
        panic!(
            "{SSHD} not found: install the OpenSSH server (Debian: apt-get install -y \
             openssh-server), or set PQHKEX_SKIP_SSHD=1 to skip this test"
        );
    }
    Some(PathBuf::from(SSHD))
}

#[test]
fn debian_openssh_server() {
    let Some(sshd) = debian_sshd() else {
        return;
    };
    let dir = test_dir("debian");
    let (_sshd, addr, _fingerprint) = start_sshd(&sshd, &dir, KeyType::Ed25519, "");

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
        // The host key, seen in a curve25519-sha256 exchange run for it, whose
        // signature verifies; the verdict is still about the post-quantum exchange.
        let k = report.host_key.as_ref().expect("the presented host key");
        assert_eq!(k.key_exchange, "curve25519-sha256", "{json}");
        assert_eq!(k.fingerprint, _fingerprint, "{json}");
        assert_eq!(k.signature_verified, Answer::Yes, "{json}");
        assert_eq!(report.verification.host_key_sha256, None);
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
    let k = report.host_key.as_ref().expect("the presented host key");
    assert_eq!(
        (k.key_exchange.as_str(), k.signature_verified),
        ("mlkem768x25519-sha256", Answer::Yes),
        "{json}"
    );
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
        KeyType::Rsa3072,
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

// ---- Host keys: RSA-3072, ECDSA P-384 and Ed25519, offered and presented -------------

/// The host keys of these tests (`ssh-keygen -t rsa -b 3072`, `-t ecdsa -b 384`,
/// `-t ed25519`).
const THREE: [KeyType; 3] = [KeyType::Rsa3072, KeyType::EcdsaP384, KeyType::Ed25519];

/// Every host-key algorithm a server with [`THREE`] offers is classified (none unknown,
/// none post-quantum, all quantum-vulnerable), with the right family, curve and size.
fn assert_offers_three(report: &SshReport, json: &str) {
    for h in &report.host_key_algorithms {
        assert_ne!(h.family, HostKeyFamily::Unknown, "{}: {json}", h.name);
        assert_eq!(h.quantum_vulnerable, Answer::Yes, "{}: {json}", h.name);
        assert!(!h.post_quantum, "{}: {json}", h.name);
    }
    for (name, family, curve, bits) in [
        ("rsa-sha2-512", HostKeyFamily::Rsa, None, None),
        ("rsa-sha2-256", HostKeyFamily::Rsa, None, None),
        (
            "ecdsa-sha2-nistp384",
            HostKeyFamily::Ecdsa,
            Some("nistp384"),
            Some(384),
        ),
        (
            "ssh-ed25519",
            HostKeyFamily::EdDsa,
            Some("ed25519"),
            Some(256),
        ),
    ] {
        let h = report
            .host_key_algorithms
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("{name} is not offered: {json}"));
        assert_eq!(
            (h.family, h.curve.as_deref(), h.bits),
            (family, curve, bits),
            "{name}: {json}"
        );
    }
    // Only the keys it has: no P-256.
    assert!(
        !report
            .host_key_algorithms
            .iter()
            .any(|h| h.name == "ecdsa-sha2-nistp256"),
        "{json}"
    );
    let value = serde_json::to_value(report).unwrap();
    let listed = value["host_key_algorithms"].as_array().unwrap();
    assert!(listed
        .iter()
        .all(|h| h["quantum_vulnerable"] == true && h["family"].is_string()));
}

/// The key the server presented is the one `ssh-keygen -l` describes.
fn assert_presented(
    report: &SshReport,
    key: &KeyFacts,
    key_exchange: &str,
    verified: Answer,
    json: &str,
) {
    let k = report
        .host_key
        .as_ref()
        .unwrap_or_else(|| panic!("no host key in the report: {json}"));
    let (family, curve, key_type) = match key.kind.as_str() {
        "RSA" => (HostKeyFamily::Rsa, None, "ssh-rsa".to_owned()),
        "ECDSA" => (
            HostKeyFamily::Ecdsa,
            Some(format!("nistp{}", key.bits)),
            format!("ecdsa-sha2-nistp{}", key.bits),
        ),
        "ED25519" => (
            HostKeyFamily::EdDsa,
            Some("ed25519".to_owned()),
            "ssh-ed25519".to_owned(),
        ),
        other => panic!("ssh-keygen -l says {other}"),
    };
    assert_eq!(k.fingerprint, key.fingerprint, "{json}");
    assert_eq!(k.bits, Some(key.bits), "{json}");
    assert_eq!(k.family, family, "{json}");
    assert_eq!(k.curve, curve, "{json}");
    assert_eq!(k.key_type.as_deref(), Some(key_type.as_str()), "{json}");
    assert_eq!(k.quantum_vulnerable, Answer::Yes, "{json}");
    assert_eq!(k.key_exchange, key_exchange, "{json}");
    assert_eq!(k.signature_verified, verified, "{json}");
    let value = serde_json::to_value(report).unwrap();
    assert_eq!(value["host_key"]["bits"], key.bits, "{json}");
    assert_eq!(value["host_key"]["fingerprint"], key.fingerprint.as_str());
    assert_eq!(value["host_key"]["quantum_vulnerable"], true);
}

/// One sshd per configuration (all three keys; RSA-3072 only; ECDSA P-384 only), each
/// scanned: the offered host-key algorithms and the presented key. Returns the reports.
fn host_key_cases(sshd: &Path, tag: &str) -> Vec<(SshReport, String)> {
    let mut reports = Vec::new();
    for (case, keys) in [
        ("three", &THREE[..]),
        ("rsa3072", &[KeyType::Rsa3072][..]),
        ("p384", &[KeyType::EcdsaP384][..]),
    ] {
        let dir = test_dir(&format!("{tag}-{case}"));
        let (_guard, addr, facts) = start_sshd_with(sshd, &dir, keys, "");
        let report = probe(addr, case, Duration::from_secs(10)).unwrap();
        let json = serde_json::to_string_pretty(&report).unwrap();
        println!("{case}: {json}");
        let key_exchange = if report
            .kex_algorithms
            .iter()
            .any(|m| m.name == "mlkem768x25519-sha256")
        {
            "mlkem768x25519-sha256"
        } else {
            "curve25519-sha256"
        };
        match case {
            "three" => {
                assert_offers_three(&report, &json);
                // pqhkex asks for the Ed25519 key first: the one whose signature it checks.
                assert_presented(&report, &facts[2], key_exchange, Answer::Yes, &json);
            }
            _ => {
                // RSA and ECDSA P-384 signatures are not checked; the key is still read.
                assert_presented(
                    &report,
                    &facts[0],
                    key_exchange,
                    Answer::Undetermined,
                    &json,
                );
                let k = report.host_key.as_ref().unwrap();
                let expected = if case == "rsa3072" {
                    "rsa-sha2-512"
                } else {
                    "ecdsa-sha2-nistp384"
                };
                assert_eq!(k.algorithm, expected, "{json}");
                assert!(k.detail.as_deref().unwrap().contains(expected), "{json}");
            }
        }
        reports.push((report, json));
    }
    reports
}

#[test]
fn debian_openssh_offers_and_presents_rsa3072_p384_and_ed25519_host_keys() {
    let Some(sshd) = debian_sshd() else {
        return;
    };
    for (report, json) in host_key_cases(&sshd, "debian-keys") {
        if report.host_key.as_ref().unwrap().key_exchange == "curve25519-sha256" {
            // OpenSSH 9.2: the key is seen in a classical exchange; the verdict on the
            // post-quantum one is unchanged (sntrup761 only: advertised).
            assert_eq!(
                report.verification.status,
                VerificationStatus::AdvertisedOnly,
                "{json}"
            );
            assert_eq!(report.verification.host_key_sha256, None, "{json}");
        }
    }
}

#[test]
fn openssh_mlkem_offers_and_presents_rsa3072_p384_and_ed25519_host_keys() {
    let Some(sshd) = mlkem_sshd() else {
        return;
    };
    let reports = host_key_cases(&sshd, "mlkem-keys");
    // Ed25519 among them: the hybrid runs and verifies. RSA or P-384 alone: it runs,
    // the key is read, its signature is not checked.
    let statuses: Vec<VerificationStatus> =
        reports.iter().map(|(r, _)| r.verification.status).collect();
    assert_eq!(
        statuses,
        [
            VerificationStatus::Verified,
            VerificationStatus::AdvertisedOnly,
            VerificationStatus::AdvertisedOnly
        ],
        "{reports:#?}"
    );
    for (r, json) in &reports {
        assert_eq!(
            r.verification.host_key_sha256.as_deref(),
            Some(r.host_key.as_ref().unwrap().fingerprint.as_str()),
            "{json}"
        );
    }
    let detail = reports[2].0.verification.detail.as_deref().unwrap();
    assert!(detail.contains("ecdsa-sha2-nistp384"), "{detail}");
}

/// The CBOM of a scan of the three-key server and of the RSA-3072 one: host-key
/// algorithm assets with curve and levels, the presented keys with their sizes, valid
/// CycloneDX 1.6.
#[test]
fn openssh_host_keys_in_the_cbom() {
    use pqhkex_inventory::{cbom, ScanReport, Scanner, Target};
    use std::sync::Arc;

    let Some(sshd) = mlkem_sshd() else {
        return;
    };
    let three_dir = test_dir("cbom-three");
    let (_three, three_addr, three) = start_sshd_with(&sshd, &three_dir, &THREE, "");
    let rsa_dir = test_dir("cbom-rsa");
    let (_rsa, rsa_addr, rsa) = start_sshd_with(&sshd, &rsa_dir, &[KeyType::Rsa3072], "");
    let targets: Vec<Target> = [three_addr, rsa_addr]
        .iter()
        .map(|a| Target::parse(&format!("ssh://{a}")).unwrap())
        .collect();
    let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .timeout(Duration::from_secs(10));
    let report = ScanReport::new(scanner.scan(&targets));
    let bom = cbom::build(&report.targets, &report.timestamp);
    let text = serde_json::to_string_pretty(&bom).unwrap();
    let components = bom["components"].as_array().unwrap();
    let by_ref = |r: &str| {
        components
            .iter()
            .find(|c| c["bom-ref"] == r)
            .unwrap_or_else(|| panic!("no {r}: {text}"))
    };
    let prop = |c: &serde_json::Value, name: &str| {
        c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_owned())
    };
    for (name, curve, classical, family) in [
        ("ecdsa-sha2-nistp384", Some("secp384r1"), Some(192), "ecdsa"),
        ("ssh-ed25519", Some("Ed25519"), Some(128), "eddsa"),
        ("rsa-sha2-512", None, None, "rsa"),
        ("rsa-sha2-256", None, None, "rsa"),
    ] {
        let c = by_ref(&format!("crypto/ssh-host-key/{name}"));
        let p = &c["cryptoProperties"]["algorithmProperties"];
        assert_eq!(p["nistQuantumSecurityLevel"], 0, "{name}");
        assert_eq!(p["curve"].as_str(), curve, "{name}");
        assert_eq!(p["classicalSecurityLevel"].as_u64(), classical, "{name}");
        assert_eq!(prop(c, "pqhkex:family").as_deref(), Some(family), "{name}");
        assert_eq!(prop(c, "pqhkex:quantum-vulnerable").as_deref(), Some("yes"));
    }
    // The presented keys, nested in their endpoints' protocol assets.
    for (addr, key) in [(three_addr, &three[2]), (rsa_addr, &rsa[0])] {
        let protocol = by_ref(&format!("crypto/protocol/ssh@ssh://{addr}"));
        let nested = &protocol["components"][0];
        let m = &nested["cryptoProperties"]["relatedCryptoMaterialProperties"];
        assert_eq!(m["type"], "public-key", "{text}");
        assert_eq!(m["size"], key.bits, "{text}");
        assert_eq!(m["id"], key.fingerprint.as_str(), "{text}");
        assert_eq!(
            prop(protocol, "pqhkex:host-key-sha256").as_deref(),
            Some(key.fingerprint.as_str())
        );
    }
    cyclonedx::validate(&bom);
}
