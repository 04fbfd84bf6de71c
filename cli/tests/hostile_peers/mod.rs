//! Hostile, slow and broken peers on loopback, one per [`Scenario`], for the
//! verdict tests (`tests/hostile.rs`, `tests/hostile_slow.rs`) and for
//! `examples/hostile_peer.rs`, which serves one of them by name so that any `pqhkex`
//! binary (an older one, say) can be measured against it.
//!
//! Each peer is either a real TLS stack misconfigured or misused (rustls, the vendored
//! OpenSSL 3.6) or a small script that writes exactly the bytes a broken server would.
//! Every connection runs on its own thread and ends when the client goes away; nothing
//! here waits without a bound on the client.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[path = "../../../inventory/tests/support/ssh_wire.rs"]
mod ssh_wire;

/// What the peer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// A post-quantum TLS server (rustls + pqhkex, hybrids then classical) that, after
    /// the handshake, sends one byte of application data every 0.5 s and never closes.
    StreamAfterHandshake,
    /// The same server behind a proxy that passes the server's bytes on one per second:
    /// a ServerHello takes minutes.
    Slowloris,
    /// The post-quantum server for the first connection; every later connection is
    /// closed at once without a byte.
    FirstConnectionOnly,
    /// Answers every ClientHello with a fatal protocol_version alert in a TLS 1.0
    /// record, as a TLS 1.0/1.1-only server does.
    Tls10Only,
    /// A TLS 1.3 ServerHello whose key share is for x448 (0x001e), which no probe offers.
    UnofferedGroup,
    /// A HelloRetryRequest for the group the client already sent a share for (RFC 8446
    /// §4.1.4 forbids it).
    IllegalHelloRetry,
    /// A legal HelloRetryRequest where one is possible, then a second one for the
    /// second ClientHello (RFC 8446 §4.1.4: a client MUST abort on a second HRR);
    /// illegal HelloRetryRequests otherwise.
    SecondHelloRetry,
    /// A fatal handshake_failure alert for every ClientHello, whatever it offers.
    HandshakeFailure,
    /// Thousands of warning alerts and nothing else.
    WarningAlertFlood,
    /// The vendored OpenSSL 3.6 as a TLS 1.3 server with an Ed448 certificate (which
    /// the scanner's rustls provider cannot verify), its default groups.
    Ed448Certificate,
    /// The vendored OpenSSL 3.6 as a TLS 1.3 server whose certificate chain is about
    /// 106 KB (more than the 64 KB a TLS handshake message may have in rustls).
    LargeChain,
    /// A rustls server whose Certificate message is 16 MB.
    HugeCertificate,
    /// The post-quantum TLS server with a certificate whose subject holds terminal
    /// escape sequences.
    EscapeSubject,
    /// An SSH server offering mlkem768x25519-sha256 that answers the hybrid init with a
    /// reply whose K_S string runs past the end of the message.
    SshBrokenReply,
    /// An SSH server that runs mlkem768x25519-sha256 for real but signs the exchange
    /// hash wrongly.
    SshBadSignature,
    /// An SSH server whose identification line carries terminal escape sequences.
    SshEscapeBanner,
    /// An SSH server that answers our KEXINIT with a DISCONNECT whose text is 30,000
    /// bytes long.
    SshLongDisconnect,
}

impl Scenario {
    /// Every scenario, for the example's usage text.
    pub const ALL: &'static [Scenario] = &[
        Scenario::StreamAfterHandshake,
        Scenario::Slowloris,
        Scenario::FirstConnectionOnly,
        Scenario::Tls10Only,
        Scenario::UnofferedGroup,
        Scenario::IllegalHelloRetry,
        Scenario::SecondHelloRetry,
        Scenario::HandshakeFailure,
        Scenario::WarningAlertFlood,
        Scenario::Ed448Certificate,
        Scenario::LargeChain,
        Scenario::HugeCertificate,
        Scenario::EscapeSubject,
        Scenario::SshBrokenReply,
        Scenario::SshBadSignature,
        Scenario::SshEscapeBanner,
        Scenario::SshLongDisconnect,
    ];

    /// The scenario's name in kebab case (`stream-after-handshake`).
    pub fn name(self) -> String {
        let debug = format!("{self:?}");
        let mut out = String::new();
        for (i, c) in debug.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('-');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The scenario named `name`.
    pub fn by_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// Whether the peer is an SSH server (scan it as `ssh://`).
    pub fn is_ssh(self) -> bool {
        self.name().starts_with("ssh-")
    }
}

/// A running peer; dropping it stops accepting (connections in progress end when
/// their client leaves).
pub struct Peer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    /// Servers this peer relies on (the proxied server of [`Scenario::Slowloris`]).
    _inner: Vec<Peer>,
}

impl Peer {
    /// `127.0.0.1:PORT`, or `ssh://127.0.0.1:PORT` for SSH peers.
    pub fn target(&self, scenario: Scenario) -> String {
        if scenario.is_ssh() {
            format!("ssh://{}", self.addr)
        } else {
            self.addr.to_string()
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Starts the peer of `scenario` on 127.0.0.1, any free port.
pub fn start(scenario: Scenario) -> Peer {
    match scenario {
        Scenario::StreamAfterHandshake => serve(rustls_pq(|conn, sock| {
            let mut tls = rustls::Stream::new(conn, sock);
            while tls.write_all(b".").is_ok() {
                std::thread::sleep(Duration::from_millis(500));
            }
        })),
        Scenario::Slowloris => {
            let upstream = serve(rustls_pq(|_, _| {}));
            let to = upstream.addr;
            let mut peer = serve(move |client, _| trickle(client, to));
            peer._inner.push(upstream);
            peer
        }
        Scenario::FirstConnectionOnly => {
            let first = rustls_pq(|_, _| {});
            serve(move |sock, n| {
                if n == 1 {
                    first(sock, n)
                }
                // Later connections: dropped without a byte.
            })
        }
        Scenario::Tls10Only => scripted(|sock, _hello| {
            // RFC 2246 §7.2: alert(level fatal = 2, protocol_version = 70) in a TLS 1.0 record.
            let _ = sock.write_all(&[21, 3, 1, 0, 2, 2, 70]);
        }),
        Scenario::UnofferedGroup => scripted(|sock, hello| {
            let share = [0x5a; 56]; // an x448 public value's length (RFC 7748 §6.2)
            let _ = sock.write_all(&server_hello(&hello.session_id, false, 0x001e, &share));
        }),
        Scenario::IllegalHelloRetry => scripted(|sock, hello| {
            let group = hello.key_shares.first().copied().unwrap_or(0x001d);
            let _ = sock.write_all(&server_hello(&hello.session_id, true, group, &[]));
        }),
        Scenario::SecondHelloRetry => scripted(|sock, hello| {
            let legal = hello
                .groups
                .iter()
                .copied()
                .find(|g| !hello.key_shares.contains(g));
            let group = legal.unwrap_or(hello.groups.first().copied().unwrap_or(0x001d));
            if sock
                .write_all(&server_hello(&hello.session_id, true, group, &[]))
                .is_err()
            {
                return;
            }
            // The second ClientHello, answered with a second HelloRetryRequest.
            if let Ok(again) = read_client_hello(sock) {
                let _ = sock.write_all(&server_hello(&again.session_id, true, group, &[]));
            }
        }),
        Scenario::HandshakeFailure => scripted(|sock, _| {
            let _ = sock.write_all(&[21, 3, 3, 0, 2, 2, 40]);
        }),
        Scenario::WarningAlertFlood => scripted(|sock, _| {
            // Warning-level unrecognized_name (RFC 6066 §3), over and over.
            let flood: Vec<u8> = std::iter::repeat_n([21u8, 3, 3, 0, 2, 1, 112], 5000)
                .flatten()
                .collect();
            let _ = sock.write_all(&flood);
        }),
        Scenario::Ed448Certificate => openssl_tls13(openssl_ed448_identity()),
        Scenario::LargeChain => openssl_tls13(openssl_large_chain(106 * 1024)),
        Scenario::HugeCertificate => {
            let leaf = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
            // A 16 MB second "certificate" (under the 2^24-byte limit of a handshake
            // message): rustls sends any bytes it is given.
            let blob = vec![0x30; 16_000_000];
            let chain = vec![
                leaf.cert.der().clone(),
                rustls::pki_types::CertificateDer::from(blob),
            ];
            serve(rustls_server(
                chain,
                leaf.signing_key.serialize_der(),
                |_, _| {},
            ))
        }
        Scenario::EscapeSubject => {
            let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            params.distinguished_name = rcgen::DistinguishedName::new();
            params.distinguished_name.push(
                rcgen::DnType::CommonName,
                "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred",
            );
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            serve(rustls_server(
                vec![cert.der().clone()],
                key.serialize_der(),
                |_, _| {},
            ))
        }
        Scenario::SshBrokenReply => ssh_server("SSH-2.0-OpenSSH_10.0 Broken", |sock| {
            if read_ssh_packet(sock).is_none() || read_ssh_packet(sock).is_none() {
                return; // our KEXINIT, then KEX_HYBRID_INIT
            }
            // SSH_MSG_KEX_HYBRID_REPLY whose K_S claims 1000 bytes and has 3.
            let mut p = vec![31];
            p.extend_from_slice(&1000u32.to_be_bytes());
            p.extend_from_slice(b"abc");
            let _ = sock.write_all(&ssh_wire::packet(&p));
        }),
        Scenario::SshBadSignature => ssh_server("SSH-2.0-OpenSSH_10.0 BadSig", |sock| {
            if read_ssh_packet(sock).is_none() {
                return;
            }
            let Some(init) = read_ssh_packet(sock) else {
                return;
            };
            // SSH_MSG_KEX_HYBRID_INIT: byte 30, string C_INIT.
            let Some(c_init) = init.get(5..) else { return };
            let Ok((s_reply, _k)) = pqhkex::ssh::MlKem768X25519Sha256::server_respond(c_init)
            else {
                return;
            };
            let mut k_s = Vec::new();
            ssh_wire::string(&mut k_s, b"ssh-ed25519");
            ssh_wire::string(&mut k_s, &[7u8; 32]);
            let mut sig = Vec::new();
            ssh_wire::string(&mut sig, b"ssh-ed25519");
            ssh_wire::string(&mut sig, &[9u8; 64]);
            let mut p = vec![31];
            ssh_wire::string(&mut p, &k_s);
            ssh_wire::string(&mut p, &s_reply);
            ssh_wire::string(&mut p, &sig);
            let _ = sock.write_all(&ssh_wire::packet(&p));
        }),
        Scenario::SshEscapeBanner => ssh_server("SSH-2.0-Evil\u{1b}]0;pwned\u{7}\u{1b}[2J", |_| {}),
        Scenario::SshLongDisconnect => ssh_server("SSH-2.0-OpenSSH_10.0 Chatty", |sock| {
            if read_ssh_packet(sock).is_none() {
                return;
            }
            let mut p = vec![1];
            p.extend_from_slice(&2u32.to_be_bytes());
            ssh_wire::string(&mut p, "go away ".repeat(3750).as_bytes());
            ssh_wire::string(&mut p, b"");
            let _ = sock.write_all(&ssh_wire::packet(&p));
        }),
    }
}

/// Accepts connections until the [`Peer`] is dropped, running `handle` on a thread
/// per connection with the connection's 1-based number.
fn serve(handle: impl Fn(&mut TcpStream, usize) + Send + Sync + 'static) -> Peer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let connections = Arc::new(AtomicUsize::new(0));
    let handle = Arc::new(handle);
    {
        let (stop, connections) = (stop.clone(), connections.clone());
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut sock) = sock else { continue };
                let n = connections.fetch_add(1, Ordering::SeqCst) + 1;
                let handle = handle.clone();
                std::thread::spawn(move || {
                    // A test never needs a connection for longer than this.
                    let _ = sock.set_read_timeout(Some(Duration::from_secs(120)));
                    let _ = sock.set_write_timeout(Some(Duration::from_secs(120)));
                    handle(&mut sock, n);
                });
            }
        });
    }
    Peer {
        addr,
        connections,
        stop,
        _inner: Vec::new(),
    }
}

/// A scripted TLS peer: reads one ClientHello, hands it to `reply`, then reads until
/// the client leaves.
fn scripted(reply: impl Fn(&mut TcpStream, &Hello) + Send + Sync + 'static) -> Peer {
    serve(move |sock, _| {
        if let Ok(hello) = read_client_hello(sock) {
            reply(sock, &hello);
            drain(sock);
        }
    })
}

/// Reads until EOF or an error.
fn drain(sock: &mut TcpStream) {
    let mut sink = [0u8; 4096];
    while matches!(sock.read(&mut sink), Ok(n) if n > 0) {}
}

/// What a scripted peer needs of a ClientHello.
#[derive(Debug, Default)]
pub struct Hello {
    /// legacy_session_id, to echo (RFC 8446 §4.1.3).
    pub session_id: Vec<u8>,
    /// supported_groups, in order.
    pub groups: Vec<u16>,
    /// The groups of the key_share entries, in order.
    pub key_shares: Vec<u16>,
}

/// Reads one ClientHello (possibly across several records) and picks out what
/// [`Hello`] holds.
pub fn read_client_hello(sock: &mut impl Read) -> io::Result<Hello> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut msg = Vec::new();
    loop {
        let mut header = [0u8; 5];
        sock.read_exact(&mut header)?;
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let mut body = vec![0u8; len];
        sock.read_exact(&mut body)?;
        // The ChangeCipherSpec a client in middlebox compatibility mode sends after a
        // HelloRetryRequest (RFC 8446 §D.4).
        if header[0] == 20 {
            continue;
        }
        if header[0] != 22 {
            return Err(bad("not a handshake record"));
        }
        msg.extend_from_slice(&body);
        if msg.len() >= 4 {
            let want =
                4 + (usize::from(msg[1]) << 16 | usize::from(msg[2]) << 8 | usize::from(msg[3]));
            if msg.len() >= want {
                msg.truncate(want);
                break;
            }
        }
    }
    let mut r = Cursor(&msg[4..]);
    r.take(2 + 32).ok_or_else(|| bad("short"))?;
    let sid_len = usize::from(r.take(1).ok_or_else(|| bad("short"))?[0]);
    let session_id = r.take(sid_len).ok_or_else(|| bad("short"))?.to_vec();
    let suites = r.u16().ok_or_else(|| bad("short"))?;
    r.take(usize::from(suites)).ok_or_else(|| bad("short"))?;
    let comp = usize::from(r.take(1).ok_or_else(|| bad("short"))?[0]);
    r.take(comp).ok_or_else(|| bad("short"))?;
    let mut hello = Hello {
        session_id,
        ..Hello::default()
    };
    let ext_len = r.u16().ok_or_else(|| bad("short"))?;
    let mut exts = Cursor(r.take(usize::from(ext_len)).ok_or_else(|| bad("short"))?);
    while let (Some(kind), Some(len)) = (exts.u16(), exts.u16()) {
        let mut body = Cursor(exts.take(usize::from(len)).ok_or_else(|| bad("short"))?);
        match kind {
            0x000a => {
                body.u16();
                while let Some(g) = body.u16() {
                    hello.groups.push(g);
                }
            }
            0x0033 => {
                body.u16();
                while let (Some(g), Some(n)) = (body.u16(), body.u16()) {
                    hello.key_shares.push(g);
                    body.take(usize::from(n));
                }
            }
            _ => {}
        }
    }
    Ok(hello)
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

/// RFC 8446 §4.1.3: the random of a HelloRetryRequest, SHA-256("HelloRetryRequest").
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A TLS 1.3 ServerHello (or, with `retry`, a HelloRetryRequest: RFC 8446 §4.1.4) for
/// TLS_AES_128_GCM_SHA256, in one record: supported_versions = TLS 1.3 and a key_share
/// for `group` (a KeyShareEntry with `share`, or in a HelloRetryRequest only the
/// selected group).
pub fn server_hello(session_id: &[u8], retry: bool, group: u16, share: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&if retry { HRR_RANDOM } else { [0x11; 32] });
    body.push(session_id.len() as u8);
    body.extend_from_slice(session_id);
    body.extend_from_slice(&[0x13, 0x01, 0]);
    let mut exts = vec![0x00, 0x2b, 0, 2, 3, 4];
    exts.extend_from_slice(&[0x00, 0x33]);
    if retry {
        exts.extend_from_slice(&2u16.to_be_bytes());
        exts.extend_from_slice(&group.to_be_bytes());
    } else {
        exts.extend_from_slice(&((4 + share.len()) as u16).to_be_bytes());
        exts.extend_from_slice(&group.to_be_bytes());
        exts.extend_from_slice(&(share.len() as u16).to_be_bytes());
        exts.extend_from_slice(share);
    }
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![2];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut record = vec![22, 3, 3];
    record.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    record.extend_from_slice(&hs);
    record
}

type Handler = Box<dyn Fn(&mut TcpStream, usize) + Send + Sync>;

/// A rustls server (ring, pqhkex's groups: hybrids first, then classical) with a fresh
/// self-signed certificate; after the handshake, `after` gets the connection.
fn rustls_pq(
    after: impl Fn(&mut rustls::ServerConnection, &mut TcpStream) + Send + Sync + 'static,
) -> Handler {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    Box::new(rustls_server(
        vec![c.cert.der().clone()],
        c.signing_key.serialize_der(),
        after,
    ))
}

/// A rustls server with this chain and PKCS#8 key, pqhkex's groups (hybrids first),
/// TLS 1.3 and 1.2.
fn rustls_server(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    pkcs8: Vec<u8>,
    after: impl Fn(&mut rustls::ServerConnection, &mut TcpStream) + Send + Sync + 'static,
) -> impl Fn(&mut TcpStream, usize) + Send + Sync + 'static {
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(pkcs8.into());
    let config = Arc::new(
        pqhkex::server_config_builder(
            rustls::crypto::ring::default_provider(),
            pqhkex::Policy::PreferPostQuantum,
        )
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    move |sock, _| {
        let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
            return;
        };
        while conn.is_handshaking() {
            match conn.complete_io(sock) {
                Ok((0, 0)) | Err(_) => return,
                Ok(_) => {}
            }
        }
        after(&mut conn, sock);
        conn.send_close_notify();
        let _ = conn.complete_io(sock);
    }
}

/// Relays a client to `upstream`: the client's bytes at once, the server's one per
/// second.
fn trickle(client: &mut TcpStream, upstream: SocketAddr) {
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let (Ok(mut from_client), Ok(mut to_server)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = io::copy(&mut from_client, &mut to_server);
    });
    let mut from_server = server;
    let mut byte = [0u8; 1];
    while matches!(from_server.read(&mut byte), Ok(1)) {
        if client.write_all(&byte).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let _ = from_server.shutdown(std::net::Shutdown::Both);
}

/// An OpenSSL TLS 1.3-only server with `identity` (certificate chain, key) and OpenSSL's
/// default groups (X25519MLKEM768 first in 3.5+).
fn openssl_tls13(
    identity: (
        Vec<openssl::x509::X509>,
        openssl::pkey::PKey<openssl::pkey::Private>,
    ),
) -> Peer {
    use openssl::ssl::{Ssl, SslContext, SslMethod, SslVersion};
    let (chain, key) = identity;
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
    b.set_certificate(&chain[0]).unwrap();
    for extra in &chain[1..] {
        b.add_extra_chain_cert(extra.clone()).unwrap();
    }
    b.set_private_key(&key).unwrap();
    let ctx = b.build();
    serve(move |sock, _| {
        let Ok(ssl) = Ssl::new(&ctx) else { return };
        let Ok(sock) = sock.try_clone() else { return };
        if let Ok(mut tls) = ssl.accept(sock) {
            let mut buf = [0u8; 256];
            while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tls.shutdown();
        }
    })
}

/// A self-signed certificate for `name` with `key`, signed with `digest` (null for
/// EdDSA), carrying `padding` bytes in an extension nobody reads.
fn openssl_cert(
    name: &str,
    key: &openssl::pkey::PKey<openssl::pkey::Private>,
    issuer: Option<(
        &openssl::x509::X509,
        &openssl::pkey::PKey<openssl::pkey::Private>,
    )>,
    digest: openssl::hash::MessageDigest,
    padding: usize,
) -> openssl::x509::X509 {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::x509::{X509Builder, X509NameBuilder};
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", name).unwrap();
    let n = n.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&n).unwrap();
    b.set_issuer_name(issuer.map_or(&n, |(c, _)| c.subject_name()))
        .unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    if padding > 0 {
        // A non-critical private extension (OID 1.3.6.1.4.1.55555.1) holding an OCTET
        // STRING of `padding` bytes, as DER: the value is hex after "DER:".
        let ctx = b.x509v3_context(None, None);
        let value = format!("DER:{}", "41".repeat(padding));
        #[allow(deprecated)]
        let ext = openssl::x509::X509Extension::new_nid(
            None,
            Some(&ctx),
            openssl::nid::Nid::create("1.3.6.1.4.1.55555.1", "pqhkexPad", "pqhkex padding")
                .unwrap_or(openssl::nid::Nid::NETSCAPE_COMMENT),
            &value,
        )
        .unwrap_or_else(|_| {
            openssl::x509::X509Extension::new_nid(
                None,
                Some(&ctx),
                openssl::nid::Nid::NETSCAPE_COMMENT,
                &"A".repeat(padding),
            )
            .unwrap()
        });
        b.append_extension(ext).unwrap();
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer, digest).unwrap();
    b.build()
}

/// An Ed448 key and a self-signed certificate for localhost.
fn openssl_ed448_identity() -> (
    Vec<openssl::x509::X509>,
    openssl::pkey::PKey<openssl::pkey::Private>,
) {
    let key = openssl::pkey::PKey::generate_ed448().unwrap();
    let cert = openssl_cert(
        "localhost",
        &key,
        None,
        openssl::hash::MessageDigest::null(),
        0,
    );
    (vec![cert], key)
}

/// A leaf (ECDSA P-256) and two intermediates padded so that the chain is about
/// `total` bytes.
fn openssl_large_chain(
    total: usize,
) -> (
    Vec<openssl::x509::X509>,
    openssl::pkey::PKey<openssl::pkey::Private>,
) {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    let ec = || {
        PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
        )
        .unwrap()
    };
    let (root_key, mid_key, leaf_key) = (ec(), ec(), ec());
    let pad = total / 2;
    let root = openssl_cert(
        "pqhkex test root",
        &root_key,
        None,
        MessageDigest::sha256(),
        pad,
    );
    let mid = openssl_cert(
        "pqhkex test intermediate",
        &mid_key,
        Some((&root, &root_key)),
        MessageDigest::sha256(),
        total - pad,
    );
    let leaf = openssl_cert(
        "localhost",
        &leaf_key,
        Some((&mid, &mid_key)),
        MessageDigest::sha256(),
        0,
    );
    (vec![leaf, mid, root], leaf_key)
}

/// An SSH server: identification line `banner`, a KEXINIT offering
/// mlkem768x25519-sha256 and curve25519-sha256 with an ssh-ed25519 host key, then
/// `rest` with the connection.
fn ssh_server(banner: &'static str, rest: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> Peer {
    let kexinit = ssh_wire::packet(&ssh_wire::kexinit(
        "mlkem768x25519-sha256,curve25519-sha256",
        "ssh-ed25519",
    ));
    serve(move |sock, _| {
        if sock.write_all(format!("{banner}\r\n").as_bytes()).is_err()
            || sock.write_all(&kexinit).is_err()
        {
            return;
        }
        // The client's identification line.
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while line.len() < 256 && matches!(sock.read(&mut b), Ok(1)) {
            line.push(b[0]);
            if b[0] == b'\n' {
                break;
            }
        }
        rest(sock);
        drain(sock);
    })
}

/// The payload of one unencrypted SSH packet (RFC 4253 §6), or `None` on EOF or junk.
fn read_ssh_packet(sock: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    sock.read_exact(&mut len).ok()?;
    let len = u32::from_be_bytes(len) as usize;
    if !(5..=35_000).contains(&len) {
        return None;
    }
    let mut rest = vec![0u8; len];
    sock.read_exact(&mut rest).ok()?;
    let padding = usize::from(rest[0]);
    rest.get(1..len.checked_sub(padding)?).map(<[u8]>::to_vec)
}
