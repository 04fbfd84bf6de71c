//! Writes the committed seed corpora in fuzz/seeds/<target>/ from real shares:
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus`.

use std::path::PathBuf;

use pqhkex::groups;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    let mut all_entries = Vec::new();
    for (i, g) in groups::ALL.iter().enumerate() {
        let selector = i as u8;
        let client_share = pqhkex_fuzz::client(g).share().to_vec();
        let server_share = pqhkex_fuzz::server_share(g);
        let with_selector = |share: &[u8]| [&[selector][..], share].concat();
        write(
            "server_share",
            &format!("{}", g.name),
            &with_selector(&client_share),
        );
        write(
            "client_share",
            &format!("{}", g.name),
            &with_selector(&server_share),
        );
        let entry = pqhkex_fuzz::key_share_entry(g.code, &client_share);
        // The harness check: a ClientHello carrying this real share is answered with a
        // ServerHello (the server negotiated the group), not an error. TLS 1.2 is
        // offered too, so classical groups may be negotiated there as well.
        let hello = pqhkex_fuzz::with_key_shares(pqhkex_fuzz::client_hello(), &entry).unwrap();
        let (error, reply) = pqhkex_fuzz::serve(selector, &hello);
        assert!(error.is_none(), "{}: {error:?}", g.name);
        assert_eq!(reply.first(), Some(&0x16), "{}: no ServerHello", g.name);
        let (selected, share_len) = server_key_share(&reply).expect("a key_share extension");
        assert_eq!(
            selected, g.code,
            "{}: the server chose another group",
            g.name
        );
        assert_eq!(share_len, g.server_share_len(), "{}", g.name);
        write(
            "rustls_server",
            &format!("shares-{}", g.name),
            &[&[selector << 1][..], &entry].concat(),
        );
        all_entries.extend(entry);
    }
    // Every share, to the server that supports every group.
    let all = (groups::ALL.len() as u8) << 1;
    write(
        "rustls_server",
        "shares-all",
        &[&[all][..], &all_entries].concat(),
    );
    // Odd mode: the whole valid ClientHello, nothing after it, and a truncation.
    let len = pqhkex_fuzz::client_hello().len() as u16;
    write(
        "rustls_server",
        "prefix-full",
        &[&[all | 1][..], &len.to_be_bytes()].concat(),
    );
    write(
        "rustls_server",
        "prefix-half",
        &[&[all | 1][..], &(len / 2).to_be_bytes()].concat(),
    );
    println!("wrote seed corpora under {}", root.display());
}

/// The (group, share length) of the key_share extension of the ServerHello that opens
/// `reply`.
fn server_key_share(reply: &[u8]) -> Option<(u16, usize)> {
    let u16_at = |i: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes([
            *reply.get(i)?,
            *reply.get(i + 1)?,
        ])))
    };
    let mut i = 5 + 4 + 2 + 32;
    i += 1 + usize::from(*reply.get(i)?) + 2 + 1; // session id, cipher suite, compression
    let end = i + 2 + u16_at(i)?;
    i += 2;
    while i + 4 <= end {
        if u16_at(i)? == 51 {
            return Some((u16_at(i + 4)? as u16, u16_at(i + 6)?));
        }
        i += 4 + u16_at(i + 2)?;
    }
    None
}
