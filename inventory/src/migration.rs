//! A migration plan per endpoint: a pure function ([`plan`]) from what a scan found to
//! an ordered list of steps, most urgent first. Every step names the finding it rests
//! on; nothing is suggested that the evidence does not show, and an endpoint with
//! nothing to do gets an empty plan (the table says so).
//!
//! Urgency follows the harvest-now-decrypt-later argument: what lets recorded traffic
//! be decrypted later (no post-quantum key exchange, RSA key transport) comes before
//! what only lets a future attacker impersonate the server (classical signatures),
//! which matters only once a quantum computer exists and can be fixed then.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::auth::AuthClass;
use crate::cert::AlgorithmFamily;
use crate::legacy::VersionResult;
use crate::ssh::KexKind;
use crate::{Answer, Class, Posture, Protocol, Status, TargetResult};

/// How soon a step should be taken (JSON `urgency`).
///
/// ```
/// use pqhkex_inventory::migration::Urgency;
///
/// assert!(Urgency::Now < Urgency::Plan);
/// assert_eq!(serde_json::to_string(&Urgency::Now)?, "\"now\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    /// Broken today, or recorded traffic is exposed without any quantum computer.
    Now,
    /// Recorded traffic can be decrypted once a quantum computer exists
    /// (harvest now, decrypt later): migrate before that.
    High,
    /// Post-quantum protection exists but is weaker than it could be.
    Medium,
    /// Needed only once a quantum computer exists (authentication): plan it.
    Plan,
    /// Not a change to the endpoint: the inventory itself is incomplete.
    Info,
}

impl Urgency {
    /// The JSON spelling.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::migration::Urgency::Plan.as_str(), "plan");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Now => "now",
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Plan => "plan",
            Urgency::Info => "info",
        }
    }
}

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One step of a migration plan (JSON `migration[]`).
///
/// ```
/// # fn show(r: &pqhkex_inventory::TargetResult) {
/// for s in r.migration.iter().flatten() {
///     println!("[{}] {}: {}", s.urgency, s.action, s.reason);
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationStep {
    /// What to do.
    pub action: String,
    /// The finding that calls for it.
    pub reason: String,
    /// How soon.
    pub urgency: Urgency,
}

fn step(urgency: Urgency, action: impl Into<String>, reason: impl Into<String>) -> MigrationStep {
    MigrationStep {
        action: action.into(),
        reason: reason.into(),
        urgency,
    }
}

/// The migration plan for one scanned target, most urgent first (a stable order
/// within one urgency: key exchange, protocol versions, certificates). An empty plan
/// means the scan found nothing to change; an unreachable target gets none.
///
/// ```
/// use pqhkex_inventory::{migration, Failure, TargetResult};
///
/// let down = TargetResult::unreachable("h:443", None, &Failure::Unreachable("refused".into()));
/// assert!(migration::plan(&down).is_none());
/// ```
pub fn plan(r: &TargetResult) -> Option<Vec<MigrationStep>> {
    if r.status != Status::Ok {
        return None;
    }
    let mut steps = match r.protocol {
        Protocol::Ssh => ssh_steps(r),
        _ => tls_steps(r),
    };
    steps.sort_by_key(|s| s.urgency);
    Some(steps)
}

fn tls_steps(r: &TargetResult) -> Vec<MigrationStep> {
    let mut steps = Vec::new();
    // Key exchange.
    match r.classification {
        Class::ClassicalOnly => steps.push(step(
            Urgency::High,
            "offer X25519MLKEM768",
            format!(
                "the server accepts only classical groups ({}): traffic recorded today can be decrypted later",
                r.accepted.classical.join(", ")
            ),
        )),
        Class::Tls12Only => steps.push(step(
            Urgency::High,
            "enable TLS 1.3 and offer X25519MLKEM768",
            "the server speaks TLS 1.2 only, where no post-quantum key exchange exists: traffic recorded today can be decrypted later",
        )),
        Class::LegacyTlsOnly => steps.push(step(
            Urgency::Now,
            "replace the TLS stack: enable TLS 1.3 with X25519MLKEM768",
            "the server refuses TLS 1.2 and 1.3 and speaks only an obsolete protocol",
        )),
        Class::Undetermined | Class::NoCommonGroup => steps.push(step(
            Urgency::Info,
            "complete the inventory of the key exchange",
            format!(
                "whether the server accepts post-quantum groups is undetermined: {}",
                r.verdict
                    .as_ref()
                    .map(|v| v.reasons.join("; "))
                    .unwrap_or_else(|| "no verdict".into())
            ),
        )),
        _ => {}
    }
    if let Some(p) = &r.preference {
        let accepts_pq = r.classification.accepts_post_quantum();
        if accepts_pq && p.prefers_post_quantum == Answer::No {
            steps.push(step(
                Urgency::Medium,
                "prefer post-quantum on the server",
                format!(
                    "it accepts {} but picks {} when the client lists x25519 first and sends both key shares",
                    pqhkex::groups::X25519MLKEM768.name,
                    p.probe(crate::preference::Check::BothShares)
                        .and_then(|x| x.group.as_deref())
                        .unwrap_or("a classical group")
                ),
            ));
        }
        if accepts_pq && p.upgrades_by_hrr == Answer::No {
            steps.push(step(
                Urgency::Medium,
                "ask for the post-quantum key share with a HelloRetryRequest",
                "a client that lists X25519MLKEM768 but sends only an x25519 key share gets x25519: \
                 a HelloRetryRequest would upgrade it (RFC 8446 §4.1.4)",
            ));
        }
    }
    if r.pq_posture == Some(Posture::Undetermined) && r.classification.accepts_post_quantum() {
        steps.push(step(
            Urgency::Info,
            "complete the inventory of the server's group preference",
            "whether the server prefers post-quantum groups is undetermined",
        ));
    }
    // TLS 1.2 and older.
    if let Some(l) = &r.legacy {
        if l.rsa_key_transport == Answer::Yes {
            steps.push(step(
                Urgency::Now,
                "disable TLS_RSA_* key transport",
                format!(
                    "the server accepts RSA key transport ({}): no forward secrecy, so whoever gets the server's RSA key, by a quantum computer or otherwise, decrypts every recorded session",
                    l.rsa_key_transport_suites.join(", ")
                ),
            ));
        }
        let old: Vec<&str> = [("TLS 1.0", l.tls10), ("TLS 1.1", l.tls11)]
            .into_iter()
            .filter(|(_, v)| *v == VersionResult::Accepted)
            .map(|(n, _)| n)
            .collect();
        if !old.is_empty() {
            steps.push(step(
                Urgency::Now,
                format!("disable {}", old.join(" and ")),
                format!(
                    "the server accepts {} (deprecated by RFC 8996)",
                    old.join(" and ")
                ),
            ));
        }
        for k in &l.key_exchanges {
            if let Some(bits) = k.dh_bits.filter(|b| *b < 2048) {
                steps.push(step(
                    Urgency::Now,
                    "disable finite-field DHE or use a group of at least 2048 bits",
                    format!("the server's DHE group has {bits} bits"),
                ));
            }
        }
    }
    // Certificates and authentication.
    for (i, c) in r.certificate_chain.iter().enumerate() {
        let k = &c.public_key;
        if matches!(k.family, AlgorithmFamily::Rsa | AlgorithmFamily::RsaPss)
            && k.bits.is_some_and(|b| b < 2048)
        {
            steps.push(step(
                Urgency::Now,
                format!("{} certificate: replace now", k.label()),
                format!(
                    "certificate {i} ({}) has a {}-bit RSA key, breakable without a quantum computer",
                    c.subject.as_deref().unwrap_or("unparsed"),
                    k.bits.unwrap_or(0)
                ),
            ));
        }
        let weak_hash = c
            .signature_algorithm
            .hash
            .as_deref()
            .is_some_and(|h| matches!(h, "SHA-1" | "MD5"));
        let self_signed_root = i > 0 && c.subject.is_some() && c.subject == c.issuer;
        if weak_hash && !self_signed_root {
            steps.push(step(
                Urgency::Now,
                format!("reissue certificate {i} with SHA-256 or better"),
                format!(
                    "it is signed with {} ({})",
                    c.signature_algorithm.name,
                    c.subject.as_deref().unwrap_or("unparsed")
                ),
            ));
        }
    }
    if let Some(a) = &r.authentication {
        match a.class {
            AuthClass::Classical if a.ml_dsa_when_asked == Answer::Yes => steps.push(step(
                Urgency::Plan,
                "retire the classical certificate once clients verify ML-DSA",
                format!(
                    "clients that do not ask for ML-DSA get {}{}, which a quantum attacker could forge; the server already authenticates with ML-DSA when asked",
                    a.leaf_key.as_deref().unwrap_or("a classical key"),
                    a.signature_scheme
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                ),
            )),
            AuthClass::Classical => steps.push(step(
                Urgency::Plan,
                "authentication is classical: plan ML-DSA for private PKI (and dual or composite certificates where public clients must still be served)",
                format!(
                    "the server authenticates with {}{}; a quantum attacker could forge it once a quantum computer exists",
                    a.leaf_key.as_deref().unwrap_or("a classical key"),
                    a.signature_scheme
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                ),
            )),
            AuthClass::Undetermined => steps.push(step(
                Urgency::Info,
                "complete the inventory of the server's authentication",
                a.reasons.join("; "),
            )),
            _ => {}
        }
    }
    steps
}

fn ssh_steps(r: &TargetResult) -> Vec<MigrationStep> {
    let mut steps = Vec::new();
    let Some(s) = &r.ssh else {
        return steps;
    };
    let offers_pq = s.kex_algorithms.iter().any(|m| m.post_quantum);
    match r.classification {
        Class::Undetermined => steps.push(step(
            Urgency::Info,
            "complete the inventory of the key exchange",
            r.error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "the SSH exchange did not complete".into()),
        )),
        _ if !offers_pq => steps.push(step(
            Urgency::High,
            "offer mlkem768x25519-sha256 (OpenSSH 9.9 or later)",
            "the server offers only classical key-exchange methods: sessions recorded today can be decrypted later",
        )),
        _ => {}
    }
    if offers_pq && !r.quantum_safe_by_default {
        let first = s
            .kex_algorithms
            .iter()
            .find(|m| m.kind == KexKind::MlkemHybrid || m.post_quantum)
            .map_or("mlkem768x25519-sha256", |m| m.name.as_str());
        steps.push(step(
            Urgency::Medium,
            format!("make sure clients negotiate {first}"),
            "the server offers a post-quantum method, but an OpenSSH 10 client with default settings would not negotiate one with it",
        ));
    }
    let classical_keys: Vec<&str> = s
        .host_key_algorithms
        .iter()
        .filter(|h| h.quantum_vulnerable == Answer::Yes)
        .map(|h| h.name.as_str())
        .collect();
    if !classical_keys.is_empty()
        && !s
            .host_key_algorithms
            .iter()
            .any(|h| h.quantum_vulnerable == Answer::No)
    {
        steps.push(step(
            Urgency::Plan,
            "host keys are classical: plan post-quantum host keys once OpenSSH ships them",
            format!("the server's host keys: {}", classical_keys.join(", ")),
        ));
    }
    steps
}

#[cfg(test)]
mod tests {
    //! The plan as a table: each row a finding and the first step it must produce (or
    //! none).
    use super::*;
    use crate::auth::Authentication;
    use crate::legacy::Legacy;
    use crate::preference::Preference;
    use crate::{Accepted, Failure, Support, Verdict};

    fn base(class: Class) -> TargetResult {
        let mut r = TargetResult::unreachable("h:443", None, &Failure::Other("x".into()));
        r.status = Status::Ok;
        r.error = None;
        r.classification = class;
        r.verdict = Some(Verdict {
            post_quantum: Support::Accepted,
            classical: Support::Accepted,
            reasons: vec![],
        });
        r.accepted = Accepted {
            hybrid: vec!["X25519MLKEM768".into()],
            post_quantum: vec![],
            classical: vec!["x25519".into()],
        };
        r
    }

    fn auth(class: AuthClass, ml_dsa: Answer) -> Authentication {
        Authentication {
            class,
            signature_scheme: Some("rsa_pss_rsae_sha256".into()),
            signature_scheme_code: Some("0x0804".into()),
            leaf_key: Some("RSA-2048".into()),
            ml_dsa_when_asked: ml_dsa,
            ml_dsa_detail: None,
            reasons: vec![],
        }
    }

    #[test]
    fn table() {
        let pref = |prefers, upgrades| Preference {
            prefers_post_quantum: prefers,
            upgrades_by_hrr: upgrades,
            ..Preference::default()
        };
        let legacy = |rsa| Legacy {
            tls12: VersionResult::Accepted,
            tls11: VersionResult::Refused,
            tls10: VersionResult::Refused,
            rsa_key_transport: rsa,
            rsa_key_transport_suites: if rsa == Answer::Yes {
                vec!["TLS_RSA_WITH_AES_128_GCM_SHA256".into()]
            } else {
                vec![]
            },
            ..Legacy::default()
        };
        // (what, the result, expected actions in order)
        let mut rows: Vec<(&str, TargetResult, Vec<&str>)> = Vec::new();

        let mut r = base(Class::PqAndClassical);
        r.preference = Some(pref(Answer::Yes, Answer::Yes));
        r.legacy = Some(legacy(Answer::No));
        r.authentication = Some(auth(AuthClass::PostQuantum, Answer::Yes));
        rows.push(("nothing to do", r, vec![]));

        let mut r = base(Class::ClassicalOnly);
        r.preference = Some(pref(Answer::No, Answer::No));
        rows.push(("classical only", r, vec!["offer X25519MLKEM768"]));

        let mut r = base(Class::PqAndClassical);
        r.preference = Some(pref(Answer::No, Answer::Yes));
        rows.push((
            "accepts but does not prefer",
            r,
            vec!["prefer post-quantum on the server"],
        ));

        let mut r = base(Class::Tls12Only);
        r.legacy = Some(legacy(Answer::Yes));
        rows.push((
            "TLS 1.2 with RSA key transport: now before high",
            r,
            vec![
                "disable TLS_RSA_* key transport",
                "enable TLS 1.3 and offer X25519MLKEM768",
            ],
        ));

        let mut r = base(Class::PqAndClassical);
        r.preference = Some(pref(Answer::Yes, Answer::Yes));
        r.authentication = Some(auth(AuthClass::Classical, Answer::No));
        rows.push((
            "classical authentication is a plan, last",
            r,
            vec!["authentication is classical: plan ML-DSA for private PKI (and dual or composite certificates where public clients must still be served)"],
        ));

        let mut r = base(Class::PqAndClassical);
        r.preference = Some(pref(Answer::Yes, Answer::Yes));
        r.authentication = Some(auth(AuthClass::Classical, Answer::Yes));
        rows.push((
            "dual certificates",
            r,
            vec!["retire the classical certificate once clients verify ML-DSA"],
        ));

        let mut r = base(Class::Undetermined);
        r.verdict = Some(Verdict {
            post_quantum: Support::Undetermined,
            classical: Support::Accepted,
            reasons: vec!["X25519MLKEM768: timeout".into()],
        });
        rows.push((
            "undetermined: never a guess, only an info step",
            r,
            vec!["complete the inventory of the key exchange"],
        ));

        let mut r = base(Class::PqAndClassical);
        r.preference = Some(pref(Answer::Undetermined, Answer::Undetermined));
        r.pq_posture = Some(Posture::Undetermined);
        rows.push((
            "preference undetermined",
            r,
            vec!["complete the inventory of the server's group preference"],
        ));

        for (what, r, expected) in rows {
            let plan = plan(&r).expect("reachable");
            let actions: Vec<&str> = plan.iter().map(|s| s.action.as_str()).collect();
            assert_eq!(actions, expected, "{what}: {plan:#?}");
            // Most urgent first.
            assert!(
                plan.windows(2).all(|w| w[0].urgency <= w[1].urgency),
                "{what}: {plan:#?}"
            );
            // Every step says why.
            assert!(plan.iter().all(|s| !s.reason.is_empty()), "{what}");
        }
    }

    #[test]
    fn small_rsa_keys_and_old_versions_are_now() {
        let mut r = base(Class::PqAndClassical);
        r.preference = Some(Preference {
            prefers_post_quantum: Answer::Yes,
            upgrades_by_hrr: Answer::Yes,
            ..Preference::default()
        });
        r.legacy = Some(Legacy {
            tls12: VersionResult::Accepted,
            tls11: VersionResult::Accepted,
            tls10: VersionResult::Accepted,
            rsa_key_transport: Answer::No,
            ..Legacy::default()
        });
        let mut c = crate::cert::describe(&[]);
        c.public_key.family = AlgorithmFamily::Rsa;
        c.public_key.algorithm = "RSA".into();
        c.public_key.bits = Some(1024);
        c.subject = Some("CN=old".into());
        r.certificate_chain = vec![c];
        let plan = plan(&r).unwrap();
        let now: Vec<&str> = plan
            .iter()
            .filter(|s| s.urgency == Urgency::Now)
            .map(|s| s.action.as_str())
            .collect();
        assert!(now.contains(&"disable TLS 1.0 and TLS 1.1"), "{plan:#?}");
        assert!(
            now.contains(&"RSA-1024 certificate: replace now"),
            "{plan:#?}"
        );
    }
}
