//! Which group did my HTTPS client negotiate, when the stack hides the rustls
//! connection? hyper-util's pooled client over hyper-rustls (as SDKs build theirs) never
//! shows it, so the provider is wrapped with [`pqhkex::observe::observed`], whose
//! callback sees every key exchange: the negotiated group, whether a HelloRetryRequest
//! happened, and whether pqhkex's code or the base provider's ran.
//!
//! reqwest works the same way: hand it the same `ClientConfig` with
//! `reqwest::Client::builder().tls_backend_preconfigured(config)` (reqwest 0.13;
//! `use_preconfigured_tls` in 0.12). quinn: `QuicClientConfig::try_from(config)`.
//!
//! The client here has an observed configuration of its own, so every observation is
//! one of its connections (see the `observe` module docs on telling connections apart).
//!
//! Run: `cargo run --example observe_group`

use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pqhkex::observe::Observation;
use pqhkex::Policy;
use rustls::pki_types::PrivateKeyDer;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A local HTTPS server (hyper over tokio-rustls) whose configuration accepts
/// post-quantum and classical groups.
async fn serve(listener: TcpListener, acceptor: TlsAcceptor) {
    while let Ok((tcp, _)) = listener.accept().await {
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service =
                hyper::service::service_fn(|_req: Request<hyper::body::Incoming>| async {
                    Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from_static(b"hello\n"))))
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    let mut server_config = pqhkex::server_config_builder(
        rustls::crypto::ring::default_provider(),
        Policy::PreferPostQuantum,
    )?
    .with_no_client_auth()
    .with_single_cert(vec![cert.clone()], key)?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(serve(listener, TlsAcceptor::from(Arc::new(server_config))));

    // The client: aws-lc-rs's provider with pqhkex's post-quantum groups in front,
    // observed. The callback runs inside the handshake: it only records.
    let seen: Arc<Mutex<Vec<Observation>>> = Arc::default();
    let sink = seen.clone();
    let provider = pqhkex::observe::observed(
        pqhkex::add_post_quantum(
            rustls::crypto::aws_lc_rs::default_provider(),
            Policy::PreferPostQuantum,
        ),
        move |o: &Observation| {
            if let Ok(mut seen) = sink.lock() {
                seen.push(o.clone());
            }
        },
    );
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert)?;
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);

    let uri: Uri = format!("https://localhost:{port}/").parse()?;
    let response = client.get(uri.clone()).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    println!(
        "GET {uri} -> {status}: {:?}",
        String::from_utf8_lossy(&body).trim()
    );
    server.abort();

    let seen = seen.lock().map_err(|_| "poisoned")?.clone();
    let completed: Vec<&Observation> = seen.iter().filter(|o| o.outcome.is_completed()).collect();
    for o in &completed {
        let group = o.group_info().map_or("unknown", |g| g.name);
        println!(
            "negotiated {group} (post-quantum: {}, HelloRetryRequest: {:?}, pqhkex's code: {})",
            o.post_quantum(),
            o.hello_retry_request,
            o.pqhkex
        );
        println!("  {o}");
    }
    match completed.as_slice() {
        [o] if o.group_code() == 0x11ec && o.pqhkex && o.hello_retry_request == Some(false) => {
            Ok(())
        }
        other => {
            Err(format!("expected one X25519MLKEM768 exchange by pqhkex, saw {other:#?}").into())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
