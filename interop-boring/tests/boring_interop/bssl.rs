//! The BoringSSL peer: BoringSSL built from the source the `boring` crate vendors
//! (with Cloudflare's patch, which keeps X25519Kyber768Draft00), as a client and as a
//! server on real TCP sockets. `boring` wraps every call needed here, so there is no
//! `unsafe` in this suite.

use std::net::{SocketAddr, TcpListener, TcpStream};

use boring::pkey::PKey;
use boring::ssl::{
    HandshakeError, Ssl, SslConnector, SslContext, SslContextBuilder, SslMethod, SslStream,
    SslVersion,
};
use boring::x509::X509;

use crate::net::{close_gracefully, peer_exchange, set_timeouts, Endpoint};

/// Whether BoringSSL accepts `groups` as its group ("curves") list:
/// `SSL_CTX_set1_curves_list`, which fails on any name it does not implement.
pub fn knows_groups(groups: &str) -> bool {
    let mut ctx = SslContext::builder(SslMethod::tls()).expect("SSL_CTX_new");
    ctx.set_curves_list(groups).is_ok()
}

/// TLS 1.3 only, and `groups` as the group list (`None`: BoringSSL's defaults).
fn restrict(ctx: &mut SslContextBuilder, groups: Option<&str>) {
    ctx.set_min_proto_version(Some(SslVersion::TLS1_3))
        .expect("TLS 1.3 minimum");
    if let Some(list) = groups {
        ctx.set_curves_list(list).expect("BoringSSL group list");
    }
}

/// What BoringSSL reports about the connection (`SSL_get_curve_id`,
/// `SSL_get_curve_name`, `SSL_used_hello_retry_request`), then the data exchange.
fn finish(
    result: Result<SslStream<TcpStream>, HandshakeError<TcpStream>>,
    client: bool,
) -> Endpoint {
    let mut stream = match result {
        Ok(stream) => stream,
        Err(e) => {
            return Endpoint {
                error: Some(format!("BoringSSL handshake: {e}")),
                ..Endpoint::default()
            }
        }
    };
    let ssl = stream.ssl();
    let mut ep = Endpoint {
        group: ssl.curve(),
        group_name: ssl.curve_name().map(str::to_owned),
        hello_retry_request: Some(ssl.used_hello_retry_request()),
        protocol: Some(ssl.version_str().to_owned()),
        ..Endpoint::default()
    };
    if peer_exchange(&mut ep, &mut stream, client) {
        let _ = stream.shutdown();
    }
    ep
}

/// A BoringSSL server on `listener` for one connection, with the test certificate.
pub fn server(listener: TcpListener, groups: Option<&str>) -> Endpoint {
    let ctx = server_context(groups);
    let (sock, _) = listener.accept().expect("accept");
    set_timeouts(&sock);
    let raw = sock.try_clone().expect("clone socket");
    let ep = finish(Ssl::new(&ctx).expect("SSL_new").accept(sock), false);
    close_gracefully(raw);
    ep
}

/// A BoringSSL client for one connection to `addr`: trusts the test certificate and
/// verifies the name "localhost" (`SslConnector`'s defaults).
/// A BoringSSL server context with the test certificate, TLS 1.3 only, and `groups`.
fn server_context(groups: Option<&str>) -> SslContext {
    server_context_with(groups, false)
}

/// [`server_context`], choosing the group by the server's order when
/// `server_preference` (BoringSSL follows the client's order unless
/// `SSL_OP_CIPHER_SERVER_PREFERENCE` is set).
fn server_context_with(groups: Option<&str>, server_preference: bool) -> SslContext {
    let (cert, key) = crate::common::cert();
    let mut ctx = SslContext::builder(SslMethod::tls()).expect("SSL_CTX_new");
    let x509 = X509::from_der(cert).expect("certificate DER");
    ctx.set_certificate(&x509).expect("server certificate");
    let pkey = PKey::private_key_from_pkcs8(key.secret_der()).expect("PKCS#8 key");
    ctx.set_private_key(&pkey).expect("server key");
    restrict(&mut ctx, groups);
    if server_preference {
        ctx.set_options(boring::ssl::SslOptions::CIPHER_SERVER_PREFERENCE);
    }
    ctx.build()
}

/// A BoringSSL server for any number of connections on its own thread (a scan makes
/// several): each a handshake, a wait for the client's close_notify, and a close.
pub fn serve_forever(listener: TcpListener, groups: Option<&str>) {
    serve_forever_with(listener, groups, false)
}

/// [`serve_forever`], with the server's group order deciding when `server_preference`.
pub fn serve_forever_with(listener: TcpListener, groups: Option<&str>, server_preference: bool) {
    let ctx = server_context_with(groups, server_preference);
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            set_timeouts(&sock);
            let Ok(ssl) = Ssl::new(&ctx) else { continue };
            if let Ok(mut tls) = ssl.accept(sock) {
                let mut buf = [0u8; 256];
                while matches!(std::io::Read::read(&mut tls, &mut buf), Ok(n) if n > 0) {}
                let _ = tls.shutdown();
            }
        }
    });
}

pub fn client(addr: SocketAddr, groups: Option<&str>) -> Endpoint {
    let mut connector = SslConnector::builder(SslMethod::tls()).expect("SSL_CTX_new");
    let anchor = X509::from_der(&crate::common::cert().0).expect("certificate DER");
    connector
        .cert_store_mut()
        .add_cert(anchor)
        .expect("trust anchor");
    restrict(&mut connector, groups);
    let connector = connector.build();
    let sock = TcpStream::connect(addr).expect("connect");
    set_timeouts(&sock);
    let raw = sock.try_clone().expect("clone socket");
    let ep = finish(connector.connect("localhost", sock), true);
    close_gracefully(raw);
    ep
}
