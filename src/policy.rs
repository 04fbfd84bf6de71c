//! Policies: which groups a rustls configuration offers, and how to enforce that a
//! connection is post-quantum.
//!
//! * [`Policy::PreferPostQuantum`] (the default): hybrids first, then pure ML-KEM,
//!   then classical. A rustls client sends two key shares — X25519MLKEM768 and X25519,
//!   from one X25519 key pair — so both PQ and classical servers answer in one round trip.
//! * [`Policy::RequirePostQuantum`]: post-quantum groups only, TLS 1.3 only. A
//!   classical-only peer fails the handshake; [`Policy::explain`] turns the rustls error
//!   into [`Error::NoPostQuantumGroup`].
//! * [`Policy::Classical`]: X25519, P-256, P-384 only (for comparison and testing).
//!
//! [`with_policy`] takes ANY base [`CryptoProvider`] — ring, aws-lc-rs or a third-party
//! one — and returns it with its `kx_groups` replaced by the policy's, all implemented by
//! pqhkex. Nothing here depends on a cargo feature, so no feature set can silently drop
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
/// ```
/// use pqhkex::Policy;
/// let names: Vec<u16> = Policy::default().kx_groups().iter().map(|g| u16::from(g.name())).collect();
/// assert_eq!(&names[..2], &[0x11ec, 0x11eb]); // X25519MLKEM768 first
/// assert!(names.contains(&0x001d)); // classical X25519 kept as a fallback
/// assert!(Policy::RequirePostQuantum.kx_groups().iter().all(|g| u16::from(g.name()) != 0x001d));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// Post-quantum groups first (hybrids, then pure ML-KEM), classical ones after.
    #[default]
    PreferPostQuantum,
    /// Post-quantum groups only, and TLS 1.3 only. A classical-only peer cannot connect.
    RequirePostQuantum,
    /// Classical groups only (X25519, secp256r1, secp384r1).
    Classical,
}

impl Policy {
    /// The table entries this policy offers, most preferred first.
    pub fn groups(self) -> Vec<&'static Group> {
        groups::ALL
            .iter()
            .copied()
            .filter(|g| self.allows(g))
            // The obsolete Kyber draft group is never offered by a policy; add it by hand.
            .filter(|g| !is_legacy(g))
            .collect()
    }

    /// The rustls key-exchange groups this policy offers, most preferred first.
    pub fn kx_groups(self) -> Vec<&'static dyn SupportedKxGroup> {
        self.groups()
            .into_iter()
            .map(crate::rustls::kx_group)
            .collect()
    }

    /// Whether a connection that negotiated `group` satisfies this policy.
    pub fn allows(self, group: &Group) -> bool {
        match self {
            Policy::PreferPostQuantum => true,
            Policy::RequirePostQuantum => group.is_post_quantum(),
            Policy::Classical => !group.is_post_quantum(),
        }
    }

    /// Protocol versions for this policy: TLS 1.3 only when post-quantum is required
    /// (no post-quantum group exists for TLS 1.2), rustls's defaults otherwise.
    pub fn protocol_versions(self) -> &'static [&'static SupportedProtocolVersion] {
        match self {
            Policy::RequirePostQuantum => TLS13_ONLY,
            _ => ::rustls::DEFAULT_VERSIONS,
        }
    }

    /// Checks a finished handshake against the policy, returning its report.
    ///
    /// rustls cannot negotiate a group that is not configured, so with a configuration
    /// from this module this fails only if the configuration was changed afterwards;
    /// it is the check to log or to gate on.
    pub fn check(self, conn: &::rustls::CommonState) -> Result<ConnectionReport, Error> {
        let report = ConnectionReport::from_connection(conn);
        let ok = match (self, report.group) {
            (Policy::RequirePostQuantum, Some(g)) => g.is_post_quantum(),
            (Policy::RequirePostQuantum, None) => false,
            _ => true,
        };
        if ok {
            Ok(report)
        } else {
            Err(Error::NotPostQuantum {
                negotiated: report.group_code,
            })
        }
    }

    /// Explains a failed handshake in the policy's terms.
    ///
    /// Under [`Policy::RequirePostQuantum`], the errors a handshake ends with when the
    /// peer has no post-quantum group in common — no common group on our side, a
    /// `handshake_failure` alert from the peer, or a HelloRetryRequest for a group we
    /// did not offer — become [`Error::NoPostQuantumGroup`]. Anything else, and every
    /// error under other policies, gives `None`.
    ///
    /// ```
    /// use pqhkex::{Policy, Side};
    /// let e = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
    /// let explained = Policy::RequirePostQuantum.explain(Side::Client, &e).unwrap();
    /// assert!(explained.to_string().contains("the server offered no post-quantum group"));
    /// assert!(Policy::PreferPostQuantum.explain(Side::Client, &e).is_none());
    /// ```
    pub fn explain(self, side: Side, err: &::rustls::Error) -> Option<Error> {
        use ::rustls::{AlertDescription, Error as E, PeerIncompatible, PeerMisbehaved};
        if self != Policy::RequirePostQuantum {
            return None;
        }
        let no_common_group = matches!(
            err,
            E::PeerIncompatible(PeerIncompatible::NoKxGroupsInCommon)
                | E::AlertReceived(AlertDescription::HandshakeFailure)
                | E::AlertReceived(AlertDescription::InsufficientSecurity)
                | E::PeerMisbehaved(
                    PeerMisbehaved::IllegalHelloRetryRequestWithUnofferedNamedGroup
                )
                | E::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedKxGroup)
        );
        no_common_group.then(|| Error::NoPostQuantumGroup {
            detected_by: side,
            offered: Vec::new(),
            detail: Some(err.to_string()),
        })
    }
}

/// TLS 1.3 alone: every post-quantum group is TLS 1.3 only.
static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&::rustls::version::TLS13];

fn is_legacy(group: &Group) -> bool {
    group.code == 0x6399
}

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
/// that group, plus (unless post-quantum is required) a fallback with the policy's full
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
/// assert_eq!(cfg.crypto_provider().kx_groups.len(), 1);
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
        for group in policy.groups().into_iter().filter(|g| g.is_post_quantum()) {
            let provider = CryptoProvider {
                kx_groups: vec![crate::rustls::kx_group(group)],
                ..base.clone()
            };
            let builder = ServerConfig::builder_with_provider(Arc::new(provider))
                .with_protocol_versions(TLS13_ONLY)?;
            preferred.push((group, Arc::new(build(builder)?)));
        }
        let fallback = match policy {
            Policy::RequirePostQuantum => None,
            _ => Some(Arc::new(build(server_config_builder(base, policy)?)?)),
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
    /// Fails with [`Error::NoPostQuantumGroup`] when post-quantum is required and the
    /// client supports none of our post-quantum groups.
    pub fn choose(&self, hello: &ClientHello<'_>) -> Result<Arc<ServerConfig>, Error> {
        self.choose_for_groups(hello.named_groups())
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
        match (best, &self.fallback) {
            (Some((_, cfg)), _) => Ok(cfg.clone()),
            (None, Some(fallback)) => Ok(fallback.clone()),
            (None, None) => Err(Error::NoPostQuantumGroup {
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
        let (config, refused) = match self.choose(&hello) {
            Ok(config) => (config, false),
            // Only under RequirePostQuantum: hand rustls a post-quantum-only
            // configuration so that it refuses with handshake_failure itself.
            Err(_) => (self.refusal.clone(), true),
        };
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

    /// The policy these configurations implement.
    pub fn policy(&self) -> Policy {
        self.policy
    }
}
