//! `pqhkex serve`: a TLS server that logs each connection's negotiated group.
//!
//! The server, not the client, decides the group: it reads the ClientHello with
//! [`rustls::server::Acceptor`] and picks the configuration of its most preferred
//! group that the client supports — [`pqhkex::PqServerConfigs`] for a plain policy,
//! one configuration per listed group for `--groups`. A client that supports the group
//! but sent no key share for it gets a HelloRetryRequest.
//!
//! Concurrency, in two stages, so that slow clients cannot starve the others:
//! * **Reception** (one thread, asynchronous I/O on a tokio runtime of its own) accepts
//!   every connection and reads its ClientHello, at most [`MAX_PENDING`] connections at
//!   once (beyond that, the oldest pending one is shed), each within
//!   `--client-timeout`. A client that trickles or stalls its ClientHello costs a small
//!   task, not a worker.
//! * **Workers** (a fixed pool of threads, `--workers`, default 4 per core) take
//!   connections whose ClientHello is complete through a bounded queue, and run the
//!   handshake and answer the request, on blocking sockets under deadlines: the
//!   handshake must finish within `--client-timeout` of the connection's arrival, the
//!   request within another `--client-timeout`. While connections wait in the queue
//!   and every worker is busy, the connection that has been with a worker longest is
//!   shed if it has been so for at least [`SHED_AFTER`] (its socket is shut down;
//!   counted as `shed`), checked every [`SHED_CHECK`].
//!
//! Threads, tasks and memory stay bounded whatever the load, and a real client's
//! handshake waits neither for stalled ClientHellos nor for long for slow handshakes.
//!
//! Statistics (`--stats`): per negotiated group, the handshakes completed and the CPU time
//! the worker thread spent on each, from taking the connection to the end of the
//! handshake (`CLOCK_THREAD_CPUTIME_ID`, so other threads' work is not counted), next to
//! the whole process's CPU time (user + system) over the same period.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cpu_time::{ProcessTime, ThreadTime};

use pqhkex::telemetry::{Handshake, HelloCapture, Recorder};
use pqhkex::{ConnectionReport, Group, Policy, PqServerConfigs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{Accepted, AcceptedAlert, Acceptor};
use rustls::{ServerConfig, ServerConnection, SupportedProtocolVersion};

use pqhkex_inventory::deadline::DeadlineStream;
use pqhkex_inventory::probe::{suite_name, version_name, TLS12, TLS13, TLS13_AND_12};
use pqhkex_inventory::Failure;

use crate::connect::kind_text;
use crate::{ServeArgs, TlsVersions};

/// The default `--client-timeout`: how long a client has for its handshake, and then
/// for its request.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection must have been with a worker before a new one may shed it
/// when every worker is busy.
pub const SHED_AFTER: Duration = Duration::from_secs(1);

/// How often the reception checks whether connections wait for a worker (and sheds).
pub const SHED_CHECK: Duration = Duration::from_millis(50);

/// The most connections whose ClientHello is being read at once; a new one beyond it
/// sheds the oldest.
pub const MAX_PENDING: usize = 1024;

/// The server's certificate chain and key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// For a generated certificate: its PEM, to hand to clients.
    pub pem: Option<String>,
}

impl Identity {
    /// A fresh self-signed certificate for localhost, 127.0.0.1 and ::1.
    pub fn self_signed() -> Result<Self, Failure> {
        let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        let c = rcgen::generate_simple_self_signed(names)
            .map_err(|e| Failure::Other(format!("cannot generate a certificate: {e}")))?;
        let key = PrivateKeyDer::try_from(c.signing_key.serialize_der())
            .map_err(|e| Failure::Other(format!("generated key: {e}")))?;
        Ok(Identity {
            chain: vec![c.cert.der().clone()],
            key,
            pem: Some(c.cert.pem()),
        })
    }

    /// Loads a PEM chain and key.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, Failure> {
        let read_err = |p: &Path, e: &dyn std::fmt::Display| {
            Failure::Other(format!("cannot read {}: {e}", p.display()))
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| read_err(cert, &e))?;
        if chain.is_empty() {
            return Err(Failure::Other(format!(
                "{} contains no certificate",
                cert.display()
            )));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err(key, &e))?;
        Ok(Identity {
            chain,
            key,
            pem: None,
        })
    }
}

/// Picks a server configuration for each ClientHello.
pub enum Chooser {
    /// A policy's post-quantum preference, by [`PqServerConfigs::accept`].
    Policy(PqServerConfigs),
    /// An explicit list in server preference order, each entry able to negotiate only
    /// its group; `fallback` (every group) when the client supports none.
    Ordered {
        preferred: Vec<(&'static Group, Arc<ServerConfig>)>,
        fallback: Arc<ServerConfig>,
    },
}

fn builder(
    kx_groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<rustls::ConfigBuilder<ServerConfig, rustls::WantsVerifier>, rustls::Error> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = kx_groups;
    ServerConfig::builder_with_provider(Arc::new(provider)).with_protocol_versions(versions)
}

impl Chooser {
    /// Builds the chooser for a policy, optional explicit groups and optional versions.
    pub fn new(
        identity: &Identity,
        policy: Policy,
        groups: Vec<&'static Group>,
        tls: Option<TlsVersions>,
    ) -> Result<Self, Failure> {
        let finish = |b: rustls::ConfigBuilder<ServerConfig, rustls::WantsVerifier>| {
            b.with_no_client_auth()
                .with_single_cert(identity.chain.clone(), identity.key.clone_key())
        };
        if groups.is_empty() && tls.is_none() {
            let configs =
                PqServerConfigs::new(rustls::crypto::ring::default_provider(), policy, finish)?;
            return Ok(Chooser::Policy(configs));
        }
        let versions: &'static [&'static SupportedProtocolVersion] = match tls {
            Some(TlsVersions::V13) => TLS13,
            Some(TlsVersions::V12) => TLS12,
            Some(TlsVersions::Both) => TLS13_AND_12,
            None => policy.protocol_versions(),
        };
        let tls13 = versions
            .iter()
            .any(|v| v.version == rustls::ProtocolVersion::TLSv1_3);
        let groups = if groups.is_empty() {
            policy.groups().to_vec()
        } else {
            if let Some(g) = groups.iter().find(|g| !policy.allows(g)) {
                return Err(Failure::Usage(format!(
                    "group {} is not allowed by the policy {policy:?}",
                    g.name
                )));
            }
            groups
        };
        let usable: Vec<_> = groups
            .into_iter()
            .filter(|g| tls13 || g.tls12_allowed())
            .collect();
        if usable.is_empty() {
            return Err(Failure::Usage(
                "no group left: post-quantum groups need TLS 1.3".into(),
            ));
        }
        let mut preferred = Vec::new();
        for g in &usable {
            // A post-quantum group's configuration keeps the classical groups for TLS 1.2
            // only (pqhkex::rustls::tls12_only): a TLS 1.2 ClientHello listing the
            // post-quantum group next to classical ones gets TLS 1.2 on a classical one,
            // one listing it alone gets handshake_failure (not protocol_version).
            let tls12: Vec<_> = if g.tls12_allowed() {
                Vec::new()
            } else {
                usable
                    .iter()
                    .filter_map(|c| pqhkex::rustls::tls12_only(c))
                    .collect()
            };
            let v = if g.tls12_allowed() || !tls12.is_empty() {
                versions
            } else {
                TLS13
            };
            let kx = std::iter::once(pqhkex::rustls::kx_group(g))
                .chain(tls12)
                .collect();
            preferred.push((*g, Arc::new(finish(builder(kx, v)?)?)));
        }
        let all = usable.iter().map(|g| pqhkex::rustls::kx_group(g)).collect();
        let fallback = Arc::new(finish(builder(all, versions)?)?);
        Ok(Chooser::Ordered {
            preferred,
            fallback,
        })
    }

    /// Starts the connection for a ClientHello; on refusal, the alert to send.
    pub fn accept(&self, accepted: Accepted) -> Result<ServerConnection, (Refusal, AcceptedAlert)> {
        match self {
            Chooser::Policy(configs) => configs
                .accept(accepted)
                .map_err(|(e, alert)| (Refusal::Policy(Box::new(e)), alert)),
            Chooser::Ordered {
                preferred,
                fallback,
            } => {
                let hello = accepted.client_hello();
                let offered = hello.named_groups().unwrap_or(&[]);
                let config = preferred
                    .iter()
                    .find(|(g, _)| offered.iter().any(|o| u16::from(*o) == g.code))
                    .map(|(_, c)| c.clone())
                    .unwrap_or_else(|| fallback.clone());
                accepted
                    .into_connection(config)
                    .map_err(|(e, alert)| (Refusal::Tls(Box::new(e)), alert))
            }
        }
    }
}

/// Why [`Chooser::accept`] refused a ClientHello.
#[derive(Debug)]
pub enum Refusal {
    /// The policy's refusal, or rustls's explained in its terms.
    Policy(Box<pqhkex::Error>),
    /// rustls's refusal.
    Tls(Box<rustls::Error>),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Policy(e) => e.fmt(f),
            Refusal::Tls(e) => e.fmt(f),
        }
    }
}

impl Refusal {
    /// Records it as the end of a handshake (`--metrics`).
    fn record(&self, handshake: Handshake) {
        match self {
            Refusal::Policy(e) => handshake.refused(e),
            Refusal::Tls(e) => handshake.failed(e),
        }
    }
}

/// What the server saw on one connection.
pub struct Served {
    pub report: ConnectionReport,
    pub sni: Option<String>,
    pub offered: Vec<u16>,
    /// CPU time of the worker thread from taking up the connection (its ClientHello
    /// read) to the end of the handshake (`None` if the thread CPU clock could not be
    /// read).
    pub handshake_cpu: Option<Duration>,
}

fn group_list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(|c| match pqhkex::groups::by_code(*c) {
            Some(g) => g.name.to_string(),
            None => format!("0x{c:04x}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// One log line for a served connection.
pub fn log_line(s: &Served) -> String {
    let r = &s.report;
    format!(
        "group={} ({}) hrr={} version={} suite={} sni={} offered={}",
        r.group_name(),
        kind_text(r),
        if r.hello_retry_request.unwrap_or(false) {
            "yes"
        } else {
            "no"
        },
        r.protocol_version
            .map(version_name)
            .unwrap_or_default()
            .replace(' ', ""),
        r.cipher_suite.map(suite_name).unwrap_or_default(),
        s.sni.as_deref().unwrap_or("-"),
        group_list(&s.offered),
    )
}

/// Reads a ClientHello from a blocking socket.
fn read_hello(sock: &mut DeadlineStream) -> Result<Accepted, String> {
    let mut acceptor = Acceptor::default();
    loop {
        match acceptor.read_tls(sock) {
            Ok(0) => return Err("client closed the connection before a ClientHello".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("reading the ClientHello: {e}")),
        }
        match acceptor.accept() {
            Ok(Some(a)) => return Ok(a),
            Ok(None) => {}
            Err((e, mut alert)) => {
                let _ = alert.write_all(sock);
                return Err(format!("invalid ClientHello: {e}"));
            }
        }
    }
}

/// Handles one TCP connection: reads the ClientHello, then [`finish`]es it, each stage
/// within `limit`.
pub fn handle(sock: TcpStream, chooser: &Chooser, limit: Duration) -> Result<Served, String> {
    let mut sock = DeadlineStream::new(sock, Instant::now() + limit);
    let accepted = read_hello(&mut sock)?;
    sock.set_deadline(Instant::now() + limit);
    finish(sock, accepted, chooser, limit, None)
}

/// Finishes a connection whose ClientHello was read: the handshake (by the socket's
/// deadline), then the request (within `limit` of the handshake's end), then close.
/// With `telemetry` (`--metrics`), the handshake's end is recorded there.
pub fn finish(
    mut sock: DeadlineStream,
    accepted: Accepted,
    chooser: &Chooser,
    limit: Duration,
    mut telemetry: Option<Handshake>,
) -> Result<Served, String> {
    let cpu_start = ThreadTime::try_now().ok();
    let hello = accepted.client_hello();
    let sni = hello.server_name().map(str::to_string);
    let offered = pqhkex::policy::offered_groups(&hello);
    let mut conn = match chooser.accept(accepted) {
        Ok(c) => c,
        Err((e, mut alert)) => {
            let _ = alert.write_all(&mut sock);
            if let Some(h) = telemetry.take() {
                e.record(h);
            }
            return Err(format!(
                "handshake failed (offered {}): {e}",
                group_list(&offered)
            ));
        }
    };
    while conn.is_handshaking() {
        match conn.complete_io(&mut sock) {
            Ok((0, 0)) if conn.is_handshaking() => {
                if let Some(h) = telemetry.take() {
                    h.failed_because("connection_closed");
                }
                return Err("client closed the connection during the handshake".into());
            }
            Ok(_) => {}
            Err(e) => {
                if let Some(h) = telemetry.take() {
                    h.failed_io(&e);
                }
                return Err(format!(
                    "handshake failed (offered {}): {e}",
                    group_list(&offered)
                ));
            }
        }
    }
    let handshake_cpu = cpu_start.and_then(|t| t.try_elapsed().ok());
    // The telemetry's handshake record reads the same report; it is made once.
    let report = match telemetry.take() {
        Some(h) => h.done(&conn),
        None => ConnectionReport::from_connection(&conn),
    };
    sock.set_deadline(Instant::now() + limit);
    let served = Served {
        report,
        sni,
        offered,
        handshake_cpu,
    };
    // Answer an HTTP request (or any line) with the log line; stop on close_notify.
    let line = log_line(&served);
    let mut request = Vec::new();
    {
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        let mut buf = [0u8; 4096];
        loop {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    request.extend_from_slice(&buf[..n]);
                    let reply = if request.windows(4).any(|w| w == b"\r\n\r\n") {
                        let body = format!("{line}\n");
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    } else if request.contains(&b'\n') && !request.starts_with(b"GET ") {
                        format!("{line}\n")
                    } else if request.len() > 65536 {
                        break;
                    } else {
                        continue;
                    };
                    let _ = tls.write_all(reply.as_bytes());
                    break;
                }
            }
        }
    }
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    Ok(served)
}

/// How `serve_on` runs.
pub struct Options {
    /// Exit after this many connections (once they are finished).
    pub max: Option<u64>,
    /// Each client's time for its handshake, and then for its request.
    pub client_timeout: Duration,
    /// Worker threads.
    pub workers: usize,
    /// No per-connection log line.
    pub quiet: bool,
    /// Print statistics (and write them as JSON if a file is given).
    pub stats: Option<StatsOptions>,
    /// `--metrics`: record each ClientHello and handshake through the `metrics` facade.
    pub telemetry: Option<Recorder>,
}

/// `--stats-interval` and `--stats-json`.
pub struct StatsOptions {
    pub interval: Duration,
    pub json: Option<PathBuf>,
}

/// The default worker count: 4 per available core.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * 4
}

#[derive(Default, Clone)]
struct GroupStats {
    handshakes: u64,
    resumed: u64,
    hello_retry_requests: u64,
    /// Handshakes whose CPU time was measured, and their sum.
    measured: u64,
    cpu: Duration,
    /// The same for the resumed ones among them (cheaper: no certificate signature).
    resumed_measured: u64,
    resumed_cpu: Duration,
}

impl GroupStats {
    /// CPU seconds per full handshake and per resumed one (`None` when there was none).
    fn split(&self) -> (Option<f64>, Option<f64>) {
        let full_n = self.measured - self.resumed_measured;
        let full =
            (full_n > 0).then(|| (self.cpu - self.resumed_cpu).as_secs_f64() / full_n as f64);
        let resumed = (self.resumed_measured > 0)
            .then(|| self.resumed_cpu.as_secs_f64() / self.resumed_measured as f64);
        (full, resumed)
    }
}

#[derive(Default, Clone)]
struct Counters {
    groups: BTreeMap<String, GroupStats>,
    connections: u64,
    errors: u64,
    /// Connections shut down to make room for a new one (see [`SHED_AFTER`]).
    shed: u64,
    /// Bumped at every change, to print only when something changed.
    generation: u64,
}

/// Handshake statistics shared by the workers.
struct Stats {
    counters: Mutex<Counters>,
    wall_start: Instant,
    cpu_start: Option<ProcessTime>,
    workers: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Stats {
    fn new(workers: usize) -> Self {
        Stats {
            counters: Mutex::new(Counters::default()),
            wall_start: Instant::now(),
            cpu_start: ProcessTime::try_now().ok(),
            workers,
        }
    }

    fn record(&self, result: &Result<Served, String>, shed: bool) {
        let mut c = lock(&self.counters);
        c.connections += 1;
        c.shed += u64::from(shed);
        c.generation += 1;
        match result {
            Ok(s) => {
                let g = c.groups.entry(s.report.group_name()).or_default();
                g.handshakes += 1;
                g.resumed += u64::from(s.report.resumed == Some(true));
                g.hello_retry_requests += u64::from(s.report.hello_retry_request == Some(true));
                if let Some(cpu) = s.handshake_cpu {
                    g.measured += 1;
                    g.cpu += cpu;
                    if s.report.resumed == Some(true) {
                        g.resumed_measured += 1;
                        g.resumed_cpu += cpu;
                    }
                }
            }
            Err(_) => c.errors += 1,
        }
    }

    fn snapshot(&self) -> Counters {
        lock(&self.counters).clone()
    }

    fn json(&self, c: &Counters, process_cpu: f64, wall: f64) -> serde_json::Value {
        let groups: Vec<_> = c
            .groups
            .iter()
            .map(|(name, g)| {
                let cpu = g.cpu.as_secs_f64();
                let per = (g.measured > 0).then(|| cpu / g.measured as f64);
                let (full, resumed) = g.split();
                serde_json::json!({
                    "group": name,
                    "handshakes": g.handshakes,
                    "resumed": g.resumed,
                    "hello_retry_requests": g.hello_retry_requests,
                    "cpu_seconds": cpu,
                    "cpu_seconds_per_handshake": per,
                    "handshakes_per_second_per_core": per.filter(|p| *p > 0.0).map(|p| 1.0 / p),
                    "full_cpu_seconds_per_handshake": full,
                    "resumed_cpu_seconds_per_handshake": resumed,
                })
            })
            .collect();
        let handshakes: u64 = c.groups.values().map(|g| g.handshakes).sum();
        serde_json::json!({
            "groups": groups,
            "handshakes": handshakes,
            "connections": c.connections,
            "errors": c.errors,
            "shed": c.shed,
            "process_cpu_seconds": process_cpu,
            "process_cpu_seconds_per_handshake":
                (handshakes > 0).then(|| process_cpu / handshakes as f64),
            "wall_seconds": wall,
            "workers": self.workers,
        })
    }

    /// Prints a block to stderr and rewrites the JSON file, if any.
    fn print(&self, c: &Counters, json_file: Option<&Path>) {
        let process_cpu = self
            .cpu_start
            .map_or(0.0, |t| t.try_elapsed().unwrap_or_default().as_secs_f64());
        let wall = self.wall_start.elapsed().as_secs_f64();
        let handshakes: u64 = c.groups.values().map(|g| g.handshakes).sum();
        let mut out = format!(
            "stats: {} connections, {handshakes} handshakes, {} errors, {} shed; process CPU {process_cpu:.3} s (user+sys) over {wall:.1} s",
            c.connections, c.errors, c.shed
        );
        if handshakes > 0 {
            out += &format!(
                ", {:.1} us per handshake",
                process_cpu / handshakes as f64 * 1e6
            );
        }
        out += &format!(
            "\n  {:<20} {:>10} {:>8} {:>6} {:>10} {:>11} {:>10} {:>10} {:>13}\n",
            "group",
            "handshakes",
            "resumed",
            "hrr",
            "CPU s",
            "us/hs (all",
            "full",
            "resumed)",
            "hs/s/core"
        );
        let us = |x: Option<f64>| x.map_or("-".into(), |x| format!("{:.1}", x * 1e6));
        for (name, g) in &c.groups {
            let cpu = g.cpu.as_secs_f64();
            let (per, rate) = if g.measured > 0 && cpu > 0.0 {
                let per = cpu / g.measured as f64;
                (format!("{:.1}", per * 1e6), format!("{:.1}", 1.0 / per))
            } else {
                ("-".into(), "-".into())
            };
            let (full, resumed) = g.split();
            out += &format!(
                "  {name:<20} {:>10} {:>8} {:>6} {cpu:>10.4} {per:>11} {:>10} {:>10} {rate:>13}\n",
                g.handshakes,
                g.resumed,
                g.hello_retry_requests,
                us(full),
                us(resumed),
            );
        }
        {
            let mut err = io::stderr().lock();
            let _ = err.write_all(out.as_bytes());
            let _ = err.flush();
        }
        if let Some(path) = json_file {
            let text = self.json(c, process_cpu, wall).to_string();
            // Written beside and renamed over, so that a reader never sees half a file.
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".tmp");
            let tmp = PathBuf::from(tmp);
            if let Err(e) =
                std::fs::write(&tmp, text + "\n").and_then(|()| std::fs::rename(&tmp, path))
            {
                eprintln!("pqhkex: cannot write {}: {e}", path.display());
            }
        }
    }
}

/// The thread printing statistics every interval while something changed, and once
/// more when told to stop.
struct Reporter {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: std::thread::JoinHandle<()>,
}

impl Reporter {
    fn start(stats: Arc<Stats>, opts: &StatsOptions) -> io::Result<Self> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let interval = opts.interval;
        let json = opts.json.clone();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("stats".into())
            .spawn(move || {
                let mut printed = None;
                let (m, cv) = &*flag;
                let mut stopped = lock(m);
                loop {
                    let deadline = Instant::now() + interval;
                    while !*stopped {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        stopped = cv
                            .wait_timeout(stopped, left)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    }
                    let c = stats.snapshot();
                    if *stopped || printed != Some(c.generation) {
                        printed = Some(c.generation);
                        stats.print(&c, json.as_deref());
                    }
                    if *stopped {
                        return;
                    }
                }
            })?;
        Ok(Reporter { stop, thread })
    }

    /// Prints the final block and ends the thread.
    fn finish(self) {
        *lock(&self.stop.0) = true;
        self.stop.1.notify_all();
        let _ = self.thread.join();
    }
}

/// A connection a worker is handling: a handle on its socket (to shed it) and since
/// when.
struct Busy {
    sock: TcpStream,
    since: Instant,
    shed: bool,
}

/// What each worker is doing, for the reception to shed the longest-running one.
type Slots = Mutex<Vec<Option<Busy>>>;

/// Shuts down the connection that has been with a worker longest, if for at least
/// [`SHED_AFTER`]; whether one was.
fn shed_oldest(slots: &Slots) -> bool {
    let mut slots = lock(slots);
    let oldest = slots
        .iter_mut()
        .flatten()
        .filter(|b| !b.shed && b.since.elapsed() >= SHED_AFTER)
        .min_by_key(|b| b.since);
    match oldest {
        Some(b) => {
            b.shed = true;
            let _ = b.sock.shutdown(std::net::Shutdown::Both);
            true
        }
        None => false,
    }
}

/// A connection whose ClientHello has been read, for a worker.
struct Received {
    n: u64,
    peer: String,
    sock: TcpStream,
    accepted: Accepted,
    /// When its handshake must be done.
    deadline: Instant,
    /// Its handshake's telemetry (`--metrics`).
    telemetry: Option<Handshake>,
}

/// What every stage shares: the statistics, the per-connection log, and how many
/// connections wait in the workers' queue.
struct Shared {
    stats: Arc<Stats>,
    quiet: bool,
    client_timeout: Duration,
    queued: std::sync::atomic::AtomicUsize,
    /// `--metrics`: records each ClientHello and handshake.
    telemetry: Option<Recorder>,
}

impl Shared {
    /// Counts a connection's outcome and logs it.
    fn report(&self, n: u64, peer: &str, result: &Result<Served, String>, shed: bool) {
        self.stats.record(result, shed);
        if !self.quiet {
            let line = match result {
                Ok(s) => format!("[#{n}] {peer} {}", log_line(s)),
                Err(e) => format!("[#{n}] {peer} error: {e}"),
            };
            let mut out = io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

/// One worker (number `me`): takes connections from the queue until it is closed.
fn worker(
    me: usize,
    queue: &Mutex<Receiver<Received>>,
    slots: &Slots,
    chooser: &Chooser,
    shared: &Shared,
) {
    loop {
        let job = lock(queue).recv();
        let Ok(job) = job else { return };
        shared
            .queued
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(handle) = job.sock.try_clone() {
            lock(slots)[me] = Some(Busy {
                sock: handle,
                since: Instant::now(),
                shed: false,
            });
        }
        let sock = DeadlineStream::new(job.sock, job.deadline);
        // A panic in one connection must not shrink the pool.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            finish(
                sock,
                job.accepted,
                chooser,
                shared.client_timeout,
                job.telemetry,
            )
        }))
        .unwrap_or_else(|_| Err("internal error (panic) while handling the connection".into()));
        let shed = lock(slots)[me].take().is_some_and(|b| b.shed);
        let result = match result {
            Err(e) if shed => Err(format!(
                "shed to make room for a new connection (every worker busy): {e}"
            )),
            other => other,
        };
        shared.report(job.n, &job.peer, &result, shed);
    }
}

/// Reads a ClientHello from an asynchronous socket, keeping a copy of its bytes in
/// `capture` (for `--metrics`: rustls does not tell the groups of the key shares).
async fn read_hello_async(
    sock: &mut tokio::net::TcpStream,
    capture: &mut HelloCapture,
) -> Result<Accepted, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut acceptor = Acceptor::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = sock
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading the ClientHello: {e}"))?;
        if n == 0 {
            return Err("client closed the connection before a ClientHello".into());
        }
        capture.record(&buf[..n]);
        let mut bytes = &buf[..n];
        while !bytes.is_empty() {
            match acceptor.read_tls(&mut bytes) {
                Ok(0) => return Err("the ClientHello is larger than the server accepts".into()),
                Ok(_) => {}
                Err(e) => return Err(format!("reading the ClientHello: {e}")),
            }
        }
        match acceptor.accept() {
            Ok(Some(a)) => return Ok(a),
            Ok(None) => {}
            Err((e, mut alert)) => {
                let mut wire = Vec::new();
                let _ = alert.write_all(&mut wire);
                let _ = sock.write_all(&wire).await;
                return Err(format!("invalid ClientHello: {e}"));
            }
        }
    }
}

/// The reception of one connection: its ClientHello within the client timeout, then a
/// place in the workers' queue (shedding the longest-running worker connection if
/// every one is busy).
async fn receive(
    n: u64,
    mut sock: tokio::net::TcpStream,
    peer: String,
    queue: std::sync::mpsc::SyncSender<Received>,
    slots: Arc<Slots>,
    shared: Arc<Shared>,
) {
    let limit = shared.client_timeout;
    let deadline = Instant::now() + limit;
    let mut capture = HelloCapture::new();
    let hello = tokio::time::timeout(limit, read_hello_async(&mut sock, &mut capture)).await;
    let accepted = match hello {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return shared.report(n, &peer, &Err(e), false),
        Err(_) => {
            let e = format!("reading the ClientHello: no complete ClientHello within {limit:?}");
            return shared.report(n, &peer, &Err(e), false);
        }
    };
    let sock = match sock
        .into_std()
        .and_then(|s| s.set_nonblocking(false).map(|()| s))
    {
        Ok(s) => s,
        Err(e) => return shared.report(n, &peer, &Err(format!("socket: {e}")), false),
    };
    let telemetry = shared
        .telemetry
        .as_ref()
        .map(|r| r.client_hello(&accepted.client_hello(), capture.bytes()));
    drop(capture);
    let mut job = Received {
        n,
        peer,
        sock,
        accepted,
        deadline,
        telemetry,
    };
    loop {
        // Counted before it can be taken, so that the count never goes below zero.
        shared
            .queued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match queue.try_send(job) {
            Ok(()) => return,
            Err(TrySendError::Disconnected(_)) => return,
            Err(TrySendError::Full(back)) => job = back,
        }
        shared
            .queued
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        shed_oldest(&slots);
        if Instant::now() >= deadline {
            if let Some(h) = job.telemetry.take() {
                h.failed_because("no_worker");
            }
            let e = "no worker became free within the client timeout".to_string();
            return shared.report(job.n, &job.peer, &Err(e), false);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM, naming it; never, where the signal
/// handlers cannot be installed (then only `--max-connections` ends the server).
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        _ => std::future::pending().await,
    }
}

/// Accepts connections until `max` (if any) or a SIGINT/SIGTERM, receiving each on a
/// task of its own; then waits for those in reception. The workers then finish the
/// connections they hold and [`serve_on`] prints (and writes) the final statistics.
fn reception(
    listener: TcpListener,
    max: Option<u64>,
    queue: std::sync::mpsc::SyncSender<Received>,
    slots: Arc<Slots>,
    shared: Arc<Shared>,
) -> io::Result<()> {
    use std::collections::VecDeque;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let mut pending = tokio::task::JoinSet::new();
        // Pending connections, oldest first, to shed the oldest beyond MAX_PENDING.
        let mut order: VecDeque<(u64, String, tokio::task::AbortHandle)> = VecDeque::new();
        // While connections wait for a worker, shed the one held longest (if long enough).
        let supervisor = {
            let (slots, shared) = (slots.clone(), shared.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(SHED_CHECK).await;
                    if shared.queued.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                        shed_oldest(&slots);
                    }
                }
            })
        };
        let mut n = 0u64;
        let stop = stop_signal();
        tokio::pin!(stop);
        while max.is_none_or(|m| n < m) {
            while pending.try_join_next().is_some() {}
            let accepted = tokio::select! {
                which = &mut stop => {
                    eprintln!("{which}: no new connections; finishing the ones in progress");
                    break;
                }
                accepted = listener.accept() => accepted,
            };
            let (sock, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("[#{}] accept failed: {e}", n + 1);
                    // E.g. out of file descriptors: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            n += 1;
            let _ = sock.set_nodelay(true);
            order.retain(|(_, _, h)| !h.is_finished());
            if order.len() >= MAX_PENDING {
                if let Some((old, old_peer, h)) = order.pop_front() {
                    h.abort();
                    let e = format!(
                        "shed while reading its ClientHello: more than {MAX_PENDING} connections pending"
                    );
                    shared.report(old, &old_peer, &Err(e), true);
                }
            }
            let peer = peer.to_string();
            let task = receive(n, sock, peer.clone(), queue.clone(), slots.clone(), shared.clone());
            order.push_back((n, peer, pending.spawn(task)));
        }
        while pending.join_next().await.is_some() {}
        supervisor.abort();
        Ok(())
    })
}

/// Serves connections on `listener` (see the module documentation for the stages),
/// until `opts.max` connections (then waits for them to finish).
pub fn serve_on(listener: TcpListener, chooser: Arc<Chooser>, opts: &Options) -> io::Result<()> {
    let workers = opts.workers.max(1);
    let stats = Arc::new(Stats::new(workers));
    let shared = Arc::new(Shared {
        stats: stats.clone(),
        quiet: opts.quiet,
        client_timeout: opts.client_timeout,
        queued: Default::default(),
        telemetry: opts.telemetry.clone(),
    });
    // At most `workers` connections wait for a worker.
    let (tx, rx) = sync_channel::<Received>(workers);
    let rx = Arc::new(Mutex::new(rx));
    let slots: Arc<Slots> = Arc::new(Mutex::new((0..workers).map(|_| None).collect()));
    let mut pool = Vec::with_capacity(workers);
    for i in 0..workers {
        let (rx, slots, chooser, shared) =
            (rx.clone(), slots.clone(), chooser.clone(), shared.clone());
        pool.push(
            std::thread::Builder::new()
                .name(format!("serve-{i}"))
                .spawn(move || worker(i, &rx, &slots, &chooser, &shared))?,
        );
    }
    let reporter = match &opts.stats {
        Some(s) => Some(Reporter::start(stats.clone(), s)?),
        None => None,
    };
    let received = reception(listener, opts.max, tx, slots, shared);
    for w in pool {
        let _ = w.join();
    }
    if let Some(r) = reporter {
        r.finish();
    }
    received
}

/// `pqhkex serve`.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let stats = if args.stats || args.stats_json.is_some() {
        let secs = args.stats_interval;
        if !(secs.is_finite() && secs > 0.0 && secs <= 86400.0) {
            return Err(Failure::Usage(format!(
                "--stats-interval must be between 0 and 86400 seconds, got {secs}"
            )));
        }
        Some(StatsOptions {
            interval: Duration::from_secs_f64(secs),
            json: args.stats_json.clone(),
        })
    } else {
        None
    };
    let client_timeout = crate::timeout_arg("--client-timeout", args.client_timeout)?;
    let mut opts = Options {
        max: args.max_connections,
        client_timeout,
        workers: args.workers.map_or_else(default_workers, |w| w as usize),
        quiet: args.quiet,
        stats,
        telemetry: None,
    };
    let identity = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => Identity::load(c, k)?,
        _ => Identity::self_signed()?,
    };
    if let Some(out) = &args.cert_out {
        std::fs::write(out, identity.pem.as_deref().unwrap_or_default())
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", out.display())))?;
    }
    let groups = crate::parse_groups(&args.groups)?;
    let chooser = Arc::new(Chooser::new(
        &identity,
        args.policy.policy(),
        groups,
        args.tls,
    )?);
    let listener = TcpListener::bind((args.bind.as_str(), args.port)).map_err(|e| {
        Failure::Other(format!("cannot listen on {}:{}: {e}", args.bind, args.port))
    })?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(|e| Failure::Other(e.to_string()))?;
    if let Some(at) = &args.metrics {
        let metrics_addr = serve_metrics(at)?;
        opts.telemetry = Some(Recorder::new());
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "metrics on http://{metrics_addr}/metrics");
        let _ = out.flush();
    }
    {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "listening on {addr}");
        let _ = out.flush();
    }
    serve_on(listener, chooser, &opts).map_err(|e| Failure::Other(format!("serving: {e}")))
}

/// How long a `/metrics` client has to send its request and read the answer.
pub const METRICS_CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest `/metrics` request read (the request line and headers).
const MAX_METRICS_REQUEST: usize = 8192;

/// Bucket bounds (seconds) of `pqhkex_handshake_duration_seconds`: 100 µs to 10 s.
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// `--metrics ADDR`: installs a Prometheus recorder as the process's `metrics`
/// recorder and answers `GET /metrics` on ADDR with its text format (version 0.0.4),
/// from a thread of its own, one request at a time, each within
/// [`METRICS_CLIENT_TIMEOUT`]. Returns the address bound (ADDR may say port 0).
fn serve_metrics(at: &str) -> Result<SocketAddr, Failure> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let listener = TcpListener::bind(at)
        .map_err(|e| Failure::Usage(format!("--metrics: cannot listen on {at}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Other(format!("--metrics: {e}")))?;
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(pqhkex::telemetry::HANDSHAKE_DURATION.to_string()),
            DURATION_BUCKETS,
        )
        .map_err(|e| Failure::Other(format!("--metrics: {e}")))?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|e| Failure::Other(format!("--metrics: {e}")))?;
    pqhkex::telemetry::describe();
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for sock in listener.incoming() {
                let Ok(sock) = sock else {
                    // E.g. out of file descriptors: do not spin.
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                let sock = DeadlineStream::new(sock, Instant::now() + METRICS_CLIENT_TIMEOUT);
                answer_metrics(sock, || {
                    handle.run_upkeep();
                    handle.render()
                });
            }
        })
        .map_err(|e| Failure::Other(format!("--metrics: {e}")))?;
    Ok(addr)
}

/// Answers one HTTP/1.x request: `GET /metrics` (or `HEAD`) with `render()`, 404 for
/// another path, 405 for another method, 400 for something that is not a request.
fn answer_metrics(mut sock: DeadlineStream, render: impl FnOnce() -> String) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    // RFC 9112 §2.2: the request line and headers end with an empty line.
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
        if request.len() > MAX_METRICS_REQUEST {
            let _ = sock.write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
    }
    let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end().split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let (status, body) = match (
        method,
        target.map(|t| t.split('?').next().unwrap_or(t)),
        version,
    ) {
        (Some(m), Some(_), Some(v)) if !v.starts_with("HTTP/1.") || m.is_empty() => {
            ("400 Bad Request", String::new())
        }
        (Some("GET" | "HEAD"), Some("/metrics"), Some(_)) => ("200 OK", render()),
        (Some("GET" | "HEAD"), Some(_), Some(_)) => ("404 Not Found", "try /metrics\n".into()),
        (Some(_), Some(_), Some(_)) => ("405 Method Not Allowed", String::new()),
        _ => ("400 Bad Request", String::new()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes());
    if method != Some("HEAD") {
        let _ = sock.write_all(body.as_bytes());
    }
    let _ = sock.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pem_parses_back() {
        let id = Identity::self_signed().unwrap();
        let pem = id.pem.clone().unwrap();
        let back: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, id.chain);
    }
}
