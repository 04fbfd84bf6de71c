//! `pqhkex connect`: one handshake with the given policy or groups, reported.

use std::process::ExitCode;

use pqhkex::ConnectionReport;
use pqhkex_inventory::probe::{
    client_config, handshake, root_store, suite_name, version_name, versions_for, webpki_verifier,
    Recording,
};
use pqhkex_inventory::{Failure, Target};
use rustls::ProtocolVersion;
use serde::Serialize;

use crate::ConnectArgs;

/// "hybrid post-quantum" / "post-quantum" / "classical (NOT post-quantum)".
pub fn kind_text(report: &ConnectionReport) -> &'static str {
    if report.hybrid {
        "hybrid post-quantum"
    } else if report.post_quantum {
        "post-quantum"
    } else {
        "classical, NOT post-quantum"
    }
}

/// The `connect` command's JSON output.
#[derive(Serialize)]
struct ConnectJson<'a> {
    target: &'a str,
    address: String,
    group: String,
    group_code: Option<String>,
    post_quantum: bool,
    hybrid: bool,
    components: Vec<&'static str>,
    hello_retry_request: bool,
    protocol: Option<String>,
    cipher_suite: Option<String>,
    peer_subject: Option<String>,
    peer_issuer: Option<String>,
    certificate_trusted: Option<bool>,
    certificate_error: Option<String>,
    handshake_ms: f64,
}

/// `pqhkex connect`.
pub fn run_connect(args: ConnectArgs) -> Result<ExitCode, Failure> {
    let timeout = crate::timeout_arg(args.peer.timeout)?;
    let target = Target::parse(&args.target)?;
    let policy = args.policy.policy();
    let (groups, versions) = if args.groups.is_empty() {
        (policy.groups().to_vec(), policy.protocol_versions())
    } else {
        let groups = crate::parse_groups(&args.groups)?;
        if let Some(g) = groups.iter().find(|g| !policy.allows(g)) {
            return Err(Failure::Usage(format!(
                "group {} is not allowed by --policy {:?}",
                g.name, args.policy
            )));
        }
        let versions = versions_for(&groups);
        (groups, versions)
    };
    let provider = crate::provider();
    let verifier = Recording::new(
        webpki_verifier(root_store(args.ca.as_deref())?, &provider)?,
        !args.insecure,
    );
    let config = client_config(&provider, &groups, versions, verifier.clone())?;
    let addr = target.resolve()?;
    let server_name = target.server_name(args.peer.servername.as_deref())?;
    let hs =
        handshake(&target.input, addr, server_name, config, &verifier, timeout).map_err(|e| {
            let explained = match (&e.failure, &e.tls) {
                (Failure::Handshake(_), Some(tls)) => policy.explain(pqhkex::Side::Client, tls),
                _ => None,
            };
            match explained {
                Some(why) => Failure::Handshake(format!("{}: {why}", target.input)),
                None => e.failure,
            }
        })?;
    let r = &hs.report;
    if args.json {
        let out = ConnectJson {
            target: &target.input,
            address: addr.to_string(),
            group: r.group_name(),
            group_code: r.group_code.map(|c| format!("0x{c:04x}")),
            post_quantum: r.post_quantum,
            hybrid: r.hybrid,
            components: r.components.iter().map(|a| a.name()).collect(),
            hello_retry_request: r.hello_retry_request.unwrap_or(false),
            protocol: r.protocol_version.map(version_name),
            cipher_suite: r.cipher_suite.map(suite_name),
            peer_subject: hs.subject.clone(),
            peer_issuer: hs.issuer.clone(),
            certificate_trusted: hs.certificate.as_ref().map(|c| c.is_ok()),
            certificate_error: hs.certificate.as_ref().and_then(|c| c.clone().err()),
            handshake_ms: hs.elapsed.as_secs_f64() * 1e3,
        };
        let text =
            serde_json::to_string_pretty(&out).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
    } else {
        outln!("connected to     : {} ({addr})", target.input);
        outln!(
            "key exchange     : {}{}",
            r.group_name(),
            r.group_code
                .map(|c| format!(" (0x{c:04x})"))
                .unwrap_or_default()
        );
        let comps = r
            .components
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(" + ");
        outln!(
            "post-quantum     : {} ({}{})",
            if r.post_quantum { "yes" } else { "NO" },
            kind_text(r),
            if comps.is_empty() {
                String::new()
            } else {
                format!(": {comps}")
            }
        );
        outln!(
            "hello retry      : {}",
            if r.hello_retry_request.unwrap_or(false) {
                "yes (HelloRetryRequest)"
            } else {
                "no"
            }
        );
        outln!(
            "protocol         : {}",
            r.protocol_version.map(version_name).unwrap_or_default()
        );
        outln!(
            "cipher suite     : {}",
            r.cipher_suite.map(suite_name).unwrap_or_default()
        );
        outln!(
            "peer certificate : {}",
            hs.subject.as_deref().unwrap_or("(unparsable)")
        );
        match &hs.certificate {
            Some(Ok(())) => outln!("certificate      : trusted"),
            Some(Err(e)) => outln!("certificate      : NOT trusted ({e}); --insecure"),
            None => outln!("certificate      : not checked"),
        }
        outln!(
            "handshake time   : {:.2} ms",
            hs.elapsed.as_secs_f64() * 1e3
        );
    }
    if r.protocol_version == Some(ProtocolVersion::TLSv1_2) {
        let f = Failure::Tls12Only(format!(
            "{} negotiated TLS 1.2: it does not speak TLS 1.3, so no post-quantum key exchange is possible",
            target.input
        ));
        eprintln!("pqhkex: {f}");
        return Ok(ExitCode::from(f.exit_code()));
    }
    Ok(ExitCode::SUCCESS)
}
