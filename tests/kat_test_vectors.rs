//! Replays the committed `test-vectors/*.json` corpus (see `test-vectors/README.md`):
//! for every group compiled into this build, every vector's client share, server
//! share, combined secret and TLS 1.3 handshake secrets must come out byte for byte.

use std::path::PathBuf;

use pqhkex::{groups, hazmat, Group};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("a hex string")).expect("valid hex")
}

/// RFC 8446 §7.1 handshake secret: HKDF-Extract(Derive-Secret(HKDF-Extract(0, 0),
/// "derived", ""), shared), written out here independently of the generator.
macro_rules! handshake_secret {
    ($hash:ident, $shared:expr) => {{
        use sha2::Digest;
        let n = sha2::$hash::output_size();
        let (_, early) = hkdf::Hkdf::<sha2::$hash>::extract(Some(&vec![0u8; n]), &vec![0u8; n]);
        let mut info = (n as u16).to_be_bytes().to_vec();
        info.push(13);
        info.extend_from_slice(b"tls13 derived");
        info.push(n as u8);
        info.extend_from_slice(&sha2::$hash::digest([]));
        let mut salt = vec![0u8; n];
        early.expand(&info, &mut salt).unwrap();
        hkdf::Hkdf::<sha2::$hash>::extract(Some(&salt), $shared)
            .0
            .to_vec()
    }};
}

fn replay(g: &'static Group) -> usize {
    let path = dir().join(format!("{}.json", g.name));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run examples/gen_vectors.rs)", path.display()));
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["group"], g.name);
    assert_eq!(file["code"], format!("0x{:04x}", g.code));
    let vectors = file["vectors"].as_array().unwrap();
    assert!(!vectors.is_empty(), "{}: no vectors", g.name);
    for (i, v) in vectors.iter().enumerate() {
        let seeds =
            |key: &str| -> Vec<Vec<u8>> { v[key].as_array().unwrap().iter().map(unhex).collect() };
        let client_seeds = seeds("client_keygen_seeds");
        let server_seeds = seeds("server_encaps_seeds");
        let cs: Vec<&[u8]> = client_seeds.iter().map(|s| &s[..]).collect();
        let ss: Vec<&[u8]> = server_seeds.iter().map(|s| &s[..]).collect();
        let client_share = unhex(&v["client_share"]);
        let server_share = unhex(&v["server_share"]);
        let secret = unhex(&v["shared_secret"]);
        assert_eq!(client_share.len(), g.client_share_len());
        assert_eq!(server_share.len(), g.server_share_len());
        assert_eq!(secret.len(), g.secret_len());

        let client = hazmat::client_start(g, &cs).unwrap();
        assert_eq!(
            client.share(),
            &client_share[..],
            "{} #{i}: client share",
            g.name
        );
        let (share, server_secret) = hazmat::server_encapsulate(g, &client_share, &ss).unwrap();
        assert_eq!(share, server_share, "{} #{i}: server share", g.name);
        assert_eq!(
            &server_secret[..],
            &secret[..],
            "{} #{i}: server secret",
            g.name
        );
        let client_secret = client.complete(&server_share).unwrap();
        assert_eq!(
            &client_secret[..],
            &secret[..],
            "{} #{i}: client secret",
            g.name
        );
        assert_eq!(
            handshake_secret!(Sha256, &secret),
            unhex(&v["handshake_secret_sha256"]),
            "{} #{i}",
            g.name
        );
        assert_eq!(
            handshake_secret!(Sha384, &secret),
            unhex(&v["handshake_secret_sha384"]),
            "{} #{i}",
            g.name
        );
    }
    vectors.len()
}

#[test]
fn replay_every_group() {
    let mut total = 0;
    for g in groups::ALL {
        let n = replay(g);
        println!("test-vectors/{}.json: {n} vectors replayed", g.name);
        total += n;
    }
    assert!(total >= groups::ALL.len());
}

/// Every file in test-vectors/ belongs to a group (the legacy one only exists with
/// the `legacy-kyber` feature), so none is silently left unreplayed.
#[test]
fn no_unreplayed_files() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(group) = name.strip_suffix(".json") else {
            continue;
        };
        let known = groups::ALL.iter().any(|g| g.name == group);
        let legacy_off = group == "X25519Kyber768Draft00" && !cfg!(feature = "legacy-kyber");
        assert!(known || legacy_off, "test-vectors/{name} matches no group");
    }
}
