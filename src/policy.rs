//! Policies: which groups a rustls configuration offers, and how to enforce that a
//! connection is post-quantum.
//!
//! * [`Policy::PreferPostQuantum`] (the default): hybrids first, then classical, as
//!   deployed peers offer. A rustls client sends two key shares — X25519MLKEM768 and
//!   X25519, from one X25519 key pair — so both PQ and classical servers answer in one
//!   round trip.
//! * [`Policy::RequirePostQuantum`], [`Policy::RequireHybrid`], [`Policy::Cnsa2`]:
//!   post-quantum (or only hybrid, or the CNSA 2.0 profile) groups only, TLS 1.3 only. A
//!   classical-only peer fails the handshake; [`Policy::explain`] turns the rustls error
//!   into [`Error::NoPostQuantumGroup`].
//! * [`Policy::Classical`]: X25519, P-256, P-384 only (for comparison and testing).
//! * [`Policy::Custom`]: your own list of groups.
//!
//! Three ways to apply a policy to ANY base [`CryptoProvider`] — ring, aws-lc-rs or a
//! third-party one; its cipher suites, signature verification and RNG are always kept:
//!
//! * [`with_policy`] replaces its `kx_groups` with the policy's, all implemented by
//!   pqhkex (the same code for every group, whatever the base);
//! * [`add_post_quantum`] (= [`add_post_quantum_with`] and [`Merge::ReplaceBase`]) is
//!   additive: the policy's post-quantum groups, implemented by pqhkex, go in front, and
//!   the provider keeps its own implementation of every other group the policy allows
//!   (say aws-lc-rs's P-256), except the stand-alone classical half of the first hybrid
//!   (x25519 behind X25519MLKEM768), whose share a rustls client sends from the hybrid's
//!   key pair;
//! * [`add_post_quantum_with`] and [`Merge::KeepBase`] keep every group the provider
//!   implements (aws-lc-rs's X25519MLKEM768, SecP256r1MLKEM768, ML-KEM, x25519, ...) and
//!   add only the ones it lacks; a FIPS provider's groups stay in its FIPS module (see
//!   [FIPS](crate::rustls#fips)).
//!
//! [`ConnectionReport`] tells, per connection, whose implementation ran
//! (`pqhkex_implementation`) and on which backend. Nothing here depends on a cargo feature, so no feature set can silently drop
//! post-quantum from a configuration that asked for it; the convenience constructors
//! `ring_provider` / `aws_lc_rs_provider` exist only with their opt-in features (`ring`,
//! `aws-lc-rs`), which switch on the matching rustls provider.
//!
//! rustls 0.23 servers follow the *client's* group order. [`PqServerConfigs`] makes a
//! server prefer post-quantum: it reads the ClientHello (via
//! [`rustls::server::Acceptor`]) and picks a configuration that can only negotiate the
//! best post-quantum group the client supports — by HelloRetryRequest if the client sent
//! no share for it.

use std::sync::Arc;

use ::rustls::client::ClientConfig;
use ::rustls::crypto::{CryptoProvider, SupportedKxGroup};
use ::rustls::server::{ClientHello, ServerConfig};
use ::rustls::{ConfigBuilder, NamedGroup, SupportedProtocolVersion, WantsVerifier};

use crate::error::{Error, Side};
use crate::groups::{self, Group};
use crate::inspect::ConnectionReport;

/// Which key-exchange groups to offer and accept.
///
/// The defaults follow what deployed peers offer (browsers, OpenSSL 3.5+, BoringSSL, Go,
/// s2n-tls): hybrids first, classical groups as the fallback. Pure ML-KEM is offered only
/// by the policies that ask for it, and ML-KEM-512 (NIST category 1) only by a
/// [`Policy::Custom`] list that names it.
///
/// | policy | groups, in preference order | TLS |
/// |---|---|---|
/// | [`PreferPostQuantum`](Policy::PreferPostQuantum) (default) | X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, x25519, secp256r1, secp384r1 | 1.2 and 1.3 |
/// | [`RequirePostQuantum`](Policy::RequirePostQuantum) | the three hybrids, MLKEM768, MLKEM1024 | 1.3 |
/// | [`RequireHybrid`](Policy::RequireHybrid) | the three hybrids | 1.3 |
/// | [`Cnsa2`](Policy::Cnsa2) | MLKEM1024, SecP384r1MLKEM1024 | 1.3 |
/// | [`Classical`](Policy::Classical) | x25519, secp256r1, secp384r1 | 1.2 and 1.3 |
/// | [`Custom`](Policy::Custom) | yours | 1.3 if every group is post-quantum |
///
/// ```
/// use pqhkex::Policy;
/// let names: Vec<u16> = Policy::default().kx_groups().iter().map(|g| u16::from(g.name())).collect();
/// assert_eq!(&names[..2], &[0x11ec, 0x11eb]); // X25519MLKEM768 first
/// assert!(names.contains(&0x001d)); // classical X25519 kept as a fallback
/// assert!(!names.contains(&0x0201)); // pure ML-KEM only when asked for
/// assert!(Policy::RequirePostQuantum.kx_groups().iter().all(|g| u16::from(g.name()) != 0x001d));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// Hybrids first, classical groups after (no pure ML-KEM).
    #[default]
    PreferPostQuantum,
    /// Post-quantum groups only (the hybrids, then pure ML-KEM-768 and ML-KEM-1024), and
    /// TLS 1.3 only. A classical-only peer cannot connect.
    RequirePostQuantum,
    /// Hybrid groups only (secure while either the classical or the post-quantum half
    /// holds, as draft-ietf-tls-hybrid-design recommends for the transition), TLS 1.3 only.
    RequireHybrid,
    /// The CNSA 2.0 profile (NSA's Commercial National Security Algorithm Suite 2.0, as in
    /// s2n-tls's CNSA 2.0 policies): ML-KEM-1024 alone or with P-384, TLS 1.3 only.
    Cnsa2,
    /// Classical groups only (X25519, secp256r1, secp384r1).
    Classical,
    /// Exactly these groups, in this order. TLS 1.3 only when all of them are
    /// post-quantum; a connection satisfies it when it negotiated one of them.
    ///
    /// ```
    /// use pqhkex::{groups, Group, Policy};
    /// static MINE: &[&Group] = &[&groups::MLKEM768, &groups::MLKEM512];
    /// let p = Policy::Custom(MINE);
    /// assert_eq!(p.groups(), MINE);
    /// assert_eq!(p.protocol_versions().len(), 1); // all post-quantum: TLS 1.3 only
    /// assert!(!p.allows(&groups::X25519MLKEM768));
    /// ```
    Custom(&'static [&'static Group]),
}

/// The hybrid groups, most preferred first (what deployed peers offer).
static HYBRIDS: &[&Group] = &[
    &groups::X25519MLKEM768,
    &groups::SECP256R1MLKEM768,
    &groups::SECP384R1MLKEM1024,
];
static PREFER: &[&Group] = &[
    &groups::X25519MLKEM768,
    &groups::SECP256R1MLKEM768,
    &groups::SECP384R1MLKEM1024,
    &groups::X25519,
    &groups::SECP256R1,
    &groups::SECP384R1,
];
static REQUIRE: &[&Group] = &[
    &groups::X25519MLKEM768,
    &groups::SECP256R1MLKEM768,
    &groups::SECP384R1MLKEM1024,
    &groups::MLKEM768,
    &groups::MLKEM1024,
];
static CNSA2: &[&Group] = &[&groups::MLKEM1024, &groups::SECP384R1MLKEM1024];
static CLASSICAL: &[&Group] = &[&groups::X25519, &groups::SECP256R1, &groups::SECP384R1];

impl Policy {
    /// The table entries this policy offers, most preferred first.
    pub fn groups(self) -> &'static [&'static Group] {
        match self {
            Policy::PreferPostQuantum => PREFER,
            Policy::RequirePostQuantum => REQUIRE,
            Policy::RequireHybrid => HYBRIDS,
            Policy::Cnsa2 => CNSA2,
            Policy::Classical => CLASSICAL,
            Policy::Custom(list) => list,
        }
    }

    /// The rustls key-exchange groups this policy offers, most preferred first.
    pub fn kx_groups(self) -> Vec<&'static dyn SupportedKxGroup> {
        self.groups()
            .iter()
            .map(|g| crate::rustls::kx_group(g))
            .collect()
    }

    /// Whether the policy requires every connection to be post-quantum.
    pub fn requires_post_quantum(self) -> bool {
        self.groups().iter().all(|g| g.is_post_quantum())
    }

    /// Whether a connection that negotiated `group` satisfies this policy.
    ///
    /// The requiring policies accept any group of their kind, also one they do not offer
    /// themselves (a peer's pure ML-KEM under [`Policy::RequirePostQuantum`], say);
    /// [`Policy::Cnsa2`] and [`Policy::Custom`] accept exactly their list.
    pub fn allows(self, group: &Group) -> bool {
        match self {
            Policy::PreferPostQuantum => true,
            Policy::RequirePostQuantum => group.is_post_quantum(),
            Policy::RequireHybrid => group.is_hybrid(),
            Policy::Classical => !group.is_post_quantum(),
            Policy::Cnsa2 | Policy::Custom(_) => self.groups().contains(&group),
        }
    }

    /// Protocol versions for this policy: TLS 1.3 only when post-quantum is required
    /// (no post-quantum group exists for TLS 1.2: RFC 10024 §3, draft-ietf-tls-mlkem
    /// §3), rustls's defaults otherwise.
    pub fn protocol_versions(self) -> &'static [&'static SupportedProtocolVersion] {
        if self.requires_post_quantum() {
            TLS13_ONLY
        } else {
            ::rustls::DEFAULT_VERSIONS
        }
    }

    /// Checks a finished handshake against the policy, returning its report.
    ///
    /// rustls cannot negotiate a group that is not configured, so with a configuration
    /// from this module this fails only if the configuration was changed afterwards;
    /// it is the check to log or to gate on.
    pub fn check(self, conn: &::rustls::CommonState) -> Result<ConnectionReport, Error> {
        let report = ConnectionReport::from_connection(conn);
        let ok = match report.group {
            Some(g) => self.allows(g),
            // An unknown or absent group cannot satisfy a post-quantum requirement.
            None => !self.requires_post_quantum(),
        };
        if ok {
            Ok(report)
        } else {
            Err(Error::NotPostQuantum {
                negotiated: report.group_code,
            })
        }
    }

    /// Explains a failed handshake in the policy's terms, when the failure may come from
    /// the policy's post-quantum requirement.
    ///
    /// This is [`Policy::explain_error`] narrowed to what the policy can cause: it gives
    /// `Some` only under a policy that requires post-quantum
    /// ([`Policy::requires_post_quantum`]) and only for
    ///
    /// * [`Error::NoPostQuantumGroup`], when the error proves that no post-quantum group
    ///   was in common: rustls found no common group against our post-quantum-only
    ///   list, or the server chose (or asked by HelloRetryRequest for) a group we did not
    ///   offer;
    /// * [`Error::HandshakeFailed`] whose [`Diagnosis`] says post-quantum is a *possible*
    ///   cause (a `handshake_failure` or `insufficient_security` alert from the server,
    ///   which is also what a server sends when no cipher suite or signature scheme is in
    ///   common), or that the peer does not speak TLS 1.3 (a post-quantum policy is TLS
    ///   1.3 only; no post-quantum group exists for TLS 1.2: RFC 10024 §3,
    ///   draft-ietf-tls-mlkem §3).
    ///
    /// Anything else (an untrusted certificate, say) gives `None`; use
    /// [`Policy::explain_error`] to explain every failure. Pass the policy the failing
    /// configuration was built with.
    ///
    /// ```
    /// use pqhkex::{Policy, Side};
    /// let e = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
    /// let explained = Policy::RequirePostQuantum.explain(Side::Client, &e).unwrap();
    /// // The alert first, then what it may mean: the alert alone does not prove it.
    /// assert!(explained.to_string().starts_with("TLS handshake failed: the server sent a fatal handshake_failure alert"));
    /// assert!(explained.to_string().contains("if the server has no post-quantum group"));
    /// assert!(Policy::PreferPostQuantum.explain(Side::Client, &e).is_none());
    /// // The server's own rustls found no group in common with its post-quantum-only list:
    /// let e = rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoKxGroupsInCommon);
    /// let explained = Policy::RequirePostQuantum.explain(Side::Server, &e).unwrap();
    /// assert!(matches!(explained, pqhkex::Error::NoPostQuantumGroup { .. }));
    /// // A TLS 1.2-only client refused by a post-quantum-only server:
    /// let e = rustls::Error::PeerIncompatible(rustls::PeerIncompatible::Tls12NotOfferedOrEnabled);
    /// let explained = Policy::RequirePostQuantum.explain(Side::Server, &e).unwrap();
    /// assert!(explained.to_string().contains("speaks only TLS 1.2"));
    /// ```
    pub fn explain(self, side: Side, err: &::rustls::Error) -> Option<Error> {
        self.explain_error(side, err)
            .filter(|e| self.caused_by_policy(e))
    }

    /// [`Policy::explain`] for the `std::io::Error` that async TLS stacks return
    /// (tokio-rustls's `connect` / `accept` wrap the rustls error in one, hyper-rustls
    /// wraps that one in another). It follows the same chain as
    /// [`Policy::explain_error`].
    ///
    /// ```
    /// use pqhkex::{Policy, Side};
    /// let e = std::io::Error::new(
    ///     std::io::ErrorKind::InvalidData,
    ///     rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
    /// );
    /// assert!(Policy::RequirePostQuantum.explain_io(Side::Client, &e).is_some());
    /// // hyper-rustls's wrapping: io::Error(Other, io::Error(InvalidData, rustls::Error)).
    /// let twice = std::io::Error::other(e);
    /// assert!(Policy::RequirePostQuantum.explain_io(Side::Client, &twice).is_some());
    /// let other = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
    /// assert!(Policy::RequirePostQuantum.explain_io(Side::Client, &other).is_none());
    /// ```
    pub fn explain_io(self, side: Side, err: &std::io::Error) -> Option<Error> {
        self.explain_error(side, err)
            .filter(|e| self.caused_by_policy(e))
    }

    /// Explains any error that a TLS failure may hide in, from any stack: what the
    /// handshake's error shows, with its evidence, in this policy's terms.
    ///
    /// It looks for the TLS failure through the error's chain, bounded in depth (a cyclic
    /// or self-referential chain cannot loop): each error's `source()`, and also the error
    /// *inside* every `std::io::Error` ([`std::io::Error::get_ref`]): `io::Error::source()`
    /// skips it, so a `source()` walk alone never meets the rustls error that
    /// tokio-rustls wraps in an `io::Error`, once hyper-rustls has wrapped that one in
    /// another. This covers tokio-rustls (`io::Error`), hyper-util's legacy client and
    /// hyper (`source()` chains over such `io::Error`s), reqwest, and pqhkex's own
    /// [`Error`]. quinn's `ConnectionError` carries no `rustls::Error`, only the TLS alert
    /// as a QUIC CRYPTO_ERROR code (0x100 + alert, RFC 9001 §4.8) in its text: it is read
    /// from quinn-proto's wording ("aborted by peer: the cryptographic handshake failed:
    /// error 40…" for an alert the peer sent, without "aborted by peer" for one we sent).
    ///
    /// Returns `None` when the chain holds no TLS failure (a refused TCP connection, a
    /// DNS error, a timeout). Otherwise:
    ///
    /// * [`Error::NoPostQuantumGroup`] only when the evidence proves it, under a policy
    ///   that requires post-quantum: this side's rustls found no group in common with its
    ///   post-quantum-only list (`NoKxGroupsInCommon`), the server chose or asked for a
    ///   group a post-quantum-only client did not offer, or a QUIC peer closed with
    ///   `handshake_failure` giving rustls's `NoKxGroupsInCommon` as its reason;
    /// * [`Error::HandshakeFailed`] for everything else, with a [`Diagnosis`] that names
    ///   the alert or error first and says what it may mean. A client-side
    ///   `handshake_failure` under a post-quantum policy reads "TLS handshake failed: the
    ///   server sent a fatal handshake_failure alert; if the server has no post-quantum
    ///   group …": that alert is also what a server sends with no cipher suite or
    ///   signature scheme in common, so it is not proof.
    ///
    /// ```
    /// use pqhkex::{Policy, Side};
    /// // What hyper-util's client returns has the rustls error two io::Errors down.
    /// #[derive(Debug)]
    /// struct ConnectError(std::io::Error);
    /// impl std::fmt::Display for ConnectError {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("client error (Connect)") }
    /// }
    /// impl std::error::Error for ConnectError {
    ///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> { Some(&self.0) }
    /// }
    /// let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
    /// let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
    /// let err = ConnectError(std::io::Error::other(inner));
    /// let explained = Policy::RequirePostQuantum.explain_error(Side::Client, &err).unwrap();
    /// assert_eq!(
    ///     explained.to_string(),
    ///     "TLS handshake failed: this client refused the server's certificate: it was \
    ///      issued by a certificate authority this side does not trust (unknown issuer)"
    /// );
    /// // Nothing TLS in it: no explanation.
    /// let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// assert!(Policy::RequirePostQuantum.explain_error(Side::Client, &refused).is_none());
    /// ```
    pub fn explain_error(
        self,
        side: Side,
        err: &(dyn std::error::Error + 'static),
    ) -> Option<Error> {
        let failure = find_tls_failure(err)?;
        Some(self.diagnose(side, failure))
    }

    /// Whether an explanation is one that this policy's requirement may have caused.
    fn caused_by_policy(self, explained: &Error) -> bool {
        if !self.requires_post_quantum() {
            return false;
        }
        match explained {
            Error::NoPostQuantumGroup { .. } => true,
            Error::HandshakeFailed(d) => d.post_quantum_possible() || d.peer_lacks_tls13(),
            _ => false,
        }
    }

    /// Turns the TLS failure found in an error chain into an explanation.
    fn diagnose(self, side: Side, failure: TlsFailure<'_>) -> Error {
        use ::rustls::{Error as E, PeerIncompatible as I, PeerMisbehaved as M};
        let required = self.requires_post_quantum();
        let diagnosis = |evidence| {
            Error::HandshakeFailed(Box::new(Diagnosis {
                side,
                evidence,
                post_quantum_required: required,
            }))
        };
        let proven = |detail: String| Error::NoPostQuantumGroup {
            detected_by: side,
            offered: Vec::new(),
            detail: Some(detail),
        };
        match failure {
            TlsFailure::Ours(e) => e.clone(),
            TlsFailure::Rustls(err) => match err {
                E::PeerIncompatible(I::NoKxGroupsInCommon) if required => proven(format!(
                    "{err} (this {side}'s rustls found no key-exchange group in common, and it \
                     accepts only post-quantum groups)"
                )),
                E::PeerMisbehaved(M::SelectedUnofferedKxGroup) if required => proven(format!(
                    "{err} (the server chose a key-exchange group this client did not offer, \
                     and it offered only post-quantum groups)"
                )),
                E::PeerMisbehaved(M::IllegalHelloRetryRequestWithUnofferedNamedGroup)
                    if required =>
                {
                    proven(format!(
                        "{err} (the server asked, by HelloRetryRequest, for a key-exchange group \
                         this client did not offer, and it offered only post-quantum groups)"
                    ))
                }
                E::PeerIncompatible(
                    I::Tls12NotOfferedOrEnabled
                    | I::Tls12NotOffered
                    | I::SupportedVersionsExtensionRequired
                    | I::ServerTlsVersionIsDisabledByOurConfig,
                ) if required => diagnosis(Evidence::PeerLacksTls13(err.clone())),
                E::AlertReceived(alert) => diagnosis(Evidence::AlertReceived {
                    alert: *alert,
                    peer_said: None,
                }),
                E::InvalidCertificate(c) => diagnosis(Evidence::Certificate(c.clone())),
                other => diagnosis(Evidence::Tls(other.clone())),
            },
            TlsFailure::Quic {
                alert,
                from_peer: true,
                reason,
            } => {
                let alert = ::rustls::AlertDescription::from(alert);
                // A rustls peer puts its own error in the CONNECTION_CLOSE reason.
                let no_group = reason
                    .as_deref()
                    .is_some_and(|r| r.contains("NoKxGroupsInCommon"));
                if required
                    && side == Side::Client
                    && alert == ::rustls::AlertDescription::HandshakeFailure
                    && no_group
                {
                    proven(format!(
                        "the server closed the QUIC connection with CRYPTO_ERROR 0x{:x} \
                         ({}), giving as its reason \"{}\"; this client offered only \
                         post-quantum groups",
                        0x100 + u16::from(u8::from(alert)),
                        alert_name(alert),
                        reason.as_deref().unwrap_or_default()
                    ))
                } else {
                    diagnosis(Evidence::AlertReceived {
                        alert,
                        peer_said: reason,
                    })
                }
            }
            TlsFailure::Quic {
                alert,
                from_peer: false,
                reason,
            } => {
                let reason = reason.unwrap_or_default();
                // Our own rustls's words: as good as its error.
                if required && reason.ends_with("NoKxGroupsInCommon") {
                    proven(format!(
                        "{reason} (this {side}'s rustls found no key-exchange group in common, \
                         and it accepts only post-quantum groups)"
                    ))
                } else {
                    diagnosis(Evidence::AlertSent {
                        alert: ::rustls::AlertDescription::from(alert),
                        reason,
                    })
                }
            }
        }
    }
}

/// How deep [`Policy::explain_error`] follows an error chain: far more than any real
/// stack nests (reqwest → hyper-util → io::Error → io::Error → rustls is five), and a
/// bound on a cyclic or self-referential chain.
const MAX_CHAIN_DEPTH: usize = 32;

/// The TLS failure found in an error chain.
enum TlsFailure<'a> {
    /// A rustls error.
    Rustls(&'a ::rustls::Error),
    /// pqhkex's own explanation (from [`PqServerConfigs`], say), passed on as it is.
    Ours(&'a Error),
    /// A TLS alert carried as a QUIC CRYPTO_ERROR (RFC 9001 §4.8), read from quinn's text.
    Quic {
        alert: u8,
        /// Whether the peer closed with it (otherwise we did).
        from_peer: bool,
        /// The CONNECTION_CLOSE reason phrase, or our own TLS error's text.
        reason: Option<String>,
    },
}

/// Finds the TLS failure in `err`'s chain: its `source()`s, and the error inside every
/// `std::io::Error` (whose `source()` skips it). A rustls error anywhere in the chain
/// wins over a QUIC code read from text.
fn find_tls_failure<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<TlsFailure<'a>> {
    let mut chain: Vec<&'a (dyn std::error::Error + 'static)> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        if chain.len() == MAX_CHAIN_DEPTH {
            break;
        }
        chain.push(e);
        if let Some(tls) = e.downcast_ref::<::rustls::Error>() {
            return Some(TlsFailure::Rustls(tls));
        }
        if let Some(ours) = e.downcast_ref::<Error>() {
            match ours {
                Error::NoPostQuantumGroup { .. } | Error::HandshakeFailed(_) => {
                    return Some(TlsFailure::Ours(ours))
                }
                Error::Handshake(tls) => return Some(TlsFailure::Rustls(tls)),
                _ => {}
            }
        }
        next = match e.downcast_ref::<std::io::Error>() {
            // `io::Error::source()` is the *inner error's* source: descend into the inner
            // error itself.
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => e.source(),
        };
    }
    // No rustls error: a QUIC connection error (quinn) shows the alert only in its text.
    // The innermost error that has it is the most specific.
    chain
        .iter()
        .rev()
        .find_map(|e| quic_crypto_error(&e.to_string()))
}

/// Reads quinn-proto's wording of a QUIC CRYPTO_ERROR (RFC 9001 §4.8: 0x100 + the TLS
/// alert): "the cryptographic handshake failed: error {alert}", optionally followed by
/// " in {frame}" and ": {reason}", and preceded by "aborted by peer: " when the peer
/// closed the connection with it.
fn quic_crypto_error(text: &str) -> Option<TlsFailure<'static>> {
    const CRYPTO: &str = "the cryptographic handshake failed: error ";
    let at = text.find(CRYPTO)?;
    let rest = &text[at + CRYPTO.len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let alert = rest[..digits].parse::<u8>().ok()?;
    let tail = &rest[digits..];
    let reason = tail
        .find(": ")
        .map(|i| tail[i + 2..].trim().to_string())
        .filter(|r| !r.is_empty());
    Some(TlsFailure::Quic {
        alert,
        from_peer: text[..at].ends_with("aborted by peer: "),
        reason,
    })
}

/// What a failed handshake's error shows, as [`Policy::explain_error`] reads it, and
/// what that may mean: the [`Error::HandshakeFailed`] explanation.
///
/// Its `Display` names the alert or error first, then what it may mean in the policy's
/// terms; it never claims that post-quantum was the cause: when the evidence proves that,
/// the explanation is [`Error::NoPostQuantumGroup`] instead.
///
/// ```
/// use pqhkex::{Policy, Side, Error};
/// let e = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
/// let Some(Error::HandshakeFailed(d)) = Policy::RequirePostQuantum.explain_error(Side::Client, &e) else { panic!() };
/// assert_eq!(d.alert(), Some(rustls::AlertDescription::HandshakeFailure));
/// assert!(d.post_quantum_possible()); // possible, not proven
/// assert_eq!(d.tls_error(), None); // a received alert: the rustls error is the alert
/// let Some(Error::HandshakeFailed(d)) = Policy::PreferPostQuantum.explain_error(Side::Client, &e) else { panic!() };
/// assert!(!d.post_quantum_possible()); // this client offered classical groups too
/// assert_eq!(d.to_string(), "TLS handshake failed: the server sent a fatal handshake_failure alert");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Diagnosis {
    /// The side that saw the error (ours).
    pub side: Side,
    /// What the error shows.
    pub evidence: Evidence,
    /// Whether the policy in whose terms it was explained requires post-quantum (and so
    /// offers post-quantum groups only, and TLS 1.3 only).
    pub post_quantum_required: bool,
}

/// What a failed handshake's error shows (see [`Diagnosis`]).
///
/// ```
/// use pqhkex::policy::Evidence;
/// let e = Evidence::AlertReceived { alert: rustls::AlertDescription::ProtocolVersion, peer_said: None };
/// assert_eq!(e, e.clone());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Evidence {
    /// The peer ended the handshake with this fatal alert.
    AlertReceived {
        /// The alert.
        alert: ::rustls::AlertDescription,
        /// The reason the peer gave, when the transport carries one (a QUIC
        /// CONNECTION_CLOSE frame's reason phrase).
        peer_said: Option<String>,
    },
    /// This side ended the handshake with this fatal alert, and `reason` is what its TLS
    /// stack said (QUIC errors carry only this text, not the rustls error).
    AlertSent {
        /// The alert this side sent.
        alert: ::rustls::AlertDescription,
        /// This side's TLS error, as text.
        reason: String,
    },
    /// This side refused the peer's certificate.
    Certificate(::rustls::CertificateError),
    /// The peer does not speak TLS 1.3 (it offered or chose an older version), which a
    /// post-quantum policy requires.
    PeerLacksTls13(::rustls::Error),
    /// Any other error rustls reported.
    Tls(::rustls::Error),
}

impl Diagnosis {
    /// The TLS alert of the failure, received or sent, where the error shows one.
    pub fn alert(&self) -> Option<::rustls::AlertDescription> {
        match &self.evidence {
            Evidence::AlertReceived { alert, .. } | Evidence::AlertSent { alert, .. } => {
                Some(*alert)
            }
            _ => None,
        }
    }

    /// The rustls error behind the diagnosis, other than a received alert.
    pub fn tls_error(&self) -> Option<&::rustls::Error> {
        match &self.evidence {
            Evidence::PeerLacksTls13(e) | Evidence::Tls(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the evidence is what a peer without a post-quantum group in common would
    /// produce — without proving it: a client that offers post-quantum groups only got a
    /// `handshake_failure` or `insufficient_security` alert, which a server also sends
    /// when no cipher suite or signature scheme is in common.
    pub fn post_quantum_possible(&self) -> bool {
        self.post_quantum_required
            && self.side == Side::Client
            && matches!(
                self.alert(),
                Some(
                    ::rustls::AlertDescription::HandshakeFailure
                        | ::rustls::AlertDescription::InsufficientSecurity
                )
            )
            && matches!(self.evidence, Evidence::AlertReceived { .. })
    }

    /// Whether the peer does not speak TLS 1.3, which the policy requires: proven by
    /// rustls's version negotiation, or likely from a `protocol_version` alert.
    pub fn peer_lacks_tls13(&self) -> bool {
        match &self.evidence {
            Evidence::PeerLacksTls13(_) => true,
            Evidence::AlertReceived { alert, .. } => {
                self.post_quantum_required && *alert == ::rustls::AlertDescription::ProtocolVersion
            }
            _ => false,
        }
    }
}

impl core::fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (me, peer) = match self.side {
            Side::Client => ("client", "server"),
            Side::Server => ("server", "client"),
        };
        f.write_str("TLS handshake failed: ")?;
        match &self.evidence {
            Evidence::AlertReceived { alert, peer_said } => {
                write!(f, "the {peer} sent a fatal {} alert", alert_name(*alert))?;
                if let Some(said) = peer_said {
                    write!(f, " (it said: \"{said}\")")?;
                }
                if self.post_quantum_possible() {
                    write!(
                        f,
                        "; if the server has no post-quantum group in common with this client, \
                         which offers only post-quantum groups, this is the expected error, but \
                         a server also sends it when no cipher suite or signature scheme is in \
                         common"
                    )?;
                } else if self.peer_lacks_tls13() {
                    write!(
                        f,
                        "; the {peer} probably does not speak TLS 1.3, which this {me} requires \
                         (post-quantum key exchange exists only in TLS 1.3)"
                    )?;
                }
                Ok(())
            }
            Evidence::AlertSent { alert, reason } => {
                match reason.strip_prefix("invalid peer certificate: ") {
                    Some(cert) => write!(
                        f,
                        "this {me} refused the {peer}'s certificate ({cert}) and sent a fatal {} \
                         alert",
                        alert_name(*alert)
                    ),
                    None if reason.is_empty() => {
                        write!(f, "this {me} sent a fatal {} alert", alert_name(*alert))
                    }
                    None => write!(
                        f,
                        "this {me} sent a fatal {} alert: {reason}",
                        alert_name(*alert)
                    ),
                }
            }
            Evidence::Certificate(c) => write!(
                f,
                "this {me} refused the {peer}'s certificate: {}",
                describe_certificate_error(c)
            ),
            Evidence::PeerLacksTls13(e) => write!(
                f,
                "the {peer} speaks only TLS 1.2 or older, and this {me} requires TLS 1.3, the only \
                 version with post-quantum key exchange ({e})"
            ),
            Evidence::Tls(e) => write!(f, "{e}"),
        }
    }
}

/// A rustls certificate error as a sentence about the certificate, for people (rustls's
/// own `Display` shows most of them as Rust names, such as
/// `Other(OtherError(CaUsedAsEndEntity))`).
///
/// ```
/// use rustls::CertificateError;
/// use pqhkex::policy::describe_certificate_error;
/// assert_eq!(
///     describe_certificate_error(&CertificateError::Expired),
///     "it has expired"
/// );
/// assert_eq!(
///     describe_certificate_error(&CertificateError::UnknownIssuer),
///     "it was issued by a certificate authority this side does not trust (unknown issuer)"
/// );
/// ```
pub fn describe_certificate_error(err: &::rustls::CertificateError) -> String {
    use ::rustls::CertificateError as C;
    #[allow(deprecated)]
    let text = match err {
        C::BadEncoding => "it is not a well-formed (DER) certificate",
        C::Expired => "it has expired",
        C::ExpiredContext { time, not_after } => {
            return format!(
                "it expired {} seconds before the verification time",
                time.as_secs().saturating_sub(not_after.as_secs())
            )
        }
        C::NotValidYet => "it is not valid yet",
        C::NotValidYetContext { time, not_before } => {
            return format!(
                "it becomes valid only {} seconds after the verification time",
                not_before.as_secs().saturating_sub(time.as_secs())
            )
        }
        C::Revoked => "it has been revoked",
        C::UnhandledCriticalExtension => {
            "it has a critical extension that this side does not understand"
        }
        C::UnknownIssuer => {
            "it was issued by a certificate authority this side does not trust (unknown issuer)"
        }
        C::UnknownRevocationStatus => "its revocation status is unknown",
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            "the certificate revocation list to check it against has expired"
        }
        C::BadSignature => {
            "its signature does not verify (signed by another key than its issuer's, or altered)"
        }
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "it is signed with an algorithm this side does not support"
        }
        C::NotValidForName => "it is not valid for the name that was asked for",
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let name = expected.to_str();
            return match presented.as_slice() {
                [] => format!("it is not valid for {name:?}, nor for any other name"),
                names => format!(
                    "it is not valid for {name:?}, only for {}",
                    names.join(", ")
                ),
            };
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "its extended key usage does not allow this use"
        }
        C::InvalidOcspResponse => "its stapled OCSP response is invalid",
        C::ApplicationVerificationFailure => {
            "the application's own checks refused it, although it is valid"
        }
        C::Other(other) => {
            // The default verifier's remaining errors are webpki's, shown by name.
            let name = other.to_string();
            return match name.as_str() {
                "CaUsedAsEndEntity" => "it is a certificate authority (CA) certificate, \
                                        presented as the peer's own (end-entity) certificate"
                    .to_string(),
                "EndEntityUsedAsCa" => {
                    "its chain uses an end-entity certificate as a certificate authority"
                        .to_string()
                }
                "PathLenConstraintViolated" | "MaximumPathDepthExceeded" => {
                    "its chain is longer than a certificate authority allows".to_string()
                }
                "NameConstraintViolation" | "PermittedSubtreesNotMatched" => {
                    "it names a host outside what its certificate authority may certify".to_string()
                }
                "RequiredEkuNotFound" => {
                    "its extended key usage does not allow this use".to_string()
                }
                _ => format!("it was refused ({name})"),
            };
        }
        other => return format!("it was refused ({other})"),
    };
    text.to_string()
}

/// An alert's name as RFC 8446 §6 (and its successors) spell it.
fn alert_name(alert: ::rustls::AlertDescription) -> String {
    let code = u8::from(alert);
    match crate::inspect::alert_name(code) {
        Some(name) => name.to_string(),
        None => format!("{code} (unknown)"),
    }
}

/// Whether a ClientHello's cipher suites include a TLS 1.3 suite (RFC 8446 §B.4: the
/// `TLS_*` suites 0x1301-0x1305), i.e. whether the client offers TLS 1.3.
fn offers_tls13(suites: &[::rustls::CipherSuite]) -> bool {
    suites
        .iter()
        .any(|s| matches!(u16::from(*s), 0x1301..=0x1305))
}

/// TLS 1.3 alone: every post-quantum group is TLS 1.3 only.
static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&::rustls::version::TLS13];

/// Returns `base` with its key-exchange groups replaced by `policy`'s pqhkex groups.
///
/// Works with any provider; its cipher suites, signature verification and RNG are kept.
///
/// ```
/// use std::sync::Arc;
/// let provider = pqhkex::with_policy(rustls::crypto::ring::default_provider(), pqhkex::Policy::PreferPostQuantum);
/// assert_eq!(u16::from(provider.kx_groups[0].name()), 0x11ec);
/// let builder = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
///     .with_safe_default_protocol_versions()
///     .unwrap();
/// ```
pub fn with_policy(base: CryptoProvider, policy: Policy) -> CryptoProvider {
    CryptoProvider {
        kx_groups: policy.kx_groups(),
        ..base
    }
}

/// Returns `base` with `policy`'s post-quantum groups (pqhkex's implementations) in
/// front of its own key-exchange groups, keeping the provider's own implementation of
/// every other group the policy allows.
///
/// The result's `kx_groups`: first the policy's post-quantum groups, in the policy's
/// order, implemented by pqhkex; then the provider's own groups, in the provider's order,
/// except those with the codepoint of a group just added and those the policy does not
/// allow (under [`Policy::RequirePostQuantum`] the provider's classical groups are
/// dropped, and its own post-quantum groups that pqhkex did not add are kept).
///
/// One exception keeps reports truthful: a rustls client sends the classical share of
/// its first hybrid group from the hybrid's own key pair (draft-ietf-tls-hybrid-design
/// §3.2, share reuse), so if the server picks that classical group (X25519 for
/// X25519MLKEM768) pqhkex's code runs it whichever group object is configured. That one
/// stand-alone group is therefore pqhkex's too, in the provider's position, and
/// [`ConnectionReport::pqhkex_implementation`] names the code that really ran.
///
/// This is [`add_post_quantum_with`] with [`Merge::ReplaceBase`]. To keep the base
/// provider's own implementation of the post-quantum groups it already has (aws-lc-rs's
/// X25519MLKEM768, say), use [`Merge::KeepBase`]. Over a FIPS provider the result is
/// FIPS (`ClientConfig::fips()`) only if pqhkex's groups run in aws-lc's FIPS module:
/// see [FIPS](add_post_quantum_with#fips).
///
/// ```
/// use rustls::crypto::aws_lc_rs;
/// let p = pqhkex::add_post_quantum(aws_lc_rs::default_provider(), pqhkex::Policy::PreferPostQuantum);
/// let names: Vec<u16> = p.kx_groups.iter().map(|g| u16::from(g.name())).collect();
/// assert_eq!(&names[..3], &[0x11ec, 0x11eb, 0x11ed]); // pqhkex's hybrids first
/// assert!(pqhkex::rustls::is_pqhkex_group(p.kx_groups[0]));
/// // aws-lc-rs's own P-256 is kept (and is not pqhkex's).
/// let p256 = p.kx_groups.iter().find(|g| u16::from(g.name()) == 0x0017).unwrap();
/// assert!(!pqhkex::rustls::is_pqhkex_group(*p256));
/// ```
pub fn add_post_quantum(base: CryptoProvider, policy: Policy) -> CryptoProvider {
    add_post_quantum_with(base, policy, Merge::ReplaceBase)
}

/// rustls's *ring* provider with `policy`'s groups. Opt-in feature `ring` (it turns on
/// `rustls/ring`); without it, pass the provider to [`with_policy`].
///
/// ```
/// let p = pqhkex::ring_provider(pqhkex::Policy::RequirePostQuantum);
/// assert!(p.kx_groups.iter().all(|g| pqhkex::groups::by_code(u16::from(g.name())).unwrap().is_post_quantum()));
/// ```
#[cfg(feature = "ring")]
pub fn ring_provider(policy: Policy) -> CryptoProvider {
    with_policy(::rustls::crypto::ring::default_provider(), policy)
}

/// rustls's aws-lc-rs provider with `policy`'s groups (pqhkex's, not aws-lc-rs's).
/// Opt-in feature `aws-lc-rs` (it turns on `rustls/aws_lc_rs`).
///
/// ```
/// let p = pqhkex::aws_lc_rs_provider(pqhkex::Policy::PreferPostQuantum);
/// assert_eq!(u16::from(p.kx_groups[0].name()), 0x11ec);
/// ```
#[cfg(feature = "aws-lc-rs")]
pub fn aws_lc_rs_provider(policy: Policy) -> CryptoProvider {
    with_policy(::rustls::crypto::aws_lc_rs::default_provider(), policy)
}

/// A [`ClientConfig`] builder over `base` with `policy`'s groups and protocol versions.
///
/// ```
/// let config = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), pqhkex::Policy::RequirePostQuantum)
///     .unwrap()
///     .with_root_certificates(rustls::RootCertStore::empty())
///     .with_no_client_auth();
/// assert_eq!(u16::from(config.crypto_provider().kx_groups[0].name()), 0x11ec);
/// ```
pub fn client_config_builder(
    base: CryptoProvider,
    policy: Policy,
) -> Result<ConfigBuilder<ClientConfig, WantsVerifier>, ::rustls::Error> {
    ClientConfig::builder_with_provider(Arc::new(with_policy(base, policy)))
        .with_protocol_versions(policy.protocol_versions())
}

/// A [`ServerConfig`] builder over `base` with `policy`'s groups and protocol versions.
///
/// Note that a rustls server follows the client's preference among the groups both
/// support; use [`PqServerConfigs`] to make the server prefer post-quantum.
pub fn server_config_builder(
    base: CryptoProvider,
    policy: Policy,
) -> Result<ConfigBuilder<ServerConfig, WantsVerifier>, ::rustls::Error> {
    ServerConfig::builder_with_provider(Arc::new(with_policy(base, policy)))
        .with_protocol_versions(policy.protocol_versions())
}

/// The TLS codepoints a ClientHello lists in its `supported_groups` extension, in the
/// client's order (empty when the extension is absent), for logs and inventory.
pub fn offered_groups(hello: &ClientHello<'_>) -> Vec<u16> {
    hello
        .named_groups()
        .unwrap_or(&[])
        .iter()
        .map(|g| u16::from(*g))
        .collect()
}

/// Server-side post-quantum preference, for use with [`rustls::server::Acceptor`]
/// (or `tokio_rustls::LazyConfigAcceptor`).
///
/// It holds one [`ServerConfig`] per post-quantum group, each able to negotiate only
/// that group in TLS 1.3 (and, unless post-quantum is required, the policy's classical
/// groups in TLS 1.2: see [`crate::rustls::tls12_only`]), plus (unless post-quantum is required) a fallback with the policy's full
/// list. [`PqServerConfigs::choose`] picks, for a ClientHello, the configuration of the
/// first group in the server's preference order that the client lists in
/// `supported_groups`. If the client sent no key share for it, rustls answers with a
/// HelloRetryRequest for it.
///
/// The configurations are built by your closure, so certificates, ALPN and the like
/// are yours; give them a shared `session_storage`/`ticketer` if you want resumption
/// to work across them.
///
/// ```
/// use pqhkex::{PqServerConfigs, Policy};
/// let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let cert = key.cert.der().clone();
/// let der = rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap();
/// let configs = PqServerConfigs::new(rustls::crypto::ring::default_provider(), Policy::PreferPostQuantum, |b| {
///     b.with_no_client_auth().with_single_cert(vec![cert.clone()], der.clone_key())
/// }).unwrap();
/// // A client that lists X25519 first but supports X25519MLKEM768 gets the hybrid.
/// let cfg = configs.choose_for_groups(Some(&[rustls::NamedGroup::X25519, rustls::NamedGroup::X25519MLKEM768])).unwrap();
/// assert_eq!(u16::from(cfg.crypto_provider().kx_groups[0].name()), 0x11ec);
/// // In TLS 1.3 that configuration can negotiate the hybrid only; its classical groups
/// // serve TLS 1.2 clients.
/// let tls13: Vec<_> = cfg.crypto_provider().kx_groups.iter()
///     .filter(|g| g.usable_for_version(rustls::ProtocolVersion::TLSv1_3)).collect();
/// assert_eq!(tls13.len(), 1);
/// ```
pub struct PqServerConfigs {
    policy: Policy,
    preferred: Vec<(&'static Group, Arc<ServerConfig>)>,
    fallback: Option<Arc<ServerConfig>>,
    /// What [`PqServerConfigs::accept`] hands rustls when [`PqServerConfigs::choose`]
    /// refuses: a configuration that cannot negotiate with that client.
    refusal: Arc<ServerConfig>,
}

impl core::fmt::Debug for PqServerConfigs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PqServerConfigs")
            .field("policy", &self.policy)
            .field(
                "preferred",
                &self
                    .preferred
                    .iter()
                    .map(|(g, _)| g.name)
                    .collect::<Vec<_>>(),
            )
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl PqServerConfigs {
    /// Builds the configurations. `build` gets a builder (provider and protocol versions
    /// already set) and finishes it; it is called once per post-quantum group and once
    /// for the fallback.
    pub fn new(
        base: CryptoProvider,
        policy: Policy,
        build: impl Fn(
            ConfigBuilder<ServerConfig, WantsVerifier>,
        ) -> Result<ServerConfig, ::rustls::Error>,
    ) -> Result<Self, ::rustls::Error> {
        let mut preferred = Vec::new();
        for group in policy
            .groups()
            .iter()
            .copied()
            .filter(|g| g.is_post_quantum())
        {
            // Unless post-quantum is required, the policy's classical groups follow,
            // usable in TLS 1.2 only: a TLS 1.2 ClientHello that lists this group next to
            // classical ones (it cannot use it: RFC 10024 §3, draft-ietf-tls-mlkem §3)
            // still gets TLS 1.2 on a classical group, and one that lists it alone gets
            // handshake_failure, whatever its cipher suites say. In TLS 1.3 only this
            // group is negotiable.
            let mut kx_groups = vec![crate::rustls::kx_group(group)];
            if !policy.requires_post_quantum() {
                kx_groups.extend(
                    policy
                        .groups()
                        .iter()
                        .filter_map(|g| crate::rustls::tls12_only(g)),
                );
            }
            let provider = CryptoProvider {
                kx_groups,
                ..base.clone()
            };
            let builder = ServerConfig::builder_with_provider(Arc::new(provider))
                .with_protocol_versions(policy.protocol_versions())?;
            preferred.push((group, Arc::new(build(builder)?)));
        }
        let fallback = if policy.requires_post_quantum() {
            None
        } else {
            Some(Arc::new(build(server_config_builder(base, policy)?)?))
        };
        let refusal = match (preferred.first(), &fallback) {
            (_, Some(fallback)) => fallback.clone(),
            (Some((_, strict)), None) => strict.clone(),
            (None, None) => {
                return Err(::rustls::Error::General(format!(
                    "policy {policy:?} offers no key-exchange group"
                )))
            }
        };
        Ok(Self {
            policy,
            preferred,
            fallback,
            refusal,
        })
    }

    /// The configuration to accept this ClientHello with.
    ///
    /// A post-quantum configuration (TLS 1.3 only) is chosen only for a client that
    /// offers TLS 1.3, seen from its cipher suites: every TLS 1.3 client offers a TLS 1.3
    /// suite (RFC 8446 §4.1.2, §B.4). A client without one gets the fallback even if it
    /// lists a post-quantum group, which it could not use (RFC 10024 §3,
    /// draft-ietf-tls-mlkem §3). rustls exposes no `supported_versions` to an acceptor; a
    /// TLS 1.2-only client that lists TLS 1.3 suites anyway gets a post-quantum
    /// configuration, which (unless post-quantum is required) negotiates TLS 1.2 with it
    /// on a classical group.
    ///
    /// Fails with [`Error::NoPostQuantumGroup`] when post-quantum is required and the
    /// client supports none of our post-quantum groups, or not TLS 1.3.
    pub fn choose(&self, hello: &ClientHello<'_>) -> Result<Arc<ServerConfig>, Error> {
        if offers_tls13(hello.cipher_suites()) {
            self.choose_for_groups(hello.named_groups())
        } else {
            self.fallback_or_refuse(hello.named_groups().unwrap_or(&[]))
        }
    }

    /// Like [`choose`](Self::choose), from the client's `supported_groups` list
    /// (`None` when the ClientHello had no such extension).
    pub fn choose_for_groups(
        &self,
        offered: Option<&[NamedGroup]>,
    ) -> Result<Arc<ServerConfig>, Error> {
        let offered = offered.unwrap_or(&[]);
        let best = self
            .preferred
            .iter()
            .find(|(g, _)| offered.iter().any(|o| u16::from(*o) == g.code));
        match best {
            Some((_, cfg)) => Ok(cfg.clone()),
            None => self.fallback_or_refuse(offered),
        }
    }

    /// The fallback configuration, or the refusal when post-quantum is required.
    fn fallback_or_refuse(&self, offered: &[NamedGroup]) -> Result<Arc<ServerConfig>, Error> {
        match &self.fallback {
            Some(fallback) => Ok(fallback.clone()),
            None => Err(Error::NoPostQuantumGroup {
                detected_by: Side::Server,
                offered: offered.iter().map(|g| u16::from(*g)).collect(),
                detail: None,
            }),
        }
    }

    /// Accepts a connection: chooses the configuration for its ClientHello and builds
    /// the [`ServerConnection`](::rustls::ServerConnection).
    ///
    /// When post-quantum is required and the client supports no post-quantum group we
    /// have, rustls is handed a post-quantum-only configuration so that it refuses the
    /// handshake itself; the returned [`AcceptedAlert`](::rustls::server::AcceptedAlert)
    /// then holds the `handshake_failure` alert (RFC 8446 §4.1.1) to write to the
    /// client, and the error is [`Error::NoPostQuantumGroup`] naming what it offered.
    ///
    /// ```
    /// use pqhkex::{PqServerConfigs, Policy};
    /// let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let (cert, der) = (key.cert.der().clone(), rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap());
    /// let configs = PqServerConfigs::new(rustls::crypto::ring::default_provider(), Policy::RequirePostQuantum, |b| {
    ///     b.with_no_client_auth().with_single_cert(vec![cert.clone()], der.clone_key())
    /// }).unwrap();
    /// // A classical-only client's first flight:
    /// let client_cfg = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), Policy::Classical).unwrap()
    ///     .with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth();
    /// let mut client = rustls::ClientConnection::new(std::sync::Arc::new(client_cfg), "localhost".try_into().unwrap()).unwrap();
    /// let mut hello = Vec::new();
    /// client.write_tls(&mut hello).unwrap();
    /// let mut acceptor = rustls::server::Acceptor::default();
    /// acceptor.read_tls(&mut &hello[..]).unwrap();
    /// let accepted = acceptor.accept().unwrap().unwrap();
    /// let (err, mut alert) = configs.accept(accepted).unwrap_err();
    /// assert!(err.to_string().contains("the client offered no post-quantum group"));
    /// let mut wire = Vec::new();
    /// alert.write_all(&mut wire).unwrap();
    /// assert_eq!((wire[0], wire[6]), (21, 40)); // alert record, handshake_failure
    /// ```
    pub fn accept(
        &self,
        accepted: ::rustls::server::Accepted,
    ) -> Result<::rustls::ServerConnection, (Error, ::rustls::server::AcceptedAlert)> {
        let hello = accepted.client_hello();
        let offered = offered_groups(&hello);
        // Refused only under RequirePostQuantum: rustls is handed a post-quantum-only
        // configuration, so that it refuses with handshake_failure itself.
        let (config, refused) = self.config_for(&hello);
        let refused = refused.is_some();
        accepted.into_connection(config).map_err(|(err, alert)| {
            let err = if refused || self.policy.explain(Side::Server, &err).is_some() {
                Error::NoPostQuantumGroup {
                    detected_by: Side::Server,
                    offered,
                    detail: Some(err.to_string()),
                }
            } else {
                Error::Handshake(err)
            };
            (err, alert)
        })
    }

    /// For async acceptors that hand you the ClientHello and then take a configuration
    /// (tokio-rustls's `LazyConfigAcceptor`: `start.into_stream(config)`): the
    /// configuration to continue with, and why the client is being refused, if it is.
    ///
    /// When [`choose`](Self::choose) refuses (post-quantum required, and this client has
    /// no post-quantum group in common or no TLS 1.3), the configuration is one with
    /// which rustls itself refuses the handshake, sending `handshake_failure`
    /// (RFC 8446 §4.1.1) or, to a TLS 1.2-only client, `protocol_version`; the error says
    /// so for your logs. The blocking equivalent is [`accept`](Self::accept).
    ///
    /// ```
    /// use pqhkex::{PqServerConfigs, Policy};
    /// let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let (cert, der) = (key.cert.der().clone(), rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap());
    /// let configs = PqServerConfigs::new(rustls::crypto::ring::default_provider(), Policy::RequirePostQuantum, |b| {
    ///     b.with_no_client_auth().with_single_cert(vec![cert.clone()], der.clone_key())
    /// }).unwrap();
    /// let client_cfg = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), Policy::Classical).unwrap()
    ///     .with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth();
    /// let mut client = rustls::ClientConnection::new(std::sync::Arc::new(client_cfg), "localhost".try_into().unwrap()).unwrap();
    /// let mut hello = Vec::new();
    /// client.write_tls(&mut hello).unwrap();
    /// let mut acceptor = rustls::server::Acceptor::default();
    /// acceptor.read_tls(&mut &hello[..]).unwrap();
    /// let accepted = acceptor.accept().unwrap().unwrap();
    /// let (config, refused) = configs.config_for(&accepted.client_hello());
    /// assert!(refused.unwrap().to_string().contains("no post-quantum group"));
    /// // Continuing with `config` makes rustls refuse the client itself.
    /// assert!(accepted.into_connection(config).is_err());
    /// ```
    pub fn config_for(&self, hello: &ClientHello<'_>) -> (Arc<ServerConfig>, Option<Error>) {
        match self.choose(hello) {
            Ok(config) => (config, None),
            Err(why) => (self.refusal.clone(), Some(why)),
        }
    }

    /// The policy these configurations implement.
    pub fn policy(&self) -> Policy {
        self.policy
    }
}

/// Whose implementation [`add_post_quantum_with`] uses for a post-quantum group that both
/// pqhkex and the base provider implement.
///
/// Either way the policy's post-quantum groups come first, in the policy's order, and the
/// base provider's other groups that the policy allows follow in its order; only the
/// implementation of the groups both have differs.
///
/// | | [`ReplaceBase`](Merge::ReplaceBase) | [`KeepBase`](Merge::KeepBase) |
/// |---|---|---|
/// | a post-quantum group of the policy the base has (aws-lc-rs: X25519MLKEM768, SecP256r1MLKEM768, MLKEM768, MLKEM1024) | pqhkex's | the base's |
/// | one the base lacks (aws-lc-rs: SecP384r1MLKEM1024, MLKEM512, X25519Kyber768Draft00) | pqhkex's | pqhkex's |
/// | the base's other groups (classical, FFDHE, vendor groups), if the policy allows them | the base's | the base's |
/// | the stand-alone classical half of the first group, when that is a hybrid | pqhkex's | pqhkex's if the hybrid is pqhkex's, else the base's |
///
/// The last row keeps [`ConnectionReport::pqhkex_implementation`] truthful: a rustls client
/// sends the classical share of its first hybrid from the hybrid's own key pair
/// (draft-ietf-tls-hybrid-design §3.2) and completes it with the hybrid's code if the
/// server picks the classical group. Under `KeepBase` over aws-lc-rs, X25519MLKEM768 and
/// x25519 are both aws-lc-rs's, so that share reuse stays inside aws-lc-rs.
///
/// ```
/// use pqhkex::policy::{add_post_quantum_with, Merge};
/// assert_eq!(Merge::default(), Merge::ReplaceBase); // what `add_post_quantum` does
/// let p = add_post_quantum_with(rustls::crypto::ring::default_provider(), pqhkex::Policy::PreferPostQuantum, Merge::KeepBase);
/// // ring has no post-quantum group: KeepBase adds pqhkex's, exactly as ReplaceBase would.
/// assert!(pqhkex::rustls::is_pqhkex_group(p.kx_groups[0]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Merge {
    /// pqhkex implements every post-quantum group of the policy, replacing the base
    /// provider's own implementation of those it has. The same code runs them whatever
    /// the base, on pqhkex's backends (see [`crate::Backend`]).
    #[default]
    ReplaceBase,
    /// The base provider keeps every group it implements; pqhkex adds only the
    /// post-quantum groups it lacks. Over rustls's aws-lc-rs provider (or its FIPS
    /// provider), its X25519MLKEM768, SecP256r1MLKEM768, MLKEM768 and MLKEM1024 stay
    /// aws-lc-rs's, with their own `fips()`, and pqhkex adds SecP384r1MLKEM1024, MLKEM512
    /// and the legacy Kyber group where the policy lists them.
    KeepBase,
}

/// Returns `base` with `policy`'s post-quantum groups in front of its own key-exchange
/// groups, implemented by pqhkex or by the base provider as `merge` says.
///
/// The result's `kx_groups`: first the policy's post-quantum groups, in the policy's
/// order (each pqhkex's, or with [`Merge::KeepBase`] the base's own where it has the
/// group); then the provider's own groups, in the provider's order, except those with the
/// codepoint of a group already placed and those the policy does not allow (under
/// [`Policy::RequirePostQuantum`] the provider's classical groups are dropped, and its own
/// post-quantum groups that the policy does not list are kept). The one exception, for
/// truthful [`ConnectionReport`]s, is the share-reuse row of [`Merge`]'s table.
///
/// # FIPS
///
/// rustls's [`ClientConfig::fips`] and [`ServerConfig::fips`] are true only if every key-exchange
/// group's `fips()` is. pqhkex's groups report it truthfully (see
/// [`crate::rustls#fips`]): true only with the aws-lc backend (`aws-lc-rs-backend`) in
/// aws-lc's FIPS mode. So over rustls's FIPS provider (`rustls::crypto::default_fips_provider()`,
/// rustls feature `fips`):
///
/// * with `aws-lc-rs-backend` (aws-lc-rs then builds with `fips` too, one crate for both),
///   either merge keeps the configuration FIPS, and `KeepBase` keeps aws-lc-rs's own
///   X25519MLKEM768;
/// * without it, pqhkex's groups are not FIPS and the configuration is not either.
///   `KeepBase` still keeps every FIPS group the provider had; drop the others with
///   `provider.kx_groups.retain(|g| g.fips())` if the configuration must stay FIPS (as
///   rustls itself filters its FIPS provider's default groups).
///
/// ```
/// use pqhkex::policy::{add_post_quantum_with, Merge};
/// use rustls::crypto::aws_lc_rs;
/// let p = add_post_quantum_with(aws_lc_rs::default_provider(), pqhkex::Policy::PreferPostQuantum, Merge::KeepBase);
/// let names: Vec<u16> = p.kx_groups.iter().map(|g| u16::from(g.name())).collect();
/// assert_eq!(&names[..3], &[0x11ec, 0x11eb, 0x11ed]); // the policy's order
/// // aws-lc-rs's own X25519MLKEM768 is kept; it lacks the NIST hybrids in its default
/// // groups, so those are pqhkex's.
/// assert!(!pqhkex::rustls::is_pqhkex_group(p.kx_groups[0]));
/// assert!(pqhkex::rustls::is_pqhkex_group(p.kx_groups[1]));
/// assert!(pqhkex::rustls::is_pqhkex_group(p.kx_groups[2]));
/// // Its X25519 is kept too: the hybrid in front is its own.
/// let x25519 = p.kx_groups.iter().find(|g| u16::from(g.name()) == 0x001d).unwrap();
/// assert!(!pqhkex::rustls::is_pqhkex_group(*x25519));
/// ```
pub fn add_post_quantum_with(base: CryptoProvider, policy: Policy, merge: Merge) -> CryptoProvider {
    let own = |code: u16| {
        base.kx_groups
            .iter()
            .copied()
            .find(|kx| u16::from(kx.name()) == code)
    };
    let front: Vec<&'static dyn SupportedKxGroup> = policy
        .groups()
        .iter()
        .copied()
        .filter(|g| g.is_post_quantum())
        .map(|g| match merge {
            Merge::KeepBase => own(g.code).unwrap_or_else(|| crate::rustls::kx_group(g)),
            Merge::ReplaceBase => crate::rustls::kx_group(g),
        })
        .collect();
    // The classical half of the first group when that is pqhkex's hybrid: the client
    // sends that share from the hybrid's key pair, and completes it with pqhkex's code.
    let reused = front
        .first()
        .filter(|kx| crate::rustls::is_pqhkex_group(**kx))
        .and_then(|kx| groups::by_code(u16::from(kx.name())))
        .and_then(|g| g.classical_component())
        .and_then(|(_, alg)| groups::ALL.iter().copied().find(|g| g.components == [alg]));
    let theirs = base.kx_groups.iter().filter_map(|kx| {
        let code = u16::from(kx.name());
        if front.iter().any(|o| u16::from(o.name()) == code) {
            return None;
        }
        let allowed = match groups::by_code(code) {
            Some(g) => policy.allows(g),
            // A group pqhkex does not know (FFDHE, a vendor group): classical for all we
            // know, so kept only by a policy that does not require post-quantum.
            None => !policy.requires_post_quantum(),
        };
        match reused {
            Some(g) if allowed && g.code == code => Some(crate::rustls::kx_group(g)),
            _ => allowed.then_some(*kx),
        }
    });
    let kx_groups = front.iter().copied().chain(theirs).collect();
    CryptoProvider { kx_groups, ..base }
}
