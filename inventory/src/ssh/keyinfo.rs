//! Host keys in post-quantum terms: what a host-key algorithm name says (family, curve,
//! size, post-quantum parameter set), and what a host key blob `K_S` says about the key
//! itself (its type, curve and size).
//!
//! Classical names: RFC 4253 §6.6 (`ssh-rsa`, `ssh-dss`), RFC 8332 (`rsa-sha2-256/512`),
//! RFC 5656 §6.2 (`ecdsa-sha2-*`), RFC 8709 (`ssh-ed25519`, `ssh-ed448`), RFC 6187
//! (`x509v3-*`), and OpenSSH's certificate (`*-cert-v01@openssh.com`) and security-key
//! (`sk-*`, `webauthn-sk-*`) variants, which name the underlying key. Post-quantum names
//! are drafts, so they are recognised by their parts rather than from a closed list:
//! ML-DSA (`ssh-mldsa-44/65/87`, draft-sfluhrer-ssh-mldsa and draft-rpe-ssh-mldsa; the
//! spelling `ssh-mldsa44` of early implementations), ML-DSA composites
//! (`ssh-mldsa44-ed25519[@openssh.com]`, draft-miller-sshm-mldsa44-ed25519-composite-sigs;
//! `ssh-mldsa44-es256`, `ssh-mldsa65-es256`, `ssh-mldsa87-es384`, `ssh-mldsa65-ed25519`,
//! `ssh-mldsa87-ed448`, draft-sun-ssh-composite-sigs; OQS-OpenSSH's
//! `ssh-ecdsa-nistp256-mldsa44`, `ssh-rsa3072-mldsa44`), SLH-DSA / SPHINCS+, Falcon /
//! FN-DSA, round-3 Dilithium, and XMSS (OpenSSH's experimental `ssh-xmss@openssh.com`).

use crate::ssh::wire::Reader;
use crate::ssh::{HostKeyAlg, HostKeyFamily};
use crate::Answer;

/// RFC 4251 §6: algorithm names are at most 64 characters.
const MAX_NAME: usize = 64;

/// What a host-key algorithm name says.
pub(crate) fn describe(name: &str) -> HostKeyAlg {
    let n = NameParts::of(name);
    let facts = post_quantum_facts(&n.base).unwrap_or_else(|| classical_facts(&n.base));
    let quantum_vulnerable = facts.family.quantum_vulnerable();
    HostKeyAlg {
        name: name.to_owned(),
        post_quantum: quantum_vulnerable == Answer::No,
        family: facts.family,
        curve: facts.curve.map(str::to_owned),
        bits: facts.bits,
        parameter_set: facts.parameter_set,
        nist_category: facts.nist_category,
        certificate: n.certificate,
        security_key: n.security_key,
        quantum_vulnerable,
    }
}

/// A name with its certificate and security-key decorations taken off.
struct NameParts {
    /// Lower case, without `x509v3-`, `@domain`, `-cert-v01`, `sk-`.
    base: String,
    certificate: bool,
    security_key: bool,
}

impl NameParts {
    fn of(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        let mut base = lower.as_str();
        let mut certificate = false;
        let mut security_key = false;
        // RFC 6187: X.509 certificates (x509v3-ssh-rsa, x509v3-rsa2048-sha256, ...).
        if let Some(rest) = base.strip_prefix("x509v3-") {
            certificate = true;
            base = rest;
        }
        // RFC 4251 §6: a name with `@` is defined by that domain; the part before it
        // names the algorithm (ssh-mldsa44-ed25519@openssh.com, ssh-rsa-sha256@ssh.com).
        if let Some((local, _domain)) = base.split_once('@') {
            base = local;
        }
        for suffix in ["-cert-v01", "-cert-v00"] {
            if let Some(rest) = base.strip_suffix(suffix) {
                certificate = true;
                base = rest;
            }
        }
        for prefix in ["webauthn-sk-", "sk-"] {
            if let Some(rest) = base.strip_prefix(prefix) {
                security_key = true;
                base = rest;
                break;
            }
        }
        NameParts {
            base: base.to_owned(),
            certificate,
            security_key,
        }
    }
}

/// The facts a name gives.
struct Facts {
    family: HostKeyFamily,
    curve: Option<&'static str>,
    bits: Option<u32>,
    parameter_set: Option<String>,
    nist_category: Option<u8>,
}

impl Facts {
    fn classical(family: HostKeyFamily, curve: Option<&'static str>, bits: Option<u32>) -> Self {
        Facts {
            family,
            curve,
            bits,
            parameter_set: None,
            nist_category: None,
        }
    }
}

/// The curve of an SSH curve name or composite part, and its size in bits.
fn curve_of(token: &str) -> Option<(&'static str, u32)> {
    Some(match token {
        "nistp256" | "p256" | "es256" => ("nistp256", 256),
        "nistp384" | "p384" | "es384" => ("nistp384", 384),
        "nistp521" | "p521" | "es521" => ("nistp521", 521),
        "ed25519" => ("ed25519", 256),
        "ed448" => ("ed448", 448),
        _ => return None,
    })
}

/// Classical (quantum-vulnerable) names, or unknown.
fn classical_facts(base: &str) -> Facts {
    use HostKeyFamily::{Dsa, Ecdsa, EdDsa, Rsa, Unknown};
    match base {
        "ssh-ed25519" => return Facts::classical(EdDsa, Some("ed25519"), Some(256)),
        "ssh-ed448" => return Facts::classical(EdDsa, Some("ed448"), Some(448)),
        _ => {}
    }
    if let Some(curve) = base.strip_prefix("ecdsa-sha2-") {
        // RFC 5656 §6.1: nistp256/384/521, or another curve named by its OID.
        let (curve, bits) = curve_of(curve).map_or((None, None), |(c, b)| (Some(c), Some(b)));
        return Facts::classical(Ecdsa, curve, bits);
    }
    if base == "ssh-rsa"
        || base.starts_with("ssh-rsa-")
        || base.starts_with("rsa-sha2-")
        || base.starts_with("sign-rsa")
    {
        return Facts::classical(Rsa, None, None);
    }
    // RFC 6187 §3.3: x509v3-rsa2048-sha256 fixes the modulus size.
    if let Some(rest) = base.strip_prefix("rsa") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(bits) = digits.parse::<u32>() {
            return Facts::classical(Rsa, None, Some(bits));
        }
    }
    if base == "ssh-dss" || base.starts_with("ssh-dss-") || base.starts_with("sign-dss") {
        return Facts::classical(Dsa, None, None);
    }
    Facts::classical(Unknown, None, None)
}

/// Post-quantum and composite names: one post-quantum signature part, and for a
/// composite a classical one (a curve, or RSA).
fn post_quantum_facts(base: &str) -> Option<Facts> {
    let normalized = base
        .replace("ml-dsa", "mldsa")
        .replace("slh-dsa", "slhdsa")
        .replace("fn-dsa", "fndsa");
    let tokens: Vec<&str> = normalized
        .split(['-', '_'])
        .filter(|t| !t.is_empty())
        .collect();
    let mut pq: Option<(String, Option<u8>)> = None;
    let mut classical = false;
    let mut curve = None;
    for (i, token) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).copied().unwrap_or("");
        if pq.is_none() {
            if let Some(found) = post_quantum_part(token, next, &normalized) {
                pq = Some(found);
                continue;
            }
        }
        if let Some((c, _)) = curve_of(token) {
            curve = Some(c);
            classical = true;
        } else if *token == "ecdsa" || token.starts_with("rsa") {
            classical = true;
        }
    }
    let (parameter_set, nist_category) = pq?;
    Some(Facts {
        family: if classical {
            HostKeyFamily::Composite
        } else {
            HostKeyFamily::PostQuantum
        },
        curve,
        bits: None,
        parameter_set: Some(parameter_set),
        nist_category,
    })
}

/// A post-quantum signature named by `token` (with `next`, the token after it, for
/// `mldsa-65`), as its parameter set and NIST category.
fn post_quantum_part(token: &str, next: &str, whole: &str) -> Option<(String, Option<u8>)> {
    let digits = |rest: &str| -> String {
        let own: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if own.is_empty() && rest.is_empty() && next.chars().all(|c| c.is_ascii_digit()) {
            next.to_owned()
        } else {
            own
        }
    };
    if let Some(rest) = token.strip_prefix("mldsa") {
        // FIPS 204 §4 Table 1: ML-DSA-44, -65, -87 are NIST categories 2, 3, 5.
        let d = digits(rest);
        let category = match d.as_str() {
            "44" => Some(2),
            "65" => Some(3),
            "87" => Some(5),
            _ => None,
        };
        let set = if d.is_empty() {
            "ML-DSA".to_owned()
        } else {
            format!("ML-DSA-{d}")
        };
        return Some((set, category));
    }
    if let Some(rest) = token.strip_prefix("dilithium") {
        // Round-3 CRYSTALS-Dilithium 2, 3, 5 target categories 2, 3, 5.
        let d = digits(rest);
        let category = match d.as_str() {
            "2" => Some(2),
            "3" => Some(3),
            "5" => Some(5),
            _ => None,
        };
        return Some((format!("Dilithium{d}"), category));
    }
    for (prefix, label) in [("falcon", "Falcon"), ("fndsa", "FN-DSA")] {
        if let Some(rest) = token.strip_prefix(prefix) {
            // Falcon-512 / FN-DSA-512: category 1; -1024: category 5.
            let d = digits(rest);
            let category = match d.as_str() {
                "512" => Some(1),
                "1024" => Some(5),
                _ => None,
            };
            let set = if d.is_empty() {
                label.to_owned()
            } else {
                format!("{label}-{d}")
            };
            return Some((set, category));
        }
    }
    if token.starts_with("xmss") {
        // XMSS (RFC 8391, NIST SP 800-208; OpenSSH's experimental ssh-xmss@openssh.com):
        // hash-based, stateful; NIST assigns it no category.
        return Some(("XMSS".to_owned(), None));
    }
    for (prefix, label) in [("slhdsa", "SLH-DSA"), ("sphincs", "SPHINCS+")] {
        if token.starts_with(prefix) {
            // FIPS 205 §11: SLH-DSA-{SHA2,SHAKE}-{128,192,256}{s,f}: categories 1, 3, 5.
            let after = &whole[whole.find(prefix).unwrap_or(0) + prefix.len()..];
            let hash = if after.contains("shake") {
                Some("SHAKE")
            } else if after.contains("sha2") {
                Some("SHA2")
            } else {
                None
            };
            let level = ["128", "192", "256"]
                .iter()
                .filter_map(|l| after.find(l).map(|at| (at, *l)))
                .min();
            let category = level.map(|(_, l)| match l {
                "128" => 1,
                "192" => 3,
                _ => 5,
            });
            let variant = level.and_then(|(at, l)| {
                after[at + l.len()..]
                    .chars()
                    .next()
                    .filter(|c| *c == 's' || *c == 'f')
            });
            let mut set = label.to_owned();
            if let Some(h) = hash {
                set = format!("{set}-{h}");
            }
            if let Some((_, l)) = level {
                set = format!("{set}-{l}");
                if let Some(v) = variant {
                    set.push(v);
                }
            }
            return Some((set, category));
        }
    }
    None
}

/// What a host key blob `K_S` (RFC 4253 §6.6) says about the key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BlobFacts {
    /// The key type named in the blob.
    pub(crate) key_type: String,
    /// The key's family, from its type.
    pub(crate) family: HostKeyFamily,
    /// The key's curve.
    pub(crate) curve: Option<String>,
    /// RSA and DSA: the modulus size; ECDSA, EdDSA: the curve's.
    pub(crate) bits: Option<u32>,
}

/// Reads the type, curve and size of the key in `k_s`. An error says what is wrong
/// with the blob; its type, if readable, is still in the error.
pub(crate) fn blob_facts(k_s: &[u8]) -> Result<BlobFacts, String> {
    let mut r = Reader::new(k_s, "host key K_S");
    let raw_type = r.string("key type")?;
    if raw_type.is_empty()
        || raw_type.len() > MAX_NAME
        || !raw_type.iter().all(|b| b.is_ascii_graphic() && *b != b',')
    {
        return Err(format!(
            "the host key's type is not an algorithm name (RFC 4251 §6): {:?}",
            String::from_utf8_lossy(&raw_type[..raw_type.len().min(MAX_NAME)])
        ));
    }
    let key_type = String::from_utf8_lossy(raw_type).into_owned();
    let name = describe(&key_type);
    let mut facts = BlobFacts {
        key_type: key_type.clone(),
        family: name.family,
        curve: name.curve.clone(),
        bits: name.bits,
    };
    if name.certificate {
        if !key_type.ends_with("-cert-v01@openssh.com") {
            // An X.509 chain (RFC 6187): the name's facts only.
            return Ok(facts);
        }
        // OpenSSH PROTOCOL.certkeys: string nonce, then the key's own fields.
        r.string("certificate nonce")?;
    }
    match name.family {
        HostKeyFamily::Rsa => {
            // RFC 4253 §6.6: mpint e, mpint n.
            r.string("RSA exponent e")?;
            let n = r.string("RSA modulus n")?;
            facts.bits = Some(mpint_bits(n, "RSA modulus n")?);
        }
        HostKeyFamily::Dsa => {
            // RFC 4253 §6.6: mpint p, q, g, y.
            let p = r.string("DSA prime p")?;
            facts.bits = Some(mpint_bits(p, "DSA prime p")?);
        }
        HostKeyFamily::Ecdsa => {
            // RFC 5656 §3.1: string identifier, string Q.
            let id = r.string("ECDSA curve identifier")?;
            let id = String::from_utf8_lossy(&id[..id.len().min(MAX_NAME)]).into_owned();
            let q = r.string("ECDSA public point Q")?;
            match curve_of(&id) {
                Some((curve, bits)) => {
                    if name.curve.is_some_and(|c| c != curve) {
                        return Err(format!(
                            "the host key of type {key_type} names curve {id:?}"
                        ));
                    }
                    // SEC1 §2.3.3: uncompressed 0x04 ‖ X ‖ Y, or compressed 0x02/0x03 ‖ X.
                    let coordinate = bits.div_ceil(8) as usize;
                    if q.len() != 1 + 2 * coordinate && q.len() != 1 + coordinate {
                        return Err(format!("the {curve} public point Q is {} bytes", q.len()));
                    }
                    facts.curve = Some(curve.to_owned());
                    facts.bits = Some(bits);
                }
                None => facts.curve = None,
            }
        }
        HostKeyFamily::EdDsa => {
            // RFC 8709 §4: string key (32 bytes for Ed25519, 57 for Ed448).
            let pk = r.string("EdDSA public key")?;
            let expected = match name.curve.as_deref() {
                Some("ed448") => 57,
                _ => 32,
            };
            if pk.len() != expected {
                return Err(format!(
                    "the {key_type} public key is {} bytes, expected {expected}",
                    pk.len()
                ));
            }
        }
        _ => {}
    }
    Ok(facts)
}

/// The size in bits of a non-negative `mpint` (RFC 4251 §5).
fn mpint_bits(m: &[u8], what: &str) -> Result<u32, String> {
    if m.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(format!("{what} is negative"));
    }
    let Some(start) = m.iter().position(|&b| b != 0) else {
        return Ok(0);
    };
    let bytes = u32::try_from(m.len() - start).map_err(|_| format!("{what} is too long"))?;
    Ok((bytes - 1) * 8 + (8 - m[start].leading_zeros()))
}

/// The host-key algorithms the probe asks for, in its order, from the server's list:
/// first those whose signatures pqhkex verifies (in `verifiable` order), then the
/// server's other plain (non-certificate) keys of a known family, in its order. Never a
/// certificate (`K_S` is then the plain key, whose fingerprint is the one `ssh-keygen -l`
/// prints), nor a name pqhkex does not know (`null` of GSS-API key exchange, say, which
/// would make the exchange fail for a reason that is not the server's).
pub(crate) fn offer<'a>(server: &'a [String], verifiable: &[&'a str]) -> Vec<&'a str> {
    let mut ours: Vec<&str> = verifiable
        .iter()
        .copied()
        .filter(|a| server.iter().any(|s| s == a))
        .collect();
    for name in server {
        let d = describe(name);
        if !d.certificate && d.family != HostKeyFamily::Unknown && !ours.contains(&name.as_str()) {
            ours.push(name);
        }
    }
    ours
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::wire::Writer;
    use HostKeyFamily::*;

    fn facts(name: &str) -> (HostKeyFamily, Option<String>, Option<u32>, Answer) {
        let d = describe(name);
        (d.family, d.curve, d.bits, d.quantum_vulnerable)
    }

    #[test]
    fn classical_names_and_their_variants() {
        let yes = Answer::Yes;
        for (name, family, curve, bits) in [
            ("ssh-ed25519", EdDsa, Some("ed25519"), Some(256)),
            ("ssh-ed448", EdDsa, Some("ed448"), Some(448)),
            ("ecdsa-sha2-nistp256", Ecdsa, Some("nistp256"), Some(256)),
            ("ecdsa-sha2-nistp384", Ecdsa, Some("nistp384"), Some(384)),
            ("ecdsa-sha2-nistp521", Ecdsa, Some("nistp521"), Some(521)),
            ("ecdsa-sha2-1.3.132.0.10", Ecdsa, None, None),
            ("rsa-sha2-512", Rsa, None, None),
            ("rsa-sha2-256", Rsa, None, None),
            ("ssh-rsa", Rsa, None, None),
            ("ssh-dss", Dsa, None, None),
            ("ssh-rsa-sha256@ssh.com", Rsa, None, None),
            ("x509v3-rsa2048-sha256", Rsa, None, Some(2048)),
            ("x509v3-ssh-rsa", Rsa, None, None),
            ("x509v3-sign-dss", Dsa, None, None),
            (
                "x509v3-ecdsa-sha2-nistp384",
                Ecdsa,
                Some("nistp384"),
                Some(384),
            ),
            (
                "ssh-ed25519-cert-v01@openssh.com",
                EdDsa,
                Some("ed25519"),
                Some(256),
            ),
            (
                "ecdsa-sha2-nistp384-cert-v01@openssh.com",
                Ecdsa,
                Some("nistp384"),
                Some(384),
            ),
            ("rsa-sha2-512-cert-v01@openssh.com", Rsa, None, None),
            ("ssh-rsa-cert-v01@openssh.com", Rsa, None, None),
            ("ssh-dss-cert-v01@openssh.com", Dsa, None, None),
            (
                "sk-ssh-ed25519@openssh.com",
                EdDsa,
                Some("ed25519"),
                Some(256),
            ),
            (
                "sk-ecdsa-sha2-nistp256@openssh.com",
                Ecdsa,
                Some("nistp256"),
                Some(256),
            ),
            (
                "sk-ssh-ed25519-cert-v01@openssh.com",
                EdDsa,
                Some("ed25519"),
                Some(256),
            ),
            (
                "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
                Ecdsa,
                Some("nistp256"),
                Some(256),
            ),
        ] {
            let curve = curve.map(str::to_owned);
            assert_eq!(facts(name), (family, curve, bits, yes), "{name}");
            let d = describe(name);
            assert!(!d.post_quantum, "{name}");
            assert_eq!(d.parameter_set, None, "{name}");
            assert_eq!(d.nist_category, None, "{name}");
        }
        assert!(describe("ssh-ed25519-cert-v01@openssh.com").certificate);
        assert!(describe("x509v3-ssh-rsa").certificate);
        assert!(!describe("ssh-ed25519").certificate);
        assert!(describe("sk-ssh-ed25519@openssh.com").security_key);
        assert!(!describe("ssh-ed25519").security_key);
        // Case does not matter.
        assert_eq!(describe("SSH-ED25519").family, EdDsa);
    }

    #[test]
    fn post_quantum_and_composite_names() {
        for (name, family, set, category, curve) in [
            // draft-sfluhrer-ssh-mldsa / draft-rpe-ssh-mldsa.
            ("ssh-mldsa-44", PostQuantum, "ML-DSA-44", Some(2), None),
            ("ssh-mldsa-65", PostQuantum, "ML-DSA-65", Some(3), None),
            ("ssh-mldsa-87", PostQuantum, "ML-DSA-87", Some(5), None),
            ("ssh-mldsa44", PostQuantum, "ML-DSA-44", Some(2), None),
            ("ssh-ml-dsa-65", PostQuantum, "ML-DSA-65", Some(3), None),
            (
                "ssh-mldsa-65-cert-v01@openssh.com",
                PostQuantum,
                "ML-DSA-65",
                Some(3),
                None,
            ),
            // draft-miller-sshm-mldsa44-ed25519-composite-sigs (OpenSSH).
            (
                "ssh-mldsa44-ed25519",
                Composite,
                "ML-DSA-44",
                Some(2),
                Some("ed25519"),
            ),
            (
                "ssh-mldsa44-ed25519@openssh.com",
                Composite,
                "ML-DSA-44",
                Some(2),
                Some("ed25519"),
            ),
            (
                "ssh-mldsa44-ed25519-cert-v01@openssh.com",
                Composite,
                "ML-DSA-44",
                Some(2),
                Some("ed25519"),
            ),
            // draft-sun-ssh-composite-sigs.
            (
                "ssh-mldsa44-es256",
                Composite,
                "ML-DSA-44",
                Some(2),
                Some("nistp256"),
            ),
            (
                "ssh-mldsa65-es256",
                Composite,
                "ML-DSA-65",
                Some(3),
                Some("nistp256"),
            ),
            (
                "ssh-mldsa87-es384",
                Composite,
                "ML-DSA-87",
                Some(5),
                Some("nistp384"),
            ),
            (
                "ssh-mldsa65-ed25519",
                Composite,
                "ML-DSA-65",
                Some(3),
                Some("ed25519"),
            ),
            (
                "ssh-mldsa87-ed448",
                Composite,
                "ML-DSA-87",
                Some(5),
                Some("ed448"),
            ),
            // OQS-OpenSSH.
            (
                "ssh-ecdsa-nistp256-mldsa44",
                Composite,
                "ML-DSA-44",
                Some(2),
                Some("nistp256"),
            ),
            ("ssh-rsa3072-mldsa44", Composite, "ML-DSA-44", Some(2), None),
            ("ssh-falcon512", PostQuantum, "Falcon-512", Some(1), None),
            ("ssh-falcon1024", PostQuantum, "Falcon-1024", Some(5), None),
            (
                "ssh-sphincssha2128fsimple",
                PostQuantum,
                "SPHINCS+-SHA2-128f",
                Some(1),
                None,
            ),
            ("ssh-dilithium3", PostQuantum, "Dilithium3", Some(3), None),
            // SLH-DSA (FIPS 205 parameter sets), FN-DSA.
            (
                "ssh-slh-dsa-sha2-128s",
                PostQuantum,
                "SLH-DSA-SHA2-128s",
                Some(1),
                None,
            ),
            (
                "ssh-slhdsa-shake-256f@example.com",
                PostQuantum,
                "SLH-DSA-SHAKE-256f",
                Some(5),
                None,
            ),
            (
                "ssh-slh-dsa-sha2-192s-ed25519",
                Composite,
                "SLH-DSA-SHA2-192s",
                Some(3),
                Some("ed25519"),
            ),
            ("ssh-fn-dsa-512", PostQuantum, "FN-DSA-512", Some(1), None),
            ("ssh-xmss@openssh.com", PostQuantum, "XMSS", None, None),
            (
                "ssh-xmss-cert-v01@openssh.com",
                PostQuantum,
                "XMSS",
                None,
                None,
            ),
        ] {
            let d = describe(name);
            assert_eq!(d.family, family, "{name}");
            assert_eq!(d.parameter_set.as_deref(), Some(set), "{name}");
            assert_eq!(d.nist_category, category, "{name}");
            assert_eq!(d.curve.as_deref(), curve, "{name}");
            assert_eq!(d.quantum_vulnerable, Answer::No, "{name}");
            assert!(d.post_quantum, "{name}");
            assert_eq!(d.bits, None, "{name}");
        }
        // An ML-DSA name with a parameter set we do not know: still post-quantum.
        let d = describe("ssh-mldsa-99");
        assert_eq!((d.family, d.nist_category), (PostQuantum, None));
    }

    #[test]
    fn describe_never_panics() {
        // Whatever a caller passes (peer names are printable ASCII; the public
        // `HostKeyAlg::describe` takes any string).
        let alphabet: Vec<char> =
            "ssh-mldsa-slhdsa-sphincs-falcon-fndsa-dilithium-xmss-ed25519-rsa-ecdsa-nistp@_.0123456789sfé€"
                .chars()
                .collect();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let name: String = (0..len)
                .map(|i| alphabet[((x >> (i % 50)) as usize + i * 7) % alphabet.len()])
                .collect();
            let d = describe(&name);
            assert_eq!(d.post_quantum, d.quantum_vulnerable == Answer::No, "{name}");
        }
        for name in [
            "-",
            "@",
            "sk-",
            "x509v3-",
            "-cert-v01@openssh.com",
            "mldsa-",
            "slhdsa",
            "ssh-sphincs128",
        ] {
            let _ = describe(name);
        }
    }

    #[test]
    fn unknown_names_are_undetermined() {
        for name in ["null", "foo@example.com", "ssh-foo", "", "ssh-", "ssh-mayo"] {
            let d = describe(name);
            assert_eq!(d.family, Unknown, "{name}");
            assert_eq!(d.quantum_vulnerable, Answer::Undetermined, "{name}");
            assert!(!d.post_quantum, "{name}");
        }
    }

    fn blob(fields: &[&[u8]]) -> Vec<u8> {
        let mut w = Writer::default();
        for f in fields {
            w.string(f);
        }
        w.into_vec()
    }

    #[test]
    fn blobs() {
        // RSA: the modulus size, however the mpint is padded.
        let mut n = vec![0u8];
        n.extend_from_slice(&[0xc5; 384]);
        let f = blob_facts(&blob(&[b"ssh-rsa", &[1, 0, 1], &n])).unwrap();
        assert_eq!((f.family, f.bits), (Rsa, Some(3072)));
        let f = blob_facts(&blob(&[b"ssh-rsa", &[3], &[0x01, 0xff]])).unwrap();
        assert_eq!(f.bits, Some(9));
        assert!(blob_facts(&blob(&[b"ssh-rsa", &[3], &[0x80]])).is_err());
        assert!(blob_facts(&blob(&[b"ssh-rsa", &[3]])).is_err());
        // DSA: p's size.
        let f = blob_facts(&blob(&[b"ssh-dss", &[0x7f; 128], &[1], &[2], &[3]])).unwrap();
        assert_eq!((f.family, f.bits), (Dsa, Some(1023)));
        // ECDSA: the curve from the blob, checked against the type.
        let q = [4u8; 97];
        let f = blob_facts(&blob(&[b"ecdsa-sha2-nistp384", b"nistp384", &q])).unwrap();
        assert_eq!((f.curve.as_deref(), f.bits), (Some("nistp384"), Some(384)));
        assert!(blob_facts(&blob(&[b"ecdsa-sha2-nistp384", b"nistp256", &q])).is_err());
        assert!(blob_facts(&blob(&[b"ecdsa-sha2-nistp384", b"nistp384", &q[..50]])).is_err());
        // EdDSA.
        let f = blob_facts(&blob(&[b"ssh-ed25519", &[7; 32]])).unwrap();
        assert_eq!(
            (f.family, f.curve.as_deref(), f.bits),
            (EdDsa, Some("ed25519"), Some(256))
        );
        assert!(blob_facts(&blob(&[b"ssh-ed25519", &[7; 31]])).is_err());
        let f = blob_facts(&blob(&[b"ssh-ed448", &[7; 57]])).unwrap();
        assert_eq!(f.bits, Some(448));
        // An OpenSSH certificate: the nonce, then the key.
        let f = blob_facts(&blob(&[
            b"ssh-ed25519-cert-v01@openssh.com",
            &[0; 32],
            &[7; 32],
            b"rest",
        ]))
        .unwrap();
        assert_eq!((f.family, f.bits), (EdDsa, Some(256)));
        // A post-quantum key: its family and the name's facts.
        let f = blob_facts(&blob(&[b"ssh-mldsa44-ed25519@openssh.com", &[1; 1344]])).unwrap();
        assert_eq!(
            (f.family, f.curve.as_deref(), f.bits),
            (Composite, Some("ed25519"), None)
        );
        // Not a name; nothing at all.
        assert!(blob_facts(&blob(&[b"a b"])).is_err());
        assert!(blob_facts(&blob(&[&[b'a'; 65]])).is_err());
        assert!(blob_facts(&[]).is_err());
    }

    #[test]
    fn blobs_never_panic_on_truncation() {
        let mut n = vec![0u8];
        n.extend_from_slice(&[0xc5; 64]);
        for b in [
            blob(&[b"ssh-rsa", &[1, 0, 1], &n]),
            blob(&[b"ecdsa-sha2-nistp256", b"nistp256", &[4; 65]]),
            blob(&[b"ssh-ed25519-cert-v01@openssh.com", &[0; 32], &[7; 32]]),
            blob(&[b"ssh-dss", &[0x7f; 128], &[1], &[2], &[3]]),
        ] {
            assert!(blob_facts(&b).is_ok());
            for cut in 0..b.len() {
                let _ = blob_facts(&b[..cut]);
            }
        }
    }

    #[test]
    fn offers_verifiable_then_plain_keys() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let verifiable = ["ssh-ed25519", "ecdsa-sha2-nistp256"];
        let server = s(&[
            "rsa-sha2-512",
            "ssh-ed25519-cert-v01@openssh.com",
            "foo@example.com",
            "ecdsa-sha2-nistp384",
            "ssh-ed25519",
        ]);
        assert_eq!(
            offer(&server, &verifiable),
            ["ssh-ed25519", "rsa-sha2-512", "ecdsa-sha2-nistp384"]
        );
        assert_eq!(
            offer(
                &s(&["null", "ssh-mldsa44-ed25519@openssh.com"]),
                &verifiable
            ),
            ["ssh-mldsa44-ed25519@openssh.com"]
        );
        assert!(offer(&s(&["null", "foo@example.com"]), &verifiable).is_empty());
        assert_eq!(
            offer(&s(&["rsa-sha2-512", "rsa-sha2-256"]), &verifiable),
            ["rsa-sha2-512", "rsa-sha2-256"]
        );
        assert!(offer(&s(&["ssh-ed25519-cert-v01@openssh.com"]), &verifiable).is_empty());
        assert!(offer(&[], &verifiable).is_empty());
    }
}
