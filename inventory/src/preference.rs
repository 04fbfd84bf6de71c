//! Preference, not just support: does a TLS 1.3 server *choose* post-quantum when a
//! client offers it next to a classical group, and does it ask for it by
//! HelloRetryRequest when the client sent only a classical key share?
//!
//! Browsers list X25519MLKEM768 first; many other clients (and middleboxes that rewrite
//! hellos) do not. A server that follows the client's order negotiates classical with
//! them; one with a preference of its own negotiates post-quantum. Two raw TLS 1.3
//! ClientHellos ([`crate::hello`]; rustls always sends the shares it chooses itself)
//! list the groups `[x25519, X25519MLKEM768]`, x25519 first:
//!
//! * [`Check::BothShares`] sends key shares for both. `prefers_post_quantum` is `true`
//!   if the ServerHello selects X25519MLKEM768, `false` if it selects x25519 (the server
//!   follows the client, prefers classical, or does not support X25519MLKEM768 at all:
//!   this probe alone cannot tell which; the per-group probes of the scan can), and
//!   `"undetermined"` for anything else (a HelloRetryRequest, a refusal: a server that
//!   accepts neither group shows no preference between them).
//! * [`Check::ClassicalShareOnly`] sends only the x25519 share. `upgrades_by_hrr` is
//!   `true` if the answer is a HelloRetryRequest for X25519MLKEM768 (the server prefers
//!   it enough to spend a round trip), `false` if a ServerHello selects x25519,
//!   `"undetermined"` otherwise.
//!
//! The key shares are real (fresh key pairs of pqhkex's implementations), so that a
//! server that checks them (the ML-KEM encapsulation key's modulus check) takes them.
//!
//! ```json
//! { "prefers_post_quantum": true, "upgrades_by_hrr": "undetermined",
//!   "probes": [ { "check": "both-shares", "offered": ["x25519", "X25519MLKEM768"],
//!                 "key_shares": ["x25519", "X25519MLKEM768"], "result": "accepted",
//!                 "group": "X25519MLKEM768", "group_code": "0x11ec",
//!                 "hello_retry_request": false, "alert": null, "detail": null, "elapsed_ms": 3 },
//!               ... ],
//!   "reasons": ["upgrades_by_hrr: ..."] }
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pqhkex::groups::{X25519, X25519MLKEM768};
use pqhkex::Group;
use serde::{Deserialize, Serialize};

use crate::hello::{self, ClientHello, HelloError, KeyShare, ServerAnswer, Version};
use crate::{Answer, ProbeResult};

/// Why a probe that did not run did not.
const NOT_RUN: &str = "not run: time budget spent";

/// Which of the two preference probes (JSON `both-shares`, `classical-share-only`).
///
/// ```
/// use pqhkex_inventory::preference::Check;
///
/// assert_eq!(serde_json::to_string(&Check::ClassicalShareOnly)?, "\"classical-share-only\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// `[x25519, X25519MLKEM768]` with a key share for each: which does the server
    /// select? (`prefers_post_quantum`)
    BothShares,
    /// `[x25519, X25519MLKEM768]` with an x25519 share only: does the server ask for
    /// X25519MLKEM768 by HelloRetryRequest? (`upgrades_by_hrr`)
    ClassicalShareOnly,
}

/// One preference probe and the server's answer (JSON `probes[]`).
///
/// ```
/// # fn show(p: &pqhkex_inventory::preference::PreferenceProbe) {
/// println!("{:?}: {:?} {:?} (HRR: {})", p.check, p.result, p.group, p.hello_retry_request);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferenceProbe {
    /// Which probe.
    pub check: Check,
    /// supported_groups, in order.
    pub offered: Vec<String>,
    /// The groups key shares were sent for, in order.
    pub key_shares: Vec<String>,
    /// What the server did: `accepted` (a ServerHello), `hello-retry-request`,
    /// `rejected` (a refusal alert), `error` (no evidence), `not-tested`.
    pub result: ProbeResult,
    /// The group the ServerHello selected or the HelloRetryRequest asked for.
    pub group: Option<String>,
    /// Its codepoint (`0x11ec`).
    pub group_code: Option<String>,
    /// Whether the answer was a HelloRetryRequest.
    pub hello_retry_request: bool,
    /// The alert the server sent, by its RFC 8446 §6 name.
    pub alert: Option<String>,
    /// What the answer means, or why it proves nothing.
    pub detail: Option<String>,
    /// How long the probe took, in milliseconds (absent when it did not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// Whether the endpoint prefers post-quantum (JSON `preference`).
///
/// ```
/// use pqhkex_inventory::{preference::Preference, Answer};
///
/// let p = Preference::default();
/// assert_eq!(p.prefers_post_quantum, Answer::Undetermined);
/// let json = serde_json::to_value(&p)?;
/// assert_eq!(json["upgrades_by_hrr"], "undetermined");
/// assert_eq!(serde_json::from_value::<Preference>(json)?, p);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    /// Offered x25519 first and X25519MLKEM768 second, each with a key share, the
    /// server selects X25519MLKEM768 (`true`) or x25519 (`false`).
    pub prefers_post_quantum: Answer,
    /// Offered both but an x25519 share only, the server asks for X25519MLKEM768 by
    /// HelloRetryRequest (`true`) or selects x25519 (`false`).
    pub upgrades_by_hrr: Answer,
    /// The probes, [`Check::BothShares`] first.
    #[serde(default)]
    pub probes: Vec<PreferenceProbe>,
    /// Why an answer is undetermined, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl Preference {
    /// The probe of `check`, if it is there.
    ///
    /// ```
    /// use pqhkex_inventory::preference::{Check, Preference};
    /// assert!(Preference::default().probe(Check::BothShares).is_none());
    /// ```
    pub fn probe(&self, check: Check) -> Option<&PreferenceProbe> {
        self.probes.iter().find(|p| p.check == check)
    }
}

fn code(g: u16) -> String {
    format!("0x{g:04x}")
}

/// Runs one probe: `[x25519, X25519MLKEM768]` with shares for `shares`.
fn run(
    addr: SocketAddr,
    server_name: Option<&str>,
    check: Check,
    shares: &[&'static Group],
    next_timeout: &mut dyn FnMut() -> Option<Duration>,
) -> PreferenceProbe {
    let offered: [&'static Group; 2] = [&X25519, &X25519MLKEM768];
    let mut probe = PreferenceProbe {
        check,
        offered: offered.iter().map(|g| g.name.to_string()).collect(),
        key_shares: shares.iter().map(|g| g.name.to_string()).collect(),
        result: ProbeResult::NotTested,
        group: None,
        group_code: None,
        hello_retry_request: false,
        alert: None,
        detail: Some(NOT_RUN.to_string()),
        elapsed_ms: None,
    };
    let Some(timeout) = next_timeout() else {
        return probe;
    };
    let started = Instant::now();
    let answer = shares
        .iter()
        .map(|g| KeyShare::new(g))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|key_shares| {
            let hello = ClientHello::tls13(offered.iter().map(|g| g.code).collect(), key_shares)
                .with_server_name(server_name);
            hello::exchange(addr, &hello, timeout)
        });
    probe.elapsed_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    let offered_codes = [X25519.code, X25519MLKEM768.code];
    let (result, detail) = match answer {
        Ok(ServerAnswer::ServerHello(sh)) if sh.version == Version::Tls13.code() => {
            probe.group = sh.key_share_group.map(hello::group_name);
            probe.group_code = sh.key_share_group.map(code);
            match sh.key_share_group {
                Some(g) if offered_codes.contains(&g) => (ProbeResult::Accepted, None),
                Some(g) => (
                    ProbeResult::Error,
                    Some(format!(
                        "the server selected {}, which was not offered",
                        hello::group_name(g)
                    )),
                ),
                None => (
                    ProbeResult::Error,
                    Some("the ServerHello has no key share".to_string()),
                ),
            }
        }
        Ok(ServerAnswer::ServerHello(sh)) => (
            ProbeResult::Error,
            Some(format!(
                "the server answered {} to a TLS 1.3-only hello",
                hello::version_name(sh.version)
            )),
        ),
        Ok(ServerAnswer::HelloRetryRequest { group, .. }) => {
            probe.hello_retry_request = true;
            probe.group = group.map(hello::group_name);
            probe.group_code = group.map(code);
            match group {
                Some(g) if offered_codes.contains(&g) => (ProbeResult::HelloRetryRequest, None),
                Some(g) => (
                    ProbeResult::Error,
                    Some(format!(
                        "the HelloRetryRequest asks for {}, which was not offered",
                        hello::group_name(g)
                    )),
                ),
                None => (
                    ProbeResult::Error,
                    Some("a HelloRetryRequest without a key_share (cookie only)".to_string()),
                ),
            }
        }
        Ok(ServerAnswer::Alert(a)) => {
            probe.alert = Some(a.name());
            if a.is_refusal() {
                (ProbeResult::Rejected, Some(format!("refused: {a}")))
            } else {
                (
                    ProbeResult::Error,
                    Some(format!("the server sent a {a}, which is not a refusal")),
                )
            }
        }
        Ok(ServerAnswer::Closed { received }) => (
            ProbeResult::Error,
            Some(format!(
                "the server closed the connection without an alert (after {received} bytes)"
            )),
        ),
        Ok(ServerAnswer::NotTls(what)) => (ProbeResult::Error, Some(format!("not TLS: {what}"))),
        Err(HelloError::Timeout(_)) => (
            ProbeResult::Error,
            Some(format!("no answer within {timeout:?}")),
        ),
        Err(e) => (ProbeResult::Error, Some(e.to_string())),
    };
    probe.result = result;
    probe.detail = detail;
    probe
}

/// The code of the group a probe's answer selected (ServerHello) or asked for
/// (HelloRetryRequest), when the probe got an answer of that kind.
fn chosen(p: &PreferenceProbe, result: ProbeResult) -> Option<u16> {
    (p.result == result)
        .then(|| p.group_code.as_deref()?.strip_prefix("0x"))
        .flatten()
        .and_then(|h| u16::from_str_radix(h, 16).ok())
}

/// Runs the two preference probes (see the module documentation), each with the time
/// `next_timeout` gives; once it gives `None` the rest is "undetermined" with the
/// reason "not run: time budget spent". Never panics; two connections at most.
///
/// ```no_run
/// use std::time::Duration;
/// use pqhkex_inventory::preference;
///
/// let p = preference::probe("192.0.2.7:443".parse().unwrap(), Some("example.com"), &mut || Some(Duration::from_secs(3)));
/// println!("prefers post-quantum: {}, upgrades by HRR: {}", p.prefers_post_quantum, p.upgrades_by_hrr);
/// ```
pub fn probe(
    addr: SocketAddr,
    server_name: Option<&str>,
    next_timeout: &mut dyn FnMut() -> Option<Duration>,
) -> Preference {
    let mut both = run(
        addr,
        server_name,
        Check::BothShares,
        &[&X25519, &X25519MLKEM768],
        next_timeout,
    );
    let mut only = run(
        addr,
        server_name,
        Check::ClassicalShareOnly,
        &[&X25519],
        next_timeout,
    );
    let mut reasons = Vec::new();
    let hybrid = X25519MLKEM768.code;
    let classical = X25519.code;

    let prefers_post_quantum = if chosen(&both, ProbeResult::Accepted) == Some(hybrid) {
        both.detail = Some(
            "the server selected X25519MLKEM768 although the client listed x25519 first"
                .to_string(),
        );
        Answer::Yes
    } else if chosen(&both, ProbeResult::Accepted) == Some(classical) {
        let support = if chosen(&only, ProbeResult::HelloRetryRequest) == Some(hybrid) {
            "it supports X25519MLKEM768 (it asked for it when only an x25519 share was sent), \
             but takes the client's first group when it has a share for it"
        } else {
            "it follows the client's order, prefers classical, or does not support \
             X25519MLKEM768 at all (this probe alone cannot tell which)"
        };
        both.detail = Some(format!(
            "the server selected x25519 although a key share for X25519MLKEM768 was sent: {support}"
        ));
        Answer::No
    } else {
        let why = match both.result {
            ProbeResult::HelloRetryRequest => format!(
                "the server answered with a HelloRetryRequest for {} although both key shares were sent",
                both.group.as_deref().unwrap_or("no group")
            ),
            ProbeResult::Rejected => format!(
                "the server refused the offer ({}): it accepts neither x25519 nor X25519MLKEM768 \
                 in TLS 1.3, so there is no preference between them to see",
                both.alert.as_deref().unwrap_or("an alert")
            ),
            _ => both.detail.clone().unwrap_or_else(|| "no answer".to_string()),
        };
        reasons.push(format!("prefers_post_quantum: {why}"));
        Answer::Undetermined
    };

    let upgrades_by_hrr = if chosen(&only, ProbeResult::HelloRetryRequest) == Some(hybrid) {
        only.detail = Some(
            "the server asked for X25519MLKEM768 by HelloRetryRequest instead of using the x25519 share"
                .to_string(),
        );
        Answer::Yes
    } else if chosen(&only, ProbeResult::Accepted) == Some(classical) {
        only.detail = Some(
            "the server selected x25519 instead of asking for X25519MLKEM768 by HelloRetryRequest"
                .to_string(),
        );
        Answer::No
    } else {
        let why = match only.result {
            ProbeResult::HelloRetryRequest => format!(
                "the HelloRetryRequest asks for {}, not X25519MLKEM768",
                only.group.as_deref().unwrap_or("no group")
            ),
            ProbeResult::Rejected => format!(
                "the server refused the offer ({})",
                only.alert.as_deref().unwrap_or("an alert")
            ),
            _ => only
                .detail
                .clone()
                .unwrap_or_else(|| "no answer".to_string()),
        };
        reasons.push(format!("upgrades_by_hrr: {why}"));
        Answer::Undetermined
    };

    Preference {
        prefers_post_quantum,
        upgrades_by_hrr,
        probes: vec![both, only],
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_spent_runs_nothing() {
        let p = probe("127.0.0.1:9".parse().unwrap(), None, &mut || None);
        assert_eq!(p.prefers_post_quantum, Answer::Undetermined);
        assert_eq!(p.upgrades_by_hrr, Answer::Undetermined);
        assert!(p.probes.iter().all(|p| p.result == ProbeResult::NotTested));
        assert_eq!(p.reasons.len(), 2);
        assert!(p.reasons.iter().all(|r| r.ends_with(NOT_RUN)), "{p:?}");
    }

    #[test]
    fn json_shape() {
        let p = probe("127.0.0.1:9".parse().unwrap(), None, &mut || None);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["probes"][0]["check"], "both-shares");
        assert_eq!(json["probes"][1]["key_shares"][0], "x25519");
        assert_eq!(json["probes"][0]["result"], "not-tested");
        assert_eq!(serde_json::from_value::<Preference>(json).unwrap(), p);
    }
}
