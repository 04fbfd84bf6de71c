//! `pqhkex connect`: one handshake with the given policy or groups, reported.

use std::process::ExitCode;

use pqhkex::ConnectionReport;
use pqhkex_inventory::probe::{
    client_config, handshake, root_store, suite_name, version_name, versions_for, webpki_verifier,
    Recording,
};
use pqhkex_inventory::{ErrorInfo, Failure, Protocol, Target};
use rustls::ProtocolVersion;
use serde::Serialize;

use crate::term::text;
use crate::ConnectArgs;

/// "hybrid post-quantum" / "post-quantum" / "classical (NOT post-quantum)".
pub fn kind_text(report: &ConnectionReport) -> &'static str {
    kind_words(report.post_quantum, report.hybrid)
}

fn kind_words(post_quantum: bool, hybrid: bool) -> &'static str {
    if hybrid {
        "hybrid post-quantum"
    } else if post_quantum {
        "post-quantum"
    } else {
        "classical, NOT post-quantum"
    }
}

/// What a QUIC handshake took, as quinn counted it on the client.
#[derive(Serialize)]
struct QuicJson {
    alpn: Option<String>,
    handshake_datagrams_sent: u64,
    handshake_bytes_sent: u64,
    handshake_datagrams_received: u64,
    handshake_bytes_received: u64,
}

/// One handshake's outcome, whichever transport carried it; also the `--json` output.
#[derive(Serialize)]
struct Outcome {
    target: String,
    address: String,
    group: String,
    #[serde(serialize_with = "hex_code")]
    group_code: Option<u16>,
    post_quantum: bool,
    hybrid: bool,
    components: Vec<&'static str>,
    hello_retry_request: bool,
    #[serde(serialize_with = "version_text")]
    protocol: Option<ProtocolVersion>,
    cipher_suite: Option<String>,
    peer_subject: Option<String>,
    peer_issuer: Option<String>,
    /// `None`: not checked.
    certificate_trusted: Option<bool>,
    certificate_error: Option<String>,
    handshake_ms: f64,
    /// "tcp" (TLS over TCP) or "quic".
    transport: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quic: Option<QuicJson>,
}

/// A protocol version as JSON: `"TLS 1.3"`, or null.
fn version_text<S: serde::Serializer>(
    v: &Option<ProtocolVersion>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&version_name(*v)),
        None => s.serialize_none(),
    }
}

/// A group codepoint as JSON: `"0x11ec"`, or null.
fn hex_code<S: serde::Serializer>(code: &Option<u16>, s: S) -> Result<S::Ok, S::Error> {
    match code {
        Some(c) => s.serialize_str(&format!("0x{c:04x}")),
        None => s.serialize_none(),
    }
}

/// `connect --json` when the connection failed: the target and the error (kind,
/// message, exit code), so that a script reading stdout always gets a JSON object.
#[derive(Serialize)]
struct FailureJson<'a> {
    target: &'a str,
    error: ErrorInfo,
}

/// `pqhkex connect`. With `--json`, a failure is printed as a JSON object too
/// ([`FailureJson`]; the message also goes to stderr), with the same exit code.
pub fn run_connect(args: ConnectArgs) -> Result<ExitCode, Failure> {
    let json = args.json;
    let target = args.target.clone();
    match connect(args) {
        Err(f) if json => {
            let doc = FailureJson {
                target: &target,
                error: ErrorInfo::from(&f),
            };
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Failure::Other(format!("JSON: {e}")))?;
            outln!("{text}");
            eprintln!("pqhkex: error: {}", crate::term::message(f.message()));
            Ok(ExitCode::from(f.exit_code()))
        }
        other => other,
    }
}

fn connect(args: ConnectArgs) -> Result<ExitCode, Failure> {
    let timeout = crate::timeout_arg("--timeout", args.peer.timeout)?;
    // One deadline for the whole command: resolving, connecting, the handshake, the close.
    let deadline = std::time::Instant::now() + timeout;
    let target = Target::parse(&args.target)?;
    if target.protocol == Protocol::Ssh {
        return Err(Failure::Usage(format!(
            "connect speaks TLS; for the SSH server {} use `pqhkex scan {}`",
            target.input, target.input
        )));
    }
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
    let addr = target.resolve_until(deadline)?;
    let server_name = target.server_name(args.peer.servername.as_deref())?;
    let timeout = deadline.saturating_duration_since(std::time::Instant::now());
    let outcome = if args.quic {
        quic_outcome(
            &args,
            &target,
            addr,
            &server_name,
            &groups,
            verifier,
            timeout,
        )?
    } else {
        let config = client_config(&provider, &groups, versions, verifier.clone())?;
        let hs = handshake(&target.input, addr, server_name, config, &verifier, timeout).map_err(
            |e| {
                let explained = match (&e.failure, &e.tls) {
                    (Failure::Handshake(_), Some(tls)) => policy.explain(pqhkex::Side::Client, tls),
                    _ => None,
                };
                match explained {
                    Some(why) => Failure::Handshake(format!("{}: {why}", target.input)),
                    None => e.failure,
                }
            },
        )?;
        let r = &hs.report;
        Outcome {
            target: target.input.clone(),
            address: addr.to_string(),
            group: r.group_name(),
            group_code: r.group_code,
            post_quantum: r.post_quantum,
            hybrid: r.hybrid,
            components: r.components.iter().map(|a| a.name()).collect(),
            hello_retry_request: r.hello_retry_request.unwrap_or(false),
            protocol: r.protocol_version,
            cipher_suite: r.cipher_suite.map(suite_name),
            peer_subject: hs.subject,
            peer_issuer: hs.issuer,
            certificate_trusted: hs.certificate.as_ref().map(|c| c.is_ok()),
            certificate_error: hs.certificate.and_then(|c| c.err()),
            handshake_ms: hs.elapsed.as_secs_f64() * 1e3,
            transport: "tcp",
            quic: None,
        }
    };
    print_outcome(&args, &outcome)?;
    if outcome.protocol == Some(ProtocolVersion::TLSv1_2) {
        let f = Failure::Tls12Only(format!(
            "{} negotiated TLS 1.2: it does not speak TLS 1.3, so no post-quantum key exchange is possible",
            target.input
        ));
        eprintln!("pqhkex: {f}");
        return Ok(ExitCode::from(f.exit_code()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints one handshake's outcome as text or (`--json`) JSON.
fn print_outcome(args: &ConnectArgs, o: &Outcome) -> Result<(), Failure> {
    if args.json {
        let text =
            serde_json::to_string_pretty(o).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
    } else {
        outln!(
            "connected to     : {} ({}{})",
            text(&o.target),
            o.address,
            if o.quic.is_some() { ", QUIC" } else { "" }
        );
        outln!(
            "key exchange     : {}{}",
            o.group,
            o.group_code
                .map(|c| format!(" (0x{c:04x})"))
                .unwrap_or_default()
        );
        let comps = o.components.join(" + ");
        outln!(
            "post-quantum     : {} ({}{})",
            if o.post_quantum { "yes" } else { "NO" },
            kind_words(o.post_quantum, o.hybrid),
            if comps.is_empty() {
                String::new()
            } else {
                format!(": {comps}")
            }
        );
        outln!(
            "hello retry      : {}",
            if o.hello_retry_request {
                "yes (HelloRetryRequest)"
            } else {
                "no"
            }
        );
        outln!(
            "protocol         : {}",
            o.protocol.map(version_name).unwrap_or_default()
        );
        outln!(
            "cipher suite     : {}",
            o.cipher_suite.as_deref().unwrap_or(if o.quic.is_some() {
                "(not reported by quinn)"
            } else {
                ""
            })
        );
        if let Some(q) = &o.quic {
            outln!(
                "ALPN             : {}",
                q.alpn.as_deref().unwrap_or("(none)")
            );
            outln!(
                "QUIC handshake   : sent {} datagrams, {} bytes; received {} datagrams, {} bytes",
                q.handshake_datagrams_sent,
                q.handshake_bytes_sent,
                q.handshake_datagrams_received,
                q.handshake_bytes_received
            );
        }
        outln!(
            "peer certificate : {}",
            text(o.peer_subject.as_deref().unwrap_or("(unparsable)"))
        );
        match (o.certificate_trusted, &o.certificate_error) {
            (Some(true), _) => outln!("certificate      : trusted"),
            (Some(false), e) => outln!(
                "certificate      : NOT trusted ({}); --insecure",
                text(e.as_deref().unwrap_or("?"))
            ),
            (None, _) => outln!("certificate      : not checked"),
        }
        outln!("handshake time   : {:.2} ms", o.handshake_ms);
    }
    Ok(())
}

/// `connect --quic`: the same report over QUIC (TLS 1.3 only, RFC 9001 §4.2).
fn quic_outcome(
    args: &ConnectArgs,
    target: &Target,
    addr: std::net::SocketAddr,
    server_name: &rustls::pki_types::ServerName<'static>,
    groups: &[&'static pqhkex::Group],
    verifier: std::sync::Arc<Recording>,
    timeout: std::time::Duration,
) -> Result<Outcome, Failure> {
    #[cfg(feature = "quic")]
    {
        let alpn = if args.alpn.is_empty() {
            vec!["h3".to_string()]
        } else {
            args.alpn.clone()
        };
        let name = server_name.to_str();
        let hs = crate::quic::handshake(
            &target.input,
            addr,
            &name,
            groups,
            &alpn,
            verifier,
            !args.insecure,
            timeout,
        )?;
        let g = hs.group;
        Ok(Outcome {
            target: target.input.clone(),
            address: addr.to_string(),
            group: match (g, hs.group_code) {
                (Some(g), _) => g.name.to_string(),
                (None, Some(c)) => format!("0x{c:04x}"),
                (None, None) => "(unknown)".into(),
            },
            group_code: hs.group_code,
            post_quantum: g.is_some_and(|g| g.is_post_quantum()),
            hybrid: g.is_some_and(|g| g.is_hybrid()),
            components: g.map_or(Vec::new(), |g| {
                g.components.iter().map(|a| a.name()).collect()
            }),
            hello_retry_request: hs.hello_retry_request,
            protocol: Some(ProtocolVersion::TLSv1_3),
            cipher_suite: None,
            peer_subject: hs.subject,
            peer_issuer: hs.issuer,
            certificate_trusted: hs.certificate.as_ref().map(|c| c.is_ok()),
            certificate_error: hs.certificate.and_then(|c| c.err()),
            handshake_ms: hs.elapsed.as_secs_f64() * 1e3,
            transport: "quic",
            quic: Some(QuicJson {
                alpn: hs.alpn,
                handshake_datagrams_sent: hs.sent_datagrams,
                handshake_bytes_sent: hs.sent_bytes,
                handshake_datagrams_received: hs.received_datagrams,
                handshake_bytes_received: hs.received_bytes,
            }),
        })
    }
    #[cfg(not(feature = "quic"))]
    {
        let _ = (args, target, addr, server_name, groups, verifier, timeout);
        Err(Failure::Usage(
            "this pqhkex was built without QUIC (the CLI's `quic` feature)".into(),
        ))
    }
}
