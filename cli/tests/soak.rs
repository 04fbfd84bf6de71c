//! Soak test: `pqhkex serve --quiet --stats` under a mixed concurrent load of good clients
//! (full handshakes over several groups, resumed ones), malformed key shares, truncated
//! ClientHellos and clients that vanish mid-handshake.
//!
//! Deterministic: every client's kind is fixed by its index, and nothing is asserted about
//! time. Asserted: the server never dies; every good client completes and its request
//! round-trips; every malformed key share gets an `illegal_parameter` alert (47); the
//! server's `--stats-json` accounts for every connection (handshakes per group, errors);
//! under load its sockets stay bounded by the worker pool and its queue, and no thread is
//! created; after the load, its file descriptors and threads return to what they were
//! before; its RSS stays under a generous bound; `--max-connections` then ends it with a
//! final stats block.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, ClientConnection, HandshakeKind, RootCertStore};
use serde_json::Value;

mod common;

use common::{temp_path, Serve};

/// Concurrent clients, and how many times each runs its mix.
const CLIENTS: usize = 16;
const ROUNDS: usize = 50;
/// Fewer workers than concurrent clients, so that the bounded queue fills and the accept
/// loop has to wait (backpressure) during the test.
const WORKERS: &str = "4";

const ILLEGAL_PARAMETER: u8 = 47;

/// Groups the good clients use (the server accepts exactly these, in this order).
const GROUPS: [&str; 4] = ["X25519MLKEM768", "SecP256r1MLKEM768", "MLKEM768", "x25519"];

fn proc_status(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc fd")
        .count()
}

struct Server {
    serve: Serve,
    ca: PathBuf,
    json: PathBuf,
}

impl Server {
    fn start(max_connections: u64) -> Server {
        let ca = temp_path("ca.pem");
        let json = temp_path("stats.json");
        let _ = std::fs::remove_file(&json);
        let groups = GROUPS.join(",");
        let max = max_connections.to_string();
        let args: [&std::ffi::OsStr; 16] = [
            "--port".as_ref(),
            "0".as_ref(),
            "--quiet".as_ref(),
            "--stats".as_ref(),
            "--stats-interval".as_ref(),
            "0.2".as_ref(),
            "--workers".as_ref(),
            WORKERS.as_ref(),
            "--groups".as_ref(),
            groups.as_ref(),
            "--max-connections".as_ref(),
            max.as_ref(),
            "--stats-json".as_ref(),
            json.as_os_str(),
            "--cert-out".as_ref(),
            ca.as_os_str(),
        ];
        Server {
            serve: Serve::start(args),
            ca,
            json,
        }
    }

    fn pid(&self) -> u32 {
        self.serve.child.id()
    }

    fn assert_alive(&mut self) {
        if let Some(status) = self.serve.child.try_wait().unwrap() {
            panic!(
                "the server died: {status}\nstderr: {:#?}",
                self.serve.stderr.lock().unwrap()
            );
        }
    }

    /// The stats JSON once it reports `connections` connections.
    fn wait_for_connections(&mut self, connections: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.assert_alive();
            if let Some(v) = std::fs::read_to_string(&self.json)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            {
                if v["connections"].as_u64() == Some(connections) {
                    return v;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the stats never reached {connections} connections: {:?}",
                std::fs::read_to_string(&self.json)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca);
        let _ = std::fs::remove_file(&self.json);
    }
}

fn roots(ca: &Path) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    Arc::new(roots)
}

/// A TLS 1.3 client offering (and sending a key share for) only `group`.
fn config(roots: &Arc<RootCertStore>, group: &str, resumption: bool) -> Arc<ClientConfig> {
    let g = pqhkex::groups::by_name(group).unwrap();
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = vec![pqhkex::rustls::kx_group(g)];
    let mut cfg = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    if !resumption {
        cfg.resumption = rustls::client::Resumption::disabled();
    }
    Arc::new(cfg)
}

fn connect(port: u16) -> TcpStream {
    let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    sock
}

/// A complete connection: handshake, an HTTP request, its reply read to close_notify.
fn good(port: u16, cfg: &Arc<ClientConfig>, group: &str) -> HandshakeKind {
    let mut sock = connect(port);
    let mut conn = ClientConnection::new(cfg.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap_or_else(|e| panic!("{group}: {e}"));
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply)
        .unwrap_or_else(|e| panic!("{group}: reading the reply: {e}"));
    let reply = String::from_utf8(reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{group}: {reply}");
    assert!(
        reply.contains(&format!("group={group} (")),
        "{group}: {reply}"
    );
    conn.handshake_kind().unwrap()
}

/// The first flight of a client (its ClientHello record), without a server.
fn client_hello(cfg: &Arc<ClientConfig>) -> Vec<u8> {
    let mut conn = ClientConnection::new(cfg.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

fn be16(b: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([b[0], b[1]]))
}

fn push16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
}

/// Rebuilds a single-record ClientHello with `f` applied to the key share of `group`,
/// fixing every length on the way (key share entry, key_share extension, extensions,
/// handshake message, record). Panics if the share is not there.
fn rewrite_share(flight: &[u8], group: u16, f: &dyn Fn(&mut Vec<u8>)) -> Vec<u8> {
    assert_eq!(flight[0], 22, "not a handshake record");
    assert_eq!(flight.len(), 5 + be16(&flight[3..]), "more than one record");
    let hs = &flight[5..];
    assert_eq!(hs[0], 1, "not a ClientHello");
    let body = &hs[4..];
    // legacy_version, random, session_id, cipher_suites, compression_methods.
    let mut p = 2 + 32;
    p += 1 + usize::from(body[p]);
    p += 2 + be16(&body[p..]);
    p += 1 + usize::from(body[p]);
    let end = p + 2 + be16(&body[p..]);
    assert_eq!(end, body.len());
    let mut exts = Vec::new();
    let mut q = p + 2;
    let mut found = false;
    while q < end {
        let typ = be16(&body[q..]);
        let len = be16(&body[q + 2..]);
        let mut data = body[q + 4..q + 4 + len].to_vec();
        if typ == 51 {
            // key_share: client_shares<..> of (group, key_exchange<1..2^16-1>).
            let mut shares = Vec::new();
            let mut r = 2;
            while r < data.len() {
                let g = be16(&data[r..]);
                let klen = be16(&data[r + 2..]);
                let mut key = data[r + 4..r + 4 + klen].to_vec();
                if g == usize::from(group) {
                    f(&mut key);
                    found = true;
                }
                push16(&mut shares, g);
                push16(&mut shares, key.len());
                shares.extend_from_slice(&key);
                r += 4 + klen;
            }
            data.clear();
            push16(&mut data, shares.len());
            data.extend_from_slice(&shares);
        }
        push16(&mut exts, typ);
        push16(&mut exts, data.len());
        exts.extend_from_slice(&data);
        q += 4 + len;
    }
    assert!(found, "no key share for 0x{group:04x}");
    let mut new_body = body[..p].to_vec();
    push16(&mut new_body, exts.len());
    new_body.extend_from_slice(&exts);
    let mut out = vec![22, flight[1], flight[2]];
    push16(&mut out, 4 + new_body.len());
    out.push(1);
    out.extend_from_slice(&u32::try_from(new_body.len()).unwrap().to_be_bytes()[1..]);
    out.extend_from_slice(&new_body);
    out
}

/// Sends a ClientHello and returns the description of the first alert the server sends
/// back (`None` if it closes without one).
fn alert_for(port: u16, hello: &[u8]) -> Option<u8> {
    let mut sock = connect(port);
    sock.write_all(hello).unwrap();
    let mut got = Vec::new();
    let _ = sock.read_to_end(&mut got);
    let mut p = 0;
    while p + 5 <= got.len() {
        let len = be16(&got[p + 3..]);
        if got[p] == 21 && p + 7 <= got.len() {
            return Some(got[p + 6]);
        }
        p += 5 + len;
    }
    None
}

/// The kinds of client, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    /// A full handshake over `GROUPS[i]`.
    Full(usize),
    /// A full handshake, then a resumed one over the same group (two connections).
    Resumed(usize),
    /// A malformed key share (variant i), refused with illegal_parameter.
    Malformed(usize),
    /// Part of a ClientHello (variant i), then close.
    Truncated(usize),
    /// A whole ClientHello, then close mid-handshake (variant i).
    Abrupt(usize),
}

impl Kind {
    fn of(client: usize, round: usize) -> Kind {
        let i = client * ROUNDS + round;
        match i % 10 {
            0..=3 => Kind::Full(i / 10 % GROUPS.len()),
            4 | 5 => Kind::Resumed(i / 10 % GROUPS.len()),
            6 | 7 => Kind::Malformed(i / 10 % MALFORMED.len()),
            8 => Kind::Truncated(i / 10 % 4),
            _ => Kind::Abrupt(i / 10 % 2),
        }
    }

    fn connections(self) -> u64 {
        if let Kind::Resumed(_) = self {
            2
        } else {
            1
        }
    }

    /// Whether the server should count its connections as errors.
    fn fails(self) -> bool {
        matches!(
            self,
            Kind::Malformed(_) | Kind::Truncated(_) | Kind::Abrupt(_)
        )
    }
}

type Rewrite = fn(&mut Vec<u8>);

/// Malformed key shares: (group, description, rewrite of the client's share).
const MALFORMED: [(&str, &str, Rewrite); 5] = [
    ("X25519MLKEM768", "one byte short", |k| {
        k.pop();
    }),
    ("X25519MLKEM768", "one byte long", |k| k.push(0)),
    // The share is the ML-KEM-768 encapsulation key then the X25519 key: its first
    // 12-bit coefficient set to 4095 >= q = 3329 (FIPS 203 §7.2 modulus check).
    ("X25519MLKEM768", "coefficient >= q", |k| {
        k[0] = 0xff;
        k[1] |= 0x0f;
    }),
    ("MLKEM768", "coefficient >= q", |k| {
        k[0] = 0xff;
        k[1] |= 0x0f;
    }),
    // The share is the uncompressed P-256 point then the ML-KEM key: x = 2^256 - 1 >= p.
    ("SecP256r1MLKEM768", "P-256 x >= p", |k| {
        k[1..33].fill(0xff);
    }),
];

/// Runs one client; returns what it did.
fn run_client(port: u16, roots: &Arc<RootCertStore>, kind: Kind) {
    match kind {
        Kind::Full(g) => {
            let cfg = config(roots, GROUPS[g], false);
            assert_eq!(good(port, &cfg, GROUPS[g]), HandshakeKind::Full);
        }
        Kind::Resumed(g) => {
            // One store shared by both connections (the config's in-memory store).
            let cfg = config(roots, GROUPS[g], true);
            assert_eq!(good(port, &cfg, GROUPS[g]), HandshakeKind::Full);
            assert_eq!(
                good(port, &cfg, GROUPS[g]),
                HandshakeKind::Resumed,
                "{}: the second connection was not resumed",
                GROUPS[g]
            );
        }
        Kind::Malformed(v) => {
            let (name, what, f) = MALFORMED[v];
            let code = pqhkex::groups::by_name(name).unwrap().code;
            let hello = client_hello(&config(roots, name, false));
            let bad = rewrite_share(&hello, code, &|k| f(k));
            assert_eq!(
                alert_for(port, &bad),
                Some(ILLEGAL_PARAMETER),
                "{name} share {what}: no illegal_parameter alert"
            );
        }
        Kind::Truncated(v) => {
            let hello = client_hello(&config(roots, GROUPS[v % GROUPS.len()], false));
            // Nothing; part of the record header; the header only; all but one byte.
            let cut = [0, 3, 5, hello.len() - 1][v];
            let mut sock = connect(port);
            sock.write_all(&hello[..cut]).unwrap();
            let _ = sock.shutdown(Shutdown::Write);
            // The server closes (it saw end of stream before a whole ClientHello).
            let mut rest = Vec::new();
            let _ = sock.read_to_end(&mut rest);
        }
        Kind::Abrupt(v) => {
            let hello = client_hello(&config(roots, GROUPS[0], false));
            let mut sock = connect(port);
            sock.write_all(&hello).unwrap();
            if v == 1 {
                // Read the start of the server's flight, then vanish without a Finished.
                let mut head = [0u8; 5];
                sock.read_exact(&mut head).unwrap();
                assert_eq!(head[0], 22, "the server's flight starts with a handshake");
            }
            drop(sock);
        }
    }
}

fn rss_line(label: &str, pid: u32) -> (u64, u64) {
    let rss = proc_status(pid, "VmRSS");
    let hwm = proc_status(pid, "VmHWM");
    println!("{label}: VmRSS {rss} KiB, VmHWM {hwm} KiB");
    (rss, hwm)
}

#[test]
fn serve_under_mixed_load() {
    let started = Instant::now();
    let kinds: Vec<Vec<Kind>> = (0..CLIENTS)
        .map(|c| (0..ROUNDS).map(|r| Kind::of(c, r)).collect())
        .collect();
    let load: u64 = kinds.iter().flatten().map(|k| k.connections()).sum();
    let failing: u64 = kinds
        .iter()
        .flatten()
        .filter(|k| k.fails())
        .map(|k| k.connections())
        .sum();
    // A warm-up connection before the baseline, the load, and a last one after it.
    let total = 1 + load + 1;
    let mut server = Server::start(total);
    let pid = server.pid();
    let roots = roots(&server.ca);

    // Warm-up: the worker pool and the stats thread exist once a connection is served.
    run_client(server.serve.port, &roots, Kind::Full(0));
    server.wait_for_connections(1);
    let fds_before = fd_count(pid);
    let threads_before = proc_status(pid, "Threads");
    let (rss_before, _) = rss_line("before", pid);
    println!("before: {fds_before} fds, {threads_before} threads");

    let port = server.serve.port;
    let clients: Vec<_> = kinds
        .iter()
        .cloned()
        .map(|mine| {
            let roots = roots.clone();
            std::thread::spawn(move || {
                for k in mine {
                    run_client(port, &roots, k);
                }
            })
        })
        .collect();
    let mut peak_fds = 0;
    let mut peak_threads = 0;
    while clients.iter().any(|c| !c.is_finished()) {
        server.assert_alive();
        peak_fds = peak_fds.max(fd_count(pid));
        peak_threads = peak_threads.max(proc_status(pid, "Threads"));
        std::thread::sleep(Duration::from_millis(20));
    }
    for c in clients {
        c.join().expect("a client failed");
    }
    let stats = server.wait_for_connections(1 + load);
    let (_, rss_peak) = rss_line("peak", pid);
    println!("peak during load: {peak_fds} fds, {peak_threads} threads");
    // Bounded whatever the timing: each client has one connection open at a time, but
    // the server may still hold the one a client just closed (until it reads the end of
    // stream) next to its new one: at most two sockets per client, being received,
    // queued or with a worker, plus the handle each busy worker keeps for shedding (and
    // its queue), plus the JSON file while it is rewritten. The thread count, not the
    // sockets, is what a thread per connection would break (checked next).
    let workers: usize = WORKERS.parse().unwrap();
    assert!(
        peak_fds <= fds_before + 2 * CLIENTS + 2 * workers + 2,
        "{peak_fds} fds at the peak (from {fds_before}): not bounded by the clients and the pool"
    );
    assert_eq!(
        peak_threads, threads_before,
        "threads were created under load"
    );

    // Every connection is accounted for, by kind and by group.
    let mut count = std::collections::BTreeMap::<String, (u64, u64)>::new();
    count.entry(GROUPS[0].into()).or_default().0 += 1; // the warm-up
    for k in kinds.iter().flatten() {
        match *k {
            Kind::Full(g) => count.entry(GROUPS[g].into()).or_default().0 += 1,
            Kind::Resumed(g) => {
                let e = count.entry(GROUPS[g].into()).or_default();
                e.0 += 2;
                e.1 += 1;
            }
            _ => {}
        }
    }
    let mut by_kind = std::collections::BTreeMap::<&str, u64>::new();
    for k in kinds.iter().flatten() {
        let name = match k {
            Kind::Full(_) => "full",
            Kind::Resumed(_) => "resumed pairs",
            Kind::Malformed(_) => "malformed key share",
            Kind::Truncated(_) => "truncated ClientHello",
            Kind::Abrupt(_) => "abrupt disconnect",
        };
        *by_kind.entry(name).or_default() += 1;
    }
    println!("load: {load} connections ({failing} failing on purpose): {by_kind:?}");
    assert_eq!(stats["errors"].as_u64(), Some(failing), "{stats}");
    let groups = stats["groups"].as_array().unwrap();
    assert_eq!(groups.len(), count.len(), "{stats}");
    for g in groups {
        let name = g["group"].as_str().unwrap();
        let (handshakes, resumed) = count[name];
        assert_eq!(
            g["handshakes"].as_u64(),
            Some(handshakes),
            "{name}: {stats}"
        );
        assert_eq!(g["resumed"].as_u64(), Some(resumed), "{name}: {stats}");
        assert!(
            g["cpu_seconds_per_handshake"].as_f64().unwrap() > 0.0,
            "{g}"
        );
        assert!(
            g["handshakes_per_second_per_core"].as_f64().unwrap() > 0.0,
            "{g}"
        );
    }
    assert!(stats["process_cpu_seconds"].as_f64().unwrap() > 0.0);

    // Settling: nothing of the load may stay behind. The pool is fixed, so the threads
    // must be exactly those from before. File descriptors too, but for one: the stats
    // thread briefly holds the JSON file open while it rewrites it.
    let deadline = Instant::now() + Duration::from_secs(15);
    let (fds_after, threads_after) = loop {
        let (f, t) = (fd_count(pid), proc_status(pid, "Threads"));
        if (f == fds_before && t == threads_before) || Instant::now() > deadline {
            break (f, t);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (rss_after, _) = rss_line("after", pid);
    println!("after: {fds_after} fds, {threads_after} threads");
    assert!(
        fds_after <= fds_before + 1,
        "file descriptors leaked: {fds_before} before, {fds_after} after"
    );
    assert_eq!(threads_after, threads_before, "threads leaked");
    // Generous on purpose: the allocator keeps freed memory in its per-thread arenas
    // rather than returning it to the system, so RSS after a load stays near its peak
    // and varies with the allocator and the number of workers. This bound only catches
    // growth per connection (a leak of a few KiB per connection over ~400 would not
    // show, one of hundreds of KiB would).
    assert!(
        rss_after <= 4 * rss_before + 64 * 1024,
        "RSS did not settle: {rss_before} KiB before, peak {rss_peak} KiB, {rss_after} KiB after"
    );
    server.assert_alive();

    // --quiet: no per-connection line on stdout.
    assert!(
        server.serve.stdout.lock().unwrap().is_empty(),
        "{:?}",
        server.serve.stdout.lock().unwrap()
    );

    // The last connection reaches --max-connections: the server exits 0 after a final
    // stats block.
    run_client(server.serve.port, &roots, Kind::Full(3));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = server.serve.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    std::thread::sleep(Duration::from_millis(200)); // let the stderr reader finish
    let stderr = server.serve.stderr.lock().unwrap().clone();
    let last = stderr
        .iter()
        .rposition(|l| l.starts_with("stats: "))
        .expect("a stats block");
    assert!(
        stderr[last].starts_with(&format!("stats: {total} connections, ")),
        "{stderr:#?}"
    );
    assert!(
        !stderr
            .iter()
            .any(|l| l.contains("panic") || l.contains("accept failed")),
        "{stderr:#?}"
    );
    println!("final stats block:\n{}", stderr[last..].join("\n"));
    println!("run time: {:.1} s", started.elapsed().as_secs_f64());
}
