//! The verdict: a pure function from the evidence the probes gathered to a
//! classification, with no I/O, so that it can be tested as a table and re-drawn from a
//! saved report.
//!
//! The rules, for TLS ([`tls`]):
//!
//! * **Evidence.** A probe is evidence of acceptance when the server chose the offered
//!   group ([`ProbeResult::Accepted`], [`ProbeResult::HelloRetryRequest`], whether or
//!   not the rest of the handshake completed), and evidence of refusal only when it
//!   refused with an alert ([`ProbeResult::Rejected`]). Errors, timeouts and probes not
//!   run are evidence of nothing.
//! * **Both sides of the browser-like offer count.** The group it negotiated is
//!   accepted, post-quantum or classical.
//! * **Each kind of group** (post-quantum: hybrid or pure ML-KEM; classical) is
//!   [`Support::Accepted`] when a group of that kind was accepted,
//!   [`Support::NotAccepted`] when at least one was probed on its own and every one
//!   probed was refused with evidence, and [`Support::Undetermined`] otherwise.
//! * **Classification.** `pq-only`, `pq-and-classical` and `classical-only` need both
//!   kinds determined; `tls12-only` needs the browser-like offer to settle on TLS 1.2
//!   and every TLS 1.3-only offer to be refused; `legacy-tls-only` needs a
//!   `protocol_version` alert to the browser-like offer (TLS 1.2 and 1.3). Anything
//!   else is `undetermined`, with the missing evidence in [`Verdict::reasons`]: a
//!   target whose post-quantum support is unknown is never `classical-only` or
//!   `no-common-group`.
//! * **Failures and exit codes.** An undetermined target carries
//!   [`Failure::Undetermined`] (exit code 9), or [`Failure::Handshake`] (8) when no offer
//!   at all led to a key exchange; `tls12-only` and `legacy-tls-only` carry
//!   [`Failure::Tls12Only`] (6).
//!
//! For SSH ([`ssh()`]) the evidence is the server's KEXINIT (what it offers, RFC 4253
//! §7.1) and, when `mlkem768x25519-sha256` was run, whether its result verified: a
//! failed or interrupted run is reported as such and never counts as "negotiates
//! post-quantum by default".

use crate::report::{GroupKind, GroupProbe, Probe, ProbeResult, Support, Verdict};
use crate::ssh::{self, KexMethod, SshReport, VerificationStatus};
use crate::{Class, Failure};

/// A classification and what goes with it in a [`crate::TargetResult`].
///
/// ```
/// # use pqhkex_inventory::{verdict, Class};
/// # fn show(c: &verdict::Classified) {
/// if c.classification == Class::Undetermined {
///     eprintln!("{}", c.verdict.reasons.join("; "));
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    /// The classification.
    pub classification: Class,
    /// What it rests on.
    pub verdict: Verdict,
    /// Whether a default client (TLS: the browser-like offer; SSH: an OpenSSH 10
    /// client) is shown to negotiate post-quantum.
    pub quantum_safe_by_default: bool,
    /// Whether the endpoint is shown to speak TLS 1.2 (or older) only.
    pub tls12_only: bool,
    /// The failure to report, when the classification is not a clean answer
    /// (undetermined, TLS 1.2 or older only, SSH exchange not verified).
    pub failure: Option<Failure>,
}

/// How many probe details an undetermined verdict lists at most.
const MAX_REASONS: usize = 8;

/// Whether a probe's accepted group is post-quantum (`None` unless it was accepted).
fn accepted_pq(p: &Probe) -> Option<bool> {
    if !p.result.is_accepted() {
        return None;
    }
    p.post_quantum
        .or_else(|| p.negotiated_group().map(|g| g.is_post_quantum()))
}

/// One line saying why a probe is no evidence.
fn no_evidence(label: &str, p: &Probe) -> String {
    let why = p
        .failure
        .as_ref()
        .map(|f| f.message.as_str())
        .or(p.detail.as_deref())
        .unwrap_or("no detail");
    let what = match p.result {
        ProbeResult::NotTested => "not tested",
        ProbeResult::Undetermined => "undetermined",
        _ => "failed without evidence",
    };
    format!("{label}: {what} ({why})")
}

/// The support of one kind of group, from the group probes of that kind and the
/// browser-like offer; pushes why onto `reasons` when undetermined.
fn support(
    kind_name: &str,
    of_kind: &[&GroupProbe],
    default_accepts: bool,
    reasons: &mut Vec<String>,
) -> Support {
    if default_accepts || of_kind.iter().any(|g| g.accepted()) {
        return Support::Accepted;
    }
    if of_kind.is_empty() {
        reasons.push(format!(
            "no {kind_name} group was offered on its own, and the browser-like offer did not negotiate one"
        ));
        return Support::Undetermined;
    }
    if of_kind.iter().all(|g| g.probe.result.is_refusal()) {
        return Support::NotAccepted;
    }
    for g in of_kind.iter().filter(|g| !g.probe.result.is_refusal()) {
        reasons.push(no_evidence(&g.name, &g.probe));
    }
    Support::Undetermined
}

/// The verdict on a TLS target from its browser-like offer and its group probes.
/// `target` names it in the failure message.
///
/// ```
/// use pqhkex_inventory::{verdict, Class, Probe, ProbeResult};
///
/// // Nothing but errors: never "no-common-group".
/// let d = Probe { result: ProbeResult::Error, ..Probe::not_run(&pqhkex_inventory::browser_offer(), "reset") };
/// let c = verdict::tls("h:443", &d, &[]);
/// assert_eq!(c.classification, Class::Undetermined);
/// assert_eq!(c.failure.unwrap().exit_code(), 8);
/// ```
pub fn tls(target: &str, default_offer: &Probe, groups: &[GroupProbe]) -> Classified {
    let d = default_offer;
    let all: Vec<&Probe> = std::iter::once(d)
        .chain(
            groups
                .iter()
                .flat_map(|g| std::iter::once(&g.probe).chain(g.without_key_share.iter())),
        )
        .collect();
    let quantum_safe_by_default = accepted_pq(d) == Some(true);
    let mut reasons = Vec::new();
    let pq_groups: Vec<&GroupProbe> = groups
        .iter()
        .filter(|g| g.kind != GroupKind::Classical)
        .collect();
    let classical_groups: Vec<&GroupProbe> = groups
        .iter()
        .filter(|g| g.kind == GroupKind::Classical)
        .collect();
    let post_quantum = support(
        "post-quantum",
        &pq_groups,
        quantum_safe_by_default,
        &mut reasons,
    );
    let classical = support(
        "classical",
        &classical_groups,
        accepted_pq(d) == Some(false),
        &mut reasons,
    );

    // No offer led to a key exchange.
    if !all.iter().any(|p| p.result.is_accepted()) {
        let (classification, failure) = if d.result == ProbeResult::Rejected
            && d.alert.as_deref() == Some("protocol_version")
        {
            (
                Class::LegacyTlsOnly,
                Failure::Tls12Only(format!(
                    "{target} refused TLS 1.3 and TLS 1.2 (protocol_version alert, RFC 8446 §4.2.1): it speaks an older protocol only, so no post-quantum key exchange is possible"
                )),
            )
        } else {
            let mut seen: Vec<String> = Vec::new();
            for p in &all {
                let line = match (&p.alert, &p.failure, &p.detail) {
                    (Some(a), _, _) => format!("{a} alert"),
                    (None, Some(f), _) => f.message.clone(),
                    (None, None, Some(d)) => d.clone(),
                    _ => continue,
                };
                if !seen.contains(&line) && seen.len() < 3 {
                    seen.push(line);
                }
            }
            (
                Class::Undetermined,
                Failure::Handshake(format!(
                    "{target}: no offer led to a key exchange ({}), so which groups it supports is not determined: a refusal of every offer cannot be told apart from one of the cipher suites, server name or signature algorithms",
                    seen.join("; ")
                )),
            )
        };
        reasons.push(failure.message().to_string());
        reasons.truncate(MAX_REASONS);
        return Classified {
            classification,
            verdict: Verdict {
                post_quantum: Support::Undetermined,
                classical: Support::Undetermined,
                reasons,
            },
            quantum_safe_by_default: false,
            tls12_only: classification == Class::LegacyTlsOnly,
            failure: Some(failure),
        };
    }

    let tls13_seen = all.iter().any(|p| {
        p.result.is_accepted() && p.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
    });
    let default_tls12 =
        d.result.is_accepted() && d.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_2);
    let mut tls12_only = false;
    let mut post_quantum = post_quantum;
    // The browser-like offer offered TLS 1.3 with a hybrid key share and got TLS 1.2:
    // with no post-quantum group probed on its own, that offer is the evidence that
    // the server negotiates no post-quantum group (the hybrid groups are TLS 1.3 only,
    // draft-ietf-tls-ecdhe-mlkem §3).
    if default_tls12 && !tls13_seen && pq_groups.is_empty() {
        post_quantum = Support::NotAccepted;
        reasons.retain(|r| !r.starts_with("no post-quantum group was offered"));
    }
    let classification = if default_tls12 && !tls13_seen {
        if post_quantum == Support::NotAccepted {
            tls12_only = true;
            Class::Tls12Only
        } else {
            reasons.push(
                "the browser-like offer settled on TLS 1.2, but not every TLS 1.3 offer was refused, so whether the server speaks TLS 1.3 is not determined"
                    .into(),
            );
            Class::Undetermined
        }
    } else {
        match (post_quantum, classical) {
            (Support::Accepted, Support::Accepted) => Class::PqAndClassical,
            (Support::Accepted, Support::NotAccepted) => Class::PqOnly,
            (Support::NotAccepted, Support::Accepted) => Class::ClassicalOnly,
            (Support::NotAccepted, Support::NotAccepted) => {
                reasons.push(format!(
                    "inconsistent answers: the browser-like offer negotiated {}, yet every group offered on its own was refused",
                    d.group.as_deref().unwrap_or("a group")
                ));
                Class::Undetermined
            }
            _ => Class::Undetermined,
        }
    };
    reasons.truncate(MAX_REASONS);
    let failure = match classification {
        Class::Tls12Only => Some(Failure::Tls12Only(format!(
            "{target} speaks TLS 1.2 only: no post-quantum key exchange is possible"
        ))),
        Class::Undetermined => Some(Failure::Undetermined(format!(
            "{target}: the classification is undetermined: {}",
            reasons.join("; ")
        ))),
        _ => None,
    };
    Classified {
        classification,
        verdict: Verdict {
            post_quantum,
            classical,
            reasons,
        },
        quantum_safe_by_default,
        tls12_only,
        failure,
    }
}

/// The verdict on an SSH target from its report (KEXINIT and the hybrid run).
///
/// ```no_run
/// # fn show(report: &pqhkex_inventory::ssh::SshReport) {
/// let c = pqhkex_inventory::verdict::ssh("ssh://h", report);
/// println!("{} (by default: {})", c.classification, c.quantum_safe_by_default);
/// # }
/// ```
pub fn ssh(target: &str, report: &SshReport) -> Classified {
    let offered = |pq: bool| {
        report
            .kex_algorithms
            .iter()
            .any(|m| m.post_quantum == pq && m.kind != ssh::KexKind::Other)
    };
    let support = |yes: bool| {
        if yes {
            Support::Accepted
        } else {
            Support::NotAccepted
        }
    };
    let classification = match report.classification {
        ssh::Classification::PqOnly => Class::PqOnly,
        ssh::Classification::PqAndClassical => Class::PqAndClassical,
        ssh::Classification::ClassicalOnly => Class::ClassicalOnly,
        _ => Class::NoCommonGroup,
    };
    let v = &report.verification;
    let detail = v.detail.as_deref().unwrap_or("no detail");
    let failure = match v.status {
        VerificationStatus::Failed => Some(Failure::Handshake(format!(
            "{target}: the post-quantum key exchange did not verify: {detail}"
        ))),
        VerificationStatus::Undetermined => Some(Failure::Undetermined(format!(
            "{target}: the post-quantum key exchange did not finish, so whether the server runs it correctly is not determined: {detail}"
        ))),
        _ => None,
    };
    // What a default OpenSSH 10 client negotiates, unless running it showed that the
    // server gets it wrong (or could not show it gets it right).
    let quantum_safe_by_default = report
        .openssh10_client_choice
        .as_deref()
        .is_some_and(|c| KexMethod::describe(c).post_quantum)
        && !matches!(
            v.status,
            VerificationStatus::Failed | VerificationStatus::Undetermined
        );
    Classified {
        classification,
        verdict: Verdict {
            post_quantum: support(offered(true)),
            classical: support(offered(false)),
            reasons: failure.iter().map(|f| f.message().to_string()).collect(),
        },
        quantum_safe_by_default,
        tls12_only: false,
        failure,
    }
}

/// For an endpoint classified [`Class::Tls12Only`] or [`Class::LegacyTlsOnly`]: marks
/// the refused offers that TLS 1.2 cannot carry (a post-quantum group: the hybrid and
/// ML-KEM groups are TLS 1.3 only, draft-ietf-tls-ecdhe-mlkem §3; a HelloRetryRequest
/// probe: RFC 8446 §4.1.4) as [`ProbeResult::NotApplicable`], so that no row reads
/// "rejected" for a group the server was never able to consider. The alert stays as the
/// evidence; the classification, drawn again from the marked probes, is the same.
///
/// ```
/// use pqhkex_inventory::{verdict, Class, GroupKind, GroupProbe, Probe, ProbeResult};
///
/// let g = &pqhkex::groups::X25519MLKEM768;
/// let refused = Probe { result: ProbeResult::Rejected, alert: Some("protocol_version".into()), ..Probe::not_run(&[g], "") };
/// let mut groups = vec![GroupProbe { name: g.name.into(), code: "0x11ec".into(), kind: GroupKind::Hybrid, nist_category: Some(3), probe: refused, without_key_share: None }];
/// verdict::mark_not_applicable(Class::Tls12Only, &mut groups);
/// assert_eq!(groups[0].probe.result, ProbeResult::NotApplicable);
/// ```
pub fn mark_not_applicable(class: Class, groups: &mut [GroupProbe]) {
    if !matches!(class, Class::Tls12Only | Class::LegacyTlsOnly) {
        return;
    }
    let older = if class == Class::Tls12Only {
        "TLS 1.2"
    } else {
        "a protocol older than TLS 1.2"
    };
    let mark = |p: &mut Probe, why: &str| {
        if p.result == ProbeResult::Rejected {
            p.result = ProbeResult::NotApplicable;
            p.detail = Some(format!("the endpoint speaks {older} only; {why}"));
        }
    };
    for g in groups.iter_mut() {
        let tls13_only = g
            .group()
            .map_or(g.kind != GroupKind::Classical, |x| !x.tls12_allowed());
        if tls13_only {
            mark(&mut g.probe, "this group exists in TLS 1.3 only");
        }
        if let Some(p) = g.without_key_share.as_mut() {
            mark(p, "HelloRetryRequest exists in TLS 1.3 only");
        }
    }
}

/// The key-exchange posture of a TLS endpoint ([`crate::TargetResult::pq_posture`]):
/// `pq-preferred` when the server picked the post-quantum group with a client that
/// listed x25519 first and sent both key shares, `pq-capable` when it accepts
/// post-quantum groups but picked x25519 there, `classical-only` when the verdict shows
/// no post-quantum group is accepted (including TLS 1.2 and older only), and
/// `undetermined` otherwise. `prefers_post_quantum` is the preference probe's answer
/// (`None`: not probed).
///
/// ```
/// use pqhkex_inventory::{verdict, Answer, Posture, Support, Verdict};
///
/// let v = Verdict { post_quantum: Support::Accepted, classical: Support::Accepted, reasons: vec![] };
/// assert_eq!(verdict::tls_posture(&v, Some(Answer::No)), Posture::PqCapable);
/// assert_eq!(verdict::tls_posture(&v, None), Posture::Undetermined);
/// ```
pub fn tls_posture(v: &Verdict, prefers_post_quantum: Option<crate::Answer>) -> crate::Posture {
    use crate::{Answer, Posture};
    match (v.post_quantum, prefers_post_quantum) {
        (Support::NotAccepted, _) => Posture::ClassicalOnly,
        (Support::Accepted, Some(Answer::Yes)) => Posture::PqPreferred,
        (Support::Accepted, Some(Answer::No)) => Posture::PqCapable,
        _ => Posture::Undetermined,
    }
}

/// The key-exchange posture of an SSH endpoint from its classification: in SSH the
/// client's order decides (RFC 4253 §7.1), so a server "prefers" post-quantum only by
/// offering nothing else.
///
/// ```
/// use pqhkex_inventory::{verdict, Class, Posture};
///
/// assert_eq!(verdict::ssh_posture(Class::PqAndClassical), Posture::PqCapable);
/// ```
pub fn ssh_posture(class: Class) -> crate::Posture {
    use crate::Posture;
    match class {
        Class::PqOnly => Posture::PqPreferred,
        Class::PqAndClassical => Posture::PqCapable,
        Class::ClassicalOnly => Posture::ClassicalOnly,
        _ => Posture::Undetermined,
    }
}

/// Completes a TLS verdict with the raw TLS 1.2-and-older probes ([`crate::legacy`]):
/// a server that negotiates nothing with rustls's offers (e.g. one whose only suites are
/// `TLS_RSA_*` key transport, or that speaks only TLS 1.0, neither of which rustls
/// has) is undetermined by [`tls`] alone. When the raw probes show which old version it
/// accepts, and a TLS 1.3-only offer was refused with a `protocol_version` alert
/// (RFC 8446 §4.2.1: the server supports none of the versions offered), the evidence
/// decides: `tls12-only` when TLS 1.2 is accepted, `legacy-tls-only` when TLS 1.2 is
/// refused and TLS 1.1 or 1.0 accepted. Anything else is left as it was.
///
/// ```
/// use pqhkex_inventory::legacy::{Legacy, VersionResult};
/// use pqhkex_inventory::{verdict, Class, GroupKind, GroupProbe, Probe, ProbeResult};
///
/// let g = &pqhkex::groups::X25519MLKEM768;
/// let refused = |alert: &str| Probe { result: ProbeResult::Rejected, alert: Some(alert.into()), ..Probe::not_run(&[g], "") };
/// let groups = vec![GroupProbe { name: g.name.into(), code: "0x11ec".into(), kind: GroupKind::Hybrid, nist_category: Some(3), probe: refused("protocol_version"), without_key_share: None }];
/// let c = verdict::tls("h:443", &refused("handshake_failure"), &groups);
/// assert_eq!(c.classification, Class::Undetermined);
/// let legacy = Legacy { tls12: VersionResult::Accepted, ..Legacy::default() };
/// assert_eq!(verdict::with_legacy(c, "h:443", &groups, &legacy).classification, Class::Tls12Only);
/// ```
pub fn with_legacy(
    c: Classified,
    target: &str,
    groups: &[GroupProbe],
    legacy: &crate::legacy::Legacy,
) -> Classified {
    use crate::legacy::VersionResult;
    if c.classification != Class::Undetermined {
        return c;
    }
    let probes = || {
        groups
            .iter()
            .flat_map(|g| std::iter::once(&g.probe).chain(g.without_key_share.iter()))
    };
    if probes().any(|p| {
        p.result.is_accepted() && p.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
    }) {
        return c;
    }
    let tls13_refused = groups.iter().any(|g| {
        let tls13_only = g
            .group()
            .map_or(g.kind != GroupKind::Classical, |x| !x.tls12_allowed());
        let version_alert =
            |p: &Probe| p.result.is_refusal() && p.alert.as_deref() == Some("protocol_version");
        (tls13_only && version_alert(&g.probe))
            || g.without_key_share.as_ref().is_some_and(version_alert)
    });
    if !tls13_refused {
        return c;
    }
    let older_accepted =
        legacy.tls11 == VersionResult::Accepted || legacy.tls10 == VersionResult::Accepted;
    let (classification, message) = match legacy.tls12 {
        VersionResult::Accepted => (
            Class::Tls12Only,
            format!(
                "{target} speaks TLS 1.2 only (a TLS 1.3-only offer got a protocol_version alert, a raw TLS 1.2 ClientHello a TLS 1.2 ServerHello): no post-quantum key exchange is possible"
            ),
        ),
        VersionResult::Refused if older_accepted => (
            Class::LegacyTlsOnly,
            format!(
                "{target} refuses TLS 1.3 (protocol_version alert) and TLS 1.2, and accepts an older TLS: no post-quantum key exchange is possible"
            ),
        ),
        _ => return c,
    };
    Classified {
        classification,
        verdict: Verdict {
            post_quantum: Support::NotAccepted,
            classical: c.verdict.classical,
            reasons: Vec::new(),
        },
        quantum_safe_by_default: false,
        tls12_only: true,
        failure: Some(Failure::Tls12Only(message)),
    }
}

#[cfg(test)]
mod tests {
    //! The verdict as a table: each row is the evidence of a scenario (most from the
    //! hostile peers of `cli/tests/hostile.rs`) and the verdict it must give.

    use super::*;
    use crate::report::test_rows::{group, ok};
    use crate::report::ErrorInfo;
    use pqhkex::groups::{SECP256R1, X25519, X25519MLKEM768};

    fn refused(alert: &str) -> Probe {
        Probe {
            result: ProbeResult::Rejected,
            alert: Some(alert.into()),
            detail: Some(format!("{alert} alert")),
            ..Probe::not_run(&[], "")
        }
    }

    fn error(kind: Failure) -> Probe {
        Probe {
            result: ProbeResult::Error,
            failure: Some(ErrorInfo::from(&kind)),
            detail: Some(kind.message().into()),
            ..Probe::not_run(&[], "")
        }
    }

    fn not_tested() -> Probe {
        Probe::not_run(&[], "not run: the per-target time budget was spent")
    }

    /// On a TLS 1.2-only endpoint a refused HelloRetryRequest probe (a group listed
    /// without a key share) reads "not applicable" for every group, a classical one
    /// included (RFC 8446 §4.1.4: HelloRetryRequest exists in TLS 1.3 only); a refused
    /// classical group offered with its share stays "rejected", and an endpoint that
    /// speaks TLS 1.3 keeps every "rejected".
    #[test]
    fn hello_retry_rows_do_not_apply_to_tls12() {
        let rows = || {
            vec![
                GroupProbe {
                    without_key_share: Some(refused("protocol_version")),
                    ..group(&X25519MLKEM768, refused("protocol_version"))
                },
                GroupProbe {
                    without_key_share: Some(refused("handshake_failure")),
                    ..group(&SECP256R1, refused("handshake_failure"))
                },
                GroupProbe {
                    without_key_share: Some(ok(&X25519, true)),
                    ..group(&X25519, ok(&X25519, true))
                },
            ]
        };
        let mut groups = rows();
        mark_not_applicable(Class::Tls12Only, &mut groups);
        let hrr: Vec<ProbeResult> = groups
            .iter()
            .map(|g| g.without_key_share.as_ref().unwrap().result)
            .collect();
        assert_eq!(
            hrr,
            [
                ProbeResult::NotApplicable,
                ProbeResult::NotApplicable,
                ProbeResult::Accepted
            ]
        );
        let with_share: Vec<ProbeResult> = groups.iter().map(|g| g.probe.result).collect();
        assert_eq!(
            with_share,
            [
                ProbeResult::NotApplicable,
                ProbeResult::Rejected,
                ProbeResult::Accepted
            ]
        );
        let p = groups[1].without_key_share.as_ref().unwrap();
        assert!(
            p.detail.as_deref().unwrap().contains("HelloRetryRequest"),
            "{p:#?}"
        );
        assert_eq!(
            p.alert.as_deref(),
            Some("handshake_failure"),
            "the evidence stays"
        );

        let mut groups = rows();
        mark_not_applicable(Class::PqAndClassical, &mut groups);
        assert_eq!(groups, rows());
    }

    struct Row {
        name: &'static str,
        default_offer: Probe,
        groups: Vec<GroupProbe>,
        class: Class,
        post_quantum: Support,
        classical: Support,
        by_default: bool,
        exit: Option<u8>,
    }

    fn timeout() -> Failure {
        Failure::Timeout("slow".into())
    }

    #[test]
    fn table() {
        let pq = &X25519MLKEM768;
        let rows = vec![
            Row {
                name: "a post-quantum and classical server",
                default_offer: ok(pq, false),
                groups: vec![group(pq, ok(pq, false)), group(&X25519, ok(&X25519, false))],
                class: Class::PqAndClassical,
                post_quantum: Support::Accepted,
                classical: Support::Accepted,
                by_default: true,
                exit: None,
            },
            Row {
                name: "post-quantum only",
                default_offer: ok(pq, false),
                groups: vec![
                    group(pq, ok(pq, false)),
                    group(&X25519, refused("handshake_failure")),
                ],
                class: Class::PqOnly,
                post_quantum: Support::Accepted,
                classical: Support::NotAccepted,
                by_default: true,
                exit: None,
            },
            Row {
                name: "classical only, with evidence",
                default_offer: ok(&X25519, false),
                groups: vec![
                    group(pq, refused("handshake_failure")),
                    group(&X25519, ok(&X25519, false)),
                ],
                class: Class::ClassicalOnly,
                post_quantum: Support::NotAccepted,
                classical: Support::Accepted,
                by_default: false,
                exit: None,
            },
            Row {
                // scan --groups x25519 against a post-quantum server: the browser-like
                // offer's post-quantum group counts.
                name: "post-quantum seen only in the browser-like offer",
                default_offer: ok(pq, false),
                groups: vec![group(&X25519, ok(&X25519, false))],
                class: Class::PqAndClassical,
                post_quantum: Support::Accepted,
                classical: Support::Accepted,
                by_default: true,
                exit: None,
            },
            Row {
                // A server that answers its first connection only: later probes fail.
                name: "only the first connection answered",
                default_offer: ok(pq, false),
                groups: vec![
                    group(pq, error(Failure::NotTls("closed".into()))),
                    group(&X25519, error(Failure::Unreachable("refused".into()))),
                ],
                class: Class::Undetermined,
                post_quantum: Support::Accepted,
                classical: Support::Undetermined,
                by_default: true,
                exit: Some(9),
            },
            Row {
                name: "classical by default, post-quantum probes timed out",
                default_offer: ok(&X25519, false),
                groups: vec![
                    group(pq, error(timeout())),
                    group(&X25519, ok(&X25519, false)),
                ],
                class: Class::Undetermined,
                post_quantum: Support::Undetermined,
                classical: Support::Accepted,
                by_default: false,
                exit: Some(9),
            },
            Row {
                name: "post-quantum probes not run (budget spent)",
                default_offer: ok(&X25519, false),
                groups: vec![group(&X25519, ok(&X25519, false)), group(pq, not_tested())],
                class: Class::Undetermined,
                post_quantum: Support::Undetermined,
                classical: Support::Accepted,
                by_default: false,
                exit: Some(9),
            },
            Row {
                name: "no post-quantum group probed alone, classical by default",
                default_offer: ok(&X25519, false),
                groups: vec![group(&X25519, ok(&X25519, false))],
                class: Class::Undetermined,
                post_quantum: Support::Undetermined,
                classical: Support::Accepted,
                by_default: false,
                exit: Some(9),
            },
            Row {
                // scan --groups x25519 against a TLS 1.2 server: the browser-like offer
                // (TLS 1.3 with a hybrid share) got TLS 1.2, the evidence needed.
                name: "TLS 1.2 by default, only classical groups probed",
                default_offer: ok(&X25519, true),
                groups: vec![group(&X25519, ok(&X25519, true))],
                class: Class::Tls12Only,
                post_quantum: Support::NotAccepted,
                classical: Support::Accepted,
                by_default: false,
                exit: Some(6),
            },
            Row {
                name: "TLS 1.2 by default, the post-quantum probe timed out",
                default_offer: ok(&X25519, true),
                groups: vec![
                    group(pq, error(timeout())),
                    group(&X25519, ok(&X25519, true)),
                ],
                class: Class::Undetermined,
                post_quantum: Support::Undetermined,
                classical: Support::Accepted,
                by_default: false,
                exit: Some(9),
            },
            Row {
                name: "a bare handshake_failure to everything",
                default_offer: refused("handshake_failure"),
                groups: vec![
                    group(pq, refused("handshake_failure")),
                    group(&X25519, refused("handshake_failure")),
                ],
                class: Class::Undetermined,
                post_quantum: Support::Undetermined,
                classical: Support::Undetermined,
                by_default: false,
                exit: Some(8),
            },
            Row {
                name: "a TLS 1.0/1.1-only server",
                default_offer: refused("protocol_version"),
                groups: vec![
                    group(pq, refused("protocol_version")),
                    group(&X25519, refused("protocol_version")),
                ],
                class: Class::LegacyTlsOnly,
                post_quantum: Support::Undetermined,
                classical: Support::Undetermined,
                by_default: false,
                exit: Some(6),
            },
            Row {
                name: "a ServerHello for a group never offered, an illegal HelloRetryRequest, an alert flood",
                default_offer: error(Failure::Handshake("broke the TLS protocol".into())),
                groups: vec![
                    group(pq, error(Failure::Handshake("broke the TLS protocol".into()))),
                    group(&X25519, error(Failure::Handshake("broke the TLS protocol".into()))),
                ],
                class: Class::Undetermined,
                post_quantum: Support::Undetermined,
                classical: Support::Undetermined,
                by_default: false,
                exit: Some(8),
            },
            Row {
                name: "TLS 1.2 only, every TLS 1.3 offer refused",
                default_offer: ok(&X25519, true),
                groups: vec![
                    group(pq, refused("protocol_version")),
                    group(&X25519, ok(&X25519, true)),
                ],
                class: Class::Tls12Only,
                post_quantum: Support::NotAccepted,
                classical: Support::Accepted,
                by_default: false,
                exit: Some(6),
            },
            Row {
                name: "TLS 1.2 by default, TLS 1.3 offers timed out",
                default_offer: ok(&X25519, true),
                groups: vec![group(pq, error(timeout())), group(&X25519, ok(&X25519, true))],
                class: Class::Undetermined,
                post_quantum: Support::Undetermined,
                classical: Support::Accepted,
                by_default: false,
                exit: Some(9),
            },
            Row {
                // An accepted group whose handshake then failed (an Ed448 or 106 KB
                // chain): the key exchange is the answer.
                name: "accepted, handshake incomplete",
                default_offer: Probe {
                    handshake_completed: Some(false),
                    ..ok(pq, false)
                },
                groups: vec![
                    group(
                        pq,
                        Probe {
                            handshake_completed: Some(false),
                            ..ok(pq, false)
                        },
                    ),
                    group(
                        &X25519,
                        Probe {
                            handshake_completed: Some(false),
                            ..ok(&X25519, false)
                        },
                    ),
                ],
                class: Class::PqAndClassical,
                post_quantum: Support::Accepted,
                classical: Support::Accepted,
                by_default: true,
                exit: None,
            },
            Row {
                name: "the browser-like offer's classical group counts, though refused alone",
                default_offer: ok(&SECP256R1, false),
                groups: vec![
                    group(pq, refused("handshake_failure")),
                    group(&X25519, refused("handshake_failure")),
                    group(&SECP256R1, refused("handshake_failure")),
                ],
                class: Class::ClassicalOnly,
                post_quantum: Support::NotAccepted,
                classical: Support::Accepted,
                by_default: false,
                exit: None,
            },
        ];
        for r in rows {
            let c = tls("h:1", &r.default_offer, &r.groups);
            assert_eq!(c.classification, r.class, "{}: {:?}", r.name, c.verdict);
            assert_eq!(
                (c.verdict.post_quantum, c.verdict.classical),
                (r.post_quantum, r.classical),
                "{}",
                r.name
            );
            assert_eq!(c.quantum_safe_by_default, r.by_default, "{}", r.name);
            assert_eq!(
                c.failure.as_ref().map(Failure::exit_code),
                r.exit,
                "{}: {:?}",
                r.name,
                c.failure
            );
            if r.class == Class::Undetermined {
                assert!(!c.verdict.reasons.is_empty(), "{}: no reason", r.name);
            }
        }
    }

    fn ssh_report(kex: &[&str], status: VerificationStatus) -> SshReport {
        SshReport {
            target: "ssh://h".into(),
            address: "127.0.0.1:22".into(),
            banner: "SSH-2.0-x".into(),
            software: "x".into(),
            kex_algorithms: kex.iter().map(|n| KexMethod::describe(n)).collect(),
            host_key_algorithms: Vec::new(),
            encryption_algorithms: Vec::new(),
            mac_algorithms: Vec::new(),
            compression_algorithms: Vec::new(),
            openssh10_client_choice: ssh::openssh10_choice_of(kex),
            classification: ssh::classify_names(kex),
            verification: ssh::Verification {
                status,
                detail: Some("why".into()),
                host_key_algorithm: None,
                host_key_sha256: None,
            },
            host_key: None,
        }
    }

    #[test]
    fn ssh_table() {
        let both = ["mlkem768x25519-sha256", "curve25519-sha256"];
        let rows = [
            (
                &both[..],
                VerificationStatus::Verified,
                Class::PqAndClassical,
                true,
                None,
            ),
            (
                &both[..],
                VerificationStatus::Failed,
                Class::PqAndClassical,
                false,
                Some(8),
            ),
            (
                &both[..],
                VerificationStatus::Undetermined,
                Class::PqAndClassical,
                false,
                Some(9),
            ),
            (
                &["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"][..],
                VerificationStatus::AdvertisedOnly,
                Class::PqAndClassical,
                true,
                None,
            ),
            (
                &["curve25519-sha256"][..],
                VerificationStatus::NotOffered,
                Class::ClassicalOnly,
                false,
                None,
            ),
            (
                &["mlkem768x25519-sha256"][..],
                VerificationStatus::Verified,
                Class::PqOnly,
                true,
                None,
            ),
            (
                &["ext-info-s"][..],
                VerificationStatus::NotOffered,
                Class::NoCommonGroup,
                false,
                None,
            ),
        ];
        for (kex, status, class, by_default, exit) in rows {
            let c = ssh("ssh://h", &ssh_report(kex, status));
            assert_eq!(c.classification, class, "{kex:?} {status:?}");
            assert_eq!(c.quantum_safe_by_default, by_default, "{kex:?} {status:?}");
            assert_eq!(
                c.failure.as_ref().map(Failure::exit_code),
                exit,
                "{kex:?} {status:?}"
            );
        }
    }
}
