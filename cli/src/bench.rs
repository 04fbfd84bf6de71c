//! `pqhkex bench`: full (or resumed) TLS 1.3 handshakes against any server, group by
//! group, as fast as `--concurrency` connections allow; handshakes/s, latency
//! percentiles (HDR histogram), bytes per handshake, HelloRetryRequests, errors by kind,
//! and the client's own CPU time per handshake.
//!
//! Method: `concurrency` threads each open a connection, run the handshake offering one
//! group alone (with its key share), close it, and start the next. The latency of one
//! handshake runs from `connect()` to the end of the handshake (the close is not
//! counted). Unlike `openssl s_time`, which runs one connection at a time with the
//! server's choice of group, this keeps `concurrency` handshakes in flight and measures
//! each group apart.
//!
//! Warm-up: before measuring, each group gets `--warmup` handshakes, not counted (the
//! first alone, then half of the rest one at a time and the other half at
//! `--concurrency`: see [the concurrency check](ConcurrencyCheck)).
//!
//! Interleaved rounds: the groups are measured A B C A B C … (`--rounds N`), each turn
//! lasting `--duration`/N seconds or `--handshakes`/N handshakes, so that a change of
//! load on the machine during the run hits every group instead of the one measured at
//! that moment. Every figure of a group (handshakes/s, p50/p90/p99 latency, client CPU
//! per handshake) is the **median over its rounds**, and its spread is the **min–max
//! over the rounds** (with the few rounds a run has, an interquartile range would be the
//! min–max anyway); `--json` also lists each round. Totals (handshakes, bytes, HRRs,
//! errors, max latency, mean latency, the CDF in the SVG) are over all rounds.
//!
//! The server's CPU: with `--server-pid PID` (a server on the same Linux machine), the
//! server process's CPU time (user + system of all its threads, exited ones included)
//! is read from `/proc/PID/stat` before and after each turn, and reported per completed
//! handshake like the client's. The kernel counts it in ticks of 10 ms (USER_HZ = 100),
//! so a turn should last well over a second for the figure to mean much; it also counts
//! whatever else the server does meanwhile (other clients). Without `--server-pid` the
//! server's CPU is not known to the client and is not reported (`serve --stats` has it).
//!
//! A group the server turns down (a handshake_failure or insufficient_security alert in
//! answer to the ClientHello) is reported as not accepted and does not fail the run,
//! unless `--require-all` is given or no group at all was accepted. A group with no
//! handshake in a round is not measured in the later rounds.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use pqhkex::{Backend, Group};
use pqhkex_inventory::probe::{self, ProbeError, Recording};
use pqhkex_inventory::{Failure, FailureKind, Target};
use rustls::client::{ClientSessionMemoryCache, Resumption};
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, HandshakeKind};
use serde::Serialize;

use crate::BenchArgs;

/// The default groups: the classical baseline, then the hybrids and pure ML-KEM.
pub const DEFAULT_GROUPS: &[&str] = &[
    "x25519",
    "X25519MLKEM768",
    "SecP256r1MLKEM768",
    "SecP384r1MLKEM1024",
    "MLKEM1024",
];

/// Below this ratio of throughput at `--concurrency` to throughput at concurrency 1 (both
/// measured during the warm-up), the server is taken to handle handshakes one at a time.
/// A server that runs them concurrently gains at least this much from a second
/// connection in flight even when it shares two cores with the client; one that
/// serialises them gains nothing (ratio about 1), whatever the noise.
const SERIALISED_BELOW: f64 = 1.2;

/// Whether a failed handshake is the server turning the group down: a handshake_failure
/// or insufficient_security alert in answer to the ClientHello (no ServerHello or
/// HelloRetryRequest before it). Timeouts, resets and other alerts are errors.
fn not_accepted(e: &ProbeError) -> bool {
    matches!(
        e.tls,
        Some(rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity
        ))
    ) && e.learnt.protocol_version.is_none()
        && !e.learnt.hello_retry_request
}

/// A failed handshake: what went wrong, and whether it is the server not accepting the
/// group ([`not_accepted`]).
struct Refusal {
    failure: Failure,
    not_accepted: bool,
    /// The server ended the connection before any ServerHello or HelloRetryRequest,
    /// without a fatal alert (`Learnt::closed_unanswered`): how s2n-tls turns a group
    /// down, but also what a broken server does; see [`GroupResult::closed_only`].
    closed_unanswered: bool,
}

/// One handshake's numbers.
struct One {
    latency: Duration,
    sent: u64,
    received: u64,
    hrr: bool,
    resumed: bool,
}

/// Where the handshakes go, and how long each may take.
struct Peer<'a> {
    addr: SocketAddr,
    name: &'a ServerName<'static>,
    timeout: Duration,
    label: &'a str,
}

/// One handshake: connect, handshake, close (close_notify both ways, bounded wait, so
/// that session tickets are read and the server sees a clean end). Only the
/// handshake is timed; the certificate is not parsed (that would add client CPU to
/// every measured handshake).
fn one(peer: &Peer<'_>, config: &Arc<ClientConfig>) -> Result<One, Refusal> {
    let c = probe::connect(
        peer.label,
        peer.addr,
        peer.name.clone(),
        config.clone(),
        peer.timeout,
        probe::Delivery::Whole,
    )
    .map_err(|e| Refusal {
        not_accepted: not_accepted(&e),
        closed_unanswered: e.learnt.closed_unanswered,
        failure: e.failure,
    })?;
    let kind = c.conn.handshake_kind();
    let one = One {
        latency: c.elapsed,
        sent: c.bytes_sent(),
        received: c.bytes_received(),
        hrr: kind == Some(HandshakeKind::FullWithHelloRetryRequest),
        resumed: kind == Some(HandshakeKind::Resumed),
    };
    c.close(peer.timeout.min(Duration::from_secs(1)));
    Ok(one)
}

/// Errors by kind, in JSON.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Errors {
    /// Connection refused, no route, name not resolved.
    pub refused: u64,
    /// Connecting or waiting for the server took longer than `--timeout`.
    pub timeout: u64,
    /// The handshake failed: an alert from the server, or a TLS error.
    pub alert: u64,
    /// The peer does not speak TLS (or only TLS 1.2).
    pub not_tls: u64,
    /// Anything else.
    pub other: u64,
}

impl Errors {
    fn add(&mut self, f: &Failure) {
        match f.kind() {
            FailureKind::Unreachable => self.refused += 1,
            FailureKind::Timeout => self.timeout += 1,
            FailureKind::Handshake | FailureKind::Certificate => self.alert += 1,
            FailureKind::NotTls | FailureKind::Tls12Only => self.not_tls += 1,
            _ => self.other += 1,
        }
    }

    fn merge(&mut self, o: &Errors) {
        self.refused += o.refused;
        self.timeout += o.timeout;
        self.alert += o.alert;
        self.not_tls += o.not_tls;
        self.other += o.other;
    }

    fn total(&self) -> u64 {
        self.refused + self.timeout + self.alert + self.not_tls + self.other
    }
}

/// Latency percentiles, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Median (of a group: the median over rounds of each round's median).
    pub p50: f64,
    /// 90th percentile (of a group: the median over rounds).
    pub p90: f64,
    /// 99th percentile (of a group: the median over rounds).
    pub p99: f64,
    /// Slowest (of a group: over all rounds).
    pub max: f64,
    /// Mean (of a group: over all rounds' handshakes).
    pub mean: f64,
}

impl Latency {
    /// The percentiles of `h`, in milliseconds (zeros when it is empty).
    fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

/// Microseconds to milliseconds.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// How a group's run ended, in JSON (`"ok"`, `"not-accepted"`, `"failed"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// At least one handshake completed.
    Ok,
    /// None did: the server turned the group down (a handshake_failure or
    /// insufficient_security alert to the ClientHello).
    NotAccepted,
    /// None did, for another reason (refused, timeout, another alert, ...).
    Failed,
}

/// The smallest and largest value of a figure over the rounds, in JSON.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Range {
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

/// The spread over rounds of each figure a group reports as a median, in JSON.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Spread {
    /// Handshakes per second.
    pub handshakes_per_second: Range,
    /// Median latency, ms.
    pub p50_ms: Range,
    /// 90th percentile latency, ms.
    pub p90_ms: Range,
    /// 99th percentile latency, ms.
    pub p99_ms: Range,
    /// Client CPU per handshake, ms.
    pub client_cpu_ms_per_handshake: Range,
    /// Server CPU per handshake, ms (`--server-pid`).
    pub server_cpu_ms_per_handshake: Option<Range>,
}

/// One round of one group, in JSON.
#[derive(Clone, Debug, Serialize)]
pub struct RoundResult {
    /// The round, from 1.
    pub round: u32,
    /// When this group's turn in this round began, in seconds since the run started
    /// (before the warm-up): the order of the turns, A B C A B C ….
    pub started_seconds: f64,
    /// Wall-clock seconds of the turn.
    pub seconds: f64,
    /// Handshakes completed.
    pub handshakes: u64,
    /// Completed handshakes per second of wall clock.
    pub handshakes_per_second: f64,
    /// Latency percentiles of this turn.
    pub latency_ms: Latency,
    /// This process's CPU time per completed handshake, ms.
    pub client_cpu_ms_per_handshake: f64,
    /// The server process's CPU time per completed handshake, ms (`--server-pid`).
    pub server_cpu_ms_per_handshake: Option<f64>,
    /// Failed handshakes.
    pub errors: u64,
}

/// One group's results, in JSON.
#[derive(Clone, Debug, Serialize)]
pub struct GroupResult {
    /// The group offered.
    pub group: &'static str,
    /// Its codepoint.
    pub code: String,
    /// How the group's run ended.
    pub status: Status,
    /// Handshakes completed, over all rounds.
    pub handshakes: u64,
    /// Of those, resumed ones (`--resume`).
    pub resumed: u64,
    /// Wall-clock seconds of this group's turns, over all rounds.
    pub seconds: f64,
    /// Completed handshakes per second of wall clock: the median over rounds.
    pub handshakes_per_second: f64,
    /// Latency from connect to the end of the handshake: p50/p90/p99 are medians over
    /// rounds, max and mean are over all handshakes.
    pub latency_ms: Latency,
    /// Bytes the client sent during the handshake, per handshake.
    pub bytes_sent_per_handshake: f64,
    /// Bytes the server sent during the handshake, per handshake.
    pub bytes_received_per_handshake: f64,
    /// Handshakes in which the server asked for another key share.
    pub hello_retry_requests: u64,
    /// Failed handshakes, by kind.
    pub errors: Errors,
    /// The first error's message, if any.
    pub first_error: Option<String>,
    /// This process's CPU time (user + system) during the group's turns.
    pub client_cpu_seconds: f64,
    /// That, per completed handshake, in milliseconds (the median over rounds): compare
    /// it with the latency to see a saturated client.
    pub client_cpu_ms_per_handshake: f64,
    /// The server process's CPU time (user + system) during the group's turns
    /// (`--server-pid`; `None` without it).
    pub server_cpu_seconds: Option<f64>,
    /// That, per completed handshake, in milliseconds (the median over rounds).
    pub server_cpu_ms_per_handshake: Option<f64>,
    /// The min–max over rounds of each median above (`None` without a measured round).
    pub spread: Option<Spread>,
    /// Each round this group was measured in.
    pub rounds: Vec<RoundResult>,
    /// The latency CDF for `--svg`: (latency ms, percentile) points.
    #[serde(skip)]
    pub cdf: Vec<(f64, f64)>,
    #[serde(skip)]
    first_failure: Option<Failure>,
    /// Every failed handshake was the server closing the connection in answer to the
    /// ClientHello, without an alert. With no handshake of this group but some of
    /// another group to the same server in the same run, that is the server turning the
    /// group down (s2n-tls does so), and the group is reported as not accepted.
    #[serde(skip)]
    closed_only: bool,
}

/// Where and on what the run happened, in JSON (`run`).
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    /// When the run started, RFC 3339 UTC.
    pub timestamp: String,
    /// This machine's host name (`/proc/sys/kernel/hostname`), or `"unknown"`.
    pub host: String,
    /// The CPU model (`/proc/cpuinfo`), or `"unknown"`.
    pub cpu_model: String,
    /// Logical cores this process may run on.
    pub logical_cores: usize,
    /// The kernel release (`uname -r`, from `/proc/sys/kernel/osrelease`), or `"unknown"`.
    pub kernel: String,
    /// pqhkex's version.
    pub pqhkex_version: &'static str,
    /// The backend that runs each algorithm of the measured groups on this client
    /// (`pure-rust`, `graviola`, `aws-lc-rs`).
    pub backends: BTreeMap<&'static str, &'static str>,
    /// The command line, as given.
    pub command_line: Vec<String>,
}

impl RunInfo {
    /// Reads the machine's description now, for a run measuring `groups`.
    fn collect(groups: &[&'static Group]) -> RunInfo {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".to_string())
        };
        let mut backends = BTreeMap::new();
        for g in groups {
            for a in g.components {
                backends.insert(a.name(), Backend::for_algorithm(*a).name());
            }
        }
        RunInfo {
            timestamp: pqhkex_inventory::cbom::utc_timestamp(SystemTime::now()),
            host: read("/proc/sys/kernel/hostname"),
            cpu_model: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|s| cpu_model(&s))
                .unwrap_or_else(|| "unknown".to_string()),
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel: read("/proc/sys/kernel/osrelease"),
            pqhkex_version: env!("CARGO_PKG_VERSION"),
            backends,
            command_line: std::env::args().collect(),
        }
    }

    /// One line for the table.
    fn summary(&self) -> String {
        let backends: Vec<String> = self
            .backends
            .iter()
            .map(|(a, b)| format!("{a} {b}"))
            .collect();
        format!(
            "{} on {}: {}, {} logical cores, Linux {}, pqhkex {} ({})",
            self.timestamp,
            self.host,
            self.cpu_model,
            self.logical_cores,
            self.kernel,
            self.pqhkex_version,
            backends.join(", ")
        )
    }
}

/// The CPU model from `/proc/cpuinfo`: x86's `model name`; on aarch64, which has none,
/// the `Hardware` line or else the implementer and part numbers.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    let field = |key: &str| {
        cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key && !v.trim().is_empty()).then(|| v.trim().to_string())
        })
    };
    field("model name")
        .or_else(|| field("Hardware"))
        .or_else(|| {
            Some(format!(
                "CPU implementer {} part {}",
                field("CPU implementer")?,
                field("CPU part")?
            ))
        })
}

/// Whether the server handshakes concurrently, from the warm-up: how `--concurrency`
/// connections in flight compare with one, in JSON (`concurrency_check`).
///
/// Each group's warm-up runs one handshake alone (not timed: the cold start), then half
/// of the rest one at a time and the other half at `--concurrency`, both timed; the
/// throughputs are summed over the groups. A server that handles handshakes one at a
/// time gives about the same throughput both ways (ratio about 1); one that handles them
/// concurrently gives more with several in flight. Below a ratio of 1.2 at concurrency
/// 2 or more the verdict is `serialised` and a warning is printed: its latency figures
/// are then mostly queueing. Nothing is judged at concurrency 1, when a warm-up handshake
/// failed, or with fewer than 2 serial and 2 × concurrency concurrent handshakes.
#[derive(Clone, Debug, Serialize)]
pub struct ConcurrencyCheck {
    /// `serialised`, `concurrent`, or `not-judged`.
    pub verdict: &'static str,
    /// Why not judged, if so.
    pub reason: Option<String>,
    /// Warm-up handshakes per second one at a time.
    pub serial_handshakes_per_second: Option<f64>,
    /// Warm-up handshakes per second at `--concurrency`.
    pub concurrent_handshakes_per_second: Option<f64>,
    /// The second over the first.
    pub ratio: Option<f64>,
}

/// What a group's warm-up measured.
#[derive(Clone, Copy, Default)]
struct Calibration {
    serial: u64,
    serial_seconds: f64,
    concurrent: u64,
    concurrent_seconds: f64,
}

impl ConcurrencyCheck {
    fn judge(concurrency: usize, warmup: u64, c: Option<Calibration>) -> ConcurrencyCheck {
        let not_judged = |why: String| ConcurrencyCheck {
            verdict: "not-judged",
            reason: Some(why),
            serial_handshakes_per_second: None,
            concurrent_handshakes_per_second: None,
            ratio: None,
        };
        if concurrency < 2 {
            return not_judged("concurrency 1: nothing to compare".into());
        }
        let Some(c) = c else {
            return not_judged(
                "no group's warm-up completed without an error (or --warmup 0)".into(),
            );
        };
        let need = 2 * concurrency as u64;
        if c.serial < 2 || c.concurrent < need {
            return not_judged(format!(
                "warm-up too short to compare: {warmup} handshakes per group gave {} serial \
                 and {} concurrent, needs 2 and {need} (--warmup {} or more)",
                c.serial,
                c.concurrent,
                2 * need + 1
            ));
        }
        let serial = c.serial as f64 / c.serial_seconds.max(1e-9);
        let concurrent = c.concurrent as f64 / c.concurrent_seconds.max(1e-9);
        let ratio = concurrent / serial;
        ConcurrencyCheck {
            verdict: if ratio < SERIALISED_BELOW {
                "serialised"
            } else {
                "concurrent"
            },
            reason: None,
            serial_handshakes_per_second: Some(serial),
            concurrent_handshakes_per_second: Some(concurrent),
            ratio: Some(ratio),
        }
    }

    /// The warning, if the server looks serialised.
    fn warning(&self, concurrency: usize) -> Option<String> {
        (self.verdict == "serialised").then(|| {
            format!(
                "warning: the server seems to handle handshakes one at a time: {concurrency} \
                 connections in flight gave {:.0} handshakes/s, one gave {:.0} (ratio {:.2}, \
                 below {SERIALISED_BELOW}); latency figures then measure its queue",
                self.concurrent_handshakes_per_second.unwrap_or(0.0),
                self.serial_handshakes_per_second.unwrap_or(0.0),
                self.ratio.unwrap_or(0.0)
            )
        })
    }
}

/// The whole run, in JSON.
#[derive(Serialize)]
struct BenchJson<'a> {
    tool: &'static str,
    version: &'static str,
    run: &'a RunInfo,
    target: &'a str,
    address: String,
    concurrency: usize,
    rounds: u32,
    duration_limit_seconds: Option<f64>,
    handshakes_limit: Option<u64>,
    warmup_handshakes: u64,
    resume: bool,
    concurrency_check: &'a ConcurrencyCheck,
    warnings: &'a [String],
    /// `--server-pid`: the server process whose CPU time is reported.
    server_pid: Option<u32>,
    groups: &'a [GroupResult],
}

/// A local server's CPU clock (`--server-pid`): user + system time of the process, all
/// its threads (exited ones too), from `/proc/PID/stat`.
#[derive(Clone, Debug)]
struct ServerClock {
    path: std::path::PathBuf,
}

/// Clock ticks per second of `/proc/PID/stat`'s times: USER_HZ, which the Linux ABI fixes
/// at 100 on every architecture Rust targets (`getconf CLK_TCK`).
const USER_HZ: f64 = 100.0;

impl ServerClock {
    /// The clock of process `pid`; an error saying why when it cannot be read.
    fn open(pid: u32) -> Result<ServerClock, Failure> {
        let clock = ServerClock {
            path: std::path::PathBuf::from(format!("/proc/{pid}/stat")),
        };
        match std::fs::read_to_string(&clock.path) {
            Ok(stat) if stat_cpu_ticks(&stat).is_some() => Ok(clock),
            Ok(_) => Err(Failure::Usage(format!(
                "--server-pid {pid}: {} has no CPU times in the expected format",
                clock.path.display()
            ))),
            Err(e) => Err(Failure::Usage(format!(
                "--server-pid {pid}: cannot read {} ({e}); the server must be a running \
                 process on this machine, and this needs Linux's /proc",
                clock.path.display()
            ))),
        }
    }

    /// The process's CPU seconds so far; `None` once it has exited.
    fn seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(&self.path).ok()?;
        stat_cpu_ticks(&stat).map(|t| t as f64 / USER_HZ)
    }
}

/// utime + stime (fields 14 and 15 of proc(5)'s `/proc/PID/stat`), in clock ticks. The
/// command name (field 2) is in parentheses and may itself hold spaces and `)`, so the
/// fields are counted from the last `)`.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // After the name: field 3 (state) is index 0, so utime (14) is 11 and stime (15) 12.
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}

/// What the workers of one turn add to.
struct Shared {
    histogram: Histogram<u64>,
    sent: u64,
    received: u64,
    hrr: u64,
    resumed: u64,
    errors: Errors,
    first_failure: Option<Failure>,
    /// The first failure was the server not accepting the group.
    first_not_accepted: bool,
    /// Failed handshakes that were not the server closing the connection unanswered.
    not_closed: u64,
}

impl Shared {
    /// Nothing counted yet: latencies from 1 µs to 60 s, three significant digits.
    fn new() -> Result<Shared, Failure> {
        Ok(Shared {
            histogram: Histogram::new_with_bounds(1, 60_000_000, 3)
                .map_err(|e| Failure::Other(format!("histogram: {e}")))?,
            sent: 0,
            received: 0,
            hrr: 0,
            resumed: 0,
            errors: Errors::default(),
            first_failure: None,
            first_not_accepted: false,
            not_closed: 0,
        })
    }
}

/// One group across the rounds.
struct GroupRun {
    group: &'static Group,
    /// Full handshakes, no resumption (the warm-up, and every turn without `--resume`).
    base: Arc<ClientConfig>,
    /// One configuration per worker: with `--resume`, each with its own session store
    /// kept across the rounds, so that only a worker's first handshake is full.
    workers: Vec<Arc<ClientConfig>>,
    all: Shared,
    seconds: f64,
    cpu: f64,
    /// The server's CPU seconds over the turns (`--server-pid`; `None` without it, or
    /// once the server could not be read).
    server_cpu: Option<f64>,
    rounds: Vec<RoundResult>,
    /// A turn without any handshake: not measured again.
    done: bool,
}

impl GroupRun {
    /// `roots`: the trust anchors (`--ca` or the web PKI's), read once for every group.
    fn new(
        group: &'static Group,
        args: &BenchArgs,
        roots: &rustls::RootCertStore,
    ) -> Result<GroupRun, Failure> {
        let provider = crate::provider();
        let verifier = Recording::new(probe::webpki_verifier(roots.clone(), &provider)?, false);
        let mut config =
            (*probe::client_config(&provider, &[group], probe::versions_for(&[group]), verifier)?)
                .clone();
        config.resumption = Resumption::disabled();
        let base = Arc::new(config);
        let workers = (0..args.concurrency)
            .map(|_| {
                if args.resume {
                    let mut c = (*base).clone();
                    c.resumption = Resumption::store(Arc::new(ClientSessionMemoryCache::new(4)));
                    Arc::new(c)
                } else {
                    base.clone()
                }
            })
            .collect();
        Ok(GroupRun {
            group,
            base,
            workers,
            all: Shared::new()?,
            seconds: 0.0,
            cpu: 0.0,
            server_cpu: args.server_pid.map(|_| 0.0),
            rounds: Vec::new(),
            done: false,
        })
    }

    /// The warm-up: `warmup` handshakes, not counted. The first alone (the cold start),
    /// then half of the rest one at a time and the other half shared by `concurrency`
    /// threads, those two timed for the [`ConcurrencyCheck`]. Stops at the first error
    /// (the measurement then records it) and then returns no timing.
    fn warm_up(&self, peer: &Peer<'_>, warmup: u64, concurrency: usize) -> Option<Calibration> {
        if warmup == 0 || one(peer, &self.base).is_err() {
            return None;
        }
        let rest = warmup - 1;
        let serial = rest / 2;
        let concurrent = rest - serial;
        let t = Instant::now();
        for _ in 0..serial {
            one(peer, &self.base).ok()?;
        }
        let serial_seconds = t.elapsed().as_secs_f64();
        let started = AtomicU64::new(0);
        let failed = AtomicBool::new(false);
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..concurrency {
                s.spawn(|| {
                    while !failed.load(Ordering::SeqCst)
                        && started.fetch_add(1, Ordering::SeqCst) < concurrent
                    {
                        if one(peer, &self.base).is_err() {
                            failed.store(true, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        let concurrent_seconds = t.elapsed().as_secs_f64();
        (!failed.load(Ordering::SeqCst)).then_some(Calibration {
            serial,
            serial_seconds,
            concurrent,
            concurrent_seconds,
        })
    }

    /// One turn: `concurrency` workers until `deadline` has passed or `limit` handshakes
    /// have started.
    #[allow(clippy::too_many_arguments)]
    fn turn(
        &mut self,
        peer: &Peer<'_>,
        round: u32,
        run_started: Instant,
        limit: Option<u64>,
        deadline: Option<Duration>,
        server: Option<&ServerClock>,
        bar: Option<&indicatif::ProgressBar>,
    ) -> Result<(), Failure> {
        let started_handshakes = AtomicU64::new(0);
        let shared = Mutex::new(Shared::new()?);
        let started_seconds = run_started.elapsed().as_secs_f64();
        let server_before = server.and_then(ServerClock::seconds);
        let cpu_before = cpu_time::ProcessTime::try_now().ok();
        let started = Instant::now();
        std::thread::scope(|s| {
            for config in &self.workers {
                let (shared, started_handshakes) = (&shared, &started_handshakes);
                s.spawn(move || loop {
                    if deadline.is_some_and(|d| started.elapsed() >= d) {
                        break;
                    }
                    if limit.is_some_and(|l| started_handshakes.fetch_add(1, Ordering::SeqCst) >= l)
                    {
                        break;
                    }
                    let outcome = one(peer, config);
                    let Ok(mut sh) = shared.lock() else { break };
                    match outcome {
                        Ok(o) => {
                            let us = u64::try_from(o.latency.as_micros()).unwrap_or(u64::MAX);
                            // Saturates at the histogram's upper bound (60 s).
                            sh.histogram.saturating_record(us.max(1));
                            sh.sent += o.sent;
                            sh.received += o.received;
                            sh.hrr += u64::from(o.hrr);
                            sh.resumed += u64::from(o.resumed);
                        }
                        Err(Refusal {
                            failure: f,
                            not_accepted,
                            closed_unanswered,
                        }) => {
                            sh.errors.add(&f);
                            sh.not_closed += u64::from(!closed_unanswered);
                            if sh.first_failure.is_none() {
                                sh.first_failure = Some(f.clone());
                                sh.first_not_accepted = not_accepted;
                            }
                            // A server that is not there stays not there, one that
                            // turned the group down will not accept it, nor will one
                            // that refused it 50 times without a single success: stop
                            // early rather than spin on errors.
                            if sh.histogram.is_empty()
                                && (f.is_connection_level()
                                    || not_accepted
                                    || sh.errors.total() >= 50)
                            {
                                break;
                            }
                        }
                    }
                    drop(sh);
                    if let Some(b) = bar {
                        if limit.is_some() {
                            b.inc(1);
                        } else {
                            b.set_position(started.elapsed().as_millis() as u64);
                        }
                    }
                });
            }
        });
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_before.map_or(0.0, |t| t.elapsed().as_secs_f64());
        // The server's share of the turn; a server that exited (or could not be read)
        // has no figure from then on, rather than a wrong one.
        let server_cpu = match (server_before, server.and_then(ServerClock::seconds)) {
            (Some(before), Some(after)) => Some((after - before).max(0.0)),
            _ => None,
        };
        self.server_cpu = self.server_cpu.zip(server_cpu).map(|(a, b)| a + b);
        let sh = shared
            .into_inner()
            .map_err(|_| Failure::Other("a benchmark thread failed".into()))?;
        let n = sh.histogram.len();
        self.rounds.push(RoundResult {
            round,
            started_seconds,
            seconds,
            handshakes: n,
            handshakes_per_second: if seconds > 0.0 {
                n as f64 / seconds
            } else {
                0.0
            },
            latency_ms: Latency::of(&sh.histogram),
            client_cpu_ms_per_handshake: if n == 0 { 0.0 } else { cpu * 1000.0 / n as f64 },
            server_cpu_ms_per_handshake: server_cpu
                .filter(|_| n > 0)
                .map(|c| c * 1000.0 / n as f64),
            errors: sh.errors.total(),
        });
        self.done = n == 0;
        self.seconds += seconds;
        self.cpu += cpu;
        let all = &mut self.all;
        all.histogram
            .add(&sh.histogram)
            .map_err(|e| Failure::Other(format!("histogram: {e}")))?;
        all.sent += sh.sent;
        all.received += sh.received;
        all.hrr += sh.hrr;
        all.resumed += sh.resumed;
        all.errors.merge(&sh.errors);
        all.not_closed += sh.not_closed;
        if all.first_failure.is_none() {
            all.first_failure = sh.first_failure;
            all.first_not_accepted = sh.first_not_accepted;
        }
        Ok(())
    }

    /// The group's results: medians and spreads over the rounds, totals over all.
    fn result(self) -> GroupResult {
        let all = self.all;
        let h = &all.histogram;
        let n = h.len();
        let per = |x: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
        // Throughput over every turn; latency and CPU over the turns that completed one.
        let rate: Vec<f64> = self
            .rounds
            .iter()
            .map(|r| r.handshakes_per_second)
            .collect();
        let measured: Vec<&RoundResult> = self.rounds.iter().filter(|r| r.handshakes > 0).collect();
        let of =
            |f: fn(&RoundResult) -> f64| -> Vec<f64> { measured.iter().map(|r| f(r)).collect() };
        let (p50, p90, p99, cpu) = (
            of(|r| r.latency_ms.p50),
            of(|r| r.latency_ms.p90),
            of(|r| r.latency_ms.p99),
            of(|r| r.client_cpu_ms_per_handshake),
        );
        // Only when every measured round has the server's figure.
        let server_cpu: Option<Vec<f64>> = self
            .server_cpu
            .and_then(|_| {
                measured
                    .iter()
                    .map(|r| r.server_cpu_ms_per_handshake)
                    .collect()
            })
            .filter(|v: &Vec<f64>| !v.is_empty());
        let total = Latency::of(h);
        let status = if n > 0 {
            Status::Ok
        } else if all.first_not_accepted {
            Status::NotAccepted
        } else {
            Status::Failed
        };
        let closed_only = all.errors.total() > 0 && all.not_closed == 0;
        GroupResult {
            group: self.group.name,
            code: format!("0x{:04x}", self.group.code),
            status,
            handshakes: n,
            resumed: all.resumed,
            seconds: self.seconds,
            handshakes_per_second: median(&rate),
            latency_ms: Latency {
                p50: median(&p50),
                p90: median(&p90),
                p99: median(&p99),
                max: total.max,
                mean: total.mean,
            },
            bytes_sent_per_handshake: per(all.sent),
            bytes_received_per_handshake: per(all.received),
            hello_retry_requests: all.hrr,
            first_error: all.first_failure.as_ref().map(|f| f.message().to_string()),
            errors: all.errors,
            client_cpu_seconds: self.cpu,
            client_cpu_ms_per_handshake: median(&cpu),
            server_cpu_seconds: self.server_cpu,
            server_cpu_ms_per_handshake: server_cpu.as_deref().map(median),
            spread: (!measured.is_empty()).then(|| Spread {
                handshakes_per_second: range(&rate),
                p50_ms: range(&p50),
                p90_ms: range(&p90),
                p99_ms: range(&p99),
                client_cpu_ms_per_handshake: range(&cpu),
                server_cpu_ms_per_handshake: server_cpu.as_deref().map(range),
            }),
            rounds: self.rounds,
            cdf: cdf(h),
            closed_only,
            first_failure: all.first_failure,
        }
    }
}

/// The median (of an even count, the mean of the middle two); 0 for none.
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The smallest and largest; zeros for none.
fn range(v: &[f64]) -> Range {
    if v.is_empty() {
        return Range::default();
    }
    Range {
        min: v.iter().copied().fold(f64::INFINITY, f64::min),
        max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

/// (latency ms, percentile) points of `h`'s CDF: every 0.5 % to p99, then every 0.1 %
/// to p99.9.
fn cdf(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    (0..=198)
        .map(|i| f64::from(i) / 200.0)
        .chain((0..=9).map(|i| 0.99 + f64::from(i) / 1000.0))
        .map(|q| (ms(h.value_at_quantile(q)), q * 100.0))
        .collect()
}

/// `pqhkex bench`.
pub fn run(args: BenchArgs) -> Result<ExitCode, Failure> {
    let run_started = Instant::now();
    let timeout = crate::timeout_arg("--timeout", args.peer.timeout)?;
    if args.concurrency == 0 {
        return Err(Failure::Usage("--concurrency must be at least 1".into()));
    }
    if args.rounds == 0 {
        return Err(Failure::Usage("--rounds must be at least 1".into()));
    }
    let deadline = match (args.duration, args.handshakes) {
        (Some(d), _) => Some(crate::timeout_arg("--duration", d).map_err(|_| {
            Failure::Usage(format!(
                "--duration must be between 0 and 3600 seconds, got {d}"
            ))
        })?),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    if args.handshakes == Some(0) {
        return Err(Failure::Usage("--handshakes must be at least 1".into()));
    }
    if args.handshakes.is_some_and(|n| n < u64::from(args.rounds)) {
        return Err(Failure::Usage(format!(
            "--handshakes must be at least --rounds ({}): each round measures every group",
            args.rounds
        )));
    }
    let names: Vec<String> = if args.groups.is_empty() {
        DEFAULT_GROUPS.iter().map(|s| s.to_string()).collect()
    } else {
        args.groups.clone()
    };
    let groups = crate::parse_groups(&names)?;
    let target = Target::parse(&args.target)?;
    let addr = target.resolve()?;
    let name = target.server_name(args.peer.servername.as_deref())?;
    let info = RunInfo::collect(&groups);
    let server = args.server_pid.map(ServerClock::open).transpose()?;
    let peer = Peer {
        addr,
        name: &name,
        timeout,
        label: &target.input,
    };

    let roots = probe::root_store(args.ca.as_deref())?;
    let mut runs = groups
        .iter()
        .map(|g| GroupRun::new(g, &args, &roots))
        .collect::<Result<Vec<_>, _>>()?;

    // Warm-up, every group in turn, with the concurrency check's timings.
    let mut calibration: Option<Calibration> = None;
    for r in &runs {
        if let Some(c) = r.warm_up(&peer, args.warmup, args.concurrency) {
            let sum = calibration.get_or_insert_with(Calibration::default);
            sum.serial += c.serial;
            sum.serial_seconds += c.serial_seconds;
            sum.concurrent += c.concurrent;
            sum.concurrent_seconds += c.concurrent_seconds;
        }
    }
    let check = ConcurrencyCheck::judge(args.concurrency, args.warmup, calibration);
    let warnings: Vec<String> = check.warning(args.concurrency).into_iter().collect();
    for w in &warnings {
        eprintln!("{w}");
    }

    // The rounds: A B C A B C …
    let per_round = deadline.map(|d| d / args.rounds);
    for round in 1..=args.rounds {
        let limit = args.handshakes.map(|n| {
            let r = u64::from(args.rounds);
            n / r + u64::from(u64::from(round - 1) < n % r)
        });
        for r in runs.iter_mut().filter(|r| !r.done) {
            let bar = std::io::stderr().is_terminal().then(|| {
                let (len, unit) = match limit {
                    Some(n) => (n, "handshakes"),
                    None => (per_round.map_or(0, |d| d.as_millis() as u64), "ms"),
                };
                let bar = indicatif::ProgressBar::new(len);
                if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                    "{{spinner}} {:<20} round {round}/{} [{{bar:30}}] {{pos}}/{{len}} {unit}",
                    r.group.name, args.rounds
                )) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar
            });
            r.turn(
                &peer,
                round,
                run_started,
                limit,
                per_round,
                server.as_ref(),
                bar.as_ref(),
            )?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        }
    }
    let mut results: Vec<GroupResult> = runs.into_iter().map(GroupRun::result).collect();
    // The control: another group completed handshakes with the same server in this run,
    // so a group whose every ClientHello was answered by a close was turned down.
    if results.iter().any(|r| r.status == Status::Ok) {
        for r in results
            .iter_mut()
            .filter(|r| r.status == Status::Failed && r.closed_only)
        {
            r.status = Status::NotAccepted;
            r.first_error = Some(format!(
                "{}; it closed every connection offering this group in answer to the \
                 ClientHello, without an alert, and completed handshakes with other groups",
                r.first_error.as_deref().unwrap_or("closed")
            ));
        }
    }

    if let Some(path) = &args.svg {
        std::fs::write(path, svg(&target.input, args.rounds, &results))
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json {
        let doc = BenchJson {
            tool: "pqhkex",
            version: env!("CARGO_PKG_VERSION"),
            run: &info,
            target: &target.input,
            address: addr.to_string(),
            concurrency: args.concurrency,
            rounds: args.rounds,
            duration_limit_seconds: deadline.map(|d| d.as_secs_f64()),
            handshakes_limit: args.handshakes,
            warmup_handshakes: args.warmup,
            resume: args.resume,
            concurrency_check: &check,
            warnings: &warnings,
            server_pid: args.server_pid,
            groups: &results,
        };
        let text =
            serde_json::to_string_pretty(&doc).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
    } else {
        print_table(&target.input, addr, &args, &info, &results);
    }
    Ok(ExitCode::from(exit_code(&results, args.require_all)))
}

/// The run's exit code: that of the first group that never completed a handshake, but
/// a group the server did not accept counts only with `--require-all`, or when no group
/// at all was accepted (nothing was measured).
fn exit_code(results: &[GroupResult], require_all: bool) -> u8 {
    let none_accepted = results.iter().all(|r| r.status == Status::NotAccepted);
    results
        .iter()
        .filter(|r| match r.status {
            Status::Ok => false,
            Status::Failed => true,
            Status::NotAccepted => require_all || none_accepted,
        })
        .find_map(|r| r.first_failure.as_ref().map(Failure::exit_code))
        .unwrap_or(0)
}

fn print_table(
    target: &str,
    addr: SocketAddr,
    args: &BenchArgs,
    info: &RunInfo,
    results: &[GroupResult],
) {
    let per_round = match (args.duration, args.handshakes) {
        (_, Some(n)) => format!("{n} handshakes per group in all"),
        (Some(d), None) => format!("{d} s per group in all"),
        (None, None) => "10 s per group in all".to_string(),
    };
    outln!(
        "{target} ({addr}), concurrency {}, {} interleaved round{} ({per_round}), {}{}",
        args.concurrency,
        args.rounds,
        if args.rounds == 1 { "" } else { "s" },
        if args.resume {
            "resumed"
        } else {
            "full handshakes"
        },
        if args.warmup > 0 {
            format!(
                " ({} warm-up handshakes per group, not counted)",
                args.warmup
            )
        } else {
            String::new()
        }
    );
    outln!("run: {}", info.summary());
    // With --server-pid, one more column: the server's CPU per handshake.
    let server = args.server_pid.is_some();
    let srv = |v: Option<f64>| match (server, v) {
        (false, _) => String::new(),
        (true, Some(v)) => format!(" {v:>9.3}"),
        (true, None) => format!(" {:>9}", "-"),
    };
    outln!(
        "{:<20} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>4} {:>6} {:>9}{}",
        "group",
        "hs",
        "hs/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "sent B",
        "recv B",
        "HRR",
        "errors",
        "cpu ms/hs",
        if server {
            format!(" {:>9}", "srv ms/hs")
        } else {
            String::new()
        }
    );
    for r in results {
        match r.status {
            Status::NotAccepted => outln!("{:<20} not accepted by the server", r.group),
            Status::Failed => outln!(
                "{:<20} failed: {} errors, no handshake",
                r.group,
                r.errors.total()
            ),
            Status::Ok => outln!(
                "{:<20} {:>7} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.0} {:>7.0} {:>4} {:>6} {:>9.3}{}",
                r.group,
                r.handshakes,
                r.handshakes_per_second,
                r.latency_ms.p50,
                r.latency_ms.p90,
                r.latency_ms.p99,
                r.latency_ms.max,
                r.bytes_sent_per_handshake,
                r.bytes_received_per_handshake,
                r.hello_retry_requests,
                r.errors.total(),
                r.client_cpu_ms_per_handshake,
                srv(r.server_cpu_ms_per_handshake)
            ),
        }
    }
    if args.rounds > 1 {
        outln!(
            "hs/s, p50, p90, p99 and cpu ms/hs are medians over the rounds; their spread \
             (min-max over rounds):"
        );
        let span = |r: Range, prec: usize| format!("{:.prec$}-{:.prec$}", r.min, r.max);
        outln!(
            "{:<20} {:>15} {:>13} {:>13} {:>13} {:>13}{}",
            "group",
            "hs/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "cpu ms/hs",
            if server {
                format!(" {:>13}", "srv ms/hs")
            } else {
                String::new()
            }
        );
        for r in results {
            if let (Status::Ok, Some(s)) = (r.status, &r.spread) {
                let srv_span = match (server, s.server_cpu_ms_per_handshake) {
                    (false, _) => String::new(),
                    (true, Some(x)) => format!(" {:>13}", span(x, 3)),
                    (true, None) => format!(" {:>13}", "-"),
                };
                outln!(
                    "{:<20} {:>15} {:>13} {:>13} {:>13} {:>13}{}",
                    r.group,
                    span(s.handshakes_per_second, 1),
                    span(s.p50_ms, 2),
                    span(s.p90_ms, 2),
                    span(s.p99_ms, 2),
                    span(s.client_cpu_ms_per_handshake, 3),
                    srv_span
                );
            }
        }
    }
    for r in results.iter().filter(|r| r.status == Status::NotAccepted) {
        outln!(
            "{}: not accepted by the server ({})",
            r.group,
            r.first_error.as_deref().unwrap_or("")
        );
    }
    for r in results
        .iter()
        .filter(|r| r.errors.total() > 0 && r.status != Status::NotAccepted)
    {
        let e = &r.errors;
        outln!(
            "{}: {} errors (refused {}, timeout {}, alert {}, not TLS {}, other {}); first: {}",
            r.group,
            e.total(),
            e.refused,
            e.timeout,
            e.alert,
            e.not_tls,
            e.other,
            r.first_error.as_deref().unwrap_or("")
        );
    }
    if args.resume {
        for r in results.iter().filter(|r| r.status != Status::NotAccepted) {
            outln!("{}: {} of {} resumed", r.group, r.resumed, r.handshakes);
        }
    }
    outln!("(cpu ms/hs: this client's CPU per handshake; near the latency means the client is the bottleneck)");
    if server {
        outln!(
            "(srv ms/hs: the server process's CPU per handshake, from /proc/{}/stat in 10 ms ticks)",
            args.server_pid.unwrap_or_default()
        );
    }
}

/// Escapes text for SVG (XML character data and attribute values).
/// Text for the SVG (labels hold what a server said): XML-escaped, control characters
/// included.
fn esc(s: &str) -> String {
    pqhkex_inventory::junit::xml_escape(s)
}

/// A tick step of 1, 2 or 5 times a power of ten, the smallest not below `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = if raw.is_finite() && raw > 0.0 {
        raw
    } else {
        1.0
    };
    let p = 10f64.powf(raw.log10().floor());
    let f = raw / p;
    let m = if f <= 1.0 + 1e-9 {
        1.0
    } else if f <= 2.0 + 1e-9 {
        2.0
    } else if f <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    m * p
}

/// An axis covering `lo..=hi` with at most about `ticks` intervals: the tick values (all
/// multiples of one [`nice_step`]) and how many decimals to print them with.
fn nice_axis(lo: f64, hi: f64, ticks: u32) -> (Vec<f64>, usize) {
    let hi = if hi > lo { hi } else { lo + lo.abs().max(1.0) };
    let step = nice_step((hi - lo) / f64::from(ticks.max(1)));
    let (first, last) = ((lo / step).floor() as i64, (hi / step).ceil() as i64);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    ((first..=last).map(|k| k as f64 * step).collect(), decimals)
}

/// Two charts in one SVG: the latency CDF per group (legend to the right of the plot),
/// and handshakes/s per group, the bar at the median over rounds and the whisker from
/// the slowest to the fastest round.
fn svg(target: &str, rounds: u32, results: &[GroupResult]) -> String {
    const COLORS: &[&str] = &[
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
    ];
    let color = |i: usize| COLORS[i % COLORS.len()];
    let w = 900.0;
    let mut out = String::new();

    // The CDF, on the groups that completed handshakes: from the fastest handshake to
    // the slowest p99.9, on round ticks.
    let (left, top, pw, ph) = (60.0, 60.0, 560.0, 300.0);
    let shown: Vec<&GroupResult> = results.iter().filter(|r| !r.cdf.is_empty()).collect();
    let lo = shown
        .iter()
        .map(|r| r.cdf[0].0)
        .fold(f64::INFINITY, f64::min);
    let hi = shown
        .iter()
        .filter_map(|r| r.cdf.last().map(|p| p.0))
        .fold(0.0_f64, f64::max);
    let (xt, xdec) = if shown.is_empty() {
        nice_axis(0.0, 1.0, 5)
    } else {
        nice_axis(lo, hi, 6)
    };
    let (x0, x1) = (xt[0], xt[xt.len() - 1]);
    let x = |v: f64| left + (v - x0) / (x1 - x0) * pw;
    let y = |p: f64| top + ph - p / 100.0 * ph;
    out += &format!(
        "<text x=\"{left}\" y=\"24\" font-size=\"15\">pqhkex bench {}: handshake latency CDF (to p99.9, all rounds)</text>\n",
        esc(target)
    );
    for p in [0.0, 20.0, 40.0, 60.0, 80.0, 100.0] {
        out += &format!(
            "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#e4e4e4\"/>\n\
             <text class=\"tick-y\" x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{p:.0}%</text>\n",
            y(p),
            left + pw,
            left - 6.0,
            y(p) + 4.0
        );
    }
    for v in &xt {
        out += &format!(
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#e4e4e4\"/>\n\
             <text class=\"tick-x\" x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{v:.xdec$}</text>\n",
            x(*v),
            top + ph,
            top + ph + 16.0
        );
    }
    out += &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">latency, connect to end of handshake (ms)</text>\n\
         <rect class=\"plot\" x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#888\"/>\n",
        left + pw / 2.0,
        top + ph + 36.0
    );
    for (i, r) in results.iter().enumerate() {
        if r.cdf.is_empty() {
            continue;
        }
        let points: Vec<String> = r
            .cdf
            .iter()
            .map(|(ms, p)| format!("{:.1},{:.1}", x(*ms), y(*p)))
            .collect();
        out += &format!(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
            color(i),
            points.join(" ")
        );
    }
    // The legend, outside the plot, to its right.
    let (lx, lw, row) = (left + pw + 20.0, 250.0, 34.0);
    let lh = 16.0 + row * results.len() as f64 + 16.0;
    out += &format!(
        "<g class=\"legend\">\n<rect class=\"legend-box\" x=\"{lx}\" y=\"{top}\" width=\"{lw}\" height=\"{lh}\" fill=\"none\" stroke=\"#bbb\"/>\n"
    );
    for (i, r) in results.iter().enumerate() {
        let ly = top + 22.0 + row * i as f64;
        let (stroke, dash, detail) = match r.status {
            Status::Ok => (
                color(i),
                "",
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms",
                    r.latency_ms.p50, r.latency_ms.p99
                ),
            ),
            Status::NotAccepted => (
                "#999",
                " stroke-dasharray=\"3,3\"",
                "not accepted by the server".into(),
            ),
            Status::Failed => (
                "#999",
                " stroke-dasharray=\"3,3\"",
                format!("failed: {} errors, no handshake", r.errors.total()),
            ),
        };
        out += &format!(
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{stroke}\" stroke-width=\"3\"{dash}/>\n\
             <text x=\"{3}\" y=\"{4}\">{5}</text>\n\
             <text x=\"{3}\" y=\"{6}\" font-size=\"11\" fill=\"{7}\">{8}</text>\n",
            lx + 10.0,
            ly - 4.0,
            lx + 34.0,
            lx + 42.0,
            ly,
            esc(r.group),
            ly + 14.0,
            if r.status == Status::Ok { "#444" } else { "#999" },
            esc(&detail),
        );
    }
    out += &format!(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#444\">p50, p99: medians over {rounds} round{}</text>\n</g>\n",
        lx + 10.0,
        top + lh - 8.0,
        if rounds == 1 { "" } else { "s" }
    );

    // Handshakes/s per group, with the spread over rounds.
    let (bleft, bpw) = (170.0, 450.0);
    let btop = top + ph + 100.0;
    let row = 30.0;
    let bph = 10.0 + row * results.len() as f64;
    let fastest = results
        .iter()
        .filter_map(|r| r.spread.as_ref().map(|s| s.handshakes_per_second.max))
        .fold(0.0_f64, f64::max);
    let (bt, bdec) = nice_axis(0.0, fastest.max(1.0), 5);
    let bx1 = bt[bt.len() - 1];
    let bx = |v: f64| bleft + v / bx1 * bpw;
    out += &format!(
        "<text x=\"{left}\" y=\"{}\" font-size=\"15\">handshakes/s per group: bar at the median of {rounds} round{}, whisker from the slowest to the fastest</text>\n",
        btop - 16.0,
        if rounds == 1 { "" } else { "s" }
    );
    for v in &bt {
        out += &format!(
            "<line x1=\"{0:.1}\" y1=\"{btop}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#e4e4e4\"/>\n\
             <text class=\"tick-bar\" x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{v:.bdec$}</text>\n",
            bx(*v),
            btop + bph,
            btop + bph + 16.0
        );
    }
    out += &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">handshakes per second</text>\n\
         <rect class=\"bars\" x=\"{bleft}\" y=\"{btop}\" width=\"{bpw}\" height=\"{bph}\" fill=\"none\" stroke=\"#888\"/>\n",
        bleft + bpw / 2.0,
        btop + bph + 36.0
    );
    for (i, r) in results.iter().enumerate() {
        let yy = btop + 10.0 + row * i as f64;
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            bleft - 8.0,
            yy + 14.0,
            esc(r.group)
        );
        match (&r.spread, r.status) {
            (Some(s), Status::Ok) => {
                let hs = &s.handshakes_per_second;
                let (mid, a, b) = (yy + 10.0, bx(hs.min), bx(hs.max));
                out += &format!(
                    "<rect x=\"{bleft}\" y=\"{yy}\" width=\"{:.1}\" height=\"20\" fill=\"{}\" fill-opacity=\"0.75\"/>\n\
                     <path d=\"M{a:.1},{mid} H{b:.1} M{a:.1},{:.1} V{:.1} M{b:.1},{:.1} V{:.1}\" stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"/>\n\
                     <text x=\"{:.1}\" y=\"{:.1}\">{:.0} ({:.0}-{:.0})</text>\n",
                    bx(r.handshakes_per_second) - bleft,
                    color(i),
                    mid - 6.0,
                    mid + 6.0,
                    mid - 6.0,
                    mid + 6.0,
                    b.max(bx(r.handshakes_per_second)) + 6.0,
                    yy + 14.0,
                    r.handshakes_per_second,
                    hs.min,
                    hs.max
                );
            }
            _ => {
                let what = if r.status == Status::NotAccepted {
                    "not accepted by the server".to_string()
                } else {
                    format!("failed: {} errors, no handshake", r.errors.total())
                };
                out += &format!(
                    "<text x=\"{}\" y=\"{}\" fill=\"#999\" font-style=\"italic\">{}</text>\n",
                    bleft + 6.0,
                    yy + 14.0,
                    esc(&what)
                );
            }
        }
    }
    let h = btop + bph + 50.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{out}</svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ranges() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let r = range(&[3.0, 1.0, 2.0]);
        assert_eq!((r.min, r.max), (1.0, 3.0));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_step(0.42), 0.5);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(7.0), 10.0);
        let (t, d) = nice_axis(0.57, 3.3, 6);
        assert_eq!(d, 1);
        assert_eq!(t.first().copied(), Some(0.5));
        assert!((t.last().unwrap() - 3.5).abs() < 1e-9, "{t:?}");
        let (t, d) = nice_axis(0.0, 2461.7, 5);
        assert_eq!((t.last().copied(), d), (Some(2500.0), 0));
    }

    /// proc(5)'s stat line: the name may hold spaces and parentheses; utime and stime
    /// are fields 14 and 15.
    #[test]
    fn server_cpu_from_proc_stat() {
        let fields: Vec<String> = (3..=52).map(|i| i.to_string()).collect();
        let line = |name: &str| format!("4242 ({name}) {}\n", fields.join(" "));
        // Fields 14 and 15 hold "14" and "15" here.
        assert_eq!(stat_cpu_ticks(&line("pqhkex")), Some(29));
        assert_eq!(stat_cpu_ticks(&line("a) (b 1 2 3")), Some(29));
        let real = "1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 250 120 5 6 20 0 1 0 7 8 9";
        assert_eq!(stat_cpu_ticks(real), Some(370));
        assert_eq!(stat_cpu_ticks("1 (x) S 0 1"), None);
        assert_eq!(stat_cpu_ticks("no parenthesis at all"), None);
        assert_eq!(
            stat_cpu_ticks("1 (x) S 0 1 1 0 -1 4 1 2 3 4 x 120 5"),
            None,
            "a field that is not a number"
        );
        // This process's own line parses, and its CPU time only grows.
        let me = ServerClock::open(std::process::id()).unwrap();
        let a = me.seconds().unwrap();
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(60) {
            std::hint::black_box(spin.elapsed());
        }
        assert!(me.seconds().unwrap() >= a);
        assert!(ServerClock::open(u32::MAX).is_err());
    }

    #[test]
    fn cpu_model_from_cpuinfo() {
        let x86 =
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(
            cpu_model(x86).as_deref(),
            Some("Intel(R) Xeon(R) Processor")
        );
        let arm = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n";
        assert_eq!(
            cpu_model(arm).as_deref(),
            Some("CPU implementer 0x41 part 0xd0c")
        );
        assert_eq!(cpu_model("processor : 0\n"), None);
    }

    #[test]
    fn serialisation_is_judged_only_with_evidence() {
        let c = |serial_seconds, concurrent_seconds| {
            Some(Calibration {
                serial: 10,
                serial_seconds,
                concurrent: 10,
                concurrent_seconds,
            })
        };
        assert_eq!(
            ConcurrencyCheck::judge(1, 21, c(0.2, 0.2)).verdict,
            "not-judged"
        );
        assert_eq!(ConcurrencyCheck::judge(4, 0, None).verdict, "not-judged");
        assert_eq!(
            ConcurrencyCheck::judge(8, 21, c(0.2, 0.2)).verdict,
            "not-judged"
        );
        let serial = ConcurrencyCheck::judge(4, 21, c(0.2, 0.21));
        assert_eq!(serial.verdict, "serialised");
        assert!(serial.warning(4).is_some());
        let concurrent = ConcurrencyCheck::judge(4, 21, c(0.2, 0.06));
        assert_eq!(concurrent.verdict, "concurrent");
        assert!(concurrent.warning(4).is_none());
    }
}
