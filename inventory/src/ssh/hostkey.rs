//! Host keys: the algorithms we verify, their signature check over the exchange hash,
//! and OpenSSH's SHA-256 fingerprint.

use sha2::{Digest, Sha256};

use crate::ssh::wire::Reader;

/// `ssh-ed25519` (RFC 8709).
pub(crate) const ED25519: &str = "ssh-ed25519";
/// `ecdsa-sha2-nistp256` (RFC 5656 §3.1).
pub(crate) const ECDSA_P256: &str = "ecdsa-sha2-nistp256";
/// The host-key algorithms whose signatures this crate verifies, in our order of
/// preference (the order of our `SSH_MSG_KEXINIT`).
pub(crate) const VERIFIABLE: &[&str] = &[ED25519, ECDSA_P256];

/// OpenSSH's fingerprint of a host key blob `K_S`: `SHA256:` and the unpadded standard
/// base64 of SHA-256(K_S), as `ssh-keygen -l` prints it.
pub(crate) fn fingerprint_sha256(k_s: &[u8]) -> String {
    format!("SHA256:{}", base64_unpadded(&Sha256::digest(k_s)))
}

/// Standard base64 (RFC 4648 §4) without `=` padding.
pub(crate) fn base64_unpadded(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Verifies the server's signature `sig_blob` over the exchange hash `h` with host key
/// `k_s`, for the negotiated host-key algorithm `algorithm`.
pub(crate) fn verify(algorithm: &str, k_s: &[u8], sig_blob: &[u8], h: &[u8]) -> Result<(), String> {
    let mut key = Reader::new(k_s, "host key K_S");
    let key_name = key.string("key type")?;
    if key_name != algorithm.as_bytes() {
        return Err(format!(
            "host key is of type {:?}, but {algorithm} was negotiated",
            String::from_utf8_lossy(key_name)
        ));
    }
    // RFC 4253 §6.6: signature = string format identifier, string blob.
    let mut sig = Reader::new(sig_blob, "signature");
    let sig_name = sig.string("signature format")?;
    if sig_name != algorithm.as_bytes() {
        return Err(format!(
            "signature format is {:?}, but {algorithm} was negotiated",
            String::from_utf8_lossy(sig_name)
        ));
    }
    let sig_data = sig.string("signature blob")?;
    sig.finish()?;
    match algorithm {
        ED25519 => verify_ed25519(&mut key, sig_data, h),
        ECDSA_P256 => verify_ecdsa_p256(&mut key, sig_data, h),
        other => Err(format!(
            "host key algorithm {other} is not verified by pqhkex"
        )),
    }
}

/// RFC 8709 §4 (key: string "ssh-ed25519", string key, 32 bytes) and §6 (signature
/// blob: the 64-byte Ed25519 signature of H). Strict verification (no malleable or
/// small-order cases).
fn verify_ed25519(key: &mut Reader<'_>, sig_data: &[u8], h: &[u8]) -> Result<(), String> {
    let pk = key.string("Ed25519 public key")?;
    key.finish()?;
    let pk: [u8; 32] = pk
        .try_into()
        .map_err(|_| format!("Ed25519 public key is {} bytes, expected 32", pk.len()))?;
    let sig: [u8; 64] = sig_data
        .try_into()
        .map_err(|_| format!("Ed25519 signature is {} bytes, expected 64", sig_data.len()))?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk)
        .map_err(|_| "Ed25519 public key is not a valid point".to_owned())?;
    vk.verify_strict(h, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| "Ed25519 signature over the exchange hash does not verify".to_owned())
}

/// RFC 5656 §3.1 (key: string "ecdsa-sha2-nistp256", string "nistp256", string Q),
/// §3.1.2 (signature blob: mpint r, mpint s) and §6.2.1 (ECDSA over SHA-256(H)).
fn verify_ecdsa_p256(key: &mut Reader<'_>, sig_data: &[u8], h: &[u8]) -> Result<(), String> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;

    let curve = key.string("curve identifier")?;
    if curve != b"nistp256" {
        return Err(format!(
            "ECDSA key names curve {:?}, expected \"nistp256\"",
            String::from_utf8_lossy(curve)
        ));
    }
    let q = key.string("public point Q")?;
    key.finish()?;
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(q)
        .map_err(|_| "ECDSA public key is not a valid P-256 point".to_owned())?;
    let mut blob = Reader::new(sig_data, "ECDSA signature blob");
    let r = mpint_32(blob.string("r")?, "r")?;
    let s = mpint_32(blob.string("s")?, "s")?;
    blob.finish()?;
    let sig = p256::ecdsa::Signature::from_scalars(r, s)
        .map_err(|_| "ECDSA r or s is zero or not below the group order".to_owned())?;
    let digest = Sha256::digest(h);
    vk.verify_prehash(&digest, &sig)
        .map_err(|_| "ECDSA signature over the exchange hash does not verify".to_owned())
}

/// A non-negative `mpint` (RFC 4251 §5) of at most 32 bytes, big-endian, left-padded.
fn mpint_32(bytes: &[u8], name: &str) -> Result<[u8; 32], String> {
    let magnitude = match bytes {
        [] => bytes,
        [first, ..] if first & 0x80 != 0 => {
            return Err(format!("ECDSA {name} is a negative mpint"));
        }
        [0, second, ..] if second & 0x80 != 0 => &bytes[1..],
        [0, ..] => return Err(format!("ECDSA {name} has an unnecessary leading zero byte")),
        _ => bytes,
    };
    if magnitude.len() > 32 {
        return Err(format!("ECDSA {name} is longer than 32 bytes"));
    }
    let mut out = [0u8; 32];
    out[32 - magnitude.len()..].copy_from_slice(magnitude);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648_vectors() {
        // RFC 4648 §10, without the padding.
        for (input, output) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_unpadded(input.as_bytes()), output);
        }
    }

    #[test]
    fn fingerprint_format() {
        // SHA-256 of the empty string, as OpenSSH would print it.
        assert_eq!(
            fingerprint_sha256(b""),
            "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        let fp = fingerprint_sha256(b"any key blob");
        assert!(fp.starts_with("SHA256:"));
        assert_eq!(fp.len(), 7 + 43);
        assert!(!fp.ends_with('='));
    }

    #[test]
    fn mpints() {
        assert_eq!(mpint_32(&[], "r").unwrap(), [0; 32]);
        assert_eq!(mpint_32(&[1], "r").unwrap()[31], 1);
        let mut v = vec![0u8];
        v.extend_from_slice(&[0x80; 32]);
        assert_eq!(mpint_32(&v, "r").unwrap(), [0x80; 32]);
        assert!(mpint_32(&[0x80], "r").is_err());
        assert!(mpint_32(&[0, 1], "r").is_err());
        assert!(mpint_32(&[1; 33], "r").is_err());
    }

    #[test]
    fn verify_rejects_mismatched_types_without_panicking() {
        assert!(verify(ED25519, &[], &[], b"h").is_err());
        assert!(verify(ED25519, &[0, 0, 0, 1], &[], b"h").is_err());
        let mut k = crate::ssh::wire::Writer::default();
        k.string(b"ssh-ed25519").string(&[0u8; 32]);
        let k = k.into_vec();
        let mut s = crate::ssh::wire::Writer::default();
        s.string(b"ssh-ed25519").string(&[0u8; 63]);
        let err = verify(ED25519, &k, &s.into_vec(), b"h").unwrap_err();
        assert!(err.contains("63 bytes"), "{err}");
        assert!(verify(ECDSA_P256, &k, &[], b"h")
            .unwrap_err()
            .contains("type"));
    }
}
