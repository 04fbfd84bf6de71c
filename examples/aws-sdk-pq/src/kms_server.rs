//! A local stand-in for AWS KMS on loopback: HTTPS (tokio-rustls) with hyper, speaking
//! the service's JSON protocol (awsJson1_1: `POST /`, `X-Amz-Target:
//! TrentService.<Operation>`, a JSON body) for one operation, `GenerateRandom`.
//!
//! Two TLS modes: [`Tls::RequirePostQuantum`] picks, per ClientHello, a configuration from
//! [`PqServerConfigs`] under [`Policy::RequirePostQuantum`] (a client without a
//! post-quantum group is refused by rustls with `handshake_failure`);
//! [`Tls::Classical`] is a server that has no post-quantum group at all, as most
//! endpoints had before 2025.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pqhkex::{ConnectionReport, Policy, PqServerConfigs, Side};
use tokio::net::TcpListener;
use tokio_rustls::LazyConfigAcceptor;

use crate::http_client::BoxError;

/// The access key id the example's client signs with; the server checks that the
/// request was signed (SigV4) with it for the KMS service.
pub const ACCESS_KEY_ID: &str = "AKIDPQHKEXEXAMPLE";

/// How the server negotiates key exchange.
pub enum Tls {
    /// Post-quantum or nothing (pqhkex's server-side preference, require policy).
    RequirePostQuantum(PqServerConfigs),
    /// Classical groups only (X25519, P-256, P-384).
    Classical(Arc<rustls::ServerConfig>),
}

/// Accepts connections on `listener` forever; `name` prefixes its log lines. `hellos`
/// counts the ClientHellos received (before the server answers them, so a client that
/// has its answer can read the count).
pub async fn serve(
    listener: TcpListener,
    tls: Tls,
    name: &'static str,
    hellos: Arc<AtomicUsize>,
) -> Result<(), BoxError> {
    let tls = Arc::new(tls);
    loop {
        let (tcp, _) = listener.accept().await?;
        let (tls, hellos) = (tls.clone(), hellos.clone());
        tokio::spawn(async move {
            if let Err(e) = connection(tcp, &tls, name, &hellos).await {
                println!("{name}: {e}");
            }
        });
    }
}

async fn connection(
    tcp: tokio::net::TcpStream,
    tls: &Tls,
    name: &'static str,
    hellos: &AtomicUsize,
) -> Result<(), BoxError> {
    let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
    hellos.fetch_add(1, Ordering::SeqCst);
    let (config, refused, policy) = match tls {
        Tls::RequirePostQuantum(configs) => {
            let (config, refused) = configs.config_for(&start.client_hello());
            (config, refused, configs.policy())
        }
        Tls::Classical(config) => (config.clone(), None, Policy::Classical),
    };
    if let Some(why) = &refused {
        println!("{name}: refusing a client: {why}");
    }
    let stream = match start.into_stream(config).await {
        Ok(stream) => stream,
        Err(e) => {
            let explained = policy.explain_io(Side::Server, &e);
            return Err(format!(
                "handshake failed: {}",
                explained.map_or(e.to_string(), |x| x.to_string())
            )
            .into());
        }
    };
    let report = ConnectionReport::from_connection(stream.get_ref().1);
    println!("{name}: TLS connection: {report}");
    let service = hyper::service::service_fn(|req| kms(req, name));
    hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await?;
    Ok(())
}

/// One KMS request. Errors are KMS-shaped (`__type` and `message`), as the SDK parses them.
async fn kms(
    req: Request<Incoming>,
    name: &'static str,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header = |h: &str| {
        req.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let target = header("x-amz-target");
    let content_type = header("content-type");
    let authorization = header("authorization");
    let method = req.method().clone();
    let body = req.into_body().collect().await?.to_bytes();
    println!("{name}: {method} / X-Amz-Target: {target}");

    // Signed with SigV4 by the SDK, with the example's (dummy) key, for KMS.
    let credential = format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/");
    if !authorization.starts_with(&credential) || !authorization.contains("/kms/aws4_request") {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "UnrecognizedClientException",
            "the request is not signed for KMS with the example's key",
        ));
    }
    if method != hyper::Method::POST || content_type != "application/x-amz-json-1.1" {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            "expected POST with application/x-amz-json-1.1",
        ));
    }
    if target != "TrentService.GenerateRandom" {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "UnsupportedOperationException",
            "this endpoint implements GenerateRandom only",
        ));
    }
    let input: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                &e.to_string(),
            ))
        }
    };
    // KMS accepts 1..=1024 bytes.
    let n = match input.get("NumberOfBytes").and_then(|n| n.as_u64()) {
        Some(n @ 1..=1024) => n as usize,
        _ => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                "NumberOfBytes must be between 1 and 1024",
            ))
        }
    };
    let mut random = vec![0u8; n];
    if rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut random)
        .is_err()
    {
        return Ok(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "KMSInternalException",
            "no randomness",
        ));
    }
    let out = serde_json::json!({ "Plaintext": aws_smithy_types::base64::encode(&random) });
    Ok(json(StatusCode::OK, out))
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response<Full<Bytes>> {
    json(
        status,
        serde_json::json!({ "__type": kind, "message": message }),
    )
}

fn json(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    response
}
