//! Round-3 CRYSTALS-Kyber768 (the KEM inside the legacy X25519Kyber768Draft00 group):
//! reproduce the first record of the NIST round-3 known-answer file
//! `PQCkemKAT_2400.rsp` with pqhkex's Kyber768 component, and compare the SHA-256 of the
//! record's six lines with the published digest.
//!
//! The KAT generator (`PQCgenKAT_kem.c` in the submission package) draws randomness
//! from NIST's AES-256-CTR DRBG (`rng.c`): seeded with the bytes 0x00..0x2f it yields
//! the 48-byte `seed` of record 0; re-seeded with that `seed`, its successive
//! `randombytes` calls give the key-generation `d` (32 bytes), then `z` (32), then
//! the encapsulation randomness (32). The DRBG below is written from that description
//! with RustCrypto's `aes` crate.
#![cfg(feature = "legacy-kyber")]

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes256;
use pqhkex::{groups, hazmat, Algorithm};
use sha2::{Digest, Sha256};

/// NIST's AES-256-CTR DRBG without derivation function or prediction resistance, as
/// used by every round-3 KAT generator.
struct CtrDrbg {
    key: [u8; 32],
    v: [u8; 16],
}

impl CtrDrbg {
    /// `randombytes_init(entropy, NULL, 256)`: Key = 0, V = 0, then Update(entropy).
    fn new(entropy: &[u8; 48]) -> Self {
        let mut drbg = CtrDrbg {
            key: [0; 32],
            v: [0; 16],
        };
        drbg.update(Some(entropy));
        drbg
    }

    /// V = V + 1 as a 128-bit big-endian integer.
    fn increment_v(&mut self) {
        for byte in self.v.iter_mut().rev() {
            let (next, carry) = byte.overflowing_add(1);
            *byte = next;
            if !carry {
                break;
            }
        }
    }

    fn encrypt_v(&self) -> [u8; 16] {
        let cipher = Aes256::new(GenericArray::from_slice(&self.key));
        let mut block = GenericArray::clone_from_slice(&self.v);
        cipher.encrypt_block(&mut block);
        block.into()
    }

    /// `AES256_CTR_DRBG_Update`: three counter blocks, xored with the provided data,
    /// become the new Key ‖ V.
    fn update(&mut self, provided: Option<&[u8; 48]>) {
        let mut temp = [0u8; 48];
        for chunk in temp.chunks_mut(16) {
            self.increment_v();
            chunk.copy_from_slice(&self.encrypt_v());
        }
        if let Some(data) = provided {
            for (t, d) in temp.iter_mut().zip(data) {
                *t ^= d;
            }
        }
        self.key.copy_from_slice(&temp[..32]);
        self.v.copy_from_slice(&temp[32..]);
    }

    /// `randombytes(out, len)`: counter blocks, then an Update with no data.
    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(16) {
            self.increment_v();
            let block = self.encrypt_v();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        self.update(None);
    }
}

/// The DRBG itself against the first `seed` line of every round-3 KAT file (they all
/// start from the same 0x00..0x2f entropy).
#[test]
fn nist_ctr_drbg_first_seed() {
    let entropy: [u8; 48] = core::array::from_fn(|i| i as u8);
    let mut drbg = CtrDrbg::new(&entropy);
    let mut seed = [0u8; 48];
    drbg.fill(&mut seed);
    assert_eq!(
        hex::encode_upper(seed),
        "061550234D158C5EC95595FE04EF7A25767F2E24CC2BC479D09D86DC9ABCFDE7056A8C266F9EF97ED08541DBD2E1FFA1"
    );
}

#[test]
fn kyber768_round3_kat_record_0() {
    let entropy: [u8; 48] = core::array::from_fn(|i| i as u8);
    let mut outer = CtrDrbg::new(&entropy);
    let mut seed = [0u8; 48];
    outer.fill(&mut seed);

    // Record 0: re-seed with `seed`, then keypair (d, then z) and encapsulation.
    let mut drbg = CtrDrbg::new(&seed);
    let mut keygen_seed = [0u8; 64];
    drbg.fill(&mut keygen_seed[..32]);
    drbg.fill(&mut keygen_seed[32..]);
    let mut enc_seed = [0u8; 32];
    drbg.fill(&mut enc_seed);

    let (sk, pk) = hazmat::keygen(Algorithm::Kyber768, &keygen_seed).unwrap();
    let (ct, ss) = hazmat::encapsulate(Algorithm::Kyber768, &pk, &enc_seed).unwrap();
    let ss_dec = hazmat::decapsulate(Algorithm::Kyber768, &sk, &ct).unwrap();
    assert_eq!(&ss[..], &ss_dec[..]);

    let record = format!(
        "count = 0\nseed = {}\npk = {}\nsk = {}\nct = {}\nss = {}\n",
        hex::encode_upper(seed),
        hex::encode_upper(&pk),
        hex::encode_upper(&sk[..]),
        hex::encode_upper(&ct),
        hex::encode_upper(&ss[..]),
    );
    assert_eq!(
        hex::encode(Sha256::digest(record.as_bytes())),
        "89e82a5bf2d4ddb2c6444e10409e6d9ca65dafbca67d1a0db2c9b54920a29172"
    );

    // The same Kyber768 key through the X25519Kyber768Draft00 group, where it is the
    // second component: the group's client share ends with this `pk`.
    let x25519_seed = [7u8; 32];
    let client = hazmat::client_start(
        &groups::X25519KYBER768DRAFT00,
        &[&x25519_seed, &keygen_seed],
    )
    .unwrap();
    assert_eq!(&client.share()[32..], &pk[..]);
}
