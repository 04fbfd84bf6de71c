//! The s2n-tls peer: a client and a server on real TCP sockets, through s2n-tls-tokio
//! on a single-threaded tokio runtime per endpoint (each endpoint already runs in its own
//! thread, see `net::run`).

use std::net::{SocketAddr, TcpListener, TcpStream};

use s2n_tls::config::Config;
use s2n_tls::connection::Connection;
use s2n_tls::enums::Version;
use s2n_tls::security::Policy;
use s2n_tls_tokio::{TlsAcceptor, TlsConnector, TlsStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{p256_cert, p384_cert, TestCert};
use crate::net::{close_gracefully, set_timeouts, Endpoint, CLIENT_MSG, IO_TIMEOUT, SERVER_MSG};

/// An s2n-tls configuration with the security policy `policy` (a name from s2n's table,
/// e.g. `default_pq`), presenting `cert` (a server) or trusting both test certificates
/// (a client, `cert = None`). Blinding is off: s2n otherwise sleeps 10-30 s after a
/// peer's misbehaviour, which the corruption tests provoke on purpose.
pub fn config(policy: &str, cert: Option<&TestCert>) -> Config {
    let mut b = Config::builder();
    let policy = Policy::from_version(policy).expect("policy name");
    b.set_security_policy(&policy)
        .unwrap_or_else(|e| panic!("s2n refuses security policy {policy:?}: {e}"));
    b.set_max_blinding_delay(0).expect("blinding delay");
    match cert {
        Some(c) => {
            b.load_pem(c.cert_pem.as_bytes(), c.key_pem.as_bytes())
                .expect("load_pem");
        }
        None => {
            b.with_system_certs(false).expect("no system trust store");
            for c in [p256_cert(), p384_cert()] {
                b.trust_pem(c.cert_pem.as_bytes()).expect("trust_pem");
            }
        }
    }
    b.build().expect("s2n config")
}

/// Whether this s2n-tls build knows the security policy `name`.
pub fn knows_policy(name: &str) -> bool {
    let Ok(policy) = Policy::from_version(name) else {
        return false;
    };
    Config::builder().set_security_policy(&policy).is_ok()
}

fn describe(e: &s2n_tls::error::Error) -> String {
    format!("{}: {} ({:?})", e.name(), e.message(), e.kind())
}

fn failed(e: &s2n_tls::error::Error) -> Endpoint {
    Endpoint {
        error: Some(describe(e)),
        ..Endpoint::default()
    }
}

fn protocol_name(v: Version) -> String {
    match v {
        Version::TLS13 => "TLSv1.3".into(),
        Version::TLS12 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

/// What s2n reports about an established connection.
fn report(conn: &Connection) -> Endpoint {
    let group_name = conn.selected_key_exchange_group().map(str::to_owned);
    // For a post-quantum group, the KEM-group getter must name the same group.
    if let Some(kem_group) = conn.kem_group_name() {
        assert_eq!(
            Some(kem_group),
            group_name.as_deref(),
            "s2n: kem_group_name() and selected_key_exchange_group() disagree"
        );
    }
    Endpoint {
        group: group_name
            .as_deref()
            .and_then(pqhkex::groups::by_name)
            .map(|g| g.code),
        group_name,
        // s2n's handshake type is a `|`-separated list such as
        // "NEGOTIATED|FULL_HANDSHAKE|HELLO_RETRY_REQUEST|MIDDLEBOX_COMPAT".
        hello_retry_request: conn
            .handshake_type()
            .ok()
            .map(|t| t.contains("HELLO_RETRY_REQUEST")),
        protocol: conn.actual_protocol_version().ok().map(protocol_name),
        ..Endpoint::default()
    }
}

async fn exchange(tls: &mut TlsStream<tokio::net::TcpStream>, client: bool) -> Endpoint {
    let mut ep = report(tls.as_ref());
    let (send, expect) = if client {
        (CLIENT_MSG, SERVER_MSG)
    } else {
        (SERVER_MSG, CLIENT_MSG)
    };
    let mut got = vec![0u8; expect.len()];
    let result = async {
        if client {
            tls.write_all(send).await?;
            tls.read_exact(&mut got).await?;
        } else {
            tls.read_exact(&mut got).await?;
            tls.write_all(send).await?;
        }
        tls.flush().await
    }
    .await;
    match result {
        Ok(()) if got == expect => {
            ep.data_ok = true;
            let _ = tls.shutdown().await;
        }
        Ok(()) => ep.error = Some(format!("application data garbled: {got:?}")),
        Err(e) => ep.error = Some(format!("application data: {e}")),
    }
    ep
}

/// Runs one endpoint on `sock` in a single-threaded runtime, bounded by `IO_TIMEOUT`,
/// then closes the socket gracefully (so that an alert is not lost to a reset).
fn on_runtime<F>(sock: TcpStream, endpoint: impl FnOnce(tokio::net::TcpStream) -> F) -> Endpoint
where
    F: std::future::Future<Output = Endpoint>,
{
    set_timeouts(&sock);
    let raw = sock.try_clone().expect("clone socket");
    sock.set_nonblocking(true).expect("non-blocking socket");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ep = rt.block_on(async {
        let tcp = tokio::net::TcpStream::from_std(sock).expect("tokio socket");
        tokio::time::timeout(IO_TIMEOUT, endpoint(tcp))
            .await
            .unwrap_or_else(|_| Endpoint {
                error: Some(format!("s2n endpoint timed out after {IO_TIMEOUT:?}")),
                ..Endpoint::default()
            })
    });
    drop(rt);
    // The clone shares the file status flags: blocking again for the final drain.
    raw.set_nonblocking(false).expect("blocking socket");
    close_gracefully(raw);
    ep
}

/// An s2n-tls server on `listener` for one connection, with security policy `policy`,
/// presenting `cert`.
pub fn server(listener: TcpListener, policy: &str, cert: &TestCert) -> Endpoint {
    let acceptor = TlsAcceptor::new(config(policy, Some(cert)));
    let (sock, _) = listener.accept().expect("accept");
    on_runtime(sock, |tcp| async move {
        match acceptor.accept(tcp).await {
            Ok(mut tls) => exchange(&mut tls, false).await,
            Err(e) => failed(&e),
        }
    })
}

/// An s2n-tls client for one connection to `addr`, with security policy `policy`,
/// trusting the test certificates and checking the name "localhost".
pub fn client(addr: SocketAddr, policy: &str) -> Endpoint {
    let connector = TlsConnector::new(config(policy, None));
    let sock = TcpStream::connect(addr).expect("connect");
    on_runtime(sock, |tcp| async move {
        match connector.connect("localhost", tcp).await {
            Ok(mut tls) => exchange(&mut tls, true).await,
            Err(e) => failed(&e),
        }
    })
}
