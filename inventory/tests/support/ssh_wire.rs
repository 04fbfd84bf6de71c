//! Builders for the unencrypted SSH messages that test servers send: the binary
//! packet (RFC 4253 §6) and SSH_MSG_KEXINIT (RFC 4253 §7.1). Shared by the inventory's
//! SSH tests and the CLI's end-to-end tests (included there with `#[path]`).
#![allow(dead_code)]

/// Frames a payload as an unencrypted SSH packet (RFC 4253 §6): length, padding
/// length, payload, then 4 or more bytes of padding to a multiple of 8 bytes in all.
pub fn packet(payload: &[u8]) -> Vec<u8> {
    let mut padding = 8 - ((5 + payload.len()) % 8);
    if padding < 4 {
        padding += 8;
    }
    let mut out = ((1 + payload.len() + padding) as u32)
        .to_be_bytes()
        .to_vec();
    out.push(padding as u8);
    out.extend_from_slice(payload);
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

/// Appends an SSH `string` (RFC 4251 §5): a big-endian u32 length, then the bytes.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// An SSH_MSG_KEXINIT payload offering `kex` and `host_keys` (comma-separated name
/// lists), one fixed cipher, MAC and compression each way, no guessed packet.
pub fn kexinit(kex: &str, host_keys: &str) -> Vec<u8> {
    kexinit_guess(kex, host_keys, false)
}

/// [`kexinit`] with `first_kex_packet_follows` set as given.
pub fn kexinit_guess(kex: &str, host_keys: &str, first_kex_packet_follows: bool) -> Vec<u8> {
    let mut p = vec![20];
    p.extend_from_slice(&[0x42; 16]); // cookie
    for list in [
        kex,
        host_keys,
        "aes128-ctr",
        "aes128-ctr",
        "hmac-sha2-256",
        "hmac-sha2-256",
        "none",
        "none",
        "",
        "",
    ] {
        string(&mut p, list.as_bytes());
    }
    p.push(u8::from(first_kex_packet_follows));
    p.extend_from_slice(&[0; 4]); // reserved
    p
}
