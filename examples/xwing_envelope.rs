//! Envelope encryption with X-Wing and an AEAD: seal a message to a recipient's
//! published X-Wing key, so that only the holder of the matching decapsulation key can
//! open it — and it stays confidential if either X25519 or ML-KEM-768 holds.
//!
//! Envelope format (version 1):
//!
//! ```text
//! 0x01 ‖ X-Wing ciphertext (1120 bytes) ‖ ChaCha20-Poly1305(message) ‖ tag (16 bytes)
//! ```
//!
//! The AEAD key and nonce come from HKDF-SHA-256 over the X-Wing shared secret, with
//! the recipient's encapsulation key and the X-Wing ciphertext in the `info`, so an
//! envelope is bound to the key it was sealed to. Every envelope has a fresh KEM secret,
//! hence a fresh AEAD key: the nonce never repeats under one key. The version byte and
//! the ciphertext are the AEAD's associated data.
//!
//! Run with `cargo run --example xwing_envelope`.

use hkdf::Hkdf;
use pqhkex::kem_api::{Ciphertext, DecapsulationKey, EncapsulationKey, Kem, SharedSecret, XWing};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The envelope format's version byte.
const VERSION: u8 = 1;
/// HKDF `info` prefix: names the protocol and its version.
const INFO_LABEL: &[u8] = b"pqhkex example: X-Wing envelope v1";
/// Length of the AEAD tag.
const TAG_LEN: usize = 16;

/// Why an envelope could not be opened.
#[derive(Debug)]
enum OpenError {
    /// Not an envelope of this format (too short, or another version).
    Malformed,
    /// The KEM refused an input.
    Kem(pqhkex::Error),
    /// Authentication failed: the envelope was modified, or sealed to another key.
    Forged,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Malformed => f.write_str("not a version-1 X-Wing envelope"),
            OpenError::Kem(e) => write!(f, "KEM error: {e}"),
            OpenError::Forged => f.write_str("authentication failed"),
        }
    }
}

impl std::error::Error for OpenError {}

/// Derives the AEAD key and nonce from the KEM secret, bound to the recipient's key and
/// the KEM ciphertext.
fn derive(
    ss: &SharedSecret,
    ek: &EncapsulationKey<XWing>,
    ct: &Ciphertext<XWing>,
) -> (LessSafeKey, Nonce) {
    let hkdf = Hkdf::<Sha256>::new(None, ss.as_bytes());
    let mut okm = Zeroizing::new([0u8; 32 + NONCE_LEN]);
    hkdf.expand_multi_info(&[INFO_LABEL, ek.as_bytes(), ct.as_bytes()], &mut okm[..])
        .expect("44 bytes is a valid HKDF-SHA-256 output length");
    let key = UnboundKey::new(&CHACHA20_POLY1305, &okm[..32])
        .expect("32 bytes is the ChaCha20-Poly1305 key length");
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&okm[32..]);
    (LessSafeKey::new(key), Nonce::assume_unique_for_key(nonce))
}

/// Seals `message` to the recipient's encapsulation key.
fn seal(recipient: &EncapsulationKey<XWing>, message: &[u8]) -> Result<Vec<u8>, pqhkex::Error> {
    let (ct, ss) = recipient.encapsulate()?;
    let (key, nonce) = derive(&ss, recipient, &ct);
    let mut envelope = Vec::with_capacity(1 + XWing::CIPHERTEXT_LEN + message.len() + TAG_LEN);
    envelope.push(VERSION);
    envelope.extend_from_slice(ct.as_bytes());
    let mut body = message.to_vec();
    key.seal_in_place_append_tag(nonce, Aad::from(&envelope[..]), &mut body)
        .expect("ChaCha20-Poly1305 seals any message shorter than 256 GiB");
    envelope.extend_from_slice(&body);
    Ok(envelope)
}

/// Opens an envelope with the recipient's decapsulation key.
fn open(recipient: &DecapsulationKey<XWing>, envelope: &[u8]) -> Result<Vec<u8>, OpenError> {
    let header_len = 1 + XWing::CIPHERTEXT_LEN;
    if envelope.len() < header_len + TAG_LEN || envelope[0] != VERSION {
        return Err(OpenError::Malformed);
    }
    let (header, body) = envelope.split_at(header_len);
    let ct = Ciphertext::<XWing>::from_bytes(&header[1..]).map_err(OpenError::Kem)?;
    // A modified ciphertext does not fail here (implicit rejection): it yields an
    // unrelated secret, and the AEAD tag check below fails.
    let ss = recipient.decapsulate(&ct).map_err(OpenError::Kem)?;
    let (key, nonce) = derive(&ss, recipient.encapsulation_key(), &ct);
    let mut body = body.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(header), &mut body)
        .map_err(|_| OpenError::Forged)?;
    Ok(plain.to_vec())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The recipient makes a key pair once, keeps the 32-byte decapsulation key, and
    // publishes the 1216-byte encapsulation key.
    let recipient = DecapsulationKey::<XWing>::generate()?;
    let stored_private_key = Zeroizing::new(recipient.as_bytes().to_vec());
    let published = recipient.encapsulation_key().as_bytes().to_vec();
    println!(
        "recipient: X-Wing key pair (private {} bytes, public {} bytes)",
        stored_private_key.len(),
        published.len()
    );

    // A sender seals a message to the published key.
    let recipient_key = EncapsulationKey::<XWing>::from_bytes(&published)?;
    let message = b"quarterly numbers: attached. -- sent over an untrusted relay";
    let envelope = seal(&recipient_key, message)?;
    println!(
        "sender: sealed {} message bytes into a {}-byte envelope (overhead {})",
        message.len(),
        envelope.len(),
        envelope.len() - message.len()
    );

    // The recipient, later, loads its private key and opens the envelope.
    let loaded = DecapsulationKey::<XWing>::from_bytes(&stored_private_key)?;
    let opened = open(&loaded, &envelope)?;
    assert_eq!(opened, message);
    println!("recipient: opened: {:?}", String::from_utf8_lossy(&opened));

    // Tampering with the KEM ciphertext or the body is detected.
    let mut tampered = envelope.clone();
    tampered[1 + 100] ^= 0x01;
    assert!(matches!(open(&loaded, &tampered), Err(OpenError::Forged)));
    let mut tampered = envelope.clone();
    *tampered.last_mut().expect("non-empty") ^= 0x80;
    assert!(matches!(open(&loaded, &tampered), Err(OpenError::Forged)));
    // Another recipient's key cannot open it.
    let stranger = DecapsulationKey::<XWing>::generate()?;
    assert!(matches!(open(&stranger, &envelope), Err(OpenError::Forged)));
    println!("tampered envelopes and a wrong key are refused");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trip_and_forgeries() {
        let recipient = DecapsulationKey::<XWing>::generate().unwrap();
        for len in [0usize, 1, 63, 64, 1000] {
            let message: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let envelope = seal(recipient.encapsulation_key(), &message).unwrap();
            assert_eq!(envelope.len(), 1 + 1120 + len + TAG_LEN);
            assert_eq!(open(&recipient, &envelope).unwrap(), message);
            // Every byte of the header and body is authenticated.
            for i in [0usize, 1, 1088, 1 + 1119, 1121, envelope.len() - 1] {
                let mut t = envelope.clone();
                t[i] ^= 0x04;
                assert!(open(&recipient, &t).is_err(), "flip at {i} accepted");
            }
            assert!(matches!(
                open(&recipient, &envelope[..envelope.len() - 1]),
                Err(OpenError::Forged) | Err(OpenError::Malformed)
            ));
        }
        assert!(matches!(
            open(&recipient, &[VERSION; 10]),
            Err(OpenError::Malformed)
        ));
        // Two envelopes of one message differ (fresh KEM randomness every time).
        let a = seal(recipient.encapsulation_key(), b"same").unwrap();
        let b = seal(recipient.encapsulation_key(), b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn main_runs() {
        main().unwrap();
    }
}
