//! The rustls adapter: every group of [`crate::groups`] as a
//! [`SupportedKxGroup`].
//!
//! These statics work with any base [`CryptoProvider`](::rustls::crypto::CryptoProvider):
//! put them in its `kx_groups` yourself, or let [`crate::policy`] do it.
//!
//! * A server calls [`SupportedKxGroup::start_and_complete`]: it validates the client's
//!   share and encapsulates.
//! * A client calls [`SupportedKxGroup::start`] and later
//!   [`ActiveKeyExchange::complete`]: it decapsulates.
//! * Hybrid groups implement [`ActiveKeyExchange::hybrid_component`], so a client whose
//!   groups are `[X25519MLKEM768, X25519, …]` sends both key shares from ONE X25519
//!   key pair (draft-ietf-tls-hybrid-design §3.2) and completes whichever the server
//!   picks.
//!
//! Adding one group to a provider you already have (here X25519MLKEM768 in front of
//! aws-lc-rs's own groups; [`add_post_quantum`](crate::add_post_quantum) does this for a
//! whole policy):
//!
//! ```
//! let mut provider = rustls::crypto::aws_lc_rs::default_provider();
//! provider.kx_groups.retain(|g| u16::from(g.name()) != 0x11ec); // its own, if it has one
//! provider.kx_groups.insert(0, pqhkex::rustls::X25519MLKEM768);
//! let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
//!     .with_safe_default_protocol_versions()
//!     .unwrap()
//!     .with_root_certificates(rustls::RootCertStore::empty())
//!     .with_no_client_auth();
//! assert!(pqhkex::rustls::is_pqhkex_group(config.crypto_provider().kx_groups[0]));
//! ```
//!
//! # FIPS
//!
//! [`SupportedKxGroup::fips`] of a pqhkex group is [`is_fips`] of its table entry: true
//! exactly when
//!
//! 1. the group combines its components in a way FIPS 140-3 can approve
//!    ([`Group::fips_approved_combination`]: the secret that comes first in the
//!    concatenation is from ML-KEM or from ECDH over P-256 / P-384, SP 800-56C rev 2 §2),
//!    and
//! 2. every component runs in a FIPS module in FIPS mode ([`in_fips_module`]): on the
//!    aws-lc backend (feature `aws-lc-rs-backend`), with aws-lc-rs built with its `fips`
//!    feature, and aws-lc in FIPS mode (`aws_lc_rs::try_fips_mode()`). graviola and the
//!    pure-Rust components are never a FIPS module.
//!
//! | group | first in the concatenation | approved combination | `fips()` |
//! |---|---|---|---|
//! | X25519MLKEM768 | ML-KEM-768 | yes | ML-KEM-768 and X25519 both on aws-lc in FIPS mode |
//! | SecP256r1MLKEM768 | P-256 ECDH | yes | P-256 and ML-KEM-768 both on aws-lc in FIPS mode |
//! | SecP384r1MLKEM1024 | P-384 ECDH | yes | P-384 and ML-KEM-1024 both on aws-lc in FIPS mode |
//! | MLKEM512, MLKEM768, MLKEM1024 | ML-KEM | yes | ML-KEM on aws-lc in FIPS mode |
//! | secp256r1, secp384r1 | ECDH | yes | the curve on aws-lc in FIPS mode |
//! | x25519 | X25519 | no (not an approved curve) | always false |
//! | X25519Kyber768Draft00 | X25519 | no | always false |
//!
//! This is rustls's own reasoning for aws-lc-rs's hybrids (the first component decides),
//! made stricter: rustls's SecP256r1MLKEM768 reports only its P-256 half, pqhkex requires
//! both halves in the module. Like rustls, it counts aws-lc's ML-KEM, which the module
//! implements in FIPS mode, as approved. In a default build (no `aws-lc-rs-backend`), every
//! pqhkex group reports `false`, so a configuration that includes one is truthfully not
//! FIPS; to keep the base provider's own (FIPS) groups where it has them, see
//! [`Merge::KeepBase`](crate::policy::Merge::KeepBase).
//!
//! ```
//! use pqhkex::{groups, rustls::is_fips};
//! // X25519 is never approved, wherever it runs.
//! assert!(!is_fips(&groups::X25519));
//! assert!(!pqhkex::rustls::X25519.fips());
//! // The others are FIPS exactly when their components run in aws-lc's FIPS module.
//! let in_module = groups::X25519MLKEM768.components.iter().all(|a| pqhkex::rustls::in_fips_module(*a));
//! assert_eq!(pqhkex::rustls::X25519MLKEM768.fips(), in_module);
//! ```
//!
//! Every invalid peer share is refused with
//! [`PeerMisbehaved::InvalidKeyShare`](::rustls::PeerMisbehaved::InvalidKeyShare), on
//! which rustls sends an `illegal_parameter` alert.
//!
//! ```
//! use pqhkex::rustls::{X25519MLKEM768, SECP384R1MLKEM1024};
//! assert_eq!(u16::from(X25519MLKEM768.name()), 0x11ec);
//! // rustls 0.23 has no enum variant for 0x11ED: it is carried as Unknown(0x11ed).
//! assert_eq!(SECP384R1MLKEM1024.name(), rustls::NamedGroup::Unknown(0x11ed));
//! ```

use ::rustls::crypto::{ActiveKeyExchange, CompletedKeyExchange, SharedSecret, SupportedKxGroup};
use ::rustls::ffdhe_groups::FfdheGroup;
use ::rustls::{NamedGroup, ProtocolVersion};

use crate::groups::{self, Group};
use crate::hybrid::{self, ClientState};

/// One pqhkex group as a rustls key-exchange group.
///
/// Use the statics of this module rather than constructing one.
#[derive(Debug)]
pub struct KxGroup {
    group: &'static Group,
}

impl KxGroup {
    /// The group this key exchange runs.
    pub fn group(&self) -> &'static Group {
        self.group
    }
}

/// Hands the secret's buffer to rustls without a copy: rustls's `SharedSecret` zeroizes it
/// on drop, and the emptied `SecretBuf` has nothing left to wipe.
fn shared_secret(mut secret: crate::SecretBuf) -> SharedSecret {
    SharedSecret::from(core::mem::take(&mut *secret))
}

/// Converts a TLS codepoint to rustls's `NamedGroup` (which maps known values to
/// their variants and anything else to `Unknown`).
fn named(code: u16) -> NamedGroup {
    NamedGroup::from(code)
}

impl SupportedKxGroup for KxGroup {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, ::rustls::Error> {
        let state = hybrid::client_start(self.group, None)?;
        Ok(Box::new(Active { state }))
    }

    fn start_and_complete(
        &self,
        peer_pub_key: &[u8],
    ) -> Result<CompletedKeyExchange, ::rustls::Error> {
        let (pub_key, secret) = hybrid::server_encapsulate(self.group, peer_pub_key, None)?;
        Ok(CompletedKeyExchange {
            group: self.name(),
            pub_key,
            secret: shared_secret(secret),
        })
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        named(self.group.code)
    }

    /// [`is_fips`] of the group: see the [module documentation](self#fips).
    fn fips(&self) -> bool {
        is_fips(self.group)
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        // RFC 10024 §3 / draft-ietf-tls-mlkem §3: post-quantum groups are TLS 1.3 only.
        self.group.tls12_allowed() || version == ProtocolVersion::TLSv1_3
    }
}

/// A client key exchange in progress.
struct Active {
    state: ClientState,
}

impl ActiveKeyExchange for Active {
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, ::rustls::Error> {
        let secret = self.state.complete_once(peer_pub_key)?;
        Ok(shared_secret(secret))
    }

    fn hybrid_component(&self) -> Option<(NamedGroup, &[u8])> {
        let (index, algorithm) = self.state.group.classical_component()?;
        let standalone = classical_group_for(algorithm)?;
        Some((named(standalone.code), self.state.component_share(index)))
    }

    fn complete_hybrid_component(
        self: Box<Self>,
        peer_pub_key: &[u8],
    ) -> Result<SharedSecret, ::rustls::Error> {
        // rustls calls this only after `hybrid_component` returned Some.
        let Some((index, _)) = self.state.group.classical_component() else {
            return Err(::rustls::Error::General(
                "complete_hybrid_component on a non-hybrid group".into(),
            ));
        };
        let secret = self.state.complete_component(index, peer_pub_key)?;
        Ok(shared_secret(secret))
    }

    fn pub_key(&self) -> &[u8] {
        &self.state.share
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        None
    }

    fn group(&self) -> NamedGroup {
        named(self.state.group.code)
    }
}

/// The stand-alone classical group that uses `algorithm`, for share reuse.
fn classical_group_for(algorithm: crate::Algorithm) -> Option<&'static Group> {
    groups::ALL
        .iter()
        .copied()
        .find(|g| g.components == [algorithm])
}

/// X25519MLKEM768 (0x11EC).
pub static X25519MLKEM768: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::X25519MLKEM768,
};
/// SecP256r1MLKEM768 (0x11EB).
pub static SECP256R1MLKEM768: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::SECP256R1MLKEM768,
};
/// SecP384r1MLKEM1024 (0x11ED).
pub static SECP384R1MLKEM1024: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::SECP384R1MLKEM1024,
};
/// MLKEM512 (0x0200).
pub static MLKEM512: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::MLKEM512,
};
/// MLKEM768 (0x0201).
pub static MLKEM768: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::MLKEM768,
};
/// MLKEM1024 (0x0202).
pub static MLKEM1024: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::MLKEM1024,
};
/// X25519Kyber768Draft00 (0x6399), obsolete; feature `legacy-kyber`.
#[cfg(feature = "legacy-kyber")]
pub static X25519KYBER768DRAFT00: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::X25519KYBER768DRAFT00,
};
/// Classical X25519 (0x001D), from the same component as the hybrids.
pub static X25519: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::X25519,
};
/// Classical secp256r1 (0x0017), from the same component as the hybrids.
pub static SECP256R1: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::SECP256R1,
};
/// Classical secp384r1 (0x0018), from the same component as the hybrids.
pub static SECP384R1: &dyn SupportedKxGroup = &KxGroup {
    group: &groups::SECP384R1,
};

/// Every pqhkex rustls group, in the same order as [`groups::ALL`].
pub static ALL_KX_GROUPS: &[&dyn SupportedKxGroup] = &[
    X25519MLKEM768,
    SECP256R1MLKEM768,
    SECP384R1MLKEM1024,
    MLKEM768,
    MLKEM1024,
    MLKEM512,
    #[cfg(feature = "legacy-kyber")]
    X25519KYBER768DRAFT00,
    X25519,
    SECP256R1,
    SECP384R1,
];

/// Whether `kx` is one of pqhkex's own rustls groups (the statics of this module), as
/// opposed to a group of the same name from the base provider (say, aws-lc-rs's own
/// X25519MLKEM768).
///
/// ```
/// assert!(pqhkex::rustls::is_pqhkex_group(pqhkex::rustls::X25519MLKEM768));
/// assert!(!pqhkex::rustls::is_pqhkex_group(rustls::crypto::aws_lc_rs::kx_group::X25519MLKEM768));
/// ```
pub fn is_pqhkex_group(kx: &dyn SupportedKxGroup) -> bool {
    ALL_KX_GROUPS
        .iter()
        .any(|ours| core::ptr::addr_eq(*ours as *const dyn SupportedKxGroup, kx))
}

/// The table entry for a rustls `NamedGroup`, if pqhkex implements that group.
///
/// ```
/// let g = pqhkex::rustls::group_of(rustls::NamedGroup::X25519MLKEM768).unwrap();
/// assert_eq!(g.to_string(), "X25519MLKEM768 (0x11ec)");
/// assert!(pqhkex::rustls::group_of(rustls::NamedGroup::FFDHE2048).is_none());
/// ```
pub fn group_of(name: NamedGroup) -> Option<&'static Group> {
    groups::by_code(u16::from(name))
}

/// A classical group offered for TLS 1.2 only: what a post-quantum server
/// configuration adds so that a TLS 1.2 client still gets a handshake on a classical
/// group, while a TLS 1.3 client can only negotiate the configuration's post-quantum
/// group (rustls asks [`SupportedKxGroup::usable_for_version`] before it picks).
#[derive(Debug)]
struct Tls12Only {
    group: &'static Group,
}

impl SupportedKxGroup for Tls12Only {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, ::rustls::Error> {
        kx_group(self.group).start()
    }

    fn start_and_complete(
        &self,
        peer_pub_key: &[u8],
    ) -> Result<CompletedKeyExchange, ::rustls::Error> {
        kx_group(self.group).start_and_complete(peer_pub_key)
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        named(self.group.code)
    }

    fn fips(&self) -> bool {
        is_fips(self.group)
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        version == ProtocolVersion::TLSv1_2
    }
}

static X25519_TLS12: Tls12Only = Tls12Only {
    group: &groups::X25519,
};
static SECP256R1_TLS12: Tls12Only = Tls12Only {
    group: &groups::SECP256R1,
};
static SECP384R1_TLS12: Tls12Only = Tls12Only {
    group: &groups::SECP384R1,
};

/// `group` usable in TLS 1.2 only, for a classical group (`None` for a post-quantum
/// one, which TLS 1.2 cannot use: RFC 10024 §3, draft-ietf-tls-mlkem §3).
///
/// [`PqServerConfigs`](crate::PqServerConfigs) puts these after the post-quantum group
/// of each of its configurations, so that a TLS 1.2 ClientHello that also lists a
/// post-quantum group gets a TLS 1.2 handshake on a classical group.
///
/// ```
/// use rustls::ProtocolVersion;
/// let g = pqhkex::rustls::tls12_only(&pqhkex::groups::X25519).unwrap();
/// assert!(g.usable_for_version(ProtocolVersion::TLSv1_2));
/// assert!(!g.usable_for_version(ProtocolVersion::TLSv1_3));
/// assert!(pqhkex::rustls::tls12_only(&pqhkex::groups::X25519MLKEM768).is_none());
/// ```
pub fn tls12_only(group: &'static Group) -> Option<&'static dyn SupportedKxGroup> {
    [&X25519_TLS12, &SECP256R1_TLS12, &SECP384R1_TLS12]
        .into_iter()
        .find(|t| t.group.code == group.code)
        .map(|t| t as &'static dyn SupportedKxGroup)
}

/// The rustls group for a table entry.
///
/// Every [`Group`] is a table entry (it cannot be built outside pqhkex), and
/// `tests/table.rs` checks that each has its rustls group, so this never fails.
///
/// ```
/// let g = pqhkex::groups::by_name("MLKEM1024").unwrap();
/// assert_eq!(u16::from(pqhkex::rustls::kx_group(g).name()), 0x0202);
/// ```
pub fn kx_group(group: &'static Group) -> &'static dyn SupportedKxGroup {
    ALL_KX_GROUPS
        .iter()
        .copied()
        .find(|g| u16::from(g.name()) == group.code)
        .expect("every table entry has a rustls group (tests/table.rs)")
}

/// Whether pqhkex runs `algorithm`'s TLS key exchange in a FIPS module in FIPS mode, in
/// this process: on the aws-lc backend ([`Backend::AwsLcRs`](crate::Backend::AwsLcRs),
/// feature `aws-lc-rs-backend`; [`Backend::for_algorithm`](crate::Backend::for_algorithm)
/// tells which backend runs), with aws-lc
/// in FIPS mode (`aws_lc_rs::try_fips_mode()` succeeds only when aws-lc-rs is built with
/// its `fips` feature, e.g. through rustls's `fips` feature). Always false on graviola and
/// the pure-Rust components.
///
/// This says where the code runs, not whether the algorithm is approved: aws-lc's FIPS
/// module also runs X25519, which is not an approved key-agreement scheme
/// ([`Group::fips_approved_combination`] covers that side).
///
/// ```
/// use pqhkex::{rustls::in_fips_module, Algorithm, Backend};
/// for alg in Algorithm::ALL {
///     if Backend::for_algorithm(*alg) != Backend::AwsLcRs {
///         assert!(!in_fips_module(*alg));
///     }
/// }
/// ```
pub fn in_fips_module(algorithm: crate::Algorithm) -> bool {
    #[cfg(feature = "aws-lc-rs-backend")]
    {
        crate::Backend::for_algorithm(algorithm) == crate::Backend::AwsLcRs
            && aws_lc_rs::try_fips_mode().is_ok()
    }
    #[cfg(not(feature = "aws-lc-rs-backend"))]
    {
        let _ = algorithm;
        false
    }
}

/// Whether a key exchange on `group`, run by pqhkex in this process, is FIPS: its
/// combination is approvable ([`Group::fips_approved_combination`]) and every component
/// runs in a FIPS module in FIPS mode ([`in_fips_module`]). What
/// [`SupportedKxGroup::fips`] of pqhkex's rustls groups reports; see the
/// [module documentation](self#fips) for the truth table.
///
/// ```
/// use pqhkex::{groups, rustls::{in_fips_module, is_fips}, Algorithm};
/// assert!(!is_fips(&groups::X25519)); // never: X25519 is not an approved curve
/// assert_eq!(
///     is_fips(&groups::SECP384R1MLKEM1024),
///     in_fips_module(Algorithm::P384) && in_fips_module(Algorithm::MlKem1024),
/// );
/// ```
pub fn is_fips(group: &Group) -> bool {
    fips_with(group, in_fips_module)
}

/// [`is_fips`] with `in_module` telling whether a component runs in a FIPS module.
fn fips_with(group: &Group, in_module: impl Fn(crate::Algorithm) -> bool) -> bool {
    group.fips_approved_combination() && group.components.iter().all(|a| in_module(*a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;

    /// The truth table of the module documentation, for every group and every
    /// combination of its components running in a FIPS module or not.
    #[test]
    fn fips_truth_table() {
        // (group, whether it is FIPS when all of its components run in the module)
        let table: &[(&Group, bool)] = &[
            (&groups::X25519MLKEM768, true),
            (&groups::SECP256R1MLKEM768, true),
            (&groups::SECP384R1MLKEM1024, true),
            (&groups::MLKEM512, true),
            (&groups::MLKEM768, true),
            (&groups::MLKEM1024, true),
            #[cfg(feature = "legacy-kyber")]
            (&groups::X25519KYBER768DRAFT00, false),
            (&groups::X25519, false),
            (&groups::SECP256R1, true),
            (&groups::SECP384R1, true),
        ];
        assert_eq!(
            table.len(),
            groups::ALL.len(),
            "every group is in the table"
        );
        for (group, when_all_in_module) in table {
            assert_eq!(fips_with(group, |_| true), *when_all_in_module, "{group}");
            assert!(!fips_with(group, |_| false), "{group}");
            // One component outside the module is enough to make it not FIPS.
            for outside in group.components {
                assert!(
                    !fips_with(group, |a| a != *outside),
                    "{group} without {outside}"
                );
            }
        }
        // The first component decides the combination: X25519 first never qualifies,
        // X25519 second does (SP 800-56C rev 2: Z' = Z || T).
        assert_eq!(
            groups::X25519MLKEM768.components,
            [Algorithm::MlKem768, Algorithm::X25519]
        );
        assert!(groups::X25519MLKEM768.fips_approved_combination());
        #[cfg(feature = "legacy-kyber")]
        assert_eq!(
            groups::X25519KYBER768DRAFT00.components[0],
            Algorithm::X25519
        );
    }

    /// Outside aws-lc's FIPS mode (every build without `aws-lc-rs-backend`, and aws-lc-rs
    /// without its `fips` feature) no pqhkex group claims FIPS, whatever its combination;
    /// in FIPS mode, exactly the table's groups whose components all run on aws-lc do.
    #[test]
    fn groups_report_fips_only_in_the_fips_module() {
        #[cfg(feature = "aws-lc-rs-backend")]
        let fips_mode = aws_lc_rs::try_fips_mode().is_ok();
        #[cfg(not(feature = "aws-lc-rs-backend"))]
        let fips_mode = false;
        let mut claimed = 0;
        for kx in ALL_KX_GROUPS {
            let group = group_of(kx.name()).unwrap();
            let expected = fips_mode
                && fips_with(group, |a| {
                    crate::Backend::for_algorithm(a) == crate::Backend::AwsLcRs
                });
            assert_eq!(kx.fips(), expected, "{group}");
            assert_eq!(is_fips(group), expected, "{group}");
            claimed += usize::from(kx.fips());
        }
        for g in [&groups::SECP256R1, &groups::SECP384R1, &groups::X25519] {
            assert_eq!(tls12_only(g).unwrap().fips(), is_fips(g), "{g}");
        }
        if !fips_mode {
            assert_eq!(claimed, 0);
        }
    }
}
