//! `pqhkex scan`: the command-line shell over [`pqhkex_inventory::Scanner`]: reads the
//! targets, draws the progress bar, prints the table or the JSON as results arrive,
//! writes the CBOM and picks the exit code. The probing, verdict and CBOM are the
//! library's.
//!
//! Results are printed in input order as soon as every earlier target is done: the
//! table and `--json` keep only the results that wait for an earlier, slower target
//! (at most about a target timeout's worth), not the whole scan. Only `--cbom`, which
//! describes every endpoint at once, keeps them all.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use pqhkex_inventory::{
    legacy, probe, ssh, Answer, Class, Failure, Flow, Probe, ProbeResult, ScanReport, Scanner,
    Support, TargetResult,
};

use crate::inputs::read_targets;
use crate::term::{message, text};
use crate::ScanArgs;

/// One target's table entry.
fn print_target(out: &mut impl Write, r: &TargetResult) {
    let _ = writeln!(
        out,
        "{}{}  [{}]",
        text(&r.target),
        r.address
            .as_deref()
            .filter(|a| *a != r.target)
            .map(|a| format!(" ({a})"))
            .unwrap_or_default(),
        r.classification.as_str()
    );
    if let Some(e) = &r.error {
        let _ = writeln!(out, "  error ({:?}): {}", e.kind, text(&e.message));
    }
    if let Some(v) = &r.verdict {
        if !v.is_determined() || r.classification == Class::Undetermined {
            let _ = writeln!(
                out,
                "  verdict: post-quantum {}, classical {}",
                v.post_quantum, v.classical
            );
            for why in &v.reasons {
                let _ = writeln!(out, "    undetermined: {}", text(why));
            }
        }
    }
    if let Some(s) = &r.ssh {
        print_ssh(out, s);
    }
    if let Some(d) = &r.default_offer {
        let what = match (d.result, &d.group) {
            (res, Some(g)) if res.is_accepted() => format!(
                "{g} ({}){}, {}{}",
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
                d.protocol.as_deref().unwrap_or(""),
                incomplete(d),
            ),
            _ => probe_text(d),
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
        for g in &r.groups {
            let hrr = match &g.without_key_share {
                Some(p) if p.result == ProbeResult::HelloRetryRequest => {
                    format!("{:<20} ", "HelloRetryRequest")
                }
                Some(p) => format!("{:<20} ", probe_text(p)),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "  {:<22} {:<7} {:<13} {:<4} {hrr}{}",
                g.name,
                g.code,
                g.kind,
                g.nist_category.map_or("-".into(), |c| c.to_string()),
                probe_text(&g.probe)
            );
        }
    }
    if let Some(split) = &r.client_hello_split {
        let how = |p: &Probe| {
            if p.result.is_accepted() {
                "completes".to_string()
            } else {
                format!("FAILS ({})", text(p.detail.as_deref().unwrap_or_default()))
            }
        };
        let _ = writeln!(
            out,
            "  split ClientHello: {}: in two TCP segments {}, across TLS records {}",
            if split.passed { "passed" } else { "FAILED" },
            how(&split.tcp_segments),
            how(&split.tls_records)
        );
    }
    if let Some(q) = &r.quic {
        print_quic(out, q);
    }
    if let Some(c) = &r.certificate {
        let _ = writeln!(
            out,
            "  certificate: {} ({})",
            text(c.subject.as_deref().unwrap_or("?")),
            match (&c.trusted, &c.error) {
                (Some(true), _) => "trusted".to_string(),
                (_, Some(e)) => format!("NOT trusted: {}", text(e)),
                _ => "not checked".to_string(),
            }
        );
    }
    print_surface(out, r);
    let _ = writeln!(out);
}

/// A QUIC scan's transport facts: the datagrams each ClientHello took.
fn print_quic(out: &mut impl Write, q: &pqhkex_inventory::quic::QuicReport) {
    let _ = writeln!(out, "  over QUIC (ALPN {}):", q.alpn.join(","));
    for p in &q.probes {
        let _ = writeln!(
            out,
            "    {:<22} ClientHello: {} Initial datagram(s), {} bytes; {} sent, {} received in all{}",
            p.probe,
            p.client_hello_datagrams,
            p.client_hello_bytes,
            p.datagrams_sent,
            p.datagrams_received,
            if p.hello_retry_request == Some(true) {
                ", after a HelloRetryRequest"
            } else {
                ""
            }
        );
    }
    for c in &q.not_applicable {
        let _ = writeln!(out, "    not applicable: {}: {}", c.check, text(&c.reason));
    }
}

/// The rest of the endpoint's quantum-vulnerable surface: posture and preference, the
/// certificate chain, authentication, TLS 1.2 and older, and the migration plan.
fn print_surface(out: &mut impl Write, r: &TargetResult) {
    if let Some(posture) = r.pq_posture {
        let pref = r
            .preference
            .as_ref()
            .map(|p| {
                format!(
                    " (picks X25519MLKEM768 over a client's x25519-first offer: {}; asks for it by HelloRetryRequest: {})",
                    p.prefers_post_quantum, p.upgrades_by_hrr
                )
            })
            .unwrap_or_default();
        let _ = writeln!(out, "  post-quantum posture: {posture}{pref}");
    }
    if !r.certificate_chain.is_empty() {
        let _ = writeln!(out, "  certificate chain (as served):");
        for (i, c) in r.certificate_chain.iter().enumerate() {
            let vulnerable = match c.quantum_vulnerable {
                Answer::Yes => "quantum-vulnerable",
                Answer::No => "post-quantum",
                Answer::Undetermined => "undetermined",
            };
            match &c.parse_error {
                Some(e) => {
                    let _ = writeln!(out, "    {i}: unparsable ({})", text(e));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    {i}: {}  key {}  signed {}  {vulnerable}  {} .. {}",
                        text(c.subject.as_deref().unwrap_or("?")),
                        text(&c.public_key.label()),
                        text(&c.signature_algorithm.name),
                        c.not_before.as_deref().unwrap_or("?"),
                        c.not_after.as_deref().unwrap_or("?"),
                    );
                }
            }
        }
    }
    if let Some(a) = &r.authentication {
        let _ = writeln!(
            out,
            "  authentication: {} (handshake signature {}, leaf key {}); ML-DSA when asked: {}",
            a.class,
            a.signature_scheme.as_deref().unwrap_or("none seen"),
            text(a.leaf_key.as_deref().unwrap_or("?")),
            a.ml_dsa_when_asked,
        );
    }
    if let Some(l) = &r.legacy {
        let v = |x: legacy::VersionResult| match x {
            legacy::VersionResult::Accepted => "accepted",
            legacy::VersionResult::Refused => "refused",
            _ => "undetermined",
        };
        let _ = writeln!(
            out,
            "  TLS 1.2 {}, TLS 1.1 {}, TLS 1.0 {}; RSA key transport: {}{}",
            v(l.tls12),
            v(l.tls11),
            v(l.tls10),
            l.rsa_key_transport,
            if l.rsa_key_transport_suites.is_empty() {
                String::new()
            } else {
                format!(" ({})", l.rsa_key_transport_suites.join(", "))
            }
        );
        for k in &l.key_exchanges {
            let kind = match k.kind {
                legacy::KxKind::Rsa => "RSA key transport",
                legacy::KxKind::Ecdhe => "ECDHE",
                legacy::KxKind::Dhe => "DHE",
            };
            let result = match k.result {
                legacy::KxResult::Accepted => "accepted",
                legacy::KxResult::Refused => "refused",
                legacy::KxResult::NotApplicable => "not applicable",
                _ => "undetermined",
            };
            let mut extra = Vec::new();
            if !k.curves.is_empty() {
                extra.push(k.curves.join(", "));
            }
            if let Some(b) = k.dh_bits {
                extra.push(format!("{b}-bit group"));
            }
            let _ = writeln!(
                out,
                "    {kind}: {result}{}",
                if extra.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", extra.join("; "))
                }
            );
        }
    }
    if let Some(plan) = &r.migration {
        if plan.is_empty() {
            let _ = writeln!(out, "  migration: nothing to do");
        } else {
            let _ = writeln!(out, "  migration plan:");
            for (i, s) in plan.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "    {}. [{}] {}: {}",
                    i + 1,
                    s.urgency,
                    message(&s.action),
                    message(&s.reason)
                );
            }
        }
    }
}

/// ", handshake did not complete: …" for an accepted group whose handshake failed later.
fn incomplete(p: &Probe) -> String {
    if p.handshake_completed == Some(false) {
        format!(
            "; the handshake did not complete: {}",
            text(
                p.failure
                    .as_ref()
                    .map(|f| f.message.as_str())
                    .unwrap_or("no detail")
            )
        )
    } else {
        String::new()
    }
}

/// A probe's result in a table cell.
fn probe_text(p: &Probe) -> String {
    // A classical group re-offered next to the curve of a TLS 1.2 server's ECDSA
    // certificate.
    let with = match p.offered.get(1) {
        Some(curve) if p.offered.len() == 2 => {
            format!(" (offered with {curve}, which its TLS 1.2 certificate needs)")
        }
        _ => String::new(),
    };
    let detail = text(p.detail.as_deref().unwrap_or_default());
    match p.result {
        ProbeResult::Accepted => format!("accepted{with}{}", incomplete(p)),
        ProbeResult::HelloRetryRequest => {
            format!("accepted after HelloRetryRequest{with}{}", incomplete(p))
        }
        ProbeResult::Rejected => match &p.alert {
            Some(a) => format!("rejected ({} alert)", text(a)),
            None => "rejected".into(),
        },
        ProbeResult::Error => format!("error: {detail}"),
        ProbeResult::Undetermined => format!("undetermined: {detail}"),
        ProbeResult::NotTested => format!("not tested: {detail}"),
        ProbeResult::NotApplicable => format!("not applicable: {detail}"),
        _ => format!("{:?}: {detail}", p.result),
    }
}

/// The SSH part of a target's table entry.
fn print_ssh(out: &mut impl Write, s: &ssh::SshReport) {
    let _ = writeln!(out, "  SSH server: {}", text(&s.banner));
    let _ = writeln!(out, "  {:<40} kind", "key exchange (server's order)");
    for m in &s.kex_algorithms {
        let kind = match m.kind {
            ssh::KexKind::MlkemHybrid => "ML-KEM hybrid (post-quantum)",
            ssh::KexKind::PqHybrid => "post-quantum hybrid",
            ssh::KexKind::Classical => "classical, NOT post-quantum",
            _ => "other (not a key exchange)",
        };
        let _ = writeln!(out, "  {:<40} {kind}", text(&m.name));
    }
    let _ = writeln!(
        out,
        "  OpenSSH 10 client (defaults) -> {}",
        text(
            s.openssh10_client_choice
                .as_deref()
                .unwrap_or("no common method")
        )
    );
    let names: Vec<String> = s
        .host_key_algorithms
        .iter()
        .map(|h| {
            let kind = match h.quantum_vulnerable {
                Answer::Yes => "quantum-vulnerable",
                Answer::No => "post-quantum host key",
                Answer::Undetermined => "unknown",
            };
            format!("{} ({kind})", h.name)
        })
        .collect();
    let all_classical = s.host_key_algorithms.iter().all(|h| !h.post_quantum);
    let _ = writeln!(
        out,
        "  host keys: {}{}",
        text(&names.join(", ")),
        if all_classical {
            "; all classical: authentication is not post-quantum yet"
        } else {
            ""
        }
    );
    if let Some(k) = &s.host_key {
        let mut size = Vec::new();
        if let Some(b) = k.bits {
            size.push(format!("{b} bits"));
        }
        if let Some(c) = &k.curve {
            size.push(c.clone());
        }
        let _ = writeln!(
            out,
            "  host key presented: {} ({}){}, {}, signature verified: {}",
            text(&k.algorithm),
            k.family.as_str(),
            if size.is_empty() {
                String::new()
            } else {
                format!(", {}", size.join(", "))
            },
            text(&k.fingerprint),
            k.signature_verified
        );
    }
    let v = &s.verification;
    let detail = text(v.detail.as_deref().unwrap_or(""));
    let status = match v.status {
        ssh::VerificationStatus::Verified => format!(
            "verified: the server ran it and its {} host key signed the exchange ({})",
            text(v.host_key_algorithm.as_deref().unwrap_or("?")),
            text(v.host_key_sha256.as_deref().unwrap_or("?"))
        ),
        ssh::VerificationStatus::AdvertisedOnly => format!("advertised only: {detail}"),
        ssh::VerificationStatus::NotOffered => "not offered".to_string(),
        ssh::VerificationStatus::Failed => format!("FAILED: {detail}"),
        ssh::VerificationStatus::Undetermined => format!("did not finish: {detail}"),
        _ => format!("{:?}", v.status),
    };
    let _ = writeln!(out, "  post-quantum key exchange: {status}");
}

/// How the results leave: the table, the JSON document or JSON Lines, written as they
/// come.
pub(crate) enum Sink {
    Table,
    Json {
        first: bool,
    },
    /// One compact JSON target result per line.
    Jsonl,
}

impl Sink {
    pub(crate) fn start(
        &mut self,
        out: &mut impl Write,
        report: &ScanReport,
    ) -> Result<(), Failure> {
        if let Sink::Json { .. } = self {
            // The document's head (everything but the targets), then the array opened.
            let head = serde_json::to_string_pretty(report)
                .map_err(|e| Failure::Other(format!("JSON: {e}")))?;
            let open = head
                .strip_suffix("[]\n}")
                .or_else(|| head.strip_suffix("[]\n}\n"))
                .ok_or_else(|| Failure::Other("JSON: unexpected document head".into()))?;
            let _ = write!(out, "{open}[");
        }
        Ok(())
    }

    pub(crate) fn target(&mut self, out: &mut impl Write, r: &TargetResult) -> Result<(), Failure> {
        match self {
            Sink::Table => print_target(out, r),
            Sink::Jsonl => {
                let one =
                    serde_json::to_string(r).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
                let _ = writeln!(out, "{one}");
            }
            Sink::Json { first } => {
                let one = serde_json::to_string_pretty(r)
                    .map_err(|e| Failure::Other(format!("JSON: {e}")))?;
                let _ = write!(
                    out,
                    "{}\n    {}",
                    if *first { "" } else { "," },
                    one.replace('\n', "\n    ")
                );
                *first = false;
            }
        }
        Ok(())
    }

    pub(crate) fn finish(&mut self, out: &mut impl Write, summary: &Summary) {
        match self {
            Sink::Jsonl => {}
            Sink::Table => {
                let _ = writeln!(
                    out,
                    "{} target(s): {} accept post-quantum key exchange, {} negotiate it by default (TLS: a browser-like offer; SSH: an OpenSSH 10 client){}",
                    summary.targets,
                    summary.post_quantum,
                    summary.by_default,
                    if summary.undetermined > 0 {
                        format!(", {} undetermined", summary.undetermined)
                    } else {
                        String::new()
                    }
                );
            }
            Sink::Json { first } => {
                let _ = writeln!(out, "{}]\n}}", if *first { "" } else { "\n  " });
            }
        }
    }
}

/// What the summary line and the exit code need of the results.
#[derive(Default)]
pub(crate) struct Summary {
    targets: usize,
    post_quantum: usize,
    by_default: usize,
    undetermined: usize,
    /// The exit code of the first target (in input order) with an error.
    pub(crate) exit: Option<u8>,
}

impl Summary {
    pub(crate) fn add(&mut self, r: &TargetResult) {
        self.targets += 1;
        let pq = r
            .verdict
            .as_ref()
            .map_or(r.classification.accepts_post_quantum(), |v| {
                v.post_quantum == Support::Accepted
            });
        self.post_quantum += usize::from(pq);
        self.by_default += usize::from(r.quantum_safe_by_default);
        self.undetermined += usize::from(r.classification == Class::Undetermined);
        if self.exit.is_none() {
            self.exit = r.error.as_ref().map(|e| e.exit_code);
        }
    }
}

/// `pqhkex scan`.
pub fn run(args: ScanArgs) -> Result<ExitCode, Failure> {
    let timeout = crate::timeout_arg("--timeout", args.timeout)?;
    let target_timeout = crate::timeout_arg("--target-timeout", args.target_timeout)?;
    let targets = read_targets(&args)?;
    let probe_groups = crate::parse_groups(&args.groups)?;
    let scanner = Scanner::new(crate::provider())?
        .roots(probe::root_store(args.ca.as_deref())?)?
        .groups(&probe_groups)
        .hello_retry_probes(args.hrr)
        .client_hello_split_checks(!args.no_split_check)
        .surface_probes(!args.key_exchange_only)
        .tls_over_quic(args.quic)
        .timeout(timeout)
        .target_timeout(Some(target_timeout))
        .concurrency(usize::from(args.concurrency));
    let scanner = args.fleet.limits(scanner)?;

    let bar = (std::io::stderr().is_terminal() && targets.count.is_none_or(|n| n > 1)).then(|| {
        let bar = match targets.count {
            Some(n) => indicatif::ProgressBar::new(n),
            // Targets from stdin: no total.
            None => indicatif::ProgressBar::no_length(),
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {pos}/{len} targets, {elapsed}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let mut report = ScanReport::new(Vec::new());
    let mut gate = crate::report::Gate::new(&args.outputs.require);
    let mut sink = if args.jsonl {
        Sink::Jsonl
    } else if args.json {
        Sink::Json { first: true }
    } else {
        Sink::Table
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    sink.start(&mut out, &report)?;
    let mut summary = Summary::default();
    // Results that arrived before an earlier target's, by index; the next index due.
    let mut waiting: BTreeMap<usize, TargetResult> = BTreeMap::new();
    let mut next = 0usize;
    let mut kept: Vec<TargetResult> = Vec::new();
    let mut failed: Option<Failure> = None;
    scanner.scan_each(targets.stream()?, |i, r| {
        waiting.insert(i, r);
        while let Some(r) = waiting.remove(&next) {
            next += 1;
            summary.add(&r);
            gate.add(&r);
            let written = match &bar {
                Some(b) => b.suspend(|| sink.target(&mut out, &r)),
                None => sink.target(&mut out, &r),
            };
            if let Err(e) = written {
                failed = Some(e);
                return Flow::Stop;
            }
            if args.cbom.is_some() || args.outputs.needs_all() {
                kept.push(r);
            }
        }
        if let Some(b) = &bar {
            b.set_position(next as u64);
        }
        Flow::Continue
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(e) = failed {
        return Err(e);
    }
    sink.finish(&mut out, &summary);
    let _ = out.flush();

    report.targets = kept;
    if let Some(path) = &args.cbom {
        crate::report::write_cbom(path, &report)?;
    }
    args.outputs.write_files(&report)?;
    let code = gate.finish().or(summary.exit).unwrap_or(0);
    // A bad stdin line ended the input: what came before it was scanned, printed,
    // gated and written to the report files; the input error is the exit status.
    if let Some(e) = targets.late_failure() {
        return Err(e);
    }
    Ok(ExitCode::from(code))
}
