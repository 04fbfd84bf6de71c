//! The server side of a scripted SSH peer: reading what the probe sends (its
//! identification line and unencrypted packets, RFC 4253 §4.2 and §6), building host key
//! blobs (RFC 4253 §6.6), and OpenSSH's SHA-256 fingerprint of one, computed here
//! independently of the scanner's.
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;

use sha2::{Digest, Sha256};

/// Reads the client's identification line, up to and including LF.
pub fn read_line(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while line.len() < 256 {
        s.read_exact(&mut b).ok()?;
        line.push(b[0]);
        if b[0] == b'\n' {
            return Some(line);
        }
    }
    None
}

/// Reads one unencrypted packet and returns its payload.
pub fn read_payload(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let len = u32::from_be_bytes(len) as usize;
    if !(5..=35000).contains(&len) {
        return None;
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    let padding = body[0] as usize;
    body.get(1..len.checked_sub(padding)?).map(<[u8]>::to_vec)
}

/// The SSH `string`s at the start of `buf` (after `skip` bytes), as many as there are.
pub fn strings(buf: &[u8], skip: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = skip;
    while at + 4 <= buf.len() {
        let n = u32::from_be_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
        let Some(s) = buf.get(at + 4..at + 4 + n) else {
            break;
        };
        out.push(s.to_vec());
        at += 4 + n;
    }
    out
}

/// The comma-separated name-lists of a KEXINIT payload (after the message number and
/// the 16-byte cookie).
pub fn kexinit_lists(payload: &[u8]) -> Vec<String> {
    strings(payload, 17)
        .into_iter()
        .take(10)
        .map(|s| String::from_utf8(s).unwrap())
        .collect()
}

/// An `ssh-rsa` key blob (RFC 4253 §6.6) with exponent 65537 and a modulus of exactly
/// `bits` bits (its top bit set, so the mpint gets a leading zero byte when `bits` is a
/// multiple of 8). Not a real key: the scanner only reads it.
pub fn rsa_blob(bits: usize) -> Vec<u8> {
    let bytes = bits.div_ceil(8);
    let mut n = vec![0xa5u8; bytes];
    let top_bits = bits - (bytes - 1) * 8;
    n[0] = 0xa5 & ((1u16 << top_bits) - 1) as u8 | (1 << (top_bits - 1));
    let mut mpint = Vec::new();
    if n[0] & 0x80 != 0 {
        mpint.push(0);
    }
    mpint.extend_from_slice(&n);
    let mut out = Vec::new();
    for field in [&b"ssh-rsa"[..], &[1, 0, 1], &mpint] {
        out.extend_from_slice(&(field.len() as u32).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// OpenSSH's fingerprint of a key blob: `SHA256:` and the unpadded standard base64 of
/// its SHA-256.
pub fn fingerprint(blob: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digest = Sha256::digest(blob);
    let mut out = String::from("SHA256:");
    let mut bits = 0u32;
    let mut n = 0;
    for &byte in digest.iter() {
        bits = (bits << 8) | u32::from(byte);
        n += 8;
        while n >= 6 {
            n -= 6;
            out.push(A[((bits >> n) & 63) as usize] as char);
        }
    }
    if n > 0 {
        out.push(A[((bits << (6 - n)) & 63) as usize] as char);
    }
    out
}
