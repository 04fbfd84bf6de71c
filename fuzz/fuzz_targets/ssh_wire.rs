//! The scanner's SSH client against arbitrary server bytes: the identification line
//! (RFC 4253 §4.2), binary packets (§6), KEXINIT (§7.1), and the
//! mlkem768x25519-sha256 reply with its host-key signature
//! (draft-ietf-sshm-mlkem-hybrid-kex), all read from memory.
//! Input: everything the server sends, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqhkex_inventory::ssh::{probe_transcript, VerificationStatus};

fuzz_target!(|data: &[u8]| {
    pqhkex_fuzz::check_forced_backend();
    match probe_transcript(data) {
        Ok(report) => {
            // The client's key share is fresh: no recorded or made-up reply can sign
            // an exchange hash that includes it.
            assert_ne!(report.verification.status, VerificationStatus::Verified);
            // RFC 4253 §4.2: at most 255 bytes; each byte is at most one character of
            // the report (bytes that are not UTF-8 become U+FFFD).
            assert!(
                report.banner.chars().count() <= 255,
                "identification line past RFC 4253 §4.2's 255"
            );
            if let Some(d) = &report.verification.detail {
                assert!(d.len() <= 4096, "unbounded detail: {} bytes", d.len());
            }
        }
        Err(e) => {
            assert!(!e.kind().is_empty());
            let text = e.to_string();
            assert!(
                text.len() <= 4096,
                "unbounded error text: {} bytes",
                text.len()
            );
        }
    }
});
