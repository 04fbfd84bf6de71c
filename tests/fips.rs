//! FIPS, truthfully (issue #23).
//!
//! * pqhkex's groups report `fips()` as `pqhkex::rustls::is_fips` says: an approvable
//!   combination (the first secret of the concatenation from ML-KEM or NIST ECDH) with every
//!   component in aws-lc's FIPS module in FIPS mode. Outside that module they never claim it.
//! * `Merge::KeepBase` keeps every group the base provider implements, so a FIPS base stays
//!   FIPS where pqhkex only adds what it lacks, and aws-lc-rs's own hybrids keep their share
//!   reuse; pqhkex's hybrids keep theirs.
//!
//! rustls's real FIPS provider needs aws-lc-rs built with `fips` (aws-lc-fips-sys: Go and
//! CMake, a long build), which this suite does not assume. It uses a stand-in instead: rustls's
//! aws-lc-rs provider with every part (cipher suites, key-exchange groups, signature
//! verification, RNG, key loading) wrapped to report `fips() = true`, which is what rustls's
//! FIPS build reports for them. `rustls::ClientConfig::fips()` then checks it exactly as it
//! checks the real one. When the process really runs aws-lc in FIPS mode, the assertions
//! that depend on it follow `aws_lc_rs::try_fips_mode()`.

mod common;

use std::sync::Arc;

use common::*;
use pqhkex::policy::{add_post_quantum_with, Merge};
use pqhkex::rustls as pq;
use pqhkex::{groups, Group, Policy};
use rustls::crypto::aws_lc_rs::{self, kx_group as aws};
use rustls::crypto::cipher::{
    AeadKey, Iv, MessageDecrypter, MessageEncrypter, Tls13AeadAlgorithm, UnsupportedOperationError,
};
use rustls::crypto::hash::{Context, Hash, HashAlgorithm, Output};
use rustls::crypto::tls13::{Hkdf, HkdfExpander, OkmBlock};
use rustls::crypto::{
    ActiveKeyExchange, CompletedKeyExchange, CryptoProvider, GetRandomFailed, KeyProvider,
    SecureRandom, SupportedKxGroup, WebPkiSupportedAlgorithms,
};
use rustls::ffdhe_groups::FfdheGroup;
use rustls::pki_types::{
    AlgorithmIdentifier, InvalidSignature, PrivateKeyDer, SignatureVerificationAlgorithm,
};
use rustls::sign::SigningKey;
use rustls::{
    ClientConfig, ConnectionTrafficSecrets, HandshakeKind, NamedGroup, ProtocolVersion,
    SignatureScheme, SupportedCipherSuite, Tls13CipherSuite,
};

// ---------------------------------------------------------------------------------------
// The stand-in FIPS provider: each part forwards to aws-lc-rs and reports fips() = true.
// ---------------------------------------------------------------------------------------

/// Leaks `value`: the wrappers must be `'static`, as rustls's statics are.
fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

#[derive(Debug)]
struct FipsKx(&'static dyn SupportedKxGroup);

impl SupportedKxGroup for FipsKx {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        self.0.start()
    }
    fn start_and_complete(&self, peer: &[u8]) -> Result<CompletedKeyExchange, rustls::Error> {
        self.0.start_and_complete(peer)
    }
    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        self.0.ffdhe_group()
    }
    fn name(&self) -> NamedGroup {
        self.0.name()
    }
    fn fips(&self) -> bool {
        true
    }
    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        self.0.usable_for_version(version)
    }
}

struct FipsHash(&'static dyn Hash);

impl Hash for FipsHash {
    fn start(&self) -> Box<dyn Context> {
        self.0.start()
    }
    fn hash(&self, data: &[u8]) -> Output {
        self.0.hash(data)
    }
    fn output_len(&self) -> usize {
        self.0.output_len()
    }
    fn algorithm(&self) -> HashAlgorithm {
        self.0.algorithm()
    }
    fn fips(&self) -> bool {
        true
    }
}

struct FipsHkdf(&'static dyn Hkdf);

impl Hkdf for FipsHkdf {
    fn extract_from_zero_ikm(&self, salt: Option<&[u8]>) -> Box<dyn HkdfExpander> {
        self.0.extract_from_zero_ikm(salt)
    }
    fn extract_from_secret(&self, salt: Option<&[u8]>, secret: &[u8]) -> Box<dyn HkdfExpander> {
        self.0.extract_from_secret(salt, secret)
    }
    fn expander_for_okm(&self, okm: &OkmBlock) -> Box<dyn HkdfExpander> {
        self.0.expander_for_okm(okm)
    }
    fn hmac_sign(&self, key: &OkmBlock, message: &[u8]) -> rustls::crypto::hmac::Tag {
        self.0.hmac_sign(key, message)
    }
    fn fips(&self) -> bool {
        true
    }
}

struct FipsAead(&'static dyn Tls13AeadAlgorithm);

impl Tls13AeadAlgorithm for FipsAead {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        self.0.encrypter(key, iv)
    }
    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        self.0.decrypter(key, iv)
    }
    fn key_len(&self) -> usize {
        self.0.key_len()
    }
    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        self.0.extract_keys(key, iv)
    }
    fn fips(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct FipsSig(&'static dyn SignatureVerificationAlgorithm);

impl SignatureVerificationAlgorithm for FipsSig {
    fn verify_signature(&self, pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), InvalidSignature> {
        self.0.verify_signature(pk, msg, sig)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.0.public_key_alg_id()
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.0.signature_alg_id()
    }
    fn fips(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct FipsRandom(&'static dyn SecureRandom);

impl SecureRandom for FipsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        self.0.fill(buf)
    }
    fn fips(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct FipsKeys(&'static dyn KeyProvider);

impl KeyProvider for FipsKeys {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        self.0.load_private_key(key_der)
    }
    fn fips(&self) -> bool {
        true
    }
}

fn fips_sigs(
    algs: &'static [&'static dyn SignatureVerificationAlgorithm],
) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    let wrapped: Vec<&'static dyn SignatureVerificationAlgorithm> = algs
        .iter()
        .map(|a| leak(FipsSig(*a)) as &'static dyn SignatureVerificationAlgorithm)
        .collect();
    Box::leak(wrapped.into_boxed_slice())
}

/// rustls's aws-lc-rs provider with every part reporting FIPS and `groups` (each wrapped
/// to report FIPS too) as its key-exchange groups: what rustls's FIPS provider looks like
/// to `ClientConfig::fips()`. TLS 1.3 AES-GCM suites only (ChaCha20-Poly1305 is not
/// approved).
fn fips_base(groups: &[&'static dyn SupportedKxGroup]) -> CryptoProvider {
    let aws = aws_lc_rs::default_provider();
    let cipher_suites = aws
        .cipher_suites
        .iter()
        .filter_map(|cs| match cs {
            SupportedCipherSuite::Tls13(s)
                if s.common.suite != rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256 =>
            {
                Some(SupportedCipherSuite::Tls13(leak(Tls13CipherSuite {
                    common: rustls::crypto::CipherSuiteCommon {
                        hash_provider: leak(FipsHash(s.common.hash_provider)),
                        ..s.common
                    },
                    hkdf_provider: leak(FipsHkdf(s.hkdf_provider)),
                    aead_alg: leak(FipsAead(s.aead_alg)),
                    quic: None,
                })))
            }
            _ => None,
        })
        .collect::<Vec<_>>();
    assert!(!cipher_suites.is_empty());
    let sigs = aws.signature_verification_algorithms;
    let mapping: Vec<(
        SignatureScheme,
        &'static [&'static dyn SignatureVerificationAlgorithm],
    )> = sigs
        .mapping
        .iter()
        .map(|(scheme, algs)| (*scheme, fips_sigs(algs)))
        .collect();
    CryptoProvider {
        cipher_suites,
        kx_groups: groups
            .iter()
            .map(|g| leak(FipsKx(*g)) as &'static dyn SupportedKxGroup)
            .collect(),
        signature_verification_algorithms: WebPkiSupportedAlgorithms {
            all: fips_sigs(sigs.all),
            mapping: Box::leak(mapping.into_boxed_slice()),
        },
        secure_random: leak(FipsRandom(aws.secure_random)),
        key_provider: leak(FipsKeys(aws.key_provider)),
    }
}

/// The key-exchange groups of rustls's FIPS provider (`default_fips_provider()`): its
/// default groups that are FIPS, i.e. all but X25519.
fn fips_default_groups() -> Vec<&'static dyn SupportedKxGroup> {
    vec![aws::X25519MLKEM768, aws::SECP256R1, aws::SECP384R1]
}

/// Every aws-lc-rs group that its FIPS build reports as FIPS (all but X25519).
fn fips_all_groups() -> Vec<&'static dyn SupportedKxGroup> {
    vec![
        aws::X25519MLKEM768,
        aws::SECP256R1MLKEM768,
        aws::SECP256R1,
        aws::SECP384R1,
        aws::MLKEM768,
        aws::MLKEM1024,
    ]
}

/// A TLS 1.3 client configuration over `provider`, with extended master secret required
/// (as rustls's `fips` feature makes the default): `fips()` is then the provider's.
fn fips_client(provider: CryptoProvider) -> ClientConfig {
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots())
        .with_no_client_auth();
    config.require_ems = true;
    config
}

fn code(g: &dyn SupportedKxGroup) -> u16 {
    u16::from(g.name())
}

fn codes(p: &CryptoProvider) -> Vec<u16> {
    p.kx_groups.iter().map(|g| code(*g)).collect()
}

/// Whether aws-lc runs in FIPS mode in this process (aws-lc-rs built with `fips`).
fn fips_mode() -> bool {
    ::aws_lc_rs::try_fips_mode().is_ok()
}

// ---------------------------------------------------------------------------------------
// The truth table.
// ---------------------------------------------------------------------------------------

/// The stand-in is a FIPS provider to rustls, and one non-FIPS group is enough to make a
/// configuration non-FIPS: the check every other test relies on.
#[test]
fn stand_in_is_a_fips_provider_to_rustls() {
    assert!(fips_client(fips_base(&fips_default_groups())).fips());
    assert!(fips_client(fips_base(&fips_all_groups())).fips());
    let mut one_off = fips_base(&fips_default_groups());
    one_off
        .kx_groups
        .push(rustls::crypto::ring::kx_group::X25519);
    assert!(!fips_client(one_off).fips());
}

/// Per group, through a FIPS base: the combination column is fixed by the group's
/// layout, and `fips()` of pqhkex's group (and so of a configuration that offers it) is
/// that column and "every component in aws-lc's FIPS module".
#[test]
fn truth_table_through_a_fips_base() {
    // (group, first component of the concatenation, approvable combination)
    let table: &[(&Group, pqhkex::Algorithm, bool)] = &[
        (&groups::X25519MLKEM768, pqhkex::Algorithm::MlKem768, true),
        (&groups::SECP256R1MLKEM768, pqhkex::Algorithm::P256, true),
        (&groups::SECP384R1MLKEM1024, pqhkex::Algorithm::P384, true),
        (&groups::MLKEM512, pqhkex::Algorithm::MlKem512, true),
        (&groups::MLKEM768, pqhkex::Algorithm::MlKem768, true),
        (&groups::MLKEM1024, pqhkex::Algorithm::MlKem1024, true),
        #[cfg(feature = "legacy-kyber")]
        (
            &groups::X25519KYBER768DRAFT00,
            pqhkex::Algorithm::X25519,
            false,
        ),
        (&groups::X25519, pqhkex::Algorithm::X25519, false),
        (&groups::SECP256R1, pqhkex::Algorithm::P256, true),
        (&groups::SECP384R1, pqhkex::Algorithm::P384, true),
    ];
    assert_eq!(table.len(), groups::ALL.len());
    for (group, first, approvable) in table {
        assert_eq!(group.components[0], *first, "{group}");
        assert_eq!(group.fips_approved_combination(), *approvable, "{group}");
        let in_module = group.components.iter().all(|a| pq::in_fips_module(*a));
        let expected = *approvable && in_module;
        let kx = pq::kx_group(group);
        assert_eq!(kx.fips(), expected, "{group}");
        assert_eq!(pq::is_fips(group), expected, "{group}");
        // A FIPS base with this one pqhkex group in front.
        let mut provider = fips_base(&fips_default_groups());
        provider.kx_groups.insert(0, kx);
        assert_eq!(fips_client(provider).fips(), expected, "{group}");
        if !fips_mode() {
            assert!(
                !kx.fips(),
                "{group} claims FIPS outside aws-lc's FIPS module"
            );
        }
    }
}

/// The symptom: `add_post_quantum(fips provider, ..)` made `ClientConfig::fips()`
/// false. It still does when pqhkex's groups are not in a FIPS module, because that is the
/// truth, and exactly then: the result is FIPS iff every pqhkex group it added is.
#[test]
fn replace_base_is_fips_exactly_when_pqhkexs_groups_are() {
    static MINE: &[&Group] = &[&groups::MLKEM512, &groups::SECP256R1];
    for policy in [
        Policy::PreferPostQuantum,
        Policy::RequirePostQuantum,
        Policy::RequireHybrid,
        Policy::Cnsa2,
        Policy::Custom(MINE),
        Policy::Classical,
    ] {
        let p = pqhkex::add_post_quantum(fips_base(&fips_default_groups()), policy);
        let ours: Vec<_> = p
            .kx_groups
            .iter()
            .filter(|g| pq::is_pqhkex_group(**g))
            .collect();
        let expected = ours
            .iter()
            .all(|g| pq::is_fips(pq::group_of(g.name()).unwrap()));
        assert_eq!(fips_client(p.clone()).fips(), expected, "{policy:?}");
        if policy == Policy::Classical {
            // Nothing added: the FIPS provider stays FIPS.
            assert!(ours.is_empty() && expected);
        } else {
            assert!(!ours.is_empty(), "{policy:?}");
            assert_eq!(expected, fips_mode(), "{policy:?}");
        }
    }
}

/// `Merge::KeepBase` over a FIPS base: every group the base has stays the base's (the very
/// same objects), pqhkex adds only what it lacks, and a policy the base fully covers keeps
/// the configuration FIPS whatever pqhkex's backend.
#[test]
fn keep_base_keeps_the_fips_providers_groups() {
    static COVERED: &[&Group] = &[
        &groups::X25519MLKEM768,
        &groups::SECP256R1MLKEM768,
        &groups::MLKEM768,
        &groups::MLKEM1024,
    ];
    let base = fips_base(&fips_all_groups());
    let theirs = base.kx_groups.clone();
    let is_theirs = |g: &&dyn SupportedKxGroup| theirs.iter().any(|t| std::ptr::addr_eq(*t, *g));

    let p = add_post_quantum_with(base.clone(), Policy::Custom(COVERED), Merge::KeepBase);
    assert_eq!(codes(&p)[..4], [0x11ec, 0x11eb, 0x0201, 0x0202]);
    assert!(p.kx_groups.iter().all(&is_theirs));
    assert!(fips_client(p).fips());
    // The same policy with pqhkex's implementations is FIPS only in aws-lc's FIPS module.
    let replaced = add_post_quantum_with(base.clone(), Policy::Custom(COVERED), Merge::ReplaceBase);
    assert!(replaced.kx_groups[..4]
        .iter()
        .all(|g| pq::is_pqhkex_group(*g)));
    assert_eq!(
        fips_client(replaced).fips(),
        COVERED.iter().all(|g| pq::is_fips(g))
    );

    // PreferPostQuantum: the base lacks SecP384r1MLKEM1024 only; pqhkex adds it.
    let p = add_post_quantum_with(base, Policy::PreferPostQuantum, Merge::KeepBase);
    assert_eq!(
        codes(&p),
        [0x11ec, 0x11eb, 0x11ed, 0x0017, 0x0018, 0x0201, 0x0202]
    );
    for g in &p.kx_groups {
        assert_eq!(
            pq::is_pqhkex_group(*g),
            code(*g) == 0x11ed,
            "0x{:04x}",
            code(*g)
        );
        assert_eq!(is_theirs(g), code(*g) != 0x11ed, "0x{:04x}", code(*g));
    }
    let expected = pq::is_fips(&groups::SECP384R1MLKEM1024);
    assert_eq!(fips_client(p.clone()).fips(), expected);
    // What the documentation tells a FIPS user to do when pqhkex's groups are not FIPS.
    let mut strict = p;
    strict.kx_groups.retain(|g| g.fips());
    assert!(fips_client(strict.clone()).fips());
    assert_eq!(strict.kx_groups.len(), if expected { 7 } else { 6 });
}

/// pqhkex adds, under KeepBase too, the groups aws-lc-rs has no implementation of.
#[test]
fn keep_base_adds_what_aws_lc_rs_lacks() {
    #[cfg(feature = "legacy-kyber")]
    static LACKING: &[&Group] = &[
        &groups::SECP384R1MLKEM1024,
        &groups::MLKEM512,
        &groups::X25519KYBER768DRAFT00,
    ];
    #[cfg(not(feature = "legacy-kyber"))]
    static LACKING: &[&Group] = &[&groups::SECP384R1MLKEM1024, &groups::MLKEM512];
    let base = aws_with(aws_lc_rs::ALL_KX_GROUPS.to_vec());
    let p = add_post_quantum_with(base, Policy::Custom(LACKING), Merge::KeepBase);
    for (g, kx) in LACKING.iter().zip(&p.kx_groups) {
        assert_eq!(code(*kx), g.code);
        assert!(pq::is_pqhkex_group(*kx), "{g}");
    }
}

// ---------------------------------------------------------------------------------------
// Share reuse.
// ---------------------------------------------------------------------------------------

/// The first flight of a client over `provider`: its key shares.
fn first_shares(provider: CryptoProvider) -> Vec<(u16, Vec<u8>)> {
    let mut conn = client_conn(client_config(provider));
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    key_shares(&parse_hello(&hello))
}

/// The classical part of a hybrid share, where the table puts it.
fn classical_part<'s>(group: &Group, share: &'s [u8]) -> &'s [u8] {
    let (index, alg) = group.classical_component().unwrap();
    let start: usize = group.components[..index]
        .iter()
        .map(|a| a.public_len())
        .sum();
    &share[start..start + alg.public_len()]
}

/// KeepBase over aws-lc-rs keeps its X25519MLKEM768 and X25519, so the client sends one
/// X25519 key pair from aws-lc-rs inside the hybrid and as the stand-alone share, and a
/// classical server completes it without a HelloRetryRequest.
#[test]
fn keep_base_keeps_aws_lc_rs_share_reuse() {
    // Its default groups as listed (a `fips` build of rustls filters X25519 out of
    // `default_provider()`).
    let base = aws_with(aws_lc_rs::DEFAULT_KX_GROUPS.to_vec());
    let p = add_post_quantum_with(base, Policy::PreferPostQuantum, Merge::KeepBase);
    // aws-lc-rs's own objects (rustls's statics are not address-stable enough to compare:
    // the base holds nothing else that is not pqhkex's).
    assert!(!pq::is_pqhkex_group(p.kx_groups[0]));
    let x25519 = p.kx_groups.iter().find(|g| code(**g) == 0x001d).unwrap();
    assert!(!pq::is_pqhkex_group(*x25519));
    assert_eq!(format!("{x25519:?}"), format!("{:?}", aws::X25519));

    let shares = first_shares(p.clone());
    assert_eq!(shares.len(), 2, "hybrid and reused X25519 shares");
    assert_eq!((shares[0].0, shares[1].0), (0x11ec, 0x001d));
    assert_eq!(
        classical_part(&groups::X25519MLKEM768, &shares[0].1),
        &shares[1].1[..]
    );

    // A classical X25519 server: completed from the reused share, by aws-lc-rs.
    let mut out = handshake(
        client_config(p.clone()),
        server_config(ring_with(vec![pq::X25519])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.client.handshake_kind(), Some(HandshakeKind::Full));
    let report = pqhkex::ConnectionReport::from_connection(&out.client);
    assert_eq!(report.group_code, Some(0x001d));
    assert_eq!(report.pqhkex_implementation, Some(false));
    exchange_data(&mut out);
    // A pqhkex X25519MLKEM768 server: the hybrid interoperates.
    let mut out = handshake(
        client_config(p),
        server_config(ring_with(vec![pq::X25519MLKEM768])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.client), Some(0x11ec));
    exchange_data(&mut out);
}

/// KeepBase over aws-lc-rs's SecP256r1MLKEM768: its own hybrid, ECDH first, reuses the
/// P-256 share too.
#[test]
fn keep_base_keeps_aws_lc_rs_secp256r1mlkem768_reuse() {
    static LIST: &[&Group] = &[&groups::SECP256R1MLKEM768, &groups::SECP256R1];
    let base = aws_with(aws_lc_rs::ALL_KX_GROUPS.to_vec());
    let p = add_post_quantum_with(base, Policy::Custom(LIST), Merge::KeepBase);
    assert_eq!(codes(&p), [0x11eb, 0x0017]);
    assert!(p.kx_groups.iter().all(|g| !pq::is_pqhkex_group(*g)));
    let shares = first_shares(p.clone());
    assert_eq!(shares.len(), 2);
    assert_eq!((shares[0].0, shares[1].0), (0x11eb, 0x0017));
    assert_eq!(
        classical_part(&groups::SECP256R1MLKEM768, &shares[0].1),
        &shares[1].1[..]
    );
    let out = handshake(
        client_config(p),
        server_config(ring_with(vec![pq::SECP256R1])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.client.handshake_kind(), Some(HandshakeKind::Full));
    assert_eq!(
        pqhkex::ConnectionReport::from_connection(&out.client).pqhkex_implementation,
        Some(false)
    );
}

/// When the hybrid in front is pqhkex's (the base lacks it), its classical share is reused
/// too, and the stand-alone classical group is pqhkex's, so that the report names the code
/// that completed it.
#[test]
fn pqhkex_hybrids_still_reuse_their_classical_share() {
    static X: &[&Group] = &[&groups::X25519MLKEM768, &groups::X25519];
    static P256: &[&Group] = &[&groups::SECP256R1MLKEM768, &groups::SECP256R1];
    static P384: &[&Group] = &[&groups::SECP384R1MLKEM1024, &groups::SECP384R1];
    let cases: [(&[&Group], CryptoProvider); 4] = [
        (X, rustls::crypto::ring::default_provider()),
        (P256, rustls::crypto::ring::default_provider()),
        (P384, rustls::crypto::ring::default_provider()),
        // aws-lc-rs has no SecP384r1MLKEM1024: pqhkex's, in front of aws-lc-rs's P-384.
        (P384, aws_with(aws_lc_rs::ALL_KX_GROUPS.to_vec())),
    ];
    for (list, base) in cases {
        let (hybrid, classical) = (list[0], list[1]);
        for merge in [Merge::KeepBase, Merge::ReplaceBase] {
            let p = add_post_quantum_with(base.clone(), Policy::Custom(list), merge);
            assert_eq!(
                codes(&p),
                [hybrid.code, classical.code],
                "{hybrid} {merge:?}"
            );
            assert!(pq::is_pqhkex_group(p.kx_groups[0]));
            assert!(
                pq::is_pqhkex_group(p.kx_groups[1]),
                "{classical}: reused, so pqhkex's"
            );
            let shares = first_shares(p.clone());
            assert_eq!(shares.len(), 2, "{hybrid} {merge:?}");
            assert_eq!((shares[0].0, shares[1].0), (hybrid.code, classical.code));
            assert_eq!(
                classical_part(hybrid, &shares[0].1),
                &shares[1].1[..],
                "{hybrid}"
            );
            let out = handshake(
                client_config(p.clone()),
                server_config(ring_with(vec![pq::kx_group(classical)])),
            );
            assert!(out.error.is_none(), "{hybrid}: {:?}", out.error);
            assert_eq!(
                out.client.handshake_kind(),
                Some(HandshakeKind::Full),
                "{hybrid}"
            );
            let report = pqhkex::ConnectionReport::from_connection(&out.client);
            assert_eq!(report.group_code, Some(classical.code));
            assert_eq!(report.pqhkex_implementation, Some(true));
            let out = handshake(
                client_config(p),
                server_config(aws_with(vec![pq::kx_group(hybrid)])),
            );
            assert!(out.error.is_none(), "{hybrid}: {:?}", out.error);
            assert_eq!(negotiated(&out.client), Some(hybrid.code));
        }
    }
}

/// Over the FIPS stand-in (no X25519, as in rustls's FIPS provider) KeepBase keeps its
/// X25519MLKEM768: one key share, no stand-alone X25519 to reuse it for, and a FIPS
/// connection when the server agrees on it.
#[test]
fn keep_base_over_a_fips_base_handshakes_as_fips() {
    let p = add_post_quantum_with(
        fips_base(&fips_default_groups()),
        Policy::RequireHybrid,
        Merge::KeepBase,
    );
    assert_eq!(codes(&p)[..3], [0x11ec, 0x11eb, 0x11ed]);
    assert!(!pq::is_pqhkex_group(p.kx_groups[0]));
    let shares = first_shares(p.clone());
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].0, 0x11ec);

    assert_eq!(fips_client(p.clone()).fips(), fips_mode());
    // Only the base's groups: a FIPS configuration, and a FIPS connection.
    let mut provider = p;
    provider.kx_groups.retain(|g| !pq::is_pqhkex_group(*g));
    let config = fips_client(provider);
    assert!(config.fips());
    let out = handshake(
        Arc::new(config),
        server_config(ring_with(vec![pq::X25519MLKEM768])),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(negotiated(&out.client), Some(0x11ec));
    match &out.client {
        rustls::Connection::Client(c) => assert!(c.fips()),
        rustls::Connection::Server(_) => unreachable!(),
    }
}

// ---------------------------------------------------------------------------------------
// rustls's own aws-lc-rs provider: FIPS exactly in aws-lc's FIPS mode (scripts/fips-test
// runs this file with aws-lc-rs's `fips` feature and `aws-lc-rs-backend`).
// ---------------------------------------------------------------------------------------

/// `scripts/fips-test` sets `PQHKEX_EXPECT_FIPS=1`: a run that was meant to be in aws-lc's
/// FIPS mode and is not must fail, not pass on the non-FIPS branches.
#[test]
fn fips_mode_is_what_the_run_expects() {
    let expected = std::env::var("PQHKEX_EXPECT_FIPS").is_ok_and(|v| v == "1");
    assert_eq!(fips_mode(), expected, "aws-lc FIPS mode");
    if expected {
        for alg in pqhkex::Algorithm::ALL
            .iter()
            .filter(|a| pqhkex::Backend::AwsLcRs.covers(**a))
        {
            assert!(
                pq::in_fips_module(*alg),
                "{alg} is not in aws-lc's FIPS module"
            );
        }
    }
}

/// Over rustls's aws-lc-rs provider (in a `fips` build, `default_fips_provider()` is that
/// provider with its non-FIPS groups filtered out), both merges give a FIPS configuration
/// in aws-lc's FIPS mode, and none outside it.
#[test]
fn rustls_aws_lc_rs_provider_with_both_merges() {
    let base = aws_lc_rs::default_provider();
    let mode = fips_mode();
    assert_eq!(fips_client(base.clone()).fips(), mode);
    for policy in [
        Policy::PreferPostQuantum,
        Policy::RequirePostQuantum,
        Policy::Cnsa2,
    ] {
        for merge in [Merge::ReplaceBase, Merge::KeepBase] {
            let p = add_post_quantum_with(base.clone(), policy, merge);
            let all_fips = p.kx_groups.iter().all(|g| g.fips());
            assert_eq!(fips_client(p).fips(), all_fips, "{policy:?} {merge:?}");
            assert_eq!(all_fips, mode, "{policy:?} {merge:?}");
        }
    }
}
