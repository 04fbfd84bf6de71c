//! The policy gate behind `pqhkex scan --require LEVEL` and `pqhkex report --require`:
//! a pure function ([`check`]) from one [`TargetResult`] and a [`Requirement`] to an
//! [`Outcome`], drawn only from the evidence the scan already recorded, so that a saved
//! report gives the same answer as the scan that wrote it.
//!
//! The levels, for TLS targets:
//!
//! * [`Requirement::Pq`]: the endpoint accepts a post-quantum group (hybrid or pure
//!   ML-KEM): `verdict.post_quantum` is `accepted`.
//! * [`Requirement::Hybrid`]: it accepts a hybrid group (`accepted.hybrid`, or the
//!   browser-like offer negotiated one). Not met when no post-quantum group is
//!   accepted, or when every hybrid group probed was refused with an alert.
//! * [`Requirement::PqPreferred`]: the server picks the post-quantum group even when the
//!   client lists x25519 first and sends both key shares (`pq_posture` is
//!   `pq-preferred`, see [`crate::preference`]).
//! * [`Requirement::PqAuth`]: every signature the client relies on is post-quantum or
//!   composite (`authentication.class`, see [`crate::auth`]). A server that signs with
//!   ML-DSA only when a client asks for it alone still authenticates classically to
//!   everyone else: not met, and the reason says so.
//!
//! For SSH targets, `pq` and `hybrid` need a post-quantum key-exchange method offered
//! (every SSH post-quantum method is a hybrid) whose run, when pqhkex ran it, verified;
//! `pq-preferred` needs post-quantum methods only (in SSH the client's order decides,
//! RFC 4253 §7.1, so a server prefers post-quantum only by offering nothing else, see
//! [`crate::verdict::ssh_posture`]); `pq-auth` needs every host-key algorithm offered to
//! be post-quantum or composite (a client may pick any one offered).
//!
//! **Nothing passes without evidence.** A target that was not reached, whose
//! classification is `undetermined`, or whose evidence for the level is missing is
//! [`Outcome::Undetermined`], never [`Outcome::Met`]; the command line fails the gate on
//! it just as on [`Outcome::NotMet`].
//!
//! ```
//! use pqhkex_inventory::gate::{check, Outcome, Requirement};
//! use pqhkex_inventory::{Failure, TargetResult};
//!
//! let down = TargetResult::unreachable("db.internal:443", None, &Failure::Unreachable("refused".into()));
//! let level: Requirement = "pq".parse()?;
//! assert!(matches!(check(&down, level), Outcome::Undetermined { .. }));
//! # Ok::<(), pqhkex_inventory::Failure>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::auth::AuthClass;
use crate::report::{GroupKind, Status};
use crate::ssh::{SshReport, VerificationStatus};
use crate::{verdict, Answer, Class, Failure, Posture, Protocol, Support, TargetResult};

/// A level a target must reach (`scan --require LEVEL`).
///
/// ```
/// use pqhkex_inventory::gate::Requirement;
///
/// let r: Requirement = "pq-preferred".parse()?;
/// assert_eq!(r, Requirement::PqPreferred);
/// assert_eq!(r.as_str(), "pq-preferred");
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Requirement {
    /// Accepts a post-quantum group (hybrid or pure ML-KEM; SSH: a post-quantum method).
    Pq,
    /// Accepts a hybrid group (SSH: a post-quantum hybrid method).
    Hybrid,
    /// Picks post-quantum when the client offers both (SSH: offers nothing else).
    PqPreferred,
    /// Authenticates with post-quantum or composite signatures only (SSH: host keys).
    PqAuth,
}

impl Requirement {
    /// Every level, in the order they are documented.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::gate::Requirement::ALL.len(), 4);
    /// ```
    pub const ALL: [Requirement; 4] = [
        Requirement::Pq,
        Requirement::Hybrid,
        Requirement::PqPreferred,
        Requirement::PqAuth,
    ];

    /// The spelling on the command line and in reports.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::gate::Requirement::PqAuth.as_str(), "pq-auth");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Pq => "pq",
            Requirement::Hybrid => "hybrid",
            Requirement::PqPreferred => "pq-preferred",
            Requirement::PqAuth => "pq-auth",
        }
    }
}

impl FromStr for Requirement {
    type Err = Failure;

    /// Parses `pq`, `hybrid`, `pq-preferred` or `pq-auth`; anything else is a
    /// [`Failure::Usage`] naming the levels.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Requirement::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "unknown requirement {s:?}: expected pq, hybrid, pq-preferred or pq-auth"
                ))
            })
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Whether a target reaches a [`Requirement`].
///
/// ```
/// use pqhkex_inventory::gate::Outcome;
///
/// let o = Outcome::NotMet { reason: "accepts no post-quantum group".into() };
/// assert!(!o.is_met());
/// assert_eq!(o.reason(), Some("accepts no post-quantum group"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The evidence shows the level is reached.
    Met,
    /// The evidence shows it is not.
    NotMet {
        /// What the evidence shows.
        reason: String,
    },
    /// The evidence does not decide (a target not reached, probes that failed without
    /// evidence or were not run). Fails a gate like [`Outcome::NotMet`].
    Undetermined {
        /// What is missing.
        reason: String,
    },
}

impl Outcome {
    /// Whether the level is reached.
    ///
    /// ```
    /// assert!(pqhkex_inventory::gate::Outcome::Met.is_met());
    /// ```
    pub fn is_met(&self) -> bool {
        matches!(self, Outcome::Met)
    }

    /// Why not, for [`Outcome::NotMet`] and [`Outcome::Undetermined`].
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::gate::Outcome::Met.reason(), None);
    /// ```
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Met => None,
            Outcome::NotMet { reason } | Outcome::Undetermined { reason } => Some(reason),
        }
    }

    /// `met`, `not-met` or `undetermined`.
    ///
    /// ```
    /// let o = pqhkex_inventory::gate::Outcome::Undetermined { reason: "timeout".into() };
    /// assert_eq!(o.as_str(), "undetermined");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::NotMet { .. } => "not-met",
            Outcome::Undetermined { .. } => "undetermined",
        }
    }
}

fn not_met(reason: impl Into<String>) -> Outcome {
    Outcome::NotMet {
        reason: reason.into(),
    }
}

fn undetermined(reason: impl Into<String>) -> Outcome {
    Outcome::Undetermined {
        reason: reason.into(),
    }
}

/// The verdict's reasons, or a fallback when it lists none.
fn reasons_or(r: &TargetResult, fallback: &str) -> String {
    let from_verdict = r
        .verdict
        .as_ref()
        .map(|v| v.reasons.join("; "))
        .filter(|s| !s.is_empty());
    let from_error = r.error.as_ref().map(|e| e.message.clone());
    from_verdict
        .or(from_error)
        .unwrap_or_else(|| fallback.to_string())
}

/// Whether `r` reaches `req`, from the evidence in `r` alone.
///
/// ```
/// use pqhkex_inventory::gate::{check, Requirement};
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// for req in Requirement::ALL {
///     let o = check(r, req);
///     println!("{} {req}: {} {}", r.target, o.as_str(), o.reason().unwrap_or(""));
/// }
/// # }
/// ```
pub fn check(r: &TargetResult, req: Requirement) -> Outcome {
    if r.status == Status::Error || r.classification == Class::Unreachable {
        let why = r
            .error
            .as_ref()
            .map_or("no detail".to_string(), |e| e.message.clone());
        return undetermined(format!("not scanned: {why}"));
    }
    if r.classification == Class::Undetermined {
        return undetermined(format!(
            "the classification is undetermined: {}",
            reasons_or(r, "no reason recorded")
        ));
    }
    if r.protocol == Protocol::Ssh {
        return match &r.ssh {
            Some(s) => ssh(r, s, req),
            None => undetermined("an SSH target without its SSH report"),
        };
    }
    match req {
        Requirement::Pq => tls_pq(r),
        Requirement::Hybrid => tls_hybrid(r),
        Requirement::PqPreferred => tls_preferred(r),
        Requirement::PqAuth => tls_auth(r),
    }
}

/// Post-quantum key exchange support from the verdict, else (documents of schema
/// version 1, without one) from the classification.
fn pq_support(r: &TargetResult) -> Support {
    if let Some(v) = &r.verdict {
        return v.post_quantum;
    }
    match r.classification {
        Class::PqOnly | Class::PqAndClassical => Support::Accepted,
        Class::ClassicalOnly | Class::Tls12Only | Class::LegacyTlsOnly | Class::NoCommonGroup => {
            Support::NotAccepted
        }
        _ => Support::Undetermined,
    }
}

fn no_pq_reason(r: &TargetResult) -> String {
    format!(
        "accepts no post-quantum group (classification {})",
        r.classification
    )
}

fn tls_pq(r: &TargetResult) -> Outcome {
    match pq_support(r) {
        Support::Accepted => Outcome::Met,
        Support::NotAccepted => not_met(no_pq_reason(r)),
        _ => undetermined(format!(
            "whether it accepts a post-quantum group is undetermined: {}",
            reasons_or(r, "no reason recorded")
        )),
    }
}

fn tls_hybrid(r: &TargetResult) -> Outcome {
    let default_hybrid = r
        .default_offer
        .as_ref()
        .is_some_and(|d| d.result.is_accepted() && d.hybrid == Some(true));
    if !r.accepted.hybrid.is_empty() || default_hybrid {
        return Outcome::Met;
    }
    match pq_support(r) {
        Support::NotAccepted => return not_met(no_pq_reason(r)),
        Support::Undetermined => {
            return undetermined(format!(
                "whether it accepts a hybrid group is undetermined: {}",
                reasons_or(r, "no reason recorded")
            ))
        }
        _ => {}
    }
    let hybrids: Vec<_> = r
        .groups
        .iter()
        .filter(|g| g.kind == GroupKind::Hybrid)
        .collect();
    let refused = |g: &&crate::GroupProbe| {
        g.probe.result.is_refusal()
            && g.without_key_share
                .as_ref()
                .is_none_or(|p| p.result.is_refusal())
    };
    if !hybrids.is_empty() && hybrids.iter().all(refused) {
        let names: Vec<&str> = hybrids.iter().map(|g| g.name.as_str()).collect();
        return not_met(format!(
            "accepts pure ML-KEM only ({}); refused every hybrid group probed ({})",
            r.accepted.post_quantum.join(", "),
            names.join(", ")
        ));
    }
    if hybrids.is_empty() {
        return undetermined(
            "accepts a post-quantum group, but no hybrid group was probed (scan --groups)",
        );
    }
    let unsettled: Vec<&str> = hybrids
        .iter()
        .filter(|g| !refused(g))
        .map(|g| g.name.as_str())
        .collect();
    undetermined(format!(
        "accepts a post-quantum group; the probes of {} gave no evidence either way",
        unsettled.join(", ")
    ))
}

fn tls_preferred(r: &TargetResult) -> Outcome {
    let pref_reasons = || {
        r.preference
            .as_ref()
            .map(|p| p.reasons.join("; "))
            .filter(|s| !s.is_empty())
    };
    match r.pq_posture {
        Some(Posture::PqPreferred) => Outcome::Met,
        Some(Posture::PqCapable) => not_met(
            "accepts post-quantum, but picks x25519 when a client lists it first and sends both key shares",
        ),
        Some(Posture::ClassicalOnly) => not_met(no_pq_reason(r)),
        _ if pq_support(r) == Support::NotAccepted => not_met(no_pq_reason(r)),
        Some(_) => undetermined(format!(
            "whether it prefers post-quantum is undetermined: {}",
            pref_reasons().unwrap_or_else(|| {
                "the preference was not probed (scan --key-exchange-only?)".into()
            })
        )),
        None => undetermined(
            "the preference was not probed (scan --key-exchange-only, or a report older than schema version 3)",
        ),
    }
}

fn tls_auth(r: &TargetResult) -> Outcome {
    let Some(a) = &r.authentication else {
        return undetermined(
            "no authentication was recorded (no certificate seen, or a report older than schema version 3)",
        );
    };
    let why = if a.reasons.is_empty() {
        a.class.to_string()
    } else {
        a.reasons.join("; ")
    };
    match a.class {
        AuthClass::PostQuantum | AuthClass::Composite => Outcome::Met,
        AuthClass::Classical => not_met(format!(
            "authenticates classically: {why}{}",
            if a.ml_dsa_when_asked == Answer::Yes {
                " (it signs with ML-DSA only for a client that offers nothing else)"
            } else {
                ""
            }
        )),
        _ => undetermined(format!("authentication is undetermined: {why}")),
    }
}

fn ssh(r: &TargetResult, s: &SshReport, req: Requirement) -> Outcome {
    let pq: Vec<&str> = s
        .kex_algorithms
        .iter()
        .filter(|m| m.post_quantum)
        .map(|m| m.name.as_str())
        .collect();
    let detail = s.verification.detail.as_deref().unwrap_or("no detail");
    // Offered, and (when run) verified.
    let kex = || {
        if pq.is_empty() {
            return not_met(format!(
                "offers no post-quantum key-exchange method (classification {})",
                r.classification
            ));
        }
        match s.verification.status {
            VerificationStatus::Failed => not_met(format!(
                "offers {} but the post-quantum exchange did not verify: {detail}",
                pq.join(", ")
            )),
            VerificationStatus::Undetermined => undetermined(format!(
                "offers {} but the post-quantum exchange did not finish: {detail}",
                pq.join(", ")
            )),
            _ => Outcome::Met,
        }
    };
    match req {
        Requirement::Pq => kex(),
        Requirement::Hybrid => {
            if r.accepted.hybrid.is_empty() && !pq.is_empty() {
                undetermined(format!(
                    "offers {} but none is a known hybrid",
                    pq.join(", ")
                ))
            } else {
                kex()
            }
        }
        Requirement::PqPreferred => {
            let posture = r
                .pq_posture
                .unwrap_or_else(|| verdict::ssh_posture(r.classification));
            match (posture, kex()) {
                (_, o @ (Outcome::NotMet { .. } | Outcome::Undetermined { .. })) => o,
                (Posture::PqPreferred, Outcome::Met) => Outcome::Met,
                (Posture::PqCapable, _) => not_met(
                    "offers classical key-exchange methods next to post-quantum ones: in SSH the client's order decides (RFC 4253 §7.1)",
                ),
                _ => undetermined(format!("the posture is {posture}")),
            }
        }
        Requirement::PqAuth => {
            if s.host_key_algorithms.is_empty() {
                return undetermined("the server offered no host-key algorithm");
            }
            let of = |a: Answer| -> Vec<&str> {
                s.host_key_algorithms
                    .iter()
                    .filter(|h| h.quantum_vulnerable == a)
                    .map(|h| h.name.as_str())
                    .collect()
            };
            let (classical, unknown) = (of(Answer::Yes), of(Answer::Undetermined));
            if !classical.is_empty() {
                not_met(format!(
                    "offers classical host keys: {}",
                    classical.join(", ")
                ))
            } else if !unknown.is_empty() {
                undetermined(format!(
                    "host-key algorithms pqhkex does not know: {}",
                    unknown.join(", ")
                ))
            } else {
                Outcome::Met
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The gate as a table: every level against each kind of target.

    use super::*;
    use crate::auth::Authentication;
    use crate::report::test_rows::{group, ok};
    use crate::report::{Accepted, ErrorInfo, GroupProbe, Probe, ProbeResult};
    use crate::ssh::{self, HostKeyAlg, KexMethod, Verification};
    use pqhkex::groups::{MLKEM768, X25519, X25519MLKEM768};
    use pqhkex::Group;

    fn refused(g: &'static Group) -> Probe {
        Probe {
            result: ProbeResult::Rejected,
            alert: Some("handshake_failure".into()),
            ..Probe::not_run(&[g], "")
        }
    }

    fn auth(class: AuthClass, when_asked: Answer) -> Option<Authentication> {
        Some(Authentication {
            class,
            signature_scheme: None,
            signature_scheme_code: None,
            leaf_key: None,
            ml_dsa_when_asked: when_asked,
            ml_dsa_detail: None,
            reasons: vec![format!("handshake signature: {class}")],
        })
    }

    /// A reached TLS target whose key exchange `verdict::tls` draws from the probes.
    fn tls(
        default_offer: Probe,
        groups: Vec<GroupProbe>,
        posture: Option<Posture>,
        a: Option<Authentication>,
    ) -> TargetResult {
        let c = verdict::tls("t:443", &default_offer, &groups);
        let mut accepted = Accepted::default();
        for g in groups.iter().filter(|g| g.accepted()) {
            match g.kind {
                GroupKind::Hybrid => accepted.hybrid.push(g.name.clone()),
                GroupKind::PostQuantum => accepted.post_quantum.push(g.name.clone()),
                GroupKind::Classical => accepted.classical.push(g.name.clone()),
            }
        }
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 443));
        TargetResult {
            default_offer: Some(default_offer),
            groups,
            authentication: a,
            pq_posture: posture,
            ..TargetResult::reached("t:443", addr, crate::Protocol::Tls, c, accepted)
        }
    }

    fn ssh_target(kex: &[&str], host_keys: &[&str], status: VerificationStatus) -> TargetResult {
        let kex_algorithms: Vec<KexMethod> = kex.iter().map(|k| KexMethod::describe(k)).collect();
        let pq = kex_algorithms.iter().any(|m| m.post_quantum);
        let classical = kex_algorithms
            .iter()
            .any(|m| !m.post_quantum && m.kind == ssh::KexKind::Classical);
        let classification = match (pq, classical) {
            (true, true) => ssh::Classification::PqAndClassical,
            (true, false) => ssh::Classification::PqOnly,
            (false, true) => ssh::Classification::ClassicalOnly,
            (false, false) => ssh::Classification::NoCommonMethod,
        };
        let report = SshReport {
            target: "ssh://t".into(),
            address: "127.0.0.1:22".into(),
            banner: "SSH-2.0-OpenSSH_10.0".into(),
            software: "OpenSSH_10.0".into(),
            host_key_algorithms: host_keys.iter().map(|h| HostKeyAlg::describe(h)).collect(),
            encryption_algorithms: vec![],
            mac_algorithms: vec![],
            compression_algorithms: vec![],
            openssh10_client_choice: None,
            classification,
            verification: Verification {
                status,
                detail: Some("connection reset".into()),
                host_key_algorithm: None,
                host_key_sha256: None,
            },
            host_key: None,
            kex_algorithms,
        };
        let c = verdict::ssh("ssh://t", &report);
        let mut accepted = Accepted::default();
        for m in &report.kex_algorithms {
            if m.post_quantum {
                accepted.hybrid.push(m.name.clone());
            } else if m.kind == ssh::KexKind::Classical {
                accepted.classical.push(m.name.clone());
            }
        }
        TargetResult {
            protocol: Protocol::Ssh,
            status: Status::Ok,
            error: c.failure.as_ref().map(ErrorInfo::from),
            classification: c.classification,
            verdict: Some(c.verdict),
            accepted,
            pq_posture: Some(verdict::ssh_posture(c.classification)),
            ssh: Some(report),
            ..TargetResult::unreachable("ssh://t", None, &Failure::Other(String::new()))
        }
    }

    /// M: met, N: not met, U: undetermined; one letter per level in the order of
    /// [`Requirement::ALL`] (pq, hybrid, pq-preferred, pq-auth).
    fn expect(name: &str, r: &TargetResult, letters: &str) {
        for (req, want) in Requirement::ALL.into_iter().zip(letters.chars()) {
            let got = check(r, req);
            let letter = match &got {
                Outcome::Met => 'M',
                Outcome::NotMet { .. } => 'N',
                Outcome::Undetermined { .. } => 'U',
            };
            assert_eq!(letter, want, "{name}, {req}: {got:?}");
            if let Some(reason) = got.reason() {
                assert!(!reason.trim().is_empty(), "{name}, {req}: empty reason");
            }
        }
    }

    #[test]
    fn table() {
        let pq = &X25519MLKEM768;
        let x = &X25519;
        let ml = &MLKEM768;
        let both = || vec![group(pq, ok(pq, false)), group(x, ok(x, false))];
        let timeout = Probe {
            result: ProbeResult::Error,
            detail: Some("timed out".into()),
            ..Probe::not_run(&[pq], "")
        };
        let rows: Vec<(&str, TargetResult, &str)> = vec![
            (
                "PQ preferred, ML-DSA",
                tls(
                    ok(pq, false),
                    both(),
                    Some(Posture::PqPreferred),
                    auth(AuthClass::PostQuantum, Answer::Yes),
                ),
                "MMMM",
            ),
            (
                "PQ capable, composite auth",
                tls(
                    ok(pq, false),
                    both(),
                    Some(Posture::PqCapable),
                    auth(AuthClass::Composite, Answer::No),
                ),
                "MMNM",
            ),
            (
                "PQ capable, RSA, ML-DSA when asked",
                tls(
                    ok(pq, false),
                    both(),
                    Some(Posture::PqCapable),
                    auth(AuthClass::Classical, Answer::Yes),
                ),
                "MMNN",
            ),
            (
                "classical only",
                tls(
                    ok(x, false),
                    vec![group(pq, refused(pq)), group(x, ok(x, false))],
                    Some(Posture::ClassicalOnly),
                    auth(AuthClass::Classical, Answer::No),
                ),
                "NNNN",
            ),
            (
                "pure ML-KEM only, hybrids refused",
                tls(
                    ok(ml, false),
                    vec![
                        group(pq, refused(pq)),
                        group(ml, ok(ml, false)),
                        group(x, refused(x)),
                    ],
                    Some(Posture::PqPreferred),
                    auth(AuthClass::Undetermined, Answer::Undetermined),
                ),
                "MNMU",
            ),
            (
                "pure ML-KEM accepted, hybrid probe timed out",
                tls(
                    ok(ml, false),
                    vec![
                        group(pq, timeout.clone()),
                        group(ml, ok(ml, false)),
                        group(x, refused(x)),
                    ],
                    Some(Posture::Undetermined),
                    None,
                ),
                "MUUU",
            ),
            (
                "undetermined classification (post-quantum probe timed out)",
                tls(
                    ok(x, false),
                    vec![group(pq, timeout), group(x, ok(x, false))],
                    Some(Posture::Undetermined),
                    auth(AuthClass::PostQuantum, Answer::Yes),
                ),
                "UUUU",
            ),
            (
                "TLS 1.2 only",
                tls(
                    ok(x, true),
                    vec![group(x, ok(x, true))],
                    Some(Posture::ClassicalOnly),
                    auth(AuthClass::Classical, Answer::No),
                ),
                "NNNN",
            ),
            (
                "key exchange only (no preference, no authentication probed)",
                tls(ok(pq, false), both(), Some(Posture::Undetermined), None),
                "MMUU",
            ),
            (
                "unreachable",
                TargetResult::unreachable(
                    "down:443",
                    None,
                    &Failure::Unreachable("connection refused".into()),
                ),
                "UUUU",
            ),
            (
                "SSH, post-quantum and classical, verified, ed25519",
                ssh_target(
                    &["mlkem768x25519-sha256", "curve25519-sha256"],
                    &["ssh-ed25519"],
                    VerificationStatus::Verified,
                ),
                "MMNN",
            ),
            (
                "SSH, post-quantum only, composite host key",
                ssh_target(
                    &["mlkem768x25519-sha256"],
                    &["ssh-mldsa44-ed25519@openssh.com"],
                    VerificationStatus::Verified,
                ),
                "MMMM",
            ),
            (
                "SSH, classical only",
                ssh_target(
                    &["curve25519-sha256"],
                    &["rsa-sha2-512"],
                    VerificationStatus::NotOffered,
                ),
                "NNNN",
            ),
            (
                "SSH, the post-quantum exchange failed",
                ssh_target(
                    &["mlkem768x25519-sha256"],
                    &["ssh-ed25519"],
                    VerificationStatus::Failed,
                ),
                "NNNN",
            ),
            (
                "SSH, the post-quantum exchange did not finish, unknown host key",
                ssh_target(
                    &["mlkem768x25519-sha256"],
                    &["x-unknown-key@example.com"],
                    VerificationStatus::Undetermined,
                ),
                "UUUU",
            ),
        ];
        for (name, r, letters) in &rows {
            expect(name, r, letters);
        }
    }

    #[test]
    fn parse() {
        for r in Requirement::ALL {
            assert_eq!(r.as_str().parse::<Requirement>().unwrap(), r);
        }
        let e = "pq-only".parse::<Requirement>().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message().contains("pq-preferred"), "{e}");
    }

    #[test]
    fn saved_report_gives_the_same_answer() {
        let r = tls(
            ok(&X25519MLKEM768, false),
            vec![group(&X25519MLKEM768, ok(&X25519MLKEM768, false))],
            Some(Posture::PqCapable),
            auth(AuthClass::Classical, Answer::No),
        );
        let back: TargetResult = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        for req in Requirement::ALL {
            assert_eq!(check(&r, req), check(&back, req), "{req}");
        }
    }
}
