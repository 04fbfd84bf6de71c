//! `pqhkex bench`: full (or resumed) TLS 1.3 handshakes against any server, group by
//! group, as fast as `--concurrency` connections allow; handshakes/s, latency
//! percentiles (HDR histogram), bytes per handshake, HelloRetryRequests, errors by kind,
//! and the client's own CPU time per handshake.
//!
//! Method: for each group in turn, `concurrency` threads each open a connection, run the
//! handshake offering that group alone (with its key share), close it, and start the
//! next, until `--duration` has passed or `--handshakes` completed. The latency of one
//! handshake runs from `connect()` to the end of the handshake (the close is not
//! counted). Unlike `openssl s_time`, which runs one connection at a time with the
//! server's choice of group, this keeps `concurrency` handshakes in flight and measures
//! each group apart.
//!
//! Before measuring, each group gets `--warmup` handshakes (at the same concurrency, not
//! counted). A group the server turns down (a handshake_failure or insufficient_security
//! alert in answer to the ClientHello) is reported as not accepted and does not fail the
//! run, unless `--require-all` is given or no group at all was accepted.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use pqhkex::Group;
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
}

/// One handshake's numbers.
struct One {
    latency: Duration,
    sent: u64,
    received: u64,
    hrr: bool,
    resumed: bool,
}

/// One handshake: connect, handshake, close (close_notify both ways, bounded wait, so
/// that session tickets are read and the server sees a clean end). Only the
/// handshake is timed; the certificate is not parsed (that would add client CPU to
/// every measured handshake).
fn one(
    addr: SocketAddr,
    name: &ServerName<'static>,
    config: &Arc<ClientConfig>,
    timeout: Duration,
    label: &str,
) -> Result<One, Refusal> {
    let c = probe::connect(
        label,
        addr,
        name.clone(),
        config.clone(),
        timeout,
        probe::Delivery::Whole,
    )
    .map_err(|e| Refusal {
        not_accepted: not_accepted(&e),
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
    c.close(timeout.min(Duration::from_secs(1)));
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

    fn total(&self) -> u64 {
        self.refused + self.timeout + self.alert + self.not_tls + self.other
    }
}

/// Latency percentiles, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
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

/// One group's results, in JSON.
#[derive(Clone, Debug, Serialize)]
pub struct GroupResult {
    /// The group offered.
    pub group: &'static str,
    /// Its codepoint.
    pub code: String,
    /// How the group's run ended.
    pub status: Status,
    /// Handshakes completed.
    pub handshakes: u64,
    /// Of those, resumed ones (`--resume`).
    pub resumed: u64,
    /// Wall-clock seconds of this group's run.
    pub seconds: f64,
    /// Completed handshakes per second of wall clock.
    pub handshakes_per_second: f64,
    /// Latency from connect to the end of the handshake.
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
    /// This process's CPU time (user + system) during the group's run.
    pub client_cpu_seconds: f64,
    /// That, per completed handshake, in milliseconds: compare it with the latency to
    /// see a saturated client.
    pub client_cpu_ms_per_handshake: f64,
    /// The latency CDF for `--svg`: (latency ms, percentile) points.
    #[serde(skip)]
    pub cdf: Vec<(f64, f64)>,
    #[serde(skip)]
    first_failure: Option<Failure>,
}

/// The whole run, in JSON.
#[derive(Serialize)]
struct BenchJson<'a> {
    tool: &'static str,
    version: &'static str,
    target: &'a str,
    address: String,
    concurrency: usize,
    duration_limit_seconds: Option<f64>,
    handshakes_limit: Option<u64>,
    warmup_handshakes: u64,
    resume: bool,
    groups: &'a [GroupResult],
}

/// What every worker adds to.
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
}

/// Runs one group.
#[allow(clippy::too_many_arguments)]
fn run_group(
    group: &'static Group,
    target: &Target,
    addr: SocketAddr,
    name: &ServerName<'static>,
    args: &BenchArgs,
    limit: Option<u64>,
    deadline: Option<Duration>,
    timeout: Duration,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<GroupResult, Failure> {
    let provider = crate::provider();
    let verifier = Recording::new(
        probe::webpki_verifier(probe::root_store(args.ca.as_deref())?, &provider)?,
        false,
    );
    let mut config =
        (*probe::client_config(&provider, &[group], probe::versions_for(&[group]), verifier)?)
            .clone();
    // Resumption is per worker (each has its own store), so that its first handshake is
    // full and the rest resume; without --resume every handshake is full.
    config.resumption = Resumption::disabled();
    let base = Arc::new(config);
    // The warm-up: `--warmup` handshakes shared by `concurrency` threads, not counted; a
    // thread stops warming up at its first error (the measurement then records it).
    let warmup_started = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..args.concurrency.max(1) {
            s.spawn(|| {
                while warmup_started.fetch_add(1, Ordering::SeqCst) < args.warmup {
                    if one(addr, name, &base, timeout, &target.input).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let started_handshakes = AtomicU64::new(0);
    let shared = Mutex::new(Shared {
        histogram: Histogram::new_with_bounds(1, 60_000_000, 3)
            .map_err(|e| Failure::Other(format!("histogram: {e}")))?,
        sent: 0,
        received: 0,
        hrr: 0,
        resumed: 0,
        errors: Errors::default(),
        first_failure: None,
        first_not_accepted: false,
    });
    let cpu_before = cpu_time::ProcessTime::try_now().ok();
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..args.concurrency.max(1) {
            s.spawn(|| {
                let config = if args.resume {
                    let mut c = (*base).clone();
                    c.resumption = Resumption::store(Arc::new(ClientSessionMemoryCache::new(4)));
                    Arc::new(c)
                } else {
                    base.clone()
                };
                loop {
                    if deadline.is_some_and(|d| started.elapsed() >= d) {
                        break;
                    }
                    if limit.is_some_and(|l| started_handshakes.fetch_add(1, Ordering::SeqCst) >= l)
                    {
                        break;
                    }
                    let outcome = one(addr, name, &config, timeout, &target.input);
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
                        }) => {
                            sh.errors.add(&f);
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
                            b.set_position(started.elapsed().as_secs());
                        }
                    }
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_before.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let sh = shared
        .into_inner()
        .map_err(|_| Failure::Other("a benchmark thread failed".into()))?;
    let h = &sh.histogram;
    let n = h.len();
    let ms = |us: u64| us as f64 / 1000.0;
    let per = |x: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    let latency = if n == 0 {
        Latency::default()
    } else {
        Latency {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    };
    let cdf = if n == 0 {
        Vec::new()
    } else {
        (0..=200)
            .map(|i| {
                let q = f64::from(i) / 200.0;
                (ms(h.value_at_quantile(q)), q * 100.0)
            })
            .collect()
    };
    let status = if n > 0 {
        Status::Ok
    } else if sh.first_not_accepted {
        Status::NotAccepted
    } else {
        Status::Failed
    };
    Ok(GroupResult {
        group: group.name,
        code: format!("0x{:04x}", group.code),
        status,
        handshakes: n,
        resumed: sh.resumed,
        seconds,
        handshakes_per_second: if seconds > 0.0 {
            n as f64 / seconds
        } else {
            0.0
        },
        latency_ms: latency,
        bytes_sent_per_handshake: per(sh.sent),
        bytes_received_per_handshake: per(sh.received),
        hello_retry_requests: sh.hrr,
        first_error: sh.first_failure.as_ref().map(|f| f.message().to_string()),
        errors: sh.errors,
        client_cpu_seconds: cpu,
        client_cpu_ms_per_handshake: if n == 0 { 0.0 } else { cpu * 1000.0 / n as f64 },
        cdf,
        first_failure: sh.first_failure,
    })
}

/// `pqhkex bench`.
pub fn run(args: BenchArgs) -> Result<ExitCode, Failure> {
    let timeout = crate::timeout_arg("--timeout", args.peer.timeout)?;
    if args.concurrency == 0 {
        return Err(Failure::Usage("--concurrency must be at least 1".into()));
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
    let names: Vec<String> = if args.groups.is_empty() {
        DEFAULT_GROUPS.iter().map(|s| s.to_string()).collect()
    } else {
        args.groups.clone()
    };
    let groups = crate::parse_groups(&names)?;
    let target = Target::parse(&args.target)?;
    let addr = target.resolve()?;
    let name = target.server_name(args.peer.servername.as_deref())?;

    let mut results = Vec::new();
    for g in &groups {
        let bar = std::io::stderr().is_terminal().then(|| {
            let (len, unit) = match args.handshakes {
                Some(n) => (n, "handshakes"),
                None => (deadline.map_or(0, |d| d.as_secs()), "s"),
            };
            let bar = indicatif::ProgressBar::new(len);
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "{{spinner}} {:<20} [{{bar:30}}] {{pos}}/{{len}} {unit}",
                g.name
            )) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        let r = run_group(
            g,
            &target,
            addr,
            &name,
            &args,
            args.handshakes,
            deadline,
            timeout,
            bar.as_ref(),
        )?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        results.push(r);
    }

    if let Some(path) = &args.svg {
        std::fs::write(path, svg(&target.input, &results))
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json {
        let doc = BenchJson {
            tool: "pqhkex",
            version: env!("CARGO_PKG_VERSION"),
            target: &target.input,
            address: addr.to_string(),
            concurrency: args.concurrency,
            duration_limit_seconds: deadline.map(|d| d.as_secs_f64()),
            handshakes_limit: args.handshakes,
            warmup_handshakes: args.warmup,
            resume: args.resume,
            groups: &results,
        };
        let text =
            serde_json::to_string_pretty(&doc).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
    } else {
        print_table(&target.input, addr, &args, &results);
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

fn print_table(target: &str, addr: SocketAddr, args: &BenchArgs, results: &[GroupResult]) {
    outln!(
        "{target} ({addr}), concurrency {}, {}{}{}",
        args.concurrency,
        match (args.duration, args.handshakes) {
            (_, Some(n)) => format!("{n} handshakes per group"),
            (Some(d), None) => format!("{d} s per group"),
            (None, None) => "10 s per group".to_string(),
        },
        if args.resume {
            ", resumed"
        } else {
            ", full handshakes"
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
    outln!(
        "{:<20} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>4} {:>6} {:>9}",
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
        "cpu ms/hs"
    );
    for r in results {
        if r.status == Status::NotAccepted {
            outln!("{:<20} not accepted by the server", r.group);
            continue;
        }
        outln!(
            "{:<20} {:>7} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.0} {:>7.0} {:>4} {:>6} {:>9.3}",
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
            r.client_cpu_ms_per_handshake
        );
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
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Two charts in one SVG: the latency CDF per group, and handshakes/s per group.
fn svg(target: &str, results: &[GroupResult]) -> String {
    const COLORS: &[&str] = &[
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
    ];
    let (w, h) = (760.0, 660.0);
    let (left, top, pw, ph) = (70.0, 50.0, 640.0, 300.0);
    let max_ms = results
        .iter()
        .map(|r| r.latency_ms.p99.max(r.latency_ms.p50))
        .fold(0.0_f64, f64::max)
        .max(0.001)
        * 1.1;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"20\" font-size=\"15\">pqhkex bench {}: handshake latency CDF (to p99)</text>\n",
        esc(target)
    );
    out += &format!(
        "<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#888\"/>\n"
    );
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let y = top + ph - f * ph;
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.0}%</text>\n",
            left - 6.0,
            y + 4.0,
            f * 100.0
        );
        let x = left + f * pw;
        out += &format!(
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{:.2} ms</text>\n",
            top + ph + 16.0,
            f * max_ms
        );
    }
    for (i, r) in results.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = r
            .cdf
            .iter()
            .filter(|(ms, p)| *ms <= max_ms && *p <= 99.0)
            .map(|(ms, p)| {
                format!(
                    "{:.1},{:.1}",
                    left + ms / max_ms * pw,
                    top + ph - p / 100.0 * ph
                )
            })
            .collect();
        if !points.is_empty() {
            out += &format!(
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>\n",
                points.join(" ")
            );
        }
        let legend = match r.status {
            Status::Ok => format!(
                "p50 {:.2} ms, p99 {:.2} ms",
                r.latency_ms.p50, r.latency_ms.p99
            ),
            Status::NotAccepted => "not accepted".to_string(),
            Status::Failed => "failed".to_string(),
        };
        out += &format!(
            "<text x=\"{}\" y=\"{}\" fill=\"{color}\">{} ({legend})</text>\n",
            left + 10.0,
            top + 16.0 + 15.0 * i as f64,
            esc(r.group),
        );
    }
    // Bars: handshakes/s.
    let btop = top + ph + 60.0;
    let bh = 22.0;
    let max_rate = results
        .iter()
        .map(|r| r.handshakes_per_second)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    out += &format!(
        "<text x=\"{left}\" y=\"{}\" font-size=\"15\">handshakes/s</text>\n",
        btop - 12.0
    );
    for (i, r) in results.iter().enumerate() {
        let y = btop + i as f64 * (bh + 8.0);
        let bw = r.handshakes_per_second / max_rate * (pw - 160.0);
        let value = match r.status {
            Status::Ok => format!("{:.0}", r.handshakes_per_second),
            Status::NotAccepted => "not accepted".to_string(),
            Status::Failed => "failed".to_string(),
        };
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{}\" y=\"{y}\" width=\"{bw:.1}\" height=\"{bh}\" fill=\"{}\"/>\n\
             <text x=\"{}\" y=\"{}\">{value}</text>\n",
            left + 120.0,
            y + 15.0,
            esc(r.group),
            left + 126.0,
            COLORS[i % COLORS.len()],
            left + 132.0 + bw,
            y + 15.0,
        );
    }
    out += "</svg>\n";
    out
}
