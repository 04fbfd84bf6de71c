//! pqhkex scan against the system's OpenSSH server (Debian 12: OpenSSH 9.2p1, which
//! offers sntrup761x25519-sha512@openssh.com but not yet mlkem768x25519-sha256).
//!
//! Needs `/usr/sbin/sshd` (Debian package `openssh-server`) and root: sshd 9.2 re-executes
//! itself by absolute path and needs its privilege-separation directory `/run/sshd`
//! (created here if missing). Without sshd the test FAILS, saying what to install,
//! unless `PQHKEX_SKIP_SSHD=1`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pqhkex_inventory::ssh::{probe, Classification, KexKind, VerificationStatus};

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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_sshd(dir: &Path) -> (SshdGuard, SocketAddr, String) {
    let key = dir.join("ssh_host_ed25519_key");
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "pqhkex-ssh-test",
            "-f",
        ])
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
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "HostKey {}\nListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes no\n",
            key.display()
        ),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(SSHD)
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
        .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
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
    let dir = std::env::temp_dir().join(format!("pqhkex-sshd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_sshd, addr, _fingerprint) = start_sshd(&dir);

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
