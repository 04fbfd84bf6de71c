//! reqwest over pqhkex: a `reqwest::Client` whose TLS is a pqhkex rustls `ClientConfig`
//! that requires post-quantum key exchange, talking to two local HTTPS servers that this
//! example starts itself (loopback only):
//!
//! 1. a server with the post-quantum groups: the request succeeds over HTTP/2, and the
//!    group it negotiated is printed as [`pqhkex::observe`] saw it on the client (reqwest
//!    does not hand out its rustls connection, so the client's provider is observed) and
//!    as the server saw it (it names the group in an `x-pqhkex-group` response header);
//! 2. a server with classical groups only: the request fails, and the error reqwest
//!    returns is explained with [`Policy::explain_error`], which finds the TLS failure
//!    inside reqwest's error chain.
//!
//! The recipe: reqwest's `rustls-no-provider` feature (no provider, no roots of its own),
//! then `ClientBuilder::tls_backend_preconfigured(config)` (`use_preconfigured_tls` in
//! reqwest 0.12) with a config over [`pqhkex::with_policy`]'s provider — here wrapped by
//! [`pqhkex::observe::observed_channel`] first, which is optional. A preconfigured
//! config keeps its ALPN list as it is — reqwest only fills ALPN in configs it builds
//! itself — so set `alpn_protocols` to `h2`, `http/1.1` or the client speaks HTTP/1.1
//! only.
//!
//! Run: `cargo run --example reqwest_client` (also run by `cargo test --example
//! reqwest_client`).

use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use pqhkex::{ConnectionReport, Policy, Side};
use rustls::pki_types::PrivateKeyDer;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves HTTP/2 or HTTP/1.1 (as ALPN chose) over TLS; every response names the group
/// the connection negotiated. `name` prefixes the log lines.
async fn serve(listener: TcpListener, acceptor: TlsAcceptor, name: &'static str) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => return println!("{name}: handshake failed: {e}"),
            };
            let (_, conn) = tls.get_ref();
            let report = ConnectionReport::from_connection(conn);
            let h2 = conn.alpn_protocol() == Some(b"h2");
            println!("{name}: TLS connection: {report}");
            let group = report.group_name();
            let service = hyper::service::service_fn(move |_req: Request<Incoming>| {
                let response = Response::builder()
                    .header("x-pqhkex-group", group.as_str())
                    .body(Full::new(Bytes::from_static(b"hello\n")));
                async move { response }
            });
            let io = TokioIo::new(tls);
            let served = if h2 {
                hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(io, service)
                    .await
            } else {
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await
            };
            if let Err(e) = served {
                println!("{name}: connection error: {e}");
            }
        });
    }
}

/// Starts a server on a loopback port with `policy`'s groups; returns the port.
async fn start(
    policy: Policy,
    cert: &rustls::pki_types::CertificateDer<'static>,
    key: &PrivateKeyDer<'static>,
    name: &'static str,
) -> Result<u16, BoxError> {
    let mut config =
        pqhkex::server_config_builder(rustls::crypto::ring::default_provider(), policy)?
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key.clone_key())?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(serve(listener, TlsAcceptor::from(Arc::new(config)), name));
    Ok(port)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    let pq_port = start(Policy::RequirePostQuantum, &cert, &key, "pq server").await?;
    let classical_port = start(Policy::Classical, &cert, &key, "classical server").await?;

    // The recipe.
    let policy = Policy::RequirePostQuantum;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert)?;
    // Observed after the policy is applied: `with_policy` replaces the groups, so it
    // would drop the observing wrappers if it ran second.
    let (provider, observations) = pqhkex::observe::observed_channel(pqhkex::with_policy(
        rustls::crypto::ring::default_provider(),
        policy,
    ));
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(policy.protocol_versions())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .https_only(true)
        .build()?;

    // 1. Post-quantum server.
    let url = format!("https://localhost:{pq_port}/");
    let response = client.get(&url).send().await?.error_for_status()?;
    let version = response.version();
    let group = response
        .headers()
        .get("x-pqhkex-group")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response.text().await?;
    println!("client: GET {url} -> {body:?} over {version:?}");
    // One handshake so far, so every observation is this connection's.
    let completed: Vec<_> = observations
        .try_iter()
        .inspect(|o| println!("client: observed: {o}"))
        .filter(|o| o.outcome.is_completed())
        .collect();
    let [observed] = completed.as_slice() else {
        return Err(format!(
            "expected one completed key exchange, saw {}",
            completed.len()
        )
        .into());
    };
    let name = observed.group_info().map_or("unknown", |g| g.name);
    println!("client: negotiated group: {name}");
    println!("client: negotiated group, as the server saw it: {group}");
    if version != reqwest::Version::HTTP_2 {
        return Err(format!("ALPN did not select h2: {version:?}").into());
    }
    if name != "X25519MLKEM768" || group != name {
        return Err(format!("expected X25519MLKEM768 on both sides: {name}, {group}").into());
    }

    // 2. Classical-only server: refused, and explained.
    let url = format!("https://localhost:{classical_port}/");
    let err = match client.get(&url).send().await {
        Ok(r) => return Err(format!("a classical-only server answered ({})", r.status()).into()),
        Err(e) => e,
    };
    println!("client: GET {url} failed: {err}");
    for o in observations.try_iter() {
        println!("client: observed: {o}");
    }
    match policy.explain_error(Side::Client, &err) {
        Some(explained) => println!("client: explained: {explained}"),
        None => return Err(format!("the failure holds no TLS error: {err:?}").into()),
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
