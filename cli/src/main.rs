//! `pqhkex` — is this TLS endpoint, is this connection, post-quantum?
//!
//! Subcommands: `demo`, `groups`, `serve`, `connect`, `scan`, `bench`. See `pqhkex --help` and
//! the README section "Command line".
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other error (bad certificate file, I/O error writing output, …) |
//! | 2 | usage error (unknown option, unknown group name, …) |
//! | 3 | host unreachable (name does not resolve, connection refused, no route) |
//! | 4 | timeout (connecting, or waiting for the peer during the handshake) |
//! | 5 | the peer does not speak TLS (or, for `ssh://`, SSH) |
//! | 6 | the peer speaks TLS 1.2 or an older TLS only: no post-quantum key exchange is possible |
//! | 7 | the peer's certificate was not trusted (`connect` only; `scan` never trusts) |
//! | 8 | the handshake failed (policy not met, alert from the peer, a peer that broke the protocol); `scan`: no offer led to a key exchange, or an SSH exchange did not verify |
//! | 9 | `scan`: a target was reached but its classification is undetermined (some probes failed without evidence or were not run) |
//! | 10 | `scan`/`report --require`: a reached target does not meet a required level, or its evidence does not decide |
//!
//! `scan` exits 0 when every target was reached and fully determined (TLS 1.3, whatever
//! its groups; SSH); otherwise with the code of the first target (in input order) that
//! had a problem. With `--require` the gate decides instead: 0 when every target meets
//! every level, 10 when a reached target falls short or is undetermined, else (only
//! targets not reached fall short) the first such target's code (3, 4, 5).
#![forbid(unsafe_code)]

/// `println!` that ignores a closed stdout (e.g. `pqhkex groups | head`) instead of
/// panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod bench;
mod connect;
mod demo;
mod groups_cmd;
mod inputs;
#[cfg(feature = "quic")]
mod quic;
mod report;
mod scan;
mod serve;
mod term;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use pqhkex_inventory::Failure;

const EXIT_CODES: &str = "Exit codes: 0 success; 1 other error; 2 usage; 3 host unreachable; \
4 timeout; 5 peer is not TLS (or SSH); 6 peer speaks TLS 1.2 or older only; 7 certificate not \
trusted (connect); 8 handshake failed (policy not met, alert, broken peer; scan: no offer led to a \
key exchange, SSH exchange did not verify); 9 scan: verdict undetermined; 10 --require: a reached \
target does not meet a level or is undetermined. scan: the code of the first target that was not \
fully determined over TLS 1.3 or SSH, else 0; with --require: 0, 10, or (only unreached targets \
fall short) the first one's code.";

/// Post-quantum hybrid key exchange for rustls: demo, inventory and diagnostics.
#[derive(Parser, Debug)]
#[command(name = "pqhkex", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Loopback TLS 1.3 server and client negotiating X25519MLKEM768; prints the group,
    /// share sizes and handshake time.
    Demo,
    /// Every key-exchange group pqhkex knows: codepoint, components, share sizes, NIST
    /// category, quantum safety, specification.
    Groups {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A TLS server that logs each connection's negotiated group (one line per
    /// connection on stdout) and answers HTTP requests with the same line.
    Serve(ServeArgs),
    /// Connect to a TLS server and report the negotiated key exchange.
    Connect(ConnectArgs),
    /// Probe endpoints: which groups each accepts, what it picks from a browser-like
    /// offer, and whether it is post-quantum. Table, JSON or CycloneDX 1.6 CBOM.
    Scan(ScanArgs),
    /// Load generator: full (or resumed) TLS 1.3 handshakes against any server, group
    /// by group: handshakes/s, latency percentiles, bytes, errors, client CPU.
    Bench(BenchArgs),
    /// Saved scans (`scan --json` or `--jsonl`) back as the table, JSON, JUnit, HTML or
    /// CBOM, with the `--require` gate, without rescanning; `report merge` combines
    /// shards.
    Report(report::ReportArgs),
}

/// Group policy (see `pqhkex::Policy`).
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum PolicyArg {
    /// Hybrid groups first, classical ones as a fallback.
    Prefer,
    /// Post-quantum groups only (hybrids, ML-KEM-768, ML-KEM-1024), TLS 1.3 only.
    Require,
    /// Hybrid groups only, TLS 1.3 only.
    Hybrid,
    /// The CNSA 2.0 profile: MLKEM1024 and SecP384r1MLKEM1024 only, TLS 1.3 only.
    Cnsa2,
    /// Classical groups only.
    Classical,
}

impl PolicyArg {
    fn policy(self) -> pqhkex::Policy {
        match self {
            PolicyArg::Prefer => pqhkex::Policy::PreferPostQuantum,
            PolicyArg::Require => pqhkex::Policy::RequirePostQuantum,
            PolicyArg::Hybrid => pqhkex::Policy::RequireHybrid,
            PolicyArg::Cnsa2 => pqhkex::Policy::Cnsa2,
            PolicyArg::Classical => pqhkex::Policy::Classical,
        }
    }
}

/// Protocol versions.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum TlsVersions {
    /// TLS 1.3 only.
    #[value(name = "1.3")]
    V13,
    /// TLS 1.2 only (no post-quantum group can be used).
    #[value(name = "1.2")]
    V12,
    /// TLS 1.2 and 1.3.
    #[value(name = "1.2,1.3")]
    Both,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Certificate chain (PEM). Without --cert/--key a self-signed certificate for
    /// localhost, 127.0.0.1 and ::1 is generated.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Write the generated self-signed certificate (PEM) here, for `connect --ca`.
    #[arg(long, conflicts_with = "cert")]
    cert_out: Option<PathBuf>,
    /// Groups to accept, in the server's preference order (comma-separated names,
    /// e.g. X25519MLKEM768,x25519). Default: the policy's groups.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Group policy.
    #[arg(long, value_enum, default_value = "prefer")]
    policy: PolicyArg,
    /// TLS protocol versions to accept. Default: the policy's.
    #[arg(long = "tls", value_enum)]
    tls: Option<TlsVersions>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Port to listen on (0: any free port; the port is printed).
    #[arg(long, default_value_t = 4433)]
    port: u16,
    /// Exit after this many connections (default: serve forever).
    #[arg(long)]
    max_connections: Option<u64>,
    /// Worker threads handling connections (default: 4 per available core). The accept
    /// loop feeds them through a bounded queue and waits when it is full.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    workers: Option<u32>,
    /// Seconds each client has for its handshake, and then again for its request
    /// (however slowly it sends). When every worker is busy, a new connection sheds the
    /// one in progress longest (if for a second or more).
    #[arg(long, default_value_t = 10.0)]
    client_timeout: f64,
    /// No per-connection log line.
    #[arg(long)]
    quiet: bool,
    /// Print per-group handshake statistics (handshakes, CPU seconds per handshake,
    /// handshakes/s per core) to stderr every --stats-interval seconds and at exit.
    #[arg(long)]
    stats: bool,
    /// Seconds between two statistics blocks (printed only when something changed).
    #[arg(long, default_value_t = 5.0)]
    stats_interval: f64,
    /// Also write the statistics as JSON to this file, rewritten at each print (implies
    /// --stats).
    #[arg(long)]
    stats_json: Option<PathBuf>,
    /// Serve Prometheus metrics (text format) at http://ADDR/metrics, e.g.
    /// 127.0.0.1:9898: per client, its post-quantum readiness from the ClientHello, the
    /// negotiated group, HelloRetryRequests and failures by reason (pqhkex::telemetry).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ConnectArgs {
    /// HOST:PORT (or HOST, port 443; IPv6 as [::1]:443).
    target: String,
    /// Groups to offer, most preferred first. Default: the policy's groups.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Group policy.
    #[arg(long, value_enum, default_value = "prefer")]
    policy: PolicyArg,
    /// Trust these CA certificates (PEM) instead of the built-in web PKI roots.
    #[arg(long, conflicts_with = "insecure")]
    ca: Option<PathBuf>,
    /// Do not fail on an untrusted certificate (the result is still reported).
    #[arg(long)]
    insecure: bool,
    #[command(flatten)]
    peer: PeerOpts,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Connect over QUIC (UDP; TLS 1.3 inside QUIC, RFC 9001) instead of TLS over TCP,
    /// and report the datagrams and bytes the handshake took.
    #[arg(long)]
    quic: bool,
    /// With --quic: application protocols to offer (ALPN), most preferred first;
    /// default h3 (QUIC servers refuse a handshake without ALPN).
    #[arg(long, value_delimiter = ',', requires = "quic")]
    alpn: Vec<String>,
}

/// How `connect` and `bench` reach the server.
#[derive(clap::Args, Debug)]
struct PeerOpts {
    /// Server name to send (SNI; `connect` also verifies the certificate against it);
    /// default: the host of TARGET.
    #[arg(long)]
    servername: Option<String>,
    /// Seconds the whole exchange may take: resolving the name, connecting, the
    /// handshake (every read and write) and the close.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Targets: HOST:PORT, HOST (port 443), https://HOST[:PORT]/…, tls://HOST[:PORT],
    /// quic://HOST[:PORT] (UDP port 443) or ssh://HOST[:PORT] (port 22); CIDR ranges
    /// (10.0.0.0/24, 2001:db8::/120: every address on each of --ports); `-`: read
    /// targets from stdin, one per line.
    targets: Vec<String>,
    /// Read more targets from this file (`-`: stdin): one target or CIDR range per
    /// line, `#` starts a comment.
    #[arg(long, visible_alias = "targets")]
    targets_file: Option<PathBuf>,
    #[command(flatten)]
    fleet: inputs::FleetArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write a CycloneDX 1.6 CBOM (JSON) of the key-exchange algorithms observed.
    #[arg(long)]
    cbom: Option<PathBuf>,
    /// How many targets to scan at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Seconds one probe may take in all: connecting, the handshake (every read and
    /// write) and the close; for an ssh:// target, the whole SSH probe.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Seconds one target may take in all: resolving its name and all its probes. A
    /// probe running when it is spent is cut short, later ones are not run (reported
    /// "not tested"), and the verdict is undetermined where it depended on them.
    #[arg(long, default_value_t = 60.0)]
    target_timeout: f64,
    /// CA certificates (PEM) to judge certificates by (reported only: scan never
    /// refuses a certificate). Default: the built-in web PKI roots.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Also offer each group without a key share (only a GREASE one, RFC 8701), to see
    /// whether the server asks for it by HelloRetryRequest.
    #[arg(long)]
    hrr: bool,
    /// Skip the split-ClientHello check (the browser-like post-quantum ClientHello sent
    /// again in two TCP segments 50 ms apart, and across TLS records of at most 512
    /// bytes, to find servers and middleboxes that only read it in one piece).
    #[arg(long)]
    no_split_check: bool,
    /// Probe the key exchange only: skip the rest of the endpoint's surface (TLS 1.2,
    /// 1.1 and 1.0 with their key exchanges and RSA key transport, the server's group
    /// preference, ML-DSA authentication when asked: about a dozen more short
    /// connections per target). The certificate chain is still reported.
    #[arg(long)]
    key_exchange_only: bool,
    /// Restrict the per-group probes to these groups (default: every group).
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Probe HOST:PORT, https:// and tls:// targets over QUIC (UDP) instead of TCP, as
    /// quic://HOST[:PORT] targets always are (TLS 1.3 only; ssh:// targets unaffected).
    #[arg(long)]
    quic: bool,
    #[command(flatten)]
    outputs: report::Outputs,
    /// Print one compact JSON target result per line (JSON Lines), each as soon as it
    /// and every earlier target are done, instead of the table.
    #[arg(long, conflicts_with = "json")]
    jsonl: bool,
}

/// The base provider of every TLS client and server of the command line: rustls's
/// *ring* provider (pqhkex supplies the key-exchange groups).
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(clap::Args, Debug)]
struct BenchArgs {
    /// HOST:PORT of any TLS 1.3 server.
    target: String,
    /// Groups to measure, one after another (default: x25519, X25519MLKEM768,
    /// SecP256r1MLKEM768, SecP384r1MLKEM1024, MLKEM1024).
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Connections in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Seconds per group (default 10 unless --handshakes is given; with both, whichever
    /// comes first).
    #[arg(long)]
    duration: Option<f64>,
    /// Handshakes per group (in all rounds together).
    #[arg(long)]
    handshakes: Option<u64>,
    /// Interleaved rounds: the groups are measured A B C A B C …, each turn lasting
    /// 1/N of --duration or --handshakes; each figure is the median over the rounds,
    /// with its min–max spread.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Warm-up handshakes per group, run before measuring and not counted, so that the
    /// first group does not absorb the cold start; half of them one at a time and half at
    /// --concurrency, to tell a server that handles handshakes one at a time.
    #[arg(long, default_value_t = 20)]
    warmup: u64,
    /// Fail the run (exit code of the refusal, 8) when the server does not accept one
    /// of the groups; by default such a group is reported as not accepted.
    #[arg(long)]
    require_all: bool,
    /// Resumed handshakes: each connection's first handshake is full, the next ones
    /// resume its session (PSK with (EC)DHE: the key exchange still runs).
    #[arg(long)]
    resume: bool,
    /// CA certificates (PEM); the certificate is checked but never required to be
    /// trusted (its signature over the handshake always is).
    #[arg(long)]
    ca: Option<PathBuf>,
    #[command(flatten)]
    peer: PeerOpts,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write an SVG: latency CDF per group, and handshakes/s per group with the spread
    /// over rounds.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Process id of the server, when it runs on this machine (Linux): its CPU time
    /// (user + system, all threads, from /proc/PID/stat) during each group's turns is
    /// reported per handshake, next to the client's.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
}

/// A `--timeout`-like option: at least 1 ms (a shorter one would round to nothing and
/// fail every exchange), at most an hour.
fn timeout_arg(option: &str, secs: f64) -> Result<Duration, Failure> {
    if secs.is_finite() && (0.001..=3600.0).contains(&secs) {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(Failure::Usage(format!(
            "{option} must be between 0.001 and 3600 seconds, got {secs}"
        )))
    }
}

/// Parses a comma-separated group list against pqhkex's table.
fn parse_groups(names: &[String]) -> Result<Vec<&'static pqhkex::Group>, Failure> {
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            pqhkex::groups::by_name(n.trim()).ok_or_else(|| {
                Failure::Usage(format!(
                    "unknown group {n:?}; `pqhkex groups` lists the known ones"
                ))
            })
        })
        .collect()
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Demo => demo::run().map(|()| ExitCode::SUCCESS),
        Command::Groups { json } => groups_cmd::run(json).map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Connect(args) => connect::run_connect(args),
        Command::Scan(args) => scan::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Report(args) => report::run(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("pqhkex: error: {}", term::message(f.message()));
            ExitCode::from(f.exit_code())
        }
    }
}
