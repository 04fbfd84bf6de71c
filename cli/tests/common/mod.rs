//! What the command line's integration tests share: the binary, temporary file names, and
//! a `pqhkex serve` child process whose output is collected.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The `pqhkex` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_pqhkex");

/// The port of a server child that prints `listening on HOST:PORT` as its first line
/// (pqhkex serve, the peer_server and boring_server examples), read from its standard
/// output, which this takes; panics naming `what` when the line has no port.
pub fn listening_port(child: &mut Child, what: &str) -> u16 {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("the child's stdout is piped"))
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("{what} did not start: no port in {line:?}"))
}

/// A fresh path in the temporary directory (unique per process and call).
pub fn temp_path(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("pqhkex-test-{}-{n}-{name}", std::process::id()))
}

/// Lines a child process printed, collected by a thread as they come.
pub type Lines = Arc<Mutex<Vec<String>>>;

/// Collects the lines of `r` into `sink`; the first `listening on ADDR` line, if `port`
/// is given, sends ADDR's port there instead.
fn collect(r: impl Read + Send + 'static, sink: Lines, port: Option<mpsc::Sender<u16>>) {
    std::thread::spawn(move || {
        let mut port = port;
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = line.strip_prefix("listening on ") {
                if let Some(tx) = port.take() {
                    let _ = tx.send(addr.rsplit(':').next().unwrap().parse::<u16>().unwrap());
                    continue;
                }
            }
            sink.lock().unwrap().push(line);
        }
    });
}

/// A `pqhkex serve` child process (give it `--port 0`), killed on drop.
pub struct Serve {
    /// The process.
    pub child: Child,
    /// The port from its `listening on` line.
    pub port: u16,
    /// What it printed on stdout after that line (one line per connection unless
    /// `--quiet`).
    pub stdout: Lines,
    /// What it printed on stderr (stats blocks, errors).
    pub stderr: Lines,
}

impl Serve {
    /// Runs `pqhkex serve ARGS` and waits (up to 30 s) until it listens.
    pub fn start<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Serve {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pqhkex serve");
        let (stdout, stderr) = (Lines::default(), Lines::default());
        let (tx, rx) = mpsc::channel();
        collect(child.stdout.take().unwrap(), stdout.clone(), Some(tx));
        collect(child.stderr.take().unwrap(), stderr.clone(), None);
        let port = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("pqhkex serve did not start");
        Serve {
            child,
            port,
            stdout,
            stderr,
        }
    }
}

impl Serve {
    /// Waits until the server exits by itself and returns its exit status. Not a timing
    /// assertion: `limit` only turns a server that never exits into a failure (saying
    /// `what` it was waiting for) instead of a hang.
    pub fn wait_exit(&mut self, limit: Duration, what: &str) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: {:?}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one `pqhkex` run printed, and its exit code.
pub struct Output {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Standard output parsed as JSON (the test fails, showing both streams, if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `pqhkex ARGS…` to the end.
pub fn pqhkex(args: &[&str]) -> Output {
    let out = Command::new(BIN).args(args).output().expect("run pqhkex");
    Output {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// One group's entry in `pqhkex bench --json` output.
pub fn bench_group<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc:#}"))
}
