//! `pqhkex scan`: the command-line shell over [`pqhkex_inventory::Scanner`]: reads the
//! targets, draws the progress bar, prints the table or the JSON, writes the CBOM and
//! picks the exit code. The probing, classification and CBOM are the library's.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use pqhkex_inventory::{
    cbom, probe, ssh, Failure, Probe, ProbeResult, ScanReport, Scanner, Target, TargetResult,
};

use crate::ScanArgs;

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
        if let Some(s) = &r.ssh {
            print_ssh(&mut out, s);
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
            let text = |p: &Probe| {
                // A classical group re-offered next to the curve of a TLS 1.2 server's
                // ECDSA certificate.
                let with = match p.offered.get(1) {
                    Some(curve) if p.offered.len() == 2 => {
                        format!(" (offered with {curve}, which its TLS 1.2 certificate needs)")
                    }
                    _ => String::new(),
                };
                let detail = p.detail.as_deref().unwrap_or_default();
                match p.result {
                    ProbeResult::Accepted => format!("accepted{with}"),
                    ProbeResult::HelloRetryRequest => {
                        format!("accepted after HelloRetryRequest{with}")
                    }
                    ProbeResult::Rejected => "rejected".into(),
                    ProbeResult::Error => format!("error: {detail}"),
                    ProbeResult::Undetermined => format!("undetermined: {detail}"),
                    _ => format!("{:?}: {detail}", p.result),
                }
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
        if let Some(split) = &r.client_hello_split {
            let how = |p: &Probe| {
                if p.result.is_accepted() {
                    "completes".to_string()
                } else {
                    format!("FAILS ({})", p.detail.as_deref().unwrap_or_default())
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
        .filter(|r| r.classification.accepts_post_quantum())
        .count();
    let by_default = results.iter().filter(|r| r.quantum_safe_by_default).count();
    let _ = writeln!(
        out,
        "{} target(s): {pq} accept post-quantum key exchange, {by_default} negotiate it by default (TLS: a browser-like offer; SSH: an OpenSSH 10 client)",
        results.len()
    );
}

/// The SSH part of a target's table entry.
fn print_ssh(out: &mut impl Write, s: &ssh::SshReport) {
    let _ = writeln!(out, "  SSH server: {}", s.banner);
    let _ = writeln!(out, "  {:<40} kind", "key exchange (server's order)");
    for m in &s.kex_algorithms {
        let kind = match m.kind {
            ssh::KexKind::MlkemHybrid => "ML-KEM hybrid (post-quantum)",
            ssh::KexKind::PqHybrid => "post-quantum hybrid",
            ssh::KexKind::Classical => "classical, NOT post-quantum",
            _ => "other (not a key exchange)",
        };
        let _ = writeln!(out, "  {:<40} {kind}", m.name);
    }
    let _ = writeln!(
        out,
        "  OpenSSH 10 client (defaults) -> {}",
        s.openssh10_client_choice
            .as_deref()
            .unwrap_or("no common method")
    );
    let names: Vec<&str> = s
        .host_key_algorithms
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    let all_classical = s.host_key_algorithms.iter().all(|h| !h.post_quantum);
    let _ = writeln!(
        out,
        "  host keys: {}{}",
        names.join(", "),
        if all_classical {
            " (all classical: authentication is not post-quantum yet)"
        } else {
            ""
        }
    );
    let v = &s.verification;
    let status = match v.status {
        ssh::VerificationStatus::Verified => format!(
            "verified: the server ran it and its {} host key signed the exchange ({})",
            v.host_key_algorithm.as_deref().unwrap_or("?"),
            v.host_key_sha256.as_deref().unwrap_or("?")
        ),
        ssh::VerificationStatus::AdvertisedOnly => {
            format!("advertised only: {}", v.detail.as_deref().unwrap_or(""))
        }
        ssh::VerificationStatus::NotOffered => "not offered".to_string(),
        ssh::VerificationStatus::Failed => {
            format!("FAILED: {}", v.detail.as_deref().unwrap_or(""))
        }
        _ => format!("{:?}", v.status),
    };
    let _ = writeln!(out, "  post-quantum key exchange: {status}");
}

/// `pqhkex scan`.
pub fn run(args: ScanArgs) -> Result<ExitCode, Failure> {
    let timeout = crate::timeout_arg(args.timeout)?;
    let targets = read_targets(&args)?;
    let probe_groups = crate::parse_groups(&args.groups)?;
    let scanner = Scanner::new(crate::provider())?
        .roots(probe::root_store(args.ca.as_deref())?)?
        .groups(&probe_groups)
        .hello_retry_probes(args.hrr)
        .client_hello_split_checks(!args.no_split_check)
        .timeout(timeout)
        .concurrency(usize::from(args.concurrency));

    let bar = (std::io::stderr().is_terminal() && targets.len() > 1).then(|| {
        let bar = indicatif::ProgressBar::new(targets.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {pos}/{len} targets, {elapsed}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let results = scanner.scan_with_progress(&targets, |_| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = ScanReport::new(results);

    if let Some(path) = &args.cbom {
        let bom = cbom::build(&report.targets, &report.timestamp);
        let text =
            serde_json::to_string_pretty(&bom).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
    } else {
        print_table(&report.targets);
    }
    Ok(ExitCode::from(report.exit_code()))
}
