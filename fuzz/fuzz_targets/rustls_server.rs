//! A rustls server whose key exchange is every pqhkex group, fed arbitrary bytes after
//! a valid ClientHello prefix.
//!
//! Input: mode byte ‖ rest. Bit 0 of the mode byte picks how `rest` is used, the other
//! seven bits pick the server (`pqhkex_fuzz::server_config`: one group, or all).
//! * even mode: `rest` becomes the ClientHello's whole `client_shares` list (arbitrary
//!   KeyShareEntry bytes) inside an otherwise valid ClientHello, all lengths fixed up,
//!   so the bytes reach the key-share parsing and pqhkex's server side;
//! * odd mode: the first two bytes of `rest` choose a cut point in the valid
//!   ClientHello record; the bytes before it are sent, then the remaining input as is.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let hello = pqhkex_fuzz::client_hello();
    if mode & 1 == 0 {
        if let Some(record) = pqhkex_fuzz::with_key_shares(hello, rest) {
            let _ = pqhkex_fuzz::serve(mode >> 1, &record);
        }
    } else {
        let (cut, tail) = match rest {
            [a, b, tail @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), tail),
            _ => return,
        };
        let mut input = hello[..cut % (hello.len() + 1)].to_vec();
        input.extend_from_slice(tail);
        let _ = pqhkex_fuzz::serve(mode >> 1, &input);
    }
});
