//! `pqhkex scan`: which key-exchange groups does each endpoint accept?
//!
//! For each target, one handshake with a browser-like offer (X25519MLKEM768, x25519,
//! secp256r1, secp384r1, with key shares for the first two, TLS 1.3 and 1.2, as
//! current Chrome and Firefox send), then one handshake per group offering that group
//! alone (TLS 1.3 only for post-quantum groups). With `--hrr`, each group is also
//! offered without a key share, to see the server ask for it by HelloRetryRequest. The
//! certificate is never trusted nor required to be: its web PKI verdict is only reported.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pqhkex::Group;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::ProtocolVersion;
use serde::Serialize;

use crate::client::{self, Handshake, Recording, Target};
use crate::failure::{Failure, FailureKind};
use crate::groups_cmd::kind_name;
use crate::ScanArgs;

/// What a browser offers today: X25519MLKEM768 and x25519 key shares, then the NIST
/// curves; TLS 1.3 and 1.2.
pub fn browser_offer() -> Vec<&'static Group> {
    use pqhkex::groups::*;
    vec![&X25519MLKEM768, &X25519, &SECP256R1, &SECP384R1]
}

/// A GREASE key-exchange group (RFC 8701 §2: 0x0A0A is reserved so that servers must
/// ignore it). Offered first with a 1-byte share, it makes the real group that follows
/// an offer *without a key share*: a server supporting that group must answer with a
/// HelloRetryRequest for it (RFC 8446 §4.1.4).
#[derive(Debug)]
struct Grease;

const GREASE_GROUP: rustls::NamedGroup = rustls::NamedGroup::Unknown(0x0a0a);

impl SupportedKxGroup for Grease {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        Ok(Box::new(GreaseShare))
    }

    fn name(&self) -> rustls::NamedGroup {
        GREASE_GROUP
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        version == ProtocolVersion::TLSv1_3
    }
}

struct GreaseShare;

impl ActiveKeyExchange for GreaseShare {
    fn complete(self: Box<Self>, _peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
        // A server must never select a GREASE value (RFC 8701 §3).
        Err(rustls::PeerMisbehaved::SelectedUnofferedKxGroup.into())
    }

    fn pub_key(&self) -> &[u8] {
        &[0]
    }

    fn group(&self) -> rustls::NamedGroup {
        GREASE_GROUP
    }
}

static GREASE: &dyn SupportedKxGroup = &Grease;

/// The outcome of one probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeResult {
    /// A ServerHello for the offered key share.
    Accepted,
    /// Accepted, after the server asked for another key share (HelloRetryRequest).
    HelloRetryRequest,
    /// The server refused the handshake (alert, or closed the connection).
    Rejected,
    /// The probe could not be completed (timeout, connection lost).
    Error,
}

/// One probe's JSON.
#[derive(Clone, Debug, Serialize)]
pub struct Probe {
    /// The groups offered, in order.
    pub offered: Vec<&'static str>,
    pub result: ProbeResult,
    /// The group the server chose, when it accepted.
    pub group: Option<String>,
    pub group_code: Option<String>,
    pub post_quantum: Option<bool>,
    pub hybrid: Option<bool>,
    pub protocol: Option<String>,
    pub cipher_suite: Option<String>,
    /// Why it was rejected or failed.
    pub detail: Option<String>,
    #[serde(skip)]
    pub negotiated: Option<&'static Group>,
    #[serde(skip)]
    pub suite: Option<rustls::CipherSuite>,
    #[serde(skip)]
    pub version: Option<ProtocolVersion>,
}

/// A per-group probe: the group's metadata and the probe.
#[derive(Clone, Debug, Serialize)]
pub struct GroupProbe {
    pub name: &'static str,
    pub code: String,
    pub kind: &'static str,
    pub nist_category: Option<u8>,
    #[serde(flatten)]
    pub probe: Probe,
    /// With `--hrr`: the group offered without a key share (only a GREASE share), which
    /// a server supporting it must answer with a HelloRetryRequest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_key_share: Option<Probe>,
    #[serde(skip)]
    pub group: &'static Group,
}

/// The groups an endpoint accepted, by kind.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Accepted {
    pub hybrid: Vec<&'static str>,
    pub post_quantum: Vec<&'static str>,
    pub classical: Vec<&'static str>,
}

/// The certificate the endpoint presented.
#[derive(Clone, Debug, Serialize)]
pub struct CertInfo {
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// Whether it chains to the trusted roots (`--ca`, or the web PKI).
    pub trusted: Option<bool>,
    pub error: Option<String>,
}

/// A failure, in JSON.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorInfo {
    pub kind: FailureKind,
    pub message: String,
    pub exit_code: u8,
}

/// An endpoint's classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Accepts post-quantum groups (hybrid or pure ML-KEM) and no classical one.
    PqOnly,
    /// Accepts post-quantum and classical groups.
    PqAndClassical,
    /// Accepts classical groups only (over TLS 1.3).
    ClassicalOnly,
    /// Speaks TLS 1.2 only: no post-quantum group is possible.
    Tls12Only,
    /// Accepted none of the offered groups.
    NoCommonGroup,
    /// Could not be scanned.
    Unreachable,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::PqOnly => "pq-only",
            Class::PqAndClassical => "pq-and-classical",
            Class::ClassicalOnly => "classical-only",
            Class::Tls12Only => "tls12-only",
            Class::NoCommonGroup => "no-common-group",
            Class::Unreachable => "unreachable",
        }
    }
}

/// Everything found about one target.
#[derive(Clone, Debug, Serialize)]
pub struct TargetResult {
    pub target: String,
    pub address: Option<String>,
    pub status: &'static str,
    pub error: Option<ErrorInfo>,
    pub classification: Class,
    /// Whether the browser-like offer negotiated a post-quantum group.
    pub quantum_safe_by_default: bool,
    pub tls12_only: bool,
    pub default_offer: Option<Probe>,
    pub accepted: Accepted,
    pub groups: Vec<GroupProbe>,
    pub certificate: Option<CertInfo>,
    #[serde(skip)]
    pub failure: Option<Failure>,
}

/// The `schema_version` of `scan --json` output (schema/scan-v1.schema.json).
pub const SCHEMA_VERSION: &str = "1";

/// The whole scan, in JSON: the document `schema/scan-v1.schema.json` describes.
#[derive(Serialize)]
struct ScanJson<'a> {
    /// The version of the published schema this document follows.
    schema_version: &'static str,
    tool: &'static str,
    version: &'static str,
    timestamp: String,
    targets: &'a [TargetResult],
}

/// One handshake offering `offered` (after a GREASE group holding the only key share,
/// if `without_share`).
fn probe_once(
    target: &Target,
    addr: SocketAddr,
    offered: &[&'static Group],
    without_share: bool,
    verifier: &Arc<WebPkiServerVerifier>,
    timeout: Duration,
) -> (Probe, Option<Handshake>, Option<Failure>) {
    let names = offered.iter().map(|g| g.name).collect();
    let recording = Recording::new(verifier.clone(), false);
    let mut kx: Vec<&'static dyn SupportedKxGroup> = Vec::new();
    let mut versions = client::versions_for(offered);
    if without_share {
        kx.push(GREASE);
        versions = client::TLS13;
    }
    kx.extend(offered.iter().map(|g| pqhkex::rustls::kx_group(g)));
    let outcome = target
        .server_name(None)
        .map_err(client::ProbeError::from)
        .and_then(|name| {
            let config = client::client_config_kx(kx, versions, recording.clone())?;
            client::handshake(&target.input, addr, name, config, &recording, timeout)
        });
    match outcome {
        Ok(hs) => {
            let r = &hs.report;
            let probe = Probe {
                offered: names,
                result: if r.hello_retry_request == Some(true) {
                    ProbeResult::HelloRetryRequest
                } else {
                    ProbeResult::Accepted
                },
                group: Some(r.group_name()),
                group_code: r.group_code.map(|c| format!("0x{c:04x}")),
                post_quantum: Some(r.post_quantum),
                hybrid: Some(r.hybrid),
                protocol: r.protocol_version.map(client::version_name),
                cipher_suite: r.cipher_suite.map(client::suite_name),
                detail: None,
                negotiated: r.group,
                suite: r.cipher_suite,
                version: r.protocol_version,
            };
            (probe, Some(hs), None)
        }
        Err(e) => {
            let result = match e.failure {
                Failure::Timeout(_) | Failure::Unreachable(_) | Failure::Other(_) => {
                    ProbeResult::Error
                }
                _ => ProbeResult::Rejected,
            };
            let probe = Probe {
                offered: names,
                result,
                group: None,
                group_code: None,
                post_quantum: None,
                hybrid: None,
                protocol: None,
                cipher_suite: None,
                detail: Some(e.failure.message().to_string()),
                negotiated: None,
                suite: None,
                version: None,
            };
            (probe, None, Some(e.failure))
        }
    }
}

fn error_info(f: &Failure) -> ErrorInfo {
    ErrorInfo {
        kind: f.kind(),
        message: f.message().to_string(),
        exit_code: f.exit_code(),
    }
}

fn unreachable(target: &Target, address: Option<String>, f: Failure) -> TargetResult {
    TargetResult {
        target: target.input.clone(),
        address,
        status: "error",
        error: Some(error_info(&f)),
        classification: Class::Unreachable,
        quantum_safe_by_default: false,
        tls12_only: false,
        default_offer: None,
        accepted: Accepted::default(),
        groups: Vec::new(),
        certificate: None,
        failure: Some(f),
    }
}

/// Scans one target.
pub fn scan_target(
    target: &Target,
    probe_groups: &[&'static Group],
    hrr_probes: bool,
    verifier: &Arc<WebPkiServerVerifier>,
    timeout: Duration,
) -> TargetResult {
    let addr = match target.resolve() {
        Ok(a) => a,
        Err(f) => return unreachable(target, None, f),
    };
    let (default_offer, default_hs, default_err) =
        probe_once(target, addr, &browser_offer(), false, verifier, timeout);
    if let Some(f) = default_err.filter(|f| f.is_connection_level()) {
        return unreachable(target, Some(addr.to_string()), f);
    }
    let mut first_hs = default_hs;
    let mut groups = Vec::new();
    let mut accepted = Accepted::default();
    for g in probe_groups {
        let (probe, hs, _) = probe_once(target, addr, &[*g], false, verifier, timeout);
        let without_key_share =
            hrr_probes.then(|| probe_once(target, addr, &[*g], true, verifier, timeout).0);
        let ok = |p: &Probe| {
            matches!(
                p.result,
                ProbeResult::Accepted | ProbeResult::HelloRetryRequest
            )
        };
        if ok(&probe) || without_key_share.as_ref().is_some_and(ok) {
            match g.kind() {
                pqhkex::Kind::Hybrid => accepted.hybrid.push(g.name),
                pqhkex::Kind::PostQuantum => accepted.post_quantum.push(g.name),
                _ => accepted.classical.push(g.name),
            }
        }
        if first_hs.is_none() {
            first_hs = hs;
        }
        groups.push(GroupProbe {
            name: g.name,
            code: format!("0x{:04x}", g.code),
            kind: kind_name(g),
            nist_category: g.nist_category(),
            probe,
            without_key_share,
            group: g,
        });
    }
    let tls12_only = default_offer.version == Some(ProtocolVersion::TLSv1_2)
        && !groups
            .iter()
            .any(|p| p.probe.version == Some(ProtocolVersion::TLSv1_3));
    let pq = !accepted.hybrid.is_empty() || !accepted.post_quantum.is_empty();
    let classical = !accepted.classical.is_empty()
        || default_offer
            .negotiated
            .is_some_and(|g| !g.is_post_quantum());
    let classification = match (tls12_only, pq, classical) {
        (true, _, _) => Class::Tls12Only,
        (false, true, false) => Class::PqOnly,
        (false, true, true) => Class::PqAndClassical,
        (false, false, true) => Class::ClassicalOnly,
        (false, false, false) => Class::NoCommonGroup,
    };
    let failure = tls12_only.then(|| {
        Failure::Tls12Only(format!(
            "{} speaks TLS 1.2 only: no post-quantum key exchange is possible",
            target.input
        ))
    });
    TargetResult {
        target: target.input.clone(),
        address: Some(addr.to_string()),
        status: "ok",
        error: failure.as_ref().map(error_info),
        classification,
        quantum_safe_by_default: default_offer.post_quantum == Some(true),
        tls12_only,
        default_offer: Some(default_offer),
        accepted,
        groups,
        certificate: first_hs.map(|hs| CertInfo {
            subject: hs.subject,
            issuer: hs.issuer,
            trusted: hs.certificate.as_ref().map(|c| c.is_ok()),
            error: hs.certificate.and_then(|c| c.err()),
        }),
        failure,
    }
}

fn read_targets(args: &ScanArgs) -> Result<Vec<Target>, Failure> {
    let mut lines: Vec<String> = args.targets.clone();
    if let Some(path) = &args.targets_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Other(format!("cannot read {}: {e}", path.display())))?;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                lines.push(line.to_string());
            }
        }
    }
    if lines.is_empty() {
        return Err(Failure::Usage(
            "no targets: give HOST:PORT arguments or --targets-file".into(),
        ));
    }
    lines.iter().map(|l| Target::parse(l)).collect()
}

/// Scans every target with at most `concurrency` at once, with a progress bar on a
/// terminal.
pub fn scan_all(
    targets: &[Target],
    probe_groups: &[&'static Group],
    hrr_probes: bool,
    verifier: &Arc<WebPkiServerVerifier>,
    timeout: Duration,
    concurrency: usize,
) -> Vec<TargetResult> {
    let bar = (std::io::stderr().is_terminal() && targets.len() > 1).then(|| {
        let bar = indicatif::ProgressBar::new(targets.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {pos}/{len} targets, {elapsed}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<TargetResult>>> = Mutex::new(vec![None; targets.len()]);
    std::thread::scope(|s| {
        for _ in 0..concurrency.min(targets.len()).max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(t) = targets.get(i) else { break };
                let r = scan_target(t, probe_groups, hrr_probes, verifier, timeout);
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
                if let Some(b) = &bar {
                    b.inc(1);
                }
            });
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(targets)
        .map(|(r, t)| {
            r.unwrap_or_else(|| {
                unreachable(t, None, Failure::Other("the scan thread failed".into()))
            })
        })
        .collect()
}

fn print_table(results: &[TargetResult]) {
    let mut out = std::io::stdout().lock();
    for r in results {
        let _ = writeln!(
            out,
            "{}{}  [{}]",
            r.target,
            r.address
                .as_deref()
                .filter(|a| *a != r.target)
                .map(|a| format!(" ({a})"))
                .unwrap_or_default(),
            r.classification.as_str()
        );
        if let Some(e) = &r.error {
            let _ = writeln!(out, "  error ({:?}): {}", e.kind, e.message);
        }
        if let Some(d) = &r.default_offer {
            let what = match (d.result, &d.group) {
                (ProbeResult::Error | ProbeResult::Rejected, _) | (_, None) => {
                    format!("{:?}: {}", d.result, d.detail.as_deref().unwrap_or(""))
                }
                (res, Some(g)) => format!(
                    "{g} ({}){}, {}",
                    if d.hybrid == Some(true) {
                        "hybrid post-quantum"
                    } else if d.post_quantum == Some(true) {
                        "post-quantum"
                    } else {
                        "classical, NOT post-quantum"
                    },
                    if res == ProbeResult::HelloRetryRequest {
                        " after HelloRetryRequest"
                    } else {
                        ""
                    },
                    d.protocol.as_deref().unwrap_or("")
                ),
            };
            let _ = writeln!(out, "  browser-like offer -> {what}");
        }
        if !r.groups.is_empty() {
            let hrr_column = r.groups.iter().any(|g| g.without_key_share.is_some());
            let _ = writeln!(
                out,
                "  {:<22} {:<7} {:<13} {:<4} {}result",
                "group",
                "code",
                "kind",
                "NIST",
                if hrr_column {
                    format!("{:<20} ", "without key share")
                } else {
                    String::new()
                }
            );
            let text = |p: &Probe| match p.result {
                ProbeResult::Accepted => "accepted".to_string(),
                ProbeResult::HelloRetryRequest => "accepted after HelloRetryRequest".into(),
                ProbeResult::Rejected => "rejected".into(),
                ProbeResult::Error => format!("error: {}", p.detail.as_deref().unwrap_or_default()),
            };
            for g in &r.groups {
                let hrr = match &g.without_key_share {
                    Some(p) if p.result == ProbeResult::HelloRetryRequest => {
                        format!("{:<20} ", "HelloRetryRequest")
                    }
                    Some(p) => format!("{:<20} ", text(p)),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {:<22} {:<7} {:<13} {:<4} {hrr}{}",
                    g.name,
                    g.code,
                    g.kind,
                    g.nist_category.map_or("-".into(), |c| c.to_string()),
                    text(&g.probe)
                );
            }
        }
        if let Some(c) = &r.certificate {
            let _ = writeln!(
                out,
                "  certificate: {} ({})",
                c.subject.as_deref().unwrap_or("?"),
                match (&c.trusted, &c.error) {
                    (Some(true), _) => "trusted".to_string(),
                    (_, Some(e)) => format!("NOT trusted: {e}"),
                    _ => "not checked".to_string(),
                }
            );
        }
        let _ = writeln!(out);
    }
    let pq = results
        .iter()
        .filter(|r| matches!(r.classification, Class::PqOnly | Class::PqAndClassical))
        .count();
    let by_default = results.iter().filter(|r| r.quantum_safe_by_default).count();
    let _ = writeln!(
        out,
        "{} target(s): {pq} accept post-quantum key exchange, {by_default} negotiate it with a browser-like offer",
        results.len()
    );
}

/// `pqhkex scan`.
pub fn run(args: ScanArgs) -> Result<ExitCode, Failure> {
    let timeout = crate::timeout_arg(args.timeout)?;
    let targets = read_targets(&args)?;
    let probe_groups = if args.groups.is_empty() {
        pqhkex::groups::ALL.to_vec()
    } else {
        crate::parse_groups(&args.groups)?
    };
    let verifier = client::webpki_verifier(client::root_store(args.ca.as_deref())?)?;
    let results = scan_all(
        &targets,
        &probe_groups,
        args.hrr,
        &verifier,
        timeout,
        usize::from(args.concurrency),
    );
    let timestamp = crate::cbom::utc_timestamp(std::time::SystemTime::now());
    if let Some(path) = &args.cbom {
        let bom = crate::cbom::build(&results, &timestamp);
        let text =
            serde_json::to_string_pretty(&bom).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json {
        let text = serde_json::to_string_pretty(&ScanJson {
            schema_version: SCHEMA_VERSION,
            tool: "pqhkex",
            version: env!("CARGO_PKG_VERSION"),
            timestamp,
            targets: &results,
        })
        .map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
    } else {
        print_table(&results);
    }
    let code = results
        .iter()
        .find_map(|r| r.failure.as_ref())
        .map_or(0, |f| f.exit_code());
    Ok(ExitCode::from(code))
}
