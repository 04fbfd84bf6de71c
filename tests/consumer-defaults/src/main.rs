//! A user's existing rustls + hyper-rustls code with pqhkex added at its defaults. Every
//! step here panics inside rustls if pqhkex switched on a second rustls provider.

use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

fn main() {
    // 1. Existing code on rustls's process-default provider path.
    let _plain = ClientConfig::builder()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    println!("rustls::ClientConfig::builder(): ok");

    // 2. An SDK transport: a hyper-rustls connector built through the same path.
    let _connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    println!("hyper-rustls connector (webpki roots): ok");
    // `with_native_roots` goes through `ClientConfig::builder()` too; finding no system
    // roots is an error, not a panic, and either answer is fine here.
    match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
        Ok(_) => println!("hyper-rustls connector (native roots): ok"),
        Err(e) => println!("hyper-rustls connector (native roots): no roots here ({e})"),
    }

    // 3. pqhkex on the provider the user already has, against a server built on rustls's
    //    default path: the handshake negotiates X25519MLKEM768 in memory.
    let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = key.cert.der().clone();
    let der = PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap();
    let server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], der)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = pqhkex::client_config_builder(
        rustls::crypto::aws_lc_rs::default_provider(),
        pqhkex::Policy::RequirePostQuantum,
    )
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();

    let name = ServerName::try_from("localhost").unwrap();
    let mut c = ClientConnection::new(Arc::new(client), name).unwrap();
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    for _ in 0..10 {
        if !c.is_handshaking() && !s.is_handshaking() {
            break;
        }
        let mut buf = Vec::new();
        c.write_tls(&mut buf).unwrap();
        s.read_tls(&mut &buf[..]).unwrap();
        s.process_new_packets().unwrap();
        buf.clear();
        s.write_tls(&mut buf).unwrap();
        c.read_tls(&mut &buf[..]).unwrap();
        c.process_new_packets().unwrap();
    }
    assert!(!c.is_handshaking(), "handshake did not complete");
    let report = pqhkex::ConnectionReport::from_connection(&c);
    assert!(report.post_quantum, "{report:?}");
    assert_eq!(report.group_code, Some(0x11ec), "{report:?}");
    println!("pqhkex client -> default-provider rustls server: {report}");

    // 4. pqhkex-inventory at its defaults, on the user's provider: it switches on no
    //    rustls provider either (steps 1 and 2 would have panicked), and it scans.
    let scanner = pqhkex_inventory::Scanner::new(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .expect("scanner on the user's provider");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let r = scanner.scan_target(&pqhkex_inventory::Target::parse(&closed.to_string()).unwrap());
    assert_eq!(r.classification, pqhkex_inventory::Class::Unreachable, "{r:?}");
    println!("pqhkex-inventory scanner on the user's provider: {} {}", r.target, r.classification);
    println!("consumer-defaults: all ok");
}
