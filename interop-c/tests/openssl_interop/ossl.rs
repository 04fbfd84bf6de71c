//! The OpenSSL peer: a client and a server on real TCP sockets, and the two OpenSSL
//! calls the `openssl` crate has no safe wrapper for. This module is the only place in
//! the test suite with `unsafe` (FFI into the vendored libssl).

use std::ffi::CStr;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::raw::{c_char, c_int};

use openssl::pkey::PKey;
use openssl::ssl::{
    HandshakeError, Ssl, SslConnector, SslContext, SslMethod, SslRef, SslStream, SslVersion,
};
use openssl::x509::X509;

use crate::net::{close_gracefully, peer_exchange, set_timeouts, Endpoint};

/// `SSL_CTRL_GET_NEGOTIATED_GROUP` from `<openssl/ssl.h>` (OpenSSL 3.0+); openssl-sys
/// does not export it. `SSL_get_negotiated_group` is a macro over `SSL_ctrl` with it.
const SSL_CTRL_GET_NEGOTIATED_GROUP: c_int = 134;

extern "C" {
    /// `const char *SSL_group_to_name(SSL *s, int id)` (OpenSSL 3.0+), not bound by
    /// openssl-sys; the symbol comes from the vendored static libssl openssl-sys links.
    fn SSL_group_to_name(s: *mut openssl_sys::SSL, id: c_int) -> *const c_char;
}

/// The group OpenSSL says this connection negotiated, by OpenSSL's own name for it
/// (`SSL_get_negotiated_group` + `SSL_group_to_name`).
pub fn negotiated_group_name(ssl: &SslRef) -> Option<String> {
    // A `&SslRef` is the `SSL*` itself (the foreign-types `ForeignTypeRef` contract that
    // `SslRef::as_ptr` implements with this same cast).
    let ptr = ssl as *const SslRef as *mut openssl_sys::SSL;
    // SAFETY: `ptr` is a live SSL* borrowed from `ssl` for the duration of both calls;
    // SSL_ctrl with SSL_CTRL_GET_NEGOTIATED_GROUP only reads connection state and takes
    // no pointer argument.
    let id = unsafe {
        openssl_sys::SSL_ctrl(ptr, SSL_CTRL_GET_NEGOTIATED_GROUP, 0, std::ptr::null_mut())
    };
    if id <= 0 {
        return None;
    }
    let id = c_int::try_from(id).ok()?;
    // SAFETY: as above; SSL_group_to_name returns NULL or a pointer to a static,
    // NUL-terminated string owned by libssl, which we copy before returning.
    let name = unsafe { SSL_group_to_name(ptr, id) };
    if name.is_null() {
        return None;
    }
    // SAFETY: non-null, NUL-terminated, static (see above).
    Some(
        unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// Whether this OpenSSL build accepts `groups` as a groups list.
pub fn knows_groups(groups: &str) -> bool {
    let mut b = SslContext::builder(SslMethod::tls()).expect("SSL_CTX_new");
    b.set_groups_list(groups).is_ok()
}

fn codepoint_of(name: &str) -> Option<u16> {
    pqhkex::groups::by_name(name).map(|g| g.code)
}

fn endpoint_from_stream(stream: &mut SslStream<TcpStream>, client: bool) -> Endpoint {
    let group_name = negotiated_group_name(stream.ssl());
    let mut ep = Endpoint {
        group: group_name.as_deref().and_then(codepoint_of),
        group_name,
        protocol: Some(stream.ssl().version_str().to_string()),
        ..Endpoint::default()
    };
    if peer_exchange(&mut ep, stream, client) {
        let _ = stream.shutdown();
    }
    ep
}

fn endpoint_from_error(e: HandshakeError<TcpStream>) -> Endpoint {
    Endpoint {
        error: Some(e.to_string()),
        ..Endpoint::default()
    }
}

/// An OpenSSL TLS 1.3 server on `listener` for one connection. `groups` is an OpenSSL
/// groups list (`None`: OpenSSL's defaults). `tls13_only = false` also allows TLS 1.2.
pub fn server(listener: TcpListener, groups: Option<&str>, tls13_only: bool) -> Endpoint {
    let (cert, key) = crate::common::cert();
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("SSL_CTX_new");
    b.set_certificate(&X509::from_der(cert).expect("certificate DER"))
        .expect("set_certificate");
    b.set_private_key(&PKey::private_key_from_pkcs8(key.secret_der()).expect("PKCS#8 key"))
        .expect("set_private_key");
    if tls13_only {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("min version");
    }
    if let Some(g) = groups {
        b.set_groups_list(g).expect("groups list");
    }
    let ctx = b.build();
    let (sock, _) = listener.accept().expect("accept");
    set_timeouts(&sock);
    let raw = sock.try_clone().expect("clone socket");
    let ssl = Ssl::new(&ctx).expect("SSL_new");
    let ep = match ssl.accept(sock) {
        Ok(mut stream) => endpoint_from_stream(&mut stream, false),
        Err(e) => endpoint_from_error(e),
    };
    close_gracefully(raw);
    ep
}

/// An OpenSSL client for one connection to `addr`, trusting the test certificate and
/// checking the name "localhost". `groups` as for [`server`].
pub fn client(addr: SocketAddr, groups: Option<&str>) -> Endpoint {
    let (cert, _) = crate::common::cert();
    let mut b = SslConnector::builder(SslMethod::tls_client()).expect("SSL_CTX_new");
    b.cert_store_mut()
        .add_cert(X509::from_der(cert).expect("certificate DER"))
        .expect("add trust anchor");
    b.set_min_proto_version(Some(SslVersion::TLS1_3))
        .expect("min version");
    if let Some(g) = groups {
        b.set_groups_list(g).expect("groups list");
    }
    let connector = b.build();
    let sock = TcpStream::connect(addr).expect("connect");
    set_timeouts(&sock);
    let raw = sock.try_clone().expect("clone socket");
    let ep = match connector
        .configure()
        .expect("configure")
        .connect("localhost", sock)
    {
        Ok(mut stream) => endpoint_from_stream(&mut stream, true),
        Err(e) => endpoint_from_error(e),
    };
    close_gracefully(raw);
    ep
}
