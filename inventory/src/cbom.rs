//! CycloneDX 1.6 CBOM (cryptography bill of materials) of a scan: [`build`] writes one,
//! [`merge`] adds it to a CycloneDX 1.6 document a tool already has.
//!
//! * one `cryptographic-asset` component (`assetType: algorithm`) per TLS key-exchange
//!   group observed at any endpoint, with its NIST quantum security level
//!   (`nistQuantumSecurityLevel`: the NIST PQC category, 0 for classical groups), and one
//!   per algorithm those groups are made of (a hybrid group depends on its two);
//! * per reachable endpoint, a `cryptographic-asset` component (`assetType: protocol`,
//!   TLS) whose `cryptoRefArray` lists the groups that endpoint accepted, and whose
//!   `cipherSuites` holds what the browser-like offer negotiated;
//! * per served certificate (schema version 3 scans), a `cryptographic-asset` of type
//!   `certificate` (`certificateProperties`: subject and issuer names, validity,
//!   `signatureAlgorithmRef`, `subjectPublicKeyRef`, format X.509), its public key (a
//!   `related-crypto-material` asset) and the key and signature algorithms (`algorithm`
//!   assets, `nistQuantumSecurityLevel` 0 for classical, the category for ML-DSA and
//!   SLH-DSA), listed in the endpoint's protocol asset; the TLS 1.2 cipher suites the raw
//!   probes saw are in its `cipherSuites`;
//! * per endpoint, a `service` (with its `tls://` endpoint) depending on that protocol.
//!
//! A hybrid group's `classicalSecurityLevel` is its ECDH half's (see
//! `classical_security_level`: the hedge a hybrid offers if ML-KEM falls to classical
//! cryptanalysis); ML-KEM's own strength is its `nistQuantumSecurityLevel`.
//!
//! Property names are namespaced `pqhkex:` (CycloneDX property taxonomy convention).
//!
//! ```no_run
//! # use std::sync::Arc;
//! use pqhkex_inventory::{cbom, Scanner, ScanReport, Target};
//!
//! let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?;
//! let report = ScanReport::new(scanner.scan(&[Target::parse("example.com")?]));
//! let ours = cbom::build(&report.targets, &report.timestamp);
//! let mut theirs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("inventory.cdx.json").unwrap()).unwrap();
//! cbom::merge(&mut theirs, &ours)?;
//! # Ok::<(), pqhkex_inventory::Failure>(())
//! ```

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use pqhkex::{Algorithm, Group, Kind};
use serde_json::{json, Value};

use crate::cert::{AlgorithmFamily, CertificateEntry, PublicKeyInfo, SignatureAlgorithmInfo};
use crate::ssh::{HostKeyAlg, HostKeyFamily, HostKeyInfo, KexKind, KexMethod, SshReport};
use crate::{Answer, Failure, GroupKind, Status, TargetResult};

/// The facts CycloneDX asks for about one component algorithm.
struct AlgorithmFacts {
    primitive: &'static str,
    /// Object identifier (NIST CSOR for ML-KEM; the curve's OID for ECDH).
    oid: Option<&'static str>,
    curve: Option<&'static str>,
    parameter_set: Option<&'static str>,
    /// Classical security strength in bits.
    classical_bits: u32,
}

fn facts(a: Algorithm) -> AlgorithmFacts {
    let kem = |oid, set, bits| AlgorithmFacts {
        primitive: "kem",
        oid,
        curve: None,
        parameter_set: Some(set),
        classical_bits: bits,
    };
    let ecdh = |oid, curve, bits| AlgorithmFacts {
        primitive: "key-agree",
        oid: Some(oid),
        curve: Some(curve),
        parameter_set: None,
        classical_bits: bits,
    };
    match a {
        // NIST categories 1/3/5 are at least as hard as AES-128/192/256 key search.
        Algorithm::MlKem512 => kem(Some("2.16.840.1.101.3.4.4.1"), "512", 128),
        Algorithm::MlKem768 => kem(Some("2.16.840.1.101.3.4.4.2"), "768", 192),
        Algorithm::MlKem1024 => kem(Some("2.16.840.1.101.3.4.4.3"), "1024", 256),
        Algorithm::X25519 => ecdh("1.3.101.110", "Curve25519", 128),
        Algorithm::P256 => ecdh("1.2.840.10045.3.1.7", "secp256r1", 128),
        Algorithm::P384 => ecdh("1.3.132.0.34", "secp384r1", 192),
        // Round-3 Kyber768 (legacy-kyber) and anything added later.
        _ => AlgorithmFacts {
            primitive: if a.is_post_quantum() {
                "kem"
            } else {
                "key-agree"
            },
            oid: None,
            curve: None,
            parameter_set: None,
            classical_bits: match a.nist_category() {
                Some(1) => 128,
                Some(3) => 192,
                Some(5) => 256,
                _ => 0,
            },
        },
    }
}

fn algorithm_ref(a: Algorithm) -> String {
    format!("crypto/algorithm/{}", a.name())
}

fn group_ref(g: &Group) -> String {
    format!("crypto/tls-group/{}", g.name)
}

fn protocol_ref(target: &str) -> String {
    format!("crypto/protocol/tls@{target}")
}

fn ssh_protocol_ref(target: &str) -> String {
    format!("crypto/protocol/ssh@{target}")
}

fn ssh_kex_ref(name: &str) -> String {
    format!("crypto/ssh-kex/{name}")
}

fn ssh_host_key_ref(name: &str) -> String {
    format!("crypto/ssh-host-key/{name}")
}

/// Classical security in bits of an SSH key-exchange method name, where the name fixes
/// it (RFC 8731, RFC 5656, RFC 9941, RFC 10042; for the MODP groups of RFC 3526/8268, the
/// usual estimates after NIST SP 800-57 Part 1 Table 2: 2048 bits 112, 3072 128, and
/// interpolated above); `None` where it depends on a group the name does not give
/// (group exchange). A hybrid's is its classical half's, as for the TLS groups: what
/// the hedge still guarantees if the post-quantum half falls (its own strength is in
/// `nistQuantumSecurityLevel`).
fn ssh_classical_bits(name: &str) -> Option<u32> {
    let n = name.split('@').next().unwrap_or(name);
    Some(match n {
        "ecdh-sha2-nistp521" => 256,
        "curve448-sha512" => 224,
        "mlkem1024nistp384-sha384" | "ecdh-sha2-nistp384" | "diffie-hellman-group18-sha512" => 192,
        "diffie-hellman-group17-sha512" => 176,
        "diffie-hellman-group16-sha512" => 152,
        "mlkem768x25519-sha256"
        | "mlkem768nistp256-sha256"
        | "sntrup761x25519-sha512"
        | "curve25519-sha256"
        | "ecdh-sha2-nistp256"
        | "diffie-hellman-group15-sha512" => 128,
        "diffie-hellman-group14-sha256" | "diffie-hellman-group14-sha1" => 112,
        "diffie-hellman-group1-sha1" => 80,
        _ => return None,
    })
}

/// Classical security in bits of an SSH host key: of its curve (RFC 5656, RFC 8709), or
/// of an RSA or DSA modulus of `bits` (NIST SP 800-57 Part 1 Table 2: 1024 bits 80, 2048
/// 112, 3072 128, 7680 192, 15360 256); a post-quantum signature's from its NIST category
/// (categories 1-2 128, 3-4 192, 5 256); a composite's is its classical part's (as for a
/// hybrid key exchange). `None` where neither the name nor the key gives a size.
fn ssh_host_key_classical_bits(
    family: HostKeyFamily,
    curve: Option<&str>,
    bits: Option<u32>,
    nist_category: Option<u8>,
) -> Option<u32> {
    let of_curve = |c: Option<&str>| match c? {
        "nistp256" | "ed25519" => Some(128),
        "nistp384" => Some(192),
        "ed448" => Some(224),
        "nistp521" => Some(256),
        _ => None,
    };
    match family {
        HostKeyFamily::Ecdsa | HostKeyFamily::EdDsa | HostKeyFamily::Composite => of_curve(curve),
        HostKeyFamily::Rsa | HostKeyFamily::Dsa => {
            let b = bits?;
            [
                (15360, 256),
                (7680, 192),
                (3072, 128),
                (2048, 112),
                (1024, 80),
            ]
            .iter()
            .find(|(modulus, _)| b >= *modulus)
            .map(|(_, level)| *level)
        }
        HostKeyFamily::PostQuantum => match nist_category? {
            1 | 2 => Some(128),
            3 | 4 => Some(192),
            5 => Some(256),
            _ => None,
        },
        _ => None,
    }
}

/// CycloneDX's name of an SSH curve (the names of https://neuromancer.sk/std/, as the
/// TLS assets use).
fn ssh_cyclonedx_curve(curve: &str) -> Option<&'static str> {
    Some(match curve {
        "nistp256" => "secp256r1",
        "nistp384" => "secp384r1",
        "nistp521" => "secp521r1",
        "ed25519" => "Ed25519",
        "ed448" => "Ed448",
        _ => return None,
    })
}

/// An SSH key-exchange method as a `cryptographic-asset` (`None` for pseudo-methods).
fn ssh_kex_component(m: &KexMethod) -> Option<Value> {
    let (primitive, functions): (&str, &[&str]) = match m.kind {
        KexKind::MlkemHybrid | KexKind::PqHybrid => {
            ("combiner", &["keygen", "encapsulate", "decapsulate"])
        }
        KexKind::Classical => ("key-agree", &["keygen", "keyderive"]),
        _ => return None,
    };
    let mut props = json!({
        "primitive": primitive,
        "executionEnvironment": "unknown",
        "implementationPlatform": "unknown",
        "cryptoFunctions": functions,
    });
    if let Some(bits) = ssh_classical_bits(&m.name) {
        props["classicalSecurityLevel"] = json!(bits);
    }
    // 0 for classical methods; a post-quantum one without a NIST category (sntrup761)
    // gets none rather than a made-up one.
    match (m.post_quantum, m.nist_category) {
        (_, Some(c)) => props["nistQuantumSecurityLevel"] = json!(c),
        (false, None) => props["nistQuantumSecurityLevel"] = json!(0),
        (true, None) => {}
    }
    Some(json!({
        "type": "cryptographic-asset",
        "bom-ref": ssh_kex_ref(&m.name),
        "name": m.name,
        "description": format!("SSH key exchange {} ({})", m.name, if m.post_quantum { "post-quantum hybrid" } else { "classical, not quantum-safe" }),
        "cryptoProperties": { "assetType": "algorithm", "algorithmProperties": props },
        "properties": [prop("quantum-safe", m.post_quantum)],
    }))
}

/// An SSH host-key algorithm as a `cryptographic-asset`: its curve, classical level,
/// NIST quantum level (0 for a quantum-vulnerable one; the category of a post-quantum or
/// composite one, where NIST defines one; none for an unknown name) and post-quantum
/// parameter set, and as properties its family, quantum vulnerability and key size.
fn ssh_host_key_component(h: &HostKeyAlg) -> Value {
    let mut props = json!({
        "primitive": "signature",
        "executionEnvironment": "unknown",
        "implementationPlatform": "unknown",
        "cryptoFunctions": ["sign", "verify"],
    });
    if let Some(curve) = h.curve.as_deref().and_then(ssh_cyclonedx_curve) {
        props["curve"] = json!(curve);
    }
    // CycloneDX: "65" of ML-DSA-65, "SHA2-128s" of SLH-DSA-SHA2-128s; an RSA key length.
    let parameter_set = match (&h.parameter_set, h.family) {
        (Some(set), _) => Some(
            [
                "ML-DSA-",
                "SLH-DSA-",
                "SPHINCS+-",
                "Falcon-",
                "FN-DSA-",
                "Dilithium",
            ]
            .iter()
            .find_map(|p| set.strip_prefix(p))
            .unwrap_or(set)
            .to_owned(),
        ),
        (None, HostKeyFamily::Rsa) => h.bits.map(|b| b.to_string()),
        _ => None,
    };
    if let Some(set) = parameter_set.filter(|s| !s.is_empty()) {
        props["parameterSetIdentifier"] = json!(set);
    }
    if let Some(bits) =
        ssh_host_key_classical_bits(h.family, h.curve.as_deref(), h.bits, h.nist_category)
    {
        props["classicalSecurityLevel"] = json!(bits);
    }
    match (h.quantum_vulnerable, h.nist_category) {
        (crate::Answer::Yes, _) => props["nistQuantumSecurityLevel"] = json!(0),
        (crate::Answer::No, Some(c)) => props["nistQuantumSecurityLevel"] = json!(c),
        _ => {}
    }
    let mut crypto = json!({ "assetType": "algorithm", "algorithmProperties": props });
    // FIPS 204 (NIST CSOR id-ml-dsa-*) and RFC 8410 (id-Ed25519, id-Ed448); not for a
    // security key, whose signature covers FIDO data rather than the message alone.
    let oid = match (h.family, h.parameter_set.as_deref(), h.curve.as_deref()) {
        _ if h.security_key => None,
        (HostKeyFamily::PostQuantum, Some("ML-DSA-44"), _) => Some("2.16.840.1.101.3.4.3.17"),
        (HostKeyFamily::PostQuantum, Some("ML-DSA-65"), _) => Some("2.16.840.1.101.3.4.3.18"),
        (HostKeyFamily::PostQuantum, Some("ML-DSA-87"), _) => Some("2.16.840.1.101.3.4.3.19"),
        (HostKeyFamily::EdDsa, _, Some("ed25519")) => Some("1.3.101.112"),
        (HostKeyFamily::EdDsa, _, Some("ed448")) => Some("1.3.101.113"),
        _ => None,
    };
    if let Some(oid) = oid {
        crypto["oid"] = json!(oid);
    }
    let kind = match h.family {
        HostKeyFamily::PostQuantum => "post-quantum",
        HostKeyFamily::Composite => "composite: post-quantum and classical",
        HostKeyFamily::Unknown => "unknown to pqhkex, quantum safety undetermined",
        _ => "classical, not quantum-safe",
    };
    let mut properties = vec![
        prop("quantum-safe", h.post_quantum),
        prop("family", h.family),
        prop("quantum-vulnerable", h.quantum_vulnerable),
    ];
    if let Some(bits) = h.bits {
        properties.push(prop("key-bits", bits));
    }
    if let Some(set) = &h.parameter_set {
        properties.push(prop("parameter-set", set));
    }
    if h.certificate {
        properties.push(prop("certificate", true));
    }
    if h.security_key {
        properties.push(prop("security-key", true));
    }
    json!({
        "type": "cryptographic-asset",
        "bom-ref": ssh_host_key_ref(&h.name),
        "name": h.name,
        "description": format!(
            "SSH host-key signature {} ({kind}: the authentication half of the migration)",
            h.name,
        ),
        "cryptoProperties": crypto,
        "properties": properties,
    })
}

/// The host key an SSH endpoint presented, as a `related-crypto-material` public key
/// (its size in bits, its SHA-256 fingerprint as `id`), nested in the endpoint's
/// protocol asset; `algorithmRef` names the host-key algorithm asset when the endpoint
/// lists that algorithm.
fn ssh_presented_key_component(
    key: &str,
    r: &TargetResult,
    s: &SshReport,
    k: &HostKeyInfo,
) -> Value {
    let mut material = json!({ "type": "public-key", "id": k.fingerprint });
    if s.host_key_algorithms.iter().any(|h| h.name == k.algorithm) {
        material["algorithmRef"] = json!(ssh_host_key_ref(&k.algorithm));
    }
    if let Some(bits) = k.bits {
        material["size"] = json!(bits);
    }
    let mut properties = vec![
        prop("host-key-algorithm", &k.algorithm),
        prop("family", k.family),
        prop("quantum-vulnerable", k.quantum_vulnerable),
        prop("key-exchange", &k.key_exchange),
        prop("signature-verified", k.signature_verified),
    ];
    if let Some(t) = &k.key_type {
        properties.push(prop("key-type", t));
    }
    if let Some(c) = &k.curve {
        properties.push(prop("curve", c));
    }
    json!({
        "type": "cryptographic-asset",
        "bom-ref": format!("crypto/ssh-host-public-key@{key}"),
        "name": format!("SSH host key of {}", r.target),
        "description": format!(
            "The {} host key {} presented ({})",
            k.key_type.as_deref().unwrap_or(&k.algorithm),
            r.target,
            k.fingerprint
        ),
        "cryptoProperties": {
            "assetType": "related-crypto-material",
            "relatedCryptoMaterialProperties": material,
        },
        "properties": properties,
    })
}

/// The SSH `protocol` asset of one endpoint and the references it depends on; the host
/// key it presented is nested in it (see [`ssh_presented_key_component`]).
fn ssh_protocol_component(r: &TargetResult, key: &str, s: &SshReport) -> (Value, Vec<String>) {
    let refs: Vec<String> = s
        .kex_algorithms
        .iter()
        .filter(|m| {
            matches!(
                m.kind,
                KexKind::MlkemHybrid | KexKind::PqHybrid | KexKind::Classical
            )
        })
        .map(|m| ssh_kex_ref(&m.name))
        .chain(
            s.host_key_algorithms
                .iter()
                .map(|h| ssh_host_key_ref(&h.name)),
        )
        .collect();
    let mut props = vec![
        prop("endpoint", &r.target),
        prop("classification", r.classification.as_str()),
        prop("ssh-software", &s.software),
        prop(
            "pq-verification",
            serde_json::to_value(s.verification.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        ),
        prop("quantum-safe-by-default", r.quantum_safe_by_default),
    ];
    if let Some(c) = &s.openssh10_client_choice {
        props.push(prop("openssh10-client-choice", c));
    }
    if let Some(k) = &s.host_key {
        props.push(prop("host-key-sha256", &k.fingerprint));
        if let Some(bits) = k.bits {
            props.push(prop("host-key-bits", bits));
        }
    }
    let mut component = json!({
        "type": "cryptographic-asset",
        "bom-ref": ssh_protocol_ref(key),
        "name": format!("SSH at {}", r.target),
        "cryptoProperties": {
            "assetType": "protocol",
            "protocolProperties": { "type": "ssh", "version": "2.0", "cryptoRefArray": refs },
        },
        "properties": props,
    });
    if let Some(k) = &s.host_key {
        component["components"] = json!([ssh_presented_key_component(key, r, s, k)]);
    }
    (component, refs)
}

fn service_ref(target: &str) -> String {
    format!("service/{target}")
}

fn prop(name: &str, value: impl ToString) -> Value {
    json!({ "name": format!("pqhkex:{name}"), "value": value.to_string() })
}

fn algorithm_component(a: Algorithm) -> Value {
    let f = facts(a);
    let functions: &[&str] = if f.primitive == "kem" {
        &["keygen", "encapsulate", "decapsulate"]
    } else {
        &["keygen", "keyderive"]
    };
    let mut props = json!({
        "primitive": f.primitive,
        "executionEnvironment": "unknown",
        "implementationPlatform": "unknown",
        "cryptoFunctions": functions,
        "classicalSecurityLevel": f.classical_bits,
        "nistQuantumSecurityLevel": a.nist_category().unwrap_or(0),
    });
    if let Some(set) = f.parameter_set {
        props["parameterSetIdentifier"] = json!(set);
    }
    if let Some(curve) = f.curve {
        props["curve"] = json!(curve);
    }
    let mut crypto = json!({ "assetType": "algorithm", "algorithmProperties": props });
    if let Some(oid) = f.oid {
        crypto["oid"] = json!(oid);
    }
    json!({
        "type": "cryptographic-asset",
        "bom-ref": algorithm_ref(a),
        "name": a.name(),
        "description": format!("{} ({})", a.name(), if a.is_post_quantum() { "post-quantum" } else { "classical, not quantum-safe" }),
        "cryptoProperties": crypto,
    })
}

/// The `classicalSecurityLevel` of a TLS group, in bits.
///
/// For a hybrid this is the level of its classical (ECDH) component: 128 for
/// X25519MLKEM768 and SecP256r1MLKEM768, 192 for SecP384r1MLKEM1024. A hybrid exists
/// as a hedge against the new KEM falling to classical cryptanalysis
/// (draft-ietf-tls-hybrid-design §1.2: secure as long as one component is); what it
/// still guarantees in that case is the ECDH half's strength, and ML-KEM's own
/// strength is already given by `nistQuantumSecurityLevel`. Counting ML-KEM-768's
/// category-3 strength here (192, what version 2 of this CBOM said) would claim more
/// than the hedge delivers. A pure ML-KEM group has no such hedge: its level is the
/// KEM's (NIST categories 1/3/5 are at least as hard to break as AES-128/192/256 key
/// search). Classical groups: the curve's.
fn classical_security_level(g: &Group) -> u32 {
    let classical: Vec<u32> = g
        .components
        .iter()
        .filter(|a| !a.is_post_quantum())
        .map(|a| facts(*a).classical_bits)
        .collect();
    match classical.iter().min() {
        Some(bits) => *bits,
        None => g
            .components
            .iter()
            .map(|a| facts(*a).classical_bits)
            .min()
            .unwrap_or(0),
    }
}

fn group_component(g: &Group) -> Value {
    let (primitive, functions): (&str, &[&str]) = match g.kind() {
        Kind::Hybrid => ("combiner", &["keygen", "encapsulate", "decapsulate"]),
        Kind::PostQuantum => ("kem", &["keygen", "encapsulate", "decapsulate"]),
        _ => ("key-agree", &["keygen", "keyderive"]),
    };
    let classical_bits = classical_security_level(g);
    json!({
        "type": "cryptographic-asset",
        "bom-ref": group_ref(g),
        "name": g.name,
        "description": format!(
            "TLS key-exchange group {} (0x{:04x}): {}; {}",
            g.name,
            g.code,
            g.components.iter().map(|a| a.name()).collect::<Vec<_>>().join(" + "),
            g.spec
        ),
        "cryptoProperties": {
            "assetType": "algorithm",
            "algorithmProperties": {
                "primitive": primitive,
                "executionEnvironment": "unknown",
                "implementationPlatform": "unknown",
                "cryptoFunctions": functions,
                "classicalSecurityLevel": classical_bits,
                "nistQuantumSecurityLevel": g.nist_category().unwrap_or(0),
            },
        },
        "properties": [
            prop("tls-codepoint", format!("0x{:04x}", g.code)),
            prop("quantum-safe", g.is_post_quantum()),
            prop("kind", GroupKind::of(g)),
            prop("client-share-bytes", g.client_share_len()),
            prop("server-share-bytes", g.server_share_len()),
        ],
    })
}

fn protocol_component(r: &TargetResult, key: &str, groups: &[&'static Group]) -> Value {
    let default = r.default_offer.as_ref();
    let version = default
        .and_then(|d| d.protocol_version())
        .or_else(|| r.groups.iter().find_map(|p| p.probe.protocol_version()));
    let mut refs: Vec<String> = groups.iter().map(|g| group_ref(g)).collect();
    for c in &r.certificate_chain {
        let cr = certificate_ref(c);
        if !refs.contains(&cr) {
            refs.push(cr);
        }
    }
    let mut protocol = json!({
        "type": "tls",
        "cryptoRefArray": refs,
    });
    if let Some(v) = version {
        protocol["version"] = json!(match v {
            rustls::ProtocolVersion::TLSv1_3 => "1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "1.2".to_string(),
            other => format!("{other:?}"),
        });
    }
    let mut suites: Vec<Value> = Vec::new();
    if let Some(suite) = default.and_then(|d| d.cipher_suite_id()) {
        let [hi, lo] = u16::from(suite).to_be_bytes();
        suites.push(json!({
            "name": crate::probe::suite_name(suite),
            "algorithms": default.and_then(|d| d.negotiated_group()).map(|g| vec![group_ref(g)]).unwrap_or_default(),
            "identifiers": [format!("0x{hi:02X}"), format!("0x{lo:02X}")],
        }));
    }
    // The TLS 1.2 (and older) suites the raw probes saw the server choose.
    if let Some(l) = &r.legacy {
        let seen = l
            .rsa_key_transport_suites
            .iter()
            .chain(l.key_exchanges.iter().flat_map(|k| k.suites.iter()));
        for name in seen {
            if suites.iter().any(|s| s["name"] == json!(name)) {
                continue;
            }
            let mut suite = json!({ "name": name });
            if let Some(s) = crate::hello::SUITES.iter().find(|s| s.name == name) {
                let [hi, lo] = s.code.to_be_bytes();
                suite["identifiers"] = json!([format!("0x{hi:02X}"), format!("0x{lo:02X}")]);
            }
            suites.push(suite);
        }
    }
    if !suites.is_empty() {
        protocol["cipherSuites"] = json!(suites);
    }
    let mut props = vec![
        prop("endpoint", &r.target),
        prop("classification", r.classification.as_str()),
        prop("quantum-safe-by-default", r.quantum_safe_by_default),
    ];
    if let Some(g) = default.and_then(|d| d.group.as_ref()) {
        props.push(prop("browser-offer-group", g));
    }
    if let Some(p) = r.pq_posture {
        props.push(prop("pq-posture", p.as_str()));
    }
    if let Some(a) = &r.authentication {
        props.push(prop("authentication", a.class.as_str()));
        props.push(prop("ml-dsa-when-asked", a.ml_dsa_when_asked));
    }
    if let Some(l) = &r.legacy {
        props.push(prop("rsa-key-transport", l.rsa_key_transport));
    }
    if let Some(split) = &r.client_hello_split {
        props.push(prop(
            "split-client-hello",
            if split.passed { "passed" } else { "failed" },
        ));
    }
    for p in &r.groups {
        props.push(prop(
            &format!("probe:{}", p.name),
            serde_json::to_value(p.probe.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        ));
    }
    json!({
        "type": "cryptographic-asset",
        "bom-ref": protocol_ref(key),
        "name": format!("TLS at {}", r.target),
        "cryptoProperties": { "assetType": "protocol", "protocolProperties": protocol },
        "properties": props,
    })
}

/// The reference of a served certificate: issuer and serial identify it (RFC 5280
/// §4.1.2.2), wherever it is served.
fn certificate_ref(c: &CertificateEntry) -> String {
    format!(
        "crypto/certificate/{}#{}",
        c.issuer.as_deref().unwrap_or("unparsed"),
        c.serial.as_deref().unwrap_or("unparsed")
    )
}

fn public_key_ref(c: &CertificateEntry) -> String {
    format!(
        "crypto/public-key/{}",
        &certificate_ref(c)["crypto/certificate/".len()..]
    )
}

fn key_algorithm_ref(k: &PublicKeyInfo) -> String {
    format!("crypto/public-key-algorithm/{}", k.label())
}

fn signature_algorithm_ref(s: &SignatureAlgorithmInfo) -> String {
    format!("crypto/signature-algorithm/{}", s.name)
}

/// Classical security in bits of a certificate key, where it is known: RSA after NIST
/// SP 800-57 Part 1 Table 2 (1024 bits: 80, 2048: 112, 3072: 128, 7680: 192, 15360:
/// 256), the curve's for EC and EdDSA, the category's for ML-DSA and SLH-DSA.
fn key_classical_bits(k: &PublicKeyInfo) -> Option<u32> {
    match k.family {
        AlgorithmFamily::Rsa | AlgorithmFamily::RsaPss | AlgorithmFamily::Dsa => {
            let b = k.bits?;
            Some(match b {
                15360.. => 256,
                7680.. => 192,
                3072.. => 128,
                2048.. => 112,
                1024.. => 80,
                _ => 0,
            })
        }
        AlgorithmFamily::Ec => match k.curve.as_deref()? {
            "P-256" | "secp256k1" | "brainpoolP256r1" => Some(128),
            "P-384" | "brainpoolP384r1" => Some(192),
            "P-521" | "brainpoolP512r1" => Some(256),
            _ => None,
        },
        AlgorithmFamily::Eddsa => match k.algorithm.as_str() {
            "Ed25519" => Some(128),
            "Ed448" => Some(224),
            _ => None,
        },
        AlgorithmFamily::MlDsa | AlgorithmFamily::SlhDsa | AlgorithmFamily::Composite => {
            match k.nist_category? {
                1 | 2 => Some(128),
                3 | 4 => Some(192),
                _ => Some(256),
            }
        }
        _ => None,
    }
}

/// An algorithm asset for a certificate key or signature algorithm:
/// `nistQuantumSecurityLevel` 0 for classical algorithms, the category for ML-DSA and
/// SLH-DSA.
fn signature_algorithm_component(
    bom_ref: String,
    name: String,
    oid: &str,
    quantum: Option<u8>,
    vulnerable: Answer,
    extra: &[(&str, Value)],
    classical_bits: Option<u32>,
) -> Value {
    let mut props = json!({
        "primitive": "signature",
        "executionEnvironment": "unknown",
        "implementationPlatform": "unknown",
        "cryptoFunctions": ["sign", "verify"],
        "nistQuantumSecurityLevel": quantum.unwrap_or(0),
    });
    for (k, v) in extra {
        props[*k] = v.clone();
    }
    if let Some(bits) = classical_bits {
        props["classicalSecurityLevel"] = json!(bits);
    }
    let mut crypto = json!({ "assetType": "algorithm", "algorithmProperties": props });
    if oid
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        crypto["oid"] = json!(oid);
    }
    json!({
        "type": "cryptographic-asset",
        "bom-ref": bom_ref,
        "name": name,
        "cryptoProperties": crypto,
        "properties": [prop("quantum-vulnerable", vulnerable)],
    })
}

/// The components of one served certificate: the certificate, its public key, the
/// key's algorithm and the signature algorithm, with their dependencies.
fn certificate_components(c: &CertificateEntry) -> (Vec<Value>, Vec<Value>) {
    let k = &c.public_key;
    let sig = &c.signature_algorithm;
    let mut key_extra: Vec<(&str, Value)> = Vec::new();
    if let Some(curve) = &k.curve {
        key_extra.push(("curve", json!(curve)));
    }
    if let Some(bits) = k.bits {
        key_extra.push(("parameterSetIdentifier", json!(bits.to_string())));
    } else if let Some(set) = k.algorithm.strip_prefix("ML-DSA-") {
        key_extra.push(("parameterSetIdentifier", json!(set)));
    }
    let key_alg = signature_algorithm_component(
        key_algorithm_ref(k),
        k.label(),
        &k.oid,
        k.nist_category,
        k.quantum_vulnerable,
        &key_extra,
        key_classical_bits(k),
    );
    let sig_classical = match sig.family {
        AlgorithmFamily::MlDsa | AlgorithmFamily::SlhDsa => sig.nist_category.map(|c| match c {
            1 | 2 => 128,
            3 | 4 => 192,
            _ => 256,
        }),
        _ => None,
    };
    let sig_alg = signature_algorithm_component(
        signature_algorithm_ref(sig),
        sig.name.clone(),
        &sig.oid,
        sig.nist_category,
        sig.quantum_vulnerable,
        &[],
        sig_classical,
    );
    let mut material = json!({ "type": "public-key", "algorithmRef": key_algorithm_ref(k) });
    if let Some(bits) = k.bits {
        material["size"] = json!(bits);
    }
    let public_key = json!({
        "type": "cryptographic-asset",
        "bom-ref": public_key_ref(c),
        "name": format!("{} public key of {}", k.label(), c.subject.as_deref().unwrap_or("an unparsed certificate")),
        "cryptoProperties": { "assetType": "related-crypto-material", "relatedCryptoMaterialProperties": material },
    });
    let mut cert = json!({
        "signatureAlgorithmRef": signature_algorithm_ref(sig),
        "subjectPublicKeyRef": public_key_ref(c),
        "certificateFormat": "X.509",
    });
    for (field, value) in [
        ("subjectName", &c.subject),
        ("issuerName", &c.issuer),
        ("notValidBefore", &c.not_before),
        ("notValidAfter", &c.not_after),
    ] {
        if let Some(v) = value {
            cert[field] = json!(v);
        }
    }
    let mut props = vec![
        prop("quantum-vulnerable", c.quantum_vulnerable),
        prop("der-bytes", c.der_len),
    ];
    if let Some(serial) = &c.serial {
        props.push(prop("serial", serial));
    }
    if let Some(e) = &c.parse_error {
        props.push(prop("parse-error", e));
    }
    let certificate = json!({
        "type": "cryptographic-asset",
        "bom-ref": certificate_ref(c),
        "name": c.subject.clone().unwrap_or_else(|| "unparsed certificate".into()),
        "cryptoProperties": { "assetType": "certificate", "certificateProperties": cert },
        "properties": props,
    });
    let deps = vec![
        json!({ "ref": certificate_ref(c), "dependsOn": [signature_algorithm_ref(sig), public_key_ref(c)] }),
        json!({ "ref": public_key_ref(c), "dependsOn": [key_algorithm_ref(k)] }),
    ];
    (vec![certificate, public_key, key_alg, sig_alg], deps)
}

/// A version-4 UUID from the OS RNG (RFC 9562 §5.4).
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // No RNG: derive from the clock instead; uniqueness, not secrecy, is needed.
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b = t.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// RFC 3339 UTC timestamp, e.g. `2026-11-27T11:35:28Z` (what [`ScanReport`](crate::ScanReport)
/// and the CBOM's `metadata.timestamp` carry).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let t = UNIX_EPOCH + Duration::from_secs(951_827_696);
/// assert_eq!(pqhkex_inventory::cbom::utc_timestamp(t), "2000-02-29T12:34:56Z");
/// ```
pub fn utc_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year; a 400-year
    // era has 146097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of (March-based) year
    let mp = (5 * doy + 2) / 153; // March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// The CBOM of a scan, as a CycloneDX 1.6 JSON document; `timestamp` goes into
/// `metadata.timestamp` (use the report's).
///
/// ```
/// use pqhkex_inventory::{cbom, Failure, TargetResult};
///
/// let down = TargetResult::unreachable("db.internal:443", None, &Failure::Unreachable("no route".into()));
/// let bom = cbom::build(&[down], "2026-12-02T00:00:00Z");
/// assert_eq!(bom["specVersion"], "1.6");
/// assert_eq!(bom["services"][0]["endpoints"][0], "tls://db.internal:443");
/// ```
pub fn build(results: &[TargetResult], timestamp: &str) -> Value {
    // Every group observed anywhere, in table order, and their algorithms.
    let mut seen: BTreeMap<usize, &'static Group> = BTreeMap::new();
    let per_target: Vec<Vec<&'static Group>> =
        results.iter().map(TargetResult::accepted_groups).collect();
    for g in per_target.iter().flatten() {
        let pos = pqhkex::groups::ALL
            .iter()
            .position(|a| a.code == g.code)
            .unwrap_or(usize::MAX);
        seen.insert(pos, g);
    }
    let mut algorithms: Vec<Algorithm> = Vec::new();
    for g in seen.values() {
        for a in g.components {
            if !algorithms.contains(a) {
                algorithms.push(*a);
            }
        }
    }

    let mut components: Vec<Value> = Vec::new();
    let mut dependencies: Vec<Value> = Vec::new();
    for g in seen.values() {
        components.push(group_component(g));
        dependencies.push(json!({
            "ref": group_ref(g),
            "dependsOn": g.components.iter().map(|a| algorithm_ref(*a)).collect::<Vec<_>>(),
        }));
    }
    for a in &algorithms {
        components.push(algorithm_component(*a));
    }
    // SSH algorithms, each once, in order of first appearance.
    let mut ssh_refs: Vec<String> = Vec::new();
    for s in results.iter().filter_map(|r| r.ssh.as_ref()) {
        let kex = s
            .kex_algorithms
            .iter()
            .filter_map(|m| Some((ssh_kex_ref(&m.name), ssh_kex_component(m)?)));
        let keys = s
            .host_key_algorithms
            .iter()
            .map(|h| (ssh_host_key_ref(&h.name), ssh_host_key_component(h)));
        for (r, c) in kex.chain(keys) {
            if !ssh_refs.contains(&r) {
                ssh_refs.push(r);
                components.push(c);
            }
        }
    }
    // Served certificates, each once (by issuer and serial), with their keys and
    // algorithms.
    let mut cert_refs: Vec<String> = Vec::new();
    for c in results.iter().flat_map(|r| r.certificate_chain.iter()) {
        let (parts, deps) = certificate_components(c);
        for part in parts {
            let r = part["bom-ref"].as_str().unwrap_or_default().to_string();
            if !cert_refs.contains(&r) {
                cert_refs.push(r);
                components.push(part);
            }
        }
        for d in deps {
            if !dependencies.iter().any(|x| x["ref"] == d["ref"]) {
                dependencies.push(d);
            }
        }
    }
    // References are per occurrence: a target listed twice is two endpoints of the
    // document (CycloneDX requires every bom-ref to be unique); the first occurrence
    // keeps the plain name, so that a rescan still replaces it in `merge`.
    let mut occurrences: BTreeMap<&str, usize> = BTreeMap::new();
    let keys: Vec<String> = results
        .iter()
        .map(|r| {
            let n = occurrences.entry(r.target.as_str()).or_default();
            *n += 1;
            if *n == 1 {
                r.target.clone()
            } else {
                format!("{}#{n}", r.target)
            }
        })
        .collect();
    let mut services = Vec::new();
    for ((r, groups), key) in results.iter().zip(&per_target).zip(&keys) {
        let reachable = r.status == Status::Ok;
        let mut props = vec![prop("classification", r.classification.as_str())];
        if let Some(e) = &r.error {
            props.push(prop("error", &e.message));
        }
        // `ssh://` and `https://` targets are URLs already; a bare HOST:PORT is TLS.
        let endpoint = if r.target.contains("://") {
            r.target.clone()
        } else {
            format!("tls://{}", r.target)
        };
        let mut service = json!({
            "bom-ref": service_ref(key),
            "name": r.target,
            "endpoints": [endpoint],
            "properties": props,
        });
        if let (true, Some(s)) = (reachable, &r.ssh) {
            let (component, refs) = ssh_protocol_component(r, key, s);
            components.push(component);
            dependencies.push(json!({ "ref": ssh_protocol_ref(key), "dependsOn": refs }));
            dependencies.push(json!({
                "ref": service_ref(key),
                "dependsOn": [ssh_protocol_ref(key)],
            }));
        } else if reachable {
            components.push(protocol_component(r, key, groups));
            let mut on: Vec<String> = groups.iter().map(|g| group_ref(g)).collect();
            for c in &r.certificate_chain {
                let cr = certificate_ref(c);
                if !on.contains(&cr) {
                    on.push(cr);
                }
            }
            dependencies.push(json!({ "ref": protocol_ref(key), "dependsOn": on }));
            dependencies.push(json!({
                "ref": service_ref(key),
                "dependsOn": [protocol_ref(key)],
            }));
        } else {
            service["description"] = json!("not scanned: unreachable");
        }
        services.push(service);
    }

    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid_v4()),
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {
                "components": [{
                    "type": "application",
                    "name": "pqhkex",
                    "version": env!("CARGO_PKG_VERSION"),
                    "description": "pqhkex scan: TLS key-exchange groups and SSH key-exchange and host-key algorithms of endpoints",
                    // What ran the scanner's own key exchanges (graviola, pure-rust,
                    // aws-lc-rs), per algorithm: the endpoints' answers do not depend on it.
                    "properties": pqhkex::Algorithm::ALL.iter().map(|a| json!({
                        "name": format!("pqhkex:backend:{a}"),
                        "value": pqhkex::Backend::for_algorithm(*a).name(),
                    })).collect::<Vec<_>>(),
                }],
            },
        },
        "components": components,
        "services": services,
        "dependencies": dependencies,
    })
}

/// Adds the CBOM `ours` (from [`build`]) to `theirs`, a CycloneDX 1.6 document another
/// tool wrote (an SBOM or CBOM of the same systems), in place.
///
/// * `components` and `services` are matched by `bom-ref`, `dependencies` by `ref`:
///   an entry of `ours` replaces the one of `theirs` with the same reference (a newer
///   scan of the same endpoint), every other entry of `theirs` is kept in its place,
///   the new ones are appended;
/// * pqhkex is added to `metadata.tools` (either form 1.6 allows) if not listed;
/// * the document's `serialNumber` and `metadata.timestamp` are kept, and `version`
///   is incremented (CycloneDX: each modification of a BOM raises its version).
///
/// Fails, leaving `theirs` unchanged, if it is not a CycloneDX document of spec version
/// 1.6 (the `cryptographic-asset` component type needs 1.6), or if one of the arrays
/// above is not an array.
///
/// ```
/// use pqhkex_inventory::{cbom, Failure, TargetResult};
/// use serde_json::json;
///
/// let mut theirs = json!({
///     "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 3,
///     "components": [{ "type": "library", "bom-ref": "pkg:cargo/rustls@0.23.35", "name": "rustls" }],
/// });
/// let down = TargetResult::unreachable("db.internal:443", None, &Failure::Unreachable("no route".into()));
/// let ours = cbom::build(&[down], "2026-12-02T00:00:00Z");
/// cbom::merge(&mut theirs, &ours)?;
/// assert_eq!(theirs["version"], 4);
/// assert_eq!(theirs["components"][0]["name"], "rustls");
/// assert_eq!(theirs["services"][0]["bom-ref"], "service/db.internal:443");
/// # Ok::<(), Failure>(())
/// ```
pub fn merge(theirs: &mut Value, ours: &Value) -> Result<(), Failure> {
    let bad = |why: &str| Failure::Other(format!("cannot merge the CBOM: {why}"));
    if theirs.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(bad("the document is not CycloneDX (bomFormat)"));
    }
    match theirs.get("specVersion").and_then(Value::as_str) {
        Some("1.6") => {}
        Some(v) => {
            return Err(bad(&format!(
                "the document is CycloneDX {v}; cryptographic assets need 1.6"
            )))
        }
        None => return Err(bad("the document has no specVersion")),
    }
    let Some(doc) = theirs.as_object() else {
        return Err(bad("the document is not a JSON object"));
    };
    for key in ["components", "services", "dependencies"] {
        if doc.get(key).is_some_and(|v| !v.is_array()) {
            return Err(bad(&format!("`{key}` is not an array")));
        }
    }
    if doc.get("metadata").is_some_and(|m| {
        !m.is_object()
            || m.get("tools")
                .is_some_and(|t| !t.is_object() && !t.is_array())
    }) {
        return Err(bad("`metadata.tools` is neither an object nor an array"));
    }
    // Checked: nothing below fails.
    for (key, id) in [
        ("components", "bom-ref"),
        ("services", "bom-ref"),
        ("dependencies", "ref"),
    ] {
        let Some(new) = ours.get(key).and_then(Value::as_array) else {
            continue;
        };
        let list = theirs
            .as_object_mut()
            .map(|o| o.entry(key).or_insert_with(|| json!([])));
        if let Some(Value::Array(list)) = list {
            merge_by(list, new, id);
        }
    }
    let our_tools: Vec<Value> = ours["metadata"]["tools"]["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(doc) = theirs.as_object_mut() {
        let metadata = doc.entry("metadata").or_insert_with(|| json!({}));
        if let Some(m) = metadata.as_object_mut() {
            let tools = m
                .entry("tools")
                .or_insert_with(|| json!({ "components": [] }));
            let list = match tools {
                // CycloneDX 1.5+: `tools` is an object with `components` and `services`.
                Value::Object(t) => t.entry("components").or_insert_with(|| json!([])),
                // The legacy array of tools (deprecated in 1.5, still valid in 1.6).
                other => other,
            };
            if let Value::Array(list) = list {
                for tool in our_tools {
                    let same =
                        |t: &Value| t["name"] == tool["name"] && t["version"] == tool["version"];
                    if !list.iter().any(same) {
                        list.push(tool);
                    }
                }
            }
        }
        let version = doc.get("version").and_then(Value::as_u64).unwrap_or(1);
        doc.insert("version".into(), json!(version.saturating_add(1)));
    }
    Ok(())
}

/// `list` with each entry of `new` replacing the one with the same `id` field, or
/// appended.
fn merge_by(list: &mut Vec<Value>, new: &[Value], id: &str) {
    for entry in new {
        match entry
            .get(id)
            .and_then(|r| list.iter().position(|e| e.get(id) == Some(r)))
        {
            Some(i) => list[i] = entry.clone(),
            None => list.push(entry.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2000-02-29 (a leap day) 12:34:56 UTC is 951827696.
        let t = UNIX_EPOCH + Duration::from_secs(951_827_696);
        assert_eq!(utc_timestamp(t), "2000-02-29T12:34:56Z");
        // 2024-12-31T23:59:59Z is 1735689599.
        let t = UNIX_EPOCH + Duration::from_secs(1_735_689_599);
        assert_eq!(utc_timestamp(t), "2024-12-31T23:59:59Z");
    }

    #[test]
    fn uuid_shape() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, uuid_v4());
    }

    #[test]
    fn merge_replaces_by_reference_and_keeps_the_rest() {
        let ours = json!({
            "metadata": { "tools": { "components": [{ "name": "pqhkex", "version": "0.1.0" }] } },
            "components": [{ "bom-ref": "crypto/tls-group/x25519", "name": "x25519" }],
            "dependencies": [{ "ref": "service/a:443", "dependsOn": ["new"] }],
        });
        let mut theirs = json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": { "tools": [{ "name": "other", "version": "9" }] },
            "components": [
                { "bom-ref": "pkg:a", "name": "a" },
                { "bom-ref": "crypto/tls-group/x25519", "name": "stale" },
            ],
            "dependencies": [{ "ref": "service/a:443", "dependsOn": ["old"] }],
        });
        merge(&mut theirs, &ours).unwrap();
        assert_eq!(theirs["version"], 2);
        assert_eq!(theirs["components"][0]["name"], "a");
        assert_eq!(theirs["components"][1]["name"], "x25519");
        assert_eq!(theirs["components"].as_array().unwrap().len(), 2);
        assert_eq!(theirs["dependencies"][0]["dependsOn"][0], "new");
        assert_eq!(theirs["metadata"]["tools"][1]["name"], "pqhkex");
        // Merging again changes nothing but the version.
        let before = theirs.clone();
        merge(&mut theirs, &ours).unwrap();
        assert_eq!(theirs["components"], before["components"]);
        assert_eq!(theirs["metadata"], before["metadata"]);
        assert_eq!(theirs["version"], 3);
    }

    #[test]
    fn merge_refuses_what_is_not_cyclonedx_1_6() {
        let ours = json!({});
        for doc in [
            json!({ "specVersion": "1.6" }),
            json!({ "bomFormat": "CycloneDX", "specVersion": "1.5" }),
            json!({ "bomFormat": "CycloneDX" }),
            json!({ "bomFormat": "CycloneDX", "specVersion": "1.6", "components": {} }),
            json!({ "bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": { "tools": 3 } }),
        ] {
            let mut d = doc.clone();
            assert!(merge(&mut d, &ours).is_err(), "{doc}");
            assert_eq!(d, doc, "a refused merge must leave the document alone");
        }
    }

    #[test]
    fn security_levels() {
        let g = group_component(&pqhkex::groups::X25519MLKEM768);
        let p = &g["cryptoProperties"]["algorithmProperties"];
        assert_eq!(p["nistQuantumSecurityLevel"], 3);
        // A hybrid's classical level is its ECDH half's (see classical_security_level).
        assert_eq!(p["classicalSecurityLevel"], 128);
        for (g, classical, quantum) in [
            (&pqhkex::groups::SECP256R1MLKEM768, 128, 3),
            (&pqhkex::groups::SECP384R1MLKEM1024, 192, 5),
            (&pqhkex::groups::MLKEM768, 192, 3),
            (&pqhkex::groups::MLKEM1024, 256, 5),
            (&pqhkex::groups::SECP384R1, 192, 0),
        ] {
            let c = group_component(g);
            let p = &c["cryptoProperties"]["algorithmProperties"];
            assert_eq!(p["classicalSecurityLevel"], classical, "{}", g.name);
            assert_eq!(p["nistQuantumSecurityLevel"], quantum, "{}", g.name);
        }
        let c = group_component(&pqhkex::groups::SECP256R1);
        assert_eq!(
            c["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"],
            0
        );
    }

    #[test]
    fn ssh_host_key_assets_carry_family_curve_and_levels() {
        use crate::ssh::HostKeyAlg;
        let q = Some;
        // (name, nistQuantumSecurityLevel, classicalSecurityLevel, family)
        for (name, quantum, classical, family) in [
            ("ssh-ed25519", q(0), Some(128), "eddsa"),
            ("ssh-ed448", q(0), Some(224), "eddsa"),
            ("ecdsa-sha2-nistp256", q(0), Some(128), "ecdsa"),
            ("ecdsa-sha2-nistp384", q(0), Some(192), "ecdsa"),
            ("ecdsa-sha2-nistp521", q(0), Some(256), "ecdsa"),
            ("sk-ssh-ed25519@openssh.com", q(0), Some(128), "eddsa"),
            ("ssh-ed25519-cert-v01@openssh.com", q(0), Some(128), "eddsa"),
            ("rsa-sha2-512", q(0), None, "rsa"),
            ("rsa-sha2-256-cert-v01@openssh.com", q(0), None, "rsa"),
            ("x509v3-rsa2048-sha256", q(0), Some(112), "rsa"),
            ("ssh-dss", q(0), None, "dsa"),
            ("ssh-mldsa-44", q(2), Some(128), "post-quantum"),
            ("ssh-mldsa-65", q(3), Some(192), "post-quantum"),
            ("ssh-mldsa-87", q(5), Some(256), "post-quantum"),
            ("ssh-slh-dsa-sha2-128s", q(1), Some(128), "post-quantum"),
            (
                "ssh-mldsa44-ed25519@openssh.com",
                q(2),
                Some(128),
                "composite",
            ),
            ("ssh-mldsa44-ed25519", q(2), Some(128), "composite"),
            ("ssh-mldsa65-ed25519", q(3), Some(128), "composite"),
            ("ssh-mldsa87-es384", q(5), Some(192), "composite"),
            ("ssh-mldsa87-ed448", q(5), Some(224), "composite"),
            ("ssh-xmss@openssh.com", None, None, "post-quantum"),
            ("foo@example.com", None, None, "unknown"),
        ] {
            let c = ssh_host_key_component(&HostKeyAlg::describe(name));
            let p = &c["cryptoProperties"]["algorithmProperties"];
            assert_eq!(p["primitive"], "signature", "{name}");
            assert_eq!(p["nistQuantumSecurityLevel"].as_u64(), quantum, "{name}");
            assert_eq!(p["classicalSecurityLevel"].as_u64(), classical, "{name}");
            let props: BTreeMap<&str, &str> = c["properties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
                .collect();
            assert_eq!(props["pqhkex:family"], family, "{name}");
            let vulnerable = match family {
                "post-quantum" | "composite" => "no",
                "unknown" => "undetermined",
                _ => "yes",
            };
            assert_eq!(props["pqhkex:quantum-vulnerable"], vulnerable, "{name}");
            assert_eq!(
                props["pqhkex:quantum-safe"],
                if vulnerable == "no" { "true" } else { "false" },
                "{name}"
            );
        }
        // (name, curve, parameterSetIdentifier)
        for (name, curve, set) in [
            ("ssh-ed25519", Some("Ed25519"), None),
            ("ssh-ed448", Some("Ed448"), None),
            ("ecdsa-sha2-nistp256", Some("secp256r1"), None),
            (
                "ecdsa-sha2-nistp384-cert-v01@openssh.com",
                Some("secp384r1"),
                None,
            ),
            ("ecdsa-sha2-nistp521", Some("secp521r1"), None),
            ("rsa-sha2-512", None, None),
            ("x509v3-rsa2048-sha256", None, Some("2048")),
            ("ssh-mldsa-44", None, Some("44")),
            ("ssh-mldsa-87", None, Some("87")),
            ("ssh-slh-dsa-sha2-128s", None, Some("SHA2-128s")),
            (
                "ssh-mldsa44-ed25519@openssh.com",
                Some("Ed25519"),
                Some("44"),
            ),
            ("ssh-mldsa87-es384", Some("secp384r1"), Some("87")),
            ("ssh-xmss@openssh.com", None, Some("XMSS")),
            ("foo@example.com", None, None),
        ] {
            let c = ssh_host_key_component(&HostKeyAlg::describe(name));
            let p = &c["cryptoProperties"]["algorithmProperties"];
            assert_eq!(p["curve"].as_str(), curve, "{name}");
            assert_eq!(p["parameterSetIdentifier"].as_str(), set, "{name}");
        }
        let ml = ssh_host_key_component(&HostKeyAlg::describe("ssh-mldsa-65"));
        assert_eq!(ml["cryptoProperties"]["oid"], "2.16.840.1.101.3.4.3.18");
        let ed = ssh_host_key_component(&HostKeyAlg::describe("ssh-ed25519"));
        assert_eq!(ed["cryptoProperties"]["oid"], "1.3.101.112");
        let sk = ssh_host_key_component(&HostKeyAlg::describe("sk-ssh-ed25519@openssh.com"));
        assert!(sk["cryptoProperties"].get("oid").is_none());
    }

    #[test]
    fn ssh_kex_assets_for_every_post_quantum_name() {
        // (name, nistQuantumSecurityLevel, classicalSecurityLevel): a hybrid's classical
        // level is its classical half's.
        for (name, quantum, classical) in [
            ("mlkem768x25519-sha256", Some(3), 128),
            ("mlkem768nistp256-sha256", Some(3), 128),
            ("mlkem1024nistp384-sha384", Some(5), 192),
            ("sntrup761x25519-sha512", None, 128),
            ("sntrup761x25519-sha512@openssh.com", None, 128),
            ("curve25519-sha256", Some(0), 128),
            ("curve25519-sha256@libssh.org", Some(0), 128),
            ("ecdh-sha2-nistp384", Some(0), 192),
            ("diffie-hellman-group14-sha256", Some(0), 112),
        ] {
            let c = ssh_kex_component(&KexMethod::describe(name)).unwrap();
            let p = &c["cryptoProperties"]["algorithmProperties"];
            assert_eq!(p["nistQuantumSecurityLevel"].as_u64(), quantum, "{name}");
            assert_eq!(p["classicalSecurityLevel"], classical, "{name}");
            let hybrid = KexMethod::describe(name).post_quantum;
            assert_eq!(
                p["primitive"],
                if hybrid { "combiner" } else { "key-agree" },
                "{name}"
            );
        }
        assert!(ssh_kex_component(&KexMethod::describe("ext-info-s")).is_none());
    }

    #[test]
    fn ssh_presented_host_key_is_nested_related_material() {
        let s: SshReport = serde_json::from_value(json!({
            "target": "ssh://h:22", "address": "192.0.2.1:22", "banner": "SSH-2.0-x",
            "software": "x",
            "kex_algorithms": [KexMethod::describe("mlkem768x25519-sha256")],
            "host_key_algorithms": [crate::ssh::HostKeyAlg::describe("rsa-sha2-512")],
            "encryption_algorithms": [], "mac_algorithms": [], "compression_algorithms": [],
            "openssh10_client_choice": "mlkem768x25519-sha256",
            "classification": "pq-only",
            "verification": { "status": "advertised-only", "detail": "why",
                "host_key_algorithm": "rsa-sha2-512", "host_key_sha256": "SHA256:abc" },
            "host_key": { "algorithm": "rsa-sha2-512", "key_type": "ssh-rsa", "family": "rsa",
                "bits": 3072, "quantum_vulnerable": true, "fingerprint": "SHA256:abc",
                "key_exchange": "mlkem768x25519-sha256", "signature_verified": "undetermined" },
        }))
        .unwrap();
        let r = TargetResult::unreachable("ssh://h:22", None, &Failure::Unreachable("x".into()));
        let (c, refs) = ssh_protocol_component(&r, "ssh://h:22", &s);
        let nested = &c["components"][0];
        assert_eq!(nested["bom-ref"], "crypto/ssh-host-public-key@ssh://h:22");
        assert_eq!(nested["type"], "cryptographic-asset");
        let m = &nested["cryptoProperties"]["relatedCryptoMaterialProperties"];
        assert_eq!(
            nested["cryptoProperties"]["assetType"],
            "related-crypto-material"
        );
        assert_eq!(m["type"], "public-key");
        assert_eq!(m["size"], 3072);
        assert_eq!(m["id"], "SHA256:abc");
        assert_eq!(m["algorithmRef"], "crypto/ssh-host-key/rsa-sha2-512");
        // Not a dependency: the nested key is part of the protocol asset.
        assert!(!refs.iter().any(|r| r.contains("public-key")));
        let props = c["properties"].as_array().unwrap();
        assert!(props
            .iter()
            .any(|p| p["name"] == "pqhkex:host-key-bits" && p["value"] == "3072"));
        // Without a presented key: no nested component.
        let mut none = s.clone();
        none.host_key = None;
        assert!(ssh_protocol_component(&r, "k", &none)
            .0
            .get("components")
            .is_none());
    }
}
