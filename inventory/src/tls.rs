//! Probing one TLS target: which handshakes to run (the browser-like offer, each group
//! alone, optionally each group without a key share, the split-ClientHello checks),
//! and what each one is evidence of. The classification is [`crate::verdict`]'s; the
//! scheduling (budgets, concurrency) [`crate::Scanner`]'s.
//!
//! What a probe's outcome is evidence of (see [`ProbeResult`]):
//! * a ServerHello choosing the offered group: accepted, even if the handshake fails
//!   later (a certificate the provider cannot verify, a chain too large to read); the
//!   probe keeps the group, the version and why the handshake did not complete;
//! * a `handshake_failure`, `insufficient_security` or `protocol_version` alert in
//!   answer to the ClientHello: rejected, the alert recorded;
//! * anything else (timeouts, resets, closes without an alert, broken messages, other
//!   alerts): an error, evidence of nothing.

use std::sync::Arc;
use std::time::Instant;

use pqhkex::Group;
use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{AlertDescription, ProtocolVersion};

use crate::probe::{self, Delivery, Handshake, ProbeError, Recording};
use crate::report::{
    Accepted, CertInfo, ErrorInfo, GroupKind, GroupProbe, Probe, ProbeResult, SplitCheck,
    TargetResult, SPLIT_PAUSE, SPLIT_RECORD_SIZE,
};
use crate::schedule::Budget;
use crate::{verdict, Answer, Failure, Protocol, Scanner, Target};

/// What a browser offers today: X25519MLKEM768 and x25519 key shares, then the NIST
/// curves; TLS 1.3 and 1.2.
///
/// ```
/// let offer = pqhkex_inventory::browser_offer();
/// assert_eq!(offer[0].name, "X25519MLKEM768");
/// ```
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

/// How one probe's ClientHello is shaped.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// A GREASE group holds the only key share.
    without_share: bool,
    /// Two TCP segments instead of one write.
    split_segments: bool,
    /// Records of at most this many bytes.
    max_fragment: Option<usize>,
    /// Advertise only the ML-DSA signature schemes (TLS 1.3 only).
    ml_dsa_only: bool,
}

/// The ML-DSA signature schemes of draft-ietf-tls-mldsa (0x0904-0x0906).
const ML_DSA_SCHEMES: &[rustls::SignatureScheme] = &[
    rustls::SignatureScheme::ML_DSA_44,
    rustls::SignatureScheme::ML_DSA_65,
    rustls::SignatureScheme::ML_DSA_87,
];

/// One probe's outcome: the probe, the handshake if it completed, and the failure.
pub(crate) struct Outcome {
    pub(crate) probe: Probe,
    pub(crate) handshake: Option<Handshake>,
    pub(crate) failure: Option<Failure>,
    /// The server ended the connection before answering the ClientHello, without an
    /// alert ([`probe::Learnt::closed_unanswered`]).
    pub(crate) closed_unanswered: bool,
    /// The server signed its handshake with a scheme the client did not offer.
    pub(crate) unadvertised_scheme: bool,
}

/// An alert's name as RFC 8446 §6 spells it (`handshake_failure`).
pub(crate) fn alert_name(a: AlertDescription) -> String {
    pqhkex::inspect::alert_name(u8::from(a))
        .map(str::to_string)
        .unwrap_or_else(|| format!("{a:?}"))
}

/// What a failed handshake is evidence of (see the module documentation).
pub(crate) fn failed_probe(offered: &[&'static Group], e: &ProbeError, elapsed_ms: u64) -> Probe {
    let learnt = &e.learnt;
    let alert = match &e.tls {
        Some(rustls::Error::AlertReceived(a)) => Some(*a),
        _ => None,
    };
    let base = Probe {
        detail: Some(e.failure.message().to_string()),
        alert: alert.map(alert_name),
        failure: Some(ErrorInfo::from(&e.failure)),
        elapsed_ms: Some(elapsed_ms),
        ..Probe::not_run(offered, "")
    };
    // The server chose one of the offered groups and the client took its key share
    // up: the key exchange is answered, whatever failed after it.
    let chosen = learnt
        .group
        .and_then(|n| pqhkex::groups::by_code(u16::from(n)))
        .filter(|g| offered.iter().any(|o| o.code == g.code));
    let bad_share = matches!(
        e.tls,
        Some(rustls::Error::PeerMisbehaved(
            rustls::PeerMisbehaved::InvalidKeyShare
        ))
    );
    if let Some(g) = chosen.filter(|_| !bad_share) {
        return Probe {
            result: if learnt.hello_retry_request {
                ProbeResult::HelloRetryRequest
            } else {
                ProbeResult::Accepted
            },
            group: Some(g.name.to_string()),
            group_code: Some(format!("0x{:04x}", g.code)),
            post_quantum: Some(g.is_post_quantum()),
            hybrid: Some(g.is_hybrid()),
            protocol: learnt.protocol_version.map(probe::version_name),
            cipher_suite: learnt.cipher_suite.map(probe::suite_name),
            detail: Some(format!(
                "the server chose {}, then the handshake did not complete: {}",
                g.name,
                e.failure.message()
            )),
            handshake_completed: Some(false),
            ..base
        };
    }
    // A refusal in answer to the ClientHello, with the alert that says so.
    let refusal = matches!(
        alert,
        Some(
            AlertDescription::HandshakeFailure
                | AlertDescription::InsufficientSecurity
                | AlertDescription::ProtocolVersion
        )
    ) && learnt.protocol_version.is_none();
    Probe {
        result: if refusal {
            ProbeResult::Rejected
        } else {
            ProbeResult::Error
        },
        // A refusal is a finding, not a failure of the probe.
        failure: if refusal { None } else { base.failure.clone() },
        ..base
    }
}

impl Scanner {
    /// One handshake offering `offered`, with the ClientHello shaped as `shape` says,
    /// within what `budget` leaves.
    fn probe_once(
        &self,
        target: &Target,
        addr: std::net::SocketAddr,
        offered: &[&'static Group],
        shape: Shape,
        budget: &Budget,
    ) -> Outcome {
        let Some(timeout) = budget.next() else {
            let why = "not run: the per-target time budget was spent";
            return Outcome {
                probe: Probe::not_run(offered, why),
                handshake: None,
                failure: Some(Failure::Timeout(format!("{}: {why}", target.input))),
                closed_unanswered: false,
                unadvertised_scheme: false,
            };
        };
        let names = offered.iter().map(|g| g.name.to_string()).collect();
        let recording = if shape.ml_dsa_only {
            Recording::asking_for(self.verifier.clone(), ML_DSA_SCHEMES)
        } else {
            Recording::new(self.verifier.clone(), false)
        };
        let mut kx: Vec<&'static dyn SupportedKxGroup> = Vec::new();
        let mut versions = probe::versions_for(offered);
        if shape.ml_dsa_only {
            versions = probe::TLS13;
        }
        if shape.without_share {
            kx.push(GREASE);
            versions = probe::TLS13;
        }
        kx.extend(offered.iter().map(|g| pqhkex::rustls::kx_group(g)));
        let started = Instant::now();
        let outcome = target
            .server_name(None)
            .map_err(ProbeError::from)
            .and_then(|name| {
                let mut config =
                    probe::client_config_kx(&self.provider, kx, versions, recording.clone())?;
                if shape.max_fragment.is_some() {
                    let mut c = (*config).clone();
                    c.max_fragment_size = shape.max_fragment;
                    config = Arc::new(c);
                }
                let delivery = if shape.split_segments {
                    Delivery::TcpSegments { pause: SPLIT_PAUSE }
                } else {
                    Delivery::Whole
                };
                probe::handshake_with(
                    &target.input,
                    addr,
                    name,
                    config,
                    &recording,
                    timeout,
                    delivery,
                )
            });
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
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
                    protocol: r.protocol_version.map(probe::version_name),
                    cipher_suite: r.cipher_suite.map(probe::suite_name),
                    detail: None,
                    alert: None,
                    handshake_completed: Some(true),
                    failure: None,
                    elapsed_ms: Some(elapsed_ms),
                };
                Outcome {
                    probe,
                    handshake: Some(hs),
                    failure: None,
                    closed_unanswered: false,
                    unadvertised_scheme: false,
                }
            }
            Err(e) => Outcome {
                probe: failed_probe(offered, &e, elapsed_ms),
                handshake: None,
                closed_unanswered: e.learnt.closed_unanswered,
                unadvertised_scheme: matches!(
                    e.tls,
                    Some(rustls::Error::PeerMisbehaved(
                        rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme
                    ))
                ),
                failure: Some(e.failure),
            },
        }
    }

    /// What a probe offering the browser-like offer concludes from `server`, a TLS
    /// server's bytes (its first flight: records, ServerHello or HelloRetryRequest,
    /// alerts), read from memory: the same classification as a real probe's. For
    /// fuzzing; it never panics and never waits.
    ///
    /// ```
    /// # let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{ProbeResult, Scanner};
    ///
    /// let scanner = Scanner::new(provider)?;
    /// // A fatal handshake_failure alert in answer to the ClientHello: a refusal.
    /// let p = scanner.classify_first_flight(&[21, 3, 3, 0, 2, 2, 40]);
    /// assert_eq!(p.result, ProbeResult::Rejected);
    /// assert_eq!(p.alert.as_deref(), Some("handshake_failure"));
    /// // An HTTP answer: an error, never a refusal.
    /// let p = scanner.classify_first_flight(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    /// assert_eq!(p.result, ProbeResult::Error);
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    #[doc(hidden)]
    pub fn classify_first_flight(&self, server: &[u8]) -> Probe {
        let offered = browser_offer();
        let recording = Recording::new(self.verifier.clone(), false);
        let kx = offered
            .iter()
            .map(|g| pqhkex::rustls::kx_group(g))
            .collect();
        let config = match probe::client_config_kx(
            &self.provider,
            kx,
            probe::versions_for(&offered),
            recording,
        ) {
            Ok(c) => c,
            Err(f) => return failed_probe(&offered, &ProbeError::from(f), 0),
        };
        match probe::replay_first_flight(config, server) {
            Ok(learnt) => {
                let g = learnt
                    .group
                    .and_then(|n| pqhkex::groups::by_code(u16::from(n)));
                Probe {
                    result: if learnt.hello_retry_request {
                        ProbeResult::HelloRetryRequest
                    } else {
                        ProbeResult::Accepted
                    },
                    group: g.map(|g| g.name.to_string()),
                    group_code: g.map(|g| format!("0x{:04x}", g.code)),
                    post_quantum: g.map(|g| g.is_post_quantum()),
                    hybrid: g.map(|g| g.is_hybrid()),
                    protocol: learnt.protocol_version.map(probe::version_name),
                    cipher_suite: learnt.cipher_suite.map(probe::suite_name),
                    handshake_completed: Some(true),
                    detail: None,
                    ..Probe::not_run(&offered, "")
                }
            }
            Err(e) => failed_probe(&offered, &e, 0),
        }
    }

    /// Scans a TLS target (see [`Scanner::scan_target`]) until `deadline`.
    pub(crate) fn scan_tls(&self, target: &Target, deadline: Option<Instant>) -> TargetResult {
        let started = Instant::now();
        let elapsed = |r: TargetResult| TargetResult {
            elapsed_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            ..r
        };
        let budget = Budget {
            deadline,
            probe_timeout: self.timeout,
        };
        let addr = match budget.resolve(target) {
            Ok(a) => a,
            Err(f) => return elapsed(TargetResult::unreachable(&target.input, None, &f)),
        };
        let default = self.probe_once(target, addr, &browser_offer(), Shape::default(), &budget);
        // No answer at all to a browser's offer: nothing else will fare better.
        if default.probe.result == ProbeResult::Error {
            if let Some(f) = default.failure.as_ref().filter(|f| f.is_connection_level()) {
                return elapsed(TargetResult::unreachable(
                    &target.input,
                    Some(addr.to_string()),
                    f,
                ));
            }
        }
        let default_offer = default.probe;
        // A TLS 1.2 server with an ECDSA certificate needs the certificate's curve in
        // supported_groups (RFC 8422 §5.1.1): a classical group offered alone can be
        // refused for that reason alone.
        let tls12_curve = default
            .handshake
            .as_ref()
            .filter(|_| default_offer.protocol_version() == Some(ProtocolVersion::TLSv1_2))
            .and_then(|hs| hs.certificate_curve);
        let mut first_hs = default.handshake;
        let mut groups = Vec::new();
        let mut accepted = Accepted::default();
        for g in &self.groups {
            let alone = self.probe_once(target, addr, &[*g], Shape::default(), &budget);
            let (mut probe, mut hs) = (alone.probe, alone.handshake);
            if alone.closed_unanswered && default_offer.result.is_accepted() {
                let control =
                    self.probe_once(target, addr, &browser_offer(), Shape::default(), &budget);
                probe = confirmed_by_control(probe, &control.probe);
            }
            if let Some(curve) = tls12_curve.filter(|c| {
                probe.result == ProbeResult::Rejected && g.tls12_allowed() && c.code != g.code
            }) {
                let again = self.probe_once(target, addr, &[*g, curve], Shape::default(), &budget);
                probe = with_certificate_curve(g, curve, probe, again.probe);
                hs = hs.or(again.handshake);
            }
            let without_key_share = self.hrr.then(|| {
                let shape = Shape {
                    without_share: true,
                    ..Shape::default()
                };
                self.probe_once(target, addr, &[*g], shape, &budget).probe
            });
            let gp = GroupProbe {
                name: g.name.to_string(),
                code: format!("0x{:04x}", g.code),
                kind: GroupKind::of(g),
                nist_category: g.nist_category(),
                probe,
                without_key_share,
            };
            if gp.accepted() {
                match gp.kind {
                    GroupKind::Hybrid => accepted.hybrid.push(gp.name.clone()),
                    GroupKind::PostQuantum => accepted.post_quantum.push(gp.name.clone()),
                    GroupKind::Classical => accepted.classical.push(gp.name.clone()),
                }
            }
            if first_hs.is_none() {
                first_hs = hs;
            }
            groups.push(gp);
        }
        let client_hello_split =
            (self.split_checks && default_offer.result.is_accepted()).then(|| {
                let split = |shape| {
                    self.probe_once(target, addr, &browser_offer(), shape, &budget)
                        .probe
                };
                let tcp_segments = split(Shape {
                    split_segments: true,
                    ..Shape::default()
                });
                let tls_records = split(Shape {
                    max_fragment: Some(SPLIT_RECORD_SIZE),
                    ..Shape::default()
                });
                SplitCheck {
                    passed: tcp_segments.result.is_accepted() && tls_records.result.is_accepted(),
                    tcp_segments,
                    tls_records,
                }
            });
        let c = verdict::tls(&target.input, &default_offer, &groups);
        let spoke_tls = default_offer.result.is_accepted()
            || default_offer.result.is_refusal()
            || groups.iter().any(|g| g.accepted());
        let tls13 = default_offer.protocol_version() == Some(ProtocolVersion::TLSv1_3);
        let surface = self.surface && spoke_tls;
        let server_name = target.server_name(None).ok().and_then(|n| match n {
            rustls::pki_types::ServerName::DnsName(d) => Some(d.as_ref().to_string()),
            _ => None,
        });
        let mut next = || budget.next();
        let mut legacy =
            surface.then(|| crate::legacy::probe(addr, server_name.as_deref(), &mut next));
        let c = match &legacy {
            Some(l) => verdict::with_legacy(c, &target.input, &groups, l),
            None => c,
        };
        verdict::mark_not_applicable(c.classification, &mut groups);
        let preference = (surface && tls13).then(|| match c.verdict.post_quantum {
            crate::Support::Accepted => {
                crate::preference::probe(addr, server_name.as_deref(), &mut || budget.next())
            }
            other => preference_without_probing(other),
        });
        let (ml_dsa, ml_dsa_detail) = if !surface {
            (Answer::Undetermined, Some("not probed".to_string()))
        } else if !tls13 {
            (
                Answer::No,
                Some(
                    "the server does not negotiate TLS 1.3, and ML-DSA signatures are defined for TLS 1.3 only (draft-ietf-tls-mldsa)"
                        .to_string(),
                ),
            )
        } else {
            let shape = Shape {
                ml_dsa_only: true,
                ..Shape::default()
            };
            let control_completed = default_offer.handshake_completed == Some(true);
            ml_dsa_answer(
                self.probe_once(target, addr, &browser_offer(), shape, &budget),
                control_completed,
            )
        };
        // The raw TLS 1.2 answer's chain (not part of the report itself) stands in when
        // no rustls handshake completed.
        let legacy_chain = legacy
            .as_mut()
            .map(|l| std::mem::take(&mut l.certificate_chain))
            .unwrap_or_default();
        let chain: Vec<Vec<u8>> = match &first_hs {
            Some(hs) if !hs.chain.is_empty() => {
                hs.chain.iter().map(|c| c.as_ref().to_vec()).collect()
            }
            _ => legacy_chain,
        };
        let certificate_chain = crate::cert::describe_chain(&chain);
        let signature = first_hs.as_ref().and_then(|hs| hs.signature.as_ref());
        let authentication = (!certificate_chain.is_empty() || signature.is_some())
            .then(|| crate::auth::summarize(&certificate_chain, signature, ml_dsa, ml_dsa_detail));
        let pq_posture = verdict::tls_posture(
            &c.verdict,
            preference.as_ref().map(|p| p.prefers_post_quantum),
        );
        let mut r = TargetResult {
            default_offer: Some(default_offer),
            groups,
            certificate: first_hs.map(|hs| CertInfo {
                subject: hs.subject,
                issuer: hs.issuer,
                trusted: hs.certificate.as_ref().map(|c| c.is_ok()),
                error: hs.certificate.and_then(|c| c.err()),
            }),
            client_hello_split,
            certificate_chain,
            authentication,
            legacy,
            preference,
            pq_posture: Some(pq_posture),
            ..TargetResult::reached(&target.input, addr, Protocol::Tls, c, accepted)
        };
        r.migration = crate::migration::plan(&r);
        elapsed(r)
    }
}

/// The preference of a server whose post-quantum support the verdict already settled
/// (or left undetermined): no probe can show a preference for groups it does not
/// accept.
fn preference_without_probing(pq: crate::Support) -> crate::preference::Preference {
    let (answer, why) = match pq {
        crate::Support::NotAccepted => (
            Answer::No,
            "not probed: the server accepts no post-quantum group, so it cannot prefer one",
        ),
        _ => (
            Answer::Undetermined,
            "not probed: whether the server accepts post-quantum groups is undetermined",
        ),
    };
    crate::preference::Preference {
        prefers_post_quantum: answer,
        upgrades_by_hrr: answer,
        probes: Vec::new(),
        reasons: vec![why.to_string()],
    }
}

/// What the ML-DSA-only probe shows: whether the server authenticates with ML-DSA when
/// the client offers nothing else. The probe is the browser-like offer with only the
/// signature schemes changed, so when that offer completed (`control_completed`), a
/// `handshake_failure` or `insufficient_security` alert is the server's answer to the
/// schemes, whether it came before its ServerHello (OpenSSL) or after (rustls chooses
/// the signature scheme after it).
fn ml_dsa_answer(o: Outcome, control_completed: bool) -> (Answer, Option<String>) {
    let scheme = o
        .handshake
        .as_ref()
        .and_then(|hs| hs.signature.as_ref())
        .map(|s| s.scheme);
    if let Some(s) = scheme {
        let (name, _, _) = crate::cert::signature_scheme_info(s);
        return if ML_DSA_SCHEMES.contains(&s) {
            (
                Answer::Yes,
                Some(format!(
                    "asked for ML-DSA only, the server signed with {name}"
                )),
            )
        } else {
            (
                Answer::No,
                Some(format!(
                    "asked for ML-DSA only, the server signed with {name}"
                )),
            )
        };
    }
    if o.unadvertised_scheme {
        return (
            Answer::No,
            Some(
                "asked for ML-DSA only, the server signed with a scheme the client did not offer"
                    .into(),
            ),
        );
    }
    let scheme_refusal = matches!(
        o.probe.alert.as_deref(),
        Some("handshake_failure" | "insufficient_security")
    );
    match (o.probe.result, o.probe.alert.as_deref()) {
        (_, Some(a)) if control_completed && scheme_refusal => (
            Answer::No,
            Some(format!(
                "the server refused a client offering only the ML-DSA signature schemes ({a} alert): it has no ML-DSA certificate to use"
            )),
        ),
        _ => (
            Answer::Undetermined,
            Some(format!(
                "the ML-DSA-only handshake ended without evidence: {}",
                o.probe
                    .failure
                    .as_ref()
                    .map(|f| f.message.as_str())
                    .or(o.probe.detail.as_deref())
                    .unwrap_or("no detail")
            )),
        ),
    }
}

/// A probe the server ended without answering (no ServerHello, no alert), judged by a
/// control handshake offering the browser-like offer on the next connection: if that
/// completed, the server is up and answers, so the close turned down the offered group
/// (a refusal, with the close and the control as its evidence); otherwise the probe
/// stays an error and proves nothing.
fn confirmed_by_control(closed: Probe, control: &Probe) -> Probe {
    if !control.result.is_accepted() {
        return closed;
    }
    let why = closed.detail.clone().unwrap_or_default();
    Probe {
        result: ProbeResult::Rejected,
        detail: Some(format!(
            "refused by closing: {why}, without a ServerHello or an alert, while a control handshake with the browser-like offer on the next connection completed ({})",
            control.group.as_deref().unwrap_or("a group")
        )),
        failure: None,
        ..closed
    }
}

/// The verdict on classical group `g`, refused when offered alone by a TLS 1.2 server
/// whose ECDSA certificate is on `curve`, from `again`: `g` offered first, `curve` next.
fn with_certificate_curve(g: &Group, curve: &Group, alone: Probe, again: Probe) -> Probe {
    let why = format!(
        "offered alone it was refused, but the server speaks TLS 1.2 with an ECDSA certificate on {}, \
         which a client must list in supported_groups for the certificate to be usable \
         (RFC 8422 §5.1.1), so {} was offered again followed by {}",
        curve.name, g.name, curve.name
    );
    match (again.result.is_accepted(), again.negotiated_group()) {
        (true, Some(chosen)) if chosen.code == g.code => Probe {
            detail: Some(format!("{why}: accepted")),
            ..again
        },
        (true, _) => Probe {
            result: ProbeResult::Undetermined,
            detail: Some(format!(
                "{why}: the server chose {} instead, so whether it supports {} is not determined",
                again.group.as_deref().unwrap_or("another group"),
                g.name
            )),
            ..again
        },
        (false, _) => Probe {
            detail: Some(format!(
                "{}; {why}: refused again ({})",
                alone.detail.as_deref().unwrap_or("refused"),
                again.detail.as_deref().unwrap_or("no detail")
            )),
            ..alone
        },
    }
}

#[cfg(test)]
mod control_tests {
    use super::*;

    fn closed() -> Probe {
        Probe {
            result: ProbeResult::Error,
            detail: Some("h:1 closed the connection during the TLS handshake".into()),
            ..Probe::not_run(&[&pqhkex::groups::MLKEM1024], "")
        }
    }

    #[test]
    fn a_close_is_a_refusal_only_when_the_control_completes() {
        let ok = Probe {
            result: ProbeResult::Accepted,
            group: Some("x25519".into()),
            ..Probe::not_run(&browser_offer(), "")
        };
        let p = confirmed_by_control(closed(), &ok);
        assert_eq!(p.result, ProbeResult::Rejected);
        assert!(p.detail.unwrap().contains("control handshake"));
        assert!(p.failure.is_none());

        // The server answers nobody any more (say, it served its first connection only).
        let gone = Probe {
            result: ProbeResult::Error,
            ..Probe::not_run(&browser_offer(), "reset")
        };
        assert_eq!(
            confirmed_by_control(closed(), &gone).result,
            ProbeResult::Error
        );
    }
}
