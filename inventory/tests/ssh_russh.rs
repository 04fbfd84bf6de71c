//! ssh-probe against an in-process russh server (russh 0.65, which implements
//! `mlkem768x25519-sha256`): the hybrid is advertised, run, and the host-key signature
//! verified, for an Ed25519 and an ECDSA P-256 host key; a classical-only server is
//! reported as such; and test doubles of the client half show that the verification
//! really depends on K: an independent correct derivation verifies, the swapped one
//! K = SHA-256(K_CL ‖ K_PQ) fails.

use std::sync::Arc;
use std::time::Duration;

use pqhkex::kem_api::{Ciphertext, DecapsulationKey, MlKem768};
use pqhkex_inventory::ssh::{
    probe, probe_with, Classification, HostKeyFamily, HybridClient, KexKind, SshReport,
    VerificationStatus,
};
use pqhkex_inventory::Answer;

#[path = "support/cyclonedx.rs"]
mod cyclonedx;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const TIMEOUT: Duration = Duration::from_secs(5);

#[path = "support/russh_server.rs"]
mod russh_server;
use russh_server::{host_key, start_russh};

fn assert_verified(report: &SshReport, algorithm: &str, fingerprint: &str) {
    let json = serde_json::to_string_pretty(report).unwrap();
    assert!(report.software.starts_with("russh_"), "{json}");
    let mlkem = report
        .kex_algorithms
        .iter()
        .find(|m| m.name == "mlkem768x25519-sha256")
        .unwrap_or_else(|| panic!("not advertised: {json}"));
    assert_eq!(mlkem.kind, KexKind::MlkemHybrid);
    assert!(mlkem.post_quantum);
    assert_eq!(
        report.verification.status,
        VerificationStatus::Verified,
        "{json}"
    );
    assert_eq!(
        report.verification.host_key_algorithm.as_deref(),
        Some(algorithm)
    );
    assert_eq!(
        report.verification.host_key_sha256.as_deref(),
        Some(fingerprint),
        "ours vs ssh-keygen -l"
    );
    assert_eq!(
        report.openssh10_client_choice.as_deref(),
        Some("mlkem768x25519-sha256")
    );
}

#[test]
fn russh_ed25519_mlkem_verified() {
    let (key, fp) = host_key(&["-t", "ed25519"]);
    let addr = start_russh(vec![key], None);
    let report = probe(addr, "russh-ed25519", TIMEOUT).unwrap();
    assert_verified(&report, "ssh-ed25519", &fp);
    assert_eq!(report.target, "russh-ed25519");
    assert_eq!(report.address, addr.to_string());
    assert!(report.host_key_algorithms.iter().all(|h| !h.post_quantum));
    // A round trip through JSON keeps everything.
    let back: SshReport = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
    assert_eq!(back, report);
}

#[test]
fn russh_ecdsa_p256_mlkem_verified() {
    let (key, fp) = host_key(&["-t", "ecdsa", "-b", "256"]);
    let addr = start_russh(vec![key], None);
    // ECDSA signatures are randomized: several runs cover high and low s, and r or s
    // with a leading zero byte now and then.
    for _ in 0..8 {
        let report = probe(addr, "russh-ecdsa", TIMEOUT).unwrap();
        assert_verified(&report, "ecdsa-sha2-nistp256", &fp);
    }
}

#[test]
fn russh_classical_only() {
    let (key, _) = host_key(&["-t", "ed25519"]);
    let addr = start_russh(vec![key], Some(vec![russh::kex::CURVE25519]));
    let report = probe(addr, "russh-classical", TIMEOUT).unwrap();
    let json = serde_json::to_string_pretty(&report).unwrap();
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
    assert!(report.kex_algorithms.iter().all(|m| !m.post_quantum));
    assert_eq!(
        report.openssh10_client_choice.as_deref(),
        Some("curve25519-sha256")
    );
}

/// What russh serves with an ECDSA P-384 and an Ed25519 host key: each offered
/// algorithm classified; the Ed25519 key presented in the hybrid and verified. With the
/// P-384 key alone: the hybrid runs, the key is read (P-384, 384 bits, the fingerprint
/// `ssh-keygen -l` prints), its signature is not checked. (This russh build has no RSA.)
#[test]
fn russh_host_keys_offered_and_presented() {
    let (p384, p384_fp) = host_key(&["-t", "ecdsa", "-b", "384"]);
    let (ed, ed_fp) = host_key(&["-t", "ed25519"]);

    let addr = start_russh(vec![p384.clone(), ed], None);
    let report = probe(addr, "russh-keys", TIMEOUT).unwrap();
    let json = serde_json::to_string_pretty(&report).unwrap();
    assert_verified(&report, "ssh-ed25519", &ed_fp);
    for h in &report.host_key_algorithms {
        assert_ne!(h.family, HostKeyFamily::Unknown, "{}: {json}", h.name);
        assert_eq!(h.quantum_vulnerable, Answer::Yes, "{}: {json}", h.name);
        assert!(!h.post_quantum, "{json}");
    }
    for (name, family, curve, bits) in [
        ("ecdsa-sha2-nistp384", HostKeyFamily::Ecdsa, "nistp384", 384),
        ("ssh-ed25519", HostKeyFamily::EdDsa, "ed25519", 256),
    ] {
        let h = report
            .host_key_algorithms
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("{name} not offered: {json}"));
        assert_eq!(
            (h.family, h.curve.as_deref(), h.bits),
            (family, Some(curve), Some(bits)),
            "{json}"
        );
    }
    let k = report.host_key.as_ref().expect("the presented key");
    assert_eq!(k.fingerprint, ed_fp);
    assert_eq!(
        (k.family, k.curve.as_deref(), k.bits),
        (HostKeyFamily::EdDsa, Some("ed25519"), Some(256))
    );
    assert_eq!(
        (k.key_exchange.as_str(), k.signature_verified),
        ("mlkem768x25519-sha256", Answer::Yes),
        "{json}"
    );

    let addr = start_russh(vec![p384], None);
    let report = probe(addr, "russh-p384", TIMEOUT).unwrap();
    let json = serde_json::to_string_pretty(&report).unwrap();
    assert_eq!(
        report.verification.status,
        VerificationStatus::AdvertisedOnly,
        "{json}"
    );
    let detail = report.verification.detail.as_deref().unwrap();
    assert!(detail.contains("ecdsa-sha2-nistp384"), "{detail}");
    let k = report.host_key.as_ref().expect("the presented key");
    assert_eq!(k.fingerprint, p384_fp, "{json}");
    assert_eq!(k.algorithm, "ecdsa-sha2-nistp384");
    assert_eq!(
        (k.family, k.curve.as_deref(), k.bits),
        (HostKeyFamily::Ecdsa, Some("nistp384"), Some(384)),
        "{json}"
    );
    assert_eq!(k.quantum_vulnerable, Answer::Yes);
    assert_eq!(k.signature_verified, Answer::Undetermined);
}

/// A server without ML-KEM: the probe runs a classical exchange (X25519, or ECDH on
/// P-256 or P-384, with SHA-384 for P-384) only to see the host key; russh's
/// signature over that exchange's hash verifies, which shows the hash is computed as
/// russh computes it. The post-quantum verdict is unchanged.
#[test]
fn russh_classical_exchanges_show_and_verify_the_host_key() {
    let (ed, ed_fp) = host_key(&["-t", "ed25519"]);
    let (p256, p256_fp) = host_key(&["-t", "ecdsa", "-b", "256"]);
    for (kex, key, fp, algorithm) in [
        (russh::kex::CURVE25519, &ed, &ed_fp, "ssh-ed25519"),
        (
            russh::kex::CURVE25519_PRE_RFC_8731,
            &ed,
            &ed_fp,
            "ssh-ed25519",
        ),
        (
            russh::kex::ECDH_SHA2_NISTP256,
            &p256,
            &p256_fp,
            "ecdsa-sha2-nistp256",
        ),
        (russh::kex::ECDH_SHA2_NISTP384, &ed, &ed_fp, "ssh-ed25519"),
        (
            russh::kex::ECDH_SHA2_NISTP384,
            &p256,
            &p256_fp,
            "ecdsa-sha2-nistp256",
        ),
    ] {
        let addr = start_russh(vec![key.clone()], Some(vec![kex]));
        let report = probe(addr, "russh-classical", TIMEOUT).unwrap();
        let json = serde_json::to_string_pretty(&report).unwrap();
        assert_eq!(
            report.verification.status,
            VerificationStatus::NotOffered,
            "{json}"
        );
        assert_eq!(report.verification.host_key_sha256, None);
        let k = report
            .host_key
            .as_ref()
            .unwrap_or_else(|| panic!("{kex:?}: no host key: {json}"));
        let kex_name: &str = kex.as_ref();
        assert_eq!(k.key_exchange, kex_name, "{json}");
        assert_eq!(k.algorithm, algorithm, "{json}");
        assert_eq!(&k.fingerprint, fp, "{json}");
        assert_eq!(k.signature_verified, Answer::Yes, "{kex_name}: {json}");
    }
}

/// A client half built from independent parts (pqhkex's plain ML-KEM-768 KEM, the
/// x25519-dalek crate, sha2), with a choice of combiner order.
struct Double {
    dk: DecapsulationKey<MlKem768>,
    x: x25519_dalek::StaticSecret,
    swapped: bool,
}

impl HybridClient for Double {
    fn init_bytes(&self) -> Vec<u8> {
        let mut c_init = self.dk.encapsulation_key().as_bytes().to_vec();
        c_init.extend_from_slice(x25519_dalek::PublicKey::from(&self.x).as_bytes());
        c_init
    }

    fn finish(self: Box<Self>, s_reply: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        if s_reply.len() != 1120 {
            return Err(format!("S_REPLY is {} bytes", s_reply.len()));
        }
        let ct = Ciphertext::<MlKem768>::from_bytes(&s_reply[..1088]).map_err(|e| e.to_string())?;
        let k_pq = self.dk.decapsulate(&ct).map_err(|e| e.to_string())?;
        let s_pk1: [u8; 32] = s_reply[1088..].try_into().unwrap();
        let k_cl = self.x.diffie_hellman(&x25519_dalek::PublicKey::from(s_pk1));
        let mut h = Sha256::new();
        if self.swapped {
            h.update(k_cl.as_bytes());
            h.update(k_pq.as_bytes());
        } else {
            h.update(k_pq.as_bytes());
            h.update(k_cl.as_bytes());
        }
        Ok(Zeroizing::new(h.finalize().to_vec()))
    }
}

fn double(swapped: bool) -> Result<Box<dyn HybridClient>, pqhkex::Error> {
    let mut scalar = [0u8; 32];
    getrandom::fill(&mut scalar).unwrap();
    Ok(Box::new(Double {
        dk: DecapsulationKey::<MlKem768>::generate()?,
        x: x25519_dalek::StaticSecret::from(scalar),
        swapped,
    }))
}

#[test]
fn russh_independent_derivation_verifies_and_swapped_one_fails() {
    let (key, fp) = host_key(&["-t", "ed25519"]);
    let addr = start_russh(vec![key], None);

    let good = probe_with(addr, "double", TIMEOUT, &|| double(false)).unwrap();
    assert_verified(&good, "ssh-ed25519", &fp);

    let bad = probe_with(addr, "double", TIMEOUT, &|| double(true)).unwrap();
    assert_eq!(bad.verification.status, VerificationStatus::Failed);
    let detail = bad.verification.detail.unwrap();
    assert!(detail.contains("does not verify"), "{detail}");
    // The host key is still identified.
    assert_eq!(bad.verification.host_key_sha256.as_deref(), Some(&fp[..]));
}

/// `ssh://` targets through the scanner, mixed with a TLS one in one scan: the typed
/// result, the published JSON Schema, and the CBOM's SSH protocol and algorithm assets.
#[test]
fn scanner_mixes_ssh_and_tls_targets() {
    use pqhkex_inventory::{cbom, Class, Protocol, ScanReport, Scanner, Status, Target};

    let (key, fp) = host_key(&["-t", "ed25519"]);
    let pq = start_russh(vec![key.clone()], None);
    let classical = start_russh(vec![key], Some(vec![russh::kex::CURVE25519]));
    // Not SSH: an HTTP answer.
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http_addr = http.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in http.incoming().flatten() {
            use std::io::Write;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let targets: Vec<Target> = [
        format!("ssh://{pq}"),
        format!("ssh://{classical}"),
        format!("ssh://{http_addr}"),
        closed.to_string(),
    ]
    .iter()
    .map(|t| Target::parse(t).unwrap())
    .collect();
    let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))
        .unwrap()
        .timeout(TIMEOUT);
    let report = ScanReport::new(scanner.scan(&targets));
    let t = &report.targets;
    let json = serde_json::to_string_pretty(&report).unwrap();

    assert_eq!(t[0].protocol, Protocol::Ssh);
    assert_eq!(t[0].status, Status::Ok);
    assert_eq!(t[0].classification, Class::PqAndClassical, "{json}");
    assert!(t[0].quantum_safe_by_default);
    assert!(t[0]
        .accepted
        .hybrid
        .contains(&"mlkem768x25519-sha256".to_string()));
    assert!(!t[0].accepted.classical.is_empty());
    assert!(t[0].error.is_none());
    let s = t[0].ssh.as_ref().unwrap();
    assert_eq!(s.verification.status, VerificationStatus::Verified);
    assert_eq!(s.verification.host_key_sha256.as_deref(), Some(fp.as_str()));
    let k = s.host_key.as_ref().unwrap();
    assert_eq!((k.fingerprint.as_str(), k.bits), (fp.as_str(), Some(256)));
    // The classical-only endpoint's key, seen in a curve25519-sha256 exchange.
    let k = t[1].ssh.as_ref().unwrap().host_key.as_ref().unwrap();
    assert_eq!(k.fingerprint, fp);
    assert_eq!(k.key_exchange, "curve25519-sha256");
    assert_eq!(k.signature_verified, Answer::Yes);

    assert_eq!(t[1].classification, Class::ClassicalOnly);
    assert!(!t[1].quantum_safe_by_default);
    assert_eq!(t[1].accepted.classical, ["curve25519-sha256"]);

    assert_eq!(t[2].classification, Class::Unreachable);
    assert_eq!(t[2].protocol, Protocol::Ssh);
    let e = t[2].error.as_ref().unwrap();
    assert_eq!(
        (e.kind, e.exit_code),
        (pqhkex_inventory::FailureKind::NotSsh, 5),
        "{json}"
    );

    assert_eq!(t[3].protocol, Protocol::Tls);
    assert_eq!(t[3].classification, Class::Unreachable);
    assert_eq!(report.exit_code(), 5);

    // The published schema, and back.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../schema/scan-v3.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value = serde_json::to_value(&report).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let back: ScanReport = serde_json::from_value(value).unwrap();
    assert_eq!(back, report);

    // The CBOM: an SSH protocol asset per reachable SSH endpoint, each algorithm once.
    let bom = cbom::build(&report.targets, &report.timestamp);
    let components = bom["components"].as_array().unwrap();
    let by_ref = |r: &str| components.iter().find(|c| c["bom-ref"] == r);
    let protocol = by_ref(&format!("crypto/protocol/ssh@ssh://{pq}")).expect("SSH protocol asset");
    let props = &protocol["cryptoProperties"]["protocolProperties"];
    assert_eq!(props["type"], "ssh");
    let refs: Vec<&str> = props["cryptoRefArray"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        refs.contains(&"crypto/ssh-kex/mlkem768x25519-sha256"),
        "{refs:?}"
    );
    assert!(
        refs.contains(&"crypto/ssh-host-key/ssh-ed25519"),
        "{refs:?}"
    );
    let mlkem = by_ref("crypto/ssh-kex/mlkem768x25519-sha256").unwrap();
    assert_eq!(
        mlkem["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"],
        3
    );
    let ed = by_ref("crypto/ssh-host-key/ssh-ed25519").unwrap();
    assert_eq!(
        ed["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"],
        0
    );
    let n = components
        .iter()
        .filter(|c| c["bom-ref"] == "crypto/ssh-kex/curve25519-sha256")
        .count();
    assert_eq!(n, 1, "an algorithm seen at two endpoints is one asset");
    // The presented host key, nested in the protocol asset: a public key of 256 bits.
    let key = &protocol["components"][0]["cryptoProperties"]["relatedCryptoMaterialProperties"];
    assert_eq!(key["type"], "public-key");
    assert_eq!(key["size"], 256);
    assert_eq!(key["id"], fp.as_str());
    assert_eq!(key["algorithmRef"], "crypto/ssh-host-key/ssh-ed25519");
    assert_eq!(
        ed["cryptoProperties"]["algorithmProperties"]["curve"],
        "Ed25519"
    );
    cyclonedx::validate(&bom);
    let services = bom["services"].as_array().unwrap();
    assert_eq!(services[0]["endpoints"][0], format!("ssh://{pq}"));
    assert_eq!(services[3]["endpoints"][0], format!("tls://{closed}"));
}
