//! An HTTPS client built the way SDKs build theirs — hyper-util's pooled client over a
//! hyper-rustls connector made from a preconfigured rustls `ClientConfig` — with
//! pqhkex's groups, calling a local HTTPS server (hyper + tokio-rustls) that REQUIRES
//! post-quantum key exchange. It prints the group each side negotiated.
//!
//! The connector is wrapped in a small `tower_service::Service` that records the
//! [`ConnectionReport`] of every new TLS connection: the hook an SDK can use to log or
//! enforce post-quantum per connection.
//!
//! Then a client that REQUIRES post-quantum calls a classical-only server: the request
//! fails, and [`Policy::explain_error`] finds the TLS failure inside hyper-util's error
//! chain (where hyper-rustls nests tokio-rustls's `io::Error` in a second one) and explains
//! it. To see the group when the stack hides the connection, see `observe_group.rs`.
//!
//! Run: `cargo run --example https_client`

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::{Request, Response, Uri};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pqhkex::{ConnectionReport, Policy, Side};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A connector that records what each new TLS connection negotiated.
#[derive(Clone)]
struct Inspecting {
    inner: HttpsConnector<HttpConnector>,
    seen: Arc<Mutex<Vec<ConnectionReport>>>,
}

impl tower_service::Service<Uri> for Inspecting {
    type Response = MaybeHttpsStream<TokioIo<TcpStream>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let seen = self.seen.clone();
        Box::pin(async move {
            let stream = connecting.await?;
            if let MaybeHttpsStream::Https(tls) = &stream {
                let report = ConnectionReport::from_connection(tls.inner().get_ref().1);
                seen.lock().map_err(|_| "poisoned")?.push(report);
            }
            Ok(stream)
        })
    }
}

/// The server: every connection must be post-quantum; the body names the group.
async fn serve(listener: TcpListener, acceptor: TlsAcceptor) -> Result<(), BoxError> {
    loop {
        let (tcp, _) = listener.accept().await?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => return println!("server: handshake refused: {e}"),
            };
            let report = ConnectionReport::from_connection(tls.get_ref().1);
            println!("server: {report}");
            let service = hyper::service::service_fn(
                move |_req: Request<hyper::body::Incoming>| {
                    let body = format!("hello over {}\n", report.group_name());
                    async move { Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from(body)))) }
                },
            );
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                println!("server: connection error: {e}");
            }
        });
    }
}

/// A local HTTPS server (hyper over tokio-rustls) under `policy`, with a fresh
/// self-signed certificate for localhost: its port, the certificate to trust, and the
/// task to abort when done.
async fn start_server(
    policy: Policy,
) -> Result<
    (
        u16,
        CertificateDer<'static>,
        tokio::task::JoinHandle<Result<(), BoxError>>,
    ),
    BoxError,
> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    let mut config =
        pqhkex::server_config_builder(rustls::crypto::ring::default_provider(), policy)?
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(serve(listener, TlsAcceptor::from(Arc::new(config))));
    Ok((port, cert, server))
}

/// The SDK side: a preconfigured rustls `ClientConfig` under `policy`, trusting `cert`,
/// handed to hyper-rustls.
fn https_connector(
    policy: Policy,
    cert: CertificateDer<'static>,
) -> Result<HttpsConnector<HttpConnector>, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert)?;
    let tls = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), policy)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let (port, cert, server) = start_server(Policy::RequirePostQuantum).await?;
    // Post-quantum preferred, as an SDK default would be.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let connector = Inspecting {
        inner: https_connector(Policy::PreferPostQuantum, cert)?,
        seen: seen.clone(),
    };
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);

    let mut bodies = Vec::new();
    for path in ["/", "/again"] {
        let uri: Uri = format!("https://localhost:{port}{path}").parse()?;
        let response = client.get(uri.clone()).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        let body = String::from_utf8_lossy(&body).trim().to_string();
        println!("client: GET {uri} -> {status}: {body:?}");
        if !status.is_success() {
            return Err(format!("unexpected status {status}").into());
        }
        bodies.push(body);
    }
    let reports = seen.lock().map_err(|_| "poisoned")?.clone();
    for r in &reports {
        println!("client: new TLS connection: {r}");
    }
    // Two requests: hyper-util pools the connection, but may open a second one (then
    // resumed) if the first was not back in the pool yet. Every one must be X25519MLKEM768.
    let ok = !reports.is_empty()
        && reports.len() <= 2
        && reports
            .iter()
            .all(|r| r.group_name() == "X25519MLKEM768" && r.hybrid)
        && bodies.iter().all(|b| b == "hello over X25519MLKEM768");
    server.abort();
    if !ok {
        return Err(format!("unexpected result: {reports:?} {bodies:?}").into());
    }

    // A client that requires post-quantum against a classical-only server.
    let (classical_port, classical_cert, classical_server) =
        start_server(Policy::Classical).await?;
    let policy = Policy::RequirePostQuantum;
    let strict: Client<_, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(https_connector(policy, classical_cert)?);
    let uri: Uri = format!("https://localhost:{classical_port}/").parse()?;
    let result = strict.get(uri.clone()).await;
    classical_server.abort();
    let err = match result {
        Ok(r) => return Err(format!("a classical server answered {}", r.status()).into()),
        Err(e) => e,
    };
    println!("client: GET {uri} failed: {err}");
    let explained = policy
        .explain_error(Side::Client, &err)
        .ok_or("explain_error found no TLS failure in hyper-util's error")?;
    println!("client: explained: {explained}");
    if !explained.to_string().contains("handshake_failure") {
        return Err(format!("unexpected explanation: {explained}").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
