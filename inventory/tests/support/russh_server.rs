//! An in-process russh SSH server for the tests (russh offers `mlkem768x25519-sha256`
//! next to classical methods), and host keys made by `ssh-keygen`.
#![allow(dead_code)]

use std::borrow::Cow;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// Lets every client in; the probes never get as far as authenticating.
struct NoAuth;

impl russh::server::Handler for NoAuth {
    type Error = russh::Error;
}

/// A fresh host key made by `ssh-keygen` with `kind` (e.g. `["-t", "ed25519"]`), in
/// OpenSSH format, and its fingerprint as `ssh-keygen -l -E sha256` prints it — an
/// independent check of ours.
pub fn host_key(kind: &[&str]) -> (russh::keys::PrivateKey, String) {
    let dir = std::env::temp_dir().join(format!(
        "ssh-probe-russh-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join("key");
    let status = Command::new("ssh-keygen")
        .args(kind)
        .args(["-q", "-N", "", "-C", "test", "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen not found: install openssh-client (Debian: apt-get install -y openssh-client)");
    assert!(status.success());
    let pem = std::fs::read_to_string(&path).unwrap();
    let key = russh::keys::decode_secret_key(&pem, None).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let fp = line
        .split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .unwrap()
        .to_owned();
    let _ = std::fs::remove_dir_all(&dir);
    (key, fp)
}

/// Starts a russh server on 127.0.0.1 with these host keys and, if given, only these
/// key exchange methods (a tokio runtime on its own thread, for the rest of the test
/// process).
pub fn start_russh(
    keys: Vec<russh::keys::PrivateKey>,
    kex: Option<Vec<russh::kex::Name>>,
) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let mut config = russh::server::Config {
                keys,
                inactivity_timeout: Some(Duration::from_secs(30)),
                ..Default::default()
            };
            if let Some(kex) = kex {
                config.preferred.kex = Cow::Owned(kex);
            }
            let config = Arc::new(config);
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let config = config.clone();
                tokio::spawn(async move {
                    if let Ok(session) = russh::server::run_stream(config, socket, NoAuth).await {
                        let _ = session.await;
                    }
                });
            }
        });
    });
    rx.recv().unwrap()
}
